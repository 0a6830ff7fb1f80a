/* Native synthesis of a whole circuit: decompose to {1q, cx}, collect
 * maximal blocks of gates on one qubit pair into 4x4 unitaries, synthesise
 * each block with the fewest entanglers (KAK), and carry single-qubit layers
 * forward so that neighbouring 1q gates merge before they are synthesised. */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

typedef struct block {
  uint32_t q[2]; /* circuit qubits of local operands 0, 1 */
  cplx m[16];    /* accumulated unitary (operand 0 = q[0]) */
  int n2q;       /* two-qubit gates in the block */
  /* when the block holds one gate: pre (1q before), the gate, post (after) */
  cplx pre[2][4], post[2][4];
  tsr_gate kind;
  uint32_t gq[2];
  double p[3];
  uint32_t np;
} block;

typedef struct nctx {
  tsr_circuit *out;
  tsr_basis_1q basis;
  tsr_entangler ent;
  cplx (*pending)[4]; /* [nqubits] 1q unitary not yet written */
  int32_t *open;      /* [nqubits] block of the qubit, -1 if none */
  block *blocks;      /* [nqubits] at most nqubits/2 open at once; indexed by slot */
  uint32_t nqubits;
} nctx;

static int is_native(tsr_gate k, const double *p, tsr_entangler ent) {
  switch (ent) {
  case TSR_ENT_CX:
    return k == TSR_GATE_CX;
  case TSR_ENT_CZ:
    return k == TSR_GATE_CZ;
  case TSR_ENT_MS:
    return k == TSR_GATE_MS && fabs(p[2] - M_PI / 2) < 1e-12;
  case TSR_ENT_ZZ:
    return k == TSR_GATE_ZZ;
  case TSR_ENT_RZZ:
    return k == TSR_GATE_RZZ;
  default:
    return 0;
  }
}

static tsr_status emit_1q(nctx *x, uint32_t q, const cplx u[4], tsr_error *err) {
  tsr_synth_seq s;
  tsr_status st = tsr_synth_1q(u, x->basis, &s, err);
  if (st != TSR_OK) return st;
  return tsr__append_seq(x->out, &s, &q, NULL, NULL, err);
}

static tsr_status flush_pending(nctx *x, uint32_t q, tsr_error *err) {
  tsr_status st = emit_1q(x, q, x->pending[q], err);
  cm_identity(2, x->pending[q]);
  return st;
}

/* Multiplies a 2x2 on local operand k into a 4x4 (later in time). */
static void block_mul_1q(cplx m[16], unsigned k, const cplx u[4]) {
  cplx e[16], t[16];
  cplx id[4] = {1, 0, 0, 1};
  if (k == 0) {
    cm_kron2(id, u, e);
  } else {
    cm_kron2(u, id, e);
  }
  cm_mul(4, e, m, t);
  memcpy(m, t, sizeof t);
}

static tsr_status close_block(nctx *x, int32_t bi, tsr_error *err) {
  block *b = &x->blocks[bi];
  tsr_status st = TSR_OK;
  if (b->n2q == 1 && is_native(b->kind, b->p, x->ent)) {
    for (unsigned k = 0; k < 2 && st == TSR_OK; k++) st = emit_1q(x, b->q[k], b->pre[k], err);
    if (st == TSR_OK) {
      st = tsr_circuit_append_gate(x->out, b->kind, b->gq, 2, b->p, b->np, err);
    }
    for (unsigned k = 0; k < 2; k++) memcpy(x->pending[b->q[k]], b->post[k], sizeof b->post[k]);
  } else {
    tsr__layered l;
    st = tsr__synth_2q_layered(b->m, x->ent, &l, err);
    for (int li = 0; li < l.nent && st == TSR_OK; li++) {
      for (unsigned k = 0; k < 2 && st == TSR_OK; k++)
        st = emit_1q(x, b->q[k], l.layer[li][k], err);
      tsr_synth_seq s;
      s.n = 0;
      s.global_phase = 0;
      if (st == TSR_OK && !tsr__emit_entangler(&s, x->ent, l.param[li])) {
        st = tsr_error_set(err, TSR_ERR_INTERNAL, "entangler sequence is full");
      }
      if (st == TSR_OK) st = tsr__append_seq(x->out, &s, b->q, NULL, NULL, err);
    }
    if (st == TSR_OK) {
      for (unsigned k = 0; k < 2; k++) {
        memcpy(x->pending[b->q[k]], l.layer[l.nent][k], sizeof l.layer[l.nent][k]);
      }
    }
  }
  x->open[b->q[0]] = -1;
  x->open[b->q[1]] = -1;
  return st;
}

static tsr_status close_qubit(nctx *x, uint32_t q, tsr_error *err) {
  if (x->open[q] >= 0) return close_block(x, x->open[q], err);
  return TSR_OK;
}

static tsr_status two_qubit(nctx *x, const tsr_op *op, tsr_error *err) {
  uint32_t a = op->qubits[0], c = op->qubits[1];
  cplx g[16];
  tsr_status st = tsr_gate_matrix(op->kind, op->params, 2, g, err);
  if (st != TSR_OK) return st;
  int32_t bi = x->open[a];
  if (bi < 0 || x->open[c] != bi) {
    st = close_qubit(x, a, err);
    if (st == TSR_OK) st = close_qubit(x, c, err);
    if (st != TSR_OK) return st;
    bi = (int32_t)a; /* a block lives in the slot of its first qubit */
    block *b = &x->blocks[bi];
    memset(b, 0, sizeof *b);
    b->q[0] = a;
    b->q[1] = c;
    cm_kron2(x->pending[c], x->pending[a], b->m);
    memcpy(b->pre[0], x->pending[a], sizeof b->pre[0]);
    memcpy(b->pre[1], x->pending[c], sizeof b->pre[1]);
    cm_identity(2, b->post[0]);
    cm_identity(2, b->post[1]);
    cm_identity(2, x->pending[a]);
    cm_identity(2, x->pending[c]);
    x->open[a] = x->open[c] = bi;
  }
  block *b = &x->blocks[bi];
  /* gate matrix in the block's operand order */
  cplx e[16], t[16];
  if (b->q[0] == a) {
    memcpy(e, g, sizeof e);
  } else {
    static const unsigned sw[4] = {0, 2, 1, 3};
    for (unsigned r = 0; r < 4; r++)
      for (unsigned cc = 0; cc < 4; cc++) e[sw[r] * 4 + sw[cc]] = g[r * 4 + cc];
  }
  cm_mul(4, e, b->m, t);
  memcpy(b->m, t, sizeof t);
  b->n2q++;
  if (b->n2q == 1) {
    b->kind = op->kind;
    b->gq[0] = a;
    b->gq[1] = c;
    b->np = op->nparams;
    for (uint32_t i = 0; i < op->nparams && i < 3; i++) b->p[i] = op->params[i];
  }
  return TSR_OK;
}

static tsr_status one_qubit(nctx *x, const tsr_op *op, tsr_error *err) {
  uint32_t q = op->qubits[0];
  cplx u[4], t[4];
  tsr_status st = tsr_gate_matrix(op->kind, op->params, 1, u, err);
  if (st != TSR_OK) return st;
  int32_t bi = x->open[q];
  if (bi >= 0) {
    block *b = &x->blocks[bi];
    unsigned k = b->q[0] == q ? 0 : 1;
    block_mul_1q(b->m, k, u);
    cm_mul(2, u, b->post[k], t);
    memcpy(b->post[k], t, sizeof t);
    return TSR_OK;
  }
  cm_mul(2, u, x->pending[q], t);
  memcpy(x->pending[q], t, sizeof t);
  return TSR_OK;
}

/* An operation written as it is (or, when it is a conditioned gate,
 * synthesised with its condition on every piece). */
static tsr_status barrier_op(nctx *x, const tsr_circuit *src, const tsr_op *op, tsr_error *err) {
  tsr_status st = TSR_OK;
  for (uint32_t k = 0; k < op->nqubits && st == TSR_OK; k++) {
    st = close_qubit(x, op->qubits[k], err);
    if (st == TSR_OK) st = flush_pending(x, op->qubits[k], err);
  }
  if (st != TSR_OK) return st;
  const tsr_gate_info *info = tsr_gate_get(op->kind);
  int unitary = info && (info->flags & TSR_GF_UNITARY) && op->kind != TSR_GATE_OPAQUE;
  if (unitary && (op->nqubits == 1 || op->nqubits == 2)) {
    cplx m[16];
    tsr_synth_seq s;
    st = tsr_gate_matrix(op->kind, op->params, op->nqubits, m, err);
    if (st == TSR_OK) {
      st = op->nqubits == 1 ? tsr_synth_1q(m, x->basis, &s, err)
                            : tsr_synth_2q(m, x->ent, x->basis, &s, err);
    }
    if (st == TSR_OK) st = tsr__append_seq(x->out, &s, op->qubits, src, op, err);
    return st;
  }
  return tsr__append_op(x->out, src, op, op->kind, op->qubits, op->nqubits, op->params, op->nparams,
                        err);
}

tsr_status tsr_synthesize(const tsr_circuit *in, tsr_basis_1q basis_1q, tsr_entangler ent,
                          tsr_circuit **out, tsr_error *err) {
  if (!in || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_synthesize: NULL argument");
  *out = NULL;
  if ((unsigned)basis_1q >= TSR_BASIS_1Q_COUNT || (unsigned)ent >= TSR_ENT_COUNT) {
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown basis or entangler");
  }
  tsr_circuit *d = NULL;
  tsr_status st = tsr_decompose(in, TSR_GATE_CX, &d, err);
  if (st != TSR_OK) return st;
  nctx x;
  memset(&x, 0, sizeof x);
  x.basis = basis_1q;
  x.ent = ent;
  x.nqubits = in->nqubits;
  size_t nq = in->nqubits ? in->nqubits : 1;
  x.pending = malloc(nq * sizeof *x.pending);
  x.open = malloc(nq * sizeof *x.open);
  x.blocks = malloc(nq * sizeof *x.blocks);
  if (!x.pending || !x.open || !x.blocks) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto done;
  }
  for (uint32_t q = 0; q < in->nqubits; q++) {
    cm_identity(2, x.pending[q]);
    x.open[q] = -1;
  }
  st = tsr__circuit_like(in, &x.out, err);
  for (size_t i = 0; i < d->nops && st == TSR_OK; i++) {
    const tsr_op *op = &d->ops[i];
    const tsr_gate_info *info = tsr_gate_get(op->kind);
    int unitary = info && (info->flags & TSR_GF_UNITARY) && op->kind != TSR_GATE_OPAQUE;
    if (unitary && op->cond < 0 && op->nqubits == 1) {
      st = one_qubit(&x, op, err);
    } else if (unitary && op->cond < 0 && op->nqubits == 2) {
      st = two_qubit(&x, op, err);
    } else {
      st = barrier_op(&x, d, op, err);
    }
  }
  for (uint32_t q = 0; q < in->nqubits && st == TSR_OK; q++) st = close_qubit(&x, q, err);
  for (uint32_t q = 0; q < in->nqubits && st == TSR_OK; q++) st = flush_pending(&x, q, err);
done:
  free(x.pending);
  free(x.open);
  free(x.blocks);
  tsr_circuit_free(d);
  if (st != TSR_OK) {
    tsr_circuit_free(x.out);
    return st;
  }
  *out = x.out;
  return TSR_OK;
}
