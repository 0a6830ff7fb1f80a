/* Helpers of `tessera link` and `tessera net`: quantities with units,
 * machine loading, link and module lookup, formatting, and a hand-written
 * SVG line chart (plain text, no dependency). */
#include "netcli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- units */

typedef struct unit {
  const char *name;
  netcli_kind kind;
  double factor;
} unit;

static const unit units[] = {
    {"%", NETCLI_FRACTION, 0.01},      {"m", NETCLI_LENGTH, 1.0},
    {"km", NETCLI_LENGTH, 1e3},        {"cm", NETCLI_LENGTH, 1e-2},
    {"mm", NETCLI_LENGTH, 1e-3},       {"um", NETCLI_LENGTH, 1e-6},
    {"nm", NETCLI_LENGTH, 1e-9},       {"s", NETCLI_TIME, 1.0},
    {"ms", NETCLI_TIME, 1e-3},         {"us", NETCLI_TIME, 1e-6},
    {"ns", NETCLI_TIME, 1e-9},         {"ps", NETCLI_TIME, 1e-12},
    {"min", NETCLI_TIME, 60.0},        {"h", NETCLI_TIME, 3600.0},
    {"Hz", NETCLI_RATE, 1.0},          {"kHz", NETCLI_RATE, 1e3},
    {"MHz", NETCLI_RATE, 1e6},         {"GHz", NETCLI_RATE, 1e9},
    {"/s", NETCLI_RATE, 1.0},          {"dB/km", NETCLI_ATTENUATION, 1.0},
    {"dB/m", NETCLI_ATTENUATION, 1e3},
};

int netcli_parse_quantity(const char *text, netcli_kind kind, double *out) {
  if (!text) return -1;
  while (isspace((unsigned char)*text)) text++;
  if (!*text) return -1;
  errno = 0;
  char *end = NULL;
  double v = strtod(text, &end);
  if (end == text || errno == ERANGE || !isfinite(v)) return -1;
  while (isspace((unsigned char)*end)) end++;
  if (*end) {
    size_t len = strlen(end);
    while (len > 0 && isspace((unsigned char)end[len - 1])) len--;
    int found = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
      if (units[i].kind == kind && strlen(units[i].name) == len &&
          strncmp(units[i].name, end, len) == 0) {
        v *= units[i].factor;
        found = 1;
        break;
      }
    }
    if (!found) return -1;
  }
  if (kind == NETCLI_COUNT && (v < 0 || v != floor(v))) return -1;
  *out = v;
  return 0;
}

const char *netcli_unit(netcli_kind kind) {
  switch (kind) {
  case NETCLI_LENGTH:
    return "m";
  case NETCLI_TIME:
    return "s";
  case NETCLI_RATE:
    return "Hz";
  case NETCLI_ATTENUATION:
    return "dB/km";
  default:
    return "";
  }
}

/* ---------------------------------------------------------------- machines */

tsr_status netcli_load_machine(const char *path, tsr_arch **out, tsr_error *err) {
  if (!path) return tsr_arch_default(out, err);
  if (strcmp(path, "-") != 0) return tsr_arch_load_file(path, out, err);
  char *text = NULL;
  size_t len = 0;
  tsr_status st = tsr_read_stream(stdin, &text, &len, err);
  if (st != TSR_OK) return st;
  st = tsr_arch_load_string(text, len, "<stdin>", out, err);
  free(text);
  return st;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

int netcli_looks_like_file(const char *arg) {
  if (!arg) return 0;
  if (strcmp(arg, "-") == 0) return 1;
  if (ends_with(arg, ".yaml") || ends_with(arg, ".yml") || ends_with(arg, ".json")) return 1;
  struct stat sb;
  return stat(arg, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Levenshtein distance (short names only), for did-you-mean hints. */
static size_t edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 63 || m > 63) return 99;
  size_t d[64][64];
  for (size_t i = 0; i <= n; i++) d[i][0] = i;
  for (size_t j = 0; j <= m; j++) d[0][j] = j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      size_t x = d[i - 1][j] + 1, y = d[i][j - 1] + 1;
      d[i][j] = c < x ? (c < y ? c : y) : (x < y ? x : y);
    }
  return d[n][m];
}

long netcli_find_module(const tsr_arch *arch, const char *name, tsr_error *err) {
  int64_t i = tsr_arch_find_module(arch, name);
  if (i >= 0) return (long)i;
  const char *best = NULL;
  size_t bd = 99;
  for (size_t k = 0; k < arch->n_modules; k++) {
    size_t d = edit_distance(name, arch->modules[k].name);
    if (d < bd) {
      bd = d;
      best = arch->modules[k].name;
    }
  }
  if (best && bd <= 3)
    tsr_error_set(err, TSR_ERR_VALUE,
                  "machine '%s' has no module or node '%s' (did you mean '%s'?)", arch->name, name,
                  best);
  else
    tsr_error_set(err, TSR_ERR_VALUE, "machine '%s' has no module or node '%s'", arch->name, name);
  return -1;
}

static long link_between(const tsr_arch *a, int64_t x, int64_t y) {
  for (size_t i = 0; i < a->n_links; i++) {
    int64_t p = a->links[i].ends[0].module, q = a->links[i].ends[1].module;
    if ((p == x && q == y) || (p == y && q == x)) return (long)i;
  }
  return -1;
}

long netcli_find_link(const tsr_arch *arch, const char *spec, tsr_error *err) {
  if (!spec || !*spec) {
    tsr_error_set(err, TSR_ERR_VALUE, "empty link name");
    return -1;
  }
  char *end = NULL;
  errno = 0;
  unsigned long idx = strtoul(spec, &end, 10);
  if (!errno && *end == '\0' && isdigit((unsigned char)spec[0])) {
    if (idx < arch->n_links) return (long)idx;
    tsr_error_set(err, TSR_ERR_VALUE, "link %lu does not exist (the machine has %zu links: 0..%zu)",
                  idx, arch->n_links, arch->n_links ? arch->n_links - 1 : 0);
    return -1;
  }
  /* Try every split at a separator: names may themselves hold '-'. */
  size_t n = strlen(spec);
  char left[TSR_ARCH_NAME_MAX * 2 + 8];
  if (n >= sizeof left) {
    tsr_error_set(err, TSR_ERR_VALUE, "link name '%.40s...' is too long", spec);
    return -1;
  }
  static const char *const seps[] = {"--", ",", "-"};
  for (size_t s = 0; s < 3; s++) {
    size_t k = strlen(seps[s]);
    for (size_t i = 1; i + k < n; i++) {
      if (strncmp(spec + i, seps[s], k) != 0) continue;
      memcpy(left, spec, i);
      left[i] = '\0';
      int64_t x = tsr_arch_find_module(arch, left), y = tsr_arch_find_module(arch, spec + i + k);
      if (x < 0 || y < 0) continue;
      long l = link_between(arch, x, y);
      if (l >= 0) return l;
      tsr_error_set(err, TSR_ERR_VALUE, "no link joins '%s' and '%s'", left, spec + i + k);
      return -1;
    }
  }
  tsr_error_set(err, TSR_ERR_VALUE,
                "no link '%s' in machine '%s' (name a link by its index or as A--B; "
                "'tessera link' lists them)",
                spec, arch->name);
  return -1;
}

/* ---------------------------------------------------------------- format */

const char *netcli_fmt_time(double s, char *buf, size_t size) {
  return tsr_format_seconds(s, 3, buf, size);
}

const char *netcli_fmt_rate(double hz, char *buf, size_t size) {
  if (isnan(hz))
    snprintf(buf, size, "-");
  else if (hz >= 1e6)
    snprintf(buf, size, "%.3g MHz", hz / 1e6);
  else if (hz >= 1e3)
    snprintf(buf, size, "%.3g kHz", hz / 1e3);
  else
    snprintf(buf, size, "%.3g Hz", hz);
  return buf;
}

const char *netcli_fmt_length(double m, char *buf, size_t size) {
  if (m >= 1000.0)
    snprintf(buf, size, "%.4g km", m / 1000.0);
  else
    snprintf(buf, size, "%.4g m", m);
  return buf;
}

/* ---------------------------------------------------------------- SVG */

/* Ticks at 1, 2, 5 x 10^k covering [lo, hi]: about `want` of them. */
static double nice_step(double span, int want) {
  double raw = span / (want > 1 ? want : 1);
  double mag = pow(10.0, floor(log10(raw)));
  double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void svg_text(FILE *out, double x, double y, const char *anchor, const char *extra,
                     const char *text) {
  fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y, anchor,
          extra && *extra ? " " : "", extra ? extra : "");
  tsr_write_xml_escaped(out, text);
  fputs("</text>\n", out);
}

static void fmt_tick(double v, char *buf, size_t size) {
  if (v == 0)
    snprintf(buf, size, "0");
  else if (fabs(v) >= 1e5 || fabs(v) < 1e-3)
    snprintf(buf, size, "%.3g", v);
  else
    snprintf(buf, size, "%.6g", v);
}

void netcli_write_sweep_svg(FILE *out, const char *title, const char *x_label, const double *x,
                            const double *rate, const double *fidelity, size_t n) {
  const double W = 760, Hh = 460, ml = 90, mr = 80, mt = 50, mb = 70;
  const double pw = W - ml - mr, ph = Hh - mt - mb;
  double x0 = INFINITY, x1 = -INFINITY, r0 = INFINITY, r1 = -INFINITY, f0 = INFINITY,
         f1 = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) continue;
    x0 = fmin(x0, x[i]);
    x1 = fmax(x1, x[i]);
    if (isfinite(rate[i]) && rate[i] > 0) {
      r0 = fmin(r0, rate[i]);
      r1 = fmax(r1, rate[i]);
    }
    if (isfinite(fidelity[i])) {
      f0 = fmin(f0, fidelity[i]);
      f1 = fmax(f1, fidelity[i]);
    }
  }
  if (!(x1 > x0)) {
    x0 = isfinite(x0) ? x0 - 0.5 : 0;
    x1 = x0 + 1;
  }
  int rlog = isfinite(r0) && r1 / r0 > 100.0;
  if (!isfinite(r0)) {
    r0 = 0;
    r1 = 1;
  }
  double rl0, rl1; /* the rate axis range, in log10 when rlog */
  if (rlog) {
    rl0 = floor(log10(r0));
    rl1 = ceil(log10(r1));
  } else {
    double top = r1 > 0 ? r1 : 1;
    double step = nice_step(top, 5);
    rl0 = 0;
    rl1 = ceil(top / step) * step;
  }
  /* Fidelity axis: from a multiple of 0.05 below the data (at least down to
   * the fully mixed 0.25 when the data reach it) to 1. */
  if (!isfinite(f0)) {
    f0 = 0.25;
    f1 = 1;
  }
  double fa0 = floor(fmin(f0, 0.9) * 20.0) / 20.0, fa1 = 1.0;
  if (fa0 < 0) fa0 = 0;
  double xs = nice_step(x1 - x0, 6);
  /* Extend the x axis to whole ticks when that adds little. */
  double ex0 = floor(x0 / xs) * xs, ex1 = ceil(x1 / xs) * xs;
  if ((ex1 - ex0) <= 1.25 * (x1 - x0)) {
    x0 = ex0;
    x1 = ex1;
  }
  double fs = nice_step(fa1 - fa0, 5);
#define PX(v)  (ml + ((v)-x0) / (x1 - x0) * pw)
#define PYR(v) (mt + ph - ((rlog ? log10(v) : (v)) - rl0) / (rl1 - rl0) * ph)
#define PYF(v) (mt + ph - ((v)-fa0) / (fa1 - fa0) * ph)
  fprintf(out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"13\">\n"
          "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n",
          W, Hh, W, Hh, W, Hh);
  svg_text(out, W / 2, 28, "middle", "font-size=\"16\" font-weight=\"bold\"", title ? title : "");
  /* Grid and x ticks. */
  char buf[64];
  fprintf(out, "<g stroke=\"#dddddd\" stroke-width=\"1\">\n");
  for (double v = ceil(x0 / xs) * xs; v <= x1 + 1e-9 * xs; v += xs)
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", PX(v), mt, PX(v),
            mt + ph);
  for (double v = ceil(fa0 / fs - 1e-9) * fs; v <= fa1 + 1e-9; v += fs)
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", ml, PYF(v), ml + pw,
            PYF(v));
  fprintf(out, "</g>\n");
  fprintf(out,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
          "stroke=\"black\"/>\n",
          ml, mt, pw, ph);
  for (double v = ceil(x0 / xs) * xs; v <= x1 + 1e-9 * xs; v += xs) {
    double vv = fabs(v) < 1e-12 * xs ? 0 : v;
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
            PX(vv), mt + ph, PX(vv), mt + ph + 5);
    fmt_tick(vv, buf, sizeof buf);
    svg_text(out, PX(vv), mt + ph + 20, "middle", NULL, buf);
  }
  svg_text(out, ml + pw / 2, Hh - 22, "middle", NULL, x_label ? x_label : "");
  /* Left axis: rate. */
  if (rlog) {
    for (double k = rl0; k <= rl1 + 1e-9; k += 1) {
      double y = mt + ph - (k - rl0) / (rl1 - rl0) * ph;
      fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
              ml - 5, y, ml, y);
      snprintf(buf, sizeof buf, "1e%d", (int)k);
      svg_text(out, ml - 8, y + 4, "end", NULL, buf);
    }
  } else {
    double rs = nice_step(rl1 - rl0, 5);
    for (double v = rl0; v <= rl1 + 1e-9 * rs; v += rs) {
      double y = mt + ph - (v - rl0) / (rl1 - rl0) * ph;
      fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
              ml - 5, y, ml, y);
      fmt_tick(v, buf, sizeof buf);
      svg_text(out, ml - 8, y + 4, "end", NULL, buf);
    }
  }
  fprintf(out,
          "<text x=\"22\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#1f5fbf\" "
          "transform=\"rotate(-90 22 %.1f)\">rate (pairs/s%s)</text>\n",
          mt + ph / 2, mt + ph / 2, rlog ? ", log scale" : "");
  /* Right axis: fidelity. */
  for (double v = ceil(fa0 / fs - 1e-9) * fs; v <= fa1 + 1e-9; v += fs) {
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n",
            ml + pw, PYF(v), ml + pw + 5, PYF(v));
    snprintf(buf, sizeof buf, "%.2f", v);
    svg_text(out, ml + pw + 8, PYF(v) + 4, "start", NULL, buf);
  }
  fprintf(out,
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#c0392b\" "
          "transform=\"rotate(90 %.1f %.1f)\">fidelity</text>\n",
          W - 22, mt + ph / 2, W - 22, mt + ph / 2);
  /* The two lines, with a marker per point. */
  const char *colour[2] = {"#1f5fbf", "#c0392b"};
  for (int line = 0; line < 2; line++) {
    const double *y = line == 0 ? rate : fidelity;
    fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
            colour[line]);
    for (size_t i = 0; i < n; i++) {
      if (!isfinite(x[i]) || !isfinite(y[i]) || (line == 0 && rlog && !(y[i] > 0))) continue;
      fprintf(out, "%.2f,%.2f ", PX(x[i]), line == 0 ? PYR(y[i]) : PYF(y[i]));
    }
    fprintf(out, "\"/>\n");
    for (size_t i = 0; i < n && n <= 200; i++) {
      if (!isfinite(x[i]) || !isfinite(y[i]) || (line == 0 && rlog && !(y[i] > 0))) continue;
      fprintf(out, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\"/>\n", PX(x[i]),
              line == 0 ? PYR(y[i]) : PYF(y[i]), colour[line]);
    }
  }
  /* Legend. */
  double lx = ml + 12, ly = mt + 14;
  fprintf(out,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"120\" height=\"44\" fill=\"white\" "
          "stroke=\"#999999\"/>\n",
          lx - 6, ly - 10);
  for (int line = 0; line < 2; line++) {
    double y = ly + 4 + 18 * line;
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"2\"/>\n",
            lx, y, lx + 24, y, colour[line]);
    svg_text(out, lx + 30, y + 4, "start", NULL, line == 0 ? "rate" : "fidelity");
  }
  fprintf(out, "</svg>\n");
#undef PX
#undef PYR
#undef PYF
}
