/* Routing inside modules.
 *
 * Lattices (line, ring, grid, heavy-hex, star): SABRE-style swap insertion
 * (Li, Ding & Xie, ASPLOS 2019) in program order. Communication qubits stay
 * where they are (EPR pairs land on them), so swaps move data qubits only and
 * distances are shortest paths whose inner nodes are data positions. For a
 * gate whose operands are not adjacent, every candidate swap must shorten the
 * gate's own distance by one; among those the one with the smallest lookahead
 * cost (mean distance of the next 20 two-qubit gates of the module, weighted
 * by opt->lookahead_weight, times SABRE's decay) wins, so routing always
 * terminates. Two communication qubits that are not adjacent, or operands
 * that data positions cannot join, are brought together along a shortest
 * path and moved back after the gate ("bridge"). The initial placement puts
 * the data slots on the positions closest to the communication qubits.
 *
 * Reconfigurable arrays: a two-qubit gate whose atoms did not just interact
 * with each other first moves one atom to the other (an `id` with role
 * routing that lasts the module's move_time_s; metrics.moves).
 *
 * All-to-all modules (ions) need nothing. */
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

enum { RT_NONE = 0, RT_LATTICE, RT_RECONF };

#define LOOKAHEAD 20

typedef struct rmod {
  int kind;
  uint32_t n;                /* positions (= module qubits) */
  uint32_t cap;              /* data positions are those not pinned */
  uint32_t *adj_start, *adj; /* CSR neighbours */
  uint8_t *pinned;           /* communication positions */
  uint32_t *phys_of, *virt_at;
  uint32_t **row; /* restricted BFS rows, lazily */
  double *decay;
  int32_t *partner; /* reconfigurable: atom last joined with */
  size_t *two_q;    /* indices (into the input) of this module's 2q gates */
  size_t n2q, cap2q, cur2q;
} rmod;

typedef struct router {
  const tsr__machine *m;
  const tsr_compile_options *opt;
  const tsr__popvec *in;
  tsr__popvec *out;
  rmod *r;
  uint32_t *queue;
  uint32_t qcap;
  uint64_t swaps, moves;
  tsr_error *err;
} router;

static int is_adj(const rmod *r, uint32_t a, uint32_t b) {
  for (uint32_t k = r->adj_start[a]; k < r->adj_start[a + 1]; k++)
    if (r->adj[k] == b) return 1;
  return 0;
}

/* Distances from src where inner nodes are not pinned (src itself may be). */
static const uint32_t *row_of(router *R, rmod *r, uint32_t src) {
  if (r->row[src]) return r->row[src];
  uint32_t *d = malloc((size_t)r->n * sizeof *d);
  if (!d) return NULL;
  for (uint32_t i = 0; i < r->n; i++) d[i] = UINT32_MAX;
  uint32_t head = 0, tail = 0;
  d[src] = 0;
  R->queue[tail++] = src;
  while (head < tail) {
    uint32_t u = R->queue[head++];
    if (u != src && r->pinned[u]) continue; /* an end, not a way through */
    for (uint32_t k = r->adj_start[u]; k < r->adj_start[u + 1]; k++) {
      uint32_t v = r->adj[k];
      if (d[v] != UINT32_MAX) continue;
      d[v] = d[u] + 1;
      R->queue[tail++] = v;
    }
  }
  r->row[src] = d;
  return d;
}

/* A swap made for a gate: it carries the gate's source operation (src). */
static tsr_status push_swap(router *R, rmod *r, uint32_t mod, uint32_t pa, uint32_t pb,
                            int64_t src) {
  const tsr__mod *md = &R->m->mods[mod];
  tsr__pop op = tsr__pop_blank(TSR_PROG_ROUTING, TSR_GATE_SWAP, (int32_t)mod);
  op.src = src;
  op.nq = 2;
  op.q[0] = md->first + pa;
  op.q[1] = md->first + pb;
  uint32_t va = r->virt_at[pa], vb = r->virt_at[pb];
  r->virt_at[pa] = vb;
  r->virt_at[pb] = va;
  r->phys_of[va] = pb;
  r->phys_of[vb] = pa;
  r->decay[pa] += 0.001;
  r->decay[pb] += 0.001;
  R->swaps++;
  return tsr__popvec_push(R->out, &op, R->err);
}

/* Shortest path pa -> pb over every position (bridge); path[0] = pa. */
static uint32_t full_path(router *R, rmod *r, uint32_t pa, uint32_t pb, uint32_t *path) {
  uint32_t *prev = malloc((size_t)r->n * sizeof *prev);
  if (!prev) return 0;
  for (uint32_t i = 0; i < r->n; i++) prev[i] = UINT32_MAX;
  uint32_t head = 0, tail = 0;
  prev[pa] = pa;
  R->queue[tail++] = pa;
  while (head < tail && prev[pb] == UINT32_MAX) {
    uint32_t u = R->queue[head++];
    for (uint32_t k = r->adj_start[u]; k < r->adj_start[u + 1]; k++) {
      uint32_t v = r->adj[k];
      if (prev[v] != UINT32_MAX) continue;
      prev[v] = u;
      R->queue[tail++] = v;
    }
  }
  uint32_t len = 0;
  if (prev[pb] != UINT32_MAX) {
    for (uint32_t v = pb; v != pa; v = prev[v]) len++;
    len++;
    uint32_t k = len;
    for (uint32_t v = pb;; v = prev[v]) {
      path[--k] = v;
      if (v == pa) break;
    }
  }
  free(prev);
  return len;
}

static double lookahead_cost(router *R, rmod *r, uint32_t mod, uint32_t sa, uint32_t sb) {
  /* Mean restricted distance of the next gates, with positions sa, sb swapped. */
  double sum = 0;
  uint32_t cnt = 0;
  const tsr__mod *md = &R->m->mods[mod];
  for (size_t k = r->cur2q + 1; k < r->n2q && cnt < LOOKAHEAD; k++) {
    const tsr__pop *op = &R->in->v[r->two_q[k]];
    uint32_t p[2];
    for (int j = 0; j < 2; j++) {
      uint32_t x = r->phys_of[op->q[j] - md->first];
      if (x == sa)
        x = sb;
      else if (x == sb)
        x = sa;
      p[j] = x;
    }
    const uint32_t *row = row_of(R, r, p[0]);
    if (!row) return 0;
    uint32_t dd = row[p[1]];
    sum += dd == UINT32_MAX ? (double)r->n : (double)dd;
    cnt++;
  }
  return cnt ? sum / cnt : 0.0;
}

/* Makes the operands of two-qubit op adjacent. *written is set when the
 * gate itself was already written (bridged). */
static tsr_status route_gate(router *R, uint32_t mod, const tsr__pop *op, int *written) {
  rmod *r = &R->r[mod];
  const tsr__mod *md = &R->m->mods[mod];
  uint32_t va = op->q[0] - md->first, vb = op->q[1] - md->first;
  tsr_status st = TSR_OK;
  *written = 0;
  for (;;) {
    uint32_t pa = r->phys_of[va], pb = r->phys_of[vb];
    if (is_adj(r, pa, pb)) break;
    const uint32_t *row = row_of(R, r, pa);
    if (!row) return tsr_error_set(R->err, TSR_ERR_NOMEM, "out of memory");
    uint32_t cur = row[pb];
    int best_x = -1, best_y = -1;
    double best = 0;
    if (cur != UINT32_MAX && !(r->pinned[pa] && r->pinned[pb])) {
      for (int side = 0; side < 2; side++) {
        uint32_t x = side ? pb : pa, other = side ? pa : pb;
        if (r->pinned[x]) continue;
        for (uint32_t k = r->adj_start[x]; k < r->adj_start[x + 1]; k++) {
          uint32_t y = r->adj[k];
          if (r->pinned[y] || y == other) continue;
          const uint32_t *ry = row_of(R, r, y);
          if (!ry) return tsr_error_set(R->err, TSR_ERR_NOMEM, "out of memory");
          if (ry[other] == UINT32_MAX || ry[other] + 1 != cur) continue;
          double dec = r->decay[x] > r->decay[y] ? r->decay[x] : r->decay[y];
          double score = dec * (1.0 + R->opt->lookahead_weight * lookahead_cost(R, r, mod, x, y));
          if (best_x < 0 || score < best - 1e-12) {
            best = score;
            best_x = (int)x;
            best_y = (int)y;
          }
        }
      }
    }
    if (best_x >= 0) {
      if ((st = push_swap(R, r, mod, (uint32_t)best_x, (uint32_t)best_y, op->src)) != TSR_OK)
        return st;
      continue;
    }
    /* Bridge: move a's content along a shortest path next to b, run the gate,
     * move it back. */
    uint32_t *path = malloc((size_t)r->n * sizeof *path);
    if (!path) return tsr_error_set(R->err, TSR_ERR_NOMEM, "out of memory");
    uint32_t len = full_path(R, r, pa, pb, path);
    if (len < 2) {
      free(path);
      return tsr_error_set(R->err, TSR_ERR_VALUE, "module '%s': qubits %u and %u are not connected",
                           md->name, pa, pb);
    }
    for (uint32_t k = 0; k + 2 < len && st == TSR_OK; k++)
      st = push_swap(R, r, mod, path[k], path[k + 1], op->src);
    tsr__pop g = *op;
    g.q[0] = md->first + r->phys_of[va];
    g.q[1] = md->first + r->phys_of[vb];
    if (st == TSR_OK) st = tsr__popvec_push(R->out, &g, R->err);
    for (uint32_t k = len >= 2 ? len - 2 : 0; k-- > 0 && st == TSR_OK;)
      st = push_swap(R, r, mod, path[k], path[k + 1], op->src);
    free(path);
    for (uint32_t i = 0; i < r->n; i++) r->decay[i] = 1.0;
    *written = 1;
    return st;
  }
  for (uint32_t i = 0; i < r->n; i++) r->decay[i] = 1.0;
  return TSR_OK;
}

static tsr_status setup_module(router *R, uint32_t mod) {
  rmod *r = &R->r[mod];
  const tsr__mod *md = &R->m->mods[mod];
  r->n = md->qubits;
  r->cap = md->capacity;
  r->kind = RT_NONE;
  if (!R->opt->route || md->qubits < 2) return TSR_OK;
  tsr_topology t = md->params->connectivity.kind;
  if (t == TSR_TOPOLOGY_ALL_TO_ALL) return TSR_OK;
  r->phys_of = malloc((size_t)r->n * sizeof *r->phys_of);
  r->virt_at = malloc((size_t)r->n * sizeof *r->virt_at);
  if (!r->phys_of || !r->virt_at) return tsr_error_set(R->err, TSR_ERR_NOMEM, "out of memory");
  for (uint32_t i = 0; i < r->n; i++) r->phys_of[i] = r->virt_at[i] = i;
  if (t == TSR_TOPOLOGY_RECONFIGURABLE) {
    r->kind = RT_RECONF;
    r->partner = malloc((size_t)r->n * sizeof *r->partner);
    if (!r->partner) return tsr_error_set(R->err, TSR_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < r->n; i++) r->partner[i] = -1;
    return TSR_OK;
  }
  r->kind = RT_LATTICE;
  tsr_edge *edges = NULL;
  size_t ne = 0;
  tsr_status st =
      tsr_connectivity_edges(&md->params->connectivity, md->qubits, &edges, &ne, R->err);
  if (st != TSR_OK) {
    tsr_error_prefix(R->err, "module '%s'", md->name);
    return st;
  }
  r->adj_start = calloc((size_t)r->n + 1, sizeof *r->adj_start);
  r->adj = malloc((2 * ne + 1) * sizeof *r->adj);
  r->pinned = calloc(r->n, 1);
  r->row = calloc(r->n, sizeof *r->row);
  r->decay = malloc((size_t)r->n * sizeof *r->decay);
  if (!r->adj_start || !r->adj || !r->pinned || !r->row || !r->decay) {
    free(edges);
    return tsr_error_set(R->err, TSR_ERR_NOMEM, "out of memory");
  }
  for (size_t e = 0; e < ne; e++) {
    r->adj_start[edges[e].a + 1]++;
    r->adj_start[edges[e].b + 1]++;
  }
  for (uint32_t i = 0; i < r->n; i++) r->adj_start[i + 1] += r->adj_start[i];
  uint32_t *fill = malloc((size_t)r->n * sizeof *fill);
  if (!fill) {
    free(edges);
    return tsr_error_set(R->err, TSR_ERR_NOMEM, "out of memory");
  }
  memcpy(fill, r->adj_start, (size_t)r->n * sizeof *fill);
  for (size_t e = 0; e < ne; e++) {
    r->adj[fill[edges[e].a]++] = edges[e].b;
    r->adj[fill[edges[e].b]++] = edges[e].a;
  }
  free(fill);
  free(edges);
  for (uint32_t i = 0; i < r->n; i++) r->decay[i] = 1.0;
  for (uint32_t i = md->capacity; i < r->n; i++) r->pinned[i] = 1;
  /* Initial map: data slots on the data positions nearest the communication
   * qubits (multi-source BFS from them). */
  uint32_t *seen = calloc(r->n, sizeof *seen);
  if (!seen) return tsr_error_set(R->err, TSR_ERR_NOMEM, "out of memory");
  uint32_t head = 0, tail = 0, next_slot = 0;
  for (uint32_t i = md->capacity; i < r->n; i++) {
    seen[i] = 1;
    R->queue[tail++] = i;
  }
  while (head < tail) {
    uint32_t u = R->queue[head++];
    if (!r->pinned[u] && next_slot < md->capacity) {
      r->phys_of[next_slot] = u;
      r->virt_at[u] = next_slot;
      next_slot++;
    }
    for (uint32_t k = r->adj_start[u]; k < r->adj_start[u + 1]; k++) {
      uint32_t v = r->adj[k];
      if (!seen[v]) {
        seen[v] = 1;
        R->queue[tail++] = v;
      }
    }
  }
  for (uint32_t u = 0; u < md->capacity && next_slot < md->capacity; u++) {
    if (!seen[u]) {
      r->phys_of[next_slot] = u;
      r->virt_at[u] = next_slot;
      next_slot++;
    }
  }
  free(seen);
  return TSR_OK;
}

static void release_module(rmod *r) {
  free(r->adj_start);
  free(r->adj);
  free(r->pinned);
  free(r->phys_of);
  free(r->virt_at);
  if (r->row)
    for (uint32_t i = 0; i < r->n; i++) free(r->row[i]);
  free(r->row);
  free(r->decay);
  free(r->partner);
  free(r->two_q);
}

static uint32_t map_qubit(const router *R, uint32_t q) {
  uint32_t mod = tsr__machine_module_of(R->m, q);
  const rmod *r = &R->r[mod];
  if (r->kind == RT_NONE) return q;
  const tsr__mod *md = &R->m->mods[mod];
  return md->first + r->phys_of[q - md->first];
}

tsr_status tsr__route(const tsr__machine *m, const tsr_compile_options *opt, const tsr__popvec *in,
                      tsr__popvec *out, uint32_t *phys_initial, uint32_t *phys_final,
                      uint64_t *swaps, uint64_t *moves, tsr_error *err) {
  router R;
  memset(&R, 0, sizeof R);
  R.m = m;
  R.opt = opt;
  R.in = in;
  R.out = out;
  R.err = err;
  tsr_status st = TSR_OK;
  uint32_t maxq = 1;
  for (uint32_t i = 0; i < m->n; i++)
    if (m->mods[i].qubits > maxq) maxq = m->mods[i].qubits;
  R.r = tsr_calloc(m->n, sizeof *R.r, err);
  R.queue = tsr_malloc((size_t)maxq * sizeof *R.queue, err);
  if (!R.r || !R.queue) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (uint32_t i = 0; i < m->n && st == TSR_OK; i++) st = setup_module(&R, i);
  if (st != TSR_OK) goto out;
  /* Each lattice module's two-qubit gates, for the lookahead. */
  for (size_t i = 0; i < in->n; i++) {
    const tsr__pop *op = &in->v[i];
    if (op->nq != 2 || op->kind == TSR_GATE_NONE || op->module < 0) continue;
    rmod *r = &R.r[op->module];
    if (r->kind != RT_LATTICE) continue;
    if (r->n2q == r->cap2q) {
      size_t cap = r->cap2q ? 2 * r->cap2q : 16;
      size_t *g = tsr_realloc(r->two_q, cap, sizeof *g, err);
      if (!g) {
        st = TSR_ERR_NOMEM;
        goto out;
      }
      r->two_q = g;
      r->cap2q = cap;
    }
    r->two_q[r->n2q++] = i;
  }
  for (uint32_t q = 0; q < m->nqubits; q++) phys_initial[q] = map_qubit(&R, q);
  for (size_t i = 0; i < in->n && st == TSR_OK; i++) {
    const tsr__pop *op = &in->v[i];
    int gate2 = op->nq == 2 && op->kind != TSR_GATE_NONE && op->module >= 0;
    if (gate2 && R.r[op->module].kind == RT_LATTICE) {
      rmod *r = &R.r[op->module];
      int written = 0;
      st = route_gate(&R, (uint32_t)op->module, op, &written);
      if (r->cur2q < r->n2q && r->two_q[r->cur2q] == i) r->cur2q++;
      if (st != TSR_OK) break;
      if (written) continue;
    } else if (gate2 && R.r[op->module].kind == RT_RECONF) {
      rmod *r = &R.r[op->module];
      const tsr__mod *md = &m->mods[op->module];
      uint32_t a = op->q[0] - md->first, b = op->q[1] - md->first;
      if (r->partner[a] != (int32_t)b || r->partner[b] != (int32_t)a) {
        tsr__pop mv = tsr__pop_blank(TSR_PROG_ROUTING, TSR_GATE_ID, op->module);
        mv.nq = 1;
        mv.q[0] = map_qubit(&R, op->q[0]);
        mv.move = 1;
        mv.src = op->src; /* the gate the move makes possible */
        if ((st = tsr__popvec_push(out, &mv, err)) != TSR_OK) break;
        R.moves++;
        if (r->partner[a] >= 0) r->partner[r->partner[a]] = -1;
        if (r->partner[b] >= 0) r->partner[r->partner[b]] = -1;
        r->partner[a] = (int32_t)b;
        r->partner[b] = (int32_t)a;
      }
    }
    tsr__pop o = *op;
    for (uint32_t k = 0; k < o.nq; k++) o.q[k] = map_qubit(&R, op->q[k]);
    st = tsr__popvec_push(out, &o, err);
  }
  if (st == TSR_OK)
    for (uint32_t q = 0; q < m->nqubits; q++) phys_final[q] = map_qubit(&R, q);
  *swaps = R.swaps;
  *moves = R.moves;
out:
  for (uint32_t i = 0; R.r && i < m->n; i++) release_module(&R.r[i]);
  free(R.r);
  free(R.queue);
  return st;
}
