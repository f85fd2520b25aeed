namespace LearnedOpt.Tasks.Batched;

/// <summary>Which distribution <see cref="WrapperKernels.Fill"/> draws from (LOPT_RANDOM_UNIFORM / _GAUSSIAN).</summary>
public enum RandomDraw
{
    /// <summary>Uniform on [0, 1), multiples of 2⁻²⁴.</summary>
    Uniform = 0,

    /// <summary>Standard normal (polar method).</summary>
    Gaussian = 1,
}
