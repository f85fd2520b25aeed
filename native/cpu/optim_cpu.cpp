// CPU launchers of the hand-designed optimizers: the per-element math of lopt_optim.h under OpenMP.
#include "lopt/lopt_cpu.h"
#include "lopt_cpu_internal.h"
#include <omp.h>

namespace {

// Below this many elements a parallel region costs more than it saves (and far more on a busy machine).
constexpr int64_t LOPT_PARALLEL_MIN = 32768;

// States is the number of state buffers used, a compile-time constant so that the loop body has
// no pointer tests. The loop lives in its own function, outside the OpenMP region, because g++
// does not vectorise it inside the outlined parallel body (checked with -fopt-info-vec).
template <int Kind, int States>
__attribute__((noinline)) int64_t step_range(float* __restrict p, const float* __restrict g, float* __restrict s0,
                   float* __restrict s1, float* __restrict s2, int64_t begin, int64_t end, const lopt_coef c) {
    // The caller checked the state pointers; saying so lets g++ drop the null tests and vectorise.
    if (States > 0 && !s0) __builtin_unreachable();
    if (States > 1 && !s1) __builtin_unreachable();
    if (States > 2 && !s2) __builtin_unreachable();
    int64_t bad = 0;
    for (int64_t i = begin; i < end; ++i) {
        bad += lopt_isfinite(g[i]) ? 0 : 1;
        lopt_optim_elem(Kind, p + i, g[i], States > 0 ? s0 + i : nullptr, States > 1 ? s1 + i : nullptr,
                        States > 2 ? s2 + i : nullptr, &c);
    }
    return bad;
}

template <int Kind, int States>
int64_t step_kind(float* p, const float* g, float* s0, float* s1, float* s2, int64_t n, const lopt_coef c) {
    if (n < LOPT_PARALLEL_MIN) return step_range<Kind, States>(p, g, s0, s1, s2, 0, n, c);
    int64_t bad = 0;
#pragma omp parallel reduction(+ : bad)
    {
        // Static split in 16-element (64-byte) aligned blocks, one range per thread.
        const int64_t threads = omp_get_num_threads(), id = omp_get_thread_num();
        const int64_t per = ((n + threads - 1) / threads + 15) / 16 * 16;
        const int64_t begin = id * per < n ? id * per : n, end = begin + per < n ? begin + per : n;
        bad += step_range<Kind, States>(p, g, s0, s1, s2, begin, end, c);
    }
    return bad;
}

}  // namespace

extern "C" {

LOPT_API int32_t lopt_optim_state_count(int32_t kind, const lopt_hparams* hp) {
    if (!hp) return -1;
    return lopt_state_count(kind, hp);
}

LOPT_API int32_t lopt_optim_coef(int32_t kind, const lopt_hparams* hp, int64_t t, lopt_coef* out) {
    if (!hp || !out) { lopt_set_error("lopt_optim_coef: null hp or out"); return LOPT_E_ARGUMENT; }
    if (kind < 0 || kind >= LOPT_OPTIMIZER_COUNT) { lopt_set_error("lopt_optim_coef: unknown kind"); return LOPT_E_ARGUMENT; }
    if (t < 1) { lopt_set_error("lopt_optim_coef: step t must be >= 1"); return LOPT_E_ARGUMENT; }
    lopt_make_coef(kind, hp, t, out);
    return 0;
}

LOPT_API int32_t lopt_optim_step(int32_t kind, float* p, const float* g, float* s0, float* s1, float* s2,
                                 int64_t n, const lopt_coef* c, int64_t* nonfinite) {
    if (n < 0 || !c || (n > 0 && (!p || !g))) { lopt_set_error("lopt_optim_step: bad pointer or length"); return LOPT_E_ARGUMENT; }
    if ((c->state_count > 0 && n > 0 && !s0) || (c->state_count > 1 && n > 0 && !s1) || (c->state_count > 2 && n > 0 && !s2)) {
        lopt_set_error("lopt_optim_step: missing state buffer"); return LOPT_E_ARGUMENT;
    }
    int64_t bad = 0;
    switch (kind) {
        case LOPT_SGD: bad = step_kind<LOPT_SGD, 0>(p, g, nullptr, nullptr, nullptr, n, *c); break;
        case LOPT_SGD_MOMENTUM: bad = step_kind<LOPT_SGD_MOMENTUM, 1>(p, g, s0, nullptr, nullptr, n, *c); break;
        case LOPT_RMSPROP: bad = c->state_count > 1 ? step_kind<LOPT_RMSPROP, 2>(p, g, s0, s1, nullptr, n, *c) : step_kind<LOPT_RMSPROP, 1>(p, g, s0, nullptr, nullptr, n, *c); break;
        case LOPT_ADAM: bad = step_kind<LOPT_ADAM, 2>(p, g, s0, s1, nullptr, n, *c); break;
        case LOPT_ADAMW: bad = step_kind<LOPT_ADAMW, 2>(p, g, s0, s1, nullptr, n, *c); break;
        case LOPT_POWERSIGN: bad = step_kind<LOPT_POWERSIGN, 1>(p, g, s0, nullptr, nullptr, n, *c); break;
        case LOPT_ADDSIGN: bad = step_kind<LOPT_ADDSIGN, 1>(p, g, s0, nullptr, nullptr, n, *c); break;
        case LOPT_ADAM_AMSGRAD: bad = step_kind<LOPT_ADAM_AMSGRAD, 3>(p, g, s0, s1, s2, n, *c); break;
        case LOPT_ADAMW_AMSGRAD: bad = step_kind<LOPT_ADAMW_AMSGRAD, 3>(p, g, s0, s1, s2, n, *c); break;
        case LOPT_RMSPROP_CENTERED: bad = c->state_count > 2 ? step_kind<LOPT_RMSPROP_CENTERED, 3>(p, g, s0, s1, s2, n, *c) : step_kind<LOPT_RMSPROP_CENTERED, 2>(p, g, s0, s1, nullptr, n, *c); break;
        case LOPT_ADAGRAD: bad = step_kind<LOPT_ADAGRAD, 1>(p, g, s0, nullptr, nullptr, n, *c); break;
        case LOPT_ADAMAX: bad = step_kind<LOPT_ADAMAX, 2>(p, g, s0, s1, nullptr, n, *c); break;
        case LOPT_NADAM: bad = step_kind<LOPT_NADAM, 2>(p, g, s0, s1, nullptr, n, *c); break;
        case LOPT_RADAM: bad = step_kind<LOPT_RADAM, 2>(p, g, s0, s1, nullptr, n, *c); break;
        default: lopt_set_error("lopt_optim_step: unknown kind"); return LOPT_E_ARGUMENT;
    }
    if (nonfinite) *nonfinite = bad;
    return 0;
}

}
