// Counter-based random numbers shared by the CPU launchers and the CUDA kernels: every draw is a
// pure function of (seed, step, stream, index), so a training step replays exactly and the same
// seed gives bit-identical draws on both backends, whatever the thread layout. The generator is
// Philox4x32-10 (Salmon et al. 2011, Random123; integer arithmetic only). Turning bits into floats
// uses only IEEE-exact operations (+ − × ÷ sqrt, both compilers keep a*b+c unfused) and our own
// branch-free log (lopt_log with lopt_fast_math), never libm, whose results differ between host and device.
//
// Counter layout: (index, stream << 8 | attempt, step low, step high), key = the 64-bit seed.
// "stream" (24 bits) separates independent users of one seed (each noise or mask node of a
// composite problem has its own); "attempt" (8 bits) numbers the Gaussian sampler's retries.
#ifndef LOPT_RANDOM_H
#define LOPT_RANDOM_H

#include "lopt_common.h"

#define LOPT_PHILOX_M0 0xD2511F53u
#define LOPT_PHILOX_M1 0xCD9E8D57u
#define LOPT_PHILOX_W0 0x9E3779B9u
#define LOPT_PHILOX_W1 0xBB67AE85u
#define LOPT_RANDOM_MAX_STREAM 0xFFFFFFu
// The polar method accepts a pair with probability π/4; 32 tries fail with probability < 1e-21.
#define LOPT_GAUSSIAN_TRIES 16

// Philox4x32-10: out = the 4 words for counter ctr under key.
LOPT_HD void lopt_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; ++round) {
        uint64_t p0 = (uint64_t)LOPT_PHILOX_M0 * c0, p1 = (uint64_t)LOPT_PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0, hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += LOPT_PHILOX_W0;
        k1 += LOPT_PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

// The 4 words of (seed, step, stream, attempt, index).
LOPT_HD void lopt_random_block(uint64_t seed, int64_t step, uint32_t stream, uint32_t attempt, uint32_t index, uint32_t out[4]) {
    uint64_t s = (uint64_t)step;
    uint32_t ctr[4] = {index, (stream << 8) | (attempt & 0xFFu), (uint32_t)s, (uint32_t)(s >> 32)};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    lopt_philox4x32_10(ctr, key, out);
}

// Uniform in [0, 1) on the grid of 2^-24 (exact in float32).
LOPT_HD float lopt_bits_uniform(uint32_t w) { return (float)(w >> 8) * 5.9604644775390625e-8f; }

// Uniform in (−1, 1) on the odd multiples of 2^-24: never 0, and exact in float32.
LOPT_HD float lopt_bits_symmetric(uint32_t w) {
    int32_t odd = 2 * (int32_t)(w >> 8) + 1 - 16777216;
    return (float)odd * 5.9604644775390625e-8f;
}

// Uniform [0, 1) draw number index of (seed, step, stream).
LOPT_HD float lopt_random_uniform(uint64_t seed, int64_t step, uint32_t stream, uint32_t index) {
    uint32_t w[4];
    lopt_random_block(seed, step, stream, 0u, index, w);
    return lopt_bits_uniform(w[0]);
}

// One pair (u, v) of the polar method: the Gaussian u·sqrt(−2 ln s / s), or false when rejected.
LOPT_HD bool lopt_polar_try(uint32_t a, uint32_t b, float* z) {
    float u = lopt_bits_symmetric(a), v = lopt_bits_symmetric(b);
    float s = u * u + v * v;  // >= 2^-47: a normal float, as the fast lopt_log needs
    if (!(s < 1.0f)) return false;
    *z = u * sqrtf(-2.0f * lopt_log(lopt_fast_math(), s) / s);
    return true;
}

// Standard normal draw number index of (seed, step, stream): Marsaglia's polar method, whose
// retries use further attempts of the same counter. 0 in the (never seen) case that all fail.
LOPT_HD float lopt_random_gaussian(uint64_t seed, int64_t step, uint32_t stream, uint32_t index) {
    for (uint32_t attempt = 0; attempt < LOPT_GAUSSIAN_TRIES; ++attempt) {
        uint32_t w[4];
        lopt_random_block(seed, step, stream, attempt, index, w);
        float z;
        if (lopt_polar_try(w[0], w[1], &z)) return z;
        if (lopt_polar_try(w[2], w[3], &z)) return z;
    }
    return 0.0f;
}

#endif
