/* image_images.c — the image set handle (aml_images) and the reader's report
 * (aml_images_report): allocation, accessors, freeing, and aml_images_read,
 * which tells the layouts apart (IDX, CSV, a folder per class). */

#include "data/data_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const split_names[] = {"unassigned", "train", "validation", "test"};

const char *aml_image_split_name(aml_image_split split)
{
    return (unsigned)split < 4 ? split_names[split] : "?";
}

aml_images_options aml_images_options_default(void)
{
    return (aml_images_options){.width = 0, .height = 0, .max_side = 64};
}

aml_images *amlp_images_new(void)
{
    return amlp_calloc(1, sizeof(aml_images));
}

void aml_images_free(aml_images *im)
{
    if (!im)
        return;
    amlp_free(im->pixels);
    amlp_free(im->labels);
    amlp_free(im->splits);
    for (size_t k = 0; k < im->n_classes; k++)
        amlp_free(im->class_names[k]);
    amlp_free(im->class_names);
    amlp_free(im);
}

static size_t image_bytes(const aml_images *im)
{
    return (size_t)im->channels * (size_t)im->height * (size_t)im->width;
}

int amlp_images_alloc(aml_images *im, size_t n)
{
    size_t per = image_bytes(im);
    if (per && n > SIZE_MAX / per)
        return AML_ENOMEM;
    im->pixels = amlp_malloc(n * per > 0 ? n * per : 1);
    im->labels = amlp_calloc(n ? n : 1, sizeof *im->labels);
    im->splits = amlp_calloc(n ? n : 1, 1);
    if (!im->pixels || !im->labels || !im->splits)
        return AML_ENOMEM;
    im->n = n;
    return 0;
}

void amlp_images_truncate(aml_images *im, size_t n)
{
    if (n > im->n)
        return;
    im->n = n;
    size_t per = image_bytes(im);
    uint8_t *p = amlp_realloc(im->pixels, n * per > 0 ? n * per : 1);
    if (p)
        im->pixels = p;
}

size_t aml_images_count(const aml_images *im) { return im ? im->n : 0; }
int aml_images_channels(const aml_images *im) { return im ? im->channels : 0; }
int aml_images_height(const aml_images *im) { return im ? im->height : 0; }
int aml_images_width(const aml_images *im) { return im ? im->width : 0; }
const uint8_t *aml_images_pixels(const aml_images *im) { return im ? im->pixels : NULL; }
size_t aml_images_class_count(const aml_images *im) { return im ? im->n_classes : 0; }

const uint8_t *aml_images_image(const aml_images *im, size_t i)
{
    return im && i < im->n ? im->pixels + i * image_bytes(im) : NULL;
}

uint32_t aml_images_label(const aml_images *im, size_t i)
{
    return im && i < im->n ? im->labels[i] : 0;
}

aml_image_split aml_images_split(const aml_images *im, size_t i)
{
    return im && i < im->n ? (aml_image_split)im->splits[i] : AML_SPLIT_UNASSIGNED;
}

const char *aml_images_class_name(const aml_images *im, size_t k)
{
    return im && k < im->n_classes ? im->class_names[k] : NULL;
}

size_t aml_images_memory_size(const aml_images *im)
{
    if (!im)
        return 0;
    size_t bytes = im->n * (image_bytes(im) + sizeof *im->labels + 1);
    for (size_t k = 0; k < im->n_classes; k++)
        bytes += sizeof(char *) + strlen(im->class_names[k]) + 1;
    return bytes;
}

/* ---- the report ---- */

aml_images_report *amlp_images_report_new(const char *layout)
{
    aml_images_report *r = amlp_calloc(1, sizeof *r);
    if (r)
        r->layout = layout;
    return r;
}

void aml_images_report_free(aml_images_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_skips_kept; i++) {
        amlp_free(r->skip_path[i]);
        amlp_free(r->skip_reason[i]);
    }
    amlp_free(r->class_images);
    amlp_free(r);
}

int amlp_images_skip(aml_images_report *r, const char *path, const char *reason)
{
    r->skipped++;
    if (r->n_skips_kept == AMLP_IMAGE_SKIPS_KEPT)
        return 0;
    char *p = amlp_strdup(path), *w = amlp_strdup(reason);
    if (!p || !w) {
        amlp_free(p);
        amlp_free(w);
        return AML_ENOMEM;
    }
    r->skip_path[r->n_skips_kept] = p;
    r->skip_reason[r->n_skips_kept++] = w;
    return 0;
}

int amlp_images_report_finish(aml_images_report *r, const aml_images *im)
{
    r->class_images = amlp_calloc(im->n_classes ? im->n_classes : 1, sizeof *r->class_images);
    if (!r->class_images)
        return AML_ENOMEM;
    r->n_classes = im->n_classes;
    for (size_t i = 0; i < im->n; i++)
        if (im->labels[i] < im->n_classes)
            r->class_images[im->labels[i]]++;
    r->read = im->n;
    r->width = im->width;
    r->height = im->height;
    r->bytes = aml_images_memory_size(im);
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int amlp_images_median(int *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_int);
    return v[(n - 1) / 2];
}

const char *aml_images_report_layout(const aml_images_report *r) { return r ? r->layout : ""; }
size_t aml_images_report_read(const aml_images_report *r) { return r ? r->read : 0; }
size_t aml_images_report_skipped(const aml_images_report *r) { return r ? r->skipped : 0; }
size_t aml_images_report_skip_count(const aml_images_report *r) { return r ? r->n_skips_kept : 0; }
int aml_images_report_width(const aml_images_report *r) { return r ? r->width : 0; }
int aml_images_report_height(const aml_images_report *r) { return r ? r->height : 0; }
size_t aml_images_report_bytes(const aml_images_report *r) { return r ? r->bytes : 0; }

const char *aml_images_report_size_reason(const aml_images_report *r)
{
    return r ? r->size_reason : "";
}

const char *aml_images_report_skip_path(const aml_images_report *r, size_t i)
{
    return r && i < r->n_skips_kept ? r->skip_path[i] : NULL;
}

const char *aml_images_report_skip_reason(const aml_images_report *r, size_t i)
{
    return r && i < r->n_skips_kept ? r->skip_reason[i] : NULL;
}

size_t aml_images_report_class_images(const aml_images_report *r, size_t k)
{
    return r && k < r->n_classes ? r->class_images[k] : 0;
}

void aml_images_report_widths(const aml_images_report *r, int *min, int *median, int *max)
{
    *min = r ? r->w_min : 0;
    *median = r ? r->w_med : 0;
    *max = r ? r->w_max : 0;
}

void aml_images_report_heights(const aml_images_report *r, int *min, int *median, int *max)
{
    *min = r ? r->h_min : 0;
    *median = r ? r->h_med : 0;
    *max = r ? r->h_max : 0;
}

/* ---- the entry point ---- */

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int check_options(const aml_images_options *o, aml_error *err)
{
    if ((o->width > 0) != (o->height > 0) || o->width < 0 || o->height < 0 ||
        o->width > 4096 || o->height > 4096)
        return aml_error_set(err, AML_EINVAL, 0, 0, "size",
                             "size=: give both width and height, each 1 to 4096 (got %dx%d)",
                             o->width, o->height);
    if (o->max_side < 1 || o->max_side > 4096)
        return aml_error_set(err, AML_EINVAL, 0, 0, "max_side",
                             "max_side: must be 1 to 4096 (got %d)", o->max_side);
    return 0;
}

static int read_layout(const char *path, const aml_images_options *o, aml_images *im,
                       aml_images_report **rep, aml_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return aml_error_set(err, AML_ENOENT, 0, 0, path, "%s: no such file or folder", path);
    bool idx = amlp_idx_detect(path);
    bool csv = !idx && !S_ISDIR(st.st_mode);
    if (csv && !has_suffix(path, ".csv") && !has_suffix(path, ".txt"))
        return aml_error_set(err, AML_EUNSUPPORTED, 0, 0, path,
                             "%s: not an image folder, a CSV of path,label rows or an IDX file",
                             path);
    *rep = amlp_images_report_new(idx ? "idx" : csv ? "csv" : "folder");
    if (!*rep)
        return aml_error_set(err, AML_ENOMEM, 0, 0, path, "%s: out of memory", path);
    if (idx)
        return amlp_idx_read(path, o, im, *rep, err);
    return amlp_images_read_listed(path, csv, o, im, *rep, err);
}

int aml_images_read(const char *path, const aml_images_options *opts, aml_images **out,
                    aml_images_report **report, aml_error *err)
{
    *out = NULL;
    if (report)
        *report = NULL;
    aml_images_options o = opts ? *opts : aml_images_options_default();
    if (!path)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "images: no path given");
    int rc = check_options(&o, err);
    if (rc)
        return rc;
    aml_images *im = amlp_images_new();
    if (!im)
        return aml_error_set(err, AML_ENOMEM, 0, 0, path, "%s: out of memory", path);
    aml_images_report *rep = NULL;
    rc = read_layout(path, &o, im, &rep, err);
    if (!rc && (rc = amlp_images_report_finish(rep, im)) != 0)
        aml_error_set(err, rc, 0, 0, path, "%s: out of memory", path);
    if (rc) {
        aml_images_free(im);
        aml_images_report_free(rep);
        return rc;
    }
    *out = im;
    if (report)
        *report = rep;
    else
        aml_images_report_free(rep);
    return 0;
}
