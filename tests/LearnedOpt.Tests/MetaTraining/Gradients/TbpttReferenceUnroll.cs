using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Tests.Hrnn;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// The TBPTT meta-objective of one problem, written from the math alone: T steps of the
/// independent float64 HRNN step (<see cref="HrnnReference"/>, no code shared with src/ or native/)
/// fed the problem's inner gradients, and the log meta-objective
/// M = (1/(T+1)) Σ_j ln(F(θ_j)/(F_init + 1e-6) + 1e-6) over θ_0 … θ_T.
/// Central differences of M check the production meta-gradient without trusting its forward.
/// Only problems that start from the initial state (State0 null) are supported.
/// </summary>
internal static class TbpttReferenceUnroll
{
    private const double Epsilon = 1e-6;

    public sealed record Result(double MetaLoss, double[] Losses, double[][] FinalTheta, double[][][] InnerGradients);

    /// <summary>
    /// Runs T steps. With <paramref name="fixedGradients"/> the inner gradients are those, not the
    /// oracle's (first order: the gradient fed is a constant of the weights).
    /// </summary>
    public static Result Run(HrnnParameters w, TbpttProblem problem, int steps, double[][][]? fixedGradients = null)
    {
        if (problem.State0 != null) throw new ArgumentException("The reference starts from the initial state only.", nameof(problem));
        var task = problem.Task;
        var lengths = problem.Theta0.Select(t => (long)t.Length).ToArray();
        var weights = w.Layout.ToDictionary(e => e.Name, e => w[e.Name]);
        var hrnn = new HrnnReference(weights, w.H1, w.H2, lengths, problem.InitialLogLr ?? (float)Math.Log(1e-4));  // ℓ₀ = ln 1e-4, stored as a float32 by the optimizer
        var theta = problem.Theta0.Select(t => (double[])t.Clone()).ToArray();
        var losses = new double[steps + 1];
        var fed = new double[steps][][];
        losses[0] = task.Loss(theta, null);
        for (int t = 0; t < steps; t++)
        {
            var g = theta.Select(x => new double[x.Length]).ToArray();
            if (fixedGradients != null) for (int q = 0; q < g.Length; q++) fixedGradients[t][q].CopyTo(g[q], 0);
            else if (problem.Oracle != null) problem.Oracle(t, theta, g);
            else task.Loss(theta, g);
            fed[t] = g.Select(x => (double[])x.Clone()).ToArray();
            var delta = hrnn.Step(g);
            for (int q = 0; q < theta.Length; q++)
                for (int i = 0; i < theta[q].Length; i++) theta[q][i] -= delta[q][i];
            losses[t + 1] = task.Loss(theta, null);
        }
        double m = losses.Sum(q => Math.Log(q / (problem.InitialLoss + Epsilon) + Epsilon)) / (steps + 1);
        return new Result(m, losses, theta, fed);
    }
}
