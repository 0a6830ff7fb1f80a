/* Private helpers shared by the compile passes: small dense complex matrices
 * and gate sequences. Not installed; nothing here is exported API. */
#ifndef TSR_COMPILE_INTERNAL_H
#define TSR_COMPILE_INTERNAL_H

#include <complex.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/compile.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

typedef double complex cplx;

/* ------------------------------------------------------------ 2x2, 4x4 */

/* out = a * b for n x n row-major matrices (out may alias neither). */
static inline void cm_mul(unsigned n, const cplx *a, const cplx *b, cplx *out) {
  for (unsigned i = 0; i < n; i++) {
    for (unsigned j = 0; j < n; j++) {
      cplx s = 0;
      for (unsigned k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      out[i * n + j] = s;
    }
  }
}

/* out = a^dagger (out may not alias a). */
static inline void cm_adj(unsigned n, const cplx *a, cplx *out) {
  for (unsigned i = 0; i < n; i++) {
    for (unsigned j = 0; j < n; j++) out[j * n + i] = conj(a[i * n + j]);
  }
}

static inline void cm_identity(unsigned n, cplx *out) {
  for (unsigned i = 0; i < n * n; i++) out[i] = 0;
  for (unsigned i = 0; i < n; i++) out[i * n + i] = 1;
}

/* Kronecker product for two-qubit matrices: out = hi ⊗ lo, where lo acts on
 * operand 0 (least significant bit) and hi on operand 1. */
static inline void cm_kron2(const cplx hi[4], const cplx lo[4], cplx out[16]) {
  for (unsigned r1 = 0; r1 < 2; r1++)
    for (unsigned r0 = 0; r0 < 2; r0++)
      for (unsigned c1 = 0; c1 < 2; c1++)
        for (unsigned c0 = 0; c0 < 2; c0++)
          out[(2 * r1 + r0) * 4 + (2 * c1 + c0)] = hi[2 * r1 + c1] * lo[2 * r0 + c0];
}

/* Distance of a and b up to a global phase: min over phases of the max-abs
 * entry difference, using the phase of tr(a^dagger b). */
static inline double cm_phase_distance(unsigned n, const cplx *a, const cplx *b) {
  cplx t = 0;
  for (unsigned i = 0; i < n * n; i++) t += conj(a[i]) * b[i];
  cplx ph = cabs(t) > 1e-300 ? t / cabs(t) : 1.0;
  double d = 0;
  for (unsigned i = 0; i < n * n; i++) {
    double e = cabs(a[i] * ph - b[i]);
    if (e > d) d = e;
  }
  return d;
}

/* Phase p with b ~= exp(i p) a (from tr(a^dagger b)). */
static inline double cm_relative_phase(unsigned n, const cplx *a, const cplx *b) {
  cplx t = 0;
  for (unsigned i = 0; i < n * n; i++) t += conj(a[i]) * b[i];
  return carg(t);
}

/* Wraps an angle into (-pi, pi]. */
static inline double tsr_wrap_angle(double x) {
  x = fmod(x, 2 * M_PI);
  if (x <= -M_PI) x += 2 * M_PI;
  if (x > M_PI) x -= 2 * M_PI;
  return x;
}

/* 2x2 matrices of the rotations used by the synthesis code. */
static inline void cm_rz(double t, cplx m[4]) {
  m[0] = cexp(-I * t / 2);
  m[1] = 0;
  m[2] = 0;
  m[3] = cexp(I * t / 2);
}
static inline void cm_ry(double t, cplx m[4]) {
  m[0] = cos(t / 2);
  m[1] = -sin(t / 2);
  m[2] = sin(t / 2);
  m[3] = cos(t / 2);
}
static inline void cm_rx(double t, cplx m[4]) {
  m[0] = cos(t / 2);
  m[1] = -I * sin(t / 2);
  m[2] = -I * sin(t / 2);
  m[3] = cos(t / 2);
}

/* ------------------------------------------------------------ Paulis */

/* Axis bits of the Paulis Z, X, Y. */
enum { TSR__AX_Z = 1, TSR__AX_X = 2, TSR__AX_Y = 4 };

/* The 2x2 matrix of the Pauli of axis ax. */
void tsr__pauli(int ax, cplx p[4]);
/* Axis of u P u^dag for the Pauli P of axis ax when it is +-a Pauli (the
 * sign in *sign, may be NULL); 0 otherwise. */
int tsr__pauli_image(const cplx u[4], int ax, int *sign);
/* Axis bits of the Paulis a two-qubit matrix commutes with on operand k. */
int tsr__operand_axes(const cplx m[16], unsigned k);
/* For the Pauli P of axis ax on operand k of a two-qubit m: 1 when m P m^dag
 * = +-P, 2 when it is +-P times Z on the other operand, 0 otherwise (sign in
 * *sign, may be NULL). */
int tsr__pauli_image_2q(const cplx m[16], unsigned k, int ax, int *sign);

/* Prim's minimum spanning tree over nodes[0..nn) of a k x k symmetric weight
 * matrix w (INFINITY: no edge; nn <= TSR_MODULE_GRAPH_MAX): from[i] (i > 0)
 * is the index in nodes of node i's tree neighbour. Returns the total
 * weight, INFINITY when the nodes are not connected. */
double tsr__prim_mst(const double *w, uint32_t k, const uint32_t *nodes, uint32_t nn,
                     uint32_t *from);

/* ------------------------------------------------------------ sequences */

/* Appends a gate to a synthesis sequence; returns 0 when full. */
int tsr__seq_push(tsr_synth_seq *s, tsr_gate kind, uint32_t q0, int q1, const double *params,
                  uint32_t nparams);

/* Product of a sequence as a dim x dim matrix (dim 2 or 4), phase included. */
tsr_status tsr__seq_matrix(const tsr_synth_seq *s, unsigned dim, cplx *out, tsr_error *err);

/* Appends the 1q synthesis of u on local operand q to seq (no phase). */
tsr_status tsr__synth_1q_append(const cplx u[4], tsr_basis_1q basis, uint32_t q, tsr_synth_seq *seq,
                                double *phase, tsr_error *err);

/* Matrix of a circuit operation (kind, params) on its own operands; dim is
 * 2^nqubits. Thin wrapper over tsr_gate_matrix. */
tsr_status tsr__op_matrix(tsr_gate kind, const double *params, unsigned nqubits, cplx *out,
                          tsr_error *err);

/* Copies the registers of `in` into a new empty circuit. */
tsr_status tsr__circuit_like(const tsr_circuit *in, tsr_circuit **out, tsr_error *err);

/* Appends a copy of op (with its condition from `src`) to dst, with the
 * qubits replaced by `qubits` when non-NULL. */
tsr_status tsr__append_op(tsr_circuit *dst, const tsr_circuit *src, const tsr_op *op, tsr_gate kind,
                          const uint32_t *qubits, uint32_t nqubits, const double *params,
                          uint32_t nparams, tsr_error *err);

/* Appends a synthesised sequence to dst on the circuit qubits map[local]
 * (its global phase is dropped); every gate gets the condition of `cond_op`
 * of `src` when both are non-NULL. */
tsr_status tsr__append_seq(tsr_circuit *dst, const tsr_synth_seq *seq, const uint32_t *map,
                           const tsr_circuit *src, const tsr_op *cond_op, tsr_error *err);

/* tsr_decompose into CZ that keeps single-qubit gates and every two-qubit
 * gate commuting with a Pauli on an operand (what the packet hypergraph
 * takes as it is: cz, cp, crz, cx, rzz, ...). */
tsr_status tsr__decompose_for_packets(const tsr_circuit *in, tsr_circuit **out, tsr_error *err);
/* The same, and *src_of (may be NULL) gets a new array (free) with one entry
 * per operation of *out: the index of the operation of `in` it comes from
 * (non-decreasing: operations are expanded in order). */
tsr_status tsr__decompose_for_packets_traced(const tsr_circuit *in, tsr_circuit **out,
                                             int64_t **src_of, tsr_error *err);

/* tsr_simplify, and *src_of (may be NULL) gets a new array (free) with one
 * entry per operation of *out: the index of the operation of `in` whose node
 * it is. A merged run of single-qubit gates, two rotations whose angles
 * added, keep the surviving (later) node's index; non-decreasing, since the
 * output keeps the input order. */
tsr_status tsr__simplify_traced(const tsr_circuit *in, tsr_circuit **out, tsr_simplify_stats *stats,
                                int64_t **src_of, tsr_error *err);

/* A two-qubit synthesis before the 1q layers are turned into gates: layer l
 * (one 2x2 per operand) acts before entangler l, layer nent after the last. */
typedef struct tsr__layered {
  int nent;
  cplx layer[5][2][4];
  double param[4]; /* angle of each parametrised entangler */
} tsr__layered;

tsr_status tsr__synth_2q_layered(const cplx u[16], tsr_entangler ent, tsr__layered *out,
                                 tsr_error *err);
/* Appends entangler ent (angle param for zz / rzz) on local operands 0, 1. */
int tsr__emit_entangler(tsr_synth_seq *s, tsr_entangler ent, double param);

#endif
