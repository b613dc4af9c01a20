/*
 * aml_plot.h — charts rendered to PNG (libaml subsystem, included by aml.h).
 *
 * A small chart library: line, scatter, bar, histogram, box, heatmap /
 * confusion matrix, ROC and precision-recall curves.  cairo draws with
 * anti-aliasing and DejaVu Sans, libpng encodes.  It knows nothing about
 * Jupyter: every chart function returns PNG bytes plus the logical size the
 * caller asked for (CSS pixels); the PNG itself is rendered at `scale` device
 * pixels per logical pixel (2 by default), so a display layer sets
 * {"image/png": {"width": W, "height": H}} from aml_plot_image.width/height.
 *
 * Common rules for every chart function below:
 *  - Inputs are plain C arrays owned by the caller and only read during the
 *    call.  Strings are UTF-8.
 *  - `opts` may be NULL (aml_plot_opts_default() is used).
 *  - On success the function returns 0 and stores in *out a new image that the
 *    caller owns and releases with aml_plot_image_free().  On failure it
 *    returns a negative AML_E* code, leaves *out NULL and fills `err` (may be
 *    NULL) with a one-line reason naming the offending series and index:
 *      AML_EINVAL  NULL pointers, NaN/infinite values, bad category codes,
 *                  labels other than 0/1, inconsistent lengths;
 *      AML_EEMPTY  an empty series or no series at all;
 *      AML_ERANGE  size outside 64..8192 logical pixels, scale outside 0.5..4,
 *                  log scale with non-positive data or limits, bad limits;
 *      AML_ENOMEM  out of memory;  AML_EINTERNAL  cairo or libpng failed.
 *  - Output is deterministic: the same inputs give the same bytes.
 *  - Thread safety: every function is reentrant; different threads may render
 *    different charts at the same time.
 */
#ifndef AML_PLOT_H
#define AML_PLOT_H
#include "aml_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the rendered image ---- */

typedef struct aml_plot_image {
    unsigned char *png;   /* PNG file bytes (8-bit RGB) */
    size_t png_size;      /* number of bytes in png */
    int width, height;    /* logical size in CSS pixels (what the caller asked) */
    int pixel_width;      /* PNG size in device pixels = width * scale */
    int pixel_height;
} aml_plot_image;

/* Free an image returned by a chart function (its bytes and the struct).
 * Accepts NULL. */
void aml_plot_image_free(aml_plot_image *img);

/* ---- options shared by every chart ---- */

typedef enum aml_plot_scale {
    AML_PLOT_LINEAR = 0,
    AML_PLOT_LOG = 1        /* base-10; every value and limit must be > 0 */
} aml_plot_scale;

typedef enum aml_plot_legend {
    AML_PLOT_LEGEND_AUTO = 0,   /* least-occupied corner inside the plot area if
                                   it is free of data, else outside on the right */
    AML_PLOT_LEGEND_INSIDE,     /* least-occupied corner, even if it covers data */
    AML_PLOT_LEGEND_RIGHT,      /* outside, right of the plot area */
    AML_PLOT_LEGEND_NONE
} aml_plot_legend;

typedef struct aml_plot_opts {
    int width, height;          /* logical size in CSS pixels (default 640x400) */
    double scale;               /* device pixels per logical pixel (default 2) */
    const char *title;          /* chart title, or NULL */
    const char *x_title;        /* axis titles, or NULL (some charts supply one) */
    const char *y_title;
    aml_plot_scale x_scale;     /* numeric axes only; ignored on category axes */
    aml_plot_scale y_scale;
    double x_min, x_max;        /* axis limits; NAN (default) = from the data */
    double y_min, y_max;
    aml_plot_legend legend;
    bool grid;                  /* light grid lines at the major ticks (default true) */
} aml_plot_opts;

/* The defaults: 640x400 logical, scale 2, no titles, linear axes, automatic
 * limits, automatic legend, grid on. */
aml_plot_opts aml_plot_opts_default(void);

/* ---- line chart ---- */

typedef struct aml_plot_series {
    const double *x;        /* n x values, or NULL for 0, 1, ..., n-1 */
    const double *y;        /* n y values */
    size_t n;
    const char *label;      /* legend text, or NULL (no legend entry) */
    bool steps;             /* draw as a step function (value holds until next x) */
    bool fill;              /* fill under the line: down to y = 0 when zero is near
                               the data (min <= max / 2), else to the axis bottom */
    bool dashed;
    bool markers;           /* small dots at the data points */
} aml_plot_series;

/* A series with every option off and no data. */
aml_plot_series aml_plot_series_default(void);

/* Line chart of `n_series` series (colours from the palette in order).
 * Errors as in the common rules; a series with n == 0 is AML_EEMPTY. */
int aml_plot_line(const aml_plot_opts *opts, const aml_plot_series *series,
                  size_t n_series, aml_plot_image **out, aml_error *err);

/* ---- scatter ---- */

typedef struct aml_plot_scatter_data {
    const double *x, *y;        /* n points */
    size_t n;
    const int *category;        /* n codes in [0, n_categories), or NULL */
    const char *const *category_names; /* n_categories legend names, or NULL ("0", "1", ...) */
    size_t n_categories;
    double alpha;               /* marker opacity in (0, 1]; <= 0 = automatic from n */
    double marker_size;         /* marker diameter in logical px; <= 0 = automatic */
} aml_plot_scatter_data;

aml_plot_scatter_data aml_plot_scatter_data_default(void);

/* Scatter plot, optionally coloured by category (legend lists categories;
 * the 8-colour palette repeats beyond 8 categories).  Markers are
 * alpha-blended in input order (later points on top); 100k points render in
 * tens of milliseconds. */
int aml_plot_scatter(const aml_plot_opts *opts, const aml_plot_scatter_data *data,
                     aml_plot_image **out, aml_error *err);

/* ---- bar chart ---- */

typedef enum aml_plot_sort {
    AML_PLOT_SORT_NONE = 0,
    AML_PLOT_SORT_DESC,         /* largest first (top of a horizontal chart) */
    AML_PLOT_SORT_ASC
} aml_plot_sort;

typedef struct aml_plot_bar_data {
    const char *const *labels;  /* n category labels (NULL entries print "") */
    const double *values;       /* n values, may be negative */
    size_t n;
    bool horizontal;            /* bars grow to the right, categories top-down */
    aml_plot_sort sort;
    bool value_labels;          /* print each value at the end of its bar */
    int color;                  /* palette index (default 0) */
} aml_plot_bar_data;

aml_plot_bar_data aml_plot_bar_data_default(void);

/* Bar chart.  A horizontal chart sorted AML_PLOT_SORT_DESC is the usual
 * feature-importance chart.  Log scale is refused (AML_ERANGE) on the value
 * axis since bars start at 0. */
int aml_plot_bar(const aml_plot_opts *opts, const aml_plot_bar_data *data,
                 aml_plot_image **out, aml_error *err);

/* ---- histogram ---- */

typedef struct aml_plot_hist_data {
    const double *values;
    size_t n;
    const int *category;        /* n class codes in [0, n_categories), or NULL */
    const char *const *category_names;
    size_t n_categories;
    size_t bins;                /* 0 = Freedman-Diaconis (aml_plot_fd_bins) */
    bool density;               /* y is a density (area 1 per class), else counts */
} aml_plot_hist_data;

aml_plot_hist_data aml_plot_hist_data_default(void);

/* Histogram; with categories, one translucent histogram per class over the
 * same bins, overlaid.  y title defaults to "Count" or "Density". */
int aml_plot_hist(const aml_plot_opts *opts, const aml_plot_hist_data *data,
                  aml_plot_image **out, aml_error *err);

/* Number of Freedman-Diaconis bins for `n` finite values: bin width
 * h = 2 IQR / cbrt(n), bins = ceil((max - min) / h), clamped to 1..200.
 * Falls back to Sturges (ceil(log2 n) + 1) when the IQR is 0, and gives 1 when
 * all values are equal.  OUT: *bins.  Returns 0, AML_EINVAL (NULL, NaN/inf) or
 * AML_EEMPTY (n == 0).  Thread-safe. */
int aml_plot_fd_bins(const double *values, size_t n, size_t *bins, aml_error *err);

/* ---- box plot ---- */

typedef struct aml_plot_box_group {
    const double *values;
    size_t n;
    const char *label;
} aml_plot_box_group;

/* Box plot, one box per group: quartiles (linear interpolation), median,
 * whiskers to the furthest value within 1.5 IQR, points beyond as outliers. */
int aml_plot_box(const aml_plot_opts *opts, const aml_plot_box_group *groups,
                 size_t n_groups, aml_plot_image **out, aml_error *err);

/* ---- heatmap and confusion matrix ---- */

typedef enum aml_plot_annot {
    AML_PLOT_ANNOT_NONE = 0,
    AML_PLOT_ANNOT_VALUE,           /* the cell value */
    AML_PLOT_ANNOT_VALUE_ROW_PCT    /* the value and its share of the row total */
} aml_plot_annot;

typedef struct aml_plot_heatmap_data {
    const double *values;           /* rows * cols values, row-major */
    size_t rows, cols;
    const char *const *row_labels;  /* rows labels, or NULL ("0", "1", ...) */
    const char *const *col_labels;  /* cols labels, or NULL */
    aml_plot_annot annot;
    bool color_by_row;              /* colour = value / row total (recall per row) */
    bool colorbar;                  /* colour bar on the right (default true) */
    const char *colorbar_title;     /* or NULL */
} aml_plot_heatmap_data;

aml_plot_heatmap_data aml_plot_heatmap_data_default(void);

/* Heatmap.  Colours: a sequential colour-blind-safe map (ColorBrewer Blues,
 * light to dark) from min(0, min) to max; when the values lie on both sides
 * of zero (and not color_by_row), a diverging map (ColorBrewer RdBu, blue <
 * 0 < red) symmetric around zero.  Annotations share one number format and
 * take a colour that contrasts with each cell; they are left out when the
 * cells are too small to hold them. */
int aml_plot_heatmap(const aml_plot_opts *opts, const aml_plot_heatmap_data *data,
                     aml_plot_image **out, aml_error *err);

/* Confusion matrix: counts[i * k + j] = number of items of true class i
 * predicted as class j (non-negative).  Cells show the count and the row
 * percentage; colour is the row share (per-class recall on the diagonal).
 * Axis titles default to "Predicted label" / "True label". */
int aml_plot_confusion(const aml_plot_opts *opts, const int64_t *counts, size_t k,
                       const char *const *class_names, aml_plot_image **out,
                       aml_error *err);

/* ---- ROC and precision-recall ---- */

typedef struct aml_plot_scored {
    const double *scores;   /* n scores, higher = more likely positive */
    const int *labels;      /* n labels, each 0 or 1; both classes present */
    size_t n;
    const char *name;       /* model name for the legend, or NULL */
} aml_plot_scored;

/* ROC curves (one per model) with "name (AUC = 0.912)" in the legend and the
 * dashed chance diagonal. */
int aml_plot_roc(const aml_plot_opts *opts, const aml_plot_scored *curves,
                 size_t n_curves, aml_plot_image **out, aml_error *err);

/* Precision-recall curves (steps) with "name (AP = 0.850)" in the legend and
 * the chance level (the positive rate of the first curve) as a dashed line. */
int aml_plot_pr(const aml_plot_opts *opts, const aml_plot_scored *curves,
                size_t n_curves, aml_plot_image **out, aml_error *err);

/* Area under the ROC curve, ties counted as one half (equals the
 * Mann-Whitney statistic).  O(n log n).  OUT: *auc.  Returns 0, AML_EINVAL
 * (NULL, NaN score, label not 0/1, a class missing) or AML_EEMPTY. */
int aml_plot_roc_auc(const double *scores, const int *labels, size_t n,
                     double *auc, aml_error *err);

/* Average precision, sum over thresholds of (R_k - R_{k-1}) * P_k with tied
 * scores grouped (scikit-learn's definition).  Errors as aml_plot_roc_auc. */
int aml_plot_average_precision(const double *scores, const int *labels, size_t n,
                               double *ap, aml_error *err);

/* ---- axes ---- */

/* "Nice" 1-2-5 ticks covering [lo, hi] with at most `max_ticks` ticks
 * (>= 2): step = m * 10^k with m in {1, 2, 5}, the smallest such step giving
 * no more than max_ticks multiples of step within [lo, hi].  When lo == hi
 * the range is widened around the value.  OUT: ticks[0..*n_ticks) (ascending,
 * at most `cap` written), *step (may be NULL).  Returns 0, AML_EINVAL (NULL,
 * non-finite, lo > hi, max_ticks < 2) or AML_ERANGE (cap too small).
 * Thread-safe. */
int aml_plot_nice_ticks(double lo, double hi, int max_ticks, double *ticks,
                        size_t cap, size_t *n_ticks, double *step);

/* ---- waterfall ---- */

typedef struct aml_plot_waterfall_data {
    const char *const *labels;  /* n step labels ("duration = 1042"), top-down */
    const double *deltas;       /* n changes, applied in this order from `base` */
    size_t n;
    double base;                /* the starting value */
    const char *base_label;     /* first row (NULL: "base value") */
    const char *final_label;    /* last row (NULL: "prediction") */
} aml_plot_waterfall_data;

aml_plot_waterfall_data aml_plot_waterfall_data_default(void);

/* Waterfall chart: a base row, one floating horizontal bar per step from the
 * running total before it to the one after (increases vermillion,
 * decreases blue), and a final row at base + the sum; dashed lines mark the
 * base and the final value; each bar is labelled with its signed change.
 * Errors as in the common rules (a non-finite base or delta is
 * AML_EINVAL; a log x axis AML_ERANGE). */
int aml_plot_waterfall(const aml_plot_opts *opts, const aml_plot_waterfall_data *data,
                       aml_plot_image **out, aml_error *err);

/* ---- image grid (plot_images.c) ---- */

typedef struct aml_plot_tiles_data {
    const uint8_t *const *tiles;     /* rows * cols images, row-major; NULL: empty cell */
    size_t rows, cols;
    int channels, width, height;     /* every tile: channels (1 or 3) planes of
                                        height rows of width bytes (NCHW) */
    const char *const *row_labels;   /* rows labels drawn on the left, or NULL */
    const char *const *captions;     /* rows * cols captions under the tiles (cut to
                                        the tile's width), or NULL */
} aml_plot_tiles_data;

/* A grid of small images (samples or mean images per class): each tile is
 * upscaled by nearest neighbour to an integer factor so that it is at least
 * 48 logical pixels on its longer side; opts->title is drawn above.  The
 * chart's size follows from the grid (opts->width/height are ignored; the
 * image is at least 64x64).  Errors as in the common rules (AML_EINVAL for
 * channels other than 1/3 or a non-positive tile size). */
int aml_plot_tiles(const aml_plot_opts *opts, const aml_plot_tiles_data *data,
                   aml_plot_image **out, aml_error *err);

/* ---- engine-internal (amlp_): the drawing layer under every chart, shared
 * with the subsystems that draw their own (evaluate).  Seen only by files
 * that include <cairo.h> before this header.
 *
 * A chart is drawn on an amlp_plot: a cairo image surface at device scale,
 * two axes (numeric or category), a list of legend entries and an occupancy
 * grid of the plot area used to place the legend where the data is not.
 * Each chart kind follows the same sequence:
 *   amlp_plot_init -> set axes, legend entries, occupancy -> amlp_plot_layout
 *   (margins, ticks, background, grid) -> draw data with amlp_px_x/amlp_px_y
 *   -> amlp_plot_finish (axes, titles, legend, PNG) -> amlp_plot_done.
 * All coordinates given to cairo are logical pixels (the context is scaled).
 * ---- */
#ifdef CAIRO_H

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
/* The canvas as it is, encoded as the chart's PNG (what amlp_plot_finish
 * ends with; charts that draw no axes call it directly). */
int amlp_plot_encode(amlp_plot *p, aml_plot_image **out);
amlp_rgb amlp_palette(int i);
amlp_rgb amlp_rgb_hex(unsigned hex);
void amlp_set_rgb(cairo_t *cr, amlp_rgb c, double alpha);
int amlp_legend_add(amlp_plot *p, const char *text, amlp_rgb c, amlp_legend_kind kind,
                    bool dashed, double alpha);

/* ---- axes and layout (plot_axes.c) ---- */
void amlp_axis_numeric(amlp_axis *a, double dlo, double dhi, aml_plot_scale scale,
                       double pad_frac, double opt_lo, double opt_hi);
int amlp_plot_layout(amlp_plot *p);
double amlp_px_x(const amlp_plot *p, double v);
double amlp_px_y(const amlp_plot *p, double v);
void amlp_clip_plot(amlp_plot *p);

/* ---- lines (plot_line.c) ---- */
/* Mark the cells a polyline passes through. */
void amlp_occ_polyline(amlp_plot *p, const double *x, const double *y, size_t n,
                       bool steps);

/* ---- legend and occupancy (plot_legend.c) ---- */
void amlp_occ_point(amlp_plot *p, double x, double y);
void amlp_occ_segment(amlp_plot *p, double x0, double y0, double x1, double y1);

/* ---- data checks and statistics (plot_stats.c) ---- */
int amlp_check_finite(aml_error *err, const char *what, const double *v, size_t n);
void amlp_minmax(const double *v, size_t n, double *lo, double *hi);
#endif /* CAIRO_H */

#ifdef __cplusplus
}
#endif
#endif
