/* Distribution benchmark: every pytket-dqc instance listed in
 * $TSR_SHARED_DIR/compile/pytket-dqc/results.csv (circuit + network) is
 * compiled by Tessera's partitioner (decompose to CZ, simplify, packet
 * hypergraph, METIS + refinement) and the mean ebits per cell (network
 * family, servers, qubits, circuit class) are printed beside the best
 * published method's mean for the same cell (minimum over methods of the
 * per-method mean, computed from results.csv), with our compile time.
 *
 *   bench_distribution [--filter TEXT] [--restarts N] [--seed S] [--markdown]
 *                      [--shared DIR] [--generated]
 *
 * --filter keeps the instances whose circuit or network path contains TEXT.
 * --generated also runs Tessera's own generators of the published classes
 * (seeded; no published numbers to compare with) and QFT/GHZ closed forms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/circuit.h"
#include "tessera/compile.h"
#include "tessera/core.h"

#define MAX_METHODS 16

/* CPU seconds of this process: compile times stay meaningful on a shared,
 * loaded machine (the partitioner is single-threaded). */
static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct instance {
  char circuit[256], network[256];
  double best_method_ebits[MAX_METHODS]; /* per method, NAN when absent */
  char cell[160];
  double ours, ours_static, seconds;
} instance;

typedef struct cell {
  char key[160];
  char family[32], cls[48];
  int servers, qubits;
  size_t count;
  double ours, ours_static, seconds, max_seconds;
  double method_sum[MAX_METHODS];
  size_t method_n[MAX_METHODS];
} cell;

static char methods[MAX_METHODS][64];
static int nmethods = 0;

static int method_index(const char *m) {
  for (int i = 0; i < nmethods; i++)
    if (strcmp(methods[i], m) == 0) return i;
  if (nmethods == MAX_METHODS) return -1;
  snprintf(methods[nmethods], sizeof methods[0], "%s", m);
  return nmethods++;
}

/* "networks/random_3s_18q_0.json" -> family "random", servers 3, qubits 18 */
static int parse_network(const char *path, char *family, size_t fsize, int *servers, int *qubits) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  char tmp[128];
  snprintf(tmp, sizeof tmp, "%s", base);
  char *q = strrchr(tmp, 'q');
  if (!q) return 0;
  /* walk back over "<s>s_<q>q_<i>.json" */
  char *p = tmp + strlen(tmp);
  int field = 0;
  char *parts[4] = {0};
  while (p > tmp && field < 3) {
    p--;
    if (*p == '_') {
      parts[field++] = p + 1;
      *p = 0;
    }
  }
  if (field < 3) return 0;
  /* parts[0] = "<i>.json", parts[1] = "<q>q", parts[2] = "<s>s" */
  *servers = atoi(parts[2]);
  *qubits = atoi(parts[1]);
  snprintf(family, fsize, "%s", tmp);
  return *servers > 0 && *qubits > 0;
}

/* "circuits/cz_fraction_0.1_n24_3.qasm" -> "cz_fraction_0.1" */
static int parse_class(const char *path, char *cls, size_t size) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *n = strstr(base, "_n");
  const char *last = NULL;
  while (n) {
    last = n;
    n = strstr(n + 1, "_n");
  }
  if (!last) return 0;
  snprintf(cls, size, "%.*s", (int)(last - base), base);
  return 1;
}

static int cmp_cells(const void *a, const void *b) {
  const cell *x = a, *y = b;
  int fx = strcmp(x->family, "all_to_all") == 0 ? 0 : 1;
  int fy = strcmp(y->family, "all_to_all") == 0 ? 0 : 1;
  if (fx != fy) return fx - fy;
  int c = strcmp(x->family, y->family);
  if (c) return c;
  if (x->servers != y->servers) return x->servers - y->servers;
  if (x->qubits != y->qubits) return x->qubits - y->qubits;
  return strcmp(x->cls, y->cls);
}

static void usage(void) {
  fprintf(stderr, "usage: bench_distribution [--filter TEXT] [--restarts N] [--seed S] "
                  "[--markdown] [--shared DIR] [--generated]\n");
}

static int run_generated(uint32_t restarts, uint64_t seed) {
  tsr_error err;
  printf("\nGenerated circuits (Tessera generators, seed %llu; all-to-all networks):\n",
         (unsigned long long)seed);
  printf("%-22s %8s %8s %10s %9s\n", "circuit", "modules", "qubits", "ebits", "cpu-s");
  struct {
    const char *name;
    uint32_t n, k;
  } cases[] = {{"qft", 16, 2},
               {"qft", 32, 2},
               {"qft", 32, 4},
               {"ghz", 40, 5},
               {"cz_fraction_0.5", 32, 4},
               {"cp_fraction_0.5", 32, 4},
               {"pauli", 32, 4},
               {"random_crz", 32, 4},
               {"qv", 24, 3}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tsr_circuit *c = NULL;
    tsr_status st;
    uint32_t n = cases[i].n;
    if (strcmp(cases[i].name, "qft") == 0) {
      st = tsr_gen_qft(n, &c, &err);
    } else if (strcmp(cases[i].name, "ghz") == 0) {
      st = tsr_gen_ghz(n, &c, &err);
    } else if (strcmp(cases[i].name, "cz_fraction_0.5") == 0) {
      st = tsr_gen_cz_fraction(n, 0.5, seed, &c, &err);
    } else if (strcmp(cases[i].name, "cp_fraction_0.5") == 0) {
      st = tsr_gen_cp_fraction(n, 0.5, seed, &c, &err);
    } else if (strcmp(cases[i].name, "pauli") == 0) {
      st = tsr_gen_pauli(n, 0, seed, &c, &err);
    } else if (strcmp(cases[i].name, "random_crz") == 0) {
      st = tsr_gen_random_crz(n, seed, &c, &err);
    } else {
      st = tsr_gen_qv(n, seed, &c, &err);
    }
    tsr_module_graph *g = NULL;
    uint32_t cap = (n + cases[i].k - 1) / cases[i].k + (strcmp(cases[i].name, "qft") == 0);
    if (st == TSR_OK) st = tsr_module_graph_complete(cases[i].k, cap, &g, &err);
    tsr_partition_options o;
    tsr_partition_options_default(&o);
    o.seed = seed;
    if (restarts) o.restarts = restarts;
    tsr_partition p;
    double t0 = cpu_seconds();
    if (st == TSR_OK) st = tsr_partition_circuit(c, g, &o, &p, &err);
    double t = cpu_seconds() - t0;
    if (st != TSR_OK) {
      char buf[600];
      fprintf(stderr, "%s: %s\n", cases[i].name, tsr_error_format(&err, buf, sizeof buf));
      tsr_circuit_free(c);
      tsr_module_graph_free(g);
      return 1;
    }
    printf("%-22s %8u %8u %10llu %9.3f\n", cases[i].name, cases[i].k, n,
           (unsigned long long)p.ebits, t);
    tsr_partition_release(&p);
    tsr_circuit_free(c);
    tsr_module_graph_free(g);
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *filter = NULL, *shared = TSR_SHARED_DIR;
  uint32_t restarts = 0;
  uint64_t seed = 1;
  int markdown = 0, generated = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc) {
      filter = argv[++i];
    } else if (strcmp(argv[i], "--restarts") == 0 && i + 1 < argc) {
      restarts = (uint32_t)strtoul(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = strtoull(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--shared") == 0 && i + 1 < argc) {
      shared = argv[++i];
    } else if (strcmp(argv[i], "--markdown") == 0) {
      markdown = 1;
    } else if (strcmp(argv[i], "--generated") == 0) {
      generated = 1;
    } else {
      usage();
      return 2;
    }
  }
  char dir[1024], path[1400];
  snprintf(dir, sizeof dir, "%s/compile/pytket-dqc", shared);
  snprintf(path, sizeof path, "%s/results.csv", dir);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "bench_distribution: cannot open %s\n", path);
    return 1;
  }
  /* rows are sorted by network, circuit, method: consecutive rows of one
     instance are grouped */
  instance *inst = NULL;
  size_t ninst = 0, cap = 0;
  char line[1024];
  if (!fgets(line, sizeof line, f)) {
    fclose(f);
    return 1;
  }
  while (fgets(line, sizeof line, f)) {
    char *fields[5];
    int nf = 0;
    char *s = line;
    for (char *p = line;; p++) {
      if (*p == ',' || *p == '\n' || *p == 0) {
        int end = *p == 0 || *p == '\n';
        *p = 0;
        if (nf < 5) fields[nf++] = s;
        s = p + 1;
        if (end) break;
      }
    }
    if (nf < 5) continue;
    if (filter && !strstr(fields[0], filter) && !strstr(fields[1], filter)) continue;
    int mi = method_index(fields[2]);
    if (mi < 0) continue;
    instance *in = ninst ? &inst[ninst - 1] : NULL;
    if (!in || strcmp(in->circuit, fields[0]) != 0 || strcmp(in->network, fields[1]) != 0) {
      if (ninst == cap) {
        cap = cap ? 2 * cap : 256;
        instance *g = realloc(inst, cap * sizeof *g);
        if (!g) {
          fclose(f);
          free(inst);
          return 1;
        }
        inst = g;
      }
      in = &inst[ninst++];
      memset(in, 0, sizeof *in);
      snprintf(in->circuit, sizeof in->circuit, "%s", fields[0]);
      snprintf(in->network, sizeof in->network, "%s", fields[1]);
      for (int m = 0; m < MAX_METHODS; m++) in->best_method_ebits[m] = NAN;
    }
    in->best_method_ebits[mi] = atof(fields[3]);
  }
  fclose(f);

  cell *cells = calloc(ninst ? ninst : 1, sizeof *cells);
  size_t ncells = 0;
  if (!cells) return 1;
  tsr_error err;
  double t_all = tsr_wall_seconds();
  for (size_t i = 0; i < ninst; i++) {
    instance *in = &inst[i];
    char family[32], cls[48];
    int servers, qubits;
    if (!parse_network(in->network, family, sizeof family, &servers, &qubits) ||
        !parse_class(in->circuit, cls, sizeof cls)) {
      fprintf(stderr, "cannot parse names %s / %s\n", in->circuit, in->network);
      continue;
    }
    snprintf(in->cell, sizeof in->cell, "%s|%d|%d|%s", family, servers, qubits, cls);
    char cpath[1400], npath[1400];
    snprintf(cpath, sizeof cpath, "%s/%s", dir, in->circuit);
    snprintf(npath, sizeof npath, "%s/%s", dir, in->network);
    tsr_circuit *c = NULL;
    tsr_module_graph *g = NULL;
    tsr_status st = tsr_qasm_read_file(cpath, &c, &err);
    if (st == TSR_OK) st = tsr_module_graph_read_json(npath, &g, &err);
    tsr_partition_options o;
    tsr_partition_options_default(&o);
    o.seed = seed;
    if (restarts) o.restarts = restarts;
    tsr_partition p;
    double t0 = cpu_seconds();
    if (st == TSR_OK) st = tsr_partition_circuit(c, g, &o, &p, &err);
    in->seconds = cpu_seconds() - t0;
    if (st != TSR_OK) {
      char buf[700];
      fprintf(stderr, "%s on %s: %s\n", in->circuit, in->network,
              tsr_error_format(&err, buf, sizeof buf));
      tsr_circuit_free(c);
      tsr_module_graph_free(g);
      free(inst);
      free(cells);
      return 1;
    }
    in->ours = (double)p.ebits;
    in->ours_static = (double)p.static_ebits;
    tsr_partition_release(&p);
    tsr_circuit_free(c);
    tsr_module_graph_free(g);

    cell *ce = NULL;
    for (size_t k = 0; k < ncells; k++)
      if (strcmp(cells[k].key, in->cell) == 0) ce = &cells[k];
    if (!ce) {
      ce = &cells[ncells++];
      snprintf(ce->key, sizeof ce->key, "%s", in->cell);
      snprintf(ce->family, sizeof ce->family, "%s", family);
      snprintf(ce->cls, sizeof ce->cls, "%s", cls);
      ce->servers = servers;
      ce->qubits = qubits;
    }
    ce->count++;
    ce->ours += in->ours;
    ce->ours_static += in->ours_static;
    ce->seconds += in->seconds;
    if (in->seconds > ce->max_seconds) ce->max_seconds = in->seconds;
    for (int m = 0; m < nmethods; m++) {
      if (!isnan(in->best_method_ebits[m])) {
        ce->method_sum[m] += in->best_method_ebits[m];
        ce->method_n[m]++;
      }
    }
    fprintf(stderr, "\r%zu/%zu instances", i + 1, ninst);
  }
  fprintf(stderr, "\n");
  t_all = tsr_wall_seconds() - t_all;
  qsort(cells, ncells, sizeof *cells, cmp_cells);

  if (markdown) {
    printf("| network | servers | qubits | circuit class | instances | Tessera | Tessera cat-only "
           "| best published | best method | ratio | mean CPU s | max CPU s |\n");
    printf("|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|\n");
  } else {
    printf("%-12s %3s %4s %-16s %5s %9s %9s %9s %-34s %6s %7s %7s\n", "network", "srv", "qub",
           "class", "inst", "tessera", "cat-only", "best-pub", "best method", "ratio", "cpu-s",
           "max-s");
  }
  size_t at_or_below = 0, static_at_or_below = 0;
  double worst_time = 0;
  for (size_t k = 0; k < ncells; k++) {
    cell *ce = &cells[k];
    double best = INFINITY;
    int bm = -1;
    for (int m = 0; m < nmethods; m++) {
      /* a method counts only when it ran on every instance of the cell */
      if (ce->method_n[m] != ce->count) continue;
      double mean = ce->method_sum[m] / (double)ce->method_n[m];
      if (mean < best - 1e-9) best = mean, bm = m;
    }
    double ours = ce->ours / (double)ce->count, ours_static = ce->ours_static / (double)ce->count;
    if (ours <= best + 1e-9) at_or_below++;
    if (ours_static <= best + 1e-9) static_at_or_below++;
    if (ce->max_seconds > worst_time) worst_time = ce->max_seconds;
    const char *mname = bm >= 0 ? methods[bm] : "-";
    if (markdown) {
      printf("| %s | %d | %d | %s | %zu | %.2f | %.2f | %.2f | %s | %.3f | %.3f | %.3f |\n",
             ce->family, ce->servers, ce->qubits, ce->cls, ce->count, ours, ours_static, best,
             mname, ours / best, ce->seconds / (double)ce->count, ce->max_seconds);
    } else {
      printf("%-12s %3d %4d %-16s %5zu %9.2f %9.2f %9.2f %-34.34s %6.3f %7.3f %7.3f\n", ce->family,
             ce->servers, ce->qubits, ce->cls, ce->count, ours, ours_static, best, mname,
             ours / best, ce->seconds / (double)ce->count, ce->max_seconds);
    }
  }
  printf("\n%zu of %zu cells at or below the best published mean (%zu with cat-entanglement "
         "only); %zu instances in %.1f s wall (slowest %.3f s CPU)\n",
         at_or_below, ncells, static_at_or_below, ninst, t_all, worst_time);
  free(inst);
  free(cells);
  if (generated) return run_generated(restarts, seed);
  return 0;
}
