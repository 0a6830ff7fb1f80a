/* The packet hypergraph: gate vertices and, per qubit, maximal runs of
 * two-qubit gates that commute with one Pauli on that qubit (packets). */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

enum { AX_Z = 1, AX_X = 2, AX_Y = 4 };

static const char AXIS_CHAR[8] = {0, 'Z', 'X', 0, 'Y', 0, 0, 0};

/* Whether a 2x2 u maps the Pauli of axis bit `ax` to +-itself. */
static int preserves_axis(const cplx u[4], int ax) {
  cplx p[4];
  if (ax == AX_Z) {
    p[0] = 1, p[1] = 0, p[2] = 0, p[3] = -1;
  } else if (ax == AX_X) {
    p[0] = 0, p[1] = 1, p[2] = 1, p[3] = 0;
  } else {
    p[0] = 0, p[1] = -I, p[2] = I, p[3] = 0;
  }
  cplx ud[4], t[4], r[4];
  cm_adj(2, u, ud);
  cm_mul(2, p, ud, t);
  cm_mul(2, u, t, r); /* u p u^dag */
  int plus = 1, minus = 1;
  for (int i = 0; i < 4; i++) {
    if (cabs(r[i] - p[i]) > 1e-9) plus = 0;
    if (cabs(r[i] + p[i]) > 1e-9) minus = 0;
  }
  return plus || minus;
}

/* Axes (bits) with which a two-qubit matrix commutes on operand k. */
static int operand_axes(const cplx m[16], unsigned k) {
  int mask = 0;
  const cplx paulis[3][4] = {{1, 0, 0, -1}, {0, 1, 1, 0}, {0, -I, I, 0}};
  const int bits[3] = {AX_Z, AX_X, AX_Y};
  cplx id[4] = {1, 0, 0, 1};
  for (int w = 0; w < 3; w++) {
    cplx pm[16], a[16], b[16];
    if (k == 0) {
      cm_kron2(id, paulis[w], pm);
    } else {
      cm_kron2(paulis[w], id, pm);
    }
    cm_mul(4, m, pm, a);
    cm_mul(4, pm, m, b);
    int ok = 1;
    for (int i = 0; i < 16 && ok; i++) ok = cabs(a[i] - b[i]) < 1e-9;
    if (ok) mask |= bits[w];
  }
  return mask;
}

typedef struct vec {
  void *v;
  size_t n, cap, size;
} vec;

static void *vec_push(vec *x) {
  if (x->n == x->cap) {
    size_t cap = x->cap ? 2 * x->cap : 64;
    void *g = realloc(x->v, cap * x->size);
    if (!g) return NULL;
    x->v = g;
    x->cap = cap;
  }
  return (char *)x->v + x->size * x->n++;
}

void tsr_packet_graph_free(tsr_packet_graph *h) {
  if (!h) return;
  free(h->gate_op);
  free(h->gate_qubit);
  free(h->gate_packet);
  free(h->packet_qubit);
  free(h->packet_axis);
  free(h->packet_start);
  free(h->packet_gates);
  free(h);
}

typedef struct gate_rec {
  size_t op;
  uint32_t q[2];
  uint32_t pk[2];
} gate_rec;

typedef struct packet_rec {
  uint32_t qubit;
  char axis;
} packet_rec;

tsr_status tsr_packet_graph_build(const tsr_circuit *c, tsr_packet_graph **out, tsr_error *err) {
  if (!c || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_packet_graph_build: NULL argument");
  *out = NULL;
  vec gates = {.size = sizeof(gate_rec)}, packets = {.size = sizeof(packet_rec)};
  uint32_t n = c->nqubits;
  int64_t *open = malloc((n ? n : 1) * sizeof *open); /* open packet per qubit, -1 none */
  int *open_axis = malloc((n ? n : 1) * sizeof *open_axis);
  tsr_packet_graph *h = NULL;
  tsr_status st = TSR_OK;
  if (!open || !open_axis) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (uint32_t q = 0; q < n; q++) open[q] = -1;
  for (size_t i = 0; i < c->nops; i++) {
    const tsr_op *op = &c->ops[i];
    if (op->kind == TSR_OP_BARRIER) continue;
    if (op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET) {
      open[op->qubits[0]] = -1;
      continue;
    }
    const tsr_gate_info *info = tsr_gate_get(op->kind);
    if (!info || !(info->flags & TSR_GF_UNITARY) || op->kind == TSR_GATE_OPAQUE ||
        op->nqubits > 2) {
      const char *name = op->kind == TSR_GATE_OPAQUE && op->name ? op->name
                         : info                                  ? info->name
                                                                 : "?";
      st = tsr_error_set(err, TSR_ERR_UNSUPPORTED,
                         "operation %zu ('%s') cannot be distributed as it is: decompose the "
                         "circuit first",
                         i, name);
      goto fail;
    }
    cplx m[16];
    st = tsr_gate_matrix(op->kind, op->params, op->nqubits, m, err);
    if (st != TSR_OK) goto fail;
    if (op->nqubits == 1) {
      uint32_t q = op->qubits[0];
      if (open[q] >= 0 && !preserves_axis(m, open_axis[q])) open[q] = -1;
      continue;
    }
    int ax[2] = {operand_axes(m, 0), operand_axes(m, 1)};
    if (!ax[0] && !ax[1]) {
      st = tsr_error_set(err, TSR_ERR_UNSUPPORTED,
                         "operation %zu ('%s') commutes with no Pauli on either qubit: decompose "
                         "the circuit first",
                         i, info->name);
      goto fail;
    }
    gate_rec *g = vec_push(&gates);
    if (!g) {
      st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
      goto fail;
    }
    g->op = i;
    for (int k = 0; k < 2; k++) {
      uint32_t q = op->qubits[k];
      g->q[k] = q;
      if (open[q] >= 0 && (ax[k] & open_axis[q])) {
        g->pk[k] = (uint32_t)open[q];
        continue;
      }
      packet_rec *p = vec_push(&packets);
      if (!p) {
        st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
        goto fail;
      }
      int a = ax[k] & AX_Z ? AX_Z : ax[k] & AX_X ? AX_X : ax[k] & AX_Y ? AX_Y : 0;
      p->qubit = q;
      p->axis = AXIS_CHAR[a];
      g->pk[k] = (uint32_t)(packets.n - 1);
      if (a) {
        open[q] = (int64_t)(packets.n - 1);
        open_axis[q] = a;
      } else {
        open[q] = -1; /* not distributable: a packet of its own */
      }
    }
  }
  h = calloc(1, sizeof *h);
  if (!h) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto fail;
  }
  h->nqubits = n;
  h->ngates = gates.n;
  h->npackets = packets.n;
  size_t ng = gates.n ? gates.n : 1, np = packets.n ? packets.n : 1;
  h->gate_op = malloc(ng * sizeof *h->gate_op);
  h->gate_qubit = malloc(ng * sizeof *h->gate_qubit);
  h->gate_packet = malloc(ng * sizeof *h->gate_packet);
  h->packet_qubit = malloc(np * sizeof *h->packet_qubit);
  h->packet_axis = malloc(np);
  h->packet_start = calloc(np + 1, sizeof *h->packet_start);
  h->packet_gates = malloc(2 * ng * sizeof *h->packet_gates);
  if (!h->gate_op || !h->gate_qubit || !h->gate_packet || !h->packet_qubit || !h->packet_axis ||
      !h->packet_start || !h->packet_gates) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto fail;
  }
  const gate_rec *gr = gates.v;
  const packet_rec *pr = packets.v;
  for (size_t p = 0; p < packets.n; p++) {
    h->packet_qubit[p] = pr[p].qubit;
    h->packet_axis[p] = pr[p].axis;
  }
  for (size_t g = 0; g < gates.n; g++) {
    h->gate_op[g] = gr[g].op;
    for (int k = 0; k < 2; k++) {
      h->gate_qubit[g][k] = gr[g].q[k];
      h->gate_packet[g][k] = gr[g].pk[k];
      h->packet_start[gr[g].pk[k] + 1]++;
    }
  }
  for (size_t p = 0; p < packets.n; p++) h->packet_start[p + 1] += h->packet_start[p];
  size_t *fill = malloc(np * sizeof *fill);
  if (!fill) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto fail;
  }
  memcpy(fill, h->packet_start, np * sizeof *fill);
  for (size_t g = 0; g < gates.n; g++)
    for (int k = 0; k < 2; k++) h->packet_gates[fill[gr[g].pk[k]]++] = g;
  free(fill);
  free(gates.v);
  free(packets.v);
  free(open);
  free(open_axis);
  *out = h;
  return TSR_OK;
fail:
  tsr_packet_graph_free(h);
  free(gates.v);
  free(packets.v);
  free(open);
  free(open_axis);
  return st;
}
