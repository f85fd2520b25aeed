// C ABI of the batched synthetic-problem evaluations in liblopt_cpu.so. One call evaluates many
// instances of one family (float32, row-major, instance-major): theta is count × dim; loss (count)
// and grad (count × dim) may be null; when v is given, hv = ∇²f·v (count × dim).
// Functions return 0 or LOPT_E_ARGUMENT (lopt_last_error() says why).
#ifndef LOPT_PROBLEMS_ABI_H
#define LOPT_PROBLEMS_ABI_H

#include <stdint.h>
#include "lopt_cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LOPT_PROBLEMS_ABI_VERSION 1

LOPT_API int32_t lopt_problems_abi_version(void);

// 2-D test function fn (LOPT_TF_*): dim = 2.
LOPT_API int32_t lopt_problems_testfn(int32_t fn, int64_t count, const float* theta, float* loss, float* grad,
                                      const float* v, float* hv);

// f = ½‖A θ‖² with a per-instance 2 × 2 matrix a (count × 4): Bowl.
LOPT_API int32_t lopt_problems_bowl(int64_t count, const float* a, const float* theta, float* loss, float* grad,
                                    const float* v, float* hv);

// f = ½‖W θ − y‖², W count × n × n, y count × n: Quadratic(n).
LOPT_API int32_t lopt_problems_quadratic(int64_t count, int32_t n, const float* w, const float* y, const float* theta,
                                         float* loss, float* grad, const float* v, float* hv);

// f = (Σ (|r_i| + 1e-6)^p)^{1/p}, r = W θ − y: Norm(n, p), p >= 1.
LOPT_API int32_t lopt_problems_norm(int64_t count, int32_t n, float p, const float* w, const float* y,
                                    const float* theta, float* loss, float* grad, const float* v, float* hv);

// Sigmoid MLP with one output logit (layers = 1: logistic regression); widths has layers + 1
// entries [d, h1, ..., 1]; theta per instance = w0, b0, w1, b1, ... (dim = lopt_mlp_dim).
// Instance k has its own data x (count × rows × d) and labels (count × rows, 0/1). batch_rows
// (count × batch indices into the rows) selects a minibatch, or is null for all rows.
// loss = mean over the used rows of softplus(z) - y·z, plus l2 / (2·layers) · Σθ². No HVP here.
LOPT_API int32_t lopt_problems_classifier(int64_t count, int32_t layers, const int32_t* widths, const float* x,
                                          const float* labels, int32_t rows, const int32_t* batch_rows, int32_t batch,
                                          float l2, const float* theta, float* loss, float* grad);

#ifdef __cplusplus
}
#endif
#endif
