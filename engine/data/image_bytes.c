/*
 * image_bytes.c — one encoded image held in memory (a REST request's
 * content, a file read by the caller) to the pixels a model takes: decoded
 * (PNG or JPEG, alpha on white), converted to the wanted channels (grey by
 * luma, or grey copied to R, G and B) and resized to the wanted size with
 * the resampling aml_images_read uses, as planar NCHW bytes.
 */
#include "data/data_internal.h"

#include <stdio.h>
#include <string.h>

/* Largest side a caller may ask for (a bound, as the reader's). */
#define DECODE_MAX_SIDE 8192

static bool has_image_signature(const unsigned char *b, size_t len)
{
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= 8 && memcmp(b, png, 8) == 0)
        return true;
    return len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

/* Interleaved RGB to one grey plane (luma, rounded).  OUT: *grey (amlp_free). */
static int rgb_to_grey(const amlp_image *img, uint8_t **grey)
{
    size_t n = (size_t)img->w * (size_t)img->h;
    uint8_t *g = amlp_malloc(n ? n : 1);
    if (!g)
        return AML_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = img->px + 3 * i;
        g[i] = (uint8_t)((299u * p[0] + 587u * p[1] + 114u * p[2] + 500u) / 1000u);
    }
    *grey = g;
    return 0;
}

/* The decoded image into out at c channels and w x h. */
static int convert_into(const amlp_image *img, int c, int h, int w, uint8_t *out)
{
    size_t plane = (size_t)w * (size_t)h;
    if (img->c == 3 && c == 1) {
        uint8_t *grey = NULL;
        int rc = rgb_to_grey(img, &grey);
        rc = rc ? rc : amlp_image_resize(grey, img->w, img->h, 1, out, w, h);
        amlp_free(grey);
        return rc;
    }
    int rc = amlp_image_resize(img->px, img->w, img->h, img->c, out, w, h);
    for (int k = img->c; rc == 0 && k < c; k++)
        memcpy(out + (size_t)k * plane, out, plane);
    return rc;
}

int aml_image_decode_to(const unsigned char *bytes, size_t len, int c, int h, int w,
                        uint8_t *out, aml_error *err)
{
    if (!out || (c != 1 && c != 3) || h <= 0 || w <= 0 || h > DECODE_MAX_SIDE ||
        w > DECODE_MAX_SIDE)
        return aml_error_set(err, AML_EINVAL, 0, 0, "",
                             "image decode: %d channels of %dx%d is not a size to decode to "
                             "(1 or 3 channels, sides 1..%d)", c, w, h, DECODE_MAX_SIDE);
    if (!bytes || !has_image_signature(bytes, len))
        return aml_error_set(err, AML_EPARSE, 0, 0, "", "not a PNG or JPEG image");
    char why[200] = "";
    amlp_image img = {0};
    int rc = amlp_image_decode(bytes, len, &img, why, sizeof why);
    if (rc == AML_ENOMEM)
        return aml_error_set(err, rc, 0, 0, "", "out of memory decoding an image");
    if (rc)
        return aml_error_set(err, rc, 0, 0, "", "%s", why[0] ? why : "undecodable image");
    rc = convert_into(&img, c, h, w, out);
    amlp_free(img.px);
    if (rc)
        return aml_error_set(err, rc, 0, 0, "", "out of memory resizing an image");
    return 0;
}
