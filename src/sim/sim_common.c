/* Helpers the sim backends share: memory checks with a clear refusal,
 * operand and unitarity validation, Pauli-string parsing, catalogue gate
 * matrices with validation, backend names. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

static const char *human_bytes(uint64_t b, char *buf, size_t size) {
  static const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = (double)b;
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    u++;
  }
  if (u == 0) {
    snprintf(buf, size, "%llu bytes", (unsigned long long)b);
  } else {
    snprintf(buf, size, "%.1f %s", v, units[u]);
  }
  return buf;
}

tsr_status sim_check_memory(const char *what, unsigned nqubits, uint64_t bytes, uint64_t limit,
                            tsr_error *err) {
  if (bytes == UINT64_MAX) {
    return tsr_error_set(err, TSR_ERR_LIMIT,
                         "a %s of %u qubits needs more than 2^64 bytes: it cannot be simulated",
                         what, nqubits);
  }
  uint64_t avail = limit ? limit : tsr_memory_available_bytes();
  if (avail == 0) return TSR_OK; /* unknown: let the allocation decide */
  if (bytes > avail) {
    char need[64], have[64];
    return tsr_error_set(
        err, TSR_ERR_LIMIT, "a %s of %u qubits needs %s (%llu bytes) but only %s (%llu bytes) %s",
        what, nqubits, human_bytes(bytes, need, sizeof need), (unsigned long long)bytes,
        human_bytes(avail, have, sizeof have), (unsigned long long)avail,
        limit ? "are allowed by the memory limit" : "are available");
  }
  return TSR_OK;
}

tsr_status sim_check_qubits(const uint32_t *qubits, uint32_t k, unsigned n, const char *what,
                            tsr_error *err) {
  if (k > 0 && !qubits) return tsr_error_set(err, TSR_ERR_VALUE, "%s: no qubits given", what);
  for (uint32_t i = 0; i < k; i++) {
    if (qubits[i] >= n) {
      return tsr_error_set(err, TSR_ERR_VALUE, "%s: qubit %u is out of range (the state has %u)",
                           what, qubits[i], n);
    }
    for (uint32_t j = 0; j < i; j++) {
      if (qubits[j] == qubits[i]) {
        return tsr_error_set(err, TSR_ERR_VALUE, "%s: qubit %u appears twice", what, qubits[i]);
      }
    }
  }
  return TSR_OK;
}

double sim_unitarity_error(const double complex *u, uint64_t d) {
  double worst = 0;
  for (uint64_t r = 0; r < d; r++) {
    for (uint64_t c = 0; c < d; c++) {
      double complex s = 0;
      for (uint64_t k = 0; k < d; k++) s += conj(u[k * d + r]) * u[k * d + c];
      double e = cabs(s - (r == c ? 1.0 : 0.0));
      if (!(e <= worst)) worst = e; /* NaN propagates as the worst */
    }
  }
  return worst;
}

tsr_status sim_check_user_matrix(const uint32_t *qubits, uint32_t k, unsigned n,
                                 const double complex *matrix, const char *name, tsr_error *err) {
  const char *what = name ? name : "matrix";
  if (k == 0 || k > SVK_MAX_K) {
    return tsr_error_set(err, TSR_ERR_VALUE, "%s: a matrix acts on 1 to %d qubits, not %u", what,
                         SVK_MAX_K, k);
  }
  tsr_status st = sim_check_qubits(qubits, k, n, what, err);
  if (st != TSR_OK) return st;
  if (!matrix) return tsr_error_set(err, TSR_ERR_VALUE, "%s: no matrix given", what);
  const double e = sim_unitarity_error(matrix, UINT64_C(1) << k);
  if (!(e <= 1e-8)) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "%s on %u qubit(s) is not unitary: max |U^dagger U - I| = %.3g "
                         "(tolerance 1e-8)",
                         what, k, e);
  }
  return TSR_OK;
}

void sim_sorted_positions(const uint32_t *qubits, uint32_t k, uint32_t *pos) {
  memcpy(pos, qubits, k * sizeof *pos);
  for (uint32_t a = 1; a < k; a++) { /* insertion sort */
    uint32_t v = pos[a], b = a;
    while (b > 0 && pos[b - 1] > v) {
      pos[b] = pos[b - 1];
      b--;
    }
    pos[b] = v;
  }
}

static int pauli_code(char c) {
  switch (c) {
  case 'I':
  case 'i':
    return 0;
  case 'X':
  case 'x':
    return 1;
  case 'Y':
  case 'y':
    return 2;
  case 'Z':
  case 'z':
    return 3;
  default:
    return -1;
  }
}

tsr_status sim_parse_pauli_words(const char *label, unsigned n, uint64_t *x, uint64_t *z, int *sign,
                                 tsr_error *err) {
  const size_t words = (n + 63) / 64;
  memset(x, 0, words * sizeof *x);
  memset(z, 0, words * sizeof *z);
  *sign = 1;
  if (!label) return tsr_error_set(err, TSR_ERR_VALUE, "no Pauli string given");
  const char *p = label;
  while (isspace((unsigned char)*p)) p++;
  if (*p == '+' || *p == '-') {
    if (*p == '-') *sign = -1;
    p++;
    while (isspace((unsigned char)*p)) p++;
  }
  int sparse = 0;
  for (const char *q = p; *q; q++) {
    if (isdigit((unsigned char)*q)) sparse = 1;
  }
  if (sparse) {
    while (*p) {
      if (isspace((unsigned char)*p) || *p == '*' || *p == ',') {
        p++;
        continue;
      }
      int code = pauli_code(*p);
      if (code < 0 || !isdigit((unsigned char)p[1])) {
        return tsr_error_set(err, TSR_ERR_VALUE,
                             "Pauli string '%s': expected an operator and a qubit like X3 at '%s'",
                             label, p);
      }
      char *end = NULL;
      unsigned long q = strtoul(p + 1, &end, 10);
      if (q >= n) {
        return tsr_error_set(err, TSR_ERR_VALUE,
                             "Pauli string '%s': qubit %lu is out of range (the state has %u)",
                             label, q, n);
      }
      const uint64_t bit = UINT64_C(1) << (q % 64);
      if ((x[q / 64] | z[q / 64]) & bit) {
        return tsr_error_set(err, TSR_ERR_VALUE, "Pauli string '%s': qubit %lu appears twice",
                             label, q);
      }
      if (code == 1 || code == 2) x[q / 64] |= bit;
      if (code == 2 || code == 3) z[q / 64] |= bit;
      p = end;
    }
    return TSR_OK;
  }
  size_t len = strlen(p);
  while (len > 0 && isspace((unsigned char)p[len - 1])) len--;
  if (len > n) {
    return tsr_error_set(err, TSR_ERR_VALUE,
                         "Pauli string '%s' has %zu letters but the state has %u qubits", label,
                         len, n);
  }
  for (size_t i = 0; i < len; i++) {
    int code = pauli_code(p[i]);
    if (code < 0) {
      return tsr_error_set(err, TSR_ERR_VALUE, "Pauli string '%s': '%c' is not one of I, X, Y, Z",
                           label, p[i]);
    }
    const size_t q = len - 1 - i;
    const uint64_t bit = UINT64_C(1) << (q % 64);
    if (code == 1 || code == 2) x[q / 64] |= bit;
    if (code == 2 || code == 3) z[q / 64] |= bit;
  }
  return TSR_OK;
}

tsr_status sim_parse_pauli(const char *label, unsigned n, uint64_t *xmask, uint64_t *zmask,
                           unsigned *ny, int *sign, tsr_error *err) {
  if (n > 64) return tsr_error_set(err, TSR_ERR_VALUE, "Pauli masks hold at most 64 qubits");
  uint64_t x = 0, z = 0;
  tsr_status st = sim_parse_pauli_words(label, n ? n : 1, &x, &z, sign, err);
  if (st != TSR_OK) return st;
  *xmask = x;
  *zmask = z;
  *ny = (unsigned)__builtin_popcountll(x & z);
  return TSR_OK;
}

tsr_status sim_gate_matrix(tsr_gate kind, const uint32_t *qubits, uint32_t nqubits,
                           const double *params, unsigned nstate, double complex *m,
                           tsr_error *err) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  if (!info || kind == TSR_GATE_NONE) {
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown gate kind %d", (int)kind);
  }
  if (kind == TSR_GATE_OPAQUE) {
    return tsr_error_set(err, TSR_ERR_UNSUPPORTED, "an opaque gate has no matrix to simulate");
  }
  if (!(info->flags & TSR_GF_UNITARY)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "'%s' is not a gate", info->name);
  }
  if (info->nqubits && info->nqubits != nqubits) {
    return tsr_error_set(err, TSR_ERR_VALUE, "gate %s takes %u qubits, not %u", info->name,
                         info->nqubits, nqubits);
  }
  if (nqubits == 0 || nqubits > 10) {
    return tsr_error_set(err, TSR_ERR_VALUE, "gate %s on %u qubits: 1 to 10 are supported",
                         info->name, nqubits);
  }
  if (info->nparams && !params) {
    return tsr_error_set(err, TSR_ERR_VALUE, "gate %s needs %u parameters", info->name,
                         info->nparams);
  }
  tsr_status st = sim_check_qubits(qubits, nqubits, nstate, info->name, err);
  if (st != TSR_OK) return st;
  for (unsigned i = 0; i < info->nparams; i++) {
    if (!isfinite(params[i])) {
      return tsr_error_set(err, TSR_ERR_VALUE, "gate %s: parameter %u is not a finite number",
                           info->name, i);
    }
  }
  return tsr_gate_matrix(kind, params, nqubits, m, err);
}

static int cmp_draw(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void sim_sort_uniforms(double *u, uint64_t *idx, uint64_t s) {
  /* pack (u, idx) pairs so qsort moves them together */
  typedef struct {
    double u;
    uint64_t i;
  } pair;
  pair *p = malloc(s * sizeof *p);
  if (!p) {
    /* insertion sort fallback: correct, slow, never fails */
    for (uint64_t a = 1; a < s; a++) {
      double uu = u[a];
      uint64_t ii = idx[a];
      uint64_t b = a;
      while (b > 0 && u[b - 1] > uu) {
        u[b] = u[b - 1];
        idx[b] = idx[b - 1];
        b--;
      }
      u[b] = uu;
      idx[b] = ii;
    }
    return;
  }
  for (uint64_t a = 0; a < s; a++) {
    p[a].u = u[a];
    p[a].i = idx[a];
  }
  qsort(p, s, sizeof *p, cmp_draw);
  for (uint64_t a = 0; a < s; a++) {
    u[a] = p[a].u;
    idx[a] = p[a].i;
  }
  free(p);
}

const char *tsr_backend_name(tsr_backend_kind kind) {
  switch (kind) {
  case TSR_BACKEND_AUTO:
    return "auto";
  case TSR_BACKEND_STATEVEC:
    return "sv";
  case TSR_BACKEND_DENSMAT:
    return "dm";
  case TSR_BACKEND_STABILIZER:
    return "stab";
  }
  return "?";
}

tsr_status tsr_backend_parse(const char *name, tsr_backend_kind *out, tsr_error *err) {
  static const struct {
    const char *name;
    tsr_backend_kind kind;
  } names[] = {{"auto", TSR_BACKEND_AUTO},
               {"sv", TSR_BACKEND_STATEVEC},
               {"statevector", TSR_BACKEND_STATEVEC},
               {"dm", TSR_BACKEND_DENSMAT},
               {"density_matrix", TSR_BACKEND_DENSMAT},
               {"stab", TSR_BACKEND_STABILIZER},
               {"stabilizer", TSR_BACKEND_STABILIZER}};
  for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(name, names[i].name) == 0) {
      *out = names[i].kind;
      return TSR_OK;
    }
  }
  return tsr_error_set(err, TSR_ERR_VALUE, "unknown backend '%s' (expected sv, dm, stab or auto)",
                       name ? name : "");
}

tsr_status sim_apply_gate_matrix(void *state, unsigned nstate, sim_matrix_apply_fn apply,
                                 tsr_gate kind, const uint32_t *qubits, uint32_t nqubits,
                                 const double *params, tsr_error *err) {
  if (kind == TSR_GATE_GR) {
    /* a global rotation is R(theta, phi) on every operand */
    tsr_status st = sim_check_qubits(qubits, nqubits, nstate, "gr", err);
    double complex r[4];
    for (uint32_t i = 0; st == TSR_OK && i < nqubits; i++) {
      st = sim_gate_matrix(TSR_GATE_R, qubits + i, 1, params, nstate, r, err);
      if (st == TSR_OK) st = apply(state, r, qubits + i, 1, err);
    }
    return st;
  }
  if (kind == TSR_GATE_ID || kind == TSR_GATE_U0) {
    return sim_check_qubits(qubits, nqubits, nstate, tsr_gate_get(kind)->name, err);
  }
  double complex buf[1024];
  double complex *m = buf;
  if (nqubits > 5 && nqubits <= 10) {
    m = tsr_malloc(((size_t)1 << (2 * nqubits)) * sizeof *m, err);
    if (!m) return err ? err->status : TSR_ERR_NOMEM;
  }
  tsr_status st = sim_gate_matrix(kind, qubits, nqubits, params, nstate, m, err);
  if (st == TSR_OK) st = apply(state, m, qubits, nqubits, err);
  if (m != buf) free(m);
  return st;
}
