using System.Runtime.InteropServices;

namespace LearnedOpt.Interop;

/// <summary>Mirror of <c>lopt_hparams</c> (native/include/lopt/lopt_optim.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LoptHParams
{
    public float Lr, Beta1, Beta2, Eps, WeightDecay, Momentum, Alpha, Base, Periods;
    public int Nesterov, Decay, TotalSteps;
    public float Dampening, LrDecay, MomentumDecay;
    public int Decoupled;
}

/// <summary>Mirror of <c>lopt_coef</c>: per-step scalars passed by value to every optimizer kernel.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LoptCoef
{
    public float Lr, Beta1, Beta2, Eps, WeightDecay, Momentum, Alpha;
    public float StepSize, Bc2Sqrt, Decoupled, SignScale, Base, PowerAgree, PowerDisagree;
    public int Nesterov, StateCount;
    public float GradScale, Clr, Bc1, Bc2, Rect, NadamGrad, NadamAvg;
    public int Rectified, DecoupledWd;
}

/// <summary>Kernel families of <c>enum lopt_optimizer</c>.</summary>
internal enum NativeOptimizer
{
    Sgd = 0,
    SgdMomentum = 1,
    RmsProp = 2,
    Adam = 3,
    AdamW = 4,
    PowerSign = 5,
    AddSign = 6,
    AdamAmsgrad = 7,
    AdamWAmsgrad = 8,
    RmsPropCentered = 9,
    Adagrad = 10,
    Adamax = 11,
    NAdam = 12,
    RAdam = 13,
}
