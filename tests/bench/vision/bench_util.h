/* bench_util.h — what the image benchmarks (nas_bench.c, strategy_bench.c)
 * share: dying with a one-line message, and numbers from the environment.
 * Header only, each bench is one .c file. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <errno.h>   /* program_invocation_short_name (GNU) */
#include <stdio.h>
#include <stdlib.h>

static inline void die(const char *what, const char *why)
{
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, why);
    exit(1);
}

/* The environment's positive whole number `name`, else fallback. */
static inline long env_long(const char *name, long fallback)
{
    const char *s = getenv(name);
    return s && atol(s) > 0 ? atol(s) : fallback;
}

#endif
