/* Private to the distributed-compiler pipeline (tsr_compile_program): the
 * machine view of the compute modules, the operation list the passes hand
 * each other, and the passes themselves. Not installed. */
#ifndef TSR_PIPELINE_INTERNAL_H
#define TSR_PIPELINE_INTERNAL_H

#include <stdint.h>

#include "compile_internal.h"
#include "tessera/arch.h"
#include "tessera/link.h"
#include "tessera/program.h"

/* ------------------------------------------------------------ operations */

/* One operation of the program being built, before it has times. Qubits are
 * program qubits (virtual slots of their module until routing, physical
 * positions after). */
typedef struct tsr__pop {
  tsr_program_role role;
  tsr_gate kind; /* TSR_GATE_NONE for EPR and messages */
  uint32_t nq;
  uint32_t q[4];
  uint32_t np;
  double p[4];
  int64_t clbit;    /* measurement target, else -1 */
  int64_t cond_src; /* condition: index into the compiled circuit's conds, else -1 */
  int64_t cond_bit; /* condition: this program classical bit is 1, else -1 */
  int32_t module, module_to, link;
  uint32_t msg_first, msg_n;
  int move;    /* an atom move (id on the moving atom): synthesis leaves it alone */
  int64_t src; /* operation of the compiled circuit (decomposed, simplified) it implements: the
                  one being distributed when it was made, the gate a routing swap or move makes
                  possible, the last gate of a folded run; -1: none (shares ended after the
                  last operation) */
} tsr__pop;

typedef struct tsr__popvec {
  tsr__pop *v;
  size_t n, cap;
} tsr__popvec;

tsr_status tsr__popvec_push(tsr__popvec *pv, const tsr__pop *op, tsr_error *err);
void tsr__popvec_release(tsr__popvec *pv);
/* A pop with every optional field cleared (clbit, conditions, modules, link, src -1). */
tsr__pop tsr__pop_blank(tsr_program_role role, tsr_gate kind, int32_t module);

/* ------------------------------------------------------------ machine */

typedef struct tsr__mod {
  uint32_t arch_index;
  const tsr_module_params *params;
  const char *name;
  uint32_t first;    /* first program qubit */
  uint32_t qubits;   /* all physical qubits */
  uint32_t comm;     /* communication qubits (the last ones) */
  uint32_t comm_use; /* of which the compiler uses (max_communication) */
  uint32_t capacity; /* qubits - comm: data slots */
  /* native synthesis */
  int native; /* 0: keep the decomposed gates */
  tsr_basis_1q basis;
  tsr_entangler ent;
  int no_x;      /* ZSX basis without a native x: write x as sx sx */
  int serial_2q; /* one two-qubit gate at a time (trapped ions) */
} tsr__mod;

typedef struct tsr__plink {
  uint32_t a, b; /* compute-module indices, a < b */
  double latency_s, fidelity, cost;
  uint32_t hops;
  uint32_t *path; /* [hops] the arch links of the path (indices into arch->links), a to b */
  char name[TSR_PROGRAM_NAME_MAX];
} tsr__plink;

typedef struct tsr__machine {
  const tsr_arch *arch;
  uint32_t n; /* compute modules */
  tsr__mod *mods;
  uint32_t nqubits; /* program qubits */
  tsr__plink *links;
  uint32_t nlinks;
  int32_t *link;   /* [n*n] program link between adjacent modules, -1 */
  int32_t *next;   /* [n*n] next module on the cheapest path, -1 when unreachable */
  double *dist;    /* [n*n] cost of that path */
  double *delay_s; /* [n*n] classical message delay (fibre along the path) */
} tsr__machine;

tsr_status tsr__machine_build(const tsr_arch *arch, const tsr_compile_options *opt,
                              tsr__machine **out, tsr_error *err);
void tsr__machine_free(tsr__machine *m);
/* Module owning a program qubit. */
uint32_t tsr__machine_module_of(const tsr__machine *m, uint32_t qubit);
/* Pairs arch link h can generate at once: its multiplexing modes (1 when it
 * has none), at most the compute modules' communication qubits in use (each
 * pair holds one at either end, so more channels would never be used). */
uint32_t tsr__machine_hop_channels(const tsr__machine *m, uint32_t h);

/* ------------------------------------------------------------ passes */

typedef struct tsr__dist_result {
  uint32_t nlogical;
  uint32_t *initial; /* [nlogical] program qubit (virtual) */
  uint32_t *final;
  uint32_t nscratch; /* scratch classical bits used (after the source's) */
  uint64_t ebits, remote_gates, teleports;
} tsr__dist_result;

/* Distribute: circuit c (decomposed, simplified; its qubits are the logical
 * qubits) placed and split by the partition into pops on virtual slots. */
tsr_status tsr__distribute(const tsr__machine *m, const tsr_circuit *c, const tsr_packet_graph *h,
                           const tsr_partition *part, const tsr_compile_options *opt,
                           tsr__popvec *out, tsr__dist_result *res, tsr_error *err);
void tsr__dist_result_release(tsr__dist_result *r);

/* Route inside modules: rewrites ops from virtual slots to physical
 * positions, inserting swaps (kind swap, role routing) or atom moves.
 * phys_initial/phys_final ([m->nqubits]) get virtual -> physical maps at the
 * start and at the end. */
tsr_status tsr__route(const tsr__machine *m, const tsr_compile_options *opt, const tsr__popvec *in,
                      tsr__popvec *out, uint32_t *phys_initial, uint32_t *phys_final,
                      uint64_t *swaps, uint64_t *moves, tsr_error *err);

/* Native synthesis per module (folds single-qubit runs, synthesises 2q gates
 * with the module's entangler). */
tsr_status tsr__synthesize_pops(const tsr__machine *m, const tsr__popvec *in, tsr__popvec *out,
                                tsr_error *err);

#endif
