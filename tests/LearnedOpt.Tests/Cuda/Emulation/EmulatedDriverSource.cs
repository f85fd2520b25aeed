namespace LearnedOpt.Tests.Cuda.Emulation;

/// <summary>
/// C++ source of a test double for libcuda: the driver entry points CudaBackend uses, over host
/// memory, with the optimizer kernels run by the shared per-element math (lopt_optim.h, the same
/// header the real kernels include). It lets the GPU-tier tests exercise our driver plumbing
/// (argument packing, lopt_coef by value, the non-finite counter, arena, copies, streams, events)
/// on a machine without a GPU. Device pointers are checked against live allocations, so a wrong
/// pointer or length fails as CUDA_ERROR_ILLEGAL_ADDRESS would. It is no substitute for the GPU run.
/// </summary>
internal static class EmulatedDriverSource
{
    public const string Text = """
        #include "lopt/lopt_optim.h"
        #include "lopt/lopt_wrappers.h"
        #include "lopt/lopt_matmul.h"
        #include <chrono>
        #include <cstdint>
        #include <cstdlib>
        #include <cstring>
        #include <map>
        #include <mutex>
        #include <set>
        #include <string>

        typedef int CUresult;
        typedef unsigned long long CUdeviceptr;
        enum { OK = 0, INVALID_VALUE = 1, NOT_INITIALIZED = 3, INVALID_IMAGE = 200, INVALID_HANDLE = 400, NOT_FOUND = 500, ILLEGAL_ADDRESS = 700 };

        static std::mutex g_lock;
        static bool g_init = false;
        static std::map<uintptr_t, size_t> g_allocs;   // device allocations: base -> bytes
        static std::set<void*> g_streams, g_events, g_modules;
        static std::map<void*, double> g_event_ms;
        struct Function { std::string name; };
        static const int kDevices = 1;

        static bool inside(CUdeviceptr p, size_t bytes) {
            std::lock_guard<std::mutex> l(g_lock);
            auto it = g_allocs.upper_bound((uintptr_t)p);
            if (it == g_allocs.begin()) return false;
            --it;
            return (uintptr_t)p >= it->first && (uintptr_t)p + bytes <= it->first + it->second;
        }
        static bool stream_ok(void* s) { std::lock_guard<std::mutex> l(g_lock); return s == nullptr || g_streams.count(s) > 0; }
        static double now_ms() { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

        extern "C" {
        CUresult cuInit(unsigned flags) { if (flags != 0) return INVALID_VALUE; g_init = true; return OK; }
        CUresult cuDriverGetVersion(int* v) { *v = 12040; return OK; }
        CUresult cuGetErrorName(CUresult e, const char** s) {
            switch (e) { case OK: *s = "CUDA_SUCCESS"; break; case INVALID_VALUE: *s = "CUDA_ERROR_INVALID_VALUE"; break;
                case INVALID_HANDLE: *s = "CUDA_ERROR_INVALID_HANDLE"; break; case NOT_FOUND: *s = "CUDA_ERROR_NOT_FOUND"; break;
                case ILLEGAL_ADDRESS: *s = "CUDA_ERROR_ILLEGAL_ADDRESS"; break; case INVALID_IMAGE: *s = "CUDA_ERROR_INVALID_IMAGE"; break;
                default: *s = "CUDA_ERROR_UNKNOWN"; }
            return OK;
        }
        CUresult cuGetErrorString(CUresult e, const char** s) { *s = e == ILLEGAL_ADDRESS ? "an illegal memory access was encountered (emulated)" : "emulated driver error"; return OK; }

        CUresult cuDeviceGetCount(int* n) { if (!g_init) return NOT_INITIALIZED; *n = kDevices; return OK; }
        CUresult cuDeviceGet(int* d, int ordinal) { if (ordinal < 0 || ordinal >= kDevices) return INVALID_VALUE; *d = ordinal; return OK; }
        CUresult cuDeviceGetName(char* name, int len, int) { strncpy(name, "LearnedOpt emulated device", (size_t)len - 1); name[len - 1] = 0; return OK; }
        CUresult cuDeviceGetAttribute(int* v, int attr, int) {
            switch (attr) {
                case 1: *v = 1024; break; case 10: *v = 32; break; case 13: *v = 1980000; break; case 16: *v = 4; break;
                case 36: *v = 2619000; break; case 37: *v = 5120; break; case 38: *v = 50 << 20; break; case 39: *v = 2048; break;
                // LOPT_EMULATED_CC_MAJOR lets a test pose as a GPU newer than NVRTC knows (PTX fallback).
                case 75: *v = getenv("LOPT_EMULATED_CC_MAJOR") ? atoi(getenv("LOPT_EMULATED_CC_MAJOR")) : 9; break;
                case 76: *v = 0; break; case 97: *v = 232448; break;
                default: return INVALID_VALUE;
            }
            return OK;
        }
        CUresult cuDeviceTotalMem_v2(size_t* b, int) { *b = (size_t)4 << 30; return OK; }
        CUresult cuDevicePrimaryCtxRetain(void** c, int d) { if (d != 0) return INVALID_VALUE; *c = (void*)0x1000; return OK; }
        CUresult cuDevicePrimaryCtxRelease_v2(int) { return OK; }
        CUresult cuCtxSetCurrent(void* c) { return c == (void*)0x1000 || c == nullptr ? OK : INVALID_HANDLE; }
        CUresult cuCtxSynchronize() { return OK; }

        CUresult cuModuleLoadData(void** m, const void* image) {
            const unsigned char* b = (const unsigned char*)image;
            bool elf = b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
            bool ptx = strstr((const char*)image, ".entry") != nullptr;
            if (!elf && !ptx) return INVALID_IMAGE;
            *m = new int(0);
            std::lock_guard<std::mutex> l(g_lock);
            g_modules.insert(*m);
            return OK;
        }
        CUresult cuModuleLoadDataEx(void** m, const void* image, unsigned, int*, void**) { return cuModuleLoadData(m, image); }
        CUresult cuModuleUnload(void* m) {
            std::lock_guard<std::mutex> l(g_lock);
            if (!g_modules.erase(m)) return INVALID_HANDLE;
            delete (int*)m;
            return OK;
        }
        CUresult cuModuleGetFunction(void** f, void* m, const char* name) {
            { std::lock_guard<std::mutex> l(g_lock); if (!g_modules.count(m)) return INVALID_HANDLE; }
            static const char* known[] = { "lopt_copy", "lopt_sgd_step", "lopt_sgd_momentum_step", "lopt_rmsprop_step",
                                           "lopt_adam_step", "lopt_adamw_step", "lopt_powersign_step", "lopt_addsign_step",
                                           "lopt_adam_amsgrad_step", "lopt_adamw_amsgrad_step", "lopt_rmsprop_centered_step",
                                           "lopt_adagrad_step", "lopt_adamax_step", "lopt_nadam_step", "lopt_radam_step",
                                           "lopt_random_fill", "lopt_wrap_noise", "lopt_wrap_mask", "lopt_wrap_divide", "lopt_wrap_log",
                                           "lopt_wrap_log_hvp", "lopt_wrap_gather", "lopt_wrap_scatter", "lopt_wrap_add", "lopt_problems_matmul" };
            for (const char* k : known)
                if (strcmp(k, name) == 0) { *f = new Function{name}; return OK; }
            return NOT_FOUND;
        }
        CUresult cuFuncGetAttribute(int* v, int attr, void*) { *v = attr == 0 ? 256 : attr == 4 ? 32 : 0; return OK; }

        static int kind_of(const std::string& n) {
            if (n == "lopt_sgd_step") return LOPT_SGD;
            if (n == "lopt_sgd_momentum_step") return LOPT_SGD_MOMENTUM;
            if (n == "lopt_rmsprop_step") return LOPT_RMSPROP;
            if (n == "lopt_adam_step") return LOPT_ADAM;
            if (n == "lopt_adamw_step") return LOPT_ADAMW;
            if (n == "lopt_powersign_step") return LOPT_POWERSIGN;
            if (n == "lopt_addsign_step") return LOPT_ADDSIGN;
            if (n == "lopt_adam_amsgrad_step") return LOPT_ADAM_AMSGRAD;
            if (n == "lopt_adamw_amsgrad_step") return LOPT_ADAMW_AMSGRAD;
            if (n == "lopt_rmsprop_centered_step") return LOPT_RMSPROP_CENTERED;
            if (n == "lopt_adagrad_step") return LOPT_ADAGRAD;
            if (n == "lopt_adamax_step") return LOPT_ADAMAX;
            if (n == "lopt_nadam_step") return LOPT_NADAM;
            if (n == "lopt_radam_step") return LOPT_RADAM;
            return -1;
        }

        // The batched-wrapper and MatMul kernels (wrappers.cu, matmul.cu) with their exact parameter lists;
        // every pointer is checked against the allocations for the extent the kernel touches.
        extern "C++" { template <class T> static T arg(void** args, int i) { return *(T*)args[i]; } }
        static bool in(const void* p, long long bytes) { return bytes <= 0 || (p && inside((CUdeviceptr)p, (size_t)bytes)); }
        static CUresult launch_batched(const std::string& name, void** args, unsigned threads) {
            if (name == "lopt_wrap_divide" || name == "lopt_wrap_add") {
                long long n = arg<long long>(args, 0);
                const float* x = arg<const float*>(args, 1);
                float d = name == "lopt_wrap_divide" ? arg<float>(args, 2) : 0.0f;
                float* out = arg<float*>(args, name == "lopt_wrap_divide" ? 3 : 2);
                if (n < 0 || !in(x, n * 4) || !in(out, n * 4)) return ILLEGAL_ADDRESS;
                for (long long i = 0; i < n; ++i) out[i] = name == "lopt_wrap_add" ? out[i] + x[i] : x[i] / d;
                return OK;
            }
            if (name == "lopt_wrap_gather" || name == "lopt_wrap_scatter") {
                long long count = arg<long long>(args, 0);
                int total = arg<int>(args, 1), offset = arg<int>(args, 2), part = arg<int>(args, 3);
                const float* src = arg<const float*>(args, 4);
                float* dst = arg<float*>(args, 5);
                bool gather = name == "lopt_wrap_gather";
                if (count < 0 || part < 1 || offset < 0 || offset + part > total) return INVALID_VALUE;
                if (!in(src, count * (gather ? total : part) * 4) || !in(dst, count * (gather ? part : total) * 4)) return ILLEGAL_ADDRESS;
                for (long long k = 0; k < count; ++k)
                    for (int i = 0; i < part; ++i)
                        if (gather) dst[k * part + i] = src[k * total + offset + i];
                        else dst[k * total + offset + i] = src[k * part + i];
                return OK;
            }
            if (name == "lopt_problems_matmul") {
                long long count = arg<long long>(args, 0);
                int n = arg<int>(args, 1), k = arg<int>(args, 2);
                const float* theta = arg<const float*>(args, 3);
                float* loss = arg<float*>(args, 4);
                float* grad = arg<float*>(args, 5);
                const float* v = arg<const float*>(args, 6);
                float* hv = arg<float*>(args, 7);
                double* ws = arg<double*>(args, 8);
                long long dim = 2LL * n * n * k, w = lopt_matmul_workspace(n, k);
                if (!in(theta, count * dim * 4) || !in(loss, loss ? count * 4 : 0) || !in(grad, grad ? count * dim * 4 : 0) ||
                    !in(v, v ? count * dim * 4 : 0) || !in(hv, hv ? count * dim * 4 : 0) || !in(ws, (long long)threads * w * 8))
                    return ILLEGAL_ADDRESS;
                // The kernel's interleaved workspace: element e of thread slot at ws[e·threads + slot].
                for (long long slot = 0; slot < threads; ++slot)
                    for (long long i = slot; i < count; i += threads)
                        lopt_matmul_instance(n, k, theta + i * dim, loss ? loss + i : nullptr, grad ? grad + i * dim : nullptr,
                                             v ? v + i * dim : nullptr, hv ? hv + i * dim : nullptr, ws + slot, threads);
                return OK;
            }
            long long count = arg<long long>(args, name == "lopt_random_fill" ? 1 : 0);
            int dim = arg<int>(args, name == "lopt_random_fill" ? 2 : 1);
            long long n = count * dim;
            if (count < 0 || dim < 1) return INVALID_VALUE;
            if (name == "lopt_wrap_log" || name == "lopt_wrap_log_hvp") {
                const float* f = arg<const float*>(args, 2);
                if (!in(f, count * 4)) return ILLEGAL_ADDRESS;
                if (name == "lopt_wrap_log") {
                    float* loss = arg<float*>(args, 3);
                    float* grad = arg<float*>(args, 4);
                    if ((loss && !in(loss, count * 4)) || (grad && !in(grad, n * 4))) return ILLEGAL_ADDRESS;
                    for (long long e = 0; grad && e < n; ++e) grad[e] /= f[e / dim] + LOPT_LOG_EPS;
                    for (long long i = 0; loss && i < count; ++i) loss[i] = lopt_wrap_log_loss(f[i]);
                    return OK;
                }
                const float* gn = arg<const float*>(args, 3);
                const float* ge = arg<const float*>(args, 4);
                const float* v = arg<const float*>(args, 5);
                float* hv = arg<float*>(args, 6);
                if (!in(gn, n * 4) || !in(ge, n * 4) || !in(v, n * 4) || !in(hv, n * 4)) return ILLEGAL_ADDRESS;
                for (long long i = 0; i < count; ++i) {
                    float gv = 0.0f;
                    for (int j = 0; j < dim; ++j) gv += gn[i * dim + j] * v[i * dim + j];
                    for (int j = 0; j < dim; ++j) hv[i * dim + j] = lopt_wrap_log_hv(hv[i * dim + j], ge[i * dim + j], gv, f[i] + LOPT_LOG_EPS);
                }
                return OK;
            }
            int o = name == "lopt_random_fill" ? 3 : 2;  // seeds, step, stream follow count and dim
            const unsigned long long* seeds = arg<const unsigned long long*>(args, o);
            long long step = arg<long long>(args, o + 1);
            unsigned stream = arg<unsigned>(args, o + 2);
            if (!in(seeds, count * 8)) return ILLEGAL_ADDRESS;
            if (name == "lopt_random_fill") {
                int kind = arg<int>(args, 0);
                float* out = arg<float*>(args, 6);
                if (!in(out, n * 4)) return ILLEGAL_ADDRESS;
                for (long long e = 0; e < n; ++e)
                    out[e] = kind == 0 ? lopt_random_uniform(seeds[e / dim], step, stream, (unsigned)(e % dim))
                                       : lopt_random_gaussian(seeds[e / dim], step, stream, (unsigned)(e % dim));
                return OK;
            }
            float p = arg<float>(args, 5);
            if (name == "lopt_wrap_noise") {
                float* g = arg<float*>(args, 6);
                if (!in(g, n * 4)) return ILLEGAL_ADDRESS;
                for (long long e = 0; e < n; ++e) g[e] = lopt_wrap_noisy(g[e], p, seeds[e / dim], step, stream, (unsigned)(e % dim));
                return OK;
            }
            const float* x = arg<const float*>(args, 6);
            float* out = arg<float*>(args, 7);
            if (!in(x, n * 4) || !in(out, n * 4)) return ILLEGAL_ADDRESS;
            for (long long e = 0; e < n; ++e) out[e] = lopt_wrap_masked(x[e], p, seeds[e / dim], step, stream, (unsigned)(e % dim));
            return OK;
        }

        CUresult cuLaunchKernel(void* fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                unsigned, void* stream, void** args, void** extra) {
            if (!fn || !args || extra || !gx || !gy || !gz || !bx || !by || !bz || bx * by * bz > 1024) return INVALID_VALUE;
            if (!stream_ok(stream)) return INVALID_HANDLE;
            const std::string& name = ((Function*)fn)->name;
            if (name.rfind("lopt_wrap_", 0) == 0 || name == "lopt_random_fill" || name == "lopt_problems_matmul")
                return launch_batched(name, args, gx * bx);
            if (name == "lopt_copy") {
                CUdeviceptr dst = *(CUdeviceptr*)args[0], src = *(CUdeviceptr*)args[1];
                long long n = *(long long*)args[2];
                if (n < 0 || !inside(dst, n * 4) || !inside(src, n * 4)) return ILLEGAL_ADDRESS;
                memmove((void*)dst, (const void*)src, (size_t)n * 4);
                return OK;
            }
            int kind = kind_of(name);
            float* p = *(float**)args[0];
            const float* g = *(const float**)args[1];
            float* s0 = *(float**)args[2];
            float* s1 = *(float**)args[3];
            float* s2 = *(float**)args[4];
            long long n = *(long long*)args[5];
            lopt_coef c = *(const lopt_coef*)args[6];
            unsigned long long* bad = *(unsigned long long**)args[7];
            size_t bytes = (size_t)n * 4;
            if (n < 0 || !inside((CUdeviceptr)p, bytes) || !inside((CUdeviceptr)g, bytes)) return ILLEGAL_ADDRESS;
            if ((s0 && !inside((CUdeviceptr)s0, bytes)) || (s1 && !inside((CUdeviceptr)s1, bytes)) || (s2 && !inside((CUdeviceptr)s2, bytes)))
                return ILLEGAL_ADDRESS;
            if (bad && !inside((CUdeviceptr)bad, 8)) return ILLEGAL_ADDRESS;
            // The kernels dereference the state they need: a missing buffer would fault on the GPU.
            bool needs0 = kind != LOPT_SGD;
            bool needs1 = kind == LOPT_ADAM || kind == LOPT_ADAMW || kind == LOPT_ADAM_AMSGRAD || kind == LOPT_ADAMW_AMSGRAD ||
                          kind == LOPT_RMSPROP_CENTERED || kind == LOPT_ADAMAX || kind == LOPT_NADAM || kind == LOPT_RADAM;
            bool needs2 = kind == LOPT_ADAM_AMSGRAD || kind == LOPT_ADAMW_AMSGRAD;
            if ((needs0 && !s0) || (needs1 && !s1) || (needs2 && !s2)) return ILLEGAL_ADDRESS;
            unsigned long long count = 0;
            for (long long i = 0; i < n; ++i) {
                count += lopt_isfinite(g[i]) ? 0 : 1;
                lopt_optim_elem(kind, p + i, g[i], s0 ? s0 + i : nullptr, s1 ? s1 + i : nullptr, s2 ? s2 + i : nullptr, &c);
            }
            if (bad) *bad += count;
            return OK;
        }

        CUresult cuMemAlloc_v2(CUdeviceptr* d, size_t bytes) {
            if (bytes == 0) return INVALID_VALUE;
            void* p = aligned_alloc(256, (bytes + 255) / 256 * 256);
            if (!p) return 2;
            memset(p, 0xA5, bytes);  // device memory is not zeroed: the backend must memset
            std::lock_guard<std::mutex> l(g_lock);
            g_allocs[(uintptr_t)p] = bytes;
            *d = (CUdeviceptr)p;
            return OK;
        }
        CUresult cuMemFree_v2(CUdeviceptr d) {
            std::lock_guard<std::mutex> l(g_lock);
            if (!g_allocs.erase((uintptr_t)d)) return INVALID_VALUE;
            free((void*)d);
            return OK;
        }
        CUresult cuMemAllocHost_v2(void** p, size_t bytes) { *p = malloc(bytes); return *p ? OK : 2; }
        CUresult cuMemFreeHost(void* p) { free(p); return OK; }
        CUresult cuMemGetInfo_v2(size_t* f, size_t* t) {
            std::lock_guard<std::mutex> l(g_lock);
            size_t used = 0;
            for (auto& a : g_allocs) used += a.second;
            *t = (size_t)4 << 30; *f = *t - used;
            return OK;
        }
        CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void* s, size_t b) { if (!inside(d, b)) return ILLEGAL_ADDRESS; memcpy((void*)d, s, b); return OK; }
        CUresult cuMemcpyDtoH_v2(void* d, CUdeviceptr s, size_t b) { if (!inside(s, b)) return ILLEGAL_ADDRESS; memcpy(d, (const void*)s, b); return OK; }
        CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* s, size_t b, void* st) { return stream_ok(st) ? cuMemcpyHtoD_v2(d, s, b) : INVALID_HANDLE; }
        CUresult cuMemcpyDtoHAsync_v2(void* d, CUdeviceptr s, size_t b, void* st) { return stream_ok(st) ? cuMemcpyDtoH_v2(d, s, b) : INVALID_HANDLE; }
        CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t b, void* st) {
            if (!stream_ok(st)) return INVALID_HANDLE;
            if (!inside(d, b) || !inside(s, b)) return ILLEGAL_ADDRESS;
            memmove((void*)d, (const void*)s, b);
            return OK;
        }
        CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, void* st) {
            if (!stream_ok(st)) return INVALID_HANDLE;
            if (!inside(d, n)) return ILLEGAL_ADDRESS;
            memset((void*)d, v, n);
            return OK;
        }
        CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, void* st) {
            if (!stream_ok(st)) return INVALID_HANDLE;
            if (!inside(d, n * 4)) return ILLEGAL_ADDRESS;
            for (size_t i = 0; i < n; ++i) ((unsigned*)d)[i] = v;
            return OK;
        }

        CUresult cuStreamCreate(void** s, unsigned) { *s = new int(0); std::lock_guard<std::mutex> l(g_lock); g_streams.insert(*s); return OK; }
        CUresult cuStreamDestroy_v2(void* s) {
            std::lock_guard<std::mutex> l(g_lock);
            if (!g_streams.erase(s)) return INVALID_HANDLE;
            delete (int*)s;
            return OK;
        }
        CUresult cuStreamSynchronize(void* s) { return stream_ok(s) ? OK : INVALID_HANDLE; }

        CUresult cuEventCreate(void** e, unsigned) { *e = new int(0); std::lock_guard<std::mutex> l(g_lock); g_events.insert(*e); return OK; }
        CUresult cuEventRecord(void* e, void* s) {
            if (!stream_ok(s)) return INVALID_HANDLE;
            std::lock_guard<std::mutex> l(g_lock);
            if (!g_events.count(e)) return INVALID_HANDLE;
            g_event_ms[e] = now_ms();
            return OK;
        }
        CUresult cuEventSynchronize(void* e) { std::lock_guard<std::mutex> l(g_lock); return g_events.count(e) ? OK : INVALID_HANDLE; }
        CUresult cuEventElapsedTime(float* ms, void* a, void* b) {
            std::lock_guard<std::mutex> l(g_lock);
            if (!g_event_ms.count(a) || !g_event_ms.count(b)) return INVALID_HANDLE;
            *ms = (float)(g_event_ms[b] - g_event_ms[a]);
            return OK;
        }
        CUresult cuEventDestroy_v2(void* e) {
            std::lock_guard<std::mutex> l(g_lock);
            if (!g_events.erase(e)) return INVALID_HANDLE;
            g_event_ms.erase(e);
            delete (int*)e;
            return OK;
        }
        }
        """;
}
