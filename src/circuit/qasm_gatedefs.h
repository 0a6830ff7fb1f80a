/* Private to the OpenQASM writer (and its tests): a `gate` definition for
 * every catalogue gate, in terms of OpenQASM's builtin U and other catalogue
 * gates, exact to the last global phase under the catalogue's matrices.
 *
 * Bodies are data, not text, so the tests can multiply them out with
 * tsr_gate_matrix and compare with the gate's own matrix. A body operation's
 * parameters are affine expressions of the definition's formal parameters:
 *   value = (coef[0] p0 + ... + coef[3] p3) / den + pi_num * pi / pi_den. */
#ifndef TSR_QASM_GATEDEFS_H
#define TSR_QASM_GATEDEFS_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/circuit.h"

typedef struct qasm_expr {
  int8_t coef[4];
  int8_t den; /* 0 is read as 1 */
  int8_t pi_num;
  int8_t pi_den; /* 0 is read as 1 */
} qasm_expr;

/* One operation of a body. kind TSR_GATE_U is printed as the builtin `U`;
 * every other kind by its catalogue name. q[] are formal qubit indices. */
typedef struct qasm_body_op {
  tsr_gate kind;
  uint8_t q[5];
  qasm_expr p[3];
} qasm_body_op;

typedef struct qasm_gatedef {
  tsr_gate kind;
  const char *params[4]; /* formal parameter names, NULL-padded */
  const qasm_body_op *body;
  size_t nbody;
} qasm_gatedef;

/* The definition of a fixed-arity catalogue gate, or NULL for kinds without
 * one: CX (builtin CX), GR (variadic: the writer builds its body from R),
 * opaque and non-unitary operations. */
const qasm_gatedef *qasm_gatedef_get(tsr_gate kind);

/* Value of an expression for actual parameters params[0..3]. */
double qasm_expr_eval(const qasm_expr *e, const double *params);

/* Writes the expression with the formal names names[0..3] ("(phi + lam)/2",
 * "pi - phi", "-pi/4", "0") into buf; returns the length it needed (as
 * snprintf). */
int qasm_expr_format(const qasm_expr *e, const char *const *names, char *buf, size_t size);

#endif
