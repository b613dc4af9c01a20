/* alloc.c — the engine's allocation entry points, routed through a pluggable
 * allocator so tests can inject allocation failures. */
#include "aml_base.h"
#include "aml_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static aml_allocator current;

void aml_allocator_set(const aml_allocator *alloc)
{
    if (alloc)
        current = *alloc;
    else
        memset(&current, 0, sizeof current);
}

void *amlp_malloc(size_t size)
{
    if (current.malloc_fn)
        return current.malloc_fn(size ? size : 1, current.user);
    return malloc(size ? size : 1);
}

void *amlp_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = amlp_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *amlp_realloc(void *ptr, size_t size)
{
    if (current.realloc_fn)
        return current.realloc_fn(ptr, size ? size : 1, current.user);
    return realloc(ptr, size ? size : 1);
}

void amlp_free(void *ptr)
{
    if (!ptr)
        return;
    if (current.free_fn)
        current.free_fn(ptr, current.user);
    else
        free(ptr);
}

char *amlp_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = amlp_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

double amlp_mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    double kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}
