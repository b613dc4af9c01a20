/* test_infer.c — Criterion suite for type inference: each type's rule, the
 * 95 % numeric rule with INVALID counts, late values that change a sampled
 * type (with a note), forced types, flags, and the value parsers behind them
 * (checked against strtod / a naive civil-date reference). */
#include <criterion/criterion.h>

#include "aml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static aml_frame *rd(const char *t, const aml_csv_options *o, aml_csv_report **rep)
{
    aml_frame *f = NULL;
    aml_error e = {0};
    cr_assert_eq(aml_csv_read_buffer(t, strlen(t), "t", o, &f, rep, &e), 0, "%s", e.text);
    return f;
}

static aml_type type_of(const char *t, size_t col)
{
    aml_frame *f = rd(t, NULL, NULL);
    aml_type ty = aml_frame_col_type(f, col);
    aml_frame_free(f);
    return ty;
}

Test(infer, basic_types)
{
    cr_expect_eq(type_of("h\n1\n-2\n+3\n", 0), AML_TYPE_INTEGER);
    cr_expect_eq(type_of("h\n1\n2.5\n1e3\n", 0), AML_TYPE_NUMBER);
    cr_expect_eq(type_of("h\ntrue\nFALSE\nTrue\n", 0), AML_TYPE_BOOLEAN);
    cr_expect_eq(type_of("h\n0\n1\n1\n", 0), AML_TYPE_INTEGER);
    cr_expect_eq(type_of("h\nyes\nno\nyes\n", 0), AML_TYPE_CATEGORICAL);
    cr_expect_eq(type_of("h\n2020-01-02\n1999-12-31\n", 0), AML_TYPE_DATETIME);
    cr_expect_eq(type_of("h\n2020-01-02T10:11:12Z\n2020-01-02 10:11\n", 0), AML_TYPE_DATETIME);
    cr_expect_eq(type_of("h\n2020-02-30\n2020-01-01\n", 0), AML_TYPE_CATEGORICAL);
    cr_expect_eq(type_of("h\nred\nblue\nred\n", 0), AML_TYPE_CATEGORICAL);
    cr_expect_eq(type_of("h\nI went to the park today\nWe had a lovely dinner out\n"
                         "My dog learned a new trick\n", 0), AML_TYPE_TEXT);
}

Test(infer, numeric_with_few_bad_tokens_counts_invalid)
{
    char t[4096] = "age\n";
    for (int i = 0; i < 40; i++)
        sprintf(t + strlen(t), "%d.0\n", 20 + i);
    strcat(t, "prefer not to say\nNA\n");
    aml_frame *f = rd(t, NULL, NULL);
    cr_expect_eq(aml_frame_col_type(f, 0), AML_TYPE_NUMBER);
    cr_expect_eq(aml_frame_col_invalid(f, 0), 1);
    cr_expect_eq(aml_frame_col_missing(f, 0), 1);
    cr_expect_eq(aml_frame_cell_state(f, 0, 40), AML_CELL_INVALID);
    cr_expect_str_eq(aml_frame_get_invalid_text(f, 0, 40), "prefer not to say");
    aml_frame_free(f);
    /* 3 bad of 20 (15 %) is too many: categorical. */
    strcpy(t, "v\n");
    for (int i = 0; i < 17; i++)
        sprintf(t + strlen(t), "%d\n", i);
    strcat(t, "a\nb\nc\n");
    cr_expect_eq(type_of(t, 0), AML_TYPE_CATEGORICAL);
}

Test(infer, late_values_change_the_type_with_a_note)
{
    aml_csv_options o = aml_csv_options_default();
    o.sample = 50;
    char *t = malloc(1 << 16);
    strcpy(t, "a,b,c\n");
    for (int i = 0; i < 200; i++)
        sprintf(t + strlen(t), "%d,%d,true\n", i, i % 5);
    strcat(t, "7.5,hello,maybe\n");
    for (int i = 0; i < 300; i++)
        sprintf(t + strlen(t), "%d,word%d,false\n", i, i);
    aml_csv_report *rep;
    aml_frame *f = rd(t, &o, &rep);
    cr_expect_eq(aml_frame_col_type(f, 0), AML_TYPE_NUMBER);
    cr_expect_eq(aml_frame_col_type(f, 1), AML_TYPE_CATEGORICAL);
    cr_expect_eq(aml_frame_col_type(f, 2), AML_TYPE_CATEGORICAL);
    for (size_t j = 0; j < 3; j++)
        cr_expect(aml_frame_col_flags(f, j) & AML_COL_DEMOTED, "col %zu", j);
    cr_expect_eq(aml_frame_get_number(f, 0, 200), 7.5);
    cr_expect_str_eq(aml_frame_get_string(f, 1, 0), "0");
    bool seen = false;
    for (size_t i = 0; i < aml_csv_report_note_count(rep); i++)
        seen |= strstr(aml_csv_report_note(rep, i), "column 'a': read as number, not integer") &&
                strstr(aml_csv_report_note(rep, i), "'7.5' on line 202");
    cr_expect(seen);
    aml_csv_report_free(rep);
    aml_frame_free(f);
    free(t);
}

Test(infer, forced_types)
{
    aml_csv_options o = aml_csv_options_default();
    o.types = "zip:categorical,2:boolean,when:text";
    aml_frame *f = rd("zip,ok,when\n02134,yes,2020-01-01\n10001,no,x\n", &o, NULL);
    cr_expect_eq(aml_frame_col_type(f, 0), AML_TYPE_CATEGORICAL);
    cr_expect_str_eq(aml_frame_get_string(f, 0, 0), "02134");
    cr_expect_eq(aml_frame_col_type(f, 1), AML_TYPE_BOOLEAN);
    cr_expect_eq(aml_frame_get_number(f, 1, 0), 1.0);
    cr_expect_eq(aml_frame_col_type(f, 2), AML_TYPE_TEXT);
    cr_expect(aml_frame_col_flags(f, 0) & AML_COL_FORCED);
    aml_frame_free(f);
}

Test(infer, flags)
{
    char t[1 << 15] = "id,const,many,code\n";
    for (int i = 0; i < 300; i++)
        sprintf(t + strlen(t), "%d,k,v%d,c%d\n", 1000 - i, i * 2 / 3, i % 3);
    aml_frame *f = rd(t, NULL, NULL);
    cr_expect(aml_frame_col_flags(f, 0) & AML_COL_ID);
    cr_expect(aml_frame_col_flags(f, 1) & AML_COL_CONSTANT);
    cr_expect(aml_frame_col_flags(f, 2) & AML_COL_HIGH_CARDINALITY);
    cr_expect_eq(aml_frame_col_flags(f, 3) & (AML_COL_ID | AML_COL_CONSTANT | AML_COL_HIGH_CARDINALITY), 0);
    aml_frame_free(f);
}

Test(infer, number_parsing_matches_strtod)
{
    srand(7);
    char s[64];
    for (int i = 0; i < 20000; i++) {
        double v = (rand() / (double)RAND_MAX - 0.5) * pow(10, rand() % 40 - 20);
        int digits = 1 + rand() % 17;
        snprintf(s, sizeof s, (i & 1) ? "%.*g" : "%.*e", digits, v);
        const char *vals[1] = {s};
        aml_frame *f;
        aml_frame_new(&f);
        cr_assert_eq(aml_frame_add_strings(f, "x", AML_TYPE_NUMBER, vals, 1, NULL, NULL), 0);
        double got = aml_frame_get_number(f, 0, 0);
        cr_assert_eq(got, strtod(s, NULL), "%s: %.17g vs %.17g", s, got, strtod(s, NULL));
        aml_frame_free(f);
    }
}

Test(infer, datetime_values_against_naive_reference)
{
    /* Naive reference: count days year by year from 1970. */
    for (int y = 1960; y <= 2040; y += 3)
        for (int m = 1; m <= 12; m += 5) {
            long days = 0;
            for (int yy = 1970; yy < y; yy++)
                days += (yy % 4 == 0 && (yy % 100 || yy % 400 == 0)) ? 366 : 365;
            for (int yy = y; yy < 1970; yy++)
                days -= (yy % 4 == 0 && (yy % 100 || yy % 400 == 0)) ? 366 : 365;
            static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
            for (int mm = 1; mm < m; mm++)
                days += md[mm - 1] + (mm == 2 && y % 4 == 0 && (y % 100 || y % 400 == 0));
            days += 9; /* day 10 */
            char s[64];
            snprintf(s, sizeof s, "%04d-%02d-10T01:02:03+01:00", y, m);
            const char *vals[1] = {s};
            aml_frame *f;
            aml_frame_new(&f);
            cr_assert_eq(aml_frame_add_strings(f, "d", AML_TYPE_DATETIME, vals, 1, NULL, NULL), 0);
            cr_expect_eq(aml_frame_get_number(f, 0, 0), (double)(days * 86400 + 3723 - 3600), "%s", s);
            char back[40];
            aml_frame_cell_str(f, 0, 0, back, sizeof back);
            char want[64];
            snprintf(want, sizeof want, "%04d-%02d-10 00:02:03", y, m);
            cr_expect_str_eq(back, want);
            aml_frame_free(f);
        }
}

Test(infer, add_strings_and_numbers)
{
    aml_frame *f;
    cr_assert_eq(aml_frame_new(&f), 0);
    const char *v[] = {"1", NULL, "x", "NA", "5"};
    size_t inv;
    cr_assert_eq(aml_frame_add_strings(f, "a", AML_TYPE_INTEGER, v, 5, &inv, NULL), 0);
    cr_expect_eq(inv, 1);
    cr_expect_eq(aml_frame_col_missing(f, 0), 2);
    double d[] = {1, NAN, 3, 4, 5};
    cr_assert_eq(aml_frame_add_numbers(f, "b", d, 5, NULL), 0);
    cr_expect_eq(aml_frame_col_missing(f, 1), 1);
    aml_error e;
    cr_expect_eq(aml_frame_add_numbers(f, "c", d, 4, &e), AML_EINVAL);
    cr_expect_eq(aml_frame_add_numbers(f, "a", d, 5, &e), AML_EINVAL);
    aml_type t;
    cr_expect_eq(aml_type_parse("Float", &t), 0);
    cr_expect_eq(t, AML_TYPE_NUMBER);
    cr_expect_eq(aml_type_parse("nope", &t), AML_EINVAL);
    cr_expect_str_eq(aml_type_name(AML_TYPE_DATETIME), "datetime");
    aml_frame_free(f);
}
