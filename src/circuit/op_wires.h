/* Internal to the circuit layer: the wires (qubits and classical bits) an
 * operation touches, shared by the DAG and the statistics so that both see
 * the same dependencies. Wire numbering: qubit q is wire q, classical bit b
 * is wire nqubits + b. */
#ifndef TESSERA_CIRCUIT_OP_WIRES_H
#define TESSERA_CIRCUIT_OP_WIRES_H

#include "tessera/circuit.h"

typedef struct tsr_op_wires {
  const uint32_t *qubits;
  uint32_t nqubits;
  int64_t clbit;       /* measure target, or -1 */
  uint32_t cond_first; /* classical bits a condition reads: */
  uint32_t cond_count; /* cond_first .. cond_first + cond_count - 1 */
} tsr_op_wires;

/* Fills w for op i of c, checking every index against the circuit (a
 * circuit built through the API always passes). */
static inline tsr_status tsr_op_wires_get(const tsr_circuit *c, size_t i, tsr_op_wires *w,
                                          tsr_error *err) {
  const tsr_op *op = &c->ops[i];
  *w = (tsr_op_wires){.qubits = op->qubits, .nqubits = op->nqubits, .clbit = op->clbit};
  if (op->nqubits && !op->qubits) {
    return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu has no operand list", i);
  }
  for (uint32_t k = 0; k < op->nqubits; k++) {
    if (op->qubits[k] >= c->nqubits) {
      return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu: qubit %u out of range", i,
                           op->qubits[k]);
    }
  }
  if (op->clbit >= (int64_t)c->nclbits) {
    return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu: classical bit %lld out of range", i,
                         (long long)op->clbit);
  }
  if (op->clbit < -1) w->clbit = -1;
  if (op->cond >= 0) {
    if ((size_t)op->cond >= c->nconds) {
      return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu: unknown condition %lld", i,
                           (long long)op->cond);
    }
    const tsr_condition *cd = &c->conds[op->cond];
    if (cd->creg >= 0) {
      if ((uint32_t)cd->creg >= c->ncregs) {
        return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu: unknown classical register %d", i,
                             (int)cd->creg);
      }
      const tsr_register *r = &c->cregs[cd->creg];
      if ((uint64_t)r->first + r->size > c->nclbits) {
        return tsr_error_set(err, TSR_ERR_VALUE, "classical register '%s' out of range", r->name);
      }
      w->cond_first = r->first;
      w->cond_count = r->size;
    } else {
      if (cd->bit >= c->nclbits) {
        return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu: condition bit %u out of range", i,
                             cd->bit);
      }
      w->cond_first = cd->bit;
      w->cond_count = 1;
    }
  }
  return TSR_OK;
}

#endif
