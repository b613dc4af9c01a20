/* infer_value.c — parsing and formatting of single values: missing tokens,
 * integers, numbers (fast exact path, strtod fallback), booleans, ISO dates;
 * locale-independent. */

#include "aml_data.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void amlp_trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    *s = p;
    *len = n;
}

/* amlp_trim, with the common case (nothing to trim) inline. */
static inline void trim(const char **s, size_t *len)
{
    size_t n = *len;
    const char *p = *s;
    if (n && (p[0] == ' ' || p[0] == '\t' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        amlp_trim(s, len);
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static bool ieq(const char *s, size_t len, const char *lit)
{
    size_t i = 0;
    for (; i < len; i++)
        if (!lit[i] || lower((unsigned char)s[i]) != lit[i])
            return false;
    return lit[i] == '\0';
}

bool amlp_is_missing_token(const char *s, size_t len)
{
    trim(&s, &len);
    switch (len) {
    case 0: return true;
    case 1: return s[0] == '?';
    case 2: return ieq(s, len, "na");
    case 3: return ieq(s, len, "n/a") || ieq(s, len, "nan");
    case 4: return ieq(s, len, "null") || ieq(s, len, "none");
    default: return false;
    }
}

bool amlp_parse_int(const char *s, size_t len, int64_t *out)
{
    trim(&s, &len);
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == len || len - i > 19)
        return false;
    uint64_t v = 0;
    for (; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        v = v * 10 + d;
    }
    if (v > (uint64_t)INT64_MAX + neg)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static const double pow10_tab[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* [+-]digits[.digits] with at most 15 digits in all: exact as
 * mantissa / 10^fraction digits (the general path gives the same double).
 * False when the text is anything else. */
static inline bool parse_short_decimal(const char *s, size_t len, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (len - i > 16)
        return false;
    uint64_t mant = 0;
    size_t start = i;
    unsigned d;
    while (i < len && (d = (unsigned)((unsigned char)s[i] - '0')) <= 9) {
        mant = mant * 10 + d;
        i++;
    }
    size_t ndig = i - start, frac = 0;
    if (i < len && s[i] == '.') {
        size_t f0 = ++i;
        while (i < len && (d = (unsigned)((unsigned char)s[i] - '0')) <= 9) {
            mant = mant * 10 + d;
            i++;
        }
        frac = i - f0;
        ndig += frac;
    }
    if (i != len || ndig == 0 || ndig > 15)
        return false;
    double v = (double)mant;
    if (frac)
        v /= pow10_tab[frac];
    *out = neg ? -v : v;
    return true;
}

bool amlp_parse_double(const char *s, size_t len, double *out)
{
    trim(&s, &len);
    if (parse_short_decimal(s, len, out))
        return true;
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    uint64_t mant = 0;
    int ndig = 0, exp10 = 0;
    bool any = false, lost = false;
    for (; i < len && (unsigned)(s[i] - '0') <= 9; i++) {
        any = true;
        if (ndig < 19) {
            mant = mant * 10 + (unsigned)(s[i] - '0');
            if (mant)
                ndig++;
        } else {
            exp10++;
            lost |= s[i] != '0';
        }
    }
    if (i < len && s[i] == '.') {
        i++;
        for (; i < len && (unsigned)(s[i] - '0') <= 9; i++) {
            any = true;
            if (ndig < 19) {
                mant = mant * 10 + (unsigned)(s[i] - '0');
                if (mant)
                    ndig++;
                exp10--;
            } else {
                lost |= s[i] != '0';
            }
        }
    }
    if (!any)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        if (i == len)
            return false;
        int e = 0;
        for (; i < len && (unsigned)(s[i] - '0') <= 9; i++)
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        exp10 += eneg ? -e : e;
    }
    if (i != len)
        return false;
    if (!lost && ndig <= 15 && exp10 >= -22 && exp10 <= 22) {
        double v = (double)mant;
        v = exp10 < 0 ? v / pow10_tab[-exp10] : v * pow10_tab[exp10];
        *out = neg ? -v : v;
        return true;
    }
    /* Slow path: exact rounding by the C library on a NUL-terminated copy. */
    char tmp[128];
    char *buf = tmp;
    if (len >= sizeof tmp) {
        buf = amlp_malloc(len + 1);
        if (!buf)
            return false;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    double v = strtod(buf, NULL);
    if (buf != tmp)
        amlp_free(buf);
    if (!isfinite(v))
        return false;
    *out = v;
    return true;
}

bool amlp_parse_bool_strict(const char *s, size_t len, uint8_t *out)
{
    trim(&s, &len);
    if (ieq(s, len, "true")) {
        *out = 1;
        return true;
    }
    if (ieq(s, len, "false")) {
        *out = 0;
        return true;
    }
    return false;
}

bool amlp_parse_bool(const char *s, size_t len, uint8_t *out)
{
    if (amlp_parse_bool_strict(s, len, out))
        return true;
    trim(&s, &len);
    static const char *const yes[] = {"yes", "y", "t", "1"};
    static const char *const no[] = {"no", "n", "f", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (ieq(s, len, yes[i])) {
            *out = 1;
            return true;
        }
        if (ieq(s, len, no[i])) {
            *out = 0;
            return true;
        }
    }
    return false;
}

static bool digits(const char *s, size_t n, int *v)
{
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        r = r * 10 + (int)d;
    }
    *v = r;
    return true;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

bool amlp_parse_datetime(const char *s, size_t len, int64_t *secs, bool *has_time)
{
    trim(&s, &len);
    int y, mo, d, hh = 0, mi = 0, ss = 0;
    if (len < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
        !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d))
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return false;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return false;
    size_t i = 10;
    bool t = false;
    int64_t offset = 0;
    if (i < len) {
        if ((s[i] != 'T' && s[i] != ' ') || len < i + 6)
            return false;
        i++;
        if (s[i + 2] != ':' || !digits(s + i, 2, &hh) || !digits(s + i + 3, 2, &mi))
            return false;
        i += 5;
        if (i < len && s[i] == ':') {
            if (len < i + 3 || !digits(s + i + 1, 2, &ss))
                return false;
            i += 3;
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                i++;
                size_t f = i;
                while (i < len && (unsigned)(s[i] - '0') <= 9)
                    i++;
                if (i == f)
                    return false;
            }
        }
        if (hh > 23 || mi > 59 || ss > 60)
            return false;
        t = true;
        if (i < len && s[i] == 'Z') {
            i++;
        } else if (i < len && (s[i] == '+' || s[i] == '-')) {
            int oh, om;
            int sign = s[i] == '-' ? -1 : 1;
            i++;
            if (len - i == 5 && s[i + 2] == ':' && digits(s + i, 2, &oh) && digits(s + i + 3, 2, &om))
                i += 5;
            else if (len - i == 4 && digits(s + i, 2, &oh) && digits(s + i + 2, 2, &om))
                i += 4;
            else if (len - i == 2 && digits(s + i, 2, &oh) && (om = 0) == 0)
                i += 2;
            else
                return false;
            offset = sign * (oh * 3600 + om * 60);
        }
        if (i != len)
            return false;
    }
    *secs = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - offset;
    *has_time = t;
    return true;
}

size_t amlp_format_number(double v, char *buf, size_t cap)
{
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v)
        n = snprintf(tmp, sizeof tmp, "%.17g", v);
    if (cap) {
        size_t k = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
        memcpy(buf, tmp, k);
        buf[k] = '\0';
    }
    return (size_t)n;
}

size_t amlp_format_datetime(int64_t secs, bool with_time, char *buf, size_t cap)
{
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int n;
    if (with_time)
        n = snprintf(buf, cap, "%04lld-%02d-%02d %02d:%02d:%02d", (long long)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    else
        n = snprintf(buf, cap, "%04lld-%02d-%02d", (long long)y, m, d);
    return n < 0 ? 0 : (size_t)n;
}
