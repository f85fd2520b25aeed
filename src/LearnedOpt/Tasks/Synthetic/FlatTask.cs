using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// Base of the synthetic families: the math works on one flat vector (the parameter tensors
/// concatenated in order, row-major), and this class adapts it to the tensor-list interface.
/// An empty gradient span means "loss only". Gradient noise g + σξ is added in
/// <see cref="TrainingValue"/>; wrappers call their sub-problems' TrainingValue, so noise set
/// inside a sub-problem is passed through (decision 2). Minibatch rows depend on rng.Seed and the
/// step only; noise and sparsity masks are drawn from the rng's stream, so a training step
/// replays exactly when it is given an rng in the same state (e.g. rng.Stream(step), which keeps
/// the seed, so consecutive steps read disjoint batches of one epoch permutation).
/// </summary>
public abstract class FlatTask : ITaskWithHessian
{
    protected FlatTask(string name, string family, IReadOnlyList<TensorSpec> parameters, double noiseStd)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!(noiseStd >= 0) || double.IsInfinity(noiseStd))
            throw new ArgumentOutOfRangeException(nameof(noiseStd), noiseStd, "Gradient noise std must be finite and >= 0.");
        Name = name;
        Family = family;
        Parameters = parameters;
        NoiseStd = noiseStd;
        Size = checked((int)parameters.Sum(p => p.Length));
    }

    public string Name { get; }
    public string Family { get; }
    public IReadOnlyList<TensorSpec> Parameters { get; }
    public virtual int BatchSize => 0;

    /// <summary>σ of the additive Gaussian gradient noise of a training step.</summary>
    public double NoiseStd { get; }

    /// <summary>Total number of scalar parameters (the flat length).</summary>
    public int Size { get; }

    /// <summary>Exact, noise-free full-data loss; fills <paramref name="grad"/> unless it is empty.</summary>
    public abstract double Value(ReadOnlySpan<double> x, Span<double> grad);

    /// <summary>hv = ∇²f(x)·v of the full-data loss.</summary>
    public abstract void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv);

    /// <summary>Writes a draw of the initial-point distribution.</summary>
    public abstract void SampleInitial(Rng rng, Span<double> x);

    /// <summary>The loss and gradient a training step sees: minibatch value plus gradient noise.</summary>
    public virtual double TrainingValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step)
    {
        CheckLength(grad, nameof(grad));
        ArgumentNullException.ThrowIfNull(rng);
        double f = MinibatchValue(x, grad, rng, step);
        if (NoiseStd > 0)
            for (int i = 0; i < grad.Length; i++) grad[i] += NoiseStd * rng.NextGaussian();
        return f;
    }

    /// <summary>
    /// Noise-free (and mask-free) loss and gradient on the minibatch of <paramref name="step"/>;
    /// data-free tasks use the full loss.
    /// </summary>
    protected internal virtual double MinibatchValue(ReadOnlySpan<double> x, Span<double> grad, Rng rng, long step) => Value(x, grad);

    /// <summary>
    /// hv = J_tᵀ·v, where J_t is the Jacobian with respect to x of the training gradient that
    /// <see cref="TrainingValue"/> returns for <paramref name="step"/> when given an rng in the state
    /// <paramref name="rng"/> is in now: the minibatch Hessian, with the sparsity mask and the
    /// wrappers' chain rules applied (additive noise has no derivative). Backpropagation through an
    /// inner gradient step needs exactly this. Works on copies: <paramref name="rng"/> is not advanced.
    /// </summary>
    public virtual void TrainingHvp(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> hv, Rng rng, long step) => Hvp(x, v, hv);

    /// <summary>An independent generator in the same state as <paramref name="rng"/>, to replay its draws.</summary>
    protected static Rng Replica(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var copy = new Rng(rng.Seed);
        copy.LoadState(rng.SaveState());
        return copy;
    }

    public double[][] SampleInitialPoint(Rng rng)
    {
        var x = new double[Size];
        SampleInitial(rng, x);
        return Split(x);
    }

    public double Loss(IReadOnlyList<double[]> theta, IReadOnlyList<double[]>? gradient)
    {
        var x = Concat(theta, nameof(theta));
        if (gradient == null) return Value(x, Span<double>.Empty);
        var g = new double[Size];
        double f = Value(x, g);
        Scatter(g, gradient, nameof(gradient));
        return f;
    }

    public double TrainingLoss(IReadOnlyList<double[]> theta, IReadOnlyList<double[]> gradient, Rng rng, long step)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        var g = new double[Size];
        double f = TrainingValue(Concat(theta, nameof(theta)), g, rng, step);
        Scatter(g, gradient, nameof(gradient));
        return f;
    }

    public void HessianVectorProduct(IReadOnlyList<double[]> theta, IReadOnlyList<double[]> v, IReadOnlyList<double[]> result)
    {
        var hv = new double[Size];
        Hvp(Concat(theta, nameof(theta)), Concat(v, nameof(v)), hv);
        Scatter(hv, result, nameof(result));
    }

    /// <summary>The flat vector cut into the parameter tensors.</summary>
    public double[][] Split(ReadOnlySpan<double> x)
    {
        CheckLength(x, nameof(x));
        var result = new double[Parameters.Count][];
        int offset = 0;
        for (int t = 0; t < Parameters.Count; t++)
        {
            int n = (int)Parameters[t].Length;
            result[t] = x.Slice(offset, n).ToArray();
            offset += n;
        }
        return result;
    }

    /// <summary>The parameter tensors concatenated into one flat vector, shapes checked.</summary>
    public double[] Concat(IReadOnlyList<double[]> tensors, string argument)
    {
        ArgumentNullException.ThrowIfNull(tensors, argument);
        if (tensors.Count != Parameters.Count)
            throw new ArgumentException($"Task '{Name}' has {Parameters.Count} parameter tensors, got {tensors.Count}.", argument);
        var x = new double[Size];
        int offset = 0;
        for (int t = 0; t < Parameters.Count; t++)
        {
            int n = (int)Parameters[t].Length;
            if (tensors[t] == null || tensors[t].Length != n)
                throw new ArgumentException($"Task '{Name}': tensor '{Parameters[t].Name}' needs {n} values, got {tensors[t]?.Length.ToString() ?? "null"}.", argument);
            tensors[t].CopyTo(x, offset);
            offset += n;
        }
        return x;
    }

    private void Scatter(ReadOnlySpan<double> flat, IReadOnlyList<double[]> tensors, string argument)
    {
        ArgumentNullException.ThrowIfNull(tensors, argument);
        if (tensors.Count != Parameters.Count)
            throw new ArgumentException($"Task '{Name}' has {Parameters.Count} parameter tensors, got {tensors.Count}.", argument);
        int offset = 0;
        for (int t = 0; t < Parameters.Count; t++)
        {
            int n = (int)Parameters[t].Length;
            if (tensors[t] == null || tensors[t].Length != n)
                throw new ArgumentException($"Task '{Name}': tensor '{Parameters[t].Name}' needs {n} values, got {tensors[t]?.Length.ToString() ?? "null"}.", argument);
            flat.Slice(offset, n).CopyTo(tensors[t]);
            offset += n;
        }
    }

    protected void CheckLength(ReadOnlySpan<double> span, string argument)
    {
        if (span.Length != Size)
            throw new ArgumentException($"Task '{Name}' has {Size} parameters, the span '{argument}' has {span.Length}.", argument);
    }

    protected static void FillGaussian(Rng rng, Span<double> x, double std = 1.0)
    {
        for (int i = 0; i < x.Length; i++) x[i] = std * rng.NextGaussian();
    }
}
