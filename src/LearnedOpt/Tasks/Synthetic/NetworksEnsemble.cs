using LearnedOpt.Data;

namespace LearnedOpt.Tasks.Synthetic;

/// <summary>
/// The families the "networks" ensemble variant adds to the default synthetic ensemble, so that a
/// learned optimizer meets what breaks it on real networks during meta-training: dead ReLU units
/// (ReLU MLPs on teacher–student data, some with always-zero and rarely non-zero inputs, and ReLU
/// MLPs and ConvNets on 8×8 Fashion-MNIST training images) and coordinates whose gradient vanishes (the dying-gradient
/// quadratic). Sampling is by group: a draw picks a group with its <see cref="Groups"/> share, then
/// an entry of that group uniformly (groups with no entry under maxParameters are dropped and the
/// other shares renormalised).
/// </summary>
public static class NetworksEnsemble
{
    public const string SyntheticGroup = "synthetic";
    public const string DyingGradientFamily = "dying-gradient-quadratic";
    public const string TeacherStudentFamily = "teacher-student-mlp";
    public const string FashionMnist8Family = "fashion-mnist8-area-mlp";
    public const string FashionMnist8ConvNetFamily = "fashion-mnist8-convnet";

    /// <summary>Rows of a teacher–student instance's dataset.</summary>
    public const int TeacherRows = 1000;
    public const int TeacherBatch = 64;

    /// <summary>Sampling share of each group (family); the shares sum to 1.</summary>
    public static IReadOnlyList<(string Group, double Share)> Groups { get; } =
    [
        (SyntheticGroup, 0.4),
        (DyingGradientFamily, 0.2),
        (TeacherStudentFamily, 0.15),
        (FashionMnist8Family, 0.15),
        (FashionMnist8ConvNetFamily, 0.1),
    ];

    /// <summary>The sampling group of an entry of the networks variant: its family for the added ones, else "synthetic".</summary>
    public static string GroupOf(SyntheticEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Family is DyingGradientFamily or TeacherStudentFamily or FashionMnist8Family or FashionMnist8ConvNetFamily
            ? entry.Family : SyntheticGroup;
    }

    private static readonly Lazy<IReadOnlyList<SyntheticEntry>> All = new(() =>
    [
        DyingGradient(20), DyingGradient(50), DyingGradient(100),
        TeacherStudent(16, [32], 4, sparse: false),
        TeacherStudent(32, [32, 16], 5, sparse: false),
        TeacherStudent(64, [32], 10, sparse: true),
        TeacherStudent(128, [16, 16], 10, sparse: true),
        FashionMnist8([16]), FashionMnist8([32]), FashionMnist8([32, 16]),
        FashionMnist8ConvNet([4, 8]), FashionMnist8ConvNet([8, 16]),
    ]);

    /// <summary>The added entries (the variant is the default ensemble followed by these).</summary>
    public static IReadOnlyList<SyntheticEntry> Entries => All.Value;

    public static SyntheticEntry DyingGradient(int n)
    {
        string name = $"dying-gradient-quadratic-{n}";
        var specs = DyingGradientQuadraticTask.Sample(n, 0).Parameters;
        return new(name, DyingGradientFamily, specs, seed => DyingGradientQuadraticTask.Sample(n, seed, name));
    }

    /// <summary>A ReLU student on the data of a random tanh teacher; the instance seed draws teacher, inputs and sparsity.</summary>
    public static SyntheticEntry TeacherStudent(int d, int[] hidden, int classes, bool sparse)
    {
        string name = $"teacher-student-{d}-{string.Join("x", hidden)}-{classes}{(sparse ? "-sparse" : "")}";
        return new(name, TeacherStudentFamily, ReluClassifierTask.Specs(d, hidden, classes),
            seed => new ReluClassifierTask(name, TeacherStudentFamily, TeacherStudentData.Generate(TeacherRows, d, classes, sparse, seed), hidden, TeacherBatch),
            IsNetwork: true);
    }

    /// <summary>A 64-…-10 ReLU MLP on an instance's subset of the installed 8×8 Fashion-MNIST training pool.</summary>
    public static SyntheticEntry FashionMnist8(int[] hidden) => FashionMnist8(hidden, () => FashionMnist8Subsets.InstalledPool);

    /// <summary>As <see cref="FashionMnist8(int[])"/> with the 8×8 pool given (tests substitute small data).</summary>
    public static SyntheticEntry FashionMnist8(int[] hidden, Func<LabeledDataset> pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        int side = FashionMnist8Subsets.Side;
        string name = $"fashion-mnist8-area-mlp-{string.Join("x", hidden)}";
        return new(name, FashionMnist8Family, ReluClassifierTask.Specs(side * side, hidden, FashionMnist.ClassCount),
            seed => new ReluClassifierTask(name, FashionMnist8Family, Subset(pool(), seed), hidden, FashionMnist8Subsets.BatchSize),
            IsNetwork: true);
    }

    /// <summary>A ConvNet (3×3 conv, ReLU, 2×2 max-pool per block; linear head) on an instance's subset of the installed 8×8 pool.</summary>
    public static SyntheticEntry FashionMnist8ConvNet(int[] channels) => FashionMnist8ConvNet(channels, () => FashionMnist8Subsets.InstalledPool);

    /// <summary>As <see cref="FashionMnist8ConvNet(int[])"/> with the 8×8 pool given (tests substitute small data).</summary>
    public static SyntheticEntry FashionMnist8ConvNet(int[] channels, Func<LabeledDataset> pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        int side = FashionMnist8Subsets.Side;
        var shape = new ConvNetShape(1, side, side, channels, FashionMnist.ClassCount);
        string name = $"fashion-mnist8-convnet-{string.Join("x", channels)}";
        return new(name, FashionMnist8ConvNetFamily, shape.Tensors,
            seed => new ConvNetClassifierTask(name, FashionMnist8ConvNetFamily, Subset(pool(), seed), shape, FashionMnist8Subsets.BatchSize),
            IsNetwork: true);
    }

    private static LabeledDataset Subset(LabeledDataset pool, ulong seed) => FashionMnist8Subsets.Subset(pool, seed, Math.Min(FashionMnist8Subsets.SubsetRows, pool.Count));
}
