/*
 * mg_parse.c — the cell parser (docs/architecture.md, "The cell language").
 *
 * A cell is lines.  Blank lines and `#` comments are skipped; every other line
 * is a line magic `%name args`; a first line `%%name args` makes the rest of
 * the cell its body.  A trailing backslash continues a line, and a quoted value
 * may span lines.  Words are positional, `key=value` options (value quoted with
 * "..." or '...'), or `--flag` / `--key=value`.  Errors give line and column
 * (1-based, columns in characters).
 */
#include "mg.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scanner {
    const char *s;
    size_t i;
    int line, col;
} scanner;

static void adv(scanner *sc)
{
    unsigned char c = (unsigned char)sc->s[sc->i];
    if (!c)
        return;
    sc->i++;
    if (c == '\n') {
        sc->line++;
        sc->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        sc->col++;
    }
    /* continuation bytes of a UTF-8 character do not advance the column */
    while ((((unsigned char)sc->s[sc->i]) & 0xC0) == 0x80)
        sc->i++;
}

static char peek(const scanner *sc, size_t k)
{
    for (size_t j = 0; j < k; j++)
        if (!sc->s[sc->i + j])
            return 0;
    return sc->s[sc->i + k];
}

static int fail(mg_syntax_error *err, int line, int col, const char *fmt, ...)
{
    err->line = line;
    err->column = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* At a backslash that ends the physical line (spaces allowed after it)? */
static bool at_continuation(const scanner *sc)
{
    if (sc->s[sc->i] != '\\')
        return false;
    size_t j = sc->i + 1;
    while (is_space(sc->s[j]))
        j++;
    return sc->s[j] == '\n' || sc->s[j] == 0;
}

static void skip_continuation(scanner *sc)
{
    adv(sc);  /* the backslash */
    while (is_space(sc->s[sc->i]))
        adv(sc);
    if (sc->s[sc->i] == '\n')
        adv(sc);
}

/* Skips blanks and line continuations within a logical line. */
static void skip_blanks(scanner *sc)
{
    for (;;) {
        if (is_space(sc->s[sc->i]))
            adv(sc);
        else if (at_continuation(sc))
            skip_continuation(sc);
        else
            return;
    }
}

typedef struct strbuf {
    char *p;
    size_t n, cap;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            abort();
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Reads one word; fills `a` (key/value or positional). */
static int read_word(scanner *sc, mg_arg *a, mg_syntax_error *err)
{
    strbuf b = {0};
    long eq = -1;          /* offset of the '=' that splits key and value */
    bool plain = true;     /* no quote seen yet */
    a->line = sc->line;
    a->column = sc->col;
    sb_put(&b, "", 0);
    while (sc->s[sc->i] && sc->s[sc->i] != '\n' && !is_space(sc->s[sc->i])) {
        char c = sc->s[sc->i];
        if (at_continuation(sc))
            break;
        if (c == '"' || c == '\'') {
            int ql = sc->line, qc = sc->col;
            plain = false;
            adv(sc);
            while (sc->s[sc->i] && sc->s[sc->i] != c) {
                if (c == '"' && sc->s[sc->i] == '\\' && (peek(sc, 1) == '"' || peek(sc, 1) == '\\')) {
                    adv(sc);
                }
                size_t start = sc->i;
                adv(sc);
                sb_put(&b, sc->s + start, sc->i - start);
            }
            if (!sc->s[sc->i]) {
                free(b.p);
                return fail(err, ql, qc, "unclosed quote %c", c);
            }
            adv(sc);
            continue;
        }
        if (c == '=' && eq < 0 && plain && b.n > 0) {
            bool ident = true;
            size_t k0 = (b.n >= 2 && b.p[0] == '-' && b.p[1] == '-') ? 2 : 0;
            for (size_t k = k0; k < b.n; k++)
                ident = ident && ident_char(b.p[k]);
            if (ident && b.n > k0)
                eq = (long)b.n;
        }
        size_t start = sc->i;
        adv(sc);
        sb_put(&b, sc->s + start, sc->i - start);
    }
    if (eq >= 0) {
        size_t k0 = (b.p[0] == '-' && b.p[1] == '-') ? 2 : 0;
        a->key = strndup(b.p + k0, (size_t)eq - k0);
        a->value = strdup(b.p + eq + 1);
        free(b.p);
    } else if (plain && b.n > 2 && b.p[0] == '-' && b.p[1] == '-') {
        a->key = strdup(b.p + 2);
        a->value = NULL;
        free(b.p);
    } else {
        a->key = NULL;
        a->value = b.p;
    }
    return 0;
}

static void line_free(mg_line *l)
{
    for (size_t i = 0; i < l->n_args; i++) {
        free(l->args[i].key);
        free(l->args[i].value);
    }
    free(l->args);
    free(l->name);
    free(l->rest);
    free(l->body);
}

void mg_cell_free(mg_cell *c)
{
    for (size_t i = 0; i < c->n; i++)
        line_free(&c->lines[i]);
    free(c->lines);
    c->lines = NULL;
    c->n = 0;
}

/* A line that is only `exit` or `quit` (with blanks around). */
static bool bare_exit(const char *s)
{
    size_t n = strncmp(s, "exit", 4) == 0 || strncmp(s, "quit", 4) == 0 ? 4 : 0;
    if (!n)
        return false;
    while (is_space(s[n]))
        n++;
    return s[n] == '\n' || s[n] == 0;
}

static void first_word(const char *s, char *out, size_t len)
{
    size_t n = 0;
    while (s[n] && !isspace((unsigned char)s[n]) && s[n] != '=' && n + 1 < len) {
        out[n] = s[n];
        n++;
    }
    out[n] = 0;
}

/* Parses the magic at the scanner (on the '%'), up to the end of its logical
 * line, into `l`. */
static int parse_magic(scanner *sc, mg_line *l, bool first, mg_syntax_error *err)
{
    l->line = sc->line;
    l->column = sc->col;
    adv(sc);
    if (sc->s[sc->i] == '%') {
        if (!first)
            return fail(err, sc->line, sc->col - 1,
                        "a cell magic (%%%%name) must be the first line of the cell");
        l->cell = true;
        adv(sc);
    }
    size_t ns = sc->i;
    while (sc->s[sc->i] && (isalnum((unsigned char)sc->s[sc->i]) || sc->s[sc->i] == '_' ||
                            sc->s[sc->i] == '-'))
        adv(sc);
    if (sc->i == ns)
        return fail(err, sc->line, sc->col, "expected a magic name after %%");
    l->name = strndup(sc->s + ns, sc->i - ns);
    while (sc->s[sc->i] == '?') {
        l->help = true;
        adv(sc);
    }
    if (sc->s[sc->i] && !is_space(sc->s[sc->i]) && sc->s[sc->i] != '\n' && !at_continuation(sc))
        return fail(err, sc->line, sc->col, "unexpected '%c' after the magic name %%%s",
                    sc->s[sc->i], l->name);
    skip_blanks(sc);
    /* the raw rest of the logical line, continuations joined */
    size_t rest_start = sc->i;
    size_t cap = 0;
    for (;;) {
        skip_blanks(sc);
        char c = sc->s[sc->i];
        if (!c || c == '\n')
            break;
        if (l->n_args == cap) {
            cap = cap ? cap * 2 : 8;
            mg_arg *v = realloc(l->args, cap * sizeof *v);
            if (!v)
                abort();
            l->args = v;
        }
        mg_arg *a = &l->args[l->n_args];
        memset(a, 0, sizeof *a);
        if (read_word(sc, a, err))
            return -1;
        l->n_args++;
    }
    strbuf rest = {0};
    sb_put(&rest, "", 0);
    for (size_t j = rest_start; j < sc->i;) {
        scanner t = {sc->s, j, 0, 0};
        if (at_continuation(&t)) {
            skip_continuation(&t);
            sb_put(&rest, " ", 1);
            j = t.i;
            continue;
        }
        sb_put(&rest, sc->s + j, 1);
        j++;
    }
    while (rest.n && is_space(rest.p[rest.n - 1]))
        rest.p[--rest.n] = 0;
    l->rest = rest.p;
    if (sc->s[sc->i] == '\n')
        adv(sc);
    if (l->cell) {
        l->body = strdup(sc->s + sc->i);
        while (sc->s[sc->i])
            adv(sc);
    }
    return 0;
}

/* Appends a zeroed line to the cell. */
static mg_line *new_line(mg_cell *out, size_t *cap)
{
    if (out->n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        mg_line *v = realloc(out->lines, *cap * sizeof *v);
        if (!v)
            abort();  /* a cell's few lines: out of memory here means the process is lost */
        out->lines = v;
    }
    mg_line *l = &out->lines[out->n++];
    memset(l, 0, sizeof *l);
    return l;
}

int mg_parse(const char *code, mg_cell *out, mg_syntax_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    scanner sc = {code, 0, 1, 1};
    size_t cap = 0;
    bool first = true;
    while (code[sc.i]) {
        while (is_space(code[sc.i]))
            adv(&sc);
        char c = code[sc.i];
        if (c == '\n' || c == 0) {
            adv(&sc);
            continue;
        }
        if (c == '#') {
            while (code[sc.i] && code[sc.i] != '\n')
                adv(&sc);
            continue;
        }
        if (c != '%' && bare_exit(code + sc.i)) {
            /* `exit` and `quit`, alone on a line, are %exit: what console users type */
            mg_line *l = new_line(out, &cap);
            l->name = strdup("exit");
            l->rest = strdup("");
            l->line = sc.line;
            l->column = sc.col;
            while (code[sc.i] && code[sc.i] != '\n')
                adv(&sc);
            first = false;
            continue;
        }
        if (c != '%') {
            first_word(code + sc.i, err->word, sizeof err->word);
            fail(err, sc.line, sc.col, "'%s' is not a magic: a line starts with %% (or # for "
                 "a comment)", err->word);
            mg_cell_free(out);
            return -1;
        }
        mg_line *l = new_line(out, &cap);
        if (parse_magic(&sc, l, first, err)) {
            mg_cell_free(out);
            return -1;
        }
        first = false;
    }
    return 0;
}

const char *mg_completeness(const char *code)
{
    mg_cell cell;
    mg_syntax_error err;
    /* a dangling backslash at the very end continues onto the next line */
    size_t n = strlen(code);
    while (n && (is_space(code[n - 1]) || code[n - 1] == '\n'))
        n--;
    if (n && code[n - 1] == '\\') {
        /* "\\" inside a comment does not continue */
        size_t ls = n - 1;
        while (ls && code[ls - 1] != '\n')
            ls--;
        while (is_space(code[ls]))
            ls++;
        if (code[ls] != '#')
            return "incomplete";
    }
    if (mg_parse(code, &cell, &err) == 0) {
        mg_cell_free(&cell);
        return "complete";
    }
    if (strncmp(err.message, "unclosed quote", 14) == 0)
        return "incomplete";
    return "invalid";
}

size_t mg_split_words(const char *text, size_t *starts, size_t max)
{
    size_t n = 0, i = 0;
    while (text[i]) {
        while (text[i] && isspace((unsigned char)text[i]))
            i++;
        if (!text[i])
            break;
        if (n < max)
            starts[n] = i;
        n++;
        char q = 0;
        while (text[i] && (q || !isspace((unsigned char)text[i]))) {
            if (q && text[i] == q)
                q = 0;
            else if (!q && (text[i] == '"' || text[i] == '\''))
                q = text[i];
            i++;
        }
    }
    return n;
}
