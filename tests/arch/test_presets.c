/* Arch presets and the machine object: every preset is present, valid and
 * carries the numbers of ../shared/physics/README.md with a cited source;
 * coupling-graph generators give the right edge counts and degrees; link
 * defaults, geometry and the programmatic API behave as documented. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/arch.h"
#include "tsr_test.h"

static const char *const expected_presets[] = {"ion-forte",  "ion-aria",    "ion-ba-nextgen",
                                               "ion-helios", "atom-rb",     "sc-heron",
                                               "sc-willow",  "diamond-siv", "diamond-nv"};
#define N_EXPECTED (sizeof expected_presets / sizeof expected_presets[0])

static const tsr_module_params *preset(const char *name) {
  const tsr_preset *p = tsr_preset_find(name);
  if (!p) fail_msg("preset %s missing", name);
  return &p->params;
}

/* An arch holding one module with these parameters. */
static tsr_arch *one_module(const char *name, const tsr_module_params *p) {
  tsr_arch *a = NULL;
  tsr_error err;
  assert_ok(tsr_arch_new("t", &a, &err), &err);
  assert_ok(tsr_arch_add_module(a, name, TSR_ROLE_COMPUTE, p, NULL, &err), &err);
  return a;
}

static void every_preset_exists_and_validates(void **state) {
  (void)state;
  assert_int_equal(tsr_preset_count(), N_EXPECTED);
  for (size_t i = 0; i < N_EXPECTED; i++) {
    const tsr_preset *p = tsr_preset_find(expected_presets[i]);
    assert_non_null(p);
    assert_string_equal(p->name, expected_presets[i]);
    assert_true(strlen(p->summary) > 10);
    tsr_arch *a = one_module(p->name, &p->params);
    tsr_error err;
    assert_ok(tsr_arch_validate(a, &err), &err);
    tsr_arch_free(a);
  }
  assert_null(tsr_preset_find("ion-nope"));
  assert_null(tsr_preset_find(NULL));
  assert_null(tsr_preset_at(N_EXPECTED));
}

static void every_number_has_a_marked_source(void **state) {
  (void)state;
  for (size_t i = 0; i < tsr_preset_count(); i++) {
    const tsr_preset *p = tsr_preset_at(i);
    for (int g = 0; g < TSR_PARAM_GROUP_COUNT; g++) {
      const char *s = p->sources[g];
      if (!s || strlen(s) < 10) fail_msg("%s: no source for %s", p->name, tsr_param_group_name(g));
      int marked =
          strstr(s, "[V]") || strstr(s, "[S]") || strstr(s, "[U]") || strstr(s, "[derived]");
      if (!marked)
        fail_msg("%s %s: source has no [V]/[S]/[U] mark: %s", p->name, tsr_param_group_name(g), s);
    }
  }
}

static void presets_are_physical(void **state) {
  (void)state;
  for (size_t i = 0; i < tsr_preset_count(); i++) {
    const tsr_preset *pr = tsr_preset_at(i);
    const tsr_module_params *p = &pr->params;
    assert_true(p->coherence.t2_s <= 2 * p->coherence.t1_s);
    assert_true(p->communication_coherence.t2_s <= 2 * p->communication_coherence.t1_s);
    assert_true(p->communication_qubits >= 1 && p->communication_qubits <= p->qubits);
    assert_true(p->n_native_gates >= 2);
    assert_true(p->photon.wavelength_m > 300e-9 && p->photon.wavelength_m < 2000e-9);
    assert_true(p->photon.emission_time_s > 0);
    assert_true(p->photon.collection_efficiency > 0 && p->photon.collection_efficiency <= 1);
    /* Where a lens NA is given, the collection follows the dipole formula. */
    if (p->photon.numerical_aperture > 0) {
      assert_close(p->photon.collection_efficiency,
                   tsr_collection_from_na(p->photon.numerical_aperture), 5e-4);
    }
    if (p->modality == TSR_MODALITY_SUPERCONDUCTING) assert_true(p->photon.has_transducer);
  }
}

/* The numbers of physics/README.md §4, preset by preset. */
static void presets_match_physics_readme(void **state) {
  (void)state;
  const tsr_module_params *p = preset("ion-forte");
  assert_int_equal(p->modality, TSR_MODALITY_TRAPPED_ION);
  assert_int_equal(p->qubits, 36);
  assert_close(p->gate_1q.fidelity, 0.9998, 1e-12);
  assert_close(p->gate_1q.duration_s, 130e-6, 1e-12);
  assert_close(p->gate_2q.fidelity, 0.9941, 1e-12);
  assert_close(p->gate_2q.duration_s, 970e-6, 1e-12);
  assert_close(p->readout.fidelity, 0.9962, 1e-12);
  assert_close(p->readout.duration_s, 150e-6, 1e-12);
  assert_close(p->coherence.t1_s, 100, 1e-9);
  assert_close(p->coherence.t2_s, 1, 1e-12);
  assert_int_equal(p->connectivity.kind, TSR_TOPOLOGY_ALL_TO_ALL);
  assert_close(p->photon.wavelength_m, 369.5e-9, 1e-12);

  p = preset("ion-aria");
  assert_int_equal(p->qubits, 25);
  assert_close(p->gate_1q.fidelity, 0.9995, 1e-12);
  assert_close(p->gate_1q.duration_s, 135e-6, 1e-12);
  assert_close(p->gate_2q.fidelity, 0.996, 1e-12);
  assert_close(p->gate_2q.duration_s, 600e-6, 1e-12);
  assert_close(p->readout.fidelity, 0.9961, 1e-12);
  assert_true(p->coherence.t1_s >= 10 && p->coherence.t1_s <= 100);
  assert_close(p->coherence.t2_s, 1, 1e-12);

  p = preset("ion-ba-nextgen");
  assert_int_equal(p->modality, TSR_MODALITY_TRAPPED_ION);
  assert_int_equal(p->qubits, 100);
  assert_close(p->gate_1q.fidelity, 0.9999916, 1e-12);
  assert_close(1 - p->gate_2q.fidelity, 8.4e-5, 1e-12); /* "99.99 %" */
  assert_close(p->photon.wavelength_m, 493e-9, 1e-12);

  p = preset("ion-helios");
  assert_int_equal(p->qubits, 98);
  assert_close(1 - p->gate_1q.fidelity, 2.5e-5, 1e-12);
  assert_close(1 - p->gate_2q.fidelity, 7.9e-4, 1e-12);
  assert_close(1 - p->readout.fidelity, 4.8e-4, 1e-12);
  assert_int_equal(p->connectivity.kind, TSR_TOPOLOGY_ALL_TO_ALL);

  p = preset("atom-rb");
  assert_int_equal(p->modality, TSR_MODALITY_NEUTRAL_ATOM);
  assert_true(p->qubits >= 100 && p->qubits <= 6100);
  assert_close(p->gate_1q.fidelity, 0.9998, 1e-12);
  assert_close(p->gate_2q.fidelity, 0.995, 1e-12);
  assert_true(p->gate_2q.duration_s >= 0.25e-6 && p->gate_2q.duration_s <= 0.5e-6);
  assert_true(p->readout.fidelity >= 0.999);
  assert_close(p->coherence.t1_s, 4, 1e-12);
  assert_true(p->coherence.t2_s >= 1.5 && p->coherence.t2_s <= 12.6);
  assert_int_equal(p->connectivity.kind, TSR_TOPOLOGY_RECONFIGURABLE);
  assert_true(p->connectivity.move_time_s >= 100e-6 && p->connectivity.move_time_s <= 500e-6);
  assert_close(p->photon.wavelength_m, 780e-9, 1e-12);
  int has_cz = 0, has_gr = 0;
  for (uint32_t g = 0; g < p->n_native_gates; g++) {
    has_cz |= strcmp(p->native_gates[g], "cz") == 0;
    has_gr |= strcmp(p->native_gates[g], "gr") == 0;
  }
  assert_true(has_cz && has_gr);

  p = preset("sc-heron");
  assert_int_equal(p->modality, TSR_MODALITY_SUPERCONDUCTING);
  assert_int_equal(p->qubits, 156);
  assert_true(1 - p->gate_1q.fidelity >= 1.4e-4 - 1e-12 && 1 - p->gate_1q.fidelity <= 2e-4 + 1e-12);
  assert_close(p->gate_1q.duration_s, 32e-9, 1e-15);
  assert_true(1 - p->gate_2q.fidelity >= 1.3e-3 - 1e-12 &&
              1 - p->gate_2q.fidelity <= 1.5e-3 + 1e-12);
  assert_close(p->gate_2q.duration_s, 68e-9, 1e-15);
  assert_close(1 - p->readout.fidelity, 5e-3, 1e-12);
  assert_close(p->readout.duration_s, 2.2e-6, 1e-15);
  assert_close(p->coherence.t1_s, 290e-6, 1e-15);
  assert_close(p->coherence.t2_s, 320e-6, 1e-15);
  assert_int_equal(p->connectivity.kind, TSR_TOPOLOGY_HEAVY_HEX);
  assert_true(p->photon.transducer_efficiency >= 1e-2 && p->photon.transducer_efficiency <= 1e-1);
  assert_true(p->photon.transducer_noise_photons >= 1);

  p = preset("sc-willow");
  assert_int_equal(p->qubits, 105);
  assert_close(1 - p->gate_1q.fidelity, 3.5e-4, 1e-12);
  assert_close(1 - p->gate_2q.fidelity, 3.3e-3, 1e-12);
  assert_close(1 - p->readout.fidelity, 7.7e-3, 1e-12);
  assert_int_equal(p->connectivity.kind, TSR_TOPOLOGY_GRID);
  assert_true(p->coherence.t1_s >= 68e-6 && p->coherence.t1_s <= 100e-6);

  p = preset("diamond-siv");
  assert_int_equal(p->modality, TSR_MODALITY_COLOUR_CENTRE);
  assert_int_equal(p->qubits, 2); /* electron + nuclear memory */
  assert_int_equal(p->communication_qubits, 1);
  assert_close(p->readout.fidelity, 0.89, 1e-12);
  assert_close(p->communication_coherence.t2_s, 13e-3, 1e-15);
  assert_true(p->communication_coherence.t1_s >= 1);
  assert_close(p->coherence.t2_s, 1, 1e-12); /* nuclear memory, second-long storage */
  assert_int_equal(p->connectivity.kind, TSR_TOPOLOGY_STAR);
  assert_close(p->photon.wavelength_m, 737e-9, 1e-12);

  p = preset("diamond-nv");
  assert_int_equal(p->qubits, 10);
  assert_close(p->communication_coherence.t2_s, 1.58, 1e-12);
  assert_close(p->communication_coherence.t1_s, 3600, 1e-9);
  assert_close(p->coherence.t2_s, 60, 1e-9);
  assert_close(p->photon.wavelength_m, 637e-9, 1e-12);
}

static void collection_from_numerical_aperture(void **state) {
  (void)state;
  /* physics/README.md §3: NA 0.4 -> 0.06; 0.6 -> 0.135; 0.8 -> 0.25; 0.9 -> 0.33. */
  assert_close(tsr_collection_from_na(0.4), 0.06, 0.001);
  assert_close(tsr_collection_from_na(0.6), 0.135, 0.0015);
  assert_close(tsr_collection_from_na(0.8), 0.25, 0.003);
  assert_close(tsr_collection_from_na(0.9), 0.33, 0.005);
  assert_close(tsr_collection_from_na(0.0), 0.0, 1e-15);
  assert_close(tsr_collection_from_na(1.0), 0.5, 1e-15);
  assert_true(isnan(tsr_collection_from_na(1.2)));
  assert_true(isnan(tsr_collection_from_na(-0.1)));
}

/* ---------------------------------------------------------- connectivity */

static size_t count_edges(tsr_topology kind, int rows, int cols, uint32_t qubits, tsr_edge **out) {
  tsr_connectivity c = {kind, rows, cols, 0.0};
  tsr_edge *e = NULL;
  size_t n = 0;
  tsr_error err;
  assert_ok(tsr_connectivity_edges(&c, qubits, &e, &n, &err), &err);
  for (size_t i = 0; i < n; i++) {
    assert_true(e[i].a < e[i].b);
    assert_true(e[i].b < qubits);
    if (i) assert_true(e[i - 1].a < e[i].a || (e[i - 1].a == e[i].a && e[i - 1].b < e[i].b));
  }
  if (out)
    *out = e;
  else
    free(e);
  return n;
}

static void degrees(const tsr_edge *e, size_t n, uint32_t qubits, uint32_t *deg) {
  memset(deg, 0, qubits * sizeof *deg);
  for (size_t i = 0; i < n; i++) {
    deg[e[i].a]++;
    deg[e[i].b]++;
  }
}

static int connected(const tsr_edge *e, size_t n, uint32_t qubits) {
  uint32_t *parent = malloc(qubits * sizeof *parent);
  for (uint32_t i = 0; i < qubits; i++) parent[i] = i;
  for (size_t i = 0; i < n; i++) {
    uint32_t a = e[i].a, b = e[i].b;
    while (parent[a] != a) a = parent[a];
    while (parent[b] != b) b = parent[b];
    parent[a] = b;
  }
  uint32_t root = 0, roots = 0;
  for (uint32_t i = 0; i < qubits; i++) roots += parent[i] == i;
  (void)root;
  free(parent);
  return roots == 1;
}

static void simple_generators(void **state) {
  (void)state;
  assert_int_equal(count_edges(TSR_TOPOLOGY_ALL_TO_ALL, 0, 0, 36, NULL), 36 * 35 / 2);
  assert_int_equal(count_edges(TSR_TOPOLOGY_RECONFIGURABLE, 0, 0, 10, NULL), 45);
  assert_int_equal(count_edges(TSR_TOPOLOGY_LINE, 0, 0, 10, NULL), 9);
  assert_int_equal(count_edges(TSR_TOPOLOGY_RING, 0, 0, 10, NULL), 10);
  assert_int_equal(count_edges(TSR_TOPOLOGY_RING, 0, 0, 2, NULL), 1);
  assert_int_equal(count_edges(TSR_TOPOLOGY_STAR, 0, 0, 10, NULL), 9);
  assert_int_equal(count_edges(TSR_TOPOLOGY_LINE, 0, 0, 1, NULL), 0);
  /* grid r x c: r(c-1) + (r-1)c couplers, degree <= 4 */
  tsr_edge *e;
  size_t n = count_edges(TSR_TOPOLOGY_GRID, 7, 15, 105, &e);
  assert_int_equal(n, 7 * 14 + 6 * 15);
  uint32_t deg[105];
  degrees(e, n, 105, deg);
  for (int i = 0; i < 105; i++) assert_true(deg[i] >= 2 && deg[i] <= 4);
  assert_true(connected(e, n, 105));
  free(e);
  /* the first 10 sites of a 3 x 4 grid: rows 0-1 full, two of row 2 */
  assert_int_equal(count_edges(TSR_TOPOLOGY_GRID, 3, 4, 10, NULL), 3 + 3 + 1 + 4 + 2);
}

static void heavy_hex_heron_layout(void **state) {
  (void)state;
  tsr_connectivity c = {TSR_TOPOLOGY_HEAVY_HEX, 8, 16, 0.0};
  assert_int_equal(tsr_connectivity_sites(&c), 156);
  tsr_edge *e;
  size_t n = count_edges(TSR_TOPOLOGY_HEAVY_HEX, 8, 16, 156, &e);
  /* 8 rows of 15 couplers + 7 gaps x 4 bridges x 2 couplers */
  assert_int_equal(n, 8 * 15 + 7 * 4 * 2);
  uint32_t deg[156];
  degrees(e, n, 156, deg);
  int d2 = 0, d3 = 0;
  for (int i = 0; i < 156; i++) {
    assert_true(deg[i] >= 1 && deg[i] <= 3);
    d2 += deg[i] == 2;
    d3 += deg[i] == 3;
  }
  assert_true(d3 > 0 && d2 > 0);
  assert_true(connected(e, n, 156));
  free(e);
  /* the preset uses this layout */
  const tsr_module_params *p = preset("sc-heron");
  assert_int_equal(tsr_connectivity_sites(&p->connectivity), p->qubits);
}

static void heavy_hex_generated_lattices(void **state) {
  (void)state;
  for (int rows = 1; rows <= 9; rows++) {
    for (int cols = 1; cols <= 19; cols++) {
      tsr_connectivity c = {TSR_TOPOLOGY_HEAVY_HEX, rows, cols, 0.0};
      uint32_t sites = (uint32_t)tsr_connectivity_sites(&c);
      tsr_edge *e;
      size_t n = count_edges(TSR_TOPOLOGY_HEAVY_HEX, rows, cols, sites, &e);
      uint32_t *deg = calloc(sites, sizeof *deg);
      degrees(e, n, sites, deg);
      for (uint32_t i = 0; i < sites; i++) assert_true(deg[i] <= 3);
      /* a tree-free lattice: every bridge has two neighbours */
      if (sites > 1) assert_true(connected(e, n, sites));
      free(deg);
      free(e);
    }
  }
}

static void connectivity_refusals(void **state) {
  (void)state;
  tsr_error err;
  tsr_edge *e = (tsr_edge *)1;
  size_t n = 7;
  tsr_connectivity grid = {TSR_TOPOLOGY_GRID, 2, 2, 0.0};
  assert_int_equal(tsr_connectivity_edges(&grid, 5, &e, &n, &err), TSR_ERR_VALUE);
  assert_null(e);
  assert_int_equal(n, 0);
  assert_non_null(strstr(err.message, "sites"));
  tsr_connectivity all = {TSR_TOPOLOGY_ALL_TO_ALL, 0, 0, 0.0};
  assert_int_equal(tsr_connectivity_edges(&all, 100000, &e, &n, &err), TSR_ERR_LIMIT);
  tsr_connectivity bad = {TSR_TOPOLOGY_GRID, 0, 3, 0.0};
  assert_int_equal(tsr_connectivity_edges(&bad, 1, &e, &n, &err), TSR_ERR_VALUE);
}

static void names_round_trip(void **state) {
  (void)state;
  for (int m = 0; m < TSR_MODALITY_COUNT; m++) {
    tsr_modality out;
    assert_int_equal(tsr_modality_lookup(tsr_modality_name((tsr_modality)m), &out), 0);
    assert_int_equal(out, m);
  }
  for (int t = 0; t < TSR_TOPOLOGY_COUNT; t++) {
    tsr_topology out;
    assert_int_equal(tsr_topology_lookup(tsr_topology_name((tsr_topology)t), &out), 0);
    assert_int_equal(out, t);
  }
  for (int p = 0; p < TSR_PROTOCOL_COUNT; p++) {
    tsr_link_protocol out;
    assert_int_equal(tsr_link_protocol_lookup(tsr_link_protocol_name((tsr_link_protocol)p), &out),
                     0);
    assert_int_equal(out, p);
  }
  tsr_modality m;
  assert_int_equal(tsr_modality_lookup("trapped ion", &m), -1);
  assert_string_equal(tsr_modality_name((tsr_modality)99), "?");
  assert_string_equal(tsr_param_group_name(TSR_PARAM_GATE_2Q), "gate_2q");
}

/* ------------------------------------------------------------ link physics */

static void fibre_defaults(void **state) {
  (void)state;
  const char *src = NULL;
  assert_close(tsr_fibre_attenuation_default(1550e-9, &src), 0.2, 1e-12);
  assert_non_null(strstr(src, "1550"));
  assert_close(tsr_fibre_attenuation_default(1310e-9, NULL), 0.35, 1e-12);
  assert_close(tsr_fibre_attenuation_default(780e-9, NULL), 3.5, 1e-12);
  assert_close(tsr_fibre_attenuation_default(422e-9, NULL), 130, 1e-9);
  assert_close(tsr_fibre_attenuation_default(1522e-9, NULL), 0.2, 1e-12); /* within 2 % */
  double mid = tsr_fibre_attenuation_default(1400e-9, &src);
  assert_true(mid < 0.35 && mid > 0.2);
  assert_non_null(strstr(src, "interpolated"));
  assert_close(tsr_fibre_attenuation_default(2000e-9, NULL), 0.2, 1e-12);
  assert_true(isnan(tsr_fibre_attenuation_default(0, NULL)));
  /* ~4.9 us/km */
  assert_close(tsr_fibre_delay(1000.0), 4.9e-6, 0.01e-6);
}

static void programmatic_arch_and_links(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_new("pair", &a, &err), &err);
  uint32_t ia, ib;
  assert_ok(tsr_arch_add_module(a, "a", TSR_ROLE_COMPUTE, preset("ion-forte"), &ia, &err), &err);
  assert_ok(tsr_arch_add_module(a, "b", TSR_ROLE_MEMORY, preset("ion-forte"), &ib, &err), &err);
  assert_int_equal(tsr_arch_add_module(a, "a", TSR_ROLE_COMPUTE, preset("ion-aria"), NULL, &err),
                   TSR_ERR_VALUE);
  assert_int_equal(tsr_arch_find_module(a, "b"), 1);
  assert_int_equal(tsr_arch_find_module(a, "c"), -1);
  assert_int_equal(tsr_arch_compute_count(a), 1);

  tsr_link l;
  tsr_link_init(&l, ia, ib, 10000.0);
  uint32_t il;
  assert_ok(tsr_arch_add_link(a, &l, &il, &err), &err);
  const tsr_link *r = &a->links[il];
  assert_close(r->ends[0].fibre_wavelength_m, 369.5e-9, 1e-15);
  assert_close(r->ends[0].attenuation_db_per_km, 130, 1e-9);
  assert_close(r->detector.efficiency, 0.6, 1e-12); /* visible-range default */
  assert_true(r->attempt_period_derived);
  /* emission 1.2 us + photon to the middle and herald back: 2 * 5 km / v */
  assert_close(r->attempt_period_s, 1.2e-6 + 2 * 5000 * TSR_FIBRE_GROUP_INDEX / TSR_SPEED_OF_LIGHT,
               1e-12);
  assert_close(tsr_link_derived_period(a, r), r->attempt_period_s, 1e-15);
  assert_close(r->visibility, 0.88, 1e-12);
  assert_int_equal(r->multiplexing, 1);
  assert_ok(tsr_arch_validate(a, &err), &err);

  /* a conversion stage moves the fibre wavelength, attenuation and detectors */
  tsr_link_init(&l, ib, ia, 2000.0);
  l.ends[0].n_conversion = 1;
  l.ends[0].conversion[0] = (tsr_conversion_stage){1550e-9, 0.3, 1e-4};
  l.attempt_period_s = 5e-6;
  assert_ok(tsr_arch_add_link(a, &l, &il, &err), &err);
  r = &a->links[il];
  assert_close(r->ends[0].fibre_wavelength_m, 1550e-9, 1e-15);
  assert_close(r->ends[0].attenuation_db_per_km, 0.2, 1e-12);
  assert_close(r->detector.efficiency, 0.9, 1e-12); /* SNSPD */
  assert_false(r->attempt_period_derived);
  /* ... but the photons now meet at different wavelengths, and the pair is
   * linked twice: the checks say so */
  assert_int_equal(tsr_arch_validate(a, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "duplicate link"));

  /* self links and unknown modules are refused on add */
  tsr_link_init(&l, ia, ia, 1.0);
  assert_int_equal(tsr_arch_add_link(a, &l, NULL, &err), TSR_ERR_VALUE);
  tsr_link_init(&l, ia, 9, 1.0);
  assert_int_equal(tsr_arch_add_link(a, &l, NULL, &err), TSR_ERR_VALUE);
  tsr_arch_free(a);
}

static void validation_without_a_file(void **state) {
  (void)state;
  tsr_error err;
  tsr_module_params p = *preset("ion-forte");
  p.coherence.t2_s = 300; /* > 2 * 100 s */
  tsr_arch *a = one_module("x", &p);
  assert_int_equal(tsr_arch_validate(a, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "T2"));
  assert_int_equal(err.line, 0);
  tsr_arch_free(a);

  p = *preset("ion-forte");
  p.communication_qubits = 37;
  a = one_module("x", &p);
  assert_int_equal(tsr_arch_validate(a, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "communication qubits"));
  tsr_arch_free(a);

  p = *preset("ion-forte");
  p.gate_2q.fidelity = 1.01;
  a = one_module("x", &p);
  assert_int_equal(tsr_arch_validate(a, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "outside [0, 1]"));
  tsr_arch_free(a);

  p = *preset("sc-willow");
  p.qubits = 106;
  a = one_module("x", &p);
  assert_int_equal(tsr_arch_validate(a, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "sites"));
  tsr_arch_free(a);

  a = one_module("bad name", preset("ion-forte"));
  assert_int_equal(tsr_arch_validate(a, &err), TSR_ERR_VALUE);
  tsr_arch_free(a);

  tsr_module_params ideal;
  tsr_module_params_ideal(&ideal, 8);
  a = one_module("ideal", &ideal);
  assert_ok(tsr_arch_validate(a, &err), &err);
  assert_int_equal(a->modules[0].params.communication_qubits, 8);
  assert_true(isinf(a->modules[0].params.coherence.t1_s));
  tsr_arch_free(a);
}

static void json_and_dot_writers(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_new("two", &a, &err), &err);
  assert_ok(tsr_arch_add_module(a, "a", TSR_ROLE_COMPUTE, preset("sc-heron"), NULL, &err), &err);
  assert_ok(tsr_arch_add_module(a, "m", TSR_ROLE_MEMORY, preset("diamond-siv"), NULL, &err), &err);
  tsr_link l;
  tsr_link_init(&l, 0, 1, 1000);
  l.ends[1].n_conversion = 1;
  l.ends[1].conversion[0] = (tsr_conversion_stage){1550e-9, 0.3, 0};
  assert_ok(tsr_arch_add_link(a, &l, NULL, &err), &err);
  assert_ok(tsr_arch_validate(a, &err), &err);

  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  tsr_json *j = tsr_json_new(f, 0);
  assert_ok(tsr_arch_write_json(a, j, &err), &err);
  tsr_json_free(j);
  fclose(f);
  assert_non_null(strstr(buf, "\"modules\":"));
  assert_non_null(strstr(buf, "\"links\":"));
  assert_non_null(strstr(buf, "\"between\":[\"a\",\"m\"]"));
  assert_non_null(strstr(buf, "\"modality\":\"superconducting\""));
  assert_non_null(strstr(buf, "\"edges\":176"));
  assert_non_null(strstr(buf, "\"role\":\"memory\""));
  free(buf);

  buf = NULL;
  f = open_memstream(&buf, &len);
  assert_ok(tsr_arch_write_dot(a, f, &err), &err);
  fclose(f);
  assert_non_null(strstr(buf, "graph \"two\" {"));
  assert_non_null(strstr(buf, "\"a\" -- \"m\""));
  assert_non_null(strstr(buf, "shape=ellipse"));
  free(buf);
  tsr_arch_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_preset_exists_and_validates),
      cmocka_unit_test(every_number_has_a_marked_source),
      cmocka_unit_test(presets_are_physical),
      cmocka_unit_test(presets_match_physics_readme),
      cmocka_unit_test(collection_from_numerical_aperture),
      cmocka_unit_test(simple_generators),
      cmocka_unit_test(heavy_hex_heron_layout),
      cmocka_unit_test(heavy_hex_generated_lattices),
      cmocka_unit_test(connectivity_refusals),
      cmocka_unit_test(names_round_trip),
      cmocka_unit_test(fibre_defaults),
      cmocka_unit_test(programmatic_arch_and_links),
      cmocka_unit_test(validation_without_a_file),
      cmocka_unit_test(json_and_dot_writers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
