/*
 * plot_internal.h — what the chart library's own files share (engine/plot/
 * only): text, fonts, PNG encoding, ticks and their labels, axis drawing,
 * paths, the legend's placement and the statistics the charts compute.  The
 * drawing layer that other subsystems draw with is in aml_plot.h.
 */
#ifndef AML_PLOT_INTERNAL_H
#define AML_PLOT_INTERNAL_H

#include <cairo.h>  /* before aml_plot.h: its drawing layer */
#include "aml_plot.h"

/* Text in logical px.  ax: 0 left, 0.5 centre, 1 right.  ay: 0 top, 0.5
 * middle (of digits/capitals), 1 baseline.  angle in degrees (counter-clockwise). */
void amlp_text(amlp_plot *p, const char *s, double x, double y, double size,
               bool bold, double ax, double ay, double angle, amlp_rgb c);
double amlp_text_w(amlp_plot *p, const char *s, double size, bool bold);
/* Copy `s` into buf (cap bytes), cutting whole UTF-8 characters and adding an
 * ellipsis so that it is at most max_w logical px wide. */
void amlp_text_fit(amlp_plot *p, const char *s, double size, bool bold, double max_w,
                   char *buf, size_t cap);

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

void amlp_axis_category(amlp_axis *a, const char *const *cats, size_t n, bool reversed);

/* Spines, tick marks, tick labels and axis titles (drawn over the data). */
void amlp_axes_draw(amlp_plot *p);

/* Normalized axis position in [0, 1] (may fall outside for clipped data). */
double amlp_axis_norm(const amlp_axis *a, double v);

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

void amlp_occ_rect(amlp_plot *p, double x0, double y0, double x1, double y1);

/* Size of the legend box in logical px (0 x 0 when empty). */
void amlp_legend_size(amlp_plot *p, double *w, double *h);
/* Choose the inside corner with the least data; returns the occupied cells. */
int amlp_legend_place_inside(amlp_plot *p);
void amlp_legend_draw(amlp_plot *p);
void amlp_colorbar_draw(amlp_plot *p);

int amlp_check_codes(aml_error *err, const char *what, const int *c, size_t n, size_t k);

/* Quantile q of sorted[0..n) with linear interpolation (numpy's default). */
double amlp_quantile_sorted(const double *sorted, size_t n, double q);
/* Sorted copy (amlp_malloc); NULL on out of memory. */
double *amlp_sorted_copy(const double *v, size_t n);
size_t amlp_fd_bins_sorted(const double *sorted, size_t n);

#endif
