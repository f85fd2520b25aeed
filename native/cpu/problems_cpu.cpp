// CPU launchers of the batched synthetic problems: instances in parallel (OpenMP), the
// per-instance math of lopt_problems.h. Dense families loop rows serially per instance.
#include "lopt/lopt_problems_abi.h"
#include "lopt/lopt_problems.h"
#include "lopt_cpu_internal.h"
#include <vector>

namespace {

bool bad_hvp_args(const float* v, const float* hv) { return (v == nullptr) != (hv == nullptr); }

// r = W x - y (y may be null).
void residual(const float* w, const float* x, const float* y, int n, float* r) {
    for (int i = 0; i < n; ++i) {
        const float* row = w + (int64_t)i * n;
        float s = 0.0f;
        for (int j = 0; j < n; ++j) s += row[j] * x[j];
        r[i] = y ? s - y[i] : s;
    }
}

// g = Wᵀ u.
void transposed(const float* w, const float* u, int n, float* g) {
    for (int j = 0; j < n; ++j) g[j] = 0.0f;
    for (int i = 0; i < n; ++i) {
        const float* row = w + (int64_t)i * n;
        float ui = u[i];
        for (int j = 0; j < n; ++j) g[j] += row[j] * ui;
    }
}

}  // namespace

extern "C" {

LOPT_API int32_t lopt_problems_abi_version(void) { return LOPT_PROBLEMS_ABI_VERSION; }

LOPT_API int32_t lopt_problems_testfn(int32_t fn, int64_t count, const float* theta, float* loss, float* grad,
                                      const float* v, float* hv) {
    if (fn < 0 || fn >= LOPT_TF_COUNT) { lopt_set_error("lopt_problems_testfn: unknown test function"); return LOPT_E_ARGUMENT; }
    if (count < 0 || (count > 0 && !theta) || bad_hvp_args(v, hv)) {
        lopt_set_error("lopt_problems_testfn: bad count or pointer"); return LOPT_E_ARGUMENT;
    }
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < count; ++k) {
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
    return 0;
}

LOPT_API int32_t lopt_problems_bowl(int64_t count, const float* a, const float* theta, float* loss, float* grad,
                                    const float* v, float* hv) {
    if (count < 0 || (count > 0 && (!a || !theta)) || bad_hvp_args(v, hv)) {
        lopt_set_error("lopt_problems_bowl: bad count or pointer"); return LOPT_E_ARGUMENT;
    }
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < count; ++k) {
        float r[2], g[2];
        residual(a + 4 * k, theta + 2 * k, nullptr, 2, r);
        if (loss) loss[k] = 0.5f * (r[0] * r[0] + r[1] * r[1]);
        if (grad) { transposed(a + 4 * k, r, 2, g); grad[2 * k] = g[0]; grad[2 * k + 1] = g[1]; }
        if (hv) {
            residual(a + 4 * k, v + 2 * k, nullptr, 2, r);
            transposed(a + 4 * k, r, 2, hv + 2 * k);
        }
    }
    return 0;
}

LOPT_API int32_t lopt_problems_quadratic(int64_t count, int32_t n, const float* w, const float* y, const float* theta,
                                         float* loss, float* grad, const float* v, float* hv) {
    if (count < 0 || n < 1 || (count > 0 && (!w || !y || !theta)) || bad_hvp_args(v, hv)) {
        lopt_set_error("lopt_problems_quadratic: bad count, n or pointer"); return LOPT_E_ARGUMENT;
    }
#pragma omp parallel
    {
        std::vector<float> r((size_t)n);
#pragma omp for schedule(static)
        for (int64_t k = 0; k < count; ++k) {
            const float* wk = w + k * (int64_t)n * n;
            if (loss || grad) {
                residual(wk, theta + k * n, y + k * n, n, r.data());
                if (loss) {
                    float s = 0.0f;
                    for (int i = 0; i < n; ++i) s += r[i] * r[i];
                    loss[k] = 0.5f * s;
                }
                if (grad) transposed(wk, r.data(), n, grad + k * n);
            }
            if (hv) {
                residual(wk, v + k * n, nullptr, n, r.data());
                transposed(wk, r.data(), n, hv + k * n);
            }
        }
    }
    return 0;
}

LOPT_API int32_t lopt_problems_norm(int64_t count, int32_t n, float p, const float* w, const float* y,
                                    const float* theta, float* loss, float* grad, const float* v, float* hv) {
    if (count < 0 || n < 1 || !(p >= 1.0f) || (count > 0 && (!w || !y || !theta)) || bad_hvp_args(v, hv)) {
        lopt_set_error("lopt_problems_norm: bad count, n, p (>= 1) or pointer"); return LOPT_E_ARGUMENT;
    }
#pragma omp parallel
    {
        std::vector<float> r((size_t)n), u((size_t)n), wv((size_t)n);
#pragma omp for schedule(static)
        for (int64_t k = 0; k < count; ++k) {
            const float* wk = w + k * (int64_t)n * n;
            residual(wk, theta + k * n, y + k * n, n, r.data());
            float s = 0.0f;
            for (int i = 0; i < n; ++i) s += lopt_norm_term(r[i], p);
            float f = powf(s, 1.0f / p);
            if (loss) loss[k] = f;
            if (grad || hv)
                for (int i = 0; i < n; ++i) u[i] = lopt_norm_weight(r[i], f, p);
            if (grad) transposed(wk, u.data(), n, grad + k * n);
            if (hv) {
                residual(wk, v + k * n, nullptr, n, wv.data());
                float uw = 0.0f;
                for (int i = 0; i < n; ++i) uw += u[i] * wv[i];
                for (int i = 0; i < n; ++i) r[i] = (1.0f - p) / f * u[i] * uw + lopt_norm_hdiag(r[i], f, p) * wv[i];
                transposed(wk, r.data(), n, hv + k * n);
            }
        }
    }
    return 0;
}

}
