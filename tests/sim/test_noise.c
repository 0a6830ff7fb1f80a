/* Noise model: the YAML form (every section, units, complex Kraus entries),
 * errors with file:line:col, rule matching, channel validation. */
#include <stdlib.h>
#include <string.h>

#include "sim_test_util.h"

typedef struct seen {
  char names[16][64];
  unsigned widths[16];
  uint32_t first[16];
  int n;
} seen;

static tsr_status record(const tsr_channel *ch, const uint32_t *q, uint32_t nq, void *user) {
  seen *s = user;
  if (s->n < 16) {
    snprintf(s->names[s->n], sizeof s->names[0], "%s", tsr_channel_name(ch));
    s->widths[s->n] = nq;
    s->first[s->n] = q[0];
    s->n++;
  }
  return TSR_OK;
}

static const char *GOOD = "# a noise description\n"
                          "gates:\n"
                          "  - gates: [h, sx]\n"
                          "    qubits: [0, 1]\n"
                          "    depolarizing: 0.001\n"
                          "    amplitude_damping: 2e-4\n"
                          "  - gates: all\n"
                          "    pauli: {x: 0.001, z: 0.002}\n"
                          "  - gate: cx\n"
                          "    depolarizing: 0.01\n"
                          "    thermal_relaxation: {t1: 100us, t2: 80us, time: 300 ns}\n"
                          "  - gates: rz\n"
                          "    kraus:\n"
                          "      - [[1, 0], [0, [0.8, 0.0]]]\n"
                          "      - [[0, 0.6], [0, 0]]\n"
                          "readout:\n"
                          "  - {qubits: all, p01: 0.01, p10: 0.02}\n"
                          "  - {qubits: 3, p01: 0.1, p10: 0.2}\n"
                          "relaxation:\n"
                          "  - {qubits: [0, 1], t1: 50e-6, t2: 70us}\n"
                          "durations:\n"
                          "  default: 40ns\n"
                          "  cx: 0.3us\n"
                          "  measure: 1 us\n";

static void loads_every_section(void **state) {
  (void)state;
  tsr_error err;
  tsr_noise_model *nm = NULL;
  assert_ok(tsr_noise_model_load_string(GOOD, strlen(GOOD), "good.yaml", &nm, &err), &err);
  assert_false(tsr_noise_model_is_empty(nm));
  assert_false(tsr_noise_model_is_pauli(nm));
  seen s = {0};
  const uint32_t q0 = 0, q5 = 5, q01[2] = {1, 0}, q23[2] = {2, 3};
  assert_ok(tsr_noise_model_visit_gate(nm, TSR_GATE_H, &q0, 1, record, &s), &err);
  assert_int_equal(s.n, 3);
  assert_string_equal(s.names[0], "depolarizing");
  assert_string_equal(s.names[1], "amplitude_damping");
  assert_string_equal(s.names[2], "pauli");
  memset(&s, 0, sizeof s);
  assert_ok(tsr_noise_model_visit_gate(nm, TSR_GATE_H, &q5, 1, record, &s), &err);
  assert_int_equal(s.n, 1); /* qubit 5 is outside the first rule's set */
  memset(&s, 0, sizeof s);
  assert_ok(tsr_noise_model_visit_gate(nm, TSR_GATE_CX, q23, 2, record, &s), &err);
  /* pauli on each operand, the 2-qubit depolarizing, thermal on each operand */
  assert_int_equal(s.n, 5);
  assert_int_equal(s.widths[0], 1);
  assert_int_equal(s.first[1], 3);
  assert_string_equal(s.names[2], "depolarizing");
  assert_int_equal(s.widths[2], 2);
  assert_string_equal(s.names[3], "thermal_relaxation");
  memset(&s, 0, sizeof s);
  assert_ok(tsr_noise_model_visit_gate(nm, TSR_GATE_CX, q01, 2, record, &s), &err);
  assert_int_equal(s.n, 5);
  memset(&s, 0, sizeof s);
  assert_ok(tsr_noise_model_visit_gate(nm, TSR_GATE_RZ, &q5, 1, record, &s), &err);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.names[1], "kraus");
  double p01, p10, t1, t2;
  tsr_noise_model_readout(nm, 0, &p01, &p10);
  assert_close(p01, 0.01, 0);
  assert_close(p10, 0.02, 0);
  tsr_noise_model_readout(nm, 3, &p01, &p10);
  assert_close(p10, 0.2, 0);
  assert_true(tsr_noise_model_relaxation(nm, 1, &t1, &t2));
  assert_close(t1, 50e-6, 1e-18);
  assert_close(t2, 70e-6, 1e-18);
  assert_false(tsr_noise_model_relaxation(nm, 2, &t1, &t2));
  assert_close(tsr_noise_model_duration(nm, TSR_GATE_CX), 0.3e-6, 1e-18);
  assert_close(tsr_noise_model_duration(nm, TSR_GATE_H), 40e-9, 1e-20);
  assert_close(tsr_noise_model_duration(nm, TSR_OP_MEASURE), 1e-6, 1e-18);
  tsr_noise_model_free(nm);
}

static void expect_error(const char *yaml, int line, const char *needle) {
  tsr_error err;
  tsr_error_clear(&err);
  tsr_noise_model *nm = NULL;
  tsr_status st = tsr_noise_model_load_string(yaml, strlen(yaml), "bad.yaml", &nm, &err);
  if (st == TSR_OK) fail_msg("accepted: %s", yaml);
  assert_null(nm);
  assert_int_equal(st, TSR_ERR_INPUT);
  assert_string_equal(err.file, "bad.yaml");
  if (err.line != line) fail_msg("line %d, not %d: %s", err.line, line, err.message);
  assert_true(err.col >= 1);
  if (!strstr(err.message, needle)) fail_msg("'%s' lacks '%s'", err.message, needle);
}

static void errors_point_at_the_input(void **state) {
  (void)state;
  expect_error("gates:\n  - gates: h\n    depolarising: 0.1\n", 3, "unknown key 'depolarising'");
  expect_error("gates:\n  - gates: [h, frob]\n    depolarizing: 0.1\n", 2, "unknown gate 'frob'");
  expect_error("gates:\n  - gates: h\n    depolarizing: 2.5\n", 3, "outside");
  expect_error("gates:\n  - gates: h\n    amplitude_damping: abc\n", 3, "not a number");
  expect_error("gates:\n  - gates: h\n    kraus: [[[1, 0], [0, 1]], [[0, 1], [1, 0]]]\n", 3,
               "not trace preserving");
  expect_error("gates:\n  - gates: h\n    thermal_relaxation: {t1: 10us, t2: 30us, time: 1us}\n", 3,
               "T2");
  expect_error("readout:\n  - {qubits: all, p01: 1.5, p10: 0}\n", 2, "[0, 1]");
  expect_error("durations:\n  cx: 3 weeks\n", 2, "unknown time unit");
  expect_error("gates: [\n  - a: b\n", 2, "YAML syntax error");
  expect_error("colour: blue\n", 1, "unknown key 'colour'");
  expect_error("- 1\n- 2\n", 1, "mapping");
}

static void api_rules_and_widths(void **state) {
  (void)state;
  tsr_error err;
  tsr_noise_model *nm = tsr_noise_model_new(&err);
  assert_true(tsr_noise_model_is_empty(nm));
  assert_true(tsr_noise_model_is_pauli(nm));
  tsr_channel *d1 = tsr_channel_depolarizing(1, 0.1, &err);
  tsr_channel *d2 = tsr_channel_depolarizing(2, 0.1, &err);
  assert_ok(tsr_noise_model_add_gate_channel(nm, TSR_GATE_NONE, NULL, 0, d1, &err), &err);
  assert_ok(tsr_noise_model_add_gate_channel(nm, TSR_GATE_NONE, NULL, 0, d2, &err), &err);
  assert_true(tsr_noise_model_is_pauli(nm));
  seen s = {0};
  const uint32_t q[3] = {4, 5, 6};
  assert_ok(tsr_noise_model_visit_gate(nm, TSR_GATE_CX, q, 2, record, &s), &err);
  assert_int_equal(s.n, 1);
  assert_int_equal(s.widths[0], 2);
  memset(&s, 0, sizeof s);
  assert_ok(tsr_noise_model_visit_gate(nm, TSR_GATE_CCX, q, 3, record, &s), &err);
  assert_int_equal(s.n, 3); /* 1-qubit depolarizing on each operand of a 3-qubit gate */
  assert_int_equal(tsr_noise_model_add_gate_channel(nm, TSR_OP_MEASURE, NULL, 0, d1, &err),
                   TSR_ERR_VALUE);
  assert_ok(tsr_noise_model_set_relaxation(nm, -1, 1e-4, 1e-4, &err), &err);
  assert_false(tsr_noise_model_is_pauli(nm));
  assert_int_equal(tsr_noise_model_set_relaxation(nm, 0, 1e-4, 3e-4, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_noise_model_set_duration(nm, TSR_GATE_H, -1, &err), TSR_ERR_VALUE);
  tsr_channel_free(d1);
  tsr_channel_free(d2);
  tsr_noise_model_free(nm);
  /* channels: Kraus validation and classification */
  const double complex x[4] = {0, 1, 1, 0};
  tsr_channel *u = tsr_channel_kraus(1, 1, x, "flip", &err);
  assert_non_null(u);
  double probs[4];
  assert_true(tsr_channel_is_pauli(u, probs));
  assert_close(probs[1], 1, 1e-15);
  double complex sup[16];
  tsr_channel_superop(u, sup);
  assert_close(creal(sup[0 * 4 + 3]), 1, 0); /* rho'(0,0) = rho(1,1) */
  tsr_channel_free(u);
  const double bad[4] = {0.5, 0.5, 0.5, -0.5};
  assert_null(tsr_channel_pauli(1, bad, &err));
  assert_null(tsr_channel_amplitude_damping(1.2, &err));
  const double complex nan[4] = {NAN, 0, 0, 1};
  assert_null(tsr_channel_kraus(1, 1, nan, "nan", &err));
}

static void loads_from_a_file(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/sim_noise_test.yaml", TSR_BINARY_DIR);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(GOOD, f);
  fclose(f);
  tsr_error err;
  tsr_noise_model *nm = NULL;
  assert_ok(tsr_noise_model_load_file(path, &nm, &err), &err);
  tsr_noise_model_free(nm);
  remove(path);
  assert_int_equal(tsr_noise_model_load_file("/nonexistent/noise.yaml", &nm, &err), TSR_ERR_IO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(loads_every_section),
      cmocka_unit_test(errors_point_at_the_input),
      cmocka_unit_test(api_rules_and_widths),
      cmocka_unit_test(loads_from_a_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
