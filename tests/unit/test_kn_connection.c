/* test_kn_connection.c — connection files: tcp and ipc endpoints, the key as
 * raw bytes, and clear errors for bad files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kn_internal.h"

static const char *good =
    "{\"shell_port\": 5001, \"iopub_port\": 5002, \"stdin_port\": 5003,"
    " \"control_port\": 5004, \"hb_port\": 5005, \"ip\": \"127.0.0.1\","
    " \"key\": \"a0b1-c2\", \"transport\": \"tcp\", \"signature_scheme\": \"hmac-sha256\","
    " \"kernel_name\": \"automl\"}";

Test(connection, parses_ports_key_and_endpoints)
{
    kn_connection c;
    char why[256] = "";
    cr_assert_eq(kn_connection_parse(good, &c, why, sizeof why), 0, "%s", why);
    cr_assert_eq(c.shell_port, 5001);
    cr_assert_eq(c.hb_port, 5005);
    cr_assert_eq(c.key_len, 7);
    cr_assert_eq(memcmp(c.key, "a0b1-c2", 7), 0);
    char ep[128];
    kn_connection_endpoint(&c, c.iopub_port, ep, sizeof ep);
    cr_assert_str_eq(ep, "tcp://127.0.0.1:5002");
    kn_connection_clear(&c);
}

Test(connection, ipc_transport_endpoint)
{
    kn_connection c;
    char why[256] = "";
    const char *text = "{\"shell_port\": 1, \"iopub_port\": 2, \"stdin_port\": 3,"
                       " \"control_port\": 4, \"hb_port\": 5, \"ip\": \"/tmp/kernel-x\","
                       " \"key\": \"\", \"transport\": \"ipc\"}";
    cr_assert_eq(kn_connection_parse(text, &c, why, sizeof why), 0, "%s", why);
    char ep[128];
    kn_connection_endpoint(&c, c.control_port, ep, sizeof ep);
    cr_assert_str_eq(ep, "ipc:///tmp/kernel-x-4");
    cr_assert_eq(c.key_len, 0);
    kn_connection_clear(&c);
}

static void expect_error(const char *text, const char *part)
{
    kn_connection c;
    char why[256] = "";
    cr_assert_eq(kn_connection_parse(text, &c, why, sizeof why), -1, "accepted: %s", text);
    cr_assert(strstr(why, part) != NULL, "reason '%s' lacks '%s'", why, part);
}

Test(connection, bad_files_name_the_problem)
{
    expect_error("{", "line 1");
    expect_error("[]", "JSON object");
    expect_error("{\"shell_port\": 1, \"iopub_port\": 2, \"stdin_port\": 3, \"control_port\": 4,"
                 " \"ip\": \"127.0.0.1\"}", "hb_port");
    expect_error("{\"shell_port\": 70000, \"iopub_port\": 2, \"stdin_port\": 3,"
                 " \"control_port\": 4, \"hb_port\": 5, \"ip\": \"127.0.0.1\"}", "shell_port");
    expect_error("{\"shell_port\": 1, \"iopub_port\": 2, \"stdin_port\": 3, \"control_port\": 4,"
                 " \"hb_port\": 5, \"ip\": \"127.0.0.1\", \"transport\": \"udp\"}", "udp");
    expect_error("{\"shell_port\": 1, \"iopub_port\": 2, \"stdin_port\": 3, \"control_port\": 4,"
                 " \"hb_port\": 5, \"ip\": \"127.0.0.1\", \"signature_scheme\": \"hmac-md5\"}",
                 "hmac-md5");
}

Test(connection, load_reports_missing_file)
{
    kn_connection c;
    char why[256] = "";
    cr_assert_eq(kn_connection_load("/nonexistent/kernel.json", &c, why, sizeof why), -1);
    cr_assert(strstr(why, "/nonexistent/kernel.json") != NULL);
}

Test(connection, a_file_others_can_read_is_exposed)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/aml-conn-%d.json", (int)getpid());
    const char *text = "{\"transport\": \"tcp\", \"ip\": \"127.0.0.1\", \"shell_port\": 1, "
                       "\"iopub_port\": 2, \"stdin_port\": 3, \"control_port\": 4, "
                       "\"hb_port\": 5, \"key\": \"secret\", \"signature_scheme\": "
                       "\"hmac-sha256\"}";
    const unsigned modes[] = {0600, 0644, 0640, 0400};
    const bool exposed[] = {false, true, true, false};
    for (size_t i = 0; i < 4; i++) {
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);
        cr_assert_eq(chmod(path, modes[i]), 0);
        kn_connection c;
        char why[256];
        cr_assert_eq(kn_connection_load(path, &c, why, sizeof why), 0, "%s", why);
        cr_assert_eq(c.file_mode, modes[i]);
        cr_assert_eq(c.exposed, exposed[i], "mode %o", modes[i]);
        kn_connection_clear(&c);
        unlink(path);
    }
}
