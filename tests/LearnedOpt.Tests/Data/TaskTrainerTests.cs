using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;
using LearnedOpt.Tensors;
using LearnedOpt.Training;

namespace LearnedOpt.Tests.Data;

[Trait("tier", "cpu")]
public class TaskTrainerTests
{
    /// <summary>f = ½‖θ‖² whose gradient is NaN at one chosen step.</summary>
    private sealed class HalfSquare(int poisonedStep) : ITask
    {
        public string Name => "half-square";
        public string Family => "test";
        public IReadOnlyList<TensorSpec> Parameters { get; } = [new TensorSpec("a", 3), new TensorSpec("b", [2, 2])];
        public int BatchSize => 0;

        public double[][] SampleInitialPoint(Rng rng) => Parameters.Select(p => Enumerable.Range(0, (int)p.Length).Select(_ => rng.NextGaussian()).ToArray()).ToArray();

        public double Loss(IReadOnlyList<double[]> theta, IReadOnlyList<double[]>? gradient)
        {
            double f = 0;
            for (int t = 0; t < theta.Count; t++)
                for (int i = 0; i < theta[t].Length; i++)
                {
                    f += 0.5 * theta[t][i] * theta[t][i];
                    if (gradient != null) gradient[t][i] = theta[t][i];
                }
            return f;
        }

        public double TrainingLoss(IReadOnlyList<double[]> theta, IReadOnlyList<double[]> gradient, Rng rng, long step)
        {
            double f = Loss(theta, gradient);
            if (step != poisonedStep) return f;
            foreach (var g in gradient) Array.Fill(g, double.NaN);
            return double.NaN;
        }
    }

    [Fact]
    public void SgdShrinksGeometricallyAndSkipsTheNonFiniteStep()
    {
        var task = new HalfSquare(poisonedStep: 2);
        using var backend = new CpuBackend();
        using var sgd = OptimizerFactory.Create(OptimizerKind.Sgd, backend, task.Parameters, HyperParameters.Defaults(OptimizerKind.Sgd) with { Lr = 0.1f });
        var run = TaskTrainer.Run(task, sgd, seed: 9, steps: 6);

        // θ ← θ − 0.1θ on every step but the poisoned one, which leaves θ and the state untouched.
        var init = task.SampleInitialPoint(new Rng(9).Fork("init"));
        for (int t = 0; t < init.Length; t++)
            for (int i = 0; i < init[t].Length; i++)
            {
                float expected = (float)init[t][i];
                for (int s = 0; s < 5; s++) expected -= 0.1f * expected;
                Assert.Equal(expected, run.FinalParameters[t][i], Math.Abs(expected) * 1e-6f);
            }
        Assert.Equal(7, run.NonFiniteGradients);
        Assert.True(double.IsNaN(run.StepLosses[2]));
        // Step 3 sees θ₂ = 0.9·θ₁ again (step 2 changed nothing), so its loss is 0.81 of step 1's.
        Assert.Equal(0.81 * run.StepLosses[1], run.StepLosses[3], 1e-6 * run.StepLosses[1]);
        Assert.True(run.StepLosses[5] < run.StepLosses[0]);
    }

    [Fact]
    public void OptimizerForOtherTensorsIsRejected()
    {
        var task = new HalfSquare(-1);
        using var backend = new CpuBackend();
        using var adam = OptimizerFactory.Create(OptimizerKind.Adam, backend, [new TensorSpec("a", 3)], HyperParameters.Defaults(OptimizerKind.Adam));
        var e = Assert.Throws<ArgumentException>(() => TaskTrainer.Run(task, adam, 0, 1));
        Assert.Equal("optimizer", e.ParamName);
    }
}
