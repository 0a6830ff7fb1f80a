/* Tessera link layer: the physics of photonic links between quantum memories.
 * Bell-diagonal pair states and Werner algebra, two-qubit density matrices,
 * entanglement swapping, BBPSSW and DEJMPS purification with recurrence and
 * pumping schedules, memory decoherence (T1/T2) and cutoffs, fibre loss and
 * delay, the per-node efficiency chain, heralded generation by the
 * two-photon, single-click and reflection protocols, attempt period, rate and
 * latency. Every equation, with its citation, is in docs/link-physics.md.
 * Knows of core and arch (whose protocol names and coherence record it uses;
 * everything else takes a plain tsr_link_physics, so the formulas do not need
 * a machine model).
 *
 * Units: seconds, metres, hertz, radians; fibre attenuation in dB/km (the one
 * exception, named _db_per_km); probabilities, efficiencies and fidelities in
 * [0, 1]. Coherence times may be INFINITY (no decay).
 *
 * Pair convention. A pair is qubit A (first, the more significant bit of the
 * computational index |ab>) and qubit B. The target state is
 * |Phi+> = (|00> + |11>)/sqrt2. Bell-diagonal coefficients are stored in the
 * order Phi+, Psi+, Psi-, Phi-, which is the order of the Pauli error on one
 * half relative to Phi+: I, X, Y, Z (|Psi+> = X_A|Phi+>, |Psi-> ~ Y_A|Phi+>,
 * |Phi-> = Z_A|Phi+>). The fidelity of a pair is its Phi+ coefficient. */
#ifndef TESSERA_LINK_H
#define TESSERA_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/arch.h"
#include "tessera/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ Bell states */

enum {
  TSR_BELL_PHI_PLUS = 0,  /* I error */
  TSR_BELL_PSI_PLUS = 1,  /* X error */
  TSR_BELL_PSI_MINUS = 2, /* Y error */
  TSR_BELL_PHI_MINUS = 3  /* Z error */
};

/* A Bell-diagonal two-qubit state: sum_k p[k] |B_k><B_k|. */
typedef struct tsr_bell {
  double p[4];
} tsr_bell;

/* The perfect pair |Phi+>. */
tsr_bell tsr_bell_perfect(void);
/* The Werner state of fidelity F: F |Phi+><Phi+| + (1-F)/3 (the rest).
 * F outside [0, 1] gives NaN coefficients (tsr_bell_check rejects them). */
tsr_bell tsr_bell_werner(double fidelity);
/* A Bell-diagonal state from four coefficients (copied as given). */
tsr_bell tsr_bell_make(double phi_plus, double psi_plus, double psi_minus, double phi_minus);
/* Fidelity with |Phi+>: p[0]. */
double tsr_bell_fidelity(const tsr_bell *b);
/* Werner parameter w = (4F - 1)/3 and back, F = (1 + 3w)/4. A Werner state
 * is w |Phi+><Phi+| + (1 - w) I/4. */
double tsr_werner_param(double fidelity);
double tsr_werner_fidelity(double werner_param);
/* The Werner state with the same fidelity (the result of a random bilateral
 * rotation, "twirl", as in BBPSSW). */
tsr_bell tsr_bell_twirl(const tsr_bell *b);
/* TSR_OK when every coefficient is finite, in [0, 1] (to 1e-12) and they sum
 * to 1 (to 1e-9); TSR_ERR_VALUE with the offending numbers otherwise. */
tsr_status tsr_bell_check(const tsr_bell *b, tsr_error *err);
/* Applies a Pauli channel to one half of the pair: with probability q[k] the
 * Pauli I, X, Y, Z (k = 0..3). On a Bell-diagonal state it does not matter
 * which half. q must be a probability vector. */
tsr_bell tsr_bell_pauli_channel(const tsr_bell *b, const double q[4]);
/* Depolarizes one half: with probability p the qubit is replaced by I/2
 * (the Pauli channel q = (1 - 3p/4, p/4, p/4, p/4)). */
tsr_bell tsr_bell_depolarize(const tsr_bell *b, double p);

/* -------------------------------------------------- two-qubit density matrix */

/* A two-qubit density matrix in the basis |00>, |01>, |10>, |11> (qubit A is
 * the left, more significant bit), row-major: m[row][col]. */
typedef struct tsr_pair_dm {
  double _Complex m[4][4];
} tsr_pair_dm;

/* The density matrix of a Bell-diagonal state (exact). */
void tsr_bell_to_dm(const tsr_bell *b, tsr_pair_dm *rho);
/* The Bell-diagonal part of rho: p[k] = <B_k|rho|B_k>. This is exactly the
 * state after twirling rho over the bilateral Paulis {s x s*}, which leaves
 * the fidelity unchanged; rho's own Bell-diagonal states map to themselves. */
tsr_bell tsr_bell_from_dm(const tsr_pair_dm *rho);
/* <Phi+|rho|Phi+>. */
double tsr_pair_dm_fidelity(const tsr_pair_dm *rho);
/* Trace (real part) of rho. */
double tsr_pair_dm_trace(const tsr_pair_dm *rho);

/* ----------------------------------------------------- swap and purification */

/* Noise of local operations, in the model of Briegel, Duer, Cirac & Zoller,
 * PRL 81, 5932 (1998) (and Duer & Briegel, Rep. Prog. Phys. 70, 1381
 * (2007)): a two-qubit gate is ideal with probability p2 = 1 - gate_error
 * and otherwise replaces its two qubits by the maximally mixed state; a
 * measurement reports the wrong outcome with probability
 * meas_error = 1 - eta. NULL everywhere means perfect operations. */
typedef struct tsr_local_noise {
  double gate_error; /* 1 - p2, in [0, 1] */
  double meas_error; /* 1 - eta, in [0, 1/2] */
} tsr_local_noise;

/* Entanglement swapping: pairs a (A-B1) and b (B2-C), a Bell-state
 * measurement on B1, B2 (CNOT, Hadamard, two Z measurements) and the Pauli
 * correction on C; out is the A-C pair. With perfect operations the Pauli
 * errors compose, so for Werner inputs F = F1 F2 + (1-F1)(1-F2)/3; a noisy
 * BSM depolarizes the output with probability gate_error and each flipped
 * outcome adds an X or Z error. Deterministic (the BSM always succeeds). */
tsr_status tsr_bell_swap(const tsr_bell *a, const tsr_bell *b, const tsr_local_noise *noise,
                         tsr_bell *out, tsr_error *err);

typedef enum tsr_purify_protocol {
  /* Bennett, Brassard, Popescu, Schumacher, Smolin & Wootters, PRL 76, 722
   * (1996): both inputs twirled to Werner form, bilateral CNOT, the target
   * pair measured in Z and kept when the outcomes agree; the kept pair is
   * twirled to Werner form again. */
  TSR_PURIFY_BBPSSW = 0,
  /* Deutsch, Ekert, Jozsa, Macchiavello, Popescu & Sanpera, PRL 77, 2818
   * (1996): no twirl; Alice applies Rx(pi/2) and Bob Rx(-pi/2) to both of
   * their qubits before the bilateral CNOT (this swaps the Psi- and Phi-
   * coefficients), so it works on the full Bell-diagonal state. */
  TSR_PURIFY_DEJMPS = 1
} tsr_purify_protocol;

/* One round of purification: pair a is kept (control), pair b is measured
 * (target). *p_success gets the probability that the outcomes agree (the
 * round succeeds); out the kept pair given success (NaN coefficients when
 * that probability is 0). Either pointer may be NULL. With noise, each
 * side's CNOT and each measurement follow tsr_local_noise. */
tsr_status tsr_purify(tsr_purify_protocol protocol, const tsr_bell *a, const tsr_bell *b,
                      const tsr_local_noise *noise, tsr_bell *out, double *p_success,
                      tsr_error *err);

/* What a schedule step purifies the current pair with. */
typedef enum tsr_purify_partner {
  TSR_PURIFY_RECURRENCE = 0, /* with an identical, independently made copy of the current pair
                                (the recurrence or "symmetric" scheme) */
  TSR_PURIFY_PUMP = 1        /* with a fresh elementary pair (entanglement pumping, Duer,
                                Briegel, Cirac & Zoller, PRA 59, 169 (1999)) */
} tsr_purify_partner;

typedef struct tsr_purify_step {
  tsr_purify_protocol protocol;
  tsr_purify_partner partner;
} tsr_purify_step;

typedef struct tsr_purify_result {
  tsr_bell state;        /* the pair after this step, given success */
  double fidelity;       /* state.p[0] */
  double p_success;      /* of this step */
  double expected_pairs; /* elementary pairs consumed, on average, per pair out of this
                            step, counting failed attempts (which discard everything):
                            recurrence E' = 2E/p, pumping E' = (E + 1)/p */
} tsr_purify_result;

/* Runs a schedule of n_steps steps from the elementary pair. per_step (may be
 * NULL) gets one result per step; final (may be NULL) the last one (the
 * elementary pair itself with p_success 1 and expected_pairs 1 when n_steps
 * is 0). A step whose success probability is 0 is a TSR_ERR_VALUE. */
tsr_status tsr_purify_schedule(const tsr_bell *elementary, const tsr_purify_step *steps,
                               size_t n_steps, const tsr_local_noise *noise,
                               tsr_purify_result *per_step, tsr_purify_result *final,
                               tsr_error *err);

/* ------------------------------------------------------- memory decoherence */

/* Storage for time t_s on one qubit (0 = A, 1 = B) of rho, exactly: amplitude
 * damping towards |0> with gamma = 1 - exp(-t/T1), then pure dephasing that
 * brings the total coherence decay to exp(-t/T2):
 *   rho_01 -> rho_01 exp(-t/T2),  rho_11 -> rho_11 exp(-t/T1).
 * mem NULL, t_s 0 or infinite times mean no change. T2 > 2 T1 is
 * unphysical and a TSR_ERR_VALUE, as are negative or NaN times. */
tsr_status tsr_pair_dm_decohere(tsr_pair_dm *rho, int qubit, const tsr_coherence *mem, double t_s,
                                tsr_error *err);

/* A stored Bell-diagonal pair: qubit A in memory mem_a for t_a_s, qubit B in
 * mem_b for t_b_s (either memory may be NULL: no decay). Computed exactly on
 * the density matrix, then projected back to Bell-diagonal form
 * (tsr_bell_from_dm), which keeps the fidelity exact. Note that amplitude
 * damping on both halves drives the pair to |00>, whose fidelity is 1/2, so
 * the fidelity need not decrease monotonically when T2 < 2 T1 on both sides;
 * on one side, or with pure dephasing, it does. */
tsr_status tsr_bell_decohere(const tsr_bell *in, const tsr_coherence *mem_a, double t_a_s,
                             const tsr_coherence *mem_b, double t_b_s, tsr_bell *out,
                             tsr_error *err);

/* The cutoff time for a pair stored in both memories for the same time: the
 * first storage time at which its fidelity falls to min_fidelity (found to
 * 1e-9 relative by bracketing and bisection). 0 if the pair starts at or below
 * it; INFINITY if it never gets there. */
tsr_status tsr_memory_cutoff(const tsr_bell *initial, const tsr_coherence *mem_a,
                             const tsr_coherence *mem_b, double min_fidelity, double *cutoff_s,
                             tsr_error *err);

/* --------------------------------------------------------------------- fibre */

/* Fibre transmission T = 10^(-alpha L / 10), L in km (length_m / 1000). */
double tsr_link_fibre_transmission(double length_m, double attenuation_db_per_km);
/* One-way delay L n_g / c; group_index <= 0 means TSR_FIBRE_GROUP_INDEX
 * (1.468, about 4.9 us/km). */
double tsr_link_fibre_delay(double length_m, double group_index);

/* ------------------------------------------------------ link physics model */

#define TSR_LINK_MAX_CONVERSIONS (TSR_ARCH_MAX_CONVERSION_STAGES + 1) /* + a transducer */

/* One end of a link: a memory, its photon's path to the station. */
typedef struct tsr_link_node {
  double p_emit;       /* P_emit: a photon is emitted into the useful mode per attempt */
  double eta_collect;  /* collection into the optics (e.g. tsr_collection_from_na) */
  double eta_coupling; /* into the fibre */
  uint32_t n_conversion;
  double eta_conversion[TSR_LINK_MAX_CONVERSIONS];   /* stage efficiencies, in photon order */
  double conversion_noise[TSR_LINK_MAX_CONVERSIONS]; /* noise photons added by each stage per
                                                         attempt (in the detection window) */
  double eta_optics;            /* everything else on the way: filters, switches, station */
  double eta_det;               /* detector efficiency for this end's photons */
  double fibre_length_m;        /* fibre from this end to the station */
  double attenuation_db_per_km; /* of that fibre at the photon's wavelength */
  double prep_time_s;           /* state preparation + excitation + emission, per attempt */
  tsr_coherence memory;         /* the communication qubit (INFINITY: no decay) */
  double bright_alpha;          /* single-click: bright-state population alpha, (0, 1) */
  double reflectivity;          /* reflection: probability the photon is reflected into the
                                   heralding mode by this end's cavity */
  double reflect_fidelity;      /* reflection: fidelity of the spin-photon state made by the
                                   reflection, set by cavity contrast and cooperativity
                                   (tsr_cavity_reflection_from_cooperativity) */
  double g2;                    /* second-order autocorrelation g2(0) of this end's emitted
                                   photons, [0, 1]; 0: ideal single photons. An emission holds
                                   two photons with probability g2/2 (docs/link-physics.md §7) */
} tsr_link_node;

/* Every number the link formulas need; tsr_link_physics_default fills an
 * ideal link that tests and callers then change. */
typedef struct tsr_link_physics {
  tsr_link_protocol protocol; /* from arch.h: two-photon, single-click, reflection, ideal */
  tsr_link_node node[2];
  double group_index;        /* of the fibre; TSR_FIBRE_GROUP_INDEX = 1.468 */
  double hom_visibility;     /* two-photon: Hong-Ou-Mandel visibility V of the photons */
  double phase_noise_rad;    /* single-click: RMS optical phase error between the arms */
  double dark_count_rate_hz; /* per detector */
  double detection_window_s; /* per attempt */
  double source_efficiency;  /* reflection: photon source at the station, into the fibre */
  double source_g2;          /* reflection: g2(0) of that source, [0, 1] (a weak coherent
                                pulse has 1); 0: ideal single photons */
  double attempt_period_s;   /* 0: derived (see tsr_link_evaluate) */
  double duty_cycle;         /* fraction of wall time spent attempting, (0, 1] */
  uint32_t multiplexing;     /* independent modes tried per attempt, >= 1 */
} tsr_link_physics;

/* An ideal two-photon link of zero length: every efficiency 1, V = 1, no dark
 * counts or noise, perfect memories, duty cycle 1, one mode, fibre at
 * 0.2 dB/km (standard SMF-28 at 1550 nm, physics/README §3 [U]), group index
 * 1.468 (physics/README §1), 1 us preparation per attempt (the nominal period
 * arch uses when a link gives none [U]), bright_alpha 0.05, reflectivity 1,
 * reflect_fidelity 1, source_efficiency 1, g2 0 (ideal single photons). */
void tsr_link_physics_default(tsr_link_physics *lp);

/* Fills lp from link link_index of a machine: protocol, visibility,
 * multiplexing, attempt period, detector (efficiency, dark counts, window)
 * from the link; per end, the module's photon interface (emission
 * probability, collection, emission time, g2; a transducer becomes the first
 * conversion stage; a cavity's reflectivity and fidelity, given or derived
 * with tsr_cavity_reflection_from_cooperativity), the end's conversion
 * stages, arm length and attenuation,
 * and the module's communication-qubit coherence. What the machine model
 * does not describe keeps tsr_link_physics_default's value (fibre coupling
 * and other optics 1: arch folds them into the collection efficiency; phase
 * noise 0; duty cycle 1). */
tsr_status tsr_link_physics_from_arch(const tsr_arch *arch, size_t link_index, tsr_link_physics *lp,
                                      tsr_error *err);

/* Reflection off a one-sided cavity holding a spin, on resonance (Reiserer &
 * Rempe, Rev. Mod. Phys. 87, 1379 (2015)): amplitude reflection
 * coefficients r_on = 1 - 2 k_in/k / (1 + 2C) for the spin state that couples
 * to the cavity and r_off = 1 - 2 k_in/k for the one that does not (an empty
 * cavity), with C = g^2 / (2 k gamma) the cooperativity and k_in/k the
 * fraction of the cavity's field decay through the port the photon uses.
 * In the reflection-contrast scheme of the SiV experiments (Nguyen et al.,
 * PRB 100, 165428 (2019); Bhaskar et al., Nature 580, 60 (2020)): a time-bin
 * photon reflects in both bins with a spin flip in between, which leaves
 * r_on |B1> + r_off |B2> with B1, B2 orthogonal maximally entangled
 * spin-photon states. So the photon is reflected with probability
 * R = (r_on^2 + r_off^2)/2, and the spin-photon state has fidelity (after the
 * best local correction, from its concurrence)
 * F = (1 + |r_on^2 - r_off^2| / (r_on^2 + r_off^2)) / 2 = max(c, 1)/(1 + c)
 * with contrast c = r_on^2 / r_off^2. C = 0: r_on = r_off, F = 1/2, no
 * entanglement; C -> inf at k_in/k = 1/2 (critical coupling): r_on -> 1,
 * r_off = 0, infinite contrast, F = 1, R -> 1/2. */
typedef struct tsr_cavity_reflection {
  double r_on, r_off;  /* amplitude reflection coefficients (real on resonance) */
  double contrast;     /* r_on^2 / r_off^2; INFINITY when r_off = 0 (NaN when both are) */
  double reflectivity; /* R = (r_on^2 + r_off^2)/2: tsr_link_node.reflectivity */
  double fidelity;     /* F above (1/2 when R = 0): tsr_link_node.reflect_fidelity */
} tsr_cavity_reflection;

/* The above from cooperativity >= 0 (may be INFINITY) and in_coupling = k_in/k
 * in [0, 1]; anything else is a TSR_ERR_VALUE. */
tsr_status tsr_cavity_reflection_from_cooperativity(double cooperativity, double in_coupling,
                                                    tsr_cavity_reflection *out, tsr_error *err);

/* Efficiency chain of one end, photon emitted to click:
 * eta = P_emit eta_collect eta_coupling prod(eta_conversion) T_fibre eta_optics eta_det. */
double tsr_link_node_efficiency(const tsr_link_node *node);

/* What a link delivers. */
typedef struct tsr_link_performance {
  double eta[2];           /* per-end efficiency chain (tsr_link_node_efficiency) */
  double transmission[2];  /* per-end fibre transmission */
  double delay_s[2];       /* per-end one-way fibre delay to the station */
  double p_false_click;    /* per detector per attempt: dark count or noise photon */
  double p_true;           /* per mode per attempt: a herald from the protocol's photons
                              (no false click), multi-photon heralds included */
  double p_multi;          /* the part of p_true in which an emission of two photons took
                              part (0 when every g2 is 0) */
  double p_false;          /* per mode per attempt: a herald involving a false click */
  double p_mode;           /* p_true + p_false */
  double p_attempt;        /* per attempt, all modes: 1 - (1 - p_mode)^M */
  double attempt_period_s; /* given or derived */
  double attempt_rate_hz;  /* 1 / attempt_period_s */
  double duty_cycle;
  double rate_hz;          /* p_attempt * attempt_rate_hz * duty_cycle */
  double mean_latency_s;   /* attempt_period_s / (p_attempt * duty_cycle) */
  double herald_wait_s[2]; /* time each end's memory holds its half before the herald */
  tsr_bell state;          /* the heralded pair when the herald reaches both ends */
  double fidelity;         /* state.p[0] */
} tsr_link_performance;

/* Evaluates a link (docs/link-physics.md §5-§7):
 *   two-photon    p_true = eta_A eta_B / 2; state (1+V)/2 Phi+ + (1-V)/2 Phi-;
 *   single-click  p_true = alpha_A(1-alpha_B)eta_A + alpha_B(1-alpha_A)eta_B
 *                          + alpha_A alpha_B (eta_A + eta_B - eta_A eta_B) (~ 2 alpha eta),
 *                 F ~ (1 - alpha)(1 + exp(-sigma^2/2))/2;
 *   reflection    p_true = eta_src chi_A chi_B eta_det with chi the round trip
 *                 to each cavity; Werner parameters of the two reflections multiply;
 *   ideal         p_true = 1, |Phi+>;
 * with multi-photon emission (g2 > 0; docs/link-physics.md §7) adding
 * heralds that carry no or dephased entanglement (p_multi, inside p_true);
 * mixed with the false heralds from dark counts and noise photons, then
 * stored in each end's memory until the herald arrives. The attempt period,
 * unless given, is max(prep_time) + 2 max(delay) (station between the ends:
 * photon flight to it and herald flight back; the reflection protocol's photon
 * visits both ends: max(prep) + 2(delay_A + delay_B) + max(delay)). Parameters
 * out of range are a TSR_ERR_VALUE naming the parameter; a link that can
 * never herald (p_attempt 0) is fine: rate 0, latency INFINITY. */
tsr_status tsr_link_evaluate(const tsr_link_physics *lp, tsr_link_performance *out, tsr_error *err);

/* Waiting time for a heralded pair: the number of attempts K is geometric
 * with success p_attempt, and the time is K * attempt_period_s / duty_cycle.
 * The CDF P(time <= t); the q-quantile (smallest such time with CDF >= q,
 * q in [0, 1)); and a sample drawn with rng. INFINITY when p_attempt is 0. */
double tsr_link_latency_cdf(const tsr_link_performance *perf, double t_s);
double tsr_link_latency_quantile(const tsr_link_performance *perf, double q);
double tsr_link_latency_sample(const tsr_link_performance *perf, tsr_rng *rng);

/* Writes the performance as one JSON object (the field names above, the
 * state as {"phi_plus", "psi_plus", "psi_minus", "phi_minus"}). */
void tsr_link_performance_write_json(const tsr_link_performance *perf, tsr_json *j);

#ifdef __cplusplus
}
#endif
#endif
