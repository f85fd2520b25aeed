using LearnedOpt.Randomness;

namespace LearnedOpt.Tasks;

/// <summary>
/// The held-out evaluation suite, named in this one place (docs/tasks-real-data.md):
/// the real-data tasks, the L2O-DM quadratic, and the HRNN reference's in-distribution test
/// problems (by registry name) on instance seeds that meta-training never draws.
/// </summary>
public static class HeldOutSuite
{
    /// <summary>One suite member: a registry task name, its group and the step horizon it is evaluated at.</summary>
    public sealed record Member(string Task, string Group, int Steps);

    /// <summary>Seeds with this bit set are reserved for evaluation; meta-training draws seeds through <see cref="TrainingSeed"/>.</summary>
    public const ulong HeldOutBit = 1UL << 63;

    public static IReadOnlyList<Member> Members { get; } =
    [
        // Real data: one epoch of the train split at batch 128 (60000/128, 48000/128).
        new("fashion-mnist-mlp-32", "real-data", 468),
        new("fashion-mnist-mlp-128", "real-data", 468),
        new("fashion-mnist8-mlp-32", "real-data", 375),
        // Networks of the HRNN paper's generalisation claims (small ConvNets, deeper MLPs), batch 64.
        new("fashion-mnist-conv-8-16", "networks", 1000),
        new("fashion-mnist-conv-16-32", "networks", 1000),
        new("fashion-mnist-mlp-128-128", "networks", 1000),
        new("fashion-mnist-mlp-64-32", "networks", 1000),
        // L2O-DM protocols at the paper's horizon.
        new("l2o-fashion-mlp-20", "l2o-dm", 100),
        new("l2o-quadratic", "l2o-dm", 100),
        // The HRNN reference's test_problems, in distribution but on held-out seeds.
        new(HrnnTestProblemProvider.Quadratic20, "in-distribution", 1000),
        new(HrnnTestProblemProvider.Quadratic20Noisy, "in-distribution", 1000),
        new("rosenbrock", "in-distribution", 1000),
        new("rosenbrock-noisy", "in-distribution", 1000),
        new("logistic-10", "in-distribution", 1000),
    ];

    public static IEnumerable<string> TaskNames => Members.Select(m => m.Task);

    public static bool Contains(string task) => Members.Any(m => m.Task == task);

    /// <summary>
    /// The <paramref name="count"/> evaluation seeds of <paramref name="task"/>: fixed, distinct per
    /// task, all with <see cref="HeldOutBit"/> set.
    /// </summary>
    public static ulong[] Seeds(string task, int count)
    {
        ArgumentException.ThrowIfNullOrEmpty(task);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var stream = new Rng(0x4E1D_0075_5EED_0001UL).Fork(task);
        return Enumerable.Range(0, count).Select(_ => stream.NextUInt64() | HeldOutBit).ToArray();
    }

    public static bool IsHeldOutSeed(ulong seed) => (seed & HeldOutBit) != 0;

    /// <summary>Maps any raw draw to a meta-training seed, which can never equal an evaluation seed.</summary>
    public static ulong TrainingSeed(ulong raw) => raw & ~HeldOutBit;
}
