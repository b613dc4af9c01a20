/*
 * mg_interp.c — the magics interpreter behind kn_interpreter: runs cells
 * (parse and check every line before running any, so a typo never
 * half-changes the session), completion, inspection, is_complete, user
 * expressions and kernel_info.
 *
 * A NUL character (a client's "\u0000") is never part of the language: a
 * cell or expression holding one is refused with its line and column, is
 * "invalid" for is_complete, and completion and inspection look only at the
 * text before it (nothing is offered past it).
 */
#include "mg.h"
#include "aml.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Code points <-> bytes, from the kernel layer's text helpers. */
size_t kn_utf8_offset(const char *s, long cp);
long kn_utf8_count(const char *s, size_t bytes);

/* codemirror_mode "automl" is the mode the notebook extension defines
 * (share/jupyter/kernels/automl/ext/mode.js); pygments_lexer stays "bash",
 * which nbconvert has, for exported notebooks. */
static void kernel_info(void *self, json_t *reply)
{
    (void)self;
    json_object_set_new(reply, "implementation_version", json_string(AML_VERSION_STRING));
    json_object_set_new(
        reply, "language_info",
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", "automl", "version",
                  AML_VERSION_STRING, "mimetype", "text/x-automl", "file_extension", ".automl",
                  "codemirror_mode", "automl", "pygments_lexer", "bash"));
    json_object_set_new(reply, "banner",
                        json_string("AutoML Kernel " AML_VERSION_STRING
                                    " — AutoML as notebook magics. Type %help to begin."));
    json_object_set_new(
        reply, "help_links",
        json_pack("[{s:s, s:s}, {s:s, s:s}]", "text", "Jupyter documentation", "url",
                  "https://docs.jupyter.org/", "text", "Jupyter messaging protocol", "url",
                  "https://jupyter-client.readthedocs.io/en/stable/messaging.html"));
}

static int syntax_error(mg_ctx *ctx, const char *code, const mg_syntax_error *err)
{
    char evalue[512];
    const char *s = err->word[0] ? mg_closest_magic(err->word) : NULL;
    snprintf(evalue, sizeof evalue, "line %d, column %d: %s%s%s%s", err->line, err->column,
             err->message, s ? " — did you mean %" : "", s ? s : "", s ? "?" : "");
    /* traceback: the message, the offending line, a caret under the column */
    const char *p = code;
    for (int l = 1; l < err->line && p; l++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    char src[256] = "", caret[256] = "";
    if (p) {
        size_t n = strcspn(p, "\n");
        snprintf(src, sizeof src, "    %.*s", (int)(n < 200 ? n : 200), p);
        int col = err->column > 0 && err->column < 200 ? err->column : 1;
        snprintf(caret, sizeof caret, "    %*s^", col - 1, "");
    }
    char first[600];
    snprintf(first, sizeof first, "SyntaxError: %s", evalue);
    const char *tb[3] = {first, src, caret};
    kn_error(ctx->req, "SyntaxError", evalue, tb, 3);
    return -1;
}

/* Line and column (1-based, columns in characters as mg_parse counts them) of
 * byte `at` of `code`. */
static void position_of(const char *code, size_t at, int *line, int *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < at; i++) {
        if (code[i] == '\n') {
            (*line)++;
            *column = 1;
        } else if (((unsigned char)code[i] & 0xC0) != 0x80) {
            (*column)++;
        }
    }
}

#define NUL_MESSAGE "the cell holds a NUL character (\\0); remove it"

/* The error for a cell whose first NUL character is at byte `at`: the
 * message, the line with the NUL shown as \0, and a caret under it. */
static int nul_error(mg_ctx *ctx, const char *code, size_t len, size_t at)
{
    int line, column;
    position_of(code, at, &line, &column);
    char evalue[128], first[160], src[256], caret[256];
    snprintf(evalue, sizeof evalue, "line %d, column %d: " NUL_MESSAGE, line, column);
    snprintf(first, sizeof first, "SyntaxError: %s", evalue);
    size_t ls = at, k = 4;
    while (ls > 0 && code[ls - 1] != '\n')
        ls--;
    memcpy(src, "    ", 4);
    for (size_t i = ls; i < len && code[i] != '\n'; i++) {
        if (((unsigned char)code[i] & 0xC0) != 0x80 && k + 8 > sizeof src)
            break;   /* whole characters only: the traceback stays UTF-8 */
        if (code[i] == '\0') {
            src[k++] = '\\';
            src[k++] = '0';
        } else {
            src[k++] = code[i];
        }
    }
    src[k] = '\0';
    int col = column < 200 ? column : 1;
    snprintf(caret, sizeof caret, "    %*s^", col - 1, "");
    const char *tb[3] = {first, src, caret};
    kn_error(ctx->req, "SyntaxError", evalue, tb, 3);
    return -1;
}

static int usage_error(mg_ctx *ctx, const mg_line *l, const char *why)
{
    /* reasons that know their column start with "column N: " */
    if (strncmp(why, "column ", 7) == 0)
        return mg_fail(ctx, "UsageError", "line %d, %s", l->line, why);
    return mg_fail(ctx, "UsageError", "line %d: %s", l->line, why);
}

/* Resolves and checks one line; fills `call`.  Help lines (%x?) need only the
 * magic. */
static int check_line(mg_ctx *ctx, const mg_line *l, const mg_magic **m, mg_call *call)
{
    *m = mg_find(l->name);
    if (!*m) {
        const char *s = mg_closest_magic(l->name);
        char why[256];
        if (s)
            snprintf(why, sizeof why, "unknown magic %%%s — did you mean %%%s?", l->name, s);
        else
            snprintf(why, sizeof why, "unknown magic %%%s (type %%help for the list)", l->name);
        return usage_error(ctx, l, why);
    }
    if (l->cell && !(*m)->cell_body) {
        char why[256];
        snprintf(why, sizeof why, "%%%%%s is not a cell magic; write %%%s", l->name, l->name);
        return usage_error(ctx, l, why);
    }
    if (l->help)
        return 0;
    char why[512];
    if (mg_call_bind(*m, l, call, why, sizeof why)) {
        mg_call_clear(call);
        return usage_error(ctx, l, why);
    }
    return 0;
}

static int run_call(mg_ctx *ctx, const mg_magic *m, const mg_call *call)
{
    if (m->value) {
        json_t *b = m->value(ctx, call);
        if (!b)
            return -1;
        kn_execute_result(ctx->req, b, NULL);
        json_decref(b);
        return 0;
    }
    return m->run(ctx, call);
}

static int execute(void *self, kn_request *req, const char *code, size_t code_len)
{
    mg_ctx ctx = {.req = req, .session = self, .started = aml_now()};
    const char *nul = memchr(code, '\0', code_len);
    if (nul)
        return nul_error(&ctx, code, code_len, (size_t)(nul - code));
    mg_cell cell;
    mg_syntax_error err;
    if (mg_parse(code, &cell, &err))
        return syntax_error(&ctx, code, &err);
    int rc = 0;
    const mg_magic **magics = calloc(cell.n + 1, sizeof *magics);
    mg_call *calls = calloc(cell.n + 1, sizeof *calls);
    if (!magics || !calls)
        rc = mg_fail(&ctx, "MemoryError", "out of memory");
    size_t bound = 0;
    for (; rc == 0 && bound < cell.n; bound++)
        if (check_line(&ctx, &cell.lines[bound], &magics[bound], &calls[bound]))
            rc = -1;
    for (size_t i = 0; rc == 0 && i < cell.n; i++) {
        if (kn_interrupted(req)) {
            rc = mg_fail(&ctx, "KeyboardInterrupt", "interrupted before line %d",
                         cell.lines[i].line);
            break;
        }
        if (cell.lines[i].help) {
            json_t *b = mg_help_bundle(magics[i]);
            kn_page(req, b);
            json_decref(b);
            continue;
        }
        rc = run_call(&ctx, magics[i], &calls[i]);
        ctx.started = aml_now();
    }
    for (size_t i = 0; calls && i < bound; i++)
        mg_call_clear(&calls[i]);
    free(calls);
    free(magics);
    mg_cell_free(&cell);
    mg_memory_release();   /* what the cell's work freed goes back to the system */
    return rc;
}

static json_t *evaluate(void *self, const char *expr, size_t len)
{
    mg_cell cell;
    mg_syntax_error err;
    const char *why = NULL;
    char buf[512];
    json_t *result = NULL;
    const char *nul = memchr(expr, '\0', len);
    if (nul) {
        int line, column;
        position_of(expr, (size_t)(nul - expr), &line, &column);
        snprintf(buf, sizeof buf, "line %d, column %d: the expression holds a NUL character "
                 "(\\0); remove it", line, column);
        return json_pack("{s:s, s:s, s:s, s:[]}", "status", "error", "ename", "SyntaxError",
                         "evalue", buf, "traceback");
    }
    if (mg_parse(expr, &cell, &err)) {
        snprintf(buf, sizeof buf, "line %d, column %d: %s", err.line, err.column, err.message);
        return json_pack("{s:s, s:s, s:s, s:[]}", "status", "error", "ename", "SyntaxError",
                         "evalue", buf, "traceback");
    }
    const mg_magic *m = cell.n == 1 ? mg_find(cell.lines[0].name) : NULL;
    mg_call call = {0};
    if (!m || !m->value) {
        why = "a user expression is one magic that returns a value, such as %version";
    } else if (mg_call_bind(m, &cell.lines[0], &call, buf, sizeof buf)) {
        why = buf;
    } else {
        /* value magics report failures through the request; user expressions
         * have none, so they get the bundle or a generic failure */
        mg_ctx ctx = {.req = NULL, .session = self};
        result = m->value(&ctx, &call);
        if (!result)
            why = "the magic failed";
    }
    mg_call_clear(&call);
    mg_cell_free(&cell);
    if (why)
        return json_pack("{s:s, s:s, s:s, s:[]}", "status", "error", "ename", "UsageError",
                         "evalue", why, "traceback");
    return json_pack("{s:s, s:o, s:{}}", "status", "ok", "data", result, "metadata");
}

/* True when the cursor is past a NUL character of the code: completion and
 * inspection see only the text before the first NUL, so they offer nothing
 * there. */
static bool cursor_past_nul(const char *code, size_t len, long cursor_pos)
{
    const char *nul = memchr(code, '\0', len);
    return nul && cursor_pos > kn_utf8_count(code, (size_t)(nul - code));
}

static json_t *mg_complete_hook(void *self, const char *code, size_t len, long cursor_pos)
{
    if (cursor_past_nul(code, len, cursor_pos))
        return json_pack("{s:[], s:i, s:i, s:{}}", "matches", "cursor_start", (int)cursor_pos,
                         "cursor_end", (int)cursor_pos, "metadata");
    return mg_complete(self, code, cursor_pos);
}

static json_t *inspect(void *self, const char *code, size_t len, long cursor_pos,
                       int detail_level)
{
    (void)self;
    (void)detail_level;
    if (cursor_past_nul(code, len, cursor_pos))
        return json_pack("{s:b, s:{}, s:{}}", "found", 0, "data", "metadata");
    size_t at = kn_utf8_offset(code, cursor_pos);
    size_t ls = at;
    while (ls > 0 && code[ls - 1] != '\n')
        ls--;
    while (code[ls] == ' ' || code[ls] == '\t' || code[ls] == '%')
        ls++;
    char name[64];
    size_t k = 0;
    while (k + 1 < sizeof name && (isalnum((unsigned char)code[ls + k]) || code[ls + k] == '_' ||
                                   code[ls + k] == '-')) {
        name[k] = code[ls + k];
        k++;
    }
    name[k] = 0;
    const mg_magic *m = mg_find(name);
    if (!m)
        return json_pack("{s:b, s:{}, s:{}}", "found", 0, "data", "metadata");
    return json_pack("{s:b, s:o, s:{}}", "found", 1, "data", mg_help_bundle(m), "metadata");
}

static json_t *is_complete(void *self, const char *code, size_t len)
{
    (void)self;
    const char *status = memchr(code, '\0', len) ? "invalid" : mg_completeness(code);
    if (strcmp(status, "incomplete") == 0)
        return json_pack("{s:s, s:s}", "status", status, "indent", "");
    return json_pack("{s:s}", "status", status);
}

static void shutdown_hook(void *self, bool restart)
{
    (void)self;
    (void)restart;
}

void mg_interpreter_init(kn_interpreter *interp, mg_session *session)
{
    *interp = (kn_interpreter){
        .self = session,
        .kernel_info = kernel_info,
        .execute = execute,
        .evaluate = evaluate,
        .complete = mg_complete_hook,
        .inspect = inspect,
        .is_complete = is_complete,
        .shutdown = shutdown_hook,
    };
}
