/* OpenQASM reader throughput on the largest QASMBench and pytket-dqc files:
 * MB/s and operations/s (best of several runs, file already in memory),
 * against the same-run baseline of one pass that only splits the text into
 * statements at ';' (a floor no parser can beat by much). The printed ratio
 * says how many times slower than that scan the full reader is.
 *
 *   bench_qasm_reader [file.qasm ...]     default: the files listed below
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/circuit.h"
#include "tessera/core.h"

#ifndef TSR_SHARED_DIR
#define TSR_SHARED_DIR "../shared"
#endif

static const char *const DEFAULT_FILES[] = {
    "qasmbench/large/qft_n160.qasm",
    "qasmbench/large/multiplier_n400.qasm",
    "qasmbench/large/multiplier_n350.qasm",
    "qasmbench/large/random_QAOA_angles_k3_N1000_p1.qasm",
    "qasmbench/medium/bwt_n21.qasm",
    "qasmbench/large/square_root_n45.qasm",
    "qasmbench/large/32.qasm",
    "compile/pytket-dqc/circuits/random_crz_n50_3.qasm",
    "compile/pytket-dqc/circuits/pauli_n50_0.qasm",
};

enum { RUNS = 7 };

/* Baseline: counts statements, touching every byte once. */
static size_t scan_statements(const char *text, size_t len) {
  size_t n = 0;
  const char *p = text, *end = text + len;
  while ((p = memchr(p, ';', (size_t)(end - p))) != NULL) {
    n++;
    p++;
  }
  return n;
}

static int bench_file(const char *path) {
  char *text = NULL;
  size_t len = 0;
  tsr_error err;
  if (tsr_read_file(path, &text, &len, &err) != TSR_OK) {
    fprintf(stderr, "bench_qasm_reader: %s (skipped)\n", err.message);
    return 0;
  }
  double best = 1e300, best_scan = 1e300;
  size_t ops = 0, stmts = 0;
  for (int run = 0; run < RUNS; run++) {
    double t0 = tsr_wall_seconds();
    stmts += scan_statements(text, len);
    double t1 = tsr_wall_seconds();
    tsr_circuit *c = NULL;
    if (tsr_qasm_read_string(text, len, path, &c, &err) != TSR_OK) {
      char buf[1024];
      fprintf(stderr, "bench_qasm_reader: %s\n", tsr_error_format(&err, buf, sizeof buf));
      free(text);
      return 1;
    }
    double t2 = tsr_wall_seconds();
    ops = c->nops;
    tsr_circuit_free(c);
    if (t1 - t0 < best_scan) best_scan = t1 - t0;
    if (t2 - t1 < best) best = t2 - t1;
  }
  const char *name = strrchr(path, '/');
  name = name ? name + 1 : path;
  printf("%-40s %8.2f MB %9zu ops %8.1f ms %8.1f MB/s %7.2f Mops/s  %6.1fx scan\n", name,
         (double)len / 1e6, ops, best * 1e3, (double)len / best / 1e6, (double)ops / best / 1e6,
         best / (best_scan > 0 ? best_scan : 1e-9));
  free(text);
  (void)stmts;
  return 0;
}

int main(int argc, char **argv) {
  printf("OpenQASM reader, best of %d runs (baseline: a memchr scan for ';')\n", RUNS);
  int failed = 0;
  if (argc > 1) {
    for (int i = 1; i < argc; i++) failed |= bench_file(argv[i]);
  } else {
    for (size_t i = 0; i < sizeof DEFAULT_FILES / sizeof *DEFAULT_FILES; i++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", TSR_SHARED_DIR, DEFAULT_FILES[i]);
      failed |= bench_file(path);
    }
  }
  return failed;
}
