/* ctl.c — fit control: the default control, the thread count it asks for,
 * and its cancel flag. */
#include "aml_base.h"

#include <string.h>
#include <unistd.h>

aml_fit_ctl aml_fit_ctl_default(void)
{
    aml_fit_ctl c;
    memset(&c, 0, sizeof c);
    return c;
}

int amlp_threads(const aml_fit_ctl *ctl)
{
    if (ctl && ctl->threads > 0)
        return ctl->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

bool amlp_canceled(const aml_fit_ctl *ctl)
{
    return ctl && ctl->cancel && *ctl->cancel;
}
