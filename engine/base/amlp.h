/* amlp.h — internals shared between the engine's files (never installed). */
#ifndef AMLP_H
#define AMLP_H

#include "aml.h"

void *amlp_malloc(size_t size);
void *amlp_calloc(size_t n, size_t size);
void *amlp_realloc(void *ptr, size_t size);
void amlp_free(void *ptr);
char *amlp_strdup(const char *s);
/* Bytes of memory available now (MemAvailable of /proc/meminfo), or 0 when
 * unknown.  For memory plans made before a large allocation. */
double amlp_mem_available(void);

void amlp_log(aml_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
