/* mg_file.c — atomic file writes and whole-file reads for the magics
 * (mg_file.h). */
#include "mg_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fsync of the folder holding `path`, so the rename itself is durable. */
static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int mg_write_atomic(const char *path, mg_write_fn fn, void *user, size_t *bytes, char *why,
                    size_t len)
{
    if (bytes)
        *bytes = 0;
    why[0] = 0;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(why, len, "%s is a folder, not a file", path);
        return -1;
    }
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    snprintf(tmp, n + 16, "%s.XXXXXX.tmp", path);
    int fd = mkstemps(tmp, 4);
    if (fd < 0) {
        snprintf(why, len, "cannot create a file beside %s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    mode_t mask = umask(022);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        snprintf(why, len, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    int rc = fn(f, user, why, len);
    if (rc == 0 && (ferror(f) || fflush(f) != 0)) {
        snprintf(why, len, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
        rc = -1;
    }
    if (rc == 0 && fsync(fileno(f)) != 0) {
        snprintf(why, len, "cannot sync %s to disk: %s", path, strerror(errno));
        rc = -1;
    }
    long size = rc == 0 ? ftell(f) : 0;
    if (fclose(f) != 0 && rc == 0) {
        snprintf(why, len, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(why, len, "cannot replace %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc) {
        unlink(tmp);
        if (!why[0])
            snprintf(why, len, "cannot write %s", path);
    } else {
        sync_dir(path);
        if (bytes)
            *bytes = size > 0 ? (size_t)size : 0;
    }
    free(tmp);
    return rc;
}

int mg_read_file(const char *path, size_t max, unsigned char **data, size_t *n, char *why,
                 size_t len)
{
    *data = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, len, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, len, "%s is not a regular file", path);
        fclose(f);
        return -1;
    }
    if ((unsigned long long)st.st_size > max) {
        snprintf(why, len, "%s is too large (%lld bytes; the limit is %zu)", path,
                 (long long)st.st_size, max);
        fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) {
        snprintf(why, len, "out of memory reading %s", path);
        fclose(f);
        return -1;
    }
    size_t got = fread(buf, 1, size, f);
    int err = ferror(f);
    fclose(f);
    if (err || got != size) {
        snprintf(why, len, "cannot read %s (the file changed while reading?)", path);
        free(buf);
        return -1;
    }
    *data = buf;
    *n = size;
    return 0;
}
