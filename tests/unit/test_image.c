/* test_image.c — the image reader (engine/data/image_*.c): PNG and JPEG
 * decoding, resizing, the folder / CSV / IDX layouts, broken files reported
 * by path, a forged IDX header refused, and Fashion-MNIST when installed.
 * Every fixture is written by the test into a temporary folder. */

#include "testutil.h"
#include <criterion/redirect.h>
#include "data/data_internal.h"

#include <ftw.h>
#include <jpeglib.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char tmp[64];

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void setup(void)
{
    cr_assert_eq(tu_temp_dir("aml-test-image", tmp, sizeof tmp), 0);
}

static void teardown(void)
{
    nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(image, .init = setup, .fini = teardown);

/* ---- fixtures ---- */

static const char *at(const char *rel)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, rel);
    return buf[k];
}

static void make_dir(const char *rel)
{
    cr_assert_eq(mkdir(at(rel), 0755), 0, "mkdir %s", rel);
}

static int png_channels(int color_type)
{
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGBA: return 4;
    default: return 1;
    }
}

/* A PNG of w x h whose samples are v (w * h * channels, interleaved). */
static void put_png(const char *path, int w, int h, int color_type, int depth,
                    const unsigned *v, const png_color *palette, const png_byte *trns, int np)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(p);
    cr_assert(p && info && !setjmp(png_jmpbuf(p)), "libpng failed writing %s", path);
    png_init_io(p, f);
    png_set_IHDR(p, info, (png_uint_32)w, (png_uint_32)h, depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (palette)
        png_set_PLTE(p, info, palette, np);
    if (trns)
        png_set_tRNS(p, info, trns, np, NULL);
    png_write_info(p, info);
    int ch = png_channels(color_type), bps = depth / 8;
    png_byte row[4096];
    for (int y = 0; y < h; y++) {
        for (int i = 0; i < w * ch; i++) {
            unsigned s = v[(size_t)y * (size_t)w * (size_t)ch + (size_t)i];
            if (bps == 2) {
                row[2 * i] = (png_byte)(s >> 8);
                row[2 * i + 1] = (png_byte)s;
            } else {
                row[i] = (png_byte)s;
            }
        }
        png_write_row(p, row);
    }
    png_write_end(p, NULL);
    png_destroy_write_struct(&p, &info);
    fclose(f);
}

/* A flat grey PNG of w x h, 8-bit. */
static void put_grey(const char *path, int w, int h, unsigned value)
{
    unsigned *v = malloc(sizeof *v * (size_t)w * (size_t)h);
    for (int i = 0; i < w * h; i++)
        v[i] = value;
    put_png(path, w, h, PNG_COLOR_TYPE_GRAY, 8, v, NULL, NULL, 0);
    free(v);
}

static void put_jpeg(const char *path, int w, int h, int comps, const uint8_t *px, int quality)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * (size_t)w * (size_t)comps);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
}

static void put_flat_jpeg(const char *path, int w, int h, uint8_t r, uint8_t g, uint8_t b)
{
    uint8_t *px = malloc((size_t)w * (size_t)h * 3);
    for (int i = 0; i < w * h; i++) {
        px[3 * i] = r;
        px[3 * i + 1] = g;
        px[3 * i + 2] = b;
    }
    put_jpeg(path, w, h, 3, px, 95);
    free(px);
}

static void put_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static size_t largest_alloc;
static void *track_malloc(size_t size, void *user)
{
    (void)user;
    largest_alloc = size > largest_alloc ? size : largest_alloc;
    return malloc(size);
}
static void *track_realloc(void *p, size_t size, void *user)
{
    (void)user;
    largest_alloc = size > largest_alloc ? size : largest_alloc;
    return realloc(p, size);
}
static void track_free(void *p, void *user)
{
    (void)user;
    free(p);
}

/* Big-endian 32 bits (PNG and IDX headers). */
static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static long file_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    return (long)st.st_size;
}

/* Decode a file with the engine's decoder. */
static amlp_image decode(const char *path)
{
    uint8_t *data;
    size_t len;
    char why[200] = "";
    cr_assert_eq(amlp_image_file(path, &data, &len, why, sizeof why), 0, "%s", why);
    amlp_image img;
    int rc = amlp_image_decode(data, len, &img, why, sizeof why);
    amlp_free(data);
    cr_assert_eq(rc, 0, "decoding %s: %s", path, why);
    return img;
}

static aml_images *read_ok(const char *path, aml_images_report **rep)
{
    aml_images *im = NULL;
    aml_error err = {0};
    int rc = aml_images_read(path, NULL, &im, rep, &err);
    cr_assert_eq(rc, 0, "reading %s: %s", path, err.text);
    return im;
}

/* ---- decoding ---- */

Test(image, png_8_and_16_bit_grey_decode_exactly)
{
    unsigned g8[4] = {0, 77, 200, 255}, g16[4] = {0, 77 * 257, 200 * 257, 65535};
    put_png(at("g8.png"), 2, 2, PNG_COLOR_TYPE_GRAY, 8, g8, NULL, NULL, 0);
    put_png(at("g16.png"), 2, 2, PNG_COLOR_TYPE_GRAY, 16, g16, NULL, NULL, 0);
    const char *names[2] = {"g8.png", "g16.png"};
    for (int f = 0; f < 2; f++) {
        amlp_image img = decode(at(names[f]));
        cr_assert_eq(img.c, 1);
        cr_assert_eq(img.w, 2);
        cr_assert_eq(img.h, 2);
        for (int i = 0; i < 4; i++)
            cr_expect_eq(img.px[i], g8[i], "%s pixel %d: %u, not %u", names[f], i, img.px[i],
                         g8[i]);
        amlp_free(img.px);
    }
}

Test(image, png_rgb_rgba_and_grey_alpha_composite_on_white)
{
    unsigned rgb[6] = {10, 20, 30, 250, 128, 0};
    unsigned rgb16[6] = {10 * 257, 20 * 257, 30 * 257, 250 * 257, 128 * 257, 0};
    unsigned rgba[8] = {10, 20, 30, 255, 10, 20, 30, 0};
    unsigned rgba16[8] = {10 * 257, 20 * 257, 30 * 257, 65535, 10 * 257, 20 * 257, 30 * 257, 0};
    unsigned ga[4] = {100, 255, 0, 128};
    put_png(at("rgb.png"), 2, 1, PNG_COLOR_TYPE_RGB, 8, rgb, NULL, NULL, 0);
    put_png(at("rgb16.png"), 2, 1, PNG_COLOR_TYPE_RGB, 16, rgb16, NULL, NULL, 0);
    put_png(at("rgba.png"), 2, 1, PNG_COLOR_TYPE_RGBA, 8, rgba, NULL, NULL, 0);
    put_png(at("rgba16.png"), 2, 1, PNG_COLOR_TYPE_RGBA, 16, rgba16, NULL, NULL, 0);
    put_png(at("ga.png"), 2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, ga, NULL, NULL, 0);
    const uint8_t want_rgb[6] = {10, 20, 30, 250, 128, 0};
    const uint8_t want_rgba[6] = {10, 20, 30, 255, 255, 255};
    const char *files[4] = {"rgb.png", "rgb16.png", "rgba.png", "rgba16.png"};
    for (int f = 0; f < 4; f++) {
        amlp_image img = decode(at(files[f]));
        const uint8_t *want = f < 2 ? want_rgb : want_rgba;
        cr_assert_eq(img.c, 3, "%s: %d channels", files[f], img.c);
        for (int i = 0; i < 6; i++)
            cr_expect_eq(img.px[i], want[i], "%s sample %d: %u, not %u", files[f], i,
                         img.px[i], want[i]);
        amlp_free(img.px);
    }
    amlp_image img = decode(at("ga.png"));
    cr_assert_eq(img.c, 1);
    cr_expect_eq(img.px[0], 100);
    /* 0 at alpha 128 over white: (0 * 128 + 255 * 127 + 127) / 255 = 127 */
    cr_expect_eq(img.px[1], 127, "grey+alpha composite: %u", img.px[1]);
    amlp_free(img.px);
}

Test(image, png_palette_with_transparency_decodes_to_rgb)
{
    png_color pal[3] = {{255, 0, 0}, {0, 0, 255}, {9, 9, 9}};
    png_byte trns[3] = {255, 255, 0};
    unsigned idx[3] = {0, 1, 2};
    put_png(at("pal.png"), 3, 1, PNG_COLOR_TYPE_PALETTE, 8, idx, pal, trns, 3);
    amlp_image img = decode(at("pal.png"));
    cr_assert_eq(img.c, 3);
    const uint8_t want[9] = {255, 0, 0, 0, 0, 255, 255, 255, 255};
    for (int i = 0; i < 9; i++)
        cr_expect_eq(img.px[i], want[i], "palette sample %d: %u, not %u", i, img.px[i], want[i]);
    amlp_free(img.px);
}

Test(image, jpeg_flat_colours_decode_within_two_levels)
{
    put_flat_jpeg(at("c.jpg"), 16, 16, 200, 30, 90);
    uint8_t grey[64];
    memset(grey, 77, sizeof grey);
    put_jpeg(at("g.jpg"), 8, 8, 1, grey, 95);
    amlp_image img = decode(at("c.jpg"));
    cr_assert_eq(img.c, 3);
    cr_assert_eq(img.w, 16);
    const int want[3] = {200, 30, 90};
    for (int i = 0; i < 16 * 16 * 3; i++)
        cr_assert(abs(img.px[i] - want[i % 3]) <= 2, "sample %d: %u, not %d +- 2", i, img.px[i],
                  want[i % 3]);
    amlp_free(img.px);
    img = decode(at("g.jpg"));
    cr_assert_eq(img.c, 1);
    for (int i = 0; i < 64; i++)
        cr_assert(abs(img.px[i] - 77) <= 2, "grey sample %d: %u", i, img.px[i]);
    amlp_free(img.px);
}

/* Damage valid bytes at random (flipped bytes, a cut): every decode returns,
 * with pixels or an error, and nothing is printed. */
static void damage_and_decode(const char *path, int rounds)
{
    uint8_t *good, *bad;
    size_t len;
    char why[200];
    cr_assert_eq(amlp_image_file(path, &good, &len, why, sizeof why), 0);
    bad = malloc(len);
    for (int r = 0; r < rounds; r++) {
        memcpy(bad, good, len);
        for (int k = 0; k < 1 + r % 4; k++)
            bad[(size_t)(tu_uni() * (double)len)] ^= (uint8_t)(1 + tu_uni() * 255);
        size_t cut = r % 3 == 0 ? (size_t)(tu_uni() * (double)len) : len;
        amlp_image img;
        int rc = amlp_image_decode(bad, cut, &img, why, sizeof why);
        cr_assert(rc == 0 || rc == AML_EPARSE || rc == AML_EUNSUPPORTED, "rc %d", rc);
        if (rc == 0)
            cr_assert(img.w > 0 && img.h > 0 && img.px);
        else
            cr_assert(why[0], "an error without a reason");
        amlp_free(rc == 0 ? img.px : NULL);
    }
    free(bad);
    amlp_free(good);
}

Test(image, damaged_png_and_jpeg_bytes_never_crash_or_print, .init = cr_redirect_stderr)
{
    tu_seed(3);   /* the suite's setup made the folder too */
    unsigned v[16 * 16 * 4];
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        v[i] = (unsigned)(tu_uni() * 256);
    put_png(at("n.png"), 16, 16, PNG_COLOR_TYPE_RGBA, 8, v, NULL, NULL, 0);
    uint8_t px[32 * 32 * 3];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (uint8_t)(tu_uni() * 256);
    put_jpeg(at("n.jpg"), 32, 32, 3, px, 80);
    damage_and_decode(at("n.png"), 300);
    damage_and_decode(at("n.jpg"), 300);
    fflush(stderr);
    cr_expect_stderr_eq_str("", "the decoders printed to stderr");
}

/* ---- resizing ---- */

Test(image, resize_averages_areas_when_shrinking_and_interpolates_when_growing)
{
    /* 4x4 made of 2x2 blocks 0, 100 / 200, 40 -> 2x2: each block's value. */
    uint8_t blocks[16], out[16];
    const uint8_t v[4] = {0, 100, 200, 40};
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            blocks[y * 4 + x] = v[(y / 2) * 2 + x / 2];
    cr_assert_eq(amlp_image_resize(blocks, 4, 4, 1, out, 2, 2), 0);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(out[i], v[i], "block %d: %u, not %u", i, out[i], v[i]);
    /* Stripes 0, 255 alternating -> 2 wide: the mean of each pair. */
    uint8_t stripes[8] = {0, 255, 0, 255, 0, 255, 0, 255};
    cr_assert_eq(amlp_image_resize(stripes, 4, 2, 1, out, 2, 1), 0);
    cr_expect(out[0] == 128 && out[1] == 128, "stripes: %u %u", out[0], out[1]);
    /* 3 -> 2 covers one and a half pixels each: (30 + 60/2) / 1.5 = 40. */
    uint8_t three[3] = {30, 60, 90};
    cr_assert_eq(amlp_image_resize(three, 3, 1, 1, out, 2, 1), 0);
    cr_expect(out[0] == 40 && out[1] == 80, "3 to 2: %u %u", out[0], out[1]);
    /* 2 -> 4 bilinear: 0, 64, 191, 255. */
    uint8_t two[2] = {0, 255};
    cr_assert_eq(amlp_image_resize(two, 2, 1, 1, out, 4, 1), 0);
    const uint8_t grown[4] = {0, 64, 191, 255};
    for (int i = 0; i < 4; i++)
        cr_expect_eq(out[i], grown[i], "grown %d: %u, not %u", i, out[i], grown[i]);
    /* Interleaved RGB in, planar out. */
    uint8_t rgb[6] = {1, 2, 3, 4, 5, 6};
    cr_assert_eq(amlp_image_resize(rgb, 2, 1, 3, out, 2, 1), 0);
    const uint8_t planar[6] = {1, 4, 2, 5, 3, 6};
    cr_expect_arr_eq(out, planar, 6);
}

/* ---- the folder layout ---- */

Test(image, folder_per_class_reads_sorted_classes_at_the_median_size)
{
    make_dir("set");
    make_dir("set/zebra");
    make_dir("set/ant");
    put_grey(at("set/zebra/a.png"), 8, 8, 10);
    put_grey(at("set/zebra/b.png"), 16, 16, 20);
    put_grey(at("set/ant/c.png"), 8, 8, 30);
    put_grey(at("set/ant/.hidden.png"), 8, 8, 30);
    aml_images_report *rep = NULL;
    aml_images *im = read_ok(at("set"), &rep);
    cr_assert_eq(aml_images_count(im), 3);
    cr_assert_eq(aml_images_class_count(im), 2);
    cr_expect_str_eq(aml_images_class_name(im, 0), "ant");
    cr_expect_str_eq(aml_images_class_name(im, 1), "zebra");
    cr_expect_eq(aml_images_channels(im), 1);
    cr_expect_eq(aml_images_width(im), 8);
    cr_expect_eq(aml_images_height(im), 8);
    cr_expect_eq(aml_images_label(im, 0), 0);
    cr_expect_eq(aml_images_label(im, 1), 1);
    cr_expect_eq(aml_images_image(im, 0)[0], 30);
    cr_expect_eq(aml_images_image(im, 2)[63], 20, "16x16 shrunk to 8x8 keeps its flat value");
    cr_expect_eq(aml_images_split(im, 0), AML_SPLIT_UNASSIGNED);
    cr_expect_str_eq(aml_images_report_layout(rep), "folder");
    cr_expect_eq(aml_images_report_class_images(rep, 1), 2);
    int mn, med, mx;
    aml_images_report_widths(rep, &mn, &med, &mx);
    cr_expect(mn == 8 && med == 8 && mx == 16, "widths %d %d %d", mn, med, mx);
    cr_expect(strstr(aml_images_report_size_reason(rep), "median"), "%s",
              aml_images_report_size_reason(rep));
    cr_expect_eq(aml_images_report_bytes(rep), aml_images_memory_size(im));
    cr_expect_geq(aml_images_memory_size(im), 3 * 64);
    aml_images_free(im);
    aml_images_report_free(rep);
}

Test(image, grey_mixed_with_colour_makes_every_image_rgb)
{
    make_dir("mix");
    make_dir("mix/a");
    put_grey(at("mix/a/grey.png"), 8, 8, 90);
    put_flat_jpeg(at("mix/a/red.jpg"), 8, 8, 250, 0, 0);
    aml_images *im = read_ok(at("mix"), NULL);
    cr_assert_eq(aml_images_count(im), 2);
    cr_assert_eq(aml_images_channels(im), 3);
    const uint8_t *g = aml_images_image(im, 0);
    cr_expect(g[0] == 90 && g[64] == 90 && g[128] == 90, "grey planes %u %u %u", g[0], g[64],
              g[128]);
    const uint8_t *r = aml_images_image(im, 1);
    cr_expect(abs(r[0] - 250) <= 2 && r[64] <= 2 && r[128] <= 2, "red planes %u %u %u", r[0],
              r[64], r[128]);
    aml_images_free(im);
}

Test(image, large_images_shrink_to_fit_the_maximum_or_the_size_asked)
{
    make_dir("big");
    make_dir("big/a");
    put_grey(at("big/a/1.png"), 100, 50, 5);
    put_grey(at("big/a/2.png"), 200, 100, 5);
    put_grey(at("big/a/3.png"), 100, 50, 5);
    aml_images_report *rep = NULL;
    aml_images *im = read_ok(at("big"), &rep);
    cr_expect_eq(aml_images_width(im), 64);
    cr_expect_eq(aml_images_height(im), 32);
    cr_expect(strstr(aml_images_report_size_reason(rep), "100x50"), "%s",
              aml_images_report_size_reason(rep));
    aml_images_free(im);
    aml_images_report_free(rep);
    aml_images_options o = aml_images_options_default();
    o.width = 20;
    o.height = 10;
    aml_error err = {0};
    cr_assert_eq(aml_images_read(at("big"), &o, &im, NULL, &err), 0, "%s", err.text);
    cr_expect(aml_images_width(im) == 20 && aml_images_height(im) == 10);
    cr_expect_eq(aml_images_image(im, 1)[199], 5);
    aml_images_free(im);
}

static bool skipped(const aml_images_report *rep, const char *path, const char *why_part)
{
    for (size_t i = 0; i < aml_images_report_skip_count(rep); i++)
        if (strcmp(aml_images_report_skip_path(rep, i), path) == 0)
            return strstr(aml_images_report_skip_reason(rep, i), why_part) != NULL;
    return false;
}

/* A noisy JPEG (so it has data to lose), cut in half. */
static void put_truncated_jpeg(const char *path)
{
    uint8_t px[64 * 64 * 3];
    tu_seed(7);
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (uint8_t)(tu_uni() * 256);
    put_jpeg(path, 64, 64, 3, px, 90);
    cr_assert_eq(truncate(path, file_size(path) / 2), 0);
}

/* A PNG whose image data is damaged (its CRC no longer matches). */
static void put_corrupt_png(const char *path)
{
    put_grey(path, 8, 8, 60);
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    fseek(f, file_size(path) - 18, SEEK_SET);   /* inside IDAT, before its CRC and IEND */
    fputc(0x5a, f);
    fclose(f);
}

Test(image, broken_files_are_named_in_the_report_and_the_rest_is_read)
{
    make_dir("bad");
    make_dir("bad/a");
    make_dir("bad/b");
    put_grey(at("bad/a/good1.png"), 8, 8, 1);
    put_grey(at("bad/b/good2.png"), 8, 8, 2);
    put_corrupt_png(at("bad/a/corrupt.png"));
    put_truncated_jpeg(at("bad/b/cut.jpg"));
    put_text(at("bad/b/notes.png"), "this is not an image\n");
    aml_images_report *rep = NULL;
    aml_images *im = read_ok(at("bad"), &rep);
    cr_expect_eq(aml_images_count(im), 2);
    cr_expect_eq(aml_images_report_read(rep), 2);
    cr_expect_eq(aml_images_report_skipped(rep), 3);
    cr_expect(skipped(rep, at("bad/a/corrupt.png"), "PNG"), "corrupt PNG not named");
    cr_expect(skipped(rep, at("bad/b/cut.jpg"), "JPEG"), "truncated JPEG not named");
    cr_expect(skipped(rep, at("bad/b/notes.png"), "not a PNG or JPEG"), "text file not named");
    cr_expect_eq(aml_images_channels(im), 1, "a colour JPEG that failed does not make it RGB");
    cr_expect_eq(aml_images_image(im, 1)[0], 2);
    aml_images_free(im);
    aml_images_report_free(rep);
}

Test(image, png_claiming_a_huge_size_is_refused_before_allocating)
{
    put_grey(at("huge.png"), 8, 8, 1);
    uint8_t *data;
    size_t len;
    char why[200] = "";
    cr_assert_eq(amlp_image_file(at("huge.png"), &data, &len, why, sizeof why), 0);
    put_be32(data + 16, 8000);   /* IHDR width and height: 8000x8000 */
    put_be32(data + 20, 8000);
    put_be32(data + 29, (uint32_t)crc32(0, data + 12, 17));   /* a valid IHDR CRC */
    largest_alloc = 0;
    aml_allocator a = {track_malloc, track_realloc, track_free, NULL};
    aml_allocator_set(&a);
    amlp_image img;
    int rc = amlp_image_decode(data, len, &img, why, sizeof why);
    aml_allocator_set(NULL);
    amlp_free(data);
    cr_expect_eq(rc, AML_EPARSE, "%s", why);
    cr_expect_lt(largest_alloc, (size_t)1 << 20, "largest allocation %zu", largest_alloc);
    cr_expect(strstr(why, "cannot come from"), "%s", why);
}

Test(image, nothing_readable_is_an_empty_error_on_one_line)
{
    make_dir("none");
    make_dir("none/a");
    put_text(at("none/a/x.png"), "hello");
    aml_images *im = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_images_read(at("none"), NULL, &im, NULL, &err), AML_EEMPTY);
    cr_expect_null(im);
    cr_expect(strstr(err.text, "no image could be read") && strstr(err.text, "x.png") &&
                  !strchr(err.text, '\n'),
              "%s", err.text);
}

/* ---- the CSV layout ---- */

Test(image, csv_of_path_label_rows_relative_to_the_csv)
{
    make_dir("c");
    make_dir("c/img");
    put_grey(at("c/img/1.png"), 4, 4, 11);
    put_grey(at("c/img/2.png"), 4, 4, 22);
    put_grey(at("c/img/3.png"), 4, 4, 33);
    put_text(at("c/labels.csv"), "path,label\nimg/1.png,dog\nimg/2.png,cat\n\"img/3.png\",dog\n");
    aml_images_report *rep = NULL;
    aml_images *im = read_ok(at("c/labels.csv"), &rep);
    cr_assert_eq(aml_images_count(im), 3);
    cr_expect_str_eq(aml_images_class_name(im, 0), "cat");
    cr_expect_str_eq(aml_images_class_name(im, 1), "dog");
    const uint32_t want[3] = {1, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        cr_expect_eq(aml_images_label(im, i), want[i]);
        cr_expect_eq(aml_images_split(im, i), AML_SPLIT_UNASSIGNED);
        cr_expect_eq(aml_images_image(im, i)[0], 11 * (i + 1));
    }
    cr_expect_str_eq(aml_images_report_layout(rep), "csv");
    aml_images_free(im);
    aml_images_report_free(rep);
}

Test(image, csv_set_column_fixes_the_split_in_any_case)
{
    make_dir("s");
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "s/%d.png", i);
        put_grey(at(name), 4, 4, (unsigned)i);
    }
    put_text(at("s/third.csv"), "0.png,a,TRAIN\n1.png,b,validation\n2.png,a,Test\n"
                                "3.png,b,\nmissing.png,a,TRAIN\n4.png,a,HOLDOUT\n");
    aml_images_report *rep = NULL;
    aml_images *im = read_ok(at("s/third.csv"), &rep);
    cr_assert_eq(aml_images_count(im), 4);
    const aml_image_split want[4] = {AML_SPLIT_TRAIN, AML_SPLIT_VALIDATION, AML_SPLIT_TEST,
                                     AML_SPLIT_UNASSIGNED};
    for (size_t i = 0; i < 4; i++)
        cr_expect_eq(aml_images_split(im, i), want[i], "image %zu: %s", i,
                     aml_image_split_name(aml_images_split(im, i)));
    cr_expect_eq(aml_images_report_skipped(rep), 2, "a missing file and an unknown set");
    cr_expect(skipped(rep, at("s/missing.png"), "cannot open"));
    aml_images_free(im);
    aml_images_report_free(rep);
    /* AutoML Vision's order: set,path,label. */
    put_text(at("s/first.csv"), "TEST,0.png,a\nTRAIN,1.png,b\n");
    im = read_ok(at("s/first.csv"), NULL);
    cr_assert_eq(aml_images_count(im), 2);
    cr_expect_eq(aml_images_split(im, 0), AML_SPLIT_TEST);
    cr_expect_str_eq(aml_images_class_name(im, aml_images_label(im, 1)), "b");
    aml_images_free(im);
}

/* ---- IDX ---- */

static void put_bytes(const char *path, const void *data, size_t len, bool gz)
{
    if (gz) {
        gzFile g = gzopen(path, "wb");
        cr_assert_not_null(g);
        cr_assert_eq(gzwrite(g, data, (unsigned)len), (int)len);
        gzclose(g);
        return;
    }
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* n images of 3x2 (pixel j of image i: i * 10 + j) and labels i % 3. */
static void put_idx_pair(const char *prefix, uint32_t n, bool gz, uint8_t first)
{
    size_t ilen = 16 + (size_t)n * 6;
    uint8_t *img = calloc(1, ilen), lab[64];
    put_be32(img, 0x803);
    put_be32(img + 4, n);
    put_be32(img + 8, 2);
    put_be32(img + 12, 3);
    for (uint32_t i = 0; i < n; i++)
        for (int j = 0; j < 6; j++)
            img[16 + i * 6 + (uint32_t)j] = (uint8_t)(first + i * 10 + (uint32_t)j);
    put_be32(lab, 0x801);
    put_be32(lab + 4, n);
    for (uint32_t i = 0; i < n; i++)
        lab[8 + i] = (uint8_t)(i % 3);
    char p[256];
    snprintf(p, sizeof p, "%s-images-idx3-ubyte%s", prefix, gz ? ".gz" : "");
    put_bytes(at(p), img, ilen, gz);
    snprintf(p, sizeof p, "%s-labels-idx1-ubyte%s", prefix, gz ? ".gz" : "");
    put_bytes(at(p), lab, 8 + n, gz);
    free(img);
}

Test(image, idx_pair_plain_read_from_one_file)
{
    put_idx_pair("digits", 4, false, 0);
    aml_images_report *rep = NULL;
    aml_images *im = read_ok(at("digits-labels-idx1-ubyte"), &rep);
    cr_assert_eq(aml_images_count(im), 4);
    cr_expect(aml_images_width(im) == 3 && aml_images_height(im) == 2 &&
              aml_images_channels(im) == 1);
    cr_expect_eq(aml_images_image(im, 2)[5], 25);
    cr_expect_eq(aml_images_label(im, 2), 2);
    cr_expect_eq(aml_images_class_count(im), 3);
    cr_expect_str_eq(aml_images_class_name(im, 1), "1");
    cr_expect_eq(aml_images_split(im, 3), AML_SPLIT_UNASSIGNED);
    cr_expect_str_eq(aml_images_report_layout(rep), "idx");
    aml_images_free(im);
    aml_images_report_free(rep);
}

Test(image, idx_folder_of_gzip_pairs_keeps_the_official_split)
{
    put_idx_pair("train", 5, true, 0);
    put_idx_pair("t10k", 2, true, 100);
    aml_images *im = read_ok(tmp, NULL);
    cr_assert_eq(aml_images_count(im), 7);
    for (size_t i = 0; i < 7; i++)
        cr_expect_eq(aml_images_split(im, i), i < 5 ? AML_SPLIT_TRAIN : AML_SPLIT_TEST,
                     "image %zu", i);
    cr_expect_eq(aml_images_image(im, 5)[0], 100, "t10k after train");
    cr_expect_eq(aml_images_image(im, 4)[1], 41);
    aml_images_free(im);
}

Test(image, idx_with_a_forged_huge_count_is_refused_before_allocating)
{
    for (int gz = 0; gz < 2; gz++) {
        put_idx_pair("forged", 3, gz, 0);
        uint8_t img[16 + 18];
        put_be32(img, 0x803);
        put_be32(img + 4, 0x7fffffff);   /* 2^31 images of 28x28 would be 1.6 TB */
        put_be32(img + 8, 28);
        put_be32(img + 12, 28);
        memset(img + 16, 1, 18);
        put_bytes(at(gz ? "forged-images-idx3-ubyte.gz" : "forged-images-idx3-ubyte"), img,
                  sizeof img, gz);
        largest_alloc = 0;
        aml_allocator a = {track_malloc, track_realloc, track_free, NULL};
        aml_allocator_set(&a);
        aml_images *im = NULL;
        aml_error err = {0};
        int rc = aml_images_read(at(gz ? "forged-images-idx3-ubyte.gz" : "forged-images-idx3-ubyte"),
                                 NULL, &im, NULL, &err);
        aml_allocator_set(NULL);
        cr_expect_eq(rc, AML_EPARSE, "gz=%d: %d %s", gz, rc, err.text);
        cr_expect_null(im);
        cr_expect_lt(largest_alloc, (size_t)1 << 20, "largest allocation %zu", largest_alloc);
        cr_expect(strstr(err.text, "forged-images"), "%s", err.text);
    }
}

Test(image, idx_with_a_wrong_magic_number_is_a_parse_error)
{
    put_idx_pair("m", 2, false, 0);
    uint8_t junk[40] = {0, 0, 8, 1};
    put_bytes(at("m-images-idx3-ubyte"), junk, sizeof junk, false);
    aml_images *im = NULL;
    aml_error err = {0};
    cr_expect_eq(aml_images_read(at("m-images-idx3-ubyte"), NULL, &im, NULL, &err), AML_EPARSE);
    cr_expect(strstr(err.text, "magic"), "%s", err.text);
}

/* ---- Fashion-MNIST, when dataset-fashion-mnist is installed ---- */

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

Test(image, fashion_mnist_gives_70000_images_within_80_mb, .timeout = 120)
{
    const char *dir = "/usr/share/datasets/fashion-mnist";
    if (access(dir, R_OK) != 0)
        cr_skip_test("%s is not installed (apt-get install dataset-fashion-mnist)", dir);
    long before = rss_kb();
    aml_images_report *rep = NULL;
    aml_images *im = read_ok(dir, &rep);
    long grown_mb = (rss_kb() - before) / 1024;
    cr_assert_eq(aml_images_count(im), 70000);
    cr_expect(aml_images_width(im) == 28 && aml_images_height(im) == 28 &&
              aml_images_channels(im) == 1);
    size_t test = 0;
    for (size_t i = 0; i < 70000; i++)
        test += aml_images_split(im, i) == AML_SPLIT_TEST;
    cr_expect_eq(test, 10000);
    cr_expect_eq(aml_images_class_count(im), 10);
    cr_expect_str_eq(aml_images_class_name(im, 0), "T-shirt/top");
    cr_expect_str_eq(aml_images_class_name(im, 9), "Ankle boot");
    cr_expect_eq(aml_images_report_class_images(rep, 3), 7000);
    cr_expect_leq(grown_mb, 80, "RSS grew by %ld MB", grown_mb);
    cr_log_info("fashion-mnist: RSS grew by %ld MB, %zu bytes held", grown_mb,
                aml_images_memory_size(im));
    aml_images_free(im);
    aml_images_report_free(rep);
}
