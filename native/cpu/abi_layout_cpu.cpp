// The layout of every C struct that C# mirrors, and the native constants C# uses, as this build
// sees them: the tests compare the C# mirrors and constants with these values, so the headers stay
// the one source of each layout and number.
#include "lopt/lopt_cpu.h"
#include "lopt/lopt_hrnn_abi.h"
#include "lopt/lopt_hrnn_grad_abi.h"
#include "lopt/lopt_optim.h"
#include "lopt_cpu_internal.h"
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace {

struct Layout {
    const char* name;
    int64_t size;
    int32_t count;
    int64_t offsets[32];
};

#define LOPT_F(s, f) (int64_t) offsetof(s, f)
const Layout kLayouts[] = {
    {"lopt_hparams", sizeof(lopt_hparams), 16,
     {LOPT_F(lopt_hparams, lr), LOPT_F(lopt_hparams, beta1), LOPT_F(lopt_hparams, beta2), LOPT_F(lopt_hparams, eps),
      LOPT_F(lopt_hparams, weight_decay), LOPT_F(lopt_hparams, momentum), LOPT_F(lopt_hparams, alpha), LOPT_F(lopt_hparams, base),
      LOPT_F(lopt_hparams, periods), LOPT_F(lopt_hparams, nesterov), LOPT_F(lopt_hparams, decay), LOPT_F(lopt_hparams, total_steps),
      LOPT_F(lopt_hparams, dampening), LOPT_F(lopt_hparams, lr_decay), LOPT_F(lopt_hparams, momentum_decay), LOPT_F(lopt_hparams, decoupled)}},
    {"lopt_coef", sizeof(lopt_coef), 25,
     {LOPT_F(lopt_coef, lr), LOPT_F(lopt_coef, beta1), LOPT_F(lopt_coef, beta2), LOPT_F(lopt_coef, eps),
      LOPT_F(lopt_coef, weight_decay), LOPT_F(lopt_coef, momentum), LOPT_F(lopt_coef, alpha), LOPT_F(lopt_coef, step_size),
      LOPT_F(lopt_coef, bc2_sqrt), LOPT_F(lopt_coef, decoupled), LOPT_F(lopt_coef, sign_scale), LOPT_F(lopt_coef, base),
      LOPT_F(lopt_coef, power_agree), LOPT_F(lopt_coef, power_disagree), LOPT_F(lopt_coef, nesterov), LOPT_F(lopt_coef, state_count),
      LOPT_F(lopt_coef, grad_scale), LOPT_F(lopt_coef, clr), LOPT_F(lopt_coef, bc1), LOPT_F(lopt_coef, bc2), LOPT_F(lopt_coef, rect),
      LOPT_F(lopt_coef, nadam_grad), LOPT_F(lopt_coef, nadam_avg), LOPT_F(lopt_coef, rectified), LOPT_F(lopt_coef, decoupled_wd)}},
    {"lopt_hrnn_tensor", sizeof(lopt_hrnn_tensor), 4,
     {LOPT_F(lopt_hrnn_tensor, theta), LOPT_F(lopt_hrnn_tensor, grad), LOPT_F(lopt_hrnn_tensor, block), LOPT_F(lopt_hrnn_tensor, n)}},
    {"lopt_hrnn_shared", sizeof(lopt_hrnn_shared), 6,
     {LOPT_F(lopt_hrnn_shared, s), LOPT_F(lopt_hrnn_shared, g), LOPT_F(lopt_hrnn_shared, e0), LOPT_F(lopt_hrnn_shared, etg),
      LOPT_F(lopt_hrnn_shared, ellmean), LOPT_F(lopt_hrnn_shared, mu)}},
    {"lopt_hrnn_desc", sizeof(lopt_hrnn_desc), 8,
     {LOPT_F(lopt_hrnn_desc, theta), LOPT_F(lopt_hrnn_desc, grad), LOPT_F(lopt_hrnn_desc, block), LOPT_F(lopt_hrnn_desc, n),
      LOPT_F(lopt_hrnn_desc, chunk0), LOPT_F(lopt_hrnn_desc, nchunks), LOPT_F(lopt_hrnn_desc, group), LOPT_F(lopt_hrnn_desc, pad_)}},
    {"lopt_hg_job", sizeof(lopt_hg_job), 15,
     {LOPT_F(lopt_hg_job, e0), LOPT_F(lopt_hg_job, g), LOPT_F(lopt_hg_job, in), LOPT_F(lopt_hg_job, io), LOPT_F(lopt_hg_job, d),
      LOPT_F(lopt_hg_job, a), LOPT_F(lopt_hg_job, xbar_add), LOPT_F(lopt_hg_job, hbar_add), LOPT_F(lopt_hg_job, gbar),
      LOPT_F(lopt_hg_job, n), LOPT_F(lopt_hg_job, first_block), LOPT_F(lopt_hg_job, blocks), LOPT_F(lopt_hg_job, mu),
      LOPT_F(lopt_hg_job, lambda), LOPT_F(lopt_hg_job, ell)}},
};
#undef LOPT_F

struct Constant {
    const char* name;
    int64_t value;
};

#define LOPT_C(name) {#name, (int64_t)(name)}
const Constant kConstants[] = {
    LOPT_C(LOPT_HRNN_H0), LOPT_C(LOPT_HRNN_S), LOPT_C(LOPT_HRNN_F), LOPT_C(LOPT_HRNN_G0), LOPT_C(LOPT_HRNN_I1),
    LOPT_C(LOPT_HRNN_STATE), LOPT_C(LOPT_HRNN_BLOCK), LOPT_C(LOPT_HRNN_SUMS), LOPT_C(LOPT_HRNN_OFF_H), LOPT_C(LOPT_HRNN_OFF_M),
    LOPT_C(LOPT_HRNN_OFF_V), LOPT_C(LOPT_HRNN_OFF_BETA), LOPT_C(LOPT_HRNN_OFF_ETA), LOPT_C(LOPT_HRNN_OFF_ELL),
    LOPT_C(LOPT_HRNN_OFF_SCRATCH), LOPT_C(LOPT_HRNN_GPU_CHUNK), LOPT_C(LOPT_HRNN_THREADS), LOPT_C(LOPT_HRNN_W_COUNT),
    LOPT_C(LOPT_HG_SUMS), LOPT_C(LOPT_HG_ACC), LOPT_C(LOPT_HG_BLOCK),
};
#undef LOPT_C

bool fail(const char* fn, const char* what, const char* name) {
    static thread_local char msg[256];
    snprintf(msg, sizeof msg, "%s: unknown %s '%s'", fn, what, name ? name : "(null)");
    lopt_set_error(msg);
    return false;
}

}  // namespace

extern "C" {

LOPT_API int32_t lopt_abi_struct(const char* name, int64_t* size, int64_t* offsets, int32_t capacity) {
    for (const Layout& l : kLayouts)
        if (name && strcmp(name, l.name) == 0) {
            if (size) *size = l.size;
            for (int32_t i = 0; i < l.count && i < capacity && offsets; ++i) offsets[i] = l.offsets[i];
            return l.count;
        }
    fail("lopt_abi_struct", "struct", name);
    return LOPT_E_ARGUMENT;
}

LOPT_API int32_t lopt_abi_constant(const char* name, int64_t* value) {
    for (const Constant& c : kConstants)
        if (name && value && strcmp(name, c.name) == 0) {
            *value = c.value;
            return 0;
        }
    fail("lopt_abi_constant", "constant", name);
    return LOPT_E_ARGUMENT;
}

}
