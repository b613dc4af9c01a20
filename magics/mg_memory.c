/*
 * mg_memory.c — the kernel's memory policy (glibc malloc): what a finished
 * cell freed goes back to the system, so that an idle kernel holds little
 * more than its data sets and models (a classroom runs dozens of kernels on
 * one server).
 *
 * Without it, glibc keeps nearly all of a %train's peak: its dynamic mmap
 * threshold rises to 32 MB after the first large free, so later prepared
 * matrices, fold caches and XGBoost's buffers are carved from the heaps of
 * the search's worker threads, and what they free there stays mapped (measured
 * on bank-marketing: 10 MB in use, 213 MB free but held, 224 MB RSS after
 * three 3 s runs).  Now blocks from 1 MB up get mappings of their own, given
 * back when freed, and malloc_trim after each cell returns the free pages left
 * inside the heaps (ten 3 s runs: 38-50 MB RSS).  Heaps are not trimmed during
 * the work (a low trim threshold, or a 128 kB mmap threshold, would map and
 * unmap XGBoost's per-round buffers again and again: 20-35 % more CPU time for
 * the same trials; these settings cost about 7 %).
 */
#include "mg.h"

#include <stdlib.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

/* Blocks from this size up get their own mapping, returned when freed. */
#define MG_MMAP_THRESHOLD (1024 * 1024)
/* Free memory at a heap's top is returned during the work only beyond this
 * (mg_memory_release returns the rest after the cell). */
#define MG_TRIM_THRESHOLD (64 * 1024 * 1024)
/* malloc arenas: the shell, the search's worker and XGBoost's and OpenBLAS's
 * threads share these instead of up to 8 per core. */
#define MG_ARENA_MAX 4

void mg_memory_setup(void)
{
#ifdef __GLIBC__
    /* an operator's own tuning (GLIBC_TUNABLES=glibc.malloc.…) wins */
    const char *tunables = getenv("GLIBC_TUNABLES");
    if (tunables && strstr(tunables, "glibc.malloc."))
        return;
    mallopt(M_MMAP_THRESHOLD, MG_MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, MG_TRIM_THRESHOLD);
    mallopt(M_ARENA_MAX, MG_ARENA_MAX);
#endif
}

void mg_memory_release(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}
