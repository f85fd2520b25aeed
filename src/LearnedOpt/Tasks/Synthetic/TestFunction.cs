namespace LearnedOpt.Tasks.Synthetic;

/// <summary>The nine two-dimensional optimization test functions of the HRNN ensemble (docs/tasks.md).</summary>
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
