/* Memory decoherence of a stored pair and cutoff times.
 *
 * One qubit stored for time t in a memory with relaxation time T1 and
 * coherence time T2 (T2 <= 2 T1) goes through amplitude damping towards |0>
 * with gamma = 1 - exp(-t/T1) (Kraus [[1,0],[0,sqrt(1-gamma)]] and
 * [[0,sqrt(gamma)],[0,0]]) followed by the pure dephasing that completes the
 * coherence decay to exp(-t/T2) (rate 1/T2 - 1/(2 T1)); see Nielsen & Chuang,
 * Quantum Computation and Quantum Information (2000), §8.3.5-8.3.6. On the
 * pair's density matrix, for the stored qubit's bits (i, j) of an element:
 *   (0,0): rho + gamma * rho(with both bits set to 1)
 *   (1,1): (1 - gamma) rho
 *   (0,1), (1,0): exp(-t/T2) rho
 * This is exact; a Bell-diagonal pair is carried through the density matrix
 * and projected back (tsr_bell_from_dm), which keeps its fidelity exact. */
#include <complex.h>
#include <math.h>

#include "tessera/link.h"

static tsr_status check_memory(const tsr_coherence *mem, double t_s, tsr_error *err) {
  if (!(t_s >= 0.0))
    return tsr_error_set(err, TSR_ERR_VALUE, "storage time %g s is not a non-negative number", t_s);
  if (!mem) return TSR_OK;
  if (!(mem->t1_s > 0.0) || !(mem->t2_s > 0.0))
    return tsr_error_set(err, TSR_ERR_VALUE, "memory T1 = %g s and T2 = %g s must be positive",
                         mem->t1_s, mem->t2_s);
  if (mem->t2_s > 2.0 * mem->t1_s * (1.0 + 1e-12))
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "memory T2 = %g s exceeds 2 T1 = %g s, which no physical memory allows",
                         mem->t2_s, 2.0 * mem->t1_s);
  return TSR_OK;
}

/* exp(-t / T); an infinite T never decays, an infinite t (finite T) decays
 * fully. */
static double decay(double t_s, double time_constant_s) {
  if (t_s == 0.0 || isinf(time_constant_s)) return 1.0;
  if (isinf(t_s)) return 0.0;
  return exp(-t_s / time_constant_s);
}

tsr_status tsr_pair_dm_decohere(tsr_pair_dm *rho, int qubit, const tsr_coherence *mem, double t_s,
                                tsr_error *err) {
  tsr_status st = check_memory(mem, t_s, err);
  if (st) return st;
  if (qubit != 0 && qubit != 1)
    return tsr_error_set(err, TSR_ERR_VALUE, "qubit %d of a pair: must be 0 (A) or 1 (B)", qubit);
  if (!mem || t_s == 0.0) return TSR_OK;
  double keep = decay(t_s, mem->t1_s); /* 1 - gamma */
  double gamma = 1.0 - keep;
  double coh = decay(t_s, mem->t2_s);
  int bit = qubit == 0 ? 2 : 1;
  tsr_pair_dm out;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      int bi = i & bit, bj = j & bit;
      if (!bi && !bj)
        out.m[i][j] = rho->m[i][j] + gamma * rho->m[i | bit][j | bit];
      else if (bi && bj)
        out.m[i][j] = keep * rho->m[i][j];
      else
        out.m[i][j] = coh * rho->m[i][j];
    }
  *rho = out;
  return TSR_OK;
}

tsr_status tsr_bell_decohere(const tsr_bell *in, const tsr_coherence *mem_a, double t_a_s,
                             const tsr_coherence *mem_b, double t_b_s, tsr_bell *out,
                             tsr_error *err) {
  tsr_status st = tsr_bell_check(in, err);
  if (st) {
    tsr_error_prefix(err, "stored pair");
    return st;
  }
  tsr_pair_dm rho;
  tsr_bell_to_dm(in, &rho);
  if ((st = tsr_pair_dm_decohere(&rho, 0, mem_a, t_a_s, err)) ||
      (st = tsr_pair_dm_decohere(&rho, 1, mem_b, t_b_s, err)))
    return st;
  tsr_bell b = tsr_bell_from_dm(&rho);
  double sum = 0;
  for (int k = 0; k < 4; k++) {
    if (b.p[k] < 0) b.p[k] = 0;
    sum += b.p[k];
  }
  for (int k = 0; k < 4; k++) b.p[k] /= sum;
  *out = b;
  return TSR_OK;
}

static double stored_fidelity(const tsr_bell *b, const tsr_coherence *ma, const tsr_coherence *mb,
                              double t) {
  tsr_bell out;
  if (tsr_bell_decohere(b, ma, t, mb, t, &out, NULL)) return NAN;
  return out.p[0];
}

tsr_status tsr_memory_cutoff(const tsr_bell *initial, const tsr_coherence *mem_a,
                             const tsr_coherence *mem_b, double min_fidelity, double *cutoff_s,
                             tsr_error *err) {
  tsr_status st;
  if ((st = tsr_bell_check(initial, err)) || (st = check_memory(mem_a, 0, err)) ||
      (st = check_memory(mem_b, 0, err)))
    return st;
  if (!(min_fidelity >= 0.0 && min_fidelity <= 1.0))
    return tsr_error_set(err, TSR_ERR_VALUE, "minimum fidelity %g is outside [0, 1]", min_fidelity);
  if (initial->p[0] <= min_fidelity) {
    *cutoff_s = 0.0;
    return TSR_OK;
  }
  /* The time scale: the shortest finite time constant. */
  double scale = INFINITY;
  const tsr_coherence *mems[2] = {mem_a, mem_b};
  for (int i = 0; i < 2; i++)
    if (mems[i]) {
      if (mems[i]->t1_s < scale) scale = mems[i]->t1_s;
      if (mems[i]->t2_s < scale) scale = mems[i]->t2_s;
    }
  if (isinf(scale)) {
    *cutoff_s = INFINITY;
    return TSR_OK;
  }
  /* Bracket the first crossing on a grid 1e-12 scale .. 1e4 scale (steps of
   * 2^(1/4)), then bisect. Fidelity curves are smooth on the scale of T1, T2,
   * so the grid cannot step over a crossing. */
  double lo = 0.0, hi = NAN;
  for (double t = 1e-12 * scale; t <= 1e4 * scale; t *= 1.189207115002721) {
    if (stored_fidelity(initial, mem_a, mem_b, t) <= min_fidelity) {
      hi = t;
      break;
    }
    lo = t;
  }
  if (isnan(hi)) {
    *cutoff_s = INFINITY;
    return TSR_OK;
  }
  for (int it = 0; it < 200 && hi - lo > 1e-9 * hi; it++) {
    double mid = 0.5 * (lo + hi);
    if (stored_fidelity(initial, mem_a, mem_b, mid) <= min_fidelity)
      hi = mid;
    else
      lo = mid;
  }
  *cutoff_s = hi;
  return TSR_OK;
}
