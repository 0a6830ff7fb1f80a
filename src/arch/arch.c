/* Arch: the machine object (modules, memory nodes, links), the coupling
 * graphs of modules, the rules a machine must satisfy, and its JSON and
 * Graphviz forms.
 *
 * Link geometry: a link is two fibre arms meeting at the Bell-state
 * measurement station. A photon from end i flies arm_i to the station and
 * the herald flies back, so one attempt takes the slower end's emission time
 * plus 2 * max(arm_i) / v, v = c / 1.468 (~4.9 us/km; physics/README §1-2).
 * With the station half-way that is L / v, the README's 2 * (L/2) / v. A
 * reflection link's photon leaves the station, visits both ends and comes
 * back: 2 tau_A + 2 tau_B + max(tau_A, tau_B) of flight (docs/link-physics.md
 * §8, which the link layer's model shares). */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arch_internal.h"

/* ------------------------------------------------------------------ names */

static const char *const modality_names[TSR_MODALITY_COUNT] = {
    "ideal", "trapped-ion", "neutral-atom", "superconducting", "colour-centre"};
static const char *const topology_names[TSR_TOPOLOGY_COUNT] = {
    "all-to-all", "line", "ring", "grid", "heavy-hex", "star", "reconfigurable"};
static const char *const protocol_names[TSR_PROTOCOL_COUNT] = {"two-photon", "single-click",
                                                               "reflection", "ideal"};
static const char *const group_names[TSR_PARAM_GROUP_COUNT] = {
    "qubits", "native_gates", "gate_1q",      "gate_2q",       "readout",
    "reset",  "coherence",    "connectivity", "communication", "photon"};

static int lookup(const char *const *names, int n, const char *name) {
  if (!name) return -1;
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i], name) == 0) return i;
  }
  return -1;
}

const char *tsr_modality_name(tsr_modality m) {
  return (unsigned)m < TSR_MODALITY_COUNT ? modality_names[m] : "?";
}

int tsr_modality_lookup(const char *name, tsr_modality *out) {
  int i = lookup(modality_names, TSR_MODALITY_COUNT, name);
  if (i < 0) return -1;
  *out = (tsr_modality)i;
  return 0;
}

const char *tsr_topology_name(tsr_topology t) {
  return (unsigned)t < TSR_TOPOLOGY_COUNT ? topology_names[t] : "?";
}

int tsr_topology_lookup(const char *name, tsr_topology *out) {
  int i = lookup(topology_names, TSR_TOPOLOGY_COUNT, name);
  if (i < 0) return -1;
  *out = (tsr_topology)i;
  return 0;
}

const char *tsr_link_protocol_name(tsr_link_protocol p) {
  return (unsigned)p < TSR_PROTOCOL_COUNT ? protocol_names[p] : "?";
}

int tsr_link_protocol_lookup(const char *name, tsr_link_protocol *out) {
  int i = lookup(protocol_names, TSR_PROTOCOL_COUNT, name);
  if (i < 0) return -1;
  *out = (tsr_link_protocol)i;
  return 0;
}

const char *tsr_param_group_name(tsr_param_group g) {
  return (unsigned)g < TSR_PARAM_GROUP_COUNT ? group_names[g] : "?";
}

/* ------------------------------------------------------------ suggestions */

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return SIZE_MAX;
  size_t row[65];
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
      size_t best = diag + cost;
      if (row[j] + 1 < best) best = row[j] + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

const char *tsr_arch_suggest(const char *word, const char *const *candidates, size_t n) {
  if (!word || !*word) return NULL;
  /* A third of the word may be wrong; words under 3 letters get no guess
   * (every other short name would be "close"). */
  size_t limit = strlen(word) / 3;
  const char *best = NULL;
  size_t best_d = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    size_t d = edit_distance(word, candidates[i]);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best_d <= limit && best_d > 0 ? best : NULL;
}

/* -------------------------------------------------------------- formatting */

const char *tsr_arch_format_length(double m, char *buf, size_t size) {
  if (!isfinite(m))
    snprintf(buf, size, "%g m", m);
  else if (m >= 1000.0)
    snprintf(buf, size, "%.4g km", m / 1000.0);
  else if (m >= 1.0 || m == 0.0)
    snprintf(buf, size, "%.4g m", m);
  else if (m >= 1e-3)
    snprintf(buf, size, "%.4g mm", m * 1e3);
  else if (m >= 1e-5)
    snprintf(buf, size, "%.4g um", m * 1e6);
  else
    snprintf(buf, size, "%.5g nm", m * 1e9);
  return buf;
}

const char *tsr_arch_format_time(double s, char *buf, size_t size) {
  return tsr_format_seconds(s, 4, buf, size);
}

/* ------------------------------------------------------------ connectivity */

/* Heavy-hex: rows of `cols` qubits; between rows g and g+1 a bridge qubit
 * sits at every 4th column, starting at column 0 after even rows and column
 * 2 after odd rows (as IBM's Eagle and Heron layouts), so no row qubit
 * touches two bridges and every degree is <= 3 (lattices of one or two
 * columns put the odd rows' bridge in the last column). Qubits are numbered row 0,
 * its bridges, row 1, ... like IBM's devices. */
static int bridge_start(int gap, int cols) {
  if (gap % 2 == 0) return 0;
  return cols > 2 ? 2 : cols - 1; /* narrow lattices: the last column */
}

static uint64_t bridges_in_gap(int gap, int cols) {
  int start = bridge_start(gap, cols);
  return start < cols ? (uint64_t)((cols - 1 - start) / 4 + 1) : 0;
}

uint64_t tsr_connectivity_sites(const tsr_connectivity *c) {
  if (!c || c->rows <= 0 || c->cols <= 0) return 0;
  if (c->kind == TSR_TOPOLOGY_GRID) return (uint64_t)c->rows * (uint64_t)c->cols;
  if (c->kind == TSR_TOPOLOGY_HEAVY_HEX) {
    uint64_t n = (uint64_t)c->rows * (uint64_t)c->cols;
    for (int g = 0; g + 1 < c->rows; g++) n += bridges_in_gap(g, c->cols);
    return n;
  }
  return 0;
}

typedef struct edge_list {
  tsr_edge *e;
  size_t n, cap;
  uint32_t limit; /* only edges between qubits below this */
  int count_only; /* count edges, store nothing */
  int failed;
} edge_list;

static void push_edge(edge_list *l, uint64_t a, uint64_t b) {
  if (l->failed || a >= l->limit || b >= l->limit || a == b) return;
  if (l->count_only) {
    l->n++;
    return;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 64;
    tsr_edge *grown = realloc(l->e, cap * sizeof *grown);
    if (!grown) {
      l->failed = 1;
      return;
    }
    l->e = grown;
    l->cap = cap;
  }
  l->e[l->n].a = (uint32_t)(a < b ? a : b);
  l->e[l->n].b = (uint32_t)(a < b ? b : a);
  l->n++;
}

static int edge_cmp(const void *x, const void *y) {
  const tsr_edge *a = x, *b = y;
  if (a->a != b->a) return a->a < b->a ? -1 : 1;
  if (a->b != b->b) return a->b < b->b ? -1 : 1;
  return 0;
}

static void heavy_hex_edges(edge_list *l, int rows, int cols) {
  uint64_t base = 0; /* first qubit of the current row */
  for (int r = 0; r < rows && base < l->limit; r++) {
    for (int c = 0; c + 1 < cols; c++) push_edge(l, base + (uint64_t)c, base + (uint64_t)c + 1);
    if (r + 1 == rows) break;
    uint64_t bridge = base + (uint64_t)cols;
    uint64_t nb = bridges_in_gap(r, cols);
    uint64_t next = bridge + nb;
    int start = bridge_start(r, cols);
    for (uint64_t k = 0; k < nb; k++) {
      uint64_t col = (uint64_t)start + 4 * k;
      push_edge(l, base + col, bridge + k);
      push_edge(l, bridge + k, next + col);
    }
    base = next;
  }
}

static tsr_status generate(const tsr_connectivity *c, edge_list *l, tsr_edge **edges, size_t *count,
                           tsr_error *err);

tsr_status tsr_connectivity_edges(const tsr_connectivity *c, uint32_t qubits, tsr_edge **edges,
                                  size_t *count, tsr_error *err) {
  *edges = NULL;
  *count = 0;
  if (!c) return tsr_error_set(err, TSR_ERR_VALUE, "no connectivity given");
  uint64_t sites = tsr_connectivity_sites(c);
  if (c->kind == TSR_TOPOLOGY_GRID || c->kind == TSR_TOPOLOGY_HEAVY_HEX) {
    if (c->rows <= 0 || c->cols <= 0) {
      return tsr_error_set(err, TSR_ERR_VALUE, "%s connectivity needs rows and cols >= 1",
                           tsr_topology_name(c->kind));
    }
    if (qubits > sites) {
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "%s of %d x %d has %" PRIu64 " sites, fewer than %" PRIu32 " qubits",
                           tsr_topology_name(c->kind), c->rows, c->cols, sites, qubits);
    }
  }
  if ((c->kind == TSR_TOPOLOGY_ALL_TO_ALL || c->kind == TSR_TOPOLOGY_RECONFIGURABLE) &&
      qubits > 8192) {
    return tsr_error_set(err, TSR_ERR_LIMIT,
                         "the %s coupling list of %" PRIu32 " qubits is too large to build",
                         tsr_topology_name(c->kind), qubits);
  }
  edge_list l = {NULL, 0, 0, qubits, 0, 0};
  return generate(c, &l, edges, count, err);
}

uint64_t tsr_connectivity_edge_count(const tsr_connectivity *c, uint32_t qubits) {
  if (!c) return 0;
  uint64_t n = qubits;
  switch (c->kind) {
  case TSR_TOPOLOGY_ALL_TO_ALL:
  case TSR_TOPOLOGY_RECONFIGURABLE:
    return n * (n ? n - 1 : 0) / 2;
  case TSR_TOPOLOGY_LINE:
  case TSR_TOPOLOGY_STAR:
    return n ? n - 1 : 0;
  case TSR_TOPOLOGY_RING:
    return n >= 3 ? n : (n ? n - 1 : 0);
  case TSR_TOPOLOGY_GRID:
  case TSR_TOPOLOGY_HEAVY_HEX: {
    if (c->rows <= 0 || c->cols <= 0 || qubits > tsr_connectivity_sites(c)) return 0;
    edge_list l = {NULL, 0, 0, qubits, 1, 0};
    tsr_edge *e = NULL;
    size_t count = 0;
    if (generate(c, &l, &e, &count, NULL) != TSR_OK) return 0;
    return count;
  }
  default:
    return 0;
  }
}

static tsr_status generate(const tsr_connectivity *c, edge_list *lp, tsr_edge **edges,
                           size_t *count, tsr_error *err) {
  edge_list l = *lp;
  uint32_t qubits = l.limit;
  switch (c->kind) {
  case TSR_TOPOLOGY_ALL_TO_ALL:
  case TSR_TOPOLOGY_RECONFIGURABLE:
    for (uint64_t a = 0; a < qubits; a++) {
      for (uint64_t b = a + 1; b < qubits; b++) push_edge(&l, a, b);
    }
    break;
  case TSR_TOPOLOGY_LINE:
  case TSR_TOPOLOGY_RING:
    for (uint64_t a = 0; a + 1 < qubits; a++) push_edge(&l, a, a + 1);
    if (c->kind == TSR_TOPOLOGY_RING && qubits >= 3) push_edge(&l, 0, qubits - 1);
    break;
  case TSR_TOPOLOGY_STAR:
    for (uint64_t a = 1; a < qubits; a++) push_edge(&l, 0, a);
    break;
  case TSR_TOPOLOGY_GRID:
    /* row-major sites below `qubits` (which fit in the lattice) */
    for (uint64_t q = 0; q < qubits; q++) {
      if ((q % (uint64_t)c->cols) + 1 < (uint64_t)c->cols) push_edge(&l, q, q + 1);
      push_edge(&l, q, q + (uint64_t)c->cols);
    }
    break;
  case TSR_TOPOLOGY_HEAVY_HEX:
    heavy_hex_edges(&l, c->rows, c->cols);
    break;
  default:
    free(l.e);
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown connectivity kind %d", (int)c->kind);
  }
  if (l.failed) {
    free(l.e);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory building a coupling graph");
  }
  if (l.n > 1 && !l.count_only) qsort(l.e, l.n, sizeof *l.e, edge_cmp);
  *edges = l.e;
  *count = l.n;
  return TSR_OK;
}

/* ------------------------------------------------------------------ params */

void tsr_module_params_ideal(tsr_module_params *p, uint32_t qubits) {
  memset(p, 0, sizeof *p);
  p->modality = TSR_MODALITY_IDEAL;
  p->qubits = qubits;
  static const char *const gates[] = {"rz", "sx", "x", "cz"};
  p->n_native_gates = 4;
  for (size_t i = 0; i < 4; i++) {
    snprintf(p->native_gates[i], TSR_ARCH_GATE_NAME_MAX, "%s", gates[i]);
  }
  p->gate_1q.fidelity = p->gate_2q.fidelity = p->readout.fidelity = p->reset.fidelity = 1.0;
  p->coherence.t1_s = p->coherence.t2_s = INFINITY;
  p->communication_coherence = p->coherence;
  p->connectivity.kind = TSR_TOPOLOGY_ALL_TO_ALL;
  p->communication_qubits = qubits;
  p->photon.wavelength_m = 1550e-9;
  p->photon.emission_probability = 1.0;
  p->photon.collection_efficiency = 1.0;
}

double tsr_fibre_delay(double length_m) {
  return length_m * TSR_FIBRE_GROUP_INDEX / TSR_SPEED_OF_LIGHT;
}

const char *tsr_module_source(const tsr_module *m, tsr_param_group g) {
  if ((unsigned)g >= TSR_PARAM_GROUP_COUNT) return "?";
  if (m->overridden & (1u << g)) return "machine file";
  const tsr_preset *p = m->preset[0] ? tsr_preset_find(m->preset) : NULL;
  if (!p) return m->params.modality == TSR_MODALITY_IDEAL ? "ideal module" : "user";
  return p->sources[g];
}

/* -------------------------------------------------------------------- arch */

tsr_status tsr_arch_new(const char *name, tsr_arch **out, tsr_error *err) {
  *out = NULL;
  tsr_arch *a = tsr_calloc(1, sizeof *a, err);
  if (!a) return TSR_ERR_NOMEM;
  snprintf(a->name, sizeof a->name, "%s", name ? name : "");
  *out = a;
  return TSR_OK;
}

void tsr_arch_free(tsr_arch *arch) {
  if (!arch) return;
  free(arch->description);
  free(arch->modules);
  free(arch->links);
  free(arch);
}

int64_t tsr_arch_find_module(const tsr_arch *arch, const char *name) {
  if (!arch || !name) return -1;
  for (size_t i = 0; i < arch->n_modules; i++) {
    if (strcmp(arch->modules[i].name, name) == 0) return (int64_t)i;
  }
  return -1;
}

size_t tsr_arch_compute_count(const tsr_arch *arch) {
  size_t n = 0;
  for (size_t i = 0; arch && i < arch->n_modules; i++)
    n += arch->modules[i].role == TSR_ROLE_COMPUTE;
  return n;
}

tsr_status tsr_arch_add_module(tsr_arch *arch, const char *name, tsr_module_role role,
                               const tsr_module_params *params, uint32_t *index, tsr_error *err) {
  if (!name || !*name) return tsr_error_set(err, TSR_ERR_VALUE, "a module needs a name");
  if (strlen(name) >= TSR_ARCH_NAME_MAX) {
    return tsr_error_set(err, TSR_ERR_VALUE, "module name '%.20s...' is longer than %d characters",
                         name, TSR_ARCH_NAME_MAX - 1);
  }
  if (tsr_arch_find_module(arch, name) >= 0) {
    return tsr_error_set(err, TSR_ERR_VALUE, "duplicate module name '%s'", name);
  }
  if (arch->n_modules >= UINT32_MAX) return tsr_error_set(err, TSR_ERR_LIMIT, "too many modules");
  if (arch->n_modules == arch->capacity_modules) {
    size_t cap = arch->capacity_modules ? 2 * arch->capacity_modules : 8;
    tsr_module *grown = tsr_realloc(arch->modules, cap, sizeof *grown, err);
    if (!grown) return TSR_ERR_NOMEM;
    arch->modules = grown;
    arch->capacity_modules = cap;
  }
  tsr_module *m = &arch->modules[arch->n_modules];
  memset(m, 0, sizeof *m);
  snprintf(m->name, sizeof m->name, "%s", name);
  m->role = role;
  m->params = *params;
  if (index) *index = (uint32_t)arch->n_modules;
  arch->n_modules++;
  return TSR_OK;
}

double tsr_link_derived_period(const tsr_arch *arch, const tsr_link *link) {
  double emit = 0.0, tau[2];
  for (int i = 0; i < 2; i++) {
    const tsr_link_end *e = &link->ends[i];
    if (e->module < arch->n_modules) {
      double t = arch->modules[e->module].params.photon.emission_time_s;
      if (t > emit) emit = t;
    }
    tau[i] = tsr_fibre_delay(e->arm_length_m);
  }
  double longer = tau[0] > tau[1] ? tau[0] : tau[1];
  double period = link->protocol == TSR_PROTOCOL_REFLECTION
                      ? emit + 2.0 * tau[0] + 2.0 * tau[1] + longer
                      : emit + 2.0 * longer;
  return period > 0 ? period : 1e-6;
}

void tsr_link_init(tsr_link *link, uint32_t a, uint32_t b, double length_m) {
  memset(link, 0, sizeof *link);
  link->ends[0].module = a;
  link->ends[1].module = b;
  link->length_m = length_m;
  for (int i = 0; i < 2; i++) {
    link->ends[i].arm_length_m = length_m / 2;
    link->ends[i].fibre_wavelength_m = NAN;
    link->ends[i].attenuation_db_per_km = NAN;
  }
  link->station = TSR_STATION_MIDDLE;
  link->protocol = TSR_PROTOCOL_TWO_PHOTON;
  link->attempt_period_s = NAN;
  link->multiplexing = 1;
  link->visibility = TSR_ARCH_DEFAULT_VISIBILITY;
  link->detector.efficiency = NAN;
  link->detector.dark_count_rate_hz = NAN;
  link->detector.window_s = NAN;
}

void tsr_arch_resolve_link(const tsr_arch *arch, tsr_link *link) {
  link->length_m = link->ends[0].arm_length_m + link->ends[1].arm_length_m;
  for (int i = 0; i < 2; i++) {
    tsr_link_end *e = &link->ends[i];
    if (isnan(e->fibre_wavelength_m)) {
      if (e->n_conversion > 0 && e->n_conversion <= TSR_ARCH_MAX_CONVERSION_STAGES) {
        e->fibre_wavelength_m = e->conversion[e->n_conversion - 1].target_wavelength_m;
      } else if (e->module < arch->n_modules) {
        e->fibre_wavelength_m = arch->modules[e->module].params.photon.wavelength_m;
      }
    }
    if (isnan(e->attenuation_db_per_km)) {
      double a = tsr_fibre_attenuation_default(e->fibre_wavelength_m, NULL);
      e->attenuation_db_per_km = isfinite(a) ? a : 0.0;
    }
  }
  tsr_detector d;
  tsr_arch_detector_default(link->ends[0].fibre_wavelength_m, &d, NULL);
  if (isnan(link->detector.efficiency)) link->detector.efficiency = d.efficiency;
  if (isnan(link->detector.dark_count_rate_hz)) {
    link->detector.dark_count_rate_hz = d.dark_count_rate_hz;
  }
  if (isnan(link->detector.window_s)) link->detector.window_s = d.window_s;
  if (isnan(link->attempt_period_s)) {
    link->attempt_period_s = tsr_link_derived_period(arch, link);
    link->attempt_period_derived = 1;
  }
}

tsr_status tsr_arch_add_link(tsr_arch *arch, const tsr_link *link, uint32_t *index,
                             tsr_error *err) {
  for (int i = 0; i < 2; i++) {
    if (link->ends[i].module >= arch->n_modules) {
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "link end %d names module %" PRIu32 ", but the machine has %zu", i,
                           link->ends[i].module, arch->n_modules);
    }
    if (link->ends[i].n_conversion > TSR_ARCH_MAX_CONVERSION_STAGES) {
      return tsr_error_set(err, TSR_ERR_VALUE, "more than %d conversion stages",
                           TSR_ARCH_MAX_CONVERSION_STAGES);
    }
  }
  if (link->ends[0].module == link->ends[1].module) {
    return tsr_error_set(err, TSR_ERR_VALUE, "a link joins two different modules ('%s' twice)",
                         arch->modules[link->ends[0].module].name);
  }
  if (arch->n_links >= UINT32_MAX) return tsr_error_set(err, TSR_ERR_LIMIT, "too many links");
  if (arch->n_links == arch->capacity_links) {
    size_t cap = arch->capacity_links ? 2 * arch->capacity_links : 8;
    tsr_link *grown = tsr_realloc(arch->links, cap, sizeof *grown, err);
    if (!grown) return TSR_ERR_NOMEM;
    arch->links = grown;
    arch->capacity_links = cap;
  }
  tsr_link *l = &arch->links[arch->n_links];
  *l = *link;
  tsr_arch_resolve_link(arch, l);
  if (index) *index = (uint32_t)arch->n_links;
  arch->n_links++;
  return TSR_OK;
}

/* ------------------------------------------------------------------ checks */

__attribute__((format(printf, 3, 4))) static int problem(tsr_arch_problem *p, const char *field,
                                                         const char *fmt, ...) {
  p->field = field;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->message, sizeof p->message, fmt, ap);
  va_end(ap);
  return 1;
}

static int bad_fraction(double v) {
  return !(v >= 0.0 && v <= 1.0);
}

static int bad_nonneg(double v) {
  return !(v >= 0.0) || !isfinite(v);
}

/* Names are letters, digits, '-', '_' and '.', starting with a letter, so
 * they print safely in tables, JSON and Graphviz. */
static int valid_name(const char *s) {
  if (!isalpha((unsigned char)s[0])) return 0;
  for (const char *c = s; *c; c++) {
    if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.') return 0;
  }
  return 1;
}

static int check_op(tsr_arch_problem *p, const char *who, const tsr_op_params *op,
                    const char *fid_field, const char *dur_field, const char *what) {
  if (bad_fraction(op->fidelity)) {
    return problem(p, fid_field, "%s: %s fidelity %g is outside [0, 1]", who, what, op->fidelity);
  }
  if (bad_nonneg(op->duration_s)) {
    return problem(p, dur_field, "%s: %s duration %g s is negative or not finite", who, what,
                   op->duration_s);
  }
  return 0;
}

static int check_coherence(tsr_arch_problem *p, const char *who, const tsr_coherence *c,
                           const char *t1_field, const char *t2_field, const char *what) {
  char b1[48], b2[48];
  if (!(c->t1_s > 0)) {
    return problem(p, t1_field, "%s: %sT1 = %s must be positive", who, what,
                   tsr_arch_format_time(c->t1_s, b1, sizeof b1));
  }
  if (!(c->t2_s > 0)) {
    return problem(p, t2_field, "%s: %sT2 = %s must be positive", who, what,
                   tsr_arch_format_time(c->t2_s, b2, sizeof b2));
  }
  if (c->t2_s > 2.0 * c->t1_s) {
    return problem(p, t2_field,
                   "%s: %sT2 = %s exceeds 2*T1 = %s (T2 <= 2*T1 holds for every qubit)", who, what,
                   tsr_arch_format_time(c->t2_s, b1, sizeof b1),
                   tsr_arch_format_time(2.0 * c->t1_s, b2, sizeof b2));
  }
  return 0;
}

int tsr_arch_check_module(const tsr_arch *arch, size_t index, tsr_arch_problem *p) {
  const tsr_module *m = &arch->modules[index];
  const tsr_module_params *q = &m->params;
  p->module = (int64_t)index;
  p->link = -1;
  char who[TSR_ARCH_NAME_MAX + 16];
  snprintf(who, sizeof who, "module '%s'", m->name);
  if (!valid_name(m->name)) {
    return problem(p, "name",
                   "module name '%s' must start with a letter and hold only letters, digits, "
                   "'-', '_' and '.'",
                   m->name);
  }
  for (size_t j = 0; j < index; j++) {
    if (strcmp(arch->modules[j].name, m->name) == 0) {
      if (arch->modules[j].line > 0) {
        return problem(p, "name", "duplicate module name '%s' (first defined at line %d)", m->name,
                       arch->modules[j].line);
      }
      return problem(p, "name", "duplicate module name '%s'", m->name);
    }
  }
  if ((unsigned)q->modality >= TSR_MODALITY_COUNT) {
    return problem(p, "modality", "%s: unknown modality %d", who, (int)q->modality);
  }
  if (q->qubits < 1 || q->qubits > TSR_ARCH_MAX_QUBITS) {
    return problem(p, "qubits", "%s: qubits = %" PRIu32 " must be between 1 and %d", who, q->qubits,
                   TSR_ARCH_MAX_QUBITS);
  }
  if (q->n_native_gates > TSR_ARCH_MAX_NATIVE_GATES) {
    return problem(p, "native_gates", "%s: more than %d native gates", who,
                   TSR_ARCH_MAX_NATIVE_GATES);
  }
  for (uint32_t g = 0; g < q->n_native_gates; g++) {
    if (!q->native_gates[g][0])
      return problem(p, "native_gates", "%s: empty native gate name", who);
  }
  if (check_op(p, who, &q->gate_1q, "gate_1q.fidelity", "gate_1q.duration", "gate_1q") ||
      check_op(p, who, &q->gate_2q, "gate_2q.fidelity", "gate_2q.duration", "gate_2q") ||
      check_op(p, who, &q->readout, "readout.fidelity", "readout.duration", "readout") ||
      check_op(p, who, &q->reset, "reset.fidelity", "reset.duration", "reset")) {
    return 1;
  }
  if (check_coherence(p, who, &q->coherence, "coherence.t1", "coherence.t2", "") ||
      check_coherence(p, who, &q->communication_coherence, "communication.t1", "communication.t2",
                      "communication-qubit ")) {
    return 1;
  }
  const tsr_connectivity *c = &q->connectivity;
  if ((unsigned)c->kind >= TSR_TOPOLOGY_COUNT) {
    return problem(p, "connectivity", "%s: unknown connectivity kind %d", who, (int)c->kind);
  }
  if (c->kind == TSR_TOPOLOGY_GRID || c->kind == TSR_TOPOLOGY_HEAVY_HEX) {
    if (c->rows < 1)
      return problem(p, "connectivity.rows", "%s: %s needs rows >= 1", who,
                     tsr_topology_name(c->kind));
    if (c->cols < 1)
      return problem(p, "connectivity.cols", "%s: %s needs cols >= 1", who,
                     tsr_topology_name(c->kind));
    uint64_t sites = tsr_connectivity_sites(c);
    if (sites < q->qubits) {
      return problem(p, "connectivity",
                     "%s: a %s of %d x %d has %" PRIu64 " sites, fewer than its %" PRIu32 " qubits",
                     who, tsr_topology_name(c->kind), c->rows, c->cols, sites, q->qubits);
    }
  }
  if (bad_nonneg(c->move_time_s)) {
    return problem(p, "connectivity.move_time", "%s: move time %g s is negative or not finite", who,
                   c->move_time_s);
  }
  if (q->communication_qubits > q->qubits) {
    return problem(p, "communication.qubits",
                   "%s: %" PRIu32 " communication qubits but only %" PRIu32 " qubits", who,
                   q->communication_qubits, q->qubits);
  }
  const tsr_photon_interface *ph = &q->photon;
  if (!(ph->wavelength_m >= 0) || !isfinite(ph->wavelength_m)) {
    return problem(p, "photon.wavelength", "%s: photon wavelength %g m is negative or not finite",
                   who, ph->wavelength_m);
  }
  if (ph->wavelength_m > 1e-3) {
    return problem(p, "photon.wavelength",
                   "%s: photon wavelength %g m is not an optical wavelength (write units: 1550 nm)",
                   who, ph->wavelength_m);
  }
  if (bad_fraction(ph->emission_probability)) {
    return problem(p, "photon.emission_probability",
                   "%s: emission probability %g is outside [0, 1]", who, ph->emission_probability);
  }
  if (bad_nonneg(ph->emission_time_s)) {
    return problem(p, "photon.emission_time", "%s: emission time %g s is negative or not finite",
                   who, ph->emission_time_s);
  }
  if (bad_fraction(ph->collection_efficiency)) {
    return problem(p, "photon.collection_efficiency",
                   "%s: collection efficiency %g is outside [0, 1]", who,
                   ph->collection_efficiency);
  }
  if (bad_fraction(ph->numerical_aperture)) {
    return problem(p, "photon.numerical_aperture", "%s: numerical aperture %g is outside [0, 1]",
                   who, ph->numerical_aperture);
  }
  if (ph->has_transducer) {
    if (bad_fraction(ph->transducer_efficiency)) {
      return problem(p, "photon.transducer.efficiency",
                     "%s: transducer efficiency %g is outside [0, 1]", who,
                     ph->transducer_efficiency);
    }
    if (bad_nonneg(ph->transducer_noise_photons)) {
      return problem(p, "photon.transducer.noise_photons",
                     "%s: transducer noise photons %g is negative or not finite", who,
                     ph->transducer_noise_photons);
    }
  }
  if (bad_fraction(ph->g2)) {
    return problem(p, "photon.g2", "%s: g2(0) %g is outside [0, 1]", who, ph->g2);
  }
  if (ph->has_cavity) {
    if (isnan(ph->cavity_cooperativity)) {
      if (bad_fraction(ph->cavity_reflectivity)) {
        return problem(p, "photon.cavity.reflectivity",
                       "%s: cavity reflectivity %g is outside [0, 1]", who,
                       ph->cavity_reflectivity);
      }
      if (bad_fraction(ph->cavity_fidelity)) {
        return problem(p, "photon.cavity.fidelity", "%s: cavity fidelity %g is outside [0, 1]", who,
                       ph->cavity_fidelity);
      }
    } else {
      if (!(ph->cavity_cooperativity >= 0)) {
        return problem(p, "photon.cavity.cooperativity", "%s: cooperativity %g is negative", who,
                       ph->cavity_cooperativity);
      }
      if (bad_fraction(ph->cavity_in_coupling)) {
        return problem(p, "photon.cavity.in_coupling",
                       "%s: cavity in-coupling %g is outside [0, 1]", who, ph->cavity_in_coupling);
      }
    }
  }
  return 0;
}

static double fibre_wavelength_at_station(const tsr_link_end *e) {
  return e->fibre_wavelength_m;
}

int tsr_arch_check_link(const tsr_arch *arch, size_t index, tsr_arch_problem *p) {
  const tsr_link *l = &arch->links[index];
  p->module = -1;
  p->link = (int64_t)index;
  for (int i = 0; i < 2; i++) {
    if (l->ends[i].module >= arch->n_modules) {
      return problem(p, "between", "link %zu: end %d is not a module of the machine", index, i);
    }
  }
  const char *na = arch->modules[l->ends[0].module].name;
  const char *nb = arch->modules[l->ends[1].module].name;
  char who[2 * TSR_ARCH_NAME_MAX + 16];
  snprintf(who, sizeof who, "link %s -- %s", na, nb);
  if (l->ends[0].module == l->ends[1].module) {
    return problem(p, "between", "%s joins a module to itself", who);
  }
  for (size_t j = 0; j < index; j++) {
    const tsr_link *o = &arch->links[j];
    if ((o->ends[0].module == l->ends[0].module && o->ends[1].module == l->ends[1].module) ||
        (o->ends[0].module == l->ends[1].module && o->ends[1].module == l->ends[0].module)) {
      if (o->line > 0) {
        return problem(p, "between", "duplicate %s (first defined at line %d)", who, o->line);
      }
      return problem(p, "between", "duplicate %s", who);
    }
  }
  for (int i = 0; i < 2; i++) {
    const tsr_module *m = &arch->modules[l->ends[i].module];
    if (m->params.communication_qubits < 1) {
      return problem(p, "between", "%s: module '%s' has no communication qubits", who, m->name);
    }
  }
  if (bad_nonneg(l->length_m) || bad_nonneg(l->ends[0].arm_length_m) ||
      bad_nonneg(l->ends[1].arm_length_m)) {
    return problem(p, "length", "%s: fibre length %g m is negative or not finite", who,
                   l->length_m);
  }
  if (fabs(l->ends[0].arm_length_m + l->ends[1].arm_length_m - l->length_m) >
      1e-9 * (1.0 + l->length_m)) {
    return problem(p, "station", "%s: the arms to the station (%g m + %g m) do not add up to %g m",
                   who, l->ends[0].arm_length_m, l->ends[1].arm_length_m, l->length_m);
  }
  if ((unsigned)l->protocol >= TSR_PROTOCOL_COUNT) {
    return problem(p, "protocol", "%s: unknown protocol %d", who, (int)l->protocol);
  }
  for (int i = 0; i < 2; i++) {
    const tsr_link_end *e = &l->ends[i];
    const char *end = i == 0 ? na : nb;
    if (e->n_conversion > TSR_ARCH_MAX_CONVERSION_STAGES) {
      return problem(p, "conversion", "%s: more than %d conversion stages at '%s'", who,
                     TSR_ARCH_MAX_CONVERSION_STAGES, end);
    }
    for (uint32_t k = 0; k < e->n_conversion; k++) {
      const tsr_conversion_stage *s = &e->conversion[k];
      if (!(s->target_wavelength_m > 0) || s->target_wavelength_m > 1e-3) {
        return problem(p, "conversion.to",
                       "%s: conversion stage %" PRIu32 " at '%s' has target wavelength %g m (write "
                       "units: 1550 nm)",
                       who, k + 1, end, s->target_wavelength_m);
      }
      if (bad_fraction(s->efficiency)) {
        return problem(p, "conversion.efficiency",
                       "%s: conversion stage %" PRIu32 " at '%s' has efficiency %g outside [0, 1]",
                       who, k + 1, end, s->efficiency);
      }
      if (bad_nonneg(s->noise_photons)) {
        return problem(p, "conversion.noise_photons",
                       "%s: conversion stage %" PRIu32 " at '%s' has negative noise photons %g",
                       who, k + 1, end, s->noise_photons);
      }
    }
    if (bad_nonneg(e->attenuation_db_per_km)) {
      return problem(p, "attenuation", "%s: attenuation %g dB/km at '%s' is negative", who,
                     e->attenuation_db_per_km, end);
    }
  }
  if (l->protocol == TSR_PROTOCOL_SINGLE_CLICK) {
    if (!(l->bright_state_weight > 0 && l->bright_state_weight < 1)) {
      return problem(p, "bright_state_weight",
                     "%s: single-click needs a bright-state weight in (0, 1), got %g", who,
                     l->bright_state_weight);
    }
  } else if (l->bright_state_weight != 0) {
    return problem(p, "bright_state_weight",
                   "%s: bright_state_weight applies to single-click links only, not %s", who,
                   tsr_link_protocol_name(l->protocol));
  }
  if (l->protocol == TSR_PROTOCOL_TWO_PHOTON || l->protocol == TSR_PROTOCOL_SINGLE_CLICK) {
    double wa = fibre_wavelength_at_station(&l->ends[0]);
    double wb = fibre_wavelength_at_station(&l->ends[1]);
    if (fabs(wa - wb) > 1e-4 * (wa > wb ? wa : wb)) {
      char ba[48], bb[48];
      return problem(p, "conversion",
                     "%s: photons reach the station at different wavelengths (%s from '%s', %s "
                     "from '%s'); %s interference needs one wavelength: add a conversion stage",
                     who, tsr_arch_format_length(wa, ba, sizeof ba), na,
                     tsr_arch_format_length(wb, bb, sizeof bb), nb,
                     tsr_link_protocol_name(l->protocol));
    }
  }
  if (!(l->attempt_period_s > 0) || !isfinite(l->attempt_period_s)) {
    return problem(p, "attempt_period", "%s: attempt period %g s must be positive", who,
                   l->attempt_period_s);
  }
  if (l->multiplexing < 1) {
    return problem(p, "multiplexing", "%s: multiplexing must be at least 1", who);
  }
  if (bad_fraction(l->visibility)) {
    return problem(p, "visibility", "%s: visibility %g is outside [0, 1]", who, l->visibility);
  }
  if (bad_fraction(l->detector.efficiency)) {
    return problem(p, "detectors.efficiency", "%s: detector efficiency %g is outside [0, 1]", who,
                   l->detector.efficiency);
  }
  if (bad_nonneg(l->detector.dark_count_rate_hz)) {
    return problem(p, "detectors.dark_count_rate",
                   "%s: dark count rate %g Hz is negative or not finite", who,
                   l->detector.dark_count_rate_hz);
  }
  if (bad_nonneg(l->detector.window_s)) {
    return problem(p, "detectors.window", "%s: detector window %g s is negative or not finite", who,
                   l->detector.window_s);
  }
  return 0;
}

tsr_status tsr_arch_validate(const tsr_arch *arch, tsr_error *err) {
  if (!arch) return tsr_error_set(err, TSR_ERR_VALUE, "no machine");
  tsr_arch_problem p;
  for (size_t i = 0; i < arch->n_modules; i++) {
    if (tsr_arch_check_module(arch, i, &p)) {
      const tsr_module *m = &arch->modules[i];
      if (m->line > 0) {
        return tsr_error_set_at(err, TSR_ERR_VALUE, arch->source, m->line, m->col, "%s", p.message);
      }
      return tsr_error_set(err, TSR_ERR_VALUE, "%s", p.message);
    }
  }
  for (size_t i = 0; i < arch->n_links; i++) {
    if (tsr_arch_check_link(arch, i, &p)) {
      const tsr_link *l = &arch->links[i];
      if (l->line > 0) {
        return tsr_error_set_at(err, TSR_ERR_VALUE, arch->source, l->line, l->col, "%s", p.message);
      }
      return tsr_error_set(err, TSR_ERR_VALUE, "%s", p.message);
    }
  }
  return TSR_OK;
}

/* -------------------------------------------------------------------- JSON */

static void json_op(tsr_json *j, const char *key, const tsr_op_params *op) {
  tsr_json_key(j, key);
  tsr_json_object_begin(j);
  tsr_json_kv_double(j, "fidelity", op->fidelity);
  tsr_json_kv_double(j, "duration_s", op->duration_s);
  tsr_json_object_end(j);
}

static void json_coherence(tsr_json *j, const tsr_coherence *c) {
  tsr_json_kv_double(j, "t1_s", c->t1_s);
  tsr_json_kv_double(j, "t2_s", c->t2_s);
}

static void json_module(tsr_json *j, const tsr_module *m) {
  const tsr_module_params *q = &m->params;
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "name", m->name);
  tsr_json_kv_string(j, "role", m->role == TSR_ROLE_COMPUTE ? "compute" : "memory");
  tsr_json_kv_string(j, "modality", tsr_modality_name(q->modality));
  tsr_json_key(j, "preset");
  if (m->preset[0])
    tsr_json_string(j, m->preset);
  else
    tsr_json_null(j);
  tsr_json_kv_int(j, "qubits", q->qubits);
  tsr_json_key(j, "native_gates");
  tsr_json_array_begin(j);
  for (uint32_t g = 0; g < q->n_native_gates && g < TSR_ARCH_MAX_NATIVE_GATES; g++) {
    tsr_json_string(j, q->native_gates[g]);
  }
  tsr_json_array_end(j);
  json_op(j, "gate_1q", &q->gate_1q);
  json_op(j, "gate_2q", &q->gate_2q);
  json_op(j, "readout", &q->readout);
  json_op(j, "reset", &q->reset);
  tsr_json_key(j, "coherence");
  tsr_json_object_begin(j);
  json_coherence(j, &q->coherence);
  tsr_json_object_end(j);
  tsr_json_key(j, "connectivity");
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "kind", tsr_topology_name(q->connectivity.kind));
  if (q->connectivity.kind == TSR_TOPOLOGY_GRID || q->connectivity.kind == TSR_TOPOLOGY_HEAVY_HEX) {
    tsr_json_kv_int(j, "rows", q->connectivity.rows);
    tsr_json_kv_int(j, "cols", q->connectivity.cols);
  }
  if (q->connectivity.kind == TSR_TOPOLOGY_RECONFIGURABLE) {
    tsr_json_kv_double(j, "move_time_s", q->connectivity.move_time_s);
  }
  tsr_json_kv_int(j, "edges", (int64_t)tsr_connectivity_edge_count(&q->connectivity, q->qubits));
  tsr_json_object_end(j);
  tsr_json_key(j, "communication");
  tsr_json_object_begin(j);
  tsr_json_kv_int(j, "qubits", q->communication_qubits);
  json_coherence(j, &q->communication_coherence);
  tsr_json_object_end(j);
  const tsr_photon_interface *ph = &q->photon;
  tsr_json_key(j, "photon");
  tsr_json_object_begin(j);
  tsr_json_kv_double(j, "wavelength_m", ph->wavelength_m);
  tsr_json_kv_double(j, "emission_probability", ph->emission_probability);
  tsr_json_kv_double(j, "emission_time_s", ph->emission_time_s);
  tsr_json_kv_double(j, "collection_efficiency", ph->collection_efficiency);
  if (ph->numerical_aperture > 0)
    tsr_json_kv_double(j, "numerical_aperture", ph->numerical_aperture);
  if (ph->has_transducer) {
    tsr_json_key(j, "transducer");
    tsr_json_object_begin(j);
    tsr_json_kv_double(j, "efficiency", ph->transducer_efficiency);
    tsr_json_kv_double(j, "noise_photons", ph->transducer_noise_photons);
    tsr_json_object_end(j);
  }
  if (ph->g2 > 0) tsr_json_kv_double(j, "g2", ph->g2);
  if (ph->has_cavity) {
    tsr_json_key(j, "cavity");
    tsr_json_object_begin(j);
    if (isnan(ph->cavity_cooperativity)) {
      tsr_json_kv_double(j, "reflectivity", ph->cavity_reflectivity);
      tsr_json_kv_double(j, "fidelity", ph->cavity_fidelity);
    } else {
      tsr_json_kv_double(j, "cooperativity", ph->cavity_cooperativity);
      tsr_json_kv_double(j, "in_coupling", ph->cavity_in_coupling);
    }
    tsr_json_object_end(j);
  }
  tsr_json_object_end(j);
  tsr_json_key(j, "overridden");
  tsr_json_array_begin(j);
  for (int g = 0; g < TSR_PARAM_GROUP_COUNT; g++) {
    if (m->overridden & (1u << g)) tsr_json_string(j, group_names[g]);
  }
  tsr_json_array_end(j);
  tsr_json_key(j, "sources");
  tsr_json_object_begin(j);
  for (int g = 0; g < TSR_PARAM_GROUP_COUNT; g++) {
    tsr_json_kv_string(j, group_names[g], tsr_module_source(m, (tsr_param_group)g));
  }
  tsr_json_object_end(j);
  tsr_json_object_end(j);
}

static const char *station_name(const tsr_arch *arch, const tsr_link *l, char *buf, size_t size) {
  switch (l->station) {
  case TSR_STATION_MIDDLE:
    return "middle";
  case TSR_STATION_END_A:
    return arch->modules[l->ends[0].module].name;
  case TSR_STATION_END_B:
    return arch->modules[l->ends[1].module].name;
  default: {
    char len[48];
    snprintf(buf, size, "%s from %s",
             tsr_arch_format_length(l->ends[0].arm_length_m, len, sizeof len),
             arch->modules[l->ends[0].module].name);
    return buf;
  }
  }
}

static void json_link(tsr_json *j, const tsr_arch *arch, const tsr_link *l,
                      tsr_arch_link_json_fn extra, void *user) {
  char buf[128];
  tsr_json_object_begin(j);
  tsr_json_key(j, "between");
  tsr_json_array_begin(j);
  tsr_json_string(j, arch->modules[l->ends[0].module].name);
  tsr_json_string(j, arch->modules[l->ends[1].module].name);
  tsr_json_array_end(j);
  tsr_json_kv_double(j, "length_m", l->length_m);
  tsr_json_kv_string(j, "station", station_name(arch, l, buf, sizeof buf));
  tsr_json_kv_string(j, "protocol", tsr_link_protocol_name(l->protocol));
  if (l->protocol == TSR_PROTOCOL_SINGLE_CLICK) {
    tsr_json_kv_double(j, "bright_state_weight", l->bright_state_weight);
  }
  tsr_json_kv_double(j, "attempt_period_s", l->attempt_period_s);
  tsr_json_kv_bool(j, "attempt_period_derived", l->attempt_period_derived);
  tsr_json_kv_int(j, "multiplexing", l->multiplexing);
  tsr_json_kv_double(j, "visibility", l->visibility);
  tsr_json_key(j, "detectors");
  tsr_json_object_begin(j);
  tsr_json_kv_double(j, "efficiency", l->detector.efficiency);
  tsr_json_kv_double(j, "dark_count_rate_hz", l->detector.dark_count_rate_hz);
  tsr_json_kv_double(j, "window_s", l->detector.window_s);
  tsr_json_object_end(j);
  tsr_json_key(j, "ends");
  tsr_json_array_begin(j);
  for (int i = 0; i < 2; i++) {
    const tsr_link_end *e = &l->ends[i];
    const tsr_module *m = &arch->modules[e->module];
    tsr_json_object_begin(j);
    tsr_json_kv_string(j, "module", m->name);
    tsr_json_kv_double(j, "photon_wavelength_m", m->params.photon.wavelength_m);
    tsr_json_key(j, "conversion");
    tsr_json_array_begin(j);
    for (uint32_t k = 0; k < e->n_conversion && k < TSR_ARCH_MAX_CONVERSION_STAGES; k++) {
      tsr_json_object_begin(j);
      tsr_json_kv_double(j, "to_m", e->conversion[k].target_wavelength_m);
      tsr_json_kv_double(j, "efficiency", e->conversion[k].efficiency);
      tsr_json_kv_double(j, "noise_photons", e->conversion[k].noise_photons);
      tsr_json_object_end(j);
    }
    tsr_json_array_end(j);
    tsr_json_kv_double(j, "fibre_wavelength_m", e->fibre_wavelength_m);
    tsr_json_kv_double(j, "arm_length_m", e->arm_length_m);
    tsr_json_kv_double(j, "attenuation_db_per_km", e->attenuation_db_per_km);
    tsr_json_object_end(j);
  }
  tsr_json_array_end(j);
  if (extra) {
    extra(arch, (size_t)(l - arch->links), j, user);
  } else {
    /* The link layer's figures: the caller adds them through `extra`. */
    tsr_json_key(j, "rate_hz");
    tsr_json_null(j);
    tsr_json_key(j, "fidelity");
    tsr_json_null(j);
  }
  tsr_json_object_end(j);
}

tsr_status tsr_arch_write_json(const tsr_arch *arch, tsr_json *j, tsr_error *err) {
  return tsr_arch_write_json_ex(arch, j, NULL, NULL, err);
}

tsr_status tsr_arch_write_json_ex(const tsr_arch *arch, tsr_json *j, tsr_arch_link_json_fn extra,
                                  void *user, tsr_error *err) {
  if (!arch || !j) return tsr_error_set(err, TSR_ERR_VALUE, "no machine or JSON writer");
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "name", arch->name);
  tsr_json_key(j, "description");
  if (arch->description)
    tsr_json_string(j, arch->description);
  else
    tsr_json_null(j);
  tsr_json_kv_string(j, "source", arch->source);
  tsr_json_key(j, "modules");
  tsr_json_array_begin(j);
  for (size_t i = 0; i < arch->n_modules; i++) json_module(j, &arch->modules[i]);
  tsr_json_array_end(j);
  tsr_json_key(j, "links");
  tsr_json_array_begin(j);
  for (size_t i = 0; i < arch->n_links; i++) json_link(j, arch, &arch->links[i], extra, user);
  tsr_json_array_end(j);
  tsr_json_object_end(j);
  return TSR_OK;
}

/* ---------------------------------------------------------------- Graphviz */

tsr_status tsr_arch_write_dot(const tsr_arch *arch, FILE *out, tsr_error *err) {
  if (!arch || !out) return tsr_error_set(err, TSR_ERR_VALUE, "no machine or output stream");
  /* Names are restricted to [A-Za-z0-9._-] (tsr_arch_validate), so they
   * need no escaping inside quotes. */
  fprintf(out, "graph \"%s\" {\n", arch->name[0] ? arch->name : "machine");
  fprintf(out, "  graph [overlap=false, splines=true];\n");
  fprintf(out, "  node [fontname=\"Helvetica\", fontsize=10];\n");
  fprintf(out, "  edge [fontname=\"Helvetica\", fontsize=9];\n");
  for (size_t i = 0; i < arch->n_modules; i++) {
    const tsr_module *m = &arch->modules[i];
    fprintf(out,
            "  \"%s\" [shape=%s, label=\"%s\\n%s%s%s\\n%" PRIu32 " qubits, %" PRIu32
            " comm\"%s];\n",
            m->name, m->role == TSR_ROLE_COMPUTE ? "box" : "ellipse", m->name,
            tsr_modality_name(m->params.modality), m->preset[0] ? " " : "", m->preset,
            m->params.qubits, m->params.communication_qubits,
            m->role == TSR_ROLE_COMPUTE ? "" : ", style=filled, fillcolor=lightgrey");
  }
  for (size_t i = 0; i < arch->n_links; i++) {
    const tsr_link *l = &arch->links[i];
    char len[48], wl[48];
    fprintf(out, "  \"%s\" -- \"%s\" [label=\"%s\\n%s\\n%s\"];\n",
            arch->modules[l->ends[0].module].name, arch->modules[l->ends[1].module].name,
            tsr_arch_format_length(l->length_m, len, sizeof len),
            tsr_arch_format_length(l->ends[0].fibre_wavelength_m, wl, sizeof wl),
            tsr_link_protocol_name(l->protocol));
  }
  fprintf(out, "}\n");
  if (ferror(out)) return tsr_error_set(err, TSR_ERR_IO, "cannot write the Graphviz output");
  return TSR_OK;
}
