// Fused single-pass hand-designed optimizer steps. One kernel per optimizer family, all with the
// same signature: (p, g, s0, s1, s2, n, coef, nonfinite counter). The math is lopt_optim.h's.
#include "lopt/lopt_optim.h"

template <int Kind>
__device__ __forceinline__ void optim_step(float* __restrict__ p, const float* __restrict__ g,
                                           float* __restrict__ s0, float* __restrict__ s1,
                                           float* __restrict__ s2, long long n,
                                           const lopt_coef& c, unsigned long long* nonfinite) {
    unsigned int bad = 0;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float gi = g[i];
        bad += lopt_isfinite(gi) ? 0u : 1u;
        lopt_optim_elem(Kind, p + i, gi, s0 ? s0 + i : nullptr, s1 ? s1 + i : nullptr, s2 ? s2 + i : nullptr, &c);
    }
    // Non-finite gradients are rare: only threads that saw one touch the counter.
    if (bad && nonfinite) atomicAdd(nonfinite, (unsigned long long)bad);
}

#define LOPT_OPTIM_KERNEL(name, kind)                                                              \
    extern "C" __global__ void __launch_bounds__(256) name(float* p, const float* g, float* s0,   \
        float* s1, float* s2, long long n, lopt_coef c, unsigned long long* nonfinite) {             \
        optim_step<kind>(p, g, s0, s1, s2, n, c, nonfinite);                                        \
    }

LOPT_OPTIM_KERNEL(lopt_sgd_step, LOPT_SGD)
LOPT_OPTIM_KERNEL(lopt_sgd_momentum_step, LOPT_SGD_MOMENTUM)
LOPT_OPTIM_KERNEL(lopt_rmsprop_step, LOPT_RMSPROP)
LOPT_OPTIM_KERNEL(lopt_adam_step, LOPT_ADAM)
LOPT_OPTIM_KERNEL(lopt_adamw_step, LOPT_ADAMW)
LOPT_OPTIM_KERNEL(lopt_powersign_step, LOPT_POWERSIGN)
LOPT_OPTIM_KERNEL(lopt_addsign_step, LOPT_ADDSIGN)
LOPT_OPTIM_KERNEL(lopt_adam_amsgrad_step, LOPT_ADAM_AMSGRAD)
LOPT_OPTIM_KERNEL(lopt_adamw_amsgrad_step, LOPT_ADAMW_AMSGRAD)
LOPT_OPTIM_KERNEL(lopt_rmsprop_centered_step, LOPT_RMSPROP_CENTERED)
LOPT_OPTIM_KERNEL(lopt_adagrad_step, LOPT_ADAGRAD)
LOPT_OPTIM_KERNEL(lopt_adamax_step, LOPT_ADAMAX)
LOPT_OPTIM_KERNEL(lopt_nadam_step, LOPT_NADAM)
LOPT_OPTIM_KERNEL(lopt_radam_step, LOPT_RADAM)

// dst = src, vectorised when both are 16-byte aligned: the bandwidth yardstick.
extern "C" __global__ void __launch_bounds__(256) lopt_copy(float* __restrict__ dst, const float* __restrict__ src, long long n) {
    long long stride = (long long)gridDim.x * blockDim.x;
    long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if ((((unsigned long long)dst | (unsigned long long)src) & 15ull) == 0) {
        long long n4 = n / 4;
        float4* d4 = reinterpret_cast<float4*>(dst);
        const float4* s4 = reinterpret_cast<const float4*>(src);
        for (long long i = tid; i < n4; i += stride) d4[i] = s4[i];
        for (long long i = n4 * 4 + tid; i < n; i += stride) dst[i] = src[i];
    } else {
        for (long long i = tid; i < n; i += stride) dst[i] = src[i];
    }
}
