// Batched MatMulAlgorithm(n, k) on the GPU: one thread per instance runs lopt_matmul.h (float64
// inside, the CPU launcher's exact arithmetic). Workspace: one slot of lopt_matmul_workspace(n, k)
// doubles per thread of the grid (grid-stride over instances), so its size is bounded by the launch;
// the slots are interleaved (element e of thread t at e·threads + t) so a warp's loads coalesce.
#include "lopt/lopt_matmul.h"

extern "C" __global__ void __launch_bounds__(64) lopt_problems_matmul(long long count, int n, int k, const float* __restrict__ theta,
        float* __restrict__ loss, float* __restrict__ grad, const float* __restrict__ v, float* __restrict__ hv,
        double* __restrict__ workspace) {
    long long slot = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    long long stride = (long long)gridDim.x * blockDim.x;
    long long dim = 2LL * n * n * k;
    for (long long i = slot; i < count; i += stride)
        lopt_matmul_instance(n, k, theta + i * dim, loss ? loss + i : nullptr, grad ? grad + i * dim : nullptr,
                             v ? v + i * dim : nullptr, hv ? hv + i * dim : nullptr, workspace + slot, stride);
}
