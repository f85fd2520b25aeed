using System.Runtime.InteropServices;
using LearnedOpt.Backends;
using LearnedOpt.Interop;
using LearnedOpt.IO;
using LearnedOpt.Tensors;

namespace LearnedOpt.Optimizers.Celo;

/// <summary>
/// The Celo learned optimizer (Moudgil et al. 2025) stepping caller-owned tensors on either
/// backend, as docs/celo.md defines it: a per-element MLP on 30 tensor-normalised features and one
/// global step multiplier from a learned LSTM scheduler that reads the loss (<see cref="Optimizer.ObserveLoss"/>
/// before every step) and the progress t/N, N planned at construction.
/// A tensor whose gradient holds a NaN or infinite entry skips the step with its parameters and
/// state untouched (counted in <see cref="NonFiniteGradients"/> and <see cref="SkippedTensorSteps"/>);
/// a non-finite loss leaves the scheduler's loss buffer as it was.
/// </summary>
public sealed class CeloOptimizer : Optimizer
{
    private readonly ICeloKernels _kernels;
    private readonly CeloTensorLayout[] _layouts;
    private readonly DeviceBuffer[] _states;
    private readonly double[] _initialGlobal;
    private float _loss;
    private bool _hasLoss;

    /// <param name="totalSteps">N, the planned number of steps (sets the loss features' half-lives and the progress features).</param>
    /// <param name="phase">2 (inference: the scheduler's multiplier applies) or 1 (the MLP alone, s = 1; Celo's first training phase).</param>
    public CeloOptimizer(IBackend backend, IReadOnlyList<TensorSpec> tensors, CeloWeights weights, long totalSteps, int phase = 2)
        : base(backend, tensors)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "Celo needs the planned number of steps N >= 1 (--total-steps).");
        if (phase is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(phase), phase, "The Celo phase is 1 (MLP only) or 2 (with the scheduler).");
        Weights = weights;
        TotalSteps = totalSteps;
        Phase = phase;
        _layouts = Tensors.Select(CeloTensorLayout.For).ToArray();
        _states = _layouts.Select(l => backend.Allocate(Math.Max(1, l.StateFloats))).ToArray();
        _kernels = backend.Kernels.Celo(weights, _layouts, totalSteps, phase);
        _initialGlobal = _kernels.ReadGlobal();
        ResetState();
    }

    public CeloWeights Weights { get; }
    public long TotalSteps { get; }
    public int Phase { get; }

    public override bool ReadsLoss => true;

    public override void ObserveLoss(float loss)
    {
        _loss = loss;
        _hasLoss = true;
    }

    /// <summary>The multiplier s of the last step (0 before the first; waits for queued work).</summary>
    public double LastMultiplier => _kernels.ReadGlobal()[LoptCeloNative.GlobalS];

    public override long NonFiniteGradients => _kernels.ReadCounters().NonFiniteEntries;

    /// <summary>Tensor-steps skipped because of a non-finite gradient entry (waits for queued work).</summary>
    public long SkippedTensorSteps => _kernels.ReadCounters().SkippedTensorSteps;

    /// <summary>Whether each tensor skipped the last step (waits for queued work).</summary>
    public IReadOnlyList<bool> LastStepSkipped => _kernels.ReadCounters().LastStepSkipped;

    /// <summary>
    /// Bytes moved per parameter by this implementation's passes (scan g; pass A g, m, rms in and
    /// out; the fibers read g twice; the statistics and apply passes read g, p, m, rms; p written),
    /// averaged over the tensors: 100 for factored tensors, 148 for 0-D/1-D ones (v in and out too).
    /// </summary>
    public override double BytesPerParameter
    {
        get
        {
            double n = _layouts.Sum(l => (double)l.Length);
            return n == 0 ? double.NaN : _layouts.Sum(l => l.Length * (l.Factored ? 100.0 : 148.0)) / n;
        }
    }

    /// <summary>Bytes of persistent state per parameter: 16 for factored tensors (m, rms) plus 12·(rows + cols) per tensor, 28 otherwise.</summary>
    public double StateBytesPerParameter
    {
        get
        {
            double n = _layouts.Sum(l => (double)l.Length);
            return n == 0 ? double.NaN : _layouts.Sum(l => 4.0 * l.PersistentFloats) / n;
        }
    }

    /// <summary>Back to the initial state: accumulators 0, empty loss buffer, scheduler (h, c) = the learned initial state, t = 0.</summary>
    public void ResetState()
    {
        for (int i = 0; i < _states.Length; i++) Backend.CopyFromHost(new float[_states[i].View.Length], _states[i].View);
        _kernels.WriteGlobal(_initialGlobal);
        StepCount = 0;
        _hasLoss = false;
    }

    protected override void StepCore(ReadOnlySpan<TensorView> parameters, ReadOnlySpan<TensorView> gradients)
    {
        if (!_hasLoss) throw new InvalidOperationException("celo reads the loss: call ObserveLoss(loss) before each Step.");
        var states = new TensorView[_states.Length];
        for (int i = 0; i < states.Length; i++) states[i] = _states[i].View;
        _kernels.Step(parameters, gradients, states, _loss, StepCount);
        StepCount++;
        _hasLoss = false;
    }

    public override IReadOnlyList<SafeTensor> ExportState()
    {
        var list = new List<SafeTensor>();
        for (int i = 0; i < Tensors.Count; i++)
        {
            var l = _layouts[i];
            long n = l.Length;
            var host = new float[_states[i].View.Length];
            Backend.CopyToHost(_states[i].View, host);
            string p = $"param/{Tensors[i].Name}";
            list.Add(SafeTensor.FromFloats($"{p}/m", [3, n], host.AsSpan(0, (int)(3 * n))));
            list.Add(SafeTensor.FromFloats($"{p}/rms", [n], host.AsSpan((int)(3 * n), (int)n)));
            if (l.Factored)
            {
                list.Add(SafeTensor.FromFloats($"{p}/v_row", [3, l.Rows], host.AsSpan((int)(4 * n), (int)(3 * l.Rows))));
                list.Add(SafeTensor.FromFloats($"{p}/v_col", [3, l.Cols], host.AsSpan((int)(4 * n + 3 * l.Rows), (int)(3 * l.Cols))));
            }
            else list.Add(SafeTensor.FromFloats($"{p}/v", [3, n], host.AsSpan((int)(4 * n), (int)(3 * n))));
        }
        var g = _kernels.ReadGlobal();
        list.Add(Doubles("sched/loss_buffer", g.AsSpan(LoptCeloNative.GlobalLoss, LoptCeloNative.LossBuffer)));
        list.Add(Doubles("sched/h", g.AsSpan(LoptCeloNative.GlobalH, CeloWeights.SchedulerHidden)));
        list.Add(Doubles("sched/c", g.AsSpan(LoptCeloNative.GlobalC, CeloWeights.SchedulerHidden)));
        list.Add(SafeTensor.FromInt64("step", StepCount));
        return list;
    }

    public override void ImportState(SafeTensorsFile.Document state, string source)
    {
        ArgumentNullException.ThrowIfNull(state);
        var expected = new HashSet<string> { "sched/loss_buffer", "sched/h", "sched/c", "step" };
        for (int i = 0; i < Tensors.Count; i++)
            foreach (var f in _layouts[i].Factored ? new[] { "m", "rms", "v_row", "v_col" } : ["m", "rms", "v"])
                expected.Add($"param/{Tensors[i].Name}/{f}");
        var extra = state.Tensors.FirstOrDefault(t => !expected.Contains(t.Name));
        if (extra != null) throw new InvalidDataException($"{source}: unexpected tensor '{extra.Name}' for celo state.");
        var blocks = new float[Tensors.Count][];
        for (int i = 0; i < Tensors.Count; i++)
        {
            var l = _layouts[i];
            long n = l.Length;
            string p = $"param/{Tensors[i].Name}";
            var host = new float[_states[i].View.Length];
            Load(state, source, $"{p}/m", [3, n], host, 0);
            Load(state, source, $"{p}/rms", [n], host, 3 * n, nonNegative: true);
            if (l.Factored)
            {
                Load(state, source, $"{p}/v_row", [3, l.Rows], host, 4 * n, nonNegative: true);
                Load(state, source, $"{p}/v_col", [3, l.Cols], host, 4 * n + 3 * l.Rows, nonNegative: true);
            }
            else Load(state, source, $"{p}/v", [3, n], host, 4 * n, nonNegative: true);
            blocks[i] = host;
        }
        var global = (double[])_initialGlobal.Clone();
        LoadDoubles(state, source, "sched/loss_buffer", global, LoptCeloNative.GlobalLoss, LoptCeloNative.LossBuffer);
        LoadDoubles(state, source, "sched/h", global, LoptCeloNative.GlobalH, CeloWeights.SchedulerHidden);
        LoadDoubles(state, source, "sched/c", global, LoptCeloNative.GlobalC, CeloWeights.SchedulerHidden);
        long step = state.Get("step", source).ToInt64();
        if (step < 0) throw new InvalidDataException($"{source}: tensor 'step' is {step}; expected >= 0.");
        for (int i = 0; i < Tensors.Count; i++) Backend.CopyFromHost(blocks[i], _states[i].View);
        _kernels.WriteGlobal(global);
        StepCount = step;
        _hasLoss = false;
    }

    protected override IReadOnlyDictionary<string, string> StateMetadata => new Dictionary<string, string>
    {
        ["format"] = "learnedopt-celo-state",
        ["version"] = "1",
        ["optimizer"] = "celo",
        ["total_steps"] = TotalSteps.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public override void Dispose()
    {
        _kernels.Dispose();
        foreach (var b in _states) b.Dispose();
        base.Dispose();
    }

    private static SafeTensor Doubles(string name, ReadOnlySpan<double> values)
        => new(name, SafeTensorDType.F64, [values.Length], MemoryMarshal.AsBytes(values).ToArray());

    private static void Load(SafeTensorsFile.Document state, string source, string name, long[] shape, float[] dest, long at, bool nonNegative = false)
    {
        var t = state.Get(name, source);
        if (!t.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"{source}: tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", shape)}].");
        var v = t.ToFloats();
        for (int i = 0; i < v.Length; i++)
            if (!float.IsFinite(v[i]) || (nonNegative && v[i] < 0))
                throw new InvalidDataException($"{source}: tensor '{name}' holds {v[i]} at index {i}; expected a finite{(nonNegative ? ", non-negative" : "")} value.");
        v.CopyTo(dest, at);
    }

    private static void LoadDoubles(SafeTensorsFile.Document state, string source, string name, double[] dest, int at, int length)
    {
        var t = state.Get(name, source);
        if (!t.Shape.SequenceEqual(new long[] { length }))
            throw new InvalidDataException($"{source}: tensor '{name}' has shape {t.ShapeText}, expected [{length}].");
        var v = t.ToDoubles();
        for (int i = 0; i < v.Length; i++)
            if (double.IsNaN(v[i])) throw new InvalidDataException($"{source}: tensor '{name}' holds NaN at index {i}.");
        v.CopyTo(dest, at);
    }
}
