/* Stabilizer tableau: a random Clifford circuit of 10^5 operations on 1000
 * qubits (1-qubit Cliffords, CX/CZ/SWAP and 1 % mid-circuit measurements),
 * timed as a whole and split into gates and measurements; then the same
 * circuit through tsr_sim_run with 1000 shots of final sampling.
 *
 * The baseline measured in the same run is the cost of touching the tableau
 * once (a copy of all its words): a gate is compared with that, a
 * measurement (O(n^2/64) word operations) with n copies of one column.
 *
 * Usage: bench_stabilizer [N [OPS [MEASURE_PERCENT]]]  (default 1000 100000 1) */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/sim.h"

static double now(void) {
  return omp_get_wtime();
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000;
  const unsigned long ops = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
  const double mpct = argc > 3 ? strtod(argv[3], NULL) : 1.0;
  if (n < 2) n = 2;
  tsr_error err;
  printf("bench_stabilizer: %u qubits, %lu operations, %.1f %% measurements\n", n, ops, mpct);

  /* the circuit, as plain arrays (and as a tsr_circuit for the runner) */
  tsr_rng r;
  tsr_rng_seed(&r, 2024, 0);
  tsr_gate *kind = malloc(ops * sizeof *kind);
  uint32_t(*q)[2] = malloc(ops * sizeof *q);
  static const tsr_gate one[] = {TSR_GATE_H, TSR_GATE_S, TSR_GATE_SDG,
                                 TSR_GATE_X, TSR_GATE_Z, TSR_GATE_SX};
  static const tsr_gate two[] = {TSR_GATE_CX, TSR_GATE_CZ, TSR_GATE_SWAP};
  tsr_circuit *c = tsr_circuit_new(&err);
  if (!kind || !q || !c || tsr_circuit_add_qreg(c, "q", n, NULL, &err) != TSR_OK ||
      tsr_circuit_add_creg(c, "c", n, NULL, &err) != TSR_OK) {
    fprintf(stderr, "bench: setup failed\n");
    return 1;
  }
  unsigned long nmeas = 0;
  for (unsigned long i = 0; i < ops; i++) {
    const double u = tsr_rng_uniform(&r) * 100;
    q[i][0] = (uint32_t)tsr_rng_below(&r, n);
    q[i][1] = (uint32_t)tsr_rng_below(&r, n - 1);
    if (q[i][1] >= q[i][0]) q[i][1]++;
    tsr_status st;
    if (u < mpct) {
      kind[i] = TSR_OP_MEASURE;
      st = tsr_circuit_append_measure(c, q[i][0], q[i][0], &err);
      nmeas++;
    } else if (u < mpct + (100 - mpct) / 2) {
      kind[i] = one[tsr_rng_below(&r, 6)];
      st = tsr_circuit_append_gate(c, kind[i], q[i], 1, NULL, 0, &err);
    } else {
      kind[i] = two[tsr_rng_below(&r, 3)];
      st = tsr_circuit_append_gate(c, kind[i], q[i], 2, NULL, 0, &err);
    }
    if (st != TSR_OK) {
      fprintf(stderr, "bench: %s\n", err.message);
      return 1;
    }
  }

  /* baseline: one copy of the whole tableau */
  tsr_tableau *t = tsr_tableau_new(n, NULL, &err), *t2 = tsr_tableau_new(n, NULL, &err);
  if (!t || !t2) {
    fprintf(stderr, "bench: %s\n", err.message);
    return 1;
  }
  double t0 = now();
  const int copies = 200;
  for (int i = 0; i < copies; i++) tsr_tableau_copy(t2, t, NULL);
  const double copy_s = (now() - t0) / copies;
  printf("\nbaseline: copying the tableau (%.1f MiB) takes %.2f us\n",
         (double)n * n * 2 * 2 / 8 / 1048576.0 * 1.0, copy_s * 1e6);

  /* the circuit on the tableau */
  double tg = 0, tm = 0;
  tsr_rng mr;
  tsr_rng_seed(&mr, 1, 0);
  const double total0 = now();
  for (unsigned long i = 0; i < ops; i++) {
    const double s0 = now();
    tsr_status st;
    if (kind[i] == TSR_OP_MEASURE) {
      int o;
      st = tsr_tableau_measure(t, q[i][0], &mr, &o, NULL, &err);
      tm += now() - s0;
    } else {
      st = tsr_tableau_apply_gate(t, kind[i], q[i], kind[i] >= TSR_GATE_CX ? 2 : 1, NULL, &err);
      tg += now() - s0;
    }
    if (st != TSR_OK) {
      fprintf(stderr, "bench: %s\n", err.message);
      return 1;
    }
  }
  const double total = now() - total0;
  printf("\n%lu operations on %u qubits: %.3f s (target < 1 s)\n", ops, n, total);
  printf("  %lu gates         %.3f s   %.3f us per gate      (%.2f tableau copies)\n", ops - nmeas,
         tg, tg / (double)(ops - nmeas) * 1e6, tg / (double)(ops - nmeas) / copy_s);
  if (nmeas) {
    printf("  %lu measurements  %.3f s   %.1f us per measurement (%.1f tableau copies)\n", nmeas,
           tm, tm / (double)nmeas * 1e6, tm / (double)nmeas / copy_s);
  }

  /* through the runner: 1000 shots, each a trajectory (mid-circuit measurements) */
  for (uint32_t i = 0; i < n; i++) tsr_circuit_append_measure(c, i, i, &err);
  tsr_sim_options o;
  tsr_sim_options_init(&o);
  o.backend = TSR_BACKEND_STABILIZER;
  o.shots = 1;
  tsr_sim_result *res = NULL;
  t0 = now();
  if (tsr_sim_run(c, &o, &res, &err) != TSR_OK) {
    fprintf(stderr, "bench: %s\n", err.message);
    return 1;
  }
  printf("\ntsr_sim_run, 1 shot (plan + trajectory + %u final measurements): %.3f s\n", n,
         now() - t0);
  tsr_sim_result_free(res);

  /* final sampling: a Clifford circuit without mid-circuit measurements */
  tsr_circuit *g = tsr_circuit_new(&err);
  tsr_circuit_add_qreg(g, "q", n, NULL, &err);
  tsr_circuit_add_creg(g, "c", n, NULL, &err);
  for (unsigned long i = 0; i < ops; i++) {
    if (kind[i] == TSR_OP_MEASURE) continue;
    tsr_circuit_append_gate(g, kind[i], q[i], kind[i] >= TSR_GATE_CX ? 2 : 1, NULL, 0, &err);
  }
  for (uint32_t i = 0; i < n; i++) tsr_circuit_append_measure(g, i, i, &err);
  o.shots = 1000;
  t0 = now();
  if (tsr_sim_run(g, &o, &res, &err) != TSR_OK) {
    fprintf(stderr, "bench: %s\n", err.message);
    return 1;
  }
  printf("tsr_sim_run, %lu gates then 1000 shots sampled from the final tableau: %.3f s (%zu "
         "distinct outcomes)\n",
         ops - nmeas, now() - t0, res->ncounts);
  tsr_sim_result_free(res);
  tsr_circuit_free(g);
  tsr_circuit_free(c);
  tsr_tableau_free(t);
  tsr_tableau_free(t2);
  free(kind);
  free(q);
  return 0;
}
