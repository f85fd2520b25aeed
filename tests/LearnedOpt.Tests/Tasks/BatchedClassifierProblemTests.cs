using LearnedOpt.Backends;
using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Batched;
using LearnedOpt.Tasks.Synthetic;
using static LearnedOpt.Tests.Tasks.ClassifierTestData;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// BatchedClassifierProblem on the CPU library against the float64 ClassifierTask: training steps
/// (minibatch rows of new Rng(dataSeed).Stream(step)), their HVPs, the full-data loss and HVP.
/// </summary>
[Trait("tier", "cpu")]
public class BatchedClassifierProblemTests
{
    private static readonly ulong[] Seeds = [101, 7, 55, 3_000_000_019];

    // Step 0, consecutive steps of one epoch, and steps in later epochs (B = 50 and 200: 20 and 5 batches per epoch).
    private static readonly long[] Steps = [0, 1, 2, 9, 23, 61];

    [Theory]
    [InlineData("logistic-100")]
    [InlineData("mlp-12-8x5x3")]
    [InlineData("mlp-9-32")]
    public unsafe void TrainingStepsAndHvpsMatchTheTaskAtSeveralSteps(string entry)
    {
        var tasks = MakeTasks(entry, Seeds.Length);
        using var cpu = new CpuBackend();
        using var problem = BatchedClassifierProblem.TryCreate(cpu, tasks, Seeds);
        Assert.NotNull(problem);
        int dim = problem.Dimension, n = tasks.Count * dim;
        var rng = new Rng(9).Fork(entry);
        var theta = InitialPoints(tasks, rng);
        var v = UnitDirections(tasks.Count, dim, rng);
        var (loss, grad, hv) = (new float[tasks.Count], new float[n], new float[n]);
        fixed (float* pt = theta, pv = v, pl = loss, pg = grad, ph = hv)
        {
            var (t, vv, l, g, h) = (TensorView.Host(pt, n), TensorView.Host(pv, n), TensorView.Host(pl, loss.Length), TensorView.Host(pg, n), TensorView.Host(ph, n));
            foreach (long step in Steps)
            {
                problem.TrainingStep(t, step, l, g);
                problem.TrainingHvp(t, step, vv, h);
                for (int k = 0; k < tasks.Count; k++)
                {
                    var x = Instance(theta, k, dim);
                    var rg = new double[dim];
                    double f = tasks[k].TrainingValue(x, rg, new Rng(Seeds[k]).Stream(step), step);
                    Assert.True(Math.Abs(loss[k] - f) <= 1e-4 * Math.Abs(f) + 1e-6, $"{entry}[{k}] step {step}: loss {loss[k]} vs {f}");
                    Close(grad.AsSpan(k * dim, dim), rg, 1e-4, $"{entry}[{k}] step {step} gradient");
                    var rh = new double[dim];
                    tasks[k].TrainingHvp(x, Instance(v, k, dim), rh, new Rng(Seeds[k]).Stream(step), step);
                    Close(hv.AsSpan(k * dim, dim), rh, 2e-4, $"{entry}[{k}] step {step} Hv");
                }
            }

            problem.Evaluate(t, l, g);
            problem.HessianVectorProduct(t, vv, h);
            for (int k = 0; k < tasks.Count; k++)
            {
                var x = Instance(theta, k, dim);
                var rg = new double[dim];
                double f = tasks[k].Value(x, rg);
                Assert.True(Math.Abs(loss[k] - f) <= 1e-4 * Math.Abs(f) + 1e-6, $"{entry}[{k}] full loss {loss[k]} vs {f}");
                Close(grad.AsSpan(k * dim, dim), rg, 1e-4, $"{entry}[{k}] full gradient");
                var rh = new double[dim];
                tasks[k].Hvp(x, Instance(v, k, dim), rh);
                Close(hv.AsSpan(k * dim, dim), rh, 2e-4, $"{entry}[{k}] full Hv");
            }
        }
    }

    [Fact]
    public void RowsFollowEachInstancesOwnSchedule()
    {
        var tasks = MakeTasks("mlp-12-8x5x3", 2);
        using var cpu = new CpuBackend();
        using var problem = new BatchedClassifierProblem(cpu, tasks, [5, 5]);
        int b = tasks[0].BatchSize;
        // Same data seed, same schedule; consecutive steps of an epoch are disjoint batches.
        var s0 = problem.BatchRows(0);
        var s1 = problem.BatchRows(1);
        Assert.Equal(s0.AsSpan(0, b).ToArray(), s0.AsSpan(b, b).ToArray());
        Assert.Empty(s0.AsSpan(0, b).ToArray().Intersect(s1.AsSpan(0, b).ToArray()));
        // Another seed, another permutation.
        using var other = new BatchedClassifierProblem(cpu, tasks, [5, 6]);
        Assert.NotEqual(other.BatchRows(0).AsSpan(0, b).ToArray(), other.BatchRows(0).AsSpan(b, b).ToArray());
        Assert.Equal(tasks[1].BatchRows(new Rng(6), 0), other.BatchRows(0).AsSpan(b, b).ToArray());
    }

    [Fact]
    public void TryCreateDeclinesWhatItCannotBatch()
    {
        using var cpu = new CpuBackend();
        var mlp = MakeTasks("mlp-9-8", 2).Cast<FlatTask>().ToList();
        Assert.Null(BatchedClassifierProblem.TryCreate(cpu, MakeTasks("logistic-10-noisy", 2).Cast<FlatTask>().ToList(), [1, 2]));
        Assert.Null(BatchedClassifierProblem.TryCreate(cpu, [mlp[0], MakeTasks("mlp-9-32", 1)[0]], [1, 2]));
        Assert.Null(BatchedClassifierProblem.TryCreate(cpu, [mlp[0], new QuadraticTask(20, 1)], [1, 2]));
        Assert.Null(BatchedClassifierProblem.TryCreate(cpu, [new QuadraticTask(20, 1)], [1]));
        Assert.Null(BatchedClassifierProblem.TryCreate(cpu, mlp, [1]));
        Assert.Null(BatchedClassifierProblem.TryCreate(cpu, [], []));
        using var ok = BatchedClassifierProblem.TryCreate(cpu, mlp, [1, 2]);
        Assert.NotNull(ok);
        Assert.Equal((2, mlp[0].Size), (ok.Count, ok.Dimension));
        Assert.Same(cpu, ok.Backend);
    }

    [Fact]
    public unsafe void BadArgumentsNameTheArgument()
    {
        using var cpu = new CpuBackend();
        var tasks = MakeTasks("logistic-10", 2);
        Assert.Equal("dataSeeds", Assert.Throws<ArgumentException>(() => new BatchedClassifierProblem(cpu, tasks, [1])).ParamName);
        var noisy = MakeTasks("logistic-10-noisy", 1);
        Assert.Equal("tasks", Assert.Throws<ArgumentException>(() => new BatchedClassifierProblem(cpu, noisy, [1])).ParamName);
        using var problem = new BatchedClassifierProblem(cpu, tasks, [1, 2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => problem.BatchRows(-1));
        var theta = new float[2 * problem.Dimension];
        var grad = new float[theta.Length - 1];
        fixed (float* t = theta, g = grad)
        {
            var tv = TensorView.Host(t, theta.Length);
            var gv = TensorView.Host(g, grad.Length);
            Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => problem.TrainingStep(tv, 0, TensorView.None(MemoryLocation.Host), gv)).ParamName);
            var device = TensorView.Device(0x1000, theta.Length);
            Assert.Equal("theta", Assert.Throws<ArgumentException>(() => problem.Evaluate(device, TensorView.None(MemoryLocation.Host), gv)).ParamName);
        }
    }
}
