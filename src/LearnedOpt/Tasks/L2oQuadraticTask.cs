using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks;

/// <summary>
/// The L2O-DM quadratic (Andrychowicz et al. 2016, arXiv:1606.04474; docs/tasks-real-data.md): 128 independent 10-D problems
/// trained together, f(x) = (1/128) Σᵢ ‖Wᵢxᵢ − yᵢ‖² (no ½), W and y ~ U[0,1) fixed by the instance
/// seed, x0 ~ N(0, 0.01²). One tensor <c>x</c> of shape (128, 10); no data, so every step sees the exact gradient.
/// </summary>
public sealed class L2oQuadraticTask : ITask
{
    public const int Problems = 128;
    public const int Dim = 10;
    public const double InitStd = 0.01;

    private readonly double[] _w; // [problem, row, col]
    private readonly double[] _y; // [problem, row]

    public L2oQuadraticTask(ulong seed)
    {
        var rng = new Rng(seed).Fork("l2o-quadratic");
        _w = new double[Problems * Dim * Dim];
        _y = new double[Problems * Dim];
        for (int i = 0; i < _w.Length; i++) _w[i] = rng.NextDouble();
        for (int i = 0; i < _y.Length; i++) _y[i] = rng.NextDouble();
        Seed = seed;
    }

    public ulong Seed { get; }
    public string Name => "l2o-quadratic";
    public string Family => "l2o-quadratic";
    public static IReadOnlyList<TensorSpec> Tensors { get; } = [new TensorSpec("x", [Problems, Dim])];
    public IReadOnlyList<TensorSpec> Parameters => Tensors;
    public int BatchSize => 0;

    /// <summary>Wᵢ as a row-major 10x10 block.</summary>
    public ReadOnlySpan<double> W(int problem) => _w.AsSpan(problem * Dim * Dim, Dim * Dim);

    public ReadOnlySpan<double> Y(int problem) => _y.AsSpan(problem * Dim, Dim);

    public double[][] SampleInitialPoint(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var x = new double[Problems * Dim];
        for (int i = 0; i < x.Length; i++) x[i] = InitStd * rng.NextGaussian();
        return [x];
    }

    public double Loss(IReadOnlyList<double[]> theta, IReadOnlyList<double[]>? gradient)
    {
        var x = Check(theta, nameof(theta));
        var g = gradient == null ? null : Check(gradient, nameof(gradient));
        Span<double> r = stackalloc double[Dim];
        double sum = 0;
        for (int p = 0; p < Problems; p++)
        {
            var w = W(p);
            var xp = x.AsSpan(p * Dim, Dim);
            var y = Y(p);
            for (int i = 0; i < Dim; i++)
            {
                double s = -y[i];
                for (int j = 0; j < Dim; j++) s += w[i * Dim + j] * xp[j];
                r[i] = s;
                sum += s * s;
            }
            if (g == null) continue;
            // ∇ₓᵢ f = (2/128) Wᵢᵀ rᵢ
            var gp = g.AsSpan(p * Dim, Dim);
            for (int j = 0; j < Dim; j++)
            {
                double s = 0;
                for (int i = 0; i < Dim; i++) s += w[i * Dim + j] * r[i];
                gp[j] = 2.0 * s / Problems;
            }
        }
        return sum / Problems;
    }

    public double TrainingLoss(IReadOnlyList<double[]> theta, IReadOnlyList<double[]> gradient, Rng rng, long step)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        return Loss(theta, gradient);
    }

    private static double[] Check(IReadOnlyList<double[]> tensors, string argument)
    {
        ArgumentNullException.ThrowIfNull(tensors, argument);
        if (tensors.Count != 1) throw new ArgumentException($"{argument} has {tensors.Count} tensors, l2o-quadratic has 1 (x).", argument);
        if (tensors[0] is null || tensors[0].Length != Problems * Dim)
            throw new ArgumentException($"{argument}: tensor 'x' has {tensors[0]?.Length ?? 0} values, expected {Problems * Dim}.", argument);
        return tensors[0];
    }
}
