using LearnedOpt.Backends;
using LearnedOpt.Cpu;
using LearnedOpt.Interop;
using LearnedOpt.IO;
using LearnedOpt.Tensors;

namespace LearnedOpt.Optimizers;

/// <summary>
/// SGD (with momentum, dampening and Nesterov), RMSProp (plain or centered), Adam and AdamW (with
/// or without amsgrad), Adagrad, Adamax, NAdam, RAdam, PowerSign and AddSign as fused single-pass
/// steps on either backend. State names follow torch.optim (exp_avg, exp_avg_sq, max_exp_avg_sq,
/// square_avg, grad_avg, momentum_buffer, sum, exp_inf) as <c>&lt;tensor&gt;/&lt;slot&gt;</c>, plus the
/// I64 step counter <c>step</c>.
/// </summary>
public sealed class HandDesignedOptimizer : Optimizer
{
    private readonly NativeOptimizer _native;
    private LoptHParams _hp;
    private readonly string[] _slots;
    private readonly DeviceBuffer[][] _state;

    public HandDesignedOptimizer(OptimizerKind kind, IBackend backend, IReadOnlyList<TensorSpec> tensors, HyperParameters hyperParameters)
        : base(backend, tensors)
    {
        ArgumentNullException.ThrowIfNull(hyperParameters);
        if (kind == OptimizerKind.Hrnn) throw new ArgumentException("hrnn is a learned optimizer; use HrnnOptimizer.", nameof(kind));
        if (kind == OptimizerKind.Celo) throw new ArgumentException("celo is a learned optimizer; use CeloOptimizer.", nameof(kind));
        hyperParameters.Validate(kind);
        Kind = kind;
        HyperParameters = hyperParameters;
        _native = kind switch
        {
            OptimizerKind.Sgd or OptimizerKind.Momentum or OptimizerKind.Nesterov =>
                hyperParameters.Momentum > 0 ? NativeOptimizer.SgdMomentum : NativeOptimizer.Sgd,
            OptimizerKind.RmsProp => hyperParameters.Centered ? NativeOptimizer.RmsPropCentered : NativeOptimizer.RmsProp,
            OptimizerKind.Adam => hyperParameters.Amsgrad ? NativeOptimizer.AdamAmsgrad : NativeOptimizer.Adam,
            OptimizerKind.AdamW => hyperParameters.Amsgrad ? NativeOptimizer.AdamWAmsgrad : NativeOptimizer.AdamW,
            OptimizerKind.PowerSign => NativeOptimizer.PowerSign,
            OptimizerKind.AddSign => NativeOptimizer.AddSign,
            OptimizerKind.Adagrad => NativeOptimizer.Adagrad,
            OptimizerKind.Adamax => NativeOptimizer.Adamax,
            OptimizerKind.NAdam => NativeOptimizer.NAdam,
            OptimizerKind.RAdam => NativeOptimizer.RAdam,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a hand-designed optimizer"),
        };
        _hp = hyperParameters.ToNative();
        _slots = SlotNames(_native, hyperParameters);
        _state = Tensors.Select(t => _slots.Select(_ => backend.Allocate(t.Length)).ToArray()).ToArray();
        if (_native == NativeOptimizer.Adagrad && hyperParameters.InitialAccumulator != 0)
            for (int i = 0; i < Tensors.Count; i++)
                backend.CopyFromHost(Enumerable.Repeat(hyperParameters.InitialAccumulator, checked((int)Tensors[i].Length)).ToArray(), _state[i][0].View);
    }

    public OptimizerKind Kind { get; }
    public HyperParameters HyperParameters { get; }

    /// <summary>
    /// The learning rate of the next steps: <see cref="HyperParameters"/>' Lr until set (a
    /// learning-rate schedule sets it before each step; it enters every per-step scalar that lr does).
    /// </summary>
    public float LearningRate
    {
        get => _hp.Lr;
        set
        {
            if (!float.IsFinite(value) || value < 0)
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be finite and >= 0.");
            _hp.Lr = value;
        }
    }

    /// <summary>Read p, g and each state slot; write p and each slot (Adam: 28 B).</summary>
    public override double BytesPerParameter => sizeof(float) * (3 + 2 * _slots.Length);

    /// <summary>Per-tensor state slots, in kernel order (s0, s1, s2).</summary>
    public IReadOnlyList<string> StateSlots => _slots;

    private static string[] SlotNames(NativeOptimizer kind, HyperParameters hp) => kind switch
    {
        NativeOptimizer.Sgd => [],
        NativeOptimizer.SgdMomentum => ["momentum_buffer"],
        NativeOptimizer.RmsProp => hp.Momentum > 0 ? ["square_avg", "momentum_buffer"] : ["square_avg"],
        NativeOptimizer.Adam or NativeOptimizer.AdamW or NativeOptimizer.NAdam or NativeOptimizer.RAdam => ["exp_avg", "exp_avg_sq"],
        NativeOptimizer.AdamAmsgrad or NativeOptimizer.AdamWAmsgrad => ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
        NativeOptimizer.RmsPropCentered => hp.Momentum > 0 ? ["square_avg", "grad_avg", "momentum_buffer"] : ["square_avg", "grad_avg"],
        NativeOptimizer.Adagrad => ["sum"],
        NativeOptimizer.Adamax => ["exp_avg", "exp_inf"],
        _ => ["exp_avg"],
    };

    /// <summary>The per-step scalars of step <paramref name="t"/>, computed by the native library (one definition for both backends).</summary>
    internal LoptCoef Coefficients(long t) => CpuOptimizers.Coefficients(_native, _hp, t);

    protected override void StepCore(ReadOnlySpan<TensorView> parameters, ReadOnlySpan<TensorView> gradients)
    {
        var coef = Coefficients(StepCount + 1);
        var none = TensorView.None(Backend.Location);
        for (int i = 0; i < Tensors.Count; i++)
        {
            var s = _state[i];
            Backend.Kernels.OptimizerStep(_native, coef, parameters[i], gradients[i], s.Length > 0 ? s[0].View : none, s.Length > 1 ? s[1].View : none,
                s.Length > 2 ? s[2].View : none);
        }
        StepCount++;
    }

    public override IReadOnlyList<SafeTensor> ExportState()
    {
        var list = new List<SafeTensor> { SafeTensor.FromInt64("step", StepCount) };
        for (int i = 0; i < Tensors.Count; i++)
            for (int j = 0; j < _slots.Length; j++)
            {
                var host = new float[Tensors[i].Length];
                Backend.CopyToHost(_state[i][j].View, host);
                list.Add(SafeTensor.FromFloats($"{Tensors[i].Name}/{_slots[j]}", Tensors[i].Shape, host));
            }
        return list;
    }

    public override void ImportState(SafeTensorsFile.Document state, string source)
    {
        var expected = new HashSet<string> { "step" };
        for (int i = 0; i < Tensors.Count; i++)
            foreach (var slot in _slots) expected.Add($"{Tensors[i].Name}/{slot}");
        var extra = state.Tensors.FirstOrDefault(t => !expected.Contains(t.Name));
        if (extra != null) throw new InvalidDataException($"{source}: unexpected tensor '{extra.Name}' for {OptimizerNames.Name(Kind)} state.");

        var step = state.Get("step", source).ToInt64();
        if (step < 0) throw new InvalidDataException($"{source}: tensor 'step' holds {step}, expected >= 0.");
        var loaded = new List<(int, int, float[])>();
        for (int i = 0; i < Tensors.Count; i++)
            for (int j = 0; j < _slots.Length; j++)
            {
                var name = $"{Tensors[i].Name}/{_slots[j]}";
                var t = state.Get(name, source);
                if (t.ElementCount != Tensors[i].Length)
                    throw new InvalidDataException($"{source}: tensor '{name}' has shape {t.ShapeText}, expected [{string.Join(", ", Tensors[i].Shape)}].");
                loaded.Add((i, j, t.ToFloats()));
            }
        foreach (var (i, j, values) in loaded) Backend.CopyFromHost(values, _state[i][j].View);
        StepCount = step;
    }

    protected override IReadOnlyDictionary<string, string> StateMetadata => new Dictionary<string, string>
    {
        ["format"] = "learnedopt-optimizer-state",
        ["version"] = "1",
        ["optimizer"] = OptimizerNames.Name(Kind),
    };

    public override void Dispose()
    {
        foreach (var s in _state)
            foreach (var b in s) b.Dispose();
        base.Dispose();
    }
}
