using LearnedOpt.Backends;
using LearnedOpt.Data;

namespace LearnedOpt.Tasks.Batched;

/// <summary>Batched ConvNets from the kernels of a backend.</summary>
public static class ConvNetBatches
{
    /// <summary>
    /// <paramref name="count"/> ConvNets of <paramref name="shape"/> on <paramref name="data"/> (rows
    /// of shape.InputSize pixels) on <paramref name="backend"/>.
    /// </summary>
    public static IConvNetBatch Create(IBackend backend, ConvNetShape shape, LabeledDataset data, int count)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return backend.Kernels.ConvNet(shape, data, count);
    }
}
