// MatMulAlgorithm(n, k) per instance (problems.md §2.7), shared by the CPU launcher
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
#ifndef LOPT_MATMUL_H
#define LOPT_MATMUL_H

#include "lopt_common.h"

// Doubles of workspace one instance needs.
LOPT_HD int64_t lopt_matmul_workspace(int n, int k) {
    int64_t cols = (int64_t)n * n, kk = k;
    return 3 * kk * kk + 5 * kk * cols + 2 * kk + 3 * cols;
}

LOPT_HD bool lopt_matmul_finite(double x) { return x - x == 0.0; }

// Row r of P (and of dP along v when v is non-null) for one instance.
LOPT_HD void lopt_matmul_row(int k, int cols, int r, const float* theta, const float* v, double* p, double* dp) {
    int a = r / cols, b = r % cols;
    const float* ta = theta + (int64_t)a * k;
    const float* tb = theta + (int64_t)cols * k + (int64_t)b * k;
    for (int m = 0; m < k; ++m) p[m] = (double)ta[m] * (double)tb[m];
    if (v) {
        const float* va = v + (int64_t)a * k;
        const float* vb = v + (int64_t)cols * k + (int64_t)b * k;
        for (int m = 0; m < k; ++m) dp[m] = (double)va[m] * (double)tb[m] + (double)ta[m] * (double)vb[m];
    }
}

// The column of C that is 1 in row r (e_ij · e_j2l = e_il when j = j2), or −1 when the row is 0.
LOPT_HD int lopt_matmul_one(int n, int r) {
    int cols = n * n, a = r / cols, b = r % cols;
    int i = a / n, j = a % n, j2 = b / n, l = b % n;
    return j == j2 ? i * n + l : -1;
}

// res = C_r − pᵀ t (t is k × cols); returns Σ res².
LOPT_HD double lopt_matmul_residual(int n, int k, int r, const double* p, const double* t, double* res) {
    int cols = n * n, one = lopt_matmul_one(n, r);
    double f = 0.0;
    for (int c = 0; c < cols; ++c) {
        double s = 0.0;
        for (int m = 0; m < k; ++m) s += p[m] * t[m * cols + c];
        res[c] = (c == one ? 1.0 : 0.0) - s;
        f += res[c] * res[c];
    }
    return f;
}

// pinv = (symmetric PSD g)⁺ by cyclic Jacobi (g and v are k × k scratch; g is destroyed). The
// sweep and threshold rules of DenseMath.SymmetricPseudoInverse.
LOPT_HD void lopt_matmul_pinv(int k, double* g, double* v, double* pinv) {
    for (int i = 0; i < k * k; ++i) v[i] = 0.0;
    for (int i = 0; i < k; ++i) v[i * k + i] = 1.0;
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0.0, diag = 0.0;
        for (int i = 0; i < k; ++i) {
            diag += g[i * k + i] * g[i * k + i];
            for (int j = i + 1; j < k; ++j) off += g[i * k + j] * g[i * k + j];
        }
        double tiny = diag > 4.9406564584124654e-324 ? diag : 4.9406564584124654e-324;
        if (off <= 1e-30 * tiny) break;
        for (int p = 0; p < k; ++p)
            for (int q = p + 1; q < k; ++q) {
                double apq = g[p * k + q];
                if (apq == 0.0) continue;
                double theta = (g[q * k + q] - g[p * k + p]) / (2.0 * apq);
                double sign = theta > 0.0 ? 1.0 : (theta < 0.0 ? -1.0 : 0.0);
                double t = theta == 0.0 ? 1.0 : sign / ((theta < 0.0 ? -theta : theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int i = 0; i < k; ++i) {
                    double aip = g[i * k + p], aiq = g[i * k + q];
                    g[i * k + p] = c * aip - s * aiq;
                    g[i * k + q] = s * aip + c * aiq;
                }
                for (int i = 0; i < k; ++i) {
                    double api = g[p * k + i], aqi = g[q * k + i];
                    g[p * k + i] = c * api - s * aqi;
                    g[q * k + i] = s * api + c * aqi;
                }
                for (int i = 0; i < k; ++i) {
                    double vip = v[i * k + p], viq = v[i * k + q];
                    v[i * k + p] = c * vip - s * viq;
                    v[i * k + q] = s * vip + c * viq;
                }
            }
    }
    double max = 0.0;
    for (int i = 0; i < k; ++i) {
        double a = g[i * k + i] < 0.0 ? -g[i * k + i] : g[i * k + i];
        max = a > max ? a : max;
    }
    for (int i = 0; i < k * k; ++i) pinv[i] = 0.0;
    for (int e = 0; e < k; ++e) {
        double lambda = g[e * k + e];
        if (!(lambda > 1e-12 * max)) continue;
        for (int i = 0; i < k; ++i) {
            double vi = v[i * k + e] / lambda;
            for (int j = 0; j < k; ++j) pinv[i * k + j] += vi * v[j * k + e];
        }
    }
}

// out (k × cols) = pinv (k × k) · x (k × cols).
LOPT_HD void lopt_matmul_apply(int k, int cols, const double* pinv, const double* x, double* out) {
    for (int i = 0; i < k; ++i)
        for (int c = 0; c < cols; ++c) {
            double s = 0.0;
            for (int m = 0; m < k; ++m) s += pinv[i * k + m] * x[m * cols + c];
            out[i * cols + c] = s;
        }
}

// One instance: theta (2·n²·k floats: θ_a then θ_b, each n² × k row-major). loss (one float), grad
// (2n²k) and, with v, hv = ∇²f·v (2n²k) may each be null. ws holds lopt_matmul_workspace(n, k)
// doubles. A non-finite theta (or v) gives NaN outputs.
LOPT_HD void lopt_matmul_instance(int n, int k, const float* theta, float* loss, float* grad, const float* v, float* hv,
                                  double* ws) {
    const int cols = n * n, rows = cols * cols, half = cols * k, dim = 2 * half;
    double* g = ws;
    double* vecs = g + k * k;
    double* pinv = vecs + k * k;
    double* tc = pinv + k * k;          // θ_c (k × cols); first PᵀC
    double* mm = tc + k * cols;         // PᵀC, then dPᵀR − Pᵀ dP θ_c
    double* dtc = mm + k * cols;        // dθ_c
    double* acc = dtc + k * cols;       // gradient / HVP accumulator (dim)
    double* p = acc + dim;
    double* dp = p + k;
    double* res = dp + k;
    double* dpt = res + cols;
    double* dfit = dpt + cols;

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
    for (int i = 0; i < k * k; ++i) g[i] = 0.0;
    for (int i = 0; i < k * cols; ++i) mm[i] = 0.0;
    for (int r = 0; r < rows; ++r) {
        lopt_matmul_row(k, cols, r, theta, nullptr, p, nullptr);
        for (int a = 0; a < k; ++a)
            for (int b = 0; b < k; ++b) g[a * k + b] += p[a] * p[b];
        int one = lopt_matmul_one(n, r);
        if (one >= 0)
            for (int m = 0; m < k; ++m) mm[m * cols + one] += p[m];
    }
    lopt_matmul_pinv(k, g, vecs, pinv);
    lopt_matmul_apply(k, cols, pinv, mm, tc);

    // Loss, gradient and (for the HVP) mm = dPᵀR − Pᵀ(dP θ_c).
    if (hv)
        for (int i = 0; i < k * cols; ++i) mm[i] = 0.0;
    for (int i = 0; i < dim; ++i) acc[i] = 0.0;
    double f = 0.0;
    for (int r = 0; r < rows; ++r) {
        lopt_matmul_row(k, cols, r, theta, hv ? v : nullptr, p, dp);
        f += lopt_matmul_residual(n, k, r, p, tc, res);
        if (grad) {
            int a = r / cols, b = r % cols;
            for (int m = 0; m < k; ++m) {
                double gp = 0.0;
                for (int c = 0; c < cols; ++c) gp += res[c] * tc[m * cols + c];
                gp *= -2.0;
                acc[a * k + m] += gp * (double)theta[half + b * k + m];
                acc[half + b * k + m] += gp * (double)theta[a * k + m];
            }
        }
        if (hv) {
            for (int c = 0; c < cols; ++c) {
                double s = 0.0;
                for (int m = 0; m < k; ++m) s += dp[m] * tc[m * cols + c];
                dpt[c] = s;
            }
            for (int m = 0; m < k; ++m)
                for (int c = 0; c < cols; ++c) mm[m * cols + c] += dp[m] * res[c] - p[m] * dpt[c];
        }
    }
    if (loss) *loss = (float)f;
    if (grad)
        for (int i = 0; i < dim; ++i) grad[i] = (float)acc[i];
    if (!hv) return;

    // dθ_c, then d(∂f/∂P) = 2(dP θ_c + P dθ_c)θ_cᵀ − 2R dθ_cᵀ pulled back to θ, plus ∂f/∂P along v.
    lopt_matmul_apply(k, cols, pinv, mm, dtc);
    for (int i = 0; i < dim; ++i) acc[i] = 0.0;
    for (int r = 0; r < rows; ++r) {
        lopt_matmul_row(k, cols, r, theta, v, p, dp);
        lopt_matmul_residual(n, k, r, p, tc, res);
        for (int c = 0; c < cols; ++c) {
            double s = 0.0, t = 0.0;
            for (int m = 0; m < k; ++m) {
                s += dp[m] * tc[m * cols + c];
                t += p[m] * dtc[m * cols + c];
            }
            dfit[c] = t + s;
        }
        int a = r / cols, b = r % cols;
        for (int m = 0; m < k; ++m) {
            double dg = 0.0, rd = 0.0, gp = 0.0;
            for (int c = 0; c < cols; ++c) {
                dg += dfit[c] * tc[m * cols + c];
                rd += res[c] * dtc[m * cols + c];
                gp += res[c] * tc[m * cols + c];
            }
            dg = 2.0 * dg - 2.0 * rd;
            gp *= -2.0;
            int ia = a * k + m, ib = half + b * k + m;
            acc[ia] += dg * (double)theta[ib] + gp * (double)v[ib];
            acc[ib] += dg * (double)theta[ia] + gp * (double)v[ia];
        }
    }
    for (int i = 0; i < dim; ++i) hv[i] = (float)acc[i];
}

#endif
