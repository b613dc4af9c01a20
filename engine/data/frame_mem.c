/* frame_mem.c — growing the large buffers of columns being built: ask for
 * transparent huge pages, so that filling hundreds of megabytes of column
 * data takes a few hundred page faults instead of tens of thousands, and
 * move only the bytes in use when a large buffer grows.  Only the 2 MiB-
 * aligned interior of the caller's own block is advised; the hint may be
 * ignored by the kernel. */

#include "aml_data.h"
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)
#define LARGE (2 * HUGE_PAGE)

void amlp_mem_hint_large(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (!p || bytes < LARGE)
        return;
    uintptr_t b = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t e = ((uintptr_t)p + bytes) & ~(HUGE_PAGE - 1);
    if (e > b)
        madvise((void *)b, e - b, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

void *amlp_mem_grow(void *old, size_t used, size_t bytes)
{
    if (bytes < LARGE)
        return amlp_realloc(old, bytes);
    /* A hinted block is split into several mappings, which realloc cannot
     * move in place: it would copy the whole block into small pages. */
    void *p = amlp_malloc(bytes);
    if (!p)
        return NULL;
    amlp_mem_hint_large(p, bytes);
    if (used)
        memcpy(p, old, used);
    amlp_free(old);
    return p;
}
