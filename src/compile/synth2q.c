/* Two-qubit synthesis: KAK (Cartan) decomposition in the magic basis and
 * circuits with at most three entanglers (CX, CZ, MS(pi/2), or any-angle
 * ZZ / RZZ) plus single-qubit gates.
 *
 * KAK: with B the magic basis, u_B = B^dagger u B; M = u_B^T u_B is unitary and
 * symmetric, so its real and imaginary parts are commuting real symmetric
 * matrices and a generic real combination of them has the common real
 * orthogonal eigenvectors P (LAPACKE dsyev). Then u_B = K1 D P^T with
 * D = sqrt(P^T M P) diagonal and K1 = u_B P D^-1 real orthogonal; B K B^dagger
 * of a real orthogonal K is a tensor product, and B D B^dagger is
 * N(a, b, c) = exp(i(a XX + b YY + c ZZ)).
 *
 * Circuits (time order; CX = cx with control operand 0):
 *  one entangler:   N(pi/4, 0, 0) from the KAK of CX itself;
 *  two entanglers:  CX, rx0(-2a) rz1(-2c), CX                = N(a, 0, c);
 *  three:           CX, rx0(-2a), CZ, rx0(2b) rz1(-2c), CZ·CX = N(a, b, c),
 *                   with CZ = h1 CX h1 and CX·CZ = p0(-pi/2) s1 CX sdg1;
 * other slots are brought into place by local Clifford conjugations
 * (s⊗s swaps XX and YY, h⊗h swaps XX and ZZ, rx(pi/2)⊗rx(pi/2) swaps YY and
 * ZZ). Any other CX-class entangler E enters through CX = L E R with local L,
 * R found from the KAK of both. Single-qubit gates between entanglers are
 * multiplied into one 2x2 per qubit and synthesised in the requested basis. */
#include <lapacke.h>
#include <string.h>

#include "compile_internal.h"

#define COORD_EPS 1e-9

/* ------------------------------------------------------------ magic basis */

static const double RS2 = 0.70710678118654752440;

/* Columns: |00>+|11>, i(|00>-|11>), i(|01>+|10>), |01>-|10> (over sqrt 2). */
static void magic_basis(cplx b[16]) {
  memset(b, 0, 16 * sizeof *b);
  b[0 * 4 + 0] = RS2;
  b[3 * 4 + 0] = RS2;
  b[0 * 4 + 1] = I * RS2;
  b[3 * 4 + 1] = -I * RS2;
  b[1 * 4 + 2] = I * RS2;
  b[2 * 4 + 2] = I * RS2;
  b[1 * 4 + 3] = RS2;
  b[2 * 4 + 3] = -RS2;
}

/* Splits a 4x4 tensor product k = hi ⊗ lo (lo on operand 0) into SU(2)
 * factors; returns the phase p with k = exp(i p) hi ⊗ lo. */
static double factor_tensor(const cplx k[16], cplx hi[4], cplx lo[4]) {
  /* block (r1, c1) of k is hi[r1][c1] * lo */
  unsigned br = 0, bc = 0;
  double best = -1;
  for (unsigned r1 = 0; r1 < 2; r1++) {
    for (unsigned c1 = 0; c1 < 2; c1++) {
      double n = 0;
      for (unsigned r0 = 0; r0 < 2; r0++)
        for (unsigned c0 = 0; c0 < 2; c0++) {
          cplx v = k[(2 * r1 + r0) * 4 + 2 * c1 + c0];
          n += creal(v) * creal(v) + cimag(v) * cimag(v);
        }
      if (n > best) {
        best = n;
        br = r1;
        bc = c1;
      }
    }
  }
  for (unsigned r0 = 0; r0 < 2; r0++)
    for (unsigned c0 = 0; c0 < 2; c0++) lo[2 * r0 + c0] = k[(2 * br + r0) * 4 + 2 * bc + c0];
  cplx d = csqrt(lo[0] * lo[3] - lo[1] * lo[2]);
  if (cabs(d) < 1e-300) d = 1;
  for (unsigned i = 0; i < 4; i++) lo[i] /= d;
  /* hi[r1][c1] = tr(lo^dagger block(r1, c1)) / 2 */
  for (unsigned r1 = 0; r1 < 2; r1++) {
    for (unsigned c1 = 0; c1 < 2; c1++) {
      cplx t = 0;
      for (unsigned r0 = 0; r0 < 2; r0++)
        for (unsigned c0 = 0; c0 < 2; c0++)
          t += conj(lo[2 * r0 + c0]) * k[(2 * r1 + r0) * 4 + 2 * c1 + c0];
      hi[2 * r1 + c1] = t / 2;
    }
  }
  cplx dh = hi[0] * hi[3] - hi[1] * hi[2];
  double p = carg(dh) / 2;
  cplx s = cexp(-I * p);
  for (unsigned i = 0; i < 4; i++) hi[i] *= s;
  return p;
}

/* Reduces x into (-pi/4, pi/4]; returns k with x = reduced + k pi/2. */
static int reduce_coord(double *x) {
  int k = (int)floor((*x + M_PI / 4) / (M_PI / 2));
  double r = *x - k * (M_PI / 2);
  if (r <= -M_PI / 4 + 1e-13) {
    r += M_PI / 2;
    k--;
  }
  if (r > M_PI / 4 + 1e-13) {
    r -= M_PI / 2;
    k++;
  }
  *x = r;
  return k;
}

/* exp(i(a XX + b YY + c ZZ)) */
static void canonical_matrix(double a, double b, double c, cplx n[16]) {
  cplx bm[16], bd[16], d[16], t[16];
  magic_basis(bm);
  memset(d, 0, sizeof d);
  d[0] = cexp(I * (a - b + c));
  d[5] = cexp(I * (-a + b + c));
  d[10] = cexp(I * (a + b - c));
  d[15] = cexp(I * (-a - b - c));
  cm_adj(4, bm, bd);
  cm_mul(4, d, bd, t);
  cm_mul(4, bm, t, n);
}

static void kak_matrix(const tsr_kak *k, cplx out[16]) {
  cplx l1[16], l2[16], n[16], t[16];
  cm_kron2(k->after[1], k->after[0], l1);
  cm_kron2(k->before[1], k->before[0], l2);
  canonical_matrix(k->a, k->b, k->c, n);
  cm_mul(4, n, l2, t);
  cm_mul(4, l1, t, out);
  cplx ph = cexp(I * k->global_phase);
  for (unsigned i = 0; i < 16; i++) out[i] *= ph;
}

static double det4(const cplx m[16]) {
  /* real determinant of a real 4x4 (only used on the real orthogonal P) */
  double a[16];
  for (unsigned i = 0; i < 16; i++) a[i] = creal(m[i]);
  double det = 1;
  for (unsigned c = 0; c < 4; c++) {
    unsigned p = c;
    for (unsigned r = c + 1; r < 4; r++)
      if (fabs(a[r * 4 + c]) > fabs(a[p * 4 + c])) p = r;
    if (fabs(a[p * 4 + c]) < 1e-300) return 0;
    if (p != c) {
      for (unsigned j = 0; j < 4; j++) {
        double t = a[c * 4 + j];
        a[c * 4 + j] = a[p * 4 + j];
        a[p * 4 + j] = t;
      }
      det = -det;
    }
    det *= a[c * 4 + c];
    for (unsigned r = c + 1; r < 4; r++) {
      double f = a[r * 4 + c] / a[c * 4 + c];
      for (unsigned j = c; j < 4; j++) a[r * 4 + j] -= f * a[c * 4 + j];
    }
  }
  return det;
}

/* Multiplies an operand's 2x2 on the left (later in time) by m. */
static void left_mul(cplx target[4], const cplx m[4]) {
  cplx t[4];
  cm_mul(2, m, target, t);
  memcpy(target, t, sizeof t);
}

tsr_status tsr_kak_decompose(const double complex u[16], tsr_kak *out, tsr_error *err) {
  if (!u || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_kak_decompose: NULL argument");
  cplx det = 0;
  {
    /* determinant by LU on a copy */
    cplx a[16];
    memcpy(a, u, sizeof a);
    det = 1;
    for (unsigned c = 0; c < 4; c++) {
      unsigned p = c;
      for (unsigned r = c + 1; r < 4; r++)
        if (cabs(a[r * 4 + c]) > cabs(a[p * 4 + c])) p = r;
      if (cabs(a[p * 4 + c]) < 1e-300) {
        return tsr_error_set(err, TSR_ERR_VALUE, "tsr_kak_decompose: matrix is singular");
      }
      if (p != c) {
        for (unsigned j = 0; j < 4; j++) {
          cplx t = a[c * 4 + j];
          a[c * 4 + j] = a[p * 4 + j];
          a[p * 4 + j] = t;
        }
        det = -det;
      }
      det *= a[c * 4 + c];
      for (unsigned r = c + 1; r < 4; r++) {
        cplx f = a[r * 4 + c] / a[c * 4 + c];
        for (unsigned j = c; j < 4; j++) a[r * 4 + j] -= f * a[c * 4 + j];
      }
    }
  }
  cplx norm = cpow(det, 0.25);
  cplx su[16];
  for (unsigned i = 0; i < 16; i++) su[i] = u[i] / norm;

  cplx bm[16], bd[16], t[16], ub[16], m[16];
  magic_basis(bm);
  cm_adj(4, bm, bd);
  cm_mul(4, su, bm, t);
  cm_mul(4, bd, t, ub);
  /* M = ub^T ub */
  for (unsigned i = 0; i < 4; i++)
    for (unsigned j = 0; j < 4; j++) {
      cplx s = 0;
      for (unsigned k = 0; k < 4; k++) s += ub[k * 4 + i] * ub[k * 4 + j];
      m[i * 4 + j] = s;
    }

  static const double mix[] = {0.4142135623730951, 1.7320508075688772,  -0.2718281828459045,
                               3.1415926535897931, -1.2345678901234567, 0.5772156649015329,
                               2.2360679774997898, -0.6931471805599453};
  cplx p[16];
  int found = 0;
  for (size_t attempt = 0; attempt < sizeof mix / sizeof mix[0] && !found; attempt++) {
    double s[16], w[4];
    for (unsigned i = 0; i < 16; i++) s[i] = creal(m[i]) + mix[attempt] * cimag(m[i]);
    /* symmetrise against rounding */
    for (unsigned i = 0; i < 4; i++)
      for (unsigned j = i + 1; j < 4; j++) {
        double v = 0.5 * (s[i * 4 + j] + s[j * 4 + i]);
        s[i * 4 + j] = s[j * 4 + i] = v;
      }
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', 4, s, 4, w);
    if (info != 0) continue;
    for (unsigned i = 0; i < 16; i++) p[i] = s[i];
    /* check that P^T M P is diagonal */
    cplx pt[16], mp[16], dmat[16];
    for (unsigned i = 0; i < 4; i++)
      for (unsigned j = 0; j < 4; j++) pt[i * 4 + j] = p[j * 4 + i];
    cm_mul(4, m, p, mp);
    cm_mul(4, pt, mp, dmat);
    double off = 0;
    for (unsigned i = 0; i < 4; i++)
      for (unsigned j = 0; j < 4; j++)
        if (i != j && cabs(dmat[i * 4 + j]) > off) off = cabs(dmat[i * 4 + j]);
    if (off > 1e-10) continue;
    if (det4(p) < 0) {
      for (unsigned i = 0; i < 4; i++) p[i * 4] = -p[i * 4];
    }
    double d[4];
    for (unsigned i = 0; i < 4; i++) d[i] = carg(dmat[i * 4 + i]) / 2;
    double sum = d[0] + d[1] + d[2] + d[3];
    /* sum is a multiple of pi; make it a multiple of 2 pi, then exactly 0 */
    long kpi = lround(sum / M_PI);
    if (kpi % 2 != 0) {
      d[0] += M_PI;
      sum += M_PI;
    }
    d[3] -= sum;
    /* K1 = ub P D^-1 (real orthogonal), K2 = P^T */
    cplx k1[16], k2[16], ubp[16];
    cm_mul(4, ub, p, ubp);
    for (unsigned i = 0; i < 4; i++)
      for (unsigned j = 0; j < 4; j++) {
        k1[i * 4 + j] = ubp[i * 4 + j] * cexp(-I * d[j]);
        k2[i * 4 + j] = p[j * 4 + i];
      }
    /* back to the computational basis: L = B K B^dagger */
    cplx l1[16], l2[16];
    cm_mul(4, k1, bd, t);
    cm_mul(4, bm, t, l1);
    cm_mul(4, k2, bd, t);
    cm_mul(4, bm, t, l2);
    tsr_kak k;
    memset(&k, 0, sizeof k);
    k.a = (d[0] + d[2]) / 2;
    k.b = (d[1] + d[2]) / 2;
    k.c = (d[0] + d[1]) / 2;
    factor_tensor(l1, k.after[1], k.after[0]);
    factor_tensor(l2, k.before[1], k.before[0]);
    /* reduce the coordinates; the shifts are local (i XX)^k factors */
    /* i X, i Y, i Z keep the factors in SU(2) */
    static const cplx X[4] = {0, I, I, 0}, Y[4] = {0, 1, -1, 0}, Z[4] = {I, 0, 0, -I};
    double *coord[3] = {&k.a, &k.b, &k.c};
    const cplx *pauli[3] = {X, Y, Z};
    for (unsigned s3 = 0; s3 < 3; s3++) {
      int shift = reduce_coord(coord[s3]);
      if (shift & 1) {
        left_mul(k.before[0], pauli[s3]);
        left_mul(k.before[1], pauli[s3]);
      }
    }
    /* global phase from the reconstruction */
    cplx r[16];
    k.global_phase = 0;
    kak_matrix(&k, r);
    k.global_phase = cm_relative_phase(4, r, u);
    kak_matrix(&k, r);
    if (cm_phase_distance(4, r, u) > 1e-9) continue;
    *out = k;
    found = 1;
  }
  if (!found) {
    return tsr_error_set(err, TSR_ERR_INTERNAL,
                         "KAK decomposition did not converge (is the matrix unitary?)");
  }
  return TSR_OK;
}

static int coord_zero(double x) {
  return fabs(x) < COORD_EPS;
}
static int coord_quarter(double x) {
  return fabs(fabs(x) - M_PI / 4) < COORD_EPS;
}

int tsr_kak_cx_count(const tsr_kak *k) {
  int nz = !coord_zero(k->a) + !coord_zero(k->b) + !coord_zero(k->c);
  if (nz == 0) return 0;
  if (nz == 1 && (coord_quarter(k->a) || coord_quarter(k->b) || coord_quarter(k->c))) return 1;
  if (nz <= 2) return 2;
  return 3;
}

/* ------------------------------------------------------------ folding */

/* Gates in time order are folded into layers of one 2x2 per operand between
 * entanglers. */
typedef struct fold {
  cplx layer[5][2][4];
  int nent;
  double ent_param[4]; /* angle of each entangler (parametrised kinds) */
  int overflow;
} fold;

static void fold_init(fold *f) {
  memset(f, 0, sizeof *f);
  for (int l = 0; l < 5; l++)
    for (int q = 0; q < 2; q++) cm_identity(2, f->layer[l][q]);
}

static void fold_local(fold *f, unsigned q, const cplx m[4]) {
  left_mul(f->layer[f->nent][q], m);
}

static void fold_pair(fold *f, const cplx m0[4], const cplx m1[4]) {
  fold_local(f, 0, m0);
  fold_local(f, 1, m1);
}

static void fold_entangler(fold *f, double param) {
  if (f->nent >= 4) {
    f->overflow = 1;
    return;
  }
  f->ent_param[f->nent] = param;
  f->nent++;
}

/* CX = (l1 ⊗ l0) E (r1 ⊗ r0) for the chosen fixed entangler. */
typedef struct cx_equiv {
  cplx l[2][4], r[2][4];
} cx_equiv;

static void fold_cx(fold *f, const cx_equiv *e) {
  fold_pair(f, e->r[0], e->r[1]);
  fold_entangler(f, 0);
  fold_pair(f, e->l[0], e->l[1]);
}

static const cplx H2[4] = {0.70710678118654752440, 0.70710678118654752440, 0.70710678118654752440,
                           -0.70710678118654752440};
static const cplx ID2[4] = {1, 0, 0, 1};

/* Slot permutations: Q N(perm) Q^dagger = N(coords), i.e. conjugating the
 * permuted canonical gate by the local Q gives the original. */
static void local_s(cplx m[4]) {
  m[0] = 1;
  m[1] = 0;
  m[2] = 0;
  m[3] = I;
}

/* Entangler matrices for the fixed kinds. */
static tsr_status entangler_matrix(tsr_entangler ent, cplx out[16], tsr_error *err) {
  double ms[3] = {0, 0, M_PI / 2};
  switch (ent) {
  case TSR_ENT_CX:
    return tsr_gate_matrix(TSR_GATE_CX, NULL, 2, out, err);
  case TSR_ENT_CZ:
    return tsr_gate_matrix(TSR_GATE_CZ, NULL, 2, out, err);
  case TSR_ENT_MS:
    return tsr_gate_matrix(TSR_GATE_MS, ms, 2, out, err);
  default:
    return tsr_error_set(err, TSR_ERR_INTERNAL, "entangler %d has no fixed matrix", (int)ent);
  }
}

/* Brings the single nonzero coordinate (pi/4) of a CX-class KAK into slot 0:
 * returns the local q (pair) with N(pi/4 in slot s) = Q N(pi/4, 0, 0) Q^dag. */
static int quarter_slot(const tsr_kak *k) {
  if (coord_quarter(k->a)) return 0;
  if (coord_quarter(k->b)) return 1;
  return 2;
}

static void slot_conjugator(int slot, cplx q[4]) {
  /* s X s^dag = Y: (s⊗s) XX (s⊗s)^dag = YY; h X h = Z */
  if (slot == 0) {
    memcpy(q, ID2, sizeof ID2);
  } else if (slot == 1) {
    local_s(q);
  } else {
    memcpy(q, H2, sizeof H2);
  }
}

/* For a CX-class matrix g: local (a1, a0, b1, b0) with
 * N(pi/4, 0, 0) ~ (a1 ⊗ a0) g (b1 ⊗ b0). */
static tsr_status quarter_from(const cplx g[16], cplx a[2][4], cplx b[2][4], tsr_error *err) {
  tsr_kak k;
  tsr_status st = tsr_kak_decompose(g, &k, err);
  if (st != TSR_OK) return st;
  if (tsr_kak_cx_count(&k) != 1) {
    return tsr_error_set(err, TSR_ERR_INTERNAL, "entangler is not locally equivalent to CX");
  }
  /* g = A N(slot) B = A Q N0 Q^dag B  =>  N0 = Q^dag A^dag g B^dag Q */
  cplx q[4], qd[4];
  slot_conjugator(quarter_slot(&k), q);
  cm_adj(2, q, qd);
  for (unsigned o = 0; o < 2; o++) {
    cplx ad[4], bd[4];
    cm_adj(2, k.after[o], ad);
    cm_adj(2, k.before[o], bd);
    cm_mul(2, qd, ad, a[o]);
    cm_mul(2, bd, q, b[o]);
  }
  return TSR_OK;
}

/* CX = L E R for a fixed entangler E. */
static tsr_status cx_equivalence(tsr_entangler ent, cx_equiv *e, tsr_error *err) {
  if (ent == TSR_ENT_CX) {
    for (unsigned o = 0; o < 2; o++) {
      memcpy(e->l[o], ID2, sizeof ID2);
      memcpy(e->r[o], ID2, sizeof ID2);
    }
    return TSR_OK;
  }
  if (ent == TSR_ENT_CZ) {
    /* CX = (h ⊗ 1) CZ (h ⊗ 1) with h on the target (operand 1) */
    memcpy(e->l[0], ID2, sizeof ID2);
    memcpy(e->r[0], ID2, sizeof ID2);
    memcpy(e->l[1], H2, sizeof H2);
    memcpy(e->r[1], H2, sizeof H2);
    return TSR_OK;
  }
  cplx cx[16], em[16];
  tsr_status st = tsr_gate_matrix(TSR_GATE_CX, NULL, 2, cx, err);
  if (st == TSR_OK) st = entangler_matrix(ent, em, err);
  if (st != TSR_OK) return st;
  /* N0 ~ Ac CX Bc ~ Ae E Be  =>  CX ~ Ac^dag Ae E Be Bc^dag */
  cplx ac[2][4], bc[2][4], ae[2][4], be[2][4];
  st = quarter_from(cx, ac, bc, err);
  if (st == TSR_OK) st = quarter_from(em, ae, be, err);
  if (st != TSR_OK) return st;
  for (unsigned o = 0; o < 2; o++) {
    cplx acd[4], bcd[4];
    cm_adj(2, ac[o], acd);
    cm_adj(2, bc[o], bcd);
    cm_mul(2, acd, ae[o], e->l[o]);
    cm_mul(2, be[o], bcd, e->r[o]);
  }
  return TSR_OK;
}

/* Folds N(a, b, c) (reduced coordinates) realised with nent CX-class gates. */
static void fold_canonical_cx(fold *f, const cx_equiv *e, int count, double a, double b, double c,
                              const cplx n0a[2][4], const cplx n0b[2][4]) {
  cplx m0[4], m1[4];
  if (count == 0) return;
  if (count == 1) {
    /* N(pi/4 in slot s) = Q N0 Q^dag, N0 = (n0a) CX (n0b) */
    int slot = coord_quarter(a) ? 0 : coord_quarter(b) ? 1 : 2;
    cplx q[4], qd[4];
    slot_conjugator(slot, q);
    cm_adj(2, q, qd);
    fold_pair(f, qd, qd);
    fold_pair(f, n0b[0], n0b[1]);
    fold_cx(f, e);
    fold_pair(f, n0a[0], n0a[1]);
    fold_pair(f, q, q);
    return;
  }
  if (count == 2) {
    /* zero coordinate into slot 1 (YY): N(a,b,c) = Q N(a',0,c') Q^dag */
    cplx q[4], qd[4];
    double x = a, z = c;
    if (coord_zero(b)) {
      memcpy(q, ID2, sizeof ID2);
    } else if (coord_zero(a)) {
      /* swap XX and YY: N(0,b,c) = S N(b,0,c) S^dag with S = s⊗s */
      local_s(q);
      x = b;
    } else {
      /* c is zero: swap YY and ZZ with V = rx(pi/2)⊗rx(pi/2):
         V N(a,b,0) V^dag = N(a,0,b)  =>  N(a,b,0) = V^dag N(a,0,b) V */
      cplx v[4];
      cm_rx(M_PI / 2, v);
      cm_adj(2, v, q);
      z = b;
    }
    cm_adj(2, q, qd);
    fold_pair(f, qd, qd);
    fold_cx(f, e);
    cm_rx(-2 * x, m0);
    cm_rz(-2 * z, m1);
    fold_pair(f, m0, m1);
    fold_cx(f, e);
    fold_pair(f, q, q);
    return;
  }
  /* three: CX, rx0(-2a), h1 CX h1, rx0(2b) rz1(-2c), sdg1 CX s1 p0(-pi/2) */
  cplx s[4], sd[4], p[4];
  local_s(s);
  cm_adj(2, s, sd);
  p[0] = 1;
  p[1] = 0;
  p[2] = 0;
  p[3] = cexp(-I * M_PI / 2);
  fold_cx(f, e);
  cm_rx(-2 * a, m0);
  fold_local(f, 0, m0);
  fold_local(f, 1, H2);
  fold_cx(f, e);
  fold_local(f, 1, H2);
  cm_rx(2 * b, m0);
  cm_rz(-2 * c, m1);
  fold_pair(f, m0, m1);
  fold_local(f, 1, sd);
  fold_cx(f, e);
  fold_local(f, 1, s);
  fold_local(f, 0, p);
}

/* Folds N(a, b, c) with any-angle ZZ rotations: exp(i c ZZ) = rzz(-2c),
 * exp(i a XX) = (h⊗h) rzz(-2a) (h⊗h), exp(i b YY) = V^dag rzz(-2b) V. */
static void fold_canonical_zz(fold *f, double a, double b, double c) {
  if (!coord_zero(a)) {
    fold_pair(f, H2, H2);
    fold_entangler(f, -2 * a);
    fold_pair(f, H2, H2);
  }
  if (!coord_zero(b)) {
    cplx v[4], vd[4];
    cm_rx(M_PI / 2, v);
    cm_adj(2, v, vd);
    fold_pair(f, v, v);
    fold_entangler(f, -2 * b);
    fold_pair(f, vd, vd);
  }
  if (!coord_zero(c)) fold_entangler(f, -2 * c);
}

int tsr__emit_entangler(tsr_synth_seq *s, tsr_entangler ent, double param) {
  double ms[3] = {0, 0, M_PI / 2};
  switch (ent) {
  case TSR_ENT_CX:
    return tsr__seq_push(s, TSR_GATE_CX, 0, 1, NULL, 0);
  case TSR_ENT_CZ:
    return tsr__seq_push(s, TSR_GATE_CZ, 0, 1, NULL, 0);
  case TSR_ENT_MS:
    return tsr__seq_push(s, TSR_GATE_MS, 0, 1, ms, 3);
  case TSR_ENT_ZZ:
    return tsr__seq_push(s, TSR_GATE_ZZ, 0, 1, &param, 1);
  case TSR_ENT_RZZ:
    return tsr__seq_push(s, TSR_GATE_RZZ, 0, 1, &param, 1);
  default:
    return 0;
  }
}

tsr_status tsr__synth_2q_layered(const cplx u[16], tsr_entangler ent, tsr__layered *out,
                                 tsr_error *err) {
  if ((unsigned)ent >= TSR_ENT_COUNT) {
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown entangler %d", (int)ent);
  }
  tsr_kak k;
  tsr_status st = tsr_kak_decompose(u, &k, err);
  if (st != TSR_OK) return st;
  fold f;
  fold_init(&f);
  fold_pair(&f, k.before[0], k.before[1]);
  if (ent == TSR_ENT_ZZ || ent == TSR_ENT_RZZ) {
    fold_canonical_zz(&f, k.a, k.b, k.c);
  } else {
    cx_equiv e;
    st = cx_equivalence(ent, &e, err);
    if (st != TSR_OK) return st;
    int count = tsr_kak_cx_count(&k);
    cplx n0a[2][4], n0b[2][4];
    if (count == 1) {
      cplx cx[16];
      st = tsr_gate_matrix(TSR_GATE_CX, NULL, 2, cx, err);
      if (st == TSR_OK) st = quarter_from(cx, n0a, n0b, err);
      if (st != TSR_OK) return st;
    }
    fold_canonical_cx(&f, &e, count, k.a, k.b, k.c, (const cplx(*)[4])n0a, (const cplx(*)[4])n0b);
  }
  fold_pair(&f, k.after[0], k.after[1]);
  if (f.overflow) return tsr_error_set(err, TSR_ERR_INTERNAL, "too many entanglers");
  out->nent = f.nent;
  memcpy(out->layer, f.layer, sizeof f.layer);
  memcpy(out->param, f.ent_param, sizeof f.ent_param);
  return TSR_OK;
}

tsr_status tsr_synth_2q(const double complex u[16], tsr_entangler ent, tsr_basis_1q basis_1q,
                        tsr_synth_seq *out, tsr_error *err) {
  if (!u || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_synth_2q: NULL argument");
  if ((unsigned)basis_1q >= TSR_BASIS_1Q_COUNT) {
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown single-qubit basis %d", (int)basis_1q);
  }
  tsr__layered f;
  tsr_status st = tsr__synth_2q_layered(u, ent, &f, err);
  if (st != TSR_OK) return st;
  out->n = 0;
  out->global_phase = 0;
  for (int l = 0; l <= f.nent; l++) {
    for (unsigned q = 0; q < 2; q++) {
      st = tsr__synth_1q_append(f.layer[l][q], basis_1q, q, out, NULL, err);
      if (st != TSR_OK) return st;
    }
    if (l < f.nent && !tsr__emit_entangler(out, ent, f.param[l])) {
      return tsr_error_set(err, TSR_ERR_INTERNAL, "synthesis sequence is full");
    }
  }
  cplx m[16];
  st = tsr__seq_matrix(out, 4, m, err);
  if (st != TSR_OK) return st;
  out->global_phase = cm_relative_phase(4, m, u);
  st = tsr__seq_matrix(out, 4, m, err);
  if (st != TSR_OK) return st;
  double dist = cm_phase_distance(4, m, u);
  if (dist > 1e-9) {
    return tsr_error_set(err, TSR_ERR_INTERNAL, "two-qubit synthesis is off by %.3g (entangler %d)",
                         dist, (int)ent);
  }
  return TSR_OK;
}
