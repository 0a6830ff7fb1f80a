/* `tessera info FILE [--json]`: circuit statistics. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static void usage(FILE *out) {
  fprintf(out, "Usage: tessera info [--json] FILE\n\n"
               "Reads an OpenQASM 2.0 or 3 circuit (FILE '-' reads standard input) and prints\n"
               "its qubits, classical bits, gate counts, depth and two-qubit depth.\n\n"
               "Options:\n"
               "  -j, --json   print JSON: qubits, clbits, gates, two_qubit_gates,\n"
               "               multi_qubit_gates, measurements, resets, barriers,\n"
               "               conditioned, depth, two_qubit_depth, counts (by gate name)\n"
               "  -h, --help   show this help\n");
}

static void print_json(const char *path, const tsr_circuit_stats *s) {
  tsr_json *j = tsr_json_new(stdout, 2);
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "file", path);
  tsr_json_kv_int(j, "qubits", s->qubits);
  tsr_json_kv_int(j, "clbits", s->clbits);
  tsr_json_kv_int(j, "gates", (int64_t)s->gates);
  tsr_json_kv_int(j, "two_qubit_gates", (int64_t)s->two_qubit_gates);
  tsr_json_kv_int(j, "multi_qubit_gates", (int64_t)s->multi_qubit_gates);
  tsr_json_kv_int(j, "measurements", (int64_t)s->measurements);
  tsr_json_kv_int(j, "resets", (int64_t)s->resets);
  tsr_json_kv_int(j, "barriers", (int64_t)s->barriers);
  tsr_json_kv_int(j, "conditioned", (int64_t)s->conditioned);
  tsr_json_kv_int(j, "depth", (int64_t)s->depth);
  tsr_json_kv_int(j, "two_qubit_depth", (int64_t)s->two_qubit_depth);
  tsr_json_key(j, "counts");
  tsr_json_object_begin(j);
  for (int k = 1; k < TSR_GATE_COUNT; k++) {
    if (s->counts[k]) tsr_json_kv_int(j, tsr_gate_get((tsr_gate)k)->name, (int64_t)s->counts[k]);
  }
  tsr_json_object_end(j);
  tsr_json_object_end(j);
  tsr_json_free(j);
}

static void print_table(const char *path, const tsr_circuit_stats *s) {
  printf("%s\n", path);
  printf("  qubits            %u\n", s->qubits);
  printf("  classical bits    %u\n", s->clbits);
  printf("  gates             %llu\n", (unsigned long long)s->gates);
  printf("  two-qubit gates   %llu\n", (unsigned long long)s->two_qubit_gates);
  if (s->multi_qubit_gates) {
    printf("  3+ qubit gates    %llu\n", (unsigned long long)s->multi_qubit_gates);
  }
  printf("  measurements      %llu\n", (unsigned long long)s->measurements);
  if (s->resets) printf("  resets            %llu\n", (unsigned long long)s->resets);
  if (s->conditioned) printf("  conditioned ops   %llu\n", (unsigned long long)s->conditioned);
  printf("  depth             %llu\n", (unsigned long long)s->depth);
  printf("  two-qubit depth   %llu\n", (unsigned long long)s->two_qubit_depth);
  printf("  counts           ");
  for (int k = 1; k < TSR_GATE_COUNT; k++) {
    if (s->counts[k]) {
      printf(" %s:%llu", tsr_gate_get((tsr_gate)k)->name, (unsigned long long)s->counts[k]);
    }
  }
  printf("\n");
}

int tsr_cmd_info(int argc, char **argv) {
  static const struct option options[] = {
      {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int json = 0, opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
    switch (opt) {
    case 'j':
      json = 1;
      break;
    case 'h':
      usage(stdout);
      return TSR_EXIT_OK;
    default:
      return tsr_cli_usage_error("info", "invalid option");
    }
  }
  if (optind != argc - 1) return tsr_cli_usage_error("info", "expected one FILE");
  const char *path = argv[optind];
  tsr_error err;
  tsr_error_clear(&err);
  tsr_circuit *c = NULL;
  if (tsr_cli_read_circuit(path, &c, &err) != TSR_OK) return tsr_cli_fail(&err);
  tsr_circuit_stats stats;
  tsr_status st = tsr_circuit_compute_stats(c, &stats, &err);
  tsr_circuit_free(c);
  if (st != TSR_OK) return tsr_cli_fail(&err);
  if (json)
    print_json(path, &stats);
  else
    print_table(path, &stats);
  return TSR_EXIT_OK;
}
