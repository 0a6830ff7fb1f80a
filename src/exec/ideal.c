/* The noiseless reference a run is judged against: the source circuit's
 * output distribution (exact from the final state vector when the circuit
 * only measures at the end and is small enough, else sampled from the
 * noiseless simulator: the tableau for Clifford circuits of any size, the
 * state vector up to the qubit limit) and, for small circuits, the final
 * pure state for the state fidelity. Hellinger fidelities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"

/* Largest exact reference (2^26 amplitudes = 1 GiB) and the most measured
 * qubits whose marginal is tabulated densely. */
#define EXACT_MAX_QUBITS   26
#define EXACT_MAX_MEASURED 24

void tsr__xdist_free(xdist *d) {
  for (size_t i = 0; i < d->n; i++) free(d->bits[i]);
  free(d->bits);
  free(d->p);
  memset(d, 0, sizeof *d);
}

void tsr__exec_ideal_free(xideal *id) {
  tsr__xdist_free(&id->dist);
  free(id->psi);
  memset(id, 0, sizeof *id);
}

/* --------------------------------------------------------- Hellinger */

typedef struct keyed {
  const char *bits;
  double p;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
  return strcmp(((const keyed *)a)->bits, ((const keyed *)b)->bits);
}

/* (sum sqrt(p q))^2 over two sorted keyed lists. */
static double hellinger_sorted(const keyed *a, size_t na, const keyed *b, size_t nb) {
  double s = 0;
  size_t i = 0, j = 0;
  while (i < na && j < nb) {
    int c = strcmp(a[i].bits, b[j].bits);
    if (c == 0) {
      s += sqrt(a[i].p * b[j].p);
      i++;
      j++;
    } else if (c < 0) {
      i++;
    } else {
      j++;
    }
  }
  return s * s;
}

static keyed *keyed_counts(const tsr_count *c, size_t n) {
  keyed *k = malloc((n ? n : 1) * sizeof *k);
  if (!k) return NULL;
  double total = 0;
  for (size_t i = 0; i < n; i++) total += (double)c[i].count;
  for (size_t i = 0; i < n; i++) {
    k[i].bits = c[i].bits;
    k[i].p = total > 0 ? (double)c[i].count / total : 0;
  }
  qsort(k, n, sizeof *k, cmp_keyed);
  return k;
}

double tsr_exec_hellinger(const tsr_count *a, size_t na, const tsr_count *b, size_t nb) {
  keyed *ka = keyed_counts(a, na), *kb = keyed_counts(b, nb);
  double h = ka && kb ? hellinger_sorted(ka, na, kb, nb) : NAN;
  free(ka);
  free(kb);
  return h;
}

double tsr__exec_hellinger_dist(const tsr_count *c, size_t nc, const xdist *d) {
  keyed *kc = keyed_counts(c, nc);
  keyed *kd = malloc((d->n ? d->n : 1) * sizeof *kd);
  double h = NAN;
  if (kc && kd) {
    for (size_t i = 0; i < d->n; i++) kd[i] = (keyed){d->bits[i], d->p[i]};
    h = hellinger_sorted(kc, nc, kd, d->n); /* d is sorted already */
  }
  free(kc);
  free(kd);
  return h;
}

/* --------------------------------------------------------- reference */

typedef struct shape {
  int has_measure;
  int final_only; /* measurements only at the end, no conditions, no resets */
  int clifford;
  int opaque;
} shape;

static shape analyse(const tsr_circuit *c, tsr_error *err, uint8_t *measured) {
  shape s = {0, 1, 1, 0};
  for (size_t i = 0; i < c->nops; i++) {
    const tsr_op *op = &c->ops[i];
    if (op->cond >= 0 || op->kind == TSR_OP_RESET) s.final_only = 0;
    if (op->kind == TSR_GATE_OPAQUE) s.opaque = 1;
    if (!tsr_gate_is_clifford(op->kind, op->params)) s.clifford = 0;
    if (op->kind == TSR_OP_MEASURE) {
      s.has_measure = 1;
      measured[op->qubits[0]] = 1;
    } else if (op->kind != TSR_OP_BARRIER) {
      for (uint32_t k = 0; k < op->nqubits; k++)
        if (measured[op->qubits[k]]) s.final_only = 0;
    }
  }
  (void)err;
  return s;
}

/* The circuit without its measurements. */
static tsr_status strip(const tsr_circuit *c, tsr_circuit **out, tsr_error *err) {
  tsr_circuit *s = tsr_circuit_new(err);
  if (!s) return TSR_ERR_NOMEM;
  tsr_status st = TSR_OK;
  for (uint32_t r = 0; r < c->nqregs && st == TSR_OK; r++)
    st = tsr_circuit_add_qreg(s, c->qregs[r].name, c->qregs[r].size, NULL, err);
  for (size_t i = 0; i < c->nops && st == TSR_OK; i++) {
    const tsr_op *op = &c->ops[i];
    if (op->kind == TSR_OP_MEASURE) continue;
    if (op->kind == TSR_OP_BARRIER)
      st = tsr_circuit_append_barrier(s, op->qubits, op->nqubits, err);
    else
      st = tsr_circuit_append_gate(s, op->kind, op->qubits, op->nqubits, op->params, op->nparams,
                                   err);
  }
  if (st != TSR_OK) {
    tsr_circuit_free(s);
    return st;
  }
  *out = s;
  return TSR_OK;
}

typedef struct entry {
  char *bits;
  double p;
} entry;

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const entry *)a)->bits, ((const entry *)b)->bits);
}

/* The exact distribution of the classical bits from the final amplitudes. */
static tsr_status exact_dist(const tsr_circuit *c, int has_measure, const double complex *amp,
                             xdist *d, tsr_error *err) {
  uint32_t n = c->nqubits, nbits = has_measure ? c->nclbits : n;
  int64_t *bit_qubit = tsr_malloc(((size_t)nbits + 1) * sizeof *bit_qubit, err);
  int32_t *local = tsr_malloc(((size_t)n + 1) * sizeof *local, err);
  uint32_t measured[64], k = 0;
  if (!bit_qubit || !local) {
    free(bit_qubit);
    free(local);
    return TSR_ERR_NOMEM;
  }
  for (uint32_t b = 0; b < nbits; b++) bit_qubit[b] = has_measure ? -1 : (int64_t)b;
  if (has_measure)
    for (size_t i = 0; i < c->nops; i++)
      if (c->ops[i].kind == TSR_OP_MEASURE) bit_qubit[c->ops[i].clbit] = c->ops[i].qubits[0];
  for (uint32_t q = 0; q < n; q++) local[q] = -1;
  for (uint32_t b = 0; b < nbits; b++) {
    int64_t q = bit_qubit[b];
    if (q >= 0 && local[q] < 0) {
      local[q] = (int32_t)k;
      measured[k++] = (uint32_t)q;
    }
  }
  uint64_t nk = UINT64_C(1) << k, dim = UINT64_C(1) << n;
  double *prob = tsr_calloc(nk, sizeof *prob, err);
  tsr_status st = TSR_OK;
  if (!prob) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  for (uint64_t i = 0; i < dim; i++) {
    double pr = creal(amp[i]) * creal(amp[i]) + cimag(amp[i]) * cimag(amp[i]);
    if (pr == 0) continue;
    uint64_t idx = 0;
    for (uint32_t j = 0; j < k; j++) idx |= ((i >> measured[j]) & 1u) << j;
    prob[idx] += pr;
  }
  size_t nz = 0;
  for (uint64_t v = 0; v < nk; v++)
    if (prob[v] > 1e-14) nz++;
  entry *es = tsr_calloc(nz ? nz : 1, sizeof *es, err);
  if (!es) {
    st = TSR_ERR_NOMEM;
    goto out;
  }
  size_t e = 0;
  double total = 0;
  for (uint64_t v = 0; v < nk && st == TSR_OK; v++) {
    if (!(prob[v] > 1e-14)) continue;
    char *bits = tsr_malloc((size_t)nbits + 1, err);
    if (!bits) {
      st = TSR_ERR_NOMEM;
      break;
    }
    for (uint32_t b = 0; b < nbits; b++) {
      int64_t q = bit_qubit[b];
      bits[nbits - 1 - b] = q >= 0 && ((v >> local[q]) & 1u) ? '1' : '0';
    }
    bits[nbits] = '\0';
    es[e].bits = bits;
    es[e].p = prob[v];
    total += prob[v];
    e++;
  }
  if (st == TSR_OK) {
    qsort(es, e, sizeof *es, cmp_entry);
    d->bits = tsr_malloc((e ? e : 1) * sizeof *d->bits, err);
    d->p = tsr_malloc((e ? e : 1) * sizeof *d->p, err);
    if (!d->bits || !d->p) st = TSR_ERR_NOMEM;
  }
  if (st == TSR_OK) {
    for (size_t i = 0; i < e; i++) {
      d->bits[i] = es[i].bits;
      d->p[i] = es[i].p / total;
      es[i].bits = NULL;
    }
    d->n = e;
  }
  for (size_t i = 0; i < e; i++) free(es[i].bits);
  free(es);
out:
  free(prob);
  free(bit_qubit);
  free(local);
  return st;
}

static tsr_status sampled_dist(const tsr_circuit *c, tsr_backend_kind kind, uint64_t shots,
                               uint64_t memory_limit, xdist *d, tsr_error *err) {
  tsr_sim_options so;
  tsr_sim_options_init(&so);
  so.backend = kind;
  so.shots = shots;
  so.seed = UINT64_C(0x5eed1dea1);
  so.memory_limit = memory_limit;
  tsr_sim_result *r = NULL;
  tsr_status st = tsr_sim_run(c, &so, &r, err);
  if (st != TSR_OK) return st;
  d->bits = tsr_calloc(r->ncounts + 1, sizeof *d->bits, err);
  d->p = tsr_calloc(r->ncounts + 1, sizeof *d->p, err);
  if (!d->bits || !d->p) {
    tsr_sim_result_free(r);
    return TSR_ERR_NOMEM;
  }
  for (size_t i = 0; i < r->ncounts; i++) {
    d->bits[i] = r->counts[i].bits;
    r->counts[i].bits = NULL;
    d->p[i] = (double)r->counts[i].count / (double)r->shots;
  }
  d->n = r->ncounts;
  tsr_sim_result_free(r);
  /* The runner sorts its counts; make sure of strcmp order anyway. */
  int sorted = 1;
  for (size_t i = 1; i < d->n; i++)
    if (strcmp(d->bits[i - 1], d->bits[i]) > 0) sorted = 0;
  if (!sorted) {
    entry *es = tsr_malloc(d->n * sizeof *es, err);
    if (!es) return TSR_ERR_NOMEM;
    for (size_t i = 0; i < d->n; i++) es[i] = (entry){d->bits[i], d->p[i]};
    qsort(es, d->n, sizeof *es, cmp_entry);
    for (size_t i = 0; i < d->n; i++) {
      d->bits[i] = es[i].bits;
      d->p[i] = es[i].p;
    }
    free(es);
  }
  return TSR_OK;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

tsr_status tsr__exec_ideal(const tsr_circuit *c, uint64_t shots, uint32_t max_qubits,
                           uint32_t state_max_qubits, uint64_t memory_limit, xideal *out,
                           tsr_error *err) {
  memset(out, 0, sizeof *out);
  uint32_t n = c->nqubits;
  uint8_t *measured = tsr_calloc((size_t)n + 1, 1, err);
  if (!measured) return TSR_ERR_NOMEM;
  shape s = analyse(c, err, measured);
  free(measured);
  out->nbits = s.has_measure ? c->nclbits : n;
  out->nqubits = n;
  if (s.opaque) {
    snprintf(out->note, sizeof out->note, "not computed: the circuit has opaque gates");
    snprintf(out->state_note, sizeof out->state_note, "%s", out->note);
    return TSR_OK;
  }
  tsr_error e2;
  tsr_error_clear(&e2);
  uint64_t avail = memory_limit ? memory_limit : tsr_memory_available_bytes();
  uint64_t svb = tsr_statevec_bytes(n, TSR_PRECISION_DOUBLE);
  int exact_fits = svb != UINT64_MAX && (avail == 0 || svb <= avail / 3);
  if (s.final_only && n <= max_qubits && n <= EXACT_MAX_QUBITS && exact_fits) {
    tsr_circuit *stripped = NULL;
    tsr_sim_result *r = NULL;
    tsr_status st = strip(c, &stripped, &e2);
    if (st == TSR_OK) {
      tsr_sim_options so;
      tsr_sim_options_init(&so);
      so.backend = TSR_BACKEND_STATEVEC;
      so.shots = 1;
      so.want_statevector = 1;
      so.memory_limit = memory_limit;
      st = tsr_sim_run(stripped, &so, &r, &e2);
    }
    tsr_circuit_free(stripped);
    if (st == TSR_OK && r->amplitudes) {
      uint32_t k = 0;
      /* the number of distinct measured qubits decides whether a dense
         marginal fits */
      uint8_t *m = tsr_calloc((size_t)n + 1, 1, err);
      if (!m) {
        tsr_sim_result_free(r);
        return TSR_ERR_NOMEM;
      }
      for (size_t i = 0; i < c->nops; i++)
        if (c->ops[i].kind == TSR_OP_MEASURE && !m[c->ops[i].qubits[0]]) {
          m[c->ops[i].qubits[0]] = 1;
          k++;
        }
      free(m);
      if (!s.has_measure) k = n;
      if (k <= EXACT_MAX_MEASURED) {
        st = exact_dist(c, s.has_measure, r->amplitudes, &out->dist, err);
        if (st != TSR_OK) {
          tsr_sim_result_free(r);
          return st;
        }
        out->has_dist = 1;
        snprintf(out->note, sizeof out->note, "exact (noiseless state vector)");
      }
      if (n <= state_max_qubits) {
        out->psi = r->amplitudes;
        r->amplitudes = NULL;
        out->has_state = 1;
      }
    }
    tsr_sim_result_free(r);
  }
  if (!out->has_state) {
    if (!s.final_only)
      snprintf(out->state_note, sizeof out->state_note,
               "not computed: the circuit measures before the end, resets or feeds forward");
    else if (n > state_max_qubits)
      snprintf(out->state_note, sizeof out->state_note,
               "not computed: %u qubits (state fidelity up to %u)", n, state_max_qubits);
    else
      snprintf(out->state_note, sizeof out->state_note, "not computed: %.140s",
               e2.message[0] ? e2.message : "the ideal state does not fit");
  }
  if (out->has_dist) return TSR_OK;
  uint64_t ref = 0;
  tsr_backend_kind kind = TSR_BACKEND_STATEVEC;
  if (s.clifford) {
    ref = clamp_u64(shots * 10, 100000, 1000000);
    kind = TSR_BACKEND_STABILIZER;
  } else if (n <= max_qubits) {
    ref = n <= 16 ? clamp_u64(shots * 4, 20000, 200000) : clamp_u64(shots, 2000, 20000);
  } else {
    snprintf(out->note, sizeof out->note,
             "not computed: the circuit has %u qubits, more than the %u of the noiseless "
             "reference, and is not Clifford",
             n, max_qubits);
    return TSR_OK;
  }
  tsr_error_clear(&e2);
  tsr_status st = sampled_dist(c, kind, ref, memory_limit, &out->dist, &e2);
  if (st == TSR_ERR_NOMEM) {
    tsr__xdist_free(&out->dist);
    return tsr_error_set(err, st, "%s", e2.message);
  }
  if (st != TSR_OK) {
    tsr__xdist_free(&out->dist);
    snprintf(out->note, sizeof out->note, "not computed: %.140s", e2.message);
    return TSR_OK;
  }
  out->has_dist = 1;
  snprintf(out->note, sizeof out->note, "sampled: %llu shots of the noiseless circuit (%s)",
           (unsigned long long)ref, tsr_backend_name(kind));
  return TSR_OK;
}
