using LearnedOpt.Backends;
using LearnedOpt.Cpu;
using LearnedOpt.IO;
using LearnedOpt.Tensors;

namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>
/// The hierarchical RNN learned optimizer (Wichrowska et al. 2017) stepping caller-owned tensors
/// on either backend, exactly as docs/hrnn.md defines it (math and choices).
/// State per coordinate (h, m, v, beta, eta, log-LR), per tensor (s_k) and global (G) lives on the
/// backend and is exported/imported as the state file of docs/hrnn.md. A tensor whose gradient holds a
/// non-finite entry (or one above 1e18 in magnitude) skips the step with its state untouched;
/// see <see cref="SkippedTensorSteps"/>.
/// </summary>
public sealed class HrnnOptimizer : Optimizer
{
    /// <summary>ℓ₀ = ln 1e-4, the initial log learning rate of every coordinate (docs/hrnn.md R7).</summary>
    public static readonly float DefaultInitialLogLr = (float)Math.Log(1e-4);

    private const int H0 = HrnnLayout.H0, S = HrnnLayout.S;
    private readonly IHrnnKernels _kernels;
    private readonly DeviceBuffer[] _blocks;
    private readonly DeviceBuffer _s, _g, _e0, _etg, _ellMean, _mu;

    public HrnnOptimizer(IBackend backend, IReadOnlyList<TensorSpec> tensors, HrnnWeights weights, float? initialLogLr = null)
        : base(backend, tensors)
    {
        ArgumentNullException.ThrowIfNull(weights);
        float l0 = initialLogLr ?? DefaultInitialLogLr;
        if (!float.IsFinite(l0)) throw new ArgumentOutOfRangeException(nameof(initialLogLr), l0, "The initial log learning rate must be finite.");
        Weights = weights;
        InitialLogLr = l0;
        _kernels = backend.Kernels.Hrnn(weights, Tensors.Select(t => t.Length).ToArray());
        int k = Tensors.Count;
        _blocks = Tensors.Select(t => backend.Allocate(checked(t.Length * HrnnLayout.BlockFloats))).ToArray();
        _s = backend.Allocate((long)k * weights.H1);
        _g = backend.Allocate(weights.H2);
        _e0 = backend.Allocate((long)k * 3 * H0);
        _etg = backend.Allocate(3 * weights.H1);
        _ellMean = backend.Allocate(k);
        _mu = backend.Allocate(1);
        ResetState();
    }

    public HrnnWeights Weights { get; }
    public float InitialLogLr { get; }

    /// <summary>Tensor-steps skipped because of an unusable gradient, over this optimizer's life (waits for queued work).</summary>
    public long SkippedTensorSteps => _kernels.ReadCounters().SkippedTensorSteps;

    /// <summary>Gradient entries that were non-finite or above 1e18 in magnitude, over this optimizer's life (waits for queued work).</summary>
    public long UnusableGradientEntries => _kernels.ReadCounters().UnusableGradientEntries;

    /// <summary>The HRNN's unusable entries (its tensors were skipped whole, see docs/hrnn.md).</summary>
    public override long NonFiniteGradients => UnusableGradientEntries;

    /// <summary>Two passes: read g twice (scan, pass A), state 84 B in and out, a scratch float written and read, θ in and out (docs/hrnn.md).</summary>
    public override double BytesPerParameter => 192;

    /// <summary>Whether each tensor skipped the last step, in the order of <see cref="Optimizer.Tensors"/> (waits for queued work).</summary>
    public IReadOnlyList<bool> LastStepSkipped => _kernels.ReadCounters().LastStepSkipped;

    private HrnnSharedViews Shared => new(_s.View, _g.View, _e0.View, _etg.View, _ellMean.View, _mu.View);

    /// <summary>Back to the initial state (docs/hrnn.md): h = h0, m = v = 0, beta = eta = 0, ℓ = ℓ₀, s_k and G = their h0.</summary>
    public void ResetState()
    {
        var h0 = Weights.Get("cell/param/h0");
        for (int i = 0; i < Tensors.Count; i++)
        {
            long n = Tensors[i].Length;
            if (n == 0) continue;
            var host = new float[checked(n * HrnnLayout.BlockFloats)];
            for (int j = 0; j < H0; j++) host.AsSpan((int)(j * n), (int)n).Fill(h0[j]);
            host.AsSpan((int)(HrnnLayout.RowEll * n), (int)n).Fill(InitialLogLr);
            Backend.CopyFromHost(host, _blocks[i].View);
        }
        var s0 = Weights.Get("cell/tensor/h0");
        var sAll = new float[Tensors.Count * Weights.H1];
        for (int i = 0; i < Tensors.Count; i++) s0.CopyTo(sAll, i * Weights.H1);
        Backend.CopyFromHost(sAll, _s.View);
        Backend.CopyFromHost(Weights.Get("cell/global/h0"), _g.View);
        _kernels.Prepare(BlockViews(), Shared);
        StepCount = 0;
    }

    protected override void StepCore(ReadOnlySpan<TensorView> parameters, ReadOnlySpan<TensorView> gradients)
    {
        _kernels.Step(parameters, gradients, BlockViews(), Shared);
        StepCount++;
    }

    public override IReadOnlyList<SafeTensor> ExportState()
    {
        var list = new List<SafeTensor>();
        for (int i = 0; i < Tensors.Count; i++)
        {
            long n = Tensors[i].Length;
            string p = $"param/{Tensors[i].Name}";
            list.Add(SafeTensor.FromFloats($"{p}/h", [H0, n], Rows(i, 0, H0)));
            list.Add(SafeTensor.FromFloats($"{p}/m", [S, n], Rows(i, HrnnLayout.RowM, S)));
            list.Add(SafeTensor.FromFloats($"{p}/v", [S, n], Rows(i, HrnnLayout.RowV, S)));
            list.Add(SafeTensor.FromFloats($"{p}/decay_in", [n], Rows(i, HrnnLayout.RowBeta, 1)));
            list.Add(SafeTensor.FromFloats($"{p}/decay_ms", [n], Rows(i, HrnnLayout.RowEta, 1)));
            list.Add(SafeTensor.FromFloats($"{p}/log_lr", [n], Rows(i, HrnnLayout.RowEll, 1)));
        }
        var s = Download(_s.View);
        for (int i = 0; i < Tensors.Count; i++)
            list.Add(SafeTensor.FromFloats($"tensor/{Tensors[i].Name}/h", [Weights.H1], s.AsSpan(i * Weights.H1, Weights.H1)));
        list.Add(SafeTensor.FromFloats("global/h", [Weights.H2], Download(_g.View)));
        return list;
    }

    public override void ImportState(SafeTensorsFile.Document state, string source)
    {
        ArgumentNullException.ThrowIfNull(state);
        var expected = new HashSet<string> { "global/h" };
        foreach (var t in Tensors)
        {
            foreach (var f in new[] { "h", "m", "v", "decay_in", "decay_ms", "log_lr" }) expected.Add($"param/{t.Name}/{f}");
            expected.Add($"tensor/{t.Name}/h");
        }
        var extra = state.Tensors.FirstOrDefault(t => !expected.Contains(t.Name));
        if (extra != null) throw new InvalidDataException($"{source}: unexpected tensor '{extra.Name}' for hrnn state.");

        // Validate everything before touching the live state.
        var blocks = new float[Tensors.Count][];
        for (int i = 0; i < Tensors.Count; i++)
        {
            long n = Tensors[i].Length;
            string p = $"param/{Tensors[i].Name}";
            var host = new float[checked(n * HrnnLayout.BlockFloats)];
            Load(state, source, $"{p}/h", [H0, n], host, 0, n);
            Load(state, source, $"{p}/m", [S, n], host, HrnnLayout.RowM, n);
            Load(state, source, $"{p}/v", [S, n], host, HrnnLayout.RowV, n, min: 0f);
            Load(state, source, $"{p}/decay_in", [n], host, HrnnLayout.RowBeta, n, min: 0f, max: 1f);
            Load(state, source, $"{p}/decay_ms", [n], host, HrnnLayout.RowEta, n, min: 0f, max: 1f);
            Load(state, source, $"{p}/log_lr", [n], host, HrnnLayout.RowEll, n);
            blocks[i] = host;
        }
        var sAll = new float[Tensors.Count * Weights.H1];
        for (int i = 0; i < Tensors.Count; i++)
            Load(state, source, $"tensor/{Tensors[i].Name}/h", [Weights.H1], sAll, i, Weights.H1);
        var g = new float[Weights.H2];
        Load(state, source, "global/h", [Weights.H2], g, 0, Weights.H2);

        for (int i = 0; i < Tensors.Count; i++)
            if (Tensors[i].Length > 0) Backend.CopyFromHost(blocks[i], _blocks[i].View);
        Backend.CopyFromHost(sAll, _s.View);
        Backend.CopyFromHost(g, _g.View);
        _kernels.Prepare(BlockViews(), Shared);
    }

    /// <summary>The exported state's values concatenated in export order (the flat layout meta-training carries and GroupedHrnnStep shares).</summary>
    public float[] ExportFlatState()
    {
        var parts = ExportState();
        var flat = new float[parts.Sum(p => p.ElementCount)];
        int at = 0;
        foreach (var p in parts)
        {
            var f = p.ToFloats();
            f.CopyTo(flat, at);
            at += f.Length;
        }
        return flat;
    }

    /// <summary>Imports <see cref="ExportFlatState"/>'s layout (checked like <see cref="ImportState"/>).</summary>
    public void ImportFlatState(ReadOnlySpan<float> flat, string source = "flat state")
    {
        var template = ExportState();
        long total = template.Sum(t => t.ElementCount);
        if (flat.Length != total) throw new InvalidDataException($"{source}: {flat.Length} values, the hrnn state of these tensors has {total}.");
        var list = new List<SafeTensor>(template.Count);
        int at = 0;
        foreach (var t in template)
        {
            int n = (int)t.ElementCount;
            list.Add(SafeTensor.FromFloats(t.Name, t.Shape, flat.Slice(at, n)));
            at += n;
        }
        ImportState(new SafeTensorsFile.Document(list, new Dictionary<string, string>()), source);
    }

    protected override IReadOnlyDictionary<string, string> StateMetadata => new Dictionary<string, string>
    {
        ["format"] = "learnedopt-hrnn-state",
        ["version"] = "1",
        ["optimizer"] = "hrnn",
    };

    public override void Dispose()
    {
        _kernels.Dispose();
        foreach (var b in _blocks) b.Dispose();
        foreach (var b in new[] { _s, _g, _e0, _etg, _ellMean, _mu }) b.Dispose();
        base.Dispose();
    }

    private TensorView[] BlockViews() => _blocks.Select(b => b.View).ToArray();

    private float[] Rows(int tensor, int row, int count)
    {
        long n = Tensors[tensor].Length;
        var host = new float[checked(count * n)];
        if (n > 0)
        {
            var v = _blocks[tensor].View;
            Backend.CopyToHost(new TensorView(v.Address + (nint)(row * n * sizeof(float)), count * n, v.Location), host);
        }
        return host;
    }

    private float[] Download(TensorView v)
    {
        var host = new float[v.Length];
        Backend.CopyToHost(v, host);
        return host;
    }

    // Copies a state tensor into rows [row, row + rows) of a block (row length n), checking shape and range.
    private static void Load(SafeTensorsFile.Document state, string source, string name, long[] shape, float[] dest, long row, long n,
                             float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        var t = state.Get(name, source);
        if (!t.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"{source}: tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", shape)}].");
        var v = t.ToFloats();
        for (int i = 0; i < v.Length; i++)
            if (!float.IsFinite(v[i]) || v[i] < min || v[i] > max)
                throw new InvalidDataException($"{source}: tensor '{name}' holds {v[i]} at index {i}; expected a finite value{(min > float.NegativeInfinity ? $" in [{min}, {max}]" : "")}.");
        v.CopyTo(dest, row * n);
    }
}
