/* The gate catalogue: names, arities and properties of every tsr_gate kind,
 * name lookup, exact unitary matrices, exact inverses and a parameter-aware
 * Clifford test.
 *
 * Matrices follow Qiskit's definitions exactly, global phases included
 * (qiskit.circuit.library.standard_gates), and Qiskit's bit order: operand k
 * is bit k of the basis-state index, so operand 0 is the least significant
 * bit. Controlled gates put their controls first; their matrix is the
 * identity except where every control bit is 1, where the target block acts.
 *
 * Two definitions differ between Qiskit's classes and the text of
 * qelib1.inc, and the catalogue follows Qiskit's classes (what Qiskit's
 * OpenQASM 2 reader builds):
 *  - c3sqrtx is the 3-controlled SX. qelib1.inc's gate body uses cu1(-pi/8)
 *    first and so expands to the 3-controlled SXdg (Qiskit issue #7209).
 *  - rz is diag(e^{-i phi/2}, e^{i phi/2}); qelib1.inc defines rz as u1,
 *    which differs by a global phase (visible only under control). */
#include <math.h>
#include <string.h>

#include "tessera/circuit.h"

typedef double complex cplx;

#define MAX_MATRIX_QUBITS 10u
/* Angles within this of a multiple of a Clifford angle count as that multiple. */
#define CLIFFORD_TOL 1e-12

/* ------------------------------------------------------------- the table */

enum {
  F_U = TSR_GF_UNITARY,
  F_D = TSR_GF_DIAGONAL,
  F_P = TSR_GF_PERMUTATION,
  F_C = TSR_GF_CLIFFORD,
  F_SI = TSR_GF_SELF_INVERSE,
  F_CT = TSR_GF_CONTROLLED,
  F_N = TSR_GF_NATIVE,
  F_Q = TSR_GF_QELIB1,
  F_S = TSR_GF_STDGATES
};

#define G(k, nm, nq, np, nc, fl) [k] = {k, nm, nq, np, nc, fl}

/* Indexed by kind; designated initialisers keep it right whatever the
 * order of the enum. */
static const tsr_gate_info GATES[TSR_GATE_COUNT] = {
    G(TSR_GATE_ID, "id", 1, 0, 0, F_U | F_D | F_P | F_C | F_SI | F_Q | F_S),
    G(TSR_GATE_X, "x", 1, 0, 0, F_U | F_P | F_C | F_SI | F_Q | F_S),
    G(TSR_GATE_Y, "y", 1, 0, 0, F_U | F_C | F_SI | F_Q | F_S),
    G(TSR_GATE_Z, "z", 1, 0, 0, F_U | F_D | F_C | F_SI | F_Q | F_S),
    G(TSR_GATE_H, "h", 1, 0, 0, F_U | F_C | F_SI | F_Q | F_S),
    G(TSR_GATE_S, "s", 1, 0, 0, F_U | F_D | F_C | F_Q | F_S),
    G(TSR_GATE_SDG, "sdg", 1, 0, 0, F_U | F_D | F_C | F_Q | F_S),
    G(TSR_GATE_T, "t", 1, 0, 0, F_U | F_D | F_Q | F_S),
    G(TSR_GATE_TDG, "tdg", 1, 0, 0, F_U | F_D | F_Q | F_S),
    G(TSR_GATE_SX, "sx", 1, 0, 0, F_U | F_C | F_Q | F_S),
    G(TSR_GATE_SXDG, "sxdg", 1, 0, 0, F_U | F_C | F_Q),
    G(TSR_GATE_RX, "rx", 1, 1, 0, F_U | F_Q | F_S),
    G(TSR_GATE_RY, "ry", 1, 1, 0, F_U | F_Q | F_S),
    G(TSR_GATE_RZ, "rz", 1, 1, 0, F_U | F_D | F_Q | F_S),
    G(TSR_GATE_P, "p", 1, 1, 0, F_U | F_D | F_Q | F_S),
    G(TSR_GATE_U1, "u1", 1, 1, 0, F_U | F_D | F_Q | F_S),
    G(TSR_GATE_U2, "u2", 1, 2, 0, F_U | F_Q | F_S),
    G(TSR_GATE_U3, "u3", 1, 3, 0, F_U | F_Q | F_S),
    /* stdgates.inc has no lowercase u; OpenQASM 3 spells it U (built in). */
    G(TSR_GATE_U, "u", 1, 3, 0, F_U | F_Q),
    /* An idle of some duration: the identity for every gamma. */
    G(TSR_GATE_U0, "u0", 1, 1, 0, F_U | F_D | F_P | F_C | F_SI | F_Q),
    G(TSR_GATE_R, "r", 1, 2, 0, F_U | F_N),
    G(TSR_GATE_GPI, "gpi", 1, 1, 0, F_U | F_SI | F_N),
    G(TSR_GATE_GPI2, "gpi2", 1, 1, 0, F_U | F_N),
    G(TSR_GATE_CX, "cx", 2, 0, 1, F_U | F_P | F_C | F_SI | F_CT | F_Q | F_S),
    G(TSR_GATE_CY, "cy", 2, 0, 1, F_U | F_C | F_SI | F_CT | F_Q | F_S),
    G(TSR_GATE_CZ, "cz", 2, 0, 1, F_U | F_D | F_C | F_SI | F_CT | F_Q | F_S),
    G(TSR_GATE_CH, "ch", 2, 0, 1, F_U | F_SI | F_CT | F_Q | F_S),
    G(TSR_GATE_CSX, "csx", 2, 0, 1, F_U | F_CT | F_Q),
    G(TSR_GATE_SWAP, "swap", 2, 0, 0, F_U | F_P | F_C | F_SI | F_Q | F_S),
    G(TSR_GATE_ISWAP, "iswap", 2, 0, 0, F_U | F_C),
    G(TSR_GATE_DCX, "dcx", 2, 0, 0, F_U | F_P | F_C),
    G(TSR_GATE_ECR, "ecr", 2, 0, 0, F_U | F_C | F_SI | F_N),
    G(TSR_GATE_CRX, "crx", 2, 1, 1, F_U | F_CT | F_Q | F_S),
    G(TSR_GATE_CRY, "cry", 2, 1, 1, F_U | F_CT | F_Q | F_S),
    G(TSR_GATE_CRZ, "crz", 2, 1, 1, F_U | F_D | F_CT | F_Q | F_S),
    G(TSR_GATE_CP, "cp", 2, 1, 1, F_U | F_D | F_CT | F_Q | F_S),
    G(TSR_GATE_CU1, "cu1", 2, 1, 1, F_U | F_D | F_CT | F_Q),
    G(TSR_GATE_CU3, "cu3", 2, 3, 1, F_U | F_CT | F_Q),
    G(TSR_GATE_CU, "cu", 2, 4, 1, F_U | F_CT | F_Q | F_S),
    G(TSR_GATE_RXX, "rxx", 2, 1, 0, F_U | F_Q),
    G(TSR_GATE_RYY, "ryy", 2, 1, 0, F_U),
    G(TSR_GATE_RZZ, "rzz", 2, 1, 0, F_U | F_D | F_Q),
    G(TSR_GATE_RZX, "rzx", 2, 1, 0, F_U),
    G(TSR_GATE_MS, "ms", 2, 3, 0, F_U | F_N),
    G(TSR_GATE_ZZ, "zz", 2, 1, 0, F_U | F_D | F_N),
    G(TSR_GATE_CCX, "ccx", 3, 0, 2, F_U | F_P | F_SI | F_CT | F_Q | F_S),
    G(TSR_GATE_CSWAP, "cswap", 3, 0, 1, F_U | F_P | F_SI | F_CT | F_Q | F_S),
    G(TSR_GATE_CCZ, "ccz", 3, 0, 2, F_U | F_D | F_SI | F_CT),
    G(TSR_GATE_RCCX, "rccx", 3, 0, 0, F_U | F_SI | F_Q),
    G(TSR_GATE_RC3X, "rc3x", 4, 0, 0, F_U | F_Q),
    G(TSR_GATE_C3X, "c3x", 4, 0, 3, F_U | F_P | F_SI | F_CT | F_Q),
    G(TSR_GATE_C3SQRTX, "c3sqrtx", 4, 0, 3, F_U | F_CT | F_Q),
    G(TSR_GATE_C4X, "c4x", 5, 0, 4, F_U | F_P | F_SI | F_CT | F_Q),
    G(TSR_GATE_GR, "gr", 0, 2, 0, F_U | F_N),
    G(TSR_GATE_ISWAPDG, "iswapdg", 2, 0, 0, F_U | F_C),
    G(TSR_GATE_DCXDG, "dcxdg", 2, 0, 0, F_U | F_P | F_C),
    G(TSR_GATE_RC3XDG, "rc3xdg", 4, 0, 0, F_U),
    G(TSR_GATE_C3SQRTXDG, "c3sqrtxdg", 4, 0, 3, F_U | F_CT),
    /* Opaque gates and barriers take any number of operands (0 = variadic);
       an opaque gate's parameter count is its own. */
    G(TSR_GATE_OPAQUE, "opaque", 0, 0, 0, 0),
    G(TSR_OP_MEASURE, "measure", 1, 0, 0, 0),
    G(TSR_OP_RESET, "reset", 1, 0, 0, 0),
    G(TSR_OP_BARRIER, "barrier", 0, 0, 0, 0),
};

const tsr_gate_info *tsr_gate_get(tsr_gate kind) {
  if ((int)kind <= (int)TSR_GATE_NONE || (int)kind >= (int)TSR_GATE_COUNT) return NULL;
  return &GATES[kind];
}

/* ---------------------------------------------------------------- lookup */

typedef struct name_entry {
  const char *name;
  tsr_gate kind;
} name_entry;

/* Sorted by strcmp (byte order: upper case first) for binary search. Every
 * catalogue name plus OpenQASM's aliases CX, U, phase and cphase; "opaque"
 * is a keyword, not a gate, and is not here. */
static const name_entry NAMES[] = {
    {"CX", TSR_GATE_CX},
    {"U", TSR_GATE_U},
    {"barrier", TSR_OP_BARRIER},
    {"c3sqrtx", TSR_GATE_C3SQRTX},
    {"c3sqrtxdg", TSR_GATE_C3SQRTXDG},
    {"c3x", TSR_GATE_C3X},
    {"c4x", TSR_GATE_C4X},
    {"ccx", TSR_GATE_CCX},
    {"ccz", TSR_GATE_CCZ},
    {"ch", TSR_GATE_CH},
    {"cp", TSR_GATE_CP},
    {"cphase", TSR_GATE_CP},
    {"crx", TSR_GATE_CRX},
    {"cry", TSR_GATE_CRY},
    {"crz", TSR_GATE_CRZ},
    {"cswap", TSR_GATE_CSWAP},
    {"csx", TSR_GATE_CSX},
    {"cu", TSR_GATE_CU},
    {"cu1", TSR_GATE_CU1},
    {"cu3", TSR_GATE_CU3},
    {"cx", TSR_GATE_CX},
    {"cy", TSR_GATE_CY},
    {"cz", TSR_GATE_CZ},
    {"dcx", TSR_GATE_DCX},
    {"dcxdg", TSR_GATE_DCXDG},
    {"ecr", TSR_GATE_ECR},
    {"gpi", TSR_GATE_GPI},
    {"gpi2", TSR_GATE_GPI2},
    {"gr", TSR_GATE_GR},
    {"h", TSR_GATE_H},
    {"id", TSR_GATE_ID},
    {"iswap", TSR_GATE_ISWAP},
    {"iswapdg", TSR_GATE_ISWAPDG},
    {"measure", TSR_OP_MEASURE},
    {"ms", TSR_GATE_MS},
    {"p", TSR_GATE_P},
    {"phase", TSR_GATE_P},
    {"r", TSR_GATE_R},
    {"rc3x", TSR_GATE_RC3X},
    {"rc3xdg", TSR_GATE_RC3XDG},
    {"rccx", TSR_GATE_RCCX},
    {"reset", TSR_OP_RESET},
    {"rx", TSR_GATE_RX},
    {"rxx", TSR_GATE_RXX},
    {"ry", TSR_GATE_RY},
    {"ryy", TSR_GATE_RYY},
    {"rz", TSR_GATE_RZ},
    {"rzx", TSR_GATE_RZX},
    {"rzz", TSR_GATE_RZZ},
    {"s", TSR_GATE_S},
    {"sdg", TSR_GATE_SDG},
    {"swap", TSR_GATE_SWAP},
    {"sx", TSR_GATE_SX},
    {"sxdg", TSR_GATE_SXDG},
    {"t", TSR_GATE_T},
    {"tdg", TSR_GATE_TDG},
    {"u", TSR_GATE_U},
    {"u0", TSR_GATE_U0},
    {"u1", TSR_GATE_U1},
    {"u2", TSR_GATE_U2},
    {"u3", TSR_GATE_U3},
    {"x", TSR_GATE_X},
    {"y", TSR_GATE_Y},
    {"z", TSR_GATE_Z},
    {"zz", TSR_GATE_ZZ},
};

int tsr_gate_is_virtual_z(tsr_gate kind) {
  switch (kind) {
  case TSR_GATE_Z:
  case TSR_GATE_S:
  case TSR_GATE_SDG:
  case TSR_GATE_T:
  case TSR_GATE_TDG:
  case TSR_GATE_RZ:
  case TSR_GATE_P:
  case TSR_GATE_U1:
    return 1;
  default:
    return 0;
  }
}

tsr_gate tsr_gate_lookup(const char *name) {
  if (!name) return TSR_GATE_NONE;
  size_t lo = 0, hi = sizeof NAMES / sizeof NAMES[0];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(name, NAMES[mid].name);
    if (c == 0) return NAMES[mid].kind;
    if (c < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return TSR_GATE_NONE;
}

/* -------------------------------------------------------------- Clifford */

/* Whether x is within tolerance of k * unit for an integer k; *k gets k
 * modulo 8 in [0, 8) (enough for every period used below). */
static int multiple_of(double x, double unit, int *k) {
  if (!isfinite(x)) return 0;
  double q = nearbyint(x / unit);
  if (!(fabs(x - q * unit) <= CLIFFORD_TOL * fmax(1.0, fabs(x)))) return 0;
  double m = fmod(q, 8.0);
  if (m < 0) m += 8.0;
  if (k) *k = (int)m;
  return 1;
}

static int quarter_turn(double x) {
  return multiple_of(x, M_PI / 2, NULL);
}
static int half_turn(double x) {
  return multiple_of(x, M_PI, NULL);
}
static int eighth_turn(double x) {
  return multiple_of(x, M_PI / 4, NULL);
}

/* exp(-i theta/2 P) for a Pauli-like P with P^2 = I is Clifford iff theta
 * is a multiple of pi/2, given that P is a Pauli. R(theta, phi) rotates
 * about an axis in the XY plane: a half turn is Clifford when that axis is
 * a Pauli axis or a diagonal between two (phi a multiple of pi/4), a quarter
 * turn only when the axis is X or Y. MS(phi0, phi1, theta) likewise with
 * both axes at once. */
static int rotation_xy_is_clifford(double theta, double phi0, double phi1, int two) {
  int k;
  if (!multiple_of(theta, M_PI / 2, &k)) return 0;
  switch (k % 4) {
  case 0:
    return 1; /* +-identity */
  case 2:
    return eighth_turn(phi0) && (!two || eighth_turn(phi1));
  default:
    return quarter_turn(phi0) && (!two || quarter_turn(phi1));
  }
}

/* U3(theta, phi, lambda) = Rz(phi) Ry(theta) Rz(lambda) up to phase: Clifford
 * when it maps the Z and X axes onto Pauli axes. */
static int u3_is_clifford(double theta, double phi, double lambda) {
  int k;
  if (!multiple_of(theta, M_PI / 2, &k)) return 0;
  switch (k % 4) {
  case 0:
    return quarter_turn(phi + lambda); /* Rz(phi + lambda) */
  case 2:
    return quarter_turn(phi - lambda); /* Rz(phi - lambda) Y */
  default:
    return quarter_turn(phi) && quarter_turn(lambda);
  }
}

/* A controlled V is Clifford iff V = w P with P in {I, X, Y, Z} and w a
 * fourth root of unity (the phase becomes a power of S on the control).
 * V = e^{i gamma} U3(theta, phi, lambda). */
static int controlled_u3_is_clifford(double theta, double phi, double lambda, double gamma) {
  int k;
  if (!multiple_of(theta, M_PI, &k)) return 0;
  if (k % 2 == 0) {
    /* +-e^{i gamma} diag(1, e^{i(phi+lambda)}): I or Z times a phase. */
    return half_turn(phi + lambda) && quarter_turn(gamma);
  }
  /* +-e^{i gamma} [[0, -e^{i lambda}], [e^{i phi}, 0]]: X or Y times a phase. */
  return half_turn(lambda - phi) && quarter_turn(gamma + phi);
}

int tsr_gate_is_clifford(tsr_gate kind, const double *params) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  if (!info) return 0;
  /* Measurement, reset and barriers are stabilizer operations. */
  if (kind == TSR_OP_MEASURE || kind == TSR_OP_RESET || kind == TSR_OP_BARRIER) return 1;
  if (!(info->flags & TSR_GF_UNITARY)) return 0;
  if (info->flags & TSR_GF_CLIFFORD) return 1;
  if (info->nparams == 0) return 0;
  if (!params) return 0;
  const double *p = params;
  switch (kind) {
  case TSR_GATE_RX:
  case TSR_GATE_RY:
  case TSR_GATE_RZ:
  case TSR_GATE_P:
  case TSR_GATE_U1:
  case TSR_GATE_RXX:
  case TSR_GATE_RYY:
  case TSR_GATE_RZZ:
  case TSR_GATE_RZX:
  case TSR_GATE_ZZ:
    return quarter_turn(p[0]);
  case TSR_GATE_U2:
    return quarter_turn(p[0]) && quarter_turn(p[1]);
  case TSR_GATE_U3:
  case TSR_GATE_U:
    return u3_is_clifford(p[0], p[1], p[2]);
  case TSR_GATE_R:
  case TSR_GATE_GR:
    return rotation_xy_is_clifford(p[0], p[1], 0.0, 0);
  case TSR_GATE_GPI:
    return eighth_turn(p[0]);
  case TSR_GATE_GPI2:
    return quarter_turn(p[0]);
  case TSR_GATE_MS:
    return rotation_xy_is_clifford(p[2], p[0], p[1], 1);
  case TSR_GATE_CRX:
  case TSR_GATE_CRY:
  case TSR_GATE_CRZ:
  case TSR_GATE_CP:
  case TSR_GATE_CU1:
    return half_turn(p[0]);
  case TSR_GATE_CU3:
    return controlled_u3_is_clifford(p[0], p[1], p[2], 0.0);
  case TSR_GATE_CU:
    return controlled_u3_is_clifford(p[0], p[1], p[2], p[3]);
  default:
    return 0;
  }
}

/* -------------------------------------------------------------- matrices */

static void u3_matrix(double theta, double phi, double lambda, cplx m[4]) {
  double c = cos(theta / 2), s = sin(theta / 2);
  m[0] = c;
  m[1] = -cexp(I * lambda) * s;
  m[2] = cexp(I * phi) * s;
  m[3] = cexp(I * (phi + lambda)) * c;
}

/* cos(phi) X + sin(phi) Y */
static void sigma_matrix(double phi, cplx m[4]) {
  m[0] = 0;
  m[1] = cexp(-I * phi);
  m[2] = cexp(I * phi);
  m[3] = 0;
}

/* R(theta, phi) = exp(-i theta/2 (cos phi X + sin phi Y)) */
static void r_matrix(double theta, double phi, cplx m[4]) {
  double c = cos(theta / 2), s = sin(theta / 2);
  m[0] = c;
  m[1] = -I * cexp(-I * phi) * s;
  m[2] = -I * cexp(I * phi) * s;
  m[3] = c;
}

static void set2(cplx m[4], cplx a, cplx b, cplx c, cplx d) {
  m[0] = a;
  m[1] = b;
  m[2] = c;
  m[3] = d;
}

/* The 2x2 matrix of a single-qubit kind, or of the target of a controlled
 * kind whose target is one qubit. Returns 0 for kinds that have neither. */
static int one_qubit_matrix(tsr_gate kind, const double *p, cplx m[4]) {
  const double r2 = M_SQRT1_2;
  switch (kind) {
  case TSR_GATE_ID:
  case TSR_GATE_U0:
    set2(m, 1, 0, 0, 1);
    return 1;
  case TSR_GATE_X:
  case TSR_GATE_CX:
  case TSR_GATE_CCX:
  case TSR_GATE_C3X:
  case TSR_GATE_C4X:
    set2(m, 0, 1, 1, 0);
    return 1;
  case TSR_GATE_Y:
  case TSR_GATE_CY:
    set2(m, 0, -I, I, 0);
    return 1;
  case TSR_GATE_Z:
  case TSR_GATE_CZ:
  case TSR_GATE_CCZ:
    set2(m, 1, 0, 0, -1);
    return 1;
  case TSR_GATE_H:
  case TSR_GATE_CH:
    set2(m, r2, r2, r2, -r2);
    return 1;
  case TSR_GATE_S:
    set2(m, 1, 0, 0, I);
    return 1;
  case TSR_GATE_SDG:
    set2(m, 1, 0, 0, -I);
    return 1;
  case TSR_GATE_T:
    set2(m, 1, 0, 0, r2 + I * r2);
    return 1;
  case TSR_GATE_TDG:
    set2(m, 1, 0, 0, r2 - I * r2);
    return 1;
  case TSR_GATE_SX:
  case TSR_GATE_CSX:
  case TSR_GATE_C3SQRTX:
    set2(m, 0.5 + 0.5 * I, 0.5 - 0.5 * I, 0.5 - 0.5 * I, 0.5 + 0.5 * I);
    return 1;
  case TSR_GATE_SXDG:
  case TSR_GATE_C3SQRTXDG:
    set2(m, 0.5 - 0.5 * I, 0.5 + 0.5 * I, 0.5 + 0.5 * I, 0.5 - 0.5 * I);
    return 1;
  case TSR_GATE_RX:
  case TSR_GATE_CRX: {
    double c = cos(p[0] / 2), s = sin(p[0] / 2);
    set2(m, c, -I * s, -I * s, c);
    return 1;
  }
  case TSR_GATE_RY:
  case TSR_GATE_CRY: {
    double c = cos(p[0] / 2), s = sin(p[0] / 2);
    set2(m, c, -s, s, c);
    return 1;
  }
  case TSR_GATE_RZ:
  case TSR_GATE_CRZ:
    set2(m, cexp(-I * p[0] / 2), 0, 0, cexp(I * p[0] / 2));
    return 1;
  case TSR_GATE_P:
  case TSR_GATE_U1:
  case TSR_GATE_CP:
  case TSR_GATE_CU1:
    set2(m, 1, 0, 0, cexp(I * p[0]));
    return 1;
  case TSR_GATE_U2:
    u3_matrix(M_PI / 2, p[0], p[1], m);
    return 1;
  case TSR_GATE_U3:
  case TSR_GATE_U:
  case TSR_GATE_CU3:
    u3_matrix(p[0], p[1], p[2], m);
    return 1;
  case TSR_GATE_CU: {
    u3_matrix(p[0], p[1], p[2], m);
    cplx g = cexp(I * p[3]);
    for (int i = 0; i < 4; i++) m[i] *= g;
    return 1;
  }
  case TSR_GATE_R:
    r_matrix(p[0], p[1], m);
    return 1;
  case TSR_GATE_GPI:
    sigma_matrix(p[0], m);
    return 1;
  case TSR_GATE_GPI2:
    set2(m, r2, -I * cexp(-I * p[0]) * r2, -I * cexp(I * p[0]) * r2, r2);
    return 1;
  default:
    return 0;
  }
}

/* exp(-i theta/2 B(op1) A(op0)) for 2x2 A, B that square to the identity. */
static void pauli_rotation(double theta, const cplx a[4], const cplx b[4], cplx out[16]) {
  double c = cos(theta / 2), s = sin(theta / 2);
  for (int r = 0; r < 4; r++) {
    for (int col = 0; col < 4; col++) {
      cplx kron = b[(r >> 1) * 2 + (col >> 1)] * a[(r & 1) * 2 + (col & 1)];
      out[r * 4 + col] = (r == col ? c : 0) - I * s * kron;
    }
  }
}

/* A gate that maps every basis state to one basis state times a phase:
 * column `from` has `phase` in row `to`; the other columns are identity. */
typedef struct monomial_entry {
  unsigned from, to;
  double re, im;
} monomial_entry;

/* Qiskit's RCCXGate, RC3XGate and the conjugate transpose of the latter. */
static const monomial_entry RCCX_ENTRIES[] = {{3, 7, 0, 1}, {7, 3, 0, -1}, {5, 5, -1, 0}};
static const monomial_entry RC3X_ENTRIES[] = {
    {3, 3, 0, 1}, {15, 7, 1, 0}, {11, 11, 0, -1}, {7, 15, -1, 0}};
static const monomial_entry RC3XDG_ENTRIES[] = {
    {3, 3, 0, -1}, {15, 7, -1, 0}, {11, 11, 0, 1}, {7, 15, 1, 0}};

static void monomial_matrix(unsigned n, const monomial_entry *e, size_t ne, cplx *out) {
  size_t dim = (size_t)1 << n;
  for (size_t i = 0; i < dim; i++) out[i * dim + i] = 1;
  for (size_t k = 0; k < ne; k++) {
    out[(size_t)e[k].from * dim + e[k].from] = 0;
  }
  for (size_t k = 0; k < ne; k++) {
    out[(size_t)e[k].to * dim + e[k].from] = e[k].re + I * e[k].im;
  }
}

/* Identity except where the nc leading control bits are all 1, where the
 * target matrix (on the remaining nt bits) acts. */
static void controlled_matrix(unsigned nc, unsigned nt, const cplx *target, cplx *out) {
  size_t dim = (size_t)1 << (nc + nt), tdim = (size_t)1 << nt, cmask = ((size_t)1 << nc) - 1;
  for (size_t i = 0; i < dim; i++) {
    if ((i & cmask) != cmask) out[i * dim + i] = 1;
  }
  for (size_t a = 0; a < tdim; a++) {
    for (size_t b = 0; b < tdim; b++) {
      out[((a << nc) | cmask) * dim + ((b << nc) | cmask)] = target[a * tdim + b];
    }
  }
}

static void copy16(cplx out[16], const double re[16], const double im[16]) {
  for (int i = 0; i < 16; i++) out[i] = re[i] + I * (im ? im[i] : 0.0);
}

static const double SWAP_RE[16] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1};
static const double ISWAP_RE[16] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const double ISWAP_IM[16] = {0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
/* dcx = cx(0,1) then cx(1,0): |01> -> |10>, |10> -> |11>, |11> -> |01>
 * (kets written |b1 b0>). */
static const double DCX_RE[16] = {1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0};
static const double DCXDG_RE[16] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0};
/* Qiskit's ECRGate: (1/sqrt2) (X(op0) - Y(op0) X(op1)). */
static const double ECR_RE[16] = {0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0};
static const double ECR_IM[16] = {0, 0, 0, 1, 0, 0, -1, 0, 0, 1, 0, 0, -1, 0, 0, 0};

static tsr_status fill_matrix(tsr_gate kind, const double *p, unsigned n, cplx *out) {
  cplx a[4], b[4], t[16];
  const cplx X[4] = {0, 1, 1, 0}, Y[4] = {0, -I, I, 0}, Z[4] = {1, 0, 0, -1};
  const tsr_gate_info *info = &GATES[kind];
  if (info->nqubits == 1 && one_qubit_matrix(kind, p, out)) return TSR_OK;
  if ((info->flags & TSR_GF_CONTROLLED) && kind != TSR_GATE_CSWAP) {
    one_qubit_matrix(kind, p, a);
    controlled_matrix(info->ncontrols, 1, a, out);
    return TSR_OK;
  }
  switch (kind) {
  case TSR_GATE_CSWAP:
    copy16(t, SWAP_RE, NULL);
    controlled_matrix(1, 2, t, out);
    return TSR_OK;
  case TSR_GATE_SWAP:
    copy16(out, SWAP_RE, NULL);
    return TSR_OK;
  case TSR_GATE_ISWAP:
    copy16(out, ISWAP_RE, ISWAP_IM);
    return TSR_OK;
  case TSR_GATE_ISWAPDG:
    copy16(out, ISWAP_RE, ISWAP_IM);
    for (int i = 0; i < 16; i++) out[i] = conj(out[i]);
    return TSR_OK;
  case TSR_GATE_DCX:
    copy16(out, DCX_RE, NULL);
    return TSR_OK;
  case TSR_GATE_DCXDG:
    copy16(out, DCXDG_RE, NULL);
    return TSR_OK;
  case TSR_GATE_ECR:
    copy16(out, ECR_RE, ECR_IM);
    for (int i = 0; i < 16; i++) out[i] *= M_SQRT1_2;
    return TSR_OK;
  case TSR_GATE_RXX:
    pauli_rotation(p[0], X, X, out);
    return TSR_OK;
  case TSR_GATE_RYY:
    pauli_rotation(p[0], Y, Y, out);
    return TSR_OK;
  case TSR_GATE_RZZ:
  case TSR_GATE_ZZ:
    pauli_rotation(p[0], Z, Z, out);
    return TSR_OK;
  case TSR_GATE_RZX:
    pauli_rotation(p[0], Z, X, out);
    return TSR_OK;
  case TSR_GATE_MS:
    sigma_matrix(p[0], a);
    sigma_matrix(p[1], b);
    pauli_rotation(p[2], a, b, out);
    return TSR_OK;
  case TSR_GATE_RCCX:
    monomial_matrix(3, RCCX_ENTRIES, sizeof RCCX_ENTRIES / sizeof RCCX_ENTRIES[0], out);
    return TSR_OK;
  case TSR_GATE_RC3X:
    monomial_matrix(4, RC3X_ENTRIES, sizeof RC3X_ENTRIES / sizeof RC3X_ENTRIES[0], out);
    return TSR_OK;
  case TSR_GATE_RC3XDG:
    monomial_matrix(4, RC3XDG_ENTRIES, sizeof RC3XDG_ENTRIES / sizeof RC3XDG_ENTRIES[0], out);
    return TSR_OK;
  case TSR_GATE_GR: {
    /* R on every operand: entry (r, c) is the product over operands k of
       R[bit k of r][bit k of c]. */
    r_matrix(p[0], p[1], a);
    size_t dim = (size_t)1 << n;
    for (size_t r = 0; r < dim; r++) {
      for (size_t c = 0; c < dim; c++) {
        cplx v = 1;
        for (unsigned k = 0; k < n; k++) v *= a[((r >> k) & 1) * 2 + ((c >> k) & 1)];
        out[r * dim + c] = v;
      }
    }
    return TSR_OK;
  }
  default:
    return TSR_ERR_INTERNAL;
  }
}

tsr_status tsr_gate_matrix(tsr_gate kind, const double *params, unsigned nqubits,
                           double complex *out, tsr_error *err) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  if (!info) return tsr_error_set(err, TSR_ERR_VALUE, "unknown gate kind %d", (int)kind);
  if (!(info->flags & TSR_GF_UNITARY)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "'%s' has no matrix", info->name);
  }
  if (info->nqubits && nqubits != info->nqubits) {
    return tsr_error_set(err, TSR_ERR_VALUE, "gate '%s' acts on %u qubit%s, not %u", info->name,
                         info->nqubits, info->nqubits == 1 ? "" : "s", nqubits);
  }
  if (nqubits == 0) {
    return tsr_error_set(err, TSR_ERR_VALUE, "gate '%s' needs at least one qubit", info->name);
  }
  if (nqubits > MAX_MATRIX_QUBITS) {
    return tsr_error_set(err, TSR_ERR_LIMIT, "matrix of '%s' on %u qubits: at most %u supported",
                         info->name, nqubits, MAX_MATRIX_QUBITS);
  }
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "no output matrix for gate '%s'", info->name);
  if (info->nparams && !params) {
    return tsr_error_set(err, TSR_ERR_VALUE, "gate '%s' needs %u parameter%s", info->name,
                         info->nparams, info->nparams == 1 ? "" : "s");
  }
  for (unsigned i = 0; i < info->nparams; i++) {
    if (!isfinite(params[i])) {
      return tsr_error_set(err, TSR_ERR_VALUE, "gate '%s': parameter %u is not a finite number",
                           info->name, i + 1);
    }
  }
  size_t dim = (size_t)1 << nqubits;
  for (size_t i = 0; i < dim * dim; i++) out[i] = 0;
  tsr_status st = fill_matrix(kind, params, nqubits, out);
  if (st != TSR_OK) {
    return tsr_error_set(err, st, "no matrix construction for gate '%s'", info->name);
  }
  return TSR_OK;
}

/* --------------------------------------------------------------- inverse */

tsr_status tsr_gate_inverse(tsr_gate kind, const double *params, tsr_gate *inv_kind,
                            double *inv_params, tsr_error *err) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  if (!info) return tsr_error_set(err, TSR_ERR_VALUE, "unknown gate kind %d", (int)kind);
  if (!(info->flags & TSR_GF_UNITARY)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "'%s' has no inverse", info->name);
  }
  if (!inv_kind) {
    return tsr_error_set(err, TSR_ERR_VALUE, "no room for the inverse of '%s'", info->name);
  }
  if (info->nparams && !params) {
    return tsr_error_set(err, TSR_ERR_VALUE, "gate '%s' needs %u parameter%s", info->name,
                         info->nparams, info->nparams == 1 ? "" : "s");
  }
  const double *p = params;
  double q[4] = {0, 0, 0, 0};
  tsr_gate k = kind;
  switch (kind) {
  case TSR_GATE_S:
    k = TSR_GATE_SDG;
    break;
  case TSR_GATE_SDG:
    k = TSR_GATE_S;
    break;
  case TSR_GATE_T:
    k = TSR_GATE_TDG;
    break;
  case TSR_GATE_TDG:
    k = TSR_GATE_T;
    break;
  case TSR_GATE_SX:
    k = TSR_GATE_SXDG;
    break;
  case TSR_GATE_SXDG:
    k = TSR_GATE_SX;
    break;
  case TSR_GATE_ISWAP:
    k = TSR_GATE_ISWAPDG;
    break;
  case TSR_GATE_ISWAPDG:
    k = TSR_GATE_ISWAP;
    break;
  case TSR_GATE_DCX:
    k = TSR_GATE_DCXDG;
    break;
  case TSR_GATE_DCXDG:
    k = TSR_GATE_DCX;
    break;
  case TSR_GATE_RC3X:
    k = TSR_GATE_RC3XDG;
    break;
  case TSR_GATE_RC3XDG:
    k = TSR_GATE_RC3X;
    break;
  case TSR_GATE_C3SQRTX:
    k = TSR_GATE_C3SQRTXDG;
    break;
  case TSR_GATE_C3SQRTXDG:
    k = TSR_GATE_C3SQRTX;
    break;
  case TSR_GATE_CSX:
    /* controlled SXdg, SXdg = e^{-i pi/4} U3(-pi/2, -pi/2, pi/2) */
    k = TSR_GATE_CU;
    q[0] = -M_PI / 2;
    q[1] = -M_PI / 2;
    q[2] = M_PI / 2;
    q[3] = -M_PI / 4;
    break;
  case TSR_GATE_RX:
  case TSR_GATE_RY:
  case TSR_GATE_RZ:
  case TSR_GATE_P:
  case TSR_GATE_U1:
  case TSR_GATE_CRX:
  case TSR_GATE_CRY:
  case TSR_GATE_CRZ:
  case TSR_GATE_CP:
  case TSR_GATE_CU1:
  case TSR_GATE_RXX:
  case TSR_GATE_RYY:
  case TSR_GATE_RZZ:
  case TSR_GATE_RZX:
  case TSR_GATE_ZZ:
    q[0] = -p[0];
    break;
  case TSR_GATE_U2:
    /* u2(phi, lambda) = u3(pi/2, phi, lambda) */
    k = TSR_GATE_U3;
    q[0] = -M_PI / 2;
    q[1] = -p[1];
    q[2] = -p[0];
    break;
  case TSR_GATE_U3:
  case TSR_GATE_U:
  case TSR_GATE_CU3:
    /* U3(theta, phi, lambda)^dagger = U3(-theta, -lambda, -phi) */
    q[0] = -p[0];
    q[1] = -p[2];
    q[2] = -p[1];
    break;
  case TSR_GATE_CU:
    q[0] = -p[0];
    q[1] = -p[2];
    q[2] = -p[1];
    q[3] = -p[3];
    break;
  case TSR_GATE_U0:
    q[0] = p[0];
    break; /* the same idle: the identity */
  case TSR_GATE_GPI:
    q[0] = p[0];
    break;
  /* Native gates keep their rotation angle (hardware takes it in a fixed
     range) and turn the axis around: sigma_{phi + pi} = -sigma_phi. */
  case TSR_GATE_GPI2:
    q[0] = p[0] + M_PI;
    break;
  case TSR_GATE_R:
  case TSR_GATE_GR:
    q[0] = p[0];
    q[1] = p[1] + M_PI;
    break;
  case TSR_GATE_MS:
    q[0] = p[0] + M_PI;
    q[1] = p[1];
    q[2] = p[2];
    break;
  default:
    if (!(info->flags & TSR_GF_SELF_INVERSE) || info->nparams) {
      return tsr_error_set(err, TSR_ERR_INTERNAL, "no inverse known for '%s'", info->name);
    }
    break;
  }
  const tsr_gate_info *inv = &GATES[k];
  if (inv->nparams && !inv_params) {
    return tsr_error_set(err, TSR_ERR_VALUE, "no room for the parameters of the inverse of '%s'",
                         info->name);
  }
  *inv_kind = k;
  for (unsigned i = 0; i < inv->nparams; i++) inv_params[i] = q[i];
  return TSR_OK;
}
