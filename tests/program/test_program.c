/* Program type: building, stable time ordering, validation (qubits, times,
 * classical bits reaching the modules that read them) and JSON. */
#include <stdlib.h>
#include <string.h>

#include "tessera/program.h"
#include "tsr_test.h"

static tsr_program *two_modules(tsr_error *err) {
  tsr_program *p = tsr_program_new(err);
  assert_non_null(p);
  assert_ok(tsr_program_add_module(p, "A", 4, 1, NULL, err), err);
  assert_ok(tsr_program_add_module(p, "B", 4, 1, NULL, err), err);
  assert_ok(tsr_program_add_link(p, "A-B", 0, 1, 1e-3, 0.95, NULL, err), err);
  assert_ok(tsr_program_add_creg(p, "c", 2, 1, NULL, err), err);
  assert_ok(tsr_program_add_creg(p, "scratch", 2, 0, NULL, err), err);
  return p;
}

static tsr_program_op local(tsr_gate kind, int32_t module, uint32_t q0, int64_t q1, double start,
                            double duration) {
  tsr_program_op op = tsr_program_op_blank(TSR_PROG_LOCAL, kind, module);
  op.nqubits = q1 >= 0 ? 2 : 1;
  op.qubits[0] = q0;
  op.qubits[1] = q1 >= 0 ? (uint32_t)q1 : 0;
  op.start_s = start;
  op.duration_s = duration;
  return op;
}

/* An EPR pair on link 0 (A-B) between qubits qa of A and qb of B, at 0. */
static tsr_program_op epr_op(uint32_t qa, uint32_t qb) {
  tsr_program_op op = tsr_program_op_blank(TSR_PROG_EPR, TSR_GATE_NONE, 0);
  op.nqubits = 2;
  op.qubits[0] = qa;
  op.qubits[1] = qb;
  op.module_to = 1;
  op.link = 0;
  return op;
}

static void builds_sorts_and_reports(void **state) {
  (void)state;
  tsr_error err;
  tsr_program *p = two_modules(&err);
  assert_int_equal(p->nqubits, 8);
  assert_int_equal(p->source_clbits, 2);
  assert_int_equal(p->nclbits, 4);
  tsr_program_op h = local(TSR_GATE_H, 0, 0, -1, 2e-3, 1e-5);
  tsr_program_op epr = epr_op(3, 7);
  epr.duration_s = 1e-3;
  tsr_program_op cx = local(TSR_GATE_CX, 0, 0, 3, 2.1e-3, 1e-4);
  assert_ok(tsr_program_append(p, &h, 0, 0, NULL, 0, &err), &err);
  assert_ok(tsr_program_append(p, &epr, 0, 0, NULL, 0, &err), &err);
  assert_ok(tsr_program_append(p, &cx, 0, 0, NULL, 0, &err), &err);
  uint64_t one = 1;
  tsr_program_op x = local(TSR_GATE_X, 1, 4, -1, 2.1e-3, 1e-5);
  assert_ok(tsr_program_append(p, &x, -1, 0, &one, 1, &err), &err); /* c[0], never measured */
  uint32_t place[2] = {0, 4};
  assert_ok(tsr_program_set_placement(p, 2, place, place, &err), &err);
  assert_ok(tsr_program_finish(p, &err), &err);
  assert_int_equal(p->ops[0].role, TSR_PROG_EPR);
  assert_int_equal(p->ops[1].kind, TSR_GATE_H);
  /* Equal start times keep insertion order. */
  assert_int_equal(p->ops[2].kind, TSR_GATE_CX);
  assert_int_equal(p->ops[3].kind, TSR_GATE_X);
  assert_int_equal(p->ops[3].cond, 0);
  assert_close(p->metrics.makespan_s, 2.2e-3, 1e-15);
  assert_int_equal(tsr_program_module_of(p, 5), 1);
  assert_int_equal(tsr_program_module_of(p, 8), -1);

  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  tsr_json *j = tsr_json_new(f, 0);
  assert_ok(tsr_program_write_json(p, j, 1, &err), &err);
  tsr_json_free(j);
  fclose(f);
  assert_non_null(strstr(text, "\"between\":[\"A\",\"B\"]"));
  assert_non_null(strstr(text, "\"placement\":[{\"logical\":0,\"module\":\"A\",\"qubit\":0"));
  assert_non_null(strstr(text, "\"role\":\"epr\""));
  free(text);
  tsr_program_free(p);
}

static void refuses_inconsistent_programs(void **state) {
  (void)state;
  tsr_error err;
  /* Overlapping use of one qubit. */
  tsr_program *p = two_modules(&err);
  tsr_program_op a = local(TSR_GATE_H, 0, 0, -1, 0.0, 1e-3);
  tsr_program_op b = local(TSR_GATE_X, 0, 0, -1, 5e-4, 1e-3);
  assert_ok(tsr_program_append(p, &a, 0, 0, NULL, 0, &err), &err);
  assert_ok(tsr_program_append(p, &b, 0, 0, NULL, 0, &err), &err);
  assert_int_equal(tsr_program_finish(p, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "busy until"));
  tsr_program_free(p);
  /* A gate across modules. */
  p = two_modules(&err);
  tsr_program_op cross = local(TSR_GATE_CX, 0, 0, 5, 0.0, 1e-3);
  assert_ok(tsr_program_append(p, &cross, 0, 0, NULL, 0, &err), &err);
  assert_int_equal(tsr_program_finish(p, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "not on module"));
  tsr_program_free(p);
  /* EPR on data qubits. */
  p = two_modules(&err);
  tsr_program_op epr = epr_op(0, 7);
  assert_ok(tsr_program_append(p, &epr, 0, 0, NULL, 0, &err), &err);
  assert_int_equal(tsr_program_finish(p, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "communication qubit"));
  tsr_program_free(p);
  /* Bad construction. */
  p = tsr_program_new(&err);
  assert_int_equal(tsr_program_add_module(p, "A", 2, 3, NULL, &err), TSR_ERR_VALUE);
  assert_ok(tsr_program_add_module(p, "A", 2, 1, NULL, &err), &err);
  assert_int_equal(tsr_program_add_module(p, "A", 2, 1, NULL, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_program_add_link(p, "A-A", 0, 0, 0.0, 1.0, NULL, &err), TSR_ERR_VALUE);
  tsr_program_op neg = local(TSR_GATE_H, 0, 0, -1, -1.0, 0.0);
  assert_int_equal(tsr_program_append(p, &neg, 0, 0, NULL, 0, &err), TSR_ERR_VALUE);
  tsr_program_free(p);
}

/* ------------------------------------------- classical bits reach readers */

/* Module A holds qubits 0-3, B 4-7; c[0..1] are bits 0-1 (source, 0 until
 * measured), scratch[0..1] bits 2-3. */
static tsr_program_op measure_op(int32_t module, uint32_t q, int64_t clbit, double start,
                                 double duration) {
  tsr_program_op op = local(TSR_OP_MEASURE, module, q, -1, start, duration);
  op.clbit = clbit;
  return op;
}

static tsr_program_op message_op(int32_t from, int32_t to, uint32_t first, uint32_t n, double start,
                                 double duration) {
  tsr_program_op op = tsr_program_op_blank(TSR_PROG_MESSAGE, TSR_GATE_NONE, from);
  op.module_to = to;
  op.message_clbit_first = first;
  op.message_clbits = n;
  op.start_s = start;
  op.duration_s = duration;
  return op;
}

static void append(tsr_program *p, const tsr_program_op *op) {
  tsr_error err;
  assert_ok(tsr_program_append(p, op, 0, 0, NULL, 0, &err), &err);
}

/* x on qubit q of module m at `start` if bit == 1. */
static void append_x_if_bit(tsr_program *p, int32_t m, uint32_t q, uint32_t bit, double start) {
  tsr_error err;
  uint64_t one = 1;
  tsr_program_op x = local(TSR_GATE_X, m, q, -1, start, 1e-5);
  assert_ok(tsr_program_append(p, &x, -1, bit, &one, 1, &err), &err);
}

/* Finishing p fails with a message containing every needle (NULL-ended). */
static void expect_refused(tsr_program *p, const char *const *needles) {
  tsr_error err;
  assert_int_equal(tsr_program_finish(p, &err), TSR_ERR_VALUE);
  for (size_t k = 0; needles[k]; k++)
    if (!strstr(err.message, needles[k]))
      fail_msg("message '%s' does not contain '%s'", err.message, needles[k]);
  tsr_program_free(p);
}

static void expect_finished(tsr_program *p) {
  tsr_error err;
  assert_ok(tsr_program_finish(p, &err), &err);
  tsr_program_free(p);
}

static void condition_needs_a_message(void **state) {
  (void)state;
  tsr_error err;
  /* c[0] measured on A, read on B with no message. */
  tsr_program *p = two_modules(&err);
  tsr_program_op m = measure_op(0, 0, 0, 0.0, 1e-4);
  append(p, &m);
  append_x_if_bit(p, 1, 4, 0, 1e-3);
  expect_refused(p,
                 (const char *const[]){"operation 1 (local on module 'B')", "bit c[0]",
                                       "measured on module 'A' (operation 0)", "no message", NULL});
  /* A message to the other module does not bring it to B. */
  p = two_modules(&err);
  append(p, &m);
  tsr_program_op msg = message_op(0, 0, 0, 1, 1e-4, 1e-5);
  append(p, &msg);
  append_x_if_bit(p, 1, 4, 0, 1e-3);
  expect_refused(p, (const char *const[]){"bit c[0]", "no message", NULL});
}

static void message_arriving_late(void **state) {
  (void)state;
  tsr_error err;
  tsr_program *p = two_modules(&err);
  tsr_program_op m = measure_op(0, 0, 0, 0.0, 1e-4);
  tsr_program_op msg = message_op(0, 1, 0, 1, 1e-4, 5e-3); /* arrives at 5.1 ms */
  append(p, &m);
  append(p, &msg);
  append_x_if_bit(p, 1, 4, 0, 1e-3);
  expect_refused(p, (const char *const[]){"operation 2 (local on module 'B') reads bit c[0] at "
                                          "0.001 s",
                                          "message bringing it to 'B' (operation 1, from 'A') "
                                          "arrives at 0.0051 s",
                                          NULL});
}

static void message_in_time(void **state) {
  (void)state;
  tsr_error err;
  /* Measured 0..0.1 ms, sent at 0.1 ms, arrives at 0.2 ms: read at 0.2 ms
     (sums of durations: within the tolerance) and at 1 ms. */
  tsr_program *p = two_modules(&err);
  tsr_program_op m = measure_op(0, 0, 2, 0.0, 1e-4);
  tsr_program_op msg = message_op(0, 1, 2, 1, 1e-4, 1e-4);
  append(p, &m);
  append(p, &msg);
  append_x_if_bit(p, 1, 4, 2, 2e-4);
  append_x_if_bit(p, 1, 5, 2, 1e-3);
  expect_finished(p);
  /* The same read a microsecond before the arrival is refused. */
  p = two_modules(&err);
  append(p, &m);
  append(p, &msg);
  append_x_if_bit(p, 1, 4, 2, 1.99e-4);
  expect_refused(p, (const char *const[]){"bit scratch[0]", "arrives at 0.0002 s", NULL});
  /* A message sent before the measurement ended carries the old value. */
  p = two_modules(&err);
  append(p, &m);
  msg.start_s = 5e-5;
  append(p, &msg);
  append_x_if_bit(p, 1, 4, 2, 1e-3);
  expect_refused(p, (const char *const[]){"operation 1 (message from 'A' to 'B') sends bit "
                                          "scratch[0]",
                                          "ends at 0.0001 s", NULL});
}

static void unmeasured_source_bit(void **state) {
  (void)state;
  tsr_error err;
  /* A source bit never measured is 0 on every module. */
  tsr_program *p = two_modules(&err);
  append_x_if_bit(p, 0, 0, 1, 0.0);
  append_x_if_bit(p, 1, 4, 1, 0.0);
  expect_finished(p);
  /* A scratch bit has no value before its measurement. */
  p = two_modules(&err);
  append_x_if_bit(p, 1, 4, 3, 0.0);
  expect_refused(p, (const char *const[]){"bit scratch[1]", "no operation measured it", NULL});
  /* Once measured, a source bit is known only where it was measured. */
  p = two_modules(&err);
  tsr_program_op m = measure_op(0, 0, 1, 0.0, 1e-4);
  append(p, &m);
  append_x_if_bit(p, 1, 4, 1, 1e-3);
  expect_refused(p, (const char *const[]){"bit c[1]", "no message", NULL});
}

static void same_module_measurement(void **state) {
  (void)state;
  tsr_error err;
  /* Read on A when the measurement on A ends (1e-4 + 3e-5 is one ulp above
     1.3e-4: within the tolerance), then later. */
  tsr_program *p = two_modules(&err);
  tsr_program_op m = measure_op(0, 0, 2, 1e-4, 3e-5);
  append(p, &m);
  append_x_if_bit(p, 0, 1, 2, 1.3e-4);
  append_x_if_bit(p, 0, 2, 2, 1e-3);
  expect_finished(p);
  /* Read on A while it is still being measured. */
  p = two_modules(&err);
  append(p, &m);
  append_x_if_bit(p, 0, 1, 2, 1.2e-4);
  expect_refused(p, (const char *const[]){"operation 1 (local on module 'A')", "bit scratch[0]",
                                          "its measurement on 'A' (operation 0) ends at "
                                          "0.00013 s",
                                          NULL});
}

static void register_condition_missing_bit(void **state) {
  (void)state;
  tsr_error err;
  uint64_t three = 3;
  tsr_program_op m0 = measure_op(0, 0, 0, 0.0, 1e-4);
  tsr_program_op m1 = measure_op(0, 1, 1, 0.0, 1e-4);
  tsr_program_op x = local(TSR_GATE_X, 1, 4, -1, 1e-3, 1e-5);
  /* c == 3 on B: c[0] and c[1] measured on A, the message carries c[0] only. */
  tsr_program *p = two_modules(&err);
  append(p, &m0);
  append(p, &m1);
  tsr_program_op msg = message_op(0, 1, 0, 1, 1e-4, 1e-4);
  append(p, &msg);
  assert_ok(tsr_program_append(p, &x, 0, 0, &three, 1, &err), &err);
  expect_refused(p, (const char *const[]){"operation 3 (local on module 'B') reads bit c[1]",
                                          "no message", NULL});
  /* The message carries both. */
  p = two_modules(&err);
  append(p, &m0);
  append(p, &m1);
  msg.message_clbits = 2;
  append(p, &msg);
  assert_ok(tsr_program_append(p, &x, 0, 0, &three, 1, &err), &err);
  expect_finished(p);
}

static void relayed_bit(void **state) {
  (void)state;
  tsr_error err;
  /* A measures, A -> B -> C; C reads. */
  for (int late = 0; late < 2; late++) {
    tsr_program *p = tsr_program_new(&err);
    assert_ok(tsr_program_add_module(p, "A", 2, 0, NULL, &err), &err);
    assert_ok(tsr_program_add_module(p, "B", 2, 0, NULL, &err), &err);
    assert_ok(tsr_program_add_module(p, "C", 2, 0, NULL, &err), &err);
    assert_ok(tsr_program_add_creg(p, "c", 1, 1, NULL, &err), &err);
    tsr_program_op m = measure_op(0, 0, 0, 0.0, 1e-4);
    tsr_program_op ab = message_op(0, 1, 0, 1, 1e-4, 1e-4);                 /* at B at 0.2 ms */
    tsr_program_op bc = message_op(1, 2, 0, 1, late ? 1.5e-4 : 2e-4, 1e-4); /* sent by B */
    append(p, &m);
    append(p, &ab);
    append(p, &bc);
    append_x_if_bit(p, 2, 4, 0, 1e-3);
    if (late)
      expect_refused(p, (const char *const[]){"operation 2 (message from 'B' to 'C') sends bit "
                                              "c[0] at 0.00015 s",
                                              "arrives at 0.0002 s", NULL});
    else
      expect_finished(p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(builds_sorts_and_reports),
      cmocka_unit_test(refuses_inconsistent_programs),
      cmocka_unit_test(condition_needs_a_message),
      cmocka_unit_test(message_arriving_late),
      cmocka_unit_test(message_in_time),
      cmocka_unit_test(unmeasured_source_bit),
      cmocka_unit_test(same_module_measurement),
      cmocka_unit_test(register_condition_missing_bit),
      cmocka_unit_test(relayed_bit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
