/* Program type: building, stable time ordering, validation and JSON. */
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
  tsr_program_op op = {.role = TSR_PROG_LOCAL,
                       .kind = kind,
                       .nqubits = q1 >= 0 ? 2 : 1,
                       .qubits = {q0, q1 >= 0 ? (uint32_t)q1 : 0},
                       .clbit = -1,
                       .cond = -1,
                       .module = module,
                       .module_to = -1,
                       .link = -1,
                       .start_s = start,
                       .duration_s = duration,
                       .source_op = -1};
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
  tsr_program_op epr = {.role = TSR_PROG_EPR,
                        .kind = TSR_GATE_NONE,
                        .nqubits = 2,
                        .qubits = {3, 7},
                        .clbit = -1,
                        .module = 0,
                        .module_to = 1,
                        .link = 0,
                        .start_s = 0.0,
                        .duration_s = 1e-3,
                        .source_op = -1};
  tsr_program_op cx = local(TSR_GATE_CX, 0, 0, 3, 2.1e-3, 1e-4);
  assert_ok(tsr_program_append(p, &h, 0, 0, NULL, 0, &err), &err);
  assert_ok(tsr_program_append(p, &epr, 0, 0, NULL, 0, &err), &err);
  assert_ok(tsr_program_append(p, &cx, 0, 0, NULL, 0, &err), &err);
  uint64_t one = 1;
  tsr_program_op x = local(TSR_GATE_X, 1, 4, -1, 2.1e-3, 1e-5);
  assert_ok(tsr_program_append(p, &x, -1, 2, &one, 1, &err), &err);
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
  tsr_program_op epr = {.role = TSR_PROG_EPR,
                        .nqubits = 2,
                        .qubits = {0, 7},
                        .clbit = -1,
                        .module = 0,
                        .module_to = 1,
                        .link = 0,
                        .source_op = -1};
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(builds_sorts_and_reports),
      cmocka_unit_test(refuses_inconsistent_programs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
