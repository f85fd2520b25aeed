using LearnedOpt.Tasks.Synthetic;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tasks;

/// <summary>
/// The HRNN reference's Quadratic(20) test problems (noise-free and σ = 1), which the meta-training
/// ensemble does not contain (its Quadratic(20) has σ = 0.5). Registered only for evaluation, so
/// marked held out; the other test problems (rosenbrock, rosenbrock-noisy, logistic-10) are ensemble entries.
/// </summary>
public sealed class HrnnTestProblemProvider : ITaskProvider
{
    public const string Quadratic20 = "hrnn-test-quadratic-20";
    public const string Quadratic20Noisy = "hrnn-test-quadratic-20-noisy";

    public IEnumerable<TaskEntry> Entries =>
    [
        new TaskEntry(Quadratic20, "quadratic", [new TensorSpec("x", 20)], HeldOut: true, seed => new QuadraticTask(20, seed, 0, Quadratic20)),
        new TaskEntry(Quadratic20Noisy, "quadratic", [new TensorSpec("x", 20)], HeldOut: true, seed => new QuadraticTask(20, seed, 1.0, Quadratic20Noisy)),
    ];
}
