using LearnedOpt.Backends;
using LearnedOpt.Cpu;
using LearnedOpt.Tensors;

namespace LearnedOpt.Optimizers.Hrnn;

/// <summary>
/// Many independent HRNN optimizers ("groups") stepped together: each group has its own weights
/// (e.g. its own φ ± ε in ES/PES), its own state and skip bookkeeping, and any number of tensors;
/// one <see cref="Step"/> is one grouped launch sequence on the backend (hrnn_cpu.cpp
/// lopt_hrnn_step_grouped, or the same four hrnn.cu launches as a single optimizer). State lives on
/// the backend. A group's state moves in and out as the flat float layout of
/// <see cref="HrnnOptimizer.ExportState"/> concatenated in order (per tensor h, m, v, decay_in,
/// decay_ms, log_lr; then every tensor's s_k; then G), so trajectories move between this and a
/// per-trajectory <see cref="HrnnOptimizer"/> unchanged.
/// </summary>
public sealed class GroupedHrnnStep : IDisposable
{
    private const int H0 = HrnnLayout.H0, S = HrnnLayout.S, Rows = HrnnLayout.BlockFloats - 1;
    private readonly HrnnGroups _groups;
    private readonly IHrnnKernels _kernels;
    private readonly DeviceBuffer _blocks, _s, _g, _e0, _etg, _ellMean, _mu;
    private readonly long[] _blockOffset;
    private readonly HrnnWeights?[] _weights;
    private readonly TensorView[] _blockViews;
    private bool _prepared;

    /// <param name="backend">CPU library or CUDA: where the state lives and the step runs.</param>
    /// <param name="groups">Each group's parameter tensors (at least one each).</param>
    /// <param name="h1">Tensor-RNN size of every group's weights.</param>
    /// <param name="h2">Global-RNN size of every group's weights.</param>
    /// <param name="initialLogLr">ℓ₀ of every coordinate at a reset (default ln 1e-4).</param>
    public GroupedHrnnStep(IBackend backend, IReadOnlyList<IReadOnlyList<TensorSpec>> groups, int h1, int h2, float? initialLogLr = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(h1, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(h2, 1);
        float l0 = initialLogLr ?? HrnnOptimizer.DefaultInitialLogLr;
        if (!float.IsFinite(l0)) throw new ArgumentOutOfRangeException(nameof(initialLogLr), l0, "The initial log learning rate must be finite.");
        Backend = backend;
        H1 = h1;
        H2 = h2;
        InitialLogLr = l0;
        Specs = groups.Select((g, q) => (IReadOnlyList<TensorSpec>)(g ?? throw new ArgumentException($"Group {q} is null.", nameof(groups))).ToList()).ToList();
        _groups = new HrnnGroups(Specs.Select(g => g.Select(t => t.Length).ToArray()).ToList());
        _kernels = backend.Kernels.GroupedHrnn(h1, h2, _groups);
        int k = _groups.TensorCount, gc = _groups.Count;
        _blockOffset = new long[k + 1];
        for (int i = 0; i < k; i++) _blockOffset[i + 1] = _blockOffset[i] + checked(_groups.Lengths[i] * HrnnLayout.BlockFloats);
        _blocks = backend.Allocate(Math.Max(_blockOffset[k], 1));
        _blockViews = Enumerable.Range(0, k).Select(i => Slice(_blocks.View, _blockOffset[i], _blockOffset[i + 1] - _blockOffset[i])).ToArray();
        _s = backend.Allocate((long)k * h1);
        _g = backend.Allocate((long)gc * h2);
        _e0 = backend.Allocate((long)k * 3 * H0);
        _etg = backend.Allocate((long)gc * 3 * h1);
        _ellMean = backend.Allocate(k);
        _mu = backend.Allocate(gc);
        _weights = new HrnnWeights?[gc];
    }

    public IBackend Backend { get; }
    public int H1 { get; }
    public int H2 { get; }
    public float InitialLogLr { get; }
    public int GroupCount => _groups.Count;

    /// <summary>Each group's tensors, in order; <see cref="Step"/> takes them flattened group by group.</summary>
    public IReadOnlyList<IReadOnlyList<TensorSpec>> Specs { get; }

    /// <summary>Floats in one group's flat state (<see cref="Export"/>).</summary>
    public long StateFloats(int group)
    {
        CheckGroup(group);
        long n = 0;
        for (int i = _groups.First[group]; i < _groups.First[group + 1]; i++) n += _groups.Lengths[i] * Rows;
        return n + (_groups.First[group + 1] - _groups.First[group]) * (long)H1 + H2;
    }

    /// <summary>Tensor-steps skipped (unusable gradients) over all groups so far (waits for queued work).</summary>
    public long SkippedTensorSteps => _kernels.ReadCounters().SkippedTensorSteps;

    /// <summary>Unusable gradient entries over all groups so far (waits for queued work).</summary>
    public long UnusableGradientEntries => _kernels.ReadCounters().UnusableGradientEntries;

    /// <summary>Whether each tensor (flattened group by group) skipped its group's last step (waits for queued work).</summary>
    public IReadOnlyList<bool> LastStepSkipped => _kernels.ReadCounters().LastStepSkipped;

    /// <summary>Sets a group's weights (its φ); its state must then be reset or imported before the next step.</summary>
    public void SetWeights(int group, HrnnWeights weights)
    {
        CheckGroup(group);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.H1 != H1 || weights.H2 != H2)
            throw new ArgumentException($"Group {group}: weights have H1/H2 = {weights.H1}/{weights.H2}, the step was built for {H1}/{H2}.", nameof(weights));
        _kernels.SetPack(group, weights.Pack());
        _weights[group] = weights;
        _prepared = false;
    }

    /// <summary>A group back to the default initial state from its weights' h0 (as HrnnOptimizer.ResetState).</summary>
    public void Reset(int group)
    {
        CheckGroup(group);
        var w = _weights[group] ?? throw new InvalidOperationException($"Group {group} has no weights; call SetWeights first.");
        var h0 = w.Get("cell/param/h0");
        for (int i = _groups.First[group]; i < _groups.First[group + 1]; i++)
        {
            long n = _groups.Lengths[i];
            if (n == 0) continue;
            var host = new float[checked(n * HrnnLayout.BlockFloats)];
            for (int j = 0; j < H0; j++) host.AsSpan((int)(j * n), (int)n).Fill(h0[j]);
            host.AsSpan((int)(HrnnLayout.RowEll * n), (int)n).Fill(InitialLogLr);
            Backend.CopyFromHost(host, _blockViews[i]);
        }
        var s0 = w.Get("cell/tensor/h0");
        int k0 = _groups.First[group], k = _groups.First[group + 1] - k0;
        var sAll = new float[k * H1];
        for (int i = 0; i < k; i++) s0.CopyTo(sAll, i * H1);
        Backend.CopyFromHost(sAll, Slice(_s.View, (long)k0 * H1, (long)k * H1));
        Backend.CopyFromHost(w.Get("cell/global/h0"), Slice(_g.View, (long)group * H2, H2));
        _prepared = false;
    }

    /// <summary>A group's state in the flat layout of the class summary.</summary>
    public float[] Export(int group)
    {
        CheckGroup(group);
        var flat = new float[StateFloats(group)];
        long at = 0;
        int k0 = _groups.First[group], k1 = _groups.First[group + 1];
        for (int i = k0; i < k1; i++)
        {
            long n = _groups.Lengths[i] * Rows;
            if (n > 0) Backend.CopyToHost(Slice(_blockViews[i], 0, n), flat.AsSpan((int)at, (int)n));
            at += n;
        }
        Backend.CopyToHost(Slice(_s.View, (long)k0 * H1, (long)(k1 - k0) * H1), flat.AsSpan((int)at, (k1 - k0) * H1));
        at += (k1 - k0) * H1;
        Backend.CopyToHost(Slice(_g.View, (long)group * H2, H2), flat.AsSpan((int)at, H2));
        return flat;
    }

    /// <summary>Loads a group's state from <see cref="Export"/>'s layout; values are checked (finite, v ≥ 0, decays in [0, 1]) before anything changes.</summary>
    public void Import(int group, ReadOnlySpan<float> flat)
    {
        CheckGroup(group);
        long expected = StateFloats(group);
        if (flat.Length != expected)
            throw new ArgumentException($"Group {group}: the flat state has {flat.Length} values, expected {expected}.", nameof(flat));
        int k0 = _groups.First[group], k1 = _groups.First[group + 1];
        long at = 0;
        for (int i = k0; i < k1; i++)
        {
            long n = _groups.Lengths[i];
            for (long r = 0; r < Rows; r++)
            {
                bool nonNegative = r >= HrnnLayout.RowV && r < HrnnLayout.RowV + S;
                bool unit = r is HrnnLayout.RowBeta or HrnnLayout.RowEta;
                for (long c = 0; c < n; c++)
                {
                    float v = flat[(int)(at + r * n + c)];
                    if (!float.IsFinite(v) || (nonNegative && v < 0) || (unit && (v < 0 || v > 1)))
                        throw new ArgumentException($"Group {group}: tensor '{Specs[group][i - k0].Name}' state row {r} holds {v} at index {c}; expected a finite value{(unit ? " in [0, 1]" : nonNegative ? " >= 0" : "")}.", nameof(flat));
                }
            }
            at += n * Rows;
        }
        for (long j = at; j < flat.Length; j++)
            if (!float.IsFinite(flat[(int)j])) throw new ArgumentException($"Group {group}: tensor/global RNN state holds {flat[(int)j]}; expected finite values.", nameof(flat));

        at = 0;
        for (int i = k0; i < k1; i++)
        {
            long n = _groups.Lengths[i] * Rows;
            if (n > 0) Backend.CopyFromHost(flat.Slice((int)at, (int)n), Slice(_blockViews[i], 0, n));
            at += n;
        }
        Backend.CopyFromHost(flat.Slice((int)at, (k1 - k0) * H1), Slice(_s.View, (long)k0 * H1, (long)(k1 - k0) * H1));
        at += (k1 - k0) * H1;
        Backend.CopyFromHost(flat.Slice((int)at, H2), Slice(_g.View, (long)group * H2, H2));
        _prepared = false;
    }

    /// <summary>
    /// One step of every group (or of those with <paramref name="active"/>[q] set; the others stay
    /// as they are). <paramref name="theta"/> and <paramref name="gradients"/> hold every tensor,
    /// flattened group by group, on the backend.
    /// </summary>
    public void Step(ReadOnlySpan<TensorView> theta, ReadOnlySpan<TensorView> gradients, ReadOnlySpan<bool> active = default)
    {
        int k = _groups.TensorCount;
        if (theta.Length != k) throw new ArgumentException($"'theta' has {theta.Length} tensors, the groups hold {k}.", nameof(theta));
        if (gradients.Length != k) throw new ArgumentException($"'gradients' has {gradients.Length} tensors, the groups hold {k}.", nameof(gradients));
        if (!active.IsEmpty && active.Length != GroupCount)
            throw new ArgumentException($"'active' has {active.Length} flags, there are {GroupCount} groups.", nameof(active));
        for (int i = 0; i < k; i++)
        {
            Require(theta[i], _groups.Lengths[i], nameof(theta), i);
            Require(gradients[i], _groups.Lengths[i], nameof(gradients), i);
        }
        for (int q = 0; q < GroupCount; q++)
            if (_weights[q] == null) throw new InvalidOperationException($"Group {q} has no weights; call SetWeights and Reset (or Import) first.");
        if (!_prepared)
        {
            _kernels.Prepare(_blockViews, Shared);
            _prepared = true;
        }
        _kernels.Step(theta, gradients, _blockViews, Shared, active);
    }

    private HrnnSharedViews Shared => new(_s.View, _g.View, _e0.View, _etg.View, _ellMean.View, _mu.View);

    private void Require(TensorView t, long n, string name, int index)
    {
        if (t.Location != Backend.Location)
            throw new ArgumentException($"'{name}'[{index}] lives in {t.Location}, the backend in {Backend.Location}.", name);
        if (t.Length != n || (n > 0 && t.IsNull))
            throw new ArgumentException($"'{name}'[{index}] has {t.Length} floats, its tensor needs {n}.", name);
    }

    private void CheckGroup(int group)
    {
        if ((uint)group >= (uint)GroupCount) throw new ArgumentOutOfRangeException(nameof(group), group, $"There are {GroupCount} groups.");
    }

    private static TensorView Slice(TensorView v, long offset, long length)
        => new(v.Address + (nint)(offset * sizeof(float)), length, v.Location);

    public void Dispose()
    {
        _kernels.Dispose();
        foreach (var b in new[] { _blocks, _s, _g, _e0, _etg, _ellMean, _mu }) b.Dispose();
    }
}
