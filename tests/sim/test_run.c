/* The runner: analytic circuits (Bell, GHZ, QFT on basis states,
 * teleportation with feed-forward), the three backends against each other,
 * trajectories against the exact density matrix, seeds and thread counts,
 * fusion on and off, and refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_test_util.h"

static tsr_circuit *parse(const char *text) {
  tsr_circuit *c = NULL;
  tsr_error err;
  tsr_status st = tsr_qasm_read_string(text, strlen(text), "test.qasm", &c, &err);
  if (st != TSR_OK) {
    char buf[1024];
    fail_msg("parse: %s", tsr_error_format(&err, buf, sizeof buf));
  }
  return c;
}

static tsr_sim_result *run(const tsr_circuit *c, tsr_backend_kind b, uint64_t shots, uint64_t seed,
                           const tsr_noise_model *nm, int threads) {
  tsr_sim_options o;
  tsr_sim_options_init(&o);
  o.backend = b;
  o.shots = shots;
  o.seed = seed;
  o.noise = nm;
  o.threads = threads;
  tsr_sim_result *r = NULL;
  tsr_error err;
  assert_ok(tsr_sim_run(c, &o, &r, &err), &err);
  return r;
}

static uint64_t count_of(const tsr_sim_result *r, const char *bits) {
  for (size_t i = 0; i < r->ncounts; i++) {
    if (strcmp(r->counts[i].bits, bits) == 0) return r->counts[i].count;
  }
  return 0;
}

static int same_counts(const tsr_sim_result *a, const tsr_sim_result *b) {
  if (a->ncounts != b->ncounts) return 0;
  for (size_t i = 0; i < a->ncounts; i++) {
    if (strcmp(a->counts[i].bits, b->counts[i].bits) != 0) return 0;
    if (a->counts[i].count != b->counts[i].count) return 0;
  }
  return 1;
}

/* Largest |p_a - p_b| over outcomes, against its statistical scale. */
static void assert_same_distribution(const tsr_sim_result *a, const tsr_sim_result *b,
                                     const char *what) {
  for (size_t i = 0; i < a->ncounts + b->ncounts; i++) {
    const char *bits = i < a->ncounts ? a->counts[i].bits : b->counts[i - a->ncounts].bits;
    const double pa = (double)count_of(a, bits) / (double)a->shots;
    const double pb = (double)count_of(b, bits) / (double)b->shots;
    const double p = 0.5 * (pa + pb);
    const double sigma = sqrt(p * (1 - p) * (1.0 / (double)a->shots + 1.0 / (double)b->shots));
    if (fabs(pa - pb) > 5 * sigma + 2e-3) {
      fail_msg("%s: outcome %s has frequency %.4f vs %.4f (sigma %.4f)", what, bits, pa, pb, sigma);
    }
  }
}

static const char *BELL = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\n"
                          "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n";

static void bell_on_every_backend(void **state) {
  (void)state;
  tsr_circuit *c = parse(BELL);
  const tsr_backend_kind kinds[] = {TSR_BACKEND_STATEVEC, TSR_BACKEND_DENSMAT,
                                    TSR_BACKEND_STABILIZER, TSR_BACKEND_AUTO};
  for (size_t k = 0; k < 4; k++) {
    tsr_sim_result *r = run(c, kinds[k], 4000, 11, NULL, 0);
    assert_int_equal(r->ncounts, 2);
    assert_int_equal(r->nbits, 2);
    assert_true(r->sampled_final);
    assert_int_equal(count_of(r, "00") + count_of(r, "11"), 4000);
    assert_close((double)count_of(r, "11") / 4000, 0.5, 0.04);
    if (kinds[k] == TSR_BACKEND_AUTO) assert_int_equal(r->backend, TSR_BACKEND_STABILIZER);
    tsr_sim_result_free(r);
  }
  tsr_circuit_free(c);
}

static void ghz_and_implicit_measurement(void **state) {
  (void)state;
  char text[2048];
  int len =
      snprintf(text, sizeof text, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[12];\nh q[0];\n");
  for (int i = 0; i < 11; i++)
    len += snprintf(text + len, sizeof text - (size_t)len, "cx q[%d],q[%d];\n", i, i + 1);
  len += snprintf(text + len, sizeof text - (size_t)len, "t q[3];\n"); /* not Clifford: sv */
  tsr_circuit *c = parse(text);
  tsr_sim_result *r = run(c, TSR_BACKEND_AUTO, 1000, 5, NULL, 0);
  assert_int_equal(r->backend, TSR_BACKEND_STATEVEC);
  assert_true(r->measured_all);
  assert_int_equal(r->nbits, 12);
  assert_int_equal(r->ncounts, 2);
  assert_string_equal(r->counts[0].bits, "000000000000");
  assert_string_equal(r->counts[1].bits, "111111111111");
  tsr_sim_result_free(r);
  tsr_circuit_free(c);
}

/* QFT (Qiskit's layout, with the final swaps) maps |x> to
 * sum_k e^{2 pi i x k / N} |k> / sqrt(N). */
static void qft_on_basis_states(void **state) {
  (void)state;
  const int n = 6;
  const uint64_t N = UINT64_C(1) << n;
  for (uint64_t x = 0; x < N; x += 13) {
    char text[8192];
    int len =
        snprintf(text, sizeof text, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[%d];\n", n);
    for (int b = 0; b < n; b++) {
      if ((x >> b) & 1) len += snprintf(text + len, sizeof text - (size_t)len, "x q[%d];\n", b);
    }
    for (int j = n - 1; j >= 0; j--) {
      len += snprintf(text + len, sizeof text - (size_t)len, "h q[%d];\n", j);
      for (int k = j - 1; k >= 0; k--) {
        len += snprintf(text + len, sizeof text - (size_t)len, "cp(pi/%d) q[%d],q[%d];\n",
                        1 << (j - k), k, j);
      }
    }
    for (int i = 0; i < n / 2; i++) {
      len += snprintf(text + len, sizeof text - (size_t)len, "swap q[%d],q[%d];\n", i, n - 1 - i);
    }
    tsr_circuit *c = parse(text);
    for (int fusion = 0; fusion <= 1; fusion++) {
      tsr_sim_options o;
      tsr_sim_options_init(&o);
      o.backend = TSR_BACKEND_STATEVEC;
      o.shots = 10;
      o.want_statevector = 1;
      o.fusion = fusion;
      tsr_sim_result *r = NULL;
      tsr_error err;
      assert_ok(tsr_sim_run(c, &o, &r, &err), &err);
      assert_int_equal(r->namplitudes, N);
      for (uint64_t k = 0; k < N; k++) {
        const double complex want =
            cexp(2 * M_PI * I * (double)(x * k) / (double)N) / sqrt((double)N);
        assert_close(cabs(r->amplitudes[k] - want), 0, 1e-12);
      }
      tsr_sim_result_free(r);
    }
    tsr_circuit_free(c);
  }
}

/* Teleportation of u3(theta, phi, lambda)|0> from q0 to q2 with measurements
 * and classically conditioned corrections; undoing u3 on q2 must give |0>
 * in every shot, on every backend that can run it. */
static void teleportation_with_feed_forward(void **state) {
  (void)state;
  const double th = 1.234, ph = -0.77, la = 2.1;
  char text[2048];
  snprintf(text, sizeof text,
           "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg m0[1];\ncreg m1[1];\n"
           "creg out[1];\n"
           "u3(%.17g,%.17g,%.17g) q[0];\n"
           "h q[1];\ncx q[1],q[2];\n"
           "cx q[0],q[1];\nh q[0];\n"
           "measure q[0] -> m0[0];\nmeasure q[1] -> m1[0];\n"
           "if(m1==1) x q[2];\nif(m0==1) z q[2];\n"
           "u3(%.17g,%.17g,%.17g) q[2];\n"
           "measure q[2] -> out[0];\n",
           th, ph, la, -th, -la, -ph);
  tsr_circuit *c = parse(text);
  const tsr_backend_kind kinds[] = {TSR_BACKEND_STATEVEC, TSR_BACKEND_DENSMAT};
  for (size_t k = 0; k < 2; k++) {
    tsr_sim_result *r = run(c, kinds[k], 400, 3, NULL, 0);
    assert_false(r->sampled_final);
    uint64_t total = 0, m0 = 0, m1 = 0;
    for (size_t i = 0; i < r->ncounts; i++) {
      assert_int_equal(r->counts[i].bits[0], '0'); /* out is clbit 2, leftmost */
      total += r->counts[i].count;
      if (r->counts[i].bits[2] == '1') m0 += r->counts[i].count;
      if (r->counts[i].bits[1] == '1') m1 += r->counts[i].count;
    }
    assert_int_equal(total, 400);
    /* the Bell measurement outcomes are uniform */
    assert_close(m0 / 400.0, 0.5, 0.1);
    assert_close(m1 / 400.0, 0.5, 0.1);
    tsr_sim_result_free(r);
  }
  tsr_circuit_free(c);
  /* a Clifford teleportation also on the tableau */
  const char *cl =
      "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg m0[1];\ncreg m1[1];\n"
      "creg out[1];\nh q[0];\ns q[0];\nh q[1];\ncx q[1],q[2];\ncx q[0],q[1];\nh q[0];\n"
      "measure q[0] -> m0[0];\nmeasure q[1] -> m1[0];\nif(m1==1) x q[2];\n"
      "if(m0==1) z q[2];\nsdg q[2];\nh q[2];\nmeasure q[2] -> out[0];\n";
  c = parse(cl);
  tsr_sim_result *r = run(c, TSR_BACKEND_AUTO, 500, 9, NULL, 2);
  assert_int_equal(r->backend, TSR_BACKEND_STABILIZER);
  for (size_t i = 0; i < r->ncounts; i++) assert_int_equal(r->counts[i].bits[0], '0');
  tsr_sim_result_free(r);
  tsr_circuit_free(c);
}

/* A random Clifford circuit with mid-circuit measurements, resets and
 * conditioned gates, as OpenQASM. */
static void random_clifford_text(tsr_rng *r, int n, int ops, char *text, size_t size) {
  static const char *one[] = {"h", "s", "sdg", "x", "y", "z", "sx"};
  static const char *two[] = {"cx", "cz", "swap", "cy"};
  int len = snprintf(text, size,
                     "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[%d];\ncreg c[%d];\n", n, n);
  for (int i = 0; i < ops && (size_t)len < size - 100; i++) {
    const uint64_t what = tsr_rng_below(r, 20);
    const int a = (int)tsr_rng_below(r, (uint64_t)n);
    int b = (int)tsr_rng_below(r, (uint64_t)n - 1);
    if (b >= a) b++;
    if (what < 9) {
      len += snprintf(text + len, size - (size_t)len, "%s q[%d];\n", one[tsr_rng_below(r, 7)], a);
    } else if (what < 16) {
      len += snprintf(text + len, size - (size_t)len, "%s q[%d],q[%d];\n", two[tsr_rng_below(r, 4)],
                      a, b);
    } else if (what < 18) {
      len += snprintf(text + len, size - (size_t)len, "measure q[%d] -> c[%d];\n", a, a);
    } else if (what < 19) {
      len += snprintf(text + len, size - (size_t)len, "reset q[%d];\n", a);
    } else {
      len += snprintf(text + len, size - (size_t)len, "if(c==%d) x q[%d];\n",
                      (int)tsr_rng_below(r, 4), a);
    }
  }
  snprintf(text + len, size - (size_t)len, "measure q -> c;\n");
}

static void backends_agree_on_random_clifford_circuits(void **state) {
  (void)state;
  tsr_rng r;
  tsr_rng_seed(&r, 2024, 0);
  static char text[1 << 16];
  for (int rep = 0; rep < 6; rep++) {
    const int n = 3 + rep % 3;
    random_clifford_text(&r, n, 60, text, sizeof text);
    tsr_circuit *c = parse(text);
    tsr_sim_result *sv = run(c, TSR_BACKEND_STATEVEC, 3000, (uint64_t)rep, NULL, 0);
    tsr_sim_result *dm = run(c, TSR_BACKEND_DENSMAT, 3000, (uint64_t)rep + 100, NULL, 0);
    tsr_sim_result *st = run(c, TSR_BACKEND_STABILIZER, 3000, (uint64_t)rep + 200, NULL, 0);
    assert_same_distribution(sv, dm, "sv vs dm");
    assert_same_distribution(sv, st, "sv vs stab");
    tsr_sim_result_free(sv);
    tsr_sim_result_free(dm);
    tsr_sim_result_free(st);
    tsr_circuit_free(c);
  }
}

static const char *NOISY = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg c[3];\n"
                           "h q[0];\ncx q[0],q[1];\nrx(0.7) q[2];\ncx q[1],q[2];\nt q[1];\n"
                           "h q[1];\ncz q[2],q[0];\nry(1.1) q[0];\nmeasure q -> c;\n";

static const char *NOISE_YAML = "gates:\n"
                                "  - gates: all\n"
                                "    depolarizing: 0.03\n"
                                "  - gates: [h, rx, ry, t]\n"
                                "    amplitude_damping: 0.05\n"
                                "    phase_damping: 0.04\n"
                                "  - gates: cx\n"
                                "    thermal_relaxation: {t1: 50us, t2: 60us, time: 5us}\n"
                                "readout:\n"
                                "  - {qubits: all, p01: 0.02, p10: 0.05}\n"
                                "relaxation:\n"
                                "  - {qubits: [0, 1, 2], t1: 80us, t2: 100us}\n"
                                "durations: {default: 1us, cx: 3us}\n";

static void trajectories_agree_with_density_matrix(void **state) {
  (void)state;
  tsr_error err;
  tsr_noise_model *nm = NULL;
  assert_ok(tsr_noise_model_load_string(NOISE_YAML, strlen(NOISE_YAML), "noise.yaml", &nm, &err),
            &err);
  tsr_circuit *c = parse(NOISY);
  tsr_sim_result *dm = run(c, TSR_BACKEND_DENSMAT, 40000, 1, nm, 0);
  assert_true(dm->sampled_final); /* exact noise: one final state */
  tsr_sim_result *sv = run(c, TSR_BACKEND_STATEVEC, 40000, 2, nm, 0);
  assert_false(sv->sampled_final);
  assert_same_distribution(dm, sv, "trajectories vs density matrix");
  /* the same seed gives the same counts at any thread count */
  tsr_sim_result *sv1 = run(c, TSR_BACKEND_STATEVEC, 3000, 7, nm, 1);
  tsr_sim_result *sv2 = run(c, TSR_BACKEND_STATEVEC, 3000, 7, nm, 2);
  assert_true(same_counts(sv1, sv2));
  tsr_sim_result *sv3 = run(c, TSR_BACKEND_STATEVEC, 3000, 8, nm, 2);
  assert_false(same_counts(sv1, sv3));
  tsr_sim_result_free(dm);
  tsr_sim_result_free(sv);
  tsr_sim_result_free(sv1);
  tsr_sim_result_free(sv2);
  tsr_sim_result_free(sv3);
  tsr_circuit_free(c);
  tsr_noise_model_free(nm);
}

static void pauli_noise_on_the_stabilizer(void **state) {
  (void)state;
  tsr_error err;
  const char *yaml = "gates:\n  - {gates: all, depolarizing: 0.05}\n"
                     "readout:\n  - {qubits: all, p01: 0.01, p10: 0.02}\n";
  tsr_noise_model *nm = NULL;
  assert_ok(tsr_noise_model_load_string(yaml, strlen(yaml), "n.yaml", &nm, &err), &err);
  assert_true(tsr_noise_model_is_pauli(nm));
  tsr_circuit *c = parse("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[4];\ncreg c[4];\n"
                         "h q[0];\ncx q[0],q[1];\ncx q[1],q[2];\ns q[2];\ncx q[2],q[3];\n"
                         "h q[3];\nmeasure q -> c;\n");
  assert_int_equal(tsr_sim_choose_backend(c, nm), TSR_BACKEND_STABILIZER);
  tsr_sim_result *st = run(c, TSR_BACKEND_AUTO, 20000, 1, nm, 0);
  assert_int_equal(st->backend, TSR_BACKEND_STABILIZER);
  tsr_sim_result *dm = run(c, TSR_BACKEND_DENSMAT, 20000, 2, nm, 0);
  assert_same_distribution(st, dm, "stabilizer with Pauli noise vs density matrix");
  tsr_sim_result_free(st);
  tsr_sim_result_free(dm);
  tsr_circuit_free(c);
  tsr_noise_model_free(nm);
}

static void fusion_does_not_change_the_state(void **state) {
  (void)state;
  tsr_rng r;
  tsr_rng_seed(&r, 99, 0);
  static char text[1 << 16];
  const int n = 11;
  int len = snprintf(text, sizeof text, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[%d];\n", n);
  static const char *g1[] = {"h", "t", "sx", "rx(0.3)", "u3(0.1,0.2,0.3)", "rz(1.7)", "x"};
  static const char *g2[] = {"cx", "cz", "swap", "cp(0.4)", "rzz(0.9)", "iswap", "ch"};
  for (int i = 0; i < 400; i++) {
    int a = (int)tsr_rng_below(&r, n), b = (int)tsr_rng_below(&r, n - 1);
    if (b >= a) b++;
    if (tsr_rng_below(&r, 2)) {
      len += snprintf(text + len, sizeof text - (size_t)len, "%s q[%d];\n",
                      g1[tsr_rng_below(&r, 7)], a);
    } else if (tsr_rng_below(&r, 10) == 0) {
      int cc = (int)tsr_rng_below(&r, n);
      if (cc != a && cc != b) {
        len +=
            snprintf(text + len, sizeof text - (size_t)len, "ccx q[%d],q[%d],q[%d];\n", a, b, cc);
      }
    } else {
      len += snprintf(text + len, sizeof text - (size_t)len, "%s q[%d],q[%d];\n",
                      g2[tsr_rng_below(&r, 7)], a, b);
    }
  }
  tsr_circuit *c = parse(text);
  double complex *ref = NULL;
  for (unsigned fmax = 1; fmax <= 5; fmax++) {
    for (int prec = 0; prec < (fmax == 4 ? 2 : 1); prec++) {
      tsr_sim_options o;
      tsr_sim_options_init(&o);
      o.backend = TSR_BACKEND_STATEVEC;
      o.shots = 1;
      o.fusion = fmax > 1;
      o.fusion_max_qubits = fmax;
      o.want_statevector = 1;
      o.precision = prec ? TSR_PRECISION_FLOAT : TSR_PRECISION_DOUBLE;
      tsr_sim_result *res = NULL;
      tsr_error err;
      assert_ok(tsr_sim_run(c, &o, &res, &err), &err);
      if (!ref) {
        ref = malloc(res->namplitudes * sizeof *ref);
        memcpy(ref, res->amplitudes, res->namplitudes * sizeof *ref);
      } else {
        double e = max_diff(ref, res->amplitudes, res->namplitudes);
        if (!(e <= (prec ? 1e-4 : 1e-11)))
          fail_msg("fusion max %u prec %d: differs by %g", fmax, prec, e);
      }
      tsr_sim_result_free(res);
    }
  }
  /* the density matrix with fusion agrees too */
  tsr_sim_result *a = run(c, TSR_BACKEND_STATEVEC, 5000, 4, NULL, 0);
  tsr_circuit *small = parse("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[4];\n"
                             "h q[0];\nt q[0];\ncx q[0],q[1];\nrx(0.4) q[2];\ncz q[1],q[2];\n"
                             "h q[3];\ncx q[3],q[0];\nry(0.9) q[1];\n");
  tsr_sim_result *x = run(small, TSR_BACKEND_STATEVEC, 20000, 4, NULL, 0);
  tsr_sim_result *y = run(small, TSR_BACKEND_DENSMAT, 20000, 5, NULL, 0);
  assert_same_distribution(x, y, "fused sv vs fused dm");
  tsr_sim_result_free(a);
  tsr_sim_result_free(x);
  tsr_sim_result_free(y);
  tsr_circuit_free(small);
  free(ref);
  tsr_circuit_free(c);
}

/* At 18 qubits runs of gates are applied one cache block at a time (blocks
 * of low qubits in place, blocks with high qubits gathered): the state must
 * be the one of the gate-by-gate run. */
static void cache_blocking_matches_gate_by_gate(void **state) {
  (void)state;
  tsr_rng r;
  tsr_rng_seed(&r, 123, 0);
  static char text[1 << 16];
  const int n = 18;
  int len = snprintf(text, sizeof text, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[%d];\n", n);
  static const char *g1[] = {"h", "t", "sx", "rx(0.3)", "u3(0.1,0.2,0.3)", "rz(1.7)", "x", "s"};
  static const char *g2[] = {"cx", "cz", "swap", "cp(0.4)", "rzz(0.9)", "ch", "crx(0.8)"};
  for (int i = 0; i < 260; i++) {
    int a = (int)tsr_rng_below(&r, n), b = (int)tsr_rng_below(&r, n - 1);
    if (b >= a) b++;
    const uint64_t w = tsr_rng_below(&r, 10);
    if (w < 5) {
      len += snprintf(text + len, sizeof text - (size_t)len, "%s q[%d];\n",
                      g1[tsr_rng_below(&r, 8)], a);
    } else if (w < 9) {
      len += snprintf(text + len, sizeof text - (size_t)len, "%s q[%d],q[%d];\n",
                      g2[tsr_rng_below(&r, 7)], a, b);
    } else {
      int cc = (int)tsr_rng_below(&r, n);
      if (cc != a && cc != b) {
        len +=
            snprintf(text + len, sizeof text - (size_t)len, "ccx q[%d],q[%d],q[%d];\n", a, b, cc);
      }
    }
  }
  tsr_circuit *c = parse(text);
  tsr_sim_result *res[3];
  for (int v = 0; v < 3; v++) {
    tsr_sim_options o;
    tsr_sim_options_init(&o);
    o.backend = TSR_BACKEND_STATEVEC;
    o.shots = 1;
    o.fusion = v > 0;
    o.fusion_max_qubits = v == 1 ? 2 : 4;
    o.want_statevector = 1;
    tsr_error err;
    assert_ok(tsr_sim_run(c, &o, &res[v], &err), &err);
  }
  for (int v = 1; v < 3; v++) {
    const double e = max_diff(res[0]->amplitudes, res[v]->amplitudes, res[0]->namplitudes);
    if (!(e <= 1e-11)) fail_msg("blocked run %d differs by %g", v, e);
  }
  for (int v = 0; v < 3; v++) tsr_sim_result_free(res[v]);
  tsr_circuit_free(c);
}

/* Nine qubits make rho an 18-qubit vector: the density matrix then runs its
 * gates and noise superoperators in cache blocks too. Blocked, unblocked and
 * trajectories must give one distribution. */
static void density_matrix_blocks_agree(void **state) {
  (void)state;
  tsr_rng r;
  tsr_rng_seed(&r, 77, 0);
  static char text[1 << 14];
  const int n = 9;
  int len = snprintf(text, sizeof text,
                     "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[%d];\ncreg c[%d];\n", n, n);
  static const char *g1[] = {"h", "t", "sx", "rx(0.3)", "u3(0.1,0.2,0.3)", "ry(1.9)"};
  static const char *g2[] = {"cx", "cz", "rzz(0.9)", "cp(0.4)", "swap"};
  for (int i = 0; i < 60; i++) {
    int a = (int)tsr_rng_below(&r, n), b = (int)tsr_rng_below(&r, n - 1);
    if (b >= a) b++;
    if (tsr_rng_below(&r, 2)) {
      len += snprintf(text + len, sizeof text - (size_t)len, "%s q[%d];\n",
                      g1[tsr_rng_below(&r, 6)], a);
    } else {
      len += snprintf(text + len, sizeof text - (size_t)len, "%s q[%d],q[%d];\n",
                      g2[tsr_rng_below(&r, 5)], a, b);
    }
  }
  snprintf(text + len, sizeof text - (size_t)len, "measure q -> c;\n");
  tsr_circuit *c = parse(text);
  const char *yaml = "gates:\n  - gates: [h, t, sx, rx, u3, ry, cx, rzz]\n    depolarizing: 0.02\n"
                     "  - gates: [h, ry, cz]\n    amplitude_damping: 0.05\n";
  tsr_noise_model *nm = NULL;
  tsr_error err;
  assert_ok(tsr_noise_model_load_string(yaml, strlen(yaml), "n.yaml", &nm, &err), &err);
  tsr_sim_result *blocked = run(c, TSR_BACKEND_DENSMAT, 20000, 1, nm, 0);
  tsr_sim_options o;
  tsr_sim_options_init(&o);
  o.backend = TSR_BACKEND_DENSMAT;
  o.shots = 20000;
  o.seed = 2;
  o.noise = nm;
  o.fusion = 0;
  tsr_sim_result *plain = NULL;
  assert_ok(tsr_sim_run(c, &o, &plain, &err), &err);
  assert_same_distribution(blocked, plain, "blocked vs unblocked density matrix");
  tsr_sim_result *traj = run(c, TSR_BACKEND_STATEVEC, 20000, 3, nm, 0);
  assert_same_distribution(blocked, traj, "blocked density matrix vs trajectories");
  tsr_sim_result_free(blocked);
  tsr_sim_result_free(plain);
  tsr_sim_result_free(traj);
  tsr_noise_model_free(nm);
  tsr_circuit_free(c);
}

static void refusals(void **state) {
  (void)state;
  tsr_error err;
  tsr_sim_options o;
  tsr_sim_options_init(&o);
  tsr_sim_result *r = NULL;
  tsr_circuit *c = parse("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nt q[0];\n");
  o.backend = TSR_BACKEND_STABILIZER;
  assert_int_equal(tsr_sim_run(c, &o, &r, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "not a Clifford"));
  assert_non_null(strstr(err.message, "q[0]"));
  o.backend = TSR_BACKEND_DENSMAT;
  o.want_statevector = 1;
  assert_int_equal(tsr_sim_run(c, &o, &r, &err), TSR_ERR_VALUE);
  o.want_statevector = 0;
  o.shots = 0;
  assert_int_equal(tsr_sim_run(c, &o, &r, &err), TSR_ERR_VALUE);
  tsr_circuit_free(c);
  c = parse("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nopaque magic a;\nqreg q[2];\nmagic q[1];\n");
  tsr_sim_options_init(&o);
  assert_int_equal(tsr_sim_run(c, &o, &r, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "magic"));
  tsr_circuit_free(c);
  c = parse("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[45];\nh q[0];\nt q[0];\n");
  tsr_sim_options_init(&o);
  assert_int_equal(tsr_sim_run(c, &o, &r, &err), TSR_ERR_LIMIT);
  assert_non_null(strstr(err.message, "45 qubits"));
  /* but a Clifford circuit of that size runs on the tableau */
  tsr_circuit_free(c);
  c = parse("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[45];\ncreg c[45];\nh q[0];\n"
            "cx q[0],q[44];\nmeasure q -> c;\n");
  assert_ok(tsr_sim_run(c, &o, &r, &err), &err);
  assert_int_equal(r->ncounts, 2);
  tsr_sim_result_free(r);
  tsr_circuit_free(c);
  /* a Pauli-only noise model must be Pauli for the stabilizer backend */
  tsr_noise_model *nm = NULL;
  const char *y = "gates:\n  - {gates: h, amplitude_damping: 0.1}\n";
  assert_ok(tsr_noise_model_load_string(y, strlen(y), "n.yaml", &nm, &err), &err);
  c = parse(BELL);
  o.noise = nm;
  o.backend = TSR_BACKEND_STABILIZER;
  assert_int_equal(tsr_sim_run(c, &o, &r, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "amplitude_damping"));
  o.backend = TSR_BACKEND_AUTO;
  assert_ok(tsr_sim_run(c, &o, &r, &err), &err);
  assert_int_equal(r->backend, TSR_BACKEND_STATEVEC);
  tsr_sim_result_free(r);
  tsr_circuit_free(c);
  tsr_noise_model_free(nm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bell_on_every_backend),
      cmocka_unit_test(ghz_and_implicit_measurement),
      cmocka_unit_test(qft_on_basis_states),
      cmocka_unit_test(teleportation_with_feed_forward),
      cmocka_unit_test(backends_agree_on_random_clifford_circuits),
      cmocka_unit_test(trajectories_agree_with_density_matrix),
      cmocka_unit_test(pauli_noise_on_the_stabilizer),
      cmocka_unit_test(fusion_does_not_change_the_state),
      cmocka_unit_test(cache_blocking_matches_gate_by_gate),
      cmocka_unit_test(density_matrix_blocks_agree),
      cmocka_unit_test(refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
