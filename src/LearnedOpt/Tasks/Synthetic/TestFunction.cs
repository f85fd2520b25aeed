namespace LearnedOpt.Tasks.Synthetic;

/// <summary>The nine two-dimensional optimization test functions of the HRNN ensemble (problems.md §2.4).</summary>
public enum TestFunction
{
    Rosenbrock,
    Beale,
    Booth,
    Branin,
    Matyas,
    Ackley,
    StyblinskiTang,
    Michalewicz,
    LogSumExp,
}
