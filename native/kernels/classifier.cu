// Elementwise and reduction kernels of the batched classifiers on CUDA (CudaClassifierBatch).
// The layers' matrix products are cuBLAS strided-batched GEMMs issued from C#; these kernels do
// the rest with the per-element math of lopt_problems.h (lopt_sigmoid, lopt_xent*,
// lopt_sigmoid_back), the same functions the CPU launchers call. Layout: instance-major; per
// instance, a layer's activations are batch × width row-major; parameters are theta + k·dim.
// All sums have a fixed order (no atomics), so results are deterministic.
#include "lopt/lopt_problems.h"

#define LOPT_CLF_BLOCK 256

// Minibatch gather: xb[k, r, :] = x[k, idx[k, r], :] and yb[k, r] = labels[k, idx[k, r]]. The host
// checks the indices; one outside [0, rows) still only yields NaN, never an out-of-bounds read.
extern "C" __global__ void __launch_bounds__(LOPT_CLF_BLOCK) lopt_clf_gather(long long count, int rows, int d, int batch,
        const float* __restrict__ x, const float* __restrict__ labels, const int* __restrict__ idx,
        float* __restrict__ xb, float* __restrict__ yb) {
    long long total = count * batch * d;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        long long kr = e / d;
        int j = (int)(e - kr * d);
        long long k = kr / batch;
        int row = idx[kr];
        bool ok = row >= 0 && row < rows;
        xb[e] = ok ? x[(k * rows + row) * d + j] : lopt_nan_f();
        if (j == 0) yb[kr] = ok ? labels[k * rows + row] : lopt_nan_f();
    }
}

// After the GEMM z = a·W: z[k, r, o] += b_k[o]; hidden layers (sigmoid != 0) then z = σ(z) in place.
extern "C" __global__ void __launch_bounds__(LOPT_CLF_BLOCK) lopt_clf_bias_act(long long count, int batch, int n_out, int dim,
        const float* __restrict__ b, float* __restrict__ z, int sigmoid) {
    long long total = count * batch * n_out;
    long long per = (long long)batch * n_out;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        long long k = e / per;
        int o = (int)(e % n_out);
        float t = z[e] + b[k * dim + o];
        z[e] = sigmoid ? lopt_sigmoid(t) : t;
    }
}

// R-pass twin: after the GEMMs rz = a·V (+ ra·W): rz += vb_k[o]; for a hidden layer (a = its
// activations, non-null) rz becomes ra = a(1 − a)·rz in place.
extern "C" __global__ void __launch_bounds__(LOPT_CLF_BLOCK) lopt_clf_bias_act_r(long long count, int batch, int n_out, int dim,
        const float* __restrict__ vb, const float* __restrict__ a, float* __restrict__ rz) {
    long long total = count * batch * n_out;
    long long per = (long long)batch * n_out;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        long long k = e / per;
        int o = (int)(e % n_out);
        float t = rz[e] + vb[k * dim + o];
        if (a) {
            float s = a[e];
            t *= s * (1.0f - s);
        }
        rz[e] = t;
    }
}

// The logit's delta = (σ(z) − y)/batch and, when rdelta is non-null, rdelta = σ'(z)·rz/batch.
extern "C" __global__ void __launch_bounds__(LOPT_CLF_BLOCK) lopt_clf_output(long long count, int batch,
        const float* __restrict__ z, const float* __restrict__ y, const float* __restrict__ rz,
        float* __restrict__ delta, float* __restrict__ rdelta) {
    long long total = count * batch;
    float scale = 1.0f / (float)batch;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        delta[e] = lopt_xent_dz(z[e], y[e]) * scale;
        if (rdelta) rdelta[e] = lopt_xent_dzz(z[e]) * rz[e] * scale;
    }
}

// Sum over the block in a fixed order; every thread gets the total. blockDim.x is a multiple of 32
// (LOPT_CLF_BLOCK) on the GPU; rounding the warp count up also makes a one-thread block (the
// emulated driver of the tests) sum correctly.
__device__ __forceinline__ float lopt_clf_block_sum(float s, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
    if (lane == 0) scratch[warp] = s;
    __syncthreads();
    float total = 0.0f;
    for (int i = 0; i < warps; ++i) total += scratch[i];
    __syncthreads();
    return total;
}

// loss[k] = mean over rows of softplus(z) − y·z, plus reg·Σθ². One block per instance (grid-stride
// over instances); blockDim.x must be LOPT_CLF_BLOCK.
extern "C" __global__ void __launch_bounds__(LOPT_CLF_BLOCK) lopt_clf_loss(long long count, int batch, int dim, float reg,
        const float* __restrict__ z, const float* __restrict__ y, const float* __restrict__ theta, float* __restrict__ loss) {
    __shared__ float scratch[LOPT_CLF_BLOCK / 32];
    for (long long k = blockIdx.x; k < count; k += gridDim.x) {
        float s = 0.0f, q = 0.0f;
        for (int r = threadIdx.x; r < batch; r += blockDim.x) s += lopt_xent(z[k * batch + r], y[k * batch + r]);
        for (int i = threadIdx.x; i < dim; i += blockDim.x) {
            float t = theta[k * dim + i];
            q += t * t;
        }
        s = lopt_clf_block_sum(s, scratch);
        q = lopt_clf_block_sum(q, scratch);
        if (threadIdx.x == 0) loss[k] = s / (float)batch + reg * q;
    }
}

// Back through a hidden layer's sigmoid, in place: e (= delta·Wᵀ) becomes delta, and re (the
// R-pass twin, null for the gradient only) becomes rdelta; a, ra are the layer's activations and
// their R-derivatives (ra null for the gradient only). lopt_sigmoid_back does the math.
extern "C" __global__ void __launch_bounds__(LOPT_CLF_BLOCK) lopt_clf_sigmoid_back(long long n,
        const float* __restrict__ a, const float* __restrict__ ra, float* __restrict__ e, float* __restrict__ re) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float d, rd;
        lopt_sigmoid_back(a[i], ra ? ra[i] : 0.0f, e[i], re ? re[i] : 0.0f, &d, re ? &rd : nullptr);
        e[i] = d;
        if (re) re[i] = rd;
    }
}

// out += 2·reg·src: the L2 term's gradient (src = theta) or its Hessian times v (src = v).
extern "C" __global__ void __launch_bounds__(LOPT_CLF_BLOCK) lopt_clf_add_l2(long long n, float reg,
        const float* __restrict__ src, float* __restrict__ out) {
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) out[i] += 2.0f * reg * src[i];
}
