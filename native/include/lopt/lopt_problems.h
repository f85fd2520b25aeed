// Per-instance math of the synthetic problem families in float32, shared by the CPU launchers
// (native/cpu/problems_cpu.cpp) and the CUDA kernels (native/kernels/problems.cu). The float64
// reference of the same formulas is src/LearnedOpt/Tasks/Synthetic (the tests compare the two).
#ifndef LOPT_PROBLEMS_H
#define LOPT_PROBLEMS_H

#include "lopt_common.h"

// Order of the C# enum LearnedOpt.Tasks.Synthetic.TestFunction.
#define LOPT_TF_ROSENBROCK 0
#define LOPT_TF_BEALE 1
#define LOPT_TF_BOOTH 2
#define LOPT_TF_BRANIN 3
#define LOPT_TF_MATYAS 4
#define LOPT_TF_ACKLEY 5
#define LOPT_TF_STYBLINSKI_TANG 6
#define LOPT_TF_MICHALEWICZ 7
#define LOPT_TF_LOG_SUM_EXP 8
#define LOPT_TF_COUNT 9

#define LOPT_PI_F 3.14159265358979323846f
#define LOPT_NORM_EPS 1e-6f

// Quiet NaN without <math.h>'s NAN macro, which NVRTC does not provide.
LOPT_HD float lopt_nan_f(void) {
#if LOPT_DEVICE && defined(__CUDA_ARCH__)
    return __int_as_float(0x7fc00000);
#else
    return NAN;
#endif
}

// h(z) = sin z · sin^10(i z²/π) (Michalewicz, m = 5) and its first two derivatives.
LOPT_HD void lopt_michalewicz_term(float z, float i, float* h, float* d, float* dd) {
    float u = i * z * z / LOPT_PI_F, du = 2.0f * i * z / LOPT_PI_F, ddu = 2.0f * i / LOPT_PI_F;
    float s = sinf(u), c = cosf(u), sz = sinf(z), cz = cosf(z);
    float s2 = s * s, s4 = s2 * s2, s8 = s4 * s4, s9 = s8 * s, s10 = s9 * s;
    *h = sz * s10;
    *d = cz * s10 + 10.0f * sz * s9 * c * du;
    *dd = -sz * s10 + 20.0f * cz * s9 * c * du + 10.0f * sz * (9.0f * s8 * c * c * du * du - s10 * du * du + s9 * c * ddu);
}

// f(x, y) of test function fn with the reference's offsets; g (2) and h (hxx, hxy, hyy) may be null.
// Returns NaN for an unknown fn.
LOPT_HD float lopt_testfn(int fn, float x, float y, float* g, float* h) {
    float f, gx, gy, hxx, hxy, hyy;
    switch (fn) {
        case LOPT_TF_ROSENBROCK: {
            float u = y - x * x;
            f = (1.0f - x) * (1.0f - x) + 100.0f * u * u;
            gx = -2.0f * (1.0f - x) - 400.0f * x * u;
            gy = 200.0f * u;
            hxx = 2.0f - 400.0f * y + 1200.0f * x * x; hxy = -400.0f * x; hyy = 200.0f;
            break;
        }
        case LOPT_TF_BEALE: {
            const float cs[3] = {1.5f, 2.25f, 2.625f};
            f = gx = gy = hxx = hxy = hyy = 0.0f;
            float yi = 1.0f, yim2 = 0.0f;  // y^(i-1), y^(i-2)
            for (int i = 1; i <= 3; ++i) {
                float t = cs[i - 1] - x + x * yi * y;
                float a = yi * y - 1.0f, b = (float)i * x * yi;
                f += t * t;
                gx += 2.0f * t * a;
                gy += 2.0f * t * b;
                hxx += 2.0f * a * a;
                hxy += 2.0f * (a * b + t * (float)i * yi);
                hyy += 2.0f * (b * b + t * (float)(i * (i - 1)) * x * yim2);
                yim2 = yi;
                yi *= y;
            }
            break;
        }
        case LOPT_TF_BOOTH: {
            float a = x + 2.0f * y - 7.0f, b = 2.0f * x + y - 5.0f;
            f = a * a + b * b;
            gx = 10.0f * x + 8.0f * y - 34.0f; gy = 8.0f * x + 10.0f * y - 38.0f;
            hxx = 10.0f; hxy = 8.0f; hyy = 10.0f;
            break;
        }
        case LOPT_TF_BRANIN: {
            const float bb = 5.1f / (4.0f * LOPT_PI_F * LOPT_PI_F), cc = 5.0f / LOPT_PI_F, t = 1.0f / (8.0f * LOPT_PI_F);
            float u = y - bb * x * x + cc * x - 6.0f, du = cc - 2.0f * bb * x;
            f = u * u + 10.0f * (1.0f - t) * cosf(x) + 10.0f;
            gx = 2.0f * u * du - 10.0f * (1.0f - t) * sinf(x); gy = 2.0f * u;
            hxx = 2.0f * du * du - 4.0f * bb * u - 10.0f * (1.0f - t) * cosf(x); hxy = 2.0f * du; hyy = 2.0f;
            break;
        }
        case LOPT_TF_MATYAS:
            f = 0.26f * (x * x + y * y) - 0.48f * x * y;
            gx = 0.52f * x - 0.48f * y; gy = 0.52f * y - 0.48f * x;
            hxx = 0.52f; hxy = -0.48f; hyy = 0.52f;
            break;
        case LOPT_TF_ACKLEY: {
            float rho = sqrtf(0.5f * (x * x + y * y));
            float e1 = expf(-0.2f * rho);
            float cx = cosf(2.0f * LOPT_PI_F * x), cy = cosf(2.0f * LOPT_PI_F * y);
            float sx = sinf(2.0f * LOPT_PI_F * x), sy = sinf(2.0f * LOPT_PI_F * y);
            float e2 = expf(0.5f * (cx + cy));
            f = -20.0f * e1 - e2 + 2.71828182845904524f + 20.0f;
            // The cone tip at the origin has no gradient; 0 is used there.
            float k = rho > 0.0f ? 2.0f * e1 / rho : 0.0f;
            float q = rho > 0.0f ? 2.0f * e1 * (0.1f / (rho * rho) + 0.5f / (rho * rho * rho)) : 0.0f;
            float pi2 = LOPT_PI_F * LOPT_PI_F;
            gx = k * x + LOPT_PI_F * e2 * sx; gy = k * y + LOPT_PI_F * e2 * sy;
            hxx = k - q * x * x + pi2 * e2 * (2.0f * cx - sx * sx);
            hxy = -q * x * y - pi2 * e2 * sx * sy;
            hyy = k - q * y * y + pi2 * e2 * (2.0f * cy - sy * sy);
            break;
        }
        case LOPT_TF_STYBLINSKI_TANG:
            f = 0.5f * (x * x * x * x - 16.0f * x * x + 5.0f * x + y * y * y * y - 16.0f * y * y + 5.0f * y) + 80.0f;
            gx = 0.5f * (4.0f * x * x * x - 32.0f * x + 5.0f); gy = 0.5f * (4.0f * y * y * y - 32.0f * y + 5.0f);
            hxx = 6.0f * x * x - 16.0f; hxy = 0.0f; hyy = 6.0f * y * y - 16.0f;
            break;
        case LOPT_TF_MICHALEWICZ: {
            float hx, dhx, ddhx, hy, dhy, ddhy;
            lopt_michalewicz_term(x, 1.0f, &hx, &dhx, &ddhx);
            lopt_michalewicz_term(y, 2.0f, &hy, &dhy, &ddhy);
            f = 2.0f - hx - hy;
            gx = -dhx; gy = -dhy; hxx = -ddhx; hxy = 0.0f; hyy = -ddhy;
            break;
        }
        case LOPT_TF_LOG_SUM_EXP: {
            float z0 = x + 3.0f * y - 0.1f, z1 = x - 3.0f * y - 0.1f, z2 = -x - 0.1f;
            float m = fmaxf(fmaxf(z0, z1), fmaxf(z2, 0.0f));
            float e0 = expf(z0 - m), e1 = expf(z1 - m), e2 = expf(z2 - m), e3 = expf(-m);
            float s = e0 + e1 + e2 + e3;
            f = m + logf(s);
            float p0 = e0 / s, p1 = e1 / s, p2 = e2 / s, p3 = e3 / s;
            gx = p0 + p1 - p2; gy = 3.0f * p0 - 3.0f * p1;
            // Covariance form Σ p_k (a_k - g)(a_k - g)ᵀ: no cancellation, unlike Σ p_k a_k a_kᵀ - g gᵀ.
            float d0x = 1.0f - gx, d0y = 3.0f - gy, d1x = 1.0f - gx, d1y = -3.0f - gy, d2x = -1.0f - gx, d2y = -gy;
            hxx = p0 * d0x * d0x + p1 * d1x * d1x + p2 * d2x * d2x + p3 * gx * gx;
            hxy = p0 * d0x * d0y + p1 * d1x * d1y + p2 * d2x * d2y + p3 * gx * gy;
            hyy = p0 * d0y * d0y + p1 * d1y * d1y + p2 * d2y * d2y + p3 * gy * gy;
            break;
        }
        default:
            f = gx = gy = hxx = hxy = hyy = lopt_nan_f();
            break;
    }
    if (g) { g[0] = gx; g[1] = gy; }
    if (h) { h[0] = hxx; h[1] = hxy; h[2] = hyy; }
    return f;
}

// Norm(n, p) per residual entry: a = |r| + ε, the loss term a^p, the gradient weight
// u = f^{1-p} a^{p-1} sign(r) and the Hessian diagonal (p-1) f^{1-p} a^{p-2};
// ∇²_r f = (1-p)/f · u uᵀ + diag(hdiag).
LOPT_HD float lopt_norm_term(float r, float p) { return powf(fabsf(r) + LOPT_NORM_EPS, p); }
LOPT_HD float lopt_norm_weight(float r, float f, float p) {
    return powf(f, 1.0f - p) * powf(fabsf(r) + LOPT_NORM_EPS, p - 1.0f) * lopt_sign(r);
}
LOPT_HD float lopt_norm_hdiag(float r, float f, float p) {
    return (p - 1.0f) * powf(f, 1.0f - p) * powf(fabsf(r) + LOPT_NORM_EPS, p - 2.0f);
}
// The loss f = s^{1/p} from the sum s of the terms.
LOPT_HD float lopt_norm_loss(float s, float p) { return powf(s, 1.0f / p); }
// Entry i of the Hessian-vector product in residual space, ∇²_r f · (W v): from the entry's
// residual r, weight u and (W v)_i = wv, and uw = uᵀ (W v) over the whole residual.
LOPT_HD float lopt_norm_hv_entry(float r, float u, float wv, float uw, float f, float p) {
    return (1.0f - p) / f * u * uw + lopt_norm_hdiag(r, f, p) * wv;
}

// Two-class classifiers (logistic regression and sigmoid MLPs with one output logit).
// softplus(z) - y·z is the sigmoid cross-entropy of logit z and label y in {0, 1}.
LOPT_HD float lopt_softplus(float z) { return fmaxf(z, 0.0f) + log1pf(expf(-fabsf(z))); }

// Parameters of layer l in a flat vector: w_l (widths[l] × widths[l+1], row-major) then b_l.
LOPT_HD int lopt_mlp_dim(int layers, const int* widths) {
    int d = 0;
    for (int l = 0; l < layers; ++l) d += widths[l] * widths[l + 1] + widths[l + 1];
    return d;
}

// One row through the network: returns its cross-entropy and, when grad is non-null, adds
// scale · ∂loss/∂θ to grad. act holds Σ widths[0..layers] floats; d0, d1 hold max width each.
LOPT_HD float lopt_mlp_row(int layers, const int* widths, const float* theta, const float* xrow, float y,
                           float* act, float* d0, float* d1, float* grad, float scale) {
    // Forward: act = [input | hidden activations | logit].
    for (int i = 0; i < widths[0]; ++i) act[i] = xrow[i];
    int in_off = 0, p_off = 0;
    for (int l = 0; l < layers; ++l) {
        int n_in = widths[l], n_out = widths[l + 1], out_off = in_off + n_in;
        const float* w = theta + p_off;
        const float* b = w + n_in * n_out;
        for (int o = 0; o < n_out; ++o) act[out_off + o] = b[o];
        for (int i = 0; i < n_in; ++i) {
            float a = act[in_off + i];
            for (int o = 0; o < n_out; ++o) act[out_off + o] += a * w[i * n_out + o];
        }
        if (l < layers - 1)
            for (int o = 0; o < n_out; ++o) act[out_off + o] = lopt_sigmoid(act[out_off + o]);
        in_off = out_off;
        p_off += n_in * n_out + n_out;
    }
    float z = act[in_off];
    float loss = lopt_softplus(z) - y * z;
    if (!grad) return loss;

    // Backward: delta of the logit, then through each layer (sigmoid' = a(1 - a)).
    d0[0] = (lopt_sigmoid(z) - y) * scale;
    float* cur = d0;
    float* prev = d1;
    int out_off = in_off;
    for (int l = layers - 1; l >= 0; --l) {
        int n_in = widths[l], n_out = widths[l + 1];
        p_off -= n_in * n_out + n_out;
        in_off = out_off - n_in;
        const float* w = theta + p_off;
        float* gw = grad + p_off;
        float* gb = gw + n_in * n_out;
        for (int i = 0; i < n_in; ++i) {
            float a = act[in_off + i];
            float back = 0.0f;
            for (int o = 0; o < n_out; ++o) {
                gw[i * n_out + o] += a * cur[o];
                back += cur[o] * w[i * n_out + o];
            }
            if (l > 0) prev[i] = back * a * (1.0f - a);
        }
        for (int o = 0; o < n_out; ++o) gb[o] += cur[o];
        float* t = cur; cur = prev; prev = t;
        out_off = in_off;
    }
    return loss;
}

// Per-element pieces of the classifiers' loss and its derivatives, shared by the row functions
// below and the CUDA kernels of native/kernels/classifier.cu (which run the layers as GEMMs).
// Cross-entropy of logit z and label y: softplus(z) − y·z; d/dz = σ(z) − y; d²/dz² = σ(z)(1 − σ(z)).
LOPT_HD float lopt_xent(float z, float y) { return lopt_softplus(z) - y * z; }
LOPT_HD float lopt_xent_dz(float z, float y) { return lopt_sigmoid(z) - y; }
LOPT_HD float lopt_xent_dzz(float z) {
    float s = lopt_sigmoid(z);
    return s * (1.0f - s);
}

// Back through a hidden unit a = σ(z) with its R-derivative ra = σ'(z)·rz: from e = ∂loss/∂a and
// its R-derivative re, writes delta = e·σ'(z) and rdelta = re·σ'(z) + e·σ''(z)·rz, using
// σ' = a(1 − a) and σ''·rz = (1 − 2a)·ra. rdelta may be null (gradient only).
LOPT_HD void lopt_sigmoid_back(float a, float ra, float e, float re, float* delta, float* rdelta) {
    float ds = a * (1.0f - a);
    *delta = e * ds;
    if (rdelta) *rdelta = re * ds + e * (1.0f - 2.0f * a) * ra;
}

// Hessian-vector product of one row (Pearlmutter's R-operator, forward-over-reverse): returns the
// row's cross-entropy and adds scale · (∇²loss_row)·v to hv (the L2 term is the caller's).
// act and ract hold Σ widths[0..layers] floats each (activations and their R-derivatives; the last
// slot is the logit z and rz); d0, d1, r0, r1 hold the widest layer each.
LOPT_HD float lopt_mlp_row_hvp(int layers, const int* widths, const float* theta, const float* v, const float* xrow,
                               float y, float* act, float* ract, float* d0, float* d1, float* r0, float* r1,
                               float* hv, float scale) {
    // Forward: a_{l+1} = σ(a_l W_l + b_l), ra_{l+1} = σ'·(ra_l W_l + a_l V_l + vb_l), ra_0 = 0.
    for (int i = 0; i < widths[0]; ++i) { act[i] = xrow[i]; ract[i] = 0.0f; }
    int in_off = 0, p_off = 0;
    for (int l = 0; l < layers; ++l) {
        int n_in = widths[l], n_out = widths[l + 1], out_off = in_off + n_in;
        const float* w = theta + p_off;
        const float* b = w + n_in * n_out;
        const float* vw = v + p_off;
        const float* vb = vw + n_in * n_out;
        for (int o = 0; o < n_out; ++o) { act[out_off + o] = b[o]; ract[out_off + o] = vb[o]; }
        for (int i = 0; i < n_in; ++i) {
            float a = act[in_off + i], ra = ract[in_off + i];
            for (int o = 0; o < n_out; ++o) {
                act[out_off + o] += a * w[i * n_out + o];
                ract[out_off + o] += ra * w[i * n_out + o] + a * vw[i * n_out + o];
            }
        }
        if (l < layers - 1)
            for (int o = 0; o < n_out; ++o) {
                float s = lopt_sigmoid(act[out_off + o]);
                act[out_off + o] = s;
                ract[out_off + o] *= s * (1.0f - s);
            }
        in_off = out_off;
        p_off += n_in * n_out + n_out;
    }
    float z = act[in_off], rz = ract[in_off];
    float loss = lopt_xent(z, y);

    // Backward of delta = ∂loss/∂z_l and rdelta = R{delta}:
    // H_W = ra_lᵀ·delta + a_lᵀ·rdelta, H_b = rdelta, e = delta W_lᵀ, re = rdelta W_lᵀ + delta V_lᵀ.
    d0[0] = lopt_xent_dz(z, y) * scale;
    r0[0] = lopt_xent_dzz(z) * rz * scale;
    float *cur = d0, *prev = d1, *rcur = r0, *rprev = r1;
    int out_off = in_off;
    for (int l = layers - 1; l >= 0; --l) {
        int n_in = widths[l], n_out = widths[l + 1];
        p_off -= n_in * n_out + n_out;
        in_off = out_off - n_in;
        const float* w = theta + p_off;
        const float* vw = v + p_off;
        float* hw = hv + p_off;
        float* hb = hw + n_in * n_out;
        for (int i = 0; i < n_in; ++i) {
            float a = act[in_off + i], ra = ract[in_off + i];
            float e = 0.0f, re = 0.0f;
            for (int o = 0; o < n_out; ++o) {
                hw[i * n_out + o] += ra * cur[o] + a * rcur[o];
                e += cur[o] * w[i * n_out + o];
                re += rcur[o] * w[i * n_out + o] + cur[o] * vw[i * n_out + o];
            }
            if (l > 0) lopt_sigmoid_back(a, ra, e, re, &prev[i], &rprev[i]);
        }
        for (int o = 0; o < n_out; ++o) hb[o] += rcur[o];
        float* t = cur; cur = prev; prev = t;
        t = rcur; rcur = rprev; rprev = t;
        out_off = in_off;
    }
    return loss;
}

// One instance k of a batch of 2-D test functions: loss, gradient and Hessian-vector product into
// the batch arrays (any output may be null). Shared by the CPU launcher and the CUDA kernel.
LOPT_HD void lopt_testfn_instance(int fn, int64_t k, const float* theta, float* loss, float* grad, const float* v, float* hv) {
    float g[2] = {0.0f, 0.0f}, h[3] = {0.0f, 0.0f, 0.0f};
    float f = lopt_testfn(fn, theta[2 * k], theta[2 * k + 1], grad ? g : nullptr, hv ? h : nullptr);
    if (loss) loss[k] = f;
    if (grad) { grad[2 * k] = g[0]; grad[2 * k + 1] = g[1]; }
    if (hv) {
        float v0 = v[2 * k], v1 = v[2 * k + 1];
        hv[2 * k] = h[0] * v0 + h[1] * v1;
        hv[2 * k + 1] = h[1] * v0 + h[2] * v1;
    }
}

#endif
