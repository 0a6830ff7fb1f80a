/* The compiled program: building, validation and JSON output. Reading and
 * writing its OpenQASM 3 form live in program_qasm.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/program.h"

const char *tsr_program_role_name(tsr_program_role r) {
  static const char *const names[TSR_PROG_COUNT] = {
      "local", "epr", "cat-entangle", "cat-disentangle", "teleport", "routing", "message"};
  return (unsigned)r < TSR_PROG_COUNT ? names[r] : "?";
}

tsr_program *tsr_program_new(tsr_error *err) {
  return tsr_calloc(1, sizeof(tsr_program), err);
}

void tsr_program_free(tsr_program *p) {
  if (!p) return;
  free(p->modules);
  free(p->links);
  for (uint32_t i = 0; i < p->ncregs; i++) free(p->cregs[i].name);
  free(p->cregs);
  for (size_t i = 0; i < p->nconds; i++) free(p->conds[i].value);
  free(p->conds);
  free(p->ops);
  free(p->initial_placement);
  free(p->final_placement);
  free(p);
}

static tsr_status copy_name(char *dst, const char *src, const char *what, tsr_error *err) {
  if (!src || !*src) return tsr_error_set(err, TSR_ERR_VALUE, "%s needs a name", what);
  if (strlen(src) >= TSR_PROGRAM_NAME_MAX) {
    return tsr_error_set(err, TSR_ERR_VALUE, "%s name '%s' is longer than %d characters", what, src,
                         TSR_PROGRAM_NAME_MAX - 1);
  }
  strcpy(dst, src);
  return TSR_OK;
}

tsr_status tsr_program_add_module(tsr_program *p, const char *name, uint32_t qubits,
                                  uint32_t communication_qubits, uint32_t *index, tsr_error *err) {
  if (communication_qubits > qubits) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "module '%s': %u communication qubits but only %u qubits", name,
                         communication_qubits, qubits);
  }
  if (p->nqubits > UINT32_MAX - qubits) {
    return tsr_error_set(err, TSR_ERR_LIMIT, "program has too many qubits");
  }
  for (uint32_t i = 0; i < p->nmodules; i++) {
    if (strcmp(p->modules[i].name, name) == 0) {
      return tsr_error_set(err, TSR_ERR_VALUE, "module '%s' added twice", name);
    }
  }
  tsr_program_module *grown = tsr_realloc(p->modules, p->nmodules + 1, sizeof *grown, err);
  if (!grown) return TSR_ERR_NOMEM;
  p->modules = grown;
  tsr_program_module *m = &grown[p->nmodules];
  memset(m, 0, sizeof *m);
  tsr_status st = copy_name(m->name, name, "module", err);
  if (st != TSR_OK) return st;
  m->first_qubit = p->nqubits;
  m->qubits = qubits;
  m->communication_qubits = communication_qubits;
  p->nqubits += qubits;
  if (index) *index = p->nmodules;
  p->nmodules++;
  return TSR_OK;
}

tsr_status tsr_program_add_link(tsr_program *p, const char *name, uint32_t module_a,
                                uint32_t module_b, double expected_latency_s, double fidelity,
                                uint32_t *index, tsr_error *err) {
  if (module_a >= p->nmodules || module_b >= p->nmodules || module_a == module_b) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "link '%s' joins modules %u and %u: not two modules "
                         "of this program",
                         name ? name : "?", module_a, module_b);
  }
  if (!(fidelity >= 0.0 && fidelity <= 1.0) || !(expected_latency_s >= 0.0)) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "link '%s': fidelity %g must be in [0, 1] and latency %g s >= 0",
                         name ? name : "?", fidelity, expected_latency_s);
  }
  tsr_program_link *grown = tsr_realloc(p->links, p->nlinks + 1, sizeof *grown, err);
  if (!grown) return TSR_ERR_NOMEM;
  p->links = grown;
  tsr_program_link *l = &grown[p->nlinks];
  memset(l, 0, sizeof *l);
  tsr_status st = copy_name(l->name, name, "link", err);
  if (st != TSR_OK) return st;
  l->module_a = module_a;
  l->module_b = module_b;
  l->expected_latency_s = expected_latency_s;
  l->fidelity = fidelity;
  if (index) *index = p->nlinks;
  p->nlinks++;
  return TSR_OK;
}

tsr_status tsr_program_add_creg(tsr_program *p, const char *name, uint32_t size, int source,
                                uint32_t *index, tsr_error *err) {
  if (size == 0)
    return tsr_error_set(err, TSR_ERR_VALUE, "classical register '%s' has size 0", name);
  if (source && p->source_clbits != p->nclbits) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "source register '%s' must come before the scratch registers", name);
  }
  for (uint32_t i = 0; i < p->ncregs; i++) {
    if (strcmp(p->cregs[i].name, name) == 0) {
      return tsr_error_set(err, TSR_ERR_VALUE, "classical register '%s' declared twice", name);
    }
  }
  if (p->nclbits > (1u << 30) - size) {
    return tsr_error_set(err, TSR_ERR_LIMIT, "program has too many classical bits");
  }
  tsr_register *grown = tsr_realloc(p->cregs, p->ncregs + 1, sizeof *grown, err);
  if (!grown) return TSR_ERR_NOMEM;
  p->cregs = grown;
  char *copy = tsr_strdup(name, err);
  if (!copy) return TSR_ERR_NOMEM;
  grown[p->ncregs] = (tsr_register){.name = copy, .size = size, .first = p->nclbits};
  if (index) *index = p->ncregs;
  p->ncregs++;
  p->nclbits += size;
  if (source) p->source_clbits = p->nclbits;
  return TSR_OK;
}

tsr_status tsr_program_set_placement(tsr_program *p, uint32_t nlogical, const uint32_t *initial,
                                     const uint32_t *final, tsr_error *err) {
  for (uint32_t q = 0; q < nlogical; q++) {
    if (initial[q] >= p->nqubits || final[q] >= p->nqubits) {
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "placement of logical qubit %u is outside the %u "
                           "program qubits",
                           q, p->nqubits);
    }
  }
  uint32_t *a = tsr_malloc((nlogical ? nlogical : 1) * sizeof *a, err);
  uint32_t *b = tsr_malloc((nlogical ? nlogical : 1) * sizeof *b, err);
  if (!a || !b) {
    free(a);
    free(b);
    return TSR_ERR_NOMEM;
  }
  if (nlogical) {
    memcpy(a, initial, nlogical * sizeof *a);
    memcpy(b, final, nlogical * sizeof *b);
  }
  free(p->initial_placement);
  free(p->final_placement);
  p->initial_placement = a;
  p->final_placement = b;
  p->nlogical = nlogical;
  return TSR_OK;
}

int32_t tsr_program_module_of(const tsr_program *p, uint32_t qubit) {
  for (uint32_t m = 0; m < p->nmodules; m++) {
    if (qubit >= p->modules[m].first_qubit &&
        qubit < p->modules[m].first_qubit + p->modules[m].qubits) {
      return (int32_t)m;
    }
  }
  return -1;
}

tsr_status tsr_program_append(tsr_program *p, const tsr_program_op *op, int32_t cond_creg,
                              uint32_t cond_bit, const uint64_t *value, uint32_t nwords,
                              tsr_error *err) {
  if (op->nqubits > 4 || op->nparams > 4) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "program operations take at most 4 qubits and 4 "
                         "parameters");
  }
  if (!(op->start_s >= 0.0) || !(op->duration_s >= 0.0) ||
      !isfinite(op->start_s + op->duration_s)) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "operation times must be finite and >= 0 (start %g, "
                         "duration %g)",
                         op->start_s, op->duration_s);
  }
  if (p->nops == p->ops_cap) {
    size_t cap = p->ops_cap ? 2 * p->ops_cap : 64;
    tsr_program_op *grown = tsr_realloc(p->ops, cap, sizeof *grown, err);
    if (!grown) return TSR_ERR_NOMEM;
    p->ops = grown;
    p->ops_cap = cap;
  }
  tsr_program_op copy = *op;
  copy.cond = -1;
  if (value) {
    uint32_t width;
    if (cond_creg >= 0) {
      if ((uint32_t)cond_creg >= p->ncregs) {
        return tsr_error_set(err, TSR_ERR_VALUE, "condition on unknown register %d", cond_creg);
      }
      width = p->cregs[cond_creg].size;
    } else {
      if (cond_bit >= p->nclbits) {
        return tsr_error_set(err, TSR_ERR_VALUE, "condition on classical bit %u out of range",
                             cond_bit);
      }
      width = 1;
    }
    if (p->nconds == p->conds_cap) {
      size_t cap = p->conds_cap ? 2 * p->conds_cap : 16;
      tsr_condition *grown = tsr_realloc(p->conds, cap, sizeof *grown, err);
      if (!grown) return TSR_ERR_NOMEM;
      p->conds = grown;
      p->conds_cap = cap;
    }
    uint32_t words = (width + 63) / 64;
    uint64_t *stored = tsr_calloc(words, sizeof *stored, err);
    if (!stored) return TSR_ERR_NOMEM;
    for (uint32_t w = 0; w < words && w < nwords; w++) stored[w] = value[w];
    p->conds[p->nconds] = (tsr_condition){.creg = cond_creg < 0 ? -1 : cond_creg,
                                          .bit = cond_creg < 0 ? cond_bit : 0,
                                          .nwords = words,
                                          .value = stored};
    copy.cond = (int64_t)p->nconds++;
  }
  p->ops[p->nops++] = copy;
  return TSR_OK;
}

/* Stable sort by start time: merge sort on indices (qsort is not stable). */
static void merge_sort(tsr_program_op *ops, tsr_program_op *tmp, size_t n) {
  if (n < 2) return;
  size_t h = n / 2;
  merge_sort(ops, tmp, h);
  merge_sort(ops + h, tmp, n - h);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = (ops[j].start_s < ops[i].start_s) ? ops[j++] : ops[i++];
  while (i < h) tmp[k++] = ops[i++];
  while (j < n) tmp[k++] = ops[j++];
  memcpy(ops, tmp, n * sizeof *ops);
}

static int is_communication(const tsr_program *p, uint32_t module, uint32_t qubit) {
  const tsr_program_module *m = &p->modules[module];
  return qubit >= m->first_qubit + m->qubits - m->communication_qubits &&
         qubit < m->first_qubit + m->qubits;
}

static tsr_status check_op(const tsr_program *p, size_t i, const tsr_program_op *op,
                           tsr_error *err) {
  if (op->role == TSR_PROG_MESSAGE) {
    if (op->module < 0 || op->module_to < 0 || (uint32_t)op->module >= p->nmodules ||
        (uint32_t)op->module_to >= p->nmodules) {
      return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu: message between unknown modules", i);
    }
    if (op->message_clbit_first + (uint64_t)op->message_clbits > p->nclbits) {
      return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu: message carries bits out of range",
                           i);
    }
    return TSR_OK;
  }
  if (op->role == TSR_PROG_EPR) {
    if (op->link < 0 || (uint32_t)op->link >= p->nlinks || op->nqubits != 2) {
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "operation %zu: EPR generation needs a link and "
                           "two qubits",
                           i);
    }
    const tsr_program_link *l = &p->links[op->link];
    if (!is_communication(p, l->module_a, op->qubits[0]) ||
        !is_communication(p, l->module_b, op->qubits[1])) {
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "operation %zu: EPR over link '%s' must use a "
                           "communication qubit of each of its modules",
                           i, l->name);
    }
    return TSR_OK;
  }
  const tsr_gate_info *info = tsr_gate_get(op->kind);
  if (!info || op->kind == TSR_GATE_OPAQUE) {
    return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu: kind %d cannot run", i, (int)op->kind);
  }
  if ((info->nqubits && info->nqubits != op->nqubits) || info->nparams != op->nparams ||
      op->nqubits == 0) {
    return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu: '%s' with %u qubits and %u parameters",
                         i, info->name, op->nqubits, op->nparams);
  }
  if (op->module < 0 || (uint32_t)op->module >= p->nmodules) {
    return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu ('%s') has no module", i, info->name);
  }
  for (uint32_t k = 0; k < op->nqubits; k++) {
    if (tsr_program_module_of(p, op->qubits[k]) != op->module) {
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "operation %zu ('%s'): qubit %u is not on module '%s'", i, info->name,
                           op->qubits[k], p->modules[op->module].name);
    }
  }
  if (op->kind == TSR_OP_MEASURE && (op->clbit < 0 || (uint64_t)op->clbit >= p->nclbits)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu: measure into a missing classical bit",
                         i);
  }
  return TSR_OK;
}

tsr_status tsr_program_finish(tsr_program *p, tsr_error *err) {
  if (p->nops > 1) {
    tsr_program_op *tmp = tsr_malloc(p->nops * sizeof *tmp, err);
    if (!tmp) return TSR_ERR_NOMEM;
    merge_sort(p->ops, tmp, p->nops);
    free(tmp);
  }
  /* busy_until[q]: when the last operation on qubit q ends. */
  double *busy_until = tsr_calloc(p->nqubits ? p->nqubits : 1, sizeof *busy_until, err);
  if (!busy_until) return TSR_ERR_NOMEM;
  tsr_status st = TSR_OK;
  double makespan = 0.0;
  /* Tolerance for floating-point sums of durations. */
  const double slack = 1e-12;
  for (size_t i = 0; i < p->nops && st == TSR_OK; i++) {
    const tsr_program_op *op = &p->ops[i];
    st = check_op(p, i, op, err);
    if (st != TSR_OK) break;
    if (op->role != TSR_PROG_MESSAGE && op->kind != TSR_OP_BARRIER) {
      for (uint32_t k = 0; k < op->nqubits; k++) {
        uint32_t q = op->qubits[k];
        if (op->start_s + slack * (1.0 + op->start_s) < busy_until[q]) {
          st = tsr_error_set(err, TSR_ERR_VALUE,
                             "operation %zu starts at %.9g s on qubit %u, busy until %.9g s", i,
                             op->start_s, q, busy_until[q]);
          break;
        }
        busy_until[q] = op->start_s + op->duration_s;
      }
    }
    if (op->start_s + op->duration_s > makespan) makespan = op->start_s + op->duration_s;
  }
  free(busy_until);
  if (st == TSR_OK) p->metrics.makespan_s = makespan;
  return st;
}

tsr_status tsr_program_write_json(const tsr_program *p, tsr_json *j, int with_ops, tsr_error *err) {
  (void)err;
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "machine", p->machine);
  tsr_json_kv_int(j, "ebits", (int64_t)p->metrics.ebits);
  tsr_json_kv_int(j, "remote_gates", (int64_t)p->metrics.remote_gates);
  tsr_json_kv_int(j, "teleports", (int64_t)p->metrics.teleports);
  tsr_json_kv_int(j, "swaps", (int64_t)p->metrics.swaps);
  tsr_json_kv_int(j, "moves", (int64_t)p->metrics.moves);
  tsr_json_kv_double(j, "makespan_s", p->metrics.makespan_s);
  tsr_json_kv_double(j, "estimated_success", p->metrics.estimated_success);
  tsr_json_key(j, "modules");
  tsr_json_array_begin(j);
  for (uint32_t m = 0; m < p->nmodules; m++) {
    tsr_json_object_begin(j);
    tsr_json_kv_string(j, "name", p->modules[m].name);
    tsr_json_kv_int(j, "first_qubit", p->modules[m].first_qubit);
    tsr_json_kv_int(j, "qubits", p->modules[m].qubits);
    tsr_json_kv_int(j, "communication_qubits", p->modules[m].communication_qubits);
    tsr_json_object_end(j);
  }
  tsr_json_array_end(j);
  tsr_json_key(j, "links");
  tsr_json_array_begin(j);
  for (uint32_t l = 0; l < p->nlinks; l++) {
    tsr_json_object_begin(j);
    tsr_json_kv_string(j, "name", p->links[l].name);
    tsr_json_key(j, "between");
    tsr_json_array_begin(j);
    tsr_json_string(j, p->modules[p->links[l].module_a].name);
    tsr_json_string(j, p->modules[p->links[l].module_b].name);
    tsr_json_array_end(j);
    tsr_json_kv_double(j, "expected_latency_s", p->links[l].expected_latency_s);
    tsr_json_kv_double(j, "fidelity", p->links[l].fidelity);
    tsr_json_object_end(j);
  }
  tsr_json_array_end(j);
  /* placement: logical qubit -> module and physical qubit within it */
  tsr_json_key(j, "placement");
  tsr_json_array_begin(j);
  for (uint32_t q = 0; q < p->nlogical; q++) {
    int32_t m = tsr_program_module_of(p, p->initial_placement[q]);
    int32_t mf = tsr_program_module_of(p, p->final_placement[q]);
    tsr_json_object_begin(j);
    tsr_json_kv_int(j, "logical", q);
    tsr_json_kv_string(j, "module", m >= 0 ? p->modules[m].name : "?");
    tsr_json_kv_int(j, "qubit",
                    m >= 0 ? (int64_t)(p->initial_placement[q] - p->modules[m].first_qubit) : -1);
    tsr_json_kv_string(j, "final_module", mf >= 0 ? p->modules[mf].name : "?");
    tsr_json_kv_int(j, "final_qubit",
                    mf >= 0 ? (int64_t)(p->final_placement[q] - p->modules[mf].first_qubit) : -1);
    tsr_json_object_end(j);
  }
  tsr_json_array_end(j);
  if (with_ops) {
    tsr_json_key(j, "operations");
    tsr_json_array_begin(j);
    for (size_t i = 0; i < p->nops; i++) {
      const tsr_program_op *op = &p->ops[i];
      tsr_json_object_begin(j);
      tsr_json_kv_string(j, "role", tsr_program_role_name(op->role));
      if (op->role != TSR_PROG_EPR && op->role != TSR_PROG_MESSAGE) {
        tsr_json_kv_string(j, "gate", tsr_gate_get(op->kind)->name);
      }
      if (op->module >= 0) tsr_json_kv_string(j, "module", p->modules[op->module].name);
      if (op->module_to >= 0) tsr_json_kv_string(j, "module_to", p->modules[op->module_to].name);
      if (op->link >= 0) tsr_json_kv_string(j, "link", p->links[op->link].name);
      tsr_json_key(j, "qubits");
      tsr_json_array_begin(j);
      for (uint32_t k = 0; k < op->nqubits; k++) tsr_json_int(j, op->qubits[k]);
      tsr_json_array_end(j);
      if (op->nparams) {
        tsr_json_key(j, "params");
        tsr_json_array_begin(j);
        for (uint32_t k = 0; k < op->nparams; k++) tsr_json_double(j, op->params[k]);
        tsr_json_array_end(j);
      }
      if (op->clbit >= 0) tsr_json_kv_int(j, "clbit", op->clbit);
      if (op->cond >= 0) tsr_json_kv_bool(j, "conditioned", 1);
      tsr_json_kv_double(j, "start_s", op->start_s);
      tsr_json_kv_double(j, "duration_s", op->duration_s);
      tsr_json_object_end(j);
    }
    tsr_json_array_end(j);
  }
  tsr_json_object_end(j);
  return TSR_OK;
}
