/* amlp.h — internals shared between the engine's files (never installed). */
#ifndef AMLP_H
#define AMLP_H

#include "aml.h"

void *amlp_malloc(size_t size);
void *amlp_calloc(size_t n, size_t size);
void *amlp_realloc(void *ptr, size_t size);
void amlp_free(void *ptr);
char *amlp_strdup(const char *s);

void amlp_log(aml_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
