using LearnedOpt.Cuda;
using LearnedOpt.Tests.Cuda;
using LearnedOpt.Tests.Cuda.Emulation;

namespace LearnedOpt.Tests.Tasks;

/// <summary>
/// Runs the ConvNet GPU tier (CudaConvNetParityTests) in a child test process on the emulated
/// driver of EmulatedDriverSource, extended here with the kernels of convnet.cu (the real source,
/// compiled as host code: one block of one thread runs every grid-stride loop) and the naive
/// cuBLAS of ClassifierEmulationTests. Every pointer a launch touches is checked against live
/// allocations for the extent the kernel reads or writes. This checks the C# side without a GPU
/// (GEMM operands, leading dimensions and strides, buffer sizes, argument packing) and the
/// kernels' arithmetic; it is no substitute for the GPU run (cuBLAS's own summation order).
/// </summary>
[Trait("tier", "emulated")]
public class ConvNetEmulationTests
{
    [Fact]
    public void ConvNetGpuTierPassesOnTheEmulatedDriver()
    {
        var compiler = EmulatedGpuTier.RequireHost();
        using var dir = CudaTestEnvironment.TempCache();
        var library = EmulatedGpuTier.Build(compiler, dir.Path, Source(), ("convnet.cu", KernelSources.Source("convnet.cu")));
        EmulatedGpuTier.RunClasses(library, dir.Path, [typeof(CudaConvNetParityTests)], TimeSpan.FromMinutes(8), asCublas: true);
    }

    private static string Source()
    {
        var text = EmulatedDriverSource.Text;
        text = EmulatedGpuTier.Splice(text, "extern \"C\" {", Kernels + "\n", nameof(ConvNetEmulationTests));
        text = EmulatedGpuTier.Splice(text, "static const char* known[] = {",
            "if (strncmp(name, \"lopt_cnn_\", 9) == 0) { *f = new Function{name}; return OK; }\n            ", nameof(ConvNetEmulationTests));
        text = EmulatedGpuTier.Splice(text, "int kind = kind_of(name);",
            "if (name.rfind(\"lopt_cnn_\", 0) == 0) return cnn_launch(name, args);\n            ", nameof(ConvNetEmulationTests));
        return text + ClassifierEmulationTests.Blas;
    }

    // convnet.cu as host code, and the launcher that checks each kernel's extents before running it.
    private const string Kernels = """
        #define __global__
        #define __device__
        #define __forceinline__ inline
        #define __launch_bounds__(x)
        struct cnn_dim3 { unsigned x, y, z; };
        static const cnn_dim3 threadIdx = {0, 0, 0}, blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
        #include "convnet.cu"

        template <class T> static T cnn_arg(void** a, int i) { return *(T*)a[i]; }
        // n floats (or ints) at p lie inside one allocation; null only where allowed.
        static bool cnn_in(const void* p, long long n, bool nullable = false) {
            if (!p) return nullable || n <= 0;
            return n <= 0 || inside((CUdeviceptr)p, (size_t)n * 4);
        }
        static CUresult cnn_launch(const std::string& name, void** a) {
            long long count = cnn_arg<long long>(a, 0);
            if (name == "lopt_cnn_gather") {
                int batch = cnn_arg<int>(a, 1), size = cnn_arg<int>(a, 2), rows = cnn_arg<int>(a, 3);
                auto images = cnn_arg<const float*>(a, 4); auto labels = cnn_arg<const float*>(a, 5); auto idx = cnn_arg<const int*>(a, 6);
                auto xb = cnn_arg<float*>(a, 7); auto yb = cnn_arg<float*>(a, 8);
                if (!cnn_in(images, (long long)rows * size) || !cnn_in(labels, rows) || !cnn_in(idx, count * batch) ||
                    !cnn_in(xb, count * batch * size) || !cnn_in(yb, count * batch)) return ILLEGAL_ADDRESS;
                lopt_cnn_gather(count, batch, size, rows, images, labels, idx, xb, yb);
                return OK;
            }
            if (name == "lopt_cnn_bias_relu") {
                int cout = cnn_arg<int>(a, 1);
                long long n = cnn_arg<long long>(a, 2), dim = cnn_arg<long long>(a, 3);
                auto bias = cnn_arg<const float*>(a, 4); auto z = cnn_arg<float*>(a, 5);
                if (!cnn_in(bias, (count - 1) * dim + cout) || !cnn_in(z, count * cout * n)) return ILLEGAL_ADDRESS;
                lopt_cnn_bias_relu(count, cout, n, dim, bias, z);
                return OK;
            }
            if (name == "lopt_cnn_xent") {
                int batch = cnn_arg<int>(a, 1), classes = cnn_arg<int>(a, 2);
                long long dim = cnn_arg<long long>(a, 3);
                auto bias = cnn_arg<const float*>(a, 4); auto y = cnn_arg<const float*>(a, 5);
                auto logits = cnn_arg<float*>(a, 6); auto terms = cnn_arg<float*>(a, 7); auto delta = cnn_arg<float*>(a, 8);
                long long rows = count * batch;
                if (!cnn_in(bias, (count - 1) * dim + classes) || !cnn_in(y, rows) || !cnn_in(logits, rows * classes) ||
                    !cnn_in(terms, rows) || !cnn_in(delta, rows * classes, true)) return ILLEGAL_ADDRESS;
                lopt_cnn_xent(count, batch, classes, dim, bias, y, logits, terms, delta);
                return OK;
            }
            if (name == "lopt_cnn_loss") {
                int batch = cnn_arg<int>(a, 1);
                auto terms = cnn_arg<const float*>(a, 2); auto loss = cnn_arg<float*>(a, 3);
                if (!cnn_in(terms, count * batch) || !cnn_in(loss, count)) return ILLEGAL_ADDRESS;
                lopt_cnn_loss(count, batch, terms, loss);
                return OK;
            }
            // The rest have (count, batch, c, h, w, ...) with maps of count·batch·c·h·w floats.
            int batch = cnn_arg<int>(a, 1), c = cnn_arg<int>(a, 2), h = cnn_arg<int>(a, 3), w = cnn_arg<int>(a, 4);
            long long map = count * batch * c * h * w, pooled = count * batch * c * (h / 2) * (w / 2), cols = map * 9;
            if (name == "lopt_cnn_im2col") {
                auto in = cnn_arg<const float*>(a, 5); auto out = cnn_arg<float*>(a, 6);
                if (!cnn_in(in, map) || !cnn_in(out, cols)) return ILLEGAL_ADDRESS;
                lopt_cnn_im2col(count, batch, c, h, w, in, out);
                return OK;
            }
            if (name == "lopt_cnn_pool") {
                auto in = cnn_arg<const float*>(a, 5); auto out = cnn_arg<float*>(a, 6);
                if (!cnn_in(in, map) || !cnn_in(out, pooled)) return ILLEGAL_ADDRESS;
                lopt_cnn_pool(count, batch, c, h, w, in, out);
                return OK;
            }
            if (name == "lopt_cnn_pool_back") {
                auto act = cnn_arg<const float*>(a, 5); auto dp = cnn_arg<const float*>(a, 6); auto dz = cnn_arg<float*>(a, 7);
                if (!cnn_in(act, map) || !cnn_in(dp, pooled) || !cnn_in(dz, map)) return ILLEGAL_ADDRESS;
                lopt_cnn_pool_back(count, batch, c, h, w, act, dp, dz);
                return OK;
            }
            if (name == "lopt_cnn_col2im") {
                auto in = cnn_arg<const float*>(a, 5); auto out = cnn_arg<float*>(a, 6);
                if (!cnn_in(in, cols) || !cnn_in(out, map)) return ILLEGAL_ADDRESS;
                lopt_cnn_col2im(count, batch, c, h, w, in, out);
                return OK;
            }
            return NOT_FOUND;
        }
        """;
}
