using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Log(P) batched (docs/tasks.md): f = ln(f_P + ε) − ln ε with ε = 10⁻⁶; the gradient is
/// g_P/d with d = f_P + ε (the inner training gradient, noise included, in a training step). The
/// HVP is H_P v/d − ∇f_P (∇f_P·v)/d²; the training HVP is the Jacobian of the training gradient,
/// J_Pᵀv/d − ∇f_P (g̃_P·v)/d² with g̃_P the inner training gradient (noise and masks included) and
/// ∇f_P the noise- and mask-free minibatch gradient (as LogTask.TrainingHvp).
/// </summary>
public sealed class BatchedLog : BatchedComposite
{
    private readonly IBatchedProblem _inner;
    private readonly TensorView _innerLoss;
    private readonly TensorView _g;
    private readonly TensorView _gExact;

    public BatchedLog(IBatchedProblem inner)
        : base((inner ?? throw new ArgumentNullException(nameof(inner))).Backend, inner.Count, inner.Dimension)
    {
        _inner = inner;
        _innerLoss = Scratch(Count);
        _g = Scratch((long)Count * Dimension);
        _gExact = Stochastic(inner) ? Scratch((long)Count * Dimension) : _g;
    }

    public IBatchedProblem Inner => _inner;
    public override bool IsStochastic => Stochastic(_inner);
    protected override IEnumerable<IBatchedProblem> Children => [_inner];

    public override void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        _inner.Evaluate(theta, _innerLoss, gradient);
        Kernels.Log(Dimension, _innerLoss, loss, gradient);
    }

    public override void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        CheckStep(step);
        _inner.TrainingStep(theta, step, _innerLoss, gradient);
        Kernels.Log(Dimension, _innerLoss, loss, gradient);
    }

    public override void MinibatchStep(TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        CheckStep(step);
        Minibatch(_inner, theta, step, _innerLoss, gradient);
        Kernels.Log(Dimension, _innerLoss, loss, gradient);
    }

    public override void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
    {
        CheckHvp(theta, v, hv);
        _inner.Evaluate(theta, _innerLoss, _g);
        _inner.HessianVectorProduct(theta, v, hv);
        Kernels.LogHvp(Dimension, _innerLoss, _g, _g, v, hv);
    }

    public override void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv)
    {
        CheckHvp(theta, v, hv);
        CheckStep(step);
        _inner.TrainingStep(theta, step, _innerLoss, _g);
        if (Stochastic(_inner)) Minibatch(_inner, theta, step, None, _gExact);
        _inner.TrainingHvp(theta, step, v, hv);
        Kernels.LogHvp(Dimension, _innerLoss, _g, _gExact, v, hv);
    }
}
