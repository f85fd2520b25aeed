using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// A training step is a pure function of x, the step and the rng's state, and TrainingHvp is the
/// transposed Jacobian of the training gradient, checked against central differences of
/// TrainingValue (each call given a fresh rng in the same state) through uᵀ(J v) = (Jᵀu)ᵀ v.
/// </summary>
[Trait("tier", "cpu")]
public class TrainingStepTests
{
    public static TheoryData<string> Cases() => new(
        "logistic", "logistic-noisy", "mlp", "sparse-quadratic", "sparse-mlp", "log-noisy-quadratic", "log-logistic",
        "rescale-noisy-logistic", "sum-noisy", "bowl-noisy");

    private static FlatTask Make(string name)
    {
        SyntheticDataset Data(ulong seed) => SyntheticDataset.MakeClassification(60, 4, 1.0, seed);
        return name switch
        {
            "logistic" => new ClassifierTask("l", Data(1), [], 10),
            "logistic-noisy" => new ClassifierTask("l", Data(2), [], 10, 0.5),
            "mlp" => new ClassifierTask("m", SyntheticDataset.RandomMlp(40, 3, 4), [4, 3], 8),
            "sparse-quadratic" => new SparseTask(new QuadraticTask(20, 3, 0.3), 0.7),
            "sparse-mlp" => new SparseTask(new ClassifierTask("m", SyntheticDataset.RandomMlp(40, 3, 5), [3], 8), 0.5),
            "log-noisy-quadratic" => new LogTask(new QuadraticTask(5, 2, 0.5)),
            "log-logistic" => new LogTask(new ClassifierTask("l", Data(3), [], 12, 0.2)),
            "rescale-noisy-logistic" => new RescaleTask(new ClassifierTask("l", Data(4), [], 15, 0.3), 7),
            "sum-noisy" => new SumTask("s", [new QuadraticTask(4, 1, 0.1), new ClassifierTask("l", Data(5), [], 20, 0.2), new SparseTask(new BowlTask(5, 1, 0.1), 0.5)]),
            "bowl-noisy" => new BowlTask(5, 0.3, 0.1),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ATrainingStepReplaysFromAnRngInTheSameStateAndTrainingHvpDoesNotAdvanceIt(string name)
    {
        var task = Make(name);
        var x = new double[task.Size];
        task.SampleInitial(new Rng(1), x);
        var a = new double[task.Size];
        var b = new double[task.Size];
        var rng = new Rng(42).Fork(3);
        task.TrainingHvp(x, x, new double[task.Size], rng, 3);
        double fa = task.TrainingValue(x, a, rng, 3);
        double fb = task.TrainingValue(x, b, new Rng(42).Fork(3), 3);
        Assert.Equal(fa, fb);
        Assert.Equal(a, b);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainingHvpIsTheTransposedJacobianOfTheTrainingGradient(string name)
    {
        var task = Make(name);
        var rng = new Rng(8).Fork(name);
        var x = new double[task.Size];
        task.SampleInitial(rng, x);
        Rng StepRng() => new Rng(99).Fork(4);
        const long step = 4;
        double h = 1e-5 * Math.Max(1, x.Max(Math.Abs));
        var gp = new double[task.Size];
        var gm = new double[task.Size];
        var jtu = new double[task.Size];
        var dirs = FiniteDifference.Directions(task.Size, rng, 4, 0).ToArray();
        for (int k = 0; k + 1 < dirs.Length; k++)
        {
            var (u, v) = (dirs[k], dirs[k + 1]);
            task.TrainingValue(FiniteDifference.Step(x, v, h), gp, StepRng(), step);
            task.TrainingValue(FiniteDifference.Step(x, v, -h), gm, StepRng(), step);
            double uJv = 0, scale = 0;
            for (int i = 0; i < task.Size; i++)
            {
                uJv += u[i] * (gp[i] - gm[i]) / (2 * h);
                scale = Math.Max(scale, Math.Max(Math.Abs(gp[i]), Math.Abs(gm[i])));
            }
            task.TrainingHvp(x, u, jtu, StepRng(), step);
            double jtuV = FiniteDifference.Dot(jtu, v);
            Assert.True(Math.Abs(uJv - jtuV) <= 1e-5 * Math.Max(Math.Abs(uJv), Math.Abs(jtuV)) + 100 * 2.2e-16 * scale / h + 1e-12,
                $"{name}: uᵀJv = {uJv:R} by differences, (Jᵀu)ᵀv = {jtuV:R}");
        }
    }

    [Fact]
    public void ClassifierTrainingHvpUsesTheMinibatch()
    {
        var task = Make("logistic");
        var x = new double[task.Size];
        task.SampleInitial(new Rng(2), x);
        var v = Enumerable.Range(0, task.Size).Select(i => Math.Cos(i)).ToArray();
        var full = new double[task.Size];
        var batch = new double[task.Size];
        task.Hvp(x, v, full);
        task.TrainingHvp(x, v, batch, new Rng(3), 0);
        Assert.NotEqual(full, batch);
    }
}
