/* State-vector kernels: the analysis that turns a matrix into the cheapest
 * kernel, the kernels themselves (portable C for double and float, AVX-512
 * for double, picked at run time), and deterministic reductions.
 *
 * Layout: amplitude i is at a[2i] (re), a[2i+1] (im); index bit k = qubit k.
 * A gate on targets T with controls C touches groups of 2^|T| amplitudes:
 * the free index j in [0, 2^(n-|T|-|C|)) gets zero bits inserted at the
 * sorted positions T u C, the control bits set, and the targets' offsets
 * added. The loop over j is parallel (OpenMP, static schedule) and SIMD:
 *
 *   - when every position is >= 2, four consecutive j are four consecutive
 *     amplitudes: one 512-bit register (4 complex doubles) per group member,
 *     a complex multiply is a permute + mul + fmaddsub (X and SWAP only move
 *     registers, CZ-like phases only touch the amplitudes with every control
 *     set);
 *   - a 1-qubit gate on qubit 0 or 1 works inside a register (the pair sits
 *     in one 512-bit vector) with lane permutes;
 *   - a dense k-qubit block (2 <= k <= 5, fused gates) is vectorised over the
 *     matrix rows: out[rows 4b..4b+3] += M[rows][c] * v[c] with v[c]
 *     broadcast, two FMAs per four complex multiply-adds, for any targets.
 *
 * Everything else (low controls, k > 5, float) runs the portable kernels in
 * sv_scalar.inc, which the compiler vectorises where it can. */
#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* clang 14 does not carry a function's target("avx512f") into the OpenMP
 * regions outlined from it, so with clang (the fuzz build) the portable
 * kernels are used. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define SVK_HAVE_X86 1
#else
#define SVK_HAVE_X86 0
#endif

#include "sim/sim_internal.h"

/* Below this many groups a kernel runs on one thread. */
#define SVK_PAR_MIN (UINT64_C(1) << 13)

#define REAL double
#define SFX  _d
#include "sv_scalar.inc"
#undef REAL
#undef SFX
#define REAL float
#define SFX  _f
#include "sv_scalar.inc"
#undef REAL
#undef SFX

/* ------------------------------------------------------------ SIMD level */

static atomic_int simd_max_level = -1;
static atomic_int simd_level = -1;

static int detect_simd(void) {
#if SVK_HAVE_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 2;
#endif
  return 0;
}

int svk_simd_level(void) {
  int l = atomic_load(&simd_level);
  if (l < 0) {
    int d = detect_simd();
    atomic_store(&simd_max_level, d);
    atomic_store(&simd_level, d);
    l = d;
  }
  return l;
}

int svk_set_simd(int level) {
  svk_simd_level();
  int max = atomic_load(&simd_max_level);
  if (level > max) level = max;
  if (level < 0) level = 0;
  atomic_store(&simd_level, level);
  return level;
}

const char *tsr_sim_simd_name(void) {
  switch (svk_simd_level()) {
  case 2:
    return "avx512";
  case 1:
    return "avx2";
  default:
    return "scalar";
  }
}

int svk_threads(const struct tsr_statevec *sv) {
  return sv->threads > 0 ? sv->threads : omp_get_max_threads();
}

/* -------------------------------------------------------- AVX-512 kernels */

#if SVK_HAVE_X86
#define SVK_AVX512 __attribute__((target("avx512f")))

/* Splits [0, count) in steps of w statically over the team. */
static inline void svk_split(uint64_t count, uint64_t w, uint64_t *j0, uint64_t *j1) {
  const uint64_t chunks = count / w, nt = (uint64_t)omp_get_num_threads();
  const uint64_t id = (uint64_t)omp_get_thread_num(), per = (chunks + nt - 1) / nt;
  *j0 = (id * per < chunks ? id * per : chunks) * w;
  *j1 = ((id + 1) * per < chunks ? (id + 1) * per : chunks) * w;
}

/* How many consecutive free indices j map to consecutive amplitudes: up to
 * the first inserted position >= 2 (positions 0 and 1 sit inside a vector). */
static inline uint64_t svk_seg(const uint32_t *pos, unsigned m) {
  unsigned c = 0;
  while (c < m && pos[c] < 2) c++;
  return c < m ? UINT64_C(1) << (pos[c] - c) : UINT64_MAX;
}

/* Runs the body (the macro's last arguments) with b = svk_insert_zeros(j, pos, m) | cmask for j =
 * 0, W, 2W,
 * ... below count, split statically over the threads. b is recomputed only
 * where consecutive j stop mapping to consecutive amplitudes; in between it
 * advances by STEP amplitudes (the index arithmetic leaves the inner loop). */
#define SVK_RUNS(W, STEP, ...)                                                                     \
  do {                                                                                             \
    const uint64_t seg_ = svk_seg(pos, m);                                                         \
    _Pragma("omp parallel num_threads(th) if (par)") {                                             \
      uint64_t j0_, j1_;                                                                           \
      svk_split(count, (W), &j0_, &j1_);                                                           \
      uint64_t b = svk_insert_zeros(j0_, pos, m) | cmask;                                          \
      for (uint64_t j_ = j0_; j_ < j1_; j_ += (W), b += (STEP)) {                                  \
        if (j_ != j0_ && (j_ & (seg_ - 1)) == 0) b = svk_insert_zeros(j_, pos, m) | cmask;         \
        __VA_ARGS__                                                                                \
      }                                                                                            \
    }                                                                                              \
  } while (0)

/* v * (cr + i ci) with cr, ci holding the real and imaginary parts per lane
 * (broadcast or per complex lane). */
SVK_AVX512 static inline __m512d cmul512(__m512d v, __m512d cr, __m512d ci) {
  __m512d vs = _mm512_permute_pd(v, 0x55);
  return _mm512_fmaddsub_pd(v, cr, _mm512_mul_pd(vs, ci));
}

SVK_AVX512 static void phase_avx512(double *a, uint64_t dim, const uint32_t *pos, unsigned m,
                                    uint64_t cmask, double complex ph, int th) {
  const uint64_t count = dim >> m;
  const __m512d pr = _mm512_set1_pd(creal(ph)), pi = _mm512_set1_pd(cimag(ph));
  const int par = th > 1 && count >= SVK_PAR_MIN * 4;
  if (creal(ph) == -1.0 && cimag(ph) == 0.0) {
    const __m512d neg = _mm512_set1_pd(-1.0);
    SVK_RUNS(4, 4, {
      double *p = a + 2 * b;
      _mm512_store_pd(p, _mm512_mul_pd(_mm512_load_pd(p), neg));
    });
    return;
  }
  SVK_RUNS(4, 4, {
    double *p = a + 2 * b;
    _mm512_store_pd(p, cmul512(_mm512_load_pd(p), pr, pi));
  });
}

SVK_AVX512 static void x_avx512(double *a, uint64_t dim, const uint32_t *pos, unsigned m,
                                uint64_t cmask, unsigned t, int th) {
  const uint64_t count = dim >> m, st = UINT64_C(1) << t;
  const int par = th > 1 && count >= SVK_PAR_MIN * 4;
  if (t >= 2) {
    SVK_RUNS(4, 4, {
      double *p0 = a + 2 * b, *p1 = a + 2 * (b | st);
      const __m512d v0 = _mm512_load_pd(p0), v1 = _mm512_load_pd(p1);
      _mm512_store_pd(p0, v1);
      _mm512_store_pd(p1, v0);
    });
  } else if (t == 0) { /* pairs inside one register; j steps over two pairs */
    SVK_RUNS(2, 4, {
      double *p = a + 2 * b;
      _mm512_store_pd(p, _mm512_permutex_pd(_mm512_load_pd(p), 0x4E));
    });
  } else {
    SVK_RUNS(2, 4, {
      double *p = a + 2 * b;
      const __m512d v = _mm512_load_pd(p);
      _mm512_store_pd(p, _mm512_shuffle_f64x2(v, v, 0x4E));
    });
  }
}

SVK_AVX512 static void swap_avx512(double *a, uint64_t dim, const uint32_t *pos, unsigned m,
                                   uint64_t cmask, unsigned t0, unsigned t1, int th) {
  const uint64_t count = dim >> m, s0 = UINT64_C(1) << t0, s1 = UINT64_C(1) << t1;
  const int par = th > 1 && count >= SVK_PAR_MIN * 4;
  SVK_RUNS(4, 4, {
    double *p0 = a + 2 * (b | s0), *p1 = a + 2 * (b | s1);
    const __m512d v0 = _mm512_load_pd(p0), v1 = _mm512_load_pd(p1);
    _mm512_store_pd(p0, v1);
    _mm512_store_pd(p1, v0);
  });
}

/* Per-lane coefficient vectors for a pair inside a register: lane l (of 4
 * complex lanes) belongs to row (l >> t) & 1 for t = 0 or 1. */
SVK_AVX512 static inline void lane_coeffs(unsigned t, double complex c0, double complex c1,
                                          __m512d *cr, __m512d *ci) {
  double r[8], i[8];
  for (int l = 0; l < 4; l++) {
    double complex c = ((l >> t) & 1) ? c1 : c0;
    r[2 * l] = r[2 * l + 1] = creal(c);
    i[2 * l] = i[2 * l + 1] = cimag(c);
  }
  *cr = _mm512_loadu_pd(r);
  *ci = _mm512_loadu_pd(i);
}

SVK_AVX512 static void diag1_avx512(double *a, uint64_t dim, const uint32_t *pos, unsigned m,
                                    uint64_t cmask, unsigned t, const double complex *d, int th) {
  const uint64_t count = dim >> m, st = UINT64_C(1) << t;
  const int par = th > 1 && count >= SVK_PAR_MIN * 4;
  if (t >= 2) {
    const __m512d d0r = _mm512_set1_pd(creal(d[0])), d0i = _mm512_set1_pd(cimag(d[0]));
    const __m512d d1r = _mm512_set1_pd(creal(d[1])), d1i = _mm512_set1_pd(cimag(d[1]));
    SVK_RUNS(4, 4, {
      double *p0 = a + 2 * b, *p1 = a + 2 * (b | st);
      _mm512_store_pd(p0, cmul512(_mm512_load_pd(p0), d0r, d0i));
      _mm512_store_pd(p1, cmul512(_mm512_load_pd(p1), d1r, d1i));
    });
  } else {
    __m512d dr, di;
    lane_coeffs(t, d[0], d[1], &dr, &di);
    SVK_RUNS(2, 4, {
      double *p = a + 2 * b;
      _mm512_store_pd(p, cmul512(_mm512_load_pd(p), dr, di));
    });
  }
}

SVK_AVX512 static void dense1_avx512(double *a, uint64_t dim, const uint32_t *pos, unsigned m,
                                     uint64_t cmask, unsigned t, const double complex *u, int th) {
  const uint64_t count = dim >> m, st = UINT64_C(1) << t;
  const int par = th > 1 && count >= SVK_PAR_MIN * 4;
  if (t >= 2) {
    const __m512d m00r = _mm512_set1_pd(creal(u[0])), m00i = _mm512_set1_pd(cimag(u[0]));
    const __m512d m01r = _mm512_set1_pd(creal(u[1])), m01i = _mm512_set1_pd(cimag(u[1]));
    const __m512d m10r = _mm512_set1_pd(creal(u[2])), m10i = _mm512_set1_pd(cimag(u[2]));
    const __m512d m11r = _mm512_set1_pd(creal(u[3])), m11i = _mm512_set1_pd(cimag(u[3]));
    SVK_RUNS(4, 4, {
      double *p0 = a + 2 * b, *p1 = a + 2 * (b | st);
      const __m512d A = _mm512_load_pd(p0), B = _mm512_load_pd(p1);
      const __m512d As = _mm512_permute_pd(A, 0x55), Bs = _mm512_permute_pd(B, 0x55);
      __m512d r0 = _mm512_fmadd_pd(Bs, m01i, _mm512_mul_pd(As, m00i));
      r0 = _mm512_fmadd_pd(B, m01r, _mm512_fmaddsub_pd(A, m00r, r0));
      __m512d r1 = _mm512_fmadd_pd(Bs, m11i, _mm512_mul_pd(As, m10i));
      r1 = _mm512_fmadd_pd(B, m11r, _mm512_fmaddsub_pd(A, m10r, r1));
      _mm512_store_pd(p0, r0);
      _mm512_store_pd(p1, r1);
    });
    return;
  }
  /* v = four complex lanes holding two pairs; lane l is row (l >> t) & 1.
     out = C0 * dup(first members) + C1 * dup(second members). */
  __m512d c0r, c0i, c1r, c1i;
  lane_coeffs(t, u[0], u[2], &c0r, &c0i); /* column 0: m00 on row 0, m10 on row 1 */
  lane_coeffs(t, u[1], u[3], &c1r, &c1i); /* column 1 */
#define SVK_DENSE1_INREG(DUP_A, DUP_B)                                                             \
  SVK_RUNS(2, 4, {                                                                                 \
    double *p = a + 2 * b;                                                                         \
    const __m512d v = _mm512_load_pd(p);                                                           \
    const __m512d A = DUP_A, B = DUP_B;                                                            \
    const __m512d As = _mm512_permute_pd(A, 0x55), Bs = _mm512_permute_pd(B, 0x55);                \
    __m512d r = _mm512_fmadd_pd(Bs, c1i, _mm512_mul_pd(As, c0i));                                  \
    r = _mm512_fmadd_pd(B, c1r, _mm512_fmaddsub_pd(A, c0r, r));                                    \
    _mm512_store_pd(p, r);                                                                         \
  })
  if (t == 0) {
    SVK_DENSE1_INREG(_mm512_permutex_pd(v, 0x44), _mm512_permutex_pd(v, 0xEE));
  } else {
    SVK_DENSE1_INREG(_mm512_shuffle_f64x2(v, v, 0x44), _mm512_shuffle_f64x2(v, v, 0xEE));
  }
#undef SVK_DENSE1_INREG
}

SVK_AVX512 static void diagk_avx512(double *a, uint64_t dim, const uint32_t *pos, unsigned m,
                                    uint64_t cmask, const uint64_t *offs, unsigned k,
                                    const double complex *d, int th) {
  const uint64_t count = dim >> m, nd = UINT64_C(1) << k;
  const int par = th > 1 && count >= SVK_PAR_MIN * 4;
  SVK_RUNS(4, 4, {
    for (uint64_t l = 0; l < nd; l++) {
      double *p = a + 2 * (b + offs[l]);
      _mm512_store_pd(
          p, cmul512(_mm512_load_pd(p), _mm512_set1_pd(creal(d[l])), _mm512_set1_pd(cimag(d[l]))));
    }
  });
}

/* Dense 2^K x 2^K (K = 2, 3) with every target and control >= 2: four
 * consecutive groups at once, one register per group member; out_r =
 * sum_c V_c * Re m_rc + swap(V_c) * (-Im, Im) m_rc. Fewer loads and stores
 * than the row-vectorised kernel. */
SVK_AVX512 static inline __attribute__((always_inline)) void
densec_body(double *a, uint64_t count, const uint32_t *pos, unsigned m, uint64_t cmask,
            const uint64_t *offs, const double *e, int th, const int K) {
  const int ND = 1 << K;
  const int par = th > 1 && count >= SVK_PAR_MIN * 4;
  SVK_RUNS(4, 4, {
    __m512d v[8], vs[8];
    for (int c = 0; c < ND; c++) {
      v[c] = _mm512_load_pd(a + 2 * (b + offs[c]));
      vs[c] = _mm512_permute_pd(v[c], 0x55);
    }
    for (int r = 0; r < ND; r++) {
      const double *er = e + (size_t)r * ND * 16;
      __m512d acc = _mm512_mul_pd(v[0], _mm512_load_pd(er));
      acc = _mm512_fmadd_pd(vs[0], _mm512_load_pd(er + 8), acc);
      for (int c = 1; c < ND; c++) {
        acc = _mm512_fmadd_pd(v[c], _mm512_load_pd(er + 16 * c), acc);
        acc = _mm512_fmadd_pd(vs[c], _mm512_load_pd(er + 16 * c + 8), acc);
      }
      _mm512_store_pd(a + 2 * (b + offs[r]), acc);
    }
  });
}

SVK_AVX512 static void densec_avx512(double *a, uint64_t dim, const uint32_t *pos, unsigned m,
                                     uint64_t cmask, const uint64_t *offs, unsigned k,
                                     const double *e, int th) {
  const uint64_t count = dim >> m;
  if (k == 2) {
    densec_body(a, count, pos, m, cmask, offs, e, th, 2);
  } else {
    densec_body(a, count, pos, m, cmask, offs, e, th, 3);
  }
}

/* Sparse 2^K x 2^K (K = 2..4) with every position >= 2: four consecutive
 * groups at once; e holds per row and entry 8 x Re, then (-Im, Im) x 4. */
SVK_AVX512 static inline __attribute__((always_inline)) void
sparse_body(double *a, uint64_t count, const uint32_t *pos, unsigned m, uint64_t cmask,
            const uint64_t *offs, const double *e, const uint8_t (*cols)[4], unsigned spn, int th,
            const int K) {
  const int ND = 1 << K;
  const int par = th > 1 && count >= SVK_PAR_MIN * 4;
  SVK_RUNS(4, 4, {
    __m512d v[16];
    for (int c = 0; c < ND; c++) v[c] = _mm512_load_pd(a + 2 * (b + offs[c]));
    for (int r = 0; r < ND; r++) {
      const double *er = e + (size_t)r * 4 * 16;
      __m512d acc = _mm512_setzero_pd();
      for (unsigned t = 0; t < spn; t++) {
        const __m512d x = v[cols[r][t]];
        acc = _mm512_fmadd_pd(x, _mm512_load_pd(er + 16 * t), acc);
        acc = _mm512_fmadd_pd(_mm512_permute_pd(x, 0x55), _mm512_load_pd(er + 16 * t + 8), acc);
      }
      _mm512_store_pd(a + 2 * (b + offs[r]), acc);
    }
  });
}

SVK_AVX512 static void sparse_avx512(double *a, uint64_t dim, const uint32_t *pos, unsigned m,
                                     uint64_t cmask, const uint64_t *offs, unsigned k,
                                     const double *e, const uint8_t (*cols)[4], unsigned spn,
                                     int th) {
  const uint64_t count = dim >> m;
  switch (k) {
  case 2:
    sparse_body(a, count, pos, m, cmask, offs, e, cols, spn, th, 2);
    break;
  case 3:
    sparse_body(a, count, pos, m, cmask, offs, e, cols, spn, th, 3);
    break;
  default:
    sparse_body(a, count, pos, m, cmask, offs, e, cols, spn, th, 4);
    break;
  }
}

/* Complex lane j of a register (AVX-512F has no 64x2 extract without DQ). */
#define lane128(v, j) _mm_castps_pd(_mm512_extractf32x4_ps(_mm512_castpd_ps(v), (j)))

/* Dense 2^K x 2^K, vectorised over rows. simd holds, per column c and row
 * block b, P = (Re, Im) of M[4b..4b+3][c] and Q = (-Im, Re) of the same, so
 * that out += P * Re v[c] + Q * Im v[c]. Inlined once per K so that the
 * accumulators live in registers. */
SVK_AVX512 static inline __attribute__((always_inline)) void
densek_body(double *a, uint64_t count, const uint32_t *pos, unsigned m, uint64_t cmask,
            const uint64_t *offs, const double *simd, int contiguous, int th, const int K) {
  const int ND = 1 << K, NB = ND / 4;
  const int par = th > 1 && count >= SVK_PAR_MIN / (uint64_t)ND;
#pragma omp parallel for schedule(static) num_threads(th) if (par)
  for (uint64_t j = 0; j < count; j++) {
    const uint64_t b = svk_insert_zeros(j, pos, m) | cmask;
    __m512d acc[8];
    for (int r = 0; r < NB; r++) acc[r] = _mm512_setzero_pd();
    for (int c = 0; c < ND; c++) {
      const double *src = a + 2 * (b + offs[c]);
      const __m512d vr = _mm512_set1_pd(src[0]), vi = _mm512_set1_pd(src[1]);
      const double *mc = simd + (size_t)c * (size_t)NB * 16;
      for (int r = 0; r < NB; r++) {
        acc[r] = _mm512_fmadd_pd(_mm512_load_pd(mc + 16 * r), vr, acc[r]);
        acc[r] = _mm512_fmadd_pd(_mm512_load_pd(mc + 16 * r + 8), vi, acc[r]);
      }
    }
    for (int r = 0; r < NB; r++) {
      double *d0 = a + 2 * (b + offs[4 * r]);
      if (contiguous) {
        _mm512_store_pd(d0, acc[r]);
      } else {
        _mm_store_pd(d0, _mm512_castpd512_pd128(acc[r]));
        _mm_store_pd(a + 2 * (b + offs[4 * r + 1]), lane128(acc[r], 1));
        _mm_store_pd(a + 2 * (b + offs[4 * r + 2]), lane128(acc[r], 2));
        _mm_store_pd(a + 2 * (b + offs[4 * r + 3]), lane128(acc[r], 3));
      }
    }
  }
}

SVK_AVX512 static void densek_avx512(double *a, uint64_t dim, const uint32_t *pos, unsigned m,
                                     uint64_t cmask, const uint64_t *offs, unsigned k,
                                     const double *simd, int contiguous, int th) {
  const uint64_t count = dim >> m;
  switch (k) {
  case 2:
    densek_body(a, count, pos, m, cmask, offs, simd, contiguous, th, 2);
    break;
  case 3:
    densek_body(a, count, pos, m, cmask, offs, simd, contiguous, th, 3);
    break;
  case 4:
    densek_body(a, count, pos, m, cmask, offs, simd, contiguous, th, 4);
    break;
  default:
    densek_body(a, count, pos, m, cmask, offs, simd, contiguous, th, 5);
    break;
  }
}
#endif /* SVK_HAVE_X86 */

/* ---------------------------------------------------------------- analysis */

#define SVK_EPS 1e-13

static int near(double complex a, double complex b) {
  return fabs(creal(a) - creal(b)) <= SVK_EPS && fabs(cimag(a) - cimag(b)) <= SVK_EPS;
}

/* Doubles of an op's SIMD layouts: the row-blocked one (any targets) and,
 * for k <= 3, the per-entry one of the contiguous kernel. */
static size_t simd_doubles(unsigned k) {
  const size_t nd = (size_t)1 << k, nb = nd / 4;
  return nd * nb * 16 + (k <= 3 ? nd * nd * 16 : 0);
}

static tsr_status fill_simd(svk_op *op, tsr_error *err) {
  const unsigned k = op->k;
  const size_t nd = (size_t)1 << k, nb = nd / 4;
  op->simd = tsr_aligned_alloc(simd_doubles(k) * sizeof(double), err);
  if (!op->simd) return err ? err->status : TSR_ERR_NOMEM;
  if (k <= 3) { /* entry (r, c): 8 x Re, then (-Im, Im) x 4 */
    double *e = op->simd + nd * nb * 16;
    for (size_t r = 0; r < nd; r++) {
      for (size_t c = 0; c < nd; c++) {
        const double complex v = op->m[r * nd + c];
        double *d = e + (r * nd + c) * 16;
        for (int l = 0; l < 4; l++) {
          d[2 * l] = d[2 * l + 1] = creal(v);
          d[8 + 2 * l] = -cimag(v);
          d[8 + 2 * l + 1] = cimag(v);
        }
      }
    }
  }
  for (size_t c = 0; c < nd; c++) {
    for (size_t b = 0; b < nb; b++) {
      double *blk = op->simd + (c * nb + b) * 16;
      for (size_t l = 0; l < 4; l++) {
        const double complex v = op->m[(4 * b + l) * nd + c];
        blk[2 * l] = creal(v);
        blk[2 * l + 1] = cimag(v);
        blk[8 + 2 * l] = -cimag(v);
        blk[8 + 2 * l + 1] = creal(v);
      }
    }
  }
  return TSR_OK;
}

tsr_status svk_dense_op(const double complex *m, const uint32_t *qubits, unsigned k, svk_op *out,
                        tsr_error *err) {
  memset(out, 0, sizeof *out);
  if (k == 0 || k > SVK_MAX_K) {
    return tsr_error_set(err, TSR_ERR_VALUE, "a dense block acts on 1 to %d qubits, not %u",
                         SVK_MAX_K, k);
  }
  out->k = k;
  memcpy(out->targets, qubits, k * sizeof *qubits);
  if (k == 1) {
    out->kind = SVK_DENSE1;
    memcpy(out->m1, m, 4 * sizeof *m);
    svk_op_finalize(out);
    return TSR_OK;
  }
  const size_t nd = (size_t)1 << k;
  out->kind = SVK_DENSE;
  out->m = tsr_malloc(nd * nd * sizeof *out->m, err);
  if (!out->m) return err ? err->status : TSR_ERR_NOMEM;
  memcpy(out->m, m, nd * nd * sizeof *m);
  if (k <= SVK_SIMD_MAX_K) {
    tsr_status st = fill_simd(out, err);
    if (st != TSR_OK) {
      svk_op_release(out);
      return st;
    }
  }
  svk_op_finalize(out);
  return TSR_OK;
}

/* Expands a local index over the targets (bits at target slots) with every
 * control slot set. */
static size_t expand_local(size_t r, const unsigned *tslot, unsigned kt, size_t cbits) {
  size_t x = cbits;
  for (unsigned j = 0; j < kt; j++) {
    if ((r >> j) & 1) x |= (size_t)1 << tslot[j];
  }
  return x;
}

tsr_status svk_analyse(const double complex *m, const uint32_t *qubits, unsigned k, svk_op *out,
                       tsr_error *err) {
  memset(out, 0, sizeof *out);
  if (k == 0 || k > SVK_MAX_K) {
    return tsr_error_set(err, TSR_ERR_VALUE, "a matrix acts on 1 to %d qubits, not %u", SVK_MAX_K,
                         k);
  }
  const size_t d = (size_t)1 << k;
  /* Operand j is a control when the matrix is the identity on every row and
     column whose bit j is 0. */
  unsigned tslot[SVK_MAX_K], kt = 0;
  size_t cbits = 0;
  for (unsigned j = 0; j < k; j++) {
    int ctrl = 1;
    for (size_t r = 0; r < d && ctrl; r++) {
      for (size_t c = 0; c < d; c++) {
        if (((r >> j) & 1) && ((c >> j) & 1)) continue;
        if (!near(m[r * d + c], r == c ? 1.0 : 0.0)) {
          ctrl = 0;
          break;
        }
      }
    }
    if (ctrl) {
      cbits |= (size_t)1 << j;
      out->cmask |= UINT64_C(1) << qubits[j];
    } else {
      tslot[kt] = j;
      out->targets[kt++] = qubits[j];
    }
  }
  out->k = kt;
  if (kt == 0) {
    out->phase = m[d * d - 1];
    out->kind = near(out->phase, 1.0) ? SVK_IDENTITY : SVK_PHASE;
    svk_op_finalize(out);
    return TSR_OK;
  }
  const size_t dt = (size_t)1 << kt;
  double complex ubuf[16];
  double complex *u = ubuf;
  if (dt * dt > 16) {
    u = tsr_malloc(dt * dt * sizeof *u, err);
    if (!u) return err ? err->status : TSR_ERR_NOMEM;
  }
  int diag = 1;
  for (size_t r = 0; r < dt; r++) {
    const size_t rr = expand_local(r, tslot, kt, cbits);
    for (size_t c = 0; c < dt; c++) {
      const size_t cc = expand_local(c, tslot, kt, cbits);
      u[r * dt + c] = m[rr * d + cc];
      if (r != c && !near(u[r * dt + c], 0.0)) diag = 0;
    }
  }
  tsr_status st = TSR_OK;
  if (kt == 1) {
    if (diag) {
      out->kind = SVK_DIAG1;
      out->m1[0] = u[0];
      out->m1[1] = u[3];
    } else if (near(u[0], 0) && near(u[1], 1) && near(u[2], 1) && near(u[3], 0)) {
      out->kind = SVK_X;
    } else {
      out->kind = SVK_DENSE1;
      memcpy(out->m1, u, 4 * sizeof *u);
    }
  } else if (diag) {
    out->kind = SVK_DIAG;
    out->m = tsr_malloc(dt * sizeof *out->m, err);
    if (!out->m) {
      st = err ? err->status : TSR_ERR_NOMEM;
    } else {
      for (size_t r = 0; r < dt; r++) out->m[r] = u[r * dt + r];
    }
  } else {
    int swap = kt == 2;
    for (size_t r = 0; r < 4 && swap; r++) {
      for (size_t c = 0; c < 4; c++) {
        const size_t perm = (r == 1) ? 2 : (r == 2) ? 1 : r;
        if (!near(u[r * 4 + c], c == perm ? 1.0 : 0.0)) {
          swap = 0;
          break;
        }
      }
    }
    /* at most 2^kt / 4 nonzeros in every row: the sparse kernel */
    unsigned maxnz = 0;
    for (size_t r = 0; r < dt && kt >= 2 && kt <= 4; r++) {
      unsigned nz = 0;
      for (size_t c = 0; c < dt; c++) nz += !near(u[r * dt + c], 0.0);
      if (nz > maxnz) maxnz = nz;
    }
    const int sparse = kt >= 2 && kt <= 4 && maxnz <= dt / 4;
    if (swap) {
      out->kind = SVK_SWAP;
    } else if (sparse) {
      out->kind = SVK_SPARSE;
      out->spn = maxnz;
      out->m = tsr_malloc(dt * dt * sizeof *out->m, err);
      out->simd = out->m ? tsr_aligned_alloc(dt * 4 * 16 * sizeof(double), err) : NULL;
      if (!out->m || !out->simd) {
        svk_op_release(out);
        st = err ? err->status : TSR_ERR_NOMEM;
      } else {
        memcpy(out->m, u, dt * dt * sizeof *u);
        memset(out->simd, 0, dt * 4 * 16 * sizeof(double));
        memset(out->spcol, 0, sizeof out->spcol);
        for (size_t r = 0; r < dt; r++) {
          unsigned t = 0;
          for (size_t c = 0; c < dt; c++) {
            if (near(u[r * dt + c], 0.0)) continue;
            out->spcol[r][t] = (uint8_t)c;
            double *d = out->simd + (r * 4 + t) * 16;
            for (int l = 0; l < 4; l++) {
              d[2 * l] = d[2 * l + 1] = creal(u[r * dt + c]);
              d[8 + 2 * l] = -cimag(u[r * dt + c]);
              d[8 + 2 * l + 1] = cimag(u[r * dt + c]);
            }
            t++;
          }
          /* padding entries: a column whose entry is (near) zero, weight 0 */
          for (size_t c = 0; t < maxnz && c < dt; c++) {
            if (near(u[r * dt + c], 0.0)) out->spcol[r][t++] = (uint8_t)c;
          }
        }
      }
    } else {
      uint64_t cmask = out->cmask;
      uint32_t targets[SVK_MAX_K];
      memcpy(targets, out->targets, kt * sizeof *targets);
      st = svk_dense_op(u, targets, kt, out, err);
      out->cmask = cmask;
    }
  }
  if (u != ubuf) free(u);
  if (st == TSR_OK) svk_op_finalize(out);
  return st;
}

void svk_op_release(svk_op *op) {
  if (!op) return;
  free(op->m);
  tsr_aligned_free(op->simd);
  op->m = NULL;
  op->simd = NULL;
}

tsr_status svk_op_copy(svk_op *dst, const svk_op *src, tsr_error *err) {
  *dst = *src;
  dst->m = NULL;
  dst->simd = NULL;
  const size_t nd = (size_t)1 << src->k;
  if (src->m) {
    const size_t count = src->kind == SVK_DIAG ? nd : nd * nd; /* dense and sparse: nd^2 */
    dst->m = tsr_malloc(count * sizeof *dst->m, err);
    if (!dst->m) return err ? err->status : TSR_ERR_NOMEM;
    memcpy(dst->m, src->m, count * sizeof *dst->m);
  }
  if (src->simd) {
    const size_t bytes =
        (src->kind == SVK_SPARSE ? nd * 4 * 16 : simd_doubles(src->k)) * sizeof(double);
    dst->simd = tsr_aligned_alloc(bytes, err);
    if (!dst->simd) {
      svk_op_release(dst);
      return err ? err->status : TSR_ERR_NOMEM;
    }
    memcpy(dst->simd, src->simd, bytes);
  }
  return TSR_OK;
}

/* ---------------------------------------------------------------- dispatch */

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Sorted positions of controls and targets; returns their count. */
static unsigned op_positions(const svk_op *op, uint32_t *pos) {
  unsigned m = 0;
  for (uint64_t c = op->cmask; c; c &= c - 1) pos[m++] = (uint32_t)__builtin_ctzll(c);
  for (unsigned j = 0; j < op->k; j++) pos[m++] = op->targets[j];
  qsort(pos, m, sizeof *pos, cmp_u32);
  return m;
}

void svk_op_finalize(svk_op *op) {
  op->npos = op_positions(op, op->pos);
  op->ready = 1;
}

/* Runs op with the sorted positions pos[0 .. m) and the fixed bits cmask
 * (the op's controls, and for a cache block the block's outer bits). */
static void apply_core(struct tsr_statevec *sv, const svk_op *op, const uint32_t *pos, unsigned m,
                       uint64_t cmask, int th) {
  const uint64_t dim = sv->dim;
  uint64_t offs[UINT64_C(1) << SVK_MAX_K];
  if (op->kind == SVK_DIAG || op->kind == SVK_DENSE || op->kind == SVK_SPARSE) {
    for (uint64_t l = 0; l < (UINT64_C(1) << op->k); l++) {
      uint64_t o = 0;
      for (unsigned j = 0; j < op->k; j++) {
        if ((l >> j) & 1) o |= UINT64_C(1) << op->targets[j];
      }
      offs[l] = o;
    }
  }
  if (sv->prec == TSR_PRECISION_FLOAT) {
    float *a = sv->amps;
    switch (op->kind) {
    case SVK_PHASE:
      phase_f(a, dim, pos, m, cmask, op->phase, th);
      break;
    case SVK_X:
      xgate_f(a, dim, pos, m, cmask, op->targets[0], th);
      break;
    case SVK_SWAP:
      swapgate_f(a, dim, pos, m, cmask, op->targets[0], op->targets[1], th);
      break;
    case SVK_DIAG1:
      diag1_f(a, dim, pos, m, cmask, op->targets[0], op->m1, th);
      break;
    case SVK_DENSE1:
      dense1_f(a, dim, pos, m, cmask, op->targets[0], op->m1, th);
      break;
    case SVK_DIAG:
      diagk_f(a, dim, pos, m, cmask, offs, op->k, op->m, th);
      break;
    case SVK_DENSE:
      densek_f(a, dim, pos, m, cmask, offs, op->k, op->m, th);
      break;
    case SVK_SPARSE:
      sparsek_f(a, dim, pos, m, cmask, offs, op->k, op->m, op->spcol, op->spn, th);
      break;
    default:
      break;
    }
    return;
  }
  double *a = sv->amps;
#if SVK_HAVE_X86
  if (svk_simd_level() >= 2) {
    /* lowest position, and lowest position other than a 1-qubit target */
    const unsigned low = m ? pos[0] : 64;
    unsigned low_ctrl = 64;
    if (cmask) low_ctrl = (unsigned)__builtin_ctzll(cmask);
    const int contiguous = low >= 2;
    const int inreg = op->k == 1 && low_ctrl >= 2 && dim >= 4;
    switch (op->kind) {
    case SVK_PHASE:
      if (contiguous) {
        phase_avx512(a, dim, pos, m, cmask, op->phase, th);
        return;
      }
      break;
    case SVK_X:
      if (contiguous || inreg) {
        x_avx512(a, dim, pos, m, cmask, op->targets[0], th);
        return;
      }
      break;
    case SVK_SWAP:
      if (contiguous) {
        swap_avx512(a, dim, pos, m, cmask, op->targets[0], op->targets[1], th);
        return;
      }
      break;
    case SVK_DIAG1:
      if (contiguous || inreg) {
        diag1_avx512(a, dim, pos, m, cmask, op->targets[0], op->m1, th);
        return;
      }
      break;
    case SVK_DENSE1:
      if (contiguous || inreg) {
        dense1_avx512(a, dim, pos, m, cmask, op->targets[0], op->m1, th);
        return;
      }
      break;
    case SVK_DIAG:
      if (contiguous) {
        diagk_avx512(a, dim, pos, m, cmask, offs, op->k, op->m, th);
        return;
      }
      break;
    case SVK_DENSE:
      if (op->simd && op->k <= 3 && contiguous) {
        const size_t nd = (size_t)1 << op->k;
        densec_avx512(a, dim, pos, m, cmask, offs, op->k, op->simd + nd * (nd / 4) * 16, th);
        return;
      }
      if (op->simd && op->k <= SVK_SIMD_MAX_K) {
        int contig = 0;
        uint32_t t0 = op->targets[0], t1 = op->targets[1];
        contig = t0 == 0 && t1 == 1;
        densek_avx512(a, dim, pos, m, cmask, offs, op->k, op->simd, contig, th);
        return;
      }
      break;
    case SVK_SPARSE:
      if (contiguous) {
        sparse_avx512(a, dim, pos, m, cmask, offs, op->k, op->simd, op->spcol, op->spn, th);
        return;
      }
      break;
    default:
      break;
    }
  }
#endif
  switch (op->kind) {
  case SVK_PHASE:
    phase_d(a, dim, pos, m, cmask, op->phase, th);
    break;
  case SVK_X:
    xgate_d(a, dim, pos, m, cmask, op->targets[0], th);
    break;
  case SVK_SWAP:
    swapgate_d(a, dim, pos, m, cmask, op->targets[0], op->targets[1], th);
    break;
  case SVK_DIAG1:
    diag1_d(a, dim, pos, m, cmask, op->targets[0], op->m1, th);
    break;
  case SVK_DENSE1:
    dense1_d(a, dim, pos, m, cmask, op->targets[0], op->m1, th);
    break;
  case SVK_DIAG:
    diagk_d(a, dim, pos, m, cmask, offs, op->k, op->m, th);
    break;
  case SVK_DENSE:
    densek_d(a, dim, pos, m, cmask, offs, op->k, op->m, th);
    break;
  case SVK_SPARSE:
    sparsek_d(a, dim, pos, m, cmask, offs, op->k, op->m, op->spcol, op->spn, th);
    break;
  default:
    break;
  }
}

void svk_apply(struct tsr_statevec *sv, const svk_op *op) {
  if (op->kind == SVK_IDENTITY) return;
  uint32_t local[64 + SVK_MAX_K];
  const uint32_t *pos = op->pos;
  unsigned m = op->npos;
  if (!op->ready) {
    m = op_positions(op, local);
    pos = local;
  }
  apply_core(sv, op, pos, m, op->cmask, svk_threads(sv));
}

/* ------------------------------------------------------------ reductions */

/* Fixed block partition of count items: at most 1024 blocks of at least
 * 2^12 items; depends only on count. */
static uint64_t block_size(uint64_t count) {
  uint64_t b = UINT64_C(1) << 12;
  while (count / b > 1024) b <<= 1;
  return b;
}

double svk_norm_sum(const struct tsr_statevec *sv, const uint32_t *positions, unsigned m,
                    uint64_t setmask) {
  const uint64_t count = sv->dim >> m, bs = block_size(count);
  const uint64_t nb = (count + bs - 1) / bs;
  double part[1024];
  const int th = svk_threads(sv), par = th > 1 && nb > 1;
#pragma omp parallel for schedule(static) num_threads(th) if (par)
  for (uint64_t b = 0; b < nb; b++) {
    const uint64_t j0 = b * bs, j1 = j0 + bs < count ? j0 + bs : count;
    part[b] = sv->prec == TSR_PRECISION_FLOAT
                  ? block_norm_f(sv->amps, j0, j1, positions, m, setmask)
                  : block_norm_d(sv->amps, j0, j1, positions, m, setmask);
  }
  double s = 0;
  for (uint64_t b = 0; b < nb; b++) s += part[b];
  return s;
}

double complex svk_pauli_sum(const struct tsr_statevec *sv, uint64_t xmask, uint64_t zmask) {
  const uint64_t count = sv->dim, bs = block_size(count);
  const uint64_t nb = (count + bs - 1) / bs;
  double complex part[1024];
  const int th = svk_threads(sv), par = th > 1 && nb > 1;
#pragma omp parallel for schedule(static) num_threads(th) if (par)
  for (uint64_t b = 0; b < nb; b++) {
    const uint64_t i0 = b * bs, i1 = i0 + bs < count ? i0 + bs : count;
    part[b] = sv->prec == TSR_PRECISION_FLOAT ? block_pauli_f(sv->amps, i0, i1, xmask, zmask)
                                              : block_pauli_d(sv->amps, i0, i1, xmask, zmask);
  }
  double complex s = 0;
  for (uint64_t b = 0; b < nb; b++) s += part[b];
  return s;
}

void svk_reduced(const struct tsr_statevec *sv, const uint32_t *targets, unsigned k,
                 double complex *rho) {
  uint32_t pos[64];
  uint64_t offs[64];
  const uint64_t nd = UINT64_C(1) << k;
  memcpy(pos, targets, k * sizeof *pos);
  qsort(pos, k, sizeof *pos, cmp_u32);
  for (uint64_t l = 0; l < nd; l++) {
    uint64_t o = 0;
    for (unsigned j = 0; j < k; j++) {
      if ((l >> j) & 1) o |= UINT64_C(1) << targets[j];
    }
    offs[l] = o;
  }
  const uint64_t count = sv->dim >> k;
  memset(rho, 0, nd * nd * sizeof *rho);
  /* at most 16 blocks here: each needs its own 2^k x 2^k partial */
  uint64_t bs = UINT64_C(1) << 12;
  while (count / bs > 16) bs <<= 1;
  const uint64_t nb = (count + bs - 1) / bs;
  double complex part[16][16];
  const int th = svk_threads(sv), par = th > 1 && nb > 1 && k <= 2;
  if (k <= 2) {
#pragma omp parallel for schedule(static) num_threads(th) if (par)
    for (uint64_t b = 0; b < nb; b++) {
      const uint64_t j0 = b * bs, j1 = j0 + bs < count ? j0 + bs : count;
      memset(part[b], 0, sizeof part[b]);
      if (sv->prec == TSR_PRECISION_FLOAT) {
        block_reduced_f(sv->amps, j0, j1, pos, k, offs, k, part[b]);
      } else {
        block_reduced_d(sv->amps, j0, j1, pos, k, offs, k, part[b]);
      }
    }
    for (uint64_t b = 0; b < nb; b++) {
      for (uint64_t e = 0; e < nd * nd; e++) rho[e] += part[b][e];
    }
  } else if (sv->prec == TSR_PRECISION_FLOAT) {
    block_reduced_f(sv->amps, 0, count, pos, k, offs, k, rho);
  } else {
    block_reduced_d(sv->amps, 0, count, pos, k, offs, k, rho);
  }
}

/* ---------------------------------------------------------- cache blocking */

tsr_status svk_apply_blocked(struct tsr_statevec *sv, const svk_op *ops, size_t nops,
                             const uint32_t *S, unsigned m, tsr_error *err) {
  /* A block whose qubits are 0 .. m-1 is contiguous and is worked on in
     place. Any other block is gathered into a contiguous buffer first:
     worked on in place, its runs (2^r amplitudes apart by a power of two)
     would all fall into the same few cache sets. */
  const uint64_t outer = sv->dim >> m, sub = UINT64_C(1) << m;
  const int contiguous = S[m - 1] == m - 1;
  unsigned r = 0; /* S[0 .. r) = 0 .. r-1: runs of 2^r consecutive amplitudes */
  while (r < m && S[r] == r) r++;
  const uint64_t run = UINT64_C(1) << r;
  const int th = svk_threads(sv);
  const int nth = th > 1 && outer > 1 ? (th < 256 ? th : 256) : 1;
  double *bufs[256] = {NULL};
  if (!contiguous) {
    for (int t = 0; t < nth; t++) {
      bufs[t] = tsr_aligned_alloc((size_t)sub * 2 * sizeof(double), err);
      if (!bufs[t]) {
        for (int u = 0; u < t; u++) tsr_aligned_free(bufs[u]);
        return err ? err->status : TSR_ERR_NOMEM;
      }
    }
  }
  double *a = sv->amps;
#pragma omp parallel num_threads(nth) if (nth > 1)
  {
    struct tsr_statevec view = {m, sub, TSR_PRECISION_DOUBLE, 1, NULL};
    double *buf = contiguous ? NULL : bufs[omp_get_thread_num()];
#pragma omp for schedule(static)
    for (uint64_t o = 0; o < outer; o++) {
      const uint64_t base = svk_insert_zeros(o, S, m);
      if (contiguous) {
        view.amps = a + 2 * base;
      } else {
        for (uint64_t l = 0; l < sub; l += run) {
          uint64_t off = 0;
          for (unsigned j = r; j < m; j++) off |= ((l >> j) & 1) << S[j];
          memcpy(buf + 2 * l, a + 2 * (base + off), run * 2 * sizeof(double));
        }
        view.amps = buf;
      }
      for (size_t k = 0; k < nops; k++) svk_apply(&view, &ops[k]);
      if (!contiguous) {
        for (uint64_t l = 0; l < sub; l += run) {
          uint64_t off = 0;
          for (unsigned j = r; j < m; j++) off |= ((l >> j) & 1) << S[j];
          memcpy(a + 2 * (base + off), buf + 2 * l, run * 2 * sizeof(double));
        }
      }
    }
  }
  for (int t = 0; t < nth; t++) tsr_aligned_free(bufs[t]);
  return TSR_OK;
}
