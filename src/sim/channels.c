/* Noise channels in Kraus form: the standard constructors (depolarizing,
 * amplitude and phase damping, thermal relaxation, Pauli), validation of
 * complete positivity and trace preservation, classification (Pauli channel,
 * mixture of unitaries), the superoperator, and the quantum-trajectory
 * application on a state vector.
 *
 * Trajectories: for a mixture of unitaries (every Pauli channel, depolarizing)
 * the operator is drawn from fixed probabilities and applied as a unitary, so
 * the common "nothing happened" branch costs no pass over the state. For a
 * general channel the reduced density matrix of its qubits (one pass) gives
 * p_i = Tr(K_i rho K_i^dagger); K_i / sqrt(p_i) is then applied (one pass). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

#define CPTP_TOL 1e-8

/* The Pauli string with base-4 code `code` (digit j on operand j: 0 I,
 * 1 X, 2 Y, 3 Z) as a 2^k x 2^k matrix, row-major. */
static void pauli_matrix(unsigned code, unsigned k, double complex *out) {
  static const double complex p1[4][4] = {{1, 0, 0, 1}, {0, 1, 1, 0}, {0, -I, I, 0}, {1, 0, 0, -1}};
  const size_t d = (size_t)1 << k;
  for (size_t r = 0; r < d; r++) {
    for (size_t c = 0; c < d; c++) {
      double complex v = 1;
      for (unsigned j = 0; j < k; j++) {
        const unsigned pj = (code >> (2 * j)) & 3;
        v *= p1[pj][((r >> j) & 1) * 2 + ((c >> j) & 1)];
      }
      out[r * d + c] = v;
    }
  }
}

static void classify(tsr_channel *ch) {
  const size_t d = (size_t)1 << ch->k, dd = d * d;
  /* mixture of unitaries: K_i^dagger K_i = p_i I */
  ch->unitary_mixture = 1;
  for (size_t i = 0; i < ch->nops && ch->unitary_mixture; i++) {
    const double complex *K = ch->ops + i * dd;
    double p = 0;
    for (size_t r = 0; r < d && ch->unitary_mixture; r++) {
      for (size_t c = 0; c < d; c++) {
        double complex s = 0;
        for (size_t t = 0; t < d; t++) s += conj(K[t * d + r]) * K[t * d + c];
        if (r == 0 && c == 0) p = creal(s);
        const double want = r == c ? p : 0;
        if (cabs(s - want) > 1e-12) {
          ch->unitary_mixture = 0;
          break;
        }
      }
    }
    if (ch->unitary_mixture) ch->mix_probs[i] = p;
  }
  /* Pauli channel: the process matrix in the Pauli basis is diagonal */
  ch->pauli = 0;
  if (ch->k > 2) return;
  const unsigned np = 1u << (2 * ch->k);
  double complex coef[64][16]; /* nops <= 64 checked by the caller */
  double complex pm[16];
  if (ch->nops > 64) return;
  for (unsigned a = 0; a < np; a++) {
    pauli_matrix(a, ch->k, pm);
    for (size_t i = 0; i < ch->nops; i++) {
      const double complex *K = ch->ops + i * dd;
      double complex s = 0; /* Tr(P_a K) / d, P_a Hermitian */
      for (size_t r = 0; r < d; r++) {
        for (size_t c = 0; c < d; c++) s += pm[r * d + c] * K[c * d + r];
      }
      coef[i][a] = s / (double)d;
    }
  }
  for (unsigned a = 0; a < np; a++) {
    for (unsigned b = 0; b < np; b++) {
      double complex chi = 0;
      for (size_t i = 0; i < ch->nops; i++) chi += coef[i][a] * conj(coef[i][b]);
      if (a == b) {
        ch->probs[a] = creal(chi);
      } else if (cabs(chi) > 1e-12) {
        return;
      }
    }
  }
  ch->pauli = 1;
}

static tsr_channel *channel_alloc(unsigned k, size_t nops, const char *name, tsr_error *err) {
  tsr_channel *ch = tsr_calloc(1, sizeof *ch, err);
  if (!ch) return NULL;
  const size_t dd = (size_t)1 << (2 * k);
  ch->k = k;
  ch->nops = nops;
  ch->ops = tsr_calloc(nops * dd, sizeof *ch->ops, err);
  ch->probs = tsr_calloc(dd, sizeof *ch->probs, err);
  ch->mix_probs = tsr_calloc(nops, sizeof *ch->mix_probs, err);
  if (!ch->ops || !ch->probs || !ch->mix_probs) {
    tsr_channel_free(ch);
    return NULL;
  }
  snprintf(ch->name, sizeof ch->name, "%s", name ? name : "kraus");
  return ch;
}

tsr_channel *tsr_channel_kraus(unsigned k, size_t nops, const double complex *ops, const char *name,
                               tsr_error *err) {
  const char *what = name ? name : "kraus";
  if (k == 0 || k > 4) {
    tsr_error_set(err, TSR_ERR_VALUE, "channel '%s' acts on %u qubits: 1 to 4 are supported", what,
                  k);
    return NULL;
  }
  if (nops == 0 || !ops) {
    tsr_error_set(err, TSR_ERR_VALUE, "channel '%s' has no Kraus operators", what);
    return NULL;
  }
  const size_t d = (size_t)1 << k, dd = d * d;
  if (nops > 4 * dd) {
    tsr_error_set(err, TSR_ERR_VALUE,
                  "channel '%s' has %zu Kraus operators; at most %zu are needed", what, nops,
                  4 * dd);
    return NULL;
  }
  for (size_t i = 0; i < nops * dd; i++) {
    if (!isfinite(creal(ops[i])) || !isfinite(cimag(ops[i]))) {
      tsr_error_set(err, TSR_ERR_VALUE, "channel '%s': Kraus operator %zu has a non-finite entry",
                    what, i / dd);
      return NULL;
    }
  }
  double worst = 0;
  for (size_t r = 0; r < d; r++) {
    for (size_t c = 0; c < d; c++) {
      double complex s = 0;
      for (size_t i = 0; i < nops; i++) {
        const double complex *K = ops + i * dd;
        for (size_t t = 0; t < d; t++) s += conj(K[t * d + r]) * K[t * d + c];
      }
      const double e = cabs(s - (r == c ? 1.0 : 0.0));
      if (e > worst) worst = e;
    }
  }
  if (!(worst <= CPTP_TOL)) {
    tsr_error_set(err, TSR_ERR_VALUE,
                  "channel '%s' is not trace preserving (not CPTP): max |sum K^dagger K - I| = "
                  "%.3g (tolerance %.0e)",
                  what, worst, CPTP_TOL);
    return NULL;
  }
  /* drop zero operators (a CPTP set has at least one nonzero) */
  size_t keep = 0;
  for (size_t i = 0; i < nops; i++) {
    double nrm = 0;
    for (size_t e = 0; e < dd; e++) nrm += cabs(ops[i * dd + e]);
    if (nrm > 1e-15) keep++;
  }
  tsr_channel *ch = channel_alloc(k, keep, name, err);
  if (!ch) return NULL;
  size_t j = 0;
  for (size_t i = 0; i < nops; i++) {
    double nrm = 0;
    for (size_t e = 0; e < dd; e++) nrm += cabs(ops[i * dd + e]);
    if (nrm > 1e-15) memcpy(ch->ops + (j++) * dd, ops + i * dd, dd * sizeof *ops);
  }
  classify(ch);
  return ch;
}

tsr_channel *tsr_channel_pauli(unsigned k, const double *probs, tsr_error *err) {
  if (k == 0 || k > 2) {
    tsr_error_set(err, TSR_ERR_VALUE, "a Pauli channel acts on 1 or 2 qubits, not %u", k);
    return NULL;
  }
  const unsigned np = 1u << (2 * k);
  double sum = 0;
  for (unsigned a = 0; a < np; a++) {
    if (!(probs[a] >= 0 && probs[a] <= 1)) {
      tsr_error_set(err, TSR_ERR_VALUE, "Pauli channel: probability %u is %g, outside [0, 1]", a,
                    probs[a]);
      return NULL;
    }
    sum += probs[a];
  }
  if (fabs(sum - 1) > 1e-9) {
    tsr_error_set(err, TSR_ERR_VALUE,
                  "Pauli channel: the probabilities sum to %.12g, not 1 (not trace preserving)",
                  sum);
    return NULL;
  }
  const size_t d = (size_t)1 << k, dd = d * d;
  double complex *ops = tsr_calloc(np * dd, sizeof *ops, err);
  if (!ops) return NULL;
  size_t n = 0;
  for (unsigned a = 0; a < np; a++) {
    if (probs[a] <= 0) continue;
    pauli_matrix(a, k, ops + n * dd);
    for (size_t e = 0; e < dd; e++) ops[n * dd + e] *= sqrt(probs[a] / sum);
    n++;
  }
  tsr_channel *ch = tsr_channel_kraus(k, n, ops, "pauli", err);
  free(ops);
  return ch;
}

tsr_channel *tsr_channel_depolarizing(unsigned k, double p, tsr_error *err) {
  if (k == 0 || k > 2) {
    tsr_error_set(err, TSR_ERR_VALUE, "depolarizing acts on 1 or 2 qubits, not %u", k);
    return NULL;
  }
  const double np = (double)(1u << (2 * k));
  const double pmax = np / (np - 1);
  if (!(p >= 0 && p <= pmax + 1e-12)) {
    tsr_error_set(err, TSR_ERR_VALUE,
                  "depolarizing probability %g is outside [0, %.6g] (not a valid channel)", p,
                  pmax);
    return NULL;
  }
  double probs[16];
  for (unsigned a = 0; a < (unsigned)np; a++) probs[a] = p / np;
  probs[0] = 1 - p + p / np;
  if (probs[0] < 0) probs[0] = 0;
  tsr_channel *ch = tsr_channel_pauli(k, probs, err);
  if (ch) snprintf(ch->name, sizeof ch->name, "depolarizing");
  return ch;
}

tsr_channel *tsr_channel_amplitude_damping(double gamma, tsr_error *err) {
  if (!(gamma >= 0 && gamma <= 1)) {
    tsr_error_set(err, TSR_ERR_VALUE, "amplitude damping: gamma %g is outside [0, 1]", gamma);
    return NULL;
  }
  const double complex ops[8] = {1, 0, 0, sqrt(1 - gamma), 0, sqrt(gamma), 0, 0};
  return tsr_channel_kraus(1, 2, ops, "amplitude_damping", err);
}

tsr_channel *tsr_channel_phase_damping(double lambda, tsr_error *err) {
  if (!(lambda >= 0 && lambda <= 1)) {
    tsr_error_set(err, TSR_ERR_VALUE, "phase damping: lambda %g is outside [0, 1]", lambda);
    return NULL;
  }
  const double complex ops[8] = {1, 0, 0, sqrt(1 - lambda), 0, 0, 0, sqrt(lambda)};
  return tsr_channel_kraus(1, 2, ops, "phase_damping", err);
}

tsr_channel *tsr_channel_thermal_relaxation(double t1, double t2, double t, tsr_error *err) {
  if (!(t1 > 0) || !(t2 > 0) || !(t >= 0) || !isfinite(t)) {
    tsr_error_set(err, TSR_ERR_VALUE,
                  "thermal relaxation needs T1 > 0, T2 > 0 and a time >= 0 (got T1 %g, T2 %g, t "
                  "%g)",
                  t1, t2, t);
    return NULL;
  }
  if (t2 > 2 * t1 * (1 + 1e-12)) {
    tsr_error_set(err, TSR_ERR_VALUE,
                  "thermal relaxation: T2 = %g s exceeds 2 T1 = %g s (not a physical channel)", t2,
                  2 * t1);
    return NULL;
  }
  const double gamma = isinf(t1) ? 0 : -expm1(-t / t1);
  const double s1 = sqrt(1 - gamma);
  /* extra dephasing so that coherences decay as exp(-t/T2) in all */
  double f = exp(-t / t2 + (isinf(t1) ? 0 : t / (2 * t1)));
  if (f > 1) f = 1;
  const double lambda = 1 - f * f;
  const double complex ops[12] = {1, 0,           0, f * s1, /* no decay, partial dephasing */
                                  0, sqrt(gamma), 0, 0,      /* decay */
                                  0, 0,           0, sqrt(lambda) * s1}; /* phase flip component */
  tsr_channel *ch = tsr_channel_kraus(1, 3, ops, "thermal_relaxation", err);
  return ch;
}

tsr_channel *tsr_channel_clone(const tsr_channel *src, tsr_error *err) {
  tsr_channel *ch = channel_alloc(src->k, src->nops, src->name, err);
  if (!ch) return NULL;
  const size_t dd = (size_t)1 << (2 * src->k);
  memcpy(ch->ops, src->ops, src->nops * dd * sizeof *ch->ops);
  memcpy(ch->probs, src->probs, dd * sizeof *ch->probs);
  memcpy(ch->mix_probs, src->mix_probs, src->nops * sizeof *ch->mix_probs);
  ch->pauli = src->pauli;
  ch->unitary_mixture = src->unitary_mixture;
  return ch;
}

void tsr_channel_free(tsr_channel *ch) {
  if (!ch) return;
  free(ch->ops);
  free(ch->probs);
  free(ch->mix_probs);
  free(ch);
}

unsigned tsr_channel_qubits(const tsr_channel *ch) {
  return ch->k;
}
const char *tsr_channel_name(const tsr_channel *ch) {
  return ch->name;
}
size_t tsr_channel_kraus_count(const tsr_channel *ch) {
  return ch->nops;
}
const double complex *tsr_channel_kraus_op(const tsr_channel *ch, size_t i) {
  return i < ch->nops ? ch->ops + i * ((size_t)1 << (2 * ch->k)) : NULL;
}

int tsr_channel_is_pauli(const tsr_channel *ch, double *probs) {
  if (ch->pauli && probs) memcpy(probs, ch->probs, ((size_t)1 << (2 * ch->k)) * sizeof *probs);
  return ch->pauli;
}

int tsr_channel_is_identity(const tsr_channel *ch) {
  return ch->pauli && fabs(ch->probs[0] - 1) <= 1e-14;
}

void tsr_channel_superop(const tsr_channel *ch, double complex *out) {
  const size_t d = (size_t)1 << ch->k, dd = d * d;
  memset(out, 0, dd * dd * sizeof *out);
  for (size_t i = 0; i < ch->nops; i++) {
    const double complex *K = ch->ops + i * dd;
    for (size_t rp = 0; rp < d; rp++) {
      for (size_t cp = 0; cp < d; cp++) {
        for (size_t r = 0; r < d; r++) {
          for (size_t c = 0; c < d; c++) {
            out[(rp + cp * d) * dd + (r + c * d)] += K[rp * d + r] * conj(K[cp * d + c]);
          }
        }
      }
    }
  }
}

tsr_channel *sim_channel_compose(const tsr_channel *a, const tsr_channel *b, tsr_error *err) {
  if (a->k != b->k) {
    tsr_error_set(err, TSR_ERR_VALUE, "cannot compose channels on %u and %u qubits", a->k, b->k);
    return NULL;
  }
  const size_t d = (size_t)1 << a->k, dd = d * d, n = a->nops * b->nops;
  double complex *ops = tsr_calloc(n * dd, sizeof *ops, err);
  if (!ops) return NULL;
  for (size_t i = 0; i < a->nops; i++) {
    for (size_t j = 0; j < b->nops; j++) {
      double complex *o = ops + (i * b->nops + j) * dd;
      const double complex *A = a->ops + i * dd, *B = b->ops + j * dd;
      for (size_t r = 0; r < d; r++) {
        for (size_t c = 0; c < d; c++) {
          double complex s = 0;
          for (size_t t = 0; t < d; t++) s += B[r * d + t] * A[t * d + c];
          o[r * d + c] = s;
        }
      }
    }
  }
  char name[64];
  snprintf(name, sizeof name, "%.28s+%.28s", a->name, b->name);
  tsr_channel *ch = NULL;
  if (n <= 4 * dd) {
    ch = tsr_channel_kraus(a->k, n, ops, name, err);
  } else {
    tsr_error_set(err, TSR_ERR_VALUE, "composed channel has too many Kraus operators");
  }
  free(ops);
  return ch;
}

tsr_channel *sim_channel_embed(const tsr_channel *ch, unsigned k, const unsigned *slot,
                               tsr_error *err) {
  const size_t ds = (size_t)1 << ch->k, dds = ds * ds;
  const size_t d = (size_t)1 << k, dd = d * d;
  uint64_t smask = 0;
  for (unsigned j = 0; j < ch->k; j++) smask |= UINT64_C(1) << slot[j];
  double complex *ops = tsr_calloc(ch->nops * dd, sizeof *ops, err);
  if (!ops) return NULL;
  for (size_t i = 0; i < ch->nops; i++) {
    const double complex *K = ch->ops + i * dds;
    for (size_t R = 0; R < d; R++) {
      for (size_t C = 0; C < d; C++) {
        if ((R & ~smask) != (C & ~smask)) continue;
        size_t r = 0, c = 0;
        for (unsigned j = 0; j < ch->k; j++) {
          r |= ((R >> slot[j]) & 1) << j;
          c |= ((C >> slot[j]) & 1) << j;
        }
        ops[i * dd + R * d + C] = K[r * ds + c];
      }
    }
  }
  tsr_channel *out = tsr_channel_kraus(k, ch->nops, ops, ch->name, err);
  free(ops);
  return out;
}

/* ------------------------------------------------- trajectories (state vector) */

static size_t draw_index(const double *p, size_t n, double u) {
  double cum = 0;
  size_t last = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] > 0) last = i;
    cum += p[i];
    if (u < cum) return i;
  }
  return last;
}

tsr_status tsr_statevec_apply_channel(tsr_statevec *sv, const tsr_channel *ch,
                                      const uint32_t *qubits, tsr_rng *rng, tsr_error *err) {
  tsr_status st = sim_check_qubits(qubits, ch->k, sv->n, ch->name, err);
  if (st != TSR_OK) return st;
  if (tsr_channel_is_identity(ch)) return TSR_OK;
  const size_t d = (size_t)1 << ch->k, dd = d * d;
  double complex m[256];
  if (ch->unitary_mixture) {
    double total = 0;
    for (size_t i = 0; i < ch->nops; i++) total += ch->mix_probs[i];
    const size_t i = draw_index(ch->mix_probs, ch->nops, tsr_rng_uniform(rng) * total);
    const double s = 1 / sqrt(ch->mix_probs[i]);
    for (size_t e = 0; e < dd; e++) m[e] = ch->ops[i * dd + e] * s;
  } else {
    double complex rho[256];
    svk_reduced(sv, qubits, ch->k, rho);
    double p[256], total = 0;
    for (size_t i = 0; i < ch->nops; i++) {
      const double complex *K = ch->ops + i * dd;
      double complex s = 0; /* Tr(K rho K^dagger) */
      for (size_t r = 0; r < d; r++) {
        for (size_t a = 0; a < d; a++) {
          if (K[r * d + a] == 0) continue;
          for (size_t b = 0; b < d; b++) s += K[r * d + a] * rho[a * d + b] * conj(K[r * d + b]);
        }
      }
      p[i] = creal(s) > 0 ? creal(s) : 0;
      total += p[i];
    }
    if (!(total > 0)) return tsr_error_set(err, TSR_ERR_VALUE, "the state has zero norm");
    const size_t i = draw_index(p, ch->nops, tsr_rng_uniform(rng) * total);
    const double s = sqrt(total / p[i]); /* renormalise to the current norm */
    for (size_t e = 0; e < dd; e++) m[e] = ch->ops[i * dd + e] * s;
  }
  svk_op op;
  st = svk_analyse(m, qubits, ch->k, &op, err);
  if (st != TSR_OK) return st;
  svk_apply(sv, &op);
  svk_op_release(&op);
  return TSR_OK;
}
