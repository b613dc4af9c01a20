/* text.c — small string helpers shared by every layer: the edit distance
 * behind "did you mean" suggestions. */
#include "aml_base.h"

#include <ctype.h>
#include <string.h>

/* Words longer than this are not compared letter by letter (suggestions are
 * for names, and the row stays on the stack). */
#define EDIT_MAX_LEN 64

size_t aml_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > EDIT_MAX_LEN || lb > EDIT_MAX_LEN)
        return la > lb ? la : lb;
    size_t row[EDIT_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}
