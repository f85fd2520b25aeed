using System.Runtime.InteropServices;
using LearnedOpt.Interop;
using LearnedOpt.NativeLibraries;
using C = LearnedOpt.Interop.NativeConstants;

namespace LearnedOpt.Tests.Cpu;

/// <summary>
/// The x86-64-v3 CPU library (AVX2 + FMA, wider lanes) against the baseline library: both files are
/// loaded side by side in this process, every kernel of the C ABI runs the same inputs through each,
/// and every output must agree bit for bit (-ffp-contract=off keeps FMA contraction out of both).
/// Skips on a CPU without AVX2 and FMA, where the v3 library cannot run.
/// </summary>
[Trait("tier", "cpu")]
public unsafe class InstructionSetParityTests
{
    /// <summary>One loaded library file and its exports by name.</summary>
    private sealed class Library(string path)
    {
        private readonly nint _handle = NativeLibrary.Load(path);
        public string Path { get; } = path;
        public nint this[string export] => NativeLibrary.GetExport(_handle, export);

        public void Check(int code, string call)
        {
            if (code == 0) return;
            var error = Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)this["lopt_last_error"])());
            throw new InvalidOperationException($"{call} in {Path} failed with {code}: {error}");
        }
    }

    private static (Library Baseline, Library V3) Open()
    {
        Assert.SkipUnless(CpuInstructionSets.MachineSupportsV3, "this CPU lacks AVX2 or FMA, so the x86-64-v3 library cannot run here");
        var dir = System.IO.Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        return (new Library(System.IO.Path.Combine(dir, CpuInstructionSets.FileName(CpuInstructionSet.Baseline))),
                new Library(System.IO.Path.Combine(dir, CpuInstructionSets.FileName(CpuInstructionSet.V3))));
    }

    /// <summary>Runs <paramref name="kernel"/> on each library and asserts the same bits in every named output.</summary>
    private static void SameBits(Func<Library, IReadOnlyList<(string Name, Array Values)>> kernel)
    {
        var (baseline, v3) = Open();
        var expected = kernel(baseline);
        var actual = kernel(v3);
        Assert.Equal(expected.Count, actual.Count);
        for (int o = 0; o < expected.Count; ++o)
        {
            var a = Bits(expected[o].Values);
            var b = Bits(actual[o].Values);
            Assert.Equal(a.Length, b.Length);
            Assert.True(a.Length > 0, $"{expected[o].Name} is empty");
            int first = Enumerable.Range(0, a.Length).FirstOrDefault(i => a[i] != b[i], -1);
            Assert.True(first < 0, $"{expected[o].Name}[{first}]: baseline {a[Math.Max(first, 0)]:x}, v3 {b[Math.Max(first, 0)]:x}");
        }
    }

    private static ulong[] Bits(Array values) => values switch
    {
        float[] f => f.Select(x => (ulong)BitConverter.SingleToUInt32Bits(x)).ToArray(),
        double[] d => d.Select(BitConverter.DoubleToUInt64Bits).ToArray(),
        int[] i => i.Select(x => (ulong)(uint)x).ToArray(),
        long[] l => l.Select(x => (ulong)x).ToArray(),
        uint[] u => u.Select(x => (ulong)x).ToArray(),
        _ => throw new ArgumentException($"unsupported output type {values.GetType()}", nameof(values)),
    };

    private static float[] Uniform(int seed, int n, float lo, float hi)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * (float)rng.NextDouble()).ToArray();
    }

    private static float[] Normal(int seed, int n, float scale)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ =>
            scale * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();
    }

    [Fact]
    public void BothLibrariesSayWhichInstructionSetTheyAreBuiltFor()
    {
        var (baseline, v3) = Open();
        static string Isa(Library l) => Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)l["lopt_cpu_isa"])())!;
        Assert.Equal("x86-64", Isa(baseline));
        Assert.Equal("x86-64-v3", Isa(v3));
    }

    [Theory] // every NativeOptimizer kind
    [InlineData(0)] [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)]
    [InlineData(7)] [InlineData(8)] [InlineData(9)] [InlineData(10)] [InlineData(11)] [InlineData(12)] [InlineData(13)]
    public void HandDesignedStep(int kind) => SameBits(lib =>
    {
        const int n = 100_003;
        var p = Normal(1, n, 1f);
        var g = Normal(2, n, 0.1f);
        g[17] = float.NaN;
        g[n - 2] = float.PositiveInfinity;
        var s0 = new float[n];
        var s1 = new float[n];
        var s2 = new float[n];
        var hp = new LoptHParams { Lr = 1e-2f, Beta1 = 0.9f, Beta2 = 0.999f, Eps = 1e-8f, WeightDecay = 1e-2f, Momentum = 0.9f, Alpha = 0.99f, Base = 2.718281828f, Periods = 0.5f, Nesterov = 1, Decay = 0, TotalSteps = 10, MomentumDecay = 4e-3f };
        var coefFn = (delegate* unmanaged<int, LoptHParams*, long, LoptCoef*, int>)lib["lopt_optim_coef"];
        var stepFn = (delegate* unmanaged<int, float*, float*, float*, float*, float*, long, LoptCoef*, long*, int>)lib["lopt_optim_step"];
        var coefs = new List<float>();
        long bad = 0;
        for (long t = 1; t <= 3; ++t)
        {
            LoptCoef c;
            lib.Check(coefFn(kind, &hp, t, &c), "lopt_optim_coef");
            coefs.AddRange([c.Lr, c.StepSize, c.Bc2Sqrt, c.Decoupled, c.SignScale, c.PowerAgree, c.PowerDisagree,
                            c.GradScale, c.Clr, c.Bc1, c.Bc2, c.Rect, c.NadamGrad, c.NadamAvg]);
            fixed (float* pp = p, gp = g, s0p = s0, s1p = s1, s2p = s2)
                lib.Check(stepFn(kind, pp, gp, s0p, s1p, s2p, n, &c, &bad), "lopt_optim_step");
        }
        return [("coef", coefs.ToArray()), ("p", p), ("s0", s0), ("s1", s1), ("s2", s2), ("nonfinite", new[] { bad })];
    });

    [Fact]
    public void Copy() => SameBits(lib =>
    {
        var src = Normal(3, 70_001, 1f);
        var dst = new float[src.Length];
        fixed (float* d = dst, s = src) ((delegate* unmanaged<float*, float*, long, void>)lib["lopt_copy"])(d, s, src.Length);
        return [("dst", dst)];
    });

    // Tensor lengths with a partial group of lanes and several chunks; one with an unusable gradient.
    private static readonly long[] HrnnLengths = [1, 37, 5000, 9];
    private const int H1 = 6, H2 = 5;

    private static float[] HrnnPack(Library lib, int seed)
    {
        int floats = ((delegate* unmanaged<int, int, int>)lib["lopt_hrnn_pack_floats"])(H1, H2);
        var pack = Normal(seed, floats, 0.3f);
        pack[C.HrnnWCount] = 0.7f;      // lam
        pack[C.HrnnWCount + 1] = -4f;   // o
        return pack;
    }

    /// <summary>Tensors of <see cref="HrnnLengths"/> with states in (0.05, 0.95) and gradients, for groups of tensors.</summary>
    private static (float[][] Theta, float[][] Grad, float[][] Block) HrnnTensors(int seed)
    {
        int k = HrnnLengths.Length;
        var theta = new float[k][];
        var grad = new float[k][];
        var block = new float[k][];
        for (int i = 0; i < k; ++i)
        {
            int n = (int)HrnnLengths[i];
            theta[i] = Normal(seed + 10 * i, n, 1f);
            grad[i] = Normal(seed + 10 * i + 1, n, 0.05f);
            block[i] = Uniform(seed + 10 * i + 2, C.HrnnBlock * n, 0.05f, 0.95f);
        }
        grad[k - 1][3] = float.NaN; // the last tensor skips its step
        return (theta, grad, block);
    }

    [Fact]
    public void HrnnStep() => SameBits(lib =>
    {
        int k = HrnnLengths.Length;
        var pack = HrnnPack(lib, 4);
        var (theta, grad, block) = HrnnTensors(5);
        var s = Uniform(6, k * H1, -0.5f, 0.5f);
        var gs = Uniform(7, H2, -0.5f, 0.5f);
        var e0 = new float[k * C.HrnnG0];
        var etg = new float[3 * H1];
        var ellmean = new float[k];
        var mu = new float[1];
        var skipped = new int[k];
        long bad = 0;
        var handles = theta.Concat(grad).Concat(block).Select(a => GCHandle.Alloc(a, GCHandleType.Pinned)).ToList();
        try
        {
            var tensors = new LoptHrnnTensor[k];
            for (int i = 0; i < k; ++i)
                tensors[i] = new LoptHrnnTensor
                {
                    Theta = (float*)handles[i].AddrOfPinnedObject(), Grad = (float*)handles[k + i].AddrOfPinnedObject(),
                    Block = (float*)handles[2 * k + i].AddrOfPinnedObject(), N = HrnnLengths[i],
                };
            fixed (float* pk = pack, sp = s, gp = gs, e0p = e0, etgp = etg, emp = ellmean, mup = mu)
            fixed (LoptHrnnTensor* tp = tensors)
            fixed (int* sk = skipped)
            {
                var sh = new LoptHrnnShared { S = sp, G = gp, E0 = e0p, Etg = etgp, EllMean = emp, Mu = mup };
                lib.Check(((delegate* unmanaged<float*, int, int, LoptHrnnTensor*, int, LoptHrnnShared*, int>)lib["lopt_hrnn_prepare"])(pk, H1, H2, tp, k, &sh), "lopt_hrnn_prepare");
                var step = (delegate* unmanaged<float*, int, int, LoptHrnnTensor*, int, LoptHrnnShared*, int*, long*, int>)lib["lopt_hrnn_step"];
                for (int t = 0; t < 3; ++t) lib.Check(step(pk, H1, H2, tp, k, &sh, sk, &bad), "lopt_hrnn_step");
            }
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
        Assert.Equal(1, skipped[k - 1]);
        return [("theta", theta.SelectMany(x => x).ToArray()), ("block", block.SelectMany(x => x).ToArray()), ("s", s), ("g", gs),
                ("e0", e0), ("etg", etg), ("ellmean", ellmean), ("mu", mu), ("skipped", skipped), ("bad", new[] { bad })];
    });

    [Fact]
    public void GroupedHrnnStep() => SameBits(lib =>
    {
        // Two groups: tensors {0, 1} and {2, 3}, each with its own pack.
        int k = HrnnLengths.Length, groups = 2;
        int[] first = [0, 2, 4];
        var packs = HrnnPack(lib, 8).Concat(HrnnPack(lib, 9)).ToArray();
        var (theta, grad, block) = HrnnTensors(10);
        var s = Uniform(11, k * H1, -0.5f, 0.5f);
        var gs = Uniform(12, groups * H2, -0.5f, 0.5f);
        var e0 = new float[k * C.HrnnG0];
        var etg = new float[groups * 3 * H1];
        var ellmean = new float[k];
        var mu = new float[groups];
        var skipped = new int[k];
        var bad = new long[groups];
        var handles = theta.Concat(grad).Concat(block).Select(a => GCHandle.Alloc(a, GCHandleType.Pinned)).ToList();
        try
        {
            var tensors = new LoptHrnnTensor[k];
            for (int i = 0; i < k; ++i)
                tensors[i] = new LoptHrnnTensor
                {
                    Theta = (float*)handles[i].AddrOfPinnedObject(), Grad = (float*)handles[k + i].AddrOfPinnedObject(),
                    Block = (float*)handles[2 * k + i].AddrOfPinnedObject(), N = HrnnLengths[i],
                };
            fixed (float* pk = packs, sp = s, gp = gs, e0p = e0, etgp = etg, emp = ellmean, mup = mu)
            fixed (LoptHrnnTensor* tp = tensors)
            fixed (int* sk = skipped, fp = first)
            fixed (long* bp = bad)
            {
                var sh = new LoptHrnnShared { S = sp, G = gp, E0 = e0p, Etg = etgp, EllMean = emp, Mu = mup };
                lib.Check(((delegate* unmanaged<float*, int, int, LoptHrnnTensor*, int*, int, LoptHrnnShared*, int>)lib["lopt_hrnn_prepare_grouped"])(pk, H1, H2, tp, fp, groups, &sh), "lopt_hrnn_prepare_grouped");
                var step = (delegate* unmanaged<float*, int, int, LoptHrnnTensor*, int*, int, int*, LoptHrnnShared*, int*, long*, int>)lib["lopt_hrnn_step_grouped"];
                for (int t = 0; t < 3; ++t) lib.Check(step(pk, H1, H2, tp, fp, groups, null, &sh, sk, bp), "lopt_hrnn_step_grouped");
            }
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
        return [("theta", theta.SelectMany(x => x).ToArray()), ("block", block.SelectMany(x => x).ToArray()), ("s", s), ("g", gs),
                ("e0", e0), ("etg", etg), ("ellmean", ellmean), ("mu", mu), ("skipped", skipped), ("bad", bad)];
    });

    [Fact]
    public void HrnnAdjointFloat64() => SameBits(lib =>
    {
        const int n = 301;
        var w = Normal(13, C.HrnnWCount, 0.3f).Select(x => (double)x).ToArray();
        var e0 = Normal(14, C.HrnnG0, 0.3f).Select(x => (double)x).ToArray();
        var g = Normal(15, n, 0.05f).Select(x => (double)x).ToArray();
        var state = Uniform(16, C.HrnnState * n, 0.05f, 0.95f).Select(x => (double)x).ToArray();
        var next = new double[C.HrnnState * n];
        var d = new double[n];
        var a = new double[n];
        var sums = new double[C.HgSums];
        var barNext = Normal(17, C.HrnnState * n, 1f).Select(x => (double)x).ToArray();
        var xbar = Normal(18, C.HrnnF, 1f).Select(x => (double)x).ToArray();
        var hbar = Normal(19, C.HrnnH0, 1f).Select(x => (double)x).ToArray();
        var dbar = Normal(20, n, 1f).Select(x => (double)x).ToArray();
        var abar = Normal(21, n, 1f).Select(x => (double)x).ToArray();
        var barPrev = new double[C.HrnnState * n];
        var gbar = new double[n];
        var acc = new double[C.HgAcc];
        fixed (double* wp = w, ep = e0, gp = g, sp = state, np = next, dp = d, ap = a, sm = sums, bn = barNext, xb = xbar, hb = hbar,
               db = dbar, ab = abar, bp = barPrev, gb = gbar, ac = acc)
        {
            lib.Check(((delegate* unmanaged<double*, double*, double, double, double*, double*, double*, double*, double*, double*, long, int>)
                lib["lopt_hrnn_grad_forward_f64"])(wp, ep, 0.1, 0.7, gp, sp, np, dp, ap, sm, n), "lopt_hrnn_grad_forward_f64");
            lib.Check(((delegate* unmanaged<double*, double*, double, double, double*, double*, double*, double*, double*, double*, double*, double*, double*, double*, long, int>)
                lib["lopt_hrnn_grad_backward_f64"])(wp, ep, 0.1, 0.7, gp, sp, bn, xb, hb, db, ab, bp, gb, ac, n), "lopt_hrnn_grad_backward_f64");
        }
        return [("state_out", next), ("d", d), ("a", a), ("sums", sums), ("bar_prev", barPrev), ("gbar", gbar), ("acc", acc)];
    });

    [Fact]
    public void HrnnAdjointFloat32() => SameBits(lib =>
    {
        const int n = 301;
        var w = Normal(23, C.HrnnWCount, 0.3f);
        var e0 = Normal(24, C.HrnnG0, 0.3f);
        var g = Normal(25, n, 0.05f);
        var state = Uniform(26, C.HrnnState * n, 0.05f, 0.95f);
        var next = new float[C.HrnnState * n];
        var d = new float[n];
        var a = new float[n];
        var sums = new double[C.HgSums];
        var barNext = Normal(27, C.HrnnState * n, 1f);
        var xbar = Normal(28, C.HrnnF, 1f);
        var hbar = Normal(29, C.HrnnH0, 1f);
        var dbar = Normal(30, n, 1f);
        var abar = Normal(31, n, 1f);
        var barPrev = new float[C.HrnnState * n];
        var gbar = new float[n];
        var acc = new double[C.HgAcc];
        fixed (float* wp = w, ep = e0, gp = g, sp = state, np = next, dp = d, ap = a, bn = barNext, xb = xbar, hb = hbar,
               db = dbar, ab = abar, bp = barPrev, gb = gbar)
        fixed (double* sm = sums, ac = acc)
        {
            lib.Check(((delegate* unmanaged<float*, float*, float, float, float*, float*, float*, float*, float*, double*, long, int>)
                lib["lopt_hrnn_grad_forward_f32"])(wp, ep, 0.1f, 0.7f, gp, sp, np, dp, ap, sm, n), "lopt_hrnn_grad_forward_f32");
            lib.Check(((delegate* unmanaged<float*, float*, float, float, float*, float*, float*, float*, float*, float*, float*, float*, float*, double*, long, int>)
                lib["lopt_hrnn_grad_backward_f32"])(wp, ep, 0.1f, 0.7f, gp, sp, bn, xb, hb, db, ab, bp, gb, ac, n), "lopt_hrnn_grad_backward_f32");
        }
        return [("state_out", next), ("d", d), ("a", a), ("sums", sums), ("bar_prev", barPrev), ("gbar", gbar), ("acc", acc)];
    });

    // Loss, gradient and HVP outputs of a problem kernel with count instances of dimension dim.
    private delegate int ProblemCall(float* theta, float* loss, float* grad, float* v, float* hv);

    private static IReadOnlyList<(string, Array)> Problem(string name, Library lib, int count, int dim, int seed, ProblemCall call, float thetaScale = 1f)
    {
        var theta = Normal(seed, count * dim, thetaScale);
        var v = Normal(seed + 1, count * dim, 1f);
        var loss = new float[count];
        var grad = new float[count * dim];
        var hv = new float[count * dim];
        fixed (float* tp = theta, lp = loss, gp = grad, vp = v, hp = hv)
            lib.Check(call(tp, lp, gp, vp, hp), name);
        return [("loss", loss), ("grad", grad), ("hv", hv)];
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)]
    [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void TestFunction(int fn) => SameBits(lib => Problem("lopt_problems_testfn", lib, 257, 2, 40 + fn,
        (t, l, g, v, h) => ((delegate* unmanaged<int, long, float*, float*, float*, float*, float*, int>)lib["lopt_problems_testfn"])(fn, 257, t, l, g, v, h)));

    [Fact]
    public void Bowl() => SameBits(lib =>
    {
        var a = Normal(50, 4 * 129, 1f);
        fixed (float* ap = a)
        {
            float* aq = ap;
            return Problem("lopt_problems_bowl", lib, 129, 2, 51,
                (t, l, g, v, h) => ((delegate* unmanaged<long, float*, float*, float*, float*, float*, float*, int>)lib["lopt_problems_bowl"])(129, aq, t, l, g, v, h));
        }
    });

    [Fact]
    public void Quadratic() => SameBits(lib =>
    {
        const int count = 33, n = 13;
        var w = Normal(52, count * n * n, 1f);
        var y = Normal(53, count * n, 1f);
        fixed (float* wp = w, yp = y)
        {
            float* wq = wp, yq = yp;
            return Problem("lopt_problems_quadratic", lib, count, n, 54,
                (t, l, g, v, h) => ((delegate* unmanaged<long, int, float*, float*, float*, float*, float*, float*, float*, int>)lib["lopt_problems_quadratic"])(count, n, wq, yq, t, l, g, v, h));
        }
    });

    [Fact]
    public void Norm() => SameBits(lib =>
    {
        const int count = 33, n = 11;
        var w = Normal(55, count * n * n, 1f);
        var y = Normal(56, count * n, 1f);
        fixed (float* wp = w, yp = y)
        {
            float* wq = wp, yq = yp;
            return Problem("lopt_problems_norm", lib, count, n, 57,
                (t, l, g, v, h) => ((delegate* unmanaged<long, int, float, float*, float*, float*, float*, float*, float*, float*, int>)lib["lopt_problems_norm"])(count, n, 1.5f, wq, yq, t, l, g, v, h));
        }
    });

    [Fact]
    public void MatMul() => SameBits(lib =>
    {
        const int count = 17, n = 2, k = 3;
        return Problem("lopt_problems_matmul", lib, count, 2 * n * n * k, 58,
            (t, l, g, v, h) => ((delegate* unmanaged<long, int, int, float*, float*, float*, float*, float*, int>)lib["lopt_problems_matmul"])(count, n, k, t, l, g, v, h), 0.5f);
    });

    [Fact]
    public void ClassifierLossGradientAndHvp() => SameBits(lib =>
    {
        const int count = 5, rows = 40, d = 7, hidden = 9, batch = 16;
        int[] widths = [d, hidden, 1];
        int dim = d * hidden + hidden + hidden + 1;
        var x = Normal(60, count * rows * d, 1f);
        var labels = Uniform(61, count * rows, 0, 1).Select(u => u < 0.5f ? 0f : 1f).ToArray();
        var batchRows = Uniform(62, count * batch, 0, rows).Select(u => Math.Min(rows - 1, (int)u)).ToArray();
        var theta = Normal(63, count * dim, 0.5f);
        var v = Normal(64, count * dim, 1f);
        var loss = new float[count];
        var grad = new float[count * dim];
        var hv = new float[count * dim];
        var lossAll = new float[count];
        fixed (int* wp = widths, bp = batchRows)
        fixed (float* xp = x, lp = labels, tp = theta, vp = v, lo = loss, gp = grad, hp = hv, la = lossAll)
        {
            var f = (delegate* unmanaged<long, int, int*, float*, float*, int, int*, int, float, float*, float*, float*, int>)lib["lopt_problems_classifier"];
            lib.Check(f(count, 2, wp, xp, lp, rows, bp, batch, 1e-3f, tp, lo, gp), "lopt_problems_classifier");
            lib.Check(f(count, 2, wp, xp, lp, rows, null, 0, 1e-3f, tp, la, null), "lopt_problems_classifier (all rows)");
            lib.Check(((delegate* unmanaged<long, int, int*, float*, float*, int, int*, int, float, float*, float*, float*, int>)lib["lopt_classifier_hvp"])(
                count, 2, wp, xp, lp, rows, bp, batch, 1e-3f, tp, vp, hp), "lopt_classifier_hvp");
        }
        return [("loss", loss), ("grad", grad), ("loss_all_rows", lossAll), ("hv", hv)];
    });

    [Fact]
    public void ConvNet() => SameBits(lib =>
    {
        const int count = 3, rows = 20, height = 8, width = 8, classes = 4, batch = 6;
        int[] channels = [1, 4, 8];
        long dim;
        fixed (int* cp = channels) dim = ((delegate* unmanaged<int, int*, int, int, int, long>)lib["lopt_convnet_dim"])(2, cp, height, width, classes);
        Assert.True(dim > 0);
        var images = Uniform(70, rows * height * width, 0, 1);
        var labels = Uniform(71, rows, 0, classes).Select(u => (float)Math.Min(classes - 1, (int)u)).ToArray();
        var batchRows = Uniform(72, count * batch, 0, rows).Select(u => Math.Min(rows - 1, (int)u)).ToArray();
        var theta = Normal(73, count * (int)dim, 0.3f);
        var loss = new float[count];
        var grad = new float[count * dim];
        fixed (int* cp = channels, bp = batchRows)
        fixed (float* ip = images, lp = labels, tp = theta, lo = loss, gp = grad)
            lib.Check(((delegate* unmanaged<long, int, int*, int, int, int, float*, float*, int, int*, int, float*, float*, float*, int>)lib["lopt_convnet"])(
                count, 2, cp, height, width, classes, ip, lp, rows, bp, batch, tp, lo, gp), "lopt_convnet");
        return [("loss", loss), ("grad", grad)];
    });

    [Fact]
    public void RandomDrawsAndWrappers() => SameBits(lib =>
    {
        const int count = 7, dim = 1001, total = 1500, offset = 300;
        ulong[] seeds = [1, 2, 3, 4, 5, 6, 7];
        var uniform = new float[count * dim];
        var normal = new float[count * dim];
        var noisy = Normal(80, count * dim, 1f);
        var x = Normal(81, count * dim, 1f);
        var masked = new float[count * dim];
        var divided = new float[count * dim];
        var inner = Uniform(82, count, 0.1f, 3f);
        var logLoss = new float[count];
        var logGrad = Normal(83, count * dim, 1f);
        var gNoisy = Normal(84, count * dim, 1f);
        var gExact = Normal(85, count * dim, 1f);
        var v = Normal(86, count * dim, 1f);
        var hv = Normal(87, count * dim, 1f);
        var src = Normal(88, count * total, 1f);
        var gathered = new float[count * dim];
        var scattered = new float[count * total];
        var sum = Normal(89, count * dim, 1f);
        var philox = new uint[4];
        uint[] ctr = [1, 2, 3, 4], key = [5, 6];
        fixed (ulong* sp = seeds)
        fixed (uint* cp = ctr, kp = key, pp = philox)
        fixed (float* up = uniform, np = normal, zp = noisy, xp = x, mp = masked, dp = divided, ip = inner, ll = logLoss, lg = logGrad,
               gn = gNoisy, ge = gExact, vp = v, hp = hv, srp = src, gp = gathered, scp = scattered, sm = sum)
        {
            lib.Check(((delegate* unmanaged<uint*, uint*, uint*, int>)lib["lopt_random_philox"])(cp, kp, pp), "lopt_random_philox");
            var fill = (delegate* unmanaged<int, long, int, ulong*, long, uint, float*, int>)lib["lopt_random_fill"];
            lib.Check(fill(0, count, dim, sp, 3, 1, up), "lopt_random_fill (uniform)");
            lib.Check(fill(1, count, dim, sp, 3, 2, np), "lopt_random_fill (normal)");
            lib.Check(((delegate* unmanaged<long, int, ulong*, long, uint, float, float*, int>)lib["lopt_wrap_noise"])(count, dim, sp, 4, 3, 0.5f, zp), "lopt_wrap_noise");
            lib.Check(((delegate* unmanaged<long, int, ulong*, long, uint, float, float*, float*, int>)lib["lopt_wrap_mask"])(count, dim, sp, 5, 4, 0.3f, xp, mp), "lopt_wrap_mask");
            lib.Check(((delegate* unmanaged<long, float*, float, float*, int>)lib["lopt_wrap_divide"])(count * dim, xp, 3.7f, dp), "lopt_wrap_divide");
            lib.Check(((delegate* unmanaged<long, int, float*, float*, float*, int>)lib["lopt_wrap_log"])(count, dim, ip, ll, lg), "lopt_wrap_log");
            lib.Check(((delegate* unmanaged<long, int, float*, float*, float*, float*, float*, int>)lib["lopt_wrap_log_hvp"])(count, dim, ip, gn, ge, vp, hp), "lopt_wrap_log_hvp");
            lib.Check(((delegate* unmanaged<long, int, int, int, float*, float*, int>)lib["lopt_wrap_gather"])(count, total, offset, dim, srp, gp), "lopt_wrap_gather");
            lib.Check(((delegate* unmanaged<long, int, int, int, float*, float*, int>)lib["lopt_wrap_scatter"])(count, total, offset, dim, gp, scp), "lopt_wrap_scatter");
            lib.Check(((delegate* unmanaged<long, float*, float*, int>)lib["lopt_wrap_add"])(count * dim, xp, sm), "lopt_wrap_add");
        }
        return [("philox", philox), ("uniform", uniform), ("normal", normal), ("noise", noisy), ("mask", masked), ("divide", divided),
                ("log_loss", logLoss), ("log_grad", logGrad), ("log_hvp", hv), ("gather", gathered), ("scatter", scattered), ("add", sum)];
    });
}
