/* The circuit IR: registers, operations and classical conditions.
 * Operands, parameters and names live in a chunked arena owned by the
 * circuit, so pointers held in tsr_op stay valid while the circuit grows and
 * appending costs no malloc per operation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/circuit.h"

/* ------------------------------------------------------------------ arena */

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t used, cap;
  max_align_t data[]; /* aligned for doubles and uint64 */
} arena_chunk;

struct tsr_circuit_pool {
  arena_chunk *head;
};

enum { ARENA_CHUNK_BYTES = 64 * 1024 };

static void *arena_alloc(struct tsr_circuit_pool *pool, size_t bytes, tsr_error *err) {
  bytes = (bytes + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  if (bytes == 0) bytes = sizeof(max_align_t);
  arena_chunk *c = pool->head;
  if (!c || c->cap - c->used < bytes) {
    size_t cap = bytes > ARENA_CHUNK_BYTES ? bytes : ARENA_CHUNK_BYTES;
    c = tsr_malloc(sizeof *c + cap, err);
    if (!c) return NULL;
    c->used = 0;
    c->cap = cap;
    c->next = pool->head;
    pool->head = c;
  }
  void *p = (char *)c->data + c->used;
  c->used += bytes;
  return p;
}

static void arena_free(struct tsr_circuit_pool *pool) {
  if (!pool) return;
  arena_chunk *c = pool->head;
  while (c) {
    arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  free(pool);
}

static char *arena_strdup(struct tsr_circuit_pool *pool, const char *s, tsr_error *err) {
  size_t n = strlen(s) + 1;
  char *p = arena_alloc(pool, n, err);
  if (p) memcpy(p, s, n);
  return p;
}

/* --------------------------------------------------------------- circuit */

tsr_circuit *tsr_circuit_new(tsr_error *err) {
  tsr_circuit *c = tsr_calloc(1, sizeof *c, err);
  if (!c) return NULL;
  c->pool = tsr_calloc(1, sizeof *c->pool, err);
  if (!c->pool) {
    free(c);
    return NULL;
  }
  return c;
}

void tsr_circuit_free(tsr_circuit *c) {
  if (!c) return;
  free(c->qregs);
  free(c->cregs);
  free(c->ops);
  free(c->conds);
  arena_free(c->pool);
  free(c);
}

static int64_t find_register(const tsr_register *regs, uint32_t n, const char *name) {
  for (uint32_t i = 0; i < n; i++) {
    if (strcmp(regs[i].name, name) == 0) return i;
  }
  return -1;
}

int64_t tsr_circuit_find_qreg(const tsr_circuit *c, const char *name) {
  return find_register(c->qregs, c->nqregs, name);
}

int64_t tsr_circuit_find_creg(const tsr_circuit *c, const char *name) {
  return find_register(c->cregs, c->ncregs, name);
}

/* Registers are capped so flat indices always fit in uint32_t with room to spare. */
#define TSR_MAX_BITS (1u << 30)

static tsr_status add_register(tsr_circuit *c, tsr_register **regs, uint32_t *nregs,
                               uint32_t *total, const char *kind, const char *name, uint32_t size,
                               uint32_t *index, tsr_error *err) {
  if (!name || !*name) return tsr_error_set(err, TSR_ERR_VALUE, "%s register needs a name", kind);
  if (size == 0) {
    return tsr_error_set(err, TSR_ERR_VALUE, "%s register '%s' has size 0", kind, name);
  }
  if (find_register(*regs, *nregs, name) >= 0) {
    return tsr_error_set(err, TSR_ERR_VALUE, "%s register '%s' is already declared", kind, name);
  }
  if (size > TSR_MAX_BITS - *total) {
    return tsr_error_set(err, TSR_ERR_LIMIT,
                         "%s register '%s' of size %u exceeds the limit of %u bits", kind, name,
                         size, TSR_MAX_BITS);
  }
  tsr_register *grown = tsr_realloc(*regs, *nregs + 1, sizeof **regs, err);
  if (!grown) return TSR_ERR_NOMEM;
  *regs = grown;
  char *copy = arena_strdup(c->pool, name, err);
  if (!copy) return TSR_ERR_NOMEM;
  grown[*nregs] = (tsr_register){.name = copy, .size = size, .first = *total};
  if (index) *index = *nregs;
  (*nregs)++;
  *total += size;
  return TSR_OK;
}

tsr_status tsr_circuit_add_qreg(tsr_circuit *c, const char *name, uint32_t size, uint32_t *index,
                                tsr_error *err) {
  return add_register(c, &c->qregs, &c->nqregs, &c->nqubits, "quantum", name, size, index, err);
}

tsr_status tsr_circuit_add_creg(tsr_circuit *c, const char *name, uint32_t size, uint32_t *index,
                                tsr_error *err) {
  return add_register(c, &c->cregs, &c->ncregs, &c->nclbits, "classical", name, size, index, err);
}

static const tsr_register *register_of(const tsr_register *regs, uint32_t n, uint32_t bit,
                                       uint32_t *offset) {
  /* Registers are stored in order of their first index: binary search. */
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (bit < regs[mid].first)
      hi = mid;
    else if (bit >= regs[mid].first + regs[mid].size)
      lo = mid + 1;
    else {
      if (offset) *offset = bit - regs[mid].first;
      return &regs[mid];
    }
  }
  return NULL;
}

const tsr_register *tsr_circuit_qubit_register(const tsr_circuit *c, uint32_t qubit,
                                               uint32_t *offset) {
  return register_of(c->qregs, c->nqregs, qubit, offset);
}

const tsr_register *tsr_circuit_clbit_register(const tsr_circuit *c, uint32_t clbit,
                                               uint32_t *offset) {
  return register_of(c->cregs, c->ncregs, clbit, offset);
}

/* Reserves a new op slot with copies of its operands and parameters. */
static tsr_op *push_op(tsr_circuit *c, tsr_gate kind, const uint32_t *qubits, uint32_t nqubits,
                       const double *params, uint32_t nparams, tsr_error *err) {
  if (c->nops == c->ops_cap) {
    size_t cap = c->ops_cap ? 2 * c->ops_cap : 64;
    tsr_op *grown = tsr_realloc(c->ops, cap, sizeof *grown, err);
    if (!grown) return NULL;
    c->ops = grown;
    c->ops_cap = cap;
  }
  tsr_op *op = &c->ops[c->nops];
  *op = (tsr_op){.kind = kind, .nqubits = nqubits, .nparams = nparams, .clbit = -1, .cond = -1};
  if (nqubits) {
    op->qubits = arena_alloc(c->pool, nqubits * sizeof *qubits, err);
    if (!op->qubits) return NULL;
    memcpy(op->qubits, qubits, nqubits * sizeof *qubits);
  }
  if (nparams) {
    op->params = arena_alloc(c->pool, nparams * sizeof *params, err);
    if (!op->params) return NULL;
    memcpy(op->params, params, nparams * sizeof *params);
  }
  c->nops++;
  return op;
}

static tsr_status check_qubits(const tsr_circuit *c, const char *what, const uint32_t *qubits,
                               uint32_t nqubits, tsr_error *err) {
  for (uint32_t i = 0; i < nqubits; i++) {
    if (qubits[i] >= c->nqubits) {
      return tsr_error_set(err, TSR_ERR_VALUE, "%s: qubit %u out of range (circuit has %u)", what,
                           qubits[i], c->nqubits);
    }
  }
  /* Small operand lists: the quadratic check is cheaper than a bitmap. */
  if (nqubits <= 16) {
    for (uint32_t i = 0; i < nqubits; i++) {
      for (uint32_t j = i + 1; j < nqubits; j++) {
        if (qubits[i] == qubits[j]) {
          return tsr_error_set(err, TSR_ERR_VALUE, "%s: qubit %u used twice", what, qubits[i]);
        }
      }
    }
    return TSR_OK;
  }
  uint8_t *seen = tsr_calloc(c->nqubits, 1, err);
  if (!seen) return TSR_ERR_NOMEM;
  tsr_status st = TSR_OK;
  for (uint32_t i = 0; i < nqubits && st == TSR_OK; i++) {
    if (seen[qubits[i]]++) {
      st = tsr_error_set(err, TSR_ERR_VALUE, "%s: qubit %u used twice", what, qubits[i]);
    }
  }
  free(seen);
  return st;
}

static tsr_status check_params(const char *what, const double *params, uint32_t nparams,
                               tsr_error *err) {
  for (uint32_t i = 0; i < nparams; i++) {
    if (!isfinite(params[i])) {
      return tsr_error_set(err, TSR_ERR_VALUE, "%s: parameter %u is not a finite number", what,
                           i + 1);
    }
  }
  return TSR_OK;
}

tsr_status tsr_circuit_append_gate(tsr_circuit *c, tsr_gate kind, const uint32_t *qubits,
                                   uint32_t nqubits, const double *params, uint32_t nparams,
                                   tsr_error *err) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  if (!info || !(info->flags & TSR_GF_UNITARY)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "operation kind %d is not a unitary gate", (int)kind);
  }
  if (info->nqubits ? nqubits != info->nqubits : nqubits == 0) {
    return tsr_error_set(err, TSR_ERR_VALUE, "gate '%s' takes %u qubit%s, got %u", info->name,
                         info->nqubits, info->nqubits == 1 ? "" : "s", nqubits);
  }
  if (nparams != info->nparams) {
    return tsr_error_set(err, TSR_ERR_VALUE, "gate '%s' takes %u parameter%s, got %u", info->name,
                         info->nparams, info->nparams == 1 ? "" : "s", nparams);
  }
  tsr_status st = check_qubits(c, info->name, qubits, nqubits, err);
  if (st == TSR_OK) st = check_params(info->name, params, nparams, err);
  if (st != TSR_OK) return st;
  return push_op(c, kind, qubits, nqubits, params, nparams, err) ? TSR_OK : TSR_ERR_NOMEM;
}

tsr_status tsr_circuit_append_opaque(tsr_circuit *c, const char *name, const uint32_t *qubits,
                                     uint32_t nqubits, const double *params, uint32_t nparams,
                                     tsr_error *err) {
  if (!name || !*name) return tsr_error_set(err, TSR_ERR_VALUE, "opaque gate needs a name");
  if (nqubits == 0) {
    return tsr_error_set(err, TSR_ERR_VALUE, "opaque gate '%s' needs at least one qubit", name);
  }
  tsr_status st = check_qubits(c, name, qubits, nqubits, err);
  if (st == TSR_OK) st = check_params(name, params, nparams, err);
  if (st != TSR_OK) return st;
  tsr_op *op = push_op(c, TSR_GATE_OPAQUE, qubits, nqubits, params, nparams, err);
  if (!op) return TSR_ERR_NOMEM;
  op->name = arena_strdup(c->pool, name, err);
  if (!op->name) {
    c->nops--;
    return TSR_ERR_NOMEM;
  }
  return TSR_OK;
}

tsr_status tsr_circuit_append_measure(tsr_circuit *c, uint32_t qubit, uint32_t clbit,
                                      tsr_error *err) {
  tsr_status st = check_qubits(c, "measure", &qubit, 1, err);
  if (st != TSR_OK) return st;
  if (clbit >= c->nclbits) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "measure: classical bit %u out of range (circuit has %u)", clbit,
                         c->nclbits);
  }
  tsr_op *op = push_op(c, TSR_OP_MEASURE, &qubit, 1, NULL, 0, err);
  if (!op) return TSR_ERR_NOMEM;
  op->clbit = clbit;
  return TSR_OK;
}

tsr_status tsr_circuit_append_reset(tsr_circuit *c, uint32_t qubit, tsr_error *err) {
  tsr_status st = check_qubits(c, "reset", &qubit, 1, err);
  if (st != TSR_OK) return st;
  return push_op(c, TSR_OP_RESET, &qubit, 1, NULL, 0, err) ? TSR_OK : TSR_ERR_NOMEM;
}

tsr_status tsr_circuit_append_barrier(tsr_circuit *c, const uint32_t *qubits, uint32_t nqubits,
                                      tsr_error *err) {
  tsr_status st = check_qubits(c, "barrier", qubits, nqubits, err);
  if (st != TSR_OK) return st;
  return push_op(c, TSR_OP_BARRIER, qubits, nqubits, NULL, 0, err) ? TSR_OK : TSR_ERR_NOMEM;
}

/* Index of the highest set bit + 1 of a little-endian word array (0 for zero). */
static uint32_t value_bit_length(const uint64_t *value, uint32_t nwords) {
  for (uint32_t w = nwords; w-- > 0;) {
    if (value[w]) {
      uint32_t bits = 64;
      while (!(value[w] >> (bits - 1))) bits--;
      return w * 64 + bits;
    }
  }
  return 0;
}

tsr_status tsr_circuit_condition_last(tsr_circuit *c, int32_t creg, uint32_t bit,
                                      const uint64_t *value, uint32_t nwords, tsr_error *err) {
  if (c->nops == 0) return tsr_error_set(err, TSR_ERR_VALUE, "no operation to condition");
  tsr_op *op = &c->ops[c->nops - 1];
  if (op->cond >= 0) return tsr_error_set(err, TSR_ERR_VALUE, "operation is already conditioned");
  if (op->kind == TSR_OP_BARRIER) {
    return tsr_error_set(err, TSR_ERR_VALUE, "a barrier cannot be conditioned");
  }
  uint32_t width;
  if (creg >= 0) {
    if ((uint32_t)creg >= c->ncregs) {
      return tsr_error_set(err, TSR_ERR_VALUE, "condition on unknown classical register %d", creg);
    }
    width = c->cregs[creg].size;
  } else {
    if (bit >= c->nclbits) {
      return tsr_error_set(err, TSR_ERR_VALUE, "condition on classical bit %u out of range", bit);
    }
    width = 1;
  }
  uint32_t bits = value_bit_length(value, nwords);
  if (bits > width) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "condition value needs %u bits but the register has %u", bits, width);
  }
  if (c->nconds == c->conds_cap) {
    size_t cap = c->conds_cap ? 2 * c->conds_cap : 16;
    tsr_condition *grown = tsr_realloc(c->conds, cap, sizeof *grown, err);
    if (!grown) return TSR_ERR_NOMEM;
    c->conds = grown;
    c->conds_cap = cap;
  }
  /* Store exactly ceil(width/64) words so equal conditions compare equal. */
  uint32_t words = (width + 63) / 64;
  uint64_t *stored = arena_alloc(c->pool, words * sizeof *stored, err);
  if (!stored) return TSR_ERR_NOMEM;
  for (uint32_t w = 0; w < words; w++) stored[w] = w < nwords ? value[w] : 0;
  c->conds[c->nconds] = (tsr_condition){
      .creg = creg < 0 ? -1 : creg, .bit = creg < 0 ? bit : 0, .nwords = words, .value = stored};
  op->cond = (int64_t)c->nconds++;
  return TSR_OK;
}

tsr_circuit *tsr_circuit_clone(const tsr_circuit *src, tsr_error *err) {
  tsr_circuit *c = tsr_circuit_new(err);
  if (!c) return NULL;
  for (uint32_t i = 0; i < src->nqregs; i++) {
    if (tsr_circuit_add_qreg(c, src->qregs[i].name, src->qregs[i].size, NULL, err)) goto fail;
  }
  for (uint32_t i = 0; i < src->ncregs; i++) {
    if (tsr_circuit_add_creg(c, src->cregs[i].name, src->cregs[i].size, NULL, err)) goto fail;
  }
  for (size_t i = 0; i < src->nops; i++) {
    const tsr_op *s = &src->ops[i];
    tsr_op *op = push_op(c, s->kind, s->qubits, s->nqubits, s->params, s->nparams, err);
    if (!op) goto fail;
    op->clbit = s->clbit;
    if (s->name && !(op->name = arena_strdup(c->pool, s->name, err))) goto fail;
    if (s->cond >= 0) {
      const tsr_condition *cd = &src->conds[s->cond];
      if (tsr_circuit_condition_last(c, cd->creg, cd->bit, cd->value, cd->nwords, err)) goto fail;
    }
  }
  return c;
fail:
  tsr_circuit_free(c);
  return NULL;
}

static int registers_equal(const tsr_register *a, const tsr_register *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (a[i].size != b[i].size || strcmp(a[i].name, b[i].name) != 0) return 0;
  }
  return 1;
}

int tsr_circuit_equal(const tsr_circuit *a, const tsr_circuit *b, double tol) {
  if (a->nqubits != b->nqubits || a->nclbits != b->nclbits || a->nqregs != b->nqregs ||
      a->ncregs != b->ncregs || a->nops != b->nops) {
    return 0;
  }
  if (!registers_equal(a->qregs, b->qregs, a->nqregs) ||
      !registers_equal(a->cregs, b->cregs, a->ncregs)) {
    return 0;
  }
  for (size_t i = 0; i < a->nops; i++) {
    const tsr_op *x = &a->ops[i], *y = &b->ops[i];
    if (x->kind != y->kind || x->nqubits != y->nqubits || x->nparams != y->nparams ||
        x->clbit != y->clbit || (x->cond >= 0) != (y->cond >= 0)) {
      return 0;
    }
    if (memcmp(x->qubits, y->qubits, x->nqubits * sizeof *x->qubits) != 0) return 0;
    for (uint32_t k = 0; k < x->nparams; k++) {
      if (!(fabs(x->params[k] - y->params[k]) <= tol)) return 0;
    }
    if ((x->name == NULL) != (y->name == NULL) || (x->name && strcmp(x->name, y->name) != 0)) {
      return 0;
    }
    if (x->cond >= 0) {
      const tsr_condition *p = &a->conds[x->cond], *q = &b->conds[y->cond];
      if (p->creg != q->creg || p->bit != q->bit || p->nwords != q->nwords ||
          memcmp(p->value, q->value, p->nwords * sizeof *p->value) != 0) {
        return 0;
      }
    }
  }
  return 1;
}
