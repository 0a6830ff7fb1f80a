/* tsr_compile_program: the whole distributed-compiler pipeline, and its last
 * pass, list scheduling into a timed tsr_program with metrics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

/* ------------------------------------------------------------ op vectors */

tsr_status tsr__popvec_push(tsr__popvec *pv, const tsr__pop *op, tsr_error *err) {
  if (pv->n == pv->cap) {
    size_t cap = pv->cap ? 2 * pv->cap : 256;
    tsr__pop *g = tsr_realloc(pv->v, cap, sizeof *g, err);
    if (!g) return TSR_ERR_NOMEM;
    pv->v = g;
    pv->cap = cap;
  }
  pv->v[pv->n++] = *op;
  return TSR_OK;
}

void tsr__popvec_release(tsr__popvec *pv) {
  free(pv->v);
  pv->v = NULL;
  pv->n = pv->cap = 0;
}

tsr__pop tsr__pop_blank(tsr_program_role role, tsr_gate kind, int32_t module) {
  tsr__pop op;
  memset(&op, 0, sizeof op);
  op.role = role;
  op.kind = kind;
  op.clbit = -1;
  op.cond_src = -1;
  op.cond_bit = -1;
  op.module = module;
  op.module_to = -1;
  op.link = -1;
  op.src = -1;
  return op;
}

/* ------------------------------------------------------------ schedule */

typedef struct sched_in {
  const tsr__machine *m;
  const tsr_circuit *dc; /* compiled circuit: its conditions */
  const tsr__popvec *ops;
  uint32_t nbits; /* source + scratch */
  uint32_t src_bits;
  const uint8_t *holds_final; /* [nqubits] holds a logical qubit at the end */
} sched_in;

static double op_duration(const tsr__machine *m, const tsr__pop *op) {
  if (op->role == TSR_PROG_EPR) return m->links[op->link].latency_s;
  if (op->role == TSR_PROG_MESSAGE) {
    double d = m->delay_s[(size_t)op->module * m->n + (uint32_t)op->module_to];
    return isfinite(d) ? d : 0.0;
  }
  const tsr_module_params *p = m->mods[op->module].params;
  if (op->move) return p->connectivity.move_time_s;
  switch (op->kind) {
  case TSR_OP_MEASURE:
    return p->readout.duration_s;
  case TSR_OP_RESET:
    return p->reset.duration_s;
  case TSR_OP_BARRIER:
    return 0.0;
  default:
    break;
  }
  if (op->nq == 1) return tsr_gate_is_virtual_z(op->kind) ? 0.0 : p->gate_1q.duration_s;
  if (op->kind == TSR_GATE_SWAP) return 3.0 * p->gate_2q.duration_s;
  return p->gate_2q.duration_s;
}

static double op_fidelity(const tsr__machine *m, const tsr__pop *op) {
  if (op->role == TSR_PROG_EPR) return m->links[op->link].fidelity;
  if (op->role == TSR_PROG_MESSAGE || op->move) return 1.0;
  const tsr_module_params *p = m->mods[op->module].params;
  switch (op->kind) {
  case TSR_OP_MEASURE:
    return p->readout.fidelity;
  case TSR_OP_RESET:
    return p->reset.fidelity;
  case TSR_OP_BARRIER:
    return 1.0;
  default:
    break;
  }
  if (op->nq == 1) return tsr_gate_is_virtual_z(op->kind) ? 1.0 : p->gate_1q.fidelity;
  if (op->kind == TSR_GATE_SWAP) return pow(p->gate_2q.fidelity, 3.0);
  return p->gate_2q.fidelity;
}

/* Bits a condition reads: [*first, *first + *count). */
static void cond_bits(const sched_in *in, const tsr__pop *op, uint32_t *first, uint32_t *count) {
  *count = 0;
  if (op->cond_bit >= 0) {
    *first = (uint32_t)op->cond_bit;
    *count = 1;
  } else if (op->cond_src >= 0) {
    const tsr_condition *c = &in->dc->conds[op->cond_src];
    if (c->creg >= 0) {
      *first = in->dc->cregs[c->creg].first;
      *count = in->dc->cregs[c->creg].size;
    } else {
      *first = c->bit;
      *count = 1;
    }
  }
}

/* Channels of arch link h: [chan_first[h], chan_first[h] + its channels). */
static double earliest_free(const tsr__machine *m, const size_t *chan_first,
                            const double *chan_free, uint32_t h) {
  double t = INFINITY;
  uint32_t nc = tsr__machine_hop_channels(m, h);
  for (size_t c = chan_first[h]; c < chan_first[h] + nc; c++)
    if (chan_free[c] < t) t = chan_free[c];
  return t;
}

/* The channel of arch link h a pair starting at s takes: of those free by
 * s, the one freed last (the others stay free for earlier starts of later
 * operations), on a tie the least recently used (chan_last: 1 + the last
 * operation it served, 0: never), then the first. */
static size_t pick_channel(const tsr__machine *m, const size_t *chan_first, const double *chan_free,
                           const size_t *chan_last, uint32_t h, double s) {
  size_t best = SIZE_MAX;
  uint32_t nc = tsr__machine_hop_channels(m, h);
  for (size_t c = chan_first[h]; c < chan_first[h] + nc; c++) {
    if (chan_free[c] > s) continue;
    if (best == SIZE_MAX || chan_free[c] > chan_free[best] ||
        (chan_free[c] == chan_free[best] && chan_last[c] < chan_last[best]))
      best = c;
  }
  return best;
}

/* List scheduling in program order: every operation starts as soon as its
 * qubits are free, the bits it reads have reached its module (a measurement:
 * the earlier readers of its bit have started and its earlier measurements
 * have ended, so that start order is write order), its module has room (ions: one two-qubit gate at
 * a time) and, for EPR pairs, every arch link of the program link's path has a free channel (one
 * pair at a time per multiplexing mode: program links whose paths share an arch link share its
 * channels), which the pair holds for its whole duration. start/dur get the times; *success the
 * estimate. */
static tsr_status schedule(const sched_in *in, double *start, double *dur, double *log_success_out,
                           double *makespan, tsr_error *err) {
  const tsr__machine *m = in->m;
  uint32_t n = m->n, nq = m->nqubits ? m->nqubits : 1;
  size_t nb = (size_t)in->nbits * n + 1;
  double *ready = tsr_calloc(nq, sizeof *ready, err);
  double *busy = tsr_calloc(nq, sizeof *busy, err);
  double *first = tsr_malloc(nq * sizeof *first, err);
  double *avail = tsr_malloc(nb * sizeof *avail, err);
  double *last_read = tsr_calloc(in->nbits + 1, sizeof *last_read, err);
  double *last_write = tsr_calloc(in->nbits + 1, sizeof *last_write, err);
  double *mod2q = tsr_calloc(n, sizeof *mod2q, err);
  size_t narch = m->arch->n_links, nchan = 0;
  size_t *chan_first = tsr_malloc((narch + 1) * sizeof *chan_first, err);
  for (size_t h = 0; chan_first && h < narch; h++) {
    chan_first[h] = nchan;
    nchan += tsr__machine_hop_channels(m, (uint32_t)h);
  }
  double *chan_free = tsr_calloc(nchan + 1, sizeof *chan_free, err);
  size_t *chan_last = tsr_calloc(nchan + 1, sizeof *chan_last, err);
  tsr_status st = TSR_OK;
  if (!ready || !busy || !first || !avail || !last_read || !last_write || !mod2q || !chan_first ||
      !chan_free || !chan_last) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (uint32_t q = 0; q < nq; q++) first[q] = -1.0;
  for (size_t i = 0; i < nb; i++) avail[i] = (i / n) < in->src_bits ? 0.0 : INFINITY;
  double log_success = 0.0, end_max = 0.0;
  for (size_t i = 0; i < in->ops->n; i++) {
    const tsr__pop *op = &in->ops->v[i];
    double s = 0.0, d = op_duration(m, op);
    if (!(d >= 0) || !isfinite(d)) {
      st = tsr_error_set(err, TSR_ERR_VALUE, "operation %zu has duration %g s", i, d);
      goto out;
    }
    for (uint32_t k = 0; k < op->nq; k++)
      if (ready[op->q[k]] > s) s = ready[op->q[k]];
    if (op->role == TSR_PROG_MESSAGE) {
      for (uint32_t b = op->msg_first; b < op->msg_first + op->msg_n; b++) {
        double a = avail[(size_t)b * n + (uint32_t)op->module];
        if (a > s) s = a;
      }
    } else {
      uint32_t cf = 0, cc = 0;
      cond_bits(in, op, &cf, &cc);
      for (uint32_t b = cf; b < cf + cc; b++) {
        double a = avail[(size_t)b * n + (uint32_t)op->module];
        if (a > s) s = a;
      }
      if (op->kind == TSR_OP_MEASURE && op->clbit >= 0) {
        if (last_read[op->clbit] > s) s = last_read[op->clbit];
        if (last_write[op->clbit] > s) s = last_write[op->clbit];
      }
    }
    const tsr__plink *pl = op->role == TSR_PROG_EPR ? &m->links[op->link] : NULL;
    for (uint32_t h = 0; pl && h < pl->hops; h++) {
      double f = earliest_free(m, chan_first, chan_free, pl->path[h]);
      if (f > s) s = f;
    }
    int serial = op->role != TSR_PROG_EPR && op->role != TSR_PROG_MESSAGE && op->nq == 2 &&
                 m->mods[op->module].serial_2q;
    if (serial && mod2q[op->module] > s) s = mod2q[op->module];
    if (!isfinite(s)) {
      st = tsr_error_set(err, TSR_ERR_INTERNAL,
                         "operation %zu reads a classical bit that never reaches its module", i);
      goto out;
    }
    double e = s + d;
    start[i] = s;
    dur[i] = d;
    if (e > end_max) end_max = e;
    if (op->role == TSR_PROG_MESSAGE) {
      for (uint32_t b = op->msg_first; b < op->msg_first + op->msg_n; b++) {
        avail[(size_t)b * n + (uint32_t)op->module_to] = e;
        if (s > last_read[b]) last_read[b] = s;
      }
      continue;
    }
    uint32_t cf = 0, cc = 0;
    cond_bits(in, op, &cf, &cc);
    for (uint32_t b = cf; b < cf + cc; b++)
      if (s > last_read[b]) last_read[b] = s;
    if (op->kind == TSR_OP_MEASURE && op->clbit >= 0) {
      for (uint32_t x = 0; x < n; x++) avail[(size_t)op->clbit * n + x] = INFINITY;
      avail[(size_t)op->clbit * n + (uint32_t)op->module] = e;
      last_write[op->clbit] = e;
    }
    for (uint32_t h = 0; pl && h < pl->hops; h++) {
      size_t c = pick_channel(m, chan_first, chan_free, chan_last, pl->path[h], s);
      chan_free[c] = e;
      chan_last[c] = i + 1;
    }
    if (serial) mod2q[op->module] = e;
    for (uint32_t k = 0; k < op->nq; k++) {
      uint32_t q = op->q[k];
      ready[q] = e;
      busy[q] += d;
      if (first[q] < 0) first[q] = s;
    }
    double f = op_fidelity(m, op);
    log_success += f > 0 ? log(f) : -INFINITY;
  }
  /* Idle decay: every used qubit waits between its operations (a qubit
   * holding a logical qubit at the end from the start to the end of the
   * program, others between their first and last operation) and loses
   * coherence as exp(-t/T2). */
  for (uint32_t q = 0; q < m->nqubits; q++) {
    if (first[q] < 0 && !(in->holds_final && in->holds_final[q])) continue;
    const tsr__mod *md = &m->mods[tsr__machine_module_of(m, q)];
    int comm = q >= md->first + md->capacity;
    double span = in->holds_final && in->holds_final[q] ? end_max : ready[q] - first[q];
    double idle = span - busy[q];
    double t2 = comm ? md->params->communication_coherence.t2_s : md->params->coherence.t2_s;
    if (idle > 0 && t2 > 0 && isfinite(t2)) log_success -= idle / t2;
  }
  *log_success_out = log_success;
  *makespan = end_max;
out:
  free(ready);
  free(busy);
  free(first);
  free(avail);
  free(last_read);
  free(last_write);
  free(mod2q);
  free(chan_first);
  free(chan_free);
  free(chan_last);
  return st;
}

/* ------------------------------------------------------------ program */

/* src_of[j]: the source-circuit operation of operation j of dc. */
static tsr_status build_program(const tsr__machine *m, const tsr_circuit *dc, const int64_t *src_of,
                                const tsr__popvec *ops, const tsr__dist_result *dr,
                                const uint32_t *phys_initial, const uint32_t *phys_final,
                                const tsr_program_metrics *metrics, const double *start,
                                const double *dur, tsr_program **out, tsr_error *err) {
  tsr_program *p = tsr_program_new(err);
  if (!p) return TSR_ERR_NOMEM;
  tsr_status st = TSR_OK;
  snprintf(p->machine, sizeof p->machine, "%s", m->arch->name);
  for (uint32_t i = 0; i < m->n && st == TSR_OK; i++)
    st = tsr_program_add_module(p, m->mods[i].name, m->mods[i].qubits, m->mods[i].comm, NULL, err);
  for (uint32_t l = 0; l < m->nlinks && st == TSR_OK; l++) {
    const tsr__plink *pl = &m->links[l];
    st = tsr_program_add_link(p, pl->name, pl->a, pl->b, pl->latency_s, pl->fidelity, NULL, err);
  }
  for (uint32_t r = 0; r < dc->ncregs && st == TSR_OK; r++)
    st = tsr_program_add_creg(p, dc->cregs[r].name, dc->cregs[r].size, 1, NULL, err);
  if (st == TSR_OK && dr->nscratch > 0) {
    char name[64] = "tsr_scratch";
    for (int k = 1; tsr_circuit_find_creg(dc, name) >= 0; k++)
      snprintf(name, sizeof name, "tsr_scratch_%d", k);
    st = tsr_program_add_creg(p, name, dr->nscratch, 0, NULL, err);
  }
  if (st == TSR_OK) {
    uint32_t nl = dr->nlogical;
    uint32_t *ini = tsr_malloc((nl + 1) * sizeof *ini, err);
    uint32_t *fin = tsr_malloc((nl + 1) * sizeof *fin, err);
    if (!ini || !fin) {
      st = TSR_ERR_NOMEM;
    } else {
      for (uint32_t q = 0; q < nl; q++) {
        ini[q] = phys_initial[dr->initial[q]];
        fin[q] = phys_final[dr->final[q]];
      }
      st = tsr_program_set_placement(p, nl, ini, fin, err);
    }
    free(ini);
    free(fin);
  }
  for (size_t i = 0; i < ops->n && st == TSR_OK; i++) {
    const tsr__pop *o = &ops->v[i];
    tsr_program_op po = tsr_program_op_blank(o->role, o->kind, o->module);
    po.nqubits = o->nq;
    for (uint32_t k = 0; k < o->nq; k++) po.qubits[k] = o->q[k];
    po.nparams = o->np;
    for (uint32_t k = 0; k < o->np; k++) po.params[k] = o->p[k];
    po.clbit = o->clbit;
    po.module_to = o->module_to;
    po.link = o->link;
    po.message_clbit_first = o->msg_first;
    po.message_clbits = o->msg_n;
    po.start_s = start[i];
    po.duration_s = dur[i];
    po.source_op = o->src >= 0 && (size_t)o->src < dc->nops ? src_of[o->src] : -1;
    if (o->cond_bit >= 0) {
      uint64_t one = 1;
      st = tsr_program_append(p, &po, -1, (uint32_t)o->cond_bit, &one, 1, err);
    } else if (o->cond_src >= 0) {
      const tsr_condition *c = &dc->conds[o->cond_src];
      st = tsr_program_append(p, &po, c->creg, c->bit, c->value, c->nwords, err);
    } else {
      st = tsr_program_append(p, &po, 0, 0, NULL, 0, err);
    }
  }
  if (st == TSR_OK) {
    p->metrics = *metrics;
    st = tsr_program_finish(p, err);
    if (st != TSR_OK) tsr_error_prefix(err, "compiled program failed validation");
  }
  if (st == TSR_OK) {
    p->metrics.makespan_s =
        metrics->makespan_s > p->metrics.makespan_s ? metrics->makespan_s : p->metrics.makespan_s;
    *out = p;
  } else {
    tsr_program_free(p);
  }
  return st;
}

/* ------------------------------------------------------------ entry */

static tsr_status module_graph_of(const tsr__machine *m, tsr_module_graph **out, tsr_error *err) {
  tsr_module_graph *g = NULL;
  tsr_status st = tsr_module_graph_new(m->n, 0, &g, err);
  for (uint32_t i = 0; st == TSR_OK && i < m->n; i++) {
    g->capacity[i] = m->mods[i].capacity;
    g->link_qubits[i] = m->mods[i].comm_use;
  }
  for (uint32_t l = 0; st == TSR_OK && l < m->nlinks; l++)
    st = tsr_module_graph_link(g, m->links[l].a, m->links[l].b, m->links[l].cost, err);
  if (st != TSR_OK) {
    tsr_module_graph_free(g);
    return st;
  }
  *out = g;
  return TSR_OK;
}

/* Heterogeneity: the partitioner sees capacities and link costs, not how
 * good each module is. When every pair of compute modules is joined at the
 * same cost (all-to-all networks, a star through one hub), relabelling the
 * partition's blocks onto other modules of enough capacity changes no EPR
 * count, so the blocks go where their gates run best: highest sum of log
 * fidelities (ebits and fidelity cost models) or shortest total gate time
 * (latency). Exhaustive over permutations for up to 8 modules. */
typedef struct relabel {
  uint32_t n;
  double score[8][8]; /* block b on module j */
  uint32_t need[8], cap[8];
  uint32_t perm[8], best[8];
  uint8_t used[8];
  double best_score;
  int found;
} relabel;

static void relabel_search(relabel *r, uint32_t b, double acc) {
  if (b == r->n) {
    if (!r->found || acc > r->best_score + 1e-12) {
      r->found = 1;
      r->best_score = acc;
      memcpy(r->best, r->perm, sizeof r->best);
    }
    return;
  }
  for (uint32_t j = 0; j < r->n; j++) {
    if (r->used[j] || r->need[b] > r->cap[j]) continue;
    r->used[j] = 1;
    r->perm[b] = j;
    relabel_search(r, b + 1, acc + r->score[b][j]);
    r->used[j] = 0;
  }
}

static void relabel_modules(const tsr__machine *m, const tsr_circuit *dc, const tsr_packet_graph *h,
                            tsr_partition *part, tsr_compile_cost cost) {
  uint32_t n = m->n;
  if (n < 2 || n > 8 || !part->module_of) return;
  double c0 = m->dist[1];
  for (uint32_t a = 0; a < n; a++)
    for (uint32_t b = 0; b < n; b++)
      if (a != b &&
          (m->link[(size_t)a * n + b] < 0 || fabs(m->dist[(size_t)a * n + b] - c0) > 1e-9))
        return;
  relabel r;
  memset(&r, 0, sizeof r);
  r.n = n;
  uint64_t n1[8] = {0}, n2[8] = {0}, nm[8] = {0};
  for (uint32_t q = 0; q < part->nqubits; q++) r.need[part->module_of[q]]++;
  int64_t *gate_of = NULL;
  if (h && part->gate_module) {
    gate_of = malloc((dc->nops + 1) * sizeof *gate_of);
    if (!gate_of) return;
    for (size_t i = 0; i < dc->nops; i++) gate_of[i] = -1;
    for (size_t g = 0; g < h->ngates; g++) gate_of[h->gate_op[g]] = (int64_t)g;
  }
  for (size_t i = 0; i < dc->nops; i++) {
    const tsr_op *op = &dc->ops[i];
    if (op->kind == TSR_OP_BARRIER || op->nqubits == 0) continue;
    uint32_t b = part->module_of[op->qubits[0]];
    if (op->nqubits == 2 && gate_of && gate_of[i] >= 0) b = part->gate_module[gate_of[i]];
    if (b >= n) continue;
    if (op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET)
      nm[b]++;
    else if (op->nqubits == 1)
      n1[b] += !tsr_gate_is_virtual_z(op->kind);
    else
      n2[b]++;
  }
  free(gate_of);
  for (uint32_t j = 0; j < n; j++) {
    const tsr_module_params *p = m->mods[j].params;
    r.cap[j] = m->mods[j].capacity;
    for (uint32_t b = 0; b < n; b++) {
      if (cost == TSR_COST_LATENCY) {
        r.score[b][j] =
            -((double)n1[b] * p->gate_1q.duration_s + (double)n2[b] * p->gate_2q.duration_s +
              (double)nm[b] * p->readout.duration_s);
      } else {
        double f1 = p->gate_1q.fidelity > 1e-300 ? p->gate_1q.fidelity : 1e-300;
        double f2 = p->gate_2q.fidelity > 1e-300 ? p->gate_2q.fidelity : 1e-300;
        double fm = p->readout.fidelity > 1e-300 ? p->readout.fidelity : 1e-300;
        r.score[b][j] = (double)n1[b] * log(f1) + (double)n2[b] * log(f2) + (double)nm[b] * log(fm);
      }
    }
  }
  /* The identity first: it wins ties. */
  double ident = 0;
  int ident_ok = 1;
  for (uint32_t b = 0; b < n; b++) {
    ident += r.score[b][b];
    ident_ok &= r.need[b] <= r.cap[b];
    r.best[b] = b;
  }
  r.found = ident_ok;
  r.best_score = ident;
  relabel_search(&r, 0, 0.0);
  if (!r.found) return;
  for (uint32_t q = 0; q < part->nqubits; q++) part->module_of[q] = r.best[part->module_of[q]];
  for (size_t g = 0; part->gate_module && g < part->ngates; g++)
    if (part->gate_module[g] < n) part->gate_module[g] = r.best[part->gate_module[g]];
  for (size_t k = 0; part->packet_module && k < part->npackets; k++)
    if (part->packet_module[k] < n) part->packet_module[k] = r.best[part->packet_module[k]];
  for (size_t e = 0; e < part->nembeds; e++) {
    uint64_t keep = 0;
    for (uint32_t b = 0; b < n; b++)
      if ((part->embeds[e].keep >> b) & 1) keep |= (uint64_t)1 << r.best[b];
    part->embeds[e].keep = keep;
  }
}

/* Passes 3-6 for one partition. */
static tsr_status run_pipeline(const tsr__machine *m, const tsr_circuit *dc, const int64_t *src_of,
                               const tsr_packet_graph *h, const tsr_partition *part,
                               const tsr_compile_options *opt, tsr_program **out,
                               double *log_success, tsr_error *err) {
  tsr__popvec dist_ops = {0}, routed = {0}, native = {0};
  tsr__dist_result dr;
  memset(&dr, 0, sizeof dr);
  uint32_t *phys_initial = NULL, *phys_final = NULL;
  double *start = NULL, *dur = NULL;
  uint8_t *holds = NULL;
  uint64_t swaps = 0, moves = 0;
  /* 3. distribute. */
  tsr_status st = tsr__distribute(m, dc, h, part, opt, &dist_ops, &dr, err);
  if (st != TSR_OK) goto out;
  /* 4. route. */
  phys_initial = tsr_malloc(((size_t)m->nqubits + 1) * sizeof *phys_initial, err);
  phys_final = tsr_malloc(((size_t)m->nqubits + 1) * sizeof *phys_final, err);
  if (!phys_initial || !phys_final) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  st = tsr__route(m, opt, &dist_ops, &routed, phys_initial, phys_final, &swaps, &moves, err);
  if (st != TSR_OK) goto out;
  tsr__popvec_release(&dist_ops);
  /* 5. native synthesis. */
  const tsr__popvec *final_ops = &routed;
  if (opt->native) {
    if ((st = tsr__synthesize_pops(m, &routed, &native, err)) != TSR_OK) goto out;
    final_ops = &native;
  }
  /* 6. schedule. */
  start = tsr_malloc((final_ops->n + 1) * sizeof *start, err);
  dur = tsr_malloc((final_ops->n + 1) * sizeof *dur, err);
  if (!start || !dur) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  holds = tsr_calloc((size_t)m->nqubits + 1, 1, err);
  if (!holds) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (uint32_t q = 0; q < dr.nlogical; q++) holds[phys_final[dr.final[q]]] = 1;
  sched_in si = {.m = m,
                 .dc = dc,
                 .ops = final_ops,
                 .nbits = dc->nclbits + dr.nscratch,
                 .src_bits = dc->nclbits,
                 .holds_final = holds};
  tsr_program_metrics metrics;
  memset(&metrics, 0, sizeof metrics);
  metrics.ebits = dr.ebits;
  metrics.remote_gates = dr.remote_gates;
  metrics.teleports = dr.teleports;
  metrics.swaps = swaps;
  metrics.moves = moves;
  if ((st = schedule(&si, start, dur, log_success, &metrics.makespan_s, err)) != TSR_OK) goto out;
  metrics.estimated_success = exp(*log_success);
  st = build_program(m, dc, src_of, final_ops, &dr, phys_initial, phys_final, &metrics, start, dur,
                     out, err);
out:
  free(holds);
  free(start);
  free(dur);
  free(phys_initial);
  free(phys_final);
  tsr__popvec_release(&dist_ops);
  tsr__popvec_release(&routed);
  tsr__popvec_release(&native);
  tsr__dist_result_release(&dr);
  return st;
}

/* A compiled candidate and the figures that rank it. */
typedef struct candidate {
  tsr_program *prog;
  double log_success;
} candidate;

/* Whether candidate a is better than b under the cost model (log success
 * compares programs whose success underflows to 0). */
static int better(const candidate *a, const candidate *b, tsr_compile_cost cost) {
  const tsr_program_metrics *x = &a->prog->metrics, *y = &b->prog->metrics;
  switch (cost) {
  case TSR_COST_LATENCY:
    if (x->makespan_s != y->makespan_s) return x->makespan_s < y->makespan_s;
    return x->ebits < y->ebits;
  case TSR_COST_FIDELITY:
    if (a->log_success != b->log_success) return a->log_success > b->log_success;
    return x->ebits < y->ebits;
  default:
    if (x->ebits != y->ebits) return x->ebits < y->ebits;
    if (a->log_success != b->log_success) return a->log_success > b->log_success;
    return x->makespan_s < y->makespan_s;
  }
}

/* The compile candidates compete: the best program so far, and the first
 * failure (reported when no candidate compiles). */
typedef struct contest {
  candidate best;
  tsr_status first_st;
  tsr_error first_err;
} contest;

/* Passes 3-6 for one partition (moved to the modules that suit it first,
 * unless fixed); returns 1 when its program is now the best. */
static int compete(contest *ct, const tsr__machine *m, const tsr_circuit *dc, const int64_t *src_of,
                   const tsr_packet_graph *h, tsr_partition *part, int fixed,
                   const tsr_compile_options *opt) {
  if (!fixed) relabel_modules(m, dc, h, part, opt->cost);
  tsr_compile_options o2 = *opt;
  o2.allow_teleport = opt->allow_teleport && part->teleport_ebits > 0;
  candidate cand = {NULL, 0.0};
  tsr_error e2;
  tsr_status s2 = run_pipeline(m, dc, src_of, h, part, &o2, &cand.prog, &cand.log_success, &e2);
  if (s2 != TSR_OK) {
    if (ct->first_st == TSR_OK) {
      ct->first_st = s2;
      ct->first_err = e2;
    }
    return 0;
  }
  if (ct->best.prog && !better(&cand, &ct->best, opt->cost)) {
    tsr_program_free(cand.prog);
    return 0;
  }
  tsr_program_free(ct->best.prog);
  ct->best = cand;
  return 1;
}

/* The partitioner's options for the compile options. */
static tsr_partition_options partition_options(const tsr_compile_options *opt) {
  tsr_partition_options po;
  tsr_partition_options_default(&po);
  po.seed = opt->seed;
  po.restarts = opt->restarts;
  po.teleport = opt->allow_teleport;
  po.embed = opt->embed;
  return po;
}

/* A copy of g in which only the modules of `keep` (a bit set) may hold
 * qubits. */
static tsr_status restricted_graph(const tsr_module_graph *g, uint64_t keep, tsr_module_graph **out,
                                   tsr_error *err) {
  tsr_module_graph *r = NULL;
  tsr_status st = tsr_module_graph_new(g->nmodules, 0, &r, err);
  if (st != TSR_OK) return st;
  for (uint32_t i = 0; i < g->nmodules; i++) {
    r->capacity[i] = (keep >> i) & 1 ? g->capacity[i] : 0;
    r->link_qubits[i] = g->link_qubits[i];
  }
  memcpy(r->link_cost, g->link_cost, (size_t)g->nmodules * g->nmodules * sizeof *g->link_cost);
  *out = r;
  return TSR_OK;
}

/* The fewest modules (largest first) whose data slots hold n qubits. */
static uint64_t smallest_subset(const tsr__machine *m, uint32_t n, uint32_t *count) {
  uint64_t keep = 0, room = 0;
  *count = 0;
  while (room < n && *count < m->n) {
    int64_t best = -1;
    for (uint32_t i = 0; i < m->n; i++)
      if (!((keep >> i) & 1) && (best < 0 || m->mods[i].capacity > m->mods[best].capacity))
        best = i;
    keep |= (uint64_t)1 << best;
    room += m->mods[best].capacity;
    (*count)++;
  }
  return keep;
}

tsr_status tsr_compile_program(const tsr_circuit *c, const tsr_arch *arch,
                               const tsr_compile_options *opt_in, tsr_program **out,
                               tsr_error *err) {
  if (!c || !arch || !out)
    return tsr_error_set(err, TSR_ERR_VALUE, "tsr_compile_program: NULL argument");
  *out = NULL;
  tsr_compile_options opt;
  if (opt_in)
    opt = *opt_in;
  else
    tsr_compile_options_default(&opt);
  if (!(opt.lookahead_weight >= 0) || !isfinite(opt.lookahead_weight)) opt.lookahead_weight = 0.5;
  if ((unsigned)opt.cost > TSR_COST_FIDELITY)
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown cost model %d", (int)opt.cost);

  tsr__machine *m = NULL;
  tsr_circuit *dec = NULL, *dc = NULL;
  int64_t *dec_src = NULL, *src_of = NULL; /* source operation of each op of dec, dc */
  tsr_packet_graph *h = NULL;
  tsr_module_graph *g = NULL, *gsub = NULL;
  enum { MAXC = 4 + TSR_MODULE_GRAPH_MAX };
  tsr_partition parts[MAXC];
  int fixed[MAXC]; /* a single-module placement: not relabelled */
  uint32_t nparts = 0;
  contest ct;
  memset(&ct, 0, sizeof ct);
  ct.first_st = TSR_OK;

  tsr_status st = tsr__machine_build(arch, &opt, &m, err);
  if (st != TSR_OK) goto out;
  uint64_t capacity = 0;
  for (uint32_t i = 0; i < m->n; i++) capacity += m->mods[i].capacity;
  if (c->nqubits > capacity) {
    st = tsr_error_set(err, TSR_ERR_VALUE,
                       "the circuit has %u qubits but machine '%s' has room for %llu (compute "
                       "qubits minus communication qubits)",
                       c->nqubits, arch->name, (unsigned long long)capacity);
    goto out;
  }
  /* 1. decompose and simplify, tracing every operation of dc back to c. */
  if ((st = tsr__decompose_for_packets_traced(c, &dec, &dec_src, err)) != TSR_OK) goto out;
  if ((st = tsr__simplify_traced(dec, &dc, NULL, &src_of, err)) != TSR_OK) goto out;
  for (size_t j = 0; j < dc->nops; j++) src_of[j] = dec_src[src_of[j]];
  /* 2. partitions to try. */
  if (m->n > 1 && dc->nqubits > 0) {
    if ((st = module_graph_of(m, &g, err)) != TSR_OK) goto out;
  }
  uint32_t nsub = 0;
  uint64_t sub = smallest_subset(m, dc->nqubits, &nsub);
  uint32_t usable = 0;
  for (uint32_t i = 0; i < m->n; i++) usable += m->mods[i].capacity > 0;
  if (nsub == 1 || !g || !tsr_module_graph_connected(g)) {
    /* The fewest modules that hold the circuit: one. */
    if (nsub != 1 && dc->nqubits > 0) {
      st = tsr_error_set(err, TSR_ERR_VALUE,
                         "machine '%s': the compute modules are not all joined by links, and "
                         "the circuit does not fit in one",
                         arch->name);
      goto out;
    }
    /* Every module with room is a candidate (their gates, durations and
     * coherence differ). */
    for (uint32_t only = 0; only < m->n; only++) {
      if (m->mods[only].capacity < dc->nqubits || (dc->nqubits == 0 && only > 0)) continue;
      tsr_partition *pt = &parts[nparts];
      memset(pt, 0, sizeof *pt);
      pt->nqubits = dc->nqubits;
      pt->nmodules = m->n;
      pt->module_of = tsr_calloc(dc->nqubits + 1, sizeof *pt->module_of, err);
      if (!pt->module_of) {
        st = TSR_ERR_NOMEM;
        goto out;
      }
      for (uint32_t q = 0; q < dc->nqubits; q++) pt->module_of[q] = only;
      fixed[nparts++] = 1;
    }
  }
  if (g && tsr_module_graph_connected(g)) {
    if ((st = tsr_packet_graph_build(dc, &h, err)) != TSR_OK) goto out;
    tsr_partition_options po = partition_options(&opt);
    /* The whole machine, and (when fewer modules hold the circuit) only the
     * fewest largest modules: the partitioner spreads qubits in proportion
     * to capacity, which a machine with room to spare does not need. With
     * teleports, the cat-only partition too: the partitioner's teleports
     * do not check capacity over time nor communication qubits, and the
     * distributor skips those it cannot do. The cost model picks. */
    const tsr_module_graph *graphs[2] = {g, NULL};
    int ngraphs = 1;
    if (nsub > 1 && nsub < usable) {
      if ((st = restricted_graph(g, sub, &gsub, err)) != TSR_OK) goto out;
      graphs[ngraphs++] = gsub;
    }
    for (int k = 0; k < ngraphs; k++) {
      po.teleport = opt.allow_teleport;
      tsr_partition *pt = &parts[nparts];
      if ((st = tsr_partition_run(h, graphs[k], &po, pt, err)) != TSR_OK) {
        tsr_error_prefix(err, "partition");
        goto out;
      }
      fixed[nparts++] = 0;
      if (pt->teleport_ebits > 0) {
        po.teleport = 0;
        if ((st = tsr_partition_run(h, graphs[k], &po, &parts[nparts], err)) != TSR_OK) {
          tsr_error_prefix(err, "partition");
          goto out;
        }
        fixed[nparts++] = 0;
      }
    }
  }
  /* 3-6 for each; the best under the cost model wins. */
  uint64_t best_estimate = 0;
  for (uint32_t k = 0; k < nparts; k++)
    if (compete(&ct, m, dc, src_of, h, &parts[k], fixed[k], &opt)) best_estimate = parts[k].ebits;
  /* When the best program needed more pairs than its partition counted, its
   * modules' communication qubits were too few for the copies it keeps at
   * once (the distributor ended some and made them again). Partitions of
   * packets cut after a span of two-qubit gates count a long-lived copy as
   * made again, so they prefer copies that live briefly: they compete too,
   * the span halved while it pays (4 restarts each unless set: a second
   * opinion). */
  if (ct.best.prog && h && g && tsr_module_graph_connected(g) &&
      ct.best.prog->metrics.ebits > best_estimate) {
    int improved = 1;
    for (size_t div = 4; div <= 32 && st == TSR_OK && improved; div *= 2) {
      size_t span = h->ngates / div;
      if (span < 4) break;
      tsr_packet_graph *hs = NULL;
      tsr_partition ps;
      memset(&ps, 0, sizeof ps);
      tsr_partition_options po = partition_options(&opt);
      if (!opt.restarts) po.restarts = 4;
      st = tsr_packet_graph_build_span(dc, span, &hs, err);
      if (st == TSR_OK) st = tsr_partition_run(hs, g, &po, &ps, err);
      improved = st == TSR_OK && compete(&ct, m, dc, src_of, hs, &ps, 0, &opt);
      tsr_partition_release(&ps);
      tsr_packet_graph_free(hs);
    }
    if (st != TSR_OK) tsr_error_prefix(err, "partition");
  }
  if (!ct.best.prog) {
    st = ct.first_st != TSR_OK ? ct.first_st : TSR_ERR_INTERNAL;
    if (err) {
      if (ct.first_st != TSR_OK)
        *err = ct.first_err;
      else
        tsr_error_set(err, st, "no partition to compile");
    }
    goto out;
  }
  *out = ct.best.prog;
  ct.best.prog = NULL;
out:
  tsr_program_free(ct.best.prog);
  for (uint32_t k = 0; k < nparts; k++) tsr_partition_release(&parts[k]);
  tsr_module_graph_free(g);
  tsr_module_graph_free(gsub);
  tsr_packet_graph_free(h);
  tsr_circuit_free(dec);
  tsr_circuit_free(dc);
  free(dec_src);
  free(src_of);
  tsr__machine_free(m);
  return st;
}
