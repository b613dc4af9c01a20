/* test_nn_conv.c — Criterion suite for the network library's image layers
 * (engine/nn/nn_conv.c, nn_pool.c, nn_batchnorm2d.c, nn_residual.c) and what
 * came with them (label smoothing, SGD with Nesterov momentum):
 * finite-difference gradient checks of the input and of every parameter
 * (children's included), conv2d against a direct convolution, save -> load ->
 * identical outputs, forged bytes -> AML_EPARSE, and a small convolutional
 * net that learns horizontal from vertical stripes.  Central differences in
 * double of float computations: a check passes when
 * |numeric - analytic| <= 1e-3 + 1e-2 |numeric|. */
#include <criterion/criterion.h>

#include "aml_nn.h"
#include "nn/nn_internal.h"   /* AMLP_NN_MAX_NESTING */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ABS_TOL 1e-3
#define REL_TOL 1e-2
#define MAX_CHECKED_PARAMS 64

static void fill(amlp_rng *r, float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * amlp_rng_uniform(r));
}

/* Every parameter of l, its children's included, in order. */
static void collect_params(amlp_nn_layer *l, amlp_nn_param **list, size_t *n)
{
    for (size_t k = 0; k < l->n_param; k++) {
        cr_assert_lt(*n, MAX_CHECKED_PARAMS);
        list[(*n)++] = &l->param[k];
    }
    for (size_t c = 0; c < 2; c++)
        for (size_t i = 0; l->child[c] && i < l->child[c]->n_layers; i++)
            collect_params(l->child[c]->layers[i], list, n);
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
    double ratio = fabs(num - ana) / (ABS_TOL + REL_TOL * fabs(num));
    st->checked++;
    st->worst = ratio > st->worst ? ratio : st->worst;
    if (ratio > 1) {
        st->failed++;
        cr_log_error("%s[%zu]: numeric %.6g analytic %.6g", what, i, num, ana);
    }
}

static double central(amlp_nn_layer *l, float *v, const float *x, size_t n, const float *r,
                      float *y, double h)
{
    float keep = *v;
    *v = keep + (float)h;
    double fp = objective(l, x, n, r, y);
    *v = keep - (float)h;
    double fm = objective(l, x, n, r, y);
    *v = keep;
    return (fp - fm) / (2 * h);
}

/* Central differences of f with respect to x and every parameter of l. */
static check_stats check_layer(amlp_nn_layer *l, float *x, size_t n, double h, uint64_t seed)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    float *r = malloc(n * l->out * sizeof(float));
    float *y = malloc(n * l->out * sizeof(float));
    float *dx = malloc(n * l->in * sizeof(float));
    amlp_nn_param *params[MAX_CHECKED_PARAMS];
    size_t np = 0;
    collect_params(l, params, &np);
    fill(&rng, r, n * l->out, -1, 1);
    objective(l, x, n, r, y);
    for (size_t k = 0; k < np; k++)
        memset(params[k]->g, 0, params[k]->n * sizeof(float));
    cr_assert_eq(l->ops->backward(l, x, y, r, dx, n), 0);
    check_stats st = {0};
    for (size_t i = 0; i < n * l->in; i++)
        compare(&st, central(l, &x[i], x, n, r, y, h), dx[i], "dx", i);
    for (size_t k = 0; k < np; k++)
        for (size_t j = 0; j < params[k]->n; j++)
            compare(&st, central(l, &params[k]->w[j], x, n, r, y, h), params[k]->g[j],
                    "dparam", k * 1000 + j);
    free(r);
    free(y);
    free(dx);
    cr_log_info("%s: %zu gradients checked, worst error %.3f of the tolerance",
                l->ops->name, st.checked, st.worst);
    return st;
}

static size_t n_weights(amlp_nn_layer *l)
{
    amlp_nn_param *params[MAX_CHECKED_PARAMS];
    size_t np = 0, total = 0;
    collect_params(l, params, &np);
    for (size_t k = 0; k < np; k++)
        total += params[k]->n;
    return total;
}

static void expect_grads(amlp_nn_layer *l, size_t n, double lo, double hi, uint64_t seed)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    float *x = malloc(n * l->in * sizeof(float));
    fill(&rng, x, n * l->in, lo, hi);
    check_stats st = check_layer(l, x, n, 1e-2, seed + 100);
    cr_expect_eq(st.failed, 0, "%s: %zu of %zu gradients off", l->ops->name, st.failed,
                 st.checked);
    cr_expect_eq(st.checked, n * l->in + n_weights(l));
    free(x);
}

/* ---- conv2d ---- */

static amlp_nn_layer *conv_with_bias(const amlp_nn_conv2d_cfg *c, uint64_t seed)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_conv2d_new(c, &rng, &l), 0);
    if (c->bias)
        fill(&rng, l->param[1].w, l->param[1].n, -0.5, 0.5);
    return l;
}

Test(nn_conv_grad, conv2d_stride2_pad1_groups2)
{
    amlp_nn_conv2d_cfg c = {.in_c = 4, .h = 5, .w = 6, .out_c = 6, .kh = 3, .kw = 3,
                            .stride = 2, .pad = 1, .groups = 2, .bias = true};
    amlp_nn_layer *l = conv_with_bias(&c, 1);
    cr_expect_eq(l->in, 4 * 5 * 6);
    cr_expect_eq(l->out, 6 * 3 * 3);
    cr_expect_eq(l->param[0].n, 6 * 2 * 9);
    expect_grads(l, 2, -1, 1, 1);
    amlp_nn_layer_free(l);
}

Test(nn_conv_grad, depthwise)
{
    amlp_nn_conv2d_cfg c = {.in_c = 3, .h = 5, .w = 5, .out_c = 3, .kh = 3, .kw = 3,
                            .stride = 1, .pad = 1, .groups = 3, .bias = true};
    amlp_nn_layer *l = conv_with_bias(&c, 2);
    cr_expect_eq(l->param[0].n, 3 * 9);
    expect_grads(l, 2, -1, 1, 2);
    amlp_nn_layer_free(l);
}

/* The direct definition: y[o][oy][ox] = b[o] + sum over the group's channels
 * and the kernel of w * x (zero outside the image). */
static void naive_conv(const amlp_nn_conv2d_cfg *c, const float *w, const float *b,
                       const float *x, float *y, size_t oh, size_t ow)
{
    size_t icg = c->in_c / c->groups, ocg = c->out_c / c->groups;
    for (size_t o = 0; o < c->out_c; o++)
        for (size_t oy = 0; oy < oh; oy++)
            for (size_t ox = 0; ox < ow; ox++) {
                double s = b ? b[o] : 0;
                for (size_t ci = 0; ci < icg; ci++)
                    for (size_t ki = 0; ki < c->kh; ki++)
                        for (size_t kj = 0; kj < c->kw; kj++) {
                            long iy = (long)(oy * c->stride + ki) - (long)c->pad;
                            long ix = (long)(ox * c->stride + kj) - (long)c->pad;
                            if (iy < 0 || ix < 0 || iy >= (long)c->h || ix >= (long)c->w)
                                continue;
                            size_t ch = o / ocg * icg + ci;
                            s += (double)w[((o * icg + ci) * c->kh + ki) * c->kw + kj] *
                                 x[(ch * c->h + (size_t)iy) * c->w + (size_t)ix];
                        }
                y[(o * oh + oy) * ow + ox] = (float)s;
            }
}

Test(nn_conv, forward_matches_direct_convolution)
{
    static const size_t combos[][6] = {
        /* kh kw stride pad groups bias */
        {3, 3, 1, 0, 1, 1}, {3, 3, 1, 1, 1, 0}, {3, 3, 2, 1, 2, 1}, {5, 3, 2, 2, 1, 1},
        {1, 1, 2, 0, 1, 0}, {3, 3, 1, 1, 4, 1}, {2, 4, 3, 1, 2, 1},
    };
    amlp_rng rng;
    amlp_rng_seed(&rng, 7);
    for (size_t t = 0; t < sizeof combos / sizeof combos[0]; t++) {
        amlp_nn_conv2d_cfg c = {.in_c = 4, .h = 7, .w = 9, .out_c = 8, .kh = combos[t][0],
                                .kw = combos[t][1], .stride = combos[t][2],
                                .pad = combos[t][3], .groups = combos[t][4],
                                .bias = combos[t][5]};
        amlp_nn_layer *l = conv_with_bias(&c, 10 + t);
        size_t oh = amlp_nn_conv_out_size(c.h, c.kh, c.stride, c.pad);
        size_t ow = amlp_nn_conv_out_size(c.w, c.kw, c.stride, c.pad);
        cr_assert_eq(l->out, c.out_c * oh * ow);
        size_t n = 3;
        float *x = malloc(n * l->in * sizeof(float)), *y = malloc(n * l->out * sizeof(float));
        float *ref = malloc(l->out * sizeof(float));
        fill(&rng, x, n * l->in, -1, 1);
        cr_assert_eq(l->ops->forward(l, x, y, n, false), 0);
        for (size_t i = 0; i < n; i++) {
            naive_conv(&c, l->param[0].w, c.bias ? l->param[1].w : NULL, x + i * l->in, ref,
                       oh, ow);
            for (size_t j = 0; j < l->out; j++)
                cr_assert_float_eq(y[i * l->out + j], ref[j], 1e-4, "combo %zu row %zu [%zu]",
                                   t, i, j);
        }
        free(x);
        free(y);
        free(ref);
        amlp_nn_layer_free(l);
    }
}

Test(nn_conv, rejects_bad_shapes)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 1);
    amlp_nn_layer *l = (amlp_nn_layer *)1;
    amlp_nn_conv2d_cfg c = {.in_c = 3, .h = 4, .w = 4, .out_c = 4, .kh = 3, .kw = 3,
                            .stride = 1, .pad = 0, .groups = 2};
    cr_expect_eq(amlp_nn_conv2d_new(&c, &rng, &l), AML_EINVAL);   /* 3 % 2 */
    cr_expect_null(l);
    c.groups = 1;
    c.kh = 6;
    cr_expect_eq(amlp_nn_conv2d_new(&c, &rng, &l), AML_EINVAL);   /* kernel > image */
    c.kh = 3;
    c.stride = 0;
    cr_expect_eq(amlp_nn_conv2d_new(&c, &rng, &l), AML_EINVAL);
}

/* ---- pooling ---- */

/* Distinct values (a shuffled ramp, spacing 0.05), so a max never sits on a tie
 * that a step of 1e-2 could flip. */
static void fill_distinct(amlp_rng *r, float *x, size_t n)
{
    size_t *order = malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    amlp_rng_shuffle(r, order, n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.05 * (double)order[i] - 0.025 * (double)n);
    free(order);
}

static void expect_pool_grads(amlp_nn_layer *l, size_t n, uint64_t seed)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    float *x = malloc(n * l->in * sizeof(float));
    fill_distinct(&rng, x, n * l->in);
    check_stats st = check_layer(l, x, n, 1e-2, seed);
    cr_expect_eq(st.failed, 0, "%s: %zu of %zu gradients off", l->ops->name, st.failed,
                 st.checked);
    cr_expect_eq(st.checked, n * l->in);
    free(x);
}

Test(nn_conv_grad, maxpool)
{
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_MAXPOOL, 2, 5, 6, 3, 2, 1, &l), 0);
    cr_expect_eq(l->out, 2 * 3 * 3);
    expect_pool_grads(l, 2, 21);
    amlp_nn_layer_free(l);
}

/* Without padding every window lies inside the image (the unclipped path);
 * 7 columns leave the last one outside every window. */
Test(nn_conv_grad, maxpool_unpadded)
{
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_MAXPOOL, 3, 6, 7, 2, 2, 0, &l), 0);
    cr_expect_eq(l->out, 3 * 3 * 3);
    expect_pool_grads(l, 2, 22);
    amlp_nn_layer_free(l);
}

Test(nn_conv_grad, avgpool)
{
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_AVGPOOL, 2, 5, 6, 3, 2, 1, &l), 0);
    expect_pool_grads(l, 2, 22);
    amlp_nn_layer_free(l);
}

Test(nn_conv_grad, global_avgpool)
{
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_global_avgpool_new(3, 4, 5, &l), 0);
    cr_expect_eq(l->out, 3);
    expect_pool_grads(l, 2, 23);
    amlp_nn_layer_free(l);
}

Test(nn_conv, pooling_values)
{
    /* one 1 x 4 x 4 image 0..15 */
    float x[16], y[4];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_MAXPOOL, 1, 4, 4, 2, 2, 0, &l), 0);
    cr_assert_eq(l->ops->forward(l, x, y, 1, false), 0);
    cr_expect_eq(y[0], 5);
    cr_expect_eq(y[3], 15);
    amlp_nn_layer_free(l);
    /* 3 x 3 windows, stride 2, padding 1: the corner averages 4 values over 9 */
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_AVGPOOL, 1, 4, 4, 3, 2, 1, &l), 0);
    cr_assert_eq(l->ops->forward(l, x, y, 1, false), 0);
    cr_expect_float_eq(y[0], (0 + 1 + 4 + 5) / 9.0f, 1e-6);
    /* the last window is rows and columns 1..3 (no padding): 5+6+7+9+...+15 = 90 */
    cr_expect_float_eq(y[3], 10.0f, 1e-6);
    amlp_nn_layer_free(l);
    cr_assert_eq(amlp_nn_global_avgpool_new(1, 4, 4, &l), 0);
    cr_assert_eq(l->ops->forward(l, x, y, 1, false), 0);
    cr_expect_float_eq(y[0], 7.5f, 1e-6);
    amlp_nn_layer_free(l);
    cr_expect_eq(amlp_nn_pool_new(AMLP_NN_MAXPOOL, 1, 4, 4, 2, 2, 2, &l), AML_EINVAL);
}

/* ---- batch norm 2-d ---- */

Test(nn_conv_grad, batchnorm2d_train)
{
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_batchnorm2d_new(3, 2, 3, 0.1, 1e-5, &l), 0);
    amlp_rng rng;
    amlp_rng_seed(&rng, 31);
    fill(&rng, l->param[0].w, 3, 0.5, 1.5);
    fill(&rng, l->param[1].w, 3, -0.5, 0.5);
    expect_grads(l, 3, -2, 2, 31);
    amlp_nn_layer_free(l);
}

Test(nn_conv, batchnorm2d_normalises_each_channel)
{
    size_t n = 4, c = 2, hw = 6;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_batchnorm2d_new(c, 2, 3, 1.0, 1e-5, &l), 0);
    float x[4 * 2 * 6], y[4 * 2 * 6];
    amlp_rng rng;
    amlp_rng_seed(&rng, 32);
    for (size_t i = 0; i < n * c * hw; i++)   /* channel 1 offset by 10 and scaled by 3 */
        x[i] = (float)(amlp_rng_normal(&rng) * ((i / hw) % 2 ? 3 : 1) + ((i / hw) % 2 ? 10 : 0));
    cr_assert_eq(l->ops->forward(l, x, y, n, true), 0);
    for (size_t ch = 0; ch < c; ch++) {
        double s = 0, s2 = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < hw; j++) {
                double v = y[(i * c + ch) * hw + j];
                s += v;
                s2 += v * v;
            }
        double mean = s / (double)(n * hw);
        cr_expect_float_eq(mean, 0.0, 1e-5, "channel %zu mean %g", ch, mean);
        cr_expect_float_eq(s2 / (double)(n * hw) - mean * mean, 1.0, 1e-3);
    }
    /* momentum 1: the running statistics are this batch's, so inference
     * reproduces training up to the unbiased variance's factor m / (m - 1) */
    float yi[4 * 2 * 6];
    cr_assert_eq(l->ops->forward(l, x, yi, n, false), 0);
    double k = sqrt((double)(n * hw - 1) / (double)(n * hw));
    for (size_t i = 0; i < n * c * hw; i++)
        cr_expect_float_eq(yi[i], y[i] * k, 1e-3, "[%zu] %g vs %g", i, yi[i], y[i] * k);
    amlp_nn_layer_free(l);
}

/* ---- residual blocks ---- */

static amlp_nn_layer *conv_layer(size_t in_c, size_t h, size_t w, size_t out_c, size_t k,
                                 size_t stride, size_t pad, amlp_rng *rng)
{
    amlp_nn_conv2d_cfg c = {.in_c = in_c, .h = h, .w = w, .out_c = out_c, .kh = k, .kw = k,
                            .stride = stride, .pad = pad, .groups = 1, .bias = true};
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_conv2d_new(&c, rng, &l), 0);
    fill(rng, l->param[1].w, l->param[1].n, -0.3, 0.3);
    return l;
}

/* conv 3x3 (stride) -> batch norm 2-d -> GELU -> conv 3x3: c x h x w to
 * out_c x ceil(h/stride) x ceil(w/stride) (GELU, not ReLU: no kink for the
 * finite differences to straddle). */
static amlp_nn_net *block_body(size_t c, size_t h, size_t w, size_t out_c, size_t stride,
                               amlp_rng *rng)
{
    size_t oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(c * h * w, &net), 0);
    cr_assert_eq(amlp_nn_net_add(net, conv_layer(c, h, w, out_c, 3, stride, 1, rng)), 0);
    cr_assert_eq(amlp_nn_batchnorm2d_new(out_c, oh, ow, 0.1, 1e-5, &l), 0);
    fill(rng, l->param[0].w, out_c, 0.5, 1.5);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_gelu_new(out_c * oh * ow, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_net_add(net, conv_layer(out_c, oh, ow, out_c, 3, 1, 1, rng)), 0);
    return net;
}

Test(nn_conv_grad, residual_identity)
{
    amlp_rng rng;
    /* (the seed's draw keeps every ReLU input of the body further than the
     * difference step from zero, where a numeric slope would straddle the kink) */
    amlp_rng_seed(&rng, 44);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_residual_new(block_body(2, 4, 4, 2, 1, &rng), 2, 4, 4, 2, 1, &rng, &l),
                 0);
    cr_expect_null(l->child[1], "same shape: the shortcut is the identity");
    cr_expect_eq(l->out, 2 * 4 * 4);
    expect_grads(l, 2, -1, 1, 44);
    amlp_nn_layer_free(l);
}

Test(nn_conv_grad, residual_projection)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 42);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_residual_new(block_body(2, 5, 4, 3, 2, &rng), 2, 5, 4, 3, 2, &rng, &l),
                 0);
    cr_assert_not_null(l->child[1], "channels and stride change: a 1x1 projection");
    cr_expect_eq(l->child[1]->layers[0]->param[0].n, 3 * 2);
    cr_expect_eq(l->out, 3 * 3 * 2);
    expect_grads(l, 2, -1, 1, 42);
    amlp_nn_layer_free(l);
}

Test(nn_conv, residual_adds_the_input)
{
    /* an inner net whose output is 0 (a 1x1 conv with zero weights) makes
     * the block the identity */
    amlp_rng rng;
    amlp_rng_seed(&rng, 43);
    amlp_nn_net *inner = NULL;
    cr_assert_eq(amlp_nn_net_new(2 * 3 * 3, &inner), 0);
    amlp_nn_layer *c = conv_layer(2, 3, 3, 2, 1, 1, 0, &rng);
    memset(c->param[0].w, 0, c->param[0].n * sizeof(float));
    memset(c->param[1].w, 0, c->param[1].n * sizeof(float));
    cr_assert_eq(amlp_nn_net_add(inner, c), 0);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_residual_new(inner, 2, 3, 3, 2, 1, &rng, &l), 0);
    float x[18], y[18];
    fill(&rng, x, 18, -1, 1);
    cr_assert_eq(l->ops->forward(l, x, y, 1, false), 0);
    for (int i = 0; i < 18; i++)
        cr_expect_eq(y[i], x[i]);
    amlp_nn_layer_free(l);
    /* a body of the wrong output shape is refused (and freed) */
    cr_assert_eq(amlp_nn_net_new(2 * 3 * 3, &inner), 0);
    cr_assert_eq(amlp_nn_net_add(inner, conv_layer(2, 3, 3, 2, 3, 1, 0, &rng)), 0);
    cr_expect_eq(amlp_nn_residual_new(inner, 2, 3, 3, 2, 1, &rng, &l), AML_EINVAL);
}

Test(nn_conv, net_enumerates_children_params)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 44);
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(2 * 4 * 4, &net), 0);
    cr_assert_eq(amlp_nn_residual_new(block_body(2, 4, 4, 3, 2, &rng), 2, 4, 4, 3, 2, &rng, &l),
                 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    /* body: conv w, b; bn gamma, beta; conv w, b; shortcut: conv w */
    cr_expect_eq(amlp_nn_net_n_params(net), 7);
    cr_expect_eq(amlp_nn_net_param(net, 6), &l->child[1]->layers[0]->param[0]);
    cr_expect_null(amlp_nn_net_param(net, 7));
    size_t weights = 3 * 2 * 9 + 3 + 3 + 3 + 3 * 3 * 9 + 3 + 3 * 2, states = 3 + 3;
    cr_expect_eq(amlp_nn_net_snapshot_size(net), weights + states);
    amlp_nn_net_free(net);
}

/* ---- label smoothing, SGD with Nesterov momentum, the schedule ---- */

Test(nn_conv_grad, label_smoothed_xent)
{
    size_t n = 4, k = 5;
    amlp_rng rng;
    amlp_rng_seed(&rng, 51);
    float out[20], d[20], y[4] = {0, 3, 4, 1}, w[4] = {1, 2, 0.5f, 1};
    fill(&rng, out, n * k, -2, 2);
    amlp_nn_loss_eval_smoothed(AMLP_NN_LOSS_SOFTMAX_XENT, 0.1, out, n, k, y, w, NULL, d);
    check_stats st = {0};
    for (size_t i = 0; i < n * k; i++) {
        double h = 1e-2;
        float keep = out[i];
        out[i] = keep + (float)h;
        double fp = amlp_nn_loss_eval_smoothed(AMLP_NN_LOSS_SOFTMAX_XENT, 0.1, out, n, k, y, w,
                                               NULL, NULL);
        out[i] = keep - (float)h;
        double fm = amlp_nn_loss_eval_smoothed(AMLP_NN_LOSS_SOFTMAX_XENT, 0.1, out, n, k, y, w,
                                               NULL, NULL);
        out[i] = keep;
        compare(&st, (fp - fm) / (2 * h), d[i], "dout", i);
    }
    cr_expect_eq(st.failed, 0);
    cr_expect_eq(st.checked, n * k);
}

Test(nn_conv, label_smoothing_values)
{
    /* equal logits: the loss is log k with or without smoothing */
    float out[3] = {0, 0, 0}, y[1] = {1}, d[3];
    cr_expect_float_eq(amlp_nn_loss_eval_smoothed(AMLP_NN_LOSS_SOFTMAX_XENT, 0.3, out, 1, 3, y,
                                                  NULL, NULL, NULL),
                       log(3.0), 1e-9);
    /* logits (0, 10, 0) on class 1, eps 0.3: lse - (0.8 * 10) */
    out[1] = 10;
    double lse = 10 + log(1 + 2 * exp(-10.0));
    cr_expect_float_eq(amlp_nn_loss_eval_smoothed(AMLP_NN_LOSS_SOFTMAX_XENT, 0.3, out, 1, 3, y,
                                                  NULL, NULL, d),
                       lse - 0.8 * 10, 1e-9);
    /* the gradient pulls the true class's probability towards 0.8, not 1 */
    cr_expect_float_eq(d[1], exp(10 - lse) - 0.8, 1e-6);
    cr_expect_gt(d[1], 0);
    /* smoothing 0 is the plain loss */
    cr_expect_float_eq(amlp_nn_loss_eval_smoothed(AMLP_NN_LOSS_SOFTMAX_XENT, 0, out, 1, 3, y,
                                                  NULL, NULL, NULL),
                       amlp_nn_loss_eval(AMLP_NN_LOSS_SOFTMAX_XENT, out, 1, 3, y, NULL, NULL,
                                         NULL),
                       1e-12);
}

Test(nn_conv, sgd_nesterov_by_hand)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 52);
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(1, &net), 0);
    cr_assert_eq(amlp_nn_dense_new(1, 1, AMLP_NN_INIT_XAVIER, &rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    l->param[0].w[0] = 1.0f;   /* decay applies */
    l->param[1].w[0] = 1.0f;   /* no decay */
    amlp_nn_sgd opt = {0};
    cr_assert_eq(amlp_nn_sgd_init(&opt, net, 0.9, true, 0.1), 0);
    /* step 1, grad 1: g = 1.1 (w) / 1 (b); v = g; w -= 0.5 (g + 0.9 v) */
    l->param[0].g[0] = l->param[1].g[0] = 1.0f;
    amlp_nn_sgd_step(&opt, net, 0.5);
    cr_expect_float_eq(l->param[0].w[0], 1 - 0.5 * (1.1 + 0.9 * 1.1), 1e-6);
    cr_expect_float_eq(l->param[1].w[0], 1 - 0.5 * 1.9, 1e-6);
    /* step 2, grad 1 on b: v = 0.9 + 1 = 1.9; b -= 0.5 (1 + 0.9 * 1.9) */
    float b1 = l->param[1].w[0];
    amlp_nn_sgd_step(&opt, net, 0.5);
    cr_expect_float_eq(l->param[1].w[0], b1 - 0.5 * (1 + 0.9 * 1.9), 1e-6);
    amlp_nn_sgd_free(&opt);
    /* heavy ball: w -= lr v */
    cr_assert_eq(amlp_nn_sgd_init(&opt, net, 0.5, false, 0), 0);
    b1 = l->param[1].w[0];
    amlp_nn_sgd_step(&opt, net, 0.1);
    amlp_nn_sgd_step(&opt, net, 0.1);
    cr_expect_float_eq(l->param[1].w[0], b1 - 0.1 * 1 - 0.1 * 1.5, 1e-6);
    amlp_nn_sgd_free(&opt);
    amlp_nn_sgd_free(&opt);   /* twice is harmless */
    amlp_nn_net_free(net);
}

Test(nn_conv, warmup_then_cosine)
{
    /* 10 warm-up steps of 110: linear to the base, then the half cosine */
    cr_expect_float_eq(amlp_nn_lr_at(1.0, 0, 10, 110, 0), 0.1, 1e-12);
    cr_expect_float_eq(amlp_nn_lr_at(1.0, 9, 10, 110, 0), 1.0, 1e-12);
    cr_expect_float_eq(amlp_nn_lr_at(1.0, 10, 10, 110, 0), 1.0, 1e-12);
    cr_expect_float_eq(amlp_nn_lr_at(1.0, 60, 10, 110, 0), 0.5, 1e-12);
    cr_expect_float_eq(amlp_nn_lr_at(1.0, 110, 10, 110, 0.1), 0.1, 1e-12);
}

/* ---- save and load ---- */

/* 2 x 6 x 6 -> conv (groups 2) -> bn2d -> relu -> residual (identity) ->
 * maxpool -> residual (projection, stride 2) -> avgpool -> conv (depthwise) ->
 * global avgpool -> dense 3: every image layer once. */
static amlp_nn_net *every_layer_net(amlp_rng *rng)
{
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(2 * 6 * 6, &net), 0);
    amlp_nn_conv2d_cfg c1 = {.in_c = 2, .h = 6, .w = 6, .out_c = 4, .kh = 3, .kw = 3,
                             .stride = 1, .pad = 1, .groups = 2, .bias = true};
    cr_assert_eq(amlp_nn_conv2d_new(&c1, rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_batchnorm2d_new(4, 6, 6, 0.1, 1e-5, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_relu_new(4 * 36, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_residual_new(block_body(4, 6, 6, 4, 1, rng), 4, 6, 6, 4, 1, rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_MAXPOOL, 4, 6, 6, 2, 2, 0, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_residual_new(block_body(4, 3, 3, 6, 2, rng), 4, 3, 3, 6, 2, rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_AVGPOOL, 6, 2, 2, 2, 1, 1, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    amlp_nn_conv2d_cfg c2 = {.in_c = 6, .h = 3, .w = 3, .out_c = 6, .kh = 3, .kw = 3,
                             .stride = 1, .pad = 1, .groups = 6, .bias = false};
    cr_assert_eq(amlp_nn_conv2d_new(&c2, rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_global_avgpool_new(6, 3, 3, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_dense_new(6, 3, AMLP_NN_INIT_XAVIER, rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    return net;
}

static amlp_bytes saved_every_layer_net(amlp_nn_net **net, float *x, size_t n, float *before)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 61);
    *net = every_layer_net(&rng);
    fill(&rng, x, n * (*net)->in, -1, 1);
    const float *y = NULL;
    /* a few training forwards move the running statistics off their start */
    for (int i = 0; i < 3; i++)
        cr_assert_eq(amlp_nn_net_forward(*net, x, n, true, &y), 0);
    cr_assert_eq(amlp_nn_net_forward(*net, x, n, false, &y), 0);
    memcpy(before, y, n * 3 * sizeof(float));
    amlp_bytes bytes = {0};
    cr_assert_eq(amlp_nn_net_save(*net, &bytes), 0);
    return bytes;
}

Test(nn_conv_io, save_load_identical_outputs)
{
    size_t n = 4;
    float x[4 * 72], before[12];
    amlp_nn_net *net = NULL, *back = NULL;
    amlp_bytes bytes = saved_every_layer_net(&net, x, n, before);
    amlp_reader r = {bytes.data, bytes.len, 0};
    cr_assert_eq(amlp_nn_net_load(&r, &back), 0);
    cr_expect_eq(r.pos, bytes.len);
    cr_assert_eq(back->n_layers, net->n_layers);
    cr_expect_eq(amlp_nn_net_snapshot_size(back), amlp_nn_net_snapshot_size(net));
    const float *y = NULL;
    cr_assert_eq(amlp_nn_net_forward(back, x, n, false, &y), 0);
    for (size_t i = 0; i < n * 3; i++)
        cr_expect_eq(y[i], before[i], "output %zu: %g after loading, %g before", i, y[i],
                     before[i]);
    /* and the copy saves to the same bytes */
    amlp_bytes again = {0};
    cr_assert_eq(amlp_nn_net_save(back, &again), 0);
    cr_expect_eq(again.len, bytes.len);
    cr_expect_eq(memcmp(again.data, bytes.data, bytes.len), 0);
    amlp_free(again.data);
    amlp_free(bytes.data);
    amlp_nn_net_free(net);
    amlp_nn_net_free(back);
}

Test(nn_conv_io, truncated_bytes_fail_to_parse)
{
    size_t n = 2;
    float x[2 * 72], before[6];
    amlp_nn_net *net = NULL, *back = NULL;
    amlp_bytes bytes = saved_every_layer_net(&net, x, n, before);
    size_t tried = 0;
    for (size_t cut = 0; cut < bytes.len; cut += cut < 400 ? 1 : 37) {
        amlp_reader t = {bytes.data, cut, 0};
        cr_assert_eq(amlp_nn_net_load(&t, &back), AML_EPARSE, "cut at %zu of %zu", cut,
                     bytes.len);
        cr_assert_null(back);
        tried++;
    }
    cr_expect_gt(tried, 400);
    amlp_free(bytes.data);
    amlp_nn_net_free(net);
}

/* Offsets in the saved bytes: the net's header is 3 u64, a layer's 3 u64,
 * then the first layer's (the conv's) configuration. */
#define U64_AT(k) ((k) * 8)

static int load_forged(const amlp_bytes *b, size_t at, uint64_t v)
{
    unsigned char *copy = malloc(b->len);
    memcpy(copy, b->data, b->len);
    memcpy(copy + at, &v, sizeof v);
    amlp_reader r = {copy, b->len, 0};
    amlp_nn_net *back = NULL;
    int rc = amlp_nn_net_load(&r, &back);
    amlp_nn_net_free(back);
    free(copy);
    return rc;
}

Test(nn_conv_io, forged_sizes_fail_to_parse)
{
    size_t n = 2;
    float x[2 * 72], before[6];
    amlp_nn_net *net = NULL;
    amlp_bytes bytes = saved_every_layer_net(&net, x, n, before);
    cr_assert_eq(load_forged(&bytes, U64_AT(6), 2), 0, "the unforged value loads");
    size_t conv_cfg = 6;   /* in_c h w out_c kh kw stride pad groups bias */
    cr_expect_eq(load_forged(&bytes, U64_AT(conv_cfg + 3), 1u << 20), AML_EPARSE);  /* out_c */
    cr_expect_eq(load_forged(&bytes, U64_AT(conv_cfg + 3), 1u << 14), AML_EPARSE);  /* != out */
    cr_expect_eq(load_forged(&bytes, U64_AT(conv_cfg + 1), UINT64_MAX), AML_EPARSE); /* h */
    cr_expect_eq(load_forged(&bytes, U64_AT(conv_cfg + 4), 0), AML_EPARSE);         /* kh */
    cr_expect_eq(load_forged(&bytes, U64_AT(conv_cfg + 8), 3), AML_EPARSE);         /* groups */
    cr_expect_eq(load_forged(&bytes, U64_AT(conv_cfg + 9), 7), AML_EPARSE);         /* bias */
    cr_expect_eq(load_forged(&bytes, U64_AT(3), 99), AML_EPARSE);                   /* type */
    cr_expect_eq(load_forged(&bytes, U64_AT(5), (1u << 24) + 1), AML_EPARSE);       /* out */
    amlp_free(bytes.data);
    amlp_nn_net_free(net);
}

/* k residual blocks nested inside one another around a ReLU on 1 x 2 x 2. */
static amlp_nn_net *nested_residuals(size_t k)
{
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(4, &net), 0);
    cr_assert_eq(amlp_nn_relu_new(4, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    for (size_t i = 0; i < k; i++) {
        amlp_nn_net *outer = NULL;
        cr_assert_eq(amlp_nn_residual_new(net, 1, 2, 2, 1, 1, NULL, &l), 0);
        cr_assert_eq(amlp_nn_net_new(4, &outer), 0);
        cr_assert_eq(amlp_nn_net_add(outer, l), 0);
        net = outer;
    }
    return net;
}

Test(nn_conv_io, nesting_is_bounded)
{
    for (size_t k = 8; k <= 9; k++) {
        amlp_nn_net *net = nested_residuals(k), *back = NULL;
        amlp_bytes bytes = {0};
        cr_assert_eq(amlp_nn_net_save(net, &bytes), 0);
        amlp_reader r = {bytes.data, bytes.len, 0};
        int rc = amlp_nn_net_load(&r, &back);
        cr_expect_eq(rc, k <= AMLP_NN_MAX_NESTING ? 0 : AML_EPARSE, "%zu deep: %d", k,
                     rc);
        /* k blocks around relu give relu(x) + k x */
        if (rc == 0) {
            float x[4] = {1, -1, 2, 0}, want[4];
            const float *y = NULL;
            cr_assert_eq(amlp_nn_net_forward(net, x, 1, false, &y), 0);
            memcpy(want, y, sizeof want);
            cr_assert_eq(amlp_nn_net_forward(back, x, 1, false, &y), 0);
            cr_expect_arr_eq(y, want, sizeof want);
            cr_expect_eq(want[0], 1.0f + (float)k);
            cr_expect_eq(want[1], -(float)k);
        }
        amlp_free(bytes.data);
        amlp_nn_net_free(net);
        amlp_nn_net_free(back);
    }
}

/* ---- end to end: stripes ---- */

/* n 8 x 8 images: class 0 horizontal stripes (rows alternate), class 1
 * vertical, each with a random phase, contrast and Gaussian noise. */
static void stripes(size_t n, uint64_t seed, float *x, float *y)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        size_t cls = i % 2, phase = amlp_rng_below(&rng, 2);
        double contrast = 0.5 + amlp_rng_uniform(&rng);
        for (size_t r = 0; r < 8; r++)
            for (size_t c = 0; c < 8; c++) {
                size_t line = cls == 0 ? r : c;
                double v = ((line + phase) % 2 ? contrast : -contrast) +
                           0.3 * amlp_rng_normal(&rng);
                x[i * 64 + r * 8 + c] = (float)v;
            }
        y[i] = (float)cls;
    }
}

static void rows_of(void *user, const size_t *rows, size_t n, float *x)
{
    const float *all = user;
    for (size_t i = 0; i < n; i++)
        memcpy(x + i * 64, all + rows[i] * 64, 64 * sizeof(float));
}

Test(nn_conv_train, two_conv_net_separates_stripes)
{
    size_t n_train = 256, n_test = 200;
    float *xt = malloc(n_train * 64 * sizeof(float)), *yt = malloc(n_train * sizeof(float));
    float *xv = malloc(n_test * 64 * sizeof(float)), *yv = malloc(n_test * sizeof(float));
    stripes(n_train, 71, xt, yt);
    stripes(n_test, 72, xv, yv);
    amlp_rng rng;
    amlp_rng_seed(&rng, 73);
    /* conv 3x3 1->4, relu, max pool 2, conv 3x3 4->8, relu, global avg, dense 2 */
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(64, &net), 0);
    cr_assert_eq(amlp_nn_net_add(net, conv_layer(1, 8, 8, 4, 3, 1, 1, &rng)), 0);
    cr_assert_eq(amlp_nn_relu_new(4 * 64, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_MAXPOOL, 4, 8, 8, 2, 2, 0, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_net_add(net, conv_layer(4, 4, 4, 8, 3, 1, 1, &rng)), 0);
    cr_assert_eq(amlp_nn_relu_new(8 * 16, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_global_avgpool_new(8, 4, 4, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_dense_new(8, 2, AMLP_NN_INIT_XAVIER, &rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    amlp_nn_train_opts o = {.loss = AMLP_NN_LOSS_SOFTMAX_XENT, .label_smoothing = 0.1,
                            .optimizer = AMLP_NN_OPT_SGD_NESTEROV, .momentum = 0.9,
                            .batch_size = 32, .epochs = 20, .patience = 20, .lr = 0.05,
                            .weight_decay = 1e-4, .warmup_frac = 0.1, .seed = 74};
    amlp_nn_data train = {.n = n_train, .rows = rows_of, .user = xt, .y = yt};
    amlp_nn_train_result res;
    aml_error err = {0};
    cr_assert_eq(amlp_nn_train(net, &o, &train, NULL, &res, &err), 0, "%s", err.text);
    float *out = malloc(n_test * 2 * sizeof(float));
    amlp_nn_data test = {.n = n_test, .rows = rows_of, .user = xv, .y = yv};
    cr_assert_eq(amlp_nn_predict_raw(net, &test, NULL, out), 0);
    size_t right = 0;
    for (size_t i = 0; i < n_test; i++)
        right += (out[2 * i + 1] > out[2 * i]) == (yv[i] == 1);
    double acc = (double)right / (double)n_test;
    cr_log_info("stripes: test accuracy %.3f after %zu epochs (training loss %.4f)", acc,
                res.epochs_run, res.best_loss);
    cr_expect_geq(acc, 0.95, "accuracy %.3f", acc);
    free(out);
    free(xt);
    free(yt);
    free(xv);
    free(yv);
    amlp_nn_net_free(net);
}

/* ---- the two convolution paths: oneDNN and im2col + sgemm ---- */

/* Largest |a - b| over the largest |a| (1 when a is all zeros). */
static double rel_diff(const float *a, const float *b, size_t n)
{
    double diff = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        diff = fmax(diff, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs((double)a[i]));
    }
    return diff / (scale > 0 ? scale : 1);
}

typedef struct conv_run {
    float *y, *dx, *gw, *gb;
} conv_run;

/* Forward and backward of l on x with dy, on the path chosen by `im2col`;
 * the parameter gradients start from zero. */
static conv_run run_conv_path(amlp_nn_layer *l, const float *x, const float *dy, size_t n,
                              bool im2col)
{
    amlp_nn_conv_force_im2col(im2col);
    cr_assert_str_eq(amlp_nn_conv_path(), im2col ? "im2col" : "onednn");
    conv_run r = {malloc(n * l->out * sizeof(float)), malloc(n * l->in * sizeof(float)),
                  malloc(l->param[0].n * sizeof(float)), NULL};
    for (size_t k = 0; k < l->n_param; k++)
        memset(l->param[k].g, 0, l->param[k].n * sizeof(float));
    cr_assert_eq(l->ops->forward(l, x, r.y, n, true), 0);
    cr_assert_eq(l->ops->backward(l, x, r.y, dy, r.dx, n), 0);
    memcpy(r.gw, l->param[0].g, l->param[0].n * sizeof(float));
    if (l->n_param > 1) {
        r.gb = malloc(l->param[1].n * sizeof(float));
        memcpy(r.gb, l->param[1].g, l->param[1].n * sizeof(float));
    }
    amlp_nn_conv_force_im2col(false);
    return r;
}

static void conv_run_free(conv_run *r)
{
    free(r->y), free(r->dx), free(r->gw), free(r->gb);
}

/* A random valid shape: 1-8 channels per group, 1-3 groups, 3-12 pixels a
 * side, kernels 1-5, stride 1-3, pad below the kernel. */
static amlp_nn_conv2d_cfg random_cfg(amlp_rng *rng)
{
    amlp_nn_conv2d_cfg c = {0};
    do {
        c.groups = 1 + amlp_rng_below(rng, 3);
        c.in_c = c.groups * (1 + amlp_rng_below(rng, 8));
        c.out_c = c.groups * (1 + amlp_rng_below(rng, 8));
        c.h = 3 + amlp_rng_below(rng, 10);
        c.w = 3 + amlp_rng_below(rng, 10);
        c.kh = 1 + amlp_rng_below(rng, 5);
        c.kw = 1 + amlp_rng_below(rng, 5);
        c.stride = 1 + amlp_rng_below(rng, 3);
        c.pad = amlp_rng_below(rng, c.kh < c.kw ? c.kh : c.kw);
        c.bias = amlp_rng_below(rng, 2);
    } while (amlp_nn_conv_out_size(c.h, c.kh, c.stride, c.pad) == 0 ||
             amlp_nn_conv_out_size(c.w, c.kw, c.stride, c.pad) == 0);
    return c;
}

Test(nn_conv_paths, onednn_and_im2col_agree_on_random_shapes)
{
    unsetenv("AML_NN_CONV");   /* this test chooses the path itself */
    amlp_rng rng;
    amlp_rng_seed(&rng, 77);
    for (int t = 0; t < 40; t++) {
        amlp_nn_conv2d_cfg c = random_cfg(&rng);
        size_t n = 1 + amlp_rng_below(&rng, 5);
        amlp_nn_set_threads(1 + t % 2);   /* both paths on one and two threads */
        amlp_nn_layer *l = conv_with_bias(&c, 100 + (uint64_t)t);
        float *x = malloc(n * l->in * sizeof(float)), *dy = malloc(n * l->out * sizeof(float));
        fill(&rng, x, n * l->in, -1, 1);
        fill(&rng, dy, n * l->out, -1, 1);
        conv_run a = run_conv_path(l, x, dy, n, false), b = run_conv_path(l, x, dy, n, true);
        const char *what[] = {"y", "dx", "weight gradient", "bias gradient"};
        double d[] = {rel_diff(b.y, a.y, n * l->out), rel_diff(b.dx, a.dx, n * l->in),
                      rel_diff(b.gw, a.gw, l->param[0].n),
                      c.bias ? rel_diff(b.gb, a.gb, c.out_c) : 0};
        for (int k = 0; k < 4; k++)
            cr_expect_leq(d[k], 1e-4,
                          "shape %d (%zux%zux%zu -> %zu, k %zux%zu, stride %zu, pad %zu, "
                          "groups %zu, n %zu): %s differs by %g relative",
                          t, c.in_c, c.h, c.w, c.out_c, c.kh, c.kw, c.stride, c.pad, c.groups,
                          n, what[k], d[k]);
        conv_run_free(&a), conv_run_free(&b);
        free(x), free(dy);
        amlp_nn_layer_free(l);
    }
}

/* The gradient check of a grouped, strided convolution with the batch split
 * over 2 and 3 threads (each part's gradients summed in part order). */
Test(nn_conv_grad, conv2d_on_threads)
{
    amlp_nn_conv2d_cfg c = {.in_c = 4, .h = 5, .w = 6, .out_c = 6, .kh = 3, .kw = 3,
                            .stride = 2, .pad = 1, .groups = 2, .bias = true};
    for (int threads = 2; threads <= 3; threads++) {
        amlp_nn_set_threads(threads);
        amlp_nn_layer *l = conv_with_bias(&c, 3);
        expect_grads(l, 4, -1, 1, 3);
        amlp_nn_layer_free(l);
    }
    amlp_nn_set_threads(1);
}

/* conv BN ReLU, conv BN ReLU, max pool, dense 10 on 3 x 12 x 12 images. */
static amlp_nn_net *small_image_net(amlp_rng *rng)
{
    amlp_nn_net *net = NULL;
    cr_assert_eq(amlp_nn_net_new(3 * 12 * 12, &net), 0);
    for (size_t i = 0; i < 2; i++) {
        size_t in_c = i == 0 ? 3 : 8;
        amlp_nn_conv2d_cfg c = {.in_c = in_c, .h = 12, .w = 12, .out_c = 8, .kh = 3, .kw = 3,
                                .stride = 1, .pad = 1, .groups = 1, .bias = false};
        amlp_nn_layer *l = NULL;
        cr_assert_eq(amlp_nn_conv2d_new(&c, rng, &l), 0);
        cr_assert_eq(amlp_nn_net_add(net, l), 0);
        cr_assert_eq(amlp_nn_batchnorm2d_new(8, 12, 12, 0.1, 1e-5, &l), 0);
        cr_assert_eq(amlp_nn_net_add(net, l), 0);
        cr_assert_eq(amlp_nn_relu_new(8 * 12 * 12, &l), 0);
        cr_assert_eq(amlp_nn_net_add(net, l), 0);
    }
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_MAXPOOL, 8, 12, 12, 2, 2, 0, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_dense_new(8 * 6 * 6, 10, AMLP_NN_INIT_XAVIER, rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    return net;
}

/* After a training step (so batch norm has running statistics), inference of
 * the same 50 images gives the same bits twice, on 2 threads, also after a
 * forward of another batch size in between (the oneDNN primitives are then
 * recreated); on whichever path the environment leaves in use. */
Test(nn_conv_paths, inference_is_deterministic)
{
    amlp_nn_set_threads(2);
    amlp_rng rng;
    amlp_rng_seed(&rng, 5);
    amlp_nn_net *net = small_image_net(&rng);
    size_t n = 50, out = amlp_nn_net_out(net);
    float *x = malloc(n * net->in * sizeof(float)), *dy = calloc(n * out, sizeof(float));
    fill(&rng, x, n * net->in, 0, 1);
    fill(&rng, dy, n * out, -0.1, 0.1);
    const float *y = NULL;
    cr_assert_eq(amlp_nn_net_forward(net, x, n, true, &y), 0);
    cr_assert_eq(amlp_nn_net_backward(net, dy, n), 0);
    float *first = malloc(n * out * sizeof(float));
    cr_assert_eq(amlp_nn_net_forward(net, x, n, false, &y), 0);
    memcpy(first, y, n * out * sizeof(float));
    cr_assert_eq(amlp_nn_net_forward(net, x, n, false, &y), 0);
    cr_expect_eq(memcmp(first, y, n * out * sizeof(float)), 0, "second inference differs");
    cr_assert_eq(amlp_nn_net_forward(net, x, 7, false, &y), 0);
    cr_assert_eq(amlp_nn_net_forward(net, x, n, false, &y), 0);
    cr_expect_eq(memcmp(first, y, n * out * sizeof(float)), 0,
                 "inference after another batch size differs");
    bool finite = true;
    for (size_t i = 0; i < n * out; i++)
        finite = finite && isfinite(first[i]);
    cr_expect(finite);
    amlp_nn_set_threads(1);
    free(x), free(dy), free(first);
    amlp_nn_net_free(net);
}

/* Forward (training) and backward of l at the given thread count: y, dx
 * and the parameter gradients, concatenated. */
static float *layer_bits(amlp_nn_layer *l, const float *x, const float *dy, size_t n,
                         int threads, size_t *len)
{
    amlp_nn_set_threads(threads);
    size_t np = 0;
    for (size_t k = 0; k < l->n_param; k++) {
        memset(l->param[k].g, 0, l->param[k].n * sizeof(float));
        np += l->param[k].n;
    }
    *len = n * l->out + n * l->in + np;
    float *r = malloc(*len * sizeof(float)), *at = r + n * l->out + n * l->in;
    cr_assert_eq(l->ops->forward(l, x, r, n, true), 0);
    cr_assert_eq(l->ops->backward(l, x, r, dy, r + n * l->out, n), 0);
    for (size_t k = 0; k < l->n_param; k++, at += l->param[k - 1].n)
        memcpy(at, l->param[k].g, l->param[k].n * sizeof(float));
    amlp_nn_set_threads(1);
    return r;
}

/* Batch norm and pooling split channels / planes over threads: 1, 2 and 3
 * threads give the same bits (and the batch-norm gradients still check). */
Test(nn_conv_paths, image_layers_same_bits_on_any_thread_count)
{
    amlp_nn_layer *layers[3] = {NULL};
    cr_assert_eq(amlp_nn_batchnorm2d_new(5, 6, 7, 0.1, 1e-5, &layers[0]), 0);
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_MAXPOOL, 5, 6, 7, 2, 2, 0, &layers[1]), 0);
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_AVGPOOL, 5, 6, 7, 3, 2, 1, &layers[2]), 0);
    amlp_rng rng;
    amlp_rng_seed(&rng, 9);
    size_t n = 3;
    for (size_t t = 0; t < 3; t++) {
        amlp_nn_layer *l = layers[t];
        float *x = malloc(n * l->in * sizeof(float)), *dy = malloc(n * l->out * sizeof(float));
        fill_distinct(&rng, x, n * l->in);
        fill(&rng, dy, n * l->out, -1, 1);
        size_t len1 = 0, len2 = 0, len3 = 0;
        float *a = layer_bits(l, x, dy, n, 1, &len1), *b = layer_bits(l, x, dy, n, 2, &len2);
        float *c = layer_bits(l, x, dy, n, 3, &len3);
        cr_expect_eq(memcmp(a, b, len1 * sizeof(float)), 0, "%s: 2 threads differ", l->ops->name);
        cr_expect_eq(memcmp(a, c, len1 * sizeof(float)), 0, "%s: 3 threads differ", l->ops->name);
        free(a), free(b), free(c), free(x), free(dy);
    }
    amlp_nn_set_threads(2);
    expect_grads(layers[0], 3, -2, 2, 11);
    amlp_nn_set_threads(1);
    for (size_t t = 0; t < 3; t++)
        amlp_nn_layer_free(layers[t]);
}
