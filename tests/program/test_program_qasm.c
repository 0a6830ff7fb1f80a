/* Program OpenQASM 3 form: write -> read -> write gives the same text and the
 * same program (every role, conditions on bits and on wide registers, module
 * names that are not identifiers, native gates with definitions); errors
 * carry file:line:col, those of the whole-program checks the line of the
 * operation they are about. */
#include <stdlib.h>
#include <string.h>

#include "tessera/program.h"
#include "tsr_test.h"

static tsr_program_op mk(tsr_program_role role, tsr_gate kind, int32_t module, uint32_t nq,
                         uint32_t q0, uint32_t q1, double start, double duration) {
  tsr_program_op op = tsr_program_op_blank(role, kind, module);
  op.nqubits = nq;
  op.qubits[0] = q0;
  op.qubits[1] = q1;
  op.start_s = start;
  op.duration_s = duration;
  return op;
}

static tsr_program *sample(void) {
  tsr_error err;
  tsr_program *p = tsr_program_new(&err);
  assert_non_null(p);
  snprintf(p->machine, sizeof p->machine, "test \"machine\"");
  assert_ok(tsr_program_add_module(p, "ion-a", 5, 2, NULL, &err), &err);
  assert_ok(tsr_program_add_module(p, "2 sc", 4, 1, NULL, &err), &err);
  assert_ok(tsr_program_add_module(p, "cx", 3, 1, NULL, &err), &err); /* a gate name */
  assert_ok(tsr_program_add_link(p, "ion-a-2 sc", 0, 1, 1.2345678901234567e-3, 0.93, NULL, &err),
            &err);
  assert_ok(tsr_program_add_link(p, "ion-a-cx", 0, 2, 2e-3, 1.0, NULL, &err), &err);
  assert_ok(tsr_program_add_creg(p, "c", 70, 1, NULL, &err), &err);
  assert_ok(tsr_program_add_creg(p, "tsr_scratch", 3, 0, NULL, &err), &err);
  /* EPR ion-a[3] -- 2 sc[3] */
  tsr_program_op e = mk(TSR_PROG_EPR, TSR_GATE_NONE, 0, 2, 3, 5 + 3, 0.0, 1.2345678901234567e-3);
  e.module_to = 1;
  e.link = 0;
  assert_ok(tsr_program_append(p, &e, 0, 0, NULL, 0, &err), &err);
  double ms[3] = {0.1, -0.2, 1.5707963267948966};
  tsr_program_op g = mk(TSR_PROG_CAT_ENTANGLE, TSR_GATE_MS, 0, 2, 0, 3, 1.3e-3, 2e-4);
  g.nparams = 3;
  memcpy(g.params, ms, sizeof ms);
  assert_ok(tsr_program_append(p, &g, 0, 0, NULL, 0, &err), &err);
  tsr_program_op m = mk(TSR_PROG_CAT_ENTANGLE, TSR_OP_MEASURE, 0, 1, 3, 0, 1.5e-3, 1e-4);
  m.clbit = 70;
  assert_ok(tsr_program_append(p, &m, 0, 0, NULL, 0, &err), &err);
  tsr_program_op msg = mk(TSR_PROG_MESSAGE, TSR_GATE_NONE, 0, 0, 0, 0, 1.6e-3, 4.9e-6);
  msg.module_to = 1;
  msg.message_clbit_first = 70;
  msg.message_clbits = 1;
  msg.source_op = 3; /* a message pragma carries its source operation too */
  assert_ok(tsr_program_append(p, &msg, 0, 0, NULL, 0, &err), &err);
  uint64_t one = 1;
  tsr_program_op x = mk(TSR_PROG_CAT_ENTANGLE, TSR_GATE_X, 1, 1, 8, 0, 1.7e-3, 3e-8);
  assert_ok(tsr_program_append(p, &x, -1, 70, &one, 1, &err), &err);
  tsr_program_op gp = mk(TSR_PROG_LOCAL, TSR_GATE_GPI2, 0, 1, 1, 0, 1.7e-3, 1e-5);
  gp.nparams = 1;
  gp.params[0] = -0.75;
  gp.source_op = 12;
  uint64_t wide[2] = {5, 3}; /* c == 3 * 2^64 + 5 */
  assert_ok(tsr_program_append(p, &gp, 0, 0, wide, 2, &err), &err);
  tsr_program_op sw = mk(TSR_PROG_ROUTING, TSR_GATE_SWAP, 1, 2, 5, 6, 1.8e-3, 1e-7);
  assert_ok(tsr_program_append(p, &sw, 0, 0, NULL, 0, &err), &err);
  tsr_program_op mv = mk(TSR_PROG_ROUTING, TSR_GATE_ID, 2, 1, 9, 0, 0.0, 2e-4);
  assert_ok(tsr_program_append(p, &mv, 0, 0, NULL, 0, &err), &err);
  tsr_program_op t = mk(TSR_PROG_TELEPORT, TSR_OP_RESET, 2, 1, 10, 0, 3e-4, 1e-6);
  assert_ok(tsr_program_append(p, &t, 0, 0, NULL, 0, &err), &err);
  tsr_program_op d = mk(TSR_PROG_CAT_DISENTANGLE, TSR_GATE_U3, 1, 1, 8, 0, 1.9e-3, 1e-8);
  d.nparams = 3;
  d.params[0] = 1e-300;
  d.params[1] = 3.0;
  d.params[2] = -2.5e10;
  uint64_t zero = 0;
  assert_ok(tsr_program_append(p, &d, 0, 0, &zero, 1, &err), &err);
  tsr_program_op b = mk(TSR_PROG_LOCAL, TSR_OP_BARRIER, 0, 2, 0, 1, 2e-3, 0);
  assert_ok(tsr_program_append(p, &b, 0, 0, NULL, 0, &err), &err);
  uint32_t ini[3] = {0, 1, 5}, fin[3] = {0, 4, 6};
  assert_ok(tsr_program_set_placement(p, 3, ini, fin, &err), &err);
  p->metrics.ebits = 1;
  p->metrics.remote_gates = 1;
  p->metrics.swaps = 1;
  p->metrics.moves = 1;
  p->metrics.estimated_success = 0.123456789012345678;
  assert_ok(tsr_program_finish(p, &err), &err);
  return p;
}

static char *write_text(const tsr_program *p, size_t *len) {
  tsr_error err;
  char *text = NULL;
  FILE *f = open_memstream(&text, len);
  assert_non_null(f);
  assert_ok(tsr_program_write_qasm(p, f, &err), &err);
  fclose(f);
  return text;
}

static void round_trip(void **state) {
  (void)state;
  tsr_error err;
  tsr_program *p = sample();
  size_t len1, len2;
  char *t1 = write_text(p, &len1);
  /* Identifiers: '2 sc' -> m_2_sc, 'cx' (a gate name) -> cx_1. */
  assert_non_null(strstr(t1, "qubit[4] m_2_sc;"));
  assert_non_null(strstr(t1, "qubit[3] cx_1;"));
  assert_non_null(strstr(t1, "gate epr a, b { h a; cx a, b; }"));
  assert_non_null(strstr(t1, "gate ms(")); /* definition for other tools */
  assert_non_null(strstr(t1, "reset ion_a[3]; reset m_2_sc[3]; epr ion_a[3], m_2_sc[3];"));
  assert_non_null(strstr(t1, "if (tsr_scratch[0] == 1) x m_2_sc[3];"));
  assert_non_null(strstr(t1, "if (c == 0x30000000000000005) gpi2(-0.75) ion_a[1];"));
  assert_non_null(strstr(t1, "#pragma tessera message"));
  assert_non_null(strstr(t1, " bits 70 1 source 3\n"));
  assert_non_null(strstr(t1, " module 0 source 12\n"));
  tsr_program *q = NULL;
  assert_ok(tsr_program_read_qasm(t1, len1, "p.qasm", &q, &err), &err);
  char *t2 = write_text(q, &len2);
  assert_string_equal(t1, t2);
  assert_string_equal(q->machine, p->machine);
  assert_int_equal(q->nops, p->nops);
  assert_int_equal(q->nconds, p->nconds);
  assert_int_equal(q->source_clbits, 70);
  assert_int_equal(q->nclbits, 73);
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *a = &p->ops[i], *b = &q->ops[i];
    assert_int_equal(a->role, b->role);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->nqubits, b->nqubits);
    for (uint32_t k = 0; k < a->nqubits; k++) assert_int_equal(a->qubits[k], b->qubits[k]);
    for (uint32_t k = 0; k < a->nparams; k++) assert_true(a->params[k] == b->params[k]);
    assert_true(a->start_s == b->start_s && a->duration_s == b->duration_s);
    assert_int_equal(a->module, b->module);
    assert_int_equal(a->module_to, b->module_to);
    assert_int_equal(a->link, b->link);
    assert_int_equal(a->clbit, b->clbit);
    assert_int_equal(a->source_op, b->source_op);
    assert_int_equal(a->cond >= 0, b->cond >= 0);
    if (a->cond >= 0) {
      const tsr_condition *ca = &p->conds[a->cond], *cb = &q->conds[b->cond];
      assert_int_equal(ca->creg, cb->creg);
      assert_int_equal(ca->bit, cb->bit);
      assert_int_equal(ca->nwords, cb->nwords);
      for (uint32_t w = 0; w < ca->nwords; w++) assert_true(ca->value[w] == cb->value[w]);
    }
  }
  assert_true(q->metrics.estimated_success == p->metrics.estimated_success);
  assert_true(q->metrics.makespan_s == p->metrics.makespan_s);
  assert_int_equal(q->nlogical, 3);
  assert_int_equal(q->final_placement[2], 6);
  assert_true(q->links[0].expected_latency_s == p->links[0].expected_latency_s);
  tsr_program_free(q);
  free(t1);
  free(t2);
  tsr_program_free(p);
}

static void expect_error_at(const char *text, const char *needle, int line, int col) {
  tsr_error err;
  tsr_program *p = NULL;
  tsr_status st = tsr_program_read_qasm(text, strlen(text), "bad.qasm", &p, &err);
  if (st != TSR_ERR_INPUT) fail_msg("expected an input error containing '%s', got %d", needle, st);
  assert_null(p);
  if (!strstr(err.message, needle))
    fail_msg("message '%s' does not contain '%s'", err.message, needle);
  assert_string_equal(err.file, "bad.qasm");
  assert_int_equal(err.line, line);
  if (col > 0) assert_int_equal(err.col, col);
}

static void expect_error(const char *text, const char *needle, int line) {
  expect_error_at(text, needle, line, 0);
}

#define HEAD                                                                                       \
  "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n"                                                     \
  "#pragma tessera module 0 a \"a\" qubits 2 communication 1\n"                                    \
  "#pragma tessera module 1 b \"b\" qubits 2 communication 1\n"                                    \
  "#pragma tessera link 0 \"a-b\" 0 1 latency 1e-3 fidelity 0.9\n"                                 \
  "qubit[2] a;\nqubit[2] b;\nbit[1] m;\n"

static void reader_errors(void **state) {
  (void)state;
  expect_error("", "OPENQASM", 1);
  expect_error("h a[0];\n", "OPENQASM", 1);
  expect_error(HEAD "h a[0];\n", "annotation", 9);
  expect_error(HEAD "@tessera.op local 0 0 module 0\nh a[5];\n", "outside the register", 10);
  expect_error(HEAD "@tessera.op local 0 0 module 0\nfoo a[0];\n", "unknown operation", 10);
  expect_error(HEAD "@tessera.op magic 0 0 module 0\nh a[0];\n", "unknown role", 9);
  expect_error(HEAD "@tessera.op local 0 0 module 0\nh a[0]\n", "expected ';'", 10);
  expect_error(HEAD "@tessera.op local 0 0 module 0\nrz a[0];\n", "parameters", 10);
  expect_error(HEAD "@tessera.op local 0 0 module 0\nif (m[0] == 2) x a[0];\n", "0 or 1", 10);
  expect_error(HEAD "@tessera.op local 0 0 module 0\nif (z == 1) x a[0];\n", "classical register",
               10);
  expect_error(HEAD "@tessera.op epr 0 1e-3 link 0\nepr a[1], a[0];\n", "communication qubit", 10);
  expect_error(HEAD "@tessera.op local 0 0 module 0\n", "no statement", 9);
  expect_error(HEAD "#pragma tessera module 2 c \"c\" qubits 1 communication 0\n",
               "before the registers", 9);
  expect_error(HEAD "@tessera.op local 0 0 module 1\nh a[0];\n", "not on module", 10);
  expect_error(HEAD "@tessera.op local 0 1e-6 module 0\nh a[0];\n"
                    "@tessera.op local 0 1e-6 module 0\nh a[0];\n",
               "busy", 12);
}

/* A condition whose bit never reaches the module that reads it is refused at
 * the statement of the reading operation (finish's check, located). */
static void bits_must_reach_their_readers(void **state) {
  (void)state;
  /* m[0] measured on a, read on b: no message (the statement is indented). */
  expect_error_at(HEAD "@tessera.op local 0 1e-4 module 0\nm[0] = measure a[0];\n"
                       "@tessera.op local 2e-4 1e-6 module 1\n  if (m[0] == 1) x b[0];\n",
                  "operation 1 (local on module 'b') reads bit m[0] at 0.0002 s, but it is "
                  "measured on module 'a' (operation 0) and no message",
                  12, 3);
  /* The message arrives after the read. */
  expect_error_at(HEAD "@tessera.op local 0 1e-4 module 0\nm[0] = measure a[0];\n"
                       "#pragma tessera message 1e-4 5e-4 from 0 to 1 bits 0 1\n"
                       "@tessera.op local 2e-4 1e-6 module 1\nif (m[0] == 1) x b[0];\n",
                  "arrives at 0.0006 s", 13, 1);
  /* A message sending a bit nobody measured (m is a scratch register). */
  expect_error_at(HEAD "#pragma tessera message 0 1e-6 from 0 to 1 bits 0 1\n",
                  "operation 0 (message from 'a' to 'b') sends bit m[0] at 0 s, but no operation "
                  "measured it",
                  9, 1);
  /* In time: accepted. */
  const char *ok = HEAD "@tessera.op local 0 1e-4 module 0\nm[0] = measure a[0];\n"
                        "#pragma tessera message 1e-4 5e-4 from 0 to 1 bits 0 1\n"
                        "@tessera.op local 6e-4 1e-6 module 1\nif (m[0] == 1) x b[0];\n";
  tsr_error err;
  tsr_program *p = NULL;
  assert_ok(tsr_program_read_qasm(ok, strlen(ok), "ok.qasm", &p, &err), &err);
  assert_int_equal(p->nops, 3);
  tsr_program_free(p);
}

static void other_pragmas_and_comments(void **state) {
  (void)state;
  tsr_error err;
  const char *text = HEAD "// a comment\n#pragma other thing\n\n"
                          "gate foo a {\n  h a;\n}\n"
                          "@tessera.op local 0 1e-6 module 0 // trailing\n"
                          "m[0] = measure a[0];\n";
  tsr_program *p = NULL;
  assert_ok(tsr_program_read_qasm(text, strlen(text), "ok.qasm", &p, &err), &err);
  assert_int_equal(p->nops, 1);
  assert_int_equal(p->ops[0].kind, TSR_OP_MEASURE);
  assert_int_equal(p->ops[0].clbit, 0);
  assert_close(p->metrics.makespan_s, 1e-6, 1e-18);
  tsr_program_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(reader_errors),
      cmocka_unit_test(bits_must_reach_their_readers),
      cmocka_unit_test(other_pragmas_and_comments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
