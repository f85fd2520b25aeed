using LearnedOpt.Backends;
using LearnedOpt.Data;

namespace LearnedOpt.Tasks.Batched;

/// <summary>The one place that picks the ConvNet kernels of a backend.</summary>
public static class ConvNetBatches
{
    /// <summary>
    /// <paramref name="count"/> ConvNets of <paramref name="shape"/> on <paramref name="data"/> (rows
    /// of shape.InputSize pixels) on <paramref name="backend"/>; NotSupportedException where the backend has no ConvNet kernels.
    /// </summary>
    public static IConvNetBatch Create(IBackend backend, ConvNetShape shape, LabeledDataset data, int count)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return backend switch
        {
            CpuBackend => new CpuConvNetBatch(shape, data, count),
            CudaBackend cuda => new CudaConvNetBatch(cuda, shape, data, count),
            _ => throw new NotSupportedException($"No batched ConvNets on backend {backend.Kind}."),
        };
    }
}
