// CPU launchers of the HRNN step: the per-coordinate math of lopt_hrnn.h under OpenMP, in the
// same passes as the CUDA kernels (docs/hrnn.md): scan (usable gradients), pass A (per-coordinate
// step + per-chunk sums + scratch), small pass (c_k, tensor RNNs, global RNN, next biases, mu),
// pass B (theta -= scratch * c_k). Chunk sums are combined in chunk order, so results do not
// depend on the thread count.
// FP exceptions are never inspected, so let g++ speculate float operations: with the default
// -ftrapping-math it keeps every select in lopt_hrnn.h's math as a branch, and the lane loops
// of the coordinate step would not vectorise. Results are unchanged (IEEE rounding, NaN, Inf kept).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "lopt/lopt_hrnn_abi.h"
#include "lopt_cpu_internal.h"
#include <cstdio>
#include <vector>

namespace {

constexpr int64_t kChunk = 2048;

struct Chunk {
    int32_t k;
    int64_t begin, end;
};

bool check_args(const char* fn, const float* pack, int32_t h1, int32_t h2, const lopt_hrnn_tensor* t,
                int32_t k, const lopt_hrnn_shared* sh, bool need_io) {
    static thread_local char msg[256];
    const char* why = nullptr;
    if (!pack) why = "null weight pack";
    else if (h1 < 1 || h2 < 1) why = "hidden sizes h1 and h2 must be >= 1";
    else if (k < 1 || !t) why = "need at least one tensor";
    else if (!sh || !sh->s || !sh->g || !sh->e0 || !sh->etg || !sh->ellmean || !sh->mu) why = "null shared state";
    else
        for (int32_t i = 0; i < k && !why; ++i)
            if (t[i].n < 0 || (t[i].n > 0 && (!t[i].block || (need_io && (!t[i].theta || !t[i].grad))))) why = "bad tensor pointer or length";
    if (!why) return true;
    snprintf(msg, sizeof msg, "%s: %s", fn, why);
    lopt_set_error(msg);
    return false;
}

// Chunks of every tensor that takes part in the step, in tensor order.
std::vector<Chunk> make_chunks(const lopt_hrnn_tensor* t, int32_t k, const std::vector<int32_t>& skip) {
    std::vector<Chunk> chunks;
    for (int32_t i = 0; i < k; ++i) {
        if (skip[i]) continue;
        for (int64_t b = 0; b < t[i].n; b += kChunk) chunks.push_back({i, b, b + kChunk < t[i].n ? b + kChunk : t[i].n});
    }
    return chunks;
}

// Coordinates per call of lopt_hrnn_coords: its loops vectorise across them, so the lane count
// follows the vector width the library is built for, two vectors of floats (SSE2: 8, AVX: 16;
// two independent chains hide the latency of each operation). Lanes are independent coordinates
// and the chunk sums add them in coordinate order, so the results do not depend on it.
#if defined(__AVX__)
constexpr int kLanes = 16;
#else
constexpr int kLanes = 8;
#endif

// Pass A over one chunk: the coordinate step on the state block, scratch, and the chunk's sums
// (accumulated in coordinate order, in double).
void pass_a(const lopt_hrnn_pw* w, const float* e, float mu, const lopt_hrnn_tensor& t, int64_t b,
            int64_t end, double* sums) {
    constexpr int L = kLanes;
    const int64_t n = t.n;
    float* blk = t.block;
    double acc[LOPT_HRNN_SUMS] = {0};
    for (int64_t i0 = b; i0 < end; i0 += L) {
        const int cnt = end - i0 < L ? (int)(end - i0) : L;
        float h[LOPT_HRNN_H0][L], m[LOPT_HRNN_S][L], v[LOPT_HRNN_S][L], x[LOPT_HRNN_F][L];
        float g[L], beta[L], eta[L], ell[L], d[L], scratch[L];
        // Row r of the block at this group's coordinates; lanes past the chunk's end get a zero
        // state and gradient (finite), and are not stored. Full groups load and store whole vectors.
        const auto row = [&](int r) { return blk + (int64_t)r * n + i0; };
        const auto load = [&](float* dst, const float* src) {
            if (cnt == L)
                for (int c = 0; c < L; ++c) dst[c] = src[c];
            else
                for (int c = 0; c < L; ++c) dst[c] = c < cnt ? src[c] : 0.0f;
        };
        const auto store = [&](float* dst, const float* src) {
            if (cnt == L)
                for (int c = 0; c < L; ++c) dst[c] = src[c];
            else
                for (int c = 0; c < cnt; ++c) dst[c] = src[c];
        };
        for (int j = 0; j < LOPT_HRNN_H0; ++j) load(h[j], row(LOPT_HRNN_OFF_H + j));
        for (int s = 0; s < LOPT_HRNN_S; ++s) {
            load(m[s], row(LOPT_HRNN_OFF_M + s));
            load(v[s], row(LOPT_HRNN_OFF_V + s));
        }
        load(beta, row(LOPT_HRNN_OFF_BETA));
        load(eta, row(LOPT_HRNN_OFF_ETA));
        load(ell, row(LOPT_HRNN_OFF_ELL));
        load(g, t.grad + i0);
        lopt_hrnn_coords<L>(w, e, mu, g, h, m, v, beta, eta, ell, x, d, scratch);
        for (int j = 0; j < LOPT_HRNN_H0; ++j) store(row(LOPT_HRNN_OFF_H + j), h[j]);
        for (int s = 0; s < LOPT_HRNN_S; ++s) {
            store(row(LOPT_HRNN_OFF_M + s), m[s]);
            store(row(LOPT_HRNN_OFF_V + s), v[s]);
        }
        store(row(LOPT_HRNN_OFF_BETA), beta);
        store(row(LOPT_HRNN_OFF_ETA), eta);
        store(row(LOPT_HRNN_OFF_ELL), ell);
        store(row(LOPT_HRNN_OFF_SCRATCH), scratch);
        // The chunk's sums, in coordinate order.
        for (int c = 0; c < cnt; ++c) {
            acc[0] += (double)d[c] * d[c];
            for (int j = 0; j < LOPT_HRNN_H0; ++j) acc[1 + j] += h[j][c];
            for (int j = 0; j < LOPT_HRNN_F; ++j) acc[1 + LOPT_HRNN_H0 + j] += x[j][c];
            acc[LOPT_HRNN_SUMS - 1] += ell[c];
        }
    }
    for (int j = 0; j < LOPT_HRNN_SUMS; ++j) sums[j] = acc[j];
}

// One BiasGRU step of a small cell (tensor or global), looping phase 1 then phase 2 over units.
void small_cell(const float* x, int I, float* h, int H, const float* wx, const float* wh, const float* b, const float* e) {
    std::vector<float> rh(H), u(H), out(H);
    for (int j = 0; j < H; ++j) lopt_hrnn_gru_ru(j, x, I, h, H, wx, wh, b, e, &rh[j], &u[j]);
    for (int j = 0; j < H; ++j) out[j] = lopt_hrnn_gru_new(j, x, I, h, rh.data(), u[j], H, wx, wh, b, e);
    for (int j = 0; j < H; ++j) h[j] = out[j];
}

// The derived fields the next step reads: e_tg, every tensor's e_0, and mu.
void derive(const float* pack, const lopt_hrnn_layout& L, const lopt_hrnn_tensor* t, int32_t k, const lopt_hrnn_shared* sh) {
    for (int j = 0; j < 3 * L.h1; ++j) sh->etg[j] = lopt_hrnn_affine(j, sh->g, L.h2, pack + L.tg_w, 3 * L.h1, pack + L.tg_b);
    double total = 0, count = 0;
    for (int32_t i = 0; i < k; ++i) {
        for (int j = 0; j < LOPT_HRNN_G0; ++j) sh->e0[i * LOPT_HRNN_G0 + j] = lopt_hrnn_e0(j, pack, &L, sh->s + (int64_t)i * L.h1, sh->g);
        if (t[i].n > 0) { total += (double)sh->ellmean[i] * (double)t[i].n; count += (double)t[i].n; }
    }
    sh->mu[0] = count > 0 ? (float)(total / count) : 0.0f;
}

// Derived fields of one optimizer instance from its state.
void prepare_one(const float* pack, const lopt_hrnn_layout& L, const lopt_hrnn_tensor* t, int32_t k, const lopt_hrnn_shared* sh) {
    for (int32_t i = 0; i < k; ++i) {
        const float* ell = t[i].block + LOPT_HRNN_OFF_ELL * t[i].n;
        double sum = 0;
        for (int64_t c = 0; c < t[i].n; ++c) sum += ell[c];
        sh->ellmean[i] = t[i].n > 0 ? (float)(sum / (double)t[i].n) : 0.0f;
    }
    derive(pack, L, t, k, sh);
}

// One step of one optimizer instance over its k tensors. `inner` lets its loops use OpenMP threads
// (off when the caller already runs instances in parallel); results do not depend on it.
void step_one(const float* pack, const lopt_hrnn_layout& L, const lopt_hrnn_tensor* t, int32_t k, const lopt_hrnn_shared* sh,
              int32_t* skipped, int64_t* bad_entries, bool inner) {
    const int32_t h1 = L.h1, h2 = L.h2;
    const lopt_hrnn_pw* w = reinterpret_cast<const lopt_hrnn_pw*>(pack);

    // Scan: a tensor with any unusable gradient entry skips the step (docs/hrnn.md).
    std::vector<int32_t> skip(k);
    int64_t bad_total = 0;
    for (int32_t i = 0; i < k; ++i) {
        int64_t bad = 0;
        const float* g = t[i].grad;
        const int64_t n = t[i].n;
#pragma omp parallel for schedule(static) reduction(+ : bad) if (inner && n >= 65536)
        for (int64_t c = 0; c < n; ++c) bad += lopt_hrnn_grad_ok(g[c]) ? 0 : 1;
        bad_total += bad;
        skip[i] = (n == 0 || bad > 0) ? 1 : 0;
        if (skipped) skipped[i] = bad > 0 ? 1 : 0;
    }
    if (bad_entries) *bad_entries = bad_total;

    // Pass A. One chunk (the small problems of meta-training) stays on the calling thread: a
    // parallel region costs more than 2048 coordinates of work on a busy machine.
    const std::vector<Chunk> chunks = make_chunks(t, k, skip);
    const int64_t nchunks = (int64_t)chunks.size();
    std::vector<double> sums((size_t)nchunks * LOPT_HRNN_SUMS);
    const float mu = sh->mu[0];
#pragma omp parallel for schedule(dynamic, 1) if (inner && nchunks > 1)
    for (int64_t c = 0; c < nchunks; ++c) {
        const Chunk& ch = chunks[c];
        pass_a(w, sh->e0 + (int64_t)ch.k * LOPT_HRNN_G0, mu, t[ch.k], ch.begin, ch.end, &sums[(size_t)c * LOPT_HRNN_SUMS]);
    }

    // Small pass: per-tensor sums in chunk order, c_k, tensor RNNs, then the global RNN.
    std::vector<float> ck(k, 0.0f);
    std::vector<double> tsum(LOPT_HRNN_SUMS), smean(h1, 0.0);
    int64_t c = 0, updated = 0;
    float in[LOPT_HRNN_I1];
    for (int32_t i = 0; i < k; ++i) {
        if (skip[i]) continue;
        for (int j = 0; j < LOPT_HRNN_SUMS; ++j) tsum[j] = 0;
        for (; c < nchunks && chunks[c].k == i; ++c)
            for (int j = 0; j < LOPT_HRNN_SUMS; ++j) tsum[j] += sums[(size_t)c * LOPT_HRNN_SUMS + j];
        const double n = (double)t[i].n;
        ck[i] = lopt_hrnn_rms_scale(tsum[0], t[i].n);
        for (int j = 0; j < LOPT_HRNN_I1; ++j) in[j] = (float)(tsum[1 + j] / n);
        sh->ellmean[i] = (float)(tsum[LOPT_HRNN_SUMS - 1] / n);
        float* s = sh->s + (int64_t)i * h1;
        small_cell(in, LOPT_HRNN_I1, s, h1, pack + L.t_wx, pack + L.t_wh, pack + L.t_b, sh->etg);
        for (int j = 0; j < h1; ++j) smean[j] += s[j];
        ++updated;
    }
    if (updated > 0) {
        std::vector<float> gin(h1);
        for (int j = 0; j < h1; ++j) gin[j] = (float)(smean[j] / (double)updated);
        small_cell(gin.data(), h1, sh->g, h2, pack + L.g_wx, pack + L.g_wh, pack + L.g_b, nullptr);
    }
    derive(pack, L, t, k, sh);

    // Pass B.
#pragma omp parallel for schedule(dynamic, 1) if (inner && nchunks > 4)
    for (int64_t q = 0; q < nchunks; ++q) {
        const Chunk& ch = chunks[q];
        const lopt_hrnn_tensor& tt = t[ch.k];
        const float* scratch = tt.block + LOPT_HRNN_OFF_SCRATCH * tt.n;
        const float scale = ck[ch.k];
        for (int64_t i = ch.begin; i < ch.end; ++i) tt.theta[i] -= scratch[i] * scale;
    }
}

// Group q's view of the grouped shared arrays (see lopt_hrnn_abi.h).
lopt_hrnn_shared group_shared(const lopt_hrnn_shared* sh, const lopt_hrnn_layout& L, int32_t first, int32_t q) {
    lopt_hrnn_shared g;
    g.s = sh->s + (int64_t)first * L.h1;
    g.g = sh->g + (int64_t)q * L.h2;
    g.e0 = sh->e0 + (int64_t)first * LOPT_HRNN_G0;
    g.etg = sh->etg + (int64_t)q * 3 * L.h1;
    g.ellmean = sh->ellmean + first;
    g.mu = sh->mu + q;
    return g;
}

// Checks the group table and every group's arguments.
bool check_grouped(const char* fn, const float* packs, int32_t h1, int32_t h2, const lopt_hrnn_tensor* t,
                   const int32_t* first, int32_t groups, const lopt_hrnn_shared* sh, bool need_io) {
    static thread_local char msg[256];
    const char* why = nullptr;
    if (groups < 1) why = "need at least one group";
    else if (!first) why = "null group table";
    else if (first[0] != 0) why = "group_first[0] must be 0";
    else
        for (int32_t q = 0; q < groups && !why; ++q)
            if (first[q + 1] <= first[q]) why = "every group needs at least one tensor (group_first strictly increasing)";
    if (why) {
        snprintf(msg, sizeof msg, "%s: %s", fn, why);
        lopt_set_error(msg);
        return false;
    }
    if (!check_args(fn, packs, h1, h2, t, first[groups], sh, need_io)) return false;
    return true;
}

}  // namespace

extern "C" {

LOPT_API int32_t lopt_hrnn_pack_floats(int32_t h1, int32_t h2) {
    if (h1 < 1 || h2 < 1) return -1;
    return lopt_hrnn_make_layout(h1, h2).total;
}

LOPT_API int32_t lopt_hrnn_prepare(const float* pack, int32_t h1, int32_t h2, const lopt_hrnn_tensor* t,
                                   int32_t k, const lopt_hrnn_shared* sh) {
    if (!check_args("lopt_hrnn_prepare", pack, h1, h2, t, k, sh, false)) return LOPT_E_ARGUMENT;
    prepare_one(pack, lopt_hrnn_make_layout(h1, h2), t, k, sh);
    return 0;
}

LOPT_API int32_t lopt_hrnn_step(const float* pack, int32_t h1, int32_t h2, const lopt_hrnn_tensor* t,
                                int32_t k, const lopt_hrnn_shared* sh, int32_t* skipped, int64_t* bad_entries) {
    if (!check_args("lopt_hrnn_step", pack, h1, h2, t, k, sh, true)) return LOPT_E_ARGUMENT;
    step_one(pack, lopt_hrnn_make_layout(h1, h2), t, k, sh, skipped, bad_entries, true);
    return 0;
}

LOPT_API int32_t lopt_hrnn_prepare_grouped(const float* packs, int32_t h1, int32_t h2, const lopt_hrnn_tensor* t,
                                           const int32_t* first, int32_t groups, const lopt_hrnn_shared* sh) {
    if (!check_grouped("lopt_hrnn_prepare_grouped", packs, h1, h2, t, first, groups, sh, false)) return LOPT_E_ARGUMENT;
    const lopt_hrnn_layout L = lopt_hrnn_make_layout(h1, h2);
    for (int32_t q = 0; q < groups; ++q) {
        const lopt_hrnn_shared g = group_shared(sh, L, first[q], q);
        prepare_one(packs + (int64_t)q * L.total, L, t + first[q], first[q + 1] - first[q], &g);
    }
    return 0;
}

LOPT_API int32_t lopt_hrnn_step_grouped(const float* packs, int32_t h1, int32_t h2, const lopt_hrnn_tensor* t,
                                        const int32_t* first, int32_t groups, const int32_t* active,
                                        const lopt_hrnn_shared* sh, int32_t* skipped, int64_t* bad_entries) {
    if (!check_grouped("lopt_hrnn_step_grouped", packs, h1, h2, t, first, groups, sh, true)) return LOPT_E_ARGUMENT;
    const lopt_hrnn_layout L = lopt_hrnn_make_layout(h1, h2);
    // Groups are independent: they run in parallel, each on one thread (one group alone keeps the
    // step's own parallel loops). Every group's arithmetic is the same either way. As in the single
    // step, less than a chunk of coordinates in all stays on the calling thread: a parallel region
    // costs more than that on a busy machine (the small problems of meta-training).
    const bool inner = groups == 1;
    int64_t work = 0;
    for (int32_t i = 0; i < first[groups]; ++i) work += t[i].n;
#pragma omp parallel for schedule(dynamic, 1) if (groups > 1 && work > kChunk)
    for (int32_t q = 0; q < groups; ++q) {
        if (active && !active[q]) continue;
        const lopt_hrnn_shared g = group_shared(sh, L, first[q], q);
        step_one(packs + (int64_t)q * L.total, L, t + first[q], first[q + 1] - first[q], &g,
                 skipped ? skipped + first[q] : nullptr, bad_entries ? bad_entries + q : nullptr, inner);
    }
    return 0;
}

}
