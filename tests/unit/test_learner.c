/* test_learner.c — the learner interface itself: every kind registered,
 * hyper-parameter checking, the serialised envelope, and the lazy loading of
 * the machine-learning libraries (dl.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "aml.h"
#include "aml_base.h"

Test(learner, all_six_kinds_are_linked_in)
{
    const char *want[] = {"xgb", "rf", "linear", "knn", "nb", "mlp"};
    const char *const *kinds = aml_learner_kinds();
    size_t n = 0;
    while (kinds[n])
        n++;
    cr_assert_eq(n, 6, "%zu kinds registered", n);
    for (size_t i = 0; i < 6; i++) {
        size_t dims = 0;
        cr_assert_not_null(aml_learner_space(want[i], &dims), "%s has no space", want[i]);
        cr_assert_gt(dims, 0);
    }
    cr_assert_not(aml_learner_supports("nb", AML_TASK_REGRESSION));
    cr_assert(aml_learner_supports("xgb", AML_TASK_MULTICLASS));
}

Test(learner, spaces_are_consistent)
{
    for (const char *const *k = aml_learner_kinds(); *k; k++) {
        size_t n = 0;
        const aml_param_spec *s = aml_learner_space(*k, &n);
        for (size_t i = 0; i < n; i++) {
            cr_assert_not_null(s[i].name);
            if (s[i].type == AML_PARAM_CHOICE) {
                cr_assert_not_null(s[i].choices, "%s.%s", *k, s[i].name);
                continue;
            }
            cr_assert_leq(s[i].lo, s[i].hi, "%s.%s", *k, s[i].name);
            cr_assert(s[i].dflt >= s[i].lo && s[i].dflt <= s[i].hi, "%s.%s default", *k,
                      s[i].name);
            cr_assert(s[i].cheap >= s[i].lo && s[i].cheap <= s[i].hi, "%s.%s cheap", *k,
                      s[i].name);
            cr_assert(!s[i].log || s[i].lo > 0, "%s.%s log scale from %g", *k, s[i].name,
                      s[i].lo);
        }
    }
}

Test(learner, parameters_are_checked)
{
    aml_learner *l = NULL;
    aml_error err = {0};
    aml_params p = {0};
    aml_params_set(&p, "max_dept", 4);
    cr_assert_eq(aml_learner_new("xgb", &p, &l, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "max_dept") != NULL, "%s", err.text);
    p.n = 0;
    aml_params_set(&p, "max_depth", 99);
    cr_assert_eq(aml_learner_new("xgb", &p, &l, &err), AML_ERANGE);
    cr_assert(strstr(err.text, "max_depth=99") != NULL, "%s", err.text);
    cr_assert_eq(aml_learner_new("svm", NULL, &l, &err), AML_EINVAL);
    cr_assert_null(l);
    cr_assert_eq(aml_learner_new("knn", NULL, &l, &err), 0, "%s", err.text);
    cr_assert_str_eq(aml_learner_kind(l), "knn");
    cr_assert_float_eq(aml_params_get(&p, "max_depth", 0), 99, 0);
    aml_learner_free(l);
}

Test(learner, envelope_round_trip_and_damage)
{
    /* a small, fast learner: Gaussian naive Bayes on two separated blobs */
    aml_matrix *X = NULL;
    cr_assert_eq(aml_matrix_new(40, 2, &X), 0);
    float y[40];
    for (size_t i = 0; i < 40; i++) {
        y[i] = (float)(i % 2);
        X->dense[2 * i] = (float)(i % 2) * 5.0f + (float)(i % 7) * 0.1f;
        X->dense[2 * i + 1] = (float)(i % 5) * 0.2f;
    }
    aml_fit_data d = {.task = AML_TASK_BINARY, .n_classes = 2, .X = X, .y = y};
    aml_learner *l = NULL, *back = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_learner_new("nb", NULL, &l, &err), 0);
    cr_assert_eq(aml_learner_fit(l, &d, NULL, &err), 0, "%s", err.text);
    unsigned char *bytes = NULL;
    size_t len = 0;
    cr_assert_eq(aml_learner_save(l, &bytes, &len, &err), 0, "%s", err.text);
    cr_assert_eq(aml_learner_load(bytes, len, &back, &err), 0, "%s", err.text);
    float a[40], b[40];
    cr_assert_eq(aml_learner_predict(l, X, a, &err), 0);
    cr_assert_eq(aml_learner_predict(back, X, b, &err), 0);
    cr_assert_eq(memcmp(a, b, sizeof a), 0);
    /* every truncation is a clean error */
    for (size_t cut = 0; cut < len; cut += 1 + len / 64) {
        aml_learner *t = NULL;
        cr_assert_neq(aml_learner_load(bytes, cut, &t, &err), 0, "accepted %zu of %zu bytes",
                      cut, len);
        cr_assert_null(t);
    }
    bytes[0] = 'X';
    aml_learner *damaged = NULL;
    cr_assert_eq(aml_learner_load(bytes, len, &damaged, &err), AML_EPARSE);
    cr_assert_null(damaged);
    aml_learner_free(l);
    aml_free(bytes);
    aml_learner_free(back);
    aml_matrix_free(X);
}

Test(learner, unfitted_and_mismatched_use_is_an_error)
{
    aml_learner *l = NULL;
    aml_error err = {0};
    aml_matrix *X = NULL;
    float out[4];
    cr_assert_eq(aml_matrix_new(4, 3, &X), 0);
    cr_assert_eq(aml_learner_new("linear", NULL, &l, &err), 0);
    cr_assert_eq(aml_learner_predict(l, X, out, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "not fitted") != NULL, "%s", err.text);
    aml_fit_data d = {.task = AML_TASK_BINARY, .n_classes = 1, .X = X, .y = out};
    cr_assert_eq(aml_learner_fit(l, &d, NULL, &err), AML_EINVAL);
    aml_learner_free(l);
    aml_matrix_free(X);
}

Test(dl, a_missing_library_is_a_clear_error)
{
    static const char *const names[] = {"no_such_function"};
    void *slots[1] = {0};
    amlp_dl_lib lib = {"libno-such-library.so.9", "libno-such0", "NoSuch", names, slots, 1, 0,
                       ""};
    aml_error err = {0};
    cr_assert_eq(amlp_dl_load(&lib, &err), AML_EUNSUPPORTED);
    cr_assert(strstr(err.text, "NoSuch is not installed") != NULL, "%s", err.text);
    cr_assert(strstr(err.text, "apt-get install libno-such0") != NULL, "%s", err.text);
    /* a library without one of the symbols is refused too, and stays refused */
    amlp_dl_lib libm = {"libm.so.6", "libc6", "libm", names, slots, 1, 0, ""};
    cr_assert_eq(amlp_dl_load(&libm, &err), AML_EUNSUPPORTED);
    cr_assert(strstr(err.text, "no_such_function") != NULL, "%s", err.text);
    cr_assert_eq(amlp_dl_load(&libm, NULL), AML_EUNSUPPORTED);
}
