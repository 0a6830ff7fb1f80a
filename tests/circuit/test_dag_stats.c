/* Circuit DAG and statistics: dependencies through qubits, measure targets
 * and conditions, barrier ordering, ASAP layers, the front iterator, and
 * depth as Qiskit counts it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/circuit.h"
#include "tsr_test.h"

static tsr_circuit *new_circuit(uint32_t nq, uint32_t nc) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_non_null(c);
  if (nq) assert_ok(tsr_circuit_add_qreg(c, "q", nq, NULL, &err), &err);
  if (nc) assert_ok(tsr_circuit_add_creg(c, "c", nc, NULL, &err), &err);
  return c;
}

static void gate1(tsr_circuit *c, tsr_gate kind, uint32_t q) {
  tsr_error err;
  assert_ok(tsr_circuit_append_gate(c, kind, &q, 1, NULL, 0, &err), &err);
}

static void gate2(tsr_circuit *c, tsr_gate kind, uint32_t a, uint32_t b) {
  tsr_error err;
  uint32_t q[2] = {a, b};
  assert_ok(tsr_circuit_append_gate(c, kind, q, 2, NULL, 0, &err), &err);
}

static void measure(tsr_circuit *c, uint32_t q, uint32_t b) {
  tsr_error err;
  assert_ok(tsr_circuit_append_measure(c, q, b, &err), &err);
}

static void barrier(tsr_circuit *c, const uint32_t *q, uint32_t n) {
  tsr_error err;
  assert_ok(tsr_circuit_append_barrier(c, q, n, &err), &err);
}

/* Conditions the last op on register 0 == value, or on one bit. */
static void if_register(tsr_circuit *c, uint64_t value) {
  tsr_error err;
  assert_ok(tsr_circuit_condition_last(c, 0, 0, &value, 1, &err), &err);
}

static void if_bit(tsr_circuit *c, uint32_t bit, uint64_t value) {
  tsr_error err;
  assert_ok(tsr_circuit_condition_last(c, -1, bit, &value, 1, &err), &err);
}

static tsr_dag *dag_of(const tsr_circuit *c) {
  tsr_error err;
  tsr_dag *d = tsr_dag_new(c, &err);
  if (!d) {
    char buf[1024];
    fail_msg("tsr_dag_new: %s", tsr_error_format(&err, buf, sizeof buf));
  }
  return d;
}

static tsr_circuit_stats stats_of(const tsr_circuit *c) {
  tsr_error err;
  tsr_circuit_stats s;
  assert_ok(tsr_circuit_compute_stats(c, &s, &err), &err);
  return s;
}

/* Asserts op i's predecessors are exactly the listed ops (sorted). */
static void assert_preds(const tsr_dag *d, size_t i, const size_t *want, size_t n) {
  size_t have = d->pred_start[i + 1] - d->pred_start[i];
  if (have != n) fail_msg("op %zu has %zu predecessors, want %zu", i, have, n);
  for (size_t k = 0; k < n; k++) assert_int_equal(d->pred[d->pred_start[i] + k], want[k]);
}

static void assert_front(const tsr_dag_front *f, const size_t *want, size_t n) {
  if (f->nfront != n) fail_msg("front has %zu ops, want %zu", f->nfront, n);
  for (size_t k = 0; k < n; k++) assert_int_equal(f->front[k], want[k]);
}

/* ------------------------------------------------------------------ tests */

static void ghz_depth_and_layers(void **state) {
  (void)state;
  tsr_circuit *c = new_circuit(4, 4);
  gate1(c, TSR_GATE_H, 0);
  gate2(c, TSR_GATE_CX, 0, 1);
  gate2(c, TSR_GATE_CX, 1, 2);
  gate2(c, TSR_GATE_CX, 2, 3);
  tsr_circuit_stats s = stats_of(c);
  assert_int_equal(s.qubits, 4);
  assert_int_equal(s.clbits, 4);
  assert_int_equal(s.depth, 4);
  assert_int_equal(s.two_qubit_depth, 3);
  assert_int_equal(s.gates, 4);
  assert_int_equal(s.two_qubit_gates, 3);
  assert_int_equal(s.multi_qubit_gates, 0);
  assert_int_equal(s.counts[TSR_GATE_H], 1);
  assert_int_equal(s.counts[TSR_GATE_CX], 3);
  tsr_dag *d = dag_of(c);
  assert_int_equal(d->nops, 4);
  assert_int_equal(d->nlayers, 4);
  for (uint32_t i = 0; i < 4; i++) assert_int_equal(d->layer[i], i);
  assert_preds(d, 0, NULL, 0);
  assert_preds(d, 2, (size_t[]){1}, 1);
  assert_int_equal(d->succ_start[1] - d->succ_start[0], 1);
  assert_int_equal(d->succ[d->succ_start[0]], 1);
  tsr_dag_free(d);
  /* Measuring every qubit adds one layer. */
  for (uint32_t q = 0; q < 4; q++) measure(c, q, q);
  s = stats_of(c);
  assert_int_equal(s.depth, 5);
  assert_int_equal(s.two_qubit_depth, 3);
  assert_int_equal(s.measurements, 4);
  assert_int_equal(s.counts[TSR_OP_MEASURE], 4);
  assert_int_equal(s.gates, 4);
  tsr_circuit_free(c);
}

static void two_qubit_depth_ignores_single_qubit_gates(void **state) {
  (void)state;
  tsr_circuit *c = new_circuit(3, 0);
  gate2(c, TSR_GATE_CZ, 0, 1);
  gate1(c, TSR_GATE_H, 1);
  gate1(c, TSR_GATE_T, 1);
  gate2(c, TSR_GATE_CX, 1, 2);
  uint32_t three[3] = {0, 1, 2};
  tsr_error err;
  assert_ok(tsr_circuit_append_gate(c, TSR_GATE_CCX, three, 3, NULL, 0, &err), &err);
  double theta = 0.5;
  assert_ok(tsr_circuit_append_opaque(c, "mygate", three, 2, &theta, 1, &err), &err);
  assert_ok(tsr_circuit_append_reset(c, 2, &err), &err);
  tsr_circuit_stats s = stats_of(c);
  assert_int_equal(s.depth, 6);
  assert_int_equal(s.two_qubit_depth, 4);
  assert_int_equal(s.gates, 6);
  assert_int_equal(s.two_qubit_gates, 3); /* cz, cx, the opaque gate */
  assert_int_equal(s.multi_qubit_gates, 1);
  assert_int_equal(s.resets, 1);
  assert_int_equal(s.counts[TSR_GATE_OPAQUE], 1);
  assert_int_equal(s.counts[TSR_OP_RESET], 1);
  tsr_circuit_free(c);
}

static void measure_then_condition_is_a_dependency(void **state) {
  (void)state;
  /* q0: h, measure -> c0; q1: x if (c == 1). The x waits for the measure. */
  tsr_circuit *c = new_circuit(2, 2);
  gate1(c, TSR_GATE_H, 0);
  measure(c, 0, 0);
  gate1(c, TSR_GATE_X, 1);
  if_register(c, 1);
  tsr_circuit_stats s = stats_of(c);
  assert_int_equal(s.depth, 3);
  assert_int_equal(s.conditioned, 1);
  tsr_dag *d = dag_of(c);
  assert_preds(d, 2, (size_t[]){1}, 1);
  assert_int_equal(d->layer[2], 2);
  assert_int_equal(d->nlayers, 3);
  tsr_dag_free(d);
  tsr_circuit_free(c);

  /* Without the condition the x is independent. */
  c = new_circuit(2, 2);
  gate1(c, TSR_GATE_H, 0);
  measure(c, 0, 0);
  gate1(c, TSR_GATE_X, 1);
  assert_int_equal(stats_of(c).depth, 2);
  d = dag_of(c);
  assert_preds(d, 2, NULL, 0);
  assert_int_equal(d->layer[2], 0);
  tsr_dag_free(d);
  tsr_circuit_free(c);

  /* A single-bit condition reads only its bit: a measure into c1 does not
     order an op conditioned on c0. */
  c = new_circuit(3, 2);
  gate1(c, TSR_GATE_H, 0);
  measure(c, 0, 1);
  gate1(c, TSR_GATE_X, 2);
  if_bit(c, 0, 1);
  d = dag_of(c);
  assert_preds(d, 2, NULL, 0);
  tsr_dag_free(d);
  assert_int_equal(stats_of(c).depth, 2);
  tsr_circuit_free(c);

  /* ... but a condition on the whole register reads c1 as well. */
  c = new_circuit(3, 2);
  gate1(c, TSR_GATE_H, 0);
  measure(c, 0, 1);
  gate1(c, TSR_GATE_X, 2);
  if_register(c, 2);
  d = dag_of(c);
  assert_preds(d, 2, (size_t[]){1}, 1);
  tsr_dag_free(d);
  tsr_circuit_free(c);
}

static void classical_reads_are_ordered_like_qiskit(void **state) {
  (void)state;
  /* Two gates on different qubits conditioned on the same register: the
     register is a wire, so Qiskit's depth counts them one after the other. */
  tsr_circuit *c = new_circuit(2, 1);
  gate1(c, TSR_GATE_X, 0);
  if_register(c, 1);
  gate1(c, TSR_GATE_X, 1);
  if_register(c, 1);
  assert_int_equal(stats_of(c).depth, 2);
  tsr_dag *d = dag_of(c);
  assert_preds(d, 1, (size_t[]){0}, 1);
  tsr_dag_free(d);
  tsr_circuit_free(c);

  /* A conditioned measure into a bit of its own condition register has no
     self-dependency. */
  c = new_circuit(1, 2);
  measure(c, 0, 0);
  if_register(c, 0);
  d = dag_of(c);
  assert_preds(d, 0, NULL, 0);
  assert_int_equal(d->nlayers, 1);
  tsr_dag_free(d);
  assert_int_equal(stats_of(c).depth, 1);
  tsr_circuit_free(c);
}

static void barriers_order_but_take_no_layer(void **state) {
  (void)state;
  /* h q0; h q0; barrier q0,q1; h q1: the barrier holds h q1 back to layer 2
     (Qiskit's depth is 3), without a layer of its own. */
  tsr_circuit *c = new_circuit(3, 0);
  gate1(c, TSR_GATE_H, 0);
  gate1(c, TSR_GATE_H, 0);
  barrier(c, (uint32_t[]){0, 1}, 2);
  gate1(c, TSR_GATE_H, 1);
  gate1(c, TSR_GATE_H, 2);
  tsr_circuit_stats s = stats_of(c);
  assert_int_equal(s.depth, 3);
  assert_int_equal(s.barriers, 1);
  assert_int_equal(s.gates, 4);
  tsr_dag *d = dag_of(c);
  assert_preds(d, 2, (size_t[]){1}, 1);
  assert_preds(d, 3, (size_t[]){2}, 1);
  assert_preds(d, 4, NULL, 0);
  assert_int_equal(d->layer[2], 2); /* the layer of what follows */
  assert_int_equal(d->layer[3], 2);
  assert_int_equal(d->layer[4], 0);
  assert_int_equal(d->nlayers, 3);
  tsr_dag_free(d);
  /* A barrier that ends the circuit stays inside the layers. */
  barrier(c, (uint32_t[]){0, 1, 2}, 3);
  assert_int_equal(stats_of(c).depth, 3);
  d = dag_of(c);
  assert_int_equal(d->nlayers, 3);
  assert_true(d->layer[5] < d->nlayers);
  assert_preds(d, 5, (size_t[]){2, 3, 4}, 3);
  tsr_dag_free(d);
  tsr_circuit_free(c);

  /* Barriers alone: depth 0, one layer for them. */
  c = new_circuit(2, 0);
  barrier(c, (uint32_t[]){0, 1}, 2);
  barrier(c, (uint32_t[]){1}, 1);
  assert_int_equal(stats_of(c).depth, 0);
  d = dag_of(c);
  assert_int_equal(d->nlayers, 1);
  assert_int_equal(d->layer[0], 0);
  assert_int_equal(d->layer[1], 0);
  assert_preds(d, 1, (size_t[]){0}, 1);
  tsr_dag_free(d);
  tsr_circuit_free(c);
}

static void front_iterator_walks_the_dag(void **state) {
  (void)state;
  /* h on 4 qubits, then cx(0,1), cx(2,3), then cx(1,2). */
  tsr_circuit *c = new_circuit(4, 0);
  for (uint32_t q = 0; q < 4; q++) gate1(c, TSR_GATE_H, q);
  gate2(c, TSR_GATE_CX, 0, 1); /* 4 */
  gate2(c, TSR_GATE_CX, 2, 3); /* 5 */
  gate2(c, TSR_GATE_CX, 1, 2); /* 6 */
  tsr_dag *d = dag_of(c);
  tsr_error err;
  tsr_dag_front f;
  assert_ok(tsr_dag_front_init(&f, d, &err), &err);
  assert_front(&f, (size_t[]){0, 1, 2, 3}, 4);
  assert_ok(tsr_dag_front_done(&f, 1, &err), &err);
  assert_front(&f, (size_t[]){0, 2, 3}, 3);
  assert_ok(tsr_dag_front_done(&f, 0, &err), &err);
  assert_front(&f, (size_t[]){2, 3, 4}, 3);
  /* Only ops in the front can be done. */
  assert_int_equal(tsr_dag_front_done(&f, 6, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_dag_front_done(&f, 0, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_dag_front_done(&f, 99, &err), TSR_ERR_VALUE);
  assert_ok(tsr_dag_front_done(&f, 3, &err), &err);
  assert_ok(tsr_dag_front_done(&f, 2, &err), &err);
  assert_front(&f, (size_t[]){4, 5}, 2);
  assert_ok(tsr_dag_front_done(&f, 5, &err), &err);
  assert_front(&f, (size_t[]){4}, 1);
  assert_ok(tsr_dag_front_done(&f, 4, &err), &err);
  assert_front(&f, (size_t[]){6}, 1);
  assert_ok(tsr_dag_front_done(&f, 6, &err), &err);
  assert_int_equal(f.nfront, 0);
  assert_int_equal(f.ndone, 7);
  tsr_dag_front_release(&f);
  tsr_dag_front_release(&f); /* twice is harmless */
  tsr_dag_free(d);
  tsr_circuit_free(c);
}

static void empty_circuit(void **state) {
  (void)state;
  tsr_circuit *c = new_circuit(0, 0);
  tsr_circuit_stats s = stats_of(c);
  assert_int_equal(s.depth, 0);
  assert_int_equal(s.gates, 0);
  tsr_dag *d = dag_of(c);
  assert_int_equal(d->nops, 0);
  assert_int_equal(d->nlayers, 0);
  tsr_error err;
  tsr_dag_front f;
  assert_ok(tsr_dag_front_init(&f, d, &err), &err);
  assert_int_equal(f.nfront, 0);
  tsr_dag_front_release(&f);
  tsr_dag_free(d);
  tsr_dag_free(NULL);
  tsr_circuit_free(c);
  assert_int_equal(tsr_circuit_compute_stats(NULL, &s, &err), TSR_ERR_VALUE);
  assert_null(tsr_dag_new(NULL, &err));
}

static void wide_barriers_stay_linear(void **state) {
  (void)state;
  /* 2000 qubits: h on each, a barrier over all, h on each, again a barrier.
     Edges grow with the operands, not their square. */
  const uint32_t n = 2000;
  tsr_circuit *c = new_circuit(n, 0);
  uint32_t *all = malloc(n * sizeof *all);
  for (uint32_t q = 0; q < n; q++) all[q] = q;
  for (uint32_t q = 0; q < n; q++) gate1(c, TSR_GATE_H, q);
  barrier(c, all, n);
  for (uint32_t q = 0; q < n; q++) gate1(c, TSR_GATE_X, q);
  barrier(c, all, n);
  tsr_dag *d = dag_of(c);
  assert_int_equal(d->pred_start[d->nops], 3 * (size_t)n);
  assert_int_equal(d->nlayers, 2);
  assert_int_equal(d->layer[n], 1);
  assert_int_equal(d->layer[n + 1], 1);
  tsr_dag_free(d);
  assert_int_equal(stats_of(c).depth, 2);
  free(all);
  tsr_circuit_free(c);
}

/* Random circuits: the DAG is topological, layers respect every edge,
 * nlayers equals the depth, and the front iterator visits every op once. */
static void random_circuits_are_consistent(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 12345, 0);
  for (int trial = 0; trial < 200; trial++) {
    uint32_t nq = 1 + (uint32_t)tsr_rng_below(&rng, 6), nc = 1 + (uint32_t)tsr_rng_below(&rng, 3);
    tsr_circuit *c = new_circuit(nq, nc);
    size_t nops = tsr_rng_below(&rng, 40);
    for (size_t i = 0; i < nops; i++) {
      uint32_t a = (uint32_t)tsr_rng_below(&rng, nq), b = (uint32_t)tsr_rng_below(&rng, nq);
      switch (tsr_rng_below(&rng, 6)) {
      case 0:
        gate1(c, TSR_GATE_H, a);
        break;
      case 1:
        if (a != b) {
          gate2(c, TSR_GATE_CX, a, b);
        } else {
          gate1(c, TSR_GATE_X, a);
        }
        break;
      case 2:
        measure(c, a, (uint32_t)tsr_rng_below(&rng, nc));
        break;
      case 3: {
        uint32_t qs[6], k = 0;
        for (uint32_t q = 0; q < nq; q++) {
          if (tsr_rng_below(&rng, 2)) qs[k++] = q;
        }
        if (k) barrier(c, qs, k);
        break;
      }
      case 4:
        gate1(c, TSR_GATE_Z, a);
        if (tsr_rng_below(&rng, 2)) {
          if_bit(c, (uint32_t)tsr_rng_below(&rng, nc), 1);
        } else {
          if_register(c, 0);
        }
        break;
      default: {
        tsr_error err;
        assert_ok(tsr_circuit_append_reset(c, a, &err), &err);
      }
      }
    }
    tsr_circuit_stats s = stats_of(c);
    tsr_dag *d = dag_of(c);
    int only_barriers = c->nops > 0 && s.barriers == c->nops;
    assert_int_equal(d->nlayers, only_barriers ? 1 : s.depth);
    for (size_t i = 0; i < d->nops; i++) {
      assert_true(d->layer[i] < d->nlayers);
      int barrier_i = c->ops[i].kind == TSR_OP_BARRIER;
      for (size_t k = d->pred_start[i]; k < d->pred_start[i + 1]; k++) {
        size_t p = d->pred[k];
        assert_true(p < i);
        if (k > d->pred_start[i]) assert_true(d->pred[k - 1] < p);
        int barrier_p = c->ops[p].kind == TSR_OP_BARRIER;
        /* A non-barrier after a non-barrier is a layer later; around a
           barrier the layers may be equal (trailing barriers are clamped). */
        if (!barrier_p && !barrier_i) assert_true(d->layer[i] > d->layer[p]);
        if (!barrier_p && barrier_i) assert_true(d->layer[i] >= d->layer[p]);
        if (barrier_p && !barrier_i) assert_true(d->layer[i] >= d->layer[p]);
      }
    }
    /* Edges appear once in each direction. */
    assert_int_equal(d->succ_start[d->nops], d->pred_start[d->nops]);
    tsr_dag_front f;
    tsr_error err;
    assert_ok(tsr_dag_front_init(&f, d, &err), &err);
    char *seen = calloc(d->nops + 1, 1);
    while (f.nfront) {
      size_t op = f.front[tsr_rng_below(&rng, f.nfront)];
      assert_false(seen[op]);
      for (size_t k = d->pred_start[op]; k < d->pred_start[op + 1]; k++) {
        assert_true(seen[d->pred[k]]);
      }
      seen[op] = 1;
      assert_ok(tsr_dag_front_done(&f, op, &err), &err);
    }
    assert_int_equal(f.ndone, d->nops);
    free(seen);
    tsr_dag_front_release(&f);
    tsr_dag_free(d);
    tsr_circuit_free(c);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ghz_depth_and_layers),
      cmocka_unit_test(two_qubit_depth_ignores_single_qubit_gates),
      cmocka_unit_test(measure_then_condition_is_a_dependency),
      cmocka_unit_test(classical_reads_are_ordered_like_qiskit),
      cmocka_unit_test(barriers_order_but_take_no_layer),
      cmocka_unit_test(front_iterator_walks_the_dag),
      cmocka_unit_test(empty_circuit),
      cmocka_unit_test(wide_barriers_stay_linear),
      cmocka_unit_test(random_circuits_are_consistent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
