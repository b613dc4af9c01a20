/* test_srv_image.c — the serving layer's image instances (serve/srv_body.c):
 * base64 decoding (RFC 4648's vectors, optional padding, whitespace, the
 * offset of a bad character) and the image request parser (contents,
 * parameters, and the 400s that name the instance). */

#include <criterion/criterion.h>
#include "srv.h"

#include <stdlib.h>
#include <string.h>

static void decodes_to(const char *text, const char *want)
{
    unsigned char *out = NULL;
    size_t len = 0, bad = 0;
    cr_assert_eq(srv_base64_decode(text, strlen(text), &out, &len, &bad), 0, "'%s'", text);
    cr_assert_eq(len, strlen(want), "'%s' gives %zu bytes", text, len);
    cr_assert_eq(memcmp(out, want, len), 0, "'%s'", text);
    free(out);
}

static size_t refused_at(const char *text)
{
    unsigned char *out = (unsigned char *)1;
    size_t len = 9, bad = 12345;
    cr_assert_eq(srv_base64_decode(text, strlen(text), &out, &len, &bad), AML_EPARSE, "'%s'",
                 text);
    cr_assert(out == NULL && len == 0);
    return bad;
}

Test(srv_image, base64_rfc4648_vectors_padding_and_whitespace)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                        "Zm9vYmFy"};
    static const char *const bare[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        decodes_to(coded[i], plain[i]);
        decodes_to(bare[i], plain[i]);
    }
    decodes_to("Zm9v\r\nYmFy", "foobar");
    decodes_to("+/+/", "\xfb\xff\xbf");
}

Test(srv_image, base64_says_where_it_goes_wrong)
{
    cr_assert_eq(refused_at("Zm9v$mFy"), 4);
    cr_assert_eq(refused_at("Zm9vYmF-"), 7);          /* URL-safe alphabet: not standard */
    cr_assert_eq(refused_at("Zg==Zg=="), 4);          /* data after the padding */
    cr_assert_eq(refused_at("Z==="), 1);              /* padding too early */
    cr_assert_eq(refused_at("Zm9vY"), 5);             /* stops mid-byte: the length */
    cr_assert_eq(refused_at("Zg="), 3);
}

static int parse(const char *body, srv_image_request *rq, srv_error *err)
{
    memset(err, 0, sizeof *err);
    return srv_parse_image_body(body, strlen(body), NULL, rq, err);
}

Test(srv_image, request_contents_and_parameters)
{
    srv_image_request rq;
    srv_error err;
    cr_assert_eq(parse("{\"instances\": [{\"content\": \"Zm9v\"}, {\"content\": \"YmFy\"}], "
                       "\"parameters\": {\"maxPredictions\": 2, \"confidenceThreshold\": 0.25}}",
                       &rq, &err), 0, "%s", err.text);
    cr_assert_eq(rq.n, 2);
    cr_assert(rq.lens[0] == 3 && memcmp(rq.bytes[0], "foo", 3) == 0);
    cr_assert(rq.lens[1] == 3 && memcmp(rq.bytes[1], "bar", 3) == 0);
    cr_assert_eq(rq.max_predictions, 2);
    cr_assert_float_eq(rq.confidence_threshold, 0.25, 1e-12);
    srv_image_request_clear(&rq);
    cr_assert_eq(rq.n, 0);
    cr_assert_eq(parse("{\"instances\": [{\"content\": \"Zm9v\"}]}", &rq, &err), 0);
    cr_assert_eq(rq.max_predictions, 0);
    srv_image_request_clear(&rq);
}

Test(srv_image, bad_requests_name_the_instance)
{
    static const struct {
        const char *body, *text;
        int status;
        long instance;
    } cases[] = {
        {"not json", "malformed JSON", 400, -1},
        {"[1]", "must be a JSON object", 400, -1},
        {"{\"instances\": [{\"content\": \"Zm9v\"}, {\"content\": \"Zm!v\"}]}",
         "instances[1].content: not base64 (bad character at byte 2)", 400, 1},
        {"{\"instances\": [{\"content\": \"\"}]}", "instances[0].content: empty", 400, 0},
        {"{\"instances\": [{\"content\": null}]}", "null is not a base64 string", 400, 0},
        {"{\"instances\": [{}]}", "instances[0]: no \"content\" field", 400, 0},
        {"{\"instances\": [{\"content\": \"Zm9v\", \"key\": 1}]}", "unknown field 'key'", 400, 0},
        {"{\"instances\": [{\"content\": \"Zm9v\"}], \"parameters\": {\"maxPredictions\": -1}}",
         "maxPredictions must be an integer of at least 1", 400, -1},
        {"{\"instances\": [{\"content\": \"Zm9v\"}], \"parameters\": {\"confidenceThreshold\": 2}}",
         "confidenceThreshold must be a number from 0 to 1", 400, -1},
        {"{\"instances\": [{\"content\": \"Zm9v\"}], \"extra\": 1}", "unknown key \"extra\"", 400,
         -1},
        {"{\"instances\": {}}", "must be an array", 400, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        srv_image_request rq;
        srv_error err;
        cr_assert_neq(parse(cases[i].body, &rq, &err), 0, "%s", cases[i].body);
        cr_assert(strstr(err.text, cases[i].text), "%s: '%s'", cases[i].body, err.text);
        cr_assert_eq(err.status, cases[i].status, "%s", cases[i].body);
        cr_assert_eq(err.instance, cases[i].instance, "%s", cases[i].body);
        cr_assert(rq.n == 0 && rq.bytes == NULL, "%s: the request was not cleared",
                  cases[i].body);
    }
    srv_limits lim = {.max_instances = 1};
    srv_image_request rq;
    srv_error err = {0};
    const char *two = "{\"instances\": [{\"content\": \"Zm9v\"}, {\"content\": \"Zm9v\"}]}";
    cr_assert_eq(srv_parse_image_body(two, strlen(two), &lim, &rq, &err), AML_ERANGE);
    cr_assert_eq(err.status, 413);
}
