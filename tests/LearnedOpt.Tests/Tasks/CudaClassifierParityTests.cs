using LearnedOpt.Backends;
using LearnedOpt.Backends.Cuda;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tests.Cuda;
using static LearnedOpt.Tests.Tasks.ClassifierTestData;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// GPU tier (skips without a device): CudaClassifierBatch and BatchedClassifierProblem on CUDA
/// against the CPU launchers on the same float32 inputs. Both use lopt_problems.h per element;
/// what differs is summation order: cuBLAS GEMMs sum the rows and a layer's inputs in blocked
/// order where the CPU adds them one by one, the bias is added after the product rather than
/// first, and the loss is a tree sum. Over ≤ 1000 rows that moves float32 results by a few ulps of
/// the largest terms, so the tolerance is 1e-4 of each instance's largest entry (the CPU batches'
/// own tolerance against float64).
/// </summary>
[Trait("tier", "gpu")]
public class CudaClassifierParityTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Entries() => new("logistic-10", "logistic-256", "mlp-9-8", "mlp-8-32x64", "mlp-12-8x5x3");

    [Theory]
    [MemberData(nameof(Entries))]
    public void CudaMatchesTheCpuBatchFullAndMinibatch(string entry)
    {
        var cuda = fixture.Backend;
        var tasks = MakeTasks(entry, 37);
        var cpu = new ClassifierBatch(tasks);
        int dim = cpu.Dimension, n = cpu.Count * dim, b = tasks[0].BatchSize;
        var rng = new Rng(61).Fork(entry);
        var theta = InitialPoints(tasks, rng);
        var v = UnitDirections(tasks.Count, dim, rng);
        var rows = tasks.SelectMany((t, k) => t.BatchRows(new Rng((ulong)k), 3)).ToArray();

        var (loss, grad, hv) = (new float[cpu.Count], new float[n], new float[n]);
        var (mloss, mgrad, mhv) = (new float[cpu.Count], new float[n], new float[n]);
        cpu.Evaluate(theta, loss, grad);
        cpu.HessianVectorProduct(theta, v, hv);
        cpu.EvaluateRows(theta, rows, b, mloss, mgrad);
        cpu.HessianVectorProductRows(theta, rows, b, v, mhv);

        using var gpu = new CudaClassifierBatch(cuda, cpu);
        using var dt = Upload(cuda, theta);
        using var dv = Upload(cuda, v);
        using var dl = cuda.Allocate(cpu.Count);
        using var dg = cuda.Allocate(n);
        using var dh = cuda.Allocate(n);
        // Minibatch first: the gather buffers are then grown while the full-data buffers are in use.
        gpu.EvaluateRows(dt.View, rows, b, dl.View, dg.View);
        Compare(cuda, dl, dg, mloss, mgrad, dim, $"{entry} minibatch");
        gpu.HessianVectorProductRows(dt.View, rows, b, dv.View, dh.View);
        Compare(cuda, null, dh, null, mhv, dim, $"{entry} minibatch Hv");
        gpu.Evaluate(dt.View, dl.View, dg.View);
        Compare(cuda, dl, dg, loss, grad, dim, $"{entry} full");
        gpu.HessianVectorProduct(dt.View, dv.View, dh.View);
        Compare(cuda, null, dh, null, hv, dim, $"{entry} full Hv");

        // Loss only and gradient only agree with the combined call.
        using var dl2 = cuda.Allocate(cpu.Count);
        using var dg2 = cuda.Allocate(n);
        gpu.Evaluate(dt.View, dl2.View, TensorView.None(MemoryLocation.CudaDevice));
        gpu.Evaluate(dt.View, TensorView.None(MemoryLocation.CudaDevice), dg2.View);
        Assert.Equal(Download(cuda, dl), Download(cuda, dl2));
        Assert.Equal(Download(cuda, dg), Download(cuda, dg2));
    }

    [Fact]
    public void RepeatedCallsAreBitwiseDeterministic()
    {
        var cuda = fixture.Backend;
        var tasks = MakeTasks("mlp-8-32x64", 9);
        var cpu = new ClassifierBatch(tasks);
        int n = cpu.Count * cpu.Dimension;
        var rng = new Rng(2);
        using var gpu = new CudaClassifierBatch(cuda, cpu);
        using var dt = Upload(cuda, InitialPoints(tasks, rng));
        using var dv = Upload(cuda, UnitDirections(tasks.Count, cpu.Dimension, rng));
        using var dl = cuda.Allocate(cpu.Count);
        using var dg = cuda.Allocate(n);
        using var dh = cuda.Allocate(n);
        float[][] Run()
        {
            gpu.Evaluate(dt.View, dl.View, dg.View);
            gpu.HessianVectorProduct(dt.View, dv.View, dh.View);
            return [Download(cuda, dl), Download(cuda, dg), Download(cuda, dh)];
        }
        var first = Run();
        var second = Run();
        for (int i = 0; i < first.Length; i++) Assert.Equal(first[i], second[i]);
    }

    [Fact]
    public unsafe void TrainingStepOnCudaMatchesTheCpuProblem()
    {
        var cuda = fixture.Backend;
        var tasks = MakeTasks("mlp-12-8x5x3", 6);
        ulong[] seeds = [4, 8, 15, 16, 23, 42];
        using var cpuBackend = new CpuBackend();
        using var onCpu = BatchedClassifierProblem.TryCreate(cpuBackend, tasks, seeds)!;
        using var onGpu = BatchedClassifierProblem.TryCreate(cuda, tasks, seeds)!;
        int dim = onCpu.Dimension, n = tasks.Count * dim;
        var rng = new Rng(5);
        var theta = InitialPoints(tasks, rng);
        var v = UnitDirections(tasks.Count, dim, rng);
        using var dt = Upload(cuda, theta);
        using var dv = Upload(cuda, v);
        using var dl = cuda.Allocate(tasks.Count);
        using var dg = cuda.Allocate(n);
        using var dh = cuda.Allocate(n);
        var (loss, grad, hv) = (new float[tasks.Count], new float[n], new float[n]);
        foreach (long step in new long[] { 0, 1, 6, 11 })
        {
            fixed (float* pt = theta, pv = v, pl = loss, pg = grad, ph = hv)
            {
                onCpu.TrainingStep(TensorView.Host(pt, n), step, TensorView.Host(pl, loss.Length), TensorView.Host(pg, n));
                onCpu.TrainingHvp(TensorView.Host(pt, n), step, TensorView.Host(pv, n), TensorView.Host(ph, n));
            }
            onGpu.TrainingStep(dt.View, step, dl.View, dg.View);
            Compare(cuda, dl, dg, loss, grad, dim, $"step {step}");
            onGpu.TrainingHvp(dt.View, step, dv.View, dh.View);
            Compare(cuda, null, dh, null, hv, dim, $"step {step} Hv");
        }
    }

    [Fact]
    public void BadRowsAndHostTensorsAreRejected()
    {
        var cuda = fixture.Backend;
        var tasks = MakeTasks("logistic-10", 2);
        var cpu = new ClassifierBatch(tasks);
        using var gpu = new CudaClassifierBatch(cuda, cpu);
        using var dt = cuda.Allocate(2 * cpu.Dimension);
        var none = TensorView.None(MemoryLocation.CudaDevice);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => gpu.EvaluateRows(dt.View, [0, 1000], 1, none, none));
        Assert.Equal("batchRows", e.ParamName);
        Assert.Equal("batchRows", Assert.Throws<ArgumentException>(() => gpu.EvaluateRows(dt.View, [0, 1, 2], 1, none, none)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => gpu.EvaluateRows(dt.View, [], 0, none, none)).ParamName);
        Assert.Equal("theta", Assert.Throws<ArgumentException>(() => gpu.Evaluate(TensorView.None(MemoryLocation.Host), none, none)).ParamName);
        Assert.Equal("hv", Assert.Throws<ArgumentException>(() => gpu.HessianVectorProduct(dt.View, dt.View, none)).ParamName);
    }

    [Fact]
    public void ThroughputHookRunsTheClassifiersOnCuda()
    {
        Assert.True(BatchedThroughput.Classifier(fixture.Backend, "mlp-8-32x64", 16, iterations: 2) > 0);
        Assert.True(BatchedThroughput.Classifier(fixture.Backend, "logistic-100", 16, iterations: 2) > 0);
    }

    private static DeviceBuffer Upload(CudaBackend cuda, float[] host)
    {
        var b = cuda.Allocate(host.Length);
        cuda.CopyFromHost(host, b.View);
        return b;
    }

    private static float[] Download(CudaBackend cuda, DeviceBuffer b)
    {
        var host = new float[b.Length];
        cuda.CopyToHost(b.View, host);
        return host;
    }

    private static void Compare(CudaBackend cuda, DeviceBuffer? dLoss, DeviceBuffer dVector, float[]? loss, float[] vector, int dim, string what)
    {
        if (dLoss != null)
        {
            var gl = Download(cuda, dLoss);
            for (int k = 0; k < gl.Length; k++)
                Assert.True(Math.Abs(gl[k] - loss![k]) <= Tolerance * Math.Abs(loss[k]) + 1e-6, $"{what}[{k}] loss {gl[k]} vs {loss[k]}");
        }
        var gv = Download(cuda, dVector);
        for (int k = 0; k < gv.Length / dim; k++)
            Close(gv.AsSpan(k * dim, dim), vector.AsSpan(k * dim, dim), Tolerance, $"{what}[{k}]");
    }
}
