// CPU launcher of the batched MatMul problem: instances in parallel (OpenMP), each with its own
// float64 workspace, the per-instance math of lopt_matmul.h.
#include "lopt/lopt_matmul_abi.h"
#include "lopt/lopt_matmul.h"
#include "lopt_cpu_internal.h"
#include <vector>

extern "C" {

LOPT_API int32_t lopt_matmul_abi_version(void) { return LOPT_MATMUL_ABI_VERSION; }

LOPT_API int32_t lopt_problems_matmul(int64_t count, int32_t n, int32_t k, const float* theta, float* loss, float* grad,
                                      const float* v, float* hv) {
    // n ≤ 6 keeps n⁴ rows and the int indices far from overflow (the ensemble uses n = 2, 3).
    if (count < 0 || n < 1 || n > 6 || k < 1 || k > 4096 || (count > 0 && !theta) || (v == nullptr) != (hv == nullptr)) {
        lopt_set_error("lopt_problems_matmul: bad count, n (1..6), k (1..4096) or pointer");
        return LOPT_E_ARGUMENT;
    }
    const int64_t dim = 2LL * n * n * k;
#pragma omp parallel
    {
        std::vector<double> ws((size_t)lopt_matmul_workspace(n, k));
#pragma omp for schedule(dynamic)
        for (int64_t i = 0; i < count; ++i)
            lopt_matmul_instance(n, k, theta + i * dim, loss ? loss + i : nullptr, grad ? grad + i * dim : nullptr,
                                 v ? v + i * dim : nullptr, hv ? hv + i * dim : nullptr, ws.data(), 1);
    }
    return 0;
}

}
