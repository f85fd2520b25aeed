// Hierarchical RNN learned optimizer (Wichrowska et al. 2017; docs/hrnn.md): the one definition
// of its per-coordinate step (features, parameter BiasGRU, readouts), templated on the scalar type
// and the math policy (lopt_math.h), and of the per-unit pieces of the small tensor/global cells.
// Users: the forward kernels (hrnn.cu, CUDA) and launchers (hrnn_cpu.cpp) run it in float with
// lopt_fast_math on L coordinates at once; truncated BPTT (lopt_hrnn_grad.h) runs it in float or
// double with libm, one coordinate at a time, and differentiates it. Drivers differ only in how
// they loop over coordinates and units.
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

// The same weights as a flat array of scalars (any precision; truncated BPTT keeps them in double
// and its weight gradient in this layout): offsets of the lopt_hrnn_pw fields up to be.
#define LOPT_HRNN_W_WX 0
#define LOPT_HRNN_W_WH (LOPT_HRNN_W_WX + LOPT_HRNN_F * LOPT_HRNN_G0)
#define LOPT_HRNN_W_B (LOPT_HRNN_W_WH + LOPT_HRNN_H0 * LOPT_HRNN_G0)
#define LOPT_HRNN_W_WD (LOPT_HRNN_W_B + LOPT_HRNN_G0)
#define LOPT_HRNN_W_WS (LOPT_HRNN_W_WD + LOPT_HRNN_H0)
#define LOPT_HRNN_W_WL (LOPT_HRNN_W_WS + LOPT_HRNN_S)
#define LOPT_HRNN_W_WB (LOPT_HRNN_W_WL + LOPT_HRNN_H0)
#define LOPT_HRNN_W_WE (LOPT_HRNN_W_WB + LOPT_HRNN_H0)
#define LOPT_HRNN_W_BL (LOPT_HRNN_W_WE + LOPT_HRNN_H0)
#define LOPT_HRNN_W_BB (LOPT_HRNN_W_BL + 1)
#define LOPT_HRNN_W_BE (LOPT_HRNN_W_BL + 2)
#define LOPT_HRNN_W_COUNT (LOPT_HRNN_W_BL + 3)  // 737 scalars: what the step reads (lambda, o are arguments)

#if !defined(__CUDACC_RTC__)
#define LOPT_HRNN_W_AT(field, at) static_assert(offsetof(lopt_hrnn_pw, field) == (at) * sizeof(float), "lopt_hrnn_pw." #field)
LOPT_HRNN_W_AT(wx, LOPT_HRNN_W_WX);
LOPT_HRNN_W_AT(wh, LOPT_HRNN_W_WH);
LOPT_HRNN_W_AT(b, LOPT_HRNN_W_B);
LOPT_HRNN_W_AT(wd, LOPT_HRNN_W_WD);
LOPT_HRNN_W_AT(ws, LOPT_HRNN_W_WS);
LOPT_HRNN_W_AT(wl, LOPT_HRNN_W_WL);
LOPT_HRNN_W_AT(wb, LOPT_HRNN_W_WB);
LOPT_HRNN_W_AT(we, LOPT_HRNN_W_WE);
LOPT_HRNN_W_AT(bl, LOPT_HRNN_W_BL);
LOPT_HRNN_W_AT(bb, LOPT_HRNN_W_BB);
LOPT_HRNN_W_AT(be, LOPT_HRNN_W_BE);
LOPT_HRNN_W_AT(lam, LOPT_HRNN_W_COUNT);
LOPT_HRNN_W_AT(o, LOPT_HRNN_W_COUNT + 1);
static_assert(sizeof(lopt_hrnn_pw) == (LOPT_HRNN_W_COUNT + 2) * sizeof(float), "lopt_hrnn_pw size");
#undef LOPT_HRNN_W_AT
#endif

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
// 0 for a plain step) whose weights and shared state it uses. Mirrored in CudaHrnnKernels.cs
// (the C# tests check its layout against lopt_abi_struct).
typedef struct lopt_hrnn_desc {
    float* theta;
    const float* grad;
    float* block;
    int64_t n;
    int32_t chunk0, nchunks;
    int32_t group, pad_;
} lopt_hrnn_desc;

#define LOPT_HRNN_GPU_CHUNK 1024
#define LOPT_HRNN_THREADS 256  // threads per block of the hrnn.cu kernels

static_assert(sizeof(lopt_hrnn_desc) == 48, "lopt_hrnn_desc size");
#if !defined(__CUDACC_RTC__)
static_assert(offsetof(lopt_hrnn_desc, theta) == 0 && offsetof(lopt_hrnn_desc, grad) == 8 && offsetof(lopt_hrnn_desc, block) == 16 &&
              offsetof(lopt_hrnn_desc, n) == 24 && offsetof(lopt_hrnn_desc, chunk0) == 32 && offsetof(lopt_hrnn_desc, nchunks) == 36 &&
              offsetof(lopt_hrnn_desc, group) == 40 && offsetof(lopt_hrnn_desc, pad_) == 44, "lopt_hrnn_desc field offsets");
#endif

// True when a gradient entry can be used (finite and below LOPT_HRNN_GMAX in magnitude).
LOPT_HD bool lopt_hrnn_grad_ok(float g) { return lopt_isfinite(g) && fabsf(g) <= LOPT_HRNN_GMAX; }

// --- the per-coordinate step (docs/hrnn.md: features, BiasGRU with H0 = 10, outputs) on L coordinates at once: every
// loop has the lane loop innermost so the CPU vectorises across coordinates (L = 1 elsewhere).
// Scalar T and math policy M (lopt_math.h); w: the weights in the flat LOPT_HRNN_W_* layout ---

// Intermediates the adjoint needs besides the new state (lopt_hrnn_grad.h): the timescale
// decays beta_1..beta_S, and the parameter cell's reset gate r, keep gate u and candidate c.
template <typename T, int L> struct lopt_hrnn_trace {
    T bs[LOPT_HRNN_S][L];
    T r[LOPT_HRNN_H0][L], u[LOPT_HRNN_H0][L], c[LOPT_HRNN_H0][L];
};

// Features x (F x L) from the gradients, updating m, v (S x L) in place; beta, eta are the
// previous step's, rho = ell - mu. With Trace, tr receives beta_s.
template <class M, typename T, int L, bool Trace>
LOPT_HD void lopt_hrnn_features(const T* g, const T* beta, const T* eta, const T* rho, T (*m)[L], T (*v)[L],
                                T (*x)[L], lopt_hrnn_trace<T, L>* tr) {
    T bs[L], lam[LOPT_HRNN_S][L], lsum[L];
    for (int c = 0; c < L; ++c) { bs[c] = beta[c]; lsum[c] = T(0); }
    for (int s = 0; s < LOPT_HRNN_S; ++s) {
        if (s > 0)
            for (int c = 0; c < L; ++c) bs[c] = lopt_sqrt(bs[c]);  // beta_{s+1} = sqrt(beta_s)
        for (int c = 0; c < L; ++c) {
            if (Trace) tr->bs[s][c] = bs[c];
            m[s][c] = bs[c] * m[s][c] + (T(1) - bs[c]) * g[c];
            v[s][c] = eta[c] * v[s][c] + (T(1) - eta[c]) * (m[s][c] * m[s][c] + T(1e-12));
            x[s][c] = lopt_asinh<M>(m[s][c] / lopt_sqrt(v[s][c] + T(1e-16)));
            lam[s][c] = lopt_log(M(), v[s][c] + T(1e-16));
            lsum[c] += lam[s][c];
        }
    }
    for (int s = 0; s < LOPT_HRNN_S - 1; ++s)
        for (int c = 0; c < L; ++c) x[LOPT_HRNN_S + s][c] = x[s][c] * x[s + 1][c];
    for (int s = 0; s < LOPT_HRNN_S; ++s)
        for (int c = 0; c < L; ++c) x[2 * LOPT_HRNN_S - 1 + s][c] = lam[s][c] - lsum[c] * (T(1) / T(LOPT_HRNN_S));
    for (int c = 0; c < L; ++c) x[LOPT_HRNN_F - 1][c] = rho[c];
}

// The parameter BiasGRU (reset before the candidate matmul), h (H0 x L) updated in place; e is
// the injected bias e_0 of the coordinates' tensor (3H0). With Trace, tr receives r, u, c.
template <class M, typename T, int L, bool Trace>
LOPT_HD void lopt_hrnn_param_cell(const T* w, const T* e, const T (*x)[L], T (*h)[L], lopt_hrnn_trace<T, L>* tr) {
    const int H = LOPT_HRNN_H0, G = LOPT_HRNN_G0;
    const T* wx = w + LOPT_HRNN_W_WX;
    const T* wh = w + LOPT_HRNN_W_WH;
    const T* b = w + LOPT_HRNN_W_B;
    // Each pre-activation sums its terms in input order; one output at a time keeps its lanes in
    // registers (the arithmetic of every coordinate is the same in any loop order).
    T z[2 * LOPT_HRNN_H0][L];
    for (int j = 0; j < 2 * H; ++j) {
        T acc[L];
        for (int c = 0; c < L; ++c) acc[c] = b[j] + e[j];
        for (int i = 0; i < LOPT_HRNN_F; ++i)
            for (int c = 0; c < L; ++c) acc[c] += x[i][c] * wx[i * G + j];
        for (int i = 0; i < H; ++i)
            for (int c = 0; c < L; ++c) acc[c] += h[i][c] * wh[i * G + j];
        for (int c = 0; c < L; ++c) z[j][c] = acc[c];
    }
    T rh[LOPT_HRNN_H0][L], zc[LOPT_HRNN_H0][L];
    for (int j = 0; j < H; ++j)
        for (int c = 0; c < L; ++c) {
            const T r = lopt_sigmoid<M>(z[j][c]);
            if (Trace) tr->r[j][c] = r;
            rh[j][c] = r * h[j][c];
        }
    for (int j = 0; j < H; ++j) {
        T acc[L];
        for (int c = 0; c < L; ++c) acc[c] = b[2 * H + j] + e[2 * H + j];
        for (int i = 0; i < LOPT_HRNN_F; ++i)
            for (int c = 0; c < L; ++c) acc[c] += x[i][c] * wx[i * G + 2 * H + j];
        for (int i = 0; i < H; ++i)
            for (int c = 0; c < L; ++c) acc[c] += rh[i][c] * wh[i * G + 2 * H + j];
        for (int c = 0; c < L; ++c) zc[j][c] = acc[c];
    }
    for (int j = 0; j < H; ++j)
        for (int c = 0; c < L; ++c) {
            const T u = lopt_sigmoid<M>(z[H + j][c]), cand = lopt_tanh(M(), zc[j][c]);
            if (Trace) { tr->u[j][c] = u; tr->c[j][c] = cand; }
            h[j][c] = u * h[j][c] + (T(1) - u) * cand;
        }
}

// L coordinates' full step on state held in registers: updates h, m, v, beta, eta, ell and writes
// the features x, the direction d, the clipped log step a and, unless update is null, the update
// exp(a + o) d (theta moves by it times the tensor's c_k). mu is the problem-wide mean log-LR of
// the previous state, lam = sigma(kappa) smooths the stored log-LR (docs/hrnn.md R10); the ±33 clip of a passes
// its gradient straight through in the adjoint (docs/hrnn.md R9).
template <class M, typename T, int L, bool Trace = false>
LOPT_HD void lopt_hrnn_coord_step(const T* w, const T* e, T mu, T lam, T o, const T* g, T (*h)[L], T (*m)[L], T (*v)[L],
                                  T* beta, T* eta, T* ell, T (*x)[L], T* d, T* a, T* update,
                                  lopt_hrnn_trace<T, L>* tr = 0) {
    T rho[L];
    for (int c = 0; c < L; ++c) rho[c] = ell[c] - mu;
    lopt_hrnn_features<M, T, L, Trace>(g, beta, eta, rho, m, v, x, tr);
    lopt_hrnn_param_cell<M, T, L, Trace>(w, e, x, h, tr);
    T zb[L], ze[L], zl[L];
    for (int c = 0; c < L; ++c) {
        d[c] = T(0);
        zb[c] = w[LOPT_HRNN_W_BB];
        ze[c] = w[LOPT_HRNN_W_BE];
        zl[c] = M::ell_first ? ell[c] + w[LOPT_HRNN_W_BL] : w[LOPT_HRNN_W_BL];
    }
    for (int j = 0; j < LOPT_HRNN_H0; ++j)
        for (int c = 0; c < L; ++c) {
            d[c] += h[j][c] * w[LOPT_HRNN_W_WD + j];
            zb[c] += h[j][c] * w[LOPT_HRNN_W_WB + j];
            ze[c] += h[j][c] * w[LOPT_HRNN_W_WE + j];
            zl[c] += h[j][c] * w[LOPT_HRNN_W_WL + j];
        }
    for (int s = 0; s < LOPT_HRNN_S; ++s)
        for (int c = 0; c < L; ++c) d[c] += x[s][c] * w[LOPT_HRNN_W_WS + s];
    for (int c = 0; c < L; ++c) {
        beta[c] = lopt_sigmoid<M>(zb[c]);
        eta[c] = lopt_sigmoid<M>(ze[c]);
        a[c] = lopt_clamp(M::ell_first ? zl[c] : ell[c] + zl[c], T(-33), T(33));
        ell[c] = lam * ell[c] + (T(1) - lam) * a[c];  // only the stored log-LR is smoothed (docs/hrnn.md R10)
        if (update) update[c] = lopt_exp(M(), a[c] + o) * d[c];
    }
}

// The forward kernels' step (float, lopt_fast_math); scratch receives the update exp(a + o) d,
// which pass B scales by the tensor's c_k.
template <int L>
LOPT_HD void lopt_hrnn_coords(const lopt_hrnn_pw* w, const float* e, float mu, const float* g, float (*h)[L],
                              float (*m)[L], float (*v)[L], float* beta, float* eta, float* ell, float (*x)[L],
                              float* d, float* scratch) {
    float a[L];
    lopt_hrnn_coord_step<lopt_fast_math, float, L>(reinterpret_cast<const float*>(w), e, mu, w->lam, w->o, g, h, m, v,
                                                   beta, eta, ell, x, d, a, scratch);
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
    *rh = lopt_sigmoid<lopt_fast_math>(zr) * h[j];
    *u = lopt_sigmoid<lopt_fast_math>(zu);
}

// BiasGRU phase 2 for unit j: the new state from the keep gate and the candidate over r (.) h.
LOPT_HD float lopt_hrnn_gru_new(int j, const float* x, int I, const float* h, const float* rh, float u,
                                int H, const float* wx, const float* wh, const float* b, const float* e) {
    int G = 3 * H;
    float zc = b[2 * H + j] + (e ? e[2 * H + j] : 0.0f);
    for (int i = 0; i < I; ++i) zc += x[i] * wx[i * G + 2 * H + j];
    for (int i = 0; i < H; ++i) zc += rh[i] * wh[i * G + 2 * H + j];
    return u * h[j] + (1.0f - u) * lopt_tanh(lopt_fast_math(), zc);
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
