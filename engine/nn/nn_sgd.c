/* nn_sgd.c — stochastic gradient descent with momentum, Nesterov's or the
 * heavy ball, and L2 weight decay folded into the gradient (as PyTorch's
 * SGD), applied only to parameters marked for decay. */
#include "aml_nn.h"

int amlp_nn_sgd_init(amlp_nn_sgd *opt, amlp_nn_net *net, double momentum, bool nesterov,
                     double weight_decay)
{
    opt->momentum = momentum;
    opt->nesterov = nesterov;
    opt->weight_decay = weight_decay;
    opt->n = amlp_nn_net_n_params(net);
    opt->v = amlp_calloc(opt->n + 1, sizeof *opt->v);
    if (!opt->v) {
        opt->n = 0;
        return AML_ENOMEM;
    }
    for (size_t i = 0; i < opt->n; i++) {
        opt->v[i] = amlp_calloc(amlp_nn_net_param(net, i)->n, sizeof(float));
        if (!opt->v[i]) {
            amlp_nn_sgd_free(opt);
            return AML_ENOMEM;
        }
    }
    return 0;
}

void amlp_nn_sgd_step(amlp_nn_sgd *opt, amlp_nn_net *net, double lr)
{
    float mu = (float)opt->momentum, rate = (float)lr;
    for (size_t i = 0; i < opt->n; i++) {
        amlp_nn_param *p = amlp_nn_net_param(net, i);
        float *v = opt->v[i], wd = p->decay ? (float)opt->weight_decay : 0.0f;
        for (size_t j = 0; j < p->n; j++) {
            float g = p->g[j] + wd * p->w[j];
            v[j] = mu * v[j] + g;
            p->w[j] -= rate * (opt->nesterov ? g + mu * v[j] : v[j]);
        }
    }
}

void amlp_nn_sgd_free(amlp_nn_sgd *opt)
{
    for (size_t i = 0; opt->v && i < opt->n; i++)
        amlp_free(opt->v[i]);
    amlp_free(opt->v);
    opt->v = NULL;
    opt->n = 0;
}
