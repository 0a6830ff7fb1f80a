/* The state-vector backend: 2^n amplitudes, 64-byte aligned, the kernels of
 * sv_kernels.c behind a validating API; measurement with collapse, reset,
 * trajectories of channels, expectation values, sampling, partial trace. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

/* Large states are 2 MiB aligned, so that where the system backs memory with
 * transparent huge pages by default the whole state gets them (fewer TLB
 * misses for the strided accesses of high qubits and cache blocks). No
 * madvise: with THP in "madvise" mode it makes the first touch compact
 * memory synchronously, which stalled for seconds on a busy machine. Freed
 * with free(), like tsr_aligned_alloc's memory. */
static void *state_alloc(size_t bytes, tsr_error *err) {
  const size_t huge = (size_t)2 << 20;
  if (bytes < 4 * huge) return tsr_aligned_alloc(bytes, err);
  void *p = NULL;
  if (posix_memalign(&p, huge, bytes) != 0 || !p) {
    tsr_error_set(err, TSR_ERR_NOMEM, "out of memory (%zu bytes)", bytes);
    return NULL;
  }
  return p;
}

uint64_t tsr_statevec_bytes(unsigned nqubits, tsr_precision precision) {
  const unsigned elem = precision == TSR_PRECISION_FLOAT ? 3 : 4; /* log2 bytes per amplitude */
  if (nqubits + elem >= 64) return UINT64_MAX;
  return UINT64_C(1) << (nqubits + elem);
}

static size_t amp_size(tsr_precision p) {
  return p == TSR_PRECISION_FLOAT ? 2 * sizeof(float) : 2 * sizeof(double);
}

tsr_status sim_sv_alloc(struct tsr_statevec *sv, unsigned n, const tsr_state_options *opts,
                        const char *what, unsigned nreport, tsr_error *err) {
  tsr_state_options def = {0};
  if (!opts) opts = &def;
  if (opts->precision != TSR_PRECISION_DOUBLE && opts->precision != TSR_PRECISION_FLOAT) {
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown precision %d", (int)opts->precision);
  }
  const uint64_t bytes = tsr_statevec_bytes(n, opts->precision);
  tsr_status st = sim_check_memory(what, nreport, bytes, opts->memory_limit, err);
  if (st != TSR_OK) return st;
  if (bytes > SIZE_MAX) {
    return tsr_error_set(err, TSR_ERR_LIMIT, "a %s of %u qubits does not fit in this address space",
                         what, nreport);
  }
  sv->n = n;
  sv->dim = UINT64_C(1) << n;
  sv->prec = opts->precision;
  sv->threads = opts->threads;
  sv->amps = state_alloc((size_t)bytes, err);
  if (!sv->amps) {
    return tsr_error_set(err, TSR_ERR_NOMEM, "cannot allocate %llu bytes for a %s of %u qubits",
                         (unsigned long long)bytes, what, nreport);
  }
  const int th = svk_threads(sv);
  const uint64_t chunks = sv->dim >= (UINT64_C(1) << 16) ? 256 : 1;
  const size_t chunk_bytes = (size_t)(bytes / chunks);
#pragma omp parallel for schedule(static) num_threads(th) if (chunks > 1 && th > 1)
  for (uint64_t c = 0; c < chunks; c++) memset((char *)sv->amps + c * chunk_bytes, 0, chunk_bytes);
  return TSR_OK;
}

static void set_amp(struct tsr_statevec *sv, uint64_t i, double complex v) {
  if (sv->prec == TSR_PRECISION_FLOAT) {
    float *a = sv->amps;
    a[2 * i] = (float)creal(v);
    a[2 * i + 1] = (float)cimag(v);
  } else {
    double *a = sv->amps;
    a[2 * i] = creal(v);
    a[2 * i + 1] = cimag(v);
  }
}

static double complex get_amp(const struct tsr_statevec *sv, uint64_t i) {
  if (sv->prec == TSR_PRECISION_FLOAT) {
    const float *a = sv->amps;
    return CMPLX(a[2 * i], a[2 * i + 1]);
  }
  const double *a = sv->amps;
  return CMPLX(a[2 * i], a[2 * i + 1]);
}

tsr_statevec *tsr_statevec_new(unsigned nqubits, const tsr_state_options *opts, tsr_error *err) {
  tsr_statevec *sv = tsr_calloc(1, sizeof *sv, err);
  if (!sv) return NULL;
  if (sim_sv_alloc(sv, nqubits, opts, "state vector", nqubits, err) != TSR_OK) {
    free(sv);
    return NULL;
  }
  set_amp(sv, 0, 1.0);
  return sv;
}

void tsr_statevec_free(tsr_statevec *sv) {
  if (!sv) return;
  tsr_aligned_free(sv->amps);
  free(sv);
}

tsr_statevec *tsr_statevec_clone(const tsr_statevec *sv, tsr_error *err) {
  tsr_state_options o = {sv->prec, sv->threads, 0};
  tsr_statevec *c = tsr_calloc(1, sizeof *c, err);
  if (!c) return NULL;
  if (sim_sv_alloc(c, sv->n, &o, "state vector", sv->n, err) != TSR_OK) {
    free(c);
    return NULL;
  }
  if (tsr_statevec_copy(c, sv, err) != TSR_OK) {
    tsr_statevec_free(c);
    return NULL;
  }
  return c;
}

tsr_status tsr_statevec_copy(tsr_statevec *dst, const tsr_statevec *src, tsr_error *err) {
  if (dst->n != src->n || dst->prec != src->prec) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "cannot copy a state of %u qubits into one of %u (or precisions differ)",
                         src->n, dst->n);
  }
  const size_t bytes = (size_t)dst->dim * amp_size(dst->prec);
  const int th = svk_threads(dst);
  const uint64_t chunks = dst->dim >= (UINT64_C(1) << 16) ? 256 : 1;
  const size_t cb = bytes / chunks;
#pragma omp parallel for schedule(static) num_threads(th) if (chunks > 1 && th > 1)
  for (uint64_t c = 0; c < chunks; c++) {
    memcpy((char *)dst->amps + c * cb, (const char *)src->amps + c * cb, cb);
  }
  return TSR_OK;
}

unsigned tsr_statevec_qubits(const tsr_statevec *sv) {
  return sv->n;
}
uint64_t tsr_statevec_dim(const tsr_statevec *sv) {
  return sv->dim;
}
tsr_precision tsr_statevec_precision(const tsr_statevec *sv) {
  return sv->prec;
}
void tsr_statevec_set_threads(tsr_statevec *sv, int threads) {
  sv->threads = threads > 0 ? threads : 0;
}
void *tsr_statevec_data(tsr_statevec *sv) {
  return sv->amps;
}
const void *tsr_statevec_data_const(const tsr_statevec *sv) {
  return sv->amps;
}

tsr_status tsr_statevec_set_basis(tsr_statevec *sv, uint64_t index, tsr_error *err) {
  if (index >= sv->dim) {
    return tsr_error_set(err, TSR_ERR_VALUE, "basis state %llu is out of range for %u qubits",
                         (unsigned long long)index, sv->n);
  }
  memset(sv->amps, 0, (size_t)sv->dim * amp_size(sv->prec));
  set_amp(sv, index, 1.0);
  return TSR_OK;
}

tsr_status tsr_statevec_set_amplitudes(tsr_statevec *sv, const double complex *amps, uint64_t dim,
                                       int normalise, tsr_error *err) {
  if (dim != sv->dim) {
    return tsr_error_set(err, TSR_ERR_VALUE, "%llu amplitudes given for a state of %llu",
                         (unsigned long long)dim, (unsigned long long)sv->dim);
  }
  double norm = 0;
  for (uint64_t i = 0; i < dim; i++) {
    norm += creal(amps[i]) * creal(amps[i]) + cimag(amps[i]) * cimag(amps[i]);
  }
  if (!isfinite(norm) || norm <= 0) {
    return tsr_error_set(err, TSR_ERR_VALUE, "the amplitudes have no finite, nonzero norm");
  }
  double scale = 1;
  if (normalise) {
    scale = 1 / sqrt(norm);
  } else if (fabs(norm - 1) > 1e-9) {
    return tsr_error_set(err, TSR_ERR_VALUE, "the amplitudes are not normalised (norm^2 = %.12g)",
                         norm);
  }
  for (uint64_t i = 0; i < dim; i++) set_amp(sv, i, amps[i] * scale);
  return TSR_OK;
}

double complex tsr_statevec_amplitude(const tsr_statevec *sv, uint64_t index) {
  return index < sv->dim ? get_amp(sv, index) : 0;
}

void tsr_statevec_get_amplitudes(const tsr_statevec *sv, double complex *out) {
  if (sv->prec == TSR_PRECISION_DOUBLE) {
    memcpy(out, sv->amps, (size_t)sv->dim * sizeof *out);
    return;
  }
  for (uint64_t i = 0; i < sv->dim; i++) out[i] = get_amp(sv, i);
}

/* ------------------------------------------------------------- gates */

static tsr_status apply_analysed(tsr_statevec *sv, const double complex *m, const uint32_t *qubits,
                                 unsigned k, tsr_error *err) {
  svk_op op;
  tsr_status st = svk_analyse(m, qubits, k, &op, err);
  if (st != TSR_OK) return st;
  svk_apply(sv, &op);
  svk_op_release(&op);
  return TSR_OK;
}

static tsr_status sv_apply_matrix_cb(void *state, const double complex *m, const uint32_t *qubits,
                                     unsigned k, tsr_error *err) {
  return apply_analysed(state, m, qubits, k, err);
}

tsr_status tsr_statevec_apply_gate(tsr_statevec *sv, tsr_gate kind, const uint32_t *qubits,
                                   uint32_t nqubits, const double *params, tsr_error *err) {
  return sim_apply_gate_matrix(sv, sv->n, sv_apply_matrix_cb, kind, qubits, nqubits, params, err);
}

tsr_status tsr_statevec_apply_matrix(tsr_statevec *sv, const uint32_t *qubits, uint32_t k,
                                     const double complex *matrix, const char *name,
                                     tsr_error *err) {
  tsr_status st = sim_check_user_matrix(qubits, k, sv->n, matrix, name, err);
  if (st != TSR_OK) return st;
  return apply_analysed(sv, matrix, qubits, k, err);
}

tsr_status tsr_statevec_apply_diagonal(tsr_statevec *sv, const uint32_t *qubits, uint32_t k,
                                       const double complex *diag, tsr_error *err) {
  if (k == 0 || k > SVK_MAX_K) {
    return tsr_error_set(err, TSR_ERR_VALUE, "a diagonal acts on 1 to %d qubits, not %u", SVK_MAX_K,
                         k);
  }
  tsr_status st = sim_check_qubits(qubits, k, sv->n, "diagonal", err);
  if (st != TSR_OK) return st;
  const uint64_t d = UINT64_C(1) << k;
  for (uint64_t i = 0; i < d; i++) {
    if (!(fabs(cabs(diag[i]) - 1) <= 1e-8)) {
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "diagonal entry %llu has modulus %.6g: the diagonal is not unitary",
                           (unsigned long long)i, cabs(diag[i]));
    }
  }
  svk_op op;
  memset(&op, 0, sizeof op);
  op.k = k;
  memcpy(op.targets, qubits, k * sizeof *qubits);
  if (k == 1) {
    op.kind = SVK_DIAG1;
    op.m1[0] = diag[0];
    op.m1[1] = diag[1];
  } else {
    op.kind = SVK_DIAG;
    op.m = (double complex *)diag; /* borrowed: not released */
  }
  svk_apply(sv, &op);
  return TSR_OK;
}

tsr_status tsr_statevec_apply_controlled(tsr_statevec *sv, const uint32_t *controls,
                                         uint32_t ncontrols, uint32_t target,
                                         const double complex u[4], tsr_error *err) {
  uint32_t all[64];
  if (ncontrols > 62) return tsr_error_set(err, TSR_ERR_VALUE, "too many controls");
  if (ncontrols) memcpy(all, controls, ncontrols * sizeof *controls);
  all[ncontrols] = target;
  tsr_status st = sim_check_qubits(all, ncontrols + 1, sv->n, "controlled gate", err);
  if (st != TSR_OK) return st;
  const double e = sim_unitarity_error(u, 2);
  if (!(e <= 1e-8)) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "controlled gate: the 2x2 matrix is not unitary (max |U^dagger U - I| = "
                         "%.3g)",
                         e);
  }
  svk_op op;
  st = svk_analyse(u, &target, 1, &op, err);
  if (st != TSR_OK) return st;
  for (uint32_t i = 0; i < ncontrols; i++) op.cmask |= UINT64_C(1) << controls[i];
  svk_op_finalize(&op);
  svk_apply(sv, &op);
  svk_op_release(&op);
  return TSR_OK;
}

/* ------------------------------------------------------- measurement */

double tsr_statevec_prob_one(const tsr_statevec *sv, uint32_t qubit) {
  if (qubit >= sv->n) return 0;
  return svk_norm_sum(sv, &qubit, 1, UINT64_C(1) << qubit);
}

/* Projects onto outcome with probability p (renormalising), optionally
 * moving the kept half to |0> (reset). */
static void project(tsr_statevec *sv, uint32_t qubit, int outcome, double p, int to_zero) {
  const double s = 1 / sqrt(p);
  svk_op op;
  memset(&op, 0, sizeof op);
  op.k = 1;
  op.targets[0] = qubit;
  if (to_zero && outcome) {
    op.kind = SVK_DENSE1;
    op.m1[1] = s; /* |0> <- s |1>, |1> <- 0 */
  } else {
    op.kind = SVK_DIAG1;
    op.m1[0] = outcome ? 0 : s;
    op.m1[1] = outcome ? s : 0;
  }
  svk_apply(sv, &op);
}

tsr_status tsr_statevec_collapse(tsr_statevec *sv, uint32_t qubit, int outcome, tsr_error *err) {
  tsr_status st = sim_check_qubits(&qubit, 1, sv->n, "collapse", err);
  if (st != TSR_OK) return st;
  const double p1 = tsr_statevec_prob_one(sv, qubit);
  const double p = outcome ? p1 : 1 - p1;
  if (!(p >= 1e-14)) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "cannot project qubit %u onto %d: that outcome has probability %.3g",
                         qubit, outcome ? 1 : 0, p);
  }
  project(sv, qubit, outcome ? 1 : 0, p, 0);
  return TSR_OK;
}

/* Draws an outcome for qubit; returns its probability. */
static int draw(const tsr_statevec *sv, uint32_t qubit, tsr_rng *rng, double *p) {
  double p1 = tsr_statevec_prob_one(sv, qubit);
  if (p1 < 0) p1 = 0;
  if (p1 > 1) p1 = 1;
  const double u = tsr_rng_uniform(rng);
  const int outcome = u < p1;
  *p = outcome ? p1 : 1 - p1;
  return outcome;
}

tsr_status tsr_statevec_measure(tsr_statevec *sv, uint32_t qubit, tsr_rng *rng, int *outcome,
                                tsr_error *err) {
  tsr_status st = sim_check_qubits(&qubit, 1, sv->n, "measure", err);
  if (st != TSR_OK) return st;
  double p;
  const int o = draw(sv, qubit, rng, &p);
  if (!(p > 0)) return tsr_error_set(err, TSR_ERR_INTERNAL, "measured an impossible outcome");
  project(sv, qubit, o, p, 0);
  if (outcome) *outcome = o;
  return TSR_OK;
}

tsr_status tsr_statevec_reset(tsr_statevec *sv, uint32_t qubit, tsr_rng *rng, tsr_error *err) {
  tsr_status st = sim_check_qubits(&qubit, 1, sv->n, "reset", err);
  if (st != TSR_OK) return st;
  double p;
  const int o = draw(sv, qubit, rng, &p);
  if (!(p > 0)) return tsr_error_set(err, TSR_ERR_INTERNAL, "measured an impossible outcome");
  project(sv, qubit, o, p, 1);
  return TSR_OK;
}

/* ------------------------------------------------------- calculations */

double tsr_statevec_norm(const tsr_statevec *sv) {
  return svk_norm_sum(sv, NULL, 0, 0);
}

tsr_status tsr_statevec_probabilities(const tsr_statevec *sv, const uint32_t *qubits, uint32_t k,
                                      double *out, tsr_error *err) {
  if (k > 24) return tsr_error_set(err, TSR_ERR_VALUE, "at most 24 qubits' probabilities");
  tsr_status st = sim_check_qubits(qubits, k, sv->n, "probabilities", err);
  if (st != TSR_OK) return st;
  const uint64_t nd = UINT64_C(1) << k;
  int identity = k == sv->n;
  for (uint32_t j = 0; identity && j < k; j++) identity = qubits[j] == j;
  if (identity) {
    const int th = svk_threads(sv);
#pragma omp parallel for schedule(static) num_threads(th) if (th > 1 && sv->dim >= 65536)
    for (uint64_t i = 0; i < sv->dim; i++) {
      const double complex a = get_amp(sv, i);
      out[i] = creal(a) * creal(a) + cimag(a) * cimag(a);
    }
    return TSR_OK;
  }
  /* marginal: sequential per output bin over the traced index, in a fixed
     order for every thread count */
  uint32_t pos[64];
  sim_sorted_positions(qubits, k, pos);
  const uint64_t rest = sv->dim >> k;
  const int th = svk_threads(sv);
#pragma omp parallel for schedule(static) num_threads(th) if (th > 1 && nd >= 2 && sv->dim >= 65536)
  for (uint64_t l = 0; l < nd; l++) {
    uint64_t off = 0;
    for (uint32_t j = 0; j < k; j++) {
      if ((l >> j) & 1) off |= UINT64_C(1) << qubits[j];
    }
    double s = 0;
    for (uint64_t r = 0; r < rest; r++) {
      const double complex a = get_amp(sv, svk_insert_zeros(r, pos, k) | off);
      s += creal(a) * creal(a) + cimag(a) * cimag(a);
    }
    out[l] = s;
  }
  return TSR_OK;
}

tsr_status tsr_statevec_expectation(const tsr_statevec *sv, const char *pauli, double *out,
                                    tsr_error *err) {
  uint64_t x, z;
  unsigned ny;
  int sign;
  tsr_status st = sim_parse_pauli(pauli, sv->n, &x, &z, &ny, &sign, err);
  if (st != TSR_OK) return st;
  double complex s = svk_pauli_sum(sv, x, z);
  static const double complex ipow[4] = {1, I, -1, -I};
  s *= ipow[ny % 4];
  *out = sign * creal(s);
  return TSR_OK;
}

tsr_status tsr_statevec_inner(const tsr_statevec *a, const tsr_statevec *b, double complex *out,
                              tsr_error *err) {
  if (a->n != b->n) {
    return tsr_error_set(err, TSR_ERR_VALUE, "states of %u and %u qubits have no inner product",
                         a->n, b->n);
  }
  const uint64_t dim = a->dim;
  uint64_t bs = UINT64_C(1) << 12;
  while (dim / bs > 1024) bs <<= 1;
  const uint64_t nb = (dim + bs - 1) / bs;
  double complex part[1024];
  const int th = svk_threads(a);
#pragma omp parallel for schedule(static) num_threads(th) if (th > 1 && nb > 1)
  for (uint64_t blk = 0; blk < nb; blk++) {
    const uint64_t i1 = (blk + 1) * bs < dim ? (blk + 1) * bs : dim;
    double sr = 0, si = 0;
    for (uint64_t i = blk * bs; i < i1; i++) {
      const double complex x = get_amp(a, i), y = get_amp(b, i);
      sr += creal(x) * creal(y) + cimag(x) * cimag(y);
      si += creal(x) * cimag(y) - cimag(x) * creal(y);
    }
    part[blk] = CMPLX(sr, si);
  }
  double complex s = 0;
  for (uint64_t blk = 0; blk < nb; blk++) s += part[blk];
  *out = s;
  return TSR_OK;
}

tsr_status tsr_statevec_fidelity(const tsr_statevec *a, const tsr_statevec *b, double *out,
                                 tsr_error *err) {
  double complex s;
  tsr_status st = tsr_statevec_inner(a, b, &s, err);
  if (st != TSR_OK) return st;
  *out = creal(s) * creal(s) + cimag(s) * cimag(s);
  return TSR_OK;
}

/* ------------------------------------------------------------ sampling */

tsr_status sim_sample_dist(uint64_t dim, int threads, sim_prob_range_fn range, sim_prob_at_fn at,
                           const void *ctx, uint64_t shots, uint64_t seed, uint64_t first_stream,
                           uint64_t *out, tsr_error *err) {
  if (shots == 0) return TSR_OK;
  uint64_t bs = UINT64_C(1) << 12;
  while (dim / bs > 1024) bs <<= 1;
  const uint64_t nb = (dim + bs - 1) / bs;
  double sums[1024], start[1025];
  const int th = threads > 0 ? threads : omp_get_max_threads();
#pragma omp parallel for schedule(static) num_threads(th) if (th > 1 && nb > 1)
  for (uint64_t b = 0; b < nb; b++) {
    sums[b] = range(ctx, b * bs, (b + 1) * bs < dim ? (b + 1) * bs : dim);
  }
  start[0] = 0;
  for (uint64_t b = 0; b < nb; b++) start[b + 1] = start[b] + (sums[b] > 0 ? sums[b] : 0);
  const double total = start[nb];
  if (!(total > 0)) return tsr_error_set(err, TSR_ERR_VALUE, "the state has zero norm");
  double *u = tsr_malloc(shots * sizeof *u, err);
  uint64_t *idx = tsr_malloc(shots * sizeof *idx, err);
  uint64_t *first = tsr_malloc((nb + 1) * sizeof *first, err);
  if (!u || !idx || !first) {
    free(u);
    free(idx);
    free(first);
    return err ? err->status : TSR_ERR_NOMEM;
  }
#pragma omp parallel for schedule(static) num_threads(th) if (th > 1 && shots >= 4096)
  for (uint64_t s = 0; s < shots; s++) {
    tsr_rng rng;
    tsr_rng_seed(&rng, seed, first_stream + s);
    u[s] = tsr_rng_uniform(&rng) * total;
    idx[s] = s;
  }
  sim_sort_uniforms(u, idx, shots);
  /* draws first[b] .. first[b+1]-1 fall in block b */
  uint64_t d = 0;
  for (uint64_t b = 0; b < nb; b++) {
    first[b] = d;
    while (d < shots && (u[d] < start[b + 1] || b == nb - 1)) d++;
  }
  first[nb] = shots;
#pragma omp parallel for schedule(dynamic, 1) num_threads(th) if (th > 1 && nb > 1)
  for (uint64_t b = 0; b < nb; b++) {
    uint64_t dd = first[b];
    if (dd == first[b + 1]) continue;
    const uint64_t i1 = (b + 1) * bs < dim ? (b + 1) * bs : dim;
    double cum = start[b];
    uint64_t last_nonzero = b * bs;
    for (uint64_t i = b * bs; i < i1 && dd < first[b + 1]; i++) {
      const double p = at(ctx, i);
      if (p > 0) last_nonzero = i;
      cum += p > 0 ? p : 0;
      while (dd < first[b + 1] && u[dd] < cum) out[idx[dd++]] = i;
    }
    while (dd < first[b + 1]) out[idx[dd++]] = last_nonzero; /* rounding at the block's end */
  }
  free(u);
  free(idx);
  free(first);
  return TSR_OK;
}

static double sv_prob_range(const void *ctx, uint64_t i0, uint64_t i1) {
  const struct tsr_statevec *sv = ctx;
  double s0 = 0, s1 = 0;
  if (sv->prec == TSR_PRECISION_FLOAT) {
    const float *a = sv->amps;
    for (uint64_t i = 2 * i0; i < 2 * i1; i += 2) {
      s0 += (double)a[i] * a[i];
      s1 += (double)a[i + 1] * a[i + 1];
    }
  } else {
    const double *a = sv->amps;
    for (uint64_t i = 2 * i0; i < 2 * i1; i += 2) {
      s0 += a[i] * a[i];
      s1 += a[i + 1] * a[i + 1];
    }
  }
  return s0 + s1;
}

static double sv_prob_at(const void *ctx, uint64_t i) {
  const double complex a = get_amp(ctx, i);
  return creal(a) * creal(a) + cimag(a) * cimag(a);
}

tsr_status tsr_statevec_sample(const tsr_statevec *sv, uint64_t shots, uint64_t seed,
                               uint64_t first_stream, uint64_t *out, tsr_error *err) {
  return sim_sample_dist(sv->dim, svk_threads(sv), sv_prob_range, sv_prob_at, sv, shots, seed,
                         first_stream, out, err);
}

/* --------------------------------------------------------- partial trace */

tsr_densmat *tsr_statevec_partial_trace(const tsr_statevec *sv, const uint32_t *keep, uint32_t k,
                                        tsr_error *err) {
  if (k == 0 || k > 14) {
    tsr_error_set(err, TSR_ERR_VALUE, "partial trace keeps 1 to 14 qubits, not %u", k);
    return NULL;
  }
  if (sim_check_qubits(keep, k, sv->n, "partial trace", err) != TSR_OK) return NULL;
  tsr_state_options o = {TSR_PRECISION_DOUBLE, sv->threads, 0};
  tsr_densmat *dm = tsr_densmat_new(k, &o, err);
  if (!dm) return NULL;
  double complex *rho = tsr_densmat_data(dm);
  const uint64_t nd = UINT64_C(1) << k;
  uint32_t pos[64];
  sim_sorted_positions(keep, k, pos);
  uint64_t *offs = tsr_malloc(nd * sizeof *offs, err);
  if (!offs) {
    tsr_densmat_free(dm);
    return NULL;
  }
  for (uint64_t l = 0; l < nd; l++) {
    uint64_t o2 = 0;
    for (uint32_t j = 0; j < k; j++) {
      if ((l >> j) & 1) o2 |= UINT64_C(1) << keep[j];
    }
    offs[l] = o2;
  }
  const uint64_t rest = sv->dim >> k;
  const int th = svk_threads(sv);
  /* rho(r, c) = sum over the traced index t of a[t + off r] conj(a[t + off c]) */
#pragma omp parallel for schedule(dynamic, 1) num_threads(th) if (th > 1 && nd > 1)
  for (uint64_t r = 0; r < nd; r++) {
    for (uint64_t c = 0; c <= r; c++) {
      double sr = 0, si = 0;
      for (uint64_t t = 0; t < rest; t++) {
        const uint64_t b = svk_insert_zeros(t, pos, k);
        const double complex x = get_amp(sv, b | offs[r]), y = get_amp(sv, b | offs[c]);
        sr += creal(x) * creal(y) + cimag(x) * cimag(y);
        si += cimag(x) * creal(y) - creal(x) * cimag(y);
      }
      rho[r + c * nd] = CMPLX(sr, si);
      rho[c + r * nd] = CMPLX(sr, -si);
    }
  }
  free(offs);
  return dm;
}
