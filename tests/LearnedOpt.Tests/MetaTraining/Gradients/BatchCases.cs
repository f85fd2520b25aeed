using LearnedOpt.MetaTraining.Gradients;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// A TBPTT batch on which the lock-step walk is checked against each problem alone (and the CUDA
/// engine against the CPU one): one set of weights; problems with different tensor counts and sizes
/// (some large enough for several GPU blocks), different T, first and second order, with and
/// without checkpoints (some T not a multiple of the checkpoint interval), a tensor skipped at some
/// steps (unusable gradient entries), and a carried state (no h0 gradient).
/// </summary>
internal static class BatchCases
{
    public static (HrnnParameters W, TbpttProblem[] Problems, TbpttOptions[] Options) Make()
    {
        var w = MetaGradTestData.Weights(61, 4, 3);
        var skipsTask = new QuarticLeastSquaresTask([3, 130, 260], 62);
        GradientOracle skips = (t, theta, g) =>
        {
            skipsTask.Loss(theta, g);
            if (t == 1) g[1][5] = double.NaN;
            if (t == 3) g[2][0] = 1e19;
        };
        var carriedTask = new QuarticLeastSquaresTask([4, 90, 33], 63);
        var first = TbpttMetaGradient.Evaluate(w, MetaGradTestData.Problem(carriedTask, 63), 3);
        TbpttProblem[] problems =
        [
            MetaGradTestData.Problem(new QuarticLeastSquaresTask([5, 300, 700], 64), 64),
            MetaGradTestData.Problem(skipsTask, 62, skips),
            new TbpttProblem(carriedTask, first.FinalTheta, first.Losses[0], first.FinalState),
            MetaGradTestData.Problem(new QuarticLeastSquaresTask([7], 65), 65),
            MetaGradTestData.Problem(new QuarticLeastSquaresTask([2, 40], 66), 66),
        ];
        TbpttOptions[] options =
        [
            new(6),
            new(5, CheckpointEvery: 2),
            new(4, FirstOrder: true),
            new(6, CheckpointEvery: 4),
            new(3, FirstOrder: true, CheckpointEvery: 2),
        ];
        return (w, problems, options);
    }
}
