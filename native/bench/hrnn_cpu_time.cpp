// HRNN step CPU time per parameter of one CPU library file, on one thread: compares the baseline
// and x86-64-v3 builds (docs/benchmarks.md, "CPU instruction sets") by process CPU time, which a
// busy shared machine inflates far less than wall time. Prints the median over the timed steps
// and a hash of theta after them (equal hashes: the same bits).
//   lopt_hrnn_cpu_time LIBRARY.so [steps=5] [parameters=1000000]
#include <dlfcn.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>
#include "lopt/lopt_hrnn_abi.h"

namespace {

using prepare_fn = int32_t (*)(const float*, int32_t, int32_t, const lopt_hrnn_tensor*, int32_t, const lopt_hrnn_shared*);
using step_fn = int32_t (*)(const float*, int32_t, int32_t, const lopt_hrnn_tensor*, int32_t, const lopt_hrnn_shared*, int32_t*, int64_t*);
using threads_fn = void (*)(int32_t);
using isa_fn = const char* (*)();

double cpu_seconds() {
    timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s LIBRARY.so [steps] [parameters]\n", argv[0]);
        return 2;
    }
    void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    const int steps = argc > 2 ? atoi(argv[2]) : 5;
    const int64_t n = argc > 3 ? (int64_t)atof(argv[3]) : 1000000;
    auto prepare = (prepare_fn)dlsym(lib, "lopt_hrnn_prepare");
    auto step = (step_fn)dlsym(lib, "lopt_hrnn_step");
    auto isa = (isa_fn)dlsym(lib, "lopt_cpu_isa");
    ((threads_fn)dlsym(lib, "lopt_set_threads"))(1);

    // Fresh-weight scale, the default sizes 20/20, a warm state: beta, eta in (0, 1), ell = -3.
    const int h1 = 20, h2 = 20;
    const lopt_hrnn_layout layout = lopt_hrnn_make_layout(h1, h2);
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 0.2f);
    std::vector<float> pack(layout.total);
    for (float& x : pack) x = normal(rng);
    reinterpret_cast<lopt_hrnn_pw*>(pack.data())->lam = 0.5f;
    reinterpret_cast<lopt_hrnn_pw*>(pack.data())->o = -5.0f;
    std::vector<float> theta(n), grad(n), block((size_t)LOPT_HRNN_BLOCK * n, 0.0f);
    for (int64_t i = 0; i < n; ++i) {
        theta[i] = normal(rng);
        grad[i] = normal(rng);
        block[LOPT_HRNN_OFF_BETA * n + i] = 0.9f;
        block[LOPT_HRNN_OFF_ETA * n + i] = 0.99f;
        block[LOPT_HRNN_OFF_ELL * n + i] = -3.0f;
    }
    std::vector<float> s(h1), g(h2), e0(LOPT_HRNN_G0), etg(3 * h1), ellmean(1), mu(1);
    const lopt_hrnn_tensor t{theta.data(), grad.data(), block.data(), n};
    const lopt_hrnn_shared sh{s.data(), g.data(), e0.data(), etg.data(), ellmean.data(), mu.data()};
    int32_t skipped;
    int64_t bad;
    if (prepare(pack.data(), h1, h2, &t, 1, &sh) != 0 || step(pack.data(), h1, h2, &t, 1, &sh, &skipped, &bad) != 0) {
        fprintf(stderr, "the step failed\n");
        return 1;
    }
    std::vector<double> ns;
    for (int r = 0; r < steps; ++r) {
        const double start = cpu_seconds();
        step(pack.data(), h1, h2, &t, 1, &sh, &skipped, &bad);
        ns.push_back((cpu_seconds() - start) * 1e9 / (double)n);
    }
    std::sort(ns.begin(), ns.end());
    uint64_t hash = 1469598103934665603ull;
    for (float x : theta) {
        uint32_t bits;
        memcpy(&bits, &x, sizeof bits);
        hash = (hash ^ bits) * 1099511628211ull;
    }
    printf("%s (%s): %.1f ns/parameter CPU time, 1 thread, median of %d steps at %lld parameters; theta hash %016llx\n",
           argv[1], isa ? isa() : "?", ns[ns.size() / 2], steps, (long long)n, (unsigned long long)hash);
    return 0;
}
