/* The packet hypergraph: gate vertices and, per qubit, maximal runs of
 * two-qubit gates that commute with one Pauli on that qubit (packets). */
#include <stdlib.h>
#include <string.h>

#include "compile_internal.h"

enum { AX_Z = TSR__AX_Z, AX_X = TSR__AX_X, AX_Y = TSR__AX_Y };

static const char AXIS_CHAR[8] = {0, 'Z', 'X', 0, 'Y', 0, 0, 0};

/* Whether a 2x2 u maps the Pauli of axis bit `ax` to +-itself. */
static int preserves_axis(const cplx u[4], int ax) {
  return tsr__pauli_image(u, ax, NULL) == ax;
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
  free(h->sandwiches);
  free(h->sandwich_inner);
  free(h->sandwich_inner_fix);
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
  size_t first_gate;
} packet_rec;

/* A sandwich being read, per qubit. Two can be open on one qubit: the one
 * closed by a gate waits for its `after` packet while the packet it made
 * inside opens the next (h P1 h P2 h P3: sandwiches P1..P3 and P2..P4). */
enum { SW_NONE = 0, SW_INSIDE, SW_CLOSED };
#define SW_SLOTS 2
typedef struct sw_state {
  int state;
  uint32_t before;
  int axis, frame;
  size_t open_op, close_op;
  vec inner; /* inner_rec */
} sw_state;

typedef struct inner_rec {
  size_t gate;
  uint8_t fix;
} inner_rec;

/* The sandwich of q ends as a candidate: its packet `after` follows. */
static int sw_accept(sw_state *w, uint32_t q, uint32_t after, vec *sws, vec *inner) {
  struct tsr_sandwich *s = vec_push(sws);
  if (!s) return 0;
  s->qubit = q;
  s->before = w->before;
  s->after = after;
  s->open_op = w->open_op;
  s->close_op = w->close_op;
  s->inner_first = inner->n;
  s->inner_count = w->inner.n;
  for (size_t i = 0; i < w->inner.n; i++) {
    inner_rec *r = vec_push(inner);
    if (!r) return 0;
    *r = ((inner_rec *)w->inner.v)[i];
  }
  w->state = SW_NONE;
  return 1;
}

tsr_status tsr_packet_graph_build(const tsr_circuit *c, tsr_packet_graph **out, tsr_error *err) {
  return tsr_packet_graph_build_span(c, 0, out, err);
}

tsr_status tsr_packet_graph_build_span(const tsr_circuit *c, size_t max_span,
                                       tsr_packet_graph **out, tsr_error *err) {
  if (!c || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_packet_graph_build: NULL argument");
  *out = NULL;
  vec gates = {.size = sizeof(gate_rec)}, packets = {.size = sizeof(packet_rec)};
  vec sws = {.size = sizeof(struct tsr_sandwich)}, inner = {.size = sizeof(inner_rec)};
  uint32_t n = c->nqubits;
  int64_t *open = malloc((n ? n : 1) * sizeof *open); /* open packet per qubit, -1 none */
  int *open_axis = malloc((n ? n : 1) * sizeof *open_axis);
  sw_state *sw = calloc((n ? n : 1) * SW_SLOTS, sizeof *sw);
  tsr_packet_graph *h = NULL;
  tsr_status st = TSR_OK;
  for (size_t j = 0; sw && j < (size_t)n * SW_SLOTS; j++) sw[j].inner.size = sizeof(inner_rec);
  if (!open || !open_axis || !sw) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (uint32_t q = 0; q < n; q++) open[q] = -1;
  for (size_t i = 0; i < c->nops; i++) {
    const tsr_op *op = &c->ops[i];
    if (op->kind == TSR_OP_BARRIER) continue;
    if (op->kind == TSR_OP_MEASURE || op->kind == TSR_OP_RESET) {
      open[op->qubits[0]] = -1;
      for (int j = 0; j < SW_SLOTS; j++) sw[op->qubits[0] * SW_SLOTS + j].state = SW_NONE;
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
      sw_state *free_slot = NULL;
      for (int j = 0; j < SW_SLOTS; j++) {
        sw_state *w = &sw[q * SW_SLOTS + j];
        if (op->cond >= 0) {
          w->state = SW_NONE;
        } else if (w->state == SW_INSIDE) {
          int f = tsr__pauli_image(m, w->frame, NULL);
          if (!f) {
            w->state = SW_NONE;
          } else if (f == w->axis) {
            w->state = SW_CLOSED;
            w->close_op = i;
          } else {
            w->frame = f;
          }
        } else if (w->state == SW_CLOSED) {
          if (!preserves_axis(m, w->axis)) w->state = SW_NONE;
        }
        if (w->state == SW_NONE && !free_slot) free_slot = w;
      }
      if (free_slot && op->cond < 0 && open[q] >= 0 &&
          (open_axis[q] == AX_Z || open_axis[q] == AX_X) && !preserves_axis(m, open_axis[q])) {
        int f = tsr__pauli_image(m, open_axis[q], NULL);
        if (f) {
          free_slot->state = SW_INSIDE;
          free_slot->before = (uint32_t)open[q];
          free_slot->axis = open_axis[q];
          free_slot->frame = f;
          free_slot->open_op = i;
          free_slot->inner.n = 0;
        }
      }
      if (open[q] >= 0 && !preserves_axis(m, open_axis[q])) open[q] = -1;
      continue;
    }
    int ax[2] = {tsr__operand_axes(m, 0), tsr__operand_axes(m, 1)};
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
    int created[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
      uint32_t q = op->qubits[k];
      g->q[k] = q;
      if (open[q] >= 0 && (ax[k] & open_axis[q]) &&
          (!max_span || gates.n - 1 - ((packet_rec *)packets.v)[open[q]].first_gate < max_span)) {
        g->pk[k] = (uint32_t)open[q];
        continue;
      }
      created[k] = 1;
      packet_rec *p = vec_push(&packets);
      if (!p) {
        st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
        goto fail;
      }
      int a = ax[k] & AX_Z ? AX_Z : ax[k] & AX_X ? AX_X : ax[k] & AX_Y ? AX_Y : 0;
      p->qubit = q;
      p->axis = AXIS_CHAR[a];
      p->first_gate = gates.n - 1;
      g->pk[k] = (uint32_t)(packets.n - 1);
      if (a) {
        open[q] = (int64_t)(packets.n - 1);
        open_axis[q] = a;
      } else {
        open[q] = -1; /* not distributable: a packet of its own */
      }
    }
    /* Sandwiches: an inner gate, or the first gate of the packet after. */
    for (int kj = 0; kj < 2 * SW_SLOTS; kj++) {
      int k = kj / SW_SLOTS;
      sw_state *w = &sw[op->qubits[k] * SW_SLOTS + kj % SW_SLOTS];
      const packet_rec *pr = packets.v;
      if (op->cond >= 0) {
        w->state = SW_NONE;
      } else if (w->state == SW_INSIDE) {
        int a = tsr__pauli_image_2q(m, (unsigned)k, w->frame, NULL);
        if (a == 2 && pr[g->pk[1 - k]].axis != 'Z') a = 0;
        inner_rec *r = a ? vec_push(&w->inner) : NULL;
        if (r) {
          r->gate = gates.n - 1;
          r->fix = a == 2;
        } else {
          w->state = SW_NONE;
        }
      } else if (w->state == SW_CLOSED) {
        uint32_t pk = g->pk[k];
        if (created[k] && pr[pk].axis == AXIS_CHAR[w->axis]) {
          if (!sw_accept(w, op->qubits[k], pk, &sws, &inner)) {
            st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
            goto fail;
          }
        }
        w->state = SW_NONE;
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
  h->nsandwiches = sws.n;
  h->sandwiches = malloc((sws.n ? sws.n : 1) * sizeof *h->sandwiches);
  h->sandwich_inner = malloc((inner.n ? inner.n : 1) * sizeof *h->sandwich_inner);
  h->sandwich_inner_fix = malloc(inner.n ? inner.n : 1);
  if (!h->sandwiches || !h->sandwich_inner || !h->sandwich_inner_fix) {
    st = tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    goto fail;
  }
  if (sws.n) memcpy(h->sandwiches, sws.v, sws.n * sizeof *h->sandwiches);
  for (size_t i = 0; i < inner.n; i++) {
    h->sandwich_inner[i] = ((inner_rec *)inner.v)[i].gate;
    h->sandwich_inner_fix[i] = ((inner_rec *)inner.v)[i].fix;
  }
  goto done;
fail:
  tsr_packet_graph_free(h);
  h = NULL;
done:
  free(gates.v);
  free(packets.v);
  free(sws.v);
  free(inner.v);
  for (size_t j = 0; sw && j < (size_t)n * SW_SLOTS; j++) free(sw[j].inner.v);
  free(sw);
  free(open);
  free(open_axis);
  if (st == TSR_OK) *out = h;
  return st;
}
