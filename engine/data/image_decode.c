/* image_decode.c — PNG (libpng) and JPEG (libjpeg-turbo's libjpeg API) from
 * bytes in memory to 8-bit grey or RGB pixels, alpha composited on white.
 * Both libraries report errors by longjmp from callbacks; those callbacks
 * keep the message for the caller and print nothing. */

#include "data/data_internal.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

#define MAX_FILE_BYTES ((size_t)256 << 20)
/* Deflate cannot inflate more than about 1032 bytes per compressed byte. */
#define DEFLATE_MAX_RATIO 1032

static bool is_png(const uint8_t *d, size_t len)
{
    return len >= 8 && png_sig_cmp(d, 0, 8) == 0;
}

static bool is_jpeg(const uint8_t *d, size_t len)
{
    return len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
}

static int size_ok(long w, long h, char *why, size_t cap)
{
    if (w <= 0 || h <= 0 || (size_t)w * (size_t)h > AMLP_IMAGE_MAX_PIXELS) {
        snprintf(why, cap, "image size %ldx%ld out of range", w, h);
        return AML_EPARSE;
    }
    return 0;
}

static int not_an_image(char *why, size_t cap)
{
    snprintf(why, cap, "not a PNG or JPEG file (unknown signature)");
    return AML_EPARSE;
}

/* ---- PNG ---- */

typedef struct png_ctx {
    const uint8_t *data;
    size_t len, pos;
    char *why;
    size_t cap;
    uint8_t *rows_buf;    /* freed by the caller after a longjmp too */
    png_bytep *rows;
} png_ctx;

static void png_fail(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    snprintf(ctx->why, ctx->cap, "corrupt PNG: %s", msg);
    png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_read_mem(png_structp png, png_bytep out, png_size_t n)
{
    png_ctx *ctx = png_get_io_ptr(png);
    if (n > ctx->len - ctx->pos)
        png_error(png, "truncated file");
    memcpy(out, ctx->data + ctx->pos, n);
    ctx->pos += n;
}

/* Interleaved rows of `ch` channels (1..4, alpha last) to 1 or 3 channels,
 * alpha composited on white. */
static void png_flatten(png_ctx *ctx, int w, int h, int ch, amlp_image *img)
{
    int oc = ch >= 3 ? 3 : 1;
    uint8_t *o = img->px;
    for (int y = 0; y < h; y++) {
        const uint8_t *r = ctx->rows[y];
        for (int x = 0; x < w; x++, r += ch) {
            unsigned a = (ch == 2 || ch == 4) ? r[ch - 1] : 255;
            for (int k = 0; k < oc; k++)
                *o++ = (uint8_t)((r[k] * a + 255 * (255 - a) + 127) / 255);
        }
    }
    img->w = w;
    img->h = h;
    img->c = oc;
}

static int png_decode(const uint8_t *data, size_t len, amlp_image *img, char *why, size_t cap)
{
    png_ctx ctx = {.data = data, .len = len, .why = why, .cap = cap};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_fail, png_quiet);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(why, cap, "out of memory");
        return AML_ENOMEM;
    }
    int rc = AML_EPARSE;
    if (setjmp(png_jmpbuf(png))) {
        rc = AML_EPARSE;
        goto done;
    }
    png_set_read_fn(png, &ctx, png_read_mem);
    png_read_info(png, info);
    long w = (long)png_get_image_width(png, info), h = (long)png_get_image_height(png, info);
    if ((rc = size_ok(w, h, why, cap)) != 0)
        goto done;
    rc = AML_EPARSE;
    png_set_expand(png);
    png_set_scale_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int ch = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if ((uint64_t)rowbytes * (uint64_t)h > (uint64_t)len * DEFLATE_MAX_RATIO) {
        snprintf(why, cap, "corrupt PNG: %ldx%ld pixels cannot come from %zu bytes", w, h, len);
        goto done;
    }
    ctx.rows_buf = amlp_malloc(rowbytes * (size_t)h);
    ctx.rows = amlp_malloc(sizeof *ctx.rows * (size_t)h);
    img->px = amlp_malloc((size_t)w * (size_t)h * (ch >= 3 ? 3 : 1));
    if (!ctx.rows_buf || !ctx.rows || !img->px) {
        snprintf(why, cap, "out of memory");
        rc = AML_ENOMEM;
        goto done;
    }
    for (long y = 0; y < h; y++)
        ctx.rows[y] = ctx.rows_buf + (size_t)y * rowbytes;
    png_read_image(png, ctx.rows);
    png_read_end(png, NULL);
    png_flatten(&ctx, (int)w, (int)h, ch, img);
    rc = 0;
done:
    if (rc) {
        amlp_free(img->px);
        img->px = NULL;
    }
    amlp_free(ctx.rows_buf);
    amlp_free(ctx.rows);
    png_destroy_read_struct(&png, &info, NULL);
    return rc;
}

/* Size and colour from the IHDR chunk, which must come first. */
static int png_probe(const uint8_t *d, size_t len, int *w, int *h, bool *colour, char *why,
                     size_t cap)
{
    if (len < 33 || memcmp(d + 12, "IHDR", 4) != 0) {
        snprintf(why, cap, "corrupt PNG: no IHDR chunk");
        return AML_EPARSE;
    }
    long pw = (long)png_get_uint_32(d + 16), ph = (long)png_get_uint_32(d + 20);
    int rc = size_ok(pw, ph, why, cap);
    if (rc)
        return rc;
    *w = (int)pw;
    *h = (int)ph;
    *colour = (d[25] & PNG_COLOR_MASK_COLOR) != 0;
    return 0;
}

/* ---- JPEG ---- */

typedef struct jpg_err {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *why;
    size_t cap;
    bool warned;
} jpg_err;

static void jpg_fail(j_common_ptr c)
{
    jpg_err *e = (jpg_err *)c->err;
    char msg[JMSG_LENGTH_MAX];
    c->err->format_message(c, msg);
    snprintf(e->why, e->cap, "corrupt JPEG: %s", msg);
    longjmp(e->jump, 1);
}

/* Warnings (a truncated file, bad data) make the image corrupt: the first one
 * is kept as the reason.  Stray bytes between segments decode fine and are
 * let pass; trace messages are dropped. */
static void jpg_message(j_common_ptr c, int level)
{
    jpg_err *e = (jpg_err *)c->err;
    if (level >= 0 || e->warned || c->err->msg_code == JWRN_EXTRANEOUS_DATA)
        return;
    char msg[JMSG_LENGTH_MAX];
    c->err->format_message(c, msg);
    snprintf(e->why, e->cap, "corrupt JPEG: %s", msg);
    e->warned = true;
    c->err->num_warnings++;
}

static void jpg_quiet(j_common_ptr c)
{
    (void)c;
}

typedef struct jpg_ctx {
    struct jpeg_decompress_struct ci;
    jpg_err err;
} jpg_ctx;

static void jpg_init(jpg_ctx *j, const uint8_t *data, size_t len, char *why, size_t cap)
{
    j->ci.err = jpeg_std_error(&j->err.pub);
    j->err.pub.error_exit = jpg_fail;
    j->err.pub.emit_message = jpg_message;
    j->err.pub.output_message = jpg_quiet;
    j->err.why = why;
    j->err.cap = cap;
    j->err.warned = false;
    jpeg_create_decompress(&j->ci);
    jpeg_mem_src(&j->ci, (unsigned char *)(uintptr_t)data, (unsigned long)len);
}

static int jpg_header(jpg_ctx *j, char *why, size_t cap)
{
    jpeg_read_header(&j->ci, TRUE);
    if (j->err.warned)
        return AML_EPARSE;
    if (j->ci.num_components != 1 && j->ci.num_components != 3) {
        snprintf(why, cap, "JPEG with %d components (CMYK?) is not supported",
                 j->ci.num_components);
        return AML_EUNSUPPORTED;
    }
    return size_ok((long)j->ci.image_width, (long)j->ci.image_height, why, cap);
}

static int jpg_decode(const uint8_t *data, size_t len, amlp_image *img, char *why, size_t cap)
{
    jpg_ctx *j = amlp_calloc(1, sizeof *j);   /* on the heap: survives the longjmp */
    if (!j) {
        snprintf(why, cap, "out of memory");
        return AML_ENOMEM;
    }
    int rc = AML_EPARSE;
    jpg_init(j, data, len, why, cap);
    if (setjmp(j->err.jump)) {
        rc = AML_EPARSE;
        goto done;
    }
    if ((rc = jpg_header(j, why, cap)) != 0)
        goto done;
    rc = AML_EPARSE;
    j->ci.out_color_space = j->ci.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&j->ci);
    int w = (int)j->ci.output_width, h = (int)j->ci.output_height, c = j->ci.output_components;
    img->px = amlp_malloc((size_t)w * (size_t)h * (size_t)c);
    if (!img->px) {
        snprintf(why, cap, "out of memory");
        rc = AML_ENOMEM;
        goto done;
    }
    while (j->ci.output_scanline < j->ci.output_height) {
        JSAMPROW row = img->px + (size_t)j->ci.output_scanline * (size_t)w * (size_t)c;
        jpeg_read_scanlines(&j->ci, &row, 1);
    }
    jpeg_finish_decompress(&j->ci);
    if (!j->err.warned) {
        img->w = w;
        img->h = h;
        img->c = c;
        rc = 0;
    }
done:
    if (rc) {
        amlp_free(img->px);
        img->px = NULL;
    }
    jpeg_destroy_decompress(&j->ci);
    amlp_free(j);
    return rc;
}

static int jpg_probe(const uint8_t *data, size_t len, int *w, int *h, bool *colour, char *why,
                     size_t cap)
{
    jpg_ctx *j = amlp_calloc(1, sizeof *j);
    if (!j) {
        snprintf(why, cap, "out of memory");
        return AML_ENOMEM;
    }
    int rc = AML_EPARSE;
    jpg_init(j, data, len, why, cap);
    if (setjmp(j->err.jump)) {
        rc = AML_EPARSE;
        goto done;
    }
    if ((rc = jpg_header(j, why, cap)) != 0)
        goto done;
    *w = (int)j->ci.image_width;
    *h = (int)j->ci.image_height;
    *colour = j->ci.num_components == 3;
done:
    jpeg_destroy_decompress(&j->ci);
    amlp_free(j);
    return rc;
}

/* ---- entry points ---- */

int amlp_image_probe(const uint8_t *data, size_t len, int *w, int *h, bool *colour,
                     char *why, size_t cap)
{
    if (is_png(data, len))
        return png_probe(data, len, w, h, colour, why, cap);
    if (is_jpeg(data, len))
        return jpg_probe(data, len, w, h, colour, why, cap);
    return not_an_image(why, cap);
}

int amlp_image_decode(const uint8_t *data, size_t len, amlp_image *img, char *why, size_t cap)
{
    memset(img, 0, sizeof *img);
    if (is_png(data, len))
        return png_decode(data, len, img, why, cap);
    if (is_jpeg(data, len))
        return jpg_decode(data, len, img, why, cap);
    return not_an_image(why, cap);
}

int amlp_image_file(const char *path, uint8_t **data, size_t *len, char *why, size_t cap)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, cap, "cannot open: %s", strerror(errno));
        return errno == ENOENT ? AML_ENOENT : AML_EIO;
    }
    int rc = AML_EIO;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(why, cap, "cannot read: not a regular file");
    } else if ((size_t)size > MAX_FILE_BYTES) {
        snprintf(why, cap, "file of %ld bytes is too large for an image", size);
    } else if (!(*data = amlp_malloc((size_t)size + 1))) {
        snprintf(why, cap, "out of memory");
        rc = AML_ENOMEM;
    } else if (fread(*data, 1, (size_t)size, f) != (size_t)size) {
        snprintf(why, cap, "cannot read: %s", ferror(f) ? strerror(errno) : "short read");
    } else {
        *len = (size_t)size;
        rc = 0;
    }
    fclose(f);
    if (rc) {
        amlp_free(*data);
        *data = NULL;
    }
    return rc;
}
