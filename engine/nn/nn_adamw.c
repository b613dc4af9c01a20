/* nn_adamw.c — the AdamW optimiser (Loshchilov & Hutter: weight decay
 * decoupled from the adaptive step, applied only to parameters marked for
 * decay) and the learning-rate schedule (linear warm-up, cosine decay). */
#include "aml_nn.h"

#include <math.h>

int amlp_nn_adamw_init(amlp_nn_adamw *opt, amlp_nn_net *net, double weight_decay)
{
    opt->beta1 = 0.9;
    opt->beta2 = 0.999;
    opt->eps = 1e-8;
    opt->weight_decay = weight_decay;
    opt->t = 0;
    opt->n = amlp_nn_net_n_params(net);
    opt->m = amlp_calloc(opt->n + 1, sizeof *opt->m);
    opt->v = amlp_calloc(opt->n + 1, sizeof *opt->v);
    if (!opt->m || !opt->v) {
        amlp_nn_adamw_free(opt);
        return AML_ENOMEM;
    }
    for (size_t i = 0; i < opt->n; i++) {
        size_t len = amlp_nn_net_param(net, i)->n;
        opt->m[i] = amlp_calloc(len, sizeof(float));
        opt->v[i] = amlp_calloc(len, sizeof(float));
        if (!opt->m[i] || !opt->v[i]) {
            amlp_nn_adamw_free(opt);
            return AML_ENOMEM;
        }
    }
    return 0;
}

void amlp_nn_adamw_step(amlp_nn_adamw *opt, amlp_nn_net *net, double lr)
{
    opt->t++;
    double bc1 = 1.0 - pow(opt->beta1, (double)opt->t);
    double bc2 = 1.0 - pow(opt->beta2, (double)opt->t);
    float b1 = (float)opt->beta1, b2 = (float)opt->beta2;
    float step = (float)(lr / bc1), inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    float eps = (float)opt->eps;
    for (size_t i = 0; i < opt->n; i++) {
        amlp_nn_param *p = amlp_nn_net_param(net, i);
        float *m = opt->m[i], *v = opt->v[i];
        float decay = p->decay ? (float)(1.0 - lr * opt->weight_decay) : 1.0f;
        for (size_t j = 0; j < p->n; j++) {
            float g = p->g[j];
            m[j] = b1 * m[j] + (1.0f - b1) * g;
            v[j] = b2 * v[j] + (1.0f - b2) * g * g;
            p->w[j] = p->w[j] * decay - step * m[j] / (sqrtf(v[j]) * inv_sqrt_bc2 + eps);
        }
    }
}

void amlp_nn_adamw_free(amlp_nn_adamw *opt)
{
    for (size_t i = 0; i < opt->n; i++) {
        if (opt->m)
            amlp_free(opt->m[i]);
        if (opt->v)
            amlp_free(opt->v[i]);
    }
    amlp_free(opt->m);
    amlp_free(opt->v);
    opt->m = opt->v = NULL;
    opt->n = 0;
}

double amlp_nn_lr_at(double base, uint64_t step, uint64_t warmup, uint64_t total,
                     double floor_frac)
{
    if (step < warmup)
        return base * (double)(step + 1) / (double)warmup;
    if (total <= warmup)
        return base;
    double progress = (double)(step - warmup) / (double)(total - warmup);
    if (progress > 1)
        progress = 1;
    double cosine = 0.5 * (1.0 + cos(M_PI * progress));
    return base * (floor_frac + (1.0 - floor_frac) * cosine);
}
