/* plot_canvas.c — the chart canvas: options, cairo surface at device scale,
 * the palette, text drawing and measuring, legend entries, and the final
 * hand-over of the PNG to the caller. */

#include "plot/plot_internal.h"
#include <math.h>
#include <string.h>

aml_plot_opts aml_plot_opts_default(void)
{
    aml_plot_opts o;
    memset(&o, 0, sizeof o);
    o.width = 640;
    o.height = 400;
    o.scale = 2.0;
    o.x_min = o.x_max = o.y_min = o.y_max = NAN;
    o.legend = AML_PLOT_LEGEND_AUTO;
    o.grid = true;
    return o;
}

void aml_plot_image_free(aml_plot_image *img)
{
    if (!img)
        return;
    amlp_free(img->png);
    amlp_free(img);
}

/* Okabe-Ito, ordered so that neighbours contrast; yellow (weak on white) last. */
static const unsigned palette_hex[] = {
    0x0072B2, 0xE69F00, 0x009E73, 0xD55E00, 0xCC79A7, 0x56B4E9, 0x000000, 0xF0E442,
};

amlp_rgb amlp_rgb_hex(unsigned hex)
{
    amlp_rgb c = { ((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0,
                   (hex & 0xff) / 255.0 };
    return c;
}

amlp_rgb amlp_palette(int i)
{
    size_t n = sizeof palette_hex / sizeof palette_hex[0];
    if (i < 0)
        i = 0;
    return amlp_rgb_hex(palette_hex[(size_t)i % n]);
}

void amlp_set_rgb(cairo_t *cr, amlp_rgb c, double alpha)
{
    if (alpha >= 1.0)
        cairo_set_source_rgb(cr, c.r, c.g, c.b);
    else
        cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

static int check_opts(const aml_plot_opts *o, aml_error *err)
{
    if (o->width < 64 || o->width > 8192 || o->height < 64 || o->height > 8192)
        return aml_error_set(err, AML_ERANGE, 0, 0, "plot",
                             "chart size %dx%d is outside 64..8192 logical pixels",
                             o->width, o->height);
    if (!(o->scale >= 0.5 && o->scale <= 4.0))
        return aml_error_set(err, AML_ERANGE, 0, 0, "plot",
                             "device scale %g is outside 0.5..4", o->scale);
    if ((unsigned)o->x_scale > AML_PLOT_LOG || (unsigned)o->y_scale > AML_PLOT_LOG)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "unknown axis scale");
    if ((unsigned)o->legend > AML_PLOT_LEGEND_NONE)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "unknown legend position");
    const double lim[4] = { o->x_min, o->x_max, o->y_min, o->y_max };
    static const char *const names[4] = { "x_min", "x_max", "y_min", "y_max" };
    for (int i = 0; i < 4; i++)
        if (isinf(lim[i]))
            return aml_error_set(err, AML_ERANGE, 0, 0, "plot", "%s is infinite", names[i]);
    if (!isnan(o->x_min) && !isnan(o->x_max) && !(o->x_min < o->x_max))
        return aml_error_set(err, AML_ERANGE, 0, 0, "plot", "x_min must be below x_max");
    if (!isnan(o->y_min) && !isnan(o->y_max) && !(o->y_min < o->y_max))
        return aml_error_set(err, AML_ERANGE, 0, 0, "plot", "y_min must be below y_max");
    return 0;
}

int amlp_plot_init(amlp_plot *p, const aml_plot_opts *opts, aml_error *err)
{
    memset(p, 0, sizeof *p);
    p->o = opts ? *opts : aml_plot_opts_default();
    p->err = err;
    int rc = check_opts(&p->o, err);
    if (rc || (rc = amlp_font_init(err)))
        return rc;
    p->pw = (int)lround(p->o.width * p->o.scale);
    p->ph = (int)lround(p->o.height * p->o.scale);
    p->surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, p->pw, p->ph);
    if (cairo_surface_status(p->surf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(p->surf);
        p->surf = NULL;
        return aml_error_set(err, AML_ENOMEM, 0, 0, "plot", "cannot create a %dx%d surface",
                             p->pw, p->ph);
    }
    p->cr = cairo_create(p->surf);
    if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS) {
        amlp_plot_done(p);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "plot", "cannot create a cairo context");
    }
    cairo_scale(p->cr, p->o.scale, p->o.scale);
    /* Fixed font options: the result must not depend on the user's fontconfig
     * settings (hinting, sub-pixel order), and metrics must scale linearly. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_subpixel_order(fo, CAIRO_SUBPIXEL_ORDER_DEFAULT);
    cairo_set_font_options(p->cr, fo);
    cairo_font_options_destroy(fo);
    cairo_set_antialias(p->cr, CAIRO_ANTIALIAS_DEFAULT);
    /* white background */
    cairo_set_source_rgb(p->cr, 1, 1, 1);
    cairo_paint(p->cr);
    return 0;
}

void amlp_plot_done(amlp_plot *p)
{
    for (size_t i = 0; i < p->n_leg; i++)
        amlp_free(p->leg[i].text);
    amlp_free(p->leg);
    p->leg = NULL;
    p->n_leg = p->cap_leg = 0;
    if (p->cr)
        cairo_destroy(p->cr);
    if (p->surf)
        cairo_surface_destroy(p->surf);
    p->cr = NULL;
    p->surf = NULL;
}


double amlp_text_w(amlp_plot *p, const char *s, double size, bool bold)
{
    cairo_text_extents_t te;
    amlp_font_select(p->cr, size, bold);
    cairo_text_extents(p->cr, s ? s : "", &te);
    return te.x_advance;
}

void amlp_text(amlp_plot *p, const char *s, double x, double y, double size,
               bool bold, double ax, double ay, double angle, amlp_rgb c)
{
    if (!s || !*s)
        return;
    cairo_t *cr = p->cr;
    double w = amlp_text_w(p, s, size, bold);
    /* vertical anchors from the cap height (digits and capitals), so rows of
     * labels line up whatever letters they hold */
    double cap = 0.73 * size;
    double dy = ay <= 0.0 ? cap : (ay >= 1.0 ? 0.0 : cap * 0.5);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (angle != 0.0)
        cairo_rotate(cr, -angle * M_PI / 180.0);
    cairo_move_to(cr, -w * ax, dy);
    amlp_set_rgb(cr, c, 1.0);
    cairo_show_text(cr, s);
    cairo_new_path(cr);
    cairo_restore(cr);
}

void amlp_text_fit(amlp_plot *p, const char *s, double size, bool bold, double max_w,
                   char *buf, size_t cap)
{
    if (!s)
        s = "";
    size_t len = strlen(s);
    if (len >= cap)
        len = cap - 1;
    /* never cut inside a UTF-8 sequence */
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
        len--;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (len == strlen(s) && amlp_text_w(p, buf, size, bold) <= max_w)
        return;
    static const char ell[] = "\xE2\x80\xA6";   /* U+2026 */
    while (len > 0) {
        len--;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
        if (len + sizeof ell > cap)
            continue;
        memcpy(buf, s, len);
        memcpy(buf + len, ell, sizeof ell);
        if (amlp_text_w(p, buf, size, bold) <= max_w)
            return;
    }
    memcpy(buf, ell, sizeof ell <= cap ? sizeof ell : 1);
    if (sizeof ell > cap)
        buf[0] = '\0';
}

int amlp_legend_add(amlp_plot *p, const char *text, amlp_rgb c, amlp_legend_kind kind,
                    bool dashed, double alpha)
{
    if (!text || !*text)
        return 0;
    if (p->n_leg == p->cap_leg) {
        size_t nc = p->cap_leg ? p->cap_leg * 2 : 8;
        amlp_legend_entry *ne = amlp_realloc(p->leg, nc * sizeof *ne);
        if (!ne)
            return aml_error_set(p->err, AML_ENOMEM, 0, 0, "plot", "out of memory (legend)");
        p->leg = ne;
        p->cap_leg = nc;
    }
    char *t = amlp_strdup(text);
    if (!t)
        return aml_error_set(p->err, AML_ENOMEM, 0, 0, "plot", "out of memory (legend)");
    amlp_legend_entry *e = &p->leg[p->n_leg++];
    e->text = t;
    e->color = c;
    e->kind = kind;
    e->dashed = dashed;
    e->alpha = alpha;
    return 0;
}

static void draw_title(amlp_plot *p)
{
    if (!p->o.title || !*p->o.title)
        return;
    char buf[256];
    amlp_text_fit(p, p->o.title, AMLP_FS_TITLE, true, p->o.width - 20.0, buf, sizeof buf);
    double cx = (p->px0 + p->px1) / 2.0;
    double w = amlp_text_w(p, buf, AMLP_FS_TITLE, true);
    if (cx - w / 2 < 10)
        cx = 10 + w / 2;
    if (cx + w / 2 > p->o.width - 10)
        cx = p->o.width - 10 - w / 2;
    amlp_text(p, buf, cx, 10.0, AMLP_FS_TITLE, true, 0.5, 0.0, 0.0, amlp_rgb_hex(0x222222));
}

int amlp_plot_finish(amlp_plot *p, aml_plot_image **out)
{
    amlp_axes_draw(p);
    if (p->cbar.on)
        amlp_colorbar_draw(p);
    draw_title(p);
    if (p->o.legend != AML_PLOT_LEGEND_NONE)
        amlp_legend_draw(p);
    return amlp_plot_encode(p, out);
}

int amlp_plot_encode(amlp_plot *p, aml_plot_image **out)
{
    cairo_surface_flush(p->surf);
    if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS)
        return aml_error_set(p->err, AML_EINTERNAL, 0, 0, "plot", "cairo: %s",
                             cairo_status_to_string(cairo_status(p->cr)));
    aml_plot_image *img = amlp_calloc(1, sizeof *img);
    if (!img)
        return aml_error_set(p->err, AML_ENOMEM, 0, 0, "plot", "out of memory (image)");
    int rc = amlp_png_encode(p->surf, &img->png, &img->png_size, p->o.scale, p->err);
    if (rc) {
        amlp_free(img);
        return rc;
    }
    img->width = p->o.width;
    img->height = p->o.height;
    img->pixel_width = p->pw;
    img->pixel_height = p->ph;
    *out = img;
    return 0;
}
