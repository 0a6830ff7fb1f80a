/* The scheduler's EPR channels (tsr_compile_program, step 6): program links
 * are end-to-end links whose paths may share arch links (a star of compute
 * modules around a memory hub); an arch link generates one pair at a time
 * per multiplexing mode, whichever program link the pair belongs to. Checks:
 * on a star of one-mode links two pairs that share a hop never overlap, with
 * two modes they do; direct links (a triangle, a line) keep one pair at a
 * time per link and let different links overlap; the README demo (GHZ-24 on
 * the default machine, 8 data qubits per module) and random circuits on a
 * star never exceed an arch link's modes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsr_test.h"

#include "ideal_machine.h"

#include "tessera/arch.h"
#include "tessera/circuit.h"
#include "tessera/compile.h"
#include "tessera/program.h"

/* ------------------------------------------------------------ channels */

/* The arch links of the path of program link l: the direct link between
 * its modules, else the links from each to a memory node they share. */
static uint32_t path_of(const tsr_arch *a, const tsr_program *p, uint32_t l, uint32_t out[2]) {
  int64_t ma = tsr_arch_find_module(a, p->modules[p->links[l].module_a].name);
  int64_t mb = tsr_arch_find_module(a, p->modules[p->links[l].module_b].name);
  assert_true(ma >= 0 && mb >= 0);
  for (size_t h = 0; h < a->n_links; h++) {
    size_t e0 = a->links[h].ends[0].module, e1 = a->links[h].ends[1].module;
    if ((e0 == (size_t)ma && e1 == (size_t)mb) || (e0 == (size_t)mb && e1 == (size_t)ma)) {
      out[0] = (uint32_t)h;
      return 1;
    }
  }
  for (size_t n = 0; n < a->n_modules; n++) {
    if (a->modules[n].role != TSR_ROLE_MEMORY) continue;
    int64_t ha = -1, hb = -1;
    for (size_t h = 0; h < a->n_links; h++) {
      size_t e0 = a->links[h].ends[0].module, e1 = a->links[h].ends[1].module;
      if ((e0 == n && e1 == (size_t)ma) || (e1 == n && e0 == (size_t)ma)) ha = (int64_t)h;
      if ((e0 == n && e1 == (size_t)mb) || (e1 == n && e0 == (size_t)mb)) hb = (int64_t)h;
    }
    if (ha >= 0 && hb >= 0) {
      out[0] = (uint32_t)ha;
      out[1] = (uint32_t)hb;
      return 2;
    }
  }
  fail_msg("no path of one or two hops for program link %s", p->links[l].name);
  return 0;
}

static int overlap(const tsr_program_op *x, const tsr_program_op *y) {
  double eps = 1e-12 * (1 + x->start_s + x->duration_s + y->start_s + y->duration_s);
  return x->start_s < y->start_s + y->duration_s - eps &&
         y->start_s < x->start_s + x->duration_s - eps;
}

/* Every arch link carries at most its multiplexing modes of pairs at once:
 * at the start of each EPR operation, count the pairs under way on each arch
 * link of its path. Returns the largest count seen on any arch link. */
static uint32_t check_channels(const tsr_arch *a, const tsr_program *p) {
  uint32_t worst = 0;
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *x = &p->ops[i];
    if (x->role != TSR_PROG_EPR) continue;
    uint32_t px[2], nx = path_of(a, p, (uint32_t)x->link, px);
    for (uint32_t h = 0; h < nx; h++) {
      uint32_t busy = 0;
      for (size_t j = 0; j < p->nops; j++) {
        const tsr_program_op *y = &p->ops[j];
        if (y->role != TSR_PROG_EPR) continue;
        uint32_t py[2], ny = path_of(a, p, (uint32_t)y->link, py);
        int uses = 0;
        for (uint32_t g = 0; g < ny; g++) uses |= py[g] == px[h];
        /* under way at x's start (x itself included) */
        double eps = 1e-12 * (1 + x->start_s);
        if (uses && y->start_s <= x->start_s + eps &&
            (j == i || y->start_s + y->duration_s > x->start_s + eps))
          busy++;
      }
      uint32_t modes = a->links[px[h]].multiplexing ? a->links[px[h]].multiplexing : 1;
      if (busy > modes)
        fail_msg("arch link %u carries %u pairs at %.9g s (%u mode%s)", px[h], busy, x->start_s,
                 modes, modes == 1 ? "" : "s");
      if (busy > worst) worst = busy;
    }
  }
  return worst;
}

/* ------------------------------------------------------------ circuits */

static tsr_program *compile(const tsr_circuit *c, const tsr_arch *a) {
  tsr_error err;
  tsr_program *p = NULL;
  assert_ok(tsr_compile_program(c, a, NULL, &p, &err), &err);
  assert_non_null(p);
  return p;
}

/* n qubits; h q[0]; then cx q[0], q[t] for each t of targets. */
static tsr_circuit *fan_out(uint32_t n, const uint32_t *targets, size_t nt) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_non_null(c);
  assert_ok(tsr_circuit_add_qreg(c, "q", n, NULL, &err), &err);
  uint32_t q0 = 0;
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_H, &q0, 1, NULL, 0, &err), &err);
  for (size_t i = 0; i < nt; i++) {
    uint32_t q[2] = {0, targets[i]};
    assert_ok(tsr_circuit_append_gate(c, TSR_GATE_CX, q, 2, NULL, 0, &err), &err);
  }
  return c;
}

/* The two EPR operations of a program with exactly two. */
static void two_pairs(const tsr_program *p, const tsr_program_op **x, const tsr_program_op **y) {
  *x = *y = NULL;
  for (size_t i = 0; i < p->nops; i++) {
    if (p->ops[i].role != TSR_PROG_EPR) continue;
    if (!*x)
      *x = &p->ops[i];
    else if (!*y)
      *y = &p->ops[i];
    else
      fail_msg("more than two EPR operations");
  }
  assert_non_null(*x);
  assert_non_null(*y);
}

/* Compiles c on a: exactly two EPR pairs *x and *y, on program links of
 * their own, each over `hops` arch links (px, py). */
static tsr_program *two_pairs_over(const tsr_circuit *c, const tsr_arch *a, uint32_t hops,
                                   const tsr_program_op **x, const tsr_program_op **y,
                                   uint32_t px[2], uint32_t py[2]) {
  tsr_program *p = compile(c, a);
  assert_int_equal(p->metrics.ebits, 2);
  two_pairs(p, x, y);
  assert_int_not_equal((*x)->link, (*y)->link);
  assert_int_equal(path_of(a, p, (uint32_t)(*x)->link, px), hops);
  assert_int_equal(path_of(a, p, (uint32_t)(*y)->link, py), hops);
  return p;
}

/* ------------------------------------------------------------ tests */

/* q0 fans out to q1 and q2, one qubit per module of a star: the two pairs
 * (on two program links, both through q0's module's hop to the hub) are
 * wanted at once. One mode: one after the other; two modes: together. */
static void star_shared_hop(void **state) {
  (void)state;
  const uint32_t t[] = {1, 2};
  tsr_circuit *c = fan_out(3, t, 2);
  double makespan[2] = {0, 0};
  for (uint32_t modes = 1; modes <= 2; modes++) {
    tsr_arch *a = ideal_machine(3, 1, 2, IDEAL_STAR, modes);
    const tsr_program_op *x, *y;
    uint32_t px[2], py[2];
    tsr_program *p = two_pairs_over(c, a, 2, &x, &y, px, py);
    assert_true(px[0] == py[0] || px[0] == py[1] || px[1] == py[0] || px[1] == py[1]);
    uint32_t worst = check_channels(a, p);
    if (modes == 1) {
      assert_false(overlap(x, y));
      assert_true(y->start_s >= x->start_s + x->duration_s * (1 - 1e-12));
      assert_int_equal(worst, 1);
    } else {
      assert_true(overlap(x, y));
      assert_int_equal(worst, 2);
    }
    makespan[modes - 1] = p->metrics.makespan_s;
    tsr_program_free(p);
    tsr_arch_free(a);
  }
  assert_true(makespan[1] < makespan[0]);
  tsr_circuit_free(c);
}

/* The same circuit with direct links (a triangle, a line through q0's
 * module): the two pairs are on links of their own and overlap, as they did
 * before hops were shared. */
static void direct_links_overlap(void **state) {
  (void)state;
  const uint32_t t[] = {1, 2};
  tsr_circuit *c = fan_out(3, t, 2);
  for (int shape = IDEAL_COMPLETE; shape <= IDEAL_LINE; shape++) {
    tsr_arch *a = ideal_machine(3, 1, 2, shape, 1);
    const tsr_program_op *x, *y;
    uint32_t px[2], py[2];
    tsr_program *p = two_pairs_over(c, a, 1, &x, &y, px, py);
    assert_true(overlap(x, y));
    assert_int_equal(check_channels(a, p), 1);
    tsr_program_free(p);
    tsr_arch_free(a);
  }
  tsr_circuit_free(c);
}

/* One qubit per module of two, cx q0, q1; rx(0.3) q0; rz(0.3) q1; cx q0, q1:
 * the rotations end any copy of either qubit, so two pairs on one link,
 * both could start at once (two communication qubits each). One mode: one
 * pair at a time on the link, as before; two modes: at most two (the
 * distributor reuses the link's communication qubits, so here they do not
 * overlap; tests/exec/test_shared_hops.c has two at once on one link). */
static void one_link_two_pairs(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_non_null(c);
  assert_ok(tsr_circuit_add_qreg(c, "q", 2, NULL, &err), &err);
  uint32_t q[2] = {0, 1};
  double theta = 0.3;
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_CX, q, 2, NULL, 0, &err), &err);
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_RX, &q[0], 1, &theta, 1, &err), &err);
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_RZ, &q[1], 1, &theta, 1, &err), &err);
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_CX, q, 2, NULL, 0, &err), &err);
  for (uint32_t modes = 1; modes <= 2; modes++) {
    tsr_arch *a = ideal_machine(2, 1, 2, IDEAL_COMPLETE, modes);
    tsr_program *p = compile(c, a);
    assert_int_equal(p->metrics.ebits, 2);
    const tsr_program_op *x, *y;
    two_pairs(p, &x, &y);
    assert_int_equal(x->link, y->link);
    if (modes == 1) assert_false(overlap(x, y));
    assert_true(check_channels(a, p) <= modes);
    tsr_program_free(p);
    tsr_arch_free(a);
  }
  tsr_circuit_free(c);
}

/* Random CX circuits over a star of four modules: no arch link ever
 * exceeds its modes, and pairs do wait for each other there. */
static void random_circuits_on_a_star(void **state) {
  (void)state;
  tsr_error err;
  for (uint32_t modes = 1; modes <= 3; modes++) {
    tsr_arch *a = ideal_machine(4, 3, 2, IDEAL_STAR, modes);
    for (uint64_t seed = 1; seed <= 3; seed++) {
      tsr_circuit *c = tsr_circuit_new(&err);
      assert_non_null(c);
      assert_ok(tsr_circuit_add_qreg(c, "q", 12, NULL, &err), &err);
      tsr_rng rng;
      tsr_rng_seed(&rng, seed, 3);
      for (int g = 0; g < 40; g++) {
        uint32_t q[2];
        q[0] = (uint32_t)tsr_rng_below(&rng, 12);
        do q[1] = (uint32_t)tsr_rng_below(&rng, 12);
        while (q[1] == q[0]);
        assert_ok(tsr_circuit_append_gate(c, TSR_GATE_CX, q, 2, NULL, 0, &err), &err);
      }
      tsr_program *p = compile(c, a);
      assert_true(p->metrics.ebits > 0);
      check_channels(a, p);
      tsr_program_free(p);
      tsr_circuit_free(c);
    }
    tsr_arch_free(a);
  }
}

/* The README's demo: GHZ-24 on the default machine with at most 8 data
 * qubits per module (tessera run --spread 8): its pairs go through the hub,
 * and the hub's one-mode links carry one at a time. */
static void default_machine_spread(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_default(&a, &err), &err);
  for (size_t m = 0; m < a->n_modules; m++) {
    tsr_module_params *mp = &a->modules[m].params;
    if (a->modules[m].role == TSR_ROLE_COMPUTE && mp->qubits - mp->communication_qubits > 8)
      mp->qubits = 8 + mp->communication_qubits;
  }
  tsr_circuit *c = NULL;
  char path[1024];
  assert_ok(tsr_qasm_read_file(
                tsr_test_source_path(path, sizeof path, "examples/circuits/ghz24.qasm"), &c, &err),
            &err);
  tsr_program *p = compile(c, a);
  assert_int_equal(p->metrics.ebits, 2);
  const tsr_program_op *x, *y;
  two_pairs(p, &x, &y);
  uint32_t px[2], py[2];
  assert_int_equal(path_of(a, p, (uint32_t)x->link, px), 2);
  assert_int_equal(path_of(a, p, (uint32_t)y->link, py), 2);
  if (px[0] == py[0] || px[0] == py[1] || px[1] == py[0] || px[1] == py[1])
    assert_false(overlap(x, y));
  assert_int_equal(check_channels(a, p), 1);
  tsr_program_free(p);
  tsr_circuit_free(c);
  tsr_arch_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(star_shared_hop),        cmocka_unit_test(direct_links_overlap),
      cmocka_unit_test(one_link_two_pairs),     cmocka_unit_test(random_circuits_on_a_star),
      cmocka_unit_test(default_machine_spread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
