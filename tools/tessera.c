/* The `tessera` command: a thin dispatcher over the subcommands. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

/* One line per subcommand; keep in the order of the layers. */
static const command commands[] = {
    {"info", tsr_cmd_info, "circuit statistics (qubits, gates, depth, counts)"},
    {"convert", tsr_cmd_convert, "convert between OpenQASM 2.0 and 3"},
    {"sim", tsr_cmd_sim, "simulate a circuit: counts, amplitudes (sv, dm, stab; noise)"},
    {"arch", tsr_cmd_arch, "show a machine: modules, links, presets (--json, --dot)"},
    {"link", tsr_cmd_link, "link physics: probability, rate, latency, fidelity; sweeps (--plot)"},
    {"net", tsr_cmd_net, "simulate a network: pairs between two nodes, rate, fidelity, memory"},
    {"compile", tsr_cmd_compile, "compile a circuit for a networked machine (EPR pairs, schedule)"},
    {"run", tsr_cmd_run, "compile and run a circuit: fidelity, EPR pairs, makespan, error budget"},
};

static void print_help(FILE *out) {
  fprintf(out, "Usage: tessera COMMAND [OPTIONS] [ARGS]\n\n"
               "Design, compile and simulate heterogeneous, photonically networked quantum\n"
               "computers.\n\nCommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  }
  fprintf(out, "\nOptions:\n  -h, --help     show this help\n"
               "  -V, --version  show the version\n\n"
               "Run 'tessera COMMAND --help' for a command's options. A FILE of '-' reads\n"
               "standard input. Exit status: 0 success, 1 failure, 2 bad input or usage.\n");
}

int main(int argc, char **argv) {
  tsr_log_set_sink(tsr_log_stderr_sink, NULL);
  if (argc < 2) {
    print_help(stderr);
    return TSR_EXIT_INPUT;
  }
  const char *name = argv[1];
  if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
    print_help(stdout);
    return TSR_EXIT_OK;
  }
  if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
    printf("tessera %s\n", TSR_VERSION_STRING);
    return TSR_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(name, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  }
  fprintf(stderr, "tessera: unknown command '%s'\nTry 'tessera --help'.\n", name);
  return TSR_EXIT_INPUT;
}
