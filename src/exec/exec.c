/* Running a prepared program: shots on the event engine, a state backend per
 * thread, noise from the machine, and the reduction of every shot's figures
 * (in shot order, so that results do not depend on the thread count). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"

void tsr_exec_options_default(tsr_exec_options *o) {
  memset(o, 0, sizeof *o);
  o->backend = TSR_BACKEND_AUTO;
  o->shots = 1000;
  o->noise = TSR_EXEC_NOISE_ALL;
  o->timing = TSR_EXEC_TIMING_ASAP;
  o->serialize_links = 1;
  o->virtual_z = 1;
  o->cutoff_s = INFINITY;
  o->ideal_max_qubits = 28;
  o->state_max_qubits = 12;
  o->record_timeline = 1;
}

/* The automatic choice: the state vector up to AUTO_SV_SMALL simulated qubits
 * (cheap, exact relaxation, state fidelity); beyond, the tableau for Clifford
 * programs (their T1/T2 relaxation Pauli-twirled: a state vector of that size
 * costs seconds per shot), the state vector for the others. */
#define AUTO_SV_SMALL 16
/* States up to this size run one shot per thread; larger ones run the shots
 * one after another with the kernels in parallel. */
#define SHOT_PARALLEL_BYTES (UINT64_C(4) << 20)
/* State fidelity on the state vector up to this many simulated qubits. */
#define STATE_FID_MAX_SIM 22

/* Values kept per shot, reduced in order afterwards. */
enum {
  PS_MAKESPAN = 0,
  PS_SURVIVAL,
  PS_STATE_FID,
  PS_LOGS,
  PS_EVENTS = PS_LOGS + XS_COUNT,
  PS_FIXED = PS_EVENTS + XS_COUNT
};
/* then per module: busy, network wait, idle; per link: busy, latency sum,
   fidelity sum, elementary, discarded, attempts */
#define PS_MOD  3
#define PS_LINK 6

/* ------------------------------------------------------------ run setup */

typedef struct run_cfg {
  const tsr_exec_options *o;
  uint32_t noise;
  tsr_backend_kind kind;
  const tsr_sim_backend *be;
  int twirl;
  int state_mode; /* compute the state fidelity, deferring final measurements */
  int record;     /* record shot 0's timeline */
  uint64_t shots;
  uint32_t *base_remaining;
  size_t per_shot; /* doubles per shot */
  uint32_t words;  /* 64-bit words per result row */
  /* state fidelity */
  const double complex *psi;
  uint32_t k;
  uint64_t *off_l, *off_e; /* state vector: index offsets of logical and other qubits */
  uint64_t nenv;
  tsr_statevec *psi_sv; /* density matrix: the ideal state */
  tsr_state_options sopt;
} run_cfg;

typedef struct shot_ctx {
  const tsr_exec *x;
  const run_cfg *cfg;
  void *state;
  void *zero; /* |0...0> for backends without set_basis */
  tsr_engine *eng;
  tsr_time base; /* the engine's time at the start of the shot */
  tsr_rng *rng;
  uint32_t *remaining;
  tsr_time *ready_local, *ready_net, *start, *end;
  int8_t *outcome;
  uint8_t *deferred;
  tsr_time *q_last;
  /* The same run with an instantaneous network: the start each operation
     would have (t0) and the end of each qubit's last operation there. */
  tsr_time *t0_ready, *t0_start, *q_t0;
  int8_t *known; /* -1 unknown, else the qubit's definite basis value */
  double *rec;   /* this shot's record */
  double *epr_fid;
  double complex *acc; /* state fidelity accumulator */
  int kthreads;        /* threads of the state's kernels */
  tsr_time *iv;        /* interval scratch (2 per operation) */
  tsr_status st;
  tsr_error err;
} shot_ctx;

static double secs(tsr_time t) {
  return tsr_time_to_seconds(t);
}

/* ------------------------------------------------------ noise helpers */

static void budget(shot_ctx *c, int src, double e) {
  if (!(e > 0)) e = 0;
  if (e >= 1) e = 1 - 1e-16;
  c->rec[PS_LOGS + src] += log1p(-e);
  c->rec[PS_EVENTS + src] += 1;
}

static int on(const shot_ctx *c, uint32_t bits) {
  return (c->cfg->noise & bits) != 0;
}

/* Applies one of I, X, Y, Z to qubit q with probabilities probs (exactly on
 * the density matrix, sampled elsewhere). Returns the Pauli drawn (-1 when
 * exact). */
static int pauli_mix(shot_ctx *c, uint32_t q, const double probs[4], tsr_error *err) {
  if (c->cfg->be->exact_channels) {
    if (!(probs[1] > 0 || probs[2] > 0 || probs[3] > 0)) return 0;
    tsr_channel *ch = tsr_channel_pauli(1, probs, err);
    if (!ch) {
      c->st = err->status;
      return -1;
    }
    c->st = c->cfg->be->apply_channel(c->state, ch, &q, c->rng, err);
    tsr_channel_free(ch);
    return -1;
  }
  double u = tsr_rng_uniform(c->rng), acc = 0;
  int k = 0;
  for (k = 0; k < 3; k++) {
    acc += probs[k];
    if (u < acc) break;
  }
  if (k == 0) return 0;
  static const tsr_gate paulis[4] = {TSR_GATE_ID, TSR_GATE_X, TSR_GATE_Y, TSR_GATE_Z};
  c->st = c->cfg->be->apply_gate(c->state, paulis[k], &q, 1, NULL, err);
  return k;
}

static const tsr_coherence *coherence_of(const tsr_exec *x, uint32_t q) {
  const xmodule *m = &x->mods[x->sim_module[q]];
  return x->sim_comm[q] ? &m->comm : &m->data;
}

static double decay(double t, double tau) {
  return isinf(tau) ? 1.0 : exp(-t / tau);
}

/* Process infidelity of thermal relaxation over t: 1 - (1 + l1 + 2 l2)/4. */
static double relax_infidelity(const tsr_coherence *co, double t) {
  if (!(t > 0)) return 0;
  return 1.0 - (1.0 + decay(t, co->t1_s) + 2.0 * decay(t, co->t2_s)) / 4.0;
}

/* Multiplies the amplitudes of a state vector whose qubit q is 0 by s0 and
 * the others by s1 (elementwise: the same at any thread count). */
static void sv_scale(tsr_statevec *sv, uint32_t q, double s0, double s1, int threads) {
  double *d = tsr_statevec_data(sv);
  const int64_t dim = (int64_t)tsr_statevec_dim(sv);
  const double sc[2] = {s0, s1};
#pragma omp parallel for num_threads(threads) if (threads > 1 && dim >= 65536) schedule(static)
  for (int64_t i = 0; i < dim; i++) {
    const double f = sc[(i >> q) & 1];
    d[2 * i] *= f;
    d[2 * i + 1] *= f;
  }
}

/* Thermal relaxation of qubit q over t on the state vector, as one quantum
 * trajectory of amplitude damping (gamma = 1 - exp(-t/T1)) followed by the
 * dephasing that brings the coherence decay to exp(-t/T2) (the channel of
 * tsr_channel_thermal_relaxation): with probability gamma P(1) the qubit
 * jumps to |0>; otherwise |1> is damped by sqrt(1 - gamma) and, with
 * probability (1 - f)/2, f = exp(-t/T2) / sqrt(1 - gamma), phase-flipped;
 * then renormalised. One pass for P(1), one to scale. */
static tsr_status relax_sv(shot_ctx *c, uint32_t q, const tsr_coherence *co, double t,
                           tsr_error *err) {
  tsr_statevec *sv = c->state;
  double gamma = isinf(co->t1_s) ? 0 : -expm1(-t / co->t1_s);
  double f = exp(-t / co->t2_s + (isinf(co->t1_s) ? 0 : t / (2 * co->t1_s)));
  if (f > 1) f = 1;
  double p1 = gamma > 0 ? tsr_statevec_prob_one(sv, q) : 0;
  if (p1 < 0) p1 = 0;
  if (p1 > 1) p1 = 1;
  double u = tsr_rng_uniform(c->rng), v = tsr_rng_uniform(c->rng);
  if (u < gamma * p1) {
    tsr_status st = tsr_statevec_collapse(sv, q, 1, err);
    if (st == TSR_OK) st = tsr_statevec_apply_gate(sv, TSR_GATE_X, &q, 1, NULL, err);
    c->known[q] = 0;
    return st;
  }
  double n = 1 / sqrt(1 - gamma * p1), s1 = sqrt(1 - gamma) * n;
  if (v < (1 - f) / 2) s1 = -s1;
  if (n != 1 || s1 != 1) sv_scale(sv, q, n, s1, c->kthreads);
  c->known[q] = -1;
  return TSR_OK;
}

/* Relaxation of qubit q over t seconds: exact, or Pauli-twirled. */
static tsr_status relax(shot_ctx *c, uint32_t q, double t, tsr_error *err) {
  const tsr_coherence *co = coherence_of(c->x, q);
  if (!(t > 0) || (isinf(co->t1_s) && isinf(co->t2_s))) return TSR_OK;
  if (c->cfg->twirl) {
    double l1 = decay(t, co->t1_s), l2 = decay(t, co->t2_s);
    double pr[4] = {(1 + 2 * l2 + l1) / 4, (1 - l1) / 4, (1 - l1) / 4, (1 - 2 * l2 + l1) / 4};
    if (pr[3] < 0) pr[3] = 0;
    pauli_mix(c, q, pr, err);
    c->known[q] = -1;
    return c->st;
  }
  if (c->cfg->kind == TSR_BACKEND_STATEVEC) return relax_sv(c, q, co, t, err);
  tsr_channel *ch = tsr_channel_thermal_relaxation(co->t1_s, co->t2_s, t, err);
  if (!ch) return err->status;
  tsr_status st = c->cfg->be->apply_channel(c->state, ch, &q, c->rng, err);
  tsr_channel_free(ch);
  c->known[q] = -1;
  return st;
}

/* The wait of qubit q from its last operation to operation i's start, split
 * into waiting for local work and waiting for the network; records both in
 * the budget and returns the time the qubit decays over (0: nothing to do). */
static double wait_time(shot_ctx *c, uint32_t q, size_t i, tsr_time now) {
  tsr_time last = c->q_last[q];
  const tsr_coherence *co = coherence_of(c->x, q);
  if (now <= last || c->known[q] == 0 || (isinf(co->t1_s) && isinf(co->t2_s))) return 0;
  /* How much longer the qubit waits than with an instantaneous network:
     the delay of this operation's start minus that of the last one's end. */
  tsr_time ext = (now - c->t0_start[i]) - (last - c->q_t0[q]), gap = now - last;
  if (ext < 0) ext = 0;
  if (ext > gap) ext = gap;
  double t_idle = secs(gap - ext), t_net = secs(ext);
  double t = 0;
  if (on(c, TSR_EXEC_NOISE_IDLE) && t_idle > 0) {
    t += t_idle;
    budget(c, XS_IDLE, relax_infidelity(co, t_idle));
  }
  if (on(c, TSR_EXEC_NOISE_NETWORK) && t_net > 0) {
    t += t_net;
    budget(c, XS_NETWORK, relax_infidelity(co, t_net));
  }
  return t;
}

static tsr_status decohere(shot_ctx *c, uint32_t q, size_t i, tsr_time now, tsr_error *err) {
  return relax(c, q, wait_time(c, q, i, now), err);
}

/* Brings qubit q to |0> (communication qubits before a pair, resets). */
static tsr_status to_zero(shot_ctx *c, uint32_t q, tsr_error *err) {
  tsr_status st = TSR_OK;
  if (c->known[q] == 1) {
    st = c->cfg->be->apply_gate(c->state, TSR_GATE_X, &q, 1, NULL, err);
  } else if (c->known[q] != 0) {
    st = c->cfg->be->reset(c->state, q, c->rng, err);
  }
  c->known[q] = 0;
  return st;
}

static int cond_holds(const shot_ctx *c, const xop *o) {
  const tsr_condition *cd = &c->x->p->conds[o->cond];
  for (size_t r = 0; r < o->nread; r++) {
    const xread *rd = &c->x->reads[o->read0 + r];
    int v = rd->value_op >= 0 ? c->outcome[rd->value_op] : 0;
    uint32_t w = rd->pos / 64;
    int want = w < cd->nwords ? (int)((cd->value[w] >> (rd->pos % 64)) & 1u) : 0;
    if (v != want) return 0;
  }
  return 1;
}

/* ------------------------------------------------------------- EPR pairs */

/* Herald time and state of one pair over program link l. */
static tsr_status sample_pair(shot_ctx *c, uint32_t l, tsr_time *latency, tsr_bell *state,
                              tsr_error *err) {
  const xlink *xl = &c->x->links[l];
  double *lrec = c->rec + PS_FIXED + PS_MOD * c->x->nmods + PS_LINK * l;
  if (xl->override) {
    *latency = xl->ov_latency;
    *state = xl->ov_state;
    lrec[3] += 1;
    return TSR_OK;
  }
  enum { MAXH = 64 };
  double t[MAXH];
  uint32_t nh = xl->nhops;
  if (nh > MAXH)
    return tsr_error_set(err, TSR_ERR_LIMIT, "a route of %u hops (at most %d)", nh, MAXH);
  double T = 0;
  for (uint32_t h = 0; h < nh; h++) {
    const tsr_link_performance *pf = &xl->hops[h].perf;
    uint64_t k = pf->p_attempt > 0 ? tsr_rng_geometric(c->rng, pf->p_attempt) : UINT64_MAX;
    if (k == UINT64_MAX) {
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "link '%s' of route %s can never herald a pair (success probability "
                           "%g per attempt)",
                           c->x->p->links[l].name, xl->path, pf->p_attempt);
    }
    t[h] = (double)k * pf->attempt_period_s / pf->duty_cycle;
    lrec[5] += (double)k;
    lrec[3] += 1;
    if (t[h] > T) T = t[h];
  }
  double cutoff = c->cfg->o->cutoff_s;
  if (nh > 1 && isfinite(cutoff)) {
    for (int changed = 1, rounds = 0; changed; rounds++) {
      if (rounds > 1000000)
        return tsr_error_set(err, TSR_ERR_VALUE,
                             "route %s: no pairs within the cutoff of %g s after 10^6 rounds",
                             xl->path, cutoff);
      changed = 0;
      for (uint32_t h = 0; h < nh; h++) {
        if (T - t[h] <= cutoff) continue;
        const tsr_link_performance *pf = &xl->hops[h].perf;
        uint64_t k = tsr_rng_geometric(c->rng, pf->p_attempt);
        t[h] = T + (double)k * pf->attempt_period_s / pf->duty_cycle; /* remade from T on */
        lrec[5] += (double)k;
        lrec[3] += 1;
        lrec[4] += 1;
        changed = 1;
        if (t[h] > T) T = t[h];
      }
    }
  }
  tsr_bell cur = xl->hops[0].perf.state;
  if (nh > 1) {
    tsr_status st = tsr_bell_decohere(&cur, &xl->hops[0].mem[0], T - t[0], &xl->hops[0].mem[1],
                                      T - t[0], &cur, err);
    for (uint32_t h = 1; h < nh && st == TSR_OK; h++) {
      tsr_bell b;
      st = tsr_bell_decohere(&xl->hops[h].perf.state, &xl->hops[h].mem[0], T - t[h],
                             &xl->hops[h].mem[1], T - t[h], &b, err);
      if (st == TSR_OK) st = tsr_bell_swap(&cur, &b, &xl->swap_noise[h - 1], &cur, err);
    }
    if (st == TSR_OK && xl->finish_s > 0)
      st = tsr_bell_decohere(&cur, &xl->end[0], xl->finish_s, &xl->end[1], xl->finish_s, &cur, err);
    if (st != TSR_OK) return st;
    T += xl->finish_s;
  }
  *state = cur;
  return tsr_time_from_seconds(T, latency, err);
}

/* -------------------------------------------------------------- events */

static tsr_status ev_end(tsr_engine *e, void *user, tsr_event_data d);

static tsr_status ev_start(tsr_engine *e, void *user, tsr_event_data d) {
  shot_ctx *c = user;
  tsr_error *err = tsr_engine_error(e);
  const tsr_exec *x = c->x;
  const run_cfg *cfg = c->cfg;
  const tsr_sim_backend *be = cfg->be;
  size_t i = (size_t)d.u64[0];
  const xop *o = &x->ops[i];
  tsr_time now = tsr_engine_now(e) - c->base;
  tsr_time dur = o->duration;
  c->start[i] = now;
  tsr_time t0 = c->t0_ready[i];
  if (cfg->o->timing == TSR_EXEC_TIMING_SCHEDULED && o->sched_start > t0) t0 = o->sched_start;
  c->t0_start[i] = t0;
  c->st = TSR_OK;
  int run = o->cond < 0 || cond_holds(c, o);
  const xmodule *xm = o->module >= 0 ? &x->mods[o->module] : NULL;
  /* Without virtual Z, a diagonal gate is a physical gate like any other. */
  xclass cls = o->cls == XC_VIRTUAL && !cfg->o->virtual_z ? XC_GATE : o->cls;
  switch (cls) {
  case XC_VIRTUAL:
    dur = 0;
    if (run) c->st = be->apply_gate(c->state, o->kind, o->sq, 1, o->params, err);
    break;
  case XC_GATE: {
    if (!run) break;
    double t[4] = {0, 0, 0, 0};
    for (uint32_t k = 0; k < o->nq; k++) t[k] = wait_time(c, o->sq[k], i, now);
    for (uint32_t k = 0; k < o->nq && c->st == TSR_OK; k++) c->st = relax(c, o->sq[k], t[k], err);
    if (c->st == TSR_OK) c->st = be->apply_gate(c->state, o->kind, o->sq, o->nq, o->params, err);
    if (c->st == TSR_OK && on(c, TSR_EXEC_NOISE_GATE(xm->modality))) {
      if (o->nq == 2 && xm->dep2) {
        int reps = o->kind == TSR_GATE_SWAP ? 3 : 1;
        for (int r = 0; r < reps && c->st == TSR_OK; r++) {
          c->st = be->apply_channel(c->state, xm->dep2, o->sq, c->rng, err);
          budget(c, xm->modality, xm->e2);
        }
      } else if (o->nq != 2 && xm->dep1) {
        for (uint32_t k = 0; k < o->nq && c->st == TSR_OK; k++)
          c->st = be->apply_channel(c->state, xm->dep1, &o->sq[k], c->rng, err);
        budget(c, xm->modality, o->nq == 1 ? xm->e1 : 1 - pow(1 - xm->e1, o->nq));
      }
    }
    for (uint32_t k = 0; k < o->nq; k++) {
      c->known[o->sq[k]] = -1;
      c->q_last[o->sq[k]] = now + dur;
      c->q_t0[o->sq[k]] = c->t0_start[i] + dur;
    }
    break;
  }
  case XC_MEASURE: {
    if (!run) break;
    uint32_t q = o->sq[0];
    c->st = decohere(c, q, i, now, err);
    c->q_last[q] = now + dur;
    c->q_t0[q] = c->t0_start[i] + dur;
    if (c->st != TSR_OK) break;
    if (cfg->state_mode && o->deferrable) {
      c->deferred[i] = 1;
      break;
    }
    int m = c->known[q];
    if (m < 0) c->st = be->measure(c->state, q, c->rng, &m, err);
    if (c->st != TSR_OK) break;
    c->known[q] = (int8_t)m;
    if (on(c, TSR_EXEC_NOISE_READOUT) && xm->p_readout > 0) {
      if (tsr_rng_uniform(c->rng) < xm->p_readout) m ^= 1;
      budget(c, XS_READOUT, xm->p_readout);
    }
    c->outcome[i] = (int8_t)m;
    break;
  }
  case XC_RESET: {
    if (!run) break;
    uint32_t q = o->sq[0];
    c->st = to_zero(c, q, err);
    if (c->st == TSR_OK && on(c, TSR_EXEC_NOISE_READOUT) && xm->p_reset > 0) {
      double pr[4] = {1 - xm->p_reset, xm->p_reset, 0, 0};
      int k = pauli_mix(c, q, pr, err);
      c->known[q] = (int8_t)(k < 0 ? -1 : (k == 1));
      budget(c, XS_READOUT, xm->p_reset);
    }
    c->q_last[q] = now + dur;
    c->q_t0[q] = c->t0_start[i] + dur;
    break;
  }
  case XC_EPR: {
    tsr_bell b;
    c->st = sample_pair(c, (uint32_t)o->link, &dur, &b, err);
    if (c->st != TSR_OK) break;
    uint32_t a = o->sq[0], bq = o->sq[1];
    if ((c->st = to_zero(c, a, err)) || (c->st = to_zero(c, bq, err)) ||
        (c->st = be->apply_gate(c->state, TSR_GATE_H, &a, 1, NULL, err)) ||
        (c->st = be->apply_gate(c->state, TSR_GATE_CX, o->sq, 2, NULL, err)))
      break;
    if (on(c, TSR_EXEC_NOISE_LINKS)) {
      pauli_mix(c, a, b.p, err);
      budget(c, XS_LINKS, 1 - b.p[0]);
    } else {
      b = tsr_bell_perfect();
    }
    c->known[a] = c->known[bq] = -1;
    c->q_last[a] = c->q_last[bq] = now + dur;
    c->q_t0[a] = c->q_t0[bq] = c->t0_start[i]; /* instantaneous */
    double *lrec = c->rec + PS_FIXED + PS_MOD * x->nmods + PS_LINK * (size_t)o->link;
    lrec[1] += secs(dur);
    lrec[2] += b.p[0];
    c->epr_fid[i] = b.p[0];
    break;
  }
  case XC_WAIT: /* decoheres over the time, as part of the next wait */
  case XC_BARRIER:
  case XC_MESSAGE:
    break;
  }
  if (c->st != TSR_OK) return c->st;
  return tsr_engine_schedule_in(e, dur, ev_end, c, d, NULL, err);
}

static tsr_status ev_end(tsr_engine *e, void *user, tsr_event_data d) {
  shot_ctx *c = user;
  const tsr_exec *x = c->x;
  size_t i = (size_t)d.u64[0];
  tsr_time now = tsr_engine_now(e) - c->base;
  c->end[i] = now;
  const xop *o = &x->ops[i];
  int serial = c->cfg->o->serialize_links;
  /* the end with an instantaneous network: pairs and messages take no time */
  tsr_time t0_end =
      c->t0_start[i] + (o->cls == XC_EPR || o->cls == XC_MESSAGE ? 0 : now - c->start[i]);
  for (size_t s = 0; s < o->nsucc; s++) {
    const xedge *ed = &x->succs[o->succ0 + s];
    if (ed->link_order && !serial) continue;
    tsr_time t = now + ed->delay;
    uint32_t j = ed->op;
    tsr_time t0 = t0_end + (ed->network ? 0 : ed->delay);
    if (t0 > c->t0_ready[j]) c->t0_ready[j] = t0;
    if (ed->network) {
      if (t > c->ready_net[j]) c->ready_net[j] = t;
    } else if (t > c->ready_local[j]) {
      c->ready_local[j] = t;
    }
    if (--c->remaining[j] == 0) {
      tsr_time at = c->ready_local[j] > c->ready_net[j] ? c->ready_local[j] : c->ready_net[j];
      if (c->cfg->o->timing == TSR_EXEC_TIMING_SCHEDULED && x->ops[j].sched_start > at)
        at = x->ops[j].sched_start;
      tsr_status st = tsr_engine_schedule(e, c->base + at, ev_start, c, tsr_event_u64(j, 0), NULL,
                                          tsr_engine_error(e));
      if (st != TSR_OK) return st;
    }
  }
  return TSR_OK;
}

/* ---------------------------------------------------------- per shot */

static int cmp_time(const void *a, const void *b) {
  tsr_time x = *(const tsr_time *)a, y = *(const tsr_time *)b;
  return (x > y) - (x < y);
}

/* Measure of the union of n intervals iv[2k], iv[2k+1] (sorted in place). */
static tsr_time union_measure(tsr_time *iv, size_t n) {
  if (n == 0) return 0;
  /* sort by start: pack pairs and sort pairs */
  qsort(iv, n, 2 * sizeof *iv, cmp_time);
  tsr_time total = 0, cs = iv[0], ce = iv[1];
  for (size_t k = 1; k < n; k++) {
    tsr_time s = iv[2 * k], e = iv[2 * k + 1];
    if (s > ce) {
      total += ce - cs;
      cs = s;
      ce = e;
    } else if (e > ce) {
      ce = e;
    }
  }
  return total + (ce - cs);
}

static int is_module_work(const xop *o, tsr_time start, tsr_time end) {
  return (o->cls == XC_GATE || o->cls == XC_VIRTUAL || o->cls == XC_WAIT || o->cls == XC_MEASURE ||
          o->cls == XC_RESET) &&
         end > start;
}

static void shot_stats(shot_ctx *c, tsr_time makespan) {
  const tsr_exec *x = c->x;
  for (uint32_t m = 0; m < x->nmods; m++) {
    size_t n = 0;
    for (size_t i = 0; i < x->nops; i++) {
      const xop *o = &x->ops[i];
      if (o->module != (int32_t)m || !is_module_work(o, c->start[i], c->end[i])) continue;
      c->iv[2 * n] = c->start[i];
      c->iv[2 * n + 1] = c->end[i];
      n++;
    }
    tsr_time busy = union_measure(c->iv, n);
    size_t nb = n;
    for (size_t i = 0; i < x->nops; i++) {
      const xop *o = &x->ops[i];
      if (o->module != (int32_t)m || o->cls == XC_EPR || o->cls == XC_MESSAGE) continue;
      if (!(c->ready_net[i] > c->ready_local[i]) || !(c->start[i] > c->ready_local[i])) continue;
      tsr_time to = c->start[i] < c->ready_net[i] ? c->start[i] : c->ready_net[i];
      c->iv[2 * n] = c->ready_local[i];
      c->iv[2 * n + 1] = to;
      n++;
    }
    tsr_time both = n > nb ? union_measure(c->iv, n) : busy;
    double *mr = c->rec + PS_FIXED + PS_MOD * m;
    mr[0] = secs(busy);
    mr[1] = secs(both - busy);
    mr[2] = secs(makespan - both);
  }
  for (uint32_t l = 0; l < x->nlinks; l++) {
    size_t n = 0;
    for (size_t i = 0; i < x->nops; i++) {
      if (x->ops[i].cls != XC_EPR || x->ops[i].link != (int32_t)l) continue;
      c->iv[2 * n] = c->start[i];
      c->iv[2 * n + 1] = c->end[i];
      n++;
    }
    c->rec[PS_FIXED + PS_MOD * x->nmods + PS_LINK * l] = secs(union_measure(c->iv, n));
  }
}

/* <psi| rho_logical |psi> of the current state. */
static tsr_status state_fidelity(shot_ctx *c, double *out, tsr_error *err) {
  const run_cfg *cfg = c->cfg;
  if (cfg->kind == TSR_BACKEND_DENSMAT) {
    tsr_densmat *red = tsr_densmat_partial_trace(c->state, c->x->final_sim, cfg->k, err);
    if (!red) return err->status;
    tsr_status st = tsr_densmat_fidelity_pure(red, cfg->psi_sv, out, err);
    tsr_densmat_free(red);
    return st;
  }
  const double *amp = tsr_statevec_data_const(c->state);
  uint64_t nl = UINT64_C(1) << cfg->k;
  double total = 0;
  for (uint64_t e = 0; e < cfg->nenv; e++) {
    double complex s = 0;
    uint64_t base = cfg->off_e[e];
    for (uint64_t l = 0; l < nl; l++) {
      uint64_t idx = base | cfg->off_l[l];
      s += conj(cfg->psi[l]) * CMPLX(amp[2 * idx], amp[2 * idx + 1]);
    }
    total += creal(s) * creal(s) + cimag(s) * cimag(s);
  }
  *out = total;
  return TSR_OK;
}

static tsr_status run_shot(shot_ctx *c, uint64_t shot, double *rec, uint64_t *row) {
  const tsr_exec *x = c->x;
  const run_cfg *cfg = c->cfg;
  tsr_error *err = &c->err;
  tsr_status st;
  c->rec = rec;
  memset(rec, 0, cfg->per_shot * sizeof *rec);
  if (cfg->kind == TSR_BACKEND_STATEVEC)
    st = tsr_statevec_set_basis(c->state, 0, err);
  else
    st = cfg->be->copy(c->state, c->zero, err);
  if (st != TSR_OK) return st;
  for (size_t i = 0; i < x->nops; i++) {
    c->remaining[i] = cfg->base_remaining[i];
    c->ready_local[i] = c->ready_net[i] = 0;
    c->t0_ready[i] = c->t0_start[i] = 0;
    c->start[i] = c->end[i] = -1;
    c->outcome[i] = 0;
    c->deferred[i] = 0;
  }
  for (uint32_t q = 0; q < x->nsim; q++) {
    c->q_last[q] = 0;
    c->q_t0[q] = 0;
    c->known[q] = 0;
  }
  /* One engine per thread, reused from shot to shot (its clock keeps
     running; times here are relative to the shot's start) with its
     generator reseeded to (seed, shot): the same draws as a fresh engine. */
  if (c->eng && tsr_engine_now(c->eng) > TSR_TIME_MAX / 4) {
    tsr_engine_free(c->eng);
    c->eng = NULL;
  }
  if (!c->eng) {
    if ((st = tsr_engine_new(&c->eng, cfg->o->seed, shot, err))) return st;
  } else {
    tsr_rng_seed(tsr_engine_rng(c->eng), cfg->o->seed, shot);
  }
  c->base = tsr_engine_now(c->eng);
  c->rng = tsr_engine_rng(c->eng);
  for (size_t i = 0; i < x->nops && st == TSR_OK; i++) {
    if (c->remaining[i]) continue;
    tsr_time at = cfg->o->timing == TSR_EXEC_TIMING_SCHEDULED ? x->ops[i].sched_start : 0;
    st = tsr_engine_schedule(c->eng, c->base + at, ev_start, c, tsr_event_u64(i, 0), NULL, err);
  }
  if (st == TSR_OK) st = tsr_engine_run(c->eng, err);
  tsr_time makespan = 0;
  for (size_t i = 0; i < x->nops && st == TSR_OK; i++) {
    if (c->end[i] < 0)
      st = tsr_error_set(err, TSR_ERR_INTERNAL, "operation %zu never ran (a dependency cycle?)", i);
    else if (c->end[i] > makespan)
      makespan = c->end[i];
  }
  if (st == TSR_OK && cfg->state_mode) {
    /* The state before the final measurements, then those measurements. */
    st = state_fidelity(c, &rec[PS_STATE_FID], err);
    for (size_t i = 0; i < x->nops && st == TSR_OK; i++) {
      if (!c->deferred[i]) continue;
      const xop *o = &x->ops[i];
      const xmodule *xm = &x->mods[o->module];
      int m = c->known[o->sq[0]];
      if (m < 0 && (st = cfg->be->measure(c->state, o->sq[0], c->rng, &m, err))) break;
      c->known[o->sq[0]] = (int8_t)m;
      if (on(c, TSR_EXEC_NOISE_READOUT) && xm->p_readout > 0) {
        if (tsr_rng_uniform(c->rng) < xm->p_readout) m ^= 1;
        budget(c, XS_READOUT, xm->p_readout);
      }
      c->outcome[i] = (int8_t)m;
    }
  }
  c->rng = NULL;
  if (st != TSR_OK) { /* events may be left: start afresh next time */
    tsr_engine_free(c->eng);
    c->eng = NULL;
    return st;
  }
  rec[PS_MAKESPAN] = secs(makespan);
  double logsum = 0;
  for (int s = 0; s < XS_COUNT; s++) logsum += rec[PS_LOGS + s];
  rec[PS_SURVIVAL] = exp(logsum);
  for (uint32_t w = 0; w < cfg->words; w++) row[w] = 0;
  for (uint32_t b = 0; b < x->nbits; b++) {
    int64_t wo = x->final_writer[b];
    if (wo >= 0 && c->outcome[wo]) row[b / 64] |= UINT64_C(1) << (b % 64);
  }
  shot_stats(c, makespan);
  return TSR_OK;
}

/* ------------------------------------------------------------- the shots */

typedef struct run_out {
  double *sums;      /* per_shot values summed over the shots, in order */
  double *makespans; /* [shots] */
  double est[XS_COUNT];
  uint64_t *rows; /* [shots * words] */
  tsr_count *counts;
  size_t ncounts;
  /* shot 0 */
  tsr_time *tl_start, *tl_end, *tl_ready_local, *tl_ready_net;
  double *tl_fid;
} run_out;

static void run_out_release(run_out *r) {
  free(r->sums);
  free(r->makespans);
  free(r->rows);
  for (size_t i = 0; i < r->ncounts; i++) free(r->counts[i].bits);
  free(r->counts);
  free(r->tl_start);
  free(r->tl_end);
  free(r->tl_ready_local);
  free(r->tl_ready_net);
  free(r->tl_fid);
  memset(r, 0, sizeof *r);
}

static void ctx_release(shot_ctx *c) {
  if (!c->cfg) return;
  if (c->state) c->cfg->be->destroy(c->state);
  if (c->zero) c->cfg->be->destroy(c->zero);
  free(c->remaining);
  free(c->ready_local);
  free(c->ready_net);
  free(c->start);
  free(c->end);
  free(c->outcome);
  free(c->deferred);
  free(c->q_last);
  free(c->q_t0);
  free(c->t0_ready);
  free(c->t0_start);
  free(c->known);
  free(c->epr_fid);
  free(c->acc);
  free(c->iv);
  tsr_engine_free(c->eng);
  memset(c, 0, sizeof *c);
}

static tsr_status ctx_init(shot_ctx *c, const tsr_exec *x, const run_cfg *cfg, int kernel_threads,
                           tsr_error *err) {
  memset(c, 0, sizeof *c);
  c->x = x;
  c->cfg = cfg;
  c->kthreads = kernel_threads > 0 ? kernel_threads : omp_get_max_threads();
  size_t n = x->nops + 1, q = (size_t)x->nsim + 1;
  c->remaining = tsr_malloc(n * sizeof *c->remaining, err);
  c->ready_local = tsr_malloc(n * sizeof(tsr_time), err);
  c->ready_net = tsr_malloc(n * sizeof(tsr_time), err);
  c->start = tsr_malloc(n * sizeof(tsr_time), err);
  c->end = tsr_malloc(n * sizeof(tsr_time), err);
  c->outcome = tsr_malloc(n, err);
  c->deferred = tsr_malloc(n, err);
  c->epr_fid = tsr_calloc(n, sizeof *c->epr_fid, err);
  c->iv = tsr_malloc(4 * n * sizeof(tsr_time), err);
  c->q_last = tsr_malloc(q * sizeof(tsr_time), err);
  c->q_t0 = tsr_malloc(q * sizeof(tsr_time), err);
  c->t0_ready = tsr_malloc(n * sizeof(tsr_time), err);
  c->t0_start = tsr_malloc(n * sizeof(tsr_time), err);
  c->known = tsr_malloc(q, err);
  if (!c->remaining || !c->ready_local || !c->ready_net || !c->start || !c->end || !c->outcome ||
      !c->deferred || !c->epr_fid || !c->iv || !c->q_last || !c->known || !c->q_t0 ||
      !c->t0_ready || !c->t0_start)
    return TSR_ERR_NOMEM;
  tsr_state_options so = cfg->sopt;
  so.threads = kernel_threads;
  unsigned nq = x->nsim ? x->nsim : 1;
  c->state = cfg->be->create(nq, &so, err);
  if (!c->state) return err->status ? err->status : TSR_ERR_NOMEM;
  if (cfg->kind != TSR_BACKEND_STATEVEC) {
    c->zero = cfg->be->create(nq, &so, err);
    if (!c->zero) return err->status ? err->status : TSR_ERR_NOMEM;
  }
  if (cfg->state_mode && cfg->kind == TSR_BACKEND_STATEVEC) {
    c->acc = tsr_malloc(cfg->nenv * sizeof *c->acc, err);
    if (!c->acc) return TSR_ERR_NOMEM;
  }
  return TSR_OK;
}

static int row_cmp(const uint64_t *x, const uint64_t *y, uint32_t words) {
  for (uint32_t w = words; w-- > 0;) {
    if (x[w] != y[w]) return x[w] < y[w] ? -1 : 1;
  }
  return 0;
}

static void merge_rows(uint64_t *idx, uint64_t *tmp, uint64_t n, const uint64_t *rows,
                       uint32_t words) {
  if (n < 2) return;
  uint64_t h = n / 2;
  merge_rows(idx, tmp, h, rows, words);
  merge_rows(idx + h, tmp, n - h, rows, words);
  uint64_t i = 0, j = h, k = 0;
  while (i < h && j < n)
    tmp[k++] =
        row_cmp(rows + idx[j] * words, rows + idx[i] * words, words) < 0 ? idx[j++] : idx[i++];
  while (i < h) tmp[k++] = idx[i++];
  while (j < n) tmp[k++] = idx[j++];
  memcpy(idx, tmp, n * sizeof *idx);
}

/* Sorts shots rows of `words` words (most significant word last). */
static tsr_status sort_rows(uint64_t *rows, uint64_t shots, uint32_t words, tsr_error *err) {
  if (words == 0 || shots < 2) return TSR_OK;
  uint64_t *idx = tsr_malloc(shots * sizeof *idx, err);
  uint64_t *tmp = tsr_malloc(shots * sizeof *tmp, err);
  uint64_t *sorted = tsr_malloc(shots * words * sizeof *sorted, err);
  if (!idx || !tmp || !sorted) {
    free(idx);
    free(tmp);
    free(sorted);
    return TSR_ERR_NOMEM;
  }
  for (uint64_t s = 0; s < shots; s++) idx[s] = s;
  merge_rows(idx, tmp, shots, rows, words);
  for (uint64_t s = 0; s < shots; s++)
    memcpy(sorted + s * words, rows + idx[s] * words, words * sizeof *rows);
  memcpy(rows, sorted, shots * words * sizeof *rows);
  free(idx);
  free(tmp);
  free(sorted);
  return TSR_OK;
}

static tsr_status make_counts(run_out *r, uint64_t shots, uint32_t words, uint32_t nbits,
                              tsr_error *err) {
  tsr_status st = sort_rows(r->rows, shots, words, err);
  if (st != TSR_OK) return st;
  size_t distinct = 0;
  for (uint64_t s = 0; s < shots; s++)
    if (s == 0 || (words && memcmp(r->rows + s * words, r->rows + (s - 1) * words,
                                   words * sizeof(uint64_t)) != 0))
      distinct++;
  r->counts = tsr_calloc(distinct ? distinct : 1, sizeof *r->counts, err);
  if (!r->counts) return TSR_ERR_NOMEM;
  for (uint64_t s = 0; s < shots; s++) {
    const uint64_t *row = r->rows + s * words;
    if (s > 0 &&
        (!words || memcmp(row, r->rows + (s - 1) * words, words * sizeof(uint64_t)) == 0)) {
      r->counts[r->ncounts - 1].count++;
      continue;
    }
    char *bits = tsr_malloc((size_t)nbits + 1, err);
    if (!bits) return TSR_ERR_NOMEM;
    for (uint32_t b = 0; b < nbits; b++)
      bits[nbits - 1 - b] = (row[b / 64] >> (b % 64)) & 1u ? '1' : '0';
    bits[nbits] = '\0';
    r->counts[r->ncounts].bits = bits;
    r->counts[r->ncounts].count = 1;
    r->ncounts++;
  }
  return TSR_OK;
}

static tsr_status run_shots(const tsr_exec *x, run_cfg *cfg, int threads, int parallel,
                            run_out *out, tsr_error *err) {
  memset(out, 0, sizeof *out);
  uint64_t shots = cfg->shots;
  size_t K = cfg->per_shot;
  uint64_t chunk = parallel ? (uint64_t)threads * 256 : 1;
  if (chunk > shots) chunk = shots;
  out->sums = tsr_calloc(K, sizeof *out->sums, err);
  out->makespans = tsr_malloc(shots * sizeof *out->makespans, err);
  out->rows = tsr_calloc(shots * (cfg->words ? cfg->words : 1), sizeof *out->rows, err);
  double *buf = tsr_malloc(chunk * K * sizeof *buf, err);
  int nctx = parallel ? threads : 1;
  shot_ctx *ctxs = tsr_calloc((size_t)nctx, sizeof *ctxs, err);
  if (cfg->record) {
    size_t n = x->nops + 1;
    out->tl_start = tsr_malloc(n * sizeof(tsr_time), err);
    out->tl_end = tsr_malloc(n * sizeof(tsr_time), err);
    out->tl_ready_local = tsr_malloc(n * sizeof(tsr_time), err);
    out->tl_ready_net = tsr_malloc(n * sizeof(tsr_time), err);
    out->tl_fid = tsr_malloc(n * sizeof(double), err);
    if (!out->tl_start || !out->tl_end || !out->tl_ready_local || !out->tl_ready_net ||
        !out->tl_fid) {
      free(buf);
      free(ctxs);
      return TSR_ERR_NOMEM;
    }
  }
  tsr_status st = TSR_OK;
  if (!out->sums || !out->makespans || !out->rows || !buf || !ctxs) st = TSR_ERR_NOMEM;
  for (int t = 0; t < nctx && st == TSR_OK; t++)
    st = ctx_init(&ctxs[t], x, cfg, parallel ? 1 : threads, err);
  volatile int failed = 0;
  uint64_t fail_shot = UINT64_MAX;
  for (uint64_t s0 = 0; s0 < shots && st == TSR_OK; s0 += chunk) {
    uint64_t s1 = s0 + chunk < shots ? s0 + chunk : shots;
#pragma omp parallel num_threads(nctx) if (parallel)
    {
      shot_ctx *c = &ctxs[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
      for (uint64_t s = s0; s < s1; s++) {
        if (failed) continue;
        tsr_error_clear(&c->err);
        tsr_status sst = run_shot(c, s, buf + (s - s0) * K, out->rows + s * cfg->words);
        if (sst == TSR_OK && s == 0 && cfg->record) {
          memcpy(out->tl_start, c->start, x->nops * sizeof(tsr_time));
          memcpy(out->tl_end, c->end, x->nops * sizeof(tsr_time));
          memcpy(out->tl_ready_local, c->ready_local, x->nops * sizeof(tsr_time));
          memcpy(out->tl_ready_net, c->ready_net, x->nops * sizeof(tsr_time));
          memcpy(out->tl_fid, c->epr_fid, x->nops * sizeof(double));
        }
        if (sst != TSR_OK) {
#pragma omp critical(tsr_exec_fail)
          {
            if (s < fail_shot) {
              fail_shot = s;
              if (err) *err = c->err;
              if (err && err->status == TSR_OK) err->status = sst;
            }
            failed = 1;
          }
        }
      }
    }
    if (failed) {
      st = err && err->status != TSR_OK ? err->status : TSR_ERR_INTERNAL;
      if (err) tsr_error_prefix(err, "shot %llu", (unsigned long long)fail_shot);
      break;
    }
    for (uint64_t s = s0; s < s1; s++) {
      const double *rec = buf + (s - s0) * K;
      for (size_t k = 0; k < K; k++) out->sums[k] += rec[k];
      for (int src = 0; src < XS_COUNT; src++) out->est[src] += -expm1(rec[PS_LOGS + src]);
      out->makespans[s] = rec[PS_MAKESPAN];
    }
    if (cfg->o->progress) cfg->o->progress(s1, shots, cfg->o->progress_user);
  }
  for (int t = 0; t < nctx && ctxs; t++) ctx_release(&ctxs[t]);
  free(ctxs);
  free(buf);
  if (st == TSR_OK) st = make_counts(out, shots, cfg->words, x->nbits, err);
  return st;
}

/* --------------------------------------------------------------- results */

static tsr_status make_stat(const double *v, uint64_t n, tsr_exec_stat *s, tsr_error *err) {
  double *sorted = tsr_malloc((n ? n : 1) * sizeof *sorted, err);
  if (!sorted) return TSR_ERR_NOMEM;
  memcpy(sorted, v, n * sizeof *v);
  tsr_sort_doubles(sorted, n);
  double sum = 0, sq = 0;
  for (uint64_t i = 0; i < n; i++) sum += v[i];
  double mean = n ? sum / (double)n : NAN;
  for (uint64_t i = 0; i < n; i++) sq += (v[i] - mean) * (v[i] - mean);
  s->mean = mean;
  s->std = n > 1 && sorted[n - 1] > sorted[0] ? sqrt(sq / (double)(n - 1)) : 0.0;
  if (n && sorted[n - 1] == sorted[0]) mean = s->mean = sorted[0];
  s->min = n ? sorted[0] : NAN;
  s->max = n ? sorted[n - 1] : NAN;
  s->p05 = tsr_quantile_sorted(sorted, n, 0.05);
  s->median = tsr_quantile_sorted(sorted, n, 0.5);
  s->p95 = tsr_quantile_sorted(sorted, n, 0.95);
  free(sorted);
  return TSR_OK;
}

void tsr_exec_result_free(tsr_exec_result *r) {
  if (!r) return;
  for (size_t i = 0; i < r->ncounts; i++) free(r->counts[i].bits);
  free(r->counts);
  free(r->modules);
  free(r->links);
  free(r->budget);
  free(r->lanes);
  free(r->timeline);
  free(r);
}

static const char *op_name(const tsr_exec *x, const xop *o) {
  (void)x;
  switch (o->cls) {
  case XC_EPR:
    return "epr";
  case XC_MESSAGE:
    return "msg";
  default: {
    const tsr_gate_info *gi = tsr_gate_get(o->kind);
    return gi ? gi->name : "?";
  }
  }
}

static tsr_status push_event(tsr_exec_result *r, size_t *cap, const tsr_exec_event *ev,
                             tsr_error *err) {
  if (r->ntimeline == *cap) {
    size_t c = *cap ? 2 * *cap : 256;
    tsr_exec_event *g = tsr_realloc(r->timeline, c, sizeof *g, err);
    if (!g) return TSR_ERR_NOMEM;
    r->timeline = g;
    *cap = c;
  }
  r->timeline[r->ntimeline++] = *ev;
  return TSR_OK;
}

static tsr_status make_timeline(const tsr_exec *x, const run_out *ro, tsr_exec_result *r,
                                tsr_error *err) {
  size_t cap = 0;
  tsr_status st = TSR_OK;
  for (size_t i = 0; i < x->nops && st == TSR_OK; i++) {
    const xop *o = &x->ops[i];
    if (o->cls == XC_BARRIER) continue;
    tsr_exec_event ev;
    memset(&ev, 0, sizeof ev);
    ev.lane = o->lane;
    ev.kind = o->cls == XC_EPR                               ? TSR_EXEC_EV_EPR
              : o->cls == XC_MESSAGE                         ? TSR_EXEC_EV_MESSAGE
              : (o->cls == XC_MEASURE || o->cls == XC_RESET) ? TSR_EXEC_EV_MEASURE
                                                             : TSR_EXEC_EV_GATE;
    snprintf(ev.name, sizeof ev.name, "%s", op_name(x, o));
    ev.start_s = secs(ro->tl_start[i]);
    ev.duration_s = secs(ro->tl_end[i] - ro->tl_start[i]);
    ev.op = o->prog;
    st = push_event(r, &cap, &ev, err);
  }
  /* Waiting for the network, merged per module. */
  tsr_time *iv = tsr_malloc((2 * x->nops + 2) * sizeof *iv, err);
  if (!iv) return TSR_ERR_NOMEM;
  for (uint32_t m = 0; m < x->nmods && st == TSR_OK; m++) {
    size_t n = 0;
    for (size_t i = 0; i < x->nops; i++) {
      const xop *o = &x->ops[i];
      if (o->module != (int32_t)m || o->cls == XC_EPR || o->cls == XC_MESSAGE) continue;
      tsr_time rl = ro->tl_ready_local[i], rn = ro->tl_ready_net[i], s = ro->tl_start[i];
      if (!(rn > rl) || !(s > rl)) continue;
      iv[2 * n] = rl;
      iv[2 * n + 1] = s < rn ? s : rn;
      n++;
    }
    qsort(iv, n, 2 * sizeof *iv, cmp_time);
    for (size_t k = 0; k < n && st == TSR_OK;) {
      tsr_time cs = iv[2 * k], ce = iv[2 * k + 1];
      size_t j = k + 1;
      while (j < n && iv[2 * j] <= ce) {
        if (iv[2 * j + 1] > ce) ce = iv[2 * j + 1];
        j++;
      }
      tsr_exec_event ev;
      memset(&ev, 0, sizeof ev);
      ev.lane = m;
      ev.kind = TSR_EXEC_EV_WAIT;
      snprintf(ev.name, sizeof ev.name, "wait");
      ev.start_s = secs(cs);
      ev.duration_s = secs(ce - cs);
      ev.op = -1;
      st = push_event(r, &cap, &ev, err);
      k = j;
    }
  }
  free(iv);
  return st;
}

static tsr_status first_non_clifford(const tsr_exec *x, tsr_error *err) {
  for (size_t i = 0; i < x->nops; i++) {
    const xop *o = &x->ops[i];
    if ((o->cls == XC_GATE || o->cls == XC_VIRTUAL) && !tsr_gate_is_clifford(o->kind, o->params))
      return tsr_error_set(err, TSR_ERR_UNSUPPORTED,
                           "the program is not Clifford (operation %lld: %s): the stabilizer "
                           "backend cannot run it",
                           (long long)o->prog, op_name(x, o));
  }
  return TSR_OK;
}

/* Sets up state-fidelity mode when it applies; otherwise says why not. */
static tsr_status setup_state_mode(const tsr_exec *x, run_cfg *cfg, const xideal *id, char *note,
                                   size_t size, tsr_error *err) {
  if (!id->has_state) {
    snprintf(note, size, "%s", id->state_note);
    return TSR_OK;
  }
  if (cfg->kind == TSR_BACKEND_STABILIZER) {
    snprintf(note, size, "not computed on the stabilizer backend");
    return TSR_OK;
  }
  if (x->nlogical != id->nqubits) {
    snprintf(note, size, "the program places %u logical qubits, the circuit has %u", x->nlogical,
             id->nqubits);
    return TSR_OK;
  }
  if (cfg->kind == TSR_BACKEND_STATEVEC && x->nsim > STATE_FID_MAX_SIM) {
    snprintf(note, size, "not computed: %u simulated qubits (at most %d)", x->nsim,
             STATE_FID_MAX_SIM);
    return TSR_OK;
  }
  uint64_t used = 0;
  for (uint32_t j = 0; j < x->nlogical; j++) {
    if (x->final_sim[j] >= 64 || (used >> x->final_sim[j]) & 1u) {
      snprintf(note, size, "not computed: logical qubits share a final qubit");
      return TSR_OK;
    }
    used |= UINT64_C(1) << x->final_sim[j];
  }
  for (size_t i = 0; i < x->nops; i++) {
    const xop *o = &x->ops[i];
    int64_t b = x->measured_all ? o->clbit - (int64_t)x->p->nclbits : o->clbit;
    if (o->cls == XC_MEASURE && b >= 0 && b < (int64_t)x->nbits && !o->deferrable) {
      snprintf(note, size, "not computed: the program reads a measured result before the end");
      return TSR_OK;
    }
  }
  uint32_t k = x->nlogical, n = x->nsim;
  cfg->k = k;
  cfg->psi = id->psi;
  if (cfg->kind == TSR_BACKEND_DENSMAT) {
    cfg->psi_sv = tsr_statevec_new(k, NULL, err);
    if (!cfg->psi_sv) return err->status;
    tsr_status st = tsr_statevec_set_amplitudes(cfg->psi_sv, id->psi, UINT64_C(1) << k, 1, err);
    if (st != TSR_OK) return st;
  } else {
    uint64_t nl = UINT64_C(1) << k;
    cfg->nenv = UINT64_C(1) << (n - k);
    cfg->off_l = tsr_malloc(nl * sizeof *cfg->off_l, err);
    cfg->off_e = tsr_malloc(cfg->nenv * sizeof *cfg->off_e, err);
    if (!cfg->off_l || !cfg->off_e) return TSR_ERR_NOMEM;
    for (uint64_t l = 0; l < nl; l++) {
      uint64_t v = 0;
      for (uint32_t j = 0; j < k; j++)
        if ((l >> j) & 1u) v |= UINT64_C(1) << x->final_sim[j];
      cfg->off_l[l] = v;
    }
    uint32_t env[64], ne = 0;
    for (uint32_t q = 0; q < n; q++)
      if (!((used >> q) & 1u)) env[ne++] = q;
    for (uint64_t e = 0; e < cfg->nenv; e++) {
      uint64_t v = 0;
      for (uint32_t j = 0; j < ne; j++)
        if ((e >> j) & 1u) v |= UINT64_C(1) << env[j];
      cfg->off_e[e] = v;
    }
  }
  cfg->state_mode = 1;
  snprintf(note, size, "mean over shots of <psi|rho|psi> on the %u logical qubits", k);
  return TSR_OK;
}

static void cfg_release(run_cfg *cfg) {
  free(cfg->base_remaining);
  free(cfg->off_l);
  free(cfg->off_e);
  tsr_statevec_free(cfg->psi_sv);
}

static uint64_t state_bytes(tsr_backend_kind k, uint32_t n) {
  if (k == TSR_BACKEND_STATEVEC) return tsr_statevec_bytes(n, TSR_PRECISION_DOUBLE);
  if (k == TSR_BACKEND_DENSMAT) return tsr_densmat_bytes(n);
  uint64_t w = ((uint64_t)2 * n + 63) / 64 + 1;
  return (uint64_t)n * w * 8 * 2 + 4096;
}

static tsr_status check_memory(const tsr_exec *x, run_cfg *cfg, int *threads, int *parallel,
                               tsr_error *err) {
  uint64_t bytes = state_bytes(cfg->kind, x->nsim);
  uint64_t copies = cfg->kind == TSR_BACKEND_STATEVEC ? 1 : 2;
  uint64_t limit = cfg->o->memory_limit ? cfg->o->memory_limit : tsr_memory_available_bytes();
  if (limit == 0) limit = UINT64_MAX;
  const char *what = cfg->kind == TSR_BACKEND_STATEVEC  ? "state vector"
                     : cfg->kind == TSR_BACKEND_DENSMAT ? "density matrix"
                                                        : "tableau";
  if (bytes == UINT64_MAX || bytes > limit / copies) {
    return tsr_error_set(err, TSR_ERR_LIMIT,
                         "the program touches %u qubits: a %s of %u qubits needs %.4g bytes, "
                         "%.4g available%s",
                         x->nsim, what, x->nsim, bytes == UINT64_MAX ? INFINITY : (double)bytes,
                         (double)limit,
                         x->clifford && cfg->kind != TSR_BACKEND_STABILIZER
                             ? " (the program is Clifford: try the stabilizer backend)"
                             : "");
  }
  *parallel = *threads > 1 && cfg->shots > 1 && bytes <= SHOT_PARALLEL_BYTES;
  if (*parallel) {
    uint64_t fit = limit / (bytes * copies);
    if ((uint64_t)*threads > fit) *threads = (int)(fit ? fit : 1);
    if ((uint64_t)*threads > cfg->shots) *threads = (int)cfg->shots;
    *parallel = *threads > 1;
  }
  cfg->sopt.precision = TSR_PRECISION_DOUBLE;
  cfg->sopt.memory_limit = cfg->o->memory_limit;
  return TSR_OK;
}

tsr_backend_kind tsr_exec_backend_for(const tsr_exec *x, const tsr_exec_options *o, double *work) {
  tsr_exec_options d;
  if (!o) {
    tsr_exec_options_default(&d);
    o = &d;
  }
  tsr_backend_kind k = o->backend;
  if (k == TSR_BACKEND_AUTO)
    k = x->clifford && x->nsim > AUTO_SV_SMALL ? TSR_BACKEND_STABILIZER : TSR_BACKEND_STATEVEC;
  if (work) {
    double n = x->nsim, entries = k == TSR_BACKEND_STATEVEC  ? ldexp(1.0, (int)x->nsim)
                                  : k == TSR_BACKEND_DENSMAT ? ldexp(1.0, 2 * (int)x->nsim)
                                                             : n * n / 32 + 1;
    *work = (double)o->shots * (double)x->nops * entries;
  }
  return k;
}

static tsr_status hellinger_of(const run_out *ro, const xideal *id, double *h) {
  *h = tsr__exec_hellinger_dist(ro->counts, ro->ncounts, &id->dist);
  return TSR_OK;
}

tsr_status tsr_exec_run(tsr_exec *x, const tsr_exec_options *opts, tsr_exec_result **out,
                        tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_exec_run: no output");
  *out = NULL;
  if (!x) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_exec_run: no executor");
  tsr_exec_options o;
  if (opts)
    o = *opts;
  else
    tsr_exec_options_default(&o);
  if (o.shots == 0) return tsr_error_set(err, TSR_ERR_VALUE, "shots must be at least 1");
  if (!(o.cutoff_s > 0))
    return tsr_error_set(err, TSR_ERR_VALUE, "cutoff %g s must be > 0", o.cutoff_s);
  if ((unsigned)o.timing > TSR_EXEC_TIMING_SCHEDULED)
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown timing %d", (int)o.timing);
  if (o.ideal_max_qubits == 0) o.ideal_max_qubits = 28;
  double t0 = tsr_wall_seconds();
  tsr_status st = TSR_OK;
  xideal ideal;
  memset(&ideal, 0, sizeof ideal);
  run_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  run_out ro;
  memset(&ro, 0, sizeof ro);
  tsr_exec_result *r = tsr_calloc(1, sizeof *r, err);
  if (!r) return TSR_ERR_NOMEM;
  if (o.source) {
    st = tsr__exec_ideal(o.source, o.shots, o.ideal_max_qubits, o.state_max_qubits, o.memory_limit,
                         &ideal, err);
    if (st != TSR_OK) goto fail;
  } else {
    snprintf(ideal.note, sizeof ideal.note, "no source circuit to compare with");
    snprintf(ideal.state_note, sizeof ideal.state_note, "no source circuit to compare with");
  }
  cfg.o = &o;
  cfg.noise = o.noise & TSR_EXEC_NOISE_ALL;
  cfg.shots = o.shots;
  int need_nonpauli =
      x->has_relaxation && (cfg.noise & (TSR_EXEC_NOISE_IDLE | TSR_EXEC_NOISE_NETWORK));
  cfg.kind = tsr_exec_backend_for(x, &o, NULL);
  if (cfg.kind == TSR_BACKEND_STABILIZER && (st = first_non_clifford(x, err))) goto fail;
  cfg.be = tsr_sim_backend_get(cfg.kind);
  if (!cfg.be) {
    st = tsr_error_set(err, TSR_ERR_VALUE, "unknown backend %d", (int)cfg.kind);
    goto fail;
  }
  cfg.twirl = cfg.kind == TSR_BACKEND_STABILIZER && need_nonpauli;
  int threads = o.threads > 0 ? o.threads : omp_get_max_threads(), parallel = 0;
  if ((st = check_memory(x, &cfg, &threads, &parallel, err))) goto fail;
  if ((st = setup_state_mode(x, &cfg, &ideal, r->state_note, sizeof r->state_note, err))) goto fail;
  cfg.record = o.record_timeline;
  cfg.words = (x->nbits + 63) / 64;
  cfg.per_shot = PS_FIXED + PS_MOD * (size_t)x->nmods + PS_LINK * (size_t)x->nlinks;
  cfg.base_remaining = tsr_malloc((x->nops + 1) * sizeof *cfg.base_remaining, err);
  if (!cfg.base_remaining) {
    st = TSR_ERR_NOMEM;
    goto fail;
  }
  for (size_t i = 0; i < x->nops; i++) {
    uint32_t n = 0;
    for (size_t e = 0; e < x->ops[i].npred; e++)
      if (o.serialize_links || !x->preds[x->ops[i].pred0 + e].link_order) n++;
    cfg.base_remaining[i] = n;
  }
  if ((st = run_shots(x, &cfg, threads, parallel, &ro, err))) goto fail;

  /* ---- the result */
  const tsr_program *p = x->p;
  double S = (double)o.shots;
  snprintf(r->machine, sizeof r->machine, "%s", x->arch->name);
  r->backend = cfg.kind;
  r->relaxation_twirled = cfg.twirl;
  r->shots = o.shots;
  r->seed = o.seed;
  r->noise = cfg.noise;
  r->program_qubits = p->nqubits;
  r->sim_qubits = x->nsim;
  r->nbits = x->nbits;
  r->measured_all = x->measured_all;
  r->counts = ro.counts;
  r->ncounts = ro.ncounts;
  ro.counts = NULL;
  ro.ncounts = 0;
  if (ideal.has_dist && ideal.nbits != x->nbits) {
    snprintf(r->hellinger_note, sizeof r->hellinger_note,
             "not computed: the program counts %u bits, the circuit %u", x->nbits, ideal.nbits);
  } else if (ideal.has_dist) {
    r->has_hellinger = 1;
    hellinger_of(&(run_out){.counts = r->counts, .ncounts = r->ncounts}, &ideal,
                 &r->hellinger_fidelity);
    snprintf(r->hellinger_note, sizeof r->hellinger_note, "%s", ideal.note);
  } else {
    snprintf(r->hellinger_note, sizeof r->hellinger_note, "%s", ideal.note);
  }
  if (cfg.state_mode) {
    r->has_state_fidelity = 1;
    r->state_fidelity = ro.sums[PS_STATE_FID] / S;
  }
  r->estimated_success = ro.sums[PS_SURVIVAL] / S;
  r->ebits = x->nepr;
  r->messages = x->nmessages;
  r->scheduled_makespan_s = x->scheduled_makespan_s;
  if ((st = make_stat(ro.makespans, o.shots, &r->makespan, err))) goto fail;
  r->modules = tsr_calloc((size_t)x->nmods + 1, sizeof *r->modules, err);
  r->links = tsr_calloc((size_t)x->nlinks + 1, sizeof *r->links, err);
  r->budget = tsr_calloc(XS_COUNT, sizeof *r->budget, err);
  if (!r->modules || !r->links || !r->budget) {
    st = TSR_ERR_NOMEM;
    goto fail;
  }
  r->nmodules = x->nmods;
  uint32_t modalities = 0;
  for (uint32_t m = 0; m < x->nmods; m++) {
    tsr_exec_module_stats *ms = &r->modules[m];
    snprintf(ms->name, sizeof ms->name, "%s", p->modules[m].name);
    ms->modality = x->mods[m].modality;
    for (uint32_t q = 0; q < x->nsim; q++)
      if (x->sim_module[q] == (int32_t)m) ms->qubits_used++;
    for (size_t i = 0; i < x->nops; i++) {
      const xop *op = &x->ops[i];
      if (op->module == (int32_t)m && op->cls != XC_EPR && op->cls != XC_MESSAGE &&
          op->cls != XC_BARRIER)
        ms->operations++;
    }
    const double *mr = ro.sums + PS_FIXED + PS_MOD * m;
    ms->busy_s = mr[0] / S;
    ms->network_wait_s = mr[1] / S;
    ms->idle_s = mr[2] / S;
    if (ms->operations) modalities |= 1u << ms->modality;
  }
  r->nlinks = x->nlinks;
  for (uint32_t l = 0; l < x->nlinks; l++) {
    tsr_exec_link_stats *ls = &r->links[l];
    const xlink *xl = &x->links[l];
    snprintf(ls->name, sizeof ls->name, "%s", p->links[l].name);
    snprintf(ls->path, sizeof ls->path, "%s", xl->override ? "(override)" : xl->path);
    ls->hops = xl->override ? 1 : xl->nhops;
    ls->overridden = xl->override;
    for (size_t i = 0; i < x->nops; i++)
      if (x->ops[i].cls == XC_EPR && x->ops[i].link == (int32_t)l) ls->pairs++;
    const double *lr = ro.sums + PS_FIXED + PS_MOD * x->nmods + PS_LINK * l;
    double pairs = (double)ls->pairs * S;
    ls->busy_s = lr[0] / S;
    ls->mean_latency_s = pairs > 0 ? lr[1] / pairs : NAN;
    ls->mean_fidelity = pairs > 0 ? lr[2] / pairs : NAN;
    ls->elementary_per_shot = lr[3] / S;
    ls->discarded_per_shot = lr[4] / S;
    ls->attempts_per_shot = lr[5] / S;
    ls->expected_latency_s = p->links[l].expected_latency_s;
    ls->expected_fidelity = p->links[l].fidelity;
    r->elementary_pairs += ls->elementary_per_shot;
    r->discarded_pairs += ls->discarded_per_shot;
  }
  for (int src = 0; src < XS_COUNT; src++) {
    tsr_exec_budget_entry b;
    memset(&b, 0, sizeof b);
    if (src < TSR_MODALITY_COUNT) {
      if (!((modalities >> src) & 1u)) continue;
      snprintf(b.source, sizeof b.source, "gates:%s", tsr_modality_name((tsr_modality)src));
      b.mask = TSR_EXEC_NOISE_GATE(src);
    } else {
      static const char *const names[] = {"idle", "network_wait", "links", "readout"};
      static const uint32_t masks[] = {TSR_EXEC_NOISE_IDLE, TSR_EXEC_NOISE_NETWORK,
                                       TSR_EXEC_NOISE_LINKS, TSR_EXEC_NOISE_READOUT};
      snprintf(b.source, sizeof b.source, "%s", names[src - TSR_MODALITY_COUNT]);
      b.mask = masks[src - TSR_MODALITY_COUNT];
    }
    b.events = ro.sums[PS_EVENTS + src] / S;
    b.estimate = ro.est[src] / S;
    b.ablation_hellinger = NAN;
    b.ablation_gain = NAN;
    r->budget[r->nbudget++] = b;
  }
  /* Lanes and shot 0's timeline. */
  int classical_used = 0;
  for (size_t i = 0; i < x->nops; i++)
    if (x->ops[i].cls == XC_MESSAGE && x->ops[i].lane == x->nlanes - 1) classical_used = 1;
  r->nlanes = x->nlanes - (classical_used ? 0 : 1);
  r->nmodule_lanes = x->nmods;
  r->lanes = tsr_calloc(r->nlanes + 1, sizeof *r->lanes, err);
  if (!r->lanes) {
    st = TSR_ERR_NOMEM;
    goto fail;
  }
  memcpy(r->lanes, x->lanes, r->nlanes * sizeof *r->lanes);
  if (cfg.record && (st = make_timeline(x, &ro, r, err))) goto fail;

  /* Ablation: each source off in turn, on ablation_shots shots. */
  if (o.ablation_shots > 0 && r->has_hellinger) {
    tsr_exec_options ao = o;
    ao.progress = NULL;
    ao.shots = o.ablation_shots;
    run_cfg ac = cfg;
    ac.o = &ao;
    ac.shots = ao.shots;
    ac.state_mode = 0;
    ac.record = 0;
    int at = o.threads > 0 ? o.threads : omp_get_max_threads(), apar = 0;
    if ((st = check_memory(x, &ac, &at, &apar, err))) goto fail;
    double base = r->hellinger_fidelity;
    if (ao.shots != o.shots) {
      run_out full;
      st = run_shots(x, &ac, at, apar, &full, err);
      if (st == TSR_OK) hellinger_of(&full, &ideal, &base);
      run_out_release(&full);
      if (st != TSR_OK) goto fail;
    }
    for (size_t k = 0; k < r->nbudget; k++) {
      tsr_exec_budget_entry *b = &r->budget[k];
      if (!(cfg.noise & b->mask)) continue;
      ac.noise = cfg.noise & ~b->mask;
      ac.twirl = cfg.twirl && x->has_relaxation &&
                 (ac.noise & (TSR_EXEC_NOISE_IDLE | TSR_EXEC_NOISE_NETWORK));
      run_out ab;
      st = run_shots(x, &ac, at, apar, &ab, err);
      if (st == TSR_OK) {
        hellinger_of(&ab, &ideal, &b->ablation_hellinger);
        b->ablation_gain = b->ablation_hellinger - base;
      }
      run_out_release(&ab);
      if (st != TSR_OK) goto fail;
    }
  }
  r->wall_s = tsr_wall_seconds() - t0;
  run_out_release(&ro);
  cfg_release(&cfg);
  tsr__exec_ideal_free(&ideal);
  *out = r;
  return TSR_OK;
fail:
  run_out_release(&ro);
  cfg_release(&cfg);
  tsr__exec_ideal_free(&ideal);
  tsr_exec_result_free(r);
  return st;
}
