/* Private declarations shared by the exec layer's sources: the prepared
 * program (operations with their dependencies, modules and links with their
 * noise), the noiseless reference, and the report writers' helpers. */
#ifndef TSR_EXEC_INTERNAL_H
#define TSR_EXEC_INTERNAL_H

#include <complex.h>
#include <stdint.h>

#include "tessera/event.h"
#include "tessera/exec.h"
#include "tessera/net.h"

/* Error-budget sources: one per modality (gates), then these. */
enum { XS_IDLE = TSR_MODALITY_COUNT, XS_NETWORK, XS_LINKS, XS_READOUT, XS_COUNT };

/* What an operation does. */
typedef enum xclass {
  XC_GATE = 0, /* a unitary gate with its module's noise */
  XC_VIRTUAL,  /* a diagonal single-qubit gate run as a frame change */
  XC_WAIT,     /* id / u0, or an atom move: time passes, the qubit decoheres */
  XC_MEASURE,
  XC_RESET,
  XC_BARRIER,
  XC_EPR,
  XC_MESSAGE
} xclass;

/* A dependency: `op` must end (plus delay) before the operation starts. */
typedef struct xedge {
  uint32_t op;
  uint16_t network;    /* the edge waits for a pair or a message */
  uint16_t link_order; /* only orders EPR generations on one link */
  tsr_time delay;
} xedge;

/* A classical bit a condition reads: its position in the condition value
 * and the measurement whose (recorded) outcome it is, or -1 for never
 * written (0). */
typedef struct xread {
  uint32_t pos;
  int64_t value_op;
} xread;

typedef struct xop {
  int64_t prog; /* program operation, -1 for an added final measurement */
  xclass cls;
  tsr_gate kind;
  uint32_t nq;
  uint32_t sq[4]; /* simulated qubits */
  uint32_t np;
  double params[4];
  int32_t module;    /* program module (EPR: side a; message: sender) */
  int32_t module_to; /* message: receiver */
  int32_t link;      /* EPR: program link */
  uint32_t lane;
  tsr_time duration;    /* fixed duration (not EPR) */
  tsr_time sched_start; /* the compiler's start */
  int64_t cond;         /* program condition or -1 */
  size_t read0, nread;
  int64_t clbit;  /* measurement: result bit (program clbit, or the added bit) */
  int deferrable; /* a final measurement (state-fidelity runs do it at the end) */
  size_t pred0, npred;
  size_t succ0, nsucc;
} xop;

/* A program module with its machine module's noise. */
typedef struct xmodule {
  size_t arch_index;
  const tsr_module *am;
  tsr_modality modality;
  tsr_channel *dep1, *dep2; /* depolarizing after 1q and 2q gates (NULL: none) */
  double e1, e2;            /* their process infidelities */
  double p_readout, p_reset;
  tsr_time dur1, dur2, dur_measure, dur_reset;
  tsr_coherence data, comm;
  uint32_t first, nqubits, comm_first; /* program qubits */
} xmodule;

/* One hop of a program link's machine route. */
typedef struct xhop {
  size_t arch_link;
  tsr_link_performance perf;
  tsr_coherence mem[2]; /* communication coherence of the hop's two nodes */
} xhop;

typedef struct xlink {
  uint32_t nhops;
  xhop *hops;
  tsr_local_noise *swap_noise; /* per intermediate node (nhops - 1) */
  double finish_s;             /* swaps and correction messages after the last herald */
  tsr_coherence end[2];        /* the end modules' communication qubits */
  char path[256];
  int override;
  tsr_bell ov_state;
  double ov_latency_s;
  tsr_time ov_latency;
} xlink;

struct tsr_exec {
  const tsr_program *p;
  const tsr_arch *arch;
  tsr_net *net;
  xmodule *mods;
  uint32_t nmods;
  xlink *links;
  uint32_t nlinks;
  uint32_t nlanes;
  char (*lanes)[TSR_PROGRAM_NAME_MAX];
  tsr_time *msg_delay; /* nmods x nmods, -1 when no route */
  uint32_t nsim;
  uint32_t *sim_to_prog; /* [nsim] */
  int32_t *sim_module;   /* [nsim] */
  uint8_t *sim_comm;     /* [nsim] a communication qubit */
  xop *ops;
  size_t nops;
  xedge *preds, *succs;
  xread *reads;
  uint32_t nbits; /* counted bits */
  int measured_all;
  int64_t *final_writer; /* [nbits] last measurement into each counted bit */
  uint32_t nlogical;
  uint32_t *final_sim; /* [nlogical] simulated qubit of each logical qubit at the end */
  int clifford;
  int has_relaxation; /* some used qubit has a finite T1 or T2 */
  uint64_t nmessages, nepr;
  double scheduled_makespan_s;
};

/* ---------------------------------------------------------- reference */

/* A probability distribution over bitstrings, sorted by bitstring. */
typedef struct xdist {
  size_t n;
  char **bits;
  double *p;
} xdist;

void tsr__xdist_free(xdist *d);

/* The noiseless reference of a source circuit: the distribution of its
 * classical bits (or of every qubit when it measures nothing) and, when it
 * only measures at the end and is small, its final pure state. */
typedef struct xideal {
  int has_dist;
  xdist dist;
  uint32_t nbits;
  char note[160];
  int has_state;
  double complex *psi; /* 2^nqubits amplitudes of the state before the final measurements */
  uint32_t nqubits;
  char state_note[160];
} xideal;

tsr_status tsr__exec_ideal(const tsr_circuit *c, uint64_t shots, uint32_t max_qubits,
                           uint32_t state_max_qubits, uint64_t memory_limit, xideal *out,
                           tsr_error *err);
void tsr__exec_ideal_free(xideal *id);
/* Hellinger fidelity of counts against a distribution. */
double tsr__exec_hellinger_dist(const tsr_count *c, size_t nc, const xdist *d);

#endif
