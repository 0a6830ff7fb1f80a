/* OpenQASM reader on valid input: every construct of OpenQASM 2.0 and of the
 * OpenQASM 3 subset, checked on the operations it produces (kinds, operands,
 * parameters to 1e-12, conditions), not on statistics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessera/circuit.h"
#include "tsr_test.h"

#define PI 3.14159265358979323846

static tsr_circuit *read_ok(const char *text) {
  tsr_error err;
  tsr_circuit *c = NULL;
  tsr_status st = tsr_qasm_read_string(text, strlen(text), "test.qasm", &c, &err);
  if (st != TSR_OK) {
    char buf[1024];
    fail_msg("read failed: %s\n--- input ---\n%s", tsr_error_format(&err, buf, sizeof buf), text);
  }
  assert_non_null(c);
  return c;
}

/* Checks op i: kind, qubits (terminated by -1) and parameters. */
static void check_op(const tsr_circuit *c, size_t i, tsr_gate kind, const int *qubits,
                     const double *params, uint32_t nparams) {
  if (i >= c->nops) fail_msg("op %zu missing (circuit has %zu)", i, c->nops);
  const tsr_op *op = &c->ops[i];
  if (op->kind != kind) {
    fail_msg("op %zu is %s, expected %s", i, tsr_gate_get(op->kind)->name,
             tsr_gate_get(kind)->name);
  }
  uint32_t nq = 0;
  while (qubits[nq] >= 0) nq++;
  assert_int_equal(op->nqubits, nq);
  for (uint32_t k = 0; k < nq; k++) assert_int_equal(op->qubits[k], qubits[k]);
  assert_int_equal(op->nparams, nparams);
  for (uint32_t k = 0; k < nparams; k++) assert_close(op->params[k], params[k], 1e-12);
}

#define Q(...) ((const int[]){__VA_ARGS__, -1})
#define P(...) ((const double[]){__VA_ARGS__})
#define NOQ    ((const int[]){-1})

static void basic_qasm2(void **state) {
  (void)state;
  tsr_circuit *c = read_ok("OPENQASM 2.0;\n"
                           "include \"qelib1.inc\";\n"
                           "qreg q[2];\n"
                           "creg c[2];\n"
                           "h q[0];\n"
                           "cx q[0],q[1];\n"
                           "rz(pi/4) q[1];\n"
                           "measure q[0] -> c[0];\n"
                           "measure q[1] -> c[1];\n");
  assert_int_equal(c->nqubits, 2);
  assert_int_equal(c->nclbits, 2);
  assert_int_equal(c->nqregs, 1);
  assert_string_equal(c->qregs[0].name, "q");
  assert_string_equal(c->cregs[0].name, "c");
  assert_int_equal(c->nops, 5);
  check_op(c, 0, TSR_GATE_H, Q(0), NULL, 0);
  check_op(c, 1, TSR_GATE_CX, Q(0, 1), NULL, 0);
  check_op(c, 2, TSR_GATE_RZ, Q(1), P(PI / 4), 1);
  check_op(c, 3, TSR_OP_MEASURE, Q(0), NULL, 0);
  assert_int_equal(c->ops[3].clbit, 0);
  assert_int_equal(c->ops[4].clbit, 1);
  assert_int_equal(c->ops[0].cond, -1);
  tsr_circuit_free(c);
}

static void broadcasting(void **state) {
  (void)state;
  tsr_circuit *c = read_ok("OPENQASM 2.0; include \"qelib1.inc\";\n"
                           "qreg q[3]; qreg r[3]; creg c[3];\n"
                           "h q;\n"              /* 0-2 */
                           "cx q, r;\n"          /* 3-5 */
                           "cx q[0], r;\n"       /* 6-8 */
                           "rzz(0.5) r, q[2];\n" /* 9-11: r[2], q[2] fine */
                           "measure r -> c;\n"   /* 12-14 */
                           "reset q;\n"          /* 15-17 */
                           "barrier q, r[0];\n"  /* 18 */
                           "barrier q, q[1];\n"  /* 19: repeated qubit kept once */
                           "measure q[2] -> c[0];\n");
  assert_int_equal(c->nops, 21);
  for (int i = 0; i < 3; i++) {
    check_op(c, (size_t)i, TSR_GATE_H, Q(i), NULL, 0);
    check_op(c, (size_t)(3 + i), TSR_GATE_CX, Q(i, 3 + i), NULL, 0);
    check_op(c, (size_t)(6 + i), TSR_GATE_CX, Q(0, 3 + i), NULL, 0);
    check_op(c, (size_t)(9 + i), TSR_GATE_RZZ, Q(3 + i, 2), P(0.5), 1);
    check_op(c, (size_t)(12 + i), TSR_OP_MEASURE, Q(3 + i), NULL, 0);
    assert_int_equal(c->ops[12 + i].clbit, i);
    check_op(c, (size_t)(15 + i), TSR_OP_RESET, Q(i), NULL, 0);
  }
  check_op(c, 18, TSR_OP_BARRIER, Q(0, 1, 2, 3), NULL, 0);
  check_op(c, 19, TSR_OP_BARRIER, Q(0, 1, 2), NULL, 0);
  assert_int_equal(c->ops[20].clbit, 0);
  tsr_circuit_free(c);
}

static void gate_definitions_nest_and_substitute(void **state) {
  (void)state;
  tsr_circuit *c = read_ok("OPENQASM 2.0;\ninclude \"qelib1.inc\";\n"
                           "gate inner(a) x { rz(a/2) x; }\n"
                           "gate outer(a, b) x, y {\n"
                           "  inner(a*b) x;\n"
                           "  cx x, y;\n"
                           "  inner(-a) y;\n"
                           "  U(a, b, pi) y;\n"
                           "  barrier x, y;\n"
                           "}\n"
                           "gate swapish p, q { outer(1, 0) q, p; }\n"
                           "gate empty a { }\n"
                           "qreg q[2]; qreg w[2];\n"
                           "outer(0.5, 2) q[0], q[1];\n"
                           "swapish q[0], q[1];\n"
                           "empty q;\n"
                           "outer(0.25, 4) q, w;\n");
  check_op(c, 0, TSR_GATE_RZ, Q(0), P(0.5), 1);
  check_op(c, 1, TSR_GATE_CX, Q(0, 1), NULL, 0);
  check_op(c, 2, TSR_GATE_RZ, Q(1), P(-0.25), 1);
  check_op(c, 3, TSR_GATE_U, Q(1), P(0.5, 2, PI), 3);
  check_op(c, 4, TSR_OP_BARRIER, Q(0, 1), NULL, 0);
  /* swapish: outer(1, 0) with x = q[1], y = q[0] */
  check_op(c, 5, TSR_GATE_RZ, Q(1), P(0.0), 1);
  check_op(c, 6, TSR_GATE_CX, Q(1, 0), NULL, 0);
  check_op(c, 7, TSR_GATE_RZ, Q(0), P(-0.5), 1);
  check_op(c, 8, TSR_GATE_U, Q(0), P(1, 0, PI), 3);
  check_op(c, 9, TSR_OP_BARRIER, Q(1, 0), NULL, 0);
  /* broadcast of a user gate over two registers: 2 x 5 ops */
  assert_int_equal(c->nops, 20);
  check_op(c, 10, TSR_GATE_RZ, Q(0), P(0.5), 1);
  check_op(c, 11, TSR_GATE_CX, Q(0, 2), NULL, 0);
  check_op(c, 16, TSR_GATE_CX, Q(1, 3), NULL, 0);
  tsr_circuit_free(c);
}

static void expressions(void **state) {
  (void)state;
  const struct {
    const char *expr;
    double value;
  } cases[] = {
      {"pi/2", PI / 2},
      {"-pi", -PI},
      {"2^3", 8},
      {"-2^2", -4},
      {"2^3^2", 512},
      {"2^-1", 0.5},
      {"1e-3", 1e-3},
      {"1.5E+2", 150},
      {".5", 0.5},
      {"3.", 3},
      {"0.76446547", 0.76446547},
      {"2.151746e+00", 2.151746},
      {"sin(pi/2)", 1},
      {"cos(0)", 1},
      {"tan(pi/4)", 1},
      {"exp(1)", exp(1.0)},
      {"ln(exp(2))", 2},
      {"sqrt(16)", 4},
      {"asin(1)", PI / 2},
      {"acos(1)", 0},
      {"atan(1)", PI / 4},
      {"2*3+4/2-1", 7},
      {"((1+2)*3)", 9},
      {"-(-(1))", 1},
      {"+3", 3},
      {"1-2-3", -4},
      {"8/2/2", 2},
      {"-3*pi/4", -3 * PI / 4},
      {"pi*1.0", PI},
      {"2**3", 8},
      {"1_000.5", 1000.5},
      {"0x10", 16},
      {"123456789012345678901234567890", 123456789012345678901234567890.0},
      {"1e-300", 1e-300},
      {"\xcf\x80", PI},
      {"tau/2", PI},
      {"euler", exp(1.0)},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char text[256];
    snprintf(text, sizeof text, "OPENQASM 3.0; include \"stdgates.inc\"; qubit q; rx(%s) q;",
             cases[i].expr);
    tsr_circuit *c = read_ok(text);
    assert_int_equal(c->nops, 1);
    if (fabs(c->ops[0].params[0] - cases[i].value) > 1e-12 * fmax(1.0, fabs(cases[i].value))) {
      fail_msg("%s = %.17g, expected %.17g", cases[i].expr, c->ops[0].params[0], cases[i].value);
    }
    tsr_circuit_free(c);
  }
  /* Literals read exactly: the nearest double, as strtod gives. */
  const char *exact[] = {"0.1",
                         "0.3",
                         "1.7976931348623157e308",
                         "4.9e-324",
                         "123.456e-7",
                         "0.08606371617756645",
                         "9007199254740993",
                         "3.141592653589793"};
  for (size_t i = 0; i < sizeof exact / sizeof *exact; i++) {
    char text[256];
    snprintf(text, sizeof text, "OPENQASM 2.0; qreg q[1]; U(%s, 0, 0) q[0];", exact[i]);
    tsr_circuit *c = read_ok(text);
    if (c->ops[0].params[0] != strtod(exact[i], NULL)) {
      fail_msg("%s read as %.17g", exact[i], c->ops[0].params[0]);
    }
    tsr_circuit_free(c);
  }
}

static void wide_condition_values(void **state) {
  (void)state;
  /* 2^300 + 12345678901234567890123 in a 301-bit register (as cc_n301). */
  tsr_circuit *c =
      read_ok("OPENQASM 2.0; include \"qelib1.inc\";\n"
              "qreg q[2]; creg big[301]; creg c71[71]; creg small[3];\n"
              "if(big==2037035976334486086268445688409378161051468393665936250636140449354393645442"
              "237940751287499) x q[0];\n"
              "if (c71 == 1180591620717411303424) h q[1];\n"
              "if(small==5) cx q[0],q[1];\n"
              "if(small==0) measure q[0] -> small[1];\n"
              "if(big==0) reset q[1];\n");
  assert_int_equal(c->nops, 5);
  assert_int_equal(c->nconds, 5);
  const tsr_condition *k = &c->conds[c->ops[0].cond];
  assert_int_equal(k->creg, 0);
  assert_int_equal(k->nwords, 5);
  assert_true(k->value[0] == UINT64_C(0x42b64e76714244cb));
  assert_true(k->value[1] == UINT64_C(0x29d));
  assert_true(k->value[2] == 0 && k->value[3] == 0);
  assert_true(k->value[4] == UINT64_C(1) << 44);
  k = &c->conds[c->ops[1].cond];
  assert_int_equal(k->creg, 1);
  assert_int_equal(k->nwords, 2);
  assert_true(k->value[0] == 0 && k->value[1] == 64);
  k = &c->conds[c->ops[2].cond];
  assert_int_equal(k->creg, 2);
  assert_true(k->value[0] == 5);
  check_op(c, 3, TSR_OP_MEASURE, Q(0), NULL, 0);
  assert_int_equal(c->ops[3].clbit, 301 + 71 + 1);
  assert_true(c->conds[c->ops[3].cond].value[0] == 0);
  assert_int_equal(c->conds[c->ops[4].cond].creg, 0);
  tsr_circuit_free(c);
}

static void condition_applies_to_every_expanded_op(void **state) {
  (void)state;
  tsr_circuit *c = read_ok("OPENQASM 2.0; include \"qelib1.inc\";\n"
                           "gate two a, b { h a; cx a, b; barrier a, b; }\n"
                           "qreg q[2]; creg c[1];\n"
                           "if(c==1) two q[0], q[1];\n"
                           "if(c==1) h q;\n"
                           "h q[0];\n");
  assert_int_equal(c->nops, 6);
  for (size_t i = 0; i < 5; i++) {
    if (c->ops[i].kind == TSR_OP_BARRIER) {
      assert_int_equal(c->ops[i].cond, -1); /* barriers carry no condition */
      continue;
    }
    assert_true(c->ops[i].cond >= 0);
    assert_int_equal(c->conds[c->ops[i].cond].creg, 0);
    assert_true(c->conds[c->ops[i].cond].value[0] == 1);
  }
  assert_int_equal(c->ops[5].cond, -1);
  tsr_circuit_free(c);
}

static void qasm3_forms(void **state) {
  (void)state;
  tsr_circuit *c = read_ok("OPENQASM 3.0;\n"
                           "include \"stdgates.inc\";\n"
                           "const float[64] theta = pi/8;\n"
                           "const int n = 2;\n"
                           "qubit[n] q;\n"
                           "qubit r;\n"
                           "bit[2] c;\n"
                           "bit d;\n"
                           "qreg old[1];\n"
                           "creg oldc[1];\n"
                           "h q;\n"                               /* 0,1 */
                           "cx q[0], r;\n"                        /* 2 */
                           "c[0] = measure q[0];\n"               /* 3 */
                           "c = measure q;\n"                     /* 4,5 */
                           "d = measure r;\n"                     /* 6 */
                           "measure q[1] -> c[1];\n"              /* 7 */
                           "if (c[0] == 1) x q[1];\n"             /* 8 */
                           "if (c == 3) { z q[0]; y q[1]; }\n"    /* 9,10 */
                           "if (c[1]) { x r; }\n"                 /* 11 */
                           "if (!c[1]) x r;\n"                    /* 12 */
                           "if (d == 1) h r;\n"                   /* 13 */
                           "if (c[0]) x q[0]; else { z q[0]; }\n" /* 14, 15 */
                           "reset q;\n"                           /* 16,17 */
                           "barrier q, r;\n"                      /* 18 */
                           "U(pi, 0, pi) r;\n"                    /* 19 */
                           "gphase(pi/2);\n"
                           "rz(theta) q[0];\n"           /* 20 */
                           "p(1) old[0];\n"              /* 21 */
                           "oldc[0] = measure old[0];\n" /* 22 */
                           "barrier;\n"                  /* 23 */
                           "#pragma some tool hint\n"
                           "delay[100ns] q[0];\n"
                           "cphase(0.5) q[0], q[1];\n" /* 24 */
                           "phase(0.25) r;\n"          /* 25 */
                           "sx q[1];\n");              /* 26 */
  assert_int_equal(c->nqubits, 4);
  assert_int_equal(c->nclbits, 4);
  assert_int_equal(c->ncregs, 3);
  assert_int_equal(c->cregs[1].size, 1);
  assert_int_equal(c->nops, 27);
  check_op(c, 1, TSR_GATE_H, Q(1), NULL, 0);
  check_op(c, 2, TSR_GATE_CX, Q(0, 2), NULL, 0);
  assert_int_equal(c->ops[3].clbit, 0);
  assert_int_equal(c->ops[5].clbit, 1);
  assert_int_equal(c->ops[6].clbit, 2);
  /* single-bit conditions: creg -1 and the flat bit */
  const tsr_condition *k = &c->conds[c->ops[8].cond];
  assert_int_equal(k->creg, -1);
  assert_int_equal(k->bit, 0);
  assert_true(k->value[0] == 1);
  k = &c->conds[c->ops[9].cond];
  assert_int_equal(k->creg, 0);
  assert_true(k->value[0] == 3);
  assert_int_equal(c->ops[10].cond >= 0, 1);
  k = &c->conds[c->ops[11].cond];
  assert_true(k->creg == -1 && k->bit == 1 && k->value[0] == 1);
  k = &c->conds[c->ops[12].cond];
  assert_true(k->creg == -1 && k->bit == 1 && k->value[0] == 0);
  k = &c->conds[c->ops[13].cond];
  assert_true(k->creg == 1 && k->value[0] == 1); /* bit d is a 1-bit register */
  check_op(c, 14, TSR_GATE_X, Q(0), NULL, 0);
  check_op(c, 15, TSR_GATE_Z, Q(0), NULL, 0);
  assert_true(c->conds[c->ops[14].cond].value[0] == 1);
  assert_true(c->conds[c->ops[15].cond].value[0] == 0);
  assert_int_equal(c->ops[16].cond, -1);
  check_op(c, 18, TSR_OP_BARRIER, Q(0, 1, 2), NULL, 0);
  check_op(c, 19, TSR_GATE_U, Q(2), P(PI, 0, PI), 3);
  check_op(c, 20, TSR_GATE_RZ, Q(0), P(PI / 8), 1);
  check_op(c, 21, TSR_GATE_P, Q(3), P(1), 1);
  assert_int_equal(c->ops[22].clbit, 3);
  check_op(c, 23, TSR_OP_BARRIER, Q(0, 1, 2, 3), NULL, 0);
  check_op(c, 24, TSR_GATE_CP, Q(0, 1), P(0.5), 1);
  check_op(c, 25, TSR_GATE_P, Q(2), P(0.25), 1);
  check_op(c, 26, TSR_GATE_SX, Q(1), NULL, 0);
  tsr_circuit_free(c);

  /* Other spellings of bit conditions, and else after a 1-bit register. */
  c = read_ok("OPENQASM 3.0; include \"stdgates.inc\"; qubit q; bit[2] c; bit d;\n"
              "if (c[0] != 1) x q;\n"
              "if (c[1] == true) x q;\n"
              "if (c[1] == false) x q;\n"
              "if (d) x q; else y q;\n");
  assert_int_equal(c->nops, 5);
  assert_true(c->conds[c->ops[0].cond].value[0] == 0);
  assert_true(c->conds[c->ops[1].cond].value[0] == 1);
  assert_true(c->conds[c->ops[2].cond].bit == 1 && c->conds[c->ops[2].cond].value[0] == 0);
  k = &c->conds[c->ops[4].cond];
  assert_true(k->creg == 1 && k->value[0] == 0);
  tsr_circuit_free(c);

  c = read_ok("OPENQASM 3; include \"stdgates.inc\"; qubit[2] q; bit[2] c;\n"
              "gate g(t) a, b { ctrl @ rx(t) a, b; inv @ s b; gphase(t); }\n"
              "g(0.3) q[0], q[1];\n");
  check_op(c, 0, TSR_GATE_CRX, Q(0, 1), P(0.3), 1);
  check_op(c, 1, TSR_GATE_SDG, Q(1), NULL, 0);
  assert_int_equal(c->nops, 2);
  tsr_circuit_free(c);
}

static void qasm3_modifiers_aliases_and_slices(void **state) {
  (void)state;
  tsr_circuit *c = read_ok("OPENQASM 3.0; include \"stdgates.inc\";\n"
                           "qubit[5] q;\n"
                           "let mid = q[1:3];\n"
                           "let last = q[4];\n"
                           "h mid;\n"                            /* 0-2: q1 q2 q3 */
                           "x q[0:2:4];\n"                       /* 3-5: q0 q2 q4 */
                           "z q[-1];\n"                          /* 6: q4 */
                           "y last;\n"                           /* 7 */
                           "inv @ s q[0];\n"                     /* 8 */
                           "inv @ rx(0.3) q[0];\n"               /* 9 */
                           "ctrl @ x q[0], q[1];\n"              /* 10 */
                           "ctrl(2) @ x q[0], q[1], q[2];\n"     /* 11 */
                           "ctrl @ ctrl @ x q[0], q[1], q[2];\n" /* 12 */
                           "inv @ ctrl @ p(0.5) q[3], q[4];\n"); /* 13 */
  assert_int_equal(c->nops, 14);
  check_op(c, 0, TSR_GATE_H, Q(1), NULL, 0);
  check_op(c, 2, TSR_GATE_H, Q(3), NULL, 0);
  check_op(c, 3, TSR_GATE_X, Q(0), NULL, 0);
  check_op(c, 4, TSR_GATE_X, Q(2), NULL, 0);
  check_op(c, 5, TSR_GATE_X, Q(4), NULL, 0);
  check_op(c, 6, TSR_GATE_Z, Q(4), NULL, 0);
  check_op(c, 7, TSR_GATE_Y, Q(4), NULL, 0);
  check_op(c, 8, TSR_GATE_SDG, Q(0), NULL, 0);
  check_op(c, 9, TSR_GATE_RX, Q(0), P(-0.3), 1);
  check_op(c, 10, TSR_GATE_CX, Q(0, 1), NULL, 0);
  check_op(c, 11, TSR_GATE_CCX, Q(0, 1, 2), NULL, 0);
  check_op(c, 12, TSR_GATE_CCX, Q(0, 1, 2), NULL, 0);
  check_op(c, 13, TSR_GATE_CP, Q(3, 4), P(-0.5), 1);
  tsr_circuit_free(c);
}

static void dialect_leniency(void **state) {
  (void)state;
  /* No header (QASMBench sat_n11), header after comments, CRLF, several
   * statements per line, a space before '(', comments after statements,
   * sx without a definition (Qiskit's later qelib1.inc). */
  tsr_circuit *c = read_ok("// comment first\r\n"
                           "include \"qelib1.inc\";\r\n"
                           "qreg q[2];  creg c[2];\r\n"
                           "u1 (-3*pi/8) q[0]; sx q[1]; // trailing\r\n"
                           "/* block\r\n comment */ cu1(pi) q[0],q[1];\r\n");
  assert_int_equal(c->nops, 3);
  check_op(c, 0, TSR_GATE_U1, Q(0), P(-3 * PI / 8), 1);
  check_op(c, 1, TSR_GATE_SX, Q(1), NULL, 0);
  check_op(c, 2, TSR_GATE_CU1, Q(0, 1), P(PI), 1);
  tsr_circuit_free(c);

  c = read_ok("// Name of Experiment\n/* more */\n\nOPENQASM 2.0;\ninclude \"qelib1.inc\";\n"
              "qreg q[1];\nsxdg q[0]; ms(0.1, 0.2, 0.3) q[0], q[0];\n");
  /* ms on the same qubit twice has no meaning: dropped with a warning */
  assert_int_equal(c->nops, 1);
  check_op(c, 0, TSR_GATE_SXDG, Q(0), NULL, 0);
  tsr_circuit_free(c);

  /* U and CX are built in: no include needed. Empty input is an empty circuit. */
  c = read_ok("OPENQASM 2.0;\nqreg q[2];\nU(0.1,0.2,0.3) q[0];\nCX q[0],q[1];\n");
  check_op(c, 0, TSR_GATE_U, Q(0), P(0.1, 0.2, 0.3), 3);
  check_op(c, 1, TSR_GATE_CX, Q(0, 1), NULL, 0);
  tsr_circuit_free(c);
  c = read_ok("");
  assert_int_equal(c->nops, 0);
  assert_int_equal(c->nqubits, 0);
  tsr_circuit_free(c);
  c = read_ok("OPENQASM 2.0;\n// only a comment\n");
  assert_int_equal(c->nops, 0);
  tsr_circuit_free(c);
  c = read_ok("\xef\xbb\xbfOPENQASM 2.0;\nqreg q[1];\n"); /* byte order mark */
  assert_int_equal(c->nqubits, 1);
  tsr_circuit_free(c);
}

static void opaque_gates(void **state) {
  (void)state;
  tsr_circuit *c = read_ok("OPENQASM 2.0; include \"qelib1.inc\";\n"
                           "opaque magic(a, b) x, y;\n"
                           "opaque blob x;\n"
                           "opaque rzz(t) a, b;\n" /* a catalogue gate: stays rzz */
                           "gate wrap(t) a, b { magic(t, 2*t) b, a; blob a; }\n"
                           "qreg q[2];\n"
                           "magic(0.5, 1) q[0], q[1];\n"
                           "wrap(0.25) q[0], q[1];\n"
                           "blob q;\n"
                           "rzz(0.1) q[0], q[1];\n");
  assert_int_equal(c->nops, 6);
  check_op(c, 0, TSR_GATE_OPAQUE, Q(0, 1), P(0.5, 1), 2);
  assert_string_equal(c->ops[0].name, "magic");
  check_op(c, 1, TSR_GATE_OPAQUE, Q(1, 0), P(0.25, 0.5), 2);
  assert_string_equal(c->ops[1].name, "magic");
  check_op(c, 2, TSR_GATE_OPAQUE, Q(0), NULL, 0);
  assert_string_equal(c->ops[2].name, "blob");
  check_op(c, 4, TSR_GATE_OPAQUE, Q(1), NULL, 0);
  check_op(c, 5, TSR_GATE_RZZ, Q(0, 1), P(0.1), 1);
  tsr_circuit_free(c);
}

static void definitions_shadowing_the_catalogue(void **state) {
  (void)state;
  /* QASMBench dnn_n33 defines ryy with a fixed angle: the definition wins. */
  tsr_circuit *c = read_ok("OPENQASM 2.0; include \"qelib1.inc\";\n"
                           "qreg q[2];\n"
                           "ryy(0.3) q[0], q[1];\n" /* before the definition: catalogue */
                           "gate ryy(param0) q0,q1 { rx(pi/2) q0; cx q0,q1; rz(4.0860617) q1; }\n"
                           "ryy(0.3) q[0], q[1];\n");
  assert_int_equal(c->nops, 4);
  check_op(c, 0, TSR_GATE_RYY, Q(0, 1), P(0.3), 1);
  check_op(c, 1, TSR_GATE_RX, Q(0), P(PI / 2), 1);
  check_op(c, 3, TSR_GATE_RZ, Q(1), P(4.0860617), 1);
  tsr_circuit_free(c);

  /* A faithful definition (here up to a global phase) keeps the catalogue
   * kind: that is how Tessera's own definitions read back. */
  c = read_ok("OPENQASM 2.0; include \"qelib1.inc\";\n"
              "gate rzz(theta) a, b { cx a, b; u1(theta) b; cx a, b; }\n"
              "gate ecr a, b { rzx(pi/4) a, b; x a; rzx(-pi/4) a, b; }\n"
              "gate rzx(theta) a, b { h b; cx a, b; rz(theta) b; cx a, b; h b; }\n"
              "gate gr(theta, phi) a, b, c, d, e, f, g { r(theta, phi) a; r(theta, phi) b;\n"
              "  r(theta, phi) c; r(theta, phi) d; r(theta, phi) e; r(theta, phi) f;\n"
              "  r(theta, phi) g; }\n"
              "qreg q[7];\n"
              "rzz(0.7) q[0], q[1];\n"
              "rzx(0.2) q[1], q[0];\n"
              "gr(0.1, 0.2) q[0], q[1], q[2], q[3], q[4], q[5], q[6];\n"
              "gr(0.1, 0.2) q[0], q[1];\n");
  assert_int_equal(c->nops, 4);
  check_op(c, 0, TSR_GATE_RZZ, Q(0, 1), P(0.7), 1);
  check_op(c, 1, TSR_GATE_RZX, Q(1, 0), P(0.2), 1);
  check_op(c, 2, TSR_GATE_GR, Q(0, 1, 2, 3, 4, 5, 6), P(0.1, 0.2), 2);
  check_op(c, 3, TSR_GATE_GR, Q(0, 1), P(0.1, 0.2), 2);
  tsr_circuit_free(c);
}

static void includes_relative_to_the_file(void **state) {
  (void)state;
  char dir[] = "/tmp/tsr_qasm_inc_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256], sub[256], main_path[256];
  snprintf(sub, sizeof sub, "%s/lib", dir);
  assert_int_equal(mkdir(sub, 0700), 0);
  snprintf(path, sizeof path, "%s/lib/mygates.inc", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("// my gates\ngate bell a, b { h a; cx a, b; }\n", f);
  fclose(f);
  snprintf(main_path, sizeof main_path, "%s/main.qasm", dir);
  f = fopen(main_path, "w");
  assert_non_null(f);
  fputs("OPENQASM 2.0;\ninclude \"qelib1.inc\";\ninclude \"lib/mygates.inc\";\n"
        "qreg q[2];\nbell q[0], q[1];\n",
        f);
  fclose(f);
  tsr_error err;
  tsr_circuit *c = NULL;
  assert_ok(tsr_qasm_read_file(main_path, &c, &err), &err);
  assert_int_equal(c->nops, 2);
  check_op(c, 1, TSR_GATE_CX, Q(0, 1), NULL, 0);
  tsr_circuit_free(c);
  /* An error inside the included file points into that file. */
  f = fopen(path, "w");
  fputs("gate bell a, b {\n  h a;\n  cz a;\n}\n", f);
  fclose(f);
  assert_int_equal(tsr_qasm_read_file(main_path, &c, &err), TSR_ERR_INPUT);
  assert_null(c);
  assert_string_equal(err.file, path);
  assert_int_equal(err.line, 3);
  assert_int_equal(err.col, 3);
  remove(path);
  remove(main_path);
  rmdir(sub);
  rmdir(dir);
}

/* Writer output reads back to the same circuit (the writer's own tests cover
 * this in depth; here: each gate kind alone, both versions). */
static void writer_output_reads_back(void **state) {
  (void)state;
  for (int k = TSR_GATE_ID; k < TSR_GATE_OPAQUE; k++) {
    const tsr_gate_info *info = tsr_gate_get((tsr_gate)k);
    if (!info || !(info->flags & TSR_GF_UNITARY)) continue;
    tsr_error err;
    tsr_circuit *c = tsr_circuit_new(&err);
    assert_ok(tsr_circuit_add_qreg(c, "q", 6, NULL, &err), &err);
    uint32_t q[6] = {3, 1, 4, 0, 5, 2};
    double p[4] = {0.25, -1.5, 2.75, 0.125};
    uint32_t nq = info->nqubits ? info->nqubits : 3;
    assert_ok(tsr_circuit_append_gate(c, (tsr_gate)k, q, nq, p, info->nparams, &err), &err);
    for (int v = 2; v <= 3; v++) {
      char *text = NULL;
      if (tsr_qasm_write_string(c, (tsr_qasm_version)v, &text, &err) != TSR_OK) continue;
      tsr_circuit *back = NULL;
      tsr_status st = tsr_qasm_read_string(text, strlen(text), "w.qasm", &back, &err);
      if (st != TSR_OK) {
        char buf[1024];
        fail_msg("%s (v%d): %s\n%s", info->name, v, tsr_error_format(&err, buf, sizeof buf), text);
      }
      if (!tsr_circuit_equal(c, back, 1e-12)) {
        fail_msg("%s (v%d) does not read back as itself:\n%s", info->name, v, text);
      }
      tsr_circuit_free(back);
      free(text);
    }
    tsr_circuit_free(c);
  }
}

static void limits_are_options(void **state) {
  (void)state;
  const char *text = "OPENQASM 2.0; include \"qelib1.inc\";\n"
                     "gate a x { h x; h x; }\n"
                     "gate b x { a x; a x; }\n"
                     "qreg q[4];\n"
                     "b q;\n";
  tsr_qasm_read_options opts = {.max_ops = 16};
  tsr_error err;
  tsr_circuit *c = NULL;
  assert_ok(tsr_qasm_read_string_ex(text, strlen(text), NULL, &opts, &c, &err), &err);
  assert_int_equal(c->nops, 16);
  tsr_circuit_free(c);
  opts.max_ops = 15;
  assert_int_equal(tsr_qasm_read_string_ex(text, strlen(text), NULL, &opts, &c, &err),
                   TSR_ERR_LIMIT);
  assert_null(c);
  assert_int_equal(err.line, 5);
  assert_int_equal(err.col, 1);
  assert_string_equal(err.file, "<input>");
  /* NULL error record and non-terminated text are fine. */
  char buf[] = {'q', 'r', 'e', 'g', ' ', 'q', '[', '1', ']', ';', 'X'};
  assert_int_equal(tsr_qasm_read_string(buf, 10, NULL, &c, NULL), TSR_OK);
  assert_int_equal(c->nqubits, 1);
  tsr_circuit_free(c);
}

/* Inputs the fuzzer found (run under the sanitizer build). */
static void fuzz_regressions(void **state) {
  (void)state;
  /* A parameterless user gate as the first call: the parameter stack was
   * still NULL and NULL + 0 is undefined behaviour. */
  tsr_circuit *c = read_ok("OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate a x { h x; h x; }\n"
                           "gate b x { a x; a x; }\ngate c x { b x; b x; }\nqreg q[4];\nc q;\n");
  assert_int_equal(c->nops, 32);
  tsr_circuit_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(basic_qasm2),
      cmocka_unit_test(broadcasting),
      cmocka_unit_test(gate_definitions_nest_and_substitute),
      cmocka_unit_test(expressions),
      cmocka_unit_test(wide_condition_values),
      cmocka_unit_test(condition_applies_to_every_expanded_op),
      cmocka_unit_test(qasm3_forms),
      cmocka_unit_test(qasm3_modifiers_aliases_and_slices),
      cmocka_unit_test(dialect_leniency),
      cmocka_unit_test(opaque_gates),
      cmocka_unit_test(definitions_shadowing_the_catalogue),
      cmocka_unit_test(includes_relative_to_the_file),
      cmocka_unit_test(writer_output_reads_back),
      cmocka_unit_test(limits_are_options),
      cmocka_unit_test(fuzz_regressions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
