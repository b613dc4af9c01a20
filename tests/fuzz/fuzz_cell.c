/* fuzz_cell.c — libFuzzer target for the cell language: the parser on any
 * text (it must parse or fail with a position inside the cell), and for a
 * parsed line naming a magic, the binding of its options (never crash, a
 * reason when refused); completion and is_complete on the same text. */
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
    code[size] = 0;   /* the kernel hands the parser C strings: a NUL ends the cell */
    mg_cell cell;
    mg_syntax_error err;
    if (mg_parse(code, &cell, &err) == 0) {
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
    } else if (err.line < 1) {
        abort();
    }
    static mg_session *s;
    if (!s)
        s = mg_session_new();
    json_t *c = mg_complete(s, code, (long)(size % 97));
    json_decref(c);
    free(code);
    return 0;
}
