/* Whole-file reading, text helpers (XML escaping, durations) and a
 * monotonic clock. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/core.h"

tsr_status tsr_read_stream(FILE *stream, char **out, size_t *len, tsr_error *err) {
  size_t cap = 1 << 16, n = 0;
  char *buf = tsr_malloc(cap, err);
  if (!buf) return TSR_ERR_NOMEM;
  for (;;) {
    if (cap - n < 2) {
      char *grown = tsr_realloc(buf, cap, 2, err);
      if (!grown) {
        free(buf);
        return TSR_ERR_NOMEM;
      }
      buf = grown;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, stream);
    n += got;
    if (got == 0) break;
  }
  if (ferror(stream)) {
    free(buf);
    return tsr_error_set(err, TSR_ERR_IO, "read error: %s", strerror(errno));
  }
  buf[n] = '\0';
  *out = buf;
  if (len) *len = n;
  return TSR_OK;
}

tsr_status tsr_read_file(const char *path, char **out, size_t *len, tsr_error *err) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    return tsr_error_set(err, TSR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  }
  tsr_status st = tsr_read_stream(f, out, len, err);
  fclose(f);
  if (st != TSR_OK) tsr_error_prefix(err, "%s", path);
  return st;
}

double tsr_wall_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tsr_write_xml_escaped(FILE *out, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '<':
      fputs("&lt;", out);
      break;
    case '>':
      fputs("&gt;", out);
      break;
    case '&':
      fputs("&amp;", out);
      break;
    case '"':
      fputs("&quot;", out);
      break;
    case '\'':
      fputs("&apos;", out);
      break;
    default:
      fputc(*s, out);
    }
  }
}

const char *tsr_format_seconds(double s, int digits, char *buf, size_t size) {
  static const struct {
    double at_least, scale;
    const char *unit;
  } units[] = {{3600.0, 1.0 / 3600.0, "h"},
               {1.0, 1.0, "s"},
               {1e-3, 1e3, "ms"},
               {1e-6, 1e6, "us"},
               {0.0, 1e9, "ns"}};
  double a = fabs(s);
  if (isnan(s)) {
    snprintf(buf, size, "-");
  } else if (isinf(s)) {
    snprintf(buf, size, s > 0 ? "inf" : "-inf");
  } else if (a == 0.0) {
    snprintf(buf, size, "0");
  } else {
    size_t u = 0;
    while (a < units[u].at_least) u++;
    snprintf(buf, size, "%.*g %s", digits, s * units[u].scale, units[u].unit);
  }
  return buf;
}
