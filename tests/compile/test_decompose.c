/* Compile: decomposition of every catalogue gate into {1q, cx | cz} and the
 * peephole simplifier, both checked against full unitaries (n <= 6); their
 * traced variants (which input operation each output operation comes from). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsr_test.h"
#include "unitary_helper.h"

#include "compile/compile_internal.h"
#include "tessera/compile.h"

#define TOL 1e-9

static tsr_circuit *new_circuit(uint32_t n) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_non_null(c);
  assert_ok(tsr_circuit_add_qreg(c, "q", n, NULL, &err), &err);
  return c;
}

static void add(tsr_circuit *c, tsr_gate k, uint32_t a, int b, double p0) {
  tsr_error err;
  uint32_t q[2] = {a, (uint32_t)b};
  const tsr_gate_info *info = tsr_gate_get(k);
  double p[4] = {p0, 0.3, -0.7, 0.1};
  assert_ok(tsr_circuit_append_gate(c, k, q, b < 0 ? 1 : 2, p, info->nparams, &err), &err);
}

/* Only single-qubit gates and the basis gate. */
static void assert_in_basis(const tsr_circuit *c, tsr_gate basis) {
  for (size_t i = 0; i < c->nops; i++) {
    const tsr_op *op = &c->ops[i];
    if (op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET || op->kind == TSR_OP_BARRIER) {
      continue;
    }
    if (op->nqubits == 1) continue;
    if (op->kind != basis) fail_msg("op %zu is %s", i, tsr_gate_get(op->kind)->name);
  }
}

static void every_catalogue_gate_decomposes(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 3, 0);
  tsr_error err;
  int tested = 0;
  for (int kind = 1; kind < TSR_GATE_COUNT; kind++) {
    const tsr_gate_info *info = tsr_gate_get((tsr_gate)kind);
    if (!info || !(info->flags & TSR_GF_UNITARY) || kind == TSR_GATE_OPAQUE) continue;
    unsigned nq = info->nqubits ? info->nqubits : 3;
    if (nq > 5) continue;
    for (int rep = 0; rep < 3; rep++) {
      uint32_t n = nq + 1;
      tsr_circuit *c = new_circuit(n);
      uint32_t perm[6] = {0, 1, 2, 3, 4, 5};
      for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)tsr_rng_below(&rng, i), t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
      }
      double p[4];
      for (int i = 0; i < 4; i++) p[i] = (tsr_rng_uniform(&rng) * 2 - 1) * M_PI;
      if (rep == 1)
        for (int i = 0; i < 4; i++) p[i] = M_PI / 2 * (i + 1);
      assert_ok(tsr_circuit_append_gate(c, (tsr_gate)kind, perm, nq, p, info->nparams, &err), &err);
      for (int b = 0; b < 2; b++) {
        tsr_gate basis = b ? TSR_GATE_CZ : TSR_GATE_CX;
        tsr_circuit *d = NULL, *s = NULL;
        assert_ok(tsr_decompose(c, basis, &d, &err), &err);
        assert_in_basis(d, basis);
        double dist = uh_circuit_distance(c, d);
        if (!(dist < TOL))
          fail_msg("%s (basis %s): distance %.3g", info->name, b ? "cz" : "cx", dist);
        assert_ok(tsr_simplify(d, &s, NULL, &err), &err);
        assert_in_basis(s, basis);
        assert_true(s->nops <= d->nops);
        dist = uh_circuit_distance(c, s);
        if (!(dist < TOL)) fail_msg("%s simplified: distance %.3g", info->name, dist);
        tsr_circuit_free(d);
        tsr_circuit_free(s);
      }
      tsr_circuit_free(c);
      tested++;
    }
  }
  assert_true(tested > 150);
}

static void decompose_keeps_measure_condition_barrier(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = new_circuit(3);
  assert_ok(tsr_circuit_add_creg(c, "c", 2, NULL, &err), &err);
  add(c, TSR_GATE_H, 0, -1, 0);
  uint32_t all[3] = {0, 1, 2};
  assert_ok(tsr_circuit_append_barrier(c, all, 3, &err), &err);
  assert_ok(tsr_circuit_append_measure(c, 0, 1, &err), &err);
  add(c, TSR_GATE_SWAP, 1, 2, 0);
  uint64_t v = 2;
  assert_ok(tsr_circuit_condition_last(c, 0, 0, &v, 1, &err), &err);
  assert_ok(tsr_circuit_append_reset(c, 2, &err), &err);
  tsr_circuit *d = NULL;
  assert_ok(tsr_decompose(c, TSR_GATE_CZ, &d, &err), &err);
  assert_int_equal(d->ncregs, 1);
  assert_int_equal(d->ops[1].kind, TSR_OP_BARRIER);
  assert_int_equal(d->ops[2].kind, TSR_OP_MEASURE);
  assert_int_equal(d->ops[2].clbit, 1);
  size_t conditioned = 0;
  for (size_t i = 3; i + 1 < d->nops; i++) {
    assert_true(d->ops[i].cond >= 0);
    assert_int_equal(d->conds[d->ops[i].cond].value[0], 2);
    conditioned++;
  }
  assert_true(conditioned >= 3); /* 3 cz plus hadamards */
  assert_int_equal(d->ops[d->nops - 1].kind, TSR_OP_RESET);
  tsr_circuit_free(d);
  /* simplify keeps conditioned gates and measurements in place */
  tsr_circuit *s = NULL;
  assert_ok(tsr_simplify(c, &s, NULL, &err), &err);
  assert_int_equal(s->nops, c->nops);
  tsr_circuit_free(s);
  /* opaque gates cannot be decomposed */
  uint32_t q = 0;
  assert_ok(tsr_circuit_append_opaque(c, "magic", &q, 1, NULL, 0, &err), &err);
  assert_int_equal(tsr_decompose(c, TSR_GATE_CX, &d, &err), TSR_ERR_UNSUPPORTED);
  assert_null(d);
  assert_int_equal(tsr_decompose(c, TSR_GATE_H, &d, &err), TSR_ERR_VALUE);
  tsr_circuit_free(c);
}

/* Simplifies c and checks the result has `expect` operations and the same
 * unitary. */
static void expect_simplified(tsr_circuit *c, size_t expect) {
  tsr_error err;
  tsr_circuit *s = NULL;
  tsr_simplify_stats st;
  assert_ok(tsr_simplify(c, &s, &st, &err), &err);
  if (s->nops != expect) fail_msg("%zu ops after simplify, expected %zu", s->nops, expect);
  double d = uh_circuit_distance(c, s);
  if (!(d < TOL)) fail_msg("distance %.3g", d);
  tsr_circuit_free(s);
  tsr_circuit_free(c);
}

static void simplify_peepholes(void **state) {
  (void)state;
  tsr_circuit *c;
  /* adjacent inverses */
  c = new_circuit(2);
  add(c, TSR_GATE_CX, 0, 1, 0);
  add(c, TSR_GATE_CX, 0, 1, 0);
  add(c, TSR_GATE_H, 1, -1, 0);
  add(c, TSR_GATE_H, 1, -1, 0);
  add(c, TSR_GATE_CZ, 0, 1, 0);
  add(c, TSR_GATE_CZ, 1, 0, 0);
  expect_simplified(c, 0);
  /* rotations merge; zero rotations drop */
  c = new_circuit(2);
  add(c, TSR_GATE_RZ, 0, -1, 0.3);
  add(c, TSR_GATE_P, 0, -1, 0.4);
  add(c, TSR_GATE_T, 0, -1, 0);
  add(c, TSR_GATE_CP, 0, 1, 0.2);
  add(c, TSR_GATE_CP, 1, 0, 0.5);
  add(c, TSR_GATE_RX, 1, -1, 2 * M_PI);
  add(c, TSR_GATE_RZZ, 0, 1, 0.0);
  expect_simplified(c, 2);
  /* cancellation through gates that commute: cx, rz on control, cx */
  c = new_circuit(3);
  add(c, TSR_GATE_CX, 0, 1, 0);
  add(c, TSR_GATE_RZ, 0, -1, 0.3);
  add(c, TSR_GATE_CZ, 0, 2, 0);
  add(c, TSR_GATE_CX, 0, 1, 0);
  expect_simplified(c, 2);
  /* rz, cz, rz(-) on the control merges away */
  c = new_circuit(2);
  add(c, TSR_GATE_RZ, 0, -1, 0.7);
  add(c, TSR_GATE_CZ, 0, 1, 0);
  add(c, TSR_GATE_RZ, 0, -1, -0.7);
  expect_simplified(c, 1);
  /* a run of 1q gates becomes one gate; h t h s -> one */
  c = new_circuit(1);
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_T, 0, -1, 0);
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_S, 0, -1, 0);
  expect_simplified(c, 1);
  /* h s s h = x */
  c = new_circuit(1);
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_S, 0, -1, 0);
  add(c, TSR_GATE_S, 0, -1, 0);
  add(c, TSR_GATE_H, 0, -1, 0);
  {
    tsr_error err;
    tsr_circuit *s = NULL;
    assert_ok(tsr_simplify(c, &s, NULL, &err), &err);
    assert_int_equal(s->nops, 1);
    assert_int_equal(s->ops[0].kind, TSR_GATE_X);
    tsr_circuit_free(s);
  }
  expect_simplified(c, 1);
  /* h across a cz does not move */
  c = new_circuit(2);
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_CZ, 0, 1, 0);
  add(c, TSR_GATE_H, 0, -1, 0);
  expect_simplified(c, 3);
  /* crz on swapped operands is a different gate: no merge */
  c = new_circuit(2);
  add(c, TSR_GATE_CRZ, 0, 1, 0.3);
  add(c, TSR_GATE_CRZ, 1, 0, 0.3);
  expect_simplified(c, 2);
  c = new_circuit(2);
  add(c, TSR_GATE_CRZ, 0, 1, 0.3);
  add(c, TSR_GATE_CRZ, 0, 1, -0.3);
  expect_simplified(c, 0);
}

static void simplify_random_circuits(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 99, 0);
  tsr_error err;
  const tsr_gate pool[] = {TSR_GATE_H,  TSR_GATE_X,   TSR_GATE_S,   TSR_GATE_SDG,  TSR_GATE_T,
                           TSR_GATE_RZ, TSR_GATE_RX,  TSR_GATE_CX,  TSR_GATE_CZ,   TSR_GATE_CP,
                           TSR_GATE_SX, TSR_GATE_RZZ, TSR_GATE_CRZ, TSR_GATE_SWAP, TSR_GATE_U3};
  const size_t npool = sizeof pool / sizeof pool[0];
  for (int rep = 0; rep < 40; rep++) {
    uint32_t n = 2 + (uint32_t)tsr_rng_below(&rng, 3);
    tsr_circuit *c = new_circuit(n);
    for (int g = 0; g < 60; g++) {
      tsr_gate k = pool[tsr_rng_below(&rng, npool)];
      uint32_t a = (uint32_t)tsr_rng_below(&rng, n), b = (uint32_t)tsr_rng_below(&rng, n - 1);
      if (b >= a) b++;
      /* small angle set so that merges and cancellations happen */
      double ang = (double)((int)tsr_rng_below(&rng, 5) - 2) * M_PI / 4;
      add(c, k, a, tsr_gate_get(k)->nqubits == 2 ? (int)b : -1, ang);
    }
    tsr_circuit *s = NULL, *d = NULL, *ds = NULL;
    assert_ok(tsr_simplify(c, &s, NULL, &err), &err);
    assert_true(s->nops <= c->nops);
    assert_true(uh_circuit_distance(c, s) < TOL);
    assert_ok(tsr_decompose(c, TSR_GATE_CZ, &d, &err), &err);
    assert_ok(tsr_simplify(d, &ds, NULL, &err), &err);
    assert_true(uh_circuit_distance(c, ds) < TOL);
    assert_true(ds->nops < d->nops);
    tsr_circuit_free(c);
    tsr_circuit_free(s);
    tsr_circuit_free(d);
    tsr_circuit_free(ds);
  }
}

/* Whether every qubit of a is a qubit of b. */
static int qubits_within(const tsr_op *a, const tsr_op *b) {
  for (uint32_t i = 0; i < a->nqubits; i++) {
    int found = 0;
    for (uint32_t j = 0; j < b->nqubits; j++) found |= a->qubits[i] == b->qubits[j];
    if (!found) return 0;
  }
  return 1;
}

/* The traced decomposition and simplification give the same circuits as
 * the plain ones, and a map from each output operation to the input one it
 * comes from: in range, non-decreasing (strictly for simplify: one node per
 * input operation), on the input operation's qubits; a measurement maps to
 * itself; the decomposition of a 3-qubit gate maps every piece to it. */
static void traced_decompose_and_simplify(void **state) {
  (void)state;
  tsr_rng rng;
  tsr_rng_seed(&rng, 7, 0);
  tsr_error err;
  const tsr_gate pool[] = {TSR_GATE_H,   TSR_GATE_T,   TSR_GATE_RZ,   TSR_GATE_CX,
                           TSR_GATE_CZ,  TSR_GATE_CY,  TSR_GATE_CH,   TSR_GATE_SWAP,
                           TSR_GATE_RXX, TSR_GATE_CCX, TSR_GATE_CSWAP};
  const size_t npool = sizeof pool / sizeof pool[0];
  for (int rep = 0; rep < 20; rep++) {
    uint32_t n = 3 + (uint32_t)tsr_rng_below(&rng, 2);
    tsr_circuit *c = new_circuit(n);
    assert_ok(tsr_circuit_add_creg(c, "c", n, NULL, &err), &err);
    for (int g = 0; g < 30; g++) {
      tsr_gate k = pool[tsr_rng_below(&rng, npool)];
      uint32_t q[3];
      q[0] = (uint32_t)tsr_rng_below(&rng, n);
      do q[1] = (uint32_t)tsr_rng_below(&rng, n);
      while (q[1] == q[0]);
      do q[2] = (uint32_t)tsr_rng_below(&rng, n);
      while (q[2] == q[0] || q[2] == q[1]);
      double p[1] = {(double)((int)tsr_rng_below(&rng, 5) - 2) * M_PI / 4};
      const tsr_gate_info *info = tsr_gate_get(k);
      assert_ok(tsr_circuit_append_gate(c, k, q, info->nqubits, p, info->nparams, &err), &err);
      if (g % 10 == 9) assert_ok(tsr_circuit_append_measure(c, q[0], q[0], &err), &err);
    }
    tsr_circuit *d = NULL, *d0 = NULL, *s = NULL, *s0 = NULL;
    int64_t *dm = NULL, *sm = NULL;
    assert_ok(tsr__decompose_for_packets_traced(c, &d, &dm, &err), &err);
    assert_ok(tsr__decompose_for_packets(c, &d0, &err), &err);
    assert_non_null(dm);
    assert_int_equal(d->nops, d0->nops);
    for (size_t i = 0; i < d->nops; i++) {
      assert_true(dm[i] >= 0 && dm[i] < (int64_t)c->nops);
      if (i > 0) assert_true(dm[i] >= dm[i - 1]);
      const tsr_op *from = &c->ops[dm[i]];
      assert_true(qubits_within(&d->ops[i], from));
      if (d->ops[i].kind == TSR_OP_MEASURE) assert_int_equal(from->kind, TSR_OP_MEASURE);
      if (from->nqubits == 3)
        assert_true(from->kind == TSR_GATE_CCX || from->kind == TSR_GATE_CSWAP);
    }
    /* every input operation has pieces (none of these gates is an identity) */
    for (size_t j = 0, i = 0; j < c->nops; j++) {
      assert_true(i < d->nops && dm[i] == (int64_t)j);
      while (i < d->nops && dm[i] == (int64_t)j) i++;
    }
    assert_ok(tsr__simplify_traced(d, &s, NULL, &sm, &err), &err);
    assert_ok(tsr_simplify(d, &s0, NULL, &err), &err);
    assert_non_null(sm);
    assert_int_equal(s->nops, s0->nops);
    assert_true(s->nops < d->nops);
    for (size_t i = 0; i < s->nops; i++) {
      assert_true(sm[i] >= 0 && sm[i] < (int64_t)d->nops);
      if (i > 0) assert_true(sm[i] > sm[i - 1]);
      const tsr_op *from = &d->ops[sm[i]];
      assert_int_equal(s->ops[i].nqubits, from->nqubits);
      assert_true(qubits_within(&s->ops[i], from));
      if (from->nqubits == 2 || from->kind == TSR_OP_MEASURE)
        assert_int_equal(s->ops[i].kind, from->kind);
    }
    free(dm);
    free(sm);
    tsr_circuit_free(c);
    tsr_circuit_free(d);
    tsr_circuit_free(d0);
    tsr_circuit_free(s);
    tsr_circuit_free(s0);
  }
}

static void synthesize_circuit_native(void **state) {
  (void)state;
  tsr_error err;
  tsr_rng rng;
  tsr_rng_seed(&rng, 17, 0);
  const tsr_gate pool[] = {TSR_GATE_H,  TSR_GATE_CCX,  TSR_GATE_CX,    TSR_GATE_CP,
                           TSR_GATE_RY, TSR_GATE_SWAP, TSR_GATE_CSWAP, TSR_GATE_ISWAP};
  for (int rep = 0; rep < 10; rep++) {
    tsr_circuit *c = new_circuit(4);
    for (int g = 0; g < 25; g++) {
      tsr_gate k = pool[tsr_rng_below(&rng, sizeof pool / sizeof pool[0])];
      uint32_t q[4] = {0, 1, 2, 3};
      for (uint32_t i = 4; i > 1; i--) {
        uint32_t j = (uint32_t)tsr_rng_below(&rng, i), t = q[i - 1];
        q[i - 1] = q[j];
        q[j] = t;
      }
      double p = tsr_rng_uniform(&rng) * 6;
      const tsr_gate_info *info = tsr_gate_get(k);
      assert_ok(tsr_circuit_append_gate(c, k, q, info->nqubits, &p, info->nparams, &err), &err);
    }
    for (int e = 0; e < TSR_ENT_COUNT; e++) {
      tsr_basis_1q b = (tsr_basis_1q)((rep + e) % TSR_BASIS_1Q_COUNT);
      tsr_circuit *s = NULL;
      assert_ok(tsr_synthesize(c, b, (tsr_entangler)e, &s, &err), &err);
      double d = uh_circuit_distance(c, s);
      if (!(d < TOL)) fail_msg("entangler %d basis %d: distance %.3g", e, (int)b, d);
      tsr_circuit_free(s);
    }
    tsr_circuit_free(c);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_catalogue_gate_decomposes),
      cmocka_unit_test(decompose_keeps_measure_condition_barrier),
      cmocka_unit_test(simplify_peepholes),
      cmocka_unit_test(simplify_random_circuits),
      cmocka_unit_test(traced_decompose_and_simplify),
      cmocka_unit_test(synthesize_circuit_native),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
