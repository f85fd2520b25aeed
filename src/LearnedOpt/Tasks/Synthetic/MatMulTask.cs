using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// MatMulAlgorithm(n, k) (docs/tasks.md): find a bilinear algorithm with k products for n × n
/// matrix multiplication. Tensors "theta_a", "theta_b" of shape [n², k]. Over all n⁴ pairs of
/// one-hot matrices (a, b): P = (Aθ_a) ⊙ (Bθ_b), θ_c = least-squares solution of Pθ_c ≈ C (via
/// the pseudo-inverse of PᵀP, so a singular PᵀP is guarded), f = ‖Pθ_c − C‖²_F. Because θ_c is
/// the exact minimizer, ∂f/∂P = 2(Pθ_c − C)θ_cᵀ (variable projection); the Hessian-vector
/// product differentiates that formula including dθ_c from the normal equations.
/// </summary>
public sealed class MatMulTask : FlatTask
{
    private readonly int _rows;   // n⁴
    private readonly int _cols;   // n²
    private readonly int[] _ia;   // row r → index of its one-hot a
    private readonly int[] _ib;
    private readonly double[] _c; // n⁴ × n², row-major

    public MatMulTask(int n, int k, string? name = null)
        : base(name ?? $"matmul-{n}-{k}", "matmul", Specs(n, k), 0)
    {
        N = n;
        K = k;
        _cols = n * n;
        _rows = _cols * _cols;
        _ia = new int[_rows];
        _ib = new int[_rows];
        _c = new double[_rows * _cols];
        int r = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int j2 = 0; j2 < n; j2++)
                    for (int l = 0; l < n; l++, r++)
                    {
                        _ia[r] = i * n + j;
                        _ib[r] = j2 * n + l;
                        // e_ij · e_j2l = e_il when j = j2, else 0.
                        if (j == j2) _c[r * _cols + i * n + l] = 1;
                    }
    }

    public int N { get; }
    public int K { get; }

    private static List<TensorSpec> Specs(int n, int k)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "Matrix size n must be >= 1.");
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "Number of products k must be >= 1.");
        return [new TensorSpec("theta_a", [n * n, k]), new TensorSpec("theta_b", [n * n, k])];
    }

    private (double[] P, double[] Pinv, double[] ThetaC, double[] R, double F) Forward(ReadOnlySpan<double> x)
    {
        CheckLength(x, nameof(x));
        var ta = x[..(_cols * K)];
        var tb = x[(_cols * K)..];
        var p = new double[_rows * K];
        for (int r = 0; r < _rows; r++)
            for (int m = 0; m < K; m++) p[r * K + m] = ta[_ia[r] * K + m] * tb[_ib[r] * K + m];
        var pinv = DenseMath.SymmetricPseudoInverse(DenseMath.MulTN(p, p, _rows, K, K), K);
        var thetaC = DenseMath.Mul(pinv, DenseMath.MulTN(p, _c, _rows, K, _cols), K, K, _cols);
        var fit = DenseMath.Mul(p, thetaC, _rows, K, _cols);
        var res = new double[fit.Length];
        double f = 0;
        for (int i = 0; i < res.Length; i++)
        {
            res[i] = _c[i] - fit[i];
            f += res[i] * res[i];
        }
        return (p, pinv, thetaC, res, f);
    }

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        var (_, _, thetaC, res, f) = Forward(x);
        if (grad.IsEmpty) return f;
        CheckLength(grad, nameof(grad));
        var gp = DenseMath.MulNT(res, thetaC, _rows, _cols, K);
        for (int i = 0; i < gp.Length; i++) gp[i] *= -2;
        ChainToTheta(x, gp, grad);
        return f;
    }

    // Pulls a gradient (or its directional derivative) with respect to P back to θ_a, θ_b.
    private void ChainToTheta(ReadOnlySpan<double> x, double[] gp, Span<double> result)
    {
        result.Clear();
        int half = _cols * K;
        for (int r = 0; r < _rows; r++)
            for (int m = 0; m < K; m++)
            {
                double g = gp[r * K + m];
                result[_ia[r] * K + m] += g * x[half + _ib[r] * K + m];
                result[half + _ib[r] * K + m] += g * x[_ia[r] * K + m];
            }
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        var (p, pinv, thetaC, res, _) = Forward(x);
        int half = _cols * K;
        var dp = new double[_rows * K];
        for (int r = 0; r < _rows; r++)
            for (int m = 0; m < K; m++)
            {
                int a = _ia[r] * K + m, b = half + _ib[r] * K + m;
                dp[r * K + m] = v[a] * x[b] + x[a] * v[b];
            }
        // dθ_c = (PᵀP)⁺ (dPᵀR − Pᵀ dP θ_c), from differentiating PᵀPθ_c = PᵀC.
        var dpTr = DenseMath.MulTN(dp, res, _rows, K, _cols);
        var dpTheta = DenseMath.Mul(dp, thetaC, _rows, K, _cols);
        var ptDp = DenseMath.MulTN(p, dpTheta, _rows, K, _cols);
        for (int i = 0; i < dpTr.Length; i++) dpTr[i] -= ptDp[i];
        var dThetaC = DenseMath.Mul(pinv, dpTr, K, K, _cols);
        // d(∂f/∂P) = 2(dP θ_c + P dθ_c) θ_cᵀ − 2 R dθ_cᵀ.
        var dFit = DenseMath.Mul(p, dThetaC, _rows, K, _cols);
        for (int i = 0; i < dFit.Length; i++) dFit[i] += dpTheta[i];
        var dgp = DenseMath.MulNT(dFit, thetaC, _rows, _cols, K);
        var rdt = DenseMath.MulNT(res, dThetaC, _rows, _cols, K);
        var gp = DenseMath.MulNT(res, thetaC, _rows, _cols, K);
        for (int i = 0; i < dgp.Length; i++)
        {
            dgp[i] = 2 * dgp[i] - 2 * rdt[i];
            gp[i] *= -2;
        }
        ChainToTheta(x, dgp, hv);
        // Plus ∂f/∂P times the derivative of P's factors along v.
        for (int r = 0; r < _rows; r++)
            for (int m = 0; m < K; m++)
            {
                double g = gp[r * K + m];
                int a = _ia[r] * K + m, b = half + _ib[r] * K + m;
                hv[a] += g * v[b];
                hv[b] += g * v[a];
            }
    }

    /// <summary>Gaussian, then every column (one product's coefficients) scaled to unit L2 norm.</summary>
    public override void SampleInitial(Rng rng, Span<double> x)
    {
        FillGaussian(rng, x);
        for (int t = 0; t < 2; t++)
        {
            var block = x.Slice(t * _cols * K, _cols * K);
            for (int m = 0; m < K; m++)
            {
                double s = 0;
                for (int i = 0; i < _cols; i++) s += block[i * K + m] * block[i * K + m];
                double inv = 1 / Math.Sqrt(s);
                for (int i = 0; i < _cols; i++) block[i * K + m] *= inv;
            }
        }
    }
}
