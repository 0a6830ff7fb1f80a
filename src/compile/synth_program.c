/* Native synthesis of a distributed program, module by module: runs of
 * unconditioned single-qubit gates are multiplied out and folded into the
 * next two-qubit gate on the qubit, which is synthesised (KAK) with the
 * module's entangler; the single-qubit gates after its last entangler start
 * the next run. Conditioned gates (feed-forward corrections, source `if`s)
 * are synthesised on their own, every piece keeping the condition (a global
 * phase inside one classical branch is a global phase of that branch).
 * Measurements, resets, EPR pairs, messages and atom moves end runs.
 * Every gate made from an operation keeps its source (src); a run of
 * single-qubit gates written out alone takes the role and source of the last
 * gate multiplied in, one folded into a two-qubit gate those of that gate. */
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

typedef struct pend {
  int has;
  cplx u[4];
  tsr_program_role role; /* of the last gate multiplied in */
  int64_t src;           /* of the last gate multiplied in */
} pend;

typedef struct synth {
  const tsr__machine *m;
  tsr__popvec *out;
  pend *pending;
  tsr_error *err;
} synth;

static tsr_status push_gate(synth *S, const tsr__mod *md, const tsr__pop *tmpl, tsr_gate kind,
                            uint32_t nq, const uint32_t *q, const double *params, uint32_t np) {
  tsr__pop op = *tmpl;
  op.nq = nq;
  for (uint32_t k = 0; k < nq; k++) op.q[k] = q[k];
  op.np = np;
  for (uint32_t k = 0; k < np && k < 4; k++) op.p[k] = params[k];
  op.clbit = -1;
  op.move = 0;
  if (kind == TSR_GATE_X && md->no_x) {
    op.kind = TSR_GATE_SX;
    op.np = 0;
    tsr_status st = tsr__popvec_push(S->out, &op, S->err);
    if (st != TSR_OK) return st;
    return tsr__popvec_push(S->out, &op, S->err);
  }
  op.kind = kind;
  return tsr__popvec_push(S->out, &op, S->err);
}

static tsr_status emit_seq(synth *S, const tsr__mod *md, const tsr__pop *tmpl,
                           const tsr_synth_seq *seq, const uint32_t *map, size_t upto) {
  for (size_t i = 0; i < upto; i++) {
    const tsr_synth_gate *g = &seq->gates[i];
    uint32_t q[2];
    for (uint32_t k = 0; k < g->nqubits; k++) q[k] = map[g->qubits[k]];
    tsr_status st = push_gate(S, md, tmpl, g->kind, g->nqubits, q, g->params, g->nparams);
    if (st != TSR_OK) return st;
  }
  return TSR_OK;
}

static tsr_status flush(synth *S, uint32_t q) {
  pend *p = &S->pending[q];
  if (!p->has) return TSR_OK;
  p->has = 0;
  uint32_t mod = tsr__machine_module_of(S->m, q);
  const tsr__mod *md = &S->m->mods[mod];
  tsr_synth_seq seq;
  tsr_status st = tsr_synth_1q(p->u, md->basis, &seq, S->err);
  if (st != TSR_OK) return st;
  tsr__pop tmpl = tsr__pop_blank(p->role, TSR_GATE_NONE, (int32_t)mod);
  tmpl.src = p->src;
  uint32_t map[1] = {q};
  return emit_seq(S, md, &tmpl, &seq, map, seq.n);
}

static void pend_mul(pend *p, const cplx u[4], tsr_program_role role, int64_t src) {
  if (!p->has) {
    memcpy(p->u, u, 4 * sizeof *u);
    p->has = 1;
  } else {
    cplx t[4];
    cm_mul(2, u, p->u, t);
    memcpy(p->u, t, sizeof t);
  }
  p->role = role;
  p->src = src;
}

static int is_native_entangler(const tsr__mod *md, tsr_gate kind) {
  switch (md->ent) {
  case TSR_ENT_CX:
    return kind == TSR_GATE_CX;
  case TSR_ENT_CZ:
    return kind == TSR_GATE_CZ;
  case TSR_ENT_MS:
    return kind == TSR_GATE_MS;
  case TSR_ENT_ZZ:
    return kind == TSR_GATE_ZZ;
  case TSR_ENT_RZZ:
    return kind == TSR_GATE_RZZ;
  default:
    return 0;
  }
}

static tsr_status do_2q(synth *S, const tsr__mod *md, const tsr__pop *op) {
  uint32_t a = op->q[0], b = op->q[1];
  pend *pa = &S->pending[a], *pb = &S->pending[b];
  if (!pa->has && !pb->has && is_native_entangler(md, op->kind)) {
    return tsr__popvec_push(S->out, op, S->err);
  }
  cplx g[16], loc[16], u[16], id[4] = {1, 0, 0, 1};
  tsr_status st = tsr__op_matrix(op->kind, op->p, 2, g, S->err);
  if (st != TSR_OK) return st;
  cm_kron2(pb->has ? pb->u : id, pa->has ? pa->u : id, loc);
  cm_mul(4, g, loc, u);
  pa->has = pb->has = 0;
  tsr_synth_seq seq;
  if ((st = tsr_synth_2q(u, md->ent, md->basis, &seq, S->err)) != TSR_OK) return st;
  size_t last = 0;
  int any = 0;
  for (size_t i = 0; i < seq.n; i++) {
    if (seq.gates[i].nqubits == 2) {
      last = i + 1;
      any = 1;
    }
  }
  if (!any) last = 0;
  uint32_t map[2] = {a, b};
  tsr__pop tmpl = *op;
  if ((st = emit_seq(S, md, &tmpl, &seq, map, last)) != TSR_OK) return st;
  for (size_t i = last; i < seq.n; i++) {
    const tsr_synth_gate *gg = &seq.gates[i];
    cplx m1[4];
    if ((st = tsr__op_matrix(gg->kind, gg->params, 1, m1, S->err)) != TSR_OK) return st;
    pend_mul(&S->pending[map[gg->qubits[0]]], m1, op->role, op->src);
  }
  return TSR_OK;
}

static tsr_status do_conditioned(synth *S, const tsr__mod *md, const tsr__pop *op) {
  cplx u[16];
  tsr_status st = tsr__op_matrix(op->kind, op->p, op->nq, u, S->err);
  if (st != TSR_OK) return st;
  tsr_synth_seq seq;
  if (op->nq == 1) {
    st = tsr_synth_1q(u, md->basis, &seq, S->err);
  } else {
    if (is_native_entangler(md, op->kind)) return tsr__popvec_push(S->out, op, S->err);
    st = tsr_synth_2q(u, md->ent, md->basis, &seq, S->err);
  }
  if (st != TSR_OK) return st;
  uint32_t map[2] = {op->q[0], op->nq > 1 ? op->q[1] : op->q[0]};
  return emit_seq(S, md, op, &seq, map, seq.n);
}

tsr_status tsr__synthesize_pops(const tsr__machine *m, const tsr__popvec *in, tsr__popvec *out,
                                tsr_error *err) {
  synth S = {.m = m, .out = out, .err = err, .pending = NULL};
  S.pending = tsr_calloc(m->nqubits ? m->nqubits : 1, sizeof *S.pending, err);
  if (!S.pending) return TSR_ERR_NOMEM;
  tsr_status st = TSR_OK;
  for (size_t i = 0; i < in->n && st == TSR_OK; i++) {
    const tsr__pop *op = &in->v[i];
    const tsr__mod *md = op->module >= 0 ? &m->mods[op->module] : NULL;
    const tsr_gate_info *info = tsr_gate_get(op->kind);
    int unitary = op->kind != TSR_GATE_NONE && info && (info->flags & TSR_GF_UNITARY) &&
                  op->kind != TSR_GATE_OPAQUE && !op->move;
    int conditioned = op->cond_src >= 0 || op->cond_bit >= 0;
    if (op->role == TSR_PROG_EPR || op->role == TSR_PROG_MESSAGE || !md || !md->native ||
        !unitary) {
      for (uint32_t k = 0; k < op->nq && st == TSR_OK; k++) st = flush(&S, op->q[k]);
      if (st == TSR_OK) st = tsr__popvec_push(out, op, err);
      continue;
    }
    if (conditioned) {
      for (uint32_t k = 0; k < op->nq && st == TSR_OK; k++) st = flush(&S, op->q[k]);
      if (st == TSR_OK) st = do_conditioned(&S, md, op);
      continue;
    }
    if (op->nq == 1) {
      cplx u[4];
      st = tsr__op_matrix(op->kind, op->p, 1, u, err);
      if (st == TSR_OK) pend_mul(&S.pending[op->q[0]], u, op->role, op->src);
      continue;
    }
    if (op->nq == 2) {
      st = do_2q(&S, md, op);
      continue;
    }
    for (uint32_t k = 0; k < op->nq && st == TSR_OK; k++) st = flush(&S, op->q[k]);
    if (st == TSR_OK) st = tsr__popvec_push(out, op, err);
  }
  for (uint32_t q = 0; q < m->nqubits && st == TSR_OK; q++) st = flush(&S, q);
  free(S.pending);
  return st;
}
