using System.Runtime.InteropServices;
using LearnedOpt.Backends;
using LearnedOpt.Optimizers;
using LearnedOpt.Randomness;
using LearnedOpt.Tensors;

namespace LearnedOpt.Tests.Cuda;

/// <summary>
/// GPU tier: every hand-designed optimizer on CUDA against the CPU library after 10 steps, on sizes
/// that are not multiples of the block (256), with NaN/Inf gradient entries mixed in.
/// Tolerance |gpu - cpu| &lt;= 1e-6 + 1e-5 |cpu|: both run the same IEEE float ops unfused
/// (--fmad=false, -ffp-contract=off) with correctly rounded sqrt and division, so results should
/// agree to the last bit except where a libm function differs (expf in PowerSign, ~1-2 ulp per step).
/// </summary>
[Trait("tier", "gpu")]
public class CudaOptimizerParityTests(CudaBackendFixture fixture) : IClassFixture<CudaBackendFixture>
{
    private const int Steps = 10;
    private const float AbsTol = 1e-6f, RelTol = 1e-5f;

    public static IEnumerable<(string Name, OptimizerKind Kind, HyperParameters Hp)> Configs() =>
    [
        ("sgd", OptimizerKind.Sgd, HyperParameters.Defaults(OptimizerKind.Sgd) with { Lr = 1e-2f, WeightDecay = 1e-2f }),
        ("momentum", OptimizerKind.Momentum, HyperParameters.Defaults(OptimizerKind.Momentum) with { Lr = 1e-2f, WeightDecay = 1e-3f }),
        ("nesterov", OptimizerKind.Nesterov, HyperParameters.Defaults(OptimizerKind.Nesterov) with { Lr = 1e-2f }),
        ("rmsprop", OptimizerKind.RmsProp, HyperParameters.Defaults(OptimizerKind.RmsProp)),
        ("rmsprop-momentum", OptimizerKind.RmsProp, HyperParameters.Defaults(OptimizerKind.RmsProp) with { Momentum = 0.9f, WeightDecay = 1e-3f }),
        ("adam", OptimizerKind.Adam, HyperParameters.Defaults(OptimizerKind.Adam) with { WeightDecay = 1e-2f }),
        ("adamw", OptimizerKind.AdamW, HyperParameters.Defaults(OptimizerKind.AdamW)),
        ("powersign-linear", OptimizerKind.PowerSign, HyperParameters.Defaults(OptimizerKind.PowerSign) with { Decay = SignDecay.Linear, TotalSteps = Steps }),
        ("addsign-cyclic", OptimizerKind.AddSign, HyperParameters.Defaults(OptimizerKind.AddSign) with { Decay = SignDecay.Cyclic, TotalSteps = Steps, Periods = 2 }),
        ("momentum-dampening", OptimizerKind.Momentum, HyperParameters.Defaults(OptimizerKind.Momentum) with { Lr = 1e-2f, Dampening = 0.3f }),
        ("rmsprop-centered", OptimizerKind.RmsProp, HyperParameters.Defaults(OptimizerKind.RmsProp) with { Centered = true }),
        ("rmsprop-centered-momentum", OptimizerKind.RmsProp, HyperParameters.Defaults(OptimizerKind.RmsProp) with { Centered = true, Momentum = 0.9f }),
        ("adam-amsgrad", OptimizerKind.Adam, HyperParameters.Defaults(OptimizerKind.Adam) with { Amsgrad = true, WeightDecay = 1e-2f }),
        ("adamw-amsgrad", OptimizerKind.AdamW, HyperParameters.Defaults(OptimizerKind.AdamW) with { Amsgrad = true }),
        ("adagrad", OptimizerKind.Adagrad, HyperParameters.Defaults(OptimizerKind.Adagrad) with { LrDecay = 0.1f, InitialAccumulator = 0.1f }),
        ("adamax", OptimizerKind.Adamax, HyperParameters.Defaults(OptimizerKind.Adamax) with { WeightDecay = 1e-2f }),
        ("nadam", OptimizerKind.NAdam, HyperParameters.Defaults(OptimizerKind.NAdam) with { WeightDecay = 1e-2f }),
        ("nadam-decoupled", OptimizerKind.NAdam, HyperParameters.Defaults(OptimizerKind.NAdam) with { WeightDecay = 1e-2f, DecoupledWeightDecay = true }),
        ("radam", OptimizerKind.RAdam, HyperParameters.Defaults(OptimizerKind.RAdam) with { Beta2 = 0.9f }),
        ("radam-decoupled", OptimizerKind.RAdam, HyperParameters.Defaults(OptimizerKind.RAdam) with { Beta2 = 0.9f, WeightDecay = 1e-2f, DecoupledWeightDecay = true }),
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var c in Configs())
            foreach (var n in SmallSizes.Append(LargeSize))
                data.Add(c.Name, n);
        return data;
    }

    public static readonly int[] SmallSizes = [1, 1000, 4099];

    /// <summary>Several waves of the grid-stride loop on a real GPU; adds nothing but time on the emulated driver.</summary>
    public const int LargeSize = (1 << 20) + 3;

    [Theory]
    [MemberData(nameof(Cases))]
    public void CudaMatchesCpuAfterTenSteps(string config, int n)
    {
        var cuda = fixture.Backend;
        Assert.SkipWhen(CudaTestEnvironment.IsEmulated && n == LargeSize, "the emulated driver runs kernels as one host loop: the large size only costs time");
        var (_, kind, hp) = Configs().Single(c => c.Name == config);
        var rng = new Rng(0xC0DA).Fork(config).Fork(n);
        var p0 = Enumerable.Range(0, n).Select(_ => (float)rng.Gaussian(0, 1)).ToArray();
        var grads = Enumerable.Range(0, Steps).Select(t => Gradient(rng.Fork(t), n, t)).ToArray();

        using var cpu = new CpuBackend();
        using var cpuOpt = OptimizerFactory.Create(kind, cpu, [new TensorSpec("w", n)], hp);
        var cpuP = (float[])p0.Clone();
        foreach (var grad in grads) cpuOpt.Step(cpuP, grad);

        using var gpuOpt = OptimizerFactory.Create(kind, cuda, [new TensorSpec("w", n)], hp);
        using var p = cuda.Allocate(n);
        using var g = cuda.Allocate(n);
        cuda.CopyFromHost(p0, p.View);
        foreach (var grad in grads)
        {
            cuda.CopyFromHost(grad, g.View);
            gpuOpt.Step([p.View], [g.View]);
        }
        var gpuP = new float[n];
        cuda.CopyToHost(p.View, gpuP);

        Close(cpuP, gpuP, $"{config} parameters");
        var cpuState = cpuOpt.ExportState();
        var gpuState = gpuOpt.ExportState();
        Assert.Equal(cpuState.Select(s => s.Name), gpuState.Select(s => s.Name));
        foreach (var (c, gs) in cpuState.Zip(gpuState).Where(z => z.First.Name != "step"))
            Close(c.ToFloats(), gs.ToFloats(), $"{config} {c.Name}");
        Assert.Equal(cpuOpt.NonFiniteGradients, gpuOpt.NonFiniteGradients);
        Assert.True(gpuOpt.NonFiniteGradients > 0 || n == 1, "the gradients were meant to contain NaN/Inf entries");
        Assert.NotEqual(p0, gpuP); // the steps did move the parameters
    }

    /// <summary>Gaussian gradients with NaN, +Inf and -Inf at a step-dependent sparse set of indices.</summary>
    private static float[] Gradient(Rng rng, int n, int step)
    {
        var g = Enumerable.Range(0, n).Select(_ => (float)rng.Gaussian(0, 1)).ToArray();
        for (int i = (step * 31) % 97; i < n; i += 97)
            g[i] = ((i / 97) % 3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
        if (n == 1 && step % 3 == 0) g[0] = float.NaN;
        return g;
    }

    private static void Close(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            Assert.True(float.IsFinite(a), $"{what}[{i}] = {a} on CUDA (CPU {e})");
            if (MathF.Abs(a - e) > AbsTol + RelTol * MathF.Abs(e))
                Assert.Fail($"{what}[{i}]: CUDA {a:R} vs CPU {e:R} (difference {a - e:E2})");
        }
    }
}
