using LearnedOpt.Tensors;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// The "dying-gradient" quadratic: f = ½ Σᵢ cᵢ xᵢ² over every coordinate, but coordinate i stops
/// receiving gradient from step <see cref="DeathSteps"/>[i] on (an intermittent instance still
/// passes it with probability <see cref="ReviveProbability"/> per step). A dead coordinate still
/// counts in the loss, so moving it costs loss exactly as the weights of a dead ReLU unit do once the
/// unit revives. Live gradients are cᵢxᵢ + 0.3·√cᵢ·ξ. It isolates the failure where a learned
/// optimizer keeps raising the step size of coordinates whose gradient has vanished.
/// Tensors: "x" [n] and "y" [tail].
/// </summary>
public sealed class DyingGradientQuadraticTask : FlatTask
{
    public const double MinCurvature = 0.1, MaxCurvature = 10;
    public const double NoiseScale = 0.3;
    public const double DeadFraction = 0.2;
    public const int MaxDeathStep = 300;
    public const int TailSize = 10;
    public const double IntermittentReviveProbability = 0.1;

    /// <summary>Coordinates that never die.</summary>
    public const long Never = long.MaxValue;

    private readonly double[] _curvature;
    private readonly long[] _death;
    private readonly double[] _noise;

    /// <param name="curvatures">cᵢ > 0 per coordinate (flat order: "x" then "y").</param>
    /// <param name="deathSteps">First step without gradient per coordinate (<see cref="Never"/> = always live).</param>
    /// <param name="reviveProbability">Chance per step that a dead coordinate still gets its gradient.</param>
    public DyingGradientQuadraticTask(string name, int n, int tail, double[] curvatures, long[] deathSteps, double reviveProbability)
        : base(name, "dying-gradient-quadratic", Specs(n, tail), 0)
    {
        ArgumentNullException.ThrowIfNull(curvatures);
        ArgumentNullException.ThrowIfNull(deathSteps);
        if (curvatures.Length != Size) throw new ArgumentException($"curvatures has {curvatures.Length} values, the task {Size}.", nameof(curvatures));
        if (deathSteps.Length != Size) throw new ArgumentException($"deathSteps has {deathSteps.Length} values, the task {Size}.", nameof(deathSteps));
        int bad = Array.FindIndex(curvatures, c => !(c > 0) || !double.IsFinite(c));
        if (bad >= 0) throw new ArgumentOutOfRangeException(nameof(curvatures), curvatures[bad], $"curvature {bad} must be finite and > 0.");
        bad = Array.FindIndex(deathSteps, s => s < 0);
        if (bad >= 0) throw new ArgumentOutOfRangeException(nameof(deathSteps), deathSteps[bad], $"death step {bad} must be >= 0.");
        if (!(reviveProbability >= 0 && reviveProbability <= 1))
            throw new ArgumentOutOfRangeException(nameof(reviveProbability), reviveProbability, "must be in [0, 1].");
        _curvature = (double[])curvatures.Clone();
        _death = (long[])deathSteps.Clone();
        _noise = Array.ConvertAll(_curvature, c => NoiseScale * Math.Sqrt(c));
        ReviveProbability = reviveProbability;
    }

    /// <summary>
    /// The meta-training family: n + <see cref="TailSize"/> coordinates, curvatures log-uniform over
    /// [0.1, 10]; a random 20 % of them die at a step uniform in 0–300; half of the instances
    /// (by seed) keep a 10 % chance per step of a live gradient on dead coordinates.
    /// </summary>
    public static DyingGradientQuadraticTask Sample(int n, ulong seed, string? name = null)
    {
        QuadraticTask.CheckN(n);
        var rng = new Rng(seed).Fork("dying-gradient");
        int size = n + TailSize;
        var c = new double[size];
        for (int i = 0; i < size; i++) c[i] = LogUniform(rng, MinCurvature, MaxCurvature);
        var death = new long[size];
        Array.Fill(death, Never);
        var order = Enumerable.Range(0, size).ToArray();
        rng.Shuffle(order.AsSpan());
        int dead = (int)Math.Round(DeadFraction * size);
        for (int k = 0; k < dead; k++) death[order[k]] = rng.NextInt(MaxDeathStep + 1);
        double revive = rng.NextDouble() < 0.5 ? IntermittentReviveProbability : 0;
        return new DyingGradientQuadraticTask(name ?? $"dying-gradient-quadratic-{n}", n, TailSize, c, death, revive);
    }

    /// <summary>
    /// The validation probe: <paramref name="n"/> coordinates (one tensor and no tail), curvatures as the
    /// family's, a random <paramref name="deadFraction"/> of them losing their gradient for good at
    /// <paramref name="deathStep"/>.
    /// </summary>
    public static DyingGradientQuadraticTask Probe(ulong seed, int n = 200, double deadFraction = 0.1, long deathStep = 50)
    {
        var rng = new Rng(seed).Fork("dying-gradient-probe");
        var c = new double[n];
        for (int i = 0; i < n; i++) c[i] = LogUniform(rng, MinCurvature, MaxCurvature);
        var death = new long[n];
        Array.Fill(death, Never);
        var order = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(order.AsSpan());
        int dead = (int)Math.Round(deadFraction * n);
        for (int k = 0; k < dead; k++) death[order[k]] = deathStep;
        return new DyingGradientQuadraticTask($"dying-gradient-probe-{n}", n, 0, c, death, 0);
    }

    private static TensorSpec[] Specs(int n, int tail)
    {
        QuadraticTask.CheckN(n);
        ArgumentOutOfRangeException.ThrowIfNegative(tail);
        return tail == 0 ? [new TensorSpec("x", n)] : [new TensorSpec("x", n), new TensorSpec("y", tail)];
    }

    private static double LogUniform(Rng rng, double low, double high) => Math.Exp(rng.Uniform(Math.Log(low), Math.Log(high)));

    public IReadOnlyList<double> Curvatures => _curvature;
    public IReadOnlyList<long> DeathSteps => _death;
    public double ReviveProbability { get; }

    public override double Value(ReadOnlySpan<double> x, Span<double> grad)
    {
        CheckLength(x, nameof(x));
        if (!grad.IsEmpty) CheckLength(grad, nameof(grad));
        double f = 0;
        for (int i = 0; i < x.Length; i++)
        {
            f += 0.5 * _curvature[i] * x[i] * x[i];
            if (!grad.IsEmpty) grad[i] = _curvature[i] * x[i];
        }
        return f;
    }

    public override void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv)
    {
        CheckLength(v, nameof(v));
        CheckLength(hv, nameof(hv));
        for (int i = 0; i < v.Length; i++) hv[i] = _curvature[i] * v[i];
    }

    public override void SampleInitial(Rng rng, Span<double> x) => FillGaussian(rng, x);

    /// <summary>
    /// Per coordinate, in order: one Gaussian for the noise, then (dead coordinates of an
    /// intermittent instance only) one uniform for the revival; the gradient is cᵢxᵢ + 0.3√cᵢ·ξ where
    /// live, else 0.
    /// </summary>
    public override double TrainingValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
    {
        CheckLength(grad, nameof(grad));
        ArgumentNullException.ThrowIfNull(rng);
        double f = Value(x, grad);
        for (int i = 0; i < grad.Length; i++)
        {
            double xi = rng.NextGaussian();
            if (Live(i, rng, step)) grad[i] += _noise[i] * xi;
            else grad[i] = 0;
        }
        return f;
    }

    /// <summary>diag(cᵢ·liveᵢ)·v with the live mask of the step replayed from a copy of <paramref name="rng"/>.</summary>
    public override void TrainingHvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv, Rng rng, long step)
    {
        CheckLength(v, nameof(v));
        CheckLength(hv, nameof(hv));
        var r = Replica(rng);
        for (int i = 0; i < v.Length; i++)
        {
            r.NextGaussian();
            hv[i] = Live(i, r, step) ? _curvature[i] * v[i] : 0;
        }
    }

    private bool Live(int i, Rng rng, long step)
    {
        if (step < _death[i]) return true;
        return ReviveProbability > 0 && rng.NextDouble() < ReviveProbability;
    }
}
