// C ABI of the batched ConvNet classifiers in liblopt_cpu.so (math: lopt_convnet.h).
// Returns 0 or LOPT_E_ARGUMENT (lopt_last_error() says why).
#ifndef LOPT_CONVNET_ABI_H
#define LOPT_CONVNET_ABI_H

#include <stdint.h>
#include "lopt_cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LOPT_CONVNET_ABI_VERSION 1

LOPT_API int32_t lopt_convnet_abi_version(void);

// Parameters per instance of the ConvNet whose blocks map channels[l] to channels[l + 1]
// (l < blocks) on height × width inputs, with a head to `classes` logits; -1 for a bad shape.
LOPT_API int64_t lopt_convnet_dim(int32_t blocks, const int32_t* channels, int32_t height, int32_t width, int32_t classes);

// Mean softmax cross-entropy, and its gradient, of count ConvNets on per-instance minibatches of
// one shared dataset. theta (count × dim) holds per instance conv1/w [c1][c0][3][3], conv1/b,
// …, head/w [classes][features], head/b. images is rows × channels[0] × height × width, labels
// rows class indices as floats; batch_rows is count × batch row indices. loss (count) and grad
// (count × dim) may be null. OpenMP over instances: an instance's result does not depend on
// the thread count or on the other instances.
LOPT_API int32_t lopt_convnet(int64_t count, int32_t blocks, const int32_t* channels, int32_t height, int32_t width,
                              int32_t classes, const float* images, const float* labels, int32_t rows,
                              const int32_t* batch_rows, int32_t batch, const float* theta, float* loss, float* grad);

#ifdef __cplusplus
}
#endif
#endif
