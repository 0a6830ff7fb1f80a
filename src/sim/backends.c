/* The built-in backends behind the tsr_sim_backend function table: thin
 * adapters from the table's uniform signatures to the state vector, density
 * matrix and tableau APIs. A distributed or GPU backend adds one more table. */
#include <stdlib.h>

#include "sim/sim_internal.h"

/* ---------------------------------------------------------- state vector */

static void *sv_create(unsigned n, const tsr_state_options *o, tsr_error *err) {
  return tsr_statevec_new(n, o, err);
}
static void sv_destroy(void *s) {
  tsr_statevec_free(s);
}
static void *sv_clone(const void *s, tsr_error *err) {
  return tsr_statevec_clone(s, err);
}
static tsr_status sv_copy(void *d, const void *s, tsr_error *err) {
  return tsr_statevec_copy(d, s, err);
}
static tsr_status sv_gate(void *s, tsr_gate k, const uint32_t *q, uint32_t nq, const double *p,
                          tsr_error *err) {
  return tsr_statevec_apply_gate(s, k, q, nq, p, err);
}
static tsr_status sv_matrix(void *s, const uint32_t *q, uint32_t k, const double complex *m,
                            const char *name, tsr_error *err) {
  return tsr_statevec_apply_matrix(s, q, k, m, name, err);
}
static tsr_status sv_channel(void *s, const tsr_channel *ch, const uint32_t *q, tsr_rng *rng,
                             tsr_error *err) {
  return tsr_statevec_apply_channel(s, ch, q, rng, err);
}
static tsr_status sv_measure(void *s, uint32_t q, tsr_rng *rng, int *o, tsr_error *err) {
  return tsr_statevec_measure(s, q, rng, o, err);
}
static tsr_status sv_reset(void *s, uint32_t q, tsr_rng *rng, tsr_error *err) {
  return tsr_statevec_reset(s, q, rng, err);
}
static tsr_status sv_sample(const void *s, uint64_t shots, uint64_t seed, uint64_t first,
                            uint64_t *out, tsr_error *err) {
  return tsr_statevec_sample(s, shots, seed, first, out, err);
}
static tsr_status sv_expect(const void *s, const char *p, double *out, tsr_error *err) {
  return tsr_statevec_expectation(s, p, out, err);
}

static const tsr_sim_backend SV_BACKEND = {
    TSR_BACKEND_STATEVEC, "sv",       0,        0,         sv_create,
    sv_destroy,           sv_clone,   sv_copy,  sv_gate,   sv_matrix,
    sv_channel,           sv_measure, sv_reset, sv_sample, sv_expect};

/* -------------------------------------------------------- density matrix */

static void *dm_create(unsigned n, const tsr_state_options *o, tsr_error *err) {
  return tsr_densmat_new(n, o, err);
}
static void dm_destroy(void *s) {
  tsr_densmat_free(s);
}
static void *dm_clone(const void *s, tsr_error *err) {
  return tsr_densmat_clone(s, err);
}
static tsr_status dm_copy(void *d, const void *s, tsr_error *err) {
  return tsr_densmat_copy(d, s, err);
}
static tsr_status dm_gate(void *s, tsr_gate k, const uint32_t *q, uint32_t nq, const double *p,
                          tsr_error *err) {
  return tsr_densmat_apply_gate(s, k, q, nq, p, err);
}
static tsr_status dm_matrix(void *s, const uint32_t *q, uint32_t k, const double complex *m,
                            const char *name, tsr_error *err) {
  return tsr_densmat_apply_matrix(s, q, k, m, name, err);
}
static tsr_status dm_channel(void *s, const tsr_channel *ch, const uint32_t *q, tsr_rng *rng,
                             tsr_error *err) {
  (void)rng;
  return tsr_densmat_apply_channel(s, ch, q, err);
}
static tsr_status dm_measure(void *s, uint32_t q, tsr_rng *rng, int *o, tsr_error *err) {
  return tsr_densmat_measure(s, q, rng, o, err);
}
static tsr_status dm_reset(void *s, uint32_t q, tsr_rng *rng, tsr_error *err) {
  (void)rng;
  return tsr_densmat_reset(s, q, err);
}
static tsr_status dm_sample(const void *s, uint64_t shots, uint64_t seed, uint64_t first,
                            uint64_t *out, tsr_error *err) {
  return tsr_densmat_sample(s, shots, seed, first, out, err);
}
static tsr_status dm_expect(const void *s, const char *p, double *out, tsr_error *err) {
  return tsr_densmat_expectation(s, p, out, err);
}

static const tsr_sim_backend DM_BACKEND = {
    TSR_BACKEND_DENSMAT, "dm",       1,        0,         dm_create,
    dm_destroy,          dm_clone,   dm_copy,  dm_gate,   dm_matrix,
    dm_channel,          dm_measure, dm_reset, dm_sample, dm_expect};

/* ------------------------------------------------------------ stabilizer */

static void *st_create(unsigned n, const tsr_state_options *o, tsr_error *err) {
  return tsr_tableau_new(n, o, err);
}
static void st_destroy(void *s) {
  tsr_tableau_free(s);
}
static void *st_clone(const void *s, tsr_error *err) {
  return tsr_tableau_clone(s, err);
}
static tsr_status st_copy(void *d, const void *s, tsr_error *err) {
  return tsr_tableau_copy(d, s, err);
}
static tsr_status st_gate(void *s, tsr_gate k, const uint32_t *q, uint32_t nq, const double *p,
                          tsr_error *err) {
  return tsr_tableau_apply_gate(s, k, q, nq, p, err);
}
static tsr_status st_matrix(void *s, const uint32_t *q, uint32_t k, const double complex *m,
                            const char *name, tsr_error *err) {
  return tsr_tableau_apply_matrix(s, q, k, m, name, err);
}
static tsr_status st_channel(void *s, const tsr_channel *ch, const uint32_t *q, tsr_rng *rng,
                             tsr_error *err) {
  return tsr_tableau_apply_channel(s, ch, q, rng, err);
}
static tsr_status st_measure(void *s, uint32_t q, tsr_rng *rng, int *o, tsr_error *err) {
  return tsr_tableau_measure(s, q, rng, o, NULL, err);
}
static tsr_status st_reset(void *s, uint32_t q, tsr_rng *rng, tsr_error *err) {
  return tsr_tableau_reset(s, q, rng, err);
}
static tsr_status st_sample(const void *s, uint64_t shots, uint64_t seed, uint64_t first,
                            uint64_t *out, tsr_error *err) {
  return tsr_tableau_sample(s, shots, seed, first, out, err);
}
static tsr_status st_expect(const void *s, const char *p, double *out, tsr_error *err) {
  return tsr_tableau_expectation(s, p, out, err);
}

static const tsr_sim_backend STAB_BACKEND = {TSR_BACKEND_STABILIZER,
                                             "stab",
                                             0,
                                             1,
                                             st_create,
                                             st_destroy,
                                             st_clone,
                                             st_copy,
                                             st_gate,
                                             st_matrix,
                                             st_channel,
                                             st_measure,
                                             st_reset,
                                             st_sample,
                                             st_expect};

const tsr_sim_backend *tsr_sim_backend_get(tsr_backend_kind kind) {
  switch (kind) {
  case TSR_BACKEND_STATEVEC:
    return &SV_BACKEND;
  case TSR_BACKEND_DENSMAT:
    return &DM_BACKEND;
  case TSR_BACKEND_STABILIZER:
    return &STAB_BACKEND;
  default:
    return NULL;
  }
}
