/* rng.c — the engine's seeded PRNG: xoshiro256** (Blackman & Vigna)
 * seeded through splitmix64, so a seed gives the same stream on every run
 * and platform (shuffles, initial weights, dropout masks). */
#include "aml_base.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void amlp_rng_seed(amlp_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t amlp_rng_next(amlp_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double amlp_rng_uniform(amlp_rng *r)
{
    return (double)(amlp_rng_next(r) >> 11) * 0x1.0p-53;
}

double amlp_rng_normal(amlp_rng *r)
{
    double u1 = amlp_rng_uniform(r), u2 = amlp_rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

size_t amlp_rng_below(amlp_rng *r, size_t n)
{
    /* Lemire's multiply-shift with rejection: unbiased */
    uint64_t x = amlp_rng_next(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t t = -(uint64_t)n % n;
        while (low < t) {
            x = amlp_rng_next(r);
            m = (__uint128_t)x * n;
            low = (uint64_t)m;
        }
    }
    return (size_t)(m >> 64);
}

void amlp_rng_shuffle(amlp_rng *r, size_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = amlp_rng_below(r, i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}
