using System.Globalization;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// The HRNN ensemble's entries (docs/tasks.md, entry list) with their constants, in the reference's
/// list order, and the variants: <see cref="DefaultVariant"/> (decision 1: 86 entries, no
/// neural networks), <see cref="Reference101"/> (the code's full list) and <see cref="NetworksVariant"/>
/// (the default entries plus <see cref="NetworksEnsemble"/>'s ReLU networks and dying-gradient quadratics).
/// </summary>
public static class SyntheticCatalog
{
    public const string DefaultVariant = "default";
    public const string Reference101 = "reference-101";
    public const string NetworksVariant = "networks";

    /// <summary>Rows of the synthetic classification datasets.</summary>
    public const int DatasetRows = 1000;

    /// <summary>The reference's make_classification seed; instance seed s uses 123 + s, so seed 0 is the reference's data.</summary>
    public const ulong LogisticDataSeed = 123;

    private static readonly Lazy<IReadOnlyList<SyntheticEntry>> AllEntries = new(BuildAll);

    /// <summary>Every synthetic entry (the 101 of the reference list, each once).</summary>
    public static IReadOnlyList<SyntheticEntry> All => AllEntries.Value;

    public static IReadOnlyList<string> Variants { get; } = [DefaultVariant, Reference101, NetworksVariant];

    /// <summary>The entries of an ensemble variant, in list order.</summary>
    public static IReadOnlyList<SyntheticEntry> Variant(string variant) => variant switch
    {
        DefaultVariant => All.Where(e => !e.IsNetwork).ToList(),
        Reference101 => All,
        NetworksVariant => [.. All.Where(e => !e.IsNetwork), .. NetworksEnsemble.Entries],
        _ => throw new ArgumentException($"Unknown ensemble variant '{variant}'; known: {string.Join(", ", Variants)}.", nameof(variant)),
    };

    private static string F(double v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>An independent seed for part i of a composite built from <paramref name="seed"/>.</summary>
    internal static ulong PartSeed(ulong seed, int i) => new Rng(seed).Fork(i).Seed;

    private static TensorSpec[] Vector(int n) => [new TensorSpec("x", n)];

    public static SyntheticEntry Quadratic(int n, double sigma = 0, string? name = null)
    {
        name ??= $"quadratic-{n}{(sigma > 0 ? "-noisy" : "")}";
        return new(name, "quadratic", Vector(n), seed => new QuadraticTask(n, seed, sigma, name));
    }

    public static SyntheticEntry Norm(int n, double p, double sigma = 0)
    {
        string name = $"norm-{n}-{F(p)}{(sigma > 0 ? "-noisy" : "")}";
        return new(name, "norm", Vector(n), seed => new NormTask(n, p, seed, sigma, name));
    }

    public static SyntheticEntry Bowl(double kappa, double angle = 0, double sigma = 0)
    {
        string name = $"bowl-{F(kappa)}{(angle != 0 ? "-rot" : "")}{(sigma > 0 ? "-noisy" : "")}";
        return new(name, "bowl", Vector(2), _ => new BowlTask(kappa, angle, sigma, name));
    }

    public static SyntheticEntry TestFn(TestFunction fn, double sigma = 0)
    {
        string name = TestFunctions.Name(fn) + (sigma > 0 ? "-noisy" : "");
        return new(name, "test-function", Vector(2), _ => new TestFunctionTask(fn, sigma, name));
    }

    public static SyntheticEntry Logistic(int d, double classSep, int batch, double sigma = 0)
    {
        string name = $"logistic-{d}{(sigma > 0 ? "-noisy" : "")}";
        TensorSpec[] specs = [new TensorSpec("w", [d, 1]), new TensorSpec("b", [1])];
        return new(name, "logistic", specs, seed => new ClassifierTask(name,
            SyntheticDataset.MakeClassification(DatasetRows, d, classSep, LogisticDataSeed + seed), [], batch, sigma));
    }

    public static SyntheticEntry Mlp(int d, int[] hidden, int batch)
    {
        string name = $"mlp-{d}-{string.Join("x", hidden)}";
        int[] widths = [d, .. hidden, 1];
        var specs = new List<TensorSpec>();
        for (int l = 0; l + 1 < widths.Length; l++)
        {
            specs.Add(new TensorSpec($"w{l}", [widths[l], widths[l + 1]]));
            specs.Add(new TensorSpec($"b{l}", [widths[l + 1]]));
        }
        return new(name, "mlp", specs, seed => new ClassifierTask(name, SyntheticDataset.RandomMlp(DatasetRows, d, seed), hidden, batch), IsNetwork: true);
    }

    public static SyntheticEntry MatMul(int n, int k)
    {
        string name = $"matmul-{n}-{k}";
        return new(name, "matmul", [new TensorSpec("theta_a", [n * n, k]), new TensorSpec("theta_b", [n * n, k])], _ => new MatMulTask(n, k, name));
    }

    public static SyntheticEntry Log(SyntheticEntry inner)
    {
        string name = $"log-{inner.Name}";
        return new(name, "log", inner.Tensors, seed => new LogTask(inner.Build(seed), name), inner.IsNetwork);
    }

    public static SyntheticEntry Rescale(SyntheticEntry inner, double scale, string? name = null)
    {
        name ??= $"rescale-{inner.Name}";
        return new(name, "rescale", inner.Tensors, seed => new RescaleTask(inner.Build(seed), scale, name), inner.IsNetwork);
    }

    public static SyntheticEntry Sparse(SyntheticEntry inner)
    {
        string name = $"sparse-{inner.Name}";
        return new(name, "sparse", inner.Tensors, seed => new SparseTask(inner.Build(seed), SparseTask.DefaultDropProbability, name), inner.IsNetwork);
    }

    public static SyntheticEntry Sum(string name, params SyntheticEntry[] parts)
    {
        var specs = parts.SelectMany((p, i) => p.Tensors.Select(t => new TensorSpec($"p{i}.{t.Name}", t.Shape))).ToList();
        return new(name, "sum", specs, seed => new SumTask(name, parts.Select((p, i) => p.Build(PartSeed(seed, i))).ToList()));
    }

    /// <summary>The nine 2-D functions in the order of the reference's "all" sum.</summary>
    private static readonly TestFunction[] SumOrder =
    [
        TestFunction.Rosenbrock, TestFunction.LogSumExp, TestFunction.Ackley, TestFunction.Beale, TestFunction.Booth,
        TestFunction.StyblinskiTang, TestFunction.Matyas, TestFunction.Branin, TestFunction.Michalewicz,
    ];

    private static List<SyntheticEntry> BuildAll()
    {
        var list = new List<SyntheticEntry>
        {
            // Noisy quadratics (n = 25 is noise-free in the reference, "for historical reasons").
            Quadratic(20, 0.5), Quadratic(25), Quadratic(50, 1), Quadratic(100, 2),
            Quadratic(784), Quadratic(1024), Quadratic(2048),
        };
        double[] kappas = [0.1, 1, 5];
        foreach (var sigma in new[] { 0.0, 0.1 })
        {
            foreach (var k in kappas) list.Add(Bowl(k, 0, sigma));
            list.Add(Bowl(5, Math.PI / 4, sigma));
        }
        (int D, double Sep, int B, double Sigma)[] logistic = [(10, 2.0, 100, 0.5), (100, 1.0, 50, 0.1), (200, 1.5, 20, 0.1), (256, 1.5, 100, 0.5)];
        foreach (var c in logistic) list.Add(Logistic(c.D, c.Sep, c.B));
        foreach (var c in logistic) list.Add(Logistic(c.D, c.Sep, c.B, c.Sigma));
        TestFunction[] alphabetical =
        [
            TestFunction.Ackley, TestFunction.Beale, TestFunction.Booth, TestFunction.Branin, TestFunction.LogSumExp,
            TestFunction.Matyas, TestFunction.Michalewicz, TestFunction.Rosenbrock, TestFunction.StyblinskiTang,
        ];
        foreach (var fn in alphabetical) list.Add(TestFn(fn));
        foreach (var fn in alphabetical) list.Add(TestFn(fn, 1));
        var mlps = new List<SyntheticEntry>
        {
            Mlp(8, [8, 5], 10), Mlp(12, [8, 5, 3], 200), Mlp(5, [4, 4, 4, 4], 100), Mlp(11, [4, 5, 6], 64),
            Mlp(9, [8], 128), Mlp(7, [8, 5], 16), Mlp(8, [32, 64], 10), Mlp(12, [16, 8, 3], 200),
            Mlp(5, [8, 8, 8, 8], 100), Mlp(11, [10, 12, 12], 64), Mlp(9, [32], 128), Mlp(7, [32, 64], 16),
        };
        list.AddRange(mlps);
        for (int k = 5; k <= 8; k++) list.Add(MatMul(2, k));
        for (int k = 19; k <= 24; k++) list.Add(MatMul(3, k));
        foreach (var n in new[] { 20, 50, 100 }) list.Add(Log(Quadratic(n)));
        foreach (var k in kappas) list.Add(Log(Bowl(k)));
        (double P, double S)[] normScales = [(2.5, 0.123), (1.5, 8), (2, 50), (3, 200), (1, 1000)];
        foreach (var (p, s) in normScales) list.Add(Rescale(Norm(18, p), s));
        (int N, double S)[] quadScales = [(20, 0.1), (25, 10), (50, 350), (100, 132)];
        foreach (var (n, s) in quadScales) list.Add(Rescale(Quadratic(n), s));
        (int N, double P)[] norms = [(27, 1), (25, 2), (22, 3)];
        foreach (var (n, p) in norms) list.Add(Norm(n, p));
        (int N, double P)[] noisyNorms = [(19, 1), (26, 2), (23, 3)];
        foreach (var (n, p) in noisyNorms) list.Add(Norm(n, p, 0.1));

        int[] sevenQuadratics = [11, 3, 9, 7, 5, 13, 12];
        var twoD = SumOrder.Select(fn => TestFn(fn)).ToArray();
        list.Add(Sum("sum-quadratics", sevenQuadratics.Select(n => Quadratic(n)).ToArray()));
        list.Add(Sum("sum-norm-quadratic-rosenbrock", Norm(18, 3), Quadratic(25), TestFn(TestFunction.Rosenbrock)));
        list.Add(Sum("sum-2d-all", twoD));
        list.Add(Sum("sum-2d-all-quadratics", [.. twoD, Quadratic(5), Quadratic(13)]));
        list.Add(Sum("sum-quadratic-11-3", Quadratic(11), Quadratic(3)));
        list.Add(Sum("sum-rosenbrock-log-sum-exp-ackley", TestFn(TestFunction.Rosenbrock), TestFn(TestFunction.LogSumExp), TestFn(TestFunction.Ackley)));
        // The "noisy" sums: noisy in our default, since wrappers pass sub-problem noise through (decision 2).
        list.Add(Sum("sum-quadratics-noisy", sevenQuadratics.Select(n => Quadratic(n, 0.1)).ToArray()));
        list.Add(Sum("sum-2d-all-quadratics-noisy", [.. twoD, Quadratic(5), Quadratic(13, 0.5)]));

        foreach (var n in new[] { 20, 50, 100 }) list.Add(Sparse(Quadratic(n)));
        foreach (var k in kappas) list.Add(Sparse(Bowl(k)));
        foreach (var m in mlps.Take(3)) list.Add(Sparse(m));

        var dup = list.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new InvalidOperationException($"Synthetic entry name '{dup.Key}' appears twice.");
        return list;
    }
}
