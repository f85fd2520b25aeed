namespace LearnedOpt.Tasks.Synthetic;

/// <summary>Small dense float64 kernels of the reference path (row-major matrices).</summary>
internal static class DenseMath
{
    /// <summary>r = W x − y (y may be empty: r = W x), W is rows × cols.</summary>
    public static void MatVec(ReadOnlySpan<double> w, int rows, int cols, ReadOnlySpan<double> x, ReadOnlySpan<double> y, Span<double> r)
    {
        for (int i = 0; i < rows; i++)
        {
            var row = w.Slice(i * cols, cols);
            double s = 0;
            for (int j = 0; j < cols; j++) s += row[j] * x[j];
            r[i] = y.IsEmpty ? s : s - y[i];
        }
    }

    /// <summary>g = Wᵀ u, W is rows × cols.</summary>
    public static void MatTVec(ReadOnlySpan<double> w, int rows, int cols, ReadOnlySpan<double> u, Span<double> g)
    {
        g[..cols].Clear();
        for (int i = 0; i < rows; i++)
        {
            var row = w.Slice(i * cols, cols);
            double ui = u[i];
            for (int j = 0; j < cols; j++) g[j] += row[j] * ui;
        }
    }

    /// <summary>C = A·B for row-major A (m × k) and B (k × n).</summary>
    public static double[] Mul(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                double aip = a[i * k + p];
                if (aip == 0) continue;
                for (int j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
            }
        return c;
    }

    /// <summary>C = Aᵀ·B for row-major A (m × k) and B (m × n): a k × n result.</summary>
    public static double[] MulTN(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[k * n];
        for (int r = 0; r < m; r++)
            for (int p = 0; p < k; p++)
            {
                double arp = a[r * k + p];
                if (arp == 0) continue;
                for (int j = 0; j < n; j++) c[p * n + j] += arp * b[r * n + j];
            }
        return c;
    }

    /// <summary>C = A·Bᵀ for row-major A (m × k) and B (n × k): an m × n result.</summary>
    public static double[] MulNT(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
                c[i * n + j] = s;
            }
        return c;
    }

    /// <summary>
    /// Moore–Penrose pseudo-inverse of a symmetric positive semi-definite n × n matrix by cyclic
    /// Jacobi eigendecomposition; eigenvalues below 1e-12·λmax count as zero, so a singular PᵀP
    /// gives the minimum-norm least-squares solution instead of Inf/NaN.
    /// </summary>
    public static double[] SymmetricPseudoInverse(double[] matrix, int n)
    {
        var a = (double[])matrix.Clone();
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++)
            {
                diag += a[i * n + i] * a[i * n + i];
                for (int j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
            }
            if (off <= 1e-30 * Math.Max(diag, double.Epsilon)) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[p * n + q];
                    if (apq == 0) continue;
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k * n + p], akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p * n + k], aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k * n + p], vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
        }
        double max = 0;
        for (int i = 0; i < n; i++) max = Math.Max(max, Math.Abs(a[i * n + i]));
        var result = new double[n * n];
        for (int e = 0; e < n; e++)
        {
            double lambda = a[e * n + e];
            if (!(lambda > 1e-12 * max)) continue;
            for (int i = 0; i < n; i++)
            {
                double vi = v[i * n + e] / lambda;
                for (int j = 0; j < n; j++) result[i * n + j] += vi * v[j * n + e];
            }
        }
        return result;
    }

    /// <summary>f = ½‖Ax − b‖² for A (rows×cols); writes ∇f = Aᵀ(Ax − b) when <paramref name="grad"/> is not empty.</summary>
    public static double LeastSquares(ReadOnlySpan<double> a, int rows, int cols, ReadOnlySpan<double> b, ReadOnlySpan<double> x, Span<double> grad)
    {
        var r = new double[rows];
        MatVec(a, rows, cols, x, b, r);
        double f = 0;
        foreach (var ri in r) f += ri * ri;
        if (!grad.IsEmpty) MatTVec(a, rows, cols, r, grad);
        return 0.5 * f;
    }

    /// <summary>The Hessian-vector product of <see cref="LeastSquares"/>: AᵀA·v.</summary>
    public static void LeastSquaresHvp(ReadOnlySpan<double> a, int rows, int cols, ReadOnlySpan<double> v, Span<double> hv)
    {
        var av = new double[rows];
        MatVec(a, rows, cols, v, ReadOnlySpan<double>.Empty, av);
        MatTVec(a, rows, cols, av, hv);
    }
}
