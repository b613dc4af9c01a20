/* fuzz_csv.c — libFuzzer target for the CSV reader: every input must either
 * import or fail with an error code and a filled error record; the frame
 * that comes back must be self-consistent (cell text, re-typing, slicing).
 * The first byte picks options (threads, header mode, skip_errors). */
#include "aml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aml_csv_options o = aml_csv_options_default();
    if (size > 0) {
        uint8_t b = data[0];
        o.threads = 1 + (b & 1);
        o.header = (aml_csv_header)((b >> 1) % 3);
        o.skip_errors = (b >> 3) & 1;
        o.sample = (b >> 4) & 1 ? 3 : 0;
        if ((b >> 5) & 1)
            o.missing = "-,x";
        data++;
        size--;
    }
    aml_frame *f = NULL;
    aml_csv_report *rep = NULL;
    aml_error e;
    memset(&e, 0, sizeof e);
    int rc = aml_csv_read_buffer(data, size, "fuzz", &o, &f, &rep, &e);
    if (rc) {
        if (f || rep || e.code != rc || !e.text[0])
            abort();
        return 0;
    }
    if (!f || !rep)
        abort();
    char buf[64];
    size_t nr = aml_frame_nrows(f), nc = aml_frame_ncols(f);
    for (size_t j = 0; j < nc; j++) {
        size_t bad = 0;
        for (size_t r = 0; r < nr; r++) {
            aml_frame_cell_str(f, j, r, buf, sizeof buf);
            aml_cell_state s = aml_frame_cell_state(f, j, r);
            bad += s == AML_CELL_INVALID;
        }
        if (bad != aml_frame_col_invalid(f, j))
            abort();
    }
    aml_frame *s = NULL;
    if (aml_frame_slice(f, nr / 2, nr, &s) == 0)
        aml_frame_free(s);
    if (nc) {
        size_t inv;
        aml_frame_set_type(f, 0, AML_TYPE_TEXT, &inv, NULL);
        aml_frame_set_type(f, 0, AML_TYPE_NUMBER, &inv, NULL);
    }
    aml_frame_free(f);
    aml_csv_report_free(rep);
    return 0;
}
