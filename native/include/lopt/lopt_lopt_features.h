// The building blocks shared by the per-parameter MLP learned optimizers of Metz et al. 2022
// (VeLO) and Moudgil et al. 2025 (Celo): gradient clipping and accumulators, the 30 per-element
// features, per-tensor normalisation, the 30 -> 4 -> 4 -> 3 MLP and the step, the global loss
// features and progress features, and the LSTM cell. Host+device inline: the CUDA kernels and the
// CPU launchers run this one definition. docs/celo.md gives the math.
#ifndef LOPT_LOPT_FEATURES_H
#define LOPT_LOPT_FEATURES_H

#include "lopt_common.h"

#define LOPT_LF_FEATURES 30
#define LOPT_LF_HIDDEN 4
#define LOPT_LF_OUTPUTS 3
// The MLP pack: w0 (30x4, row-major), b0 (4), w1 (4x4), b1 (4), w2 (4x3), b2 (3).
#define LOPT_LF_W0 0
#define LOPT_LF_B0 120
#define LOPT_LF_W1 124
#define LOPT_LF_B1 140
#define LOPT_LF_W2 144
#define LOPT_LF_B2 156
#define LOPT_LF_MLP_FLOATS 159
// Loss features: 10 running means of the loss over half-lives from 10 to N steps.
#define LOPT_LF_LOSS_MEANS 10
#define LOPT_LF_LOSS_FEATURES 9
#define LOPT_LF_PROGRESS_FEATURES 9
// The loss buffer (doubles): means (10), running minima (10), update count (1).
#define LOPT_LF_LOSS_BUFFER 21

LOPT_HD float lopt_lf_rsqrt(float x) { return 1.0f / sqrtf(x); }

// Gradients are clipped elementwise to +-1000 before anything reads them.
LOPT_HD float lopt_lf_clip_grad(float g) { return lopt_clamp(g, -1000.0f, 1000.0f); }

// Decay k (0..2) of the momenta and of the factored second moments; the mean square decays by 0.999.
LOPT_HD float lopt_lf_decay(int k) { return k == 0 ? 0.9f : (k == 1 ? 0.99f : 0.999f); }
#define LOPT_LF_RMS_DECAY 0.999f

LOPT_HD float lopt_lf_ema(float old, float decay, float x) { return decay * old + (1.0f - decay) * x; }

// The factored second-moment input (g^2 + 1e-30), also the unfactored one.
LOPT_HD float lopt_lf_square(float g) { return g * g + 1e-30f; }

// Factors of a factored tensor: rf from the row entry and its mean r̄, cf from the column entry.
LOPT_HD float lopt_lf_row_factor(float vrow, float rbar) { return lopt_lf_rsqrt(fmaxf(vrow / (rbar + 1e-9f), 1e-9f)); }
LOPT_HD float lopt_lf_col_factor(float vcol) { return lopt_lf_rsqrt(fmaxf(vcol, 1e-9f)); }

// The 30 features of one element (values after this step's accumulator update).
// va/vb: v_row/v_col of the element (factored) or v twice (not factored); fac: rf*cf (factored)
// or rsqrt(max(v + 1e-9, 1e-9)); mfac: rf*cf (factored) or v^-1/2 without epsilon.
LOPT_HD void lopt_lf_features(float* x, float g, float p, const float* m, float rms, const float* va, const float* vb,
                              const float* fac, const float* mfac) {
    const float rho = lopt_lf_rsqrt(rms + 1e-6f);
    x[0] = g;
    x[1] = lopt_clamp(g, -0.1f, 0.1f);
    x[2] = p;
    x[6] = rms;
    x[10] = rho;
    x[14] = g * rho;
    for (int k = 0; k < 3; ++k) {
        x[3 + k] = m[k];
        x[7 + k] = m[k] * rho;
        x[11 + k] = g * fac[k];
        x[15 + k] = va[k];
        x[18 + k] = vb[k];
        x[21 + k] = lopt_lf_rsqrt(va[k] + 1e-8f);
        x[24 + k] = lopt_lf_rsqrt(vb[k] + 1e-8f);
        x[27 + k] = m[k] * mfac[k];
    }
}

// fac and mfac of an unfactored (0-D or 1-D) tensor's element from its v.
LOPT_HD void lopt_lf_vector_factors(const float* v, float* fac, float* mfac) {
    for (int k = 0; k < 3; ++k) {
        fac[k] = lopt_lf_rsqrt(fmaxf(v[k] + 1e-9f, 1e-9f));
        mfac[k] = lopt_lf_rsqrt(v[k]);
    }
}

// Per-tensor normalisation of feature column q from its mean square: x̂ = x * scale.
LOPT_HD float lopt_lf_feature_scale(double meanSquare) { return (float)(1.0 / sqrt(1e-5 + meanSquare)); }

// The step's scale from the tensor's mean square of p (before the update).
LOPT_HD float lopt_lf_param_rms(double meanSquare) { return (float)sqrt(meanSquare + 1e-9); }

// The MLP on normalised features x̂ (scale already applied): outputs d (direction) and a (magnitude);
// the third output is never used, so it is not computed.
LOPT_HD void lopt_lf_mlp(const float* __restrict__ w, const float* xhat, float* d, float* a) {
    float h1[LOPT_LF_HIDDEN], h2[LOPT_LF_HIDDEN];
    for (int j = 0; j < LOPT_LF_HIDDEN; ++j) h1[j] = w[LOPT_LF_B0 + j];
    for (int q = 0; q < LOPT_LF_FEATURES; ++q)
        for (int j = 0; j < LOPT_LF_HIDDEN; ++j) h1[j] += xhat[q] * w[LOPT_LF_W0 + q * LOPT_LF_HIDDEN + j];
    for (int j = 0; j < LOPT_LF_HIDDEN; ++j) h1[j] = fmaxf(h1[j], 0.0f);
    for (int j = 0; j < LOPT_LF_HIDDEN; ++j) {
        float z = w[LOPT_LF_B1 + j];
        for (int i = 0; i < LOPT_LF_HIDDEN; ++i) z += h1[i] * w[LOPT_LF_W1 + i * LOPT_LF_HIDDEN + j];
        h2[j] = fmaxf(z, 0.0f);
    }
    float o0 = w[LOPT_LF_B2 + 0], o1 = w[LOPT_LF_B2 + 1];
    for (int i = 0; i < LOPT_LF_HIDDEN; ++i) {
        o0 += h2[i] * w[LOPT_LF_W2 + i * LOPT_LF_OUTPUTS + 0];
        o1 += h2[i] * w[LOPT_LF_W2 + i * LOPT_LF_OUTPUTS + 1];
    }
    *d = o0;
    *a = o1;
}

// Δ = s · d · exp(0.001 a) · 0.001 · σ_p; the parameter moves by -Δ.
LOPT_HD float lopt_lf_delta(float s, float d, float a, float paramRms) { return s * d * expf(0.001f * a) * 0.001f * paramRms; }

// --- global features (double) ---

// Decays of the 10 loss means for a run of totalSteps steps: half-lives 10^(1 + (log10 N - 1) j / 9).
LOPT_HD double lopt_lf_loss_decay(int j, double totalSteps) {
    double halflife = pow(10.0, 1.0 + (log10(totalSteps) - 1.0) * j / 9.0);
    return exp(-1.0 / halflife);
}

LOPT_HD void lopt_lf_loss_init(double* buf) {
    for (int j = 0; j < LOPT_LF_LOSS_MEANS; ++j) {
        buf[j] = 0.0;
        buf[LOPT_LF_LOSS_MEANS + j] = 999999999999.0;
    }
    buf[2 * LOPT_LF_LOSS_MEANS] = 0.0;
}

// Adds the minibatch loss at the current parameters. A loss above twice the largest bias-corrected
// mean is clipped to it (the first loss is taken as is).
LOPT_HD void lopt_lf_loss_update(double* buf, double totalSteps, double loss) {
    double* means = buf;
    double* rmin = buf + LOPT_LF_LOSS_MEANS;
    double it = buf[2 * LOPT_LF_LOSS_MEANS];
    double a = loss;
    if (it > 0.0) {
        a = -1e308;
        for (int j = 0; j < LOPT_LF_LOSS_MEANS; ++j) {
            double d = lopt_lf_loss_decay(j, totalSteps);
            a = fmax(a, means[j] / (1.0 - pow(d, it + 1.0)));
        }
    }
    double l = fmin(2.0 * fabs(a), loss);
    for (int j = 0; j < LOPT_LF_LOSS_MEANS; ++j) {
        double d = lopt_lf_loss_decay(j, totalSteps);
        means[j] = d * means[j] + (1.0 - d) * l;
        rmin[j] = fmin(rmin[j], means[j] / (1.0 - pow(d, it + 1.0)));
    }
    buf[2 * LOPT_LF_LOSS_MEANS] = it + 1.0;
}

// The 9 loss features in [-1, 1]: where each mean sits between its running minimum and the next-slower mean.
LOPT_HD void lopt_lf_loss_features(const double* buf, double totalSteps, double* f) {
    const double* means = buf;
    const double* rmin = buf + LOPT_LF_LOSS_MEANS;
    double it = buf[2 * LOPT_LF_LOSS_MEANS];
    double c[LOPT_LF_LOSS_MEANS];
    for (int j = 0; j < LOPT_LF_LOSS_MEANS; ++j) c[j] = it > 0.0 ? means[j] / (1.0 - pow(lopt_lf_loss_decay(j, totalSteps), it)) : 0.0;
    for (int j = 0; j < LOPT_LF_LOSS_FEATURES; ++j)
        f[j] = it <= 2.0 ? 0.0 : lopt_clamp((c[j] - rmin[j]) / fmax(1e-8, c[j + 1] - rmin[j]) - 1.0, -1.0, 1.0);
}

// The 9 progress features tanh(10 (t/N - τ_j)), with t/N rounded to float as the reference does.
LOPT_HD void lopt_lf_progress_features(double step, double totalSteps, double* e) {
    const double tau[LOPT_LF_PROGRESS_FEATURES] = {0.03, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0, 1.1};
    double x = (double)(float)(step / totalSteps);
    for (int j = 0; j < LOPT_LF_PROGRESS_FEATURES; ++j) e[j] = tanh(10.0 * (x - tau[j]));
}

LOPT_HD double lopt_lf_sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

// One LSTM cell step on gate pre-activations z = [i | g | f | o] (4h), forget bias +1 built in.
LOPT_HD void lopt_lf_lstm_cell(const double* z, int hidden, double* h, double* c) {
    for (int j = 0; j < hidden; ++j) {
        double i = z[j], g = z[hidden + j], f = z[2 * hidden + j], o = z[3 * hidden + j];
        c[j] = lopt_lf_sigmoid(f + 1.0) * c[j] + lopt_lf_sigmoid(i) * tanh(g);
        h[j] = lopt_lf_sigmoid(o) * tanh(c[j]);
    }
}

#endif
