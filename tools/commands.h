/* The `tessera` subcommands and the helpers they share. Each subcommand lives
 * in tools/cmd_<name>.c as `int tsr_cmd_<name>(int argc, char **argv)` with
 * argv[0] the subcommand name, and returns the process exit status. */
#ifndef TESSERA_TOOLS_COMMANDS_H
#define TESSERA_TOOLS_COMMANDS_H

#include <stdio.h>

#include "tessera/circuit.h"
#include "tessera/core.h"

/* Exit statuses: 0 success, 1 the job ran but failed, 2 bad input or usage. */
enum { TSR_EXIT_OK = 0, TSR_EXIT_FAILURE = 1, TSR_EXIT_INPUT = 2 };

int tsr_cmd_info(int argc, char **argv);
int tsr_cmd_convert(int argc, char **argv);
int tsr_cmd_sim(int argc, char **argv);
int tsr_cmd_arch(int argc, char **argv);
int tsr_cmd_link(int argc, char **argv);
int tsr_cmd_net(int argc, char **argv);
int tsr_cmd_compile(int argc, char **argv);
int tsr_cmd_run(int argc, char **argv);

/* Prints "tessera: <formatted error>" on stderr and returns the exit status
 * that matches the error (2 for input, value and I/O errors, 1 otherwise). */
int tsr_cli_fail(const tsr_error *err);
/* Prints "tessera CMD: message" and a hint to use --help; returns 2. */
int tsr_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reads a circuit from a path, or from standard input when path is "-". */
tsr_status tsr_cli_read_circuit(const char *path, tsr_circuit **out, tsr_error *err);
/* Parses a non-negative integer option value; returns 0 on success. */
int tsr_cli_parse_u64(const char *text, unsigned long long *out);
/* Opens an output path ("-" is stdout); NULL with err set on failure. */
FILE *tsr_cli_open_output(const char *path, tsr_error *err);
void tsr_cli_close_output(FILE *f);

#endif
