/* kn_connection.c — reads the Jupyter connection file (ports, transport, key). */
#include "kn_internal.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int get_port(json_t *root, const char *name, int *out, char *why, size_t why_len)
{
    json_t *v = json_object_get(root, name);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535) {
        snprintf(why, why_len, "connection file: '%s' must be a port number (0-65535)", name);
        return -1;
    }
    *out = (int)json_integer_value(v);
    return 0;
}

int kn_connection_parse(const char *text, kn_connection *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root) {
        snprintf(why, why_len, "connection file: line %d, column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(root)) {
        snprintf(why, why_len, "connection file: expected a JSON object");
        goto done;
    }
    const char *transport = json_string_value(json_object_get(root, "transport"));
    if (!transport)
        transport = "tcp";
    if (strcmp(transport, "tcp") != 0 && strcmp(transport, "ipc") != 0) {
        snprintf(why, why_len, "connection file: transport '%s' is not supported (tcp, ipc)",
                 transport);
        goto done;
    }
    snprintf(out->transport, sizeof out->transport, "%s", transport);
    const char *ip = json_string_value(json_object_get(root, "ip"));
    if (!ip || !*ip || strlen(ip) >= sizeof out->ip) {
        snprintf(why, why_len, "connection file: 'ip' must be a non-empty string");
        goto done;
    }
    snprintf(out->ip, sizeof out->ip, "%s", ip);
    if (get_port(root, "shell_port", &out->shell_port, why, why_len) ||
        get_port(root, "iopub_port", &out->iopub_port, why, why_len) ||
        get_port(root, "stdin_port", &out->stdin_port, why, why_len) ||
        get_port(root, "control_port", &out->control_port, why, why_len) ||
        get_port(root, "hb_port", &out->hb_port, why, why_len))
        goto done;
    json_t *key = json_object_get(root, "key");
    if (key && !json_is_string(key)) {
        snprintf(why, why_len, "connection file: 'key' must be a string");
        goto done;
    }
    size_t key_len = key ? json_string_length(key) : 0;
    out->key = malloc(key_len + 1);
    if (!out->key) {
        snprintf(why, why_len, "connection file: out of memory");
        goto done;
    }
    if (key_len)
        memcpy(out->key, json_string_value(key), key_len);
    out->key[key_len] = 0;
    out->key_len = key_len;
    const char *scheme = json_string_value(json_object_get(root, "signature_scheme"));
    if (!scheme)
        scheme = "hmac-sha256";
    if (strcmp(scheme, "hmac-sha256") != 0) {
        snprintf(why, why_len, "connection file: signature_scheme '%s' is not supported "
                 "(hmac-sha256)", scheme);
        goto done;
    }
    snprintf(out->signature_scheme, sizeof out->signature_scheme, "%s", scheme);
    rc = 0;
done:
    json_decref(root);
    if (rc)
        kn_connection_clear(out);
    return rc;
}

int kn_connection_load(const char *path, kn_connection *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_len, "cannot open connection file '%s'", path);
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(why, why_len, "connection file: out of memory");
                return -1;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, 4096, f);
        len += got;
        if (got < 4096)
            break;
    }
    struct stat st;
    unsigned mode = fstat(fileno(f), &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
    fclose(f);
    buf[len] = 0;
    int rc = kn_connection_parse(buf, out, why, why_len);
    free(buf);
    if (rc == 0) {
        out->file_mode = mode;
        out->exposed = out->key_len > 0 && (mode & (S_IRWXG | S_IRWXO)) != 0;
    }
    return rc;
}

void kn_connection_clear(kn_connection *c)
{
    if (!c)
        return;
    free(c->key);
    c->key = NULL;
    c->key_len = 0;
}

void kn_connection_endpoint(const kn_connection *c, int port, char *buf, size_t len)
{
    if (strcmp(c->transport, "ipc") == 0)
        snprintf(buf, len, "ipc://%s-%d", c->ip, port);
    else
        snprintf(buf, len, "tcp://%s:%d", c->ip, port);
}
