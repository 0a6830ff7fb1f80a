/* Gate catalogue: table consistency, name lookup, matrices (unitarity, bit
 * convention, known values, Qiskit's decompositions), exact inverses and
 * the parameter-aware Clifford test (checked against Pauli conjugation). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/circuit.h"
#include "tsr_test.h"

typedef double complex cplx;

#define TOL 1e-12

/* ------------------------------------------------------------- helpers */

static size_t dim_of(unsigned n) {
  return (size_t)1 << n;
}

/* Operand count used for a kind's matrix (gr: 3 by default). */
static unsigned arity(tsr_gate kind) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  return info->nqubits ? info->nqubits : 3;
}

static int is_unitary_kind(tsr_gate kind) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  return info && (info->flags & TSR_GF_UNITARY);
}

static cplx *matrix_of(tsr_gate kind, const double *params, unsigned n) {
  size_t d = dim_of(n);
  cplx *m = malloc(d * d * sizeof *m);
  assert_non_null(m);
  tsr_error err;
  assert_ok(tsr_gate_matrix(kind, params, n, m, &err), &err);
  return m;
}

static void matmul(size_t d, const cplx *a, const cplx *b, cplx *out) {
  for (size_t i = 0; i < d; i++) {
    for (size_t j = 0; j < d; j++) {
      cplx s = 0;
      for (size_t k = 0; k < d; k++) s += a[i * d + k] * b[k * d + j];
      out[i * d + j] = s;
    }
  }
}

static double max_diff(size_t d, const cplx *a, const cplx *b) {
  double m = 0;
  for (size_t i = 0; i < d * d; i++) m = fmax(m, cabs(a[i] - b[i]));
  return m;
}

static double distance_from_identity(size_t d, const cplx *a) {
  double m = 0;
  for (size_t i = 0; i < d; i++) {
    for (size_t j = 0; j < d; j++) m = fmax(m, cabs(a[i * d + j] - (i == j ? 1.0 : 0.0)));
  }
  return m;
}

/* max |a - e^{i g} b| with the phase g fitted on the largest entry of b. */
static double diff_up_to_phase(size_t d, const cplx *a, const cplx *b) {
  size_t best = 0;
  for (size_t i = 0; i < d * d; i++) {
    if (cabs(b[i]) > cabs(b[best])) best = i;
  }
  cplx ph = a[best] / b[best];
  ph /= cabs(ph);
  double m = 0;
  for (size_t i = 0; i < d * d; i++) m = fmax(m, cabs(a[i] - ph * b[i]));
  return m;
}

static void random_params(tsr_rng *rng, double *p) {
  for (int i = 0; i < 4; i++) p[i] = (tsr_rng_uniform(rng) * 2 - 1) * 2 * M_PI;
}

/* Full n-qubit matrix of a k-qubit gate matrix g on the listed operands
 * (operand j of the gate is qubit ops[j] of the register). */
static void embed(const cplx *g, unsigned k, const unsigned *ops, unsigned n, cplx *out) {
  size_t d = dim_of(n), gd = dim_of(k);
  size_t mask = 0;
  for (unsigned j = 0; j < k; j++) mask |= (size_t)1 << ops[j];
  for (size_t r = 0; r < d; r++) {
    for (size_t c = 0; c < d; c++) {
      if ((r & ~mask) != (c & ~mask)) {
        out[r * d + c] = 0;
        continue;
      }
      size_t gr = 0, gc = 0;
      for (unsigned j = 0; j < k; j++) {
        gr |= ((r >> ops[j]) & 1) << j;
        gc |= ((c >> ops[j]) & 1) << j;
      }
      out[r * d + c] = g[gr * gd + gc];
    }
  }
}

/* A gate of a decomposition, in time order. */
typedef struct step {
  tsr_gate kind;
  double p[4];
  unsigned ops[5];
} step;

/* Unitary of a sequence of catalogue gates on n qubits. */
static cplx *compose(const step *steps, size_t nsteps, unsigned n) {
  size_t d = dim_of(n);
  cplx *u = calloc(d * d, sizeof *u), *g = malloc(d * d * sizeof *g),
       *t = malloc(d * d * sizeof *t);
  assert_true(u && g && t);
  for (size_t i = 0; i < d; i++) u[i * d + i] = 1;
  for (size_t s = 0; s < nsteps; s++) {
    unsigned k = tsr_gate_get(steps[s].kind)->nqubits;
    cplx *gm = matrix_of(steps[s].kind, steps[s].p, k);
    embed(gm, k, steps[s].ops, n, g);
    free(gm);
    matmul(d, g, u, t);
    memcpy(u, t, d * d * sizeof *u);
  }
  free(g);
  free(t);
  return u;
}

#define NSTEPS(a) (sizeof(a) / sizeof((a)[0]))

static void assert_matrix(tsr_gate kind, const double *p, unsigned n, const cplx *expect) {
  cplx *m = matrix_of(kind, p, n);
  double d = max_diff(dim_of(n), m, expect);
  if (d > TOL) fail_msg("%s: matrix differs by %.3g", tsr_gate_get(kind)->name, d);
  free(m);
}

static void assert_decomposition(tsr_gate kind, const double *p, const step *steps, size_t ns,
                                 int exact) {
  unsigned n = arity(kind);
  cplx *m = matrix_of(kind, p, n), *u = compose(steps, ns, n);
  double d = exact ? max_diff(dim_of(n), m, u) : diff_up_to_phase(dim_of(n), m, u);
  if (d > 1e-11) fail_msg("%s: decomposition differs by %.3g", tsr_gate_get(kind)->name, d);
  free(m);
  free(u);
}

/* --------------------------------------------------------------- table */

static void table_is_consistent(void **state) {
  (void)state;
  assert_null(tsr_gate_get(TSR_GATE_NONE));
  assert_null(tsr_gate_get(TSR_GATE_COUNT));
  assert_null(tsr_gate_get((tsr_gate)-1));
  for (int k = 1; k < TSR_GATE_COUNT; k++) {
    const tsr_gate_info *info = tsr_gate_get((tsr_gate)k);
    assert_non_null(info);
    assert_int_equal(info->kind, k);
    assert_non_null(info->name);
    assert_true(info->ncontrols < (info->nqubits ? info->nqubits : 1));
    assert_true(info->nparams <= 4);
    if (info->flags & TSR_GF_CONTROLLED) assert_true(info->ncontrols > 0);
    if (!(info->flags & TSR_GF_UNITARY)) assert_int_equal(info->flags, 0);
  }
  assert_int_equal(tsr_gate_get(TSR_GATE_CCX)->ncontrols, 2);
  assert_int_equal(tsr_gate_get(TSR_GATE_C4X)->nqubits, 5);
  assert_int_equal(tsr_gate_get(TSR_GATE_CU)->nparams, 4);
  assert_int_equal(tsr_gate_get(TSR_GATE_GR)->nqubits, 0);
  assert_true(tsr_gate_get(TSR_GATE_GPI2)->flags & TSR_GF_NATIVE);
  assert_true(tsr_gate_get(TSR_GATE_C3SQRTX)->flags & TSR_GF_QELIB1);
  assert_false(tsr_gate_get(TSR_GATE_C3SQRTX)->flags & TSR_GF_STDGATES);
  assert_true(tsr_gate_get(TSR_GATE_CU)->flags & TSR_GF_STDGATES);
  assert_false(tsr_gate_get(TSR_GATE_ECR)->flags & TSR_GF_QELIB1);
}

static void lookup_round_trips(void **state) {
  (void)state;
  for (int k = 1; k < TSR_GATE_COUNT; k++) {
    if (k == TSR_GATE_OPAQUE) continue;
    const char *name = tsr_gate_get((tsr_gate)k)->name;
    if (tsr_gate_lookup(name) != (tsr_gate)k) fail_msg("lookup(\"%s\") != kind %d", name, k);
  }
  assert_int_equal(tsr_gate_lookup("CX"), TSR_GATE_CX);
  assert_int_equal(tsr_gate_lookup("U"), TSR_GATE_U);
  assert_int_equal(tsr_gate_lookup("phase"), TSR_GATE_P);
  assert_int_equal(tsr_gate_lookup("cphase"), TSR_GATE_CP);
  assert_int_equal(tsr_gate_lookup("measure"), TSR_OP_MEASURE);
  assert_int_equal(tsr_gate_lookup("reset"), TSR_OP_RESET);
  assert_int_equal(tsr_gate_lookup("barrier"), TSR_OP_BARRIER);
  const char *unknown[] = {"", "opaque", "Cx", "cxx", "c", "zzz", "A", "~", "u4", "gpi3", "X"};
  for (size_t i = 0; i < NSTEPS(unknown); i++) {
    assert_int_equal(tsr_gate_lookup(unknown[i]), TSR_GATE_NONE);
  }
  assert_int_equal(tsr_gate_lookup(NULL), TSR_GATE_NONE);
}

/* ------------------------------------------------------------ matrices */

static void every_matrix_is_unitary(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 2024, 0);
  for (int k = 1; k < TSR_GATE_COUNT; k++) {
    if (!is_unitary_kind((tsr_gate)k)) continue;
    unsigned lo = arity((tsr_gate)k), hi = lo;
    if (k == TSR_GATE_GR) lo = 1, hi = 5;
    for (unsigned n = lo; n <= hi; n++) {
      for (int trial = 0; trial < 5; trial++) {
        double p[4];
        random_params(&rng, p);
        size_t d = dim_of(n);
        cplx *m = matrix_of((tsr_gate)k, p, n), *mh = malloc(d * d * sizeof *mh),
             *prod = malloc(d * d * sizeof *prod);
        for (size_t i = 0; i < d; i++) {
          for (size_t j = 0; j < d; j++) mh[i * d + j] = conj(m[j * d + i]);
        }
        matmul(d, mh, m, prod);
        double dist = distance_from_identity(d, prod);
        if (dist > TOL) fail_msg("%s on %u: U^dag U - I = %.3g", tsr_gate_get(k)->name, n, dist);
        free(m);
        free(mh);
        free(prod);
      }
    }
  }
}

static void flags_match_matrices(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 7, 1);
  for (int k = 1; k < TSR_GATE_COUNT; k++) {
    if (!is_unitary_kind((tsr_gate)k)) continue;
    const tsr_gate_info *info = tsr_gate_get((tsr_gate)k);
    unsigned n = arity((tsr_gate)k);
    size_t d = dim_of(n);
    double p[4];
    random_params(&rng, p);
    cplx *m = matrix_of((tsr_gate)k, p, n), *sq = malloc(d * d * sizeof *sq);
    int diagonal = 1, permutation = 1;
    for (size_t r = 0; r < d; r++) {
      for (size_t c = 0; c < d; c++) {
        cplx v = m[r * d + c];
        if (r != c && cabs(v) > TOL) diagonal = 0;
        if (!(cabs(v) < TOL || cabs(v - 1) < TOL)) permutation = 0;
      }
    }
    if (!!(info->flags & TSR_GF_DIAGONAL) != diagonal) fail_msg("%s: diagonal flag", info->name);
    if (!!(info->flags & TSR_GF_PERMUTATION) != permutation) {
      fail_msg("%s: permutation flag", info->name);
    }
    matmul(d, m, m, sq);
    int self_inverse = distance_from_identity(d, sq) < TOL;
    if (!!(info->flags & TSR_GF_SELF_INVERSE) != self_inverse) {
      fail_msg("%s: self-inverse flag", info->name);
    }
    if (info->flags & TSR_GF_CONTROLLED) {
      /* Identity wherever some control bit is 0. */
      size_t cmask = dim_of(info->ncontrols) - 1;
      for (size_t r = 0; r < d; r++) {
        for (size_t c = 0; c < d; c++) {
          if ((r & cmask) == cmask && (c & cmask) == cmask) continue;
          if (cabs(m[r * d + c] - (r == c ? 1.0 : 0.0)) > TOL) {
            fail_msg("%s: not controlled at (%zu, %zu)", info->name, r, c);
          }
        }
      }
    }
    free(m);
    free(sq);
  }
}

static void known_single_qubit_matrices(void **state) {
  (void)state;
  const double r2 = M_SQRT1_2;
  const cplx x[4] = {0, 1, 1, 0}, h[4] = {r2, r2, r2, -r2}, s[4] = {1, 0, 0, I},
             t[4] = {1, 0, 0, cexp(I * M_PI / 4)},
             sx[4] = {(1 + I) / 2, (1 - I) / 2, (1 - I) / 2, (1 + I) / 2};
  assert_matrix(TSR_GATE_X, NULL, 1, x);
  assert_matrix(TSR_GATE_H, NULL, 1, h);
  assert_matrix(TSR_GATE_S, NULL, 1, s);
  assert_matrix(TSR_GATE_T, NULL, 1, t);
  assert_matrix(TSR_GATE_SX, NULL, 1, sx);
  double phi = 0.7;
  const cplx rz[4] = {cexp(-I * phi / 2), 0, 0, cexp(I * phi / 2)};
  assert_matrix(TSR_GATE_RZ, &phi, 1, rz);
  double u[3] = {0.3, 1.1, -0.4};
  const cplx u3[4] = {cos(0.15), -cexp(I * u[2]) * sin(0.15), cexp(I * u[1]) * sin(0.15),
                      cexp(I * (u[1] + u[2])) * cos(0.15)};
  assert_matrix(TSR_GATE_U3, u, 1, u3);
  assert_matrix(TSR_GATE_U, u, 1, u3);
  double zero = 0;
  assert_matrix(TSR_GATE_GPI, &zero, 1, x);
  /* gpi2(0) is rx(pi/2) (here even with the same phase). */
  double half_pi = M_PI / 2;
  cplx *g2 = matrix_of(TSR_GATE_GPI2, &zero, 1), *rx = matrix_of(TSR_GATE_RX, &half_pi, 1);
  assert_true(diff_up_to_phase(2, g2, rx) < TOL);
  free(g2);
  free(rx);
  /* gpi(pi/2) is Y; gpi2(pi/2) is ry(pi/2). */
  const cplx y[4] = {0, -I, I, 0};
  assert_matrix(TSR_GATE_GPI, &half_pi, 1, y);
  g2 = matrix_of(TSR_GATE_GPI2, &half_pi, 1);
  cplx *ry = matrix_of(TSR_GATE_RY, &half_pi, 1);
  assert_true(max_diff(2, g2, ry) < TOL);
  free(g2);
  free(ry);
  /* u0 is the identity whatever its duration. */
  double gamma = 12.5;
  const cplx id[4] = {1, 0, 0, 1};
  assert_matrix(TSR_GATE_U0, &gamma, 1, id);
}

static void known_multi_qubit_matrices(void **state) {
  (void)state;
  /* cx(op0 -> op1): |01> (index 1, operand 0 set) -> |11> (index 3). */
  const cplx cx[16] = {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0};
  assert_matrix(TSR_GATE_CX, NULL, 2, cx);
  cplx *m = matrix_of(TSR_GATE_CX, NULL, 2);
  assert_true(cabs(m[3 * 4 + 1] - 1) < TOL); /* <11|CX|01> */
  assert_true(cabs(m[2 * 4 + 2] - 1) < TOL); /* |10>: control (bit 0) clear */
  free(m);
  const cplx cz[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1};
  assert_matrix(TSR_GATE_CZ, NULL, 2, cz);
  const cplx swap[16] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1};
  assert_matrix(TSR_GATE_SWAP, NULL, 2, swap);
  /* ccx(0, 1 -> 2): |011> (3) <-> |111> (7). */
  cplx ccx[64] = {0};
  for (int i = 0; i < 8; i++) ccx[i * 8 + i] = 1;
  ccx[3 * 8 + 3] = ccx[7 * 8 + 7] = 0;
  ccx[7 * 8 + 3] = ccx[3 * 8 + 7] = 1;
  assert_matrix(TSR_GATE_CCX, NULL, 3, ccx);
  /* cswap(c=0; 1, 2): |011> (3) <-> |101> (5). */
  cplx cswap[64] = {0};
  for (int i = 0; i < 8; i++) cswap[i * 8 + i] = 1;
  cswap[3 * 8 + 3] = cswap[5 * 8 + 5] = 0;
  cswap[5 * 8 + 3] = cswap[3 * 8 + 5] = 1;
  assert_matrix(TSR_GATE_CSWAP, NULL, 3, cswap);
  /* ms(0, 0, pi/2) = exp(-i pi/4 XX) = (I - i XX)/sqrt2. */
  double ms[3] = {0, 0, M_PI / 2};
  const double r2 = M_SQRT1_2;
  const cplx msm[16] = {r2, 0, 0, -I * r2, 0, r2, -I * r2, 0, 0, -I * r2, r2, 0, -I * r2, 0, 0, r2};
  assert_matrix(TSR_GATE_MS, ms, 2, msm);
  /* ms(phi0, phi1, pi/2) with sigma_phi0 on operand 0: |00> -> |11> picks
     up -i e^{i(phi0 + phi1)}, |01> -> |10> picks up -i e^{i(phi1 - phi0)}. */
  double ms2[3] = {0.3, 1.1, M_PI / 2};
  m = matrix_of(TSR_GATE_MS, ms2, 2);
  assert_true(cabs(m[3 * 4 + 0] - (-I * cexp(I * (0.3 + 1.1)) * r2)) < TOL);
  assert_true(cabs(m[2 * 4 + 1] - (-I * cexp(I * (1.1 - 0.3)) * r2)) < TOL);
  free(m);
  /* rzx(theta) = exp(-i theta/2 Z(op0) X(op1)): |00> -> |10> with -i sin. */
  double th = 0.8;
  m = matrix_of(TSR_GATE_RZX, &th, 2);
  assert_true(cabs(m[2 * 4 + 0] - (-I * sin(0.4))) < TOL);
  assert_true(cabs(m[3 * 4 + 1] - (I * sin(0.4))) < TOL);
  free(m);
  /* iswap: |01> -> i|10>. */
  m = matrix_of(TSR_GATE_ISWAP, NULL, 2);
  assert_true(cabs(m[2 * 4 + 1] - I) < TOL);
  free(m);
  /* dcx = cx(0,1) then cx(1,0): |01> -> |10>. */
  m = matrix_of(TSR_GATE_DCX, NULL, 2);
  assert_true(cabs(m[2 * 4 + 1] - 1) < TOL);
  free(m);
}

static void decompositions_match(void **state) {
  (void)state;
  const double pi = M_PI;
  /* Qiskit's definitions (global phases included). */
  const step ecr[] = {
      {TSR_GATE_RZX, {pi / 4}, {0, 1}}, {TSR_GATE_X, {0}, {0}}, {TSR_GATE_RZX, {-pi / 4}, {0, 1}}};
  assert_decomposition(TSR_GATE_ECR, NULL, ecr, NSTEPS(ecr), 1);
  const step dcx[] = {{TSR_GATE_CX, {0}, {0, 1}}, {TSR_GATE_CX, {0}, {1, 0}}};
  assert_decomposition(TSR_GATE_DCX, NULL, dcx, NSTEPS(dcx), 1);
  const step dcxdg[] = {{TSR_GATE_CX, {0}, {1, 0}}, {TSR_GATE_CX, {0}, {0, 1}}};
  assert_decomposition(TSR_GATE_DCXDG, NULL, dcxdg, NSTEPS(dcxdg), 1);
  const step rccx[] = {
      {TSR_GATE_H, {0}, {2}},     {TSR_GATE_T, {0}, {2}},     {TSR_GATE_CX, {0}, {1, 2}},
      {TSR_GATE_TDG, {0}, {2}},   {TSR_GATE_CX, {0}, {0, 2}}, {TSR_GATE_T, {0}, {2}},
      {TSR_GATE_CX, {0}, {1, 2}}, {TSR_GATE_TDG, {0}, {2}},   {TSR_GATE_H, {0}, {2}}};
  assert_decomposition(TSR_GATE_RCCX, NULL, rccx, NSTEPS(rccx), 1);
  const step rc3x[] = {
      {TSR_GATE_U2, {0, pi}, {3}},   {TSR_GATE_U1, {pi / 4}, {3}},  {TSR_GATE_CX, {0}, {2, 3}},
      {TSR_GATE_U1, {-pi / 4}, {3}}, {TSR_GATE_U2, {0, pi}, {3}},   {TSR_GATE_CX, {0}, {0, 3}},
      {TSR_GATE_U1, {pi / 4}, {3}},  {TSR_GATE_CX, {0}, {1, 3}},    {TSR_GATE_U1, {-pi / 4}, {3}},
      {TSR_GATE_CX, {0}, {0, 3}},    {TSR_GATE_U1, {pi / 4}, {3}},  {TSR_GATE_CX, {0}, {1, 3}},
      {TSR_GATE_U1, {-pi / 4}, {3}}, {TSR_GATE_U2, {0, pi}, {3}},   {TSR_GATE_U1, {pi / 4}, {3}},
      {TSR_GATE_CX, {0}, {2, 3}},    {TSR_GATE_U1, {-pi / 4}, {3}}, {TSR_GATE_U2, {0, pi}, {3}}};
  assert_decomposition(TSR_GATE_RC3X, NULL, rc3x, NSTEPS(rc3x), 1);
  /* Qiskit's C3SXGate definition (after Qiskit PR #7230): cu1(+pi/8) first. */
  step c3sx[27];
  {
    /* h d; cu1(a) x,d; h d; interleaved with the cx ladder */
    const unsigned ctl[7] = {0, 1, 1, 2, 2, 2, 2};
    const unsigned cxs[6][2] = {{0, 1}, {0, 1}, {1, 2}, {0, 2}, {1, 2}, {0, 2}};
    size_t n = 0;
    for (int i = 0; i < 7; i++) {
      double a = (i % 2 == 0 ? 1 : -1) * pi / 8;
      c3sx[n++] = (step){TSR_GATE_H, {0}, {3}};
      c3sx[n++] = (step){TSR_GATE_CU1, {a}, {ctl[i], 3}};
      c3sx[n++] = (step){TSR_GATE_H, {0}, {3}};
      if (i < 6) c3sx[n++] = (step){TSR_GATE_CX, {0}, {cxs[i][0], cxs[i][1]}};
    }
    assert_int_equal(n, 27);
    assert_decomposition(TSR_GATE_C3SQRTX, NULL, c3sx, n, 1);
    /* qelib1.inc's text has the opposite signs: it spells c3sqrtxdg. */
    for (size_t i = 0; i < n; i++) {
      if (c3sx[i].kind == TSR_GATE_CU1) c3sx[i].p[0] = -c3sx[i].p[0];
    }
    assert_decomposition(TSR_GATE_C3SQRTXDG, NULL, c3sx, n, 1);
  }
  /* qelib1.inc bodies that carry no global phase. */
  const step ccx[] = {
      {TSR_GATE_H, {0}, {2}},     {TSR_GATE_CX, {0}, {1, 2}}, {TSR_GATE_TDG, {0}, {2}},
      {TSR_GATE_CX, {0}, {0, 2}}, {TSR_GATE_T, {0}, {2}},     {TSR_GATE_CX, {0}, {1, 2}},
      {TSR_GATE_TDG, {0}, {2}},   {TSR_GATE_CX, {0}, {0, 2}}, {TSR_GATE_T, {0}, {1}},
      {TSR_GATE_T, {0}, {2}},     {TSR_GATE_H, {0}, {2}},     {TSR_GATE_CX, {0}, {0, 1}},
      {TSR_GATE_T, {0}, {0}},     {TSR_GATE_TDG, {0}, {1}},   {TSR_GATE_CX, {0}, {0, 1}}};
  assert_decomposition(TSR_GATE_CCX, NULL, ccx, NSTEPS(ccx), 1);
  const step cswap[] = {
      {TSR_GATE_CX, {0}, {2, 1}}, {TSR_GATE_CCX, {0}, {0, 1, 2}}, {TSR_GATE_CX, {0}, {2, 1}}};
  assert_decomposition(TSR_GATE_CSWAP, NULL, cswap, NSTEPS(cswap), 1);
  double th = 0.9, ph = -1.3, la = 0.4, ga = 2.2;
  const step cu3[] = {
      {TSR_GATE_U1, {(la + ph) / 2}, {0}}, {TSR_GATE_U1, {(la - ph) / 2}, {1}},
      {TSR_GATE_CX, {0}, {0, 1}},          {TSR_GATE_U3, {-th / 2, 0, -(ph + la) / 2}, {1}},
      {TSR_GATE_CX, {0}, {0, 1}},          {TSR_GATE_U3, {th / 2, ph, 0}, {1}}};
  double cu3p[3] = {th, ph, la};
  assert_decomposition(TSR_GATE_CU3, cu3p, cu3, NSTEPS(cu3), 1);
  const step cu[] = {{TSR_GATE_P, {ga}, {0}},
                     {TSR_GATE_P, {(la + ph) / 2}, {0}},
                     {TSR_GATE_P, {(la - ph) / 2}, {1}},
                     {TSR_GATE_CX, {0}, {0, 1}},
                     {TSR_GATE_U, {-th / 2, 0, -(ph + la) / 2}, {1}},
                     {TSR_GATE_CX, {0}, {0, 1}},
                     {TSR_GATE_U, {th / 2, ph, 0}, {1}}};
  double cup[4] = {th, ph, la, ga};
  assert_decomposition(TSR_GATE_CU, cup, cu, NSTEPS(cu), 1);
  const step crz[] = {{TSR_GATE_U1, {th / 2}, {1}},
                      {TSR_GATE_CX, {0}, {0, 1}},
                      {TSR_GATE_U1, {-th / 2}, {1}},
                      {TSR_GATE_CX, {0}, {0, 1}}};
  assert_decomposition(TSR_GATE_CRZ, &th, crz, NSTEPS(crz), 1);
  const step cry[] = {{TSR_GATE_U3, {th / 2, 0, 0}, {1}},
                      {TSR_GATE_CX, {0}, {0, 1}},
                      {TSR_GATE_U3, {-th / 2, 0, 0}, {1}},
                      {TSR_GATE_CX, {0}, {0, 1}}};
  assert_decomposition(TSR_GATE_CRY, &th, cry, NSTEPS(cry), 1);
  const step crx[] = {{TSR_GATE_U1, {pi / 2}, {1}},
                      {TSR_GATE_CX, {0}, {0, 1}},
                      {TSR_GATE_U3, {-th / 2, 0, 0}, {1}},
                      {TSR_GATE_CX, {0}, {0, 1}},
                      {TSR_GATE_U3, {th / 2, -pi / 2, 0}, {1}}};
  assert_decomposition(TSR_GATE_CRX, &th, crx, NSTEPS(crx), 1);
  const step cp[] = {{TSR_GATE_P, {th / 2}, {0}},
                     {TSR_GATE_CX, {0}, {0, 1}},
                     {TSR_GATE_P, {-th / 2}, {1}},
                     {TSR_GATE_CX, {0}, {0, 1}},
                     {TSR_GATE_P, {th / 2}, {1}}};
  assert_decomposition(TSR_GATE_CP, &th, cp, NSTEPS(cp), 1);
  const step ch[] = {{TSR_GATE_H, {0}, {1}}, {TSR_GATE_SDG, {0}, {1}}, {TSR_GATE_CX, {0}, {0, 1}},
                     {TSR_GATE_H, {0}, {1}}, {TSR_GATE_T, {0}, {1}},   {TSR_GATE_CX, {0}, {0, 1}},
                     {TSR_GATE_T, {0}, {1}}, {TSR_GATE_H, {0}, {1}},   {TSR_GATE_S, {0}, {1}},
                     {TSR_GATE_X, {0}, {1}}, {TSR_GATE_S, {0}, {0}}};
  /* qelib1.inc's ch body is CH times e^{i pi/4}; Qiskit's CHGate definition is exact. */
  assert_decomposition(TSR_GATE_CH, NULL, ch, NSTEPS(ch), 0);
  const step ch_qiskit[] = {{TSR_GATE_S, {0}, {1}},   {TSR_GATE_H, {0}, {1}},
                            {TSR_GATE_T, {0}, {1}},   {TSR_GATE_CX, {0}, {0, 1}},
                            {TSR_GATE_TDG, {0}, {1}}, {TSR_GATE_H, {0}, {1}},
                            {TSR_GATE_SDG, {0}, {1}}};
  assert_decomposition(TSR_GATE_CH, NULL, ch_qiskit, NSTEPS(ch_qiskit), 1);
  const step csx[] = {
      {TSR_GATE_H, {0}, {1}}, {TSR_GATE_CU1, {pi / 2}, {0, 1}}, {TSR_GATE_H, {0}, {1}}};
  assert_decomposition(TSR_GATE_CSX, NULL, csx, NSTEPS(csx), 1);
  /* qelib1.inc bodies equal up to a global phase (u1 instead of rz). */
  const step rxx[] = {{TSR_GATE_U3, {pi / 2, th, 0}, {0}}, {TSR_GATE_H, {0}, {1}},
                      {TSR_GATE_CX, {0}, {0, 1}},          {TSR_GATE_U1, {-th}, {1}},
                      {TSR_GATE_CX, {0}, {0, 1}},          {TSR_GATE_H, {0}, {1}},
                      {TSR_GATE_U2, {-pi, pi - th}, {0}}};
  assert_decomposition(TSR_GATE_RXX, &th, rxx, NSTEPS(rxx), 0);
  /* Qiskit's RZZ definition is exact. */
  const step rzz[] = {
      {TSR_GATE_CX, {0}, {0, 1}}, {TSR_GATE_RZ, {th}, {1}}, {TSR_GATE_CX, {0}, {0, 1}}};
  assert_decomposition(TSR_GATE_RZZ, &th, rzz, NSTEPS(rzz), 1);
  assert_decomposition(TSR_GATE_ZZ, &th, rzz, NSTEPS(rzz), 1);
  /* ryy = (rx(pi/2) x rx(pi/2)) rzz (rx(-pi/2) x rx(-pi/2)) in time order
     rx(pi/2), rzz, rx(-pi/2). */
  const step ryy[] = {{TSR_GATE_RX, {pi / 2}, {0}},
                      {TSR_GATE_RX, {pi / 2}, {1}},
                      {TSR_GATE_RZZ, {th}, {0, 1}},
                      {TSR_GATE_RX, {-pi / 2}, {0}},
                      {TSR_GATE_RX, {-pi / 2}, {1}}};
  assert_decomposition(TSR_GATE_RYY, &th, ryy, NSTEPS(ryy), 1);
  /* rzx = h(1) rzz h(1) */
  const step rzx[] = {{TSR_GATE_H, {0}, {1}}, {TSR_GATE_RZZ, {th}, {0, 1}}, {TSR_GATE_H, {0}, {1}}};
  assert_decomposition(TSR_GATE_RZX, &th, rzx, NSTEPS(rzx), 1);
  /* iswap = s s h(0) cx(0,1) cx(1,0) h(1) (Qiskit's definition) */
  const step iswap[] = {{TSR_GATE_S, {0}, {0}},     {TSR_GATE_S, {0}, {1}},
                        {TSR_GATE_H, {0}, {0}},     {TSR_GATE_CX, {0}, {0, 1}},
                        {TSR_GATE_CX, {0}, {1, 0}}, {TSR_GATE_H, {0}, {1}}};
  assert_decomposition(TSR_GATE_ISWAP, NULL, iswap, NSTEPS(iswap), 1);
}

static void relations_between_gates(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 99, 0);
  for (int trial = 0; trial < 10; trial++) {
    double p[4];
    random_params(&rng, p);
    /* u2(phi, lambda) = u3(pi/2, phi, lambda) */
    double u3p[3] = {M_PI / 2, p[0], p[1]};
    cplx *a = matrix_of(TSR_GATE_U2, p, 1), *b = matrix_of(TSR_GATE_U3, u3p, 1);
    assert_true(max_diff(2, a, b) < TOL);
    free(a);
    free(b);
    /* cu1 == cp, u1 == p, zz == rzz, u == u3 */
    const tsr_gate same[][2] = {{TSR_GATE_CU1, TSR_GATE_CP},
                                {TSR_GATE_U1, TSR_GATE_P},
                                {TSR_GATE_ZZ, TSR_GATE_RZZ},
                                {TSR_GATE_U, TSR_GATE_U3}};
    for (size_t i = 0; i < NSTEPS(same); i++) {
      unsigned n = arity(same[i][0]);
      a = matrix_of(same[i][0], p, n);
      b = matrix_of(same[i][1], p, n);
      assert_true(max_diff(dim_of(n), a, b) < TOL);
      free(a);
      free(b);
    }
    /* r(theta, phi) = u3(theta, phi - pi/2, pi/2 - phi); gpi2(phi) = r(pi/2, phi) */
    double rp[2] = {p[0], p[1]}, ru3[3] = {p[0], p[1] - M_PI / 2, M_PI / 2 - p[1]};
    a = matrix_of(TSR_GATE_R, rp, 1);
    b = matrix_of(TSR_GATE_U3, ru3, 1);
    assert_true(max_diff(2, a, b) < TOL);
    free(a);
    free(b);
    double g2r[2] = {M_PI / 2, p[2]};
    a = matrix_of(TSR_GATE_GPI2, &p[2], 1);
    b = matrix_of(TSR_GATE_R, g2r, 1);
    assert_true(max_diff(2, a, b) < TOL);
    free(a);
    free(b);
    /* gpi(phi) = i r(pi, phi) */
    double gr_[2] = {M_PI, p[2]};
    a = matrix_of(TSR_GATE_GPI, &p[2], 1);
    b = matrix_of(TSR_GATE_R, gr_, 1);
    for (int i = 0; i < 4; i++) assert_true(cabs(a[i] - I * b[i]) < TOL);
    free(a);
    free(b);
    /* gr on 3 qubits = r x r x r */
    a = matrix_of(TSR_GATE_GR, rp, 3);
    const step rrr[] = {{TSR_GATE_R, {p[0], p[1]}, {0}},
                        {TSR_GATE_R, {p[0], p[1]}, {1}},
                        {TSR_GATE_R, {p[0], p[1]}, {2}}};
    b = compose(rrr, 3, 3);
    assert_true(max_diff(8, a, b) < TOL);
    free(a);
    free(b);
    /* ms(phi0, phi1, theta) = exp(-i theta/2 sigma_phi1(op1) sigma_phi0(op0)),
       built from rxx conjugated by rz: sigma_phi = rz(phi) X rz(-phi). */
    double msp[3] = {p[0], p[1], p[2]};
    const step ms[] = {{TSR_GATE_RZ, {-p[0]}, {0}},
                       {TSR_GATE_RZ, {-p[1]}, {1}},
                       {TSR_GATE_RXX, {p[2]}, {0, 1}},
                       {TSR_GATE_RZ, {p[0]}, {0}},
                       {TSR_GATE_RZ, {p[1]}, {1}}};
    assert_decomposition(TSR_GATE_MS, msp, ms, NSTEPS(ms), 1);
  }
  /* c3x and c4x are the multi-controlled Toffoli permutations. */
  for (unsigned n = 4; n <= 5; n++) {
    cplx *m = matrix_of(n == 4 ? TSR_GATE_C3X : TSR_GATE_C4X, NULL, n);
    size_t d = dim_of(n), top = dim_of(n - 1);
    for (size_t r = 0; r < d; r++) {
      for (size_t c = 0; c < d; c++) {
        size_t image = (c & (top - 1)) == top - 1 ? c ^ top : c;
        assert_true(cabs(m[r * d + c] - (r == image ? 1.0 : 0.0)) < TOL);
      }
    }
    free(m);
  }
  /* gr on 10 qubits: spot entries against the product formula. */
  double rp[2] = {0.4, -0.9};
  size_t d = dim_of(10);
  cplx *big = matrix_of(TSR_GATE_GR, rp, 10), *r1 = matrix_of(TSR_GATE_R, rp, 1);
  const size_t rows[] = {0, 1, 513, 1023, 700}, cols[] = {0, 1023, 2, 1023, 77};
  for (size_t i = 0; i < NSTEPS(rows); i++) {
    cplx v = 1;
    for (unsigned k = 0; k < 10; k++) v *= r1[((rows[i] >> k) & 1) * 2 + ((cols[i] >> k) & 1)];
    assert_true(cabs(big[rows[i] * d + cols[i]] - v) < TOL);
  }
  free(big);
  free(r1);
}

static void matrix_errors(void **state) {
  (void)state;
  tsr_error err;
  cplx m[16];
  assert_int_equal(tsr_gate_matrix(TSR_OP_MEASURE, NULL, 1, m, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "has no matrix"));
  assert_int_equal(tsr_gate_matrix(TSR_OP_RESET, NULL, 1, m, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_gate_matrix(TSR_OP_BARRIER, NULL, 2, m, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_gate_matrix(TSR_GATE_OPAQUE, NULL, 1, m, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_gate_matrix(TSR_GATE_NONE, NULL, 1, m, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_gate_matrix(TSR_GATE_CX, NULL, 1, m, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_gate_matrix(TSR_GATE_RX, NULL, 1, m, &err), TSR_ERR_VALUE);
  double nan = NAN;
  assert_int_equal(tsr_gate_matrix(TSR_GATE_RX, &nan, 1, m, &err), TSR_ERR_VALUE);
  double rp[2] = {1, 2};
  assert_int_equal(tsr_gate_matrix(TSR_GATE_GR, rp, 0, m, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_gate_matrix(TSR_GATE_GR, rp, 11, m, &err), TSR_ERR_LIMIT);
  assert_int_equal(tsr_gate_matrix(TSR_GATE_X, NULL, 1, NULL, &err), TSR_ERR_VALUE);
  tsr_gate inv;
  double ip[4];
  assert_int_equal(tsr_gate_inverse(TSR_OP_MEASURE, NULL, &inv, ip, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_gate_inverse(TSR_GATE_OPAQUE, NULL, &inv, ip, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_gate_inverse(TSR_GATE_RX, NULL, &inv, ip, &err), TSR_ERR_VALUE);
}

/* ------------------------------------------------------------- inverse */

static void inverses_are_exact(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 5, 5);
  for (int k = 1; k < TSR_GATE_COUNT; k++) {
    if (!is_unitary_kind((tsr_gate)k)) continue;
    for (int trial = 0; trial < 5; trial++) {
      double p[4], ip[4] = {NAN, NAN, NAN, NAN};
      random_params(&rng, p);
      tsr_gate inv = TSR_GATE_NONE;
      tsr_error err;
      assert_ok(tsr_gate_inverse((tsr_gate)k, p, &inv, ip, &err), &err);
      unsigned n = arity((tsr_gate)k);
      const tsr_gate_info *ii = tsr_gate_get(inv);
      assert_non_null(ii);
      assert_true(ii->nqubits == tsr_gate_get(k)->nqubits);
      size_t d = dim_of(n);
      cplx *m = matrix_of((tsr_gate)k, p, n), *mi = matrix_of(inv, ip, n),
           *prod = malloc(d * d * sizeof *prod);
      matmul(d, mi, m, prod);
      double dist = distance_from_identity(d, prod);
      if (dist > TOL)
        fail_msg("%s: inverse (%s) off by %.3g", tsr_gate_get(k)->name, ii->name, dist);
      if (tsr_gate_get(k)->flags & TSR_GF_SELF_INVERSE) assert_int_equal(inv, k);
      free(m);
      free(mi);
      free(prod);
    }
  }
  /* The specific forms promised. */
  tsr_gate inv;
  double ip[4];
  double u2p[2] = {0.3, 0.5};
  assert_ok(tsr_gate_inverse(TSR_GATE_U2, u2p, &inv, ip, NULL), NULL);
  assert_int_equal(inv, TSR_GATE_U3);
  assert_close(ip[0], -M_PI / 2, 0);
  assert_close(ip[1], -0.5, 0);
  assert_close(ip[2], -0.3, 0);
  assert_ok(tsr_gate_inverse(TSR_GATE_S, NULL, &inv, NULL, NULL), NULL);
  assert_int_equal(inv, TSR_GATE_SDG);
  double g = 0.25;
  assert_ok(tsr_gate_inverse(TSR_GATE_GPI2, &g, &inv, ip, NULL), NULL);
  assert_int_equal(inv, TSR_GATE_GPI2);
  assert_close(ip[0], 0.25 + M_PI, 1e-15);
  assert_ok(tsr_gate_inverse(TSR_GATE_ECR, NULL, &inv, NULL, NULL), NULL);
  assert_int_equal(inv, TSR_GATE_ECR);
  /* csx's inverse needs room for parameters. */
  assert_int_equal(tsr_gate_inverse(TSR_GATE_CSX, NULL, &inv, NULL, NULL), TSR_ERR_VALUE);
}

/* ------------------------------------------------------------ Clifford */

/* Numerical test: U is Clifford iff U P U^dag is +-(a Pauli string) for
 * every generator X_k, Z_k. n <= 3. */
static int pauli_string(unsigned n, unsigned code, cplx *out) {
  const cplx paulis[4][4] = {{1, 0, 0, 1}, {0, 1, 1, 0}, {0, -I, I, 0}, {1, 0, 0, -1}};
  size_t d = dim_of(n);
  for (size_t r = 0; r < d; r++) {
    for (size_t c = 0; c < d; c++) {
      cplx v = 1;
      for (unsigned k = 0; k < n; k++) {
        unsigned which = (code >> (2 * k)) & 3;
        v *= paulis[which][((r >> k) & 1) * 2 + ((c >> k) & 1)];
      }
      out[r * d + c] = v;
    }
  }
  return 1;
}

static int numerically_clifford(const cplx *u, unsigned n) {
  size_t d = dim_of(n);
  cplx g[64], t[64], q[64], uh[64], s[64];
  for (size_t i = 0; i < d; i++) {
    for (size_t j = 0; j < d; j++) uh[i * d + j] = conj(u[j * d + i]);
  }
  for (unsigned k = 0; k < n; k++) {
    for (unsigned which = 1; which <= 3; which += 2) { /* X, Z */
      pauli_string(n, which << (2 * k), g);
      matmul(d, u, g, t);
      matmul(d, t, uh, q);
      int found = 0;
      for (unsigned code = 0; code < (1u << (2 * n)) && !found; code++) {
        pauli_string(n, code, s);
        cplx tr = 0;
        for (size_t i = 0; i < d; i++) {
          for (size_t j = 0; j < d; j++) tr += s[j * d + i] * q[i * d + j];
        }
        if (fabs(cabs(tr) / (double)d - 1) < 1e-9) found = 1;
      }
      if (!found) return 0;
    }
  }
  return 1;
}

static void clifford_detection(void **state) {
  (void)state;
  double a = M_PI / 2, b = 0.3;
  assert_true(tsr_gate_is_clifford(TSR_GATE_RZ, &a));
  assert_false(tsr_gate_is_clifford(TSR_GATE_RZ, &b));
  double near = M_PI / 2 + 1e-14, off = M_PI / 2 + 1e-9;
  assert_true(tsr_gate_is_clifford(TSR_GATE_RZ, &near));
  assert_false(tsr_gate_is_clifford(TSR_GATE_RZ, &off));
  assert_true(tsr_gate_is_clifford(TSR_GATE_CX, NULL));
  assert_false(tsr_gate_is_clifford(TSR_GATE_T, NULL));
  assert_false(tsr_gate_is_clifford(TSR_GATE_RZ, NULL));
  assert_true(tsr_gate_is_clifford(TSR_OP_MEASURE, NULL));
  assert_false(tsr_gate_is_clifford(TSR_GATE_OPAQUE, NULL));
  assert_false(tsr_gate_is_clifford(TSR_GATE_NONE, NULL));
  /* Constant gates on up to 3 qubits: the flag agrees with the numbers. */
  for (int k = 1; k < TSR_GATE_COUNT; k++) {
    const tsr_gate_info *info = tsr_gate_get((tsr_gate)k);
    if (!is_unitary_kind((tsr_gate)k) || info->nparams || arity((tsr_gate)k) > 3) continue;
    cplx *m = matrix_of((tsr_gate)k, NULL, arity((tsr_gate)k));
    if (numerically_clifford(m, arity((tsr_gate)k)) != tsr_gate_is_clifford((tsr_gate)k, NULL)) {
      fail_msg("%s: Clifford flag disagrees with Pauli conjugation", info->name);
    }
    free(m);
  }
  /* Parametrised gates on a grid of multiples of pi/8 (plus random draws). */
  tsr_rng rng;
  tsr_rng_seed(&rng, 31, 0);
  for (int k = 1; k < TSR_GATE_COUNT; k++) {
    const tsr_gate_info *info = tsr_gate_get((tsr_gate)k);
    if (!is_unitary_kind((tsr_gate)k) || !info->nparams) continue;
    unsigned n = info->nqubits ? info->nqubits : 2;
    int agree = 0, clifford = 0;
    for (int trial = 0; trial < 3000; trial++) {
      double p[4];
      for (int i = 0; i < 4; i++) {
        /* multiples of pi/8 in (-2pi, 2pi], mostly quarter turns so that
           Clifford cases are common */
        int step = (int)tsr_rng_below(&rng, 33) - 16;
        if (tsr_rng_below(&rng, 3)) step &= ~1;
        if (tsr_rng_below(&rng, 2)) step &= ~3;
        p[i] = step * M_PI / 8;
      }
      if (trial % 10 == 0) p[tsr_rng_below(&rng, info->nparams)] = tsr_rng_uniform(&rng);
      cplx *m = matrix_of((tsr_gate)k, p, n);
      int want = numerically_clifford(m, n), got = tsr_gate_is_clifford((tsr_gate)k, p);
      if (want != got) {
        fail_msg("%s(%g, %g, %g, %g): is_clifford %d, Pauli conjugation %d", info->name, p[0], p[1],
                 p[2], p[3], got, want);
      }
      agree++;
      clifford += want;
      free(m);
    }
    /* Every parametrised kind has Clifford points on the grid. */
    if (k != TSR_GATE_U0 && clifford == 0) fail_msg("%s: no Clifford point found", info->name);
    assert_int_equal(agree, 3000);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(table_is_consistent),
      cmocka_unit_test(lookup_round_trips),
      cmocka_unit_test(every_matrix_is_unitary),
      cmocka_unit_test(flags_match_matrices),
      cmocka_unit_test(known_single_qubit_matrices),
      cmocka_unit_test(known_multi_qubit_matrices),
      cmocka_unit_test(decompositions_match),
      cmocka_unit_test(relations_between_gates),
      cmocka_unit_test(matrix_errors),
      cmocka_unit_test(inverses_are_exact),
      cmocka_unit_test(clifford_detection),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
