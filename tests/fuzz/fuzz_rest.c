/* fuzz_rest.c — libFuzzer target for the REST body parser
 * (srv_parse_body): every input must either give a frame with one row per
 * instance and one column per schema input, typed as the schema says, or
 * fail with a known code, an HTTP status that fits it, and a one-line
 * message.  The first byte picks the instance limit; the schema covers every
 * column type.  Also exercises the bearer-token check on the input. */
#include "srv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static srv_schema *the_schema(void)
{
    static srv_schema *s;
    if (!s) {
        const char *names[] = {"age", "income", "job", "member", "note", "since", "x y", "é"};
        aml_type types[] = {AML_TYPE_INTEGER, AML_TYPE_NUMBER, AML_TYPE_CATEGORICAL,
                            AML_TYPE_BOOLEAN, AML_TYPE_TEXT, AML_TYPE_DATETIME,
                            AML_TYPE_NUMBER, AML_TYPE_CATEGORICAL};
        if (srv_schema_new(names, types, 8, "y", &s))
            abort();
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const srv_schema *s = the_schema();
    srv_limits lim = srv_limits_default();
    if (size > 0) {
        lim.max_instances = data[0] & 0x80 ? (size_t)(data[0] & 0x7f) : lim.max_instances;
        data++;
        size--;
    }
    /* the body is not NUL-terminated: a copy of exactly `size` bytes lets
     * ASan catch any read past the end */
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    aml_frame *f = NULL;
    size_t n = 0;
    srv_error e;
    memset(&e, 0, sizeof e);
    int rc = srv_parse_body(s, body, size, &lim, &f, &n, &e);
    if (rc == 0) {
        if (!f || n == 0 || n > lim.max_instances || aml_frame_nrows(f) != n ||
            aml_frame_ncols(f) != srv_schema_size(s))
            abort();
        for (size_t c = 0; c < aml_frame_ncols(f); c++) {
            if (aml_frame_col_type(f, c) != srv_schema_type(s, c) ||
                strcmp(aml_frame_col_name(f, c), srv_schema_name(s, c)) != 0)
                abort();
            for (size_t r = 0; r < n; r++) {
                char buf[64];
                if (aml_frame_cell_state(f, c, r) == AML_CELL_INVALID)
                    abort();   /* invalid cells are 400s, never rows */
                aml_frame_cell_str(f, c, r, buf, sizeof buf);
            }
        }
        aml_frame_free(f);
    } else {
        if (f)
            abort();
        bool known = rc == AML_EPARSE || rc == AML_EINVAL || rc == AML_ERANGE ||
                     rc == AML_ENOMEM;
        int want = rc == AML_ERANGE ? 413 : rc == AML_ENOMEM ? 500 : 400;
        if (!known || e.code != rc || e.status != want || !e.text[0] ||
            strlen(e.text) >= sizeof e.text || strchr(e.text, '\n') ||
            e.instance < -1 || (e.instance >= 0 && (size_t)e.instance >= lim.max_instances + 1))
            abort();
    }
    /* the token check on the same bytes (as an Authorization header) */
    char *hdr = malloc(size + 1);
    if (hdr) {
        memcpy(hdr, data, size);
        hdr[size] = '\0';
        if (srv_token_ok(hdr, "s3cret") && strcmp(hdr + 7 + strspn(hdr + 7, " "), "s3cret") != 0)
            abort();
        free(hdr);
    }
    free(body);
    return 0;
}
