// Hand-designed optimizers: the one definition of their per-element update, shared by the CUDA
// kernels and the CPU launchers. Update rules follow torch.optim (docs/optimizers.md).
#ifndef LOPT_OPTIM_H
#define LOPT_OPTIM_H

#include "lopt_common.h"

// Kernel families. SGD covers plain SGD, heavy-ball momentum and Nesterov (torch.optim.SGD).
enum lopt_optimizer {
    LOPT_SGD = 0,
    LOPT_SGD_MOMENTUM = 1,
    LOPT_RMSPROP = 2,
    LOPT_ADAM = 3,
    LOPT_ADAMW = 4,
    LOPT_POWERSIGN = 5,
    LOPT_ADDSIGN = 6,
    LOPT_ADAM_AMSGRAD = 7,
    LOPT_ADAMW_AMSGRAD = 8,
    LOPT_RMSPROP_CENTERED = 9,
    LOPT_ADAGRAD = 10,
    LOPT_ADAMAX = 11,
    LOPT_NADAM = 12,
    LOPT_RADAM = 13,
    LOPT_OPTIMIZER_COUNT = 14
};

enum lopt_sign_decay { LOPT_DECAY_NONE = 0, LOPT_DECAY_LINEAR = 1, LOPT_DECAY_CYCLIC = 2, LOPT_DECAY_RESTART = 3 };

// User-facing hyperparameters (one spelling for all optimizers). Layout mirrored in C#.
typedef struct lopt_hparams {
    float lr, beta1, beta2, eps, weight_decay, momentum, alpha, base, periods;
    int32_t nesterov, decay, total_steps;
    float dampening;           // SGD momentum
    float lr_decay;            // Adagrad
    float momentum_decay;      // NAdam
    int32_t decoupled;         // NAdam, RAdam: decoupled weight decay (AdamW style)
} lopt_hparams;

// Per-step scalars derived once on the host from the hyperparameters and the step number t.
// Passed by value to every kernel. Layout mirrored in C#.
typedef struct lopt_coef {
    float lr, beta1, beta2, eps, weight_decay, momentum, alpha;
    float step_size;      // Adam: lr / (1 - beta1^t)
    float bc2_sqrt;       // Adam: sqrt(1 - beta2^t)
    float decoupled;      // AdamW: 1 - lr * weight_decay
    float sign_scale;     // PowerSign: ln(base) * f(t); AddSign: f(t)
    float base;           // AddSign: alpha of Bello et al. (added to the sign agreement)
    float power_agree;    // PowerSign: base^(+f(t)), the factor when sign(d) = sign(m)
    float power_disagree; // PowerSign: base^(-f(t))
    int32_t nesterov, state_count;
    float grad_scale;     // SGD momentum: 1 on step 1 (the buffer starts as d), else 1 - dampening
    float clr;            // Adagrad: lr / (1 + (t-1) lr_decay)
    float bc1;            // RAdam: 1 - beta1^t
    float bc2;            // NAdam: 1 - beta2^t
    float rect;           // RAdam: the variance rectification term r_t (used when rectified)
    float nadam_grad;     // NAdam: -lr (1 - mu_t) / (1 - prod_{i<=t} mu_i)
    float nadam_avg;      // NAdam: -lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i)
    int32_t rectified;    // RAdam: rho_t > 5
    int32_t decoupled_wd; // NAdam, RAdam: p *= 1 - lr wd instead of coupled L2
} lopt_coef;

// Sign-decay schedule f at s = t - 1 completed steps (so the first step sees f = 1), after the
// schedules of Bello et al. 2017 as TensorFlow's sign_decay shipped them.
LOPT_HD float lopt_sign_decay_value(int decay, double s, double total, double periods) {
    const double pi = 3.14159265358979323846;
    if (decay == LOPT_DECAY_NONE || total <= 0.0) return 1.0f;
    double frac = s < total ? s / total : 1.0;
    if (decay == LOPT_DECAY_LINEAR) return (float)(1.0 - frac);
    if (decay == LOPT_DECAY_CYCLIC) return (float)(0.5 * (1.0 + cos(2.0 * pi * periods * frac)));
    // Restart (SGDR-like): cosine from 1 to 0 over each of the periods; TensorFlow's fmod form.
    double within = fmod(periods * (s < total ? s : total), total) / total;
    return (float)(0.5 * (1.0 + cos(pi * within)));
}

// Number of state buffers (each n floats) an optimizer keeps per tensor.
LOPT_HD int lopt_state_count(int kind, const lopt_hparams* hp) {
    switch (kind) {
        case LOPT_SGD: return 0;
        case LOPT_SGD_MOMENTUM: return 1;
        case LOPT_RMSPROP: return hp->momentum != 0.0f ? 2 : 1;
        case LOPT_ADAM: case LOPT_ADAMW: return 2;
        case LOPT_POWERSIGN: case LOPT_ADDSIGN: return 1;
        case LOPT_ADAM_AMSGRAD: case LOPT_ADAMW_AMSGRAD: return 3;
        case LOPT_RMSPROP_CENTERED: return hp->momentum != 0.0f ? 3 : 2;
        case LOPT_ADAGRAD: return 1;
        case LOPT_ADAMAX: case LOPT_NADAM: case LOPT_RADAM: return 2;
        default: return -1;
    }
}

// Fills the per-step scalars for step t >= 1. Double precision for the powers, as torch does.
LOPT_HD void lopt_make_coef(int kind, const lopt_hparams* hp, int64_t t, lopt_coef* c) {
    c->lr = hp->lr; c->beta1 = hp->beta1; c->beta2 = hp->beta2; c->eps = hp->eps;
    c->weight_decay = hp->weight_decay; c->momentum = hp->momentum; c->alpha = hp->alpha;
    c->nesterov = hp->nesterov; c->state_count = lopt_state_count(kind, hp);
    double bc1 = 1.0 - pow((double)hp->beta1, (double)t);
    double bc2 = 1.0 - pow((double)hp->beta2, (double)t);
    c->step_size = (float)((double)hp->lr / bc1);
    c->bc2_sqrt = (float)sqrt(bc2);
    c->decoupled = 1.0f - hp->lr * hp->weight_decay;
    float f = lopt_sign_decay_value(hp->decay, (double)(t - 1), (double)hp->total_steps, (double)hp->periods);
    c->sign_scale = kind == LOPT_POWERSIGN ? (float)log((double)hp->base) * f : f;
    c->base = hp->base;
    // The exponent only takes the values -f, 0, +f: two powers per step instead of one exp per element.
    c->power_agree = (float)exp(log((double)hp->base) * (double)f);
    c->power_disagree = (float)exp(-log((double)hp->base) * (double)f);

    c->grad_scale = t == 1 ? 1.0f : 1.0f - hp->dampening;
    c->clr = (float)((double)hp->lr / (1.0 + (double)(t - 1) * (double)hp->lr_decay));
    c->bc1 = (float)bc1;
    c->bc2 = (float)bc2;
    c->decoupled_wd = hp->decoupled;
    // RAdam: length of the approximated simple moving average and its rectification (Liu et al. 2020).
    double b2 = (double)hp->beta2, rho_inf = 2.0 / (1.0 - b2) - 1.0;
    double rho_t = rho_inf - 2.0 * (double)t * pow(b2, (double)t) / bc2;
    c->rectified = rho_t > 5.0;
    c->rect = c->rectified ? (float)sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) : 1.0f;
    // NAdam (Dozat 2016, as torch.optim.NAdam): momentum schedule mu_t and its running product,
    // which torch keeps as a float32 tensor. Once the product is below 1e-20, 1 - product is 1 in
    // double and stays so: the loop stops there, so its cost is bounded for long runs.
    c->nadam_grad = 0.0f; c->nadam_avg = 0.0f;
    if (kind == LOPT_NADAM) {
        double b1 = (double)hp->beta1, psi = (double)hp->momentum_decay;
        float product = 1.0f;
        for (int64_t i = 1; i <= t && product >= 1e-20f; ++i)
            product = product * (float)(b1 * (1.0 - 0.5 * pow(0.96, (double)i * psi)));
        double mu = b1 * (1.0 - 0.5 * pow(0.96, (double)t * psi));
        double mu_next = b1 * (1.0 - 0.5 * pow(0.96, (double)(t + 1) * psi));
        c->nadam_grad = (float)(-(double)hp->lr * (1.0 - mu) / (1.0 - (double)product));
        c->nadam_avg = (float)(-(double)hp->lr * mu_next / (1.0 - (double)product * mu_next));
    }
}

// --- per-element updates; each leaves p and state untouched when g is not finite ---
// Written as selects, not branches, so the CPU loops vectorise (stores are unconditional).

// torch.optim.SGD without momentum: p -= lr * (g + wd p).
LOPT_HD void lopt_sgd_elem(float* p, float g, const lopt_coef* c) {
    float d = g + c->weight_decay * *p;
    float p1 = *p - c->lr * d;
    *p = lopt_isfinite(g) ? p1 : *p;
}

// torch.optim.SGD with momentum: buf = mu buf + (1 - dampening) d (buf = d on the first step);
// d = nesterov ? d + mu buf : buf. grad_scale is exactly 1 without dampening, so d * 1 = d.
LOPT_HD void lopt_sgd_momentum_elem(float* p, float g, float* buf, const lopt_coef* c) {
    float d = g + c->weight_decay * *p;
    float b1 = c->momentum * *buf + d * c->grad_scale;
    float step = c->nesterov ? d + c->momentum * b1 : b1;
    float p1 = *p - c->lr * step;
    bool ok = lopt_isfinite(g);
    *p = ok ? p1 : *p;
    *buf = ok ? b1 : *buf;
}

// torch.optim.RMSprop (not centered): sq = a sq + (1-a) d^2; avg = sqrt(sq) + eps.
LOPT_HD void lopt_rmsprop_elem(float* p, float g, float* sq, float* buf, const lopt_coef* c) {
    float d = g + c->weight_decay * *p;
    float sq1 = c->alpha * *sq + (1.0f - c->alpha) * d * d;
    float avg = sqrtf(sq1) + c->eps;
    float b1 = 0.0f, p1;
    if (buf) {
        b1 = c->momentum * *buf + d / avg;
        p1 = *p - c->lr * b1;
    } else {
        p1 = *p - c->lr * (d / avg);
    }
    bool ok = lopt_isfinite(g);
    *p = ok ? p1 : *p;
    *sq = ok ? sq1 : *sq;
    if (buf) *buf = ok ? b1 : *buf;
}

// torch.optim.Adam (coupled L2) and AdamW (decoupled decay), bias-corrected.
LOPT_HD void lopt_adam_elem(float* p, float g, float* m, float* v, const lopt_coef* c, bool decoupled) {
    float p0 = decoupled ? *p * c->decoupled : *p;
    float d = decoupled ? g : g + c->weight_decay * *p;
    float m1 = c->beta1 * *m + (1.0f - c->beta1) * d;
    float v1 = c->beta2 * *v + (1.0f - c->beta2) * d * d;
    float denom = sqrtf(v1) / c->bc2_sqrt + c->eps;
    float p1 = p0 - c->step_size * (m1 / denom);
    bool ok = lopt_isfinite(g);
    *p = ok ? p1 : *p;
    *m = ok ? m1 : *m;
    *v = ok ? v1 : *v;
}

// Adam / AdamW with amsgrad: the denominator uses the running maximum of the second moment.
LOPT_HD void lopt_adam_amsgrad_elem(float* p, float g, float* m, float* v, float* vmax, const lopt_coef* c, bool decoupled) {
    float p0 = decoupled ? *p * c->decoupled : *p;
    float d = decoupled ? g : g + c->weight_decay * *p;
    float m1 = c->beta1 * *m + (1.0f - c->beta1) * d;
    float v1 = c->beta2 * *v + (1.0f - c->beta2) * d * d;
    float vmax1 = *vmax > v1 ? *vmax : v1;
    float denom = sqrtf(vmax1) / c->bc2_sqrt + c->eps;
    float p1 = p0 - c->step_size * (m1 / denom);
    bool ok = lopt_isfinite(g);
    *p = ok ? p1 : *p;
    *m = ok ? m1 : *m;
    *v = ok ? v1 : *v;
    *vmax = ok ? vmax1 : *vmax;
}

// torch.optim.RMSprop centered: the second moment minus the squared running mean of d.
LOPT_HD void lopt_rmsprop_centered_elem(float* p, float g, float* sq, float* gavg, float* buf, const lopt_coef* c) {
    float d = g + c->weight_decay * *p;
    float sq1 = c->alpha * *sq + (1.0f - c->alpha) * d * d;
    float ga1 = c->alpha * *gavg + (1.0f - c->alpha) * d;
    float avg = sqrtf(sq1 - ga1 * ga1) + c->eps;
    float b1 = 0.0f, p1;
    if (buf) {
        b1 = c->momentum * *buf + d / avg;
        p1 = *p - c->lr * b1;
    } else {
        p1 = *p - c->lr * (d / avg);
    }
    bool ok = lopt_isfinite(g);
    *p = ok ? p1 : *p;
    *sq = ok ? sq1 : *sq;
    *gavg = ok ? ga1 : *gavg;
    if (buf) *buf = ok ? b1 : *buf;
}

// torch.optim.Adagrad: sum += d^2; p -= clr d / (sqrt(sum) + eps).
LOPT_HD void lopt_adagrad_elem(float* p, float g, float* sum, const lopt_coef* c) {
    float d = g + c->weight_decay * *p;
    float s1 = *sum + d * d;
    float p1 = *p - c->clr * (d / (sqrtf(s1) + c->eps));
    bool ok = lopt_isfinite(g);
    *p = ok ? p1 : *p;
    *sum = ok ? s1 : *sum;
}

// torch.optim.Adamax: u = max(beta2 u, |d| + eps); p -= lr / (1 - beta1^t) * m / u.
LOPT_HD void lopt_adamax_elem(float* p, float g, float* m, float* u, const lopt_coef* c) {
    float d = g + c->weight_decay * *p;
    float m1 = c->beta1 * *m + (1.0f - c->beta1) * d;
    float decayed = c->beta2 * *u, fresh = fabsf(d) + c->eps;
    float u1 = decayed > fresh ? decayed : fresh;
    float p1 = *p - c->step_size * (m1 / u1);
    bool ok = lopt_isfinite(g);
    *p = ok ? p1 : *p;
    *m = ok ? m1 : *m;
    *u = ok ? u1 : *u;
}

// torch.optim.NAdam: Nesterov momentum with the mu_t schedule; two scaled terms over one denominator.
LOPT_HD void lopt_nadam_elem(float* p, float g, float* m, float* v, const lopt_coef* c) {
    float p0 = c->decoupled_wd ? *p * c->decoupled : *p;
    float d = c->decoupled_wd ? g : g + c->weight_decay * *p;
    float m1 = c->beta1 * *m + (1.0f - c->beta1) * d;
    float v1 = c->beta2 * *v + (1.0f - c->beta2) * d * d;
    float denom = sqrtf(v1 / c->bc2) + c->eps;
    float p1 = p0 + c->nadam_grad * (d / denom);
    float p2 = p1 + c->nadam_avg * (m1 / denom);
    bool ok = lopt_isfinite(g);
    *p = ok ? p2 : *p;
    *m = ok ? m1 : *m;
    *v = ok ? v1 : *v;
}

// torch.optim.RAdam: bias-corrected momentum, scaled by the adaptive rate and r_t once rho_t > 5.
LOPT_HD void lopt_radam_elem(float* p, float g, float* m, float* v, const lopt_coef* c) {
    float p0 = c->decoupled_wd ? *p * c->decoupled : *p;
    float d = c->decoupled_wd ? g : g + c->weight_decay * *p;
    float m1 = c->beta1 * *m + (1.0f - c->beta1) * d;
    float v1 = c->beta2 * *v + (1.0f - c->beta2) * d * d;
    float m_hat = m1 / c->bc1;
    float adaptive = c->bc2_sqrt / (sqrtf(v1) + c->eps);
    float step = c->rectified ? m_hat * c->lr * adaptive * c->rect : m_hat * c->lr;
    float p1 = p0 - step;
    bool ok = lopt_isfinite(g);
    *p = ok ? p1 : *p;
    *m = ok ? m1 : *m;
    *v = ok ? v1 : *v;
}

// PowerSign (Bello et al. 2017): p -= lr * base^(f(t) sign(d) sign(m)) * d, m = b1 m + (1-b1) d.
// AddSign: p -= lr * (base + f(t) sign(d) sign(m)) * d.
LOPT_HD void lopt_sign_elem(float* p, float g, float* m, const lopt_coef* c, bool power) {
    float d = g + c->weight_decay * *p;
    float m1 = c->beta1 * *m + (1.0f - c->beta1) * d;
    float agree = lopt_sign(d) * lopt_sign(m1);
    float scale = power ? (agree > 0.0f ? c->power_agree : (agree < 0.0f ? c->power_disagree : 1.0f))
                        : c->base + c->sign_scale * agree;
    float p1 = *p - c->lr * scale * d;
    bool ok = lopt_isfinite(g);
    *p = ok ? p1 : *p;
    *m = ok ? m1 : *m;
}

// Dispatch for one element; s0/s1/s2 are the state slots (null where unused).
LOPT_HD void lopt_optim_elem(int kind, float* p, float g, float* s0, float* s1, float* s2, const lopt_coef* c) {
    switch (kind) {
        case LOPT_SGD: lopt_sgd_elem(p, g, c); break;
        case LOPT_SGD_MOMENTUM: lopt_sgd_momentum_elem(p, g, s0, c); break;
        case LOPT_RMSPROP: lopt_rmsprop_elem(p, g, s0, s1, c); break;
        case LOPT_ADAM: lopt_adam_elem(p, g, s0, s1, c, false); break;
        case LOPT_ADAMW: lopt_adam_elem(p, g, s0, s1, c, true); break;
        case LOPT_POWERSIGN: lopt_sign_elem(p, g, s0, c, true); break;
        case LOPT_ADDSIGN: lopt_sign_elem(p, g, s0, c, false); break;
        case LOPT_ADAM_AMSGRAD: lopt_adam_amsgrad_elem(p, g, s0, s1, s2, c, false); break;
        case LOPT_ADAMW_AMSGRAD: lopt_adam_amsgrad_elem(p, g, s0, s1, s2, c, true); break;
        case LOPT_RMSPROP_CENTERED: lopt_rmsprop_centered_elem(p, g, s0, s1, s2, c); break;
        case LOPT_ADAGRAD: lopt_adagrad_elem(p, g, s0, c); break;
        case LOPT_ADAMAX: lopt_adamax_elem(p, g, s0, s1, c); break;
        case LOPT_NADAM: lopt_nadam_elem(p, g, s0, s1, c); break;
        case LOPT_RADAM: lopt_radam_elem(p, g, s0, s1, c); break;
        default: break;
    }
}

#endif
