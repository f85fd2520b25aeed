using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>Bad constructor arguments fail at once, naming the argument and its value.</summary>
[Trait("tier", "cpu")]
public class ArgumentValidationTests
{
    private static void Rejects(Action build, string param, string value)
    {
        var e = Assert.ThrowsAny<ArgumentException>(build);
        Assert.Equal(param, e.ParamName);
        Assert.Contains(value, e.Message);
    }

    [Fact]
    public void FamiliesRejectBadSizesAndConstants()
    {
        Rejects(() => new QuadraticTask(0, 1), "n", "0");
        Rejects(() => new NormTask(5, 0.5, 1), "p", "0.5");
        Rejects(() => new BowlTask(-1), "kappa", "-1");
        Rejects(() => new QuadraticTask(3, 1, noiseStd: -0.1), "noiseStd", "-0.1");
        Rejects(() => new MatMulTask(2, 0), "k", "0");
        Rejects(() => new RescaleTask(new BowlTask(1), 0), "scale", "0");
        Rejects(() => new SparseTask(new BowlTask(1), 1.5), "dropProbability", "1.5");
        Rejects(() => new TestFunctionTask((TestFunction)42), "function", "42");
        Rejects(() => new ClassifierTask("c", SyntheticDataset.RandomMlp(10, 3, 1), [4], 11), "batchSize", "11");
        Rejects(() => new ClassifierTask("c", SyntheticDataset.RandomMlp(10, 3, 1), [0], 5), "hidden", "0");
    }

    [Fact]
    public void TensorListsMustMatchTheParameters()
    {
        var t = new MatMulTask(2, 5);
        var e = Assert.Throws<ArgumentException>(() => t.Loss([new double[20]], null));
        Assert.Equal("theta", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => t.Loss([new double[20], new double[19]], null));
        Assert.Contains("theta_b", e.Message);
        e = Assert.Throws<ArgumentException>(() => t.TrainingLoss(t.SampleInitialPoint(new Rng(1)), [new double[20]], new Rng(1), 0));
        Assert.Equal("gradient", e.ParamName);
    }
}
