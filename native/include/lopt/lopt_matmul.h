// MatMulAlgorithm(n, k) per instance (docs/tasks.md), shared by the CPU launcher
// (native/cpu/matmul_cpu.cpp, one instance per OpenMP iteration) and the CUDA kernel
// (native/kernels/matmul.cu, one thread per instance). The float64 reference is
// src/LearnedOpt/Tasks/Synthetic/MatMulTask.cs; this is the same algorithm step for step:
// P = (Aθ_a) ⊙ (Bθ_b) over the n⁴ one-hot pairs, θ_c = (PᵀP)⁺PᵀC with the pseudo-inverse from a
// cyclic Jacobi eigendecomposition (eigenvalues below 1e-12·λmax count as zero: the guard against
// a singular PᵀP), f = ‖Pθ_c − C‖², the variable-projection gradient ∂f/∂P = 2(Pθ_c − C)θ_cᵀ and
// its directional derivative for the HVP (dθ_c from the normal equations).
// Inputs and outputs are float32; the arithmetic is float64, because the normal equations square
// the condition number of P (float32 would lose most digits near an exact algorithm). Only
// IEEE-exact operations (+ − × ÷ sqrt), so CPU and GPU results agree bit for bit.
// Workspace element e of an instance lives at ws[e·stride]: the CPU passes stride 1 (one slot per
// thread), the GPU interleaves the slots of its threads (stride = threads, slot = thread) so a
// warp's accesses to the same element are coalesced.
#ifndef LOPT_MATMUL_H
#define LOPT_MATMUL_H

#include "lopt_common.h"

// Doubles of workspace one instance needs.
LOPT_HD int64_t lopt_matmul_workspace(int n, int k) {
    int64_t cols = (int64_t)n * n, kk = k;
    return 3 * kk * kk + 5 * kk * cols + 2 * kk + 3 * cols;
}

LOPT_HD bool lopt_matmul_finite(double x) { return x - x == 0.0; }

// Row r of P (and of dP along v when v is non-null) for one instance, into p[m·st] and dp[m·st].
LOPT_HD void lopt_matmul_row(int k, int cols, int r, const float* theta, const float* v, double* p, double* dp, int64_t st) {
    int a = r / cols, b = r % cols;
    const float* ta = theta + (int64_t)a * k;
    const float* tb = theta + (int64_t)cols * k + (int64_t)b * k;
    for (int m = 0; m < k; ++m) p[m * st] = (double)ta[m] * (double)tb[m];
    if (v) {
        const float* va = v + (int64_t)a * k;
        const float* vb = v + (int64_t)cols * k + (int64_t)b * k;
        for (int m = 0; m < k; ++m) dp[m * st] = (double)va[m] * (double)tb[m] + (double)ta[m] * (double)vb[m];
    }
}

// The column of C that is 1 in row r (e_ij · e_j2l = e_il when j = j2), or −1 when the row is 0.
LOPT_HD int lopt_matmul_one(int n, int r) {
    int cols = n * n, a = r / cols, b = r % cols;
    int i = a / n, j = a % n, j2 = b / n, l = b % n;
    return j == j2 ? i * n + l : -1;
}

// res = C_r − pᵀ t (t is k × cols); returns Σ res².
LOPT_HD double lopt_matmul_residual(int n, int k, int r, const double* p, const double* t, double* res, int64_t st) {
    int cols = n * n, one = lopt_matmul_one(n, r);
    double f = 0.0;
    for (int c = 0; c < cols; ++c) {
        double s = 0.0;
        for (int m = 0; m < k; ++m) s += p[m * st] * t[(m * cols + c) * st];
        double e = (c == one ? 1.0 : 0.0) - s;
        res[c * st] = e;
        f += e * e;
    }
    return f;
}

// pinv = (symmetric PSD g)⁺ by cyclic Jacobi (g and v are k × k scratch; g is destroyed). The
// sweep and threshold rules of DenseMath.SymmetricPseudoInverse.
LOPT_HD void lopt_matmul_pinv(int k, double* g, double* v, double* pinv, int64_t st) {
    for (int i = 0; i < k * k; ++i) v[i * st] = 0.0;
    for (int i = 0; i < k; ++i) v[(i * k + i) * st] = 1.0;
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0.0, diag = 0.0;
        for (int i = 0; i < k; ++i) {
            double gii = g[(i * k + i) * st];
            diag += gii * gii;
            for (int j = i + 1; j < k; ++j) {
                double gij = g[(i * k + j) * st];
                off += gij * gij;
            }
        }
        double tiny = diag > 4.9406564584124654e-324 ? diag : 4.9406564584124654e-324;
        if (off <= 1e-30 * tiny) break;
        for (int p = 0; p < k; ++p)
            for (int q = p + 1; q < k; ++q) {
                double apq = g[(p * k + q) * st];
                if (apq == 0.0) continue;
                double theta = (g[(q * k + q) * st] - g[(p * k + p) * st]) / (2.0 * apq);
                double sign = theta > 0.0 ? 1.0 : (theta < 0.0 ? -1.0 : 0.0);
                double t = theta == 0.0 ? 1.0 : sign / ((theta < 0.0 ? -theta : theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int i = 0; i < k; ++i) {
                    double aip = g[(i * k + p) * st], aiq = g[(i * k + q) * st];
                    g[(i * k + p) * st] = c * aip - s * aiq;
                    g[(i * k + q) * st] = s * aip + c * aiq;
                }
                for (int i = 0; i < k; ++i) {
                    double api = g[(p * k + i) * st], aqi = g[(q * k + i) * st];
                    g[(p * k + i) * st] = c * api - s * aqi;
                    g[(q * k + i) * st] = s * api + c * aqi;
                }
                for (int i = 0; i < k; ++i) {
                    double vip = v[(i * k + p) * st], viq = v[(i * k + q) * st];
                    v[(i * k + p) * st] = c * vip - s * viq;
                    v[(i * k + q) * st] = s * vip + c * viq;
                }
            }
    }
    double max = 0.0;
    for (int i = 0; i < k; ++i) {
        double gii = g[(i * k + i) * st];
        double a = gii < 0.0 ? -gii : gii;
        max = a > max ? a : max;
    }
    for (int i = 0; i < k * k; ++i) pinv[i * st] = 0.0;
    for (int e = 0; e < k; ++e) {
        double lambda = g[(e * k + e) * st];
        if (!(lambda > 1e-12 * max)) continue;
        for (int i = 0; i < k; ++i) {
            double vi = v[(i * k + e) * st] / lambda;
            for (int j = 0; j < k; ++j) pinv[(i * k + j) * st] += vi * v[(j * k + e) * st];
        }
    }
}

// out (k × cols) = pinv (k × k) · x (k × cols).
LOPT_HD void lopt_matmul_apply(int k, int cols, const double* pinv, const double* x, double* out, int64_t st) {
    for (int i = 0; i < k; ++i)
        for (int c = 0; c < cols; ++c) {
            double s = 0.0;
            for (int m = 0; m < k; ++m) s += pinv[(i * k + m) * st] * x[(m * cols + c) * st];
            out[(i * cols + c) * st] = s;
        }
}

// One instance: theta (2·n²·k floats: θ_a then θ_b, each n² × k row-major). loss (one float), grad
// (2n²k) and, with v, hv = ∇²f·v (2n²k) may each be null. ws holds lopt_matmul_workspace(n, k)
// doubles at stride st. A non-finite theta (or v) gives NaN outputs.
LOPT_HD void lopt_matmul_instance(int n, int k, const float* theta, float* loss, float* grad, const float* v, float* hv,
                                  double* ws, int64_t st) {
    const int cols = n * n, rows = cols * cols, half = cols * k, dim = 2 * half;
    double* g = ws;
    double* vecs = g + (int64_t)k * k * st;
    double* pinv = vecs + (int64_t)k * k * st;
    double* tc = pinv + (int64_t)k * k * st;          // θ_c (k × cols)
    double* mm = tc + (int64_t)k * cols * st;         // PᵀC, then dPᵀR − Pᵀ dP θ_c
    double* dtc = mm + (int64_t)k * cols * st;        // dθ_c
    double* acc = dtc + (int64_t)k * cols * st;       // gradient / HVP accumulator (dim)
    double* p = acc + (int64_t)dim * st;
    double* dp = p + (int64_t)k * st;
    double* res = dp + (int64_t)k * st;
    double* dpt = res + (int64_t)cols * st;
    double* dfit = dpt + (int64_t)cols * st;

    double bad = 0.0;  // a non-finite input, if any: bad − bad is then NaN
    for (int i = 0; i < dim; ++i) {
        if (!lopt_matmul_finite((double)theta[i])) bad = theta[i];
        if (hv && !lopt_matmul_finite((double)v[i])) bad = v[i];
    }
    if (!lopt_matmul_finite(bad)) {
        float nan = (float)(bad - bad);
        if (loss) *loss = nan;
        for (int i = 0; i < dim; ++i) {
            if (grad) grad[i] = nan;
            if (hv) hv[i] = nan;
        }
        return;
    }

    // Normal equations: g = PᵀP, mm = PᵀC.
    for (int i = 0; i < k * k; ++i) g[i * st] = 0.0;
    for (int i = 0; i < k * cols; ++i) mm[i * st] = 0.0;
    for (int r = 0; r < rows; ++r) {
        lopt_matmul_row(k, cols, r, theta, nullptr, p, nullptr, st);
        for (int a = 0; a < k; ++a)
            for (int b = 0; b < k; ++b) g[(a * k + b) * st] += p[a * st] * p[b * st];
        int one = lopt_matmul_one(n, r);
        if (one >= 0)
            for (int m = 0; m < k; ++m) mm[(m * cols + one) * st] += p[m * st];
    }
    lopt_matmul_pinv(k, g, vecs, pinv, st);
    lopt_matmul_apply(k, cols, pinv, mm, tc, st);

    // Loss, gradient and (for the HVP) mm = dPᵀR − Pᵀ(dP θ_c).
    if (hv)
        for (int i = 0; i < k * cols; ++i) mm[i * st] = 0.0;
    for (int i = 0; i < dim; ++i) acc[i * st] = 0.0;
    double f = 0.0;
    for (int r = 0; r < rows; ++r) {
        lopt_matmul_row(k, cols, r, theta, hv ? v : nullptr, p, dp, st);
        f += lopt_matmul_residual(n, k, r, p, tc, res, st);
        if (grad) {
            int a = r / cols, b = r % cols;
            for (int m = 0; m < k; ++m) {
                double gp = 0.0;
                for (int c = 0; c < cols; ++c) gp += res[c * st] * tc[(m * cols + c) * st];
                gp *= -2.0;
                acc[(a * k + m) * st] += gp * (double)theta[half + b * k + m];
                acc[(half + b * k + m) * st] += gp * (double)theta[a * k + m];
            }
        }
        if (hv) {
            for (int c = 0; c < cols; ++c) {
                double s = 0.0;
                for (int m = 0; m < k; ++m) s += dp[m * st] * tc[(m * cols + c) * st];
                dpt[c * st] = s;
            }
            for (int m = 0; m < k; ++m)
                for (int c = 0; c < cols; ++c) mm[(m * cols + c) * st] += dp[m * st] * res[c * st] - p[m * st] * dpt[c * st];
        }
    }
    if (loss) *loss = (float)f;
    if (grad)
        for (int i = 0; i < dim; ++i) grad[i] = (float)acc[i * st];
    if (!hv) return;

    // dθ_c, then d(∂f/∂P) = 2(dP θ_c + P dθ_c)θ_cᵀ − 2R dθ_cᵀ pulled back to θ, plus ∂f/∂P along v.
    lopt_matmul_apply(k, cols, pinv, mm, dtc, st);
    for (int i = 0; i < dim; ++i) acc[i * st] = 0.0;
    for (int r = 0; r < rows; ++r) {
        lopt_matmul_row(k, cols, r, theta, v, p, dp, st);
        lopt_matmul_residual(n, k, r, p, tc, res, st);
        for (int c = 0; c < cols; ++c) {
            double s = 0.0, t = 0.0;
            for (int m = 0; m < k; ++m) {
                s += dp[m * st] * tc[(m * cols + c) * st];
                t += p[m * st] * dtc[(m * cols + c) * st];
            }
            dfit[c * st] = t + s;
        }
        int a = r / cols, b = r % cols;
        for (int m = 0; m < k; ++m) {
            double dg = 0.0, rd = 0.0, gp = 0.0;
            for (int c = 0; c < cols; ++c) {
                dg += dfit[c * st] * tc[(m * cols + c) * st];
                rd += res[c * st] * dtc[(m * cols + c) * st];
                gp += res[c * st] * tc[(m * cols + c) * st];
            }
            dg = 2.0 * dg - 2.0 * rd;
            gp *= -2.0;
            int ia = a * k + m, ib = half + b * k + m;
            acc[ia * st] += dg * (double)theta[ib] + gp * (double)v[ib];
            acc[ib * st] += dg * (double)theta[ia] + gp * (double)v[ia];
        }
    }
    for (int i = 0; i < dim; ++i) hv[i] = (float)acc[i * st];
}

#endif
