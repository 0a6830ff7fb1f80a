/* Tessera circuit layer: the circuit IR (qubits, classical bits, registers,
 * operations with parameters and classical conditions), the gate catalogue
 * with unitary matrices and inverses, a DAG / layer view, statistics, and
 * the OpenQASM 2.0 / 3 reader and writer. Knows of core only. */
#ifndef TESSERA_CIRCUIT_H
#define TESSERA_CIRCUIT_H

#include <complex.h>
#include <stdint.h>
#include <stdio.h>

#include "tessera/core.h"

/* glibc defines C11's CMPLX only for gcc; clang gets this equivalent (it
 * differs only for infinite or NaN parts, which Tessera never builds). */
#ifndef CMPLX
#define CMPLX(x, y) ((double complex)((double)(x) + _Complex_I * (double)(y)))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ gate kinds */

/* Every operation kind. Parameters are in radians (IonQ's native gates take
 * turns in IonQ's API; here they take radians like every other gate).
 * The comment gives the operand and parameter count. */
typedef enum tsr_gate {
  TSR_GATE_NONE = 0,
  /* single-qubit, fixed */
  TSR_GATE_ID,   /* 1q  identity */
  TSR_GATE_X,    /* 1q */
  TSR_GATE_Y,    /* 1q */
  TSR_GATE_Z,    /* 1q */
  TSR_GATE_H,    /* 1q */
  TSR_GATE_S,    /* 1q  sqrt(Z) */
  TSR_GATE_SDG,  /* 1q */
  TSR_GATE_T,    /* 1q  fourth root of Z */
  TSR_GATE_TDG,  /* 1q */
  TSR_GATE_SX,   /* 1q  sqrt(X) */
  TSR_GATE_SXDG, /* 1q */
  /* single-qubit, parametrised */
  TSR_GATE_RX,   /* 1q (theta) */
  TSR_GATE_RY,   /* 1q (theta) */
  TSR_GATE_RZ,   /* 1q (phi)    exp(-i phi Z/2) */
  TSR_GATE_P,    /* 1q (lambda) diag(1, e^{i lambda}) */
  TSR_GATE_U1,   /* 1q (lambda) same matrix as p */
  TSR_GATE_U2,   /* 1q (phi, lambda) = u3(pi/2, phi, lambda) */
  TSR_GATE_U3,   /* 1q (theta, phi, lambda) */
  TSR_GATE_U,    /* 1q (theta, phi, lambda) OpenQASM U / stdgates u */
  TSR_GATE_U0,   /* 1q (gamma) QASMBench idle gate: identity */
  TSR_GATE_R,    /* 1q (theta, phi) rotation about cos(phi)X + sin(phi)Y */
  TSR_GATE_GPI,  /* 1q (phi) IonQ GPi: [[0, e^{-i phi}], [e^{i phi}, 0]] */
  TSR_GATE_GPI2, /* 1q (phi) IonQ GPi2: (1/sqrt2)[[1, -i e^{-i phi}], [-i e^{i phi}, 1]] */
  /* two-qubit */
  TSR_GATE_CX,    /* 2q control, target */
  TSR_GATE_CY,    /* 2q */
  TSR_GATE_CZ,    /* 2q */
  TSR_GATE_CH,    /* 2q */
  TSR_GATE_CSX,   /* 2q */
  TSR_GATE_SWAP,  /* 2q */
  TSR_GATE_ISWAP, /* 2q */
  TSR_GATE_DCX,   /* 2q  cx(a,b) cx(b,a) */
  TSR_GATE_ECR,   /* 2q  echoed cross-resonance (Qiskit's matrix) */
  TSR_GATE_CRX,   /* 2q (theta) */
  TSR_GATE_CRY,   /* 2q (theta) */
  TSR_GATE_CRZ,   /* 2q (theta) */
  TSR_GATE_CP,    /* 2q (lambda) */
  TSR_GATE_CU1,   /* 2q (lambda) same matrix as cp */
  TSR_GATE_CU3,   /* 2q (theta, phi, lambda) */
  TSR_GATE_CU,    /* 2q (theta, phi, lambda, gamma) stdgates cu */
  TSR_GATE_RXX,   /* 2q (theta) exp(-i theta XX/2) */
  TSR_GATE_RYY,   /* 2q (theta) */
  TSR_GATE_RZZ,   /* 2q (theta) */
  TSR_GATE_RZX,   /* 2q (theta) exp(-i theta Z(op0) X(op1) / 2) */
  TSR_GATE_MS,    /* 2q (phi0, phi1, theta) IonQ Moelmer-Sorensen:
                     exp(-i theta/2 (s_phi0 x s_phi1)); theta = pi/2 is IonQ's
                     fully entangling MS */
  TSR_GATE_ZZ,    /* 2q (theta) IonQ ZZ: exp(-i theta ZZ/2), = rzz */
  /* three and more qubits */
  TSR_GATE_CCX,     /* 3q  c, c, target */
  TSR_GATE_CSWAP,   /* 3q  c, a, b */
  TSR_GATE_CCZ,     /* 3q */
  TSR_GATE_RCCX,    /* 3q  simplified (relative-phase) Toffoli */
  TSR_GATE_RC3X,    /* 4q  relative-phase 3-controlled X */
  TSR_GATE_C3X,     /* 4q */
  TSR_GATE_C3SQRTX, /* 4q  3-controlled sqrt(X) */
  TSR_GATE_C4X,     /* 5q */
  /* variadic */
  TSR_GATE_GR, /* nq (theta, phi): global R(theta, phi) on every operand
                  (neutral-atom global rotation) */
  /* exact inverses of fixed gates that no other kind expresses (results of
     tsr_gate_inverse; in no standard include file) */
  TSR_GATE_ISWAPDG,   /* 2q  iswap^dagger */
  TSR_GATE_DCXDG,     /* 2q  dcx^dagger = cx(b,a) cx(a,b) */
  TSR_GATE_RC3XDG,    /* 4q  rc3x^dagger */
  TSR_GATE_C3SQRTXDG, /* 4q  3-controlled sqrt(X)^dagger (sxdg) */
  /* opaque gate: name in tsr_op.name, no matrix */
  TSR_GATE_OPAQUE,
  /* non-unitary operations */
  TSR_OP_MEASURE, /* 1 qubit -> 1 clbit */
  TSR_OP_RESET,   /* 1 qubit */
  TSR_OP_BARRIER, /* any qubits */
  TSR_GATE_COUNT
} tsr_gate;

/* Properties of a gate kind. */
enum {
  TSR_GF_UNITARY = 1u << 0,     /* has a matrix */
  TSR_GF_DIAGONAL = 1u << 1,    /* diagonal in the computational basis */
  TSR_GF_PERMUTATION = 1u << 2, /* permutes basis states without phases */
  TSR_GF_CLIFFORD = 1u << 3,    /* Clifford for every parameter value */
  TSR_GF_SELF_INVERSE = 1u << 4,
  TSR_GF_CONTROLLED = 1u << 5, /* leading operands are controls */
  TSR_GF_NATIVE = 1u << 6,     /* hardware-native (gpi, gpi2, ms, zz, ecr, r, gr) */
  TSR_GF_QELIB1 = 1u << 7,     /* defined by (QASMBench's or Qiskit's) qelib1.inc */
  TSR_GF_STDGATES = 1u << 8    /* defined by OpenQASM 3 stdgates.inc */
};

typedef struct tsr_gate_info {
  tsr_gate kind;
  const char *name; /* OpenQASM spelling ("cx", "u3", "gpi2", "measure") */
  unsigned nqubits; /* 0 = variadic */
  unsigned nparams;
  unsigned ncontrols; /* leading control operands of a controlled gate */
  unsigned flags;     /* TSR_GF_* */
} tsr_gate_info;

/* Information for a kind (NULL for an out-of-range kind). */
const tsr_gate_info *tsr_gate_get(tsr_gate kind);
/* Whether a kind is a single-qubit Z rotation that hardware applies as a
 * frame change, in no time and without error (z, s, sdg, t, tdg, rz, p,
 * u1). The idles id and u0 are not: they wait for a gate time. */
int tsr_gate_is_virtual_z(tsr_gate kind);
/* Kind for an OpenQASM name ("CX" and "U" included), TSR_GATE_NONE if unknown. */
tsr_gate tsr_gate_lookup(const char *name);
/* Whether a gate with these parameters is Clifford (e.g. rz(pi/2) is;
 * angles within 1e-12 of a Clifford angle count). Measure, reset and barrier
 * count as Clifford (a stabilizer simulator runs them); opaque gates do not. */
int tsr_gate_is_clifford(tsr_gate kind, const double *params);

/* Unitary of a gate on nqubits operands (nqubits is the gate's arity, or the
 * operand count for a variadic gate; at most 10). out holds 4^nqubits entries,
 * row-major. Convention: basis-state index bit k is operand k, so operand 0 is
 * the least significant bit (Qiskit's convention). For cx(a, b) the matrix
 * flips bit 1 when bit 0 is set. */
tsr_status tsr_gate_matrix(tsr_gate kind, const double *params, unsigned nqubits,
                           double complex *out, tsr_error *err);

/* The inverse as a gate of the catalogue: *inv_kind and inv_params (room for
 * 4 parameters) such that inverse·gate = identity exactly (not only up to a
 * global phase), on the same operands. Fails for opaque and non-unitary
 * operations. Native gates keep their rotation angle and turn their axis by
 * pi: gpi2(phi) -> gpi2(phi + pi), r/gr(theta, phi) -> (theta, phi + pi),
 * ms(phi0, phi1, theta) -> ms(phi0 + pi, phi1, theta). csx -> cu(-pi/2,
 * -pi/2, pi/2, -pi/4); iswap, dcx, rc3x, c3sqrtx -> their *DG kinds. */
tsr_status tsr_gate_inverse(tsr_gate kind, const double *params, tsr_gate *inv_kind,
                            double *inv_params, tsr_error *err);

/* -------------------------------------------------------------- circuit */

typedef struct tsr_register {
  char *name;
  uint32_t size;
  uint32_t first; /* flat index of element 0 */
} tsr_register;

/* A classical condition: the operation runs only when the bits equal value.
 * creg >= 0: the whole classical register creg (bits first..first+size-1,
 * bit 0 least significant); creg == -1: the single classical bit `bit`. */
typedef struct tsr_condition {
  int32_t creg;
  uint32_t bit;
  uint32_t nwords; /* 64-bit words of value, least significant first */
  uint64_t *value;
} tsr_condition;

typedef struct tsr_op {
  tsr_gate kind;
  uint32_t nqubits;
  uint32_t nparams;
  uint32_t *qubits; /* flat qubit indices (owned by the circuit) */
  double *params;   /* radians (owned by the circuit) */
  int64_t clbit;    /* measure target, otherwise -1 */
  int64_t cond;     /* index into circuit->conds, or -1 */
  const char *name; /* opaque gates: the declared name (owned); else NULL */
} tsr_op;

/* Fields are readable; change a circuit only through the functions below. */
typedef struct tsr_circuit {
  uint32_t nqubits;
  uint32_t nclbits;
  tsr_register *qregs;
  uint32_t nqregs;
  tsr_register *cregs;
  uint32_t ncregs;
  tsr_op *ops;
  size_t nops;
  tsr_condition *conds;
  size_t nconds;
  struct tsr_circuit_pool *pool; /* private storage for operands and names */
  size_t ops_cap, conds_cap;
} tsr_circuit;

tsr_circuit *tsr_circuit_new(tsr_error *err);
void tsr_circuit_free(tsr_circuit *c);
/* Deep copy. */
tsr_circuit *tsr_circuit_clone(const tsr_circuit *c, tsr_error *err);

/* Adds a register; returns its index through *index (may be NULL). Names must
 * be unique among registers of the same kind. */
tsr_status tsr_circuit_add_qreg(tsr_circuit *c, const char *name, uint32_t size, uint32_t *index,
                                tsr_error *err);
tsr_status tsr_circuit_add_creg(tsr_circuit *c, const char *name, uint32_t size, uint32_t *index,
                                tsr_error *err);
/* Register lookup by name (-1 if absent). */
int64_t tsr_circuit_find_qreg(const tsr_circuit *c, const char *name);
int64_t tsr_circuit_find_creg(const tsr_circuit *c, const char *name);

/* Appends a gate (unitary or opaque via tsr_circuit_append_opaque). Checks
 * arity, parameter count, indices in range and distinct operands. */
tsr_status tsr_circuit_append_gate(tsr_circuit *c, tsr_gate kind, const uint32_t *qubits,
                                   uint32_t nqubits, const double *params, uint32_t nparams,
                                   tsr_error *err);
tsr_status tsr_circuit_append_opaque(tsr_circuit *c, const char *name, const uint32_t *qubits,
                                     uint32_t nqubits, const double *params, uint32_t nparams,
                                     tsr_error *err);
tsr_status tsr_circuit_append_measure(tsr_circuit *c, uint32_t qubit, uint32_t clbit,
                                      tsr_error *err);
tsr_status tsr_circuit_append_reset(tsr_circuit *c, uint32_t qubit, tsr_error *err);
tsr_status tsr_circuit_append_barrier(tsr_circuit *c, const uint32_t *qubits, uint32_t nqubits,
                                      tsr_error *err);
/* Makes the last appended operation conditional. creg >= 0: register equals
 * value (nwords words, least significant first; the value must fit in the
 * register); creg == -1: clbit `bit` equals value[0] (0 or 1). */
tsr_status tsr_circuit_condition_last(tsr_circuit *c, int32_t creg, uint32_t bit,
                                      const uint64_t *value, uint32_t nwords, tsr_error *err);

/* Name of the register holding flat qubit/clbit index i and the index within it. */
const tsr_register *tsr_circuit_qubit_register(const tsr_circuit *c, uint32_t qubit,
                                               uint32_t *offset);
const tsr_register *tsr_circuit_clbit_register(const tsr_circuit *c, uint32_t clbit,
                                               uint32_t *offset);

/* Structural equality: same registers, operations, operands, conditions, and
 * parameters equal within tol (absolute). */
int tsr_circuit_equal(const tsr_circuit *a, const tsr_circuit *b, double tol);

/* ---------------------------------------------------------------- stats */

typedef struct tsr_circuit_stats {
  uint32_t qubits;
  uint32_t clbits;
  uint64_t gates;             /* unitary and opaque gates (not measure/reset/barrier) */
  uint64_t two_qubit_gates;   /* gates on exactly two qubits */
  uint64_t multi_qubit_gates; /* gates on three or more qubits */
  uint64_t measurements;
  uint64_t resets;
  uint64_t barriers;
  uint64_t conditioned;            /* operations with a classical condition */
  uint64_t depth;                  /* longest path, barriers excluded (they add no
                                      level but line up their qubits); measure,
                                      reset and classical wires count (as Qiskit) */
  uint64_t two_qubit_depth;        /* longest path counting only gates on >= 2 qubits */
  uint64_t counts[TSR_GATE_COUNT]; /* by kind (opaque gates together) */
} tsr_circuit_stats;

tsr_status tsr_circuit_compute_stats(const tsr_circuit *c, tsr_circuit_stats *out, tsr_error *err);

/* ------------------------------------------------------------------ DAG */

/* Dependency graph: op j depends on op i < j when they share a qubit or a
 * classical bit (measure target or condition). Barriers order the qubits
 * they touch. */
typedef struct tsr_dag {
  size_t nops;
  /* predecessors of op i: pred[pred_start[i] .. pred_start[i+1]) */
  size_t *pred_start;
  size_t *pred;
  /* successors of op i: succ[succ_start[i] .. succ_start[i+1]) */
  size_t *succ_start;
  size_t *succ;
  /* ASAP layer of each op (0-based; barriers take no layer of their own:
     they get the layer of what follows, or the last layer when nothing
     follows) and the number of layers: the circuit depth as
     tsr_circuit_compute_stats counts it, except that a circuit of barriers
     alone has one layer. Every layer[i] < nlayers. */
  uint32_t *layer;
  uint32_t nlayers;
} tsr_dag;

tsr_dag *tsr_dag_new(const tsr_circuit *c, tsr_error *err);
void tsr_dag_free(tsr_dag *d);

/* Front-layer iterator for schedulers and routers: ops whose predecessors are
 * all done. Call tsr_dag_front_init, then repeatedly read front[0..nfront)
 * and mark ops done with tsr_dag_front_done. */
typedef struct tsr_dag_front {
  const tsr_dag *dag;
  uint32_t *remaining; /* unfinished predecessors per op */
  size_t *front;
  size_t nfront;
  size_t ndone;
} tsr_dag_front;

tsr_status tsr_dag_front_init(tsr_dag_front *f, const tsr_dag *d, tsr_error *err);
/* Marks op as executed: removes it from the front and adds successors that
 * became ready (appended in op order). */
tsr_status tsr_dag_front_done(tsr_dag_front *f, size_t op, tsr_error *err);
void tsr_dag_front_release(tsr_dag_front *f);

/* -------------------------------------------------------------- OpenQASM */

typedef enum tsr_qasm_version {
  TSR_QASM_AUTO = 0, /* writer: 2.0 when the circuit needs nothing newer */
  TSR_QASM_2 = 2,
  TSR_QASM_3 = 3
} tsr_qasm_version;

/* Reads OpenQASM 2.0 (complete, qelib1.inc built in) or the OpenQASM 3
 * subset Qiskit and tket export. User-defined gates are expanded inline into
 * catalogue gates; opaque gates stay opaque. filename is used in error
 * locations ("file:line:col: message"). */
tsr_status tsr_qasm_read_string(const char *text, size_t len, const char *filename,
                                tsr_circuit **out, tsr_error *err);
tsr_status tsr_qasm_read_file(const char *path, tsr_circuit **out, tsr_error *err);

/* Limits the reader enforces so that absurd or hostile input is refused with
 * a message (TSR_ERR_LIMIT) instead of exhausting memory or time. A zero field
 * takes the default. Gate definitions may nest at most 256 deep, expressions
 * at most 200, includes at most 16. */
typedef struct tsr_qasm_read_options {
  uint64_t max_ops;    /* operations after gate expansion; default 2^31 */
  uint32_t max_qubits; /* qubits, and separately classical bits, in all
                          registers together; default 2^24 */
  int strict_operands; /* a gate applied to one qubit twice (`cx q[1], q[1];`,
                          which QASMBench's QAOA N1000 file contains) is an
                          error; by default it is dropped with a logged warning */
} tsr_qasm_read_options;

/* tsr_qasm_read_string with explicit limits (opts may be NULL). */
tsr_status tsr_qasm_read_string_ex(const char *text, size_t len, const char *filename,
                                   const tsr_qasm_read_options *opts, tsr_circuit **out,
                                   tsr_error *err);

/* Writes the circuit as OpenQASM. TSR_QASM_2 fails (TSR_ERR_UNSUPPORTED) when
 * the circuit uses something 2.0 cannot say (single-bit conditions); gates
 * missing from qelib1.inc / stdgates.inc are written with a gate definition. */
tsr_status tsr_qasm_write(const tsr_circuit *c, FILE *out, tsr_qasm_version version,
                          tsr_error *err);
/* Same into a malloc'd NUL-terminated string. */
tsr_status tsr_qasm_write_string(const tsr_circuit *c, tsr_qasm_version version, char **out,
                                 tsr_error *err);
/* The version TSR_QASM_AUTO would choose. */
tsr_qasm_version tsr_qasm_min_version(const tsr_circuit *c);

#ifdef __cplusplus
}
#endif
#endif
