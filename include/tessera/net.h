/* Tessera net layer: quantum-network protocols on the discrete-event engine.
 * A machine's modules and memory/repeater nodes form a graph whose edges are
 * its photonic links; each link's per-attempt physics comes from the link
 * layer (tsr_link_physics_from_arch, tsr_link_evaluate). On that graph:
 *
 *   routing     Dijkstra by expected cost (mean latency, hops, -log of the
 *               success probability, or -log of the Werner parameter);
 *   generation  a process per link that samples the number of attempts to
 *               the next herald (geometric), so a long wait costs one event,
 *               or optionally draws every attempt as its own event;
 *   memories    a limited number of slots per node and link side, each qubit
 *               decohering with its node's T1/T2 while stored;
 *   swapping    swap-asap at every intermediate node (Pauli-frame: a node
 *               does not wait for other swaps), with its gate and readout
 *               errors; the correction messages take fibre time to the ends;
 *   purification to a target fidelity between the end nodes, by pumping or
 *               recurrence (BBPSSW or DEJMPS), outcomes exchanged over fibre;
 *   cutoffs     a pair whose oldest elementary pair is older than the cutoff
 *               is discarded and its memories freed;
 *   delivery    each end-to-end pair with its time, Bell-diagonal state and
 *               fidelity.
 * docs/network.md describes the model and its assumptions. Knows of core,
 * event, arch and link.
 *
 * Units: seconds, metres, hertz; fidelities and probabilities in [0, 1].
 * Nothing here prints, exits or aborts; a run is reproducible from its seed.
 * Legal parameters never make a run fail: pairs that wait long simply come
 * out with lower fidelity (down to the 1/4 of a fully mixed pair). */
#ifndef TESSERA_NET_H
#define TESSERA_NET_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/arch.h"
#include "tessera/core.h"
#include "tessera/event.h"
#include "tessera/link.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- network */

/* A machine prepared for network simulation: every link evaluated once. It
 * stores a pointer to arch, which must outlive it and not change. */
typedef struct tsr_net tsr_net;

/* Evaluates every link of arch (tsr_link_physics_from_arch, then
 * tsr_link_evaluate) and builds the graph. A link whose parameters the link
 * model refuses is a TSR_ERR_VALUE naming the link. *out is NULL on failure;
 * free with tsr_net_free (NULL is fine). */
tsr_status tsr_net_new(const tsr_arch *arch, tsr_net **out, tsr_error *err);
void tsr_net_free(tsr_net *net);

/* The machine and its link performances (link i of the machine). */
const tsr_arch *tsr_net_arch(const tsr_net *net);
const tsr_link_performance *tsr_net_link_performance(const tsr_net *net, size_t link);
/* Replaces link i's performance (copied), e.g. with one evaluated from
 * changed physics; TSR_ERR_VALUE for a link that does not exist or numbers
 * out of range. */
tsr_status tsr_net_set_link_performance(tsr_net *net, size_t link, const tsr_link_performance *perf,
                                        tsr_error *err);

/* "A--B": the link's two module names (static buffer of the caller). */
const char *tsr_net_link_name(const tsr_arch *arch, size_t link, char *buf, size_t size);

/* ---------------------------------------------------------------- routing */

typedef enum tsr_net_route_cost {
  TSR_NET_ROUTE_LATENCY = 0, /* sum of the links' mean latencies (period / p / duty) */
  TSR_NET_ROUTE_HOPS,        /* number of links */
  TSR_NET_ROUTE_PROBABILITY, /* sum of -ln p_attempt: the most probable path */
  TSR_NET_ROUTE_FIDELITY,    /* sum of -ln w, w the Werner parameter of each heralded
                                pair: swapping multiplies w, so this maximises the
                                end-to-end fidelity before storage */
  TSR_NET_ROUTE_COUNT
} tsr_net_route_cost;

/* Stable name ("latency", "hops", "probability", "fidelity"); "?" if out of
 * range. Lookup returns 0 and sets *out, or -1 for an unknown name. */
const char *tsr_net_route_cost_name(tsr_net_route_cost c);
int tsr_net_route_cost_lookup(const char *name, tsr_net_route_cost *out);

/* A path of n_hops links from nodes[0] to nodes[n_hops]; links[h] joins
 * nodes[h] and nodes[h + 1] (indices into the machine's modules and links). */
typedef struct tsr_net_path {
  size_t n_hops;
  uint32_t *nodes; /* n_hops + 1 module indices */
  uint32_t *links; /* n_hops link indices */
  double cost;     /* in the unit of the cost used */
} tsr_net_path;

/* The cheapest path from module src to module dst (Dijkstra; ties broken by
 * the lower module index, so the result is deterministic). A link that can
 * never herald (p_attempt 0) or, for the fidelity cost, whose heralded pair
 * is not entangled (w <= 0) is not used. TSR_ERR_VALUE for src == dst,
 * indices out of range, or no usable path. Free with tsr_net_path_free. */
tsr_status tsr_net_route(const tsr_net *net, uint32_t src, uint32_t dst, tsr_net_route_cost cost,
                         tsr_net_path *path, tsr_error *err);
void tsr_net_path_free(tsr_net_path *path);

/* -------------------------------------------------------------- protocol */

typedef enum tsr_net_generation {
  TSR_NET_GEN_PER_LINK = 0, /* one photonic interface per link: attempts run one at a time
                               while both ends have a free slot (the link's rate is
                               tsr_link_performance.rate_hz) */
  TSR_NET_GEN_PER_MEMORY    /* every free slot pair attempts on its own (spatial
                               multiplexing: up to `slots` times the link's rate) */
} tsr_net_generation;

typedef struct tsr_net_config {
  uint64_t seed;                       /* the engine's generator: tsr_rng_seed(seed, 0) */
  tsr_net_route_cost route;            /* default latency */
  tsr_net_generation generation;       /* default per link */
  int per_attempt;                     /* 1: one event per attempt instead of sampling the
                                          geometric number of attempts (slower; for
                                          validation and comparison with peers) */
  uint32_t memories_per_link;          /* slots per link side; 0 (default): a node's
                                          communication qubits split between its path
                                          links (at least one per side) */
  double cutoff_s;                     /* discard pairs older than this; INFINITY (default):
                                          no cutoff */
  double target_fidelity;              /* purify end-to-end pairs up to this; 0 (default):
                                          no purification */
  tsr_purify_protocol purify_protocol; /* default DEJMPS */
  tsr_purify_partner purify_partner;   /* default pumping (TSR_PURIFY_PUMP) */
  uint32_t max_purify_rounds;          /* give up (deliver below target) after this many
                                          successful rounds; default 8 */
  int perfect_operations;              /* 1: swaps and purification without gate and
                                          readout errors; 0 (default): each node's gate_2q and
                                          readout (gate_error = 4/3 (1 - F_2q),
                                          meas_error = 1 - F_readout) */
  uint64_t max_events;                 /* stop after this many events (0: no limit) */
  size_t max_records;                  /* keep at most this many delivery records (default
                                          1,000,000); statistics cover every pair */
} tsr_net_config;

void tsr_net_config_default(tsr_net_config *cfg);

/* What to deliver: pairs between two modules, until `pairs` pairs were
 * delivered or `duration_s` of simulated time passed, whichever comes first
 * (0 for either means "no limit", not both). */
typedef struct tsr_net_request {
  uint32_t src, dst; /* module indices */
  uint64_t pairs;
  double duration_s;
} tsr_net_request;

/* One delivered end-to-end pair. */
typedef struct tsr_net_delivery {
  double time_s;          /* when both ends hold it and know its Pauli frame */
  double age_s;           /* time_s minus the herald of its oldest elementary pair */
  tsr_bell state;         /* at time_s, after storage, swaps and purification */
  double fidelity;        /* state.p[0] */
  uint32_t purify_rounds; /* successful purification rounds in its history */
  uint64_t elementary;    /* elementary pairs it consumed (failed purifications included) */
} tsr_net_delivery;

/* Memory use of one node on the path. */
typedef struct tsr_net_node_usage {
  uint32_t module;
  uint32_t slots; /* memory slots it has for this path (both sides) */
  uint32_t peak;  /* most slots busy at once (holding a qubit or attempting) */
  double mean;    /* time-averaged busy slots */
} tsr_net_node_usage;

typedef struct tsr_net_result {
  tsr_net_path path;
  uint64_t pairs;    /* delivered */
  double sim_time_s; /* simulated time covered */
  double rate_hz;    /* pairs / sim_time_s */
  double mean_fidelity, std_fidelity, min_fidelity, max_fidelity;
  double mean_age_s;
  uint64_t below_target;     /* delivered below target_fidelity (purification gave up) */
  uint64_t elementary_pairs; /* heralded on all links */
  uint64_t attempts;         /* attempts made (sampled counts included) */
  uint64_t swaps;
  uint64_t discarded; /* pairs discarded by the cutoff */
  uint64_t purifications, purification_failures;
  int stalled;                  /* the run ran out of events before its goal (e.g. every link
                                   blocked or unable to herald) */
  int truncated;                /* stopped at max_events */
  uint64_t events;              /* events fired */
  double wall_s;                /* wall-clock seconds of the run */
  tsr_net_delivery *deliveries; /* the first min(pairs, max_records) deliveries, in order */
  size_t n_deliveries;
  tsr_net_node_usage *usage; /* one per path node, in path order */
  size_t n_usage;
} tsr_net_result;

/* Routes the request (cfg->route) and simulates the protocol on the event
 * engine until the request is met, no event is left (stalled) or max_events
 * is reached. TSR_ERR_VALUE for bad requests or configuration; TSR_ERR_NOMEM
 * when memory runs out. Free the result with tsr_net_result_free. */
tsr_status tsr_net_run(const tsr_net *net, const tsr_net_request *req, const tsr_net_config *cfg,
                       tsr_net_result *out, tsr_error *err);
/* As tsr_net_run on a given path (e.g. from tsr_net_route; copied). */
tsr_status tsr_net_run_path(const tsr_net *net, const tsr_net_path *path,
                            const tsr_net_request *req, const tsr_net_config *cfg,
                            tsr_net_result *out, tsr_error *err);
void tsr_net_result_free(tsr_net_result *r);

/* Quantile q in [0, 1] of the recorded deliveries' fidelities (linear
 * interpolation between order statistics); NaN when none was recorded. */
double tsr_net_result_fidelity_quantile(const tsr_net_result *r, double q);

/* Writes the result as one JSON object: machine, between, path and links
 * (names), hops, the configuration (seed, route, generation, cutoff_s,
 * target_fidelity, ...; cfg may be NULL), pairs, sim_time_s, rate_hz,
 * mean_fidelity, fidelity {mean, std, min, p05, median, p95, max, histogram
 * {edges, counts}}, mean_age_s, counters (elementary_pairs, attempts, swaps,
 * discarded, purifications, purification_failures, below_target), memory
 * {nodes [{name, slots, peak, mean}], peak, mean_utilisation}, stalled,
 * truncated, events, wall_s, events_per_s, sim_s_per_wall_s. */
void tsr_net_result_write_json(const tsr_net *net, const tsr_net_config *cfg,
                               const tsr_net_result *r, tsr_json *j);

/* --------------------------------------------------- sampled single link */

/* Sampled mode of one link: a generation process on the event engine draws
 * each herald's timing (every attempt as an event, or the geometric number
 * of attempts at once) and whether it came from the intended photons or a
 * false click; each pair is consumed at its herald. The analytic values of
 * tsr_link_evaluate are the expectations of these samples. */
typedef struct tsr_net_link_sample {
  tsr_link_performance analytic; /* tsr_link_evaluate of the physics */
  uint64_t pairs;
  uint64_t attempts;
  uint64_t false_heralds; /* pairs heralded by a false click */
  double sim_time_s;
  double rate_hz; /* pairs / sim_time_s */
  double mean_latency_s, std_latency_s;
  double latency_p50_s, latency_p90_s; /* empirical quantiles */
  double mean_fidelity, std_fidelity;  /* over the pairs' states */
  double p_success;                    /* pairs / attempts */
  uint64_t events;
} tsr_net_link_sample;

/* Draws `pairs` heralds of the link lp (pairs >= 1). per_attempt selects one
 * event per attempt. A link that can never herald is a TSR_ERR_VALUE. */
tsr_status tsr_net_sample_link(const tsr_link_physics *lp, uint64_t pairs, uint64_t seed,
                               int per_attempt, tsr_net_link_sample *out, tsr_error *err);

/* --------------------------------------------------------- chain machines */

/* A linear repeater chain n0 -- n1 -- ... -- n{nodes-1}: identical nodes from
 * a preset, each link `link_length_m` of fibre with the station in the
 * middle, the photons converted to 1550 nm in one stage when the preset's
 * photon is not already there. End nodes are compute modules, the others
 * memory nodes; every node has memories_per_link communication qubits per
 * link side. */
typedef struct tsr_net_chain_spec {
  uint32_t nodes;                  /* >= 2 */
  double link_length_m;            /* default 10 km */
  uint32_t memories_per_link;      /* default 1 */
  const char *preset;              /* default "diamond-siv" */
  double conversion_efficiency;    /* to 1550 nm; default 0.5 [U]; 0: no conversion */
  double conversion_noise_photons; /* per attempt; default 0 */
  tsr_link_protocol protocol;      /* default two-photon */
} tsr_net_chain_spec;

void tsr_net_chain_spec_default(tsr_net_chain_spec *spec);
tsr_status tsr_net_chain_machine(const tsr_net_chain_spec *spec, tsr_arch **out, tsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
