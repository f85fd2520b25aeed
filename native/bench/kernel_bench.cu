// Standalone benchmark of the optimizer kernels, in the style of llm.c's dev/cuda: a CPU
// reference (liblopt_cpu's lopt_optim_step, the same per-element math), the kernel from
// native/kernels/optim.cu, validation, then timing with CUDA events at 1e6/1e7/1e8 floats.
// Built by CMake only when nvcc exists (target lopt_kernel_bench):
//   cmake -S . -B build && cmake --build build --target lopt_kernel_bench && ./build/lopt_kernel_bench
// Bytes per parameter: copy 8 (read + write), Adam 28 (g, p, m, v read; p, m, v written).
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <cuda_runtime.h>

#include "../kernels/optim.cu"

// The two CPU-library entry points we need. lopt_cpu.h is not included: its host lopt_copy
// would clash with the kernel of the same C name in optim.cu.
extern "C" int32_t lopt_optim_coef(int32_t kind, const lopt_hparams* hp, int64_t t, lopt_coef* out);
extern "C" int32_t lopt_optim_step(int32_t kind, float* p, const float* g, float* s0, float* s1, float* s2,
                                   int64_t n, const lopt_coef* c, int64_t* nonfinite);

#define cudaCheck(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) { \
    fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); exit(1); } } while (0)

static int g_blocks_per_wave = 0;

static unsigned grid_for(long long n) {
    long long need = (n + 255) / 256;
    return (unsigned)(need < g_blocks_per_wave ? (need > 0 ? need : 1) : g_blocks_per_wave);
}

// Deterministic pseudo-random floats in [-1, 1) (splitmix64), with a NaN/Inf every 997th gradient.
static void fill(std::vector<float>& v, unsigned long long seed, bool nonfinite) {
    for (size_t i = 0; i < v.size(); ++i) {
        unsigned long long z = (seed + i) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        v[i] = (float)((z >> 40) * (1.0 / (1ull << 24))) * 2.0f - 1.0f;
        if (nonfinite && i % 997 == 13) v[i] = (i / 997) % 2 ? NAN : INFINITY;
    }
}

static bool validate(const char* what, const std::vector<float>& ref, const std::vector<float>& got) {
    // nvcc contracts a*b+c into FMA unless told otherwise, so allow a few ulps.
    for (size_t i = 0; i < ref.size(); ++i) {
        float tol = 1e-6f + 1e-5f * fabsf(ref[i]);
        if (!(fabsf(ref[i] - got[i]) <= tol)) {
            printf("MISMATCH %s[%zu]: cpu %.9g gpu %.9g\n", what, i, ref[i], got[i]);
            return false;
        }
    }
    return true;
}

template <typename F>
static float time_ms(F launch, int repeats) {
    cudaEvent_t start, stop;
    cudaCheck(cudaEventCreate(&start));
    cudaCheck(cudaEventCreate(&stop));
    launch();  // warm-up
    cudaCheck(cudaEventRecord(start));
    for (int i = 0; i < repeats; ++i) launch();
    cudaCheck(cudaEventRecord(stop));
    cudaCheck(cudaEventSynchronize(stop));
    cudaCheck(cudaGetLastError());
    float ms = 0;
    cudaCheck(cudaEventElapsedTime(&ms, start, stop));
    cudaCheck(cudaEventDestroy(start));
    cudaCheck(cudaEventDestroy(stop));
    return ms / repeats;
}

int main() {
    cudaDeviceProp prop;
    cudaCheck(cudaGetDeviceProperties(&prop, 0));
    g_blocks_per_wave = prop.multiProcessorCount * (prop.maxThreadsPerMultiProcessor / 256);
    printf("device: %s (sm_%d%d, %d SMs)\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);

    lopt_hparams hp = {};
    hp.lr = 1e-3f; hp.beta1 = 0.9f; hp.beta2 = 0.999f; hp.eps = 1e-8f; hp.weight_decay = 1e-2f;
    hp.alpha = 0.99f; hp.base = 2.718281828f; hp.periods = 1.0f;
    lopt_coef coef;
    if (lopt_optim_coef(LOPT_ADAM, &hp, 1, &coef) != 0) { fprintf(stderr, "lopt_optim_coef failed\n"); return 1; }

    const long long sizes[] = {1000000LL, 10000000LL, 100000000LL};
    bool ok = true;
    for (long long n : sizes) {
        std::vector<float> p(n), g(n), m(n, 0.0f), v(n, 0.0f), out(n);
        fill(p, 1, false);
        fill(g, 2, true);
        float *dp, *dg, *dm, *dv, *dcopy;
        unsigned long long* dbad;
        cudaCheck(cudaMalloc(&dp, n * sizeof(float)));
        cudaCheck(cudaMalloc(&dg, n * sizeof(float)));
        cudaCheck(cudaMalloc(&dm, n * sizeof(float)));
        cudaCheck(cudaMalloc(&dv, n * sizeof(float)));
        cudaCheck(cudaMalloc(&dcopy, n * sizeof(float)));
        cudaCheck(cudaMalloc(&dbad, sizeof(unsigned long long)));
        cudaCheck(cudaMemcpy(dp, p.data(), n * sizeof(float), cudaMemcpyHostToDevice));
        cudaCheck(cudaMemcpy(dg, g.data(), n * sizeof(float), cudaMemcpyHostToDevice));
        cudaCheck(cudaMemset(dm, 0, n * sizeof(float)));
        cudaCheck(cudaMemset(dv, 0, n * sizeof(float)));
        cudaCheck(cudaMemset(dbad, 0, sizeof(unsigned long long)));
        unsigned grid = grid_for(n);

        // Validate one step of each against the CPU library, before any timing touches the buffers.
        lopt_copy<<<grid, 256>>>(dcopy, dp, n);
        cudaCheck(cudaMemcpy(out.data(), dcopy, n * sizeof(float), cudaMemcpyDeviceToHost));
        ok &= validate("copy", p, out);

        lopt_adam_step<<<grid, 256>>>(dp, dg, dm, dv, nullptr, n, coef, dbad);
        cudaCheck(cudaGetLastError());
        int64_t cpu_bad = 0;
        if (lopt_optim_step(LOPT_ADAM, p.data(), g.data(), m.data(), v.data(), nullptr, n, &coef, &cpu_bad) != 0) return 1;
        unsigned long long gpu_bad = 0;
        cudaCheck(cudaMemcpy(&gpu_bad, dbad, sizeof gpu_bad, cudaMemcpyDeviceToHost));
        cudaCheck(cudaMemcpy(out.data(), dp, n * sizeof(float), cudaMemcpyDeviceToHost));
        ok &= validate("adam p", p, out);
        cudaCheck(cudaMemcpy(out.data(), dm, n * sizeof(float), cudaMemcpyDeviceToHost));
        ok &= validate("adam m", m, out);
        cudaCheck(cudaMemcpy(out.data(), dv, n * sizeof(float), cudaMemcpyDeviceToHost));
        ok &= validate("adam v", v, out);
        if ((long long)gpu_bad != cpu_bad) { printf("MISMATCH non-finite count: cpu %lld gpu %llu\n", (long long)cpu_bad, gpu_bad); ok = false; }

        int repeats = n >= 100000000LL ? 10 : 50;
        float copy_ms = time_ms([&] { lopt_copy<<<grid, 256>>>(dcopy, dp, n); }, repeats);
        float adam_ms = time_ms([&] { lopt_adam_step<<<grid, 256>>>(dp, dg, dm, dv, nullptr, n, coef, dbad); }, repeats);
        printf("n=%-10lld copy %8.3f ms %7.3f ns/param %7.1f GB/s | adam %8.3f ms %7.3f ns/param %7.1f GB/s\n",
               n, copy_ms, copy_ms * 1e6 / n, 8.0 * n / (copy_ms * 1e6),
               adam_ms, adam_ms * 1e6 / n, 28.0 * n / (adam_ms * 1e6));

        cudaCheck(cudaFree(dp)); cudaCheck(cudaFree(dg)); cudaCheck(cudaFree(dm));
        cudaCheck(cudaFree(dv)); cudaCheck(cudaFree(dcopy)); cudaCheck(cudaFree(dbad));
    }
    puts(ok ? "all results match the CPU library" : "VALIDATION FAILED");
    return ok ? 0 : 1;
}
