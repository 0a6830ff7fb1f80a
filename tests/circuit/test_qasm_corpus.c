/* OpenQASM reader on the shared reference circuits: every QASMBench file and
 * every pytket-dqc circuit reads, with the qubit counts their READMEs and
 * tables give (pytket-dqc: gate counts too). Three QASMBench files are not
 * valid OpenQASM and must fail with a located message instead. Skipped when
 * the shared folder is absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/circuit.h"
#include "tsr_test.h"

/* QASMBench 1.4 files that measure into registers they never declare
 * (`measure q[0] -> c[0];` after `qreg reg[4];` and no creg). */
static const struct {
  const char *name;
  int line, col;
} BROKEN[] = {
    {"vqe_uccsd_n4.qasm", 225, 9},
    {"vqe_uccsd_n6.qasm", 2286, 9},
    {"vqe_uccsd_n8.qasm", 10813, 9},
};

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* Qubit count of a QASMBench file from the README table, or -1. */
static long readme_qubits(const char *readme, const char *category, const char *file) {
  char key[512];
  snprintf(key, sizeof key, "| %s | %s |", category, file);
  const char *row = strstr(readme, key);
  if (!row) return -1;
  /* | category | file | source path | bytes | qubits | ... */
  const char *p = row;
  for (int bars = 0; bars < 4 && p; bars++) p = strchr(p + 1, '|');
  return p ? strtol(p + 1, NULL, 10) : -1;
}

static void read_category(const char *category) {
  char dir[4096], readme_path[4096], rel[64];
  snprintf(rel, sizeof rel, "qasmbench/%s", category);
  TSR_REQUIRE_SHARED(dir, rel);
  TSR_REQUIRE_SHARED(readme_path, "qasmbench/README.md");
  char *readme = NULL;
  tsr_error err;
  assert_ok(tsr_read_file(readme_path, &readme, NULL, &err), &err);
  char **files = NULL;
  size_t n = tsr_test_list_files(dir, ".qasm", &files);
  assert_true(n > 0);
  size_t checked = 0, broken = 0;
  for (size_t i = 0; i < n; i++) {
    const char *name = base_name(files[i]);
    tsr_circuit *c = NULL;
    tsr_status st = tsr_qasm_read_file(files[i], &c, &err);
    int expected_broken = -1;
    for (size_t b = 0; b < sizeof BROKEN / sizeof *BROKEN; b++) {
      if (strcmp(name, BROKEN[b].name) == 0) expected_broken = (int)b;
    }
    if (expected_broken >= 0) {
      assert_int_equal(st, TSR_ERR_INPUT);
      assert_int_equal(err.line, BROKEN[expected_broken].line);
      assert_int_equal(err.col, BROKEN[expected_broken].col);
      assert_non_null(strstr(err.message, "undeclared quantum register 'q'"));
      broken++;
      continue;
    }
    if (st != TSR_OK) {
      char buf[1024];
      fail_msg("%s does not read: %s", files[i], tsr_error_format(&err, buf, sizeof buf));
    }
    long qubits = readme_qubits(readme, category, name);
    if (qubits < 0) fail_msg("%s is not in the README table", name);
    if ((long)c->nqubits != qubits) {
      fail_msg("%s: %u qubits, README says %ld", name, c->nqubits, qubits);
    }
    assert_true(c->nops > 0);
    checked++;
    tsr_circuit_free(c);
  }
  print_message("qasmbench/%s: %zu files read with README qubit counts, %zu known-broken\n",
                category, checked, broken);
  tsr_test_free_list(files, n);
  free(readme);
}

static void qasmbench_small(void **state) {
  (void)state;
  read_category("small");
}

static void qasmbench_medium(void **state) {
  (void)state;
  read_category("medium");
}

static void qasmbench_large(void **state) {
  (void)state;
  read_category("large");
}

/* Files with peculiarities the reader must handle, checked in detail. */
static void qasmbench_details(void **state) {
  (void)state;
  char path[4096];
  TSR_REQUIRE_SHARED(path, "qasmbench/large/cc_n301.qasm");
  tsr_error err;
  tsr_circuit *c = NULL;
  /* 301-bit register compared with values beyond 64 bits. */
  assert_ok(tsr_qasm_read_file(path, &c, &err), &err);
  assert_int_equal(c->nqubits, 301);
  assert_int_equal(c->nconds, 603);
  size_t wide = 0;
  for (size_t i = 0; i < c->nconds; i++) {
    assert_int_equal(c->conds[i].nwords, 5);
    if (c->conds[i].value[1] || c->conds[i].value[2] || c->conds[i].value[3] ||
        c->conds[i].value[4]) {
      wide++;
    }
  }
  assert_true(wide > 0);
  tsr_circuit_free(c);

  /* No OPENQASM header. */
  TSR_REQUIRE_SHARED(path, "qasmbench/medium/sat_n11.qasm");
  assert_ok(tsr_qasm_read_file(path, &c, &err), &err);
  assert_int_equal(c->nqubits, 11);
  tsr_circuit_free(c);

  /* Twenty `cx qr[i],qr[i];` are dropped, everything else kept. */
  TSR_REQUIRE_SHARED(path, "qasmbench/large/random_QAOA_angles_k3_N1000_p1.qasm");
  assert_ok(tsr_qasm_read_file(path, &c, &err), &err);
  tsr_circuit_stats stats;
  assert_ok(tsr_circuit_compute_stats(c, &stats, &err), &err);
  assert_int_equal(c->nqubits, 1000);
  assert_int_equal(stats.measurements, 1000);
  tsr_circuit_free(c);

  /* ipea_n2: user gates used in conditions, resets, mid-circuit measure. */
  TSR_REQUIRE_SHARED(path, "qasmbench/small/ipea_n2.qasm");
  assert_ok(tsr_qasm_read_file(path, &c, &err), &err);
  assert_ok(tsr_circuit_compute_stats(c, &stats, &err), &err);
  assert_int_equal(stats.conditioned, 11);
  assert_int_equal(stats.resets, 3);
  assert_int_equal(stats.measurements, 4);
  /* 15 ctu calls of 4 gates each, plus h/u1 gates */
  assert_int_equal(stats.counts[TSR_GATE_CX], 30);
  tsr_circuit_free(c);

  /* dnn_n33 shadows the catalogue's ryy with fixed-angle definitions. */
  TSR_REQUIRE_SHARED(path, "qasmbench/large/dnn_n33.qasm");
  assert_ok(tsr_qasm_read_file(path, &c, &err), &err);
  assert_ok(tsr_circuit_compute_stats(c, &stats, &err), &err);
  assert_int_equal(stats.counts[TSR_GATE_RYY], 0);
  assert_true(stats.counts[TSR_GATE_RX] > 0);
  tsr_circuit_free(c);
}

/* Every pytket-dqc circuit, against circuits.csv: qubits and the counts of
 * cu1, rz and h. */
static void pytket_dqc_circuits(void **state) {
  (void)state;
  char csv_path[4096], dir[4096];
  TSR_REQUIRE_SHARED(csv_path, "compile/pytket-dqc/circuits.csv");
  TSR_REQUIRE_SHARED(dir, "compile/pytket-dqc");
  char *csv = NULL;
  tsr_error err;
  assert_ok(tsr_read_file(csv_path, &csv, NULL, &err), &err);
  size_t rows = 0;
  char *save = NULL;
  char *line = strtok_r(csv, "\n", &save); /* header */
  assert_non_null(line);
  assert_non_null(strstr(line, "file,source_uuid,circuit_type,n_qubits,n_2q_gates_table,cu1,rz,h"));
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    char file[512], uuid[128], type[128];
    long nq, n2q, cu1, rz, h;
    if (sscanf(line, "%511[^,],%127[^,],%127[^,],%ld,%ld,%ld,%ld,%ld", file, uuid, type, &nq, &n2q,
               &cu1, &rz, &h) != 8) {
      fail_msg("bad circuits.csv row: %s", line);
    }
    char path[4700];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    tsr_circuit *c = NULL;
    if (tsr_qasm_read_file(path, &c, &err) != TSR_OK) {
      char buf[1024];
      fail_msg("%s does not read: %s", path, tsr_error_format(&err, buf, sizeof buf));
    }
    tsr_circuit_stats stats;
    assert_ok(tsr_circuit_compute_stats(c, &stats, &err), &err);
    if ((long)c->nqubits != nq || (long)stats.counts[TSR_GATE_CU1] != cu1 ||
        (long)stats.counts[TSR_GATE_RZ] != rz || (long)stats.counts[TSR_GATE_H] != h) {
      fail_msg("%s: %u qubits, cu1 %llu, rz %llu, h %llu; table: %ld, %ld, %ld, %ld", file,
               c->nqubits, (unsigned long long)stats.counts[TSR_GATE_CU1],
               (unsigned long long)stats.counts[TSR_GATE_RZ],
               (unsigned long long)stats.counts[TSR_GATE_H], nq, cu1, rz, h);
    }
    tsr_circuit_free(c);
    rows++;
  }
  assert_int_equal(rows, 315);
  print_message("pytket-dqc: %zu circuits match circuits.csv\n", rows);
  free(csv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(qasmbench_small),     cmocka_unit_test(qasmbench_medium),
      cmocka_unit_test(qasmbench_large),     cmocka_unit_test(qasmbench_details),
      cmocka_unit_test(pytket_dqc_circuits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
