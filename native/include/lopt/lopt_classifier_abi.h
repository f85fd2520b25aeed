// C ABI of the batched classifiers' Hessian-vector products in liblopt_cpu.so (the loss and
// gradient are lopt_problems_classifier in lopt_problems_abi.h; same arguments and layout).
// Returns 0 or LOPT_E_ARGUMENT (lopt_last_error() says why).
#ifndef LOPT_CLASSIFIER_ABI_H
#define LOPT_CLASSIFIER_ABI_H

#include <stdint.h>
#include "lopt_cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LOPT_CLASSIFIER_ABI_VERSION 1

LOPT_API int32_t lopt_classifier_abi_version(void);

// hv = ∇²f(theta)·v per instance (count × dim each), f the loss of lopt_problems_classifier:
// mean over the used rows of softplus(z) − y·z plus l2 / (2·layers) · Σθ². widths has layers + 1
// entries [d, h1, ..., 1]; x is count × rows × d, labels count × rows; batch_rows (count × batch
// indices into the rows) selects a minibatch per instance, or is null for all rows.
// Exact (forward-over-reverse), float32, OpenMP over instances.
LOPT_API int32_t lopt_classifier_hvp(int64_t count, int32_t layers, const int32_t* widths, const float* x,
                                     const float* labels, int32_t rows, const int32_t* batch_rows, int32_t batch,
                                     float l2, const float* theta, const float* v, float* hv);

#ifdef __cplusplus
}
#endif
#endif
