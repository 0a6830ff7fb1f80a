/* Density matrix: 12 qubits with noise after every gate.
 *
 *   1. the baseline measured in the same run: an in-place read-modify-write
 *      pass over an array the size of rho (4^n complex doubles);
 *   2. per operation through the API: a dense 1-qubit gate, a CX, a 1-qubit
 *      channel (amplitude damping), a 2-qubit depolarizing channel, as
 *      seconds and as a fraction of the baseline pass;
 *   3. a noisy circuit through tsr_sim_run (layers of random u3 on every
 *      qubit and a CX ladder; depolarizing and amplitude damping after every
 *      1-qubit gate, 2-qubit depolarizing after every CX): there a gate and
 *      its channels are one superoperator pass, so a "gate + noise" costs
 *      about one pass. QuEST v4 takes about 30 ms per operation here (the
 *      figure quoted in the issue; not measured by this program).
 *
 * Usage: bench_densmat [N [LAYERS]]  (default 12 4) */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/sim.h"

#define REPS 5

static double now(void) {
  return omp_get_wtime();
}

static double best(const double *t, int n) {
  double b = t[0];
  for (int i = 1; i < n; i++) b = t[i] < b ? t[i] : b;
  return b;
}

int main(int argc, char **argv) {
  const unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 12;
  const unsigned layers = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 4;
  const int th = omp_get_num_procs() >= 2 ? 2 : 1;
  tsr_error err;
  const uint64_t entries = UINT64_C(1) << (2 * n);
  const double bytes = 2.0 * 16.0 * (double)entries; /* read + write rho once */
  printf("bench_densmat: %u qubits (rho is %.0f MiB), %d threads, kernels: %s\n", n,
         16.0 * (double)entries / 1048576.0, th, tsr_sim_simd_name());

  /* 1. baseline */
  double *arr = aligned_alloc(64, entries * 16);
  if (!arr) return 1;
#pragma omp parallel for schedule(static) num_threads(th)
  for (uint64_t i = 0; i < 2 * entries; i++) arr[i] = 1e-3 * (double)(i & 15);
  double tb[REPS];
  for (int rep = 0; rep < REPS; rep++) {
    const double t0 = now();
#pragma omp parallel for schedule(static) num_threads(th)
    for (uint64_t i = 0; i < 2 * entries; i++) arr[i] = arr[i] * 0.999 + 1e-9;
    tb[rep] = now() - t0;
  }
  free(arr);
  const double pass = best(tb, REPS);
  printf("\nbaseline: in-place pass over rho %.2f ms (%.1f GB/s)\n", pass * 1e3,
         bytes / pass / 1e9);

  /* 2. operations through the API */
  tsr_state_options so = {TSR_PRECISION_DOUBLE, th, 0};
  tsr_densmat *dm = tsr_densmat_new(n, &so, &err);
  if (!dm) {
    fprintf(stderr, "bench: %s\n", err.message);
    return 1;
  }
  const uint32_t q1 = n / 2, q2[2] = {n / 2, n / 2 + 1};
  const double p3[3] = {1.1, 0.3, -0.8};
  tsr_channel *ad = tsr_channel_amplitude_damping(0.01, &err);
  tsr_channel *dep2 = tsr_channel_depolarizing(2, 0.01, &err);
  struct {
    const char *what;
    int kind;
  } cases[] = {{"u3 (dense 1-qubit gate)", 0},
               {"cx", 1},
               {"amplitude damping (1 qubit)", 2},
               {"depolarizing (2 qubits)", 3}};
  printf("\noperations (best of %d):                 ms     x pass\n", REPS);
  for (size_t c = 0; c < 4; c++) {
    double t[REPS];
    for (int rep = 0; rep < REPS; rep++) {
      const double t0 = now();
      tsr_status st = TSR_OK;
      switch (cases[c].kind) {
      case 0:
        st = tsr_densmat_apply_gate(dm, TSR_GATE_U3, &q1, 1, p3, &err);
        break;
      case 1:
        st = tsr_densmat_apply_gate(dm, TSR_GATE_CX, q2, 2, NULL, &err);
        break;
      case 2:
        st = tsr_densmat_apply_channel(dm, ad, &q1, &err);
        break;
      default:
        st = tsr_densmat_apply_channel(dm, dep2, q2, &err);
        break;
      }
      if (st != TSR_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
      }
      t[rep] = now() - t0;
    }
    printf("  %-32s %8.2f  %8.2f\n", cases[c].what, best(t, REPS) * 1e3, best(t, REPS) / pass);
  }
  tsr_densmat_free(dm);

  /* 3. the noisy circuit through the runner */
  tsr_circuit *c = tsr_circuit_new(&err);
  tsr_circuit_add_qreg(c, "q", n, NULL, &err);
  tsr_rng r;
  tsr_rng_seed(&r, 3, 0);
  size_t gates = 0;
  for (unsigned l = 0; l < layers; l++) {
    for (uint32_t q = 0; q < n; q++, gates++) {
      double p[3] = {tsr_rng_uniform(&r) * 3, tsr_rng_uniform(&r) * 6, tsr_rng_uniform(&r) * 6};
      tsr_circuit_append_gate(c, TSR_GATE_U3, &q, 1, p, 3, &err);
    }
    for (uint32_t q = 0; q + 1 < n; q++, gates++) {
      uint32_t qq[2] = {q, q + 1};
      tsr_circuit_append_gate(c, TSR_GATE_CX, qq, 2, NULL, 0, &err);
    }
  }
  const char *yaml = "gates:\n"
                     "  - gates: u3\n    depolarizing: 0.001\n    amplitude_damping: 0.0005\n"
                     "  - gates: cx\n    depolarizing: 0.01\n";
  tsr_noise_model *nm = NULL;
  if (tsr_noise_model_load_string(yaml, strlen(yaml), "bench.yaml", &nm, &err) != TSR_OK) {
    fprintf(stderr, "bench: %s\n", err.message);
    return 1;
  }
  tsr_sim_options o;
  tsr_sim_options_init(&o);
  o.backend = TSR_BACKEND_DENSMAT;
  o.shots = 1000;
  o.noise = nm;
  o.threads = th;
  tsr_sim_result *res = NULL;
  const double t0 = now();
  if (tsr_sim_run(c, &o, &res, &err) != TSR_OK) {
    fprintf(stderr, "bench: %s\n", err.message);
    return 1;
  }
  const double total = now() - t0;
  /* operations as QuEST counts them: each gate and each channel */
  const size_t channels = (size_t)layers * n * 2 + (size_t)layers * (n - 1);
  printf("\nnoisy circuit, %zu gates + %zu channels, 1000 shots sampled: %.3f s\n", gates, channels,
         total);
  printf("  %.2f ms per gate with its noise   %.2f ms per operation (gate or channel)\n",
         total / (double)gates * 1e3, total / (double)(gates + channels) * 1e3);
  printf("  QuEST v4 here: about 30 ms per operation -> %.1fx faster per operation "
         "(target >= 3x)\n",
         30e-3 / (total / (double)(gates + channels)));
  tsr_sim_result_free(res);
  tsr_noise_model_free(nm);
  tsr_circuit_free(c);
  tsr_channel_free(ad);
  tsr_channel_free(dep2);
  return 0;
}
