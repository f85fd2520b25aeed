// C ABI of the CPU library (liblopt_cpu.so). Blittable arguments only; the managed side
// ([LibraryImport]) mirrors every struct. Functions return 0 on success or a negative
// LOPT_E_* code; lopt_last_error() describes the last failure on the calling thread.
#ifndef LOPT_CPU_H
#define LOPT_CPU_H

#include <stdint.h>
#include "lopt_optim.h"

#if defined(_WIN32)
#define LOPT_API __declspec(dllexport)
#else
#define LOPT_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define LOPT_ABI_VERSION 1
#define LOPT_E_ARGUMENT (-1)

LOPT_API int32_t lopt_abi_version(void);
LOPT_API int32_t lopt_max_threads(void);
LOPT_API void lopt_set_threads(int32_t threads);
LOPT_API const char* lopt_last_error(void);
// The instruction set this build targets: "x86-64" (baseline, liblopt_cpu.so) or "x86-64-v3"
// (AVX2 + FMA, liblopt_cpu_v3.so). Every kernel gives the same bits in either.
LOPT_API const char* lopt_cpu_isa(void);
// Struct sizes, so the managed mirrors can be checked against this build.
LOPT_API int32_t lopt_struct_size(int32_t which); // 0: lopt_hparams, 1: lopt_coef
// Layout of a C struct that C# mirrors, by its C name (lopt_hparams, lopt_coef, lopt_hrnn_tensor,
// lopt_hrnn_shared, lopt_hrnn_desc, lopt_hg_job): its size and the offset of each field in declaration
// order (at most capacity). Returns the field count, or LOPT_E_ARGUMENT for an unknown name.
LOPT_API int32_t lopt_abi_struct(const char* name, int64_t* size, int64_t* offsets, int32_t capacity);
// Value of an integer constant of the native headers that C# uses, by its macro name (e.g.
// "LOPT_HRNN_H0"). 0 on success, or LOPT_E_ARGUMENT for an unknown name.
LOPT_API int32_t lopt_abi_constant(const char* name, int64_t* value);

// Per-step scalars for kind at step t (>= 1).
LOPT_API int32_t lopt_optim_coef(int32_t kind, const lopt_hparams* hp, int64_t t, lopt_coef* out);
// State buffers (each n floats) kind keeps per tensor, or negative for an unknown kind.
LOPT_API int32_t lopt_optim_state_count(int32_t kind, const lopt_hparams* hp);
// One fused step over n elements. s0/s1/s2 may be null where the optimizer keeps fewer buffers.
// Writes the number of non-finite gradient entries (skipped) to *nonfinite.
LOPT_API int32_t lopt_optim_step(int32_t kind, float* p, const float* g, float* s0, float* s1, float* s2,
                                 int64_t n, const lopt_coef* c, int64_t* nonfinite);

// dst[i] = src[i]: the bandwidth yardstick of the benchmarks.
LOPT_API void lopt_copy(float* dst, const float* src, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
