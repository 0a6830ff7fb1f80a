/* Tessera exec: runs a compiled program (program.h) on the machine it was
 * compiled for (arch.h), shot by shot, on the discrete-event engine
 * (event.h) with a state backend (sim.h) and the machine's noise, and
 * reports what happened: counts, success against the ideal circuit, EPR
 * pairs, makespan, what each module did, and an error budget.
 *
 * The model, in one paragraph (docs/executor.md has the rest). Program
 * modules and links are matched to the machine's by name. Each shot re-times
 * the program: an operation starts on the engine when the operations before
 * it on its qubits have ended and the classical bits it reads have reached
 * its module (measured there, or carried by a message that takes the fibre
 * delay between the two modules). A gate takes its module's duration and is
 * followed by a depolarizing channel of the module's average gate fidelity;
 * a measurement flips its result with probability 1 - readout fidelity; a
 * qubit that waits decoheres (thermal relaxation with its module's T1/T2;
 * communication qubits with the communication coherence) over the actual
 * wait. An EPR operation samples its herald time from the link layer
 * (geometric number of attempts times the attempt period); a program link
 * between modules that the machine joins only through memory nodes is served
 * by the cheapest path of the net layer's routing, every hop heralding
 * independently, the pairs waiting in their memories for the last one and
 * swapped at the intermediate nodes with their gate and readout noise, the
 * corrections travelling to the ends. The delivered pair enters the state as
 * |Phi+> with the Pauli error of its Bell-diagonal state, and decoheres in
 * the communication qubits until used.
 *
 * Randomness: shot i uses the engine generator (seed, stream i) for every
 * draw, and results are reduced in shot order, so the same seed gives the
 * same result at every thread count. Nothing here prints, exits or reads the
 * environment. */
#ifndef TESSERA_EXEC_H
#define TESSERA_EXEC_H

#include <stdint.h>
#include <stdio.h>

#include "tessera/arch.h"
#include "tessera/circuit.h"
#include "tessera/core.h"
#include "tessera/link.h"
#include "tessera/program.h"
#include "tessera/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------------------------- noise */

/* Noise sources, as bits of tsr_exec_options.noise (a source whose bit is
 * clear is switched off; timing is never changed). Gate errors have one bit
 * per modality: TSR_EXEC_NOISE_GATE(m) = 1u << m. */
#define TSR_EXEC_NOISE_GATE(modality) (1u << (unsigned)(modality))
enum {
  TSR_EXEC_NOISE_GATES = 0xffu,      /* gate errors of every modality */
  TSR_EXEC_NOISE_IDLE = 1u << 8,     /* decoherence while waiting for local work */
  TSR_EXEC_NOISE_NETWORK = 1u << 9,  /* decoherence while waiting for EPR pairs or messages */
  TSR_EXEC_NOISE_LINKS = 1u << 10,   /* imperfect delivered pairs (heralded state, storage
                                        during generation, swaps) */
  TSR_EXEC_NOISE_READOUT = 1u << 11, /* readout and reset errors */
  TSR_EXEC_NOISE_ALL = 0xfffu
};

/* How a shot re-times the program. */
typedef enum tsr_exec_timing {
  TSR_EXEC_TIMING_ASAP = 0, /* an operation starts as soon as its qubits and bits allow */
  TSR_EXEC_TIMING_SCHEDULED /* ... and never before the start the compiler gave it */
} tsr_exec_timing;

typedef struct tsr_exec_options {
  tsr_backend_kind backend; /* AUTO (default): the state vector up to 16 simulated qubits;
                               beyond, the stabilizer tableau when every operation is Clifford
                               (T1/T2 relaxation then Pauli-twirled), else the state vector.
                               DENSMAT: exact channels. STABILIZER: Clifford programs only. */
  uint64_t shots;           /* >= 1 (default 1000) */
  uint64_t seed;            /* shot i uses tsr_rng stream (seed, i) */
  int threads;              /* 0: OpenMP's default */
  uint32_t noise;           /* TSR_EXEC_NOISE_* sources switched on (default ALL) */
  tsr_exec_timing timing;   /* default ASAP */
  int serialize_links;      /* nonzero (default): an EPR generation waits for a free channel
                               on every arch link of its route, one pair at a time per
                               multiplexing mode whichever program link it serves, taken in
                               program order (docs/executor.md); 0: no such waits */
  int virtual_z;            /* nonzero (default): diagonal single-qubit gates (z, s, sdg, t,
                               tdg, rz, p, u1) are frame changes: no time, no error */
  double cutoff_s;          /* multi-hop links: an elementary pair that waits longer than this
                               for the other hops is discarded and made again (INFINITY,
                               the default: no cutoff) */
  /* The source circuit the program implements (may be NULL). With it the
   * result has the Hellinger fidelity of the counts against the circuit's
   * noiseless distribution and, for small circuits, the state fidelity. */
  const tsr_circuit *source;
  uint32_t ideal_max_qubits; /* largest source circuit for the noiseless reference
                                (default 28; Clifford circuits of any size are sampled) */
  uint32_t state_max_qubits; /* state fidelity for sources of at most this many qubits
                                (default 12) */
  uint64_t ablation_shots;   /* > 0: for each noise source, rerun this many shots with only
                                that source off and report the Hellinger gain (default 0) */
  int record_timeline;       /* nonzero (default): keep shot 0's timeline */
  uint64_t memory_limit;     /* bytes all states together may take; 0: memory available */
  /* Called now and then with the shots done so far (from one thread at a
   * time; may be NULL). */
  void (*progress)(uint64_t done, uint64_t total, void *user);
  void *progress_user;
} tsr_exec_options;

void tsr_exec_options_default(tsr_exec_options *o);

/* ------------------------------------------------------------- results */

typedef struct tsr_exec_stat {
  double mean, std, min, p05, median, p95, max;
} tsr_exec_stat;

typedef struct tsr_exec_module_stats {
  char name[TSR_PROGRAM_NAME_MAX];
  tsr_modality modality;
  uint32_t qubits_used;  /* program qubits of this module that the program touches */
  uint64_t operations;   /* local operations per shot */
  double busy_s;         /* mean per shot: time some operation runs on the module */
  double network_wait_s; /* mean per shot: not busy, and an operation waits for a pair or a
                            message */
  double idle_s;         /* mean per shot: the rest of the makespan */
} tsr_exec_module_stats;

typedef struct tsr_exec_link_stats {
  char name[TSR_PROGRAM_NAME_MAX]; /* program link */
  char path[256];                  /* machine route, "ion-a > hub > ion-b" */
  uint32_t hops;
  int overridden;             /* tsr_exec_override_link set it */
  uint64_t pairs;             /* EPR pairs consumed per shot */
  double mean_latency_s;      /* request to delivery, over every pair of every shot */
  double mean_fidelity;       /* of the delivered pairs */
  double busy_s;              /* mean per shot: time generating */
  double elementary_per_shot; /* elementary pairs heralded per shot (hops, and remakes) */
  double discarded_per_shot;  /* elementary pairs discarded by the cutoff per shot */
  double attempts_per_shot;
  double expected_latency_s, expected_fidelity; /* what the compiler assumed */
} tsr_exec_link_stats;

#define TSR_EXEC_SOURCE_NAME_MAX 40

/* One source of the error budget. */
typedef struct tsr_exec_budget_entry {
  char source[TSR_EXEC_SOURCE_NAME_MAX]; /* "gates:trapped-ion", "idle", "network_wait",
                                            "links", "readout" */
  uint32_t mask;                         /* the TSR_EXEC_NOISE_* bits of the source */
  double events;                         /* error opportunities per shot (gates, waits,
                                            pairs, readouts) */
  double estimate;                       /* mean over shots of 1 - prod(1 - e_k): e_k the
                                            process infidelity of each event */
  double ablation_hellinger;             /* Hellinger fidelity with the source off (NaN when
                                            not run) */
  double ablation_gain;                  /* that minus the full run's at the same shots */
} tsr_exec_budget_entry;

/* A timeline entry (shot 0). */
typedef enum tsr_exec_event_kind {
  TSR_EXEC_EV_GATE = 0,
  TSR_EXEC_EV_MEASURE, /* measure and reset */
  TSR_EXEC_EV_EPR,
  TSR_EXEC_EV_MESSAGE,
  TSR_EXEC_EV_WAIT, /* a module waiting for the network */
  TSR_EXEC_EV_COUNT
} tsr_exec_event_kind;

typedef struct tsr_exec_event {
  uint32_t lane; /* index into tsr_exec_result.lanes */
  tsr_exec_event_kind kind;
  char name[24]; /* gate name, "epr", "msg", "wait" */
  double start_s, duration_s;
  int64_t op; /* program operation, -1 for waits and added measurements */
} tsr_exec_event;

typedef struct tsr_exec_result {
  char machine[TSR_ARCH_NAME_MAX];
  tsr_backend_kind backend; /* the backend that ran */
  int relaxation_twirled;   /* T1/T2 relaxation was Pauli-twirled (stabilizer backend) */
  uint64_t shots, seed;
  uint32_t noise;          /* the sources that were on */
  uint32_t program_qubits; /* physical qubits of the program */
  uint32_t sim_qubits;     /* those the program touches: the simulated ones */
  uint32_t nbits;          /* bits of each count: the source circuit's classical bits, or
                              one per logical qubit when it measures nothing */
  int measured_all;        /* the source measured nothing: every logical qubit was measured
                              at the end (bit q = logical qubit q) */
  tsr_count *counts;       /* sorted by bitstring, clbit 0 rightmost */
  size_t ncounts;
  /* Success. has_* is 0 when it was not computed; the note says why, or how
   * the reference was made ("exact", "sampled, N shots"). */
  int has_hellinger;
  double hellinger_fidelity; /* (sum_x sqrt(p_x q_x))^2 against the noiseless distribution */
  char hellinger_note[160];
  int has_state_fidelity;
  double state_fidelity; /* mean over shots of <psi|rho_logical|psi> */
  char state_note[160];
  double estimated_success; /* mean over shots of prod(1 - e_k), all sources */
  /* Network and time. */
  uint64_t ebits;              /* EPR pairs consumed per shot */
  double elementary_pairs;     /* elementary pairs heralded per shot (all hops, remakes) */
  double discarded_pairs;      /* discarded by the cutoff per shot */
  uint64_t messages;           /* classical messages per shot */
  tsr_exec_stat makespan;      /* seconds */
  double scheduled_makespan_s; /* the compiler's */
  tsr_exec_module_stats *modules;
  size_t nmodules;
  tsr_exec_link_stats *links;
  size_t nlinks;
  tsr_exec_budget_entry *budget;
  size_t nbudget;
  /* Shot 0's timeline: one lane per program module, then per program link
   * (EPR generation and messages between its modules), then "classical" for
   * messages between modules without a program link, if any. */
  char (*lanes)[TSR_PROGRAM_NAME_MAX];
  size_t nlanes;
  size_t nmodule_lanes;
  tsr_exec_event *timeline;
  size_t ntimeline;
  double wall_s;
} tsr_exec_result;

void tsr_exec_result_free(tsr_exec_result *r);

/* ------------------------------------------------------------ executor */

/* A program prepared to run on a machine: modules and links matched by name
 * (every program module must exist in the machine, with at least as many
 * qubits and communication qubits; every program link must have a route),
 * the qubits the program touches, and the dependencies between operations.
 * p must have passed tsr_program_finish (the compiler's and the reader's
 * programs have): sorted, and every bit a condition or a message reads known
 * on its module. Stores pointers to p and arch, which must outlive it and not
 * change. */
typedef struct tsr_exec tsr_exec;

tsr_status tsr_exec_new(const tsr_program *p, const tsr_arch *arch, tsr_exec **out, tsr_error *err);
void tsr_exec_free(tsr_exec *x);

/* Replaces what the machine gives for program link `link`: every pair then
 * arrives latency_s (>= 0, fixed) after its request, in the Bell-diagonal
 * state `state` (for studies and tests: a Werner pair of fidelity F is
 * tsr_bell_werner(F)). */
tsr_status tsr_exec_override_link(tsr_exec *x, uint32_t link, const tsr_bell *state,
                                  double latency_s, tsr_error *err);

/* Number of program qubits the program touches (the simulated qubits). */
uint32_t tsr_exec_sim_qubits(const tsr_exec *x);
/* Whether every operation of the program is Clifford. */
int tsr_exec_is_clifford(const tsr_exec *x);

/* The backend a run with options o (NULL: defaults) would use, AUTO resolved,
 * and (work, may be NULL) a rough estimate of its cost: shots x operations x
 * state entries an operation touches (2^n for the state vector, 4^n for the
 * density matrix, n^2/32 words for the tableau), for callers that decide
 * whether a run is worth it. */
tsr_backend_kind tsr_exec_backend_for(const tsr_exec *x, const tsr_exec_options *o, double *work);

/* Runs the shots. TSR_ERR_LIMIT (naming qubits and bytes) when the states do
 * not fit in memory; TSR_ERR_UNSUPPORTED for a non-Clifford program on the
 * stabilizer backend; TSR_ERR_VALUE for a link that can never herald.
 * Free the result with tsr_exec_result_free. */
tsr_status tsr_exec_run(tsr_exec *x, const tsr_exec_options *o, tsr_exec_result **out,
                        tsr_error *err);

/* ------------------------------------------------------------- helpers */

/* Hellinger fidelity (sum_x sqrt(p_x q_x))^2 of two count tables over the
 * same bitstrings (each normalised by its own total). */
double tsr_exec_hellinger(const tsr_count *a, size_t na, const tsr_count *b, size_t nb);

/* A machine of one module: compute module `module` of arch (its parameters,
 * no links), named like it; for the monolithic comparison. */
tsr_status tsr_exec_single_module_arch(const tsr_arch *arch, size_t module, tsr_arch **out,
                                       tsr_error *err);

/* ------------------------------------------------------------- reports */

/* A run of the same circuit on another machine, for side-by-side reports
 * (the monolithic comparison: one compute module at a time). result NULL
 * with a note (e.g. "does not fit: 24 qubits > 14") when it did not run. */
typedef struct tsr_exec_comparison {
  char machine[TSR_ARCH_NAME_MAX];
  char module[TSR_ARCH_NAME_MAX];
  tsr_modality modality;
  const tsr_exec_result *result;
  char note[160];
} tsr_exec_comparison;

/* Everything as one JSON object: machine, backend, shots, seed, qubits,
 * hellinger_fidelity (null when not computed, with hellinger_note),
 * state_fidelity, estimated_success, ebits, epr {used, elementary,
 * discarded, messages}, makespan_s (mean), makespan {mean, std, min, p05,
 * median, p95, max}, scheduled_makespan_s, modules [{name, modality, busy_s,
 * idle_s, network_wait_s, ...}], links [...], error_budget [{source,
 * estimate, events, ablation_hellinger, ablation_gain}], counts {bits:
 * count}, monolithic [{module, modality, hellinger_fidelity, makespan_s,
 * ...}] (cmp may be NULL), wall_s. */
void tsr_exec_result_write_json(const tsr_exec_result *r, const tsr_exec_comparison *cmp,
                                size_t ncmp, tsr_json *j);
/* Shot 0's timeline as an SVG picture: one lane per module and per link. */
tsr_status tsr_exec_write_timeline_svg(const tsr_exec_result *r, FILE *out, tsr_error *err);
/* Shot 0's timeline in the Chrome trace-event format ({"traceEvents": [...]}
 * with complete "X" events in microseconds, one thread per lane), which
 * Perfetto and chrome://tracing open. */
tsr_status tsr_exec_write_trace_json(const tsr_exec_result *r, FILE *out, tsr_error *err);
/* The error budget as an SVG bar chart. */
tsr_status tsr_exec_write_budget_svg(const tsr_exec_result *r, FILE *out, tsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
