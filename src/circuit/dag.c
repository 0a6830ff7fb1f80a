/* The dependency graph of a circuit: predecessor and successor lists in
 * compressed (CSR) form, ASAP layers, and a front-layer iterator for
 * schedulers and routers.
 *
 * Every qubit and classical bit is a wire; an operation depends on the last
 * earlier operation on each wire it touches (its qubits, its measure target
 * and every bit its condition reads). Following only the last operation per
 * wire keeps the graph linear in the circuit size: a barrier across n qubits
 * costs O(n) edges, not O(n^2), and the transitive dependencies are implied.
 * Classical reads are ordered among themselves too, as in Qiskit's DAG,
 * where a condition's bits are wires like any other. */
#include <stdlib.h>
#include <string.h>

#include "op_wires.h"
#include "tessera/circuit.h"

#define NO_OP SIZE_MAX

static int compare_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

/* Adds the last op on wire w as a predecessor of op i (once) and makes i the
 * last op on w. */
static void touch(size_t w, size_t i, size_t *last, size_t *stamp, size_t *pred, size_t *npred) {
  size_t p = last[w];
  if (p != NO_OP && p != i && stamp[p] != i) {
    stamp[p] = i;
    pred[(*npred)++] = p;
  }
  last[w] = i;
}

void tsr_dag_free(tsr_dag *d) {
  if (!d) return;
  free(d->pred_start);
  free(d->pred);
  free(d->succ_start);
  free(d->succ);
  free(d->layer);
  free(d);
}

/* Longest-path levels: an op's level counts the non-barrier ops on the
 * longest chain ending with it. A non-barrier op sits in layer level - 1; a
 * barrier takes the layer an op after it would take, its level. */
static void assign_layers(tsr_dag *d, const tsr_circuit *c, uint32_t *level) {
  uint32_t nlayers = 0;
  for (size_t i = 0; i < d->nops; i++) {
    uint32_t l = 0;
    for (size_t k = d->pred_start[i]; k < d->pred_start[i + 1]; k++) {
      if (level[d->pred[k]] > l) l = level[d->pred[k]];
    }
    int barrier = c->ops[i].kind == TSR_OP_BARRIER;
    level[i] = barrier ? l : l + 1;
    /* Either way the layer is the highest level among the predecessors. */
    d->layer[i] = l;
    if (level[i] > nlayers) nlayers = level[i];
  }
  /* Nothing follows a barrier whose level is the depth: it joins the last
     layer so that every layer index is below nlayers. A circuit of barriers
     alone has one layer. */
  if (nlayers == 0 && d->nops > 0) nlayers = 1;
  for (size_t i = 0; i < d->nops; i++) {
    if (d->layer[i] >= nlayers) d->layer[i] = nlayers - 1;
  }
  d->nlayers = nlayers;
}

tsr_dag *tsr_dag_new(const tsr_circuit *c, tsr_error *err) {
  if (!c) {
    tsr_error_set(err, TSR_ERR_VALUE, "no circuit");
    return NULL;
  }
  size_t n = c->nops, nwires = (size_t)c->nqubits + c->nclbits;
  /* First pass: check every op and bound the number of edges by the number
     of wire touches. */
  size_t touches = 0;
  for (size_t i = 0; i < n; i++) {
    tsr_op_wires w;
    if (tsr_op_wires_get(c, i, &w, err) != TSR_OK) return NULL;
    touches += w.nqubits + (w.clbit >= 0) + w.cond_count;
  }
  tsr_dag *d = tsr_calloc(1, sizeof *d, err);
  if (!d) return NULL;
  d->nops = n;
  size_t *last = tsr_malloc((nwires ? nwires : 1) * sizeof *last, err);
  size_t *stamp = tsr_malloc((n ? n : 1) * sizeof *stamp, err);
  uint32_t *level = tsr_malloc((n ? n : 1) * sizeof *level, err);
  d->pred_start = tsr_calloc(n + 1, sizeof *d->pred_start, err);
  d->succ_start = tsr_calloc(n + 1, sizeof *d->succ_start, err);
  d->pred = tsr_malloc((touches ? touches : 1) * sizeof *d->pred, err);
  d->layer = tsr_calloc(n ? n : 1, sizeof *d->layer, err);
  if (!last || !stamp || !level || !d->pred_start || !d->succ_start || !d->pred || !d->layer) {
    goto fail;
  }
  for (size_t w = 0; w < nwires; w++) last[w] = NO_OP;
  for (size_t i = 0; i < n; i++) stamp[i] = NO_OP;

  size_t npred = 0;
  for (size_t i = 0; i < n; i++) {
    tsr_op_wires w;
    tsr_op_wires_get(c, i, &w, NULL); /* checked above */
    d->pred_start[i] = npred;
    for (uint32_t k = 0; k < w.nqubits; k++) touch(w.qubits[k], i, last, stamp, d->pred, &npred);
    if (w.clbit >= 0) touch(c->nqubits + (size_t)w.clbit, i, last, stamp, d->pred, &npred);
    for (uint32_t k = 0; k < w.cond_count; k++) {
      touch(c->nqubits + (size_t)w.cond_first + k, i, last, stamp, d->pred, &npred);
    }
    size_t np = npred - d->pred_start[i];
    if (np > 1) qsort(d->pred + d->pred_start[i], np, sizeof *d->pred, compare_size);
  }
  d->pred_start[n] = npred;

  /* Successors: the transpose, filled in op order so each list is sorted. */
  d->succ = tsr_malloc((npred ? npred : 1) * sizeof *d->succ, err);
  if (!d->succ) goto fail;
  for (size_t k = 0; k < npred; k++) d->succ_start[d->pred[k] + 1]++;
  for (size_t i = 0; i < n; i++) d->succ_start[i + 1] += d->succ_start[i];
  size_t *fill = stamp; /* reused: next free slot per op */
  for (size_t i = 0; i < n; i++) fill[i] = d->succ_start[i];
  for (size_t i = 0; i < n; i++) {
    for (size_t k = d->pred_start[i]; k < d->pred_start[i + 1]; k++)
      d->succ[fill[d->pred[k]]++] = i;
  }

  assign_layers(d, c, level);
  free(last);
  free(stamp);
  free(level);
  return d;

fail:
  free(last);
  free(stamp);
  free(level);
  tsr_dag_free(d);
  return NULL;
}

/* ------------------------------------------------------------ the front */

tsr_status tsr_dag_front_init(tsr_dag_front *f, const tsr_dag *d, tsr_error *err) {
  if (!f || !d) return tsr_error_set(err, TSR_ERR_VALUE, "no front or no DAG");
  *f = (tsr_dag_front){.dag = d};
  size_t n = d->nops ? d->nops : 1;
  f->remaining = tsr_malloc(n * sizeof *f->remaining, err);
  f->front = tsr_malloc(n * sizeof *f->front, err);
  if (!f->remaining || !f->front) {
    tsr_dag_front_release(f);
    return TSR_ERR_NOMEM;
  }
  for (size_t i = 0; i < d->nops; i++) {
    f->remaining[i] = (uint32_t)(d->pred_start[i + 1] - d->pred_start[i]);
    if (f->remaining[i] == 0) f->front[f->nfront++] = i;
  }
  return TSR_OK;
}

tsr_status tsr_dag_front_done(tsr_dag_front *f, size_t op, tsr_error *err) {
  if (!f || !f->dag) return tsr_error_set(err, TSR_ERR_VALUE, "front is not initialised");
  size_t j = 0;
  while (j < f->nfront && f->front[j] != op) j++;
  if (j == f->nfront) {
    return tsr_error_set(err, TSR_ERR_VALUE, "operation %zu is not in the front", op);
  }
  /* Keep the front in the order ops became ready. */
  memmove(f->front + j, f->front + j + 1, (f->nfront - j - 1) * sizeof *f->front);
  f->nfront--;
  f->ndone++;
  const tsr_dag *d = f->dag;
  for (size_t k = d->succ_start[op]; k < d->succ_start[op + 1]; k++) {
    size_t s = d->succ[k];
    if (--f->remaining[s] == 0) f->front[f->nfront++] = s;
  }
  return TSR_OK;
}

void tsr_dag_front_release(tsr_dag_front *f) {
  if (!f) return;
  free(f->remaining);
  free(f->front);
  *f = (tsr_dag_front){0};
}
