/* test_learn_knn.c — Criterion suite for the k-NN search (engine/
 * nn_neighbors.c) and the "knn" learner: neighbours and distances against a
 * naive O(n^2) reference (also across query blocks), k=1 perfect on its own
 * training rows, hand-computed votes and means (uniform and distance
 * weights, sample weights), CSR = dense, save -> load -> identical
 * predictions. */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void naive_knn(const float *t, size_t nt, size_t d, const float *q, size_t k,
                      uint32_t *idx, double *dist)
{
    double *all = malloc(nt * sizeof(double));
    char *used = calloc(nt, 1);
    for (size_t i = 0; i < nt; i++) {
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += ((double)q[j] - t[i * d + j]) * ((double)q[j] - t[i * d + j]);
        all[i] = s;
    }
    for (size_t a = 0; a < k; a++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < nt; i++)
            if (!used[i] && (best == SIZE_MAX || all[i] < all[best]))
                best = i;
        used[best] = 1;
        idx[a] = (uint32_t)best;
        dist[a] = all[best];
    }
    free(all);
    free(used);
}

static void check_search(size_t nt, size_t nq, size_t d, size_t k, unsigned seed)
{
    srand(seed);
    float *t = malloc(nt * d * sizeof(float)), *q = malloc(nq * d * sizeof(float));
    for (size_t i = 0; i < nt * d; i++)
        t[i] = (float)(20.0 * rand() / RAND_MAX - 10);
    for (size_t i = 0; i < nq * d; i++)
        q[i] = (float)(20.0 * rand() / RAND_MAX - 10);
    float *sq = malloc(nt * sizeof(float)), *dist = malloc(nq * k * sizeof(float));
    uint32_t *idx = malloc(nq * k * sizeof(uint32_t)), ref_i[16];
    double ref_d[16];
    amlp_knn_sqnorms(t, nt, d, sq);
    cr_assert_eq(amlp_knn_search(t, sq, nt, d, q, nq, k, 2, NULL, idx, dist), 0);
    size_t mismatched = 0;
    for (size_t r = 0; r < nq; r++) {
        naive_knn(t, nt, d, q + r * d, k, ref_i, ref_d);
        for (size_t a = 0; a < k; a++) {
            cr_expect(fabs(dist[r * k + a] - ref_d[a]) <= 1e-6 * ref_d[a] + 1e-6,
                      "query %zu neighbour %zu: %.9g vs %.9g", r, a, dist[r * k + a], ref_d[a]);
            mismatched += idx[r * k + a] != ref_i[a];
        }
    }
    /* float cross products may swap two neighbours at (nearly) equal
     * distance; the distances above are checked exactly */
    cr_expect_leq(mismatched, nq * k / 1000, "%zu of %zu neighbours differ", mismatched, nq * k);
    free(t);
    free(q);
    free(sq);
    free(dist);
    free(idx);
}

Test(knn_search, matches_naive_reference)
{
    check_search(500, 120, 7, 10, 1);
}

Test(knn_search, matches_naive_reference_across_query_blocks)
{
    /* 70000 training rows: the 32 MB scratch holds 119 query rows */
    check_search(70000, 300, 2, 3, 2);
}

static aml_learner *knn(double k, double weights)
{
    aml_params p = {0};
    aml_params_set(&p, "k", k);
    aml_params_set(&p, "weights", weights);
    return tu_learner_new("knn", &p);
}

Test(knn, k1_is_perfect_on_its_training_rows)
{
    size_t n = 300, d = 4;
    aml_matrix *X = NULL;
    cr_assert_eq(aml_matrix_new(n, d, &X), 0);
    float *y = malloc(n * sizeof(float));
    srand(3);
    for (size_t i = 0; i < n; i++) {
        y[i] = (float)(rand() % 4);   /* random labels: only memory can be right */
        for (size_t j = 0; j < d; j++)
            X->dense[i * d + j] = (float)rand() / RAND_MAX;
    }
    aml_learner *l = knn(1, 0);
    aml_fit_data fd = {.task = AML_TASK_MULTICLASS, .n_classes = 4, .X = X, .y = y};
    tu_fit(l, &fd);
    float *p = malloc(n * 4 * sizeof(float));
    aml_error err = {0};
    cr_assert_eq(aml_learner_predict(l, X, p, &err), 0);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < 4; c++)
            cr_assert_eq(p[i * 4 + c], c == (size_t)y[i] ? 1.0f : 0.0f, "row %zu", i);
    aml_learner_free(l);
    aml_matrix_free(X);
    free(y);
    free(p);
}

Test(knn, regression_means_by_hand)
{
    aml_matrix *X = NULL, *Q = NULL;
    cr_assert_eq(aml_matrix_new(4, 1, &X), 0);
    cr_assert_eq(aml_matrix_new(2, 1, &Q), 0);
    float xs[4] = {0, 1, 2, 10}, y[4] = {0, 1, 2, 10};
    memcpy(X->dense, xs, sizeof xs);
    Q->dense[0] = 0.9f;
    Q->dense[1] = 2.0f;
    aml_fit_data fd = {.task = AML_TASK_REGRESSION, .X = X, .y = y};
    float p[2];
    aml_error err = {0};

    aml_learner *l = knn(3, 0);
    tu_fit(l, &fd);
    cr_assert_eq(aml_learner_predict(l, Q, p, &err), 0);
    cr_expect_float_eq(p[0], 1.0f, 1e-6);    /* neighbours 1, 0, 2 */
    cr_expect_float_eq(p[1], 1.0f, 1e-6);    /* 2, 1, 0 */
    aml_learner_free(l);

    l = knn(3, 1);
    tu_fit(l, &fd);
    cr_assert_eq(aml_learner_predict(l, Q, p, &err), 0);
    double d0 = 0.9 - (double)0.9f;   /* distances in float: 0.9f is not 0.9 */
    double a = 1 / (0.1 + d0), b = 1 / (0.9 - d0), c = 1 / (1.1 + d0);
    double want = (a * 1 + b * 0 + c * 2) / (a + b + c);
    cr_expect(fabs(p[0] - want) < 1e-5, "distance-weighted mean %.7g, want %.7g", p[0], want);
    cr_expect_float_eq(p[1], 2.0f, 1e-6);    /* exact match takes all the weight */
    aml_learner_free(l);

    /* sample weights: row 1 weighs 3 */
    float w[4] = {1, 3, 1, 1};
    fd.weight = w;
    l = knn(3, 0);
    tu_fit(l, &fd);
    cr_assert_eq(aml_learner_predict(l, Q, p, &err), 0);
    cr_expect_float_eq(p[0], (float)((3 * 1 + 0 + 2) / 5.0), 1e-6);
    aml_learner_free(l);
    aml_matrix_free(X);
    aml_matrix_free(Q);
}

Test(knn, votes_give_probabilities)
{
    aml_matrix *X = NULL, *Q = NULL;
    cr_assert_eq(aml_matrix_new(5, 2, &X), 0);
    cr_assert_eq(aml_matrix_new(1, 2, &Q), 0);
    float xs[10] = {0, 0, 1, 0, 0, 1, 5, 5, 6, 6}, y[5] = {0, 1, 1, 2, 2};
    memcpy(X->dense, xs, sizeof xs);
    aml_fit_data fd = {.task = AML_TASK_MULTICLASS, .n_classes = 3, .X = X, .y = y};
    aml_learner *l = knn(3, 0);
    tu_fit(l, &fd);
    float p[3];
    aml_error err = {0};
    cr_assert_eq(aml_learner_predict(l, Q, p, &err), 0);   /* query at the origin */
    cr_expect_float_eq(p[0], 1.0f / 3, 1e-6);
    cr_expect_float_eq(p[1], 2.0f / 3, 1e-6);
    cr_expect_float_eq(p[2], 0.0f, 1e-6);
    /* class weights scale the votes */
    float cw[3] = {4, 1, 1};
    fd.class_weight = cw;
    aml_learner *lw = knn(3, 0);
    tu_fit(lw, &fd);
    cr_assert_eq(aml_learner_predict(lw, Q, p, &err), 0);
    cr_expect_float_eq(p[0], 4.0f / 6, 1e-6);
    /* binary: P(class 1) */
    float yb[5] = {0, 1, 1, 0, 0};
    aml_fit_data fb = {.task = AML_TASK_BINARY, .n_classes = 2, .X = X, .y = yb};
    aml_learner *lb = knn(3, 0);
    tu_fit(lb, &fb);
    cr_assert_eq(aml_learner_predict(lb, Q, p, &err), 0);
    cr_expect_float_eq(p[0], 2.0f / 3, 1e-6);
    cr_expect_eq(aml_learner_importance(lb, p, 2, &err), AML_EUNSUPPORTED);
    aml_learner_free(l);
    aml_learner_free(lw);
    aml_learner_free(lb);
    aml_matrix_free(X);
    aml_matrix_free(Q);
}

Test(knn, save_load_and_csr)
{
    size_t n = 400, d = 6;
    aml_matrix *X = NULL;
    cr_assert_eq(aml_matrix_new(n, d, &X), 0);
    float *y = malloc(n * sizeof(float));
    srand(5);
    size_t nnz = 0;
    for (size_t i = 0; i < n; i++) {
        y[i] = (float)(i % 3);
        for (size_t j = 0; j < d; j++) {
            float v = rand() % 3 == 0 ? (float)rand() / RAND_MAX + (j == i % 3) : 0.0f;
            X->dense[i * d + j] = v;
            nnz += v != 0;
        }
    }
    aml_matrix S = {.rows = n, .cols = d};
    S.indptr = malloc((n + 1) * sizeof(size_t));
    S.indices = malloc(nnz * sizeof(uint32_t) + 1);
    S.values = malloc(nnz * sizeof(float) + 1);
    size_t k = 0;
    for (size_t r = 0; r < n; r++) {
        S.indptr[r] = k;
        for (uint32_t c = 0; c < d; c++)
            if (X->dense[r * d + c] != 0) {
                S.indices[k] = c;
                S.values[k++] = X->dense[r * d + c];
            }
    }
    S.indptr[n] = k;
    aml_learner *l = knn(7, 1);
    aml_fit_data fd = {.task = AML_TASK_MULTICLASS, .n_classes = 3, .X = &S, .y = y};
    tu_fit(l, &fd);
    float *p = malloc(n * 3 * sizeof(float)), *q = malloc(n * 3 * sizeof(float));
    aml_error err = {0};
    cr_assert_eq(aml_learner_predict(l, X, p, &err), 0);
    cr_assert_eq(aml_learner_predict(l, &S, q, &err), 0);
    cr_expect_arr_eq(p, q, n * 3 * sizeof(float));
    unsigned char *bytes = NULL;
    size_t len = 0;
    cr_assert_eq(aml_learner_save(l, &bytes, &len, &err), 0);
    aml_learner *back = NULL;
    cr_assert_eq(aml_learner_load(bytes, len, &back, &err), 0, "%s", err.text);
    cr_assert_eq(aml_learner_predict(back, X, q, &err), 0);
    cr_expect_arr_eq(p, q, n * 3 * sizeof(float));
    for (size_t cut = 0; cut < len; cut += len / 23 + 1) {
        aml_learner *bad = NULL;
        cr_expect_neq(aml_learner_load(bytes, cut, &bad, &err), 0);
        cr_expect_null(bad);
    }
    aml_free(bytes);
    aml_learner_free(back);
    aml_learner_free(l);
    aml_matrix_free(X);
    free(S.indptr);
    free(S.indices);
    free(S.values);
    free(y);
    free(p);
    free(q);
}
