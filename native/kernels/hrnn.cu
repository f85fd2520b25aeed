// HRNN step on CUDA (docs/hrnn.md): four launches per step whatever the tensor or group count,
// each walking a table of tensors (lopt_hrnn_desc) and a chunk table (chunk -> tensor):
//   lopt_hrnn_scan   one block per chunk: counts unusable gradient entries per tensor
//   lopt_hrnn_pass_a one block per chunk: the per-coordinate step of lopt_hrnn.h, the scratch
//                    exp(a + o) d, and the chunk's 24 sums (d^2, [h, x], new log-LR)
//   lopt_hrnn_small  one block per group: per tensor (a warp each) c_k and the tensor RNN, then
//                    the global RNN, the next step's biases and mu, and the skip bookkeeping
//   lopt_hrnn_pass_b one block per chunk: theta -= scratch * c_k
// A group is one optimizer instance (lopt_hrnn_abi.h, grouped step): tensors
// [group_first[q], group_first[q + 1]), weights at packs + q * pack_stride, g/etg/mu/counters
// at offset q; a plain step is one group. active (null: all) masks whole groups out of a step.
// Sums are combined in a fixed order (warps, then chunks in order), so runs are reproducible.
#include "lopt/lopt_hrnn.h"

#define HRNN_WARPS (LOPT_HRNN_THREADS / 32)

__device__ __forceinline__ void chunk_range(const lopt_hrnn_desc& t, int c, long long* begin, long long* end) {
    long long b = (long long)(c - t.chunk0) * LOPT_HRNN_GPU_CHUNK;
    *begin = b;
    *end = b + LOPT_HRNN_GPU_CHUNK < t.n ? b + LOPT_HRNN_GPU_CHUNK : t.n;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

// Block-wide sums of acc[0..count) (fixed order: lanes, then warps), written to out by thread j < count.
__device__ __forceinline__ void block_sums(const float* acc, int count, float (*red)[LOPT_HRNN_SUMS], float* out) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int j = 0; j < count; ++j) {
        float v = warp_sum(acc[j]);
        if (lane == 0) red[warp][j] = v;
    }
    __syncthreads();
    if (threadIdx.x < count) {
        float v = 0.0f;
        for (int q = 0; q < HRNN_WARPS; ++q) v += red[q][threadIdx.x];
        out[threadIdx.x] = v;
    }
}

extern "C" __global__ void __launch_bounds__(LOPT_HRNN_THREADS) lopt_hrnn_scan(const lopt_hrnn_desc* tab, const int* chunk_k, const int* active, int* bad) {
    int c = blockIdx.x, k = chunk_k[c];
    const lopt_hrnn_desc t = tab[k];
    if (active && !active[t.group]) return;  // the whole group sits this step out
    long long begin, end;
    chunk_range(t, c, &begin, &end);
    unsigned int count = 0;
    for (long long i = begin + threadIdx.x; i < end; i += LOPT_HRNN_THREADS) count += lopt_hrnn_grad_ok(t.grad[i]) ? 0u : 1u;
    for (int o = 16; o > 0; o >>= 1) count += __shfl_down_sync(0xffffffffu, count, o);
    // Unusable entries are rare: only warps that saw one touch the counter.
    if ((threadIdx.x & 31) == 0 && count) atomicAdd(bad + k, (int)count);
}

extern "C" __global__ void __launch_bounds__(LOPT_HRNN_THREADS) lopt_hrnn_pass_a(const float* packs, long long pack_stride, const lopt_hrnn_desc* tab,
        const int* chunk_k, const int* active, const int* bad, const float* e0, const float* mu, float* partials) {
    __shared__ lopt_hrnn_pw w;
    __shared__ float e[LOPT_HRNN_G0];
    __shared__ float red[HRNN_WARPS][LOPT_HRNN_SUMS];
    int c = blockIdx.x, k = chunk_k[c];
    const lopt_hrnn_desc t = tab[k];
    // Block-uniform exits (before any barrier): the group sits out, or the tensor skips this step.
    if (active && !active[t.group]) return;
    if (bad[k] > 0) return;
    const float* pack = packs + (long long)t.group * pack_stride;
    float* wf = reinterpret_cast<float*>(&w);
    for (int i = threadIdx.x; i < LOPT_HRNN_PW_FLOATS; i += LOPT_HRNN_THREADS) wf[i] = pack[i];
    if (threadIdx.x < LOPT_HRNN_G0) e[threadIdx.x] = e0[(long long)k * LOPT_HRNN_G0 + threadIdx.x];
    __syncthreads();

    const long long n = t.n;
    float* blk = t.block;
    const float m_u = mu[t.group];
    long long begin, end;
    chunk_range(t, c, &begin, &end);
    float acc[LOPT_HRNN_SUMS];
    for (int j = 0; j < LOPT_HRNN_SUMS; ++j) acc[j] = 0.0f;
    for (long long i = begin + threadIdx.x; i < end; i += LOPT_HRNN_THREADS) {
        float h[LOPT_HRNN_H0][1], m[LOPT_HRNN_S][1], v[LOPT_HRNN_S][1], x[LOPT_HRNN_F][1], d, scratch;
        for (int j = 0; j < LOPT_HRNN_H0; ++j) h[j][0] = blk[(LOPT_HRNN_OFF_H + j) * n + i];
        for (int s = 0; s < LOPT_HRNN_S; ++s) {
            m[s][0] = blk[(LOPT_HRNN_OFF_M + s) * n + i];
            v[s][0] = blk[(LOPT_HRNN_OFF_V + s) * n + i];
        }
        float beta = blk[LOPT_HRNN_OFF_BETA * n + i], eta = blk[LOPT_HRNN_OFF_ETA * n + i];
        float ell = blk[LOPT_HRNN_OFF_ELL * n + i], gi = t.grad[i];
        lopt_hrnn_coords<1>(&w, e, m_u, &gi, h, m, v, &beta, &eta, &ell, x, &d, &scratch);
        for (int j = 0; j < LOPT_HRNN_H0; ++j) blk[(LOPT_HRNN_OFF_H + j) * n + i] = h[j][0];
        for (int s = 0; s < LOPT_HRNN_S; ++s) {
            blk[(LOPT_HRNN_OFF_M + s) * n + i] = m[s][0];
            blk[(LOPT_HRNN_OFF_V + s) * n + i] = v[s][0];
        }
        blk[LOPT_HRNN_OFF_BETA * n + i] = beta;
        blk[LOPT_HRNN_OFF_ETA * n + i] = eta;
        blk[LOPT_HRNN_OFF_ELL * n + i] = ell;
        blk[LOPT_HRNN_OFF_SCRATCH * n + i] = scratch;
        acc[0] += d * d;
        for (int j = 0; j < LOPT_HRNN_H0; ++j) acc[1 + j] += h[j][0];
        for (int j = 0; j < LOPT_HRNN_F; ++j) acc[1 + LOPT_HRNN_H0 + j] += x[j][0];
        acc[LOPT_HRNN_SUMS - 1] += ell;
    }
    block_sums(acc, LOPT_HRNN_SUMS, red, partials + (long long)c * LOPT_HRNN_SUMS);
}

extern "C" __global__ void __launch_bounds__(LOPT_HRNN_THREADS) lopt_hrnn_pass_b(const lopt_hrnn_desc* tab, const int* chunk_k, const int* active,
                                                                          const int* skipped, const float* ck) {
    int c = blockIdx.x, k = chunk_k[c];
    const lopt_hrnn_desc t = tab[k];
    if (active && !active[t.group]) return;
    if (skipped[k]) return;
    const float* scratch = t.block + LOPT_HRNN_OFF_SCRATCH * t.n;
    const float scale = ck[k];
    long long begin, end;
    chunk_range(t, c, &begin, &end);
    for (long long i = begin + threadIdx.x; i < end; i += LOPT_HRNN_THREADS) t.theta[i] -= scratch[i] * scale;
}

// One BiasGRU step of a small cell by the threads [first, first + count) that call it together;
// old, rh, u are scratch of H floats each (old already holds h). sync() orders the phases.
template <typename Sync>
__device__ void small_cell(int tid, int count, const float* x, int I, float* h, float* old, float* rh, float* u, int H,
                           const float* wx, const float* wh, const float* b, const float* e, Sync sync) {
    for (int j = tid; j < H; j += count) lopt_hrnn_gru_ru(j, x, I, old, H, wx, wh, b, e, rh + j, u + j);
    sync();
    for (int j = tid; j < H; j += count) h[j] = lopt_hrnn_gru_new(j, x, I, old, rh, u[j], H, wx, wh, b, e);
    sync();
}

// The fields the next step reads for the group of tensors [k0, k1), from s and its G: e_tg,
// every e_0, and mu (whole block). g, etg, mu point at the group's own entries.
__device__ void derive(const float* pack, const lopt_hrnn_layout& L, int k0, int k1, const lopt_hrnn_desc* tab, const float* s,
                       const float* g, float* e0, float* etg, const float* ellmean, float* mu) {
    for (int j = threadIdx.x; j < 3 * L.h1; j += blockDim.x) etg[j] = lopt_hrnn_affine(j, g, L.h2, pack + L.tg_w, 3 * L.h1, pack + L.tg_b);
    const int count = (k1 - k0) * LOPT_HRNN_G0;
    for (int q = threadIdx.x; q < count; q += blockDim.x) {
        int k = k0 + q / LOPT_HRNN_G0, j = q % LOPT_HRNN_G0;
        e0[(long long)k * LOPT_HRNN_G0 + j] = lopt_hrnn_e0(j, pack, &L, s + (long long)k * L.h1, g);
    }
    if (threadIdx.x == 0) {
        double total = 0.0, n = 0.0;
        for (int k = k0; k < k1; ++k)
            if (tab[k].n > 0) { total += (double)ellmean[k] * (double)tab[k].n; n += (double)tab[k].n; }
        mu[0] = n > 0.0 ? (float)(total / n) : 0.0f;
    }
}

// One block per group (gridDim.x = groups). Dynamic shared memory: max(warps * (I1 + 3 H1), H1 + 3 H2) floats.
extern "C" __global__ void __launch_bounds__(LOPT_HRNN_THREADS) lopt_hrnn_small(const float* packs, long long pack_stride, int h1, int h2,
        const int* group_first, const lopt_hrnn_desc* tab, const float* partials, const int* active, int* bad, int* skipped,
        unsigned long long* counters, float* s, float* g_all, float* e0, float* etg_all, float* ellmean, float* mu_all, float* ck) {
    extern __shared__ float sh[];
    const int grp = blockIdx.x;
    if (active && !active[grp]) return;  // block-uniform, before any barrier
    const int k0 = group_first[grp], k1 = group_first[grp + 1];
    const float* pack = packs + (long long)grp * pack_stride;
    float* g = g_all + (long long)grp * h2;
    float* etg = etg_all + (long long)grp * 3 * h1;
    float* mu = mu_all + grp;
    counters += 2 * grp;
    const lopt_hrnn_layout L = lopt_hrnn_make_layout(h1, h2);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    float* in = sh + warp * (LOPT_HRNN_I1 + 3 * h1);
    float *old = in + LOPT_HRNN_I1, *rh = old + h1, *u = rh + h1;
    auto warp_sync = [] { __syncwarp(); };

    // Tensors, one warp each: skip bookkeeping, sums of its chunks in order, c_k, tensor RNN.
    for (int k = k0 + warp; k < k1; k += warps) {
        const lopt_hrnn_desc t = tab[k];
        int nbad = bad[k];
        __syncwarp();
        if (lane == 0) {
            skipped[k] = nbad > 0 ? 1 : 0;
            bad[k] = 0;
            if (nbad > 0) { atomicAdd(counters, 1ull); atomicAdd(counters + 1, (unsigned long long)nbad); }
        }
        if (t.n == 0 || nbad > 0) continue;
        // Each of the 24 sums over the tensor's chunks: lanes take every 32nd chunk, then a fixed
        // butterfly, so a tensor of many chunks costs nchunks / 32 loads per lane.
        for (int j = 0; j < LOPT_HRNN_SUMS; ++j) {
            double sum = 0.0;
            for (int q = t.chunk0 + lane; q < t.chunk0 + t.nchunks; q += 32) sum += partials[(long long)q * LOPT_HRNN_SUMS + j];
            for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
            if (lane == 0) {
                if (j == 0) ck[k] = lopt_hrnn_rms_scale(sum, t.n);
                else if (j <= LOPT_HRNN_I1) in[j - 1] = (float)(sum / (double)t.n);
                else ellmean[k] = (float)(sum / (double)t.n);
            }
        }
        float* sk = s + (long long)k * h1;
        for (int j = lane; j < h1; j += 32) old[j] = sk[j];
        __syncwarp();
        small_cell(lane, 32, in, LOPT_HRNN_I1, sk, old, rh, u, h1, pack + L.t_wx, pack + L.t_wh, pack + L.t_b, etg, warp_sync);
    }
    __syncthreads();

    // Global RNN on the mean new s_k of the tensors that stepped.
    float *gin = sh, *gold = gin + h1, *grh = gold + h2, *gu = grh + h2;
    int updated = 0;
    for (int k = k0; k < k1; ++k) updated += (tab[k].n > 0 && !skipped[k]) ? 1 : 0;
    for (int j = threadIdx.x; j < h1; j += blockDim.x) {
        double acc = 0.0;
        for (int k = k0; k < k1; ++k)
            if (tab[k].n > 0 && !skipped[k]) acc += s[(long long)k * h1 + j];
        gin[j] = updated > 0 ? (float)(acc / updated) : 0.0f;
    }
    for (int j = threadIdx.x; j < h2; j += blockDim.x) gold[j] = g[j];
    __syncthreads();
    if (updated > 0)
        small_cell((int)threadIdx.x, (int)blockDim.x, gin, h1, g, gold, grh, gu, h2, pack + L.g_wx, pack + L.g_wh, pack + L.g_b,
                   (const float*)nullptr, [] { __syncthreads(); });
    derive(pack, L, k0, k1, tab, s, g, e0, etg, ellmean, mu);
}

// Prepare, part 1: per-chunk sums of the log-LR (into the last slot of each chunk's sums).
extern "C" __global__ void __launch_bounds__(LOPT_HRNN_THREADS) lopt_hrnn_ell_sums(const lopt_hrnn_desc* tab, const int* chunk_k, float* partials) {
    __shared__ float red[HRNN_WARPS][LOPT_HRNN_SUMS];
    int c = blockIdx.x, k = chunk_k[c];
    const lopt_hrnn_desc t = tab[k];
    long long begin, end;
    chunk_range(t, c, &begin, &end);
    float acc = 0.0f;
    for (long long i = begin + threadIdx.x; i < end; i += LOPT_HRNN_THREADS) acc += t.block[LOPT_HRNN_OFF_ELL * t.n + i];
    block_sums(&acc, 1, red, partials + (long long)c * LOPT_HRNN_SUMS + LOPT_HRNN_SUMS - 1);
}

// Prepare, part 2 (one block per group): per-tensor mean log-LR, then the group's derived fields.
extern "C" __global__ void __launch_bounds__(LOPT_HRNN_THREADS) lopt_hrnn_prepare(const float* packs, long long pack_stride, int h1, int h2,
        const int* group_first, const lopt_hrnn_desc* tab, const float* partials, const float* s, const float* g_all, float* e0,
        float* etg_all, float* ellmean, float* mu_all) {
    const int grp = blockIdx.x;
    const int k0 = group_first[grp], k1 = group_first[grp + 1];
    const float* pack = packs + (long long)grp * pack_stride;
    const lopt_hrnn_layout L = lopt_hrnn_make_layout(h1, h2);
    for (int k = k0 + (int)threadIdx.x; k < k1; k += blockDim.x) {
        double sum = 0.0;
        for (int q = tab[k].chunk0; q < tab[k].chunk0 + tab[k].nchunks; ++q) sum += partials[(long long)q * LOPT_HRNN_SUMS + LOPT_HRNN_SUMS - 1];
        ellmean[k] = tab[k].n > 0 ? (float)(sum / (double)tab[k].n) : 0.0f;
    }
    __syncthreads();
    derive(pack, L, k0, k1, tab, s, g_all + (long long)grp * h2, e0, etg_all + (long long)grp * 3 * h1, ellmean, mu_all + grp);
}
