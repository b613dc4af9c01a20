/* plot_ticks.c — axis tick positions ("nice" 1-2-5 steps on linear axes,
 * decades with 2 and 5 sub-ticks on log axes) and their labels. */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Number of multiples of step within [lo, hi], with a tolerance for rounding. */
static double count_multiples(double lo, double hi, double step)
{
    double eps = 1e-9;
    return floor(hi / step + eps) - ceil(lo / step - eps) + 1.0;
}

size_t amlp_ticks_linear(double lo, double hi, int max_ticks, double *ticks,
                         size_t cap, double *step_out)
{
    if (hi <= lo) {
        double d = lo != 0.0 ? fabs(lo) * 0.1 : 1.0;
        lo -= d;
        hi += d;
    }
    double range = hi - lo;
    static const double mult[3] = { 1.0, 2.0, 5.0 };
    int k = (int)floor(log10(range / max_ticks)) - 1;
    double step = 0.0;
    for (int guard = 0; guard < 40 && step == 0.0; k++, guard++) {
        double p10 = pow(10.0, k);
        for (int m = 0; m < 3; m++) {
            double s = mult[m] * p10;
            if (count_multiples(lo, hi, s) <= max_ticks) {
                step = s;
                break;
            }
        }
    }
    if (step == 0.0)
        step = range;
    double first = ceil(lo / step - 1e-9);
    double last = floor(hi / step + 1e-9);
    size_t n = 0;
    for (double i = first; i <= last && n < cap; i += 1.0) {
        double v = i * step;
        if (fabs(v) < step * 1e-9)
            v = 0.0;
        ticks[n++] = v;
    }
    if (step_out)
        *step_out = step;
    return n;
}

size_t amlp_ticks_log(double lo, double hi, int max_ticks, double *ticks, size_t cap)
{
    double llo = log10(lo), lhi = log10(hi);
    int d0 = (int)ceil(llo - 1e-9), d1 = (int)floor(lhi + 1e-9);
    int decades = d1 - d0 + 1;
    size_t n = 0;
    if (decades >= 3) {
        int every = 1;
        while (decades / every > max_ticks)
            every++;
        for (int d = d0; d <= d1 && n < cap; d++)
            if ((d - d0) % every == 0)
                ticks[n++] = pow(10.0, d);
        return n;
    }
    /* few decades: 1, 2, 5 multiples of each decade within range */
    static const double mult[3] = { 1.0, 2.0, 5.0 };
    for (int d = d0 - 1; d <= d1 && n < cap; d++)
        for (int m = 0; m < 3 && n < cap; m++) {
            double v = mult[m] * pow(10.0, d);
            if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
                ticks[n++] = v;
        }
    if (n >= 2 && (int)n <= max_ticks)
        return n;
    if (n > 2) {
        /* too many: keep the decades only, or every other tick */
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double l = log10(ticks[i]);
            if (fabs(l - round(l)) < 1e-9)
                ticks[m++] = ticks[i];
        }
        if (m >= 2)
            return m;
    }
    /* less than a decade: linear nice ticks inside it */
    return amlp_ticks_linear(lo, hi, max_ticks, ticks, cap, NULL);
}

int aml_plot_nice_ticks(double lo, double hi, int max_ticks, double *ticks,
                        size_t cap, size_t *n_ticks, double *step)
{
    if (!ticks || !n_ticks || !isfinite(lo) || !isfinite(hi) || lo > hi || max_ticks < 2)
        return AML_EINVAL;
    double tmp[AMLP_PLOT_MAX_TICKS * 2];
    int mt = max_ticks > AMLP_PLOT_MAX_TICKS ? AMLP_PLOT_MAX_TICKS : max_ticks;
    double s;
    size_t n = amlp_ticks_linear(lo, hi, mt, tmp, sizeof tmp / sizeof tmp[0], &s);
    if (n > cap)
        return AML_ERANGE;
    memcpy(ticks, tmp, n * sizeof *ticks);
    *n_ticks = n;
    if (step)
        *step = s;
    return 0;
}

/* "1e+06" -> "1e6", "2.5e-05" -> "2.5e-5" */
static void tidy_exponent(char *s)
{
    char *e = strchr(s, 'e');
    if (!e)
        return;
    char *r = e + 1, *w = e + 1;
    if (*r == '+')
        r++;
    else if (*r == '-')
        *w++ = *r++;
    while (*r == '0' && r[1])
        r++;
    memmove(w, r, strlen(r) + 1);
}

static void fmt_g(double v, int prec, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*g", prec, v);
    tidy_exponent(buf);
    if (strcmp(buf, "-0") == 0)
        strcpy(buf, "0");
}

void amlp_format_ticks(const double *ticks, size_t n, bool log, bool percent,
                       char (*labels)[AMLP_PLOT_LABEL_LEN])
{
    if (n == 0)
        return;
    double maxabs = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(ticks[i]) > maxabs)
            maxabs = fabs(ticks[i]);
    double scale = percent ? 100.0 : 1.0;
    const char *suffix = percent ? "%" : "";
    bool fixed = maxabs * scale < 1e6 && (maxabs * scale >= 1e-4 || maxabs == 0.0);
    if (fixed) {
        /* decimals: the fewest that keep every tick exact to 1e-9 relative */
        int dec = 0;
        for (; dec < 8; dec++) {
            bool ok = true;
            double p = pow(10.0, dec);
            for (size_t i = 0; i < n && ok; i++) {
                double v = ticks[i] * scale;
                if (fabs(round(v * p) / p - v) > 1e-9 * (fabs(v) > 1 ? fabs(v) : 1))
                    ok = false;
            }
            if (ok)
                break;
        }
        if (log) {
            /* log ticks: each label with its own decimals ("0.01", "0.1", "1") */
            for (size_t i = 0; i < n; i++) {
                fmt_g(ticks[i] * scale, 6, labels[i], AMLP_PLOT_LABEL_LEN);
                strncat(labels[i], suffix, AMLP_PLOT_LABEL_LEN - strlen(labels[i]) - 1);
            }
            return;
        }
        for (size_t i = 0; i < n; i++) {
            double v = ticks[i] * scale;
            snprintf(labels[i], AMLP_PLOT_LABEL_LEN, "%.*f%s", dec, v, suffix);
            if (strncmp(labels[i], "-0", 2) == 0 && atof(labels[i]) == 0.0)
                memmove(labels[i], labels[i] + 1, strlen(labels[i]));
            /* U+2212 minus sign reads better than a hyphen */
            if (labels[i][0] == '-' && strlen(labels[i]) + 3 < AMLP_PLOT_LABEL_LEN) {
                memmove(labels[i] + 3, labels[i] + 1, strlen(labels[i]));
                memcpy(labels[i], "\xE2\x88\x92", 3);
            }
        }
        return;
    }
    /* scientific: the fewest significant digits that give every tick exactly */
    for (int prec = 1; prec <= 15; prec++) {
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
            double v = ticks[i] * scale;
            fmt_g(v, prec, labels[i], AMLP_PLOT_LABEL_LEN);
            if (fabs(strtod(labels[i], NULL) - v) > 1e-9 * fabs(v))
                ok = false;
        }
        if (ok)
            break;
    }
    for (size_t i = 0; i < n; i++)
        strncat(labels[i], suffix, AMLP_PLOT_LABEL_LEN - strlen(labels[i]) - 1);
}

void amlp_format_value(double v, char *buf, size_t cap)
{
    double a = fabs(v);
    if (a == 0.0)
        snprintf(buf, cap, "0");
    else if (a >= 1e6 || a < 1e-3)
        fmt_g(v, 3, buf, cap);
    else if (a >= 1000 || v == round(v))
        snprintf(buf, cap, "%.0f", v);
    else if (a >= 100)
        snprintf(buf, cap, "%.1f", v);
    else if (a >= 1)
        snprintf(buf, cap, "%.2f", v);
    else
        fmt_g(v, 3, buf, cap);
}

int amlp_value_decimals(const double *v, size_t n)
{
    double maxabs = 0.0;
    bool ints = true;
    for (size_t i = 0; i < n; i++) {
        if (fabs(v[i]) > maxabs)
            maxabs = fabs(v[i]);
        if (v[i] != round(v[i]))
            ints = false;
    }
    if (ints || maxabs == 0.0)
        return 0;
    int cap = 2 - (int)floor(log10(maxabs));
    cap = cap < 0 ? 0 : (cap > 4 ? 4 : cap);
    /* fewer when they show every value exactly (0.45 and 0.3 -> "0.45", "0.30") */
    for (int d = 0; d < cap; d++) {
        double m = pow(10.0, d);
        bool exact = true;
        for (size_t i = 0; i < n && exact; i++)
            exact = fabs(round(v[i] * m) / m - v[i]) <= 1e-9 * fmax(1.0, fabs(v[i]));
        if (exact)
            return d;
    }
    return cap;
}

void amlp_format_fixed(double v, int dec, char *buf, size_t cap)
{
    char tmp[32];
    if (fabs(v) >= 1e7)
        amlp_format_value(v, tmp, sizeof tmp);
    else
        snprintf(tmp, sizeof tmp, "%.*f", dec, v);
    /* "-0.00" prints as "0.00"; a real minus sign (U+2212) otherwise */
    if (tmp[0] == '-' && strspn(tmp + 1, "0.") != strlen(tmp + 1))
        snprintf(buf, cap, "\xE2\x88\x92%.30s", tmp + 1);
    else
        snprintf(buf, cap, "%.30s", tmp[0] == '-' ? tmp + 1 : tmp);
}
