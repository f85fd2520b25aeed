namespace LearnedOpt.MetaTraining.Gradients;

/// <summary>
/// The outcome of one truncation: M, dM/dφ for every weight tensor (no clipping or non-finite
/// filtering), the exact losses q = [F(θ₀), …, F(θ_T)], the gradients the optimizer was fed, and θ_T
/// and the state to carry into the next truncation.
/// </summary>
public sealed class TbpttResult
{
    public required double MetaLoss { get; init; }
    public required HrnnParameters Gradient { get; init; }
    public required double[] Losses { get; init; }
    public required double[][][] InnerGradients { get; init; }
    public required double[][] FinalTheta { get; init; }
    public required TbpttHrnnState FinalState { get; init; }
}
