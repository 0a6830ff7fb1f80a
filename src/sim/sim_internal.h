/* Internal declarations shared by the sim layer's sources: the state-vector
 * object, the analysed gate ("svk_op") the kernels execute, the kernels,
 * deterministic reductions, the density matrix and tableau objects and the
 * channel internals. Not installed; tests include it to cross-check kernels. */
#ifndef TESSERA_SIM_INTERNAL_H
#define TESSERA_SIM_INTERNAL_H

#include <complex.h>
#include <stdint.h>

#include "tessera/sim.h"

/* Largest dense matrix the kernels apply (fused blocks, user matrices). */
#define SVK_MAX_K 10
/* Largest target count the SIMD dense kernel specialises. */
#define SVK_SIMD_MAX_K 5

struct tsr_statevec {
  unsigned n;
  uint64_t dim;
  tsr_precision prec;
  int threads;
  void *amps; /* double or float, interleaved (re, im), 64-byte aligned */
};

/* Kernel kinds, chosen by svk_analyse from a matrix's structure. */
typedef enum svk_kind {
  SVK_IDENTITY = 0, /* nothing to do */
  SVK_PHASE,        /* amplitudes with every cmask bit set times `phase` */
  SVK_X,            /* swap amplitude pairs across targets[0] where cmask set */
  SVK_SWAP,         /* swap |..1..0..> and |..0..1..> of targets[0], targets[1] */
  SVK_DIAG1,        /* diag(m[0], m[1]) on targets[0] where cmask set */
  SVK_DENSE1,       /* 2x2 m on targets[0] where cmask set */
  SVK_DIAG,         /* diag m[0 .. 2^k) on targets where cmask set */
  SVK_DENSE,        /* 2^k x 2^k m on targets where cmask set */
  SVK_SPARSE        /* as SVK_DENSE with at most 2^k/4 nonzeros per row (k = 2..4):
                       permutations with phases, superoperators of Pauli
                       channels; m holds the dense matrix */
} svk_kind;

typedef struct svk_op {
  svk_kind kind;
  uint64_t cmask;              /* qubits that must be |1> (controls) */
  unsigned k;                  /* number of targets */
  uint32_t targets[SVK_MAX_K]; /* local bit j = targets[j] */
  double complex phase;        /* SVK_PHASE */
  double complex m1[4];        /* SVK_DIAG1 (m1[0], m1[1]), SVK_DENSE1 */
  double complex *m;           /* SVK_DIAG (2^k) or SVK_DENSE (4^k), owned */
  double *simd;                /* SVK_DENSE: row-blocked layout for SIMD, owned */
  unsigned spn;                /* SVK_SPARSE: entries per row (zero-padded) */
  uint8_t spcol[16][4];        /* SVK_SPARSE: their columns */
  int ready;                   /* pos/npos below are filled (svk_op_finalize) */
  unsigned npos;               /* sorted control and target positions */
  uint32_t pos[64 + SVK_MAX_K];
} svk_op;

/* Fills an op's sorted positions (done by svk_analyse and svk_dense_op; call
 * it after building or changing an op by hand). */
void svk_op_finalize(svk_op *op);

/* Cache blocking: applies ops, written for the block's local qubits
 * 0 .. m-1 (local qubit j = state qubit S[j]), to one block at a time, a
 * block being the amplitudes that share the bits outside the sorted
 * positions S[0 .. m): a run of gates then costs one pass over memory, the
 * rest happens in cache. S must contain qubits 0, 1 and 2. */
tsr_status svk_apply_blocked(struct tsr_statevec *sv, const svk_op *ops, size_t nops,
                             const uint32_t *S, unsigned m, tsr_error *err);
/* Qubits of a cache block (2^16 amplitudes = 1 MiB of complex double). */
#define SVK_BLOCK_QUBITS 16
/* Low qubits every cache block contains: a gathered block is read in runs of
 * at least 2^SVK_BLOCK_LOW amplitudes (4 KiB), which streams from memory. */
#define SVK_BLOCK_LOW 8

/* Analyses a k-qubit matrix on qubits (distinct) into the cheapest kernel:
 * operands whose |0> subspace the matrix leaves alone become controls;
 * what acts on the rest is a phase, an X, a SWAP, a diagonal or a dense
 * block. The matrix need not be unitary (collapse and Kraus operators use
 * the same kernels). */
tsr_status svk_analyse(const double complex *m, const uint32_t *qubits, unsigned k, svk_op *out,
                       tsr_error *err);
/* A dense op without structure analysis (superoperators, fused blocks). */
tsr_status svk_dense_op(const double complex *m, const uint32_t *qubits, unsigned k, svk_op *out,
                        tsr_error *err);
void svk_op_release(svk_op *op);
/* Deep copy of an op (for plans). */
tsr_status svk_op_copy(svk_op *dst, const svk_op *src, tsr_error *err);

/* Allocates zeroed amplitudes for n qubits (in parallel: first touch by the
 * threads that will work on them), after the memory check that reports
 * `what` of nreport qubits. */
tsr_status sim_sv_alloc(struct tsr_statevec *sv, unsigned n, const tsr_state_options *opts,
                        const char *what, unsigned nreport, tsr_error *err);

/* Runs an op on a state vector. */
void svk_apply(struct tsr_statevec *sv, const svk_op *op);

/* SIMD level: 2 = AVX-512, 1 = AVX2 (reserved), 0 = scalar. svk_set_simd
 * lowers the level for tests and benchmarks (never above what the CPU has);
 * returns the level in force. */
int svk_simd_level(void);
int svk_set_simd(int level);

/* Threads a kernel on this state uses. */
int svk_threads(const struct tsr_statevec *sv);

/* Deterministic reductions: sums in fixed blocks whose partition depends only
 * on the state's size, then adds the block sums in order. */
/* sum |a[i]|^2 over i = insert_zeros(j, positions) | setmask, all j. */
double svk_norm_sum(const struct tsr_statevec *sv, const uint32_t *positions, unsigned m,
                    uint64_t setmask);
/* sum conj(a[i ^ xmask]) * (-1)^popcount(i & zmask) * a[i] over all i. */
double complex svk_pauli_sum(const struct tsr_statevec *sv, uint64_t xmask, uint64_t zmask);
/* Reduced density matrix of the targets (2^k x 2^k, row-major, k <= 6):
 * rho(r, c) = sum over groups a[base + off r] conj(a[base + off c]). */
void svk_reduced(const struct tsr_statevec *sv, const uint32_t *targets, unsigned k,
                 double complex *rho);

/* Inserts a zero bit at each of the sorted positions pos[0 .. m). */
static inline uint64_t svk_insert_zeros(uint64_t i, const uint32_t *pos, unsigned m) {
  for (unsigned j = 0; j < m; j++) {
    uint64_t lo = i & ((UINT64_C(1) << pos[j]) - 1);
    i = ((i ^ lo) << 1) | lo;
  }
  return i;
}

/* Checks a memory request: TSR_ERR_LIMIT naming what, the qubits and the
 * bytes needed and available. limit 0: the memory available now. */
tsr_status sim_check_memory(const char *what, unsigned nqubits, uint64_t bytes, uint64_t limit,
                            tsr_error *err);
/* Validates qubit operands: in range, distinct. */
tsr_status sim_check_qubits(const uint32_t *qubits, uint32_t k, unsigned n, const char *what,
                            tsr_error *err);
/* Max |(U^dagger U - I)_ij| of a d x d matrix. */
double sim_unitarity_error(const double complex *u, uint64_t d);
/* Validates a user matrix for apply_matrix on an n-qubit state: 1 to
 * SVK_MAX_K operands, valid qubits, a matrix given, unitary within 1e-8.
 * Messages name name (NULL: "matrix"). The shared front of the state
 * vector's and the density matrix's apply_matrix. */
tsr_status sim_check_user_matrix(const uint32_t *qubits, uint32_t k, unsigned n,
                                 const double complex *matrix, const char *name, tsr_error *err);
/* Copies qubits[0 .. k) into pos, sorted ascending (for svk_insert_zeros). */
void sim_sorted_positions(const uint32_t *qubits, uint32_t k, uint32_t *pos);
/* Parses a Pauli string for n qubits into masks (qubit q: bit q), the number
 * of Y factors and the sign (+1/-1). n <= 64. */
tsr_status sim_parse_pauli(const char *label, unsigned n, uint64_t *xmask, uint64_t *zmask,
                           unsigned *ny, int *sign, tsr_error *err);
/* The same for any n: x and z bit arrays of ceil(n/64) words each. */
tsr_status sim_parse_pauli_words(const char *label, unsigned n, uint64_t *x, uint64_t *z, int *sign,
                                 tsr_error *err);
/* Catalogue gate matrix with validation of arity, parameters and operands
 * (m has room for 4^nqubits entries, nqubits <= 10). */
tsr_status sim_gate_matrix(tsr_gate kind, const uint32_t *qubits, uint32_t nqubits,
                           const double *params, unsigned nstate, double complex *m,
                           tsr_error *err);

/* Applies a catalogue gate through its matrix: validates operands, expands
 * gr into r on every operand, skips id/u0, builds the matrix (on the heap
 * above 5 qubits) and hands it to `apply`. The shared front of the state
 * vector's and the density matrix's apply_gate. */
typedef tsr_status (*sim_matrix_apply_fn)(void *state, const double complex *m,
                                          const uint32_t *qubits, unsigned k, tsr_error *err);
tsr_status sim_apply_gate_matrix(void *state, unsigned nstate, sim_matrix_apply_fn apply,
                                 tsr_gate kind, const uint32_t *qubits, uint32_t nqubits,
                                 const double *params, tsr_error *err);

/* Sorting helper for samplers: sorts u[0 .. s) ascending, carrying idx. */
void sim_sort_uniforms(double *u, uint64_t *idx, uint64_t s);

/* Samples shots indices from a distribution over [0, dim) given by
 * prob_range (sum of p over [i0, i1)) and prob_at (p(i)). Deterministic: the
 * block partition depends only on dim, sample i uses the generator
 * (seed, first_stream + i). */
typedef double (*sim_prob_range_fn)(const void *ctx, uint64_t i0, uint64_t i1);
typedef double (*sim_prob_at_fn)(const void *ctx, uint64_t i);
tsr_status sim_sample_dist(uint64_t dim, int threads, sim_prob_range_fn range, sim_prob_at_fn at,
                           const void *ctx, uint64_t shots, uint64_t seed, uint64_t first_stream,
                           uint64_t *out, tsr_error *err);

/* ------------------------------------------------------ density matrix */

struct tsr_densmat {
  unsigned n;
  struct tsr_statevec vec; /* 2n "qubits": rho(r, c) at r + c 2^n */
};

/* Applies a superoperator s (4^k x 4^k, local index r + c 2^k) on qubits
 * q[0 .. k): one pass over rho. */
tsr_status sim_dm_apply_superop(tsr_densmat *dm, const double complex *s, const uint32_t *q,
                                unsigned k, tsr_error *err);

/* ------------------------------------------------------------- channels */

struct tsr_channel {
  unsigned k;
  size_t nops;
  double complex *ops; /* nops x 4^k */
  char name[64];
  int pauli;           /* a Pauli channel: probs valid */
  double *probs;       /* 4^k Pauli probabilities when pauli */
  int unitary_mixture; /* every K_i is sqrt(p_i) U_i: probabilities fixed */
  double *mix_probs;   /* nops probabilities when unitary_mixture */
};

/* Composes channels: out = b after a (both on k qubits). */
tsr_channel *sim_channel_compose(const tsr_channel *a, const tsr_channel *b, tsr_error *err);
/* A channel on k qubits from one on fewer: ch acts on operands slot[0 .. ch->k)
 * of k (the others untouched). */
tsr_channel *sim_channel_embed(const tsr_channel *ch, unsigned k, const unsigned *slot,
                               tsr_error *err);

/* --------------------------------------------------------------- tableau */

struct tsr_tableau {
  unsigned n;
  uint64_t words; /* words per column: ceil((2n + 1) / 64) rows */
  /* x[q * words + w], z[q * words + w]: bit (row % 64) of word row / 64 is
     the x (z) bit of generator `row` on qubit q. Rows 0..n-1 destabilizers,
     n..2n-1 stabilizers, row 2n scratch. */
  uint64_t *x, *z;
  uint64_t *r; /* sign bits, one per row */
};

/* Whether measuring qubit a has a determined outcome (no stabilizer has an
 * X or Y on it). */
int sim_tableau_outcome_fixed(const tsr_tableau *t, uint32_t a);

#endif
