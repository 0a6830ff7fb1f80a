/* `tessera run CIRCUIT [--arch MACHINE] [--shots N] [--seed S] [--backend B]
 * [--json] [--report DIR]`: the main job. Compiles the circuit onto the
 * machine (the built-in default machine when none is given), executes the
 * program shot by shot on the event engine with the machine's noise, and
 * reports success against the ideal circuit, EPR pairs, makespan, what each
 * module did, an error budget, and the same circuit on each single module
 * where it fits. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "netcli.h"
#include "tessera/compile.h"
#include "tessera/exec.h"

static void usage(FILE *out) {
  fprintf(out, "Usage: tessera run [OPTIONS] CIRCUIT\n\n"
               "Compiles an OpenQASM 2.0 or 3 circuit (CIRCUIT '-' reads standard "
               "input) onto a\n"
               "machine, runs the compiled program shot by shot on the event engine "
               "with the\n"
               "machine's noise (gate errors, idle decoherence over the actual waits, "
               "sampled EPR\n"
               "arrival times and states, readout errors, fibre delays of classical "
               "messages)\n"
               "and reports: Hellinger fidelity against the noiseless circuit, state "
               "fidelity\n"
               "(small circuits), EPR pairs, makespan, each module's busy / idle / "
               "network-wait\n"
               "time, an error budget, and the same circuit on each single module where "
               "it fits.\n"
               "See docs/executor.md.\n\n"
               "Options:\n"
               "  -a, --arch FILE       machine file (default: the built-in default "
               "machine)\n"
               "  -s, --shots N         shots (default 1000)\n"
               "  -S, --seed S          seed of compilation and simulation (default 0); "
               "the same\n"
               "                        seed gives the same report at every thread "
               "count\n"
               "  -b, --backend B       auto (default), sv, dm or stab\n"
               "  -t, --threads T       threads (default: all cores, or "
               "OMP_NUM_THREADS)\n"
               "  -j, --json            print everything as JSON (keys include\n"
               "                        hellinger_fidelity, ebits, makespan_s, shots,\n"
               "                        error_budget, modules, monolithic)\n"
               "  -r, --report DIR      write DIR/report.json, DIR/timeline.svg (one "
               "lane per\n"
               "                        module and link), DIR/timeline.json (Chrome "
               "trace events:\n"
               "                        open in Perfetto) and DIR/error_budget.svg\n"
               "      --spread N        give each compute module at most N data qubits, "
               "so that\n"
               "                        the circuit spreads over modules\n"
               "      --ablation N      rerun N shots with each noise source switched "
               "off and\n"
               "                        report what each costs in Hellinger fidelity\n"
               "      --noise LIST      noise sources to keep, comma-separated: gates, "
               "idle,\n"
               "                        network, links, readout, all (default), none\n"
               "      --timing T        asap (default: operations start as soon as "
               "qubits and\n"
               "                        classical bits allow) or scheduled (never "
               "before the\n"
               "                        compiler's start)\n"
               "      --cutoff T        discard elementary pairs that wait longer than "
               "T for the\n"
               "                        other hops of a route (e.g. 10ms)\n"
               "      --no-monolithic   skip the single-module comparison\n"
               "  -h, --help            show this help\n\n"
               "Exit status: 0 success, 1 failure, 2 bad input (a file:line:col "
               "message).\n");
}

typedef struct run_args {
  const char *circuit, *arch, *report;
  tsr_exec_options o;
  uint32_t spread;
  int json, monolithic;
} run_args;

/* ------------------------------------------------------------- progress */

static void progress_cb(uint64_t done, uint64_t total, void *user) {
  (void)total;
  tsr_progress_update(user, done);
}

/* ---------------------------------------------------------- the pipeline */

/* Compiles c onto arch and prepares the program for execution. */
static tsr_status prepare(const tsr_circuit *c, const tsr_arch *arch, uint64_t seed,
                          tsr_program **prog, tsr_exec **x, tsr_error *err) {
  tsr_compile_options co;
  tsr_compile_options_default(&co);
  co.seed = seed;
  *prog = NULL;
  *x = NULL;
  tsr_status st = tsr_compile_program(c, arch, &co, prog, err);
  if (st != TSR_OK) {
    tsr_error_prefix(err, "compiling onto '%s'", arch->name);
    return st;
  }
  st = tsr_exec_new(*prog, arch, x, err);
  if (st != TSR_OK) {
    tsr_program_free(*prog);
    *prog = NULL;
  }
  return st;
}

/* The circuit alone on each compute module where it fits. A comparison that
 * would cost far more than the distributed run (a large state vector where
 * the run itself used the tableau, say) is skipped with a note. */
static void monolithic(const tsr_circuit *c, const tsr_arch *arch, const run_args *a,
                       double main_work, tsr_exec_comparison **out, size_t *n) {
  *out = NULL;
  *n = 0;
  tsr_exec_comparison *cmp = calloc(arch->n_modules + 1, sizeof *cmp);
  if (!cmp) return;
  for (size_t m = 0; m < arch->n_modules; m++) {
    const tsr_module *mod = &arch->modules[m];
    if (mod->role != TSR_ROLE_COMPUTE) continue;
    tsr_exec_comparison *e = &cmp[(*n)++];
    snprintf(e->module, sizeof e->module, "%s", mod->name);
    snprintf(e->machine, sizeof e->machine, "%s", mod->name);
    e->modality = mod->params.modality;
    uint32_t cap = mod->params.qubits - mod->params.communication_qubits;
    if (c->nqubits > cap) {
      snprintf(e->note, sizeof e->note, "does not fit: %u qubits, %u data qubits", c->nqubits, cap);
      continue;
    }
    tsr_arch *one = NULL;
    tsr_program *prog = NULL;
    tsr_exec *x = NULL;
    tsr_exec_result *r = NULL;
    tsr_error err;
    tsr_error_clear(&err);
    tsr_exec_options o = a->o;
    o.ablation_shots = 0;
    o.record_timeline = 0;
    o.progress = NULL;
    tsr_status st = tsr_exec_single_module_arch(arch, m, &one, &err);
    if (st == TSR_OK) st = prepare(c, one, a->o.seed, &prog, &x, &err);
    if (st == TSR_OK) {
      double work = 0;
      tsr_backend_kind k = tsr_exec_backend_for(x, &o, &work);
      const double floor = 8e9; /* about ten seconds of state-vector passes */
      if (work > floor && work > 50 * main_work) {
        snprintf(
            e->note, sizeof e->note, "not run: %u qubits on the %s backend, %.2g times the work",
            tsr_exec_sim_qubits(x), tsr_backend_name(k), work / (main_work > 0 ? main_work : 1));
        st = TSR_ERR_LIMIT;
      } else {
        st = tsr_exec_run(x, &o, &r, &err);
        if (st != TSR_OK) snprintf(e->note, sizeof e->note, "did not run: %.140s", err.message);
      }
    } else {
      snprintf(e->note, sizeof e->note, "did not run: %.140s", err.message);
    }
    tsr_exec_free(x);
    tsr_program_free(prog);
    tsr_arch_free(one);
    if (st != TSR_OK) continue;
    e->result = r;
    snprintf(e->note, sizeof e->note, "%s, %u simulated qubits", tsr_backend_name(r->backend),
             r->sim_qubits);
  }
  *out = cmp;
}

/* Caps every compute module at `data` data qubits. */
static void spread_arch(tsr_arch *arch, uint32_t data) {
  for (size_t m = 0; m < arch->n_modules; m++) {
    tsr_module_params *p = &arch->modules[m].params;
    if (arch->modules[m].role != TSR_ROLE_COMPUTE) continue;
    if (p->qubits - p->communication_qubits > data) p->qubits = data + p->communication_qubits;
  }
}

/* --------------------------------------------------------------- output */

static const char *fmt_t(double s, char *buf, size_t size) {
  return netcli_fmt_time(s, buf, size);
}

static void print_text(FILE *f, const char *path, const tsr_circuit *c, const tsr_program *prog,
                       const tsr_exec_result *r, const tsr_exec_comparison *cmp, size_t ncmp) {
  char b1[32], b2[32], b3[32], b4[32], b5[32];
  size_t used = 0;
  for (size_t m = 0; m < r->nmodules; m++)
    if (r->modules[m].operations) used++;
  fprintf(f, "%s on %s: %u qubits over %zu module%s, %llu shots, seed %llu\n", path, r->machine,
          c->nqubits, used, used == 1 ? "" : "s", (unsigned long long)r->shots,
          (unsigned long long)r->seed);
  fprintf(f, "  backend %s, %u of %u program qubits simulated%s, %.2f s\n",
          tsr_backend_name(r->backend), r->sim_qubits, r->program_qubits,
          r->relaxation_twirled ? " (T1/T2 relaxation Pauli-twirled)" : "", r->wall_s);
  fprintf(f, "\nsuccess\n");
  if (r->has_hellinger)
    fprintf(f, "  Hellinger fidelity   %.4f   (reference: %s)\n", r->hellinger_fidelity,
            r->hellinger_note);
  else
    fprintf(f, "  Hellinger fidelity   -        (%s)\n", r->hellinger_note);
  if (r->has_state_fidelity)
    fprintf(f, "  state fidelity       %.4f\n", r->state_fidelity);
  else
    fprintf(f, "  state fidelity       -        (%s)\n", r->state_note);
  fprintf(f,
          "  estimated success    %.4f   (mean product of 1 - error over every "
          "event)\n",
          r->estimated_success);
  fprintf(f, "\nnetwork and time\n");
  fprintf(f,
          "  EPR pairs            %llu per shot (%.3g elementary, %.3g "
          "discarded), %llu "
          "messages\n",
          (unsigned long long)r->ebits, r->elementary_pairs, r->discarded_pairs,
          (unsigned long long)r->messages);
  fprintf(f,
          "  makespan             %s mean, %s std, %s .. %s (p05 .. p95); "
          "compiler %s\n",
          fmt_t(r->makespan.mean, b1, sizeof b1), fmt_t(r->makespan.std, b2, sizeof b2),
          fmt_t(r->makespan.p05, b3, sizeof b3), fmt_t(r->makespan.p95, b4, sizeof b4),
          prog ? fmt_t(r->scheduled_makespan_s, b5, sizeof b5) : "?");
  fprintf(f, "\n  %-16s %-16s %6s %6s %11s %13s %11s\n", "module", "modality", "qubits", "ops",
          "busy", "network wait", "idle");
  int unused = 0;
  for (size_t m = 0; m < r->nmodules; m++) {
    const tsr_exec_module_stats *ms = &r->modules[m];
    if (!ms->operations) {
      unused = 1;
      continue;
    }
    fprintf(f, "  %-16s %-16s %6u %6llu %11s %13s %11s\n", ms->name,
            tsr_modality_name(ms->modality), ms->qubits_used, (unsigned long long)ms->operations,
            fmt_t(ms->busy_s, b1, sizeof b1), fmt_t(ms->network_wait_s, b2, sizeof b2),
            fmt_t(ms->idle_s, b3, sizeof b3));
  }
  if (unused) {
    fprintf(f, "  (unused:");
    for (size_t m = 0; m < r->nmodules; m++)
      if (!r->modules[m].operations) fprintf(f, " %s", r->modules[m].name);
    fprintf(f, ")\n");
  }
  if (r->ebits) {
    fprintf(f, "\n  %-22s %5s %11s %9s  %s\n", "link", "pairs", "latency", "fidelity", "route");
    for (size_t l = 0; l < r->nlinks; l++) {
      const tsr_exec_link_stats *ls = &r->links[l];
      if (ls->pairs == 0) continue;
      fprintf(f, "  %-22s %5llu %11s %9.4f  %s\n", ls->name, (unsigned long long)ls->pairs,
              fmt_t(ls->mean_latency_s, b1, sizeof b1), ls->mean_fidelity, ls->path);
    }
  }
  fprintf(f, "\nerror budget (estimated infidelity per source%s)\n",
          r->nbudget && isfinite(r->budget[0].ablation_gain) ? "; Hellinger gain when off" : "");
  for (size_t k = 0; k < r->nbudget; k++) {
    const tsr_exec_budget_entry *e = &r->budget[k];
    fprintf(f, "  %-24s %9.3g  (%.4g events per shot)", e->source, e->estimate, e->events);
    if (isfinite(e->ablation_gain)) fprintf(f, "  gain %+.4f", e->ablation_gain);
    fputc('\n', f);
  }
  if (ncmp) {
    fprintf(f, "\nmonolithic comparison (same shots and seed)\n");
    fprintf(f, "  %-22s %10s %10s %12s  %s\n", "machine", "Hellinger", "estimated", "makespan", "");
    fprintf(f, "  %-22s %10.4f %10.4f %12s  %zu modules, %llu EPR pairs\n", r->machine,
            r->has_hellinger ? r->hellinger_fidelity : NAN, r->estimated_success,
            fmt_t(r->makespan.mean, b1, sizeof b1), used, (unsigned long long)r->ebits);
    for (size_t k = 0; k < ncmp; k++) {
      const tsr_exec_comparison *e = &cmp[k];
      char label[80];
      snprintf(label, sizeof label, "%s alone", e->module);
      if (!e->result) {
        fprintf(f, "  %-22s %10s %10s %12s  %s\n", label, "-", "-", "-", e->note);
        continue;
      }
      const tsr_exec_result *cr = e->result;
      fprintf(f, "  %-22s %10.4f %10.4f %12s  %s\n", label,
              cr->has_hellinger ? cr->hellinger_fidelity : NAN, cr->estimated_success,
              fmt_t(cr->makespan.mean, b1, sizeof b1), tsr_modality_name(e->modality));
    }
  }
}

static int write_file(const char *dir, const char *name,
                      tsr_status (*fn)(const tsr_exec_result *, FILE *, tsr_error *),
                      const tsr_exec_result *r, tsr_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) {
    tsr_error_set(err, TSR_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    return -1;
  }
  tsr_status st = fn(r, f, err);
  if (fclose(f) != 0 && st == TSR_OK)
    st = tsr_error_set(err, TSR_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
  if (st != TSR_OK) tsr_error_prefix(err, "%s", path);
  return st == TSR_OK ? 0 : -1;
}

static const tsr_exec_comparison *g_cmp;
static size_t g_ncmp;
static tsr_status write_report_json(const tsr_exec_result *r, FILE *f, tsr_error *err) {
  tsr_json *j = tsr_json_new(f, 2);
  if (!j) return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  tsr_exec_result_write_json(r, g_cmp, g_ncmp, j);
  tsr_json_free(j);
  return ferror(f) ? tsr_error_set(err, TSR_ERR_IO, "write failed") : TSR_OK;
}

static int write_report(const char *dir, const tsr_exec_result *r, const tsr_exec_comparison *cmp,
                        size_t ncmp, tsr_error *err) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    tsr_error_set(err, TSR_ERR_IO, "%s: cannot create the report folder: %s", dir, strerror(errno));
    return -1;
  }
  struct stat sb;
  if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    tsr_error_set(err, TSR_ERR_IO, "%s: not a folder", dir);
    return -1;
  }
  g_cmp = cmp;
  g_ncmp = ncmp;
  if (write_file(dir, "report.json", write_report_json, r, err) ||
      write_file(dir, "timeline.svg", tsr_exec_write_timeline_svg, r, err) ||
      write_file(dir, "timeline.json", tsr_exec_write_trace_json, r, err) ||
      write_file(dir, "error_budget.svg", tsr_exec_write_budget_svg, r, err))
    return -1;
  return 0;
}

/* ---------------------------------------------------------------- flags */

static int parse_noise(const char *text, uint32_t *out) {
  uint32_t mask = 0;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", text);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (strcmp(tok, "all") == 0)
      mask |= TSR_EXEC_NOISE_ALL;
    else if (strcmp(tok, "none") == 0)
      mask |= 0;
    else if (strcmp(tok, "gates") == 0)
      mask |= TSR_EXEC_NOISE_GATES;
    else if (strcmp(tok, "idle") == 0)
      mask |= TSR_EXEC_NOISE_IDLE;
    else if (strcmp(tok, "network") == 0)
      mask |= TSR_EXEC_NOISE_NETWORK;
    else if (strcmp(tok, "links") == 0)
      mask |= TSR_EXEC_NOISE_LINKS;
    else if (strcmp(tok, "readout") == 0)
      mask |= TSR_EXEC_NOISE_READOUT;
    else
      return -1;
  }
  *out = mask;
  return 0;
}

int tsr_cmd_run(int argc, char **argv) {
  enum { OPT_SPREAD = 1000, OPT_ABLATION, OPT_NOISE, OPT_TIMING, OPT_CUTOFF, OPT_NO_MONO };
  static const struct option options[] = {{"arch", required_argument, NULL, 'a'},
                                          {"shots", required_argument, NULL, 's'},
                                          {"seed", required_argument, NULL, 'S'},
                                          {"backend", required_argument, NULL, 'b'},
                                          {"threads", required_argument, NULL, 't'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"report", required_argument, NULL, 'r'},
                                          {"spread", required_argument, NULL, OPT_SPREAD},
                                          {"ablation", required_argument, NULL, OPT_ABLATION},
                                          {"noise", required_argument, NULL, OPT_NOISE},
                                          {"timing", required_argument, NULL, OPT_TIMING},
                                          {"cutoff", required_argument, NULL, OPT_CUTOFF},
                                          {"no-monolithic", no_argument, NULL, OPT_NO_MONO},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  run_args a;
  memset(&a, 0, sizeof a);
  tsr_exec_options_default(&a.o);
  a.monolithic = 1;
  tsr_error err;
  tsr_error_clear(&err);
  unsigned long long v;
  double d;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "a:s:S:b:t:jr:h", options, NULL)) != -1) {
    switch (opt) {
    case 'a':
      a.arch = optarg;
      break;
    case 's':
      if (tsr_cli_parse_u64(optarg, &v) != 0 || v == 0 || v > UINT64_C(1000000000))
        return tsr_cli_usage_error("run", "--shots takes a number from 1 to 10^9, not '%s'",
                                   optarg);
      a.o.shots = v;
      break;
    case 'S':
      if (tsr_cli_parse_u64(optarg, &v) != 0)
        return tsr_cli_usage_error("run", "--seed takes a non-negative integer, not '%s'", optarg);
      a.o.seed = v;
      break;
    case 'b':
      if (tsr_backend_parse(optarg, &a.o.backend, &err) != TSR_OK)
        return tsr_cli_usage_error("run", "%s", err.message);
      break;
    case 't':
      if (tsr_cli_parse_u64(optarg, &v) != 0 || v == 0 || v > 4096)
        return tsr_cli_usage_error("run", "--threads takes a number from 1 to 4096, not '%s'",
                                   optarg);
      a.o.threads = (int)v;
      break;
    case 'j':
      a.json = 1;
      break;
    case 'r':
      a.report = optarg;
      break;
    case OPT_SPREAD:
      if (tsr_cli_parse_u64(optarg, &v) != 0 || v == 0 || v > TSR_ARCH_MAX_QUBITS)
        return tsr_cli_usage_error("run", "--spread takes a positive number of qubits, not '%s'",
                                   optarg);
      a.spread = (uint32_t)v;
      break;
    case OPT_ABLATION:
      if (tsr_cli_parse_u64(optarg, &v) != 0 || v > UINT64_C(1000000000))
        return tsr_cli_usage_error("run", "--ablation takes a number of shots, not '%s'", optarg);
      a.o.ablation_shots = v;
      break;
    case OPT_NOISE:
      if (parse_noise(optarg, &a.o.noise) != 0)
        return tsr_cli_usage_error("run",
                                   "--noise takes gates, idle, network, links, readout, all or "
                                   "none (comma-separated), not '%s'",
                                   optarg);
      break;
    case OPT_TIMING:
      if (strcmp(optarg, "asap") == 0)
        a.o.timing = TSR_EXEC_TIMING_ASAP;
      else if (strcmp(optarg, "scheduled") == 0)
        a.o.timing = TSR_EXEC_TIMING_SCHEDULED;
      else
        return tsr_cli_usage_error("run", "--timing takes asap or scheduled, not '%s'", optarg);
      break;
    case OPT_CUTOFF:
      if (netcli_parse_quantity(optarg, NETCLI_TIME, &d) != 0 || !(d > 0))
        return tsr_cli_usage_error("run", "--cutoff takes a time above 0 (e.g. 10ms), not '%s'",
                                   optarg);
      a.o.cutoff_s = d;
      break;
    case OPT_NO_MONO:
      a.monolithic = 0;
      break;
    case 'h':
      usage(stdout);
      return TSR_EXIT_OK;
    default:
      return tsr_cli_usage_error("run", "invalid option");
    }
  }
  if (optind != argc - 1) return tsr_cli_usage_error("run", "expected one CIRCUIT");
  a.circuit = argv[optind];

  tsr_circuit *c = NULL;
  tsr_arch *arch = NULL, *orig = NULL;
  tsr_program *prog = NULL;
  tsr_exec_result *r = NULL;
  tsr_exec_comparison *cmp = NULL;
  size_t ncmp = 0;
  int rc = TSR_EXIT_OK;
  if (tsr_cli_read_circuit(a.circuit, &c, &err) != TSR_OK ||
      netcli_load_machine(a.arch, &arch, &err) != TSR_OK ||
      (a.spread && netcli_load_machine(a.arch, &orig, &err) != TSR_OK)) {
    rc = tsr_cli_fail(&err);
    goto out;
  }
  if (a.spread) spread_arch(arch, a.spread);
  a.o.source = c;
  tsr_progress *bar = a.json ? NULL : tsr_progress_new(stderr, "shots", a.o.shots);
  if (bar) {
    a.o.progress = progress_cb;
    a.o.progress_user = bar;
  }
  tsr_exec *x = NULL;
  double main_work = 0;
  tsr_status st = prepare(c, arch, a.o.seed, &prog, &x, &err);
  if (st == TSR_OK) {
    tsr_exec_backend_for(x, &a.o, &main_work);
    st = tsr_exec_run(x, &a.o, &r, &err);
  }
  tsr_exec_free(x);
  tsr_progress_free(bar);
  a.o.progress = NULL;
  if (st != TSR_OK) {
    rc = tsr_cli_fail(&err);
    goto out;
  }
  if (a.monolithic) monolithic(c, orig ? orig : arch, &a, main_work, &cmp, &ncmp);
  if (a.report && write_report(a.report, r, cmp, ncmp, &err) != 0) {
    rc = tsr_cli_fail(&err);
    goto out;
  }
  if (a.json) {
    tsr_json *j = tsr_json_new(stdout, 2);
    tsr_exec_result_write_json(r, cmp, ncmp, j);
    tsr_json_free(j);
  } else {
    print_text(stdout, a.circuit, c, prog, r, cmp, ncmp);
    if (a.report)
      printf("\nreport: %s/report.json, timeline.svg, timeline.json (Perfetto), "
             "error_budget.svg\n",
             a.report);
  }
out:
  for (size_t k = 0; k < ncmp; k++) tsr_exec_result_free((tsr_exec_result *)cmp[k].result);
  free(cmp);
  tsr_exec_result_free(r);
  tsr_program_free(prog);
  tsr_arch_free(arch);
  tsr_arch_free(orig);
  tsr_circuit_free(c);
  return rc;
}
