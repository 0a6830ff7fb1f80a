/* Bell-diagonal pairs: Werner algebra, the density-matrix view, Pauli
 * channels, entanglement swapping and purification (BBPSSW, DEJMPS) with
 * recurrence and pumping schedules.
 *
 * Everything here works in the Pauli frame. A Bell-diagonal state is a
 * probability distribution over the Pauli error E in {I, X, Y, Z} on one half
 * of |Phi+> (coefficients in the order Phi+, Psi+, Psi-, Phi-). Write an error
 * as bits (x, z): I = (0,0), X = (1,0), Y = (1,1), Z = (0,1).
 *   - A Pauli channel on one half convolves the distribution with the
 *     channel's (errors compose by XOR of the bits).
 *   - Swapping with a perfect Bell-state measurement and Pauli correction
 *     leaves the A-C pair with the product of the two errors (XOR).
 *   - A bilateral CNOT (control pair 1, target pair 2) maps errors
 *     (x1, z1), (x2, z2) to (x1, z1 ^ z2), (x1 ^ x2, z2); measuring the target
 *     pair in Z on both sides gives equal outcomes iff x1 ^ x2 = 0, and the
 *     kept pair then has error (x1, z1 ^ z2).
 * Noise (Briegel, Duer, Cirac & Zoller, PRL 81, 5932 (1998)): a gate that
 * fails (probability 1 - p2) leaves its two qubits maximally mixed, i.e. a
 * uniformly random two-qubit Pauli on them, which makes the two errors it
 * touches uniform and independent; a flipped measurement (1 - eta) flips the
 * inferred parity (purification) or applies the wrong X or Z correction
 * (swapping). These formulas are exact for Bell-diagonal inputs; the tests
 * compare them with a direct 16x16 density-matrix simulation. */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "tessera/link.h"

static const int pauli_x[4] = {0, 1, 1, 0}; /* I X Y Z */
static const int pauli_z[4] = {0, 0, 1, 1};
static const int pauli_from_bits[2][2] = {{0, 3}, {1, 2}}; /* [x][z] */

static inline int pauli_mul(int a, int b) {
  return pauli_from_bits[pauli_x[a] ^ pauli_x[b]][pauli_z[a] ^ pauli_z[b]];
}

/* ---------------------------------------------------------------- states */

tsr_bell tsr_bell_make(double phi_plus, double psi_plus, double psi_minus, double phi_minus) {
  tsr_bell b = {{phi_plus, psi_plus, psi_minus, phi_minus}};
  return b;
}

tsr_bell tsr_bell_perfect(void) {
  return tsr_bell_make(1, 0, 0, 0);
}

tsr_bell tsr_bell_werner(double fidelity) {
  if (!(fidelity >= 0.0 && fidelity <= 1.0)) return tsr_bell_make(NAN, NAN, NAN, NAN);
  double r = (1.0 - fidelity) / 3.0;
  return tsr_bell_make(fidelity, r, r, r);
}

double tsr_bell_fidelity(const tsr_bell *b) {
  return b->p[0];
}

double tsr_werner_param(double fidelity) {
  return (4.0 * fidelity - 1.0) / 3.0;
}

double tsr_werner_fidelity(double werner_param) {
  return (1.0 + 3.0 * werner_param) / 4.0;
}

tsr_bell tsr_bell_twirl(const tsr_bell *b) {
  double f = b->p[0];
  double r = (1.0 - f) / 3.0;
  return tsr_bell_make(f, r, r, r);
}

tsr_status tsr_bell_check(const tsr_bell *b, tsr_error *err) {
  static const char *names[4] = {"Phi+", "Psi+", "Psi-", "Phi-"};
  double sum = 0;
  for (int k = 0; k < 4; k++) {
    double v = b->p[k];
    if (!isfinite(v) || v < -1e-12 || v > 1.0 + 1e-12)
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "Bell-diagonal coefficient %s = %g is not a probability in [0, 1]",
                           names[k], v);
    sum += v;
  }
  if (fabs(sum - 1.0) > 1e-9)
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "Bell-diagonal coefficients (%g, %g, %g, %g) sum to %.12g, not 1", b->p[0],
                         b->p[1], b->p[2], b->p[3], sum);
  return TSR_OK;
}

/* Clears rounding: clamps to [0, 1] and renormalises. */
static tsr_bell bell_clean(tsr_bell b) {
  double sum = 0;
  for (int k = 0; k < 4; k++) {
    if (b.p[k] < 0) b.p[k] = 0;
    sum += b.p[k];
  }
  if (sum > 0)
    for (int k = 0; k < 4; k++) b.p[k] /= sum;
  return b;
}

tsr_bell tsr_bell_pauli_channel(const tsr_bell *b, const double q[4]) {
  tsr_bell out = {{0, 0, 0, 0}};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) out.p[pauli_mul(i, j)] += b->p[i] * q[j];
  return bell_clean(out);
}

tsr_bell tsr_bell_depolarize(const tsr_bell *b, double p) {
  double q[4] = {1.0 - 0.75 * p, 0.25 * p, 0.25 * p, 0.25 * p};
  return tsr_bell_pauli_channel(b, q);
}

/* ---------------------------------------------------------------- density matrix */

void tsr_bell_to_dm(const tsr_bell *b, tsr_pair_dm *rho) {
  memset(rho, 0, sizeof *rho);
  double phi_s = 0.5 * (b->p[TSR_BELL_PHI_PLUS] + b->p[TSR_BELL_PHI_MINUS]);
  double phi_d = 0.5 * (b->p[TSR_BELL_PHI_PLUS] - b->p[TSR_BELL_PHI_MINUS]);
  double psi_s = 0.5 * (b->p[TSR_BELL_PSI_PLUS] + b->p[TSR_BELL_PSI_MINUS]);
  double psi_d = 0.5 * (b->p[TSR_BELL_PSI_PLUS] - b->p[TSR_BELL_PSI_MINUS]);
  rho->m[0][0] = rho->m[3][3] = phi_s;
  rho->m[0][3] = rho->m[3][0] = phi_d;
  rho->m[1][1] = rho->m[2][2] = psi_s;
  rho->m[1][2] = rho->m[2][1] = psi_d;
}

tsr_bell tsr_bell_from_dm(const tsr_pair_dm *rho) {
  double d00 = creal(rho->m[0][0]), d11 = creal(rho->m[3][3]);
  double d01 = creal(rho->m[1][1]), d10 = creal(rho->m[2][2]);
  double c03 = creal(rho->m[0][3]) + creal(rho->m[3][0]); /* 2 Re rho_{00,11} */
  double c12 = creal(rho->m[1][2]) + creal(rho->m[2][1]); /* 2 Re rho_{01,10} */
  tsr_bell b;
  b.p[TSR_BELL_PHI_PLUS] = 0.5 * (d00 + d11 + c03);
  b.p[TSR_BELL_PHI_MINUS] = 0.5 * (d00 + d11 - c03);
  b.p[TSR_BELL_PSI_PLUS] = 0.5 * (d01 + d10 + c12);
  b.p[TSR_BELL_PSI_MINUS] = 0.5 * (d01 + d10 - c12);
  return b;
}

double tsr_pair_dm_fidelity(const tsr_pair_dm *rho) {
  return 0.5 *
         (creal(rho->m[0][0]) + creal(rho->m[3][3]) + creal(rho->m[0][3]) + creal(rho->m[3][0]));
}

double tsr_pair_dm_trace(const tsr_pair_dm *rho) {
  return creal(rho->m[0][0]) + creal(rho->m[1][1]) + creal(rho->m[2][2]) + creal(rho->m[3][3]);
}

/* ---------------------------------------------------------------- checks */

static tsr_status check_noise(const tsr_local_noise *noise, tsr_error *err) {
  if (!noise) return TSR_OK;
  if (!(noise->gate_error >= 0.0 && noise->gate_error <= 1.0))
    return tsr_error_set(err, TSR_ERR_VALUE, "gate error %g is outside [0, 1]", noise->gate_error);
  if (!(noise->meas_error >= 0.0 && noise->meas_error <= 0.5))
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "measurement error %g is outside [0, 0.5] (a worse measurement "
                         "is a better one with its outcomes relabelled)",
                         noise->meas_error);
  return TSR_OK;
}

static tsr_status check_input(const tsr_bell *b, const char *what, tsr_error *err) {
  tsr_status st = tsr_bell_check(b, err);
  if (st) tsr_error_prefix(err, "%s", what);
  return st;
}

/* ---------------------------------------------------------------- swapping */

tsr_status tsr_bell_swap(const tsr_bell *a, const tsr_bell *b, const tsr_local_noise *noise,
                         tsr_bell *out, tsr_error *err) {
  tsr_status st;
  if ((st = check_input(a, "first pair of the swap", err)) ||
      (st = check_input(b, "second pair of the swap", err)) || (st = check_noise(noise, err)))
    return st;
  tsr_bell r = {{0, 0, 0, 0}};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) r.p[pauli_mul(i, j)] += a->p[i] * b->p[j];
  if (noise) {
    /* Each wrong outcome bit applies the wrong correction: Z for the first
     * (Hadamard-side) bit, X for the second, independently. */
    double e = noise->meas_error;
    double q[4] = {(1 - e) * (1 - e), e * (1 - e), e * e, e * (1 - e)};
    r = tsr_bell_pauli_channel(&r, q);
    /* A failed CNOT leaves B1, B2 maximally mixed: the A-C pair becomes I/4. */
    double p2 = 1.0 - noise->gate_error;
    for (int k = 0; k < 4; k++) r.p[k] = p2 * r.p[k] + (1.0 - p2) * 0.25;
  }
  *out = bell_clean(r);
  return TSR_OK;
}

/* ---------------------------------------------------------------- purification */

/* Bilateral CNOT from pair a (control) to pair b (target), Z measurement of
 * b on both sides, kept when the reported outcomes agree. */
static void bilateral_round(const double a[4], const double b[4], const tsr_local_noise *noise,
                            double out[4], double *p_success) {
  double p2 = noise ? 1.0 - noise->gate_error : 1.0;
  double e = noise ? noise->meas_error : 0.0;
  double flip = 2.0 * e * (1.0 - e); /* the two reported outcomes' parity is wrong */
  double good = p2 * p2;             /* neither side's CNOT failed */
  for (int k = 0; k < 4; k++) out[k] = 0;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      int x1 = pauli_x[i], z1 = pauli_z[i], x2 = pauli_x[j], z2 = pauli_z[j];
      int kept = pauli_from_bits[x1][z1 ^ z2];
      double accept = (x1 ^ x2) ? flip : 1.0 - flip;
      out[kept] += good * a[i] * b[j] * accept;
    }
  /* With a failed gate the four errors are uniform: each kept error has four
   * (of 16) combinations, two of each parity. */
  for (int k = 0; k < 4; k++) out[k] += (1.0 - good) / 8.0;
  double sum = out[0] + out[1] + out[2] + out[3];
  *p_success = sum;
  if (sum > 0)
    for (int k = 0; k < 4; k++) out[k] /= sum;
}

tsr_status tsr_purify(tsr_purify_protocol protocol, const tsr_bell *a, const tsr_bell *b,
                      const tsr_local_noise *noise, tsr_bell *out, double *p_success,
                      tsr_error *err) {
  tsr_status st;
  if ((st = check_input(a, "kept pair of the purification", err)) ||
      (st = check_input(b, "sacrificed pair of the purification", err)) ||
      (st = check_noise(noise, err)))
    return st;
  double x[4], y[4], r[4], p;
  switch (protocol) {
  case TSR_PURIFY_BBPSSW: {
    tsr_bell wa = tsr_bell_twirl(a), wb = tsr_bell_twirl(b);
    memcpy(x, wa.p, sizeof x);
    memcpy(y, wb.p, sizeof y);
    bilateral_round(x, y, noise, r, &p);
    tsr_bell kept = tsr_bell_make(r[0], r[1], r[2], r[3]);
    kept = tsr_bell_twirl(&kept);
    memcpy(r, kept.p, sizeof r);
    break;
  }
  case TSR_PURIFY_DEJMPS:
    /* Rx(pi/2) x Rx(-pi/2) on each pair exchanges Psi- and Phi-. */
    x[0] = a->p[0], x[1] = a->p[1], x[2] = a->p[3], x[3] = a->p[2];
    y[0] = b->p[0], y[1] = b->p[1], y[2] = b->p[3], y[3] = b->p[2];
    bilateral_round(x, y, noise, r, &p);
    break;
  default:
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown purification protocol %d", (int)protocol);
  }
  if (p_success) *p_success = p;
  if (out)
    *out = p > 0 ? bell_clean(tsr_bell_make(r[0], r[1], r[2], r[3]))
                 : tsr_bell_make(NAN, NAN, NAN, NAN);
  return TSR_OK;
}

tsr_status tsr_purify_schedule(const tsr_bell *elementary, const tsr_purify_step *steps,
                               size_t n_steps, const tsr_local_noise *noise,
                               tsr_purify_result *per_step, tsr_purify_result *final,
                               tsr_error *err) {
  tsr_status st = check_input(elementary, "elementary pair", err);
  if (st) return st;
  if (n_steps && !steps)
    return tsr_error_set(err, TSR_ERR_VALUE, "purification schedule of %zu steps has no steps",
                         n_steps);
  tsr_purify_result cur = {*elementary, elementary->p[0], 1.0, 1.0};
  for (size_t i = 0; i < n_steps; i++) {
    const tsr_bell *partner;
    if (steps[i].partner == TSR_PURIFY_RECURRENCE)
      partner = &cur.state;
    else if (steps[i].partner == TSR_PURIFY_PUMP)
      partner = elementary;
    else
      return tsr_error_set(err, TSR_ERR_VALUE, "step %zu: unknown partner %d", i + 1,
                           (int)steps[i].partner);
    tsr_bell next;
    double p;
    st = tsr_purify(steps[i].protocol, &cur.state, partner, noise, &next, &p, err);
    if (st) {
      tsr_error_prefix(err, "step %zu of the purification schedule", i + 1);
      return st;
    }
    if (!(p > 0))
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "step %zu of the purification schedule never succeeds", i + 1);
    double pairs = steps[i].partner == TSR_PURIFY_RECURRENCE ? 2.0 * cur.expected_pairs / p
                                                             : (cur.expected_pairs + 1.0) / p;
    cur.state = next;
    cur.fidelity = next.p[0];
    cur.p_success = p;
    cur.expected_pairs = pairs;
    if (per_step) per_step[i] = cur;
  }
  if (final) *final = cur;
  return TSR_OK;
}
