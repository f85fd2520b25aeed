using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>
/// Every backend's HRNN step (CPU launchers, CUDA kernels) against the independent double-precision
/// reference (docs/hrnn.md accuracy target). The CUDA cases skip without a device.
/// </summary>
public class HrnnReferenceTests
{
    // One method per tier (theory rows are not enumerated at discovery, so a row's trait cannot be filtered on).
    [Theory]
    [Trait("tier", "cpu")]
    [InlineData(20, 20)]
    [InlineData(30, 20)]
    [InlineData(1, 3)]
    public void CpuMatchesReferenceOverManySteps(int h1, int h2) => MatchesReferenceOverManySteps(TestBackends.Cpu, h1, h2);

    [Theory]
    [Trait("tier", "gpu")]
    [InlineData(20, 20)]
    [InlineData(30, 20)]
    [InlineData(1, 3)]
    public void CudaMatchesReferenceOverManySteps(int h1, int h2) => MatchesReferenceOverManySteps(TestBackends.Cuda, h1, h2);

    private static void MatchesReferenceOverManySteps(string backend, int h1, int h2)
    {
        long[] lengths = [1, 7, 33 * 17, 4099];
        var specs = new List<TensorSpec> { new("a", 1), new("b", 7), new("layer/w", [33, 17]), new("c", 4099) };
        var weights = HrnnTestData.Exercised(11, h1, h2);
        var theta = HrnnTestData.RandomParameters(lengths, 5);
        using var device = TestBackends.Open(backend);
        using var run = new HrnnBufferRun(device, specs, weights, theta);
        var reference = new HrnnReference(weights, lengths, HrnnOptimizer.DefaultInitialLogLr);

        for (int step = 1; step <= 55; step++)
        {
            var g = HrnnTestData.Gradients(lengths, step, 99);
            if (step == 20) g = lengths.Select(n => new float[n]).ToArray(); // an all-zero step
            var after = run.Step(g);
            var expected = reference.Step(g);
            for (int k = 0; k < lengths.Length; k++)
                HrnnTestData.AssertUpdate($"{backend} step {step} tensor {specs[k].Name}", theta[k], after[k], expected[k]);
            theta = after;
            if (step % 11 == 0 || step == 20) HrnnTestData.AssertStateMatches(run.Optimizer, reference, $"{backend} step {step}");
        }
        Assert.Equal(0, run.Optimizer.SkippedTensorSteps);
    }
}
