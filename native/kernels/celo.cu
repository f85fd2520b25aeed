// The Celo step on CUDA: lopt_celo.h's per-element work over a tensor table, eight launches per
// step whatever the tensor count (schedule, scan, pass A, fibers, row means, moments, finalise,
// pass C), no host synchronisation. Reductions are fixed-order (per-thread, then a shared-memory
// tree, then chunks summed in index order), so results do not depend on scheduling.
#include "lopt/lopt_celo.h"

#define CELO_THREADS 256
#define CELO_CHUNK 2048

// The scheduler: one thread (about 35k multiply-adds per step), s stays on the device.
extern "C" __global__ void lopt_celo_schedule_kernel(const float* sched, double* global, float loss, long long step, long long total, int phase) {
    if (blockIdx.x == 0 && threadIdx.x == 0) lopt_celo_schedule(sched, global, loss, step, total, phase);
}

// Non-finite gradient entries per tensor into bad[parity][k]; clears the other parity's slot for the next step.
extern "C" __global__ void __launch_bounds__(CELO_THREADS) lopt_celo_scan(const lopt_celo_tensor* tab, const int* chunkK, int count,
                                                                         int* bad, int parity, unsigned long long* counters) {
    __shared__ int blockBad;
    const int k = chunkK[blockIdx.x];
    const lopt_celo_tensor t = tab[k];
    if (threadIdx.x == 0) blockBad = 0;
    __syncthreads();
    const long long begin = (long long)(blockIdx.x - t.chunk0) * CELO_CHUNK;
    const long long end = begin + CELO_CHUNK < t.n ? begin + CELO_CHUNK : t.n;
    int mine = 0;
    for (long long i = begin + threadIdx.x; i < end; i += CELO_THREADS) mine += lopt_isfinite(t.g[i]) ? 0 : 1;
    if (mine) atomicAdd(&blockBad, mine);
    __syncthreads();
    if (threadIdx.x == 0) {
        if (blockBad) {
            atomicAdd(&bad[parity * count + k], blockBad);
            atomicAdd(&counters[0], (unsigned long long)blockBad);
        }
        if ((int)blockIdx.x == t.chunk0) bad[(1 - parity) * count + k] = 0;
    }
}

extern "C" __global__ void __launch_bounds__(CELO_THREADS) lopt_celo_pass_a(const lopt_celo_tensor* tab, const int* chunkK, int count,
                                                                           const int* bad, int parity) {
    const int k = chunkK[blockIdx.x];
    if (bad[parity * count + k]) return;
    const lopt_celo_tensor t = tab[k];
    const long long begin = (long long)(blockIdx.x - t.chunk0) * CELO_CHUNK;
    const long long end = begin + CELO_CHUNK < t.n ? begin + CELO_CHUNK : t.n;
    for (long long i = begin + threadIdx.x; i < end; i += CELO_THREADS) lopt_celo_accumulate(&t, i);
}

// The tensor whose [first, first + length) range of a launch-wide numbering holds `index`.
__device__ int celo_find(const lopt_celo_tensor* tab, int count, long long index, bool rbar) {
    int lo = 0, hi = count - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if ((rbar ? tab[mid].rbar0 : tab[mid].fiber0) <= index) lo = mid; else hi = mid - 1;
    }
    return lo;
}

// One thread per v_row or v_col entry of every factored tensor.
extern "C" __global__ void __launch_bounds__(CELO_THREADS) lopt_celo_fibers(const lopt_celo_tensor* tab, int count, long long fibers,
                                                                           const int* bad, int parity) {
    const long long f = (long long)blockIdx.x * CELO_THREADS + threadIdx.x;
    if (f >= fibers) return;
    const int k = celo_find(tab, count, f, false);
    if (bad[parity * count + k]) return;
    const lopt_celo_tensor t = tab[k];
    lopt_celo_fiber(&t, f - t.fiber0);
}

// One thread per r̄ entry of every factored tensor.
extern "C" __global__ void __launch_bounds__(CELO_THREADS) lopt_celo_row_means(const lopt_celo_tensor* tab, int count, long long rbars,
                                                                              const int* bad, int parity) {
    const long long b = (long long)blockIdx.x * CELO_THREADS + threadIdx.x;
    if (b >= rbars) return;
    const int k = celo_find(tab, count, b, true);
    if (bad[parity * count + k]) return;
    const lopt_celo_tensor t = tab[k];
    lopt_celo_row_mean(&t, b - t.rbar0);
}

// Per-chunk sums of squares of the 30 feature columns (double), partials[chunk * 30 + q].
extern "C" __global__ void __launch_bounds__(CELO_THREADS) lopt_celo_moments(const lopt_celo_tensor* tab, const int* chunkK, int count,
                                                                            const int* bad, int parity, double* partials) {
    __shared__ double red[CELO_THREADS];
    const int k = chunkK[blockIdx.x];
    if (bad[parity * count + k]) return;
    const lopt_celo_tensor t = tab[k];
    const long long begin = (long long)(blockIdx.x - t.chunk0) * CELO_CHUNK;
    const long long end = begin + CELO_CHUNK < t.n ? begin + CELO_CHUNK : t.n;
    double sums[LOPT_LF_FEATURES];
    for (int q = 0; q < LOPT_LF_FEATURES; ++q) sums[q] = 0.0;
    for (long long i = begin + threadIdx.x; i < end; i += CELO_THREADS) {
        float x[LOPT_LF_FEATURES];
        lopt_celo_element_features(&t, i, x);
        for (int q = 0; q < LOPT_LF_FEATURES; ++q) sums[q] += (double)x[q] * (double)x[q];
    }
    for (int q = 0; q < LOPT_LF_FEATURES; ++q) {
        red[threadIdx.x] = sums[q];
        __syncthreads();
        for (int w = CELO_THREADS / 2; w > 0; w >>= 1) {
            if ((int)threadIdx.x < w) red[threadIdx.x] += red[threadIdx.x + w];
            __syncthreads();
        }
        if (threadIdx.x == 0) partials[(long long)blockIdx.x * LOPT_LF_FEATURES + q] = red[0];
        __syncthreads();
    }
}

// One block per tensor: chunk partials summed in order -> feature scales and σ_p; skip flags and counters.
extern "C" __global__ void lopt_celo_finalize(const lopt_celo_tensor* tab, int count, const int* bad, int parity, const double* partials,
                                              float* stats, int* skipped, unsigned long long* counters) {
    const int k = blockIdx.x;
    const lopt_celo_tensor t = tab[k];
    const bool skip = bad[parity * count + k] != 0;
    if (threadIdx.x == 0) {
        skipped[k] = skip ? 1 : 0;
        if (skip) atomicAdd(&counters[1], 1ull);
    }
    if (skip || t.n == 0) return;
    const int q = threadIdx.x;
    if (q >= LOPT_LF_FEATURES) return;
    double total = 0.0;
    for (int c = 0; c < t.nchunks; ++c) total += partials[(long long)(t.chunk0 + c) * LOPT_LF_FEATURES + q];
    stats[k * LOPT_CELO_TENSOR_STATS + q] = lopt_lf_feature_scale(total / (double)t.n);
    if (q == 2) stats[k * LOPT_CELO_TENSOR_STATS + LOPT_LF_FEATURES] = lopt_lf_param_rms(total / (double)t.n);
}

extern "C" __global__ void __launch_bounds__(CELO_THREADS) lopt_celo_pass_c(const lopt_celo_tensor* tab, const int* chunkK, int count,
                                                                           const int* bad, int parity, const float* mlp,
                                                                           const float* stats, const double* global) {
    __shared__ float w[LOPT_LF_MLP_FLOATS];
    __shared__ float st[LOPT_CELO_TENSOR_STATS];
    const int k = chunkK[blockIdx.x];
    if (bad[parity * count + k]) return;
    for (int j = threadIdx.x; j < LOPT_LF_MLP_FLOATS; j += CELO_THREADS) w[j] = mlp[j];
    if (threadIdx.x < LOPT_CELO_TENSOR_STATS) st[threadIdx.x] = stats[k * LOPT_CELO_TENSOR_STATS + threadIdx.x];
    __syncthreads();
    const lopt_celo_tensor t = tab[k];
    const float s = (float)global[LOPT_CELO_G_S];
    const long long begin = (long long)(blockIdx.x - t.chunk0) * CELO_CHUNK;
    const long long end = begin + CELO_CHUNK < t.n ? begin + CELO_CHUNK : t.n;
    for (long long i = begin + threadIdx.x; i < end; i += CELO_THREADS) lopt_celo_apply(&t, i, w, st, s);
}

// The initial global state from the scheduler pack.
extern "C" __global__ void lopt_celo_init_kernel(const float* sched, double* global) {
    if (blockIdx.x == 0 && threadIdx.x == 0) lopt_celo_global_reset(sched, global);
}
