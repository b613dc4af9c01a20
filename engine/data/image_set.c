/* image_set.c — the folder-per-class and CSV layouts: listing the files and
 * their labels, reading every image's header for its size and colour,
 * choosing the working size, then decoding and resizing each image into the
 * set.  A file that fails at either step is skipped and named in the report. */

#include "data/data_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct item {
    char *path;
    char *label;      /* CSV only, until labels become indexes */
    uint32_t class_index;
    uint8_t split;
    int w, h;
    bool colour, ok;
} item;

typedef struct listing {
    item *v;
    size_t n, cap;
    char **classes;
    size_t n_classes;
} listing;

static void listing_free(listing *L)
{
    for (size_t i = 0; i < L->n; i++) {
        amlp_free(L->v[i].path);
        amlp_free(L->v[i].label);
    }
    amlp_free(L->v);
    for (size_t k = 0; k < L->n_classes; k++)
        amlp_free(L->classes[k]);
    amlp_free(L->classes);
}

static item *listing_push(listing *L, char *path)
{
    if (!path)
        return NULL;
    if (L->n == L->cap) {
        size_t nc = L->cap ? 2 * L->cap : 64;
        item *nv = amlp_realloc(L->v, nc * sizeof *nv);
        if (!nv) {
            amlp_free(path);
            return NULL;
        }
        L->v = nv;
        L->cap = nc;
    }
    item *it = &L->v[L->n++];
    memset(it, 0, sizeof *it);
    it->path = path;
    return it;
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = amlp_malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in `dir` (hidden ones left out) that are folders (want_dir) or
 * regular files, sorted.  OUT: *names, *n (amlp_free each and the array). */
static int list_dir(const char *dir, bool want_dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return AML_EIO;
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *full = join_path(dir, e->d_name);
        struct stat st;
        bool keep = full && stat(full, &st) == 0 &&
                    (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
        amlp_free(full);
        if (!full)
            rc = AML_ENOMEM;
        if (rc || !keep)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            char **nn = amlp_realloc(*names, cap * sizeof *nn);
            if (!nn) {
                rc = AML_ENOMEM;
                break;
            }
            *names = nn;
        }
        if (!((*names)[*n] = amlp_strdup(e->d_name)))
            rc = AML_ENOMEM;
        else
            (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(*names, *n, sizeof **names, cmp_str);
    return rc;
}

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        amlp_free(names[i]);
    amlp_free(names);
}

static int list_folder(const char *path, listing *L, aml_error *err)
{
    int rc = list_dir(path, true, &L->classes, &L->n_classes);
    if (rc == AML_EIO)
        return aml_error_set(err, rc, 0, 0, path, "%s: cannot read the folder", path);
    if (!rc && !L->n_classes)
        return aml_error_set(err, AML_EEMPTY, 0, 0, path,
                             "%s: no class folders (expected one subfolder per class)", path);
    for (size_t k = 0; !rc && k < L->n_classes; k++) {
        char *dir = join_path(path, L->classes[k]);
        char **files = NULL;
        size_t nf = 0;
        rc = dir ? list_dir(dir, false, &files, &nf) : AML_ENOMEM;
        for (size_t i = 0; !rc && i < nf; i++) {
            item *it = listing_push(L, join_path(dir, files[i]));
            if (!it)
                rc = AML_ENOMEM;
            else
                it->class_index = (uint32_t)k;
        }
        if (rc == AML_EIO)
            aml_error_set(err, rc, 0, 0, dir, "%s: cannot read the folder", dir);
        names_free(files, nf);
        amlp_free(dir);
    }
    if (rc == AML_ENOMEM)
        aml_error_set(err, rc, 0, 0, path, "%s: out of memory", path);
    return rc;
}

/* ---- CSV ---- */

static int parse_split(const char *s, uint8_t *split)
{
    static const char *const names[] = {"UNASSIGNED", "TRAIN", "VALIDATION", "TEST"};
    for (int k = 0; k < 4; k++)
        if (strcasecmp(s, names[k]) == 0) {
            *split = (uint8_t)k;
            return 0;
        }
    return -1;
}

static bool is_header(char **f, size_t n)
{
    static const char *const words[] = {"path", "label", "set", "image", "file", "filename",
                                        "class", "split"};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof words / sizeof *words; k++)
            if (strcasecmp(f[i], words[k]) == 0)
                return true;
    return false;
}

typedef struct csv_ctx {
    const char *csv_path;
    char *dir;            /* the CSV's folder */
    int set_col;          /* -1: not known yet; 0: first column; 2: third */
    listing *L;
    aml_images_report *r;
} csv_ctx;

static char *resolve(const csv_ctx *cx, const char *p)
{
    return p[0] == '/' ? amlp_strdup(p) : join_path(cx->dir, p);
}

/* One record's fields (already unescaped and trimmed). */
static int csv_row(csv_ctx *cx, char **f, size_t n, long line)
{
    char where[64];
    snprintf(where, sizeof where, "%s line %ld", cx->csv_path, line);
    uint8_t split = AML_SPLIT_UNASSIGNED;
    if (cx->set_col < 0 && n >= 3)
        cx->set_col = parse_split(f[0], &split) == 0 && parse_split(f[2], &split) != 0 ? 0 : 2;
    const char *p = f[0], *label = n > 1 ? f[1] : "", *set = NULL;
    if (n >= 3) {
        p = cx->set_col == 0 ? f[1] : f[0];
        label = cx->set_col == 0 ? f[2] : f[1];
        set = cx->set_col == 0 ? f[0] : f[2];
    }
    if (n < 2 || !p[0] || !label[0])
        return amlp_images_skip(cx->r, where, "expected path,label (a field is missing)");
    if (set && set[0] && parse_split(set, &split) != 0)
        return amlp_images_skip(cx->r, where,
                                "unknown set (expected TRAIN, VALIDATION, TEST or UNASSIGNED)");
    item *it = listing_push(cx->L, resolve(cx, p));
    if (!it || !(it->label = amlp_strdup(label)))
        return AML_ENOMEM;
    it->split = split;
    return 0;
}

/* Fields of the record at `pos`, unescaped, trimmed and copied. */
static int csv_fields(const char *buf, size_t len, size_t pos, amlp_rec *rec, char ***f,
                      size_t *n, size_t *next, char **scratch, size_t *scap)
{
    int rc = amlp_csv_record(buf, len, pos, ',', rec, next);
    *n = 0;
    if (rc < 0 || rc == AMLP_REC_BLANK)
        return rc;
    *f = amlp_calloc(rec->n, sizeof **f);
    if (!*f)
        return AML_ENOMEM;
    for (size_t i = 0; i < rec->n; i++) {
        const char *s;
        size_t sl;
        if (amlp_csv_unescape(buf, &rec->f[i], scratch, scap, &s, &sl))
            return AML_ENOMEM;
        amlp_trim(&s, &sl);
        if (!((*f)[i] = amlp_malloc(sl + 1)))
            return AML_ENOMEM;
        memcpy((*f)[i], s, sl);
        (*f)[i][sl] = 0;
        (*n)++;
    }
    return rc;
}

static int csv_records(csv_ctx *cx, const char *buf, size_t len)
{
    amlp_rec rec = {0};
    char *scratch = NULL;
    size_t scap = 0, pos = 0;
    int rc = 0;
    for (bool first = true; !rc && pos < len; first = false) {
        char **f = NULL;
        size_t n = 0, next = len;
        rc = csv_fields(buf, len, pos, &rec, &f, &n, &next, &scratch, &scap);
        if (rc == AMLP_REC_BLANK || rc == AMLP_REC_UNTERMINATED)
            rc = 0;
        if (!rc && n && !(first && is_header(f, n)))
            rc = csv_row(cx, f, n, amlp_csv_line_of(buf, pos));
        names_free(f, n);
        pos = next > pos ? next : len;
    }
    amlp_free(rec.f);
    amlp_free(scratch);
    return rc;
}

/* Class names: the distinct labels, sorted; each item gets its index. */
static int csv_classes(listing *L)
{
    char **sorted = amlp_malloc((L->n ? L->n : 1) * sizeof *sorted);
    if (!sorted)
        return AML_ENOMEM;
    for (size_t i = 0; i < L->n; i++)
        sorted[i] = L->v[i].label;
    qsort(sorted, L->n, sizeof *sorted, cmp_str);
    L->classes = amlp_calloc(L->n ? L->n : 1, sizeof *L->classes);
    int rc = L->classes ? 0 : AML_ENOMEM;
    for (size_t i = 0; !rc && i < L->n; i++)
        if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0) {
            if (!(L->classes[L->n_classes] = amlp_strdup(sorted[i])))
                rc = AML_ENOMEM;
            else
                L->n_classes++;
        }
    amlp_free(sorted);
    for (size_t i = 0; !rc && i < L->n; i++) {
        char **hit = bsearch(&L->v[i].label, L->classes, L->n_classes, sizeof *L->classes,
                             cmp_str);
        L->v[i].class_index = (uint32_t)(hit - L->classes);
    }
    return rc;
}

static int list_csv(const char *path, listing *L, aml_images_report *r, aml_error *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char why[160];
    int rc = amlp_image_file(path, &buf, &len, why, sizeof why);
    if (rc)
        return aml_error_set(err, rc, 0, 0, path, "%s: %s", path, why);
    csv_ctx cx = {.csv_path = path, .set_col = -1, .L = L, .r = r};
    const char *slash = strrchr(path, '/');
    cx.dir = slash ? amlp_malloc((size_t)(slash - path) + 1) : amlp_strdup(".");
    if (cx.dir && slash) {
        memcpy(cx.dir, path, (size_t)(slash - path));
        cx.dir[slash - path] = 0;
    }
    rc = cx.dir ? csv_records(&cx, (const char *)buf, len) : AML_ENOMEM;
    if (!rc)
        rc = csv_classes(L);
    amlp_free(cx.dir);
    amlp_free(buf);
    if (rc)
        return aml_error_set(err, rc, 0, 0, path, "%s: out of memory", path);
    return 0;
}

/* ---- probing, the working size, decoding ---- */

static int skip_item(aml_images_report *r, item *it, const char *why)
{
    it->ok = false;
    return amlp_images_skip(r, it->path, why);
}

static int probe_all(listing *L, aml_images_report *r, size_t *n_ok)
{
    *n_ok = 0;
    for (size_t i = 0; i < L->n; i++) {
        item *it = &L->v[i];
        uint8_t *data = NULL;
        size_t len = 0;
        char why[200];
        int rc = amlp_image_file(it->path, &data, &len, why, sizeof why);
        if (!rc)
            rc = amlp_image_probe(data, len, &it->w, &it->h, &it->colour, why, sizeof why);
        amlp_free(data);
        if (rc == AML_ENOMEM)
            return rc;
        it->ok = rc == 0;
        if (rc && skip_item(r, it, why))
            return AML_ENOMEM;
        *n_ok += it->ok;
    }
    return 0;
}

static void size_stats(const listing *L, int *ws, int *hs, size_t n_ok, aml_images_report *r)
{
    size_t k = 0;
    for (size_t i = 0; i < L->n; i++)
        if (L->v[i].ok) {
            ws[k] = L->v[i].w;
            hs[k++] = L->v[i].h;
        }
    r->w_med = amlp_images_median(ws, n_ok);
    r->h_med = amlp_images_median(hs, n_ok);
    r->w_min = ws[0];
    r->w_max = ws[n_ok - 1];
    r->h_min = hs[0];
    r->h_max = hs[n_ok - 1];
}

static void choose_size(const aml_images_options *o, aml_images *im, aml_images_report *r)
{
    int mw = r->w_med, mh = r->h_med, big = mw > mh ? mw : mh;
    if (o->width > 0) {
        im->width = o->width;
        im->height = o->height;
        snprintf(r->size_reason, sizeof r->size_reason, "%dx%d as asked (size=)", o->width,
                 o->height);
    } else if (big > o->max_side) {
        double s = (double)o->max_side / big;
        im->width = mw * s + 0.5 < 1 ? 1 : (int)(mw * s + 0.5);
        im->height = mh * s + 0.5 < 1 ? 1 : (int)(mh * s + 0.5);
        snprintf(r->size_reason, sizeof r->size_reason,
                 "the median size %dx%d shrunk to fit %dx%d", mw, mh, o->max_side, o->max_side);
    } else {
        im->width = mw;
        im->height = mh;
        snprintf(r->size_reason, sizeof r->size_reason, "the median size %dx%d%s", mw, mh,
                 r->w_min == r->w_max && r->h_min == r->h_max ? " (every image has it)" : "");
    }
}

static int pick_size(listing *L, size_t n_ok, const aml_images_options *o, aml_images *im,
                     aml_images_report *r)
{
    int *ws = amlp_malloc(n_ok * sizeof *ws), *hs = amlp_malloc(n_ok * sizeof *hs);
    if (!ws || !hs) {
        amlp_free(ws);
        amlp_free(hs);
        return AML_ENOMEM;
    }
    size_stats(L, ws, hs, n_ok, r);
    amlp_free(ws);
    amlp_free(hs);
    choose_size(o, im, r);
    im->channels = 1;
    for (size_t i = 0; i < L->n; i++)
        if (L->v[i].ok && L->v[i].colour)
            im->channels = 3;
    return 0;
}

/* Decode item `it` into slot `k` of the set.  OUT: *why on failure,
 * *colour when the image had colour. */
static int decode_into(aml_images *im, size_t k, const item *it, bool *colour, char *why,
                       size_t cap)
{
    uint8_t *data = NULL;
    size_t len = 0;
    amlp_image img = {0};
    int rc = amlp_image_file(it->path, &data, &len, why, cap);
    if (!rc)
        rc = amlp_image_decode(data, len, &img, why, cap);
    amlp_free(data);
    if (rc)
        return rc;
    size_t plane = (size_t)im->width * (size_t)im->height;
    uint8_t *dst = im->pixels + k * plane * (size_t)im->channels;
    if (img.c > im->channels) {
        snprintf(why, cap, "colour image where the header said grey");
        rc = AML_EPARSE;
    } else {
        rc = amlp_image_resize(img.px, img.w, img.h, img.c, dst, im->width, im->height);
    }
    for (int c = img.c; !rc && c < im->channels; c++)
        memcpy(dst + (size_t)c * plane, dst, plane);
    *colour = img.c == 3;
    amlp_free(img.px);
    if (rc == AML_ENOMEM)
        snprintf(why, cap, "out of memory");
    return rc;
}

/* Every colour image failed to decode: back to one plane per image. */
static void to_grey(aml_images *im)
{
    size_t plane = (size_t)im->width * (size_t)im->height;
    for (size_t k = 0; k < im->n; k++)
        memmove(im->pixels + k * plane, im->pixels + k * 3 * plane, plane);
    im->channels = 1;
}

static int decode_all(listing *L, size_t n_ok, aml_images *im, aml_images_report *r)
{
    if (amlp_images_alloc(im, n_ok))
        return AML_ENOMEM;
    size_t k = 0;
    bool any_colour = false;
    for (size_t i = 0; i < L->n; i++) {
        item *it = &L->v[i];
        char why[200];
        if (!it->ok)
            continue;
        bool colour = false;
        int rc = decode_into(im, k, it, &colour, why, sizeof why);
        if (rc == AML_ENOMEM)
            return rc;
        if (rc) {
            if (skip_item(r, it, why))
                return AML_ENOMEM;
            continue;
        }
        any_colour |= colour;
        im->labels[k] = it->class_index;
        im->splits[k++] = it->split;
    }
    im->n = k;
    if (im->channels == 3 && !any_colour)
        to_grey(im);
    amlp_images_truncate(im, k);
    return 0;
}

static int nothing_read(const char *path, const aml_images_report *r, aml_error *err)
{
    if (!r->n_skips_kept)
        return aml_error_set(err, AML_EEMPTY, 0, 0, path, "%s: no image files found", path);
    return aml_error_set(err, AML_EEMPTY, 0, 0, path,
                         "%s: no image could be read (%zu skipped; first: %s: %s)", path,
                         r->skipped, r->skip_path[0], r->skip_reason[0]);
}

static int take_classes(listing *L, aml_images *im)
{
    im->class_names = L->classes;
    im->n_classes = L->n_classes;
    L->classes = NULL;
    L->n_classes = 0;
    return 0;
}

int amlp_images_read_listed(const char *path, bool csv, const aml_images_options *opts,
                            aml_images *im, aml_images_report *r, aml_error *err)
{
    listing L = {0};
    size_t n_ok = 0;
    int rc = csv ? list_csv(path, &L, r, err) : list_folder(path, &L, err);
    if (!rc && (rc = probe_all(&L, r, &n_ok)) == 0 && !n_ok)
        rc = nothing_read(path, r, err);
    else if (!rc && (rc = pick_size(&L, n_ok, opts, im, r)) == 0 &&
             (rc = decode_all(&L, n_ok, im, r)) == 0 && !im->n)
        rc = nothing_read(path, r, err);
    if (rc == AML_ENOMEM)
        aml_error_set(err, rc, 0, 0, path, "%s: out of memory", path);
    if (!rc)
        take_classes(&L, im);
    listing_free(&L);
    return rc;
}
