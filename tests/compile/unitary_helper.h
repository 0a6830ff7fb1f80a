/* Test helper for the compile tests: the full unitary of a small circuit
 * (n <= 6 qubits), built gate by gate with tsr_gate_matrix, and comparison
 * of unitaries up to a global phase. Header-only (static functions). */
#ifndef TSR_COMPILE_UNITARY_HELPER_H
#define TSR_COMPILE_UNITARY_HELPER_H

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/circuit.h"

/* Applies a k-qubit gate matrix g (2^k x 2^k, operand t = bit t of its
 * index) on the given qubits to every column of the dim x dim matrix u. */
static inline void uh_apply(double complex *u, unsigned n, const double complex *g,
                            const uint32_t *qubits, unsigned k) {
  size_t dim = (size_t)1 << n, sub = (size_t)1 << k;
  size_t mask = 0;
  for (unsigned t = 0; t < k; t++) mask |= (size_t)1 << qubits[t];
  double complex in[64], out[64];
  size_t idx[64];
  for (size_t col = 0; col < dim; col++) {
    for (size_t base = 0; base < dim; base++) {
      if (base & mask) continue;
      for (size_t j = 0; j < sub; j++) {
        size_t i = base;
        for (unsigned t = 0; t < k; t++)
          if (j >> t & 1) i |= (size_t)1 << qubits[t];
        idx[j] = i;
        in[j] = u[i * dim + col];
      }
      for (size_t r = 0; r < sub; r++) {
        double complex s = 0;
        for (size_t j = 0; j < sub; j++) s += g[r * sub + j] * in[j];
        out[r] = s;
      }
      for (size_t j = 0; j < sub; j++) u[idx[j] * dim + col] = out[j];
    }
  }
}

/* The unitary of c (dim = 2^nqubits, row-major, malloc'd). Barriers are
 * skipped; any non-unitary operation or condition returns NULL. */
static inline double complex *uh_circuit_unitary(const tsr_circuit *c) {
  unsigned n = c->nqubits;
  if (n > 6) return NULL;
  size_t dim = (size_t)1 << n;
  double complex *u = calloc(dim * dim, sizeof *u);
  if (!u) return NULL;
  for (size_t i = 0; i < dim; i++) u[i * dim + i] = 1;
  for (size_t i = 0; i < c->nops; i++) {
    const tsr_op *op = &c->ops[i];
    if (op->kind == TSR_OP_BARRIER) continue;
    if (op->cond >= 0 || op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET ||
        op->kind == TSR_GATE_OPAQUE || op->nqubits > 6) {
      free(u);
      return NULL;
    }
    size_t sub = (size_t)1 << op->nqubits;
    double complex *g = malloc(sub * sub * sizeof *g);
    if (!g || tsr_gate_matrix(op->kind, op->params, op->nqubits, g, NULL) != TSR_OK) {
      free(g);
      free(u);
      return NULL;
    }
    uh_apply(u, n, g, op->qubits, op->nqubits);
    free(g);
  }
  return u;
}

/* Max-abs distance between a and b (dim x dim) after removing the global
 * phase that best aligns them. */
static inline double uh_phase_distance(const double complex *a, const double complex *b,
                                       size_t dim) {
  double complex t = 0;
  for (size_t i = 0; i < dim * dim; i++) t += conj(a[i]) * b[i];
  double complex ph = cabs(t) > 1e-300 ? t / cabs(t) : 1.0;
  double d = 0;
  for (size_t i = 0; i < dim * dim; i++) {
    double e = cabs(a[i] * ph - b[i]);
    if (e > d) d = e;
  }
  return d;
}

/* Distance between the unitaries of two circuits on the same qubits
 * (INFINITY if either cannot be built). */
static inline double uh_circuit_distance(const tsr_circuit *a, const tsr_circuit *b) {
  if (a->nqubits != b->nqubits) return INFINITY;
  double complex *ua = uh_circuit_unitary(a), *ub = uh_circuit_unitary(b);
  double d = INFINITY;
  if (ua && ub) d = uh_phase_distance(ua, ub, (size_t)1 << a->nqubits);
  free(ua);
  free(ub);
  return d;
}

#endif
