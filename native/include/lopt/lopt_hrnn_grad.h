// Per-coordinate HRNN step with its hand-written adjoint, templated on the scalar type (float for
// speed, double for finite-difference-checked meta-gradients). The one definition of the
// per-element math of truncated BPTT through the HRNN (docs/meta-grad.md), shared by the CPU
// launchers (hrnn_grad_cpu.cpp) and, through NVRTC, by CUDA kernels. Formulas: docs/hrnn.md, "One step";
// the ±33 clip passes its gradient straight through (D9). The adjoint recomputes the forward from
// the coordinate's old state, so a tape keeps only the 21 state values entering each step.
#ifndef LOPT_HRNN_GRAD_H
#define LOPT_HRNN_GRAD_H

#include "lopt_hrnn.h"

// A coordinate's state, coordinate-major (21 scalars): h (H0), m (S), v (S), beta, eta, ell.
#define LOPT_HG_OFF_H 0
#define LOPT_HG_OFF_M LOPT_HRNN_H0
#define LOPT_HG_OFF_V (LOPT_HRNN_H0 + LOPT_HRNN_S)
#define LOPT_HG_OFF_BETA (LOPT_HRNN_H0 + 2 * LOPT_HRNN_S)
#define LOPT_HG_OFF_ETA (LOPT_HG_OFF_BETA + 1)
#define LOPT_HG_OFF_ELL (LOPT_HG_OFF_BETA + 2)

// Weights read per coordinate, in this order (and their gradient, same layout): cell/param/w_x,
// w_h, b, readout/direction/w, readout/shortcut/w, readout/lr/w, decay/input/w, decay/scale/w,
// readout/lr/b, decay/input/b, decay/scale/b. lambda = sigma(kappa) and o are passed separately.
#define LOPT_HG_WX 0
#define LOPT_HG_WH (LOPT_HG_WX + LOPT_HRNN_F * LOPT_HRNN_G0)
#define LOPT_HG_B (LOPT_HG_WH + LOPT_HRNN_H0 * LOPT_HRNN_G0)
#define LOPT_HG_WD (LOPT_HG_B + LOPT_HRNN_G0)
#define LOPT_HG_WS (LOPT_HG_WD + LOPT_HRNN_H0)
#define LOPT_HG_WL (LOPT_HG_WS + LOPT_HRNN_S)
#define LOPT_HG_WB (LOPT_HG_WL + LOPT_HRNN_H0)
#define LOPT_HG_WE (LOPT_HG_WB + LOPT_HRNN_H0)
#define LOPT_HG_BL (LOPT_HG_WE + LOPT_HRNN_H0)
#define LOPT_HG_BB (LOPT_HG_BL + 1)
#define LOPT_HG_BE (LOPT_HG_BL + 2)
#define LOPT_HG_PW (LOPT_HG_BL + 3)  // 737 scalars

// Per-tensor sums of the forward: sum d^2, sum h' (H0), sum x (F).
#define LOPT_HG_SUMS (1 + LOPT_HRNN_I1)
// Accumulators of the adjoint: weight gradient (LOPT_HG_PW), e0 adjoint (3H0), mu adjoint, lambda adjoint.
#define LOPT_HG_ACC (LOPT_HG_PW + LOPT_HRNN_G0 + 2)
#define LOPT_HG_STATE LOPT_HRNN_STATE

// Overloads so the templates pick the float or double math function.
LOPT_HD float lopt_hg_sqrt(float x) { return sqrtf(x); }
LOPT_HD double lopt_hg_sqrt(double x) { return sqrt(x); }
LOPT_HD float lopt_hg_log(float x) { return logf(x); }
LOPT_HD double lopt_hg_log(double x) { return log(x); }
LOPT_HD float lopt_hg_log1p(float x) { return log1pf(x); }
LOPT_HD double lopt_hg_log1p(double x) { return log1p(x); }
LOPT_HD float lopt_hg_exp(float x) { return expf(x); }
LOPT_HD double lopt_hg_exp(double x) { return exp(x); }
LOPT_HD float lopt_hg_tanh(float x) { return tanhf(x); }
LOPT_HD double lopt_hg_tanh(double x) { return tanh(x); }
LOPT_HD float lopt_hg_abs(float x) { return fabsf(x); }
LOPT_HD double lopt_hg_abs(double x) { return fabs(x); }

// How the adjoint adds into its sums (weight gradient, e0/mu/lambda adjoints). PLAIN: *p += v, one
// thread owns the sums (the CPU). WARP (device only): every lane of a full warp calls with its own v
// at the same point; the warp adds the 32 values in a fixed tree (shuffles) and lane 0 adds the total
// into its warp's own row, so the sums do not depend on thread timing (no atomics).
#define LOPT_HG_ACC_PLAIN 0
#define LOPT_HG_ACC_WARP 1

template <int Mode, typename T> LOPT_HD void lopt_hg_acc(T* p, T v) {
#if defined(__CUDA_ARCH__)
    if (Mode == LOPT_HG_ACC_WARP) {
        for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
        if ((threadIdx.x & 31) == 0) *p += v;
        return;
    }
#endif
    *p += v;
}

template <typename T> LOPT_HD T lopt_hg_sigmoid(T z) { return T(1) / (T(1) + lopt_hg_exp(-z)); }

// Odd asinh, accurate for any |x| (docs/hrnn.md R2); the float branch matches lopt_asinh.
template <typename T> LOPT_HD T lopt_hg_asinh(T x) {
    T a = lopt_hg_abs(x);
    T r;
    if (a > T(1e18)) {
        r = lopt_hg_log(a) + T(0.69314718055994531);
    } else {
        T a2 = a * a;
        r = lopt_hg_log1p(a + a2 / (T(1) + lopt_hg_sqrt(T(1) + a2)));
    }
    return x < T(0) ? -r : r;
}

// m, v updates and features x (docs/hrnn.md, features); bs receives beta_1..beta_S.
template <typename T>
LOPT_HD void lopt_hg_features(T g, T beta, T eta, T rho, const T* m, const T* v, T* mn, T* vn, T* x, T* bs) {
    const int S = LOPT_HRNN_S;
    T lam[LOPT_HRNN_S];
    T lsum = T(0);
    for (int s = 0; s < S; ++s) {
        bs[s] = s == 0 ? beta : lopt_hg_sqrt(bs[s - 1]);
        mn[s] = bs[s] * m[s] + (T(1) - bs[s]) * g;
        vn[s] = eta * v[s] + (T(1) - eta) * (mn[s] * mn[s] + T(1e-12));
        x[s] = lopt_hg_asinh(mn[s] / lopt_hg_sqrt(vn[s] + T(1e-16)));
        lam[s] = lopt_hg_log(vn[s] + T(1e-16));
        lsum += lam[s];
    }
    for (int s = 0; s < S - 1; ++s) x[S + s] = x[s] * x[s + 1];
    for (int s = 0; s < S; ++s) x[2 * S - 1 + s] = lam[s] - lsum / T(S);
    x[LOPT_HRNN_F - 1] = rho;
}

// Gates r, u and candidate c of the parameter BiasGRU (reset before the candidate matmul).
template <typename T>
LOPT_HD void lopt_hg_param_gates(const T* w, const T* e, const T* x, const T* h, T* r, T* u, T* c) {
    const int H = LOPT_HRNN_H0, G = LOPT_HRNN_G0, I = LOPT_HRNN_F;
    const T* wx = w + LOPT_HG_WX;
    const T* wh = w + LOPT_HG_WH;
    const T* b = w + LOPT_HG_B;
    T z[LOPT_HRNN_G0];
    for (int j = 0; j < G; ++j) z[j] = b[j] + e[j];
    for (int i = 0; i < I; ++i)
        for (int j = 0; j < G; ++j) z[j] += x[i] * wx[i * G + j];
    for (int i = 0; i < H; ++i)
        for (int j = 0; j < 2 * H; ++j) z[j] += h[i] * wh[i * G + j];
    for (int j = 0; j < H; ++j) {
        r[j] = lopt_hg_sigmoid(z[j]);
        u[j] = lopt_hg_sigmoid(z[H + j]);
    }
    for (int i = 0; i < H; ++i) {
        T rh = r[i] * h[i];
        for (int j = 0; j < H; ++j) z[2 * H + j] += rh * wh[i * G + 2 * H + j];
    }
    for (int j = 0; j < H; ++j) c[j] = lopt_hg_tanh(z[2 * H + j]);
}

// d and the pre-activations of beta', eta' and a (before the clip).
template <typename T>
LOPT_HD void lopt_hg_readouts(const T* w, const T* hn, const T* x, T ell, T* d, T* zb, T* ze, T* zl) {
    T dd = T(0), b = w[LOPT_HG_BB], e = w[LOPT_HG_BE], l = ell + w[LOPT_HG_BL];
    for (int j = 0; j < LOPT_HRNN_H0; ++j) {
        dd += hn[j] * w[LOPT_HG_WD + j];
        b += hn[j] * w[LOPT_HG_WB + j];
        e += hn[j] * w[LOPT_HG_WE + j];
        l += hn[j] * w[LOPT_HG_WL + j];
    }
    for (int s = 0; s < LOPT_HRNN_S; ++s) dd += x[s] * w[LOPT_HG_WS + s];
    *d = dd; *zb = b; *ze = e; *zl = l;
}

template <typename T> LOPT_HD T lopt_hg_clip33(T z) { return z < T(-33) ? T(-33) : (z > T(33) ? T(33) : z); }

// One coordinate's step: old state in (21), new state out (21), features x, direction d and the
// clipped log step a (theta moves by exp(a + o) * c_k * d). e0: the tensor's injected bias (3H0).
template <typename T>
LOPT_HD void lopt_hg_coord_forward(const T* w, const T* e0, T mu, T lambda, T g, const T* in, T* out, T* x, T* d, T* a) {
    const int H = LOPT_HRNN_H0;
    T bs[LOPT_HRNN_S], r[LOPT_HRNN_H0], u[LOPT_HRNN_H0], c[LOPT_HRNN_H0];
    T ell = in[LOPT_HG_OFF_ELL];
    lopt_hg_features(g, in[LOPT_HG_OFF_BETA], in[LOPT_HG_OFF_ETA], ell - mu, in + LOPT_HG_OFF_M, in + LOPT_HG_OFF_V,
                     out + LOPT_HG_OFF_M, out + LOPT_HG_OFF_V, x, bs);
    lopt_hg_param_gates(w, e0, x, in + LOPT_HG_OFF_H, r, u, c);
    for (int j = 0; j < H; ++j) out[LOPT_HG_OFF_H + j] = u[j] * in[LOPT_HG_OFF_H + j] + (T(1) - u[j]) * c[j];
    T zb, ze, zl;
    lopt_hg_readouts(w, out + LOPT_HG_OFF_H, x, ell, d, &zb, &ze, &zl);
    out[LOPT_HG_OFF_BETA] = lopt_hg_sigmoid(zb);
    out[LOPT_HG_OFF_ETA] = lopt_hg_sigmoid(ze);
    *a = lopt_hg_clip33(zl);
    out[LOPT_HG_OFF_ELL] = lambda * ell + (T(1) - lambda) * *a;  // only the stored log-LR is smoothed (D10)
}

// Adjoint of lopt_hg_coord_forward. In: nbar, the adjoint of the new state (21); xbar_in (F) and
// hbar_add (H0), adjoints of x and of the new h from the tensor RNN's mean input; dbar, abar. Out:
// pbar, the adjoint of the old state (21, overwritten); returns the adjoint of g. Accumulates (+=)
// *mu_bar, e0_bar (3H0), *lambda_bar and the weight gradient gw (LOPT_HG_PW) as Mode says (LOPT_HG_ACC_*).
template <typename T, int Mode = LOPT_HG_ACC_PLAIN>
LOPT_HD T lopt_hg_coord_backward(const T* w, const T* e0, T mu, T lambda, T g, const T* in, const T* nbar,
                                 const T* xbar_in, const T* hbar_add, T dbar, T abar, T* pbar,
                                 T* mu_bar, T* e0_bar, T* lambda_bar, T* gw) {
    const int H = LOPT_HRNN_H0, S = LOPT_HRNN_S, F = LOPT_HRNN_F, G = LOPT_HRNN_G0;
    const T* h = in + LOPT_HG_OFF_H;
    const T* m = in + LOPT_HG_OFF_M;
    const T* v = in + LOPT_HG_OFF_V;
    T eta = in[LOPT_HG_OFF_ETA], ell = in[LOPT_HG_OFF_ELL];

    // Recompute the forward.
    T bs[LOPT_HRNN_S], mn[LOPT_HRNN_S], vn[LOPT_HRNN_S], x[LOPT_HRNN_F];
    T r[LOPT_HRNN_H0], u[LOPT_HRNN_H0], c[LOPT_HRNN_H0], hn[LOPT_HRNN_H0];
    lopt_hg_features(g, in[LOPT_HG_OFF_BETA], eta, ell - mu, m, v, mn, vn, x, bs);
    lopt_hg_param_gates(w, e0, x, h, r, u, c);
    for (int j = 0; j < H; ++j) hn[j] = u[j] * h[j] + (T(1) - u[j]) * c[j];
    T d, zb, ze, zl;
    lopt_hg_readouts(w, hn, x, ell, &d, &zb, &ze, &zl);
    T betan = lopt_hg_sigmoid(zb), etan = lopt_hg_sigmoid(ze), a = lopt_hg_clip33(zl);

    // Readouts and the log-LR.
    T hbar[LOPT_HRNN_H0], xbar[LOPT_HRNN_F];
    for (int j = 0; j < F; ++j) xbar[j] = xbar_in[j];
    T ellnb = nbar[LOPT_HG_OFF_ELL];
    T ellbar = lambda * ellnb;
    lopt_hg_acc<Mode>(lambda_bar, ellnb * (ell - a));
    T zlbar = abar + (T(1) - lambda) * ellnb;  // straight through the clip
    T zbbar = nbar[LOPT_HG_OFF_BETA] * betan * (T(1) - betan);
    T zebar = nbar[LOPT_HG_OFF_ETA] * etan * (T(1) - etan);
    ellbar += zlbar;
    lopt_hg_acc<Mode>(&gw[LOPT_HG_BL], zlbar);
    lopt_hg_acc<Mode>(&gw[LOPT_HG_BB], zbbar);
    lopt_hg_acc<Mode>(&gw[LOPT_HG_BE], zebar);
    for (int j = 0; j < H; ++j) {
        hbar[j] = nbar[LOPT_HG_OFF_H + j] + hbar_add[j] + zlbar * w[LOPT_HG_WL + j] + zbbar * w[LOPT_HG_WB + j]
                + zebar * w[LOPT_HG_WE + j] + dbar * w[LOPT_HG_WD + j];
        lopt_hg_acc<Mode>(&gw[LOPT_HG_WL + j], zlbar * hn[j]);
        lopt_hg_acc<Mode>(&gw[LOPT_HG_WB + j], zbbar * hn[j]);
        lopt_hg_acc<Mode>(&gw[LOPT_HG_WE + j], zebar * hn[j]);
        lopt_hg_acc<Mode>(&gw[LOPT_HG_WD + j], dbar * hn[j]);
    }
    for (int s = 0; s < S; ++s) {
        xbar[s] += dbar * w[LOPT_HG_WS + s];
        lopt_hg_acc<Mode>(&gw[LOPT_HG_WS + s], dbar * x[s]);
    }

    // Parameter cell: h' = u h + (1 - u) c, c over r (.) h.
    const T* wx = w + LOPT_HG_WX;
    const T* wh = w + LOPT_HG_WH;
    T zbar[LOPT_HRNN_G0], rhbar[LOPT_HRNN_H0];
    T* hpb = pbar + LOPT_HG_OFF_H;
    for (int j = 0; j < H; ++j) {
        T hb = hbar[j];
        hpb[j] = hb * u[j];
        zbar[H + j] = hb * (h[j] - c[j]) * u[j] * (T(1) - u[j]);
        zbar[2 * H + j] = hb * (T(1) - u[j]) * (T(1) - c[j] * c[j]);
    }
    for (int i = 0; i < H; ++i) {
        T rh = r[i] * h[i], acc = T(0);
        for (int j = 0; j < H; ++j) {
            lopt_hg_acc<Mode>(&gw[LOPT_HG_WH + i * G + 2 * H + j], rh * zbar[2 * H + j]);
            acc += wh[i * G + 2 * H + j] * zbar[2 * H + j];
        }
        rhbar[i] = acc;
    }
    for (int i = 0; i < H; ++i) {
        hpb[i] += rhbar[i] * r[i];
        zbar[i] = rhbar[i] * h[i] * r[i] * (T(1) - r[i]);
    }
    for (int j = 0; j < G; ++j) {
        lopt_hg_acc<Mode>(&gw[LOPT_HG_B + j], zbar[j]);
        lopt_hg_acc<Mode>(&e0_bar[j], zbar[j]);
    }
    for (int i = 0; i < F; ++i) {
        T acc = T(0);
        for (int j = 0; j < G; ++j) {
            lopt_hg_acc<Mode>(&gw[LOPT_HG_WX + i * G + j], x[i] * zbar[j]);
            acc += wx[i * G + j] * zbar[j];
        }
        xbar[i] += acc;
    }
    for (int i = 0; i < H; ++i) {
        T acc = T(0);
        for (int j = 0; j < 2 * H; ++j) {
            lopt_hg_acc<Mode>(&gw[LOPT_HG_WH + i * G + j], h[i] * zbar[j]);
            acc += wh[i * G + j] * zbar[j];
        }
        hpb[i] += acc;
    }

    // Features: rho = ell - mu, q_s = lambda_s - mean lambda, products, asinh of m / sqrt(v).
    ellbar += xbar[F - 1];
    lopt_hg_acc<Mode>(mu_bar, -xbar[F - 1]);
    T qmean = T(0);
    for (int s = 0; s < S; ++s) qmean += xbar[2 * S - 1 + s];
    qmean /= T(S);
    T ghbar[LOPT_HRNN_S], bsbar[LOPT_HRNN_S];
    for (int s = 0; s < S; ++s) ghbar[s] = xbar[s];
    for (int s = 0; s < S - 1; ++s) {
        ghbar[s] += xbar[S + s] * x[s + 1];
        ghbar[s + 1] += xbar[S + s] * x[s];
    }
    T etabar = T(0), gbar = T(0);
    for (int s = 0; s < S; ++s) {
        T ve = vn[s] + T(1e-16), sq = lopt_hg_sqrt(ve), q = mn[s] / sq;
        T qbar = ghbar[s] / lopt_hg_sqrt(T(1) + q * q);
        T lambar = xbar[2 * S - 1 + s] - qmean;
        T mnbar = nbar[LOPT_HG_OFF_M + s] + qbar / sq;
        T vnbar = nbar[LOPT_HG_OFF_V + s] - T(0.5) * qbar * q / ve + lambar / ve;
        etabar += vnbar * (v[s] - mn[s] * mn[s] - T(1e-12));
        pbar[LOPT_HG_OFF_V + s] = eta * vnbar;
        mnbar += (T(1) - eta) * T(2) * mn[s] * vnbar;
        bsbar[s] = mnbar * (m[s] - g);
        pbar[LOPT_HG_OFF_M + s] = bs[s] * mnbar;
        gbar += (T(1) - bs[s]) * mnbar;
    }
    // beta_{s+1} = sqrt(beta_s); at beta = 0 (a fresh state, never differentiated) the term is dropped.
    for (int s = S - 1; s > 0; --s)
        if (bs[s] > T(0)) bsbar[s - 1] += bsbar[s] / (T(2) * bs[s]);
    pbar[LOPT_HG_OFF_BETA] = bsbar[0];
    pbar[LOPT_HG_OFF_ETA] = etabar;
    pbar[LOPT_HG_OFF_ELL] = ellbar;
    return gbar;
}

#endif
