/* kn_text.c — UTF-8 code point <-> byte offset conversion (the protocol counts
 * cursor positions in code points). */
#include "kn_internal.h"

#include <string.h>

static bool is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t kn_utf8_offset(const char *s, long cp)
{
    size_t i = 0;
    long seen = 0;
    while (s[i] && seen < cp) {
        i++;
        while (s[i] && is_continuation((unsigned char)s[i]))
            i++;
        seen++;
    }
    return i;
}

long kn_utf8_count(const char *s, size_t bytes)
{
    long n = 0;
    for (size_t i = 0; i < bytes; i++)
        if (!is_continuation((unsigned char)s[i]))
            n++;
    return n;
}
