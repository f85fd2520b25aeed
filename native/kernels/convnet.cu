// Elementwise kernels of the batched ConvNet classifiers on CUDA (CudaConvNetBatch). Convolutions
// and the head are cuBLAS strided-batched GEMMs issued from C# (batch = instances); these kernels
// do the rest with the per-element math of lopt_convnet.h, the functions the CPU launcher calls.
// Per instance (instance-major throughout, N = batch·h·w of a block):
//   maps (images, pooled outputs): [batch][c][h][w]; columns: [c_in·9][N];
//   convolution outputs: [c_out][batch][h][w]; logits and their deltas: [batch][classes].
// Every output element is written by one thread from a fixed-order sum (no atomics): deterministic.
#include "lopt/lopt_convnet.h"
#include "lopt/lopt_problems.h"  // lopt_nan_f

#define LOPT_CNN_BLOCK 256

#define LOPT_CNN_LOOP(total) \
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x, stride_ = (long long)gridDim.x * blockDim.x; \
         e < (total); e += stride_)

// Minibatch gather: xb[k][r] = images[idx[k][r]] (size floats each), yb[k][r] = labels[idx[k][r]].
// The host checks the indices; one outside [0, rows) still only yields NaN, never an out-of-bounds read.
extern "C" __global__ void __launch_bounds__(LOPT_CNN_BLOCK) lopt_cnn_gather(long long count, int batch, int size, int rows,
        const float* __restrict__ images, const float* __restrict__ labels, const int* __restrict__ idx,
        float* __restrict__ xb, float* __restrict__ yb) {
    LOPT_CNN_LOOP(count * batch * size) {
        long long kr = e / size;
        int j = (int)(e - kr * size);
        int row = idx[kr];
        bool ok = row >= 0 && row < rows;
        xb[e] = ok ? images[(long long)row * size + j] : lopt_nan_f();
        if (j == 0) yb[kr] = ok ? labels[row] : lopt_nan_f();
    }
}

// cols[k][kk][b·P + p] = im2col of map (k, b) at row kk, position p (P = h·w).
extern "C" __global__ void __launch_bounds__(LOPT_CNN_BLOCK) lopt_cnn_im2col(long long count, int batch, int c, int h, int w,
        const float* __restrict__ maps, float* __restrict__ cols) {
    int p = h * w, rowsK = c * LOPT_CNN_TAPS;
    long long n = (long long)batch * p;
    LOPT_CNN_LOOP(count * rowsK * n) {
        long long kk_all = e / n;
        long long col = e - kk_all * n;
        long long k = kk_all / rowsK;
        int kk = (int)(kk_all - k * rowsK);
        int b = (int)(col / p), q = (int)(col - (long long)b * p);
        const float* map = maps + (k * batch + b) * (long long)c * p;
        cols[e] = lopt_cnn_im2col(map, h, w, kk, q / w, q % w);
    }
}

// z[k][co][n] = ReLU(z + bias_k[co]) after the convolution GEMM; bias_k = bias + k·dim.
extern "C" __global__ void __launch_bounds__(LOPT_CNN_BLOCK) lopt_cnn_bias_relu(long long count, int cout, long long n, long long dim,
        const float* __restrict__ bias, float* __restrict__ z) {
    LOPT_CNN_LOOP(count * cout * n) {
        long long kc = e / n;
        long long k = kc / cout;
        int co = (int)(kc - k * cout);
        z[e] = lopt_relu(z[e] + bias[k * dim + co]);
    }
}

// out[k][b][c][oy][ox] = first maximum of the 2×2 window of a[k][c][b] (an h × w plane).
extern "C" __global__ void __launch_bounds__(LOPT_CNN_BLOCK) lopt_cnn_pool(long long count, int batch, int c, int h, int w,
        const float* __restrict__ a, float* __restrict__ out) {
    int oh = h / 2, ow = w / 2, op = oh * ow, p = h * w;
    LOPT_CNN_LOOP(count * batch * c * op) {
        long long kb = e / ((long long)c * op);
        int rest = (int)(e - kb * c * op);
        int ch = rest / op, q = rest - ch * op;
        long long k = kb / batch;
        int b = (int)(kb - k * batch);
        const float* plane = a + ((k * c + ch) * batch + b) * (long long)p;
        int at;
        out[e] = lopt_cnn_pool(plane, w, q / ow, q % ow, &at);
    }
}

// Head: logits += head bias in place, then per row terms[k][b] = cross-entropy and, when delta is
// not null, delta[k][b][:] = (softmax − onehot)/batch.
extern "C" __global__ void __launch_bounds__(LOPT_CNN_BLOCK) lopt_cnn_xent(long long count, int batch, int classes, long long dim,
        const float* __restrict__ bias, const float* __restrict__ y, float* __restrict__ logits,
        float* __restrict__ terms, float* __restrict__ delta) {
    float scale = 1.0f / (float)batch;
    LOPT_CNN_LOOP(count * batch) {
        long long k = e / batch;
        float* z = logits + e * classes;
        for (int c = 0; c < classes; ++c) z[c] += bias[k * dim + c];
        terms[e] = lopt_cnn_xent(z, classes, (int)y[e], scale, delta ? delta + e * classes : nullptr, nullptr);
    }
}

// loss[k] = Σ_b terms[k][b] in order, times 1/batch (as the CPU launcher).
extern "C" __global__ void __launch_bounds__(LOPT_CNN_BLOCK) lopt_cnn_loss(long long count, int batch,
        const float* __restrict__ terms, float* __restrict__ loss) {
    LOPT_CNN_LOOP(count) {
        float s = 0.0f;
        for (int b = 0; b < batch; ++b) s += terms[e * batch + b];
        loss[e] = s * (1.0f / (float)batch);
    }
}

// dz[k][c][b][y][x] = the pooled gradient dpooled[k][b][c] where (y, x) is its window's first
// maximum and the ReLU output a[k][c][b][y][x] > 0, else 0.
extern "C" __global__ void __launch_bounds__(LOPT_CNN_BLOCK) lopt_cnn_pool_back(long long count, int batch, int c, int h, int w,
        const float* __restrict__ a, const float* __restrict__ dpooled, float* __restrict__ dz) {
    int p = h * w, op = (h / 2) * (w / 2);
    LOPT_CNN_LOOP(count * c * batch * p) {
        long long plane = e / p;
        int q = (int)(e - plane * p);
        long long kc = plane / batch;
        int b = (int)(plane - kc * batch);
        long long k = kc / c;
        int ch = (int)(kc - k * c);
        dz[e] = lopt_cnn_pool_relu_back(a + plane * p, h, w, q / w, q % w, dpooled + ((k * batch + b) * c + ch) * (long long)op);
    }
}

// dmap[k][b][c][y][x] = col2im of dcols[k] (rows of batch·P floats) for image b.
extern "C" __global__ void __launch_bounds__(LOPT_CNN_BLOCK) lopt_cnn_col2im(long long count, int batch, int c, int h, int w,
        const float* __restrict__ dcols, float* __restrict__ dmap) {
    int p = h * w;
    long long n = (long long)batch * p;
    LOPT_CNN_LOOP(count * batch * c * p) {
        long long kb = e / ((long long)c * p);
        int rest = (int)(e - kb * c * p);
        int ch = rest / p, q = rest - ch * p;
        long long k = kb / batch;
        int b = (int)(kb - k * batch);
        const float* cols = dcols + k * (long long)c * LOPT_CNN_TAPS * n + (long long)b * p;
        dmap[e] = lopt_cnn_col2im(cols, n, h, w, ch, q / w, q % w);
    }
}
