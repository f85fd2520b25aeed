// Thread control and error reporting of the CPU library.
#include "lopt/lopt_cpu.h"
#include "lopt_cpu_internal.h"
#include <omp.h>
#include <string>

static thread_local std::string g_last_error;

void lopt_set_error(const char* message) { g_last_error = message; }

extern "C" {

LOPT_API int32_t lopt_abi_version(void) { return LOPT_ABI_VERSION; }
LOPT_API int32_t lopt_max_threads(void) { return omp_get_max_threads(); }
LOPT_API void lopt_set_threads(int32_t threads) { if (threads > 0) omp_set_num_threads(threads); }
LOPT_API const char* lopt_last_error(void) { return g_last_error.c_str(); }
LOPT_API const char* lopt_cpu_isa(void) {
#if defined(__AVX2__) && defined(__FMA__)
    return "x86-64-v3";
#elif defined(__x86_64__)
    return "x86-64";
#else
    return "other";
#endif
}
LOPT_API int32_t lopt_struct_size(int32_t which) {
    return which == 0 ? (int32_t)sizeof(lopt_hparams) : which == 1 ? (int32_t)sizeof(lopt_coef) : -1;
}

LOPT_API void lopt_copy(float* dst, const float* src, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= 32768)
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

}
