/* The network as a graph: a machine's links evaluated once by the link
 * model, the adjacency of its modules, routing by expected cost (Dijkstra),
 * configuration defaults and the repeater-chain machine builder.
 *
 * Routing costs. Every cost is a sum over the path's links of a
 * non-negative number, so Dijkstra finds the cheapest path exactly:
 *   latency      mean latency of the link, period / (p_attempt duty);
 *   hops         1 per link;
 *   probability  -ln p_attempt (the product of the success probabilities is
 *                largest on the cheapest path);
 *   fidelity     -ln w with w = (4F - 1)/3 the Werner parameter of the
 *                heralded pair: swapping Werner pairs multiplies w
 *                (docs/link-physics.md §3), so the cheapest path has the
 *                highest end-to-end fidelity before storage and swap noise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_internal.h"

/* ---------------------------------------------------------------- helpers */

tsr_local_noise tsr__net_module_noise(const tsr_module_params *p) {
  tsr_local_noise n;
  double g = 4.0 / 3.0 * (1.0 - p->gate_2q.fidelity);
  double m = 1.0 - p->readout.fidelity;
  n.gate_error = g < 0 ? 0 : (g > 1 ? 1 : g);
  n.meas_error = m < 0 ? 0 : (m > 0.5 ? 0.5 : m);
  if (!(n.gate_error >= 0)) n.gate_error = 0; /* NaN */
  if (!(n.meas_error >= 0)) n.meas_error = 0;
  return n;
}

double tsr__net_module_op_time(const tsr_module_params *p) {
  double t = p->gate_2q.duration_s + p->readout.duration_s;
  return isfinite(t) && t > 0 ? t : 0.0;
}

/* exp(-t/T): an infinite T never decays; an infinite t decays fully. */
static double decay(double t, double time_constant) {
  if (t == 0.0 || isinf(time_constant)) return 1.0;
  if (isinf(t)) return 0.0;
  return exp(-t / time_constant);
}

void tsr__net_bell_normalise(tsr_bell *b) {
  double sum = 0;
  for (int k = 0; k < 4; k++) {
    if (!(b->p[k] > 0)) b->p[k] = 0;
    sum += b->p[k];
  }
  if (sum > 0)
    for (int k = 0; k < 4; k++) b->p[k] /= sum;
  else
    for (int k = 0; k < 4; k++) b->p[k] = 0.25;
}

tsr_bell tsr__net_bell_store(const tsr_bell *in, const tsr_coherence *ma, double ta,
                             const tsr_coherence *mb, double tb) {
  double ka = ma ? decay(ta, ma->t1_s) : 1.0, kb = mb ? decay(tb, mb->t1_s) : 1.0;
  double ea = ma ? decay(ta, ma->t2_s) : 1.0, eb = mb ? decay(tb, mb->t2_s) : 1.0;
  double ga = 1.0 - ka, gb = 1.0 - kb;
  const double *p = in->p;
  double a = 0.5 * (p[TSR_BELL_PHI_PLUS] + p[TSR_BELL_PHI_MINUS]);
  double b = 0.5 * (p[TSR_BELL_PSI_PLUS] + p[TSR_BELL_PSI_MINUS]);
  double c = 0.5 * (p[TSR_BELL_PHI_PLUS] - p[TSR_BELL_PHI_MINUS]);
  double d = 0.5 * (p[TSR_BELL_PSI_PLUS] - p[TSR_BELL_PSI_MINUS]);
  /* Populations: P00 = P11 = a, P01 = P10 = b; damp A (the first bit), then B. */
  double p00 = a + ga * b, p01 = b + ga * a, p10 = ka * b, p11 = ka * a;
  p00 += gb * p01;
  p01 *= kb;
  p10 += gb * p11;
  p11 *= kb;
  double coh = ea * eb;
  tsr_bell out;
  out.p[TSR_BELL_PHI_PLUS] = 0.5 * (p00 + p11) + c * coh;
  out.p[TSR_BELL_PHI_MINUS] = 0.5 * (p00 + p11) - c * coh;
  out.p[TSR_BELL_PSI_PLUS] = 0.5 * (p01 + p10) + d * coh;
  out.p[TSR_BELL_PSI_MINUS] = 0.5 * (p01 + p10) - d * coh;
  tsr__net_bell_normalise(&out);
  return out;
}

const char *tsr_net_link_name(const tsr_arch *arch, size_t link, char *buf, size_t size) {
  if (!arch || link >= arch->n_links) {
    snprintf(buf, size, "?");
    return buf;
  }
  const tsr_link *l = &arch->links[link];
  snprintf(buf, size, "%s--%s", arch->modules[l->ends[0].module].name,
           arch->modules[l->ends[1].module].name);
  return buf;
}

/* ---------------------------------------------------------------- network */

static int adj_cmp(const void *a, const void *b) {
  const net_adj *x = a, *y = b;
  if (x->node != y->node) return x->node < y->node ? -1 : 1;
  return x->link < y->link ? -1 : (x->link > y->link);
}

tsr_status tsr_net_new(const tsr_arch *arch, tsr_net **out, tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_net_new: no output pointer");
  *out = NULL;
  if (!arch) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_net_new: no machine");
  tsr_net *net = tsr_calloc(1, sizeof *net, err);
  if (!net) return TSR_ERR_NOMEM;
  net->arch = arch;
  net->n_links = arch->n_links;
  size_t nm = arch->n_modules;
  net->perf = tsr_calloc(arch->n_links ? arch->n_links : 1, sizeof *net->perf, err);
  net->adj_start = tsr_calloc(nm + 1, sizeof *net->adj_start, err);
  net->adj = tsr_calloc(2 * arch->n_links + 1, sizeof *net->adj, err);
  if (!net->perf || !net->adj_start || !net->adj) {
    tsr_net_free(net);
    return TSR_ERR_NOMEM;
  }
  for (size_t i = 0; i < arch->n_links; i++) {
    tsr_link_physics lp;
    tsr_status st = tsr_link_physics_from_arch(arch, i, &lp, err);
    if (st == TSR_OK) st = tsr_link_evaluate(&lp, &net->perf[i], err);
    if (st != TSR_OK) {
      char name[2 * TSR_ARCH_NAME_MAX + 4];
      tsr_error_prefix(err, "link %s", tsr_net_link_name(arch, i, name, sizeof name));
      tsr_net_free(net);
      return st;
    }
  }
  /* Adjacency in CSR form, neighbours sorted for deterministic routing. */
  size_t k = 0;
  for (size_t i = 0; i < arch->n_links; i++) {
    uint32_t a = arch->links[i].ends[0].module, b = arch->links[i].ends[1].module;
    if (a >= nm || b >= nm) {
      tsr_net_free(net);
      return tsr_error_set(err, TSR_ERR_VALUE, "link %zu names a module that does not exist", i);
    }
    net->adj[k++] = (net_adj){a, (uint32_t)i}; /* temporarily: (owner, link) */
    net->adj[k++] = (net_adj){b, (uint32_t)i};
  }
  qsort(net->adj, k, sizeof *net->adj, adj_cmp);
  for (size_t e = 0; e < k; e++) net->adj_start[net->adj[e].node + 1]++;
  for (size_t m = 0; m < nm; m++) net->adj_start[m + 1] += net->adj_start[m];
  /* Replace each owner with the neighbour across its link. */
  for (size_t e = 0; e < k; e++) {
    const tsr_link *l = &arch->links[net->adj[e].link];
    uint32_t owner = net->adj[e].node;
    net->adj[e].node = l->ends[0].module == owner ? l->ends[1].module : l->ends[0].module;
  }
  for (size_t m = 0; m < nm; m++) {
    size_t lo = net->adj_start[m], hi = net->adj_start[m + 1];
    qsort(net->adj + lo, hi - lo, sizeof *net->adj, adj_cmp);
  }
  *out = net;
  return TSR_OK;
}

void tsr_net_free(tsr_net *net) {
  if (!net) return;
  free(net->perf);
  free(net->adj_start);
  free(net->adj);
  free(net);
}

const tsr_arch *tsr_net_arch(const tsr_net *net) {
  return net ? net->arch : NULL;
}

const tsr_link_performance *tsr_net_link_performance(const tsr_net *net, size_t link) {
  if (!net || link >= net->n_links) return NULL;
  return &net->perf[link];
}

tsr_status tsr_net_set_link_performance(tsr_net *net, size_t link, const tsr_link_performance *perf,
                                        tsr_error *err) {
  if (!net || !perf || link >= net->n_links)
    return tsr_error_set(err, TSR_ERR_VALUE, "link %zu does not exist", link);
  if (!(perf->p_attempt >= 0 && perf->p_attempt <= 1))
    return tsr_error_set(err, TSR_ERR_VALUE, "link %zu: p_attempt = %g is outside [0, 1]", link,
                         perf->p_attempt);
  if (!(perf->attempt_period_s > 0) || !isfinite(perf->attempt_period_s))
    return tsr_error_set(err, TSR_ERR_VALUE, "link %zu: attempt period %g s must be positive", link,
                         perf->attempt_period_s);
  if (!(perf->duty_cycle > 0 && perf->duty_cycle <= 1))
    return tsr_error_set(err, TSR_ERR_VALUE, "link %zu: duty cycle %g is outside (0, 1]", link,
                         perf->duty_cycle);
  tsr_status st = tsr_bell_check(&perf->state, err);
  if (st) {
    tsr_error_prefix(err, "link %zu", link);
    return st;
  }
  net->perf[link] = *perf;
  return TSR_OK;
}

/* ---------------------------------------------------------------- config */

void tsr_net_config_default(tsr_net_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->seed = 1;
  cfg->route = TSR_NET_ROUTE_LATENCY;
  cfg->generation = TSR_NET_GEN_PER_LINK;
  cfg->per_attempt = 0;
  cfg->memories_per_link = 0;
  cfg->cutoff_s = INFINITY;
  cfg->target_fidelity = 0;
  cfg->purify_protocol = TSR_PURIFY_DEJMPS;
  cfg->purify_partner = TSR_PURIFY_PUMP;
  cfg->max_purify_rounds = 8;
  cfg->perfect_operations = 0;
  cfg->max_events = 0;
  cfg->max_records = 1000000;
}

/* ---------------------------------------------------------------- routing */

static const char *const route_names[TSR_NET_ROUTE_COUNT] = {"latency", "hops", "probability",
                                                             "fidelity"};

const char *tsr_net_route_cost_name(tsr_net_route_cost c) {
  return (unsigned)c < TSR_NET_ROUTE_COUNT ? route_names[c] : "?";
}

int tsr_net_route_cost_lookup(const char *name, tsr_net_route_cost *out) {
  for (int i = 0; i < TSR_NET_ROUTE_COUNT; i++) {
    if (name && strcmp(name, route_names[i]) == 0) {
      *out = (tsr_net_route_cost)i;
      return 0;
    }
  }
  return -1;
}

/* Cost of one link; INFINITY when it cannot be used. */
static double link_cost(const tsr_link_performance *p, tsr_net_route_cost c) {
  if (!(p->p_attempt > 0)) return INFINITY;
  switch (c) {
  case TSR_NET_ROUTE_HOPS:
    return 1.0;
  case TSR_NET_ROUTE_PROBABILITY:
    return -log(p->p_attempt);
  case TSR_NET_ROUTE_FIDELITY: {
    double w = tsr_werner_param(p->fidelity);
    return w > 0 ? -log(w) : INFINITY;
  }
  default:
    return p->mean_latency_s;
  }
}

/* A binary min-heap of (cost, node) for Dijkstra; ties by node index. */
typedef struct heap_item {
  double cost;
  uint32_t node;
} heap_item;

static int item_less(heap_item a, heap_item b) {
  return a.cost < b.cost || (a.cost == b.cost && a.node < b.node);
}

static void heap_push(heap_item *h, size_t *n, heap_item it) {
  size_t i = (*n)++;
  h[i] = it;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!item_less(h[i], h[p])) break;
    heap_item t = h[i];
    h[i] = h[p];
    h[p] = t;
    i = p;
  }
}

static heap_item heap_pop(heap_item *h, size_t *n) {
  heap_item top = h[0];
  h[0] = h[--(*n)];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < *n && item_less(h[l], h[m])) m = l;
    if (r < *n && item_less(h[r], h[m])) m = r;
    if (m == i) break;
    heap_item t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
  return top;
}

tsr_status tsr_net_route(const tsr_net *net, uint32_t src, uint32_t dst, tsr_net_route_cost cost,
                         tsr_net_path *path, tsr_error *err) {
  if (!path) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_net_route: no path to fill");
  memset(path, 0, sizeof *path);
  if (!net) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_net_route: no network");
  const tsr_arch *a = net->arch;
  size_t nm = a->n_modules;
  if (src >= nm || dst >= nm)
    return tsr_error_set(err, TSR_ERR_VALUE, "route: module index %u or %u out of range (%zu)",
                         (unsigned)src, (unsigned)dst, nm);
  if (src == dst)
    return tsr_error_set(err, TSR_ERR_VALUE, "route: '%s' to itself: the two ends must differ",
                         a->modules[src].name);
  if ((unsigned)cost >= TSR_NET_ROUTE_COUNT)
    return tsr_error_set(err, TSR_ERR_VALUE, "route: unknown cost %d", (int)cost);
  double *dist = tsr_malloc(nm * sizeof *dist, err);
  uint32_t *prev_link = tsr_malloc(nm * sizeof *prev_link, err);
  unsigned char *done = tsr_calloc(nm, 1, err);
  heap_item *heap = tsr_malloc((2 * net->n_links + 2) * sizeof *heap, err);
  tsr_status st = TSR_OK;
  if (!dist || !prev_link || !done || !heap) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (size_t i = 0; i < nm; i++) {
    dist[i] = INFINITY;
    prev_link[i] = UINT32_MAX;
  }
  size_t hn = 0;
  dist[src] = 0;
  heap_push(heap, &hn, (heap_item){0.0, src});
  while (hn > 0) {
    heap_item it = heap_pop(heap, &hn);
    if (done[it.node]) continue;
    done[it.node] = 1;
    if (it.node == dst) break;
    for (size_t e = net->adj_start[it.node]; e < net->adj_start[it.node + 1]; e++) {
      uint32_t v = net->adj[e].node;
      double c = link_cost(&net->perf[net->adj[e].link], cost);
      if (done[v] || !isfinite(c)) continue;
      double d = it.cost + c;
      if (d < dist[v]) {
        dist[v] = d;
        prev_link[v] = net->adj[e].link;
        heap_push(heap, &hn, (heap_item){d, v});
      }
    }
  }
  if (!isfinite(dist[dst])) {
    st = tsr_error_set(err, TSR_ERR_VALUE,
                       "no route from '%s' to '%s' over links that can herald pairs",
                       a->modules[src].name, a->modules[dst].name);
    goto out;
  }
  size_t hops = 0;
  for (uint32_t v = dst; v != src;) {
    const tsr_link *l = &a->links[prev_link[v]];
    v = l->ends[0].module == v ? l->ends[1].module : l->ends[0].module;
    hops++;
  }
  path->nodes = tsr_malloc((hops + 1) * sizeof *path->nodes, err);
  path->links = tsr_malloc((hops ? hops : 1) * sizeof *path->links, err);
  if (!path->nodes || !path->links) {
    tsr_net_path_free(path);
    st = TSR_ERR_NOMEM;
    goto out;
  }
  path->n_hops = hops;
  path->cost = dist[dst];
  size_t pos = hops;
  path->nodes[pos] = dst;
  for (uint32_t v = dst; v != src;) {
    uint32_t li = prev_link[v];
    const tsr_link *l = &a->links[li];
    v = l->ends[0].module == v ? l->ends[1].module : l->ends[0].module;
    path->links[pos - 1] = li;
    path->nodes[--pos] = v;
  }
out:
  free(dist);
  free(prev_link);
  free(done);
  free(heap);
  return st;
}

void tsr_net_path_free(tsr_net_path *path) {
  if (!path) return;
  free(path->nodes);
  free(path->links);
  memset(path, 0, sizeof *path);
}

/* ---------------------------------------------------------------- chains */

void tsr_net_chain_spec_default(tsr_net_chain_spec *spec) {
  memset(spec, 0, sizeof *spec);
  spec->nodes = 2;
  spec->link_length_m = 10e3;
  spec->memories_per_link = 1;
  spec->preset = "diamond-siv";
  spec->conversion_efficiency = 0.5; /* one-stage conversion to 1550 nm [U] */
  spec->conversion_noise_photons = 0;
  spec->protocol = TSR_PROTOCOL_TWO_PHOTON;
}

tsr_status tsr_net_chain_machine(const tsr_net_chain_spec *spec, tsr_arch **out, tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "chain: no output pointer");
  *out = NULL;
  if (!spec || spec->nodes < 2)
    return tsr_error_set(err, TSR_ERR_VALUE, "chain: at least 2 nodes are needed");
  if (spec->nodes > 10000000)
    return tsr_error_set(err, TSR_ERR_LIMIT, "chain: %u nodes is more than 10^7",
                         (unsigned)spec->nodes);
  if (!(spec->link_length_m >= 0) || !isfinite(spec->link_length_m))
    return tsr_error_set(err, TSR_ERR_VALUE, "chain: link length %g m must be >= 0",
                         spec->link_length_m);
  if (spec->memories_per_link < 1 || spec->memories_per_link > 1000000)
    return tsr_error_set(err, TSR_ERR_VALUE, "chain: memories per link must be in [1, 10^6]");
  if (!(spec->conversion_efficiency >= 0 && spec->conversion_efficiency <= 1))
    return tsr_error_set(err, TSR_ERR_VALUE, "chain: conversion efficiency %g is outside [0, 1]",
                         spec->conversion_efficiency);
  if (!(spec->conversion_noise_photons >= 0) || !isfinite(spec->conversion_noise_photons))
    return tsr_error_set(err, TSR_ERR_VALUE, "chain: noise photons must be >= 0");
  if ((unsigned)spec->protocol >= TSR_PROTOCOL_COUNT)
    return tsr_error_set(err, TSR_ERR_VALUE, "chain: unknown protocol");
  const char *pname = spec->preset ? spec->preset : "diamond-siv";
  const tsr_preset *preset = tsr_preset_find(pname);
  if (!preset) return tsr_error_set(err, TSR_ERR_VALUE, "chain: unknown preset '%s'", pname);
  tsr_arch *a = NULL;
  char name[TSR_ARCH_NAME_MAX];
  snprintf(name, sizeof name, "chain-%u", (unsigned)spec->nodes);
  tsr_status st = tsr_arch_new(name, &a, err);
  if (st) return st;
  snprintf(a->source, sizeof a->source, "<chain>");
  for (uint32_t i = 0; i < spec->nodes && st == TSR_OK; i++) {
    tsr_module_params p = preset->params;
    int end = i == 0 || i + 1 == spec->nodes;
    uint32_t comm = spec->memories_per_link * (end ? 1u : 2u);
    p.communication_qubits = comm;
    if (p.qubits < comm) p.qubits = comm;
    if (p.qubits > TSR_ARCH_MAX_QUBITS) p.qubits = TSR_ARCH_MAX_QUBITS;
    uint32_t index;
    snprintf(name, sizeof name, "n%u", (unsigned)i);
    st = tsr_arch_add_module(a, name, end ? TSR_ROLE_COMPUTE : TSR_ROLE_MEMORY, &p, &index, err);
    if (st == TSR_OK)
      snprintf(a->modules[index].preset, sizeof a->modules[index].preset, "%s", preset->name);
  }
  double wl = preset->params.photon.wavelength_m;
  int convert = spec->conversion_efficiency > 0 && fabs(wl - 1550e-9) > 1e-12 &&
                !preset->params.photon.has_transducer;
  for (uint32_t i = 0; i + 1 < spec->nodes && st == TSR_OK; i++) {
    tsr_link l;
    tsr_link_init(&l, i, i + 1, spec->link_length_m);
    l.ends[0].arm_length_m = l.ends[1].arm_length_m = spec->link_length_m / 2;
    l.protocol = spec->protocol;
    if (l.protocol == TSR_PROTOCOL_SINGLE_CLICK) l.bright_state_weight = 0.05; /* [U] */
    for (int e = 0; e < 2 && convert; e++) {
      l.ends[e].n_conversion = 1;
      l.ends[e].conversion[0].target_wavelength_m = 1550e-9;
      l.ends[e].conversion[0].efficiency = spec->conversion_efficiency;
      l.ends[e].conversion[0].noise_photons = spec->conversion_noise_photons;
    }
    st = tsr_arch_add_link(a, &l, NULL, err);
  }
  if (st == TSR_OK) st = tsr_arch_validate(a, err);
  if (st) {
    tsr_error_prefix(err, "chain");
    tsr_arch_free(a);
    return st;
  }
  *out = a;
  return TSR_OK;
}
