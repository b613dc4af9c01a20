/* csv_report.c — the report of a CSV read: notes for the user and facts
 * about the parse. */
#include "data/data_internal.h"

#include <stdarg.h>
#include <stdio.h>

int amlp_csv_note(aml_csv_report *r, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (r->n_notes == r->cap_notes) {
        size_t nc = r->cap_notes ? r->cap_notes * 2 : 8;
        char **nn = amlp_realloc(r->notes, nc * sizeof *nn);
        if (!nn)
            return AML_ENOMEM;
        r->notes = nn;
        r->cap_notes = nc;
    }
    char *d = amlp_strdup(line);
    if (!d)
        return AML_ENOMEM;
    r->notes[r->n_notes++] = d;
    return 0;
}

void aml_csv_report_free(aml_csv_report *report)
{
    if (!report)
        return;
    for (size_t i = 0; i < report->n_notes; i++)
        amlp_free(report->notes[i]);
    amlp_free(report->notes);
    amlp_free(report);
}

size_t aml_csv_report_note_count(const aml_csv_report *report)
{
    return report ? report->n_notes : 0;
}

const char *aml_csv_report_note(const aml_csv_report *report, size_t i)
{
    return (report && i < report->n_notes) ? report->notes[i] : NULL;
}

char aml_csv_report_delimiter(const aml_csv_report *report) { return report ? report->delimiter : 0; }
bool aml_csv_report_has_header(const aml_csv_report *report) { return report && report->header; }
bool aml_csv_report_transcoded(const aml_csv_report *report) { return report && report->transcoded; }
size_t aml_csv_report_rows_skipped(const aml_csv_report *report) { return report ? report->skipped : 0; }
size_t aml_csv_report_bytes(const aml_csv_report *report) { return report ? report->bytes : 0; }
double aml_csv_report_seconds(const aml_csv_report *report) { return report ? report->seconds : 0; }
