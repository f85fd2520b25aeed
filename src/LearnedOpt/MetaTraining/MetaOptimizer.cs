namespace LearnedOpt.MetaTraining;

/// <summary>The optimizer of φ: one descent step per cleaned meta-gradient; its state goes into checkpoints.</summary>
public abstract class MetaOptimizer
{
    public abstract string Name { get; }

    public long Steps { get; protected set; }

    public abstract void Step(float[] phi, ReadOnlySpan<float> gradient);

    public abstract void Save(StateBag bag, string prefix);

    public abstract void Load(StateBag bag, string prefix);

    public static MetaOptimizer Create(string name, int length, double learningRate) => name switch
    {
        "adam" => new MetaAdam(length, learningRate),
        "rmsprop-reference" => new ReferenceRmsProp(length),
        _ => throw new ArgumentException($"Unknown meta-optimizer '{name}'; known: adam, rmsprop-reference.", nameof(name)),
    };
}

/// <summary>Adam (β = 0.9, 0.999, ε = 1e-8) with bias correction, state in float64.</summary>
public sealed class MetaAdam : MetaOptimizer
{
    private readonly double[] _m, _v;
    private readonly double _lr;

    public MetaAdam(int length, double learningRate)
    {
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The meta learning rate must be finite and > 0.");
        _m = new double[length];
        _v = new double[length];
        _lr = learningRate;
    }

    public override string Name => "adam";

    public override void Step(float[] phi, ReadOnlySpan<float> gradient)
    {
        if (gradient.Length != _m.Length || phi.Length != _m.Length)
            throw new ArgumentException($"Adam holds {_m.Length} values; got phi {phi.Length}, gradient {gradient.Length}.", nameof(gradient));
        Steps++;
        double c1 = 1 - Math.Pow(0.9, Steps), c2 = 1 - Math.Pow(0.999, Steps);
        for (int i = 0; i < phi.Length; i++)
        {
            _m[i] = 0.9 * _m[i] + 0.1 * gradient[i];
            _v[i] = 0.999 * _v[i] + 0.001 * gradient[i] * (double)gradient[i];
            phi[i] = (float)(phi[i] - _lr * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + 1e-8));
        }
    }

    public override void Save(StateBag bag, string prefix)
    {
        bag.SetDoubles($"{prefix}m", _m);
        bag.SetDoubles($"{prefix}v", _v);
        bag.SetLongs($"{prefix}steps", [Steps]);
    }

    public override void Load(StateBag bag, string prefix)
    {
        bag.GetDoubles($"{prefix}m", _m.Length).CopyTo(_m, 0);
        bag.GetDoubles($"{prefix}v", _v.Length).CopyTo(_v, 0);
        Steps = bag.GetLongs($"{prefix}steps", 1)[0];
    }
}

/// <summary>
/// The HRNN reference's TF1 RMSProp (docs/meta-training.md): lr 1e-6, decay 0.9, ε 1e-20,
/// accumulator initialised to 1: ms ← 0.9·ms + 0.1·g², φ ← φ − lr·g/√(ms + ε).
/// </summary>
public sealed class ReferenceRmsProp : MetaOptimizer
{
    public const double LearningRate = 1e-6, Decay = 0.9, Epsilon = 1e-20;
    private readonly double[] _ms;

    public ReferenceRmsProp(int length)
    {
        _ms = new double[length];
        Array.Fill(_ms, 1.0);
    }

    public override string Name => "rmsprop-reference";

    public override void Step(float[] phi, ReadOnlySpan<float> gradient)
    {
        if (gradient.Length != _ms.Length || phi.Length != _ms.Length)
            throw new ArgumentException($"RMSProp holds {_ms.Length} values; got phi {phi.Length}, gradient {gradient.Length}.", nameof(gradient));
        Steps++;
        for (int i = 0; i < phi.Length; i++)
        {
            _ms[i] = Decay * _ms[i] + (1 - Decay) * gradient[i] * (double)gradient[i];
            phi[i] = (float)(phi[i] - LearningRate * gradient[i] / Math.Sqrt(_ms[i] + Epsilon));
        }
    }

    public override void Save(StateBag bag, string prefix)
    {
        bag.SetDoubles($"{prefix}ms", _ms);
        bag.SetLongs($"{prefix}steps", [Steps]);
    }

    public override void Load(StateBag bag, string prefix)
    {
        bag.GetDoubles($"{prefix}ms", _ms.Length).CopyTo(_ms, 0);
        Steps = bag.GetLongs($"{prefix}steps", 1)[0];
    }
}
