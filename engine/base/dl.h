/*
 * dl.h — the machine-learning libraries (XGBoost, LIBLINEAR, OpenBLAS),
 * loaded on first use instead of at program start.
 *
 * The kernel links these only through this layer, so starting it and holding
 * it idle costs none of their memory or start-up time (XGBoost alone is ~50 ms
 * and ~7 MB); they load when a learner first fits, predicts or loads.  A
 * learner file includes the library's own header, then this one: each
 * function it calls becomes a call through a pointer filled by the loader, and
 * it calls amlp_dl_<lib>() at its entry points before using any of them.
 */
#ifndef AMLP_DL_H
#define AMLP_DL_H

#include "aml.h"

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

#ifdef XGBOOST_C_API_H_
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

#ifdef _LIBLINEAR_H
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

#ifdef CBLAS_H
#define AMLP_BLAS_FUNCS(X) X(cblas_sgemm) X(openblas_set_num_threads)
typedef struct amlp_blas_api {
#define AMLP_DL_SLOT_(name) __typeof__(name) *name;
    AMLP_BLAS_FUNCS(AMLP_DL_SLOT_)
#undef AMLP_DL_SLOT_
} amlp_blas_api;
extern amlp_blas_api amlp_blas;
int amlp_dl_blas(aml_error *err);
#define cblas_sgemm (amlp_blas.cblas_sgemm)
#define openblas_set_num_threads (amlp_blas.openblas_set_num_threads)
#endif

#ifdef _LAPACKE_H_
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

#endif
