/* fuzz_cell.c — libFuzzer target for the cell language: the parser on any
 * text without a NUL (it must parse or fail with a position inside the
 * cell), and for a parsed line naming a magic, the binding of its options
 * (never crash, a reason when refused); then the interpreter's own
 * is_complete, completion and inspection on the same bytes, NULs included,
 * as the kernel hands them over (text and length: kn.h), and a user
 * expression holding a NUL, which must be an error. */
#include "mg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *code = malloc(size + 1);
    if (!code)
        return 0;
    memcpy(code, data, size);
    code[size] = 0;   /* the kernel's texts end in a NUL after their length */
    bool has_nul = memchr(code, 0, size) != NULL;
    mg_cell cell;
    mg_syntax_error err;
    /* the interpreter refuses a cell holding a NUL before it parses it */
    int parsed = has_nul ? -1 : mg_parse(code, &cell, &err);
    if (parsed == 0) {
        for (size_t i = 0; i < cell.n; i++) {
            const mg_magic *m = mg_find(cell.lines[i].name);
            if (!m)
                continue;
            mg_call call;
            char why[512] = "";
            int rc = mg_call_bind(m, &cell.lines[i], &call, why, sizeof why);
            mg_call_clear(&call);   /* on failure too, as the interpreter does */
            if (rc && !why[0])
                abort();
        }
        mg_cell_free(&cell);
    } else if (!has_nul && err.line < 1) {
        abort();
    }
    static mg_session *s;
    static kn_interpreter interp;
    if (!s) {
        s = mg_session_new();
        mg_interpreter_init(&interp, s);
    }
    long cursor = (long)(size % 97);
    json_t *r = interp.is_complete(interp.self, code, size);
    const char *status = json_string_value(json_object_get(r, "status"));
    if (!status || (has_nul && strcmp(status, "invalid") != 0))
        abort();
    json_decref(r);
    r = interp.complete(interp.self, code, size, cursor);
    if (!json_is_array(json_object_get(r, "matches")))
        abort();
    json_decref(r);
    r = interp.inspect(interp.self, code, size, cursor, 0);
    if (!json_is_boolean(json_object_get(r, "found")))
        abort();
    json_decref(r);
    if (has_nul) {
        r = interp.evaluate(interp.self, code, size);
        if (strcmp(json_string_value(json_object_get(r, "status")), "error") != 0)
            abort();
        json_decref(r);
    }
    free(code);
    return 0;
}
