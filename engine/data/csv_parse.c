/* csv_parse.c — the CSV record tokenizer (RFC 4180 plus lenient extras),
 * unescaping, line numbers and delimiter sniffing. */
#include "data/data_internal.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static int grow_fields(amlp_rec *r)
{
    size_t nc = r->cap ? r->cap * 2 : 32;
    amlp_field *nf = amlp_realloc(r->f, nc * sizeof *nf);
    if (!nf)
        return AML_ENOMEM;
    r->f = nf;
    r->cap = nc;
    return 0;
}

static inline int add_field(amlp_rec *r, size_t start, size_t len, bool quoted, bool raw)
{
    if (r->n == r->cap && grow_fields(r))
        return AML_ENOMEM;
    amlp_field *f = &r->f[r->n++];
    f->start = start;
    f->len = len;
    f->quoted = quoted;
    f->raw = raw;
    return 0;
}

/* Position of the first of delim, '\n', '\r' at or after p (or len):
 * 16 bytes at a time where SSE2 is available, then byte by byte. */
static inline size_t scan_plain(const char *buf, size_t len, size_t p, char delim)
{
#ifdef __SSE2__
    const __m128i vd = _mm_set1_epi8(delim), vn = _mm_set1_epi8('\n'), vr = _mm_set1_epi8('\r');
    while (p + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vd), _mm_cmpeq_epi8(v, vn)),
                                   _mm_cmpeq_epi8(v, vr));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return p + (size_t)__builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < len) {
        char ch = buf[p];
        if (ch == delim || ch == '\n' || ch == '\r')
            break;
        p++;
    }
    return p;
}

/* The first '"' at or after q, or NULL. */
static inline const char *find_quote(const char *buf, size_t len, size_t q)
{
#ifdef __SSE2__
    const __m128i vq = _mm_set1_epi8('"');
    while (q + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + q));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq));
        if (m)
            return buf + q + __builtin_ctz(m);
        q += 16;
    }
#endif
    return q < len ? memchr(buf + q, '"', len - q) : NULL;
}

int amlp_csv_record(const char *buf, size_t len, size_t pos, char delim, amlp_rec *r,
                    size_t *next)
{
    r->n = 0;
    if (pos < len && (buf[pos] == '\n' || buf[pos] == '\r')) {
        pos += (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n') ? 2 : 1;
        *next = pos;
        return AMLP_REC_BLANK;
    }
    size_t p = pos;
    for (;;) {
        if (p < len && buf[p] == '"') {
            size_t open = p;
            size_t q = p + 1;
            bool esc = false;
            for (;;) {
                const char *hit = find_quote(buf, len, q);
                if (!hit) {
                    if (add_field(r, open, len - open, true, true))
                        return AML_ENOMEM;
                    *next = len;
                    return AMLP_REC_UNTERMINATED;
                }
                q = (size_t)(hit - buf);
                if (q + 1 < len && buf[q + 1] == '"') {
                    esc = true;
                    q += 2;
                    continue;
                }
                break;
            }
            /* q is the closing quote. */
            size_t after = q + 1;
            if (after >= len || buf[after] == delim || buf[after] == '\n' || buf[after] == '\r') {
                if (esc ? add_field(r, open, after - open, true, true)
                        : add_field(r, open + 1, q - open - 1, true, false))
                    return AML_ENOMEM;
                p = after;
            } else {
                /* Text after the closing quote: kept literally. */
                size_t e = scan_plain(buf, len, after, delim);
                if (add_field(r, open, e - open, true, true))
                    return AML_ENOMEM;
                p = e;
            }
        } else {
            size_t e = scan_plain(buf, len, p, delim);
            if (add_field(r, p, e - p, false, false))
                return AML_ENOMEM;
            p = e;
        }
        if (p >= len) {
            *next = len;
            return AMLP_REC_OK;
        }
        if (buf[p] == delim) {
            p++;
            continue;
        }
        /* End of line. */
        p += (buf[p] == '\r' && p + 1 < len && buf[p + 1] == '\n') ? 2 : 1;
        *next = p;
        return AMLP_REC_OK;
    }
}

int amlp_csv_unescape(const char *buf, const amlp_field *f, char **scratch, size_t *scap,
                      const char **out, size_t *olen)
{
    if (!f->raw) {
        *out = buf + f->start;
        *olen = f->len;
        return 0;
    }
    if (*scap < f->len + 1) {
        size_t nc = f->len + 1 + f->len / 2;
        char *ns = amlp_realloc(*scratch, nc);
        if (!ns)
            return AML_ENOMEM;
        *scratch = ns;
        *scap = nc;
    }
    const char *s = buf + f->start;
    char *d = *scratch;
    size_t n = 0, i = 1; /* s[0] is the opening quote */
    while (i < f->len) {
        if (s[i] == '"') {
            if (i + 1 < f->len && s[i + 1] == '"') {
                d[n++] = '"';
                i += 2;
                continue;
            }
            i++;
            break;
        }
        d[n++] = s[i++];
    }
    while (i < f->len)
        d[n++] = s[i++];
    d[n] = '\0';
    *out = d;
    *olen = n;
    return 0;
}

long amlp_csv_line_of(const char *buf, size_t pos)
{
    long line = 1;
    for (size_t i = 0; i < pos; i++) {
        if (buf[i] == '\n')
            line++;
        else if (buf[i] == '\r' && (i + 1 >= pos || buf[i + 1] != '\n'))
            line++;
    }
    return line;
}

size_t amlp_csv_line_start(const char *buf, size_t len, size_t pos)
{
    if (pos == 0)
        return 0;
    const char *hit = pos - 1 < len ? memchr(buf + pos - 1, '\n', len - (pos - 1)) : NULL;
    return hit ? (size_t)(hit - buf) + 1 : len;
}

char amlp_csv_sniff(const char *buf, size_t len)
{
    static const char cand[] = {',', ';', '\t', '|'};
    size_t window = len < 65536 ? len : 65536;
    char best = ',';
    double best_score = 0;
    amlp_rec r = {0};
    for (size_t k = 0; k < sizeof cand; k++) {
        size_t counts[64];
        size_t nrec = 0, pos = 0;
        while (pos < window && nrec < 64) {
            size_t next;
            int rc = amlp_csv_record(buf, len, pos, cand[k], &r, &next);
            if (rc < 0)
                break;
            if (rc == AMLP_REC_BLANK) {
                pos = next;
                continue;
            }
            if (rc == AMLP_REC_UNTERMINATED || (next > window && nrec > 0))
                break;
            counts[nrec++] = r.n;
            pos = next;
        }
        if (!nrec || counts[0] < 2)
            continue;
        size_t same = 0;
        for (size_t i = 0; i < nrec; i++)
            same += counts[i] == counts[0];
        double consistency = (double)same / (double)nrec;
        if (consistency < 0.5)
            continue;
        double score = (double)counts[0] * consistency;
        if (score > best_score) {
            best_score = score;
            best = cand[k];
        }
    }
    amlp_free(r.f);
    return best;
}
