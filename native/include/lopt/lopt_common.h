// Shared by the CUDA kernels (NVRTC/nvcc) and the CPU launchers (g++): the one definition of
// per-element math is written against these macros so both backends run the same arithmetic.
#ifndef LOPT_COMMON_H
#define LOPT_COMMON_H

#if defined(__CUDACC__)
#define LOPT_HD __host__ __device__ __forceinline__
#define LOPT_DEVICE 1
#else
#define LOPT_HD static inline
#define LOPT_DEVICE 0
#endif

#if !defined(__CUDACC_RTC__)
#include <math.h>
#include <stdint.h>
#include <string.h>
#else
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
#endif

// True unless x is NaN or +-Inf. A bit test, so no compiler flag can fold it away.
LOPT_HD bool lopt_isfinite(float x) {
#if LOPT_DEVICE && defined(__CUDA_ARCH__)
    uint32_t bits = __float_as_uint(x);
#else
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
#endif
    return (bits & 0x7f800000u) != 0x7f800000u;
}

LOPT_HD float lopt_sign(float x) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f); }

LOPT_HD float lopt_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

// asinh that is odd and accurate in float32 for any |x| (the naive log(x + sqrt(1 + x^2))
// cancels for negative x; docs/hrnn.md R2).
LOPT_HD float lopt_asinh(float x) {
    float a = fabsf(x);
    float r;
    if (a > 1e18f) {
        r = logf(a) + 0.69314718055994531f;  // ln(2a): 1 + a^2 would overflow
    } else {
        // log1p(a + a^2 / (1 + sqrt(1 + a^2))) keeps full accuracy near 0 as well.
        float a2 = a * a;
        r = log1pf(a + a2 / (1.0f + sqrtf(1.0f + a2)));
    }
    return x < 0.0f ? -r : r;
}

#endif
