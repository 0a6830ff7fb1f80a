/* The executor on hand-built programs: a remote CNOT by cat-entanglement
 * (one EPR pair between two modules, two measurements, two messages, two
 * conditioned corrections), a GHZ state over three modules, routes through a
 * memory hub, and the checks of the issue: a noiseless machine gives
 * Hellinger fidelity 1; a Werner pair of fidelity F gives the predicted
 * output fidelity; an idle |+> decays as exp(-t/T2); readout error p flips
 * results at rate p; the same seed gives the same result at 1 and 2
 * threads. Also the re-timing (makespan, busy / waiting), errors, and the
 * report writers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/exec.h"
#include "tsr_test.h"

/* ------------------------------------------------------------- machines */

/* Ideal modules of `qubits` qubits; gate times d1, d2, readout dm. */
static tsr_module_params ideal_params(uint32_t qubits, double d1, double d2, double dm) {
  tsr_module_params p;
  tsr_module_params_ideal(&p, qubits);
  p.gate_1q.duration_s = d1;
  p.gate_2q.duration_s = d2;
  p.readout.duration_s = dm;
  return p;
}

/* n compute modules named A, B, C... with params, linked in a line by ideal
 * links of length_m metres of fibre (hub: also a memory node "H" linked to
 * every module instead). */
static tsr_arch *line_arch(uint32_t n, const tsr_module_params *mp, int hub,
                           const tsr_module_params *hubp, double length_m) {
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_new("test", &a, &err), &err);
  for (uint32_t m = 0; m < n; m++) {
    char name[2] = {(char)('A' + m), 0};
    assert_ok(tsr_arch_add_module(a, name, TSR_ROLE_COMPUTE, mp, NULL, &err), &err);
  }
  if (hub) assert_ok(tsr_arch_add_module(a, "H", TSR_ROLE_MEMORY, hubp, NULL, &err), &err);
  for (uint32_t m = 0; m + (hub ? 0 : 1) < n; m++) {
    tsr_link l;
    tsr_link_init(&l, m, hub ? n : m + 1, length_m);
    l.protocol = TSR_PROTOCOL_IDEAL;
    l.visibility = 1.0;
    assert_ok(tsr_arch_add_link(a, &l, NULL, &err), &err);
  }
  assert_ok(tsr_arch_validate(a, &err), &err);
  return a;
}

/* ------------------------------------------------------------- programs */

typedef struct builder {
  tsr_program *p;
  double t;         /* next start time */
  uint32_t scratch; /* first scratch bit */
  uint32_t nscratch;
} builder;

static tsr_program_op mkop(tsr_program_role role, tsr_gate kind, int32_t module, uint32_t nq,
                           uint32_t q0, uint32_t q1) {
  tsr_program_op op = tsr_program_op_blank(role, kind, module);
  op.nqubits = nq;
  op.qubits[0] = q0;
  op.qubits[1] = q1;
  return op;
}

static void add(builder *b, tsr_program_op op, int64_t cond_bit) {
  tsr_error err;
  op.start_s = b->t;
  op.duration_s = 1e-6;
  b->t += 1e-6;
  uint64_t one = 1;
  if (cond_bit >= 0)
    assert_ok(tsr_program_append(b->p, &op, -1, (uint32_t)cond_bit, &one, 1, &err), &err);
  else
    assert_ok(tsr_program_append(b->p, &op, 0, 0, NULL, 0, &err), &err);
}

static void gate1(builder *b, tsr_gate g, int32_t m, uint32_t q) {
  add(b, mkop(TSR_PROG_LOCAL, g, m, 1, q, 0), -1);
}

static void measure(builder *b, int32_t m, uint32_t q, uint32_t bit) {
  tsr_program_op op = mkop(TSR_PROG_LOCAL, TSR_OP_MEASURE, m, 1, q, 0);
  op.clbit = bit;
  add(b, op, -1);
}

/* Remote CX from control c on module mc (communication qubit ca) to target
 * t on module mt (communication qubit cb) over link l: cat-entangler and
 * disentangler with scratch bits s, s + 1. */
static void remote_cx(builder *b, int32_t mc, uint32_t c, uint32_t ca, int32_t mt, uint32_t t,
                      uint32_t cb, int32_t l, uint32_t s) {
  tsr_program_op epr = mkop(TSR_PROG_EPR, TSR_GATE_NONE, mc, 2, ca, cb);
  epr.link = l;
  epr.module_to = mt;
  add(b, epr, -1);
  add(b, mkop(TSR_PROG_CAT_ENTANGLE, TSR_GATE_CX, mc, 2, c, ca), -1);
  tsr_program_op m1 = mkop(TSR_PROG_CAT_ENTANGLE, TSR_OP_MEASURE, mc, 1, ca, 0);
  m1.clbit = s;
  add(b, m1, -1);
  tsr_program_op msg = mkop(TSR_PROG_MESSAGE, TSR_GATE_NONE, mc, 0, 0, 0);
  msg.module_to = mt;
  msg.message_clbit_first = s;
  msg.message_clbits = 1;
  add(b, msg, -1);
  add(b, mkop(TSR_PROG_CAT_ENTANGLE, TSR_GATE_X, mt, 1, cb, 0), s);
  add(b, mkop(TSR_PROG_LOCAL, TSR_GATE_CX, mt, 2, cb, t), -1);
  add(b, mkop(TSR_PROG_CAT_DISENTANGLE, TSR_GATE_H, mt, 1, cb, 0), -1);
  tsr_program_op m2 = mkop(TSR_PROG_CAT_DISENTANGLE, TSR_OP_MEASURE, mt, 1, cb, 0);
  m2.clbit = s + 1;
  add(b, m2, -1);
  tsr_program_op back = mkop(TSR_PROG_MESSAGE, TSR_GATE_NONE, mt, 0, 0, 0);
  back.module_to = mc;
  back.message_clbit_first = s + 1;
  back.message_clbits = 1;
  add(b, back, -1);
  add(b, mkop(TSR_PROG_CAT_DISENTANGLE, TSR_GATE_Z, mc, 1, c, 0), s + 1);
}

/* n modules of 2 qubits (data q = 2m, communication 2m + 1), links m -- m+1
 * named "A-B", ..., source bits `source_bits`, then 2 scratch bits per link. */
static builder start(uint32_t n, uint32_t source_bits) {
  tsr_error err;
  builder b = {0};
  b.p = tsr_program_new(&err);
  assert_non_null(b.p);
  for (uint32_t m = 0; m < n; m++) {
    char name[2] = {(char)('A' + m), 0};
    assert_ok(tsr_program_add_module(b.p, name, 2, 1, NULL, &err), &err);
  }
  for (uint32_t m = 0; m + 1 < n; m++) {
    char name[8];
    snprintf(name, sizeof name, "%c-%c", 'A' + m, 'B' + m);
    assert_ok(tsr_program_add_link(b.p, name, m, m + 1, 1e-6, 1.0, NULL, &err), &err);
  }
  if (source_bits) assert_ok(tsr_program_add_creg(b.p, "c", source_bits, 1, NULL, &err), &err);
  b.scratch = source_bits;
  b.nscratch = n > 1 ? 2 * (n - 1) : 0;
  if (b.nscratch) assert_ok(tsr_program_add_creg(b.p, "m", b.nscratch, 0, NULL, &err), &err);
  uint32_t place[8];
  for (uint32_t m = 0; m < n; m++) place[m] = 2 * m;
  assert_ok(tsr_program_set_placement(b.p, n, place, place, &err), &err);
  return b;
}

static tsr_program *finish(builder *b) {
  tsr_error err;
  assert_ok(tsr_program_finish(b->p, &err), &err);
  return b->p;
}

/* The remote CNOT program: prep on the control (gates), then CX A -> B;
 * measured into c[0], c[1] when measure is set, else not at all. */
static tsr_program *remote_cnot_program(tsr_gate prep, int measure_bits) {
  builder b = start(2, measure_bits ? 2 : 0);
  if (prep != TSR_GATE_NONE) gate1(&b, prep, 0, 0);
  remote_cx(&b, 0, 0, 1, 1, 2, 3, 0, b.scratch);
  if (measure_bits) {
    measure(&b, 0, 0, 0);
    measure(&b, 1, 2, 1);
  }
  return finish(&b);
}

/* Three modules in a line, one data qubit each: h q0 (then `first` on q0
 * unless TSR_GATE_NONE); cx q0 -> q1 across A-B; `middle` on q1; cx q1 -> q2
 * across B-C; every qubit measured. */
static tsr_program *chain_program(tsr_gate first, tsr_gate middle) {
  builder b = start(3, 3);
  gate1(&b, TSR_GATE_H, 0, 0);
  if (first != TSR_GATE_NONE) gate1(&b, first, 0, 0);
  remote_cx(&b, 0, 0, 1, 1, 2, 3, 0, 3);
  gate1(&b, middle, 1, 2);
  remote_cx(&b, 1, 2, 3, 2, 4, 5, 1, 5);
  measure(&b, 0, 0, 0);
  measure(&b, 1, 2, 1);
  measure(&b, 2, 4, 2);
  return finish(&b);
}

static tsr_circuit *circuit(uint32_t n, int measure_all, const tsr_gate *gates,
                            const uint32_t (*qubits)[2], size_t ngates) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_ok(tsr_circuit_add_qreg(c, "q", n, NULL, &err), &err);
  if (measure_all) assert_ok(tsr_circuit_add_creg(c, "c", n, NULL, &err), &err);
  for (size_t i = 0; i < ngates; i++) {
    uint32_t nq = tsr_gate_get(gates[i])->nqubits;
    assert_ok(tsr_circuit_append_gate(c, gates[i], qubits[i], nq, NULL, 0, &err), &err);
  }
  if (measure_all)
    for (uint32_t q = 0; q < n; q++) assert_ok(tsr_circuit_append_measure(c, q, q, &err), &err);
  return c;
}

static tsr_exec_result *run(const tsr_program *p, const tsr_arch *a, const tsr_exec_options *o,
                            const tsr_bell *override, double latency) {
  tsr_error err;
  tsr_exec *x = NULL;
  assert_ok(tsr_exec_new(p, a, &x, &err), &err);
  if (override)
    for (uint32_t l = 0; l < p->nlinks; l++)
      assert_ok(tsr_exec_override_link(x, l, override, latency, &err), &err);
  tsr_exec_result *r = NULL;
  assert_ok(tsr_exec_run(x, o, &r, &err), &err);
  tsr_exec_free(x);
  return r;
}

static double count_of(const tsr_exec_result *r, const char *bits) {
  for (size_t i = 0; i < r->ncounts; i++)
    if (strcmp(r->counts[i].bits, bits) == 0) return (double)r->counts[i].count;
  return 0;
}

/* ------------------------------------------------------------- noiseless */

static void noiseless_machine_gives_hellinger_one(void **state) {
  (void)state;
  tsr_module_params mp = ideal_params(2, 0, 0, 0);
  tsr_arch *a = line_arch(3, &mp, 0, NULL, 0.0);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.shots = 2000;
  o.seed = 11;
  /* X then remote CX: |11>, deterministic, exactly 1. */
  tsr_program *p = remote_cnot_program(TSR_GATE_X, 1);
  const tsr_gate g1[] = {TSR_GATE_X, TSR_GATE_CX};
  const uint32_t q1[][2] = {{0, 0}, {0, 1}};
  tsr_circuit *c = circuit(2, 1, g1, q1, 2);
  o.source = c;
  tsr_exec_result *r = run(p, a, &o, NULL, 0);
  assert_true(r->has_hellinger);
  assert_close(r->hellinger_fidelity, 1.0, 1e-12);
  assert_int_equal(r->ncounts, 1);
  assert_string_equal(r->counts[0].bits, "11");
  assert_int_equal(r->ebits, 1);
  assert_string_equal(r->hellinger_note, "exact (noiseless state vector)");
  tsr_exec_result_free(r);
  tsr_program_free(p);
  tsr_circuit_free(c);

  /* H then remote CX: a Bell pair, 00 and 11 half each; state fidelity 1. */
  p = remote_cnot_program(TSR_GATE_H, 0);
  const tsr_gate g2[] = {TSR_GATE_H, TSR_GATE_CX};
  c = circuit(2, 0, g2, q1, 2);
  o.source = c;
  r = run(p, a, &o, NULL, 0);
  assert_true(r->measured_all);
  assert_true(r->has_hellinger);
  assert_true(r->hellinger_fidelity > 0.999);
  assert_int_equal(r->ncounts, 2);
  assert_true(r->has_state_fidelity);
  assert_close(r->state_fidelity, 1.0, 1e-9);
  assert_close(r->estimated_success, 1.0, 1e-15);
  tsr_exec_result_free(r);
  tsr_program_free(p);
  tsr_circuit_free(c);

  /* GHZ over three modules with two remote CX; every backend. */
  builder b = start(3, 3);
  gate1(&b, TSR_GATE_H, 0, 0);
  remote_cx(&b, 0, 0, 1, 1, 2, 3, 0, 3);
  remote_cx(&b, 1, 2, 3, 2, 4, 5, 1, 5);
  measure(&b, 0, 0, 0);
  measure(&b, 1, 2, 1);
  measure(&b, 2, 4, 2);
  p = finish(&b);
  const tsr_gate g3[] = {TSR_GATE_H, TSR_GATE_CX, TSR_GATE_CX};
  const uint32_t q3[][2] = {{0, 0}, {0, 1}, {1, 2}};
  c = circuit(3, 1, g3, q3, 3);
  o.source = c;
  const tsr_backend_kind kinds[] = {TSR_BACKEND_AUTO, TSR_BACKEND_STATEVEC, TSR_BACKEND_DENSMAT,
                                    TSR_BACKEND_STABILIZER};
  for (size_t k = 0; k < 4; k++) {
    o.backend = kinds[k];
    r = run(p, a, &o, NULL, 0);
    if (kinds[k] == TSR_BACKEND_AUTO) assert_int_equal(r->backend, TSR_BACKEND_STATEVEC);
    assert_true(r->hellinger_fidelity > 0.999);
    assert_close(count_of(r, "000") + count_of(r, "111"), 2000, 0);
    assert_int_equal(r->ebits, 2);
    assert_int_equal(r->messages, 4);
    if (kinds[k] != TSR_BACKEND_STABILIZER) {
      assert_true(r->has_state_fidelity);
      assert_close(r->state_fidelity, 1.0, 1e-9);
    } else {
      assert_false(r->has_state_fidelity);
    }
    tsr_exec_result_free(r);
  }
  tsr_program_free(p);
  tsr_circuit_free(c);
  tsr_arch_free(a);
}

/* ---------------------------------------------------------------- Werner */

static void werner_pair_gives_predicted_fidelity(void **state) {
  (void)state;
  tsr_module_params mp = ideal_params(2, 0, 0, 0);
  tsr_arch *a = line_arch(2, &mp, 0, NULL, 0.0);
  const tsr_gate g[] = {TSR_GATE_H, TSR_GATE_CX};
  const uint32_t q[][2] = {{0, 0}, {0, 1}};
  tsr_circuit *c = circuit(2, 0, g, q, 2);
  tsr_program *p = remote_cnot_program(TSR_GATE_H, 0);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.source = c;
  o.seed = 5;
  const double fs[] = {1.0, 0.9, 0.7, 0.5};
  for (size_t k = 0; k < 4; k++) {
    double F = fs[k];
    tsr_bell w = tsr_bell_werner(F);
    /* Exact on the density matrix: the pair's X error flips the target, its
       Z error the control's phase, each orthogonal to the Bell output, so
       the output fidelity is F. */
    o.backend = TSR_BACKEND_DENSMAT;
    o.shots = 50;
    tsr_exec_result *r = run(p, a, &o, &w, 0);
    assert_true(r->has_state_fidelity);
    assert_close(r->state_fidelity, F, 1e-9);
    assert_close(r->links[0].mean_fidelity, F, 1e-12);
    assert_close(r->estimated_success, F, 1e-12);
    tsr_exec_result_free(r);
    /* Sampled on the state vector: 00 or 11 with probability F + (1 - F)/3
       (the Z error is invisible in Z), which is also the Hellinger
       fidelity against the Bell distribution. */
    o.backend = TSR_BACKEND_STATEVEC;
    o.shots = 20000;
    r = run(p, a, &o, &w, 0);
    double want = F + (1 - F) / 3;
    double got = (count_of(r, "00") + count_of(r, "11")) / 20000.0;
    assert_close(got, want, 0.015);
    assert_close(r->hellinger_fidelity, want, 0.015);
    assert_close(r->state_fidelity, F, 0.015);
    tsr_exec_result_free(r);
  }
  tsr_program_free(p);
  tsr_circuit_free(c);
  tsr_arch_free(a);
}

/* ---------------------------------------------------------------- idle T2 */

static void idle_qubit_dephases_as_exp_t_over_t2(void **state) {
  (void)state;
  tsr_module_params mp = ideal_params(1, 0, 0, 0);
  mp.communication_qubits = 0;
  mp.coherence.t1_s = INFINITY;
  mp.coherence.t2_s = 1e-3;
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_new("idle", &a, &err), &err);
  assert_ok(tsr_arch_add_module(a, "A", TSR_ROLE_COMPUTE, &mp, NULL, &err), &err);
  const double t = 0.5e-3;
  tsr_program *p = tsr_program_new(&err);
  assert_ok(tsr_program_add_module(p, "A", 1, 0, NULL, &err), &err);
  uint32_t place = 0;
  assert_ok(tsr_program_set_placement(p, 1, &place, &place, &err), &err);
  tsr_program_op h = mkop(TSR_PROG_LOCAL, TSR_GATE_H, 0, 1, 0, 0);
  assert_ok(tsr_program_append(p, &h, 0, 0, NULL, 0, &err), &err);
  h.start_s = t;
  assert_ok(tsr_program_append(p, &h, 0, 0, NULL, 0, &err), &err);
  assert_ok(tsr_program_finish(p, &err), &err);
  const tsr_gate g[] = {TSR_GATE_H, TSR_GATE_H};
  const uint32_t q[][2] = {{0, 0}, {0, 0}};
  tsr_circuit *c = circuit(1, 0, g, q, 2);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.source = c;
  o.timing = TSR_EXEC_TIMING_SCHEDULED;
  double want = (1 + exp(-t / 1e-3)) / 2;
  o.backend = TSR_BACKEND_DENSMAT;
  o.shots = 10;
  tsr_exec_result *r = run(p, a, &o, NULL, 0);
  assert_close(r->state_fidelity, want, 1e-12);
  assert_close(r->makespan.mean, t, 1e-15);
  assert_close(r->modules[0].idle_s, t, 1e-15);
  tsr_exec_result_free(r);
  o.backend = TSR_BACKEND_STATEVEC;
  o.shots = 20000;
  r = run(p, a, &o, NULL, 0);
  assert_close(count_of(r, "0") / 20000.0, want, 0.012);
  assert_close(r->hellinger_fidelity, want, 0.012);
  /* With idle decoherence switched off, nothing decays. */
  tsr_exec_result_free(r);
  o.noise = TSR_EXEC_NOISE_ALL & ~TSR_EXEC_NOISE_IDLE;
  o.shots = 200;
  r = run(p, a, &o, NULL, 0);
  assert_close(count_of(r, "0"), 200, 0);
  /* ASAP timing ignores the schedule: no wait at all. */
  tsr_exec_result_free(r);
  o.noise = TSR_EXEC_NOISE_ALL;
  o.timing = TSR_EXEC_TIMING_ASAP;
  r = run(p, a, &o, NULL, 0);
  assert_close(count_of(r, "0"), 200, 0);
  assert_close(r->makespan.max, 0, 0);
  tsr_exec_result_free(r);
  tsr_program_free(p);
  tsr_arch_free(a);

  /* An atom move (a routing id) takes the module's move time, during which
     the qubit decoheres like any waiting qubit: the same decay, ASAP. */
  mp.connectivity.kind = TSR_TOPOLOGY_RECONFIGURABLE;
  mp.connectivity.move_time_s = t;
  assert_ok(tsr_arch_new("move", &a, &err), &err);
  assert_ok(tsr_arch_add_module(a, "A", TSR_ROLE_COMPUTE, &mp, NULL, &err), &err);
  p = tsr_program_new(&err);
  assert_ok(tsr_program_add_module(p, "A", 1, 0, NULL, &err), &err);
  assert_ok(tsr_program_set_placement(p, 1, &place, &place, &err), &err);
  h.start_s = 0;
  assert_ok(tsr_program_append(p, &h, 0, 0, NULL, 0, &err), &err);
  tsr_program_op mv = mkop(TSR_PROG_ROUTING, TSR_GATE_ID, 0, 1, 0, 0);
  mv.start_s = 1e-9;
  mv.duration_s = 1e-9; /* the machine's move time wins */
  assert_ok(tsr_program_append(p, &mv, 0, 0, NULL, 0, &err), &err);
  h.start_s = 2e-9;
  assert_ok(tsr_program_append(p, &h, 0, 0, NULL, 0, &err), &err);
  assert_ok(tsr_program_finish(p, &err), &err);
  o.backend = TSR_BACKEND_DENSMAT;
  o.shots = 10;
  r = run(p, a, &o, NULL, 0);
  assert_close(r->state_fidelity, want, 1e-12);
  assert_close(r->makespan.mean, t, 1e-15);
  assert_close(r->modules[0].busy_s, t, 1e-15);
  tsr_exec_result_free(r);
  tsr_program_free(p);
  tsr_circuit_free(c);
  tsr_arch_free(a);
}

/* Amplitude damping: |1> waiting t decays to |0> with probability
 * 1 - exp(-t/T1); |+> keeps <X> = exp(-t/T2) with T1 finite too. State
 * vector trajectories against the closed forms and the density matrix. */
static void idle_qubit_relaxes_with_t1(void **state) {
  (void)state;
  tsr_module_params mp = ideal_params(2, 0, 0, 0);
  mp.communication_qubits = 0;
  mp.coherence.t1_s = 1e-3;
  mp.coherence.t2_s = 1.5e-3;
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_new("t1", &a, &err), &err);
  assert_ok(tsr_arch_add_module(a, "A", TSR_ROLE_COMPUTE, &mp, NULL, &err), &err);
  const double t = 0.7e-3;
  tsr_program *p = tsr_program_new(&err);
  assert_ok(tsr_program_add_module(p, "A", 2, 0, NULL, &err), &err);
  assert_ok(tsr_program_add_creg(p, "c", 2, 1, NULL, &err), &err);
  uint32_t place[2] = {0, 1};
  assert_ok(tsr_program_set_placement(p, 2, place, place, &err), &err);
  tsr_program_op x = mkop(TSR_PROG_LOCAL, TSR_GATE_X, 0, 1, 0, 0);
  tsr_program_op h = mkop(TSR_PROG_LOCAL, TSR_GATE_H, 0, 1, 1, 0);
  assert_ok(tsr_program_append(p, &x, 0, 0, NULL, 0, &err), &err);
  assert_ok(tsr_program_append(p, &h, 0, 0, NULL, 0, &err), &err);
  h.start_s = t;
  assert_ok(tsr_program_append(p, &h, 0, 0, NULL, 0, &err), &err);
  for (uint32_t q = 0; q < 2; q++) {
    tsr_program_op m = mkop(TSR_PROG_LOCAL, TSR_OP_MEASURE, 0, 1, q, 0);
    m.clbit = q;
    m.start_s = t;
    assert_ok(tsr_program_append(p, &m, 0, 0, NULL, 0, &err), &err);
  }
  assert_ok(tsr_program_finish(p, &err), &err);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.timing = TSR_EXEC_TIMING_SCHEDULED;
  o.shots = 20000;
  o.seed = 21;
  double p_decay = 1 - exp(-t / 1e-3), p_plus = (1 + exp(-t / 1.5e-3)) / 2;
  const tsr_backend_kind kinds[] = {TSR_BACKEND_STATEVEC, TSR_BACKEND_DENSMAT};
  for (int k = 0; k < 2; k++) {
    o.backend = kinds[k];
    tsr_exec_result *r = run(p, a, &o, NULL, 0);
    /* bit 0: the X'd qubit (0 when it decayed); bit 1: the |+> qubit (0 = +) */
    double q0_zero = (count_of(r, "00") + count_of(r, "10")) / 20000.0;
    double q1_plus = (count_of(r, "00") + count_of(r, "01")) / 20000.0;
    assert_close(q0_zero, p_decay, 0.011);
    assert_close(q1_plus, p_plus, 0.011);
    tsr_exec_result_free(r);
  }
  tsr_program_free(p);
  tsr_arch_free(a);
}

/* ---------------------------------------------------------------- readout */

static void readout_error_flips_at_rate_p(void **state) {
  (void)state;
  tsr_module_params mp = ideal_params(2, 0, 0, 0);
  mp.readout.fidelity = 0.9;
  tsr_arch *a = line_arch(2, &mp, 0, NULL, 0.0);
  builder b = start(2, 2);
  gate1(&b, TSR_GATE_X, 0, 0);
  measure(&b, 0, 0, 0);
  measure(&b, 1, 2, 1);
  tsr_program *p = finish(&b);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.shots = 20000;
  o.seed = 3;
  tsr_exec_result *r = run(p, a, &o, NULL, 0);
  /* bit 0 reads 1 (true) unless flipped; bit 1 reads 0 unless flipped. */
  double flip0 = (count_of(r, "00") + count_of(r, "10")) / 20000.0;
  double flip1 = (count_of(r, "10") + count_of(r, "11")) / 20000.0;
  assert_close(flip0, 0.1, 0.0075);
  assert_close(flip1, 0.1, 0.0075);
  /* the budget: two readouts, 1 - 0.9^2 */
  int found = 0;
  for (size_t k = 0; k < r->nbudget; k++) {
    if (strcmp(r->budget[k].source, "readout") != 0) continue;
    found = 1;
    assert_close(r->budget[k].events, 2, 0);
    assert_close(r->budget[k].estimate, 1 - 0.81, 1e-12);
  }
  assert_true(found);
  tsr_exec_result_free(r);
  tsr_program_free(p);
  tsr_arch_free(a);
}

/* --------------------------------------------------------- timing, waits */

static void retiming_makespan_and_waits(void **state) {
  (void)state;
  /* 1 us 1q gates, 10 us 2q gates, 5 us readout; pairs after 100 us. */
  tsr_module_params mp = ideal_params(2, 1e-6, 10e-6, 5e-6);
  tsr_arch *a = line_arch(2, &mp, 0, NULL, 0.0);
  tsr_program *p = remote_cnot_program(TSR_GATE_H, 0);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.shots = 4;
  tsr_bell perfect = tsr_bell_perfect();
  tsr_exec_result *r = run(p, a, &o, &perfect, 100e-6);
  /* H [0,1]; EPR [0,100]; CX [100,110]; M [110,115]; X [115,116];
     CX [116,126]; H [126,127]; M [127,132]; Z (virtual) at 132; final
     measurements [132,137] and [126,131] (microseconds). */
  assert_close(r->makespan.mean, 137e-6, 1e-12);
  assert_close(r->makespan.std, 0, 1e-18);
  assert_close(r->modules[0].busy_s, 21e-6, 1e-12);
  assert_close(r->modules[0].network_wait_s, 116e-6, 1e-12);
  assert_close(r->modules[0].idle_s, 0, 1e-12);
  assert_close(r->modules[1].busy_s, 17e-6, 1e-12);
  assert_close(r->modules[1].network_wait_s, 115e-6, 1e-12);
  assert_close(r->modules[1].idle_s, 5e-6, 1e-12);
  assert_close(r->links[0].busy_s, 100e-6, 1e-12);
  assert_close(r->links[0].mean_latency_s, 100e-6, 1e-12);
  assert_true(r->ntimeline > 10);
  tsr_exec_result_free(r);

  tsr_program_free(p);
  tsr_arch_free(a);

  /* The default machine: ion-a and ion-b through the SiV hub; latencies are
     sampled, so the makespan spreads. */
  tsr_error err;
  assert_ok(tsr_arch_default(&a, &err), &err);
  builder b = start(2, 0);
  snprintf(b.p->modules[0].name, sizeof b.p->modules[0].name, "ion-a");
  snprintf(b.p->modules[1].name, sizeof b.p->modules[1].name, "ion-b");
  gate1(&b, TSR_GATE_H, 0, 0);
  remote_cx(&b, 0, 0, 1, 1, 2, 3, 0, b.scratch);
  p = finish(&b);
  o.shots = 200;
  r = run(p, a, &o, NULL, 0);
  assert_string_equal(r->links[0].path, "ion-a > hub > ion-b");
  assert_true(r->makespan.std > 0);
  assert_true(r->makespan.max > r->makespan.min);
  assert_true(r->links[0].attempts_per_shot >= 2);
  assert_true(r->links[0].mean_fidelity < 0.95 && r->links[0].mean_fidelity > 0.25);
  /* the corrections cross 5 + 7 km of fibre twice */
  assert_true(r->makespan.min > 2 * tsr_fibre_delay(12000.0));
  assert_true(r->modules[0].network_wait_s > 0.5 * r->makespan.mean);
  tsr_exec_result_free(r);
  tsr_program_free(p);
  tsr_arch_free(a);
}

static void routes_through_a_memory_hub(void **state) {
  (void)state;
  tsr_module_params mp = ideal_params(2, 0, 0, 0);
  tsr_module_params hubp = ideal_params(4, 0, 0, 0);
  tsr_arch *a = line_arch(2, &mp, 1, &hubp, 0.0);
  tsr_program *p = remote_cnot_program(TSR_GATE_X, 1);
  const tsr_gate g[] = {TSR_GATE_X, TSR_GATE_CX};
  const uint32_t q[][2] = {{0, 0}, {0, 1}};
  tsr_circuit *c = circuit(2, 1, g, q, 2);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.source = c;
  o.shots = 200;
  tsr_exec_result *r = run(p, a, &o, NULL, 0);
  assert_int_equal(r->links[0].hops, 2);
  assert_string_equal(r->links[0].path, "A > H > B");
  assert_close(r->links[0].elementary_per_shot, 2, 0);
  assert_close(r->elementary_pairs, 2, 0);
  assert_close(r->hellinger_fidelity, 1, 1e-12);
  tsr_exec_result_free(r);
  tsr_arch_free(a);

  /* A noisy swap at the hub: the delivered pair is the link layer's swap. */
  hubp.gate_2q.fidelity = 0.97;
  hubp.readout.fidelity = 0.99;
  a = line_arch(2, &mp, 1, &hubp, 0.0);
  r = run(p, a, &o, NULL, 0);
  tsr_local_noise nz = {4.0 / 3.0 * 0.03, 0.01};
  tsr_bell perfect = tsr_bell_perfect(), want;
  tsr_error err;
  assert_ok(tsr_bell_swap(&perfect, &perfect, &nz, &want, &err), &err);
  assert_close(r->links[0].mean_fidelity, want.p[0], 1e-12);
  assert_true(r->hellinger_fidelity < 1);
  tsr_exec_result_free(r);
  tsr_program_free(p);
  tsr_circuit_free(c);
  tsr_arch_free(a);
}

/* ------------------------------------------------------------ determinism */

static void same_seed_same_result_at_any_thread_count(void **state) {
  (void)state;
  tsr_module_params mp = ideal_params(2, 20e-6, 200e-6, 100e-6);
  mp.gate_1q.fidelity = 0.995;
  mp.gate_2q.fidelity = 0.97;
  mp.readout.fidelity = 0.98;
  mp.coherence = (tsr_coherence){0.05, 0.02};
  mp.communication_coherence = (tsr_coherence){0.02, 0.01};
  tsr_arch *a = line_arch(3, &mp, 0, NULL, 1000.0);
  tsr_program *p = chain_program(TSR_GATE_T, TSR_GATE_H);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.shots = 600;
  o.seed = 77;
  const tsr_backend_kind kinds[] = {TSR_BACKEND_STATEVEC, TSR_BACKEND_DENSMAT};
  for (size_t k = 0; k < 2; k++) {
    o.backend = kinds[k];
    o.threads = 1;
    tsr_exec_result *r1 = run(p, a, &o, NULL, 0);
    o.threads = 2;
    tsr_exec_result *r2 = run(p, a, &o, NULL, 0);
    assert_int_equal(r1->ncounts, r2->ncounts);
    for (size_t i = 0; i < r1->ncounts; i++) {
      assert_string_equal(r1->counts[i].bits, r2->counts[i].bits);
      assert_int_equal(r1->counts[i].count, r2->counts[i].count);
    }
    assert_true(r1->ncounts > 2); /* the noise shows */
    assert_true(memcmp(&r1->makespan, &r2->makespan, sizeof r1->makespan) == 0);
    assert_true(r1->estimated_success == r2->estimated_success);
    assert_int_equal(r1->nbudget, r2->nbudget);
    for (size_t i = 0; i < r1->nbudget; i++)
      assert_true(r1->budget[i].estimate == r2->budget[i].estimate);
    for (size_t m = 0; m < r1->nmodules; m++)
      assert_true(r1->modules[m].network_wait_s == r2->modules[m].network_wait_s);
    tsr_exec_result_free(r1);
    tsr_exec_result_free(r2);
  }
  tsr_program_free(p);
  tsr_arch_free(a);
}

/* -------------------------------------------------------- budget, ablation */

static void error_budget_and_ablation(void **state) {
  (void)state;
  tsr_module_params mp = ideal_params(2, 1e-6, 1e-5, 1e-5);
  mp.gate_2q.fidelity = 0.96;
  mp.readout.fidelity = 0.97;
  tsr_arch *a = line_arch(2, &mp, 0, NULL, 0.0);
  tsr_program *p = remote_cnot_program(TSR_GATE_X, 1);
  const tsr_gate g[] = {TSR_GATE_X, TSR_GATE_CX};
  const uint32_t q[][2] = {{0, 0}, {0, 1}};
  tsr_circuit *c = circuit(2, 1, g, q, 2);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.source = c;
  o.shots = 4000;
  o.ablation_shots = 2000;
  tsr_bell w = tsr_bell_werner(0.9);
  tsr_exec_result *r = run(p, a, &o, &w, 1e-5);
  double est[8] = {0};
  for (size_t k = 0; k < r->nbudget; k++) {
    const tsr_exec_budget_entry *e = &r->budget[k];
    if (strcmp(e->source, "gates:ideal") == 0) {
      /* two 2q gates: 1 - (1 - 15/16 p)^2 with p = 4/3 * 0.04 */
      double e2 = 15.0 / 16.0 * 4.0 / 3.0 * 0.04;
      assert_close(e->estimate, 1 - (1 - e2) * (1 - e2), 1e-12);
      est[0] = e->estimate;
    }
    if (strcmp(e->source, "links") == 0) assert_close(e->estimate, 0.1, 1e-12);
    if (strcmp(e->source, "readout") == 0) assert_close(e->events, 4, 0);
    assert_true(isfinite(e->ablation_hellinger));
    if (e->events > 0) assert_true(e->ablation_gain > -0.02);
  }
  assert_true(est[0] > 0);
  assert_true(r->hellinger_fidelity < 0.95);
  tsr_exec_result_free(r);
  tsr_program_free(p);
  tsr_circuit_free(c);
  tsr_arch_free(a);
}

/* Pauli noise only (no T1/T2): the three backends sample the same
 * distribution; with relaxation, the tableau twirls it. */
static void backends_agree_on_clifford_noise(void **state) {
  (void)state;
  tsr_module_params mp = ideal_params(2, 1e-6, 1e-5, 1e-5);
  mp.gate_1q.fidelity = 0.99;
  mp.gate_2q.fidelity = 0.96;
  mp.readout.fidelity = 0.98;
  tsr_arch *a = line_arch(3, &mp, 0, NULL, 0.0);
  tsr_program *p = chain_program(TSR_GATE_NONE, TSR_GATE_S);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.shots = 6000;
  tsr_bell w = tsr_bell_werner(0.9);
  const tsr_backend_kind kinds[] = {TSR_BACKEND_STATEVEC, TSR_BACKEND_DENSMAT,
                                    TSR_BACKEND_STABILIZER};
  tsr_exec_result *r[3];
  for (int k = 0; k < 3; k++) {
    o.backend = kinds[k];
    o.seed = (uint64_t)k + 100;
    r[k] = run(p, a, &o, &w, 1e-4);
    assert_false(r[k]->relaxation_twirled);
  }
  for (int k = 1; k < 3; k++) {
    double h = tsr_exec_hellinger(r[0]->counts, r[0]->ncounts, r[k]->counts, r[k]->ncounts);
    if (!(h > 0.995)) fail_msg("backend %d differs from the state vector: Hellinger %g", k, h);
    assert_close(r[k]->estimated_success, r[0]->estimated_success, 0.005);
  }
  for (int k = 0; k < 3; k++) tsr_exec_result_free(r[k]);
  tsr_program_free(p);
  tsr_arch_free(a);
  /* With T1/T2 the tableau twirls the relaxation. */
  mp.coherence = (tsr_coherence){1e-3, 1e-3};
  a = line_arch(3, &mp, 0, NULL, 0.0);
  builder b = start(3, 3);
  gate1(&b, TSR_GATE_H, 0, 0);
  remote_cx(&b, 0, 0, 1, 1, 2, 3, 0, 3);
  measure(&b, 0, 0, 0);
  measure(&b, 1, 2, 1);
  p = finish(&b);
  o.backend = TSR_BACKEND_STABILIZER;
  o.shots = 100;
  tsr_exec_result *t = run(p, a, &o, &w, 1e-4);
  assert_true(t->relaxation_twirled);
  tsr_exec_result_free(t);
  tsr_program_free(p);
  tsr_arch_free(a);
}

/* ----------------------------------------------------------------- errors */

static void refuses_bad_requests(void **state) {
  (void)state;
  tsr_error err;
  tsr_module_params mp = ideal_params(2, 0, 0, 0);
  tsr_arch *a = line_arch(2, &mp, 0, NULL, 0.0);
  tsr_program *p = remote_cnot_program(TSR_GATE_H, 1);
  /* a machine without module B */
  tsr_arch *one = NULL;
  assert_ok(tsr_exec_single_module_arch(a, 0, &one, &err), &err);
  assert_int_equal(one->n_modules, 1);
  tsr_exec *x = NULL;
  assert_int_equal(tsr_exec_new(p, one, &x, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "'B'"));
  assert_null(x);
  tsr_arch_free(one);
  /* not Clifford on the tableau */
  builder b = start(1, 1);
  gate1(&b, TSR_GATE_H, 0, 0);
  tsr_program_op rx = mkop(TSR_PROG_LOCAL, TSR_GATE_RX, 0, 1, 0, 0);
  rx.nparams = 1;
  rx.params[0] = 0.3;
  add(&b, rx, -1);
  measure(&b, 0, 0, 0);
  tsr_program *q = finish(&b);
  assert_ok(tsr_exec_new(q, a, &x, &err), &err);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.backend = TSR_BACKEND_STABILIZER;
  tsr_exec_result *r = NULL;
  assert_int_equal(tsr_exec_run(x, &o, &r, &err), TSR_ERR_UNSUPPORTED);
  assert_non_null(strstr(err.message, "not Clifford"));
  assert_false(tsr_exec_is_clifford(x));
  /* too little memory */
  o.backend = TSR_BACKEND_STATEVEC;
  o.memory_limit = 8;
  assert_int_equal(tsr_exec_run(x, &o, &r, &err), TSR_ERR_LIMIT);
  assert_non_null(strstr(err.message, "qubits"));
  o.memory_limit = 0;
  o.shots = 0;
  assert_int_equal(tsr_exec_run(x, &o, &r, &err), TSR_ERR_VALUE);
  assert_null(r);
  tsr_exec_free(x);
  tsr_program_free(q);
  /* bad overrides */
  assert_ok(tsr_exec_new(p, a, &x, &err), &err);
  tsr_bell bad = tsr_bell_make(0.5, 0.5, 0.5, 0);
  assert_int_equal(tsr_exec_override_link(x, 0, &bad, 0, &err), TSR_ERR_VALUE);
  tsr_bell ok = tsr_bell_perfect();
  assert_int_equal(tsr_exec_override_link(x, 3, &ok, 0, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_exec_override_link(x, 0, &ok, -1, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_exec_sim_qubits(x), 4);
  tsr_exec_free(x);
  tsr_program_free(p);
  tsr_arch_free(a);
}

/* Only the qubits the program touches are simulated. */
static void simulates_only_touched_qubits(void **state) {
  (void)state;
  tsr_error err;
  tsr_module_params mp = ideal_params(500, 0, 0, 0);
  tsr_arch *a = line_arch(2, &mp, 0, NULL, 0.0);
  tsr_program *p = tsr_program_new(&err);
  assert_ok(tsr_program_add_module(p, "A", 500, 2, NULL, &err), &err);
  assert_ok(tsr_program_add_module(p, "B", 500, 2, NULL, &err), &err);
  assert_ok(tsr_program_add_link(p, "A-B", 0, 1, 1e-6, 1, NULL, &err), &err);
  assert_ok(tsr_program_add_creg(p, "c", 2, 1, NULL, &err), &err);
  uint32_t place[2] = {17, 700};
  assert_ok(tsr_program_set_placement(p, 2, place, place, &err), &err);
  tsr_program_op x = mkop(TSR_PROG_LOCAL, TSR_GATE_X, 0, 1, 17, 0);
  assert_ok(tsr_program_append(p, &x, 0, 0, NULL, 0, &err), &err);
  tsr_program_op epr = mkop(TSR_PROG_EPR, TSR_GATE_NONE, 0, 2, 499, 999);
  epr.link = 0;
  epr.module_to = 1;
  assert_ok(tsr_program_append(p, &epr, 0, 0, NULL, 0, &err), &err);
  tsr_program_op m = mkop(TSR_PROG_LOCAL, TSR_OP_MEASURE, 0, 1, 17, 0);
  m.clbit = 0;
  m.start_s = 1;
  assert_ok(tsr_program_append(p, &m, 0, 0, NULL, 0, &err), &err);
  assert_ok(tsr_program_finish(p, &err), &err);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.shots = 10;
  tsr_exec_result *r = run(p, a, &o, NULL, 0);
  assert_int_equal(r->program_qubits, 1000);
  assert_int_equal(r->sim_qubits, 4);
  assert_string_equal(r->counts[0].bits, "01");
  tsr_exec_result_free(r);
  tsr_program_free(p);
  tsr_arch_free(a);
}

/* ---------------------------------------------------------------- reports */

static char *capture(tsr_status (*fn)(const tsr_exec_result *, FILE *, tsr_error *),
                     const tsr_exec_result *r) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  tsr_error err;
  assert_ok(fn(r, f, &err), &err);
  fclose(f);
  return text;
}

static void writes_reports(void **state) {
  (void)state;
  tsr_module_params mp = ideal_params(2, 1e-6, 1e-5, 1e-5);
  mp.gate_2q.fidelity = 0.99;
  tsr_arch *a = line_arch(2, &mp, 0, NULL, 0.0);
  tsr_program *p = remote_cnot_program(TSR_GATE_H, 1);
  const tsr_gate g[] = {TSR_GATE_H, TSR_GATE_CX};
  const uint32_t q[][2] = {{0, 0}, {0, 1}};
  tsr_circuit *c = circuit(2, 1, g, q, 2);
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.source = c;
  o.shots = 100;
  tsr_exec_result *r = run(p, a, &o, NULL, 0);
  tsr_exec_comparison cmp[2];
  memset(cmp, 0, sizeof cmp);
  snprintf(cmp[0].module, sizeof cmp[0].module, "A");
  cmp[0].result = r;
  snprintf(cmp[1].module, sizeof cmp[1].module, "B");
  snprintf(cmp[1].note, sizeof cmp[1].note, "does not fit");
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  tsr_json *j = tsr_json_new(f, 0);
  tsr_exec_result_write_json(r, cmp, 2, j);
  tsr_json_free(j);
  fclose(f);
  const char *keys[] = {"\"hellinger_fidelity\":", "\"ebits\":1",       "\"makespan_s\":",
                        "\"shots\":100",           "\"error_budget\":", "\"modules\":",
                        "\"monolithic\":",         "\"ran\":false",     "\"state_fidelity\":"};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
    if (!strstr(text, keys[k])) fail_msg("JSON lacks %s: %s", keys[k], text);
  free(text);
  text = capture(tsr_exec_write_timeline_svg, r);
  assert_non_null(strstr(text, "<svg"));
  assert_non_null(strstr(text, "A-B (link)"));
  free(text);
  text = capture(tsr_exec_write_trace_json, r);
  assert_non_null(strstr(text, "\"traceEvents\":["));
  assert_non_null(strstr(text, "\"ph\":\"X\""));
  free(text);
  text = capture(tsr_exec_write_budget_svg, r);
  assert_non_null(strstr(text, "gates:ideal"));
  free(text);
  /* Hellinger of count tables */
  tsr_count x1[2] = {{"00", 50}, {"11", 50}}, x2[1] = {{"00", 10}};
  assert_close(tsr_exec_hellinger(x1, 2, x1, 2), 1, 1e-15);
  assert_close(tsr_exec_hellinger(x1, 2, x2, 1), 0.5, 1e-15);
  tsr_exec_result_free(r);
  tsr_program_free(p);
  tsr_circuit_free(c);
  tsr_arch_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(noiseless_machine_gives_hellinger_one),
      cmocka_unit_test(werner_pair_gives_predicted_fidelity),
      cmocka_unit_test(idle_qubit_dephases_as_exp_t_over_t2),
      cmocka_unit_test(idle_qubit_relaxes_with_t1),
      cmocka_unit_test(readout_error_flips_at_rate_p),
      cmocka_unit_test(retiming_makespan_and_waits),
      cmocka_unit_test(routes_through_a_memory_hub),
      cmocka_unit_test(same_seed_same_result_at_any_thread_count),
      cmocka_unit_test(error_budget_and_ablation),
      cmocka_unit_test(backends_agree_on_clifford_noise),
      cmocka_unit_test(refuses_bad_requests),
      cmocka_unit_test(simulates_only_touched_qubits),
      cmocka_unit_test(writes_reports),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
