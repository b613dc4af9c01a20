/* test_csv.c — Criterion suite for the CSV reader: RFC 4180 details, sniffing,
 * headers, missing tokens, encodings, gzip, chunked multi-threaded parsing,
 * skip_errors, the data-driven bad-input cases in tests/data/csv/invalid
 * (AML_CSV_INVALID_DIR overrides the folder), the bundled data sets, the frame
 * API (cells, set_type, select, slice) and allocation failures. */
#include <criterion/criterion.h>

#include "aml.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* The bundled data sets (share/data, read from the repository root). */
#define BANK_FULL "share/data/bank-marketing.csv.gz"
#define HAPPYDB "share/data/happydb-claff-train.csv.gz"

static aml_frame *read_str(const char *text, const aml_csv_options *o, aml_csv_report **rep)
{
    aml_frame *f = NULL;
    aml_error e = {0};
    int rc = aml_csv_read_buffer(text, strlen(text), "t", o, &f, rep, &e);
    cr_assert_eq(rc, 0, "read failed: %d %ld:%ld %s", rc, e.line, e.column, e.text);
    return f;
}

static char *cell(const aml_frame *f, size_t c, size_t r)
{
    static char buf[256];
    aml_frame_cell_str(f, c, r, buf, sizeof buf);
    return buf;
}

/* What a frame holds: 8 bytes per number, the text of a text column, the
 * levels of a categorical one once; ten times the rows, about ten times
 * the bytes. */
Test(csv, memory_size_counts_values_text_and_levels)
{
    cr_assert_eq(aml_frame_memory_size(NULL), 0);
    size_t sizes[2];
    for (int k = 0; k < 2; k++) {
        size_t rows = k ? 10000 : 1000, cap = rows * 80 + 64, len = 0;
        char *text = malloc(cap);
        aml_csv_options o = aml_csv_options_default();
        o.types = "note:text";
        len += (size_t)snprintf(text, cap, "x,level,note\n");
        for (size_t i = 0; i < rows; i++)
            len += (size_t)snprintf(text + len, cap - len, "%zu.5,%s,note number %zu here\n", i,
                                    i % 2 ? "odd" : "even", i);
        aml_frame *f = read_str(text, &o, NULL);
        sizes[k] = aml_frame_memory_size(f);
        size_t note_bytes = rows * 16;   /* "note number N here" is 16 bytes and more */
        cr_assert_geq(sizes[k], rows * sizeof(double) + rows * 1 + note_bytes,
                      "%zu rows: %zu bytes", rows, sizes[k]);
        cr_assert_lt(sizes[k], 4 * len, "%zu rows: %zu bytes for %zu bytes of CSV", rows,
                     sizes[k], len);
        aml_frame_free(f);
        free(text);
    }
    cr_assert(sizes[1] > 8 * sizes[0] && sizes[1] < 12 * sizes[0], "%zu vs %zu", sizes[1],
              sizes[0]);
}

Test(csv, rfc4180_quotes_escapes_newlines_crlf)
{
    const char *t = "name,quote,n\r\n\"Smith, J\",\"He said \"\"hi\"\"\",1\r\n"
                    "\"multi\nline\",\"\",2\r\nplain,x,3\r\n";
    aml_frame *f = read_str(t, NULL, NULL);
    cr_assert_eq(aml_frame_nrows(f), 3);
    cr_assert_eq(aml_frame_ncols(f), 3);
    cr_expect_str_eq(cell(f, 0, 0), "Smith, J");
    cr_expect_str_eq(cell(f, 1, 0), "He said \"hi\"");
    cr_expect_str_eq(cell(f, 0, 1), "multi\nline");
    cr_expect_eq(aml_frame_cell_state(f, 1, 1), AML_CELL_MISSING);
    cr_expect_eq(aml_frame_col_type(f, 2), AML_TYPE_INTEGER);
    cr_expect_eq(aml_frame_get_number(f, 2, 2), 3.0);
    aml_frame_free(f);
}

Test(csv, bom_and_sniffed_delimiters)
{
    static const char seps[] = {',', ';', '\t', '|'};
    for (size_t k = 0; k < 4; k++) {
        char t[256];
        snprintf(t, sizeof t, "\xEF\xBB\xBF" "a%cb%cc\n1%c2.5%cx\n3%c4%cy\n", seps[k], seps[k], seps[k],
                 seps[k], seps[k], seps[k]);
        aml_csv_report *rep;
        aml_frame *f = read_str(t, NULL, &rep);
        cr_expect_eq(aml_csv_report_delimiter(rep), seps[k], "sep %d", seps[k]);
        cr_expect_eq(aml_frame_ncols(f), 3);
        cr_expect_str_eq(aml_frame_col_name(f, 0), "a");
        cr_expect_eq(aml_frame_col_type(f, 1), AML_TYPE_NUMBER);
        aml_csv_report_free(rep);
        aml_frame_free(f);
    }
}

Test(csv, header_detection_and_override)
{
    aml_csv_report *rep;
    aml_frame *f = read_str("1,2\n3,4\n", NULL, &rep);
    cr_expect(!aml_csv_report_has_header(rep));
    cr_expect_eq(aml_frame_nrows(f), 2);
    cr_expect_str_eq(aml_frame_col_name(f, 1), "column_2");
    aml_csv_report_free(rep);
    aml_frame_free(f);

    f = read_str("city,country\nParis,France\nRome,Italy\n", NULL, &rep);
    cr_expect(aml_csv_report_has_header(rep));
    cr_expect_eq(aml_frame_nrows(f), 2);
    aml_csv_report_free(rep);
    aml_frame_free(f);

    /* A first row that repeats in the data is data. */
    f = read_str("red,big\nblue,small\nred,small\n", NULL, &rep);
    cr_expect(!aml_csv_report_has_header(rep));
    cr_expect_eq(aml_frame_nrows(f), 3);
    aml_csv_report_free(rep);
    aml_frame_free(f);

    aml_csv_options o = aml_csv_options_default();
    o.header = AML_CSV_HEADER_NO;
    f = read_str("a,b\n1,2\n", &o, NULL);
    cr_expect_eq(aml_frame_nrows(f), 2);
    aml_frame_free(f);
    o.header = AML_CSV_HEADER_YES;
    f = read_str("1,2\n3,4\n", &o, NULL);
    cr_expect_eq(aml_frame_nrows(f), 1);
    cr_expect_str_eq(aml_frame_col_name(f, 0), "1");
    aml_frame_free(f);
}

Test(csv, duplicate_and_empty_names_are_renamed_with_a_note)
{
    aml_csv_report *rep;
    aml_frame *f = read_str("x,x,,y\n1,2,3,4\n5,6,7,8\n", NULL, &rep);
    cr_expect_str_eq(aml_frame_col_name(f, 0), "x");
    cr_expect_str_eq(aml_frame_col_name(f, 1), "x_2");
    cr_expect_str_eq(aml_frame_col_name(f, 2), "column_3");
    cr_expect_geq(aml_csv_report_note_count(rep), 2);
    cr_expect(strstr(aml_csv_report_note(rep, 0), "duplicate") != NULL);
    aml_csv_report_free(rep);
    aml_frame_free(f);
}

Test(csv, missing_tokens_builtin_and_extra)
{
    const char *t = "v,w\n1,a\n,b\nNA,c\nN/A,d\nNaN,e\nnull,f\nNone,g\n?,h\n-,i\n9,j\n";
    aml_frame *f = read_str(t, NULL, NULL);
    /* "-" is not a missing token by default: one invalid value in a number
     * column of 3 values is more than 5 %, so the column is categorical. */
    cr_expect_eq(aml_frame_col_missing(f, 0), 7);
    aml_frame_free(f);
    aml_csv_options o = aml_csv_options_default();
    o.missing = "-,n.a.";
    f = read_str(t, &o, NULL);
    cr_expect_eq(aml_frame_col_type(f, 0), AML_TYPE_INTEGER);
    cr_expect_eq(aml_frame_col_missing(f, 0), 8);
    cr_expect_eq(aml_frame_get_number(f, 0, 9), 9.0);
    cr_expect(isnan(aml_frame_get_number(f, 0, 1)));
    aml_frame_free(f);
}

Test(csv, latin1_is_converted_with_a_note)
{
    aml_csv_report *rep;
    aml_frame *f = read_str("name,city\nJos\xe9,Z\xfcrich\nAnn,Caf\xe9 \x80\n", NULL, &rep);
    cr_expect(aml_csv_report_transcoded(rep));
    cr_expect_str_eq(cell(f, 0, 0), "Jos\xc3\xa9");
    cr_expect_str_eq(cell(f, 1, 0), "Z\xc3\xbcrich");
    cr_expect_str_eq(cell(f, 1, 1), "Caf\xc3\xa9 \xe2\x82\xac");
    cr_assert_geq(aml_csv_report_note_count(rep), 1);
    cr_expect(strstr(aml_csv_report_note(rep, 0), "Windows-1252") != NULL);
    cr_expect(strstr(aml_csv_report_note(rep, 0), "line 2") != NULL);
    aml_csv_report_free(rep);
    aml_frame_free(f);
    /* Valid UTF-8 is left alone. */
    f = read_str("n\nJos\xc3\xa9\n", NULL, &rep);
    cr_expect(!aml_csv_report_transcoded(rep));
    aml_csv_report_free(rep);
    aml_frame_free(f);
}

Test(csv, gzip_file)
{
    const char *path = "build/test_csv_gz.csv.gz";
    gzFile gz = gzopen(path, "wb");
    cr_assert(gz);
    gzputs(gz, "a;b\n1;x\n2;y\n3;x\n");
    gzclose(gz);
    aml_frame *f;
    aml_error e;
    cr_assert_eq(aml_csv_read(path, NULL, &f, NULL, &e), 0, "%s", e.text);
    cr_expect_eq(aml_frame_nrows(f), 3);
    cr_expect_eq(aml_frame_col_type(f, 0), AML_TYPE_INTEGER);
    cr_expect_eq(aml_frame_cat_count(f, 1), 2);
    aml_frame_free(f);
    remove(path);
}

Test(csv, missing_file)
{
    aml_frame *f = (aml_frame *)1;
    aml_error e;
    cr_expect_eq(aml_csv_read("no/such/file.csv", NULL, &f, NULL, &e), AML_ENOENT);
    cr_expect_null(f);
}

/* A multi-megabyte file parsed with 1 and 2 threads must give identical frames,
 * including a quoted newline near every chunk boundary. */
/* A text over 16 MiB is checked for UTF-8 on two threads: a Windows-1252
 * byte in either half, or a character across the middle, is still found. */
Test(csv, large_text_is_checked_on_two_threads)
{
    size_t rows = 1100000, cap = rows * 32 + 64, len = 0;
    char *t = malloc(cap);
    len += (size_t)sprintf(t + len, "id,city\n");
    for (size_t i = 0; i < rows; i++)
        len += (size_t)sprintf(t + len, "%zu,Z\xc3\xbcrich %zu\n", i, i % 7);
    cr_assert_gt(len, (size_t)16 << 20);
    aml_frame *f;
    aml_csv_report *rep;
    aml_error e;
    cr_assert_eq(aml_csv_read_buffer(t, len, "big", NULL, &f, &rep, &e), 0, "%s", e.text);
    cr_expect(!aml_csv_report_transcoded(rep));
    cr_expect_str_eq(cell(f, 1, rows / 2), "Z\xc3\xbcrich 3");   /* 550000 % 7 */
    aml_csv_report_free(rep);
    aml_frame_free(f);
    /* a Latin-1 byte late in the second half: converted, and its line named */
    char *late = strstr(t + len - 200, "Z\xc3\xbc");
    cr_assert_not_null(late);
    late[1] = '\xfc';
    late[2] = 'x';
    cr_assert_eq(aml_csv_read_buffer(t, len, "big", NULL, &f, &rep, &e), 0, "%s", e.text);
    cr_expect(aml_csv_report_transcoded(rep));
    const char *line = late;
    while (line[-1] != '\n')
        line--;
    size_t row = (size_t)strtoul(line, NULL, 10);
    char want[64];
    snprintf(want, sizeof want, "line %zu", row + 2);
    cr_expect(strstr(aml_csv_report_note(rep, 0), want) != NULL, "%s", aml_csv_report_note(rep, 0));
    aml_csv_report_free(rep);
    aml_frame_free(f);
    free(t);
}

Test(csv, chunked_parse_matches_single_thread)
{
    size_t rows = 60000, cap = rows * 64 + 64, len = 0;
    char *t = malloc(cap);
    len += (size_t)sprintf(t + len, "id,x,cat,note\n");
    for (size_t i = 0; i < rows; i++)
        len += (size_t)sprintf(t + len, "%zu,%zu.25,c%zu,\"line\n%zu, \"\"q\"\"\"\n", i, i % 1000,
                               i % 13, i);
    aml_frame *f1, *f2;
    aml_error e;
    aml_csv_options o = aml_csv_options_default();
    o.threads = 1;
    cr_assert_eq(aml_csv_read_buffer(t, len, "big", &o, &f1, NULL, &e), 0, "%s", e.text);
    o.threads = 4;
    cr_assert_eq(aml_csv_read_buffer(t, len, "big", &o, &f2, NULL, &e), 0, "%s", e.text);
    cr_assert_eq(aml_frame_nrows(f1), rows);
    cr_assert_eq(aml_frame_nrows(f2), rows);
    cr_expect(aml_frame_col_flags(f1, 0) & AML_COL_ID);
    char a[64], b[64];
    for (size_t r = 0; r < rows; r += 997)
        for (size_t c = 0; c < 4; c++) {
            aml_frame_cell_str(f1, c, r, a, sizeof a);
            aml_frame_cell_str(f2, c, r, b, sizeof b);
            cr_expect_str_eq(a, b, "row %zu col %zu", r, c);
        }
    snprintf(a, sizeof a, "line\n%zu, \"q\"", rows - 1);
    cr_expect_str_eq(aml_frame_get_string(f2, 3, rows - 1), a);
    cr_expect_eq(aml_frame_get_number(f2, 0, rows - 1), (double)(rows - 1));
    /* An error deep in the second half is found with its line. */
    aml_frame_free(f1);
    len += (size_t)sprintf(t + len, "1,2\n");
    aml_frame *f3 = NULL;
    cr_expect_eq(aml_csv_read_buffer(t, len, "big", &o, &f3, NULL, &e), AML_EPARSE);
    cr_expect_null(f3);
    cr_expect_eq(e.line, (long)(rows * 2 + 2));
    cr_expect_eq(e.column, 3);
    cr_expect_str_eq(e.source, "cat");
    aml_frame_free(f2);
    free(t);
}

/* The sample's rows (read first, as text) become the frame's first rows:
 * they must be typed, counted and reported exactly like the rows after them. */
Test(csv, sampled_rows_are_read_like_the_others)
{
    size_t rows = 3000, cap = rows * 64 + 64, len = 0;
    char *t = malloc(cap);
    len += (size_t)sprintf(t + len, "age,when,score,cat,label\n");
    for (size_t i = 0; i < rows; i++) {
        char age[16];
        if (i == 5 || i == 1500)
            snprintf(age, sizeof age, "unknown");
        else
            snprintf(age, sizeof age, "%zu", i % 90);
        len += (size_t)sprintf(t + len, "%s,2020-01-%02zu,%s,%s,\"%s\"\n", age, i % 28 + 1,
                               i % 100 == 3 ? "NA" : i % 10 == 4 ? " 7 " : "2.5",
                               i % 3 ? "a" : "b", i % 2 ? "yes" : "no");
    }
    aml_csv_options o = aml_csv_options_default();
    o.sample = 1000;
    aml_csv_report *rep = NULL;
    aml_frame *f = NULL;
    aml_error e;
    cr_assert_eq(aml_csv_read_buffer(t, len, "s", &o, &f, &rep, &e), 0, "%s", e.text);
    cr_assert_eq(aml_frame_nrows(f), rows);
    cr_expect_eq(aml_frame_col_type(f, 0), AML_TYPE_INTEGER);
    cr_expect_eq(aml_frame_col_type(f, 1), AML_TYPE_DATETIME);
    cr_expect_eq(aml_frame_col_type(f, 2), AML_TYPE_NUMBER);
    cr_expect_eq(aml_frame_col_type(f, 3), AML_TYPE_CATEGORICAL);
    cr_expect_eq(aml_frame_col_invalid(f, 0), 2);
    cr_expect_eq(aml_frame_col_missing(f, 2), rows / 100);
    cr_expect_eq(aml_frame_cell_state(f, 0, 5), AML_CELL_INVALID);
    cr_expect_eq(aml_frame_cell_state(f, 0, 1500), AML_CELL_INVALID);
    cr_expect_str_eq(aml_frame_get_invalid_text(f, 0, 5), "unknown");
    cr_expect_str_eq(aml_frame_get_invalid_text(f, 0, 1500), "unknown");
    for (size_t r = 0; r < rows; r += 7) {
        if (r != 5 && r != 1500)
            cr_expect_eq(aml_frame_get_number(f, 0, r), (double)(r % 90), "row %zu", r);
        if (r % 100 == 3)
            cr_expect_eq(aml_frame_cell_state(f, 2, r), AML_CELL_MISSING, "row %zu", r);
        else
            cr_expect_eq(aml_frame_get_number(f, 2, r), r % 10 == 4 ? 7.0 : 2.5, "row %zu", r);
        cr_expect_str_eq(cell(f, 3, r), r % 3 ? "a" : "b");
        cr_expect_str_eq(cell(f, 4, r), r % 2 ? "yes" : "no");
    }
    const int64_t *when = aml_frame_col_integers(f, 1);
    cr_expect_eq(when[999], when[999 + 28 * 20]);
    cr_expect_eq(aml_frame_cat_count(f, 3), 2);
    bool noted = false;
    for (size_t i = 0; i < aml_csv_report_note_count(rep); i++)
        noted |= strstr(aml_csv_report_note(rep, i), "'unknown' on line 7") != NULL;
    cr_expect(noted, "no note names line 7");
    aml_csv_report_free(rep);
    aml_frame_free(f);
    free(t);
}

Test(csv, skip_errors_counts_bad_rows)
{
    aml_csv_options o = aml_csv_options_default();
    o.skip_errors = true;
    aml_csv_report *rep;
    aml_frame *f = read_str("a,b\n1,2\n3\n4,5,6\n7,8\n", &o, &rep);
    cr_expect_eq(aml_frame_nrows(f), 2);
    cr_expect_eq(aml_csv_report_rows_skipped(rep), 2);
    cr_expect_eq(aml_frame_get_number(f, 1, 1), 8.0);
    bool noted = false;
    for (size_t i = 0; i < aml_csv_report_note_count(rep); i++)
        noted |= strstr(aml_csv_report_note(rep, i), "skipped 2 bad rows (first on line 3)") != NULL;
    cr_expect(noted);
    aml_csv_report_free(rep);
    aml_frame_free(f);
}

Test(csv, blank_lines_and_lone_cr)
{
    aml_frame *f = read_str("a,b\r\r1,2\r\r\n3,4\r", NULL, NULL);
    cr_expect_eq(aml_frame_nrows(f), 2);
    cr_expect_eq(aml_frame_get_number(f, 0, 1), 3.0);
    aml_frame_free(f);
}

Test(csv, bad_options)
{
    aml_frame *f;
    aml_error e;
    aml_csv_options o = aml_csv_options_default();
    o.types = "a:banana";
    cr_expect_eq(aml_csv_read_buffer("a,b\n1,2\n", 8, NULL, &o, &f, NULL, &e), AML_EINVAL);
    cr_expect(strstr(e.text, "banana") != NULL);
    o.types = "zz:integer";
    cr_expect_eq(aml_csv_read_buffer("a,b\n1,2\n", 8, NULL, &o, &f, NULL, &e), AML_EINVAL);
    cr_expect_str_eq(e.source, "zz");
    cr_expect_eq(aml_csv_read_buffer(NULL, 3, NULL, NULL, &f, NULL, &e), AML_EINVAL);
}

/* ---- data-driven bad inputs ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, fp);
    b[*len] = '\0';
    fclose(fp);
    return b;
}

Test(csv, invalid_cases)
{
    const char *dir = getenv("AML_CSV_INVALID_DIR");
    if (!dir)
        dir = "tests/data/csv/invalid";
    DIR *d = opendir(dir);
    cr_assert(d, "cannot open %s (run from the repository root)", dir);
    struct dirent *de;
    size_t cases = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char p[512];
        size_t ilen, elen;
        snprintf(p, sizeof p, "%s/%s/input", dir, de->d_name);
        char *in = slurp(p, &ilen);
        snprintf(p, sizeof p, "%s/%s/expected-error", dir, de->d_name);
        char *exp = slurp(p, &elen);
        cr_assert(in && exp, "case %s lacks input or expected-error", de->d_name);
        long line, col;
        int off = 0;
        cr_assert_eq(sscanf(exp, "%ld:%ld: %n", &line, &col, &off), 2, "case %s", de->d_name);
        char *msg = exp + off;
        msg[strcspn(msg, "\n")] = '\0';
        for (int threads = 1; threads <= 2; threads++) {
            aml_csv_options o = aml_csv_options_default();
            o.threads = threads;
            aml_frame *f = NULL;
            aml_error e;
            memset(&e, 0, sizeof e);
            int rc = aml_csv_read_buffer(in, ilen, de->d_name, &o, &f, NULL, &e);
            cr_expect_lt(rc, 0, "case %s: accepted", de->d_name);
            cr_expect_null(f);
            cr_expect_eq(e.code, rc, "case %s", de->d_name);
            cr_expect_eq(e.line, line, "case %s: line %ld, expected %ld (%s)", de->d_name, e.line,
                         line, e.text);
            cr_expect_eq(e.column, col, "case %s: column %ld, expected %ld (%s)", de->d_name,
                         e.column, col, e.text);
            cr_expect(strstr(e.text, msg) != NULL, "case %s: message '%s', expected '%s'",
                      de->d_name, e.text, msg);
            aml_frame_free(f);
        }
        free(in);
        free(exp);
        cases++;
    }
    closedir(d);
    cr_expect_geq(cases, 15, "only %zu cases", cases);
}

/* ---- bundled data sets ---- */

Test(csv, bank_full_types)
{
    aml_frame *f;
    aml_csv_report *rep;
    aml_error e;
    cr_assert_eq(aml_csv_read(BANK_FULL, NULL, &f, &rep, &e), 0, "%s", e.text);
    cr_expect_eq(aml_frame_nrows(f), 45211);
    cr_assert_eq(aml_frame_ncols(f), 17);
    cr_expect_eq(aml_csv_report_delimiter(rep), ';');
    static const char *ints[] = {"age", "balance", "day", "duration", "campaign", "pdays", "previous"};
    for (size_t j = 0; j < 17; j++) {
        const char *name = aml_frame_col_name(f, j);
        bool is_int = false;
        for (size_t k = 0; k < 7; k++)
            is_int |= strcmp(name, ints[k]) == 0;
        cr_expect_eq(aml_frame_col_type(f, j), is_int ? AML_TYPE_INTEGER : AML_TYPE_CATEGORICAL,
                     "column %s is %s", name, aml_type_name(aml_frame_col_type(f, j)));
        cr_expect_eq(aml_frame_col_missing(f, j) + aml_frame_col_invalid(f, j), 0, "%s", name);
    }
    long y = aml_frame_col_index(f, "y");
    cr_assert_geq(y, 0);
    cr_expect_eq(aml_frame_cat_count(f, (size_t)y), 2);
    cr_expect_str_eq(aml_frame_get_string(f, (size_t)y, 0), "no");
    cr_expect_eq(aml_frame_get_number(f, 0, 0), 58.0);
    cr_expect_eq(aml_frame_get_number(f, 5, 45210), 2971.0); /* last row's balance */
    aml_csv_report_free(rep);
    aml_frame_free(f);
}

Test(csv, happydb_types)
{
    aml_frame *f;
    aml_csv_report *rep;
    aml_error e;
    cr_assert_eq(aml_csv_read(HAPPYDB, NULL, &f, &rep, &e), 0, "%s", e.text);
    cr_expect_eq(aml_frame_nrows(f), 10560);
    long moment = aml_frame_col_index(f, "moment"), age = aml_frame_col_index(f, "age");
    cr_assert(moment >= 0 && age >= 0);
    cr_expect_eq(aml_frame_col_type(f, (size_t)moment), AML_TYPE_TEXT);
    cr_expect_eq(aml_frame_col_type(f, (size_t)age), AML_TYPE_NUMBER);
    cr_expect_eq(aml_frame_col_invalid(f, (size_t)age), 2);
    cr_expect_eq(aml_frame_col_missing(f, (size_t)age), 9);
    cr_expect(aml_frame_col_flags(f, 0) & AML_COL_ID, "hmid is an ID");
    size_t prefer = 0;
    for (size_t r = 0; r < aml_frame_nrows(f); r++) {
        const char *t = aml_frame_get_invalid_text(f, (size_t)age, r);
        prefer += t && strcmp(t, "prefer not to say") == 0;
    }
    cr_expect_eq(prefer, 2);
    aml_csv_report_free(rep);
    aml_frame_free(f);
}

/* ---- frame API ---- */

Test(frame, set_type_select_slice)
{
    aml_frame *f = read_str("id,v,c\n1,10,a\n2,x,b\n3,30,a\n4,40,c\n5,50,a\n", NULL, NULL);
    /* v: 1 of 5 non-numeric (20 %) -> categorical. */
    cr_assert_eq(aml_frame_col_type(f, 1), AML_TYPE_CATEGORICAL);
    size_t inv = 99;
    cr_assert_eq(aml_frame_set_type(f, 1, AML_TYPE_INTEGER, &inv, NULL), 0);
    cr_expect_eq(inv, 1);
    cr_expect_eq(aml_frame_cell_state(f, 1, 1), AML_CELL_INVALID);
    cr_expect_str_eq(cell(f, 1, 1), "x");
    cr_expect_eq(aml_frame_get_number(f, 1, 4), 50.0);
    /* And back: the invalid text survives. */
    cr_assert_eq(aml_frame_set_type(f, 1, AML_TYPE_TEXT, &inv, NULL), 0);
    cr_expect_eq(inv, 0);
    cr_expect_str_eq(aml_frame_get_string(f, 1, 1), "x");
    cr_expect_str_eq(aml_frame_get_string(f, 1, 0), "10");
    size_t cols[] = {2, 0};
    aml_frame *s;
    cr_assert_eq(aml_frame_select(f, cols, 2, &s), 0);
    cr_expect_str_eq(aml_frame_col_name(s, 0), "c");
    cr_expect_eq(aml_frame_nrows(s), 5);
    aml_frame *sl;
    cr_assert_eq(aml_frame_slice(s, 3, 100, &sl), 0);
    cr_expect_eq(aml_frame_nrows(sl), 2);
    cr_expect_str_eq(aml_frame_get_string(sl, 0, 0), "c");
    cr_expect_eq(aml_frame_get_number(sl, 1, 1), 5.0);
    size_t dup[] = {0, 0};
    aml_frame *bad;
    cr_expect_eq(aml_frame_select(f, dup, 2, &bad), AML_EINVAL);
    aml_frame_free(sl);
    aml_frame_free(s);
    aml_frame_free(f);
    aml_frame_free(NULL);
    aml_csv_report_free(NULL);
}

/* Allocation failures of the reader: tests/unit/test_chaos.c. */

Test(csv, devices_and_pipes_are_refused_without_waiting)
{
    /* a FIFO with no writer would block a plain open(); /dev/zero never ends */
    char fifo[64];
    snprintf(fifo, sizeof fifo, "/tmp/aml-test-fifo-%d", (int)getpid());
    unlink(fifo);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    const char *paths[] = {fifo, "/dev/zero", "/dev/null"};
    for (size_t i = 0; i < 3; i++) {
        aml_frame *f = NULL;
        aml_error err;
        cr_assert_eq(aml_csv_read(paths[i], NULL, &f, NULL, &err), AML_EIO, "%s", paths[i]);
        cr_assert_null(f);
        cr_assert(strstr(err.text, "not a regular file"), "%s: %s", paths[i], err.text);
    }
    unlink(fifo);
}

Test(csv, a_file_larger_than_memory_is_refused_before_reading)
{
    /* 2,000 rows of text, plain and gzip, against a 4 KB allowance */
    char path[64], gzpath[64];
    snprintf(path, sizeof path, "/tmp/aml-big-%d.csv", (int)getpid());
    snprintf(gzpath, sizeof gzpath, "/tmp/aml-big-%d.csv.gz", (int)getpid());
    FILE *f = fopen(path, "w");
    gzFile gz = gzopen(gzpath, "wb");
    cr_assert(f && gz);
    fputs("a,b\n", f);
    gzputs(gz, "a,b\n");
    for (int i = 0; i < 2000; i++) {
        fprintf(f, "%d,%d\n", i, i * 7);
        gzprintf(gz, "%d,%d\n", i, i * 7);
    }
    fclose(f);
    gzclose(gz);
    const char *paths[] = {path, gzpath};
    for (size_t i = 0; i < 2; i++) {
        aml_csv_options o = aml_csv_options_default();
        o.max_memory = 4096;
        aml_frame *fr = NULL;
        aml_error err;
        cr_assert_eq(aml_csv_read(paths[i], &o, &fr, NULL, &err), AML_ENOMEM, "%s", paths[i]);
        cr_assert_null(fr);
        cr_assert(strstr(err.text, "needs about") && strstr(err.text, "free"), "%s", err.text);
        o.max_memory = 0;   /* the memory available: fits */
        cr_assert_eq(aml_csv_read(paths[i], &o, &fr, NULL, &err), 0, "%s", err.text);
        cr_assert_eq(aml_frame_nrows(fr), 2000);
        aml_frame_free(fr);
    }
    unlink(path);
    unlink(gzpath);
}
