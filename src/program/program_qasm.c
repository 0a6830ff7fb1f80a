/* The compiled program as OpenQASM 3 (docs/compiler.md, "Program format").
 *
 *   OPENQASM 3.0;
 *   include "stdgates.inc";
 *   #pragma tessera program "harq-default"
 *   #pragma tessera module 0 ion_a "ion-a" qubits 100 communication 2
 *   #pragma tessera link 0 "ion-a-ion-b" 0 1 latency 0.0123 fidelity 0.91
 *   #pragma tessera metrics ebits 3 remote_gates 2 teleports 0 swaps 0 moves 0 makespan 0.05
 * success 0.8 #pragma tessera source_clbits 2 #pragma tessera placement 0 5 5 gate epr a, b { h a;
 * cx a, b; } gate gpi(phi) a { ... }                  (definitions for other tools) qubit[100]
 * ion_a; bit[2] c; bit[6] tsr_scratch;
 *   @tessera.op epr 0 0.0123 module 0 to 1 link 0
 *   reset ion_a[98]; reset ion_b[62]; epr ion_a[98], ion_b[62];
 *   @tessera.op cat-entangle 0.0123 1e-06 module 0
 *   cx ion_a[3], ion_a[98];
 *   @tessera.op cat-entangle 0.012301 1e-04 module 0
 *   tsr_scratch[0] = measure ion_a[98];
 *   #pragma tessera message 0.012401 2.4e-05 from 0 to 1 bits 2 1
 *   @tessera.op cat-entangle 0.012425 1e-06 module 1
 *   if (tsr_scratch[0] == 1) x ion_b[62];
 *
 * One statement per line, every operation preceded by its annotation (role,
 * start, duration, then optional module / to / link / source), numbers with
 * 17 significant digits so that reading gives back the same doubles. A
 * message is a pragma (it is no quantum statement; optional `source S` at
 * its end). An EPR pair is written after resets of its two qubits on the
 * same line, so that tools reading the file as a plain circuit (the `epr`
 * gate prepares |Phi+> from |00>) see a fresh pair on reused communication
 * qubits. The reader takes exactly this form (comments and blank lines
 * allowed; other pragmas and gate definitions skipped) and reports errors as
 * file:line:col, those of tsr_program_finish at the statement of the
 * operation they are about. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "program/program_internal.h"

/* ------------------------------------------------------------ names */

static const char *const RESERVED[] = {
    "OPENQASM", "include",  "qubit",  "bit",     "qreg",    "creg",    "gate",     "measure",
    "reset",    "barrier",  "if",     "else",    "for",     "while",   "in",       "let",
    "const",    "int",      "uint",   "float",   "angle",   "bool",    "complex",  "duration",
    "stretch",  "box",      "delay",  "input",   "output",  "def",     "return",   "extern",
    "defcal",   "cal",      "opaque", "pi",      "euler",   "tau",     "true",     "false",
    "break",    "continue", "end",    "ctrl",    "negctrl", "inv",     "pow",      "gphase",
    "array",    "switch",   "case",   "default", "epr",     "U",       "CX",       "im",
    "dt",       "ns",       "us",     "ms",      "s",       "mutable", "readonly", "pragma"};

static int reserved(const char *s) {
  for (size_t i = 0; i < sizeof RESERVED / sizeof RESERVED[0]; i++)
    if (strcmp(s, RESERVED[i]) == 0) return 1;
  return tsr_gate_lookup(s) != TSR_GATE_NONE;
}

static int ident_ok(const char *s) {
  if (!s[0] || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
  for (const char *c = s; *c; c++)
    if (!(isalnum((unsigned char)*c) || *c == '_')) return 0;
  return 1;
}

/* Register identifiers of the modules: the name with other characters made
 * '_', a leading digit prefixed, made unique against each other, the
 * classical registers and the language's words. idents holds nmodules
 * strings of TSR_PROGRAM_NAME_MAX + 8 bytes. */
#define IDENT_MAX (TSR_PROGRAM_NAME_MAX + 16)

static int ident_taken(const tsr_program *p, char (*idents)[IDENT_MAX], uint32_t upto,
                       const char *s) {
  if (reserved(s)) return 1;
  for (uint32_t i = 0; i < upto; i++)
    if (strcmp(idents[i], s) == 0) return 1;
  for (uint32_t r = 0; r < p->ncregs; r++)
    if (strcmp(p->cregs[r].name, s) == 0) return 1;
  return 0;
}

static void module_idents(const tsr_program *p, char (*idents)[IDENT_MAX]) {
  for (uint32_t m = 0; m < p->nmodules; m++) {
    char base[IDENT_MAX];
    size_t k = 0;
    const char *name = p->modules[m].name;
    if (!(isalpha((unsigned char)name[0]) || name[0] == '_')) {
      base[k++] = 'm';
      base[k++] = '_';
    }
    for (const char *c = name; *c && k + 1 < TSR_PROGRAM_NAME_MAX + 2; c++)
      base[k++] = (isalnum((unsigned char)*c) || *c == '_') ? *c : '_';
    base[k] = '\0';
    snprintf(idents[m], IDENT_MAX, "%s", base);
    for (int n = 1; ident_taken(p, idents, m, idents[m]); n++)
      snprintf(idents[m], IDENT_MAX, "%.*s_%d", TSR_PROGRAM_NAME_MAX, base, n);
  }
}

static void write_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

/* ------------------------------------------------------------ writer */

static void write_qubit(FILE *out, const tsr_program *p, char (*idents)[IDENT_MAX], uint32_t q) {
  int32_t m = tsr_program_module_of(p, q);
  fprintf(out, "%s[%" PRIu32 "]", idents[m], q - p->modules[m].first_qubit);
}

static const tsr_register *clbit_register(const tsr_program *p, uint32_t bit, uint32_t *offset) {
  for (uint32_t r = 0; r < p->ncregs; r++) {
    if (bit >= p->cregs[r].first && bit < p->cregs[r].first + p->cregs[r].size) {
      *offset = bit - p->cregs[r].first;
      return &p->cregs[r];
    }
  }
  return NULL;
}

static void write_value(FILE *out, const tsr_condition *c) {
  uint32_t top = c->nwords;
  while (top > 1 && c->value[top - 1] == 0) top--;
  if (top <= 1) {
    fprintf(out, "%" PRIu64, c->nwords ? c->value[0] : 0);
    return;
  }
  fprintf(out, "0x%" PRIx64, c->value[top - 1]);
  for (uint32_t w = top - 1; w-- > 0;) fprintf(out, "%016" PRIx64, c->value[w]);
}

/* Gate definitions (for other tools) of the kinds outside stdgates.inc, as
 * the circuit writer spells them. */
static tsr_status write_definitions(const tsr_program *p, FILE *out, tsr_error *err) {
  uint8_t used[TSR_GATE_COUNT] = {0};
  int any = 0;
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *op = &p->ops[i];
    if (op->role == TSR_PROG_EPR || op->role == TSR_PROG_MESSAGE) continue;
    const tsr_gate_info *g = tsr_gate_get(op->kind);
    if (g && (g->flags & TSR_GF_UNITARY) && !(g->flags & TSR_GF_STDGATES) && !used[op->kind]) {
      used[op->kind] = 1;
      any = 1;
    }
  }
  if (!any) return TSR_OK;
  tsr_circuit *c = tsr_circuit_new(err);
  if (!c) return TSR_ERR_NOMEM;
  tsr_status st = tsr_circuit_add_qreg(c, "q", 8, NULL, err);
  uint32_t q[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  double zeros[4] = {0, 0, 0, 0};
  for (int k = 0; k < TSR_GATE_COUNT && st == TSR_OK; k++) {
    if (!used[k]) continue;
    const tsr_gate_info *g = tsr_gate_get((tsr_gate)k);
    unsigned nq = g->nqubits ? g->nqubits : 1;
    st = tsr_circuit_append_gate(c, (tsr_gate)k, q, nq, zeros, g->nparams, err);
  }
  char *text = NULL;
  if (st == TSR_OK) st = tsr_qasm_write_string(c, TSR_QASM_3, &text, err);
  if (st == TSR_OK) {
    const char *s = strstr(text, "\ngate ");
    const char *e = strstr(text, "\nqubit[");
    if (s && e && e > s) fprintf(out, "%.*s\n", (int)(e - s - 1), s + 1);
  }
  free(text);
  tsr_circuit_free(c);
  return st;
}

tsr_status tsr_program_write_qasm(const tsr_program *p, FILE *out, tsr_error *err) {
  if (!p || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_program_write_qasm: NULL argument");
  char(*idents)[IDENT_MAX] = tsr_calloc(p->nmodules + 1, IDENT_MAX, err);
  if (!idents) return TSR_ERR_NOMEM;
  module_idents(p, idents);
  fprintf(out, "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n");
  fprintf(out, "#pragma tessera program ");
  write_string(out, p->machine);
  fputc('\n', out);
  for (uint32_t m = 0; m < p->nmodules; m++) {
    fprintf(out, "#pragma tessera module %" PRIu32 " %s ", m, idents[m]);
    write_string(out, p->modules[m].name);
    fprintf(out, " qubits %" PRIu32 " communication %" PRIu32 "\n", p->modules[m].qubits,
            p->modules[m].communication_qubits);
  }
  for (uint32_t l = 0; l < p->nlinks; l++) {
    const tsr_program_link *ln = &p->links[l];
    fprintf(out, "#pragma tessera link %" PRIu32 " ", l);
    write_string(out, ln->name);
    fprintf(out, " %" PRIu32 " %" PRIu32 " latency %.17g fidelity %.17g\n", ln->module_a,
            ln->module_b, ln->expected_latency_s, ln->fidelity);
  }
  const tsr_program_metrics *mt = &p->metrics;
  fprintf(out,
          "#pragma tessera metrics ebits %" PRIu64 " remote_gates %" PRIu64 " teleports %" PRIu64
          " swaps %" PRIu64 " moves %" PRIu64 " makespan %.17g success %.17g\n",
          mt->ebits, mt->remote_gates, mt->teleports, mt->swaps, mt->moves, mt->makespan_s,
          mt->estimated_success);
  fprintf(out, "#pragma tessera source_clbits %" PRIu32 "\n", p->source_clbits);
  for (uint32_t q = 0; q < p->nlogical; q++) {
    fprintf(out, "#pragma tessera placement %" PRIu32 " %" PRIu32 " %" PRIu32 "\n", q,
            p->initial_placement[q], p->final_placement[q]);
  }
  fprintf(out, "gate epr a, b { h a; cx a, b; }\n");
  tsr_status st = write_definitions(p, out, err);
  if (st != TSR_OK) {
    free(idents);
    return st;
  }
  for (uint32_t m = 0; m < p->nmodules; m++)
    fprintf(out, "qubit[%" PRIu32 "] %s;\n", p->modules[m].qubits, idents[m]);
  for (uint32_t r = 0; r < p->ncregs; r++)
    fprintf(out, "bit[%" PRIu32 "] %s;\n", p->cregs[r].size, p->cregs[r].name);
  for (size_t i = 0; i < p->nops; i++) {
    const tsr_program_op *op = &p->ops[i];
    if (op->role == TSR_PROG_MESSAGE) {
      fprintf(out,
              "#pragma tessera message %.17g %.17g from %" PRId32 " to %" PRId32 " bits %" PRIu32
              " %" PRIu32,
              op->start_s, op->duration_s, op->module, op->module_to, op->message_clbit_first,
              op->message_clbits);
      if (op->source_op >= 0) fprintf(out, " source %" PRId64, op->source_op);
      fputc('\n', out);
      continue;
    }
    fprintf(out, "@tessera.op %s %.17g %.17g", tsr_program_role_name(op->role), op->start_s,
            op->duration_s);
    if (op->module >= 0) fprintf(out, " module %" PRId32, op->module);
    if (op->module_to >= 0) fprintf(out, " to %" PRId32, op->module_to);
    if (op->link >= 0) fprintf(out, " link %" PRId32, op->link);
    if (op->source_op >= 0) fprintf(out, " source %" PRId64, op->source_op);
    fputc('\n', out);
    if (op->cond >= 0) {
      const tsr_condition *c = &p->conds[op->cond];
      if (c->creg >= 0) {
        fprintf(out, "if (%s == ", p->cregs[c->creg].name);
        write_value(out, c);
        fprintf(out, ") ");
      } else {
        uint32_t off = 0;
        const tsr_register *r = clbit_register(p, c->bit, &off);
        fprintf(out, "if (%s[%" PRIu32 "] == %d) ", r ? r->name : "?", off, (int)(c->value[0] & 1));
      }
    }
    if (op->role == TSR_PROG_EPR) {
      /* The resets let other tools (the circuit reader, `tessera sim`) see a
       * fresh pair: communication qubits are reused after measurement. */
      for (int k = 0; k < 2; k++) {
        fprintf(out, "reset ");
        write_qubit(out, p, idents, op->qubits[k]);
        fprintf(out, "; ");
      }
      fprintf(out, "epr ");
      write_qubit(out, p, idents, op->qubits[0]);
      fprintf(out, ", ");
      write_qubit(out, p, idents, op->qubits[1]);
      fprintf(out, ";\n");
      continue;
    }
    if (op->kind == TSR_OP_MEASURE) {
      uint32_t off = 0;
      const tsr_register *r = clbit_register(p, (uint32_t)op->clbit, &off);
      fprintf(out, "%s[%" PRIu32 "] = measure ", r ? r->name : "?", off);
      write_qubit(out, p, idents, op->qubits[0]);
      fprintf(out, ";\n");
      continue;
    }
    const tsr_gate_info *g = tsr_gate_get(op->kind);
    fprintf(out, "%s", g ? g->name : "?");
    if (op->nparams) {
      fputc('(', out);
      for (uint32_t k = 0; k < op->nparams; k++)
        fprintf(out, "%s%.17g", k ? ", " : "", op->params[k]);
      fputc(')', out);
    }
    for (uint32_t k = 0; k < op->nqubits; k++) {
      fputs(k ? ", " : " ", out);
      write_qubit(out, p, idents, op->qubits[k]);
    }
    fprintf(out, ";\n");
  }
  free(idents);
  if (ferror(out)) return tsr_error_set(err, TSR_ERR_IO, "writing the program failed");
  return TSR_OK;
}

/* ------------------------------------------------------------ reader */

typedef struct reader {
  const char *file;
  const char *line; /* current line start */
  const char *s;    /* cursor */
  const char *end;  /* line end */
  int lineno;
  tsr_error *err;
  tsr_program *p;
  char (*idents)[IDENT_MAX];
  uint32_t nidents;
  uint32_t source_clbits;
  int have_source_clbits;
  tsr_program_metrics metrics;
  int have_metrics;
  uint32_t *init, *fin;
  uint32_t nplace, cap_place;
  int *op_line, *op_col; /* where each operation was written, in append order */
  size_t nlocs, cap_locs;
} reader;

static tsr_status fail(reader *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static tsr_status fail(reader *R, const char *fmt, ...) {
  char msg[TSR_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  int col = (int)(R->s - R->line) + 1;
  return tsr_error_set_at(R->err, TSR_ERR_INPUT, R->file, R->lineno, col, "%s", msg);
}

/* Gives an error a library call reported the current line as location. */
static tsr_status relocate(reader *R, tsr_status st) {
  char msg[TSR_ERROR_MESSAGE_MAX];
  snprintf(msg, sizeof msg, "%s", R->err->message);
  tsr_error_set_at(R->err, TSR_ERR_INPUT, R->file, R->lineno, 1, "%s", msg);
  return st == TSR_ERR_NOMEM ? st : TSR_ERR_INPUT;
}

/* Records where the operation just appended was written. */
static tsr_status note_op(reader *R, int line, int col) {
  if (R->nlocs == R->cap_locs) {
    size_t cap = R->cap_locs ? 2 * R->cap_locs : 256;
    int *l = tsr_realloc(R->op_line, cap, sizeof *l, R->err);
    if (!l) return TSR_ERR_NOMEM;
    R->op_line = l;
    int *c = tsr_realloc(R->op_col, cap, sizeof *c, R->err);
    if (!c) return TSR_ERR_NOMEM;
    R->op_col = c;
    R->cap_locs = cap;
  }
  R->op_line[R->nlocs] = line;
  R->op_col[R->nlocs++] = col;
  return TSR_OK;
}

static void skip_ws(reader *R) {
  while (R->s < R->end && (*R->s == ' ' || *R->s == '\t' || *R->s == '\r')) R->s++;
}

static int at_end(reader *R) {
  skip_ws(R);
  return R->s >= R->end || (R->s + 1 < R->end && R->s[0] == '/' && R->s[1] == '/');
}

static int accept(reader *R, const char *tok) {
  skip_ws(R);
  size_t n = strlen(tok);
  if ((size_t)(R->end - R->s) >= n && memcmp(R->s, tok, n) == 0) {
    R->s += n;
    return 1;
  }
  return 0;
}

static tsr_status expect(reader *R, const char *tok) {
  if (accept(R, tok)) return TSR_OK;
  return fail(R, "expected '%s'", tok);
}

static tsr_status word(reader *R, char *buf, size_t size) {
  skip_ws(R);
  size_t n = 0;
  while (R->s < R->end &&
         (isalnum((unsigned char)*R->s) || *R->s == '_' || *R->s == '-' || *R->s == '.')) {
    if (n + 1 >= size) return fail(R, "name too long");
    buf[n++] = *R->s++;
  }
  buf[n] = '\0';
  if (n == 0) return fail(R, "expected a name");
  return TSR_OK;
}

static tsr_status ident(reader *R, char *buf, size_t size) {
  skip_ws(R);
  size_t n = 0;
  while (R->s < R->end && (isalnum((unsigned char)*R->s) || *R->s == '_')) {
    if (n + 1 >= size) return fail(R, "identifier too long");
    buf[n++] = *R->s++;
  }
  buf[n] = '\0';
  if (n == 0) return fail(R, "expected an identifier");
  return TSR_OK;
}

static tsr_status quoted(reader *R, char *buf, size_t size) {
  skip_ws(R);
  if (R->s >= R->end || *R->s != '"') return fail(R, "expected a quoted name");
  R->s++;
  size_t n = 0;
  while (R->s < R->end && *R->s != '"') {
    if (*R->s == '\\' && R->s + 1 < R->end) R->s++;
    if (n + 1 >= size) return fail(R, "name longer than %zu characters", size - 1);
    buf[n++] = *R->s++;
  }
  if (R->s >= R->end) return fail(R, "unterminated string");
  R->s++;
  buf[n] = '\0';
  return TSR_OK;
}

static tsr_status number(reader *R, double *out) {
  skip_ws(R);
  char buf[64];
  size_t n = 0;
  while (R->s + n < R->end && n + 1 < sizeof buf &&
         (isalnum((unsigned char)R->s[n]) || R->s[n] == '.' || R->s[n] == '-' || R->s[n] == '+'))
    n++;
  memcpy(buf, R->s, n);
  buf[n] = '\0';
  char *e;
  errno = 0;
  double v = n ? strtod(buf, &e) : 0.0;
  if (n == 0 || *e || errno == ERANGE) return fail(R, "expected a number");
  R->s += n;
  *out = v;
  return TSR_OK;
}

static tsr_status integer(reader *R, uint64_t max, uint64_t *out) {
  skip_ws(R);
  const char *s0 = R->s;
  uint64_t v = 0;
  int any = 0;
  while (R->s < R->end && isdigit((unsigned char)*R->s)) {
    unsigned d = (unsigned)(*R->s - '0');
    if (v > (max - d) / 10) {
      R->s = s0;
      return fail(R, "number out of range (at most %" PRIu64 ")", max);
    }
    v = v * 10 + d;
    R->s++;
    any = 1;
  }
  if (!any) return fail(R, "expected a whole number");
  *out = v;
  return TSR_OK;
}

static tsr_status u32(reader *R, uint32_t max, uint32_t *out) {
  uint64_t v;
  tsr_status st = integer(R, max, &v);
  if (st == TSR_OK) *out = (uint32_t)v;
  return st;
}

/* reg[index] on a module register: the program qubit. */
static tsr_status qubit_ref(reader *R, uint32_t *out) {
  char name[IDENT_MAX];
  const char *at = (skip_ws(R), R->s);
  tsr_status st = ident(R, name, sizeof name);
  if (st) return st;
  uint32_t m = 0;
  while (m < R->nidents && strcmp(R->idents[m], name) != 0) m++;
  if (m == R->nidents) {
    R->s = at;
    return fail(R, "'%s' is not a module register", name);
  }
  uint32_t k;
  if ((st = expect(R, "[")) || (st = u32(R, UINT32_MAX, &k)) || (st = expect(R, "]"))) return st;
  if (m >= R->p->nmodules || k >= R->p->modules[m].qubits) {
    R->s = at;
    return fail(R, "%s[%u] is outside the register", name, k);
  }
  *out = R->p->modules[m].first_qubit + k;
  return TSR_OK;
}

static int64_t find_creg(const tsr_program *p, const char *name) {
  for (uint32_t r = 0; r < p->ncregs; r++)
    if (strcmp(p->cregs[r].name, name) == 0) return r;
  return -1;
}

/* creg[index]: the program classical bit. */
static tsr_status clbit_ref(reader *R, const char *name, const char *at, uint32_t *out) {
  int64_t r = find_creg(R->p, name);
  if (r < 0) {
    R->s = at;
    return fail(R, "'%s' is not a classical register", name);
  }
  uint32_t k;
  tsr_status st;
  if ((st = expect(R, "[")) || (st = u32(R, UINT32_MAX, &k)) || (st = expect(R, "]"))) return st;
  if (k >= R->p->cregs[r].size) {
    R->s = at;
    return fail(R, "%s[%u] is outside the register", name, k);
  }
  *out = R->p->cregs[r].first + k;
  return TSR_OK;
}

static tsr_status end_statement(reader *R) {
  tsr_status st = expect(R, ";");
  if (st == TSR_OK && !at_end(R)) return fail(R, "unexpected text after ';'");
  return st;
}

static tsr_status parse_pragma(reader *R) {
  tsr_program *p = R->p;
  char kw[32];
  tsr_status st = word(R, kw, sizeof kw);
  if (st) return st;
  if (strcmp(kw, "program") == 0) {
    if ((st = quoted(R, p->machine, sizeof p->machine))) return st;
  } else if (strcmp(kw, "module") == 0) {
    uint32_t idx, qubits, comm;
    char id[IDENT_MAX], name[TSR_PROGRAM_NAME_MAX];
    if ((st = u32(R, UINT32_MAX, &idx))) return st;
    if (idx != p->nmodules)
      return fail(R, "module %u out of order (expected %u)", idx, p->nmodules);
    if ((st = ident(R, id, sizeof id)) || (st = quoted(R, name, sizeof name)) ||
        (st = expect(R, "qubits")) || (st = u32(R, UINT32_MAX, &qubits)) ||
        (st = expect(R, "communication")) || (st = u32(R, UINT32_MAX, &comm)))
      return st;
    for (uint32_t m = 0; m < R->nidents; m++)
      if (strcmp(R->idents[m], id) == 0) return fail(R, "register name '%s' used twice", id);
    if (!ident_ok(id)) return fail(R, "'%s' is not an identifier", id);
    if ((st = tsr_program_add_module(p, name, qubits, comm, NULL, R->err))) return relocate(R, st);
    void *g = tsr_realloc(R->idents, p->nmodules, IDENT_MAX, R->err);
    if (!g) return TSR_ERR_NOMEM;
    R->idents = g;
    snprintf(R->idents[R->nidents++], IDENT_MAX, "%s", id);
  } else if (strcmp(kw, "link") == 0) {
    uint32_t idx, a, b;
    double lat, fid;
    char name[TSR_PROGRAM_NAME_MAX];
    if ((st = u32(R, UINT32_MAX, &idx))) return st;
    if (idx != p->nlinks) return fail(R, "link %u out of order (expected %u)", idx, p->nlinks);
    if ((st = quoted(R, name, sizeof name)) || (st = u32(R, UINT32_MAX, &a)) ||
        (st = u32(R, UINT32_MAX, &b)) || (st = expect(R, "latency")) || (st = number(R, &lat)) ||
        (st = expect(R, "fidelity")) || (st = number(R, &fid)))
      return st;
    if ((st = tsr_program_add_link(p, name, a, b, lat, fid, NULL, R->err))) return relocate(R, st);
  } else if (strcmp(kw, "metrics") == 0) {
    tsr_program_metrics *mt = &R->metrics;
    uint64_t big = UINT64_MAX;
    if ((st = expect(R, "ebits")) || (st = integer(R, big, &mt->ebits)) ||
        (st = expect(R, "remote_gates")) || (st = integer(R, big, &mt->remote_gates)) ||
        (st = expect(R, "teleports")) || (st = integer(R, big, &mt->teleports)) ||
        (st = expect(R, "swaps")) || (st = integer(R, big, &mt->swaps)) ||
        (st = expect(R, "moves")) || (st = integer(R, big, &mt->moves)) ||
        (st = expect(R, "makespan")) || (st = number(R, &mt->makespan_s)) ||
        (st = expect(R, "success")) || (st = number(R, &mt->estimated_success)))
      return st;
    R->have_metrics = 1;
  } else if (strcmp(kw, "source_clbits") == 0) {
    if ((st = u32(R, 1u << 30, &R->source_clbits))) return st;
    R->have_source_clbits = 1;
  } else if (strcmp(kw, "placement") == 0) {
    uint32_t q, a, b;
    if ((st = u32(R, UINT32_MAX, &q)) || (st = u32(R, UINT32_MAX, &a)) ||
        (st = u32(R, UINT32_MAX, &b)))
      return st;
    if (q != R->nplace)
      return fail(R, "placement of qubit %u out of order (expected %u)", q, R->nplace);
    if (R->nplace == R->cap_place) {
      uint32_t cap = R->cap_place ? 2 * R->cap_place : 64;
      uint32_t *gi = tsr_realloc(R->init, cap, sizeof *gi, R->err);
      if (!gi) return TSR_ERR_NOMEM;
      R->init = gi;
      uint32_t *gf = tsr_realloc(R->fin, cap, sizeof *gf, R->err);
      if (!gf) return TSR_ERR_NOMEM;
      R->fin = gf;
      R->cap_place = cap;
    }
    R->init[R->nplace] = a;
    R->fin[R->nplace] = b;
    R->nplace++;
  } else if (strcmp(kw, "message") == 0) {
    tsr_program_op op = tsr_program_op_blank(TSR_PROG_MESSAGE, TSR_GATE_NONE, -1);
    uint32_t from, to;
    if ((st = number(R, &op.start_s)) || (st = number(R, &op.duration_s)) ||
        (st = expect(R, "from")) || (st = u32(R, UINT32_MAX, &from)) || (st = expect(R, "to")) ||
        (st = u32(R, UINT32_MAX, &to)) || (st = expect(R, "bits")) ||
        (st = u32(R, UINT32_MAX, &op.message_clbit_first)) ||
        (st = u32(R, UINT32_MAX, &op.message_clbits)))
      return st;
    if (!at_end(R)) {
      uint64_t v;
      if ((st = expect(R, "source")) || (st = integer(R, INT32_MAX, &v))) return st;
      op.source_op = (int64_t)v;
    }
    if (from >= p->nmodules || to >= p->nmodules) return fail(R, "message between unknown modules");
    op.module = (int32_t)from;
    op.module_to = (int32_t)to;
    if ((st = tsr_program_append(p, &op, 0, 0, NULL, 0, R->err))) return relocate(R, st);
  } else {
    return fail(R, "unknown tessera pragma '%s'", kw);
  }
  if (!at_end(R)) return fail(R, "unexpected text at the end of the pragma");
  return TSR_OK;
}

static tsr_status parse_annotation(reader *R, tsr_program_op *op) {
  *op = tsr_program_op_blank(TSR_PROG_LOCAL, TSR_GATE_NONE, -1);
  char role[32];
  tsr_status st = word(R, role, sizeof role);
  if (st) return st;
  int r = 0;
  while (r < TSR_PROG_COUNT && strcmp(tsr_program_role_name((tsr_program_role)r), role) != 0) r++;
  if (r == TSR_PROG_COUNT || r == TSR_PROG_MESSAGE) return fail(R, "unknown role '%s'", role);
  op->role = (tsr_program_role)r;
  if ((st = number(R, &op->start_s)) || (st = number(R, &op->duration_s))) return st;
  while (!at_end(R)) {
    char key[16];
    if ((st = word(R, key, sizeof key))) return st;
    uint64_t v;
    if ((st = integer(R, INT32_MAX, &v))) return st;
    if (strcmp(key, "module") == 0)
      op->module = (int32_t)v;
    else if (strcmp(key, "to") == 0)
      op->module_to = (int32_t)v;
    else if (strcmp(key, "link") == 0)
      op->link = (int32_t)v;
    else if (strcmp(key, "source") == 0)
      op->source_op = (int64_t)v;
    else
      return fail(R, "unknown annotation field '%s'", key);
  }
  return TSR_OK;
}

/* Condition value: decimal or 0x hex, into words. */
static tsr_status cond_value(reader *R, uint64_t *words, uint32_t nwords) {
  skip_ws(R);
  memset(words, 0, nwords * sizeof *words);
  if (R->s + 1 < R->end && R->s[0] == '0' && (R->s[1] == 'x' || R->s[1] == 'X')) {
    R->s += 2;
    const char *h0 = R->s;
    while (R->s < R->end && isxdigit((unsigned char)*R->s)) R->s++;
    size_t nd = (size_t)(R->s - h0);
    if (nd == 0) return fail(R, "expected hexadecimal digits");
    if (nd > (size_t)nwords * 16) return fail(R, "condition value wider than its register");
    for (size_t i = 0; i < nd; i++) {
      char ch = h0[nd - 1 - i];
      unsigned d = isdigit((unsigned char)ch) ? (unsigned)(ch - '0')
                                              : (unsigned)(tolower((unsigned char)ch) - 'a' + 10);
      words[i / 16] |= (uint64_t)d << (4 * (i % 16));
    }
    return TSR_OK;
  }
  return integer(R, UINT64_MAX, &words[0]);
}

static tsr_status parse_statement(reader *R, tsr_program_op *op) {
  tsr_program *p = R->p;
  tsr_status st;
  int32_t cond_creg = 0;
  uint32_t cond_bit = 0, nwords = 0;
  uint64_t *value = NULL;
  if (accept(R, "if")) {
    char name[TSR_PROGRAM_NAME_MAX + 8];
    if ((st = expect(R, "("))) return st;
    const char *at = (skip_ws(R), R->s);
    if ((st = ident(R, name, sizeof name))) return st;
    skip_ws(R);
    if (R->s < R->end && *R->s == '[') {
      if ((st = clbit_ref(R, name, at, &cond_bit))) return st;
      cond_creg = -1;
      nwords = 1;
    } else {
      int64_t r = find_creg(p, name);
      if (r < 0) {
        R->s = at;
        return fail(R, "'%s' is not a classical register", name);
      }
      cond_creg = (int32_t)r;
      nwords = (p->cregs[r].size + 63) / 64;
    }
    value = tsr_calloc(nwords, sizeof *value, R->err);
    if (!value) return TSR_ERR_NOMEM;
    if ((st = expect(R, "==")) || (st = cond_value(R, value, nwords)) || (st = expect(R, ")"))) {
      free(value);
      return st;
    }
    if (cond_creg >= 0) {
      uint32_t size = p->cregs[cond_creg].size;
      if (size % 64 && (value[nwords - 1] >> (size % 64))) {
        free(value);
        return fail(R, "condition value does not fit register '%s'", p->cregs[cond_creg].name);
      }
    } else if (value[0] > 1) {
      free(value);
      return fail(R, "a single bit compares with 0 or 1");
    }
  }
  char name[TSR_PROGRAM_NAME_MAX + 8];
  const char *at = (skip_ws(R), R->s);
  if ((st = ident(R, name, sizeof name))) goto out;
  if (op->role == TSR_PROG_EPR) {
    /* `reset a; reset b; epr a, b;` (the resets are optional). */
    uint32_t pre[2];
    int npre = 0;
    while (npre < 2 && strcmp(name, "reset") == 0) {
      if ((st = qubit_ref(R, &pre[npre])) || (st = expect(R, ";"))) goto out;
      npre++;
      at = (skip_ws(R), R->s);
      if ((st = ident(R, name, sizeof name))) goto out;
    }
    if (strcmp(name, "epr") != 0) {
      R->s = at;
      st = fail(R, "an epr operation must be written 'epr a, b;'");
      goto out;
    }
    op->kind = TSR_GATE_NONE;
    op->nqubits = 2;
    if ((st = qubit_ref(R, &op->qubits[0])) || (st = expect(R, ",")) ||
        (st = qubit_ref(R, &op->qubits[1])) || (st = end_statement(R)))
      goto out;
    for (int k = 0; k < npre; k++) {
      if (pre[k] != op->qubits[k]) {
        R->s = at;
        st = fail(R, "the resets before 'epr' must name its two qubits");
        goto out;
      }
    }
  } else if (strcmp(name, "epr") == 0) {
    R->s = at;
    st = fail(R, "'epr' needs the role epr");
    goto out;
  } else if (find_creg(p, name) >= 0) {
    uint32_t bit;
    if ((st = clbit_ref(R, name, at, &bit)) || (st = expect(R, "=")) ||
        (st = expect(R, "measure")) || (st = qubit_ref(R, &op->qubits[0])) ||
        (st = end_statement(R)))
      goto out;
    op->kind = TSR_OP_MEASURE;
    op->nqubits = 1;
    op->clbit = bit;
  } else {
    tsr_gate kind = tsr_gate_lookup(name);
    if (kind == TSR_GATE_NONE || kind == TSR_GATE_OPAQUE || kind == TSR_OP_MEASURE) {
      R->s = at;
      st = fail(R, "unknown operation '%s'", name);
      goto out;
    }
    const tsr_gate_info *g = tsr_gate_get(kind);
    op->kind = kind;
    if (accept(R, "(")) {
      do {
        if (op->nparams == 4) {
          st = fail(R, "too many parameters");
          goto out;
        }
        if ((st = number(R, &op->params[op->nparams++]))) goto out;
      } while (accept(R, ","));
      if ((st = expect(R, ")"))) goto out;
    }
    do {
      if (op->nqubits == 4) {
        st = fail(R, "too many operands");
        goto out;
      }
      if ((st = qubit_ref(R, &op->qubits[op->nqubits++]))) goto out;
    } while (accept(R, ","));
    if ((st = end_statement(R))) goto out;
    if (op->nparams != g->nparams || (g->nqubits && op->nqubits != g->nqubits)) {
      R->s = at;
      st = fail(R, "'%s' takes %u parameters and %u qubits", g->name, g->nparams, g->nqubits);
      goto out;
    }
  }
  if ((st = tsr_program_append(p, op, cond_creg, cond_bit, value, nwords, R->err)))
    st = relocate(R, st);
out:
  free(value);
  return st;
}

tsr_status tsr_program_read_qasm(const char *text, size_t len, const char *filename,
                                 tsr_program **out, tsr_error *err) {
  if (!out || (!text && len))
    return tsr_error_set(err, TSR_ERR_VALUE, "tsr_program_read_qasm: NULL argument");
  *out = NULL;
  tsr_error local;
  if (!err) err = &local;
  reader R;
  memset(&R, 0, sizeof R);
  R.file = filename ? filename : "<string>";
  R.err = err;
  R.p = tsr_program_new(err);
  if (!R.p) return TSR_ERR_NOMEM;
  tsr_status st = TSR_OK;
  const char *s = text, *end = text + len;
  int depth = 0; /* inside a gate definition */
  int have_annotation = 0, seen_header = 0, seen_regs = 0;
  tsr_program_op pending;
  memset(&pending, 0, sizeof pending);
  int annot_line = 0;
  while (s < end && st == TSR_OK) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *le = nl ? nl : end;
    R.lineno++;
    R.line = R.s = s;
    R.end = le;
    s = nl ? nl + 1 : end;
    if (memchr(R.line, '\0', (size_t)(le - R.line))) {
      st = fail(&R, "NUL byte in the text");
      break;
    }
    if (depth > 0) {
      for (const char *c = R.line; c < le; c++) depth += *c == '{' ? 1 : (*c == '}' ? -1 : 0);
      if (depth < 0) st = fail(&R, "unbalanced '}'");
      continue;
    }
    if (at_end(&R)) continue;
    int col = (int)(R.s - R.line) + 1;
    size_t nops = R.p->nops;
    if (accept(&R, "#pragma")) {
      skip_ws(&R);
      if (accept(&R, "tessera")) {
        skip_ws(&R);
        if (seen_regs && !(R.end - R.s >= 7 && strncmp(R.s, "message", 7) == 0)) {
          st = fail(&R, "tessera pragmas other than messages belong before the registers");
          break;
        }
        if (have_annotation) {
          st = fail(&R, "the @tessera.op annotation of line %d has no statement", annot_line);
          break;
        }
        st = parse_pragma(&R);
        if (st == TSR_OK && R.p->nops > nops) st = note_op(&R, R.lineno, col);
      }
      continue;
    }
    if (accept(&R, "OPENQASM")) {
      skip_ws(&R);
      if (seen_header || !accept(&R, "3")) {
        st = fail(&R, "expected 'OPENQASM 3.0;' once, at the top");
        break;
      }
      accept(&R, ".0");
      st = end_statement(&R);
      seen_header = 1;
      continue;
    }
    if (!seen_header) {
      st = fail(&R, "expected 'OPENQASM 3.0;' first");
      break;
    }
    if (accept(&R, "include")) {
      char f[64];
      if ((st = quoted(&R, f, sizeof f)) == TSR_OK) st = end_statement(&R);
      continue;
    }
    if (accept(&R, "gate ")) {
      for (const char *c = R.line; c < le; c++) depth += *c == '{' ? 1 : (*c == '}' ? -1 : 0);
      if (depth < 0) st = fail(&R, "unbalanced '}'");
      continue;
    }
    if (accept(&R, "qubit[")) {
      uint32_t n, m = 0;
      char id[IDENT_MAX];
      if ((st = u32(&R, UINT32_MAX, &n)) || (st = expect(&R, "]")) ||
          (st = ident(&R, id, sizeof id)) || (st = end_statement(&R)))
        break;
      while (m < R.nidents && strcmp(R.idents[m], id) != 0) m++;
      if (m == R.nidents || R.p->modules[m].qubits != n) {
        st = fail(&R, "qubit register '%s' does not match a module pragma", id);
        break;
      }
      seen_regs = 1;
      continue;
    }
    if (accept(&R, "bit[")) {
      uint32_t n;
      char id[TSR_PROGRAM_NAME_MAX + 8];
      if ((st = u32(&R, 1u << 30, &n)) || (st = expect(&R, "]")) ||
          (st = ident(&R, id, sizeof id)) || (st = end_statement(&R)))
        break;
      int source = R.p->nclbits < R.source_clbits;
      if ((st = tsr_program_add_creg(R.p, id, n, source, NULL, err))) {
        st = relocate(&R, st);
        break;
      }
      seen_regs = 1;
      continue;
    }
    if (accept(&R, "@tessera.op")) {
      if (have_annotation) {
        st = fail(&R, "two annotations in a row");
        break;
      }
      st = parse_annotation(&R, &pending);
      have_annotation = 1;
      annot_line = R.lineno;
      continue;
    }
    if (!have_annotation) {
      st = fail(&R, "operation without a '@tessera.op' annotation");
      break;
    }
    have_annotation = 0;
    st = parse_statement(&R, &pending);
    if (st == TSR_OK && R.p->nops > nops) st = note_op(&R, R.lineno, col);
  }
  if (st == TSR_OK && have_annotation)
    st = tsr_error_set_at(err, TSR_ERR_INPUT, R.file, annot_line, 1,
                          "the @tessera.op annotation has no statement");
  if (st == TSR_OK && depth > 0)
    st = tsr_error_set_at(err, TSR_ERR_INPUT, R.file, R.lineno, 1, "unterminated gate definition");
  if (st == TSR_OK && !seen_header)
    st = tsr_error_set_at(err, TSR_ERR_INPUT, R.file, 1, 1, "empty program (no 'OPENQASM 3.0;')");
  if (st == TSR_OK && R.p->source_clbits != R.source_clbits)
    st = tsr_error_set_at(err, TSR_ERR_INPUT, R.file, R.lineno, 1,
                          "source_clbits %u does not match the registers (%u source bits)",
                          R.source_clbits, R.p->source_clbits);
  if (st == TSR_OK && R.nplace) {
    st = tsr_program_set_placement(R.p, R.nplace, R.init, R.fin, err);
    if (st != TSR_OK) st = relocate(&R, st);
  }
  if (st == TSR_OK) {
    /* Errors about one operation point at its statement. */
    size_t bad = SIZE_MAX;
    st = tsr__program_finish(R.p, &bad, err);
    if (st != TSR_OK && st != TSR_ERR_NOMEM) {
      char msg[TSR_ERROR_MESSAGE_MAX];
      snprintf(msg, sizeof msg, "%s", err->message);
      int at = bad < R.nlocs;
      st = tsr_error_set_at(err, TSR_ERR_INPUT, R.file, at ? R.op_line[bad] : 1,
                            at ? R.op_col[bad] : 1, "invalid program: %s", msg);
    }
  }
  if (st == TSR_OK && R.have_metrics) R.p->metrics = R.metrics;
  free(R.idents);
  free(R.init);
  free(R.fin);
  free(R.op_line);
  free(R.op_col);
  if (st != TSR_OK) {
    tsr_program_free(R.p);
    return st;
  }
  *out = R.p;
  return TSR_OK;
}
