/* Small circuit-building helpers shared by the compile passes. */
#include "compile_internal.h"

tsr_status tsr__circuit_like(const tsr_circuit *in, tsr_circuit **out, tsr_error *err) {
  *out = NULL;
  tsr_circuit *c = tsr_circuit_new(err);
  if (!c) return TSR_ERR_NOMEM;
  tsr_status st = TSR_OK;
  for (uint32_t i = 0; i < in->nqregs && st == TSR_OK; i++) {
    st = tsr_circuit_add_qreg(c, in->qregs[i].name, in->qregs[i].size, NULL, err);
  }
  for (uint32_t i = 0; i < in->ncregs && st == TSR_OK; i++) {
    st = tsr_circuit_add_creg(c, in->cregs[i].name, in->cregs[i].size, NULL, err);
  }
  if (st != TSR_OK) {
    tsr_circuit_free(c);
    return st;
  }
  *out = c;
  return TSR_OK;
}

static tsr_status copy_condition(tsr_circuit *dst, const tsr_circuit *src, const tsr_op *op,
                                 tsr_error *err) {
  if (!src || !op || op->cond < 0) return TSR_OK;
  const tsr_condition *cd = &src->conds[op->cond];
  return tsr_circuit_condition_last(dst, cd->creg, cd->bit, cd->value, cd->nwords, err);
}

tsr_status tsr__append_op(tsr_circuit *dst, const tsr_circuit *src, const tsr_op *op, tsr_gate kind,
                          const uint32_t *qubits, uint32_t nqubits, const double *params,
                          uint32_t nparams, tsr_error *err) {
  tsr_status st;
  switch (kind) {
  case TSR_OP_MEASURE:
    st = tsr_circuit_append_measure(dst, qubits[0], (uint32_t)op->clbit, err);
    break;
  case TSR_OP_RESET:
    st = tsr_circuit_append_reset(dst, qubits[0], err);
    break;
  case TSR_OP_BARRIER:
    return tsr_circuit_append_barrier(dst, qubits, nqubits, err);
  case TSR_GATE_OPAQUE:
    st = tsr_circuit_append_opaque(dst, op->name, qubits, nqubits, params, nparams, err);
    break;
  default:
    st = tsr_circuit_append_gate(dst, kind, qubits, nqubits, params, nparams, err);
    break;
  }
  if (st != TSR_OK) return st;
  return copy_condition(dst, src, op, err);
}

tsr_status tsr__append_seq(tsr_circuit *dst, const tsr_synth_seq *seq, const uint32_t *map,
                           const tsr_circuit *src, const tsr_op *cond_op, tsr_error *err) {
  for (size_t i = 0; i < seq->n; i++) {
    const tsr_synth_gate *g = &seq->gates[i];
    uint32_t q[2];
    for (uint32_t k = 0; k < g->nqubits; k++) q[k] = map[g->qubits[k]];
    tsr_status st =
        tsr_circuit_append_gate(dst, g->kind, q, g->nqubits, g->params, g->nparams, err);
    if (st == TSR_OK) st = copy_condition(dst, src, cond_op, err);
    if (st != TSR_OK) return st;
  }
  return TSR_OK;
}

double tsr__prim_mst(const double *w, uint32_t k, const uint32_t *nodes, uint32_t nn,
                     uint32_t *from) {
  if (nn <= 1) return 0;
  double best[TSR_MODULE_GRAPH_MAX];
  uint8_t in[TSR_MODULE_GRAPH_MAX] = {0};
  in[0] = 1;
  for (uint32_t i = 1; i < nn; i++) {
    best[i] = w[(size_t)nodes[0] * k + nodes[i]];
    from[i] = 0;
  }
  double total = 0;
  for (uint32_t step = 1; step < nn; step++) {
    uint32_t bi = 0;
    double bv = INFINITY;
    for (uint32_t i = 1; i < nn; i++)
      if (!in[i] && best[i] < bv) bv = best[i], bi = i;
    if (bi == 0) return INFINITY;
    in[bi] = 1;
    total += bv;
    for (uint32_t i = 1; i < nn; i++) {
      double d = w[(size_t)nodes[bi] * k + nodes[i]];
      if (!in[i] && d < best[i]) best[i] = d, from[i] = bi;
    }
  }
  return total;
}
