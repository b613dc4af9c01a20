/* mg_util.c — small helpers for magics: growing text buffers (with HTML
 * escaping), reporting a magic's failure, and the clock. */
#include "mg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void reserve(mg_buf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        abort();  /* display text is small; running out here means the process is lost */
    b->data = p;
    b->cap = cap;
}

void mg_buf_add_n(mg_buf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void mg_buf_add(mg_buf *b, const char *s)
{
    size_t n = strlen(s);
    reserve(b, n);
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

void mg_buf_addf(mg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void mg_buf_add_html(mg_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': mg_buf_add(b, "&lt;"); break;
        case '>': mg_buf_add(b, "&gt;"); break;
        case '&': mg_buf_add(b, "&amp;"); break;
        case '"': mg_buf_add(b, "&quot;"); break;
        case '\'': mg_buf_add(b, "&#39;"); break;
        default: {
            char c[2] = {*s, 0};
            mg_buf_add(b, c);
        }
        }
    }
}

void mg_buf_free(mg_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

int mg_fail(mg_ctx *ctx, const char *ename, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    kn_error(ctx->req, ename, text, NULL, 0);
    return -1;
}

