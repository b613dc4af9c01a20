/* analyze_internal.h — internals shared by analyze.c (per-column statistics)
 * and analyze_assoc.c (association with the target).  Never installed. */
#ifndef AML_ANALYZE_INTERNAL_H
#define AML_ANALYZE_INTERNAL_H

#include "aml_analyze.h"

/* Valid values of a number/integer/boolean/datetime column as doubles, in
 * row order.  OUT: *vals (the calling thread's scratch: valid until its next
 * call or amlp_analyze_scratch_free), *n.  Returns 0, AML_ETYPE, AML_ENOMEM. */
int amlp_analyze_values(const amlp_col *c, double **vals, size_t *n);
/* The same values sorted ascending (-0 as +0), in the same scratch: kept
 * from the thread's last sort of `c` when nothing overwrote them since. */
int amlp_analyze_sorted_values(const amlp_col *c, double **vals, size_t *n);
/* Sorts v[0..n) ascending (radix sort; -0 becomes +0) with the calling
 * thread's scratch.  0 or AML_ENOMEM. */
int amlp_analyze_sort(double *v, size_t n);
/* Says that this thread's scratch values (from amlp_analyze_values) now hold
 * column c's n values sorted, so amlp_analyze_sorted_values reuses them. */
void amlp_analyze_mark_sorted(const amlp_col *c, size_t n);
/* Distinct valid texts of a text column (exact: texts of equal hashes are
 * compared byte for byte), with the calling thread's scratch.  0,
 * AML_ENOMEM, AML_ERANGE (over 2^32 rows). */
int amlp_analyze_text_distinct(const amlp_col *c, size_t *distinct);
/* Frees the calling thread's scratch (each analysing thread, when done). */
void amlp_analyze_scratch_free(void);
/* Quantile q of sorted values (linear interpolation, numpy default). */
double amlp_analyze_quantile(const double *sorted, size_t n, double q);
/* The distinct count of column c into s->distinct, and nothing else (what
 * %import's schema shows).  Returns 0 or AML_ENOMEM. */
int amlp_analyze_distinct_only(const amlp_col *c, aml_analyze_column *s);
/* Is the column treated as categorical for association (categorical, boolean)? */
bool amlp_analyze_is_cat(const amlp_col *c);
bool amlp_analyze_is_num(const amlp_col *c);
/* Per-row group index for a categorical/boolean column (-1 if not valid).
 * OUT: *groups (caller frees), *ngroups. */
int amlp_analyze_groups(const amlp_col *c, int32_t **groups, size_t *ngroups);
/* Per-row bin for mutual information: quantile bins for numerics, the most
 * frequent levels (others pooled) for categoricals; -1 if not valid. */
int amlp_analyze_bins(const amlp_col *c, size_t mi_bins, int32_t **bins, size_t *nbins);

/* Association of column x with target y. OUT: *kind, *value, *mi. */
int amlp_analyze_assoc(const amlp_col *x, const amlp_col *y, size_t mi_bins,
                       aml_analyze_assoc *kind, double *value, double *mi);

#endif
