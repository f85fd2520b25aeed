// CPU launcher of the batched classifiers' Hessian-vector product: instances in parallel
// (OpenMP), rows serially per instance through lopt_mlp_row_hvp (lopt_problems.h), the same
// per-element math as the loss/gradient launcher and the CUDA kernels.
#include "lopt/lopt_classifier_abi.h"
#include "lopt/lopt_problems.h"
#include "lopt_cpu_internal.h"
#include <vector>

namespace {

// Below about this many multiply-adds a parallel region costs more than it saves (as in
// problems_cpu.cpp: meta-training evaluates small batches every step).
constexpr int64_t kParallelWork = 16384;

}  // namespace

extern "C" {

LOPT_API int32_t lopt_classifier_abi_version(void) { return LOPT_CLASSIFIER_ABI_VERSION; }

LOPT_API int32_t lopt_classifier_hvp(int64_t count, int32_t layers, const int32_t* widths, const float* x,
                                     const float* labels, int32_t rows, const int32_t* batch_rows, int32_t batch,
                                     float l2, const float* theta, const float* v, float* hv) {
    if (count < 0 || layers < 1 || !widths || rows < 1 || (batch_rows && (batch < 1 || batch > rows)) ||
        (count > 0 && (!x || !labels || !theta || !v || !hv))) {
        lopt_set_error("lopt_classifier_hvp: bad count, layers, widths, rows, batch or pointer"); return LOPT_E_ARGUMENT;
    }
    int total = 0, widest = 1;
    for (int l = 0; l <= layers; ++l) {
        if (widths[l] < 1) { lopt_set_error("lopt_classifier_hvp: widths must be >= 1"); return LOPT_E_ARGUMENT; }
        total += widths[l];
        if (widths[l] > widest) widest = widths[l];
    }
    if (widths[layers] != 1) { lopt_set_error("lopt_classifier_hvp: the output layer must have one logit"); return LOPT_E_ARGUMENT; }
    if (batch_rows)
        for (int64_t i = 0; i < count * batch; ++i)
            if (batch_rows[i] < 0 || batch_rows[i] >= rows) { lopt_set_error("lopt_classifier_hvp: batch row out of range"); return LOPT_E_ARGUMENT; }
    const int d = widths[0];
    const int dim = lopt_mlp_dim(layers, widths);
    const int used = batch_rows ? batch : rows;
    const float reg = l2 / (float)(2 * layers);
    // An HVP row costs about three gradient rows (forward, R-forward, two backward passes).
#pragma omp parallel if (count * used * dim * 3 >= kParallelWork)
    {
        std::vector<float> act((size_t)total), ract((size_t)total);
        std::vector<float> d0((size_t)widest), d1((size_t)widest), r0((size_t)widest), r1((size_t)widest);
#pragma omp for schedule(static)
        for (int64_t k = 0; k < count; ++k) {
            const float* tk = theta + k * dim;
            const float* vk = v + k * dim;
            float* hk = hv + k * dim;
            for (int i = 0; i < dim; ++i) hk[i] = 0.0f;
            for (int r = 0; r < used; ++r) {
                int row = batch_rows ? batch_rows[k * batch + r] : r;
                const float* xr = x + (k * rows + row) * (int64_t)d;
                lopt_mlp_row_hvp(layers, widths, tk, vk, xr, labels[k * rows + row], act.data(), ract.data(),
                                 d0.data(), d1.data(), r0.data(), r1.data(), hk, 1.0f / (float)used);
            }
            // The L2 term's Hessian is 2·reg·I.
            for (int i = 0; i < dim; ++i) hk[i] += 2.0f * reg * vk[i];
        }
    }
    return 0;
}

}
