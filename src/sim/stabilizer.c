/* The stabilizer backend: an Aaronson-Gottesman tableau (S. Aaronson and
 * D. Gottesman, "Improved simulation of stabilizer circuits", Phys. Rev. A
 * 70, 052328 (2004)) stored column-wise and bit-packed: for each qubit q, the
 * x bits (and z bits) of all 2n generators sit in consecutive 64-bit words,
 * so a gate on q updates 2n/64 words with a few logical operations per word
 * (H, S, CX, CZ, ... by formula; any other Clifford of up to 3 qubits by a
 * table of its action on the Pauli group, derived from its matrix).
 *
 * Rows 0..n-1 are destabilizers, n..2n-1 stabilizers; row i means
 * (-1)^r_i (x) P(x_ij, z_ij) with P(1,1) = Y.
 *
 * Measurement of qubit a, bit-parallel over rows:
 *  - random (a stabilizer p has x_pa = 1): every other row i with x_ia = 1
 *    becomes row_p * row_i. The phase exponent sum_j g(p_j, i_j) (AG's g in
 *    {-1, 0, +1}) is kept per row as a 2-bit counter in two bit planes, so
 *    the whole update is O(n * 2n/64) word operations;
 *  - deterministic: the outcome is the sign of the product of the
 *    stabilizers n+i for which destabilizer i has x_ia = 1. Those commute, so
 *    the sign of the product follows from X^x1 Z^z1 X^x2 Z^z2 ... =
 *    (-1)^(sum_{a<b} z_a.x_b) X^(x1+x2+...) Z^(z1+z2+...): per qubit only the
 *    parity of pairs (a < b) with z_a x_b is needed, a prefix-xor per word.
 * Random outcomes draw u = tsr_rng_uniform and take u < 1/2, and a
 * deterministic measurement also draws (and ignores) one u, so a tableau and
 * a state vector given the same generator follow the same trajectory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

#define W(t)     ((t)->words)
#define XC(t, q) ((t)->x + (size_t)(q) * (t)->words)
#define ZC(t, q) ((t)->z + (size_t)(q) * (t)->words)

static inline int getbit(const uint64_t *v, uint64_t i) {
  return (int)((v[i / 64] >> (i % 64)) & 1);
}
static inline void setbit(uint64_t *v, uint64_t i, int b) {
  const uint64_t m = UINT64_C(1) << (i % 64);
  if (b) {
    v[i / 64] |= m;
  } else {
    v[i / 64] &= ~m;
  }
}

static uint64_t tab_bytes(unsigned n) {
  const uint64_t words = (2 * (uint64_t)n + 63) / 64;
  return (2 * (uint64_t)n + 1) * words * 8;
}

tsr_tableau *tsr_tableau_new(unsigned nqubits, const tsr_state_options *opts, tsr_error *err) {
  if (nqubits == 0) {
    tsr_error_set(err, TSR_ERR_VALUE, "a tableau needs at least one qubit");
    return NULL;
  }
  if (sim_check_memory("stabilizer tableau", nqubits, tab_bytes(nqubits),
                       opts ? opts->memory_limit : 0, err) != TSR_OK) {
    return NULL;
  }
  tsr_tableau *t = tsr_calloc(1, sizeof *t, err);
  if (!t) return NULL;
  t->n = nqubits;
  t->words = (2 * (uint64_t)nqubits + 63) / 64;
  const size_t cells = (size_t)nqubits * t->words;
  t->x = tsr_calloc(cells, sizeof *t->x, err);
  t->z = tsr_calloc(cells, sizeof *t->z, err);
  t->r = tsr_calloc(t->words, sizeof *t->r, err);
  if (!t->x || !t->z || !t->r) {
    tsr_tableau_free(t);
    return NULL;
  }
  for (unsigned q = 0; q < nqubits; q++) {
    setbit(XC(t, q), q, 1);           /* destabilizer q = X_q */
    setbit(ZC(t, q), nqubits + q, 1); /* stabilizer n+q = Z_q */
  }
  return t;
}

void tsr_tableau_free(tsr_tableau *t) {
  if (!t) return;
  free(t->x);
  free(t->z);
  free(t->r);
  free(t);
}

tsr_tableau *tsr_tableau_clone(const tsr_tableau *t, tsr_error *err) {
  tsr_tableau *c = tsr_tableau_new(t->n, NULL, err);
  if (c) tsr_tableau_copy(c, t, NULL);
  return c;
}

tsr_status tsr_tableau_copy(tsr_tableau *dst, const tsr_tableau *src, tsr_error *err) {
  if (dst->n != src->n) {
    return tsr_error_set(err, TSR_ERR_VALUE, "cannot copy a %u-qubit tableau into a %u-qubit one",
                         src->n, dst->n);
  }
  const size_t cells = (size_t)src->n * src->words;
  memcpy(dst->x, src->x, cells * sizeof *dst->x);
  memcpy(dst->z, src->z, cells * sizeof *dst->z);
  memcpy(dst->r, src->r, src->words * sizeof *dst->r);
  return TSR_OK;
}

unsigned tsr_tableau_qubits(const tsr_tableau *t) {
  return t->n;
}

/* ------------------------------------------------------- primitive gates */

static void tab_h(tsr_tableau *t, uint32_t q) {
  uint64_t *x = XC(t, q), *z = ZC(t, q);
  for (uint64_t w = 0; w < W(t); w++) {
    const uint64_t xv = x[w], zv = z[w];
    t->r[w] ^= xv & zv;
    x[w] = zv;
    z[w] = xv;
  }
}

static void tab_s(tsr_tableau *t, uint32_t q) {
  uint64_t *x = XC(t, q), *z = ZC(t, q);
  for (uint64_t w = 0; w < W(t); w++) {
    t->r[w] ^= x[w] & z[w];
    z[w] ^= x[w];
  }
}

static void tab_sdg(tsr_tableau *t, uint32_t q) {
  uint64_t *x = XC(t, q), *z = ZC(t, q);
  for (uint64_t w = 0; w < W(t); w++) {
    t->r[w] ^= x[w] & ~z[w];
    z[w] ^= x[w];
  }
}

/* Pauli on q: X flips rows with z, Z rows with x, Y rows with x ^ z. */
static void tab_pauli(tsr_tableau *t, uint32_t q, int px, int pz) {
  const uint64_t *x = XC(t, q), *z = ZC(t, q);
  for (uint64_t w = 0; w < W(t); w++) {
    t->r[w] ^= (px ? z[w] : 0) ^ (pz ? x[w] : 0);
  }
}

static void tab_cx(tsr_tableau *t, uint32_t c, uint32_t g) {
  uint64_t *xc = XC(t, c), *zc = ZC(t, c), *xt = XC(t, g), *zt = ZC(t, g);
  for (uint64_t w = 0; w < W(t); w++) {
    t->r[w] ^= xc[w] & zt[w] & ~(xt[w] ^ zc[w]);
    xt[w] ^= xc[w];
    zc[w] ^= zt[w];
  }
}

static void tab_cz(tsr_tableau *t, uint32_t a, uint32_t b) {
  uint64_t *xa = XC(t, a), *za = ZC(t, a), *xb = XC(t, b), *zb = ZC(t, b);
  for (uint64_t w = 0; w < W(t); w++) {
    t->r[w] ^= xa[w] & xb[w] & (za[w] ^ zb[w]);
    za[w] ^= xb[w];
    zb[w] ^= xa[w];
  }
}

static void tab_swap(tsr_tableau *t, uint32_t a, uint32_t b) {
  uint64_t *xa = XC(t, a), *za = ZC(t, a), *xb = XC(t, b), *zb = ZC(t, b);
  for (uint64_t w = 0; w < W(t); w++) {
    uint64_t v = xa[w];
    xa[w] = xb[w];
    xb[w] = v;
    v = za[w];
    za[w] = zb[w];
    zb[w] = v;
  }
}

/* ------------------------------------------------ any Clifford by table */

/* Action of a k-qubit Clifford on the Pauli group: for input code
 * c = xbits | zbits << k, the image's x, z bits and sign. */
typedef struct cliff_table {
  unsigned k;
  uint8_t xo[64], zo[64], neg[64];
} cliff_table;

static void pauli_xz_matrix(unsigned xb, unsigned zb, unsigned k, double complex *out) {
  static const double complex p1[4][4] = {
      {1, 0, 0, 1}, {0, 1, 1, 0}, {1, 0, 0, -1}, {0, -I, I, 0}}; /* I, X, Z, Y by x + 2z */
  const size_t d = (size_t)1 << k;
  for (size_t r = 0; r < d; r++) {
    for (size_t c = 0; c < d; c++) {
      double complex v = 1;
      for (unsigned j = 0; j < k; j++) {
        const unsigned code = ((xb >> j) & 1) + 2 * ((zb >> j) & 1);
        v *= p1[code][((r >> j) & 1) * 2 + ((c >> j) & 1)];
      }
      out[r * d + c] = v;
    }
  }
}

static tsr_status build_table(const double complex *u, unsigned k, const char *name,
                              cliff_table *tab, tsr_error *err) {
  const size_t d = (size_t)1 << k, dd = d * d;
  const unsigned np = 1u << (2 * k);
  double complex p[64], m[64], tmp[64], q[64];
  tab->k = k;
  for (unsigned c = 0; c < np; c++) {
    const unsigned xb = c & ((1u << k) - 1), zb = c >> k;
    pauli_xz_matrix(xb, zb, k, p);
    /* m = U P U^dagger */
    for (size_t r = 0; r < d; r++) {
      for (size_t cc = 0; cc < d; cc++) {
        double complex s = 0;
        for (size_t t = 0; t < d; t++) s += u[r * d + t] * p[t * d + cc];
        tmp[r * d + cc] = s;
      }
    }
    for (size_t r = 0; r < d; r++) {
      for (size_t cc = 0; cc < d; cc++) {
        double complex s = 0;
        for (size_t t = 0; t < d; t++) s += tmp[r * d + t] * conj(u[cc * d + t]);
        m[r * d + cc] = s;
      }
    }
    int found = 0;
    for (unsigned o = 0; o < np && !found; o++) {
      pauli_xz_matrix(o & ((1u << k) - 1), o >> k, k, q);
      double complex coef = 0; /* Tr(Q m) / d */
      for (size_t r = 0; r < d; r++) {
        for (size_t cc = 0; cc < d; cc++) coef += q[r * d + cc] * m[cc * d + r];
      }
      coef /= (double)d;
      if (cabs(coef) < 0.5) continue;
      if (fabs(cimag(coef)) > 1e-9 || fabs(fabs(creal(coef)) - 1) > 1e-9) break;
      tab->xo[c] = (uint8_t)(o & ((1u << k) - 1));
      tab->zo[c] = (uint8_t)(o >> k);
      tab->neg[c] = creal(coef) < 0;
      found = 1;
    }
    if (!found) {
      return tsr_error_set(err, TSR_ERR_UNSUPPORTED,
                           "%s is not a Clifford operation: the stabilizer backend cannot "
                           "simulate it (use the state-vector backend)",
                           name);
    }
  }
  (void)dd;
  return TSR_OK;
}

static void apply_table(tsr_tableau *t, const cliff_table *tab, const uint32_t *qs) {
  const unsigned k = tab->k, np = 1u << (2 * k);
  for (uint64_t w = 0; w < W(t); w++) {
    uint64_t xs[3], zs[3], nx[3] = {0}, nz[3] = {0}, nr = 0;
    for (unsigned j = 0; j < k; j++) {
      xs[j] = XC(t, qs[j])[w];
      zs[j] = ZC(t, qs[j])[w];
    }
    for (unsigned c = 0; c < np; c++) {
      uint64_t m = ~UINT64_C(0);
      for (unsigned j = 0; j < k; j++) {
        m &= ((c >> j) & 1) ? xs[j] : ~xs[j];
        m &= ((c >> (k + j)) & 1) ? zs[j] : ~zs[j];
      }
      if (!m) continue;
      for (unsigned j = 0; j < k; j++) {
        if ((tab->xo[c] >> j) & 1) nx[j] |= m;
        if ((tab->zo[c] >> j) & 1) nz[j] |= m;
      }
      if (tab->neg[c]) nr |= m;
    }
    for (unsigned j = 0; j < k; j++) {
      XC(t, qs[j])[w] = nx[j];
      ZC(t, qs[j])[w] = nz[j];
    }
    t->r[w] ^= nr;
  }
}

tsr_status tsr_tableau_apply_matrix(tsr_tableau *t, const uint32_t *qubits, uint32_t k,
                                    const double complex *matrix, const char *name,
                                    tsr_error *err) {
  const char *what = name ? name : "matrix";
  if (k == 0 || k > 3) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "%s: the stabilizer backend applies matrices on 1 to 3 qubits, not %u",
                         what, k);
  }
  tsr_status st = sim_check_qubits(qubits, k, t->n, what, err);
  if (st != TSR_OK) return st;
  const double e = sim_unitarity_error(matrix, UINT64_C(1) << k);
  if (!(e <= 1e-8)) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "%s on %u qubit(s) is not unitary: max |U^dagger U - I| = %.3g", what, k,
                         e);
  }
  cliff_table tab;
  st = build_table(matrix, k, what, &tab, err);
  if (st == TSR_OK) apply_table(t, &tab, qubits);
  return st;
}

tsr_status tsr_tableau_apply_gate(tsr_tableau *t, tsr_gate kind, const uint32_t *qubits,
                                  uint32_t nqubits, const double *params, tsr_error *err) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  if (!info || kind == TSR_GATE_NONE) {
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown gate kind %d", (int)kind);
  }
  if (info->nqubits && info->nqubits != nqubits) {
    return tsr_error_set(err, TSR_ERR_VALUE, "gate %s takes %u qubits, not %u", info->name,
                         info->nqubits, nqubits);
  }
  tsr_status st = sim_check_qubits(qubits, nqubits, t->n, info->name, err);
  if (st != TSR_OK) return st;
  switch (kind) {
  case TSR_GATE_ID:
  case TSR_GATE_U0:
    return TSR_OK;
  case TSR_GATE_X:
    tab_pauli(t, qubits[0], 1, 0);
    return TSR_OK;
  case TSR_GATE_Y:
    tab_pauli(t, qubits[0], 1, 1);
    return TSR_OK;
  case TSR_GATE_Z:
    tab_pauli(t, qubits[0], 0, 1);
    return TSR_OK;
  case TSR_GATE_H:
    tab_h(t, qubits[0]);
    return TSR_OK;
  case TSR_GATE_S:
    tab_s(t, qubits[0]);
    return TSR_OK;
  case TSR_GATE_SDG:
    tab_sdg(t, qubits[0]);
    return TSR_OK;
  case TSR_GATE_SX: /* H S H */
    tab_h(t, qubits[0]);
    tab_s(t, qubits[0]);
    tab_h(t, qubits[0]);
    return TSR_OK;
  case TSR_GATE_SXDG:
    tab_h(t, qubits[0]);
    tab_sdg(t, qubits[0]);
    tab_h(t, qubits[0]);
    return TSR_OK;
  case TSR_GATE_CX:
    tab_cx(t, qubits[0], qubits[1]);
    return TSR_OK;
  case TSR_GATE_CZ:
    tab_cz(t, qubits[0], qubits[1]);
    return TSR_OK;
  case TSR_GATE_CY: /* Sdg_t CX S_t */
    tab_sdg(t, qubits[1]);
    tab_cx(t, qubits[0], qubits[1]);
    tab_s(t, qubits[1]);
    return TSR_OK;
  case TSR_GATE_SWAP:
    tab_swap(t, qubits[0], qubits[1]);
    return TSR_OK;
  case TSR_GATE_GR:
    for (uint32_t i = 0; i < nqubits; i++) {
      st = tsr_tableau_apply_gate(t, TSR_GATE_R, qubits + i, 1, params, err);
      if (st != TSR_OK) return st;
    }
    return TSR_OK;
  default:
    break;
  }
  if (kind == TSR_GATE_OPAQUE || !(info->flags & TSR_GF_UNITARY)) {
    return tsr_error_set(err, TSR_ERR_UNSUPPORTED, "'%s' cannot be applied as a gate", info->name);
  }
  if (!tsr_gate_is_clifford(kind, params) || nqubits > 3) {
    return tsr_error_set(err, TSR_ERR_UNSUPPORTED,
                         "gate %s is not a Clifford gate: the stabilizer backend cannot simulate "
                         "it (use the state-vector backend)",
                         info->name);
  }
  double complex m[64];
  st = sim_gate_matrix(kind, qubits, nqubits, params, t->n, m, err);
  if (st != TSR_OK) return st;
  cliff_table tab;
  st = build_table(m, nqubits, info->name, &tab, err);
  if (st == TSR_OK) apply_table(t, &tab, qubits);
  return st;
}

tsr_status tsr_tableau_apply_pauli(tsr_tableau *t, uint32_t qubit, char pauli, tsr_error *err) {
  tsr_status st = sim_check_qubits(&qubit, 1, t->n, "pauli", err);
  if (st != TSR_OK) return st;
  switch (pauli) {
  case 'I':
    return TSR_OK;
  case 'X':
    tab_pauli(t, qubit, 1, 0);
    return TSR_OK;
  case 'Y':
    tab_pauli(t, qubit, 1, 1);
    return TSR_OK;
  case 'Z':
    tab_pauli(t, qubit, 0, 1);
    return TSR_OK;
  default:
    return tsr_error_set(err, TSR_ERR_VALUE, "'%c' is not a Pauli (I, X, Y, Z)", pauli);
  }
}

tsr_status tsr_tableau_apply_channel(tsr_tableau *t, const tsr_channel *ch, const uint32_t *qubits,
                                     tsr_rng *rng, tsr_error *err) {
  tsr_status st = sim_check_qubits(qubits, ch->k, t->n, ch->name, err);
  if (st != TSR_OK) return st;
  if (!ch->pauli) {
    return tsr_error_set(err, TSR_ERR_UNSUPPORTED,
                         "channel '%s' is not a Pauli channel: the stabilizer backend cannot "
                         "apply it (use the state-vector or density-matrix backend)",
                         ch->name);
  }
  const unsigned np = 1u << (2 * ch->k);
  double u = tsr_rng_uniform(rng), cum = 0;
  unsigned a = 0;
  for (unsigned c = 0; c < np; c++) {
    if (ch->probs[c] <= 0) continue;
    a = c;
    cum += ch->probs[c];
    if (u < cum) break;
  }
  for (unsigned j = 0; j < ch->k; j++) {
    const unsigned code = (a >> (2 * j)) & 3; /* 0 I, 1 X, 2 Y, 3 Z */
    if (code) tab_pauli(t, qubits[j], code == 1 || code == 2, code == 2 || code == 3);
  }
  return TSR_OK;
}

/* ------------------------------------------------------------ measurement */

/* The product of the rows selected by sel (a row mask): returns the
 * exponent e (mod 4) such that product = i^e P(X, Z), writing X and Z
 * (n bits each, ceil(n/64) words) when xo, zo are non-NULL. */
static unsigned row_product(const tsr_tableau *t, const uint64_t *sel, uint64_t *xo, uint64_t *zo) {
  const unsigned n = t->n;
  unsigned e2 = 0;    /* sum r + sum_{a<b} z_a x_b (mod 2), counted in units of 2 */
  unsigned diag = 0;  /* sum |x_m ^ z_m| (mod 4) */
  unsigned final = 0; /* |X ^ Z| (mod 4) */
  for (uint64_t w = 0; w < W(t); w++) e2 += (unsigned)__builtin_popcountll(t->r[w] & sel[w]);
  if (xo) memset(xo, 0, ((n + 63) / 64) * sizeof *xo);
  if (zo) memset(zo, 0, ((n + 63) / 64) * sizeof *zo);
  for (unsigned j = 0; j < n; j++) {
    const uint64_t *x = XC(t, j), *z = ZC(t, j);
    unsigned carry = 0, pairs = 0, xs = 0, zs = 0;
    for (uint64_t w = 0; w < W(t); w++) {
      const uint64_t xx = x[w] & sel[w], zz = z[w] & sel[w];
      if (!(xx | zz)) continue;
      diag += (unsigned)__builtin_popcountll(xx & zz);
      uint64_t p = zz; /* inclusive prefix parity of zz */
      p ^= p << 1;
      p ^= p << 2;
      p ^= p << 4;
      p ^= p << 8;
      p ^= p << 16;
      p ^= p << 32;
      uint64_t before = p << 1; /* parity of z bits strictly below */
      if (carry) before = ~before;
      pairs += (unsigned)__builtin_popcountll(xx & before);
      carry ^= (unsigned)__builtin_popcountll(zz) & 1;
      xs ^= (unsigned)__builtin_popcountll(xx) & 1;
      zs ^= (unsigned)__builtin_popcountll(zz) & 1;
    }
    e2 += pairs;
    if (xs && zs) final++;
    if (xo && xs) xo[j / 64] |= UINT64_C(1) << (j % 64);
    if (zo && zs) zo[j / 64] |= UINT64_C(1) << (j % 64);
  }
  return (2 * (e2 & 1) + diag + 4 - (final & 3)) & 3;
}

tsr_status tsr_tableau_measure(tsr_tableau *t, uint32_t a, tsr_rng *rng, int *outcome,
                               int *deterministic, tsr_error *err) {
  tsr_status st = sim_check_qubits(&a, 1, t->n, "measure", err);
  if (st != TSR_OK) return st;
  const unsigned n = t->n;
  const double u = tsr_rng_uniform(rng);
  const uint64_t *xa = XC(t, a);
  /* first stabilizer row with x_a = 1 */
  uint64_t p = UINT64_MAX;
  for (uint64_t w = n / 64; w < W(t) && p == UINT64_MAX; w++) {
    uint64_t v = xa[w];
    if (w == n / 64) v &= ~UINT64_C(0) << (n % 64);
    if (v) p = w * 64 + (uint64_t)__builtin_ctzll(v);
  }
  if (p != UINT64_MAX && p < 2 * (uint64_t)n) {
    /* random outcome */
    const int o = u < 0.5;
    uint64_t *sel = tsr_malloc(W(t) * sizeof *sel, err);
    uint64_t *lo = tsr_calloc(W(t), sizeof *lo, err);
    uint64_t *hi = tsr_calloc(W(t), sizeof *hi, err);
    if (!sel || !lo || !hi) {
      free(sel);
      free(lo);
      free(hi);
      return err ? err->status : TSR_ERR_NOMEM;
    }
    memcpy(sel, xa, W(t) * sizeof *sel);
    setbit(sel, p, 0);
    const int rp = getbit(t->r, p);
    for (unsigned j = 0; j < n; j++) {
      uint64_t *x = XC(t, j), *z = ZC(t, j);
      const int xp = getbit(x, p), zp = getbit(z, p);
      if (!xp && !zp) continue;
      const uint64_t bx = xp ? ~UINT64_C(0) : 0, bz = zp ? ~UINT64_C(0) : 0;
      for (uint64_t w = 0; w < W(t); w++) {
        const uint64_t m = sel[w];
        if (!m) continue;
        const uint64_t x2 = x[w], z2 = z[w];
        uint64_t plus, minus;
        if (xp && zp) { /* Y: z2 - x2 */
          plus = z2 & ~x2;
          minus = x2 & ~z2;
        } else if (xp) { /* X: z2 (2 x2 - 1) */
          plus = z2 & x2;
          minus = z2 & ~x2;
        } else { /* Z: x2 (1 - 2 z2) */
          plus = x2 & ~z2;
          minus = x2 & z2;
        }
        plus &= m;
        minus &= m;
        uint64_t c = lo[w] & plus; /* += 1 */
        lo[w] ^= plus;
        hi[w] ^= c;
        c = ~lo[w] & minus; /* -= 1 */
        lo[w] ^= minus;
        hi[w] ^= c;
        x[w] = x2 ^ (m & bx);
        z[w] = z2 ^ (m & bz);
      }
    }
    for (uint64_t w = 0; w < W(t); w++) t->r[w] ^= sel[w] & (hi[w] ^ (rp ? ~UINT64_C(0) : 0));
    free(sel);
    free(lo);
    free(hi);
    /* destabilizer p-n := row p; row p := (-1)^o Z_a */
    const uint64_t dp = p - n;
    for (unsigned j = 0; j < n; j++) {
      uint64_t *x = XC(t, j), *z = ZC(t, j);
      setbit(x, dp, getbit(x, p));
      setbit(z, dp, getbit(z, p));
      setbit(x, p, 0);
      setbit(z, p, j == a);
    }
    setbit(t->r, dp, getbit(t->r, p));
    setbit(t->r, p, o);
    if (outcome) *outcome = o;
    if (deterministic) *deterministic = 0;
    return TSR_OK;
  }
  /* deterministic: sign of the product of stabilizers n+i with x_ia = 1 */
  uint64_t *sel = tsr_calloc(W(t), sizeof *sel, err);
  if (!sel) return err ? err->status : TSR_ERR_NOMEM;
  for (unsigned i = 0; i < n; i++) {
    if (getbit(xa, i)) setbit(sel, (uint64_t)n + i, 1);
  }
  const unsigned e = row_product(t, sel, NULL, NULL);
  free(sel);
  if (outcome) *outcome = e == 2;
  if (deterministic) *deterministic = 1;
  return TSR_OK;
}

int sim_tableau_outcome_fixed(const tsr_tableau *t, uint32_t a) {
  const uint64_t *xa = XC(t, a);
  for (uint64_t w = t->n / 64; w < W(t); w++) {
    uint64_t v = xa[w];
    if (w == t->n / 64) v &= ~UINT64_C(0) << (t->n % 64);
    if (v) return 0;
  }
  return 1;
}

tsr_status tsr_tableau_reset(tsr_tableau *t, uint32_t qubit, tsr_rng *rng, tsr_error *err) {
  int o = 0;
  tsr_status st = tsr_tableau_measure(t, qubit, rng, &o, NULL, err);
  if (st == TSR_OK && o) tab_pauli(t, qubit, 1, 0);
  return st;
}

tsr_status tsr_tableau_expectation(const tsr_tableau *t, const char *pauli, double *out,
                                   tsr_error *err) {
  const unsigned n = t->n;
  const size_t qw = (n + 63) / 64;
  uint64_t *px = tsr_calloc(qw, sizeof *px, err), *pz = tsr_calloc(qw, sizeof *pz, err);
  uint64_t *acc = tsr_calloc(W(t), sizeof *acc, err);
  uint64_t *gx = tsr_calloc(qw, sizeof *gx, err), *gz = tsr_calloc(qw, sizeof *gz, err);
  tsr_status st = TSR_OK;
  int sign = 1;
  if (!px || !pz || !acc || !gx || !gz) {
    st = err ? err->status : TSR_ERR_NOMEM;
    goto done;
  }
  st = sim_parse_pauli_words(pauli, n, px, pz, &sign, err);
  if (st != TSR_OK) goto done;
  /* acc bit i: row i anticommutes with P */
  for (unsigned j = 0; j < n; j++) {
    const int xj = getbit(px, j), zj = getbit(pz, j);
    if (!xj && !zj) continue;
    const uint64_t *x = XC(t, j), *z = ZC(t, j);
    for (uint64_t w = 0; w < W(t); w++) acc[w] ^= (zj ? x[w] : 0) ^ (xj ? z[w] : 0);
  }
  for (uint64_t i = n; i < 2 * (uint64_t)n; i++) {
    if (getbit(acc, i)) {
      *out = 0;
      goto done;
    }
  }
  /* P = +- product of stabilizers n+i for destabilizers i anticommuting */
  uint64_t *sel = acc; /* reuse: move destabilizer bits to stabilizer rows */
  uint64_t *tmp = tsr_calloc(W(t), sizeof *tmp, err);
  if (!tmp) {
    st = err ? err->status : TSR_ERR_NOMEM;
    goto done;
  }
  for (uint64_t i = 0; i < n; i++) {
    if (getbit(sel, i)) setbit(tmp, n + i, 1);
  }
  const unsigned e = row_product(t, tmp, gx, gz);
  free(tmp);
  for (size_t w = 0; w < qw; w++) {
    if (gx[w] != px[w] || gz[w] != pz[w]) {
      st = tsr_error_set(err, TSR_ERR_INTERNAL, "tableau expectation: inconsistent stabilizers");
      goto done;
    }
  }
  *out = (e == 2 ? -1.0 : 1.0) * sign;
done:
  free(px);
  free(pz);
  free(acc);
  free(gx);
  free(gz);
  return st;
}

/* ---------------------------------------------------------------- sampling */

tsr_status tsr_tableau_sample(const tsr_tableau *t, uint64_t shots, uint64_t seed,
                              uint64_t first_stream, uint64_t *out, tsr_error *err) {
  const unsigned n = t->n;
  const size_t qw = (n + 63) / 64;
  if (shots == 0) return TSR_OK;
  /* one outcome x0 from a copy */
  tsr_tableau *c = tsr_tableau_clone(t, err);
  uint64_t *x0 = tsr_calloc(qw, sizeof *x0, err);
  uint64_t *basis = tsr_calloc((size_t)n * qw, sizeof *basis, err);
  tsr_status st = TSR_OK;
  if (!c || !x0 || !basis) {
    st = err ? err->status : TSR_ERR_NOMEM;
    goto done;
  }
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, UINT64_MAX);
  for (unsigned q = 0; q < n && st == TSR_OK; q++) {
    int o = 0;
    st = tsr_tableau_measure(c, q, &rng, &o, NULL, err);
    if (o) x0[q / 64] |= UINT64_C(1) << (q % 64);
  }
  if (st != TSR_OK) goto done;
  /* rows = x parts of the stabilizers, reduced to a basis over GF(2) */
  for (unsigned s = 0; s < n; s++) {
    for (unsigned q = 0; q < n; q++) {
      if (getbit(XC(t, q), (uint64_t)n + s))
        basis[(size_t)s * qw + q / 64] |= UINT64_C(1) << (q % 64);
    }
  }
  size_t rank = 0;
  for (unsigned q = 0; q < n && rank < n; q++) {
    size_t piv = SIZE_MAX;
    for (size_t r = rank; r < n; r++) {
      if (getbit(basis + r * qw, q)) {
        piv = r;
        break;
      }
    }
    if (piv == SIZE_MAX) continue;
    if (piv != rank) {
      for (size_t w = 0; w < qw; w++) {
        uint64_t v = basis[piv * qw + w];
        basis[piv * qw + w] = basis[rank * qw + w];
        basis[rank * qw + w] = v;
      }
    }
    for (size_t r = 0; r < n; r++) {
      if (r != rank && getbit(basis + r * qw, q)) {
        for (size_t w = 0; w < qw; w++) basis[r * qw + w] ^= basis[rank * qw + w];
      }
    }
    rank++;
  }
#pragma omp parallel for schedule(static) if (shots * (rank + 1) * qw >= (1u << 20))
  for (uint64_t s = 0; s < shots; s++) {
    tsr_rng r;
    tsr_rng_seed(&r, seed, first_stream + s);
    uint64_t *o = out + s * qw;
    memcpy(o, x0, qw * sizeof *o);
    uint64_t bits = 0;
    for (size_t b = 0; b < rank; b++) {
      if (b % 64 == 0) bits = tsr_rng_u64(&r);
      if ((bits >> (b % 64)) & 1) {
        for (size_t w = 0; w < qw; w++) o[w] ^= basis[b * qw + w];
      }
    }
  }
done:
  tsr_tableau_free(c);
  free(x0);
  free(basis);
  return st;
}

tsr_statevec *tsr_tableau_to_statevec(const tsr_tableau *t, tsr_error *err) {
  const unsigned n = t->n;
  if (n > 30) {
    tsr_error_set(err, TSR_ERR_LIMIT, "a tableau of %u qubits is too large for a state vector", n);
    return NULL;
  }
  uint64_t x0 = 0;
  if (tsr_tableau_sample(t, 1, 0, 0, &x0, err) != TSR_OK) return NULL;
  tsr_statevec *sv = tsr_statevec_new(n, NULL, err);
  if (!sv) return NULL;
  tsr_statevec *tmp = tsr_statevec_new(n, NULL, err);
  if (!tmp) {
    tsr_statevec_free(sv);
    return NULL;
  }
  tsr_statevec_set_basis(sv, x0, NULL);
  double complex *a = tsr_statevec_data(sv), *b = tsr_statevec_data(tmp);
  const uint64_t dim = UINT64_C(1) << n;
  static const double complex ipow[4] = {1, I, -1, -I};
  for (unsigned s = 0; s < n; s++) {
    /* a <- (a + S a) / 2 with S = (-1)^r i^{ny} X^x Z^z */
    uint64_t xm = 0, zm = 0;
    const uint64_t row = (uint64_t)n + s;
    for (unsigned q = 0; q < n; q++) {
      if (getbit(XC(t, q), row)) xm |= UINT64_C(1) << q;
      if (getbit(ZC(t, q), row)) zm |= UINT64_C(1) << q;
    }
    double complex ph = ipow[__builtin_popcountll(xm & zm) & 3];
    if (getbit(t->r, row)) ph = -ph;
    for (uint64_t i = 0; i < dim; i++) {
      const double complex v = (__builtin_popcountll(i & zm) & 1) ? -a[i] : a[i];
      b[i ^ xm] = ph * v;
    }
    for (uint64_t i = 0; i < dim; i++) a[i] = 0.5 * (a[i] + b[i]);
  }
  tsr_statevec_free(tmp);
  double norm = 0;
  double complex first = 0;
  for (uint64_t i = 0; i < dim; i++) {
    norm += creal(a[i]) * creal(a[i]) + cimag(a[i]) * cimag(a[i]);
    if (first == 0 && cabs(a[i]) > 1e-12) first = a[i];
  }
  if (!(norm > 0)) {
    tsr_statevec_free(sv);
    tsr_error_set(err, TSR_ERR_INTERNAL, "tableau projection vanished");
    return NULL;
  }
  const double complex fix = conj(first) / cabs(first) / sqrt(norm);
  for (uint64_t i = 0; i < dim; i++) a[i] *= fix;
  return sv;
}
