/*
 * strategy_rl_lstm.c — the recurrent controller of the rl strategy (Zoph and
 * Le 2017): a one-layer LSTM (Hochreiter and Schmidhuber 1997) that emits a
 * configuration as a sequence of decisions.  Step t reads the embedding of
 * decision t-1's action (a start token at t = 0) and scores decision t's
 * actions with that decision's own softmax head.  Its forward pass keeps
 * every step for backpropagation through time; the backward pass adds the
 * gradient of adv * sum log p(action) + beta * sum entropy to the weights'
 * gradient, and Adam (Kingma and Ba 2015) climbs it.  Doubles throughout.
 *
 * The weights, one flat vector: Wx (4H x H, input to gates i f g o), Wh
 * (4H x H), b (4H; the forget gate's starts at 1), the embeddings (one row
 * of H per token: 0 the start, 1 + output unit u the action at unit u) and
 * the heads Wo (n_outputs x H) and bo (n_outputs).
 */
#include "aml_base.h"
#include "search/search_internal.h"

#include <math.h>
#include <string.h>

struct amlp_lstm {
    size_t H, n_out, max_actions, max_steps;
    size_t n_w;
    double *w, *grad, *adam_m, *adam_v;
    size_t adam_t;
    double *wx, *wh, *b, *emb, *wo, *bo;   /* into w */
    /* per step t (max_steps of each): the input, the previous state, the
     * gates after their nonlinearity, the new state, the head's probs */
    double *x, *h_prev, *c_prev, *gate, *c, *h, *prob;
};

static double sigmoid(double a)
{
    return 1.0 / (1.0 + exp(-a));
}

static void layout(amlp_lstm *m)
{
    size_t H = m->H, G = 4 * H;
    m->wx = m->w;
    m->wh = m->wx + G * H;
    m->b = m->wh + G * H;
    m->emb = m->b + G;
    m->wo = m->emb + (1 + m->n_out) * H;
    m->bo = m->wo + m->n_out * H;
}

static void init_weights(amlp_lstm *m, uint64_t seed)
{
    uint64_t rng = seed ^ 0x4C53544D00000000ull;
    for (size_t i = 0; i < m->n_w; i++)
        m->w[i] = 0.16 * amlp_rng_unit(&rng) - 0.08;   /* Zoph and Le: U(-0.08, 0.08) */
    for (size_t i = 0; i < 4 * m->H; i++)
        m->b[i] = i >= m->H && i < 2 * m->H ? 1.0 : 0.0;
    memset(m->bo, 0, m->n_out * sizeof *m->bo);
}

int amlp_lstm_new(size_t n_outputs, size_t max_actions, size_t max_steps, size_t hidden,
                  uint64_t seed, amlp_lstm **out)
{
    *out = NULL;
    if (!hidden || hidden > AMLP_LSTM_MAX_HIDDEN || !n_outputs || !max_actions || !max_steps)
        return AML_EINVAL;
    amlp_lstm *m = amlp_calloc(1, sizeof *m);
    if (!m)
        return AML_ENOMEM;
    size_t H = hidden, G = 4 * H, T = max_steps;
    m->H = H;
    m->n_out = n_outputs;
    m->max_actions = max_actions;
    m->max_steps = T;
    m->n_w = 2 * G * H + G + (1 + n_outputs) * H + n_outputs * H + n_outputs;
    m->w = amlp_calloc(4 * m->n_w, sizeof *m->w);
    m->x = amlp_calloc(T * (6 * H + G + max_actions), sizeof *m->x);
    if (!m->w || !m->x) {
        amlp_lstm_free(m);
        return AML_ENOMEM;
    }
    m->grad = m->w + m->n_w;
    m->adam_m = m->grad + m->n_w;
    m->adam_v = m->adam_m + m->n_w;
    m->h_prev = m->x + T * H;
    m->c_prev = m->h_prev + T * H;
    m->c = m->c_prev + T * H;
    m->h = m->c + T * H;
    m->gate = m->h + T * H;
    m->prob = m->gate + T * G;
    layout(m);
    init_weights(m, seed);
    *out = m;
    return 0;
}

void amlp_lstm_free(amlp_lstm *m)
{
    if (!m)
        return;
    amlp_free(m->w);
    amlp_free(m->x);
    amlp_free(m);
}

double *amlp_lstm_weights(amlp_lstm *m, size_t *n)
{
    *n = m->n_w;
    return m->w;
}

const double *amlp_lstm_gradient(const amlp_lstm *m)
{
    return m->grad;
}

static size_t input_token(const amlp_decision *d, size_t t)
{
    return t == 0 ? 0 : 1 + d[t - 1].head + d[t - 1].action;
}

/* The cell at step t from step t-1's state (zeros at t = 0). */
static void cell_forward(amlp_lstm *m, const amlp_decision *d, size_t t)
{
    size_t H = m->H, G = 4 * H;
    double *x = m->x + t * H, *hp = m->h_prev + t * H, *cp = m->c_prev + t * H;
    double *g = m->gate + t * G, *c = m->c + t * H, *h = m->h + t * H;
    memcpy(x, m->emb + input_token(d, t) * H, H * sizeof *x);
    if (t == 0) {
        memset(hp, 0, H * sizeof *hp);
        memset(cp, 0, H * sizeof *cp);
    } else {
        memcpy(hp, m->h + (t - 1) * H, H * sizeof *hp);
        memcpy(cp, m->c + (t - 1) * H, H * sizeof *cp);
    }
    for (size_t r = 0; r < G; r++) {
        const double *wx = m->wx + r * H, *wh = m->wh + r * H;
        double a = m->b[r];
        for (size_t i = 0; i < H; i++)
            a += wx[i] * x[i] + wh[i] * hp[i];
        g[r] = r >= 2 * H && r < 3 * H ? tanh(a) : sigmoid(a);
    }
    for (size_t i = 0; i < H; i++) {
        c[i] = g[H + i] * cp[i] + g[i] * g[2 * H + i];
        h[i] = g[3 * H + i] * tanh(c[i]);
    }
}

/* Step t's head: its actions' probabilities from h. */
static void head_forward(amlp_lstm *m, const amlp_decision *d, size_t t)
{
    size_t H = m->H, n = d[t].n;
    const double *h = m->h + t * H;
    double *p = m->prob + t * m->max_actions, top = -INFINITY, sum = 0;
    for (size_t a = 0; a < n; a++) {
        const double *wo = m->wo + (d[t].head + a) * H;
        double z = m->bo[d[t].head + a];
        for (size_t i = 0; i < H; i++)
            z += wo[i] * h[i];
        p[a] = z;
        top = z > top ? z : top;
    }
    for (size_t a = 0; a < n; a++)
        sum += p[a] = exp(p[a] - top);
    for (size_t a = 0; a < n; a++)
        p[a] /= sum;
}

const double *amlp_lstm_step(amlp_lstm *m, const amlp_decision *d, size_t t)
{
    if (t >= m->max_steps || d[t].n == 0 || d[t].n > m->max_actions ||
        d[t].head + d[t].n > m->n_out)
        return NULL;
    cell_forward(m, d, t);
    head_forward(m, d, t);
    return m->prob + t * m->max_actions;
}

static double entropy(const double *p, size_t n)
{
    double e = 0;
    for (size_t a = 0; a < n; a++)
        e -= p[a] > 0 ? p[a] * log(p[a]) : 0;
    return e;
}

int amlp_lstm_forward(amlp_lstm *m, const amlp_decision *d, size_t T, double *logp,
                      double *ent)
{
    double lp = 0, e = 0;
    for (size_t t = 0; t < T; t++) {
        const double *p = amlp_lstm_step(m, d, t);
        if (!p || d[t].action >= d[t].n)
            return AML_EINVAL;
        lp += log(p[d[t].action] > 1e-300 ? p[d[t].action] : 1e-300);
        e += entropy(p, d[t].n);
    }
    *logp = lp;
    *ent = e;
    return 0;
}

/* d objective / d logits of step t's head into dz, then into the head's
 * weights; returns nothing, adds Wo^T dz to dh. */
static void head_backward(amlp_lstm *m, const amlp_decision *d, size_t t, double adv,
                          double beta, double *dh)
{
    size_t H = m->H, n = d[t].n;
    const double *p = m->prob + t * m->max_actions, *h = m->h + t * H;
    double e = entropy(p, n);
    for (size_t a = 0; a < n; a++) {
        double glog = (a == d[t].action) - p[a];
        double gent = p[a] > 0 ? -p[a] * (log(p[a]) + e) : 0;
        double dz = adv * glog + beta * gent;
        size_t u = d[t].head + a;
        const double *wo = m->wo + u * H;
        double *gwo = m->grad + (size_t)(m->wo - m->w) + u * H;
        m->grad[(size_t)(m->bo - m->w) + u] += dz;
        for (size_t i = 0; i < H; i++) {
            gwo[i] += dz * h[i];
            dh[i] += dz * wo[i];
        }
    }
}

/* Through the cell of step t: dh, dc (of its output state) to the
 * weights, its input's embedding, and dh, dc of the previous state. */
static void cell_backward(amlp_lstm *m, const amlp_decision *d, size_t t, double *dh,
                          double *dc)
{
    size_t H = m->H, G = 4 * H;
    const double *x = m->x + t * H, *hp = m->h_prev + t * H, *cp = m->c_prev + t * H;
    const double *g = m->gate + t * G, *c = m->c + t * H;
    double da[4 * AMLP_LSTM_MAX_HIDDEN];
    for (size_t i = 0; i < H; i++) {
        double tc = tanh(c[i]), gi = g[i], gf = g[H + i], gg = g[2 * H + i], go = g[3 * H + i];
        double dci = dc[i] + dh[i] * go * (1 - tc * tc);
        da[i] = dci * gg * gi * (1 - gi);
        da[H + i] = dci * cp[i] * gf * (1 - gf);
        da[2 * H + i] = dci * gi * (1 - gg * gg);
        da[3 * H + i] = dh[i] * tc * go * (1 - go);
        dc[i] = dci * gf;
    }
    double *gwx = m->grad, *gwh = m->grad + G * H, *gb = gwh + G * H;
    double *gemb = m->grad + (size_t)(m->emb - m->w) + input_token(d, t) * H;
    memset(dh, 0, H * sizeof *dh);
    for (size_t r = 0; r < G; r++) {
        const double *wx = m->wx + r * H, *wh = m->wh + r * H;
        gb[r] += da[r];
        for (size_t i = 0; i < H; i++) {
            gwx[r * H + i] += da[r] * x[i];
            gwh[r * H + i] += da[r] * hp[i];
            gemb[i] += da[r] * wx[i];
            dh[i] += da[r] * wh[i];
        }
    }
}

void amlp_lstm_backward(amlp_lstm *m, const amlp_decision *d, size_t T, double adv,
                        double beta)
{
    double dh[AMLP_LSTM_MAX_HIDDEN] = {0}, dc[AMLP_LSTM_MAX_HIDDEN] = {0};
    for (size_t t = T; t-- > 0;) {
        head_backward(m, d, t, adv, beta, dh);
        cell_backward(m, d, t, dh, dc);
    }
}

void amlp_lstm_adam(amlp_lstm *m, double lr)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    m->adam_t++;
    double c1 = 1 - pow(b1, (double)m->adam_t), c2 = 1 - pow(b2, (double)m->adam_t);
    for (size_t i = 0; i < m->n_w; i++) {
        double g = m->grad[i];
        m->adam_m[i] = b1 * m->adam_m[i] + (1 - b1) * g;
        m->adam_v[i] = b2 * m->adam_v[i] + (1 - b2) * g * g;
        m->w[i] += lr * (m->adam_m[i] / c1) / (sqrt(m->adam_v[i] / c2) + eps);
        m->grad[i] = 0;
    }
}
