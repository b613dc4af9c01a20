/*
 * srv_auth.c — checks on what a request names: model names usable in URL
 * paths, and the bearer token compared in time independent of the content.
 * No HTTP library here (the fuzz target links this file alone).
 */
#include "srv.h"

#include <string.h>
#include <strings.h>

bool srv_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 128 || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
        if (!ok)
            return false;
    }
    return true;
}

bool srv_token_ok(const char *header, const char *token)
{
    if (!token || !*token)
        return true;
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return false;
    const char *got = header + 7;
    while (*got == ' ')
        got++;
    /* constant time in the content: every byte of the expected token is
     * compared whatever the input, and the lengths are folded in */
    size_t tl = strlen(token), gl = strlen(got);
    volatile unsigned char diff = (unsigned char)(tl != gl);
    for (size_t i = 0; i < tl; i++)
        diff |= (unsigned char)(token[i] ^ (i < gl ? got[i] : 0));
    return diff == 0;
}
