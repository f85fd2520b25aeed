using LearnedOpt.Interop;
using LearnedOpt.Tasks.Synthetic;

namespace LearnedOpt.Tasks.Batched;

/// <summary>Count instances of one 2-D test function.</summary>
public sealed unsafe class TestFunctionBatch(TestFunction function, int count) : ProblemBatch(count, 2)
{
    public TestFunction Function { get; } = function;
    protected override string Call => "lopt_problems_testfn";

    protected override int Run(float* theta, float* loss, float* gradient, float* v, float* hv)
        => LoptProblemsNative.lopt_problems_testfn((int)Function, Count, theta, loss, gradient, v, hv);
}
