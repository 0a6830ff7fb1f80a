/* Single-qubit synthesis: ZYZ Euler angles and the native bases
 * {u3}, {rz, ry}, IBM {rz, sx, x}, neutral-atom {rz, r} and IonQ {gpi, gpi2}.
 * Also the small sequence helpers shared with the two-qubit synthesis. */
#include <string.h>

#include "compile_internal.h"

/* Angles closer than this to a multiple of the period are treated as exact. */
#define ANGLE_EPS 1e-12

int tsr__seq_push(tsr_synth_seq *s, tsr_gate kind, uint32_t q0, int q1, const double *params,
                  uint32_t nparams) {
  if (s->n >= TSR_SYNTH_MAX) return 0;
  tsr_synth_gate *g = &s->gates[s->n++];
  memset(g, 0, sizeof *g);
  g->kind = kind;
  g->qubits[0] = q0;
  g->nqubits = 1;
  if (q1 >= 0) {
    g->qubits[1] = (uint32_t)q1;
    g->nqubits = 2;
  }
  g->nparams = nparams;
  for (uint32_t i = 0; i < nparams && i < 3; i++) g->params[i] = params[i];
  return 1;
}

tsr_status tsr__op_matrix(tsr_gate kind, const double *params, unsigned nqubits, cplx *out,
                          tsr_error *err) {
  return tsr_gate_matrix(kind, params, nqubits, out, err);
}

/* Embeds a gate matrix on local operands into a dim-dimensional matrix. */
static tsr_status embed(const tsr_synth_gate *g, unsigned dim, cplx *out, tsr_error *err) {
  cplx m[16];
  tsr_status st = tsr_gate_matrix(g->kind, g->params, g->nqubits, m, err);
  if (st != TSR_OK) return st;
  if (dim == 2) {
    if (g->nqubits != 1 || g->qubits[0] != 0) {
      return tsr_error_set(err, TSR_ERR_INTERNAL, "gate does not fit a one-qubit sequence");
    }
    memcpy(out, m, 4 * sizeof *m);
    return TSR_OK;
  }
  if (g->nqubits == 1) {
    cplx id[4] = {1, 0, 0, 1};
    if (g->qubits[0] == 0) {
      cm_kron2(id, m, out);
    } else {
      cm_kron2(m, id, out);
    }
    return TSR_OK;
  }
  if (g->qubits[0] == 0 && g->qubits[1] == 1) {
    memcpy(out, m, 16 * sizeof *m);
    return TSR_OK;
  }
  /* operands swapped: out = SWAP m SWAP, i.e. exchange the two index bits */
  static const unsigned sw[4] = {0, 2, 1, 3};
  for (unsigned r = 0; r < 4; r++)
    for (unsigned c = 0; c < 4; c++) out[sw[r] * 4 + sw[c]] = m[r * 4 + c];
  return TSR_OK;
}

tsr_status tsr__seq_matrix(const tsr_synth_seq *s, unsigned dim, cplx *out, tsr_error *err) {
  cplx acc[16], g[16], t[16];
  cm_identity(dim, acc);
  for (size_t i = 0; i < s->n; i++) {
    tsr_status st = embed(&s->gates[i], dim, g, err);
    if (st != TSR_OK) return st;
    cm_mul(dim, g, acc, t);
    memcpy(acc, t, dim * dim * sizeof *t);
  }
  cplx ph = cexp(I * s->global_phase);
  for (unsigned i = 0; i < dim * dim; i++) out[i] = acc[i] * ph;
  return TSR_OK;
}

void tsr_euler_zyz(const double complex u[4], double angles[3], double *phase) {
  cplx det = u[0] * u[3] - u[1] * u[2];
  cplx s = csqrt(det);
  if (cabs(s) < 1e-300) s = 1;
  cplx a = u[0] / s, b = u[2] / s;
  double theta = 2 * atan2(cabs(b), cabs(a));
  double phi, lambda;
  if (cabs(b) < 1e-14) {
    phi = -carg(a);
    lambda = -carg(a);
  } else if (cabs(a) < 1e-14) {
    phi = carg(b);
    lambda = -carg(b);
  } else {
    double sum = -2 * carg(a), diff = 2 * carg(b);
    phi = (sum + diff) / 2;
    lambda = (sum - diff) / 2;
  }
  phi = tsr_wrap_angle(phi);
  lambda = tsr_wrap_angle(lambda);
  angles[0] = theta;
  angles[1] = phi;
  angles[2] = lambda;
  if (phase) {
    cplx rz1[4], ry[4], rz2[4], t[4], r[4];
    cm_rz(phi, rz1);
    cm_ry(theta, ry);
    cm_rz(lambda, rz2);
    cm_mul(2, ry, rz2, t);
    cm_mul(2, rz1, t, r);
    *phase = cm_relative_phase(2, r, u);
  }
}

/* Whether x is a multiple of period (within ANGLE_EPS). */
static int is_multiple(double x, double period) {
  double r = fmod(fabs(x), period);
  return r < ANGLE_EPS || period - r < ANGLE_EPS;
}

static int push_rz(tsr_synth_seq *s, uint32_t q, double t) {
  t = tsr_wrap_angle(t);
  if (is_multiple(t, 2 * M_PI)) return 1; /* identity up to phase */
  return tsr__seq_push(s, TSR_GATE_RZ, q, -1, &t, 1);
}

static int push1(tsr_synth_seq *s, tsr_gate kind, uint32_t q, double p0, double p1, double p2,
                 uint32_t np) {
  double p[3] = {tsr_wrap_angle(p0), tsr_wrap_angle(p1), tsr_wrap_angle(p2)};
  return tsr__seq_push(s, kind, q, -1, p, np);
}

tsr_status tsr__synth_1q_append(const cplx u[4], tsr_basis_1q basis, uint32_t q, tsr_synth_seq *seq,
                                double *phase, tsr_error *err) {
  double ang[3];
  tsr_euler_zyz(u, ang, NULL);
  double theta = ang[0], phi = ang[1], lambda = ang[2];
  int zero = theta < ANGLE_EPS;
  int half = fabs(theta - M_PI / 2) < ANGLE_EPS;
  int full = fabs(theta - M_PI) < ANGLE_EPS;
  size_t start = seq->n;
  int ok = 1;
  switch (basis) {
  case TSR_BASIS_1Q_U3:
    if (zero) {
      ok = push_rz(seq, q, phi + lambda);
    } else {
      ok = push1(seq, TSR_GATE_U3, q, theta, phi, lambda, 3);
    }
    break;
  case TSR_BASIS_1Q_ZYZ:
    if (zero) {
      ok = push_rz(seq, q, phi + lambda);
    } else {
      ok = push_rz(seq, q, lambda) && push1(seq, TSR_GATE_RY, q, theta, 0, 0, 1) &&
           push_rz(seq, q, phi);
    }
    break;
  case TSR_BASIS_1Q_ZSX:
    if (zero) {
      ok = push_rz(seq, q, phi + lambda);
    } else if (half) {
      /* ry(pi/2) = rz(pi/2) sx rz(-pi/2) up to phase */
      ok = push_rz(seq, q, lambda - M_PI / 2) && push1(seq, TSR_GATE_SX, q, 0, 0, 0, 0) &&
           push_rz(seq, q, phi + M_PI / 2);
    } else if (full) {
      /* ry(pi) = x z; rz(phi) x = x rz(-phi) */
      ok = push_rz(seq, q, lambda + M_PI - phi) && push1(seq, TSR_GATE_X, q, 0, 0, 0, 0);
    } else {
      ok = push_rz(seq, q, lambda) && push1(seq, TSR_GATE_SX, q, 0, 0, 0, 0) &&
           push_rz(seq, q, theta + M_PI) && push1(seq, TSR_GATE_SX, q, 0, 0, 0, 0) &&
           push_rz(seq, q, phi + M_PI);
    }
    break;
  case TSR_BASIS_1Q_ZR:
    if (zero) {
      ok = push_rz(seq, q, phi + lambda);
    } else {
      /* rz(-l) ry(t) rz(l) = r(t, pi/2 - l) */
      ok = push1(seq, TSR_GATE_R, q, theta, M_PI / 2 - lambda, 0, 2) &&
           push_rz(seq, q, phi + lambda);
    }
    break;
  case TSR_BASIS_1Q_GPI: {
    if (zero) {
      double a = tsr_wrap_angle(phi + lambda);
      if (!is_multiple(a, 2 * M_PI)) {
        /* gpi(x) gpi(0) = rz(2x) up to phase */
        ok = push1(seq, TSR_GATE_GPI, q, 0, 0, 0, 1) && push1(seq, TSR_GATE_GPI, q, a / 2, 0, 0, 1);
      }
    } else if (full) {
      ok = push1(seq, TSR_GATE_GPI, q, (phi - lambda) / 2 + M_PI / 2, 0, 0, 1);
    } else {
      /* gpi2(a) gpi(b) gpi2(c) = rz(a) ry(a + c - 2b) rz(-c) up to phase */
      double a = phi, c = -lambda, b = (phi - lambda - theta) / 2;
      ok = push1(seq, TSR_GATE_GPI2, q, c, 0, 0, 1) && push1(seq, TSR_GATE_GPI, q, b, 0, 0, 1) &&
           push1(seq, TSR_GATE_GPI2, q, a, 0, 0, 1);
    }
    break;
  }
  default:
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown single-qubit basis %d", (int)basis);
  }
  if (!ok) return tsr_error_set(err, TSR_ERR_INTERNAL, "synthesis sequence is full");
  if (phase) {
    /* phase of u relative to the gates just appended */
    tsr_synth_seq part;
    part.n = 0;
    part.global_phase = 0;
    for (size_t i = start; i < seq->n; i++) {
      part.gates[part.n] = seq->gates[i];
      part.gates[part.n].qubits[0] = 0;
      part.n++;
    }
    cplx m[4];
    tsr_status st = tsr__seq_matrix(&part, 2, m, err);
    if (st != TSR_OK) return st;
    *phase = cm_relative_phase(2, m, u);
  }
  return TSR_OK;
}

tsr_status tsr_synth_1q(const double complex u[4], tsr_basis_1q basis, tsr_synth_seq *out,
                        tsr_error *err) {
  if (!u || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_synth_1q: NULL argument");
  out->n = 0;
  out->global_phase = 0;
  double phase = 0;
  tsr_status st = tsr__synth_1q_append(u, basis, 0, out, &phase, err);
  if (st != TSR_OK) return st;
  out->global_phase = phase;
  return TSR_OK;
}
