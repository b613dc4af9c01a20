/*
 * mg_bundled.c — example data sets embedded in the binary, so `%import
 * bank-marketing` and `%import happydb` work offline from one file.  The
 * compressed CSVs (share/data/, sources and licences in share/data/README.md)
 * are pulled in by the assembler (.incbin, path relative to the repository
 * root where make runs); the Makefile makes this object depend on them.
 */
#include "mg.h"

#include <string.h>

/* Embeds FILE between the hidden symbols SYM and SYM_end. */
#define MG_INCBIN(sym, file)                   \
    __asm__(".section .rodata\n"               \
            ".balign 16\n"                     \
            ".hidden " #sym "\n"               \
            ".globl " #sym "\n"                \
            #sym ":\n"                         \
            ".incbin \"" file "\"\n"           \
            ".hidden " #sym "_end\n"           \
            ".globl " #sym "_end\n"            \
            #sym "_end:\n"                     \
            ".previous\n")

MG_INCBIN(mg_bank_marketing_gz, "share/data/bank-marketing.csv.gz");
MG_INCBIN(mg_happydb_gz, "share/data/happydb-claff-train.csv.gz");

extern const unsigned char mg_bank_marketing_gz[], mg_bank_marketing_gz_end[];
extern const unsigned char mg_happydb_gz[], mg_happydb_gz_end[];

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
    {
        .name = "happydb",
        .file = "happydb-claff-train.csv",
        .target = "social",
        .gz = mg_happydb_gz,
        .gz_end = mg_happydb_gz_end,
        .about = "Happy moments written by crowd workers, 10,560 rows: the text (moment), the "
                 "writer's demographics and the labels agency, social (yes/no) and concepts. "
                 "CL-Aff Shared Task 2019 (Jaidka, Mumick, Chhaya, Ungar), derived from HappyDB "
                 "(Asai et al. 2018), CC BY 4.0.",
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
