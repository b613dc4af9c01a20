/* mg_help.c — %help (the table of magics, or one magic's help) and the help
 * bundle used by %name?, inspection and the pager. */
#include "mg.h"

#include <stdio.h>
#include <string.h>

static const char *type_name(const mg_option *o)
{
    switch (o->type) {
    case MG_STRING: return "text";
    case MG_INT: return "integer";
    case MG_NUMBER: return "number";
    case MG_DURATION: return "duration";
    case MG_SIZE: return "size";
    case MG_ENUM: return o->values;
    case MG_FLAG: return "flag";
    case MG_LIST: return "list";
    case MG_COLUMN: return "column";
    }
    return "";
}

json_t *mg_help_bundle(const mg_magic *m)
{
    mg_buf t = {0}, h = {0};
    mg_buf_addf(&t, "%s\n\n%s\n", m->synopsis, m->summary);
    mg_buf_add(&h, "<div class=\"automl-help\"><p><code>");
    mg_buf_add_html(&h, m->synopsis);
    mg_buf_add(&h, "</code></p><p>");
    mg_buf_add_html(&h, m->summary);
    mg_buf_add(&h, "</p>");
    if (m->options && m->options[0].name) {
        mg_buf_add(&t, "\nOptions:\n");
        mg_buf_add(&h, "<table><thead><tr><th>option</th><th>takes</th><th>meaning</th></tr>"
                       "</thead><tbody>");
        for (const mg_option *o = m->options; o->name; o++) {
            mg_buf_addf(&t, "  %-14s %-20s %s\n", o->name, type_name(o), o->help);
            mg_buf_add(&h, "<tr><td><code>");
            mg_buf_add_html(&h, o->name);
            mg_buf_add(&h, "</code></td><td>");
            mg_buf_add_html(&h, type_name(o));
            mg_buf_add(&h, "</td><td>");
            mg_buf_add_html(&h, o->help);
            mg_buf_add(&h, "</td></tr>");
        }
        mg_buf_add(&h, "</tbody></table>");
    }
    if (m->help && *m->help) {
        mg_buf_addf(&t, "\n%s\n", m->help);
        mg_buf_add(&h, "<pre>");
        mg_buf_add_html(&h, m->help);
        mg_buf_add(&h, "</pre>");
    }
    mg_buf_add(&h, "</div>");
    json_t *b = json_pack("{s:s, s:s}", "text/plain", t.data, "text/html", h.data);
    mg_buf_free(&t);
    mg_buf_free(&h);
    return b;
}

static int run_help(mg_ctx *ctx, const mg_call *call)
{
    if (call->n_pos == 1) {
        const char *name = call->pos[0];
        while (*name == '%')
            name++;
        const mg_magic *m = mg_find(name);
        if (!m) {
            const char *s = mg_closest_magic(name);
            return mg_fail(ctx, "UsageError", "no magic named %%%s%s%s%s", name,
                           s ? " — did you mean %" : "", s ? s : "", s ? "?" : "");
        }
        json_t *b = mg_help_bundle(m);
        kn_display(ctx->req, b, NULL, NULL);
        json_decref(b);
        return 0;
    }
    mg_buf t = {0}, h = {0};
    mg_buf_add(&t, "AutoML Kernel magics (type %name? or %help name for details):\n\n");
    mg_buf_add(&h, "<div class=\"automl-help\"><p>AutoML Kernel magics — type "
                   "<code>%name?</code> or <code>%help name</code> for details.</p><table>"
                   "<thead><tr><th>magic</th><th>does</th></tr></thead><tbody>");
    int width = 0;
    for (size_t i = 0; mg_magics[i]; i++)
        if ((int)strlen(mg_magics[i]->name) > width)
            width = (int)strlen(mg_magics[i]->name);
    for (size_t i = 0; mg_magics[i]; i++) {
        const mg_magic *m = mg_magics[i];
        /* text: the name and the summary (synopses are too long to align) */
        mg_buf_addf(&t, "  %%%-*s  %s\n", width, m->name, m->summary);
        mg_buf_add(&h, "<tr><td><code>");
        mg_buf_add_html(&h, m->synopsis);
        mg_buf_add(&h, "</code></td><td>");
        mg_buf_add_html(&h, m->summary);
        mg_buf_add(&h, "</td></tr>");
    }
    mg_buf_add(&h, "</tbody></table></div>");
    json_t *b = json_pack("{s:s, s:s}", "text/plain", t.data, "text/html", h.data);
    kn_display(ctx->req, b, NULL, NULL);
    json_decref(b);
    mg_buf_free(&t);
    mg_buf_free(&h);
    return 0;
}

const mg_magic mg_magic_help = {
    .name = "help",
    .synopsis = "%help [MAGIC]",
    .summary = "List all magics, or show the help of one.",
    .help = "Examples:\n  %help\n  %help sleep\n  %sleep?      (the same help, in the pager)",
    .min_args = 0,
    .max_args = 1,
    .run = run_help,
};
