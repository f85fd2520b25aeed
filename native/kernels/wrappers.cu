// Batched problem wrappers and counter-based random numbers on the GPU: the per-element math of
// lopt_wrappers.h / lopt_random.h, the same signatures as the CPU launchers (lopt_wrappers_abi.h).
// Elementwise kernels are grid-stride loops over count·dim elements (256 threads per block);
// lopt_wrap_log_hvp runs one block per instance and sums g̃·v in one thread, in the CPU's order,
// so both backends give the same bits.
#include "lopt/lopt_wrappers.h"

#define LOPT_GRID_STRIDE(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

extern "C" __global__ void __launch_bounds__(256) lopt_random_fill(int kind, long long count, int dim,
        const unsigned long long* __restrict__ seeds, long long step, unsigned int stream, float* __restrict__ out) {
    LOPT_GRID_STRIDE(e, count * dim) {
        long long k = e / dim;
        unsigned int i = (unsigned int)(e - k * dim);
        out[e] = kind == 0 ? lopt_random_uniform(seeds[k], step, stream, i) : lopt_random_gaussian(seeds[k], step, stream, i);
    }
}

extern "C" __global__ void __launch_bounds__(256) lopt_wrap_noise(long long count, int dim,
        const unsigned long long* __restrict__ seeds, long long step, unsigned int stream, float sigma, float* __restrict__ grad) {
    LOPT_GRID_STRIDE(e, count * dim) {
        long long k = e / dim;
        grad[e] = lopt_wrap_noisy(grad[e], sigma, seeds[k], step, stream, (unsigned int)(e - k * dim));
    }
}

// x and out may alias (in place), so no __restrict__ on them.
extern "C" __global__ void __launch_bounds__(256) lopt_wrap_mask(long long count, int dim,
        const unsigned long long* __restrict__ seeds, long long step, unsigned int stream, float q, const float* x, float* out) {
    LOPT_GRID_STRIDE(e, count * dim) {
        long long k = e / dim;
        out[e] = lopt_wrap_masked(x[e], q, seeds[k], step, stream, (unsigned int)(e - k * dim));
    }
}

extern "C" __global__ void __launch_bounds__(256) lopt_wrap_divide(long long n, const float* x, float d, float* out) {
    LOPT_GRID_STRIDE(i, n) out[i] = x[i] / d;
}

// loss and grad may each be null.
extern "C" __global__ void __launch_bounds__(256) lopt_wrap_log(long long count, int dim, const float* __restrict__ inner_loss,
        float* __restrict__ loss, float* __restrict__ grad) {
    if (grad) {
        LOPT_GRID_STRIDE(e, count * dim) grad[e] /= inner_loss[e / dim] + LOPT_LOG_EPS;
    }
    if (loss) {
        LOPT_GRID_STRIDE(k, count) loss[k] = lopt_wrap_log_loss(inner_loss[k]);
    }
}

// One block per instance (grid-stride over instances); any block size.
extern "C" __global__ void __launch_bounds__(256) lopt_wrap_log_hvp(long long count, int dim, const float* __restrict__ inner_loss,
        const float* __restrict__ g_noisy, const float* __restrict__ g_exact, const float* __restrict__ v, float* __restrict__ hv) {
    __shared__ float gv;
    for (long long k = blockIdx.x; k < count; k += gridDim.x) {
        const long long o = k * dim;
        if (threadIdx.x == 0) {
            float s = 0.0f;
            for (int i = 0; i < dim; ++i) s += g_noisy[o + i] * v[o + i];
            gv = s;
        }
        __syncthreads();
        float d = inner_loss[k] + LOPT_LOG_EPS, dot = gv;
        for (int i = threadIdx.x; i < dim; i += blockDim.x) hv[o + i] = lopt_wrap_log_hv(hv[o + i], g_exact[o + i], dot, d);
        __syncthreads();
    }
}

extern "C" __global__ void __launch_bounds__(256) lopt_wrap_gather(long long count, int total, int offset, int part,
        const float* __restrict__ src, float* __restrict__ dst) {
    LOPT_GRID_STRIDE(e, count * part) {
        long long k = e / part;
        dst[e] = src[k * total + offset + (e - k * part)];
    }
}

extern "C" __global__ void __launch_bounds__(256) lopt_wrap_scatter(long long count, int total, int offset, int part,
        const float* __restrict__ src, float* __restrict__ dst) {
    LOPT_GRID_STRIDE(e, count * part) {
        long long k = e / part;
        dst[k * total + offset + (e - k * part)] = src[e];
    }
}

extern "C" __global__ void __launch_bounds__(256) lopt_wrap_add(long long n, const float* __restrict__ x, float* __restrict__ out) {
    LOPT_GRID_STRIDE(i, n) out[i] += x[i];
}
