/* Seeded, splittable random numbers: xoshiro256** (Blackman & Vigna 2018)
 * with state from splitmix64. A (seed, stream) pair names a generator, so a
 * parallel loop that gives item i stream i gets the same numbers at any
 * thread count. */
#include <math.h>

#include "tessera/core.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

void tsr_rng_seed(tsr_rng *rng, uint64_t seed, uint64_t stream) {
  /* Mix the stream into the seed through one splitmix round so that nearby
   * (seed, stream) pairs give unrelated states. */
  uint64_t x = seed;
  uint64_t mixed = splitmix64(&x) ^ (stream * 0xd1342543de82ef95ull + 0x2545f4914f6cdd1dull);
  uint64_t y = mixed;
  for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&y);
  if (!(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3])) rng->s[0] = 1;
}

uint64_t tsr_rng_u64(tsr_rng *rng) {
  uint64_t *s = rng->s;
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

tsr_rng tsr_rng_split(tsr_rng *rng) {
  tsr_rng child;
  uint64_t a = tsr_rng_u64(rng), b = tsr_rng_u64(rng);
  tsr_rng_seed(&child, a, b);
  return child;
}

double tsr_rng_uniform(tsr_rng *rng) {
  return (double)(tsr_rng_u64(rng) >> 11) * 0x1.0p-53;
}

uint64_t tsr_rng_below(tsr_rng *rng, uint64_t n) {
  if (n <= 1) return 0;
  uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* reject the biased tail */
  uint64_t x;
  do x = tsr_rng_u64(rng);
  while (x >= limit);
  return x % n;
}

double tsr_rng_normal(tsr_rng *rng) {
  /* Box-Muller; one value per call keeps the stream position simple. */
  double u1 = tsr_rng_uniform(rng), u2 = tsr_rng_uniform(rng);
  if (u1 <= 0.0) u1 = 0x1.0p-53;
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double tsr_rng_exponential(tsr_rng *rng, double mean) {
  double u = tsr_rng_uniform(rng);
  return -mean * log1p(-u);
}

uint64_t tsr_rng_geometric(tsr_rng *rng, double p) {
  if (p >= 1.0) return 1;
  if (!(p > 0.0)) return UINT64_MAX;
  double u = tsr_rng_uniform(rng);
  double k = ceil(log1p(-u) / log1p(-p));
  if (k < 1.0) k = 1.0;
  if (!(k < 1.8e19)) return UINT64_MAX;
  return (uint64_t)k;
}
