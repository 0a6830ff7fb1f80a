/* The compiler's view of a machine: compute modules (program qubit ranges,
 * communication qubits, native gate sets), the end-to-end links between them
 * (a direct photonic link or a path through memory/repeater nodes), their
 * expected latency, fidelity and cost under the chosen cost model, and the
 * module graph the partitioner works on. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

const char *tsr_compile_cost_name(tsr_compile_cost c) {
  switch (c) {
  case TSR_COST_EBITS:
    return "ebits";
  case TSR_COST_LATENCY:
    return "latency";
  case TSR_COST_FIDELITY:
    return "fidelity";
  }
  return "?";
}

tsr_status tsr_compile_cost_parse(const char *name, tsr_compile_cost *out, tsr_error *err) {
  static const tsr_compile_cost all[] = {TSR_COST_EBITS, TSR_COST_LATENCY, TSR_COST_FIDELITY};
  for (size_t i = 0; name && i < 3; i++) {
    if (strcmp(name, tsr_compile_cost_name(all[i])) == 0) {
      *out = all[i];
      return TSR_OK;
    }
  }
  return tsr_error_set(err, TSR_ERR_VALUE,
                       "unknown cost model '%s' (expected ebits, latency or fidelity)",
                       name ? name : "(null)");
}

void tsr_compile_options_default(tsr_compile_options *opt) {
  memset(opt, 0, sizeof *opt);
  opt->cost = TSR_COST_EBITS;
  opt->seed = 1;
  opt->allow_teleport = 1;
  opt->embed = 1;
  opt->route = 1;
  opt->native = 1;
  opt->restarts = 0;
  opt->max_communication = 0;
  opt->lookahead_weight = 0.5;
}

/* ------------------------------------------------------------ natives */

static int has_gate(const tsr_module_params *p, const char *name) {
  for (uint32_t i = 0; i < p->n_native_gates && i < TSR_ARCH_MAX_NATIVE_GATES; i++) {
    if (strcmp(p->native_gates[i], name) == 0) return 1;
  }
  return 0;
}

/* Native gate names -> synthesis targets (docs/compiler.md "Native gates"). */
static void choose_natives(tsr__mod *md) {
  const tsr_module_params *p = md->params;
  md->native = p->n_native_gates > 0;
  md->no_x = 0;
  if (has_gate(p, "gpi") && has_gate(p, "gpi2")) {
    md->basis = TSR_BASIS_1Q_GPI;
  } else if (has_gate(p, "sx") && has_gate(p, "rz")) {
    md->basis = TSR_BASIS_1Q_ZSX;
    md->no_x = !has_gate(p, "x");
  } else if ((has_gate(p, "r") || has_gate(p, "gr")) && has_gate(p, "rz")) {
    md->basis = TSR_BASIS_1Q_ZR;
  } else if (has_gate(p, "ry") && has_gate(p, "rz")) {
    md->basis = TSR_BASIS_1Q_ZYZ;
  } else {
    md->basis = TSR_BASIS_1Q_U3;
  }
  if (has_gate(p, "ms")) {
    md->ent = TSR_ENT_MS;
  } else if (has_gate(p, "zz")) {
    md->ent = TSR_ENT_ZZ;
  } else if (has_gate(p, "rzz")) {
    md->ent = TSR_ENT_RZZ;
  } else if (has_gate(p, "cz")) {
    md->ent = TSR_ENT_CZ;
  } else {
    md->ent = TSR_ENT_CX; /* cx, and the fallback for ecr and unknown sets */
  }
  md->serial_2q = p->modality == TSR_MODALITY_TRAPPED_ION;
}

/* ------------------------------------------------------------ paths */

/* Link-layer figures of one arch link. */
typedef struct hop_info {
  int usable;
  double latency_s, fidelity, delay_s;
} hop_info;

static double werner_w(double f) {
  double w = (4.0 * f - 1.0) / 3.0;
  return w < 1e-12 ? 1e-12 : (w > 1.0 ? 1.0 : w);
}

/* Expected maximum of independent exponential waits with these means
 * (inclusion-exclusion; hops are generated in parallel and the swaps wait for
 * the last one). */
static double expected_max(const double *mean, uint32_t k) {
  if (k == 1) return mean[0];
  if (k > 16) {
    double s = 0;
    for (uint32_t i = 0; i < k; i++) s += mean[i];
    return s;
  }
  double total = 0;
  for (uint32_t mask = 1; mask < (1u << k); mask++) {
    double rate = 0;
    int bits = 0;
    for (uint32_t i = 0; i < k; i++) {
      if (mask & (1u << i)) {
        rate += 1.0 / mean[i];
        bits++;
      }
    }
    total += (bits & 1 ? 1.0 : -1.0) / rate;
  }
  return total;
}

static double node_swap_time(const tsr_module_params *p) {
  return p->gate_2q.duration_s + p->readout.duration_s;
}

static double hop_weight(tsr_compile_cost cost, const hop_info *h) {
  switch (cost) {
  case TSR_COST_LATENCY:
    return h->latency_s;
  case TSR_COST_FIDELITY:
    return -log(werner_w(h->fidelity)) + 1e-9;
  default:
    return 1.0;
  }
}

static double node_weight(tsr_compile_cost cost, const tsr_module_params *p) {
  switch (cost) {
  case TSR_COST_LATENCY:
    return node_swap_time(p);
  case TSR_COST_FIDELITY:
    return -log(werner_w(p->gate_2q.fidelity)) + 1e-9;
  default:
    return 1.0;
  }
}

tsr_status tsr__machine_build(const tsr_arch *arch, const tsr_compile_options *opt,
                              tsr__machine **out, tsr_error *err) {
  *out = NULL;
  if (!arch) return tsr_error_set(err, TSR_ERR_VALUE, "no machine given");
  size_t na = arch->n_modules;
  uint32_t n = (uint32_t)tsr_arch_compute_count(arch);
  if (n == 0)
    return tsr_error_set(err, TSR_ERR_VALUE, "machine '%s' has no compute module", arch->name);
  if (n > TSR_MODULE_GRAPH_MAX) {
    return tsr_error_set(err, TSR_ERR_LIMIT, "machine '%s' has %u compute modules (at most %d)",
                         arch->name, n, TSR_MODULE_GRAPH_MAX);
  }
  tsr__machine *m = tsr_calloc(1, sizeof *m, err);
  if (!m) return TSR_ERR_NOMEM;
  m->arch = arch;
  m->n = n;
  tsr_status st = TSR_OK;
  hop_info *hops = NULL;
  int32_t *arch_to_c = NULL;
  double *best = NULL;
  int64_t *prev_link = NULL;
  uint8_t *done = NULL;
  m->mods = tsr_calloc(n, sizeof *m->mods, err);
  m->link = tsr_malloc((size_t)n * n * sizeof *m->link, err);
  m->next = tsr_malloc((size_t)n * n * sizeof *m->next, err);
  m->dist = tsr_malloc((size_t)n * n * sizeof *m->dist, err);
  m->delay_s = tsr_malloc((size_t)n * n * sizeof *m->delay_s, err);
  m->links = tsr_calloc((size_t)n * n / 2 + 1, sizeof *m->links, err);
  hops = tsr_calloc(arch->n_links + 1, sizeof *hops, err);
  arch_to_c = tsr_malloc((na + 1) * sizeof *arch_to_c, err);
  best = tsr_malloc((na + 1) * sizeof *best, err);
  prev_link = tsr_malloc((na + 1) * sizeof *prev_link, err);
  done = tsr_malloc(na + 1, err);
  if (!m->mods || !m->link || !m->next || !m->dist || !m->delay_s || !m->links || !hops ||
      !arch_to_c || !best || !prev_link || !done) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  /* Compute modules. */
  uint32_t k = 0, first = 0;
  for (size_t i = 0; i < na; i++) {
    arch_to_c[i] = -1;
    const tsr_module *am = &arch->modules[i];
    if (am->role != TSR_ROLE_COMPUTE) continue;
    tsr__mod *md = &m->mods[k];
    md->arch_index = (uint32_t)i;
    md->params = &am->params;
    md->name = am->name;
    md->qubits = am->params.qubits;
    md->comm = am->params.communication_qubits;
    if (md->comm > md->qubits) md->comm = md->qubits;
    md->capacity = md->qubits - md->comm;
    md->comm_use = md->comm;
    if (opt && opt->max_communication && md->comm_use > opt->max_communication)
      md->comm_use = opt->max_communication;
    if (first > UINT32_MAX - md->qubits) {
      st = tsr_error_set(err, TSR_ERR_LIMIT, "machine '%s' has too many qubits", arch->name);
      goto out;
    }
    md->first = first;
    first += md->qubits;
    choose_natives(md);
    arch_to_c[i] = (int32_t)k++;
  }
  m->nqubits = first;
  /* Link-layer figures of every arch link. */
  for (size_t l = 0; l < arch->n_links; l++) {
    tsr_link_physics lp;
    tsr_link_performance perf;
    st = tsr_link_physics_from_arch(arch, l, &lp, err);
    if (st == TSR_OK) st = tsr_link_evaluate(&lp, &perf, err);
    if (st != TSR_OK) {
      tsr_error_prefix(err, "link %zu of machine '%s'", l + 1, arch->name);
      goto out;
    }
    hops[l].usable = perf.p_attempt > 0 && isfinite(perf.mean_latency_s) &&
                     arch->modules[arch->links[l].ends[0].module].params.communication_qubits > 0 &&
                     arch->modules[arch->links[l].ends[1].module].params.communication_qubits > 0;
    hops[l].latency_s = perf.mean_latency_s;
    hops[l].fidelity = perf.fidelity;
    hops[l].delay_s = tsr_fibre_delay(arch->links[l].length_m);
  }
  tsr_compile_cost cost = opt ? opt->cost : TSR_COST_EBITS;
  for (size_t i = 0; i < (size_t)n * n; i++) {
    m->link[i] = -1;
    m->next[i] = -1;
    m->dist[i] = INFINITY;
    m->delay_s[i] = INFINITY;
  }
  /* End-to-end paths between compute modules whose inner nodes are memory
   * nodes only: Dijkstra from every compute module over the arch graph. */
  for (uint32_t a = 0; a < n; a++) {
    uint32_t src = m->mods[a].arch_index;
    for (size_t i = 0; i < na; i++) {
      best[i] = INFINITY;
      prev_link[i] = -1;
      done[i] = 0;
    }
    best[src] = 0;
    for (;;) {
      size_t u = na;
      for (size_t i = 0; i < na; i++)
        if (!done[i] && isfinite(best[i]) && (u == na || best[i] < best[u])) u = i;
      if (u == na) break;
      done[u] = 1;
      if (u != src && arch->modules[u].role == TSR_ROLE_COMPUTE) continue; /* an end */
      for (size_t l = 0; l < arch->n_links; l++) {
        if (!hops[l].usable) continue;
        const tsr_link *ln = &arch->links[l];
        size_t v;
        if (ln->ends[0].module == u)
          v = ln->ends[1].module;
        else if (ln->ends[1].module == u)
          v = ln->ends[0].module;
        else
          continue;
        if (done[v]) continue;
        double w = best[u] + hop_weight(cost, &hops[l]);
        if (arch->modules[v].role != TSR_ROLE_COMPUTE)
          w += node_weight(cost, &arch->modules[v].params);
        if (w < best[v]) {
          best[v] = w;
          prev_link[v] = (int64_t)l;
        }
      }
    }
    for (uint32_t b = a + 1; b < n; b++) {
      uint32_t dst = m->mods[b].arch_index;
      if (!isfinite(best[dst])) continue;
      /* Walk the path back: hop latencies, fidelities, swap nodes. */
      double lat[64], wprod = 1.0, swap_time = 0.0, delay = 0.0;
      uint32_t nh = 0, via[64];
      size_t v = dst;
      int ok = 1;
      while (v != src) {
        int64_t l = prev_link[v];
        if (l < 0 || nh >= 64) {
          ok = 0;
          break;
        }
        const tsr_link *ln = &arch->links[l];
        via[nh] = (uint32_t)l;
        lat[nh++] = hops[l].latency_s;
        wprod *= werner_w(hops[l].fidelity);
        delay += hops[l].delay_s;
        v = ln->ends[0].module == v ? ln->ends[1].module : ln->ends[0].module;
        if (v != src) {
          const tsr_module_params *np = &arch->modules[v].params;
          swap_time += node_swap_time(np);
          wprod *= werner_w(np->gate_2q.fidelity);
        }
      }
      if (!ok) continue;
      tsr__plink *pl = &m->links[m->nlinks];
      pl->a = a;
      pl->b = b;
      pl->hops = nh;
      pl->path = tsr_malloc(nh * sizeof *pl->path, err);
      if (!pl->path) {
        st = TSR_ERR_NOMEM;
        goto out;
      }
      for (uint32_t h = 0; h < nh; h++) pl->path[h] = via[nh - 1 - h]; /* walked from b */
      pl->latency_s = expected_max(lat, nh) + swap_time + (nh > 1 ? delay : 0.0);
      pl->fidelity = nh == 1 ? hops[prev_link[dst]].fidelity : (1.0 + 3.0 * wprod) / 4.0;
      if (pl->fidelity > 1.0) pl->fidelity = 1.0;
      if (!(pl->fidelity >= 0.0)) pl->fidelity = 0.0;
      switch (cost) {
      case TSR_COST_LATENCY:
        pl->cost = pl->latency_s;
        break;
      case TSR_COST_FIDELITY:
        pl->cost = -log(werner_w(pl->fidelity)) + 1e-6 * (2.0 * nh - 1.0);
        break;
      default:
        pl->cost = 2.0 * nh - 1.0;
        break;
      }
      int len = snprintf(pl->name, sizeof pl->name, "%s-%s", m->mods[a].name, m->mods[b].name);
      if (len < 0 || (size_t)len >= sizeof pl->name)
        snprintf(pl->name, sizeof pl->name, "link%u", m->nlinks);
      m->link[(size_t)a * n + b] = m->link[(size_t)b * n + a] = (int32_t)m->nlinks;
      m->delay_s[(size_t)a * n + b] = m->delay_s[(size_t)b * n + a] = delay;
      m->nlinks++;
    }
  }
  /* Normalise costs: the cheapest link costs 1. */
  double cmin = INFINITY;
  for (uint32_t l = 0; l < m->nlinks; l++)
    if (m->links[l].cost > 0 && m->links[l].cost < cmin) cmin = m->links[l].cost;
  for (uint32_t l = 0; l < m->nlinks; l++) {
    double c = isfinite(cmin) ? m->links[l].cost / cmin : 1.0;
    if (!(c >= 1.0)) c = 1.0;
    if (!isfinite(c)) c = 1e12;
    m->links[l].cost = c;
    size_t ab = (size_t)m->links[l].a * n + m->links[l].b;
    size_t ba = (size_t)m->links[l].b * n + m->links[l].a;
    m->dist[ab] = m->dist[ba] = c;
    m->next[ab] = (int32_t)m->links[l].b;
    m->next[ba] = (int32_t)m->links[l].a;
  }
  for (uint32_t a = 0; a < n; a++) {
    m->dist[(size_t)a * n + a] = 0;
    m->next[(size_t)a * n + a] = (int32_t)a;
    m->delay_s[(size_t)a * n + a] = 0;
  }
  /* Floyd-Warshall: cheapest multi-module paths (relays) and message delays. */
  for (uint32_t c = 0; c < n; c++) {
    for (uint32_t a = 0; a < n; a++) {
      for (uint32_t b = 0; b < n; b++) {
        size_t ab = (size_t)a * n + b, ac = (size_t)a * n + c, cb = (size_t)c * n + b;
        if (m->dist[ac] + m->dist[cb] < m->dist[ab] - 1e-12) {
          m->dist[ab] = m->dist[ac] + m->dist[cb];
          m->next[ab] = m->next[ac];
        }
        if (m->delay_s[ac] + m->delay_s[cb] < m->delay_s[ab])
          m->delay_s[ab] = m->delay_s[ac] + m->delay_s[cb];
      }
    }
  }
  *out = m;
  m = NULL;
out:
  free(hops);
  free(arch_to_c);
  free(best);
  free(prev_link);
  free(done);
  tsr__machine_free(m);
  return st;
}

void tsr__machine_free(tsr__machine *m) {
  if (!m) return;
  free(m->mods);
  for (uint32_t l = 0; m->links && l < m->nlinks; l++) free(m->links[l].path);
  free(m->links);
  free(m->link);
  free(m->next);
  free(m->dist);
  free(m->delay_s);
  free(m);
}

uint32_t tsr__machine_module_of(const tsr__machine *m, uint32_t qubit) {
  uint32_t lo = 0, hi = m->n;
  while (hi - lo > 1) {
    uint32_t mid = (lo + hi) / 2;
    if (m->mods[mid].first <= qubit)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

uint32_t tsr__machine_hop_channels(const tsr__machine *m, uint32_t h) {
  uint64_t comm = 0;
  for (uint32_t i = 0; i < m->n; i++) comm += m->mods[i].comm_use;
  uint32_t c = m->arch->links[h].multiplexing;
  if (c > comm) c = (uint32_t)comm;
  return c ? c : 1;
}

tsr_status tsr_module_graph_from_arch(const tsr_arch *arch, const tsr_compile_options *opt,
                                      tsr_module_graph **out, uint32_t **compute_index,
                                      tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_module_graph_from_arch: NULL argument");
  *out = NULL;
  if (compute_index) *compute_index = NULL;
  tsr__machine *m;
  tsr_status st = tsr__machine_build(arch, opt, &m, err);
  if (st != TSR_OK) return st;
  tsr_module_graph *g = NULL;
  st = tsr_module_graph_new(m->n, 0, &g, err);
  for (uint32_t i = 0; st == TSR_OK && i < m->n; i++) {
    g->capacity[i] = m->mods[i].capacity;
    g->link_qubits[i] = m->mods[i].comm_use;
  }
  for (uint32_t l = 0; st == TSR_OK && l < m->nlinks; l++)
    st = tsr_module_graph_link(g, m->links[l].a, m->links[l].b, m->links[l].cost, err);
  uint32_t *idx = NULL;
  if (st == TSR_OK && compute_index) {
    idx = tsr_malloc(m->n * sizeof *idx, err);
    if (!idx) st = TSR_ERR_NOMEM;
    for (uint32_t i = 0; idx && i < m->n; i++) idx[i] = m->mods[i].arch_index;
  }
  if (st != TSR_OK) {
    tsr_module_graph_free(g);
    free(idx);
    tsr__machine_free(m);
    return st;
  }
  if (compute_index) *compute_index = idx;
  *out = g;
  tsr__machine_free(m);
  return TSR_OK;
}
