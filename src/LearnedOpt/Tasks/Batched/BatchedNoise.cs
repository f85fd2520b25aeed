using LearnedOpt.Backends;

namespace LearnedOpt.Tasks.Batched;

/// <summary>
/// Gradient noise on a batched problem: a training step's gradient is g + σ·ξ, ξ ~ N(0, I) drawn
/// from the counter-based generator (lopt_random.h) with instance k's seed, the step and this
/// node's stream, so a step replays exactly and both backends draw the same ξ. This is not the
/// float64 FlatTask's xoshiro stream: the two paths see different (equally distributed) noise.
/// Loss, full-data evaluation and HVPs are the inner problem's (additive noise has no derivative).
/// </summary>
public sealed class BatchedNoise : BatchedComposite
{
    private readonly IBatchedProblem _inner;

    public BatchedNoise(IBatchedProblem inner, IReadOnlyList<ulong> seeds, double sigma, uint stream)
        : base((inner ?? throw new ArgumentNullException(nameof(inner))).Backend, inner.Count, inner.Dimension,
               seeds ?? throw new ArgumentNullException(nameof(seeds)))
    {
        if (!(sigma >= 0) || double.IsInfinity(sigma) || float.IsInfinity((float)sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "Gradient noise std must be finite and >= 0.");
        if (stream > WrapperKernels.MaxStream) throw new ArgumentOutOfRangeException(nameof(stream), stream, $"Stream must be <= {WrapperKernels.MaxStream}.");
        _inner = inner;
        Sigma = sigma;
        Stream = stream;
    }

    public double Sigma { get; }

    /// <summary>This node's stream of the generator (distinct per noise/mask node of a composite).</summary>
    public uint Stream { get; }

    public IBatchedProblem Inner => _inner;
    public override bool IsStochastic => Sigma > 0 || Stochastic(_inner);
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
        if (!gradient.IsNull && Sigma > 0) Kernels.Noise(Dimension, step, Stream, (float)Sigma, gradient);
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
        _inner.TrainingHvp(theta, step, v, hv);
    }
}
