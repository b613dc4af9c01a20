/*
 * aml.h — the public interface of libaml, the AutoML engine.
 *
 * libaml knows nothing about Jupyter: it is a plain C library that the kernel's
 * magics, command-line front ends and benchmarks link.  This header holds what
 * every subsystem shares (error codes, the error record, logging, allocation
 * hooks) and includes one header per subsystem.
 *
 * Conventions: functions return 0 or a negative AML_E* code; constructors that
 * can fail take an out-pointer; every _new has a _free that accepts NULL.  The
 * library never prints and never exits.
 */
#ifndef AML_H
#define AML_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AML_VERSION_STRING "0.1.0"

/* The one error table: name, code, message (libuv's UV_ERRNO_MAP pattern). */
#define AML_ERRNO_MAP(XX)                                   \
    XX(NOMEM, -1, "out of memory")                          \
    XX(INVAL, -2, "invalid argument")                       \
    XX(IO, -3, "input/output error")                        \
    XX(NOENT, -4, "no such file or name")                   \
    XX(PARSE, -5, "parse error")                            \
    XX(ENCODING, -6, "invalid text encoding")               \
    XX(RANGE, -7, "value out of range")                     \
    XX(TYPE, -8, "wrong type")                              \
    XX(EMPTY, -9, "no data")                                \
    XX(CANCELED, -10, "canceled")                           \
    XX(UNSUPPORTED, -11, "not supported")                   \
    XX(INTERNAL, -12, "internal error")                     \
    XX(TIMEOUT, -13, "out of time")

typedef enum aml_errno {
    AML_OK = 0,
#define AML_ERRNO_ENUM_(name, code, msg) AML_E##name = (code),
    AML_ERRNO_MAP(AML_ERRNO_ENUM_)
#undef AML_ERRNO_ENUM_
} aml_errno;

/* Message of an error code ("out of memory"); "unknown error" for others.
 * Returns a static string.  Thread-safe. */
const char *aml_strerror(int code);
/* Name of an error code ("AML_ENOMEM"); "AML_EUNKNOWN" for others. */
const char *aml_err_name(int code);

/* Where and why an operation failed.  Functions that can fail on user input
 * take an optional `aml_error *` (may be NULL) and fill it on failure.
 * line and column are 1-based; 0 means "not applicable". */
#define AML_ERROR_SOURCE_LEN 128
#define AML_ERROR_TEXT_LEN 256
typedef struct aml_error {
    int code;                            /* AML_E* */
    long line;                           /* 1-based line, or 0 */
    long column;                         /* 1-based column, or 0 */
    char source[AML_ERROR_SOURCE_LEN];   /* file, column or object name, or "" */
    char text[AML_ERROR_TEXT_LEN];       /* one-line reason */
} aml_error;

/* Fill `err` (if not NULL) and return `code`.  printf-style text. */
int aml_error_set(aml_error *err, int code, long line, long column,
                  const char *source, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Logging: the library never prints; it hands log lines to this callback.
 * The default discards them.  Not thread-safe to change while the engine runs. */
typedef enum aml_log_level { AML_LOG_DEBUG, AML_LOG_INFO, AML_LOG_WARN, AML_LOG_ERROR } aml_log_level;
typedef void (*aml_log_fn)(aml_log_level level, const char *text, void *user);
void aml_log_set(aml_log_fn fn, void *user);

/* Allocation hooks: every engine allocation goes through these, so tests can
 * fail the Nth allocation.  Passing NULLs restores malloc/realloc/free. */
typedef struct aml_allocator {
    void *(*malloc_fn)(size_t size, void *user);
    void *(*realloc_fn)(void *ptr, size_t size, void *user);
    void (*free_fn)(void *ptr, void *user);
    void *user;
} aml_allocator;
void aml_allocator_set(const aml_allocator *alloc);

#ifdef __cplusplus
}
#endif

/* Subsystems. */
#include "aml_frame.h"  /* columnar frames, CSV reading, type inference */
#include "aml_plot.h"   /* charts rendered to PNG */
#include "aml_learn.h"  /* preparation pipeline and learners */
#include "aml_features.h" /* feature engineering on prepared matrices */
#include "aml_search.h" /* metrics, the AutoML search, model bundles */
#include "aml_evaluate.h" /* evaluating predictions: metrics, curves, charts, CSV */
#include "aml_explain.h"  /* permutation importance, SHAP, partial dependence */

#endif
