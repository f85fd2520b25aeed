// Per-element math of the batched ConvNet classifiers (3×3 convolution with padding 1, ReLU,
// 2×2 max-pool with stride 2, linear head, softmax cross-entropy) in float32, shared by the CPU
// launcher (native/cpu/convnet_cpu.cpp) and the CUDA kernels (native/kernels/convnet.cu). The
// float64 reference is src/LearnedOpt/Tasks/ConvNetwork.cs (the tests compare the two).
//
// Layouts: an image or feature map is [channels][h][w]; im2col row k = (c·3 + ky)·3 + kx holds
// input[c][y + ky − 1][x + kx − 1] at column y·w + x (0 outside the map), so a convolution is
// W[c_out][c_in·9] times the columns. Pool ties go to the window's first maximum in row-major
// order; the ReLU's derivative at 0 is 0.
#ifndef LOPT_CONVNET_H
#define LOPT_CONVNET_H

#include "lopt_common.h"

#define LOPT_CNN_TAPS 9

LOPT_HD float lopt_relu(float z) { return z > 0.0f ? z : 0.0f; }

// im2col: the value of row k, column (y, x) for a map of h × w (channels at stride h·w).
LOPT_HD float lopt_cnn_im2col(const float* map, int h, int w, int k, int y, int x) {
    int c = k / LOPT_CNN_TAPS, t = k - c * LOPT_CNN_TAPS;
    int sy = y + t / 3 - 1, sx = x + t % 3 - 1;
    return sy >= 0 && sy < h && sx >= 0 && sx < w ? map[((long long)c * h + sy) * w + sx] : 0.0f;
}

// col2im (the adjoint): Σ over the three-by-three taps that read map[c][y][x], in tap order; the
// tap (ky, kx) reads it from column (y − ky + 1, x − kx + 1) of row (c·3 + ky)·3 + kx. cols points
// at this image's first column; rows are row_stride floats apart.
LOPT_HD float lopt_cnn_col2im(const float* cols, long long row_stride, int h, int w, int c, int y, int x) {
    float s = 0.0f;
    for (int ky = 0; ky < 3; ++ky) {
        int oy = y - ky + 1;
        if (oy < 0 || oy >= h) continue;
        for (int kx = 0; kx < 3; ++kx) {
            int ox = x - kx + 1;
            if (ox < 0 || ox >= w) continue;
            s += cols[(long long)((c * 3 + ky) * 3 + kx) * row_stride + oy * w + ox];
        }
    }
    return s;
}

// The 2×2 window at output (oy, ox) of one h × w plane: its first maximum; *at gets its index in the plane.
LOPT_HD float lopt_cnn_pool(const float* plane, int w, int oy, int ox, int* at) {
    int best = 2 * oy * w + 2 * ox;
    float m = plane[best];
    int cand[3] = {best + 1, best + w, best + w + 1};
    for (int i = 0; i < 3; ++i)
        if (plane[cand[i]] > m) { m = plane[cand[i]]; best = cand[i]; }
    *at = best;
    return m;
}

// Gradient at the convolution output (y, x) of one plane (a = its activations after the ReLU):
// the pooled output's gradient where (y, x) is its window's first maximum and a > 0, else 0. A
// gather, so every element is written once and no sum depends on thread order.
LOPT_HD float lopt_cnn_pool_relu_back(const float* a, int h, int w, int y, int x, const float* dpooled) {
    int oh = h / 2, ow = w / 2, oy = y / 2, ox = x / 2;
    if (oy >= oh || ox >= ow) return 0.0f;
    int at;
    lopt_cnn_pool(a, w, oy, ox, &at);
    int here = y * w + x;
    return at == here && a[here] > 0.0f ? dpooled[oy * ow + ox] : 0.0f;
}

// Softmax cross-entropy of one row of logits: returns lse(z) − z[label]; when dz is not null it
// gets (softmax(z) − onehot(label))·scale; *correct (when not null) is 1 when the first largest
// logit is the label.
LOPT_HD float lopt_cnn_xent(const float* z, int classes, int label, float scale, float* dz, int* correct) {
    float m = z[0];
    int arg = 0;
    for (int c = 1; c < classes; ++c)
        if (z[c] > m) { m = z[c]; arg = c; }
    float s = 0.0f;
    for (int c = 0; c < classes; ++c) s += expf(z[c] - m);
    float lse = m + logf(s);
    if (dz)
        for (int c = 0; c < classes; ++c) dz[c] = (expf(z[c] - lse) - (c == label ? 1.0f : 0.0f)) * scale;
    if (correct) *correct = arg == label ? 1 : 0;
    return lse - z[label];
}

#endif
