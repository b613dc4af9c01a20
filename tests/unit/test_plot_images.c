/* test_plot_images.c — the image grid (engine/plot/plot_images.c): tiles
 * upscaled by nearest neighbour to exact device pixels, grey and RGB tiles,
 * the size following the grid, and the refusals of bad input. */

#include "testutil.h"

#include <png.h>
#include <string.h>

/* The PNG decoded as 8-bit RGB (caller frees). */
static uint8_t *decode_rgb(const aml_plot_image *img, int *w, int *h)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_memory(&pi, img->png, img->png_size));
    pi.format = PNG_FORMAT_RGB;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(pi));
    cr_assert(png_image_finish_read(&pi, NULL, px, 0, NULL));
    *w = (int)pi.width;
    *h = (int)pi.height;
    return px;
}

static const uint8_t *at(const uint8_t *px, int w, int x, int y)
{
    return px + ((size_t)y * (size_t)w + (size_t)x) * 3;
}

Test(plot_images, grey_tiles_are_upscaled_by_nearest_neighbour)
{
    const uint8_t a[4] = {0, 255, 100, 200}, b[4] = {50, 50, 50, 50};
    const uint8_t *tiles[2] = {a, b};
    aml_plot_tiles_data d = {.tiles = tiles, .rows = 1, .cols = 2, .channels = 1, .width = 2,
                             .height = 2};
    aml_plot_opts o = aml_plot_opts_default();
    o.scale = 1;
    aml_plot_image *img = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_plot_tiles(&o, &d, &img, &err), 0, "%s", err.text);
    /* 2x2 tiles become 48x48 (factor 24); padding 8, gap 4 */
    cr_expect_eq(img->width, 8 + 48 + 4 + 48 + 8);
    cr_expect_eq(img->height, 8 + 48 + 8);
    int w, h;
    uint8_t *px = decode_rgb(img, &w, &h);
    cr_assert_eq(w, img->pixel_width);
    cr_expect_eq(at(px, w, 8, 8)[0], 0, "top-left source pixel");
    cr_expect_eq(at(px, w, 8 + 23, 8 + 23)[0], 0, "still the first source pixel");
    cr_expect_eq(at(px, w, 8 + 24, 8)[1], 255, "the second column starts at 24");
    cr_expect_eq(at(px, w, 8, 8 + 24)[2], 100);
    cr_expect_eq(at(px, w, 8 + 47, 8 + 47)[0], 200);
    cr_expect_eq(at(px, w, 8 + 52, 8 + 10)[0], 50, "the second tile");
    cr_expect_eq(at(px, w, 2, 2)[0], 255, "white margin");
    free(px);
    aml_plot_image_free(img);
}

Test(plot_images, rgb_planes_and_empty_cells)
{
    uint8_t rgb[3 * 28 * 28];
    memset(rgb, 10, 28 * 28);             /* R */
    memset(rgb + 28 * 28, 120, 28 * 28); /* G */
    memset(rgb + 2 * 28 * 28, 230, 28 * 28);
    const uint8_t *tiles[2] = {rgb, NULL};
    aml_plot_tiles_data d = {.tiles = tiles, .rows = 2, .cols = 1, .channels = 3, .width = 28,
                             .height = 28};
    aml_plot_image *img = NULL;
    cr_assert_eq(aml_plot_tiles(NULL, &d, &img, NULL), 0);
    cr_expect_eq(img->height, 8 + 56 + 4 + 56 + 8, "28 px tiles double to 56");
    int w, h;
    uint8_t *px = decode_rgb(img, &w, &h);
    const uint8_t *p = at(px, w, 2 * 20, 2 * 20);   /* scale 2 */
    cr_expect(p[0] == 10 && p[1] == 120 && p[2] == 230, "%d %d %d", p[0], p[1], p[2]);
    p = at(px, w, 2 * 20, 2 * (8 + 56 + 4 + 20));
    cr_expect(p[0] == 255 && p[1] == 255 && p[2] == 255, "an empty cell stays white");
    free(px);
    aml_plot_image_free(img);
}

Test(plot_images, refuses_bad_input)
{
    const uint8_t a[4] = {0};
    const uint8_t *tiles[1] = {a};
    aml_plot_tiles_data d = {.tiles = tiles, .rows = 1, .cols = 1, .channels = 2, .width = 2,
                             .height = 2};
    aml_plot_image *img = (aml_plot_image *)1;
    aml_error err = {0};
    cr_expect_eq(aml_plot_tiles(NULL, &d, &img, &err), AML_EINVAL);
    cr_expect_null(img);
    cr_expect(strstr(err.text, "2 channels") != NULL, "%s", err.text);
    d.channels = 1, d.rows = 0;
    cr_expect_eq(aml_plot_tiles(NULL, &d, &img, &err), AML_EEMPTY);
    d.rows = 1, d.width = 0;
    cr_expect_eq(aml_plot_tiles(NULL, &d, &img, &err), AML_EINVAL);
}
