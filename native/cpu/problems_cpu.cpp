// CPU launchers of the batched synthetic problems: instances in parallel (OpenMP), the
// per-instance math of lopt_problems.h. Dense families loop rows serially per instance.
#include "lopt/lopt_problems_abi.h"
#include "lopt/lopt_problems.h"
#include "lopt_cpu_internal.h"
#include <vector>

namespace {

bool bad_hvp_args(const float* v, const float* hv) { return (v == nullptr) != (hv == nullptr); }

// Below about this many multiply-adds a parallel region costs more than it saves (a busy
// machine makes small regions 10-40x slower); meta-training evaluates small batches every step.
constexpr int64_t kParallelWork = 16384;

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
#pragma omp parallel for schedule(static) if (count * 64 >= kParallelWork)
    for (int64_t k = 0; k < count; ++k) lopt_testfn_instance(fn, k, theta, loss, grad, v, hv);
    return 0;
}

LOPT_API int32_t lopt_problems_bowl(int64_t count, const float* a, const float* theta, float* loss, float* grad,
                                    const float* v, float* hv) {
    if (count < 0 || (count > 0 && (!a || !theta)) || bad_hvp_args(v, hv)) {
        lopt_set_error("lopt_problems_bowl: bad count or pointer"); return LOPT_E_ARGUMENT;
    }
#pragma omp parallel for schedule(static) if (count * 16 >= kParallelWork)
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
#pragma omp parallel if (count * n * n >= kParallelWork)
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
#pragma omp parallel if (count * n * n >= kParallelWork)
    {
        std::vector<float> r((size_t)n), u((size_t)n), wv((size_t)n);
#pragma omp for schedule(static)
        for (int64_t k = 0; k < count; ++k) {
            const float* wk = w + k * (int64_t)n * n;
            residual(wk, theta + k * n, y + k * n, n, r.data());
            float s = 0.0f;
            for (int i = 0; i < n; ++i) s += lopt_norm_term(r[i], p);
            float f = lopt_norm_loss(s, p);
            if (loss) loss[k] = f;
            if (grad || hv)
                for (int i = 0; i < n; ++i) u[i] = lopt_norm_weight(r[i], f, p);
            if (grad) transposed(wk, u.data(), n, grad + k * n);
            if (hv) {
                residual(wk, v + k * n, nullptr, n, wv.data());
                float uw = 0.0f;
                for (int i = 0; i < n; ++i) uw += u[i] * wv[i];
                for (int i = 0; i < n; ++i) r[i] = lopt_norm_hv_entry(r[i], u[i], wv[i], uw, f, p);
                transposed(wk, r.data(), n, hv + k * n);
            }
        }
    }
    return 0;
}

LOPT_API int32_t lopt_problems_classifier(int64_t count, int32_t layers, const int32_t* widths, const float* x,
                                          const float* labels, int32_t rows, const int32_t* batch_rows, int32_t batch,
                                          float l2, const float* theta, float* loss, float* grad) {
    if (count < 0 || layers < 1 || !widths || rows < 1 || (batch_rows && (batch < 1 || batch > rows)) ||
        (count > 0 && (!x || !labels || !theta))) {
        lopt_set_error("lopt_problems_classifier: bad count, layers, widths, rows, batch or pointer"); return LOPT_E_ARGUMENT;
    }
    int total = 0, widest = 1;
    for (int l = 0; l <= layers; ++l) {
        if (widths[l] < 1) { lopt_set_error("lopt_problems_classifier: widths must be >= 1"); return LOPT_E_ARGUMENT; }
        total += widths[l];
        if (widths[l] > widest) widest = widths[l];
    }
    if (widths[layers] != 1) { lopt_set_error("lopt_problems_classifier: the output layer must have one logit"); return LOPT_E_ARGUMENT; }
    if (batch_rows)
        for (int64_t i = 0; i < count * batch; ++i)
            if (batch_rows[i] < 0 || batch_rows[i] >= rows) { lopt_set_error("lopt_problems_classifier: batch row out of range"); return LOPT_E_ARGUMENT; }
    const int d = widths[0];
    const int dim = lopt_mlp_dim(layers, widths);
    const int used = batch_rows ? batch : rows;
    const float reg = l2 / (float)(2 * layers);
#pragma omp parallel if (count * used * dim >= kParallelWork)
    {
        std::vector<float> act((size_t)total), d0((size_t)widest), d1((size_t)widest);
#pragma omp for schedule(static)
        for (int64_t k = 0; k < count; ++k) {
            const float* tk = theta + k * dim;
            float* gk = grad ? grad + k * dim : nullptr;
            if (gk) for (int i = 0; i < dim; ++i) gk[i] = 0.0f;
            float sum = 0.0f;
            for (int r = 0; r < used; ++r) {
                int row = batch_rows ? batch_rows[k * batch + r] : r;
                const float* xr = x + (k * rows + row) * (int64_t)d;
                sum += lopt_mlp_row(layers, widths, tk, xr, labels[k * rows + row], act.data(), d0.data(), d1.data(),
                                    gk, 1.0f / (float)used);
            }
            float sq = 0.0f;
            for (int i = 0; i < dim; ++i) sq += tk[i] * tk[i];
            if (loss) loss[k] = sum / (float)used + reg * sq;
            if (gk) for (int i = 0; i < dim; ++i) gk[i] += 2.0f * reg * tk[i];
        }
    }
    return 0;
}

}
