// CPU launchers of the batched problem wrappers and the counter-based random numbers: instances
// (or elements) in parallel with OpenMP, the per-element math of lopt_wrappers.h / lopt_random.h.
#include "lopt/lopt_wrappers_abi.h"
#include "lopt/lopt_wrappers.h"
#include "lopt_cpu_internal.h"

namespace {

int32_t fail(const char* message) {
    lopt_set_error(message);
    return LOPT_E_ARGUMENT;
}

bool bad_shape(int64_t count, int32_t dim) { return count < 0 || dim < 1; }

}  // namespace

extern "C" {

LOPT_API int32_t lopt_wrappers_abi_version(void) { return LOPT_WRAPPERS_ABI_VERSION; }

LOPT_API int32_t lopt_random_philox(const uint32_t* ctr, const uint32_t* key, uint32_t* out) {
    if (!ctr || !key || !out) return fail("lopt_random_philox: null pointer");
    lopt_philox4x32_10(ctr, key, out);
    return 0;
}

LOPT_API int32_t lopt_random_fill(int32_t kind, int64_t count, int32_t dim, const uint64_t* seeds, int64_t step,
                                  uint32_t stream, float* out) {
    if (kind != LOPT_RANDOM_UNIFORM && kind != LOPT_RANDOM_GAUSSIAN) return fail("lopt_random_fill: kind must be 0 (uniform) or 1 (gaussian)");
    if (bad_shape(count, dim) || step < 0 || stream > LOPT_RANDOM_MAX_STREAM || (count > 0 && (!seeds || !out)))
        return fail("lopt_random_fill: bad count, dim, step, stream or pointer");
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < count; ++k)
        for (int32_t i = 0; i < dim; ++i)
            out[k * dim + i] = kind == LOPT_RANDOM_UNIFORM ? lopt_random_uniform(seeds[k], step, stream, (uint32_t)i)
                                                           : lopt_random_gaussian(seeds[k], step, stream, (uint32_t)i);
    return 0;
}

LOPT_API int32_t lopt_wrap_noise(int64_t count, int32_t dim, const uint64_t* seeds, int64_t step, uint32_t stream,
                                 float sigma, float* grad) {
    if (bad_shape(count, dim) || step < 0 || stream > LOPT_RANDOM_MAX_STREAM || !(sigma >= 0.0f) || !lopt_isfinite(sigma) ||
        (count > 0 && (!seeds || !grad)))
        return fail("lopt_wrap_noise: bad count, dim, step, stream, sigma (finite, >= 0) or pointer");
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < count; ++k)
        for (int32_t i = 0; i < dim; ++i)
            grad[k * dim + i] = lopt_wrap_noisy(grad[k * dim + i], sigma, seeds[k], step, stream, (uint32_t)i);
    return 0;
}

LOPT_API int32_t lopt_wrap_mask(int64_t count, int32_t dim, const uint64_t* seeds, int64_t step, uint32_t stream,
                                float q, const float* x, float* out) {
    if (bad_shape(count, dim) || step < 0 || stream > LOPT_RANDOM_MAX_STREAM || !(q >= 0.0f && q < 1.0f) ||
        (count > 0 && (!seeds || !x || !out)))
        return fail("lopt_wrap_mask: bad count, dim, step, stream, q (in [0, 1)) or pointer");
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < count; ++k)
        for (int32_t i = 0; i < dim; ++i)
            out[k * dim + i] = lopt_wrap_masked(x[k * dim + i], q, seeds[k], step, stream, (uint32_t)i);
    return 0;
}

LOPT_API int32_t lopt_wrap_divide(int64_t n, const float* x, float d, float* out) {
    if (n < 0 || (n > 0 && (!x || !out))) return fail("lopt_wrap_divide: bad n or pointer");
#pragma omp parallel for schedule(static) if (n >= 32768)
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] / d;
    return 0;
}

LOPT_API int32_t lopt_wrap_log(int64_t count, int32_t dim, const float* inner_loss, float* loss, float* grad) {
    if (bad_shape(count, dim) || (count > 0 && !inner_loss)) return fail("lopt_wrap_log: bad count, dim or pointer");
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < count; ++k) {
        float d = inner_loss[k] + LOPT_LOG_EPS;
        if (grad)
            for (int32_t i = 0; i < dim; ++i) grad[k * dim + i] /= d;
        if (loss) loss[k] = lopt_wrap_log_loss(inner_loss[k]);
    }
    return 0;
}

LOPT_API int32_t lopt_wrap_log_hvp(int64_t count, int32_t dim, const float* inner_loss, const float* g_noisy,
                                   const float* g_exact, const float* v, float* hv) {
    if (bad_shape(count, dim) || (count > 0 && (!inner_loss || !g_noisy || !g_exact || !v || !hv)))
        return fail("lopt_wrap_log_hvp: bad count, dim or pointer");
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < count; ++k) {
        const int64_t o = k * dim;
        float d = inner_loss[k] + LOPT_LOG_EPS, gv = 0.0f;
        for (int32_t i = 0; i < dim; ++i) gv += g_noisy[o + i] * v[o + i];
        for (int32_t i = 0; i < dim; ++i) hv[o + i] = lopt_wrap_log_hv(hv[o + i], g_exact[o + i], gv, d);
    }
    return 0;
}

LOPT_API int32_t lopt_wrap_gather(int64_t count, int32_t total, int32_t offset, int32_t part, const float* src, float* dst) {
    if (count < 0 || part < 1 || offset < 0 || (int64_t)offset + part > total || (count > 0 && (!src || !dst)))
        return fail("lopt_wrap_gather: bad count, total, offset, part or pointer");
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < count; ++k)
        for (int32_t i = 0; i < part; ++i) dst[k * part + i] = src[k * total + offset + i];
    return 0;
}

LOPT_API int32_t lopt_wrap_scatter(int64_t count, int32_t total, int32_t offset, int32_t part, const float* src, float* dst) {
    if (count < 0 || part < 1 || offset < 0 || (int64_t)offset + part > total || (count > 0 && (!src || !dst)))
        return fail("lopt_wrap_scatter: bad count, total, offset, part or pointer");
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < count; ++k)
        for (int32_t i = 0; i < part; ++i) dst[k * total + offset + i] = src[k * part + i];
    return 0;
}

LOPT_API int32_t lopt_wrap_add(int64_t n, const float* x, float* out) {
    if (n < 0 || (n > 0 && (!x || !out))) return fail("lopt_wrap_add: bad n or pointer");
#pragma omp parallel for schedule(static) if (n >= 32768)
    for (int64_t i = 0; i < n; ++i) out[i] += x[i];
    return 0;
}

}
