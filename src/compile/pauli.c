/* Paulis under conjugation: what the packet hypergraph and the distributor
 * ask of a gate (does it keep a Pauli on an operand, where does it send it). */
#include <string.h>

#include "compile_internal.h"

void tsr__pauli(int ax, cplx p[4]) {
  static const cplx paulis[3][4] = {{1, 0, 0, -1}, {0, 1, 1, 0}, {0, -I, I, 0}};
  const cplx *src = paulis[ax == TSR__AX_Z ? 0 : ax == TSR__AX_X ? 1 : 2];
  for (int i = 0; i < 4; i++) p[i] = src[i];
}

/* +1 when a == b, -1 when a == -b, 0 otherwise (n entries, 1e-9). */
static int same_up_to_sign(const cplx *a, const cplx *b, unsigned n) {
  int plus = 1, minus = 1;
  for (unsigned i = 0; i < n; i++) {
    if (cabs(a[i] - b[i]) > 1e-9) plus = 0;
    if (cabs(a[i] + b[i]) > 1e-9) minus = 0;
  }
  return plus ? 1 : (minus ? -1 : 0);
}

int tsr__pauli_image(const cplx u[4], int ax, int *sign) {
  cplx p[4], ud[4], t[4], r[4];
  tsr__pauli(ax, p);
  cm_adj(2, u, ud);
  cm_mul(2, p, ud, t);
  cm_mul(2, u, t, r);
  const int axes[3] = {TSR__AX_Z, TSR__AX_X, TSR__AX_Y};
  for (int w = 0; w < 3; w++) {
    cplx q[4];
    tsr__pauli(axes[w], q);
    int s = same_up_to_sign(r, q, 4);
    if (s) {
      if (sign) *sign = s;
      return axes[w];
    }
  }
  return 0;
}

/* The Pauli of axis ax on operand k (identity on the other) as a 4x4. */
static void pauli_on(int ax, unsigned k, cplx out[16]) {
  cplx p[4], id[4] = {1, 0, 0, 1};
  tsr__pauli(ax, p);
  if (k == 0)
    cm_kron2(id, p, out);
  else
    cm_kron2(p, id, out);
}

int tsr__operand_axes(const cplx m[16], unsigned k) {
  int mask = 0;
  const int axes[3] = {TSR__AX_Z, TSR__AX_X, TSR__AX_Y};
  for (int w = 0; w < 3; w++) {
    cplx pm[16], a[16], b[16];
    pauli_on(axes[w], k, pm);
    cm_mul(4, m, pm, a);
    cm_mul(4, pm, m, b);
    if (same_up_to_sign(a, b, 16) == 1) mask |= axes[w];
  }
  return mask;
}

int tsr__pauli_image_2q(const cplx m[16], unsigned k, int ax, int *sign) {
  cplx pm[16], md[16], t[16], r[16], z[4], p[4], with_z[16];
  pauli_on(ax, k, pm);
  cm_adj(4, m, md);
  cm_mul(4, pm, md, t);
  cm_mul(4, m, t, r);
  int s = same_up_to_sign(r, pm, 16);
  if (s) {
    if (sign) *sign = s;
    return 1;
  }
  tsr__pauli(TSR__AX_Z, z);
  tsr__pauli(ax, p);
  if (k == 0)
    cm_kron2(z, p, with_z);
  else
    cm_kron2(p, z, with_z);
  s = same_up_to_sign(r, with_z, 16);
  if (s) {
    if (sign) *sign = s;
    return 2;
  }
  return 0;
}
