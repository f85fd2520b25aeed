using LearnedOpt.Data;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks;

/// <summary>
/// The held-out real-data tasks and the L2O-DM quadratic (never meta-trained on, so that evaluation measures generalisation; docs/tasks-real-data.md).
/// Entries are listed even when Fashion-MNIST is absent; building one then says how to install it.
/// </summary>
public sealed class RealDataTaskProvider : ITaskProvider
{
    public IEnumerable<TaskEntry> Entries =>
    [
        Mlp("fashion-mnist-mlp-32", [784, 32, 10], () => FashionMnistTasks.Relu("fashion-mnist-mlp-32", FashionMnist.Load(), 32)),
        Mlp("fashion-mnist-mlp-128", [784, 128, 10], () => FashionMnistTasks.Relu("fashion-mnist-mlp-128", FashionMnist.Load(), 128)),
        Mlp("fashion-mnist8-mlp-32", [64, 32, 10], () => FashionMnistTasks.FashionMnist8Relu32("fashion-mnist8-mlp-32", FashionMnist.LoadResized(8))),
        Mlp("l2o-fashion-mlp-20", [784, 20, 10], () => FashionMnistTasks.L2oSigmoid20("l2o-fashion-mlp-20", FashionMnist.Load())),
        Mlp("fashion-mnist-mlp-128-128", [784, 128, 128, 10], () => FashionMnistTasks.DeepRelu("fashion-mnist-mlp-128-128", FashionMnist.Load(), [128, 128])),
        Mlp("fashion-mnist-mlp-64-32", [784, 64, 32, 10], () => FashionMnistTasks.DeepRelu("fashion-mnist-mlp-64-32", FashionMnist.Load(), [64, 32])),
        Conv("fashion-mnist-conv-8-16", [8, 16]),
        Conv("fashion-mnist-conv-16-32", [16, 32]),
        new TaskEntry("l2o-quadratic", "l2o-quadratic", L2oQuadraticTask.Tensors, HeldOut: true, seed => new L2oQuadraticTask(seed)),
    ];

    // The data are fixed, so the instance seed changes nothing here: init and batches come from the run's generators.
    private static TaskEntry Mlp(string name, int[] sizes, Func<MlpClassificationTask> build)
        => new(name, "mlp-classification", Specs(sizes), HeldOut: true, _ => build());

    private static TaskEntry Conv(string name, int[] channels)
        => new(name, "convnet-classification", new ConvNetShape(1, FashionMnist.Side, FashionMnist.Side, channels, FashionMnist.ClassCount).Tensors,
            HeldOut: true, _ => FashionMnistTasks.ConvNet(name, FashionMnist.Load(), channels));

    private static TensorSpec[] Specs(int[] sizes)
        => Enumerable.Range(0, sizes.Length - 1)
            .SelectMany(l => new[] { new TensorSpec($"layer{l}/w", [sizes[l], sizes[l + 1]]), new TensorSpec($"layer{l}/b", [sizes[l + 1]]) })
            .ToArray();
}
