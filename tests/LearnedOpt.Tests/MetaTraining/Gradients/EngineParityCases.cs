using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Randomness;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// TBPTT problems on which two engines (or the unroll and the independent reference) are
/// compared: the meta-grad least-squares problem, a 3-tensor problem with tensors large enough for
/// several GPU blocks, and one whose inner gradient is unusable at some steps (tensors skipped).
/// </summary>
internal static class EngineParityCases
{
    public static readonly string[] Names = ["least-squares", "three-tensor", "three-tensor-skips", "carried-state"];

    public static (HrnnParameters W, TbpttProblem Problem) Make(string name)
    {
        switch (name)
        {
            case "least-squares":
            {
                const int m = 30, n = 300;
                var rng = new Rng(41);
                var a = Enumerable.Range(0, m * n).Select(_ => rng.Gaussian(0, 1) / Math.Sqrt(n)).ToArray();
                var b = Enumerable.Range(0, m).Select(_ => rng.Gaussian(0, 1)).ToArray();
                var task = new LeastSquaresTask(a, b, m, n);
                var x0 = Enumerable.Range(0, n).Select(_ => rng.Gaussian(0, 1)).ToArray();
                return (MetaGradTestData.Weights(41, 8, 6), new TbpttProblem(task, [x0], task.Loss([x0], null), InitialLogLr: -3.0));
            }
            case "three-tensor":
            {
                var task = new QuarticLeastSquaresTask([5, 300, 700], 43);
                return (MetaGradTestData.Weights(43, 4, 3), MetaGradTestData.Problem(task, 43));
            }
            case "three-tensor-skips":
            {
                var task = new QuarticLeastSquaresTask([3, 130, 260], 47);
                GradientOracle oracle = (t, theta, g) =>
                {
                    task.Loss(theta, g);
                    if (t == 1) g[1][5] = double.NaN;
                    if (t == 3) g[2][0] = 1e19;
                };
                return (MetaGradTestData.Weights(47, 4, 3), MetaGradTestData.Problem(task, 47, oracle));
            }
            case "carried-state":
            {
                // A later truncation: the state entering it is a constant (no h0 gradient).
                var task = new QuarticLeastSquaresTask([4, 90, 33], 53);
                var w = MetaGradTestData.Weights(53, 4, 3);
                var first = TbpttMetaGradient.Evaluate(w, MetaGradTestData.Problem(task, 53), 3);
                return (w, new TbpttProblem(task, first.FinalTheta, first.Losses[0], first.FinalState));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "unknown parity case");
        }
    }

    /// <summary>Every case with and without second-order terms, one tape and checkpoints every 2 steps.</summary>
    public static TheoryData<string, bool, int> All()
    {
        var data = new TheoryData<string, bool, int>();
        foreach (var name in Names)
            foreach (bool firstOrder in new[] { false, true })
                foreach (int every in new[] { 0, 2 })
                    data.Add(name, firstOrder, every);
        return data;
    }

    public const int Steps = 5;
}
