/* OpenQASM reader on malformed input: each case must fail with the right
 * status, the exact line:col and a message that says what was wrong; and
 * nothing may leak or crash (the sanitizer build runs this too). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/circuit.h"
#include "tsr_test.h"

#define H2 "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n" /* two header lines */

typedef struct error_case {
  const char *text;
  tsr_status status;
  int line, col;
  const char *message; /* substring */
} error_case;

static const error_case CASES[] = {
    {H2 "qreg q[2];\nfoo q[0];\n", TSR_ERR_INPUT, 4, 1, "unknown gate 'foo'"},
    {H2 "qreg q[2];\ncx q[0];\n", TSR_ERR_INPUT, 4, 1, "gate 'cx' takes 2 qubits, got 1"},
    {H2 "qreg q[2];\nrz q[0];\n", TSR_ERR_INPUT, 4, 1, "gate 'rz' takes 1 parameter, got 0"},
    {H2 "qreg q[2];\nh(0.1) q[0];\n", TSR_ERR_INPUT, 4, 1, "takes 0 parameters, got 1"},
    {H2 "qreg q[2];\nh r[0];\n", TSR_ERR_INPUT, 4, 3, "undeclared quantum register 'r'"},
    {H2 "qreg q[2];\nqreg q[3];\n", TSR_ERR_INPUT, 4, 6, "'q' is already declared (line 3)"},
    {H2 "qreg q[2];\nh q[2];\n", TSR_ERR_INPUT, 4, 5, "index 2 out of range"},
    {H2 "qreg q[2];\nrz(1+) q[0];\n", TSR_ERR_INPUT, 4, 6, "expected an expression, found ')'"},
    {H2 "qreg q[2];\nrz(pi/(1-1)) q[0];\n", TSR_ERR_INPUT, 4, 6, "division by zero"},
    {H2 "qreg q[2];\nh q[0]", TSR_ERR_INPUT, 4, 7, "unterminated statement"},
    {H2 "qreg q[2];\nh q[0]\nh q[1];\n", TSR_ERR_INPUT, 4, 7, "expected ';'"},
    {"OPENQASM 2.0;\ninclude \"qelib1.inc;\nqreg q[2];\n", TSR_ERR_INPUT, 2, 9,
     "unterminated string"},
    {"OPENQASM 2.0;\n/* never closed\nqreg q[2];\n", TSR_ERR_INPUT, 2, 1, "unterminated comment"},
    {"{\"name\": \"not qasm\"}\n", TSR_ERR_INPUT, 1, 1, "missing 'OPENQASM' header"},
    {"name: machine\nmodules: []\n", TSR_ERR_INPUT, 1, 1, "does not look like an OpenQASM file"},
    {"OPENQASM 2.0;\nqreg q[0];\n", TSR_ERR_INPUT, 2, 8, "register size must be at least 1"},
    {H2 "qreg q[2];\nqreg r[3];\ncx q, r;\n", TSR_ERR_INPUT, 5, 7, "register sizes differ"},
    {H2 "qreg q[2];\nrx(theta) q[0];\n", TSR_ERR_INPUT, 4, 4, "unknown identifier 'theta'"},
    {H2 "qreg q[2];\nh q[0] @;\n", TSR_ERR_INPUT, 4, 7,
     "expected ';' after gate operands (found '@')"},
    {H2 "qreg q[2];\nh q[0] `;\n", TSR_ERR_INPUT, 4, 8, "unexpected character '`'"},
    {H2 "qreg q[2];\nh q[0] \x01;\n", TSR_ERR_INPUT, 4, 8, "unexpected character (byte 0x01)"},
    {"OPENQASM 4.0;\n", TSR_ERR_INPUT, 1, 10, "unsupported OpenQASM version 4.0"},
    {"qreg q[1];\nOPENQASM 2.0;\n", TSR_ERR_INPUT, 2, 1, "must be the first statement"},
    {H2 "qreg q[1];\ncreg c[2];\nif(c==4) x q[0];\n", TSR_ERR_INPUT, 5, 7,
     "value needs 3 bits but register 'c' has 2"},
    {"OPENQASM 2.0;\nqreg q[2];\ncreg c[1];\nmeasure q -> c;\n", TSR_ERR_INPUT, 4, 14,
     "measure: 2 qubits but 1 classical bit"},
    {H2 "gate g a { h a; }\ngate g a { x a; }\n", TSR_ERR_INPUT, 4, 6,
     "gate 'g' is already defined (line 3)"},
    {H2 "gate g a { cx a, b; }\n", TSR_ERR_INPUT, 3, 18, "unknown qubit argument 'b'"},
    {"OPENQASM 2.0;\ninclude \"nothere.inc\";\n", TSR_ERR_INPUT, 2, 9,
     "cannot include \"nothere.inc\""},
    {"OPENQASM 2.0;\nqreg q[16777217];\n", TSR_ERR_LIMIT, 2, 8, "exceeds the limit of 16777216"},
    {H2 "gate g a {\n  h a;\n", TSR_ERR_INPUT, 3, 10, "unterminated gate body"},
    {H2 "qreg q[1];\nh c[0];\ncreg c[1];\n", TSR_ERR_INPUT, 4, 3,
     "undeclared quantum register 'c'"},
    {H2 "qreg q[1];\ncreg c[1];\nmeasure q[0] -> q[0];\n", TSR_ERR_INPUT, 5, 17,
     "'q' is a quantum register, expected a classical one"},
    {"OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit q;\nbit c;\nif (c) { if (c) x q; }\n",
     TSR_ERR_UNSUPPORTED, 5, 10, "nested 'if'"},
    {H2 "qreg q[1];\nrz(ln(0)) q[0];\n", TSR_ERR_INPUT, 4, 4, "ln(0) is not a finite number"},
    {H2 "gate g(t) a {\n  rz(1/t) a;\n}\nqreg q[1];\ng(0) q[0];\n", TSR_ERR_INPUT, 4, 7,
     "division by zero in parameter expression (expanding 'g' called at line 7)"},
    {H2 "gate g(t, t) a { }\n", TSR_ERR_INPUT, 3, 11, "parameter 't' is declared twice"},
    {H2 "gate g(t) a, a { }\n", TSR_ERR_INPUT, 3, 14, "argument 'a' is declared twice"},
    {"OPENQASM 2.0;\nqreg q[2];\nh q[0];\n", TSR_ERR_INPUT, 3, 1,
     "unknown gate 'h' (missing include \"qelib1.inc\""},
    {H2 "qreg q[1];\nrz(0.5 q[0];\n", TSR_ERR_INPUT, 4, 8, "expected ')'"},
    {H2 "gate measure a { }\n", TSR_ERR_INPUT, 3, 6, "'measure' is built in"},
    {H2 "gate U a { }\n", TSR_ERR_INPUT, 3, 6, "'U' is built in"},
    {"OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit q;\nfor int i in [0:3] { x q; }\n",
     TSR_ERR_UNSUPPORTED, 4, 1, "'for' is not supported"},
    {H2 "qreg q[1];\nif(c==1) x q[0];\n", TSR_ERR_INPUT, 4, 4, "undeclared classical register 'c'"},
    {H2 "gate g a {\n  h a[0];\n}\n", TSR_ERR_INPUT, 4, 6, "not indexed"},
    {H2 "qreg q[1];\nrx(1e999) q[0];\n", TSR_ERR_INPUT, 4, 4, "out of range"},
    {H2 "qreg q[1];\ncreg c[1];\nif(c==1 x q[0];\n", TSR_ERR_INPUT, 5, 9,
     "expected ')' to close the condition"},
    {"OPENQASM 2.0;\nqreg q[1];\n}\n", TSR_ERR_INPUT, 3, 1, "expected a statement, found '}'"},
    {H2 "qreg q[1];\nh q[0];;else\n", TSR_ERR_INPUT, 4, 9, "'else' without a matching 'if'"},
    {H2 "qreg q[1];\nqreg r[1];\nh q, r, q;\n", TSR_ERR_INPUT, 5, 1, "takes 1 qubit, got 3"},
    {H2 "qreg q[1];\ngate g a { h a; }\ng q[0], q[0];\n", TSR_ERR_INPUT, 5, 1,
     "gate 'g' takes 1 qubit, got 2"},
    {H2 "qreg q[2];\ncreg c[2];\nif(c[0]==2) x q[0];\n", TSR_ERR_INPUT, 5, 10,
     "a single bit can only be compared with 0 or 1"},
    {H2 "qreg q[2];\ncreg c[2];\nif(c) x q[0];\n", TSR_ERR_UNSUPPORTED, 5, 4,
     "a whole register used as a boolean"},
    {H2 "qreg q[2];\nqreg 3q[2];\n", TSR_ERR_INPUT, 4, 6, "expected a register name"},
    {H2 "qreg q[1];\nrx(0x1G) q[0];\n", TSR_ERR_INPUT, 4, 7, "expected ')'"},
    {H2 "qreg q[4];\nh q[3:1];\n", TSR_ERR_INPUT, 4, 5, "empty range"},
    {H2 "qreg q[4];\nh q[1.5];\n", TSR_ERR_INPUT, 4, 5, "index must be an integer"},
    {H2 "qreg q[2];\ncreg c[2];\nif(c==1) qreg r[1];\n", TSR_ERR_INPUT, 5, 10,
     "'qreg' is not allowed inside an 'if'"},
    {"OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\n"
     "if (c == 1) { x q[0];\n",
     TSR_ERR_INPUT, 5, 13, "unterminated block"},
    {"OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nc[0] = 1;\n",
     TSR_ERR_UNSUPPORTED, 5, 1, "classical assignment"},
    {"OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nnegctrl @ x q[0], q[1];\n",
     TSR_ERR_UNSUPPORTED, 4, 1, "'negctrl' modifier"},
    {"OPENQASM 2.0;\nqreg q[1];\n#include <stdio.h>\n", TSR_ERR_INPUT, 3, 1, "unexpected '#'"},
    {"OPENQASM 2.0;\n\xef\xbb\xbfqreg q[1];\n", TSR_ERR_INPUT, 2, 1, "unknown gate"},
};

static void malformed_inputs(void **state) {
  (void)state;
  tsr_qasm_read_options strict = {.strict_operands = 1};
  for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
    const error_case *k = &CASES[i];
    tsr_error err;
    tsr_circuit *c = (tsr_circuit *)&err; /* must be reset to NULL */
    tsr_status st =
        tsr_qasm_read_string_ex(k->text, strlen(k->text), "bad.qasm", &strict, &c, &err);
    char buf[1024];
    tsr_error_format(&err, buf, sizeof buf);
    if (st != k->status || err.line != k->line || err.col != k->col ||
        !strstr(err.message, k->message) || strcmp(err.file, "bad.qasm") != 0 || c != NULL) {
      fail_msg("case %zu: got status %d at %d:%d \"%s\"; expected %d at %d:%d containing \"%s\""
               "\n--- input ---\n%s",
               i, st, err.line, err.col, buf, k->status, k->line, k->col, k->message, k->text);
    }
  }
  print_message("%zu malformed inputs rejected with their locations\n",
                sizeof CASES / sizeof *CASES);
}

static void repeated_operands_strict_or_dropped(void **state) {
  (void)state;
  const char *text = H2 "qreg q[2];\ncx q[1], q[1];\ncx q, q[0];\n";
  tsr_qasm_read_options strict = {.strict_operands = 1};
  tsr_error err;
  tsr_circuit *c = NULL;
  assert_int_equal(tsr_qasm_read_string_ex(text, strlen(text), "dup.qasm", &strict, &c, &err),
                   TSR_ERR_INPUT);
  assert_int_equal(err.line, 4);
  assert_int_equal(err.col, 10);
  assert_non_null(strstr(err.message, "qubit used twice"));
  /* By default the meaningless operation is dropped (QASMBench's QAOA N1000
   * has twenty of them); the rest of the broadcast survives. */
  assert_ok(tsr_qasm_read_string(text, strlen(text), "dup.qasm", &c, &err), &err);
  assert_int_equal(c->nops, 1);
  assert_int_equal(c->ops[0].qubits[0], 1);
  assert_int_equal(c->ops[0].qubits[1], 0);
  tsr_circuit_free(c);
}

static void missing_file_is_an_io_error(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = NULL;
  assert_int_equal(tsr_qasm_read_file("/nonexistent/dir/x.qasm", &c, &err), TSR_ERR_IO);
  assert_null(c);
  assert_non_null(strstr(err.message, "/nonexistent/dir/x.qasm"));
  /* An include needs a file name to resolve against. */
  const char *text = "OPENQASM 2.0;\ninclude \"other.inc\";\n";
  assert_int_equal(tsr_qasm_read_string(text, strlen(text), NULL, &c, &err), TSR_ERR_INPUT);
  assert_string_equal(err.file, "<input>");
  assert_non_null(strstr(err.message, "cannot include \"other.inc\""));
}

/* Appends printf output to a growing buffer. */
static void append(char **buf, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char **buf, size_t *len, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  *buf = realloc(*buf, *len + (size_t)n + 1);
  assert_non_null(*buf);
  memcpy(*buf + *len, tmp, (size_t)n + 1);
  *len += (size_t)n;
}

static void absurd_sizes_are_refused(void **state) {
  (void)state;
  /* 40 doublings: 2^40 operations, refused before any work. */
  char *text = NULL;
  size_t len = 0;
  append(&text, &len, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate g0 a { h a; h a; }\n");
  for (int i = 1; i < 40; i++)
    append(&text, &len, "gate g%d a { g%d a; g%d a; }\n", i, i - 1, i - 1);
  append(&text, &len, "qreg q[1];\ng39 q[0];\n");
  tsr_error err;
  tsr_circuit *c = NULL;
  double t0 = tsr_wall_seconds();
  assert_int_equal(tsr_qasm_read_string(text, len, "big.qasm", &c, &err), TSR_ERR_LIMIT);
  assert_true(tsr_wall_seconds() - t0 < 1.0);
  assert_int_equal(err.line, 44);
  assert_int_equal(err.col, 1);
  assert_non_null(strstr(err.message, "limit of 2147483648 operations"));
  free(text);

  /* 300 nested definitions: refused at the 257th level. */
  text = NULL;
  len = 0;
  append(&text, &len, "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate g0 a { h a; }\n");
  for (int i = 1; i < 300; i++) append(&text, &len, "gate g%d a { g%d a; }\n", i, i - 1);
  assert_int_equal(tsr_qasm_read_string(text, len, "deep.qasm", &c, &err), TSR_ERR_INPUT);
  assert_int_equal(err.line, 3 + 256);
  assert_int_equal(err.col, 6);
  assert_non_null(strstr(err.message, "nested too deeply"));
  free(text);

  /* Limits from the options. */
  tsr_qasm_read_options opts = {.max_qubits = 100};
  const char *regs = "OPENQASM 2.0;\nqreg a[60];\nqreg b[41];\n";
  assert_int_equal(tsr_qasm_read_string_ex(regs, strlen(regs), NULL, &opts, &c, &err),
                   TSR_ERR_LIMIT);
  assert_int_equal(err.line, 3);
  assert_int_equal(err.col, 6);
  assert_non_null(strstr(err.message, "limit of 100 qubits"));

  /* Deeply nested expressions and a huge literal do not overflow anything. */
  text = NULL;
  len = 0;
  append(&text, &len, "OPENQASM 2.0;\nqreg q[1];\nU(");
  for (int i = 0; i < 100000; i++) append(&text, &len, "-");
  append(&text, &len, "1, 0, 0) q[0];\n");
  assert_int_equal(tsr_qasm_read_string(text, len, "neg.qasm", &c, &err), TSR_ERR_INPUT);
  assert_non_null(strstr(err.message, "nested too deeply"));
  free(text);
  text = NULL;
  len = 0;
  append(&text, &len, "OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nif(c==");
  for (int i = 0; i < 30000; i++) append(&text, &len, "9");
  append(&text, &len, ") x q[0];\n");
  assert_int_equal(tsr_qasm_read_string(text, len, "lit.qasm", &c, &err), TSR_ERR_INPUT);
  assert_non_null(strstr(err.message, "too long"));
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(malformed_inputs),
      cmocka_unit_test(repeated_operands_strict_or_dropped),
      cmocka_unit_test(missing_file_is_an_io_error),
      cmocka_unit_test(absurd_sizes_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
