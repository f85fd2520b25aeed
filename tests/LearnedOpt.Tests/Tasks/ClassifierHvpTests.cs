using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;
using static LearnedOpt.Tests.Tasks.ClassifierTestData;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// The float32 batched classifier HVP (lopt_classifier_hvp) against the float64 R-operator of
/// ClassifierTask, against differences of the batched gradient, and against itself (symmetry,
/// one instance alone = the same instance in a batch).
/// </summary>
[Trait("tier", "cpu")]
public class ClassifierHvpTests
{
    public static TheoryData<string> Entries() => new("logistic-10", "logistic-100", "mlp-9-8", "mlp-8-32x64", "mlp-12-8x5x3");

    // float32 sums over up to 1000 rows against float64: the batched gradient tests use 1e-4 of the
    // largest entry, and the HVP runs the same accumulations twice (forward R-pass, backward).
    private const double ReferenceTolerance = 2e-4;

    [Theory]
    [MemberData(nameof(Entries))]
    public void FullDataAndMinibatchHvpMatchTheFloat64Reference(string entry)
    {
        var tasks = MakeTasks(entry, 4);
        var batch = new ClassifierBatch(tasks);
        int dim = batch.Dimension;
        var rng = new Rng(17).Fork(entry);
        var theta = InitialPoints(tasks, rng);
        var v = UnitDirections(tasks.Count, dim, rng);
        var hv = new float[theta.Length];
        batch.HessianVectorProduct(theta, v, hv);

        const long step = 5;
        var stepRng = new Rng(31);
        int b = tasks[0].BatchSize;
        var rows = tasks.SelectMany(t => t.BatchRows(stepRng, step)).ToArray();
        var mhv = new float[theta.Length];
        batch.HessianVectorProductRows(theta, rows, b, v, mhv);

        for (int k = 0; k < tasks.Count; k++)
        {
            var x = Instance(theta, k, dim);
            var vk = Instance(v, k, dim);
            var reference = new double[dim];
            tasks[k].Hvp(x, vk, reference);
            Close(hv.AsSpan(k * dim, dim), reference, ReferenceTolerance, $"{entry}[{k}] full Hv");
            tasks[k].TrainingHvp(x, vk, reference, stepRng, step);
            Close(mhv.AsSpan(k * dim, dim), reference, ReferenceTolerance, $"{entry}[{k}] minibatch Hv");
        }
    }

    // The step h balances float32 rounding of the gradient (error ∝ ε·|g|/h) against the h⁴ term
    // left after Richardson extrapolation. Logistic losses have |Hv| ≈ |g| and large higher
    // derivatives: h = 0.01. The MLPs' |Hv| is ~20× below |g| at their initial points, so rounding
    // dominates: h = 0.1. Measured errors are 2–4× below the 1e-3 tolerance at these steps.
    [Theory]
    [InlineData("logistic-10", 0.01)]
    [InlineData("logistic-100", 0.01)]
    [InlineData("mlp-9-8", 0.1)]
    [InlineData("mlp-8-32x64", 0.1)]
    [InlineData("mlp-12-8x5x3", 0.1)]
    public void HvpEqualsCentralDifferencesOfTheBatchedGradient(string entry, double h)
    {
        var tasks = MakeTasks(entry, 3);
        var batch = new ClassifierBatch(tasks);
        int dim = batch.Dimension, n = tasks.Count * dim;
        var rng = new Rng(23).Fork(entry);
        var theta = InitialPoints(tasks, rng);
        var v = UnitDirections(tasks.Count, dim, rng);
        int b = tasks[0].BatchSize;
        var rows = tasks.SelectMany(t => t.BatchRows(new Rng(8), 2)).ToArray();

        foreach (bool minibatch in new[] { false, true })
        {
            var hv = new float[n];
            if (minibatch) batch.HessianVectorProductRows(theta, rows, b, v, hv);
            else batch.HessianVectorProduct(theta, v, hv);

            // Difference quotient of the float32 gradient along v, in float64 from there on.
            double[] Difference(double step)
            {
                var (gp, gm) = (new float[n], new float[n]);
                var (tp, tm) = (new float[n], new float[n]);
                for (int i = 0; i < n; i++) { tp[i] = (float)(theta[i] + step * v[i]); tm[i] = (float)(theta[i] - step * v[i]); }
                if (minibatch) { batch.EvaluateRows(tp, rows, b, [], gp); batch.EvaluateRows(tm, rows, b, [], gm); }
                else { batch.Evaluate(tp, [], gp); batch.Evaluate(tm, [], gm); }
                var d = new double[n];
                for (int i = 0; i < n; i++) d[i] = (gp[i] - gm[i]) / (2 * step);
                return d;
            }

            // Richardson extrapolation of the steps h and h/2 removes the h² term.
            var d1 = Difference(h);
            var d2 = Difference(h / 2);
            for (int k = 0; k < tasks.Count; k++)
            {
                var fd = new double[dim];
                for (int i = 0; i < dim; i++) fd[i] = (4 * d2[k * dim + i] - d1[k * dim + i]) / 3;
                Close(hv.AsSpan(k * dim, dim), fd, 1e-3, $"{entry}[{k}] {(minibatch ? "minibatch" : "full")} Hv vs differences");
            }
        }
    }

    [Theory]
    [InlineData("logistic-100")]
    [InlineData("mlp-12-8x5x3")]
    public void HvpIsSymmetricAndLinear(string entry)
    {
        var tasks = MakeTasks(entry, 3);
        var batch = new ClassifierBatch(tasks);
        int dim = batch.Dimension, n = tasks.Count * dim;
        var rng = new Rng(41).Fork(entry);
        var theta = InitialPoints(tasks, rng);
        var u = UnitDirections(tasks.Count, dim, rng);
        var v = UnitDirections(tasks.Count, dim, rng);
        var (hu, hv, hsum) = (new float[n], new float[n], new float[n]);
        batch.HessianVectorProduct(theta, u, hu);
        batch.HessianVectorProduct(theta, v, hv);
        var sum = new float[n];
        for (int i = 0; i < n; i++) sum[i] = 2 * u[i] + v[i];
        batch.HessianVectorProduct(theta, sum, hsum);
        for (int k = 0; k < tasks.Count; k++)
        {
            double uhv = 0, vhu = 0, scale = 0;
            for (int i = k * dim; i < (k + 1) * dim; i++)
            {
                uhv += u[i] * (double)hv[i];
                vhu += v[i] * (double)hu[i];
                scale = Math.Max(scale, Math.Max(Math.Abs(hu[i]), Math.Abs(hv[i])));
            }
            Assert.True(Math.Abs(uhv - vhu) <= 1e-4 * scale * Math.Sqrt(dim), $"{entry}[{k}]: uᵀHv = {uhv} vs vᵀHu = {vhu}");
            var expected = new double[dim];
            for (int i = 0; i < dim; i++) expected[i] = 2.0 * hu[k * dim + i] + hv[k * dim + i];
            Close(hsum.AsSpan(k * dim, dim), expected, 1e-5, $"{entry}[{k}] H(2u + v)");
        }
    }

    [Fact]
    public void OneInstanceAloneEqualsTheSameInstanceInABatch()
    {
        var tasks = MakeTasks("mlp-11-4x5x6", 5);
        var batch = new ClassifierBatch(tasks);
        int dim = batch.Dimension;
        var rng = new Rng(3);
        var theta = InitialPoints(tasks, rng);
        var v = UnitDirections(tasks.Count, dim, rng);
        var hv = new float[theta.Length];
        batch.HessianVectorProduct(theta, v, hv);
        int b = tasks[0].BatchSize;
        var stepRng = new Rng(12);
        var rows = tasks.SelectMany(t => t.BatchRows(stepRng, 7)).ToArray();
        var mhv = new float[theta.Length];
        batch.HessianVectorProductRows(theta, rows, b, v, mhv);

        foreach (int k in new[] { 0, 3 })
        {
            var single = new ClassifierBatch([tasks[k]]);
            var one = new float[dim];
            single.HessianVectorProduct(theta.AsSpan(k * dim, dim), v.AsSpan(k * dim, dim), one);
            Assert.Equal(hv.AsSpan(k * dim, dim).ToArray(), one);
            single.HessianVectorProductRows(theta.AsSpan(k * dim, dim), rows.AsSpan(k * b, b), b, v.AsSpan(k * dim, dim), one);
            Assert.Equal(mhv.AsSpan(k * dim, dim).ToArray(), one);
        }
    }

    [Fact]
    public void BadShapesAreRejectedWithTheArgumentName()
    {
        var batch = new ClassifierBatch(MakeTasks("logistic-10", 2));
        int n = 2 * batch.Dimension;
        var theta = new float[n];
        Assert.Equal("v", Assert.Throws<ArgumentException>(() => batch.HessianVectorProduct(theta, new float[n - 1], new float[n])).ParamName);
        Assert.Equal("theta", Assert.Throws<ArgumentException>(() => batch.HessianVectorProductRows(new float[1], [0, 1], 1, theta, new float[n])).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => batch.HessianVectorProductRows(theta, [], 0, theta, new float[n])).ParamName);
        Assert.Equal("batchRows", Assert.Throws<ArgumentException>(() => batch.HessianVectorProductRows(theta, [0, 1, 2], 2, theta, new float[n])).ParamName);
    }
}
