/* The noise model: channels after gates (rules by gate kind and qubit set),
 * readout error and T1/T2 per qubit, gate durations; and its YAML form.
 *
 * YAML (every key optional; times in seconds, or with a unit: s, ms, us, ns):
 *
 *   gates:                         # rules, applied in order after each gate
 *     - gates: [h, sx, x, rz]      # gate names, or all / "*"
 *       qubits: [0, 1, 2]          # only when every operand is one of these
 *       depolarizing: 0.001        # 1-qubit gates: 1-qubit, 2-qubit: 2-qubit
 *       amplitude_damping: 1e-4    # 1-qubit channels act on each operand
 *       phase_damping: 1e-4
 *       thermal_relaxation: {t1: 100us, t2: 80us, time: 50ns}
 *       pauli: {x: 0.001, y: 0.001, z: 0.002}
 *       kraus: [ [[1, 0], [0, 0.9]], [[0, 0.43588989], [0, 0]] ]
 *   readout:
 *     - {qubits: all, p01: 0.02, p10: 0.03}
 *   relaxation:
 *     - {qubits: all, t1: 100us, t2: 80us}
 *   durations: {default: 50ns, cx: 300ns, measure: 1us}
 *
 * Complex Kraus entries are written [re, im]. The YAML is read with libfyaml,
 * whose diagnostics are collected (never printed) and reported as
 * file:line:col. */
#include <ctype.h>
#include <libfyaml.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

typedef struct noise_rule {
  tsr_gate kind;  /* TSR_GATE_NONE: any gate */
  uint32_t *qset; /* sorted qubit set, NULL: any */
  uint32_t nqset;
  tsr_channel *by_width[5]; /* channel for gates of that many qubits (1..4) */
} noise_rule;

typedef struct qubit_value {
  int set;
  double a, b;
} qubit_value;

struct tsr_noise_model {
  noise_rule *rules;
  size_t nrules, cap;
  qubit_value readout_default, relax_default;
  qubit_value *readout, *relax; /* per qubit, grown on demand */
  size_t nreadout, nrelax;
  double durations[TSR_GATE_COUNT];
  int has_duration[TSR_GATE_COUNT];
};

tsr_noise_model *tsr_noise_model_new(tsr_error *err) {
  return tsr_calloc(1, sizeof(tsr_noise_model), err);
}

void tsr_noise_model_free(tsr_noise_model *nm) {
  if (!nm) return;
  for (size_t i = 0; i < nm->nrules; i++) {
    free(nm->rules[i].qset);
    for (int w = 0; w < 5; w++) tsr_channel_free(nm->rules[i].by_width[w]);
  }
  free(nm->rules);
  free(nm->readout);
  free(nm->relax);
  free(nm);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

tsr_status tsr_noise_model_add_gate_channel(tsr_noise_model *nm, tsr_gate kind,
                                            const uint32_t *qubits, uint32_t nqubits,
                                            const tsr_channel *ch, tsr_error *err) {
  const tsr_gate_info *info = kind == TSR_GATE_NONE ? NULL : tsr_gate_get(kind);
  if (kind != TSR_GATE_NONE && !info) {
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown gate kind %d", (int)kind);
  }
  if (info && !(info->flags & TSR_GF_UNITARY)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "noise rules attach to gates, not to '%s'",
                         info->name);
  }
  if (!ch) return tsr_error_set(err, TSR_ERR_VALUE, "no channel given");
  const unsigned k = tsr_channel_qubits(ch);
  uint32_t *qs = NULL;
  if (qubits) {
    qs = tsr_malloc((nqubits ? nqubits : 1) * sizeof *qs, err);
    if (!qs) return err ? err->status : TSR_ERR_NOMEM;
    memcpy(qs, qubits, nqubits * sizeof *qs);
    qsort(qs, nqubits, sizeof *qs, cmp_u32);
  }
  /* join the previous rule when it has the same gates and qubits */
  if (nm->nrules > 0) {
    noise_rule *last = &nm->rules[nm->nrules - 1];
    int same = last->kind == kind && (last->qset == NULL) == (qs == NULL);
    if (same && qs) {
      same = last->nqset == nqubits && memcmp(last->qset, qs, nqubits * sizeof *qs) == 0;
    }
    if (same && !last->by_width[k]) {
      free(qs);
      last->by_width[k] = tsr_channel_clone(ch, err);
      return last->by_width[k] ? TSR_OK : (err ? err->status : TSR_ERR_NOMEM);
    }
  }
  if (nm->nrules == nm->cap) {
    size_t cap = nm->cap ? 2 * nm->cap : 8;
    noise_rule *r = tsr_realloc(nm->rules, cap, sizeof *r, err);
    if (!r) {
      free(qs);
      return err ? err->status : TSR_ERR_NOMEM;
    }
    nm->rules = r;
    nm->cap = cap;
  }
  noise_rule *r = &nm->rules[nm->nrules];
  memset(r, 0, sizeof *r);
  r->kind = kind;
  r->qset = qs;
  r->nqset = qubits ? nqubits : 0;
  r->by_width[k] = tsr_channel_clone(ch, err);
  if (!r->by_width[k]) {
    free(qs);
    return err ? err->status : TSR_ERR_NOMEM;
  }
  nm->nrules++;
  return TSR_OK;
}

static tsr_status set_qubit_value(qubit_value **arr, size_t *n, qubit_value *def, int64_t qubit,
                                  double a, double b, tsr_error *err) {
  if (qubit < 0) {
    def->set = 1;
    def->a = a;
    def->b = b;
    return TSR_OK;
  }
  if (qubit > (1 << 24))
    return tsr_error_set(err, TSR_ERR_VALUE, "qubit %lld is out of range", (long long)qubit);
  if ((size_t)qubit >= *n) {
    size_t nn = (size_t)qubit + 1;
    qubit_value *v = tsr_realloc(*arr, nn, sizeof *v, err);
    if (!v) return err ? err->status : TSR_ERR_NOMEM;
    memset(v + *n, 0, (nn - *n) * sizeof *v);
    *arr = v;
    *n = nn;
  }
  (*arr)[qubit].set = 1;
  (*arr)[qubit].a = a;
  (*arr)[qubit].b = b;
  return TSR_OK;
}

tsr_status tsr_noise_model_set_readout(tsr_noise_model *nm, int64_t qubit, double p01, double p10,
                                       tsr_error *err) {
  if (!(p01 >= 0 && p01 <= 1) || !(p10 >= 0 && p10 <= 1)) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "readout error probabilities must lie in [0, 1] (got p01 %g, p10 %g)", p01,
                         p10);
  }
  return set_qubit_value(&nm->readout, &nm->nreadout, &nm->readout_default, qubit, p01, p10, err);
}

tsr_status tsr_noise_model_set_relaxation(tsr_noise_model *nm, int64_t qubit, double t1, double t2,
                                          tsr_error *err) {
  if (!(t1 > 0) || !(t2 > 0)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "T1 and T2 must be positive (got %g s, %g s)", t1, t2);
  }
  if (t2 > 2 * t1 * (1 + 1e-12)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "T2 = %g s exceeds 2 T1 = %g s (not physical)", t2,
                         2 * t1);
  }
  return set_qubit_value(&nm->relax, &nm->nrelax, &nm->relax_default, qubit, t1, t2, err);
}

tsr_status tsr_noise_model_set_duration(tsr_noise_model *nm, tsr_gate kind, double seconds,
                                        tsr_error *err) {
  if (kind != TSR_GATE_NONE && !tsr_gate_get(kind)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown gate kind %d", (int)kind);
  }
  if (!(seconds >= 0) || !isfinite(seconds)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "a duration must be a finite time >= 0 (got %g)",
                         seconds);
  }
  nm->durations[kind] = seconds;
  nm->has_duration[kind] = 1;
  return TSR_OK;
}

int tsr_noise_model_is_empty(const tsr_noise_model *nm) {
  if (!nm) return 1;
  if (nm->nrules || nm->readout_default.set || nm->relax_default.set) return 0;
  for (size_t q = 0; q < nm->nreadout; q++) {
    if (nm->readout[q].set) return 0;
  }
  for (size_t q = 0; q < nm->nrelax; q++) {
    if (nm->relax[q].set) return 0;
  }
  return 1;
}

int tsr_noise_model_is_pauli(const tsr_noise_model *nm) {
  if (!nm) return 1;
  if (nm->relax_default.set) return 0;
  for (size_t q = 0; q < nm->nrelax; q++) {
    if (nm->relax[q].set) return 0;
  }
  for (size_t i = 0; i < nm->nrules; i++) {
    for (int w = 1; w < 5; w++) {
      if (nm->rules[i].by_width[w] && !tsr_channel_is_pauli(nm->rules[i].by_width[w], NULL)) {
        return 0;
      }
    }
  }
  return 1;
}

static int rule_matches(const noise_rule *r, tsr_gate kind, const uint32_t *qubits, uint32_t nq) {
  if (r->kind != TSR_GATE_NONE && r->kind != kind) return 0;
  if (!r->qset) return 1;
  for (uint32_t j = 0; j < nq; j++) {
    if (!bsearch(&qubits[j], r->qset, r->nqset, sizeof *r->qset, cmp_u32)) return 0;
  }
  return 1;
}

tsr_status tsr_noise_model_visit_gate(const tsr_noise_model *nm, tsr_gate kind,
                                      const uint32_t *qubits, uint32_t nqubits,
                                      tsr_noise_visit_fn fn, void *user) {
  if (!nm) return TSR_OK;
  for (size_t i = 0; i < nm->nrules; i++) {
    const noise_rule *r = &nm->rules[i];
    if (!rule_matches(r, kind, qubits, nqubits)) continue;
    tsr_status st = TSR_OK;
    if (nqubits >= 1 && nqubits <= 4 && r->by_width[nqubits]) {
      st = fn(r->by_width[nqubits], qubits, nqubits, user);
    } else if (r->by_width[1]) {
      for (uint32_t j = 0; j < nqubits && st == TSR_OK; j++) {
        st = fn(r->by_width[1], qubits + j, 1, user);
      }
    }
    if (st != TSR_OK) return st;
  }
  return TSR_OK;
}

void tsr_noise_model_readout(const tsr_noise_model *nm, uint32_t qubit, double *p01, double *p10) {
  *p01 = *p10 = 0;
  if (!nm) return;
  const qubit_value *v =
      qubit < nm->nreadout && nm->readout[qubit].set ? &nm->readout[qubit] : &nm->readout_default;
  if (v->set) {
    *p01 = v->a;
    *p10 = v->b;
  }
}

int tsr_noise_model_relaxation(const tsr_noise_model *nm, uint32_t qubit, double *t1, double *t2) {
  if (!nm) return 0;
  const qubit_value *v =
      qubit < nm->nrelax && nm->relax[qubit].set ? &nm->relax[qubit] : &nm->relax_default;
  if (!v->set) return 0;
  *t1 = v->a;
  *t2 = v->b;
  return 1;
}

double tsr_noise_model_duration(const tsr_noise_model *nm, tsr_gate kind) {
  if (!nm || kind < 0 || kind >= TSR_GATE_COUNT) return 0;
  if (nm->has_duration[kind]) return nm->durations[kind];
  if (kind == TSR_OP_BARRIER) return 0;
  return nm->has_duration[TSR_GATE_NONE] ? nm->durations[TSR_GATE_NONE] : 0;
}

/* =================================================================== YAML */

typedef struct yctx {
  const char *file;
  tsr_error *err;
  tsr_noise_model *nm;
} yctx;

static void node_mark(struct fy_node *n, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (int depth = 0; n && depth < 64; depth++) {
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR: {
      struct fy_token *t = fy_node_get_scalar_token(n);
      const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
      if (m) {
        *line = m->line + 1;
        *col = m->column + 1;
      }
      return;
    }
    case FYNT_MAPPING: {
      void *it = NULL;
      struct fy_node_pair *pr = fy_node_mapping_iterate(n, &it);
      n = pr ? fy_node_pair_key(pr) : NULL;
      break;
    }
    case FYNT_SEQUENCE: {
      void *it = NULL;
      n = fy_node_sequence_iterate(n, &it);
      break;
    }
    default:
      return;
    }
  }
}

static tsr_status yerr(yctx *y, struct fy_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static tsr_status yerr(yctx *y, struct fy_node *n, const char *fmt, ...) {
  char msg[TSR_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  int line, col;
  node_mark(n, &line, &col);
  return tsr_error_set_at(y->err, TSR_ERR_INPUT, y->file, line, col, "%s", msg);
}

static const char *scalar(struct fy_node *n, char *buf, size_t size) {
  if (!n || fy_node_get_type(n) != FYNT_SCALAR) return NULL;
  size_t len = 0;
  const char *s = fy_node_get_scalar(n, &len);
  if (!s) return NULL;
  if (len >= size) len = size - 1;
  memcpy(buf, s, len);
  buf[len] = 0;
  return buf;
}

/* A number, optionally with a time unit when `time` is set. */
static tsr_status ynumber(yctx *y, struct fy_node *n, int time, double *out, const char *what) {
  char buf[128];
  const char *s = scalar(n, buf, sizeof buf);
  if (!s) return yerr(y, n, "%s: expected a number", what);
  char *end = NULL;
  double v = strtod(s, &end);
  if (end == s) return yerr(y, n, "%s: '%s' is not a number", what, s);
  while (*end == ' ') end++;
  if (time && *end) {
    static const struct {
      const char *unit;
      double scale;
    } units[] = {{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"ps", 1e-12}};
    int found = 0;
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
      if (strcmp(end, units[u].unit) == 0) {
        v *= units[u].scale;
        found = 1;
      }
    }
    if (!found) return yerr(y, n, "%s: unknown time unit '%s' (use s, ms, us, ns)", what, end);
  } else if (*end) {
    return yerr(y, n, "%s: '%s' is not a number", what, s);
  }
  if (!isfinite(v)) return yerr(y, n, "%s: '%s' is not a finite number", what, s);
  *out = v;
  return TSR_OK;
}

static struct fy_node *ylookup(struct fy_node *map, const char *key) {
  void *it = NULL;
  struct fy_node_pair *pr;
  char buf[64];
  while ((pr = fy_node_mapping_iterate(map, &it)) != NULL) {
    const char *k = scalar(fy_node_pair_key(pr), buf, sizeof buf);
    if (k && strcmp(k, key) == 0) return fy_node_pair_value(pr);
  }
  return NULL;
}

/* Checks that a mapping has only the allowed keys. */
static tsr_status ykeys(yctx *y, struct fy_node *map, const char *const *allowed,
                        const char *what) {
  void *it = NULL;
  struct fy_node_pair *pr;
  char buf[64];
  while ((pr = fy_node_mapping_iterate(map, &it)) != NULL) {
    struct fy_node *kn = fy_node_pair_key(pr);
    const char *k = scalar(kn, buf, sizeof buf);
    int ok = 0;
    for (size_t i = 0; k && allowed[i]; i++) ok |= strcmp(k, allowed[i]) == 0;
    if (!ok) {
      char list[256] = "";
      for (size_t i = 0; allowed[i]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, allowed[i], sizeof list - strlen(list) - 1);
      }
      return yerr(y, kn, "%s: unknown key '%s' (expected one of: %s)", what, k ? k : "?", list);
    }
  }
  return TSR_OK;
}

/* qubits: all | N | [N, ...]; *all set for all. */
static tsr_status yqubits(yctx *y, struct fy_node *n, uint32_t **out, uint32_t *count, int *all) {
  *out = NULL;
  *count = 0;
  *all = 0;
  char buf[64];
  if (!n) {
    *all = 1;
    return TSR_OK;
  }
  const char *s = scalar(n, buf, sizeof buf);
  if (s && (strcmp(s, "all") == 0 || strcmp(s, "*") == 0)) {
    *all = 1;
    return TSR_OK;
  }
  size_t cnt = fy_node_get_type(n) == FYNT_SEQUENCE ? (size_t)fy_node_sequence_item_count(n) : 1;
  if (fy_node_get_type(n) == FYNT_MAPPING)
    return yerr(y, n, "qubits: expected all, a qubit or a list");
  uint32_t *q = tsr_malloc((cnt ? cnt : 1) * sizeof *q, y->err);
  if (!q) return y->err ? y->err->status : TSR_ERR_NOMEM;
  void *it = NULL;
  for (size_t i = 0; i < cnt; i++) {
    struct fy_node *e = fy_node_get_type(n) == FYNT_SEQUENCE ? fy_node_sequence_iterate(n, &it) : n;
    double v;
    tsr_status st = ynumber(y, e, 0, &v, "qubits");
    if (st == TSR_OK && (v < 0 || v != floor(v) || v > (1 << 24))) {
      st = yerr(y, e, "qubits: %g is not a qubit index", v);
    }
    if (st != TSR_OK) {
      free(q);
      return st;
    }
    q[i] = (uint32_t)v;
  }
  *out = q;
  *count = (uint32_t)cnt;
  return TSR_OK;
}

/* gates: all | name | [name, ...] into kinds (TSR_GATE_NONE for all). */
static tsr_status ygates(yctx *y, struct fy_node *n, tsr_gate *kinds, size_t *count) {
  *count = 0;
  char buf[64];
  if (!n) {
    kinds[(*count)++] = TSR_GATE_NONE;
    return TSR_OK;
  }
  size_t cnt = fy_node_get_type(n) == FYNT_SEQUENCE ? (size_t)fy_node_sequence_item_count(n) : 1;
  void *it = NULL;
  for (size_t i = 0; i < cnt; i++) {
    struct fy_node *e = fy_node_get_type(n) == FYNT_SEQUENCE ? fy_node_sequence_iterate(n, &it) : n;
    const char *s = scalar(e, buf, sizeof buf);
    if (!s) return yerr(y, e, "gates: expected a gate name");
    tsr_gate k = TSR_GATE_NONE;
    if (strcmp(s, "all") != 0 && strcmp(s, "*") != 0) {
      k = tsr_gate_lookup(s);
      if (k == TSR_GATE_NONE || !(tsr_gate_get(k)->flags & TSR_GF_UNITARY)) {
        return yerr(y, e, "gates: unknown gate '%s'", s);
      }
    }
    if (*count < TSR_GATE_COUNT) kinds[(*count)++] = k;
  }
  return TSR_OK;
}

static tsr_status ycomplex(yctx *y, struct fy_node *n, double complex *out) {
  if (fy_node_get_type(n) == FYNT_SEQUENCE) {
    if (fy_node_sequence_item_count(n) != 2)
      return yerr(y, n, "kraus: a complex entry is [re, im]");
    void *it = NULL;
    double re, im;
    tsr_status st = ynumber(y, fy_node_sequence_iterate(n, &it), 0, &re, "kraus");
    if (st == TSR_OK) st = ynumber(y, fy_node_sequence_iterate(n, &it), 0, &im, "kraus");
    if (st == TSR_OK) *out = CMPLX(re, im);
    return st;
  }
  double re;
  tsr_status st = ynumber(y, n, 0, &re, "kraus");
  if (st == TSR_OK) *out = re;
  return st;
}

static tsr_channel *ykraus(yctx *y, struct fy_node *n) {
  if (fy_node_get_type(n) != FYNT_SEQUENCE || fy_node_sequence_item_count(n) < 1) {
    yerr(y, n, "kraus: expected a list of matrices");
    return NULL;
  }
  const size_t nops = (size_t)fy_node_sequence_item_count(n);
  void *it = NULL;
  struct fy_node *m0 = fy_node_sequence_iterate(n, &it);
  if (fy_node_get_type(m0) != FYNT_SEQUENCE) {
    yerr(y, m0, "kraus: a matrix is a list of rows");
    return NULL;
  }
  const size_t d = (size_t)fy_node_sequence_item_count(m0);
  unsigned k = 0;
  while (((size_t)1 << k) < d) k++;
  if (d < 2 || ((size_t)1 << k) != d || k > 4) {
    yerr(y, m0, "kraus: a matrix has 2, 4, 8 or 16 rows, not %zu", d);
    return NULL;
  }
  if (nops > 4 * d * d) {
    yerr(y, n, "kraus: too many operators (%zu)", nops);
    return NULL;
  }
  double complex *ops = tsr_calloc(nops * d * d, sizeof *ops, y->err);
  if (!ops) return NULL;
  it = NULL;
  for (size_t i = 0; i < nops; i++) {
    struct fy_node *m = fy_node_sequence_iterate(n, &it);
    if (fy_node_get_type(m) != FYNT_SEQUENCE || (size_t)fy_node_sequence_item_count(m) != d) {
      yerr(y, m, "kraus: operator %zu is not a %zu x %zu matrix", i, d, d);
      free(ops);
      return NULL;
    }
    void *rit = NULL;
    for (size_t r = 0; r < d; r++) {
      struct fy_node *row = fy_node_sequence_iterate(m, &rit);
      if (fy_node_get_type(row) != FYNT_SEQUENCE || (size_t)fy_node_sequence_item_count(row) != d) {
        yerr(y, row, "kraus: operator %zu row %zu does not have %zu entries", i, r, d);
        free(ops);
        return NULL;
      }
      void *cit = NULL;
      for (size_t c = 0; c < d; c++) {
        if (ycomplex(y, fy_node_sequence_iterate(row, &cit), &ops[i * d * d + r * d + c]) !=
            TSR_OK) {
          free(ops);
          return NULL;
        }
      }
    }
  }
  tsr_error e;
  tsr_error_clear(&e);
  tsr_channel *ch = tsr_channel_kraus(k, nops, ops, "kraus", &e);
  free(ops);
  if (!ch) yerr(y, n, "%s", e.message);
  return ch;
}

/* Channels of one gate rule, in the order written. */
static tsr_status yrule(yctx *y, struct fy_node *map) {
  static const char *const keys[] = {"gates",
                                     "gate",
                                     "qubits",
                                     "depolarizing",
                                     "amplitude_damping",
                                     "phase_damping",
                                     "thermal_relaxation",
                                     "pauli",
                                     "kraus",
                                     NULL};
  tsr_status st = ykeys(y, map, keys, "gate noise");
  if (st != TSR_OK) return st;
  tsr_gate kinds[TSR_GATE_COUNT];
  size_t nkinds = 0;
  struct fy_node *g = ylookup(map, "gates");
  if (!g) g = ylookup(map, "gate");
  st = ygates(y, g, kinds, &nkinds);
  if (st != TSR_OK) return st;
  uint32_t *qs = NULL, nq = 0;
  int all = 0;
  st = yqubits(y, ylookup(map, "qubits"), &qs, &nq, &all);
  if (st != TSR_OK) return st;
  void *it = NULL;
  struct fy_node_pair *pr;
  char kb[64];
  while (st == TSR_OK && (pr = fy_node_mapping_iterate(map, &it)) != NULL) {
    const char *key = scalar(fy_node_pair_key(pr), kb, sizeof kb);
    struct fy_node *v = fy_node_pair_value(pr);
    tsr_channel *chs[2] = {NULL, NULL};
    tsr_error e;
    tsr_error_clear(&e);
    double a = 0;
    if (!key || strcmp(key, "gates") == 0 || strcmp(key, "gate") == 0 ||
        strcmp(key, "qubits") == 0) {
      continue;
    } else if (strcmp(key, "depolarizing") == 0) {
      st = ynumber(y, v, 0, &a, key);
      if (st == TSR_OK) {
        chs[0] = tsr_channel_depolarizing(1, a, &e);
        if (chs[0] && a <= 16.0 / 15.0) chs[1] = tsr_channel_depolarizing(2, a, &e);
        if (!chs[0] || !chs[1]) st = yerr(y, v, "%s", e.message);
      }
    } else if (strcmp(key, "amplitude_damping") == 0 || strcmp(key, "phase_damping") == 0) {
      st = ynumber(y, v, 0, &a, key);
      if (st == TSR_OK) {
        chs[0] =
            key[0] == 'a' ? tsr_channel_amplitude_damping(a, &e) : tsr_channel_phase_damping(a, &e);
        if (!chs[0]) st = yerr(y, v, "%s", e.message);
      }
    } else if (strcmp(key, "thermal_relaxation") == 0) {
      static const char *const tk[] = {"t1", "t2", "time", NULL};
      double t1 = 0, t2 = 0, t = 0;
      if (fy_node_get_type(v) != FYNT_MAPPING) {
        st = yerr(y, v, "thermal_relaxation: expected {t1: ..., t2: ..., time: ...}");
      }
      if (st == TSR_OK) st = ykeys(y, v, tk, key);
      struct fy_node *n1 = ylookup(v, "t1"), *n2 = ylookup(v, "t2"), *nt = ylookup(v, "time");
      if (st == TSR_OK && (!n1 || !n2 || !nt)) {
        st = yerr(y, v, "thermal_relaxation needs t1, t2 and time");
      }
      if (st == TSR_OK) st = ynumber(y, n1, 1, &t1, "t1");
      if (st == TSR_OK) st = ynumber(y, n2, 1, &t2, "t2");
      if (st == TSR_OK) st = ynumber(y, nt, 1, &t, "time");
      if (st == TSR_OK) {
        chs[0] = tsr_channel_thermal_relaxation(t1, t2, t, &e);
        if (!chs[0]) st = yerr(y, v, "%s", e.message);
      }
    } else if (strcmp(key, "pauli") == 0) {
      static const char *const pk[] = {"x", "y", "z", NULL};
      double p[4] = {0, 0, 0, 0};
      if (fy_node_get_type(v) != FYNT_MAPPING)
        st = yerr(y, v, "pauli: expected {x: ..., y: ..., z: ...}");
      if (st == TSR_OK) st = ykeys(y, v, pk, key);
      for (int j = 0; j < 3 && st == TSR_OK; j++) {
        struct fy_node *pn = ylookup(v, pk[j]);
        if (pn) st = ynumber(y, pn, 0, &p[j + 1], pk[j]);
      }
      if (st == TSR_OK) {
        p[0] = 1 - p[1] - p[2] - p[3];
        if (p[0] < 0 && p[0] > -1e-12) p[0] = 0;
        chs[0] = tsr_channel_pauli(1, p, &e);
        if (!chs[0]) st = yerr(y, v, "%s", e.message);
      }
    } else if (strcmp(key, "kraus") == 0) {
      chs[0] = ykraus(y, v);
      if (!chs[0]) st = y->err ? y->err->status : TSR_ERR_INPUT;
    }
    for (size_t i = 0; i < nkinds && st == TSR_OK; i++) {
      for (int c = 0; c < 2 && st == TSR_OK; c++) {
        if (!chs[c]) continue;
        st = tsr_noise_model_add_gate_channel(y->nm, kinds[i], all ? NULL : qs, nq, chs[c], y->err);
        if (st != TSR_OK) st = yerr(y, v, "%s", y->err ? y->err->message : "invalid rule");
      }
    }
    tsr_channel_free(chs[0]);
    tsr_channel_free(chs[1]);
  }
  free(qs);
  return st;
}

/* readout / relaxation entries: a list of {qubits, a, b} mappings. */
static tsr_status yper_qubit(yctx *y, struct fy_node *n, int relaxation) {
  static const char *const rk[] = {"qubits", "p01", "p10", NULL};
  static const char *const tk[] = {"qubits", "t1", "t2", NULL};
  const char *what = relaxation ? "relaxation" : "readout";
  if (fy_node_get_type(n) == FYNT_MAPPING) {
    /* a single entry may be written without the list */
  } else if (fy_node_get_type(n) != FYNT_SEQUENCE) {
    return yerr(y, n, "%s: expected a list of entries", what);
  }
  const size_t cnt =
      fy_node_get_type(n) == FYNT_SEQUENCE ? (size_t)fy_node_sequence_item_count(n) : 1;
  void *it = NULL;
  for (size_t i = 0; i < cnt; i++) {
    struct fy_node *e = fy_node_get_type(n) == FYNT_SEQUENCE ? fy_node_sequence_iterate(n, &it) : n;
    if (fy_node_get_type(e) != FYNT_MAPPING) return yerr(y, e, "%s: expected a mapping", what);
    tsr_status st = ykeys(y, e, relaxation ? tk : rk, what);
    if (st != TSR_OK) return st;
    const char *ka = relaxation ? "t1" : "p01", *kb = relaxation ? "t2" : "p10";
    struct fy_node *na = ylookup(e, ka), *nb = ylookup(e, kb);
    if (!na || !nb) return yerr(y, e, "%s: an entry needs %s and %s", what, ka, kb);
    double a, b;
    st = ynumber(y, na, relaxation, &a, ka);
    if (st == TSR_OK) st = ynumber(y, nb, relaxation, &b, kb);
    uint32_t *qs = NULL, nq = 0;
    int all = 0;
    if (st == TSR_OK) st = yqubits(y, ylookup(e, "qubits"), &qs, &nq, &all);
    for (uint32_t j = 0; st == TSR_OK && j < (all ? 1 : nq); j++) {
      const int64_t q = all ? -1 : (int64_t)qs[j];
      st = relaxation ? tsr_noise_model_set_relaxation(y->nm, q, a, b, y->err)
                      : tsr_noise_model_set_readout(y->nm, q, a, b, y->err);
      if (st != TSR_OK) st = yerr(y, e, "%s", y->err ? y->err->message : "invalid entry");
    }
    free(qs);
    if (st != TSR_OK) return st;
  }
  return TSR_OK;
}

static tsr_status ydurations(yctx *y, struct fy_node *n) {
  if (fy_node_get_type(n) != FYNT_MAPPING)
    return yerr(y, n, "durations: expected gate: time pairs");
  void *it = NULL;
  struct fy_node_pair *pr;
  char kb[64];
  while ((pr = fy_node_mapping_iterate(n, &it)) != NULL) {
    struct fy_node *kn = fy_node_pair_key(pr);
    const char *key = scalar(kn, kb, sizeof kb);
    tsr_gate kind = TSR_GATE_NONE;
    if (!key) return yerr(y, kn, "durations: expected a gate name");
    if (strcmp(key, "default") != 0) {
      kind = tsr_gate_lookup(key);
      if (kind == TSR_GATE_NONE) return yerr(y, kn, "durations: unknown gate '%s'", key);
    }
    double t;
    tsr_status st = ynumber(y, fy_node_pair_value(pr), 1, &t, key);
    if (st == TSR_OK) st = tsr_noise_model_set_duration(y->nm, kind, t, y->err);
    if (st != TSR_OK)
      return yerr(y, fy_node_pair_value(pr), "%s", y->err ? y->err->message : "bad duration");
  }
  return TSR_OK;
}

static void diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len) {
  (void)diag;
  (void)user;
  (void)buf;
  (void)len;
}

tsr_status tsr_noise_model_load_string(const char *text, size_t len, const char *filename,
                                       tsr_noise_model **out, tsr_error *err) {
  *out = NULL;
  const char *file = filename ? filename : "<string>";
  struct fy_diag_cfg dcfg;
  fy_diag_cfg_default(&dcfg);
  dcfg.fp = NULL;
  dcfg.output_fn = diag_discard;
  dcfg.colorize = false;
  struct fy_diag *diag = fy_diag_create(&dcfg);
  if (!diag) return tsr_error_set(err, TSR_ERR_NOMEM, "cannot create the YAML diagnostics");
  fy_diag_set_collect_errors(diag, true);
  struct fy_parse_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.flags = FYPCF_QUIET;
  cfg.diag = diag;
  struct fy_document *doc = fy_document_build_from_string(&cfg, text ? text : "", text ? len : 0);
  if (!doc) {
    void *it = NULL;
    struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
    tsr_status st = tsr_error_set_at(err, TSR_ERR_INPUT, file, de && de->line > 0 ? de->line : 1,
                                     de && de->column > 0 ? de->column : 1, "YAML syntax error: %s",
                                     de && de->msg ? de->msg : "invalid YAML");
    fy_diag_destroy(diag);
    return st;
  }
  tsr_noise_model *nm = tsr_noise_model_new(err);
  tsr_status st = nm ? TSR_OK : TSR_ERR_NOMEM;
  yctx y = {file, err, nm};
  struct fy_node *root = fy_document_root(doc);
  if (st == TSR_OK && root && fy_node_get_type(root) != FYNT_MAPPING) {
    if (!(fy_node_get_type(root) == FYNT_SCALAR && fy_node_is_null(root))) {
      st = yerr(&y, root,
                "a noise description is a mapping with gates, readout, relaxation, "
                "durations");
    }
  } else if (st == TSR_OK && root) {
    static const char *const keys[] = {"gates", "readout", "relaxation", "durations", NULL};
    st = ykeys(&y, root, keys, "noise");
    struct fy_node *g = ylookup(root, "gates");
    if (st == TSR_OK && g) {
      if (fy_node_get_type(g) != FYNT_SEQUENCE) {
        st = yerr(&y, g, "gates: expected a list of rules");
      } else {
        void *it = NULL;
        struct fy_node *rule;
        while (st == TSR_OK && (rule = fy_node_sequence_iterate(g, &it)) != NULL) {
          if (fy_node_get_type(rule) != FYNT_MAPPING) {
            st = yerr(&y, rule, "gates: a rule is a mapping");
          } else {
            st = yrule(&y, rule);
          }
        }
      }
    }
    struct fy_node *r = ylookup(root, "readout");
    if (st == TSR_OK && r) st = yper_qubit(&y, r, 0);
    struct fy_node *t = ylookup(root, "relaxation");
    if (st == TSR_OK && t) st = yper_qubit(&y, t, 1);
    struct fy_node *d = ylookup(root, "durations");
    if (st == TSR_OK && d) st = ydurations(&y, d);
  }
  fy_document_destroy(doc);
  fy_diag_destroy(diag);
  if (st != TSR_OK) {
    tsr_noise_model_free(nm);
    return st;
  }
  *out = nm;
  return TSR_OK;
}

tsr_status tsr_noise_model_load_file(const char *path, tsr_noise_model **out, tsr_error *err) {
  char *text = NULL;
  size_t len = 0;
  tsr_status st = tsr_read_file(path, &text, &len, err);
  if (st != TSR_OK) return st;
  st = tsr_noise_model_load_string(text, len, path, out, err);
  free(text);
  return st;
}
