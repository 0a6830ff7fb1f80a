/* `gate` definitions of the catalogue gates for the OpenQASM writer.
 *
 * Each body is exact under the catalogue's matrices (Qiskit's, global phase
 * included): multiplying out the body's gates gives the gate's matrix, not
 * only something equal up to a phase. tests/circuit/test_qasm_writer.c
 * checks every entry that way. Bodies use the builtin U, cx and other
 * catalogue gates; the writer emits the definitions a body needs before it
 * (no entry depends on itself, directly or not).
 *
 * Sources: Qiskit's qelib1.inc and gate definitions for cy, ccx, iswap, ecr,
 * rccx, rc3x, c3x, c4x and cu3; the others are textbook identities:
 *   rz(t) = h rx(t) h                (exact: rz has no phase freedom left)
 *   sx = h s h, sxdg = h sdg h
 *   ch = ry(pi/4) . cx . ry(-pi/4)   (ry(-pi/4) X ry(pi/4) = H)
 *   crz(t) = rz(t/2) . cx . rz(-t/2) . cx (X rz(a) X = rz(-a)), cry alike
 *   crx(t) = h . crz(t) . h on the target
 *   rzz(t) = cx . rz(t) on the target . cx; rxx, ryy, rzx by conjugation
 *   ms(p0, p1, t) = (rz(p0) x rz(p1)) rxx(t) (rz(-p0) x rz(-p1))
 *   r(t, p) = U(t, p - pi/2, pi/2 - p); gpi(p) = U(pi, p, pi - p);
 *   gpi2(p) = r(pi/2, p)
 * c3sqrtx uses cu1(+pi/8) first: the 3-controlled SX of the catalogue
 * (qelib1.inc's text, which starts with cu1(-pi/8), is its inverse; Qiskit
 * issue #7209). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "circuit/qasm_gatedefs.h"

/* Expressions: E(c0, c1, c2, c3, den, pi_num, pi_den). */
// clang-format off
#define E(c0, c1, c2, c3, dn, pn, pd) {{c0, c1, c2, c3}, dn, pn, pd}
#define K(pn, pd) E(0, 0, 0, 0, 1, pn, pd) /* constant pn*pi/pd */
#define ZERO K(0, 1)
#define A(i) E((i) == 0, (i) == 1, (i) == 2, (i) == 3, 1, 0, 1)                 /* p_i */
#define NEG(i) E(-((i) == 0), -((i) == 1), -((i) == 2), -((i) == 3), 1, 0, 1)   /* -p_i */
#define HALF(i) E((i) == 0, (i) == 1, (i) == 2, (i) == 3, 2, 0, 1)              /* p_i/2 */
#define NHALF(i) E(-((i) == 0), -((i) == 1), -((i) == 2), -((i) == 3), 2, 0, 1) /* -p_i/2 */

/* Body operations. Qubits a..e are formal operands 0..4. */
enum { a, b, c, d, e };
#define G1(k, q0) {TSR_GATE_##k, {q0}, {ZERO}}
#define G2(k, q0, q1) {TSR_GATE_##k, {q0, q1}, {ZERO}}
#define G3(k, q0, q1, q2) {TSR_GATE_##k, {q0, q1, q2}, {ZERO}}
#define G4(k, q0, q1, q2, q3) {TSR_GATE_##k, {q0, q1, q2, q3}, {ZERO}}
#define P1(k, q0, x) {TSR_GATE_##k, {q0}, {x}}
#define P2(k, q0, q1, x) {TSR_GATE_##k, {q0, q1}, {x}}
#define UU(q0, x, y, z) {TSR_GATE_U, {q0}, {x, y, z}}
#define CX(q0, q1) G2(CX, q0, q1)
// clang-format on

#define BODY(name, ...) static const qasm_body_op name[] = {__VA_ARGS__}

BODY(b_id, UU(a, ZERO, ZERO, ZERO));
BODY(b_x, UU(a, K(1, 1), ZERO, K(1, 1)));
BODY(b_y, UU(a, K(1, 1), K(1, 2), K(1, 2)));
BODY(b_z, UU(a, ZERO, ZERO, K(1, 1)));
BODY(b_h, UU(a, K(1, 2), ZERO, K(1, 1)));
BODY(b_s, UU(a, ZERO, ZERO, K(1, 2)));
BODY(b_sdg, UU(a, ZERO, ZERO, K(-1, 2)));
BODY(b_t, UU(a, ZERO, ZERO, K(1, 4)));
BODY(b_tdg, UU(a, ZERO, ZERO, K(-1, 4)));
BODY(b_sx, G1(H, a), G1(S, a), G1(H, a));
BODY(b_sxdg, G1(H, a), G1(SDG, a), G1(H, a));
BODY(b_rx, UU(a, A(0), K(-1, 2), K(1, 2)));
BODY(b_ry, UU(a, A(0), ZERO, ZERO));
BODY(b_rz, G1(H, a), P1(RX, a, A(0)), G1(H, a));
BODY(b_phase, UU(a, ZERO, ZERO, A(0)));
BODY(b_u2, UU(a, K(1, 2), A(0), A(1)));
BODY(b_u3, UU(a, A(0), A(1), A(2)));
BODY(b_r, UU(a, A(0), E(0, 1, 0, 0, 1, -1, 2), E(0, -1, 0, 0, 1, 1, 2)));
BODY(b_gpi, UU(a, K(1, 1), A(0), E(-1, 0, 0, 0, 1, 1, 1)));
BODY(b_gpi2, UU(a, K(1, 2), E(1, 0, 0, 0, 1, -1, 2), E(-1, 0, 0, 0, 1, 1, 2)));

BODY(b_cy, G1(SDG, b), CX(a, b), G1(S, b));
BODY(b_cz, G1(H, b), CX(a, b), G1(H, b));
BODY(b_ch, P1(RY, b, K(1, 4)), CX(a, b), P1(RY, b, K(-1, 4)));
BODY(b_csx, G1(H, b), P2(CU1, a, b, K(1, 2)), G1(H, b));
BODY(b_swap, CX(a, b), CX(b, a), CX(a, b));
BODY(b_iswap, G1(S, a), G1(S, b), G1(H, a), CX(a, b), CX(b, a), G1(H, b));
BODY(b_iswapdg, G1(H, b), CX(b, a), CX(a, b), G1(H, a), G1(SDG, b), G1(SDG, a));
BODY(b_dcx, CX(a, b), CX(b, a));
BODY(b_dcxdg, CX(b, a), CX(a, b));
BODY(b_ecr, P2(RZX, a, b, K(1, 4)), G1(X, a), P2(RZX, a, b, K(-1, 4)));
BODY(b_crx, G1(H, b), P1(RZ, b, HALF(0)), CX(a, b), P1(RZ, b, NHALF(0)), CX(a, b), G1(H, b));
BODY(b_cry, P1(RY, b, HALF(0)), CX(a, b), P1(RY, b, NHALF(0)), CX(a, b));
BODY(b_crz, P1(RZ, b, HALF(0)), CX(a, b), P1(RZ, b, NHALF(0)), CX(a, b));
BODY(b_cphase, P1(U1, a, HALF(0)), CX(a, b), P1(U1, b, NHALF(0)), CX(a, b), P1(U1, b, HALF(0)));
/* cu3(theta, phi, lam) */
BODY(b_cu3, P1(U1, a, E(0, 1, 1, 0, 2, 0, 1)), P1(U1, b, E(0, -1, 1, 0, 2, 0, 1)), CX(a, b),
     UU(b, NHALF(0), ZERO, E(0, -1, -1, 0, 2, 0, 1)), CX(a, b), UU(b, HALF(0), A(1), ZERO));
/* cu(theta, phi, lam, gamma) = u1(gamma) on the control, then cu3 */
BODY(b_cu, P1(U1, a, A(3)), P1(U1, a, E(0, 1, 1, 0, 2, 0, 1)), P1(U1, b, E(0, -1, 1, 0, 2, 0, 1)),
     CX(a, b), UU(b, NHALF(0), ZERO, E(0, -1, -1, 0, 2, 0, 1)), CX(a, b),
     UU(b, HALF(0), A(1), ZERO));
BODY(b_rxx, G1(H, a), G1(H, b), CX(a, b), P1(RZ, b, A(0)), CX(a, b), G1(H, a), G1(H, b));
BODY(b_ryy, P1(RX, a, K(1, 2)), P1(RX, b, K(1, 2)), CX(a, b), P1(RZ, b, A(0)), CX(a, b),
     P1(RX, a, K(-1, 2)), P1(RX, b, K(-1, 2)));
BODY(b_rzz, CX(a, b), P1(RZ, b, A(0)), CX(a, b));
BODY(b_rzx, G1(H, b), CX(a, b), P1(RZ, b, A(0)), CX(a, b), G1(H, b));
/* ms(phi0, phi1, theta) */
BODY(b_ms, P1(RZ, a, NEG(0)), P1(RZ, b, NEG(1)), P2(RXX, a, b, A(2)), P1(RZ, a, A(0)),
     P1(RZ, b, A(1)));

BODY(b_ccx, G1(H, c), CX(b, c), G1(TDG, c), CX(a, c), G1(T, c), CX(b, c), G1(TDG, c), CX(a, c),
     G1(T, b), G1(T, c), G1(H, c), CX(a, b), G1(T, a), G1(TDG, b), CX(a, b));
BODY(b_cswap, CX(c, b), G3(CCX, a, b, c), CX(c, b));
BODY(b_ccz, G1(H, c), G3(CCX, a, b, c), G1(H, c));
BODY(b_rccx, G1(H, c), G1(T, c), CX(b, c), G1(TDG, c), CX(a, c), G1(T, c), CX(b, c), G1(TDG, c),
     G1(H, c));
BODY(b_rc3x, G1(H, d), G1(T, d), CX(c, d), G1(TDG, d), G1(H, d), CX(a, d), G1(T, d), CX(b, d),
     G1(TDG, d), CX(a, d), G1(T, d), CX(b, d), G1(TDG, d), G1(H, d), G1(T, d), CX(c, d), G1(TDG, d),
     G1(H, d));
BODY(b_rc3xdg, G1(H, d), G1(T, d), CX(c, d), G1(TDG, d), G1(H, d), G1(T, d), CX(b, d), G1(TDG, d),
     CX(a, d), G1(T, d), CX(b, d), G1(TDG, d), CX(a, d), G1(H, d), G1(T, d), CX(c, d), G1(TDG, d),
     G1(H, d));
#define Q8(k) P1(U1, k, K(1, 8))
#define M8(k) P1(U1, k, K(-1, 8))
/* Phase polynomial of a 3-controlled Z between two h: +pi/8 on every
 * parity of an odd number of the four bits, -pi/8 on the even ones. */
BODY(b_c3x, G1(H, d), Q8(a), Q8(b), Q8(c), Q8(d), CX(a, b), M8(b), CX(a, b), CX(b, c), M8(c),
     CX(a, c), Q8(c), CX(b, c), M8(c), CX(a, c), CX(c, d), M8(d), CX(b, d), Q8(d), CX(c, d), M8(d),
     CX(a, d), Q8(d), CX(c, d), M8(d), CX(b, d), Q8(d), CX(c, d), M8(d), CX(a, d), G1(H, d));
#define CP8(x, y) P2(CU1, x, y, K(1, 8))
#define CM8(x, y) P2(CU1, x, y, K(-1, 8))
BODY(b_c3sqrtx, G1(H, d), CP8(a, d), G1(H, d), CX(a, b), G1(H, d), CM8(b, d), G1(H, d), CX(a, b),
     G1(H, d), CP8(b, d), G1(H, d), CX(b, c), G1(H, d), CM8(c, d), G1(H, d), CX(a, c), G1(H, d),
     CP8(c, d), G1(H, d), CX(b, c), G1(H, d), CM8(c, d), G1(H, d), CX(a, c), G1(H, d), CP8(c, d),
     G1(H, d));
BODY(b_c3sqrtxdg, G1(H, d), CM8(a, d), G1(H, d), CX(a, b), G1(H, d), CP8(b, d), G1(H, d), CX(a, b),
     G1(H, d), CM8(b, d), G1(H, d), CX(b, c), G1(H, d), CP8(c, d), G1(H, d), CX(a, c), G1(H, d),
     CM8(c, d), G1(H, d), CX(b, c), G1(H, d), CP8(c, d), G1(H, d), CX(a, c), G1(H, d), CM8(c, d),
     G1(H, d));
BODY(b_c4x, G1(H, e), P2(CU1, d, e, K(1, 2)), G1(H, e), G4(RC3X, a, b, c, d), G1(H, e),
     P2(CU1, d, e, K(-1, 2)), G1(H, e), G4(RC3XDG, a, b, c, d), G4(C3SQRTX, a, b, c, e));

#define N(arr)            arr, sizeof arr / sizeof arr[0]
#define DEF(k, body, ...) [TSR_GATE_##k] = {TSR_GATE_##k, {__VA_ARGS__}, N(body)}

static const qasm_gatedef DEFS[TSR_GATE_COUNT] = {
    DEF(ID, b_id, NULL),
    DEF(X, b_x, NULL),
    DEF(Y, b_y, NULL),
    DEF(Z, b_z, NULL),
    DEF(H, b_h, NULL),
    DEF(S, b_s, NULL),
    DEF(SDG, b_sdg, NULL),
    DEF(T, b_t, NULL),
    DEF(TDG, b_tdg, NULL),
    DEF(SX, b_sx, NULL),
    DEF(SXDG, b_sxdg, NULL),
    DEF(RX, b_rx, "theta"),
    DEF(RY, b_ry, "theta"),
    DEF(RZ, b_rz, "phi"),
    DEF(P, b_phase, "lam"),
    DEF(U1, b_phase, "lam"),
    DEF(U2, b_u2, "phi", "lam"),
    DEF(U3, b_u3, "theta", "phi", "lam"),
    DEF(U, b_u3, "theta", "phi", "lam"),
    DEF(U0, b_id, "gamma"),
    DEF(R, b_r, "theta", "phi"),
    DEF(GPI, b_gpi, "phi"),
    DEF(GPI2, b_gpi2, "phi"),
    DEF(CY, b_cy, NULL),
    DEF(CZ, b_cz, NULL),
    DEF(CH, b_ch, NULL),
    DEF(CSX, b_csx, NULL),
    DEF(SWAP, b_swap, NULL),
    DEF(ISWAP, b_iswap, NULL),
    DEF(DCX, b_dcx, NULL),
    DEF(ECR, b_ecr, NULL),
    DEF(CRX, b_crx, "theta"),
    DEF(CRY, b_cry, "theta"),
    DEF(CRZ, b_crz, "theta"),
    DEF(CP, b_cphase, "lam"),
    DEF(CU1, b_cphase, "lam"),
    DEF(CU3, b_cu3, "theta", "phi", "lam"),
    DEF(CU, b_cu, "theta", "phi", "lam", "gamma"),
    DEF(RXX, b_rxx, "theta"),
    DEF(RYY, b_ryy, "theta"),
    DEF(RZZ, b_rzz, "theta"),
    DEF(RZX, b_rzx, "theta"),
    DEF(MS, b_ms, "phi0", "phi1", "theta"),
    DEF(ZZ, b_rzz, "theta"),
    DEF(CCX, b_ccx, NULL),
    DEF(CSWAP, b_cswap, NULL),
    DEF(CCZ, b_ccz, NULL),
    DEF(RCCX, b_rccx, NULL),
    DEF(RC3X, b_rc3x, NULL),
    DEF(C3X, b_c3x, NULL),
    DEF(C3SQRTX, b_c3sqrtx, NULL),
    DEF(C4X, b_c4x, NULL),
    DEF(ISWAPDG, b_iswapdg, NULL),
    DEF(DCXDG, b_dcxdg, NULL),
    DEF(RC3XDG, b_rc3xdg, NULL),
    DEF(C3SQRTXDG, b_c3sqrtxdg, NULL),
};

const qasm_gatedef *qasm_gatedef_get(tsr_gate kind) {
  if ((int)kind <= (int)TSR_GATE_NONE || (int)kind >= (int)TSR_GATE_COUNT) return NULL;
  return DEFS[kind].body ? &DEFS[kind] : NULL;
}

double qasm_expr_eval(const qasm_expr *e, const double *params) {
  double v = 0.0;
  for (int i = 0; i < 4; i++) {
    if (e->coef[i]) v += e->coef[i] * params[i];
  }
  if (e->den > 1) v /= e->den;
  if (e->pi_num) v += e->pi_num * M_PI / (e->pi_den > 1 ? e->pi_den : 1);
  return v;
}

/* Append with snprintf semantics: *len counts what was needed. */
static void put_str(char *buf, size_t size, int *len, const char *s) {
  size_t at = (size_t)*len;
  int k = snprintf(at < size ? buf + at : NULL, at < size ? size - at : 0, "%s", s);
  if (k > 0) *len += k;
}

static void put_int(char *buf, size_t size, int *len, const char *pre, int n, const char *post) {
  char tmp[32];
  snprintf(tmp, sizeof tmp, "%s%d%s", pre, n, post);
  put_str(buf, size, len, tmp);
}

/* Writes "+ " / "- " (or a leading "-") and returns |k|. */
static int put_sign(char *buf, size_t size, int *len, int k, int first) {
  if (first)
    put_str(buf, size, len, k < 0 ? "-" : "");
  else
    put_str(buf, size, len, k < 0 ? " - " : " + ");
  return k < 0 ? -k : k;
}

static void put_pi(char *buf, size_t size, int *len, const qasm_expr *e, int first) {
  int k = put_sign(buf, size, len, e->pi_num, first);
  if (k != 1) put_int(buf, size, len, "", k, "*");
  put_str(buf, size, len, "pi");
  if (e->pi_den > 1) put_int(buf, size, len, "/", e->pi_den, "");
}

int qasm_expr_format(const qasm_expr *e, const char *const *names, char *buf, size_t size) {
  int len = 0;
  if (size) buf[0] = '\0';
  int nterms = 0, nneg = 0, lead = 0;
  for (int i = 0; i < 4; i++) {
    if (e->coef[i]) {
      if (!nterms) lead = e->coef[i];
      nterms++;
      nneg += e->coef[i] < 0;
    }
  }
  int den = e->den > 1 ? e->den : 1;
  /* With a denominator and several terms: "(x + y)/2" or "-(x + y)/2". */
  int group = den > 1 && nterms > 1;
  int flip = group && nneg == nterms;
  /* "pi - phi" reads better than "-phi + pi". */
  int pi_first = e->pi_num > 0 && nterms && lead < 0 && !group;
  int first = 1;
  if (pi_first) {
    put_pi(buf, size, &len, e, 1);
    first = 0;
  }
  if (group) put_str(buf, size, &len, flip ? "-(" : "(");
  int in_group = 1;
  for (int i = 0; i < 4; i++) {
    if (!e->coef[i]) continue;
    int k = put_sign(buf, size, &len, flip ? -e->coef[i] : e->coef[i], group ? in_group : first);
    if (k != 1) put_int(buf, size, &len, "", k, "*");
    put_str(buf, size, &len, names[i] ? names[i] : "?");
    first = in_group = 0;
  }
  if (group) put_str(buf, size, &len, ")");
  if (nterms && den > 1) put_int(buf, size, &len, "/", den, "");
  if (e->pi_num && !pi_first) {
    put_pi(buf, size, &len, e, first);
    first = 0;
  }
  if (first) put_str(buf, size, &len, "0");
  return len;
}
