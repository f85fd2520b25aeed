// CPU launcher of the Celo step: lopt_celo.h's per-element work under OpenMP, pass by pass.
// Every reduction runs in a fixed order (fixed-size chunks summed in index order), so a seed fixes
// the result whatever the thread count.
#include "lopt/lopt_celo_abi.h"
#include "lopt_cpu_internal.h"
#include <omp.h>
#include <vector>

namespace {

constexpr int64_t kChunk = 4096;
// Below this many elements (or fibers) a parallel region costs more than it saves.
constexpr int64_t kParallelMin = 32768;

int64_t count_nonfinite(const float* g, int64_t n) {
    int64_t bad = 0;
#pragma omp parallel for reduction(+ : bad) schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) bad += lopt_isfinite(g[i]) ? 0 : 1;
    return bad;
}

// Mean squares of the 30 feature columns (sums per chunk in double, chunks added in order) ->
// the tensor's feature scales and σ_p.
void tensor_stats(const lopt_celo_tensor& t, float* stats) {
    const int64_t chunks = (t.n + kChunk - 1) / kChunk;
    std::vector<double> partial(static_cast<size_t>(chunks) * LOPT_LF_FEATURES, 0.0);
#pragma omp parallel for schedule(static) if (t.n >= kParallelMin)
    for (int64_t c = 0; c < chunks; ++c) {
        double sums[LOPT_LF_FEATURES] = {0};
        const int64_t end = (c + 1) * kChunk < t.n ? (c + 1) * kChunk : t.n;
        for (int64_t i = c * kChunk; i < end; ++i) {
            float x[LOPT_LF_FEATURES];
            lopt_celo_element_features(&t, i, x);
            for (int q = 0; q < LOPT_LF_FEATURES; ++q) sums[q] += (double)x[q] * (double)x[q];
        }
        for (int q = 0; q < LOPT_LF_FEATURES; ++q) partial[c * LOPT_LF_FEATURES + q] = sums[q];
    }
    double total[LOPT_LF_FEATURES] = {0};
    for (int64_t c = 0; c < chunks; ++c)
        for (int q = 0; q < LOPT_LF_FEATURES; ++q) total[q] += partial[c * LOPT_LF_FEATURES + q];
    for (int q = 0; q < LOPT_LF_FEATURES; ++q) stats[q] = lopt_lf_feature_scale(total[q] / (double)t.n);
    stats[LOPT_LF_FEATURES] = lopt_lf_param_rms(total[2] / (double)t.n);
}

void step_tensor(const lopt_celo_tensor& t, const float* mlp, float s) {
    const int64_t n = t.n;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) lopt_celo_accumulate(&t, i);
    if (t.factored) {
        const int64_t fibers = t.rows + t.cols;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
        for (int64_t f = 0; f < fibers; ++f) lopt_celo_fiber(&t, f);
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
        for (int64_t b = 0; b < t.rbars; ++b) lopt_celo_row_mean(&t, b);
    }
    float stats[LOPT_CELO_TENSOR_STATS];
    tensor_stats(t, stats);
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
    for (int64_t i = 0; i < n; ++i) lopt_celo_apply(&t, i, mlp, stats, s);
}

bool valid(const lopt_celo_tensor& t) {
    if (t.n < 0) return false;
    if (t.n == 0) return true;
    if (!t.p || !t.g || !t.state) return false;
    if (!t.factored) return true;
    return t.size0 > 0 && t.size1 > 0 && t.stride0 > 0 && t.stride1 > 0 && t.rsize > 0 && t.rstride > 0 &&
           t.rows * t.size0 == t.n && t.cols * t.size1 == t.n && t.rbars * t.rsize == t.rows;
}

}  // namespace

extern "C" {

LOPT_API int32_t lopt_celo_size(int32_t which) {
    switch (which) {
        case 0: return LOPT_LF_MLP_FLOATS;
        case 1: return LOPT_CELO_SCHED_FLOATS;
        case 2: return LOPT_CELO_GLOBAL;
        case 3: return (int32_t)sizeof(lopt_celo_tensor);
        default: return -1;
    }
}

LOPT_API int32_t lopt_celo_global_init(const float* sched, double* global) {
    if (!sched || !global) {
        lopt_set_error("lopt_celo_global_init: null argument");
        return LOPT_E_ARGUMENT;
    }
    lopt_celo_global_reset(sched, global);
    return 0;
}

LOPT_API int32_t lopt_celo_step(const float* mlp, const float* sched, const lopt_celo_tensor* tensors, int32_t count, double* global,
                                float loss, int64_t step, int64_t totalSteps, int32_t phase, int32_t* skipped, int64_t* nonfinite) {
    if (!mlp || !sched || !global || !skipped || !nonfinite || count < 0 || (count > 0 && !tensors)) {
        lopt_set_error("lopt_celo_step: null argument or negative tensor count");
        return LOPT_E_ARGUMENT;
    }
    if (totalSteps < 1 || step < 0 || (phase != 1 && phase != 2)) {
        lopt_set_error("lopt_celo_step: totalSteps must be >= 1, step >= 0 and phase 1 or 2");
        return LOPT_E_ARGUMENT;
    }
    for (int32_t k = 0; k < count; ++k)
        if (!valid(tensors[k])) {
            lopt_set_error("lopt_celo_step: a tensor descriptor is inconsistent (null pointer or factored sizes that do not divide n)");
            return LOPT_E_ARGUMENT;
        }
    lopt_celo_schedule(sched, global, loss, step, totalSteps, phase);
    const float s = (float)global[LOPT_CELO_G_S];
    int64_t bad = 0;
    for (int32_t k = 0; k < count; ++k) {
        const lopt_celo_tensor& t = tensors[k];
        const int64_t b = t.n > 0 ? count_nonfinite(t.g, t.n) : 0;
        skipped[k] = b > 0 ? 1 : 0;
        bad += b;
        if (b == 0 && t.n > 0) step_tensor(t, mlp, s);
    }
    *nonfinite = bad;
    return 0;
}

}  // extern "C"
