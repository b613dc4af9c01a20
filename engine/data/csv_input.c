/* csv_input.c — getting CSV bytes into memory: plain files (mapped, or read
 * when they cannot be), gzip files (zlib), the UTF-8 BOM, NUL detection and
 * Windows-1252 decoding of non-UTF-8 bytes (a large file is checked on two
 * threads first: valid UTF-8 needs no decoding). */
#include "data/data_internal.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void amlp_csv_input_free(amlp_input *in)
{
    amlp_free(in->owned);
    if (in->map)
        munmap(in->map, in->map_len);
    memset(in, 0, sizeof *in);
}

void amlp_csv_set_buffer(amlp_input *in, const void *data, size_t len)
{
    memset(in, 0, sizeof *in);
    in->buf = data ? data : "";
    in->len = data ? len : 0;
    in->total = in->len;
    in->nul_pos = SIZE_MAX;
}

static void gb(double b, char out[32])
{
    snprintf(out, 32, b >= 1024.0 * 1024 * 1024 ? "%.1f GB" : "%.0f MB",
             b >= 1024.0 * 1024 * 1024 ? b / (1024.0 * 1024 * 1024) : ceil(b / (1024.0 * 1024)));
}

/* The error for a file too large for memory (`need` bytes, `limit` free). */
static int too_large(const char *path, double need, double limit, aml_error *err)
{
    char a[32], b[32];
    gb(need, a);
    gb(limit, b);
    return aml_error_set(err, AML_ENOMEM, 0, 0, path,
                         "importing this file needs about %s of memory and %s is free: import "
                         "a part of it (e.g. its first million lines: head -n 1000000)", a, b);
}

static int load_gzip(const char *path, size_t hint, double limit, amlp_input *in,
                     aml_error *err)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return aml_error_set(err, AML_EIO, 0, 0, path, "cannot open: %s", strerror(errno));
    gzbuffer(gz, 1 << 17);
    size_t cap = hint * 4 + 4096, len = 0;
    char *buf = amlp_malloc(cap);
    int rc = buf ? 0 : AML_ENOMEM;
    while (!rc) {
        if (cap - len < 65536) {
            size_t nc = cap + cap / 2;
            char *nb = amlp_realloc(buf, nc);
            if (!nb) {
                rc = AML_ENOMEM;
                break;
            }
            buf = nb;
            cap = nc;
        }
        size_t want = cap - len;
        if (want > (1u << 30))
            want = 1u << 30;
        int got = gzread(gz, buf + len, (unsigned)want);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            gzclose(gz);
            amlp_free(buf);
            return aml_error_set(err, AML_EIO, 0, 0, path, "gzip: %s", msg);
        }
        if (got == 0)
            break;
        len += (size_t)got;
        if (limit > 0 && 2.0 * (double)len > limit) {   /* the text, then the frame */
            gzclose(gz);
            amlp_free(buf);
            return too_large(path, 2.0 * (double)len, limit, err);
        }
    }
    gzclose(gz);
    if (rc) {
        amlp_free(buf);
        return aml_error_set(err, rc, 0, 0, path, "out of memory reading the file");
    }
    in->owned = buf;
    in->buf = buf;
    in->len = in->total = len;
    in->nul_pos = SIZE_MAX;
    return 0;
}

bool amlp_csv_is_gzip(const void *data, size_t len)
{
    const unsigned char *b = data;
    return len >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

int amlp_csv_load_gzip_buffer(const void *data, size_t len, const char *name, amlp_input *in,
                              aml_error *err)
{
    memset(in, 0, sizeof *in);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK)  /* 32: detect the gzip header */
        return aml_error_set(err, AML_ENOMEM, 0, 0, name, "out of memory starting zlib");
    size_t cap = len * 4 + 4096, out = 0;
    char *buf = amlp_malloc(cap);
    int zrc = Z_OK, rc = buf ? 0 : AML_ENOMEM;
    const unsigned char *src = data;
    size_t consumed = 0;
    while (!rc && zrc != Z_STREAM_END) {
        if (cap - out < 65536) {
            size_t nc = cap + cap / 2;
            char *nb = amlp_realloc(buf, nc);
            if (!nb) {
                rc = AML_ENOMEM;
                break;
            }
            buf = nb;
            cap = nc;
        }
        /* zlib counts in uInt: feed and drain at most 1 GiB at a time */
        size_t in_left = len - consumed, out_left = cap - out;
        zs.next_in = (unsigned char *)(uintptr_t)(src + consumed);
        zs.avail_in = (uInt)(in_left < (1u << 30) ? in_left : (1u << 30));
        zs.next_out = (unsigned char *)buf + out;
        zs.avail_out = (uInt)(out_left < (1u << 30) ? out_left : (1u << 30));
        uInt in_before = zs.avail_in, out_before = zs.avail_out;
        zrc = inflate(&zs, Z_NO_FLUSH);
        consumed += in_before - zs.avail_in;
        out += out_before - zs.avail_out;
        if (zrc == Z_STREAM_END)
            break;
        if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            inflateEnd(&zs);
            amlp_free(buf);
            return aml_error_set(err, AML_EIO, 0, 0, name, "gzip: %s",
                                 zs.msg ? zs.msg : "corrupt data");
        }
        if (zrc == Z_BUF_ERROR && consumed == len) {
            inflateEnd(&zs);
            amlp_free(buf);
            return aml_error_set(err, AML_EIO, 0, 0, name, "gzip: the data ends too early");
        }
    }
    inflateEnd(&zs);
    if (rc) {
        amlp_free(buf);
        return aml_error_set(err, rc, 0, 0, name, "out of memory inflating the data");
    }
    in->owned = buf;
    in->buf = buf;
    in->len = in->total = out;
    in->nul_pos = SIZE_MAX;
    return 0;
}

int amlp_csv_load_file(const char *path, double limit, amlp_input *in, aml_error *err)
{
    memset(in, 0, sizeof *in);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return aml_error_set(err, errno == ENOENT ? AML_ENOENT : AML_EIO, 0, 0, path,
                             "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        close(fd);
        return aml_error_set(err, AML_EIO, 0, 0, path, "not a readable file");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return aml_error_set(err, AML_EIO, 0, 0, path,
                             "not a regular file (a device, pipe or socket): copy the data to "
                             "a file first");
    }
    unsigned char magic[2] = {0, 0};
    ssize_t m = pread(fd, magic, 2, 0);
    if (m == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        close(fd);
        return load_gzip(path, (size_t)st.st_size, limit, in, err);
    }
    size_t size = (size_t)st.st_size;
    if (limit > 0 && (double)size > limit) {   /* the frame takes about the text's size */
        close(fd);
        return too_large(path, (double)size, limit, err);
    }
    if (S_ISREG(st.st_mode) && size > 0) {
        /* Plain files are read in place: no copy, no anonymous pages.  The
         * readers map a window ahead of them (one call instead of a fault per
         * page) and give back what they have read (amlp_csv_release). */
        void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            close(fd);
            madvise(map, size, MADV_SEQUENTIAL);
            in->map = map;
            in->map_len = size;
            in->buf = map;
            in->len = in->total = size;
            in->nul_pos = SIZE_MAX;
            return 0;
        }
    }
    char *buf = amlp_malloc(size + 1);
    if (!buf) {
        close(fd);
        return aml_error_set(err, AML_ENOMEM, 0, 0, path, "out of memory reading the file");
    }
    size_t len = 0;
    while (len < size) {
        ssize_t got = read(fd, buf + len, size - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            amlp_free(buf);
            return aml_error_set(err, AML_EIO, 0, 0, path, "read failed: %s", strerror(e));
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    in->owned = buf;
    in->buf = buf;
    in->len = in->total = len;
    in->nul_pos = SIZE_MAX;
    return 0;
}

static uintptr_t page_size(void)
{
    static uintptr_t pg;
    if (!pg) {
        long v = sysconf(_SC_PAGESIZE);
        pg = v > 0 ? (uintptr_t)v : 4096;
    }
    return pg;
}

void amlp_csv_prefetch(const amlp_input *in, size_t pos)
{
    if (!in->map || pos >= in->len)
        return;
    uintptr_t pg = page_size(), base = (uintptr_t)in->map;
    uintptr_t a = (uintptr_t)(in->buf + pos) & ~(pg - 1);
    uintptr_t e = base + in->map_len;
    uintptr_t b = a + 2 * AMLP_CSV_WINDOW < e ? a + 2 * AMLP_CSV_WINDOW : e;
#ifdef MADV_POPULATE_READ
    if (madvise((void *)a, b - a, MADV_POPULATE_READ) == 0)
        return;
#endif
    madvise((void *)a, b - a, MADV_WILLNEED);
}

void amlp_csv_release(const amlp_input *in, size_t from, size_t to)
{
    if (!in->map || to <= from)
        return;
    uintptr_t pg = page_size();
    uintptr_t a = ((uintptr_t)(in->buf + from) + pg - 1) & ~(pg - 1);
    uintptr_t b = (uintptr_t)(in->buf + to) & ~(pg - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

/* Windows-1252 0x80..0x9F; undefined bytes map to the C1 code point. */
static const uint16_t cp1252[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

/* Length of the valid UTF-8 sequence at s (0 if invalid). */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
    else return 0;
    if (avail < n)
        return 0;
    unsigned cp = c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static size_t put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) { d[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    d[0] = (char)(0xE0 | (cp >> 12));
    d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* First position in [i, end) that may hold a NUL or a non-ASCII byte, found
 * 64 bytes at a time (SSE2) then 8 at a time; end if there is none. */
static size_t skip_ascii(const unsigned char *s, size_t i, size_t end)
{
#ifdef __SSE2__
    const __m128i zero = _mm_setzero_si128();
    while (i + 64 <= end) {
        const __m128i *p = (const __m128i *)(const void *)(s + i);
        __m128i a = _mm_loadu_si128(p), b = _mm_loadu_si128(p + 1);
        __m128i c = _mm_loadu_si128(p + 2), d = _mm_loadu_si128(p + 3);
        __m128i any = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
        __m128i low = _mm_min_epu8(_mm_min_epu8(a, b), _mm_min_epu8(c, d));
        if (_mm_movemask_epi8(any) | _mm_movemask_epi8(_mm_cmpeq_epi8(low, zero)))
            break;
        i += 64;
    }
#endif
    const uint64_t hi = 0x8080808080808080ull, lo = 0x0101010101010101ull;
    while (i + 8 <= end) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if ((w & hi) || ((w - lo) & ~w & hi))
            return i;
        i += 8;
    }
    while (i < end && s[i] && s[i] < 0x80)
        i++;
    return i;
}

/* Is [from, to) valid UTF-8 without a NUL?  Streams through a mapped file
 * window by window, as the decoding loop does. */
static bool scan_clean(const amlp_input *in, size_t from, size_t to)
{
    const unsigned char *s = (const unsigned char *)in->buf;
    size_t i = from, mark = from;
    bool clean = true;
    amlp_csv_prefetch(in, from);
    while (i < to && clean) {
        if (i - mark >= AMLP_CSV_WINDOW) {
            amlp_csv_release(in, mark, i);
            amlp_csv_prefetch(in, i);
            mark = i;
        }
        size_t lim = to - mark > AMLP_CSV_WINDOW ? mark + AMLP_CSV_WINDOW : to;
        i = skip_ascii(s, i, lim);
        if (i >= lim)
            continue;
        size_t n = s[i] ? utf8_len(s + i, in->len - i) : 0;
        clean = n > 0;
        i += n;
    }
    amlp_csv_release(in, mark, i < to ? i : to);
    return clean;
}

typedef struct scan_half {
    const amlp_input *in;
    size_t from, to;
    bool clean;
} scan_half;

static void *scan_thread(void *arg)
{
    scan_half *h = arg;
    h->clean = scan_clean(h->in, h->from, h->to);
    return NULL;
}

#define PARALLEL_SCAN_MIN ((size_t)16 << 20)

/* The common case of a large file, on two threads: true when the whole
 * text is valid UTF-8 without a NUL (there is then nothing to decode). */
static bool clean_in_parallel(const amlp_input *in)
{
    const unsigned char *s = (const unsigned char *)in->buf;
    if (in->len < PARALLEL_SCAN_MIN || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return false;
    size_t mid = in->len / 2;
    for (int k = 0; k < 3 && (s[mid] & 0xC0) == 0x80; k++)
        mid++;   /* start the second half on a character */
    scan_half second = {in, mid, in->len, false};
    pthread_t tid;
    if (pthread_create(&tid, NULL, scan_thread, &second) != 0)
        return false;
    bool first = scan_clean(in, 0, mid);
    pthread_join(tid, NULL);
    return first && second.clean;
}

int amlp_csv_decode(amlp_input *in, aml_error *err)
{
    (void)err;
    const unsigned char *s = (const unsigned char *)in->buf;
    size_t len = in->len;
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        s += 3;
        len -= 3;
        in->buf += 3;
        in->len = len;
    }
    if (clean_in_parallel(in))
        return 0;
    size_t first_bad = SIZE_MAX, nbad = 0;
    size_t i = 0, mark = 0;
    amlp_csv_prefetch(in, 0);
    while (i < len) {
        if (i - mark >= AMLP_CSV_WINDOW) {
            amlp_csv_release(in, mark, i);
            amlp_csv_prefetch(in, i);
            mark = i;
        }
        size_t lim = len - mark > AMLP_CSV_WINDOW ? mark + AMLP_CSV_WINDOW : len;
        i = skip_ascii(s, i, lim);
        if (i >= lim)
            continue;
        if (s[i] == 0) {
            if (in->nul_pos == SIZE_MAX)
                in->nul_pos = i;
            i++;
            continue;
        }
        size_t n = utf8_len(s + i, len - i);
        if (!n) {
            if (first_bad == SIZE_MAX)
                first_bad = i;
            nbad++;
            n = 1;
        }
        i += n;
    }
    amlp_csv_release(in, mark, len);
    if (!nbad)
        return 0;
    char *out = amlp_malloc(len + nbad * 2 + 1);
    if (!out)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory decoding the text");
    size_t o = 0;
    for (i = 0; i < len;) {
        size_t n = s[i] ? utf8_len(s + i, len - i) : 1;
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
            continue;
        }
        unsigned c = s[i++];
        o += put_utf8(out + o, c < 0xA0 ? cp1252[c - 0x80] : c);
    }
    in->first_converted = (size_t)amlp_csv_line_of((const char *)s, first_bad);
    in->converted = nbad;
    if (in->nul_pos != SIZE_MAX) {
        /* Recompute the NUL position in the decoded text. */
        const char *z = memchr(out, '\0', o);
        in->nul_pos = z ? (size_t)(z - out) : SIZE_MAX;
    }
    amlp_free(in->owned);
    if (in->map)
        munmap(in->map, in->map_len);
    in->map = NULL;
    in->map_len = 0;
    in->owned = out;
    in->buf = out;
    in->len = o;
    return 0;
}
