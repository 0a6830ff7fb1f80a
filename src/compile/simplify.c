/* Peephole simplification up to a global phase.
 *
 * Operations are nodes of per-qubit linked timelines. A gate g may move
 * forward past an operation k when they commute; the test used is exact and
 * cheap: on every shared qubit both commute with the same Pauli (both
 * diagonal in Z, or both in X, or both in Y), which makes them block diagonal
 * in one product basis. Moving forward, g meets its partner h:
 *  - single-qubit g and single-qubit h on the same qubit: h := h g (the run is
 *    multiplied out; the product is written back as the shortest named gate);
 *  - g and h on the same qubits with h g = identity (up to phase): both go;
 *  - g and h rotations of the same family on the same qubits: angles add.
 * Identities (and zero rotations) are dropped. Repeated until stable.
 * Conditioned operations, measurements, resets, barriers and opaque gates
 * commute with nothing. */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

#define EPS        1e-12
#define WALK_LIMIT 256
#define MAX_NQ     4 /* gates up to this size take part (matrices 16x16) */

typedef struct node {
  tsr_gate kind;
  uint32_t nq, np;
  size_t base; /* operands at links[base .. base + nq) */
  double p[4];
  const tsr_op *op;
  int alive;
  int mobile;   /* unconditioned unitary gate on <= MAX_NQ qubits */
  int modified; /* 1q node whose matrix u replaced the original gate */
  cplx u[4];    /* single-qubit nodes: the matrix */
} node;

typedef struct sctx {
  node *nodes;
  size_t nnodes;
  uint32_t *q;   /* [links] qubit of each operand slot */
  size_t *next;  /* [links] next node on that qubit, SIZE_MAX if none */
  size_t *prev;  /* [links] */
  uint8_t *axis; /* [links] bit 0: commutes with Z, 1: X, 2: Y on that operand */
  size_t nlinks;
  tsr_simplify_stats stats;
} sctx;

#define NONE SIZE_MAX

/* --------------------------------------------------------- matrix helpers */

static int proportional_to_identity(const cplx *m, unsigned dim) {
  cplx d = m[0];
  if (cabs(d) < 0.5) return 0;
  for (unsigned r = 0; r < dim; r++)
    for (unsigned c = 0; c < dim; c++) {
      cplx want = r == c ? d : 0;
      if (cabs(m[r * dim + c] - want) > 1e-10) return 0;
    }
  return 1;
}

/* Pauli on operand k of an n-qubit matrix applied as m * P (right) or P * m. */
static void pauli_mul(const cplx *m, unsigned n, unsigned k, int which, int right, cplx *out) {
  size_t dim = (size_t)1 << n, bit = (size_t)1 << k;
  for (size_t r = 0; r < dim; r++) {
    for (size_t c = 0; c < dim; c++) {
      cplx v;
      if (right) {
        /* (m P)[r][c] = sum_j m[r][j] P[j][c]; P[j][c] nonzero for one j */
        size_t j = which == 0 ? c : c ^ bit;
        cplx pe = 1;
        if (which == 0) pe = (c & bit) ? -1 : 1;
        if (which == 2) pe = (c & bit) ? -I : I; /* Y[j][c]: Y|0> = i|1> */
        v = m[r * dim + j] * pe;
      } else {
        size_t j = which == 0 ? r : r ^ bit;
        cplx pe = 1;
        if (which == 0) pe = (r & bit) ? -1 : 1;
        if (which == 2) pe = (r & bit) ? I : -I; /* Y[r][j] */
        v = pe * m[j * dim + c];
      }
      out[r * dim + c] = v;
    }
  }
}

/* Axis mask of operand k of gate matrix m. */
static uint8_t axis_mask(const cplx *m, unsigned n, unsigned k, cplx *t1, cplx *t2) {
  size_t dim = (size_t)1 << n;
  uint8_t mask = 0;
  for (int which = 0; which < 3; which++) {
    pauli_mul(m, n, k, which, 1, t1);
    pauli_mul(m, n, k, which, 0, t2);
    int ok = 1;
    for (size_t i = 0; i < dim * dim && ok; i++) ok = cabs(t1[i] - t2[i]) < 1e-10;
    if (ok) mask |= (uint8_t)(1u << which);
  }
  return mask;
}

/* ------------------------------------------------------------ timelines */

static void unlink_node(sctx *s, size_t i) {
  node *nd = &s->nodes[i];
  for (uint32_t k = 0; k < nd->nq; k++) {
    size_t l = nd->base + k;
    size_t pv = s->prev[l], nx = s->next[l];
    uint32_t qb = s->q[l];
    if (pv != NONE) {
      node *pn = &s->nodes[pv];
      for (uint32_t j = 0; j < pn->nq; j++)
        if (s->q[pn->base + j] == qb) s->next[pn->base + j] = nx;
    }
    if (nx != NONE) {
      node *nn = &s->nodes[nx];
      for (uint32_t j = 0; j < nn->nq; j++)
        if (s->q[nn->base + j] == qb) s->prev[nn->base + j] = pv;
    }
  }
  nd->alive = 0;
}

/* Operand slot of node i on qubit qb (NONE if it does not act on it). */
static size_t slot_of(const sctx *s, size_t i, uint32_t qb) {
  const node *nd = &s->nodes[i];
  for (uint32_t k = 0; k < nd->nq; k++)
    if (s->q[nd->base + k] == qb) return nd->base + k;
  return NONE;
}

/* Whether node g commutes with node k (k acts on some of g's qubits). */
static int commutes(const sctx *s, size_t g, size_t k) {
  const node *a = &s->nodes[g], *b = &s->nodes[k];
  if (!a->mobile || !b->mobile) return 0;
  for (uint32_t i = 0; i < a->nq; i++) {
    size_t sb = slot_of(s, k, s->q[a->base + i]);
    if (sb == NONE) continue;
    if (!(s->axis[a->base + i] & s->axis[sb])) return 0;
  }
  return 1;
}

/* Whether nodes g and k act on the same set of qubits. */
static int same_qubits(const sctx *s, size_t g, size_t k) {
  const node *a = &s->nodes[g], *b = &s->nodes[k];
  if (a->nq != b->nq) return 0;
  for (uint32_t i = 0; i < a->nq; i++)
    if (slot_of(s, k, s->q[a->base + i]) == NONE) return 0;
  return 1;
}

/* First node after g on qubit slot l that does not commute with g or acts
 * on exactly g's qubits (a candidate partner). */
static size_t first_blocker(const sctx *s, size_t g, size_t l) {
  size_t k = s->next[l];
  int steps = 0;
  while (k != NONE && steps++ < WALK_LIMIT) {
    if (same_qubits(s, g, k) || !commutes(s, g, k)) return k;
    size_t sl = slot_of(s, k, s->q[l]);
    k = s->next[sl];
  }
  return k == NONE ? NONE : (steps >= WALK_LIMIT ? NONE - 1 : k);
}

/* The partner h of g: the first non-commuting node on every qubit of g, and
 * the same one on all of them, acting on exactly g's qubits. */
static size_t partner(const sctx *s, size_t g) {
  const node *nd = &s->nodes[g];
  size_t h = NONE;
  for (uint32_t k = 0; k < nd->nq; k++) {
    size_t b = first_blocker(s, g, nd->base + k);
    if (b == NONE || b == NONE - 1) return NONE;
    if (k == 0) {
      h = b;
    } else if (b != h) {
      return NONE;
    }
  }
  if (h == NONE || s->nodes[h].nq != nd->nq || !s->nodes[h].mobile) return NONE;
  return h;
}

/* --------------------------------------------------------- node matrices */

static tsr_status node_matrix(const sctx *s, size_t i, cplx *m, tsr_error *err) {
  const node *nd = &s->nodes[i];
  if (nd->nq == 1) {
    memcpy(m, nd->u, 4 * sizeof *m);
    return TSR_OK;
  }
  return tsr_gate_matrix(nd->kind, nd->p, nd->nq, m, err);
}

/* Matrix of node h re-expressed with g's operand order (same qubit set). */
static tsr_status matrix_in_order(const sctx *s, size_t h, size_t g, cplx *out, tsr_error *err) {
  const node *nh = &s->nodes[h], *ng = &s->nodes[g];
  unsigned n = nh->nq;
  size_t dim = (size_t)1 << n;
  cplx m[256];
  tsr_status st = node_matrix(s, h, m, err);
  if (st != TSR_OK) return st;
  unsigned pos[MAX_NQ]; /* operand k of h is operand pos[k] of g */
  for (unsigned k = 0; k < n; k++) {
    pos[k] = 0;
    for (unsigned j = 0; j < n; j++)
      if (s->q[ng->base + j] == s->q[nh->base + k]) pos[k] = j;
  }
  for (size_t r = 0; r < dim; r++) {
    for (size_t c = 0; c < dim; c++) {
      size_t rr = 0, cc = 0;
      for (unsigned k = 0; k < n; k++) {
        if (r >> k & 1) rr |= (size_t)1 << pos[k];
        if (c >> k & 1) cc |= (size_t)1 << pos[k];
      }
      out[rr * dim + cc] = m[r * dim + c];
    }
  }
  return TSR_OK;
}

/* Rotation families whose angles add: 0 when not a rotation; symmetric ones
 * may match with swapped operands. */
static int rotation_family(tsr_gate k, int *symmetric) {
  *symmetric = 0;
  switch (k) {
  case TSR_GATE_CP:
  case TSR_GATE_CU1:
    *symmetric = 1;
    return 1;
  case TSR_GATE_RZZ:
  case TSR_GATE_ZZ:
    *symmetric = 1;
    return 2;
  case TSR_GATE_RXX:
    *symmetric = 1;
    return 3;
  case TSR_GATE_RYY:
    *symmetric = 1;
    return 4;
  case TSR_GATE_CRZ:
    return 5;
  case TSR_GATE_CRX:
    return 6;
  case TSR_GATE_CRY:
    return 7;
  case TSR_GATE_RZX:
    return 8;
  default:
    return 0;
  }
}

/* Whether a two-qubit rotation's angle makes it the identity up to phase. */
static int zero_rotation(tsr_gate k, double a) {
  int sym;
  int fam = rotation_family(k, &sym);
  if (!fam) return 0;
  /* cp: 2 pi; rzz/rxx/ryy/rzx: 2 pi (= -1); crz/crx/cry: 4 pi */
  double period = (fam >= 5 && fam <= 7) ? 4 * M_PI : 2 * M_PI;
  double r = fmod(fabs(a), period);
  return r < EPS || period - r < EPS;
}

/* ---------------------------------------------------------- the passes */

static tsr_status step(sctx *s, size_t g, int *changed, tsr_error *err) {
  node *nd = &s->nodes[g];
  if (!nd->alive || !nd->mobile) return TSR_OK;
  if (nd->nq == 1) {
    if (proportional_to_identity(nd->u, 2)) {
      unlink_node(s, g);
      s->stats.dropped++;
      *changed = 1;
      return TSR_OK;
    }
    size_t h = partner(s, g);
    if (h == NONE) return TSR_OK;
    node *nh = &s->nodes[h];
    cplx t[4];
    cm_mul(2, nh->u, nd->u, t);
    memcpy(nh->u, t, sizeof t);
    nh->modified = 1;
    cplx t1[4], t2[4];
    s->axis[nh->base] = axis_mask(nh->u, 1, 0, t1, t2);
    unlink_node(s, g);
    s->stats.merged++;
    *changed = 1;
    return TSR_OK;
  }
  if (zero_rotation(nd->kind, nd->p[0])) {
    unlink_node(s, g);
    s->stats.dropped++;
    *changed = 1;
    return TSR_OK;
  }
  size_t h = partner(s, g);
  if (h == NONE) return TSR_OK;
  node *nh = &s->nodes[h];
  unsigned dim = 1u << nd->nq;
  cplx mg[256], mh[256], prod[256];
  tsr_status st = node_matrix(s, g, mg, err);
  if (st == TSR_OK) st = matrix_in_order(s, h, g, mh, err);
  if (st != TSR_OK) return st;
  cm_mul(dim, mh, mg, prod);
  if (proportional_to_identity(prod, dim)) {
    unlink_node(s, g);
    unlink_node(s, h);
    s->stats.cancelled += 2;
    *changed = 1;
    return TSR_OK;
  }
  int sg, sh;
  int fg = rotation_family(nd->kind, &sg), fh = rotation_family(nh->kind, &sh);
  if (fg && fg == fh && nd->nq == 2) {
    int same = s->q[nd->base] == s->q[nh->base];
    if (same || sg) {
      nh->p[0] += nd->p[0];
      cplx m[16], t1[16], t2[16];
      tsr_status st2 = tsr_gate_matrix(nh->kind, nh->p, 2, m, err);
      if (st2 != TSR_OK) return st2;
      for (uint32_t k = 0; k < 2; k++) s->axis[nh->base + k] = axis_mask(m, 2, k, t1, t2);
      unlink_node(s, g);
      s->stats.merged++;
      *changed = 1;
      if (zero_rotation(nh->kind, nh->p[0])) {
        unlink_node(s, h);
        s->stats.dropped++;
      }
    }
  }
  return TSR_OK;
}

/* ------------------------------------------------- writing 1q matrices */

static int close_to(const cplx u[4], tsr_gate k, const double *p) {
  cplx m[4];
  if (tsr_gate_matrix(k, p, 1, m, NULL) != TSR_OK) return 0;
  return cm_phase_distance(2, m, u) < 1e-10;
}

/* The shortest named gate for a single-qubit matrix: kind and params. */
static void name_1q(const cplx u[4], tsr_gate *kind, double p[3], uint32_t *np) {
  static const tsr_gate fixed[] = {TSR_GATE_X,  TSR_GATE_Y,   TSR_GATE_Z, TSR_GATE_H,
                                   TSR_GATE_S,  TSR_GATE_SDG, TSR_GATE_T, TSR_GATE_TDG,
                                   TSR_GATE_SX, TSR_GATE_SXDG};
  *np = 0;
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    if (close_to(u, fixed[i], NULL)) {
      *kind = fixed[i];
      return;
    }
  }
  *np = 1;
  if (cabs(u[1]) < 1e-12 && cabs(u[2]) < 1e-12) {
    *kind = TSR_GATE_RZ;
    p[0] = tsr_wrap_angle(carg(u[3]) - carg(u[0]));
    return;
  }
  double th = 2 * atan2(cabs(u[1]), cabs(u[0]));
  const tsr_gate axes[] = {TSR_GATE_RX, TSR_GATE_RY};
  for (int a = 0; a < 2; a++) {
    for (int sgn = -1; sgn <= 1; sgn += 2) {
      double t = sgn * th;
      if (close_to(u, axes[a], &t)) {
        *kind = axes[a];
        p[0] = t;
        return;
      }
    }
  }
  double ang[3];
  tsr_euler_zyz(u, ang, NULL);
  *kind = TSR_GATE_U3;
  p[0] = ang[0];
  p[1] = ang[1];
  p[2] = ang[2];
  *np = 3;
}

/* ------------------------------------------------------------------ API */

tsr_status tsr_simplify(const tsr_circuit *in, tsr_circuit **out, tsr_simplify_stats *stats,
                        tsr_error *err) {
  return tsr__simplify_traced(in, out, stats, NULL, err);
}

tsr_status tsr__simplify_traced(const tsr_circuit *in, tsr_circuit **out, tsr_simplify_stats *stats,
                                int64_t **src_of, tsr_error *err) {
  if (src_of) *src_of = NULL;
  if (!in || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_simplify: NULL argument");
  *out = NULL;
  int64_t *map = NULL;
  sctx s;
  memset(&s, 0, sizeof s);
  tsr_status st = TSR_OK;
  s.nnodes = in->nops;
  size_t links = 0;
  for (size_t i = 0; i < in->nops; i++) links += in->ops[i].nqubits;
  s.nlinks = links;
  s.nodes = calloc(s.nnodes ? s.nnodes : 1, sizeof *s.nodes);
  s.q = malloc((links ? links : 1) * sizeof *s.q);
  s.next = malloc((links ? links : 1) * sizeof *s.next);
  s.prev = malloc((links ? links : 1) * sizeof *s.prev);
  s.axis = calloc(links ? links : 1, 1);
  size_t *last = malloc((in->nqubits ? in->nqubits : 1) * sizeof *last);
  if (src_of) map = malloc((in->nops ? in->nops : 1) * sizeof *map);
  tsr_circuit *c = NULL;
  if (!s.nodes || !s.q || !s.next || !s.prev || !s.axis || !last || (src_of && !map)) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto done;
  }
  for (uint32_t qb = 0; qb < in->nqubits; qb++) last[qb] = NONE;
  size_t base = 0;
  cplx t1[256], t2[256], m[256];
  for (size_t i = 0; i < in->nops && st == TSR_OK; i++) {
    const tsr_op *op = &in->ops[i];
    node *nd = &s.nodes[i];
    nd->kind = op->kind;
    nd->nq = op->nqubits;
    nd->np = op->nparams;
    nd->base = base;
    nd->op = op;
    nd->alive = 1;
    for (uint32_t k = 0; k < op->nparams && k < 4; k++) nd->p[k] = op->params[k];
    const tsr_gate_info *info = tsr_gate_get(op->kind);
    nd->mobile = info && (info->flags & TSR_GF_UNITARY) && op->kind != TSR_GATE_OPAQUE &&
                 op->cond < 0 && op->nqubits <= MAX_NQ && op->nparams <= 4;
    for (uint32_t k = 0; k < op->nqubits; k++) {
      size_t l = base + k;
      uint32_t qb = op->qubits[k];
      s.q[l] = qb;
      s.next[l] = NONE;
      s.prev[l] = last[qb];
      if (last[qb] != NONE) {
        size_t pl = slot_of(&s, last[qb], qb);
        s.next[pl] = i;
      }
      last[qb] = i;
    }
    if (nd->mobile) {
      st = tsr_gate_matrix(op->kind, op->params, op->nqubits, m, err);
      if (st != TSR_OK) break;
      if (op->nqubits == 1) memcpy(nd->u, m, 4 * sizeof *m);
      for (uint32_t k = 0; k < op->nqubits; k++) {
        s.axis[base + k] = axis_mask(m, op->nqubits, k, t1, t2);
      }
    }
    base += op->nqubits;
  }
  if (st != TSR_OK) goto done;

  for (int round = 0; round < 64; round++) {
    int changed = 0;
    for (size_t i = 0; i < s.nnodes && st == TSR_OK; i++) st = step(&s, i, &changed, err);
    if (st != TSR_OK || !changed) break;
  }
  if (st != TSR_OK) goto done;

  st = tsr__circuit_like(in, &c, err);
  for (size_t i = 0; i < s.nnodes && st == TSR_OK; i++) {
    node *nd = &s.nodes[i];
    if (!nd->alive) continue;
    if (nd->nq == 1 && nd->modified) {
      if (proportional_to_identity(nd->u, 2)) {
        s.stats.dropped++;
        continue;
      }
      tsr_gate k;
      double p[3] = {0};
      uint32_t np;
      name_1q(nd->u, &k, p, &np);
      st = tsr__append_op(c, in, nd->op, k, nd->op->qubits, 1, p, np, err);
    } else {
      st = tsr__append_op(c, in, nd->op, nd->kind, nd->op->qubits, nd->nq, nd->p, nd->np, err);
    }
    /* the node's own operation: a merged run keeps the surviving node's */
    if (st == TSR_OK && map) map[c->nops - 1] = (int64_t)i;
  }
  if (st != TSR_OK) {
    tsr_circuit_free(c);
    c = NULL;
  }
done:
  if (st == TSR_OK && stats) *stats = s.stats;
  free(s.nodes);
  free(s.q);
  free(s.next);
  free(s.prev);
  free(s.axis);
  free(last);
  *out = c;
  if (src_of && st == TSR_OK) {
    *src_of = map;
    map = NULL;
  }
  free(map);
  return st;
}
