/* Heralded entanglement generation over fibre: the efficiency chain, the
 * two-photon, single-click and reflection protocols, dark counts and noise
 * photons, attempt period, rate and latency. docs/link-physics.md derives
 * every formula; the short version:
 *
 *   eta_i = P_emit eta_collect eta_coupling prod(eta_conv) T_i eta_optics eta_det,
 *   T_i = 10^(-alpha L_i / 10 km), delay_i = L_i n_g / c.
 *   Two-photon (Barrett & Kok, PRA 71, 060310 (2005); linear-optics BSM that
 *   resolves 2 of the 4 Bell states): p = eta_A eta_B / 2, heralded state
 *   (1+V)/2 Phi+ + (1-V)/2 Phi- for Hong-Ou-Mandel visibility V.
 *   Single-click (Cabrillo et al., PRA 59, 1025 (1999); Humphreys et al.,
 *   Nature 558, 268 (2018)): p ~ 2 alpha eta, F ~ 1 - alpha, the coherence
 *   reduced by exp(-sigma^2/2) for an optical phase error of RMS sigma.
 *   Reflection (Duan & Kimble, PRL 92, 127902 (2004); Knaut et al., Nature
 *   629, 573 (2024)): p = eta_src chi_A chi_B eta_det.
 *   Multi-photon emission (g2 > 0): an emission holds two photons with
 *   probability g2/2; a spare photon dephases the heralded pair (two-photon,
 *   single-click) or repeats the reflections' noise (reflection).
 *   False heralds: each detector clicks falsely with
 *   d = 1 - exp(-(R_dark tau_w + nu/N_det)) per attempt; a herald made with a
 *   false click carries no entanglement.
 *   Attempt period = max(prep) + 2 max(delay); rate = p f duty;
 *   latency = K period / duty with K geometric. */
#include <math.h>

#include "tessera/link.h"

double tsr_link_fibre_transmission(double length_m, double attenuation_db_per_km) {
  return pow(10.0, -attenuation_db_per_km * (length_m / 1000.0) / 10.0);
}

double tsr_link_fibre_delay(double length_m, double group_index) {
  double n = group_index > 0 ? group_index : TSR_FIBRE_GROUP_INDEX;
  return length_m * n / TSR_SPEED_OF_LIGHT;
}

void tsr_link_physics_default(tsr_link_physics *lp) {
  *lp = (tsr_link_physics){0};
  lp->protocol = TSR_PROTOCOL_TWO_PHOTON;
  for (int i = 0; i < 2; i++) {
    tsr_link_node *n = &lp->node[i];
    n->p_emit = 1.0;
    n->eta_collect = 1.0;
    n->eta_coupling = 1.0;
    n->n_conversion = 0;
    n->eta_optics = 1.0;
    n->eta_det = 1.0;
    n->fibre_length_m = 0.0;
    n->attenuation_db_per_km = 0.2; /* SMF-28 at 1550 nm, physics/README §3 [U] */
    n->prep_time_s = 1e-6;          /* nominal, as arch's derived period [U] */
    n->memory.t1_s = INFINITY;
    n->memory.t2_s = INFINITY;
    n->bright_alpha = 0.05;
    n->reflectivity = 1.0;
    n->reflect_fidelity = 1.0;
    n->g2 = 0.0;
  }
  lp->group_index = TSR_FIBRE_GROUP_INDEX; /* physics/README §1 */
  lp->hom_visibility = 1.0;
  lp->phase_noise_rad = 0.0;
  lp->dark_count_rate_hz = 0.0;
  lp->detection_window_s = 0.0;
  lp->source_efficiency = 1.0;
  lp->source_g2 = 0.0;
  lp->attempt_period_s = 0.0;
  lp->duty_cycle = 1.0;
  lp->multiplexing = 1;
}

/* Product of the conversion stages from stage `from` on. */
static double conversion_product(const tsr_link_node *n, uint32_t from) {
  double p = 1.0;
  for (uint32_t k = from; k < n->n_conversion; k++) p *= n->eta_conversion[k];
  return p;
}

double tsr_link_node_efficiency(const tsr_link_node *n) {
  return n->p_emit * n->eta_collect * n->eta_coupling * conversion_product(n, 0) *
         tsr_link_fibre_transmission(n->fibre_length_m, n->attenuation_db_per_km) * n->eta_optics *
         n->eta_det;
}

tsr_status tsr_cavity_reflection_from_cooperativity(double cooperativity, double in_coupling,
                                                    tsr_cavity_reflection *out, tsr_error *err) {
  if (!(cooperativity >= 0))
    return tsr_error_set(err, TSR_ERR_VALUE, "cavity: cooperativity %g must be >= 0",
                         cooperativity);
  if (!(in_coupling >= 0 && in_coupling <= 1))
    return tsr_error_set(err, TSR_ERR_VALUE, "cavity: in-coupling k_in/k = %g is outside [0, 1]",
                         in_coupling);
  tsr_cavity_reflection c;
  /* Reiserer & Rempe, RMP 87, 1379 (2015): r = 1 - 2 k_in / (k + g^2/gamma)
   * on resonance, i.e. 1 - (2 k_in/k) / (1 + 2C). */
  c.r_off = 1 - 2 * in_coupling;
  c.r_on = isinf(cooperativity) ? 1.0 : 1 - 2 * in_coupling / (1 + 2 * cooperativity);
  double on = c.r_on * c.r_on, off = c.r_off * c.r_off;
  c.contrast = off > 0 ? on / off : (on > 0 ? INFINITY : NAN);
  c.reflectivity = 0.5 * (on + off);
  c.fidelity = on + off > 0 ? 0.5 * (1 + fabs(on - off) / (on + off)) : 0.5;
  *out = c;
  return TSR_OK;
}

/* Noise photons from this end's converters that reach its detector per
 * attempt: each stage's noise passes the later stages, the fibre and the
 * optics, and is detected with eta_det. */
static double detected_noise(const tsr_link_node *n, double transmission) {
  double nu = 0;
  for (uint32_t k = 0; k < n->n_conversion; k++)
    nu += n->conversion_noise[k] * conversion_product(n, k + 1);
  return nu * transmission * n->eta_optics * n->eta_det;
}

/* ---------------------------------------------------------------- validation */

static tsr_status check_range(double v, double lo, double hi, const char *name, int node,
                              tsr_error *err) {
  if (isfinite(v) && v >= lo && v <= hi) return TSR_OK;
  if (node >= 0)
    return tsr_error_set(err, TSR_ERR_VALUE, "link end %d: %s = %g is outside [%g, %g]", node, name,
                         v, lo, hi);
  return tsr_error_set(err, TSR_ERR_VALUE, "link: %s = %g is outside [%g, %g]", name, v, lo, hi);
}

static tsr_status check_physics(const tsr_link_physics *lp, tsr_error *err) {
  tsr_status st;
#define CHECK(v, lo, hi, name, node)                                                               \
  if ((st = check_range((v), (lo), (hi), (name), (node), err))) return st
  if ((unsigned)lp->protocol >= TSR_PROTOCOL_COUNT)
    return tsr_error_set(err, TSR_ERR_VALUE, "link: unknown protocol %d", (int)lp->protocol);
  for (int i = 0; i < 2; i++) {
    const tsr_link_node *n = &lp->node[i];
    CHECK(n->p_emit, 0, 1, "p_emit", i);
    CHECK(n->eta_collect, 0, 1, "eta_collect", i);
    CHECK(n->eta_coupling, 0, 1, "eta_coupling", i);
    if (n->n_conversion > TSR_LINK_MAX_CONVERSIONS)
      return tsr_error_set(err, TSR_ERR_VALUE, "link end %d: %u conversion stages (at most %d)", i,
                           (unsigned)n->n_conversion, TSR_LINK_MAX_CONVERSIONS);
    for (uint32_t k = 0; k < n->n_conversion; k++) {
      CHECK(n->eta_conversion[k], 0, 1, "eta_conversion", i);
      CHECK(n->conversion_noise[k], 0, INFINITY, "conversion_noise", i);
    }
    CHECK(n->eta_optics, 0, 1, "eta_optics", i);
    CHECK(n->eta_det, 0, 1, "eta_det", i);
    CHECK(n->fibre_length_m, 0, INFINITY, "fibre_length_m", i);
    CHECK(n->attenuation_db_per_km, 0, INFINITY, "attenuation_db_per_km", i);
    CHECK(n->prep_time_s, 0, INFINITY, "prep_time_s", i);
    CHECK(n->g2, 0, 1, "g2", i);
    if (!(n->memory.t1_s > 0) || !(n->memory.t2_s > 0) ||
        n->memory.t2_s > 2.0 * n->memory.t1_s * (1 + 1e-12))
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "link end %d: memory T1 = %g s, T2 = %g s (need T1, T2 > 0 and "
                           "T2 <= 2 T1)",
                           i, n->memory.t1_s, n->memory.t2_s);
    if (lp->protocol == TSR_PROTOCOL_SINGLE_CLICK) CHECK(n->bright_alpha, 0, 1, "bright_alpha", i);
    if (lp->protocol == TSR_PROTOCOL_REFLECTION) {
      CHECK(n->reflectivity, 0, 1, "reflectivity", i);
      CHECK(n->reflect_fidelity, 0, 1, "reflect_fidelity", i);
    }
  }
  if (!(lp->group_index >= 1.0) || isinf(lp->group_index))
    return tsr_error_set(err, TSR_ERR_VALUE, "link: group index %g must be a number >= 1",
                         lp->group_index);
  CHECK(lp->hom_visibility, 0, 1, "hom_visibility", -1);
  CHECK(lp->phase_noise_rad, 0, INFINITY, "phase_noise_rad", -1);
  CHECK(lp->dark_count_rate_hz, 0, INFINITY, "dark_count_rate_hz", -1);
  CHECK(lp->detection_window_s, 0, INFINITY, "detection_window_s", -1);
  CHECK(lp->source_efficiency, 0, 1, "source_efficiency", -1);
  CHECK(lp->source_g2, 0, 1, "source_g2", -1);
  CHECK(lp->attempt_period_s, 0, INFINITY, "attempt_period_s", -1);
  if (!(lp->duty_cycle > 0 && lp->duty_cycle <= 1))
    return tsr_error_set(err, TSR_ERR_VALUE, "link: duty cycle %g is outside (0, 1]",
                         lp->duty_cycle);
  if (lp->multiplexing < 1)
    return tsr_error_set(err, TSR_ERR_VALUE, "link: multiplexing must be at least 1 mode");
#undef CHECK
  return TSR_OK;
}

/* ---------------------------------------------------------------- protocols */

/* Heralds from the protocol's photons (weight *p_true, state *s_true; p_multi
 * of it with a two-photon emission) and from false clicks (weight *p_false,
 * state *s_false), per mode and attempt. */
typedef struct herald {
  double p_true, p_multi, p_false;
  tsr_bell s_true, s_false;
} herald;

/* Probability that an emission holds two photons: g2(0) = 2 P2 / <n>^2 with
 * <n> ~ 1 per emission, to leading order in g2 (docs/link-physics.md §7). */
static double two_photon_fraction(double g2) {
  return 0.5 * g2;
}

/* Full dephasing of one half (Z with probability 1/2): the coherence between
 * |00>, |11> (and |01>, |10>) is lost: Phi+ <-> Phi-, Psi+ <-> Psi- averaged. */
static tsr_bell dephased(const tsr_bell *b) {
  double phi = 0.5 * (b->p[TSR_BELL_PHI_PLUS] + b->p[TSR_BELL_PHI_MINUS]);
  double psi = 0.5 * (b->p[TSR_BELL_PSI_PLUS] + b->p[TSR_BELL_PSI_MINUS]);
  return tsr_bell_make(phi, psi, psi, phi);
}

/* s_true <- (p_good s_true + sum of p_k s_k) / total, for the multi-photon
 * heralds' weights p[k] and states s[k]; p_true and p_multi updated. */
static void add_multi(herald *h, const double *p, const tsr_bell *s, int n) {
  double multi = 0;
  for (int k = 0; k < n; k++) multi += p[k];
  if (!(multi > 0)) return;
  double total = h->p_true + multi;
  tsr_bell mix;
  for (int j = 0; j < 4; j++) {
    double acc = h->p_true * h->s_true.p[j];
    for (int k = 0; k < n; k++) acc += p[k] * s[k].p[j];
    mix.p[j] = acc / total;
  }
  h->s_true = mix;
  h->p_true = total;
  h->p_multi = multi;
}

static void two_photon(const tsr_link_physics *lp, const double eta[2], double d, herald *h) {
  double ea = eta[0], eb = eta[1];
  double v = lp->hom_visibility;
  h->p_true = 0.5 * ea * eb;
  h->s_true = tsr_bell_make(0.5 * (1 + v), 0, 0, 0.5 * (1 - v));
  /* One photon detected (or both bunched into one detector) and a false click
   * in one of the 2 detectors that complete an accepted pattern with it; or
   * false clicks in both detectors of one of the 4 accepted patterns. */
  double one = ea * (1 - eb) + eb * (1 - ea) + 0.5 * ea * eb;
  h->p_false = one * 2.0 * d + (1 - ea) * (1 - eb) * 4.0 * d * d;
  h->s_false = tsr_bell_make(0.25, 0.25, 0.25, 0.25);
  h->p_multi = 0;
  double qa = two_photon_fraction(lp->node[0].g2), qb = two_photon_fraction(lp->node[1].g2);
  if (!(qa > 0 || qb > 0)) return;
  /* Per end, photons reaching the detectors: one from a single emission (s),
   * one of a pair (m1), both of a pair (m2), none (z). A spare photon (lost
   * or detected) reveals its memory's state and dephases the pair; two
   * photons of one end with none of the other leave the other memory
   * unentangled (1/4). Three or more photons are taken to be rejected. The
   * BSM accepts a two-photon pattern with probability 1/2 either way. */
  double sa = (1 - qa) * ea, sb = (1 - qb) * eb;
  double m1a = 2 * qa * ea * (1 - ea), m1b = 2 * qb * eb * (1 - eb);
  double m2a = qa * ea * ea, m2b = qb * eb * eb;
  double za = (1 - qa) * (1 - ea) + qa * (1 - ea) * (1 - ea);
  double zb = (1 - qb) * (1 - eb) + qb * (1 - eb) * (1 - eb);
  h->p_true = 0.5 * sa * sb;
  double p[2] = {0.5 * (m1a * sb + sa * m1b + m1a * m1b), 0.5 * (m2a * zb + za * m2b)};
  tsr_bell s[2] = {dephased(&h->s_true), tsr_bell_make(0.25, 0.25, 0.25, 0.25)};
  add_multi(h, p, s, 2);
}

static void single_click(const tsr_link_physics *lp, const double eta[2], double d, herald *h) {
  double aa = lp->node[0].bright_alpha, ab = lp->node[1].bright_alpha;
  double ea = eta[0], eb = eta[1];
  /* A bright end emits two photons with probability q (g2/2): a spare photon
   * (lost or detected) tells which end was bright, so those heralds lose the
   * coherence (xm, ym). da, db: a bright end's photons are detected at all. */
  double qa = two_photon_fraction(lp->node[0].g2), qb = two_photon_fraction(lp->node[1].g2);
  double da = (1 - qa) * ea + qa * ea * (2 - ea), db = (1 - qb) * eb + qb * eb * (2 - eb);
  double x = aa * (1 - ab) * ((1 - qa) * ea); /* only A bright, its one photon detected */
  double y = ab * (1 - aa) * ((1 - qb) * eb); /* only B bright, its one photon detected */
  double xm = aa * (1 - ab) * (qa * ea * (2 - ea)), ym = ab * (1 - aa) * (qb * eb * (2 - eb));
  double both = aa * ab * (da + db - da * db);
  double vphi = exp(-0.5 * lp->phase_noise_rad * lp->phase_noise_rad);
  /* After the herald and the Pauli correction the target is Phi+: the
   * single-excitation part gives Phi+/Phi- (imbalance and phase noise), the
   * both-bright part |11> -> Psi+/Psi- equally. */
  double cross = sqrt(x * y) * vphi;
  double pt = x + y + xm + ym + both;
  h->p_true = pt;
  h->p_multi = xm + ym;
  if (pt > 0)
    h->s_true = tsr_bell_make((0.5 * (x + y + xm + ym) + cross) / pt, 0.5 * both / pt,
                              0.5 * both / pt, (0.5 * (x + y + xm + ym) - cross) / pt);
  else
    h->s_true = tsr_bell_perfect();
  /* No photon detected, yet a click: the memories hold an incoherent mixture
   * of |00>, |10>, |01>, |11> that the correction maps onto Psi+/-, Phi+/-. */
  double w00 = (1 - aa) * (1 - ab), w11 = aa * ab * (1 - da) * (1 - db);
  double w10 = aa * (1 - da) * (1 - ab), w01 = (1 - aa) * ab * (1 - db);
  double none = w00 + w11 + w10 + w01;
  h->p_false = none * 2.0 * d;
  if (none > 0)
    h->s_false = tsr_bell_make(0.5 * (w10 + w01) / none, 0.5 * (w00 + w11) / none,
                               0.5 * (w00 + w11) / none, 0.5 * (w10 + w01) / none);
  else
    h->s_false = tsr_bell_make(0.25, 0.25, 0.25, 0.25);
}

/* Round trip of the photon through one end of a reflection link. */
static double reflection_chi(const tsr_link_node *n, double transmission) {
  double conv = conversion_product(n, 0);
  return n->reflectivity * n->eta_coupling * n->eta_coupling * conv * conv * transmission *
         transmission * n->eta_optics;
}

static void reflection(const tsr_link_physics *lp, const double t[2], double d, herald *h) {
  double chi_a = reflection_chi(&lp->node[0], t[0]);
  double chi_b = reflection_chi(&lp->node[1], t[1]);
  double path = lp->source_efficiency * chi_a * chi_b * lp->node[1].eta_det;
  double q = two_photon_fraction(lp->source_g2);
  h->p_true = (1 - q) * path;
  double w = tsr_werner_param(lp->node[0].reflect_fidelity) *
             tsr_werner_param(lp->node[1].reflect_fidelity);
  h->s_true = tsr_bell_werner(tsr_werner_fidelity(w));
  h->p_multi = 0;
  if (q > 0) {
    /* The source sends two photons with probability q; at least one is
     * detected with 1 - (1 - t)^2. The spare photon, lost or detected, went
     * through the same reflections: in the ideal parity measurement it does
     * no harm, and otherwise it repeats the reflections' noise (w -> w^2). */
    double p = q * path * (2 - path);
    tsr_bell s = tsr_bell_werner(tsr_werner_fidelity(w * w));
    add_multi(h, &p, &s, 1);
  }
  h->p_false = (1 - h->p_true) * 2.0 * d;
  h->s_false = tsr_bell_make(0.25, 0.25, 0.25, 0.25);
}

/* ---------------------------------------------------------------- evaluate */

tsr_status tsr_link_evaluate(const tsr_link_physics *lp, tsr_link_performance *out,
                             tsr_error *err) {
  tsr_status st = check_physics(lp, err);
  if (st) return st;
  tsr_link_performance r = {0};
  double noise = 0;
  for (int i = 0; i < 2; i++) {
    const tsr_link_node *n = &lp->node[i];
    r.transmission[i] = tsr_link_fibre_transmission(n->fibre_length_m, n->attenuation_db_per_km);
    r.delay_s[i] = tsr_link_fibre_delay(n->fibre_length_m, lp->group_index);
    r.eta[i] = tsr_link_node_efficiency(n);
    noise += detected_noise(n, r.transmission[i]);
  }
  int detectors = lp->protocol == TSR_PROTOCOL_TWO_PHOTON ? 4 : 2;
  double mean_false = lp->dark_count_rate_hz * lp->detection_window_s + noise / detectors;
  double d = -expm1(-mean_false);
  if (lp->protocol == TSR_PROTOCOL_IDEAL) d = 0;
  r.p_false_click = d;

  herald h;
  switch (lp->protocol) {
  case TSR_PROTOCOL_TWO_PHOTON:
    two_photon(lp, r.eta, d, &h);
    break;
  case TSR_PROTOCOL_SINGLE_CLICK:
    single_click(lp, r.eta, d, &h);
    break;
  case TSR_PROTOCOL_REFLECTION:
    reflection(lp, r.transmission, d, &h);
    break;
  default:
    h.p_true = 1.0;
    h.p_multi = 0.0;
    h.p_false = 0.0;
    h.s_true = h.s_false = tsr_bell_perfect();
    break;
  }
  r.p_true = h.p_true;
  r.p_multi = h.p_multi;
  r.p_false = h.p_false;
  r.p_mode = h.p_true + h.p_false;
  if (r.p_mode > 1) r.p_mode = 1;
  r.p_attempt = r.p_mode >= 1 ? 1.0 : -expm1((double)lp->multiplexing * log1p(-r.p_mode));

  /* Heralded state before storage: genuine and false heralds mixed. */
  tsr_bell mixed = h.s_true;
  double total = h.p_true + h.p_false;
  if (total > 0)
    for (int k = 0; k < 4; k++)
      mixed.p[k] = (h.p_true * h.s_true.p[k] + h.p_false * h.s_false.p[k]) / total;

  /* Timing: the slower end prepares, the photons fly to the station (timed to
   * arrive together), the herald flies back. */
  double prep = fmax(lp->node[0].prep_time_s, lp->node[1].prep_time_s);
  double da = r.delay_s[0], db = r.delay_s[1];
  if (lp->protocol == TSR_PROTOCOL_REFLECTION) {
    /* station -> A -> station -> B -> station, then the herald to both. */
    r.herald_wait_s[0] = 2 * da + 2 * db;
    r.herald_wait_s[1] = 2 * db;
    r.attempt_period_s = prep + 2 * da + 2 * db + fmax(da, db);
  } else {
    r.herald_wait_s[0] = 2 * da;
    r.herald_wait_s[1] = 2 * db;
    r.attempt_period_s = prep + 2 * fmax(da, db);
  }
  if (lp->attempt_period_s > 0) r.attempt_period_s = lp->attempt_period_s;
  if (!(r.attempt_period_s > 0))
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "link: the attempt period is zero (no preparation time, no fibre and "
                         "no attempt_period_s given)");
  r.attempt_rate_hz = 1.0 / r.attempt_period_s;
  r.duty_cycle = lp->duty_cycle;
  r.rate_hz = r.p_attempt * r.attempt_rate_hz * r.duty_cycle;
  r.mean_latency_s = r.p_attempt > 0 ? r.attempt_period_s / (r.p_attempt * r.duty_cycle) : INFINITY;

  st = tsr_bell_decohere(&mixed, &lp->node[0].memory, r.herald_wait_s[0], &lp->node[1].memory,
                         r.herald_wait_s[1], &r.state, err);
  if (st) return st;
  r.fidelity = r.state.p[0];
  *out = r;
  return TSR_OK;
}

/* ---------------------------------------------------------------- latency */

static double effective_period(const tsr_link_performance *perf) {
  return perf->attempt_period_s / perf->duty_cycle;
}

double tsr_link_latency_cdf(const tsr_link_performance *perf, double t_s) {
  if (!(perf->p_attempt > 0)) return 0.0;
  if (!(t_s > 0)) return 0.0;
  double k = floor(t_s / effective_period(perf) * (1 + 1e-12));
  if (perf->p_attempt >= 1) return k >= 1 ? 1.0 : 0.0;
  return -expm1(k * log1p(-perf->p_attempt));
}

double tsr_link_latency_quantile(const tsr_link_performance *perf, double q) {
  if (!(perf->p_attempt > 0) || !(q < 1)) return INFINITY;
  double k = 1;
  if (q > 0 && perf->p_attempt < 1) k = fmax(1.0, ceil(log1p(-q) / log1p(-perf->p_attempt)));
  return k * effective_period(perf);
}

double tsr_link_latency_sample(const tsr_link_performance *perf, tsr_rng *rng) {
  if (!(perf->p_attempt > 0)) return INFINITY;
  uint64_t k = tsr_rng_geometric(rng, perf->p_attempt);
  if (k == UINT64_MAX) return INFINITY;
  return (double)k * effective_period(perf);
}

/* ---------------------------------------------------------------- JSON */

static void json_pair(tsr_json *j, const char *key, const double v[2]) {
  tsr_json_key(j, key);
  tsr_json_array_begin(j);
  tsr_json_double(j, v[0]);
  tsr_json_double(j, v[1]);
  tsr_json_array_end(j);
}

void tsr_link_performance_write_json(const tsr_link_performance *p, tsr_json *j) {
  tsr_json_object_begin(j);
  json_pair(j, "eta", p->eta);
  json_pair(j, "transmission", p->transmission);
  json_pair(j, "delay_s", p->delay_s);
  tsr_json_kv_double(j, "p_false_click", p->p_false_click);
  tsr_json_kv_double(j, "p_true", p->p_true);
  tsr_json_kv_double(j, "p_multi", p->p_multi);
  tsr_json_kv_double(j, "p_false", p->p_false);
  tsr_json_kv_double(j, "p_mode", p->p_mode);
  tsr_json_kv_double(j, "p_attempt", p->p_attempt);
  tsr_json_kv_double(j, "attempt_period_s", p->attempt_period_s);
  tsr_json_kv_double(j, "attempt_rate_hz", p->attempt_rate_hz);
  tsr_json_kv_double(j, "duty_cycle", p->duty_cycle);
  tsr_json_kv_double(j, "rate_hz", p->rate_hz);
  tsr_json_kv_double(j, "mean_latency_s", p->mean_latency_s);
  json_pair(j, "herald_wait_s", p->herald_wait_s);
  tsr_json_key(j, "state");
  tsr_json_object_begin(j);
  tsr_json_kv_double(j, "phi_plus", p->state.p[TSR_BELL_PHI_PLUS]);
  tsr_json_kv_double(j, "psi_plus", p->state.p[TSR_BELL_PSI_PLUS]);
  tsr_json_kv_double(j, "psi_minus", p->state.p[TSR_BELL_PSI_MINUS]);
  tsr_json_kv_double(j, "phi_minus", p->state.p[TSR_BELL_PHI_MINUS]);
  tsr_json_object_end(j);
  tsr_json_kv_double(j, "fidelity", p->fidelity);
  tsr_json_object_end(j);
}
