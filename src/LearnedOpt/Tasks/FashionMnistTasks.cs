using LearnedOpt.Data;

namespace LearnedOpt.Tasks;

/// <summary>
/// The Fashion-MNIST MLP protocols (docs/tasks-real-data.md). Each builder takes the dataset so
/// tests can substitute small synthetic data; the provider passes the real one.
/// </summary>
public static class FashionMnistTasks
{
    public const int BatchSize = 128;

    /// <summary>Minibatch of the ConvNets and the deeper MLPs.</summary>
    public const int NetworkBatchSize = 64;

    /// <summary>784-h-10 ReLU, hk.Linear init, the full 60k train split in epochs of disjoint batches (docs/tasks-real-data.md), the 10k test split.</summary>
    public static MlpClassificationTask Relu(string name, ImageClassificationData data, int hidden)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new MlpClassificationTask(name, data.Train, data.Test, [hidden], MlpActivation.Relu,
            MlpInitialization.TruncatedNormalFanIn, new EpochBatchSchedule(data.Train.Count, BatchSize));
    }

    /// <summary>
    /// learned_optimization's ImageMLP_FashionMnist8_Relu32 on 8x8 data: 64-32-10 ReLU, hk.Linear
    /// init, train = the first 80% of the train split (inner/outer-valid are the next 10% each, unused here).
    /// </summary>
    public static MlpClassificationTask FashionMnist8Relu32(string name, ImageClassificationData data8)
    {
        ArgumentNullException.ThrowIfNull(data8);
        int trainRows = data8.Train.Count * 8 / 10;
        var train = data8.Train.Slice(0, trainRows);
        return new MlpClassificationTask(name, train, data8.Test, [32], MlpActivation.Relu,
            MlpInitialization.TruncatedNormalFanIn, new EpochBatchSchedule(train.Count, BatchSize));
    }

    /// <summary>
    /// L2O-DM's MNIST protocol: 784-20-10 sigmoid, every weight and bias ~ N(0, 0.01²), batches of
    /// 128 drawn with replacement from the first 55k training images (TF's old MNIST train split).
    /// </summary>
    public static MlpClassificationTask L2oSigmoid20(string name, ImageClassificationData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var train = data.Train.Slice(0, Math.Min(55_000, data.Train.Count));
        return new MlpClassificationTask(name, train, data.Test, [20], MlpActivation.Sigmoid,
            MlpInitialization.Gaussian(0.01), new WithReplacementBatchSchedule(train.Count, BatchSize));
    }

    /// <summary>784-h1-…-10 ReLU (two or more hidden layers), hk.Linear init, the full train split in epochs of batch 64.</summary>
    public static MlpClassificationTask DeepRelu(string name, ImageClassificationData data, IReadOnlyList<int> hidden)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new MlpClassificationTask(name, data.Train, data.Test, hidden, MlpActivation.Relu,
            MlpInitialization.TruncatedNormalFanIn, new EpochBatchSchedule(data.Train.Count, NetworkBatchSize));
    }

    /// <summary>
    /// A ConvNet (<see cref="ConvNetShape"/>: one 3×3 conv-ReLU-pool block per entry of
    /// <paramref name="channels"/>, linear head) on the full train split in epochs of batch 64.
    /// </summary>
    public static ConvNetClassificationTask ConvNet(string name, ImageClassificationData data, IReadOnlyList<int> channels)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new ConvNetClassificationTask(name, data.Train, data.Test, new ConvNetShape(1, data.Height, data.Width, channels, FashionMnist.ClassCount),
            new EpochBatchSchedule(data.Train.Count, NetworkBatchSize));
    }

    /// <summary>A ConvNet on 8x8 images, trained on the first 80% of the train split (as <see cref="FashionMnist8Relu32"/>), batch 64.</summary>
    public static ConvNetClassificationTask ConvNet8(string name, ImageClassificationData data8, IReadOnlyList<int> channels)
    {
        ArgumentNullException.ThrowIfNull(data8);
        var train = data8.Train.Slice(0, data8.Train.Count * 8 / 10);
        return new ConvNetClassificationTask(name, train, data8.Test, new ConvNetShape(1, data8.Height, data8.Width, channels, FashionMnist.ClassCount),
            new EpochBatchSchedule(train.Count, NetworkBatchSize));
    }
}
