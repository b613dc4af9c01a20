/* csv_bench.c — benchmark driver for the CSV reader: reads one file with
 * aml_csv_read (type inference included) and prints rows, columns, seconds,
 * peak RSS and each column's type, as `key value` lines for tests/bench/csv. */
#include "aml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Peak RSS of this process in KiB: VmHWM, which starts afresh at exec.
 * (ru_maxrss keeps the parent's peak across fork and exec, so a driver
 * started from a Python process holding pandas would report Python's.) */
static long peak_rss_kb(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (fp && fgets(line, sizeof line, fp))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (fp)
        fclose(fp);
    if (kb < 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        kb = ru.ru_maxrss;
    }
    return kb;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: csv_bench FILE [threads] [--types]\n");
        return 2;
    }
    aml_csv_options o = aml_csv_options_default();
    if (argc > 2)
        o.threads = atoi(argv[2]);
    aml_frame *f;
    aml_csv_report *rep;
    aml_error e = {0};
    if (aml_csv_read(argv[1], &o, &f, &rep, &e)) {
        fprintf(stderr, "%s:%ld:%ld: %s [%s]\n", argv[1], e.line, e.column, e.text, e.source);
        return 1;
    }
    printf("rows %zu\ncols %zu\nseconds %.6f\npeak_rss_kb %ld\nbytes %zu\n", aml_frame_nrows(f),
           aml_frame_ncols(f), aml_csv_report_seconds(rep), peak_rss_kb(), aml_csv_report_bytes(rep));
    for (size_t j = 0; j < aml_frame_ncols(f); j++)
        printf("column %s %s missing=%zu invalid=%zu flags=%u\n", aml_frame_col_name(f, j),
               aml_type_name(aml_frame_col_type(f, j)), aml_frame_col_missing(f, j),
               aml_frame_col_invalid(f, j), aml_frame_col_flags(f, j));
    for (size_t i = 0; i < aml_csv_report_note_count(rep); i++)
        printf("note %s\n", aml_csv_report_note(rep, i));
    aml_csv_report_free(rep);
    aml_frame_free(f);
    return 0;
}
