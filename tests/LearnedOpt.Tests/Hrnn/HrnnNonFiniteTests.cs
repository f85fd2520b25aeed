using LearnedOpt.Backends;
using LearnedOpt.IO;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Hrnn;

/// <summary>
/// Non-finite policy (docs/hrnn.md): a tensor whose gradient holds NaN, ±Inf or a value above
/// 1e18 skips the step — θ, its state and s_k unchanged, counted — and the rest of the model steps
/// as the reference says, with the skipped tensor left out of the global mean.
/// </summary>
[Trait("tier", "cpu")]
public class HrnnNonFiniteTests
{
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(3e18f)]
    public void ATensorWithAnUnusableGradientSkipsTheStepAndTheRestFollowTheReference(float bad)
    {
        long[] lengths = [7, 300, 1];
        var specs = lengths.Select((n, k) => new TensorSpec($"t{k}", n)).ToList();
        var w = HrnnTestData.Exercised(17);
        using var backend = new CpuBackend();
        using var opt = new HrnnOptimizer(backend, specs, w);
        var reference = new HrnnReference(w, lengths, HrnnOptimizer.DefaultInitialLogLr);
        var theta = HrnnTestData.RandomParameters(lengths, 4);
        for (int step = 1; step <= 12; step++)
        {
            var g = HrnnTestData.Gradients(lengths, step, 8);
            bool poisoned = step is 3 or 4 or 9;
            if (poisoned) g[1][step * 13 % 300] = bad;
            if (step == 9) g[2][0] = bad; // two tensors at once
            var stateBefore = opt.ExportState().ToDictionary(t => t.Name, t => t.Data);
            var before = theta.Select(t => (float[])t.Clone()).ToArray();
            opt.Step(theta, g);
            var expected = reference.Step(g);
            for (int k = 0; k < lengths.Length; k++)
            {
                bool skip = (k == 1 && poisoned) || (k == 2 && step == 9);
                Assert.Equal(skip, opt.LastStepSkipped[k]);
                if (skip)
                {
                    Assert.Equal(before[k], theta[k]);
                    foreach (var t in opt.ExportState().Where(t => t.Name.StartsWith($"param/t{k}/") || t.Name == $"tensor/t{k}/h"))
                        Assert.Equal(stateBefore[t.Name], t.Data);
                }
                HrnnTestData.AssertUpdate($"step {step} t{k}", before[k], theta[k], expected[k]);
                Assert.All(theta[k], x => Assert.True(float.IsFinite(x)));
            }
        }
        HrnnTestData.AssertStateMatches(opt, reference, "end");
        Assert.All(opt.ExportState(), t => Assert.All(t.ToFloats(), x => Assert.True(float.IsFinite(x), t.Name)));
        Assert.Equal(4, opt.SkippedTensorSteps);
        Assert.Equal(4, opt.UnusableGradientEntries);
    }

    [Fact]
    public void WhenEveryTensorSkipsNothingChanges()
    {
        var w = HrnnTestData.Exercised(5);
        using var backend = new CpuBackend();
        using var opt = new HrnnOptimizer(backend, [new TensorSpec("a", 5)], w);
        var theta = new float[] { 1, 2, 3, 4, 5 };
        opt.Step(theta, new float[] { 1, 1, 1, 1, 1 });
        var before = opt.ExportState();
        var kept = (float[])theta.Clone();
        opt.Step(theta, new float[] { 1, float.NaN, float.NaN, 1, float.PositiveInfinity });
        Assert.Equal(kept, theta);
        var after = opt.ExportState();
        for (int i = 0; i < before.Count; i++) Assert.Equal(before[i].Data, after[i].Data);
        Assert.Equal(3, opt.UnusableGradientEntries);
        Assert.Equal(1, opt.SkippedTensorSteps);
    }

    [Fact]
    public void EmptyTensorsAreIgnored()
    {
        var w = HrnnTestData.Exercised(6);
        using var backend = new CpuBackend();
        using var opt = new HrnnOptimizer(backend, [new TensorSpec("empty", 0), new TensorSpec("x", 9)], w);
        using var plain = new HrnnOptimizer(backend, [new TensorSpec("x", 9)], w);
        var a = new float[9];
        var b = new float[9];
        for (int s = 1; s <= 4; s++)
        {
            var g = HrnnTestData.Gradients([9], s, 2)[0];
            opt.Step([Array.Empty<float>(), a], [Array.Empty<float>(), g]);
            plain.Step(b, g);
        }
        Assert.Equal(b, a); // an n = 0 tensor is excluded from every mean
        Assert.Equal(0, opt.SkippedTensorSteps);
        var doc = new SafeTensorsFile.Document(opt.ExportState(), new Dictionary<string, string>());
        Assert.Equal([10L, 0L], doc.Get("param/empty/h").Shape);
    }
}
