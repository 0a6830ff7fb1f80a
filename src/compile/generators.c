/* Seeded benchmark circuit generators (the circuit classes of the pytket-dqc
 * experiments, QFT, GHZ, quantum volume) and Haar-random unitaries. */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

tsr_status tsr_random_unitary(tsr_rng *rng, unsigned dim, double complex *out, tsr_error *err) {
  if (!rng || !out || (dim != 2 && dim != 4)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "tsr_random_unitary: dimension must be 2 or 4");
  }
  cplx a[16];
  for (unsigned i = 0; i < dim * dim; i++) {
    a[i] = (tsr_rng_normal(rng) + I * tsr_rng_normal(rng)) * 0.70710678118654752440;
  }
  /* modified Gram-Schmidt on the columns: R has a positive real diagonal,
     so Q is Haar distributed (Mezzadri 2007) */
  for (unsigned j = 0; j < dim; j++) {
    for (unsigned k = 0; k < j; k++) {
      cplx dot = 0;
      for (unsigned i = 0; i < dim; i++) dot += conj(a[i * dim + k]) * a[i * dim + j];
      for (unsigned i = 0; i < dim; i++) a[i * dim + j] -= dot * a[i * dim + k];
    }
    double norm = 0;
    for (unsigned i = 0; i < dim; i++) norm += creal(a[i * dim + j] * conj(a[i * dim + j]));
    norm = sqrt(norm);
    if (norm < 1e-300) return tsr_error_set(err, TSR_ERR_INTERNAL, "degenerate random matrix");
    for (unsigned i = 0; i < dim; i++) a[i * dim + j] /= norm;
  }
  memcpy(out, a, dim * dim * sizeof *a);
  return TSR_OK;
}

static tsr_status new_circuit(uint32_t n, tsr_circuit **out, tsr_error *err) {
  *out = NULL;
  if (n == 0) return tsr_error_set(err, TSR_ERR_VALUE, "a circuit needs at least one qubit");
  tsr_circuit *c = tsr_circuit_new(err);
  if (!c) return TSR_ERR_NOMEM;
  tsr_status st = tsr_circuit_add_qreg(c, "q", n, NULL, err);
  if (st != TSR_OK) {
    tsr_circuit_free(c);
    return st;
  }
  *out = c;
  return TSR_OK;
}

static tsr_status g1(tsr_circuit *c, tsr_gate k, uint32_t q, const double *p, uint32_t np,
                     tsr_error *err) {
  return tsr_circuit_append_gate(c, k, &q, 1, p, np, err);
}
static tsr_status g2(tsr_circuit *c, tsr_gate k, uint32_t a, uint32_t b, const double *p,
                     uint32_t np, tsr_error *err) {
  uint32_t q[2] = {a, b};
  return tsr_circuit_append_gate(c, k, q, 2, p, np, err);
}

static void shuffle(uint32_t *v, uint32_t n, tsr_rng *rng) {
  for (uint32_t i = n; i > 1; i--) {
    uint32_t j = (uint32_t)tsr_rng_below(rng, i);
    uint32_t t = v[i - 1];
    v[i - 1] = v[j];
    v[j] = t;
  }
}

static double random_angle(tsr_rng *rng) {
  return 2 * M_PI * tsr_rng_uniform(rng);
}

/* Shared body of cz_fraction / cp_fraction. */
static tsr_status fraction_circuit(uint32_t n, double p, uint64_t seed, int phases,
                                   tsr_circuit **out, tsr_error *err) {
  if (!(p >= 0 && p <= 1)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "fraction %g is outside [0, 1]", p);
  }
  tsr_circuit *c;
  tsr_status st = new_circuit(n, &c, err);
  if (st != TSR_OK) return st;
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, phases ? 2 : 1);
  uint32_t *pool = malloc(n * sizeof *pool);
  if (!pool) {
    tsr_circuit_free(c);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  }
  for (uint32_t layer = 0; layer < n && st == TSR_OK; layer++) {
    uint32_t np = 0;
    for (uint32_t q = 0; q < n && st == TSR_OK; q++) {
      if (tsr_rng_uniform(&rng) < 1 - p) {
        if (phases) {
          double a[3] = {random_angle(&rng), random_angle(&rng), random_angle(&rng)};
          st = g1(c, TSR_GATE_U3, q, a, 3, err);
        } else {
          st = g1(c, TSR_GATE_H, q, NULL, 0, err);
        }
      } else {
        pool[np++] = q;
      }
    }
    shuffle(pool, np, &rng);
    for (uint32_t i = 0; i + 1 < np && st == TSR_OK; i += 2) {
      if (phases) {
        double a = random_angle(&rng);
        st = g2(c, TSR_GATE_CP, pool[i], pool[i + 1], &a, 1, err);
      } else {
        st = g2(c, TSR_GATE_CZ, pool[i], pool[i + 1], NULL, 0, err);
      }
    }
  }
  free(pool);
  if (st != TSR_OK) {
    tsr_circuit_free(c);
    return st;
  }
  *out = c;
  return TSR_OK;
}

tsr_status tsr_gen_cz_fraction(uint32_t n, double p, uint64_t seed, tsr_circuit **out,
                               tsr_error *err) {
  return fraction_circuit(n, p, seed, 0, out, err);
}

tsr_status tsr_gen_cp_fraction(uint32_t n, double p, uint64_t seed, tsr_circuit **out,
                               tsr_error *err) {
  return fraction_circuit(n, p, seed, 1, out, err);
}

tsr_status tsr_gen_pauli(uint32_t n, uint32_t gadgets, uint64_t seed, tsr_circuit **out,
                         tsr_error *err) {
  if (n < 2) return tsr_error_set(err, TSR_ERR_VALUE, "pauli circuits need at least 2 qubits");
  tsr_circuit *c;
  tsr_status st = new_circuit(n, &c, err);
  if (st != TSR_OK) return st;
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, 3);
  /* weights uniform in 2..min(n, 4): mean ladder 2 (w - 1) = 4 two-qubit gates */
  uint32_t wmax = n < 4 ? n : 4;
  if (gadgets == 0) gadgets = (uint32_t)ceil(1.1 * n * n / (2.0 * ((2.0 + wmax) / 2 - 1)));
  uint32_t *perm = malloc(n * sizeof *perm);
  uint8_t *letter = malloc(n);
  if (!perm || !letter) {
    free(perm);
    free(letter);
    tsr_circuit_free(c);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  }
  for (uint32_t gi = 0; gi < gadgets && st == TSR_OK; gi++) {
    for (uint32_t q = 0; q < n; q++) perm[q] = q;
    shuffle(perm, n, &rng);
    uint32_t w = 2 + (uint32_t)tsr_rng_below(&rng, wmax - 1);
    for (uint32_t i = 0; i < w; i++) letter[i] = (uint8_t)tsr_rng_below(&rng, 3); /* X Y Z */
    double t = random_angle(&rng);
    double half = M_PI / 2, mhalf = -M_PI / 2;
    /* basis change into Z */
    for (uint32_t i = 0; i < w && st == TSR_OK; i++) {
      if (letter[i] == 0) st = g1(c, TSR_GATE_H, perm[i], NULL, 0, err);
      if (letter[i] == 1) st = g1(c, TSR_GATE_RX, perm[i], &half, 1, err);
    }
    for (uint32_t i = 0; i + 1 < w && st == TSR_OK; i++) {
      st = g2(c, TSR_GATE_CX, perm[i], perm[i + 1], NULL, 0, err);
    }
    if (st == TSR_OK) st = g1(c, TSR_GATE_RZ, perm[w - 1], &t, 1, err);
    for (uint32_t i = w - 1; i-- > 0 && st == TSR_OK;) {
      st = g2(c, TSR_GATE_CX, perm[i], perm[i + 1], NULL, 0, err);
    }
    for (uint32_t i = 0; i < w && st == TSR_OK; i++) {
      if (letter[i] == 0) st = g1(c, TSR_GATE_H, perm[i], NULL, 0, err);
      if (letter[i] == 1) st = g1(c, TSR_GATE_RX, perm[i], &mhalf, 1, err);
    }
  }
  free(perm);
  free(letter);
  if (st != TSR_OK) {
    tsr_circuit_free(c);
    return st;
  }
  *out = c;
  return TSR_OK;
}

/* h rz on one qubit with a random angle */
static tsr_status h_rz(tsr_circuit *c, uint32_t q, tsr_rng *rng, tsr_error *err) {
  double a = random_angle(rng);
  tsr_status st = g1(c, TSR_GATE_H, q, NULL, 0, err);
  return st == TSR_OK ? g1(c, TSR_GATE_RZ, q, &a, 1, err) : st;
}

tsr_status tsr_gen_random_crz(uint32_t n, uint64_t seed, tsr_circuit **out, tsr_error *err) {
  if (n < 2) return tsr_error_set(err, TSR_ERR_VALUE, "random_crz needs at least 2 qubits");
  tsr_circuit *c;
  tsr_status st = new_circuit(n, &c, err);
  if (st != TSR_OK) return st;
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, 4);
  size_t npairs = (size_t)n * (n - 1) / 2;
  uint32_t(*pairs)[2] = malloc(npairs * sizeof *pairs);
  uint8_t *used = malloc(npairs);
  uint8_t *busy = malloc(n);
  uint32_t(*layer)[2] = malloc((n / 2 + 1) * sizeof *layer);
  if (!pairs || !used || !busy || !layer) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto done;
  }
  size_t k = 0;
  for (uint32_t a = 0; a < n; a++)
    for (uint32_t b = a + 1; b < n; b++) {
      pairs[k][0] = a;
      pairs[k][1] = b;
      k++;
    }
  for (size_t i = npairs; i > 1; i--) {
    size_t j = (size_t)tsr_rng_below(&rng, i);
    uint32_t t0 = pairs[i - 1][0], t1 = pairs[i - 1][1];
    pairs[i - 1][0] = pairs[j][0];
    pairs[i - 1][1] = pairs[j][1];
    pairs[j][0] = t0;
    pairs[j][1] = t1;
  }
  memset(used, 0, npairs);
  /* random single-qubit layer: rz h rz h rz */
  for (uint32_t q = 0; q < n && st == TSR_OK; q++) {
    double a = random_angle(&rng);
    st = g1(c, TSR_GATE_RZ, q, &a, 1, err);
    if (st == TSR_OK) st = h_rz(c, q, &rng, err);
    if (st == TSR_OK) st = h_rz(c, q, &rng, err);
  }
  size_t left = npairs;
  while (left > 0 && st == TSR_OK) {
    /* greedy matching of the remaining pairs in their random order */
    memset(busy, 0, n);
    uint32_t nl = 0;
    for (size_t i = 0; i < npairs; i++) {
      if (used[i] || busy[pairs[i][0]] || busy[pairs[i][1]]) continue;
      used[i] = 1;
      busy[pairs[i][0]] = busy[pairs[i][1]] = 1;
      layer[nl][0] = pairs[i][0];
      layer[nl][1] = pairs[i][1];
      nl++;
      left--;
    }
    for (int r = 0; r < 3 && st == TSR_OK; r++) {
      for (uint32_t i = 0; i < nl && st == TSR_OK; i++) {
        double a = random_angle(&rng) - M_PI;
        st = g2(c, TSR_GATE_CU1, layer[i][0], layer[i][1], &a, 1, err);
      }
      for (uint32_t i = 0; i < nl && st == TSR_OK; i++) {
        st = h_rz(c, layer[i][0], &rng, err);
        if (st == TSR_OK) st = h_rz(c, layer[i][1], &rng, err);
        if (r == 2 && st == TSR_OK) st = h_rz(c, layer[i][0], &rng, err);
        if (r == 2 && st == TSR_OK) st = h_rz(c, layer[i][1], &rng, err);
      }
    }
  }
done:
  free(pairs);
  free(used);
  free(busy);
  free(layer);
  if (st != TSR_OK) {
    tsr_circuit_free(c);
    return st;
  }
  *out = c;
  return TSR_OK;
}

tsr_status tsr_gen_qft(uint32_t n, tsr_circuit **out, tsr_error *err) {
  tsr_circuit *c;
  tsr_status st = new_circuit(n, &c, err);
  if (st != TSR_OK) return st;
  for (uint32_t i = 0; i < n && st == TSR_OK; i++) {
    st = g1(c, TSR_GATE_H, i, NULL, 0, err);
    for (uint32_t j = i + 1; j < n && st == TSR_OK; j++) {
      double a = M_PI / ldexp(1.0, (int)(j - i));
      st = g2(c, TSR_GATE_CP, j, i, &a, 1, err);
    }
  }
  if (st != TSR_OK) {
    tsr_circuit_free(c);
    return st;
  }
  *out = c;
  return TSR_OK;
}

tsr_status tsr_gen_ghz(uint32_t n, tsr_circuit **out, tsr_error *err) {
  tsr_circuit *c;
  tsr_status st = new_circuit(n, &c, err);
  if (st != TSR_OK) return st;
  st = g1(c, TSR_GATE_H, 0, NULL, 0, err);
  for (uint32_t i = 0; i + 1 < n && st == TSR_OK; i++) {
    st = g2(c, TSR_GATE_CX, i, i + 1, NULL, 0, err);
  }
  if (st != TSR_OK) {
    tsr_circuit_free(c);
    return st;
  }
  *out = c;
  return TSR_OK;
}

tsr_status tsr_gen_qv(uint32_t n, uint64_t seed, tsr_circuit **out, tsr_error *err) {
  if (n < 2) return tsr_error_set(err, TSR_ERR_VALUE, "quantum volume needs at least 2 qubits");
  tsr_circuit *c;
  tsr_status st = new_circuit(n, &c, err);
  if (st != TSR_OK) return st;
  tsr_rng rng;
  tsr_rng_seed(&rng, seed, 5);
  uint32_t *perm = malloc(n * sizeof *perm);
  if (!perm) {
    tsr_circuit_free(c);
    return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  }
  for (uint32_t layer = 0; layer < n && st == TSR_OK; layer++) {
    for (uint32_t q = 0; q < n; q++) perm[q] = q;
    shuffle(perm, n, &rng);
    for (uint32_t i = 0; i + 1 < n && st == TSR_OK; i += 2) {
      cplx u[16];
      tsr_synth_seq seq;
      st = tsr_random_unitary(&rng, 4, u, err);
      if (st == TSR_OK) st = tsr_synth_2q(u, TSR_ENT_CX, TSR_BASIS_1Q_U3, &seq, err);
      uint32_t map[2] = {perm[i], perm[i + 1]};
      if (st == TSR_OK) st = tsr__append_seq(c, &seq, map, NULL, NULL, err);
    }
  }
  free(perm);
  if (st != TSR_OK) {
    tsr_circuit_free(c);
    return st;
  }
  *out = c;
  return TSR_OK;
}
