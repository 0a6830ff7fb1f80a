/* Preparing a program for execution on a machine: modules and links matched
 * by name, each module's noise channels, each program link's route through
 * the machine (net layer routing, link layer performance per hop), the
 * qubits the program touches, and the dependency graph of the operations:
 * per qubit in program order, classical bits resolved to the measurement
 * that wrote them and the message that brought them to the module reading
 * them, and EPR generations in order on each channel of every arch link
 * of their routes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"

static tsr_status to_time(double s, tsr_time *t, const char *what, tsr_error *err) {
  tsr_status st = tsr_time_from_seconds(s, t, err);
  if (st != TSR_OK) tsr_error_prefix(err, "%s", what);
  return st;
}

/* -------------------------------------------------------------- modules */

/* Depolarizing probability (Qiskit's convention, rho -> (1-p) rho + p I/d)
 * with average gate fidelity f on k qubits: p = d (1 - f) / (d - 1). */
static double depol_p(double f, unsigned k) {
  double d = (double)(1u << k);
  double p = d * (1.0 - f) / (d - 1.0);
  double pmax = d * d / (d * d - 1.0);
  if (!(p > 0)) return 0.0;
  return p > pmax ? pmax : p;
}

static tsr_status setup_module(tsr_exec *x, uint32_t m, tsr_error *err) {
  const tsr_program_module *pm = &x->p->modules[m];
  int64_t ai = tsr_arch_find_module(x->arch, pm->name);
  if (ai < 0) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "program module '%s' is not a module of machine '%s' (compiled for '%s'?)",
                         pm->name, x->arch->name, x->p->machine[0] ? x->p->machine : "?");
  }
  const tsr_module *am = &x->arch->modules[ai];
  const tsr_module_params *mp = &am->params;
  if (pm->qubits > mp->qubits || pm->communication_qubits > mp->communication_qubits) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "program module '%s' has %u qubits (%u communication) but the machine's "
                         "has %u (%u)",
                         pm->name, pm->qubits, pm->communication_qubits, mp->qubits,
                         mp->communication_qubits);
  }
  xmodule *xm = &x->mods[m];
  xm->arch_index = (size_t)ai;
  xm->am = am;
  xm->modality = mp->modality;
  xm->first = pm->first_qubit;
  xm->nqubits = pm->qubits;
  xm->comm_first = pm->first_qubit + pm->qubits - pm->communication_qubits;
  xm->data = mp->coherence;
  xm->comm = mp->communication_coherence;
  double p1 = depol_p(mp->gate_1q.fidelity, 1), p2 = depol_p(mp->gate_2q.fidelity, 2);
  xm->e1 = p1 * 3.0 / 4.0;
  xm->e2 = p2 * 15.0 / 16.0;
  if (p1 > 0 && !(xm->dep1 = tsr_channel_depolarizing(1, p1, err))) return err->status;
  if (p2 > 0 && !(xm->dep2 = tsr_channel_depolarizing(2, p2, err))) return err->status;
  xm->p_readout = 1.0 - mp->readout.fidelity;
  xm->p_reset = 1.0 - mp->reset.fidelity;
  if (!(xm->p_readout > 0)) xm->p_readout = 0;
  if (!(xm->p_reset > 0)) xm->p_reset = 0;
  tsr_status st;
  if ((st = to_time(mp->gate_1q.duration_s, &xm->dur1, "1q gate duration", err)) ||
      (st = to_time(mp->gate_2q.duration_s, &xm->dur2, "2q gate duration", err)) ||
      (st = to_time(mp->readout.duration_s, &xm->dur_measure, "readout duration", err)) ||
      (st = to_time(mp->reset.duration_s, &xm->dur_reset, "reset duration", err)))
    return st;
  return TSR_OK;
}

static int finite_coherence(const tsr_coherence *c) {
  return isfinite(c->t1_s) || isfinite(c->t2_s);
}

/* ---------------------------------------------------------------- links */

static void append_path(char *buf, size_t size, const char *name) {
  size_t len = strlen(buf);
  if (len + 1 >= size) return;
  snprintf(buf + len, size - len, "%s%s", len ? " > " : "", name);
}

static double path_length(const tsr_arch *a, const tsr_net_path *path, size_t from, size_t to) {
  double len = 0;
  for (size_t h = from; h < to; h++) len += a->links[path->links[h]].length_m;
  return len;
}

static tsr_status setup_link(tsr_exec *x, uint32_t l, tsr_error *err) {
  const tsr_program_link *pl = &x->p->links[l];
  xlink *xl = &x->links[l];
  const xmodule *ma = &x->mods[pl->module_a], *mb = &x->mods[pl->module_b];
  xl->end[0] = ma->comm;
  xl->end[1] = mb->comm;
  tsr_net_path path;
  tsr_status st = tsr_net_route(x->net, (uint32_t)ma->arch_index, (uint32_t)mb->arch_index,
                                TSR_NET_ROUTE_LATENCY, &path, err);
  if (st != TSR_OK) {
    /* Not fatal yet: an override may replace it, and a link without EPR
       operations needs none. Checked again when an EPR operation uses it. */
    xl->nhops = 0;
    snprintf(xl->path, sizeof xl->path, "no route (%.200s)", err ? err->message : "?");
    tsr_error_clear(err);
    return TSR_OK;
  }
  xl->nhops = (uint32_t)path.n_hops;
  xl->hops = tsr_calloc(path.n_hops, sizeof *xl->hops, err);
  xl->swap_noise = tsr_calloc(path.n_hops, sizeof *xl->swap_noise, err);
  if (!xl->hops || !xl->swap_noise) {
    tsr_net_path_free(&path);
    return TSR_ERR_NOMEM;
  }
  const tsr_arch *a = x->arch;
  for (size_t h = 0; h <= path.n_hops; h++)
    append_path(xl->path, sizeof xl->path, a->modules[path.nodes[h]].name);
  double swap_time = 0, msg = 0;
  for (size_t h = 0; h < path.n_hops; h++) {
    xhop *hop = &xl->hops[h];
    hop->arch_link = path.links[h];
    hop->perf = *tsr_net_link_performance(x->net, path.links[h]);
    hop->mem[0] = a->modules[path.nodes[h]].params.communication_coherence;
    hop->mem[1] = a->modules[path.nodes[h + 1]].params.communication_coherence;
    if (h == 0) hop->mem[0] = ma->comm;
    if (h + 1 == path.n_hops) hop->mem[1] = mb->comm;
    if (h > 0) {
      /* The swap at node h: its gate and readout (as the net layer models
         them), then the outcomes travel to both ends. */
      const tsr_module_params *np = &a->modules[path.nodes[h]].params;
      double g = 4.0 / 3.0 * (1.0 - np->gate_2q.fidelity), me = 1.0 - np->readout.fidelity;
      xl->swap_noise[h - 1].gate_error = g > 0 ? (g < 1 ? g : 1) : 0;
      xl->swap_noise[h - 1].meas_error = me > 0 ? (me < 0.5 ? me : 0.5) : 0;
      double t = np->gate_2q.duration_s + np->readout.duration_s;
      if (isfinite(t) && t > swap_time) swap_time = t;
      double to_a = tsr_fibre_delay(path_length(a, &path, 0, h));
      double to_b = tsr_fibre_delay(path_length(a, &path, h, path.n_hops));
      if (to_a > msg) msg = to_a;
      if (to_b > msg) msg = to_b;
    }
  }
  xl->finish_s = path.n_hops > 1 ? swap_time + msg : 0.0;
  tsr_net_path_free(&path);
  return TSR_OK;
}

static tsr_status message_delays(tsr_exec *x, tsr_error *err) {
  uint32_t n = x->nmods;
  x->msg_delay = tsr_malloc((size_t)n * n * sizeof *x->msg_delay + 1, err);
  if (!x->msg_delay) return TSR_ERR_NOMEM;
  for (uint32_t i = 0; i < n; i++) {
    for (uint32_t j = 0; j < n; j++) {
      tsr_time *d = &x->msg_delay[(size_t)i * n + j];
      *d = i == j ? 0 : -1;
      if (i == j || x->mods[i].arch_index == x->mods[j].arch_index) {
        *d = 0;
        continue;
      }
      tsr_net_path path;
      tsr_error ignore;
      if (tsr_net_route(x->net, (uint32_t)x->mods[i].arch_index, (uint32_t)x->mods[j].arch_index,
                        TSR_NET_ROUTE_HOPS, &path, &ignore) != TSR_OK)
        continue;
      double s = tsr_fibre_delay(path_length(x->arch, &path, 0, path.n_hops));
      tsr_net_path_free(&path);
      tsr_status st = to_time(s, d, "message delay", err);
      if (st != TSR_OK) return st;
    }
  }
  return TSR_OK;
}

static tsr_status need_delay(const tsr_exec *x, uint32_t from, uint32_t to, tsr_time *d, size_t op,
                             tsr_error *err) {
  *d = x->msg_delay[(size_t)from * x->nmods + to];
  if (*d >= 0) return TSR_OK;
  return tsr_error_set(err, TSR_ERR_VALUE,
                       "operation %zu: machine '%s' has no fibre between '%s' and '%s' for a "
                       "classical message",
                       op, x->arch->name, x->p->modules[from].name, x->p->modules[to].name);
}

/* -------------------------------------------------------- qubit mapping */

static tsr_status map_qubits(tsr_exec *x, uint32_t **map_out, tsr_error *err) {
  const tsr_program *p = x->p;
  uint32_t *map = tsr_malloc(((size_t)p->nqubits + 1) * sizeof *map, err);
  if (!map) return TSR_ERR_NOMEM;
  for (uint32_t q = 0; q < p->nqubits; q++) map[q] = UINT32_MAX;
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *op = &p->ops[i];
    if (op->role == TSR_PROG_MESSAGE) continue;
    for (uint32_t k = 0; k < op->nqubits; k++) map[op->qubits[k]] = 0;
  }
  for (uint32_t q = 0; q < p->nlogical; q++) {
    map[p->initial_placement[q]] = 0;
    map[p->final_placement[q]] = 0;
  }
  uint32_t n = 0;
  for (uint32_t q = 0; q < p->nqubits; q++)
    if (map[q] == 0) map[q] = n++;
  x->nsim = n;
  x->sim_to_prog = tsr_malloc(((size_t)n + 1) * sizeof *x->sim_to_prog, err);
  x->sim_module = tsr_malloc(((size_t)n + 1) * sizeof *x->sim_module, err);
  x->sim_comm = tsr_calloc((size_t)n + 1, 1, err);
  x->final_sim = tsr_malloc(((size_t)p->nlogical + 1) * sizeof *x->final_sim, err);
  if (!x->sim_to_prog || !x->sim_module || !x->sim_comm || !x->final_sim) {
    free(map);
    return TSR_ERR_NOMEM;
  }
  for (uint32_t q = 0; q < p->nqubits; q++) {
    if (map[q] == UINT32_MAX) continue;
    x->sim_to_prog[map[q]] = q;
    int32_t m = tsr_program_module_of(p, q);
    x->sim_module[map[q]] = m;
    x->sim_comm[map[q]] = m >= 0 && q >= x->mods[m].comm_first;
  }
  x->nlogical = p->nlogical;
  for (uint32_t q = 0; q < p->nlogical; q++) x->final_sim[q] = map[p->final_placement[q]];
  *map_out = map; /* build_ops maps the operations' qubits with it */
  return TSR_OK;
}

/* ------------------------------------------------------------ the graph */

typedef struct edge_buf {
  xedge *e;
  size_t n, cap;
} edge_buf;

static tsr_status push_edge_kind(edge_buf *b, size_t start, uint32_t op, int network,
                                 int link_order, tsr_time delay, tsr_error *err) {
  for (size_t i = start; i < b->n; i++) {
    if (b->e[i].op == op) {
      if (delay > b->e[i].delay) {
        b->e[i].delay = delay;
        b->e[i].network = (uint16_t)network;
      } else if (delay == b->e[i].delay && network) {
        b->e[i].network = 1;
      }
      b->e[i].link_order = (uint16_t)(b->e[i].link_order && link_order);
      return TSR_OK;
    }
  }
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 256;
    xedge *g = tsr_realloc(b->e, cap, sizeof *g, err);
    if (!g) return TSR_ERR_NOMEM;
    b->e = g;
    b->cap = cap;
  }
  b->e[b->n++] = (xedge){op, (uint16_t)network, (uint16_t)link_order, delay};
  return TSR_OK;
}

static tsr_status push_edge(edge_buf *b, size_t start, uint32_t op, int network, tsr_time delay,
                            tsr_error *err) {
  return push_edge_kind(b, start, op, network, 0, delay, err);
}

typedef struct read_buf {
  xread *r;
  size_t n, cap;
} read_buf;

static tsr_status push_read(read_buf *b, uint32_t pos, int64_t value_op, tsr_error *err) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 64;
    xread *g = tsr_realloc(b->r, cap, sizeof *g, err);
    if (!g) return TSR_ERR_NOMEM;
    b->r = g;
    b->cap = cap;
  }
  b->r[b->n++] = (xread){pos, value_op};
  return TSR_OK;
}

/* Classical-bit bookkeeping while walking the program in order. */
typedef struct bits_state {
  uint32_t nclbits;     /* the program's, and the added final measurements' */
  int64_t *last_writer; /* [nclbits] */
  int64_t *msg_value;   /* [nmods * nclbits] measurement a message last brought */
  int64_t *msg_op;      /* [nmods * nclbits] that message */
  uint8_t *read;        /* [nops] the measurement's value is read by someone */
} bits_state;

/* How module m learns bit b before the current operation: the measurement
 * whose value it reads, and the event it must wait for (that measurement on
 * m, else the latest message into m since it). tsr_program_finish has
 * checked that one of them brings every bit a condition or a message reads. */
static tsr_status resolve_bit(tsr_exec *x, bits_state *bs, uint32_t b, uint32_t m, edge_buf *eb,
                              size_t estart, int64_t *value_op, size_t opi, tsr_error *err) {
  int64_t w = bs->last_writer[b];
  *value_op = w;
  if (w < 0) return TSR_OK; /* never written: reads 0 at once */
  bs->read[w] = 1;
  const xop *wo = &x->ops[w];
  if ((uint32_t)wo->module == m) return push_edge(eb, estart, (uint32_t)w, 0, 0, err);
  size_t k = (size_t)m * bs->nclbits + b;
  if (bs->msg_value[k] == w) return push_edge(eb, estart, (uint32_t)bs->msg_op[k], 1, 0, err);
  return tsr_error_set(err, TSR_ERR_VALUE,
                       "operation %zu reads classical bit %u on module '%s', where no message "
                       "brought it (a program must pass tsr_program_finish)",
                       opi, b, x->p->modules[m].name);
}

/* The channels of the arch links EPR generations use: arch link h has
 * [first[h], first[h + 1]), one per multiplexing mode (at most the
 * program's communication qubits, which bound the pairs under way; at least
 * one), and each serves one pair at a time. A generation takes a channel on
 * every arch link of its route and starts after the previous generation on
 * it ends: the channel whose last generation the compiler planned to end
 * first (then the least recently used, then the first), so that the order
 * follows the compiler's schedule (which keeps the same limit). */
typedef struct chan_state {
  size_t *first; /* [n_links + 1] */
  int64_t *last; /* [channels] last EPR operation on the channel, -1 */
  double *end_s; /* [channels] its planned end (-INFINITY: none) */
} chan_state;

static tsr_status chan_init(const tsr_exec *x, chan_state *cs, tsr_error *err) {
  const tsr_arch *a = x->arch;
  uint64_t comm = 0;
  for (uint32_t m = 0; m < x->p->nmodules; m++) comm += x->p->modules[m].communication_qubits;
  cs->first = tsr_malloc((a->n_links + 1) * sizeof *cs->first, err);
  if (!cs->first) return TSR_ERR_NOMEM;
  size_t n = 0;
  for (size_t h = 0; h < a->n_links; h++) {
    cs->first[h] = n;
    uint64_t k = a->links[h].multiplexing < comm ? a->links[h].multiplexing : comm;
    n += k ? (size_t)k : 1;
  }
  cs->first[a->n_links] = n;
  cs->last = tsr_malloc((n + 1) * sizeof *cs->last, err);
  cs->end_s = tsr_malloc((n + 1) * sizeof *cs->end_s, err);
  if (!cs->last || !cs->end_s) return TSR_ERR_NOMEM;
  for (size_t c = 0; c < n; c++) {
    cs->last[c] = -1;
    cs->end_s[c] = -INFINITY;
  }
  return TSR_OK;
}

static size_t chan_pick(const chan_state *cs, size_t h) {
  size_t best = cs->first[h];
  for (size_t c = best + 1; c < cs->first[h + 1]; c++)
    if (cs->end_s[c] < cs->end_s[best] ||
        (cs->end_s[c] == cs->end_s[best] && cs->last[c] < cs->last[best]))
      best = c;
  return best;
}

static tsr_status build_ops(tsr_exec *x, const uint32_t *map, tsr_error *err) {
  const tsr_program *p = x->p;
  tsr_status st = TSR_OK;
  int measured_all = p->source_clbits == 0 && p->nlogical > 0;
  size_t nops = p->nops + (measured_all ? p->nlogical : 0);
  uint32_t nclbits = p->nclbits + (measured_all ? p->nlogical : 0);
  x->measured_all = measured_all;
  x->nbits = measured_all ? p->nlogical : p->source_clbits;
  x->ops = tsr_calloc(nops + 1, sizeof *x->ops, err);
  int64_t *last_q = tsr_malloc(((size_t)x->nsim + 1) * sizeof *last_q, err);
  chan_state cs = {0};
  st = chan_init(x, &cs, err);
  bits_state bs = {.nclbits = nclbits};
  bs.last_writer = tsr_malloc(((size_t)nclbits + 1) * sizeof *bs.last_writer, err);
  bs.msg_value = tsr_malloc(((size_t)x->nmods * nclbits + 1) * sizeof *bs.msg_value, err);
  bs.msg_op = tsr_malloc(((size_t)x->nmods * nclbits + 1) * sizeof *bs.msg_op, err);
  bs.read = tsr_calloc(nops + 1, 1, err);
  x->final_writer = tsr_malloc(((size_t)x->nbits + 1) * sizeof *x->final_writer, err);
  edge_buf eb = {0};
  read_buf rb = {0};
  if (st != TSR_OK || !x->ops || !last_q || !bs.last_writer || !bs.msg_value || !bs.msg_op ||
      !bs.read || !x->final_writer) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (uint32_t q = 0; q < x->nsim; q++) last_q[q] = -1;
  for (uint32_t b = 0; b < nclbits; b++) bs.last_writer[b] = -1;
  for (size_t k = 0; k < (size_t)x->nmods * nclbits; k++) bs.msg_value[k] = bs.msg_op[k] = -1;
  x->nops = nops;
  double sched_end = 0;
  for (size_t i = 0; i < nops; i++) {
    xop *o = &x->ops[i];
    size_t estart = eb.n;
    o->pred0 = eb.n;
    o->read0 = rb.n;
    o->cond = -1;
    o->clbit = -1;
    o->link = -1;
    o->module_to = -1;
    if (i >= p->nops) { /* added final measurement of logical qubit q */
      uint32_t q = (uint32_t)(i - p->nops);
      o->prog = -1;
      o->cls = XC_MEASURE;
      o->kind = TSR_OP_MEASURE;
      o->nq = 1;
      o->sq[0] = x->final_sim[q];
      o->module = x->sim_module[o->sq[0]];
      o->clbit = p->nclbits + q;
      o->lane = (uint32_t)o->module;
      o->duration = x->mods[o->module].dur_measure;
      o->sched_start = 0;
      if (last_q[o->sq[0]] >= 0 &&
          (st = push_edge(&eb, estart, (uint32_t)last_q[o->sq[0]], 0, 0, err)))
        goto out;
      last_q[o->sq[0]] = (int64_t)i;
      bs.last_writer[o->clbit] = (int64_t)i;
      o->npred = eb.n - o->pred0;
      continue;
    }
    const tsr_program_op *po = &p->ops[i];
    o->prog = (int64_t)i;
    o->kind = po->kind;
    o->module = po->module;
    o->np = po->nparams;
    memcpy(o->params, po->params, sizeof o->params);
    if ((st = to_time(po->start_s, &o->sched_start, "operation start", err))) goto out;
    if (po->start_s + po->duration_s > sched_end) sched_end = po->start_s + po->duration_s;
    if (po->role == TSR_PROG_MESSAGE) {
      o->cls = XC_MESSAGE;
      o->module_to = po->module_to;
      if ((st = need_delay(x, (uint32_t)po->module, (uint32_t)po->module_to, &o->duration, i, err)))
        goto out;
      for (uint32_t k = 0; k < po->message_clbits; k++) {
        uint32_t b = po->message_clbit_first + k;
        int64_t v;
        if ((st = resolve_bit(x, &bs, b, (uint32_t)po->module, &eb, estart, &v, i, err))) goto out;
        size_t key = (size_t)po->module_to * nclbits + b;
        bs.msg_value[key] = v;
        bs.msg_op[key] = (int64_t)i;
      }
      x->nmessages++;
      /* The lane: the program link joining the two modules, else "classical". */
      o->lane = UINT32_MAX;
      for (uint32_t l = 0; l < p->nlinks; l++) {
        const tsr_program_link *pl = &p->links[l];
        if ((pl->module_a == (uint32_t)po->module && pl->module_b == (uint32_t)po->module_to) ||
            (pl->module_b == (uint32_t)po->module && pl->module_a == (uint32_t)po->module_to)) {
          o->lane = x->nmods + l;
          break;
        }
      }
      o->npred = eb.n - o->pred0;
      continue;
    }
    o->nq = po->nqubits;
    for (uint32_t k = 0; k < po->nqubits; k++) o->sq[k] = map[po->qubits[k]];
    if (po->role == TSR_PROG_EPR) {
      o->cls = XC_EPR;
      o->link = po->link;
      o->lane = x->nmods + (uint32_t)po->link;
      const tsr_program_link *pl = &p->links[po->link];
      o->module = (int32_t)pl->module_a;
      o->module_to = (int32_t)pl->module_b;
      if (x->links[po->link].nhops == 0 && !x->links[po->link].override) {
        st = tsr_error_set(err, TSR_ERR_VALUE, "program link '%s': machine '%s' has %s", pl->name,
                           x->arch->name, x->links[po->link].path);
        goto out;
      }
      x->nepr++;
    } else {
      const tsr_gate_info *gi = tsr_gate_get(po->kind);
      if (po->kind == TSR_OP_MEASURE) {
        o->cls = XC_MEASURE;
        o->clbit = po->clbit;
        o->duration = x->mods[o->module].dur_measure;
      } else if (po->kind == TSR_OP_RESET) {
        o->cls = XC_RESET;
        o->duration = x->mods[o->module].dur_reset;
      } else if (po->kind == TSR_OP_BARRIER) {
        o->cls = XC_BARRIER;
      } else if (!gi || !(gi->flags & TSR_GF_UNITARY)) {
        st = tsr_error_set(err, TSR_ERR_UNSUPPORTED, "operation %zu: '%s' cannot be simulated", i,
                           gi ? gi->name : "?");
        goto out;
      } else if (po->kind == TSR_GATE_ID || po->kind == TSR_GATE_U0) {
        /* An idle gate: the qubit waits (and decoheres) for a 1q gate time,
           or, as a routing operation, for an atom move. */
        const xmodule *xm = &x->mods[o->module];
        o->cls = XC_WAIT;
        o->duration = xm->dur1;
        if (po->role == TSR_PROG_ROUTING) {
          double mv = xm->am->params.connectivity.move_time_s;
          if (!(mv > 0)) mv = po->duration_s;
          if ((st = to_time(mv, &o->duration, "move time", err))) goto out;
        }
      } else if (po->nqubits == 1 && tsr_gate_is_virtual_z(po->kind)) {
        o->cls = XC_VIRTUAL; /* the duration is set when the options are known */
        o->duration = x->mods[o->module].dur1;
      } else {
        o->cls = XC_GATE;
        const xmodule *xm = &x->mods[o->module];
        o->duration = po->nqubits == 1 ? xm->dur1 : xm->dur2;
        if (po->kind == TSR_GATE_SWAP) o->duration = 3 * xm->dur2;
      }
      o->lane = (uint32_t)o->module;
    }
    /* Qubit order. */
    for (uint32_t k = 0; k < o->nq; k++) {
      int64_t prev = last_q[o->sq[k]];
      if (prev >= 0 &&
          (st = push_edge(&eb, estart, (uint32_t)prev, x->ops[prev].cls == XC_EPR, 0, err)))
        goto out;
    }
    /* A free channel on every arch link of the route. */
    for (uint32_t h = 0; o->cls == XC_EPR && h < x->links[o->link].nhops; h++) {
      size_t c = chan_pick(&cs, x->links[o->link].hops[h].arch_link);
      if (cs.last[c] >= 0 && (st = push_edge_kind(&eb, estart, (uint32_t)cs.last[c], 1, 1, 0, err)))
        goto out;
      cs.last[c] = (int64_t)i;
      cs.end_s[c] = p->ops[i].start_s + p->ops[i].duration_s;
    }
    /* Conditions: every bit the condition reads. */
    if (po->cond >= 0) {
      const tsr_condition *c = &p->conds[po->cond];
      o->cond = po->cond;
      uint32_t first = c->creg >= 0 ? p->cregs[c->creg].first : c->bit;
      uint32_t width = c->creg >= 0 ? p->cregs[c->creg].size : 1;
      for (uint32_t k = 0; k < width; k++) {
        int64_t v;
        if ((st = resolve_bit(x, &bs, first + k, (uint32_t)o->module, &eb, estart, &v, i, err)) ||
            (st = push_read(&rb, k, v, err)))
          goto out;
      }
    }
    for (uint32_t k = 0; k < o->nq; k++) last_q[o->sq[k]] = (int64_t)i;
    if (o->cls == XC_MEASURE) bs.last_writer[o->clbit] = (int64_t)i;
    o->npred = eb.n - o->pred0;
    o->nread = rb.n - o->read0;
  }
  x->scheduled_makespan_s = sched_end;
  /* Final measurements: the last operation on their qubit, into a counted
     bit nobody reads afterwards. */
  for (size_t i = 0; i < nops; i++) {
    xop *o = &x->ops[i];
    if (o->cls != XC_MEASURE || bs.read[i] || last_q[o->sq[0]] != (int64_t)i) continue;
    int64_t b = measured_all ? o->clbit - (int64_t)p->nclbits : o->clbit;
    if (b >= 0 && b < (int64_t)x->nbits) o->deferrable = 1;
  }
  for (uint32_t b = 0; b < x->nbits; b++)
    x->final_writer[b] = bs.last_writer[measured_all ? p->nclbits + b : b];
  /* Successor lists from the predecessor lists. */
  x->preds = eb.e;
  eb.e = NULL;
  x->reads = rb.r;
  rb.r = NULL;
  size_t nedges = 0;
  for (size_t i = 0; i < nops; i++) nedges += x->ops[i].npred;
  x->succs = tsr_malloc((nedges + 1) * sizeof *x->succs, err);
  size_t *fill = tsr_calloc(nops + 1, sizeof *fill, err);
  if (!x->succs || !fill) {
    free(fill);
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (size_t i = 0; i < nops; i++) {
    const xop *o = &x->ops[i];
    for (size_t e = 0; e < o->npred; e++) x->ops[x->preds[o->pred0 + e].op].nsucc++;
  }
  size_t acc = 0;
  for (size_t i = 0; i < nops; i++) {
    x->ops[i].succ0 = acc;
    acc += x->ops[i].nsucc;
  }
  for (size_t i = 0; i < nops; i++) {
    const xop *o = &x->ops[i];
    for (size_t e = 0; e < o->npred; e++) {
      xedge pe = x->preds[o->pred0 + e];
      xop *from = &x->ops[pe.op];
      x->succs[from->succ0 + fill[pe.op]++] =
          (xedge){(uint32_t)i, pe.network, pe.link_order, pe.delay};
    }
  }
  free(fill);
out:
  free(last_q);
  free(cs.first);
  free(cs.last);
  free(cs.end_s);
  free(bs.last_writer);
  free(bs.msg_value);
  free(bs.msg_op);
  free(bs.read);
  free(eb.e);
  free(rb.r);
  return st;
}

/* ------------------------------------------------------------ public */

static int op_is_clifford(const xop *o) {
  if (o->cls != XC_GATE && o->cls != XC_VIRTUAL) return 1; /* waits too */
  return tsr_gate_is_clifford(o->kind, o->params);
}

tsr_status tsr_exec_new(const tsr_program *p, const tsr_arch *arch, tsr_exec **out,
                        tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_exec_new: no output");
  *out = NULL;
  if (!p || !arch) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_exec_new: no program or machine");
  tsr_exec *x = tsr_calloc(1, sizeof *x, err);
  if (!x) return TSR_ERR_NOMEM;
  x->p = p;
  x->arch = arch;
  tsr_status st = tsr_net_new(arch, &x->net, err);
  if (st != TSR_OK) goto fail;
  x->nmods = p->nmodules;
  x->nlinks = p->nlinks;
  x->mods = tsr_calloc((size_t)p->nmodules + 1, sizeof *x->mods, err);
  x->links = tsr_calloc((size_t)p->nlinks + 1, sizeof *x->links, err);
  if (!x->mods || !x->links) {
    st = TSR_ERR_NOMEM;
    goto fail;
  }
  for (uint32_t m = 0; m < p->nmodules; m++)
    if ((st = setup_module(x, m, err))) goto fail;
  for (uint32_t l = 0; l < p->nlinks; l++)
    if ((st = setup_link(x, l, err))) goto fail;
  /* Lanes: modules, links, then "classical" (kept only if used). */
  x->nlanes = p->nmodules + p->nlinks + 1;
  x->lanes = tsr_calloc(x->nlanes, sizeof *x->lanes, err);
  if (!x->lanes) {
    st = TSR_ERR_NOMEM;
    goto fail;
  }
  for (uint32_t m = 0; m < p->nmodules; m++)
    snprintf(x->lanes[m], sizeof x->lanes[m], "%s", p->modules[m].name);
  for (uint32_t l = 0; l < p->nlinks; l++)
    snprintf(x->lanes[p->nmodules + l], sizeof x->lanes[0], "%s", p->links[l].name);
  snprintf(x->lanes[x->nlanes - 1], sizeof x->lanes[0], "classical");
  uint32_t *map = NULL;
  if ((st = message_delays(x, err)) || (st = map_qubits(x, &map, err))) goto fail;
  st = build_ops(x, map, err);
  free(map);
  if (st != TSR_OK) goto fail;
  for (size_t i = 0; i < x->nops; i++)
    if (x->ops[i].lane == UINT32_MAX) x->ops[i].lane = x->nlanes - 1;
  x->clifford = 1;
  for (size_t i = 0; i < x->nops; i++)
    if (!op_is_clifford(&x->ops[i])) x->clifford = 0;
  for (uint32_t q = 0; q < x->nsim; q++) {
    const xmodule *xm = &x->mods[x->sim_module[q]];
    if (finite_coherence(x->sim_comm[q] ? &xm->comm : &xm->data)) x->has_relaxation = 1;
  }
  *out = x;
  return TSR_OK;
fail:
  tsr_exec_free(x);
  return st;
}

void tsr_exec_free(tsr_exec *x) {
  if (!x) return;
  for (uint32_t m = 0; m < x->nmods && x->mods; m++) {
    tsr_channel_free(x->mods[m].dep1);
    tsr_channel_free(x->mods[m].dep2);
  }
  for (uint32_t l = 0; l < x->nlinks && x->links; l++) {
    free(x->links[l].hops);
    free(x->links[l].swap_noise);
  }
  free(x->mods);
  free(x->links);
  free(x->lanes);
  free(x->msg_delay);
  free(x->sim_to_prog);
  free(x->sim_module);
  free(x->sim_comm);
  free(x->final_sim);
  free(x->ops);
  free(x->preds);
  free(x->succs);
  free(x->reads);
  free(x->final_writer);
  tsr_net_free(x->net);
  free(x);
}

tsr_status tsr_exec_override_link(tsr_exec *x, uint32_t link, const tsr_bell *state,
                                  double latency_s, tsr_error *err) {
  if (!x || link >= x->nlinks)
    return tsr_error_set(err, TSR_ERR_VALUE, "override: program link %u does not exist", link);
  tsr_status st = tsr_bell_check(state, err);
  if (st != TSR_OK) return st;
  if (!(latency_s >= 0) || !isfinite(latency_s))
    return tsr_error_set(err, TSR_ERR_VALUE, "override: latency %g s must be finite and >= 0",
                         latency_s);
  xlink *xl = &x->links[link];
  if ((st = to_time(latency_s, &xl->ov_latency, "override latency", err))) return st;
  xl->override = 1;
  xl->ov_state = *state;
  xl->ov_latency_s = latency_s;
  return TSR_OK;
}

uint32_t tsr_exec_sim_qubits(const tsr_exec *x) {
  return x ? x->nsim : 0;
}

int tsr_exec_is_clifford(const tsr_exec *x) {
  return x ? x->clifford : 0;
}

tsr_status tsr_exec_single_module_arch(const tsr_arch *arch, size_t module, tsr_arch **out,
                                       tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_exec_single_module_arch: no output");
  *out = NULL;
  if (!arch || module >= arch->n_modules)
    return tsr_error_set(err, TSR_ERR_VALUE, "module %zu does not exist", module);
  const tsr_module *m = &arch->modules[module];
  char name[TSR_ARCH_NAME_MAX];
  snprintf(name, sizeof name, "%s", m->name);
  tsr_arch *a = NULL;
  tsr_status st = tsr_arch_new(name, &a, err);
  if (st != TSR_OK) return st;
  if ((st = tsr_arch_add_module(a, m->name, TSR_ROLE_COMPUTE, &m->params, NULL, err))) {
    tsr_arch_free(a);
    return st;
  }
  a->modules[0].overridden = m->overridden;
  snprintf(a->modules[0].preset, sizeof a->modules[0].preset, "%s", m->preset);
  snprintf(a->source, sizeof a->source, "%s", arch->source);
  *out = a;
  return TSR_OK;
}
