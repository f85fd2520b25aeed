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

static_assert(sizeof(lopt_hrnn_tensor) == 32 && offsetof(lopt_hrnn_tensor, theta) == 0 && offsetof(lopt_hrnn_tensor, grad) == 8 &&
              offsetof(lopt_hrnn_tensor, block) == 16 && offsetof(lopt_hrnn_tensor, n) == 24, "lopt_hrnn_tensor layout");
static_assert(sizeof(lopt_hrnn_shared) == 48 && offsetof(lopt_hrnn_shared, s) == 0 && offsetof(lopt_hrnn_shared, g) == 8 &&
              offsetof(lopt_hrnn_shared, e0) == 16 && offsetof(lopt_hrnn_shared, etg) == 24 &&
              offsetof(lopt_hrnn_shared, ellmean) == 32 && offsetof(lopt_hrnn_shared, mu) == 40, "lopt_hrnn_shared layout");

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

// --- grouped step: G independent optimizer instances ("groups") in one call, e.g. the
// trajectories of a meta-iteration, each with its own weights (its own phi) and shared state.
// Group q owns tensors [group_first[q], group_first[q + 1]) (at least one each; K =
// group_first[G] in all) and the pack at packs + q * lopt_hrnn_pack_floats(h1, h2). The shared
// arrays are indexed by global tensor or by group: s K * H1, e0 K * 3H0, ellmean K (per tensor);
// g G * H2, etg G * 3H1, mu G (per group). Each group's result is bit-identical to
// lopt_hrnn_step/lopt_hrnn_prepare on that group alone. ---

// The derived fields of every group (lopt_hrnn_prepare per group).
LOPT_API int32_t lopt_hrnn_prepare_grouped(const float* packs, int32_t h1, int32_t h2, const lopt_hrnn_tensor* tensors,
                                           const int32_t* group_first, int32_t groups, const lopt_hrnn_shared* sh);

// One step of every group whose active[q] is non-zero (active may be null: all groups). An
// inactive group is left untouched (theta, state, skipped flags). skipped: K flags; bad_entries:
// G counts of unusable gradient entries (either may be null).
LOPT_API int32_t lopt_hrnn_step_grouped(const float* packs, int32_t h1, int32_t h2, const lopt_hrnn_tensor* tensors,
                                        const int32_t* group_first, int32_t groups, const int32_t* active,
                                        const lopt_hrnn_shared* sh, int32_t* skipped, int64_t* bad_entries);

#ifdef __cplusplus
}
#endif
#endif
