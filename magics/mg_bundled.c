/*
 * mg_bundled.c — example data sets embedded in the binary, so `%import
 * bank-marketing` works offline from one file.  The compressed CSV is pulled
 * in by the assembler (.incbin, path relative to the repository root where
 * make runs); the Makefile makes this object depend on it.
 */
#include "mg.h"

#include <string.h>

__asm__(".section .rodata\n"
        ".balign 16\n"
        ".hidden mg_bank_marketing_gz\n"
        ".globl mg_bank_marketing_gz\n"
        "mg_bank_marketing_gz:\n"
        ".incbin \"share/data/bank-marketing.csv.gz\"\n"
        ".hidden mg_bank_marketing_gz_end\n"
        ".globl mg_bank_marketing_gz_end\n"
        "mg_bank_marketing_gz_end:\n"
        ".previous\n");

extern const unsigned char mg_bank_marketing_gz[], mg_bank_marketing_gz_end[];

static const mg_bundled bundled[] = {
    {
        .name = "bank-marketing",
        .file = "bank-full.csv",
        .target = "y",
        .gz = mg_bank_marketing_gz,
        .gz_end = mg_bank_marketing_gz_end,
        .about = "Portuguese bank telemarketing, 45,211 calls; will the client subscribe a term "
                 "deposit (y)? UCI Bank Marketing (Moro, Cortez, Rita 2014), CC BY 4.0. Note: "
                 "'duration' is only known after the call.",
    },
};

const mg_bundled *mg_bundled_find(const char *name)
{
    for (size_t i = 0; i < sizeof bundled / sizeof bundled[0]; i++)
        if (strcmp(bundled[i].name, name) == 0)
            return &bundled[i];
    return NULL;
}

const mg_bundled *mg_bundled_at(size_t i)
{
    return i < sizeof bundled / sizeof bundled[0] ? &bundled[i] : NULL;
}

const unsigned char *mg_bundled_bytes(const mg_bundled *b, size_t *len)
{
    *len = (size_t)(b->gz_end - b->gz);
    return b->gz;
}
