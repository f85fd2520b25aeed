using LearnedOpt.Backends;
using LearnedOpt.Optimizers.Celo;

namespace LearnedOpt.Tests.Celo;

/// <summary>The Celo step on CUDA against the CPU library (skips without a device).</summary>
[Trait("tier", "gpu")]
public class CeloCudaTests
{
    [Fact]
    public void CudaMatchesTheCpuStepAndSkipsNonFiniteTensors()
    {
        using var cuda = TestBackends.Open(TestBackends.Cuda);
        using var cpu = new CpuBackend();
        var specs = CeloRun.MixedSpecs();
        specs.Add(new("big", [700, 300]));
        specs.Add(new("long", [5000]));
        var w = CeloTestData.Weights(30);
        using var onCpu = CeloRun.Create(cpu, specs, w, 20);
        using var onGpu = CeloRun.Create(cuda, specs, w, 20);
        var pCpu = CeloRun.Params(specs, 30);
        var pGpu = pCpu.Select(CeloRun.Copy).ToList();
        var bufP = pGpu.Select(v => cuda.Allocate(v.Length)).ToArray();
        var bufG = specs.Select(s => cuda.Allocate(s.Length)).ToArray();
        try
        {
            for (int k = 0; k < specs.Count; k++) cuda.CopyFromHost(pGpu[k], bufP[k].View);
            for (int t = 0; t < 6; t++)
            {
                var g = CeloRun.Grads(specs, 30, t);
                if (t == 3) g[6][11] = float.NaN;
                var before = pCpu.Select(CeloRun.Copy).ToList();
                CeloRun.Step(onCpu, 2f - 0.2f * t, pCpu, g);
                for (int k = 0; k < specs.Count; k++) cuda.CopyFromHost(g[k], bufG[k].View);
                onGpu.ObserveLoss(2f - 0.2f * t);
                onGpu.Step(bufP.Select(b => b.View).ToArray(), bufG.Select(b => b.View).ToArray());
                Assert.Equal(onCpu.LastMultiplier, onGpu.LastMultiplier, 12);
                for (int k = 0; k < specs.Count; k++)
                {
                    cuda.CopyToHost(bufP[k].View, pGpu[k]);
                    var dCpu = before[k].Zip(pCpu[k], (a, b) => (double)a - b).ToList();
                    Assert.True(CeloRun.StepError(before[k], pGpu[k], dCpu, ulps: 2) <= 1, $"step {t}, tensor {specs[k].Name}");
                    cuda.CopyFromHost(pCpu[k], bufP[k].View); // both continue from the same parameters
                }
            }
            Assert.Equal(onCpu.NonFiniteGradients, onGpu.NonFiniteGradients);
            Assert.Equal(1, onGpu.SkippedTensorSteps);
        }
        finally
        {
            foreach (var b in bufP.Concat(bufG)) b.Dispose();
        }
    }
}
