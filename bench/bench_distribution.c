/* Distribution benchmark: every pytket-dqc instance listed in
 * $TSR_SHARED_DIR/compile/pytket-dqc/results.csv (circuit + network) is
 * compiled by the whole pipeline, tsr_compile_program (cost ebits, modules
 * ideal: no routing, no native synthesis), on the network loaded as a
 * machine, and the EPR pairs of the compiled program (metrics.ebits) are
 * reported per cell (network family, servers, qubits, circuit class) beside
 * the best published method's mean for the same cell (minimum over methods
 * of the per-method mean, computed from results.csv):
 *
 *   Tessera          the program compiled with communication qubits not
 *                    limited (the network's link_qubits removed: what
 *                    pytket-dqc's Distribution.cost() counts, see
 *                    docs/compiler.md), teleports allowed;
 *   estimate         the partitioner's own count for its placement
 *                    (tsr_partition_circuit: p.ebits), which the compiled
 *                    program may not reach;
 *   cat-only         compiled as Tessera with allow_teleport off;
 *   with link limit  compiled on the network as given, with its link_qubits
 *                    (networks without a limit: no figure);
 *   CPU              of the Tessera compile (what a user pays).
 *
 *   bench_distribution [--filter TEXT] [--restarts N] [--seed S] [--markdown]
 *                      [--shared DIR] [--generated] [--instances]
 *
 * --filter keeps the instances whose circuit or network path contains TEXT.
 * --instances prints one line per instance too (stdout, after the table).
 * --generated also runs Tessera's own generators of the published classes
 * (seeded; no published numbers to compare with) and QFT/GHZ closed forms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/arch.h"
#include "tessera/circuit.h"
#include "tessera/compile.h"
#include "tessera/core.h"
#include "tessera/program.h"

#define MAX_METHODS 16

/* CPU seconds of this process: compile times stay meaningful on a shared,
 * loaded machine (the compiler is single-threaded). */
static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct instance {
  char circuit[256], network[256];
  double best_method_ebits[MAX_METHODS]; /* per method, NAN when absent */
  char cell[160];
  double estimate;    /* partitioner's ebits */
  double ours;        /* compiled, communication qubits not limited */
  double cat;         /* the same, cat-entanglement only */
  double limited;     /* compiled with the network's link_qubits; NAN: no limit or failed */
  int has_limit;      /* the network limits link qubits */
  double seconds;     /* CPU of the Tessera compile */
  double seconds_all; /* CPU of every compile of the instance */
} instance;

typedef struct cell {
  char key[160];
  char family[32], cls[48];
  int servers, qubits;
  size_t count;
  double ours, cat, estimate, limited, seconds, max_seconds;
  size_t nlimited, limit_failed;
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

/* A copy of a pytket-dqc network's text with every "link_qubits": <number>
 * replaced by null: the same network without its communication-qubit limit
 * (the machine loader gives such servers enough communication qubits never
 * to run out; docs/machine-file.md). *limited tells whether anything was
 * replaced. NULL when out of memory. */
static char *without_link_limits(const char *text, size_t len, int *limited, size_t *out_len) {
  static const char key[] = "\"link_qubits\"";
  char *out = malloc(2 * len + 1); /* "null" is at most 3 bytes longer than a digit */
  if (!out) return NULL;
  size_t o = 0;
  *limited = 0;
  for (size_t i = 0; i < len;) {
    if (len - i >= sizeof key - 1 && memcmp(text + i, key, sizeof key - 1) == 0) {
      size_t j = i + sizeof key - 1;
      while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r'))
        j++;
      if (j < len && text[j] == ':') {
        j++;
        while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r'))
          j++;
        size_t k = j;
        while (k < len && text[k] >= '0' && text[k] <= '9') k++;
        if (k > j) {
          memcpy(out + o, text + i, j - i);
          o += j - i;
          memcpy(out + o, "null", 4);
          o += 4;
          *limited = 1;
          i = k;
          continue;
        }
      }
    }
    out[o++] = text[i++];
  }
  out[o] = '\0';
  *out_len = o;
  return out;
}

/* The pipeline as the bench runs it: cost ebits, ideal modules (no routing,
 * no native synthesis), everything else default. */
static void bench_options(tsr_compile_options *o, uint64_t seed, uint32_t restarts, int teleport) {
  tsr_compile_options_default(o);
  o->cost = TSR_COST_EBITS;
  o->seed = seed;
  o->restarts = restarts;
  o->route = 0;
  o->native = 0;
  o->allow_teleport = teleport;
}

/* Compiles c on the machine; *ebits gets the program's EPR pairs, *cpu the
 * compile's CPU seconds. */
static tsr_status compile_ebits(const tsr_circuit *c, const tsr_arch *a,
                                const tsr_compile_options *o, double *ebits, double *cpu,
                                tsr_error *err) {
  tsr_program *p = NULL;
  double t0 = cpu_seconds();
  tsr_status st = tsr_compile_program(c, a, o, &p, err);
  *cpu = cpu_seconds() - t0;
  *ebits = st == TSR_OK ? (double)p->metrics.ebits : NAN;
  tsr_program_free(p);
  return st;
}

static void usage(void) {
  fprintf(stderr, "usage: bench_distribution [--filter TEXT] [--restarts N] [--seed S] "
                  "[--markdown] [--shared DIR] [--generated] [--instances]\n");
}

/* k all-to-all servers of cap qubits each, link qubits not limited. */
static tsr_status complete_network(uint32_t k, uint32_t cap, tsr_arch **out, tsr_error *err) {
  char text[8192];
  size_t n = 0;
  n += (size_t)snprintf(text + n, sizeof text - n, "{\"servers\": [");
  for (uint32_t i = 0; i < k && n < sizeof text; i++)
    n += (size_t)snprintf(text + n, sizeof text - n,
                          "%s{\"id\": %u, \"qubits\": %u, \"link_qubits\": null}", i ? ", " : "", i,
                          cap);
  if (n < sizeof text) n += (size_t)snprintf(text + n, sizeof text - n, "], \"links\": [");
  for (uint32_t i = 0; i < k; i++)
    for (uint32_t j = i + 1; j < k && n < sizeof text; j++)
      n += (size_t)snprintf(text + n, sizeof text - n, "%s[%u, %u]", i || j > 1 ? ", " : "", i, j);
  if (n < sizeof text) n += (size_t)snprintf(text + n, sizeof text - n, "]}\n");
  if (n >= sizeof text) return tsr_error_set(err, TSR_ERR_LIMIT, "network text too long");
  return tsr_arch_load_string(text, n, "generated network", out, err);
}

static int run_generated(uint32_t restarts, uint64_t seed) {
  tsr_error err;
  printf("\nGenerated circuits (Tessera generators, seed %llu; all-to-all networks, link qubits "
         "not limited):\n",
         (unsigned long long)seed);
  printf("%-22s %8s %8s %10s %10s %9s\n", "circuit", "modules", "qubits", "estimate", "compiled",
         "cpu-s");
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
    tsr_arch *a = NULL;
    uint32_t cap = (n + cases[i].k - 1) / cases[i].k + (strcmp(cases[i].name, "qft") == 0);
    if (st == TSR_OK) st = tsr_module_graph_complete(cases[i].k, cap, &g, &err);
    if (st == TSR_OK) st = complete_network(cases[i].k, cap, &a, &err);
    tsr_partition_options o;
    tsr_partition_options_default(&o);
    o.seed = seed;
    if (restarts) o.restarts = restarts;
    tsr_partition p;
    memset(&p, 0, sizeof p);
    if (st == TSR_OK) st = tsr_partition_circuit(c, g, &o, &p, &err);
    double ebits = NAN, t = 0;
    tsr_compile_options co;
    bench_options(&co, seed, restarts, 1);
    if (st == TSR_OK) st = compile_ebits(c, a, &co, &ebits, &t, &err);
    if (st != TSR_OK) {
      char buf[600];
      fprintf(stderr, "%s: %s\n", cases[i].name, tsr_error_format(&err, buf, sizeof buf));
      tsr_partition_release(&p);
      tsr_circuit_free(c);
      tsr_module_graph_free(g);
      tsr_arch_free(a);
      return 1;
    }
    printf("%-22s %8u %8u %10llu %10.0f %9.3f\n", cases[i].name, cases[i].k, n,
           (unsigned long long)p.ebits, ebits, t);
    tsr_partition_release(&p);
    tsr_circuit_free(c);
    tsr_module_graph_free(g);
    tsr_arch_free(a);
  }
  return 0;
}

/* Runs the partitioner and the compiles of one instance. Returns nonzero on
 * a failure other than a compile on the limited network (reported, figure
 * NAN). */
static int run_instance(instance *in, const char *dir, uint64_t seed, uint32_t restarts) {
  char cpath[1400], npath[1400], buf[700];
  snprintf(cpath, sizeof cpath, "%s/%s", dir, in->circuit);
  snprintf(npath, sizeof npath, "%s/%s", dir, in->network);
  tsr_error err;
  tsr_circuit *c = NULL;
  tsr_module_graph *g = NULL;
  tsr_arch *unlimited = NULL, *limited = NULL;
  char *text = NULL, *free_text = NULL;
  size_t len = 0, free_len = 0;
  tsr_partition p;
  memset(&p, 0, sizeof p);
  tsr_status st = tsr_qasm_read_file(cpath, &c, &err);
  if (st == TSR_OK) st = tsr_module_graph_read_json(npath, &g, &err);
  if (st == TSR_OK) st = tsr_read_file(npath, &text, &len, &err);
  if (st == TSR_OK) {
    free_text = without_link_limits(text, len, &in->has_limit, &free_len);
    if (!free_text) st = tsr_error_set(&err, TSR_ERR_NOMEM, "out of memory");
  }
  if (st == TSR_OK) st = tsr_arch_load_string(free_text, free_len, npath, &unlimited, &err);
  if (st == TSR_OK && in->has_limit) st = tsr_arch_load_string(text, len, npath, &limited, &err);
  /* The partitioner's estimate. */
  tsr_partition_options po;
  tsr_partition_options_default(&po);
  po.seed = seed;
  if (restarts) po.restarts = restarts;
  if (st == TSR_OK) st = tsr_partition_circuit(c, g, &po, &p, &err);
  if (st == TSR_OK) in->estimate = (double)p.ebits;
  /* The compiles. */
  tsr_compile_options co;
  double t = 0;
  in->seconds_all = 0;
  if (st == TSR_OK) {
    bench_options(&co, seed, restarts, 1);
    st = compile_ebits(c, unlimited, &co, &in->ours, &in->seconds, &err);
    in->seconds_all += in->seconds;
  }
  if (st == TSR_OK) {
    bench_options(&co, seed, restarts, 0);
    st = compile_ebits(c, unlimited, &co, &in->cat, &t, &err);
    in->seconds_all += t;
  }
  in->limited = NAN;
  if (st == TSR_OK && in->has_limit) {
    bench_options(&co, seed, restarts, 1);
    if (compile_ebits(c, limited, &co, &in->limited, &t, &err) != TSR_OK) {
      fprintf(stderr, "\n%s on %s with its link qubits: %s\n", in->circuit, in->network,
              tsr_error_format(&err, buf, sizeof buf));
    }
    in->seconds_all += t;
  }
  if (st != TSR_OK) {
    fprintf(stderr, "\n%s on %s: %s\n", in->circuit, in->network,
            tsr_error_format(&err, buf, sizeof buf));
  }
  tsr_partition_release(&p);
  tsr_circuit_free(c);
  tsr_module_graph_free(g);
  tsr_arch_free(unlimited);
  tsr_arch_free(limited);
  free(text);
  free(free_text);
  return st != TSR_OK;
}

static void print_limited(char *out, size_t size, const cell *ce) {
  if (ce->nlimited == 0)
    snprintf(out, size, "–");
  else if (ce->limit_failed)
    snprintf(out, size, "%zu failed", ce->limit_failed);
  else
    snprintf(out, size, "%.2f", ce->limited / (double)ce->nlimited);
}

int main(int argc, char **argv) {
  const char *filter = NULL, *shared = TSR_SHARED_DIR;
  uint32_t restarts = 0;
  uint64_t seed = 1;
  int markdown = 0, generated = 0, list = 0;
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
    } else if (strcmp(argv[i], "--instances") == 0) {
      list = 1;
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
  double t_all = tsr_wall_seconds(), worst_time = 0;
  size_t est_above = 0, est_below = 0, lim_above = 0, nlim = 0;
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
    if (run_instance(in, dir, seed, restarts)) {
      free(inst);
      free(cells);
      return 1;
    }
    if (in->ours > in->estimate) est_above++;
    if (in->ours < in->estimate) est_below++;
    if (in->has_limit) {
      nlim++;
      lim_above += !(in->limited <= in->ours); /* a failure counts too */
    }
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
    ce->cat += in->cat;
    ce->estimate += in->estimate;
    if (in->has_limit) {
      ce->nlimited++;
      if (isnan(in->limited))
        ce->limit_failed++;
      else
        ce->limited += in->limited;
    }
    ce->seconds += in->seconds;
    if (in->seconds > ce->max_seconds) ce->max_seconds = in->seconds;
    if (in->seconds_all > worst_time) worst_time = in->seconds_all;
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
    printf("| network | servers | qubits | circuit class | instances | Tessera | estimate | "
           "cat-only | with link limit | best published | best method | ratio | mean CPU s | "
           "max CPU s |\n");
    printf("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
  } else {
    printf("%-12s %3s %4s %-16s %5s %9s %9s %9s %9s %9s %-34s %6s %7s %7s\n", "network", "srv",
           "qub", "class", "inst", "tessera", "estimate", "cat-only", "limited", "best-pub",
           "best method", "ratio", "cpu-s", "max-s");
  }
  size_t at_or_below = 0, cat_at_or_below = 0, lim_at_or_below = 0, lim_cells = 0;
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
    double n = (double)ce->count;
    double ours = ce->ours / n, cat = ce->cat / n, est = ce->estimate / n;
    if (ours <= best + 1e-9) at_or_below++;
    if (cat <= best + 1e-9) cat_at_or_below++;
    if (ce->nlimited) {
      lim_cells++;
      if (!ce->limit_failed && ce->limited / (double)ce->nlimited <= best + 1e-9) lim_at_or_below++;
    }
    char lim[32];
    print_limited(lim, sizeof lim, ce);
    const char *mname = bm >= 0 ? methods[bm] : "-";
    if (markdown) {
      printf("| %s | %d | %d | %s | %zu | %.2f | %.2f | %.2f | %s | %.2f | %s | %.3f | %.3f | "
             "%.3f |\n",
             ce->family, ce->servers, ce->qubits, ce->cls, ce->count, ours, est, cat, lim, best,
             mname, ours / best, ce->seconds / n, ce->max_seconds);
    } else {
      if (strcmp(lim, "–") == 0) snprintf(lim, sizeof lim, "-");
      printf("%-12s %3d %4d %-16s %5zu %9.2f %9.2f %9.2f %9s %9.2f %-34.34s %6.3f %7.3f %7.3f\n",
             ce->family, ce->servers, ce->qubits, ce->cls, ce->count, ours, est, cat, lim, best,
             mname, ours / best, ce->seconds / n, ce->max_seconds);
    }
  }
  printf("\n%zu of %zu cells at or below the best published mean (compiled, link qubits not "
         "limited; %zu cat-only; %zu of %zu with the networks' link limits)\n",
         at_or_below, ncells, cat_at_or_below, lim_at_or_below, lim_cells);
  printf("compiled vs estimate: %zu of %zu instances above, %zu below; with link limits: %zu of "
         "%zu above the unlimited compile\n",
         est_above, ninst, est_below, lim_above, nlim);
  printf("%zu instances in %.1f s wall (slowest instance %.3f s CPU, all its compiles)\n", ninst,
         t_all, worst_time);
  if (list) {
    printf("\ncircuit network estimate tessera cat-only limited cpu-s\n");
    for (size_t i = 0; i < ninst; i++) {
      const instance *in = &inst[i];
      printf("%s %s %.0f %.0f %.0f %.0f %.3f\n", in->circuit, in->network, in->estimate, in->ours,
             in->cat, in->limited, in->seconds);
    }
  }
  free(inst);
  free(cells);
  if (generated) return run_generated(restarts, seed);
  return 0;
}
