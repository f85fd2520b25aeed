// C ABI of the batched problem wrappers and the counter-based random numbers in liblopt_cpu.so
// (float32, instance-major: element i of instance k is k·dim + i). seeds holds one 64-bit seed per
// instance; (seed, step, stream, i) fixes every draw (lopt_random.h). In-place calls (out == x)
// are allowed. Functions return 0 or LOPT_E_ARGUMENT (lopt_last_error() says why).
#ifndef LOPT_WRAPPERS_ABI_H
#define LOPT_WRAPPERS_ABI_H

#include <stdint.h>
#include "lopt_cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LOPT_WRAPPERS_ABI_VERSION 1
#define LOPT_RANDOM_UNIFORM 0
#define LOPT_RANDOM_GAUSSIAN 1

LOPT_API int32_t lopt_wrappers_abi_version(void);

// One Philox4x32-10 block (for known-answer tests).
LOPT_API int32_t lopt_random_philox(const uint32_t* ctr, const uint32_t* key, uint32_t* out);

// out[k·dim + i] = uniform [0, 1) or standard normal draw i of (seeds[k], step, stream).
LOPT_API int32_t lopt_random_fill(int32_t kind, int64_t count, int32_t dim, const uint64_t* seeds, int64_t step,
                                  uint32_t stream, float* out);

// grad += sigma·ξ (gradient noise).
LOPT_API int32_t lopt_wrap_noise(int64_t count, int32_t dim, const uint64_t* seeds, int64_t step, uint32_t stream,
                                 float sigma, float* grad);

// out = x where the uniform draw is >= q, else 0 (sparse gradients; the same mask for v in the HVP).
LOPT_API int32_t lopt_wrap_mask(int64_t count, int32_t dim, const uint64_t* seeds, int64_t step, uint32_t stream,
                                float q, const float* x, float* out);

// out = x / d over n elements (rescale: θ/s, g/s, hv/s²).
LOPT_API int32_t lopt_wrap_divide(int64_t n, const float* x, float d, float* out);

// Log(P) from the inner loss f_P (count): loss = ln(f_P + ε) − ln ε, grad /= f_P + ε; either may be null.
LOPT_API int32_t lopt_wrap_log(int64_t count, int32_t dim, const float* inner_loss, float* loss, float* grad);

// Log(P)'s HVP: hv = hv/d − g_exact (g_noisy·v)/d² per instance, d = f_P + ε; hv holds the inner HVP.
LOPT_API int32_t lopt_wrap_log_hvp(int64_t count, int32_t dim, const float* inner_loss, const float* g_noisy,
                                   const float* g_exact, const float* v, float* hv);

// Sum slices: dst (count × part) = src[k·total + offset + i], and the reverse scatter.
LOPT_API int32_t lopt_wrap_gather(int64_t count, int32_t total, int32_t offset, int32_t part, const float* src, float* dst);
LOPT_API int32_t lopt_wrap_scatter(int64_t count, int32_t total, int32_t offset, int32_t part, const float* src, float* dst);

// out += x over n elements (the sum's losses, in part order).
LOPT_API int32_t lopt_wrap_add(int64_t n, const float* x, float* out);

#ifdef __cplusplus
}
#endif
#endif
