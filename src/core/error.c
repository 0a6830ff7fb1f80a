/* Errors as values: a status plus a message and an optional input location. */
#include <stdio.h>
#include <string.h>

#include "tessera/core.h"

void tsr_error_clear(tsr_error *err) {
  if (!err) return;
  err->status = TSR_OK;
  err->message[0] = '\0';
  err->file[0] = '\0';
  err->line = 0;
  err->col = 0;
}

tsr_status tsr_error_vset(tsr_error *err, tsr_status status, const char *fmt, va_list ap) {
  if (!err) return status;
  err->status = status;
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  err->file[0] = '\0';
  err->line = 0;
  err->col = 0;
  return status;
}

tsr_status tsr_error_set(tsr_error *err, tsr_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tsr_error_vset(err, status, fmt, ap);
  va_end(ap);
  return status;
}

tsr_status tsr_error_set_at(tsr_error *err, tsr_status status, const char *file, int line, int col,
                            const char *fmt, ...) {
  if (!err) return status;
  va_list ap;
  va_start(ap, fmt);
  tsr_error_vset(err, status, fmt, ap);
  va_end(ap);
  snprintf(err->file, sizeof err->file, "%s", file ? file : "<input>");
  err->line = line;
  err->col = col;
  return status;
}

void tsr_error_prefix(tsr_error *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[TSR_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* Build "prefix: message" by hand: snprintf into a same-sized buffer
   * would warn about (intended) truncation. */
  char joined[TSR_ERROR_MESSAGE_MAX];
  size_t n = strlen(prefix);
  if (n > sizeof joined - 3) n = sizeof joined - 3;
  memcpy(joined, prefix, n);
  joined[n++] = ':';
  joined[n++] = ' ';
  size_t rest = strlen(err->message);
  if (rest > sizeof joined - 1 - n) rest = sizeof joined - 1 - n;
  memcpy(joined + n, err->message, rest);
  joined[n + rest] = '\0';
  memcpy(err->message, joined, sizeof joined);
}

const char *tsr_error_format(const tsr_error *err, char *buf, size_t size) {
  if (!buf || size == 0) return buf;
  if (!err) {
    snprintf(buf, size, "unknown error");
  } else if (err->line > 0 && err->col > 0) {
    snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->col, err->message);
  } else if (err->line > 0) {
    snprintf(buf, size, "%s:%d: %s", err->file, err->line, err->message);
  } else if (err->file[0]) {
    snprintf(buf, size, "%s: %s", err->file, err->message);
  } else {
    snprintf(buf, size, "%s", err->message[0] ? err->message : tsr_status_name(err->status));
  }
  return buf;
}

const char *tsr_status_name(tsr_status status) {
  switch (status) {
  case TSR_OK:
    return "ok";
  case TSR_ERR_INPUT:
    return "input error";
  case TSR_ERR_VALUE:
    return "invalid value";
  case TSR_ERR_IO:
    return "I/O error";
  case TSR_ERR_NOMEM:
    return "out of memory";
  case TSR_ERR_LIMIT:
    return "resource limit exceeded";
  case TSR_ERR_UNSUPPORTED:
    return "unsupported";
  case TSR_ERR_INTERNAL:
    return "internal error";
  }
  return "unknown status";
}
