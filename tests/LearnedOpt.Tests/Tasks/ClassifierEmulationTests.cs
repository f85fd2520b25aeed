using LearnedOpt.Cuda;
using LearnedOpt.Tests.Cuda;
using LearnedOpt.Tests.Cuda.Emulation;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// Runs the classifier GPU tier (CudaClassifierParityTests) in a child test process on the
/// emulated driver of EmulatedDriverSource, extended here with the kernels of classifier.cu
/// (the real source, compiled as host code: one block of one thread runs every grid-stride loop)
/// and a naive column-major cublasSgemmStridedBatched. Every pointer a launch or GEMM touches is
/// checked against live allocations. This checks the C# side on a machine without a GPU (GEMM
/// operand order and leading dimensions, offsets and strides, argument packing, workspace sizes)
/// and the kernels' arithmetic; it is no substitute for the GPU run (cuBLAS, parallel reductions).
/// </summary>
[Trait("tier", "emulated")]
public class ClassifierEmulationTests
{
    [Fact]
    public void ClassifierGpuTierPassesOnTheEmulatedDriver()
    {
        var compiler = EmulatedGpuTier.RequireHost();
        using var dir = CudaTestEnvironment.TempCache();
        var library = EmulatedGpuTier.Build(compiler, dir.Path, Source(), ("classifier.cu", KernelSources.Source("classifier.cu")));
        EmulatedGpuTier.RunClasses(library, dir.Path, [typeof(CudaClassifierParityTests)], TimeSpan.FromMinutes(8), asCublas: true);
    }

    /// <summary>The shared emulated driver with the classifier kernels and cuBLAS spliced in at three anchors.</summary>
    private static string Source()
    {
        var text = EmulatedDriverSource.Text;
        text = EmulatedGpuTier.Splice(text, "extern \"C\" {", Kernels + "\n", nameof(ClassifierEmulationTests));
        text = EmulatedGpuTier.Splice(text, "static const char* known[] = {",
            "if (strncmp(name, \"lopt_clf_\", 9) == 0) { *f = new Function{name}; return OK; }\n            ", nameof(ClassifierEmulationTests));
        text = EmulatedGpuTier.Splice(text, "int kind = kind_of(name);",
            "if (name.rfind(\"lopt_clf_\", 0) == 0) return clf_launch(name, args);\n            ", nameof(ClassifierEmulationTests));
        return text + Blas;
    }


    // classifier.cu as host code, and the launcher that checks each kernel's extents before running it.
    private const string Kernels = """
        #define __global__
        #define __device__
        #define __forceinline__ inline
        #define __launch_bounds__(x)
        #define __shared__ static
        struct clf_dim3 { unsigned x, y, z; };
        static const clf_dim3 threadIdx = {0, 0, 0}, blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
        static inline float __shfl_down_sync(unsigned, float, int) { return 0.0f; }
        static inline void __syncthreads() {}
        #include "classifier.cu"

        template <class T> static T clf_arg(void** a, int i) { return *(T*)a[i]; }
        // n floats (or ints) at p lie inside one allocation; null only where allowed.
        static bool clf_in(const void* p, long long n, bool nullable = false) {
            if (!p) return nullable || n <= 0;
            return n <= 0 || inside((CUdeviceptr)p, (size_t)n * 4);
        }
        static CUresult clf_launch(const std::string& name, void** a) {
            if (name == "lopt_clf_gather") {
                long long count = clf_arg<long long>(a, 0);
                int rows = clf_arg<int>(a, 1), d = clf_arg<int>(a, 2), batch = clf_arg<int>(a, 3);
                auto x = clf_arg<const float*>(a, 4); auto y = clf_arg<const float*>(a, 5); auto idx = clf_arg<const int*>(a, 6);
                auto xb = clf_arg<float*>(a, 7); auto yb = clf_arg<float*>(a, 8);
                if (!clf_in(x, count * rows * d) || !clf_in(y, count * rows) || !clf_in(idx, count * batch) ||
                    !clf_in(xb, count * batch * d) || !clf_in(yb, count * batch)) return ILLEGAL_ADDRESS;
                lopt_clf_gather(count, rows, d, batch, x, y, idx, xb, yb);
                return OK;
            }
            if (name == "lopt_clf_bias_act" || name == "lopt_clf_bias_act_r") {
                long long count = clf_arg<long long>(a, 0);
                int batch = clf_arg<int>(a, 1), n_out = clf_arg<int>(a, 2), dim = clf_arg<int>(a, 3);
                auto b = clf_arg<const float*>(a, 4);
                long long n = count * batch * n_out;
                if (!clf_in(b, (count - 1) * dim + n_out)) return ILLEGAL_ADDRESS;
                if (name == "lopt_clf_bias_act") {
                    auto z = clf_arg<float*>(a, 5);
                    if (!clf_in(z, n)) return ILLEGAL_ADDRESS;
                    lopt_clf_bias_act(count, batch, n_out, dim, b, z, clf_arg<int>(a, 6));
                } else {
                    auto act = clf_arg<const float*>(a, 5); auto rz = clf_arg<float*>(a, 6);
                    if (!clf_in(act, n, true) || !clf_in(rz, n)) return ILLEGAL_ADDRESS;
                    lopt_clf_bias_act_r(count, batch, n_out, dim, b, act, rz);
                }
                return OK;
            }
            if (name == "lopt_clf_output") {
                long long count = clf_arg<long long>(a, 0);
                int batch = clf_arg<int>(a, 1);
                auto z = clf_arg<const float*>(a, 2); auto y = clf_arg<const float*>(a, 3); auto rz = clf_arg<const float*>(a, 4);
                auto d = clf_arg<float*>(a, 5); auto rd = clf_arg<float*>(a, 6);
                long long n = count * batch;
                if (!clf_in(z, n) || !clf_in(y, n) || !clf_in(d, n) || !clf_in(rd, n, true) || (rd && !clf_in(rz, n))) return ILLEGAL_ADDRESS;
                lopt_clf_output(count, batch, z, y, rz, d, rd);
                return OK;
            }
            if (name == "lopt_clf_loss") {
                long long count = clf_arg<long long>(a, 0);
                int batch = clf_arg<int>(a, 1), dim = clf_arg<int>(a, 2);
                float reg = clf_arg<float>(a, 3);
                auto z = clf_arg<const float*>(a, 4); auto y = clf_arg<const float*>(a, 5); auto theta = clf_arg<const float*>(a, 6);
                auto loss = clf_arg<float*>(a, 7);
                if (!clf_in(z, count * batch) || !clf_in(y, count * batch) || !clf_in(theta, count * dim) || !clf_in(loss, count)) return ILLEGAL_ADDRESS;
                lopt_clf_loss(count, batch, dim, reg, z, y, theta, loss);
                return OK;
            }
            if (name == "lopt_clf_sigmoid_back") {
                long long n = clf_arg<long long>(a, 0);
                auto act = clf_arg<const float*>(a, 1); auto ra = clf_arg<const float*>(a, 2);
                auto e = clf_arg<float*>(a, 3); auto re = clf_arg<float*>(a, 4);
                if (!clf_in(act, n) || !clf_in(e, n) || !clf_in(re, n, true) || (re && !clf_in(ra, n))) return ILLEGAL_ADDRESS;
                lopt_clf_sigmoid_back(n, act, ra, e, re);
                return OK;
            }
            if (name == "lopt_clf_add_l2") {
                long long n = clf_arg<long long>(a, 0);
                float reg = clf_arg<float>(a, 1);
                auto src = clf_arg<const float*>(a, 2); auto out = clf_arg<float*>(a, 3);
                if (!clf_in(src, n) || !clf_in(out, n)) return ILLEGAL_ADDRESS;
                lopt_clf_add_l2(n, reg, src, out);
                return OK;
            }
            return NOT_FOUND;
        }
        """;

    // cuBLAS v2 entry points CudaBlas uses (shared with ConvNetEmulationTests): column-major GEMMs summed in order, with cuBLAS's
    // argument checks (status 7 = INVALID_VALUE) and beta = 0 not reading C.
    internal const string Blas = """

        extern "C" {
        int cublasCreate_v2(void** h) { *h = new int(0); return 0; }
        int cublasDestroy_v2(void* h) { delete (int*)h; return 0; }
        int cublasSetStream_v2(void*, void* s) { return stream_ok(s) ? 0 : 7; }
        int cublasSetMathMode(void*, int) { return 0; }
        int cublasGetProperty(int type, int* v) { *v = type == 0 ? 12 : 0; return 0; }
        int cublasSgemmStridedBatched(void* h, int ta, int tb, int m, int n, int k, const float* alpha,
                                      const float* A, int lda, long long sa, const float* B, int ldb, long long sb,
                                      const float* beta, float* C, int ldc, long long sc, int batch) {
            if (!h || m < 0 || n < 0 || k < 0 || batch < 0) return 7;
            int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
            if (lda < (ar > 1 ? ar : 1) || ldb < (br > 1 ? br : 1) || ldc < (m > 1 ? m : 1)) return 7;
            if (m == 0 || n == 0) return 0;
            for (int i = 0; i < batch; ++i) {
                const float* a = A + i * sa;
                const float* b = B + i * sb;
                float* c = C + i * sc;
                if (k > 0 && (!inside((CUdeviceptr)a, ((size_t)(ac - 1) * lda + ar) * 4) ||
                              !inside((CUdeviceptr)b, ((size_t)(bc - 1) * ldb + br) * 4))) return 14;
                if (!inside((CUdeviceptr)c, ((size_t)(n - 1) * ldc + m) * 4)) return 14;
                for (int col = 0; col < n; ++col)
                    for (int row = 0; row < m; ++row) {
                        float s = 0.0f;
                        for (int p = 0; p < k; ++p) {
                            float x = ta ? a[p + (size_t)row * lda] : a[row + (size_t)p * lda];
                            float y = tb ? b[col + (size_t)p * ldb] : b[p + (size_t)col * ldb];
                            s += x * y;
                        }
                        float* out = c + row + (size_t)col * ldc;
                        *out = *beta == 0.0f ? *alpha * s : *alpha * s + *beta * *out;
                    }
            }
            return 0;
        }
        int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                           const float* B, int ldb, const float* beta, float* C, int ldc) {
            return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
        }
        }
        """;

}
