/* plot_font.c — the chart font: DejaVu Sans (regular and bold) loaded once
 * per process with FreeType straight from the fonts-dejavu-core files, so the
 * glyphs never depend on fontconfig's configuration or substitutions (and no
 * fontconfig caches are left behind at exit). */

#include "plot/plot_internal.h"
#include <cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <pthread.h>
#include <stdio.h>

static const char *const font_dirs[] = {
    "/usr/share/fonts/truetype/dejavu",     /* Debian, Ubuntu */
    "/usr/share/fonts/dejavu",              /* Fedora, Arch */
    "/usr/share/fonts/TTF",
};
static const char *const font_files[2] = { "DejaVuSans.ttf", "DejaVuSans-Bold.ttf" };

static pthread_once_t font_once = PTHREAD_ONCE_INIT;
static FT_Library ft_lib;
/* Process lifetime: the faces stay referenced until exit, as the FreeType
 * faces they wrap must outlive every scaled font cairo makes from them. */
static cairo_font_face_t *faces[2];
static int font_status;

static void font_init(void)
{
    if (FT_Init_FreeType(&ft_lib)) {
        font_status = AML_EINTERNAL;
        return;
    }
    for (int i = 0; i < 2; i++) {
        FT_Face face = NULL;
        for (size_t d = 0; d < sizeof font_dirs / sizeof font_dirs[0] && !face; d++) {
            char path[256];
            snprintf(path, sizeof path, "%s/%s", font_dirs[d], font_files[i]);
            if (FT_New_Face(ft_lib, path, 0, &face))
                face = NULL;
        }
        if (!face) {
            font_status = AML_ENOENT;
            return;
        }
        faces[i] = cairo_ft_font_face_create_for_ft_face(face, 0);
        if (cairo_font_face_status(faces[i]) != CAIRO_STATUS_SUCCESS) {
            font_status = AML_EINTERNAL;
            return;
        }
    }
}

int amlp_font_init(aml_error *err)
{
    pthread_once(&font_once, font_init);
    if (font_status == AML_ENOENT)
        return aml_error_set(err, AML_ENOENT, 0, 0, "plot",
                             "font DejaVu Sans not found (install fonts-dejavu-core)");
    if (font_status)
        return aml_error_set(err, font_status, 0, 0, "plot", "cannot load the chart font");
    return 0;
}

void amlp_font_select(cairo_t *cr, double size, bool bold)
{
    cairo_set_font_face(cr, faces[bold ? 1 : 0]);
    cairo_set_font_size(cr, size);
}
