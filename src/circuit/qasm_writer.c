/* The OpenQASM writer: a circuit as OpenQASM 2.0 or 3.
 *
 * Every catalogue gate is written by its catalogue name, so Tessera's reader
 * gives back the same kinds, operands and parameters (parameters are printed
 * in the shortest form that reads back to the same double). Gates that the
 * target's standard include file lacks (qelib1.inc for 2.0, stdgates.inc
 * for 3) get a `gate` definition first, exact under the catalogue's
 * matrices (qasm_gatedefs.c), so that other tools can read the file; the
 * reader knows those names and keeps the catalogue gate. Opaque gates get an
 * `opaque` declaration. See docs/openqasm.md.
 *
 * The whole circuit is checked before the first byte is written, so an
 * error never leaves half a file behind. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "circuit/qasm_gatedefs.h"
#include "tessera/circuit.h"

/* ------------------------------------------------------------------ sink */

/* Output buffer: grows without bound for a string, or is flushed to a file
 * every SINK_FLUSH bytes. The first failure sticks in st. */
typedef struct sink {
  char *buf;
  size_t len, cap;
  FILE *file; /* NULL: keep everything (tsr_qasm_write_string) */
  tsr_status st;
  tsr_error *err;
} sink;

enum { SINK_FLUSH = 1 << 16 };

static void sink_flush(sink *s) {
  if (!s->file || s->st != TSR_OK || s->len == 0) return;
  if (fwrite(s->buf, 1, s->len, s->file) != s->len) {
    s->st = tsr_error_set(s->err, TSR_ERR_IO, "cannot write OpenQASM output: %s", strerror(errno));
  }
  s->len = 0;
}

/* Makes room for n more bytes plus a NUL; returns 0 on failure. */
static int sink_reserve(sink *s, size_t n) {
  if (s->st != TSR_OK) return 0;
  if (s->file && s->len + n > SINK_FLUSH) {
    sink_flush(s);
    if (s->st != TSR_OK) return 0;
  }
  if (s->len + n + 1 <= s->cap) return 1;
  size_t cap = s->cap ? s->cap : 4096;
  while (cap < s->len + n + 1) cap *= 2;
  char *grown = tsr_realloc(s->buf, cap, 1, s->err);
  if (!grown) {
    s->st = TSR_ERR_NOMEM;
    return 0;
  }
  s->buf = grown;
  s->cap = cap;
  return 1;
}

static void sink_write(sink *s, const char *p, size_t n) {
  if (!sink_reserve(s, n)) return;
  memcpy(s->buf + s->len, p, n);
  s->len += n;
  s->buf[s->len] = '\0';
}

static void sink_puts(sink *s, const char *p) {
  sink_write(s, p, strlen(p));
}

static void sink_printf(sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sink_printf(sink *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    if (s->st == TSR_OK) s->st = tsr_error_set(s->err, TSR_ERR_INTERNAL, "formatting failed");
    return;
  }
  if ((size_t)n < sizeof small) {
    sink_write(s, small, (size_t)n);
    return;
  }
  if (!sink_reserve(s, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  s->len += (size_t)n;
}

/* ------------------------------------------------------------- numbers */

/* A parameter in the shortest text that reads back as the same double:
 * simple multiples of pi as "pi/4", "-3*pi/2" (the reader computes
 * (3*pi)/2 with the same two roundings), anything else in the shortest of
 * %.15g, %.16g, %.17g that round-trips. */
static void format_param(double x, char *buf, size_t size) {
  static const int dens[] = {1, 2, 3, 4, 6, 8, 12, 16, 32, 64};
  if (x != 0.0 && fabs(x) <= 64 * M_PI) {
    for (size_t i = 0; i < sizeof dens / sizeof dens[0]; i++) {
      int d = dens[i];
      double k = nearbyint(fabs(x) * d / M_PI);
      if (k < 1 || k > 64) continue;
      int ki = (int)k, g = ki, h = d;
      while (h) { /* gcd: keep the fraction reduced */
        int t = g % h;
        g = h;
        h = t;
      }
      if (g != 1) continue;
      double v = (k * M_PI) / d;
      if (d == 1) v = k * M_PI;
      if (v != fabs(x)) continue;
      const char *sign = x < 0 ? "-" : "";
      if (ki == 1 && d == 1)
        snprintf(buf, size, "%spi", sign);
      else if (ki == 1)
        snprintf(buf, size, "%spi/%d", sign, d);
      else if (d == 1)
        snprintf(buf, size, "%s%d*pi", sign, ki);
      else
        snprintf(buf, size, "%s%d*pi/%d", sign, ki, d);
      return;
    }
  }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, size, "%.*g", prec, x);
    if (prec == 17 || strtod(buf, NULL) == x) return;
  }
}

/* Writes a little-endian array of 64-bit words in decimal: repeated
 * division by 10^9 on 32-bit limbs (no 128-bit arithmetic needed). */
static void write_decimal(sink *s, const uint64_t *words, uint32_t nwords) {
  uint32_t nlimbs = 2 * nwords;
  while (nlimbs && ((words[(nlimbs - 1) / 2] >> (32 * ((nlimbs - 1) % 2))) & 0xffffffffu) == 0) {
    nlimbs--;
  }
  if (nlimbs == 0) {
    sink_puts(s, "0");
    return;
  }
  if (nlimbs <= 2) { /* fits in a uint64_t */
    sink_printf(s, "%llu", (unsigned long long)words[0]);
    return;
  }
  uint32_t *limbs = tsr_malloc(nlimbs * sizeof *limbs, s->err);
  /* ceil(64 * nwords / log2(10^9)) chunks of nine digits at most. */
  size_t maxchunks = (size_t)nlimbs * 32 / 29 + 2;
  uint32_t *chunks = tsr_malloc(maxchunks * sizeof *chunks, s->err);
  if (!limbs || !chunks) {
    free(limbs);
    free(chunks);
    if (s->st == TSR_OK) s->st = TSR_ERR_NOMEM;
    return;
  }
  for (uint32_t i = 0; i < nlimbs; i++) {
    limbs[i] = (uint32_t)(words[i / 2] >> (32 * (i % 2)));
  }
  size_t nchunks = 0;
  while (nlimbs) {
    uint64_t rem = 0;
    for (uint32_t i = nlimbs; i-- > 0;) {
      uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = (uint32_t)(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    chunks[nchunks++] = (uint32_t)rem;
    while (nlimbs && limbs[nlimbs - 1] == 0) nlimbs--;
  }
  sink_printf(s, "%u", chunks[nchunks - 1]);
  for (size_t i = nchunks - 1; i-- > 0;) sink_printf(s, "%09u", chunks[i]);
  free(limbs);
  free(chunks);
}

/* ---------------------------------------------------------- identifiers */

static const char *const KEYWORDS_2[] = {
    "OPENQASM", "include", "qreg", "creg", "gate", "opaque", "barrier", "measure", "reset", "if",
    "pi",       "U",       "CX",   "sin",  "cos",  "tan",    "exp",     "ln",      "sqrt",  NULL};

static const char *const KEYWORDS_3[] = {"OPENQASM",   "include", "defcalgrammar",
                                         "def",        "cal",     "defcal",
                                         "gate",       "opaque",  "extern",
                                         "box",        "let",     "break",
                                         "continue",   "if",      "else",
                                         "end",        "return",  "for",
                                         "while",      "in",      "switch",
                                         "case",       "default", "nop",
                                         "input",      "output",  "const",
                                         "readonly",   "mutable", "qreg",
                                         "qubit",      "creg",    "bool",
                                         "bit",        "int",     "uint",
                                         "float",      "angle",   "complex",
                                         "array",      "void",    "duration",
                                         "stretch",    "gphase",  "inv",
                                         "pow",        "ctrl",    "negctrl",
                                         "durationof", "delay",   "reset",
                                         "measure",    "barrier", "true",
                                         "false",      "pi",      "tau",
                                         "euler",      "im",      "sin",
                                         "cos",        "tan",     "arcsin",
                                         "arccos",     "arctan",  "exp",
                                         "log",        "sqrt",    "ceiling",
                                         "floor",      "mod",     "popcount",
                                         "rotl",       "rotr",    "real",
                                         "imag",       "sizeof",  "U",
                                         "CX",         "dt",      "ns",
                                         "us",         "ms",      "s",
                                         NULL};

static int is_identifier(const char *s) {
  if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
  for (s++; *s; s++) {
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_')) {
      return 0;
    }
  }
  return 1;
}

static int is_keyword(const char *s, int v3) {
  for (const char *const *k = v3 ? KEYWORDS_3 : KEYWORDS_2; *k; k++) {
    if (strcmp(*k, s) == 0) return 1;
  }
  return 0;
}

/* ---------------------------------------------------------------- writer */

typedef struct opaque_sig {
  const char *name;
  uint32_t nqubits, nparams;
} opaque_sig;

typedef struct writer {
  const tsr_circuit *c;
  int v3;
  unsigned std_flag; /* TSR_GF_QELIB1 or TSR_GF_STDGATES */
  sink out;
  tsr_error *err;
  uint8_t used[TSR_GATE_COUNT];   /* kinds applied in the circuit */
  uint8_t state[TSR_GATE_COUNT];  /* definition DFS: 0 new, 1 visiting, 2 done */
  tsr_gate order[TSR_GATE_COUNT]; /* definitions to emit, dependencies first */
  size_t norder;
  uint32_t gr_arity; /* operand count of the first gr, 0 if none */
  opaque_sig *opaques;
  size_t nopaques, opaques_cap;
} writer;

static int is_standard(const writer *w, tsr_gate kind) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  return info && (info->flags & w->std_flag);
}

/* The name a gate is written with: builtin U / CX where the include file
 * lacks the catalogue name (u in OpenQASM 3), otherwise the catalogue name. */
static const char *gate_name(const writer *w, tsr_gate kind) {
  if (kind == TSR_GATE_U && !is_standard(w, kind)) return "U";
  if (kind == TSR_GATE_CX && !is_standard(w, kind)) return "CX";
  return tsr_gate_get(kind)->name;
}

static int needs_definition(const writer *w, tsr_gate kind) {
  return kind != TSR_GATE_U && kind != TSR_GATE_CX && !is_standard(w, kind);
}

/* Adds kind and, before it, every gate its body uses that needs a definition. */
static void require_definition(writer *w, tsr_gate kind) {
  if (!needs_definition(w, kind) || w->state[kind]) return;
  w->state[kind] = 1;
  if (kind == TSR_GATE_GR) {
    require_definition(w, TSR_GATE_R);
  } else {
    const qasm_gatedef *def = qasm_gatedef_get(kind);
    for (size_t i = 0; def && i < def->nbody; i++) require_definition(w, def->body[i].kind);
  }
  w->state[kind] = 2;
  w->order[w->norder++] = kind;
}

static const opaque_sig *find_opaque(const writer *w, const char *name) {
  for (size_t i = 0; i < w->nopaques; i++) {
    if (strcmp(w->opaques[i].name, name) == 0) return &w->opaques[i];
  }
  return NULL;
}

/* Whether a register name would clash with a gate of the output. */
static int clashes_with_gate(const writer *w, const char *name) {
  tsr_gate k = tsr_gate_lookup(name);
  if (k != TSR_GATE_NONE) {
    const tsr_gate_info *info = tsr_gate_get(k);
    if (info &&
        ((info->flags & TSR_GF_UNITARY) && (is_standard(w, k) || w->used[k] || w->state[k]))) {
      return 1;
    }
  }
  return find_opaque(w, name) != NULL;
}

static tsr_status check_name(const writer *w, const char *what, const char *name) {
  const char *version = w->v3 ? "OpenQASM 3" : "OpenQASM 2.0";
  if (!is_identifier(name)) {
    return tsr_error_set(w->err, TSR_ERR_UNSUPPORTED, "%s name '%s' is not an OpenQASM identifier",
                         what, name ? name : "");
  }
  if (is_keyword(name, w->v3)) {
    return tsr_error_set(w->err, TSR_ERR_UNSUPPORTED, "%s name '%s' is a keyword of %s", what, name,
                         version);
  }
  return TSR_OK;
}

static tsr_status add_opaque(writer *w, const tsr_op *op, size_t index) {
  const opaque_sig *known = find_opaque(w, op->name);
  if (known) {
    if (known->nqubits != op->nqubits || known->nparams != op->nparams) {
      return tsr_error_set(w->err, TSR_ERR_UNSUPPORTED,
                           "opaque gate '%s' is used with %u qubit(s) and %u parameter(s) in "
                           "operation %zu but with %u and %u before; OpenQASM declares one "
                           "signature per name",
                           op->name, op->nqubits, op->nparams, index, known->nqubits,
                           known->nparams);
    }
    return TSR_OK;
  }
  tsr_status st = check_name(w, "opaque gate", op->name);
  if (st != TSR_OK) return st;
  if (tsr_gate_lookup(op->name) != TSR_GATE_NONE) {
    return tsr_error_set(w->err, TSR_ERR_UNSUPPORTED,
                         "opaque gate '%s' has the name of a catalogue gate", op->name);
  }
  if (w->nopaques == w->opaques_cap) {
    size_t cap = w->opaques_cap ? 2 * w->opaques_cap : 8;
    opaque_sig *grown = tsr_realloc(w->opaques, cap, sizeof *grown, w->err);
    if (!grown) return TSR_ERR_NOMEM;
    w->opaques = grown;
    w->opaques_cap = cap;
  }
  w->opaques[w->nopaques++] = (opaque_sig){op->name, op->nqubits, op->nparams};
  return TSR_OK;
}

static const char *op_label(const tsr_op *op) {
  if (op->kind == TSR_GATE_OPAQUE && op->name) return op->name;
  const tsr_gate_info *info = tsr_gate_get(op->kind);
  return info ? info->name : "?";
}

/* Checks everything that could fail, and collects the gates, definitions
 * and opaque declarations the output needs. */
static tsr_status check_circuit(writer *w) {
  const tsr_circuit *c = w->c;
  tsr_status st;
  for (size_t i = 0; i < c->nops; i++) {
    const tsr_op *op = &c->ops[i];
    const tsr_gate_info *info = tsr_gate_get(op->kind);
    if (!info || op->kind == TSR_GATE_NONE) {
      return tsr_error_set(w->err, TSR_ERR_VALUE, "operation %zu has an invalid kind %d", i,
                           (int)op->kind);
    }
    for (uint32_t p = 0; p < op->nparams; p++) {
      if (!isfinite(op->params[p])) {
        return tsr_error_set(w->err, TSR_ERR_VALUE,
                             "operation %zu ('%s'): parameter %u is not a finite number", i,
                             op_label(op), p + 1);
      }
    }
    for (uint32_t q = 0; q < op->nqubits; q++) {
      if (!tsr_circuit_qubit_register(c, op->qubits[q], NULL)) {
        return tsr_error_set(w->err, TSR_ERR_VALUE,
                             "operation %zu ('%s'): qubit %u is in no register", i, op_label(op),
                             op->qubits[q]);
      }
    }
    if (op->kind == TSR_OP_MEASURE && (op->clbit < 0 || op->clbit > UINT32_MAX ||
                                       !tsr_circuit_clbit_register(c, (uint32_t)op->clbit, NULL))) {
      return tsr_error_set(w->err, TSR_ERR_VALUE,
                           "operation %zu: measurement target %lld is in no register", i,
                           (long long)op->clbit);
    }
    if (op->kind == TSR_OP_BARRIER && op->nqubits == 0) {
      return tsr_error_set(w->err, TSR_ERR_UNSUPPORTED,
                           "operation %zu: a barrier on no qubits has no OpenQASM form", i);
    }
    if (op->cond >= 0) {
      if ((size_t)op->cond >= c->nconds) {
        return tsr_error_set(w->err, TSR_ERR_VALUE, "operation %zu: invalid condition index", i);
      }
      const tsr_condition *cd = &c->conds[op->cond];
      if (cd->creg >= 0 && (uint32_t)cd->creg >= c->ncregs) {
        return tsr_error_set(w->err, TSR_ERR_VALUE,
                             "operation %zu: condition on unknown register %d", i, (int)cd->creg);
      }
      if (cd->creg < 0) {
        uint32_t off;
        const tsr_register *r = tsr_circuit_clbit_register(c, cd->bit, &off);
        if (!r) {
          return tsr_error_set(w->err, TSR_ERR_VALUE,
                               "operation %zu: condition on classical bit %u in no register", i,
                               cd->bit);
        }
        if (!w->v3) {
          return tsr_error_set(w->err, TSR_ERR_UNSUPPORTED,
                               "OpenQASM 2.0 cannot condition on a single classical bit "
                               "(operation %zu, '%s' if %s[%u] == %llu); write OpenQASM 3",
                               i, op_label(op), r->name, off,
                               (unsigned long long)(cd->nwords ? cd->value[0] : 0));
        }
      }
      if (op->kind == TSR_OP_BARRIER) {
        return tsr_error_set(w->err, TSR_ERR_UNSUPPORTED,
                             "operation %zu: a conditioned barrier has no OpenQASM form", i);
      }
    }
    if (op->kind == TSR_GATE_OPAQUE) {
      if (!op->name) {
        return tsr_error_set(w->err, TSR_ERR_VALUE, "operation %zu: opaque gate without a name", i);
      }
      st = add_opaque(w, op, i);
      if (st != TSR_OK) return st;
      continue;
    }
    if (!(info->flags & TSR_GF_UNITARY)) continue;
    w->used[op->kind] = 1;
    if (op->kind == TSR_GATE_GR && w->gr_arity == 0) w->gr_arity = op->nqubits;
  }
  for (int k = 0; k < TSR_GATE_COUNT; k++) {
    if (w->used[k]) require_definition(w, (tsr_gate)k);
  }
  for (uint32_t i = 0; i < c->nqregs; i++) {
    st = check_name(w, "quantum register", c->qregs[i].name);
    if (st != TSR_OK) return st;
  }
  for (uint32_t i = 0; i < c->ncregs; i++) {
    st = check_name(w, "classical register", c->cregs[i].name);
    if (st != TSR_OK) return st;
    if (tsr_circuit_find_qreg(c, c->cregs[i].name) >= 0) {
      return tsr_error_set(w->err, TSR_ERR_UNSUPPORTED,
                           "'%s' names both a quantum and a classical register", c->cregs[i].name);
    }
  }
  for (uint32_t i = 0; i < c->nqregs + c->ncregs; i++) {
    const char *name = i < c->nqregs ? c->qregs[i].name : c->cregs[i - c->nqregs].name;
    if (clashes_with_gate(w, name)) {
      return tsr_error_set(w->err, TSR_ERR_UNSUPPORTED,
                           "register '%s' has the name of a gate the %s output uses", name,
                           w->v3 ? "OpenQASM 3" : "OpenQASM 2.0");
    }
  }
  return TSR_OK;
}

/* ------------------------------------------------------------- emitting */

/* Formal qubit name i of a definition with n operands: a..e, or q0, q1, ...
 * beyond five. */
static void formal_qubit(char *buf, size_t size, uint32_t i, uint32_t n) {
  if (n <= 5)
    snprintf(buf, size, "%c", (char)('a' + i));
  else
    snprintf(buf, size, "q%u", i);
}

static void write_formal_qubits(sink *s, uint32_t n) {
  char name[16];
  for (uint32_t i = 0; i < n; i++) {
    formal_qubit(name, sizeof name, i, n);
    sink_puts(s, i ? ", " : " ");
    sink_puts(s, name);
  }
}

static void write_definition(writer *w, tsr_gate kind) {
  sink *s = &w->out;
  const tsr_gate_info *info = tsr_gate_get(kind);
  if (kind == TSR_GATE_GR) {
    /* Variadic: defined for the arity of the circuit's first gr. */
    uint32_t n = w->gr_arity ? w->gr_arity : 1;
    sink_printf(s, "gate %s(theta, phi)", info->name);
    write_formal_qubits(s, n);
    sink_puts(s, " {\n");
    char name[16];
    for (uint32_t i = 0; i < n; i++) {
      formal_qubit(name, sizeof name, i, n);
      sink_printf(s, "  %s(theta, phi) %s;\n", gate_name(w, TSR_GATE_R), name);
    }
    sink_puts(s, "}\n");
    return;
  }
  const qasm_gatedef *def = qasm_gatedef_get(kind);
  if (!def) {
    if (s->st == TSR_OK) {
      s->st = tsr_error_set(w->err, TSR_ERR_INTERNAL, "no OpenQASM definition for gate '%s'",
                            info->name);
    }
    return;
  }
  sink_printf(s, "gate %s", info->name);
  if (info->nparams) {
    sink_puts(s, "(");
    for (unsigned i = 0; i < info->nparams; i++) {
      sink_puts(s, i ? ", " : "");
      sink_puts(s, def->params[i]);
    }
    sink_puts(s, ")");
  }
  write_formal_qubits(s, info->nqubits);
  sink_puts(s, " {\n");
  for (size_t i = 0; i < def->nbody; i++) {
    const qasm_body_op *op = &def->body[i];
    const tsr_gate_info *oi = tsr_gate_get(op->kind);
    sink_printf(s, "  %s", op->kind == TSR_GATE_U ? "U" : gate_name(w, op->kind));
    if (oi->nparams) {
      sink_puts(s, "(");
      for (unsigned p = 0; p < oi->nparams; p++) {
        char expr[128];
        qasm_expr_format(&op->p[p], def->params, expr, sizeof expr);
        sink_puts(s, p ? ", " : "");
        sink_puts(s, expr);
      }
      sink_puts(s, ")");
    }
    char name[16];
    for (unsigned q = 0; q < oi->nqubits; q++) {
      formal_qubit(name, sizeof name, op->q[q], info->nqubits);
      sink_puts(s, q ? ", " : " ");
      sink_puts(s, name);
    }
    sink_puts(s, ";\n");
  }
  sink_puts(s, "}\n");
}

static void write_opaque_declaration(writer *w, const opaque_sig *sig) {
  sink *s = &w->out;
  sink_printf(s, "opaque %s", sig->name);
  if (sig->nparams) {
    sink_puts(s, "(");
    for (uint32_t i = 0; i < sig->nparams; i++) sink_printf(s, "%sp%u", i ? ", " : "", i);
    sink_puts(s, ")");
  }
  write_formal_qubits(s, sig->nqubits);
  sink_puts(s, ";\n");
}

static void write_qubit(writer *w, uint32_t q) {
  uint32_t off = 0;
  const tsr_register *r = tsr_circuit_qubit_register(w->c, q, &off);
  sink_printf(&w->out, "%s[%u]", r->name, off);
}

static void write_clbit(writer *w, uint32_t b) {
  uint32_t off = 0;
  const tsr_register *r = tsr_circuit_clbit_register(w->c, b, &off);
  sink_printf(&w->out, "%s[%u]", r->name, off);
}

/* Barrier operands; a whole register of two or more qubits, in order, by its
 * name alone. */
static void write_barrier_operands(writer *w, const tsr_op *op) {
  for (uint32_t i = 0; i < op->nqubits;) {
    sink_puts(&w->out, i ? ", " : " ");
    uint32_t off = 0;
    const tsr_register *r = tsr_circuit_qubit_register(w->c, op->qubits[i], &off);
    uint32_t run = 0;
    if (off == 0 && r->size > 1 && op->nqubits - i >= r->size) {
      while (run < r->size && op->qubits[i + run] == r->first + run) run++;
    }
    if (run == r->size && run > 1) {
      sink_puts(&w->out, r->name);
      i += run;
    } else {
      write_qubit(w, op->qubits[i]);
      i++;
    }
  }
}

static void write_statement(writer *w, const tsr_op *op) {
  sink *s = &w->out;
  switch (op->kind) {
  case TSR_OP_MEASURE:
    if (w->v3) {
      write_clbit(w, (uint32_t)op->clbit);
      sink_puts(s, " = measure ");
      write_qubit(w, op->qubits[0]);
    } else {
      sink_puts(s, "measure ");
      write_qubit(w, op->qubits[0]);
      sink_puts(s, " -> ");
      write_clbit(w, (uint32_t)op->clbit);
    }
    sink_puts(s, ";");
    return;
  case TSR_OP_RESET:
    sink_puts(s, "reset ");
    write_qubit(w, op->qubits[0]);
    sink_puts(s, ";");
    return;
  case TSR_OP_BARRIER:
    sink_puts(s, "barrier");
    write_barrier_operands(w, op);
    sink_puts(s, ";");
    return;
  default:
    break;
  }
  sink_puts(s, op->kind == TSR_GATE_OPAQUE ? op->name : gate_name(w, op->kind));
  if (op->nparams) {
    sink_puts(s, "(");
    for (uint32_t i = 0; i < op->nparams; i++) {
      char num[64];
      format_param(op->params[i], num, sizeof num);
      sink_puts(s, i ? ", " : "");
      sink_puts(s, num);
    }
    sink_puts(s, ")");
  }
  for (uint32_t i = 0; i < op->nqubits; i++) {
    sink_puts(s, i ? ", " : " ");
    write_qubit(w, op->qubits[i]);
  }
  sink_puts(s, ";");
}

static void write_operation(writer *w, const tsr_op *op) {
  sink *s = &w->out;
  if (op->cond < 0) {
    write_statement(w, op);
    sink_puts(s, "\n");
    return;
  }
  const tsr_condition *cd = &w->c->conds[op->cond];
  if (cd->creg >= 0) {
    const char *reg = w->c->cregs[cd->creg].name;
    sink_printf(s, w->v3 ? "if (%s == " : "if(%s==", reg);
    write_decimal(s, cd->value, cd->nwords);
  } else {
    sink_puts(s, "if (");
    write_clbit(w, cd->bit);
    sink_printf(s, " == %llu", (unsigned long long)(cd->nwords ? cd->value[0] : 0));
  }
  sink_puts(s, w->v3 ? ") { " : ") ");
  write_statement(w, op);
  sink_puts(s, w->v3 ? " }\n" : "\n");
}

static void write_circuit(writer *w) {
  sink *s = &w->out;
  const tsr_circuit *c = w->c;
  if (w->v3)
    sink_puts(s, "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n");
  else
    sink_puts(s, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n");
  for (size_t i = 0; i < w->norder; i++) write_definition(w, w->order[i]);
  for (size_t i = 0; i < w->nopaques; i++) write_opaque_declaration(w, &w->opaques[i]);
  for (uint32_t i = 0; i < c->nqregs; i++) {
    const tsr_register *r = &c->qregs[i];
    if (w->v3)
      sink_printf(s, "qubit[%u] %s;\n", r->size, r->name);
    else
      sink_printf(s, "qreg %s[%u];\n", r->name, r->size);
  }
  for (uint32_t i = 0; i < c->ncregs; i++) {
    const tsr_register *r = &c->cregs[i];
    if (w->v3)
      sink_printf(s, "bit[%u] %s;\n", r->size, r->name);
    else
      sink_printf(s, "creg %s[%u];\n", r->name, r->size);
  }
  for (size_t i = 0; i < c->nops && s->st == TSR_OK; i++) write_operation(w, &c->ops[i]);
}

/* ----------------------------------------------------------------- API */

tsr_qasm_version tsr_qasm_min_version(const tsr_circuit *c) {
  if (!c) return TSR_QASM_2;
  for (size_t i = 0; i < c->nops; i++) {
    int64_t k = c->ops[i].cond;
    if (k >= 0 && (size_t)k < c->nconds && c->conds[k].creg < 0) return TSR_QASM_3;
  }
  return TSR_QASM_2;
}

/* Checks and writes into w->out (whose file, if any, is set). */
static tsr_status write_to_sink(const tsr_circuit *c, tsr_qasm_version version, sink *out,
                                tsr_error *err) {
  if (!c) return tsr_error_set(err, TSR_ERR_VALUE, "no circuit to write");
  if (version == TSR_QASM_AUTO) version = tsr_qasm_min_version(c);
  if (version != TSR_QASM_2 && version != TSR_QASM_3) {
    return tsr_error_set(err, TSR_ERR_VALUE, "unknown OpenQASM version %d", (int)version);
  }
  writer *w = tsr_calloc(1, sizeof *w, err);
  if (!w) return TSR_ERR_NOMEM;
  w->c = c;
  w->v3 = version == TSR_QASM_3;
  w->std_flag = w->v3 ? TSR_GF_STDGATES : TSR_GF_QELIB1;
  w->err = err;
  w->out = *out;
  tsr_status st = check_circuit(w);
  if (st == TSR_OK) {
    write_circuit(w);
    sink_flush(&w->out);
    st = w->out.st;
  }
  *out = w->out;
  free(w->opaques);
  free(w);
  return st;
}

tsr_status tsr_qasm_write(const tsr_circuit *c, FILE *out, tsr_qasm_version version,
                          tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "no output stream");
  sink s = {.file = out, .err = err};
  tsr_status st = write_to_sink(c, version, &s, err);
  free(s.buf);
  if (st == TSR_OK && fflush(out) != 0) {
    st = tsr_error_set(err, TSR_ERR_IO, "cannot write OpenQASM output: %s", strerror(errno));
  }
  return st;
}

tsr_status tsr_qasm_write_string(const tsr_circuit *c, tsr_qasm_version version, char **out,
                                 tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "no output pointer");
  *out = NULL;
  sink s = {.err = err};
  tsr_status st = write_to_sink(c, version, &s, err);
  if (st != TSR_OK) {
    free(s.buf);
    return st;
  }
  if (!s.buf) { /* cannot happen: the header is always written */
    s.buf = tsr_strdup("", err);
    if (!s.buf) return TSR_ERR_NOMEM;
  }
  *out = s.buf;
  return TSR_OK;
}
