using LearnedOpt.MetaTraining.Gradients;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// TBPTT through a stochastic unroll (minibatches, sparsity masks, gradient noise drawn from a fixed
/// data seed, float64): with the oracle's own Hessian (<see cref="TrainingOracle"/>) the meta-gradient
/// matches central differences of the meta-objective of that same unroll, and with the full-data
/// Hessian it visibly does not (so the check can tell the two apart).
/// </summary>
[Trait("tier", "cpu")]
public class TbpttTrainingHessianTests
{
    private const double H = 1e-6, Rel = 1e-5, Abs = 1e-9;

    public static TheoryData<string> Tasks => new() { "minibatch-logistic", "sparse-quartic", "noisy-minibatch-mlp" };

    private static FlatTask Make(string name) => name switch
    {
        "minibatch-logistic" => new ClassifierTask("logistic", SyntheticDataset.MakeClassification(40, 4, 1.0, 3), [], 8),
        "sparse-quartic" => new SparseTask(new QuarticLeastSquaresTask([4, 3], 7), 0.5),
        "noisy-minibatch-mlp" => new ClassifierTask("mlp", SyntheticDataset.RandomMlp(40, 3, 5), [3], 8, noiseStd: 0.2),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown test task"),
    };

    [Theory]
    [MemberData(nameof(Tasks))]
    public void TrainingHessianMatchesCentralDifferencesOfTheStochasticUnroll(string name)
    {
        const int steps = 5;
        const ulong dataSeed = 1234;
        var task = Make(name);
        var w = MetaGradTestData.Weights(21);
        var theta0 = task.SampleInitialPoint(new Rng(21).Fork("theta0"));
        var problem = TrainingOracle.Problem(task, theta0, task.Loss(theta0, null), dataSeed, start: 3, initialLogLr: -2.0);
        var exact = TbpttMetaGradient.Compute(w, problem, new TbpttOptions(steps));
        var fullHessian = TbpttMetaGradient.Compute(w, problem with { TrainingHessian = null }, new TbpttOptions(steps));
        Assert.True(double.IsFinite(exact.MetaLoss));
        Assert.True(exact.Losses[^1] < exact.Losses[0], $"the unroll should make progress: {string.Join(", ", exact.Losses)}");

        var rng = new Rng(21).Fork(name);
        double worstFull = 0;
        for (int dir = 0; dir < 4; dir++)
        {
            var u = HrnnParameters.Zeros(w.H1, w.H2);
            foreach (var (n, _) in u.Layout)
                for (int i = 0; i < u[n].Length; i++) u[n][i] = rng.NextGaussian();
            u.Add(u, 1.0 / u.Norm() - 1);
            var plus = w.Clone();
            plus.Add(u, H);
            var minus = w.Clone();
            minus.Add(u, -H);
            // The oracle replays each step's minibatch/mask/noise, so M is a smooth function of φ.
            double fd = (TbpttMetaGradient.Evaluate(plus, problem, steps).MetaLoss - TbpttMetaGradient.Evaluate(minus, problem, steps).MetaLoss) / (2 * H);
            double an = MetaGradTestData.Dot(exact.Gradient, u);
            double scale = Math.Max(Math.Abs(fd), Math.Abs(an));
            Assert.True(Math.Abs(fd) > 1e-6, $"direction {dir}: derivative {fd} too small to test");
            Assert.True(Math.Abs(fd - an) <= Rel * scale + Abs, $"{name}, direction {dir}: TBPTT {an:R} vs central difference {fd:R}");
            worstFull = Math.Max(worstFull, Math.Abs(fd - MetaGradTestData.Dot(fullHessian.Gradient, u)) / scale);
        }
        Assert.True(worstFull > 20 * Rel, $"{name}: the full-data Hessian should miss the stochastic unroll's derivative, but its worst relative error is only {worstFull:R}");
    }

    [Fact]
    public void OracleReplaysTheTrainingStepOfTheEpisode()
    {
        var task = Make("noisy-minibatch-mlp");
        var theta = task.SampleInitialPoint(new Rng(2));
        var g = theta.Select(t => new double[t.Length]).ToArray();
        TrainingOracle.Gradient(task, 99, start: 10)(4, theta, g);
        var expected = new double[task.Size];
        task.TrainingValue(task.Concat(theta, "theta"), expected, new Rng(99).Stream(14), 14);
        Assert.Equal(expected, g.SelectMany(x => x).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingOracle.Gradient(task, 99, start: -1));
    }
}
