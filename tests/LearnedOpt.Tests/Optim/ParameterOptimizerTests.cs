using LearnedOpt.Backends;
using LearnedOpt.Optim;
using LearnedOpt.Optimizers;
using LearnedOpt.Optimizers.Hrnn;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Optim;

using Optimizers = LearnedOpt.Optim.Optimizers;

/// <summary>The embedding entry point against the engine's own optimizers, and its argument errors.</summary>
[Trait("tier", "cpu")]
public class ParameterOptimizerTests
{
    [Fact]
    public void ParameterGroupsStepLikeSeparateOptimizersWithTheirOwnHyperparameters()
    {
        var (w, b) = (Seq(6, 1), Seq(3, 2));
        var (gw, gb) = (Seq(6, 3), Seq(3, 4));
        using var opt = Optimizers.Adam([new ParameterGroup([w]), new ParameterGroup([b]) { Lr = 0.05, WeightDecay = 0.1 }], lr: 0.01, beta2: 0.99);

        using var backend = new CpuBackend();
        using var refW = new HandDesignedOptimizer(OptimizerKind.Adam, backend, [new TensorSpec("w", 6)], new HyperParameters { Lr = 0.01f, Beta2 = 0.99f });
        using var refB = new HandDesignedOptimizer(OptimizerKind.Adam, backend, [new TensorSpec("b", 3)], new HyperParameters { Lr = 0.05f, Beta2 = 0.99f, WeightDecay = 0.1f });
        var (w2, b2) = ((float[])w.Clone(), (float[])b.Clone());
        for (int t = 0; t < 3; t++)
        {
            opt.Step(gw, gb);
            refW.Step(w2, gw);
            refB.Step(b2, gb);
        }
        Assert.Equal(w2, w);
        Assert.Equal(b2, b);
    }

    [Fact]
    public void DefaultsAreTheEngineDefaults()
    {
        foreach (var (kind, make) in new (OptimizerKind, Func<float[], ParameterOptimizer>)[]
        {
            (OptimizerKind.Sgd, p => Optimizers.Sgd([p])), (OptimizerKind.RmsProp, p => Optimizers.RmsProp([p])),
            (OptimizerKind.Adam, p => Optimizers.Adam([p])), (OptimizerKind.AdamW, p => Optimizers.AdamW([p])),
            (OptimizerKind.PowerSign, p => Optimizers.PowerSign([p])), (OptimizerKind.AddSign, p => Optimizers.AddSign([p])),
        })
        {
            var (p1, p2, g) = (Seq(5, 1), Seq(5, 1), Seq(5, 7));
            using var opt = make(p1);
            using var backend = new CpuBackend();
            using var reference = new HandDesignedOptimizer(kind, backend, [new TensorSpec("p", 5)], HyperParameters.Defaults(kind));
            for (int t = 0; t < 3; t++)
            {
                opt.Step(g);
                reference.Step(p2, g);
            }
            Assert.Equal(OptimizerNames.Name(kind), opt.Name);
            Assert.Equal(p2, p1);
        }
    }

    [Fact]
    public void HrnnUsesTheShippedWeightsAndMatchesTheEngineBitForBit()
    {
        var repoWeights = Path.Combine(RepoRoot(), "weights", ShippedHrnnWeights.FileName);
        Assert.Equal(HrnnWeights.Load(repoWeights).Pack(), ShippedHrnnWeights.Load().Pack());

        var (w, b) = (Seq(7, 1), Seq(2, 2));
        var (w2, b2) = ((float[])w.Clone(), (float[])b.Clone());
        var frozen = Seq(4, 5);
        var frozenStart = (float[])frozen.Clone();
        // A group at Lr 0 keeps its arrays, and at Lr 1 the HRNN's own result stands.
        using var opt = LearnedOptimizers.Hrnn([new ParameterGroup([w, b]), new ParameterGroup([frozen]) { Lr = 0 }]);
        using var backend = new CpuBackend();
        using var reference = new HrnnOptimizer(backend, [new TensorSpec("w", 7), new TensorSpec("b", 2), new TensorSpec("f", 4)], HrnnWeights.Load(repoWeights));
        var scratch = (float[])frozenStart.Clone();
        for (int t = 0; t < 3; t++)
        {
            float[][] g = [Seq(7, 10 + t), Seq(2, 20 + t), Seq(4, 30 + t)];
            opt.Step(g);
            reference.Step([w2, b2, scratch], g);
        }
        Assert.Equal(w2, w);
        Assert.Equal(b2, b);
        Assert.Equal(frozenStart, frozen);
    }

    [Fact]
    public void HrnnWeightsFromAPathOrAStreamAreUsed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lopt-hrnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            HrnnWeightInit.Create(3).Save(path);
            var (a, b, c) = (Seq(5, 1), Seq(5, 1), Seq(5, 1));
            var g = Seq(5, 2);
            using (var fromPath = LearnedOptimizers.Hrnn([a], path)) fromPath.Step(g);
            using (var stream = File.OpenRead(path))
            using (var fromStream = LearnedOptimizers.Hrnn([b], stream)) fromStream.Step(g);
            using (var shipped = LearnedOptimizers.Hrnn([c])) shipped.Step(g);
            Assert.Equal(a, b);
            Assert.NotEqual(a, c);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void BadArgumentsAreNamedAsTheApiSpellsThem()
    {
        var w = new float[3];
        Assert.Equal("lr", Assert.Throws<ArgumentException>(() => Optimizers.Adam([w], lr: -1)).ParamName);
        var wd = Assert.Throws<ArgumentException>(() => Optimizers.Adam([w], weightDecay: -0.5));
        Assert.Equal("weightDecay", wd.ParamName);
        Assert.StartsWith("weightDecay = -0.5", wd.Message);
        Assert.Equal("beta1", Assert.Throws<ArgumentException>(() => Optimizers.AdamW([w], beta1: 1)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentException>(() => Optimizers.AddSign([w], alpha: double.NaN)).ParamName);
        Assert.Equal("base", Assert.Throws<ArgumentException>(() => Optimizers.PowerSign([w], @base: 0)).ParamName);
        Assert.Equal("nesterov", Assert.Throws<ArgumentException>(() => Optimizers.Sgd([w], nesterov: true)).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => Optimizers.Sgd([w, w])).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => Optimizers.Sgd(Array.Empty<float[]>())).ParamName);
        var group = Assert.Throws<ArgumentException>(() => Optimizers.Sgd([new ParameterGroup([w]), new ParameterGroup([new float[2]]) { Lr = -1 }]));
        Assert.Equal("groups", group.ParamName);
        Assert.Contains("groups[1]", group.Message);
        Assert.Equal("groups", Assert.Throws<ArgumentException>(() => LearnedOptimizers.Hrnn([new ParameterGroup([w]) { Momentum = 0.9 }])).ParamName);
        var missing = Assert.Throws<ArgumentException>(() => LearnedOptimizers.Hrnn([w], "/nonexistent/w.safetensors"));
        Assert.Equal("weightsPath", missing.ParamName);
        Assert.Contains("/nonexistent/w.safetensors", missing.Message);

        using var sgd = Optimizers.Sgd([w, new float[2]]);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => sgd.Step(new float[3])).ParamName);
        Assert.Contains("gradients[1] has 3 elements", Assert.Throws<ArgumentException>(() => sgd.Step(new float[3], new float[3])).Message);
        Assert.Equal("value", Assert.Throws<ArgumentNullException>(() => { sgd.Schedule = null!; }).ParamName);
    }

    private static float[] Seq(int n, int seed) => Enumerable.Range(0, n).Select(i => MathF.Sin(seed * 7.1f + i * 1.3f)).ToArray();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interop.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Interop.sln above {AppContext.BaseDirectory}");
    }
}
