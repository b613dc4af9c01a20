/* error.c — the engine's error table, error records and log hook. */
#include "aml_base.h"
#include "aml_base.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *aml_strerror(int code)
{
    switch (code) {
    case AML_OK: return "success";
#define AML_STRERROR_CASE_(name, num, msg) case num: return msg;
    AML_ERRNO_MAP(AML_STRERROR_CASE_)
#undef AML_STRERROR_CASE_
    default: return "unknown error";
    }
}

const char *aml_err_name(int code)
{
    switch (code) {
    case AML_OK: return "AML_OK";
#define AML_ERRNAME_CASE_(name, num, msg) case num: return "AML_E" #name;
    AML_ERRNO_MAP(AML_ERRNAME_CASE_)
#undef AML_ERRNAME_CASE_
    default: return "AML_EUNKNOWN";
    }
}

int aml_error_set(aml_error *err, int code, long line, long column,
                  const char *source, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->line = line;
    err->column = column;
    snprintf(err->source, sizeof err->source, "%s", source ? source : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    return code;
}

static aml_log_fn log_fn;
static void *log_user;

void aml_log_set(aml_log_fn fn, void *user)
{
    log_fn = fn;
    log_user = user;
}

void amlp_log(aml_log_level level, const char *fmt, ...)
{
    if (!log_fn)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_fn(level, line, log_user);
}
