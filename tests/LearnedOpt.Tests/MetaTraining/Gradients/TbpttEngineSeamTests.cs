using LearnedOpt.Backends.Cuda;
using LearnedOpt.MetaTraining.Gradients;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// The per-coordinate engine seam with the CPU engine reproduces the unroll as it was before the
/// seam (<see cref="LegacyTbpttMetaGradient"/>, a frozen copy) bit for bit: M, every gradient entry,
/// the losses, θ_T and the final state; and the engine rejects tensors it did not allocate.
/// </summary>
[Trait("tier", "cpu")]
public class TbpttEngineSeamTests
{
    public static TheoryData<string, bool, int> Cases() => EngineParityCases.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public void CpuEngineEqualsThePreSeamUnrollBitForBit(string name, bool firstOrder, int every)
    {
        var (w, problem) = EngineParityCases.Make(name);
        var options = new TbpttOptions(EngineParityCases.Steps, firstOrder, every);
        var legacy = LegacyTbpttMetaGradient.Compute(w, problem, options);
        var seam = TbpttMetaGradient.Compute(w, problem, options, HrnnCoordinateEngine.Cpu);
        Assert.True(double.IsFinite(seam.MetaLoss));
        Assert.Equal(Bits(legacy.MetaLoss), Bits(seam.MetaLoss));
        foreach (var (tensor, _) in w.Layout) Assert.Equal(legacy.Gradient[tensor].Select(Bits), seam.Gradient[tensor].Select(Bits));
        Assert.Equal(legacy.Losses.Select(Bits), seam.Losses.Select(Bits));
        for (int q = 0; q < legacy.FinalTheta.Length; q++)
        {
            Assert.Equal(legacy.FinalTheta[q].Select(Bits), seam.FinalTheta[q].Select(Bits));
            Assert.Equal(legacy.FinalState.Coords[q].Select(Bits), seam.FinalState.Coords[q].Select(Bits));
            Assert.Equal(legacy.FinalState.Sk[q].Select(Bits), seam.FinalState.Sk[q].Select(Bits));
        }
        Assert.Equal(legacy.FinalState.G.Select(Bits), seam.FinalState.G.Select(Bits));
        Assert.True(seam.Gradient.Norm() > 0);
    }

    [Fact]
    public void EvaluateEqualsThePreSeamForward()
    {
        var (w, problem) = EngineParityCases.Make("three-tensor-skips");
        var legacy = LegacyTbpttMetaGradient.Evaluate(w, problem, 6);
        var seam = TbpttMetaGradient.Evaluate(w, problem, 6);
        Assert.Equal(Bits(legacy.MetaLoss), Bits(seam.MetaLoss));
        Assert.Equal(legacy.FinalTheta.SelectMany(x => x).Select(Bits), seam.FinalTheta.SelectMany(x => x).Select(Bits));
    }

    [Fact]
    public void EngineRejectsForeignTensorsAndWrongSizes()
    {
        var cpu = HrnnCoordinateEngine.Cpu;
        using var a = cpu.Allocate(3);
        using var b = cpu.Allocate(4);
        var e = Assert.Throws<ArgumentException>(() => cpu.Copy(a, b));
        Assert.Contains("destination", e.Message);
        Assert.Throws<ArgumentException>(() => cpu.Upload(new double[5], a));
        Assert.Throws<ArgumentOutOfRangeException>(() => cpu.Allocate(-1));
        Assert.Throws<ArgumentException>(() => cpu.Place(new double[3]));
        using var foreign = new ForeignTensor();
        e = Assert.Throws<ArgumentException>(() => cpu.Copy(foreign, a));
        Assert.Contains("another engine", e.Message);
    }

    [Fact]
    public void TheCudaJobTableHasTheKernelsLayout()
    {
        // struct lopt_hg_job in hrnn_grad.cu: nine pointers, n, first block, blocks, mu, lambda, ell.
        Assert.Equal(112, System.Runtime.CompilerServices.Unsafe.SizeOf<CudaCoordinateEngine.Job>());
        Assert.Equal(72, (int)System.Runtime.InteropServices.Marshal.OffsetOf<CudaCoordinateEngine.Job>(nameof(CudaCoordinateEngine.Job.N)));
        Assert.Equal(84, (int)System.Runtime.InteropServices.Marshal.OffsetOf<CudaCoordinateEngine.Job>(nameof(CudaCoordinateEngine.Job.Blocks)));
        Assert.Equal(88, (int)System.Runtime.InteropServices.Marshal.OffsetOf<CudaCoordinateEngine.Job>(nameof(CudaCoordinateEngine.Job.Mu)));
        Assert.Equal(96, (int)System.Runtime.InteropServices.Marshal.OffsetOf<CudaCoordinateEngine.Job>(nameof(CudaCoordinateEngine.Job.Lambda)));
        Assert.Equal(104, (int)System.Runtime.InteropServices.Marshal.OffsetOf<CudaCoordinateEngine.Job>(nameof(CudaCoordinateEngine.Job.Ell)));
    }

    private static long Bits(double v) => BitConverter.DoubleToInt64Bits(v);

    private sealed class ForeignTensor() : CoordinateTensor(new ForeignEngine(), 3)
    {
        public override void Dispose() { }
    }

    private sealed class ForeignEngine : HrnnCoordinateEngine
    {
        public override string Description => "foreign";
        public override bool IsThreadSafe => true;
        public override CoordinateTensor Allocate(int length) => throw new NotSupportedException();
        public override void Upload(ReadOnlySpan<double> values, CoordinateTensor destination) => throw new NotSupportedException();
        public override void Download(CoordinateTensor source, Span<double> values) => throw new NotSupportedException();
        public override void Copy(CoordinateTensor source, CoordinateTensor destination) => throw new NotSupportedException();
        public override double EllSum(IReadOnlyList<CoordinateTensor> tensors) => throw new NotSupportedException();
        public override void AddToEll(CoordinateTensor adjoint, double value) => throw new NotSupportedException();
        public override CoordinateWeights Place(double[] pack) => throw new NotSupportedException();
        public override void Forward(CoordinateWeights w, double[] e0, double mu, double lambda, double[] g, CoordinateTensor input,
                                     CoordinateTensor output, double[] d, double[] a, double[] sums) => throw new NotSupportedException();
        public override void Backward(CoordinateWeights w, double[] e0, double mu, double lambda, double[] g, CoordinateTensor input,
                                      CoordinateTensor adjoint, double[] xAdd, double[] hAdd, double[] dBar, double[] aBar, double[] gBar, double[] acc)
            => throw new NotSupportedException();
    }
}
