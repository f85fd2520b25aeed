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
#include <stddef.h>
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

#endif

// The elementary functions, sigmoid and asinh every kernel sees (after the macros above).
#include "lopt_math.h"
