/* The network protocol on the event engine: generation, swap-asap,
 * purification to a target fidelity, cutoffs and delivery along one path.
 *
 * State. The path has H links and H + 1 nodes (positions 0..H). Link h has
 * two memory pools: side 0 at node h (that node's "right" pool) and side 1
 * at node h + 1 (its "left" pool). A slot is free, reserved by a generation
 * process that is attempting, or holds a qubit. A qubit belongs to a
 * segment: an entangled pair between positions lpos < rpos, whose two ends
 * sit in the right pool of lpos and the left pool of rpos; nodes strictly
 * between them have measured their qubits already (swaps). A segment keeps
 * its Bell-diagonal state at time t_state; its two stored qubits decohere
 * from then on with their nodes' T1/T2 (tsr_bell_decohere), applied lazily
 * whenever the state is needed.
 *
 * Generation. A process per link (or per free slot pair) reserves a slot on
 * each side and samples the number of attempts K to the next herald
 * (geometric with p_attempt), so the herald is one event at now + K T/duty;
 * the heralded state already includes the memories' wait for the herald
 * (tsr_link_evaluate). With per_attempt every attempt is an event.
 *
 * Swap-asap. Whenever an intermediate node holds a qubit in both pools it
 * swaps the oldest of each (Bell-state measurement with its gate and readout
 * errors, tsr_bell_swap): the two segments become one and both slots are
 * freed at once. In the Pauli frame a node need not wait for other swaps;
 * the end nodes can use the pair when every swap's outcome has reached them
 * (op time + fibre delay), which ready_l / ready_r track.
 *
 * Delivery and purification. A segment spanning 0..H is delivered when both
 * ends know its frame. With a target fidelity it is first purified with
 * later pairs (pumping: the kept pair with each fresh one; recurrence: two
 * pairs of the same round count), the outcomes taking the op time and the
 * one-way fibre delay between the ends; a failed round discards both. A
 * pair that cannot improve further (a round would not raise its fidelity,
 * max_purify_rounds reached, or the end memories are full of waiting pairs)
 * is delivered as it is and counted below target.
 *
 * Cutoff. A segment is discarded, and its memories freed, when its oldest
 * elementary pair is cutoff_s old. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_internal.h"

enum { SLOT_FREE = -1, SLOT_RESERVED = -2 };

typedef struct pool {
  uint32_t cap;
  uint32_t n_held;  /* slots holding a qubit */
  uint32_t n_stack; /* free slots (on the stack) */
  int32_t *slot;    /* segment index, SLOT_FREE or SLOT_RESERVED */
  tsr_time *since;  /* when the held qubit arrived (swap order) */
  uint32_t *stack;  /* free slot indices */
} pool;

typedef struct pnode {
  uint32_t module;
  tsr_coherence mem;
  int mem_ideal;
  tsr_local_noise noise;
  tsr_time op;   /* Bell-state measurement: 2q gate + readout */
  tsr_time dist; /* classical delay from position 0 along the path */
  uint32_t slots, busy, peak;
  double busy_integral; /* busy slots x picoseconds */
  tsr_time last;
} pnode;

typedef struct plink {
  pool side[2];
  double p;
  tsr_time period; /* attempt period / duty cycle */
  tsr_bell state;  /* heralded pair */
  uint32_t active, max_active;
  int dead; /* can never herald again (p 0, or past the end of time) */
} plink;

typedef struct seg {
  uint32_t version; /* bumped when the index is freed: stale events see it */
  uint8_t alive, limbo;
  uint16_t level; /* successful purification rounds */
  int32_t lpos, rpos;
  uint32_t lslot, rslot;
  int32_t next_free;
  tsr_bell state;
  tsr_time t_state, ready_l, ready_r, oldest, deadline;
  uint64_t n_elem;
} seg;

typedef struct ref {
  int32_t id;
  uint32_t version;
} ref;

typedef struct sim {
  const tsr_net *net;
  const tsr_net_config *cfg;
  tsr_engine *eng;
  tsr_rng *rng;
  tsr_error *err;
  size_t H;
  pnode *node;
  plink *link;
  seg *segs;
  size_t cap_segs;
  int32_t free_seg;
  int has_cutoff;
  tsr_time cutoff;
  double target;
  int perfect_ops;
  tsr_local_noise end_noise;
  tsr_time end_latency; /* purification round: op time + one-way delay between the ends */
  uint32_t end_capacity;
  /* purification */
  ref kept;       /* pumping: the pair being pumped */
  int pump_limbo; /* pumping: a round's outcome is on its way */
  ref *queue;     /* pumping: fresh pairs waiting while a round is in limbo */
  size_t q_head, q_len, q_cap;
  ref *levels; /* recurrence: a waiting pair per round count */
  uint64_t goal;
  tsr_net_result *res;
  double sum_f, sum_f2, sum_age;
  size_t rec_cap;
} sim;

/* ---------------------------------------------------------------- pools */

static tsr_status pool_init(pool *p, uint32_t cap, tsr_error *err) {
  p->cap = cap;
  p->n_held = 0;
  p->n_stack = cap;
  p->slot = tsr_malloc(cap * sizeof *p->slot, err);
  p->since = tsr_malloc(cap * sizeof *p->since, err);
  p->stack = tsr_malloc(cap * sizeof *p->stack, err);
  if (!p->slot || !p->since || !p->stack) return TSR_ERR_NOMEM;
  for (uint32_t i = 0; i < cap; i++) {
    p->slot[i] = SLOT_FREE;
    p->since[i] = 0;
    p->stack[i] = cap - 1 - i; /* slot 0 is taken first */
  }
  return TSR_OK;
}

static void pool_free(pool *p) {
  free(p->slot);
  free(p->since);
  free(p->stack);
}

static uint32_t pool_reserve(pool *p) {
  uint32_t i = p->stack[--p->n_stack];
  p->slot[i] = SLOT_RESERVED;
  return i;
}

static void pool_fill(pool *p, uint32_t i, int32_t id, tsr_time t) {
  p->slot[i] = id;
  p->since[i] = t;
  p->n_held++;
}

static void pool_release(pool *p, uint32_t i) {
  if (p->slot[i] >= 0) p->n_held--;
  p->slot[i] = SLOT_FREE;
  p->stack[p->n_stack++] = i;
}

/* The held slot whose qubit arrived first (ties: lower index). */
static uint32_t pool_oldest(const pool *p) {
  uint32_t best = UINT32_MAX;
  for (uint32_t i = 0; i < p->cap; i++) {
    if (p->slot[i] < 0) continue;
    if (best == UINT32_MAX || p->since[i] < p->since[best]) best = i;
  }
  return best;
}

/* ---------------------------------------------------------------- helpers */

static tsr_time now(const sim *s) {
  return tsr_engine_now(s->eng);
}

/* a + b for non-negative times, saturating at the end of representable time. */
static tsr_time tadd(tsr_time a, tsr_time b) {
  return b > TSR_TIME_MAX - a ? TSR_TIME_MAX : a + b;
}

static void node_busy(sim *s, size_t pos, int delta) {
  pnode *n = &s->node[pos];
  tsr_time t = now(s);
  n->busy_integral += (double)n->busy * (double)(t - n->last);
  n->last = t;
  n->busy = (uint32_t)((int)n->busy + delta);
  if (n->busy > n->peak) n->peak = n->busy;
}

static int ref_valid(const sim *s, ref r) {
  return r.id >= 0 && (size_t)r.id < s->cap_segs && s->segs[r.id].alive &&
         s->segs[r.id].version == r.version;
}

static ref ref_of(const sim *s, int32_t id) {
  ref r = {id, s->segs[id].version};
  return r;
}

static const ref NO_REF = {-1, 0};

static int32_t seg_alloc(sim *s) {
  int32_t id = s->free_seg; /* the pool is sized so that this never runs out */
  seg *g = &s->segs[id];
  s->free_seg = g->next_free;
  uint32_t v = g->version;
  memset(g, 0, sizeof *g);
  g->version = v;
  g->alive = 1;
  g->next_free = -1;
  return id;
}

static void seg_release(sim *s, int32_t id) {
  seg *g = &s->segs[id];
  g->alive = 0;
  g->limbo = 0;
  g->version++;
  g->next_free = s->free_seg;
  s->free_seg = id;
}

/* Brings a segment's state to time t: its two stored qubits decohere. */
static tsr_status seg_advance(sim *s, seg *g, tsr_time t) {
  if (t <= g->t_state) return TSR_OK;
  const pnode *a = &s->node[g->lpos], *b = &s->node[g->rpos];
  if (!(a->mem_ideal && b->mem_ideal)) {
    double dt = tsr_time_to_seconds(t - g->t_state);
    g->state = tsr__net_bell_store(&g->state, a->mem_ideal ? NULL : &a->mem, dt,
                                   b->mem_ideal ? NULL : &b->mem, dt);
  }
  g->t_state = t;
  return TSR_OK;
}

/* Frees a segment's two end slots and the segment; restarts generation on
 * the two links that gained a slot. */
static tsr_status link_start(sim *s, size_t h);

static tsr_status seg_drop(sim *s, int32_t id) {
  seg *g = &s->segs[id];
  int32_t l = g->lpos, r = g->rpos;
  pool_release(&s->link[l].side[0], g->lslot);
  node_busy(s, (size_t)l, -1);
  pool_release(&s->link[r - 1].side[1], g->rslot);
  node_busy(s, (size_t)r, -1);
  seg_release(s, id);
  tsr_status st = link_start(s, (size_t)l);
  if (st == TSR_OK && (size_t)(r - 1) != (size_t)l) st = link_start(s, (size_t)(r - 1));
  return st;
}

static tsr_status schedule(sim *s, tsr_time at, tsr_event_fn fn, uint64_t a, uint64_t b) {
  return tsr_engine_schedule(s->eng, at, fn, s, tsr_event_u64(a, b), NULL, s->err);
}

static void check_event_limit(sim *s) {
  if (s->cfg->max_events && tsr_engine_fired(s->eng) >= s->cfg->max_events) {
    s->res->truncated = 1;
    tsr_engine_stop(s->eng);
  }
}

/* At the start of a callback: 1 when the event limit was passed (the run
 * stops; this event's work is not done). */
static int past_event_limit(sim *s) {
  if (s->cfg->max_events && tsr_engine_fired(s->eng) > s->cfg->max_events) {
    s->res->truncated = 1;
    tsr_engine_stop(s->eng);
    return 1;
  }
  return 0;
}

/* ---------------------------------------------------------------- events */

static tsr_status ev_gen(tsr_engine *e, void *user, tsr_event_data d);
static tsr_status ev_cutoff(tsr_engine *e, void *user, tsr_event_data d);
static tsr_status ev_deliver(tsr_engine *e, void *user, tsr_event_data d);
static tsr_status ev_resolve(tsr_engine *e, void *user, tsr_event_data d);

static tsr_status link_start(sim *s, size_t h) {
  plink *L = &s->link[h];
  while (!L->dead && L->active < L->max_active && L->side[0].n_stack > 0 &&
         L->side[1].n_stack > 0) {
    tsr_time delay;
    if (!(L->p > 0)) {
      L->dead = 1;
      break;
    }
    if (s->cfg->per_attempt) {
      delay = L->period;
    } else {
      uint64_t k = tsr_rng_geometric(s->rng, L->p);
      if (k == UINT64_MAX || (double)k * (double)L->period >= (double)(TSR_TIME_MAX - now(s))) {
        L->dead = 1; /* the next herald lies beyond the end of representable time */
        break;
      }
      delay = (tsr_time)k * L->period;
      s->res->attempts += k;
    }
    if (delay > TSR_TIME_MAX - now(s)) {
      L->dead = 1;
      break;
    }
    uint32_t a = pool_reserve(&L->side[0]);
    node_busy(s, h, +1);
    uint32_t b = pool_reserve(&L->side[1]);
    node_busy(s, h + 1, +1);
    L->active++;
    tsr_status st = schedule(s, now(s) + delay, ev_gen, h, (uint64_t)a | ((uint64_t)b << 32));
    if (st) return st;
  }
  return TSR_OK;
}

static tsr_status schedule_cutoff(sim *s, int32_t id) {
  seg *g = &s->segs[id];
  if (!s->has_cutoff || g->deadline == TSR_TIME_NEVER) return TSR_OK;
  tsr_time at = g->deadline > now(s) ? g->deadline : now(s);
  return schedule(s, at, ev_cutoff, (uint64_t)id, g->version);
}

static tsr_status schedule_delivery(sim *s, int32_t id) {
  seg *g = &s->segs[id];
  tsr_time at = g->ready_l > g->ready_r ? g->ready_l : g->ready_r;
  if (at < now(s)) at = now(s);
  return schedule(s, at, ev_deliver, (uint64_t)id, g->version);
}

/* Swaps at intermediate position j while it holds qubits on both sides. */
static tsr_status try_swap(sim *s, size_t j) {
  pool *lp = &s->link[j - 1].side[1], *rp = &s->link[j].side[0];
  const pnode *nj = &s->node[j];
  while (lp->n_held > 0 && rp->n_held > 0) {
    uint32_t ls = pool_oldest(lp), rs = pool_oldest(rp);
    int32_t lid = lp->slot[ls], rid = rp->slot[rs];
    seg *L = &s->segs[lid], *R = &s->segs[rid];
    tsr_time t = now(s);
    tsr_status st = seg_advance(s, L, t);
    if (st == TSR_OK) st = seg_advance(s, R, t);
    tsr_bell out;
    if (st == TSR_OK)
      st = tsr_bell_swap(&L->state, &R->state, s->perfect_ops ? NULL : &nj->noise, &out, s->err);
    if (st) return st;
    tsr__net_bell_normalise(&out);
    pool_release(lp, ls);
    pool_release(rp, rs);
    node_busy(s, j, -2);
    tsr_time msg = tadd(t, nj->op);
    const pnode *left = &s->node[L->lpos], *right = &s->node[R->rpos];
    tsr_time rl = tadd(msg, nj->dist - left->dist), rr = tadd(msg, right->dist - nj->dist);
    L->ready_l = L->ready_l > rl ? L->ready_l : rl;
    L->ready_r = R->ready_r > rr ? R->ready_r : rr;
    L->rpos = R->rpos;
    L->rslot = R->rslot;
    L->state = out;
    L->t_state = t;
    if (R->oldest < L->oldest) L->oldest = R->oldest;
    L->n_elem += R->n_elem;
    int earlier = R->deadline < L->deadline;
    if (earlier) L->deadline = R->deadline;
    s->link[L->rpos - 1].side[1].slot[L->rslot] = lid; /* R's far qubit now belongs to L */
    seg_release(s, rid);
    s->res->swaps++;
    if (earlier && (st = schedule_cutoff(s, lid))) return st;
    if (L->lpos == 0 && (size_t)L->rpos == s->H && (st = schedule_delivery(s, lid))) return st;
    if ((st = link_start(s, j - 1)) || (st = link_start(s, j))) return st;
  }
  return TSR_OK;
}

static tsr_status ev_gen(tsr_engine *e, void *user, tsr_event_data d) {
  sim *s = user;
  if (past_event_limit(s)) return TSR_OK;
  size_t h = (size_t)d.u64[0];
  uint32_t a = (uint32_t)d.u64[1], b = (uint32_t)(d.u64[1] >> 32);
  plink *L = &s->link[h];
  tsr_status st;
  if (s->cfg->per_attempt) {
    s->res->attempts++;
    if (!(tsr_rng_uniform(s->rng) < L->p)) {
      if (L->period > TSR_TIME_MAX - now(s)) return TSR_OK; /* the end of time */
      st = tsr_engine_schedule_in(e, L->period, ev_gen, s, d, NULL, s->err);
      check_event_limit(s);
      return st;
    }
  }
  L->active--;
  int32_t id = seg_alloc(s);
  seg *g = &s->segs[id];
  tsr_time t = now(s);
  g->lpos = (int32_t)h;
  g->rpos = (int32_t)h + 1;
  g->lslot = a;
  g->rslot = b;
  g->state = L->state;
  g->t_state = g->ready_l = g->ready_r = g->oldest = t;
  g->deadline = s->has_cutoff && s->cutoff < TSR_TIME_MAX - t ? t + s->cutoff : TSR_TIME_NEVER;
  g->n_elem = 1;
  pool_fill(&L->side[0], a, id, t);
  pool_fill(&L->side[1], b, id, t);
  s->res->elementary_pairs++;
  if ((st = schedule_cutoff(s, id))) return st;
  if (s->H == 1) {
    if ((st = schedule_delivery(s, id))) return st;
  } else {
    if (h > 0 && (st = try_swap(s, h))) return st;
    if (h + 1 < s->H && (st = try_swap(s, h + 1))) return st;
  }
  st = link_start(s, h);
  check_event_limit(s);
  return st;
}

static tsr_status ev_cutoff(tsr_engine *e, void *user, tsr_event_data d) {
  (void)e;
  sim *s = user;
  if (past_event_limit(s)) return TSR_OK;
  ref r = {(int32_t)d.u64[0], (uint32_t)d.u64[1]};
  if (!ref_valid(s, r) || now(s) < s->segs[r.id].deadline) return TSR_OK;
  s->res->discarded++;
  tsr_status st = seg_drop(s, r.id);
  check_event_limit(s);
  return st;
}

/* ---------------------------------------------------------------- delivery */

static tsr_status deliver(sim *s, int32_t id) {
  seg *g = &s->segs[id];
  tsr_net_result *res = s->res;
  if (s->goal && res->pairs >= s->goal) return seg_drop(s, id); /* the request is met */
  double f = g->state.p[0];
  double age = tsr_time_to_seconds(now(s) - g->oldest);
  if (res->n_deliveries < s->cfg->max_records) {
    if (res->n_deliveries == s->rec_cap) {
      size_t cap = s->rec_cap ? 2 * s->rec_cap : 1024;
      if (cap > s->cfg->max_records) cap = s->cfg->max_records;
      tsr_net_delivery *grown = tsr_realloc(res->deliveries, cap, sizeof *grown, s->err);
      if (!grown) return TSR_ERR_NOMEM;
      res->deliveries = grown;
      s->rec_cap = cap;
    }
    tsr_net_delivery *dv = &res->deliveries[res->n_deliveries++];
    memset(dv, 0, sizeof *dv);
    dv->time_s = tsr_time_to_seconds(now(s));
    dv->age_s = age;
    dv->state = g->state;
    dv->fidelity = f;
    dv->purify_rounds = g->level;
    dv->elementary = g->n_elem;
  }
  res->pairs++;
  s->sum_f += f;
  s->sum_f2 += f * f;
  s->sum_age += age;
  if (res->pairs == 1 || f < res->min_fidelity) res->min_fidelity = f;
  if (res->pairs == 1 || f > res->max_fidelity) res->max_fidelity = f;
  if (s->target > 0 && f < s->target) res->below_target++;
  tsr_status st = seg_drop(s, id);
  if (s->goal && res->pairs >= s->goal) tsr_engine_stop(s->eng);
  return st;
}

static size_t waiting_count(const sim *s) {
  size_t n = 0;
  if (s->cfg->purify_partner == TSR_PURIFY_PUMP) {
    if (ref_valid(s, s->kept) && !s->segs[s->kept.id].limbo) n++;
    for (size_t i = 0; i < s->q_len; i++)
      if (ref_valid(s, s->queue[(s->q_head + i) % s->q_cap])) n++;
  } else {
    for (uint32_t l = 0; l <= s->cfg->max_purify_rounds; l++)
      if (ref_valid(s, s->levels[l])) n++;
  }
  return n;
}

/* When every end memory holds a pair waiting for purification, no fresh
 * pair can be made: deliver the best waiting pair as it is. */
static tsr_status check_capacity(sim *s) {
  while (waiting_count(s) >= s->end_capacity) {
    ref *best = NULL;
    tsr_status st;
    if (s->cfg->purify_partner == TSR_PURIFY_PUMP) {
      if (ref_valid(s, s->kept) && !s->segs[s->kept.id].limbo) best = &s->kept;
      for (size_t i = 0; i < s->q_len; i++) {
        ref *r = &s->queue[(s->q_head + i) % s->q_cap];
        if (!ref_valid(s, *r)) continue;
        if (!best || s->segs[r->id].state.p[0] > s->segs[best->id].state.p[0]) best = r;
      }
    } else {
      for (uint32_t l = 0; l <= s->cfg->max_purify_rounds; l++) {
        ref *r = &s->levels[l];
        if (!ref_valid(s, *r)) continue;
        if ((st = seg_advance(s, &s->segs[r->id], now(s)))) return st;
        if (!best || s->segs[r->id].state.p[0] > s->segs[best->id].state.p[0]) best = r;
      }
    }
    if (!best) break;
    int32_t id = best->id;
    *best = NO_REF;
    if ((st = seg_advance(s, &s->segs[id], now(s))) || (st = deliver(s, id))) return st;
  }
  return TSR_OK;
}

static tsr_status queue_push(sim *s, ref r) {
  if (s->q_len == s->q_cap) {
    size_t cap = s->q_cap ? 2 * s->q_cap : 16;
    ref *q = tsr_malloc(cap * sizeof *q, s->err);
    if (!q) return TSR_ERR_NOMEM;
    for (size_t i = 0; i < s->q_len; i++) q[i] = s->queue[(s->q_head + i) % s->q_cap];
    free(s->queue);
    s->queue = q;
    s->q_cap = cap;
    s->q_head = 0;
  }
  s->queue[(s->q_head + s->q_len) % s->q_cap] = r;
  s->q_len++;
  return TSR_OK;
}

static tsr_status handle_e2e(sim *s, int32_t id);

/* One purification round: keep (control) and sacrifice (target), both at
 * now. Returns 1 in *started when the round began; 0 when it would not
 * raise keep's fidelity (nothing changed then). */
static tsr_status purify_round(sim *s, int32_t keep, int32_t sacrifice, int *started) {
  seg *k = &s->segs[keep], *f = &s->segs[sacrifice];
  tsr_bell out;
  double ps = 0;
  *started = 0;
  tsr_status st = tsr_purify(s->cfg->purify_protocol, &k->state, &f->state,
                             s->perfect_ops ? NULL : &s->end_noise, &out, &ps, s->err);
  if (st) return st;
  double best_in = k->state.p[0] > f->state.p[0] ? k->state.p[0] : f->state.p[0];
  if (!(ps > 0) || !(out.p[0] > best_in + 1e-12)) return TSR_OK;
  tsr__net_bell_normalise(&out);
  *started = 1;
  s->res->purifications++;
  k->n_elem += f->n_elem;
  if (f->oldest < k->oldest) k->oldest = f->oldest;
  if ((st = seg_drop(s, sacrifice))) return st;
  k = &s->segs[keep];
  int success = tsr_rng_uniform(s->rng) < ps;
  if (success) {
    k->state = out;
    k->t_state = now(s);
    k->level++;
  }
  k->limbo = 1;
  tsr_time at = tadd(now(s), s->end_latency);
  return schedule(s, at, ev_resolve, (uint64_t)keep,
                  (uint64_t)k->version | ((uint64_t)success << 32));
}

static tsr_status pump_arrive(sim *s, int32_t id) {
  tsr_status st;
  if (s->pump_limbo) {
    if ((st = queue_push(s, ref_of(s, id)))) return st;
    return check_capacity(s);
  }
  if (!ref_valid(s, s->kept)) {
    s->kept = ref_of(s, id);
    return check_capacity(s);
  }
  int32_t k = s->kept.id;
  if ((st = seg_advance(s, &s->segs[k], now(s)))) return st;
  /* The better pair is kept; the other is sacrificed. */
  int32_t keep = k, sac = id;
  if (s->segs[id].state.p[0] > s->segs[k].state.p[0]) {
    keep = id;
    sac = k;
  }
  int started = 0;
  if ((st = purify_round(s, keep, sac, &started))) return st;
  if (started) {
    s->kept = ref_of(s, keep);
    s->pump_limbo = 1;
    return TSR_OK;
  }
  /* No gain: the better pair goes out as it is, the other is kept. */
  s->kept = ref_of(s, sac);
  if ((st = deliver(s, keep))) return st;
  return check_capacity(s);
}

static tsr_status recur_arrive(sim *s, int32_t id) {
  seg *g = &s->segs[id];
  uint32_t l = g->level;
  if (l >= s->cfg->max_purify_rounds) return deliver(s, id);
  ref *slot = &s->levels[l];
  if (!ref_valid(s, *slot)) {
    *slot = ref_of(s, id);
    return check_capacity(s);
  }
  int32_t other = slot->id;
  *slot = NO_REF;
  tsr_status st = seg_advance(s, &s->segs[other], now(s));
  if (st) return st;
  int32_t keep = other, sac = id;
  if (s->segs[id].state.p[0] > s->segs[other].state.p[0]) {
    keep = id;
    sac = other;
  }
  int started = 0;
  if ((st = purify_round(s, keep, sac, &started))) return st;
  if (started) return TSR_OK;
  s->levels[l] = ref_of(s, sac);
  if ((st = deliver(s, keep))) return st;
  return check_capacity(s);
}

/* An end-to-end pair whose frame both ends know, its state at now. */
static tsr_status handle_e2e(sim *s, int32_t id) {
  if (!(s->target > 0) || s->segs[id].state.p[0] >= s->target) return deliver(s, id);
  if (s->cfg->purify_partner == TSR_PURIFY_PUMP) return pump_arrive(s, id);
  return recur_arrive(s, id);
}

static tsr_status ev_deliver(tsr_engine *e, void *user, tsr_event_data d) {
  (void)e;
  sim *s = user;
  if (past_event_limit(s)) return TSR_OK;
  ref r = {(int32_t)d.u64[0], (uint32_t)d.u64[1]};
  if (!ref_valid(s, r)) return TSR_OK;
  tsr_status st = seg_advance(s, &s->segs[r.id], now(s));
  if (st == TSR_OK) st = handle_e2e(s, r.id);
  check_event_limit(s);
  return st;
}

static tsr_status drain_queue(sim *s) {
  tsr_status st = TSR_OK;
  while (st == TSR_OK && !s->pump_limbo && s->q_len > 0) {
    ref r = s->queue[s->q_head];
    s->q_head = (s->q_head + 1) % s->q_cap;
    s->q_len--;
    if (!ref_valid(s, r)) continue;
    st = seg_advance(s, &s->segs[r.id], now(s));
    if (st == TSR_OK) st = handle_e2e(s, r.id);
  }
  return st;
}

static tsr_status ev_resolve(tsr_engine *e, void *user, tsr_event_data d) {
  (void)e;
  sim *s = user;
  if (past_event_limit(s)) return TSR_OK;
  ref r = {(int32_t)d.u64[0], (uint32_t)d.u64[1]};
  int success = (int)(d.u64[1] >> 32);
  int pump = s->cfg->purify_partner == TSR_PURIFY_PUMP;
  tsr_status st = TSR_OK;
  if (pump) s->pump_limbo = 0;
  if (!ref_valid(s, r)) { /* cut off while the outcomes were on their way */
    if (pump) s->kept = NO_REF;
  } else {
    seg *g = &s->segs[r.id];
    g->limbo = 0;
    if (!success) {
      s->res->purification_failures++;
      if (pump) s->kept = NO_REF;
      st = seg_drop(s, r.id);
    } else if ((st = seg_advance(s, g, now(s))) == TSR_OK) {
      if (g->state.p[0] >= s->target || g->level >= s->cfg->max_purify_rounds) {
        if (pump) s->kept = NO_REF;
        st = deliver(s, r.id);
      } else if (pump) {
        st = check_capacity(s);
      } else {
        st = recur_arrive(s, r.id);
      }
    }
  }
  if (st == TSR_OK && pump) st = drain_queue(s);
  check_event_limit(s);
  return st;
}

/* ---------------------------------------------------------------- setup */

static tsr_status check_config(const tsr_net_config *c, tsr_error *err) {
  if (!c) return tsr_error_set(err, TSR_ERR_VALUE, "net: no configuration");
  if ((unsigned)c->route >= TSR_NET_ROUTE_COUNT)
    return tsr_error_set(err, TSR_ERR_VALUE, "net: unknown route cost %d", (int)c->route);
  if (c->generation != TSR_NET_GEN_PER_LINK && c->generation != TSR_NET_GEN_PER_MEMORY)
    return tsr_error_set(err, TSR_ERR_VALUE, "net: unknown generation mode %d", (int)c->generation);
  if (!(c->cutoff_s > 0))
    return tsr_error_set(err, TSR_ERR_VALUE, "net: cutoff %g s must be positive (INFINITY: none)",
                         c->cutoff_s);
  if (!(c->target_fidelity >= 0 && c->target_fidelity <= 1))
    return tsr_error_set(err, TSR_ERR_VALUE, "net: target fidelity %g is outside [0, 1]",
                         c->target_fidelity);
  if (c->purify_protocol != TSR_PURIFY_BBPSSW && c->purify_protocol != TSR_PURIFY_DEJMPS)
    return tsr_error_set(err, TSR_ERR_VALUE, "net: unknown purification protocol");
  if (c->purify_partner != TSR_PURIFY_PUMP && c->purify_partner != TSR_PURIFY_RECURRENCE)
    return tsr_error_set(err, TSR_ERR_VALUE, "net: unknown purification scheme");
  if (c->max_purify_rounds > 64)
    return tsr_error_set(err, TSR_ERR_VALUE, "net: at most 64 purification rounds (got %u)",
                         (unsigned)c->max_purify_rounds);
  if (c->memories_per_link > 1000000)
    return tsr_error_set(err, TSR_ERR_LIMIT, "net: %u memories per link is more than 10^6",
                         (unsigned)c->memories_per_link);
  return TSR_OK;
}

static tsr_status to_ps(double seconds, tsr_time *out, tsr_error *err) {
  if (isinf(seconds) && seconds > 0) {
    *out = TSR_TIME_NEVER;
    return TSR_OK;
  }
  if (seconds > 9.2e6) {
    *out = TSR_TIME_NEVER;
    return TSR_OK;
  }
  return tsr_time_from_seconds(seconds, out, err);
}

static void sim_free(sim *s) {
  if (s->link)
    for (size_t h = 0; h < s->H; h++) {
      pool_free(&s->link[h].side[0]);
      pool_free(&s->link[h].side[1]);
    }
  free(s->link);
  free(s->node);
  free(s->segs);
  free(s->queue);
  free(s->levels);
  tsr_engine_free(s->eng);
}

static tsr_status sim_setup(sim *s, const tsr_net *net, const tsr_net_path *path,
                            const tsr_net_config *cfg, tsr_error *err) {
  const tsr_arch *a = net->arch;
  size_t H = path->n_hops;
  s->H = H;
  s->node = tsr_calloc(H + 1, sizeof *s->node, err);
  s->link = tsr_calloc(H, sizeof *s->link, err);
  if (!s->node || !s->link) return TSR_ERR_NOMEM;
  tsr_status st;
  tsr_time dist = 0;
  for (size_t j = 0; j <= H; j++) {
    pnode *n = &s->node[j];
    if (path->nodes[j] >= a->n_modules)
      return tsr_error_set(err, TSR_ERR_VALUE, "path node %zu is not a module", j);
    const tsr_module_params *mp = &a->modules[path->nodes[j]].params;
    n->module = path->nodes[j];
    n->mem = mp->communication_coherence;
    n->mem_ideal = isinf(n->mem.t1_s) && isinf(n->mem.t2_s);
    n->noise = tsr__net_module_noise(mp);
    if ((st = to_ps(tsr__net_module_op_time(mp), &n->op, err))) return st;
    if (n->op == TSR_TIME_NEVER) n->op = 0;
    n->dist = dist;
    if (j < H) {
      if (path->links[j] >= a->n_links)
        return tsr_error_set(err, TSR_ERR_VALUE, "path link %zu does not exist", j);
      const tsr_link *l = &a->links[path->links[j]];
      uint32_t m0 = l->ends[0].module, m1 = l->ends[1].module;
      if (!((m0 == path->nodes[j] && m1 == path->nodes[j + 1]) ||
            (m1 == path->nodes[j] && m0 == path->nodes[j + 1])))
        return tsr_error_set(err, TSR_ERR_VALUE, "path link %zu does not join nodes %zu and %zu", j,
                             j, j + 1);
      tsr_time d;
      if ((st = to_ps(tsr_link_fibre_delay(l->length_m, 0), &d, err))) return st;
      if (d == TSR_TIME_NEVER || d > TSR_TIME_MAX / 4 - dist)
        return tsr_error_set(err, TSR_ERR_LIMIT, "path: fibre delay beyond representable time");
      dist += d;
    }
  }
  /* Memory slots per link side. */
  uint64_t total_slots = 0;
  for (size_t h = 0; h < H; h++) {
    plink *L = &s->link[h];
    const tsr_link_performance *perf = &net->perf[path->links[h]];
    for (int side = 0; side < 2; side++) {
      size_t j = h + (size_t)side;
      uint32_t cap = cfg->memories_per_link;
      if (cap == 0) {
        uint32_t q = a->modules[s->node[j].module].params.communication_qubits;
        if (q < 1) q = 1;
        int links_here = (j == 0 || j == H) ? 1 : 2;
        if (links_here == 1) {
          cap = q;
        } else {
          uint32_t left = (q / 2) ? q / 2 : 1, right = (q - q / 2) ? q - q / 2 : 1;
          cap = side == 1 ? left : right; /* side 1 is node j's left pool */
        }
      }
      if ((st = pool_init(&L->side[side], cap, err))) return st;
      s->node[j].slots += cap;
      total_slots += cap;
    }
    L->p = perf->p_attempt;
    L->state = perf->state;
    double period = perf->attempt_period_s / perf->duty_cycle;
    if ((st = to_ps(period, &L->period, err))) return st;
    if (L->period < 1) L->period = 1;
    if (L->period == TSR_TIME_NEVER) L->dead = 1;
    L->max_active = cfg->generation == TSR_NET_GEN_PER_MEMORY
                        ? (L->side[0].cap < L->side[1].cap ? L->side[0].cap : L->side[1].cap)
                        : 1;
  }
  if (total_slots > ((uint64_t)1 << 30))
    return tsr_error_set(err, TSR_ERR_LIMIT, "net: %llu memory slots on the path is too many",
                         (unsigned long long)total_slots);
  /* Every live segment holds two slots, so this many never runs out. */
  s->cap_segs = (size_t)(total_slots / 2 + 2);
  s->segs = tsr_calloc(s->cap_segs, sizeof *s->segs, err);
  if (!s->segs) return TSR_ERR_NOMEM;
  for (size_t i = 0; i < s->cap_segs; i++)
    s->segs[i].next_free = i + 1 < s->cap_segs ? (int32_t)(i + 1) : -1;
  s->free_seg = 0;
  /* Cutoff, purification. */
  s->has_cutoff = isfinite(cfg->cutoff_s);
  if (s->has_cutoff) {
    if ((st = to_ps(cfg->cutoff_s, &s->cutoff, err))) return st;
    if (s->cutoff == TSR_TIME_NEVER) s->has_cutoff = 0;
    if (s->cutoff < 1) s->cutoff = 1;
  }
  s->target = cfg->target_fidelity;
  s->perfect_ops = cfg->perfect_operations;
  const pnode *n0 = &s->node[0], *nh = &s->node[H];
  s->end_noise.gate_error = fmax(n0->noise.gate_error, nh->noise.gate_error);
  s->end_noise.meas_error = fmax(n0->noise.meas_error, nh->noise.meas_error);
  s->end_latency = (n0->op > nh->op ? n0->op : nh->op) + nh->dist;
  uint32_t c0 = s->link[0].side[0].cap, c1 = s->link[H - 1].side[1].cap;
  s->end_capacity = c0 < c1 ? c0 : c1;
  s->kept = NO_REF;
  s->levels = tsr_malloc((cfg->max_purify_rounds + 1) * sizeof *s->levels, err);
  if (!s->levels) return TSR_ERR_NOMEM;
  for (uint32_t l = 0; l <= cfg->max_purify_rounds; l++) s->levels[l] = NO_REF;
  return TSR_OK;
}

/* ---------------------------------------------------------------- run */

tsr_status tsr_net_run_path(const tsr_net *net, const tsr_net_path *path,
                            const tsr_net_request *req, const tsr_net_config *cfg,
                            tsr_net_result *out, tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "net: no result to fill");
  memset(out, 0, sizeof *out);
  if (!net || !path || !req)
    return tsr_error_set(err, TSR_ERR_VALUE, "net: no network, path or request");
  tsr_status st = check_config(cfg, err);
  if (st) return st;
  if (path->n_hops < 1 || !path->nodes || !path->links)
    return tsr_error_set(err, TSR_ERR_VALUE, "net: the path has no links");
  if (req->pairs == 0 && !(req->duration_s > 0))
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "net: ask for a number of pairs or a duration (both are 0)");
  if (!(req->duration_s >= 0))
    return tsr_error_set(err, TSR_ERR_VALUE, "net: duration %g s must be >= 0", req->duration_s);
  for (size_t h = 0; h < path->n_hops; h++)
    if (path->links[h] >= net->n_links)
      return tsr_error_set(err, TSR_ERR_VALUE, "path link %zu does not exist", h);
  {
    const tsr_arch *a = net->arch;
    unsigned char *seen = tsr_calloc(a->n_modules ? a->n_modules : 1, 1, err);
    if (!seen) return TSR_ERR_NOMEM;
    for (size_t j = 0; j <= path->n_hops && st == TSR_OK; j++) {
      uint32_t m = path->nodes[j];
      if (m >= a->n_modules)
        st = tsr_error_set(err, TSR_ERR_VALUE, "path node %zu is not a module", j);
      else if (seen[m]++)
        st = tsr_error_set(err, TSR_ERR_VALUE, "path visits '%s' twice", a->modules[m].name);
    }
    free(seen);
    if (st) return st;
  }

  sim s;
  memset(&s, 0, sizeof s);
  s.net = net;
  s.cfg = cfg;
  s.err = err;
  s.res = out;
  s.goal = req->pairs;
  /* The result's own copy of the path. */
  out->path.n_hops = path->n_hops;
  out->path.cost = path->cost;
  out->path.nodes = tsr_malloc((path->n_hops + 1) * sizeof *out->path.nodes, err);
  out->path.links = tsr_malloc(path->n_hops * sizeof *out->path.links, err);
  if (!out->path.nodes || !out->path.links) {
    tsr_net_result_free(out);
    return TSR_ERR_NOMEM;
  }
  memcpy(out->path.nodes, path->nodes, (path->n_hops + 1) * sizeof *path->nodes);
  memcpy(out->path.links, path->links, path->n_hops * sizeof *path->links);

  if ((st = sim_setup(&s, net, path, cfg, err)) ||
      (st = tsr_engine_new(&s.eng, cfg->seed, 0, err))) {
    sim_free(&s);
    tsr_net_result_free(out);
    return st;
  }
  s.rng = tsr_engine_rng(s.eng);
  tsr_time until = TSR_TIME_NEVER;
  if (req->duration_s > 0 && (st = to_ps(req->duration_s, &until, err))) {
    sim_free(&s);
    tsr_net_result_free(out);
    return st;
  }
  double wall0 = tsr_wall_seconds();
  /* Every link starts attempting at time 0. */
  for (size_t h = 0; h < s.H && st == TSR_OK; h++) st = link_start(&s, h);
  if (st == TSR_OK) {
    if (until == TSR_TIME_NEVER)
      st = tsr_engine_run(s.eng, err);
    else
      st = tsr_engine_run_until(s.eng, until, err);
  }
  out->wall_s = tsr_wall_seconds() - wall0;
  if (st) {
    sim_free(&s);
    tsr_net_result_free(out);
    return st;
  }
  /* The clock stands at the last event (goal met, stalled, truncated) or at
   * the end of the requested duration. */
  tsr_time end = tsr_engine_now(s.eng);
  int goal_met = s.goal && out->pairs >= s.goal;
  if (!goal_met && !out->truncated && tsr_engine_pending(s.eng) == 0) out->stalled = 1;
  out->events = tsr_engine_fired(s.eng);
  out->sim_time_s = tsr_time_to_seconds(end);
  out->rate_hz = out->sim_time_s > 0 ? (double)out->pairs / out->sim_time_s : 0.0;
  if (out->pairs > 0) {
    double n = (double)out->pairs;
    out->mean_fidelity = s.sum_f / n;
    double var = s.sum_f2 / n - out->mean_fidelity * out->mean_fidelity;
    out->std_fidelity = var > 0 ? sqrt(var) : 0.0;
    out->mean_age_s = s.sum_age / n;
  } else {
    out->mean_fidelity = out->std_fidelity = out->min_fidelity = out->max_fidelity = NAN;
    out->mean_age_s = NAN;
  }
  out->usage = tsr_calloc(s.H + 1, sizeof *out->usage, err);
  if (!out->usage) {
    sim_free(&s);
    tsr_net_result_free(out);
    return TSR_ERR_NOMEM;
  }
  out->n_usage = s.H + 1;
  for (size_t j = 0; j <= s.H; j++) {
    pnode *n = &s.node[j];
    double integral = n->busy_integral + (double)n->busy * (double)(end - n->last);
    out->usage[j].module = n->module;
    out->usage[j].slots = n->slots;
    out->usage[j].peak = n->peak;
    out->usage[j].mean = end > 0 ? integral / (double)end : 0.0;
  }
  sim_free(&s);
  return TSR_OK;
}

tsr_status tsr_net_run(const tsr_net *net, const tsr_net_request *req, const tsr_net_config *cfg,
                       tsr_net_result *out, tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "net: no result to fill");
  memset(out, 0, sizeof *out);
  if (!net || !req || !cfg) return tsr_error_set(err, TSR_ERR_VALUE, "net: missing argument");
  tsr_net_path path;
  tsr_status st = tsr_net_route(net, req->src, req->dst, cfg->route, &path, err);
  if (st) return st;
  st = tsr_net_run_path(net, &path, req, cfg, out, err);
  tsr_net_path_free(&path);
  return st;
}

void tsr_net_result_free(tsr_net_result *r) {
  if (!r) return;
  tsr_net_path_free(&r->path);
  free(r->deliveries);
  free(r->usage);
  memset(r, 0, sizeof *r);
}
