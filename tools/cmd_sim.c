/* `tessera sim FILE`: simulates a circuit and prints the counts (and, with
 * --statevector, the final amplitudes). A thin shell over tsr_sim_run. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "tessera/sim.h"

static void usage(FILE *out) {
  fprintf(out, "Usage: tessera sim [OPTIONS] FILE\n\n"
               "Simulates an OpenQASM 2.0 or 3 circuit (FILE '-' reads standard input) and\n"
               "prints the counts of the classical bits over the shots, clbit 0 rightmost.\n"
               "A circuit without any measurement gets every qubit measured at the end\n"
               "(bit q = qubit q).\n\n"
               "Options:\n"
               "  -b, --backend B     sv (state vector), dm (density matrix), stab\n"
               "                      (stabilizer tableau) or auto (default): stab for Clifford\n"
               "                      circuits with Pauli noise only, else sv\n"
               "  -s, --shots N       number of shots (default 1024)\n"
               "  -S, --seed S        random seed (default 0); the same seed gives the same\n"
               "                      counts at every thread count\n"
               "  -n, --noise FILE    noise description (YAML, see docs/simulator.md)\n"
               "  -t, --threads T     threads (default: all cores, or OMP_NUM_THREADS)\n"
               "      --statevector   also print the final state's amplitudes (qubit 0 least\n"
               "                      significant; the state before the final measurements)\n"
               "      --no-fusion     apply gates one by one (no fusion, no cache blocking)\n"
               "      --fusion-max K  largest fused block in qubits (1..5, default 2)\n"
               "      --float         single-precision state vector\n"
               "  -j, --json          print JSON: qubits, shots, backend, counts (and\n"
               "                      amplitudes as [re, im] pairs)\n"
               "  -h, --help          show this help\n\n"
               "Exit status: 0 success, 1 failure, 2 bad input (a file:line:col message).\n");
}

static void print_json(const char *path, const tsr_sim_options *o, const tsr_sim_result *r) {
  tsr_json *j = tsr_json_new(stdout, 2);
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "file", path);
  tsr_json_kv_int(j, "qubits", r->nqubits);
  tsr_json_kv_int(j, "shots", (int64_t)r->shots);
  tsr_json_kv_string(j, "backend", tsr_backend_name(r->backend));
  tsr_json_key(j, "seed");
  tsr_json_uint(j, o->seed);
  tsr_json_kv_bool(j, "measured_all", r->measured_all);
  tsr_json_kv_bool(j, "sampled_final", r->sampled_final);
  tsr_json_kv_double(j, "seconds", r->seconds);
  tsr_json_key(j, "counts");
  tsr_counts_write_json(j, r->counts, r->ncounts);
  if (r->amplitudes) {
    tsr_json_key(j, "amplitudes");
    tsr_json_array_begin(j);
    for (uint64_t i = 0; i < r->namplitudes; i++) {
      tsr_json_array_begin(j);
      tsr_json_double(j, creal(r->amplitudes[i]));
      tsr_json_double(j, cimag(r->amplitudes[i]));
      tsr_json_array_end(j);
    }
    tsr_json_array_end(j);
  }
  tsr_json_object_end(j);
  tsr_json_free(j);
}

static void print_text(const char *path, const tsr_sim_result *r) {
  printf("%s: %u qubits, %llu shots, backend %s%s, %.3f s\n", path, r->nqubits,
         (unsigned long long)r->shots, tsr_backend_name(r->backend),
         r->sampled_final ? " (sampled from the final state)" : "", r->seconds);
  if (r->measured_all)
    printf("  (no measurement in the circuit: every qubit measured at the end)\n");
  for (size_t i = 0; i < r->ncounts; i++) {
    printf("  %s  %10llu  %.6f\n", r->counts[i].bits, (unsigned long long)r->counts[i].count,
           (double)r->counts[i].count / (double)r->shots);
  }
  if (r->amplitudes) {
    printf("amplitudes (qubit 0 rightmost):\n");
    for (uint64_t i = 0; i < r->namplitudes; i++) {
      printf("  ");
      for (uint32_t b = r->nqubits; b-- > 0;) putchar((int)((i >> b) & 1) ? '1' : '0');
      printf("  % .12f %+.12fi\n", creal(r->amplitudes[i]), cimag(r->amplitudes[i]));
    }
  }
}

int tsr_cmd_sim(int argc, char **argv) {
  enum { OPT_STATEVECTOR = 1000, OPT_NO_FUSION, OPT_FUSION_MAX, OPT_FLOAT };
  static const struct option options[] = {{"backend", required_argument, NULL, 'b'},
                                          {"shots", required_argument, NULL, 's'},
                                          {"seed", required_argument, NULL, 'S'},
                                          {"noise", required_argument, NULL, 'n'},
                                          {"threads", required_argument, NULL, 't'},
                                          {"statevector", no_argument, NULL, OPT_STATEVECTOR},
                                          {"no-fusion", no_argument, NULL, OPT_NO_FUSION},
                                          {"fusion-max", required_argument, NULL, OPT_FUSION_MAX},
                                          {"float", no_argument, NULL, OPT_FLOAT},
                                          {"json", no_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  tsr_sim_options o;
  tsr_sim_options_init(&o);
  const char *noise_path = NULL;
  int json = 0, opt;
  unsigned long long v;
  tsr_error err;
  tsr_error_clear(&err);
  optind = 1;
  while ((opt = getopt_long(argc, argv, "b:s:S:n:t:jh", options, NULL)) != -1) {
    switch (opt) {
    case 'b':
      if (tsr_backend_parse(optarg, &o.backend, &err) != TSR_OK) {
        return tsr_cli_usage_error("sim", "%s", err.message);
      }
      break;
    case 's':
      if (tsr_cli_parse_u64(optarg, &v) != 0 || v == 0 || v > UINT64_C(1000000000)) {
        return tsr_cli_usage_error("sim", "--shots takes a number from 1 to 10^9, not '%s'",
                                   optarg);
      }
      o.shots = v;
      break;
    case 'S':
      if (tsr_cli_parse_u64(optarg, &v) != 0) {
        return tsr_cli_usage_error("sim", "--seed takes a non-negative integer, not '%s'", optarg);
      }
      o.seed = v;
      break;
    case 'n':
      noise_path = optarg;
      break;
    case 't':
      if (tsr_cli_parse_u64(optarg, &v) != 0 || v == 0 || v > 4096) {
        return tsr_cli_usage_error("sim", "--threads takes a number from 1 to 4096, not '%s'",
                                   optarg);
      }
      o.threads = (int)v;
      break;
    case OPT_STATEVECTOR:
      o.want_statevector = 1;
      break;
    case OPT_NO_FUSION:
      o.fusion = 0;
      break;
    case OPT_FUSION_MAX:
      if (tsr_cli_parse_u64(optarg, &v) != 0 || v < 1 || v > 5) {
        return tsr_cli_usage_error("sim", "--fusion-max takes 1 to 5, not '%s'", optarg);
      }
      o.fusion_max_qubits = (unsigned)v;
      break;
    case OPT_FLOAT:
      o.precision = TSR_PRECISION_FLOAT;
      break;
    case 'j':
      json = 1;
      break;
    case 'h':
      usage(stdout);
      return TSR_EXIT_OK;
    default:
      return tsr_cli_usage_error("sim", "invalid option");
    }
  }
  if (optind != argc - 1) return tsr_cli_usage_error("sim", "expected one FILE");
  const char *path = argv[optind];
  tsr_circuit *c = NULL;
  if (tsr_cli_read_circuit(path, &c, &err) != TSR_OK) return tsr_cli_fail(&err);
  tsr_noise_model *nm = NULL;
  if (noise_path && tsr_noise_model_load_file(noise_path, &nm, &err) != TSR_OK) {
    tsr_circuit_free(c);
    return tsr_cli_fail(&err);
  }
  o.noise = nm;
  tsr_sim_result *r = NULL;
  int rc = TSR_EXIT_OK;
  if (tsr_sim_run(c, &o, &r, &err) != TSR_OK) {
    rc = tsr_cli_fail(&err);
  } else if (json) {
    print_json(path, &o, r);
  } else {
    print_text(path, r);
  }
  tsr_sim_result_free(r);
  tsr_noise_model_free(nm);
  tsr_circuit_free(c);
  return rc;
}
