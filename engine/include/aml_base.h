/*
 * aml_base.h — the base subsystem: error codes and records, logging,
 * allocation hooks, fit control (cancellation, progress, threads), the
 * monotonic clock, byte serialisation, the seeded PRNG, lazily loaded
 * libraries and small string helpers.  Every other subsystem builds on it.
 *
 * Names: aml_* is for every layer (magics, serve, tools); amlp_* is the
 * engine's own (its subsystems share it; nothing outside engine/ calls it).
 *
 * Conventions: functions return 0 or a negative AML_E* code; constructors that
 * can fail take an out-pointer; every _new has a _free that accepts NULL.  The
 * library never prints and never exits.
 */
#ifndef AML_BASE_H
#define AML_BASE_H

#define AML_VERSION_STRING "0.1.0"

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* Frees memory the engine handed out (arrays from aml_prep_transform, byte
 * buffers from the _save functions, strings). */
void aml_free(void *p);


/* Fitting control. */
typedef void (*aml_progress_fn)(double fraction, const char *what, void *user);
typedef struct aml_fit_ctl {
    const volatile int *cancel;  /* checked at least every 100 ms; nonzero: stop,
                                    fit returns AML_ECANCELED (the learner stays
                                    usable if it had fitted something) */
    aml_progress_fn progress;    /* may be NULL */
    void *user;
    int threads;                 /* 0 = all cores */
    uint64_t seed;
} aml_fit_ctl;

aml_fit_ctl aml_fit_ctl_default(void);

/* Seconds on the monotonic clock (CLOCK_MONOTONIC), for durations and
 * deadlines.  Thread-safe. */
double aml_now(void);

/* Edit distance (Levenshtein: insert, delete or substitute, 1 each) between
 * a and b, letters compared without case; for words over 64 bytes, the longer
 * length.  For "did you mean" suggestions.  Thread-safe. */
size_t aml_edit_distance(const char *a, const char *b);

/* ---- engine-internal (amlp_): allocation, logging, memory ---- */

void *amlp_malloc(size_t size);
void *amlp_calloc(size_t n, size_t size);
void *amlp_realloc(void *ptr, size_t size);
void amlp_free(void *ptr);
char *amlp_strdup(const char *s);
/* Bytes of memory available now (MemAvailable of /proc/meminfo), or 0 when
 * unknown.  For memory plans made before a large allocation. */
double amlp_mem_available(void);

void amlp_log(aml_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Threads to use: ctl->threads, or all online cores when 0. */
int amlp_threads(const aml_fit_ctl *ctl);
/* True once the fit's cancel flag is set. */
bool amlp_canceled(const aml_fit_ctl *ctl);

/* rows[i] when a row list is given, else i. */
#define AMLP_ROW(rows, i) ((rows) ? (rows)[i] : (i))

/* ---- engine-internal: byte serialisation ---- */

/* A growing byte buffer for serialisation (amlp_ memory). */
typedef struct amlp_bytes {
    unsigned char *data;
    size_t len, cap;
} amlp_bytes;

int amlp_bytes_put(amlp_bytes *b, const void *data, size_t len);   /* 0 or AML_ENOMEM */
int amlp_bytes_put_u64(amlp_bytes *b, uint64_t v);
int amlp_bytes_put_f64(amlp_bytes *b, double v);

/* Reading back: a cursor that fails (returns AML_EPARSE) past the end. */
typedef struct amlp_reader {
    const unsigned char *data;
    size_t len, pos;
} amlp_reader;

int amlp_read(amlp_reader *r, void *out, size_t len);
int amlp_read_u64(amlp_reader *r, uint64_t *v);
int amlp_read_f64(amlp_reader *r, double *v);

/* ---- PRNG: xoshiro256** seeded through splitmix64 (same seed, same stream on
 * every platform) ---- */

typedef struct amlp_rng {
    uint64_t s[4];
} amlp_rng;

void amlp_rng_seed(amlp_rng *r, uint64_t seed);
uint64_t amlp_rng_next(amlp_rng *r);
double amlp_rng_uniform(amlp_rng *r);          /* [0, 1), 53 bits */
double amlp_rng_normal(amlp_rng *r);           /* standard normal (Box-Muller) */
size_t amlp_rng_below(amlp_rng *r, size_t n);  /* uniform in 0..n-1 (n > 0) */
void amlp_rng_shuffle(amlp_rng *r, size_t *a, size_t n);   /* Fisher-Yates */

/* ---- engine-internal: lazily loaded libraries ----
 *
 * The machine-learning libraries (XGBoost, LIBLINEAR, OpenBLAS) are loaded on
 * first use instead of at program start.
 *
 * The kernel links these only through this layer, so starting it and holding
 * it idle costs none of their memory or start-up time (XGBoost alone is ~50 ms
 * and ~7 MB); they load when a learner first fits, predicts or loads.  A
 * learner file includes the library's own header, then this one: each
 * function it calls becomes a call through a pointer filled by the loader, and
 * it calls amlp_dl_<lib>() at its entry points before using any of them.
 */

/* Opens `soname` and resolves `n` symbols into `slots` (function pointers
 * stored as void *).  Thread-safe; loads once.  Returns 0, or
 * AML_EUNSUPPORTED naming the library and the Debian package that has it. */
typedef struct amlp_dl_lib {
    const char *soname;         /* "libxgboost.so.0" */
    const char *package;        /* "libxgboost0" */
    const char *what;           /* "XGBoost" */
    const char *const *names;   /* n symbol names */
    void **slots;               /* n slots */
    size_t n;
    int state;                  /* 0 not tried, 1 loaded, -1 failed */
    char error[200];
} amlp_dl_lib;

int amlp_dl_load(amlp_dl_lib *lib, aml_error *err);

#ifdef __cplusplus
}
#endif

#endif

/* ---- the lazily loaded libraries' functions, outside the include guard: a
 * file includes the library's header, then this header (again), last of its
 * includes, since the names become macros (LIBLINEAR's `train`) ---- */

#if defined(XGBOOST_C_API_H_) && !defined(AMLP_DL_XGBOOST_C_API_H_DECLARED)
#define AMLP_DL_XGBOOST_C_API_H_DECLARED
#define AMLP_XGB_FUNCS(X)                                                              \
    X(XGBGetLastError) X(XGBRegisterLogCallback) X(XGBoosterBoostOneIter)              \
    X(XGBoosterCreate) X(XGBoosterEvalOneIter) X(XGBoosterFeatureScore)                \
    X(XGBoosterFree) X(XGBoosterLoadModelFromBuffer) X(XGBoosterPredictFromDMatrix)    \
    X(XGBoosterSaveModelToBuffer) X(XGBoosterSetParam) X(XGBoosterSlice)               \
    X(XGBoosterUpdateOneIter) X(XGDMatrixCreateFromCSREx) X(XGDMatrixFree)             \
    X(XGDMatrixSetFloatInfo) X(XGDMatrixCreateFromMat_omp)
typedef struct amlp_xgb_api {
#define AMLP_DL_SLOT_(name) __typeof__(name) *name;
    AMLP_XGB_FUNCS(AMLP_DL_SLOT_)
#undef AMLP_DL_SLOT_
} amlp_xgb_api;
extern amlp_xgb_api amlp_xgb;
int amlp_dl_xgb(aml_error *err);
#define XGBGetLastError (amlp_xgb.XGBGetLastError)
#define XGBRegisterLogCallback (amlp_xgb.XGBRegisterLogCallback)
#define XGBoosterBoostOneIter (amlp_xgb.XGBoosterBoostOneIter)
#define XGBoosterCreate (amlp_xgb.XGBoosterCreate)
#define XGBoosterEvalOneIter (amlp_xgb.XGBoosterEvalOneIter)
#define XGBoosterFeatureScore (amlp_xgb.XGBoosterFeatureScore)
#define XGBoosterFree (amlp_xgb.XGBoosterFree)
#define XGBoosterLoadModelFromBuffer (amlp_xgb.XGBoosterLoadModelFromBuffer)
#define XGBoosterPredictFromDMatrix (amlp_xgb.XGBoosterPredictFromDMatrix)
#define XGBoosterSaveModelToBuffer (amlp_xgb.XGBoosterSaveModelToBuffer)
#define XGBoosterSetParam (amlp_xgb.XGBoosterSetParam)
#define XGBoosterSlice (amlp_xgb.XGBoosterSlice)
#define XGBoosterUpdateOneIter (amlp_xgb.XGBoosterUpdateOneIter)
#define XGDMatrixCreateFromCSREx (amlp_xgb.XGDMatrixCreateFromCSREx)
#define XGDMatrixFree (amlp_xgb.XGDMatrixFree)
#define XGDMatrixSetFloatInfo (amlp_xgb.XGDMatrixSetFloatInfo)
#define XGDMatrixCreateFromMat_omp (amlp_xgb.XGDMatrixCreateFromMat_omp)
#endif

#if defined(_LIBLINEAR_H) && !defined(AMLP_DL_LIBLINEAR_H_DECLARED)
#define AMLP_DL_LIBLINEAR_H_DECLARED
#define AMLP_LINEAR_FUNCS(X)                                                           \
    X(check_parameter) X(free_and_destroy_model) X(set_print_string_function) X(train)
typedef struct amlp_linear_api {
#define AMLP_DL_SLOT_(name) __typeof__(name) *name;
    AMLP_LINEAR_FUNCS(AMLP_DL_SLOT_)
#undef AMLP_DL_SLOT_
} amlp_linear_api;
extern amlp_linear_api amlp_linear;
int amlp_dl_linear(aml_error *err);
#define check_parameter (amlp_linear.check_parameter)
#define free_and_destroy_model (amlp_linear.free_and_destroy_model)
#define set_print_string_function (amlp_linear.set_print_string_function)
#define train (amlp_linear.train)
#endif

#if defined(CBLAS_H) && !defined(AMLP_DL_CBLAS_H_DECLARED)
#define AMLP_DL_CBLAS_H_DECLARED
#define AMLP_BLAS_FUNCS(X) X(cblas_sgemm) X(openblas_set_num_threads) \
    X(openblas_get_num_threads)
typedef struct amlp_blas_api {
#define AMLP_DL_SLOT_(name) __typeof__(name) *name;
    AMLP_BLAS_FUNCS(AMLP_DL_SLOT_)
#undef AMLP_DL_SLOT_
} amlp_blas_api;
extern amlp_blas_api amlp_blas;
int amlp_dl_blas(aml_error *err);
#define cblas_sgemm (amlp_blas.cblas_sgemm)
#define openblas_set_num_threads (amlp_blas.openblas_set_num_threads)
#define openblas_get_num_threads (amlp_blas.openblas_get_num_threads)
#endif

#if defined(_LAPACKE_H_) && !defined(AMLP_DL_LAPACKE_H_DECLARED)
#define AMLP_DL_LAPACKE_H_DECLARED
#define AMLP_LAPACKE_FUNCS(X) X(LAPACKE_ssyevd)
typedef struct amlp_lapacke_api {
#define AMLP_DL_SLOT_(name) __typeof__(name) *name;
    AMLP_LAPACKE_FUNCS(AMLP_DL_SLOT_)
#undef AMLP_DL_SLOT_
} amlp_lapacke_api;
extern amlp_lapacke_api amlp_lapacke;
int amlp_dl_lapacke(aml_error *err);
#define LAPACKE_ssyevd (amlp_lapacke.LAPACKE_ssyevd)
#endif

#if defined(ONEAPI_DNNL_DNNL_H) && !defined(AMLP_DL_DNNL_H_DECLARED)
#define AMLP_DL_DNNL_H_DECLARED
/* oneDNN (libdnnl.so.2, Debian's OpenMP build) for the convolutions, and
 * libgomp's omp_set_num_threads (the thread count of its primitives). */
#define AMLP_DNNL_FUNCS(X)                                                             \
    X(dnnl_engine_create) X(dnnl_engine_destroy) X(dnnl_stream_create)                 \
    X(dnnl_stream_destroy) X(dnnl_stream_wait) X(dnnl_memory_desc_init_by_tag)         \
    X(dnnl_memory_create) X(dnnl_memory_destroy) X(dnnl_memory_set_data_handle)       \
    X(dnnl_convolution_forward_desc_init) X(dnnl_convolution_backward_data_desc_init) \
    X(dnnl_convolution_backward_weights_desc_init) X(dnnl_primitive_desc_create)      \
    X(dnnl_primitive_desc_destroy) X(dnnl_primitive_create) X(dnnl_primitive_destroy) \
    X(dnnl_primitive_execute) X(dnnl_primitive_desc_query_md) X(dnnl_memory_desc_equal)  \
    X(dnnl_memory_desc_get_size) X(dnnl_reorder_primitive_desc_create)                \
    X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy)                      \
    X(dnnl_primitive_attr_set_scratchpad_mode)
typedef struct amlp_dnnl_api {
#define AMLP_DL_SLOT_(name) __typeof__(name) *name;
    AMLP_DNNL_FUNCS(AMLP_DL_SLOT_)
#undef AMLP_DL_SLOT_
    void (*omp_set_num_threads)(int);
} amlp_dnnl_api;
extern amlp_dnnl_api amlp_dnnl;
/* Loads libgomp's thread setting, then oneDNN; 0 or AML_EUNSUPPORTED. */
int amlp_dl_dnnl(aml_error *err);
#define dnnl_engine_create (amlp_dnnl.dnnl_engine_create)
#define dnnl_engine_destroy (amlp_dnnl.dnnl_engine_destroy)
#define dnnl_stream_create (amlp_dnnl.dnnl_stream_create)
#define dnnl_stream_destroy (amlp_dnnl.dnnl_stream_destroy)
#define dnnl_stream_wait (amlp_dnnl.dnnl_stream_wait)
#define dnnl_memory_desc_init_by_tag (amlp_dnnl.dnnl_memory_desc_init_by_tag)
#define dnnl_memory_create (amlp_dnnl.dnnl_memory_create)
#define dnnl_memory_destroy (amlp_dnnl.dnnl_memory_destroy)
#define dnnl_memory_set_data_handle (amlp_dnnl.dnnl_memory_set_data_handle)
#define dnnl_convolution_forward_desc_init (amlp_dnnl.dnnl_convolution_forward_desc_init)
#define dnnl_convolution_backward_data_desc_init \
    (amlp_dnnl.dnnl_convolution_backward_data_desc_init)
#define dnnl_convolution_backward_weights_desc_init \
    (amlp_dnnl.dnnl_convolution_backward_weights_desc_init)
#define dnnl_primitive_desc_create (amlp_dnnl.dnnl_primitive_desc_create)
#define dnnl_primitive_desc_destroy (amlp_dnnl.dnnl_primitive_desc_destroy)
#define dnnl_primitive_create (amlp_dnnl.dnnl_primitive_create)
#define dnnl_primitive_destroy (amlp_dnnl.dnnl_primitive_destroy)
#define dnnl_primitive_execute (amlp_dnnl.dnnl_primitive_execute)
#define dnnl_primitive_desc_query_md (amlp_dnnl.dnnl_primitive_desc_query_md)
#define dnnl_memory_desc_equal (amlp_dnnl.dnnl_memory_desc_equal)
#define dnnl_memory_desc_get_size (amlp_dnnl.dnnl_memory_desc_get_size)
#define dnnl_reorder_primitive_desc_create (amlp_dnnl.dnnl_reorder_primitive_desc_create)
#define dnnl_primitive_attr_create (amlp_dnnl.dnnl_primitive_attr_create)
#define dnnl_primitive_attr_destroy (amlp_dnnl.dnnl_primitive_attr_destroy)
#define dnnl_primitive_attr_set_scratchpad_mode (amlp_dnnl.dnnl_primitive_attr_set_scratchpad_mode)
#endif
