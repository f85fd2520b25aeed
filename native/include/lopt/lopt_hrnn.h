// Hierarchical RNN learned optimizer (Wichrowska et al. 2017; /work/shared/ref/hrnn.md): the one
// definition of its per-coordinate step (features, parameter BiasGRU, readouts, update) and of the
// per-unit pieces of the small tensor/global cells, shared by the CUDA kernels (hrnn.cu) and the
// CPU launchers (hrnn_cpu.cpp). Drivers differ only in how they loop over coordinates and units.
#ifndef LOPT_HRNN_H
#define LOPT_HRNN_H

#include "lopt_common.h"

// Parameter-RNN hidden size and timescales are compile-time constants (spec: H0 = 10 must work,
// others may be rejected; S must be 4). H1 and H2 are runtime sizes.
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

// True when a gradient entry can be used (finite and below LOPT_HRNN_GMAX in magnitude).
LOPT_HD bool lopt_hrnn_grad_ok(float g) { return lopt_isfinite(g) && fabsf(g) <= LOPT_HRNN_GMAX; }

// --- the per-coordinate step (hrnn.md §4, §2 with H0 = 10, §5) ---

// Features x (F) from the gradient, updating m, v in place; beta and eta are the previous step's.
LOPT_HD void lopt_hrnn_features(float g, float beta, float eta, float rho, float* m, float* v, float* x) {
    float bs = beta;
    float lam[LOPT_HRNN_S];
    float lsum = 0.0f;
    for (int s = 0; s < LOPT_HRNN_S; ++s) {
        if (s > 0) bs = sqrtf(bs);  // beta_{s+1} = sqrt(beta_s)
        m[s] = bs * m[s] + (1.0f - bs) * g;
        v[s] = eta * v[s] + (1.0f - eta) * (m[s] * m[s] + 1e-12f);
        x[s] = lopt_asinh(m[s] / sqrtf(v[s] + 1e-16f));
        lam[s] = logf(v[s] + 1e-16f);
        lsum += lam[s];
    }
    for (int s = 0; s < LOPT_HRNN_S - 1; ++s) x[LOPT_HRNN_S + s] = x[s] * x[s + 1];
    float lmean = lsum * (1.0f / LOPT_HRNN_S);
    for (int s = 0; s < LOPT_HRNN_S; ++s) x[2 * LOPT_HRNN_S - 1 + s] = lam[s] - lmean;
    x[LOPT_HRNN_F - 1] = rho;
}

// The parameter BiasGRU (reset before the candidate matmul), h updated in place; e is the
// injected bias e_0 of the coordinate's tensor (3H0).
LOPT_HD void lopt_hrnn_param_cell(const lopt_hrnn_pw* w, const float* e, const float* x, float* h) {
    const int H = LOPT_HRNN_H0, G = LOPT_HRNN_G0;
    float z[2 * LOPT_HRNN_H0];
    for (int j = 0; j < 2 * H; ++j) z[j] = w->b[j] + e[j];
    for (int i = 0; i < LOPT_HRNN_F; ++i)
        for (int j = 0; j < 2 * H; ++j) z[j] += x[i] * w->wx[i * G + j];
    for (int i = 0; i < H; ++i)
        for (int j = 0; j < 2 * H; ++j) z[j] += h[i] * w->wh[i * G + j];
    float rh[LOPT_HRNN_H0], c[LOPT_HRNN_H0];
    for (int j = 0; j < H; ++j) {
        rh[j] = lopt_sigmoid(z[j]) * h[j];
        c[j] = w->b[2 * H + j] + e[2 * H + j];
    }
    for (int i = 0; i < LOPT_HRNN_F; ++i)
        for (int j = 0; j < H; ++j) c[j] += x[i] * w->wx[i * G + 2 * H + j];
    for (int i = 0; i < H; ++i)
        for (int j = 0; j < H; ++j) c[j] += rh[i] * w->wh[i * G + 2 * H + j];
    for (int j = 0; j < H; ++j) {
        float u = lopt_sigmoid(z[H + j]);
        h[j] = u * h[j] + (1.0f - u) * tanhf(c[j]);
    }
}

// One coordinate's full step on its state held in registers: updates h, m, v, beta, eta, ell,
// writes the features to x, d to *d_out, and returns the scratch exp(a + o) * d (pass B scales it
// by the tensor's c_k). mu is the problem-wide mean log-LR of the previous state.
LOPT_HD float lopt_hrnn_coord(const lopt_hrnn_pw* w, const float* e, float mu, float g, float* h,
                              float* m, float* v, float* beta, float* eta, float* ell, float* x,
                              float* d_out) {
    lopt_hrnn_features(g, *beta, *eta, *ell - mu, m, v, x);
    lopt_hrnn_param_cell(w, e, x, h);
    float d = 0.0f, zb = w->bb, ze = w->be, zl = w->bl;
    for (int j = 0; j < LOPT_HRNN_H0; ++j) {
        d += h[j] * w->wd[j];
        zb += h[j] * w->wb[j];
        ze += h[j] * w->we[j];
        zl += h[j] * w->wl[j];
    }
    for (int s = 0; s < LOPT_HRNN_S; ++s) d += x[s] * w->ws[s];
    *beta = lopt_sigmoid(zb);
    *eta = lopt_sigmoid(ze);
    float a = fminf(fmaxf(*ell + zl, -33.0f), 33.0f);
    *ell = w->lam * *ell + (1.0f - w->lam) * a;  // only the stored log-LR is smoothed (D10)
    *d_out = d;
    return expf(a + w->o) * d;
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
    *rh = lopt_sigmoid(zr) * h[j];
    *u = lopt_sigmoid(zu);
}

// BiasGRU phase 2 for unit j: the new state from the keep gate and the candidate over r (.) h.
LOPT_HD float lopt_hrnn_gru_new(int j, const float* x, int I, const float* h, const float* rh, float u,
                                int H, const float* wx, const float* wh, const float* b, const float* e) {
    int G = 3 * H;
    float zc = b[2 * H + j] + (e ? e[2 * H + j] : 0.0f);
    for (int i = 0; i < I; ++i) zc += x[i] * wx[i * G + 2 * H + j];
    for (int i = 0; i < H; ++i) zc += rh[i] * wh[i * G + 2 * H + j];
    return u * h[j] + (1.0f - u) * tanhf(zc);
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
