/*
 * aml.h — the public interface of libaml, the AutoML engine: the umbrella
 * that includes one header per subsystem, bottom layer first.
 *
 * libaml knows nothing about Jupyter: it is a plain C library that the kernel's
 * magics, command-line front ends and benchmarks link.  docs/architecture.md
 * draws the subsystems and what each may include; tools/check-layers holds it.
 * Inside the engine, a subsystem includes the headers it uses, never this one.
 */
#ifndef AML_H
#define AML_H

#include "aml_base.h"     /* errors, logging, allocation, fit control, clock, bytes */
#include "aml_plot.h"     /* charts rendered to PNG */
#include "aml_data.h"     /* columnar frames, CSV reading, type inference, matrices */
#include "aml_analyze.h"  /* column statistics and associations */
#include "aml_prep.h"     /* the preparation pipeline */
#include "aml_features.h" /* feature engineering on prepared matrices */
#include "aml_nn.h"       /* the neural-network library */
#include "aml_learn.h"    /* learners and metrics */
#include "aml_model.h"    /* fitted model bundles and model files */
#include "aml_search.h"   /* the AutoML search and its runs */
#include "aml_evaluate.h" /* evaluating predictions: metrics, curves, charts, CSV */
#include "aml_explain.h"  /* permutation importance, SHAP, partial dependence */

#endif
