using LearnedOpt.Randomness;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tests.Tasks;

/// <summary>Gradient and Hessian-vector product of every synthetic family against float64 finite differences.</summary>
[Trait("tier", "cpu")]
public class FamilyDerivativeTests
{
    public static TheoryData<string> Cases() => new(
        "quadratic", "norm-1", "norm-1.5", "norm-2", "norm-3", "bowl", "bowl-rot", "logistic", "mlp", "mlp-deep",
        "matmul-2-5", "matmul-2-7", "matmul-3-20", "rescale-quadratic", "rescale-norm", "log-quadratic", "log-bowl",
        "sparse-bowl", "sum-mixed");

    internal static FlatTask Make(string name) => name switch
    {
        "quadratic" => new QuadraticTask(7, 3),
        "norm-1" => new NormTask(6, 1, 4),
        "norm-1.5" => new NormTask(6, 1.5, 4),
        "norm-2" => new NormTask(6, 2, 4),
        "norm-3" => new NormTask(6, 3, 4),
        "bowl" => new BowlTask(5),
        "bowl-rot" => new BowlTask(5, Math.PI / 4),
        "logistic" => new ClassifierTask("logistic", SyntheticDataset.MakeClassification(60, 5, 1.5, 9), [], 10),
        "mlp" => new ClassifierTask("mlp", SyntheticDataset.RandomMlp(40, 4, 9), [3], 8),
        "mlp-deep" => new ClassifierTask("mlp", SyntheticDataset.RandomMlp(30, 5, 2), [4, 3, 2], 8),
        "matmul-2-5" => new MatMulTask(2, 5),
        "matmul-2-7" => new MatMulTask(2, 7),
        "matmul-3-20" => new MatMulTask(3, 20),
        "rescale-quadratic" => new RescaleTask(new QuadraticTask(5, 1), 10),
        "rescale-norm" => new RescaleTask(new NormTask(5, 2.5, 1), 0.123),
        "log-quadratic" => new LogTask(new QuadraticTask(5, 2)),
        "log-bowl" => new LogTask(new BowlTask(0.1)),
        "sparse-bowl" => new SparseTask(new BowlTask(1)),
        "sum-mixed" => new SumTask("sum", [new NormTask(4, 3, 1), new QuadraticTask(3, 2), new TestFunctionTask(TestFunction.Rosenbrock), new BowlTask(5, 1)]),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientMatchesCentralDifferences(string name)
    {
        var task = Make(name);
        var rng = new Rng(21).Fork(name);
        for (int trial = 0; trial < 3; trial++)
        {
            var x = new double[task.Size];
            task.SampleInitial(rng, x);
            FiniteDifference.CheckGradient(task, x, rng);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void HessianVectorProductMatchesDifferencesOfTheGradient(string name)
    {
        var task = Make(name);
        var rng = new Rng(22).Fork(name);
        for (int trial = 0; trial < 2; trial++)
        {
            var x = new double[task.Size];
            task.SampleInitial(rng, x);
            FiniteDifference.CheckHvp(task, x, rng);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void HessianIsSymmetric(string name)
    {
        // uᵀHv = vᵀHu: an exact Hessian is symmetric, a wrong chain rule usually is not.
        var task = Make(name);
        var rng = new Rng(23).Fork(name);
        var x = new double[task.Size];
        task.SampleInitial(rng, x);
        var dirs = FiniteDifference.Directions(task.Size, rng, 2, 0).ToArray();
        var hu = new double[task.Size];
        var hv = new double[task.Size];
        task.Hvp(x, dirs[0], hu);
        task.Hvp(x, dirs[1], hv);
        double a = FiniteDifference.Dot(dirs[1], hu), b = FiniteDifference.Dot(dirs[0], hv);
        Assert.True(Math.Abs(a - b) <= 1e-8 * Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(b))), $"{name}: {a} vs {b}");
    }

    [Fact]
    public void LossesAreNonNegativeAtRandomInitialPoints()
    {
        // The meta-objective divides by the initial loss; the reference rejects negative losses.
        foreach (var entry in SyntheticCatalog.All.Where(e => !e.Name.StartsWith("quadratic-2048") && !e.Name.StartsWith("quadratic-1024")))
        {
            var task = entry.Build(1);
            var x = new double[task.Size];
            task.SampleInitial(new Rng(2), x);
            double f = task.Value(x, Span<double>.Empty);
            Assert.True(f >= 0 && double.IsFinite(f), $"{entry.Name}: initial loss {f}");
        }
    }
}
