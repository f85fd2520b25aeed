// C ABI of the batched MatMulAlgorithm(n, k) problem in liblopt_cpu.so (lopt_matmul.h): count
// instances, theta count × 2n²k floats (θ_a then θ_b per instance); loss (count) and grad may be
// null; with v, hv = ∇²f·v. Returns 0 or LOPT_E_ARGUMENT (lopt_last_error() says why).
#ifndef LOPT_MATMUL_ABI_H
#define LOPT_MATMUL_ABI_H

#include <stdint.h>
#include "lopt_cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LOPT_MATMUL_ABI_VERSION 1

LOPT_API int32_t lopt_matmul_abi_version(void);

LOPT_API int32_t lopt_problems_matmul(int64_t count, int32_t n, int32_t k, const float* theta, float* loss, float* grad,
                                      const float* v, float* hv);

#ifdef __cplusplus
}
#endif
#endif
