// The hand-written adjoint of the HRNN per-coordinate step (lopt_hrnn.h's lopt_hrnn_coord_step,
// libm math, float for speed or double for finite-difference-checked meta-gradients): truncated
// BPTT through the HRNN (docs/meta-grad.md), shared by the CPU launchers (hrnn_grad_cpu.cpp) and,
// through NVRTC, the CUDA kernels (hrnn_grad.cu). Formulas: docs/hrnn.md; the ±33 clip passes
// its gradient straight through (docs/hrnn.md R9). The adjoint recomputes the forward from the coordinate's old
// state, so a tape keeps only the 21 state values entering each step. A coordinate's state is
// coordinate-major here: LOPT_HRNN_STATE scalars at the LOPT_HRNN_OFF_* offsets; weights and their
// gradient use the flat LOPT_HRNN_W_* layout.
#ifndef LOPT_HRNN_GRAD_H
#define LOPT_HRNN_GRAD_H

#include "lopt_hrnn.h"

// Per-tensor sums of the forward: sum d^2, sum h' (H0), sum x (F).
#define LOPT_HG_SUMS (1 + LOPT_HRNN_I1)
// Accumulators of the adjoint: weight gradient (LOPT_HRNN_W_COUNT), e0 adjoint (3H0), mu adjoint, lambda adjoint.
#define LOPT_HG_ACC (LOPT_HRNN_W_COUNT + LOPT_HRNN_G0 + 2)

// Threads per block of the truncated-BPTT kernels (hrnn_grad.cu; any other launch traps).
#define LOPT_HG_BLOCK 128

// One tensor of a batched (table) launch, float64: every tensor of every problem of a batch in one
// launch per phase. Tensor j owns the blocks [first_block, first_block + blocks) and their partial
// rows. Forward: io = the new state (out), d, a written. Adjoint: io = the state adjoint (read, then
// overwritten), d = d-bar, a = a-bar (read), gbar written. Σℓ / adding to ℓ: in, resp. io. The
// per-problem scalars ride in the job: mu and lambda (forward, adjoint) and ell, the value added
// to every ℓ adjoint (the problem's mu adjoint / count).
// 112 bytes, 8-byte aligned; mirrored by CudaCoordinateEngine.Job (the C# tests check every offset
// against lopt_abi_struct).
typedef struct lopt_hg_job {
    const double* e0;
    const double* g;
    const double* in;
    double* io;
    double* d;
    double* a;
    const double* xbar_add;
    const double* hbar_add;
    double* gbar;
    long long n;
    int first_block;
    int blocks;
    double mu;
    double lambda;
    double ell;
} lopt_hg_job;

static_assert(sizeof(lopt_hg_job) == 112, "lopt_hg_job size");
#if !defined(__CUDACC_RTC__)
static_assert(offsetof(lopt_hg_job, e0) == 0 && offsetof(lopt_hg_job, g) == 8 && offsetof(lopt_hg_job, in) == 16 &&
              offsetof(lopt_hg_job, io) == 24 && offsetof(lopt_hg_job, d) == 32 && offsetof(lopt_hg_job, a) == 40 &&
              offsetof(lopt_hg_job, xbar_add) == 48 && offsetof(lopt_hg_job, hbar_add) == 56 && offsetof(lopt_hg_job, gbar) == 64 &&
              offsetof(lopt_hg_job, n) == 72 && offsetof(lopt_hg_job, first_block) == 80 && offsetof(lopt_hg_job, blocks) == 84 &&
              offsetof(lopt_hg_job, mu) == 88 && offsetof(lopt_hg_job, lambda) == 96 && offsetof(lopt_hg_job, ell) == 104,
              "lopt_hg_job field offsets");
#endif

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

// Rows of a coordinate-major state as the step's lane rows (L = 1).
template <typename T> LOPT_HD T (*lopt_hg_rows(T* state, int offset))[1] { return reinterpret_cast<T(*)[1]>(state + offset); }

// One coordinate's step (lopt_hrnn_coord_step, libm): old state in (21), new state out (21; may
// not alias in), features x, direction d and the clipped log step a (theta moves by
// exp(a + o) * c_k * d). e0: the tensor's injected bias (3H0). With a trace, the intermediates.
template <typename T, bool Trace = false>
LOPT_HD void lopt_hg_coord_forward(const T* w, const T* e0, T mu, T lambda, T g, const T* in, T* out, T* x, T* d, T* a,
                                   lopt_hrnn_trace<T, 1>* tr = 0) {
    for (int j = 0; j < LOPT_HRNN_STATE; ++j) out[j] = in[j];
    lopt_hrnn_coord_step<lopt_libm_math, T, 1, Trace>(w, e0, mu, lambda, T(0), &g, lopt_hg_rows(out, LOPT_HRNN_OFF_H),
                                                      lopt_hg_rows(out, LOPT_HRNN_OFF_M), lopt_hg_rows(out, LOPT_HRNN_OFF_V),
                                                      out + LOPT_HRNN_OFF_BETA, out + LOPT_HRNN_OFF_ETA,
                                                      out + LOPT_HRNN_OFF_ELL, lopt_hg_rows(x, 0), d, a, (T*)0, tr);
}

// Adjoint of lopt_hg_coord_forward. In: nbar, the adjoint of the new state (21); xbar_in (F) and
// hbar_add (H0), adjoints of x and of the new h from the tensor RNN's mean input; dbar, abar. Out:
// pbar, the adjoint of the old state (21, overwritten); returns the adjoint of g. Accumulates (+=)
// *mu_bar, e0_bar (3H0), *lambda_bar and the weight gradient gw (LOPT_HRNN_W_COUNT) as Mode says (LOPT_HG_ACC_*).
template <typename T, int Mode = LOPT_HG_ACC_PLAIN>
LOPT_HD T lopt_hg_coord_backward(const T* w, const T* e0, T mu, T lambda, T g, const T* in, const T* nbar,
                                 const T* xbar_in, const T* hbar_add, T dbar, T abar, T* pbar,
                                 T* mu_bar, T* e0_bar, T* lambda_bar, T* gw) {
    const int H = LOPT_HRNN_H0, S = LOPT_HRNN_S, F = LOPT_HRNN_F, G = LOPT_HRNN_G0;
    const T* h = in + LOPT_HRNN_OFF_H;
    const T* m = in + LOPT_HRNN_OFF_M;
    const T* v = in + LOPT_HRNN_OFF_V;
    T eta = in[LOPT_HRNN_OFF_ETA], ell = in[LOPT_HRNN_OFF_ELL];

    // Recompute the forward.
    T next[LOPT_HRNN_STATE], x[LOPT_HRNN_F], d, a;
    lopt_hrnn_trace<T, 1> tr;
    lopt_hg_coord_forward<T, true>(w, e0, mu, lambda, g, in, next, x, &d, &a, &tr);
    const T* mn = next + LOPT_HRNN_OFF_M;
    const T* vn = next + LOPT_HRNN_OFF_V;
    const T* hn = next + LOPT_HRNN_OFF_H;
    const T betan = next[LOPT_HRNN_OFF_BETA], etan = next[LOPT_HRNN_OFF_ETA];
    const T *bs = &tr.bs[0][0], *r = &tr.r[0][0], *u = &tr.u[0][0], *c = &tr.c[0][0];  // rows of one lane

    // Readouts and the log-LR.
    T hbar[LOPT_HRNN_H0], xbar[LOPT_HRNN_F];
    for (int j = 0; j < F; ++j) xbar[j] = xbar_in[j];
    T ellnb = nbar[LOPT_HRNN_OFF_ELL];
    T ellbar = lambda * ellnb;
    lopt_hg_acc<Mode>(lambda_bar, ellnb * (ell - a));
    T zlbar = abar + (T(1) - lambda) * ellnb;  // straight through the clip
    T zbbar = nbar[LOPT_HRNN_OFF_BETA] * betan * (T(1) - betan);
    T zebar = nbar[LOPT_HRNN_OFF_ETA] * etan * (T(1) - etan);
    ellbar += zlbar;
    lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_BL], zlbar);
    lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_BB], zbbar);
    lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_BE], zebar);
    for (int j = 0; j < H; ++j) {
        hbar[j] = nbar[LOPT_HRNN_OFF_H + j] + hbar_add[j] + zlbar * w[LOPT_HRNN_W_WL + j] + zbbar * w[LOPT_HRNN_W_WB + j]
                + zebar * w[LOPT_HRNN_W_WE + j] + dbar * w[LOPT_HRNN_W_WD + j];
        lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_WL + j], zlbar * hn[j]);
        lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_WB + j], zbbar * hn[j]);
        lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_WE + j], zebar * hn[j]);
        lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_WD + j], dbar * hn[j]);
    }
    for (int s = 0; s < S; ++s) {
        xbar[s] += dbar * w[LOPT_HRNN_W_WS + s];
        lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_WS + s], dbar * x[s]);
    }

    // Parameter cell: h' = u h + (1 - u) c, c over r (.) h.
    const T* wx = w + LOPT_HRNN_W_WX;
    const T* wh = w + LOPT_HRNN_W_WH;
    T zbar[LOPT_HRNN_G0], rhbar[LOPT_HRNN_H0];
    T* hpb = pbar + LOPT_HRNN_OFF_H;
    for (int j = 0; j < H; ++j) {
        T hb = hbar[j];
        hpb[j] = hb * u[j];
        zbar[H + j] = hb * (h[j] - c[j]) * u[j] * (T(1) - u[j]);
        zbar[2 * H + j] = hb * (T(1) - u[j]) * (T(1) - c[j] * c[j]);
    }
    for (int i = 0; i < H; ++i) {
        T rh = r[i] * h[i], acc = T(0);
        for (int j = 0; j < H; ++j) {
            lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_WH + i * G + 2 * H + j], rh * zbar[2 * H + j]);
            acc += wh[i * G + 2 * H + j] * zbar[2 * H + j];
        }
        rhbar[i] = acc;
    }
    for (int i = 0; i < H; ++i) {
        hpb[i] += rhbar[i] * r[i];
        zbar[i] = rhbar[i] * h[i] * r[i] * (T(1) - r[i]);
    }
    for (int j = 0; j < G; ++j) {
        lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_B + j], zbar[j]);
        lopt_hg_acc<Mode>(&e0_bar[j], zbar[j]);
    }
    for (int i = 0; i < F; ++i) {
        T acc = T(0);
        for (int j = 0; j < G; ++j) {
            lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_WX + i * G + j], x[i] * zbar[j]);
            acc += wx[i * G + j] * zbar[j];
        }
        xbar[i] += acc;
    }
    for (int i = 0; i < H; ++i) {
        T acc = T(0);
        for (int j = 0; j < 2 * H; ++j) {
            lopt_hg_acc<Mode>(&gw[LOPT_HRNN_W_WH + i * G + j], h[i] * zbar[j]);
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
        T ve = vn[s] + T(1e-16), sq = lopt_sqrt(ve), q = mn[s] / sq;
        T qbar = ghbar[s] / lopt_sqrt(T(1) + q * q);
        T lambar = xbar[2 * S - 1 + s] - qmean;
        T mnbar = nbar[LOPT_HRNN_OFF_M + s] + qbar / sq;
        T vnbar = nbar[LOPT_HRNN_OFF_V + s] - T(0.5) * qbar * q / ve + lambar / ve;
        etabar += vnbar * (v[s] - mn[s] * mn[s] - T(1e-12));
        pbar[LOPT_HRNN_OFF_V + s] = eta * vnbar;
        mnbar += (T(1) - eta) * T(2) * mn[s] * vnbar;
        bsbar[s] = mnbar * (m[s] - g);
        pbar[LOPT_HRNN_OFF_M + s] = bs[s] * mnbar;
        gbar += (T(1) - bs[s]) * mnbar;
    }
    // beta_{s+1} = sqrt(beta_s); at beta = 0 (a fresh state, never differentiated) the term is dropped.
    for (int s = S - 1; s > 0; --s)
        if (bs[s] > T(0)) bsbar[s - 1] += bsbar[s] / (T(2) * bs[s]);
    pbar[LOPT_HRNN_OFF_BETA] = bsbar[0];
    pbar[LOPT_HRNN_OFF_ETA] = etabar;
    pbar[LOPT_HRNN_OFF_ELL] = ellbar;
    return gbar;
}

#endif
