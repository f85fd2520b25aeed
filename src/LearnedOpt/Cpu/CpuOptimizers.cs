using LearnedOpt.Backends;
using LearnedOpt.Interop;

namespace LearnedOpt.Cpu;

/// <summary>
/// The hand-designed optimizers of the CPU library (optim_cpu.cpp): the per-step scalars (one
/// definition for both backends) and the fused step on host tensors; plus the copy kernel.
/// </summary>
internal static unsafe class CpuOptimizers
{
    /// <summary>The scalars of step <paramref name="step"/> (1-based) of <paramref name="kind"/> with <paramref name="hyperParameters"/>.</summary>
    public static LoptCoef Coefficients(NativeOptimizer kind, in LoptHParams hyperParameters, long step)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a native optimizer kind.");
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        var hp = hyperParameters;
        LoptCoef c;
        CpuLibrary.Check(LoptCpuNative.lopt_optim_coef((int)kind, &hp, step, &c), "lopt_optim_coef");
        return c;
    }

    /// <summary>One fused step of <paramref name="kind"/> on host tensors; returns the non-finite gradient entries it skipped.</summary>
    public static long Step(NativeOptimizer kind, in LoptCoef coef, TensorView parameters, TensorView gradients, TensorView state0, TensorView state1, TensorView state2)
    {
        long n = parameters.Length;
        HostTensors.Require(parameters, n, nameof(parameters));
        HostTensors.Require(gradients, n, nameof(gradients));
        if (coef.StateCount > 0) HostTensors.Require(state0, n, nameof(state0));
        if (coef.StateCount > 1) HostTensors.Require(state1, n, nameof(state1));
        if (coef.StateCount > 2) HostTensors.Require(state2, n, nameof(state2));
        long bad;
        var c = coef;
        CpuLibrary.Check(LoptCpuNative.lopt_optim_step((int)kind, parameters.HostPointer, gradients.HostPointer,
            coef.StateCount > 0 ? state0.HostPointer : null, coef.StateCount > 1 ? state1.HostPointer : null,
            coef.StateCount > 2 ? state2.HostPointer : null, n, &c, &bad), "lopt_optim_step");
        return bad;
    }

    /// <summary>destination = source, host tensors of one length.</summary>
    public static void Copy(TensorView destination, TensorView source)
    {
        HostTensors.Require(destination, source.Length, nameof(destination));
        HostTensors.Require(source, destination.Length, nameof(source));
        LoptCpuNative.lopt_copy(destination.HostPointer, source.HostPointer, source.Length);
    }
}
