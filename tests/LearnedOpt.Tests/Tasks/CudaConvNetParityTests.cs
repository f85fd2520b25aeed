using LearnedOpt.Backends.Cuda;
using LearnedOpt.Backends.Cpu;
using LearnedOpt.Backends;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tests.Cuda;
using static LearnedOpt.Tests.Tasks.ConvNetBatchTestData;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// GPU tier (skips without a device): CudaConvNetBatch against the CPU launcher on the same float32
/// inputs. Both use lopt_convnet.h per element; cuBLAS sums a convolution's taps and a weight
/// gradient's positions and images in blocked order where the CPU adds them one by one, so results
/// differ by rounding: 1e-4 relative per element, with a floor of 1e-2 of the largest entry.
/// </summary>
[Trait("tier", "gpu")]
public class CudaConvNetParityTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>
{
    private const double Tolerance = 1e-4;

    [Theory]
    [MemberData(nameof(Entries), MemberType = typeof(ConvNetBatchTestData))]
    public void CudaMatchesTheCpuBatch(string entry)
    {
        var cuda = fixture.Backend;
        var task = Task(entry);
        const int count = 3, batch = 8;
        using var cpu = new CpuConvNetBatch(task.Shape, task.Train, count);
        using var gpu = ConvNetBatches.Create(cuda, task.Shape, task.Train, count);
        Assert.IsType<CudaConvNetBatch>(gpu);
        int dim = cpu.Dimension, n = count * dim;
        var theta = Points(task, count, 41);
        var (loss, grad) = (new float[count], new float[n]);
        using var dt = cuda.Allocate(n);
        using var dl = cuda.Allocate(count);
        using var dg = cuda.Allocate(n);
        cuda.CopyFromHost(theta, dt.View);
        // A smaller batch after a larger one reuses the buffers; a larger one after it grows them.
        foreach (int b in new[] { batch, 3, batch + 2 })
        {
            var rows = Rows(task, count, b, (ulong)(42 + b));
            cpu.EvaluateRows(theta, rows, b, loss, grad);
            gpu.EvaluateRows(dt.View, rows, b, dl.View, dg.View);
            var (gl, gg) = (new float[count], new float[n]);
            cuda.CopyToHost(dl.View, gl);
            cuda.CopyToHost(dg.View, gg);
            for (int k = 0; k < count; k++)
            {
                Close(gl.AsSpan(k, 1), [loss[k]], Tolerance, $"{entry} batch {b} loss {k}");
                Close(gg.AsSpan(k * dim, dim), grad.AsSpan(k * dim, dim).ToArray().Select(v => (double)v).ToArray(), Tolerance, $"{entry} batch {b} gradient {k}");
            }
        }
    }

    [Fact]
    public void RepeatedCallsAreBitwiseDeterministicAndOutputsAreOptional()
    {
        var cuda = fixture.Backend;
        var task = Task("1x8x8-3-4");
        const int count = 4, batch = 8;
        using var gpu = new CudaConvNetBatch(cuda, task.Shape, task.Train, count);
        int n = count * gpu.Dimension;
        var rows = Rows(task, count, batch, 51);
        using var dt = cuda.Allocate(n);
        using var dl = cuda.Allocate(count);
        using var dg = cuda.Allocate(n);
        cuda.CopyFromHost(Points(task, count, 52), dt.View);
        float[][] Run(TensorView l, TensorView g)
        {
            gpu.EvaluateRows(dt.View, rows, batch, l, g);
            var (hl, hg) = (new float[count], new float[n]);
            cuda.CopyToHost(dl.View, hl);
            cuda.CopyToHost(dg.View, hg);
            return [hl, hg];
        }
        var none = TensorView.None(MemoryLocation.CudaDevice);
        var first = Run(dl.View, dg.View);
        Assert.Equal(first, Run(dl.View, dg.View));
        Assert.Equal(first, Run(dl.View, none));
        Assert.Equal(first, Run(none, dg.View));
    }

    [Fact]
    public void ThroughputHookRunsOnCuda()
    {
        double rate = BatchedThroughput.ConvNet(fixture.Backend, Task("2x7x7-2-3"), instances: 3, iterations: 2);
        Assert.True(double.IsFinite(rate) && rate > 0, $"rate {rate}");
    }

    [Fact]
    public void BadRowsAndHostTensorsAreRejected()
    {
        var cuda = fixture.Backend;
        var task = Task("1x8x8-3-4");
        using var gpu = new CudaConvNetBatch(cuda, task.Shape, task.Train, 2);
        using var dt = cuda.Allocate(2 * gpu.Dimension);
        var none = TensorView.None(MemoryLocation.CudaDevice);
        Assert.Equal("batchRows", Assert.Throws<ArgumentOutOfRangeException>(() => gpu.EvaluateRows(dt.View, [0, 40], 1, none, none)).ParamName);
        Assert.Equal("batchRows", Assert.Throws<ArgumentException>(() => gpu.EvaluateRows(dt.View, [0, 1, 2], 1, none, none)).ParamName);
        Assert.Equal("theta", Assert.Throws<ArgumentException>(() => gpu.EvaluateRows(TensorView.None(MemoryLocation.Host), [0, 1], 1, none, none)).ParamName);
    }
}
