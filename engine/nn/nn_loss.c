/* nn_loss.c — the training losses and their gradients with respect to the
 * network's outputs (softmax cross-entropy, optionally against label-smoothed
 * targets, sigmoid binary cross-entropy, squared error), weighted per row and per class, in double; and the link
 * from outputs to predictions. */
#include "aml_nn.h"

#include <math.h>
#include <string.h>

static double row_weight(amlp_nn_loss kind, size_t i, const float *y, const float *w,
                         const float *class_w)
{
    double rw = w ? w[i] : 1.0;
    if (class_w && kind != AMLP_NN_LOSS_MSE)
        rw *= class_w[(size_t)y[i]];
    return rw;
}

static double sigmoid(double z)
{
    return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

double amlp_nn_loss_eval(amlp_nn_loss kind, const float *out, size_t n, size_t k,
                         const float *y, const float *w, const float *class_w, float *dout)
{
    return amlp_nn_loss_eval_smoothed(kind, 0.0, out, n, k, y, w, class_w, dout);
}

/* Softmax cross-entropy of one row against the smoothed target
 * q = (1 - eps) onehot(c) + eps / k: lse - sum q_j o_j; d gets
 * scale (softmax - q). */
static double xent_row(const float *o, size_t k, size_t c, double eps, double scale, float *d)
{
    double mx = o[0];
    for (size_t j = 1; j < k; j++)
        mx = o[j] > mx ? o[j] : mx;
    double s = 0, qo = 0;
    for (size_t j = 0; j < k; j++)
        s += exp(o[j] - mx);
    double lse = mx + log(s);
    for (size_t j = 0; j < k; j++) {
        double q = (j == c ? 1.0 - eps : 0.0) + eps / (double)k;
        qo += q * o[j];
        if (d)
            d[j] = (float)(scale * (exp(o[j] - lse) - q));
    }
    return lse - qo;
}

double amlp_nn_loss_eval_smoothed(amlp_nn_loss kind, double smoothing, const float *out,
                                  size_t n, size_t k, const float *y, const float *w,
                                  const float *class_w, float *dout)
{
    double total_w = 0;
    for (size_t i = 0; i < n; i++)
        total_w += row_weight(kind, i, y, w, class_w);
    if (dout)
        memset(dout, 0, n * k * sizeof(float));
    if (!(total_w > 0))
        return 0.0;
    double loss = 0;
    for (size_t i = 0; i < n; i++) {
        double rw = row_weight(kind, i, y, w, class_w), scale = rw / total_w;
        const float *o = out + i * k;
        float *d = dout ? dout + i * k : NULL;
        switch (kind) {
        case AMLP_NN_LOSS_SOFTMAX_XENT:
            loss += rw * xent_row(o, k, (size_t)y[i], smoothing, scale, d);
            break;
        case AMLP_NN_LOSS_SIGMOID_BCE: {
            double z = o[0], t = y[i];
            loss += rw * (fmax(z, 0) - z * t + log1p(exp(-fabs(z))));
            if (d)
                d[0] = (float)(scale * (sigmoid(z) - t));
            break;
        }
        case AMLP_NN_LOSS_MSE:
            for (size_t j = 0; j < k; j++) {
                double e = (double)o[j] - y[i * k + j];
                loss += rw * e * e;
                if (d)
                    d[j] = (float)(scale * 2.0 * e);
            }
            break;
        }
    }
    return loss / total_w;
}

void amlp_nn_loss_link(amlp_nn_loss kind, float *out, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++) {
        float *o = out + i * k;
        if (kind == AMLP_NN_LOSS_SOFTMAX_XENT) {
            double mx = o[0], s = 0;
            for (size_t j = 1; j < k; j++)
                mx = o[j] > mx ? o[j] : mx;
            for (size_t j = 0; j < k; j++)
                s += exp(o[j] - mx);
            for (size_t j = 0; j < k; j++)
                o[j] = (float)(exp(o[j] - mx) / s);
        } else if (kind == AMLP_NN_LOSS_SIGMOID_BCE) {
            o[0] = (float)sigmoid(o[0]);
        }
    }
}
