using System.Diagnostics;
using System.Text.RegularExpressions;
using LearnedOpt.Cuda;
using LearnedOpt.Tests.Cuda;
using LearnedOpt.Tests.Cuda.Emulation;

namespace LearnedOpt.Tests.MetaTraining.Gradients;

/// <summary>
/// Runs the TBPTT GPU-tier classes in a child test process whose libcuda is the emulated driver
/// (tests/Cuda/Emulation) extended with host emulations of the hrnn_grad.cu kernels (the same
/// lopt_hrnn_grad.h math, each block's grid-stride coordinates summed into its row, every pointer
/// checked against live allocations). It exercises the CUDA engine's plumbing (argument order,
/// staging offsets, buffer sizes, row counts, the unroll's device-state bookkeeping) without a GPU;
/// the kernels' own reductions run only on a real device.
/// </summary>
public class TbpttEmulatedEngineTests
{
    private static readonly string[] Classes =
    [
        "LearnedOpt.Tests.MetaTraining.Gradients.TbpttCudaEngineTests",
        "LearnedOpt.Tests.MetaTraining.Gradients.HrnnGradCudaParityTests",
        "LearnedOpt.Tests.MetaTraining.Gradients.MetaGradBackendTests",
    ];

    [Fact]
    public void TbpttGpuTierPassesOnTheEmulatedDriver()
    {
        Assert.SkipWhen(CudaTestEnvironment.IsEmulated, "already inside the emulated run");
        Assert.SkipWhen(CudaTestEnvironment.HasDevice, "a real GPU runs the GPU tier directly");
        CudaTestEnvironment.RequireNvrtc();
        var compiler = new[] { "/usr/bin/c++", "/usr/bin/g++", "/usr/local/bin/g++" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(compiler == null, "no C++ compiler to build the emulated driver");

        using var dir = CudaTestEnvironment.TempCache();
        var library = Build(compiler!, dir.Path);
        var exe = Path.Combine(AppContext.BaseDirectory, "LearnedOpt.Tests");
        var start = File.Exists(exe)
            ? new ProcessStartInfo(exe)
            : new ProcessStartInfo("dotnet") { ArgumentList = { "exec", Path.Combine(AppContext.BaseDirectory, "LearnedOpt.Tests.dll") } };
        start.ArgumentList.Add("-nocolor");
        foreach (var c in Classes)
        {
            start.ArgumentList.Add("-class");
            start.ArgumentList.Add(c);
        }
        start.Environment["LOPT_CUDA_PATH"] = library;
        start.Environment[CudaTestEnvironment.EmulatedVariable] = "1";
        start.Environment["LOPT_KERNEL_CACHE"] = Path.Combine(dir.Path, "kernels");
        var (code, output) = Run(start, TimeSpan.FromMinutes(10));

        Assert.True(code == 0, $"the TBPTT GPU tier failed on the emulated driver (exit {code}):\n{output}");
        var summary = Regex.Match(output, @"Total: (\d+), Errors: (\d+), Failed: (\d+), Skipped: (\d+)");
        Assert.True(summary.Success, $"no xunit summary in the output:\n{output}");
        int Group(int i) => int.Parse(summary.Groups[i].Value);
        int succeeded = Group(1) - Group(2) - Group(3) - Group(4);
        int expected = EngineParityCases.All().Count + 3 + 2 + 2;  // engine parity, engine extras, kernel parity, CLI
        Assert.True(succeeded >= expected, $"only {succeeded} GPU-tier tests ran on the emulated driver, expected at least {expected}:\n{output}");
    }

    // The shared emulated driver with the hrnn_grad.cu kernels added to its function table and launcher.
    private static string Source()
    {
        var text = EmulatedDriverSource.Text;
        const string known = "\"lopt_addsign_step\" };";
        const string launch = "if (name == \"lopt_copy\") {";
        const string externC = "extern \"C\" {";
        Assert.Contains(known, text);
        Assert.Contains(launch, text);
        text = text.Replace(known, "\"lopt_addsign_step\", " + string.Join(", ", KernelNames.Select(k => $"\"{k}\"")) + " };");
        text = text.Replace(launch, "{ CUresult hg_rc; if (hg_launch(name, gx, bx, args, &hg_rc)) return hg_rc; }\n" + launch);
        int at = text.IndexOf(externC, StringComparison.Ordinal);
        return text[..at] + Kernels + text[at..];
    }

    private static readonly string[] KernelNames =
    [
        "lopt_hg_forward_f32", "lopt_hg_forward_f64", "lopt_hg_backward_f32", "lopt_hg_backward_f64",
        "lopt_hg_ell_sum_f64", "lopt_hg_add_ell_f64", "lopt_hg_sum_rows_f64",
    ];

    private const string Kernels = """
        #include "lopt/lopt_hrnn_grad.h"
        enum { LAUNCH_FAILED = 719 };
        static bool hg_ok(const void* p, long long count, size_t size) { return count >= 0 && p && inside((CUdeviceptr)p, (size_t)count * size); }
        template <typename T> static T* hg_arg(void** args, int i) { return *(T**)args[i]; }

        // Coordinates of block b in the kernels' grid-stride loop, in order.
        template <typename F> static void hg_block(unsigned b, unsigned gx, unsigned bx, long long n, F f) {
            for (long long base = (long long)b * bx; base < n; base += (long long)gx * bx)
                for (unsigned t = 0; t < bx && base + t < n; ++t) f(base + t);
        }

        template <typename T> static CUresult hg_forward(unsigned gx, unsigned bx, void** args) {
            const T *w = hg_arg<T>(args, 0), *e0 = hg_arg<T>(args, 1), *g = hg_arg<T>(args, 4), *in = hg_arg<T>(args, 5);
            T mu = *(T*)args[2], lambda = *(T*)args[3];
            T *out = hg_arg<T>(args, 6), *d = hg_arg<T>(args, 7), *a = hg_arg<T>(args, 8);
            double* partial = hg_arg<double>(args, 9);
            long long n = *(long long*)args[10];
            if (bx != 128) return LAUNCH_FAILED;
            if (!hg_ok(w, LOPT_HG_PW, sizeof(T)) || !hg_ok(e0, LOPT_HRNN_G0, sizeof(T)) || !hg_ok(partial, (long long)gx * LOPT_HG_SUMS, 8) ||
                !hg_ok(g, n, sizeof(T)) || !hg_ok(in, n * LOPT_HG_STATE, sizeof(T)) || !hg_ok(out, n * LOPT_HG_STATE, sizeof(T)) ||
                !hg_ok(d, n, sizeof(T)) || !hg_ok(a, n, sizeof(T))) return ILLEGAL_ADDRESS;
            for (unsigned b = 0; b < gx; ++b) {
                double acc[LOPT_HG_SUMS] = {0};
                hg_block(b, gx, bx, n, [&](long long i) {
                    T x[LOPT_HRNN_F];
                    T* o = out + i * LOPT_HG_STATE;
                    lopt_hg_coord_forward(w, e0, mu, lambda, g[i], in + i * LOPT_HG_STATE, o, x, &d[i], &a[i]);
                    acc[0] += (double)d[i] * (double)d[i];
                    for (int j = 0; j < LOPT_HRNN_H0; ++j) acc[1 + j] += o[LOPT_HG_OFF_H + j];
                    for (int j = 0; j < LOPT_HRNN_F; ++j) acc[1 + LOPT_HRNN_H0 + j] += x[j];
                });
                for (int j = 0; j < LOPT_HG_SUMS; ++j) partial[(long long)b * LOPT_HG_SUMS + j] = acc[j];
            }
            return OK;
        }

        template <typename T> static CUresult hg_backward(unsigned gx, unsigned bx, void** args) {
            const T *w = hg_arg<T>(args, 0), *e0 = hg_arg<T>(args, 1), *g = hg_arg<T>(args, 4), *in = hg_arg<T>(args, 5), *nbar = hg_arg<T>(args, 6);
            const T *xa = hg_arg<T>(args, 7), *ha = hg_arg<T>(args, 8), *db = hg_arg<T>(args, 9), *ab = hg_arg<T>(args, 10);
            T mu = *(T*)args[2], lambda = *(T*)args[3];
            T *pbar = hg_arg<T>(args, 11), *gbar = hg_arg<T>(args, 12);
            double* partial = hg_arg<double>(args, 13);
            long long n = *(long long*)args[14];
            if (bx != 128) return LAUNCH_FAILED;
            if (!hg_ok(w, LOPT_HG_PW, sizeof(T)) || !hg_ok(e0, LOPT_HRNN_G0, sizeof(T)) || !hg_ok(partial, (long long)gx * LOPT_HG_ACC, 8) ||
                !hg_ok(xa, LOPT_HRNN_F, sizeof(T)) || !hg_ok(ha, LOPT_HRNN_H0, sizeof(T)) || !hg_ok(g, n, sizeof(T)) ||
                !hg_ok(in, n * LOPT_HG_STATE, sizeof(T)) || !hg_ok(nbar, n * LOPT_HG_STATE, sizeof(T)) || !hg_ok(pbar, n * LOPT_HG_STATE, sizeof(T)) ||
                !hg_ok(db, n, sizeof(T)) || !hg_ok(ab, n, sizeof(T)) || !hg_ok(gbar, n, sizeof(T))) return ILLEGAL_ADDRESS;
            for (unsigned b = 0; b < gx; ++b) {
                T acc[LOPT_HG_ACC] = {0};
                hg_block(b, gx, bx, n, [&](long long i) {
                    gbar[i] = lopt_hg_coord_backward(w, e0, mu, lambda, g[i], in + i * LOPT_HG_STATE, nbar + i * LOPT_HG_STATE, xa, ha, db[i], ab[i],
                                                     pbar + i * LOPT_HG_STATE, acc + LOPT_HG_PW + LOPT_HRNN_G0, acc + LOPT_HG_PW,
                                                     acc + LOPT_HG_PW + LOPT_HRNN_G0 + 1, acc);
                });
                for (int j = 0; j < LOPT_HG_ACC; ++j) partial[(long long)b * LOPT_HG_ACC + j] = (double)acc[j];
            }
            return OK;
        }

        static bool hg_launch(const std::string& name, unsigned gx, unsigned bx, void** args, CUresult* rc) {
            if (name == "lopt_hg_forward_f32") { *rc = hg_forward<float>(gx, bx, args); return true; }
            if (name == "lopt_hg_forward_f64") { *rc = hg_forward<double>(gx, bx, args); return true; }
            if (name == "lopt_hg_backward_f32") { *rc = hg_backward<float>(gx, bx, args); return true; }
            if (name == "lopt_hg_backward_f64") { *rc = hg_backward<double>(gx, bx, args); return true; }
            if (name == "lopt_hg_ell_sum_f64") {
                const double* s = hg_arg<double>(args, 0);
                double* partial = hg_arg<double>(args, 1);
                long long n = *(long long*)args[2];
                if (bx != 128) { *rc = LAUNCH_FAILED; return true; }
                if (!hg_ok(s, n * LOPT_HG_STATE, 8) || !hg_ok(partial, gx, 8)) { *rc = ILLEGAL_ADDRESS; return true; }
                for (unsigned b = 0; b < gx; ++b) {
                    double acc = 0;
                    hg_block(b, gx, bx, n, [&](long long i) { acc += s[i * LOPT_HG_STATE + LOPT_HG_OFF_ELL]; });
                    partial[b] = acc;
                }
                *rc = OK;
                return true;
            }
            if (name == "lopt_hg_add_ell_f64") {
                double* bar = hg_arg<double>(args, 0);
                double v = *(double*)args[1];
                long long n = *(long long*)args[2];
                if (!hg_ok(bar, n * LOPT_HG_STATE, 8)) { *rc = ILLEGAL_ADDRESS; return true; }
                for (long long i = 0; i < n; ++i) bar[i * LOPT_HG_STATE + LOPT_HG_OFF_ELL] += v;
                *rc = OK;
                return true;
            }
            if (name == "lopt_hg_sum_rows_f64") {
                const double* rows = hg_arg<double>(args, 0);
                int count = *(int*)args[1], width = *(int*)args[2];
                double* out = hg_arg<double>(args, 3);
                if (count < 1 || width < 1 || !hg_ok(rows, (long long)count * width, 8) || !hg_ok(out, width, 8)) { *rc = ILLEGAL_ADDRESS; return true; }
                if ((long long)gx * bx < width) { *rc = LAUNCH_FAILED; return true; }
                for (int j = 0; j < width; ++j) {
                    double s = 0;
                    for (int r = 0; r < count; ++r) s += rows[(long long)r * width + j];
                    out[j] = s;
                }
                *rc = OK;
                return true;
            }
            return false;
        }

        """;

    private static string Build(string compiler, string dir)
    {
        var include = Path.Combine(dir, "include");
        foreach (var h in KernelSources.Headers.Where(h => h.IncludeName.StartsWith("lopt/", StringComparison.Ordinal)))
        {
            var path = Path.Combine(include, h.IncludeName);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, h.Text);
        }
        var source = Path.Combine(dir, "emulated_cuda_tbptt.cpp");
        File.WriteAllText(source, Source());
        var library = Path.Combine(dir, "libcuda_emulated_tbptt.so");
        // The CPU library's flags: no FMA contraction, so the emulated kernels round as liblopt_cpu does.
        var build = new ProcessStartInfo(compiler)
        {
            ArgumentList = { "-std=c++17", "-O2", "-fno-math-errno", "-ffp-contract=off", "-shared", "-fPIC", "-I", include, "-o", library, source },
        };
        var (code, output) = Run(build, TimeSpan.FromMinutes(3));
        Assert.True(code == 0, $"building the emulated driver failed:\n{output}");
        return library;
    }

    private static (int Code, string Output) Run(ProcessStartInfo start, TimeSpan timeout)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}\n{stdout.Result}{stderr.Result}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
