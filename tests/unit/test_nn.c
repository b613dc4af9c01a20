/* test_nn.c — Criterion suite for the neural-network library (engine/nn*.c):
 * finite-difference gradient checks of every layer (dense, ReLU, GELU,
 * dropout with a fixed mask, batch norm in training mode) for the input and
 * every parameter, of every loss, and of a whole network; AdamW against a
 * hand-computed update; the schedule; the PRNG; determinism and
 * serialisation.  Central differences on float computations: a check passes
 * when |numeric - analytic| <= 1e-3 + 1e-2 |numeric|. */
#include <criterion/criterion.h>

#include "aml_nn.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

#define ABS_TOL 1e-3
#define REL_TOL 1e-2

static void fill(amlp_rng *r, float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * amlp_rng_uniform(r));
}

/* Inputs away from 0 (the ReLU kink) by at least 0.1. */
static void fill_away_from_zero(amlp_rng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double v = 0.1 + 0.9 * amlp_rng_uniform(r);
        x[i] = (float)(amlp_rng_uniform(r) < 0.5 ? -v : v);
    }
}

/* f = sum(y * r) for a training forward */
static double objective(amlp_nn_layer *l, const float *x, size_t n, const float *r, float *y)
{
    cr_assert_eq(l->ops->forward(l, x, y, n, true), 0);
    double f = 0;
    for (size_t i = 0; i < n * l->out; i++)
        f += (double)y[i] * r[i];
    return f;
}

typedef struct check_stats {
    size_t checked, failed;
    double worst;   /* largest |num - ana| / (ABS_TOL + REL_TOL |num|) */
} check_stats;

static void compare(check_stats *st, double num, double ana, const char *what, size_t i)
{
    double bound = ABS_TOL + REL_TOL * fabs(num);
    double ratio = fabs(num - ana) / bound;
    st->checked++;
    st->worst = ratio > st->worst ? ratio : st->worst;
    if (ratio > 1) {
        st->failed++;
        cr_log_error("%s[%zu]: numeric %.6g analytic %.6g", what, i, num, ana);
    }
}

/* Central differences of f with respect to x and every parameter of l. */
static check_stats check_layer(amlp_nn_layer *l, float *x, size_t n, double h, uint64_t seed)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    float *r = malloc(n * l->out * sizeof(float));
    float *y = malloc(n * l->out * sizeof(float));
    float *dx = malloc(n * l->in * sizeof(float));
    fill(&rng, r, n * l->out, -1, 1);
    objective(l, x, n, r, y);
    for (size_t k = 0; k < l->n_param; k++)
        memset(l->param[k].g, 0, l->param[k].n * sizeof(float));
    cr_assert_eq(l->ops->backward(l, x, y, r, dx, n), 0);
    check_stats st = {0};
    for (size_t i = 0; i < n * l->in; i++) {
        float keep = x[i];
        x[i] = keep + (float)h;
        double fp = objective(l, x, n, r, y);
        x[i] = keep - (float)h;
        double fm = objective(l, x, n, r, y);
        x[i] = keep;
        compare(&st, (fp - fm) / (2 * h), dx[i], "dx", i);
    }
    for (size_t k = 0; k < l->n_param; k++) {
        amlp_nn_param *p = &l->param[k];
        for (size_t j = 0; j < p->n; j++) {
            float keep = p->w[j];
            p->w[j] = keep + (float)h;
            double fp = objective(l, x, n, r, y);
            p->w[j] = keep - (float)h;
            double fm = objective(l, x, n, r, y);
            p->w[j] = keep;
            compare(&st, (fp - fm) / (2 * h), p->g[j], "dparam", j);
        }
    }
    free(r);
    free(y);
    free(dx);
    cr_log_info("%s: %zu gradients checked, worst error %.3f of the tolerance",
                l->ops->name, st.checked, st.worst);
    return st;
}

Test(nn_grad, dense)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 1);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_dense_new(5, 4, AMLP_NN_INIT_XAVIER, &rng, &l), 0);
    fill(&rng, l->param[1].w, 4, -0.5, 0.5);
    float x[3 * 5];
    fill(&rng, x, 15, -1, 1);
    check_stats st = check_layer(l, x, 3, 1e-2, 11);
    cr_expect_eq(st.failed, 0, "%zu of %zu gradients off", st.failed, st.checked);
    cr_expect_eq(st.checked, 15 + 20 + 4);
    amlp_nn_layer_free(l);
}

Test(nn_grad, relu)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 2);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_relu_new(6, &l), 0);
    float x[4 * 6];
    fill_away_from_zero(&rng, x, 24);
    check_stats st = check_layer(l, x, 4, 1e-2, 12);
    cr_expect_eq(st.failed, 0);
    amlp_nn_layer_free(l);
}

Test(nn_grad, gelu)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 3);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_gelu_new(6, &l), 0);
    float x[4 * 6];
    fill(&rng, x, 24, -3, 3);
    check_stats st = check_layer(l, x, 4, 1e-2, 13);
    cr_expect_eq(st.failed, 0);
    amlp_nn_layer_free(l);
}

Test(nn_grad, dropout_fixed_mask)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 4);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_dropout_new(8, 0.4, 99, &l), 0);
    float x[5 * 8], y[5 * 8];
    fill(&rng, x, 40, -1, 1);
    cr_assert_eq(l->ops->forward(l, x, y, 5, true), 0);   /* draws the mask */
    amlp_nn_dropout_fix_mask(l, true);
    size_t zeros = 0;
    for (size_t i = 0; i < 40; i++) {
        cr_assert(y[i] == 0.0f || fabsf(y[i] - x[i] / 0.6f) < 1e-6f);
        zeros += y[i] == 0.0f;
    }
    cr_expect(zeros > 0 && zeros < 40, "a 0.4 dropout of 40 units dropped %zu", zeros);
    check_stats st = check_layer(l, x, 5, 1e-2, 14);
    cr_expect_eq(st.failed, 0);
    /* inference: identity */
    cr_assert_eq(l->ops->forward(l, x, y, 5, false), 0);
    cr_expect_arr_eq(x, y, sizeof x);
    amlp_nn_layer_free(l);
}

Test(nn_grad, batchnorm_training)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 5);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_batchnorm_new(3, 0.1, 1e-5, &l), 0);
    fill(&rng, l->param[0].w, 3, 0.5, 1.5);
    fill(&rng, l->param[1].w, 3, -0.5, 0.5);
    float x[6 * 3];
    fill(&rng, x, 18, -2, 2);
    check_stats st = check_layer(l, x, 6, 1e-2, 15);
    cr_expect_eq(st.failed, 0);
    amlp_nn_layer_free(l);
}

Test(nn, batchnorm_running_statistics_at_inference)
{
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_batchnorm_new(1, 1.0, 1e-5, &l), 0);   /* momentum 1: last batch */
    float x[4] = {1, 2, 3, 6}, y[4];
    cr_assert_eq(l->ops->forward(l, x, y, 4, true), 0);
    /* mean 3, unbiased variance (4 + 1 + 0 + 9) / 3 */
    cr_expect_float_eq(l->state[0].v[0], 3.0f, 1e-6);
    cr_expect_float_eq(l->state[1].v[0], 14.0f / 3.0f, 1e-5);
    float q = 5, out = 0;
    cr_assert_eq(l->ops->forward(l, &q, &out, 1, false), 0);
    cr_expect_float_eq(out, (float)(2.0 / sqrt(14.0 / 3.0 + 1e-5)), 1e-5);
    amlp_nn_layer_free(l);
}

/* Central differences of a loss with respect to the outputs. */
static void check_loss(amlp_nn_loss kind, size_t n, size_t k, const float *y, const float *w,
                       const float *cw)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 20 + kind);
    float *out = malloc(n * k * sizeof(float)), *d = malloc(n * k * sizeof(float));
    fill(&rng, out, n * k, -2, 2);
    amlp_nn_loss_eval(kind, out, n, k, y, w, cw, d);
    check_stats st = {0};
    double h = 1e-3;
    for (size_t i = 0; i < n * k; i++) {
        float keep = out[i];
        out[i] = keep + (float)h;
        double fp = amlp_nn_loss_eval(kind, out, n, k, y, w, cw, NULL);
        out[i] = keep - (float)h;
        double fm = amlp_nn_loss_eval(kind, out, n, k, y, w, cw, NULL);
        out[i] = keep;
        double hp = (double)(keep + (float)h) - (double)(keep - (float)h);
        compare(&st, (fp - fm) / hp, d[i], "dout", i);
    }
    cr_expect_eq(st.failed, 0, "loss %d: %zu of %zu off", kind, st.failed, st.checked);
    cr_log_info("loss %d: %zu gradients, worst %.3f of the tolerance", kind, st.checked,
                st.worst);
    free(out);
    free(d);
}

Test(nn_grad, losses_with_sample_and_class_weights)
{
    float cls[5] = {0, 2, 1, 2, 0}, bin[5] = {1, 0, 0, 1, 1};
    float reg[5 * 2] = {0.5f, -1, 2, 0, 1, 1, -0.5f, 0.25f, 3, -2};
    float w[5] = {1, 0.5f, 2, 1, 0.25f}, cw3[3] = {1, 2, 0.5f}, cw2[2] = {3, 1};
    check_loss(AMLP_NN_LOSS_SOFTMAX_XENT, 5, 3, cls, NULL, NULL);
    check_loss(AMLP_NN_LOSS_SOFTMAX_XENT, 5, 3, cls, w, cw3);
    check_loss(AMLP_NN_LOSS_SIGMOID_BCE, 5, 1, bin, NULL, NULL);
    check_loss(AMLP_NN_LOSS_SIGMOID_BCE, 5, 1, bin, w, cw2);
    check_loss(AMLP_NN_LOSS_MSE, 5, 2, reg, NULL, NULL);
    check_loss(AMLP_NN_LOSS_MSE, 5, 2, reg, w, NULL);
}

Test(nn, loss_values_match_formulas)
{
    float out[2] = {1.0f, -0.5f}, y = 1;
    double l = amlp_nn_loss_eval(AMLP_NN_LOSS_SOFTMAX_XENT, out, 1, 2, &y, NULL, NULL, NULL);
    cr_expect(fabs(l - (log(exp(1.0) + exp(-0.5)) + 0.5)) < 1e-9);
    float z = 0.3f, t = 0;
    l = amlp_nn_loss_eval(AMLP_NN_LOSS_SIGMOID_BCE, &z, 1, 1, &t, NULL, NULL, NULL);
    cr_expect(fabs(l - log1p(exp((double)0.3f))) < 1e-9);
    float o2[2] = {1, 3}, y2[2] = {0, 1}, w2[2] = {1, 3};
    l = amlp_nn_loss_eval(AMLP_NN_LOSS_MSE, o2, 2, 1, y2, w2, NULL, NULL);
    cr_expect(fabs(l - (1.0 * 1 + 3.0 * 4) / 4) < 1e-9);
    float p[3] = {1, 2, 3};
    amlp_nn_loss_link(AMLP_NN_LOSS_SOFTMAX_XENT, p, 1, 3);
    cr_expect(fabs(p[0] + p[1] + p[2] - 1) < 1e-6 && p[2] > p[1] && p[1] > p[0]);
}

static amlp_nn_net *small_net(uint64_t seed, size_t in, size_t out, bool bn, bool drop)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(in, &net), 0);
    cr_assert_eq(amlp_nn_dense_new(in, 8, AMLP_NN_INIT_HE, &rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    if (bn) {
        cr_assert_eq(amlp_nn_batchnorm_new(8, 0.1, 1e-5, &l), 0);
        cr_assert_eq(amlp_nn_net_add(net, l), 0);
    }
    cr_assert_eq(amlp_nn_gelu_new(8, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    if (drop) {
        cr_assert_eq(amlp_nn_dropout_new(8, 0.25, seed + 1, &l), 0);
        cr_assert_eq(amlp_nn_net_add(net, l), 0);
    }
    cr_assert_eq(amlp_nn_dense_new(8, out, AMLP_NN_INIT_XAVIER, &rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    return net;
}

static double net_loss(amlp_nn_net *net, const float *x, size_t n, const float *y)
{
    const float *out = NULL;
    cr_assert_eq(amlp_nn_net_forward(net, x, n, true, &out), 0);
    return amlp_nn_loss_eval(AMLP_NN_LOSS_SOFTMAX_XENT, out, n, 3, y, NULL, NULL, NULL);
}

Test(nn_grad, whole_network_through_softmax_loss)
{
    amlp_nn_net *net = small_net(7, 4, 3, true, true);
    amlp_rng rng;
    amlp_rng_seed(&rng, 8);
    float x[6 * 4], y[6] = {0, 1, 2, 1, 0, 2}, dout[6 * 3];
    fill(&rng, x, 24, -1, 1);
    const float *out = NULL;
    cr_assert_eq(amlp_nn_net_forward(net, x, 6, true, &out), 0);
    for (size_t i = 0; i < net->n_layers; i++)
        if (net->layers[i]->ops->type == AMLP_NN_DROPOUT)
            amlp_nn_dropout_fix_mask(net->layers[i], true);
    amlp_nn_loss_eval(AMLP_NN_LOSS_SOFTMAX_XENT, out, 6, 3, y, NULL, NULL, dout);
    amlp_nn_net_zero_grad(net);
    cr_assert_eq(amlp_nn_net_backward(net, dout, 6), 0);
    check_stats st = {0};
    double h = 1e-2;
    for (size_t k = 0; k < amlp_nn_net_n_params(net); k++) {
        amlp_nn_param *p = amlp_nn_net_param(net, k);
        for (size_t j = 0; j < p->n; j++) {
            float keep = p->w[j];
            p->w[j] = keep + (float)h;
            double fp = net_loss(net, x, 6, y);
            p->w[j] = keep - (float)h;
            double fm = net_loss(net, x, 6, y);
            p->w[j] = keep;
            compare(&st, (fp - fm) / (2 * h), p->g[j], "net param", j);
        }
    }
    cr_expect_eq(st.failed, 0, "%zu of %zu off", st.failed, st.checked);
    cr_expect_eq(st.checked, (4 * 8 + 8) + (8 + 8) + (8 * 3 + 3));
    cr_log_info("network: %zu gradients, worst %.3f of the tolerance", st.checked, st.worst);
    amlp_nn_net_free(net);
}

Test(nn, adamw_matches_hand_computed_steps)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 1);
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(1, &net), 0);
    cr_assert_eq(amlp_nn_dense_new(1, 2, AMLP_NN_INIT_XAVIER, &rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    amlp_nn_adamw opt;
    cr_assert_eq(amlp_nn_adamw_init(&opt, net, 0.1), 0);
    amlp_nn_param *w = amlp_nn_net_param(net, 0), *b = amlp_nn_net_param(net, 1);
    cr_assert(w->decay && !b->decay);
    double W[2] = {0.5, -1.0}, B[2] = {0.25, 0.0};
    double g1[2] = {0.1, -0.2}, g2[2] = {-0.3, 0.05}, lr = 0.01, wd = 0.1;
    double mW[2] = {0}, vW[2] = {0}, mB[2] = {0}, vB[2] = {0};
    for (int j = 0; j < 2; j++) {
        w->w[j] = (float)W[j];
        b->w[j] = (float)B[j];
    }
    for (int t = 1; t <= 2; t++) {
        const double *g = t == 1 ? g1 : g2;
        for (int j = 0; j < 2; j++) {
            w->g[j] = (float)g[j];
            b->g[j] = (float)(2 * g[j]);
        }
        amlp_nn_adamw_step(&opt, net, lr);
        for (int j = 0; j < 2; j++) {
            /* PyTorch AdamW: decay, then the bias-corrected Adam step */
            mW[j] = 0.9 * mW[j] + 0.1 * g[j];
            vW[j] = 0.999 * vW[j] + 0.001 * g[j] * g[j];
            W[j] = W[j] * (1 - lr * wd) -
                   lr * (mW[j] / (1 - pow(0.9, t))) / (sqrt(vW[j] / (1 - pow(0.999, t))) + 1e-8);
            mB[j] = 0.9 * mB[j] + 0.1 * 2 * g[j];
            vB[j] = 0.999 * vB[j] + 0.001 * 4 * g[j] * g[j];
            B[j] = B[j] -
                   lr * (mB[j] / (1 - pow(0.9, t))) / (sqrt(vB[j] / (1 - pow(0.999, t))) + 1e-8);
            cr_expect(fabs(w->w[j] - W[j]) < 1e-6, "step %d W[%d]: %.9g vs %.9g", t, j,
                      w->w[j], W[j]);
            cr_expect(fabs(b->w[j] - B[j]) < 1e-6, "step %d B[%d]: %.9g vs %.9g", t, j,
                      b->w[j], B[j]);
        }
    }
    amlp_nn_adamw_free(&opt);
    amlp_nn_net_free(net);
}

Test(nn, schedule_warmup_then_cosine)
{
    cr_expect(fabs(amlp_nn_lr_at(1.0, 0, 10, 110, 0) - 0.1) < 1e-12);
    cr_expect(fabs(amlp_nn_lr_at(1.0, 9, 10, 110, 0) - 1.0) < 1e-12);
    cr_expect(fabs(amlp_nn_lr_at(1.0, 10, 10, 110, 0) - 1.0) < 1e-12);
    cr_expect(fabs(amlp_nn_lr_at(1.0, 60, 10, 110, 0) - 0.5) < 1e-12);
    cr_expect(fabs(amlp_nn_lr_at(1.0, 110, 10, 110, 0.1) - 0.1) < 1e-12);
}

Test(nn, rng_is_deterministic_and_uniform)
{
    amlp_rng a, b;
    amlp_rng_seed(&a, 42);
    amlp_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(amlp_rng_next(&a), amlp_rng_next(&b));
    amlp_rng_seed(&b, 43);
    cr_expect_neq(amlp_rng_next(&a), amlp_rng_next(&b));
    size_t counts[10] = {0};
    double s = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        counts[amlp_rng_below(&a, 10)]++;
        double z = amlp_rng_normal(&a);
        s += z;
        s2 += z * z;
    }
    for (int i = 0; i < 10; i++)
        cr_expect(counts[i] > 9500 && counts[i] < 10500, "bucket %d: %zu", i, counts[i]);
    cr_expect(fabs(s / 1e5) < 0.02 && fabs(s2 / 1e5 - 1) < 0.03);
    size_t perm[50];
    for (size_t i = 0; i < 50; i++)
        perm[i] = i;
    amlp_rng_shuffle(&a, perm, 50);
    size_t seen = 0, moved = 0;
    for (size_t i = 0; i < 50; i++) {
        seen |= (size_t)1 << perm[i];
        moved += perm[i] != i;
    }
    cr_expect_eq(seen, ((size_t)1 << 50) - 1);
    cr_expect_gt(moved, 25);
}

typedef struct toy {
    const float *x;
    size_t d;
} toy;

static void toy_rows(void *user, const size_t *rows, size_t n, float *x)
{
    toy *t = user;
    for (size_t i = 0; i < n; i++)
        memcpy(x + i * t->d, t->x + rows[i] * t->d, t->d * sizeof(float));
}

/* Trains small_net on 3 noisy blobs; OUT: the snapshot (malloc'd). */
static float *train_snapshot(uint64_t seed, size_t *len)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 100);
    size_t n = 90;
    float x[90 * 4], y[90];
    for (size_t i = 0; i < n; i++) {
        y[i] = (float)(i % 3);
        for (size_t j = 0; j < 4; j++)
            x[i * 4 + j] = (float)((j == i % 3 ? 2.0 : 0.0) + 0.5 * amlp_rng_normal(&rng));
    }
    amlp_nn_net *net = small_net(seed, 4, 3, true, true);
    toy t = {x, 4};
    amlp_nn_data d = {n, toy_rows, &t, y, NULL};
    amlp_nn_train_opts o = {.loss = AMLP_NN_LOSS_SOFTMAX_XENT, .batch_size = 16, .epochs = 5,
                            .patience = 5, .lr = 0.01, .weight_decay = 1e-4,
                            .warmup_frac = 0.1, .seed = seed};
    amlp_nn_train_result res;
    cr_assert_eq(amlp_nn_train(net, &o, &d, NULL, &res, NULL), 0);
    *len = amlp_nn_net_snapshot_size(net);
    float *snap = malloc(*len * sizeof(float));
    amlp_nn_net_snapshot(net, snap);
    amlp_nn_net_free(net);
    return snap;
}

Test(nn, same_seed_same_weights)
{
    size_t n1, n2, n3;
    float *a = train_snapshot(5, &n1), *b = train_snapshot(5, &n2), *c = train_snapshot(6, &n3);
    cr_assert_eq(n1, n2);
    cr_expect_arr_eq(a, b, n1 * sizeof(float), "same seed, different weights");
    cr_expect(memcmp(a, c, n1 * sizeof(float)) != 0, "another seed, same weights");
    free(a);
    free(b);
    free(c);
}

Test(nn, save_load_gives_identical_outputs)
{
    amlp_nn_net *net = small_net(9, 4, 3, true, true), *back = NULL;
    amlp_rng rng;
    amlp_rng_seed(&rng, 3);
    float x[7 * 4];
    fill(&rng, x, 28, -1, 1);
    const float *out = NULL;
    cr_assert_eq(amlp_nn_net_forward(net, x, 7, true, &out), 0);   /* moves running stats */
    amlp_bytes bytes = {0};
    cr_assert_eq(amlp_nn_net_save(net, &bytes), 0);
    amlp_reader r = {bytes.data, bytes.len, 0};
    cr_assert_eq(amlp_nn_net_load(&r, &back), 0);
    cr_expect_eq(r.pos, bytes.len);
    const float *o1 = NULL, *o2 = NULL;
    cr_assert_eq(amlp_nn_net_forward(net, x, 7, false, &o1), 0);
    cr_assert_eq(amlp_nn_net_forward(back, x, 7, false, &o2), 0);
    cr_expect_arr_eq(o1, o2, 7 * 3 * sizeof(float));
    for (size_t cut = 0; cut < bytes.len; cut += 97) {
        amlp_reader t = {bytes.data, cut, 0};
        amlp_nn_net *bad = NULL;
        cr_expect_eq(amlp_nn_net_load(&t, &bad), AML_EPARSE, "cut at %zu", cut);
        cr_expect_null(bad);
    }
    amlp_nn_net_free(back);
    amlp_nn_net_free(net);
    free(bytes.data);
}

Test(nn, net_rejects_mismatched_layer)
{
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(3, &net), 0);
    cr_assert_eq(amlp_nn_relu_new(4, &l), 0);
    cr_expect_eq(amlp_nn_net_add(net, l), AML_EINVAL);
    cr_expect_eq(amlp_nn_dropout_new(4, 1.0, 1, &l), AML_EINVAL);
    amlp_nn_net_free(net);
}

/* Rows of the toy set, slowly (a millisecond a call), so that an epoch takes time. */
static void slow_toy_rows(void *user, const size_t *rows, size_t n, float *x)
{
    usleep(1000);
    toy_rows(user, rows, n, x);
}

/* A deadline (schedule on time) and stop_at (schedule on steps) both end
 * training cleanly at their time, in the middle of an epoch, keeping it. */
Test(nn, a_deadline_or_a_stop_time_ends_training_on_time)
{
    float x[90 * 4], y[90];
    for (size_t i = 0; i < 90; i++) {
        y[i] = (float)(i % 3);
        for (size_t j = 0; j < 4; j++)
            x[i * 4 + j] = (float)(j == i % 3) + 0.1f * (float)j;
    }
    toy t = {x, 4};
    amlp_nn_data d = {90, slow_toy_rows, &t, y, NULL};
    for (int on_time = 0; on_time < 2; on_time++) {
        amlp_nn_net *net = small_net(3, 4, 3, true, false);
        double t0 = aml_now(), limit = 0.25 * SANITIZER_SLOWDOWN;
        amlp_nn_train_opts o = {.loss = AMLP_NN_LOSS_SOFTMAX_XENT, .batch_size = 2,
                                .epochs = 1000, .patience = 1000, .lr = 0.01, .seed = 1,
                                .deadline = on_time ? t0 + limit : 0,
                                .stop_at = on_time ? 0 : t0 + limit};
        amlp_nn_train_result res;
        cr_assert_eq(amlp_nn_train(net, &o, &d, NULL, &res, NULL), 0);
        double took = aml_now() - t0;
        cr_expect(took >= limit && took < limit + 0.1, "%s: %.3f s of %.2f",
                  on_time ? "deadline" : "stop_at", took, limit);
        cr_expect(res.epochs_run >= 1 && res.epochs_run < 1000, "%zu epochs", res.epochs_run);
        amlp_nn_net_free(net);
    }
}
