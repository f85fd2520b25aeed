using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Rescale(P, s) batched (docs/tasks.md): f(θ) = f_P(θ/s), so the gradient is ∇f_P(θ/s)/s and
/// the HVP H_P(θ/s)·v/s², for every call (full data, training step, minibatch, training HVP); the
/// inner problem's noise and masks pass through the chain rule (decision 2).
/// </summary>
public sealed class BatchedRescale : BatchedComposite
{
    private readonly IBatchedProblem _inner;
    private readonly TensorView _z;

    public BatchedRescale(IBatchedProblem inner, double scale)
        : base((inner ?? throw new ArgumentNullException(nameof(inner))).Backend, inner.Count, inner.Dimension)
    {
        if (!(scale > 0) || double.IsInfinity(scale) || !((float)scale > 0) || float.IsInfinity((float)(scale * scale)))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "Rescale factor must be > 0 with s and s² finite and non-zero in float32.");
        _inner = inner;
        Scale = scale;
        _z = Scratch((long)Count * Dimension);
    }

    public double Scale { get; }
    public IBatchedProblem Inner => _inner;
    public override bool IsStochastic => Stochastic(_inner);
    protected override IEnumerable<IBatchedProblem> Children => [_inner];

    private float S => (float)Scale;
    private float S2 => (float)(Scale * Scale);

    public override void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        Kernels.Divide(theta, S, _z);
        _inner.Evaluate(_z, loss, gradient);
        if (!gradient.IsNull) Kernels.Divide(gradient, S, gradient);
    }

    public override void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
    {
        CheckHvp(theta, v, hv);
        Kernels.Divide(theta, S, _z);
        _inner.HessianVectorProduct(_z, v, hv);
        Kernels.Divide(hv, S2, hv);
    }

    public override void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        CheckStep(step);
        Kernels.Divide(theta, S, _z);
        _inner.TrainingStep(_z, step, loss, gradient);
        if (!gradient.IsNull) Kernels.Divide(gradient, S, gradient);
    }

    public override void MinibatchStep(TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        CheckStep(step);
        Kernels.Divide(theta, S, _z);
        Minibatch(_inner, _z, step, loss, gradient);
        if (!gradient.IsNull) Kernels.Divide(gradient, S, gradient);
    }

    public override void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv)
    {
        CheckHvp(theta, v, hv);
        CheckStep(step);
        Kernels.Divide(theta, S, _z);
        _inner.TrainingHvp(_z, step, v, hv);
        Kernels.Divide(hv, S2, hv);
    }
}
