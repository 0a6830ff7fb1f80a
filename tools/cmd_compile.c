/* `tessera compile FILE`: compiles a circuit for a networked machine into a
 * timed distributed program (tsr_compile_program) and prints its figures, a
 * per-module timeline, the program as OpenQASM 3 (-o) or JSON (--json). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tessera/arch.h"
#include "tessera/compile.h"
#include "tessera/program.h"

static void usage(FILE *out) {
  fprintf(out, "Usage: tessera compile [OPTIONS] FILE\n\n"
               "Compiles an OpenQASM 2.0 or 3 circuit (FILE '-' reads standard input) for a\n"
               "networked machine: partitions its qubits over the compute modules, turns\n"
               "remote gates into cat-entangler/disentangler or teleportation protocols with\n"
               "EPR pairs, messages and feed-forward, routes and synthesises native gates in\n"
               "every module and schedules everything. Prints the figures (EPR pairs, remote\n"
               "gates, teleports, swaps, makespan, estimated success) and a per-module\n"
               "timeline.\n\n"
               "Options:\n"
               "  -a, --arch FILE     machine file (YAML, docs/machine-file.md) or a pytket-dqc\n"
               "                      network (JSON, ideal modules); default: the built-in\n"
               "                      machine (tessera arch --print-default)\n"
               "  -o, --output FILE   write the program as OpenQASM 3 ('-': standard output)\n"
               "  -j, --json          print the program's figures and placement as JSON\n"
               "      --ops           with --json: every operation with its times and the\n"
               "                      source operation it implements (source_op)\n"
               "      --timeline      print every module's operations in time order\n"
               "  -c, --cost C        what the partitioner minimises: ebits (default), latency\n"
               "                      (expected EPR delivery time) or fidelity (-log of the\n"
               "                      end-to-end pair fidelity)\n"
               "  -S, --seed S        partitioner seed (default 1)\n"
               "      --no-teleport   cat-entanglement only (no qubit teleportation)\n"
               "      --no-embed      end copies at every h (no Wu et al. 2023 embedding)\n"
               "      --no-route      treat every module as all-to-all (no swaps or moves)\n"
               "      --no-native     keep the decomposed gates (no native synthesis)\n"
               "      --max-comm K    use at most K communication qubits per module\n"
               "      --restarts N    partitioner restarts (default automatic)\n"
               "  -h, --help          show this help\n\n"
               "Exit status: 0 success, 1 failure, 2 bad input (a file:line:col message).\n");
}

static void print_timeline(const tsr_program *p) {
  printf("%-14s %7s %7s %7s %7s %7s %12s %12s\n", "module", "qubits", "used", "1q", "2q", "meas",
         "op time (s)", "ends (s)");
  uint8_t *used = calloc(p->nqubits + 1, 1);
  for (uint32_t m = 0; m < p->nmodules; m++) {
    uint64_t n1 = 0, n2 = 0, nm = 0, nused = 0;
    double busy = 0, end = 0;
    for (size_t i = 0; i < p->nops; i++) {
      const tsr_program_op *op = &p->ops[i];
      if (op->role == TSR_PROG_MESSAGE) continue;
      int here =
          op->module == (int32_t)m || (op->role == TSR_PROG_EPR && op->module_to == (int32_t)m);
      if (!here) continue;
      for (uint32_t k = 0; used && k < op->nqubits; k++) {
        if (tsr_program_module_of(p, op->qubits[k]) == (int32_t)m && !used[op->qubits[k]]) {
          used[op->qubits[k]] = 1;
          nused++;
        }
      }
      if (op->role == TSR_PROG_EPR) continue;
      if (op->kind == TSR_OP_MEASURE)
        nm++;
      else if (op->nqubits == 1)
        n1++;
      else
        n2++;
      busy += op->duration_s;
      if (op->start_s + op->duration_s > end) end = op->start_s + op->duration_s;
    }
    printf("%-14s %7u %7llu %7llu %7llu %7llu %12.4g %12.4g\n", p->modules[m].name,
           p->modules[m].qubits, (unsigned long long)nused, (unsigned long long)n1,
           (unsigned long long)n2, (unsigned long long)nm, busy, end);
  }
  free(used);
  for (uint32_t l = 0; l < p->nlinks; l++) {
    uint64_t pairs = 0;
    double busy = 0;
    for (size_t i = 0; i < p->nops; i++) {
      if (p->ops[i].role == TSR_PROG_EPR && p->ops[i].link == (int32_t)l) {
        pairs++;
        busy += p->ops[i].duration_s;
      }
    }
    if (pairs)
      printf("link %-24s %6llu pairs, %.4g s generating (expected latency %.4g s, F %.4f)\n",
             p->links[l].name, (unsigned long long)pairs, busy, p->links[l].expected_latency_s,
             p->links[l].fidelity);
  }
}

/* Every module's operations in time order (EPR pairs and messages under
 * both of their modules). */
static void print_full_timeline(const tsr_program *p) {
  for (uint32_t m = 0; m < p->nmodules; m++) {
    printf("\n%s:\n", p->modules[m].name);
    for (size_t i = 0; i < p->nops; i++) {
      const tsr_program_op *op = &p->ops[i];
      if (op->module != (int32_t)m && op->module_to != (int32_t)m) continue;
      printf("  %12.6g %12.6g  %-16s", op->start_s, op->start_s + op->duration_s,
             tsr_program_role_name(op->role));
      if (op->role == TSR_PROG_MESSAGE) {
        printf(" %s -> %s bits %u..%u\n", p->modules[op->module].name,
               p->modules[op->module_to].name, op->message_clbit_first,
               op->message_clbit_first + op->message_clbits - 1);
        continue;
      }
      printf(" %s", op->role == TSR_PROG_EPR ? "epr" : tsr_gate_get(op->kind)->name);
      for (uint32_t k = 0; k < op->nqubits; k++) {
        int32_t qm = tsr_program_module_of(p, op->qubits[k]);
        printf("%s%s[%u]", k ? ", " : " ", qm >= 0 ? p->modules[qm].name : "?",
               qm >= 0 ? op->qubits[k] - p->modules[qm].first_qubit : op->qubits[k]);
      }
      if (op->clbit >= 0) printf(" -> bit %lld", (long long)op->clbit);
      if (op->cond >= 0) printf(" (conditioned)");
      printf("\n");
    }
  }
}

int tsr_cmd_compile(int argc, char **argv) {
  enum {
    OPT_OPS = 1000,
    OPT_NO_TELEPORT,
    OPT_NO_EMBED,
    OPT_NO_ROUTE,
    OPT_NO_NATIVE,
    OPT_MAX_COMM,
    OPT_RESTARTS,
    OPT_TIMELINE
  };
  static const struct option options[] = {{"arch", required_argument, NULL, 'a'},
                                          {"output", required_argument, NULL, 'o'},
                                          {"json", no_argument, NULL, 'j'},
                                          {"ops", no_argument, NULL, OPT_OPS},
                                          {"timeline", no_argument, NULL, OPT_TIMELINE},
                                          {"cost", required_argument, NULL, 'c'},
                                          {"seed", required_argument, NULL, 'S'},
                                          {"no-teleport", no_argument, NULL, OPT_NO_TELEPORT},
                                          {"no-embed", no_argument, NULL, OPT_NO_EMBED},
                                          {"no-route", no_argument, NULL, OPT_NO_ROUTE},
                                          {"no-native", no_argument, NULL, OPT_NO_NATIVE},
                                          {"max-comm", required_argument, NULL, OPT_MAX_COMM},
                                          {"restarts", required_argument, NULL, OPT_RESTARTS},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  tsr_compile_options o;
  tsr_compile_options_default(&o);
  const char *arch_path = NULL, *out_path = NULL;
  int json = 0, with_ops = 0, timeline = 0, opt;
  unsigned long long v;
  tsr_error err;
  tsr_error_clear(&err);
  optind = 1;
  while ((opt = getopt_long(argc, argv, "a:o:jc:S:h", options, NULL)) != -1) {
    switch (opt) {
    case 'a':
      arch_path = optarg;
      break;
    case 'o':
      out_path = optarg;
      break;
    case 'j':
      json = 1;
      break;
    case OPT_OPS:
      with_ops = 1;
      break;
    case OPT_TIMELINE:
      timeline = 1;
      break;
    case 'c':
      if (tsr_compile_cost_parse(optarg, &o.cost, &err) != TSR_OK)
        return tsr_cli_usage_error("compile", "%s", err.message);
      break;
    case 'S':
      if (tsr_cli_parse_u64(optarg, &v) != 0)
        return tsr_cli_usage_error("compile", "--seed takes a non-negative integer, not '%s'",
                                   optarg);
      o.seed = v;
      break;
    case OPT_NO_TELEPORT:
      o.allow_teleport = 0;
      break;
    case OPT_NO_EMBED:
      o.embed = 0;
      break;
    case OPT_NO_ROUTE:
      o.route = 0;
      break;
    case OPT_NO_NATIVE:
      o.native = 0;
      break;
    case OPT_MAX_COMM:
      if (tsr_cli_parse_u64(optarg, &v) != 0 || v == 0 || v > 1000000)
        return tsr_cli_usage_error("compile", "--max-comm takes a number from 1, not '%s'", optarg);
      o.max_communication = (uint32_t)v;
      break;
    case OPT_RESTARTS:
      if (tsr_cli_parse_u64(optarg, &v) != 0 || v > 10000)
        return tsr_cli_usage_error("compile", "--restarts takes 0 to 10000, not '%s'", optarg);
      o.restarts = (uint32_t)v;
      break;
    case 'h':
      usage(stdout);
      return TSR_EXIT_OK;
    default:
      return tsr_cli_usage_error("compile", "invalid option");
    }
  }
  if (optind != argc - 1) return tsr_cli_usage_error("compile", "expected one FILE");
  const char *path = argv[optind];
  tsr_arch *arch = NULL;
  tsr_status st =
      arch_path ? tsr_arch_load_file(arch_path, &arch, &err) : tsr_arch_default(&arch, &err);
  if (st != TSR_OK) return tsr_cli_fail(&err);
  tsr_circuit *c = NULL;
  if (tsr_cli_read_circuit(path, &c, &err) != TSR_OK) {
    tsr_arch_free(arch);
    return tsr_cli_fail(&err);
  }
  tsr_program *p = NULL;
  int rc = TSR_EXIT_OK;
  double t0 = tsr_wall_seconds();
  if (tsr_compile_program(c, arch, &o, &p, &err) != TSR_OK) {
    rc = tsr_cli_fail(&err);
    goto out;
  }
  double seconds = tsr_wall_seconds() - t0;
  if (out_path) {
    FILE *f = tsr_cli_open_output(out_path, &err);
    if (!f) {
      rc = tsr_cli_fail(&err);
      goto out;
    }
    st = tsr_program_write_qasm(p, f, &err);
    tsr_cli_close_output(f);
    if (st != TSR_OK) {
      rc = tsr_cli_fail(&err);
      goto out;
    }
  }
  int to_stdout = out_path && strcmp(out_path, "-") == 0;
  if (json) {
    tsr_json *j = tsr_json_new(to_stdout ? stderr : stdout, 2);
    st = tsr_program_write_json(p, j, with_ops, &err);
    tsr_json_free(j);
    if (st != TSR_OK) rc = tsr_cli_fail(&err);
  } else if (!to_stdout) {
    const tsr_program_metrics *mt = &p->metrics;
    printf("%s on %s (%s cost): %u logical qubits, %zu operations, compiled in %.3f s\n", path,
           p->machine, tsr_compile_cost_name(o.cost), p->nlogical, p->nops, seconds);
    printf("  EPR pairs %llu, remote gates %llu, teleports %llu, swaps %llu, atom moves %llu\n",
           (unsigned long long)mt->ebits, (unsigned long long)mt->remote_gates,
           (unsigned long long)mt->teleports, (unsigned long long)mt->swaps,
           (unsigned long long)mt->moves);
    printf("  makespan %.6g s, estimated success %.6g\n", mt->makespan_s, mt->estimated_success);
    print_timeline(p);
    if (timeline) print_full_timeline(p);
  }
out:
  tsr_program_free(p);
  tsr_circuit_free(c);
  tsr_arch_free(arch);
  return rc;
}
