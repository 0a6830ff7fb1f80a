/* The executor's EPR channels: program links whose routes share an arch link
 * (a star of modules around a memory hub) share its channels, one pair at a
 * time per multiplexing mode, as the compiler's scheduler assumes. Two pairs
 * over A-B and B-C of 100 us each: after each other on a star of one-mode
 * links (both routes use B -- hub), together with two modes, with
 * serialize_links off, or on direct links (a line, nothing shared); two pairs
 * on one link: one at a time with one mode, together with two. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/exec.h"
#include "tsr_test.h"

/* Ideal modules A, B, C of 4 qubits (all communication qubits, durations 0)
 * and ideal zero-length links of `modes` modes: hub != 0, each linked to a
 * memory node H; else A -- B -- C. */
static tsr_arch *machine(int hub, uint32_t modes) {
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_new("shared-hops", &a, &err), &err);
  tsr_module_params mp;
  tsr_module_params_ideal(&mp, 4);
  for (uint32_t m = 0; m < 3; m++) {
    char name[2] = {(char)('A' + m), 0};
    assert_ok(tsr_arch_add_module(a, name, TSR_ROLE_COMPUTE, &mp, NULL, &err), &err);
  }
  if (hub) assert_ok(tsr_arch_add_module(a, "H", TSR_ROLE_MEMORY, &mp, NULL, &err), &err);
  for (uint32_t m = 0; m < (hub ? 3u : 2u); m++) {
    tsr_link l;
    tsr_link_init(&l, m, hub ? 3 : m + 1, 0.0);
    l.protocol = TSR_PROTOCOL_IDEAL;
    l.visibility = 1.0;
    l.multiplexing = modes;
    assert_ok(tsr_arch_add_link(a, &l, NULL, &err), &err);
  }
  assert_ok(tsr_arch_validate(a, &err), &err);
  return a;
}

/* Modules A (q0 data, q1-q3 communication), B (q4 data, q5-q7), C (q8
 * data, q9-q11), links A-B and B-C; the data qubits hold logical qubits.
 * EPR generations: links[k] over qubits qa[k], qb[k], planned one after the
 * other (1 us each). */
static tsr_program *pairs_program(size_t n, const int32_t *links, const uint32_t *qa,
                                  const uint32_t *qb) {
  tsr_error err;
  tsr_program *p = tsr_program_new(&err);
  assert_non_null(p);
  for (uint32_t m = 0; m < 3; m++) {
    char name[2] = {(char)('A' + m), 0};
    assert_ok(tsr_program_add_module(p, name, 4, 3, NULL, &err), &err);
  }
  assert_ok(tsr_program_add_link(p, "A-B", 0, 1, 1e-6, 1.0, NULL, &err), &err);
  assert_ok(tsr_program_add_link(p, "B-C", 1, 2, 1e-6, 1.0, NULL, &err), &err);
  uint32_t place[3] = {0, 4, 8};
  assert_ok(tsr_program_set_placement(p, 3, place, place, &err), &err);
  for (size_t k = 0; k < n; k++) {
    tsr_program_op op =
        tsr_program_op_blank(TSR_PROG_EPR, TSR_GATE_NONE, (int32_t)p->links[links[k]].module_a);
    op.nqubits = 2;
    op.qubits[0] = qa[k];
    op.qubits[1] = qb[k];
    op.link = links[k];
    op.module_to = (int32_t)p->links[links[k]].module_b;
    op.start_s = 1e-6 * (double)k;
    op.duration_s = 1e-6;
    assert_ok(tsr_program_append(p, &op, 0, 0, NULL, 0, &err), &err);
  }
  assert_ok(tsr_program_finish(p, &err), &err);
  return p;
}

/* The mean makespan of a few shots with every pair taking 100 us. */
static double makespan(const tsr_program *p, const tsr_arch *a, int serialize) {
  tsr_error err;
  tsr_exec *x = NULL;
  assert_ok(tsr_exec_new(p, a, &x, &err), &err);
  tsr_bell perfect = tsr_bell_perfect();
  for (uint32_t l = 0; l < p->nlinks; l++)
    assert_ok(tsr_exec_override_link(x, l, &perfect, 100e-6, &err), &err);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.shots = 4;
  o.serialize_links = serialize;
  tsr_exec_result *r = NULL;
  assert_ok(tsr_exec_run(x, &o, &r, &err), &err);
  assert_close(r->makespan.std, 0, 1e-18);
  double t = r->makespan.mean;
  tsr_exec_result_free(r);
  tsr_exec_free(x);
  return t;
}

static void links_sharing_a_hop(void **state) {
  (void)state;
  /* A-B over q1, q5; B-C over q6, q9: different communication qubits, so
     only the hop B -- H can keep them apart. */
  const int32_t links[] = {0, 1};
  const uint32_t qa[] = {1, 6}, qb[] = {5, 9};
  tsr_program *p = pairs_program(2, links, qa, qb);
  tsr_arch *a = machine(1, 1);
  assert_close(makespan(p, a, 1), 200e-6, 1e-12);
  assert_close(makespan(p, a, 0), 100e-6, 1e-12); /* serialize_links off */
  tsr_arch_free(a);
  a = machine(1, 2);
  assert_close(makespan(p, a, 1), 100e-6, 1e-12);
  tsr_arch_free(a);
  a = machine(0, 1); /* A -- B -- C: nothing shared */
  assert_close(makespan(p, a, 1), 100e-6, 1e-12);
  tsr_arch_free(a);
  tsr_program_free(p);
}

static void pairs_on_one_link(void **state) {
  (void)state;
  /* Two pairs over A-B on different communication qubits. */
  const int32_t links[] = {0, 0};
  const uint32_t qa[] = {1, 2}, qb[] = {5, 6};
  tsr_program *p = pairs_program(2, links, qa, qb);
  for (int hub = 0; hub <= 1; hub++) {
    tsr_arch *a = machine(hub, 1);
    assert_close(makespan(p, a, 1), 200e-6, 1e-12);
    tsr_arch_free(a);
    a = machine(hub, 2);
    assert_close(makespan(p, a, 1), 100e-6, 1e-12);
    tsr_arch_free(a);
  }
  tsr_program_free(p);
}

/* Three pairs through B -- H at once (A-B, B-C, A-B on different
 * communication qubits): with k modes per link they take ceil(3/k) rounds
 * of 100 us. */
static void three_pairs_k_modes(void **state) {
  (void)state;
  const int32_t links[] = {0, 1, 0};
  const uint32_t qa[] = {1, 6, 2}, qb[] = {5, 9, 7};
  tsr_program *p = pairs_program(3, links, qa, qb);
  for (uint32_t k = 1; k <= 4; k++) {
    tsr_arch *a = machine(1, k);
    assert_close(makespan(p, a, 1), 100e-6 * ((3 + k - 1) / k), 1e-12);
    tsr_arch_free(a);
  }
  tsr_program_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(links_sharing_a_hop),
      cmocka_unit_test(pairs_on_one_link),
      cmocka_unit_test(three_pairs_k_modes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
