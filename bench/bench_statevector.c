/* State-vector kernels against this machine's memory bandwidth, measured in
 * the same run:
 *
 *   1. bandwidth baseline: STREAM-style copy (b = a) and triad
 *      (a = b + s c), and an in-place read-modify-write loop (a = a s + t),
 *      on 1 and 2 threads;
 *   2. seconds per gate and effective bandwidth (bytes read + written per
 *      gate, 2 * 16 * 2^n, over the time) for H, a random 1-qubit rotation,
 *      CX and CZ at n = 20, 24, 26, 28 on 1 and 2 threads, printed as a
 *      fraction of the bandwidth of an in-place pass over the same state
 *      timed alongside each gate (a shared machine's bandwidth drifts);
 *   3. gate fusion: a 20-layer random circuit (a random rotation on every
 *      qubit, then a CZ ladder) at n = 26, fused and unfused.
 *
 * Usage: bench_statevector [MAX_N [FUSION_N [LAYERS]]] [--sweep]
 *   MAX_N     largest n of part 2 (default 28; 28 needs 4 GiB)
 *   FUSION_N  n of part 3 (default 26; 0 skips it)
 *   LAYERS    layers of part 3 (default 20)
 *   --sweep   also time fused blocks of the other sizes (2 to 5 qubits)
 * Times are the best of three runs. At n = 28 only the gates on middle qubits
 * are timed, to keep the default run near two minutes. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/sim.h"

#define REPS 3

static double best_of(double *t, int n) {
  double b = t[0];
  for (int i = 1; i < n; i++) b = t[i] < b ? t[i] : b;
  return b;
}

typedef struct bw {
  double copy, triad, inplace;
} bw;

/* STREAM-style loops over arrays of `count` doubles. */
static bw measure_bandwidth(size_t count, int threads) {
  double *a = aligned_alloc(64, count * sizeof *a), *b = aligned_alloc(64, count * sizeof *b);
  double *c = aligned_alloc(64, count * sizeof *c);
  bw r = {0, 0, 0};
  if (!a || !b || !c) {
    free(a);
    free(b);
    free(c);
    return r;
  }
#pragma omp parallel for schedule(static) num_threads(threads)
  for (size_t i = 0; i < count; i++) {
    a[i] = 1.0 + (double)(i & 7);
    b[i] = 2.0;
    c[i] = 0.5;
  }
  double tc[REPS], tt[REPS], ti[REPS];
  const double s = 0.999, t = 1e-9;
  for (int rep = 0; rep < REPS; rep++) {
    double t0 = omp_get_wtime();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t i = 0; i < count; i++) b[i] = a[i];
    tc[rep] = omp_get_wtime() - t0;
    t0 = omp_get_wtime();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t i = 0; i < count; i++) a[i] = b[i] + s * c[i];
    tt[rep] = omp_get_wtime() - t0;
    t0 = omp_get_wtime();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t i = 0; i < count; i++) a[i] = a[i] * s + t;
    ti[rep] = omp_get_wtime() - t0;
  }
  const double bytes = (double)count * sizeof(double);
  r.copy = 2 * bytes / best_of(tc, REPS) / 1e9;
  r.triad = 3 * bytes / best_of(tt, REPS) / 1e9;
  r.inplace = 2 * bytes / best_of(ti, REPS) / 1e9;
  free(a);
  free(b);
  free(c);
  return r;
}

typedef struct gate_case {
  const char *label;
  tsr_gate kind;
  int nq;
  int where; /* 0: qubit 0 (in register), 1: middle, 2: top; 2q: (mid, mid+1), (0, top) */
} gate_case;

/* One in-place read-modify-write pass over the state's own memory: the
 * baseline each gate is compared with, timed right next to it so that both
 * see the same machine (the memory bandwidth of a shared machine drifts). */
static double inplace_pass(tsr_statevec *sv, int threads) {
  double *a = tsr_statevec_data(sv);
  const uint64_t count = 2 * tsr_statevec_dim(sv);
  const double t0 = omp_get_wtime();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (uint64_t i = 0; i < count; i++) a[i] = a[i] * 1.0000000001 - 1e-300;
  return omp_get_wtime() - t0;
}

/* Best gate time and best baseline time, interleaved. */
static void time_gate(tsr_statevec *sv, const gate_case *g, unsigned n, const double *params,
                      int threads, double *gate_s, double *base_s) {
  uint32_t q[2];
  if (g->nq == 1) {
    q[0] = g->where == 0 ? 0 : g->where == 1 ? n / 2 : n - 1;
  } else if (g->where == 1) {
    q[0] = n / 2;
    q[1] = n / 2 + 1;
  } else {
    q[0] = 0;
    q[1] = n - 1;
  }
  double t[REPS], b[REPS];
  tsr_error err;
  for (int rep = 0; rep < REPS; rep++) {
    b[rep] = inplace_pass(sv, threads);
    const double t0 = omp_get_wtime();
    if (tsr_statevec_apply_gate(sv, g->kind, q, (uint32_t)g->nq, params, &err) != TSR_OK) {
      fprintf(stderr, "bench: %s\n", err.message);
      exit(1);
    }
    t[rep] = omp_get_wtime() - t0;
  }
  *gate_s = best_of(t, REPS);
  *base_s = best_of(b, REPS);
}

static tsr_circuit *layered_circuit(unsigned n, unsigned layers, uint64_t seed) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  tsr_rng r;
  tsr_rng_seed(&r, seed, 0);
  if (!c || tsr_circuit_add_qreg(c, "q", n, NULL, &err) != TSR_OK) return NULL;
  for (unsigned l = 0; l < layers; l++) {
    for (uint32_t q = 0; q < n; q++) {
      double p[3] = {tsr_rng_uniform(&r) * M_PI, tsr_rng_uniform(&r) * 2 * M_PI,
                     tsr_rng_uniform(&r) * 2 * M_PI};
      if (tsr_circuit_append_gate(c, TSR_GATE_U3, &q, 1, p, 3, &err) != TSR_OK) return NULL;
    }
    for (uint32_t q = 0; q + 1 < n; q++) {
      uint32_t qq[2] = {q, q + 1};
      if (tsr_circuit_append_gate(c, TSR_GATE_CZ, qq, 2, NULL, 0, &err) != TSR_OK) return NULL;
    }
  }
  return c;
}

static double time_run(const tsr_circuit *c, int fusion, unsigned fmax) {
  tsr_sim_options o;
  tsr_sim_options_init(&o);
  o.backend = TSR_BACKEND_STATEVEC;
  o.shots = 1;
  o.fusion = fusion;
  o.fusion_max_qubits = fmax;
  tsr_sim_result *r = NULL;
  tsr_error err;
  const double t0 = omp_get_wtime();
  if (tsr_sim_run(c, &o, &r, &err) != TSR_OK) {
    fprintf(stderr, "bench: %s\n", err.message);
    exit(1);
  }
  const double t = omp_get_wtime() - t0;
  tsr_sim_result_free(r);
  return t;
}

int main(int argc, char **argv) {
  unsigned max_n = 28, fusion_n = 26, layers = 20;
  int sweep = 0, npos = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--sweep") == 0) {
      sweep = 1;
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      printf("Usage: bench_statevector [MAX_N [FUSION_N [LAYERS]]] [--sweep]\n");
      return 0;
    } else {
      const unsigned v = (unsigned)strtoul(argv[i], NULL, 10);
      if (npos == 0) max_n = v;
      if (npos == 1) fusion_n = v;
      if (npos == 2) layers = v;
      npos++;
    }
  }
  const int maxth = omp_get_num_procs() >= 2 ? 2 : 1;
  printf("bench_statevector: %d cores, kernels: %s\n", omp_get_num_procs(), tsr_sim_simd_name());

  /* 1. bandwidth */
  bw base[3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
  const size_t count = (size_t)1 << 26; /* 512 MiB per array */
  printf("\nmemory bandwidth (arrays of %zu MiB, best of %d):\n", count * 8 >> 20, REPS);
  printf("  threads   copy GB/s  triad GB/s  in-place GB/s\n");
  for (int th = 1; th <= maxth; th++) {
    base[th] = measure_bandwidth(count, th);
    printf("  %7d   %9.1f  %10.1f  %13.1f\n", th, base[th].copy, base[th].triad, base[th].inplace);
  }

  /* 2. gates */
  const gate_case cases[] = {{"h q[0]", TSR_GATE_H, 1, 0},        {"h q[n/2]", TSR_GATE_H, 1, 1},
                             {"h q[n-1]", TSR_GATE_H, 1, 2},      {"u3 q[0]", TSR_GATE_U3, 1, 0},
                             {"u3 q[n/2]", TSR_GATE_U3, 1, 1},    {"u3 q[n-1]", TSR_GATE_U3, 1, 2},
                             {"cx mid,mid+1", TSR_GATE_CX, 2, 1}, {"cx 0,n-1", TSR_GATE_CX, 2, 2},
                             {"cz mid,mid+1", TSR_GATE_CZ, 2, 1}, {"cz 0,n-1", TSR_GATE_CZ, 2, 2}};
  const double params[3] = {1.1, 0.7, -2.3}; /* a generic rotation */
  printf("\ngates (best of %d; GB/s = 2 x 16 x 2^n bytes per gate / time; ratio = that / the\n"
         "bandwidth of an in-place pass over the same state, timed alongside):\n",
         REPS);
  printf("   n  threads  gate             seconds     GB/s  base GB/s  ratio\n");
  const unsigned ns[] = {20, 24, 26, 28};
  double worst_ratio_24 = 1e9;
  for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
    const unsigned n = ns[k];
    if (n > max_n) continue;
    tsr_error err;
    tsr_state_options so = {TSR_PRECISION_DOUBLE, maxth, 0};
    tsr_statevec *sv = tsr_statevec_new(n, &so, &err);
    if (!sv) {
      printf("  n = %u: %s\n", n, err.message);
      continue;
    }
    double *a = tsr_statevec_data(sv);
    const uint64_t dim = UINT64_C(1) << n;
    const double v = 1 / sqrt((double)dim);
#pragma omp parallel for schedule(static) num_threads(maxth)
    for (uint64_t i = 0; i < dim; i++) {
      a[2 * i] = v;
      a[2 * i + 1] = 0;
    }
    for (int th = 1; th <= maxth; th++) {
      tsr_statevec_set_threads(sv, th);
      for (size_t g = 0; g < sizeof cases / sizeof cases[0]; g++) {
        /* at 28 qubits (4 GiB, ~0.3 s a pass) only the middle qubits: the
           default run stays near two minutes */
        if (n >= 28 && cases[g].where != 1) continue;
        double t, tb;
        time_gate(sv, &cases[g], n, params, th, &t, &tb);
        const double gbs = 32.0 * (double)dim / t / 1e9, base_gbs = 32.0 * (double)dim / tb / 1e9;
        const double ratio = gbs / base_gbs;
        printf("  %2u  %7d  %-14s  %9.5f  %7.1f  %9.1f  %5.2f\n", n, th, cases[g].label, t, gbs,
               base_gbs, ratio);
        /* CZ touches a quarter of the state; it is not held to the ratio */
        if (n >= 24 && cases[g].kind != TSR_GATE_CZ && ratio < worst_ratio_24)
          worst_ratio_24 = ratio;
      }
    }
    tsr_statevec_free(sv);
  }
  if (worst_ratio_24 < 1e9) {
    printf("  lowest ratio at n >= 24 (h, u3, cx): %.2f (target >= 0.70)\n", worst_ratio_24);
  }

  /* 3. fusion */
  if (fusion_n > 0) {
    tsr_circuit *c = layered_circuit(fusion_n, layers, 7);
    if (!c) {
      fprintf(stderr, "bench: cannot build the layered circuit\n");
      return 1;
    }
    printf("\nfusion: %u layers of u3 on every qubit + cz ladder, n = %u (%zu gates), %d "
           "threads, whole run (allocation and one sample included):\n",
           layers, fusion_n, c->nops, maxth);
    tsr_sim_options defaults;
    tsr_sim_options_init(&defaults);
    const unsigned def = defaults.fusion_max_qubits;
    const double unfused = time_run(c, 0, def);
    printf("  unfused            %8.3f s   %.4f s per gate\n", unfused, unfused / (double)c->nops);
    const unsigned sizes[] = {2, 3, 4, 5};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      if (!sweep && sizes[i] != def) continue;
      const double fused = time_run(c, 1, sizes[i]);
      printf("  fused (<= %u qubits) %7.3f s   speed-up %.2fx%s\n", sizes[i], fused,
             unfused / fused, sizes[i] == def ? " (default; target >= 3x)" : "");
    }
    tsr_circuit_free(c);
  }
  return 0;
}
