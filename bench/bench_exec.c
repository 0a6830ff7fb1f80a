/* Executor throughput against the bare state-vector backend, measured in the
 * same run on the same distributed program:
 *
 *   program  a 20-qubit circuit spread over two modules of 10 data qubits and
 *            one communication qubit each (22 simulated qubits): LAYERS layers
 *            of a random ry and rz on every qubit, a CZ ladder inside each
 *            module, and one remote CX between the modules by cat-entanglement
 *            (an EPR pair, two mid-circuit measurements, two messages, two
 *            conditioned corrections); every qubit measured at the end;
 *   bare     the same operations applied to one tsr_statevec per shot in
 *            program order (EPR: reset, H, CX; conditions read the measured
 *            bits): the work any simulator of this program must do;
 *   exec     tsr_exec_run on a noiseless machine (ideal modules and link): the
 *            same state work plus the event engine, re-timing, bookkeeping and
 *            reports; overhead = exec time / bare time - 1 (target <= 20 %);
 *   noisy    tsr_exec_run on trapped-ion modules (ion-ba-nextgen) with a
 *            Werner 0.95 pair every 10 ms: the cost of the noise channels;
 *   runner   tsr_sim_run on the program flattened into a circuit (noiseless,
 *            trajectories from the first measurement, gate fusion on), for
 *            reference.
 *
 * Usage: bench_exec [LAYERS [SHOTS [QUBITS]]]   (default 4 4 20) */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/exec.h"

static void check(tsr_status st, const tsr_error *err, const char *what) {
  if (st == TSR_OK) return;
  char buf[1024];
  fprintf(stderr, "bench_exec: %s: %s\n", what, tsr_error_format(err, buf, sizeof buf));
  exit(1);
}

typedef struct builder {
  tsr_program *p;
  double t;
} builder;

static void add(builder *b, tsr_program_role role, tsr_gate kind, int32_t module, uint32_t nq,
                uint32_t q0, uint32_t q1, const double *param, int64_t clbit, int64_t cond_bit) {
  tsr_program_op op = tsr_program_op_blank(role, kind, module);
  op.nqubits = nq;
  op.qubits[0] = q0;
  op.qubits[1] = q1;
  op.clbit = clbit;
  if (param) {
    op.nparams = 1;
    op.params[0] = *param;
  }
  op.start_s = b->t;
  op.duration_s = 1e-6;
  b->t += 1e-6;
  tsr_error err;
  uint64_t one = 1;
  check(cond_bit >= 0 ? tsr_program_append(b->p, &op, -1, (uint32_t)cond_bit, &one, 1, &err)
                      : tsr_program_append(b->p, &op, 0, 0, NULL, 0, &err),
        &err, "append");
}

static void add_special(builder *b, tsr_program_op op) {
  tsr_error err;
  op.start_s = b->t;
  op.duration_s = 1e-6;
  b->t += 1e-6;
  check(tsr_program_append(b->p, &op, 0, 0, NULL, 0, &err), &err, "append");
}

static tsr_program *make_program(uint32_t n, uint32_t layers, uint64_t seed) {
  tsr_error err;
  uint32_t h = n / 2; /* data qubits per module */
  builder b = {tsr_program_new(&err), 0};
  check(tsr_program_add_module(b.p, "A", h + 1, 1, NULL, &err), &err, "module");
  check(tsr_program_add_module(b.p, "B", n - h + 1, 1, NULL, &err), &err, "module");
  check(tsr_program_add_link(b.p, "A-B", 0, 1, 1e-2, 0.95, NULL, &err), &err, "link");
  check(tsr_program_add_creg(b.p, "c", n, 1, NULL, &err), &err, "creg");
  check(tsr_program_add_creg(b.p, "m", 2, 0, NULL, &err), &err, "creg");
  uint32_t qa = 0, ca = h, qb = h + 1, cb = n + 1; /* first data and comm qubits */
  uint32_t *place = malloc(n * sizeof *place);
  for (uint32_t q = 0; q < n; q++) place[q] = q < h ? qa + q : qb + (q - h);
  check(tsr_program_set_placement(b.p, n, place, place, &err), &err, "placement");
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, 0);
  for (uint32_t l = 0; l < layers; l++) {
    for (uint32_t q = 0; q < n; q++) {
      int32_t m = q < h ? 0 : 1;
      double t1 = 2 * M_PI * tsr_rng_uniform(&rng), t2 = 2 * M_PI * tsr_rng_uniform(&rng);
      add(&b, TSR_PROG_LOCAL, TSR_GATE_RY, m, 1, place[q], 0, &t1, -1, -1);
      add(&b, TSR_PROG_LOCAL, TSR_GATE_RZ, m, 1, place[q], 0, &t2, -1, -1);
    }
    for (uint32_t q = 0; q + 1 < n; q++) {
      if (q + 1 == h) continue;
      int32_t m = q < h ? 0 : 1;
      add(&b, TSR_PROG_LOCAL, TSR_GATE_CZ, m, 2, place[q], place[q + 1], NULL, -1, -1);
    }
    /* remote CX from a qubit of A to a qubit of B */
    uint32_t c = place[tsr_rng_below(&rng, h)], t = place[h + tsr_rng_below(&rng, n - h)];
    tsr_program_op epr;
    memset(&epr, 0, sizeof epr);
    epr.role = TSR_PROG_EPR;
    epr.nqubits = 2;
    epr.qubits[0] = ca;
    epr.qubits[1] = cb;
    epr.clbit = epr.cond = -1;
    epr.module = 0;
    epr.module_to = 1;
    epr.link = 0;
    epr.source_op = -1;
    add_special(&b, epr);
    add(&b, TSR_PROG_CAT_ENTANGLE, TSR_GATE_CX, 0, 2, c, ca, NULL, -1, -1);
    add(&b, TSR_PROG_CAT_ENTANGLE, TSR_OP_MEASURE, 0, 1, ca, 0, NULL, n, -1);
    tsr_program_op msg = epr;
    msg.role = TSR_PROG_MESSAGE;
    msg.nqubits = 0;
    msg.link = -1;
    msg.message_clbit_first = n;
    msg.message_clbits = 1;
    add_special(&b, msg);
    add(&b, TSR_PROG_CAT_ENTANGLE, TSR_GATE_X, 1, 1, cb, 0, NULL, -1, n);
    add(&b, TSR_PROG_LOCAL, TSR_GATE_CX, 1, 2, cb, t, NULL, -1, -1);
    add(&b, TSR_PROG_CAT_DISENTANGLE, TSR_GATE_H, 1, 1, cb, 0, NULL, -1, -1);
    add(&b, TSR_PROG_CAT_DISENTANGLE, TSR_OP_MEASURE, 1, 1, cb, 0, NULL, n + 1, -1);
    msg.module = 1;
    msg.module_to = 0;
    msg.message_clbit_first = n + 1;
    add_special(&b, msg);
    add(&b, TSR_PROG_CAT_DISENTANGLE, TSR_GATE_Z, 0, 1, c, 0, NULL, -1, n + 1);
  }
  for (uint32_t q = 0; q < n; q++)
    add(&b, TSR_PROG_LOCAL, TSR_OP_MEASURE, q < h ? 0 : 1, 1, place[q], 0, NULL, q, -1);
  free(place);
  check(tsr_program_finish(b.p, &err), &err, "finish");
  return b.p;
}

/* The bare backend: the program's operations on one state vector per shot. */
static double run_bare(const tsr_program *p, uint64_t shots, uint64_t seed, int threads) {
  tsr_error err;
  tsr_state_options so = {TSR_PRECISION_DOUBLE, threads, 0};
  tsr_statevec *sv = tsr_statevec_new(p->nqubits, &so, &err);
  check(sv ? TSR_OK : err.status, &err, "statevec");
  int *bits = calloc(p->nclbits + 1, sizeof *bits);
  double t0 = tsr_wall_seconds();
  for (uint64_t s = 0; s < shots; s++) {
    tsr_rng rng;
    tsr_rng_seed(&rng, seed, s);
    check(tsr_statevec_set_basis(sv, 0, &err), &err, "reset");
    memset(bits, 0, (p->nclbits + 1) * sizeof *bits);
    for (size_t i = 0; i < p->nops; i++) {
      const tsr_program_op *op = &p->ops[i];
      if (op->role == TSR_PROG_MESSAGE || op->kind == TSR_OP_BARRIER) continue;
      if (op->cond >= 0) {
        const tsr_condition *c = &p->conds[op->cond];
        if (bits[c->bit] != (int)(c->value[0] & 1u)) continue;
      }
      if (op->role == TSR_PROG_EPR) {
        check(tsr_statevec_reset(sv, op->qubits[0], &rng, &err), &err, "reset");
        check(tsr_statevec_reset(sv, op->qubits[1], &rng, &err), &err, "reset");
        check(tsr_statevec_apply_gate(sv, TSR_GATE_H, op->qubits, 1, NULL, &err), &err, "h");
        check(tsr_statevec_apply_gate(sv, TSR_GATE_CX, op->qubits, 2, NULL, &err), &err, "cx");
      } else if (op->kind == TSR_OP_MEASURE) {
        int m = 0;
        check(tsr_statevec_measure(sv, op->qubits[0], &rng, &m, &err), &err, "measure");
        bits[op->clbit] = m;
      } else {
        check(tsr_statevec_apply_gate(sv, op->kind, op->qubits, op->nqubits, op->params, &err),
              &err, "gate");
      }
    }
  }
  double t = tsr_wall_seconds() - t0;
  free(bits);
  tsr_statevec_free(sv);
  return t;
}

/* The program as a circuit for the sim runner (EPR: reset, reset, h, cx). */
static tsr_circuit *flatten(const tsr_program *p) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  check(tsr_circuit_add_qreg(c, "q", p->nqubits, NULL, &err), &err, "qreg");
  check(tsr_circuit_add_creg(c, "c", p->nclbits, NULL, &err), &err, "creg");
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *op = &p->ops[i];
    if (op->role == TSR_PROG_MESSAGE) continue;
    if (op->role == TSR_PROG_EPR) {
      check(tsr_circuit_append_reset(c, op->qubits[0], &err), &err, "reset");
      check(tsr_circuit_append_reset(c, op->qubits[1], &err), &err, "reset");
      check(tsr_circuit_append_gate(c, TSR_GATE_H, op->qubits, 1, NULL, 0, &err), &err, "h");
      check(tsr_circuit_append_gate(c, TSR_GATE_CX, op->qubits, 2, NULL, 0, &err), &err, "cx");
      continue;
    }
    if (op->kind == TSR_OP_MEASURE)
      check(tsr_circuit_append_measure(c, op->qubits[0], (uint32_t)op->clbit, &err), &err, "m");
    else
      check(tsr_circuit_append_gate(c, op->kind, op->qubits, op->nqubits, op->params, op->nparams,
                                    &err),
            &err, "gate");
    if (op->cond >= 0) {
      const tsr_condition *cd = &p->conds[op->cond];
      check(tsr_circuit_condition_last(c, -1, cd->bit, cd->value, 1, &err), &err, "cond");
    }
  }
  return c;
}

static double run_exec(const tsr_program *p, const tsr_arch *a, uint64_t shots, uint64_t seed,
                       int threads, const tsr_bell *pair, double latency, double *hel) {
  tsr_error err;
  tsr_exec *x = NULL;
  check(tsr_exec_new(p, a, &x, &err), &err, "exec_new");
  if (pair) check(tsr_exec_override_link(x, 0, pair, latency, &err), &err, "override");
  tsr_exec_options o;
  tsr_exec_options_default(&o);
  o.shots = shots;
  o.seed = seed;
  o.threads = threads;
  o.backend = TSR_BACKEND_STATEVEC;
  o.record_timeline = 0;
  tsr_exec_result *r = NULL;
  double t0 = tsr_wall_seconds();
  check(tsr_exec_run(x, &o, &r, &err), &err, "exec_run");
  double t = tsr_wall_seconds() - t0;
  if (hel) *hel = r->estimated_success;
  tsr_exec_result_free(r);
  tsr_exec_free(x);
  return t;
}

static tsr_arch *two_modules(const tsr_module_params *mp) {
  tsr_error err;
  tsr_arch *a = NULL;
  check(tsr_arch_new("bench", &a, &err), &err, "arch");
  check(tsr_arch_add_module(a, "A", TSR_ROLE_COMPUTE, mp, NULL, &err), &err, "module");
  check(tsr_arch_add_module(a, "B", TSR_ROLE_COMPUTE, mp, NULL, &err), &err, "module");
  tsr_link l;
  tsr_link_init(&l, 0, 1, 0.0);
  l.protocol = TSR_PROTOCOL_IDEAL;
  check(tsr_arch_add_link(a, &l, NULL, &err), &err, "link");
  return a;
}

int main(int argc, char **argv) {
  uint32_t layers = argc > 1 ? (uint32_t)atoi(argv[1]) : 4;
  uint64_t shots = argc > 2 ? (uint64_t)atoll(argv[2]) : 4;
  uint32_t n = argc > 3 ? (uint32_t)atoi(argv[3]) : 20;
  if (layers < 1 || shots < 1 || n < 4 || n > 28) {
    fprintf(stderr, "usage: bench_exec [LAYERS [SHOTS [QUBITS (4..28)]]]\n");
    return 2;
  }
  int threads = omp_get_max_threads();
  tsr_program *p = make_program(n, layers, 1);
  size_t gates = 0, eprs = 0;
  for (size_t i = 0; i < p->nops; i++) {
    if (p->ops[i].role == TSR_PROG_EPR)
      eprs++;
    else if (p->ops[i].role != TSR_PROG_MESSAGE)
      gates++;
  }
  printf("bench_exec: %u-qubit circuit over 2 modules (%u simulated qubits), %u layers, %zu "
         "operations, %zu EPR pairs per shot; %llu shots, %d threads, SIMD %s\n",
         n, p->nqubits, layers, gates, eprs, (unsigned long long)shots, threads,
         tsr_sim_simd_name());
  tsr_module_params ideal;
  tsr_module_params_ideal(&ideal, n);
  tsr_arch *a_ideal = two_modules(&ideal);
  tsr_module_params ion = tsr_preset_find("ion-ba-nextgen")->params;
  tsr_arch *a_ion = two_modules(&ion);
  tsr_circuit *flat = flatten(p);

  /* warm up (page faults, OpenMP pool) */
  run_bare(p, 1, 99, threads);
  double t_bare = 1e300, t_exec = 1e300, t_noisy = 1e300, t_runner = 1e300, est = 0;
  tsr_bell w = tsr_bell_werner(0.95);
  for (int rep = 0; rep < 2; rep++) {
    double t = run_bare(p, shots, 7, threads);
    if (t < t_bare) t_bare = t;
    t = run_exec(p, a_ideal, shots, 7, threads, NULL, 0, NULL);
    if (t < t_exec) t_exec = t;
    t = run_exec(p, a_ion, shots, 7, threads, &w, 10e-3, &est);
    if (t < t_noisy) t_noisy = t;
    tsr_sim_options so;
    tsr_sim_options_init(&so);
    so.backend = TSR_BACKEND_STATEVEC;
    so.shots = shots;
    so.seed = 7;
    so.threads = threads;
    tsr_sim_result *sr = NULL;
    tsr_error err;
    double t0 = tsr_wall_seconds();
    check(tsr_sim_run(flat, &so, &sr, &err), &err, "sim_run");
    t = tsr_wall_seconds() - t0;
    tsr_sim_result_free(sr);
    if (t < t_runner) t_runner = t;
  }
  double S = (double)shots;
  printf("  %-44s %10s %10s\n", "", "shots/s", "vs bare");
  printf("  %-44s %10.3f %9.2fx\n", "bare state vector (program order)", S / t_bare, 1.0);
  printf("  %-44s %10.3f %9.2fx   executor overhead %+.1f %%\n", "tsr_exec_run, noiseless machine",
         S / t_exec, t_bare / t_exec, 100.0 * (t_exec / t_bare - 1.0));
  printf("  %-44s %10.3f %9.2fx   (estimated success %.3f)\n", "tsr_exec_run, ion-ba-nextgen noise",
         S / t_noisy, t_bare / t_noisy, est);
  printf("  %-44s %10.3f %9.2fx   (gate fusion on)\n", "tsr_sim_run on the flattened circuit",
         S / t_runner, t_bare / t_runner);
  int ok = t_exec <= 1.2 * t_bare;
  printf("executor overhead %s the 20 %% target\n", ok ? "within" : "ABOVE");
  tsr_circuit_free(flat);
  tsr_arch_free(a_ideal);
  tsr_arch_free(a_ion);
  tsr_program_free(p);
  return 0;
}
