/* Partitioning and placement of qubits on modules, minimising EPR pairs with
 * cat-entanglement on the packet hypergraph.
 *
 * Cost model. Every gate vertex runs in one module loc(g); a packet e of
 * qubit q is shared (one cat-entangler per extra module, over a Steiner tree
 * of the module graph) with every module where one of its gates runs. Its
 * cost is the Steiner tree of {home(q)} ∪ {loc(g) : g in e}; the total is the
 * sum over packets. A gate whose operand k has a non-distributable packet
 * must run in that qubit's module.
 *
 * Search. Given a placement, the best gate locations form a minimum weighted
 * vertex cover of a bipartite graph (nodes "packet e reaches module m",
 * oriented by home < m; an edge per cut gate), solved exactly by max-flow
 * (exact for all-to-all networks), then polished by single-gate moves (which
 * also find detached gates, run in a third module). Placements start from
 * METIS (k-way and recursive bisection, seeded, target weights proportional
 * to capacity) on the qubit interaction graph, and are refined by qubit moves
 * and swaps whose gains are computed incrementally on the hypergraph
 * (gates follow their qubit, then are greedily re-sided), alternating with
 * the exact gate assignment; an iterated local search perturbs the best
 * placement with random swaps. Everything is driven by one seeded RNG.
 * Finally, sandwiches (h ... cz ... h between two packets of a qubit) are
 * embedded greedily where the pairs saved outweigh the inner gates' cost
 * (Wu et al., Quantum 7, 1196 (2023)). */
#include <metis.h>
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

#define STEINER_EXACT_MAX 12
/* Annealing effort (moves per gate) of the final gate assignment of each
 * start. */
#define ANNEAL_PER_GATE 200.0
/* Automatic restarts: this many units of gates x qubits of work in all. */
#define AUTO_RESTART_WORK 500000.0
#define GAIN_EPS          1e-9

/* ------------------------------------------------------------- context */

typedef struct undo {
  uint8_t kind; /* 0 loc, 1 pi, 2 side */
  uint32_t a;
  uint32_t old;
} undo;

typedef struct pctx {
  const tsr_packet_graph *h;
  const tsr_module_graph *g;
  uint32_t n, k;
  size_t ng, np;
  double *dist;    /* [k*k] */
  uint32_t *hop;   /* [k*k] */
  double *st_cost; /* [1 << k] when exact */
  uint32_t *st_hops;
  int exact;
  uint8_t *distributable;   /* [np] */
  uint8_t *allow;           /* [ng] allowed() of each gate */
  const uint32_t (*gpk)[2]; /* gate packets (h->gate_packet) */
  const uint32_t (*gq)[2];  /* gate qubits */
  size_t *qg_start, *qg;    /* gates incident to each qubit */
  size_t *qp_start, *qp;    /* packets of each qubit */
  /* state */
  uint32_t *pi, *load, *loc;
  uint8_t *side;
  uint32_t *cnt;   /* [np * k] */
  uint32_t *ehome; /* [np] module the qubit is in during the packet (teleported
                      there), UINT32_MAX: its placement */
  uint64_t *mask;  /* [np] */
  uint64_t *extra; /* [np] modules a packet reaches for embedding corrections
                      (NULL until the embedding pass) */
  uint8_t *force;  /* [np * k] (packet, module) pairs the gate assignment must
                      cover (embedding on two modules), NULL: none */
  double *pcost;   /* [np] */
  double total;
  undo *log;
  size_t nlog, caplog;
  int logging;
  int nomem;
  int anneal_runs, anneal_gains; /* annealing stops paying: skip it */
  tsr_rng rng;
} pctx;

static uint64_t bit(uint32_t m) {
  return (uint64_t)1 << m;
}

/* Steiner tree cost (and hops) of a module set. */
static double tree_cost(const pctx *c, uint64_t mask, uint32_t *hops) {
  if (c->exact) {
    if (hops) *hops = c->st_hops[mask];
    return c->st_cost[mask];
  }
  /* Prim on the metric closure (2-approximation) */
  uint32_t nodes[TSR_MODULE_GRAPH_MAX], from[TSR_MODULE_GRAPH_MAX], nn = 0;
  for (uint32_t m = 0; m < c->k; m++)
    if (mask & bit(m)) nodes[nn++] = m;
  double total = tsr__prim_mst(c->dist, c->k, nodes, nn, from);
  if (hops) {
    *hops = 0;
    for (uint32_t i = 1; i < nn; i++) *hops += c->hop[nodes[from[i]] * c->k + nodes[i]];
  }
  return total;
}

static int better(double c1, uint32_t h1, double c2, uint32_t h2) {
  return c1 < c2 - 1e-12 || (c1 < c2 + 1e-12 && h1 < h2);
}

static tsr_status network_tables(pctx *c, tsr_error *err) {
  uint32_t k = c->k;
  c->dist = malloc((size_t)k * k * sizeof *c->dist);
  c->hop = malloc((size_t)k * k * sizeof *c->hop);
  if (!c->dist || !c->hop) return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  for (uint32_t a = 0; a < k; a++)
    for (uint32_t b = 0; b < k; b++) {
      double w = c->g->link_cost[(size_t)a * k + b];
      c->dist[a * k + b] = a == b ? 0 : (w > 0 ? w : INFINITY);
      c->hop[a * k + b] = a == b ? 0 : (w > 0 ? 1 : UINT32_MAX / 4);
    }
  for (uint32_t m = 0; m < k; m++)
    for (uint32_t a = 0; a < k; a++)
      for (uint32_t b = 0; b < k; b++) {
        double d = c->dist[a * k + m] + c->dist[m * k + b];
        uint32_t hh = c->hop[a * k + m] + c->hop[m * k + b];
        if (better(d, hh, c->dist[a * k + b], c->hop[a * k + b])) {
          c->dist[a * k + b] = d;
          c->hop[a * k + b] = hh;
        }
      }
  c->exact = k <= STEINER_EXACT_MAX;
  if (!c->exact) return TSR_OK;
  size_t nm = (size_t)1 << k;
  c->st_cost = malloc(nm * sizeof *c->st_cost);
  c->st_hops = malloc(nm * sizeof *c->st_hops);
  double *dp = malloc(nm * k * sizeof *dp);
  uint32_t *dh = malloc(nm * k * sizeof *dh);
  if (!c->st_cost || !c->st_hops || !dp || !dh) {
    free(dp);
    free(dh);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  }
  /* Dreyfus-Wagner over every terminal set: dp[S][v] = cheapest tree
     spanning S ∪ {v} */
  for (size_t s = 1; s < nm; s++) {
    if ((s & (s - 1)) == 0) {
      uint32_t i = (uint32_t)__builtin_ctzll(s);
      for (uint32_t v = 0; v < k; v++) {
        dp[s * k + v] = c->dist[i * k + v];
        dh[s * k + v] = c->hop[i * k + v];
      }
      continue;
    }
    for (uint32_t v = 0; v < k; v++) {
      double bv = INFINITY;
      uint32_t bh = UINT32_MAX;
      for (size_t t = (s - 1) & s; t > 0; t = (t - 1) & s) {
        if (t < (s ^ t)) continue; /* each split once */
        double d = dp[t * k + v] + dp[(s ^ t) * k + v];
        uint32_t hh = dh[t * k + v] + dh[(s ^ t) * k + v];
        if (better(d, hh, bv, bh)) bv = d, bh = hh;
      }
      dp[s * k + v] = bv;
      dh[s * k + v] = bh;
    }
    for (uint32_t v = 0; v < k; v++) {
      for (uint32_t u = 0; u < k; u++) {
        double d = dp[s * k + u] + c->dist[u * k + v];
        uint32_t hh = dh[s * k + u] + c->hop[u * k + v];
        if (better(d, hh, dp[s * k + v], dh[s * k + v])) {
          dp[s * k + v] = d;
          dh[s * k + v] = hh;
        }
      }
    }
  }
  c->st_cost[0] = 0;
  c->st_hops[0] = 0;
  for (size_t s = 1; s < nm; s++) {
    uint32_t v = (uint32_t)__builtin_ctzll(s);
    if ((s & (s - 1)) == 0) {
      c->st_cost[s] = 0;
      c->st_hops[s] = 0;
    } else {
      /* tree spanning S = tree spanning S \ {v} plus v */
      c->st_cost[s] = dp[(s ^ bit(v)) * k + v];
      c->st_hops[s] = dh[(s ^ bit(v)) * k + v];
    }
  }
  free(dp);
  free(dh);
  return TSR_OK;
}

/* ------------------------------------------------------------ undo log */

/* The log records only gate locations, placements and sides; undoing
 * replays the inverse operations, which recompute counts, masks and costs. */
static void log_push(pctx *c, uint8_t kind, uint32_t a, uint32_t old) {
  if (!c->logging) return;
  if (c->nlog == c->caplog) {
    size_t cap = c->caplog ? 2 * c->caplog : 1024;
    undo *g = realloc(c->log, cap * sizeof *g);
    if (!g) {
      c->nomem = 1;
      return;
    }
    c->log = g;
    c->caplog = cap;
  }
  c->log[c->nlog++] = (undo){kind, a, old};
}

static void raw_set_loc(pctx *c, size_t g, uint32_t m);
static void raw_set_pi(pctx *c, uint32_t q, uint32_t b);

static void rollback(pctx *c, size_t mark) {
  while (c->nlog > mark) {
    undo *u = &c->log[--c->nlog];
    switch (u->kind) {
    case 0:
      raw_set_loc(c, u->a, u->old);
      break;
    case 1:
      raw_set_pi(c, u->a, u->old);
      break;
    default:
      c->side[u->a] = (uint8_t)u->old;
      break;
    }
  }
}

/* ------------------------------------------------------------- state */

static uint32_t home(const pctx *c, size_t e) {
  uint32_t h = c->ehome[e];
  return h != UINT32_MAX ? h : c->pi[c->h->packet_qubit[e]];
}

static void set_packet_mask(pctx *c, size_t e, uint64_t m) {
  if (m == c->mask[e]) return;
  double nc = tree_cost(c, m, NULL);
  c->total += nc - c->pcost[e];
  c->mask[e] = m;
  c->pcost[e] = nc;
}

static void raw_set_loc(pctx *c, size_t g, uint32_t m) {
  uint32_t old = c->loc[g];
  if (old == m) return;
  c->loc[g] = m;
  for (int s = 0; s < 2; s++) {
    size_t e = c->gpk[g][s];
    uint32_t *ct = &c->cnt[e * c->k];
    uint64_t mask = c->mask[e];
    if (--ct[old] == 0 && old != home(c, e) && !(c->extra && (c->extra[e] & bit(old))))
      mask &= ~bit(old);
    if (ct[m]++ == 0) mask |= bit(m);
    set_packet_mask(c, e, mask);
  }
}

static void set_loc(pctx *c, size_t g, uint32_t m) {
  if (c->loc[g] == m) return;
  log_push(c, 0, (uint32_t)g, c->loc[g]);
  raw_set_loc(c, g, m);
}

static void raw_set_pi(pctx *c, uint32_t q, uint32_t b) {
  uint32_t a = c->pi[q];
  if (a == b) return;
  c->pi[q] = b;
  c->load[a]--;
  c->load[b]++;
  for (size_t i = c->qp_start[q]; i < c->qp_start[q + 1]; i++) {
    size_t e = c->qp[i];
    if (c->ehome[e] != UINT32_MAX) continue;
    uint64_t mask = c->mask[e] | bit(b);
    if (c->cnt[e * c->k + a] == 0) mask &= ~bit(a);
    set_packet_mask(c, e, mask);
  }
}

static void set_side(pctx *c, size_t g, uint8_t s) {
  if (c->side[g] == s) return;
  log_push(c, 2, (uint32_t)g, c->side[g]);
  c->side[g] = s;
}

/* Which locations a gate may use: bit 0 at u's home, bit 1 at v's home,
 * bit 2 elsewhere. */
static int allowed(const pctx *c, size_t g) {
  return c->allow[g];
}

/* Cost change of moving gate g to module m (no state change). */
static double loc_delta(const pctx *c, size_t g, uint32_t m) {
  uint32_t old = c->loc[g];
  if (old == m) return 0;
  double d = 0;
  for (int s = 0; s < 2; s++) {
    size_t e = c->gpk[g][s];
    uint64_t mask = c->mask[e];
    uint64_t nm = mask | bit(m);
    if (c->cnt[e * c->k + old] == 1 && old != home(c, e)) nm &= ~bit(old);
    if (nm != mask) d += tree_cost(c, nm, NULL) - c->pcost[e];
  }
  return d;
}

/* The gate's location implied by its side. */
static uint32_t side_loc(const pctx *c, size_t g) {
  uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
  if (c->pi[u] == c->pi[v]) return c->pi[u];
  if (c->side[g] == 0) return c->pi[u];
  if (c->side[g] == 1) return c->pi[v];
  return c->loc[g];
}

/* Best of the allowed sides for a cut gate, applied when it gains. */
static void reside(pctx *c, size_t g) {
  uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
  if (c->pi[u] == c->pi[v]) return;
  int al = allowed(c, g);
  double best = -GAIN_EPS;
  int bs = -1;
  if ((al & 1) && c->loc[g] != c->pi[u]) {
    double d = loc_delta(c, g, c->pi[u]);
    if (d < best) best = d, bs = 0;
  }
  if ((al & 2) && c->loc[g] != c->pi[v]) {
    double d = loc_delta(c, g, c->pi[v]);
    if (d < best) best = d, bs = 1;
  }
  if (bs >= 0) {
    set_loc(c, g, bs == 0 ? c->pi[u] : c->pi[v]);
    set_side(c, g, (uint8_t)bs);
  }
}

/* Moves qubit q to module b; its gates follow their side; then greedy
 * re-siding of its cut gates. */
static void move_qubit(pctx *c, uint32_t q, uint32_t b, int resides) {
  uint32_t a = c->pi[q];
  if (a == b) return;
  log_push(c, 1, q, a);
  raw_set_pi(c, q, b);
  for (size_t i = c->qg_start[q]; i < c->qg_start[q + 1]; i++) {
    size_t g = c->qg[i];
    uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
    uint32_t other = u == q ? v : u;
    uint8_t qs = u == q ? 0 : 1;
    if (c->pi[other] == b) {
      set_loc(c, g, b); /* became local */
      continue;
    }
    if (c->pi[other] == a && c->loc[g] == a) {
      /* was local: keep it at a when q's copy may travel, else follow q */
      int al = allowed(c, g);
      int at_other = qs == 0 ? (al & 2) : (al & 1);
      set_side(c, g, at_other ? (uint8_t)(1 - qs) : qs);
    }
    set_loc(c, g, side_loc(c, g));
  }
  if (resides) {
    for (size_t i = c->qg_start[q]; i < c->qg_start[q + 1]; i++) reside(c, c->qg[i]);
  }
}

/* ----------------------------------------------------- exact assignment */

typedef struct flow_edge {
  uint32_t to;
  uint32_t rev;
  double cap;
} flow_edge;

typedef struct flow {
  uint32_t nn;
  size_t *start; /* CSR built from a list */
  flow_edge *e;
  size_t ne;
  uint32_t *level, *it, *queue, *path;
  size_t *pe;
} flow;

/* Dinic's max flow on a small graph given as an edge list. */
static double dinic(flow *f, uint32_t s, uint32_t t) {
  double total = 0;
  for (;;) {
    for (uint32_t i = 0; i < f->nn; i++) f->level[i] = UINT32_MAX;
    uint32_t qh = 0, qt = 0;
    f->queue[qt++] = s;
    f->level[s] = 0;
    while (qh < qt) {
      uint32_t x = f->queue[qh++];
      for (size_t i = f->start[x]; i < f->start[x + 1]; i++) {
        flow_edge *ed = &f->e[i];
        if (ed->cap > 1e-12 && f->level[ed->to] == UINT32_MAX) {
          f->level[ed->to] = f->level[x] + 1;
          f->queue[qt++] = ed->to;
        }
      }
    }
    if (f->level[t] == UINT32_MAX) break;
    for (uint32_t i = 0; i < f->nn; i++) f->it[i] = 0;
    /* iterative DFS for blocking flow */
    for (;;) {
      /* find a path s -> t along level graph */
      uint32_t *path = f->path;
      size_t *pe = f->pe;
      uint32_t depth = 0, x = s;
      int found = 0;
      while (1) {
        if (x == t) {
          found = 1;
          break;
        }
        size_t base = f->start[x];
        size_t deg = f->start[x + 1] - base;
        int advanced = 0;
        while (f->it[x] < deg) {
          size_t i = base + f->it[x];
          flow_edge *ed = &f->e[i];
          if (ed->cap > 1e-12 && f->level[ed->to] == f->level[x] + 1) {
            path[depth] = x;
            pe[depth] = i;
            depth++;
            x = ed->to;
            advanced = 1;
            break;
          }
          f->it[x]++;
        }
        if (advanced) continue;
        if (depth == 0) break;
        /* dead end: retreat */
        f->level[x] = UINT32_MAX;
        depth--;
        x = path[depth];
        f->it[x]++;
      }
      if (!found) break;
      double push = INFINITY;
      for (uint32_t d = 0; d < depth; d++)
        if (f->e[pe[d]].cap < push) push = f->e[pe[d]].cap;
      for (uint32_t d = 0; d < depth; d++) {
        f->e[pe[d]].cap -= push;
        flow_edge *ed = &f->e[pe[d]];
        f->e[f->start[ed->to] + ed->rev].cap += push;
      }
      total += push;
    }
  }
  return total;
}

/* Gate locations for the current placement by minimum weighted vertex
 * cover (weights: distance from the packet's home). */
static tsr_status assign_cover(pctx *c, tsr_error *err) {
  size_t ng = c->ng, k = c->k;
  /* node ids for (packet, module) pairs used by cut gates */
  uint32_t *id = malloc(c->np * k * sizeof *id);
  uint32_t(*ends)[2] = malloc((ng ? ng : 1) * sizeof *ends);
  uint8_t *forced = calloc(c->np * k, 1);
  if (!id || !ends || !forced) {
    free(id);
    free(ends);
    free(forced);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  }
  if (c->force) memcpy(forced, c->force, c->np * k);
  for (size_t i = 0; i < c->np * k; i++) id[i] = UINT32_MAX;
  uint32_t nn = 2; /* 0 source, 1 sink */
  size_t nedges = 0;
  /* forced nodes first */
  for (size_t g = 0; g < ng; g++) {
    uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
    if (c->pi[u] == c->pi[v]) continue;
    int al = allowed(c, g);
    size_t eu = c->h->gate_packet[g][0], ev = c->h->gate_packet[g][1];
    if (!(al & 2)) forced[ev * k + c->pi[u]] = 1; /* must run at u: v's packet reaches pi[u] */
    if (!(al & 1)) forced[eu * k + c->pi[v]] = 1;
  }
  for (size_t g = 0; g < ng; g++) {
    uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
    ends[g][0] = ends[g][1] = UINT32_MAX;
    if (c->pi[u] == c->pi[v]) continue;
    size_t eu = c->h->gate_packet[g][0], ev = c->h->gate_packet[g][1];
    size_t a = eu * k + c->pi[v], b = ev * k + c->pi[u];
    if (forced[a] || forced[b]) continue;
    if (id[a] == UINT32_MAX) id[a] = nn++;
    if (id[b] == UINT32_MAX) id[b] = nn++;
    ends[g][0] = id[a];
    ends[g][1] = id[b];
    nedges++;
  }
  /* node info */
  uint32_t *node_home = malloc(nn * sizeof *node_home);
  uint32_t *node_mod = malloc(nn * sizeof *node_mod);
  tsr_status st = TSR_OK;
  flow f;
  memset(&f, 0, sizeof f);
  if (!node_home || !node_mod) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < c->np * k; i++) {
    if (id[i] == UINT32_MAX) continue;
    node_home[id[i]] = home(c, i / k);
    node_mod[id[i]] = (uint32_t)(i % k);
  }
  /* edges: s->left, right->t, left->right; with reverse edges */
  size_t ne = 2 * (nn - 2 + nedges);
  f.nn = nn;
  f.start = calloc(nn + 1, sizeof *f.start);
  f.e = malloc((ne ? ne : 1) * sizeof *f.e);
  f.level = malloc(nn * sizeof *f.level);
  f.it = malloc(nn * sizeof *f.it);
  f.queue = malloc(nn * sizeof *f.queue);
  f.path = malloc((nn + 1) * sizeof *f.path);
  f.pe = malloc((nn + 1) * sizeof *f.pe);
  size_t *fill = malloc((nn + 1) * sizeof *fill);
  if (!f.start || !f.e || !f.level || !f.it || !f.queue || !f.path || !f.pe || !fill) {
    free(fill);
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto done;
  }
#define LEFT(x) (node_home[x] < node_mod[x])
  for (uint32_t x = 2; x < nn; x++) {
    f.start[(LEFT(x) ? 0 : x) + 1]++;
    f.start[(LEFT(x) ? x : 1) + 1]++;
  }
  for (size_t g = 0; g < ng; g++) {
    if (ends[g][0] == UINT32_MAX) continue;
    f.start[ends[g][0] + 1]++;
    f.start[ends[g][1] + 1]++;
  }
  for (uint32_t x = 0; x < nn; x++) f.start[x + 1] += f.start[x];
  memcpy(fill, f.start, (nn + 1) * sizeof *fill);
#define ADD_EDGE(from, to_, cp)                                                                    \
  do {                                                                                             \
    size_t i1 = fill[from]++, i2 = fill[to_]++;                                                    \
    f.e[i1] = (flow_edge){(to_), (uint32_t)(i2 - f.start[to_]), (cp)};                             \
    f.e[i2] = (flow_edge){(from), (uint32_t)(i1 - f.start[from]), 0};                              \
  } while (0)
  for (uint32_t x = 2; x < nn; x++) {
    double w = c->dist[node_home[x] * k + node_mod[x]];
    if (LEFT(x)) {
      ADD_EDGE(0, x, w);
    } else {
      ADD_EDGE(x, 1, w);
    }
  }
  for (size_t g = 0; g < ng; g++) {
    if (ends[g][0] == UINT32_MAX) continue;
    uint32_t x = ends[g][0], y = ends[g][1];
    if (!LEFT(x)) {
      uint32_t t = x;
      x = y;
      y = t;
    }
    ADD_EDGE(x, y, INFINITY);
  }
  free(fill);
  dinic(&f, 0, 1);
  /* reachable from s in the residual graph: Z; cover = (L \ Z) ∪ (R ∩ Z) */
  for (uint32_t i = 0; i < nn; i++) f.level[i] = 0;
  {
    uint32_t qh = 0, qt = 0;
    f.queue[qt++] = 0;
    f.level[0] = 1;
    while (qh < qt) {
      uint32_t x = f.queue[qh++];
      for (size_t i = f.start[x]; i < f.start[x + 1]; i++) {
        if (f.e[i].cap > 1e-12 && !f.level[f.e[i].to]) {
          f.level[f.e[i].to] = 1;
          f.queue[qt++] = f.e[i].to;
        }
      }
    }
  }
  for (size_t g = 0; g < ng; g++) {
    uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
    if (c->pi[u] == c->pi[v]) {
      set_loc(c, g, c->pi[u]);
      continue;
    }
    size_t eu = c->h->gate_packet[g][0], ev = c->h->gate_packet[g][1];
    size_t a = eu * k + c->pi[v], b = ev * k + c->pi[u];
    int at_v; /* u's packet reaches pi[v] */
    if (forced[a]) {
      at_v = 1;
    } else if (forced[b]) {
      at_v = 0;
    } else {
      uint32_t x = id[a];
      int in_cover = LEFT(x) ? !f.level[x] : f.level[x];
      at_v = in_cover;
    }
    set_side(c, g, at_v ? 1 : 0);
    set_loc(c, g, at_v ? c->pi[v] : c->pi[u]);
  }
#undef LEFT
#undef ADD_EDGE
done:
  free(f.start);
  free(f.e);
  free(f.level);
  free(f.it);
  free(f.queue);
  free(f.path);
  free(f.pe);
  free(node_home);
  free(node_mod);
  free(id);
  free(ends);
  free(forced);
  return st;
}

/* Single-gate moves to any allowed module until none gains. */
static void polish_gates(pctx *c) {
  for (int round = 0; round < 8; round++) {
    int changed = 0;
    for (size_t g = 0; g < c->ng; g++) {
      uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
      if (c->pi[u] == c->pi[v]) continue;
      int al = allowed(c, g);
      double best = -GAIN_EPS;
      int64_t bm = -1;
      for (uint32_t m = 0; m < c->k; m++) {
        int ok = m == c->pi[u]   ? (al & 1)
                 : m == c->pi[v] ? (al & 2)
                                 : (al & 4) && c->g->capacity[m];
        if (!ok || m == c->loc[g]) continue;
        double d = loc_delta(c, g, m);
        if (d < best) best = d, bm = m;
      }
      if (bm >= 0) {
        set_loc(c, g, (uint32_t)bm);
        set_side(c, g, (uint32_t)bm == c->pi[u] ? 0 : (uint32_t)bm == c->pi[v] ? 1 : 2);
        changed = 1;
      }
    }
    if (!changed) break;
  }
}

/* Cluster moves: for a packet e and a module m it reaches (not its home),
 * move every gate of e running at m elsewhere (each to its best allowed
 * module); kept when the total drops. */
static void evacuate(pctx *c) {
  int was = c->logging;
  c->logging = 1;
  for (int round = 0; round < 4; round++) {
    int changed = 0;
    for (size_t e = 0; e < c->np; e++) {
      uint64_t mask = c->mask[e] & ~bit(home(c, e));
      while (mask) {
        uint32_t m = (uint32_t)__builtin_ctzll(mask);
        mask &= mask - 1;
        if (!(c->mask[e] & bit(m))) continue;
        size_t mark = c->nlog;
        double before = c->total;
        int stuck = 0;
        for (size_t i = c->h->packet_start[e]; i < c->h->packet_start[e + 1] && !stuck; i++) {
          size_t g = c->h->packet_gates[i];
          if (c->loc[g] != m) continue;
          uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
          int al = allowed(c, g);
          double best = INFINITY;
          int64_t bm = -1;
          for (uint32_t x = 0; x < c->k; x++) {
            if (x == m) continue;
            int ok = x == c->pi[u]   ? (al & 1)
                     : x == c->pi[v] ? (al & 2)
                                     : (al & 4) && c->g->capacity[x];
            if (!ok) continue;
            double d = loc_delta(c, g, x);
            if (d < best) best = d, bm = x;
          }
          if (bm < 0) {
            stuck = 1;
          } else {
            set_loc(c, g, (uint32_t)bm);
            set_side(c, g, (uint32_t)bm == c->pi[u] ? 0 : (uint32_t)bm == c->pi[v] ? 1 : 2);
          }
        }
        if (stuck || c->total > before - GAIN_EPS) {
          rollback(c, mark);
        } else {
          changed = 1;
        }
        c->nlog = mark;
      }
    }
    if (!changed) break;
  }
  c->logging = was;
}

/* Simulated annealing over gate locations (single-gate moves, geometric
 * cooling); ends in the best state it saw. */
static void anneal_gates(pctx *c, size_t iters) {
  size_t *cut = malloc((c->ng ? c->ng : 1) * sizeof *cut), nc = 0;
  uint32_t *best = malloc((c->ng ? c->ng : 1) * sizeof *best);
  if (!cut || !best) {
    free(cut);
    free(best);
    c->nomem = 1;
    return;
  }
  for (size_t g = 0; g < c->ng; g++) {
    uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
    if (c->pi[u] != c->pi[v] && allowed(c, g) == 7) cut[nc++] = g;
  }
  if (nc > 0) {
    for (size_t i = 0; i < nc; i++) best[i] = c->loc[cut[i]];
    double best_total = c->total;
    const double t0 = 0.6, t1 = 0.03;
    double T = t0, cool = pow(t1 / t0, 1.0 / (double)(iters ? iters : 1));
    for (size_t it = 0; it < iters; it++, T *= cool) {
      size_t x = tsr_rng_below(&c->rng, nc), g = cut[x];
      uint32_t m = (uint32_t)tsr_rng_below(&c->rng, c->k);
      if (m == c->loc[g] || !c->g->capacity[m]) continue;
      double d = loc_delta(c, g, m);
      if (d <= 0 || tsr_rng_uniform(&c->rng) < exp(-d / T)) set_loc(c, g, m);
      /* snapshot a new best now and then (cheap relative to nc moves) */
      if (c->total < best_total - 0.5 && it % 64 == 0) {
        best_total = c->total;
        for (size_t i = 0; i < nc; i++) best[i] = c->loc[cut[i]];
      }
    }
    if (c->total > best_total + GAIN_EPS) {
      for (size_t i = 0; i < nc; i++) set_loc(c, cut[i], best[i]);
    }
    for (size_t i = 0; i < nc; i++) {
      size_t g = cut[i];
      uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
      c->side[g] = c->loc[g] == c->pi[u] ? 0 : c->loc[g] == c->pi[v] ? 1 : 2;
    }
  }
  free(cut);
  free(best);
}

/* Gate locations for the current placement: exact vertex cover, then
 * single-gate and cluster moves; with anneal > 0, annealing of that many
 * moves per cut gate (capped) and the local moves again. */
static tsr_status optimise_gates(pctx *c, double anneal, tsr_error *err) {
  int was = c->logging;
  c->logging = 0;
  tsr_status st = assign_cover(c, err);
  if (st == TSR_OK) {
    polish_gates(c);
    evacuate(c);
    polish_gates(c);
  }
  if (c->anneal_runs >= 2 && c->anneal_gains == 0) anneal = 0;
  if (st == TSR_OK && anneal > 0 && c->k > 2) {
    size_t iters = (size_t)(anneal * (double)c->ng);
    if (iters > 400000) iters = 400000;
    c->logging = 0;
    double before = c->total;
    anneal_gates(c, iters);
    polish_gates(c);
    evacuate(c);
    polish_gates(c);
    c->anneal_runs++;
    if (c->total < before - GAIN_EPS) c->anneal_gains++;
  }
  c->logging = was;
  return st;
}

/* --------------------------------------------------------- placements */

/* Builds the state for placement pi (gates at their first allowed home). */
static void load_placement(pctx *c, const uint32_t *pi) {
  memcpy(c->pi, pi, c->n * sizeof *pi);
  memset(c->load, 0, c->k * sizeof *c->load);
  for (uint32_t q = 0; q < c->n; q++) c->load[pi[q]]++;
  memset(c->cnt, 0, c->np * c->k * sizeof *c->cnt);
  for (size_t e = 0; e < c->np; e++) c->ehome[e] = UINT32_MAX;
  for (size_t g = 0; g < c->ng; g++) {
    uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
    int al = allowed(c, g);
    c->side[g] = (al & 1) ? 0 : 1;
    c->loc[g] = c->pi[c->side[g] == 0 ? u : v];
    for (int s = 0; s < 2; s++) c->cnt[c->h->gate_packet[g][s] * c->k + c->loc[g]]++;
  }
  c->total = 0;
  for (size_t e = 0; e < c->np; e++) {
    uint64_t m = bit(home(c, e));
    for (uint32_t x = 0; x < c->k; x++)
      if (c->cnt[e * c->k + x]) m |= bit(x);
    c->mask[e] = m;
    c->pcost[e] = tree_cost(c, m, NULL);
    c->total += c->pcost[e];
  }
}

static double eval_move(pctx *c, uint32_t q, uint32_t b) {
  size_t mark = c->nlog;
  double before = c->total;
  move_qubit(c, q, b, 1);
  double d = c->total - before;
  rollback(c, mark);
  return d;
}

static double eval_swap(pctx *c, uint32_t q, uint32_t r) {
  size_t mark = c->nlog;
  double before = c->total;
  uint32_t a = c->pi[q], b = c->pi[r];
  move_qubit(c, q, b, 0);
  move_qubit(c, r, a, 0);
  for (size_t i = c->qg_start[q]; i < c->qg_start[q + 1]; i++) reside(c, c->qg[i]);
  for (size_t i = c->qg_start[r]; i < c->qg_start[r + 1]; i++) reside(c, c->qg[i]);
  double d = c->total - before;
  rollback(c, mark);
  return d;
}

static void apply_swap(pctx *c, uint32_t q, uint32_t r) {
  uint32_t a = c->pi[q], b = c->pi[r];
  move_qubit(c, q, b, 0);
  move_qubit(c, r, a, 0);
  for (size_t i = c->qg_start[q]; i < c->qg_start[q + 1]; i++) reside(c, c->qg[i]);
  for (size_t i = c->qg_start[r]; i < c->qg_start[r + 1]; i++) reside(c, c->qg[i]);
}

/* Greedy moves and swaps until a pass finds no gain. Swap candidates for a
 * qubit are ranked by the (possibly stale) single-move gains of both
 * qubits; the best few are evaluated exactly. dm is n*k scratch. */
#define SWAP_CANDIDATES 6

/* The `max` qubits in other modules whose swap with q gains most by the
 * single-move estimate dm (q's move there plus theirs to q's module). */
static int swap_partners(const pctx *c, uint32_t q, const double *dm, uint32_t *cand, int max) {
  uint32_t k = c->k, a = c->pi[q];
  double cv[16];
  int nc = 0;
  if (max > 16) max = 16;
  for (uint32_t r = 0; r < c->n; r++) {
    if (c->pi[r] == a) continue;
    double est = dm[q * k + c->pi[r]] + dm[r * k + a];
    if (nc < max) {
      cand[nc] = r;
      cv[nc++] = est;
    } else {
      int w = 0;
      for (int x = 1; x < nc; x++)
        if (cv[x] > cv[w]) w = x;
      if (est < cv[w]) cand[w] = r, cv[w] = est;
    }
  }
  return nc;
}
static void improve_qubits(pctx *c, uint32_t *order, double *dm, int max_passes) {
  uint32_t n = c->n, k = c->k;
  for (int pass = 0; pass < max_passes; pass++) {
    for (uint32_t q = 0; q < n; q++)
      for (uint32_t b = 0; b < k; b++) dm[q * k + b] = b == c->pi[q] ? 0 : eval_move(c, q, b);
    int improved = 0;
    for (uint32_t i = n; i > 1; i--) {
      uint32_t j = (uint32_t)tsr_rng_below(&c->rng, i), t = order[i - 1];
      order[i - 1] = order[j];
      order[j] = t;
    }
    for (uint32_t oi = 0; oi < n; oi++) {
      uint32_t q = order[oi], a = c->pi[q];
      double best = -GAIN_EPS;
      int64_t bmove = -1, bswap = -1;
      for (uint32_t b = 0; b < k; b++) {
        if (b == a || c->load[b] >= c->g->capacity[b]) continue;
        double d = eval_move(c, q, b);
        if (d < best) best = d, bmove = b, bswap = -1;
      }
      /* the best few swap partners by estimated gain */
      uint32_t cand[SWAP_CANDIDATES];
      int nc = swap_partners(c, q, dm, cand, SWAP_CANDIDATES);
      for (int x = 0; x < nc; x++) {
        double d = eval_swap(c, q, cand[x]);
        if (d < best) best = d, bswap = cand[x], bmove = -1;
      }
      size_t mark = c->nlog;
      uint32_t moved[2] = {q, UINT32_MAX};
      if (bmove >= 0) {
        move_qubit(c, q, (uint32_t)bmove, 1);
        improved = 1;
      } else if (bswap >= 0) {
        apply_swap(c, q, (uint32_t)bswap);
        moved[1] = (uint32_t)bswap;
        improved = 1;
      }
      c->nlog = mark; /* commit */
      for (int x = 0; x < 2 && (bmove >= 0 || bswap >= 0); x++) {
        uint32_t r = moved[x];
        if (r == UINT32_MAX) continue;
        for (uint32_t b = 0; b < k; b++) dm[r * k + b] = b == c->pi[r] ? 0 : eval_move(c, r, b);
      }
    }
    if (!improved) break;
  }
}

/* Moves qubits out of over-full modules (cheapest first). */
static void repair_capacity(pctx *c) {
  for (;;) {
    int64_t over = -1;
    for (uint32_t m = 0; m < c->k; m++)
      if (c->load[m] > c->g->capacity[m]) over = m;
    if (over < 0) return;
    double best = INFINITY;
    int64_t bq = -1, bb = -1;
    for (uint32_t q = 0; q < c->n; q++) {
      if (c->pi[q] != (uint32_t)over) continue;
      for (uint32_t b = 0; b < c->k; b++) {
        if (c->load[b] >= c->g->capacity[b]) continue;
        double d = eval_move(c, q, b);
        if (d < best) best = d, bq = q, bb = b;
      }
    }
    if (bq < 0) return; /* cannot happen when total capacity suffices */
    size_t mark = c->nlog;
    move_qubit(c, (uint32_t)bq, (uint32_t)bb, 1);
    c->nlog = mark;
  }
}

static int cmp_u64(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

/* Initial placement from METIS on the qubit interaction graph (edge weight:
 * distinct packet pairs joined by gates). Falls back to filling modules in
 * order. */
static void metis_placement(pctx *c, uint64_t seed, int recursive, uint32_t *pi) {
  uint32_t n = c->n, k = c->k;
  /* modules that can hold qubits */
  uint32_t mods[TSR_MODULE_GRAPH_MAX], nm = 0;
  uint64_t total = 0;
  for (uint32_t m = 0; m < k; m++)
    if (c->g->capacity[m] > 0) mods[nm++] = m, total += c->g->capacity[m];
  /* fallback: fill in order */
  {
    uint32_t m = 0, used = 0;
    for (uint32_t q = 0; q < n; q++) {
      while (used >= c->g->capacity[mods[m]]) m++, used = 0;
      pi[q] = mods[m];
      used++;
    }
  }
  if (nm <= 1 || n < 2 || nm > n || c->ng == 0) return;
  /* adjacency with weights (dense per qubit, n is small) */
  idx_t *xadj = calloc(n + 1, sizeof *xadj);
  uint32_t *w = calloc((size_t)n * n, sizeof *w);
  uint64_t *seen_pair = NULL;
  if (!xadj || !w) {
    free(xadj);
    free(w);
    return;
  }
  /* distinct (packet, packet) pairs: gates sorted by packet pair */
  size_t ng = c->ng;
  seen_pair = malloc(ng * sizeof *seen_pair);
  if (!seen_pair) {
    free(xadj);
    free(w);
    return;
  }
  for (size_t g = 0; g < ng; g++) {
    uint64_t a = c->h->gate_packet[g][0], b = c->h->gate_packet[g][1];
    seen_pair[g] = a < b ? (a << 32 | b) : (b << 32 | a);
  }
  /* sort keys; count distinct per qubit pair */
  qsort(seen_pair, ng, sizeof *seen_pair, cmp_u64);
  for (size_t i = 0; i < ng; i++) {
    if (i > 0 && seen_pair[i] == seen_pair[i - 1]) continue;
    uint32_t u = c->h->packet_qubit[seen_pair[i] >> 32];
    uint32_t v = c->h->packet_qubit[seen_pair[i] & 0xffffffffu];
    if (u == v) continue;
    w[(size_t)u * n + v]++;
    w[(size_t)v * n + u]++;
  }
  size_t nadj = 0;
  for (uint32_t u = 0; u < n; u++)
    for (uint32_t v = 0; v < n; v++)
      if (w[(size_t)u * n + v]) nadj++;
  idx_t *adjncy = malloc((nadj ? nadj : 1) * sizeof *adjncy);
  idx_t *adjwgt = malloc((nadj ? nadj : 1) * sizeof *adjwgt);
  idx_t *part = malloc(n * sizeof *part);
  real_t *tpw = malloc(nm * sizeof *tpw);
  if (adjncy && adjwgt && part && tpw && nadj > 0) {
    size_t p = 0;
    for (uint32_t u = 0; u < n; u++) {
      xadj[u] = (idx_t)p;
      for (uint32_t v = 0; v < n; v++) {
        uint32_t x = w[(size_t)u * n + v];
        if (x) {
          adjncy[p] = (idx_t)v;
          adjwgt[p] = (idx_t)x;
          p++;
        }
      }
    }
    xadj[n] = (idx_t)p;
    for (uint32_t i = 0; i < nm; i++) tpw[i] = (real_t)c->g->capacity[mods[i]] / (real_t)total;
    idx_t nv = (idx_t)n, ncon = 1, nparts = (idx_t)nm, objval = 0;
    real_t ub = (real_t)1.03;
    idx_t opts[METIS_NOPTIONS];
    METIS_SetDefaultOptions(opts);
    opts[METIS_OPTION_SEED] = (idx_t)(seed & 0x3fffffff);
    opts[METIS_OPTION_NUMBERING] = 0;
    int r = recursive ? METIS_PartGraphRecursive(&nv, &ncon, xadj, adjncy, NULL, NULL, adjwgt,
                                                 &nparts, tpw, &ub, opts, &objval, part)
                      : METIS_PartGraphKway(&nv, &ncon, xadj, adjncy, NULL, NULL, adjwgt, &nparts,
                                            tpw, &ub, opts, &objval, part);
    if (r == METIS_OK) {
      for (uint32_t q = 0; q < n; q++) pi[q] = mods[part[q]];
    }
  }
  free(adjncy);
  free(adjwgt);
  free(part);
  free(tpw);
  free(xadj);
  free(w);
  free(seen_pair);
}

/* --------------------------------------------------------------- setup */

static void ctx_free(pctx *c) {
  free(c->dist);
  free(c->hop);
  free(c->st_cost);
  free(c->st_hops);
  free(c->distributable);
  free(c->allow);
  free(c->qg_start);
  free(c->qg);
  free(c->qp_start);
  free(c->qp);
  free(c->pi);
  free(c->load);
  free(c->loc);
  free(c->side);
  free(c->cnt);
  free(c->mask);
  free(c->ehome);
  free(c->pcost);
  free(c->extra);
  free(c->log);
}

static tsr_status ctx_init(pctx *c, const tsr_packet_graph *h, const tsr_module_graph *g,
                           tsr_error *err) {
  memset(c, 0, sizeof *c);
  if (!h || !g) return tsr_error_set(err, TSR_ERR_VALUE, "partition: NULL argument");
  if (g->nmodules == 0 || g->nmodules > TSR_MODULE_GRAPH_MAX) {
    return tsr_error_set(err, TSR_ERR_VALUE, "module graph has %u modules", g->nmodules);
  }
  if (!tsr_module_graph_connected(g)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "the module graph is not connected");
  }
  c->h = h;
  c->g = g;
  c->n = h->nqubits;
  c->k = g->nmodules;
  c->ng = h->ngates;
  c->np = h->npackets;
  tsr_status st = network_tables(c, err);
  if (st != TSR_OK) return st;
  size_t n1 = c->n ? c->n : 1, ng1 = c->ng ? c->ng : 1, np1 = c->np ? c->np : 1;
  c->distributable = malloc(np1);
  c->allow = malloc(ng1);
  c->qg_start = calloc(n1 + 1, sizeof *c->qg_start);
  c->qg = malloc(2 * ng1 * sizeof *c->qg);
  c->qp_start = calloc(n1 + 1, sizeof *c->qp_start);
  c->qp = malloc(np1 * sizeof *c->qp);
  c->pi = malloc(n1 * sizeof *c->pi);
  c->load = calloc(c->k, sizeof *c->load);
  c->loc = malloc(ng1 * sizeof *c->loc);
  c->side = malloc(ng1);
  c->cnt = calloc(np1 * c->k, sizeof *c->cnt);
  c->mask = malloc(np1 * sizeof *c->mask);
  c->ehome = malloc(np1 * sizeof *c->ehome);
  c->pcost = malloc(np1 * sizeof *c->pcost);
  if (!c->distributable || !c->allow || !c->qg_start || !c->qg || !c->qp_start || !c->qp ||
      !c->pi || !c->load || !c->loc || !c->side || !c->cnt || !c->mask || !c->ehome || !c->pcost) {
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  }
  for (size_t e = 0; e < c->np; e++) c->distributable[e] = h->packet_axis[e] != 0;
  c->gpk = (const uint32_t(*)[2])h->gate_packet;
  c->gq = (const uint32_t(*)[2])h->gate_qubit;
  for (size_t g2 = 0; g2 < c->ng; g2++) {
    int du = c->distributable[h->gate_packet[g2][0]], dv = c->distributable[h->gate_packet[g2][1]];
    c->allow[g2] = (uint8_t)((dv ? 1 : 0) | (du ? 2 : 0) | (du && dv ? 4 : 0));
  }
  for (size_t g2 = 0; g2 < c->ng; g2++) {
    c->qg_start[h->gate_qubit[g2][0] + 1]++;
    c->qg_start[h->gate_qubit[g2][1] + 1]++;
  }
  for (uint32_t q = 0; q < c->n; q++) c->qg_start[q + 1] += c->qg_start[q];
  size_t *fill = malloc(n1 * sizeof *fill);
  if (!fill) return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  memcpy(fill, c->qg_start, n1 * sizeof *fill);
  for (size_t g2 = 0; g2 < c->ng; g2++) {
    c->qg[fill[h->gate_qubit[g2][0]]++] = g2;
    c->qg[fill[h->gate_qubit[g2][1]]++] = g2;
  }
  for (size_t e = 0; e < c->np; e++) c->qp_start[h->packet_qubit[e] + 1]++;
  for (uint32_t q = 0; q < c->n; q++) c->qp_start[q + 1] += c->qp_start[q];
  memcpy(fill, c->qp_start, n1 * sizeof *fill);
  for (size_t e = 0; e < c->np; e++) c->qp[fill[h->packet_qubit[e]]++] = e;
  free(fill);
  return TSR_OK;
}

/* ------------------------------------------------------------ teleports */

/* Cost (weighted and in hops) of the excursions of qubit q: maximal runs of
 * its packets held in one other module; a run that reaches the qubit's last
 * packet costs one teleport (the qubit stays), any other two (there and
 * back). */
static double excursion_cost(const pctx *c, uint32_t q, uint64_t *hops) {
  double cost = 0;
  uint64_t h = 0;
  size_t s0 = c->qp_start[q], s1 = c->qp_start[q + 1];
  uint32_t a = c->pi[q];
  for (size_t i = s0; i < s1;) {
    uint32_t b = c->ehome[c->qp[i]];
    if (b == UINT32_MAX) {
      i++;
      continue;
    }
    size_t j = i;
    while (j + 1 < s1 && c->ehome[c->qp[j + 1]] == b) j++;
    int trips = j + 1 == s1 ? 1 : 2;
    cost += trips * c->dist[a * c->k + b];
    h += (uint64_t)trips * c->hop[a * c->k + b];
    i = j + 1;
  }
  if (hops) *hops = h;
  return cost;
}

/* Cost change of holding packet e in module b instead of its home. */
static double home_delta(const pctx *c, size_t e, uint32_t b) {
  uint32_t a = home(c, e);
  uint64_t m = c->mask[e] | bit(b);
  if (c->cnt[e * c->k + a] == 0) m &= ~bit(a);
  return tree_cost(c, m, NULL) - c->pcost[e];
}

static void set_home(pctx *c, size_t e, uint32_t b) {
  uint32_t a = home(c, e);
  c->ehome[e] = b;
  uint64_t m = c->mask[e] | bit(b);
  if (c->cnt[e * c->k + a] == 0) m &= ~bit(a);
  set_packet_mask(c, e, m);
}

/* Time-sliced re-placement: for every qubit, the run of consecutive packets
 * (not yet teleported) whose move to one other module saves the most once
 * the teleports are paid (maximum-subarray scan); applied when it gains.
 * Returns the gain. */
static double teleport_pass(pctx *c) {
  double gained = 0;
  for (uint32_t q = 0; q < c->n; q++) {
    size_t s0 = c->qp_start[q], s1 = c->qp_start[q + 1];
    if (s1 - s0 < 2) continue;
    uint32_t a = c->pi[q];
    double best = -GAIN_EPS;
    size_t bi = 0, bj = 0;
    int64_t bb = -1;
    for (uint32_t b = 0; b < c->k; b++) {
      if (b == a || !c->g->capacity[b]) continue;
      double round = 2 * c->dist[a * c->k + b], oneway = c->dist[a * c->k + b];
      /* min over intervals [i, j] of sum d + (j last ? oneway : round) */
      double run = 0;
      size_t start = s0;
      for (size_t j = s0; j < s1; j++) {
        size_t e = c->qp[j];
        if (c->ehome[e] != UINT32_MAX) {
          run = 0;
          start = j + 1;
          continue;
        }
        double d = home_delta(c, e, b);
        if (run > 0 || j == start) {
          run = d;
          start = j;
        } else {
          run += d;
        }
        double total = run + (j + 1 == s1 ? oneway : round);
        if (total < best) best = total, bi = start, bj = j, bb = b;
      }
    }
    if (bb < 0) continue;
    double before = c->total + excursion_cost(c, q, NULL);
    for (size_t j = bi; j <= bj; j++) set_home(c, c->qp[j], (uint32_t)bb);
    gained += before - (c->total + excursion_cost(c, q, NULL));
  }
  return gained;
}

static double total_with_teleports(const pctx *c) {
  double t = c->total;
  for (uint32_t q = 0; q < c->n; q++) t += excursion_cost(c, q, NULL);
  return t;
}

/* Restores a placement, packet homes and gate locations. */
static void restore_full(pctx *c, const uint32_t *pi, const uint32_t *ehome, const uint32_t *loc) {
  int was = c->logging;
  c->logging = 0;
  load_placement(c, pi);
  for (size_t e = 0; e < c->np; e++)
    if (ehome[e] != UINT32_MAX) set_home(c, e, ehome[e]);
  for (size_t g = 0; g < c->ng; g++) {
    uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
    raw_set_loc(c, g, loc[g]);
    c->side[g] = loc[g] == c->pi[u] ? 0 : loc[g] == c->pi[v] ? 1 : 2;
  }
  c->logging = was;
}

/* Teleport passes alternating with the gate assignment (vertex cover with
 * the new packet homes, then local moves) while they gain; ends in the best
 * state seen. */
static tsr_status optimise_teleports(pctx *c, tsr_error *err) {
  int was = c->logging;
  c->logging = 0;
  size_t np1 = c->np ? c->np : 1, ng1 = c->ng ? c->ng : 1;
  uint32_t *bh = malloc(np1 * sizeof *bh), *bl = malloc(ng1 * sizeof *bl);
  if (!bh || !bl) {
    free(bh);
    free(bl);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  }
  double best = total_with_teleports(c);
  memcpy(bh, c->ehome, c->np * sizeof *bh);
  memcpy(bl, c->loc, c->ng * sizeof *bl);
  tsr_status st = TSR_OK;
  for (int round = 0; round < 8 && st == TSR_OK; round++) {
    if (teleport_pass(c) <= GAIN_EPS) break;
    polish_gates(c);
    evacuate(c);
    double t1 = total_with_teleports(c);
    if (t1 < best - GAIN_EPS) {
      best = t1;
      memcpy(bh, c->ehome, c->np * sizeof *bh);
      memcpy(bl, c->loc, c->ng * sizeof *bl);
    }
    /* the exact assignment for the new homes */
    st = assign_cover(c, err);
    if (st != TSR_OK) break;
    polish_gates(c);
    evacuate(c);
    polish_gates(c);
    double t2 = total_with_teleports(c);
    if (t2 < best - GAIN_EPS) {
      best = t2;
      memcpy(bh, c->ehome, c->np * sizeof *bh);
      memcpy(bl, c->loc, c->ng * sizeof *bl);
    } else {
      restore_full(c, c->pi, bh, bl);
    }
  }
  if (st == TSR_OK && total_with_teleports(c) > best + GAIN_EPS) restore_full(c, c->pi, bh, bl);
  free(bh);
  free(bl);
  c->logging = was;
  return st;
}

/* ------------------------------------------------------------ embedding */

typedef struct embed_plan {
  struct tsr_embed *v;
  size_t n;
  double saved_cost;
  uint64_t saved_hops;
} embed_plan;

/* The module set of packet e from its gates, home and extra bits. */
static uint64_t packet_mask_of(const pctx *c, size_t e) {
  uint64_t m = bit(home(c, e)) | (c->extra ? c->extra[e] : 0);
  for (uint32_t x = 0; x < c->k; x++)
    if (c->cnt[e * c->k + x]) m |= bit(x);
  return m;
}

typedef struct extra_undo {
  size_t e;
  uint64_t old;
} extra_undo;

typedef struct embed_work {
  uint8_t *frozen;     /* [np] packets an accepted embedding relies on */
  uint8_t *inner_used; /* [ng] inner gates of an accepted embedding */
  uint64_t *saved_mask;
  size_t *touched; /* packets a trial changed */
  size_t nt, cap_t;
  extra_undo *xu;
  size_t nx;
} embed_work;

static void touch(pctx *c, embed_work *w, size_t e) {
  if (w->nt == w->cap_t) return; /* sized for every packet a trial can reach */
  w->saved_mask[w->nt] = c->mask[e];
  w->touched[w->nt++] = e;
}

/* One trial of sandwich sw: with `to` < k, first the gates of `before` and
 * `after` whose partner lives in module `to` move there (so that both
 * packets reach it); then the inner gates move to the qubit's module and
 * the partners' packets reach the kept copies' modules. Kept (the state
 * stays) when the pairs saved outweigh the cost; else undone. */
static int try_embed(pctx *c, embed_work *w, size_t si, uint32_t to, embed_plan *plan) {
  const tsr_packet_graph *h = c->h;
  const struct tsr_sandwich *sw = &h->sandwiches[si];
  uint32_t q = sw->qubit, H = c->pi[q];
  size_t p1 = sw->before, p3 = sw->after;
  double t0 = c->total;
  size_t mark = c->nlog;
  w->nt = 0;
  w->nx = 0;
  if (to < c->k) {
    size_t ends[2] = {p1, p3};
    for (int j = 0; j < 2; j++) {
      size_t e = ends[j];
      for (size_t i = h->packet_start[e]; i < h->packet_start[e + 1]; i++) {
        size_t g = h->packet_gates[i];
        int k = c->gq[g][0] == q ? 0 : 1;
        if (c->pi[c->gq[g][1 - k]] != to || c->loc[g] == to || w->inner_used[g]) continue;
        if (!(allowed(c, g) & (k == 0 ? 2 : 1))) continue;
        touch(c, w, c->gpk[g][1 - k]);
        set_loc(c, g, to);
      }
    }
  }
  uint64_t keep = c->mask[p1] & c->mask[p3] & ~bit(H);
  for (uint32_t x = 0; x < c->k; x++)
    if ((keep & bit(x)) && !(c->g->link_cost[H * c->k + x] > 0)) keep &= ~bit(x);
  int ok = keep != 0;
  for (size_t i = 0; i < sw->inner_count && ok; i++) {
    size_t g = h->sandwich_inner[sw->inner_first + i];
    int k = c->gq[g][0] == q ? 0 : 1;
    size_t eq = c->gpk[g][k], ea = c->gpk[g][1 - k];
    if (w->inner_used[g] || c->ehome[eq] != UINT32_MAX || c->ehome[ea] != UINT32_MAX) {
      ok = 0;
      break;
    }
    touch(c, w, eq);
    touch(c, w, ea);
    set_loc(c, g, H);
    if (!h->sandwich_inner_fix[sw->inner_first + i]) continue;
    uint64_t need = keep & ~bit(c->pi[c->gq[g][1 - k]]);
    if ((c->extra[ea] | need) != c->extra[ea]) {
      w->xu[w->nx++] = (extra_undo){ea, c->extra[ea]};
      c->extra[ea] |= need;
      set_packet_mask(c, ea, c->mask[ea] | need);
    }
  }
  for (size_t i = 0; i < w->nt && ok; i++)
    if (w->frozen[w->touched[i]] && c->mask[w->touched[i]] != w->saved_mask[i]) ok = 0;
  double saving = 0;
  uint32_t h3 = 0, hm = 0, hk = 0;
  if (ok) {
    double c3 = tree_cost(c, c->mask[p3], &h3);
    double cm = tree_cost(c, c->mask[p3] | keep | bit(H), &hm);
    double ck = tree_cost(c, keep | bit(H), &hk);
    saving = c3 - (cm - ck);
  }
  if (ok && c->total - t0 - saving < -GAIN_EPS) {
    w->frozen[p1] = w->frozen[p3] = 1;
    for (size_t i = 0; i < sw->inner_count; i++) {
      size_t g = h->sandwich_inner[sw->inner_first + i];
      w->inner_used[g] = 1;
      w->frozen[c->gpk[g][c->gq[g][0] == q ? 0 : 1]] = 1;
    }
    plan->v[plan->n++] = (struct tsr_embed){.sandwich = (uint32_t)si, .keep = keep};
    plan->saved_cost += saving;
    plan->saved_hops += (uint64_t)h3 + hk - hm;
    return 1;
  }
  while (w->nx > 0) {
    w->nx--;
    c->extra[w->xu[w->nx].e] = w->xu[w->nx].old;
    set_packet_mask(c, w->xu[w->nx].e, packet_mask_of(c, w->xu[w->nx].e));
  }
  rollback(c, mark);
  return 0;
}

/* On two modules the gate assignment is an exact vertex cover (assign_cover),
 * so embedding can be chosen with it: a sandwich of qubit q (module H, the
 * other B) is tried by forcing into the cover what it needs (its packets
 * before and after reach B; each inner gate's partner reaches H, and B too
 * when the gate puts Z on a partner living in H), re-solving the cover with
 * the inner gates in H, and kept when the pairs, less one per embedded
 * sandwich, go down. The embedding pass then finds them. */
static tsr_status embed_cover_pass(pctx *c, tsr_error *err) {
  const tsr_packet_graph *h = c->h;
  if (c->k != 2 || !h->nsandwiches) return TSR_OK;
  size_t nk = c->np * c->k, ng1 = c->ng ? c->ng : 1;
  c->force = calloc(nk ? nk : 1, 1);
  uint32_t *best_loc = malloc(ng1 * sizeof *best_loc);
  size_t *newly = malloc((2 * ng1 + 2) * sizeof *newly);
  uint8_t *inner_at_home = calloc(ng1, 1); /* 1 + module of an accepted inner gate */
  tsr_status st = TSR_OK;
  if (!c->force || !best_loc || !newly || !inner_at_home) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto done;
  }
  int logging = c->logging;
  c->logging = 0;
  memcpy(best_loc, c->loc, c->ng * sizeof *best_loc);
  double best = c->total;
  uint32_t accepted = 0;
  for (size_t si = 0; si < h->nsandwiches && st == TSR_OK; si++) {
    const struct tsr_sandwich *sw = &h->sandwiches[si];
    uint32_t q = sw->qubit, H = c->pi[q], B = 1 - H;
    if (c->ehome[sw->before] != UINT32_MAX || c->ehome[sw->after] != UINT32_MAX) continue;
    if (!((c->mask[sw->before] | c->mask[sw->after]) & bit(B))) continue;
    size_t nn = 0;
#define FORCE(e, m)                                                                                \
  do {                                                                                             \
    size_t at_ = (size_t)(e)*c->k + (m);                                                           \
    if (!c->force[at_]) c->force[at_] = 1, newly[nn++] = at_;                                      \
  } while (0)
    FORCE(sw->before, B);
    FORCE(sw->after, B);
    int ok = 1;
    for (size_t i = 0; i < sw->inner_count; i++) {
      size_t g = h->sandwich_inner[sw->inner_first + i];
      int k = c->gq[g][0] == q ? 0 : 1;
      uint32_t a = c->gq[g][1 - k];
      size_t ea = c->gpk[g][1 - k];
      if (inner_at_home[g] || c->ehome[ea] != UINT32_MAX || !c->distributable[ea]) ok = 0;
      if (c->pi[a] == B)
        FORCE(ea, H);
      else if (h->sandwich_inner_fix[sw->inner_first + i])
        FORCE(ea, B);
    }
#undef FORCE
    if (ok) {
      st = assign_cover(c, err);
      for (size_t i = 0; i < sw->inner_count && st == TSR_OK; i++)
        set_loc(c, h->sandwich_inner[sw->inner_first + i], H);
      for (size_t g = 0; g < c->ng; g++)
        if (inner_at_home[g]) set_loc(c, g, inner_at_home[g] - 1);
      /* a forced pair is reached only through a gate whose partner lives
         there: without one, the embedding this counts is not there */
      for (size_t i = 0; i < nn && ok; i++)
        if (!(c->mask[newly[i] / c->k] & bit((uint32_t)(newly[i] % c->k)))) ok = 0;
    }
    if (ok && st == TSR_OK && c->total - (accepted + 1) < best - GAIN_EPS) {
      accepted++;
      best = c->total - accepted;
      for (size_t i = 0; i < sw->inner_count; i++)
        inner_at_home[h->sandwich_inner[sw->inner_first + i]] = (uint8_t)(H + 1);
      memcpy(best_loc, c->loc, c->ng * sizeof *best_loc);
    } else {
      while (nn > 0) c->force[newly[--nn]] = 0;
      for (size_t g = 0; g < c->ng; g++) set_loc(c, g, best_loc[g]);
    }
  }
  c->logging = logging;
done:
  free(c->force);
  c->force = NULL;
  free(best_loc);
  free(newly);
  free(inner_at_home);
  return st;
}

/* Greedy embedding of the packet graph's sandwiches, in circuit order, on
 * the final placement: a sandwich is embedded when the pairs its `after`
 * packet reuses outweigh what running the inner gates in the qubit's module
 * and reaching the copies' modules with the partners' packets cost; the
 * gates of `before` and `after` with partners in a neighbouring module may
 * move there first (so that both packets reach it). Packets an embedding
 * relies on (before, after, the qubit's inner packets) are frozen for later
 * ones, so every saving stays exact. */
static tsr_status embed_pass(pctx *c, embed_plan *plan, double *probe, tsr_error *err) {
  const tsr_packet_graph *h = c->h;
  memset(plan, 0, sizeof *plan);
  if (probe) *probe = c->total;
  if (!h->nsandwiches || c->k < 2) return TSR_OK;
  size_t np1 = c->np ? c->np : 1, ng1 = c->ng ? c->ng : 1;
  embed_work w = {0};
  w.cap_t = 4 * ng1;
  c->extra = calloc(np1, sizeof *c->extra);
  w.frozen = calloc(np1, 1);
  w.inner_used = calloc(ng1, 1);
  w.saved_mask = malloc(w.cap_t * sizeof *w.saved_mask);
  w.touched = malloc(w.cap_t * sizeof *w.touched);
  w.xu = malloc(ng1 * sizeof *w.xu);
  plan->v = malloc(h->nsandwiches * sizeof *plan->v);
  tsr_status st = TSR_OK;
  if (!c->extra || !w.frozen || !w.inner_used || !w.saved_mask || !w.touched || !w.xu || !plan->v) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto done;
  }
  int logging = c->logging;
  c->logging = 1;
  size_t mark0 = c->nlog;
  for (int sweep = 0; sweep < 2; sweep++) {
    size_t before = plan->n;
    for (size_t si = 0; si < h->nsandwiches; si++) {
      const struct tsr_sandwich *sw = &h->sandwiches[si];
      if (c->ehome[sw->before] != UINT32_MAX || c->ehome[sw->after] != UINT32_MAX) continue;
      int done = 0;
      for (size_t j = 0; j < plan->n && !done; j++) done = plan->v[j].sandwich == si;
      if (done) continue;
      if (try_embed(c, &w, si, UINT32_MAX, plan)) continue;
      uint32_t H = c->pi[sw->qubit];
      for (uint32_t to = 0; to < c->k; to++) {
        if (to == H || !(c->g->link_cost[H * c->k + to] > 0)) continue;
        if (try_embed(c, &w, si, to, plan)) break;
      }
    }
    if (plan->n == before) break;
  }
  if (probe) {
    /* the cost with the embeddings, then everything as it was */
    *probe = c->total - plan->saved_cost;
    for (size_t e = 0; e < c->np; e++) {
      if (!c->extra[e]) continue;
      c->extra[e] = 0;
      set_packet_mask(c, e, packet_mask_of(c, e));
    }
    rollback(c, mark0);
    free(c->extra);
    c->extra = NULL;
    free(plan->v);
    memset(plan, 0, sizeof *plan);
  } else {
    c->nlog = 0;
  }
  c->logging = logging;
  if (c->nomem) st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
done:
  free(w.frozen);
  free(w.inner_used);
  free(w.saved_mask);
  free(w.touched);
  free(w.xu);
  return st;
}

static tsr_status fill_result(pctx *c, tsr_partition *out, tsr_error *err) {
  memset(out, 0, sizeof *out);
  out->nqubits = c->n;
  out->nmodules = c->k;
  out->ngates = c->ng;
  out->module_of = malloc((c->n ? c->n : 1) * sizeof *out->module_of);
  out->gate_module = malloc((c->ng ? c->ng : 1) * sizeof *out->gate_module);
  if (!out->module_of || !out->gate_module) {
    tsr_partition_release(out);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  }
  memcpy(out->module_of, c->pi, c->n * sizeof *c->pi);
  memcpy(out->gate_module, c->loc, c->ng * sizeof *c->loc);
  for (size_t e = 0; e < c->np; e++) {
    uint32_t hh;
    out->cost += tree_cost(c, c->mask[e], &hh);
    out->ebits += hh;
    if (c->mask[e] != bit(home(c, e))) out->remote_packets++;
  }
  for (uint32_t q = 0; q < c->n; q++) {
    uint64_t hh;
    out->cost += excursion_cost(c, q, &hh);
    out->ebits += hh;
    out->teleport_ebits += hh;
  }
  out->npackets = c->np;
  out->packet_module = malloc((c->np ? c->np : 1) * sizeof *out->packet_module);
  if (!out->packet_module) {
    tsr_partition_release(out);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  }
  for (size_t e = 0; e < c->np; e++) out->packet_module[e] = home(c, e);
  for (size_t g = 0; g < c->ng; g++) {
    if (c->pi[c->h->gate_qubit[g][0]] != c->pi[c->h->gate_qubit[g][1]]) out->cut_gates++;
  }
  return TSR_OK;
}

/* ----------------------------------------------------------------- API */

void tsr_partition_options_default(tsr_partition_options *o) {
  o->seed = 1;
  o->restarts = 0;
  o->refine = 1;
  o->teleport = 1;
  o->embed = 1;
}

void tsr_partition_release(tsr_partition *p) {
  if (!p) return;
  free(p->embeds);
  p->embeds = NULL;
  p->nembeds = 0;
  free(p->module_of);
  free(p->gate_module);
  free(p->packet_module);
  p->module_of = NULL;
  p->gate_module = NULL;
  p->packet_module = NULL;
}

tsr_status tsr_partition_evaluate(const tsr_packet_graph *h, const tsr_module_graph *g,
                                  const uint32_t *module_of, tsr_partition *out, tsr_error *err) {
  if (!module_of || !out) return tsr_error_set(err, TSR_ERR_VALUE, "partition: NULL argument");
  pctx c;
  tsr_status st = ctx_init(&c, h, g, err);
  for (uint32_t q = 0; q < c.n && st == TSR_OK; q++) {
    if (module_of[q] >= c.k) {
      st = tsr_error_set(err, TSR_ERR_VALUE, "qubit %u placed on module %u of %u", q, module_of[q],
                         c.k);
    }
  }
  if (st == TSR_OK) {
    load_placement(&c, module_of);
    tsr_rng_seed(&c.rng, 1, 0x7061727469ull);
    st = optimise_gates(&c, ANNEAL_PER_GATE, err);
  }
  if (st == TSR_OK) st = fill_result(&c, out, err);
  if (st == TSR_OK) out->static_ebits = out->ebits;
  ctx_free(&c);
  return st;
}

static void load_state(pctx *c, const uint32_t *pi, const uint32_t *loc);
#define EXACT_CANDIDATES 6

/* Final descent with exact costs: the best few swap partners of every qubit
 * (ranked by single-move gains) are tried with the gate assignment
 * recomputed exactly; a swap is kept when the total drops. */
static tsr_status exact_swap_descent(pctx *c, double *dm, int max_passes, tsr_error *err) {
  uint32_t n = c->n, k = c->k;
  size_t n1 = n ? n : 1, ng1 = c->ng ? c->ng : 1;
  uint32_t *spi = malloc(n1 * sizeof *spi), *sloc = malloc(ng1 * sizeof *sloc);
  if (!spi || !sloc) {
    free(spi);
    free(sloc);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  }
  tsr_status st = TSR_OK;
  c->logging = 1;
  for (int pass = 0; pass < max_passes && st == TSR_OK; pass++) {
    int improved = 0;
    c->nlog = 0;
    for (uint32_t q = 0; q < n; q++)
      for (uint32_t b = 0; b < k; b++) dm[q * k + b] = b == c->pi[q] ? 0 : eval_move(c, q, b);
    for (uint32_t q = 0; q < n && st == TSR_OK; q++) {
      uint32_t cand[EXACT_CANDIDATES];
      int nc = swap_partners(c, q, dm, cand, EXACT_CANDIDATES);
      for (int x = 0; x < nc && st == TSR_OK; x++) {
        if (c->pi[cand[x]] == c->pi[q]) continue;
        double before = c->total;
        memcpy(spi, c->pi, n * sizeof *spi);
        memcpy(sloc, c->loc, c->ng * sizeof *sloc);
        apply_swap(c, q, cand[x]);
        c->nlog = 0;
        st = optimise_gates(c, 0, err);
        if (st != TSR_OK) break;
        if (c->total < before - GAIN_EPS) {
          improved = 1;
          for (uint32_t b = 0; b < k; b++) {
            dm[q * k + b] = b == c->pi[q] ? 0 : eval_move(c, q, b);
            dm[cand[x] * k + b] = b == c->pi[cand[x]] ? 0 : eval_move(c, cand[x], b);
          }
          break;
        }
        load_state(c, spi, sloc);
        c->logging = 1;
      }
    }
    if (!improved) break;
  }
  c->nlog = 0;
  free(spi);
  free(sloc);
  return st;
}

/* Placement refinement rounds: qubit moves and swaps alternating with the
 * gate assignment, while the total drops. */
static tsr_status refine(pctx *c, uint32_t *order, double *dm, tsr_error *err) {
  tsr_status st = TSR_OK;
  for (int round = 0; round < 8 && st == TSR_OK; round++) {
    double before = c->total;
    c->nlog = 0;
    improve_qubits(c, order, dm, 8);
    st = optimise_gates(c, 0, err);
    if (c->total > before - GAIN_EPS) break;
  }
  return st;
}

/* Keeps the current placement when it is the best so far: by its cost, or
 * with `embed`, by its cost after the embedding pass (probed and undone). */
static void keep_best(pctx *c, int embed, double *best_cost, uint32_t *best_pi,
                      uint32_t *best_loc) {
  double cost = c->total;
  if (embed) {
    embed_plan plan;
    if (embed_pass(c, &plan, &cost, NULL) != TSR_OK) cost = c->total;
  }
  if (cost < *best_cost - GAIN_EPS) {
    *best_cost = cost;
    memcpy(best_pi, c->pi, c->n * sizeof *best_pi);
    memcpy(best_loc, c->loc, c->ng * sizeof *best_loc);
  }
}

/* Restores a saved placement and gate assignment. */
static void load_state(pctx *c, const uint32_t *pi, const uint32_t *loc) {
  load_placement(c, pi);
  int was = c->logging;
  c->logging = 0;
  for (size_t g = 0; g < c->ng; g++) {
    uint32_t u = c->h->gate_qubit[g][0], v = c->h->gate_qubit[g][1];
    set_loc(c, g, loc[g]);
    c->side[g] = loc[g] == c->pi[u] ? 0 : loc[g] == c->pi[v] ? 1 : 2;
  }
  c->logging = was;
}

tsr_status tsr_partition_run(const tsr_packet_graph *h, const tsr_module_graph *g,
                             const tsr_partition_options *opts, tsr_partition *out,
                             tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "partition: NULL argument");
  memset(out, 0, sizeof *out);
  tsr_partition_options o;
  tsr_partition_options_default(&o);
  if (opts) o = *opts;
  pctx c;
  tsr_status st = ctx_init(&c, h, g, err);
  if (st != TSR_OK) {
    ctx_free(&c);
    return st;
  }
  if (o.restarts == 0) {
    /* effort from the instance size (a swap pass costs ~ gates x qubits):
       small circuits get many starts, the largest a few */
    double work = (double)c.ng * ((double)c.n + (c.k > 2 ? 100 : 0)) + 1;
    double r = AUTO_RESTART_WORK / work;
    o.restarts = r < 4 ? 4 : r > 64 ? 64 : (uint32_t)r;
  }
  if (tsr_module_graph_capacity(g) < c.n) {
    ctx_free(&c);
    return tsr_error_set(err, TSR_ERR_VALUE, "%u qubits do not fit in a capacity of %llu", c.n,
                         (unsigned long long)tsr_module_graph_capacity(g));
  }
  tsr_rng_seed(&c.rng, o.seed, 0x7061727469ull);
  size_t n1 = c.n ? c.n : 1, ng1 = c.ng ? c.ng : 1;
  uint32_t *pi = malloc(n1 * sizeof *pi), *best = malloc(n1 * sizeof *best);
  uint32_t *best_loc = malloc(ng1 * sizeof *best_loc);
  uint32_t *order = malloc(n1 * sizeof *order);
  double *dm = malloc(n1 * c.k * sizeof *dm);
  if (!pi || !best || !best_loc || !order || !dm) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto done;
  }
  for (uint32_t q = 0; q < c.n; q++) order[q] = q;
  double best_cost = INFINITY;
  uint64_t static_ebits = 0;
  double anneal = o.refine ? ANNEAL_PER_GATE : 0;
  for (uint32_t r = 0; r < o.restarts && st == TSR_OK; r++) {
    metis_placement(&c, o.seed * 7919 + r, (int)(r & 1), pi);
    load_placement(&c, pi);
    c.logging = 1;
    c.nlog = 0;
    repair_capacity(&c);
    st = optimise_gates(&c, 0, err);
    if (st == TSR_OK && o.refine) st = refine(&c, order, dm, err);
    if (st == TSR_OK) st = optimise_gates(&c, anneal, err);
    if (st == TSR_OK) keep_best(&c, o.embed, &best_cost, best, best_loc);
  }
  /* iterated local search around the best placement */
  if (st == TSR_OK && o.refine && c.n > 1 && c.k > 1) {
    uint32_t kicks = 2 * o.restarts;
    for (uint32_t it = 0; it < kicks && st == TSR_OK; it++) {
      load_state(&c, best, best_loc);
      c.logging = 1;
      c.nlog = 0;
      uint32_t nswaps = 2 + (uint32_t)tsr_rng_below(&c.rng, 3);
      for (uint32_t s2 = 0; s2 < nswaps; s2++) {
        uint32_t q = (uint32_t)tsr_rng_below(&c.rng, c.n),
                 r2 = (uint32_t)tsr_rng_below(&c.rng, c.n);
        if (c.pi[q] != c.pi[r2]) apply_swap(&c, q, r2);
      }
      c.nlog = 0;
      st = optimise_gates(&c, 0, err);
      if (st == TSR_OK) st = refine(&c, order, dm, err);
      if (st == TSR_OK) st = optimise_gates(&c, anneal, err);
      if (st == TSR_OK) keep_best(&c, o.embed, &best_cost, best, best_loc);
    }
  }
  if (st == TSR_OK && o.refine && c.n > 1 && c.k > 1) {
    /* exact polishing of the best placement (cheap enough on two modules,
       where the gate assignment is exact and fast) */
    load_state(&c, best, best_loc);
    if (c.k == 2) {
      st = exact_swap_descent(&c, dm, 32, err);
      if (st == TSR_OK) keep_best(&c, o.embed, &best_cost, best, best_loc);
    }
  }
  if (st == TSR_OK) {
    load_state(&c, best, best_loc);
    c.logging = 0;
    polish_gates(&c);
    static_ebits = 0;
    for (size_t e = 0; e < c.np; e++) {
      uint32_t hh;
      tree_cost(&c, c.mask[e], &hh);
      static_ebits += hh;
    }
    if (o.teleport && o.refine) st = optimise_teleports(&c, err);
  }
  embed_plan plan = {0};
  if (st == TSR_OK && o.embed && o.refine && c.k == 2 && h->nsandwiches) {
    /* the cover-chosen embeddings only where they beat the greedy pass */
    double plain = 0, covered = INFINITY;
    embed_plan probe;
    memcpy(best_loc, c.loc, c.ng * sizeof *best_loc);
    st = embed_pass(&c, &probe, &plain, err);
    if (st == TSR_OK) st = embed_cover_pass(&c, err);
    if (st == TSR_OK) st = embed_pass(&c, &probe, &covered, err);
    if (st == TSR_OK && !(covered < plain - GAIN_EPS)) {
      int was = c.logging;
      c.logging = 0;
      for (size_t g2 = 0; g2 < c.ng; g2++) set_loc(&c, g2, best_loc[g2]);
      c.logging = was;
    }
  }
  if (st == TSR_OK && o.embed) st = embed_pass(&c, &plan, NULL, err);
  if (st == TSR_OK && c.nomem) st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  if (st == TSR_OK) st = fill_result(&c, out, err);
  if (st == TSR_OK) {
    out->static_ebits = static_ebits;
    out->ebits -= plan.saved_hops;
    out->cost -= plan.saved_cost;
    out->embed_saved_ebits = plan.saved_hops;
    out->nembeds = plan.n;
    out->embeds = plan.v;
    plan.v = NULL;
  }
  free(plan.v);
done:
  free(pi);
  free(best);
  free(best_loc);
  free(order);
  free(dm);
  ctx_free(&c);
  return st;
}

tsr_status tsr_partition_circuit(const tsr_circuit *circ, const tsr_module_graph *g,
                                 const tsr_partition_options *opts, tsr_partition *out,
                                 tsr_error *err) {
  if (!circ || !out) return tsr_error_set(err, TSR_ERR_VALUE, "partition: NULL argument");
  memset(out, 0, sizeof *out);
  tsr_circuit *d = NULL, *s = NULL;
  tsr_packet_graph *h = NULL;
  tsr_status st = tsr__decompose_for_packets(circ, &d, err);
  if (st == TSR_OK) st = tsr_simplify(d, &s, NULL, err);
  if (st == TSR_OK) st = tsr_packet_graph_build(s, &h, err);
  if (st == TSR_OK) st = tsr_partition_run(h, g, opts, out, err);
  tsr_packet_graph_free(h);
  tsr_circuit_free(s);
  tsr_circuit_free(d);
  return st;
}
