using LearnedOpt.Backends.Cuda;
using LearnedOpt.MetaTraining.Gradients;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// The per-coordinate engine seam: the engine rejects tensors it did not allocate and wrong sizes,
/// and the CUDA job table has the kernel's layout. (The CPU engine's unroll is checked against an
/// independent reference in <see cref="TbpttReferenceTests"/>.)
/// </summary>
[Trait("tier", "cpu")]
public class TbpttEngineSeamTests
{
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
