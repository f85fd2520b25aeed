using LearnedOpt.Backends;
using LearnedOpt.Data;
using LearnedOpt.Optimizers;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks;
using LearnedOpt.Training;

namespace LearnedOpt.Tests.Data;

[Trait("tier", "cpu")]
public class FashionMnistTests
{
    private static TaskEntry Entry(string name) => new RealDataTaskProvider().Entries.Single(e => e.Name == name);

    [Fact]
    public void LocatorPrefersTheVariableAndExplainsHowToInstall()
    {
        using var empty = new TempDirectory();
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnistLocator.Find(null, empty.Path));
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains(FashionMnistLocator.EnvironmentVariable, e.Message);
        // A set variable that points at an incomplete directory is reported, not bypassed.
        using var other = new TempDirectory();
        foreach (var f in FashionMnistLocator.FileNames) File.WriteAllBytes(other.File(f + ".gz"), []);
        Assert.Null(FashionMnistLocator.TryFind(empty.Path, other.Path, out var why));
        Assert.Contains(empty.Path, why);
        Assert.Equal(Path.GetFullPath(other.Path), FashionMnistLocator.TryFind(other.Path, empty.Path, out _));
        Assert.Equal(other.Path, FashionMnistLocator.TryFind(null, other.Path, out _));
    }

    [Fact]
    public void SplitsHaveTheDocumentedSizesAndBalancedClasses()
    {
        FashionMnistGuard.RequireDirectory();
        var data = FashionMnist.Load();
        Assert.Equal((60_000, 10_000, 784), (data.Train.Count, data.Test.Count, data.Train.FeatureCount));
        var perClass = new int[10];
        for (int i = 0; i < data.Train.Count; i++) perClass[data.Train.Label(i)]++;
        Assert.All(perClass, c => Assert.Equal(6000, c));
        Assert.All(data.Test.Row(123).ToArray(), v => Assert.InRange(v, 0f, 1f));

        var fm8 = (MlpClassificationTask)Entry("fashion-mnist8-mlp-32").Build(0);
        Assert.Equal((48_000, 10_000, 64), (fm8.Train.Count, fm8.Test.Count, fm8.Train.FeatureCount));
        var l2o = (MlpClassificationTask)Entry("l2o-fashion-mlp-20").Build(0);
        Assert.Equal((55_000, 784), (l2o.Train.Count, l2o.Train.FeatureCount));
        Assert.IsType<WithReplacementBatchSchedule>(l2o.Schedule);
        var mlp = (MlpClassificationTask)Entry("fashion-mnist-mlp-128").Build(0);
        Assert.Equal([784, 128, 10], mlp.LayerSizes);
        Assert.Equal(60_000, mlp.Train.Count);
    }

    [Fact]
    public void ResizedRowsAreBilinearResizesOfTheFullImages()
    {
        FashionMnistGuard.RequireDirectory();
        var full = FashionMnist.Load();
        var small = FashionMnist.LoadResized(8);
        var expected = new float[64];
        foreach (var i in new[] { 0, 777, 59_999 })
        {
            ImageResize.Bilinear(full.Train.Row(i), 28, 28, expected, 8, 8);
            Assert.Equal(expected, small.Train.Row(i).ToArray());
            Assert.Equal(full.Train.Label(i), small.Train.Label(i));
        }
    }

    [Fact]
    public void FashionMnist8InitialLossIsNearLn10()
    {
        FashionMnistGuard.RequireDirectory();
        var task = Entry("fashion-mnist8-mlp-32").Build(0);
        foreach (ulong seed in new ulong[] { 1, 2, 3 })
            Assert.InRange(task.Loss(task.SampleInitialPoint(new Rng(seed)), null), Math.Log(10) - 0.3, Math.Log(10) + 0.3);
    }

    [Fact]
    public void BatchesAreReproducibleForASeed()
    {
        FashionMnistGuard.RequireDirectory();
        var a = (MlpClassificationTask)Entry("fashion-mnist-mlp-32").Build(0);
        var b = (MlpClassificationTask)Entry("fashion-mnist-mlp-32").Build(0);
        Assert.Equal(a.BatchRows(new Rng(9), 500), b.BatchRows(new Rng(9), 500));
        Assert.NotEqual(a.BatchRows(new Rng(9), 500), a.BatchRows(new Rng(10), 500));
    }

    [Fact]
    public void OneEpochOfAdamOnMlp32ReachesTestAccuracyAbove78Percent()
    {
        FashionMnistGuard.RequireDirectory();
        var task = (MlpClassificationTask)Entry("fashion-mnist-mlp-32").Build(0);
        using var backend = new CpuBackend();
        using var adam = OptimizerFactory.Create(OptimizerKind.Adam, backend, task.Parameters, HyperParameters.Defaults(OptimizerKind.Adam) with { Lr = 1e-3f });
        int epoch = ((EpochBatchSchedule)task.Schedule).BatchesPerEpoch;
        Assert.Equal(468, epoch);
        var run = TaskTrainer.Run(task, adam, seed: 0, steps: epoch);
        var test = task.EvaluateTest(run.FinalTheta);
        Assert.True(test.Accuracy > 0.78, $"test accuracy {test.Accuracy:P2} after one epoch");
        Assert.True(run.StepLosses[^20..].Average() < run.StepLosses[..20].Average() / 2);
    }
}
