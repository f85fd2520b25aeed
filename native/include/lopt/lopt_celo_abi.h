// C ABI of the Celo step in the CPU library (liblopt_cpu.so). Same conventions as lopt_cpu.h:
// blittable arguments, 0 on success or LOPT_E_ARGUMENT with lopt_last_error() set.
#ifndef LOPT_CELO_ABI_H
#define LOPT_CELO_ABI_H

#include <stdint.h>
#include "lopt_cpu.h"
#include "lopt_celo.h"

#ifdef __cplusplus
extern "C" {
#endif

static_assert(sizeof(lopt_celo_tensor) == 128 && offsetof(lopt_celo_tensor, n) == 24 && offsetof(lopt_celo_tensor, chunk0) == 104 &&
              offsetof(lopt_celo_tensor, factored) == 120, "lopt_celo_tensor layout");

// Sizes the managed side checks: 0 MLP pack floats, 1 scheduler pack floats, 2 global doubles,
// 3 sizeof(lopt_celo_tensor); -1 otherwise.
LOPT_API int32_t lopt_celo_size(int32_t which);

// The initial global state (LOPT_CELO_GLOBAL doubles) from the scheduler pack.
LOPT_API int32_t lopt_celo_global_init(const float* sched, double* global);

// One Celo step over `count` tensors: the scheduler from `loss` and `step` (steps taken so far),
// then each tensor's passes. A tensor whose gradient holds a NaN or infinite entry skips the step
// (parameters and state untouched): skipped[k] says so, *nonfinite counts the entries.
LOPT_API int32_t lopt_celo_step(const float* mlp, const float* sched, const lopt_celo_tensor* tensors, int32_t count, double* global,
                                float loss, int64_t step, int64_t totalSteps, int32_t phase, int32_t* skipped, int64_t* nonfinite);

#ifdef __cplusplus
}
#endif

#endif
