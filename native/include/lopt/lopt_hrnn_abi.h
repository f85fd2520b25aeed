// C ABI of the HRNN step in the CPU library (liblopt_cpu.so). Same conventions as lopt_cpu.h:
// blittable arguments, 0 on success or LOPT_E_ARGUMENT with lopt_last_error() set.
#ifndef LOPT_HRNN_ABI_H
#define LOPT_HRNN_ABI_H

#include <stdint.h>
#include "lopt_cpu.h"
#include "lopt_hrnn.h"

#ifdef __cplusplus
extern "C" {
#endif

// One parameter tensor: the caller's theta and gradient, and its state block of
// LOPT_HRNN_BLOCK * n floats (rows: h (H0), m (S), v (S), beta, eta, ell, scratch).
typedef struct lopt_hrnn_tensor {
    float* theta;
    const float* grad;
    float* block;
    int64_t n;
} lopt_hrnn_tensor;

// State shared by all tensors (s, G) and the values derived from it that the next step reads.
typedef struct lopt_hrnn_shared {
    float* s;        // K * H1: tensor-RNN states s_k
    float* g;        // H2: global-RNN state G
    float* e0;       // K * 3H0 (derived): s_k P_pt + p_pt + G P_pg + p_pg
    float* etg;      // 3H1 (derived): G P_tg + p_tg
    float* ellmean;  // K (derived): mean log-LR of each tensor
    float* mu;       // 1 (derived): mean log-LR over all coordinates of all tensors
} lopt_hrnn_shared;

// Floats in a weight pack for tensor/global hidden sizes h1, h2 (lopt_hrnn_make_layout), or < 0.
LOPT_API int32_t lopt_hrnn_pack_floats(int32_t h1, int32_t h2);

// Recomputes the derived fields of sh from the state (after initialising or importing it);
// only the tensors' block and n are read.
LOPT_API int32_t lopt_hrnn_prepare(const float* pack, int32_t h1, int32_t h2, const lopt_hrnn_tensor* tensors,
                                   int32_t k, const lopt_hrnn_shared* sh);

// One HRNN step over k tensors. A tensor with an unusable gradient entry (non-finite or above
// LOPT_HRNN_GMAX) skips the step: theta, its state and s_k stay as they are, skipped[i] = 1, and
// it is left out of the global mean. bad_entries receives the number of unusable entries.
LOPT_API int32_t lopt_hrnn_step(const float* pack, int32_t h1, int32_t h2, const lopt_hrnn_tensor* tensors,
                                int32_t k, const lopt_hrnn_shared* sh, int32_t* skipped, int64_t* bad_entries);

#ifdef __cplusplus
}
#endif
#endif
