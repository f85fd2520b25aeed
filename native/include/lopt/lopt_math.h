// Elementary functions behind the per-element math, chosen by a math policy (a tag type passed as
// a template argument) so one formula serves every precision and backend:
//   lopt_fast_math  float only: branch-free Cephes-style polynomials (~1-2 ulp), the same arithmetic
//                   on both backends; unlike libm calls the CPU compiler vectorises them (the HRNN step)
//   lopt_libm_math  float or double: the platform's libm (the CUDA math library on the device)
// and the one sigmoid and the one asinh, written against a policy (libm unless named).
#ifndef LOPT_MATH_H
#define LOPT_MATH_H

#include "lopt_common.h"

struct lopt_fast_math {
    // Selects between both computed arms rather than branches, so lane loops vectorise.
    static const bool branch_free = true;
    // The log-LR pre-activation a = ell + (b_l + h w_l) adds the previous log-LR last (the HRNN
    // step as trained); see lopt_hrnn_coord.h.
    static const bool ell_first = false;
};

struct lopt_libm_math {
    static const bool branch_free = false;
    // a = (ell + b_l) + h w_l: the truncated-BPTT engine's order.
    static const bool ell_first = true;
};

// --- precision overloads shared by both policies (sqrt is correctly rounded everywhere) ---

LOPT_HD float lopt_sqrt(float x) { return sqrtf(x); }
LOPT_HD double lopt_sqrt(double x) { return sqrt(x); }
LOPT_HD float lopt_abs(float x) { return fabsf(x); }
LOPT_HD double lopt_abs(double x) { return fabs(x); }

// --- lopt_libm_math ---

LOPT_HD float lopt_exp(lopt_libm_math, float x) { return expf(x); }
LOPT_HD double lopt_exp(lopt_libm_math, double x) { return exp(x); }
LOPT_HD float lopt_log(lopt_libm_math, float x) { return logf(x); }
LOPT_HD double lopt_log(lopt_libm_math, double x) { return log(x); }
LOPT_HD float lopt_log1p(lopt_libm_math, float x) { return log1pf(x); }
LOPT_HD double lopt_log1p(lopt_libm_math, double x) { return log1p(x); }
LOPT_HD float lopt_tanh(lopt_libm_math, float x) { return tanhf(x); }
LOPT_HD double lopt_tanh(lopt_libm_math, double x) { return tanh(x); }

// --- lopt_fast_math (float) ---

LOPT_HD float lopt_bits_to_float(int32_t b) {
#if LOPT_DEVICE && defined(__CUDA_ARCH__)
    return __int_as_float(b);
#else
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
#endif
}

LOPT_HD int32_t lopt_float_to_bits(float f) {
#if LOPT_DEVICE && defined(__CUDA_ARCH__)
    return __float_as_int(f);
#else
    int32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
#endif
}

// min/max as selects: unlike fminf/fmaxf (library calls on SSE2) they vectorise; inputs are finite.
LOPT_HD float lopt_clamp(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
LOPT_HD double lopt_clamp(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

// e^x, x clamped to [-87, 88] (so 2^n stays a normal float).
LOPT_HD float lopt_exp(lopt_fast_math, float x) {
    x = lopt_clamp(x, -87.0f, 88.0f);
    float t = x * 1.44269504088896341f;
    float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest integer (|t| < 2^22)
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * (r * r) + r + 1.0f;
    return y * lopt_bits_to_float(((int32_t)n + 127) << 23);
}

// ln x for a positive normal x.
LOPT_HD float lopt_log(lopt_fast_math, float x) {
    int32_t b = lopt_float_to_bits(x);
    float e = (float)(((b >> 23) & 0xff) - 126);
    float m = lopt_bits_to_float((b & 0x007fffff) | 0x3f000000);  // x = m 2^e, m in [0.5, 1)
    // Selects between values computed on both paths: with -ftrapping-math g++ only if-converts
    // (and so vectorises) selects whose arms need no arithmetic.
    bool low = m < 0.707106781186547524f;
    float em1 = e - 1.0f, f_low = m + m - 1.0f, f_high = m - 1.0f;
    e = low ? em1 : e;
    float f = low ? f_low : f_high;
    float z = f * f;
    float p = 7.0376836292e-2f;
    p = p * f - 1.1514610310e-1f;
    p = p * f + 1.1676998740e-1f;
    p = p * f - 1.2420140846e-1f;
    p = p * f + 1.4249322787e-1f;
    p = p * f - 1.6668057665e-1f;
    p = p * f + 2.0000714765e-1f;
    p = p * f - 2.4999993993e-1f;
    p = p * f + 3.3333331174e-1f;
    float y = p * f * z;
    y = y + e * -2.12194440e-4f;
    y = y - 0.5f * z;
    return (f + y) + e * 0.693359375f;
}

// ln(1 + y) for y >= 0: ln u, u = 1 + y, corrected for the rounding of u.
LOPT_HD float lopt_log1p(lopt_fast_math, float y) {
    float u = 1.0f + y;
    return lopt_log(lopt_fast_math(), u) - ((u - 1.0f) - y) / u;
}

// tanh z = sign(z) (1 - e) / (1 + e), e = exp(-2|z|): absolute error ~1e-7 (enough for h).
LOPT_HD float lopt_tanh(lopt_fast_math, float z) {
    float e = lopt_exp(lopt_fast_math(), -2.0f * fabsf(z));
    float t = (1.0f - e) / (1.0f + e), nt = -t;
    return z < 0.0f ? nt : t;
}

// --- the functions built on a policy ---

template <class M = lopt_libm_math, typename T> LOPT_HD T lopt_sigmoid(T z) { return T(1) / (T(1) + lopt_exp(M(), -z)); }

// asinh that is odd and accurate for any |x| (the naive log(x + sqrt(1 + x^2)) cancels for
// negative x; docs/hrnn.md R2): log1p(a + a^2 / (1 + sqrt(1 + a^2))), accurate near 0 as well, and
// ln(2a) above 1e18, where a^2 would overflow float.
template <class M = lopt_libm_math, typename T> LOPT_HD T lopt_asinh(T x) {
    const T a = lopt_abs(x);
    T r;
    if (M::branch_free) {
        // Both arms, then a select; the log's argument kept finite for the polynomial.
        const T a2 = a * a;
        const T small = lopt_log1p(M(), a + a2 / (T(1) + lopt_sqrt(T(1) + a2)));
        const T big = lopt_log(M(), a > T(3.0e38) ? T(3.0e38) : a) + T(0.69314718055994531);
        r = a > T(1e18) ? big : small;
    } else if (a > T(1e18)) {
        r = lopt_log(M(), a) + T(0.69314718055994531);
    } else {
        const T a2 = a * a;
        r = lopt_log1p(M(), a + a2 / (T(1) + lopt_sqrt(T(1) + a2)));
    }
    const T nr = -r;
    return x < T(0) ? nr : r;
}

#endif
