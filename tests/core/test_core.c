/* Core: error formatting, RNG reproducibility and statistics, JSON output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsr_test.h"

static void error_formats_location(void **state) {
  (void)state;
  tsr_error err;
  tsr_error_clear(&err);
  assert_int_equal(
      tsr_error_set_at(&err, TSR_ERR_INPUT, "a.qasm", 3, 7, "unknown gate '%s'", "foo"),
      TSR_ERR_INPUT);
  char buf[256];
  assert_string_equal(tsr_error_format(&err, buf, sizeof buf), "a.qasm:3:7: unknown gate 'foo'");
  tsr_error_prefix(&err, "while reading");
  assert_string_equal(tsr_error_format(&err, buf, sizeof buf),
                      "a.qasm:3:7: while reading: unknown gate 'foo'");
  tsr_error_set(&err, TSR_ERR_VALUE, "fidelity %.1f is outside [0, 1]", 1.3);
  assert_string_equal(tsr_error_format(&err, buf, sizeof buf), "fidelity 1.3 is outside [0, 1]");
  /* A NULL error record is allowed everywhere. */
  assert_int_equal(tsr_error_set(NULL, TSR_ERR_IO, "x"), TSR_ERR_IO);
}

static void rng_is_reproducible_and_streams_differ(void **state) {
  (void)state;
  tsr_rng a, b, c;
  tsr_rng_seed(&a, 42, 0);
  tsr_rng_seed(&b, 42, 0);
  tsr_rng_seed(&c, 42, 1);
  int same_c = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t x = tsr_rng_u64(&a), y = tsr_rng_u64(&b), z = tsr_rng_u64(&c);
    assert_true(x == y);
    same_c += (x == z);
  }
  assert_int_equal(same_c, 0);
}

static void rng_uniform_moments(void **state) {
  (void)state;
  tsr_rng r;
  tsr_rng_seed(&r, 7, 3);
  const int n = 200000;
  double sum = 0, sum2 = 0, nsum = 0, nsum2 = 0;
  uint64_t hist[10] = {0};
  for (int i = 0; i < n; i++) {
    double u = tsr_rng_uniform(&r);
    assert_true(u >= 0.0 && u < 1.0);
    sum += u;
    sum2 += u * u;
    hist[tsr_rng_below(&r, 10)]++;
    double g = tsr_rng_normal(&r);
    nsum += g;
    nsum2 += g * g;
  }
  assert_close(sum / n, 0.5, 0.005);
  assert_close(sum2 / n - (sum / n) * (sum / n), 1.0 / 12.0, 0.002);
  assert_close(nsum / n, 0.0, 0.01);
  assert_close(nsum2 / n, 1.0, 0.02);
  for (int k = 0; k < 10; k++) assert_close((double)hist[k] / n, 0.1, 0.005);
}

static void rng_geometric_and_exponential_means(void **state) {
  (void)state;
  tsr_rng r;
  tsr_rng_seed(&r, 11, 0);
  const int n = 100000;
  double gsum = 0, esum = 0;
  for (int i = 0; i < n; i++) {
    uint64_t k = tsr_rng_geometric(&r, 0.05);
    assert_true(k >= 1);
    gsum += (double)k;
    esum += tsr_rng_exponential(&r, 2.5);
  }
  assert_close(gsum / n, 20.0, 0.4);
  assert_close(esum / n, 2.5, 0.05);
  assert_true(tsr_rng_geometric(&r, 1.0) == 1);
  assert_true(tsr_rng_geometric(&r, 0.0) == UINT64_MAX);
}

static void rng_split_is_deterministic(void **state) {
  (void)state;
  tsr_rng a, b;
  tsr_rng_seed(&a, 5, 0);
  tsr_rng_seed(&b, 5, 0);
  tsr_rng ca = tsr_rng_split(&a), cb = tsr_rng_split(&b);
  assert_true(tsr_rng_u64(&ca) == tsr_rng_u64(&cb));
  assert_true(tsr_rng_u64(&a) == tsr_rng_u64(&b));
}

static void json_writes_valid_text(void **state) {
  (void)state;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  tsr_json *j = tsr_json_new(f, 0);
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "name", "a\"b\\c\n");
  tsr_json_kv_int(j, "n", -3);
  tsr_json_kv_double(j, "x", 0.1);
  tsr_json_kv_double(j, "nan", NAN);
  tsr_json_key(j, "list");
  tsr_json_array_begin(j);
  tsr_json_int(j, 1);
  tsr_json_bool(j, 1);
  tsr_json_null(j);
  tsr_json_array_end(j);
  tsr_json_key(j, "empty");
  tsr_json_object_begin(j);
  tsr_json_object_end(j);
  tsr_json_object_end(j);
  tsr_json_free(j);
  fclose(f);
  assert_string_equal(text, "{\"name\":\"a\\\"b\\\\c\\n\",\"n\":-3,\"x\":0.1,\"nan\":null,"
                            "\"list\":[1,true,null],\"empty\":{}}\n");
  free(text);
}

static void formats_durations(void **state) {
  (void)state;
  char buf[32];
  assert_string_equal(tsr_format_seconds(970e-6, 3, buf, sizeof buf), "970 us");
  assert_string_equal(tsr_format_seconds(1.5, 3, buf, sizeof buf), "1.5 s");
  assert_string_equal(tsr_format_seconds(7200.0, 3, buf, sizeof buf), "2 h");
  assert_string_equal(tsr_format_seconds(-0.0123, 2, buf, sizeof buf), "-12 ms");
  assert_string_equal(tsr_format_seconds(2e-10, 3, buf, sizeof buf), "0.2 ns");
  assert_string_equal(tsr_format_seconds(0.0, 3, buf, sizeof buf), "0");
  assert_string_equal(tsr_format_seconds(INFINITY, 3, buf, sizeof buf), "inf");
  assert_string_equal(tsr_format_seconds(NAN, 3, buf, sizeof buf), "-");
}

static void read_file_reports_missing_file(void **state) {
  (void)state;
  tsr_error err;
  char *buf = NULL;
  assert_int_equal(tsr_read_file("/nonexistent/x.qasm", &buf, NULL, &err), TSR_ERR_IO);
  assert_null(buf);
  assert_non_null(strstr(err.message, "/nonexistent/x.qasm"));
  assert_true(tsr_memory_total_bytes() > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(error_formats_location),
      cmocka_unit_test(rng_is_reproducible_and_streams_differ),
      cmocka_unit_test(rng_uniform_moments),
      cmocka_unit_test(rng_geometric_and_exponential_means),
      cmocka_unit_test(rng_split_is_deterministic),
      cmocka_unit_test(json_writes_valid_text),
      cmocka_unit_test(formats_durations),
      cmocka_unit_test(read_file_reports_missing_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
