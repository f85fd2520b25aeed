using LearnedOpt.Backends;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>The float32 batched classifier (logistic and sigmoid MLPs) against the float64 ClassifierTask.</summary>
[Trait("tier", "cpu")]
public class ClassifierBatchTests
{
    [Theory]
    [InlineData("logistic-10")]
    [InlineData("logistic-100")]
    [InlineData("mlp-12-8x5x3")]
    [InlineData("mlp-8-32x64")]
    public void FullDataAndMinibatchMatchTheReference(string name)
    {
        var entry = SyntheticCatalog.All.Single(e => e.Name == name);
        var tasks = Enumerable.Range(0, 6).Select(i => (ClassifierTask)entry.Build((ulong)i)).ToList();
        var batch = new ClassifierBatch(tasks);
        int dim = batch.Dimension;
        var rng = new Rng(5);
        var theta = new float[tasks.Count * dim];
        for (int k = 0; k < tasks.Count; k++)
        {
            var x = new double[dim];
            tasks[k].SampleInitial(rng, x);
            for (int i = 0; i < dim; i++) theta[k * dim + i] = (float)x[i];
        }
        var loss = new float[tasks.Count];
        var grad = new float[theta.Length];
        batch.Evaluate(theta, loss, grad);

        int b = tasks[0].BatchSize;
        var stepRng = new Rng(77);
        const long step = 3;
        var rows = tasks.SelectMany(t => t.BatchRows(stepRng, step)).ToArray();
        var mloss = new float[tasks.Count];
        var mgrad = new float[theta.Length];
        batch.EvaluateRows(theta, rows, b, mloss, mgrad);

        for (int k = 0; k < tasks.Count; k++)
        {
            var x = theta.AsSpan(k * dim, dim).ToArray().Select(f => (double)f).ToArray();
            var g = new double[dim];
            double f = tasks[k].Value(x, g);
            Close(loss[k], f, grad.AsSpan(k * dim, dim), g, $"{name}[{k}] full");
            var gm = new double[dim];
            double fm = tasks[k].TrainingValue(x, gm, stepRng, step);
            Close(mloss[k], fm, mgrad.AsSpan(k * dim, dim), gm, $"{name}[{k}] minibatch");
        }
    }

    private static void Close(float loss, double f, ReadOnlySpan<float> grad, double[] g, string what)
    {
        Assert.True(Math.Abs(loss - f) <= 1e-4 * Math.Abs(f) + 1e-6, $"{what}: loss {loss} vs {f}");
        double scale = Math.Max(g.Max(Math.Abs), 1e-6);
        for (int i = 0; i < g.Length; i++)
            Assert.True(Math.Abs(grad[i] - g[i]) <= 1e-4 * scale, $"{what} gradient[{i}]: {grad[i]} vs {g[i]}");
    }

    [Fact]
    public void MixedArchitecturesAndBadRowsAreRejected()
    {
        var a = (ClassifierTask)SyntheticCatalog.All.Single(e => e.Name == "mlp-9-8").Build(0);
        var b = (ClassifierTask)SyntheticCatalog.All.Single(e => e.Name == "mlp-9-32").Build(0);
        Assert.Throws<ArgumentException>(() => new ClassifierBatch([a, b]));
        var batch = new ClassifierBatch([a]);
        var theta = new float[batch.Dimension];
        Assert.Throws<InvalidOperationException>(() => batch.EvaluateRows(theta, [5, 1000], 2, new float[1], Span<float>.Empty));
        var e = Assert.Throws<ArgumentException>(() => batch.EvaluateRows(theta, [1, 2, 3], 2, new float[1], Span<float>.Empty));
        Assert.Equal("batchRows", e.ParamName);
        Assert.Throws<InvalidOperationException>(() => batch.HessianVectorProductRows(theta, [5, 1000], 2, theta, new float[theta.Length]));
        e = Assert.Throws<ArgumentException>(() => batch.HessianVectorProductRows(theta, [1, 2], 2, theta, new float[theta.Length - 1]));
        Assert.Equal("hv", e.ParamName);
    }

    [Fact]
    public void ThroughputHookRunsOnTheCpu()
    {
        using var cpu = new CpuBackend();
        Assert.True(BatchedThroughput.Classifier(cpu, "mlp-9-8", 4, iterations: 1) > 0);
        Assert.Throws<ArgumentException>(() => BatchedThroughput.Classifier(cpu, "bowl-1", 4));
    }
}
