// CPU launchers of the HRNN step's forward and adjoint for truncated BPTT (lopt_hrnn_grad.h):
// one tensor per call, coordinates in fixed chunks under OpenMP; per-chunk sums are combined in
// chunk order, so results do not depend on the thread count. A tensor of one chunk runs on the
// calling thread (no team to wake: the unroll calls these once per tensor per step).
#include "lopt/lopt_hrnn_grad_abi.h"
#include "lopt_cpu_internal.h"
#include <cstdio>
#include <vector>

namespace {

constexpr int64_t kChunk = 256;

bool fail(const char* fn, const char* why) {
    static thread_local char msg[256];
    snprintf(msg, sizeof msg, "%s: %s", fn, why);
    lopt_set_error(msg);
    return false;
}

template <typename T>
int32_t forward(const char* fn, const T* w, const T* e0, T mu, T lambda, const T* g, const T* in, T* out, T* d, T* a,
                double* sums, int64_t n) {
    if (!w || !e0 || !sums || n < 0 || (n > 0 && (!g || !in || !out || !d || !a))) return fail(fn, "null pointer or negative length"), LOPT_E_ARGUMENT;
    if (in == out) return fail(fn, "state_in and state_out must not alias"), LOPT_E_ARGUMENT;
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    std::vector<double> part((size_t)chunks * LOPT_HG_SUMS, 0.0);
#pragma omp parallel for schedule(static) if (chunks > 1)
    for (int64_t c = 0; c < chunks; ++c) {
        double* acc = &part[(size_t)c * LOPT_HG_SUMS];
        const int64_t end = (c + 1) * kChunk < n ? (c + 1) * kChunk : n;
        for (int64_t i = c * kChunk; i < end; ++i) {
            T x[LOPT_HRNN_F];
            T* o = out + i * LOPT_HRNN_STATE;
            lopt_hg_coord_forward(w, e0, mu, lambda, g[i], in + i * LOPT_HRNN_STATE, o, x, &d[i], &a[i]);
            acc[0] += (double)d[i] * (double)d[i];
            for (int j = 0; j < LOPT_HRNN_H0; ++j) acc[1 + j] += o[LOPT_HRNN_OFF_H + j];
            for (int j = 0; j < LOPT_HRNN_F; ++j) acc[1 + LOPT_HRNN_H0 + j] += x[j];
        }
    }
    for (int j = 0; j < LOPT_HG_SUMS; ++j) sums[j] = 0.0;
    for (int64_t c = 0; c < chunks; ++c)
        for (int j = 0; j < LOPT_HG_SUMS; ++j) sums[j] += part[(size_t)c * LOPT_HG_SUMS + j];
    return 0;
}

template <typename T>
int32_t backward(const char* fn, const T* w, const T* e0, T mu, T lambda, const T* g, const T* in, const T* nbar,
                 const T* xbar_add, const T* hbar_add, const T* dbar, const T* abar, T* pbar, T* gbar, double* acc, int64_t n) {
    if (!w || !e0 || !acc || !xbar_add || !hbar_add || n < 0 || (n > 0 && (!g || !in || !nbar || !dbar || !abar || !pbar || !gbar)))
        return fail(fn, "null pointer or negative length"), LOPT_E_ARGUMENT;
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    std::vector<T> part((size_t)chunks * LOPT_HG_ACC, T(0));
#pragma omp parallel for schedule(static) if (chunks > 1)
    for (int64_t c = 0; c < chunks; ++c) {
        T* p = &part[(size_t)c * LOPT_HG_ACC];
        const int64_t end = (c + 1) * kChunk < n ? (c + 1) * kChunk : n;
        for (int64_t i = c * kChunk; i < end; ++i)
            gbar[i] = lopt_hg_coord_backward(w, e0, mu, lambda, g[i], in + i * LOPT_HRNN_STATE, nbar + i * LOPT_HRNN_STATE,
                                             xbar_add, hbar_add, dbar[i], abar[i], pbar + i * LOPT_HRNN_STATE,
                                             p + LOPT_HRNN_W_COUNT + LOPT_HRNN_G0, p + LOPT_HRNN_W_COUNT, p + LOPT_HRNN_W_COUNT + LOPT_HRNN_G0 + 1, p);
    }
    for (int64_t c = 0; c < chunks; ++c)
        for (int j = 0; j < LOPT_HG_ACC; ++j) acc[j] += (double)part[(size_t)c * LOPT_HG_ACC + j];
    return 0;
}

}  // namespace

extern "C" {

LOPT_API int32_t lopt_hrnn_grad_forward_f64(const double* w, const double* e0, double mu, double lambda, const double* g,
                                            const double* state_in, double* state_out, double* d, double* a, double* sums, int64_t n) {
    return forward("lopt_hrnn_grad_forward_f64", w, e0, mu, lambda, g, state_in, state_out, d, a, sums, n);
}

LOPT_API int32_t lopt_hrnn_grad_forward_f32(const float* w, const float* e0, float mu, float lambda, const float* g,
                                            const float* state_in, float* state_out, float* d, float* a, double* sums, int64_t n) {
    return forward("lopt_hrnn_grad_forward_f32", w, e0, mu, lambda, g, state_in, state_out, d, a, sums, n);
}

LOPT_API int32_t lopt_hrnn_grad_backward_f64(const double* w, const double* e0, double mu, double lambda, const double* g,
                                             const double* state_in, const double* bar_next, const double* xbar_add,
                                             const double* hbar_add, const double* dbar, const double* abar,
                                             double* bar_prev, double* gbar, double* acc, int64_t n) {
    return backward("lopt_hrnn_grad_backward_f64", w, e0, mu, lambda, g, state_in, bar_next, xbar_add, hbar_add, dbar, abar,
                    bar_prev, gbar, acc, n);
}

LOPT_API int32_t lopt_hrnn_grad_backward_f32(const float* w, const float* e0, float mu, float lambda, const float* g,
                                             const float* state_in, const float* bar_next, const float* xbar_add,
                                             const float* hbar_add, const float* dbar, const float* abar,
                                             float* bar_prev, float* gbar, double* acc, int64_t n) {
    return backward("lopt_hrnn_grad_backward_f32", w, e0, mu, lambda, g, state_in, bar_next, xbar_add, hbar_add, dbar, abar,
                    bar_prev, gbar, acc, n);
}

}
