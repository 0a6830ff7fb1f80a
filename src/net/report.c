/* A network run's report: fidelity quantiles and histogram, memory use, and
 * the JSON form that `tessera net --json` prints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_internal.h"

/* The recorded fidelities, sorted (malloc'd; NULL when none or no memory). */
static double *sorted_fidelities(const tsr_net_result *r) {
  if (!r || r->n_deliveries == 0) return NULL;
  double *v = malloc(r->n_deliveries * sizeof *v);
  if (!v) return NULL;
  for (size_t i = 0; i < r->n_deliveries; i++) v[i] = r->deliveries[i].fidelity;
  tsr_sort_doubles(v, r->n_deliveries);
  return v;
}

double tsr_net_result_fidelity_quantile(const tsr_net_result *r, double q) {
  double *v = sorted_fidelities(r);
  double x = v ? tsr_quantile_sorted(v, r->n_deliveries, q) : NAN;
  free(v);
  return x;
}

static const char *module_name(const tsr_net *net, uint32_t m) {
  const tsr_arch *a = tsr_net_arch(net);
  return a && m < a->n_modules ? a->modules[m].name : "?";
}

void tsr_net_result_write_json(const tsr_net *net, const tsr_net_config *cfg,
                               const tsr_net_result *r, tsr_json *j) {
  const tsr_arch *a = tsr_net_arch(net);
  const tsr_net_path *p = &r->path;
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "machine", a ? a->name : "");
  if (p->nodes && p->n_hops > 0) {
    tsr_json_key(j, "between");
    tsr_json_array_begin(j);
    tsr_json_string(j, module_name(net, p->nodes[0]));
    tsr_json_string(j, module_name(net, p->nodes[p->n_hops]));
    tsr_json_array_end(j);
    tsr_json_key(j, "path");
    tsr_json_array_begin(j);
    for (size_t i = 0; i <= p->n_hops; i++) tsr_json_string(j, module_name(net, p->nodes[i]));
    tsr_json_array_end(j);
    tsr_json_key(j, "links");
    tsr_json_array_begin(j);
    for (size_t i = 0; i < p->n_hops; i++) {
      char name[2 * TSR_ARCH_NAME_MAX + 4];
      tsr_json_string(j, tsr_net_link_name(a, p->links[i], name, sizeof name));
    }
    tsr_json_array_end(j);
  }
  tsr_json_kv_int(j, "hops", (int64_t)p->n_hops);
  tsr_json_kv_double(j, "route_cost", p->cost);
  if (cfg) {
    tsr_json_key(j, "config");
    tsr_json_object_begin(j);
    tsr_json_key(j, "seed");
    tsr_json_uint(j, cfg->seed);
    tsr_json_kv_string(j, "route", tsr_net_route_cost_name(cfg->route));
    tsr_json_kv_string(j, "generation",
                       cfg->generation == TSR_NET_GEN_PER_MEMORY ? "per-memory" : "per-link");
    tsr_json_kv_bool(j, "per_attempt", cfg->per_attempt);
    tsr_json_kv_int(j, "memories_per_link", cfg->memories_per_link);
    tsr_json_kv_double(j, "cutoff_s", cfg->cutoff_s);
    tsr_json_kv_double(j, "target_fidelity", cfg->target_fidelity);
    tsr_json_kv_string(j, "purify_protocol",
                       cfg->purify_protocol == TSR_PURIFY_BBPSSW ? "bbpssw" : "dejmps");
    tsr_json_kv_string(j, "purify_scheme",
                       cfg->purify_partner == TSR_PURIFY_RECURRENCE ? "recurrence" : "pumping");
    tsr_json_kv_bool(j, "perfect_operations", cfg->perfect_operations);
    tsr_json_object_end(j);
  }
  tsr_json_key(j, "pairs");
  tsr_json_uint(j, r->pairs);
  tsr_json_kv_double(j, "sim_time_s", r->sim_time_s);
  tsr_json_kv_double(j, "rate_hz", r->rate_hz);
  tsr_json_kv_double(j, "mean_fidelity", r->mean_fidelity);

  double *v = sorted_fidelities(r);
  size_t n = v ? r->n_deliveries : 0;
  tsr_json_key(j, "fidelity");
  tsr_json_object_begin(j);
  tsr_json_kv_double(j, "mean", r->mean_fidelity);
  tsr_json_kv_double(j, "std", r->std_fidelity);
  tsr_json_kv_double(j, "min", r->min_fidelity);
  tsr_json_kv_double(j, "p05", tsr_quantile_sorted(v, n, 0.05));
  tsr_json_kv_double(j, "median", tsr_quantile_sorted(v, n, 0.5));
  tsr_json_kv_double(j, "p95", tsr_quantile_sorted(v, n, 0.95));
  tsr_json_kv_double(j, "max", r->max_fidelity);
  tsr_json_key(j, "histogram");
  tsr_json_object_begin(j);
  /* Bins of 0.025 from below the smallest to above the largest recorded
   * fidelity (at most 40). */
  int bins = 0, lo = 0; /* edges at (lo + b) / 40 */
  if (n > 0) {
    lo = (int)floor(v[0] * 40.0);
    int hi = (int)ceil(v[n - 1] * 40.0);
    if (lo < 0) lo = 0;
    if (hi > 40) hi = 40;
    bins = hi - lo;
    if (bins < 1) {
      bins = 1;
      if (lo + 1 > 40) lo = 39;
    }
  }
  tsr_json_key(j, "edges");
  tsr_json_array_begin(j);
  for (int b = 0; b <= bins; b++) tsr_json_double(j, (lo + b) / 40.0);
  tsr_json_array_end(j);
  tsr_json_key(j, "counts");
  tsr_json_array_begin(j);
  size_t k = 0;
  for (int b = 0; b < bins; b++) {
    double top = (lo + b + 1) / 40.0;
    uint64_t c = 0;
    while (k < n && (v[k] < top || b == bins - 1)) {
      c++;
      k++;
    }
    tsr_json_uint(j, c);
  }
  tsr_json_array_end(j);
  tsr_json_object_end(j);
  tsr_json_key(j, "recorded");
  tsr_json_uint(j, (uint64_t)n);
  tsr_json_object_end(j);
  free(v);

  tsr_json_kv_double(j, "mean_age_s", r->mean_age_s);
  tsr_json_key(j, "below_target");
  tsr_json_uint(j, r->below_target);
  tsr_json_key(j, "elementary_pairs");
  tsr_json_uint(j, r->elementary_pairs);
  tsr_json_key(j, "attempts");
  tsr_json_uint(j, r->attempts);
  tsr_json_key(j, "swaps");
  tsr_json_uint(j, r->swaps);
  tsr_json_key(j, "discarded");
  tsr_json_uint(j, r->discarded);
  tsr_json_key(j, "purifications");
  tsr_json_uint(j, r->purifications);
  tsr_json_key(j, "purification_failures");
  tsr_json_uint(j, r->purification_failures);

  tsr_json_key(j, "memory");
  tsr_json_object_begin(j);
  tsr_json_key(j, "nodes");
  tsr_json_array_begin(j);
  uint32_t peak = 0;
  double busy = 0, slots = 0;
  for (size_t i = 0; i < r->n_usage; i++) {
    const tsr_net_node_usage *u = &r->usage[i];
    tsr_json_object_begin(j);
    tsr_json_kv_string(j, "name", module_name(net, u->module));
    tsr_json_kv_int(j, "slots", u->slots);
    tsr_json_kv_int(j, "peak", u->peak);
    tsr_json_kv_double(j, "mean", u->mean);
    tsr_json_object_end(j);
    if (u->peak > peak) peak = u->peak;
    busy += u->mean;
    slots += u->slots;
  }
  tsr_json_array_end(j);
  tsr_json_kv_int(j, "peak", peak);
  tsr_json_kv_double(j, "mean_utilisation", slots > 0 ? busy / slots : 0.0);
  tsr_json_object_end(j);

  tsr_json_kv_bool(j, "stalled", r->stalled);
  tsr_json_kv_bool(j, "truncated", r->truncated);
  tsr_json_key(j, "events");
  tsr_json_uint(j, r->events);
  tsr_json_kv_double(j, "wall_s", r->wall_s);
  tsr_json_kv_double(j, "events_per_s", r->wall_s > 0 ? (double)r->events / r->wall_s : 0.0);
  tsr_json_kv_double(j, "sim_s_per_wall_s", r->wall_s > 0 ? r->sim_time_s / r->wall_s : 0.0);
  tsr_json_object_end(j);
}
