/* Tessera sim layer: the state backends that every figure Tessera reports
 * rests on.
 *
 *   tsr_statevec  state vector, 2^n complex amplitudes (double, or float as an
 *                 option), 64-byte aligned, OpenMP-parallel SIMD kernels;
 *   tsr_densmat   density matrix, 4^n complex entries (exact noise);
 *   tsr_tableau   stabilizer tableau (Aaronson-Gottesman, bit-packed), for
 *                 Clifford circuits with measurement, reset and Pauli noise;
 *   tsr_channel   noise channels (Kraus form) and tsr_noise_model, the noise
 *                 attached per gate kind and qubit (from a YAML file now, from
 *                 the machine model later);
 *   tsr_sim_run   the runner: a circuit, shots, a seed, a backend and a noise
 *                 model in, sorted counts (and optionally the final state) out;
 *   tsr_sim_backend  the function table the runner drives, so that MPI or GPU
 *                 backends can slot in beside the three here.
 *
 * Conventions (the same as the circuit layer's):
 *   - basis-state index bit k is qubit k: qubit 0 is the least significant bit
 *     (Qiskit's convention). Printed bitstrings put qubit (or clbit) 0
 *     rightmost.
 *   - a k-qubit matrix acting on operands (q0, ..., q_{k-1}) is row-major,
 *     4^k entries, and its local index bit j is operand j (tsr_gate_matrix's
 *     convention).
 *   - a density matrix entry rho(r, c) lives at index r + c * 2^n (column-major
 *     vectorisation); it is then a state vector of 2n "qubits" on which a gate
 *     U on qubit q acts as U on q and conj(U) on q + n.
 *   - Pauli strings are written as labels "XIZ" with qubit 0 rightmost (a label
 *     shorter than the register leaves the high qubits as I), or sparsely as
 *     "X0 Z2" / "X0*Z2" (operator then qubit index); an optional leading '+'
 *     or '-' gives the sign.
 *   - randomness only through tsr_rng; the runner gives shot i the stream i of
 *     the seed, and every reduction sums in fixed blocks, so the same seed
 *     gives the same counts at every thread count.
 *
 * Nothing here prints, exits or reads the environment. Every fallible
 * function returns a tsr_status and fills the tsr_error passed (may be NULL).
 * Objects are not thread-safe: use one object per thread (the kernels
 * themselves run in parallel inside). */
#ifndef TESSERA_SIM_H
#define TESSERA_SIM_H

#include <complex.h>
#include <stdint.h>

#include "tessera/circuit.h"
#include "tessera/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ options */

typedef enum tsr_precision {
  TSR_PRECISION_DOUBLE = 0, /* complex double: 16 bytes per amplitude */
  TSR_PRECISION_FLOAT       /* complex float: 8 bytes (state vector only) */
} tsr_precision;

/* Options every backend object is created with. Zero-initialised options
 * (or NULL) mean: double precision, OpenMP's default thread count, refuse a
 * state larger than the memory available now. */
typedef struct tsr_state_options {
  tsr_precision precision;
  int threads;           /* kernel threads; 0: OpenMP's default */
  uint64_t memory_limit; /* bytes a state may take; 0: the memory available */
} tsr_state_options;

/* Bytes a state of nqubits takes: 2^n amplitudes for a state vector, 4^n
 * entries for a density matrix; UINT64_MAX when that overflows. */
uint64_t tsr_statevec_bytes(unsigned nqubits, tsr_precision precision);
uint64_t tsr_densmat_bytes(unsigned nqubits);

/* Name of the SIMD kernels this machine runs ("avx512", "avx2" or "scalar"). */
const char *tsr_sim_simd_name(void);

/* -------------------------------------------------------- state vector */

typedef struct tsr_statevec tsr_statevec;

/* A state vector of nqubits in |0...0>. Refused with TSR_ERR_LIMIT (a message
 * naming the qubits, the bytes needed and the bytes available) before any
 * allocation when it does not fit. opts may be NULL. */
tsr_statevec *tsr_statevec_new(unsigned nqubits, const tsr_state_options *opts, tsr_error *err);
void tsr_statevec_free(tsr_statevec *sv);
/* Deep copy (same options). */
tsr_statevec *tsr_statevec_clone(const tsr_statevec *sv, tsr_error *err);
/* Copies src's amplitudes into dst (same qubit count and precision). */
tsr_status tsr_statevec_copy(tsr_statevec *dst, const tsr_statevec *src, tsr_error *err);

unsigned tsr_statevec_qubits(const tsr_statevec *sv);
uint64_t tsr_statevec_dim(const tsr_statevec *sv); /* 2^n */
tsr_precision tsr_statevec_precision(const tsr_statevec *sv);
/* Kernel threads (0: OpenMP's default). */
void tsr_statevec_set_threads(tsr_statevec *sv, int threads);
/* The amplitudes in place: dim interleaved (re, im) pairs of double (or float
 * with TSR_PRECISION_FLOAT), 64-byte aligned, index bit k = qubit k. Writing
 * through it is allowed; keep the state normalised. */
void *tsr_statevec_data(tsr_statevec *sv);
const void *tsr_statevec_data_const(const tsr_statevec *sv);

/* Sets the basis state |index>. */
tsr_status tsr_statevec_set_basis(tsr_statevec *sv, uint64_t index, tsr_error *err);
/* Sets all amplitudes from amps[0 .. dim); with normalise nonzero they are
 * divided by their norm, otherwise their norm must be 1 within 1e-9. */
tsr_status tsr_statevec_set_amplitudes(tsr_statevec *sv, const double complex *amps, uint64_t dim,
                                       int normalise, tsr_error *err);
/* Amplitude and probability of one basis state (0 for an index out of range). */
double complex tsr_statevec_amplitude(const tsr_statevec *sv, uint64_t index);
/* Copies all amplitudes (converted to double) into out[0 .. dim). */
void tsr_statevec_get_amplitudes(const tsr_statevec *sv, double complex *out);

/* Applies a catalogue gate (tsr_gate_matrix's operand order). The kernel is
 * chosen from the matrix's structure: permutations (x, cx, ccx, swap, ...)
 * move amplitudes without multiplying, diagonal and controlled-phase gates
 * touch only the amplitudes they change, controlled gates only the
 * controlled subspace, everything else a dense 1-, 2- or k-qubit kernel.
 * Measure, reset and barrier are not gates here; opaque gates fail. */
tsr_status tsr_statevec_apply_gate(tsr_statevec *sv, tsr_gate kind, const uint32_t *qubits,
                                   uint32_t nqubits, const double *params, tsr_error *err);
/* Applies any k-qubit unitary (row-major, 4^k entries, operand j = local bit
 * j; k <= 10). A matrix that is not unitary within 1e-8 is rejected with a
 * message naming name (may be NULL) and the distance from unitarity. */
tsr_status tsr_statevec_apply_matrix(tsr_statevec *sv, const uint32_t *qubits, uint32_t k,
                                     const double complex *matrix, const char *name,
                                     tsr_error *err);
/* Multiplies by a diagonal unitary diag[0 .. 2^k) on qubits (local bit j =
 * qubits[j]); each entry must have modulus 1 within 1e-8. */
tsr_status tsr_statevec_apply_diagonal(tsr_statevec *sv, const uint32_t *qubits, uint32_t k,
                                       const double complex *diag, tsr_error *err);
/* Applies the 2x2 unitary u to target when every control is |1>. */
tsr_status tsr_statevec_apply_controlled(tsr_statevec *sv, const uint32_t *controls,
                                         uint32_t ncontrols, uint32_t target,
                                         const double complex u[4], tsr_error *err);

/* Probability that measuring qubit gives 1. */
double tsr_statevec_prob_one(const tsr_statevec *sv, uint32_t qubit);
/* Measures qubit in the computational basis with rng, collapses and
 * renormalises the state; *outcome gets 0 or 1. */
tsr_status tsr_statevec_measure(tsr_statevec *sv, uint32_t qubit, tsr_rng *rng, int *outcome,
                                tsr_error *err);
/* Projects qubit onto outcome and renormalises; fails (TSR_ERR_VALUE) when
 * that outcome has probability below 1e-14. */
tsr_status tsr_statevec_collapse(tsr_statevec *sv, uint32_t qubit, int outcome, tsr_error *err);
/* Resets qubit to |0> (measure, then flip on 1). */
tsr_status tsr_statevec_reset(tsr_statevec *sv, uint32_t qubit, tsr_rng *rng, tsr_error *err);

/* Sum of |amplitude|^2 (1 for a valid state). */
double tsr_statevec_norm(const tsr_statevec *sv);
/* Marginal probabilities of qubits[0 .. k) into out[0 .. 2^k) (local bit j =
 * qubits[j]; k <= 24). k = n with qubits 0..n-1 in order gives every basis
 * state's probability. */
tsr_status tsr_statevec_probabilities(const tsr_statevec *sv, const uint32_t *qubits, uint32_t k,
                                      double *out, tsr_error *err);
/* <psi| P |psi> for a Pauli string (see the conventions above). */
tsr_status tsr_statevec_expectation(const tsr_statevec *sv, const char *pauli, double *out,
                                    tsr_error *err);
/* <a|b> and |<a|b>|^2 of two states of the same size. */
tsr_status tsr_statevec_inner(const tsr_statevec *a, const tsr_statevec *b, double complex *out,
                              tsr_error *err);
tsr_status tsr_statevec_fidelity(const tsr_statevec *a, const tsr_statevec *b, double *out,
                                 tsr_error *err);
/* Draws shots samples of the full basis index from |amplitude|^2 without
 * changing the state: sample i uses the generator (seed, first_stream + i),
 * so results do not depend on the thread count. out has room for shots
 * indices. */
tsr_status tsr_statevec_sample(const tsr_statevec *sv, uint64_t shots, uint64_t seed,
                               uint64_t first_stream, uint64_t *out, tsr_error *err);

/* ------------------------------------------------------ density matrix */

typedef struct tsr_densmat tsr_densmat;

/* A density matrix of nqubits in |0...0><0...0| (4^n complex doubles; about
 * 14 qubits fit in 4 GiB). Refused like a state vector when too large. */
tsr_densmat *tsr_densmat_new(unsigned nqubits, const tsr_state_options *opts, tsr_error *err);
void tsr_densmat_free(tsr_densmat *dm);
tsr_densmat *tsr_densmat_clone(const tsr_densmat *dm, tsr_error *err);
tsr_status tsr_densmat_copy(tsr_densmat *dst, const tsr_densmat *src, tsr_error *err);
/* |psi><psi| of a state vector. */
tsr_densmat *tsr_densmat_from_statevec(const tsr_statevec *sv, const tsr_state_options *opts,
                                       tsr_error *err);

unsigned tsr_densmat_qubits(const tsr_densmat *dm);
void tsr_densmat_set_threads(tsr_densmat *dm, int threads);
/* The entries in place: rho(r, c) at index r + c * 2^n, interleaved doubles. */
double complex *tsr_densmat_data(tsr_densmat *dm);
const double complex *tsr_densmat_data_const(const tsr_densmat *dm);
double complex tsr_densmat_element(const tsr_densmat *dm, uint64_t row, uint64_t col);

/* As the state vector's, acting as U rho U^dagger. */
tsr_status tsr_densmat_apply_gate(tsr_densmat *dm, tsr_gate kind, const uint32_t *qubits,
                                  uint32_t nqubits, const double *params, tsr_error *err);
tsr_status tsr_densmat_apply_matrix(tsr_densmat *dm, const uint32_t *qubits, uint32_t k,
                                    const double complex *matrix, const char *name, tsr_error *err);

double tsr_densmat_trace(const tsr_densmat *dm);  /* real part of Tr rho */
double tsr_densmat_purity(const tsr_densmat *dm); /* Tr rho^2 */
double tsr_densmat_prob_one(const tsr_densmat *dm, uint32_t qubit);
tsr_status tsr_densmat_measure(tsr_densmat *dm, uint32_t qubit, tsr_rng *rng, int *outcome,
                               tsr_error *err);
tsr_status tsr_densmat_collapse(tsr_densmat *dm, uint32_t qubit, int outcome, tsr_error *err);
/* Resets qubit to |0> exactly (the channel rho -> |0><0| (x) Tr_qubit rho). */
tsr_status tsr_densmat_reset(tsr_densmat *dm, uint32_t qubit, tsr_error *err);
tsr_status tsr_densmat_probabilities(const tsr_densmat *dm, const uint32_t *qubits, uint32_t k,
                                     double *out, tsr_error *err);
/* Tr(rho P). */
tsr_status tsr_densmat_expectation(const tsr_densmat *dm, const char *pauli, double *out,
                                   tsr_error *err);
/* <psi| rho |psi>: the fidelity with a pure state. */
tsr_status tsr_densmat_fidelity_pure(const tsr_densmat *dm, const tsr_statevec *sv, double *out,
                                     tsr_error *err);
/* Uhlmann fidelity (Tr sqrt(sqrt(a) b sqrt(a)))^2 of two density matrices of
 * at most 10 qubits (dense eigendecompositions through LAPACK). */
tsr_status tsr_densmat_fidelity(const tsr_densmat *a, const tsr_densmat *b, double *out,
                                tsr_error *err);
/* Reduced state of qubits keep[0 .. k) (local bit j = keep[j]), tracing out
 * the others. */
tsr_densmat *tsr_densmat_partial_trace(const tsr_densmat *dm, const uint32_t *keep, uint32_t k,
                                       tsr_error *err);
tsr_densmat *tsr_statevec_partial_trace(const tsr_statevec *sv, const uint32_t *keep, uint32_t k,
                                        tsr_error *err);
/* Draws basis indices from the diagonal, as tsr_statevec_sample. */
tsr_status tsr_densmat_sample(const tsr_densmat *dm, uint64_t shots, uint64_t seed,
                              uint64_t first_stream, uint64_t *out, tsr_error *err);

/* ---------------------------------------------------- stabilizer tableau */

typedef struct tsr_tableau tsr_tableau;

/* An Aaronson-Gottesman tableau of nqubits in |0...0>: 2n generators
 * (destabilizers and stabilizers), each with x and z bits and a sign, stored
 * one bit per generator in 64-bit words per qubit, so a gate on a qubit
 * touches 2n/64 words. Memory ~ n^2/2 bytes: thousands of qubits fit. */
tsr_tableau *tsr_tableau_new(unsigned nqubits, const tsr_state_options *opts, tsr_error *err);
void tsr_tableau_free(tsr_tableau *t);
tsr_tableau *tsr_tableau_clone(const tsr_tableau *t, tsr_error *err);
tsr_status tsr_tableau_copy(tsr_tableau *dst, const tsr_tableau *src, tsr_error *err);
unsigned tsr_tableau_qubits(const tsr_tableau *t);

/* Applies a catalogue gate that is Clifford for its parameters
 * (tsr_gate_is_clifford); others fail with TSR_ERR_UNSUPPORTED. */
tsr_status tsr_tableau_apply_gate(tsr_tableau *t, tsr_gate kind, const uint32_t *qubits,
                                  uint32_t nqubits, const double *params, tsr_error *err);
/* Applies a k-qubit (k <= 3) unitary that must be Clifford: it is rejected
 * (naming name) when it does not map every Pauli to a signed Pauli. */
tsr_status tsr_tableau_apply_matrix(tsr_tableau *t, const uint32_t *qubits, uint32_t k,
                                    const double complex *matrix, const char *name, tsr_error *err);
/* Applies the Pauli 'I', 'X', 'Y' or 'Z' to qubit. */
tsr_status tsr_tableau_apply_pauli(tsr_tableau *t, uint32_t qubit, char pauli, tsr_error *err);
/* Measures qubit; *outcome 0/1; *deterministic (may be NULL) says whether the
 * outcome was determined by the state. */
tsr_status tsr_tableau_measure(tsr_tableau *t, uint32_t qubit, tsr_rng *rng, int *outcome,
                               int *deterministic, tsr_error *err);
tsr_status tsr_tableau_reset(tsr_tableau *t, uint32_t qubit, tsr_rng *rng, tsr_error *err);
/* <P> of a Pauli string: -1, 0 or +1. */
tsr_status tsr_tableau_expectation(const tsr_tableau *t, const char *pauli, double *out,
                                   tsr_error *err);
/* Samples measuring every qubit shots times without changing the tableau:
 * the outcomes of a stabilizer state are uniform over an affine subspace
 * x0 + span(V), found once; sample i then costs |V| n/64 word operations and
 * uses the generator (seed, first_stream + i). out gets shots rows of
 * ceil(n/64) words (qubit q at bit q%64 of word q/64). */
tsr_status tsr_tableau_sample(const tsr_tableau *t, uint64_t shots, uint64_t seed,
                              uint64_t first_stream, uint64_t *out, tsr_error *err);
/* The state as a state vector (n <= 30; defined up to a global phase, fixed
 * so that the first nonzero amplitude is real and positive). */
tsr_statevec *tsr_tableau_to_statevec(const tsr_tableau *t, tsr_error *err);

/* -------------------------------------------------------------- channels */

/* A quantum channel on k qubits in Kraus form, sum_i K_i^dagger K_i = I. */
typedef struct tsr_channel tsr_channel;

/* Any channel from nops Kraus matrices of 2^k x 2^k (row-major, ops stored
 * one after the other, local bit j = operand j; 1 <= k <= 4). A set that is
 * not trace preserving within 1e-8 is rejected naming name (may be NULL). */
tsr_channel *tsr_channel_kraus(unsigned k, size_t nops, const double complex *ops, const char *name,
                               tsr_error *err);
/* Depolarizing on k = 1 or 2 qubits: rho -> (1 - p) rho + p I/2^k (Qiskit's
 * depolarizing_error(p, k)), 0 <= p <= 4^k / (4^k - 1). */
tsr_channel *tsr_channel_depolarizing(unsigned k, double p, tsr_error *err);
/* Amplitude damping with decay probability gamma in [0, 1]. */
tsr_channel *tsr_channel_amplitude_damping(double gamma, tsr_error *err);
/* Phase damping: K0 = diag(1, sqrt(1-lambda)), K1 = diag(0, sqrt(lambda)). */
tsr_channel *tsr_channel_phase_damping(double lambda, tsr_error *err);
/* Thermal relaxation towards |0> over time t (seconds) with T1 and T2
 * (seconds, T2 <= 2 T1): populations decay as exp(-t/T1), coherences as
 * exp(-t/T2). */
tsr_channel *tsr_channel_thermal_relaxation(double t1, double t2, double t, tsr_error *err);
/* Pauli channel on k = 1 or 2 qubits: probs[0 .. 4^k) over the Pauli strings
 * (base-4 digit j is the Pauli on operand j: 0 I, 1 X, 2 Y, 3 Z); they must be
 * non-negative and sum to 1. */
tsr_channel *tsr_channel_pauli(unsigned k, const double *probs, tsr_error *err);
tsr_channel *tsr_channel_clone(const tsr_channel *ch, tsr_error *err);
void tsr_channel_free(tsr_channel *ch);

unsigned tsr_channel_qubits(const tsr_channel *ch);
const char *tsr_channel_name(const tsr_channel *ch);
size_t tsr_channel_kraus_count(const tsr_channel *ch);
/* Kraus operator i (2^k x 2^k, row-major). */
const double complex *tsr_channel_kraus_op(const tsr_channel *ch, size_t i);
/* Whether the channel is a Pauli channel (a mixture of Pauli strings); if so
 * and probs is non-NULL, probs[0 .. 4^k) gets their probabilities. */
int tsr_channel_is_pauli(const tsr_channel *ch, double *probs);
/* Whether the channel is the identity (within 1e-14). */
int tsr_channel_is_identity(const tsr_channel *ch);
/* The superoperator S (4^k x 4^k, row-major) acting on vec(rho) with the
 * density-matrix convention above: local index r + c 2^k for rho(r, c). */
void tsr_channel_superop(const tsr_channel *ch, double complex *out);

/* Applies a channel. On a state vector it is one quantum trajectory: Kraus
 * operator i is drawn with its probability ||K_i psi||^2 from rng and the
 * state renormalised (a mixture of unitaries needs no extra pass). On a
 * density matrix it is exact (rng unused, may be NULL). On a tableau only
 * Pauli channels are allowed. */
tsr_status tsr_statevec_apply_channel(tsr_statevec *sv, const tsr_channel *ch,
                                      const uint32_t *qubits, tsr_rng *rng, tsr_error *err);
tsr_status tsr_densmat_apply_channel(tsr_densmat *dm, const tsr_channel *ch, const uint32_t *qubits,
                                     tsr_error *err);
tsr_status tsr_tableau_apply_channel(tsr_tableau *t, const tsr_channel *ch, const uint32_t *qubits,
                                     tsr_rng *rng, tsr_error *err);

/* ----------------------------------------------------------- noise model */

/* Noise attached to a circuit: channels after gates (per gate kind and
 * operands), readout error per qubit, and thermal relaxation of qubits over
 * gate durations and while idle. Filled from a YAML file (see
 * docs/simulator.md) or by the exec layer from a machine model. */
typedef struct tsr_noise_model tsr_noise_model;

tsr_noise_model *tsr_noise_model_new(tsr_error *err);
void tsr_noise_model_free(tsr_noise_model *nm);

/* After every gate of kind (TSR_GATE_NONE: any unitary gate) whose operands
 * all lie in qubits[0 .. nqubits) (qubits NULL: any operands), apply a copy
 * of ch: on the gate's operands when ch has as many qubits as the gate, else
 * on each operand separately when ch is a 1-qubit channel (a rule whose
 * channel fits neither way is skipped for that gate). A rule may hold one
 * channel per width: adding a 1- and a 2-qubit depolarizing channel with the
 * same kind and qubits makes one rule that depolarizes 1-qubit gates with the
 * first and 2-qubit gates with the second. Rules add up, in order. */
tsr_status tsr_noise_model_add_gate_channel(tsr_noise_model *nm, tsr_gate kind,
                                            const uint32_t *qubits, uint32_t nqubits,
                                            const tsr_channel *ch, tsr_error *err);
/* Readout error of qubit (-1: every qubit without its own entry):
 * p01 = P(read 1 | state 0), p10 = P(read 0 | state 1). */
tsr_status tsr_noise_model_set_readout(tsr_noise_model *nm, int64_t qubit, double p01, double p10,
                                       tsr_error *err);
/* T1 and T2 (seconds) of qubit (-1: every qubit without its own entry), for
 * relaxation during gates and idle time. */
tsr_status tsr_noise_model_set_relaxation(tsr_noise_model *nm, int64_t qubit, double t1, double t2,
                                          tsr_error *err);
/* Duration in seconds of a gate kind (TSR_GATE_NONE: the default for kinds
 * without one; TSR_OP_MEASURE and TSR_OP_RESET allowed). With relaxation set,
 * the runner schedules gates as soon as possible and applies thermal
 * relaxation to each operand over its gate's duration and to each qubit over
 * its idle gaps. */
tsr_status tsr_noise_model_set_duration(tsr_noise_model *nm, tsr_gate kind, double seconds,
                                        tsr_error *err);

/* Loads a noise description (YAML; the format is in docs/simulator.md).
 * Errors carry file:line:col. */
tsr_status tsr_noise_model_load_file(const char *path, tsr_noise_model **out, tsr_error *err);
tsr_status tsr_noise_model_load_string(const char *text, size_t len, const char *filename,
                                       tsr_noise_model **out, tsr_error *err);

/* Whether the model adds nothing; whether every channel is a Pauli channel
 * and there is no relaxation (readout error allowed): the condition for the
 * stabilizer backend. */
int tsr_noise_model_is_empty(const tsr_noise_model *nm);
int tsr_noise_model_is_pauli(const tsr_noise_model *nm);
/* The channels after a gate: calls fn(ch, operands, noperands, user) for each
 * one in order (operands are flat qubit indices). Stops at and returns the
 * first non-OK status fn returns. */
typedef tsr_status (*tsr_noise_visit_fn)(const tsr_channel *ch, const uint32_t *operands,
                                         uint32_t noperands, void *user);
tsr_status tsr_noise_model_visit_gate(const tsr_noise_model *nm, tsr_gate kind,
                                      const uint32_t *qubits, uint32_t nqubits,
                                      tsr_noise_visit_fn fn, void *user);
/* Readout error of a qubit (zeros when none). */
void tsr_noise_model_readout(const tsr_noise_model *nm, uint32_t qubit, double *p01, double *p10);
/* T1, T2 of a qubit; returns 0 when none is set. */
int tsr_noise_model_relaxation(const tsr_noise_model *nm, uint32_t qubit, double *t1, double *t2);
/* Duration of a gate kind (0 when none is set). */
double tsr_noise_model_duration(const tsr_noise_model *nm, tsr_gate kind);

/* --------------------------------------------------------------- backends */

typedef enum tsr_backend_kind {
  TSR_BACKEND_AUTO = 0,
  TSR_BACKEND_STATEVEC,
  TSR_BACKEND_DENSMAT,
  TSR_BACKEND_STABILIZER
} tsr_backend_kind;

/* "auto", "sv", "dm", "stab". */
const char *tsr_backend_name(tsr_backend_kind kind);
/* Parses "auto", "sv"/"statevector", "dm"/"density_matrix",
 * "stab"/"stabilizer". */
tsr_status tsr_backend_parse(const char *name, tsr_backend_kind *out, tsr_error *err);

/* The function table a state backend implements. The runner drives only
 * this, so an MPI-distributed or GPU state vector slots in as one more table.
 * `state` is the backend's own object (tsr_statevec, tsr_densmat,
 * tsr_tableau, ...). */
typedef struct tsr_sim_backend {
  tsr_backend_kind kind;
  const char *name;
  /* nonzero: channels are applied exactly (no randomness), so shots share
     one run of the noisy part of a circuit */
  int exact_channels;
  /* nonzero: only Clifford gates and Pauli channels */
  int clifford_only;
  void *(*create)(unsigned nqubits, const tsr_state_options *opts, tsr_error *err);
  void (*destroy)(void *state);
  void *(*clone)(const void *state, tsr_error *err);
  tsr_status (*copy)(void *dst, const void *src, tsr_error *err);
  tsr_status (*apply_gate)(void *state, tsr_gate kind, const uint32_t *qubits, uint32_t nqubits,
                           const double *params, tsr_error *err);
  tsr_status (*apply_matrix)(void *state, const uint32_t *qubits, uint32_t k,
                             const double complex *matrix, const char *name, tsr_error *err);
  tsr_status (*apply_channel)(void *state, const tsr_channel *ch, const uint32_t *qubits,
                              tsr_rng *rng, tsr_error *err);
  tsr_status (*measure)(void *state, uint32_t qubit, tsr_rng *rng, int *outcome, tsr_error *err);
  tsr_status (*reset)(void *state, uint32_t qubit, tsr_rng *rng, tsr_error *err);
  /* shots samples of every qubit without changing the state; out gets shots
     rows of ceil(n/64) words; sample i uses stream first_stream + i */
  tsr_status (*sample)(const void *state, uint64_t shots, uint64_t seed, uint64_t first_stream,
                       uint64_t *out, tsr_error *err);
  tsr_status (*expectation)(const void *state, const char *pauli, double *out, tsr_error *err);
} tsr_sim_backend;

/* The built-in table for a kind (NULL for TSR_BACKEND_AUTO). */
const tsr_sim_backend *tsr_sim_backend_get(tsr_backend_kind kind);

/* ---------------------------------------------------------------- runner */

typedef struct tsr_sim_options {
  tsr_backend_kind backend; /* AUTO: stabilizer for Clifford circuits with
                               Pauli noise only, else the state vector */
  uint64_t shots;           /* >= 1 */
  uint64_t seed;
  const tsr_noise_model *noise; /* NULL: noiseless (not owned) */
  int threads;                  /* 0: OpenMP's default */
  int fusion;                   /* nonzero: fuse gate runs and apply runs of gates in
                                   cache-sized blocks (sv and dm) */
  unsigned fusion_max_qubits;   /* largest fused block, 1..5 */
  int want_statevector;         /* keep the final state's amplitudes */
  tsr_precision precision;      /* state vector precision */
  uint64_t memory_limit;        /* bytes; 0: the memory available */
} tsr_sim_options;

/* Defaults: auto backend, 1024 shots, seed 0, no noise, fusion on with
 * blocks of up to 2 qubits (and cache blocking), double precision. */
void tsr_sim_options_init(tsr_sim_options *o);

typedef struct tsr_count {
  char *bits; /* clbit 0 rightmost, as Qiskit */
  uint64_t count;
} tsr_count;

/* Writes counts as one JSON object {"bits": count, ...} (after a key). */
void tsr_counts_write_json(tsr_json *j, const tsr_count *counts, size_t n);

typedef struct tsr_sim_result {
  tsr_backend_kind backend; /* the backend that ran */
  uint32_t nqubits;
  uint32_t nbits; /* length of each bitstring */
  uint64_t shots;
  tsr_count *counts; /* sorted by bitstring */
  size_t ncounts;
  /* The circuit had no measurement, so every qubit was measured at the end
     into bits 0..n-1 (bit q = qubit q). */
  int measured_all;
  /* Every shot was sampled from one final state (only final measurements and
     no noise that needs trajectories). */
  int sampled_final;
  /* With want_statevector: the state before the final measurements (of shot
     0's trajectory when shots differ), 2^n amplitudes, qubit 0 least
     significant; NULL otherwise. */
  double complex *amplitudes;
  uint64_t namplitudes;
  double seconds; /* wall time of the run */
} tsr_sim_result;

/* Runs circuit c. Measurement collapses the state; conditioned operations
 * read the classical bits measured so far (feed-forward); reset, barriers
 * and idle gates are honoured; the noise model's channels follow their
 * gates. When only final measurements follow the last gate (and noise does
 * not need trajectories), all shots are sampled from one final state;
 * otherwise each shot runs its own trajectory from a shared copy of the
 * state reached before the first random event. */
tsr_status tsr_sim_run(const tsr_circuit *c, const tsr_sim_options *o, tsr_sim_result **out,
                       tsr_error *err);
void tsr_sim_result_free(tsr_sim_result *r);

/* The backend AUTO would pick for c with noise (may be NULL). */
tsr_backend_kind tsr_sim_choose_backend(const tsr_circuit *c, const tsr_noise_model *noise);

#ifdef __cplusplus
}
#endif
#endif
