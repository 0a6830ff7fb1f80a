/* The runner behind `tessera sim` and, later, the executor: turns a circuit
 * into a plan of steps for one backend, runs it, and counts the classical
 * outcomes.
 *
 * Plan. The circuit splits into a body and a suffix of final measurements
 * (measures and barriers after the last other operation; a circuit with no
 * measurement at all gets "measure every qubit" as its suffix). Body
 * operations become steps: gates (prepared kernels on the state vector),
 * fused blocks, channels from the noise model (after their gate; thermal
 * relaxation over gate durations and idle gaps of an as-soon-as-possible
 * schedule when the model has T1/T2), measurements with readout error, resets.
 * On the density matrix a noisy gate and its channels become one
 * superoperator, one pass over rho.
 *
 * Fusion (qsim's idea): runs of unconditioned, noiseless gates are merged
 * greedily into blocks on at most fusion_max_qubits qubits; each block is one
 * matrix, which the kernel analysis still recognises as diagonal or as a
 * permutation when it is one.
 *
 * Execution. Steps up to the first random one (a measurement, a reset or a
 * sampled channel) run once. If none is random, every shot is sampled from
 * that one final state. Otherwise each shot copies that state and runs the
 * rest with its own generator (seed, stream = shot index), in parallel over
 * shots for small states; the final measurements are then one sample of the
 * shot's state. Results do not depend on the thread count. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

#define MAXQ         16
#define READOUT_SALT UINT64_C(0x7265616430757421)
#define FINAL_SALT   UINT64_C(0x66696e616c3a3a31)

typedef enum step_kind {
  ST_GATE,
  ST_MATRIX,
  ST_SUPEROP,
  ST_CHANNEL,
  ST_MEASURE,
  ST_RESET,
  ST_BLOCKED /* a run of state-vector kernels applied one cache block at a time */
} step_kind;

typedef struct step {
  step_kind kind;
  size_t op;    /* circuit operation (for messages) */
  int64_t cond; /* condition index or -1 */
  tsr_gate gate;
  const double *params;
  uint32_t nq;
  uint32_t q[MAXQ];
  double complex *matrix; /* ST_MATRIX: 4^nq; ST_SUPEROP: 16^nq (owned) */
  int has_sv;
  svk_op sv;
  const tsr_channel *ch;
  int64_t clbit;
  int random;
  svk_op *sub; /* ST_BLOCKED: kernels on local qubits, owned */
  size_t nsub;
  uint32_t bq[SVK_BLOCK_QUBITS]; /* ST_BLOCKED: the block's sorted qubits */
  unsigned bm;
} step;

/* A gate as the fuser sees it (a gr op becomes one r per operand). */
typedef struct vgate {
  size_t op;
  tsr_gate kind;
  const double *params;
  uint32_t nq;
  uint32_t q[MAXQ];
} vgate;

typedef struct block {
  uint32_t nq;
  uint32_t q[MAXQ];
  size_t *gates; /* indices into the plan's vgate list */
  size_t ngates, cap;
  int open;
} block;

typedef struct plan {
  const tsr_circuit *c;
  const tsr_sim_options *o;
  const tsr_sim_backend *be;
  tsr_backend_kind kind;
  unsigned n;
  step *steps;
  size_t nsteps, scap;
  tsr_channel **owned;
  size_t nowned, ocap;
  vgate *vg;
  size_t nvg, vgcap;
  block *blocks;
  size_t nblocks, bcap;
  int64_t *qowner;   /* open block per qubit or -1 */
  uint8_t *terminal; /* per op: a final measurement */
  /* final measurements: qubit -> bit */
  uint32_t *fq, *fb;
  size_t nfinal;
  int measured_all;
  uint32_t nbits;
  double *clock; /* per-qubit time, for relaxation */
} plan;

static void describe_op(const tsr_circuit *c, size_t i, char *buf, size_t size) {
  const tsr_op *op = &c->ops[i];
  const tsr_gate_info *info = tsr_gate_get(op->kind);
  int len = snprintf(buf, size, "op %zu (%s", i + 1,
                     op->kind == TSR_GATE_OPAQUE && op->name ? op->name
                     : info                                  ? info->name
                                                             : "?");
  for (uint32_t j = 0; j < op->nqubits && len > 0 && (size_t)len < size; j++) {
    uint32_t off = 0;
    const tsr_register *r = tsr_circuit_qubit_register(c, op->qubits[j], &off);
    len += snprintf(buf + len, size - (size_t)len, "%s%s[%u]", j ? ", " : " ", r ? r->name : "q",
                    r ? off : op->qubits[j]);
  }
  if (len > 0 && (size_t)len < size) snprintf(buf + len, size - (size_t)len, ")");
}

static tsr_status op_error(const plan *p, size_t i, tsr_error *err) {
  char where[256];
  describe_op(p->c, i, where, sizeof where);
  tsr_error_prefix(err, "%s", where);
  return err ? err->status : TSR_ERR_VALUE;
}

/* ------------------------------------------------------------ plan growth */

static step *add_step(plan *p, tsr_error *err) {
  if (p->nsteps == p->scap) {
    size_t cap = p->scap ? 2 * p->scap : 64;
    step *s = tsr_realloc(p->steps, cap, sizeof *s, err);
    if (!s) return NULL;
    p->steps = s;
    p->scap = cap;
  }
  step *s = &p->steps[p->nsteps++];
  memset(s, 0, sizeof *s);
  s->cond = -1;
  s->clbit = -1;
  return s;
}

static tsr_status own_channel(plan *p, tsr_channel *ch, tsr_error *err) {
  if (p->nowned == p->ocap) {
    size_t cap = p->ocap ? 2 * p->ocap : 16;
    tsr_channel **o = tsr_realloc(p->owned, cap, sizeof *o, err);
    if (!o) {
      tsr_channel_free(ch);
      return err ? err->status : TSR_ERR_NOMEM;
    }
    p->owned = o;
    p->ocap = cap;
  }
  p->owned[p->nowned++] = ch;
  return TSR_OK;
}

static void plan_free(plan *p) {
  for (size_t i = 0; i < p->nsteps; i++) {
    free(p->steps[i].matrix);
    if (p->steps[i].has_sv) svk_op_release(&p->steps[i].sv);
    for (size_t k = 0; k < p->steps[i].nsub; k++) svk_op_release(&p->steps[i].sub[k]);
    free(p->steps[i].sub);
  }
  free(p->steps);
  for (size_t i = 0; i < p->nowned; i++) tsr_channel_free(p->owned[i]);
  free(p->owned);
  free(p->vg);
  for (size_t i = 0; i < p->nblocks; i++) free(p->blocks[i].gates);
  free(p->blocks);
  free(p->qowner);
  free(p->terminal);
  free(p->fq);
  free(p->fb);
  free(p->clock);
}

/* ------------------------------------------------------------ noise hooks */

typedef struct chan_ref {
  const tsr_channel *ch;
  uint32_t nq;
  uint32_t q[MAXQ];
} chan_ref;

typedef struct chan_list {
  chan_ref items[64];
  size_t n;
} chan_list;

static tsr_status collect_channel(const tsr_channel *ch, const uint32_t *operands, uint32_t nops,
                                  void *user) {
  chan_list *l = user;
  if (l->n == sizeof l->items / sizeof l->items[0] || nops > MAXQ) return TSR_ERR_LIMIT;
  l->items[l->n].ch = ch;
  l->items[l->n].nq = nops;
  memcpy(l->items[l->n].q, operands, nops * sizeof *operands);
  l->n++;
  return TSR_OK;
}

/* Thermal relaxation of qubit q over dt seconds (appended to list, owned by
 * the plan); nothing when the model has no T1/T2 for q or dt is 0. */
static tsr_status relax(plan *p, uint32_t q, double dt, chan_list *l, tsr_error *err) {
  const tsr_noise_model *nm = p->o->noise;
  double t1, t2;
  if (!nm || !(dt > 0) || !tsr_noise_model_relaxation(nm, q, &t1, &t2)) return TSR_OK;
  tsr_channel *ch = tsr_channel_thermal_relaxation(t1, t2, dt, err);
  if (!ch) return err ? err->status : TSR_ERR_VALUE;
  tsr_status st = own_channel(p, ch, err);
  if (st != TSR_OK) return st;
  if (l->n == sizeof l->items / sizeof l->items[0]) {
    return tsr_error_set(err, TSR_ERR_LIMIT, "too many channels after one gate");
  }
  l->items[l->n].ch = ch;
  l->items[l->n].nq = 1;
  l->items[l->n].q[0] = q;
  l->n++;
  return TSR_OK;
}

/* Idle relaxation of the operands up to the op's start, and the op's own
 * duration, from the ASAP schedule. */
static tsr_status schedule_op(plan *p, const tsr_op *op, chan_list *before, chan_list *after,
                              tsr_error *err) {
  const tsr_noise_model *nm = p->o->noise;
  if (!nm || !p->clock) return TSR_OK;
  double start = 0;
  for (uint32_t j = 0; j < op->nqubits; j++) {
    if (p->clock[op->qubits[j]] > start) start = p->clock[op->qubits[j]];
  }
  const double d = op->kind == TSR_OP_BARRIER ? 0 : tsr_noise_model_duration(nm, op->kind);
  for (uint32_t j = 0; j < op->nqubits; j++) {
    const uint32_t q = op->qubits[j];
    if (op->kind != TSR_OP_BARRIER) {
      tsr_status st = relax(p, q, start - p->clock[q], before, err);
      if (st == TSR_OK && op->kind != TSR_OP_MEASURE) st = relax(p, q, d, after, err);
      if (st != TSR_OK) return st;
      p->clock[q] = start + d;
    } else {
      p->clock[q] = start; /* barriers align their qubits; the idle time is charged later */
    }
  }
  return TSR_OK;
}

/* ---------------------------------------------------------- step emission */

/* Prepares the kernels of step si from its matrix m. State vector: one
 * analysed op. Density matrix (a state vector of 2n qubits): U on the row
 * qubits and conj(U) on the column qubits q + n, as one superoperator op for
 * a dense 1-qubit gate, else as this step and one more. */
static tsr_status prepare_sv(plan *p, size_t si, const double complex *m, tsr_error *err) {
  step *s = &p->steps[si];
  tsr_status st = svk_analyse(m, s->q, s->nq, &s->sv, err);
  if (st != TSR_OK) return st;
  s->has_sv = 1;
  if (p->kind != TSR_BACKEND_DENSMAT || s->sv.kind == SVK_IDENTITY) return TSR_OK;
  const unsigned n = p->n, k = s->nq;
  const size_t d = (size_t)1 << k;
  uint32_t qq[2 * MAXQ];
  for (unsigned j = 0; j < k; j++) {
    qq[j] = s->q[j];
    qq[j + k] = s->q[j] + n;
  }
  if (s->sv.kind == SVK_DENSE1 && s->sv.cmask == 0) {
    double complex sup[16];
    for (int rp = 0; rp < 2; rp++) {
      for (int cp = 0; cp < 2; cp++) {
        for (int r = 0; r < 2; r++) {
          for (int c = 0; c < 2; c++) {
            sup[(rp + 2 * cp) * 4 + (r + 2 * c)] = m[rp * 2 + r] * conj(m[cp * 2 + c]);
          }
        }
      }
    }
    svk_op_release(&s->sv);
    s->has_sv = 0;
    st = svk_analyse(sup, qq, 2, &s->sv, err);
    if (st == TSR_OK) s->has_sv = 1;
    return st;
  }
  double complex *cm = tsr_malloc(d * d * sizeof *cm, err);
  if (!cm) return err ? err->status : TSR_ERR_NOMEM;
  for (size_t e = 0; e < d * d; e++) cm[e] = conj(m[e]);
  svk_op col;
  st = svk_analyse(cm, qq + k, k, &col, err);
  free(cm);
  if (st != TSR_OK) return st;
  const step copy = p->steps[si];
  step *t = add_step(p, err); /* may move the steps */
  if (!t) {
    svk_op_release(&col);
    return err ? err->status : TSR_ERR_NOMEM;
  }
  *t = copy;
  t->matrix = NULL;
  t->sv = col;
  memcpy(t->q, qq + k, k * sizeof *qq);
  return TSR_OK;
}

static tsr_status gate_matrix(plan *p, const vgate *g, double complex *m, tsr_error *err) {
  return sim_gate_matrix(g->kind, g->q, g->nq, g->params, p->n, m, err);
}

static tsr_status emit_gate(plan *p, const vgate *g, int64_t cond, tsr_error *err) {
  if (g->kind == TSR_GATE_ID || g->kind == TSR_GATE_U0) return TSR_OK;
  step *s = add_step(p, err);
  if (!s) return err ? err->status : TSR_ERR_NOMEM;
  s->kind = ST_GATE;
  s->op = g->op;
  s->cond = cond;
  s->gate = g->kind;
  s->params = g->params;
  s->nq = g->nq;
  memcpy(s->q, g->q, g->nq * sizeof *g->q);
  if (p->kind == TSR_BACKEND_STATEVEC || p->kind == TSR_BACKEND_DENSMAT) {
    const size_t si = p->nsteps - 1;
    double complex buf[1024];
    double complex *m = buf;
    if (g->nq > 5) {
      m = tsr_malloc(((size_t)1 << (2 * g->nq)) * sizeof *m, err);
      if (!m) return err ? err->status : TSR_ERR_NOMEM;
    }
    tsr_status st = gate_matrix(p, g, m, err);
    if (st == TSR_OK) st = prepare_sv(p, si, m, err);
    if (m != buf) free(m);
    return st;
  }
  if (p->kind == TSR_BACKEND_STABILIZER && !tsr_gate_is_clifford(g->kind, g->params)) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "gate %s is not a Clifford gate: the stabilizer backend cannot run this "
                         "circuit (use --backend sv or auto)",
                         tsr_gate_get(g->kind)->name);
  }
  return TSR_OK;
}

/* m (4^k, on qubits bq[0..k)) <- G m for gate g on a subset of bq. */
static tsr_status left_multiply(plan *p, double complex *m, const uint32_t *bq, uint32_t k,
                                const vgate *g, tsr_error *err) {
  double complex gm[1 << 10];
  if (g->nq > 5) return tsr_error_set(err, TSR_ERR_INTERNAL, "fused gate too wide");
  tsr_status st = gate_matrix(p, g, gm, err);
  if (st != TSR_OK) return st;
  unsigned slot[MAXQ];
  uint64_t smask = 0;
  for (uint32_t j = 0; j < g->nq; j++) {
    for (uint32_t b = 0; b < k; b++) {
      if (bq[b] == g->q[j]) slot[j] = b;
    }
    smask |= UINT64_C(1) << slot[j];
  }
  const uint64_t d = UINT64_C(1) << k, dg = UINT64_C(1) << g->nq;
  double complex col[64], out[64];
  for (uint64_t c = 0; c < d; c++) {
    for (uint64_t r = 0; r < d; r++) col[r] = m[r * d + c];
    for (uint64_t r = 0; r < d; r++) {
      uint64_t lr = 0;
      for (uint32_t j = 0; j < g->nq; j++) lr |= ((r >> slot[j]) & 1) << j;
      double complex s = 0;
      for (uint64_t lc = 0; lc < dg; lc++) {
        uint64_t rr = r & ~smask;
        for (uint32_t j = 0; j < g->nq; j++) rr |= ((lc >> j) & 1) << slot[j];
        s += gm[lr * dg + lc] * col[rr];
      }
      out[r] = s;
    }
    for (uint64_t r = 0; r < d; r++) m[r * d + c] = out[r];
  }
  return TSR_OK;
}

static tsr_status emit_block(plan *p, block *b, tsr_error *err) {
  tsr_status st = TSR_OK;
  b->open = 0;
  if (b->ngates == 0) return TSR_OK;
  if (b->ngates == 1) {
    st = emit_gate(p, &p->vg[b->gates[0]], -1, err);
    if (st != TSR_OK) return op_error(p, p->vg[b->gates[0]].op, err);
    return TSR_OK;
  }
  const uint32_t k = b->nq;
  const size_t d = (size_t)1 << k;
  double complex *m = tsr_calloc(d * d, sizeof *m, err);
  if (!m) return err ? err->status : TSR_ERR_NOMEM;
  for (size_t i = 0; i < d; i++) m[i * d + i] = 1;
  for (size_t i = 0; i < b->ngates && st == TSR_OK; i++) {
    st = left_multiply(p, m, b->q, k, &p->vg[b->gates[i]], err);
    if (st != TSR_OK) st = op_error(p, p->vg[b->gates[i]].op, err);
  }
  step *s = st == TSR_OK ? add_step(p, err) : NULL;
  if (!s) {
    free(m);
    return st != TSR_OK ? st : (err ? err->status : TSR_ERR_NOMEM);
  }
  s->kind = ST_MATRIX;
  s->op = p->vg[b->gates[0]].op;
  s->nq = k;
  memcpy(s->q, b->q, k * sizeof *b->q);
  s->matrix = m;
  if (p->kind == TSR_BACKEND_STATEVEC || p->kind == TSR_BACKEND_DENSMAT) {
    st = prepare_sv(p, p->nsteps - 1, m, err);
  }
  return st;
}

static tsr_status flush_blocks(plan *p, tsr_error *err) {
  for (size_t i = 0; i < p->nblocks; i++) {
    if (!p->blocks[i].open) continue;
    for (uint32_t j = 0; j < p->blocks[i].nq; j++) p->qowner[p->blocks[i].q[j]] = -1;
    tsr_status st = emit_block(p, &p->blocks[i], err);
    if (st != TSR_OK) return st;
  }
  for (size_t i = 0; i < p->nblocks; i++) free(p->blocks[i].gates);
  p->nblocks = 0;
  return TSR_OK;
}

static tsr_status block_add_gate(block *b, size_t g, tsr_error *err) {
  if (b->ngates == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 8;
    size_t *v = tsr_realloc(b->gates, cap, sizeof *v, err);
    if (!v) return err ? err->status : TSR_ERR_NOMEM;
    b->gates = v;
    b->cap = cap;
  }
  b->gates[b->ngates++] = g;
  return TSR_OK;
}

/* Feeds a fusible gate to the greedy fuser. */
static tsr_status fuse_gate(plan *p, const vgate *g, tsr_error *err) {
  const uint32_t maxk = p->o->fusion_max_qubits;
  if (p->nvg == p->vgcap) {
    size_t cap = p->vgcap ? 2 * p->vgcap : 64;
    vgate *v = tsr_realloc(p->vg, cap, sizeof *v, err);
    if (!v) return err ? err->status : TSR_ERR_NOMEM;
    p->vg = v;
    p->vgcap = cap;
  }
  const size_t gi = p->nvg;
  p->vg[p->nvg++] = *g;
  /* the open blocks g touches, and the union of their qubits */
  int64_t touched[MAXQ];
  size_t nt = 0;
  uint32_t uq[2 * MAXQ + MAXQ];
  uint32_t nu = 0;
  for (uint32_t j = 0; j < g->nq; j++) {
    const int64_t b = p->qowner[g->q[j]];
    int seen = 0;
    for (size_t t = 0; t < nt; t++) seen |= touched[t] == b;
    if (b >= 0 && !seen) touched[nt++] = b;
  }
  for (size_t t = 0; t < nt; t++) {
    const block *b = &p->blocks[touched[t]];
    for (uint32_t j = 0; j < b->nq && nu < sizeof uq / sizeof uq[0]; j++) uq[nu++] = b->q[j];
  }
  for (uint32_t j = 0; j < g->nq; j++) {
    if (p->qowner[g->q[j]] < 0) uq[nu++] = g->q[j];
  }
  if (nu <= maxk && nt > 0) {
    /* merge the touched blocks into the first and add g */
    block *dst = &p->blocks[touched[0]];
    for (size_t t = 1; t < nt; t++) {
      block *src = &p->blocks[touched[t]];
      for (size_t i = 0; i < src->ngates; i++) {
        tsr_status st = block_add_gate(dst, src->gates[i], err);
        if (st != TSR_OK) return st;
      }
      src->ngates = 0;
      src->open = 0;
    }
    /* gates of merged blocks act on disjoint qubits, so their relative order
       is free; keep them sorted by plan order anyway */
    for (size_t a = 1; a < dst->ngates; a++) {
      size_t v = dst->gates[a], c = a;
      while (c > 0 && dst->gates[c - 1] > v) {
        dst->gates[c] = dst->gates[c - 1];
        c--;
      }
      dst->gates[c] = v;
    }
    dst->nq = nu;
    memcpy(dst->q, uq, nu * sizeof *uq);
    for (uint32_t j = 0; j < nu; j++) p->qowner[uq[j]] = touched[0];
    return block_add_gate(dst, gi, err);
  }
  /* close the touched blocks, start a new one */
  for (size_t t = 0; t < nt; t++) {
    block *b = &p->blocks[touched[t]];
    for (uint32_t j = 0; j < b->nq; j++) p->qowner[b->q[j]] = -1;
    tsr_status st = emit_block(p, b, err);
    if (st != TSR_OK) return st;
  }
  if (p->nblocks == p->bcap) {
    size_t cap = p->bcap ? 2 * p->bcap : 64;
    block *v = tsr_realloc(p->blocks, cap, sizeof *v, err);
    if (!v) return err ? err->status : TSR_ERR_NOMEM;
    p->blocks = v;
    p->bcap = cap;
  }
  block *b = &p->blocks[p->nblocks];
  memset(b, 0, sizeof *b);
  b->open = 1;
  b->nq = g->nq;
  memcpy(b->q, g->q, g->nq * sizeof *g->q);
  for (uint32_t j = 0; j < g->nq; j++) p->qowner[g->q[j]] = (int64_t)p->nblocks;
  p->nblocks++;
  return block_add_gate(b, gi, err);
}

static tsr_status emit_channel(plan *p, size_t op, const chan_ref *c, tsr_error *err) {
  if (tsr_channel_is_identity(c->ch)) return TSR_OK;
  if (p->kind == TSR_BACKEND_STABILIZER && !tsr_channel_is_pauli(c->ch, NULL)) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "noise channel '%s' is not a Pauli channel: the stabilizer backend "
                         "cannot apply it (use --backend sv, dm or auto)",
                         tsr_channel_name(c->ch));
  }
  step *s = add_step(p, err);
  if (!s) return err ? err->status : TSR_ERR_NOMEM;
  s->kind = ST_CHANNEL;
  s->op = op;
  s->ch = c->ch;
  s->nq = c->nq;
  memcpy(s->q, c->q, c->nq * sizeof *c->q);
  s->random = p->kind != TSR_BACKEND_DENSMAT;
  return TSR_OK;
}

/* Superoperator of a k-qubit channel given on a subset of gq (4^k x 4^k). */
static tsr_status channel_superop_on(const chan_ref *c, const uint32_t *gq, uint32_t k,
                                     double complex *s, tsr_error *err) {
  unsigned slot[MAXQ];
  for (uint32_t j = 0; j < c->nq; j++) {
    slot[j] = MAXQ;
    for (uint32_t b = 0; b < k; b++) {
      if (gq[b] == c->q[j]) slot[j] = b;
    }
    if (slot[j] == MAXQ) return tsr_error_set(err, TSR_ERR_INTERNAL, "channel outside its gate");
  }
  tsr_channel *e = sim_channel_embed(c->ch, k, slot, err);
  if (!e) return err ? err->status : TSR_ERR_NOMEM;
  tsr_channel_superop(e, s);
  tsr_channel_free(e);
  return TSR_OK;
}

static void matmul(const double complex *a, const double complex *b, double complex *out,
                   size_t d) {
  for (size_t r = 0; r < d; r++) {
    for (size_t c = 0; c < d; c++) {
      double complex s = 0;
      for (size_t t = 0; t < d; t++) s += a[r * d + t] * b[t * d + c];
      out[r * d + c] = s;
    }
  }
}

/* Density matrix: the gate between its channels as one superoperator. */
static tsr_status emit_dm_superop(plan *p, const vgate *g, int64_t cond, const chan_list *before,
                                  const chan_list *after, tsr_error *err) {
  const uint32_t k = g->nq;
  const size_t d = (size_t)1 << k, ds = d * d;
  double complex *u = tsr_malloc(d * d * sizeof *u, err);
  double complex *s = tsr_calloc(ds * ds, sizeof *s, err);
  double complex *c = tsr_malloc(ds * ds * sizeof *c, err);
  double complex *t = tsr_malloc(ds * ds * sizeof *t, err);
  tsr_status st = TSR_OK;
  if (!u || !s || !c || !t) {
    st = err ? err->status : TSR_ERR_NOMEM;
    goto done;
  }
  if (g->kind == TSR_GATE_ID || g->kind == TSR_GATE_U0) {
    memset(u, 0, d * d * sizeof *u);
    for (size_t i = 0; i < d; i++) u[i * d + i] = 1;
  } else {
    st = gate_matrix(p, g, u, err);
    if (st != TSR_OK) goto done;
  }
  /* S_U: (r', c') <- (r, c) is U[r'][r] conj(U[c'][c]) */
  for (size_t rp = 0; rp < d; rp++) {
    for (size_t cp = 0; cp < d; cp++) {
      for (size_t r = 0; r < d; r++) {
        for (size_t cc = 0; cc < d; cc++) {
          s[(rp + cp * d) * ds + (r + cc * d)] = u[rp * d + r] * conj(u[cp * d + cc]);
        }
      }
    }
  }
  for (size_t i = 0; i < before->n && st == TSR_OK; i++) { /* s <- s * C */
    st = channel_superop_on(&before->items[i], g->q, k, c, err);
    if (st == TSR_OK) {
      matmul(s, c, t, ds);
      memcpy(s, t, ds * ds * sizeof *s);
    }
  }
  for (size_t i = 0; i < after->n && st == TSR_OK; i++) { /* s <- C * s */
    st = channel_superop_on(&after->items[i], g->q, k, c, err);
    if (st == TSR_OK) {
      matmul(c, s, t, ds);
      memcpy(s, t, ds * ds * sizeof *s);
    }
  }
  if (st != TSR_OK) goto done;
  step *sp = add_step(p, err);
  if (!sp) {
    st = err ? err->status : TSR_ERR_NOMEM;
    goto done;
  }
  sp->kind = ST_SUPEROP;
  sp->op = g->op;
  sp->cond = cond;
  sp->nq = k;
  memcpy(sp->q, g->q, k * sizeof *g->q);
  sp->matrix = s;
  s = NULL;
  {
    uint32_t qq[2 * MAXQ];
    for (uint32_t j = 0; j < k; j++) {
      qq[j] = g->q[j];
      qq[j + k] = g->q[j] + p->n;
    }
    st = svk_analyse(sp->matrix, qq, 2 * k, &sp->sv, err);
    if (st != TSR_OK) goto done;
    sp->has_sv = 1;
  }
done:
  free(u);
  free(s);
  free(c);
  free(t);
  return st;
}

/* ---------------------------------------------------------------- planning */

static int is_suffix_op(const tsr_op *op) {
  return (op->kind == TSR_OP_MEASURE && op->cond < 0) || op->kind == TSR_OP_BARRIER;
}

static tsr_status plan_build(plan *p, tsr_error *err) {
  const tsr_circuit *c = p->c;
  const tsr_sim_options *o = p->o;
  const tsr_noise_model *nm = o->noise;
  p->qowner = tsr_malloc((p->n ? p->n : 1) * sizeof *p->qowner, err);
  if (!p->qowner) return err ? err->status : TSR_ERR_NOMEM;
  for (unsigned q = 0; q < p->n; q++) p->qowner[q] = -1;
  int relaxing = 0;
  for (unsigned q = 0; nm && q < p->n; q++) {
    double t1, t2;
    relaxing |= tsr_noise_model_relaxation(nm, q, &t1, &t2);
  }
  if (relaxing) {
    p->clock = tsr_calloc(p->n, sizeof *p->clock, err);
    if (!p->clock) return err ? err->status : TSR_ERR_NOMEM;
  }
  /* Final measurements: a measurement is terminal when nothing after it
     touches its qubit, reads its bit or overwrites the bit; terminal
     measurements commute with the rest and are sampled at the end. With
     relaxation (where time matters) only the literal suffix counts. */
  int any_measure = 0;
  for (size_t i = 0; i < c->nops; i++) any_measure |= c->ops[i].kind == TSR_OP_MEASURE;
  size_t body = c->nops;
  while (body > 0 && is_suffix_op(&c->ops[body - 1])) body--;
  p->fq = tsr_malloc((c->nops + p->n + 1) * sizeof *p->fq, err);
  p->fb = tsr_malloc((c->nops + p->n + 1) * sizeof *p->fb, err);
  p->terminal = tsr_calloc(c->nops + 1, 1, err);
  uint8_t *touched = tsr_calloc(p->n + 1, 1, err);
  uint8_t *bits = tsr_calloc(c->nclbits + 1, 1, err); /* read or written later */
  if (!p->fq || !p->fb || !p->terminal || !touched || !bits) {
    free(touched);
    free(bits);
    return err ? err->status : TSR_ERR_NOMEM;
  }
  for (size_t i = c->nops; any_measure && i-- > 0;) {
    const tsr_op *op = &c->ops[i];
    if (op->kind == TSR_OP_BARRIER) continue;
    if (op->kind == TSR_OP_MEASURE && op->cond < 0 && !touched[op->qubits[0]] && !bits[op->clbit] &&
        (!p->clock || i >= body)) {
      p->terminal[i] = 1;
      continue;
    }
    for (uint32_t j = 0; j < op->nqubits; j++) touched[op->qubits[j]] = 1;
    if (op->kind == TSR_OP_MEASURE) bits[op->clbit] = 1;
    if (op->cond >= 0) {
      const tsr_condition *cd = &c->conds[op->cond];
      if (cd->creg < 0) {
        bits[cd->bit] = 1;
      } else {
        for (uint32_t b = 0; b < c->cregs[cd->creg].size; b++)
          bits[c->cregs[cd->creg].first + b] = 1;
      }
    }
  }
  free(touched);
  free(bits);
  if (!any_measure) {
    p->measured_all = 1;
    p->nbits = p->n;
    for (unsigned q = 0; q < p->n; q++) {
      p->fq[p->nfinal] = q;
      p->fb[p->nfinal++] = q;
    }
  } else {
    p->nbits = c->nclbits;
    for (size_t i = 0; i < c->nops; i++) {
      if (!p->terminal[i]) continue;
      p->fq[p->nfinal] = c->ops[i].qubits[0];
      p->fb[p->nfinal++] = (uint32_t)c->ops[i].clbit;
    }
  }
  const int fusing = o->fusion && o->fusion_max_qubits > 1 &&
                     (p->kind == TSR_BACKEND_STATEVEC || p->kind == TSR_BACKEND_DENSMAT);
  for (size_t i = 0; i < c->nops; i++) {
    const tsr_op *op = &c->ops[i];
    tsr_status st = TSR_OK;
    chan_list before = {.n = 0}, after = {.n = 0};
    if (p->terminal[i] || (i >= body && op->kind == TSR_OP_BARRIER)) continue;
    if (op->kind == TSR_GATE_OPAQUE) {
      st = tsr_error_set(err, TSR_ERR_VALUE,
                         "opaque gate '%s' has no matrix: it cannot be simulated",
                         op->name ? op->name : "?");
      return op_error(p, i, err);
    }
    st = schedule_op(p, op, &before, &after, err);
    if (st != TSR_OK) return op_error(p, i, err);
    if (op->kind == TSR_OP_BARRIER) continue;
    if (op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET) {
      st = flush_blocks(p, err);
      for (size_t j = 0; j < before.n && st == TSR_OK; j++)
        st = emit_channel(p, i, &before.items[j], err);
      if (st != TSR_OK) return op_error(p, i, err);
      step *s = add_step(p, err);
      if (!s) return err ? err->status : TSR_ERR_NOMEM;
      s->kind = op->kind == TSR_OP_MEASURE ? ST_MEASURE : ST_RESET;
      s->op = i;
      s->cond = op->cond;
      s->nq = 1;
      s->q[0] = op->qubits[0];
      s->clbit = op->clbit;
      s->random = op->kind == TSR_OP_MEASURE || p->kind != TSR_BACKEND_DENSMAT;
      for (size_t j = 0; j < after.n && st == TSR_OK; j++)
        st = emit_channel(p, i, &after.items[j], err);
      if (st != TSR_OK) return op_error(p, i, err);
      continue;
    }
    /* a gate: its noise channels */
    if (nm) {
      chan_list *l = &after;
      st = tsr_noise_model_visit_gate(nm, op->kind, op->qubits, op->nqubits, collect_channel, l);
      if (st != TSR_OK) {
        tsr_error_set(err, st, "too many noise channels after one gate");
        return op_error(p, i, err);
      }
    }
    const int noisy = before.n > 0 || after.n > 0;
    /* the gate as virtual gates (gr: one r per operand) */
    vgate vg[MAXQ];
    size_t nvg = 0;
    if (op->nqubits > MAXQ && op->kind != TSR_GATE_GR) {
      tsr_error_set(err, TSR_ERR_VALUE, "gates on more than %d qubits are not supported", MAXQ);
      return op_error(p, i, err);
    }
    if (op->kind == TSR_GATE_GR) {
      if (op->nqubits > MAXQ) {
        tsr_error_set(err, TSR_ERR_VALUE, "gr on more than %d qubits is not supported", MAXQ);
        return op_error(p, i, err);
      }
      for (uint32_t j = 0; j < op->nqubits; j++) {
        vg[nvg] = (vgate){i, TSR_GATE_R, op->params, 1, {op->qubits[j]}};
        nvg++;
      }
    } else {
      vg[0].op = i;
      vg[0].kind = op->kind;
      vg[0].params = op->params;
      vg[0].nq = op->nqubits;
      memcpy(vg[0].q, op->qubits, op->nqubits * sizeof *op->qubits);
      nvg = 1;
    }
    /* validate the gate once (arity, operands, parameters) */
    if (op->kind != TSR_GATE_ID && op->kind != TSR_GATE_U0) {
      double complex tmp[1024];
      for (size_t v = 0; v < nvg; v++) {
        if (vg[v].nq > 5) break; /* wide gates are checked when emitted */
        st = gate_matrix(p, &vg[v], tmp, err);
        if (st != TSR_OK) return op_error(p, i, err);
      }
    }
    if (fusing && !noisy && op->cond < 0) {
      for (size_t v = 0; v < nvg; v++) {
        if (vg[v].kind == TSR_GATE_ID || vg[v].kind == TSR_GATE_U0) continue;
        if (vg[v].nq > o->fusion_max_qubits) {
          st = flush_blocks(p, err);
          if (st == TSR_OK) st = emit_gate(p, &vg[v], -1, err);
        } else {
          st = fuse_gate(p, &vg[v], err);
        }
        if (st != TSR_OK) return op_error(p, i, err);
      }
      continue;
    }
    st = flush_blocks(p, err);
    if (st != TSR_OK) return op_error(p, i, err);
    if (p->kind == TSR_BACKEND_DENSMAT && noisy && nvg == 1 && vg[0].nq <= 3) {
      st = emit_dm_superop(p, &vg[0], op->cond, &before, &after, err);
      if (st != TSR_OK) return op_error(p, i, err);
      continue;
    }
    for (size_t j = 0; j < before.n && st == TSR_OK; j++)
      st = emit_channel(p, i, &before.items[j], err);
    for (size_t v = 0; v < nvg && st == TSR_OK; v++) st = emit_gate(p, &vg[v], op->cond, err);
    if (op->cond >= 0) {
      /* the gate's noise happens only when the gate does */
      for (size_t j = 0; j < after.n && st == TSR_OK; j++) {
        st = emit_channel(p, i, &after.items[j], err);
        if (st == TSR_OK && p->nsteps && p->steps[p->nsteps - 1].kind == ST_CHANNEL) {
          p->steps[p->nsteps - 1].cond = op->cond;
        }
      }
    } else {
      for (size_t j = 0; j < after.n && st == TSR_OK; j++)
        st = emit_channel(p, i, &after.items[j], err);
    }
    if (st != TSR_OK) return op_error(p, i, err);
  }
  tsr_status st = flush_blocks(p, err);
  if (st != TSR_OK) return st;
  /* idle relaxation of every qubit up to the end of the schedule */
  if (p->clock) {
    double end = 0;
    for (unsigned q = 0; q < p->n; q++) end = p->clock[q] > end ? p->clock[q] : end;
    for (unsigned q = 0; q < p->n; q++) {
      chan_list l = {.n = 0};
      st = relax(p, q, end - p->clock[q], &l, err);
      for (size_t j = 0; j < l.n && st == TSR_OK; j++)
        st = emit_channel(p, c->nops, &l.items[j], err);
      if (st != TSR_OK) return st;
    }
  }
  return TSR_OK;
}

/* Cache blocking: consecutive unconditioned state-vector kernels whose
 * qubits, with 0, 1 and 2, fit in SVK_BLOCK_QUBITS become one step applied
 * block by block: one pass over memory for the whole run. */
static int blockable(const step *s) {
  return (s->kind == ST_GATE || s->kind == ST_MATRIX || s->kind == ST_SUPEROP) && s->has_sv &&
         s->cond < 0 && s->sv.kind != SVK_IDENTITY && s->sv.ready;
}

static uint64_t step_mask(const step *s) {
  uint64_t m = 0;
  for (unsigned j = 0; j < s->sv.npos; j++) m |= UINT64_C(1) << s->sv.pos[j];
  return m;
}

static tsr_status block_steps(plan *p, tsr_error *err) {
  const unsigned L = SVK_BLOCK_QUBITS;
  const unsigned nv = p->kind == TSR_BACKEND_DENSMAT ? 2 * p->n : p->n; /* vector qubits */
  const int sv_double = p->kind == TSR_BACKEND_STATEVEC && p->o->precision == TSR_PRECISION_DOUBLE;
  if (!(sv_double || p->kind == TSR_BACKEND_DENSMAT) || nv < L + 2 || !p->o->fusion) {
    return TSR_OK;
  }
  size_t out = 0;
  for (size_t i = 0; i < p->nsteps;) {
    if (!blockable(&p->steps[i])) {
      p->steps[out++] = p->steps[i++];
      continue;
    }
    uint64_t S = (UINT64_C(1) << SVK_BLOCK_LOW) - 1; /* the low qubits: long runs */
    size_t j = i;
    while (j < p->nsteps && blockable(&p->steps[j])) {
      const uint64_t q = step_mask(&p->steps[j]);
      if ((unsigned)__builtin_popcountll(S | q) > L) break;
      S |= q;
      j++;
    }
    if (j - i < 2) {
      p->steps[out++] = p->steps[i++];
      continue;
    }
    /* fill the block up with the lowest qubits: longer contiguous runs */
    for (uint32_t q = 0; q < nv && (unsigned)__builtin_popcountll(S) < L; q++)
      S |= UINT64_C(1) << q;
    step b;
    memset(&b, 0, sizeof b);
    b.kind = ST_BLOCKED;
    b.op = p->steps[i].op;
    b.cond = -1;
    b.clbit = -1;
    b.sub = tsr_calloc(j - i, sizeof *b.sub, err);
    if (!b.sub) return err ? err->status : TSR_ERR_NOMEM;
    uint32_t local[64];
    for (uint64_t rest = S; rest; rest &= rest - 1) {
      const uint32_t q = (uint32_t)__builtin_ctzll(rest);
      local[q] = b.bm;
      b.bq[b.bm++] = q;
    }
    for (size_t k = i; k < j; k++) {
      step *s = &p->steps[k];
      svk_op *o = &b.sub[b.nsub++];
      *o = s->sv; /* takes over the matrices */
      s->has_sv = 0;
      free(s->matrix);
      s->matrix = NULL;
      uint64_t cm = 0;
      for (uint64_t c = o->cmask; c; c &= c - 1) cm |= UINT64_C(1) << local[__builtin_ctzll(c)];
      o->cmask = cm;
      for (unsigned t = 0; t < o->k; t++) o->targets[t] = local[o->targets[t]];
      svk_op_finalize(o);
    }
    p->steps[out++] = b;
    i = j;
  }
  p->nsteps = out;
  return TSR_OK;
}

/* -------------------------------------------------------------- execution */

static int cond_holds(const tsr_circuit *c, int64_t ci, const uint64_t *clbits) {
  const tsr_condition *cd = &c->conds[ci];
  if (cd->creg < 0) {
    const int v = (int)((clbits[cd->bit / 64] >> (cd->bit % 64)) & 1);
    return v == (int)(cd->nwords ? cd->value[0] & 1 : 0);
  }
  const tsr_register *r = &c->cregs[cd->creg];
  for (uint32_t b = 0; b < r->size; b++) {
    const uint32_t bit = r->first + b;
    const int have = (int)((clbits[bit / 64] >> (bit % 64)) & 1);
    const int want = b / 64 < cd->nwords ? (int)((cd->value[b / 64] >> (b % 64)) & 1) : 0;
    if (have != want) return 0;
  }
  return 1;
}

static void set_bit(uint64_t *v, uint64_t i, int b) {
  if (b) {
    v[i / 64] |= UINT64_C(1) << (i % 64);
  } else {
    v[i / 64] &= ~(UINT64_C(1) << (i % 64));
  }
}

static int readout_flip(const tsr_noise_model *nm, uint32_t q, int bit, tsr_rng *rng) {
  if (!nm) return bit;
  double p01, p10;
  tsr_noise_model_readout(nm, q, &p01, &p10);
  const double p = bit ? p10 : p01;
  if (p <= 0) return bit;
  return tsr_rng_uniform(rng) < p ? !bit : bit;
}

/* The state vector the prepared kernels act on (rho's 2n-qubit vector for
 * the density matrix). */
static struct tsr_statevec *as_vec(const plan *p, void *state) {
  return p->kind == TSR_BACKEND_DENSMAT ? &((tsr_densmat *)state)->vec : state;
}

static tsr_status run_steps(const plan *p, void *state, size_t from, size_t to, uint64_t *clbits,
                            tsr_rng *rng, tsr_error *err) {
  const tsr_sim_backend *be = p->be;
  for (size_t i = from; i < to; i++) {
    const step *s = &p->steps[i];
    if (s->cond >= 0 && !cond_holds(p->c, s->cond, clbits)) continue;
    tsr_status st = TSR_OK;
    switch (s->kind) {
    case ST_GATE:
      if (s->has_sv) {
        svk_apply(as_vec(p, state), &s->sv);
      } else {
        st = be->apply_gate(state, s->gate, s->q, s->nq, s->params, err);
      }
      break;
    case ST_MATRIX:
      if (s->has_sv) {
        svk_apply(as_vec(p, state), &s->sv);
      } else {
        st = be->apply_matrix(state, s->q, s->nq, s->matrix, "fused block", err);
      }
      break;
    case ST_SUPEROP:
      if (s->has_sv) {
        svk_apply(as_vec(p, state), &s->sv);
      } else {
        st = sim_dm_apply_superop(state, s->matrix, s->q, s->nq, err);
      }
      break;
    case ST_BLOCKED:
      st = svk_apply_blocked(as_vec(p, state), s->sub, s->nsub, s->bq, s->bm, err);
      break;
    case ST_CHANNEL:
      st = be->apply_channel(state, s->ch, s->q, rng, err);
      break;
    case ST_MEASURE: {
      int o = 0;
      st = be->measure(state, s->q[0], rng, &o, err);
      if (st == TSR_OK && s->clbit >= 0) {
        set_bit(clbits, (uint64_t)s->clbit, readout_flip(p->o->noise, s->q[0], o, rng));
      }
      break;
    }
    case ST_RESET:
      st = be->reset(state, s->q[0], rng, err);
      break;
    }
    if (st != TSR_OK) return s->op < p->c->nops ? op_error(p, s->op, err) : st;
  }
  return TSR_OK;
}

/* Runs a measurement or reset on the shared state when its outcome is
 * certain (probability within 1e-12 of 0 or 1) and no readout error can make
 * the recorded bit differ between shots; a step whose condition is false is
 * skipped. *done says whether the step was handled. */
static tsr_status try_certain(const plan *p, void *state, const step *s, uint64_t *clbits,
                              tsr_rng *rng, int *done, tsr_error *err) {
  *done = 0;
  if (s->cond >= 0 && !cond_holds(p->c, s->cond, clbits)) {
    *done = 1;
    return TSR_OK;
  }
  if (s->kind != ST_MEASURE && s->kind != ST_RESET) return TSR_OK;
  const uint32_t q = s->q[0];
  if (s->kind == ST_MEASURE && p->o->noise) {
    double p01, p10;
    tsr_noise_model_readout(p->o->noise, q, &p01, &p10);
    if (p01 > 0 || p10 > 0) return TSR_OK;
  }
  int o = 0;
  tsr_status st = TSR_OK;
  if (p->kind == TSR_BACKEND_STABILIZER) {
    if (!sim_tableau_outcome_fixed(state, q)) return TSR_OK;
    st = s->kind == ST_MEASURE ? tsr_tableau_measure(state, q, rng, &o, NULL, err)
                               : tsr_tableau_reset(state, q, rng, err);
  } else {
    double p1;
    if (p->kind == TSR_BACKEND_STATEVEC) {
      p1 = tsr_statevec_prob_one(state, q);
    } else {
      p1 = tsr_densmat_prob_one(state, q) / tsr_densmat_trace(state);
    }
    if (p1 > 1e-12 && p1 < 1 - 1e-12) return TSR_OK;
    o = p1 >= 0.5;
    if (p->kind == TSR_BACKEND_STATEVEC) {
      st = tsr_statevec_collapse(state, q, o, err);
      if (st == TSR_OK && s->kind == ST_RESET && o) {
        st = tsr_statevec_apply_gate(state, TSR_GATE_X, &q, 1, NULL, err);
      }
    } else if (s->kind == ST_MEASURE) {
      st = tsr_densmat_collapse(state, q, o, err);
    } else {
      st = tsr_densmat_reset(state, q, err);
    }
  }
  if (st != TSR_OK) return op_error(p, s->op, err);
  if (s->kind == ST_MEASURE && s->clbit >= 0) set_bit(clbits, (uint64_t)s->clbit, o);
  *done = 1;
  return TSR_OK;
}

/* Records the final measurements from a full sample of the qubits. */
static void finish_row(const plan *p, const uint64_t *sample, uint64_t *clbits, tsr_rng *rng) {
  for (size_t f = 0; f < p->nfinal; f++) {
    const uint32_t q = p->fq[f];
    const int bit = (int)((sample[q / 64] >> (q % 64)) & 1);
    set_bit(clbits, p->fb[f], readout_flip(p->o->noise, q, bit, rng));
  }
}

/* ----------------------------------------------------------------- counts */

static _Thread_local size_t sort_words;

static int cmp_rows(const void *a, const void *b) {
  const uint64_t *x = *(const uint64_t *const *)a, *y = *(const uint64_t *const *)b;
  for (size_t w = sort_words; w-- > 0;) {
    if (x[w] != y[w]) return x[w] < y[w] ? -1 : 1;
  }
  return 0;
}

static tsr_status make_counts(tsr_sim_result *r, uint64_t *rows, uint64_t shots, size_t nw,
                              uint32_t nbits, tsr_error *err) {
  const uint64_t **ptr = tsr_malloc(shots * sizeof *ptr, err);
  if (!ptr) return err ? err->status : TSR_ERR_NOMEM;
  for (uint64_t s = 0; s < shots; s++) ptr[s] = rows + s * nw;
  sort_words = nw;
  qsort(ptr, shots, sizeof *ptr, cmp_rows);
  size_t distinct = 0;
  for (uint64_t s = 0; s < shots; s++) {
    if (s == 0 || cmp_rows(&ptr[s - 1], &ptr[s]) != 0) distinct++;
  }
  r->counts = tsr_calloc(distinct ? distinct : 1, sizeof *r->counts, err);
  if (!r->counts) {
    free(ptr);
    return err ? err->status : TSR_ERR_NOMEM;
  }
  for (uint64_t s = 0; s < shots; s++) {
    if (s == 0 || cmp_rows(&ptr[s - 1], &ptr[s]) != 0) {
      char *bits = tsr_malloc((size_t)nbits + 1, err);
      if (!bits) {
        free(ptr);
        return err ? err->status : TSR_ERR_NOMEM;
      }
      for (uint32_t b = 0; b < nbits; b++) {
        bits[nbits - 1 - b] = ((ptr[s][b / 64] >> (b % 64)) & 1) ? '1' : '0';
      }
      bits[nbits] = 0;
      r->counts[r->ncounts].bits = bits;
      r->ncounts++;
    }
    r->counts[r->ncounts - 1].count++;
  }
  free(ptr);
  return TSR_OK;
}

/* ------------------------------------------------------------------ public */

void tsr_sim_options_init(tsr_sim_options *o) {
  memset(o, 0, sizeof *o);
  o->backend = TSR_BACKEND_AUTO;
  o->shots = 1024;
  o->fusion = 1;
  o->fusion_max_qubits = 2;
  o->precision = TSR_PRECISION_DOUBLE;
}

tsr_backend_kind tsr_sim_choose_backend(const tsr_circuit *c, const tsr_noise_model *noise) {
  if (c->nqubits == 0) return TSR_BACKEND_STATEVEC;
  if (noise && !tsr_noise_model_is_pauli(noise)) return TSR_BACKEND_STATEVEC;
  for (size_t i = 0; i < c->nops; i++) {
    const tsr_op *op = &c->ops[i];
    if (!tsr_gate_is_clifford(op->kind, op->params)) return TSR_BACKEND_STATEVEC;
  }
  return TSR_BACKEND_STABILIZER;
}

void tsr_sim_result_free(tsr_sim_result *r) {
  if (!r) return;
  for (size_t i = 0; i < r->ncounts; i++) free(r->counts[i].bits);
  free(r->counts);
  free(r->amplitudes);
  free(r);
}

static tsr_status keep_state(const plan *p, const void *state, tsr_sim_result *r, tsr_error *err) {
  if (p->kind == TSR_BACKEND_STATEVEC) {
    tsr_statevec_get_amplitudes(state, r->amplitudes);
    return TSR_OK;
  }
  if (p->kind == TSR_BACKEND_STABILIZER) {
    tsr_statevec *sv = tsr_tableau_to_statevec(state, err);
    if (!sv) return err ? err->status : TSR_ERR_NOMEM;
    tsr_statevec_get_amplitudes(sv, r->amplitudes);
    tsr_statevec_free(sv);
    return TSR_OK;
  }
  return tsr_error_set(err, TSR_ERR_VALUE, "no state vector from the density-matrix backend");
}

tsr_status tsr_sim_run(const tsr_circuit *c, const tsr_sim_options *o, tsr_sim_result **out,
                       tsr_error *err) {
  *out = NULL;
  const double t0 = tsr_wall_seconds();
  if (!c || !o) return tsr_error_set(err, TSR_ERR_VALUE, "no circuit or options given");
  if (o->shots == 0) return tsr_error_set(err, TSR_ERR_VALUE, "the number of shots must be >= 1");
  if (o->fusion && (o->fusion_max_qubits < 1 || o->fusion_max_qubits > SVK_SIMD_MAX_K)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "fusion blocks take 1 to 5 qubits, not %u",
                         o->fusion_max_qubits);
  }
  if (o->backend < TSR_BACKEND_AUTO || o->backend > TSR_BACKEND_STABILIZER) {
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown backend %d", (int)o->backend);
  }
  plan p;
  memset(&p, 0, sizeof p);
  p.c = c;
  p.o = o;
  p.n = c->nqubits;
  p.kind = o->backend == TSR_BACKEND_AUTO ? tsr_sim_choose_backend(c, o->noise) : o->backend;
  p.be = tsr_sim_backend_get(p.kind);
  if (p.kind == TSR_BACKEND_STABILIZER && p.n == 0) p.kind = TSR_BACKEND_STATEVEC;
  p.be = tsr_sim_backend_get(p.kind);
  if (o->want_statevector && p.kind == TSR_BACKEND_DENSMAT) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "the density-matrix backend has no state vector to return (its state is "
                         "mixed in general): use --backend sv");
  }
  tsr_state_options so = {o->precision, o->threads, o->memory_limit};
  if (p.kind != TSR_BACKEND_STATEVEC) so.precision = TSR_PRECISION_DOUBLE;
  tsr_sim_result *r = tsr_calloc(1, sizeof *r, err);
  if (!r) return err ? err->status : TSR_ERR_NOMEM;
  void *tmpl = NULL;
  uint64_t *rows = NULL, *samples = NULL, *tclbits = NULL;
  tsr_status st = plan_build(&p, err);
  if (st == TSR_OK) st = block_steps(&p, err);
  if (st != TSR_OK) goto fail;
  r->backend = p.kind;
  r->nqubits = p.n;
  r->nbits = p.nbits;
  r->shots = o->shots;
  r->measured_all = p.measured_all;
  if (o->want_statevector) {
    if (p.n > 30) {
      st = tsr_error_set(err, TSR_ERR_LIMIT, "a state vector of %u qubits is too large to return",
                         p.n);
      goto fail;
    }
    st = sim_check_memory("state vector", p.n, tsr_statevec_bytes(p.n, TSR_PRECISION_DOUBLE),
                          o->memory_limit, err);
    if (st != TSR_OK) goto fail;
    r->namplitudes = UINT64_C(1) << p.n;
    r->amplitudes = tsr_malloc(r->namplitudes * sizeof *r->amplitudes, err);
    if (!r->amplitudes) {
      st = err ? err->status : TSR_ERR_NOMEM;
      goto fail;
    }
  }
  tmpl = p.be->create(p.n, &so, err);
  if (!tmpl) {
    st = err ? err->status : TSR_ERR_NOMEM;
    goto fail;
  }
  const size_t cw = ((size_t)c->nclbits + 63) / 64 + 1; /* classical bits, +1 spare */
  const size_t nw = ((size_t)p.nbits + 63) / 64 ? ((size_t)p.nbits + 63) / 64 : 1;
  const size_t qw = ((size_t)p.n + 63) / 64 ? ((size_t)p.n + 63) / 64 : 1;
  const size_t rw = nw > cw ? nw : cw;
  /* The shared prefix: every step up to the first random event that is
     really random (a measurement or reset whose outcome is already certain
     runs here too). */
  size_t first_random = 0;
  tclbits = tsr_calloc(rw, sizeof *tclbits, err);
  if (!tclbits) {
    st = err ? err->status : TSR_ERR_NOMEM;
    goto fail;
  }
  {
    tsr_rng rng;
    tsr_rng_seed(&rng, o->seed, UINT64_MAX - 1);
    for (;;) {
      size_t next = first_random;
      while (next < p.nsteps && !p.steps[next].random) next++;
      st = run_steps(&p, tmpl, first_random, next, tclbits, &rng, err);
      if (st != TSR_OK) goto fail;
      first_random = next;
      if (next == p.nsteps) break;
      int done = 0;
      st = try_certain(&p, tmpl, &p.steps[next], tclbits, &rng, &done, err);
      if (st != TSR_OK) goto fail;
      if (!done) break;
      first_random = next + 1;
    }
  }
  const uint64_t shots = o->shots;
  rows = tsr_calloc(shots, rw * sizeof *rows, err);
  if (!rows) {
    st = err ? err->status : TSR_ERR_NOMEM;
    goto fail;
  }
  const int th = o->threads > 0 ? o->threads : omp_get_max_threads();
  if (first_random == p.nsteps) {
    /* every shot from one final state */
    r->sampled_final = 1;
    if (o->want_statevector) {
      st = keep_state(&p, tmpl, r, err);
      if (st != TSR_OK) goto fail;
    }
    samples = tsr_malloc(shots * qw * sizeof *samples, err);
    if (!samples) {
      st = err ? err->status : TSR_ERR_NOMEM;
      goto fail;
    }
    if (p.nfinal > 0) {
      st = p.be->sample(tmpl, shots, o->seed, 0, samples, err);
      if (st != TSR_OK) goto fail;
    }
#pragma omp parallel for schedule(static) num_threads(th) if (th > 1 && shots >= 4096)
    for (uint64_t s = 0; s < shots; s++) {
      tsr_rng rng;
      tsr_rng_seed(&rng, o->seed ^ READOUT_SALT, s);
      memcpy(rows + s * rw, tclbits, rw * sizeof *rows);
      finish_row(&p, samples + s * qw, rows + s * rw, &rng);
    }
  } else {
    /* trajectories from the shared prefix */
    int par = shots > 1 && th > 1 &&
              ((p.kind == TSR_BACKEND_STATEVEC && p.n <= 16) ||
               (p.kind == TSR_BACKEND_DENSMAT && p.n <= 8) || p.kind == TSR_BACKEND_STABILIZER);
    tsr_status first_st = TSR_OK;
    uint64_t first_bad = UINT64_MAX;
    tsr_error first_err;
    tsr_error_clear(&first_err);
    int failed = 0;
    tsr_state_options ts = so;
    if (par) ts.threads = 1;
#pragma omp parallel num_threads(par ? th : 1)
    {
      tsr_error e;
      tsr_error_clear(&e);
      void *state = p.be->create(p.n, &ts, &e);
      uint64_t *clbits = calloc(rw, sizeof *clbits);
      uint64_t *sample = calloc(qw, sizeof *sample);
      tsr_status setup = TSR_OK;
      if (!state) {
        setup = e.status != TSR_OK ? e.status : TSR_ERR_NOMEM;
      } else if (!clbits || !sample) {
        setup = tsr_error_set(&e, TSR_ERR_NOMEM, "out of memory");
      }
#pragma omp for schedule(dynamic, 4)
      for (uint64_t s = 0; s < shots; s++) {
        int stop;
#pragma omp atomic read
        stop = failed;
        if (stop) continue;
        tsr_status lst = setup;
        if (lst == TSR_OK) {
          tsr_rng rng;
          tsr_rng_seed(&rng, o->seed, s);
          memcpy(clbits, tclbits, rw * sizeof *clbits);
          lst = p.be->copy(state, tmpl, &e);
          if (lst == TSR_OK) lst = run_steps(&p, state, first_random, p.nsteps, clbits, &rng, &e);
          if (lst == TSR_OK && s == 0 && o->want_statevector) lst = keep_state(&p, state, r, &e);
          if (lst == TSR_OK && p.nfinal > 0) {
            if (p.kind == TSR_BACKEND_STABILIZER) {
              /* destructive: measure the final qubits on the shot's own copy */
              memset(sample, 0, qw * sizeof *sample);
              for (size_t f = 0; f < p.nfinal && lst == TSR_OK; f++) {
                int ob = 0;
                lst = p.be->measure(state, p.fq[f], &rng, &ob, &e);
                if (ob) sample[p.fq[f] / 64] |= UINT64_C(1) << (p.fq[f] % 64);
              }
            } else {
              lst = p.be->sample(state, 1, tsr_rng_u64(&rng) ^ FINAL_SALT, 0, sample, &e);
            }
          }
          if (lst == TSR_OK) {
            finish_row(&p, sample, clbits, &rng);
            memcpy(rows + s * rw, clbits, rw * sizeof *clbits);
          }
        }
        if (lst != TSR_OK) {
#pragma omp critical(tsr_sim_run_error)
          {
            if (s < first_bad) {
              first_bad = s;
              first_st = lst;
              first_err = e;
            }
#pragma omp atomic write
            failed = 1;
          }
        }
      }
      if (state) p.be->destroy(state);
      free(clbits);
      free(sample);
    }
    if (first_st != TSR_OK) {
      if (err) *err = first_err;
      st = first_st;
      goto fail;
    }
  }
  st = make_counts(r, rows, shots, rw, p.nbits, err);
  if (st != TSR_OK) goto fail;
  free(rows);
  free(samples);
  free(tclbits);
  p.be->destroy(tmpl);
  plan_free(&p);
  r->seconds = tsr_wall_seconds() - t0;
  *out = r;
  return TSR_OK;
fail:
  free(rows);
  free(samples);
  free(tclbits);
  if (tmpl) p.be->destroy(tmpl);
  plan_free(&p);
  tsr_sim_result_free(r);
  return st;
}

void tsr_counts_write_json(tsr_json *j, const tsr_count *counts, size_t n) {
  tsr_json_object_begin(j);
  for (size_t i = 0; i < n; i++) {
    tsr_json_key(j, counts[i].bits);
    tsr_json_uint(j, counts[i].count);
  }
  tsr_json_object_end(j);
}
