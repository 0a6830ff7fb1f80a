/* Helpers shared by the subcommands: error printing with exit statuses,
 * reading a circuit from a file or stdin, option parsing. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

int tsr_cli_fail(const tsr_error *err) {
  char buf[2048];
  fprintf(stderr, "tessera: %s\n", tsr_error_format(err, buf, sizeof buf));
  switch (err->status) {
  case TSR_ERR_INPUT:
  case TSR_ERR_VALUE:
  case TSR_ERR_IO:
  case TSR_ERR_LIMIT:
    return TSR_EXIT_INPUT;
  default:
    return TSR_EXIT_FAILURE;
  }
}

int tsr_cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "tessera %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'tessera %s --help'.\n", cmd);
  va_end(ap);
  return TSR_EXIT_INPUT;
}

tsr_status tsr_cli_read_circuit(const char *path, tsr_circuit **out, tsr_error *err) {
  if (strcmp(path, "-") != 0) return tsr_qasm_read_file(path, out, err);
  char *text = NULL;
  size_t len = 0;
  tsr_status st = tsr_read_stream(stdin, &text, &len, err);
  if (st != TSR_OK) return st;
  st = tsr_qasm_read_string(text, len, "<stdin>", out, err);
  free(text);
  return st;
}

int tsr_cli_parse_u64(const char *text, unsigned long long *out) {
  if (!text || !*text || *text == '-') return -1;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

FILE *tsr_cli_open_output(const char *path, tsr_error *err) {
  if (!path || strcmp(path, "-") == 0) return stdout;
  FILE *f = fopen(path, "w");
  if (!f) tsr_error_set(err, TSR_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
  return f;
}

void tsr_cli_close_output(FILE *f) {
  if (f && f != stdout) fclose(f);
}
