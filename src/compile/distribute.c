/* Distribute: turns a partitioned circuit into operations on the modules'
 * qubits with explicit network protocols.
 *
 * Every two-qubit gate runs in one module. An operand that lives elsewhere is
 * *shared* into that module by a cat-entangler: an EPR pair between a
 * communication qubit of the module holding the qubit (or a copy of it) and
 * one of the target module, a CX from the holder, a measurement, a message
 * and a conditioned X make the target communication qubit a copy of the
 * qubit in the basis of a Pauli P (Z, X or Y) that the gates commute with.
 * The share lives as long as the gates on that qubit keep commuting with P:
 * single-qubit gates that map P to +P run on the qubit only, those that map
 * P to -P run on the qubit and flip every copy. A cat-disentangler (measure
 * the copy in the conjugate basis, send the bit, apply P to the parent
 * holder) ends it. Shares form a tree (a share can relay to a module the
 * holder has no link to). Qubits teleport (EPR pair, Bell measurement, two
 * bits, X/Z corrections) where the partition moves them; a qubit that arrives
 * in a module with a free data slot moves there (two CX, the slot reset
 * first when it was used before).
 *
 * Embedded sandwiches (the partition's plan, Wu et al. 2023): at the
 * single-qubit gate that leaves the copies' Pauli, the copies the plan keeps
 * stay, suspended; the qubit's frame (the Pauli they mirror) follows the
 * gates; inner gates run where the qubit is and, when they put Z on the
 * partner, are mirrored on every copy by a CX (CZ for X copies) from the
 * partner's Z copy there; when the frame is back, the copies serve again.
 *
 * A gate runs where both operands already are when it can (no new pair),
 * else where the partition put it, unless that would end shares and another
 * module needs as many pairs and ends none. Communication qubits are a hard
 * limit: when a module has none free, the share there needed again furthest
 * in the future is ended first (and re-created later if needed again). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

enum { AX_NONE = 0, AX_Z = TSR__AX_Z, AX_X = TSR__AX_X, AX_Y = TSR__AX_Y };
enum { CS_NONE = 0, CS_FREE, CS_SHARE, CS_TEMP, CS_HOLD };

typedef struct share {
  uint32_t q;      /* logical qubit */
  uint32_t module; /* where the copy lives */
  uint32_t comm;   /* program qubit of the copy */
  int axis;        /* AX_* */
  int32_t parent;  /* share it was made from, -1: the qubit itself */
  uint64_t last_use;
  int active;
  int pinned;
} share;

typedef struct dist {
  const tsr__machine *m;
  const tsr_circuit *c;
  const tsr_packet_graph *h;
  const tsr_partition *part;
  const tsr_compile_options *opt;
  tsr__popvec *out;
  tsr_error *err;
  uint32_t n;    /* modules */
  uint32_t nlog; /* logical qubits */
  uint32_t *loc_mod, *loc_q;
  int32_t *owner;      /* [nqubits] logical qubit held, -1 */
  uint8_t *dirty;      /* [nqubits] measured since it was last |0> */
  uint8_t *cstate;     /* [nqubits] CS_* */
  int32_t *comm_share; /* [nqubits] share living in a communication qubit, -1 */
  size_t *last_op;     /* [nqubits] 1 + index of the last pop on the qubit, 0: none */
  size_t *last_epr;    /* [nqubits + nlinks] 1 + index of the last EPR pop on the qubit,
                          then on each link; 0: none */
  share *shares;
  size_t nshares, cap_shares;
  int32_t *share_at;     /* [nlog * n] */
  int *axis;             /* [nlog] axis of the active shares */
  int *frame;            /* [nlog] the qubit's Pauli its copies mirror: axis, or inside an
                            embedded sandwich the image of axis under the sandwich so far
                            (the copies are then suspended: they serve no gate) */
  size_t *resume_op;     /* [nlog] inside a sandwich: the op that ends it */
  int64_t *embed_at;     /* [nops] embedding (index into part->embeds) opened by the op, -1 */
  uint64_t *packet_span; /* [npackets] modules the partition has each packet reach */
  struct steiner *trees; /* cache: Steiner trees of module sets */
  double *link_cost;     /* [n * n] program link cost, INFINITY: none */
  size_t ntrees, cap_trees;
  uint64_t clock;
  uint64_t *known; /* [nbits] modules where the bit's current value is known */
  size_t nbits, cap_bits;
  uint32_t src_bits;
  int64_t *gate_of_op;
  size_t cur_op; /* the source operation being distributed */
  uint64_t ebits, remote, teleports;
} dist;

/* ------------------------------------------------------------ helpers */

static uint64_t all_modules(uint32_t n) {
  return n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1);
}

/* Every pop goes out here; it implements the operation being distributed
 * (protocol operations: the gate that needed them; none after the last). */
static tsr_status emit(dist *d, const tsr__pop *op) {
  size_t at = d->out->n + 1;
  for (uint32_t k = 0; k < op->nq && k < 4; k++) {
    d->last_op[op->q[k]] = at;
    if (op->role == TSR_PROG_EPR) d->last_epr[op->q[k]] = at;
  }
  if (op->role == TSR_PROG_EPR && op->link >= 0) d->last_epr[d->m->nqubits + op->link] = at;
  tsr__pop o = *op;
  o.src = d->cur_op < d->c->nops ? (int64_t)d->cur_op : -1;
  return tsr__popvec_push(d->out, &o, d->err);
}

static tsr_status emit_1q(dist *d, tsr_program_role role, tsr_gate kind, uint32_t q,
                          const double *params, uint32_t np, int64_t cond_bit) {
  tsr__pop op = tsr__pop_blank(role, kind, (int32_t)tsr__machine_module_of(d->m, q));
  op.nq = 1;
  op.q[0] = q;
  op.np = np;
  for (uint32_t i = 0; i < np && i < 4; i++) op.p[i] = params[i];
  op.cond_bit = cond_bit;
  return emit(d, &op);
}

static tsr_status emit_2q(dist *d, tsr_program_role role, tsr_gate kind, uint32_t a, uint32_t b) {
  tsr__pop op = tsr__pop_blank(role, kind, (int32_t)tsr__machine_module_of(d->m, a));
  op.nq = 2;
  op.q[0] = a;
  op.q[1] = b;
  return emit(d, &op);
}

static tsr_status new_bits(dist *d, uint32_t count, uint32_t *first) {
  if (d->nbits + count > d->cap_bits) {
    size_t cap = d->cap_bits ? 2 * d->cap_bits : 256;
    while (cap < d->nbits + count) cap *= 2;
    uint64_t *g = tsr_realloc(d->known, cap, sizeof *g, d->err);
    if (!g) return TSR_ERR_NOMEM;
    d->known = g;
    d->cap_bits = cap;
  }
  if (d->nbits + count > (1u << 30))
    return tsr_error_set(d->err, TSR_ERR_LIMIT, "too many scratch bits");
  *first = (uint32_t)d->nbits;
  for (uint32_t i = 0; i < count; i++) d->known[d->nbits + i] = 0;
  d->nbits += count;
  return TSR_OK;
}

static tsr_status emit_measure(dist *d, tsr_program_role role, uint32_t q, uint32_t bit) {
  uint32_t mod = tsr__machine_module_of(d->m, q);
  tsr__pop op = tsr__pop_blank(role, TSR_OP_MEASURE, (int32_t)mod);
  op.nq = 1;
  op.q[0] = q;
  op.clbit = bit;
  d->known[bit] = (uint64_t)1 << mod;
  d->dirty[q] = 1;
  return emit(d, &op);
}

static tsr_status emit_message(dist *d, uint32_t from, uint32_t to, uint32_t first,
                               uint32_t count) {
  if (from == to) return TSR_OK;
  tsr__pop op = tsr__pop_blank(TSR_PROG_MESSAGE, TSR_GATE_NONE, (int32_t)from);
  op.module_to = (int32_t)to;
  op.msg_first = first;
  op.msg_n = count;
  for (uint32_t i = 0; i < count; i++) d->known[first + i] |= (uint64_t)1 << to;
  return emit(d, &op);
}

/* Makes the bits of a condition known at module mod (messages from where
 * they were measured). */
static tsr_status ship_bits(dist *d, uint32_t first, uint32_t count, uint32_t mod) {
  uint64_t bit = (uint64_t)1 << mod;
  uint32_t i = 0;
  while (i < count) {
    uint32_t b = first + i;
    if (d->known[b] & bit) {
      i++;
      continue;
    }
    uint32_t src = 0;
    while (!(d->known[b] & ((uint64_t)1 << src))) src++;
    uint32_t j = i + 1;
    while (j < count && !(d->known[first + j] & bit) &&
           (d->known[first + j] & ((uint64_t)1 << src)))
      j++;
    tsr_status st = emit_message(d, src, mod, b, j - i);
    if (st != TSR_OK) return st;
    i = j;
  }
  return TSR_OK;
}

static tsr_status ship_condition(dist *d, int64_t cond, uint32_t mod) {
  if (cond < 0) return TSR_OK;
  const tsr_condition *cd = &d->c->conds[cond];
  if (cd->creg >= 0) {
    const tsr_register *r = &d->c->cregs[cd->creg];
    return ship_bits(d, r->first, r->size, mod);
  }
  return ship_bits(d, cd->bit, 1, mod);
}

/* ------------------------------------------------------------ Paulis */

/* V with V P V^dag = Z, as gates in time order (into the P frame), and its
 * inverse (out of it). */
static tsr_status frame_in(dist *d, tsr_program_role role, int ax, uint32_t q) {
  tsr_status st = TSR_OK;
  if (ax == AX_X) st = emit_1q(d, role, TSR_GATE_H, q, NULL, 0, -1);
  if (ax == AX_Y) {
    st = emit_1q(d, role, TSR_GATE_SDG, q, NULL, 0, -1);
    if (st == TSR_OK) st = emit_1q(d, role, TSR_GATE_H, q, NULL, 0, -1);
  }
  return st;
}

static tsr_status frame_out(dist *d, tsr_program_role role, int ax, uint32_t q) {
  tsr_status st = TSR_OK;
  if (ax == AX_X) st = emit_1q(d, role, TSR_GATE_H, q, NULL, 0, -1);
  if (ax == AX_Y) {
    st = emit_1q(d, role, TSR_GATE_H, q, NULL, 0, -1);
    if (st == TSR_OK) st = emit_1q(d, role, TSR_GATE_S, q, NULL, 0, -1);
  }
  return st;
}

/* ------------------------------------------------------------ shares */

static int32_t *share_slot(dist *d, uint32_t q, uint32_t mod) {
  return &d->share_at[(size_t)q * d->n + mod];
}

/* Program qubit holding q (or its copy) in module mod; UINT32_MAX if none. */
static uint32_t holder(dist *d, uint32_t q, uint32_t mod) {
  if (d->loc_mod[q] == mod) return d->loc_q[q];
  int32_t s = *share_slot(d, q, mod);
  return s >= 0 ? d->shares[s].comm : UINT32_MAX;
}

static void pin_chain(dist *d, int32_t s, int delta) {
  while (s >= 0) {
    d->shares[s].pinned += delta;
    s = d->shares[s].parent;
  }
}

static tsr_status end_share(dist *d, int32_t s);

/* Ends every share made from s (children first), then s. */
static tsr_status end_subtree(dist *d, int32_t s) {
  for (;;) {
    int32_t child = -1;
    for (uint32_t mod = 0; mod < d->n && child < 0; mod++) {
      int32_t c = *share_slot(d, d->shares[s].q, mod);
      if (c >= 0 && d->shares[c].parent == s) child = c;
    }
    if (child < 0) break;
    tsr_status st = end_subtree(d, child);
    if (st != TSR_OK) return st;
  }
  return end_share(d, s);
}

/* When the share will next be needed: the index of the next operation that
 * uses q's copy in the share's module (by the partition's gate placement),
 * or SIZE_MAX when an operation that breaks the share (a gate that does not
 * keep its axis, a measurement) comes first or there is none. */
static size_t share_next_use(const dist *d, const share *sh) {
  const tsr_circuit *c = d->c;
  /* A suspended copy serves again once its sandwich ends. */
  size_t from = d->cur_op + 1;
  if (d->axis[sh->q] != AX_NONE && d->frame[sh->q] != d->axis[sh->q] &&
      d->resume_op[sh->q] + 1 > from)
    from = d->resume_op[sh->q] + 1;
  for (size_t j = from; j < c->nops; j++) {
    const tsr_op *op = &c->ops[j];
    int k = -1;
    for (uint32_t t = 0; t < op->nqubits; t++)
      if (op->qubits[t] == sh->q) k = (int)t;
    if (k < 0 || op->kind == TSR_OP_BARRIER) continue;
    if (op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET || op->cond >= 0) return SIZE_MAX;
    cplx m[16];
    if (op->nqubits > 2 || tsr__op_matrix(op->kind, op->params, op->nqubits, m, NULL) != TSR_OK)
      return SIZE_MAX;
    if (op->nqubits == 1) {
      if (tsr__pauli_image(m, sh->axis, NULL) != sh->axis) return SIZE_MAX;
      continue;
    }
    if (!(tsr__operand_axes(m, (unsigned)k) & sh->axis)) return SIZE_MAX;
    int64_t g = d->gate_of_op[j];
    uint32_t where =
        g >= 0 && d->part && d->part->gate_module ? d->part->gate_module[g] : UINT32_MAX;
    if (where == sh->module) return j;
  }
  return SIZE_MAX;
}

/* A free communication qubit of module mod for an EPR pair with module
 * peer. The one that carried the latest pair of that link, if free (the
 * link makes the new pair wait for that one anyway, and reusing the qubit
 * keeps the others from idling); else the one whose last operation comes
 * earliest in the program (never used first, then the lowest), likely free
 * earliest in the schedule, so that pairs of different links land on
 * different qubits and overlap in time. When there is none, a share there is
 * ended: the one needed again furthest in the future (Belady's rule; shares
 * that will not be used again first), the least recently used among equals;
 * pinned shares stay. */
static tsr_status alloc_comm(dist *d, uint32_t mod, uint32_t peer, uint32_t *out) {
  const tsr__mod *md = &d->m->mods[mod];
  uint32_t lo = md->first + md->capacity, hi = lo + md->comm_use;
  int32_t l = d->m->link[(size_t)mod * d->n + peer];
  size_t link_last = l >= 0 ? d->last_epr[d->m->nqubits + (uint32_t)l] : 0;
  for (;;) {
    uint32_t best = UINT32_MAX;
    for (uint32_t q = lo; q < hi; q++) {
      if (d->cstate[q] != CS_FREE) continue;
      if (link_last && d->last_epr[q] == link_last) {
        best = q;
        break;
      }
      if (best == UINT32_MAX || d->last_op[q] < d->last_op[best]) best = q;
    }
    if (best != UINT32_MAX) {
      *out = best;
      return TSR_OK;
    }
    int32_t victim = -1;
    size_t victim_next = 0;
    for (uint32_t q = lo; q < hi; q++) {
      if (d->cstate[q] != CS_SHARE) continue;
      int32_t s = d->comm_share[q];
      if (s < 0 || !d->shares[s].active || d->shares[s].pinned) continue;
      size_t next = share_next_use(d, &d->shares[s]);
      if (victim < 0 || next > victim_next ||
          (next == victim_next && d->shares[s].last_use < d->shares[victim].last_use)) {
        victim = s;
        victim_next = next;
      }
    }
    if (victim < 0) {
      return tsr_error_set(d->err, TSR_ERR_VALUE,
                           "module '%s' has %u communication qubit(s) in use, too few for the "
                           "remote operations this circuit needs at once",
                           md->name, md->comm_use);
    }
    tsr_status st = end_subtree(d, victim);
    if (st != TSR_OK) return st;
  }
}

static tsr_status emit_epr(dist *d, uint32_t ma, uint32_t qa, uint32_t mb, uint32_t qb) {
  int32_t l = d->m->link[(size_t)ma * d->n + mb];
  if (l < 0)
    return tsr_error_set(d->err, TSR_ERR_INTERNAL, "no link between modules %u and %u", ma, mb);
  const tsr__plink *pl = &d->m->links[l];
  tsr__pop op = tsr__pop_blank(TSR_PROG_EPR, TSR_GATE_NONE, (int32_t)pl->a);
  op.module_to = (int32_t)pl->b;
  op.link = l;
  op.nq = 2;
  op.q[0] = pl->a == ma ? qa : qb;
  op.q[1] = pl->a == ma ? qb : qa;
  d->ebits++;
  return emit(d, &op);
}

/* Shares q from module from (which holds it or a copy) into the adjacent
 * module to, in the frame of axis ax. The new share is pinned. */
static tsr_status entangle(dist *d, uint32_t q, uint32_t from, uint32_t to, int ax, int32_t *made) {
  uint32_t src = holder(d, q, from);
  int32_t parent = d->loc_mod[q] == from ? -1 : *share_slot(d, q, from);
  uint32_t cs, ct;
  tsr_status st = alloc_comm(d, from, to, &cs);
  if (st != TSR_OK) return st;
  d->cstate[cs] = CS_TEMP;
  st = alloc_comm(d, to, from, &ct);
  if (st != TSR_OK) return st;
  d->cstate[ct] = CS_SHARE;
  const tsr_program_role R = TSR_PROG_CAT_ENTANGLE;
  uint32_t bit = 0;
  if ((st = emit_epr(d, from, cs, to, ct)) || (st = frame_in(d, R, ax, src)) ||
      (st = emit_2q(d, R, TSR_GATE_CX, src, cs)) || (st = new_bits(d, 1, &bit)) ||
      (st = emit_measure(d, R, cs, bit)) || (st = emit_message(d, from, to, bit, 1)) ||
      (st = emit_1q(d, R, TSR_GATE_X, ct, NULL, 0, bit)) || (st = frame_out(d, R, ax, src)) ||
      (st = frame_out(d, R, ax, ct)))
    return st;
  d->cstate[cs] = CS_FREE;
  if (d->nshares == d->cap_shares) {
    size_t cap = d->cap_shares ? 2 * d->cap_shares : 64;
    share *g = tsr_realloc(d->shares, cap, sizeof *g, d->err);
    if (!g) return TSR_ERR_NOMEM;
    d->shares = g;
    d->cap_shares = cap;
  }
  int32_t s = (int32_t)d->nshares++;
  d->shares[s] = (share){.q = q,
                         .module = to,
                         .comm = ct,
                         .axis = ax,
                         .parent = parent,
                         .last_use = ++d->clock,
                         .active = 1,
                         .pinned = 0};
  *share_slot(d, q, to) = s;
  d->comm_share[ct] = s;
  d->axis[q] = ax;
  d->frame[q] = ax;
  pin_chain(d, s, 1);
  *made = s;
  return TSR_OK;
}

static tsr_status end_share_fixing(dist *d, int32_t s, int64_t partner);

static tsr_status end_share(dist *d, int32_t s) {
  return end_share_fixing(d, s, -1);
}

/* Ends share s. With partner >= 0 the copy's relation to the qubit also
 * holds a Z of the partner (an inner gate of a sandwich ran and was not
 * mirrored on this copy yet), so the correction applies Z to the partner
 * too. */
static tsr_status end_share_fixing(dist *d, int32_t s, int64_t partner) {
  share *sh = &d->shares[s];
  uint32_t q = sh->q, c = sh->comm, mod = sh->module;
  uint32_t pmod = sh->parent >= 0 ? d->shares[sh->parent].module : d->loc_mod[q];
  uint32_t ph = sh->parent >= 0 ? d->shares[sh->parent].comm : d->loc_q[q];
  const tsr_program_role R = TSR_PROG_CAT_DISENTANGLE;
  tsr_status st = TSR_OK;
  /* Into the Z frame, then the X basis: Z: h; X: (h h) nothing; Y: sdg (h h). */
  if (sh->axis == AX_Z) st = emit_1q(d, R, TSR_GATE_H, c, NULL, 0, -1);
  if (sh->axis == AX_Y) st = emit_1q(d, R, TSR_GATE_SDG, c, NULL, 0, -1);
  uint32_t bit = 0;
  /* The correction is the Pauli the copy mirrors on its parent: inside a
   * sandwich the qubit's frame, not the axis. */
  int mirrored = sh->parent < 0 ? d->frame[q] : sh->axis;
  tsr_gate fix = mirrored == AX_Z ? TSR_GATE_Z : (mirrored == AX_X ? TSR_GATE_X : TSR_GATE_Y);
  if (st || (st = new_bits(d, 1, &bit)) || (st = emit_measure(d, R, c, bit)) ||
      (st = emit_message(d, mod, pmod, bit, 1)) || (st = emit_1q(d, R, fix, ph, NULL, 0, bit)))
    return st;
  if (partner >= 0) {
    uint32_t pq = (uint32_t)partner;
    if ((st = ship_bits(d, bit, 1, d->loc_mod[pq])) ||
        (st = emit_1q(d, R, TSR_GATE_Z, d->loc_q[pq], NULL, 0, bit)))
      return st;
  }
  sh = &d->shares[s];
  sh->active = 0;
  *share_slot(d, q, mod) = -1;
  d->cstate[c] = CS_FREE;
  d->comm_share[c] = -1;
  int any = 0;
  for (uint32_t m2 = 0; m2 < d->n; m2++) any |= *share_slot(d, q, m2) >= 0;
  if (!any) d->axis[q] = d->frame[q] = AX_NONE;
  return TSR_OK;
}

static tsr_status end_all(dist *d, uint32_t q) {
  for (;;) {
    int32_t root = -1;
    for (uint32_t mod = 0; mod < d->n && root < 0; mod++) {
      int32_t s = *share_slot(d, q, mod);
      if (s >= 0 && d->shares[s].parent < 0) root = s;
    }
    if (root < 0) break;
    tsr_status st = end_subtree(d, root);
    if (st != TSR_OK) return st;
  }
  d->axis[q] = d->frame[q] = AX_NONE;
  return TSR_OK;
}

/* Whether q's copies are suspended inside an embedded sandwich. */
static int suspended(const dist *d, uint32_t q) {
  return d->axis[q] != AX_NONE && d->frame[q] != d->axis[q];
}

/* Flips every copy of q (the qubit's mirrored Pauli changed sign): X for a
 * Z copy, Z for X and Y copies. */
static tsr_status flip_copies(dist *d, uint32_t q) {
  tsr_gate flip = d->axis[q] == AX_Z ? TSR_GATE_X : TSR_GATE_Z;
  for (uint32_t mod = 0; mod < d->n; mod++) {
    int32_t s = *share_slot(d, q, mod);
    if (s < 0) continue;
    tsr_status st = emit_1q(d, TSR_PROG_LOCAL, flip, d->shares[s].comm, NULL, 0, -1);
    if (st != TSR_OK) return st;
  }
  return TSR_OK;
}

/* ------------------------------------------------------------ teleport */

/* Communication qubits of a module: not holding a teleported qubit (a pair
 * may land there, ending a share if needed), free now, or free or holding a
 * share that may be ended (not pinned). */
enum { COMM_NOT_HELD, COMM_FREE, COMM_ENDABLE };

static uint32_t count_comm(const dist *d, uint32_t mod, int which) {
  const tsr__mod *md = &d->m->mods[mod];
  uint32_t lo = md->first + md->capacity, k = 0;
  for (uint32_t x = lo; x < lo + md->comm_use; x++) {
    uint8_t cs = d->cstate[x];
    if (which == COMM_NOT_HELD)
      k += cs != CS_HOLD;
    else if (which == COMM_FREE)
      k += cs == CS_FREE;
    else
      k += cs == CS_FREE ||
           (cs == CS_SHARE && d->comm_share[x] >= 0 && !d->shares[d->comm_share[x]].pinned);
  }
  return k;
}

static uint32_t free_comm_count(const dist *d, uint32_t mod) {
  return count_comm(d, mod, COMM_NOT_HELD);
}

static int64_t free_slot(const dist *d, uint32_t mod) {
  const tsr__mod *md = &d->m->mods[mod];
  for (uint32_t q = md->first; q < md->first + md->capacity; q++)
    if (d->owner[q] < 0) return q;
  return -1;
}

static int is_comm(const dist *d, uint32_t q) {
  return d->cstate[q] != CS_NONE;
}

static int teleport_feasible(const dist *d, uint32_t q, uint32_t dest) {
  uint32_t n = d->n, cur = d->loc_mod[q];
  if (d->m->next[(size_t)cur * n + dest] < 0) return 0;
  /* The source needs one communication qubit for its half of the pair (a
   * qubit held in one is not counted as free). */
  if (free_comm_count(d, cur) < 1) return 0;
  while (cur != dest) {
    uint32_t nx = (uint32_t)d->m->next[(size_t)cur * n + dest];
    if (nx != dest && free_comm_count(d, nx) < 2) return 0;
    /* Held in a communication qubit (no free data slot): only where two
     * more stay free for the module's own remote gates and relays. */
    if (nx == dest && free_comm_count(d, nx) < (free_slot(d, nx) >= 0 ? 1u : 3u)) return 0;
    cur = nx;
  }
  return 1;
}

static tsr_status teleport_hop(dist *d, uint32_t q, uint32_t to) {
  uint32_t from = d->loc_mod[q], x = d->loc_q[q];
  uint32_t ca, cb;
  tsr_status st = alloc_comm(d, from, to, &ca);
  if (st != TSR_OK) return st;
  d->cstate[ca] = CS_TEMP;
  if ((st = alloc_comm(d, to, from, &cb)) != TSR_OK) return st;
  d->cstate[cb] = CS_HOLD;
  const tsr_program_role R = TSR_PROG_TELEPORT;
  uint32_t bit = 0;
  if ((st = emit_epr(d, from, ca, to, cb)) || (st = emit_2q(d, R, TSR_GATE_CX, x, ca)) ||
      (st = emit_1q(d, R, TSR_GATE_H, x, NULL, 0, -1)) || (st = new_bits(d, 2, &bit)) ||
      (st = emit_measure(d, R, x, bit)) || (st = emit_measure(d, R, ca, bit + 1)) ||
      (st = emit_message(d, from, to, bit, 2)) ||
      (st = emit_1q(d, R, TSR_GATE_X, cb, NULL, 0, (int64_t)bit + 1)) ||
      (st = emit_1q(d, R, TSR_GATE_Z, cb, NULL, 0, bit)))
    return st;
  d->cstate[ca] = CS_FREE;
  d->owner[x] = -1;
  if (is_comm(d, x)) d->cstate[x] = CS_FREE;
  d->owner[cb] = (int32_t)q;
  d->loc_mod[q] = to;
  d->loc_q[q] = cb;
  d->teleports++;
  return TSR_OK;
}

/* Moves q (held in a communication qubit) into a free data slot of its
 * module, if there is one. */
static tsr_status settle(dist *d, uint32_t q) {
  uint32_t x = d->loc_q[q];
  if (!is_comm(d, x)) return TSR_OK;
  int64_t slot = free_slot(d, d->loc_mod[q]);
  if (slot < 0) return TSR_OK;
  uint32_t s = (uint32_t)slot;
  const tsr_program_role R = TSR_PROG_TELEPORT;
  tsr_status st = TSR_OK;
  if (d->dirty[s]) {
    tsr__pop op = tsr__pop_blank(R, TSR_OP_RESET, (int32_t)d->loc_mod[q]);
    op.nq = 1;
    op.q[0] = s;
    st = emit(d, &op);
    d->dirty[s] = 0;
  }
  if (st || (st = emit_2q(d, R, TSR_GATE_CX, x, s)) || (st = emit_2q(d, R, TSR_GATE_CX, s, x)))
    return st;
  d->owner[x] = -1;
  d->cstate[x] = CS_FREE;
  d->owner[s] = (int32_t)q;
  d->loc_q[q] = s;
  return TSR_OK;
}

static tsr_status teleport(dist *d, uint32_t q, uint32_t dest) {
  tsr_status st = end_all(d, q);
  while (st == TSR_OK && d->loc_mod[q] != dest) {
    uint32_t nx = (uint32_t)d->m->next[(size_t)d->loc_mod[q] * d->n + dest];
    st = teleport_hop(d, q, nx);
  }
  if (st == TSR_OK) st = settle(d, q);
  return st;
}

/* Teleports every qubit held in a communication qubit to the nearest module
 * with a free data slot (where that is possible). */
static tsr_status evacuate(dist *d) {
  for (uint32_t q = 0; q < d->nlog; q++) {
    if (!is_comm(d, d->loc_q[q])) continue;
    uint32_t cur = d->loc_mod[q];
    int64_t best = -1;
    for (uint32_t x = 0; x < d->n; x++) {
      if (x == cur || free_slot(d, x) < 0 || !teleport_feasible(d, q, x)) continue;
      if (best < 0 || d->m->dist[(size_t)cur * d->n + x] < d->m->dist[(size_t)cur * d->n + best])
        best = x;
    }
    if (best >= 0) {
      tsr_status st = teleport(d, q, (uint32_t)best);
      if (st != TSR_OK) return st;
    }
  }
  return TSR_OK;
}

/* ------------------------------------------------------------ gates */

static tsr_status op_matrix(const tsr_op *op, cplx *out, tsr_error *err) {
  return tsr__op_matrix(op->kind, op->params, op->nqubits, out, err);
}

/* Nearest module holding q or a copy, measured from mod. */
static uint32_t nearest_holder(const dist *d, uint32_t q, uint32_t mod) {
  uint32_t best = d->loc_mod[q];
  double bd = d->m->dist[(size_t)best * d->n + mod];
  for (uint32_t x = 0; x < d->n; x++) {
    if (d->share_at[(size_t)q * d->n + x] < 0) continue;
    double dd = d->m->dist[(size_t)x * d->n + mod];
    if (dd < bd) {
      bd = dd;
      best = x;
    }
  }
  return best;
}

/* Whether q or a copy of it usable by a gate with operand axes `axes` is in
 * module mod. */
static int present(const dist *d, uint32_t q, int axes, uint32_t mod) {
  if (d->loc_mod[q] == mod) return 1;
  return axes && d->share_at[(size_t)q * d->n + mod] >= 0 && (d->axis[q] & axes) &&
         !suspended(d, q);
}

/* New EPR pairs a gate would need to run in module mod, and how many of
 * the communication qubits they land on are not free (a share there would
 * have to end). */
static void run_cost(const dist *d, const uint32_t q[2], const int axes[2], uint32_t mod,
                     uint32_t *pairs, uint32_t *evict) {
  uint32_t need[TSR_MODULE_GRAPH_MAX] = {0};
  *pairs = *evict = 0;
  for (int k = 0; k < 2; k++) {
    if (present(d, q[k], axes[k], mod)) continue;
    uint32_t from = (d->axis[q[k]] & axes[k]) && !suspended(d, q[k]) ? nearest_holder(d, q[k], mod)
                                                                     : d->loc_mod[q[k]];
    need[from]++; /* the sender's temporary half */
    while (from != mod && d->m->next[(size_t)from * d->n + mod] >= 0) {
      from = (uint32_t)d->m->next[(size_t)from * d->n + mod];
      need[from]++;
      (*pairs)++;
    }
  }
  for (uint32_t x = 0; x < d->n; x++) {
    uint32_t f = count_comm(d, x, COMM_FREE);
    if (need[x] > f) *evict += need[x] - f;
  }
}

/* Whether a gate with operand axes `axes` can run in module mod. */
static int gate_feasible(const dist *d, const uint32_t q[2], const int axes[2], uint32_t mod) {
  uint32_t n = d->n, shared = 0;
  for (int k = 0; k < 2; k++) {
    if (d->loc_mod[q[k]] == mod) continue;
    if (!axes[k]) return 0;
    if (d->share_at[(size_t)q[k] * n + mod] >= 0 && (d->axis[q[k]] & axes[k]) &&
        !suspended(d, q[k]))
      continue; /* reusable copy already there */
    shared++;
    uint32_t from = (d->axis[q[k]] & axes[k]) && !suspended(d, q[k]) ? nearest_holder(d, q[k], mod)
                                                                     : d->loc_mod[q[k]];
    if (d->m->next[(size_t)from * n + mod] < 0) return 0;
    uint32_t cur = from;
    int first = 1;
    while (cur != mod) {
      uint32_t need = 1;
      if (!first || is_comm(d, holder((dist *)d, q[k], cur))) need = 2;
      if (free_comm_count(d, cur) < need) return 0;
      cur = (uint32_t)d->m->next[(size_t)cur * n + mod];
      first = 0;
    }
  }
  return free_comm_count(d, mod) >= shared;
}

static int pick_axis(int allowed, int current) {
  if (current && (allowed & current)) return current;
  if (allowed & AX_Z) return AX_Z;
  if (allowed & AX_X) return AX_X;
  return AX_Y;
}

/* ------------------------------------------------------------ Steiner routes */

/* Exact Steiner trees (every subset of the other modules as Steiner nodes,
 * each with a minimum spanning tree over the program links) up to this many
 * modules; beyond, copies follow shortest paths from the nearest holder. */
#define STEINER_EXACT_MODULES 10

typedef struct steiner {
  uint64_t terminals;
  uint32_t root;
  int ok;
  uint64_t adj[STEINER_EXACT_MODULES]; /* tree edges as neighbour masks */
} steiner;

/* Minimum spanning tree over the modules of `nodes` with program links; its
 * cost, or INFINITY when they are not connected. */
static double spanning_tree(const dist *d, uint64_t nodes, uint32_t root, uint64_t adj[]) {
  uint32_t list[STEINER_EXACT_MODULES], from[STEINER_EXACT_MODULES], nn = 0;
  list[nn++] = root; /* grown from the root: among equal trees, copies made from the qubit */
  for (uint32_t x = 0; x < d->n; x++) {
    adj[x] = 0;
    if (((nodes >> x) & 1) && x != root) list[nn++] = x;
  }
  double total = tsr__prim_mst(d->link_cost, d->n, list, nn, from);
  for (uint32_t i = 1; i < nn && isfinite(total); i++) {
    adj[list[i]] |= (uint64_t)1 << list[from[i]];
    adj[list[from[i]]] |= (uint64_t)1 << list[i];
  }
  return total;
}

/* The Steiner tree of a module set grown from root (cached); NULL when there
 * is none to use. */
static const steiner *steiner_tree(dist *d, uint64_t terminals, uint32_t root) {
  if (d->n > STEINER_EXACT_MODULES) return NULL;
  for (size_t i = 0; i < d->ntrees; i++)
    if (d->trees[i].terminals == terminals && d->trees[i].root == root)
      return d->trees[i].ok ? &d->trees[i] : NULL;
  if (d->ntrees == d->cap_trees) {
    size_t cap = d->cap_trees ? 2 * d->cap_trees : 16;
    steiner *g = realloc(d->trees, cap * sizeof *g);
    if (!g) return NULL;
    d->trees = g;
    d->cap_trees = cap;
  }
  steiner *t = &d->trees[d->ntrees++];
  memset(t, 0, sizeof *t);
  t->terminals = terminals;
  t->root = root;
  uint64_t others = all_modules(d->n) & ~terminals, adj[STEINER_EXACT_MODULES];
  double best = INFINITY;
  uint32_t best_nodes = 0;
  for (uint64_t x = others;; x = (x - 1) & others) {
    double c = spanning_tree(d, terminals | x, root, adj);
    uint32_t nodes = (uint32_t)__builtin_popcountll(terminals | x);
    if (c < best - 1e-12 || (c < best + 1e-12 && nodes < best_nodes)) {
      best = c;
      best_nodes = nodes;
      memcpy(t->adj, adj, sizeof adj);
      t->ok = 1;
    }
    if (x == 0) break;
  }
  return t->ok ? t : NULL;
}

/* The modules a new copy of q for module M passes, from a holder to M, along
 * the Steiner tree of `terminals` (the modules the partition has q's packet
 * reach, which the partition costs) when there is one and its hops have
 * room; else the shortest path from the nearest holder. Returns the count. */
static uint32_t copy_route(dist *d, uint32_t q, uint32_t M, uint64_t terminals, uint32_t *route) {
  uint32_t root = d->loc_mod[q], n = d->n;
  terminals |= ((uint64_t)1 << root) | ((uint64_t)1 << M);
  const steiner *t = __builtin_popcountll(terminals) > 2 ? steiner_tree(d, terminals, root) : NULL;
  if (t) {
    int32_t parent[STEINER_EXACT_MODULES];
    uint32_t queue[STEINER_EXACT_MODULES], qh = 0, qt = 0;
    for (uint32_t x = 0; x < n; x++) parent[x] = -2;
    parent[root] = -1;
    queue[qt++] = root;
    while (qh < qt) {
      uint32_t x = queue[qh++];
      for (uint32_t y = 0; y < n; y++)
        if (((t->adj[x] >> y) & 1) && parent[y] == -2) parent[y] = (int32_t)x, queue[qt++] = y;
    }
    if (parent[M] != -2) {
      uint32_t path[STEINER_EXACT_MODULES], np = 0, x = M;
      for (;;) {
        path[np++] = x;
        if (x == root || *share_slot(d, q, x) >= 0) break;
        x = (uint32_t)parent[x];
      }
      /* room: one free communication qubit at M, two at every relay, one or
       * two at the sender (two when its holder is a communication qubit) */
      int ok = free_comm_count(d, M) >= 1;
      for (uint32_t i = 1; i < np && ok; i++) {
        uint32_t need = i + 1 < np || is_comm(d, holder(d, q, path[i])) ? 2 : 1;
        ok = free_comm_count(d, path[i]) >= need;
      }
      if (ok) {
        for (uint32_t i = 0; i < np; i++) route[i] = path[np - 1 - i];
        return np;
      }
    }
  }
  uint32_t from = nearest_holder(d, q, M), nr = 0;
  route[nr++] = from;
  while (from != M) {
    from = (uint32_t)d->m->next[(size_t)from * n + M];
    route[nr++] = from;
  }
  return nr;
}

/* A copy of q usable in module M in the frame of one of the axes `axes`
 * (q's own qubit when it lives there): an existing one, or made by
 * cat-entanglers along the path from the nearest holder. The share returned
 * in *made (-1: q itself) is pinned. */
static tsr_status obtain_copy(dist *d, uint32_t q, uint32_t M, int axes, uint64_t terminals,
                              int32_t *made) {
  *made = -1;
  if (d->loc_mod[q] == M) return TSR_OK;
  int32_t s = *share_slot(d, q, M);
  if (s >= 0 && (d->axis[q] & axes) && !suspended(d, q)) {
    pin_chain(d, s, 1);
    *made = s;
    return TSR_OK;
  }
  tsr_status st;
  int ax = pick_axis(axes, d->axis[q]);
  if (d->axis[q] && (d->axis[q] != ax || suspended(d, q))) {
    if ((st = end_all(d, q)) != TSR_OK) return st;
  }
  uint32_t route[TSR_MODULE_GRAPH_MAX + 1];
  uint32_t nr = copy_route(d, q, M, terminals, route), from = route[0];
  int32_t hs = d->loc_mod[q] == from ? -1 : *share_slot(d, q, from);
  pin_chain(d, hs, 1);
  st = TSR_OK;
  for (uint32_t i = 1; i < nr; i++) {
    uint32_t nx = route[i];
    int32_t nw = -1;
    st = entangle(d, q, from, nx, ax, &nw);
    pin_chain(d, nw, -1);
    if (st != TSR_OK) break;
    pin_chain(d, nw, 1);
    pin_chain(d, hs, -1);
    hs = nw;
    from = nx;
  }
  if (st != TSR_OK) {
    pin_chain(d, hs, -1);
    return st;
  }
  *made = hs;
  return TSR_OK;
}

/* After an inner gate of q's sandwich that put Z on partner p: mirrors it
 * on q's (suspended) copy s by a CX (CZ for an X copy) from p's Z copy in
 * the copy's module, made there when needed (one hop, room on both sides);
 * when that cannot be, the copy ends with the partner's Z in its
 * correction. */
static tsr_status mirror_inner_gate(dist *d, uint32_t q, int32_t s, uint32_t p) {
  uint32_t x = d->shares[s].module, src = d->loc_mod[p];
  int present = src == x || (*share_slot(d, p, x) >= 0 && (d->axis[p] & AX_Z) && !suspended(d, p));
  if (!present) {
    if (d->axis[p] & AX_Z && !suspended(d, p)) src = nearest_holder(d, p, x);
    int direct = d->m->link[(size_t)src * d->n + x] >= 0;
    if (!direct || count_comm(d, x, COMM_ENDABLE) < 1 || count_comm(d, src, COMM_ENDABLE) < 1 ||
        suspended(d, p) || (d->axis[p] && !(d->axis[p] & AX_Z)))
      return end_share_fixing(d, s, p); /* kept copies are roots: no children */
  }
  int32_t ps = -1;
  pin_chain(d, s, 1);
  tsr_status st = obtain_copy(d, p, x, AX_Z, 0, &ps);
  pin_chain(d, s, -1);
  if (st != TSR_OK) return st;
  uint32_t hp = ps >= 0 ? d->shares[ps].comm : d->loc_q[p];
  if (ps >= 0) d->shares[ps].last_use = ++d->clock;
  st = emit_2q(d, TSR_PROG_LOCAL, d->axis[q] == AX_Z ? TSR_GATE_CX : TSR_GATE_CZ, hp,
               d->shares[s].comm);
  pin_chain(d, ps, -1);
  return st;
}

static tsr_status do_gate_2q(dist *d, size_t i) {
  const tsr_op *op = &d->c->ops[i];
  uint32_t q[2] = {op->qubits[0], op->qubits[1]};
  cplx g[16];
  tsr_status st = op_matrix(op, g, d->err);
  if (st != TSR_OK) return st;
  int axes[2] = {tsr__operand_axes(g, 0), tsr__operand_axes(g, 1)};
  int64_t gv = d->gate_of_op[i];
  /* Teleports the partition asked for. */
  if (d->opt->allow_teleport && gv >= 0 && d->part->packet_module) {
    for (int k = 0; k < 2; k++) {
      uint32_t p = d->h->gate_packet[gv][k];
      uint32_t want = d->part->packet_module[p];
      if (want < d->n && want != d->loc_mod[q[k]] && teleport_feasible(d, q[k], want)) {
        if ((st = teleport(d, q[k], want)) != TSR_OK) return st;
      }
    }
  }
  /* An operand inside an embedded sandwich: the gate runs where it is and,
   * when it puts Z on the partner, is mirrored on its copies. */
  int inner[2] = {0, 0}, isign[2] = {1, 1};
  for (int k = 0; k < 2; k++) {
    if (!suspended(d, q[k])) continue;
    inner[k] = tsr__pauli_image_2q(g, (unsigned)k, d->frame[q[k]], &isign[k]);
    if (!inner[k] || (k == 1 && inner[0]) || op->cond >= 0) {
      inner[k] = 0;
      if ((st = end_all(d, q[k])) != TSR_OK) return st;
    }
  }
  int ki = inner[0] ? 0 : (inner[1] ? 1 : -1);
  if (ki >= 0 && !gate_feasible(d, q, axes, d->loc_mod[q[ki]])) {
    inner[ki] = 0;
    if ((st = end_all(d, q[ki])) != TSR_OK) return st;
    ki = -1;
  }
  /* Where the gate runs: inside a sandwich where the qubit is; else where
   * both operands already are (the qubit or a usable copy: no new pair),
   * the partition's module first; else the partition's module. */
  uint32_t cand[8 + 3 * TSR_MODULE_GRAPH_MAX], nc = 0;
  if (ki >= 0) cand[nc++] = d->loc_mod[q[ki]];
  uint32_t planned = gv >= 0 && d->part->gate_module && d->part->gate_module[gv] < d->n
                         ? d->part->gate_module[gv]
                         : UINT32_MAX;
  if (ki < 0) {
    if (planned != UINT32_MAX && present(d, q[0], axes[0], planned) &&
        present(d, q[1], axes[1], planned))
      cand[nc++] = planned;
    for (uint32_t x = 0; x < d->n; x++)
      if (present(d, q[0], axes[0], x) && present(d, q[1], axes[1], x)) cand[nc++] = x;
  }
  if (planned != UINT32_MAX && ki < 0 && d->n <= TSR_MODULE_GRAPH_MAX) {
    /* The partition's module costs as many pairs as any other here, but
     * when its pairs would end shares (communication qubits full), a
     * module needing as many pairs and no ending goes first. */
    uint32_t pp, pe;
    run_cost(d, q, axes, planned, &pp, &pe);
    if (pe > 0) {
      for (uint32_t x = 0; x < d->n; x++) {
        uint32_t xp, xe;
        if (x == planned) continue;
        run_cost(d, q, axes, x, &xp, &xe);
        if (xp <= pp && xe == 0) cand[nc++] = x;
      }
    }
  }
  if (planned != UINT32_MAX) cand[nc++] = planned;
  cand[nc++] = d->loc_mod[q[0]];
  cand[nc++] = d->loc_mod[q[1]];
  for (uint32_t x = 0; x < d->n; x++) cand[nc++] = x;
  int64_t mod = -1;
  for (uint32_t k = 0; k < nc && mod < 0; k++)
    if (gate_feasible(d, q, axes, cand[k])) mod = cand[k];
  if (mod < 0) {
    /* Qubits parked in communication qubits block them: send them to the
     * nearest module with a free data slot, then try again. */
    if ((st = evacuate(d)) != TSR_OK) return st;
    for (uint32_t k = 0; k < nc && mod < 0; k++)
      if (gate_feasible(d, q, axes, cand[k])) mod = cand[k];
  }
  if (mod < 0) {
    return tsr_error_set(d->err, TSR_ERR_VALUE,
                         "operation %zu ('%s' on qubits %u, %u): no module can run it with the "
                         "communication qubits the machine has",
                         i, tsr_gate_get(op->kind)->name, q[0], q[1]);
  }
  uint32_t M = (uint32_t)mod;
  if (ki >= 0 && M != d->loc_mod[q[ki]]) {
    if ((st = end_all(d, q[ki])) != TSR_OK) return st;
    ki = -1;
  }
  /* Shares whose axis the gate does not keep end first (a suspended
   * operand's shares are judged by its frame above). */
  for (int k = 0; k < 2; k++) {
    if (k == ki) continue;
    if (d->axis[q[k]] && (!(d->axis[q[k]] & axes[k]) || suspended(d, q[k]))) {
      if ((st = end_all(d, q[k])) != TSR_OK) return st;
    }
  }
  uint32_t use[2];
  int32_t pinned[2] = {-1, -1};
  int remote = 0;
  for (int k = 0; k < 2; k++) {
    if (d->loc_mod[q[k]] == M) {
      use[k] = d->loc_q[q[k]];
      continue;
    }
    remote = 1;
    int32_t s = -1;
    uint64_t span = gv >= 0 ? d->packet_span[d->h->gate_packet[gv][k]] : 0;
    if ((st = obtain_copy(d, q[k], M, axes[k], span, &s)) != TSR_OK) return st;
    pinned[k] = s;
    d->shares[s].last_use = ++d->clock;
    use[k] = d->shares[s].comm;
  }
  if ((st = ship_condition(d, op->cond, M)) != TSR_OK) return st;
  tsr__pop out = tsr__pop_blank(TSR_PROG_LOCAL, op->kind, (int32_t)M);
  out.nq = 2;
  out.q[0] = use[0];
  out.q[1] = use[1];
  out.np = op->nparams;
  for (uint32_t k = 0; k < op->nparams && k < 4; k++) out.p[k] = op->params[k];
  out.cond_src = op->cond;
  st = emit(d, &out);
  if (st == TSR_OK && ki >= 0) {
    uint32_t qi = q[ki], p = q[1 - ki];
    if (isign[ki] < 0) st = flip_copies(d, qi);
    if (st == TSR_OK && inner[ki] == 2) {
      /* Every copy of qi stays pinned while the others are mirrored. */
      int32_t list[TSR_MODULE_GRAPH_MAX];
      uint32_t nl = 0;
      for (uint32_t x = 0; x < d->n; x++) {
        int32_t sx = *share_slot(d, qi, x);
        if (sx >= 0) {
          list[nl++] = sx;
          pin_chain(d, sx, 1);
        }
      }
      for (uint32_t j = 0; j < nl; j++) {
        pin_chain(d, list[j], -1);
        if (st == TSR_OK && d->shares[list[j]].active) st = mirror_inner_gate(d, qi, list[j], p);
      }
    }
  }
  for (int k = 0; k < 2; k++) pin_chain(d, pinned[k], -1);
  if (remote) d->remote++;
  return st;
}

/* Opens the embedding planned at op i on q: copies outside the plan's keep
 * set (and relayed ones) end, the others stay, suspended. Returns 1 when
 * some copy stays. */
static tsr_status open_sandwich(dist *d, size_t i, uint32_t q, int *opened) {
  *opened = 0;
  int64_t e = d->embed_at[i];
  if (e < 0) return TSR_OK;
  const struct tsr_embed *em = &d->part->embeds[e];
  const struct tsr_sandwich *sw = &d->h->sandwiches[em->sandwich];
  if (sw->qubit != q || d->frame[q] != d->axis[q]) return TSR_OK;
  for (uint32_t mod = 0; mod < d->n; mod++) {
    int32_t s = *share_slot(d, q, mod);
    if (s < 0 || !d->shares[s].active) continue;
    if (d->shares[s].parent >= 0 || !(em->keep & ((uint64_t)1 << mod)) ||
        d->loc_mod[q] != d->part->module_of[q]) {
      tsr_status st = end_subtree(d, s);
      if (st != TSR_OK) return st;
    }
  }
  for (uint32_t mod = 0; mod < d->n; mod++) {
    int32_t s = *share_slot(d, q, mod);
    if (s >= 0 && d->shares[s].active) *opened = 1;
  }
  d->resume_op[q] = sw->close_op;
  return TSR_OK;
}

static tsr_status do_gate_1q(dist *d, size_t i) {
  const tsr_op *op = &d->c->ops[i];
  uint32_t q = op->qubits[0];
  tsr_status st;
  int flip = 0, keep = 0;
  if (d->axis[q] && op->cond < 0) {
    cplx u[4];
    if ((st = op_matrix(op, u, d->err)) != TSR_OK) return st;
    int sign = 1, f = tsr__pauli_image(u, d->frame[q], &sign);
    if (f == d->frame[q] || (f && suspended(d, q))) {
      keep = 1; /* the frame stays, or moves inside a sandwich */
    } else if (f) {
      if ((st = open_sandwich(d, i, q, &keep)) != TSR_OK) return st;
    }
    if (keep) {
      d->frame[q] = f;
      flip = sign < 0;
    }
  }
  if (d->axis[q] && !keep) {
    if ((st = end_all(d, q)) != TSR_OK) return st;
  }
  if ((st = ship_condition(d, op->cond, d->loc_mod[q])) != TSR_OK) return st;
  tsr__pop out = tsr__pop_blank(TSR_PROG_LOCAL, op->kind, (int32_t)d->loc_mod[q]);
  out.nq = 1;
  out.q[0] = d->loc_q[q];
  out.np = op->nparams;
  for (uint32_t k = 0; k < op->nparams && k < 4; k++) out.p[k] = op->params[k];
  out.cond_src = op->cond;
  if ((st = emit(d, &out)) != TSR_OK) return st;
  if (flip && d->axis[q]) return flip_copies(d, q);
  return TSR_OK;
}

static tsr_status do_op(dist *d, size_t i) {
  const tsr_op *op = &d->c->ops[i];
  tsr_status st;
  if (op->kind == TSR_OP_BARRIER) return TSR_OK;
  if (op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET) {
    uint32_t q = op->qubits[0];
    if ((st = end_all(d, q)) != TSR_OK) return st;
    if ((st = ship_condition(d, op->cond, d->loc_mod[q])) != TSR_OK) return st;
    tsr__pop out = tsr__pop_blank(TSR_PROG_LOCAL, op->kind, (int32_t)d->loc_mod[q]);
    out.nq = 1;
    out.q[0] = d->loc_q[q];
    out.cond_src = op->cond;
    if (op->kind == TSR_OP_MEASURE) {
      out.clbit = op->clbit;
      d->known[op->clbit] = (uint64_t)1 << d->loc_mod[q];
    }
    return emit(d, &out);
  }
  const tsr_gate_info *info = tsr_gate_get(op->kind);
  if (!info || op->kind == TSR_GATE_OPAQUE || !(info->flags & TSR_GF_UNITARY)) {
    return tsr_error_set(d->err, TSR_ERR_UNSUPPORTED, "operation %zu ('%s') cannot be compiled", i,
                         op->kind == TSR_GATE_OPAQUE && op->name ? op->name
                                                                 : (info ? info->name : "?"));
  }
  if (op->nqubits == 1) return do_gate_1q(d, i);
  if (op->nqubits == 2) return do_gate_2q(d, i);
  return tsr_error_set(d->err, TSR_ERR_INTERNAL,
                       "operation %zu ('%s') on %u qubits after decomposition", i, info->name,
                       op->nqubits);
}

/* ------------------------------------------------------------ driver */

tsr_status tsr__distribute(const tsr__machine *m, const tsr_circuit *c, const tsr_packet_graph *h,
                           const tsr_partition *part, const tsr_compile_options *opt,
                           tsr__popvec *out, tsr__dist_result *res, tsr_error *err) {
  memset(res, 0, sizeof *res);
  dist d;
  memset(&d, 0, sizeof d);
  d.m = m;
  d.c = c;
  d.h = h;
  d.part = part;
  d.opt = opt;
  d.out = out;
  d.err = err;
  d.n = m->n;
  d.nlog = c->nqubits;
  tsr_status st = TSR_OK;
  size_t nq = m->nqubits ? m->nqubits : 1;
  d.loc_mod = tsr_calloc(d.nlog + 1, sizeof *d.loc_mod, err);
  d.loc_q = tsr_calloc(d.nlog + 1, sizeof *d.loc_q, err);
  d.owner = tsr_malloc(nq * sizeof *d.owner, err);
  d.dirty = tsr_calloc(nq, 1, err);
  d.cstate = tsr_calloc(nq, 1, err);
  d.comm_share = tsr_malloc(nq * sizeof *d.comm_share, err);
  d.last_op = tsr_calloc(nq, sizeof *d.last_op, err);
  d.last_epr = tsr_calloc(nq + m->nlinks, sizeof *d.last_epr, err);
  d.share_at = tsr_malloc(((size_t)d.nlog * d.n + 1) * sizeof *d.share_at, err);
  d.axis = tsr_calloc(d.nlog + 1, sizeof *d.axis, err);
  d.frame = tsr_calloc(d.nlog + 1, sizeof *d.frame, err);
  d.resume_op = tsr_calloc(d.nlog + 1, sizeof *d.resume_op, err);
  d.embed_at = tsr_malloc((c->nops + 1) * sizeof *d.embed_at, err);
  d.gate_of_op = tsr_malloc((c->nops + 1) * sizeof *d.gate_of_op, err);
  res->initial = tsr_malloc((d.nlog + 1) * sizeof *res->initial, err);
  res->final = tsr_malloc((d.nlog + 1) * sizeof *res->final, err);
  if (!d.loc_mod || !d.loc_q || !d.owner || !d.dirty || !d.cstate || !d.comm_share || !d.last_op ||
      !d.last_epr || !d.share_at || !d.axis || !d.frame || !d.resume_op || !d.embed_at ||
      !d.gate_of_op || !res->initial || !res->final) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (size_t i = 0; i < nq; i++) d.owner[i] = d.comm_share[i] = -1;
  for (size_t i = 0; i < (size_t)d.nlog * d.n; i++) d.share_at[i] = -1;
  for (size_t i = 0; i < c->nops; i++) d.gate_of_op[i] = -1;
  for (size_t g = 0; h && g < h->ngates; g++) d.gate_of_op[h->gate_op[g]] = (int64_t)g;
  for (size_t i = 0; i < c->nops; i++) d.embed_at[i] = -1;
  d.link_cost = tsr_malloc(((size_t)d.n * d.n + 1) * sizeof *d.link_cost, err);
  if (!d.link_cost) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (size_t i = 0; i < (size_t)d.n * d.n; i++) {
    int32_t l = m->link[i];
    d.link_cost[i] = l >= 0 ? m->links[l].cost : INFINITY;
  }
  d.packet_span = tsr_calloc(h && h->npackets ? h->npackets : 1, sizeof *d.packet_span, err);
  if (!d.packet_span) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (size_t e = 0; h && part && part->gate_module && e < h->npackets; e++) {
    uint64_t span = 0;
    if (part->packet_module && part->packet_module[e] < d.n)
      span |= (uint64_t)1 << part->packet_module[e];
    for (size_t i = h->packet_start[e]; i < h->packet_start[e + 1]; i++) {
      uint32_t gm = part->gate_module[h->packet_gates[i]];
      if (gm < d.n) span |= (uint64_t)1 << gm;
    }
    d.packet_span[e] = span;
  }
  for (size_t e = 0; h && part && e < part->nembeds; e++) {
    if (part->embeds[e].sandwich >= h->nsandwiches) continue;
    size_t at = h->sandwiches[part->embeds[e].sandwich].open_op;
    if (at < c->nops) d.embed_at[at] = (int64_t)e;
  }
  for (uint32_t mod = 0; mod < d.n; mod++) {
    const tsr__mod *md = &m->mods[mod];
    for (uint32_t k = 0; k < md->comm_use; k++) d.cstate[md->first + md->capacity + k] = CS_FREE;
  }
  /* Initial placement: the partition's modules, data slots in qubit order. */
  uint32_t *used = tsr_calloc(d.n, sizeof *used, err);
  if (!used) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (uint32_t q = 0; q < d.nlog; q++) {
    uint32_t mod = part ? part->module_of[q] : 0;
    if (mod >= d.n || used[mod] >= m->mods[mod].capacity) {
      free(used);
      st = tsr_error_set(err, TSR_ERR_INTERNAL, "placement of qubit %u exceeds its module", q);
      goto out;
    }
    d.loc_mod[q] = mod;
    d.loc_q[q] = m->mods[mod].first + used[mod]++;
    d.owner[d.loc_q[q]] = (int32_t)q;
    res->initial[q] = d.loc_q[q];
  }
  free(used);
  /* Classical bits: the source's, known everywhere (0) until measured. */
  d.src_bits = c->nclbits;
  {
    uint32_t first;
    if ((st = new_bits(&d, c->nclbits, &first)) != TSR_OK) goto out;
    for (uint32_t b = 0; b < c->nclbits; b++) d.known[b] = all_modules(d.n);
  }
  for (size_t i = 0; i < c->nops && st == TSR_OK; i++) {
    d.cur_op = i;
    st = do_op(&d, i);
  }
  d.cur_op = c->nops;
  for (uint32_t q = 0; q < d.nlog && st == TSR_OK; q++) st = end_all(&d, q);
  if (st != TSR_OK) goto out;
  for (uint32_t q = 0; q < d.nlog; q++) res->final[q] = d.loc_q[q];
  res->nlogical = d.nlog;
  res->nscratch = (uint32_t)(d.nbits - d.src_bits);
  res->ebits = d.ebits;
  res->remote_gates = d.remote;
  res->teleports = d.teleports;
out:
  free(d.loc_mod);
  free(d.loc_q);
  free(d.owner);
  free(d.dirty);
  free(d.cstate);
  free(d.comm_share);
  free(d.last_op);
  free(d.last_epr);
  free(d.shares);
  free(d.share_at);
  free(d.axis);
  free(d.frame);
  free(d.resume_op);
  free(d.embed_at);
  free(d.packet_span);
  free(d.link_cost);
  free(d.trees);
  free(d.known);
  free(d.gate_of_op);
  if (st != TSR_OK) tsr__dist_result_release(res);
  return st;
}

void tsr__dist_result_release(tsr__dist_result *r) {
  free(r->initial);
  free(r->final);
  r->initial = r->final = NULL;
}
