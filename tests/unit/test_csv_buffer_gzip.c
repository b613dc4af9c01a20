/* test_csv_buffer_gzip.c — aml_csv_read_buffer on gzip bytes held in memory
 * (how the kernel reads the data sets embedded in its binary). */
#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

#include "aml.h"

static size_t gzip_bytes(const char *text, unsigned char *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)text;
    zs.avail_in = (uInt)strlen(text);
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t n = zs.total_out;
    deflateEnd(&zs);
    return n;
}

Test(csv_buffer_gzip, reads_compressed_bytes_like_plain_ones)
{
    const char *csv = "name;age;member\nann;31;yes\nbob;NA;no\ncid;47;yes\n";
    unsigned char gz[512];
    size_t n = gzip_bytes(csv, gz, sizeof gz);
    aml_frame *f = NULL;
    aml_csv_report *rep = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_csv_read_buffer(gz, n, "people.csv.gz", NULL, &f, &rep, &err), 0, "%s",
                 err.text);
    cr_assert_eq(aml_frame_nrows(f), 3);
    cr_assert_eq(aml_frame_ncols(f), 3);
    cr_assert_eq(aml_frame_col_type(f, 1), AML_TYPE_INTEGER);
    cr_assert_eq(aml_frame_col_missing(f, 1), 1);
    cr_assert_eq(aml_csv_report_delimiter(rep), ';');
    cr_assert_eq(aml_csv_report_bytes(rep), strlen(csv));
    aml_csv_report_free(rep);
    aml_frame_free(f);
}

Test(csv_buffer_gzip, truncated_stream_is_an_error)
{
    const char *csv = "a,b\n1,2\n3,4\n5,6\n7,8\n";
    unsigned char gz[512];
    size_t n = gzip_bytes(csv, gz, sizeof gz);
    aml_frame *f = NULL;
    aml_error err = {0};
    int rc = aml_csv_read_buffer(gz, n / 2, "cut.csv.gz", NULL, &f, NULL, &err);
    cr_assert_eq(rc, AML_EIO);
    cr_assert_null(f);
    cr_assert(strstr(err.text, "gzip") != NULL, "%s", err.text);
}
