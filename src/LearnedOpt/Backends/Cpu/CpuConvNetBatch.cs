using LearnedOpt.Backends;
using LearnedOpt.Data;
using LearnedOpt.Interop;

using LearnedOpt.Tasks;
using LearnedOpt.Tasks.Batched;

namespace LearnedOpt.Backends.Cpu;

/// <summary>
/// Batched ConvNets on the CPU library (lopt_convnet: OpenMP over instances, each instance's
/// minibatch in a fixed order, so instance k's bits do not depend on the thread count or on the
/// other instances). The dataset's pixels are read in place; labels are kept as floats.
/// </summary>
internal sealed unsafe class CpuConvNetBatch : IConvNetBatch
{
    private readonly LabeledDataset _data;
    private readonly int[] _channels;
    private readonly float[] _labels;

    public CpuConvNetBatch(ConvNetShape shape, LabeledDataset data, int count)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ConvNetBatchChecks.Data(shape, data);
        LoptConvNetNative.EnsureLoaded();
        Shape = shape;
        Count = count;
        _data = data;
        _channels = shape.Channels;
        _labels = ConvNetBatchChecks.Labels(data);
        long dim;
        fixed (int* c = _channels)
            dim = LoptConvNetNative.lopt_convnet_dim(shape.Blocks, c, shape.Height, shape.Width, shape.Classes);
        if (dim != shape.ParameterCount)
            throw new InvalidOperationException($"liblopt_cpu.so counts {dim} parameters for {shape}, the managed shape {shape.ParameterCount}: rebuild the native library.");
        Dimension = checked((int)dim);
    }

    public ConvNetShape Shape { get; }
    public int Count { get; }
    public int Dimension { get; }
    public int Rows => _data.Count;

    public void EvaluateRows(TensorView theta, ReadOnlySpan<int> batchRows, int batch, TensorView loss, TensorView gradient)
        => EvaluateRows(Host(theta, nameof(theta)), batchRows, batch, Host(loss, nameof(loss)), Host(gradient, nameof(gradient)));

    /// <summary>As <see cref="EvaluateRows(TensorView, ReadOnlySpan{int}, int, TensorView, TensorView)"/> on host spans (empty outputs are skipped).</summary>
    public void EvaluateRows(ReadOnlySpan<float> theta, ReadOnlySpan<int> batchRows, int batch, Span<float> loss, Span<float> gradient)
    {
        ConvNetBatchChecks.Rows(batchRows, batch, Count, Rows);
        long n = (long)Count * Dimension;
        if (theta.Length != n) throw new ArgumentException($"'theta' has {theta.Length} floats, the batch needs {n}.", nameof(theta));
        if (loss.Length != 0 && loss.Length != Count) throw new ArgumentException($"'loss' has {loss.Length} floats, the batch needs {Count} (or 0).", nameof(loss));
        if (gradient.Length != 0 && gradient.Length != n) throw new ArgumentException($"'gradient' has {gradient.Length} floats, the batch needs {n} (or 0).", nameof(gradient));
        var s = Shape;
        fixed (int* c = _channels)
        fixed (float* images = _data.Features)
        fixed (float* labels = _labels)
        fixed (int* r = batchRows)
        fixed (float* t = theta)
        fixed (float* l = loss)
        fixed (float* g = gradient)
            LoptCpuNative.Check(LoptConvNetNative.lopt_convnet(Count, s.Blocks, c, s.Height, s.Width, s.Classes, images, labels, Rows, r, batch, t,
                loss.IsEmpty ? null : l, gradient.IsEmpty ? null : g), "lopt_convnet");
    }

    private static Span<float> Host(TensorView t, string name)
    {
        if (t.Location != MemoryLocation.Host)
            throw new ArgumentException($"'{name}' lives on {t.Location}; the CPU backend needs host memory.", name);
        return t.IsNull ? Span<float>.Empty : new Span<float>(t.HostPointer, checked((int)t.Length));
    }

    public void Dispose()
    {
    }
}
