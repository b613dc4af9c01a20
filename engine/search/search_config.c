/*
 * search_config.c — configurations as text ("max_depth=6 learning_rate=0.1")
 * and as a hash, so the search can show them and never repeat one.
 */
#include "search/search_internal.h"

#include <stdio.h>
#include <string.h>

/* The name of choice `index` of the parameter `name` of `kind` ("l2" for
 * linear's penalty=0), or NULL when the parameter is not a choice. */
static const char *choice_name(const char *kind, const char *name, double index, char *buf,
                               size_t cap)
{
    size_t n = 0;
    const aml_param_spec *space = aml_learner_space(kind, &n);
    for (size_t k = 0; space && k < n; k++) {
        if (strcmp(space[k].name, name) != 0 || space[k].type != AML_PARAM_CHOICE ||
            !space[k].choices)
            continue;
        const char *c = space[k].choices;
        for (long i = 0; i < (long)index && c; i++) {
            c = strchr(c, '|');
            c = c ? c + 1 : NULL;
        }
        if (!c)
            return NULL;
        snprintf(buf, cap, "%.*s", (int)strcspn(c, "|"), c);
        return buf;
    }
    return NULL;
}

void amlp_config_text(const amlp_config *cfg, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < cfg->params.n && len + 1 < cap; i++) {
        char choice[64];
        const char *c = choice_name(cfg->kind, cfg->params.name[i], cfg->params.value[i], choice,
                                    sizeof choice);
        int n = c ? snprintf(buf + len, cap - len, "%s%s=%s", i ? " " : "", cfg->params.name[i], c)
                  : snprintf(buf + len, cap - len, "%s%s=%.4g", i ? " " : "", cfg->params.name[i],
                             cfg->params.value[i]);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    if (cfg->fidelity < 1 && len + 1 < cap)
        snprintf(buf + len, cap - len, " (effort %.0f%%)", cfg->fidelity * 100);
}

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return mix(h, 0x2f);
}

uint64_t amlp_config_hash(const amlp_config *cfg)
{
    uint64_t h = hash_str(0xcbf29ce484222325ull, cfg->kind);
    /* order-free over the parameters: sum of per-parameter hashes */
    uint64_t acc = 0;
    for (size_t i = 0; i < cfg->params.n; i++) {
        double v = cfg->params.value[i];
        uint64_t bits;
        float f = (float)v;   /* tolerate round trips through text */
        uint32_t fb;
        memcpy(&fb, &f, 4);
        bits = fb;
        acc += mix(hash_str(0x84222325ull, cfg->params.name[i]), bits);
    }
    float fid = (float)cfg->fidelity;
    uint32_t fb;
    memcpy(&fb, &fid, 4);
    return mix(mix(h, acc), fb);
}
