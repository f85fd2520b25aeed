using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Sum(P₁..P_m) batched (docs/tasks.md): each instance's vector is the concatenation of its parts'
/// vectors, f = Σⱼ fⱼ(θⱼ) summed in part order. The parts are batched problems of any family over
/// the same instances; every call gathers part j's slice of each instance into a contiguous scratch
/// tensor, evaluates the part and scatters its gradient (or HVP) back, so the gradient and the
/// Hessian are block-diagonal. Each part keeps its own noise and masks (decision 2).
/// </summary>
public sealed class BatchedSum : BatchedComposite
{
    private readonly IBatchedProblem[] _parts;
    private readonly int[] _offsets;
    private readonly TensorView _x, _v, _g, _loss;

    public BatchedSum(IReadOnlyList<IBatchedProblem> parts)
        : base(First(parts).Backend, First(parts).Count, TotalDimension(parts))
    {
        _parts = [.. parts];
        for (int j = 0; j < _parts.Length; j++) RequireInner(_parts[j], $"parts[{j}]");
        _offsets = new int[_parts.Length];
        for (int j = 1; j < _parts.Length; j++) _offsets[j] = _offsets[j - 1] + _parts[j - 1].Dimension;
        long widest = (long)Count * _parts.Max(p => p.Dimension);
        _x = Scratch(widest);
        _v = Scratch(widest);
        _g = Scratch(widest);
        _loss = Scratch(Count);
    }

    public IReadOnlyList<IBatchedProblem> Parts => _parts;

    /// <summary>Start of each part in an instance's vector.</summary>
    public IReadOnlyList<int> Offsets => _offsets;

    public override bool IsStochastic => _parts.Any(Stochastic);
    protected override IEnumerable<IBatchedProblem> Children => _parts;

    private static IBatchedProblem First(IReadOnlyList<IBatchedProblem> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("A sum needs at least one part.", nameof(parts));
        return parts[0] ?? throw new ArgumentException("parts[0] is null.", nameof(parts));
    }

    private static int TotalDimension(IReadOnlyList<IBatchedProblem> parts)
    {
        long d = 0;
        for (int j = 0; j < parts.Count; j++)
            d += (parts[j] ?? throw new ArgumentException($"parts[{j}] is null.", nameof(parts))).Dimension;
        return d <= int.MaxValue ? (int)d : throw new ArgumentException($"The parts have {d} parameters per instance, more than {int.MaxValue}.", nameof(parts));
    }

    private static TensorView Prefix(TensorView t, long length) => new(t.Address, length, t.Location);

    // Loss and gradient of every part through one of the part calls, losses added in part order.
    private void Value(TensorView theta, TensorView loss, TensorView gradient, Action<IBatchedProblem, TensorView, TensorView, TensorView> call)
    {
        for (int j = 0; j < _parts.Length; j++)
        {
            int d = _parts[j].Dimension;
            var x = Prefix(_x, (long)Count * d);
            var g = gradient.IsNull ? None : Prefix(_g, (long)Count * d);
            Kernels.Gather(Dimension, _offsets[j], d, theta, x);
            call(_parts[j], x, loss.IsNull ? None : j == 0 ? loss : _loss, g);
            if (!gradient.IsNull) Kernels.Scatter(Dimension, _offsets[j], d, g, gradient);
            if (!loss.IsNull && j > 0) Kernels.Add(_loss, loss);
        }
    }

    private void Hvp(TensorView theta, TensorView v, TensorView hv, Action<IBatchedProblem, TensorView, TensorView, TensorView> call)
    {
        for (int j = 0; j < _parts.Length; j++)
        {
            int d = _parts[j].Dimension;
            long n = (long)Count * d;
            var (x, pv, phv) = (Prefix(_x, n), Prefix(_v, n), Prefix(_g, n));
            Kernels.Gather(Dimension, _offsets[j], d, theta, x);
            Kernels.Gather(Dimension, _offsets[j], d, v, pv);
            call(_parts[j], x, pv, phv);
            Kernels.Scatter(Dimension, _offsets[j], d, phv, hv);
        }
    }

    public override void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        Value(theta, loss, gradient, (p, x, l, g) => p.Evaluate(x, l, g));
    }

    public override void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        CheckStep(step);
        Value(theta, loss, gradient, (p, x, l, g) => p.TrainingStep(x, step, l, g));
    }

    public override void MinibatchStep(TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        CheckStep(step);
        Value(theta, loss, gradient, (p, x, l, g) => Minibatch(p, x, step, l, g));
    }

    public override void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
    {
        CheckHvp(theta, v, hv);
        Hvp(theta, v, hv, (p, x, pv, phv) => p.HessianVectorProduct(x, pv, phv));
    }

    public override void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv)
    {
        CheckHvp(theta, v, hv);
        CheckStep(step);
        Hvp(theta, v, hv, (p, x, pv, phv) => p.TrainingHvp(x, step, pv, phv));
    }
}
