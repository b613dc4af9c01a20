/* image_idx.c — IDX files (MNIST, Fashion-MNIST): `*-images-idx3-ubyte` with
 * their `*-labels-idx1-ubyte`, plain or gzip.  Magic numbers are checked and
 * every count is bounded by the file's size before anything is allocated; a
 * folder holding train-* and t10k-* pairs keeps the official split. */

#include "data/data_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IMAGES_TAG "-images-idx3-ubyte"
#define LABELS_TAG "-labels-idx1-ubyte"
#define MAX_PAIRS 8
/* Deflate cannot inflate more than about 1032 bytes per compressed byte. */
#define DEFLATE_MAX_RATIO 1032

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                              "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                              "Bag",         "Ankle boot"};

typedef struct idx_pair {
    char images[4096], labels[4096];
    uint8_t split;
    uint32_t n, rows, cols;
} idx_pair;

static bool path_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool path_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool folder_has_idx(const char *path)
{
    DIR *d = opendir(path);
    bool found = false;
    struct dirent *e;
    while (d && !found && (e = readdir(d)) != NULL)
        found = strstr(e->d_name, IMAGES_TAG) != NULL;
    if (d)
        closedir(d);
    return found;
}

bool amlp_idx_detect(const char *path)
{
    if (path_is_dir(path))
        return folder_has_idx(path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strstr(base, "-idx3-ubyte") || strstr(base, "-idx1-ubyte");
}

/* The file of the pair for `from` (tag `from_tag` replaced by `to_tag`),
 * with or without ".gz".  false when it does not exist. */
static bool partner(const char *from, const char *from_tag, const char *to_tag, char *out,
                    size_t cap)
{
    const char *base = strrchr(from, '/');
    const char *at = strstr(base ? base : from, from_tag);
    if (!at)
        return false;
    int n = snprintf(out, cap, "%.*s%s%s", (int)(at - from), from, to_tag, at + strlen(from_tag));
    if (n < 0 || (size_t)n >= cap)
        return false;
    if (path_is_file(out))
        return true;
    size_t len = strlen(out);
    if (len > 3 && strcmp(out + len - 3, ".gz") == 0)
        out[len - 3] = 0;
    else if (len + 3 < cap)
        strcat(out, ".gz");
    return path_is_file(out);
}

static int pair_of(const char *file, idx_pair *p)
{
    if (strstr(file, IMAGES_TAG) && snprintf(p->images, sizeof p->images, "%s", file) > 0 &&
        partner(file, IMAGES_TAG, LABELS_TAG, p->labels, sizeof p->labels))
        return 0;
    if (strstr(file, LABELS_TAG) && snprintf(p->labels, sizeof p->labels, "%s", file) > 0 &&
        partner(file, LABELS_TAG, IMAGES_TAG, p->images, sizeof p->images))
        return 0;
    return -1;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The pairs in a folder, train-* before t10k-*.  OUT: p[], *n. */
static int folder_pairs(const char *dir, idx_pair *p, size_t *n, aml_error *err)
{
    char names[MAX_PAIRS][256];
    size_t nn = 0;
    DIR *d = opendir(dir);
    if (!d)
        return aml_error_set(err, AML_EIO, 0, 0, dir, "%s: cannot read the folder", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nn < MAX_PAIRS)
        if (strstr(e->d_name, IMAGES_TAG) && strlen(e->d_name) < 256)
            snprintf(names[nn++], 256, "%s", e->d_name);
    closedir(d);
    qsort(names, nn, sizeof names[0], cmp_name);
    bool train = false, test = false;
    *n = 0;
    for (int pass = 0; pass < 2; pass++)   /* t10k last */
        for (size_t i = 0; i < nn; i++) {
            bool t10k = strncmp(names[i], "t10k-", 5) == 0;
            char file[4096];
            if (t10k != (pass == 1))
                continue;
            snprintf(file, sizeof file, "%s/%s", dir, names[i]);
            if (pair_of(file, &p[*n]) != 0)
                return aml_error_set(err, AML_ENOENT, 0, 0, file,
                                     "%s: no labels file beside it (*" LABELS_TAG ")", file);
            p[*n].split = t10k ? AML_SPLIT_TEST : AML_SPLIT_TRAIN;
            train |= strncmp(names[i], "train-", 6) == 0;
            test |= t10k;
            (*n)++;
        }
    for (size_t i = 0; !(train && test) && i < *n; i++)
        p[i].split = AML_SPLIT_UNASSIGNED;
    return 0;
}

/* ---- headers ---- */

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The most bytes `path` can give when read through zlib: its size when
 * plain; for gzip, what its trailer says (mod 2^32), bounded by deflate's
 * largest ratio.  OUT: *most, *isize (-1 when plain). */
static int file_bound(const char *path, uint64_t *most, int64_t *isize)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return AML_ENOENT;
    uint8_t head[2] = {0}, tail[4] = {0};
    struct stat st;
    int rc = fstat(fileno(f), &st) == 0 && fread(head, 1, 2, f) == 2 ? 0 : AML_EIO;
    bool gz = head[0] == 0x1f && head[1] == 0x8b;
    if (!rc && gz)
        rc = fseek(f, -4, SEEK_END) == 0 && fread(tail, 1, 4, f) == 4 ? 0 : AML_EIO;
    fclose(f);
    *most = gz ? (uint64_t)st.st_size * DEFLATE_MAX_RATIO : (uint64_t)st.st_size;
    *isize = gz ? (int64_t)((uint32_t)tail[0] | (uint32_t)tail[1] << 8 |
                            (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24)
                : -1;
    return rc;
}

static bool size_fits(uint64_t need, uint64_t most, int64_t isize)
{
    return need <= most && (isize < 0 || (need & 0xffffffffu) == (uint64_t)isize);
}

/* Open an IDX file and read its header: `dims` sizes after the magic
 * 0x0000080<dims>.  Counts are checked against the file's size.  OUT: *out. */
static int idx_open(const char *path, int dims, uint32_t *size, gzFile *out, aml_error *err)
{
    uint64_t most = 0;
    int64_t isize = -1;
    *out = NULL;
    if (file_bound(path, &most, &isize))
        return aml_error_set(err, AML_EIO, 0, 0, path, "%s: cannot read the file", path);
    gzFile g = gzopen(path, "rb");
    uint8_t h[16];
    int want = 4 + 4 * dims;
    if (!g || gzread(g, h, (unsigned)want) != want || be32(h) != 0x800u + (uint32_t)dims) {
        if (g)
            gzclose(g);
        return aml_error_set(err, AML_EPARSE, 0, 0, path,
                             "%s: not an IDX file of %d dimensions (magic number 0x%08x)", path,
                             dims, 0x800u + (unsigned)dims);
    }
    uint64_t per = 1;
    for (int k = 0; k < dims; k++)
        size[k] = be32(h + 4 + 4 * k);
    for (int k = 1; k < dims; k++)
        per *= size[k] <= 4096 ? size[k] : 0;
    uint64_t need = (uint64_t)want + (uint64_t)size[0] * per;
    if (size[0] == 0 || per == 0 || !size_fits(need, most, isize)) {
        gzclose(g);
        return aml_error_set(err, AML_EPARSE, 0, 0, path,
                             "%s: the header's sizes (%u items of %llu bytes) do not match the "
                             "file", path, size[0], (unsigned long long)per);
    }
    *out = g;
    return 0;
}

/* Check both headers of a pair: counts equal, sizes known. */
static int pair_check(idx_pair *p, aml_error *err)
{
    uint32_t is[3] = {0}, ls[1] = {0};
    gzFile g;
    int rc = idx_open(p->images, 3, is, &g, err);
    if (rc)
        return rc;
    gzclose(g);
    if ((rc = idx_open(p->labels, 1, ls, &g, err)) != 0)
        return rc;
    gzclose(g);
    if (ls[0] != is[0])
        return aml_error_set(err, AML_EPARSE, 0, 0, p->labels,
                             "%s: %u labels for %u images", p->labels, ls[0], is[0]);
    p->n = is[0];
    p->rows = is[1];
    p->cols = is[2];
    return 0;
}

/* ---- reading ---- */

static int read_labels(const idx_pair *p, aml_images *im, size_t at, aml_error *err)
{
    uint32_t n;
    gzFile g;
    int rc = idx_open(p->labels, 1, &n, &g, err);
    if (rc)
        return rc;
    uint8_t buf[4096];
    for (size_t done = 0; !rc && done < n;) {
        unsigned want = n - done < sizeof buf ? (unsigned)(n - done) : (unsigned)sizeof buf;
        if (gzread(g, buf, want) != (int)want) {
            rc = aml_error_set(err, AML_EPARSE, 0, 0, p->labels, "%s: truncated after %zu labels",
                               p->labels, done);
            break;
        }
        for (unsigned i = 0; i < want; i++) {
            im->labels[at + done + i] = buf[i];
            im->splits[at + done + i] = p->split;
        }
        done += want;
    }
    gzclose(g);
    return rc;
}

/* Images one by one: straight into the set at their own size, else through
 * `scratch` and the resizer. */
static int read_images(const idx_pair *p, aml_images *im, size_t at, uint8_t *scratch,
                       aml_error *err)
{
    uint32_t size[3];
    gzFile g;
    int rc = idx_open(p->images, 3, size, &g, err);
    if (rc)
        return rc;
    size_t src = (size_t)p->rows * p->cols, dst = (size_t)im->height * (size_t)im->width;
    bool same = im->height == (int)p->rows && im->width == (int)p->cols;
    for (size_t i = 0; !rc && i < p->n; i++) {
        uint8_t *slot = im->pixels + (at + i) * dst;
        if (gzread(g, same ? slot : scratch, (unsigned)src) != (int)src)
            rc = aml_error_set(err, AML_EPARSE, 0, 0, p->images,
                               "%s: truncated after %zu images", p->images, i);
        else if (!same && amlp_image_resize(scratch, (int)p->cols, (int)p->rows, 1, slot,
                                            im->width, im->height))
            rc = aml_error_set(err, AML_ENOMEM, 0, 0, p->images, "%s: out of memory", p->images);
    }
    gzclose(g);
    return rc;
}

static int find_pairs(const char *path, idx_pair *p, size_t *n, aml_error *err)
{
    if (path_is_dir(path))
        return folder_pairs(path, p, n, err);
    memset(p, 0, sizeof *p);
    if (pair_of(path, p) != 0)
        return aml_error_set(err, AML_ENOENT, 0, 0, path,
                             "%s: the other file of the IDX pair (*" IMAGES_TAG " with *"
                             LABELS_TAG ") is missing", path);
    *n = 1;
    return 0;
}

/* Fashion-MNIST's names when the folder is fashion-mnist, else the numbers. */
static int class_names(const char *path, aml_images *im)
{
    unsigned top = 0;
    for (size_t i = 0; i < im->n; i++)
        top = im->labels[i] > top ? im->labels[i] : top;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    if (!path_is_dir(dir) && strrchr(dir, '/'))
        *strrchr(dir, '/') = 0;
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        dir[--len] = 0;
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    bool fashion = strcmp(base, "fashion-mnist") == 0 && top < 10;
    im->n_classes = fashion ? 10 : (size_t)top + 1;
    im->class_names = amlp_calloc(im->n_classes, sizeof *im->class_names);
    if (!im->class_names)
        return AML_ENOMEM;
    for (size_t k = 0; k < im->n_classes; k++) {
        char num[24];
        snprintf(num, sizeof num, "%zu", k);
        if (!(im->class_names[k] = amlp_strdup(fashion ? fashion_names[k] : num)))
            return AML_ENOMEM;
    }
    return 0;
}

static void idx_size(const idx_pair *p, const aml_images_options *o, aml_images *im,
                     aml_images_report *r)
{
    int w = (int)p->cols, h = (int)p->rows, big = w > h ? w : h;
    r->w_min = r->w_med = r->w_max = w;
    r->h_min = r->h_med = r->h_max = h;
    im->channels = 1;
    if (o->width > 0) {
        im->width = o->width;
        im->height = o->height;
        snprintf(r->size_reason, sizeof r->size_reason, "%dx%d as asked (size=)", o->width,
                 o->height);
    } else if (big > o->max_side) {
        double s = (double)o->max_side / big;
        im->width = w * s + 0.5 < 1 ? 1 : (int)(w * s + 0.5);
        im->height = h * s + 0.5 < 1 ? 1 : (int)(h * s + 0.5);
        snprintf(r->size_reason, sizeof r->size_reason, "the IDX size %dx%d shrunk to fit %dx%d",
                 w, h, o->max_side, o->max_side);
    } else {
        im->width = w;
        im->height = h;
        snprintf(r->size_reason, sizeof r->size_reason, "the IDX files' size %dx%d", w, h);
    }
}

static int read_pairs(const idx_pair *p, size_t np, aml_images *im, aml_error *err)
{
    uint8_t *scratch = amlp_malloc((size_t)p[0].rows * p[0].cols);
    int rc = scratch ? 0 : AML_ENOMEM;
    if (rc)
        aml_error_set(err, rc, 0, 0, p[0].images, "%s: out of memory", p[0].images);
    for (size_t i = 0, at = 0; !rc && i < np; at += p[i++].n)
        if ((rc = read_labels(&p[i], im, at, err)) == 0)
            rc = read_images(&p[i], im, at, scratch, err);
    amlp_free(scratch);
    return rc;
}

int amlp_idx_read(const char *path, const aml_images_options *opts, aml_images *im,
                  aml_images_report *r, aml_error *err)
{
    idx_pair p[MAX_PAIRS];
    size_t np = 0, total = 0;
    int rc = find_pairs(path, p, &np, err);
    for (size_t i = 0; !rc && i < np; i++) {
        if ((rc = pair_check(&p[i], err)) == 0 && (p[i].rows != p[0].rows || p[i].cols != p[0].cols))
            rc = aml_error_set(err, AML_EPARSE, 0, 0, p[i].images,
                               "%s: %ux%u images, unlike %s's %ux%u", p[i].images, p[i].cols,
                               p[i].rows, p[0].images, p[0].cols, p[0].rows);
        total += p[i].n;
    }
    if (!rc && !np)
        rc = aml_error_set(err, AML_EEMPTY, 0, 0, path, "%s: no IDX image files", path);
    if (rc)
        return rc;
    idx_size(&p[0], opts, im, r);
    if (amlp_images_alloc(im, total) || (rc = read_pairs(p, np, im, err)) == AML_ENOMEM ||
        (!rc && class_names(path, im)))
        return aml_error_set(err, AML_ENOMEM, 0, 0, path, "%s: out of memory", path);
    return rc;
}
