using LearnedOpt.Randomness;
using LearnedOpt.Tasks;

namespace LearnedOpt.Tests.Data;

/// <summary>The ConvNet and deeper-MLP registry entries: shapes, held-out status, data and a plausible start.</summary>
[Trait("tier", "cpu")]
public class NetworkTaskTests
{
    [Theory]
    [InlineData("fashion-mnist-conv-8-16", 9098)]
    [InlineData("fashion-mnist-conv-16-32", 16 * 9 + 16 + 32 * 144 + 32 + 32 * 49 * 10 + 10)]
    [InlineData("fashion-mnist-mlp-128-128", 784 * 128 + 128 + 128 * 128 + 128 + 1290)]
    [InlineData("fashion-mnist-mlp-64-32", 784 * 64 + 64 + 64 * 32 + 32 + 330)]
    public void FullSizeNetworksAreHeldOutInTheNetworksGroup(string name, long parameters)
    {
        var entry = TaskRegistry.Get(name);
        Assert.Equal(parameters, entry.ParameterCount);
        Assert.True(entry.HeldOut);
        var member = Assert.Single(HeldOutSuite.Members, m => m.Task == name);
        Assert.Equal(("networks", 1000), (member.Group, member.Steps));
    }

    [Theory]
    [InlineData("fashion-mnist8-conv-4-8", 4 * 9 + 4 + 8 * 36 + 8 + 8 * 4 * 10 + 10)]
    [InlineData("fashion-mnist8-conv-8-16", 8 * 9 + 8 + 16 * 72 + 16 + 16 * 4 * 10 + 10)]
    public void EightByEightConvNetsAreNeitherHeldOutNorInTheSuite(string name, long parameters)
    {
        var entry = TaskRegistry.Get(name);
        Assert.Equal(parameters, entry.ParameterCount);
        Assert.False(entry.HeldOut);
        Assert.False(HeldOutSuite.Contains(name));
        var ensemble = LearnedOpt.Tasks.Synthetic.SyntheticCatalog.Variant("default").Select(e => e.Name);
        Assert.DoesNotContain(name, ensemble);
    }

    [Fact]
    public void BuiltTasksHaveTheDocumentedDataAndBatch()
    {
        FashionMnistGuard.RequireDirectory();
        var conv = (ConvNetClassificationTask)TaskRegistry.Get("fashion-mnist-conv-8-16").Build(0);
        Assert.Equal((60_000, 10_000, 64), (conv.Train.Count, conv.Test.Count, conv.BatchSize));
        Assert.Equal(TaskRegistry.Get("fashion-mnist-conv-8-16").Tensors.Select(t => t.Name), conv.Parameters.Select(t => t.Name));
        var conv8 = (ConvNetClassificationTask)TaskRegistry.Get("fashion-mnist8-conv-4-8").Build(0);
        Assert.Equal((48_000, 64, 64), (conv8.Train.Count, conv8.Train.FeatureCount, conv8.BatchSize));
        var mlp = (MlpClassificationTask)TaskRegistry.Get("fashion-mnist-mlp-64-32").Build(0);
        Assert.Equal([784, 64, 32, 10], mlp.LayerSizes);
        Assert.Equal(64, mlp.BatchSize);
    }

    [Theory]
    [InlineData("fashion-mnist-conv-8-16")]
    [InlineData("fashion-mnist8-conv-4-8")]
    public void InitialMinibatchLossIsNearLn10(string name)
    {
        FashionMnistGuard.RequireDirectory();
        var task = TaskRegistry.Get(name).Build(0);
        var theta = task.SampleInitialPoint(new Rng(1));
        var grad = theta.Select(t => new double[t.Length]).ToArray();
        Assert.InRange(task.TrainingLoss(theta, grad, new Rng(2), 0), Math.Log(10) - 0.5, Math.Log(10) + 0.5);
    }
}
