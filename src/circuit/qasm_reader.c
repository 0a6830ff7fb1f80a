/* OpenQASM reader: OpenQASM 2.0 in full (qelib1.inc built in) and the
 * OpenQASM 3 subset that Qiskit, tket and Tessera's own writer produce.
 *
 * One recursive-descent pass over the token stream appends operations to a
 * tsr_circuit as statements are read. User gate definitions are compiled once
 * into a list of calls whose parameters are small stack-machine programs;
 * a call expands the body inline, evaluating the programs with the actual
 * parameters and mapping formal qubits to actual ones. A definition that
 * shadows a catalogue gate and reproduces its matrix (up to global phase) is
 * read as that catalogue gate, so circuits written by Tessera's writer (which
 * defines gates missing from stdgates.inc) read back to the same operations.
 *
 * Every error carries file:line:col. Depths (gate nesting, expression nesting,
 * includes) and sizes (operations after expansion, qubits) are bounded so
 * that fuzzed input can neither overflow the stack nor exhaust memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "circuit/qasm_lexer.h"
#include "tessera/circuit.h"

#define QASM_PI 3.14159265358979323846
#define QASM_E  2.71828182845904523536

enum {
  MAX_EXPR_DEPTH = 200,
  EVAL_STACK = 256,
  MAX_GATE_DEPTH = 256,
  MAX_INCLUDE_DEPTH = 16,
  MAX_LITERAL_DIGITS = 20000,  /* longest integer literal in a condition */
  RECOGNISE_MAX_QUBITS = 5,    /* catalogue gates up to c4x */
  RECOGNISE_MAX_OPS = 512,     /* Tessera's own definitions need at most 31 */
  RECOGNISE_MAX_WORK = 1 << 23 /* multiply-adds per check: milliseconds */
};

#define DEFAULT_MAX_OPS    (UINT64_C(1) << 31)
#define DEFAULT_MAX_QUBITS (UINT32_C(1) << 24)

#define TRY(expr)                                                                                  \
  do {                                                                                             \
    tsr_status try_st_ = (expr);                                                                   \
    if (try_st_ != TSR_OK) return try_st_;                                                         \
  } while (0)

/* ------------------------------------------------------------ data types */

/* Symbol namespaces: registers of each kind, gates, constants, keywords. */
enum { NS_QREG = 1, NS_CREG, NS_GATE, NS_CONST, NS_KEYWORD, NS_DEFINED /* user-defined names */ };
/* NS_GATE entries: a catalogue kind or an index into reader.defs. */
enum { GATE_CAT = 0, GATE_DEF = 1 };

typedef struct sym {
  const char *name; /* points into a source buffer or a static string */
  uint32_t len;
  uint32_t hash;
  uint8_t ns;
  uint8_t sub;
  uint32_t value;
} sym;

typedef enum keyword {
  KW_OPENQASM = 1,
  KW_INCLUDE,
  KW_QREG,
  KW_CREG,
  KW_QUBIT,
  KW_BIT,
  KW_GATE,
  KW_OPAQUE,
  KW_MEASURE,
  KW_RESET,
  KW_BARRIER,
  KW_IF,
  KW_ELSE,
  KW_GPHASE,
  KW_CONST,
  KW_FLOAT,
  KW_ANGLE,
  KW_INT,
  KW_UINT,
  KW_LET,
  KW_DELAY,
  KW_CTRL,
  KW_NEGCTRL,
  KW_INV,
  KW_POW,
  KW_UNSUPPORTED /* OpenQASM 3 statements outside the subset */
} keyword;

typedef struct kw_entry {
  const char *name;
  keyword kw;
  int reserved; /* may not be used as a gate name */
} kw_entry;

static const kw_entry KEYWORDS[] = {
    {"OPENQASM", KW_OPENQASM, 1},
    {"include", KW_INCLUDE, 1},
    {"qreg", KW_QREG, 1},
    {"creg", KW_CREG, 1},
    {"qubit", KW_QUBIT, 1},
    {"bit", KW_BIT, 1},
    {"gate", KW_GATE, 1},
    {"opaque", KW_OPAQUE, 1},
    {"measure", KW_MEASURE, 1},
    {"reset", KW_RESET, 1},
    {"barrier", KW_BARRIER, 1},
    {"if", KW_IF, 1},
    {"else", KW_ELSE, 1},
    {"gphase", KW_GPHASE, 1},
    {"const", KW_CONST, 1},
    {"let", KW_LET, 1},
    {"float", KW_FLOAT, 0},
    {"angle", KW_ANGLE, 0},
    {"int", KW_INT, 0},
    {"uint", KW_UINT, 0},
    {"delay", KW_DELAY, 0},
    {"ctrl", KW_CTRL, 0},
    {"negctrl", KW_NEGCTRL, 0},
    {"inv", KW_INV, 0},
    {"pow", KW_POW, 0},
    {"input", KW_UNSUPPORTED, 0},
    {"output", KW_UNSUPPORTED, 0},
    {"def", KW_UNSUPPORTED, 0},
    {"defcal", KW_UNSUPPORTED, 0},
    {"defcalgrammar", KW_UNSUPPORTED, 0},
    {"cal", KW_UNSUPPORTED, 0},
    {"for", KW_UNSUPPORTED, 0},
    {"while", KW_UNSUPPORTED, 0},
    {"box", KW_UNSUPPORTED, 0},
    {"extern", KW_UNSUPPORTED, 0},
    {"switch", KW_UNSUPPORTED, 0},
    {"return", KW_UNSUPPORTED, 0},
    {"break", KW_UNSUPPORTED, 0},
    {"continue", KW_UNSUPPORTED, 0},
    {"bool", KW_UNSUPPORTED, 0},
    {"duration", KW_UNSUPPORTED, 0},
    {"stretch", KW_UNSUPPORTED, 0},
    {"complex", KW_UNSUPPORTED, 0},
    {"array", KW_UNSUPPORTED, 0},
    {"end", KW_UNSUPPORTED, 0},
};

/* A register as the reader sees it: a strided run of flat indices. `let`
 * aliases are registers too, without a circuit register behind them. */
typedef struct reg {
  uint32_t first, size;
  int32_t step;
  int32_t circuit_index; /* circuit register, or -1 for an alias */
  int line;
} reg;

/* Expression programs for a stack machine. */
enum { OP_CONST, OP_PARAM, OP_NEG, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_FN };
enum { FN_SIN, FN_COS, FN_TAN, FN_EXP, FN_LN, FN_SQRT, FN_ASIN, FN_ACOS, FN_ATAN };
static const char *const FN_NAMES[] = {"sin",  "cos",  "tan",  "exp", "ln",
                                       "sqrt", "asin", "acos", "atan"};

typedef struct insn {
  uint8_t op, fn;
  uint32_t idx;
  double val;
  const char *file;
  int line, col;
} insn;

typedef struct expr_ref {
  uint32_t start, count;
} expr_ref;

/* One statement of a gate body. */
enum { CALL_CAT, CALL_DEF, CALL_BARRIER, CALL_GPHASE };
typedef struct body_call {
  uint8_t what;
  uint8_t inv; /* catalogue gate under `inv @`: inverted at expansion */
  uint32_t target;
  uint32_t nparams, first_expr;
  uint32_t nqubits, first_arg;
} body_call;

enum { DEF_USER, DEF_OPAQUE };
typedef struct gate_def {
  uint8_t kind;
  uint32_t nparams, nqubits;
  uint32_t first_call, ncalls;
  uint64_t expanded; /* operations one call produces (saturating) */
  uint32_t depth;    /* nesting depth of the definition */
  char *cname;       /* NUL-terminated name (owned) */
  int line;
} gate_def;

/* A resolved gate name. */
typedef struct gate_ref {
  uint8_t what; /* CALL_CAT or CALL_DEF */
  uint32_t target;
  uint32_t nparams, nqubits; /* nqubits 0: variadic */
  const char *name;
} gate_ref;

/* A quantum or classical operand: one element or a strided run. */
typedef struct operand {
  uint32_t first, count;
  int32_t step;
  uint8_t is_reg;
  int line, col;
  const char *name;
  uint32_t name_len;
} operand;

/* Matrix accumulator used to recognise catalogue gates among definitions. */
typedef struct msink {
  unsigned n;
  double complex *u; /* 2^n x 2^n row-major; per_qubit: n 2x2 matrices */
  int per_qubit;     /* product of single-qubit gates only (wide variadic gates) */
  int failed;
  uint64_t work; /* multiply-adds so far */
} msink;

typedef struct reader {
  tsr_circuit *c;
  tsr_error *err;
  qasm_lexer lx;
  qasm_token tok, prev;
  const char *file;
  int version;
  int have_lib;   /* qelib1.inc or stdgates.inc included */
  int first_stmt; /* nothing but comments and pragmas read yet */
  int main_file;
  int include_depth;
  uint64_t max_ops;
  uint32_t max_qubits;
  int strict_operands;

  sym *tab;
  size_t tab_cap, tab_count;

  reg *regs;
  size_t nregs, regs_cap;
  double *consts;
  size_t nconsts, consts_cap;
  gate_def *defs;
  size_t ndefs, defs_cap;
  body_call *calls;
  size_t ncalls, calls_cap;
  expr_ref *exprs;
  size_t nexprs, exprs_cap;
  uint32_t *args;
  size_t nargs, args_cap;
  insn *code;
  size_t ncode, code_cap;

  /* expression compilation context */
  const qasm_token *formal_params; /* inside a gate body, else NULL */
  uint32_t nformal_params;
  int expr_depth, stack_depth, stack_max;

  /* expansion stacks */
  double *vals;
  size_t nvals, vals_cap;
  uint32_t *qstack;
  size_t nq, qstack_cap;

  /* per-statement scratch */
  operand *opnds;
  size_t nopnds, opnds_cap;
  uint32_t *qbuf;
  size_t qbuf_cap;
  qasm_token *formals;
  size_t nformals, formals_cap;
  char *namebuf;
  size_t namebuf_cap;
  uint32_t *mark; /* duplicate detection stamps, one per qubit */
  size_t mark_cap;
  uint32_t stamp;
  uint32_t *limbs; /* big-integer scratch, 32-bit limbs */
  size_t limbs_cap;

  /* active classical condition */
  int cond_on;
  int32_t cond_creg;
  uint32_t cond_bit;
  uint64_t *cond_val;
  uint32_t cond_nwords;
  size_t cond_cap;

  /* location of the statement being emitted, for errors from the circuit */
  const char *loc_file;
  int loc_line, loc_col;

  msink *ms;

  /* buffers and names of included files, alive until the end */
  char **owned;
  size_t nowned, owned_cap;
} reader;

/* ------------------------------------------------------------- helpers */

static tsr_status grow(reader *r, void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return TSR_OK;
  size_t n = *cap ? *cap : 16;
  while (n < need) n *= 2;
  void *q = tsr_realloc(*p, n, size, r->err);
  if (!q) return TSR_ERR_NOMEM;
  *p = q;
  *cap = n;
  return TSR_OK;
}

#define GROW(r, arr, cap, need) grow((r), (void **)&(arr), &(cap), (need), sizeof *(arr))

static int tok_is(const qasm_token *t, const char *s) {
  size_t n = strlen(s);
  return t->kind == QT_IDENT && t->len == n && memcmp(t->start, s, n) == 0;
}

/* Copies a token's text into the reader's name buffer as a C string. */
static const char *cstr(reader *r, const char *s, uint32_t n) {
  if (GROW(r, r->namebuf, r->namebuf_cap, (size_t)n + 1) != TSR_OK) return NULL;
  memcpy(r->namebuf, s, n);
  r->namebuf[n] = '\0';
  return r->namebuf;
}

/* Short printable form of a token for messages, written into buf. */
static const char *tok_desc(const qasm_token *t, char *buf, size_t size) {
  switch (t->kind) {
  case QT_IDENT:
  case QT_INT:
  case QT_REAL: {
    int n = t->len > 40 ? 40 : (int)t->len;
    snprintf(buf, size, "'%.*s%s'", n, t->start, t->len > 40 ? "..." : "");
    return buf;
  }
  case QT_STRING: {
    int n = t->len > 40 ? 40 : (int)t->len;
    snprintf(buf, size, "string \"%.*s\"", n, t->start);
    return buf;
  }
  default:
    snprintf(buf, size, "%s", qasm_tok_name(t->kind));
    return buf;
  }
}

/* Column just after a token (strings: after the closing quote). */
static int tok_end_col(const qasm_token *t) {
  return t->col + (int)t->len + (t->kind == QT_STRING ? 2 : 0);
}

/* Formats fmt/ap and records it as error st at file:line:col. */
static tsr_status verr_status_at(reader *r, tsr_status st, const char *file, int line, int col,
                                 const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
static tsr_status verr_status_at(reader *r, tsr_status st, const char *file, int line, int col,
                                 const char *fmt, va_list ap) {
  char msg[TSR_ERROR_MESSAGE_MAX];
  vsnprintf(msg, sizeof msg, fmt, ap);
  return tsr_error_set_at(r->err, st, file, line, col, "%s", msg);
}

static tsr_status err_at(reader *r, const qasm_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static tsr_status err_at(reader *r, const qasm_token *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tsr_status st = verr_status_at(r, TSR_ERR_INPUT, r->file, t->line, t->col, fmt, ap);
  va_end(ap);
  return st;
}

static tsr_status err_status_at(reader *r, tsr_status st, const char *file, int line, int col,
                                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static tsr_status err_status_at(reader *r, tsr_status st, const char *file, int line, int col,
                                const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tsr_status ret = verr_status_at(r, st, file, line, col, fmt, ap);
  va_end(ap);
  return ret;
}

static tsr_status unsupported_at(reader *r, const qasm_token *t, const char *what) {
  return tsr_error_set_at(r->err, TSR_ERR_UNSUPPORTED, r->file, t->line, t->col,
                          "%s is not supported by this reader", what);
}

static tsr_status advance(reader *r) {
  r->prev = r->tok;
  return qasm_lexer_next(&r->lx, &r->tok) == QT_ERROR ? TSR_ERR_INPUT : TSR_OK;
}

/* Error for a missing token. A missing ';' is reported just after the
 * previous token, where it belongs; anything else at the offending token. */
static tsr_status err_expected(reader *r, qasm_tok kind, const char *context) {
  char found[96];
  tok_desc(&r->tok, found, sizeof found);
  if (kind == QT_SEMI) {
    int line = r->prev.line, col = tok_end_col(&r->prev);
    if (r->tok.kind == QT_EOF) {
      return err_status_at(r, TSR_ERR_INPUT, r->file, line, col,
                           "unterminated statement: expected ';' before end of input");
    }
    return err_status_at(r, TSR_ERR_INPUT, r->file, line, col, "expected ';' after %s (found %s)",
                         context, found);
  }
  return err_at(r, &r->tok, "expected %s%s%s, found %s", qasm_tok_name(kind), context ? " " : "",
                context ? context : "", found);
}

static tsr_status expect(reader *r, qasm_tok kind, const char *context) {
  if (r->tok.kind != kind) return err_expected(r, kind, context);
  return advance(r);
}

/* Looks at the token after the current one without consuming anything. */
static qasm_tok peek(reader *r) {
  qasm_lexer copy = r->lx;
  qasm_token t;
  tsr_error scratch;
  copy.err = &scratch;
  return qasm_lexer_next(&copy, &t);
}

/* ------------------------------------------------------------- symbols */

static uint32_t hash_name(uint8_t ns, const char *s, uint32_t n) {
  uint32_t h = 2166136261u ^ ns;
  for (uint32_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static sym *sym_find(reader *r, uint8_t ns, const char *s, uint32_t n) {
  uint32_t h = hash_name(ns, s, n);
  size_t mask = r->tab_cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    sym *e = &r->tab[i];
    if (!e->name) return NULL;
    if (e->hash == h && e->ns == ns && e->len == n && memcmp(e->name, s, n) == 0) return e;
  }
}

static sym *sym_find_tok(reader *r, uint8_t ns, const qasm_token *t) {
  return sym_find(r, ns, t->start, t->len);
}

/* Inserts or overwrites. */
static tsr_status sym_put(reader *r, uint8_t ns, const char *s, uint32_t n, uint8_t sub,
                          uint32_t value) {
  if ((r->tab_count + 1) * 2 > r->tab_cap) {
    size_t cap = r->tab_cap ? r->tab_cap * 2 : 256;
    sym *t = tsr_calloc(cap, sizeof *t, r->err);
    if (!t) return TSR_ERR_NOMEM;
    for (size_t i = 0; i < r->tab_cap; i++) {
      sym *e = &r->tab[i];
      if (!e->name) continue;
      size_t j = e->hash & (cap - 1);
      while (t[j].name) j = (j + 1) & (cap - 1);
      t[j] = *e;
    }
    free(r->tab);
    r->tab = t;
    r->tab_cap = cap;
  }
  uint32_t h = hash_name(ns, s, n);
  size_t mask = r->tab_cap - 1;
  size_t i = h & mask;
  for (;; i = (i + 1) & mask) {
    sym *e = &r->tab[i];
    if (!e->name) break;
    if (e->hash == h && e->ns == ns && e->len == n && memcmp(e->name, s, n) == 0) {
      e->sub = sub;
      e->value = value;
      return TSR_OK;
    }
  }
  r->tab[i] = (sym){.name = s, .len = n, .hash = h, .ns = ns, .sub = sub, .value = value};
  r->tab_count++;
  return TSR_OK;
}

static const kw_entry *keyword_of(reader *r, const qasm_token *t) {
  sym *s = sym_find_tok(r, NS_KEYWORD, t);
  return s ? &KEYWORDS[s->value] : NULL;
}

/* ------------------------------------------------------------- numbers */

static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Value of a hexadecimal digit character (either case); 99 for anything
 * else, which is >= every base. */
static inline unsigned digit_value(char ch) {
  if (ch >= '0' && ch <= '9') return (unsigned)(ch - '0');
  if (ch >= 'a' && ch <= 'f') return (unsigned)(ch - 'a' + 10);
  if (ch >= 'A' && ch <= 'F') return (unsigned)(ch - 'A' + 10);
  return 99;
}

/* Base of an integer literal from its 0x/0o/0b prefix (two characters,
 * needing at least one more after them); 10 without one. */
static inline unsigned literal_base(const char *s, uint32_t n) {
  if (n > 2 && s[0] == '0') {
    char p = s[1];
    if (p == 'x' || p == 'X') return 16;
    if (p == 'o' || p == 'O') return 8;
    if (p == 'b' || p == 'B') return 2;
  }
  return 10;
}

/* Integer literal (decimal or 0x/0o/0b, '_' separators) into *out.
 * Returns 0, -1 for a bad digit, 1 for overflow. */
static int parse_u64(const char *s, uint32_t n, uint64_t *out) {
  if (n <= 18) { /* plain decimal that cannot overflow: the common case */
    uint64_t v = 0;
    uint32_t k = 0;
    for (; k < n && (unsigned)(s[k] - '0') <= 9; k++) v = v * 10 + (unsigned)(s[k] - '0');
    if (k == n && n > 0) {
      *out = v;
      return 0;
    }
  }
  unsigned base = literal_base(s, n);
  uint32_t i = base != 10 ? 2 : 0;
  uint64_t v = 0;
  int overflow = 0;
  for (; i < n; i++) {
    char ch = s[i];
    if (ch == '_') continue;
    unsigned d = digit_value(ch);
    if (d >= base) return -1;
    if (v > (UINT64_MAX - d) / base)
      overflow = 1;
    else
      v = v * base + d;
  }
  *out = v;
  return overflow;
}

/* Decimal real literal. Exact-fitting cases take Clinger's fast path (one
 * correctly rounded multiply or divide); the rest go to strtod. */
static tsr_status tok_double(reader *r, const qasm_token *t, double *out) {
  const char *s = t->start;
  uint32_t n = t->len;
  if (t->kind == QT_INT) {
    uint64_t v;
    int rc = parse_u64(s, n, &v);
    if (rc < 0) return err_at(r, t, "invalid digit in number %.*s", (int)(n > 40 ? 40 : n), s);
    if (rc == 0 && v <= (UINT64_C(1) << 53)) {
      *out = (double)v;
      return TSR_OK;
    }
    if (n > 2 && s[0] == '0' && (s[1] < '0' || s[1] > '9') && s[1] != '_') {
      return err_at(r, t, "integer %.*s is too large", (int)(n > 40 ? 40 : n), s);
    }
  } else {
    uint64_t m = 0;
    int digits = 0, frac = 0, exp = 0, exp_sign = 1, in_frac = 0, fast = 1;
    uint32_t i = 0;
    for (; i < n; i++) {
      char ch = s[i];
      if (ch == '_') continue;
      if (ch == '.') {
        in_frac = 1;
        continue;
      }
      if (ch == 'e' || ch == 'E') break;
      if (m == 0 && ch == '0') {
        if (in_frac) frac++;
        continue;
      }
      if (++digits > 19) {
        fast = 0;
        break;
      }
      m = m * 10 + (uint64_t)(ch - '0');
      if (in_frac) frac++;
    }
    if (fast && i < n) {
      i++;
      if (i < n && (s[i] == '+' || s[i] == '-')) exp_sign = s[i++] == '-' ? -1 : 1;
      for (; i < n; i++) {
        if (exp > 10000) {
          fast = 0;
          break;
        }
        exp = exp * 10 + (s[i] - '0');
      }
    }
    if (fast) {
      int e10 = exp_sign * exp - frac;
      if (m == 0) {
        *out = 0.0;
        return TSR_OK;
      }
      if (m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
        *out = e10 >= 0 ? (double)m * POW10[e10] : (double)m / POW10[-e10];
        return TSR_OK;
      }
    }
  }
  char small[128];
  char *buf = small;
  if (n >= sizeof small) {
    buf = tsr_malloc((size_t)n + 1, r->err);
    if (!buf) return TSR_ERR_NOMEM;
  }
  size_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (s[i] != '_') buf[k++] = s[i];
  }
  buf[k] = '\0';
  double v = strtod(buf, NULL);
  if (buf != small) free(buf);
  if (!isfinite(v)) return err_at(r, t, "number %.*s is out of range", (int)(n > 40 ? 40 : n), s);
  *out = v;
  return TSR_OK;
}

/* ---------------------------------------------------------- expressions */

static tsr_status emit_insn(reader *r, uint8_t op, uint8_t fn, uint32_t idx, double val,
                            const qasm_token *t) {
  TRY(GROW(r, r->code, r->code_cap, r->ncode + 1));
  r->code[r->ncode++] = (insn){
      .op = op, .fn = fn, .idx = idx, .val = val, .file = r->file, .line = t->line, .col = t->col};
  if (op == OP_CONST || op == OP_PARAM) {
    if (++r->stack_depth > r->stack_max) r->stack_max = r->stack_depth;
  } else if (op != OP_NEG && op != OP_FN) {
    r->stack_depth--;
  }
  return TSR_OK;
}

static tsr_status parse_additive(reader *r);

static int function_of(const qasm_token *t) {
  for (int i = 0; i < (int)(sizeof FN_NAMES / sizeof *FN_NAMES); i++) {
    if (tok_is(t, FN_NAMES[i])) return i;
  }
  if (tok_is(t, "arcsin")) return FN_ASIN;
  if (tok_is(t, "arccos")) return FN_ACOS;
  if (tok_is(t, "arctan")) return FN_ATAN;
  if (tok_is(t, "log")) return FN_LN;
  return -1;
}

static tsr_status parse_primary(reader *r) {
  qasm_token t = r->tok;
  if (t.kind == QT_INT || t.kind == QT_REAL) {
    double v = 0.0;
    TRY(tok_double(r, &t, &v));
    TRY(emit_insn(r, OP_CONST, 0, 0, v, &t));
    return advance(r);
  }
  if (t.kind == QT_LPAREN) {
    TRY(advance(r));
    TRY(parse_additive(r));
    return expect(r, QT_RPAREN, "to close '('");
  }
  if (t.kind != QT_IDENT) {
    char found[96];
    return err_at(r, &t, "expected an expression, found %s", tok_desc(&t, found, sizeof found));
  }
  for (uint32_t i = 0; i < r->nformal_params; i++) {
    const qasm_token *p = &r->formal_params[i];
    if (p->len == t.len && memcmp(p->start, t.start, t.len) == 0) {
      TRY(emit_insn(r, OP_PARAM, 0, i, 0.0, &t));
      return advance(r);
    }
  }
  int fn = function_of(&t);
  if (fn >= 0 && peek(r) == QT_LPAREN) {
    TRY(advance(r));
    TRY(advance(r));
    TRY(parse_additive(r));
    TRY(expect(r, QT_RPAREN, "to close the argument list"));
    return emit_insn(r, OP_FN, (uint8_t)fn, 0, 0.0, &t);
  }
  sym *s = sym_find_tok(r, NS_CONST, &t);
  double v;
  if (s)
    v = r->consts[s->value];
  else if (tok_is(&t, "pi") || tok_is(&t, "\xcf\x80"))
    v = QASM_PI;
  else if (tok_is(&t, "tau") || tok_is(&t, "\xcf\x84"))
    v = 2 * QASM_PI;
  else if (tok_is(&t, "euler") || tok_is(&t, "\xe2\x84\x87"))
    v = QASM_E;
  else {
    char name[96];
    return err_at(r, &t, "unknown identifier %s in expression", tok_desc(&t, name, sizeof name));
  }
  TRY(emit_insn(r, OP_CONST, 0, 0, v, &t));
  return advance(r);
}

static tsr_status parse_unary(reader *r);

/* power := primary ('^' unary)?   (right associative, binds tighter than
 * unary minus: -2^2 is -4 as in Python and OpenQASM 3) */
static tsr_status parse_power(reader *r) {
  TRY(parse_primary(r));
  if (r->tok.kind == QT_POW) {
    qasm_token op = r->tok;
    TRY(advance(r));
    TRY(parse_unary(r));
    TRY(emit_insn(r, OP_POW, 0, 0, 0.0, &op));
  }
  return TSR_OK;
}

static tsr_status parse_unary(reader *r) {
  if (++r->expr_depth > MAX_EXPR_DEPTH) {
    return err_at(r, &r->tok, "expression nested too deeply (more than %d levels)", MAX_EXPR_DEPTH);
  }
  tsr_status st;
  if (r->tok.kind == QT_MINUS || r->tok.kind == QT_PLUS) {
    qasm_token op = r->tok;
    st = advance(r);
    if (st == TSR_OK) st = parse_unary(r);
    if (st == TSR_OK && op.kind == QT_MINUS) st = emit_insn(r, OP_NEG, 0, 0, 0.0, &op);
  } else {
    st = parse_power(r);
  }
  r->expr_depth--;
  return st;
}

/* One left-associative level: operand ((tok_a | tok_b) operand)*, with
 * tok_a compiling to op_a and tok_b to op_b. Inlined into each level with
 * constant arguments, so operand() is a direct call. */
static inline __attribute__((always_inline)) tsr_status
parse_left_assoc(reader *r, tsr_status (*operand)(reader *), qasm_tok tok_a, uint8_t op_a,
                 qasm_tok tok_b, uint8_t op_b) {
  TRY(operand(r));
  while (r->tok.kind == tok_a || r->tok.kind == tok_b) {
    qasm_token op = r->tok;
    TRY(advance(r));
    TRY(operand(r));
    TRY(emit_insn(r, op.kind == tok_a ? op_a : op_b, 0, 0, 0.0, &op));
  }
  return TSR_OK;
}

static tsr_status parse_multiplicative(reader *r) {
  return parse_left_assoc(r, parse_unary, QT_STAR, OP_MUL, QT_SLASH, OP_DIV);
}

static tsr_status parse_additive(reader *r) {
  return parse_left_assoc(r, parse_multiplicative, QT_PLUS, OP_ADD, QT_MINUS, OP_SUB);
}

/* Compiles one expression into r->code starting at *start. */
static tsr_status compile_expr(reader *r, uint32_t *start, uint32_t *count) {
  *start = (uint32_t)r->ncode;
  r->expr_depth = 0;
  r->stack_depth = 0;
  r->stack_max = 0;
  qasm_token first = r->tok;
  TRY(parse_additive(r));
  if (r->stack_max > EVAL_STACK) return err_at(r, &first, "expression is too complex");
  *count = (uint32_t)(r->ncode - *start);
  return TSR_OK;
}

static tsr_status eval_error(reader *r, const insn *in, const char *fmt, double x) {
  return err_status_at(r, TSR_ERR_INPUT, in->file, in->line, in->col, fmt, x);
}

/* Runs a compiled expression with parameter values env. */
static tsr_status eval_expr(reader *r, uint32_t start, uint32_t count, const double *env,
                            double *out) {
  double st[EVAL_STACK + 1];
  int sp = 0;
  for (uint32_t k = 0; k < count; k++) {
    const insn *in = &r->code[start + k];
    double x;
    switch (in->op) {
    case OP_CONST:
      st[sp++] = in->val;
      continue;
    case OP_PARAM:
      st[sp++] = env[in->idx];
      continue;
    case OP_NEG:
      st[sp - 1] = -st[sp - 1];
      continue;
    case OP_FN: {
      double a = st[sp - 1];
      switch (in->fn) {
      case FN_SIN:
        x = sin(a);
        break;
      case FN_COS:
        x = cos(a);
        break;
      case FN_TAN:
        x = tan(a);
        break;
      case FN_EXP:
        x = exp(a);
        break;
      case FN_LN:
        x = a > 0 ? log(a) : NAN;
        break;
      case FN_SQRT:
        x = a >= 0 ? sqrt(a) : NAN;
        break;
      case FN_ASIN:
        x = asin(a);
        break;
      case FN_ACOS:
        x = acos(a);
        break;
      default:
        x = atan(a);
        break;
      }
      if (!isfinite(x)) {
        char fmt[64];
        snprintf(fmt, sizeof fmt, "%s(%%.17g) is not a finite number", FN_NAMES[in->fn]);
        return eval_error(r, in, fmt, a);
      }
      st[sp - 1] = x;
      continue;
    }
    default:
      break;
    }
    double b = st[--sp], a = st[sp - 1];
    switch (in->op) {
    case OP_ADD:
      x = a + b;
      break;
    case OP_SUB:
      x = a - b;
      break;
    case OP_MUL:
      x = a * b;
      break;
    case OP_DIV:
      if (b == 0.0) return eval_error(r, in, "division by zero in parameter expression", 0.0);
      x = a / b;
      break;
    default:
      x = pow(a, b);
      break;
    }
    if (!isfinite(x)) {
      return eval_error(r, in, "parameter expression is not a finite number (%g)", x);
    }
    st[sp - 1] = x;
  }
  *out = st[0];
  return TSR_OK;
}

/* Parses and evaluates an expression outside gate bodies. */
static tsr_status parse_value(reader *r, double *out) {
  size_t mark = r->ncode;
  uint32_t start = 0, count = 0;
  tsr_status st = compile_expr(r, &start, &count);
  if (st == TSR_OK) st = eval_expr(r, start, count, NULL, out);
  r->ncode = mark;
  return st;
}

/* ------------------------------------------------------------- emission */

static void relocate(reader *r, tsr_status st) {
  /* Errors from the circuit have no location: give them the statement's. */
  if (r->err->line == 0) {
    snprintf(r->err->file, sizeof r->err->file, "%s", r->loc_file ? r->loc_file : "<input>");
    r->err->line = r->loc_line;
    r->err->col = r->loc_col;
  }
  if (st == TSR_ERR_VALUE) r->err->status = TSR_ERR_INPUT;
}

static tsr_status check_room(reader *r) {
  if (r->c->nops >= r->max_ops) {
    return err_status_at(r, TSR_ERR_LIMIT, r->loc_file, r->loc_line, r->loc_col,
                         "circuit exceeds the limit of %llu operations",
                         (unsigned long long)r->max_ops);
  }
  return TSR_OK;
}

static tsr_status apply_condition(reader *r) {
  if (!r->cond_on) return TSR_OK;
  if (r->c->ops[r->c->nops - 1].kind == TSR_OP_BARRIER) return TSR_OK;
  tsr_status st = tsr_circuit_condition_last(r->c, r->cond_creg, r->cond_bit, r->cond_val,
                                             r->cond_nwords, r->err);
  if (st != TSR_OK) relocate(r, st);
  return st;
}

static tsr_status finish_emit(reader *r, tsr_status st) {
  if (st != TSR_OK) {
    relocate(r, st);
    return r->err->status;
  }
  return apply_condition(r);
}

/* Multiplies the gate into the accumulated matrix: U <- G_on_qubits * U. */
static void msink_apply(msink *ms, const double complex *g, const uint32_t *q, uint32_t k) {
  size_t dim = (size_t)1 << ms->n, gd = (size_t)1 << k;
  size_t mask = 0;
  for (uint32_t t = 0; t < k; t++) mask |= (size_t)1 << q[t];
  size_t offs[1 << RECOGNISE_MAX_QUBITS];
  for (size_t j = 0; j < gd; j++) {
    size_t o = 0;
    for (uint32_t t = 0; t < k; t++) {
      if (j >> t & 1) o |= (size_t)1 << q[t];
    }
    offs[j] = o;
  }
  double complex a[1 << RECOGNISE_MAX_QUBITS];
  for (size_t col = 0; col < dim; col++) {
    for (size_t base = 0; base < dim; base++) {
      if (base & mask) continue;
      for (size_t j = 0; j < gd; j++) a[j] = ms->u[(base | offs[j]) * dim + col];
      for (size_t i = 0; i < gd; i++) {
        double complex s = 0;
        for (size_t j = 0; j < gd; j++) s += g[i * gd + j] * a[j];
        ms->u[(base | offs[i]) * dim + col] = s;
      }
    }
  }
}

static tsr_status emit_gate(reader *r, tsr_gate kind, int inv, const uint32_t *q, uint32_t nq,
                            const double *p, uint32_t np) {
  double ip[4];
  if (inv) {
    tsr_gate ik;
    tsr_status st = tsr_gate_inverse(kind, p, &ik, ip, r->err);
    if (st != TSR_OK) return finish_emit(r, st);
    kind = ik;
    const tsr_gate_info *info = tsr_gate_get(kind);
    np = info ? info->nparams : 0;
    p = ip;
  }
  if (r->ms) {
    msink *ms = r->ms;
    if (ms->failed) return TSR_OK;
    if (ms->per_qubit) {
      double complex g[4], *m = &ms->u[4 * (size_t)q[0]], t[4];
      tsr_error scratch;
      if (nq != 1 || tsr_gate_matrix(kind, p, 1, g, &scratch) != TSR_OK) {
        ms->failed = 1;
        return TSR_OK;
      }
      t[0] = g[0] * m[0] + g[1] * m[2];
      t[1] = g[0] * m[1] + g[1] * m[3];
      t[2] = g[2] * m[0] + g[3] * m[2];
      t[3] = g[2] * m[1] + g[3] * m[3];
      memcpy(m, t, sizeof t);
      return TSR_OK;
    }
    if (nq > RECOGNISE_MAX_QUBITS) {
      ms->failed = 1;
      return TSR_OK;
    }
    ms->work += ((uint64_t)1 << (2 * ms->n)) << nq;
    if (ms->work > RECOGNISE_MAX_WORK) {
      ms->failed = 1;
      return TSR_OK;
    }
    double complex g[1 << (2 * RECOGNISE_MAX_QUBITS)];
    tsr_error scratch;
    if (tsr_gate_matrix(kind, p, nq, g, &scratch) != TSR_OK) {
      ms->failed = 1;
      return TSR_OK;
    }
    msink_apply(ms, g, q, nq);
    return TSR_OK;
  }
  TRY(check_room(r));
  return finish_emit(r, tsr_circuit_append_gate(r->c, kind, q, nq, p, np, r->err));
}

static tsr_status emit_opaque(reader *r, const gate_def *d, const uint32_t *q, uint32_t nq,
                              const double *p, uint32_t np) {
  if (r->ms) {
    r->ms->failed = 1;
    return TSR_OK;
  }
  TRY(check_room(r));
  return finish_emit(r, tsr_circuit_append_opaque(r->c, d->cname, q, nq, p, np, r->err));
}

static tsr_status emit_barrier(reader *r, const uint32_t *q, uint32_t nq) {
  if (r->ms) return TSR_OK;
  if (nq == 0) return TSR_OK;
  TRY(check_room(r));
  return finish_emit(r, tsr_circuit_append_barrier(r->c, q, nq, r->err));
}

/* Expands a user gate whose parameter values sit at r->vals[vbase..] and
 * whose qubits sit at r->qstack[qbase..]. Nesting depth is bounded when the
 * definitions are read, so the recursion is too. */
static tsr_status expand(reader *r, const gate_def *d, size_t vbase, size_t qbase) {
  for (uint32_t k = 0; k < d->ncalls; k++) {
    const body_call *call = &r->calls[d->first_call + k];
    size_t v0 = r->nvals, q0 = r->nq;
    TRY(GROW(r, r->vals, r->vals_cap, v0 + call->nparams));
    TRY(GROW(r, r->qstack, r->qstack_cap, q0 + call->nqubits));
    for (uint32_t i = 0; i < call->nparams; i++) {
      const expr_ref *e = &r->exprs[call->first_expr + i];
      TRY(eval_expr(r, e->start, e->count, r->vals + vbase, &r->vals[v0 + i]));
    }
    for (uint32_t j = 0; j < call->nqubits; j++) {
      r->qstack[q0 + j] = r->qstack[qbase + r->args[call->first_arg + j]];
    }
    r->nvals = v0 + call->nparams;
    r->nq = q0 + call->nqubits;
    tsr_status st = TSR_OK;
    switch (call->what) {
    case CALL_CAT:
      st = emit_gate(r, (tsr_gate)call->target, call->inv, &r->qstack[q0], call->nqubits,
                     &r->vals[v0], call->nparams);
      break;
    case CALL_DEF: {
      const gate_def *callee = &r->defs[call->target];
      if (callee->kind == DEF_OPAQUE) {
        st = emit_opaque(r, callee, &r->qstack[q0], call->nqubits, &r->vals[v0], call->nparams);
      } else {
        st = expand(r, callee, v0, q0);
      }
      break;
    }
    case CALL_BARRIER:
      st = emit_barrier(r, &r->qstack[q0], call->nqubits);
      break;
    default:
      break; /* gphase: a global phase has no effect on the circuit */
    }
    r->nvals = v0;
    r->nq = q0;
    TRY(st);
  }
  return TSR_OK;
}

/* ---------------------------------------------------------- gate lookup */

static const tsr_gate_info *catalogue_unitary(reader *r, const char *s, uint32_t n) {
  if (n == 0 || n > 63) return NULL;
  char name[64];
  memcpy(name, s, n);
  name[n] = '\0';
  tsr_gate k = tsr_gate_lookup(name);
  if (k == TSR_GATE_NONE) {
    /* stdgates.inc spells p and cp also as phase and cphase. */
    if (strcmp(name, "phase") == 0)
      k = TSR_GATE_P;
    else if (strcmp(name, "cphase") == 0)
      k = TSR_GATE_CP;
  }
  (void)r;
  const tsr_gate_info *info = tsr_gate_get(k);
  if (!info || k == TSR_GATE_NONE || k == TSR_GATE_OPAQUE || !(info->flags & TSR_GF_UNITARY)) {
    return NULL;
  }
  return info;
}

static void ref_from_kind(gate_ref *g, tsr_gate kind) {
  const tsr_gate_info *info = tsr_gate_get(kind);
  g->what = CALL_CAT;
  g->target = (uint32_t)kind;
  g->nparams = info->nparams;
  g->nqubits = info->nqubits;
  g->name = info->name;
}

/* Resolves a gate name. Returns TSR_OK with *found set to 0 when unknown. */
static void ref_from_sym(const reader *r, const sym *s, gate_ref *g) {
  if (s->sub == GATE_CAT) {
    ref_from_kind(g, (tsr_gate)s->value);
  } else {
    const gate_def *d = &r->defs[s->value];
    g->what = CALL_DEF;
    g->target = s->value;
    g->nparams = d->nparams;
    g->nqubits = d->nqubits;
    g->name = d->cname;
  }
}

static tsr_status resolve_gate(reader *r, const qasm_token *t, gate_ref *g, int *found) {
  *found = 0;
  sym *s = sym_find_tok(r, NS_GATE, t);
  if (s) {
    *found = 1;
    ref_from_sym(r, s, g);
    return TSR_OK;
  }
  const tsr_gate_info *info = NULL;
  if (tok_is(t, "U"))
    info = tsr_gate_get(TSR_GATE_U);
  else if (tok_is(t, "CX"))
    info = tsr_gate_get(TSR_GATE_CX);
  else if (r->have_lib)
    info = catalogue_unitary(r, t->start, t->len);
  if (!info) return TSR_OK;
  /* Cache the answer: later statements find it with one hash probe. */
  TRY(sym_put(r, NS_GATE, t->start, t->len, GATE_CAT, (uint32_t)info->kind));
  ref_from_kind(g, info->kind);
  *found = 1;
  return TSR_OK;
}

static tsr_status unknown_gate(reader *r, const qasm_token *t) {
  char name[96];
  tok_desc(t, name, sizeof name);
  if (!r->have_lib && catalogue_unitary(r, t->start, t->len)) {
    return err_at(r, t, "unknown gate %s (missing include \"qelib1.inc\" or \"stdgates.inc\"?)",
                  name);
  }
  return err_at(r, t, "unknown gate %s", name);
}

/* The gate `ctrl @` applied n times to kind gives, or TSR_GATE_NONE. */
static tsr_gate controlled(tsr_gate kind, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    switch (kind) {
    case TSR_GATE_X:
      kind = TSR_GATE_CX;
      break;
    case TSR_GATE_CX:
      kind = TSR_GATE_CCX;
      break;
    case TSR_GATE_CCX:
      kind = TSR_GATE_C3X;
      break;
    case TSR_GATE_C3X:
      kind = TSR_GATE_C4X;
      break;
    case TSR_GATE_Y:
      kind = TSR_GATE_CY;
      break;
    case TSR_GATE_Z:
      kind = TSR_GATE_CZ;
      break;
    case TSR_GATE_CZ:
      kind = TSR_GATE_CCZ;
      break;
    case TSR_GATE_H:
      kind = TSR_GATE_CH;
      break;
    case TSR_GATE_SX:
      kind = TSR_GATE_CSX;
      break;
    case TSR_GATE_SWAP:
      kind = TSR_GATE_CSWAP;
      break;
    case TSR_GATE_RX:
      kind = TSR_GATE_CRX;
      break;
    case TSR_GATE_RY:
      kind = TSR_GATE_CRY;
      break;
    case TSR_GATE_RZ:
      kind = TSR_GATE_CRZ;
      break;
    case TSR_GATE_P:
      kind = TSR_GATE_CP;
      break;
    case TSR_GATE_U1:
      kind = TSR_GATE_CU1;
      break;
    case TSR_GATE_U3:
    case TSR_GATE_U:
      kind = TSR_GATE_CU3;
      break;
    default:
      return TSR_GATE_NONE;
    }
  }
  return kind;
}

/* Modifiers before a gate name: `inv @`, `ctrl @`, `ctrl(n) @`. */
typedef struct modifiers {
  int inv;
  unsigned ctrl;
  qasm_token at; /* first modifier, for messages */
} modifiers;

static tsr_status parse_modifiers(reader *r, modifiers *m) {
  memset(m, 0, sizeof *m);
  m->at = r->tok;
  for (;;) {
    const kw_entry *k = r->tok.kind == QT_IDENT ? keyword_of(r, &r->tok) : NULL;
    if (!k || (k->kw != KW_INV && k->kw != KW_CTRL && k->kw != KW_NEGCTRL && k->kw != KW_POW)) {
      return TSR_OK;
    }
    if (sym_find_tok(r, NS_GATE, &r->tok)) return TSR_OK; /* a user gate of that name */
    qasm_token t = r->tok;
    if (k->kw == KW_NEGCTRL) return unsupported_at(r, &t, "the 'negctrl' modifier");
    if (k->kw == KW_POW) return unsupported_at(r, &t, "the 'pow' modifier");
    TRY(advance(r));
    unsigned n = 1;
    if (k->kw == KW_CTRL && r->tok.kind == QT_LPAREN) {
      TRY(advance(r));
      uint64_t v;
      if (r->tok.kind != QT_INT || parse_u64(r->tok.start, r->tok.len, &v) != 0 || v == 0 ||
          v > 8) {
        return err_at(r, &r->tok, "expected a control count from 1 to 8");
      }
      n = (unsigned)v;
      TRY(advance(r));
      TRY(expect(r, QT_RPAREN, "after the control count"));
    }
    TRY(expect(r, QT_AT, "after a gate modifier"));
    if (k->kw == KW_INV)
      m->inv ^= 1;
    else
      m->ctrl += n;
  }
}

/* Applies modifiers to a resolved gate. */
static tsr_status apply_modifiers(reader *r, const modifiers *m, const qasm_token *name,
                                  gate_ref *g) {
  if (!m->inv && !m->ctrl) return TSR_OK;
  if (g->what != CALL_CAT) {
    return unsupported_at(r, &m->at, "a modifier on a user-defined or opaque gate");
  }
  if (m->ctrl) {
    tsr_gate k = controlled((tsr_gate)g->target, m->ctrl);
    if (k == TSR_GATE_NONE) {
      char buf[96];
      return tsr_error_set_at(r->err, TSR_ERR_UNSUPPORTED, r->file, name->line, name->col,
                              "ctrl modifier on gate %s has no catalogue equivalent",
                              tok_desc(name, buf, sizeof buf));
    }
    ref_from_kind(g, k);
  }
  return TSR_OK;
}

/* ------------------------------------------------------------- operands */

/* A signed integer: a literal (fast path) or an integral expression. */
static tsr_status parse_int_value(reader *r, const qasm_token *t, int64_t *out) {
  if (r->tok.kind == QT_INT) {
    /* Fast path for a plain literal; anything more rewinds and evaluates. */
    qasm_lexer saved_lx = r->lx;
    qasm_token saved_tok = r->tok, saved_prev = r->prev;
    uint64_t u;
    int rc = parse_u64(r->tok.start, r->tok.len, &u);
    if (rc < 0) return err_at(r, &r->tok, "invalid integer");
    TRY(advance(r));
    if (r->tok.kind == QT_RBRACKET || r->tok.kind == QT_COLON) {
      *out = (rc > 0 || u > (uint64_t)INT64_MAX / 4) ? INT64_MAX / 4 : (int64_t)u;
      return TSR_OK;
    }
    r->lx = saved_lx;
    r->tok = saved_tok;
    r->prev = saved_prev;
  }
  double d;
  TRY(parse_value(r, &d));
  if (d != floor(d) || fabs(d) > 9e15) return err_at(r, t, "index must be an integer");
  *out = (int64_t)d;
  return TSR_OK;
}

/* Checks an index against a register; negative values count from the end
 * (OpenQASM 3). */
static tsr_status check_index(reader *r, const reg *g, const qasm_token *t, int64_t *v) {
  int64_t i = *v < 0 ? *v + (int64_t)g->size : *v;
  if (i < 0 || i >= (int64_t)g->size) {
    return err_at(r, t, "index %lld out of range for register of size %u", (long long)*v, g->size);
  }
  *v = i;
  return TSR_OK;
}

/* Parses `name`, `name[i]` or (OpenQASM 3) `name[a:b]` / `name[a:s:b]`
 * (inclusive ends). */
static tsr_status parse_operand(reader *r, int quantum, operand *o) {
  qasm_token t = r->tok;
  if (t.kind != QT_IDENT) {
    char found[96];
    return err_at(r, &t, "expected a %s operand, found %s", quantum ? "qubit" : "classical bit",
                  tok_desc(&t, found, sizeof found));
  }
  sym *s = sym_find_tok(r, quantum ? NS_QREG : NS_CREG, &t);
  if (!s) {
    char name[96];
    tok_desc(&t, name, sizeof name);
    if (sym_find_tok(r, quantum ? NS_CREG : NS_QREG, &t)) {
      return err_at(r, &t, "%s is a %s register, expected a %s one", name,
                    quantum ? "classical" : "quantum", quantum ? "quantum" : "classical");
    }
    return err_at(r, &t, "undeclared %s register %s", quantum ? "quantum" : "classical", name);
  }
  const reg *g = &r->regs[s->value];
  *o = (operand){.first = g->first,
                 .count = g->size,
                 .step = g->step,
                 .is_reg = 1,
                 .line = t.line,
                 .col = t.col,
                 .name = t.start,
                 .name_len = t.len};
  TRY(advance(r));
  if (r->tok.kind != QT_LBRACKET) return TSR_OK;
  TRY(advance(r));
  qasm_token at = r->tok;
  if (at.kind == QT_LBRACE) return unsupported_at(r, &at, "an index set");
  int64_t a;
  TRY(parse_int_value(r, &at, &a));
  TRY(check_index(r, g, &at, &a));
  if (r->tok.kind == QT_COLON) {
    TRY(advance(r));
    qasm_token bt = r->tok;
    int64_t b, step = 1;
    TRY(parse_int_value(r, &bt, &b));
    if (r->tok.kind == QT_COLON) {
      TRY(advance(r));
      step = b;
      if (step == 0) return err_at(r, &bt, "range step must not be zero");
      bt = r->tok;
      TRY(parse_int_value(r, &bt, &b));
    }
    TRY(check_index(r, g, &bt, &b));
    int64_t count = (b - a) / step + 1;
    if (b != a && (b - a < 0) != (step < 0)) count = 0;
    if (count <= 0) return err_at(r, &at, "empty range");
    o->first = (uint32_t)((int64_t)g->first + a * g->step);
    o->count = (uint32_t)count;
    o->step = (int32_t)(step * g->step);
    o->is_reg = 1;
  } else {
    o->first = (uint32_t)((int64_t)g->first + a * g->step);
    o->count = 1;
    o->is_reg = 0;
  }
  return expect(r, QT_RBRACKET, "to close the index");
}

static uint32_t element(const operand *o, uint32_t i) {
  return o->is_reg ? (uint32_t)((int64_t)o->first + (int64_t)i * o->step) : o->first;
}

/* Broadcast count of an operand list: 1 without registers, else the common
 * register size (an error when sizes differ). */
static tsr_status broadcast_count(reader *r, const operand *ops, size_t n, uint32_t *count) {
  const operand *first_reg = NULL;
  for (size_t i = 0; i < n; i++) {
    if (!ops[i].is_reg) continue;
    if (!first_reg) {
      first_reg = &ops[i];
    } else if (ops[i].count != first_reg->count) {
      return err_status_at(r, TSR_ERR_INPUT, r->file, ops[i].line, ops[i].col,
                           "register sizes differ: '%.*s' has %u elements but '%.*s' has %u",
                           (int)(ops[i].name_len > 40 ? 40 : ops[i].name_len), ops[i].name,
                           ops[i].count, (int)(first_reg->name_len > 40 ? 40 : first_reg->name_len),
                           first_reg->name, first_reg->count);
    }
  }
  *count = first_reg ? first_reg->count : 1;
  return TSR_OK;
}

/* Index of the first operand repeating an earlier one, or -1. */
/* Starts a fresh generation of the per-qubit marks (no clearing needed). */
static tsr_status new_stamp(reader *r) {
  if (r->mark_cap < r->c->nqubits) {
    uint32_t *m = tsr_calloc(r->c->nqubits, sizeof *m, r->err);
    if (!m) return TSR_ERR_NOMEM;
    free(r->mark);
    r->mark = m;
    r->mark_cap = r->c->nqubits;
    r->stamp = 0;
  }
  if (++r->stamp == 0) {
    memset(r->mark, 0, r->mark_cap * sizeof *r->mark);
    r->stamp = 1;
  }
  return TSR_OK;
}

static tsr_status find_duplicate(reader *r, const uint32_t *q, uint32_t n, int64_t *dup) {
  *dup = -1;
  if (n <= 8) {
    for (uint32_t i = 1; i < n; i++) {
      for (uint32_t j = 0; j < i; j++) {
        if (q[i] == q[j]) {
          *dup = i;
          return TSR_OK;
        }
      }
    }
    return TSR_OK;
  }
  TRY(new_stamp(r));
  for (uint32_t i = 0; i < n; i++) {
    if (r->mark[q[i]] == r->stamp) {
      *dup = i;
      return TSR_OK;
    }
    r->mark[q[i]] = r->stamp;
  }
  return TSR_OK;
}

/* ------------------------------------------------------------ statements */

static tsr_status parse_statement(reader *r, int in_block);

static void set_loc(reader *r, const qasm_token *t) {
  r->loc_file = r->file;
  r->loc_line = t->line;
  r->loc_col = t->col;
}

/* Reads `(e1, e2, ...)` at top level into r->vals from r->nvals on. */
static tsr_status parse_param_values(reader *r, uint32_t *np) {
  *np = 0;
  if (r->tok.kind != QT_LPAREN) return TSR_OK;
  TRY(advance(r));
  if (r->tok.kind == QT_RPAREN) return advance(r);
  for (;;) {
    double v;
    TRY(parse_value(r, &v));
    TRY(GROW(r, r->vals, r->vals_cap, r->nvals + *np + 1));
    r->vals[r->nvals + (*np)++] = v;
    if (r->tok.kind == QT_COMMA) {
      TRY(advance(r));
      continue;
    }
    return expect(r, QT_RPAREN, "to close the parameter list");
  }
}

static tsr_status check_signature(reader *r, const qasm_token *name, const gate_ref *g, uint32_t np,
                                  uint32_t nq) {
  char buf[96];
  if (np != g->nparams) {
    return err_at(r, name, "gate %s takes %u parameter%s, got %u", tok_desc(name, buf, sizeof buf),
                  g->nparams, g->nparams == 1 ? "" : "s", np);
  }
  if (g->nqubits ? nq != g->nqubits : nq == 0) {
    return err_at(r, name, "gate %s takes %u qubit%s, got %u", tok_desc(name, buf, sizeof buf),
                  g->nqubits, g->nqubits == 1 ? "" : "s", nq);
  }
  return TSR_OK;
}

/* Operand list up to and including ';'. */
static tsr_status parse_operand_list(reader *r, int quantum, const char *what) {
  r->nopnds = 0;
  for (;;) {
    TRY(GROW(r, r->opnds, r->opnds_cap, r->nopnds + 1));
    TRY(parse_operand(r, quantum, &r->opnds[r->nopnds]));
    r->nopnds++;
    if (r->tok.kind == QT_COMMA) {
      TRY(advance(r));
      continue;
    }
    return expect(r, QT_SEMI, what);
  }
}

/* A gate application at top level or in an if block. */
static tsr_status parse_gate_call(reader *r, const modifiers *m, const gate_ref *resolved) {
  qasm_token name = r->tok;
  gate_ref g = *resolved;
  TRY(apply_modifiers(r, m, &name, &g));
  TRY(advance(r));
  size_t vbase = r->nvals;
  uint32_t np;
  TRY(parse_param_values(r, &np));
  if (r->tok.kind == QT_SEMI) {
    return err_at(r, &r->tok, "expected a qubit operand for gate '%.*s', found ';'",
                  (int)(name.len > 40 ? 40 : name.len), name.start);
  }
  TRY(parse_operand_list(r, 1, "gate operands"));
  uint32_t nq = (uint32_t)r->nopnds;
  TRY(check_signature(r, &name, &g, np, nq));
  uint32_t count = 0;
  TRY(broadcast_count(r, r->opnds, nq, &count));
  set_loc(r, &name);
  uint64_t per = 1;
  const gate_def *d = NULL;
  if (g.what == CALL_DEF) {
    d = &r->defs[g.target];
    if (d->kind == DEF_USER) per = d->expanded;
  }
  if (per && (uint64_t)count > (r->max_ops - r->c->nops) / per) {
    return err_status_at(r, TSR_ERR_LIMIT, r->file, name.line, name.col,
                         "gate '%.*s' would expand past the limit of %llu operations",
                         (int)(name.len > 40 ? 40 : name.len), name.start,
                         (unsigned long long)r->max_ops);
  }
  r->nvals = vbase + np;
  TRY(GROW(r, r->qstack, r->qstack_cap, r->nq + nq));
  size_t qbase = r->nq;
  r->nq += nq;
  tsr_status st = TSR_OK;
  for (uint32_t i = 0; i < count && st == TSR_OK; i++) {
    uint32_t *q = &r->qstack[qbase];
    for (uint32_t k = 0; k < nq; k++) q[k] = element(&r->opnds[k], i);
    int64_t dup;
    st = find_duplicate(r, q, nq, &dup);
    if (st != TSR_OK) break;
    if (dup >= 0) {
      const operand *o = &r->opnds[dup];
      if (r->strict_operands) {
        st = err_status_at(r, TSR_ERR_INPUT, r->file, o->line, o->col,
                           "qubit used twice in one gate ('%.*s' repeats an earlier operand)",
                           (int)(o->name_len > 40 ? 40 : o->name_len), o->name);
        break;
      }
      /* No meaning to keep: drop it, say so, read on (QASMBench has these). */
      tsr_log(TSR_LOG_WARN, "%s:%d:%d: gate '%.*s' applied to qubit %u twice: dropped",
              r->file ? r->file : "<input>", o->line, o->col, (int)(name.len > 40 ? 40 : name.len),
              name.start, q[dup]);
      continue;
    }
    if (g.what == CALL_CAT) {
      st = emit_gate(r, (tsr_gate)g.target, m->inv, q, nq, &r->vals[vbase], np);
    } else if (d->kind == DEF_OPAQUE) {
      st = emit_opaque(r, d, q, nq, &r->vals[vbase], np);
    } else {
      st = expand(r, d, vbase, qbase);
      if (st == TSR_ERR_INPUT && (r->err->line != name.line || r->err->col != name.col)) {
        /* The error points into the definition: say which call led there. */
        size_t used = strlen(r->err->message);
        snprintf(r->err->message + used, sizeof r->err->message - used,
                 " (expanding '%s' called at line %d)", d->cname, name.line);
      }
    }
  }
  r->nq = qbase;
  r->nvals = vbase;
  return st;
}

static tsr_status emit_measure_pairs(reader *r, const operand *q, const operand *c) {
  if (q->is_reg != c->is_reg || q->count != c->count) {
    if (!(q->count == 1 && c->count == 1)) {
      return err_status_at(r, TSR_ERR_INPUT, r->file, c->line, c->col,
                           "measure: %u qubit%s but %u classical bit%s", q->count,
                           q->count == 1 ? "" : "s", c->count, c->count == 1 ? "" : "s");
    }
  }
  for (uint32_t i = 0; i < q->count; i++) {
    TRY(check_room(r));
    TRY(finish_emit(r, tsr_circuit_append_measure(r->c, element(q, i), element(c, i), r->err)));
  }
  return TSR_OK;
}

/* measure q -> c; */
static tsr_status parse_measure(reader *r) {
  qasm_token kw = r->tok;
  TRY(advance(r));
  operand q, c;
  TRY(parse_operand(r, 1, &q));
  if (r->tok.kind != QT_ARROW) {
    if (r->tok.kind == QT_SEMI) {
      return unsupported_at(r, &kw, "a measurement without a target bit");
    }
    return err_expected(r, QT_ARROW, "after the measured qubits");
  }
  TRY(advance(r));
  TRY(parse_operand(r, 0, &c));
  TRY(expect(r, QT_SEMI, "measure"));
  set_loc(r, &kw);
  return emit_measure_pairs(r, &q, &c);
}

/* OpenQASM 3: c = measure q;  c[0] = measure q[0]; */
static tsr_status parse_assign_measure(reader *r) {
  operand c, q;
  qasm_token at = r->tok;
  TRY(parse_operand(r, 0, &c));
  TRY(expect(r, QT_ASSIGN, "in the assignment"));
  if (!tok_is(&r->tok, "measure")) {
    return unsupported_at(r, &at, "classical assignment other than '= measure'");
  }
  qasm_token kw = r->tok;
  TRY(advance(r));
  TRY(parse_operand(r, 1, &q));
  TRY(expect(r, QT_SEMI, "measure"));
  set_loc(r, &kw);
  return emit_measure_pairs(r, &q, &c);
}

static tsr_status parse_reset(reader *r) {
  qasm_token kw = r->tok;
  TRY(advance(r));
  TRY(parse_operand_list(r, 1, "reset"));
  set_loc(r, &kw);
  for (size_t k = 0; k < r->nopnds; k++) {
    const operand *o = &r->opnds[k];
    for (uint32_t i = 0; i < o->count; i++) {
      TRY(check_room(r));
      TRY(finish_emit(r, tsr_circuit_append_reset(r->c, element(o, i), r->err)));
    }
  }
  return TSR_OK;
}

/* barrier a, b[0], ...;  (OpenQASM 3: `barrier;` covers every qubit) */
static tsr_status parse_barrier(reader *r) {
  qasm_token kw = r->tok;
  TRY(advance(r));
  size_t n = 0;
  if (r->tok.kind == QT_SEMI) {
    TRY(advance(r));
    TRY(GROW(r, r->qbuf, r->qbuf_cap, r->c->nqubits));
    for (uint32_t i = 0; i < r->c->nqubits; i++) r->qbuf[n++] = i;
  } else {
    TRY(parse_operand_list(r, 1, "barrier"));
    size_t total = 0;
    for (size_t k = 0; k < r->nopnds; k++) total += r->opnds[k].count;
    TRY(GROW(r, r->qbuf, r->qbuf_cap, total));
    for (size_t k = 0; k < r->nopnds; k++) {
      for (uint32_t i = 0; i < r->opnds[k].count; i++) r->qbuf[n++] = element(&r->opnds[k], i);
    }
    /* Repeated qubits in a barrier are harmless: keep the first of each. */
    TRY(new_stamp(r));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
      if (r->mark[r->qbuf[i]] == r->stamp) continue;
      r->mark[r->qbuf[i]] = r->stamp;
      r->qbuf[m++] = r->qbuf[i];
    }
    n = m;
  }
  set_loc(r, &kw);
  return emit_barrier(r, r->qbuf, (uint32_t)n);
}

/* gphase(theta) [qubits];  A global phase changes nothing observable. */
static tsr_status parse_gphase(reader *r) {
  TRY(advance(r));
  uint32_t np;
  size_t vbase = r->nvals;
  TRY(parse_param_values(r, &np));
  r->nvals = vbase;
  if (r->tok.kind == QT_SEMI) return advance(r);
  return parse_operand_list(r, 1, "gphase");
}

/* Register size: an integer literal or an integral constant. */
static tsr_status parse_size(reader *r, uint32_t limit, const char *what, uint32_t *size) {
  qasm_token t = r->tok;
  uint64_t v;
  if (t.kind == QT_INT) {
    int rc = parse_u64(t.start, t.len, &v);
    if (rc < 0) return err_at(r, &t, "invalid register size");
    if (rc > 0) v = UINT64_MAX;
    TRY(advance(r));
  } else {
    double d;
    TRY(parse_value(r, &d));
    if (d != floor(d) || d < 0) return err_at(r, &t, "register size must be a whole number");
    v = d > 1e18 ? UINT64_MAX : (uint64_t)d;
  }
  if (v == 0) return err_at(r, &t, "register size must be at least 1");
  if (v > limit) {
    return err_status_at(r, TSR_ERR_LIMIT, r->file, t.line, t.col,
                         "%s register of size %llu exceeds the limit of %u", what,
                         (unsigned long long)v, limit);
  }
  *size = (uint32_t)v;
  return TSR_OK;
}

static tsr_status declare_register(reader *r, int quantum, const qasm_token *name, uint32_t size) {
  uint8_t ns = quantum ? NS_QREG : NS_CREG;
  sym *prev = sym_find_tok(r, ns, name);
  char buf[96];
  tok_desc(name, buf, sizeof buf);
  if (prev) {
    return err_at(r, name, "register %s is already declared (line %d)", buf,
                  r->regs[prev->value].line);
  }
  uint32_t total = quantum ? r->c->nqubits : r->c->nclbits;
  if (size > r->max_qubits - total) {
    return err_status_at(r, TSR_ERR_LIMIT, r->file, name->line, name->col,
                         "register %s takes the circuit past the limit of %u %s", buf,
                         r->max_qubits, quantum ? "qubits" : "classical bits");
  }
  const char *cname = cstr(r, name->start, name->len);
  if (!cname) return TSR_ERR_NOMEM;
  uint32_t index;
  tsr_status st = quantum ? tsr_circuit_add_qreg(r->c, cname, size, &index, r->err)
                          : tsr_circuit_add_creg(r->c, cname, size, &index, r->err);
  if (st != TSR_OK) {
    set_loc(r, name);
    relocate(r, st);
    return r->err->status;
  }
  const tsr_register *cr = quantum ? &r->c->qregs[index] : &r->c->cregs[index];
  TRY(GROW(r, r->regs, r->regs_cap, r->nregs + 1));
  r->regs[r->nregs] = (reg){.first = cr->first,
                            .size = size,
                            .step = 1,
                            .circuit_index = (int32_t)index,
                            .line = name->line};
  TRY(sym_put(r, ns, name->start, name->len, 0, (uint32_t)r->nregs));
  r->nregs++;
  return TSR_OK;
}

static tsr_status expect_ident(reader *r, const char *what) {
  if (r->tok.kind == QT_IDENT) return TSR_OK;
  char found[96];
  return err_at(r, &r->tok, "expected %s, found %s", what, tok_desc(&r->tok, found, sizeof found));
}

/* qreg name[size];  creg name[size]; */
static tsr_status parse_old_register(reader *r, int quantum) {
  TRY(advance(r));
  TRY(expect_ident(r, "a register name"));
  qasm_token name = r->tok;
  TRY(advance(r));
  TRY(expect(r, QT_LBRACKET, "after the register name"));
  uint32_t size;
  TRY(parse_size(r, r->max_qubits, quantum ? "quantum" : "classical", &size));
  TRY(expect(r, QT_RBRACKET, "after the register size"));
  TRY(expect(r, QT_SEMI, "register declaration"));
  return declare_register(r, quantum, &name, size);
}

/* qubit[size] name;  qubit name;  bit[size] name;  bit name; */
static tsr_status parse_new_register(reader *r, int quantum) {
  TRY(advance(r));
  uint32_t size = 1;
  if (r->tok.kind == QT_LBRACKET) {
    TRY(advance(r));
    TRY(parse_size(r, r->max_qubits, quantum ? "quantum" : "classical", &size));
    TRY(expect(r, QT_RBRACKET, "after the register size"));
  }
  TRY(expect_ident(r, "a register name"));
  qasm_token name = r->tok;
  TRY(advance(r));
  if (r->tok.kind == QT_ASSIGN) return unsupported_at(r, &r->tok, "a register initialiser");
  TRY(expect(r, QT_SEMI, "register declaration"));
  return declare_register(r, quantum, &name, size);
}

/* const float[64] x = expr;  (also without const, and int/uint/angle) */
static tsr_status parse_constant(reader *r) {
  if (tok_is(&r->tok, "const")) TRY(advance(r));
  const kw_entry *k = r->tok.kind == QT_IDENT ? keyword_of(r, &r->tok) : NULL;
  if (!k || (k->kw != KW_FLOAT && k->kw != KW_ANGLE && k->kw != KW_INT && k->kw != KW_UINT)) {
    return unsupported_at(r, &r->tok, "this constant type");
  }
  int integral = k->kw == KW_INT || k->kw == KW_UINT;
  TRY(advance(r));
  if (r->tok.kind == QT_LBRACKET) {
    TRY(advance(r));
    if (r->tok.kind != QT_INT) return err_at(r, &r->tok, "expected a type width");
    TRY(advance(r));
    TRY(expect(r, QT_RBRACKET, "after the type width"));
  }
  TRY(expect_ident(r, "a constant name"));
  qasm_token name = r->tok;
  TRY(advance(r));
  if (r->tok.kind != QT_ASSIGN) return unsupported_at(r, &name, "a variable without a value");
  TRY(advance(r));
  double v;
  TRY(parse_value(r, &v));
  if (integral) v = trunc(v);
  TRY(expect(r, QT_SEMI, "constant declaration"));
  sym *prev = sym_find_tok(r, NS_CONST, &name);
  if (prev) {
    char buf[96];
    return err_at(r, &name, "constant %s is already declared", tok_desc(&name, buf, sizeof buf));
  }
  TRY(GROW(r, r->consts, r->consts_cap, r->nconsts + 1));
  r->consts[r->nconsts] = v;
  TRY(sym_put(r, NS_CONST, name.start, name.len, 0, (uint32_t)r->nconsts));
  r->nconsts++;
  return TSR_OK;
}

/* let name = reg;  let name = reg[i];  let name = reg[a:b]; */
static tsr_status parse_let(reader *r) {
  TRY(advance(r));
  TRY(expect_ident(r, "an alias name"));
  qasm_token name = r->tok;
  TRY(advance(r));
  TRY(expect(r, QT_ASSIGN, "in the alias"));
  TRY(expect_ident(r, "a register"));
  int quantum = sym_find_tok(r, NS_QREG, &r->tok) != NULL;
  operand o;
  TRY(parse_operand(r, quantum, &o));
  if (r->tok.kind == QT_PLUS) return unsupported_at(r, &r->tok, "register concatenation");
  TRY(expect(r, QT_SEMI, "alias"));
  uint8_t ns = quantum ? NS_QREG : NS_CREG;
  if (sym_find_tok(r, ns, &name)) {
    char buf[96];
    return err_at(r, &name, "register %s is already declared", tok_desc(&name, buf, sizeof buf));
  }
  int32_t ci = -1;
  if (!quantum && o.is_reg && o.step == 1) {
    for (uint32_t i = 0; i < r->c->ncregs; i++) {
      if (r->c->cregs[i].first == o.first && r->c->cregs[i].size == o.count) ci = (int32_t)i;
    }
  }
  TRY(GROW(r, r->regs, r->regs_cap, r->nregs + 1));
  r->regs[r->nregs] = (reg){.first = o.first,
                            .size = o.count,
                            .step = o.is_reg ? o.step : 1,
                            .circuit_index = ci,
                            .line = name.line};
  TRY(sym_put(r, ns, name.start, name.len, 0, (uint32_t)r->nregs));
  r->nregs++;
  return TSR_OK;
}

/* ------------------------------------------------------------ conditions */

/* Parses an integer literal of any length into r->cond_val (64-bit words,
 * least significant first). */
static tsr_status parse_bigint(reader *r, const qasm_token *t) {
  const char *s = t->start;
  uint32_t n = t->len, i = 0;
  unsigned base = literal_base(s, n), chunk = 9, bits_per_digit = 4;
  uint32_t mul_full = 1000000000u;
  if (base == 16) {
    chunk = 7, mul_full = 1u << 28, i = 2;
  } else if (base == 8) {
    chunk = 9, mul_full = 1u << 27, i = 2, bits_per_digit = 3;
  } else if (base == 2) {
    chunk = 29, mul_full = 1u << 29, i = 2, bits_per_digit = 1;
  }
  if (n - i > MAX_LITERAL_DIGITS) {
    return err_at(r, t, "integer literal is too long (more than %d digits)", MAX_LITERAL_DIGITS);
  }
  size_t max_limbs = ((size_t)(n - i) * bits_per_digit) / 32 + 2;
  TRY(GROW(r, r->limbs, r->limbs_cap, max_limbs));
  size_t nl = 0;
  uint32_t cv = 0, cm = 0, mul = 1;
  for (;; i++) {
    int end = i >= n;
    if (!end && s[i] == '_') continue;
    if (!end) {
      unsigned d = digit_value(s[i]);
      if (d >= base) return err_at(r, t, "invalid digit in integer literal");
      cv = cv * base + d;
      mul *= base;
      cm++;
    }
    if (cm == chunk || (end && cm > 0)) {
      uint64_t carry = cv;
      for (size_t k = 0; k < nl; k++) {
        uint64_t x = (uint64_t)r->limbs[k] * mul + carry;
        r->limbs[k] = (uint32_t)x;
        carry = x >> 32;
      }
      if (carry) r->limbs[nl++] = (uint32_t)carry;
      cv = 0, cm = 0, mul = 1;
    }
    if (end) break;
  }
  (void)mul_full;
  uint32_t nwords = (uint32_t)((nl + 1) / 2);
  if (nwords == 0) nwords = 1;
  TRY(GROW(r, r->cond_val, r->cond_cap, nwords));
  for (uint32_t w = 0; w < nwords; w++) {
    uint64_t lo = 2 * w < nl ? r->limbs[2 * w] : 0;
    uint64_t hi = 2 * w + 1 < nl ? r->limbs[2 * w + 1] : 0;
    r->cond_val[w] = lo | hi << 32;
  }
  r->cond_nwords = nwords;
  return TSR_OK;
}

static uint32_t bit_length(const uint64_t *v, uint32_t nwords) {
  for (uint32_t w = nwords; w-- > 0;) {
    if (v[w]) {
      uint32_t b = 64;
      while (!(v[w] >> (b - 1))) b--;
      return w * 64 + b;
    }
  }
  return 0;
}

static tsr_status set_cond_small(reader *r, uint64_t v) {
  TRY(GROW(r, r->cond_val, r->cond_cap, 1));
  r->cond_val[0] = v;
  r->cond_nwords = 1;
  return TSR_OK;
}

/* The register behind an operand naming a whole circuit register, or -1. */
static int32_t operand_creg(reader *r, const operand *o) {
  sym *s = sym_find(r, NS_CREG, o->name, o->name_len);
  if (!s || !o->is_reg) return -1;
  const reg *g = &r->regs[s->value];
  if (g->first != o->first || g->size != o->count) return -1;
  return g->circuit_index;
}

/* (c == n), (c[i] == b), (c[i]), (!c[i]) — the '(' is already read. */
static tsr_status parse_condition(reader *r) {
  int negate = 0;
  if (r->tok.kind == QT_BANG) {
    negate = 1;
    TRY(advance(r));
  }
  qasm_token ct = r->tok;
  operand c;
  TRY(parse_operand(r, 0, &c));
  int explicit_value = 0, not_equal = 0;
  qasm_token vt = r->tok;
  if (r->tok.kind == QT_EQEQ || r->tok.kind == QT_NEQ) {
    if (negate) return err_at(r, &r->tok, "'!' cannot be combined with a comparison");
    not_equal = r->tok.kind == QT_NEQ;
    TRY(advance(r));
    vt = r->tok;
    if (vt.kind == QT_INT) {
      TRY(parse_bigint(r, &vt));
    } else if (tok_is(&vt, "true") || tok_is(&vt, "false")) {
      TRY(set_cond_small(r, tok_is(&vt, "true")));
    } else {
      char found[96];
      return err_at(r, &vt, "expected an integer to compare with, found %s",
                    tok_desc(&vt, found, sizeof found));
    }
    TRY(advance(r));
    explicit_value = 1;
  } else {
    TRY(set_cond_small(r, negate ? 0 : 1));
  }
  TRY(expect(r, QT_RPAREN, "to close the condition"));
  if (!c.is_reg || c.count == 1) {
    int32_t creg = c.is_reg ? operand_creg(r, &c) : -1;
    uint32_t bits = bit_length(r->cond_val, r->cond_nwords);
    if (bits > 1) {
      return err_at(r, &vt, "a single bit can only be compared with 0 or 1");
    }
    if (not_equal) r->cond_val[0] ^= 1;
    r->cond_creg = creg;
    r->cond_bit = c.first;
    return TSR_OK;
  }
  if (not_equal) return unsupported_at(r, &ct, "'!=' on a register");
  if (!explicit_value) return unsupported_at(r, &ct, "a whole register used as a boolean");
  int32_t creg = operand_creg(r, &c);
  if (creg < 0) return unsupported_at(r, &ct, "a condition on part of a register");
  uint32_t bits = bit_length(r->cond_val, r->cond_nwords);
  if (bits > c.count) {
    return err_at(r, &vt, "value needs %u bits but register '%.*s' has %u", bits,
                  (int)(c.name_len > 40 ? 40 : c.name_len), c.name, c.count);
  }
  r->cond_creg = creg;
  r->cond_bit = 0;
  return TSR_OK;
}

/* One statement or a { block } under a condition. */
static tsr_status parse_branch(reader *r) {
  if (r->tok.kind != QT_LBRACE) {
    if (r->tok.kind == QT_EOF) return err_expected(r, QT_SEMI, "condition");
    return parse_statement(r, 1);
  }
  qasm_token open = r->tok;
  TRY(advance(r));
  while (r->tok.kind != QT_RBRACE) {
    if (r->tok.kind == QT_EOF) return err_at(r, &open, "unterminated block: '{' is never closed");
    TRY(parse_statement(r, 1));
  }
  return advance(r);
}

static tsr_status parse_if(reader *r) {
  qasm_token kw = r->tok;
  if (r->cond_on) return unsupported_at(r, &kw, "a nested 'if'");
  TRY(advance(r));
  TRY(expect(r, QT_LPAREN, "after 'if'"));
  TRY(parse_condition(r));
  r->cond_on = 1;
  tsr_status st = parse_branch(r);
  if (st == TSR_OK && tok_is(&r->tok, "else")) {
    qasm_token et = r->tok;
    if (r->cond_creg >= 0 && !(r->c->cregs[r->cond_creg].size == 1)) {
      st = unsupported_at(r, &et, "'else' after a condition on a register");
    } else {
      r->cond_val[0] ^= 1;
      st = advance(r);
      if (st == TSR_OK && tok_is(&r->tok, "if")) st = unsupported_at(r, &r->tok, "'else if'");
      if (st == TSR_OK) st = parse_branch(r);
    }
  }
  r->cond_on = 0;
  return st;
}

/* ------------------------------------------------------ gate definitions */

static int find_formal(const qasm_token *f, uint32_t from, uint32_t to, const qasm_token *t) {
  for (uint32_t i = from; i < to; i++) {
    if (f[i].len == t->len && memcmp(f[i].start, t->start, t->len) == 0) return (int)i;
  }
  return -1;
}

static uint64_t sat_add(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* One statement of a gate body, appended to r->calls. */
static tsr_status parse_body_statement(reader *r, uint32_t nparams, uint32_t nformals,
                                       uint64_t *expanded, uint32_t *depth) {
  qasm_token t = r->tok;
  if (t.kind == QT_SEMI || t.kind == QT_HASH_PRAGMA) return advance(r);
  if (t.kind != QT_IDENT) {
    char found[96];
    return err_at(r, &t, "expected a gate call in the gate body, found %s",
                  tok_desc(&t, found, sizeof found));
  }
  body_call call = {0};
  modifiers m = {0};
  gate_ref g = {0};
  const kw_entry *k = sym_find_tok(r, NS_GATE, &t) ? NULL : keyword_of(r, &t);
  if (k && (k->kw == KW_INV || k->kw == KW_CTRL || k->kw == KW_NEGCTRL || k->kw == KW_POW)) {
    TRY(parse_modifiers(r, &m));
    t = r->tok;
    TRY(expect_ident(r, "a gate name"));
    k = NULL;
  }
  if (k && k->kw == KW_BARRIER) {
    call.what = CALL_BARRIER;
  } else if (k && k->kw == KW_GPHASE) {
    call.what = CALL_GPHASE;
  } else if (k) {
    return err_at(r, &t, "'%.*s' is not allowed in a gate body", (int)t.len, t.start);
  } else {
    int found;
    TRY(resolve_gate(r, &t, &g, &found));
    if (!found) return unknown_gate(r, &t);
    TRY(apply_modifiers(r, &m, &t, &g));
    call.what = g.what;
    call.target = g.target;
    call.inv = (uint8_t)m.inv;
  }
  TRY(advance(r));
  call.first_expr = (uint32_t)r->nexprs;
  if (r->tok.kind == QT_LPAREN) {
    TRY(advance(r));
    if (r->tok.kind == QT_RPAREN) {
      TRY(advance(r));
    } else {
      for (;;) {
        expr_ref e;
        TRY(compile_expr(r, &e.start, &e.count));
        TRY(GROW(r, r->exprs, r->exprs_cap, r->nexprs + 1));
        r->exprs[r->nexprs++] = e;
        if (r->tok.kind == QT_COMMA) {
          TRY(advance(r));
          continue;
        }
        TRY(expect(r, QT_RPAREN, "to close the parameter list"));
        break;
      }
    }
  }
  call.nparams = (uint32_t)(r->nexprs - call.first_expr);
  call.first_arg = (uint32_t)r->nargs;
  int dropped = 0;
  if (r->tok.kind != QT_SEMI || call.what == CALL_CAT || call.what == CALL_DEF) {
    for (;;) {
      qasm_token a = r->tok;
      TRY(expect_ident(r, "a qubit argument"));
      int idx = find_formal(r->formals, nparams, nformals, &a);
      if (idx < 0) {
        char buf[96];
        return err_at(r, &a, "unknown qubit argument %s in gate body",
                      tok_desc(&a, buf, sizeof buf));
      }
      uint32_t q = (uint32_t)idx - nparams;
      for (size_t j = call.first_arg; j < r->nargs; j++) {
        if (r->args[j] == q && r->strict_operands) {
          return err_at(r, &a, "qubit argument '%.*s' used twice in one gate", (int)a.len, a.start);
        }
        if (r->args[j] == q && !dropped) {
          tsr_log(TSR_LOG_WARN, "%s:%d:%d: gate applied to argument '%.*s' twice: dropped",
                  r->file ? r->file : "<input>", a.line, a.col, (int)a.len, a.start);
          dropped = 1;
        }
      }
      TRY(GROW(r, r->args, r->args_cap, r->nargs + 1));
      r->args[r->nargs++] = q;
      TRY(advance(r));
      if (r->tok.kind == QT_LBRACKET) {
        return err_at(r, &r->tok, "gate body operands must be qubit arguments, not indexed");
      }
      if (r->tok.kind != QT_COMMA) break;
      TRY(advance(r));
    }
  }
  TRY(expect(r, QT_SEMI, "gate call"));
  call.nqubits = (uint32_t)(r->nargs - call.first_arg);
  if (dropped) {
    TRY(check_signature(r, &t, &g, call.nparams, call.nqubits));
    r->nargs = call.first_arg;
    r->nexprs = call.first_expr;
    return TSR_OK;
  }
  switch (call.what) {
  case CALL_CAT:
  case CALL_DEF:
    TRY(check_signature(r, &t, &g, call.nparams, call.nqubits));
    if (call.what == CALL_DEF && r->defs[call.target].kind == DEF_USER) {
      const gate_def *callee = &r->defs[call.target];
      *expanded = sat_add(*expanded, callee->expanded);
      if (callee->depth + 1 > *depth) *depth = callee->depth + 1;
    } else {
      *expanded = sat_add(*expanded, 1);
    }
    break;
  case CALL_BARRIER:
    *expanded = sat_add(*expanded, 1);
    break;
  default:
    break;
  }
  TRY(GROW(r, r->calls, r->calls_cap, r->ncalls + 1));
  r->calls[r->ncalls++] = call;
  return TSR_OK;
}

/* Whether a equals phase * b for one phase of modulus 1. */
static int equal_up_to_phase(const double complex *a, const double complex *b, size_t n) {
  size_t big = 0;
  for (size_t i = 1; i < n; i++) {
    if (cabs(b[i]) > cabs(b[big])) big = i;
  }
  if (cabs(b[big]) < 1e-12) return 0;
  double complex phase = a[big] / b[big];
  if (fabs(cabs(phase) - 1.0) > 1e-9) return 0;
  for (size_t i = 0; i < n; i++) {
    if (cabs(a[i] - phase * b[i]) > 1e-9) return 0;
  }
  return 1;
}

/* Whether definition d computes the catalogue gate `kind` (up to a global
 * phase), checked on two sets of test parameters. Wide definitions of a
 * variadic gate (gr) are checked qubit by qubit. */
static int recognise(reader *r, const gate_def *d, tsr_gate kind) {
  static const double test[2][4] = {{0.7136, -1.3371, 2.1093, 0.4242}, {1.9, 0.37, -2.45, 1.1}};
  int per_qubit = d->nqubits > RECOGNISE_MAX_QUBITS;
  if (d->expanded > RECOGNISE_MAX_OPS || d->nparams > 4) return 0;
  if (per_qubit && (tsr_gate_get(kind)->nqubits != 0 || d->expanded != d->nqubits)) return 0;
  size_t dim = (size_t)1 << (per_qubit ? 1 : d->nqubits);
  size_t nu = per_qubit ? 4 * (size_t)d->nqubits : dim * dim;
  double complex small[1 << (2 * RECOGNISE_MAX_QUBITS)], cat[1 << (2 * RECOGNISE_MAX_QUBITS)];
  double complex *u = small;
  tsr_error scratch, *saved = r->err;
  if (per_qubit) {
    u = tsr_malloc(nu * sizeof *u, &scratch);
    if (!u) return 0;
  }
  int same = 1;
  for (int set = 0; set < 2 && same; set++) {
    for (size_t i = 0; i < nu; i++) u[i] = (i % (dim * dim)) / dim == i % dim ? 1.0 : 0.0;
    msink ms = {.n = d->nqubits, .u = u, .per_qubit = per_qubit, .failed = 0};
    size_t vbase = r->nvals, qbase = r->nq;
    r->err = &scratch;
    tsr_status st = GROW(r, r->vals, r->vals_cap, vbase + d->nparams);
    if (st == TSR_OK) st = GROW(r, r->qstack, r->qstack_cap, qbase + d->nqubits);
    if (st == TSR_OK) {
      for (uint32_t i = 0; i < d->nparams; i++) r->vals[vbase + i] = test[set][i];
      for (uint32_t i = 0; i < d->nqubits; i++) r->qstack[qbase + i] = i;
      r->nvals = vbase + d->nparams;
      r->nq = qbase + d->nqubits;
      r->ms = &ms;
      st = expand(r, d, vbase, qbase);
      r->ms = NULL;
      r->nvals = vbase;
      r->nq = qbase;
    }
    if (st == TSR_OK && !ms.failed) {
      st = tsr_gate_matrix(kind, test[set], per_qubit ? 1 : d->nqubits, cat, &scratch);
    }
    r->err = saved;
    if (st != TSR_OK || ms.failed) {
      same = 0;
      break;
    }
    if (per_qubit) {
      for (uint32_t q = 0; q < d->nqubits && same; q++) {
        same = equal_up_to_phase(&u[4 * (size_t)q], cat, 4);
      }
    } else {
      same = equal_up_to_phase(u, cat, dim * dim);
    }
  }
  if (u != small) free(u);
  return same;
}

/* gate name(params) qargs { body }   and   opaque name(params) qargs; */
static tsr_status parse_gate_def(reader *r, int opaque) {
  TRY(advance(r));
  TRY(expect_ident(r, "a gate name"));
  qasm_token name = r->tok;
  char buf[96];
  tok_desc(&name, buf, sizeof buf);
  const kw_entry *k = keyword_of(r, &name);
  if ((k && k->reserved) || tok_is(&name, "U") || tok_is(&name, "CX")) {
    return err_at(r, &name, "%s is built in and cannot be redefined", buf);
  }
  sym *prev = sym_find_tok(r, NS_GATE, &name);
  if (prev && prev->sub == GATE_DEF) {
    return err_at(r, &name, "gate %s is already defined (line %d)", buf, r->defs[prev->value].line);
  }
  /* A definition recognised as a catalogue gate is still a definition. */
  sym *defined = sym_find_tok(r, NS_DEFINED, &name);
  if (defined) {
    return err_at(r, &name, "gate %s is already defined (line %d)", buf,
                  r->defs[defined->value].line);
  }
  TRY(advance(r));
  r->nformals = 0;
  if (r->tok.kind == QT_LPAREN) {
    TRY(advance(r));
    while (r->tok.kind != QT_RPAREN) {
      TRY(expect_ident(r, "a parameter name"));
      if (find_formal(r->formals, 0, (uint32_t)r->nformals, &r->tok) >= 0) {
        return err_at(r, &r->tok, "parameter '%.*s' is declared twice", (int)r->tok.len,
                      r->tok.start);
      }
      TRY(GROW(r, r->formals, r->formals_cap, r->nformals + 1));
      r->formals[r->nformals++] = r->tok;
      TRY(advance(r));
      if (r->tok.kind == QT_COMMA) {
        TRY(advance(r));
        continue;
      }
      if (r->tok.kind != QT_RPAREN) return err_expected(r, QT_RPAREN, "to close the parameters");
    }
    TRY(advance(r));
  }
  uint32_t nparams = (uint32_t)r->nformals;
  for (;;) {
    TRY(expect_ident(r, "a qubit argument name"));
    if (find_formal(r->formals, 0, (uint32_t)r->nformals, &r->tok) >= 0) {
      return err_at(r, &r->tok, "argument '%.*s' is declared twice", (int)r->tok.len, r->tok.start);
    }
    TRY(GROW(r, r->formals, r->formals_cap, r->nformals + 1));
    r->formals[r->nformals++] = r->tok;
    TRY(advance(r));
    if (r->tok.kind != QT_COMMA) break;
    TRY(advance(r));
  }
  uint32_t nformals = (uint32_t)r->nformals;
  gate_def d = {.kind = opaque ? DEF_OPAQUE : DEF_USER,
                .nparams = nparams,
                .nqubits = nformals - nparams,
                .first_call = (uint32_t)r->ncalls,
                .expanded = 0,
                .depth = 1,
                .line = name.line};
  if (opaque) {
    TRY(expect(r, QT_SEMI, "opaque declaration"));
    d.expanded = 1;
  } else {
    if (r->tok.kind != QT_LBRACE) return err_expected(r, QT_LBRACE, "to open the gate body");
    qasm_token open = r->tok;
    TRY(advance(r));
    r->formal_params = r->formals;
    r->nformal_params = nparams;
    tsr_status st = TSR_OK;
    while (st == TSR_OK && r->tok.kind != QT_RBRACE) {
      if (r->tok.kind == QT_EOF) {
        st = err_at(r, &open, "unterminated gate body: '{' is never closed");
      } else {
        st = parse_body_statement(r, nparams, nformals, &d.expanded, &d.depth);
      }
    }
    r->formal_params = NULL;
    r->nformal_params = 0;
    TRY(st);
    TRY(advance(r));
    d.ncalls = (uint32_t)(r->ncalls - d.first_call);
    if (d.depth > MAX_GATE_DEPTH) {
      return err_at(r, &name, "gate definitions nested too deeply (more than %d levels)",
                    MAX_GATE_DEPTH);
    }
  }
  const tsr_gate_info *info = catalogue_unitary(r, name.start, name.len);
  int same_signature = info && info->nparams == d.nparams &&
                       (info->nqubits == d.nqubits || (info->nqubits == 0 && d.nqubits > 0));
  TRY(GROW(r, r->defs, r->defs_cap, r->ndefs + 1));
  d.cname = tsr_malloc((size_t)name.len + 1, r->err);
  if (!d.cname) return TSR_ERR_NOMEM;
  memcpy(d.cname, name.start, name.len);
  d.cname[name.len] = '\0';
  uint32_t index = (uint32_t)r->ndefs;
  r->defs[r->ndefs++] = d;
  TRY(sym_put(r, NS_DEFINED, name.start, name.len, 0, index));
  /* An opaque declaration or a faithful definition of a catalogue gate is
   * that gate: keep its kind rather than an opaque box or an expansion. */
  if (same_signature && (opaque || recognise(r, &r->defs[index], info->kind))) {
    return sym_put(r, NS_GATE, name.start, name.len, GATE_CAT, (uint32_t)info->kind);
  }
  return sym_put(r, NS_GATE, name.start, name.len, GATE_DEF, index);
}

/* ------------------------------------------------------ file structure */

static tsr_status parse_header(reader *r) {
  qasm_token kw = r->tok;
  if (!r->first_stmt) {
    return err_at(r, &kw, "'OPENQASM' header must be the first statement of the file");
  }
  TRY(advance(r));
  qasm_token v = r->tok;
  if (v.kind != QT_INT && v.kind != QT_REAL) {
    char found[96];
    return err_at(r, &v, "expected a version number after 'OPENQASM', found %s",
                  tok_desc(&v, found, sizeof found));
  }
  int major = 0;
  for (uint32_t i = 0; i < v.len && v.start[i] >= '0' && v.start[i] <= '9' && major < 1000; i++) {
    major = major * 10 + (v.start[i] - '0');
  }
  if (major != 2 && major != 3) {
    return err_at(r, &v, "unsupported OpenQASM version %.*s (expected 2.0 or 3)",
                  (int)(v.len > 20 ? 20 : v.len), v.start);
  }
  if (r->main_file) r->version = major;
  r->first_stmt = 0;
  TRY(advance(r));
  return expect(r, QT_SEMI, "the OPENQASM header");
}

static tsr_status parse_include(reader *r) {
  TRY(advance(r));
  qasm_token path = r->tok;
  if (path.kind != QT_STRING) return err_expected(r, QT_STRING, "with the file to include");
  TRY(advance(r));
  TRY(expect(r, QT_SEMI, "include"));
  int n = (int)(path.len > 200 ? 200 : path.len);
  if ((path.len == 10 && memcmp(path.start, "qelib1.inc", 10) == 0) ||
      (path.len == 12 && memcmp(path.start, "stdgates.inc", 12) == 0)) {
    r->have_lib = 1;
    return TSR_OK;
  }
  if (r->include_depth >= MAX_INCLUDE_DEPTH) {
    return err_at(r, &path, "cannot include \"%.*s\": includes nested too deeply", n, path.start);
  }
  if (!r->file) {
    return err_at(r, &path, "cannot include \"%.*s\": the input has no file name to resolve it", n,
                  path.start);
  }
  if (path.len == 0 || memchr(path.start, '\0', path.len)) {
    return err_at(r, &path, "cannot include \"%.*s\": not a file name", n, path.start);
  }
  /* Relative names are relative to the including file. */
  size_t dir = 0;
  if (path.start[0] != '/') {
    const char *slash = strrchr(r->file, '/');
    dir = slash ? (size_t)(slash - r->file) + 1 : 0;
  }
  char *full = tsr_malloc(dir + path.len + 1, r->err);
  if (!full) return TSR_ERR_NOMEM;
  memcpy(full, r->file, dir);
  memcpy(full + dir, path.start, path.len);
  full[dir + path.len] = '\0';
  char *text = NULL;
  size_t len = 0;
  tsr_error scratch;
  tsr_status st = GROW(r, r->owned, r->owned_cap, r->nowned + 2);
  if (st != TSR_OK) {
    free(full);
    return st;
  }
  r->owned[r->nowned++] = full;
  if (tsr_read_file(full, &text, &len, &scratch) != TSR_OK) {
    return err_at(r, &path, "cannot include \"%.*s\": %s", n, path.start, scratch.message);
  }
  r->owned[r->nowned++] = text;
  qasm_lexer saved_lx = r->lx;
  qasm_token saved_tok = r->tok, saved_prev = r->prev;
  const char *saved_file = r->file;
  int saved_first = r->first_stmt, saved_main = r->main_file;
  qasm_lexer_init(&r->lx, text, len, full, r->err);
  r->file = full;
  r->first_stmt = 1;
  r->main_file = 0;
  r->include_depth++;
  st = advance(r);
  while (st == TSR_OK && r->tok.kind != QT_EOF) st = parse_statement(r, 0);
  r->include_depth--;
  r->lx = saved_lx;
  r->tok = saved_tok;
  r->prev = saved_prev;
  r->file = saved_file;
  r->first_stmt = saved_first;
  r->main_file = saved_main;
  return st;
}

/* delay[duration] qubits;  Timing is not part of the circuit IR. */
static tsr_status skip_statement(reader *r) {
  while (r->tok.kind != QT_SEMI) {
    if (r->tok.kind == QT_EOF) return err_expected(r, QT_SEMI, "statement");
    TRY(advance(r));
  }
  return advance(r);
}

static tsr_status parse_statement(reader *r, int in_block) {
  qasm_token t = r->tok;
  /* An OpenQASM 3 annotation (`@name` and the rest of its line, before a
   * statement, as tessera's compiled programs write them): ignored. */
  if (t.kind == QT_AT && r->lx.pos < r->lx.end &&
      ((*r->lx.pos >= 'a' && *r->lx.pos <= 'z') || (*r->lx.pos >= 'A' && *r->lx.pos <= 'Z') ||
       *r->lx.pos == '_')) {
    const char *nl = memchr(r->lx.pos, '\n', (size_t)(r->lx.end - r->lx.pos));
    r->lx.pos = nl ? nl : r->lx.end;
    return advance(r);
  }
  if (t.kind == QT_HASH_PRAGMA) {
    if (t.len >= 7 && memcmp(t.start, "#pragma", 7) == 0) return advance(r);
    if (r->first_stmt && r->main_file && r->version == 0) {
      return err_at(r, &t, "missing 'OPENQASM' header: this does not look like an OpenQASM file");
    }
    return err_at(r, &t, "unexpected '#' (only '#pragma' lines are allowed)");
  }
  if (t.kind == QT_SEMI) {
    r->first_stmt = 0;
    return advance(r);
  }
  gate_ref g;
  int is_gate = 0;
  const kw_entry *k = NULL;
  if (t.kind == QT_IDENT) {
    sym *s = sym_find_tok(r, NS_GATE, &t);
    if (s) {
      ref_from_sym(r, s, &g);
      is_gate = 1;
    } else {
      k = keyword_of(r, &t);
    }
  }
  if (r->first_stmt && r->main_file && r->version == 0) {
    int ok = k && (k->kw == KW_OPENQASM || k->kw == KW_INCLUDE || k->kw == KW_QREG ||
                   k->kw == KW_CREG || k->kw == KW_QUBIT || k->kw == KW_BIT || k->kw == KW_GATE ||
                   k->kw == KW_OPAQUE || k->kw == KW_CONST);
    if (!ok) {
      return err_at(r, &t, "missing 'OPENQASM' header: this does not look like an OpenQASM file");
    }
  }
  if (k && k->kw == KW_OPENQASM) return parse_header(r);
  r->first_stmt = 0;
  if (t.kind != QT_IDENT) {
    char found[96];
    return err_at(r, &t, "expected a statement, found %s", tok_desc(&t, found, sizeof found));
  }
  modifiers none = {0};
  if (is_gate) return parse_gate_call(r, &none, &g);
  if (k) {
    switch (k->kw) {
    case KW_INCLUDE:
    case KW_QREG:
    case KW_CREG:
    case KW_QUBIT:
    case KW_BIT:
    case KW_GATE:
    case KW_OPAQUE:
    case KW_CONST:
    case KW_FLOAT:
    case KW_ANGLE:
    case KW_INT:
    case KW_UINT:
    case KW_LET:
      if (in_block) {
        return err_at(r, &t, "'%.*s' is not allowed inside an 'if'", (int)t.len, t.start);
      }
      break;
    default:
      break;
    }
    switch (k->kw) {
    case KW_INCLUDE:
      return parse_include(r);
    case KW_QREG:
      return parse_old_register(r, 1);
    case KW_CREG:
      return parse_old_register(r, 0);
    case KW_QUBIT:
      return parse_new_register(r, 1);
    case KW_BIT:
      return parse_new_register(r, 0);
    case KW_GATE:
      return parse_gate_def(r, 0);
    case KW_OPAQUE:
      return parse_gate_def(r, 1);
    case KW_MEASURE:
      return parse_measure(r);
    case KW_RESET:
      return parse_reset(r);
    case KW_BARRIER:
      return parse_barrier(r);
    case KW_IF:
      return parse_if(r);
    case KW_ELSE:
      return err_at(r, &t, "'else' without a matching 'if'");
    case KW_GPHASE:
      return parse_gphase(r);
    case KW_CONST:
    case KW_FLOAT:
    case KW_ANGLE:
    case KW_INT:
    case KW_UINT:
      return parse_constant(r);
    case KW_LET:
      return parse_let(r);
    case KW_DELAY:
      return skip_statement(r);
    case KW_CTRL:
    case KW_NEGCTRL:
    case KW_INV:
    case KW_POW: {
      modifiers m;
      TRY(parse_modifiers(r, &m));
      TRY(expect_ident(r, "a gate name"));
      qasm_token name = r->tok;
      TRY(resolve_gate(r, &name, &g, &is_gate));
      if (!is_gate) return unknown_gate(r, &name);
      return parse_gate_call(r, &m, &g);
    }
    case KW_UNSUPPORTED: {
      char what[96];
      snprintf(what, sizeof what, "'%.*s'", (int)t.len, t.start);
      return unsupported_at(r, &t, what);
    }
    default:
      break;
    }
  }
  /* OpenQASM 3 measurement into bits: c = measure q;  c[0] = measure q[0]; */
  if (sym_find_tok(r, NS_CREG, &t)) {
    qasm_tok next = peek(r);
    if (next == QT_LBRACKET || next == QT_ASSIGN) return parse_assign_measure(r);
  }
  TRY(resolve_gate(r, &t, &g, &is_gate));
  if (!is_gate) return unknown_gate(r, &t);
  return parse_gate_call(r, &none, &g);
}

/* ------------------------------------------------------------ entry */

static void reader_release(reader *r) {
  free(r->tab);
  free(r->regs);
  free(r->consts);
  for (size_t i = 0; i < r->ndefs; i++) free(r->defs[i].cname);
  free(r->defs);
  free(r->calls);
  free(r->exprs);
  free(r->args);
  free(r->code);
  free(r->vals);
  free(r->qstack);
  free(r->opnds);
  free(r->qbuf);
  free(r->formals);
  free(r->namebuf);
  free(r->mark);
  free(r->limbs);
  free(r->cond_val);
  for (size_t i = 0; i < r->nowned; i++) free(r->owned[i]);
  free(r->owned);
}

tsr_status tsr_qasm_read_string_ex(const char *text, size_t len, const char *filename,
                                   const tsr_qasm_read_options *opts, tsr_circuit **out,
                                   tsr_error *err) {
  if (out) *out = NULL;
  if (!out || (!text && len)) {
    return tsr_error_set(err, TSR_ERR_VALUE, "tsr_qasm_read_string: NULL argument");
  }
  tsr_error local;
  tsr_error_clear(&local);
  reader r;
  memset(&r, 0, sizeof r);
  r.err = &local;
  r.max_ops = opts && opts->max_ops ? opts->max_ops : DEFAULT_MAX_OPS;
  r.max_qubits = opts && opts->max_qubits ? opts->max_qubits : DEFAULT_MAX_QUBITS;
  r.strict_operands = opts ? opts->strict_operands : 0;
  r.file = filename;
  r.main_file = 1;
  r.first_stmt = 1;
  tsr_status st = TSR_OK;
  for (size_t i = 0; i < sizeof KEYWORDS / sizeof *KEYWORDS && st == TSR_OK; i++) {
    st = sym_put(&r, NS_KEYWORD, KEYWORDS[i].name, (uint32_t)strlen(KEYWORDS[i].name), 0,
                 (uint32_t)i);
  }
  /* Never NULL, so that `vals + base` is always a valid pointer. */
  if (st == TSR_OK) st = GROW(&r, r.vals, r.vals_cap, 16);
  if (st == TSR_OK) st = GROW(&r, r.qstack, r.qstack_cap, 16);
  if (st == TSR_OK) {
    r.c = tsr_circuit_new(&local);
    if (!r.c) st = TSR_ERR_NOMEM;
  }
  if (st == TSR_OK) {
    qasm_lexer_init(&r.lx, text ? text : "", len, filename, &local);
    st = advance(&r);
  }
  while (st == TSR_OK && r.tok.kind != QT_EOF) st = parse_statement(&r, 0);
  if (st == TSR_OK) {
    *out = r.c;
  } else {
    tsr_circuit_free(r.c);
  }
  reader_release(&r);
  if (err) *err = local;
  return st;
}

tsr_status tsr_qasm_read_string(const char *text, size_t len, const char *filename,
                                tsr_circuit **out, tsr_error *err) {
  return tsr_qasm_read_string_ex(text, len, filename, NULL, out, err);
}

tsr_status tsr_qasm_read_file(const char *path, tsr_circuit **out, tsr_error *err) {
  if (out) *out = NULL;
  if (!path || !out) return tsr_error_set(err, TSR_ERR_VALUE, "tsr_qasm_read_file: NULL argument");
  char *text = NULL;
  size_t len = 0;
  tsr_status st = tsr_read_file(path, &text, &len, err);
  if (st != TSR_OK) return st;
  st = tsr_qasm_read_string_ex(text, len, path, NULL, out, err);
  free(text);
  return st;
}
