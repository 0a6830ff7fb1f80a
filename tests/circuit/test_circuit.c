/* Circuit IR: registers, appending with validation, conditions, clone and
 * structural equality. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/circuit.h"
#include "tsr_test.h"

static tsr_circuit *bell(tsr_error *err) {
  tsr_circuit *c = tsr_circuit_new(err);
  assert_non_null(c);
  assert_ok(tsr_circuit_add_qreg(c, "q", 2, NULL, err), err);
  assert_ok(tsr_circuit_add_creg(c, "c", 2, NULL, err), err);
  uint32_t q0 = 0, q01[2] = {0, 1};
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_H, &q0, 1, NULL, 0, err), err);
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_CX, q01, 2, NULL, 0, err), err);
  assert_ok(tsr_circuit_append_measure(c, 0, 0, err), err);
  assert_ok(tsr_circuit_append_measure(c, 1, 1, err), err);
  return c;
}

static void registers_and_lookup(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  uint32_t idx = 99;
  assert_ok(tsr_circuit_add_qreg(c, "a", 3, &idx, &err), &err);
  assert_int_equal(idx, 0);
  assert_ok(tsr_circuit_add_qreg(c, "b", 2, &idx, &err), &err);
  assert_int_equal(idx, 1);
  assert_int_equal(c->nqubits, 5);
  assert_int_equal(tsr_circuit_add_qreg(c, "a", 1, NULL, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "already declared"));
  assert_int_equal(tsr_circuit_add_qreg(c, "z", 0, NULL, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_circuit_find_qreg(c, "b"), 1);
  assert_int_equal(tsr_circuit_find_qreg(c, "nope"), -1);
  uint32_t off = 0;
  const tsr_register *r = tsr_circuit_qubit_register(c, 4, &off);
  assert_non_null(r);
  assert_string_equal(r->name, "b");
  assert_int_equal(off, 1);
  assert_null(tsr_circuit_qubit_register(c, 5, &off));
  tsr_circuit_free(c);
}

static void append_validates(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = bell(&err);
  uint32_t same[2] = {1, 1}, out[1] = {7}, two[2] = {0, 1};
  double nan_param = NAN, angle = 0.5;
  assert_int_equal(tsr_circuit_append_gate(c, TSR_GATE_CX, same, 2, NULL, 0, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "used twice"));
  assert_int_equal(tsr_circuit_append_gate(c, TSR_GATE_X, out, 1, NULL, 0, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "out of range"));
  assert_int_equal(tsr_circuit_append_gate(c, TSR_GATE_X, two, 2, NULL, 0, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "takes 1 qubit"));
  assert_int_equal(tsr_circuit_append_gate(c, TSR_GATE_RZ, two, 1, NULL, 0, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_circuit_append_gate(c, TSR_GATE_RZ, two, 1, &nan_param, 1, &err),
                   TSR_ERR_VALUE);
  assert_int_equal(tsr_circuit_append_gate(c, TSR_OP_MEASURE, two, 1, NULL, 0, &err),
                   TSR_ERR_VALUE);
  assert_int_equal(tsr_circuit_append_measure(c, 0, 5, &err), TSR_ERR_VALUE);
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_RZ, two, 1, &angle, 1, &err), &err);
  assert_int_equal(c->nops, 5);
  tsr_circuit_free(c);
}

static void conditions_wide_values(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_ok(tsr_circuit_add_qreg(c, "q", 1, NULL, &err), &err);
  assert_ok(tsr_circuit_add_creg(c, "c", 100, NULL, &err), &err);
  uint32_t q = 0;
  uint64_t value[2] = {5, 1}; /* 2^64 + 5 */
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_X, &q, 1, NULL, 0, &err), &err);
  assert_ok(tsr_circuit_condition_last(c, 0, 0, value, 2, &err), &err);
  assert_int_equal(c->nconds, 1);
  assert_int_equal(c->ops[0].cond, 0);
  assert_int_equal(c->conds[0].nwords, 2);
  assert_true(c->conds[0].value[1] == 1);
  /* Already conditioned. */
  assert_int_equal(tsr_circuit_condition_last(c, 0, 0, value, 1, &err), TSR_ERR_VALUE);
  /* Too wide for a 1-bit condition. */
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_X, &q, 1, NULL, 0, &err), &err);
  uint64_t two = 2;
  assert_int_equal(tsr_circuit_condition_last(c, -1, 3, &two, 1, &err), TSR_ERR_VALUE);
  uint64_t one = 1;
  assert_ok(tsr_circuit_condition_last(c, -1, 3, &one, 1, &err), &err);
  assert_int_equal(c->conds[1].creg, -1);
  assert_int_equal(c->conds[1].bit, 3);
  tsr_circuit_free(c);
}

static void clone_equals_and_differs(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *a = bell(&err);
  assert_ok(tsr_circuit_append_opaque(a, "magic", (uint32_t[]){1, 0}, 2, (double[]){0.25}, 1, &err),
            &err);
  uint64_t v = 3;
  assert_ok(tsr_circuit_condition_last(a, 0, 0, &v, 1, &err), &err);
  tsr_circuit *b = tsr_circuit_clone(a, &err);
  assert_non_null(b);
  assert_true(tsr_circuit_equal(a, b, 0.0));
  assert_string_equal(b->ops[4].name, "magic");
  b->ops[4].params[0] += 1e-9;
  assert_false(tsr_circuit_equal(a, b, 0.0));
  assert_true(tsr_circuit_equal(a, b, 1e-6));
  tsr_circuit_free(a);
  tsr_circuit_free(b);
}

static void many_ops_keep_pointers_valid(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_ok(tsr_circuit_add_qreg(c, "q", 64, NULL, &err), &err);
  for (uint32_t i = 0; i < 200000; i++) {
    uint32_t qs[2] = {i % 64, (i + 1) % 64};
    double p = (double)i;
    assert_ok(tsr_circuit_append_gate(c, TSR_GATE_CP, qs, 2, &p, 1, &err), &err);
  }
  for (uint32_t i = 0; i < 200000; i += 997) {
    assert_int_equal(c->ops[i].qubits[0], i % 64);
    assert_true(c->ops[i].params[0] == (double)i);
  }
  tsr_circuit_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(registers_and_lookup),         cmocka_unit_test(append_validates),
      cmocka_unit_test(conditions_wide_values),       cmocka_unit_test(clone_equals_and_differs),
      cmocka_unit_test(many_ops_keep_pointers_valid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
