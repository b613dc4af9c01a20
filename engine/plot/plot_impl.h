/*
 * plot_impl.h — internals shared by the chart library's files (engine/plot_*.c).
 *
 * A chart is drawn on an amlp_plot: a cairo image surface at device scale,
 * two axes (numeric or category), a list of legend entries and an occupancy
 * grid of the plot area used to place the legend where the data is not.
 * Each chart kind follows the same sequence:
 *   amlp_plot_init -> set axes, legend entries, occupancy -> amlp_plot_layout
 *   (margins, ticks, background, grid) -> draw data with amlp_px_x/amlp_px_y
 *   -> amlp_plot_finish (axes, titles, legend, PNG) -> amlp_plot_done.
 * All coordinates given to cairo are logical pixels (the context is scaled).
 */
#ifndef PLOT_IMPL_H
#define PLOT_IMPL_H

#include "aml.h"
#include "base/amlp.h"

#include <cairo.h>

#define AMLP_PLOT_MAX_TICKS 64
#define AMLP_PLOT_LABEL_LEN 48
#define AMLP_OCC_W 48
#define AMLP_OCC_H 32

/* Font sizes in logical pixels. */
#define AMLP_FS_TICK 12.0
#define AMLP_FS_AXIS 13.0
#define AMLP_FS_TITLE 16.0
#define AMLP_FS_LEGEND 12.0
#define AMLP_FS_ANNOT 12.0

typedef struct amlp_rgb {
    double r, g, b;
} amlp_rgb;

typedef enum amlp_axis_kind { AMLP_AXIS_NUMERIC, AMLP_AXIS_CATEGORY } amlp_axis_kind;

typedef struct amlp_axis {
    amlp_axis_kind kind;
    aml_plot_scale scale;
    double lo, hi;              /* visible range (data units; category: -0.5..n-0.5) */
    bool reversed;              /* category axis drawn top-down (y) */
    const char *title;
    /* category axis */
    const char *const *cats;
    size_t n_cats;
    /* computed by layout */
    size_t n_ticks;
    double ticks[AMLP_PLOT_MAX_TICKS];
    char labels[AMLP_PLOT_MAX_TICKS][AMLP_PLOT_LABEL_LEN];
    double label_w[AMLP_PLOT_MAX_TICKS];
    double max_label_w;
    int rotate;                 /* 0 or 45 (degrees, x axis only) */
    size_t thin;                /* category labels: every thin-th is shown */
    bool hide_ticks;            /* heatmap: labels only, no tick marks or grid */
    bool percent;               /* numeric labels as percentages of 1 */
} amlp_axis;

typedef enum amlp_legend_kind {
    AMLP_LEG_LINE, AMLP_LEG_PATCH, AMLP_LEG_MARKER
} amlp_legend_kind;

typedef struct amlp_legend_entry {
    char *text;                 /* owned */
    amlp_rgb color;
    amlp_legend_kind kind;
    bool dashed;
    double alpha;
} amlp_legend_entry;

typedef struct amlp_colorbar {
    bool on;
    double lo, hi;
    const char *title;
    bool percent;               /* tick labels as "40%" (values 0..1) */
    amlp_rgb (*cmap)(double t); /* t in [0, 1] */
} amlp_colorbar;

typedef struct amlp_plot {
    aml_plot_opts o;
    aml_error *err;
    cairo_surface_t *surf;
    cairo_t *cr;
    int pw, ph;                 /* device pixels */
    double px0, px1, py0, py1;  /* plot area, logical px (py0 = top) */
    amlp_axis x, y;
    amlp_legend_entry *leg;
    size_t n_leg, cap_leg;
    bool legend_right;          /* decided by layout */
    double leg_x, leg_y, leg_w, leg_h;
    amlp_colorbar cbar;
    amlp_axis cb;               /* the colour bar's value axis */
    unsigned char occ[AMLP_OCC_H][AMLP_OCC_W];   /* row 0 = top */
} amlp_plot;

/* ---- canvas (plot_canvas.c) ---- */
int amlp_plot_init(amlp_plot *p, const aml_plot_opts *opts, aml_error *err);
void amlp_plot_done(amlp_plot *p);
int amlp_plot_finish(amlp_plot *p, aml_plot_image **out);
amlp_rgb amlp_palette(int i);
amlp_rgb amlp_rgb_hex(unsigned hex);
void amlp_set_rgb(cairo_t *cr, amlp_rgb c, double alpha);
/* Text in logical px.  ax: 0 left, 0.5 centre, 1 right.  ay: 0 top, 0.5
 * middle (of digits/capitals), 1 baseline.  angle in degrees (counter-clockwise). */
void amlp_text(amlp_plot *p, const char *s, double x, double y, double size,
               bool bold, double ax, double ay, double angle, amlp_rgb c);
double amlp_text_w(amlp_plot *p, const char *s, double size, bool bold);
/* Copy `s` into buf (cap bytes), cutting whole UTF-8 characters and adding an
 * ellipsis so that it is at most max_w logical px wide. */
void amlp_text_fit(amlp_plot *p, const char *s, double size, bool bold, double max_w,
                   char *buf, size_t cap);
int amlp_legend_add(amlp_plot *p, const char *text, amlp_rgb c, amlp_legend_kind kind,
                    bool dashed, double alpha);

/* ---- font (plot_font.c) ---- */
/* Load DejaVu Sans once per process (thread-safe); 0 or AML_ENOENT/AML_EINTERNAL. */
int amlp_font_init(aml_error *err);
/* Select the chart font (after a successful amlp_font_init). */
void amlp_font_select(cairo_t *cr, double size, bool bold);

/* ---- PNG encoding (plot_png.c) ---- */
int amlp_png_encode(cairo_surface_t *surf, unsigned char **png, size_t *size,
                    double scale, aml_error *err);

/* ---- ticks (plot_ticks.c) ---- */
size_t amlp_ticks_linear(double lo, double hi, int max_ticks, double *ticks,
                         size_t cap, double *step);
size_t amlp_ticks_log(double lo, double hi, int max_ticks, double *ticks, size_t cap);
/* Tick labels for ticks[0..n): shortest text that tells neighbours apart. */
void amlp_format_ticks(const double *ticks, size_t n, bool log, bool percent,
                       char (*labels)[AMLP_PLOT_LABEL_LEN]);
/* A value label ("0.123", "1.5e7"...) with ~3 significant digits. */
void amlp_format_value(double v, char *buf, size_t cap);
/* Decimals for labelling a set of values alike: 0 for integers, else the
 * fewest that show every value exactly, at most three significant digits of
 * the largest magnitude (0..4). */
int amlp_value_decimals(const double *v, size_t n);
/* v with `dec` decimals, U+2212 for minus, "-0.0" as "0.0". */
void amlp_format_fixed(double v, int dec, char *buf, size_t cap);

/* ---- axes and layout (plot_axes.c) ---- */
void amlp_axis_numeric(amlp_axis *a, double dlo, double dhi, aml_plot_scale scale,
                       double pad_frac, double opt_lo, double opt_hi);
void amlp_axis_category(amlp_axis *a, const char *const *cats, size_t n, bool reversed);
int amlp_plot_layout(amlp_plot *p);
/* Spines, tick marks, tick labels and axis titles (drawn over the data). */
void amlp_axes_draw(amlp_plot *p);
double amlp_px_x(const amlp_plot *p, double v);
double amlp_px_y(const amlp_plot *p, double v);
/* Normalized axis position in [0, 1] (may fall outside for clipped data). */
double amlp_axis_norm(const amlp_axis *a, double v);
void amlp_clip_plot(amlp_plot *p);
/* Validate user limits and log scales against data ranges. */
int amlp_check_range(amlp_plot *p, const char *axis, aml_plot_scale scale,
                     double dlo, double dhi);

/* ---- lines (plot_line.c) ---- */
/* Builds a cairo path, dropping vertices closer than half a device pixel to
 * the last one kept (the drawn line moves by at most that much), so curves
 * with 100k points stroke as fast as the pixels they cover. */
typedef struct amlp_pathbuf {
    cairo_t *cr;
    double tol2;                /* squared tolerance, logical px */
    double lx, ly, px, py;
    bool started, pending;
} amlp_pathbuf;
void amlp_pathbuf_begin(amlp_pathbuf *b, amlp_plot *p);
void amlp_pathbuf_add(amlp_pathbuf *b, double x, double y);
void amlp_pathbuf_end(amlp_pathbuf *b);

/* Add the series as a cairo path (logical px).  x may be NULL (0..n-1).
 * Long series with increasing x are reduced to first/min/max/last per device
 * pixel column, which draws the same picture. */
void amlp_path_polyline(amlp_plot *p, const double *x, const double *y, size_t n,
                        bool steps);
/* Mark the cells a polyline passes through. */
void amlp_occ_polyline(amlp_plot *p, const double *x, const double *y, size_t n,
                       bool steps);

/* ---- legend and occupancy (plot_legend.c) ---- */
void amlp_occ_point(amlp_plot *p, double x, double y);
void amlp_occ_segment(amlp_plot *p, double x0, double y0, double x1, double y1);
void amlp_occ_rect(amlp_plot *p, double x0, double y0, double x1, double y1);
/* Size of the legend box in logical px (0 x 0 when empty). */
void amlp_legend_size(amlp_plot *p, double *w, double *h);
/* Choose the inside corner with the least data; returns the occupied cells. */
int amlp_legend_place_inside(amlp_plot *p);
void amlp_legend_draw(amlp_plot *p);
void amlp_colorbar_draw(amlp_plot *p);

/* ---- data checks and statistics (plot_stats.c) ---- */
int amlp_check_finite(aml_error *err, const char *what, const double *v, size_t n);
int amlp_check_codes(aml_error *err, const char *what, const int *c, size_t n, size_t k);
void amlp_minmax(const double *v, size_t n, double *lo, double *hi);
/* Quantile q of sorted[0..n) with linear interpolation (numpy's default). */
double amlp_quantile_sorted(const double *sorted, size_t n, double q);
/* Sorted copy (amlp_malloc); NULL on out of memory. */
double *amlp_sorted_copy(const double *v, size_t n);
size_t amlp_fd_bins_sorted(const double *sorted, size_t n);

#endif
