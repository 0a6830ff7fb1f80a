/* The density-matrix backend. rho is stored column-major as a state vector
 * of 2n "qubits" (rho(r, c) at r + c 2^n), so the state-vector kernels do
 * the work: a gate U on qubit q is U on q and conj(U) on q + n (one pass of
 * the 2-qubit superoperator U (x) conj(U) for a dense 1-qubit gate), and a
 * channel with Kraus operators K_i on qubits Q is its superoperator
 * S = sum_i K_i (x) conj(K_i) on Q and Q + n, one pass. Noise is exact. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

uint64_t tsr_densmat_bytes(unsigned nqubits) {
  if (nqubits >= 30) return UINT64_MAX;
  return tsr_statevec_bytes(2 * nqubits, TSR_PRECISION_DOUBLE);
}

static tsr_densmat *dm_alloc(unsigned n, const tsr_state_options *opts, tsr_error *err) {
  if (n >= 30) {
    tsr_error_set(err, TSR_ERR_LIMIT,
                  "a density matrix of %u qubits needs 16 * 4^%u bytes: it cannot be simulated", n,
                  n);
    return NULL;
  }
  tsr_state_options o = {0};
  if (opts) o = *opts;
  o.precision = TSR_PRECISION_DOUBLE;
  tsr_densmat *dm = tsr_calloc(1, sizeof *dm, err);
  if (!dm) return NULL;
  if (sim_sv_alloc(&dm->vec, 2 * n, &o, "density matrix", n, err) != TSR_OK) {
    free(dm);
    return NULL;
  }
  dm->n = n;
  return dm;
}

tsr_densmat *tsr_densmat_new(unsigned nqubits, const tsr_state_options *opts, tsr_error *err) {
  tsr_densmat *dm = dm_alloc(nqubits, opts, err);
  if (dm) ((double *)dm->vec.amps)[0] = 1.0;
  return dm;
}

void tsr_densmat_free(tsr_densmat *dm) {
  if (!dm) return;
  tsr_aligned_free(dm->vec.amps);
  free(dm);
}

tsr_densmat *tsr_densmat_clone(const tsr_densmat *dm, tsr_error *err) {
  tsr_state_options o = {TSR_PRECISION_DOUBLE, dm->vec.threads, 0};
  tsr_densmat *c = dm_alloc(dm->n, &o, err);
  if (c && tsr_densmat_copy(c, dm, err) != TSR_OK) {
    tsr_densmat_free(c);
    return NULL;
  }
  return c;
}

tsr_status tsr_densmat_copy(tsr_densmat *dst, const tsr_densmat *src, tsr_error *err) {
  if (dst->n != src->n) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "cannot copy a %u-qubit density matrix into a %u-qubit one", src->n,
                         dst->n);
  }
  return tsr_statevec_copy(&dst->vec, &src->vec, err);
}

tsr_densmat *tsr_densmat_from_statevec(const tsr_statevec *sv, const tsr_state_options *opts,
                                       tsr_error *err) {
  tsr_densmat *dm = dm_alloc(sv->n, opts, err);
  if (!dm) return NULL;
  const uint64_t d = sv->dim;
  double complex *rho = dm->vec.amps;
  for (uint64_t c = 0; c < d; c++) {
    const double complex ac = conj(tsr_statevec_amplitude(sv, c));
    for (uint64_t r = 0; r < d; r++) rho[r + c * d] = tsr_statevec_amplitude(sv, r) * ac;
  }
  return dm;
}

unsigned tsr_densmat_qubits(const tsr_densmat *dm) {
  return dm->n;
}
void tsr_densmat_set_threads(tsr_densmat *dm, int threads) {
  dm->vec.threads = threads > 0 ? threads : 0;
}
double complex *tsr_densmat_data(tsr_densmat *dm) {
  return dm->vec.amps;
}
const double complex *tsr_densmat_data_const(const tsr_densmat *dm) {
  return dm->vec.amps;
}

double complex tsr_densmat_element(const tsr_densmat *dm, uint64_t row, uint64_t col) {
  const uint64_t d = UINT64_C(1) << dm->n;
  if (row >= d || col >= d) return 0;
  return ((const double complex *)dm->vec.amps)[row + col * d];
}

/* ------------------------------------------------------------------ gates */

/* Applies an analysed op to the row qubits and, conjugated, to the column
 * qubits. */
static tsr_status dm_apply_unitary(tsr_densmat *dm, const double complex *u, const uint32_t *q,
                                   unsigned k, tsr_error *err) {
  const unsigned n = dm->n;
  svk_op op;
  tsr_status st = svk_analyse(u, q, k, &op, err);
  if (st != TSR_OK) return st;
  if (op.kind == SVK_IDENTITY) return TSR_OK;
  if (op.kind == SVK_DENSE1 && op.cmask == 0) {
    /* one pass of U (x) conj(U) on (q, q + n): local index r + 2c */
    double complex s[16];
    const uint32_t t = op.targets[0], qq[2] = {t, t + n};
    for (int rp = 0; rp < 2; rp++) {
      for (int cp = 0; cp < 2; cp++) {
        for (int r = 0; r < 2; r++) {
          for (int c = 0; c < 2; c++) {
            s[(rp + 2 * cp) * 4 + (r + 2 * c)] = op.m1[rp * 2 + r] * conj(op.m1[cp * 2 + c]);
          }
        }
      }
    }
    svk_op_release(&op);
    svk_op sup;
    st = svk_dense_op(s, qq, 2, &sup, err);
    if (st != TSR_OK) return st;
    svk_apply(&dm->vec, &sup);
    svk_op_release(&sup);
    return TSR_OK;
  }
  svk_apply(&dm->vec, &op);
  svk_op_release(&op);
  const size_t d = (size_t)1 << k;
  double complex buf[1024];
  double complex *cu = buf;
  if (d * d > 1024) {
    cu = tsr_malloc(d * d * sizeof *cu, err);
    if (!cu) return err ? err->status : TSR_ERR_NOMEM;
  }
  uint32_t qc[SVK_MAX_K];
  for (size_t i = 0; i < d * d; i++) cu[i] = conj(u[i]);
  for (unsigned j = 0; j < k; j++) qc[j] = q[j] + n;
  st = svk_analyse(cu, qc, k, &op, err);
  if (st == TSR_OK) {
    svk_apply(&dm->vec, &op);
    svk_op_release(&op);
  }
  if (cu != buf) free(cu);
  return st;
}

static tsr_status dm_apply_matrix_cb(void *state, const double complex *m, const uint32_t *qubits,
                                     unsigned k, tsr_error *err) {
  return dm_apply_unitary(state, m, qubits, k, err);
}

tsr_status tsr_densmat_apply_gate(tsr_densmat *dm, tsr_gate kind, const uint32_t *qubits,
                                  uint32_t nqubits, const double *params, tsr_error *err) {
  return sim_apply_gate_matrix(dm, dm->n, dm_apply_matrix_cb, kind, qubits, nqubits, params, err);
}

tsr_status tsr_densmat_apply_matrix(tsr_densmat *dm, const uint32_t *qubits, uint32_t k,
                                    const double complex *matrix, const char *name,
                                    tsr_error *err) {
  tsr_status st = sim_check_user_matrix(qubits, k, dm->n, matrix, name, err);
  if (st != TSR_OK) return st;
  return dm_apply_unitary(dm, matrix, qubits, k, err);
}

/* Applies a superoperator (4^k x 4^k, local index r + c 2^k) on qubits. */
tsr_status sim_dm_apply_superop(tsr_densmat *dm, const double complex *s, const uint32_t *q,
                                unsigned k, tsr_error *err) {
  uint32_t qq[2 * 8];
  for (unsigned j = 0; j < k; j++) {
    qq[j] = q[j];
    qq[j + k] = q[j] + dm->n;
  }
  svk_op op;
  tsr_status st = svk_analyse(s, qq, 2 * k, &op, err);
  if (st != TSR_OK) return st;
  svk_apply(&dm->vec, &op);
  svk_op_release(&op);
  return TSR_OK;
}

tsr_status tsr_densmat_apply_channel(tsr_densmat *dm, const tsr_channel *ch, const uint32_t *qubits,
                                     tsr_error *err) {
  tsr_status st = sim_check_qubits(qubits, ch->k, dm->n, ch->name, err);
  if (st != TSR_OK) return st;
  const size_t ds = (size_t)1 << (2 * ch->k);
  double complex *s = tsr_malloc(ds * ds * sizeof *s, err);
  if (!s) return err ? err->status : TSR_ERR_NOMEM;
  tsr_channel_superop(ch, s);
  st = sim_dm_apply_superop(dm, s, qubits, ch->k, err);
  free(s);
  return st;
}

/* ------------------------------------------------------------ measurement */

static double diag_at(const tsr_densmat *dm, uint64_t i) {
  const uint64_t d = UINT64_C(1) << dm->n;
  return creal(((const double complex *)dm->vec.amps)[i + i * d]);
}

double tsr_densmat_trace(const tsr_densmat *dm) {
  double s = 0;
  for (uint64_t i = 0; i < (UINT64_C(1) << dm->n); i++) s += diag_at(dm, i);
  return s;
}

double tsr_densmat_purity(const tsr_densmat *dm) {
  /* Tr rho^2 = sum |rho(r, c)|^2 for Hermitian rho */
  return tsr_statevec_norm(&dm->vec);
}

double tsr_densmat_prob_one(const tsr_densmat *dm, uint32_t qubit) {
  if (qubit >= dm->n) return 0;
  double s = 0;
  for (uint64_t i = 0; i < (UINT64_C(1) << dm->n); i++) {
    if ((i >> qubit) & 1) s += diag_at(dm, i);
  }
  return s;
}

static void dm_project(tsr_densmat *dm, uint32_t qubit, int outcome, double p) {
  svk_op op;
  memset(&op, 0, sizeof op);
  double complex d[4] = {0, 0, 0, 0};
  d[outcome ? 3 : 0] = 1 / p;
  op.kind = SVK_DIAG;
  op.k = 2;
  op.targets[0] = qubit;
  op.targets[1] = qubit + dm->n;
  op.m = d;
  svk_apply(&dm->vec, &op);
}

tsr_status tsr_densmat_collapse(tsr_densmat *dm, uint32_t qubit, int outcome, tsr_error *err) {
  tsr_status st = sim_check_qubits(&qubit, 1, dm->n, "collapse", err);
  if (st != TSR_OK) return st;
  const double p1 = tsr_densmat_prob_one(dm, qubit), tr = tsr_densmat_trace(dm);
  const double p = outcome ? p1 : tr - p1;
  if (!(p >= 1e-14)) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "cannot project qubit %u onto %d: that outcome has probability %.3g",
                         qubit, outcome ? 1 : 0, p);
  }
  dm_project(dm, qubit, outcome ? 1 : 0, p);
  return TSR_OK;
}

tsr_status tsr_densmat_measure(tsr_densmat *dm, uint32_t qubit, tsr_rng *rng, int *outcome,
                               tsr_error *err) {
  tsr_status st = sim_check_qubits(&qubit, 1, dm->n, "measure", err);
  if (st != TSR_OK) return st;
  const double tr = tsr_densmat_trace(dm);
  double p1 = tsr_densmat_prob_one(dm, qubit) / tr;
  if (p1 < 0) p1 = 0;
  if (p1 > 1) p1 = 1;
  const int o = tsr_rng_uniform(rng) < p1;
  const double p = (o ? p1 : 1 - p1) * tr;
  if (!(p > 0)) return tsr_error_set(err, TSR_ERR_INTERNAL, "measured an impossible outcome");
  dm_project(dm, qubit, o, p);
  if (outcome) *outcome = o;
  return TSR_OK;
}

tsr_status tsr_densmat_reset(tsr_densmat *dm, uint32_t qubit, tsr_error *err) {
  tsr_status st = sim_check_qubits(&qubit, 1, dm->n, "reset", err);
  if (st != TSR_OK) return st;
  /* Kraus |0><0| and |0><1|: rho'(0,0) = rho(0,0) + rho(1,1), the rest 0 */
  double complex s[16] = {0};
  s[0 * 4 + 0] = 1; /* (0,0) <- (0,0) */
  s[0 * 4 + 3] = 1; /* (0,0) <- (1,1) */
  return sim_dm_apply_superop(dm, s, &qubit, 1, err);
}

tsr_status tsr_densmat_probabilities(const tsr_densmat *dm, const uint32_t *qubits, uint32_t k,
                                     double *out, tsr_error *err) {
  if (k > 24) return tsr_error_set(err, TSR_ERR_VALUE, "at most 24 qubits' probabilities");
  tsr_status st = sim_check_qubits(qubits, k, dm->n, "probabilities", err);
  if (st != TSR_OK) return st;
  memset(out, 0, ((size_t)1 << k) * sizeof *out);
  for (uint64_t i = 0; i < (UINT64_C(1) << dm->n); i++) {
    uint64_t l = 0;
    for (uint32_t j = 0; j < k; j++) l |= ((i >> qubits[j]) & 1) << j;
    out[l] += diag_at(dm, i);
  }
  return TSR_OK;
}

tsr_status tsr_densmat_expectation(const tsr_densmat *dm, const char *pauli, double *out,
                                   tsr_error *err) {
  uint64_t x, z;
  unsigned ny;
  int sign;
  tsr_status st = sim_parse_pauli(pauli, dm->n, &x, &z, &ny, &sign, err);
  if (st != TSR_OK) return st;
  const uint64_t d = UINT64_C(1) << dm->n;
  const double complex *rho = dm->vec.amps;
  double complex s = 0;
  for (uint64_t r = 0; r < d; r++) {
    const double complex v = rho[r + (r ^ x) * d];
    s += (__builtin_popcountll(r & z) & 1) ? -v : v;
  }
  static const double complex ipow[4] = {1, I, -1, -I};
  *out = sign * creal(s * ipow[ny % 4]);
  return TSR_OK;
}

tsr_status tsr_densmat_fidelity_pure(const tsr_densmat *dm, const tsr_statevec *sv, double *out,
                                     tsr_error *err) {
  if (dm->n != sv->n) {
    return tsr_error_set(err, TSR_ERR_VALUE, "a %u-qubit density matrix and a %u-qubit state",
                         dm->n, sv->n);
  }
  const uint64_t d = UINT64_C(1) << dm->n;
  const double complex *rho = dm->vec.amps;
  double complex s = 0;
  for (uint64_t c = 0; c < d; c++) {
    double complex col = 0;
    for (uint64_t r = 0; r < d; r++) col += conj(tsr_statevec_amplitude(sv, r)) * rho[r + c * d];
    s += col * tsr_statevec_amplitude(sv, c);
  }
  *out = creal(s);
  return TSR_OK;
}

/* Hermitian square root of a (d x d, column-major) into out; returns 0 on
 * success. */
static int herm_sqrt(const double complex *a, size_t d, double complex *out) {
  double complex *v = malloc(d * d * sizeof *v);
  double *w = malloc(d * sizeof *w);
  if (!v || !w) {
    free(v);
    free(w);
    return -1;
  }
  memcpy(v, a, d * d * sizeof *v);
  lapack_int info = LAPACKE_zheev(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)d, v, (lapack_int)d, w);
  if (info != 0) {
    free(v);
    free(w);
    return -1;
  }
  /* eigenvalues below the rounding noise are zero: sqrt would magnify them */
  const double floor_ = 1e-13 * (w[d - 1] > 0 ? w[d - 1] : 1);
  for (size_t r = 0; r < d; r++) {
    for (size_t c = 0; c < d; c++) {
      double complex s = 0;
      for (size_t k = 0; k < d; k++) {
        const double l = w[k] > floor_ ? sqrt(w[k]) : 0;
        s += v[r + k * d] * l * conj(v[c + k * d]);
      }
      out[r + c * d] = s;
    }
  }
  free(v);
  free(w);
  return 0;
}

tsr_status tsr_densmat_fidelity(const tsr_densmat *a, const tsr_densmat *b, double *out,
                                tsr_error *err) {
  if (a->n != b->n) {
    return tsr_error_set(err, TSR_ERR_VALUE, "density matrices of %u and %u qubits", a->n, b->n);
  }
  if (a->n > 10) {
    return tsr_error_set(err, TSR_ERR_LIMIT,
                         "the fidelity of two density matrices is computed up to 10 qubits");
  }
  const size_t d = (size_t)1 << a->n;
  double complex *sa = tsr_malloc(d * d * sizeof *sa, err);
  double complex *t = tsr_malloc(d * d * sizeof *t, err);
  double complex *m = tsr_malloc(d * d * sizeof *m, err);
  double *w = tsr_malloc(d * sizeof *w, err);
  tsr_status st = TSR_OK;
  if (!sa || !t || !m || !w) {
    st = err ? err->status : TSR_ERR_NOMEM;
    goto done;
  }
  if (herm_sqrt(a->vec.amps, d, sa) != 0) {
    st = tsr_error_set(err, TSR_ERR_INTERNAL, "eigendecomposition failed");
    goto done;
  }
  const double complex *rb = b->vec.amps;
  for (size_t r = 0; r < d; r++) { /* t = sa * b */
    for (size_t c = 0; c < d; c++) {
      double complex s = 0;
      for (size_t k = 0; k < d; k++) s += sa[r + k * d] * rb[k + c * d];
      t[r + c * d] = s;
    }
  }
  for (size_t r = 0; r < d; r++) { /* m = t * sa */
    for (size_t c = 0; c < d; c++) {
      double complex s = 0;
      for (size_t k = 0; k < d; k++) s += t[r + k * d] * sa[k + c * d];
      m[r + c * d] = s;
    }
  }
  if (LAPACKE_zheev(LAPACK_COL_MAJOR, 'N', 'U', (lapack_int)d, m, (lapack_int)d, w) != 0) {
    st = tsr_error_set(err, TSR_ERR_INTERNAL, "eigendecomposition failed");
    goto done;
  }
  double f = 0;
  const double floor_ = 1e-13 * (w[d - 1] > 0 ? w[d - 1] : 1);
  for (size_t k = 0; k < d; k++) f += w[k] > floor_ ? sqrt(w[k]) : 0;
  *out = f * f;
done:
  free(sa);
  free(t);
  free(m);
  free(w);
  return st;
}

tsr_densmat *tsr_densmat_partial_trace(const tsr_densmat *dm, const uint32_t *keep, uint32_t k,
                                       tsr_error *err) {
  if (k == 0 || k > dm->n) {
    tsr_error_set(err, TSR_ERR_VALUE, "partial trace keeps 1 to %u qubits, not %u", dm->n, k);
    return NULL;
  }
  if (sim_check_qubits(keep, k, dm->n, "partial trace", err) != TSR_OK) return NULL;
  tsr_state_options o = {TSR_PRECISION_DOUBLE, dm->vec.threads, 0};
  tsr_densmat *out = dm_alloc(k, &o, err);
  if (!out) return NULL;
  const uint64_t d = UINT64_C(1) << dm->n, dk = UINT64_C(1) << k;
  const double complex *rho = dm->vec.amps;
  double complex *red = out->vec.amps;
  uint32_t pos[64];
  sim_sorted_positions(keep, k, pos);
  for (uint64_t r = 0; r < dk; r++) {
    uint64_t orr = 0;
    for (uint32_t j = 0; j < k; j++) orr |= ((r >> j) & 1) << keep[j];
    for (uint64_t c = 0; c < dk; c++) {
      uint64_t oc = 0;
      for (uint32_t j = 0; j < k; j++) oc |= ((c >> j) & 1) << keep[j];
      double complex s = 0;
      for (uint64_t t = 0; t < (d >> k); t++) {
        const uint64_t b = svk_insert_zeros(t, pos, k);
        s += rho[(b | orr) + (b | oc) * d];
      }
      red[r + c * dk] = s;
    }
  }
  return out;
}

static double dm_prob_range(const void *ctx, uint64_t i0, uint64_t i1) {
  double s = 0;
  for (uint64_t i = i0; i < i1; i++) s += diag_at(ctx, i);
  return s;
}

static double dm_prob_at(const void *ctx, uint64_t i) {
  return diag_at(ctx, i);
}

tsr_status tsr_densmat_sample(const tsr_densmat *dm, uint64_t shots, uint64_t seed,
                              uint64_t first_stream, uint64_t *out, tsr_error *err) {
  return sim_sample_dist(UINT64_C(1) << dm->n, svk_threads(&dm->vec), dm_prob_range, dm_prob_at, dm,
                         shots, seed, first_stream, out, err);
}
