// C ABI of the per-tensor launchers of the HRNN step's forward-with-recompute and adjoint
// (lopt_hrnn_grad.h) in the CPU library, for float64 (_f64) and float32 (_f32) scalars. Same
// conventions as lopt_cpu.h: 0 on success or LOPT_E_ARGUMENT with lopt_last_error() set. Results
// do not depend on the thread count (fixed chunks, combined in chunk order).
#ifndef LOPT_HRNN_GRAD_ABI_H
#define LOPT_HRNN_GRAD_ABI_H

#include <stdint.h>
#include "lopt_cpu.h"
#include "lopt_hrnn_grad.h"

#ifdef __cplusplus
extern "C" {
#endif

// Forward of one tensor of n coordinates: w (LOPT_HRNN_W_COUNT), e0 (3H0), the problem-wide mu, lambda =
// sigma(kappa), gradients g (n); state_in/state_out (21 n, coordinate-major; may not alias); writes
// d (n), a (n, clipped log step) and sums (LOPT_HG_SUMS, overwritten, in double).
LOPT_API int32_t lopt_hrnn_grad_forward_f64(const double* w, const double* e0, double mu, double lambda, const double* g,
                                            const double* state_in, double* state_out, double* d, double* a, double* sums, int64_t n);
LOPT_API int32_t lopt_hrnn_grad_forward_f32(const float* w, const float* e0, float mu, float lambda, const float* g,
                                            const float* state_in, float* state_out, float* d, float* a, double* sums, int64_t n);

// Adjoint of one tensor: bar_next (21 n) is the adjoint of the new state; xbar_add (F) and hbar_add
// (H0) are added to every coordinate's adjoint of x and of the new h (the tensor RNN's mean
// input, already divided by n); dbar, abar (n). Writes bar_prev (21 n; may be bar_next itself) and
// gbar (n); adds into acc (LOPT_HG_ACC doubles: weight gradient, e0 adjoint, mu adjoint, lambda adjoint).
LOPT_API int32_t lopt_hrnn_grad_backward_f64(const double* w, const double* e0, double mu, double lambda, const double* g,
                                             const double* state_in, const double* bar_next, const double* xbar_add,
                                             const double* hbar_add, const double* dbar, const double* abar,
                                             double* bar_prev, double* gbar, double* acc, int64_t n);
LOPT_API int32_t lopt_hrnn_grad_backward_f32(const float* w, const float* e0, float mu, float lambda, const float* g,
                                             const float* state_in, const float* bar_next, const float* xbar_add,
                                             const float* hbar_add, const float* dbar, const float* abar,
                                             float* bar_prev, float* gbar, double* acc, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
