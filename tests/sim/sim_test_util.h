/* Helpers shared by the sim tests: a naive reference for applying a k-qubit
 * matrix, random states and unitaries, comparisons. Header-only (static)
 * so each test executable stays one file. */
#ifndef TSR_SIM_TEST_UTIL_H
#define TSR_SIM_TEST_UTIL_H

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/sim.h"
#include "tsr_test.h"

/* a <- M a with M on qubits q[0..k) (local bit j = q[j]), the definition. */
static inline void ref_apply(double complex *a, unsigned n, const uint32_t *q, unsigned k,
                             const double complex *m) {
  const uint64_t dim = UINT64_C(1) << n, d = UINT64_C(1) << k;
  double complex *out = calloc(dim, sizeof *out);
  uint64_t tmask = 0;
  for (unsigned j = 0; j < k; j++) tmask |= UINT64_C(1) << q[j];
  for (uint64_t i = 0; i < dim; i++) {
    uint64_t r = 0;
    for (unsigned j = 0; j < k; j++) r |= ((i >> q[j]) & 1) << j;
    const uint64_t base = i & ~tmask;
    double complex s = 0;
    for (uint64_t c = 0; c < d; c++) {
      uint64_t idx = base;
      for (unsigned j = 0; j < k; j++) {
        if ((c >> j) & 1) idx |= UINT64_C(1) << q[j];
      }
      s += m[r * d + c] * a[idx];
    }
    out[i] = s;
  }
  memcpy(a, out, dim * sizeof *a);
  free(out);
}

static inline double complex rand_gauss_c(tsr_rng *r) {
  return CMPLX(tsr_rng_normal(r), tsr_rng_normal(r));
}

static inline void rand_state(tsr_rng *r, double complex *a, uint64_t dim) {
  double nrm = 0;
  for (uint64_t i = 0; i < dim; i++) {
    a[i] = rand_gauss_c(r);
    nrm += creal(a[i] * conj(a[i]));
  }
  for (uint64_t i = 0; i < dim; i++) a[i] /= sqrt(nrm);
}

/* Haar-ish random unitary by Gram-Schmidt on a Gaussian matrix (row-major). */
static inline void rand_unitary(tsr_rng *r, unsigned k, double complex *u) {
  const uint64_t d = UINT64_C(1) << k;
  for (uint64_t e = 0; e < d * d; e++) u[e] = rand_gauss_c(r);
  for (uint64_t c = 0; c < d; c++) {
    for (uint64_t p = 0; p < c; p++) {
      double complex dot = 0;
      for (uint64_t i = 0; i < d; i++) dot += conj(u[i * d + p]) * u[i * d + c];
      for (uint64_t i = 0; i < d; i++) u[i * d + c] -= dot * u[i * d + p];
    }
    double nrm = 0;
    for (uint64_t i = 0; i < d; i++) nrm += creal(u[i * d + c] * conj(u[i * d + c]));
    for (uint64_t i = 0; i < d; i++) u[i * d + c] /= sqrt(nrm);
  }
}

/* k distinct random qubits of n. */
static inline void rand_qubits(tsr_rng *r, unsigned n, unsigned k, uint32_t *q) {
  for (unsigned j = 0; j < k; j++) {
    for (;;) {
      uint32_t v = (uint32_t)tsr_rng_below(r, n);
      int dup = 0;
      for (unsigned i = 0; i < j; i++) dup |= q[i] == v;
      if (!dup) {
        q[j] = v;
        break;
      }
    }
  }
}

static inline double max_diff(const double complex *a, const double complex *b, uint64_t dim) {
  double worst = 0;
  for (uint64_t i = 0; i < dim; i++) {
    double e = cabs(a[i] - b[i]);
    if (e > worst) worst = e;
  }
  return worst;
}

/* Random parameters for a gate kind. */
static inline void rand_params(tsr_rng *r, double *p) {
  for (int i = 0; i < 4; i++) p[i] = (tsr_rng_uniform(r) * 2 - 1) * 3.5;
}

#endif
