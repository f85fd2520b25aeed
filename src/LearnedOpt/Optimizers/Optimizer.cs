using LearnedOpt.Backends;
using LearnedOpt.IO;
using LearnedOpt.Tensors;

namespace LearnedOpt.Optimizers;

/// <summary>
/// An optimizer that steps a fixed set of parameter tensors the caller owns (host spans on the
/// CPU backend, device pointers on CUDA), keeping its own per-tensor state on its backend.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private long _nonFinite;

    protected Optimizer(IBackend backend, IReadOnlyList<TensorSpec> tensors)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("An optimizer needs at least one tensor.", nameof(tensors));
        var dup = tensors.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"Tensor name '{dup.Key}' is used twice.", nameof(tensors));
        foreach (var t in tensors)
        {
            if (string.IsNullOrEmpty(t.Name)) throw new ArgumentException("Tensor names must be non-empty.", nameof(tensors));
            if (t.Shape.Any(d => d < 0)) throw new ArgumentException($"Tensor '{t.Name}' has a negative dimension in shape [{string.Join(",", t.Shape)}].", nameof(tensors));
        }
        Backend = backend;
        Tensors = tensors.ToArray();
    }

    public IBackend Backend { get; }
    public IReadOnlyList<TensorSpec> Tensors { get; }

    /// <summary>
    /// Bytes a step moves per parameter, counted as the benchmarks count them (every float read or
    /// written once: parameter, gradient, state); NaN where not defined.
    /// </summary>
    public virtual double BytesPerParameter => double.NaN;

    /// <summary>Steps taken so far (the next step is StepCount + 1).</summary>
    public long StepCount { get; protected set; }

    /// <summary>
    /// Gradient entries that were NaN or infinite (or, for learned optimizers, otherwise unusable),
    /// over this optimizer's life. What was skipped for them depends on the optimizer's policy.
    /// </summary>
    public virtual long NonFiniteGradients
    {
        get
        {
            _nonFinite += Backend.TakeNonFiniteCount();
            return _nonFinite;
        }
    }

    /// <summary>Whether <see cref="ObserveLoss"/> must precede every step (learned optimizers that read the loss, such as Celo).</summary>
    public virtual bool ReadsLoss => false;

    /// <summary>
    /// The minibatch loss at the current parameters, for the next step. Optimizers that do not read
    /// the loss ignore it.
    /// </summary>
    public virtual void ObserveLoss(float loss) { }

    /// <summary>One step over every tensor, in the order of <see cref="Tensors"/>.</summary>
    public void Step(ReadOnlySpan<TensorView> parameters, ReadOnlySpan<TensorView> gradients)
    {
        if (parameters.Length != Tensors.Count)
            throw new ArgumentException($"parameters has {parameters.Length} tensors, the optimizer was built for {Tensors.Count}.", nameof(parameters));
        if (gradients.Length != Tensors.Count)
            throw new ArgumentException($"gradients has {gradients.Length} tensors, the optimizer was built for {Tensors.Count}.", nameof(gradients));
        for (int i = 0; i < Tensors.Count; i++)
        {
            Check(parameters[i], Tensors[i], nameof(parameters));
            Check(gradients[i], Tensors[i], nameof(gradients));
        }
        StepCore(parameters, gradients);
    }

    /// <summary>One step of a single-tensor optimizer on host memory.</summary>
    public unsafe void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (Tensors.Count != 1)
            throw new InvalidOperationException($"This optimizer has {Tensors.Count} tensors; pass one span per tensor with Step(IReadOnlyList<float[]>, ...).");
        fixed (float* p = parameters)
        fixed (float* g = gradients)
        {
            Step([TensorView.Host(p, parameters.Length)], [TensorView.Host(g, gradients.Length)]);
        }
    }

    /// <summary>One step over host arrays, one per tensor.</summary>
    public unsafe void Step(IReadOnlyList<float[]> parameters, IReadOnlyList<float[]> gradients)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        var handles = new List<System.Runtime.InteropServices.GCHandle>();
        try
        {
            var p = new TensorView[parameters.Count];
            var g = new TensorView[gradients.Count];
            for (int i = 0; i < p.Length; i++) p[i] = Pin(parameters[i], handles, nameof(parameters), i);
            for (int i = 0; i < g.Length; i++) g[i] = Pin(gradients[i], handles, nameof(gradients), i);
            Step(p, g);
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    protected abstract void StepCore(ReadOnlySpan<TensorView> parameters, ReadOnlySpan<TensorView> gradients);

    /// <summary>The full state as named host tensors (the state-file contract of the optimizer).</summary>
    public abstract IReadOnlyList<SafeTensor> ExportState();

    /// <summary>Replaces the state; every tensor is checked against the expected names and shapes.</summary>
    public abstract void ImportState(SafeTensorsFile.Document state, string source);

    protected abstract IReadOnlyDictionary<string, string> StateMetadata { get; }

    public void SaveState(string path) => SafeTensorsFile.Write(path, ExportState(), StateMetadata);

    public void LoadState(string path) => ImportState(SafeTensorsFile.Read(path), path);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private void Check(TensorView view, TensorSpec spec, string argument)
    {
        if (view.Location != Backend.Location)
            throw new ArgumentException($"{argument}: tensor '{spec.Name}' lives on {view.Location}, but this optimizer runs on the {Backend.Kind} backend ({Backend.Location}).", argument);
        if (view.Length != spec.Length)
            throw new ArgumentException($"{argument}: tensor '{spec.Name}' has {view.Length} elements, expected {spec.Length}.", argument);
        if (view.Length > 0 && view.IsNull)
            throw new ArgumentNullException(argument, $"{argument}: tensor '{spec.Name}' is a null pointer.");
    }

    private static unsafe TensorView Pin(float[] array, List<System.Runtime.InteropServices.GCHandle> handles, string argument, int index)
    {
        if (array is null) throw new ArgumentNullException(argument, $"{argument}[{index}] is null.");
        var h = System.Runtime.InteropServices.GCHandle.Alloc(array, System.Runtime.InteropServices.GCHandleType.Pinned);
        handles.Add(h);
        return TensorView.Host((float*)h.AddrOfPinnedObject(), array.Length);
    }
}
