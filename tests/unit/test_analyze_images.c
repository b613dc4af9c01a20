/* test_analyze_images.c — %analyze on an image set (engine/analyze/
 * analyze_images.c): class counts and shares, the imbalance rule (smallest
 * class below a fifth of the largest), duplicate groups by pixels with the
 * ones that carry two classes, and the rounded mean image per class.  The
 * image sets are small IDX files the test writes. */

#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char tmp[64];
static char images_path[128], labels_path[128];

static void setup(void)
{
    cr_assert_eq(tu_temp_dir("aml-test-analyze-images", tmp, sizeof tmp), 0);
    snprintf(images_path, sizeof images_path, "%s/set-images-idx3-ubyte", tmp);
    snprintf(labels_path, sizeof labels_path, "%s/set-labels-idx1-ubyte", tmp);
}

static void teardown(void)
{
    remove(images_path);
    remove(labels_path);
    rmdir(tmp);
}

TestSuite(analyze_images, .init = setup, .fini = teardown);

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static void put_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "open %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* n images of 2x2 grey pixels (4 bytes each) and their labels, as an IDX
 * pair read back as an image set. */
static aml_images *idx_set(size_t n, const uint8_t *px, const uint8_t *labels)
{
    uint8_t img[16 + 64 * 4], lab[8 + 64];
    cr_assert(n <= 64);
    put_be32(img, 0x803), put_be32(img + 4, (uint32_t)n);
    put_be32(img + 8, 2), put_be32(img + 12, 2);
    memcpy(img + 16, px, n * 4);
    put_be32(lab, 0x801), put_be32(lab + 4, (uint32_t)n);
    memcpy(lab + 8, labels, n);
    put_file(images_path, img, 16 + n * 4);
    put_file(labels_path, lab, 8 + n);
    aml_images *im = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_images_read(tmp, NULL, &im, NULL, &err), 0, "%s", err.text);
    cr_assert_eq(aml_images_width(im), 2);
    return im;
}

static aml_images_analysis *analyse(const aml_images *im)
{
    aml_images_analysis *a = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_analyze_images(im, &a, &err), 0, "%s", err.text);
    return a;
}

Test(analyze_images, class_counts_shares_and_mean_images)
{
    const uint8_t px[] = {0, 10, 20, 30,   1, 11, 21, 31,   200, 200, 200, 200,
                          100, 0, 0, 255};
    const uint8_t labels[] = {0, 0, 1, 1};
    aml_images *im = idx_set(4, px, labels);
    aml_images_analysis *a = analyse(im);
    cr_assert_eq(aml_images_analysis_classes(a), 2);
    cr_expect_eq(aml_images_analysis_class_images(a, 0), 2);
    cr_expect_eq(aml_images_analysis_class_images(a, 1), 2);
    cr_expect_float_eq(aml_images_analysis_class_share(a, 1), 0.5, 1e-12);
    cr_expect_float_eq(aml_images_analysis_imbalance_ratio(a), 1.0, 1e-12);
    cr_expect_not(aml_images_analysis_imbalanced(a));
    const uint8_t *m0 = aml_images_analysis_mean(a, 0), *m1 = aml_images_analysis_mean(a, 1);
    cr_assert(m0 && m1);
    /* (0 + 1) / 2 rounds half up to 1; (100 + 200) / 2 = 150; (255 + 200) / 2 rounds to 228 */
    cr_expect(m0[0] == 1 && m0[1] == 11 && m0[3] == 31, "%d %d %d", m0[0], m0[1], m0[3]);
    cr_expect(m1[0] == 150 && m1[1] == 100 && m1[3] == 228, "%d %d %d", m1[0], m1[1], m1[3]);
    cr_expect_null(aml_images_analysis_mean(a, 2));
    cr_expect_eq(aml_images_analysis_dup_groups(a), 0);
    aml_images_analysis_free(a);
    aml_images_free(im);
}

Test(analyze_images, duplicates_are_grouped_and_class_conflicts_named)
{
    /* images 1, 4 and 6 are equal (classes 0, 1, 0: a conflict); 2 and 5 are
     * equal within class 1; 3 differs from 2 by one pixel */
    const uint8_t px[] = {9, 9, 9, 9,   1, 2, 3, 4,   5, 5, 5, 5,   5, 5, 5, 6,
                          1, 2, 3, 4,   5, 5, 5, 5,   1, 2, 3, 4};
    const uint8_t labels[] = {0, 0, 1, 1, 1, 1, 0};
    aml_images *im = idx_set(7, px, labels);
    aml_images_analysis *a = analyse(im);
    cr_assert_eq(aml_images_analysis_dup_groups(a), 2);
    cr_expect_eq(aml_images_analysis_dup_images(a), 3, "2 repeats + 1 repeat");
    cr_expect_eq(aml_images_analysis_conflict_groups(a), 1);
    cr_expect_eq(aml_images_analysis_conflict_images(a), 3);
    size_t n = 0;
    const size_t *g = aml_images_analysis_group(a, 0, &n);
    cr_assert_eq(n, 3, "the group of image 1 comes first");
    cr_expect(g[0] == 1 && g[1] == 4 && g[2] == 6);
    cr_expect(aml_images_analysis_group_conflicts(a, 0));
    g = aml_images_analysis_group(a, 1, &n);
    cr_assert_eq(n, 2);
    cr_expect(g[0] == 2 && g[1] == 5);
    cr_expect_not(aml_images_analysis_group_conflicts(a, 1));
    cr_expect_null(aml_images_analysis_group(a, 2, &n));
    cr_expect_eq(n, 0);
    aml_images_analysis_free(a);
    aml_images_free(im);
}

Test(analyze_images, imbalance_when_the_smallest_class_is_below_a_fifth)
{
    uint8_t px[7 * 4], labels[7];
    for (size_t i = 0; i < 7; i++) {
        memset(px + i * 4, (int)(i * 30), 4);
        labels[i] = i < 6 ? 0 : 1;   /* 6 against 1 */
    }
    aml_images *im = idx_set(7, px, labels);
    aml_images_analysis *a = analyse(im);
    cr_expect_float_eq(aml_images_analysis_imbalance_ratio(a), 6.0, 1e-12);
    cr_expect(aml_images_analysis_imbalanced(a));
    aml_images_analysis_free(a);
    aml_images_free(im);
    labels[5] = 1;   /* 5 against 2: not imbalanced */
    im = idx_set(7, px, labels);
    a = analyse(im);
    cr_expect_not(aml_images_analysis_imbalanced(a));
    aml_images_analysis_free(a);
    aml_images_free(im);
}

Test(analyze_images, refuses_no_set)
{
    aml_images_analysis *a = (aml_images_analysis *)1;
    aml_error err = {0};
    cr_expect_eq(aml_analyze_images(NULL, &a, &err), AML_EINVAL);
    cr_expect_null(a);
    cr_expect(strstr(err.text, "no image set") != NULL, "%s", err.text);
    aml_images_analysis_free(NULL);
}
