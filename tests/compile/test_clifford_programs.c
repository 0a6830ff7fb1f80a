/* Compiled programs of published instances checked by stabilizer
 * simulation: pytket-dqc's cz_fraction circuits (h and cu1(pi) only, so
 * Clifford) on 32 qubits are far beyond the state vector, but the program,
 * EPR pairs, mid-circuit measurements and feed-forward included, runs on a
 * tableau; the inverse of the source on the final placement must then leave
 * every logical qubit in |0> with certainty. This covers what the small
 * random circuits of test_distribute.c rarely reach: long chains and
 * overlapping embedded sandwiches, many copies at once, and (on the
 * heterogeneous network, 5 communication qubits per server) copies ended and
 * made again when the modules run out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsr_test.h"

#include "program_sim.h"
#include "tessera/arch.h"
#include "tessera/compile.h"
#include "tessera/program.h"
#include "tessera/sim.h"

/* Runs p on a tableau (one random branch of its feed-forward, from seed),
 * then the inverse of source c on the final placement: 1 when every logical
 * qubit is then |0> with certainty, else 0. */
static int clifford_equivalent(const tsr_program *p, const tsr_circuit *c, uint64_t seed) {
  tsr_error err;
  tsr_tableau *t = NULL;
  assert_ok(psim_run_tableau(p, seed, &t, &err), &err);
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, 1);
  /* the source backwards, each gate inverted (its matrix's adjoint) */
  for (size_t i = c->nops; i-- > 0;) {
    const tsr_op *op = &c->ops[i];
    if (op->kind == TSR_OP_BARRIER) continue;
    assert_true(op->nqubits <= 2);
    double complex m[16], adj[16];
    unsigned d = 1u << op->nqubits;
    assert_ok(tsr_gate_matrix(op->kind, op->params, op->nqubits, m, &err), &err);
    for (unsigned r = 0; r < d; r++)
      for (unsigned col = 0; col < d; col++) adj[r * d + col] = conj(m[col * d + r]);
    uint32_t q[2];
    for (uint32_t k = 0; k < op->nqubits; k++) q[k] = p->final_placement[op->qubits[k]];
    assert_ok(tsr_tableau_apply_matrix(t, q, op->nqubits, adj, "inverse", &err), &err);
  }
  int same = 1;
  for (uint32_t l = 0; l < p->nlogical; l++) {
    int out = 1, det = 0;
    assert_ok(tsr_tableau_measure(t, p->final_placement[l], &rng, &out, &det, &err), &err);
    same &= det && !out;
  }
  tsr_tableau_free(t);
  return same;
}

static tsr_program *compile_for_pairs(const tsr_circuit *c, const tsr_arch *a, int cat_only) {
  tsr_error err;
  tsr_compile_options o;
  tsr_compile_options_default(&o);
  o.cost = TSR_COST_EBITS;
  o.route = 0;
  o.native = 0;
  o.allow_teleport = !cat_only;
  tsr_program *p = NULL;
  assert_ok(tsr_compile_program(c, a, &o, &p, &err), &err);
  assert_true(p->metrics.ebits > 0);
  return p;
}

static void published_cz_fraction_instances(void **state) {
  (void)state;
  static const struct {
    const char *circuit, *network;
  } cases[] = {
      {"cz_fraction_0.3_n32_0", "all_to_all_2s_32q_0"},
      {"cz_fraction_0.3_n32_1", "all_to_all_2s_32q_0"},
      {"cz_fraction_0.3_n32_2", "all_to_all_2s_32q_0"}, /* two overlapping sandwiches pay */
      {"cz_fraction_0.3_n32_3", "all_to_all_2s_32q_0"},
      {"cz_fraction_0.3_n32_4", "all_to_all_2s_32q_0"},
      {"cz_fraction_0.7_n32_0", "all_to_all_2s_32q_0"},
      {"cz_fraction_0.7_n24_1", "all_to_all_3s_24q_0"},
      {"cz_fraction_0.5_n32_1", "all_to_all_4s_32q_0"},
      {"cz_fraction_0.3_n48_0", "all_to_all_6s_48q_0"},
      /* 5 communication qubits per server */
      {"cz_fraction_0.9_n30_0", "random_5s_30q_0"},
      {"cz_fraction_0.5_n30_3", "small_world_5s_30q_2"},
      {"cz_fraction_0.7_n30_1", "scale_free_5s_30q_4"},
  };
  char dir[4096];
  TSR_REQUIRE_SHARED(dir, "compile/pytket-dqc");
  tsr_error err;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[4700];
    snprintf(path, sizeof path, "%s/circuits/%s.qasm", dir, cases[i].circuit);
    tsr_circuit *c = NULL;
    assert_ok(tsr_qasm_read_file(path, &c, &err), &err);
    snprintf(path, sizeof path, "%s/networks/%s.json", dir, cases[i].network);
    char *text = NULL;
    size_t len = 0;
    assert_ok(tsr_read_file(path, &text, &len, &err), &err);
    tsr_arch *a = NULL;
    assert_ok(tsr_arch_load_string(text, len, path, &a, &err), &err);
    for (int cat_only = 0; cat_only <= 1; cat_only++) {
      tsr_program *p = compile_for_pairs(c, a, cat_only);
      for (uint64_t seed = 1; seed <= 2; seed++) {
        if (!clifford_equivalent(p, c, seed))
          fail_msg("%s on %s%s (seed %llu): the program's state is not the source's",
                   cases[i].circuit, cases[i].network, cat_only ? ", cat-entanglement only" : "",
                   (unsigned long long)seed);
      }
      tsr_program_free(p);
    }
    tsr_arch_free(a);
    free(text);
    tsr_circuit_free(c);
  }
}

/* The check can fail: a program compiled from a circuit is not equivalent
 * to that circuit with one more h, on any qubit (no stabilizer state is an
 * eigenstate of h on one qubit: that qubit's reduced state would have to be
 * an eigenstate of h or mix both of its eigenstates). */
static void detects_a_different_source(void **state) {
  (void)state;
  static const char net[] = "{\"servers\": [{\"id\": 0, \"qubits\": 6, \"link_qubits\": 3},\n"
                            " {\"id\": 1, \"qubits\": 6, \"link_qubits\": 3}],\n"
                            " \"links\": [[0, 1]]}\n";
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_load_string(net, sizeof net - 1, "net.json", &a, &err), &err);
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_non_null(c);
  assert_ok(tsr_circuit_add_qreg(c, "q", 10, NULL, &err), &err);
  tsr_rng rng;
  tsr_rng_seed(&rng, 7, 0);
  for (int g = 0; g < 60; g++) {
    uint32_t q[2] = {(uint32_t)tsr_rng_below(&rng, 10), (uint32_t)tsr_rng_below(&rng, 9)};
    q[1] += q[1] >= q[0];
    int two = g % 3 != 0;
    assert_ok(
        tsr_circuit_append_gate(c, two ? TSR_GATE_CZ : TSR_GATE_H, q, two ? 2 : 1, NULL, 0, &err),
        &err);
  }
  tsr_program *p = compile_for_pairs(c, a, 0);
  assert_true(clifford_equivalent(p, c, 1));
  uint32_t changed = 0;
  for (uint32_t x = 0; x < 10; x++) {
    tsr_circuit *d = tsr_circuit_clone(c, &err);
    assert_non_null(d);
    assert_ok(tsr_circuit_append_gate(d, TSR_GATE_H, &x, 1, NULL, 0, &err), &err);
    changed += !clifford_equivalent(p, d, 1);
    tsr_circuit_free(d);
  }
  assert_int_equal(changed, 10);
  tsr_program_free(p);
  tsr_circuit_free(c);
  tsr_arch_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(published_cz_fraction_instances),
      cmocka_unit_test(detects_a_different_source),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
