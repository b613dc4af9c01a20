/* mg_basic.c — the basic magics: %version, %echo, %clear, %sleep, %input. */
#include "mg.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "aml.h"

static json_t *value_version(mg_ctx *ctx, const mg_call *call)
{
    (void)ctx;
    (void)call;
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    char text[256];
    snprintf(text, sizeof text,
             "automl-kernel %s (Jupyter protocol %s; libzmq %d.%d.%d, jansson %s, libsodium %s)",
             AML_VERSION_STRING, KN_PROTOCOL_VERSION, major, minor, patch, JANSSON_VERSION,
             sodium_version_string());
    return json_pack("{s:s}", "text/plain", text);
}

const mg_magic mg_magic_version = {
    .name = "version",
    .synopsis = "%version",
    .summary = "Show the kernel's version and the versions of its libraries.",
    .max_args = 0,
    .value = value_version,
};

static const mg_option echo_options[] = {
    {"stderr", MG_FLAG, NULL, "write to stderr instead of stdout"},
    {0},
};

static int run_echo(mg_ctx *ctx, const mg_call *call)
{
    size_t n = strlen(call->text);
    char *line = malloc(n + 2);
    if (!line)
        return mg_fail(ctx, "MemoryError", "out of memory");
    memcpy(line, call->text, n);
    line[n] = '\n';
    line[n + 1] = 0;
    kn_stream(ctx->req, mg_flag(call, "stderr") ? "stderr" : "stdout", line);
    free(line);
    return 0;
}

const mg_magic mg_magic_echo = {
    .name = "echo",
    .synopsis = "%echo [--stderr] TEXT",
    .summary = "Print text to the cell's output (stdout, or stderr with --stderr).",
    .help = "The rest of the line is printed as it is.\n\nExamples:\n  %echo hello, world\n"
            "  %echo --stderr something looks wrong",
    .options = echo_options,
    .max_args = -1,
    .free_text = true,
    .run = run_echo,
};

static const mg_option clear_options[] = {
    {"wait", MG_FLAG, NULL, "clear only when the next output arrives (no flicker)"},
    {0},
};

static int run_clear(mg_ctx *ctx, const mg_call *call)
{
    kn_clear_output(ctx->req, mg_flag(call, "wait"));
    return 0;
}

const mg_magic mg_magic_clear = {
    .name = "clear",
    .synopsis = "%clear [wait]",
    .summary = "Clear the output of this cell.",
    .options = clear_options,
    .max_args = 0,
    .run = run_clear,
};

/* The live progress display of %sleep: one display updated in place. */
static json_t *sleep_bundle(double done, double total)
{
    double frac = total > 0 ? done / total : 1;
    if (frac > 1)
        frac = 1;
    char bar[32], text[128], html[512];
    int filled = (int)(frac * 20 + 0.5);
    for (int i = 0; i < 20; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[20] = 0;
    snprintf(text, sizeof text, "sleeping [%s] %.1f s of %.1f s", bar, done, total);
    snprintf(html, sizeof html,
             "<div class=\"automl-progress\">sleeping <progress value=\"%.3f\" max=\"1\">"
             "</progress> %.1f s of %.1f s</div>", frac, done, total);
    return json_pack("{s:s, s:s}", "text/plain", text, "text/html", html);
}

static int run_sleep(mg_ctx *ctx, const mg_call *call)
{
    double seconds = mg_parse_duration(call->pos[0]);
    if (seconds < 0)
        return mg_fail(ctx, "UsageError", "%%sleep needs a duration such as 2, 1.5s or 1m "
                       "(got '%s')", call->pos[0]);
    bool progress = mg_flag(call, "progress");
    char display_id[48] = "";
    double start = aml_now(), end = start + seconds, next_update = start + 0.25;
    if (progress) {
        /* unique across cells and kernel restarts */
        snprintf(display_id, sizeof display_id, "automl-sleep-%ld-%d-%.6f", (long)getpid(),
                 kn_execution_count(ctx->req), start);
        json_t *b = sleep_bundle(0, seconds);
        kn_display(ctx->req, b, NULL, display_id);
        json_decref(b);
    }
    for (;;) {
        double now = aml_now(), left = end - now;
        if (progress && (now >= next_update || left <= 0)) {
            json_t *b = sleep_bundle(left <= 0 ? seconds : now - start, seconds);
            kn_update_display(ctx->req, b, NULL, display_id);
            json_decref(b);
            next_update = now + 0.25;
        }
        if (left <= 0)
            return 0;
        if (kn_interrupted(ctx->req))
            return mg_fail(ctx, "KeyboardInterrupt", "interrupted after %.1f s of %%sleep %s",
                           now - start, call->pos[0]);
        double step = left < 0.01 ? left : 0.01;  /* checks the interrupt every 10 ms */
        struct timespec ts = {0, (long)(step * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static const mg_option sleep_options[] = {
    {"progress", MG_FLAG, NULL, "show a live progress bar, updated in place"},
    {0},
};

const mg_magic mg_magic_sleep = {
    .name = "sleep",
    .synopsis = "%sleep SECONDS [progress]",
    .summary = "Wait, interruptibly (shows how interrupting a long magic works).",
    .help = "SECONDS is a number or a duration: 2, 1.5s, 1m.\n"
            "Interrupt it with the notebook's stop button (or Ctrl-C in a console).\n\n"
            "Examples:\n  %sleep 2\n  %sleep 10s progress",
    .options = sleep_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_sleep,
};

static const mg_option input_options[] = {
    {"prompt", MG_STRING, NULL, "the text shown before the input box"},
    {"password", MG_FLAG, NULL, "hide what is typed (and do not echo it)"},
    {0},
};

static int run_input(mg_ctx *ctx, const mg_call *call)
{
    const char *prompt = mg_opt(call, "prompt");
    bool password = mg_flag(call, "password");
    char *value = NULL;
    int rc = kn_input(ctx->req, prompt ? prompt : "", password, &value);
    if (rc == -1)
        return mg_fail(ctx, "StdinNotImplementedError",
                       "%%input needs a client that accepts input (this request has "
                       "allow_stdin false)");
    if (rc == -3)
        return mg_fail(ctx, "UsageError", "the answer holds a NUL character (\\0): "
                       "%%input reads a line of text");
    if (rc != 0)
        return mg_fail(ctx, "KeyboardInterrupt", "interrupted while waiting for input");
    char *line = NULL;
    if (password) {
        if (asprintf(&line, "(%zu characters read)\n", strlen(value)) < 0)
            line = NULL;
    } else if (asprintf(&line, "%s\n", value) < 0) {
        line = NULL;
    }
    if (line)
        kn_stream(ctx->req, "stdout", line);
    free(line);
    free(value);
    return 0;
}

const mg_magic mg_magic_input = {
    .name = "input",
    .synopsis = "%input [prompt=TEXT] [password]",
    .summary = "Ask the user for a line of text (through the notebook's input box).",
    .help = "Examples:\n  %input prompt=\"Your name: \"\n  %input prompt=\"API token: \" password",
    .options = input_options,
    .max_args = 0,
    .run = run_input,
};

static const mg_option exit_options[] = {
    {"keep_kernel", MG_FLAG, NULL, "leave the kernel running (a console can reconnect)"},
    {0},
};

static int run_exit(mg_ctx *ctx, const mg_call *call)
{
    kn_ask_exit(ctx->req, mg_flag(call, "keep_kernel"));
    return 0;
}

const mg_magic mg_magic_exit = {
    .name = "exit",
    .synopsis = "%exit [keep_kernel]",
    .summary = "Leave a console session (in a notebook, use the Kernel menu instead).",
    .help = "`exit` or `quit` alone on a line means the same.",
    .options = exit_options,
    .max_args = 0,
    .run = run_exit,
};
