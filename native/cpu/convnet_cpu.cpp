// CPU launcher of the batched ConvNet classifiers: instances in parallel (OpenMP, static
// schedule), each instance's minibatch serially, image by image (forward, then backward), with the
// per-element math of lopt_convnet.h that the CUDA kernels use. Sums run in a fixed order
// (taps, then positions, then images), so an instance's bits do not depend on the threads.
#include "lopt/lopt_convnet_abi.h"
#include "lopt/lopt_convnet.h"
#include "lopt_cpu_internal.h"
#include <algorithm>
#include <vector>

namespace {

struct Shape {
    int blocks = 0, classes = 0, features = 0;
    int c[17] = {}, h[17] = {}, w[17] = {};
    int64_t w_off[16] = {}, b_off[16] = {}, head_w = 0, head_b = 0, dim = 0;
};

// Fills s, or returns false for a bad shape.
bool MakeShape(int32_t blocks, const int32_t* channels, int32_t height, int32_t width, int32_t classes, Shape* s) {
    if (blocks < 1 || blocks > 16 || !channels || classes < 2 || height < 2 || width < 2) return false;
    if ((height >> (blocks - 1)) < 2 || (width >> (blocks - 1)) < 2) return false;
    s->blocks = blocks;
    s->classes = classes;
    s->h[0] = height;
    s->w[0] = width;
    int64_t off = 0;
    for (int l = 0; l <= blocks; ++l) {
        if (channels[l] < 1) return false;
        s->c[l] = channels[l];
        if (l > 0) {
            s->h[l] = s->h[l - 1] / 2;
            s->w[l] = s->w[l - 1] / 2;
        }
    }
    for (int l = 0; l < blocks; ++l) {
        s->w_off[l] = off;
        off += (int64_t)s->c[l + 1] * s->c[l] * LOPT_CNN_TAPS;
        s->b_off[l] = off;
        off += s->c[l + 1];
    }
    s->features = s->c[blocks] * s->h[blocks] * s->w[blocks];
    s->head_w = off;
    off += (int64_t)classes * s->features;
    s->head_b = off;
    off += classes;
    s->dim = off;
    return true;
}

// Σ x·y in eight interleaved partial sums added pairwise: a fixed order that g++ can vectorise
// (a single running sum cannot be reordered without -ffast-math).
float Dot(const float* x, const float* y, int n) {
    float s[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j) s[j] += x[i + j] * y[i + j];
    float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; ++i) t += x[i] * y[i];
    return t;
}

// One instance's mean loss over its batch; adds the gradient of that mean into g (zeroed by the caller).
float Instance(const Shape& s, const float* images, const float* labels, const int32_t* rows, int batch,
               const float* th, float* g, std::vector<float>* buf) {
    const int B = s.blocks;
    const int in0 = s.c[0] * s.h[0] * s.w[0];
    // buf: maps[l] (pooled inputs of block l ≥ 1, and the features), act[l], cols[l], then scratch.
    std::vector<float>* maps = buf;            // B + 1
    std::vector<float>* act = buf + (B + 1);   // B
    std::vector<float>* cols = buf + (2 * B + 1);  // B
    std::vector<float>& dmap = buf[3 * B + 1];
    std::vector<float>& dmap2 = buf[3 * B + 2];
    std::vector<float>& dact = buf[3 * B + 3];
    std::vector<float>& dcols = buf[3 * B + 4];
    std::vector<float>& logits = buf[3 * B + 5];
    std::vector<float>& dz = buf[3 * B + 6];
    const float scale = 1.0f / (float)batch;
    float total = 0.0f;
    for (int b = 0; b < batch; ++b) {
        const int row = rows[b];
        const float* input = images + (int64_t)row * in0;
        for (int l = 0; l < B; ++l) {
            const int h = s.h[l], w = s.w[l], p = h * w, cin = s.c[l], cout = s.c[l + 1], K = cin * LOPT_CNN_TAPS;
            const float* x = l == 0 ? input : maps[l].data();
            float* col = cols[l].data();
            for (int k = 0; k < K; ++k)
                for (int y = 0; y < h; ++y)
                    for (int xx = 0; xx < w; ++xx) col[(int64_t)k * p + y * w + xx] = lopt_cnn_im2col(x, h, w, k, y, xx);
            const float* W = th + s.w_off[l];
            const float* bias = th + s.b_off[l];
            float* a = act[l].data();
            for (int co = 0; co < cout; ++co) {
                float* z = a + (int64_t)co * p;
                for (int i = 0; i < p; ++i) z[i] = bias[co];
                for (int k = 0; k < K; ++k) {
                    const float wk = W[(int64_t)co * K + k];
                    const float* ck = col + (int64_t)k * p;
                    for (int i = 0; i < p; ++i) z[i] += wk * ck[i];
                }
                for (int i = 0; i < p; ++i) z[i] = lopt_relu(z[i]);
            }
            const int oh = s.h[l + 1], ow = s.w[l + 1];
            float* out = maps[l + 1].data();
            for (int co = 0; co < cout; ++co)
                for (int oy = 0; oy < oh; ++oy)
                    for (int ox = 0; ox < ow; ++ox) {
                        int at;
                        out[((int64_t)co * oh + oy) * ow + ox] = lopt_cnn_pool(a + (int64_t)co * p, w, oy, ox, &at);
                    }
        }
        const int F = s.features, C = s.classes;
        const float* feat = maps[B].data();
        const float* hw = th + s.head_w;
        const float* hb = th + s.head_b;
        for (int c = 0; c < C; ++c) logits[c] = Dot(hw + (int64_t)c * F, feat, F) + hb[c];
        total += lopt_cnn_xent(logits.data(), C, (int)labels[row], scale, g ? dz.data() : nullptr, nullptr);
        if (!g) continue;

        float* ghw = g + s.head_w;
        float* ghb = g + s.head_b;
        for (int f = 0; f < F; ++f) dmap[f] = 0.0f;
        for (int c = 0; c < C; ++c) {
            const float d = dz[c];
            ghb[c] += d;
            for (int f = 0; f < F; ++f) {
                ghw[(int64_t)c * F + f] += d * feat[f];
                dmap[f] += d * hw[(int64_t)c * F + f];
            }
        }
        for (int l = B - 1; l >= 0; --l) {
            const int h = s.h[l], w = s.w[l], p = h * w, cin = s.c[l], cout = s.c[l + 1], K = cin * LOPT_CNN_TAPS;
            const int op = s.h[l + 1] * s.w[l + 1];
            const float* a = act[l].data();
            for (int co = 0; co < cout; ++co)
                for (int y = 0; y < h; ++y)
                    for (int xx = 0; xx < w; ++xx)
                        dact[(int64_t)co * p + y * w + xx] = lopt_cnn_pool_relu_back(a + (int64_t)co * p, h, w, y, xx, dmap.data() + (int64_t)co * op);
            const float* col = cols[l].data();
            float* gW = g + s.w_off[l];
            float* gb = g + s.b_off[l];
            for (int co = 0; co < cout; ++co) {
                const float* d = dact.data() + (int64_t)co * p;
                float sb = 0.0f;
                for (int i = 0; i < p; ++i) sb += d[i];
                gb[co] += sb;
                for (int k = 0; k < K; ++k) gW[(int64_t)co * K + k] += Dot(d, col + (int64_t)k * p, p);
            }
            if (l == 0) break;
            const float* W = th + s.w_off[l];
            for (int64_t i = 0; i < (int64_t)K * p; ++i) dcols[i] = 0.0f;
            for (int co = 0; co < cout; ++co) {
                const float* d = dact.data() + (int64_t)co * p;
                for (int k = 0; k < K; ++k) {
                    const float wk = W[(int64_t)co * K + k];
                    float* dk = dcols.data() + (int64_t)k * p;
                    for (int i = 0; i < p; ++i) dk[i] += wk * d[i];
                }
            }
            for (int c = 0; c < cin; ++c)
                for (int y = 0; y < h; ++y)
                    for (int xx = 0; xx < w; ++xx)
                        dmap2[(int64_t)c * p + y * w + xx] = lopt_cnn_col2im(dcols.data(), p, h, w, c, y, xx);
            dmap.swap(dmap2);
        }
    }
    return total * scale;
}

}  // namespace

extern "C" {

LOPT_API int32_t lopt_convnet_abi_version(void) { return LOPT_CONVNET_ABI_VERSION; }

LOPT_API int64_t lopt_convnet_dim(int32_t blocks, const int32_t* channels, int32_t height, int32_t width, int32_t classes) {
    Shape s;
    return MakeShape(blocks, channels, height, width, classes, &s) ? s.dim : -1;
}

LOPT_API int32_t lopt_convnet(int64_t count, int32_t blocks, const int32_t* channels, int32_t height, int32_t width,
                              int32_t classes, const float* images, const float* labels, int32_t rows,
                              const int32_t* batch_rows, int32_t batch, const float* theta, float* loss, float* grad) {
    Shape s;
    if (!MakeShape(blocks, channels, height, width, classes, &s)) {
        lopt_set_error("lopt_convnet: bad shape (blocks in [1, 16], channels >= 1, classes >= 2, every pooled side >= 1)");
        return LOPT_E_ARGUMENT;
    }
    if (count < 0 || rows < 1 || batch < 1 || (count > 0 && (!images || !labels || !batch_rows || !theta))) {
        lopt_set_error("lopt_convnet: bad count, rows, batch or pointer");
        return LOPT_E_ARGUMENT;
    }
    for (int64_t i = 0; i < count * batch; ++i) {
        int32_t r = batch_rows[i];
        if (r < 0 || r >= rows) { lopt_set_error("lopt_convnet: batch row out of range"); return LOPT_E_ARGUMENT; }
        float y = labels[r];
        if (!(y >= 0.0f && y < (float)classes) || y != (float)(int)y) { lopt_set_error("lopt_convnet: a label is not a class index"); return LOPT_E_ARGUMENT; }
    }
    if (!loss && !grad) return 0;
    const int B = blocks;
    size_t largest_map = 0, largest_cols = 0;
    for (int l = 0; l <= B; ++l) largest_map = std::max(largest_map, (size_t)s.c[l] * s.h[l] * s.w[l]);
    for (int l = 0; l < B; ++l) {
        largest_map = std::max(largest_map, (size_t)s.c[l + 1] * s.h[l] * s.w[l]);
        largest_cols = std::max(largest_cols, (size_t)s.c[l] * LOPT_CNN_TAPS * s.h[l] * s.w[l]);
    }
#pragma omp parallel if (count > 1)
    {
        std::vector<std::vector<float>> buf((size_t)(3 * B + 7));
        for (int l = 0; l <= B; ++l) buf[l].resize((size_t)s.c[l] * s.h[l] * s.w[l]);
        for (int l = 0; l < B; ++l) {
            buf[B + 1 + l].resize((size_t)s.c[l + 1] * s.h[l] * s.w[l]);
            buf[2 * B + 1 + l].resize((size_t)s.c[l] * LOPT_CNN_TAPS * s.h[l] * s.w[l]);
        }
        buf[3 * B + 1].resize(largest_map);
        buf[3 * B + 2].resize(largest_map);
        buf[3 * B + 3].resize(largest_map);
        buf[3 * B + 4].resize(largest_cols);
        buf[3 * B + 5].resize((size_t)classes);
        buf[3 * B + 6].resize((size_t)classes);
#pragma omp for schedule(static)
        for (int64_t k = 0; k < count; ++k) {
            float* g = grad ? grad + k * s.dim : nullptr;
            if (g)
                for (int64_t i = 0; i < s.dim; ++i) g[i] = 0.0f;
            float l = Instance(s, images, labels, batch_rows + k * batch, batch, theta + k * s.dim, g, buf.data());
            if (loss) loss[k] = l;
        }
    }
    return 0;
}

}
