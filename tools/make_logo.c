/* make_logo.c — draws the kernel's logo (the kernelspec's logo-32x32.png and
 * logo-64x64.png) with cairo: a rounded blue tile with three rising bars, the
 * picture of a leaderboard getting better.  Run by `make logos`. */
#include <cairo.h>
#include <stdio.h>

static void draw(int size, const char *path)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, size, size);
    cairo_t *cr = cairo_create(s);
    double u = size / 64.0, r = 12 * u;
    cairo_new_sub_path(cr);
    cairo_arc(cr, size - r, r, r, -1.5708, 0);
    cairo_arc(cr, size - r, size - r, r, 0, 1.5708);
    cairo_arc(cr, r, size - r, r, 1.5708, 3.14159);
    cairo_arc(cr, r, r, r, 3.14159, 4.71239);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 0.0, 0.447, 0.698); /* Okabe-Ito blue */
    cairo_fill(cr);
    const double h[3] = {18, 30, 42};
    const double c[3][3] = {{0.80, 0.92, 1.0}, {0.92, 0.97, 1.0}, {0.902, 0.624, 0.0}};
    for (int i = 0; i < 3; i++) {
        cairo_rectangle(cr, (12 + i * 15) * u, (52 - h[i]) * u, 11 * u, h[i] * u);
        cairo_set_source_rgb(cr, c[i][0], c[i][1], c[i][2]);
        cairo_fill(cr);
    }
    cairo_surface_write_to_png(s, path);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[4096];
    snprintf(path, sizeof path, "%s/logo-32x32.png", dir);
    draw(32, path);
    snprintf(path, sizeof path, "%s/logo-64x64.png", dir);
    draw(64, path);
    return 0;
}
