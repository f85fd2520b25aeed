using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tensors;
using LearnedOpt.Tests.Cuda;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>GPU tier: the CUDA kernels (hrnn.cu) against the CPU launchers (against the reference: HrnnReferenceTests). Skips without a device.</summary>
[Trait("tier", "gpu")]
public class HrnnCudaTests
{
    private static void RequireDevice() => Assert.SkipUnless(CudaTestEnvironment.HasDevice, CudaTestEnvironment.Reason);

    [Fact]
    public void CudaMatchesCpuOnAModelOf200TensorsWithUnusableGradients()
    {
        RequireDevice();
        var rng = new Randomness.Rng(31);
        long[] lengths = Enumerable.Range(0, 200).Select(i => i == 17 ? 0L : (long)(1 + rng.NextInt(i % 10 == 0 ? 20000 : 600))).ToArray();
        var specs = lengths.Select((n, k) => new TensorSpec($"m/{k}", n)).ToList();
        var weights = HrnnTestData.Exercised(8, 30, 20);
        var theta = HrnnTestData.RandomParameters(lengths, 2);
        using var cuda = new CudaBackend();
        using var cpu = new CpuBackend();
        using var run = new HrnnBufferRun(cuda, specs, weights, theta);
        using var host = new HrnnOptimizer(cpu, specs, weights);
        var hostTheta = theta.Select(t => (float[])t.Clone()).ToArray();
        for (int step = 1; step <= 12; step++)
        {
            var g = HrnnTestData.Gradients(lengths, step, 5);
            if (step is 2 or 5) { g[3][0] = float.NaN; g[150][^1] = float.PositiveInfinity; g[40][lengths[40] / 2] = -2e19f; }
            var before = hostTheta.Select(t => (float[])t.Clone()).ToArray();
            var gpu = run.Step(g);
            host.Step(hostTheta, g);
            Assert.Equal(host.LastStepSkipped, run.Optimizer.LastStepSkipped);
            for (int k = 0; k < lengths.Length; k++)
            {
                var cpuUpdate = before[k].Select((b, i) => (double)b - hostTheta[k][i]).ToArray();
                HrnnTestData.AssertUpdate($"step {step} tensor {k}", before[k], gpu[k], cpuUpdate);
            }
        }
        Assert.Equal(host.SkippedTensorSteps, run.Optimizer.SkippedTensorSteps);
        Assert.Equal(6, run.Optimizer.SkippedTensorSteps);
        Assert.Equal(host.UnusableGradientEntries, run.Optimizer.UnusableGradientEntries);
        var a = host.ExportState();
        var b = run.Optimizer.ExportState();
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Name, b[i].Name);
            HrnnTestData.AssertState(a[i].Name, b[i].ToFloats(), a[i].ToFloats().Select(x => (double)x).ToArray());
        }
    }

    [Fact]
    public void StateMovesBetweenBackends()
    {
        RequireDevice();
        long[] lengths = [300, 5];
        var specs = new List<TensorSpec> { new("w", 300), new("b", 5) };
        var weights = HrnnTestData.Exercised(3);
        var theta = HrnnTestData.RandomParameters(lengths, 1);
        using var cuda = new CudaBackend();
        using var cpu = new CpuBackend();
        using var run = new HrnnBufferRun(cuda, specs, weights, theta);
        for (int s = 1; s <= 4; s++) theta = run.Step(HrnnTestData.Gradients(lengths, s, 9));
        var path = Path.Combine(Path.GetTempPath(), $"hrnn-cuda-{Guid.NewGuid():N}.safetensors");
        try
        {
            run.Optimizer.SaveState(path);
            using var host = new HrnnOptimizer(cpu, specs, weights);
            host.LoadState(path);
            var hostTheta = theta.Select(t => (float[])t.Clone()).ToArray();
            var g = HrnnTestData.Gradients(lengths, 5, 9);
            var gpu = run.Step(g);
            host.Step(hostTheta, g);
            for (int k = 0; k < 2; k++)
                HrnnTestData.AssertUpdate($"tensor {k}", theta[k], gpu[k], theta[k].Select((x, i) => (double)x - hostTheta[k][i]).ToArray());
        }
        finally { File.Delete(path); }
    }
}
