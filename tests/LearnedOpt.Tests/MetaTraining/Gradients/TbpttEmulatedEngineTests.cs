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
[Trait("tier", "emulated")]
public class TbpttEmulatedEngineTests
{
    private static readonly Type[] Classes = [typeof(TbpttCudaEngineTests), typeof(HrnnGradCudaParityTests), typeof(MetaGradBackendTests)];

    // The emulated driver is a usable device, so the no-device check has nothing to check there.
    private static readonly Dictionary<string, string> DeviceOnlySkips = new()
    {
        [nameof(MetaGradBackendTests.CudaWithoutADeviceFailsWithAReason)] = "a device is present",
    };

    [Fact]
    public void TbpttGpuTierPassesOnTheEmulatedDriver()
    {
        var compiler = EmulatedGpuTier.RequireHost();
        using var dir = CudaTestEnvironment.TempCache();
        var library = EmulatedGpuTier.Build(compiler, dir.Path, Source());
        EmulatedGpuTier.RunClasses(library, dir.Path, Classes, TimeSpan.FromMinutes(10), allowedSkips: DeviceOnlySkips);
    }

    // The shared emulated driver with the hrnn_grad.cu kernels added to its function table and launcher.
    private static string Source()
    {
        var text = EmulatedDriverSource.Text;
        const string known = "static const char* known[] = { ";
        const string launch = "if (name == \"lopt_copy\") {";
        const string externC = "extern \"C\" {";
        Assert.Contains(known, text);
        Assert.Contains(launch, text);
        text = text.Replace(known, known + string.Join(", ", KernelNames.Select(k => $"\"{k}\"")) + ", ");
        text = text.Replace(launch, "{ CUresult hg_rc; if (hg_launch(name, gx, bx, args, &hg_rc)) return hg_rc; }\n" + launch);
        int at = text.IndexOf(externC, StringComparison.Ordinal);
        return text[..at] + Kernels + text[at..];
    }

    private static readonly string[] KernelNames =
    [
        "lopt_hg_forward_f32", "lopt_hg_forward_f64", "lopt_hg_backward_f32", "lopt_hg_backward_f64",
        "lopt_hg_add_ell_f64", "lopt_hg_sum_rows_f64", "lopt_hg_forward_table_f64", "lopt_hg_backward_table_f64",
        "lopt_hg_ell_sum_table_f64", "lopt_hg_add_ell_table_f64", "lopt_hg_sum_rows_table_f64",
    ];

    private const string Kernels = """
        #include "lopt/lopt_hrnn_grad.h"
        enum { LAUNCH_FAILED = 719 };
        static bool hg_ok(const void* p, long long count, size_t size) { return count >= 0 && p && inside((CUdeviceptr)p, (size_t)count * size); }
        template <typename T> static T* hg_arg(void** args, int i) { return *(T**)args[i]; }
        typedef lopt_hg_job hg_job;

        // Coordinates of block b of `blocks` in the kernels' grid-stride loop, in order.
        template <typename F> static void hg_block(unsigned b, unsigned blocks, unsigned bx, long long n, F f) {
            for (long long base = (long long)b * bx; base < n; base += (long long)blocks * bx)
                for (unsigned t = 0; t < bx && base + t < n; ++t) f(base + t);
        }

        template <typename T> static CUresult hg_forward_core(const T* w, const T* e0, T mu, T lambda, const T* g, const T* in, T* out, T* d, T* a,
                                                              long long n, unsigned b, unsigned blocks, unsigned bx, double* row) {
            if (!hg_ok(w, LOPT_HRNN_W_COUNT, sizeof(T)) || !hg_ok(e0, LOPT_HRNN_G0, sizeof(T)) || !hg_ok(row, LOPT_HG_SUMS, 8) ||
                !hg_ok(g, n, sizeof(T)) || !hg_ok(in, n * LOPT_HRNN_STATE, sizeof(T)) || !hg_ok(out, n * LOPT_HRNN_STATE, sizeof(T)) ||
                !hg_ok(d, n, sizeof(T)) || !hg_ok(a, n, sizeof(T))) return ILLEGAL_ADDRESS;
            double acc[LOPT_HG_SUMS] = {0};
            hg_block(b, blocks, bx, n, [&](long long i) {
                T x[LOPT_HRNN_F];
                T* o = out + i * LOPT_HRNN_STATE;
                lopt_hg_coord_forward(w, e0, mu, lambda, g[i], in + i * LOPT_HRNN_STATE, o, x, &d[i], &a[i]);
                acc[0] += (double)d[i] * (double)d[i];
                for (int j = 0; j < LOPT_HRNN_H0; ++j) acc[1 + j] += o[LOPT_HRNN_OFF_H + j];
                for (int j = 0; j < LOPT_HRNN_F; ++j) acc[1 + LOPT_HRNN_H0 + j] += x[j];
            });
            for (int j = 0; j < LOPT_HG_SUMS; ++j) row[j] = acc[j];
            return OK;
        }

        template <typename T> static CUresult hg_backward_core(const T* w, const T* e0, T mu, T lambda, const T* g, const T* in, const T* nbar,
                                                               const T* xa, const T* ha, const T* db, const T* ab, T* pbar, T* gbar,
                                                               long long n, unsigned b, unsigned blocks, unsigned bx, double* row) {
            if (!hg_ok(w, LOPT_HRNN_W_COUNT, sizeof(T)) || !hg_ok(e0, LOPT_HRNN_G0, sizeof(T)) || !hg_ok(row, LOPT_HG_ACC, 8) ||
                !hg_ok(xa, LOPT_HRNN_F, sizeof(T)) || !hg_ok(ha, LOPT_HRNN_H0, sizeof(T)) || !hg_ok(g, n, sizeof(T)) ||
                !hg_ok(in, n * LOPT_HRNN_STATE, sizeof(T)) || !hg_ok(nbar, n * LOPT_HRNN_STATE, sizeof(T)) || !hg_ok(pbar, n * LOPT_HRNN_STATE, sizeof(T)) ||
                !hg_ok(db, n, sizeof(T)) || !hg_ok(ab, n, sizeof(T)) || !hg_ok(gbar, n, sizeof(T))) return ILLEGAL_ADDRESS;
            T acc[LOPT_HG_ACC] = {0};
            hg_block(b, blocks, bx, n, [&](long long i) {
                gbar[i] = lopt_hg_coord_backward(w, e0, mu, lambda, g[i], in + i * LOPT_HRNN_STATE, nbar + i * LOPT_HRNN_STATE, xa, ha, db[i], ab[i],
                                                 pbar + i * LOPT_HRNN_STATE, acc + LOPT_HRNN_W_COUNT + LOPT_HRNN_G0, acc + LOPT_HRNN_W_COUNT,
                                                 acc + LOPT_HRNN_W_COUNT + LOPT_HRNN_G0 + 1, acc);
            });
            for (int j = 0; j < LOPT_HG_ACC; ++j) row[j] = (double)acc[j];
            return OK;
        }

        template <typename T> static CUresult hg_forward(unsigned gx, unsigned bx, void** args) {
            double* partial = hg_arg<double>(args, 9);
            long long n = *(long long*)args[10];
            if (bx != 128) return LAUNCH_FAILED;
            if (!hg_ok(partial, (long long)gx * LOPT_HG_SUMS, 8)) return ILLEGAL_ADDRESS;
            for (unsigned b = 0; b < gx; ++b) {
                CUresult rc = hg_forward_core<T>(hg_arg<T>(args, 0), hg_arg<T>(args, 1), *(T*)args[2], *(T*)args[3], hg_arg<T>(args, 4), hg_arg<T>(args, 5),
                                                 hg_arg<T>(args, 6), hg_arg<T>(args, 7), hg_arg<T>(args, 8), n, b, gx, bx, partial + (long long)b * LOPT_HG_SUMS);
                if (rc != OK) return rc;
            }
            return OK;
        }

        template <typename T> static CUresult hg_backward(unsigned gx, unsigned bx, void** args) {
            double* partial = hg_arg<double>(args, 13);
            long long n = *(long long*)args[14];
            if (bx != 128) return LAUNCH_FAILED;
            if (!hg_ok(partial, (long long)gx * LOPT_HG_ACC, 8)) return ILLEGAL_ADDRESS;
            for (unsigned b = 0; b < gx; ++b) {
                CUresult rc = hg_backward_core<T>(hg_arg<T>(args, 0), hg_arg<T>(args, 1), *(T*)args[2], *(T*)args[3], hg_arg<T>(args, 4), hg_arg<T>(args, 5),
                                                  hg_arg<T>(args, 6), hg_arg<T>(args, 7), hg_arg<T>(args, 8), hg_arg<T>(args, 9), hg_arg<T>(args, 10),
                                                  hg_arg<T>(args, 11), hg_arg<T>(args, 12), n, b, gx, bx, partial + (long long)b * LOPT_HG_ACC);
                if (rc != OK) return rc;
            }
            return OK;
        }

        // A table must cover the grid exactly, each job's blocks following the previous job's.
        static CUresult hg_table(const hg_job* jobs, int count, unsigned gx) {
            if (count < 1 || !hg_ok(jobs, count, sizeof(hg_job))) return ILLEGAL_ADDRESS;
            long long next = 0;
            for (int j = 0; j < count; ++j) {
                if (jobs[j].first_block != next || jobs[j].blocks < 1 || jobs[j].n < 1) return LAUNCH_FAILED;
                next += jobs[j].blocks;
            }
            return next == (long long)gx ? OK : LAUNCH_FAILED;
        }

        static bool hg_launch(const std::string& name, unsigned gx, unsigned bx, void** args, CUresult* rc) {
            if (name == "lopt_hg_forward_f32") { *rc = hg_forward<float>(gx, bx, args); return true; }
            if (name == "lopt_hg_forward_f64") { *rc = hg_forward<double>(gx, bx, args); return true; }
            if (name == "lopt_hg_backward_f32") { *rc = hg_backward<float>(gx, bx, args); return true; }
            if (name == "lopt_hg_backward_f64") { *rc = hg_backward<double>(gx, bx, args); return true; }
            if (name == "lopt_hg_forward_table_f64" || name == "lopt_hg_backward_table_f64") {
                const double* w = hg_arg<double>(args, 0);
                const hg_job* jobs = hg_arg<hg_job>(args, 1);
                int count = *(int*)args[2];
                double* partial = hg_arg<double>(args, 3);
                bool fwd = name == "lopt_hg_forward_table_f64";
                int width = fwd ? LOPT_HG_SUMS : LOPT_HG_ACC;
                if (bx != 128) { *rc = LAUNCH_FAILED; return true; }
                if ((*rc = hg_table(jobs, count, gx)) != OK) return true;
                if (!hg_ok(partial, (long long)gx * width, 8)) { *rc = ILLEGAL_ADDRESS; return true; }
                for (int j = 0; j < count; ++j) {
                    const hg_job& q = jobs[j];
                    for (int b = 0; b < q.blocks; ++b) {
                        double* row = partial + (long long)(q.first_block + b) * width;
                        *rc = fwd ? hg_forward_core<double>(w, q.e0, q.mu, q.lambda, q.g, q.in, q.io, q.d, q.a, q.n, b, q.blocks, bx, row)
                                  : hg_backward_core<double>(w, q.e0, q.mu, q.lambda, q.g, q.in, q.io, q.xbar_add, q.hbar_add, q.d, q.a, q.io, q.gbar,
                                                             q.n, b, q.blocks, bx, row);
                        if (*rc != OK) return true;
                    }
                }
                return true;
            }
            if (name == "lopt_hg_ell_sum_table_f64") {
                const hg_job* jobs = hg_arg<hg_job>(args, 0);
                int count = *(int*)args[1];
                double* partial = hg_arg<double>(args, 2);
                if (bx != 128) { *rc = LAUNCH_FAILED; return true; }
                if ((*rc = hg_table(jobs, count, gx)) != OK) return true;
                if (!hg_ok(partial, gx, 8)) { *rc = ILLEGAL_ADDRESS; return true; }
                for (int j = 0; j < count; ++j) {
                    const hg_job& q = jobs[j];
                    if (!hg_ok(q.in, q.n * LOPT_HRNN_STATE, 8)) { *rc = ILLEGAL_ADDRESS; return true; }
                    for (int b = 0; b < q.blocks; ++b) {
                        double acc = 0;
                        hg_block(b, q.blocks, bx, q.n, [&](long long i) { acc += q.in[i * LOPT_HRNN_STATE + LOPT_HRNN_OFF_ELL]; });
                        partial[q.first_block + b] = acc;
                    }
                }
                *rc = OK;
                return true;
            }
            if (name == "lopt_hg_add_ell_f64" || name == "lopt_hg_add_ell_table_f64") {
                bool table = name == "lopt_hg_add_ell_table_f64";
                hg_job single{};
                const hg_job* jobs = &single;
                int count = 1;
                if (table) {
                    jobs = hg_arg<hg_job>(args, 0);
                    count = *(int*)args[1];
                    if ((*rc = hg_table(jobs, count, gx)) != OK) return true;
                } else {
                    single.io = hg_arg<double>(args, 0);
                    single.ell = *(double*)args[1];
                    single.n = *(long long*)args[2];
                }
                for (int j = 0; j < count; ++j) {
                    const hg_job& q = jobs[j];
                    if (!hg_ok(q.io, q.n * LOPT_HRNN_STATE, 8)) { *rc = ILLEGAL_ADDRESS; return true; }
                    for (long long i = 0; i < q.n; ++i) q.io[i * LOPT_HRNN_STATE + LOPT_HRNN_OFF_ELL] += q.ell;
                }
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
            if (name == "lopt_hg_sum_rows_table_f64") {
                const double* rows = hg_arg<double>(args, 0);
                const hg_job* jobs = hg_arg<hg_job>(args, 1);
                int count = *(int*)args[2], width = *(int*)args[3];
                double* out = hg_arg<double>(args, 4);
                if (count < 1 || width < 1 || !hg_ok(jobs, count, sizeof(hg_job)) || !hg_ok(out, (long long)count * width, 8)) { *rc = ILLEGAL_ADDRESS; return true; }
                for (int j = 0; j < count; ++j) {
                    if (!hg_ok(rows + (long long)jobs[j].first_block * width, (long long)jobs[j].blocks * width, 8)) { *rc = ILLEGAL_ADDRESS; return true; }
                    for (int c = 0; c < width; ++c) {
                        double s = 0;
                        for (int r = 0; r < jobs[j].blocks; ++r) s += rows[((long long)jobs[j].first_block + r) * width + c];
                        out[(long long)j * width + c] = s;
                    }
                }
                *rc = OK;
                return true;
            }
            return false;
        }

        """;
}
