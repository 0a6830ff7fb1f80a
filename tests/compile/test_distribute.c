/* The distributed compiler end to end (tsr_compile_program): every compiled
 * program is run on the state vector, protocols and feed-forward included,
 * and its logical state compared with the source circuit's (random circuits
 * over 2-4 ideal modules, a heterogeneous machine with heavy-hex and atom
 * modules, the default machine); closed forms through the whole pipeline
 * (GHZ on k modules: k - 1 EPR pairs; QFT on two modules: at most n/2 - 1);
 * routing (every two-qubit gate of a heavy-hex module on a coupler);
 * schedule validity (EPR latency, messages before the corrections they feed,
 * communication-qubit limits, measurements into one bit in order); program
 * OpenQASM round trip; every operation traced to the source operation it
 * implements (source_op). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsr_test.h"

#include "ideal_machine.h"
#include "program_sim.h"
#include "tessera/arch.h"
#include "tessera/compile.h"
#include "tessera/program.h"

/* ------------------------------------------------------------ machines */

/* A small heterogeneous machine: an ion trap, a heavy-hex superconducting
 * module and a neutral-atom array around a diamond memory hub. */
static const char HETERO_YAML[] = "name: hetero-test\n"
                                  "modules:\n"
                                  "  - name: ions\n"
                                  "    preset: ion-forte\n"
                                  "    qubits: 5\n"
                                  "    communication: {qubits: 2}\n"
                                  "  - name: sc\n"
                                  "    preset: sc-heron\n"
                                  "    qubits: 9\n"
                                  "    connectivity: {kind: heavy-hex, rows: 2, cols: 5}\n"
                                  "    communication: {qubits: 1}\n"
                                  "  - name: atoms\n"
                                  "    preset: atom-rb\n"
                                  "    qubits: 5\n"
                                  "    communication: {qubits: 1}\n"
                                  "nodes:\n"
                                  "  - name: hub\n"
                                  "    preset: diamond-siv\n"
                                  "    qubits: 6\n"
                                  "    connectivity: all-to-all\n"
                                  "    communication: {qubits: 3}\n"
                                  "links:\n"
                                  "  - between: [ions, hub]\n"
                                  "    length: 1 km\n"
                                  "    station: hub\n"
                                  "    conversion:\n"
                                  "      ions: [{to: 1550 nm, efficiency: 0.3}]\n"
                                  "      hub: &siv [{to: 1550 nm, efficiency: 0.3}]\n"
                                  "  - between: [sc, hub]\n"
                                  "    length: 1 km\n"
                                  "    station: hub\n"
                                  "    conversion: {hub: *siv}\n"
                                  "  - between: [atoms, hub]\n"
                                  "    length: 1 km\n"
                                  "    station: hub\n"
                                  "    conversion:\n"
                                  "      atoms: [{to: 1550 nm, efficiency: 0.5}]\n"
                                  "      hub: *siv\n";

/* ------------------------------------------------------------ circuits */

static tsr_circuit *random_circuit(uint32_t n, uint32_t gates, uint64_t seed) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_non_null(c);
  assert_ok(tsr_circuit_add_qreg(c, "q", n, NULL, &err), &err);
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, 7);
  static const tsr_gate one[] = {TSR_GATE_H,  TSR_GATE_X,  TSR_GATE_S,  TSR_GATE_T,
                                 TSR_GATE_RZ, TSR_GATE_RX, TSR_GATE_RY, TSR_GATE_U3};
  static const tsr_gate two[] = {TSR_GATE_CX,  TSR_GATE_CZ,   TSR_GATE_CP, TSR_GATE_CRZ,
                                 TSR_GATE_RZZ, TSR_GATE_SWAP, TSR_GATE_CY, TSR_GATE_RXX,
                                 TSR_GATE_CH,  TSR_GATE_CRX};
  /* Start from a generic product state so that phases matter. */
  for (uint32_t q = 0; q < n; q++) {
    double p[3] = {tsr_rng_uniform(&rng) * 3, tsr_rng_uniform(&rng) * 6, tsr_rng_uniform(&rng) * 6};
    assert_ok(tsr_circuit_append_gate(c, TSR_GATE_U3, &q, 1, p, 3, &err), &err);
  }
  for (uint32_t g = 0; g < gates; g++) {
    double p[3] = {tsr_rng_uniform(&rng) * 6 - 3, tsr_rng_uniform(&rng) * 6 - 3,
                   tsr_rng_uniform(&rng) * 6 - 3};
    uint64_t r = tsr_rng_below(&rng, 100);
    if (r < 40) {
      tsr_gate k = one[tsr_rng_below(&rng, sizeof one / sizeof one[0])];
      uint32_t q = (uint32_t)tsr_rng_below(&rng, n);
      assert_ok(tsr_circuit_append_gate(c, k, &q, 1, p, tsr_gate_get(k)->nparams, &err), &err);
    } else if (r < 96 || n < 3) {
      tsr_gate k = two[tsr_rng_below(&rng, sizeof two / sizeof two[0])];
      uint32_t q[2];
      q[0] = (uint32_t)tsr_rng_below(&rng, n);
      do q[1] = (uint32_t)tsr_rng_below(&rng, n);
      while (q[1] == q[0]);
      assert_ok(tsr_circuit_append_gate(c, k, q, 2, p, tsr_gate_get(k)->nparams, &err), &err);
    } else {
      uint32_t q[3];
      q[0] = (uint32_t)tsr_rng_below(&rng, n);
      do q[1] = (uint32_t)tsr_rng_below(&rng, n);
      while (q[1] == q[0]);
      do q[2] = (uint32_t)tsr_rng_below(&rng, n);
      while (q[2] == q[0] || q[2] == q[1]);
      assert_ok(tsr_circuit_append_gate(c, TSR_GATE_CCX, q, 3, NULL, 0, &err), &err);
    }
  }
  return c;
}

/* ------------------------------------------------------------ checks */

/* Schedule validity beyond tsr_program_finish: EPR pairs last their link's
 * expected latency and use communication qubits; a conditioned operation
 * starts after the bits it reads were measured on its module or arrived
 * there by message; at most max_comm communication qubits per module are
 * ever used (0: no limit to check). */
static void check_schedule(const tsr_program *p, uint32_t max_comm) {
  double *arrive = malloc((size_t)p->nclbits * p->nmodules * sizeof *arrive + 1);
  uint8_t *used = calloc(p->nqubits + 1, 1);
  assert_non_null(arrive);
  assert_non_null(used);
  for (size_t i = 0; i < (size_t)p->nclbits * p->nmodules; i++)
    arrive[i] = i / p->nmodules < p->source_clbits ? 0.0 : INFINITY;
  const double eps = 1e-12;
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *op = &p->ops[i];
    double end = op->start_s + op->duration_s;
    if (op->role == TSR_PROG_EPR) {
      const tsr_program_link *l = &p->links[op->link];
      assert_close(op->duration_s, l->expected_latency_s, 1e-15);
      assert_int_equal(tsr_program_module_of(p, op->qubits[0]), l->module_a);
      assert_int_equal(tsr_program_module_of(p, op->qubits[1]), l->module_b);
      used[op->qubits[0]] = used[op->qubits[1]] = 1;
      continue;
    }
    if (op->role == TSR_PROG_MESSAGE) {
      for (uint32_t b = op->message_clbit_first; b < op->message_clbit_first + op->message_clbits;
           b++) {
        assert_true(arrive[(size_t)b * p->nmodules + op->module] <= op->start_s + eps);
        double *a = &arrive[(size_t)b * p->nmodules + op->module_to];
        if (end < *a) *a = end;
      }
      continue;
    }
    if (op->cond >= 0) {
      const tsr_condition *c = &p->conds[op->cond];
      uint32_t first = c->creg >= 0 ? p->cregs[c->creg].first : c->bit;
      uint32_t count = c->creg >= 0 ? p->cregs[c->creg].size : 1;
      for (uint32_t b = first; b < first + count; b++) {
        double a = arrive[(size_t)b * p->nmodules + op->module];
        if (!(a <= op->start_s + eps))
          fail_msg("operation %zu at %.9g s reads bit %u, which reaches module %d at %.9g s", i,
                   op->start_s, b, op->module, a);
      }
    }
    if (op->kind == TSR_OP_MEASURE) {
      for (uint32_t m = 0; m < p->nmodules; m++)
        arrive[(size_t)op->clbit * p->nmodules + m] = INFINITY;
      arrive[(size_t)op->clbit * p->nmodules + op->module] = end;
    }
  }
  if (max_comm) {
    for (uint32_t m = 0; m < p->nmodules; m++) {
      const tsr_program_module *md = &p->modules[m];
      uint32_t k = 0;
      for (uint32_t q = md->first_qubit + md->qubits - md->communication_qubits;
           q < md->first_qubit + md->qubits; q++)
        k += used[q];
      assert_true(k <= max_comm);
    }
  }
  free(arrive);
  free(used);
}

/* Runs p on the state vector for a few seeds and compares with c. */
static void check_equivalent(const tsr_program *p, const tsr_circuit *c, int seeds) {
  tsr_error err;
  double complex *want = NULL;
  assert_ok(psim_source_state(c, &want, &err), &err);
  for (int s = 0; s < seeds; s++) {
    double complex *got = NULL;
    unsigned nsim = 0;
    assert_ok(psim_run(p, 100 + (uint64_t)s, &got, &nsim, &err), &err);
    double ov = psim_overlap(want, got, (uint64_t)1 << c->nqubits);
    if (!(fabs(ov - 1.0) < 1e-8)) {
      fail_msg("program state differs from the source (|<a|b>|^2 = %.12f, seed %d, %u simulated "
               "qubits)",
               ov, s, nsim);
    }
    free(got);
  }
  free(want);
}

/* Every operation traced back to source circuit c: source_op in [-1, nops);
 * local operations and routing always have one (a local measurement or
 * reset: the source's, into the same bit); EPR pairs, cat-entanglers and
 * teleports serve a gate on two or more qubits; -1 only for the shares ended
 * after the last operation (cat-disentanglers and their messages). On every
 * program qubit the source operations never go back in program order (-1
 * counts as last): passes keep each qubit's order and the maps are
 * monotone. */
static void check_source_ops(const tsr_program *p, const tsr_circuit *c) {
  int64_t *last = calloc(p->nqubits + 1, sizeof *last);
  assert_non_null(last);
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *op = &p->ops[i];
    int64_t s = op->source_op;
    if (!(s >= -1 && s < (int64_t)c->nops))
      fail_msg("operation %zu: source_op %lld out of range", i, (long long)s);
    switch (op->role) {
    case TSR_PROG_LOCAL:
    case TSR_PROG_ROUTING:
      if (s < 0) fail_msg("operation %zu (%s) has no source", i, tsr_program_role_name(op->role));
      if (op->role == TSR_PROG_LOCAL && (op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET)) {
        assert_int_equal(c->ops[s].kind, op->kind);
        if (op->kind == TSR_OP_MEASURE) assert_int_equal(c->ops[s].clbit, op->clbit);
      }
      break;
    case TSR_PROG_EPR:
    case TSR_PROG_CAT_ENTANGLE:
    case TSR_PROG_TELEPORT:
      if (s < 0 || c->ops[s].nqubits < 2)
        fail_msg("operation %zu (%s) serves no multi-qubit gate (source %lld)", i,
                 tsr_program_role_name(op->role), (long long)s);
      break;
    default:
      break;
    }
    int64_t key = s < 0 ? INT64_MAX : s;
    for (uint32_t k = 0; k < op->nqubits; k++) {
      uint32_t q = op->qubits[k];
      if (key < last[q])
        fail_msg("operation %zu: source %lld on qubit %u after source %lld", i, (long long)s, q,
                 (long long)last[q]);
      last[q] = key;
    }
  }
  free(last);
}

static void check_qasm_round_trip(const tsr_program *p) {
  tsr_error err;
  char *text1 = NULL, *text2 = NULL;
  size_t len1 = 0, len2 = 0;
  FILE *f = open_memstream(&text1, &len1);
  assert_non_null(f);
  assert_ok(tsr_program_write_qasm(p, f, &err), &err);
  fclose(f);
  tsr_program *q = NULL;
  assert_ok(tsr_program_read_qasm(text1, len1, "round-trip.qasm", &q, &err), &err);
  f = open_memstream(&text2, &len2);
  assert_non_null(f);
  assert_ok(tsr_program_write_qasm(q, f, &err), &err);
  fclose(f);
  assert_int_equal(len1, len2);
  assert_string_equal(text1, text2);
  assert_int_equal(q->nops, p->nops);
  assert_int_equal(q->nqubits, p->nqubits);
  assert_int_equal(q->metrics.ebits, p->metrics.ebits);
  for (size_t i = 0; i < p->nops; i++) {
    assert_int_equal(q->ops[i].kind, p->ops[i].kind);
    assert_int_equal(q->ops[i].role, p->ops[i].role);
    assert_true(q->ops[i].start_s == p->ops[i].start_s);
    assert_int_equal(q->ops[i].source_op, p->ops[i].source_op);
  }
  tsr_program_free(q);
  free(text1);
  free(text2);
}

static tsr_program *compile(const tsr_circuit *c, const tsr_arch *a, const tsr_compile_options *o) {
  tsr_error err;
  tsr_program *p = NULL;
  assert_ok(tsr_compile_program(c, a, o, &p, &err), &err);
  assert_non_null(p);
  return p;
}

/* ------------------------------------------------------------ tests */

static void random_circuits_ideal_modules(void **state) {
  (void)state;
  struct {
    uint32_t modules, qubits, gates, comm;
    int line;
  } cases[] = {
      {2, 6, 40, 1, 0},  {2, 8, 60, 2, 0}, {3, 9, 60, 1, 0},  {3, 9, 60, 2, 1},
      {4, 12, 80, 1, 0}, {4, 8, 60, 2, 1}, {2, 16, 70, 1, 0}, {3, 12, 70, 1, 0},
  };
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
    uint32_t k = cases[t].modules, n = cases[t].qubits;
    uint32_t cap = (n + k - 1) / k + 1;
    tsr_arch *a = ideal_machine(k, cap, cases[t].comm + (cases[t].line ? 1 : 0),
                                cases[t].line ? IDEAL_LINE : IDEAL_COMPLETE, 1);
    for (uint64_t seed = 1; seed <= 2; seed++) {
      tsr_circuit *c = random_circuit(n, cases[t].gates, seed * 31 + t);
      tsr_compile_options o;
      tsr_compile_options_default(&o);
      o.seed = seed;
      o.max_communication = cases[t].comm + (cases[t].line ? 1 : 0);
      o.allow_teleport = (int)((seed + t) % 2);
      tsr_program *p = compile(c, a, &o);
      assert_true(p->metrics.ebits > 0);
      check_schedule(p, o.max_communication);
      check_equivalent(p, c, n > 12 ? 1 : 2);
      check_source_ops(p, c);
      tsr_program_free(p);
      tsr_circuit_free(c);
    }
    tsr_arch_free(a);
  }
}

static void ghz_costs_k_minus_1(void **state) {
  (void)state;
  for (uint32_t k = 2; k <= 5; k++) {
    tsr_arch *a = ideal_machine(k, 4, 2, IDEAL_COMPLETE, 1);
    tsr_circuit *c = NULL;
    tsr_error err;
    assert_ok(tsr_gen_ghz(4 * k, &c, &err), &err);
    tsr_program *p = compile(c, a, NULL);
    assert_int_equal(p->metrics.ebits, k - 1);
    assert_int_equal(p->metrics.teleports, 0);
    check_schedule(p, 0);
    if (k <= 3) check_equivalent(p, c, 2);
    check_source_ops(p, c);
    tsr_program_free(p);
    tsr_circuit_free(c);
    tsr_arch_free(a);
  }
}

static void qft_two_modules(void **state) {
  (void)state;
  for (uint32_t n = 6; n <= 16; n += 2) {
    tsr_arch *a = ideal_machine(2, n / 2 + 1, n / 2 + 1, IDEAL_COMPLETE, 1);
    tsr_circuit *c = NULL;
    tsr_error err;
    assert_ok(tsr_gen_qft(n, &c, &err), &err);
    tsr_program *p = compile(c, a, NULL);
    if (!(p->metrics.ebits <= n / 2 - 1))
      fail_msg("QFT-%u on two modules: %llu EPR pairs > %u", n,
               (unsigned long long)p->metrics.ebits, n / 2 - 1);
    check_schedule(p, 0);
    if (n <= 12) check_equivalent(p, c, 2);
    check_source_ops(p, c);
    tsr_program_free(p);
    tsr_circuit_free(c);
    tsr_arch_free(a);
  }
}

/* Random controlled-phase circuits (random_crz) are where the partitioner
 * teleports most (docs/compiler.md): the distributed programs with teleports
 * must still equal their sources, and cost fewer pairs than cat-only. */
static void teleports(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = ideal_machine(2, 6, 4, IDEAL_COMPLETE, 1);
  uint64_t total = 0;
  for (uint64_t seed = 1; seed <= 4; seed++) {
    tsr_circuit *c = NULL;
    assert_ok(tsr_gen_random_crz(8, seed, &c, &err), &err);
    tsr_compile_options o;
    tsr_compile_options_default(&o);
    tsr_program *p = compile(c, a, &o);
    total += p->metrics.teleports;
    check_schedule(p, 4);
    check_equivalent(p, c, 2);
    check_source_ops(p, c);
    if (p->metrics.teleports) check_qasm_round_trip(p);
    o.allow_teleport = 0;
    tsr_program *pc = compile(c, a, &o);
    assert_int_equal(pc->metrics.teleports, 0);
    if (p->metrics.teleports) assert_true(pc->metrics.ebits >= p->metrics.ebits);
    tsr_program_free(pc);
    tsr_program_free(p);
    tsr_circuit_free(c);
  }
  assert_true(total >= 1);
  tsr_arch_free(a);
}

static void append(tsr_circuit *c, tsr_gate g, uint32_t a, uint32_t b) {
  tsr_error err;
  uint32_t q[2] = {a, b};
  assert_ok(tsr_circuit_append_gate(c, g, q, g == TSR_GATE_CZ ? 2 : 1, NULL, 0, &err), &err);
}

/* Groups of three qubits that interact among themselves (so that each
 * group gets a module), and rounds of the pattern embedding pays for: qubit
 * a meets b0 and b1 of another group, then (h a; cz a, b2; h a), then b0 and
 * b1 again after each had an h (so that their own packets cannot serve
 * both meetings); every other round a second sandwich follows on the same
 * copies. With `overlap`, a meets its own group and has an h just before
 * b0 and b1, so the sandwich that pays starts inside another one (h P0 h P1
 * h P2 h: P1..P3, not P0..P2). From a generic product state. */
static tsr_circuit *sandwich_circuit(uint32_t groups, uint32_t rounds, uint64_t seed, int overlap) {
  tsr_error err;
  uint32_t n = 3 * groups;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_non_null(c);
  assert_ok(tsr_circuit_add_qreg(c, "q", n, NULL, &err), &err);
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, 5);
  for (uint32_t q = 0; q < n; q++) {
    double u[3] = {tsr_rng_uniform(&rng) * 3, tsr_rng_uniform(&rng) * 6, tsr_rng_uniform(&rng) * 6};
    assert_ok(tsr_circuit_append_gate(c, TSR_GATE_U3, &q, 1, u, 3, &err), &err);
  }
  for (uint32_t r = 0; r <= rounds; r++) {
    for (uint32_t gi = 0; gi < groups; gi++) {
      for (uint32_t t = 0; t < 6; t++) {
        uint32_t x = 3 * gi + (uint32_t)tsr_rng_below(&rng, 3), y = 3 * gi + (x - 3 * gi + 1) % 3;
        append(c, TSR_GATE_CZ, x, y);
        if (tsr_rng_below(&rng, 2)) append(c, TSR_GATE_H, x, 0);
      }
    }
    if (r == rounds) break;
    uint32_t ga = (uint32_t)tsr_rng_below(&rng, groups);
    uint32_t gb = (ga + 1 + (uint32_t)tsr_rng_below(&rng, groups - 1)) % groups;
    uint32_t a = 3 * ga + (uint32_t)tsr_rng_below(&rng, 3), o = (uint32_t)tsr_rng_below(&rng, 3);
    uint32_t b0 = 3 * gb + o, b1 = 3 * gb + (o + 1) % 3, b2 = 3 * gb + (o + 2) % 3;
    if (overlap) {
      append(c, TSR_GATE_CZ, a, 3 * ga + (a - 3 * ga + 1) % 3);
      append(c, TSR_GATE_H, a, 0);
    }
    append(c, TSR_GATE_CZ, a, b0);
    append(c, TSR_GATE_CZ, a, b1);
    append(c, TSR_GATE_H, a, 0);
    append(c, TSR_GATE_CZ, a, b2);
    append(c, TSR_GATE_H, a, 0);
    append(c, TSR_GATE_H, b0, 0);
    append(c, TSR_GATE_H, b1, 0);
    append(c, TSR_GATE_CZ, a, b0);
    append(c, TSR_GATE_CZ, a, b1);
    append(c, TSR_GATE_H, b0, 0);
    append(c, TSR_GATE_H, b1, 0);
    if (r % 2 == 0) continue;
    /* and a second sandwich on the same copies (a chain) */
    append(c, TSR_GATE_H, a, 0);
    append(c, TSR_GATE_CZ, a, b2);
    append(c, TSR_GATE_H, a, 0);
    append(c, TSR_GATE_CZ, a, b0);
    append(c, TSR_GATE_CZ, a, b1);
    append(c, TSR_GATE_H, b0, 0);
    append(c, TSR_GATE_H, b1, 0);
  }
  return c;
}

/* Embedding (Wu et al. 2023): where it saves pairs, the programs must equal
 * their sources, with plenty of communication qubits and with one or two per
 * module (copies then end early or carry the partner's Z in their
 * correction). */
static void check_embedding(int overlap) {
  const uint32_t rounds = 3;
  uint32_t found = 0, tried = 0;
  for (uint32_t k = 2; k <= 3; k++) {
    tsr_arch *a = ideal_machine(k, 3, 4, IDEAL_COMPLETE, 1);
    for (uint64_t seed = 1; seed <= 6; seed++) {
      tsr_circuit *c = sandwich_circuit(k, rounds, seed, overlap);
      tsr_compile_options o;
      tsr_compile_options_default(&o);
      o.seed = seed;
      o.allow_teleport = 0;
      o.embed = 0;
      tsr_program *p0 = compile(c, a, &o);
      o.embed = 1;
      tsr_program *p = compile(c, a, &o);
      tried++;
      assert_true(p->metrics.ebits <= p0->metrics.ebits);
      /* each round's sandwich saves one */
      found += p->metrics.ebits + rounds <= p0->metrics.ebits;
      check_schedule(p, 4);
      check_equivalent(p, c, 2);
      check_source_ops(p, c);
      for (uint32_t comm = 1; comm <= 2; comm++) {
        o.max_communication = comm;
        tsr_program *pt = compile(c, a, &o);
        check_schedule(pt, comm);
        check_equivalent(pt, c, 2);
        check_source_ops(pt, c);
        tsr_program_free(pt);
      }
      tsr_program_free(p0);
      tsr_program_free(p);
      tsr_circuit_free(c);
    }
    tsr_arch_free(a);
  }
  if (found * 4 < tried * 3)
    fail_msg("embedding saved a pair per round in only %u of %u circuits", found, tried);
}

static void embedding(void **state) {
  (void)state;
  check_embedding(0);
}

/* Sandwiches that start inside another (the packet made inside one is the
 * `before` of the next) are candidates too. */
static void embedding_overlapping_sandwiches(void **state) {
  (void)state;
  check_embedding(1);
}

static void heterogeneous_machine(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_load_string(HETERO_YAML, sizeof HETERO_YAML - 1, "hetero.yaml", &a, &err),
            &err);
  for (uint64_t seed = 1; seed <= 3; seed++) {
    tsr_circuit *c = random_circuit(10, 40, seed);
    tsr_compile_options o;
    tsr_compile_options_default(&o);
    o.seed = seed;
    o.cost = (tsr_compile_cost)(seed % 3);
    tsr_program *p = compile(c, a, &o);
    check_schedule(p, 0);
    check_equivalent(p, c, 2);
    check_source_ops(p, c);
    /* Routing: every two-qubit gate of the heavy-hex module on a coupler;
     * native gates only. */
    const tsr_program_module *sc = &p->modules[1];
    assert_string_equal(sc->name, "sc");
    tsr_edge *edges = NULL;
    size_t ne = 0;
    assert_ok(
        tsr_connectivity_edges(&a->modules[1].params.connectivity, sc->qubits, &edges, &ne, &err),
        &err);
    for (size_t i = 0; i < p->nops; i++) {
      const tsr_program_op *op = &p->ops[i];
      if (op->role == TSR_PROG_EPR || op->role == TSR_PROG_MESSAGE) continue;
      if (op->module == 1 && op->nqubits == 2) {
        uint32_t x = op->qubits[0] - sc->first_qubit, y = op->qubits[1] - sc->first_qubit;
        if (x > y) {
          uint32_t t = x;
          x = y;
          y = t;
        }
        int found = 0;
        for (size_t e = 0; e < ne && !found; e++) found = edges[e].a == x && edges[e].b == y;
        if (!found)
          fail_msg("operation %zu: %s on sc qubits %u, %u: not a coupler", i,
                   tsr_gate_get(op->kind)->name, x, y);
        assert_int_equal(op->kind, TSR_GATE_CZ);
      }
      if (op->module == 0 && op->nqubits == 2) assert_int_equal(op->kind, TSR_GATE_MS);
      if (op->module == 0 && op->nqubits == 1 && op->kind != TSR_OP_MEASURE &&
          op->kind != TSR_OP_RESET)
        assert_true(op->kind == TSR_GATE_GPI || op->kind == TSR_GATE_GPI2);
      if (op->module == 2 && op->nqubits == 2) assert_int_equal(op->kind, TSR_GATE_CZ);
    }
    free(edges);
    assert_true(p->metrics.makespan_s > 0);
    assert_true(p->metrics.estimated_success >= 0 && p->metrics.estimated_success < 1);
    check_qasm_round_trip(p);
    tsr_program_free(p);
    tsr_circuit_free(c);
  }
  tsr_arch_free(a);
}

static void default_machine(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_default(&a, &err), &err);
  tsr_circuit *c = random_circuit(6, 30, 5);
  for (int cost = 0; cost < 3; cost++) {
    tsr_compile_options o;
    tsr_compile_options_default(&o);
    o.cost = (tsr_compile_cost)cost;
    tsr_program *p = compile(c, a, &o);
    assert_int_equal(p->nmodules, 4);
    assert_int_equal(p->nlinks, 6); /* every pair through the hub */
    for (uint32_t l = 0; l < p->nlinks; l++) {
      assert_true(p->links[l].expected_latency_s > 0);
      assert_true(p->links[l].fidelity > 0.25 && p->links[l].fidelity <= 1);
    }
    check_schedule(p, 0);
    check_equivalent(p, c, 1);
    check_source_ops(p, c);
    check_qasm_round_trip(p);
    tsr_program_free(p);
  }
  tsr_circuit_free(c);
  tsr_arch_free(a);
}

static void module_graph_of_default(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_default(&a, &err), &err);
  for (int cost = 0; cost < 3; cost++) {
    tsr_compile_options o;
    tsr_compile_options_default(&o);
    o.cost = (tsr_compile_cost)cost;
    tsr_module_graph *g = NULL;
    uint32_t *idx = NULL;
    assert_ok(tsr_module_graph_from_arch(a, &o, &g, &idx, &err), &err);
    assert_int_equal(g->nmodules, 4);
    assert_true(tsr_module_graph_connected(g));
    double cmin = INFINITY;
    for (uint32_t i = 0; i < 4; i++) {
      assert_int_equal(g->capacity[i], a->modules[idx[i]].params.qubits -
                                           a->modules[idx[i]].params.communication_qubits);
      for (uint32_t j = 0; j < 4; j++)
        if (i != j) {
          assert_true(g->link_cost[i * 4 + j] >= 1.0);
          if (g->link_cost[i * 4 + j] < cmin) cmin = g->link_cost[i * 4 + j];
        }
    }
    assert_close(cmin, 1.0, 1e-12);
    if (cost == TSR_COST_EBITS) assert_close(g->link_cost[1], 1.0, 1e-12); /* 2 hops + 1 swap */
    tsr_module_graph_free(g);
    free(idx);
  }
  tsr_compile_cost c;
  assert_ok(tsr_compile_cost_parse("latency", &c, &err), &err);
  assert_int_equal(c, TSR_COST_LATENCY);
  assert_int_equal(tsr_compile_cost_parse("speed", &c, &err), TSR_ERR_VALUE);
  tsr_arch_free(a);
}

static void pytket_network_and_errors(void **state) {
  (void)state;
  tsr_error err;
  static const char net[] = "{\"servers\": [{\"id\": 0, \"qubits\": 4, \"link_qubits\": 2},\n"
                            " {\"id\": 1, \"qubits\": 4, \"link_qubits\": 2},\n"
                            " {\"id\": 2, \"qubits\": 4, \"link_qubits\": 2}],\n"
                            " \"links\": [[0, 1], [1, 2]]}\n";
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_load_string(net, sizeof net - 1, "net.json", &a, &err), &err);
  tsr_circuit *c = random_circuit(11, 50, 9);
  tsr_program *p = compile(c, a, NULL);
  assert_int_equal(p->metrics.makespan_s > 0, 1); /* ideal links take 1 us */
  check_schedule(p, 0);
  check_equivalent(p, c, 2);
  check_source_ops(p, c);
  check_qasm_round_trip(p);
  tsr_program_free(p);
  tsr_circuit_free(c);
  /* Too many qubits. */
  c = random_circuit(13, 5, 1);
  p = NULL;
  assert_int_equal(tsr_compile_program(c, a, NULL, &p, &err), TSR_ERR_VALUE);
  assert_null(p);
  assert_non_null(strstr(err.message, "room for 12"));
  tsr_circuit_free(c);
  tsr_arch_free(a);
}

/* Mid-circuit measurement and a source condition read on another module:
 * q0 is |1>, measured, and `if (c[0] == 1) x q5` must fire on q5's module
 * (a message carries the bit there). The reference is the same circuit with
 * the measurement dropped and the x unconditional. */
static void measurement_and_conditions(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = ideal_machine(2, 3, 1, IDEAL_COMPLETE, 1);
  tsr_circuit *c = NULL, *ref = NULL;
  for (int k = 0; k < 2; k++) {
    tsr_circuit *x = tsr_circuit_new(&err);
    assert_ok(tsr_circuit_add_qreg(x, "q", 6, NULL, &err), &err);
    assert_ok(tsr_circuit_add_creg(x, "c", 2, NULL, &err), &err);
    uint32_t q[2] = {0, 5};
    assert_ok(tsr_circuit_append_gate(x, TSR_GATE_X, q, 1, NULL, 0, &err), &err);
    for (uint32_t i = 1; i < 6; i++) {
      double t = 0.4 * i;
      q[0] = i;
      assert_ok(tsr_circuit_append_gate(x, TSR_GATE_RY, q, 1, &t, 1, &err), &err);
    }
    if (k == 0) assert_ok(tsr_circuit_append_measure(x, 0, 0, &err), &err);
    q[0] = 5;
    assert_ok(tsr_circuit_append_gate(x, TSR_GATE_X, q, 1, NULL, 0, &err), &err);
    uint64_t one = 1;
    if (k == 0) assert_ok(tsr_circuit_condition_last(x, -1, 0, &one, 1, &err), &err);
    for (uint32_t i = 0; i + 1 < 6; i++) {
      uint32_t pr[2] = {i, i + 1};
      assert_ok(tsr_circuit_append_gate(x, TSR_GATE_CX, pr, 2, NULL, 0, &err), &err);
      q[0] = i;
      double t = 0.3 + i;
      assert_ok(tsr_circuit_append_gate(x, TSR_GATE_RX, q, 1, &t, 1, &err), &err);
    }
    if (k == 0)
      c = x;
    else
      ref = x;
  }
  tsr_program *p = compile(c, a, NULL);
  check_schedule(p, 1);
  assert_int_equal(p->source_clbits, 2);
  assert_true(p->metrics.ebits >= 1);
  int messaged = 0;
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *op = &p->ops[i];
    if (op->role == TSR_PROG_MESSAGE && op->message_clbit_first == 0) messaged = 1;
  }
  int module_q0 = tsr_program_module_of(p, p->initial_placement[0]);
  int module_q5 = tsr_program_module_of(p, p->initial_placement[5]);
  assert_int_not_equal(module_q0, module_q5); /* the chain splits 0-2 | 3-5 */
  assert_true(messaged);
  check_equivalent(p, ref, 3);
  check_source_ops(p, c);
  check_qasm_round_trip(p);
  tsr_program_free(p);
  tsr_circuit_free(c);
  tsr_circuit_free(ref);
  tsr_arch_free(a);
}

/* Two measurements into one bit, the first on a qubit busy for longer, then
 * a condition on that bit: the second measurement must start after the first
 * ends (the start order is the order of the writes, for tsr_program_finish
 * and the executor), so the condition reads the second one's value. */
static void repeated_measurement_into_one_bit(void **state) {
  (void)state;
  tsr_error err;
  static const char text[] = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg c[1];\n"
                             "h q[0];\nrx(0.3) q[0];\nry(0.2) q[0];\nrx(0.3) q[0];\n"
                             "cx q[0], q[2];\nrx(0.3) q[0];\nmeasure q[0] -> c[0];\n"
                             "x q[1];\nmeasure q[1] -> c[0];\nif (c==1) x q[2];\n"
                             "if (c==0) h q[0];\n";
  tsr_circuit *c = NULL;
  assert_ok(tsr_qasm_read_string(text, strlen(text), "waw.qasm", &c, &err), &err);
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_default(&a, &err), &err);
  tsr_program *p = compile(c, a, NULL);
  check_schedule(p, 0);
  check_source_ops(p, c);
  const tsr_program_op *first = NULL, *second = NULL;
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *op = &p->ops[i];
    if (op->kind != TSR_OP_MEASURE || op->clbit != 0) continue;
    if (!first)
      first = op;
    else
      second = op;
  }
  assert_non_null(second);
  assert_int_equal(first->qubits[0], p->initial_placement[0]);
  assert_int_equal(second->qubits[0], p->initial_placement[1]);
  assert_true(second->start_s >= first->start_s + first->duration_s);
  tsr_program_free(p);
  tsr_arch_free(a);
  tsr_circuit_free(c);
}

/* source_op on a small circuit over two modules: h q0; cx q0, q3;
 * ccx q1, q2, q3; measure. The ccx (operation 2) becomes six two-qubit gates
 * that all carry it; every EPR pair serves the cx or the ccx; each
 * measurement is its own; the figure survives OpenQASM and shows in JSON.
 * Without native synthesis (which folds the h into the next two-qubit gate)
 * every source operation has a local operation. */
static void source_operations(void **state) {
  (void)state;
  tsr_error err;
  static const char text[] = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[4];\ncreg c[4];\n"
                             "h q[0];\ncx q[0], q[3];\nccx q[1], q[2], q[3];\nmeasure q -> c;\n";
  tsr_circuit *c = NULL;
  assert_ok(tsr_qasm_read_string(text, strlen(text), "src.qasm", &c, &err), &err);
  assert_int_equal(c->nops, 7);
  tsr_arch *a = ideal_machine(2, 2, 2, IDEAL_COMPLETE, 1);
  for (int native = 1; native >= 0; native--) {
    tsr_compile_options o;
    tsr_compile_options_default(&o);
    o.native = native;
    tsr_program *p = compile(c, a, &o);
    assert_true(p->metrics.ebits >= 1);
    check_schedule(p, 0);
    check_source_ops(p, c);
    check_qasm_round_trip(p);
    size_t ccx_2q = 0, epr = 0, traced = 0;
    int local_of[7] = {0};
    for (size_t i = 0; i < p->nops; i++) {
      const tsr_program_op *op = &p->ops[i];
      traced += op->source_op >= 0;
      if (op->role == TSR_PROG_LOCAL) {
        local_of[op->source_op]++;
        if (op->source_op == 2 && op->nqubits == 2) ccx_2q++;
      }
      if (op->role == TSR_PROG_EPR) {
        epr++;
        assert_true(op->source_op == 1 || op->source_op == 2);
      }
      if (op->role == TSR_PROG_LOCAL && op->kind == TSR_OP_MEASURE)
        assert_int_equal(op->source_op, 3 + op->clbit); /* measure q[i] -> c[i] is op 3 + i */
    }
    assert_int_equal(epr, p->metrics.ebits);
    assert_true(ccx_2q >= 6);
    for (int k = 1; k < 7; k++) assert_true(local_of[k] >= 1);
    if (!native) assert_true(local_of[0] >= 1); /* the h */
    /* JSON --ops: one "source_op" per traced operation. */
    char *json = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&json, &len);
    assert_non_null(f);
    tsr_json *j = tsr_json_new(f, 0);
    assert_non_null(j);
    assert_ok(tsr_program_write_json(p, j, 1, &err), &err);
    tsr_json_free(j);
    fclose(f);
    size_t keys = 0;
    for (const char *at = json; (at = strstr(at, "\"source_op\"")) != NULL; at++) keys++;
    assert_int_equal(keys, traced);
    free(json);
    tsr_program_free(p);
  }
  tsr_arch_free(a);
  tsr_circuit_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(module_graph_of_default),
      cmocka_unit_test(ghz_costs_k_minus_1),
      cmocka_unit_test(qft_two_modules),
      cmocka_unit_test(random_circuits_ideal_modules),
      cmocka_unit_test(teleports),
      cmocka_unit_test(embedding),
      cmocka_unit_test(embedding_overlapping_sandwiches),
      cmocka_unit_test(heterogeneous_machine),
      cmocka_unit_test(default_machine),
      cmocka_unit_test(pytket_network_and_errors),
      cmocka_unit_test(measurement_and_conditions),
      cmocka_unit_test(repeated_measurement_into_one_bit),
      cmocka_unit_test(source_operations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
