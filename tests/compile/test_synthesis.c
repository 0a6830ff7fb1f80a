/* Compile: single-qubit Euler synthesis in every basis, KAK decomposition and
 * two-qubit synthesis with every entangler, exact to 1e-9 on Haar-random
 * unitaries, with the promised gate counts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsr_test.h"
#include "unitary_helper.h"

#include "tessera/compile.h"

#define NRANDOM 200
#define TOL     1e-9

/* Product of a sequence through a circuit and the test's own unitary
 * builder (independent of the library's sequence helper). */
static double seq_distance(const tsr_synth_seq *s, unsigned nq, const double complex *u) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_non_null(c);
  assert_ok(tsr_circuit_add_qreg(c, "q", nq, NULL, &err), &err);
  for (size_t i = 0; i < s->n; i++) {
    const tsr_synth_gate *g = &s->gates[i];
    assert_ok(
        tsr_circuit_append_gate(c, g->kind, g->qubits, g->nqubits, g->params, g->nparams, &err),
        &err);
  }
  double complex *m = uh_circuit_unitary(c);
  assert_non_null(m);
  double d = uh_phase_distance(m, u, (size_t)1 << nq);
  free(m);
  tsr_circuit_free(c);
  return d;
}

static int in_basis_1q(tsr_gate k, tsr_basis_1q b) {
  switch (b) {
  case TSR_BASIS_1Q_U3:
    return k == TSR_GATE_U3 || k == TSR_GATE_RZ;
  case TSR_BASIS_1Q_ZYZ:
    return k == TSR_GATE_RZ || k == TSR_GATE_RY;
  case TSR_BASIS_1Q_ZSX:
    return k == TSR_GATE_RZ || k == TSR_GATE_SX || k == TSR_GATE_X;
  case TSR_BASIS_1Q_ZR:
    return k == TSR_GATE_RZ || k == TSR_GATE_R;
  case TSR_BASIS_1Q_GPI:
    return k == TSR_GATE_GPI || k == TSR_GATE_GPI2;
  default:
    return 0;
  }
}

static size_t max_1q(tsr_basis_1q b) {
  switch (b) {
  case TSR_BASIS_1Q_U3:
    return 1;
  case TSR_BASIS_1Q_ZR:
    return 2;
  case TSR_BASIS_1Q_ZSX:
    return 5;
  default:
    return 3;
  }
}

static void check_1q(const double complex u[4], tsr_basis_1q b) {
  tsr_error err;
  tsr_synth_seq s;
  assert_ok(tsr_synth_1q(u, b, &s, &err), &err);
  assert_true(s.n <= max_1q(b));
  for (size_t i = 0; i < s.n; i++) assert_true(in_basis_1q(s.gates[i].kind, b));
  double d = seq_distance(&s, 1, u);
  if (d > TOL) fail_msg("basis %d: distance %.3g", (int)b, d);
  /* the reported global phase makes it exact, not only up to phase */
  double complex m[4], p = cexp(I * s.global_phase);
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_ok(tsr_circuit_add_qreg(c, "q", 1, NULL, &err), &err);
  for (size_t i = 0; i < s.n; i++) {
    assert_ok(tsr_circuit_append_gate(c, s.gates[i].kind, s.gates[i].qubits, 1, s.gates[i].params,
                                      s.gates[i].nparams, &err),
              &err);
  }
  double complex *cm = uh_circuit_unitary(c);
  for (int i = 0; i < 4; i++) m[i] = cm[i] * p;
  for (int i = 0; i < 4; i++) assert_true(cabs(m[i] - u[i]) < TOL);
  free(cm);
  tsr_circuit_free(c);
}

static void synth_1q_random_and_special(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 2024, 0);
  tsr_error err;
  for (int b = 0; b < TSR_BASIS_1Q_COUNT; b++) {
    for (int i = 0; i < NRANDOM; i++) {
      double complex u[4];
      assert_ok(tsr_random_unitary(&rng, 2, u, &err), &err);
      check_1q(u, (tsr_basis_1q)b);
    }
    /* special angles: identity, pure Z, theta = pi/2, theta = pi, h, x, s */
    const tsr_gate fixed[] = {TSR_GATE_ID, TSR_GATE_H, TSR_GATE_X, TSR_GATE_Y,
                              TSR_GATE_Z,  TSR_GATE_S, TSR_GATE_T, TSR_GATE_SX};
    for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++) {
      double complex u[4];
      assert_ok(tsr_gate_matrix(fixed[k], NULL, 1, u, &err), &err);
      check_1q(u, (tsr_basis_1q)b);
    }
    const double angles[][3] = {{M_PI / 2, 0.3, -1.1}, {M_PI, 0.7, 0.2},  {0, 0.4, 0.5},
                                {M_PI / 2, 0, 0},      {M_PI, -2.5, 3.0}, {1e-14, 1, 1}};
    for (size_t k = 0; k < sizeof angles / sizeof angles[0]; k++) {
      double complex u[4];
      assert_ok(tsr_gate_matrix(TSR_GATE_U3, angles[k], 1, u, &err), &err);
      check_1q(u, (tsr_basis_1q)b);
    }
  }
  /* the identity needs no gate at all */
  double complex id[4] = {1, 0, 0, 1};
  tsr_synth_seq s;
  for (int b = 0; b < TSR_BASIS_1Q_COUNT; b++) {
    assert_ok(tsr_synth_1q(id, (tsr_basis_1q)b, &s, &err), &err);
    assert_int_equal(s.n, 0);
  }
}

static void euler_angles_reconstruct(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 5, 0);
  tsr_error err;
  for (int i = 0; i < NRANDOM; i++) {
    double complex u[4], rz1[4], ry[4], rz2[4], t[4], r[4];
    assert_ok(tsr_random_unitary(&rng, 2, u, &err), &err);
    double a[3], ph;
    tsr_euler_zyz(u, a, &ph);
    assert_true(a[0] >= 0 && a[0] <= M_PI + 1e-12);
    assert_ok(tsr_gate_matrix(TSR_GATE_RZ, &a[1], 1, rz1, &err), &err);
    assert_ok(tsr_gate_matrix(TSR_GATE_RY, &a[0], 1, ry, &err), &err);
    assert_ok(tsr_gate_matrix(TSR_GATE_RZ, &a[2], 1, rz2, &err), &err);
    for (int x = 0; x < 2; x++)
      for (int y = 0; y < 2; y++) t[2 * x + y] = ry[2 * x] * rz2[y] + ry[2 * x + 1] * rz2[2 + y];
    for (int x = 0; x < 2; x++)
      for (int y = 0; y < 2; y++) r[2 * x + y] = rz1[2 * x] * t[y] + rz1[2 * x + 1] * t[2 + y];
    for (int k = 0; k < 4; k++) assert_true(cabs(r[k] * cexp(I * ph) - u[k]) < 1e-12);
  }
}

static int is_entangler(tsr_gate k, tsr_entangler e) {
  switch (e) {
  case TSR_ENT_CX:
    return k == TSR_GATE_CX;
  case TSR_ENT_CZ:
    return k == TSR_GATE_CZ;
  case TSR_ENT_MS:
    return k == TSR_GATE_MS;
  case TSR_ENT_ZZ:
    return k == TSR_GATE_ZZ;
  case TSR_ENT_RZZ:
    return k == TSR_GATE_RZZ;
  default:
    return 0;
  }
}

/* Synthesises u and checks exactness, gate set and entangler count. */
static int check_2q(const double complex u[16], tsr_entangler e, tsr_basis_1q b) {
  tsr_error err;
  tsr_synth_seq s;
  assert_ok(tsr_synth_2q(u, e, b, &s, &err), &err);
  int nent = 0;
  for (size_t i = 0; i < s.n; i++) {
    if (s.gates[i].nqubits == 2) {
      if (!is_entangler(s.gates[i].kind, e))
        fail_msg("gate %d is not entangler %d", s.gates[i].kind, e);
      if (e == TSR_ENT_MS) assert_close(s.gates[i].params[2], M_PI / 2, 1e-15);
      nent++;
    } else {
      assert_true(in_basis_1q(s.gates[i].kind, b));
    }
  }
  assert_true(nent <= 3);
  double d = seq_distance(&s, 2, u);
  if (d > TOL) fail_msg("entangler %d basis %d: distance %.3g", (int)e, (int)b, d);
  return nent;
}

static void synth_2q_random_haar(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 77, 0);
  tsr_error err;
  for (int e = 0; e < TSR_ENT_COUNT; e++) {
    for (int i = 0; i < NRANDOM; i++) {
      double complex u[16];
      assert_ok(tsr_random_unitary(&rng, 4, u, &err), &err);
      tsr_basis_1q b = (tsr_basis_1q)(i % TSR_BASIS_1Q_COUNT);
      assert_int_equal(check_2q(u, (tsr_entangler)e, b), 3);
    }
  }
}

static void kak_reconstructs_and_counts(void **state) {
  (void)state;
  tsr_error err;
  struct {
    tsr_gate g;
    double p[3];
    int cx;
  } cases[] = {{TSR_GATE_CX, {0}, 1},
               {TSR_GATE_CZ, {0}, 1},
               {TSR_GATE_SWAP, {0}, 3},
               {TSR_GATE_ISWAP, {0}, 2},
               {TSR_GATE_CP, {0.7}, 2},
               {TSR_GATE_CRX, {1.3}, 2},
               {TSR_GATE_RZZ, {0.4}, 2},
               {TSR_GATE_ECR, {0}, 1},
               {TSR_GATE_DCX, {0}, 2},
               {TSR_GATE_CH, {0}, 1},
               {TSR_GATE_MS, {0.3, 1.1, M_PI / 2}, 1},
               {TSR_GATE_CU3, {0.3, 0.4, 0.5}, 2},
               {TSR_GATE_RXX, {M_PI / 2}, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double complex u[16];
    assert_ok(tsr_gate_matrix(cases[i].g, cases[i].p, 2, u, &err), &err);
    tsr_kak k;
    assert_ok(tsr_kak_decompose(u, &k, &err), &err);
    assert_true(fabs(k.a) <= M_PI / 4 + 1e-12 && fabs(k.b) <= M_PI / 4 + 1e-12 &&
                fabs(k.c) <= M_PI / 4 + 1e-12);
    if (tsr_kak_cx_count(&k) != cases[i].cx) {
      fail_msg("%s: %d CX, expected %d (a %.4f b %.4f c %.4f)", tsr_gate_get(cases[i].g)->name,
               tsr_kak_cx_count(&k), cases[i].cx, k.a, k.b, k.c);
    }
    for (int e = 0; e < TSR_ENT_COUNT; e++) {
      int n = check_2q(u, (tsr_entangler)e, TSR_BASIS_1Q_U3);
      if (e <= TSR_ENT_MS) assert_int_equal(n, cases[i].cx);
    }
  }
  /* local unitaries need no entangler */
  tsr_rng rng;
  tsr_rng_seed(&rng, 9, 0);
  for (int i = 0; i < 20; i++) {
    double complex a[4], b[4], u[16];
    assert_ok(tsr_random_unitary(&rng, 2, a, &err), &err);
    assert_ok(tsr_random_unitary(&rng, 2, b, &err), &err);
    for (int r1 = 0; r1 < 2; r1++)
      for (int r0 = 0; r0 < 2; r0++)
        for (int c1 = 0; c1 < 2; c1++)
          for (int c0 = 0; c0 < 2; c0++)
            u[(2 * r1 + r0) * 4 + 2 * c1 + c0] = a[2 * r1 + c1] * b[2 * r0 + c0];
    for (int e = 0; e < TSR_ENT_COUNT; e++)
      assert_int_equal(check_2q(u, (tsr_entangler)e, i % 5), 0);
  }
  /* a singular matrix is refused */
  double complex z[16] = {0};
  tsr_kak k;
  assert_int_equal(tsr_kak_decompose(z, &k, &err), TSR_ERR_VALUE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(euler_angles_reconstruct),
      cmocka_unit_test(synth_1q_random_and_special),
      cmocka_unit_test(kak_reconstructs_and_counts),
      cmocka_unit_test(synth_2q_random_haar),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
