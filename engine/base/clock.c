/* clock.c — the engine's one monotonic clock, for durations and deadlines. */
#include "aml_base.h"

#include <time.h>

double aml_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
