/* Test helper: runs a compiled tsr_program on the state vector (noiseless)
 * and compares its logical state with the source circuit's; or, for
 * Clifford programs of any size, on a stabilizer tableau.
 *
 * Every program qubit an operation touches becomes one simulated qubit. EPR
 * generation resets its two communication qubits and prepares |Phi+>;
 * measurements draw their outcome from the state (so every call follows one
 * random branch of the protocols' feed-forward); conditions read the
 * classical bits; messages need nothing (bits are global here; the checker
 * in the tests verifies that they arrive in time). At the end every
 * simulated qubit that does not hold a logical qubit must be in a basis state
 * (the communication qubits were measured out); the logical qubits' state is
 * read from the final placement. */
#ifndef TSR_TEST_PROGRAM_SIM_H
#define TSR_TEST_PROGRAM_SIM_H

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/program.h"
#include "tessera/sim.h"

/* Statevector of a unitary circuit (measurements, resets, barriers skipped). */
static inline tsr_status psim_source_state(const tsr_circuit *c, double complex **amps,
                                           tsr_error *err) {
  tsr_statevec *sv = tsr_statevec_new(c->nqubits, NULL, err);
  if (!sv) return err ? err->status : TSR_ERR_NOMEM;
  tsr_status st = TSR_OK;
  for (size_t i = 0; i < c->nops && st == TSR_OK; i++) {
    const tsr_op *op = &c->ops[i];
    if (op->kind == TSR_OP_BARRIER || op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET)
      continue;
    st = tsr_statevec_apply_gate(sv, op->kind, op->qubits, op->nqubits, op->params, err);
  }
  if (st == TSR_OK) {
    *amps = malloc(tsr_statevec_dim(sv) * sizeof **amps);
    if (!*amps)
      st = TSR_ERR_NOMEM;
    else
      tsr_statevec_get_amplitudes(sv, *amps);
  }
  tsr_statevec_free(sv);
  return st;
}

static inline int psim_cond_holds(const tsr_program *p, int64_t cond, const uint8_t *bits) {
  if (cond < 0) return 1;
  const tsr_condition *c = &p->conds[cond];
  if (c->creg < 0) return bits[c->bit] == (c->value[0] & 1);
  const tsr_register *r = &p->cregs[c->creg];
  for (uint32_t k = 0; k < r->size; k++) {
    int want = (int)((c->value[k / 64] >> (k % 64)) & 1);
    if (bits[r->first + k] != want) return 0;
  }
  return 1;
}

/* Runs program p from |0...0> with measurement randomness from seed; *amps
 * (malloc'd, 2^nlogical entries, logical qubit q = bit q) gets the logical
 * state. */
static inline tsr_status psim_run(const tsr_program *p, uint64_t seed, double complex **amps,
                                  unsigned *nsim_out, tsr_error *err) {
  uint32_t *map = malloc((p->nqubits + 1) * sizeof *map);
  uint8_t *bits = calloc(p->nclbits + 1, 1);
  if (!map || !bits) {
    free(map);
    free(bits);
    return TSR_ERR_NOMEM;
  }
  for (uint32_t q = 0; q < p->nqubits; q++) map[q] = UINT32_MAX;
  unsigned n = 0;
  for (uint32_t q = 0; q < p->nlogical; q++) {
    if (map[p->initial_placement[q]] == UINT32_MAX) map[p->initial_placement[q]] = n++;
  }
  for (uint32_t q = 0; q < p->nlogical; q++) {
    if (map[p->final_placement[q]] == UINT32_MAX) map[p->final_placement[q]] = n++;
  }
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *op = &p->ops[i];
    if (op->role == TSR_PROG_MESSAGE) continue;
    for (uint32_t k = 0; k < op->nqubits; k++)
      if (map[op->qubits[k]] == UINT32_MAX) map[op->qubits[k]] = n++;
  }
  if (nsim_out) *nsim_out = n;
  tsr_status st = TSR_OK;
  if (n > 24) {
    st = tsr_error_set(err, TSR_ERR_LIMIT, "program touches %u qubits: too many to simulate", n);
    free(map);
    free(bits);
    return st;
  }
  tsr_state_options so = {0};
  so.threads = 1;
  tsr_statevec *sv = tsr_statevec_new(n ? n : 1, &so, err);
  if (!sv) {
    free(map);
    free(bits);
    return err ? err->status : TSR_ERR_NOMEM;
  }
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, 0);
  for (size_t i = 0; i < p->nops && st == TSR_OK; i++) {
    const tsr_program_op *op = &p->ops[i];
    if (op->role == TSR_PROG_MESSAGE || op->kind == TSR_OP_BARRIER) continue;
    uint32_t q[4];
    for (uint32_t k = 0; k < op->nqubits; k++) q[k] = map[op->qubits[k]];
    if (op->role == TSR_PROG_EPR) {
      st = tsr_statevec_reset(sv, q[0], &rng, err);
      if (st == TSR_OK) st = tsr_statevec_reset(sv, q[1], &rng, err);
      if (st == TSR_OK) st = tsr_statevec_apply_gate(sv, TSR_GATE_H, &q[0], 1, NULL, err);
      if (st == TSR_OK) st = tsr_statevec_apply_gate(sv, TSR_GATE_CX, q, 2, NULL, err);
      continue;
    }
    if (!psim_cond_holds(p, op->cond, bits)) continue;
    if (op->kind == TSR_OP_MEASURE) {
      int out = 0;
      st = tsr_statevec_measure(sv, q[0], &rng, &out, err);
      bits[op->clbit] = (uint8_t)out;
    } else if (op->kind == TSR_OP_RESET) {
      st = tsr_statevec_reset(sv, q[0], &rng, err);
    } else {
      st = tsr_statevec_apply_gate(sv, op->kind, q, op->nqubits, op->params, err);
    }
  }
  if (st == TSR_OK) {
    uint64_t dim = tsr_statevec_dim(sv);
    double complex *all = malloc(dim * sizeof *all);
    uint64_t nl = (uint64_t)1 << p->nlogical;
    *amps = calloc(nl, sizeof **amps);
    if (!all || !*amps) {
      st = TSR_ERR_NOMEM;
    } else {
      tsr_statevec_get_amplitudes(sv, all);
      uint64_t logical_mask = 0;
      for (uint32_t q = 0; q < p->nlogical; q++)
        logical_mask |= (uint64_t)1 << map[p->final_placement[q]];
      uint64_t best = 0;
      double bp = -1;
      for (uint64_t i = 0; i < dim; i++) {
        double pr = cabs(all[i]) * cabs(all[i]);
        if (pr > bp) {
          bp = pr;
          best = i;
        }
      }
      uint64_t base = best & ~logical_mask;
      double norm = 0;
      for (uint64_t x = 0; x < nl; x++) {
        uint64_t idx = base;
        for (uint32_t q = 0; q < p->nlogical; q++)
          if (x & ((uint64_t)1 << q)) idx |= (uint64_t)1 << map[p->final_placement[q]];
        (*amps)[x] = all[idx];
        norm += cabs(all[idx]) * cabs(all[idx]);
      }
      if (fabs(norm - 1.0) > 1e-6) {
        st = tsr_error_set(err, TSR_ERR_VALUE,
                           "helper qubits are not in a basis state at the end (logical norm %.9f)",
                           norm);
      }
    }
    free(all);
    if (st != TSR_OK) {
      free(*amps);
      *amps = NULL;
    }
  }
  tsr_statevec_free(sv);
  free(map);
  free(bits);
  return st;
}

/* |<a|b>|^2 of two vectors of dim entries. */
static inline double psim_overlap(const double complex *a, const double complex *b, uint64_t dim) {
  double complex s = 0;
  for (uint64_t i = 0; i < dim; i++) s += conj(a[i]) * b[i];
  return cabs(s) * cabs(s);
}

/* Runs Clifford program p from |0...0> on a stabilizer tableau of all its
 * qubits (program qubit q = tableau qubit q), as psim_run does on the state
 * vector: *out (tsr_tableau_free) gets the final state, communication qubits
 * included. */
static inline tsr_status psim_run_tableau(const tsr_program *p, uint64_t seed, tsr_tableau **out,
                                          tsr_error *err) {
  *out = NULL;
  tsr_tableau *t = tsr_tableau_new(p->nqubits ? p->nqubits : 1, NULL, err);
  uint8_t *bits = calloc(p->nclbits + 1, 1);
  tsr_status st = t && bits ? TSR_OK : tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, 0);
  for (size_t i = 0; i < p->nops && st == TSR_OK; i++) {
    const tsr_program_op *op = &p->ops[i];
    if (op->role == TSR_PROG_MESSAGE || op->kind == TSR_OP_BARRIER) continue;
    if (op->role == TSR_PROG_EPR) {
      st = tsr_tableau_reset(t, op->qubits[0], &rng, err);
      if (st == TSR_OK) st = tsr_tableau_reset(t, op->qubits[1], &rng, err);
      if (st == TSR_OK) st = tsr_tableau_apply_gate(t, TSR_GATE_H, op->qubits, 1, NULL, err);
      if (st == TSR_OK) st = tsr_tableau_apply_gate(t, TSR_GATE_CX, op->qubits, 2, NULL, err);
      continue;
    }
    if (!psim_cond_holds(p, op->cond, bits)) continue;
    if (op->kind == TSR_OP_MEASURE) {
      int outcome = 0;
      st = tsr_tableau_measure(t, op->qubits[0], &rng, &outcome, NULL, err);
      bits[op->clbit] = (uint8_t)outcome;
    } else if (op->kind == TSR_OP_RESET) {
      st = tsr_tableau_reset(t, op->qubits[0], &rng, err);
    } else {
      st = tsr_tableau_apply_gate(t, op->kind, op->qubits, op->nqubits, op->params, err);
    }
  }
  free(bits);
  if (st == TSR_OK)
    *out = t;
  else
    tsr_tableau_free(t);
  return st;
}

#endif
