/* OpenQASM writer: exact text of small circuits in 2.0 and 3, condition
 * values wider than 64 bits, version choice and its failure, gate
 * definitions checked against the catalogue's matrices, and round trips
 * (read -> write -> read gives an identical circuit) over every gate of the
 * catalogue and every QASMBench and pytket-dqc circuit in both versions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "circuit/qasm_gatedefs.h"
#include "tessera/circuit.h"
#include "tsr_test.h"

/* ------------------------------------------------------------- helpers */

static tsr_circuit *new_circuit(uint32_t nq, uint32_t nc) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_non_null(c);
  if (nq) assert_ok(tsr_circuit_add_qreg(c, "q", nq, NULL, &err), &err);
  if (nc) assert_ok(tsr_circuit_add_creg(c, "c", nc, NULL, &err), &err);
  return c;
}

static void gate(tsr_circuit *c, tsr_gate k, const uint32_t *q, uint32_t nq, const double *p,
                 uint32_t np) {
  tsr_error err;
  assert_ok(tsr_circuit_append_gate(c, k, q, nq, p, np, &err), &err);
}

static char *write_text(const tsr_circuit *c, tsr_qasm_version v) {
  tsr_error err;
  char *text = NULL;
  assert_ok(tsr_qasm_write_string(c, v, &text, &err), &err);
  assert_non_null(text);
  return text;
}

static tsr_circuit *bell(void) {
  tsr_circuit *c = new_circuit(2, 2);
  tsr_error err;
  uint32_t q0 = 0, q01[2] = {0, 1};
  gate(c, TSR_GATE_H, &q0, 1, NULL, 0);
  gate(c, TSR_GATE_CX, q01, 2, NULL, 0);
  assert_ok(tsr_circuit_append_measure(c, 0, 0, &err), &err);
  assert_ok(tsr_circuit_append_measure(c, 1, 1, &err), &err);
  return c;
}

/* Reads text back and checks it equals c exactly (parameters bit for bit). */
static void assert_reads_back(const tsr_circuit *c, const char *text, const char *what) {
  tsr_error err;
  tsr_circuit *back = NULL;
  tsr_status st = tsr_qasm_read_string(text, strlen(text), what, &back, &err);
  if (st != TSR_OK) {
    char buf[1024];
    fail_msg("%s: writer output does not read back: %s", what,
             tsr_error_format(&err, buf, sizeof buf));
  }
  if (!tsr_circuit_equal(c, back, 0.0)) {
    size_t i = 0;
    while (i < c->nops && i < back->nops && c->ops[i].kind == back->ops[i].kind) i++;
    fail_msg("%s: round trip differs (%zu vs %zu ops, first kind difference at op %zu: %s vs %s)",
             what, c->nops, back->nops, i, i < c->nops ? tsr_gate_get(c->ops[i].kind)->name : "end",
             i < back->nops ? tsr_gate_get(back->ops[i].kind)->name : "end");
  }
  tsr_circuit_free(back);
}

/* ---------------------------------------------------------- exact text */

static void bell_qasm2_text(void **state) {
  (void)state;
  tsr_circuit *c = bell();
  assert_int_equal(tsr_qasm_min_version(c), TSR_QASM_2);
  char *auto_text = write_text(c, TSR_QASM_AUTO), *text = write_text(c, TSR_QASM_2);
  assert_string_equal(text, "OPENQASM 2.0;\n"
                            "include \"qelib1.inc\";\n"
                            "qreg q[2];\n"
                            "creg c[2];\n"
                            "h q[0];\n"
                            "cx q[0], q[1];\n"
                            "measure q[0] -> c[0];\n"
                            "measure q[1] -> c[1];\n");
  assert_string_equal(auto_text, text);
  free(auto_text);
  free(text);
  tsr_circuit_free(c);
}

static void bell_qasm3_text(void **state) {
  (void)state;
  tsr_circuit *c = bell();
  char *text = write_text(c, TSR_QASM_3);
  assert_string_equal(text, "OPENQASM 3.0;\n"
                            "include \"stdgates.inc\";\n"
                            "qubit[2] q;\n"
                            "bit[2] c;\n"
                            "h q[0];\n"
                            "cx q[0], q[1];\n"
                            "c[0] = measure q[0];\n"
                            "c[1] = measure q[1];\n");
  free(text);
  tsr_circuit_free(c);
}

static void file_output_matches_string(void **state) {
  (void)state;
  tsr_circuit *c = bell();
  tsr_error err;
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_ok(tsr_qasm_write(c, f, TSR_QASM_3, &err), &err);
  rewind(f);
  char *from_file = NULL;
  size_t len = 0;
  assert_ok(tsr_read_stream(f, &from_file, &len, &err), &err);
  fclose(f);
  char *text = write_text(c, TSR_QASM_3);
  assert_string_equal(from_file, text);
  free(from_file);
  free(text);
  tsr_circuit_free(c);
}

static void write_failure_is_an_io_error(void **state) {
  (void)state;
  FILE *full = fopen("/dev/full", "w");
  if (!full) skip();
  tsr_circuit *c = bell();
  tsr_error err;
  assert_int_equal(tsr_qasm_write(c, full, TSR_QASM_2, &err), TSR_ERR_IO);
  assert_non_null(strstr(err.message, "cannot write"));
  fclose(full);
  tsr_circuit_free(c);
}

static void registers_reset_barrier_and_params(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_ok(tsr_circuit_add_qreg(c, "anc", 1, NULL, &err), &err);
  assert_ok(tsr_circuit_add_qreg(c, "data", 3, NULL, &err), &err);
  assert_ok(tsr_circuit_add_creg(c, "m", 1, NULL, &err), &err);
  uint32_t q1 = 1, q3 = 3;
  double p[3] = {M_PI / 2, -3 * M_PI / 4, 0.1};
  gate(c, TSR_GATE_RZ, &q1, 1, &p[0], 1);
  gate(c, TSR_GATE_U3, &q3, 1, p, 3);
  double tiny = 1e-300, big = 2 * M_PI;
  gate(c, TSR_GATE_RX, &q1, 1, &tiny, 1);
  gate(c, TSR_GATE_RY, &q1, 1, &big, 1);
  assert_ok(tsr_circuit_append_reset(c, 0, &err), &err);
  uint32_t all[4] = {1, 2, 3, 0}, some[2] = {2, 0};
  assert_ok(tsr_circuit_append_barrier(c, all, 4, &err), &err);
  assert_ok(tsr_circuit_append_barrier(c, some, 2, &err), &err);
  assert_ok(tsr_circuit_append_measure(c, 0, 0, &err), &err);
  char *text = write_text(c, TSR_QASM_AUTO);
  assert_string_equal(text, "OPENQASM 2.0;\n"
                            "include \"qelib1.inc\";\n"
                            "qreg anc[1];\n"
                            "qreg data[3];\n"
                            "creg m[1];\n"
                            "rz(pi/2) data[0];\n"
                            "u3(pi/2, -3*pi/4, 0.1) data[2];\n"
                            "rx(1e-300) data[0];\n"
                            "ry(2*pi) data[0];\n"
                            "reset anc[0];\n"
                            "barrier data, anc[0];\n"
                            "barrier data[1], anc[0];\n"
                            "measure anc[0] -> m[0];\n");
  free(text);
  tsr_circuit_free(c);
}

/* ----------------------------------------------------------- conditions */

static void wide_condition_value(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = new_circuit(1, 0);
  assert_ok(tsr_circuit_add_creg(c, "big", 200, NULL, &err), &err);
  assert_ok(tsr_circuit_add_creg(c, "w", 64, NULL, &err), &err);
  uint32_t q = 0;
  /* 2^129 + 12345 and 2^64 - 1 and 0 */
  uint64_t v1[3] = {12345, 0, 2}, v2[1] = {UINT64_MAX}, zero[1] = {0};
  gate(c, TSR_GATE_X, &q, 1, NULL, 0);
  assert_ok(tsr_circuit_condition_last(c, 0, 0, v1, 3, &err), &err);
  gate(c, TSR_GATE_X, &q, 1, NULL, 0);
  assert_ok(tsr_circuit_condition_last(c, 1, 0, v2, 1, &err), &err);
  gate(c, TSR_GATE_X, &q, 1, NULL, 0);
  assert_ok(tsr_circuit_condition_last(c, 0, 0, zero, 1, &err), &err);
  /* 10^19 exactly: one past what nine-digit chunks of a single word hold */
  uint64_t v3[2] = {UINT64_C(10000000000000000000), 0};
  gate(c, TSR_GATE_X, &q, 1, NULL, 0);
  assert_ok(tsr_circuit_condition_last(c, 0, 0, v3, 2, &err), &err);
  /* 2^128 = 340282366920938463463374607431768211456 */
  uint64_t v4[3] = {0, 0, 1};
  gate(c, TSR_GATE_X, &q, 1, NULL, 0);
  assert_ok(tsr_circuit_condition_last(c, 0, 0, v4, 3, &err), &err);
  char *text = write_text(c, TSR_QASM_AUTO);
  assert_non_null(strstr(text, "OPENQASM 2.0;\n"));
  assert_non_null(strstr(text, "\nif(big==680564733841876926926749214863536435257) x q[0];\n"));
  assert_non_null(strstr(text, "\nif(w==18446744073709551615) x q[0];\n"));
  assert_non_null(strstr(text, "\nif(big==0) x q[0];\n"));
  assert_non_null(strstr(text, "\nif(big==10000000000000000000) x q[0];\n"));
  assert_non_null(strstr(text, "\nif(big==340282366920938463463374607431768211456) x q[0];\n"));
  free(text);
  text = write_text(c, TSR_QASM_3);
  assert_non_null(
      strstr(text, "\nif (big == 680564733841876926926749214863536435257) { x q[0]; }\n"));
  assert_reads_back(c, text, "wide.qasm");
  free(text);
  tsr_circuit_free(c);
}

static tsr_circuit *single_bit_condition(void) {
  tsr_error err;
  tsr_circuit *c = new_circuit(2, 2);
  assert_ok(tsr_circuit_append_measure(c, 0, 1, &err), &err);
  uint32_t q = 1;
  uint64_t one = 1, zero = 0;
  gate(c, TSR_GATE_X, &q, 1, NULL, 0);
  assert_ok(tsr_circuit_condition_last(c, -1, 1, &one, 1, &err), &err);
  gate(c, TSR_GATE_Z, &q, 1, NULL, 0);
  assert_ok(tsr_circuit_condition_last(c, -1, 0, &zero, 1, &err), &err);
  assert_ok(tsr_circuit_append_measure(c, 1, 0, &err), &err);
  assert_ok(tsr_circuit_condition_last(c, 0, 0, &one, 1, &err), &err);
  return c;
}

static void single_bit_condition_needs_qasm3(void **state) {
  (void)state;
  tsr_circuit *c = single_bit_condition();
  assert_int_equal(tsr_qasm_min_version(c), TSR_QASM_3);
  char *text = write_text(c, TSR_QASM_AUTO);
  assert_string_equal(text, "OPENQASM 3.0;\n"
                            "include \"stdgates.inc\";\n"
                            "qubit[2] q;\n"
                            "bit[2] c;\n"
                            "c[1] = measure q[0];\n"
                            "if (c[1] == 1) { x q[1]; }\n"
                            "if (c[0] == 0) { z q[1]; }\n"
                            "if (c == 1) { c[0] = measure q[1]; }\n");
  assert_reads_back(c, text, "bit.qasm");
  free(text);
  tsr_circuit_free(c);
}

static void forced_qasm2_fails_on_single_bit_condition(void **state) {
  (void)state;
  tsr_circuit *c = single_bit_condition();
  tsr_error err;
  char *text = (char *)"untouched";
  assert_int_equal(tsr_qasm_write_string(c, TSR_QASM_2, &text, &err), TSR_ERR_UNSUPPORTED);
  assert_null(text);
  assert_non_null(strstr(err.message, "OpenQASM 2.0 cannot condition on a single classical bit"));
  assert_non_null(strstr(err.message, "c[1]"));
  /* Nothing reaches a file either. */
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(tsr_qasm_write(c, f, TSR_QASM_2, &err), TSR_ERR_UNSUPPORTED);
  assert_int_equal(ftell(f), 0);
  fclose(f);
  tsr_circuit_free(c);
}

/* ------------------------------------------------- definitions, opaque */

static void definitions_for_missing_gates(void **state) {
  (void)state;
  tsr_circuit *c = new_circuit(5, 0);
  uint32_t q[5] = {0, 1, 2, 3, 4};
  double phi = 0.25;
  gate(c, TSR_GATE_GPI, q, 1, &phi, 1);
  gate(c, TSR_GATE_RZZ, q, 2, &phi, 1);
  gate(c, TSR_GATE_C4X, q, 5, NULL, 0);
  char *v2 = write_text(c, TSR_QASM_2), *v3 = write_text(c, TSR_QASM_3);
  /* gpi is in neither include file; rzz and c4x are in qelib1.inc only. */
  assert_non_null(strstr(v2, "\ngate gpi(phi) a {\n  U(pi, phi, pi - phi) a;\n}\n"));
  assert_non_null(strstr(v3, "\ngate gpi(phi) a {\n  U(pi, phi, pi - phi) a;\n}\n"));
  assert_null(strstr(v2, "gate rzz"));
  assert_null(strstr(v2, "gate c4x"));
  assert_non_null(
      strstr(v3, "\ngate rzz(theta) a, b {\n  cx a, b;\n  rz(theta) b;\n  cx a, b;\n}\n"));
  /* c4x needs cu1, rc3x, rc3xdg and c3sqrtx, defined before it. */
  const char *c4x = strstr(v3, "gate c4x a, b, c, d, e {");
  assert_non_null(c4x);
  const char *deps[] = {"gate cu1(lam) a, b {", "gate rc3x a, b, c, d {",
                        "gate rc3xdg a, b, c, d {", "gate c3sqrtx a, b, c, d {"};
  for (size_t i = 0; i < 4; i++) {
    const char *at = strstr(v3, deps[i]);
    assert_non_null(at);
    assert_true(at < c4x);
  }
  assert_non_null(strstr(v3, "  u1(lam/2) a;\n  cx a, b;\n  u1(-lam/2) b;\n"));
  assert_non_null(strstr(v3, "\ngpi(0.25) q[0];\nrzz(0.25) q[0], q[1];\nc4x q[0], q[1], q[2], "
                             "q[3], q[4];\n"));
  assert_reads_back(c, v2, "defs2.qasm");
  assert_reads_back(c, v3, "defs3.qasm");
  free(v2);
  free(v3);
  tsr_circuit_free(c);
}

static void u_is_builtin_in_qasm3(void **state) {
  (void)state;
  tsr_circuit *c = new_circuit(1, 0);
  uint32_t q = 0;
  double p[3] = {1, 2, 3};
  gate(c, TSR_GATE_U, &q, 1, p, 3);
  char *v2 = write_text(c, TSR_QASM_2), *v3 = write_text(c, TSR_QASM_3);
  assert_non_null(strstr(v2, "\nu(1, 2, 3) q[0];\n"));
  assert_non_null(strstr(v3, "\nU(1, 2, 3) q[0];\n"));
  assert_null(strstr(v3, "gate "));
  assert_reads_back(c, v2, "u2.qasm");
  assert_reads_back(c, v3, "u3.qasm");
  free(v2);
  free(v3);
  tsr_circuit_free(c);
}

static void opaque_declarations(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = new_circuit(3, 1);
  uint32_t q[3] = {2, 0, 1};
  double p[2] = {0.5, -1};
  assert_ok(tsr_circuit_append_opaque(c, "mygate", q, 2, p, 2, &err), &err);
  assert_ok(tsr_circuit_append_opaque(c, "other", q, 1, NULL, 0, &err), &err);
  assert_ok(tsr_circuit_append_opaque(c, "mygate", q + 1, 2, p, 2, &err), &err);
  uint64_t one = 1;
  assert_ok(tsr_circuit_condition_last(c, 0, 0, &one, 1, &err), &err);
  char *v2 = write_text(c, TSR_QASM_2);
  assert_string_equal(v2, "OPENQASM 2.0;\n"
                          "include \"qelib1.inc\";\n"
                          "opaque mygate(p0, p1) a, b;\n"
                          "opaque other a;\n"
                          "qreg q[3];\n"
                          "creg c[1];\n"
                          "mygate(0.5, -1) q[2], q[0];\n"
                          "other q[2];\n"
                          "if(c==1) mygate(0.5, -1) q[0], q[1];\n");
  assert_reads_back(c, v2, "opaque2.qasm");
  char *v3 = write_text(c, TSR_QASM_3);
  assert_non_null(strstr(v3, "\nopaque mygate(p0, p1) a, b;\n"));
  assert_non_null(strstr(v3, "\nif (c == 1) { mygate(0.5, -1) q[0], q[1]; }\n"));
  assert_reads_back(c, v3, "opaque3.qasm");
  free(v2);
  free(v3);
  /* One signature per name. */
  assert_ok(tsr_circuit_append_opaque(c, "mygate", q, 3, p, 2, &err), &err);
  char *text = NULL;
  assert_int_equal(tsr_qasm_write_string(c, TSR_QASM_AUTO, &text, &err), TSR_ERR_UNSUPPORTED);
  assert_non_null(strstr(err.message, "mygate"));
  tsr_circuit_free(c);
  /* Opaque names must be identifiers and not catalogue gates. */
  c = new_circuit(1, 0);
  assert_ok(tsr_circuit_append_opaque(c, "bad name", q + 1, 1, NULL, 0, &err), &err);
  assert_int_equal(tsr_qasm_write_string(c, TSR_QASM_AUTO, &text, &err), TSR_ERR_UNSUPPORTED);
  tsr_circuit_free(c);
  c = new_circuit(1, 0);
  assert_ok(tsr_circuit_append_opaque(c, "gpi", q + 1, 1, NULL, 0, &err), &err);
  assert_int_equal(tsr_qasm_write_string(c, TSR_QASM_AUTO, &text, &err), TSR_ERR_UNSUPPORTED);
  tsr_circuit_free(c);
}

static void register_names_are_checked(void **state) {
  (void)state;
  tsr_error err;
  char *text = NULL;
  /* "qubit" is a keyword of OpenQASM 3 only. */
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_ok(tsr_circuit_add_qreg(c, "qubit", 1, NULL, &err), &err);
  assert_ok(tsr_qasm_write_string(c, TSR_QASM_2, &text, &err), &err);
  free(text);
  assert_int_equal(tsr_qasm_write_string(c, TSR_QASM_3, &text, &err), TSR_ERR_UNSUPPORTED);
  assert_non_null(strstr(err.message, "keyword"));
  tsr_circuit_free(c);
  /* A register named like a standard gate. */
  c = tsr_circuit_new(&err);
  assert_ok(tsr_circuit_add_qreg(c, "h", 1, NULL, &err), &err);
  assert_int_equal(tsr_qasm_write_string(c, TSR_QASM_2, &text, &err), TSR_ERR_UNSUPPORTED);
  tsr_circuit_free(c);
  /* Not an identifier. */
  c = tsr_circuit_new(&err);
  assert_ok(tsr_circuit_add_creg(c, "2c", 1, NULL, &err), &err);
  assert_int_equal(tsr_qasm_write_string(c, TSR_QASM_2, &text, &err), TSR_ERR_UNSUPPORTED);
  tsr_circuit_free(c);
  /* Same name for a quantum and a classical register. */
  c = new_circuit(1, 0);
  assert_ok(tsr_circuit_add_creg(c, "q", 1, NULL, &err), &err);
  assert_int_equal(tsr_qasm_write_string(c, TSR_QASM_3, &text, &err), TSR_ERR_UNSUPPORTED);
  tsr_circuit_free(c);
  /* A barrier on no qubits has no OpenQASM form. */
  c = new_circuit(1, 0);
  assert_ok(tsr_circuit_append_barrier(c, NULL, 0, &err), &err);
  assert_int_equal(tsr_qasm_write_string(c, TSR_QASM_3, &text, &err), TSR_ERR_UNSUPPORTED);
  tsr_circuit_free(c);
  assert_int_equal(tsr_qasm_write_string(NULL, TSR_QASM_3, &text, &err), TSR_ERR_VALUE);
}

/* ------------------------------------------------ definitions are exact */

typedef double complex cplx;

/* Applies a k-qubit gate matrix g (operand j = bit j of its index) on
 * operands ops[] to every column of the n-qubit matrix m (row-major). */
static void apply(cplx *m, unsigned n, const cplx *g, const unsigned *ops, unsigned k) {
  size_t dim = (size_t)1 << n, gd = (size_t)1 << k;
  cplx in[32], out[32];
  for (size_t col = 0; col < dim; col++) {
    for (size_t base = 0; base < dim; base++) {
      int clear = 1;
      for (unsigned j = 0; j < k; j++) clear &= !((base >> ops[j]) & 1);
      if (!clear) continue;
      for (size_t s = 0; s < gd; s++) {
        size_t idx = base;
        for (unsigned j = 0; j < k; j++) idx |= ((s >> j) & 1) << ops[j];
        in[s] = m[idx * dim + col];
      }
      for (size_t r = 0; r < gd; r++) {
        out[r] = 0;
        for (size_t s = 0; s < gd; s++) out[r] += g[r * gd + s] * in[s];
      }
      for (size_t s = 0; s < gd; s++) {
        size_t idx = base;
        for (unsigned j = 0; j < k; j++) idx |= ((s >> j) & 1) << ops[j];
        m[idx * dim + col] = out[s];
      }
    }
  }
}

static void definitions_are_exact(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 2024, 0);
  tsr_error err;
  int checked = 0;
  for (int kind = 1; kind < TSR_GATE_COUNT; kind++) {
    const qasm_gatedef *def = qasm_gatedef_get((tsr_gate)kind);
    const tsr_gate_info *info = tsr_gate_get((tsr_gate)kind);
    if (!def) {
      /* Only the builtin CX, the variadic gr and non-gates lack one. */
      assert_true(kind == TSR_GATE_CX || kind == TSR_GATE_GR || !(info->flags & TSR_GF_UNITARY));
      continue;
    }
    unsigned n = info->nqubits;
    size_t dim = (size_t)1 << n;
    for (int trial = 0; trial < 3; trial++) {
      double params[4] = {0};
      for (unsigned i = 0; i < info->nparams; i++) {
        params[i] = (tsr_rng_uniform(&rng) - 0.5) * 4 * M_PI;
        assert_non_null(def->params[i]);
      }
      cplx m[1024], want[1024], g[1024];
      for (size_t i = 0; i < dim * dim; i++) m[i] = (i / dim == i % dim);
      for (size_t i = 0; i < def->nbody; i++) {
        const qasm_body_op *op = &def->body[i];
        const tsr_gate_info *oi = tsr_gate_get(op->kind);
        assert_non_null(oi);
        assert_true(oi->flags & TSR_GF_UNITARY);
        double p[3];
        for (unsigned j = 0; j < 3; j++) p[j] = qasm_expr_eval(&op->p[j], params);
        unsigned ops[5];
        for (unsigned j = 0; j < oi->nqubits; j++) {
          assert_true(op->q[j] < n);
          ops[j] = op->q[j];
        }
        assert_ok(tsr_gate_matrix(op->kind, p, oi->nqubits, g, &err), &err);
        apply(m, n, g, ops, oi->nqubits);
      }
      assert_ok(tsr_gate_matrix((tsr_gate)kind, params, n, want, &err), &err);
      double worst = 0;
      for (size_t i = 0; i < dim * dim; i++) worst = fmax(worst, cabs(m[i] - want[i]));
      if (worst > 1e-12) {
        fail_msg("definition of %s differs from its matrix by %.3g (exact, phase included)",
                 info->name, worst);
      }
    }
    checked++;
  }
  assert_true(checked >= 55);
}

/* Inserts "_x" after the first "\n<name>" followed by '(' or ' ' at or after
 * from; returns the position after the insertion (NULL if not found). */
static char *rename_at(char **text, size_t from, const char *prefix, const char *name) {
  char pat[64];
  snprintf(pat, sizeof pat, "\n%s%s", prefix, name);
  for (char *at = strstr(*text + from, pat); at; at = strstr(at + 1, pat)) {
    char next = at[strlen(pat)];
    if (next != '(' && next != ' ') continue;
    size_t pos = (size_t)(at - *text) + strlen(pat), len = strlen(*text);
    char *grown = realloc(*text, len + 3);
    assert_non_null(grown);
    memmove(grown + pos + 2, grown + pos, len - pos + 1);
    memcpy(grown + pos, "_x", 2);
    *text = grown;
    return grown + pos + 2;
  }
  return NULL;
}

/* The definitions as text: each written definition, renamed so that the
 * reader cannot recognise it as a catalogue gate, expands to exactly the
 * gate's matrix (phase included). Checks the printing of bodies and
 * parameter expressions, which definitions_are_exact does not see. */
static void written_definitions_expand_exactly(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 99, 0);
  tsr_error err;
  int checked = 0;
  for (int kind = 1; kind < TSR_GATE_COUNT; kind++) {
    const tsr_gate_info *info = tsr_gate_get((tsr_gate)kind);
    if (!(info->flags & TSR_GF_UNITARY)) continue;
    tsr_qasm_version v;
    if (!(info->flags & TSR_GF_STDGATES) && kind != TSR_GATE_U)
      v = TSR_QASM_3;
    else if (!(info->flags & TSR_GF_QELIB1))
      v = TSR_QASM_2;
    else
      continue; /* in both include files: never defined */
    unsigned n = info->nqubits ? info->nqubits : 3;
    tsr_circuit *c = new_circuit(n, 0);
    uint32_t q[5] = {0, 1, 2, 3, 4};
    double params[4];
    for (unsigned i = 0; i < info->nparams; i++) params[i] = (tsr_rng_uniform(&rng) - 0.5) * 9;
    gate(c, (tsr_gate)kind, q, n, params, info->nparams);
    char *text = write_text(c, v);
    char *after = rename_at(&text, 0, "gate ", info->name);
    assert_non_null(after);
    assert_non_null(rename_at(&text, (size_t)(after - text), "", info->name));
    tsr_circuit *back = NULL;
    if (tsr_qasm_read_string(text, strlen(text), info->name, &back, &err) != TSR_OK) {
      char buf[1024];
      fail_msg("%s: %s\n%s", info->name, tsr_error_format(&err, buf, sizeof buf), text);
    }
    size_t dim = (size_t)1 << n;
    cplx m[1024], want[1024], g[1024];
    for (size_t i = 0; i < dim * dim; i++) m[i] = (i / dim == i % dim);
    for (size_t i = 0; i < back->nops; i++) {
      const tsr_op *op = &back->ops[i];
      assert_true(op->kind != (tsr_gate)kind); /* expanded, not recognised */
      unsigned ops[5];
      for (unsigned j = 0; j < op->nqubits; j++) ops[j] = op->qubits[j];
      assert_ok(tsr_gate_matrix(op->kind, op->params, op->nqubits, g, &err), &err);
      apply(m, n, g, ops, op->nqubits);
    }
    assert_ok(tsr_gate_matrix((tsr_gate)kind, params, n, want, &err), &err);
    double worst = 0;
    for (size_t i = 0; i < dim * dim; i++) worst = fmax(worst, cabs(m[i] - want[i]));
    if (worst > 1e-12) {
      fail_msg("written definition of %s differs from its matrix by %.3g:\n%s", info->name, worst,
               text);
    }
    free(text);
    tsr_circuit_free(back);
    tsr_circuit_free(c);
    checked++;
  }
  assert_true(checked >= 25);
}

static void expression_text(void **state) {
  (void)state;
  const char *names[4] = {"theta", "phi", "lam", "gamma"};
  struct {
    qasm_expr e;
    const char *want;
  } cases[] = {
      {{{0, 0, 0, 0}, 1, 0, 1}, "0"},
      {{{0, 0, 0, 0}, 1, -3, 4}, "-3*pi/4"},
      {{{1, 0, 0, 0}, 1, 0, 1}, "theta"},
      {{{-1, 0, 0, 0}, 2, 0, 1}, "-theta/2"},
      {{{0, 1, 1, 0}, 2, 0, 1}, "(phi + lam)/2"},
      {{{0, -1, -1, 0}, 2, 0, 1}, "-(phi + lam)/2"},
      {{{0, -1, 1, 0}, 2, 0, 1}, "(-phi + lam)/2"},
      {{{0, 1, 0, 0}, 1, -1, 2}, "phi - pi/2"},
      {{{0, -1, 0, 0}, 1, 1, 2}, "pi/2 - phi"},
      {{{0, 0, 0, 2}, 1, 1, 1}, "2*gamma + pi"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[64];
    int n = qasm_expr_format(&cases[i].e, names, buf, sizeof buf);
    assert_string_equal(buf, cases[i].want);
    assert_int_equal(n, (int)strlen(cases[i].want));
  }
}

/* ---------------------------------------------------------- round trips */

/* Every catalogue gate with random parameters and scrambled operands, plus
 * measurement, reset, barriers, conditions and opaque gates. */
static tsr_circuit *every_gate(int with_bit_conditions) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_ok(tsr_circuit_add_qreg(c, "q", 4, NULL, &err), &err);
  assert_ok(tsr_circuit_add_qreg(c, "anc", 3, NULL, &err), &err);
  assert_ok(tsr_circuit_add_creg(c, "c", 3, NULL, &err), &err);
  assert_ok(tsr_circuit_add_creg(c, "wide", 70, NULL, &err), &err);
  tsr_rng rng;
  tsr_rng_seed(&rng, 7, 1);
  const uint32_t perm[7] = {5, 2, 6, 0, 3, 1, 4};
  for (int kind = 1; kind < TSR_GATE_COUNT; kind++) {
    const tsr_gate_info *info = tsr_gate_get((tsr_gate)kind);
    if (!(info->flags & TSR_GF_UNITARY)) continue;
    double p[4];
    for (unsigned i = 0; i < info->nparams; i++) p[i] = (tsr_rng_uniform(&rng) - 0.5) * 10;
    uint32_t nq = info->nqubits ? info->nqubits : 3;
    uint32_t q[7];
    for (uint32_t i = 0; i < nq; i++) q[i] = perm[(i + (uint32_t)kind) % 7];
    gate(c, (tsr_gate)kind, q, nq, p, info->nparams);
  }
  double angles[] = {M_PI, -M_PI / 2, 3 * M_PI / 4, 0.1, -0.0, 1e-17, 123456789.125};
  for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++) {
    uint32_t q = (uint32_t)i % 7;
    gate(c, TSR_GATE_RZ, &q, 1, &angles[i], 1);
  }
  uint32_t two[2] = {6, 1};
  double op[1] = {0.75};
  assert_ok(tsr_circuit_append_opaque(c, "blackbox", two, 2, op, 1, &err), &err);
  assert_ok(tsr_circuit_append_measure(c, 3, 2, &err), &err);
  assert_ok(tsr_circuit_append_reset(c, 3, &err), &err);
  uint32_t all[7] = {0, 1, 2, 3, 4, 5, 6}, part[3] = {4, 5, 0};
  assert_ok(tsr_circuit_append_barrier(c, all, 7, &err), &err);
  assert_ok(tsr_circuit_append_barrier(c, part, 3, &err), &err);
  uint64_t v3 = 5, vwide[2] = {UINT64_C(0xfedcba9876543210), 0x3f}, one = 1;
  uint32_t q2 = 2;
  double ang = 0.3;
  gate(c, TSR_GATE_RX, &q2, 1, &ang, 1);
  assert_ok(tsr_circuit_condition_last(c, 0, 0, &v3, 1, &err), &err);
  gate(c, TSR_GATE_CCX, perm, 3, NULL, 0);
  assert_ok(tsr_circuit_condition_last(c, 1, 0, vwide, 2, &err), &err);
  assert_ok(tsr_circuit_append_measure(c, 0, 0, &err), &err);
  assert_ok(tsr_circuit_condition_last(c, 0, 0, &v3, 1, &err), &err);
  assert_ok(tsr_circuit_append_reset(c, 4, &err), &err);
  assert_ok(tsr_circuit_condition_last(c, 1, 0, &one, 1, &err), &err);
  assert_ok(tsr_circuit_append_opaque(c, "blackbox", two, 2, op, 1, &err), &err);
  assert_ok(tsr_circuit_condition_last(c, 0, 0, &one, 1, &err), &err);
  if (with_bit_conditions) {
    gate(c, TSR_GATE_MS, two, 2, angles, 3);
    assert_ok(tsr_circuit_condition_last(c, -1, 71, &one, 1, &err), &err);
  }
  return c;
}

static void every_gate_round_trips(void **state) {
  (void)state;
  tsr_circuit *c2 = every_gate(0), *c3 = every_gate(1);
  char *t2 = write_text(c2, TSR_QASM_2), *t3 = write_text(c2, TSR_QASM_3),
       *t33 = write_text(c3, TSR_QASM_AUTO);
  assert_non_null(strstr(t33, "OPENQASM 3.0;"));
  assert_reads_back(c2, t2, "every2.qasm");
  assert_reads_back(c2, t3, "every3.qasm");
  assert_reads_back(c3, t33, "every3bit.qasm");
  free(t2);
  free(t3);
  free(t33);
  tsr_circuit_free(c2);
  tsr_circuit_free(c3);
}

/* QASMBench files that are not valid OpenQASM: they measure an undeclared
 * register q into an undeclared c (their only register is reg). */
static int is_broken(const char *path) {
  static const char *const broken[] = {"/small/vqe_uccsd_n4.qasm", "/small/vqe_uccsd_n6.qasm",
                                       "/small/vqe_uccsd_n8.qasm"};
  size_t len = strlen(path);
  for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
    size_t k = strlen(broken[i]);
    if (len >= k && strcmp(path + len - k, broken[i]) == 0) return 1;
  }
  return 0;
}

/* read -> write (each version it can take) -> read, identical circuits; and
 * writing the result again gives the same text. */
static void round_trip_folder(const char *relative) {
  char dir[4096];
  TSR_REQUIRE_SHARED(dir, relative);
  char **files = NULL;
  size_t n = tsr_test_list_files(dir, ".qasm", &files);
  assert_true(n > 0);
  size_t written = 0, broken = 0;
  for (size_t i = 0; i < n; i++) {
    tsr_error err;
    tsr_circuit *c = NULL;
    if (is_broken(files[i])) {
      /* Must stay an input error with a location, not a crash or a pass. */
      assert_int_equal(tsr_qasm_read_file(files[i], &c, &err), TSR_ERR_INPUT);
      assert_true(err.line > 0);
      broken++;
      continue;
    }
    if (tsr_qasm_read_file(files[i], &c, &err) != TSR_OK) {
      char buf[1024];
      fail_msg("%s does not read: %s", files[i], tsr_error_format(&err, buf, sizeof buf));
    }
    for (int v = 2; v <= 3; v++) {
      if (v == 2 && tsr_qasm_min_version(c) == TSR_QASM_3) continue;
      char *text = write_text(c, (tsr_qasm_version)v);
      char what[4200];
      snprintf(what, sizeof what, "%s (as OpenQASM %d)", files[i], v);
      assert_reads_back(c, text, what);
      tsr_circuit *back = NULL;
      assert_ok(tsr_qasm_read_string(text, strlen(text), what, &back, &err), &err);
      char *again = write_text(back, (tsr_qasm_version)v);
      if (strcmp(text, again) != 0) fail_msg("%s: writing twice gives different text", what);
      free(again);
      tsr_circuit_free(back);
      free(text);
      written++;
    }
    tsr_circuit_free(c);
  }
  print_message("%s: %zu files, %zu round trips, %zu invalid files skipped\n", relative, n, written,
                broken);
  tsr_test_free_list(files, n);
}

static void round_trip_qasmbench_small(void **state) {
  (void)state;
  round_trip_folder("qasmbench/small");
}

static void round_trip_qasmbench_medium(void **state) {
  (void)state;
  round_trip_folder("qasmbench/medium");
}

static void round_trip_qasmbench_large(void **state) {
  (void)state;
  round_trip_folder("qasmbench/large");
}

static void round_trip_pytket_dqc(void **state) {
  (void)state;
  round_trip_folder("compile/pytket-dqc/circuits");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bell_qasm2_text),
      cmocka_unit_test(bell_qasm3_text),
      cmocka_unit_test(file_output_matches_string),
      cmocka_unit_test(write_failure_is_an_io_error),
      cmocka_unit_test(registers_reset_barrier_and_params),
      cmocka_unit_test(wide_condition_value),
      cmocka_unit_test(single_bit_condition_needs_qasm3),
      cmocka_unit_test(forced_qasm2_fails_on_single_bit_condition),
      cmocka_unit_test(definitions_for_missing_gates),
      cmocka_unit_test(u_is_builtin_in_qasm3),
      cmocka_unit_test(opaque_declarations),
      cmocka_unit_test(register_names_are_checked),
      cmocka_unit_test(definitions_are_exact),
      cmocka_unit_test(written_definitions_expand_exactly),
      cmocka_unit_test(expression_text),
      cmocka_unit_test(every_gate_round_trips),
      cmocka_unit_test(round_trip_qasmbench_small),
      cmocka_unit_test(round_trip_qasmbench_medium),
      cmocka_unit_test(round_trip_qasmbench_large),
      cmocka_unit_test(round_trip_pytket_dqc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
