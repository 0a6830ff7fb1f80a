/* Stabilizer tableau: random Clifford circuits with mid-circuit measurements
 * and resets follow the state vector exactly (same generator, same outcomes,
 * fidelity 1), Pauli expectations agree, the table path for any Clifford
 * matches the formulas, sampling is uniform on the right affine space, and
 * thousands of qubits work. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_test_util.h"

static const tsr_gate CLIFF1[] = {TSR_GATE_H, TSR_GATE_S, TSR_GATE_SDG, TSR_GATE_X,
                                  TSR_GATE_Y, TSR_GATE_Z, TSR_GATE_SX,  TSR_GATE_SXDG};
static const tsr_gate CLIFF2[] = {TSR_GATE_CX,    TSR_GATE_CZ,  TSR_GATE_CY, TSR_GATE_SWAP,
                                  TSR_GATE_ISWAP, TSR_GATE_DCX, TSR_GATE_ECR};

static void random_pauli(tsr_rng *r, unsigned n, char *label) {
  static const char ops[] = "IXYZ";
  for (unsigned i = 0; i < n; i++) label[i] = ops[tsr_rng_below(r, 4)];
  label[n] = 0;
}

static void follows_the_state_vector(void **state) {
  (void)state;
  tsr_error err;
  tsr_rng r;
  tsr_rng_seed(&r, 31, 0);
  for (int rep = 0; rep < 40; rep++) {
    const unsigned n = 2 + (unsigned)tsr_rng_below(&r, 6);
    tsr_statevec *sv = tsr_statevec_new(n, NULL, &err);
    tsr_tableau *t = tsr_tableau_new(n, NULL, &err);
    assert_non_null(sv);
    assert_non_null(t);
    tsr_rng ms, mt; /* the same measurement streams for both */
    tsr_rng_seed(&ms, (uint64_t)rep, 1);
    tsr_rng_seed(&mt, (uint64_t)rep, 1);
    for (int g = 0; g < 80; g++) {
      uint32_t q[3];
      const uint64_t what = tsr_rng_below(&r, 16);
      if (what < 7) {
        rand_qubits(&r, n, 1, q);
        tsr_gate k = CLIFF1[tsr_rng_below(&r, 8)];
        assert_ok(tsr_statevec_apply_gate(sv, k, q, 1, NULL, &err), &err);
        assert_ok(tsr_tableau_apply_gate(t, k, q, 1, NULL, &err), &err);
      } else if (what < 12) {
        rand_qubits(&r, n, 2, q);
        tsr_gate k = CLIFF2[tsr_rng_below(&r, 7)];
        assert_ok(tsr_statevec_apply_gate(sv, k, q, 2, NULL, &err), &err);
        assert_ok(tsr_tableau_apply_gate(t, k, q, 2, NULL, &err), &err);
      } else if (what < 13) {
        /* Clifford angles of parametrised gates go through the table */
        rand_qubits(&r, n, 2, q);
        const double p[3] = {M_PI / 2 * (double)tsr_rng_below(&r, 4), M_PI / 2, -M_PI};
        const tsr_gate k = tsr_rng_below(&r, 2) ? TSR_GATE_RZZ : TSR_GATE_U3;
        const uint32_t nq = k == TSR_GATE_RZZ ? 2 : 1;
        assert_ok(tsr_statevec_apply_gate(sv, k, q, nq, p, &err), &err);
        assert_ok(tsr_tableau_apply_gate(t, k, q, nq, p, &err), &err);
      } else if (what < 15) {
        rand_qubits(&r, n, 1, q);
        int a = -1, b = -2, det = 0;
        assert_ok(tsr_statevec_measure(sv, q[0], &ms, &a, &err), &err);
        assert_ok(tsr_tableau_measure(t, q[0], &mt, &b, &det, &err), &err);
        assert_int_equal(a, b);
      } else {
        rand_qubits(&r, n, 1, q);
        assert_ok(tsr_statevec_reset(sv, q[0], &ms, &err), &err);
        assert_ok(tsr_tableau_reset(t, q[0], &mt, &err), &err);
      }
    }
    tsr_statevec *tv = tsr_tableau_to_statevec(t, &err);
    assert_non_null(tv);
    double f;
    assert_ok(tsr_statevec_fidelity(sv, tv, &f, &err), &err);
    assert_close(f, 1, 1e-10);
    for (int p = 0; p < 20; p++) {
      char label[16];
      random_pauli(&r, n, label);
      double a, b;
      assert_ok(tsr_statevec_expectation(sv, label, &a, &err), &err);
      assert_ok(tsr_tableau_expectation(t, label, &b, &err), &err);
      assert_close(a, b, 1e-10);
    }
    tsr_statevec_free(tv);
    tsr_statevec_free(sv);
    tsr_tableau_free(t);
  }
}

static void table_matches_formulas(void **state) {
  (void)state;
  tsr_error err;
  tsr_rng r;
  tsr_rng_seed(&r, 5, 0);
  const unsigned n = 5;
  tsr_tableau *a = tsr_tableau_new(n, NULL, &err), *b = tsr_tableau_new(n, NULL, &err);
  double complex m[16];
  for (int g = 0; g < 300; g++) {
    uint32_t q[2];
    const int two = (int)tsr_rng_below(&r, 2);
    rand_qubits(&r, n, 2, q);
    const tsr_gate k = two ? CLIFF2[tsr_rng_below(&r, 4)] : CLIFF1[tsr_rng_below(&r, 8)];
    const uint32_t nq = two ? 2 : 1;
    assert_ok(tsr_tableau_apply_gate(a, k, q, nq, NULL, &err), &err);
    assert_ok(tsr_gate_matrix(k, NULL, nq, m, &err), &err);
    assert_ok(tsr_tableau_apply_matrix(b, q, nq, m, "m", &err), &err);
  }
  for (int p = 0; p < 50; p++) {
    char label[8];
    random_pauli(&r, n, label);
    double x, y;
    assert_ok(tsr_tableau_expectation(a, label, &x, &err), &err);
    assert_ok(tsr_tableau_expectation(b, label, &y, &err), &err);
    assert_close(x, y, 0);
  }
  /* a T gate is refused by both routes, naming it */
  const uint32_t q0 = 0;
  assert_int_equal(tsr_tableau_apply_gate(a, TSR_GATE_T, &q0, 1, NULL, &err), TSR_ERR_UNSUPPORTED);
  assert_non_null(strstr(err.message, "not a Clifford"));
  assert_ok(tsr_gate_matrix(TSR_GATE_T, NULL, 1, m, &err), &err);
  assert_int_equal(tsr_tableau_apply_matrix(a, &q0, 1, m, "tee", &err), TSR_ERR_UNSUPPORTED);
  assert_non_null(strstr(err.message, "tee"));
  tsr_tableau_free(a);
  tsr_tableau_free(b);
}

static void sampling_covers_the_affine_space(void **state) {
  (void)state;
  tsr_error err;
  /* |GHZ on 0..3> (x) |+> on 4 (x) |1> on 5: outcomes are 0000/1111 on 0..3,
     any on 4, 1 on 5 */
  tsr_tableau *t = tsr_tableau_new(6, NULL, &err);
  const uint32_t q[6] = {0, 1, 2, 3, 4, 5};
  assert_ok(tsr_tableau_apply_gate(t, TSR_GATE_H, q, 1, NULL, &err), &err);
  for (int i = 0; i < 3; i++) {
    assert_ok(tsr_tableau_apply_gate(t, TSR_GATE_CX, q + i, 2, NULL, &err), &err);
  }
  assert_ok(tsr_tableau_apply_gate(t, TSR_GATE_H, q + 4, 1, NULL, &err), &err);
  assert_ok(tsr_tableau_apply_gate(t, TSR_GATE_X, q + 5, 1, NULL, &err), &err);
  uint64_t out[4000];
  assert_ok(tsr_tableau_sample(t, 4000, 17, 0, out, &err), &err);
  int hist[64] = {0};
  for (int s = 0; s < 4000; s++) {
    assert_true(out[s] < 64);
    hist[out[s]]++;
  }
  const int allowed[4] = {0x20, 0x2f, 0x30, 0x3f};
  int total = 0;
  for (int a = 0; a < 4; a++) {
    assert_close(hist[allowed[a]] / 4000.0, 0.25, 0.03);
    total += hist[allowed[a]];
  }
  assert_int_equal(total, 4000);
  /* the same seed gives the same samples; the tableau is unchanged */
  uint64_t again[4000];
  assert_ok(tsr_tableau_sample(t, 4000, 17, 0, again, &err), &err);
  assert_memory_equal(out, again, sizeof out);
  double v;
  assert_ok(tsr_tableau_expectation(t, "ZZIIII", &v, &err), &err); /* Z4 Z5 */
  assert_close(v, 0, 0);
  assert_ok(tsr_tableau_expectation(t, "Z5 X4", &v, &err), &err);
  assert_close(v, -1, 0);
  assert_ok(tsr_tableau_expectation(t, "-Z0 Z3", &v, &err), &err);
  assert_close(v, -1, 0);
  tsr_tableau_free(t);
}

static void thousands_of_qubits(void **state) {
  (void)state;
  tsr_error err;
  const unsigned n = 2000;
  tsr_tableau *t = tsr_tableau_new(n, NULL, &err);
  assert_non_null(t);
  uint32_t q[2] = {0, 0};
  assert_ok(tsr_tableau_apply_gate(t, TSR_GATE_H, q, 1, NULL, &err), &err);
  for (unsigned i = 1; i < n; i++) {
    q[0] = i - 1;
    q[1] = i;
    assert_ok(tsr_tableau_apply_gate(t, TSR_GATE_CX, q, 2, NULL, &err), &err);
  }
  tsr_rng r;
  tsr_rng_seed(&r, 1, 0);
  int first = -1, det = 0;
  assert_ok(tsr_tableau_measure(t, 1234, &r, &first, &det, &err), &err);
  assert_false(det);
  for (unsigned i = 0; i < n; i += 97) {
    int o;
    assert_ok(tsr_tableau_measure(t, i, &r, &o, &det, &err), &err);
    assert_true(det);
    assert_int_equal(o, first);
  }
  /* Pauli noise: an X on one qubit flips only that qubit's outcome */
  assert_ok(tsr_tableau_apply_pauli(t, 1999, 'X', &err), &err);
  int o;
  assert_ok(tsr_tableau_measure(t, 1999, &r, &o, &det, &err), &err);
  assert_int_equal(o, !first);
  double probs[4] = {0, 0, 0, 1}; /* always Z: no change to Z outcomes */
  tsr_channel *ch = tsr_channel_pauli(1, probs, &err);
  q[0] = 7;
  assert_ok(tsr_tableau_apply_channel(t, ch, q, &r, &err), &err);
  assert_ok(tsr_tableau_measure(t, 7, &r, &o, &det, &err), &err);
  assert_int_equal(o, first);
  tsr_channel *ad = tsr_channel_amplitude_damping(0.1, &err);
  assert_int_equal(tsr_tableau_apply_channel(t, ad, q, &r, &err), TSR_ERR_UNSUPPORTED);
  tsr_channel_free(ad);
  tsr_channel_free(ch);
  tsr_tableau_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(follows_the_state_vector),
      cmocka_unit_test(table_matches_formulas),
      cmocka_unit_test(sampling_covers_the_affine_space),
      cmocka_unit_test(thousands_of_qubits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
