// Celo (Moudgil et al. 2025): VeLO's per-element MLP update rule with one global step multiplier
// from a learned LSTM scheduler. The tensor table, state layout and per-element work shared by the
// CPU launcher (celo_cpu.cpp) and the CUDA kernels (celo.cu); the math is lopt_lopt_features.h's.
#ifndef LOPT_CELO_H
#define LOPT_CELO_H

#include "lopt_common.h"
#include "lopt_lopt_features.h"

#define LOPT_CELO_HIDDEN 64
#define LOPT_CELO_INPUTS 18
// The scheduler pack: mix_max w (18x64), b (64); mix_in w (18x64), b (64); lstm w (128x256), b (256);
// step w (64), b (1); h0 (64), c0 (64).
#define LOPT_CELO_MAX_W 0
#define LOPT_CELO_MAX_B 1152
#define LOPT_CELO_IN_W 1216
#define LOPT_CELO_IN_B 2368
#define LOPT_CELO_LSTM_W 2432
#define LOPT_CELO_LSTM_B 35200
#define LOPT_CELO_STEP_W 35456
#define LOPT_CELO_STEP_B 35520
#define LOPT_CELO_H0 35521
#define LOPT_CELO_C0 35585
#define LOPT_CELO_SCHED_FLOATS 35649
// The global state (doubles): loss buffer (21), scheduler h (64), c (64), this step's multiplier s (1).
#define LOPT_CELO_G_LOSS 0
#define LOPT_CELO_G_H 21
#define LOPT_CELO_G_C 85
#define LOPT_CELO_G_S 149
#define LOPT_CELO_GLOBAL 150
// Per-tensor results of the statistics pass: 30 feature scales, then σ_p.
#define LOPT_CELO_TENSOR_STATS 32

// One parameter tensor. state holds m_1..m_3 (3n), rms (n), then either v_1..v_3 (3n) for 0-D and
// 1-D tensors, or (factored) v_row (3 rows), v_col (3 cols) and the row means r̄ (3 rbars).
// An element's v_row index drops axis d0 (size0, stride0) from its flat index, its v_col index drops
// d1 (size1, stride1); a v_row entry's r̄ index drops d1 as seen inside v_row (rsize, rstride).
typedef struct lopt_celo_tensor {
    float* p;
    const float* g;
    float* state;
    int64_t n;
    int64_t rows, cols, rbars;  // 0 when not factored
    int64_t size0, stride0, size1, stride1, rsize, rstride;
    int32_t chunk0, nchunks;    // CUDA: this tensor's first chunk and chunk count
    int32_t fiber0, rbar0;      // CUDA: first v_row/v_col fiber and first r̄ entry in the launch-wide numbering
    int32_t factored, pad;
} lopt_celo_tensor;

LOPT_HD int64_t lopt_celo_state_floats(int64_t n, int factored, int64_t rows, int64_t cols, int64_t rbars) {
    return 4 * n + (factored ? 3 * (rows + cols + rbars) : 3 * n);
}

// The flat index with one axis removed, and back (the first element of that axis' fiber).
LOPT_HD int64_t lopt_celo_drop_axis(int64_t i, int64_t size, int64_t stride) { return (i / (stride * size)) * stride + i % stride; }
LOPT_HD int64_t lopt_celo_fiber_start(int64_t j, int64_t size, int64_t stride) { return (j / stride) * stride * size + j % stride; }

LOPT_HD float* lopt_celo_vrow(const lopt_celo_tensor* t, int k) { return t->state + 4 * t->n + k * t->rows; }
LOPT_HD float* lopt_celo_vcol(const lopt_celo_tensor* t, int k) { return t->state + 4 * t->n + 3 * t->rows + k * t->cols; }
LOPT_HD float* lopt_celo_rbar(const lopt_celo_tensor* t, int k) { return t->state + 4 * t->n + 3 * (t->rows + t->cols) + k * t->rbars; }

// Pass A of element i: clip g, update m_k, rms and (not factored) v_k.
LOPT_HD void lopt_celo_accumulate(const lopt_celo_tensor* t, int64_t i) {
    const int64_t n = t->n;
    float* s = t->state;
    const float g = lopt_lf_clip_grad(t->g[i]);
    for (int k = 0; k < 3; ++k) s[k * n + i] = lopt_lf_ema(s[k * n + i], lopt_lf_decay(k), g);
    s[3 * n + i] = lopt_lf_ema(s[3 * n + i], LOPT_LF_RMS_DECAY, g * g);
    if (!t->factored)
        for (int k = 0; k < 3; ++k) s[(4 + k) * n + i] = lopt_lf_ema(s[(4 + k) * n + i], lopt_lf_decay(k), lopt_lf_square(g));
}

// Fiber f of a factored tensor (f < rows: the v_row entry f, reduced over d0; else the v_col entry
// f - rows, reduced over d1): the mean of g^2 + 1e-30 in a fixed order, then the three EMAs.
LOPT_HD void lopt_celo_fiber(const lopt_celo_tensor* t, int64_t f) {
    const bool isRow = f < t->rows;
    const int64_t j = isRow ? f : f - t->rows;
    const int64_t size = isRow ? t->size0 : t->size1, stride = isRow ? t->stride0 : t->stride1;
    const int64_t start = lopt_celo_fiber_start(j, size, stride);
    double sum = 0.0;
    for (int64_t e = 0; e < size; ++e) {
        const float g = lopt_lf_clip_grad(t->g[start + e * stride]);
        sum += (double)g * (double)g + 1e-30;
    }
    const float mean = (float)(sum / (double)size);
    for (int k = 0; k < 3; ++k) {
        float* v = isRow ? lopt_celo_vrow(t, k) : lopt_celo_vcol(t, k);
        v[j] = lopt_lf_ema(v[j], lopt_lf_decay(k), mean);
    }
}

// r̄ entry b of a factored tensor: the mean of the updated v_row over its d1 axis, per decay.
LOPT_HD void lopt_celo_row_mean(const lopt_celo_tensor* t, int64_t b) {
    const int64_t start = lopt_celo_fiber_start(b, t->rsize, t->rstride);
    for (int k = 0; k < 3; ++k) {
        const float* v = lopt_celo_vrow(t, k);
        double sum = 0.0;
        for (int64_t e = 0; e < t->rsize; ++e) sum += (double)v[start + e * t->rstride];
        lopt_celo_rbar(t, k)[b] = (float)(sum / (double)t->rsize);
    }
}

// The 30 features of element i from the updated state (p still before the update).
LOPT_HD void lopt_celo_element_features(const lopt_celo_tensor* t, int64_t i, float* x) {
    const int64_t n = t->n;
    const float* s = t->state;
    const float g = lopt_lf_clip_grad(t->g[i]);
    float m[3], va[3], vb[3], fac[3], mfac[3];
    for (int k = 0; k < 3; ++k) m[k] = s[k * n + i];
    if (t->factored) {
        const int64_t r = lopt_celo_drop_axis(i, t->size0, t->stride0);
        const int64_t c = lopt_celo_drop_axis(i, t->size1, t->stride1);
        const int64_t b = lopt_celo_drop_axis(r, t->rsize, t->rstride);
        for (int k = 0; k < 3; ++k) {
            va[k] = lopt_celo_vrow(t, k)[r];
            vb[k] = lopt_celo_vcol(t, k)[c];
            fac[k] = lopt_lf_row_factor(va[k], lopt_celo_rbar(t, k)[b]) * lopt_lf_col_factor(vb[k]);
            mfac[k] = fac[k];
        }
    } else {
        for (int k = 0; k < 3; ++k) va[k] = vb[k] = s[(4 + k) * n + i];
        lopt_lf_vector_factors(va, fac, mfac);
    }
    lopt_lf_features(x, g, t->p[i], m, s[3 * n + i], va, vb, fac, mfac);
}

// Pass C of element i: normalised features through the MLP, p <- p - Δ.
// stats: the tensor's 30 feature scales and σ_p (LOPT_CELO_TENSOR_STATS floats).
LOPT_HD void lopt_celo_apply(const lopt_celo_tensor* t, int64_t i, const float* __restrict__ mlp, const float* stats, float s) {
    float x[LOPT_LF_FEATURES];
    lopt_celo_element_features(t, i, x);
    for (int q = 0; q < LOPT_LF_FEATURES; ++q) x[q] *= stats[q];
    float d, a;
    lopt_lf_mlp(mlp, x, &d, &a);
    t->p[i] -= lopt_lf_delta(s, d, a, stats[LOPT_LF_FEATURES]);
}

// The step multiplier s from the loss at the current parameters and the step count t (0 at the
// first step). A non-finite loss leaves the loss buffer as it was. phase 1 (MLP training) uses s = 1.
LOPT_HD void lopt_celo_schedule(const float* __restrict__ w, double* global, float loss, int64_t step, int64_t totalSteps, int phase) {
    const double total = (double)totalSteps;
    double* buf = global + LOPT_CELO_G_LOSS;
    if (lopt_isfinite(loss)) lopt_lf_loss_update(buf, total, (double)loss);
    double x[LOPT_CELO_INPUTS];
    lopt_lf_progress_features((double)step, total, x);
    lopt_lf_loss_features(buf, total, x + LOPT_LF_PROGRESS_FEATURES);

    const int H = LOPT_CELO_HIDDEN;
    double zh[2 * LOPT_CELO_HIDDEN];  // [z; h], the LSTM input rows
    for (int j = 0; j < H; ++j) {
        double u = w[LOPT_CELO_MAX_B + j], z = w[LOPT_CELO_IN_B + j];
        for (int q = 0; q < LOPT_CELO_INPUTS; ++q) {
            u += x[q] * w[LOPT_CELO_MAX_W + q * H + j];
            z += x[q] * w[LOPT_CELO_IN_W + q * H + j];
        }
        zh[j] = z + fmax(u, 0.0);
        zh[H + j] = global[LOPT_CELO_G_H + j];
    }
    double gates[4 * LOPT_CELO_HIDDEN];
    for (int j = 0; j < 4 * H; ++j) {
        double acc = w[LOPT_CELO_LSTM_B + j];
        for (int r = 0; r < 2 * H; ++r) acc += zh[r] * w[LOPT_CELO_LSTM_W + r * 4 * H + j];
        gates[j] = acc;
    }
    lopt_lf_lstm_cell(gates, H, global + LOPT_CELO_G_H, global + LOPT_CELO_G_C);
    double o = w[LOPT_CELO_STEP_B];
    for (int j = 0; j < H; ++j) o += global[LOPT_CELO_G_H + j] * w[LOPT_CELO_STEP_W + j];
    global[LOPT_CELO_G_S] = phase == 1 ? 1.0 : 0.1 * exp(o);
}

// The initial global state: empty loss buffer, (h, c) = the learned initial state.
LOPT_HD void lopt_celo_global_reset(const float* __restrict__ w, double* global) {
    lopt_lf_loss_init(global + LOPT_CELO_G_LOSS);
    for (int j = 0; j < LOPT_CELO_HIDDEN; ++j) {
        global[LOPT_CELO_G_H + j] = w[LOPT_CELO_H0 + j];
        global[LOPT_CELO_G_C + j] = w[LOPT_CELO_C0 + j];
    }
    global[LOPT_CELO_G_S] = 0.0;
}

#endif
