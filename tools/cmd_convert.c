/* `tessera convert IN [-o OUT] [--qasm2|--qasm3]`: reads an OpenQASM 2.0 or 3
 * circuit and writes it again as OpenQASM 2.0 or 3. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static void usage(FILE *out) {
  fprintf(out, "Usage: tessera convert [-o OUT] [--qasm2 | --qasm3] IN\n\n"
               "Reads an OpenQASM 2.0 or 3 circuit from IN ('-' reads standard input) and writes\n"
               "it as OpenQASM to OUT (standard output when -o is missing or OUT is '-').\n"
               "By default the output is OpenQASM 2.0 unless the circuit needs 3 (a condition on\n"
               "a single classical bit). Gates missing from qelib1.inc / stdgates.inc are\n"
               "written with a `gate` definition; see docs/openqasm.md.\n\n"
               "Options:\n"
               "  -o, --output OUT   write to OUT instead of standard output\n"
               "  -2, --qasm2        write OpenQASM 2.0 (fails if the circuit needs 3)\n"
               "  -3, --qasm3        write OpenQASM 3\n"
               "  -h, --help         show this help\n\n"
               "Exit status: 0 success, 1 the circuit cannot be written in the requested\n"
               "version, 2 bad input or usage.\n");
}

int tsr_cmd_convert(int argc, char **argv) {
  static const struct option options[] = {{"output", required_argument, NULL, 'o'},
                                          {"qasm2", no_argument, NULL, '2'},
                                          {"qasm3", no_argument, NULL, '3'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  const char *output = NULL;
  tsr_qasm_version version = TSR_QASM_AUTO;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "o:23h", options, NULL)) != -1) {
    switch (opt) {
    case 'o':
      output = optarg;
      break;
    case '2':
    case '3': {
      tsr_qasm_version v = opt == '2' ? TSR_QASM_2 : TSR_QASM_3;
      if (version != TSR_QASM_AUTO && version != v) {
        return tsr_cli_usage_error("convert", "--qasm2 and --qasm3 exclude each other");
      }
      version = v;
      break;
    }
    case 'h':
      usage(stdout);
      return TSR_EXIT_OK;
    default:
      return tsr_cli_usage_error("convert", "invalid option");
    }
  }
  if (optind != argc - 1) return tsr_cli_usage_error("convert", "expected one input file IN");
  const char *input = argv[optind];

  tsr_error err;
  tsr_error_clear(&err);
  tsr_circuit *circuit = NULL;
  if (tsr_cli_read_circuit(input, &circuit, &err) != TSR_OK) return tsr_cli_fail(&err);
  /* Convert completely before opening OUT: a failure leaves OUT untouched,
   * and OUT may be the input file itself. */
  char *text = NULL;
  tsr_status st = tsr_qasm_write_string(circuit, version, &text, &err);
  tsr_circuit_free(circuit);
  if (st != TSR_OK) return tsr_cli_fail(&err);

  FILE *out = tsr_cli_open_output(output, &err);
  if (!out) {
    free(text);
    return tsr_cli_fail(&err);
  }
  size_t len = strlen(text);
  int failed = fwrite(text, 1, len, out) != len || fflush(out) != 0 || ferror(out);
  free(text);
  if (out != stdout && fclose(out) != 0) failed = 1;
  if (failed) {
    tsr_error_set(&err, TSR_ERR_IO, "%s: cannot write",
                  output && strcmp(output, "-") != 0 ? output : "<stdout>");
    return tsr_cli_fail(&err);
  }
  return TSR_EXIT_OK;
}
