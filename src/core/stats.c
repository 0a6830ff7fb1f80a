/* Order statistics of samples (run reports, network and link samples). */
#include <math.h>
#include <stdlib.h>

#include "tessera/core.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y);
}

void tsr_sort_doubles(double *v, size_t n) {
  if (n > 1) qsort(v, n, sizeof *v, cmp_double);
}

double tsr_quantile_sorted(const double *v, size_t n, double q) {
  if (!v || n == 0 || !(q >= 0 && q <= 1)) return NAN;
  double pos = q * (double)(n - 1);
  size_t i = (size_t)pos;
  if (i + 1 >= n) return v[n - 1];
  return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}
