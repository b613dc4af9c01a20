/*
 * srv_body.c — the input schema of a deployed model and the request body
 * parser: {"instances": [{col: value, ...}, ...]} -> a frame typed as the
 * schema says, or a 400/413 error naming the instance and field.  Values go
 * through aml_frame_add_strings, so a request converts exactly as a CSV
 * file would.  An image model's body ({"instances": [{"content": BASE64}],
 * "parameters": {...}}) is parsed here too, its contents base64-decoded.
 */
#include "srv.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct srv_schema {
    char **names;
    aml_type *types;
    size_t n;
    char *target;   /* may be NULL */
};

void srv_schema_free(srv_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->names[i]);
    free(s->names);
    free(s->types);
    free(s->target);
    free(s);
}

int srv_schema_new(const char *const *names, const aml_type *types, size_t n,
                   const char *target, srv_schema **out)
{
    *out = NULL;
    srv_schema *s = calloc(1, sizeof *s);
    if (!s)
        return AML_ENOMEM;
    s->names = calloc(n ? n : 1, sizeof *s->names);
    s->types = calloc(n ? n : 1, sizeof *s->types);
    s->target = target && *target ? strdup(target) : NULL;
    if (!s->names || !s->types || (target && *target && !s->target)) {
        srv_schema_free(s);
        return AML_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !*names[i] || types[i] < 0 || types[i] >= AML_TYPE_COUNT_) {
            srv_schema_free(s);
            return AML_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[j], names[i]) == 0) {
                srv_schema_free(s);
                return AML_EINVAL;
            }
        s->names[i] = strdup(names[i]);
        if (!s->names[i]) {
            srv_schema_free(s);
            return AML_ENOMEM;
        }
        s->types[i] = types[i];
        s->n++;
    }
    *out = s;
    return 0;
}

size_t srv_schema_size(const srv_schema *s) { return s->n; }
const char *srv_schema_name(const srv_schema *s, size_t i) { return i < s->n ? s->names[i] : NULL; }
aml_type srv_schema_type(const srv_schema *s, size_t i)
{
    return i < s->n ? s->types[i] : AML_TYPE_COUNT_;
}

srv_limits srv_limits_default(void) { return (srv_limits){.max_instances = 10000}; }

/* ---- errors ---- */

__attribute__((format(printf, 6, 7))) static int fail(srv_error *err, int code, int status,
                                                      long instance, const char *field,
                                                      const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->status = status;
    err->instance = instance;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    for (char *p = err->text; *p; p++)   /* one line, whatever the input held */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return code;
}

static const char *closest(const srv_schema *s, const char *word)
{
    size_t wl = strlen(word), limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3, best_d = (size_t)-1;
    const char *best = NULL;
    for (size_t i = 0; i < s->n; i++) {
        size_t d = aml_edit_distance(word, s->names[i]);
        if (d < best_d) {
            best_d = d;
            best = s->names[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

static long find_field(const srv_schema *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], key) == 0)
            return (long)i;
    return -1;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* `s` for a one-line error message: at most 40 bytes (cut on a UTF-8
 * boundary, "..." added), control characters shown as '?'. */
static void excerpt(const char *s, char *buf, size_t cap)
{
    size_t n = strlen(s), max = cap - 4 < 40 ? cap - 4 : 40;
    bool cut = n > max;
    if (cut)
        while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
            max--;
    else
        max = n;
    snprintf(buf, cap, "%.*s%s", (int)max, s, cut ? "..." : "");
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

/* ---- a NUL character in a field name ----
 *
 * jansson refuses a key holding "\u0000" even with JSON_ALLOW_NUL, and stops
 * there: its error position is just past the key's closing quote.  The body
 * up to that point is valid JSON, so a plain scan finds the key's text and
 * the instance it belongs to. */

/* Byte offset of the opening quote of the string whose closing quote is at
 * `close`: inside a string a quote is always escaped, so the opening one is
 * the first quote found going back that an even number of backslashes
 * precedes. */
static size_t string_start(const char *body, size_t close)
{
    for (size_t i = close; i-- > 0;) {
        if (body[i] != '"')
            continue;
        size_t slashes = 0;
        while (slashes < i && body[i - 1 - slashes] == '\\')
            slashes++;
        if (slashes % 2 == 0)
            return i;
    }
    return 0;
}

/* The index of the instance whose field name starts at byte `at`, or -1 when
 * the key is not a field of an element of the top-level "instances" array. */
static long instance_at(const char *body, size_t at)
{
    int depth = 0;
    bool in_string = false, in_instances = false;
    size_t str_start = 0, last_start = 0, last_len = 0;
    long index = -1;
    for (size_t i = 0; i < at; i++) {
        char ch = body[i];
        if (in_string) {
            if (ch == '\\') {
                i++;
            } else if (ch == '"') {
                in_string = false;
                if (depth == 1) {
                    last_start = str_start;
                    last_len = i - str_start;
                }
            }
        } else if (ch == '"') {
            in_string = true;
            str_start = i + 1;
        } else if (ch == '{' || ch == '[') {
            if (++depth == 2) {
                in_instances = ch == '[' && last_len == 9 &&
                               memcmp(body + last_start, "instances", 9) == 0;
                index = 0;
            }
        } else if (ch == '}' || ch == ']') {
            depth--;
        } else if (ch == ',' && depth == 2) {
            index++;
        }
    }
    return depth == 3 && in_instances ? index : -1;
}

/* The 400 for a body whose key at jansson's error position holds a NUL.  An
 * instance past the limit is not named (the body is too big anyway). */
static int nul_in_key(const char *body, size_t len, const json_error_t *jerr,
                      size_t max_instances, srv_error *err)
{
    size_t close = jerr->position > 0 ? (size_t)jerr->position - 1 : 0;
    if (close >= len || body[close] != '"')
        return fail(err, AML_EINVAL, 400, -1, NULL,
                    "a key at line %d, column %d holds a NUL character (\\u0000)", jerr->line,
                    jerr->column);
    size_t open = string_start(body, close);
    char raw[128], shown[48];
    snprintf(raw, sizeof raw, "%.*s", (int)(close - open - 1), body + open + 1);
    excerpt(raw, shown, sizeof shown);
    long inst = instance_at(body, open);
    if (inst >= 0 && (size_t)inst < max_instances)
        return fail(err, AML_EINVAL, 400, inst, raw,
                    "instances[%ld]: the field name \"%s\" holds a NUL character (\\u0000)",
                    inst, shown);
    return fail(err, AML_EINVAL, 400, -1, NULL,
                "the key \"%s\" at line %d, column %d holds a NUL character (\\u0000)", shown,
                jerr->line, jerr->column);
}

/* ---- the parser ---- */

static int check_top(json_t *root, srv_error *err)
{
    if (!json_is_object(root))
        return fail(err, AML_EPARSE, 400, -1, NULL,
                    "the body must be a JSON object {\"instances\": [...]}, not %s",
                    json_kind(root));
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "instances") != 0) {
            char k[48];
            excerpt(key, k, sizeof k);
            return fail(err, AML_EINVAL, 400, -1, NULL,
                        "unknown key \"%s\" in the body: it takes {\"instances\": [...]}", k);
        }
    }
    json_t *inst = json_object_get(root, "instances");
    if (!inst)
        return fail(err, AML_EPARSE, 400, -1, NULL,
                    "the body has no \"instances\": send {\"instances\": [{column: value, ...}]}");
    if (!json_is_array(inst))
        return fail(err, AML_EPARSE, 400, -1, NULL,
                    "\"instances\" must be an array of objects, not %s", json_kind(inst));
    if (json_array_size(inst) == 0)
        return fail(err, AML_EINVAL, 400, -1, NULL, "\"instances\" is empty: nothing to predict");
    return 0;
}

/* Turns cell `v` of column `c` into the text the frame parses; NULL for a
 * missing value.  `num` is room for a number's digits. */
static int cell_text(const srv_schema *s, size_t c, size_t row, const json_t *v, char num[32],
                     const char **text, srv_error *err)
{
    *text = NULL;
    if (!v || json_is_null(v))
        return 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        /* decoded with JSON_ALLOW_NUL: the frame takes C strings, so a text
         * with a NUL in it is refused, never cut at the NUL */
        if (strlen(json_string_value(v)) != json_string_length(v))
            return fail(err, AML_EINVAL, 400, (long)row, s->names[c],
                        "instances[%zu].%s: text holds a NUL character (\\u0000); remove it",
                        row, s->names[c]);
        *text = json_string_value(v);
        return 0;
    case JSON_INTEGER:
        snprintf(num, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *text = num;
        return 0;
    case JSON_REAL:
        snprintf(num, 32, "%.17g", json_real_value(v));
        *text = num;
        return 0;
    case JSON_TRUE:
        *text = "true";
        return 0;
    case JSON_FALSE:
        *text = "false";
        return 0;
    default:
        return fail(err, AML_EINVAL, 400, (long)row, s->names[c],
                    "instances[%zu].%s: %s is not %s %s", row, s->names[c], json_kind(v),
                    s->types[c] == AML_TYPE_INTEGER ? "an" : "a", aml_type_name(s->types[c]));
    }
}

int srv_parse_body(const srv_schema *s, const char *body, size_t len, const srv_limits *limits,
                   aml_frame **out, size_t *n_rows, srv_error *err)
{
    *out = NULL;
    if (n_rows)
        *n_rows = 0;
    srv_limits lim = limits ? *limits : srv_limits_default();
    json_error_t jerr;
    json_t *root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                              &jerr);
    if (!root && json_error_code(&jerr) == json_error_null_byte_in_key)
        return nul_in_key(body, len, &jerr, lim.max_instances, err);
    if (!root)
        return fail(err, AML_EPARSE, 400, -1, NULL, "malformed JSON at line %d, column %d: %s",
                    jerr.line, jerr.column, jerr.text);
    int rc = check_top(root, err);
    json_t *inst = rc ? NULL : json_object_get(root, "instances");
    size_t n = inst ? json_array_size(inst) : 0, nc = s->n;
    if (rc == 0 && n > lim.max_instances)
        rc = fail(err, AML_ERANGE, 413, -1, NULL,
                  "too many instances: %zu in one request, at most %zu (split the batch)", n,
                  lim.max_instances);
    /* cells[c * n + row]: the value of column c in instance row, or NULL */
    const json_t **cells = rc ? NULL : calloc(n * (nc ? nc : 1), sizeof *cells);
    if (rc == 0 && !cells)
        rc = fail(err, AML_ENOMEM, 500, -1, NULL, "out of memory");
    for (size_t r = 0; rc == 0 && r < n; r++) {
        json_t *o = json_array_get(inst, r);
        if (!json_is_object(o)) {
            rc = fail(err, AML_EINVAL, 400, (long)r, NULL,
                      "instances[%zu] must be an object {column: value, ...}, not %s", r,
                      json_kind(o));
            break;
        }
        const char *key;
        json_t *v;
        json_object_foreach(o, key, v) {
            long c = find_field(s, key);
            if (c >= 0) {
                cells[(size_t)c * n + r] = v;
                continue;
            }
            if (s->target && strcmp(key, s->target) == 0)
                continue;   /* the target: a row copied from the data set */
            char k[48];
            excerpt(key, k, sizeof k);
            const char *hint = closest(s, key);
            if (hint)
                rc = fail(err, AML_EINVAL, 400, (long)r, key,
                          "instances[%zu]: unknown field '%s' — did you mean '%s'?", r, k, hint);
            else
                rc = fail(err, AML_EINVAL, 400, (long)r, key,
                          "instances[%zu]: unknown field '%s' (GET /v1/models/NAME lists the "
                          "inputs)", r, k);
            break;
        }
    }
    aml_frame *f = NULL;
    if (rc == 0 && aml_frame_new(&f))
        rc = fail(err, AML_ENOMEM, 500, -1, NULL, "out of memory");
    const char **texts = rc ? NULL : calloc(n, sizeof *texts);
    char (*nums)[32] = rc ? NULL : calloc(n, sizeof *nums);
    if (rc == 0 && (!texts || !nums))
        rc = fail(err, AML_ENOMEM, 500, -1, NULL, "out of memory");
    size_t bad_row = (size_t)-1, bad_col = 0;
    for (size_t c = 0; rc == 0 && c < nc; c++) {
        for (size_t r = 0; rc == 0 && r < n; r++)
            rc = cell_text(s, c, r, cells[c * n + r], nums[r], &texts[r], err);
        if (rc)
            break;
        size_t n_invalid = 0;
        aml_error ferr = {0};
        int frc = aml_frame_add_strings(f, s->names[c], s->types[c], texts, n, &n_invalid, &ferr);
        if (frc) {
            rc = fail(err, frc, frc == AML_ENOMEM ? 500 : 400, -1, s->names[c], "%s: %s",
                      s->names[c], ferr.text[0] ? ferr.text : aml_strerror(frc));
            break;
        }
        for (size_t r = 0; n_invalid && r < n && r < bad_row; r++)
            if (aml_frame_cell_state(f, c, r) == AML_CELL_INVALID) {
                bad_row = r;
                bad_col = c;
                break;
            }
    }
    if (rc == 0 && bad_row != (size_t)-1) {
        char shown[48];
        const json_t *v = cells[bad_col * n + bad_row];
        aml_type t = s->types[bad_col];
        const char *a = t == AML_TYPE_INTEGER ? "an" : "a";
        if (json_is_string(v)) {
            excerpt(json_string_value(v), shown, sizeof shown);
            rc = fail(err, AML_EINVAL, 400, (long)bad_row, s->names[bad_col],
                      "instances[%zu].%s: \"%s\" is not %s %s", bad_row, s->names[bad_col],
                      shown, a, aml_type_name(t));
        } else {
            char num[32];
            const char *text = NULL;
            cell_text(s, bad_col, bad_row, v, num, &text, NULL);
            excerpt(text ? text : "", shown, sizeof shown);
            rc = fail(err, AML_EINVAL, 400, (long)bad_row, s->names[bad_col],
                      "instances[%zu].%s: %s (%s) is not %s %s", bad_row, s->names[bad_col],
                      json_kind(v), shown, a, aml_type_name(t));
        }
    }
    free(texts);
    free(nums);
    free(cells);
    json_decref(root);
    if (rc) {
        aml_frame_free(f);
        return rc;
    }
    *out = f;
    if (n_rows)
        *n_rows = n;
    return 0;
}

/* ---- image instances: {"instances": [{"content": BASE64}], "parameters": {...}} ---- */

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

static bool b64_space(unsigned char ch)
{
    return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
}

int srv_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len,
                      size_t *bad_at)
{
    *out = NULL;
    *out_len = 0;
    unsigned char *d = malloc(len / 4 * 3 + 3);
    if (!d)
        return AML_ENOMEM;
    size_t n = 0, pad = 0, quad = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (b64_space(ch))
            continue;
        int v = b64_value(ch);
        if (ch == '=' && quad >= 2 && pad < 2) {
            pad++;
            continue;
        }
        if (v < 0 || pad) {   /* a stray character, or data after the padding */
            free(d);
            *bad_at = i;
            return AML_EPARSE;
        }
        acc = acc << 6 | (uint32_t)v;
        if (++quad == 4) {
            d[n++] = (unsigned char)(acc >> 16);
            d[n++] = (unsigned char)(acc >> 8);
            d[n++] = (unsigned char)acc;
            quad = 0;
            acc = 0;
        }
    }
    if (quad == 1 || (pad && quad + pad != 4)) {   /* stops mid-byte */
        free(d);
        *bad_at = len;
        return AML_EPARSE;
    }
    if (quad == 2)
        d[n++] = (unsigned char)(acc >> 4);
    if (quad == 3) {
        d[n++] = (unsigned char)(acc >> 10);
        d[n++] = (unsigned char)(acc >> 2);
    }
    *out = d;
    *out_len = n;
    return 0;
}

void srv_image_request_clear(srv_image_request *rq)
{
    for (size_t i = 0; rq->bytes && i < rq->n; i++)
        free(rq->bytes[i]);
    free(rq->bytes);
    free(rq->lens);
    memset(rq, 0, sizeof *rq);
}

#define IMAGE_USAGE "{\"instances\": [{\"content\": \"<base64 PNG or JPEG>\"}]}"

static int image_top(json_t *root, size_t max_instances, srv_error *err)
{
    if (!json_is_object(root))
        return fail(err, AML_EPARSE, 400, -1, NULL, "the body must be a JSON object %s, not %s",
                    IMAGE_USAGE, json_kind(root));
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "instances") != 0 && strcmp(key, "parameters") != 0) {
            char k[48];
            excerpt(key, k, sizeof k);
            return fail(err, AML_EINVAL, 400, -1, NULL,
                        "unknown key \"%s\" in the body: it takes \"instances\" and "
                        "\"parameters\"", k);
        }
    }
    json_t *inst = json_object_get(root, "instances");
    if (!inst)
        return fail(err, AML_EPARSE, 400, -1, NULL, "the body has no \"instances\": send %s",
                    IMAGE_USAGE);
    if (!json_is_array(inst))
        return fail(err, AML_EPARSE, 400, -1, NULL,
                    "\"instances\" must be an array of objects, not %s", json_kind(inst));
    if (json_array_size(inst) == 0)
        return fail(err, AML_EINVAL, 400, -1, NULL, "\"instances\" is empty: nothing to predict");
    if (json_array_size(inst) > max_instances)
        return fail(err, AML_ERANGE, 413, -1, NULL,
                    "too many instances: %zu in one request, at most %zu (split the batch)",
                    json_array_size(inst), max_instances);
    return 0;
}

static int image_parameters(const json_t *params, srv_image_request *rq, srv_error *err)
{
    if (!params)
        return 0;
    if (!json_is_object(params))
        return fail(err, AML_EINVAL, 400, -1, "parameters",
                    "\"parameters\" must be an object, not %s", json_kind(params));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)params, key, v) {
        if (strcmp(key, "maxPredictions") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1)
                return fail(err, AML_EINVAL, 400, -1, key,
                            "parameters.maxPredictions must be an integer of at least 1");
            rq->max_predictions = (size_t)json_integer_value(v);
        } else if (strcmp(key, "confidenceThreshold") == 0) {
            double t = json_number_value(v);
            if (!json_is_number(v) || !(t >= 0 && t <= 1))
                return fail(err, AML_EINVAL, 400, -1, key,
                            "parameters.confidenceThreshold must be a number from 0 to 1");
            rq->confidence_threshold = t;
        } else {
            char k[48];
            excerpt(key, k, sizeof k);
            return fail(err, AML_EINVAL, 400, -1, key,
                        "unknown parameter \"%s\" (maxPredictions, confidenceThreshold)", k);
        }
    }
    return 0;
}

/* Instance r's content, decoded into rq->bytes[r]. */
static int image_instance(const json_t *o, size_t r, srv_image_request *rq, srv_error *err)
{
    if (!json_is_object(o))
        return fail(err, AML_EINVAL, 400, (long)r, NULL,
                    "instances[%zu] must be an object {\"content\": \"<base64 PNG or JPEG>\"}, "
                    "not %s", r, json_kind(o));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        if (strcmp(key, "content") != 0) {
            char k[48];
            excerpt(key, k, sizeof k);
            return fail(err, AML_EINVAL, 400, (long)r, key,
                        "instances[%zu]: unknown field '%s' (an image instance holds "
                        "\"content\")", r, k);
        }
    }
    const json_t *c = json_object_get(o, "content");
    if (!c)
        return fail(err, AML_EINVAL, 400, (long)r, "content",
                    "instances[%zu]: no \"content\" field (the image as base64 PNG or JPEG)", r);
    if (!json_is_string(c))
        return fail(err, AML_EINVAL, 400, (long)r, "content",
                    "instances[%zu].content: %s is not a base64 string", r, json_kind(c));
    size_t bad_at = 0;
    int rc = srv_base64_decode(json_string_value(c), json_string_length(c), &rq->bytes[r],
                               &rq->lens[r], &bad_at);
    if (rc == AML_ENOMEM)
        return fail(err, rc, 500, (long)r, "content", "out of memory");
    if (rc && bad_at >= json_string_length(c))
        return fail(err, AML_EINVAL, 400, (long)r, "content",
                    "instances[%zu].content: not base64 (it stops in the middle of a byte)", r);
    if (rc)
        return fail(err, AML_EINVAL, 400, (long)r, "content",
                    "instances[%zu].content: not base64 (bad character at byte %zu)", r, bad_at);
    if (rq->lens[r] == 0)
        return fail(err, AML_EINVAL, 400, (long)r, "content",
                    "instances[%zu].content: empty (no image)", r);
    return 0;
}

int srv_parse_image_body(const char *body, size_t len, const srv_limits *limits,
                         srv_image_request *out, srv_error *err)
{
    memset(out, 0, sizeof *out);
    srv_limits lim = limits ? *limits : srv_limits_default();
    json_error_t jerr;
    json_t *root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fail(err, AML_EPARSE, 400, -1, NULL, "malformed JSON at line %d, column %d: %s",
                    jerr.line, jerr.column, jerr.text);
    int rc = image_top(root, lim.max_instances, err);
    rc = rc ? rc : image_parameters(json_object_get(root, "parameters"), out, err);
    json_t *inst = rc ? NULL : json_object_get(root, "instances");
    size_t n = inst ? json_array_size(inst) : 0;
    if (rc == 0) {
        out->bytes = calloc(n, sizeof *out->bytes);
        out->lens = calloc(n, sizeof *out->lens);
        out->n = n;
        if (!out->bytes || !out->lens)
            rc = fail(err, AML_ENOMEM, 500, -1, NULL, "out of memory");
    }
    for (size_t r = 0; rc == 0 && r < n; r++)
        rc = image_instance(json_array_get(inst, r), r, out, err);
    json_decref(root);
    if (rc)
        srv_image_request_clear(out);
    return rc;
}
