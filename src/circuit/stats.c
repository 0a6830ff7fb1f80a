/* Circuit statistics: operation counts, depth and two-qubit depth.
 *
 * Depth follows Qiskit's QuantumCircuit.depth(): one pass keeping, per wire
 * (qubit or classical bit), the depth reached so far; an operation lands one
 * past the deepest of its wires and raises them all to that. Measure and
 * reset count, a measure's classical bit and every bit a condition reads are
 * wires, and a barrier adds nothing but still lines its qubits up (they all
 * move to the deepest of them), exactly as Qiskit's barrier does. The
 * two-qubit depth uses the same pass where only gates on two or more qubits
 * add a level. */
#include <stdlib.h>
#include <string.h>

#include "op_wires.h"
#include "tessera/circuit.h"

/* One operation of the depth pass: level = deepest wire + weight, then every
 * wire of the op is raised to level. */
static uint64_t advance(uint64_t *wire, size_t nq, const tsr_op_wires *w, uint64_t weight) {
  uint64_t level = 0;
  for (uint32_t k = 0; k < w->nqubits; k++) {
    if (wire[w->qubits[k]] > level) level = wire[w->qubits[k]];
  }
  if (w->clbit >= 0 && wire[nq + (size_t)w->clbit] > level) level = wire[nq + (size_t)w->clbit];
  for (uint32_t k = 0; k < w->cond_count; k++) {
    if (wire[nq + w->cond_first + k] > level) level = wire[nq + w->cond_first + k];
  }
  level += weight;
  for (uint32_t k = 0; k < w->nqubits; k++) wire[w->qubits[k]] = level;
  if (w->clbit >= 0) wire[nq + (size_t)w->clbit] = level;
  for (uint32_t k = 0; k < w->cond_count; k++) wire[nq + w->cond_first + k] = level;
  return level;
}

tsr_status tsr_circuit_compute_stats(const tsr_circuit *c, tsr_circuit_stats *out, tsr_error *err) {
  if (!c || !out) return tsr_error_set(err, TSR_ERR_VALUE, "no circuit or no output");
  memset(out, 0, sizeof *out);
  out->qubits = c->nqubits;
  out->clbits = c->nclbits;
  size_t nq = c->nqubits, nwires = nq + c->nclbits;
  uint64_t *wire = tsr_calloc(nwires ? nwires : 1, sizeof *wire, err);
  uint64_t *wire2 = tsr_calloc(nwires ? nwires : 1, sizeof *wire2, err);
  if (!wire || !wire2) {
    free(wire);
    free(wire2);
    return TSR_ERR_NOMEM;
  }
  tsr_status st = TSR_OK;
  for (size_t i = 0; i < c->nops && st == TSR_OK; i++) {
    const tsr_op *op = &c->ops[i];
    const tsr_gate_info *info = tsr_gate_get(op->kind);
    if (!info) {
      st = tsr_error_set(err, TSR_ERR_VALUE, "operation %zu has unknown kind %d", i, (int)op->kind);
      break;
    }
    tsr_op_wires w;
    st = tsr_op_wires_get(c, i, &w, err);
    if (st != TSR_OK) break;
    int is_gate = (info->flags & TSR_GF_UNITARY) || op->kind == TSR_GATE_OPAQUE;
    out->counts[op->kind]++;
    if (is_gate) {
      out->gates++;
      if (op->nqubits == 2) out->two_qubit_gates++;
      if (op->nqubits >= 3) out->multi_qubit_gates++;
    }
    if (op->kind == TSR_OP_MEASURE) out->measurements++;
    if (op->kind == TSR_OP_RESET) out->resets++;
    if (op->kind == TSR_OP_BARRIER) out->barriers++;
    if (op->cond >= 0) out->conditioned++;
    uint64_t level = advance(wire, nq, &w, op->kind == TSR_OP_BARRIER ? 0 : 1);
    if (level > out->depth) out->depth = level;
    level = advance(wire2, nq, &w, is_gate && op->nqubits >= 2 ? 1 : 0);
    if (level > out->two_qubit_depth) out->two_qubit_depth = level;
  }
  free(wire);
  free(wire2);
  return st;
}
