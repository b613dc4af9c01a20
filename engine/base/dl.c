/*
 * dl.c — loading the machine-learning libraries on first use (see dl.h):
 * one dlopen per library, every symbol resolved or a clear error, once.
 */

#include <xgboost/c_api.h>
#include <linear.h>
#include <cblas.h>
#include <lapacke.h>
#include <oneapi/dnnl/dnnl.h>
#include "aml_base.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

int amlp_dl_load(amlp_dl_lib *lib, aml_error *err)
{
    pthread_mutex_lock(&load_lock);
    if (lib->state == 0) {
        void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        const char *missing = NULL;
        for (size_t i = 0; h && i < lib->n && !missing; i++) {
            lib->slots[i] = dlsym(h, lib->names[i]);
            if (!lib->slots[i])
                missing = lib->names[i];
        }
        if (!h)
            snprintf(lib->error, sizeof lib->error, "%s is not installed (%s: %s); "
                     "apt-get install %s", lib->what, lib->soname, dlerror(), lib->package);
        else if (missing)
            snprintf(lib->error, sizeof lib->error, "%s (%s) lacks %s: install %s",
                     lib->what, lib->soname, missing, lib->package);
        if (h && missing) {
            memset(lib->slots, 0, lib->n * sizeof *lib->slots);
            dlclose(h);
        }
        /* a loaded library stays loaded for the life of the process */
        lib->state = h && !missing ? 1 : -1;
    }
    int state = lib->state;
    pthread_mutex_unlock(&load_lock);
    if (state == 1)
        return 0;
    return aml_error_set(err, AML_EUNSUPPORTED, 0, 0, lib->what, "%s", lib->error);
}

#define AMLP_DL_NAME_(name) #name,

amlp_xgb_api amlp_xgb;
static const char *const xgb_names[] = {AMLP_XGB_FUNCS(AMLP_DL_NAME_)};
static amlp_dl_lib xgb_lib = {
    "libxgboost.so.0", "libxgboost0", "XGBoost", xgb_names, (void **)&amlp_xgb,
    sizeof xgb_names / sizeof xgb_names[0], 0, "",
};

int amlp_dl_xgb(aml_error *err)
{
    /* XGBoost's OpenMP workers spin while idle by default, which slows
     * everything else on the machine (and XGBoost itself when anything else
     * runs) by 10x; let them sleep unless the user chose otherwise.  libgomp
     * reads this when it loads, with XGBoost. */
    setenv("OMP_WAIT_POLICY", "passive", 0);
    return amlp_dl_load(&xgb_lib, err);
}

amlp_linear_api amlp_linear;
static const char *const linear_names[] = {AMLP_LINEAR_FUNCS(AMLP_DL_NAME_)};
static amlp_dl_lib linear_lib = {
    "liblinear.so.4", "liblinear4", "LIBLINEAR", linear_names, (void **)&amlp_linear,
    sizeof linear_names / sizeof linear_names[0], 0, "",
};

int amlp_dl_linear(aml_error *err)
{
    return amlp_dl_load(&linear_lib, err);
}

amlp_blas_api amlp_blas;
static const char *const blas_names[] = {AMLP_BLAS_FUNCS(AMLP_DL_NAME_)};
static amlp_dl_lib blas_lib = {
    "libopenblas.so.0", "libopenblas0", "OpenBLAS", blas_names, (void **)&amlp_blas,
    sizeof blas_names / sizeof blas_names[0], 0, "",
};

int amlp_dl_blas(aml_error *err)
{
    return amlp_dl_load(&blas_lib, err);
}

amlp_lapacke_api amlp_lapacke;
static const char *const lapacke_names[] = {AMLP_LAPACKE_FUNCS(AMLP_DL_NAME_)};
static amlp_dl_lib lapacke_lib = {
    "liblapacke.so.3", "liblapacke", "LAPACKE", lapacke_names, (void **)&amlp_lapacke,
    sizeof lapacke_names / sizeof lapacke_names[0], 0, "",
};

int amlp_dl_lapacke(aml_error *err)
{
    return amlp_dl_load(&lapacke_lib, err);
}

amlp_dnnl_api amlp_dnnl;
static const char *const dnnl_names[] = {AMLP_DNNL_FUNCS(AMLP_DL_NAME_)};
static amlp_dl_lib dnnl_lib = {
    "libdnnl.so.2", "libdnnl2", "oneDNN", dnnl_names, (void **)&amlp_dnnl,
    sizeof dnnl_names / sizeof dnnl_names[0], 0, "",
};
static const char *const gomp_names[] = {"omp_set_num_threads"};
static amlp_dl_lib gomp_lib = {
    "libgomp.so.1", "libgomp1", "GNU OpenMP", gomp_names,
    (void **)&amlp_dnnl.omp_set_num_threads, 1, 0, "",
};

int amlp_dl_dnnl(aml_error *err)
{
    /* Idle OpenMP workers sleep instead of spinning (see amlp_dl_xgb): the
     * layers between two convolutions run on the same cores. */
    setenv("OMP_WAIT_POLICY", "passive", 0);
    int rc = amlp_dl_load(&gomp_lib, err);
    return rc ? rc : amlp_dl_load(&dnnl_lib, err);
}
