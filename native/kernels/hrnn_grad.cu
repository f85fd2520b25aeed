// Truncated-BPTT pieces of the HRNN step on the GPU: the per-coordinate forward (with the
// per-tensor sums) and its adjoint (with the weight-gradient accumulators), one tensor per launch,
// float32 and float64. The math is lopt_hrnn_grad.h's, as on the CPU (hrnn_grad_cpu.cpp). Each
// block reduces into shared memory and writes one partial row (double); the host adds the rows in
// block order. Shared-memory atomics make the last bits depend on thread timing.
#include "lopt/lopt_hrnn_grad.h"

template <typename T>
__device__ __forceinline__ void hg_forward(const T* __restrict__ w, const T* __restrict__ e0, T mu, T lambda,
                                           const T* __restrict__ g, const T* __restrict__ in, T* __restrict__ out,
                                           T* __restrict__ d, T* __restrict__ a, double* __restrict__ partial, long long n) {
    __shared__ double sums[LOPT_HG_SUMS];
    for (int j = threadIdx.x; j < LOPT_HG_SUMS; j += blockDim.x) sums[j] = 0.0;
    __syncthreads();
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        T x[LOPT_HRNN_F];
        T* o = out + i * LOPT_HG_STATE;
        lopt_hg_coord_forward(w, e0, mu, lambda, g[i], in + i * LOPT_HG_STATE, o, x, &d[i], &a[i]);
        atomicAdd(&sums[0], (double)d[i] * (double)d[i]);
        for (int j = 0; j < LOPT_HRNN_H0; ++j) atomicAdd(&sums[1 + j], (double)o[LOPT_HG_OFF_H + j]);
        for (int j = 0; j < LOPT_HRNN_F; ++j) atomicAdd(&sums[1 + LOPT_HRNN_H0 + j], (double)x[j]);
    }
    __syncthreads();
    for (int j = threadIdx.x; j < LOPT_HG_SUMS; j += blockDim.x) partial[(long long)blockIdx.x * LOPT_HG_SUMS + j] = sums[j];
}

template <typename T>
__device__ __forceinline__ void hg_backward(const T* __restrict__ w, const T* __restrict__ e0, T mu, T lambda,
                                            const T* __restrict__ g, const T* __restrict__ in, const T* nbar,
                                            const T* __restrict__ xbar_add, const T* __restrict__ hbar_add,
                                            const T* __restrict__ dbar, const T* __restrict__ abar, T* pbar,
                                            T* __restrict__ gbar, double* __restrict__ partial, long long n) {
    __shared__ T acc[LOPT_HG_ACC];
    for (int j = threadIdx.x; j < LOPT_HG_ACC; j += blockDim.x) acc[j] = T(0);
    __syncthreads();
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        gbar[i] = lopt_hg_coord_backward<T, true>(w, e0, mu, lambda, g[i], in + i * LOPT_HG_STATE, nbar + i * LOPT_HG_STATE,
                                                  xbar_add, hbar_add, dbar[i], abar[i], pbar + i * LOPT_HG_STATE,
                                                  acc + LOPT_HG_PW + LOPT_HRNN_G0, acc + LOPT_HG_PW,
                                                  acc + LOPT_HG_PW + LOPT_HRNN_G0 + 1, acc);
    __syncthreads();
    for (int j = threadIdx.x; j < LOPT_HG_ACC; j += blockDim.x) partial[(long long)blockIdx.x * LOPT_HG_ACC + j] = (double)acc[j];
}

// partial: gridDim.x rows of LOPT_HG_SUMS doubles.
extern "C" __global__ void __launch_bounds__(128) lopt_hg_forward_f32(const float* w, const float* e0, float mu, float lambda,
    const float* g, const float* in, float* out, float* d, float* a, double* partial, long long n) {
    hg_forward<float>(w, e0, mu, lambda, g, in, out, d, a, partial, n);
}

extern "C" __global__ void __launch_bounds__(128) lopt_hg_forward_f64(const double* w, const double* e0, double mu, double lambda,
    const double* g, const double* in, double* out, double* d, double* a, double* partial, long long n) {
    hg_forward<double>(w, e0, mu, lambda, g, in, out, d, a, partial, n);
}

// partial: gridDim.x rows of LOPT_HG_ACC doubles. pbar may be nbar itself (each coordinate reads
// its own adjoint before overwriting it).
extern "C" __global__ void __launch_bounds__(128) lopt_hg_backward_f32(const float* w, const float* e0, float mu, float lambda,
    const float* g, const float* in, const float* nbar, const float* xbar_add, const float* hbar_add, const float* dbar,
    const float* abar, float* pbar, float* gbar, double* partial, long long n) {
    hg_backward<float>(w, e0, mu, lambda, g, in, nbar, xbar_add, hbar_add, dbar, abar, pbar, gbar, partial, n);
}

extern "C" __global__ void __launch_bounds__(128) lopt_hg_backward_f64(const double* w, const double* e0, double mu, double lambda,
    const double* g, const double* in, const double* nbar, const double* xbar_add, const double* hbar_add, const double* dbar,
    const double* abar, double* pbar, double* gbar, double* partial, long long n) {
    hg_backward<double>(w, e0, mu, lambda, g, in, nbar, xbar_add, hbar_add, dbar, abar, pbar, gbar, partial, n);
}
