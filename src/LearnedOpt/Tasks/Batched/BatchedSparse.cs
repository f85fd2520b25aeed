using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Sparse(P, q) batched (docs/tasks.md): the same loss; at every training step each gradient
/// element is zeroed with probability q, the mask drawn from the counter-based generator with
/// instance k's seed, the step and this node's stream (not FlatTask's xoshiro stream; the same on
/// every backend). TrainingHvp applies the same mask: Jᵀv = J_Pᵀ(m ⊙ v).
/// </summary>
public sealed class BatchedSparse : BatchedComposite
{
    private readonly IBatchedProblem _inner;
    private readonly TensorView _masked;

    public BatchedSparse(IBatchedProblem inner, IReadOnlyList<ulong> seeds, double dropProbability, uint stream)
        : base((inner ?? throw new ArgumentNullException(nameof(inner))).Backend, inner.Count, inner.Dimension,
               seeds ?? throw new ArgumentNullException(nameof(seeds)))
    {
        if (!(dropProbability >= 0 && dropProbability < 1) || !((float)dropProbability < 1))
            throw new ArgumentOutOfRangeException(nameof(dropProbability), dropProbability, "Drop probability must be in [0, 1).");
        if (stream > WrapperKernels.MaxStream) throw new ArgumentOutOfRangeException(nameof(stream), stream, $"Stream must be <= {WrapperKernels.MaxStream}.");
        _inner = inner;
        DropProbability = dropProbability;
        Stream = stream;
        _masked = Scratch((long)Count * Dimension);
    }

    public double DropProbability { get; }
    public uint Stream { get; }
    public IBatchedProblem Inner => _inner;
    public override bool IsStochastic => true;
    protected override IEnumerable<IBatchedProblem> Children => [_inner];

    public override void Evaluate(TensorView theta, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        _inner.Evaluate(theta, loss, gradient);
    }

    public override void HessianVectorProduct(TensorView theta, TensorView v, TensorView hv)
    {
        CheckHvp(theta, v, hv);
        _inner.HessianVectorProduct(theta, v, hv);
    }

    public override void TrainingStep(TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        CheckStep(step);
        _inner.TrainingStep(theta, step, loss, gradient);
        if (!gradient.IsNull) Kernels.Mask(Dimension, step, Stream, (float)DropProbability, gradient, gradient);
    }

    public override void MinibatchStep(TensorView theta, long step, TensorView loss, TensorView gradient)
    {
        Check(theta, loss, gradient);
        CheckStep(step);
        Minibatch(_inner, theta, step, loss, gradient);
    }

    public override void TrainingHvp(TensorView theta, long step, TensorView v, TensorView hv)
    {
        CheckHvp(theta, v, hv);
        CheckStep(step);
        Kernels.Mask(Dimension, step, Stream, (float)DropProbability, v, _masked);
        _inner.TrainingHvp(theta, step, _masked, hv);
    }
}
