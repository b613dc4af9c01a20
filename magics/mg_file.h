/*
 * mg_file.h — files the magics write: atomically (a temporary file in the
 * same folder, synced, then renamed over the target), so a reader never sees
 * half a file and a failure leaves the previous file untouched (%save,
 * %predict out=).
 */
#ifndef MG_FILE_H
#define MG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the file's content to `f`; returns 0, or -1 with a reason in `why`
 * (may leave it empty: the write error is then reported). */
typedef int (*mg_write_fn)(FILE *f, void *user, char *why, size_t len);

/* Writes `path` atomically: creates PATH.XXXXXX.tmp beside it (mode 0644
 * less the umask), calls `fn`, flushes, fsyncs, closes, renames it over
 * `path` and fsyncs the folder.  On any failure (including `fn`'s) the
 * temporary file is removed, `path` is left as it was, and `why` gets one
 * line.  OUT: *bytes (may be NULL): the size written.  Returns 0 or -1.
 * Not thread-safe with respect to the process umask. */
int mg_write_atomic(const char *path, mg_write_fn fn, void *user, size_t *bytes, char *why,
                    size_t len);

/* Reads a whole regular file (at most `max` bytes) into a malloc'd buffer.
 * OUT: *data (free), *n.  Returns 0 or -1 with a reason in `why`. */
int mg_read_file(const char *path, size_t max, unsigned char **data, size_t *n, char *why,
                 size_t len);

#endif
