/* State vector: every kernel (SIMD and portable, double and float) against
 * the definition; analytic states; measurement, reset, expectation values,
 * sampling reproducibility across thread counts, norm over long circuits,
 * refusals of bad input and of states that do not fit. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"
#include "sim_test_util.h"

static void check_kernels_on(unsigned n, int simd, tsr_precision prec, double tol) {
  tsr_error err;
  tsr_rng r;
  tsr_rng_seed(&r, 1234 + n, (uint64_t)simd);
  svk_set_simd(simd);
  const uint64_t dim = UINT64_C(1) << n;
  double complex *ref = malloc(dim * sizeof *ref), *got = malloc(dim * sizeof *got);
  tsr_state_options o = {prec, 2, 0};
  tsr_statevec *sv = tsr_statevec_new(n, &o, &err);
  assert_non_null(sv);
  rand_state(&r, ref, dim);
  assert_ok(tsr_statevec_set_amplitudes(sv, ref, dim, 0, &err), &err);
  tsr_statevec_get_amplitudes(sv, ref); /* rounded to the precision */
  double complex m[1 << 12];
  /* every catalogue gate with a matrix, on random (often low) qubits */
  for (int rep = 0; rep < 3; rep++) {
    for (int kind = TSR_GATE_ID; kind < TSR_GATE_COUNT; kind++) {
      const tsr_gate_info *info = tsr_gate_get((tsr_gate)kind);
      if (!(info->flags & TSR_GF_UNITARY) || kind == TSR_GATE_OPAQUE) continue;
      unsigned k = info->nqubits ? info->nqubits : 3;
      if (k > n) continue;
      uint32_t q[10];
      double p[4];
      rand_qubits(&r, n, k, q);
      if (rep == 0) { /* lowest qubits first: the in-register paths */
        for (unsigned j = 0; j < k; j++) q[j] = j;
      }
      rand_params(&r, p);
      assert_ok(tsr_statevec_apply_gate(sv, (tsr_gate)kind, q, k, p, &err), &err);
      if (kind == TSR_GATE_GR) {
        for (unsigned j = 0; j < k; j++) {
          assert_ok(tsr_gate_matrix(TSR_GATE_R, p, 1, m, &err), &err);
          ref_apply(ref, n, q + j, 1, m);
        }
      } else {
        assert_ok(tsr_gate_matrix((tsr_gate)kind, p, k, m, &err), &err);
        ref_apply(ref, n, q, k, m);
      }
      tsr_statevec_get_amplitudes(sv, got);
      double e = max_diff(ref, got, dim);
      if (!(e <= tol)) fail_msg("gate %s on n=%u simd=%d: differs by %g", info->name, n, simd, e);
    }
  }
  /* dense matrices of 1..6 qubits, controlled 1-qubit gates, diagonals */
  for (unsigned k = 1; k <= 6 && k <= n; k++) {
    for (int rep = 0; rep < 3; rep++) {
      uint32_t q[10];
      rand_qubits(&r, n, k, q);
      if (rep == 0) {
        for (unsigned j = 0; j < k; j++) q[j] = j;
      }
      rand_unitary(&r, k, m);
      assert_ok(tsr_statevec_apply_matrix(sv, q, k, m, "u", &err), &err);
      ref_apply(ref, n, q, k, m);
      tsr_statevec_get_amplitudes(sv, got);
      double e = max_diff(ref, got, dim);
      if (!(e <= tol)) fail_msg("dense k=%u n=%u simd=%d: differs by %g", k, n, simd, e);
    }
  }
  for (int rep = 0; rep < 12 && n >= 3; rep++) {
    uint32_t q[4];
    rand_qubits(&r, n, 3, q);
    double complex u[4], full[64];
    rand_unitary(&r, 1, u);
    if (rep % 3 == 1) { /* diagonal */
      u[1] = u[2] = 0;
      u[0] = cexp(I * 0.3 * rep);
      u[3] = cexp(-I * 0.7);
    }
    assert_ok(tsr_statevec_apply_controlled(sv, q, 2, q[2], u, &err), &err);
    memset(full, 0, sizeof full);
    for (int i = 0; i < 8; i++) full[i * 8 + i] = 1;
    full[3 * 8 + 3] = u[0];
    full[3 * 8 + 7] = u[1];
    full[7 * 8 + 3] = u[2];
    full[7 * 8 + 7] = u[3];
    ref_apply(ref, n, q, 3, full);
    double complex d[8];
    uint32_t dq[3] = {q[1], q[2], q[0]};
    for (int i = 0; i < 8; i++) d[i] = cexp(I * 0.37 * i * (rep + 1));
    assert_ok(tsr_statevec_apply_diagonal(sv, dq, 3, d, &err), &err);
    memset(full, 0, sizeof full);
    for (int i = 0; i < 8; i++) full[i * 8 + i] = d[i];
    ref_apply(ref, n, dq, 3, full);
    tsr_statevec_get_amplitudes(sv, got);
    double e = max_diff(ref, got, dim);
    if (!(e <= tol)) fail_msg("controlled/diagonal n=%u simd=%d: differs by %g", n, simd, e);
  }
  assert_close(tsr_statevec_norm(sv), 1.0, prec == TSR_PRECISION_FLOAT ? 1e-4 : 1e-12);
  tsr_statevec_free(sv);
  free(ref);
  free(got);
  svk_set_simd(99);
}

static void kernels_match_definition(void **state) {
  (void)state;
  for (int simd = 2; simd >= 0; simd -= 2) {
    check_kernels_on(1, simd, TSR_PRECISION_DOUBLE, 1e-12);
    check_kernels_on(2, simd, TSR_PRECISION_DOUBLE, 1e-12);
    check_kernels_on(5, simd, TSR_PRECISION_DOUBLE, 1e-12);
    check_kernels_on(8, simd, TSR_PRECISION_DOUBLE, 1e-12);
    /* above the parallel threshold, with two threads */
    check_kernels_on(15, simd, TSR_PRECISION_DOUBLE, 1e-11);
  }
  check_kernels_on(7, 0, TSR_PRECISION_FLOAT, 2e-5);
}

static void bell_and_ghz(void **state) {
  (void)state;
  tsr_error err;
  tsr_statevec *sv = tsr_statevec_new(3, NULL, &err);
  assert_non_null(sv);
  const uint32_t q01[2] = {0, 1}, q12[2] = {1, 2};
  assert_ok(tsr_statevec_apply_gate(sv, TSR_GATE_H, q01, 1, NULL, &err), &err);
  assert_ok(tsr_statevec_apply_gate(sv, TSR_GATE_CX, q01, 2, NULL, &err), &err);
  assert_close(creal(tsr_statevec_amplitude(sv, 0)), M_SQRT1_2, 1e-15);
  assert_close(creal(tsr_statevec_amplitude(sv, 3)), M_SQRT1_2, 1e-15);
  assert_close(cabs(tsr_statevec_amplitude(sv, 1)), 0, 1e-15);
  double v;
  assert_ok(tsr_statevec_expectation(sv, "ZZ", &v, &err), &err);
  assert_close(v, 1, 1e-14);
  assert_ok(tsr_statevec_expectation(sv, "XX", &v, &err), &err);
  assert_close(v, 1, 1e-14);
  assert_ok(tsr_statevec_expectation(sv, "YY", &v, &err), &err);
  assert_close(v, -1, 1e-14);
  assert_ok(tsr_statevec_expectation(sv, "-Y0 Y1", &v, &err), &err);
  assert_close(v, 1, 1e-14);
  assert_ok(tsr_statevec_expectation(sv, "Z0", &v, &err), &err);
  assert_close(v, 0, 1e-14);
  assert_ok(tsr_statevec_apply_gate(sv, TSR_GATE_CX, q12, 2, NULL, &err), &err);
  assert_close(creal(tsr_statevec_amplitude(sv, 7)), M_SQRT1_2, 1e-15);
  assert_ok(tsr_statevec_expectation(sv, "XXX", &v, &err), &err);
  assert_close(v, 1, 1e-14);
  /* reduced state of one GHZ qubit is I/2; of the Bell pair inside, diagonal */
  tsr_densmat *red = tsr_statevec_partial_trace(sv, q12 + 1, 1, &err);
  assert_non_null(red);
  assert_close(creal(tsr_densmat_element(red, 0, 0)), 0.5, 1e-15);
  assert_close(cabs(tsr_densmat_element(red, 0, 1)), 0, 1e-15);
  assert_close(tsr_densmat_purity(red), 0.5, 1e-14);
  tsr_densmat_free(red);
  double probs[8];
  const uint32_t all[3] = {0, 1, 2}, two[2] = {2, 0};
  assert_ok(tsr_statevec_probabilities(sv, all, 3, probs, &err), &err);
  assert_close(probs[0], 0.5, 1e-15);
  assert_close(probs[7], 0.5, 1e-15);
  assert_ok(tsr_statevec_probabilities(sv, two, 2, probs, &err), &err);
  assert_close(probs[0], 0.5, 1e-15);
  assert_close(probs[3], 0.5, 1e-15);
  assert_close(probs[1] + probs[2], 0, 1e-15);
  tsr_statevec_free(sv);
}

static void measurement_collapse_and_reset(void **state) {
  (void)state;
  tsr_error err;
  tsr_statevec *sv = tsr_statevec_new(2, NULL, &err);
  const uint32_t q0 = 0, q01[2] = {0, 1};
  double theta = 1.1; /* P(1) = sin^2(theta/2) */
  int ones = 0;
  const int trials = 20000;
  tsr_rng r;
  tsr_rng_seed(&r, 5, 0);
  for (int t = 0; t < trials; t++) {
    tsr_statevec_set_basis(sv, 0, &err);
    assert_ok(tsr_statevec_apply_gate(sv, TSR_GATE_RY, &q0, 1, &theta, &err), &err);
    assert_ok(tsr_statevec_apply_gate(sv, TSR_GATE_CX, q01, 2, NULL, &err), &err);
    int o;
    assert_ok(tsr_statevec_measure(sv, 0, &r, &o, &err), &err);
    ones += o;
    /* after collapse qubit 1 agrees with the outcome and the norm is 1 */
    assert_close(tsr_statevec_prob_one(sv, 1), (double)o, 1e-14);
    assert_close(tsr_statevec_norm(sv), 1, 1e-14);
  }
  const double p = sin(theta / 2) * sin(theta / 2);
  assert_close((double)ones / trials, p, 4 * sqrt(p * (1 - p) / trials));
  assert_ok(tsr_statevec_reset(sv, 1, &r, &err), &err);
  assert_close(tsr_statevec_prob_one(sv, 1), 0, 1e-15);
  assert_close(tsr_statevec_norm(sv), 1, 1e-14);
  /* projecting onto an impossible outcome is refused */
  tsr_statevec_set_basis(sv, 0, &err);
  assert_int_equal(tsr_statevec_collapse(sv, 0, 1, &err), TSR_ERR_VALUE);
  tsr_statevec_free(sv);
}

static void norm_preserved_over_long_random_circuit(void **state) {
  (void)state;
  tsr_error err;
  tsr_rng r;
  tsr_rng_seed(&r, 77, 0);
  const unsigned n = 12;
  tsr_statevec *sv = tsr_statevec_new(n, NULL, &err);
  double complex u[1 << 8];
  const tsr_gate kinds[] = {TSR_GATE_H,   TSR_GATE_RX,  TSR_GATE_U3,   TSR_GATE_CX, TSR_GATE_CZ,
                            TSR_GATE_RZZ, TSR_GATE_CCX, TSR_GATE_SWAP, TSR_GATE_T,  TSR_GATE_CU3};
  for (int g = 0; g < 3000; g++) {
    uint32_t q[4];
    double p[4];
    rand_params(&r, p);
    if (g % 10 == 9) {
      unsigned k = 1 + (unsigned)tsr_rng_below(&r, 4);
      rand_qubits(&r, n, k, q);
      rand_unitary(&r, k, u);
      assert_ok(tsr_statevec_apply_matrix(sv, q, k, u, NULL, &err), &err);
      continue;
    }
    tsr_gate kind = kinds[tsr_rng_below(&r, sizeof kinds / sizeof kinds[0])];
    unsigned k = tsr_gate_get(kind)->nqubits;
    rand_qubits(&r, n, k, q);
    assert_ok(tsr_statevec_apply_gate(sv, kind, q, k, p, &err), &err);
  }
  assert_close(tsr_statevec_norm(sv), 1, 1e-12);
  tsr_statevec_free(sv);
}

static void sampling_is_reproducible_across_threads(void **state) {
  (void)state;
  tsr_error err;
  tsr_rng r;
  tsr_rng_seed(&r, 3, 0);
  const unsigned n = 16;
  const uint64_t dim = UINT64_C(1) << n, shots = 5000;
  double complex *a = malloc(dim * sizeof *a);
  rand_state(&r, a, dim);
  uint64_t *s1 = malloc(shots * sizeof *s1), *s2 = malloc(shots * sizeof *s2);
  tsr_state_options o1 = {TSR_PRECISION_DOUBLE, 1, 0}, o2 = {TSR_PRECISION_DOUBLE, 2, 0};
  tsr_statevec *sv1 = tsr_statevec_new(n, &o1, &err), *sv2 = tsr_statevec_new(n, &o2, &err);
  assert_ok(tsr_statevec_set_amplitudes(sv1, a, dim, 0, &err), &err);
  assert_ok(tsr_statevec_set_amplitudes(sv2, a, dim, 0, &err), &err);
  assert_ok(tsr_statevec_sample(sv1, shots, 99, 0, s1, &err), &err);
  assert_ok(tsr_statevec_sample(sv2, shots, 99, 0, s2, &err), &err);
  assert_memory_equal(s1, s2, shots * sizeof *s1);
  assert_close(tsr_statevec_prob_one(sv1, 7), tsr_statevec_prob_one(sv2, 7), 0);
  /* distribution: the mean of the sampled probability tracks sum p^2 */
  double mean = 0, want = 0;
  for (uint64_t s = 0; s < shots; s++) mean += creal(a[s1[s]] * conj(a[s1[s]]));
  for (uint64_t i = 0; i < dim; i++) want += pow(creal(a[i] * conj(a[i])), 2);
  assert_close(mean / shots, want, 0.1 * want);
  /* a basis state is always sampled as itself */
  tsr_statevec_set_basis(sv1, 12345, &err);
  assert_ok(tsr_statevec_sample(sv1, 100, 1, 0, s1, &err), &err);
  for (int s = 0; s < 100; s++) assert_int_equal(s1[s], 12345);
  tsr_statevec_free(sv1);
  tsr_statevec_free(sv2);
  free(a);
  free(s1);
  free(s2);
}

static void channels_as_trajectories(void **state) {
  (void)state;
  tsr_error err;
  tsr_rng r;
  tsr_rng_seed(&r, 8, 0);
  tsr_statevec *sv = tsr_statevec_new(1, NULL, &err);
  tsr_channel *ad = tsr_channel_amplitude_damping(0.3, &err);
  assert_non_null(ad);
  const uint32_t q = 0;
  int decayed = 0;
  for (int t = 0; t < 20000; t++) {
    tsr_statevec_set_basis(sv, 1, &err);
    assert_ok(tsr_statevec_apply_channel(sv, ad, &q, &r, &err), &err);
    assert_close(tsr_statevec_norm(sv), 1, 1e-14);
    decayed += tsr_statevec_prob_one(sv, 0) < 0.5;
  }
  assert_close(decayed / 20000.0, 0.3, 0.015);
  tsr_channel_free(ad);
  tsr_statevec_free(sv);
}

static void bad_input_is_refused(void **state) {
  (void)state;
  tsr_error err;
  tsr_error_clear(&err);
  tsr_statevec *big = tsr_statevec_new(40, NULL, &err);
  assert_null(big);
  assert_int_equal(err.status, TSR_ERR_LIMIT);
  assert_non_null(strstr(err.message, "40 qubits"));
  assert_non_null(strstr(err.message, "17592186044416 bytes"));
  assert_non_null(strstr(err.message, "available"));
  tsr_state_options o = {TSR_PRECISION_DOUBLE, 0, 1 << 20};
  assert_null(tsr_statevec_new(20, &o, &err));
  assert_int_equal(err.status, TSR_ERR_LIMIT);
  assert_non_null(strstr(err.message, "memory limit"));
  assert_null(tsr_statevec_new(70, NULL, &err));
  tsr_statevec *sv = tsr_statevec_new(3, NULL, &err);
  const double complex notu[4] = {1, 0, 0, 0.5};
  const uint32_t q[2] = {0, 0};
  assert_int_equal(tsr_statevec_apply_matrix(sv, q, 1, notu, "mygate", &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "mygate"));
  assert_non_null(strstr(err.message, "not unitary"));
  assert_int_equal(tsr_statevec_apply_gate(sv, TSR_GATE_CX, q, 2, NULL, &err), TSR_ERR_VALUE);
  const uint32_t q9 = 9;
  assert_int_equal(tsr_statevec_apply_gate(sv, TSR_GATE_H, &q9, 1, NULL, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_statevec_apply_gate(sv, TSR_OP_MEASURE, q, 1, NULL, &err), TSR_ERR_VALUE);
  double v;
  assert_int_equal(tsr_statevec_expectation(sv, "XQ", &v, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_statevec_expectation(sv, "XXXX", &v, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_statevec_expectation(sv, "X5", &v, &err), TSR_ERR_VALUE);
  double complex k2[8] = {1, 0, 0, 1, 0, 1, 1, 0};
  assert_null(tsr_channel_kraus(1, 2, k2, "leaky", &err));
  assert_non_null(strstr(err.message, "leaky"));
  assert_non_null(strstr(err.message, "CPTP"));
  tsr_statevec_free(sv);
}

static void inner_product_and_fidelity(void **state) {
  (void)state;
  tsr_error err;
  tsr_statevec *a = tsr_statevec_new(4, NULL, &err), *b = tsr_statevec_new(4, NULL, &err);
  const uint32_t q0 = 0;
  double th = 0.8;
  assert_ok(tsr_statevec_apply_gate(b, TSR_GATE_RY, &q0, 1, &th, &err), &err);
  double f;
  assert_ok(tsr_statevec_fidelity(a, b, &f, &err), &err);
  assert_close(f, cos(th / 2) * cos(th / 2), 1e-15);
  tsr_statevec *c = tsr_statevec_clone(b, &err);
  assert_ok(tsr_statevec_fidelity(c, b, &f, &err), &err);
  assert_close(f, 1, 1e-15);
  tsr_statevec_free(a);
  tsr_statevec_free(b);
  tsr_statevec_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kernels_match_definition),
      cmocka_unit_test(bell_and_ghz),
      cmocka_unit_test(measurement_collapse_and_reset),
      cmocka_unit_test(norm_preserved_over_long_random_circuit),
      cmocka_unit_test(sampling_is_reproducible_across_threads),
      cmocka_unit_test(channels_as_trajectories),
      cmocka_unit_test(bad_input_is_refused),
      cmocka_unit_test(inner_product_and_fidelity),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
