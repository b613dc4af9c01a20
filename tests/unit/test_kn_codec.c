/* test_kn_codec.c — the wire codec: round trips, headers, malformed frame
 * sets, NUL characters (JSON "\u0000") in strings and keys, and the UTF-8
 * code point helpers. */
#include <criterion/criterion.h>
#include <string.h>

#include "kn_internal.h"

static kn_signer *signer(void)
{
    return kn_signer_new((const unsigned char *)"key", 3);
}

Test(codec, round_trip_with_identities_and_buffers)
{
    kn_signer *s = signer();
    kn_frames ids = {0}, wire = {0};
    kn_frames_push(&ids, "client-1", 8);
    json_t *h = kn_header_new("execute_request", "sess");
    json_t *content = json_pack("{s:s}", "code", "%echo é");
    cr_assert_eq(kn_msg_encode(s, &ids, h, NULL, NULL, content, &wire), 0);
    kn_frames_push(&wire, "\x00\x01", 2);  /* a binary buffer */
    cr_assert_eq(wire.n, 1 + 1 + 1 + 4 + 1);

    kn_msg m;
    const char *why = NULL;
    cr_assert_eq(kn_msg_decode(&wire, s, &m, &why), 0, "%s", why ? why : "");
    cr_assert_str_eq(m.msg_type, "execute_request");
    cr_assert_eq(m.ids.n, 1);
    cr_assert_eq(memcmp(m.ids.v[0].data, "client-1", 8), 0);
    cr_assert_str_eq(json_string_value(json_object_get(m.content, "code")), "%echo é");
    cr_assert_eq(m.buffers.n, 1);
    cr_assert_eq(m.buffers.v[0].size, 2);
    kn_msg_clear(&m);
    json_decref(h);
    json_decref(content);
    kn_frames_clear(&ids);
    kn_frames_clear(&wire);
    kn_signer_free(s);
}

Test(codec, header_has_spec_fields_and_microsecond_date)
{
    json_t *h = kn_header_new("status", "abc");
    const char *date = json_string_value(json_object_get(h, "date"));
    cr_assert_not_null(date);
    /* 2026-11-28T03:54:19.123456Z */
    cr_assert_eq(strlen(date), 27, "%s", date);
    cr_assert_eq(date[19], '.');
    cr_assert_eq(date[26], 'Z');
    cr_assert_str_eq(json_string_value(json_object_get(h, "version")), "5.3");
    cr_assert_str_eq(json_string_value(json_object_get(h, "session")), "abc");
    cr_assert_not_null(json_string_value(json_object_get(h, "msg_id")));
    cr_assert_not_null(json_string_value(json_object_get(h, "username")));
    json_t *h2 = kn_header_new("status", "abc");
    cr_assert_str_neq(json_string_value(json_object_get(h, "msg_id")),
                      json_string_value(json_object_get(h2, "msg_id")));
    json_decref(h);
    json_decref(h2);
}

Test(codec, uuid4_format)
{
    char a[37], b[37];
    kn_uuid4(a);
    kn_uuid4(b);
    cr_assert_eq(strlen(a), 36);
    cr_assert_eq(a[14], '4');
    cr_assert(strchr("89ab", a[19]) != NULL);
    cr_assert_str_neq(a, b);
}

/* Builds a frame set from strings (NULL-terminated). */
static kn_frames frames_of(const char *const *v)
{
    kn_frames f = {0};
    for (; *v; v++)
        kn_frames_push(&f, *v, strlen(*v));
    return f;
}

static void expect_rejected(const char *const *v, const char *reason_part)
{
    kn_signer *s = kn_signer_new((const unsigned char *)"", 0);
    kn_frames f = frames_of(v);
    kn_msg m;
    const char *why = NULL;
    cr_assert_eq(kn_msg_decode(&f, s, &m, &why), -1);
    cr_assert_not_null(why);
    cr_assert(strstr(why, reason_part) != NULL, "reason '%s' lacks '%s'", why, reason_part);
    kn_frames_clear(&f);
    kn_signer_free(s);
}

Test(codec, malformed_frame_sets_are_rejected_with_a_reason)
{
    const char *no_delim[] = {"a", "b", "{}", "{}", "{}", "{}", NULL};
    expect_rejected(no_delim, "delimiter");
    const char *short_set[] = {"<IDS|MSG>", "", "{}", "{}", NULL};
    expect_rejected(short_set, "too few");
    const char *bad_json[] = {"<IDS|MSG>", "", "{not json", "{}", "{}", "{}", NULL};
    expect_rejected(bad_json, "JSON object");
    const char *array[] = {"<IDS|MSG>", "", "[]", "{}", "{}", "{}", NULL};
    expect_rejected(array, "JSON object");
    const char *no_type[] = {"<IDS|MSG>", "", "{\"msg_id\":\"1\"}", "{}", "{}", "{}", NULL};
    expect_rejected(no_type, "msg_type");
    const char *dup[] = {"<IDS|MSG>", "", "{\"msg_id\":\"1\",\"msg_type\":\"a\",\"msg_type\":\"b\"}",
                         "{}", "{}", "{}", NULL};
    expect_rejected(dup, "JSON object");
}

/* Decodes frames built from strings with signing disabled; 0 or -1. */
static int decode_open(const char *const *v, kn_msg *m, const char **why)
{
    kn_signer *s = kn_signer_new((const unsigned char *)"", 0);
    kn_frames f = frames_of(v);
    int rc = kn_msg_decode(&f, s, m, why);
    kn_frames_clear(&f);
    kn_signer_free(s);
    return rc;
}

#define HEADER(type) "{\"msg_id\":\"1\",\"msg_type\":\"" type "\"}"

Test(codec, nul_in_a_string_decodes_whole)
{
    const char *v[] = {"<IDS|MSG>", "", HEADER("execute_request"), "{}", "{}",
                       "{\"code\":\"%echo a\\u0000b\"}", NULL};
    kn_msg m;
    const char *why = NULL;
    cr_assert_eq(decode_open(v, &m, &why), 0, "%s", why ? why : "");
    json_t *code = json_object_get(m.content, "code");
    cr_assert_eq(json_string_length(code), 9);
    cr_assert_eq(memcmp(json_string_value(code), "%echo a\0b", 10), 0);
    cr_assert_null(kn_cstring(code), "a string holding a NUL is no C string");
    cr_assert_str_eq(m.refused, "");
    kn_msg_clear(&m);
}

Test(codec, nul_in_msg_type_is_rejected)
{
    /* "execute_request\u0000x" must not pass for execute_request */
    const char *v[] = {"<IDS|MSG>", "", HEADER("execute_request\\u0000x"), "{}", "{}", "{}",
                       NULL};
    expect_rejected(v, "msg_type");
}

Test(codec, nul_in_a_content_key_is_refused_not_dropped)
{
    const char *v[] = {"<IDS|MSG>", "", HEADER("execute_request"), "{}", "{}",
                       "{\"code\":\"%echo\",\"user_expressions\":{\"a\\u0000\":\"%version\"}}",
                       NULL};
    kn_msg m;
    const char *why = NULL;
    cr_assert_eq(decode_open(v, &m, &why), 0, "%s", why ? why : "");
    cr_assert_str_eq(m.msg_type, "execute_request");
    cr_assert(strstr(m.refused, "content") && strstr(m.refused, "NUL character"), "%s",
              m.refused);
    cr_assert_eq(json_object_size(m.content), 0);
    kn_msg_clear(&m);
    const char *meta[] = {"<IDS|MSG>", "", HEADER("complete_request"), "{}", "{\"\\u0000\":1}",
                          "{}", NULL};
    cr_assert_eq(decode_open(meta, &m, &why), 0);
    cr_assert(strstr(m.refused, "metadata") != NULL, "%s", m.refused);
    kn_msg_clear(&m);
    /* the header and parent are needed to answer at all */
    const char *head[] = {"<IDS|MSG>", "", "{\"msg_id\":\"1\",\"msg_type\":\"a\",\"\\u0000\":1}",
                          "{}", "{}", "{}", NULL};
    expect_rejected(head, "JSON object");
}

Test(codec, cstring_is_a_string_without_nul)
{
    json_t *plain = json_string("abc"), *nul = json_stringn("a\0c", 3), *num = json_integer(1);
    cr_assert_str_eq(kn_cstring(plain), "abc");
    cr_assert_null(kn_cstring(nul));
    cr_assert_null(kn_cstring(num));
    cr_assert_null(kn_cstring(NULL));
    json_decref(plain);
    json_decref(nul);
    json_decref(num);
}

Test(codec, signed_session_rejects_unsigned_message)
{
    kn_signer *s = signer();
    const char *v[] = {"<IDS|MSG>", "", "{\"msg_id\":\"1\",\"msg_type\":\"kernel_info_request\"}",
                       "{}", "{}", "{}", NULL};
    kn_frames f = frames_of(v);
    kn_msg m;
    const char *why = NULL;
    cr_assert_eq(kn_msg_decode(&f, s, &m, &why), -1);
    cr_assert(strstr(why, "signature") != NULL);
    kn_frames_clear(&f);
    kn_signer_free(s);
}

Test(codec, utf8_code_points)
{
    const char *s = "é%x€y";  /* é = 2 bytes, € = 3 bytes */
    cr_assert_eq(kn_utf8_offset(s, 0), 0);
    cr_assert_eq(kn_utf8_offset(s, 1), 2);
    cr_assert_eq(kn_utf8_offset(s, 3), 4);
    cr_assert_eq(kn_utf8_offset(s, 4), 7);
    cr_assert_eq(kn_utf8_offset(s, 99), strlen(s));
    cr_assert_eq(kn_utf8_count(s, strlen(s)), 5);
    cr_assert_eq(kn_utf8_count(s, 7), 4);
    cr_assert_eq(kn_utf8_count("a\0b", 3), 3, "a NUL is a code point like any other");
}
