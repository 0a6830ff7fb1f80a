/* Tessera program: the compiled, timed program for a networked machine. The
 * compiler writes it, the executor runs it, and neither needs the other: a
 * program saved by `tessera compile -o` can be run later. Knows of core and
 * circuit only; modules and links are named, and the executor matches them
 * against the machine it runs on.
 *
 * Qubits are physical and global: module m owns program qubits
 * [modules[m].first_qubit, modules[m].first_qubit + modules[m].qubits), of
 * which the last modules[m].communication_qubits hold link entanglement.
 * Classical bits are global too: the source circuit's classical bits come
 * first (same registers, same order), then scratch bits for the remote-gate
 * protocols' measurements. Times are in seconds from the program start. */
#ifndef TESSERA_PROGRAM_H
#define TESSERA_PROGRAM_H

#include <stdint.h>
#include <stdio.h>

#include "tessera/circuit.h"
#include "tessera/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSR_PROGRAM_NAME_MAX 64

typedef struct tsr_program_module {
  char name[TSR_PROGRAM_NAME_MAX];
  uint32_t first_qubit;
  uint32_t qubits;               /* all physical qubits, communication included */
  uint32_t communication_qubits; /* the last ones of the range */
} tsr_program_module;

typedef struct tsr_program_link {
  char name[TSR_PROGRAM_NAME_MAX]; /* "A-B" */
  uint32_t module_a, module_b;     /* indices into modules */
  double expected_latency_s;       /* mean time to herald one pair (compiler's estimate) */
  double fidelity;                 /* heralded pair fidelity the compiler assumed */
} tsr_program_link;

/* What an operation is for; the executor treats EPR and classical messages
 * specially, the others are ordinary circuit operations on one module. */
typedef enum tsr_program_role {
  TSR_PROG_LOCAL = 0,       /* a gate of the source circuit, run on one module */
  TSR_PROG_EPR,             /* herald a pair |Phi+> on two communication qubits over `link` */
  TSR_PROG_CAT_ENTANGLE,    /* gate or measurement of a cat-entangler */
  TSR_PROG_CAT_DISENTANGLE, /* gate or measurement of a cat-disentangler */
  TSR_PROG_TELEPORT,        /* gate or measurement of a teleportation */
  TSR_PROG_ROUTING,         /* a swap or atom move inserted by routing */
  TSR_PROG_MESSAGE,         /* classical message: `clbits` travel from module to module_to */
  TSR_PROG_COUNT
} tsr_program_role;

/* Stable names ("local", "epr", "cat-entangle", "cat-disentangle", "teleport",
 * "routing", "message"). */
const char *tsr_program_role_name(tsr_program_role r);

typedef struct tsr_program_op {
  tsr_program_role role;
  tsr_gate kind; /* gate kind, TSR_OP_MEASURE/RESET/BARRIER; TSR_GATE_NONE for EPR
                    and messages */
  uint32_t nqubits;
  uint32_t qubits[4]; /* program qubits (EPR: the two communication qubits) */
  uint32_t nparams;
  double params[4];
  int64_t clbit;     /* measure target, else -1 */
  int64_t cond;      /* index into the circuit's conditions (tsr_program.conds), or -1 */
  int32_t module;    /* module running it; EPR: module_a's side; -1 if none */
  int32_t module_to; /* message destination; EPR: the other module; else -1 */
  int32_t link;      /* EPR: index into links; else -1 */
  uint32_t message_clbit_first, message_clbits; /* message: which classical bits travel */
  double start_s, duration_s;
  int64_t source_op; /* index of the source-circuit operation it implements, or -1 */
} tsr_program_op;

/* An operation of the given role and kind on module (-1: none) with nothing
 * else set: no qubits, parameters or bits; clbit, cond, module_to, link and
 * source_op -1; start and duration 0. Fill in the rest. */
tsr_program_op tsr_program_op_blank(tsr_program_role role, tsr_gate kind, int32_t module);

/* Figures the compiler reports. */
typedef struct tsr_program_metrics {
  uint64_t ebits;        /* EPR pairs consumed */
  uint64_t remote_gates; /* source two-qubit gates across modules */
  uint64_t teleports;    /* qubit teleportations */
  uint64_t swaps;        /* routing swaps inserted */
  uint64_t moves;        /* atom moves inserted */
  double makespan_s;
  double estimated_success; /* product of operation fidelities and idle decay */
} tsr_program_metrics;

typedef struct tsr_program {
  char machine[TSR_PROGRAM_NAME_MAX];
  tsr_program_module *modules;
  uint32_t nmodules;
  tsr_program_link *links;
  uint32_t nlinks;
  uint32_t nqubits; /* total physical qubits */
  /* Classical registers: the source circuit's, then scratch registers. */
  tsr_register *cregs;
  uint32_t ncregs;
  uint32_t nclbits;
  uint32_t source_clbits; /* classical bits belonging to the source circuit */
  tsr_condition *conds;   /* conditions referenced by tsr_program_op.cond */
  size_t nconds;
  tsr_program_op *ops; /* sorted by start_s, then by insertion order */
  size_t nops;
  /* Logical qubit q of the source circuit starts on program qubit
   * initial_placement[q] and ends on final_placement[q] (they differ after
   * teleportations). */
  uint32_t nlogical;
  uint32_t *initial_placement;
  uint32_t *final_placement;
  tsr_program_metrics metrics;
  size_t ops_cap, conds_cap;
} tsr_program;

tsr_program *tsr_program_new(tsr_error *err);
void tsr_program_free(tsr_program *p);

/* Building (the compiler's side). Modules and links first, then registers,
 * then operations in any order: tsr_program_finish sorts them by start time
 * and validates the whole program. */
tsr_status tsr_program_add_module(tsr_program *p, const char *name, uint32_t qubits,
                                  uint32_t communication_qubits, uint32_t *index, tsr_error *err);
tsr_status tsr_program_add_link(tsr_program *p, const char *name, uint32_t module_a,
                                uint32_t module_b, double expected_latency_s, double fidelity,
                                uint32_t *index, tsr_error *err);
tsr_status tsr_program_add_creg(tsr_program *p, const char *name, uint32_t size, int source,
                                uint32_t *index, tsr_error *err);
tsr_status tsr_program_set_placement(tsr_program *p, uint32_t nlogical, const uint32_t *initial,
                                     const uint32_t *final, tsr_error *err);
/* Appends a copy of op; a condition (creg/bit/value as in tsr_circuit) may be
 * attached with cond_creg >= -1 and value != NULL, else pass value = NULL. */
tsr_status tsr_program_append(tsr_program *p, const tsr_program_op *op, int32_t cond_creg,
                              uint32_t cond_bit, const uint64_t *value, uint32_t nwords,
                              tsr_error *err);
/* Sorts by start time (stable) and checks: qubits within their module (EPR:
 * communication qubits of the link's two modules), no qubit used by two
 * overlapping operations, and, walking the operations in start order, that
 * every classical bit an operation reads is known on its module at its start
 * (each bit of a register condition, the bit of a bit condition, and each bit
 * a message carries, on the sending module; an EPR generation's condition on
 * module_a's side). A bit is known everywhere from time 0 until its first
 * measurement (source bits are 0; scratch bits have no value before they are
 * measured); a measurement makes it known on its module when it ends, and
 * nowhere else; a message makes the bits it carries known on module_to when
 * it arrives (start_s + duration_s), the sender having known them when it
 * left. Times compare with a relative tolerance of 1e-12. Errors name the
 * operation (index after sorting, role, module), the bit ("c[3]") and why
 * (never measured, measured elsewhere and no message brings it, the message
 * arrives at T after the start, the measurement ends after the start).
 * Computes metrics.makespan_s. */
tsr_status tsr_program_finish(tsr_program *p, tsr_error *err);

/* Module owning a program qubit (-1 if none). */
int32_t tsr_program_module_of(const tsr_program *p, uint32_t qubit);

/* OpenQASM 3 text: one qubit register per module, the source circuit's
 * classical registers, scratch registers; each operation preceded by an
 * annotation `@tessera.op role start duration [module] [to] [link] [source]`; EPR
 * generation written as the annotated statement `epr a, b;` (with a `gate epr`
 * definition preparing |Phi+> from |00> for other tools); module and link
 * tables as `#pragma tessera ...` lines. tsr_program_read_qasm reads it back
 * exactly. */
tsr_status tsr_program_write_qasm(const tsr_program *p, FILE *out, tsr_error *err);
tsr_status tsr_program_read_qasm(const char *text, size_t len, const char *filename,
                                 tsr_program **out, tsr_error *err);
/* JSON: machine, modules, links, placement, metrics (ebits, remote_gates,
 * teleports, swaps, makespan_s, estimated_success) and, when with_ops, every
 * operation with its times (and source_op when it is >= 0). */
tsr_status tsr_program_write_json(const tsr_program *p, tsr_json *j, int with_ops, tsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
