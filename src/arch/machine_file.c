/* Machine files: YAML (docs/machine-file.md, key by key) and pytket-dqc
 * network JSON, read into a tsr_arch.
 *
 * The file becomes a positioned tree (yaml_tree.c); this file walks it with
 * the schema in hand: every mapping's keys are checked against the keys it
 * may hold (unknown ones get a did-you-mean), every value against its type
 * and quantity (numbers may carry units: "970 us", "5 km", "1550 nm",
 * "0.2 dB/km", "1 kHz", "99.5 %"; a bare number is in SI units), every
 * probability-like number against [0, 1] and every length, time or rate
 * against >= 0, as it is read. Rules that join several fields (T2 <= 2*T1,
 * communication qubits <= qubits, matching wavelengths at a station, unique
 * names) are the arch's own checks (tsr_arch_check_module/_link in arch.c),
 * run on each module and link as soon as it is built; the loader remembers
 * which node set which field so those errors point into the file too. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arch_internal.h"
#include "yaml_tree.h"

/* ----------------------------------------------------------------- loader */

#define MAX_LOCS 96

typedef struct loc {
  const char *path; /* static string: "gate_2q.fidelity", "coherence", ... */
  const tsr_yaml_node *node;
} loc;

typedef struct loader {
  const char *file;
  tsr_error *err;
  tsr_arch *arch;
  char who[2 * TSR_ARCH_NAME_MAX + 32]; /* "module 'ion1'", "link ion1 -- hub", "" */
  loc locs[MAX_LOCS];
  size_t n_locs;
  const tsr_yaml_node *entry; /* mapping of the module or link being read */
} loader;

static void remember(loader *L, const char *path, const tsr_yaml_node *n) {
  if (L->n_locs < MAX_LOCS && n) {
    L->locs[L->n_locs].path = path;
    L->locs[L->n_locs].node = n;
    L->n_locs++;
  }
}

static const tsr_yaml_node *recall(const loader *L, const char *path) {
  for (size_t i = L->n_locs; i-- > 0;) {
    if (strcmp(L->locs[i].path, path) == 0) return L->locs[i].node;
  }
  return NULL;
}

/* Where a cross-field problem with this key should point: the key's node,
 * else its group's, else the qubit count, the preset or a link's ends, else
 * the entry itself. */
static const tsr_yaml_node *locate(const loader *L, const char *field) {
  const tsr_yaml_node *n = field && *field ? recall(L, field) : NULL;
  if (!n && field) {
    const char *dot = strchr(field, '.');
    if (dot) {
      char group[64];
      size_t len =
          (size_t)(dot - field) < sizeof group - 1 ? (size_t)(dot - field) : sizeof group - 1;
      memcpy(group, field, len);
      group[len] = '\0';
      n = recall(L, group);
    }
  }
  if (!n) n = recall(L, "qubits");
  if (!n) n = recall(L, "preset");
  if (!n) n = recall(L, "between");
  if (!n) n = L->entry;
  return n;
}

__attribute__((format(printf, 3, 4))) static tsr_status fail(loader *L, const tsr_yaml_node *n,
                                                             const char *fmt, ...) {
  char msg[TSR_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  int line = n ? n->line : 1, col = n ? n->col : 1;
  if (L->who[0]) {
    return tsr_error_set_at(L->err, TSR_ERR_INPUT, L->file, line, col, "%s: %s", L->who, msg);
  }
  return tsr_error_set_at(L->err, TSR_ERR_INPUT, L->file, line, col, "%s", msg);
}

static const char *describe(const tsr_yaml_node *n, char *buf, size_t size) {
  if (!n) return "nothing";
  switch (n->kind) {
  case TSR_YAML_MAP:
    return "a mapping";
  case TSR_YAML_SEQ:
    return "a list";
  default:
    if (tsr_yaml_is_null(n)) return "nothing (null)";
    snprintf(buf, size, "%s'%.40s%s'", n->plain ? "" : "the string ", n->text,
             n->len > 40 ? "..." : "");
    return buf;
  }
}

static tsr_status wrong_type(loader *L, const tsr_yaml_node *n, const char *path,
                             const char *expected) {
  char buf[80];
  return fail(L, n, "%s: expected %s, got %s", path, expected, describe(n, buf, sizeof buf));
}

/* Every key of map must be a scalar among allowed[]; context names the
 * mapping in messages ("" for the top level). */
static tsr_status check_keys(loader *L, const tsr_yaml_node *map, const char *const *allowed,
                             size_t n_allowed, const char *context) {
  for (size_t i = 0; i < map->n; i++) {
    const tsr_yaml_node *k = map->keys[i];
    if (k->kind != TSR_YAML_SCALAR) {
      return fail(L, k, "keys must be plain names, not %s",
                  k->kind == TSR_YAML_MAP ? "mappings" : "lists");
    }
    int ok = 0;
    for (size_t a = 0; a < n_allowed && !ok; a++) ok = strcmp(k->text, allowed[a]) == 0;
    if (ok) continue;
    const char *hint = tsr_arch_suggest(k->text, allowed, n_allowed);
    char in[96] = "";
    if (context && *context) snprintf(in, sizeof in, " in %s", context);
    if (hint) {
      return fail(L, k, "unknown key '%.60s'%s (did you mean '%s'?)", k->text, in, hint);
    }
    char list[320] = "";
    size_t used = 0;
    for (size_t a = 0; a < n_allowed && used + 2 < sizeof list; a++) {
      int w = snprintf(list + used, sizeof list - used, "%s%s", a ? ", " : "", allowed[a]);
      if (w < 0) break;
      used += (size_t)w;
    }
    return fail(L, k, "unknown key '%.60s'%s (expected one of: %s)", k->text, in, list);
  }
  return TSR_OK;
}

static tsr_status expect_map(loader *L, const tsr_yaml_node *n, const char *path) {
  if (n->kind == TSR_YAML_MAP) return TSR_OK;
  return wrong_type(L, n, path, "a mapping");
}

static tsr_status expect_seq(loader *L, const tsr_yaml_node *n, const char *path) {
  if (n->kind == TSR_YAML_SEQ) return TSR_OK;
  return wrong_type(L, n, path, "a list");
}

/* A string value: any non-null scalar without NUL bytes. */
static tsr_status get_string(loader *L, const tsr_yaml_node *n, const char *path, char *buf,
                             size_t size) {
  if (n->kind != TSR_YAML_SCALAR || tsr_yaml_is_null(n)) return wrong_type(L, n, path, "a name");
  if (strlen(n->text) != n->len) return fail(L, n, "%s: contains a NUL character", path);
  if (n->len >= size) {
    return fail(L, n, "%s: '%.20s...' is longer than %zu characters", path, n->text, size - 1);
  }
  memcpy(buf, n->text, n->len + 1);
  return TSR_OK;
}

/* ---------------------------------------------------------------- numbers */

typedef enum quantity {
  Q_FRACTION,     /* [0, 1], accepts % */
  Q_TIME,         /* >= 0 s, finite */
  Q_TIME_POS,     /* > 0 s, infinity allowed (coherence) */
  Q_TIME_POS_FIN, /* > 0 s, finite */
  Q_LENGTH,       /* >= 0 m, finite */
  Q_WAVELENGTH,   /* > 0 m, finite */
  Q_RATE,         /* >= 0 Hz, finite */
  Q_ATTENUATION,  /* >= 0 dB/km, finite */
  Q_COUNT         /* >= 0, dimensionless, finite */
} quantity;

typedef struct unit {
  const char *name;
  double scale;
} unit;

static const unit time_units[] = {{"s", 1},     {"ms", 1e-3},  {"us", 1e-6}, {"\xC2\xB5s", 1e-6},
                                  {"ns", 1e-9}, {"ps", 1e-12}, {"min", 60},  {"h", 3600},
                                  {NULL, 0}};
static const unit length_units[] = {{"m", 1},     {"km", 1e3},         {"cm", 1e-2}, {"mm", 1e-3},
                                    {"um", 1e-6}, {"\xC2\xB5m", 1e-6}, {"nm", 1e-9}, {NULL, 0}};
static const unit rate_units[] = {{"Hz", 1},    {"kHz", 1e3}, {"MHz", 1e6},
                                  {"GHz", 1e9}, {"/s", 1},    {NULL, 0}};
static const unit attenuation_units[] = {{"dB/km", 1}, {"dB/m", 1e3}, {NULL, 0}};
static const unit fraction_units[] = {{"%", 1e-2}, {NULL, 0}};
static const unit no_units[] = {{NULL, 0}};

static const unit *units_of(quantity q, const char **what) {
  switch (q) {
  case Q_FRACTION:
    *what = "a number in [0, 1]";
    return fraction_units;
  case Q_TIME:
  case Q_TIME_POS:
  case Q_TIME_POS_FIN:
    *what = "a time";
    return time_units;
  case Q_LENGTH:
    *what = "a length";
    return length_units;
  case Q_WAVELENGTH:
    *what = "a wavelength";
    return length_units;
  case Q_RATE:
    *what = "a rate";
    return rate_units;
  case Q_ATTENUATION:
    *what = "an attenuation";
    return attenuation_units;
  default:
    *what = "a number";
    return no_units;
  }
}

static int parse_plain_double(const char *s, double *out, const char **rest) {
  const char *p = s;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  /* YAML spellings of infinity; NaN is never a physical value here. */
  static const char *const infs[] = {".inf", ".Inf", ".INF", "inf", "Inf", "infinity", "Infinity"};
  for (size_t i = 0; i < sizeof infs / sizeof infs[0]; i++) {
    size_t n = strlen(infs[i]);
    if (strncmp(p, infs[i], n) == 0 && !isalpha((unsigned char)p[n])) {
      *out = neg ? -INFINITY : INFINITY;
      *rest = p + n;
      return 0;
    }
  }
  if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1]))) return -1;
  /* Decimal only: digits, one point, an exponent. */
  const char *q = p;
  while (isdigit((unsigned char)*q)) q++;
  if (*q == '.') {
    q++;
    while (isdigit((unsigned char)*q)) q++;
  }
  if ((*q == 'e' || *q == 'E') &&
      (isdigit((unsigned char)q[1]) ||
       ((q[1] == '+' || q[1] == '-') && isdigit((unsigned char)q[2])))) {
    q += 2;
    while (isdigit((unsigned char)*q)) q++;
  }
  char buf[64];
  size_t n = (size_t)(q - p);
  if (n >= sizeof buf) return -1;
  memcpy(buf, p, n);
  buf[n] = '\0';
  errno = 0;
  double v = strtod(buf, NULL);
  if (errno == ERANGE && isinf(v)) return -1;
  *out = neg ? -v : v;
  *rest = q;
  return 0;
}

/* Reads a number with an optional unit and checks it against its quantity's
 * range. */
static tsr_status get_number(loader *L, const tsr_yaml_node *n, const char *path, quantity q,
                             double *out) {
  const char *what;
  const unit *units = units_of(q, &what);
  if (n->kind != TSR_YAML_SCALAR || !n->plain || tsr_yaml_is_null(n)) {
    return wrong_type(L, n, path, what);
  }
  double v;
  const char *rest;
  if (parse_plain_double(n->text, &v, &rest) != 0) return wrong_type(L, n, path, what);
  while (*rest == ' ') rest++;
  if (*rest) {
    const unit *u = units;
    while (u->name && strcmp(u->name, rest) != 0) u++;
    if (!u->name) {
      char list[128] = "";
      size_t used = 0;
      for (const unit *k = units; k->name && used + 2 < sizeof list; k++) {
        if (strncmp(k->name, "\xC2\xB5", 2) == 0) continue;
        int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", k->name);
        if (w < 0) break;
        used += (size_t)w;
      }
      if (!units->name)
        return fail(L, n, "%s: expected a plain number, got '%.40s'", path, n->text);
      return fail(L, n, "%s: '%.40s' is not %s (units: %s)", path, n->text, what, list);
    }
    v *= u->scale;
  }
  if (isnan(v)) return wrong_type(L, n, path, what);
  const char *text = n->text;
  switch (q) {
  case Q_FRACTION:
    if (!(v >= 0 && v <= 1)) return fail(L, n, "%s = %.40s is outside [0, 1]", path, text);
    break;
  case Q_TIME_POS:
    if (!(v > 0)) return fail(L, n, "%s = %.40s must be positive", path, text);
    break;
  case Q_TIME_POS_FIN:
    if (!(v > 0) || isinf(v))
      return fail(L, n, "%s = %.40s must be positive and finite", path, text);
    break;
  case Q_WAVELENGTH:
    if (!(v > 0) || isinf(v)) return fail(L, n, "%s = %.40s must be positive", path, text);
    if (v > 1e-3) {
      return fail(L, n, "%s = %.40s is not an optical wavelength (write units, e.g. 1550 nm)", path,
                  text);
    }
    break;
  default: {
    const char *noun = q == Q_LENGTH        ? "length"
                       : q == Q_RATE        ? "rate"
                       : q == Q_TIME        ? "time"
                       : q == Q_ATTENUATION ? "attenuation"
                                            : "count";
    if (v < 0) return fail(L, n, "%s = %.40s: a %s cannot be negative", path, text, noun);
    if (isinf(v)) return fail(L, n, "%s = %.40s: a %s must be finite", path, text, noun);
  }
  }
  *out = v;
  return TSR_OK;
}

/* A whole number in [lo, hi]. */
static tsr_status get_uint(loader *L, const tsr_yaml_node *n, const char *path, uint32_t lo,
                           uint32_t hi, uint32_t *out) {
  if (n->kind != TSR_YAML_SCALAR || !n->plain || tsr_yaml_is_null(n)) {
    return wrong_type(L, n, path, "a whole number");
  }
  const char *p = n->text;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  if (!isdigit((unsigned char)*p)) return wrong_type(L, n, path, "a whole number");
  uint64_t v = 0;
  for (; isdigit((unsigned char)*p); p++) {
    v = v * 10 + (uint64_t)(*p - '0');
    if (v > (uint64_t)UINT32_MAX * 10) v = (uint64_t)UINT32_MAX * 10; /* saturate */
  }
  if (*p) return wrong_type(L, n, path, "a whole number");
  if (neg && v > 0) return fail(L, n, "%s = -%" PRIu64 " cannot be negative", path, v);
  if (v < lo || v > hi) {
    return fail(L, n, "%s = %" PRIu64 " must be between %" PRIu32 " and %" PRIu32, path, v, lo, hi);
  }
  *out = (uint32_t)v;
  return TSR_OK;
}

/* ------------------------------------------------------------- native gates */

/* Gate names a module may list: the circuit layer's catalogue (by OpenQASM
 * spelling) less its 3+ qubit gates; the compiler maps them to gate kinds. */
static const char *const known_gates[] = {
    "id",  "x",  "y",   "z",    "h",     "s",   "sdg", "t",   "tdg", "sx",   "sxdg", "rx",
    "ry",  "rz", "p",   "u1",   "u2",    "u3",  "u",   "r",   "gpi", "gpi2", "cx",   "cy",
    "cz",  "ch", "csx", "swap", "iswap", "dcx", "ecr", "crx", "cry", "crz",  "cp",   "cu1",
    "cu3", "cu", "rxx", "ryy",  "rzz",   "rzx", "ms",  "zz",  "gr"};
#define N_KNOWN_GATES (sizeof known_gates / sizeof known_gates[0])

static tsr_status read_native_gates(loader *L, const tsr_yaml_node *n, tsr_module_params *p) {
  tsr_status st = expect_seq(L, n, "native_gates");
  if (st != TSR_OK) return st;
  if (n->n == 0) return fail(L, n, "native_gates: the list is empty");
  if (n->n > TSR_ARCH_MAX_NATIVE_GATES) {
    return fail(L, n, "native_gates: more than %d gates", TSR_ARCH_MAX_NATIVE_GATES);
  }
  for (size_t i = 0; i < n->n; i++) {
    const tsr_yaml_node *g = n->values[i];
    char name[TSR_ARCH_GATE_NAME_MAX];
    if (g->kind != TSR_YAML_SCALAR || tsr_yaml_is_null(g)) {
      return wrong_type(L, g, "native_gates", "a gate name");
    }
    int known = 0;
    for (size_t k = 0; k < N_KNOWN_GATES && !known; k++)
      known = strcmp(g->text, known_gates[k]) == 0;
    if (!known) {
      const char *hint = tsr_arch_suggest(g->text, known_gates, N_KNOWN_GATES);
      if (hint)
        return fail(L, g, "native_gates: unknown gate '%.30s' (did you mean '%s'?)", g->text, hint);
      return fail(L, g, "native_gates: unknown gate '%.30s' (docs/machine-file.md lists the names)",
                  g->text);
    }
    snprintf(name, sizeof name, "%s", g->text);
    for (size_t j = 0; j < i; j++) {
      if (strcmp(p->native_gates[j], name) == 0) {
        return fail(L, g, "native_gates: '%s' is listed twice", name);
      }
    }
    memcpy(p->native_gates[i], name, sizeof name);
  }
  p->n_native_gates = (uint32_t)n->n;
  return TSR_OK;
}

/* ------------------------------------------------------------------ modules */

static const char *const module_keys[] = {
    "name",    "preset", "modality",  "qubits",       "native_gates",  "gate_1q", "gate_2q",
    "readout", "reset",  "coherence", "connectivity", "communication", "photon"};
static const char *const op_keys[] = {"fidelity", "error", "duration"};
static const char *const coherence_keys[] = {"t1", "t2"};
static const char *const connectivity_keys[] = {"kind", "rows", "cols", "move_time"};
static const char *const communication_keys[] = {"qubits", "t1", "t2"};
static const char *const photon_keys[] = {"wavelength",
                                          "emission_probability",
                                          "emission_time",
                                          "collection_efficiency",
                                          "numerical_aperture",
                                          "transducer",
                                          "g2",
                                          "cavity"};
static const char *const transducer_keys[] = {"efficiency", "noise_photons"};
static const char *const cavity_keys[] = {"cooperativity", "in_coupling", "reflectivity",
                                          "fidelity"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct op_group {
  const char *key, *fidelity, *error, *duration;
  tsr_param_group group;
} op_group;

static const op_group op_groups[] = {
    {"gate_1q", "gate_1q.fidelity", "gate_1q.error", "gate_1q.duration", TSR_PARAM_GATE_1Q},
    {"gate_2q", "gate_2q.fidelity", "gate_2q.error", "gate_2q.duration", TSR_PARAM_GATE_2Q},
    {"readout", "readout.fidelity", "readout.error", "readout.duration", TSR_PARAM_READOUT},
    {"reset", "reset.fidelity", "reset.error", "reset.duration", TSR_PARAM_RESET},
};

static tsr_op_params *op_field(tsr_module_params *p, tsr_param_group g) {
  switch (g) {
  case TSR_PARAM_GATE_1Q:
    return &p->gate_1q;
  case TSR_PARAM_GATE_2Q:
    return &p->gate_2q;
  case TSR_PARAM_READOUT:
    return &p->readout;
  default:
    return &p->reset;
  }
}

static tsr_status read_op(loader *L, const tsr_yaml_node *n, const op_group *g, tsr_op_params *op) {
  tsr_status st = expect_map(L, n, g->key);
  if (st == TSR_OK) st = check_keys(L, n, op_keys, COUNT(op_keys), g->key);
  if (st != TSR_OK) return st;
  const tsr_yaml_node *f = tsr_yaml_get(n, "fidelity"), *e = tsr_yaml_get(n, "error");
  const tsr_yaml_node *d = tsr_yaml_get(n, "duration");
  if (f && e) {
    return fail(L, tsr_yaml_get_key(n, "error"), "%s: give fidelity or error, not both", g->key);
  }
  if (f) {
    st = get_number(L, f, g->fidelity, Q_FRACTION, &op->fidelity);
    remember(L, g->fidelity, f);
  }
  if (e && st == TSR_OK) {
    double err_rate;
    st = get_number(L, e, g->error, Q_FRACTION, &err_rate);
    op->fidelity = 1.0 - err_rate;
    remember(L, g->fidelity, e);
  }
  if (d && st == TSR_OK) {
    st = get_number(L, d, g->duration, Q_TIME, &op->duration_s);
    remember(L, g->duration, d);
  }
  return st;
}

/* Reads t1/t2 from a coherence or communication mapping; *given gets 1 when
 * either was present. */
static tsr_status read_t1_t2(loader *L, const tsr_yaml_node *n, const char *t1_path,
                             const char *t2_path, tsr_coherence *c, int *given) {
  const tsr_yaml_node *t1 = tsr_yaml_get(n, "t1"), *t2 = tsr_yaml_get(n, "t2");
  tsr_status st = TSR_OK;
  if (t1) {
    st = get_number(L, t1, t1_path, Q_TIME_POS, &c->t1_s);
    remember(L, t1_path, t1);
  }
  if (t2 && st == TSR_OK) {
    st = get_number(L, t2, t2_path, Q_TIME_POS, &c->t2_s);
    remember(L, t2_path, t2);
  }
  if (given) *given = t1 || t2;
  return st;
}

static tsr_status read_connectivity(loader *L, const tsr_yaml_node *n, tsr_module_params *p,
                                    uint32_t qubits_for_grid) {
  tsr_connectivity c = p->connectivity;
  const tsr_yaml_node *kind_node = n->kind == TSR_YAML_SCALAR ? n : tsr_yaml_get(n, "kind");
  tsr_status st = TSR_OK;
  if (n->kind == TSR_YAML_SEQ) return wrong_type(L, n, "connectivity", "a kind or a mapping");
  if (n->kind == TSR_YAML_MAP) {
    st = check_keys(L, n, connectivity_keys, COUNT(connectivity_keys), "connectivity");
    if (st != TSR_OK) return st;
  }
  if (kind_node) {
    char name[32];
    st = get_string(L, kind_node, "connectivity.kind", name, sizeof name);
    if (st != TSR_OK) return st;
    tsr_topology t;
    if (tsr_topology_lookup(name, &t) != 0) {
      const char *hint =
          tsr_arch_suggest(name,
                           (const char *const[]){"all-to-all", "line", "ring", "grid", "heavy-hex",
                                                 "star", "reconfigurable"},
                           TSR_TOPOLOGY_COUNT);
      if (hint)
        return fail(L, kind_node, "connectivity: unknown kind '%s' (did you mean '%s'?)", name,
                    hint);
      return fail(L, kind_node,
                  "connectivity: unknown kind '%s' (all-to-all, line, ring, grid, heavy-hex, star, "
                  "reconfigurable)",
                  name);
    }
    if (t != c.kind) {
      c.rows = c.cols = 0;
      c.move_time_s = 0;
    }
    c.kind = t;
    remember(L, "connectivity.kind", kind_node);
  }
  const tsr_yaml_node *rows = tsr_yaml_get(n, "rows"), *cols = tsr_yaml_get(n, "cols");
  const tsr_yaml_node *move = tsr_yaml_get(n, "move_time");
  int lattice = c.kind == TSR_TOPOLOGY_GRID || c.kind == TSR_TOPOLOGY_HEAVY_HEX;
  if ((rows || cols) && !lattice) {
    return fail(L, tsr_yaml_get_key(n, rows ? "rows" : "cols"),
                "connectivity: rows and cols apply to grid and heavy-hex, "
                "not %s",
                tsr_topology_name(c.kind));
  }
  if (move && c.kind != TSR_TOPOLOGY_RECONFIGURABLE) {
    return fail(L, tsr_yaml_get_key(n, "move_time"),
                "connectivity: move_time applies to reconfigurable, not %s",
                tsr_topology_name(c.kind));
  }
  uint32_t v;
  if (rows) {
    if ((st = get_uint(L, rows, "connectivity.rows", 1, 100000, &v)) != TSR_OK) return st;
    c.rows = (int)v;
    remember(L, "connectivity.rows", rows);
  }
  if (cols) {
    if ((st = get_uint(L, cols, "connectivity.cols", 1, 100000, &v)) != TSR_OK) return st;
    c.cols = (int)v;
    remember(L, "connectivity.cols", cols);
  }
  if (move) {
    if ((st = get_number(L, move, "connectivity.move_time", Q_TIME, &c.move_time_s)) != TSR_OK) {
      return st;
    }
    remember(L, "connectivity.move_time", move);
  }
  if (c.kind == TSR_TOPOLOGY_GRID && c.rows == 0 && c.cols == 0 && qubits_for_grid > 0) {
    /* The most square grid that holds the qubits. */
    uint32_t r = (uint32_t)floor(sqrt((double)qubits_for_grid));
    if (r < 1) r = 1;
    c.rows = (int)r;
    c.cols = (int)((qubits_for_grid + r - 1) / r);
  }
  if (lattice && (c.rows == 0 || c.cols == 0)) {
    return fail(L, n, "connectivity: missing required field '%s' for %s",
                c.rows == 0 ? "rows" : "cols", tsr_topology_name(c.kind));
  }
  p->connectivity = c;
  return TSR_OK;
}

/* photon.cavity: {cooperativity, in_coupling} (the link model derives the
 * reflectivity and fidelity) or {reflectivity, fidelity}; null removes it. */
static tsr_status read_cavity(loader *L, const tsr_yaml_node *c, tsr_photon_interface *ph) {
  if (!c) return TSR_OK;
  if (tsr_yaml_is_null(c)) {
    ph->has_cavity = 0;
    ph->cavity_cooperativity = ph->cavity_in_coupling = 0;
    ph->cavity_reflectivity = ph->cavity_fidelity = 0;
    return TSR_OK;
  }
  tsr_status st = expect_map(L, c, "photon.cavity");
  if (st == TSR_OK) st = check_keys(L, c, cavity_keys, COUNT(cavity_keys), "photon.cavity");
  if (st != TSR_OK) return st;
  const tsr_yaml_node *coop = tsr_yaml_get(c, "cooperativity"),
                      *in = tsr_yaml_get(c, "in_coupling"), *r = tsr_yaml_get(c, "reflectivity"),
                      *f = tsr_yaml_get(c, "fidelity");
  if (coop && (r || f)) {
    return fail(L, tsr_yaml_get_key(c, r ? "reflectivity" : "fidelity"),
                "photon.cavity: give cooperativity (and in_coupling) or reflectivity and "
                "fidelity, not both");
  }
  if ((coop != NULL) != (in != NULL)) {
    return fail(L, c, "photon.cavity: missing required field '%s'",
                coop ? "in_coupling" : "cooperativity");
  }
  ph->has_cavity = 1;
  if (coop) {
    if ((st = get_number(L, coop, "photon.cavity.cooperativity", Q_COUNT,
                         &ph->cavity_cooperativity)) != TSR_OK)
      return st;
    remember(L, "photon.cavity.cooperativity", coop);
    if ((st = get_number(L, in, "photon.cavity.in_coupling", Q_FRACTION,
                         &ph->cavity_in_coupling)) != TSR_OK)
      return st;
    remember(L, "photon.cavity.in_coupling", in);
    ph->cavity_reflectivity = ph->cavity_fidelity = NAN;
    return TSR_OK;
  }
  ph->cavity_cooperativity = NAN;
  ph->cavity_in_coupling = NAN;
  ph->cavity_reflectivity = ph->cavity_fidelity = 1.0;
  if (r) {
    if ((st = get_number(L, r, "photon.cavity.reflectivity", Q_FRACTION,
                         &ph->cavity_reflectivity)) != TSR_OK)
      return st;
    remember(L, "photon.cavity.reflectivity", r);
  }
  if (f) {
    if ((st = get_number(L, f, "photon.cavity.fidelity", Q_FRACTION, &ph->cavity_fidelity)) !=
        TSR_OK)
      return st;
    remember(L, "photon.cavity.fidelity", f);
  }
  return TSR_OK;
}

static tsr_status read_photon(loader *L, const tsr_yaml_node *n, tsr_photon_interface *ph) {
  tsr_status st = expect_map(L, n, "photon");
  if (st == TSR_OK) st = check_keys(L, n, photon_keys, COUNT(photon_keys), "photon");
  if (st != TSR_OK) return st;
  static const struct {
    const char *key, *path;
    quantity q;
    size_t offset;
  } fields[] = {
      {"wavelength", "photon.wavelength", Q_WAVELENGTH,
       offsetof(tsr_photon_interface, wavelength_m)},
      {"emission_probability", "photon.emission_probability", Q_FRACTION,
       offsetof(tsr_photon_interface, emission_probability)},
      {"emission_time", "photon.emission_time", Q_TIME,
       offsetof(tsr_photon_interface, emission_time_s)},
      {"collection_efficiency", "photon.collection_efficiency", Q_FRACTION,
       offsetof(tsr_photon_interface, collection_efficiency)},
      {"numerical_aperture", "photon.numerical_aperture", Q_FRACTION,
       offsetof(tsr_photon_interface, numerical_aperture)},
      {"g2", "photon.g2", Q_FRACTION, offsetof(tsr_photon_interface, g2)},
  };
  for (size_t i = 0; i < COUNT(fields); i++) {
    const tsr_yaml_node *v = tsr_yaml_get(n, fields[i].key);
    if (!v) continue;
    st = get_number(L, v, fields[i].path, fields[i].q, (double *)((char *)ph + fields[i].offset));
    if (st != TSR_OK) return st;
    remember(L, fields[i].path, v);
  }
  const tsr_yaml_node *na = tsr_yaml_get(n, "numerical_aperture");
  if (na && !tsr_yaml_get(n, "collection_efficiency")) {
    ph->collection_efficiency = tsr_collection_from_na(ph->numerical_aperture);
  }
  if ((st = read_cavity(L, tsr_yaml_get(n, "cavity"), ph)) != TSR_OK) return st;
  const tsr_yaml_node *t = tsr_yaml_get(n, "transducer");
  if (t) {
    if (tsr_yaml_is_null(t)) {
      ph->has_transducer = 0;
      ph->transducer_efficiency = ph->transducer_noise_photons = 0;
      return TSR_OK;
    }
    if ((st = expect_map(L, t, "photon.transducer")) != TSR_OK) return st;
    st = check_keys(L, t, transducer_keys, COUNT(transducer_keys), "photon.transducer");
    if (st != TSR_OK) return st;
    const tsr_yaml_node *e = tsr_yaml_get(t, "efficiency"),
                        *noise = tsr_yaml_get(t, "noise_photons");
    if (!ph->has_transducer && !e) {
      return fail(L, t, "photon.transducer: missing required field 'efficiency'");
    }
    ph->has_transducer = 1;
    if (e) {
      st = get_number(L, e, "photon.transducer.efficiency", Q_FRACTION, &ph->transducer_efficiency);
      if (st != TSR_OK) return st;
      remember(L, "photon.transducer.efficiency", e);
    }
    if (noise) {
      st = get_number(L, noise, "photon.transducer.noise_photons", Q_COUNT,
                      &ph->transducer_noise_photons);
      if (st != TSR_OK) return st;
      remember(L, "photon.transducer.noise_photons", noise);
    }
  }
  return TSR_OK;
}

static tsr_status fail_problem(loader *L, const tsr_arch_problem *p) {
  const tsr_yaml_node *at = locate(L, p->field);
  L->who[0] = '\0';
  return fail(L, at, "%s", p->message);
}

/* Names of the presets, for did-you-mean (names holds up to cap). */
static size_t preset_names(const char **names, size_t cap) {
  size_t k = tsr_preset_count();
  if (k > cap) k = cap;
  for (size_t i = 0; i < k; i++) names[i] = tsr_preset_at(i)->name;
  return k;
}

static tsr_status read_module(loader *L, const tsr_yaml_node *n, size_t ordinal,
                              tsr_module_role role) {
  const char *kind = role == TSR_ROLE_COMPUTE ? "module" : "node";
  L->n_locs = 0;
  L->entry = n;
  snprintf(L->who, sizeof L->who, "%s %zu", kind, ordinal + 1);
  tsr_status st = expect_map(L, n, role == TSR_ROLE_COMPUTE ? "modules entry" : "nodes entry");
  if (st == TSR_OK) st = check_keys(L, n, module_keys, COUNT(module_keys), "");
  if (st != TSR_OK) return st;

  char name[TSR_ARCH_NAME_MAX];
  const tsr_yaml_node *name_node = tsr_yaml_get(n, "name");
  if (!name_node) return fail(L, n, "missing required field 'name'");
  if ((st = get_string(L, name_node, "name", name, sizeof name)) != TSR_OK) return st;
  remember(L, "name", name_node);
  snprintf(L->who, sizeof L->who, "%s '%s'", kind, name);
  int64_t prev = tsr_arch_find_module(L->arch, name);
  if (prev >= 0) {
    L->who[0] = '\0';
    return fail(L, name_node, "duplicate module name '%s' (first defined at line %d)", name,
                L->arch->modules[prev].line);
  }

  const tsr_preset *preset = NULL;
  const tsr_yaml_node *preset_node = tsr_yaml_get(n, "preset");
  if (preset_node) {
    char pname[TSR_ARCH_NAME_MAX];
    if ((st = get_string(L, preset_node, "preset", pname, sizeof pname)) != TSR_OK) return st;
    preset = tsr_preset_find(pname);
    if (!preset) {
      const char *names[64];
      size_t np = preset_names(names, 64);
      const char *hint = tsr_arch_suggest(pname, names, np);
      if (hint)
        return fail(L, preset_node, "unknown preset '%s' (did you mean '%s'?)", pname, hint);
      return fail(L, preset_node, "unknown preset '%s' (see 'tessera arch --presets')", pname);
    }
    remember(L, "preset", preset_node);
  }
  const tsr_yaml_node *modality_node = tsr_yaml_get(n, "modality");
  tsr_modality modality = TSR_MODALITY_IDEAL;
  if (modality_node) {
    char mname[32];
    if ((st = get_string(L, modality_node, "modality", mname, sizeof mname)) != TSR_OK) return st;
    if (tsr_modality_lookup(mname, &modality) != 0) {
      const char *hint =
          tsr_arch_suggest(mname,
                           (const char *const[]){"ideal", "trapped-ion", "neutral-atom",
                                                 "superconducting", "colour-centre"},
                           TSR_MODALITY_COUNT);
      if (hint)
        return fail(L, modality_node, "unknown modality '%s' (did you mean '%s'?)", mname, hint);
      return fail(L, modality_node,
                  "unknown modality '%s' (trapped-ion, neutral-atom, superconducting, "
                  "colour-centre, ideal)",
                  mname);
    }
    if (preset && preset->params.modality != modality) {
      return fail(L, modality_node, "preset '%s' is a %s module, but modality says %s",
                  preset->name, tsr_modality_name(preset->params.modality), mname);
    }
    remember(L, "modality", modality_node);
  }
  if (!preset && !modality_node) {
    return fail(L, n, "missing required field 'preset' (or 'modality' for a module without one)");
  }

  tsr_module_params p;
  if (preset)
    p = preset->params;
  else if (modality == TSR_MODALITY_IDEAL)
    tsr_module_params_ideal(&p, 1);
  else {
    memset(&p, 0, sizeof p);
    p.modality = modality;
    p.connectivity.kind = TSR_TOPOLOGY_ALL_TO_ALL;
  }
  int preset_comm_same =
      preset ? memcmp(&preset->params.coherence, &preset->params.communication_coherence,
                      sizeof(tsr_coherence)) == 0
             : 1;
  uint32_t overridden = 0;

  const tsr_yaml_node *qn = tsr_yaml_get(n, "qubits");
  if (qn) {
    if ((st = get_uint(L, qn, "qubits", 1, TSR_ARCH_MAX_QUBITS, &p.qubits)) != TSR_OK) return st;
    remember(L, "qubits", qn);
    overridden |= 1u << TSR_PARAM_QUBITS;
  } else if (!preset) {
    return fail(L, n, "missing required field 'qubits'");
  }
  /* A module built from its numbers alone must give the ones that define it. */
  if (!preset && modality != TSR_MODALITY_IDEAL) {
    static const char *const required[] = {"native_gates", "gate_1q", "gate_2q", "readout",
                                           "coherence"};
    for (size_t i = 0; i < COUNT(required); i++) {
      if (i == 2 && p.qubits < 2) continue;
      if (!tsr_yaml_get(n, required[i])) {
        return fail(L, n,
                    "missing required field '%s' (a module without a preset gives its "
                    "own numbers)",
                    required[i]);
      }
    }
  }
  const tsr_yaml_node *v;
  if ((v = tsr_yaml_get(n, "native_gates")) != NULL) {
    if ((st = read_native_gates(L, v, &p)) != TSR_OK) return st;
    remember(L, "native_gates", v);
    overridden |= 1u << TSR_PARAM_NATIVE_GATES;
  }
  for (size_t i = 0; i < COUNT(op_groups); i++) {
    if ((v = tsr_yaml_get(n, op_groups[i].key)) == NULL) continue;
    remember(L, op_groups[i].key, v);
    if ((st = read_op(L, v, &op_groups[i], op_field(&p, op_groups[i].group))) != TSR_OK) return st;
    overridden |= 1u << op_groups[i].group;
  }
  if (!preset && modality != TSR_MODALITY_IDEAL && !tsr_yaml_get(n, "gate_2q")) {
    p.gate_2q.fidelity = 1.0; /* a one-qubit module has no two-qubit gate */
    p.gate_2q.duration_s = 0.0;
  }
  if (!preset && modality != TSR_MODALITY_IDEAL && !tsr_yaml_get(n, "reset")) {
    p.reset = p.readout; /* measure and flip */
  }
  if ((v = tsr_yaml_get(n, "coherence")) != NULL) {
    remember(L, "coherence", v);
    st = expect_map(L, v, "coherence");
    if (st == TSR_OK) st = check_keys(L, v, coherence_keys, COUNT(coherence_keys), "coherence");
    if (st == TSR_OK) st = read_t1_t2(L, v, "coherence.t1", "coherence.t2", &p.coherence, NULL);
    if (st != TSR_OK) return st;
    if (!preset && (!tsr_yaml_get(v, "t1") || !tsr_yaml_get(v, "t2"))) {
      return fail(L, v, "coherence: missing required field '%s'",
                  tsr_yaml_get(v, "t1") ? "t2" : "t1");
    }
    overridden |= 1u << TSR_PARAM_COHERENCE;
  }
  if ((v = tsr_yaml_get(n, "connectivity")) != NULL) {
    remember(L, "connectivity", v);
    if ((st = read_connectivity(L, v, &p, p.qubits)) != TSR_OK) return st;
    overridden |= 1u << TSR_PARAM_CONNECTIVITY;
  }
  int comm_coherence_given = 0;
  if ((v = tsr_yaml_get(n, "communication")) != NULL) {
    remember(L, "communication", v);
    st = expect_map(L, v, "communication");
    if (st == TSR_OK) {
      st = check_keys(L, v, communication_keys, COUNT(communication_keys), "communication");
    }
    if (st != TSR_OK) return st;
    const tsr_yaml_node *cq = tsr_yaml_get(v, "qubits");
    if (cq) {
      st = get_uint(L, cq, "communication.qubits", 0, TSR_ARCH_MAX_QUBITS, &p.communication_qubits);
      if (st != TSR_OK) return st;
      remember(L, "communication.qubits", cq);
    }
    st = read_t1_t2(L, v, "communication.t1", "communication.t2", &p.communication_coherence,
                    &comm_coherence_given);
    if (st != TSR_OK) return st;
    overridden |= 1u << TSR_PARAM_COMMUNICATION;
  } else if (modality == TSR_MODALITY_IDEAL && !preset) {
    p.communication_qubits = p.qubits;
  }
  if (!comm_coherence_given && preset_comm_same) p.communication_coherence = p.coherence;
  if ((v = tsr_yaml_get(n, "photon")) != NULL) {
    remember(L, "photon", v);
    if ((st = read_photon(L, v, &p.photon)) != TSR_OK) return st;
    overridden |= 1u << TSR_PARAM_PHOTON;
  }

  uint32_t index;
  st = tsr_arch_add_module(L->arch, name, role, &p, &index, L->err);
  if (st != TSR_OK) return st;
  tsr_module *m = &L->arch->modules[index];
  if (preset) snprintf(m->preset, sizeof m->preset, "%s", preset->name);
  m->overridden = preset ? overridden : (1u << TSR_PARAM_GROUP_COUNT) - 1;
  m->line = n->line;
  m->col = n->col;
  tsr_arch_problem prob;
  if (tsr_arch_check_module(L->arch, index, &prob)) return fail_problem(L, &prob);
  return TSR_OK;
}

/* -------------------------------------------------------------------- links */

static const char *const link_keys[] = {
    "between",        "length",       "station",    "protocol",    "bright_state_weight",
    "attempt_period", "multiplexing", "visibility", "attenuation", "detectors",
    "conversion"};
static const char *const detector_keys[] = {"efficiency", "dark_count_rate", "window"};
static const char *const stage_keys[] = {"to", "efficiency", "noise_photons"};
static const char *const attenuation_keys[] = {"wavelength", "value"};

static tsr_status read_stage(loader *L, const tsr_yaml_node *n, tsr_conversion_stage *s) {
  tsr_status st = expect_map(L, n, "conversion stage");
  if (st == TSR_OK) st = check_keys(L, n, stage_keys, COUNT(stage_keys), "conversion stage");
  if (st != TSR_OK) return st;
  const tsr_yaml_node *to = tsr_yaml_get(n, "to"), *e = tsr_yaml_get(n, "efficiency");
  const tsr_yaml_node *noise = tsr_yaml_get(n, "noise_photons");
  if (!to) return fail(L, n, "conversion stage: missing required field 'to'");
  if (!e) return fail(L, n, "conversion stage: missing required field 'efficiency'");
  if ((st = get_number(L, to, "conversion.to", Q_WAVELENGTH, &s->target_wavelength_m)) != TSR_OK) {
    return st;
  }
  if ((st = get_number(L, e, "conversion.efficiency", Q_FRACTION, &s->efficiency)) != TSR_OK) {
    return st;
  }
  s->noise_photons = 0;
  if (noise) return get_number(L, noise, "conversion.noise_photons", Q_COUNT, &s->noise_photons);
  return TSR_OK;
}

static tsr_status read_conversion(loader *L, const tsr_yaml_node *n, tsr_link *link,
                                  const char *names[2]) {
  tsr_status st = expect_map(L, n, "conversion");
  if (st != TSR_OK) return st;
  for (size_t i = 0; i < n->n; i++) {
    const tsr_yaml_node *k = n->keys[i], *v = n->values[i];
    if (k->kind != TSR_YAML_SCALAR) return fail(L, k, "conversion: keys are the link's end names");
    int end = strcmp(k->text, names[0]) == 0 ? 0 : strcmp(k->text, names[1]) == 0 ? 1 : -1;
    if (end < 0) {
      const char *hint = tsr_arch_suggest(k->text, names, 2);
      if (hint) {
        return fail(L, k, "conversion: '%.60s' is not an end of this link (did you mean '%s'?)",
                    k->text, hint);
      }
      return fail(L, k, "conversion: '%.60s' is not an end of this link (%s or %s)", k->text,
                  names[0], names[1]);
    }
    tsr_link_end *e = &link->ends[end];
    size_t count = v->kind == TSR_YAML_SEQ ? v->n : 1;
    if (v->kind == TSR_YAML_SCALAR) return wrong_type(L, v, "conversion", "a list of stages");
    if (count > TSR_ARCH_MAX_CONVERSION_STAGES) {
      return fail(L, v, "conversion: at most %d stages per end", TSR_ARCH_MAX_CONVERSION_STAGES);
    }
    for (size_t s = 0; s < count; s++) {
      st = read_stage(L, v->kind == TSR_YAML_SEQ ? v->values[s] : v, &e->conversion[s]);
      if (st != TSR_OK) return st;
    }
    e->n_conversion = (uint32_t)count;
  }
  return TSR_OK;
}

/* attenuation: one number for every arm, or [{wavelength, value}, ...] by
 * the arm's wavelength (arms at other wavelengths keep the default). */
static tsr_status read_attenuation(loader *L, const tsr_yaml_node *n, tsr_link *link) {
  if (n->kind == TSR_YAML_SCALAR) {
    double a;
    tsr_status st = get_number(L, n, "attenuation", Q_ATTENUATION, &a);
    if (st != TSR_OK) return st;
    link->ends[0].attenuation_db_per_km = link->ends[1].attenuation_db_per_km = a;
    return TSR_OK;
  }
  if (n->kind != TSR_YAML_SEQ) return wrong_type(L, n, "attenuation", "a number or a list");
  for (size_t i = 0; i < n->n; i++) {
    const tsr_yaml_node *row = n->values[i];
    tsr_status st = expect_map(L, row, "attenuation entry");
    if (st == TSR_OK)
      st = check_keys(L, row, attenuation_keys, COUNT(attenuation_keys), "attenuation");
    if (st != TSR_OK) return st;
    const tsr_yaml_node *w = tsr_yaml_get(row, "wavelength"), *val = tsr_yaml_get(row, "value");
    if (!w) return fail(L, row, "attenuation: missing required field 'wavelength'");
    if (!val) return fail(L, row, "attenuation: missing required field 'value'");
    double wl, a;
    if ((st = get_number(L, w, "attenuation.wavelength", Q_WAVELENGTH, &wl)) != TSR_OK) return st;
    if ((st = get_number(L, val, "attenuation.value", Q_ATTENUATION, &a)) != TSR_OK) return st;
    for (int e = 0; e < 2; e++) {
      if (fabs(link->ends[e].fibre_wavelength_m - wl) <= 0.02 * wl) {
        link->ends[e].attenuation_db_per_km = a;
      }
    }
  }
  return TSR_OK;
}

static tsr_status read_link(loader *L, const tsr_yaml_node *n, size_t ordinal) {
  L->n_locs = 0;
  L->entry = n;
  snprintf(L->who, sizeof L->who, "link %zu", ordinal + 1);
  tsr_status st = expect_map(L, n, "links entry");
  if (st == TSR_OK) st = check_keys(L, n, link_keys, COUNT(link_keys), "");
  if (st != TSR_OK) return st;
  const tsr_yaml_node *between = tsr_yaml_get(n, "between");
  if (!between) return fail(L, n, "missing required field 'between'");
  remember(L, "between", between);
  if (between->kind != TSR_YAML_SEQ || between->n != 2) {
    if (between->kind == TSR_YAML_SEQ) {
      return fail(L, between, "between: a link joins exactly two modules, not %zu", between->n);
    }
    return wrong_type(L, between, "between", "a list of two module names");
  }
  const char *names[2];
  uint32_t idx[2];
  for (int i = 0; i < 2; i++) {
    const tsr_yaml_node *e = between->values[i];
    char name[TSR_ARCH_NAME_MAX];
    if ((st = get_string(L, e, "between", name, sizeof name)) != TSR_OK) return st;
    int64_t m = tsr_arch_find_module(L->arch, name);
    if (m < 0) {
      const char *cands[256];
      size_t nc = L->arch->n_modules < 256 ? L->arch->n_modules : 256;
      for (size_t k = 0; k < nc; k++) cands[k] = L->arch->modules[k].name;
      const char *hint = tsr_arch_suggest(name, cands, nc);
      if (hint) return fail(L, e, "undefined module '%s' (did you mean '%s'?)", name, hint);
      char list[200] = "";
      size_t used = 0;
      for (size_t k = 0; k < nc && used + 8 < sizeof list; k++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", cands[k]);
        if (w < 0) break;
        used += (size_t)w;
      }
      return fail(L, e, "undefined module '%s' (defined: %s)", name, list);
    }
    idx[i] = (uint32_t)m;
    names[i] = L->arch->modules[m].name;
  }
  if (idx[0] == idx[1])
    return fail(L, between->values[1],
                "a link joins two different modules, "
                "not '%s' to itself",
                names[0]);
  snprintf(L->who, sizeof L->who, "link %s -- %s", names[0], names[1]);

  tsr_link link;
  tsr_link_init(&link, idx[0], idx[1], 0.0);
  link.line = n->line;
  link.col = n->col;
  const tsr_yaml_node *len = tsr_yaml_get(n, "length");
  if (!len) return fail(L, n, "missing required field 'length'");
  remember(L, "length", len);
  double length;
  if ((st = get_number(L, len, "length", Q_LENGTH, &length)) != TSR_OK) return st;
  link.length_m = length;
  link.ends[0].arm_length_m = link.ends[1].arm_length_m = length / 2;

  const tsr_yaml_node *v;
  if ((v = tsr_yaml_get(n, "protocol")) != NULL) {
    remember(L, "protocol", v);
    char pname[32];
    if ((st = get_string(L, v, "protocol", pname, sizeof pname)) != TSR_OK) return st;
    if (tsr_link_protocol_lookup(pname, &link.protocol) != 0) {
      const char *hint = tsr_arch_suggest(
          pname, (const char *const[]){"two-photon", "single-click", "reflection", "ideal"}, 4);
      if (hint) return fail(L, v, "unknown protocol '%s' (did you mean '%s'?)", pname, hint);
      return fail(L, v, "unknown protocol '%s' (two-photon, single-click, reflection, ideal)",
                  pname);
    }
  }
  if ((v = tsr_yaml_get(n, "station")) != NULL) {
    remember(L, "station", v);
    if (v->kind != TSR_YAML_SCALAR || tsr_yaml_is_null(v)) {
      return wrong_type(L, v, "station", "middle, an end's name or a distance");
    }
    if (strcmp(v->text, "middle") == 0) {
      link.station = TSR_STATION_MIDDLE;
    } else if (strcmp(v->text, names[0]) == 0) {
      link.station = TSR_STATION_END_A;
      link.ends[0].arm_length_m = 0;
      link.ends[1].arm_length_m = length;
    } else if (strcmp(v->text, names[1]) == 0) {
      link.station = TSR_STATION_END_B;
      link.ends[0].arm_length_m = length;
      link.ends[1].arm_length_m = 0;
    } else {
      double d;
      const char *rest;
      if (!v->plain || parse_plain_double(v->text, &d, &rest) != 0) {
        return fail(L, v,
                    "station: '%.40s' is not 'middle', an end of this link (%s, %s) or a distance "
                    "from %s",
                    v->text, names[0], names[1], names[0]);
      }
      if ((st = get_number(L, v, "station", Q_LENGTH, &d)) != TSR_OK) return st;
      if (d > length) {
        char a[48], b[48];
        return fail(L, v, "station: %s from %s is beyond the link's %s of fibre",
                    tsr_arch_format_length(d, a, sizeof a), names[0],
                    tsr_arch_format_length(length, b, sizeof b));
      }
      link.station = TSR_STATION_DISTANCE;
      link.ends[0].arm_length_m = d;
      link.ends[1].arm_length_m = length - d;
    }
  }
  if ((v = tsr_yaml_get(n, "bright_state_weight")) != NULL) {
    remember(L, "bright_state_weight", v);
    st = get_number(L, v, "bright_state_weight", Q_FRACTION, &link.bright_state_weight);
    if (st != TSR_OK) return st;
  } else if (link.protocol == TSR_PROTOCOL_SINGLE_CLICK) {
    return fail(L, n, "missing required field 'bright_state_weight' (single-click links need it)");
  }
  if ((v = tsr_yaml_get(n, "attempt_period")) != NULL) {
    remember(L, "attempt_period", v);
    if (!(v->kind == TSR_YAML_SCALAR && v->plain && strcmp(v->text, "auto") == 0)) {
      st = get_number(L, v, "attempt_period", Q_TIME_POS_FIN, &link.attempt_period_s);
      if (st != TSR_OK) return st;
    }
  }
  if ((v = tsr_yaml_get(n, "multiplexing")) != NULL) {
    remember(L, "multiplexing", v);
    if ((st = get_uint(L, v, "multiplexing", 1, 1000000, &link.multiplexing)) != TSR_OK) return st;
  }
  if ((v = tsr_yaml_get(n, "visibility")) != NULL) {
    remember(L, "visibility", v);
    if ((st = get_number(L, v, "visibility", Q_FRACTION, &link.visibility)) != TSR_OK) return st;
  }
  if ((v = tsr_yaml_get(n, "conversion")) != NULL) {
    remember(L, "conversion", v);
    if ((st = read_conversion(L, v, &link, names)) != TSR_OK) return st;
  }
  /* Wavelengths in the fibre follow from the conversion; attenuation and
   * detector defaults follow from those. */
  for (int e = 0; e < 2; e++) {
    tsr_link_end *end = &link.ends[e];
    end->fibre_wavelength_m = end->n_conversion
                                  ? end->conversion[end->n_conversion - 1].target_wavelength_m
                                  : L->arch->modules[idx[e]].params.photon.wavelength_m;
  }
  if ((v = tsr_yaml_get(n, "attenuation")) != NULL) {
    remember(L, "attenuation", v);
    if ((st = read_attenuation(L, v, &link)) != TSR_OK) return st;
  }
  if ((v = tsr_yaml_get(n, "detectors")) != NULL) {
    remember(L, "detectors", v);
    st = expect_map(L, v, "detectors");
    if (st == TSR_OK) st = check_keys(L, v, detector_keys, COUNT(detector_keys), "detectors");
    if (st != TSR_OK) return st;
    tsr_detector d;
    tsr_arch_detector_default(link.ends[0].fibre_wavelength_m, &d, NULL);
    const tsr_yaml_node *f;
    if ((f = tsr_yaml_get(v, "efficiency")) != NULL) {
      if ((st = get_number(L, f, "detectors.efficiency", Q_FRACTION, &d.efficiency)) != TSR_OK) {
        return st;
      }
    }
    if ((f = tsr_yaml_get(v, "dark_count_rate")) != NULL) {
      st = get_number(L, f, "detectors.dark_count_rate", Q_RATE, &d.dark_count_rate_hz);
      if (st != TSR_OK) return st;
    }
    if ((f = tsr_yaml_get(v, "window")) != NULL) {
      if ((st = get_number(L, f, "detectors.window", Q_TIME, &d.window_s)) != TSR_OK) return st;
    }
    link.detector = d;
  }
  for (int e = 0; e < 2; e++) {
    const tsr_module *m = &L->arch->modules[idx[e]];
    if (link.protocol != TSR_PROTOCOL_IDEAL && !(m->params.photon.wavelength_m > 0)) {
      return fail(L, between->values[e],
                  "module '%s' has no photon interface (give photon: "
                  "{wavelength: ...})",
                  m->name);
    }
  }
  uint32_t index;
  if ((st = tsr_arch_add_link(L->arch, &link, &index, L->err)) != TSR_OK) return st;
  tsr_arch_problem prob;
  if (tsr_arch_check_link(L->arch, index, &prob)) return fail_problem(L, &prob);
  return TSR_OK;
}

/* ------------------------------------------------------------ pytket-dqc */

/* {"servers": [{"id": 0, "qubits": 16, "link_qubits": null}, ...],
 *  "links": [[0, 1], ...]} from pytket-dqc's network files.
 *
 * pytket-dqc's link qubits are EPR memory beside a server's circuit qubits:
 * a server becomes a module of qubits + link_qubits qubits, link_qubits of
 * them communication qubits. No limit (null or absent) must not limit the
 * compiler either, so such a server gets one more communication qubit than
 * the network has circuit qubits in total (T, the sum of "qubits"). At any
 * time a module's communication qubits hold (docs/compiler.md, "Distribute"):
 *  - at most one copy of each circuit qubit that is not in one of its data
 *    slots (a qubit's copies are all in one Pauli frame, one per module);
 *  - qubits teleported in and parked there (the module's data slots full);
 *    each is a circuit qubit that is not in a data slot either, and never
 *    also a copy there;
 *  - at most one source half of a pair (cat-entangler or teleport), measured
 *    before the module's next pair is made.
 * The first two are at most the circuit's qubits, at most T; with the
 * temporary half, T + 1. (When the module keeps a qubit of its own in a data
 * slot, T already suffices; the extra one covers a module whose qubits have
 * all teleported away.) The module's qubit count is capped at
 * TSR_ARCH_MAX_QUBITS, still far more than any circuit that fits. */
static tsr_status read_pytket(loader *L, const tsr_yaml_node *root) {
  static const char *const keys[] = {"servers", "links"};
  static const char *const server_keys[] = {"id", "qubits", "link_qubits"};
  tsr_status st = check_keys(L, root, keys, 2, "");
  if (st != TSR_OK) return st;
  const tsr_yaml_node *servers = tsr_yaml_get(root, "servers");
  if ((st = expect_seq(L, servers, "servers")) != TSR_OK) return st;
  if (servers->n == 0) return fail(L, servers, "servers: the list is empty");
  snprintf(L->arch->name, sizeof L->arch->name, "pytket-dqc network");
  /* Per server: id, circuit qubits, link qubits (UINT32_MAX: not limited). */
  uint32_t *ids = calloc(3 * servers->n, sizeof *ids);
  if (!ids) return tsr_error_set(L->err, TSR_ERR_NOMEM, "out of memory");
  uint32_t *qubits = ids + servers->n, *comm = qubits + servers->n;
  uint64_t total = 0;
  for (size_t i = 0; i < servers->n && st == TSR_OK; i++) {
    const tsr_yaml_node *s = servers->values[i];
    L->n_locs = 0;
    L->entry = s;
    snprintf(L->who, sizeof L->who, "server %zu", i + 1);
    st = expect_map(L, s, "servers entry");
    if (st == TSR_OK) st = check_keys(L, s, server_keys, 3, "server");
    if (st != TSR_OK) break;
    const tsr_yaml_node *id = tsr_yaml_get(s, "id"), *q = tsr_yaml_get(s, "qubits");
    const tsr_yaml_node *lq = tsr_yaml_get(s, "link_qubits");
    if (!id || !q) {
      st = fail(L, s, "missing required field '%s'", id ? "qubits" : "id");
      break;
    }
    if ((st = get_uint(L, id, "id", 0, 1000000, &ids[i])) != TSR_OK) break;
    if ((st = get_uint(L, q, "qubits", 1, TSR_ARCH_MAX_QUBITS / 2, &qubits[i])) != TSR_OK) break;
    comm[i] = UINT32_MAX;
    if (lq && !tsr_yaml_is_null(lq)) {
      st = get_uint(L, lq, "link_qubits", 0, TSR_ARCH_MAX_QUBITS / 2, &comm[i]);
      if (st != TSR_OK) break;
    }
    for (size_t k = 0; k < i; k++) {
      if (ids[k] == ids[i]) {
        st = fail(L, id, "duplicate server id %" PRIu32, ids[i]);
        break;
      }
    }
    total += qubits[i];
  }
  for (size_t i = 0; i < servers->n && st == TSR_OK; i++) {
    const tsr_yaml_node *s = servers->values[i];
    L->n_locs = 0;
    L->entry = s;
    snprintf(L->who, sizeof L->who, "server %zu", i + 1);
    remember(L, "qubits", tsr_yaml_get(s, "qubits"));
    uint32_t c = comm[i];
    if (c == UINT32_MAX) {
      uint64_t room = TSR_ARCH_MAX_QUBITS - qubits[i];
      c = (uint32_t)(total + 1 < room ? total + 1 : room);
    }
    char name[TSR_ARCH_NAME_MAX];
    snprintf(name, sizeof name, "server%" PRIu32, ids[i]);
    tsr_module_params p;
    tsr_module_params_ideal(&p, qubits[i] + c);
    p.communication_qubits = c;
    uint32_t index;
    if ((st = tsr_arch_add_module(L->arch, name, TSR_ROLE_COMPUTE, &p, &index, L->err)) != TSR_OK) {
      break;
    }
    L->arch->modules[index].line = s->line;
    L->arch->modules[index].col = s->col;
    tsr_arch_problem prob;
    if (tsr_arch_check_module(L->arch, index, &prob)) st = fail_problem(L, &prob);
  }
  free(ids);
  if (st != TSR_OK) return st;
  const tsr_yaml_node *links = tsr_yaml_get(root, "links");
  if (!links) return TSR_OK;
  L->who[0] = '\0';
  if ((st = expect_seq(L, links, "links")) != TSR_OK) return st;
  for (size_t i = 0; i < links->n; i++) {
    const tsr_yaml_node *pair = links->values[i];
    L->n_locs = 0;
    L->entry = pair;
    snprintf(L->who, sizeof L->who, "link %zu", i + 1);
    if (pair->kind != TSR_YAML_SEQ || pair->n != 2) {
      return wrong_type(L, pair, "links entry", "a pair of server ids");
    }
    uint32_t end[2];
    for (int k = 0; k < 2; k++) {
      uint32_t id;
      if ((st = get_uint(L, pair->values[k], "server id", 0, 1000000, &id)) != TSR_OK) return st;
      char name[TSR_ARCH_NAME_MAX];
      snprintf(name, sizeof name, "server%" PRIu32, id);
      int64_t m = tsr_arch_find_module(L->arch, name);
      if (m < 0) return fail(L, pair->values[k], "link to undefined server %" PRIu32, id);
      end[k] = (uint32_t)m;
    }
    if (end[0] == end[1]) return fail(L, pair, "a link joins two different servers");
    tsr_link link;
    tsr_link_init(&link, end[0], end[1], 0.0);
    link.protocol = TSR_PROTOCOL_IDEAL;
    link.line = pair->line;
    link.col = pair->col;
    remember(L, "between", pair);
    uint32_t index;
    if ((st = tsr_arch_add_link(L->arch, &link, &index, L->err)) != TSR_OK) return st;
    tsr_arch_problem prob;
    if (tsr_arch_check_link(L->arch, index, &prob)) return fail_problem(L, &prob);
  }
  return TSR_OK;
}

/* ----------------------------------------------------------------- machine */

static tsr_status read_machine(loader *L, const tsr_yaml_node *root) {
  static const char *const top_keys[] = {"name", "description", "modules", "nodes", "links"};
  if (!root) {
    return tsr_error_set_at(L->err, TSR_ERR_INPUT, L->file, 1, 1,
                            "empty machine file (it needs at least 'modules:')");
  }
  if (root->kind != TSR_YAML_MAP) {
    return wrong_type(L, root, "machine file", "a mapping with modules: (and name, nodes, links)");
  }
  if (tsr_yaml_get(root, "servers")) return read_pytket(L, root);
  tsr_status st = check_keys(L, root, top_keys, COUNT(top_keys), "");
  if (st != TSR_OK) return st;
  const tsr_yaml_node *v;
  if ((v = tsr_yaml_get(root, "name")) != NULL) {
    if ((st = get_string(L, v, "name", L->arch->name, sizeof L->arch->name)) != TSR_OK) return st;
  }
  if ((v = tsr_yaml_get(root, "description")) != NULL) {
    if (v->kind != TSR_YAML_SCALAR || tsr_yaml_is_null(v)) {
      return wrong_type(L, v, "description", "text");
    }
    L->arch->description = tsr_strdup(v->text, L->err);
    if (!L->arch->description) return TSR_ERR_NOMEM;
  }
  const tsr_yaml_node *modules = tsr_yaml_get(root, "modules");
  if (!modules) return fail(L, root, "missing required field 'modules'");
  if ((st = expect_seq(L, modules, "modules")) != TSR_OK) return st;
  if (modules->n == 0) return fail(L, modules, "modules: the machine needs at least one module");
  for (size_t i = 0; i < modules->n; i++) {
    if ((st = read_module(L, modules->values[i], i, TSR_ROLE_COMPUTE)) != TSR_OK) return st;
  }
  L->who[0] = '\0';
  if ((v = tsr_yaml_get(root, "nodes")) != NULL && !tsr_yaml_is_null(v)) {
    if ((st = expect_seq(L, v, "nodes")) != TSR_OK) return st;
    for (size_t i = 0; i < v->n; i++) {
      if ((st = read_module(L, v->values[i], i, TSR_ROLE_MEMORY)) != TSR_OK) return st;
    }
  }
  L->who[0] = '\0';
  if ((v = tsr_yaml_get(root, "links")) != NULL && !tsr_yaml_is_null(v)) {
    if ((st = expect_seq(L, v, "links")) != TSR_OK) return st;
    for (size_t i = 0; i < v->n; i++) {
      if ((st = read_link(L, v->values[i], i)) != TSR_OK) return st;
    }
  }
  return TSR_OK;
}

static int ends_with_json(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n < 5) return 0;
  const char *e = name + n - 5;
  return e[0] == '.' && tolower((unsigned char)e[1]) == 'j' &&
         tolower((unsigned char)e[2]) == 's' && tolower((unsigned char)e[3]) == 'o' &&
         tolower((unsigned char)e[4]) == 'n';
}

tsr_status tsr_arch_load_string(const char *text, size_t len, const char *filename, tsr_arch **out,
                                tsr_error *err) {
  *out = NULL;
  const char *file = filename ? filename : "<string>";
  tsr_yaml_doc *doc = NULL;
  tsr_status st = tsr_yaml_parse(text, len, file, ends_with_json(file), &doc, err);
  if (st != TSR_OK) return st;
  tsr_arch *arch = NULL;
  if ((st = tsr_arch_new(NULL, &arch, err)) != TSR_OK) {
    tsr_yaml_free(doc);
    return st;
  }
  snprintf(arch->source, sizeof arch->source, "%s", file);
  loader L;
  memset(&L, 0, sizeof L);
  L.file = file;
  L.err = err;
  L.arch = arch;
  st = read_machine(&L, tsr_yaml_root(doc));
  tsr_yaml_free(doc);
  if (st != TSR_OK) {
    tsr_arch_free(arch);
    return st;
  }
  *out = arch;
  return TSR_OK;
}

tsr_status tsr_arch_load_file(const char *path, tsr_arch **out, tsr_error *err) {
  *out = NULL;
  char *text = NULL;
  size_t len = 0;
  tsr_status st = tsr_read_file(path, &text, &len, err);
  if (st != TSR_OK) return st;
  st = tsr_arch_load_string(text, len, path, out, err);
  free(text);
  return st;
}
