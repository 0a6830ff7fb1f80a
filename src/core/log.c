/* Leveled logging through a sink the program installs; none by default, so
 * the library stays silent unless asked. */
#include <stdio.h>

#include "tessera/core.h"

static tsr_log_sink log_sink = NULL;
static void *log_user = NULL;
static tsr_log_level log_level = TSR_LOG_WARN;

void tsr_log_set_sink(tsr_log_sink sink, void *user) {
  log_sink = sink;
  log_user = user;
}

void tsr_log_set_level(tsr_log_level level) {
  log_level = level;
}

tsr_log_level tsr_log_get_level(void) {
  return log_level;
}

void tsr_log(tsr_log_level level, const char *fmt, ...) {
  if (!log_sink || level > log_level) return;
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  log_sink(level, message, log_user);
}

void tsr_log_stderr_sink(tsr_log_level level, const char *message, void *user) {
  (void)user;
  static const char *const names[] = {"error", "warning", "info", "debug"};
  fprintf(stderr, "tessera: %s: %s\n", names[level <= TSR_LOG_DEBUG ? level : TSR_LOG_DEBUG],
          message);
}
