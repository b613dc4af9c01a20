/* analyze_images.c — %analyze on an image set: images per class and the
 * class balance, duplicate images (equal pixels: hashed, sorted by hash,
 * then compared byte for byte) with the groups whose images carry different
 * classes, and the mean image of each class. */
#include "analyze/analyze_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct aml_images_analysis {
    size_t n_classes, n_images;
    size_t *class_images;        /* n_classes */
    size_t n_groups, dup_images, conflict_groups, conflict_images;
    size_t *group_start;         /* n_groups + 1 offsets into members */
    size_t *members;             /* image indexes, group by group */
    bool *group_conflicts;       /* n_groups */
    size_t image_bytes;
    uint8_t *means;              /* n_classes * image_bytes */
};

void aml_images_analysis_free(aml_images_analysis *a)
{
    if (!a)
        return;
    amlp_free(a->class_images);
    amlp_free(a->group_start);
    amlp_free(a->members);
    amlp_free(a->group_conflicts);
    amlp_free(a->means);
    amlp_free(a);
}

typedef struct hashed {
    uint64_t hash;
    size_t index;
} hashed;

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static int cmp_hashed(const void *x, const void *y)
{
    const hashed *a = x, *b = y;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

/* Class counts and per-class mean images. */
static int class_stats(const aml_images *im, aml_images_analysis *a, aml_error *err)
{
    size_t k = a->n_classes, nb = a->image_bytes, all = k * nb + 1;
    a->class_images = amlp_calloc(k + 1, sizeof *a->class_images);
    a->means = amlp_calloc(all, 1);
    uint32_t *sums = amlp_calloc(all, sizeof *sums);
    if (!a->class_images || !a->means || !sums) {
        amlp_free(sums);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "analyze", "out of memory (mean images)");
    }
    for (size_t i = 0; i < a->n_images; i++) {
        uint32_t c = aml_images_label(im, i);
        if (c >= k)
            continue;
        a->class_images[c]++;
        const uint8_t *px = aml_images_image(im, i);
        uint32_t *s = sums + (size_t)c * nb;
        for (size_t j = 0; j < nb; j++)
            s[j] += px[j];
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; a->class_images[c] && j < nb; j++)
            a->means[c * nb + j] = (uint8_t)((sums[c * nb + j] + a->class_images[c] / 2) /
                                             a->class_images[c]);
    amlp_free(sums);
    return 0;
}

/* Appends the group idx[0..n) of images with equal pixels (already compared). */
static void add_group(const aml_images *im, aml_images_analysis *a, const size_t *idx, size_t n)
{
    size_t at = a->group_start[a->n_groups];
    memcpy(a->members + at, idx, n * sizeof *idx);
    qsort(a->members + at, n, sizeof *idx, cmp_size);
    bool conflict = false;
    for (size_t j = 1; j < n; j++)
        conflict |= aml_images_label(im, idx[j]) != aml_images_label(im, idx[0]);
    a->group_conflicts[a->n_groups] = conflict;
    a->dup_images += n - 1;
    if (conflict) {
        a->conflict_groups++;
        a->conflict_images += n;
    }
    a->group_start[++a->n_groups] = at + n;
}

/* Within a run of equal hashes, the images equal byte for byte to the run's
 * first unclaimed one form a group; repeated until the run is used up. */
static void group_run(const aml_images *im, aml_images_analysis *a, hashed *h, size_t n,
                      size_t *scratch)
{
    size_t left = n;
    while (left > 1) {
        size_t m = 0, keep = 0;
        const uint8_t *first = aml_images_image(im, h[0].index);
        scratch[m++] = h[0].index;
        for (size_t j = 1; j < left; j++) {
            if (memcmp(first, aml_images_image(im, h[j].index), a->image_bytes) == 0)
                scratch[m++] = h[j].index;
            else
                h[keep++] = h[j];   /* h[0] is consumed; survivors move down */
        }
        if (m > 1)
            add_group(im, a, scratch, m);
        left = keep;
    }
}

static int group_order(const void *x, const void *y, void *ctx);

/* Groups sorted by their first (smallest) image index. */
static int sort_groups(aml_images_analysis *a, aml_error *err)
{
    size_t g = a->n_groups;
    if (g < 2)
        return 0;
    size_t *order = amlp_malloc(g * sizeof *order);
    size_t *members = amlp_malloc(a->group_start[g] * sizeof *members);
    size_t *start = amlp_malloc((g + 1) * sizeof *start);
    bool *conf = amlp_malloc(g * sizeof *conf);
    if (!order || !members || !start || !conf) {
        amlp_free(order);
        amlp_free(members);
        amlp_free(start);
        amlp_free(conf);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "analyze", "out of memory (duplicates)");
    }
    for (size_t i = 0; i < g; i++)
        order[i] = i;
    qsort_r(order, g, sizeof *order, group_order, a);
    start[0] = 0;
    for (size_t i = 0; i < g; i++) {
        size_t s = a->group_start[order[i]], n = a->group_start[order[i] + 1] - s;
        memcpy(members + start[i], a->members + s, n * sizeof *members);
        start[i + 1] = start[i] + n;
        conf[i] = a->group_conflicts[order[i]];
    }
    amlp_free(order);
    amlp_free(a->members);
    amlp_free(a->group_start);
    amlp_free(a->group_conflicts);
    a->members = members;
    a->group_start = start;
    a->group_conflicts = conf;
    return 0;
}

static int group_order(const void *x, const void *y, void *ctx)
{
    const aml_images_analysis *a = ctx;
    size_t p = a->members[a->group_start[*(const size_t *)x]];
    size_t q = a->members[a->group_start[*(const size_t *)y]];
    return p < q ? -1 : p > q;
}

static int find_duplicates(const aml_images *im, aml_images_analysis *a, aml_error *err)
{
    size_t n = a->n_images;
    hashed *h = amlp_malloc(n * sizeof *h);
    size_t *scratch = amlp_malloc(n * sizeof *scratch);
    a->members = amlp_malloc(n * sizeof *a->members);
    a->group_start = amlp_calloc(n / 2 + 2, sizeof *a->group_start);
    a->group_conflicts = amlp_calloc(n / 2 + 1, sizeof *a->group_conflicts);
    if (!h || !scratch || !a->members || !a->group_start || !a->group_conflicts) {
        amlp_free(h);
        amlp_free(scratch);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "analyze", "out of memory (duplicates)");
    }
    for (size_t i = 0; i < n; i++)
        h[i] = (hashed){fnv1a(aml_images_image(im, i), a->image_bytes), i};
    qsort(h, n, sizeof *h, cmp_hashed);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && h[j].hash == h[i].hash)
            j++;
        if (j - i > 1)
            group_run(im, a, h + i, j - i, scratch);
        i = j;
    }
    amlp_free(h);
    amlp_free(scratch);
    return sort_groups(a, err);
}

int aml_analyze_images(const aml_images *images, aml_images_analysis **out, aml_error *err)
{
    if (out)
        *out = NULL;
    if (!images || !out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "analyze", "no image set to analyse");
    if (aml_images_count(images) == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "analyze", "the image set holds no image");
    aml_images_analysis *a = amlp_calloc(1, sizeof *a);
    if (!a)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "analyze", "out of memory");
    a->n_images = aml_images_count(images);
    a->n_classes = aml_images_class_count(images);
    a->image_bytes = (size_t)aml_images_channels(images) * (size_t)aml_images_height(images) *
                     (size_t)aml_images_width(images);
    int rc = class_stats(images, a, err);
    if (!rc)
        rc = find_duplicates(images, a, err);
    if (rc) {
        aml_images_analysis_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

size_t aml_images_analysis_classes(const aml_images_analysis *a)
{
    return a ? a->n_classes : 0;
}

size_t aml_images_analysis_class_images(const aml_images_analysis *a, size_t k)
{
    return a && k < a->n_classes ? a->class_images[k] : 0;
}

double aml_images_analysis_class_share(const aml_images_analysis *a, size_t k)
{
    if (!a || k >= a->n_classes || !a->n_images)
        return 0;
    return (double)a->class_images[k] / (double)a->n_images;
}

double aml_images_analysis_imbalance_ratio(const aml_images_analysis *a)
{
    if (!a || !a->n_classes)
        return NAN;
    size_t lo = a->class_images[0], hi = a->class_images[0];
    for (size_t k = 1; k < a->n_classes; k++) {
        lo = a->class_images[k] < lo ? a->class_images[k] : lo;
        hi = a->class_images[k] > hi ? a->class_images[k] : hi;
    }
    return lo ? (double)hi / (double)lo : INFINITY;
}

bool aml_images_analysis_imbalanced(const aml_images_analysis *a)
{
    return a && a->n_classes > 1 && aml_images_analysis_imbalance_ratio(a) > 5.0;
}

size_t aml_images_analysis_dup_groups(const aml_images_analysis *a)
{
    return a ? a->n_groups : 0;
}

size_t aml_images_analysis_dup_images(const aml_images_analysis *a)
{
    return a ? a->dup_images : 0;
}

size_t aml_images_analysis_conflict_groups(const aml_images_analysis *a)
{
    return a ? a->conflict_groups : 0;
}

size_t aml_images_analysis_conflict_images(const aml_images_analysis *a)
{
    return a ? a->conflict_images : 0;
}

const size_t *aml_images_analysis_group(const aml_images_analysis *a, size_t g, size_t *n)
{
    if (n)
        *n = 0;
    if (!a || g >= a->n_groups)
        return NULL;
    if (n)
        *n = a->group_start[g + 1] - a->group_start[g];
    return a->members + a->group_start[g];
}

bool aml_images_analysis_group_conflicts(const aml_images_analysis *a, size_t g)
{
    return a && g < a->n_groups && a->group_conflicts[g];
}

const uint8_t *aml_images_analysis_mean(const aml_images_analysis *a, size_t k)
{
    if (!a || k >= a->n_classes || !a->class_images[k])
        return NULL;
    return a->means + k * a->image_bytes;
}
