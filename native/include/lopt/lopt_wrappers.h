// Per-element math of the batched problem wrappers (gradient noise, sparse masks, log, rescale,
// sum slices), shared by the CPU launchers (native/cpu/wrappers_cpu.cpp) and the CUDA kernels
// (native/kernels/wrappers.cu). Layout is instance-major: element i of instance k is k·dim + i.
// The float64 reference of the same formulas is src/LearnedOpt/Tasks/Synthetic (Rescale, Log,
// Sparse, Sum tasks and FlatTask's noise); the batched path draws its own seeded stream.
#ifndef LOPT_WRAPPERS_H
#define LOPT_WRAPPERS_H

#include "lopt_common.h"
#include "lopt_random.h"

#define LOPT_LOG_EPS 1e-6f

// g + σ·ξ for element i of an instance whose seed is seed.
LOPT_HD float lopt_wrap_noisy(float g, float sigma, uint64_t seed, int64_t step, uint32_t stream, uint32_t i) {
    return g + sigma * lopt_random_gaussian(seed, step, stream, i);
}

// Sparse mask: element i is dropped (0) with probability q, else kept (x).
LOPT_HD float lopt_wrap_masked(float x, float q, uint64_t seed, int64_t step, uint32_t stream, uint32_t i) {
    return lopt_random_uniform(seed, step, stream, i) < q ? 0.0f : x;
}

// Log(P): f = ln(f_P + ε) − ln ε (0 where f_P = 0), with our own log on both backends; that log
// needs a positive finite argument, so +Inf stays +Inf and NaN or a negative d gives NaN.
LOPT_HD float lopt_wrap_log_loss(float fp) {
    float d = fp + LOPT_LOG_EPS;
    if (d > 0.0f && lopt_isfinite(d)) return lopt_log(lopt_fast_math(), d) - lopt_log(lopt_fast_math(), LOPT_LOG_EPS);
    return d > 0.0f ? d : (d != d ? d : sqrtf(d));
}

// Log(P)'s Hessian-vector product of one element: hv_P/d − g_exact·(g̃·v)/d², d = f_P + ε.
LOPT_HD float lopt_wrap_log_hv(float hvp, float gexact, float gv, float d) {
    return hvp / d - gexact * gv / (d * d);
}

#endif
