/* test_srv_body.c — the request body parser (srv_parse_body): JSON instances
 * to a frame typed by the schema, missing values, conversions, and every
 * kind of bad body with the HTTP status, instance and field it names; the
 * schema constructor; token and name checks. */
#include "srv.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* age integer, income number, job categorical, member boolean, note text,
 * since datetime; target y. */
static srv_schema *schema(void)
{
    const char *names[] = {"age", "income", "job", "member", "note", "since"};
    aml_type types[] = {AML_TYPE_INTEGER, AML_TYPE_NUMBER, AML_TYPE_CATEGORICAL,
                        AML_TYPE_BOOLEAN, AML_TYPE_TEXT, AML_TYPE_DATETIME};
    srv_schema *s = NULL;
    cr_assert_eq(srv_schema_new(names, types, 6, "y", &s), 0);
    return s;
}

static aml_frame *parse_ok(const char *body, size_t want_rows)
{
    srv_schema *s = schema();
    aml_frame *f = NULL;
    size_t n = 99;
    srv_error e = {0};
    int rc = srv_parse_body(s, body, strlen(body), NULL, &f, &n, &e);
    cr_assert_eq(rc, 0, "%s: %s", body, e.text);
    cr_assert_eq(n, want_rows);
    cr_assert_eq(aml_frame_nrows(f), want_rows);
    cr_assert_eq(aml_frame_ncols(f), 6);
    srv_schema_free(s);
    return f;
}

Test(srv_body, values_convert_by_schema_type)
{
    aml_frame *f = parse_ok("{\"instances\": [{\"age\": 41, \"income\": 2.5, \"job\": \"chef\","
                            " \"member\": true, \"note\": \"hello\", \"since\": \"2020-02-29\"},"
                            " {\"age\": \"7\", \"income\": 3, \"job\": 12, \"member\": false}]}",
                            2);
    cr_assert_eq(aml_frame_col_type(f, 0), AML_TYPE_INTEGER);
    cr_assert_eq(aml_frame_get_number(f, 0, 0), 41);
    cr_assert_eq(aml_frame_get_number(f, 0, 1), 7);   /* "7" reads as the integer 7 */
    cr_assert_eq(aml_frame_get_number(f, 1, 0), 2.5);
    cr_assert_eq(aml_frame_get_number(f, 1, 1), 3);
    cr_assert_str_eq(aml_frame_get_string(f, 2, 0), "chef");
    cr_assert_str_eq(aml_frame_get_string(f, 2, 1), "12");   /* a number as a level */
    cr_assert_eq(aml_frame_get_number(f, 3, 0), 1);
    cr_assert_eq(aml_frame_get_number(f, 3, 1), 0);
    cr_assert_str_eq(aml_frame_get_string(f, 4, 0), "hello");
    cr_assert_eq(aml_frame_get_number(f, 5, 0), 1582934400);   /* 2020-02-29 UTC */
    aml_frame_free(f);
}

Test(srv_body, absent_null_and_target_fields)
{
    aml_frame *f = parse_ok("{\"instances\": [{}, {\"age\": null, \"job\": null, \"y\": \"yes\"},"
                            " {\"income\": \"NA\"}]}",
                            3);
    for (size_t c = 0; c < 6; c++)
        for (size_t r = 0; r < 3; r++)
            cr_assert_eq(aml_frame_cell_state(f, c, r), AML_CELL_MISSING, "col %zu row %zu", c, r);
    aml_frame_free(f);
}

Test(srv_body, real_numbers_round_trip)
{
    aml_frame *f = parse_ok("{\"instances\": [{\"income\": 0.1}, {\"income\": -1e-300},"
                            " {\"income\": 123456789.123456789}]}", 3);
    cr_assert_eq(aml_frame_get_number(f, 1, 0), 0.1);
    cr_assert_eq(aml_frame_get_number(f, 1, 1), -1e-300);
    cr_assert_eq(aml_frame_get_number(f, 1, 2), 123456789.123456789);
    aml_frame_free(f);
}

/* A bad body: its error code, HTTP status, instance and field, and words
 * the message must contain. */
typedef struct bad_case {
    const char *body;
    int code, status;
    long instance;
    const char *field;
    const char *words;
} bad_case;

static const bad_case bad_cases[] = {
    {"", AML_EPARSE, 400, -1, "", "malformed JSON"},
    {"{\"instances\": [{\"age\": 1}", AML_EPARSE, 400, -1, "", "malformed JSON"},
    {"{\"instances\": []} trailing", AML_EPARSE, 400, -1, "", "malformed JSON"},
    {"{\"instances\": [{\"age\": 1, \"age\": 2}]}", AML_EPARSE, 400, -1, "", "duplicate"},
    {"[]", AML_EPARSE, 400, -1, "", "not an array"},
    {"{}", AML_EPARSE, 400, -1, "", "no \"instances\""},
    {"{\"instances\": 3}", AML_EPARSE, 400, -1, "", "must be an array"},
    {"{\"instances\": []}", AML_EINVAL, 400, -1, "", "empty"},
    {"{\"instances\": [], \"extra\": 1}", AML_EINVAL, 400, -1, "", "unknown key \"extra\""},
    {"{\"instances\": [{}, \"x\"]}", AML_EINVAL, 400, 1, "", "instances[1] must be an object"},
    {"{\"instances\": [{}, {}, {\"agee\": 3}]}", AML_EINVAL, 400, 2, "agee",
     "unknown field 'agee' — did you mean 'age'?"},
    {"{\"instances\": [{\"zzzzzz\": 3}]}", AML_EINVAL, 400, 0, "zzzzzz", "unknown field 'zzzzzz'"},
    {"{\"instances\": [{\"age\": \"old\"}]}", AML_EINVAL, 400, 0, "age",
     "instances[0].age: \"old\" is not an integer"},
    {"{\"instances\": [{\"age\": 1}, {\"age\": 1.5}]}", AML_EINVAL, 400, 1, "age",
     "instances[1].age: a number (1.5) is not an integer"},
    {"{\"instances\": [{\"income\": true}]}", AML_EINVAL, 400, 0, "income", "is not a number"},
    {"{\"instances\": [{\"member\": \"maybe\"}]}", AML_EINVAL, 400, 0, "member",
     "\"maybe\" is not a boolean"},
    {"{\"instances\": [{\"since\": \"yesterday\"}]}", AML_EINVAL, 400, 0, "since",
     "is not a datetime"},
    {"{\"instances\": [{\"job\": {\"a\": 1}}]}", AML_EINVAL, 400, 0, "job",
     "an object is not a categorical"},
    {"{\"instances\": [{\"note\": [1]}]}", AML_EINVAL, 400, 0, "note", "an array is not a text"},
    /* control characters never break the one-line message */
    {"{\"instances\": [{\"a\\nb\": 1}]}", AML_EINVAL, 400, 0, "a\nb", "unknown field 'a?b'"},
    {"{\"instances\": [\"x\ny\"]}", AML_EPARSE, 400, -1, "", "malformed JSON"},
    /* a NUL character (JSON "\u0000") in a value or a field name is named,
     * never cut off at the NUL */
    {"{\"instances\": [{\"job\": \"ch\\u0000ef\"}]}", AML_EINVAL, 400, 0, "job",
     "instances[0].job: text holds a NUL character"},
    {"{\"instances\": [{}, {\"note\": \"\\u0000\"}]}", AML_EINVAL, 400, 1, "note",
     "instances[1].note: text holds a NUL character"},
    {"{\"instances\": [{}, {\"jo\\u0000b\": \"x\"}]}", AML_EINVAL, 400, 1, "jo\\u0000b",
     "instances[1]: the field name \"jo\\u0000b\" holds a NUL character"},
    /* strings with brackets, commas and escaped quotes do not miscount */
    {"{\"instances\": [{\"note\": \"}{\\\",[\\\\\"}, {}, {\"age\": 1, \"\\u0000\": 2}]}",
     AML_EINVAL, 400, 2, "\\u0000", "instances[2]: the field name \"\\u0000\""},
    {"{\"inst\\u0000ances\": []}", AML_EINVAL, 400, -1, "",
     "the key \"inst\\u0000ances\" at line 1, column 18 holds a NUL character"},
    {"{\"instances\": [{\"job\": {\"a\\u0000\": 1}}]}", AML_EINVAL, 400, -1, "",
     "the key \"a\\u0000\""},
    /* the first bad instance is named, whichever column it is in */
    {"{\"instances\": [{}, {\"income\": \"x\"}, {\"age\": \"y\"}]}", AML_EINVAL, 400, 1, "income",
     "instances[1].income"},
};

Test(srv_body, bad_bodies_name_status_instance_and_field)
{
    srv_schema *s = schema();
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const bad_case *c = &bad_cases[i];
        aml_frame *f = (aml_frame *)1;
        srv_error e = {0};
        int rc = srv_parse_body(s, c->body, strlen(c->body), NULL, &f, NULL, &e);
        cr_expect_eq(rc, c->code, "case %zu (%s): rc %d, %s", i, c->body, rc, e.text);
        cr_expect_null(f, "case %zu", i);
        cr_expect_eq(e.status, c->status, "case %zu: status %d", i, e.status);
        cr_expect_eq(e.instance, c->instance, "case %zu: instance %ld", i, e.instance);
        cr_expect_str_eq(e.field, c->field, "case %zu: field '%s'", i, e.field);
        cr_expect(strstr(e.text, c->words) != NULL, "case %zu: '%s' lacks '%s'", i, e.text,
                  c->words);
        cr_expect(strchr(e.text, '\n') == NULL, "case %zu: a newline in '%s'", i, e.text);
    }
    srv_schema_free(s);
}

Test(srv_body, instance_limit_is_413)
{
    srv_schema *s = schema();
    srv_limits lim = srv_limits_default();
    cr_assert_eq(lim.max_instances, 10000);
    lim.max_instances = 2;
    const char *ok = "{\"instances\": [{}, {}]}", *big = "{\"instances\": [{}, {}, {}]}";
    aml_frame *f = NULL;
    srv_error e = {0};
    cr_assert_eq(srv_parse_body(s, ok, strlen(ok), &lim, &f, NULL, &e), 0);
    aml_frame_free(f);
    cr_assert_eq(srv_parse_body(s, big, strlen(big), &lim, &f, NULL, &e), AML_ERANGE);
    cr_assert_eq(e.status, 413);
    cr_assert(strstr(e.text, "too many instances: 3") && strstr(e.text, "at most 2"), "%s", e.text);
    srv_schema_free(s);
}

Test(srv_body, body_is_length_bounded)
{
    /* the parser reads exactly `len` bytes: no NUL needed, nothing after read */
    srv_schema *s = schema();
    const char buf[] = "{\"instances\": [{\"age\": 5}]}GARBAGE";
    aml_frame *f = NULL;
    srv_error e = {0};
    cr_assert_eq(srv_parse_body(s, buf, strlen(buf) - 7, NULL, &f, NULL, &e), 0, "%s", e.text);
    cr_assert_eq(aml_frame_get_number(f, 0, 0), 5);
    aml_frame_free(f);
    /* an embedded NUL in a string is refused, not truncated, and named */
    const char nul[] = "{\"instances\": [{\"job\": \"a\\u0000b\"}]}";
    cr_assert_eq(srv_parse_body(s, nul, strlen(nul), NULL, &f, NULL, &e), AML_EINVAL);
    cr_assert_eq(e.status, 400);
    cr_assert_str_eq(e.field, "job");
    cr_assert_null(f);
    srv_schema_free(s);
}

Test(srv_body, long_field_names_are_cut_in_messages)
{
    srv_schema *s = schema();
    char body[4096];
    char name[1001];
    memset(name, 'q', 1000);
    name[1000] = '\0';
    snprintf(body, sizeof body, "{\"instances\": [{\"%s\": 1}]}", name);
    aml_frame *f = NULL;
    srv_error e = {0};
    cr_assert_eq(srv_parse_body(s, body, strlen(body), NULL, &f, NULL, &e), AML_EINVAL);
    cr_assert(strstr(e.text, "qqq...") != NULL, "%s", e.text);
    cr_assert_lt(strlen(e.text), sizeof e.text - 1);
    srv_schema_free(s);
}

Test(srv_schema, rejects_duplicates_and_empty_names)
{
    const char *dup[] = {"a", "a"}, *empty[] = {"a", ""};
    aml_type t[] = {AML_TYPE_NUMBER, AML_TYPE_NUMBER};
    srv_schema *s = (srv_schema *)1;
    cr_assert_eq(srv_schema_new(dup, t, 2, NULL, &s), AML_EINVAL);
    cr_assert_null(s);
    cr_assert_eq(srv_schema_new(empty, t, 2, NULL, &s), AML_EINVAL);
    cr_assert_eq(srv_schema_new(dup, t, 1, NULL, &s), 0);
    cr_assert_eq(srv_schema_size(s), 1);
    cr_assert_str_eq(srv_schema_name(s, 0), "a");
    cr_assert_eq(srv_schema_type(s, 0), AML_TYPE_NUMBER);
    cr_assert_null(srv_schema_name(s, 1));
    srv_schema_free(s);
    srv_schema_free(NULL);
}

Test(srv_auth, bearer_token)
{
    cr_assert(srv_token_ok(NULL, NULL));
    cr_assert(srv_token_ok(NULL, ""));
    cr_assert(srv_token_ok("Bearer s3cret", "s3cret"));
    cr_assert(srv_token_ok("bearer s3cret", "s3cret"));
    cr_assert_not(srv_token_ok(NULL, "s3cret"));
    cr_assert_not(srv_token_ok("s3cret", "s3cret"));
    cr_assert_not(srv_token_ok("Bearer s3cre", "s3cret"));
    cr_assert_not(srv_token_ok("Bearer s3cretx", "s3cret"));
    cr_assert_not(srv_token_ok("Bearer S3cret", "s3cret"));
    cr_assert_not(srv_token_ok("Bearer ", "s3cret"));
    cr_assert_not(srv_token_ok("Basic czNjcmV0", "s3cret"));
}

Test(srv_names, url_names)
{
    cr_assert(srv_name_ok("m1"));
    cr_assert(srv_name_ok("bank-model_v2.1"));
    cr_assert_not(srv_name_ok(""));
    cr_assert_not(srv_name_ok(NULL));
    cr_assert_not(srv_name_ok(".hidden"));
    cr_assert_not(srv_name_ok("a/b"));
    cr_assert_not(srv_name_ok("a:predict"));
    cr_assert_not(srv_name_ok("a b"));
}
