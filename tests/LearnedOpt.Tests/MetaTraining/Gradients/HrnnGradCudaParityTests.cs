using System.Runtime.InteropServices;
using LearnedOpt.Backends;
using LearnedOpt.Interop;
using LearnedOpt.MetaTraining.Gradients;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// GPU tier (skips without a usable device): the CUDA kernels of hrnn_grad.cu against the CPU
/// launchers on the same inputs, float64 and float32. Block partial rows are added in block order.
/// </summary>
[Trait("tier", "gpu")]
public unsafe class HrnnGradCudaParityTests
{
    private const int P = TbpttHrnnState.PerCoordinate, Block = 128;
    private const int SumsN = LoptHrnnGradNative.Sums, AccN = LoptHrnnGradNative.Accumulators;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KernelsMatchTheCpuLaunchers(bool single)
    {
        Assert.SkipUnless(CudaProbe.IsUsable(out var why), $"no usable CUDA device: {why}");
        var inp = HrnnGradNativeTests.Random(3000, 31);
        int n = inp.N;
        var pack = inp.W.CoordinatePack();
        // Both sides see values representable in the scalar type under test.
        double[] R(double[] v) => single ? v.Select(x => (double)(float)x).ToArray() : v;
        var (w, e0, g, st, nb, xa, ha, db, ab) = (R(pack), R(inp.E0), R(inp.G), R(inp.State), R(inp.NBar), R(inp.XAdd), R(inp.HAdd), R(inp.DBar), R(inp.ABar));
        double mu = single ? (float)inp.Mu : inp.Mu, lam = single ? (float)inp.Lambda : inp.Lambda;

        // CPU reference.
        var (next, d, a, sums, pbar, gbar, acc) = (new double[n * P], new double[n], new double[n], new double[SumsN], new double[n * P], new double[n], new double[AccN]);
        if (single)
        {
            float[] F(double[] v) => v.Select(x => (float)x).ToArray();
            var (w32, e032, g32, st32, nb32, xa32, ha32, db32, ab32) = (F(w), F(e0), F(g), F(st), F(nb), F(xa), F(ha), F(db), F(ab));
            var (nx32, d32, a32, pb32, gb32) = (new float[n * P], new float[n], new float[n], new float[n * P], new float[n]);
            fixed (float* pw = w32, pe = e032, pg = g32, ps = st32, pn = nx32, pd = d32, pa = a32, pnb = nb32, pxa = xa32, pha = ha32, pdb = db32, pab = ab32, ppb = pb32, pgb = gb32)
            fixed (double* psu = sums, pac = acc)
            {
                Assert.Equal(0, LoptHrnnGradNative.lopt_hrnn_grad_forward_f32(pw, pe, (float)mu, (float)lam, pg, ps, pn, pd, pa, psu, n));
                Assert.Equal(0, LoptHrnnGradNative.lopt_hrnn_grad_backward_f32(pw, pe, (float)mu, (float)lam, pg, ps, pnb, pxa, pha, pdb, pab, ppb, pgb, pac, n));
            }
            (next, d, a, pbar, gbar) = (W(nx32), W(d32), W(a32), W(pb32), W(gb32));
        }
        else
        {
            fixed (double* pw = w, pe = e0, pg = g, ps = st, pn = next, pd = d, pa = a, psu = sums, pnb = nb, pxa = xa, pha = ha, pdb = db, pab = ab, ppb = pbar, pgb = gbar, pac = acc)
            {
                Assert.Equal(0, LoptHrnnGradNative.lopt_hrnn_grad_forward_f64(pw, pe, mu, lam, pg, ps, pn, pd, pa, psu, n));
                Assert.Equal(0, LoptHrnnGradNative.lopt_hrnn_grad_backward_f64(pw, pe, mu, lam, pg, ps, pnb, pxa, pha, pdb, pab, ppb, pgb, pac, n));
            }
        }

        // GPU.
        using var gpu = new CudaBackend();
        uint grid = Math.Min(gpu.GridFor(n, Block), (uint)((n + Block - 1) / Block));
        var buffers = new List<DeviceBuffer>();
        ulong Up(double[] v)
        {
            var b = single ? gpu.Allocate(v.Length) : gpu.Allocate(2L * v.Length);
            buffers.Add(b);
            gpu.CopyFromHost(single ? v.Select(x => (float)x).ToArray() : MemoryMarshal.Cast<double, float>(v.AsSpan()), b.View);
            return b.View.DevicePointer;
        }
        double[] Down(ulong ptr, long count, bool doubles)
        {
            var b = buffers.First(x => x.View.DevicePointer == ptr);
            var host = new float[b.Length];
            gpu.CopyToHost(b.View, host);
            return doubles ? MemoryMarshal.Cast<float, double>(host.AsSpan()).ToArray()[..(int)count] : host.Select(x => (double)x).ToArray()[..(int)count];
        }
        ulong Zeros(long count, bool doubles)
        {
            var b = gpu.Allocate(doubles ? 2 * count : count);
            buffers.Add(b);
            gpu.CopyFromHost(new float[b.Length], b.View);
            return b.View.DevicePointer;
        }
        try
        {
            ulong dw = Up(w), de0 = Up(e0), dg = Up(g), dst = Up(st), dnb = Up(nb), dxa = Up(xa), dha = Up(ha), ddb = Up(db), dab = Up(ab);
            bool dbl = !single;
            ulong dnext = Zeros(n * P, dbl), dd = Zeros(n, dbl), da = Zeros(n, dbl), dgb = Zeros(n, dbl);
            ulong dfp = Zeros(grid * SumsN, true), dbp = Zeros(grid * AccN, true);
            long nn = n;
            float mu32 = (float)mu, lam32 = (float)lam;
            void* pmu = single ? &mu32 : &mu;
            void* plam = single ? &lam32 : &lam;
            string suffix = single ? "f32" : "f64";
            var fwd = stackalloc void*[] { &dw, &de0, pmu, plam, &dg, &dst, &dnext, &dd, &da, &dfp, &nn };
            gpu.Launch(gpu.GetFunction("hrnn_grad.cu", $"lopt_hg_forward_{suffix}"), grid, Block, fwd);
            // Backward in place: the adjoint of the old state overwrites nbar.
            var bwd = stackalloc void*[] { &dw, &de0, pmu, plam, &dg, &dst, &dnb, &dxa, &dha, &ddb, &dab, &dnb, &dgb, &dbp, &nn };
            gpu.Launch(gpu.GetFunction("hrnn_grad.cu", $"lopt_hg_backward_{suffix}"), grid, Block, bwd);
            gpu.Synchronize();

            double tol = single ? 1e-4 : 1e-11;
            HrnnGradNativeTests.Close("new state", next, Down(dnext, n * P, dbl), tol);
            HrnnGradNativeTests.Close("d", d, Down(dd, n, dbl), tol);
            HrnnGradNativeTests.Close("a", a, Down(da, n, dbl), tol);
            HrnnGradNativeTests.Close("sums", sums, RowSums(Down(dfp, grid * SumsN, true), SumsN), tol);
            HrnnGradNativeTests.Close("old-state adjoint", pbar, Down(dnb, n * P, dbl), single ? 1e-3 : 1e-10);
            HrnnGradNativeTests.Close("gradient adjoint", gbar, Down(dgb, n, dbl), single ? 1e-3 : 1e-10);
            HrnnGradNativeTests.Close("accumulators", acc, RowSums(Down(dbp, grid * AccN, true), AccN), single ? 1e-3 : 1e-10);
        }
        finally
        {
            foreach (var b in buffers) b.Dispose();
        }
    }

    private static double[] W(float[] v) => v.Select(x => (double)x).ToArray();

    // Adds the blocks' partial rows in block order.
    private static double[] RowSums(double[] rows, int width)
    {
        var total = new double[width];
        for (int r = 0; r < rows.Length / width; r++)
            for (int j = 0; j < width; j++) total[j] += rows[r * width + j];
        return total;
    }
}
