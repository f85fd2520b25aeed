// Truncated-BPTT pieces of the HRNN step on the GPU: the per-coordinate forward (with the
// per-tensor sums) and its adjoint (with the weight-gradient accumulators), float32 and float64,
// one tensor per launch or (float64) every tensor of every problem of a batch's step per launch
// through a job table that carries each problem's mu, lambda and ell adjoint; plus
// the helpers the float64 unroll needs (sum of the log-LRs, adding the mu adjoint to every log-LR
// adjoint, adding block rows). The math is lopt_hrnn_grad.h's, as on the CPU (hrnn_grad_cpu.cpp).
//
// Every reduction is in a fixed order, so a launch gives the same bits run to run: each thread sums
// its own coordinates in order, a warp adds its 32 lanes in a fixed shuffle tree, a block adds its
// warps in order and writes one partial row (double); lopt_hg_sum_rows* (or the host) add the rows
// in block order. Blocks must have exactly LOPT_HG_BLOCK threads (checked: a wrong launch traps).
#include "lopt/lopt_hrnn_grad.h"

#define LOPT_HG_WARPS (LOPT_HG_BLOCK / 32)

// The job that block blockIdx.x belongs to: the last one whose first_block <= blockIdx.x (jobs
// sorted by first_block, the first at 0). Binary search: a batch of problems has many tensors.
__device__ __forceinline__ const lopt_hg_job& hg_job(const lopt_hg_job* jobs, int count) {
    const int b = (int)blockIdx.x;
    int lo = 0, hi = count - 1;
    while (lo < hi) {
        const int mid = (lo + hi + 1) >> 1;
        if (jobs[mid].first_block <= b) lo = mid;
        else hi = mid - 1;
    }
    return jobs[lo];
}

__device__ __forceinline__ double hg_warp_sum(double v) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    return v;
}

// Adds acc[0..W) over the block in a fixed order and writes the block's row (W doubles). Every
// thread of the block must call it. rows: shared scratch of LOPT_HG_WARPS * W doubles.
template <int W>
__device__ __forceinline__ void hg_block_row(const double* acc, double* rows, double* __restrict__ row_out) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int j = 0; j < W; ++j) {
        double v = hg_warp_sum(acc[j]);
        if (lane == 0) rows[warp * W + j] = v;
    }
    __syncthreads();
    for (int j = threadIdx.x; j < W; j += blockDim.x) {
        double s = 0.0;
        for (int k = 0; k < LOPT_HG_WARPS; ++k) s += rows[k * W + j];
        row_out[j] = s;
    }
}

// Block `block` of `blocks` working on one tensor: a grid-stride loop over its n coordinates, then
// the block's row of sums (Σd², Σh', Σx) into row_out.
template <typename T>
__device__ __forceinline__ void hg_forward(const T* __restrict__ w, const T* __restrict__ e0, T mu, T lambda,
                                           const T* __restrict__ g, const T* __restrict__ in, T* __restrict__ out,
                                           T* __restrict__ d, T* __restrict__ a, double* __restrict__ row_out, long long n,
                                           long long block, long long blocks) {
    __shared__ double rows[LOPT_HG_WARPS * LOPT_HG_SUMS];
    if (blockDim.x != LOPT_HG_BLOCK) __trap();
    double acc[LOPT_HG_SUMS];
    for (int j = 0; j < LOPT_HG_SUMS; ++j) acc[j] = 0.0;
    long long stride = blocks * blockDim.x;
    for (long long i = block * blockDim.x + threadIdx.x; i < n; i += stride) {
        T x[LOPT_HRNN_F];
        T* o = out + i * LOPT_HRNN_STATE;
        lopt_hg_coord_forward(w, e0, mu, lambda, g[i], in + i * LOPT_HRNN_STATE, o, x, &d[i], &a[i]);
        acc[0] += (double)d[i] * (double)d[i];
        for (int j = 0; j < LOPT_HRNN_H0; ++j) acc[1 + j] += (double)o[LOPT_HRNN_OFF_H + j];
        for (int j = 0; j < LOPT_HRNN_F; ++j) acc[1 + LOPT_HRNN_H0 + j] += (double)x[j];
    }
    hg_block_row<LOPT_HG_SUMS>(acc, rows, row_out);
}

template <typename T>
__device__ __forceinline__ void hg_backward(const T* __restrict__ w, const T* __restrict__ e0, T mu, T lambda,
                                            const T* __restrict__ g, const T* __restrict__ in, const T* nbar,
                                            const T* __restrict__ xbar_add, const T* __restrict__ hbar_add,
                                            const T* __restrict__ dbar, const T* __restrict__ abar, T* pbar,
                                            T* __restrict__ gbar, double* __restrict__ row_out, long long n,
                                            long long block, long long blocks) {
    // One row of sums per warp (lane 0 of the warp is its only writer), and zero adjoints for idle lanes.
    __shared__ T rows[LOPT_HG_WARPS * LOPT_HG_ACC];
    __shared__ T zeros[LOPT_HRNN_STATE + LOPT_HRNN_I1];
    if (blockDim.x != LOPT_HG_BLOCK) __trap();
    for (int j = threadIdx.x; j < LOPT_HG_WARPS * LOPT_HG_ACC; j += blockDim.x) rows[j] = T(0);
    for (int j = threadIdx.x; j < LOPT_HRNN_STATE + LOPT_HRNN_I1; j += blockDim.x) zeros[j] = T(0);
    __syncthreads();
    T* row = rows + (threadIdx.x >> 5) * LOPT_HG_ACC;
    long long stride = blocks * blockDim.x;
    // Block-uniform trip count: the warp sums need all 32 lanes. A lane past the end recomputes the
    // last coordinate with zero incoming adjoints (so it adds exact zeros) and writes nothing.
    for (long long base = block * blockDim.x; base < n; base += stride) {
        long long i = base + threadIdx.x;
        bool on = i < n;
        long long c = on ? i : n - 1;
        T idle[LOPT_HRNN_STATE];
        T gb = lopt_hg_coord_backward<T, LOPT_HG_ACC_WARP>(
            w, e0, mu, lambda, g[c], in + c * LOPT_HRNN_STATE, on ? nbar + c * LOPT_HRNN_STATE : zeros,
            on ? xbar_add : zeros, on ? hbar_add : zeros, on ? dbar[c] : T(0), on ? abar[c] : T(0),
            on ? pbar + c * LOPT_HRNN_STATE : idle, row + LOPT_HRNN_W_COUNT + LOPT_HRNN_G0, row + LOPT_HRNN_W_COUNT,
            row + LOPT_HRNN_W_COUNT + LOPT_HRNN_G0 + 1, row);
        if (on) gbar[i] = gb;
    }
    __syncthreads();
    for (int j = threadIdx.x; j < LOPT_HG_ACC; j += blockDim.x) {
        double s = 0.0;
        for (int k = 0; k < LOPT_HG_WARPS; ++k) s += (double)rows[k * LOPT_HG_ACC + j];
        row_out[j] = s;
    }
}

// partial: gridDim.x rows of LOPT_HG_SUMS doubles. in and out may not alias.
extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_forward_f32(const float* w, const float* e0, float mu, float lambda,
    const float* g, const float* in, float* out, float* d, float* a, double* partial, long long n) {
    hg_forward<float>(w, e0, mu, lambda, g, in, out, d, a, partial + (long long)blockIdx.x * LOPT_HG_SUMS, n, blockIdx.x, gridDim.x);
}

extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_forward_f64(const double* w, const double* e0, double mu, double lambda,
    const double* g, const double* in, double* out, double* d, double* a, double* partial, long long n) {
    hg_forward<double>(w, e0, mu, lambda, g, in, out, d, a, partial + (long long)blockIdx.x * LOPT_HG_SUMS, n, blockIdx.x, gridDim.x);
}

// partial: gridDim.x rows of LOPT_HG_ACC doubles. pbar may be nbar itself (each coordinate reads
// its own adjoint before overwriting it).
extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_backward_f32(const float* w, const float* e0, float mu, float lambda,
    const float* g, const float* in, const float* nbar, const float* xbar_add, const float* hbar_add, const float* dbar,
    const float* abar, float* pbar, float* gbar, double* partial, long long n) {
    hg_backward<float>(w, e0, mu, lambda, g, in, nbar, xbar_add, hbar_add, dbar, abar, pbar, gbar,
                       partial + (long long)blockIdx.x * LOPT_HG_ACC, n, blockIdx.x, gridDim.x);
}

extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_backward_f64(const double* w, const double* e0, double mu, double lambda,
    const double* g, const double* in, const double* nbar, const double* xbar_add, const double* hbar_add, const double* dbar,
    const double* abar, double* pbar, double* gbar, double* partial, long long n) {
    hg_backward<double>(w, e0, mu, lambda, g, in, nbar, xbar_add, hbar_add, dbar, abar, pbar, gbar,
                        partial + (long long)blockIdx.x * LOPT_HG_ACC, n, blockIdx.x, gridDim.x);
}

// bar[i].ell += v for n coordinates (the mu adjoint's share: mu is the mean log-LR).
extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_add_ell_f64(double* bar, double v, long long n) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) bar[i * LOPT_HRNN_STATE + LOPT_HRNN_OFF_ELL] += v;
}

// out[j] = sum over r = 0..count-1, in order, of rows[r * width + j], for j < width.
extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_sum_rows_f64(const double* rows, int count, int width, double* out) {
    for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < width; j += gridDim.x * blockDim.x) {
        double s = 0.0;
        for (int r = 0; r < count; ++r) s += rows[(long long)r * width + j];
        out[j] = s;
    }
}

// Table launches (float64): gridDim.x = the sum of the jobs' blocks; partial: one row per block.
extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_forward_table_f64(const double* w, const lopt_hg_job* jobs, int count,
                                                                                 double* partial) {
    const lopt_hg_job& job = hg_job(jobs, count);
    hg_forward<double>(w, job.e0, job.mu, job.lambda, job.g, job.in, job.io, job.d, job.a, partial + (long long)blockIdx.x * LOPT_HG_SUMS,
                       job.n, (long long)blockIdx.x - job.first_block, job.blocks);
}

extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_backward_table_f64(const double* w, const lopt_hg_job* jobs, int count,
                                                                                  double* partial) {
    const lopt_hg_job& job = hg_job(jobs, count);
    hg_backward<double>(w, job.e0, job.mu, job.lambda, job.g, job.in, job.io, job.xbar_add, job.hbar_add, job.d, job.a, job.io, job.gbar,
                        partial + (long long)blockIdx.x * LOPT_HG_ACC, job.n, (long long)blockIdx.x - job.first_block, job.blocks);
}

extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_ell_sum_table_f64(const lopt_hg_job* jobs, int count, double* partial) {
    __shared__ double rows[LOPT_HG_WARPS];
    if (blockDim.x != LOPT_HG_BLOCK) __trap();
    const lopt_hg_job& job = hg_job(jobs, count);
    double acc[1] = {0.0};
    long long stride = (long long)job.blocks * blockDim.x;
    for (long long i = ((long long)blockIdx.x - job.first_block) * blockDim.x + threadIdx.x; i < job.n; i += stride)
        acc[0] += job.in[i * LOPT_HRNN_STATE + LOPT_HRNN_OFF_ELL];
    hg_block_row<1>(acc, rows, partial + blockIdx.x);
}

// io[i].ell += job.ell for every coordinate of every job.
extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_add_ell_table_f64(const lopt_hg_job* jobs, int count) {
    const lopt_hg_job& job = hg_job(jobs, count);
    const double v = job.ell;
    long long stride = (long long)job.blocks * blockDim.x;
    for (long long i = ((long long)blockIdx.x - job.first_block) * blockDim.x + threadIdx.x; i < job.n; i += stride)
        job.io[i * LOPT_HRNN_STATE + LOPT_HRNN_OFF_ELL] += v;
}

// out[j * width + c] = sum over the job's blocks, in order, of rows[block * width + c].
extern "C" __global__ void __launch_bounds__(LOPT_HG_BLOCK) lopt_hg_sum_rows_table_f64(const double* rows, const lopt_hg_job* jobs, int count,
                                                                                 int width, double* out) {
    long long total = (long long)count * width;
    for (long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x; k < total; k += (long long)gridDim.x * blockDim.x) {
        int j = (int)(k / width), c = (int)(k % width);
        double s = 0.0;
        for (int r = 0; r < jobs[j].blocks; ++r) s += rows[((long long)jobs[j].first_block + r) * width + c];
        out[k] = s;
    }
}
