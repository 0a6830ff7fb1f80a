/* Shared test support: pulls in cmocka in the order it needs, and helpers for
 * locating reference data and the built `tessera` command. */
#ifndef TSR_TEST_H
#define TSR_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka must come after the headers above. */
#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <stdio.h>

#include "tessera/core.h"

/* Path under the shared reference folder beside the checkout; written into
 * buf. Returns 1 if it exists. */
int tsr_test_shared_path(char *buf, size_t size, const char *relative);
/* Path under the source tree; written into buf. */
const char *tsr_test_source_path(char *buf, size_t size, const char *relative);
/* Skips the current test (cmocka skip) when the shared folder is missing. */
#define TSR_REQUIRE_SHARED(buf, rel)                                                               \
  do {                                                                                             \
    if (!tsr_test_shared_path((buf), sizeof(buf), (rel))) {                                        \
      print_message("shared data %s not found: skipping\n", (rel));                                \
      skip();                                                                                      \
    }                                                                                              \
  } while (0)

/* Asserts two doubles agree to an absolute tolerance, printing both. */
#define assert_close(a, b, tol)                                                                    \
  do {                                                                                             \
    double tsr_a_ = (a), tsr_b_ = (b);                                                             \
    if (!(fabs(tsr_a_ - tsr_b_) <= (tol))) {                                                       \
      fail_msg("%s = %.17g, %s = %.17g, differ by %.3g > %.3g", #a, tsr_a_, #b, tsr_b_,            \
               fabs(tsr_a_ - tsr_b_), (double)(tol));                                              \
    }                                                                                              \
  } while (0)

/* Asserts a status is TSR_OK, printing the error message otherwise. */
#define assert_ok(expr, errp)                                                                      \
  do {                                                                                             \
    tsr_status tsr_st_ = (expr);                                                                   \
    if (tsr_st_ != TSR_OK) {                                                                       \
      char tsr_buf_[1024];                                                                         \
      fail_msg("%s failed: %s", #expr, tsr_error_format((errp), tsr_buf_, sizeof tsr_buf_));       \
    }                                                                                              \
  } while (0)

/* Lists the files of a directory ending in suffix, sorted; returns the count
 * and a malloc'd array of malloc'd full paths (free with tsr_test_free_list). */
size_t tsr_test_list_files(const char *dir, const char *suffix, char ***out);
void tsr_test_free_list(char **list, size_t n);

#endif
