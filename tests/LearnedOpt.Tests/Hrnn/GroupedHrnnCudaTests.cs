using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tests.Cuda;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>GPU tier: the grouped step in hrnn.cu against the CPU grouped step on the same inputs. Skips without a device.</summary>
[Trait("tier", "gpu")]
public class GroupedHrnnCudaTests
{
    private static void RequireDevice() => Assert.SkipUnless(CudaTestEnvironment.HasDevice, CudaTestEnvironment.Reason);

    [Fact]
    public void CudaGroupedStepMatchesCpuGroupedStepWithAMaskAndUnusableGradients()
    {
        RequireDevice();
        var lengths = GroupedHrnnStepTests.Lengths;
        var specs = GroupedHrnnStepTests.Specs(lengths);
        using var cpu = new CpuBackend();
        using var cuda = new CudaBackend();
        using var host = new GroupedHrnnStep(cpu, specs, 8, 6);
        using var gpu = new GroupedHrnnStep(cuda, specs, 8, 6);
        for (int q = 0; q < lengths.Length; q++)
        {
            host.SetWeights(q, GroupedHrnnStepTests.Weights(q));
            gpu.SetWeights(q, GroupedHrnnStepTests.Weights(q));
            host.Reset(q);
            gpu.Reset(q);
        }
        var theta0 = lengths.SelectMany((g, q) => HrnnTestData.RandomParameters(g, (ulong)q)).ToArray();
        var hostTheta = new GroupedHrnnStepTests.Pinned(theta0);
        var hostGrad = new GroupedHrnnStepTests.Pinned(theta0.Select(t => new float[t.Length]).ToArray());
        var dTheta = theta0.Select(t => cuda.Allocate(t.Length)).ToArray();
        var dGrad = theta0.Select(t => cuda.Allocate(t.Length)).ToArray();
        try
        {
            for (int i = 0; i < theta0.Length; i++) cuda.CopyFromHost(theta0[i], dTheta[i].View);
            for (int step = 1; step <= 8; step++)
            {
                var g = lengths.SelectMany((l, q) => GroupedHrnnStepTests.GroupGradients(l, step, q)).ToArray();
                hostGrad.Set(g);
                for (int i = 0; i < g.Length; i++) cuda.CopyFromHost(g[i], dGrad[i].View);
                bool[] active = step == 4 ? [true, false, true, false] : [];
                var before = hostTheta.Arrays.Select(a => (float[])a.Clone()).ToArray();
                host.Step(hostTheta.Views, hostGrad.Views, active);
                gpu.Step(dTheta.Select(b => b.View).ToArray(), dGrad.Select(b => b.View).ToArray(), active);
                Assert.Equal(host.LastStepSkipped, gpu.LastStepSkipped);
                for (int i = 0; i < g.Length; i++)
                {
                    var got = new float[g[i].Length];
                    cuda.CopyToHost(dTheta[i].View, got);
                    var update = before[i].Select((b, j) => (double)b - hostTheta.Arrays[i][j]).ToArray();
                    HrnnTestData.AssertUpdate($"step {step} tensor {i}", before[i], got, update);
                    got.CopyTo(hostTheta.Arrays[i], 0);  // both continue from the same point
                    cuda.CopyFromHost(got, dTheta[i].View);
                }
            }
            Assert.Equal(host.SkippedTensorSteps, gpu.SkippedTensorSteps);
            Assert.Equal(host.UnusableGradientEntries, gpu.UnusableGradientEntries);
            for (int q = 0; q < lengths.Length; q++)
                HrnnTestData.AssertState($"group {q} state", gpu.Export(q), host.Export(q).Select(x => (double)x).ToArray());
        }
        finally
        {
            foreach (var b in dTheta.Concat(dGrad)) b.Dispose();
        }
    }
}
