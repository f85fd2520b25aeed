using LearnedOpt.Interop;

namespace LearnedOpt.Cpu;

/// <summary>
/// The sizes the native HRNN step and its float64 adjoint are compiled with (lopt_hrnn.h,
/// lopt_hrnn_grad.h), for the optimizer and meta-training code, which does not see the raw bindings.
/// </summary>
internal static class HrnnLayout
{
    /// <summary>Parameter-RNN hidden size and number of momentum timescales.</summary>
    public const int H0 = LoptHrnnNative.H0, S = LoptHrnnNative.S;

    /// <summary>Floats per coordinate in a tensor's state block, and the rows of m, v, β, η and ℓ in it.</summary>
    public const int BlockFloats = LoptHrnnNative.BlockFloats;
    public const int RowM = LoptHrnnNative.RowM, RowV = LoptHrnnNative.RowV, RowBeta = LoptHrnnNative.RowBeta,
        RowEta = LoptHrnnNative.RowEta, RowEll = LoptHrnnNative.RowEll;

    /// <summary>
    /// The float64 adjoint's buffers: per-coordinate weights in the packed weight vector, forward sums
    /// per tensor (Σd², Σh', Σx) and adjoint accumulators per tensor (weight gradients, ē0, μ̄, λ̄).
    /// </summary>
    public const int CoordinateWeights = LoptHrnnGradNative.CoordWeights, ForwardSums = LoptHrnnGradNative.Sums,
        AdjointAccumulators = LoptHrnnGradNative.Accumulators;
}
