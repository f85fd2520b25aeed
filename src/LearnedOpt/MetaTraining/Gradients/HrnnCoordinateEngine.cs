using LearnedOpt.Backends;
using LearnedOpt.Backends.Cpu;
using LearnedOpt.Cpu;

namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// The seam of the TBPTT unroll: the per-coordinate work of one HRNN step (lopt_hrnn_grad.h in
/// float64: the forward with the per-tensor sums, the adjoint with the weight-gradient sums) and the
/// memory the per-coordinate states, tapes, checkpoints and state adjoints live in. Everything per
/// tensor or global (μ, the cells, means, θ) stays in managed code on the host and crosses as small
/// host arrays. <see cref="Cpu"/> runs the CPU library; a CUDA backend's engine (<see cref="For"/>)
/// the kernels of hrnn_grad.cu on its GPU.
/// </summary>
public abstract class HrnnCoordinateEngine : IDisposable
{
    public const int G0 = 3 * HrnnParameters.H0, State = TbpttHrnnState.PerCoordinate, Sums = HrnnLayout.ForwardSums, Accumulators = HrnnLayout.AdjointAccumulators;

    /// <summary>The CPU library (stateless; host arrays).</summary>
    public static HrnnCoordinateEngine Cpu { get; } = new CpuCoordinateEngine();

    /// <summary>The engine of <paramref name="backend"/>: <see cref="Cpu"/> on the CPU library, states and tapes on the device of a GPU backend. The caller disposes it.</summary>
    public static HrnnCoordinateEngine For(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return backend.Kernels.CoordinateEngine();
    }

    /// <summary>One line: what runs the per-coordinate work.</summary>
    public abstract string Description { get; }

    /// <summary>The device backend whose queue the engine's work runs on (synchronized by phase timers), or null on the host.</summary>
    public virtual IBackend? Device => null;

    /// <summary>Whether several unrolls may use the engine at once from different threads.</summary>
    public abstract bool IsThreadSafe { get; }

    /// <summary>Zeroed storage for <paramref name="length"/> coordinates.</summary>
    public abstract CoordinateTensor Allocate(int length);

    /// <summary>Copies host values (21 per coordinate) into <paramref name="destination"/>.</summary>
    public abstract void Upload(ReadOnlySpan<double> values, CoordinateTensor destination);

    /// <summary>Copies <paramref name="source"/> to host values (21 per coordinate).</summary>
    public abstract void Download(CoordinateTensor source, Span<double> values);

    /// <summary>destination = source (same length).</summary>
    public abstract void Copy(CoordinateTensor source, CoordinateTensor destination);

    /// <summary>The sum of the log-LRs ℓ of every coordinate of every tensor (μ = this / count).</summary>
    public abstract double EllSum(IReadOnlyList<CoordinateTensor> tensors);

    /// <summary>Adds <paramref name="value"/> to the ℓ entry of every coordinate of <paramref name="adjoint"/>.</summary>
    public abstract void AddToEll(CoordinateTensor adjoint, double value);

    /// <summary>The coordinate weights (737 doubles) placed for this engine.</summary>
    public abstract CoordinateWeights Place(double[] pack);

    /// <summary>
    /// Forward of one tensor (lopt_hrnn_grad_forward_f64): state <paramref name="input"/> → <paramref name="output"/>
    /// (distinct) with gradients g; writes d, a (host, n each) and <paramref name="sums"/> (Σd², Σh', Σx; overwritten).
    /// </summary>
    public abstract void Forward(CoordinateWeights w, double[] e0, double mu, double lambda, double[] g, CoordinateTensor input,
                                 CoordinateTensor output, double[] d, double[] a, double[] sums);

    /// <summary>
    /// Adjoint of one tensor (lopt_hrnn_grad_backward_f64): <paramref name="adjoint"/> holds the new state's adjoint and is
    /// overwritten with the old state's; writes gBar (n) and adds the weight-gradient, e0, μ and λ sums into <paramref name="acc"/>.
    /// </summary>
    public abstract void Backward(CoordinateWeights w, double[] e0, double mu, double lambda, double[] g, CoordinateTensor input,
                                  CoordinateTensor adjoint, double[] xAdd, double[] hAdd, double[] dBar, double[] aBar, double[] gBar, double[] acc);

    /// <summary>
    /// Every job's forward, with the results of one <see cref="Forward"/> per job (the jobs share the
    /// weights; μ and λ are each job's, so the tensors of several problems may share a call). An
    /// engine may run them in one launch or concurrently, so jobs must not share outputs.
    /// </summary>
    public virtual void ForwardAll(CoordinateWeights w, IReadOnlyList<ForwardJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        foreach (var j in jobs) Forward(w, j.E0, j.Mu, j.Lambda, j.G, j.Input, j.Output, j.D, j.A, j.Sums);
    }

    /// <summary>
    /// Every job's adjoint, with the results of one <see cref="Backward"/> per job. An engine may run
    /// them in one launch or concurrently, so jobs must not share outputs (adjoint, ḡ, accumulators).
    /// </summary>
    public virtual void BackwardAll(CoordinateWeights w, IReadOnlyList<BackwardJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        foreach (var j in jobs) Backward(w, j.E0, j.Mu, j.Lambda, j.G, j.Input, j.Adjoint, j.XAdd, j.HAdd, j.DBar, j.ABar, j.GBar, j.Acc);
    }

    /// <summary>Adds each job's value to the ℓ entry of every coordinate of its tensor. An engine may run them in one launch.</summary>
    public virtual void AddToEll(IReadOnlyList<EllJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        foreach (var j in jobs) AddToEll(j.Adjoint, j.Value);
    }

    /// <summary>Adds <paramref name="value"/> to the ℓ entry of every coordinate of every tensor.</summary>
    public void AddToEll(IReadOnlyList<CoordinateTensor> adjoints, double value)
    {
        ArgumentNullException.ThrowIfNull(adjoints);
        AddToEll(adjoints.Select(a => new EllJob(a, value)).ToArray());
    }

    /// <summary>
    /// <see cref="EllSum"/> of each group (one per problem), as that call sums it. An engine may run
    /// every group in one launch.
    /// </summary>
    public virtual double[] EllSums(IReadOnlyList<IReadOnlyList<CoordinateTensor>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        return groups.Select(EllSum).ToArray();
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>The engine's own tensor, checked against <paramref name="length"/> coordinates (−1: any).</summary>
    protected T Own<T>(CoordinateTensor tensor, int length, string name) where T : CoordinateTensor
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (!ReferenceEquals(tensor.Owner, this) || tensor is not T own)
            throw new ArgumentException($"{name} was allocated by another engine ({tensor.Owner.Description}), not by {Description}.", name);
        if (length >= 0 && tensor.Length != length)
            throw new ArgumentException($"{name} holds {tensor.Length} coordinates, expected {length}.", name);
        return own;
    }

    protected T Own<T>(CoordinateWeights weights) where T : CoordinateWeights
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!ReferenceEquals(weights.Owner, this) || weights is not T own)
            throw new ArgumentException("The coordinate weights were placed by another engine.", nameof(weights));
        return own;
    }

    protected static void Need(double[] array, long length, string name)
    {
        ArgumentNullException.ThrowIfNull(array, name);
        if (array.Length != length) throw new ArgumentException($"{name} has {array.Length} values, expected {length}.", name);
    }

    protected static void CheckPack(double[] pack)
    {
        Need(pack, HrnnLayout.CoordinateWeights, nameof(pack));
    }

    /// <summary>Checks the host arrays of a forward of n coordinates.</summary>
    protected static void CheckForward(double[] e0, double[] g, double[] d, double[] a, double[] sums, int n)
    {
        Need(e0, G0, nameof(e0));
        Need(g, n, nameof(g));
        Need(d, n, nameof(d));
        Need(a, n, nameof(a));
        Need(sums, Sums, nameof(sums));
    }

    /// <summary>Checks the host arrays of an adjoint of n coordinates.</summary>
    protected static void CheckBackward(double[] e0, double[] g, double[] xAdd, double[] hAdd, double[] dBar, double[] aBar, double[] gBar, double[] acc, int n)
    {
        Need(e0, G0, nameof(e0));
        Need(g, n, nameof(g));
        Need(xAdd, HrnnParameters.F, nameof(xAdd));
        Need(hAdd, HrnnParameters.H0, nameof(hAdd));
        Need(dBar, n, nameof(dBar));
        Need(aBar, n, nameof(aBar));
        Need(gBar, n, nameof(gBar));
        Need(acc, Accumulators, nameof(acc));
    }
}
