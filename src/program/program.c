/* The compiled program: building, validation and JSON output. Reading and
 * writing its OpenQASM 3 form live in program_qasm.c. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program/program_internal.h"

const char *tsr_program_role_name(tsr_program_role r) {
  static const char *const names[TSR_PROG_COUNT] = {
      "local", "epr", "cat-entangle", "cat-disentangle", "teleport", "routing", "message"};
  return (unsigned)r < TSR_PROG_COUNT ? names[r] : "?";
}

tsr_program_op tsr_program_op_blank(tsr_program_role role, tsr_gate kind, int32_t module) {
  tsr_program_op op;
  memset(&op, 0, sizeof op);
  op.role = role;
  op.kind = kind;
  op.clbit = -1;
  op.cond = -1;
  op.module = module;
  op.module_to = -1;
  op.link = -1;
  op.source_op = -1;
  return op;
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

/* Stable sort of operation indices by start time (qsort is not stable). */
static void merge_sort(const tsr_program_op *ops, size_t *idx, size_t *tmp, size_t n) {
  if (n < 2) return;
  size_t h = n / 2;
  merge_sort(ops, idx, tmp, h);
  merge_sort(ops, idx + h, tmp, n - h);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n)
    tmp[k++] = (ops[idx[j]].start_s < ops[idx[i]].start_s) ? idx[j++] : idx[i++];
  while (i < h) tmp[k++] = idx[i++];
  while (j < n) tmp[k++] = idx[j++];
  memcpy(idx, tmp, n * sizeof *idx);
}

/* Sorts the operations by start time; order[k] gets the insertion index of
 * the operation now at k. */
static tsr_status sort_ops(tsr_program *p, size_t *order, tsr_error *err) {
  for (size_t i = 0; i < p->nops; i++) order[i] = i;
  if (p->nops < 2) return TSR_OK;
  size_t *tmp = tsr_malloc(p->nops * sizeof *tmp, err);
  tsr_program_op *sorted = tsr_malloc(p->nops * sizeof *sorted, err);
  if (!tmp || !sorted) {
    free(tmp);
    free(sorted);
    return TSR_ERR_NOMEM;
  }
  merge_sort(p->ops, order, tmp, p->nops);
  for (size_t k = 0; k < p->nops; k++) sorted[k] = p->ops[order[k]];
  memcpy(p->ops, sorted, p->nops * sizeof *sorted);
  free(tmp);
  free(sorted);
  return TSR_OK;
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

/* ------------------------------------------------- classical bits */

/* Where the classical bits can be read, while walking the program in start
 * order. A bit is known everywhere at time 0 until it is first measured
 * (source bits: 0; scratch bits have no value before their measurement);
 * a measurement makes it known on its module when it ends, and nowhere else
 * until a message carries it on. */
typedef struct bit_avail {
  uint32_t nmodules;
  double *at;         /* [nclbits * nmodules]: since when bit b is known on module m
                         (its latest value), INFINITY when not */
  int64_t *last_meas; /* [nclbits]: position of the latest measurement, -1 none */
} bit_avail;

/* "c[3]": the register and index of classical bit b. */
static void bit_name(const tsr_program *p, uint32_t b, char *buf, size_t size) {
  for (uint32_t r = 0; r < p->ncregs; r++) {
    const tsr_register *cr = &p->cregs[r];
    if (b >= cr->first && b - cr->first < cr->size) {
      snprintf(buf, size, "%s[%u]", cr->name, b - cr->first);
      return;
    }
  }
  snprintf(buf, size, "%u", b);
}

/* Checks that operation i (op), running on module m, can read bit b at its
 * start; else sets err with what the operation is, the bit and why not. */
static tsr_status check_read(const tsr_program *p, const bit_avail *ba, size_t i,
                             const tsr_program_op *op, uint32_t m, uint32_t b, double slack,
                             tsr_error *err) {
  double s = op->start_s;
  double at = ba->at[(size_t)b * ba->nmodules + m];
  if (at <= s + slack * (1.0 + s)) return TSR_OK;
  char what[4 * TSR_PROGRAM_NAME_MAX], name[TSR_PROGRAM_NAME_MAX + 16],
      why[8 * TSR_PROGRAM_NAME_MAX];
  const char *mname = p->modules[m].name;
  if (op->role == TSR_PROG_MESSAGE) {
    snprintf(what, sizeof what, "message from '%s' to '%s'", mname, p->modules[op->module_to].name);
  } else {
    snprintf(what, sizeof what, "%s on module '%s'", tsr_program_role_name(op->role), mname);
  }
  bit_name(p, b, name, sizeof name);
  int64_t w = ba->last_meas[b];
  if (w < 0) {
    snprintf(why, sizeof why,
             "no operation measured it before (scratch bits have no value until "
             "they are measured)");
  } else if ((uint32_t)p->ops[w].module == m) {
    snprintf(why, sizeof why, "its measurement on '%s' (operation %" PRId64 ") ends at %.9g s",
             mname, w, p->ops[w].start_s + p->ops[w].duration_s);
  } else if (isinf(at)) {
    snprintf(why, sizeof why,
             "it is measured on module '%s' (operation %" PRId64 ") and no message sent after "
             "that measurement brings it to '%s'",
             p->modules[p->ops[w].module].name, w, mname);
  } else {
    /* The message that brings it first. */
    size_t k = (size_t)w + 1;
    for (; k < i; k++) {
      const tsr_program_op *o = &p->ops[k];
      if (o->role == TSR_PROG_MESSAGE && (uint32_t)o->module_to == m &&
          b - o->message_clbit_first < o->message_clbits && o->start_s + o->duration_s == at)
        break;
    }
    if (k < i) {
      snprintf(why, sizeof why,
               "the first message bringing it to '%s' (operation %zu, from '%s') arrives at "
               "%.9g s",
               mname, k, p->modules[p->ops[k].module].name, at);
    } else {
      snprintf(why, sizeof why, "it reaches '%s' at %.9g s", mname, at);
    }
  }
  return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu (%s) %s bit %s at %.9g s, but %s", i,
                       what, op->role == TSR_PROG_MESSAGE ? "sends" : "reads", name, s, why);
}

/* The classical side of operation i: its condition's bits and a message's
 * bits must be known on its module at its start; then a message brings its
 * bits to module_to and a measurement sets its bit. */
static tsr_status track_bits(const tsr_program *p, bit_avail *ba, size_t i, double slack,
                             tsr_error *err) {
  const tsr_program_op *op = &p->ops[i];
  uint32_t n = ba->nmodules;
  tsr_status st = TSR_OK;
  if (op->cond >= 0) {
    const tsr_condition *c = &p->conds[op->cond];
    uint32_t first = c->creg >= 0 ? p->cregs[c->creg].first : c->bit;
    uint32_t width = c->creg >= 0 ? p->cregs[c->creg].size : 1;
    /* An EPR generation's condition is read on module_a's side, as the
       executor does. */
    uint32_t m = op->role == TSR_PROG_EPR ? p->links[op->link].module_a : (uint32_t)op->module;
    for (uint32_t k = 0; k < width && st == TSR_OK; k++)
      st = check_read(p, ba, i, op, m, first + k, slack, err);
  }
  if (st != TSR_OK) return st;
  if (op->role == TSR_PROG_MESSAGE) {
    double arrival = op->start_s + op->duration_s;
    for (uint32_t k = 0; k < op->message_clbits; k++) {
      uint32_t b = op->message_clbit_first + k;
      st = check_read(p, ba, i, op, (uint32_t)op->module, b, slack, err);
      if (st != TSR_OK) return st;
      double *to = &ba->at[(size_t)b * n + (uint32_t)op->module_to];
      if (arrival < *to) *to = arrival;
    }
  } else if (op->kind == TSR_OP_MEASURE) {
    uint32_t b = (uint32_t)op->clbit;
    for (uint32_t x = 0; x < n; x++) ba->at[(size_t)b * n + x] = INFINITY;
    ba->at[(size_t)b * n + (uint32_t)op->module] = op->start_s + op->duration_s;
    ba->last_meas[b] = (int64_t)i;
  }
  return TSR_OK;
}

/* ------------------------------------------------------------ finish */

tsr_status tsr__program_finish(tsr_program *p, size_t *bad_op, tsr_error *err) {
  size_t bad_dummy;
  if (!bad_op) bad_op = &bad_dummy;
  *bad_op = SIZE_MAX;
  size_t *order = tsr_malloc((p->nops ? p->nops : 1) * sizeof *order, err);
  if (!order) return TSR_ERR_NOMEM;
  tsr_status st = sort_ops(p, order, err);
  if (st != TSR_OK) {
    free(order);
    return st;
  }
  /* busy_until[q]: when the last operation on qubit q ends. */
  double *busy_until = tsr_calloc(p->nqubits ? p->nqubits : 1, sizeof *busy_until, err);
  /* The classical bits, when some operation reads them. */
  int reads = p->nconds > 0;
  for (size_t i = 0; i < p->nops && !reads; i++) reads = p->ops[i].role == TSR_PROG_MESSAGE;
  bit_avail ba = {.nmodules = p->nmodules};
  if (busy_until && reads) {
    ba.at = tsr_calloc((size_t)p->nclbits * p->nmodules + 1, sizeof *ba.at, err);
    ba.last_meas = tsr_malloc(((size_t)p->nclbits + 1) * sizeof *ba.last_meas, err);
  }
  if (!busy_until || (reads && (!ba.at || !ba.last_meas))) {
    free(order);
    free(busy_until);
    free(ba.at);
    free(ba.last_meas);
    return TSR_ERR_NOMEM;
  }
  if (reads) {
    for (uint32_t b = 0; b < p->nclbits; b++) {
      ba.last_meas[b] = -1;
      if (b >= p->source_clbits)
        for (uint32_t m = 0; m < p->nmodules; m++) ba.at[(size_t)b * p->nmodules + m] = INFINITY;
    }
  }
  double makespan = 0.0;
  /* Tolerance for floating-point sums of durations. */
  const double slack = 1e-12;
  size_t i = 0;
  for (; i < p->nops && st == TSR_OK; i++) {
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
    if (st != TSR_OK) break;
    if (reads && (st = track_bits(p, &ba, i, slack, err)) != TSR_OK) break;
    if (op->start_s + op->duration_s > makespan) makespan = op->start_s + op->duration_s;
  }
  if (st != TSR_OK && i < p->nops) *bad_op = order[i];
  free(order);
  free(busy_until);
  free(ba.at);
  free(ba.last_meas);
  if (st == TSR_OK) p->metrics.makespan_s = makespan;
  return st;
}

tsr_status tsr_program_finish(tsr_program *p, tsr_error *err) {
  return tsr__program_finish(p, NULL, err);
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
      if (op->source_op >= 0) tsr_json_kv_int(j, "source_op", op->source_op);
      tsr_json_kv_double(j, "start_s", op->start_s);
      tsr_json_kv_double(j, "duration_s", op->duration_s);
      tsr_json_object_end(j);
    }
    tsr_json_array_end(j);
  }
  tsr_json_object_end(j);
  return TSR_OK;
}
