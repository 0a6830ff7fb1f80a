/* Density matrix: gates agree with |psi><psi| of the state vector, channels
 * with their closed forms, trace and Hermiticity survive long noisy
 * circuits, trajectories average to the exact state, measurement, reset,
 * partial trace and fidelities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"
#include "sim_test_util.h"

static double dm_vs_pure(const tsr_densmat *dm, const tsr_statevec *sv) {
  const unsigned n = tsr_densmat_qubits(dm);
  const uint64_t d = UINT64_C(1) << n;
  double worst = 0;
  for (uint64_t r = 0; r < d; r++) {
    for (uint64_t c = 0; c < d; c++) {
      const double complex want =
          tsr_statevec_amplitude(sv, r) * conj(tsr_statevec_amplitude(sv, c));
      const double e = cabs(tsr_densmat_element(dm, r, c) - want);
      if (e > worst) worst = e;
    }
  }
  return worst;
}

static void gates_match_state_vector(void **state) {
  (void)state;
  tsr_error err;
  for (int simd = 2; simd >= 0; simd -= 2) {
    svk_set_simd(simd);
    tsr_rng r;
    tsr_rng_seed(&r, 41, 0);
    const unsigned n = 5;
    tsr_statevec *sv = tsr_statevec_new(n, NULL, &err);
    tsr_densmat *dm = tsr_densmat_new(n, NULL, &err);
    double complex m[1 << 10];
    for (int rep = 0; rep < 2; rep++) {
      for (int kind = TSR_GATE_ID; kind < TSR_GATE_COUNT; kind++) {
        const tsr_gate_info *info = tsr_gate_get((tsr_gate)kind);
        if (!(info->flags & TSR_GF_UNITARY) || kind == TSR_GATE_OPAQUE) continue;
        const unsigned k = info->nqubits ? info->nqubits : 2;
        uint32_t q[8];
        double p[4];
        rand_qubits(&r, n, k, q);
        rand_params(&r, p);
        assert_ok(tsr_statevec_apply_gate(sv, (tsr_gate)kind, q, k, p, &err), &err);
        assert_ok(tsr_densmat_apply_gate(dm, (tsr_gate)kind, q, k, p, &err), &err);
      }
      for (unsigned k = 1; k <= 3; k++) {
        uint32_t q[4];
        rand_qubits(&r, n, k, q);
        rand_unitary(&r, k, m);
        assert_ok(tsr_statevec_apply_matrix(sv, q, k, m, NULL, &err), &err);
        assert_ok(tsr_densmat_apply_matrix(dm, q, k, m, NULL, &err), &err);
      }
    }
    assert_close(dm_vs_pure(dm, sv), 0, 1e-12);
    assert_close(tsr_densmat_trace(dm), 1, 1e-12);
    assert_close(tsr_densmat_purity(dm), 1, 1e-12);
    double f;
    assert_ok(tsr_densmat_fidelity_pure(dm, sv, &f, &err), &err);
    assert_close(f, 1, 1e-12);
    /* Pauli expectations agree */
    const char *labels[] = {"XIZYI", "ZZZZZ", "-Y1 X3", "IIIIX"};
    for (int i = 0; i < 4; i++) {
      double a, b;
      assert_ok(tsr_statevec_expectation(sv, labels[i], &a, &err), &err);
      assert_ok(tsr_densmat_expectation(dm, labels[i], &b, &err), &err);
      assert_close(a, b, 1e-12);
    }
    tsr_densmat *from = tsr_densmat_from_statevec(sv, NULL, &err);
    assert_ok(tsr_densmat_fidelity(from, dm, &f, &err), &err);
    assert_close(f, 1, 1e-8);
    tsr_densmat_free(from);
    tsr_statevec_free(sv);
    tsr_densmat_free(dm);
  }
  svk_set_simd(99);
}

static void channels_have_their_closed_forms(void **state) {
  (void)state;
  tsr_error err;
  const uint32_t q0 = 0;
  tsr_densmat *dm = tsr_densmat_new(1, NULL, &err);
  /* amplitude damping of |1> */
  assert_ok(tsr_densmat_apply_gate(dm, TSR_GATE_X, &q0, 1, NULL, &err), &err);
  tsr_channel *ad = tsr_channel_amplitude_damping(0.3, &err);
  assert_false(tsr_channel_is_pauli(ad, NULL));
  assert_ok(tsr_densmat_apply_channel(dm, ad, &q0, &err), &err);
  assert_close(creal(tsr_densmat_element(dm, 1, 1)), 0.7, 1e-15);
  assert_close(creal(tsr_densmat_element(dm, 0, 0)), 0.3, 1e-15);
  tsr_channel_free(ad);
  /* depolarizing of |0>: rho00 = 1 - p/2 */
  tsr_densmat_free(dm);
  dm = tsr_densmat_new(1, NULL, &err);
  tsr_channel *dep = tsr_channel_depolarizing(1, 0.2, &err);
  double probs[4];
  assert_true(tsr_channel_is_pauli(dep, probs));
  assert_close(probs[0], 0.85, 1e-15);
  assert_close(probs[3], 0.05, 1e-15);
  assert_ok(tsr_densmat_apply_channel(dm, dep, &q0, &err), &err);
  assert_close(creal(tsr_densmat_element(dm, 0, 0)), 0.9, 1e-15);
  tsr_channel_free(dep);
  /* thermal relaxation of |+>: populations by T1, coherences by T2 */
  tsr_densmat_free(dm);
  dm = tsr_densmat_new(1, NULL, &err);
  assert_ok(tsr_densmat_apply_gate(dm, TSR_GATE_H, &q0, 1, NULL, &err), &err);
  const double t1 = 50e-6, t2 = 30e-6, t = 20e-6;
  tsr_channel *tr = tsr_channel_thermal_relaxation(t1, t2, t, &err);
  assert_non_null(tr);
  assert_ok(tsr_densmat_apply_channel(dm, tr, &q0, &err), &err);
  assert_close(creal(tsr_densmat_element(dm, 1, 1)), 0.5 * exp(-t / t1), 1e-14);
  assert_close(cabs(tsr_densmat_element(dm, 0, 1)), 0.5 * exp(-t / t2), 1e-14);
  assert_null(tsr_channel_thermal_relaxation(10e-6, 30e-6, t, &err)); /* T2 > 2 T1 */
  tsr_channel_free(tr);
  /* phase damping keeps populations, shrinks coherences by sqrt(1 - lambda) */
  tsr_channel *pd = tsr_channel_phase_damping(0.36, &err);
  const double before = cabs(tsr_densmat_element(dm, 0, 1)),
               p11 = creal(tsr_densmat_element(dm, 1, 1));
  assert_ok(tsr_densmat_apply_channel(dm, pd, &q0, &err), &err);
  assert_close(cabs(tsr_densmat_element(dm, 0, 1)), before * 0.8, 1e-14);
  assert_close(creal(tsr_densmat_element(dm, 1, 1)), p11, 1e-15);
  assert_true(tsr_channel_is_pauli(pd, NULL)); /* dephasing is a Z channel */
  tsr_channel_free(pd);
  tsr_densmat_free(dm);
  /* 2-qubit depolarizing with p = 1 fully mixes a Bell pair */
  dm = tsr_densmat_new(2, NULL, &err);
  const uint32_t q01[2] = {0, 1};
  assert_ok(tsr_densmat_apply_gate(dm, TSR_GATE_H, q01, 1, NULL, &err), &err);
  assert_ok(tsr_densmat_apply_gate(dm, TSR_GATE_CX, q01, 2, NULL, &err), &err);
  tsr_channel *d2 = tsr_channel_depolarizing(2, 1.0, &err);
  assert_ok(tsr_densmat_apply_channel(dm, d2, q01, &err), &err);
  assert_close(tsr_densmat_purity(dm), 0.25, 1e-14);
  tsr_channel_free(d2);
  d2 = tsr_channel_depolarizing(2, 16.0 / 15.0, &err); /* the largest valid p */
  assert_non_null(d2);
  tsr_channel_free(d2);
  assert_null(tsr_channel_depolarizing(1, 1.5, &err));
  tsr_densmat_free(dm);
}

static void trace_survives_long_noisy_circuits(void **state) {
  (void)state;
  tsr_error err;
  tsr_rng r;
  tsr_rng_seed(&r, 8, 0);
  const unsigned n = 6;
  tsr_densmat *dm = tsr_densmat_new(n, NULL, &err);
  tsr_channel *chs[5];
  const double p[4] = {0.9, 0.05, 0.02, 0.03};
  chs[0] = tsr_channel_amplitude_damping(0.02, &err);
  chs[1] = tsr_channel_phase_damping(0.03, &err);
  chs[2] = tsr_channel_depolarizing(2, 0.02, &err);
  chs[3] = tsr_channel_thermal_relaxation(40e-6, 50e-6, 1e-6, &err);
  chs[4] = tsr_channel_pauli(1, p, &err);
  const tsr_gate kinds[] = {TSR_GATE_H,  TSR_GATE_RX,   TSR_GATE_CX, TSR_GATE_CZ,
                            TSR_GATE_U3, TSR_GATE_SWAP, TSR_GATE_T,  TSR_GATE_RZZ};
  for (int g = 0; g < 1500; g++) {
    uint32_t q[2];
    double par[4];
    rand_params(&r, par);
    const tsr_gate k = kinds[tsr_rng_below(&r, 8)];
    const unsigned nq = tsr_gate_get(k)->nqubits;
    rand_qubits(&r, n, 2, q);
    assert_ok(tsr_densmat_apply_gate(dm, k, q, nq, par, &err), &err);
    const tsr_channel *ch = chs[tsr_rng_below(&r, 5)];
    assert_ok(tsr_densmat_apply_channel(dm, ch, q, &err), &err);
    if (g % 300 == 299) assert_ok(tsr_densmat_reset(dm, q[0], &err), &err);
  }
  assert_close(tsr_densmat_trace(dm), 1, 1e-12);
  const uint64_t d = UINT64_C(1) << n;
  double herm = 0;
  for (uint64_t a = 0; a < d; a++) {
    for (uint64_t b = 0; b < d; b++) {
      const double e = cabs(tsr_densmat_element(dm, a, b) - conj(tsr_densmat_element(dm, b, a)));
      if (e > herm) herm = e;
    }
  }
  assert_close(herm, 0, 1e-13);
  assert_true(tsr_densmat_purity(dm) <= 1 + 1e-12);
  for (int i = 0; i < 5; i++) tsr_channel_free(chs[i]);
  tsr_densmat_free(dm);
}

static void trajectories_average_to_the_density_matrix(void **state) {
  (void)state;
  tsr_error err;
  const unsigned n = 2;
  const uint32_t q01[2] = {0, 1};
  tsr_channel *ad = tsr_channel_amplitude_damping(0.4, &err);
  tsr_channel *tr = tsr_channel_thermal_relaxation(10e-6, 12e-6, 6e-6, &err);
  tsr_channel *d2 = tsr_channel_depolarizing(2, 0.3, &err);
  tsr_densmat *exact = tsr_densmat_new(n, NULL, &err);
  const double th = 0.9;
  assert_ok(tsr_densmat_apply_gate(exact, TSR_GATE_RY, q01, 1, &th, &err), &err);
  assert_ok(tsr_densmat_apply_gate(exact, TSR_GATE_CX, q01, 2, NULL, &err), &err);
  assert_ok(tsr_densmat_apply_channel(exact, ad, q01 + 1, &err), &err);
  assert_ok(tsr_densmat_apply_channel(exact, d2, q01, &err), &err);
  assert_ok(tsr_densmat_apply_gate(exact, TSR_GATE_H, q01, 1, NULL, &err), &err);
  assert_ok(tsr_densmat_apply_channel(exact, tr, q01, &err), &err);
  double complex avg[16] = {0};
  const int trials = 6000;
  tsr_rng r;
  tsr_rng_seed(&r, 12, 0);
  tsr_statevec *sv = tsr_statevec_new(n, NULL, &err);
  for (int t = 0; t < trials; t++) {
    tsr_statevec_set_basis(sv, 0, &err);
    assert_ok(tsr_statevec_apply_gate(sv, TSR_GATE_RY, q01, 1, &th, &err), &err);
    assert_ok(tsr_statevec_apply_gate(sv, TSR_GATE_CX, q01, 2, NULL, &err), &err);
    assert_ok(tsr_statevec_apply_channel(sv, ad, q01 + 1, &r, &err), &err);
    assert_ok(tsr_statevec_apply_channel(sv, d2, q01, &r, &err), &err);
    assert_ok(tsr_statevec_apply_gate(sv, TSR_GATE_H, q01, 1, NULL, &err), &err);
    assert_ok(tsr_statevec_apply_channel(sv, tr, q01, &r, &err), &err);
    for (int a = 0; a < 4; a++) {
      for (int b = 0; b < 4; b++) {
        avg[a + 4 * b] += tsr_statevec_amplitude(sv, a) * conj(tsr_statevec_amplitude(sv, b));
      }
    }
  }
  for (int a = 0; a < 4; a++) {
    for (int b = 0; b < 4; b++) {
      assert_close(cabs(avg[a + 4 * b] / trials - tsr_densmat_element(exact, a, b)), 0, 0.025);
    }
  }
  tsr_statevec_free(sv);
  tsr_densmat_free(exact);
  tsr_channel_free(ad);
  tsr_channel_free(tr);
  tsr_channel_free(d2);
}

static void measurement_reset_and_partial_trace(void **state) {
  (void)state;
  tsr_error err;
  tsr_densmat *dm = tsr_densmat_new(3, NULL, &err);
  const uint32_t q[3] = {0, 1, 2};
  assert_ok(tsr_densmat_apply_gate(dm, TSR_GATE_H, q, 1, NULL, &err), &err);
  assert_ok(tsr_densmat_apply_gate(dm, TSR_GATE_CX, q, 2, NULL, &err), &err);
  assert_ok(tsr_densmat_apply_gate(dm, TSR_GATE_CX, q + 1, 2, NULL, &err), &err);
  const uint32_t keep[2] = {2, 0};
  tsr_densmat *red = tsr_densmat_partial_trace(dm, keep, 2, &err);
  assert_non_null(red);
  assert_close(creal(tsr_densmat_element(red, 0, 0)), 0.5, 1e-15);
  assert_close(creal(tsr_densmat_element(red, 3, 3)), 0.5, 1e-15);
  assert_close(cabs(tsr_densmat_element(red, 0, 3)), 0, 1e-15); /* GHZ: classical pairs */
  assert_close(tsr_densmat_purity(red), 0.5, 1e-15);
  tsr_densmat_free(red);
  double probs[8];
  assert_ok(tsr_densmat_probabilities(dm, q, 3, probs, &err), &err);
  assert_close(probs[7], 0.5, 1e-15);
  tsr_rng r;
  tsr_rng_seed(&r, 2, 0);
  int o;
  assert_ok(tsr_densmat_measure(dm, 1, &r, &o, &err), &err);
  assert_close(tsr_densmat_prob_one(dm, 2), (double)o, 1e-15);
  assert_close(tsr_densmat_trace(dm), 1, 1e-15);
  assert_ok(tsr_densmat_reset(dm, 2, &err), &err);
  assert_close(tsr_densmat_prob_one(dm, 2), 0, 1e-15);
  assert_close(tsr_densmat_prob_one(dm, 0), (double)o, 1e-15);
  assert_int_equal(tsr_densmat_collapse(dm, 0, !o, &err), TSR_ERR_VALUE);
  tsr_densmat_free(dm);
  assert_null(tsr_densmat_new(40, NULL, &err));
  assert_int_equal(err.status, TSR_ERR_LIMIT);
  assert_non_null(strstr(err.message, "density matrix of 40 qubits"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gates_match_state_vector),
      cmocka_unit_test(channels_have_their_closed_forms),
      cmocka_unit_test(trace_survives_long_noisy_circuits),
      cmocka_unit_test(trajectories_average_to_the_density_matrix),
      cmocka_unit_test(measurement_reset_and_partial_trace),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
