using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Hrnn;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>The CPU launchers against the independent double-precision reference (hrnn.md §10 tolerance).</summary>
[Trait("tier", "cpu")]
public class HrnnReferenceTests
{
    [Theory]
    [InlineData(20, 20)]
    [InlineData(30, 20)]
    [InlineData(1, 3)]
    public void CpuMatchesReferenceOverManySteps(int h1, int h2)
    {
        long[] lengths = [1, 7, 33 * 17, 4099];
        var specs = new List<TensorSpec> { new("a", 1), new("b", 7), new("layer/w", [33, 17]), new("c", 4099) };
        var weights = HrnnTestData.Exercised(11, h1, h2);
        using var backend = new CpuBackend();
        using var opt = new HrnnOptimizer(backend, specs, weights);
        var reference = new HrnnReference(weights, lengths, HrnnOptimizer.DefaultInitialLogLr);
        var theta = HrnnTestData.RandomParameters(lengths, 5);

        for (int step = 1; step <= 55; step++)
        {
            var g = HrnnTestData.Gradients(lengths, step, 99);
            if (step == 20) g = lengths.Select(n => new float[n]).ToArray(); // an all-zero step
            var before = theta.Select(t => (float[])t.Clone()).ToArray();
            opt.Step(theta, g);
            var expected = reference.Step(g);
            for (int k = 0; k < lengths.Length; k++)
                HrnnTestData.AssertUpdate($"step {step} tensor {specs[k].Name}", before[k], theta[k], expected[k]);
            if (step % 11 == 0 || step == 20) HrnnTestData.AssertStateMatches(opt, reference, $"step {step}");
        }
        Assert.Equal(0, opt.SkippedTensorSteps);
    }
}
