// Hierarchical RNN learned optimizer (Wichrowska et al. 2017, arXiv:1703.04813; math in docs/hrnn.md): the one
// definition of its per-coordinate step (features, parameter BiasGRU, readouts, update) and of the
// per-unit pieces of the small tensor/global cells, shared by the CUDA kernels (hrnn.cu) and the
// CPU launchers (hrnn_cpu.cpp). Drivers differ only in how they loop over coordinates and units.
#ifndef LOPT_HRNN_H
#define LOPT_HRNN_H

#include "lopt_common.h"

// Parameter-RNN hidden size and timescales are compile-time constants (the reference code's H0 = 10
// and S = 4; weight files with others are rejected). H1 and H2 are runtime sizes.
#define LOPT_HRNN_H0 10
#define LOPT_HRNN_S 4
#define LOPT_HRNN_F 12                           // features: 4 g^, 3 products, 4 q, rho
#define LOPT_HRNN_G0 (3 * LOPT_HRNN_H0)          // gate width of the parameter cell [r | u | c]
#define LOPT_HRNN_I1 (LOPT_HRNN_H0 + LOPT_HRNN_F) // tensor-cell input: mean [h, x]
#define LOPT_HRNN_STATE (LOPT_HRNN_H0 + 2 * LOPT_HRNN_S + 3) // 21 floats of state per coordinate
// Per-tensor sums gathered by pass A: d^2, [h (H0), x (F)], new log-LR.
#define LOPT_HRNN_SUMS (1 + LOPT_HRNN_I1 + 1)
// Gradient entries above this magnitude (or non-finite) make a tensor skip its step: m^2 would
// overflow float32 in the mean squares (1e18^2 = 1e36 < FLT_MAX).
#define LOPT_HRNN_GMAX 1e18f

// Offsets of the state block of one tensor with n coordinates (hidden-unit-major, as in the
// state file): h (H0 rows of n), m (S rows), v (S rows), beta, eta, ell, then the one-float
// scratch exp(a + o) * d written by pass A and read by pass B.
#define LOPT_HRNN_OFF_H 0
#define LOPT_HRNN_OFF_M LOPT_HRNN_H0
#define LOPT_HRNN_OFF_V (LOPT_HRNN_H0 + LOPT_HRNN_S)
#define LOPT_HRNN_OFF_BETA (LOPT_HRNN_H0 + 2 * LOPT_HRNN_S)
#define LOPT_HRNN_OFF_ETA (LOPT_HRNN_OFF_BETA + 1)
#define LOPT_HRNN_OFF_ELL (LOPT_HRNN_OFF_BETA + 2)
#define LOPT_HRNN_OFF_SCRATCH LOPT_HRNN_STATE
#define LOPT_HRNN_BLOCK (LOPT_HRNN_STATE + 1)    // floats per coordinate in a tensor's block

// Weights of the per-coordinate step, in file orientation (y = x W, W row-major (in, out)).
// The weight pack starts with this struct (as floats); see lopt_hrnn_layout for the rest.
typedef struct lopt_hrnn_pw {
    float wx[LOPT_HRNN_F * LOPT_HRNN_G0];   // cell/param/w_x (12, 30)
    float wh[LOPT_HRNN_H0 * LOPT_HRNN_G0];  // cell/param/w_h (10, 30)
    float b[LOPT_HRNN_G0];                  // cell/param/b
    float wd[LOPT_HRNN_H0];                 // readout/direction/w
    float ws[LOPT_HRNN_S];                  // readout/shortcut/w
    float wl[LOPT_HRNN_H0];                 // readout/lr/w
    float wb[LOPT_HRNN_H0];                 // decay/input/w
    float we[LOPT_HRNN_H0];                 // decay/scale/w
    float bl, bb, be;                       // readout/lr/b, decay/input/b, decay/scale/b
    float lam;                              // sigma(lr/momentum_logit), precomputed by the host
    float o;                                // lr/step_offset
} lopt_hrnn_pw;

#define LOPT_HRNN_PW_FLOATS ((int)(sizeof(lopt_hrnn_pw) / sizeof(float)))

// Float offsets of the remaining weights in the pack, after the lopt_hrnn_pw block.
typedef struct lopt_hrnn_layout {
    int32_t h1, h2;
    int32_t t_wx, t_wh, t_b;   // cell/tensor: (I1, 3H1), (H1, 3H1), (3H1)
    int32_t g_wx, g_wh, g_b;   // cell/global: (H1, 3H2), (H2, 3H2), (3H2)
    int32_t pt_w, pt_b;        // bias/param_from_tensor: (H1, 3H0), (3H0)
    int32_t pg_w, pg_b;        // bias/param_from_global: (H2, 3H0), (3H0)
    int32_t tg_w, tg_b;        // bias/tensor_from_global: (H2, 3H1), (3H1)
    int32_t total;             // floats in the whole pack
} lopt_hrnn_layout;

LOPT_HD lopt_hrnn_layout lopt_hrnn_make_layout(int32_t h1, int32_t h2) {
    lopt_hrnn_layout L;
    int32_t at = LOPT_HRNN_PW_FLOATS;
    L.h1 = h1; L.h2 = h2;
    L.t_wx = at; at += LOPT_HRNN_I1 * 3 * h1;
    L.t_wh = at; at += h1 * 3 * h1;
    L.t_b = at; at += 3 * h1;
    L.g_wx = at; at += h1 * 3 * h2;
    L.g_wh = at; at += h2 * 3 * h2;
    L.g_b = at; at += 3 * h2;
    L.pt_w = at; at += h1 * LOPT_HRNN_G0;
    L.pt_b = at; at += LOPT_HRNN_G0;
    L.pg_w = at; at += h2 * LOPT_HRNN_G0;
    L.pg_b = at; at += LOPT_HRNN_G0;
    L.tg_w = at; at += h2 * 3 * h1;
    L.tg_b = at; at += 3 * h1;
    L.total = at;
    return L;
}

// One tensor as the CUDA kernels see it (a table of these drives every multi-tensor launch):
// the caller's theta and gradient, its state block, its length, its range of chunks of
// LOPT_HRNN_GPU_CHUNK coordinates (one thread block each), and the optimizer instance ("group",
// 0 for a plain step) whose weights and shared state it uses. Mirrored in CudaHrnnKernels.cs.
typedef struct lopt_hrnn_desc {
    float* theta;
    const float* grad;
    float* block;
    int64_t n;
    int32_t chunk0, nchunks;
    int32_t group, pad_;
} lopt_hrnn_desc;

#define LOPT_HRNN_GPU_CHUNK 1024

// True when a gradient entry can be used (finite and below LOPT_HRNN_GMAX in magnitude).
LOPT_HD bool lopt_hrnn_grad_ok(float g) { return lopt_isfinite(g) && fabsf(g) <= LOPT_HRNN_GMAX; }

// --- branch-free float math (Cephes-style polynomials, ~1-2 ulp): the same arithmetic on both
// backends, and unlike libm calls the CPU compiler can vectorise it across coordinates ---

LOPT_HD float lopt_hrnn_bits_to_float(int32_t b) {
#if LOPT_DEVICE && defined(__CUDA_ARCH__)
    return __int_as_float(b);
#else
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
#endif
}

LOPT_HD int32_t lopt_hrnn_float_to_bits(float f) {
#if LOPT_DEVICE && defined(__CUDA_ARCH__)
    return __float_as_int(f);
#else
    int32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
#endif
}

// min/max as selects: unlike fminf/fmaxf (library calls on SSE2) they vectorise; inputs are finite.
LOPT_HD float lopt_hrnn_clamp(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

// e^x, x clamped to [-87, 88] (so 2^n stays a normal float).
LOPT_HD float lopt_hrnn_exp(float x) {
    x = lopt_hrnn_clamp(x, -87.0f, 88.0f);
    float t = x * 1.44269504088896341f;
    float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest integer (|t| < 2^22)
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * (r * r) + r + 1.0f;
    return y * lopt_hrnn_bits_to_float(((int32_t)n + 127) << 23);
}

// ln x for a positive normal x.
LOPT_HD float lopt_hrnn_log(float x) {
    int32_t b = lopt_hrnn_float_to_bits(x);
    float e = (float)(((b >> 23) & 0xff) - 126);
    float m = lopt_hrnn_bits_to_float((b & 0x007fffff) | 0x3f000000);  // x = m 2^e, m in [0.5, 1)
    // Selects between values computed on both paths: with -ftrapping-math g++ only if-converts
    // (and so vectorises) selects whose arms need no arithmetic.
    bool low = m < 0.707106781186547524f;
    float em1 = e - 1.0f, f_low = m + m - 1.0f, f_high = m - 1.0f;
    e = low ? em1 : e;
    float f = low ? f_low : f_high;
    float z = f * f;
    float p = 7.0376836292e-2f;
    p = p * f - 1.1514610310e-1f;
    p = p * f + 1.1676998740e-1f;
    p = p * f - 1.2420140846e-1f;
    p = p * f + 1.4249322787e-1f;
    p = p * f - 1.6668057665e-1f;
    p = p * f + 2.0000714765e-1f;
    p = p * f - 2.4999993993e-1f;
    p = p * f + 3.3333331174e-1f;
    float y = p * f * z;
    y = y + e * -2.12194440e-4f;
    y = y - 0.5f * z;
    return (f + y) + e * 0.693359375f;
}

LOPT_HD float lopt_hrnn_sigmoid(float z) { return 1.0f / (1.0f + lopt_hrnn_exp(-z)); }

// tanh z = sign(z) (1 - e) / (1 + e), e = exp(-2|z|): absolute error ~1e-7 (enough for h).
LOPT_HD float lopt_hrnn_tanh(float z) {
    float e = lopt_hrnn_exp(-2.0f * fabsf(z));
    float t = (1.0f - e) / (1.0f + e), nt = -t;
    return z < 0.0f ? nt : t;
}

// Odd asinh, accurate for any |x| (docs/hrnn.md R2): log1p(a + a^2 / (1 + sqrt(1 + a^2))) with the
// log1p correction for small arguments, and ln(2a) where a^2 would overflow.
LOPT_HD float lopt_hrnn_asinh(float x) {
    float a = fabsf(x);
    float a2 = a * a;
    float y = a + a2 / (1.0f + sqrtf(1.0f + a2));
    float u = 1.0f + y;
    float small = lopt_hrnn_log(u) - ((u - 1.0f) - y) / u;
    float big = lopt_hrnn_log(a > 3.0e38f ? 3.0e38f : a) + 0.69314718055994531f;
    float r = a > 1e18f ? big : small, nr = -r;
    return x < 0.0f ? nr : r;
}

// --- the per-coordinate step (docs/hrnn.md, "One step", with H0 = 10), on L coordinates at once: every
// loop has the lane loop innermost so the CPU vectorises across coordinates; CUDA uses L = 1 ---

// Features x (F x L) from the gradients, updating m, v (S x L) in place; beta, eta are the
// previous step's, rho = ell - mu.
template <int L>
LOPT_HD void lopt_hrnn_features(const float* g, const float* beta, const float* eta, const float* rho,
                                float (*m)[L], float (*v)[L], float (*x)[L]) {
    float bs[L], lam[LOPT_HRNN_S][L], lsum[L];
    for (int c = 0; c < L; ++c) { bs[c] = beta[c]; lsum[c] = 0.0f; }
    for (int s = 0; s < LOPT_HRNN_S; ++s) {
        if (s > 0)
            for (int c = 0; c < L; ++c) bs[c] = sqrtf(bs[c]);  // beta_{s+1} = sqrt(beta_s)
        for (int c = 0; c < L; ++c) {
            m[s][c] = bs[c] * m[s][c] + (1.0f - bs[c]) * g[c];
            v[s][c] = eta[c] * v[s][c] + (1.0f - eta[c]) * (m[s][c] * m[s][c] + 1e-12f);
            x[s][c] = lopt_hrnn_asinh(m[s][c] / sqrtf(v[s][c] + 1e-16f));
            lam[s][c] = lopt_hrnn_log(v[s][c] + 1e-16f);
            lsum[c] += lam[s][c];
        }
    }
    for (int s = 0; s < LOPT_HRNN_S - 1; ++s)
        for (int c = 0; c < L; ++c) x[LOPT_HRNN_S + s][c] = x[s][c] * x[s + 1][c];
    for (int s = 0; s < LOPT_HRNN_S; ++s)
        for (int c = 0; c < L; ++c) x[2 * LOPT_HRNN_S - 1 + s][c] = lam[s][c] - lsum[c] * (1.0f / LOPT_HRNN_S);
    for (int c = 0; c < L; ++c) x[LOPT_HRNN_F - 1][c] = rho[c];
}

// The parameter BiasGRU (reset before the candidate matmul), h (H0 x L) updated in place; e is
// the injected bias e_0 of the coordinates' tensor (3H0).
template <int L>
LOPT_HD void lopt_hrnn_param_cell(const lopt_hrnn_pw* w, const float* e, const float (*x)[L], float (*h)[L]) {
    const int H = LOPT_HRNN_H0, G = LOPT_HRNN_G0;
    float z[2 * LOPT_HRNN_H0][L];
    for (int j = 0; j < 2 * H; ++j)
        for (int c = 0; c < L; ++c) z[j][c] = w->b[j] + e[j];
    for (int i = 0; i < LOPT_HRNN_F; ++i)
        for (int j = 0; j < 2 * H; ++j)
            for (int c = 0; c < L; ++c) z[j][c] += x[i][c] * w->wx[i * G + j];
    for (int i = 0; i < H; ++i)
        for (int j = 0; j < 2 * H; ++j)
            for (int c = 0; c < L; ++c) z[j][c] += h[i][c] * w->wh[i * G + j];
    float rh[LOPT_HRNN_H0][L], zc[LOPT_HRNN_H0][L];
    for (int j = 0; j < H; ++j)
        for (int c = 0; c < L; ++c) {
            rh[j][c] = lopt_hrnn_sigmoid(z[j][c]) * h[j][c];
            zc[j][c] = w->b[2 * H + j] + e[2 * H + j];
        }
    for (int i = 0; i < LOPT_HRNN_F; ++i)
        for (int j = 0; j < H; ++j)
            for (int c = 0; c < L; ++c) zc[j][c] += x[i][c] * w->wx[i * G + 2 * H + j];
    for (int i = 0; i < H; ++i)
        for (int j = 0; j < H; ++j)
            for (int c = 0; c < L; ++c) zc[j][c] += rh[i][c] * w->wh[i * G + 2 * H + j];
    for (int j = 0; j < H; ++j)
        for (int c = 0; c < L; ++c) {
            float u = lopt_hrnn_sigmoid(z[H + j][c]);
            h[j][c] = u * h[j][c] + (1.0f - u) * lopt_hrnn_tanh(zc[j][c]);
        }
}

// L coordinates' full step on state held in registers: updates h, m, v, beta, eta, ell, writes the
// features to x, d, and the scratch exp(a + o) d (pass B scales it by the tensor's c_k). mu is
// the problem-wide mean log-LR of the previous state.
template <int L>
LOPT_HD void lopt_hrnn_coords(const lopt_hrnn_pw* w, const float* e, float mu, const float* g, float (*h)[L],
                              float (*m)[L], float (*v)[L], float* beta, float* eta, float* ell, float (*x)[L],
                              float* d, float* scratch) {
    float rho[L];
    for (int c = 0; c < L; ++c) rho[c] = ell[c] - mu;
    lopt_hrnn_features<L>(g, beta, eta, rho, m, v, x);
    lopt_hrnn_param_cell<L>(w, e, x, h);
    float zb[L], ze[L], zl[L];
    for (int c = 0; c < L; ++c) { d[c] = 0.0f; zb[c] = w->bb; ze[c] = w->be; zl[c] = w->bl; }
    for (int j = 0; j < LOPT_HRNN_H0; ++j)
        for (int c = 0; c < L; ++c) {
            d[c] += h[j][c] * w->wd[j];
            zb[c] += h[j][c] * w->wb[j];
            ze[c] += h[j][c] * w->we[j];
            zl[c] += h[j][c] * w->wl[j];
        }
    for (int s = 0; s < LOPT_HRNN_S; ++s)
        for (int c = 0; c < L; ++c) d[c] += x[s][c] * w->ws[s];
    for (int c = 0; c < L; ++c) {
        beta[c] = lopt_hrnn_sigmoid(zb[c]);
        eta[c] = lopt_hrnn_sigmoid(ze[c]);
        float a = lopt_hrnn_clamp(ell[c] + zl[c], -33.0f, 33.0f);
        ell[c] = w->lam * ell[c] + (1.0f - w->lam) * a;  // only the stored log-LR is smoothed (D10)
        scratch[c] = lopt_hrnn_exp(a + w->o) * d[c];
    }
}

// --- per-unit pieces of the small cells (any H1, H2), looped over units by each backend ---

// y[j] = b[j] + sum_i x[i] W[i, j] for one output column j of W (rows x cols).
LOPT_HD float lopt_hrnn_affine(int j, const float* x, int rows, const float* W, int cols, const float* b) {
    float y = b ? b[j] : 0.0f;
    for (int i = 0; i < rows; ++i) y += x[i] * W[i * cols + j];
    return y;
}

// BiasGRU phase 1 for unit j of a cell with input width I and hidden H: the reset-scaled state
// r_j h_j and the keep gate u_j. e is the injected bias (3H) or null.
LOPT_HD void lopt_hrnn_gru_ru(int j, const float* x, int I, const float* h, int H, const float* wx,
                              const float* wh, const float* b, const float* e, float* rh, float* u) {
    int G = 3 * H;
    float zr = b[j] + (e ? e[j] : 0.0f), zu = b[H + j] + (e ? e[H + j] : 0.0f);
    for (int i = 0; i < I; ++i) { zr += x[i] * wx[i * G + j]; zu += x[i] * wx[i * G + H + j]; }
    for (int i = 0; i < H; ++i) { zr += h[i] * wh[i * G + j]; zu += h[i] * wh[i * G + H + j]; }
    *rh = lopt_hrnn_sigmoid(zr) * h[j];
    *u = lopt_hrnn_sigmoid(zu);
}

// BiasGRU phase 2 for unit j: the new state from the keep gate and the candidate over r (.) h.
LOPT_HD float lopt_hrnn_gru_new(int j, const float* x, int I, const float* h, const float* rh, float u,
                                int H, const float* wx, const float* wh, const float* b, const float* e) {
    int G = 3 * H;
    float zc = b[2 * H + j] + (e ? e[2 * H + j] : 0.0f);
    for (int i = 0; i < I; ++i) zc += x[i] * wx[i * G + 2 * H + j];
    for (int i = 0; i < H; ++i) zc += rh[i] * wh[i * G + 2 * H + j];
    return u * h[j] + (1.0f - u) * lopt_hrnn_tanh(zc);
}

// The parameter-cell bias of a tensor for column j: s_k P_pt + p_pt + G P_pg + p_pg.
LOPT_HD float lopt_hrnn_e0(int j, const float* pack, const lopt_hrnn_layout* L, const float* s, const float* G) {
    return lopt_hrnn_affine(j, s, L->h1, pack + L->pt_w, LOPT_HRNN_G0, pack + L->pt_b)
         + lopt_hrnn_affine(j, G, L->h2, pack + L->pg_w, LOPT_HRNN_G0, pack + L->pg_b);
}

// c_k = (mean d^2 + 1e-16)^(-1/2): rescales the tensor's directions to unit RMS.
LOPT_HD float lopt_hrnn_rms_scale(double sum_d2, int64_t n) {
    return (float)(1.0 / sqrt(sum_d2 / (double)n + 1e-16));
}

#endif
