// Batched synthetic problems on the GPU: the per-instance math of lopt_problems.h, the same
// arguments as the CPU launchers (lopt_problems_abi.h). 2-D families: one thread per instance.
// Dense families (Quadratic, Norm): one block per instance, one warp per row of W for W·x
// (coalesced) and one thread per column for Wᵀ·u; dynamic shared memory holds 3n + 32 floats.
#include "lopt/lopt_problems.h"

extern "C" __global__ void __launch_bounds__(256) lopt_problems_testfn(int fn, long long count, const float* __restrict__ theta,
        float* __restrict__ loss, float* __restrict__ grad, const float* __restrict__ v, float* __restrict__ hv) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x; k < count; k += stride) {
        lopt_testfn_instance(fn, k, theta, loss, grad, v, hv);
    }
}

extern "C" __global__ void __launch_bounds__(256) lopt_problems_bowl(long long count, const float* __restrict__ a,
        const float* __restrict__ theta, float* __restrict__ loss, float* __restrict__ grad, const float* __restrict__ v,
        float* __restrict__ hv) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x; k < count; k += stride) {
        const float* ak = a + 4 * k;
        float x0 = theta[2 * k], x1 = theta[2 * k + 1];
        float r0 = ak[0] * x0 + ak[1] * x1, r1 = ak[2] * x0 + ak[3] * x1;
        if (loss) loss[k] = 0.5f * (r0 * r0 + r1 * r1);
        if (grad) { grad[2 * k] = ak[0] * r0 + ak[2] * r1; grad[2 * k + 1] = ak[1] * r0 + ak[3] * r1; }
        if (hv) {
            float w0 = ak[0] * v[2 * k] + ak[1] * v[2 * k + 1], w1 = ak[2] * v[2 * k] + ak[3] * v[2 * k + 1];
            hv[2 * k] = ak[0] * w0 + ak[2] * w1;
            hv[2 * k + 1] = ak[1] * w0 + ak[3] * w1;
        }
    }
}

// out[i] = (W x)[i] - (y ? y[i] : 0), one warp per row.
__device__ __forceinline__ void lopt_block_residual(const float* __restrict__ w, const float* __restrict__ x,
        const float* __restrict__ y, int n, float* out) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int i = warp; i < n; i += warps) {
        const float* row = w + (long long)i * n;
        float s = 0.0f;
        for (int j = lane; j < n; j += 32) s += row[j] * x[j];
        for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
        if (lane == 0) out[i] = y ? s - y[i] : s;
    }
    __syncthreads();
}

// g[j] = (Wᵀ u)[j], one thread per column.
__device__ __forceinline__ void lopt_block_transposed(const float* __restrict__ w, const float* u, int n, float* __restrict__ g) {
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        float s = 0.0f;
        for (int i = 0; i < n; ++i) s += w[(long long)i * n + j] * u[i];
        g[j] = s;
    }
}

// Sum over the block of each thread's value; every thread gets the total.
__device__ __forceinline__ float lopt_block_sum(float s, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
    if (lane == 0) scratch[warp] = s;
    __syncthreads();
    float total = 0.0f;
    for (int i = 0; i < warps; ++i) total += scratch[i];
    __syncthreads();
    return total;
}

// blockDim.x must be a multiple of 32 (at most 1024); shared memory (3n + 32) floats.
extern "C" __global__ void __launch_bounds__(256) lopt_problems_quadratic(long long count, int n, const float* __restrict__ w,
        const float* __restrict__ y, const float* __restrict__ theta, float* __restrict__ loss, float* __restrict__ grad,
        const float* __restrict__ v, float* __restrict__ hv) {
    extern __shared__ float shared[];
    float* r = shared;
    float* scratch = shared + 3 * n;
    for (long long k = blockIdx.x; k < count; k += gridDim.x) {
        const float* wk = w + k * (long long)n * n;
        if (loss || grad) {
            lopt_block_residual(wk, theta + k * n, y + k * n, n, r);
            if (loss) {
                float s = 0.0f;
                for (int i = threadIdx.x; i < n; i += blockDim.x) s += r[i] * r[i];
                s = lopt_block_sum(s, scratch);
                if (threadIdx.x == 0) loss[k] = 0.5f * s;
            }
            if (grad) lopt_block_transposed(wk, r, n, grad + k * n);
            __syncthreads();
        }
        if (hv) {
            lopt_block_residual(wk, v + k * n, nullptr, n, r);
            lopt_block_transposed(wk, r, n, hv + k * n);
            __syncthreads();
        }
    }
}

extern "C" __global__ void __launch_bounds__(256) lopt_problems_norm(long long count, int n, float p, const float* __restrict__ w,
        const float* __restrict__ y, const float* __restrict__ theta, float* __restrict__ loss, float* __restrict__ grad,
        const float* __restrict__ v, float* __restrict__ hv) {
    extern __shared__ float shared[];
    float* r = shared;
    float* u = shared + n;
    float* wv = shared + 2 * n;
    float* scratch = shared + 3 * n;
    for (long long k = blockIdx.x; k < count; k += gridDim.x) {
        const float* wk = w + k * (long long)n * n;
        lopt_block_residual(wk, theta + k * n, y + k * n, n, r);
        float s = 0.0f;
        for (int i = threadIdx.x; i < n; i += blockDim.x) s += lopt_norm_term(r[i], p);
        float f = lopt_norm_loss(lopt_block_sum(s, scratch), p);
        if (loss && threadIdx.x == 0) loss[k] = f;
        if (grad || hv) {
            for (int i = threadIdx.x; i < n; i += blockDim.x) u[i] = lopt_norm_weight(r[i], f, p);
            __syncthreads();
        }
        if (grad) lopt_block_transposed(wk, u, n, grad + k * n);
        if (hv) {
            lopt_block_residual(wk, v + k * n, nullptr, n, wv);
            float uw = 0.0f;
            for (int i = threadIdx.x; i < n; i += blockDim.x) uw += u[i] * wv[i];
            uw = lopt_block_sum(uw, scratch);
            for (int i = threadIdx.x; i < n; i += blockDim.x) r[i] = lopt_norm_hv_entry(r[i], u[i], wv[i], uw, f, p);
            __syncthreads();
            lopt_block_transposed(wk, r, n, hv + k * n);
        }
        __syncthreads();
    }
}
