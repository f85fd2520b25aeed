using LearnedOpt.Backends.Cuda;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;
using LearnedOpt.Tests.Cuda;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// GPU tier (skips without a device): the CUDA problem kernels against the CPU launchers on the
/// same float32 inputs. Both run lopt_problems.h; only the summation order of the dense
/// families differs (warp reductions), so the tolerance is 1e-4 relative to each element, with a
/// small floor for elements near zero (1e-3 for Michalewicz, whose libm sin/cos may differ by ulps).
/// </summary>
[Trait("tier", "gpu")]
public class CudaProblemParityTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var fn in TestFunctions.All) data.Add("testfn-" + fn);
        foreach (var c in new[] { "bowl", "quadratic-20", "quadratic-300", "norm-1", "norm-3" }) data.Add(c);
        return data;
    }

    private static List<FlatTask> Make(string name, int count) => name switch
    {
        _ when name.StartsWith("testfn-", StringComparison.Ordinal) =>
            Enumerable.Range(0, count).Select(_ => (FlatTask)new TestFunctionTask(Enum.Parse<TestFunction>(name[7..]))).ToList(),
        "bowl" => Enumerable.Range(0, count).Select(i => (FlatTask)new BowlTask(0.1 + i % 7, i * 0.1)).ToList(),
        "quadratic-20" => Enumerable.Range(0, count).Select(i => (FlatTask)new QuadraticTask(20, (ulong)i)).ToList(),
        "quadratic-300" => Enumerable.Range(0, count).Select(i => (FlatTask)new QuadraticTask(300, (ulong)i)).ToList(),
        "norm-1" => Enumerable.Range(0, count).Select(i => (FlatTask)new NormTask(27, 1, (ulong)i)).ToList(),
        "norm-3" => Enumerable.Range(0, count).Select(i => (FlatTask)new NormTask(45, 3, (ulong)i)).ToList(),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CudaMatchesTheCpuLaunchers(string name)
    {
        var cuda = fixture.Backend;
        int count = name.StartsWith("testfn-", StringComparison.Ordinal) || name == "bowl" ? 5000 : 300;
        var tasks = Make(name, count);
        var cpu = HostProblemBatch.Create(tasks);
        int n = cpu.Count * cpu.Dimension;
        var rng = new Rng(99).Fork(name);
        var theta = new float[n];
        var v = new float[n];
        for (int k = 0; k < tasks.Count; k++)
        {
            var x = new double[cpu.Dimension];
            tasks[k].SampleInitial(rng, x);
            for (int i = 0; i < x.Length; i++) { theta[k * cpu.Dimension + i] = (float)x[i]; v[k * cpu.Dimension + i] = (float)rng.NextGaussian(); }
        }
        var (loss, grad, hv) = (new float[cpu.Count], new float[n], new float[n]);
        cpu.Evaluate(theta, loss, grad);
        cpu.HessianVectorProduct(theta, v, hv);

        using var gpu = new CudaProblemBatch(cuda, cpu);
        using var dt = cuda.Allocate(n);
        using var dv = cuda.Allocate(n);
        using var dl = cuda.Allocate(cpu.Count);
        using var dg = cuda.Allocate(n);
        using var dh = cuda.Allocate(n);
        cuda.CopyFromHost(theta, dt.View);
        cuda.CopyFromHost(v, dv.View);
        gpu.Evaluate(dt.View, dl.View, dg.View);
        gpu.HessianVectorProduct(dt.View, dv.View, dh.View);
        var (gl, gg, gh) = (new float[cpu.Count], new float[n], new float[n]);
        cuda.CopyToHost(dl.View, gl);
        cuda.CopyToHost(dg.View, gg);
        cuda.CopyToHost(dh.View, gh);

        double tol = name.Contains("Michalewicz", StringComparison.Ordinal) ? 1e-3 : 1e-4;
        int d = cpu.Dimension;
        for (int k = 0; k < cpu.Count; k++)
        {
            Assert.True(Math.Abs(gl[k] - loss[k]) <= tol * Math.Abs(loss[k]) + 1e-6, $"{name}[{k}] loss {gl[k]} vs {loss[k]}");
            Close(gg.AsSpan(k * d, d), grad.AsSpan(k * d, d), tol, $"{name}[{k}] gradient");
            Close(gh.AsSpan(k * d, d), hv.AsSpan(k * d, d), tol, $"{name}[{k}] Hv");
        }
    }

    // Element-wise relative; the floor is 1% of the relative tolerance at the instance's largest
    // magnitude, for elements that cancel to near zero (float32 rounding of the largest terms).
    private static void Close(ReadOnlySpan<float> gpu, ReadOnlySpan<float> cpu, double tol, string what)
    {
        double scale = 1e-6;
        foreach (var c in cpu) scale = Math.Max(scale, Math.Abs(c));
        Tolerance.AssertClose(cpu, gpu, rel: tol, abs: 1e-2 * tol * scale, what);
    }

    [Fact]
    public void ThroughputHookRunsOnCuda()
        => Assert.True(BatchedThroughput.Quadratic(fixture.Backend, 64, 512, iterations: 3) > 0);
}
