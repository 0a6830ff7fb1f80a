/* Decomposition of every catalogue gate into single-qubit gates and CX (or
 * CZ), exact up to a global phase. Each operation is first expanded into a
 * small list of {1q, cx} gates (recursively for multi-controlled gates), then
 * written out with the operation's classical condition, converting cx into
 * h·cz·h when the basis is CZ. */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

#define ANGLE_EPS 1e-13
#define MAX_DEPTH 8

typedef struct item {
  tsr_gate kind;
  uint32_t nq, np;
  uint32_t q[2];
  double p[3];
} item;

typedef struct list {
  item *v;
  size_t n, cap;
  int nomem;
} list;

static void push(list *l, tsr_gate kind, uint32_t nq, uint32_t a, uint32_t b, uint32_t np,
                 double p0, double p1, double p2) {
  if (l->nomem) return;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 32;
    item *v = realloc(l->v, cap * sizeof *v);
    if (!v) {
      l->nomem = 1;
      return;
    }
    l->v = v;
    l->cap = cap;
  }
  item *it = &l->v[l->n++];
  memset(it, 0, sizeof *it);
  it->kind = kind;
  it->nq = nq;
  it->q[0] = a;
  it->q[1] = b;
  it->np = np;
  it->p[0] = p0;
  it->p[1] = p1;
  it->p[2] = p2;
}

static void cx(list *l, uint32_t c, uint32_t t) {
  push(l, TSR_GATE_CX, 2, c, t, 0, 0, 0, 0);
}
static void g1(list *l, tsr_gate k, uint32_t q) {
  push(l, k, 1, q, 0, 0, 0, 0, 0);
}
/* A one-parameter rotation, left out when it is the identity (up to phase). */
static void rot(list *l, tsr_gate k, uint32_t q, double a) {
  /* p(2 pi k) is 1 and rx, ry, rz(2 pi k) are +-1: a global phase */
  double r = fmod(fabs(a), 2 * M_PI);
  if (r < ANGLE_EPS || 2 * M_PI - r < ANGLE_EPS) return;
  push(l, k, 1, q, 0, 1, a, 0, 0);
}
static void rzz(list *l, uint32_t a, uint32_t b, double t) {
  cx(l, a, b);
  rot(l, TSR_GATE_RZ, b, t);
  cx(l, a, b);
}

/* ------------------------------------------------------ controlled gates */

/* Exact principal square root of a 2x2 unitary: with u = e^{i al} r, r in
 * SU(2) with tr r >= 0, sqrt(r) = (r + 1) / sqrt(2 + tr r). */
static void sqrt_2x2(const cplx u[4], cplx v[4]) {
  cplx det = u[0] * u[3] - u[1] * u[2];
  double al = carg(det) / 2;
  cplx r[4];
  for (int i = 0; i < 4; i++) r[i] = u[i] * cexp(-I * al);
  double tr = creal(r[0] + r[3]);
  if (tr < 0) {
    for (int i = 0; i < 4; i++) r[i] = -r[i];
    al += M_PI;
    tr = -tr;
  }
  double s = sqrt(2 + tr);
  cplx ph = cexp(I * al / 2);
  v[0] = (r[0] + 1) / s * ph;
  v[1] = r[1] / s * ph;
  v[2] = r[2] / s * ph;
  v[3] = (r[3] + 1) / s * ph;
}

static int is_exactly(const cplx u[4], cplx a, cplx b, cplx c, cplx d) {
  return cabs(u[0] - a) < 1e-14 && cabs(u[1] - b) < 1e-14 && cabs(u[2] - c) < 1e-14 &&
         cabs(u[3] - d) < 1e-14;
}

/* Controlled-u (control c, target t), u any 2x2 unitary, with 2 cx:
 * u = e^{i al} A X B X C, ABC = 1 (Nielsen & Chuang, Cor. 4.2). */
static void controlled_u(list *l, uint32_t c, uint32_t t, const cplx u[4]) {
  if (is_exactly(u, 0, 1, 1, 0)) {
    cx(l, c, t);
    return;
  }
  if (is_exactly(u, 1, 0, 0, -1)) {
    g1(l, TSR_GATE_H, t);
    cx(l, c, t);
    g1(l, TSR_GATE_H, t);
    return;
  }
  double ang[3], al;
  tsr_euler_zyz(u, ang, &al);
  double th = ang[0], ph = ang[1], la = ang[2];
  if (cabs(u[1]) < 1e-15 && cabs(u[2]) < 1e-15) {
    /* diagonal: u = diag(e^{ia}, e^{ib}) = e^{ia} p(b - a); controlled-p(x) =
       p(x/2) c, cx, p(-x/2) t, cx, p(x/2) t */
    double a = carg(u[0]), x = carg(u[3]) - a;
    rot(l, TSR_GATE_P, t, x / 2);
    cx(l, c, t);
    rot(l, TSR_GATE_P, t, -x / 2);
    cx(l, c, t);
    rot(l, TSR_GATE_P, c, x / 2 + a);
    return;
  }
  rot(l, TSR_GATE_RZ, t, (la - ph) / 2);
  cx(l, c, t);
  rot(l, TSR_GATE_RZ, t, -(ph + la) / 2);
  rot(l, TSR_GATE_RY, t, -th / 2);
  cx(l, c, t);
  rot(l, TSR_GATE_RY, t, th / 2);
  rot(l, TSR_GATE_RZ, t, ph);
  rot(l, TSR_GATE_P, c, al);
}

/* Toffoli with 6 cx (qelib1's definition). */
static void ccx(list *l, uint32_t a, uint32_t b, uint32_t c) {
  g1(l, TSR_GATE_H, c);
  cx(l, b, c);
  g1(l, TSR_GATE_TDG, c);
  cx(l, a, c);
  g1(l, TSR_GATE_T, c);
  cx(l, b, c);
  g1(l, TSR_GATE_TDG, c);
  cx(l, a, c);
  g1(l, TSR_GATE_T, b);
  g1(l, TSR_GATE_T, c);
  g1(l, TSR_GATE_H, c);
  cx(l, a, b);
  g1(l, TSR_GATE_T, a);
  g1(l, TSR_GATE_TDG, b);
  cx(l, a, b);
}

/* C^k(u) on controls c[0..k-1] and target t (Barenco et al. 1995, Lemma 7.5):
 * C^{k-1}(v), C^{k-1}X onto c[k-1], C(v^dag), C^{k-1}X, C(v), v^2 = u. */
static void multi_controlled(list *l, const uint32_t *c, unsigned k, uint32_t t, const cplx u[4]) {
  static const cplx X[4] = {0, 1, 1, 0};
  if (k == 0) {
    /* plain single-qubit u */
    double ang[3];
    tsr_euler_zyz(u, ang, NULL);
    push(l, TSR_GATE_U3, 1, t, 0, 3, ang[0], ang[1], ang[2]);
    return;
  }
  if (k == 1) {
    controlled_u(l, c[0], t, u);
    return;
  }
  if (k == 2 && is_exactly(u, 0, 1, 1, 0)) {
    ccx(l, c[0], c[1], t);
    return;
  }
  cplx v[4], vd[4];
  sqrt_2x2(u, v);
  cm_adj(2, v, vd);
  multi_controlled(l, c, k - 1, t, v);
  multi_controlled(l, c, k - 1, c[k - 1], X);
  controlled_u(l, c[k - 1], t, vd);
  multi_controlled(l, c, k - 1, c[k - 1], X);
  controlled_u(l, c[k - 1], t, v);
}

/* qelib1 rccx and rc3x */
static void rccx(list *l, uint32_t a, uint32_t b, uint32_t c) {
  push(l, TSR_GATE_U2, 1, c, 0, 2, 0, M_PI, 0);
  rot(l, TSR_GATE_U1, c, M_PI / 4);
  cx(l, b, c);
  rot(l, TSR_GATE_U1, c, -M_PI / 4);
  cx(l, a, c);
  rot(l, TSR_GATE_U1, c, M_PI / 4);
  cx(l, b, c);
  rot(l, TSR_GATE_U1, c, -M_PI / 4);
  push(l, TSR_GATE_U2, 1, c, 0, 2, 0, M_PI, 0);
}

static void rc3x(list *l, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  push(l, TSR_GATE_U2, 1, d, 0, 2, 0, M_PI, 0);
  rot(l, TSR_GATE_U1, d, M_PI / 4);
  cx(l, c, d);
  rot(l, TSR_GATE_U1, d, -M_PI / 4);
  push(l, TSR_GATE_U2, 1, d, 0, 2, 0, M_PI, 0);
  cx(l, a, d);
  rot(l, TSR_GATE_U1, d, M_PI / 4);
  cx(l, b, d);
  rot(l, TSR_GATE_U1, d, -M_PI / 4);
  cx(l, a, d);
  rot(l, TSR_GATE_U1, d, M_PI / 4);
  cx(l, b, d);
  rot(l, TSR_GATE_U1, d, -M_PI / 4);
  push(l, TSR_GATE_U2, 1, d, 0, 2, 0, M_PI, 0);
  rot(l, TSR_GATE_U1, d, M_PI / 4);
  cx(l, c, d);
  rot(l, TSR_GATE_U1, d, -M_PI / 4);
  push(l, TSR_GATE_U2, 1, d, 0, 2, 0, M_PI, 0);
}

/* ---------------------------------------------------------- generic paths */

/* Any two-qubit gate by KAK into cx and u3. */
static tsr_status via_kak(list *l, const cplx m[16], const uint32_t *q, tsr_error *err) {
  tsr_synth_seq s;
  tsr_status st = tsr_synth_2q(m, TSR_ENT_CX, TSR_BASIS_1Q_U3, &s, err);
  if (st != TSR_OK) return st;
  for (size_t i = 0; i < s.n; i++) {
    const tsr_synth_gate *g = &s.gates[i];
    push(l, g->kind, g->nqubits, q[g->qubits[0]], g->nqubits == 2 ? q[g->qubits[1]] : 0, g->nparams,
         g->params[0], g->params[1], g->params[2]);
  }
  return TSR_OK;
}

/* Target 2x2 of a gate whose first nc operands are controls and whose last
 * operand is the target; returns 0 when the gate is not of that form. */
static int controlled_target(const cplx *m, unsigned nq, unsigned nc, cplx u[4]) {
  if (nc + 1 != nq) return 0;
  size_t dim = (size_t)1 << nq, cmask = ((size_t)1 << nc) - 1, tbit = (size_t)1 << nc;
  for (size_t r = 0; r < dim; r++) {
    for (size_t c = 0; c < dim; c++) {
      cplx v = m[r * dim + c];
      int on = (r & cmask) == cmask && (c & cmask) == cmask;
      if (on) continue;
      cplx want = r == c ? 1 : 0;
      if (cabs(v - want) > 1e-12) return 0;
    }
  }
  u[0] = m[cmask * dim + cmask];
  u[1] = m[cmask * dim + (cmask | tbit)];
  u[2] = m[(cmask | tbit) * dim + cmask];
  u[3] = m[(cmask | tbit) * dim + (cmask | tbit)];
  return 1;
}

static tsr_status expand(list *l, tsr_gate kind, const double *p, const uint32_t *q, uint32_t nq,
                         int depth, tsr_error *err);

/* Decomposes the inverse of the gate and inverts the result. */
static tsr_status via_inverse(list *l, tsr_gate kind, const double *p, const uint32_t *q,
                              uint32_t nq, int depth, tsr_error *err) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  tsr_gate ik;
  double ip[4] = {0};
  if (depth >= MAX_DEPTH || tsr_gate_inverse(kind, p, &ik, ip, NULL) != TSR_OK || ik == kind) {
    return tsr_error_set(err, TSR_ERR_UNSUPPORTED, "cannot decompose gate '%s'",
                         info ? info->name : "?");
  }
  list sub = {0};
  tsr_status st = expand(&sub, ik, ip, q, nq, depth + 1, err);
  for (size_t i = sub.n; i-- > 0 && st == TSR_OK;) {
    item *it = &sub.v[i];
    tsr_gate k2;
    double p2[4] = {0};
    st = tsr_gate_inverse(it->kind, it->p, &k2, p2, err);
    const tsr_gate_info *i2 = tsr_gate_get(k2);
    if (st == TSR_OK && i2) {
      push(l, k2, it->nq, it->q[0], it->q[1], i2->nparams, p2[0], p2[1], p2[2]);
    }
  }
  if (sub.nomem) l->nomem = 1;
  free(sub.v);
  return st;
}

static tsr_status expand(list *l, tsr_gate kind, const double *p, const uint32_t *q, uint32_t nq,
                         int depth, tsr_error *err) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  if (!info || !(info->flags & TSR_GF_UNITARY)) {
    return tsr_error_set(err, TSR_ERR_UNSUPPORTED, "cannot decompose operation kind %d", (int)kind);
  }
  switch (kind) {
  case TSR_GATE_ID:
  case TSR_GATE_U0:
    return TSR_OK;
  case TSR_GATE_GR:
    for (uint32_t i = 0; i < nq; i++) push(l, TSR_GATE_R, 1, q[i], 0, 2, p[0], p[1], 0);
    return TSR_OK;
  case TSR_GATE_CX:
    cx(l, q[0], q[1]);
    return TSR_OK;
  case TSR_GATE_CZ:
    push(l, TSR_GATE_CZ, 2, q[0], q[1], 0, 0, 0, 0);
    return TSR_OK;
  case TSR_GATE_SWAP:
    cx(l, q[0], q[1]);
    cx(l, q[1], q[0]);
    cx(l, q[0], q[1]);
    return TSR_OK;
  case TSR_GATE_DCX:
    cx(l, q[0], q[1]);
    cx(l, q[1], q[0]);
    return TSR_OK;
  case TSR_GATE_DCXDG:
    cx(l, q[1], q[0]);
    cx(l, q[0], q[1]);
    return TSR_OK;
  case TSR_GATE_RZZ:
  case TSR_GATE_ZZ:
    rzz(l, q[0], q[1], p[0]);
    return TSR_OK;
  case TSR_GATE_RXX:
    g1(l, TSR_GATE_H, q[0]);
    g1(l, TSR_GATE_H, q[1]);
    rzz(l, q[0], q[1], p[0]);
    g1(l, TSR_GATE_H, q[0]);
    g1(l, TSR_GATE_H, q[1]);
    return TSR_OK;
  case TSR_GATE_RYY:
    rot(l, TSR_GATE_RX, q[0], M_PI / 2);
    rot(l, TSR_GATE_RX, q[1], M_PI / 2);
    rzz(l, q[0], q[1], p[0]);
    rot(l, TSR_GATE_RX, q[0], -M_PI / 2);
    rot(l, TSR_GATE_RX, q[1], -M_PI / 2);
    return TSR_OK;
  case TSR_GATE_RZX:
    g1(l, TSR_GATE_H, q[1]);
    rzz(l, q[0], q[1], p[0]);
    g1(l, TSR_GATE_H, q[1]);
    return TSR_OK;
  case TSR_GATE_MS:
    /* ms = (rz(f0) ⊗ rz(f1)) rxx(t) (rz(-f0) ⊗ rz(-f1)) */
    rot(l, TSR_GATE_RZ, q[0], -p[0]);
    rot(l, TSR_GATE_RZ, q[1], -p[1]);
    g1(l, TSR_GATE_H, q[0]);
    g1(l, TSR_GATE_H, q[1]);
    rzz(l, q[0], q[1], p[2]);
    g1(l, TSR_GATE_H, q[0]);
    g1(l, TSR_GATE_H, q[1]);
    rot(l, TSR_GATE_RZ, q[0], p[0]);
    rot(l, TSR_GATE_RZ, q[1], p[1]);
    return TSR_OK;
  case TSR_GATE_CP:
  case TSR_GATE_CU1:
    rot(l, TSR_GATE_P, q[0], p[0] / 2);
    cx(l, q[0], q[1]);
    rot(l, TSR_GATE_P, q[1], -p[0] / 2);
    cx(l, q[0], q[1]);
    rot(l, TSR_GATE_P, q[1], p[0] / 2);
    return TSR_OK;
  case TSR_GATE_CRZ:
    rot(l, TSR_GATE_RZ, q[1], p[0] / 2);
    cx(l, q[0], q[1]);
    rot(l, TSR_GATE_RZ, q[1], -p[0] / 2);
    cx(l, q[0], q[1]);
    return TSR_OK;
  case TSR_GATE_CCX:
    ccx(l, q[0], q[1], q[2]);
    return TSR_OK;
  case TSR_GATE_CCZ:
    g1(l, TSR_GATE_H, q[2]);
    ccx(l, q[0], q[1], q[2]);
    g1(l, TSR_GATE_H, q[2]);
    return TSR_OK;
  case TSR_GATE_CSWAP:
    cx(l, q[2], q[1]);
    ccx(l, q[0], q[1], q[2]);
    cx(l, q[2], q[1]);
    return TSR_OK;
  case TSR_GATE_RCCX:
    rccx(l, q[0], q[1], q[2]);
    return TSR_OK;
  case TSR_GATE_RC3X:
    rc3x(l, q[0], q[1], q[2], q[3]);
    return TSR_OK;
  default:
    break;
  }
  if (nq == 1) {
    push(l, kind, 1, q[0], 0, info->nparams, info->nparams > 0 ? p[0] : 0,
         info->nparams > 1 ? p[1] : 0, info->nparams > 2 ? p[2] : 0);
    return TSR_OK;
  }
  if (nq > 10) return tsr_error_set(err, TSR_ERR_LIMIT, "gate on %u qubits is too large", nq);
  size_t dim = (size_t)1 << nq;
  cplx *m = malloc(dim * dim * sizeof *m);
  if (!m) return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  tsr_status st = tsr_gate_matrix(kind, p, nq, m, err);
  if (st != TSR_OK) {
    free(m);
    return st;
  }
  cplx u[4];
  if ((info->flags & TSR_GF_CONTROLLED) && controlled_target(m, nq, info->ncontrols, u)) {
    multi_controlled(l, q, info->ncontrols, q[nq - 1], u);
  } else if (nq == 2) {
    st = via_kak(l, m, q, err);
  } else {
    st = via_inverse(l, kind, p, q, nq, depth, err);
  }
  free(m);
  return st;
}

/* Whether a two-qubit gate commutes with a Pauli on one of its operands (the
 * packet hypergraph takes it as it is). */
static int distributable_2q(const tsr_op *op) {
  if (op->nqubits != 2) return 0;
  cplx m[16];
  if (tsr_gate_matrix(op->kind, op->params, 2, m, NULL) != TSR_OK) return 0;
  const cplx paulis[3][4] = {{1, 0, 0, -1}, {0, 1, 1, 0}, {0, -I, I, 0}};
  const cplx id[4] = {1, 0, 0, 1};
  for (int k = 0; k < 2; k++) {
    for (int w = 0; w < 3; w++) {
      cplx pm[16], a[16], b[16];
      if (k == 0) {
        cm_kron2(id, paulis[w], pm);
      } else {
        cm_kron2(paulis[w], id, pm);
      }
      cm_mul(4, m, pm, a);
      cm_mul(4, pm, m, b);
      int ok = 1;
      for (int i = 0; i < 16 && ok; i++) ok = cabs(a[i] - b[i]) < 1e-9;
      if (ok) return 1;
    }
  }
  return 0;
}

static tsr_status decompose_impl(const tsr_circuit *in, tsr_gate basis, int keep_distributable,
                                 tsr_circuit **out, int64_t **src_of, tsr_error *err);

tsr_status tsr__decompose_for_packets(const tsr_circuit *in, tsr_circuit **out, tsr_error *err) {
  return decompose_impl(in, TSR_GATE_CZ, 1, out, NULL, err);
}

tsr_status tsr__decompose_for_packets_traced(const tsr_circuit *in, tsr_circuit **out,
                                             int64_t **src_of, tsr_error *err) {
  return decompose_impl(in, TSR_GATE_CZ, 1, out, src_of, err);
}

tsr_status tsr_decompose(const tsr_circuit *in, tsr_gate basis, tsr_circuit **out, tsr_error *err) {
  return decompose_impl(in, basis, 0, out, NULL, err);
}

/* Sets map[from .. to) to v, growing map (capacity *cap) as needed. */
static tsr_status map_fill(int64_t **map, size_t *cap, size_t from, size_t to, int64_t v,
                           tsr_error *err) {
  if (to > *cap) {
    size_t c = *cap ? *cap : 64;
    while (c < to) c *= 2;
    int64_t *g = tsr_realloc(*map, c, sizeof *g, err);
    if (!g) return TSR_ERR_NOMEM;
    *map = g;
    *cap = c;
  }
  for (size_t k = from; k < to; k++) (*map)[k] = v;
  return TSR_OK;
}

static tsr_status decompose_impl(const tsr_circuit *in, tsr_gate basis, int keep_distributable,
                                 tsr_circuit **out, int64_t **src_of, tsr_error *err) {
  if (src_of) *src_of = NULL;
  if (!in || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_decompose: NULL argument");
  *out = NULL;
  if (basis != TSR_GATE_CX && basis != TSR_GATE_CZ) {
    return tsr_error_set(err, TSR_ERR_VALUE, "decomposition basis must be cx or cz");
  }
  tsr_circuit *c;
  tsr_status st = tsr__circuit_like(in, &c, err);
  if (st != TSR_OK) return st;
  list l = {0};
  int64_t *map = NULL;
  size_t map_cap = 0;
  for (size_t i = 0; i < in->nops && st == TSR_OK; i++) {
    const tsr_op *op = &in->ops[i];
    size_t before = c->nops;
    if (op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET || op->kind == TSR_OP_BARRIER) {
      st = tsr__append_op(c, in, op, op->kind, op->qubits, op->nqubits, NULL, 0, err);
    } else if (op->kind == TSR_GATE_OPAQUE) {
      st = tsr_error_set(err, TSR_ERR_UNSUPPORTED, "opaque gate '%s' has no decomposition",
                         op->name ? op->name : "?");
    } else if (keep_distributable && (op->nqubits == 1 || distributable_2q(op))) {
      st = tsr__append_op(c, in, op, op->kind, op->qubits, op->nqubits, op->params, op->nparams,
                          err);
    } else {
      l.n = 0;
      st = expand(&l, op->kind, op->params, op->qubits, op->nqubits, 0, err);
      if (st == TSR_OK && l.nomem) st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
      for (size_t k = 0; k < l.n && st == TSR_OK; k++) {
        item *it = &l.v[k];
        if (it->nq == 2 && it->kind != basis &&
            (it->kind == TSR_GATE_CX || it->kind == TSR_GATE_CZ)) {
          /* cx = h cz h and cz = h cx h, with h on the second operand */
          uint32_t t = it->q[1];
          st = tsr__append_op(c, in, op, TSR_GATE_H, &t, 1, NULL, 0, err);
          if (st == TSR_OK) st = tsr__append_op(c, in, op, basis, it->q, 2, NULL, 0, err);
          if (st == TSR_OK) st = tsr__append_op(c, in, op, TSR_GATE_H, &t, 1, NULL, 0, err);
        } else {
          st = tsr__append_op(c, in, op, it->kind, it->q, it->nq, it->p, it->np, err);
        }
      }
    }
    if (st == TSR_OK && src_of) st = map_fill(&map, &map_cap, before, c->nops, (int64_t)i, err);
  }
  if (st == TSR_OK && src_of && !map) {
    map = tsr_malloc(sizeof *map, err); /* an empty circuit: still an array */
    if (!map) st = TSR_ERR_NOMEM;
  }
  free(l.v);
  if (st != TSR_OK) {
    free(map);
    tsr_circuit_free(c);
    return st;
  }
  *out = c;
  if (src_of) *src_of = map;
  return TSR_OK;
}
