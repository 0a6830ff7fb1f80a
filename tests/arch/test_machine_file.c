/* Machine files: every example and the built-in default load; every key
 * does what docs/machine-file.md says; every invalid case is refused with
 * its exact file:line:col and a clear message; pytket-dqc networks load;
 * mangled files never crash the loader. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/arch.h"
#include "tsr_test.h"

static tsr_arch *load_ok(const char *text) {
  tsr_arch *a = NULL;
  tsr_error err;
  tsr_error_clear(&err);
  assert_ok(tsr_arch_load_string(text, strlen(text), "t.yaml", &a, &err), &err);
  assert_ok(tsr_arch_validate(a, &err), &err);
  return a;
}

/* Loading text must fail at line:col with a message holding want. */
static void refuse(const char *text, int line, int col, const char *want) {
  tsr_arch *a = NULL;
  tsr_error err;
  tsr_error_clear(&err);
  tsr_status st = tsr_arch_load_string(text, strlen(text), "bad.yaml", &a, &err);
  char buf[1024];
  tsr_error_format(&err, buf, sizeof buf);
  if (st == TSR_OK) fail_msg("accepted:\n%s", text);
  assert_null(a);
  if (st != TSR_ERR_INPUT) fail_msg("status %d, not an input error: %s", (int)st, buf);
  if (strcmp(err.file, "bad.yaml") != 0 || err.line != line || err.col != col) {
    fail_msg("expected bad.yaml:%d:%d, got %s\nfor:\n%s", line, col, buf, text);
  }
  if (!strstr(err.message, want)) fail_msg("message lacks '%s': %s", want, buf);
}

static const tsr_module *module(const tsr_arch *a, const char *name) {
  int64_t i = tsr_arch_find_module(a, name);
  if (i < 0) fail_msg("no module %s", name);
  return &a->modules[i];
}

/* --------------------------------------------------------------- examples */

static void every_example_loads(void **state) {
  (void)state;
  char dir[1024];
  tsr_test_source_path(dir, sizeof dir, "examples/machines");
  char **files = NULL;
  size_t n = tsr_test_list_files(dir, ".yaml", &files);
  assert_true(n >= 4);
  for (size_t i = 0; i < n; i++) {
    tsr_arch *a = NULL;
    tsr_error err;
    assert_ok(tsr_arch_load_file(files[i], &a, &err), &err);
    assert_ok(tsr_arch_validate(a, &err), &err);
    assert_true(a->n_modules >= 1);
    assert_true(a->name[0] != '\0');
    assert_string_equal(a->source, files[i]);
    tsr_arch_free(a);
  }
  tsr_test_free_list(files, n);
}

static void default_machine_is_built_in(void **state) {
  (void)state;
  tsr_arch *a = NULL;
  tsr_error err;
  assert_ok(tsr_arch_default(&a, &err), &err);
  assert_string_equal(a->name, "harq-default");
  assert_string_equal(a->source, "<default>");
  int ions = 0, atoms = 0, sc = 0, memories = 0;
  for (size_t i = 0; i < a->n_modules; i++) {
    const tsr_module *m = &a->modules[i];
    if (m->role == TSR_ROLE_MEMORY) {
      memories++;
      assert_int_equal(m->params.modality, TSR_MODALITY_COLOUR_CENTRE);
      continue;
    }
    ions += m->params.modality == TSR_MODALITY_TRAPPED_ION;
    atoms += m->params.modality == TSR_MODALITY_NEUTRAL_ATOM;
    sc += m->params.modality == TSR_MODALITY_SUPERCONDUCTING;
  }
  assert_int_equal(ions, 2);
  assert_int_equal(atoms, 1);
  assert_int_equal(sc, 1);
  assert_int_equal(memories, 1);
  assert_int_equal(tsr_arch_compute_count(a), 4);
  /* every module reaches the hub; telecom photons on both arms */
  int64_t hub = tsr_arch_find_module(a, "hub");
  assert_int_equal(a->n_links, 4);
  for (size_t i = 0; i < a->n_links; i++) {
    const tsr_link *l = &a->links[i];
    assert_true(l->ends[0].module == (uint32_t)hub || l->ends[1].module == (uint32_t)hub);
    assert_true(l->length_m >= 5000 && l->length_m <= 12000);
    for (int e = 0; e < 2; e++) assert_close(l->ends[e].fibre_wavelength_m, 1550e-9, 1e-15);
    assert_close(l->ends[0].attenuation_db_per_km, 0.2, 1e-12);
  }
  tsr_arch_free(a);
}

static void default_yaml_equals_example_file(void **state) {
  (void)state;
  char path[1024];
  tsr_test_source_path(path, sizeof path, "examples/machines/default.yaml");
  char *text = NULL;
  size_t len = 0;
  tsr_error err;
  assert_ok(tsr_read_file(path, &text, &len, &err), &err);
  const char *builtin = tsr_arch_default_yaml();
  if (len != strlen(builtin) || memcmp(text, builtin, len) != 0) {
    fail_msg("examples/machines/default.yaml and src/arch/default_machine.c differ: regenerate "
             "the string (see the comment at the top of default_machine.c)");
  }
  free(text);
}

static void oxford_example_matches_the_paper(void **state) {
  (void)state;
  char path[1024];
  tsr_test_source_path(path, sizeof path, "examples/machines/oxford-2020.yaml");
  tsr_arch *a = NULL;
  tsr_error err;
  assert_ok(tsr_arch_load_file(path, &a, &err), &err);
  assert_int_equal(a->n_modules, 2);
  assert_int_equal(a->n_links, 1);
  const tsr_link *l = &a->links[0];
  assert_close(l->length_m, 2.0, 1e-12);
  assert_int_equal(l->protocol, TSR_PROTOCOL_TWO_PHOTON);
  assert_close(l->ends[0].fibre_wavelength_m, 422e-9, 1e-15);
  /* eta per node = collection * fibre * detector ~ 0.021, p = eta^2 / 2 ~ 2.18e-4 */
  const tsr_module *alice = module(a, "alice");
  double t = pow(10.0, -l->ends[0].attenuation_db_per_km * l->ends[0].arm_length_m / 1000 / 10);
  double eta = alice->params.photon.emission_probability *
               alice->params.photon.collection_efficiency * t * l->detector.efficiency;
  assert_close(eta, 0.0209, 0.0005);
  assert_close(eta * eta / 2 * (1.0 / l->attempt_period_s), 182, 10); /* pairs per second */
  assert_string_equal(module(a, "bob")->name, "bob"); /* built from alice by a merge key */
  assert_int_equal(module(a, "bob")->params.qubits, 1);
  tsr_arch_free(a);
}

/* Every complete machine (a ```yaml block with a top-level modules: key) in
 * docs/machine-file.md loads. */
static void documented_examples_load(void **state) {
  (void)state;
  char path[1024];
  tsr_test_source_path(path, sizeof path, "docs/machine-file.md");
  char *doc = NULL;
  size_t len = 0;
  tsr_error err;
  assert_ok(tsr_read_file(path, &doc, &len, &err), &err);
  int machines = 0;
  for (char *p = strstr(doc, "```yaml\n"); p; p = strstr(p, "```yaml\n")) {
    p += 8;
    char *end = strstr(p, "```");
    assert_non_null(end);
    *end = '\0';
    if (strncmp(p, "modules:", 8) == 0 || strstr(p, "\nmodules:")) {
      tsr_arch *a = NULL;
      assert_ok(tsr_arch_load_string(p, strlen(p), "docs/machine-file.md", &a, &err), &err);
      tsr_arch_free(a);
      machines++;
    }
    p = end + 3;
  }
  assert_true(machines >= 2);
  free(doc);
}

static void pytket_dqc_networks_load(void **state) {
  (void)state;
  char dir[1024];
  TSR_REQUIRE_SHARED(dir, "compile/pytket-dqc/networks");
  char **files = NULL;
  size_t n = tsr_test_list_files(dir, ".json", &files);
  assert_true(n > 10);
  for (size_t i = 0; i < n; i++) {
    tsr_arch *a = NULL;
    tsr_error err;
    assert_ok(tsr_arch_load_file(files[i], &a, &err), &err);
    assert_ok(tsr_arch_validate(a, &err), &err);
    assert_true(a->n_modules >= 2);
    for (size_t m = 0; m < a->n_modules; m++) {
      assert_int_equal(a->modules[m].params.modality, TSR_MODALITY_IDEAL);
      assert_true(a->modules[m].params.communication_qubits <= a->modules[m].params.qubits);
    }
    for (size_t l = 0; l < a->n_links; l++) {
      assert_int_equal(a->links[l].protocol, TSR_PROTOCOL_IDEAL);
    }
    tsr_arch_free(a);
  }
  tsr_test_free_list(files, n);
  /* the format itself */
  const char *net =
      "{\"servers\": [\n  {\"id\": 0, \"qubits\": 5, \"link_qubits\": 2},\n"
      "  {\"id\": 3, \"qubits\": 6, \"link_qubits\": null}],\n \"links\": [[0, 3]]}\n";
  tsr_arch *a = NULL;
  tsr_error err;
  assert_ok(tsr_arch_load_string(net, strlen(net), "n.json", &a, &err), &err);
  assert_int_equal(a->n_modules, 2);
  assert_string_equal(a->modules[1].name, "server3");
  /* link qubits are EPR memory beside the circuit qubits; null (not limited)
     is one more than the network's circuit qubits (5 + 6 = 11): a copy of
     every qubit and a pair's temporary half */
  assert_int_equal(a->modules[0].params.qubits, 7);
  assert_int_equal(a->modules[0].params.communication_qubits, 2);
  assert_int_equal(a->modules[1].params.qubits, 18);
  assert_int_equal(a->modules[1].params.communication_qubits, 12);
  assert_int_equal(a->n_links, 1);
  tsr_arch_free(a);
  const char *undef = "{\"servers\": [{\"id\": 0, \"qubits\": 5, \"link_qubits\": 2}],\n"
                      " \"links\": [[0, 7]]}";
  refuse(undef, 2, 16, "undefined server 7");
}

/* -------------------------------------------------------------- the keys */

static void units_and_overrides(void **state) {
  (void)state;
  tsr_arch *a = load_ok("name: units\n"
                        "modules:\n"
                        "  - name: m\n"
                        "    preset: ion-forte\n"
                        "    qubits: 20\n"
                        "    gate_1q: {duration: 0.5 ms}\n"
                        "    gate_2q: {error: 0.5 %, duration: 800 us}\n"
                        "    readout: {fidelity: 99.5 %}\n"
                        "    coherence: {t1: .inf, t2: 1e3}\n");
  const tsr_module *m = module(a, "m");
  assert_int_equal(m->params.qubits, 20);
  assert_close(m->params.gate_1q.duration_s, 0.5e-3, 1e-15);
  assert_close(m->params.gate_1q.fidelity, 0.9998, 1e-12); /* kept from the preset */
  assert_close(m->params.gate_2q.fidelity, 0.995, 1e-12);
  assert_close(m->params.gate_2q.duration_s, 800e-6, 1e-15);
  assert_close(m->params.readout.fidelity, 0.995, 1e-12);
  assert_close(m->params.readout.duration_s, 150e-6, 1e-15);
  assert_true(isinf(m->params.coherence.t1_s));
  assert_close(m->params.coherence.t2_s, 1000, 1e-9);
  tsr_arch_free(a);
  /* ... but an infinite T2 with a finite T1 breaks T2 <= 2 T1 */
  refuse("modules:\n  - name: m\n    preset: ion-forte\n    coherence: {t1: 2 min, t2: .inf}\n", 4,
         32, "exceeds 2*T1");
  a = load_ok("modules:\n"
              "  - name: m\n"
              "    preset: ion-forte\n"
              "    coherence: {t1: 2 h, t2: 1 h}\n"
              "    photon: {wavelength: 1.5 um, numerical_aperture: 0.4}\n");
  m = module(a, "m");
  assert_close(m->params.coherence.t1_s, 7200, 1e-9);
  assert_close(m->params.coherence.t2_s, 3600, 1e-9);
  /* the preset's communication qubits share the data qubits' coherence */
  assert_close(m->params.communication_coherence.t2_s, 3600, 1e-9);
  assert_close(m->params.photon.wavelength_m, 1.5e-6, 1e-18);
  assert_close(m->params.photon.collection_efficiency, tsr_collection_from_na(0.4), 1e-12);
  assert_true(m->overridden & (1u << TSR_PARAM_COHERENCE));
  assert_true(m->overridden & (1u << TSR_PARAM_PHOTON));
  assert_false(m->overridden & (1u << TSR_PARAM_GATE_2Q));
  assert_string_equal(tsr_module_source(m, TSR_PARAM_COHERENCE), "machine file");
  assert_non_null(strstr(tsr_module_source(m, TSR_PARAM_GATE_2Q), "Braket"));
  assert_string_equal(m->preset, "ion-forte");
  tsr_arch_free(a);
}

static void modules_without_presets(void **state) {
  (void)state;
  tsr_arch *a = load_ok("modules:\n"
                        "  - name: custom\n"
                        "    modality: neutral-atom\n"
                        "    qubits: 16\n"
                        "    native_gates: [rz, gr, cz]\n"
                        "    gate_1q: {fidelity: 0.999, duration: 1 us}\n"
                        "    gate_2q: {fidelity: 0.99, duration: 300 ns}\n"
                        "    readout: {fidelity: 0.98, duration: 2 ms}\n"
                        "    coherence: {t1: 4 s, t2: 1 s}\n"
                        "    connectivity: grid\n"
                        "  - name: abstract\n"
                        "    modality: ideal\n"
                        "    qubits: 8\n");
  const tsr_module *m = module(a, "custom");
  assert_string_equal(m->preset, "");
  assert_int_equal(m->params.connectivity.kind, TSR_TOPOLOGY_GRID);
  assert_int_equal(m->params.connectivity.rows * m->params.connectivity.cols, 16);
  assert_close(m->params.reset.fidelity, 0.98, 1e-12); /* reset defaults to the readout */
  assert_int_equal(m->params.communication_qubits, 0);
  assert_close(m->params.communication_coherence.t2_s, 1, 1e-12);
  assert_int_equal(m->params.n_native_gates, 3);
  assert_string_equal(m->params.native_gates[1], "gr");
  m = module(a, "abstract");
  assert_int_equal(m->params.communication_qubits, 8);
  assert_close(m->params.gate_2q.fidelity, 1, 0);
  tsr_arch_free(a);
}

static void connectivity_keys(void **state) {
  (void)state;
  tsr_arch *a = load_ok("modules:\n"
                        "  - {name: a, preset: atom-rb, connectivity: {move_time: 300 us}}\n"
                        "  - {name: b, preset: sc-heron, qubits: 100}\n"
                        "  - {name: c, preset: sc-willow, qubits: 64,\n"
                        "     connectivity: {kind: grid, rows: 8, cols: 8}}\n"
                        "  - {name: d, preset: ion-forte, connectivity: line}\n"
                        "  - {name: e, preset: ion-forte, connectivity: {kind: heavy-hex, rows: 3, "
                        "cols: 5}, qubits: 15}\n");
  assert_close(module(a, "a")->params.connectivity.move_time_s, 300e-6, 1e-15);
  assert_int_equal(module(a, "a")->params.connectivity.kind, TSR_TOPOLOGY_RECONFIGURABLE);
  assert_int_equal(module(a, "b")->params.connectivity.kind, TSR_TOPOLOGY_HEAVY_HEX);
  assert_int_equal(module(a, "c")->params.connectivity.rows, 8);
  assert_int_equal(module(a, "d")->params.connectivity.kind, TSR_TOPOLOGY_LINE);
  assert_int_equal(module(a, "e")->params.connectivity.cols, 5);
  tsr_arch_free(a);
}

static const char *two_modules = "modules:\n"
                                 "  - {name: a, preset: ion-ba-nextgen}\n"
                                 "  - {name: b, preset: atom-rb}\n"
                                 "nodes:\n"
                                 "  - {name: hub, preset: diamond-siv}\n";

static tsr_arch *load_with_links(const char *links) {
  size_t n = strlen(two_modules) + strlen(links) + 1;
  char *text = malloc(n);
  snprintf(text, n, "%s%s", two_modules, links);
  tsr_arch *a = load_ok(text);
  free(text);
  return a;
}

static void link_keys(void **state) {
  (void)state;
  tsr_arch *a =
      load_with_links("links:\n"
                      "  - between: [a, hub]\n"
                      "    length: 10 km\n"
                      "    station: hub\n"
                      "    protocol: two-photon\n"
                      "    attempt_period: 200 us\n"
                      "    multiplexing: 8\n"
                      "    visibility: 0.95\n"
                      "    attenuation: [{wavelength: 1550 nm, value: 0.18 dB/km}]\n"
                      "    detectors: {efficiency: 0.98, window: 5 ns}\n"
                      "    conversion:\n"
                      "      a: [{to: 1092 nm, efficiency: 0.6}, {to: 1550 nm, efficiency: 0.5, "
                      "noise_photons: 2e-4}]\n"
                      "      hub: {to: 1550 nm, efficiency: 0.3}\n"
                      "  - between: [b, hub]\n"
                      "    length: 3 km\n"
                      "    station: 1 km\n"
                      "    protocol: single-click\n"
                      "    bright_state_weight: 0.05\n"
                      "    conversion: {b: [{to: 737 nm, efficiency: 0.4}]}\n");
  assert_int_equal(a->n_modules, 3);
  assert_int_equal(module(a, "hub")->role, TSR_ROLE_MEMORY);
  assert_int_equal(a->n_links, 2);
  const tsr_link *l = &a->links[0];
  assert_int_equal(l->station, TSR_STATION_END_B);
  assert_close(l->ends[0].arm_length_m, 10000, 1e-9);
  assert_close(l->ends[1].arm_length_m, 0, 0);
  assert_close(l->length_m, 10000, 1e-9);
  assert_close(l->attempt_period_s, 200e-6, 1e-15);
  assert_false(l->attempt_period_derived);
  assert_int_equal(l->multiplexing, 8);
  assert_close(l->visibility, 0.95, 1e-12);
  assert_close(l->ends[0].attenuation_db_per_km, 0.18, 1e-12);
  assert_int_equal(l->ends[0].n_conversion, 2);
  assert_close(l->ends[0].conversion[0].target_wavelength_m, 1092e-9, 1e-18);
  assert_close(l->ends[0].conversion[1].noise_photons, 2e-4, 1e-15);
  assert_close(l->ends[0].fibre_wavelength_m, 1550e-9, 1e-18);
  assert_int_equal(l->ends[1].n_conversion, 1);
  assert_close(l->detector.efficiency, 0.98, 1e-12);
  assert_close(l->detector.dark_count_rate_hz, 1.0, 1e-12); /* SNSPD default kept */
  assert_close(l->detector.window_s, 5e-9, 1e-18);

  l = &a->links[1];
  assert_int_equal(l->protocol, TSR_PROTOCOL_SINGLE_CLICK);
  assert_close(l->bright_state_weight, 0.05, 1e-12);
  assert_int_equal(l->station, TSR_STATION_DISTANCE);
  assert_close(l->ends[0].arm_length_m, 1000, 1e-9);
  assert_close(l->ends[1].arm_length_m, 2000, 1e-9);
  assert_close(l->ends[0].attenuation_db_per_km, 4.0, 1e-12); /* 737 nm default */
  assert_close(l->detector.efficiency, 0.6, 1e-12);           /* visible default */
  assert_true(l->attempt_period_derived);
  /* emission 1 us (both ends) + 2 x the longer arm (2 km) of flight */
  assert_close(l->attempt_period_s, 1e-6 + 2 * tsr_fibre_delay(2000), 1e-15);
  tsr_arch_free(a);
}

static void quoted_and_folded_strings(void **state) {
  (void)state;
  tsr_arch *a = load_ok("name: 'it''s'\n"
                        "description: 'a   run,\n"
                        "  folded  \n"
                        "\n"
                        "  twice'\n"
                        "modules:\n"
                        "  - {name: \"m\\u0031\", preset: 'ion-forte'}\n");
  assert_string_equal(a->name, "it's");
  assert_string_equal(a->description, "a   run, folded\ntwice");
  assert_string_equal(a->modules[0].name, "m1");
  tsr_arch_free(a);
  a = load_ok(
      "name: >-\n  folded\n  block\nmodules:\n  - name: x\n    preset: |-\n      ion-aria\n");
  assert_string_equal(a->name, "folded block");
  assert_string_equal(a->modules[0].preset, "ion-aria");
  tsr_arch_free(a);
}

static void anchors_merges_and_comments(void **state) {
  (void)state;
  tsr_arch *a = load_ok("# a comment\n"
                        "modules:\n"
                        "  - &base   # anchored module\n"
                        "    name: a\n"
                        "    preset: ion-forte\n"
                        "    gate_2q: &g {fidelity: 0.99, duration: 1 ms}\n"
                        "  - <<: *base\n"
                        "    name: b\n"
                        "    readout: {fidelity: 0.9}\n"
                        "  - {name: c, preset: ion-aria, gate_2q: *g}\n");
  assert_int_equal(a->n_modules, 3);
  assert_close(module(a, "b")->params.gate_2q.fidelity, 0.99, 1e-12);
  assert_close(module(a, "b")->params.readout.fidelity, 0.9, 1e-12);
  assert_close(module(a, "a")->params.readout.fidelity, 0.9962, 1e-12);
  assert_close(module(a, "c")->params.gate_2q.duration_s, 1e-3, 1e-15);
  tsr_arch_free(a);
}

/* ------------------------------------------------------------ refusals */

static void refuses_yaml_syntax_errors(void **state) {
  (void)state;
  refuse("modules:\n  - name: a\n    qubits: [1, 2\n", 4, 1, "YAML syntax error");
  refuse("modules:\n  - name: \"a\n", 2, 12, "YAML syntax error");
  refuse("modules:\n\t- name: a\n", 2, 1, "YAML syntax error");
  refuse("modules: []\n---\nmodules: []\n", 2, 1, "more than one YAML document");
  refuse("modules:\n  - *nothing\n", 2, 5, "alias '*nothing'");
  refuse("modules:\n  - name: a\n    name: b\n", 3, 5, "duplicate key 'name' (first at line 2)");
  refuse("", 1, 1, "empty machine file");
  refuse("# only a comment\n", 1, 1, "empty machine file");
  refuse("- a\n- b\n", 1, 1, "expected a mapping");
  refuse("modules:\n  - name: a\x04\n", 2, 12, "control character 0x04");
  refuse("%sp\x9f::\n", 1, 4, "invalid UTF-8 (byte 0x9f)");
  refuse("name: \xc3\xa9t\xe9\n", 1, 9, "invalid UTF-8");
}

static void refuses_unknown_keys_with_a_suggestion(void **state) {
  (void)state;
  refuse("modles:\n  - {name: a, preset: ion-forte}\n", 1, 1,
         "unknown key 'modles' (did you mean 'modules'?)");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    qbits: 3\n", 4, 5,
         "unknown key 'qbits' (did you mean 'qubits'?)");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    gate_2q: {fidelty: 0.99}\n", 4, 15,
         "unknown key 'fidelty' in gate_2q (did you mean 'fidelity'?)");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - between: [a, b]\n    lenght: 5 km\n",
         6, 5, "unknown key 'lenght' (did you mean 'length'?)");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    colour: blue\n", 4, 5,
         "unknown key 'colour' (expected one of: name, preset, modality");
  refuse("modules:\n  - name: a\n    preset: ion-frote\n", 3, 13,
         "unknown preset 'ion-frote' (did you mean 'ion-forte'?)");
  refuse("modules:\n  - name: a\n    modality: trapped_ion\n    qubits: 2\n", 3, 15,
         "unknown modality 'trapped_ion' (did you mean 'trapped-ion'?)");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    native_gates: [gpi, gpii]\n", 4, 25,
         "unknown gate 'gpii' (did you mean 'gpi'?)");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    connectivity: all2all\n", 4, 19,
         "unknown kind 'all2all'");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - {between: [a, b], length: 1 km, protocol: two-foton}\n",
         5, 47, "unknown protocol 'two-foton' (did you mean 'two-photon'?)");
}

static void refuses_wrong_types(void **state) {
  (void)state;
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    qubits: many\n", 4, 13,
         "qubits: expected a whole number, got 'many'");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    qubits: 3.5\n", 4, 13,
         "expected a whole number");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    gate_2q: 0.99\n", 4, 14,
         "gate_2q: expected a mapping, got '0.99'");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    gate_2q: {fidelity: \"0.99\"}\n", 4, 25,
         "expected a number in [0, 1], got the string '0.99'");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    gate_1q: {duration: 5 km}\n", 4, 25,
         "'5 km' is not a time");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    coherence: [1, 2]\n", 4, 16,
         "coherence: expected a mapping, got a list");
  refuse("modules: {name: a}\n", 1, 10, "modules: expected a list, got a mapping");
  refuse("modules:\n  - {name: [a], preset: ion-forte}\n", 2, 12, "name: expected a name");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - {between: a, length: 1 km}\n",
         5, 15, "between: expected a list of two module names");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - {between: [a, b, a], length: 1 km}\n",
         5, 15, "exactly two modules");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    photon: {wavelength: 1550}\n", 4, 26,
         "not an optical wavelength");
}

static void refuses_missing_required_fields(void **state) {
  (void)state;
  refuse("name: nothing\n", 1, 1, "missing required field 'modules'");
  refuse("modules:\n  - preset: ion-forte\n", 2, 5, "module 1: missing required field 'name'");
  refuse("modules:\n  - name: a\n", 2, 5, "missing required field 'preset'");
  refuse("modules:\n  - name: a\n    modality: trapped-ion\n", 2, 5,
         "missing required field 'qubits'");
  refuse("modules:\n  - name: a\n    modality: trapped-ion\n    qubits: 4\n", 2, 5,
         "missing required field 'native_gates'");
  refuse("modules:\n  - name: a\n    modality: trapped-ion\n    qubits: 4\n"
         "    native_gates: [rz, zz]\n    gate_1q: {fidelity: 0.99}\n    gate_2q: {fidelity: 0.9}\n"
         "    readout: {fidelity: 0.99}\n    coherence: {t1: 1 s}\n",
         9, 16, "coherence: missing required field 't2'");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - between: [a, b]\n",
         5, 5, "missing required field 'length'");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - length: 1 km\n",
         5, 5, "missing required field 'between'");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - {between: [a, b], length: 1 km, protocol: single-click}\n",
         5, 5, "missing required field 'bright_state_weight'");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - between: [a, b]\n    length: 1 km\n    conversion: {a: {efficiency: 0.5}}\n",
         7, 21, "missing required field 'to'");
  refuse("modules: []\n", 1, 10, "at least one module");
}

static void refuses_out_of_range_numbers(void **state) {
  (void)state;
  /* fidelity or probability outside [0, 1] */
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    gate_2q: {fidelity: 1.2}\n", 4, 25,
         "gate_2q.fidelity = 1.2 is outside [0, 1]");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    readout: {fidelity: -0.1}\n", 4, 25,
         "outside [0, 1]");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    gate_1q: {error: 120 %}\n", 4, 22,
         "gate_1q.error = 120 % is outside [0, 1]");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    photon: {emission_probability: 1.5}\n",
         4, 36, "photon.emission_probability = 1.5 is outside [0, 1]");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - between: [a, b]\n    length: 1 km\n    visibility: 1.01\n",
         7, 17, "visibility = 1.01 is outside [0, 1]");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - between: [a, b]\n    length: 1 km\n"
         "    conversion: {a: [{to: 1550 nm, efficiency: 2}]}\n",
         7, 48, "conversion.efficiency = 2 is outside [0, 1]");
  /* negative length, time or rate */
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - between: [a, b]\n    length: -5 km\n",
         6, 13, "length = -5 km: a length cannot be negative");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    gate_1q: {duration: -3 us}\n", 4, 25,
         "gate_1q.duration = -3 us: a time cannot be negative");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - between: [a, b]\n    length: 1 km\n    detectors: {dark_count_rate: -1 Hz}\n",
         7, 34, "detectors.dark_count_rate = -1 Hz: a rate cannot be negative");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    coherence: {t1: 0 s}\n", 4, 21,
         "coherence.t1 = 0 s must be positive");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - between: [a, b]\n    length: 1 km\n    attempt_period: 0 s\n",
         7, 21, "attempt_period = 0 s must be positive");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - between: [a, b]\n    length: 1 km\n    station: 2 km\n",
         7, 14, "beyond the link's 1 km");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    qubits: 0\n", 4, 13,
         "qubits = 0 must be between 1");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    qubits: -4\n", 4, 13,
         "cannot be negative");
}

static void refuses_t2_above_twice_t1(void **state) {
  (void)state;
  /* at t2 when given */
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    coherence: {t1: 1 s, t2: 3 s}\n", 4, 30,
         "T2 = 3 s exceeds 2*T1 = 2 s");
  /* at the coherence mapping when only t1 moved below the preset's t2 */
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    coherence: {t1: 100 ms}\n", 4, 16,
         "exceeds 2*T1");
  /* communication qubits have their own coherence */
  refuse("modules:\n  - name: a\n    preset: diamond-siv\n"
         "    communication: {t1: 5 ms, t2: 13 ms}\n",
         4, 35, "communication-qubit T2 = 13 ms exceeds 2*T1 = 10 ms");
}

static void refuses_links_to_undefined_modules(void **state) {
  (void)state;
  refuse("modules:\n  - {name: ion1, preset: ion-forte}\n  - {name: ion2, preset: ion-forte}\n"
         "links:\n  - {between: [ion1, ion3], length: 1 km}\n",
         5, 22, "undefined module 'ion3' (did you mean 'ion1'?)");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - {between: [a, zz], length: 1 km}\n",
         5, 19, "undefined module 'zz' (defined: a, b)");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n"
         "links:\n  - {between: [a, a], length: 1 km}\n",
         4, 19, "not 'a' to itself");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - {between: [a, b], length: 1 km}\n  - {between: [b, a], length: 2 km}\n",
         6, 15, "duplicate link b -- a (first defined at line 5)");
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: ion-forte}\n"
         "links:\n  - between: [a, b]\n    length: 1 km\n    conversion: {c: {to: 1550 nm, "
         "efficiency: 0.5}}\n",
         7, 18, "'c' is not an end of this link");
}

static void refuses_too_many_communication_qubits(void **state) {
  (void)state;
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    communication: {qubits: 40}\n", 4, 29,
         "40 communication qubits but only 36 qubits");
  /* shrinking the module below the preset's communication qubits points at qubits */
  refuse("modules:\n  - name: a\n    preset: atom-rb\n    qubits: 3\n", 4, 13,
         "4 communication qubits but only 3 qubits");
  /* and a linked module needs at least one */
  refuse("modules:\n  - {name: a, preset: ion-forte, communication: {qubits: 0}}\n"
         "  - {name: b, preset: ion-forte}\nlinks:\n  - {between: [a, b], length: 1 km}\n",
         5, 15, "module 'a' has no communication qubits");
}

static void refuses_duplicate_module_names(void **state) {
  (void)state;
  refuse("modules:\n  - name: a\n    preset: ion-forte\n  - name: a\n    preset: ion-aria\n", 4, 11,
         "duplicate module name 'a' (first defined at line 2)");
  refuse("modules:\n  - {name: hub, preset: ion-forte}\nnodes:\n  - {name: hub, preset: "
         "diamond-siv}\n",
         4, 12, "duplicate module name 'hub'");
  refuse("modules:\n  - {name: 'my module', preset: ion-forte}\n", 2, 12,
         "must start with a letter");
}

/* photon.g2 and photon.cavity (docs/machine-file.md, photon interface). */
static void photon_g2_and_cavity(void **state) {
  (void)state;
  tsr_arch *a = load_ok("modules:\n"
                        "  - name: a\n    preset: diamond-siv\n"
                        "    photon: {g2: 2 %, cavity: {cooperativity: 10, in_coupling: 0.4}}\n"
                        "  - name: b\n    preset: diamond-siv\n"
                        "    photon: {cavity: {reflectivity: 0.3, fidelity: 0.95}}\n"
                        "  - {name: c, preset: diamond-siv}\n");
  const tsr_photon_interface *pa = &module(a, "a")->params.photon;
  const tsr_photon_interface *pb = &module(a, "b")->params.photon;
  assert_close(pa->g2, 0.02, 1e-15);
  assert_true(pa->has_cavity);
  assert_close(pa->cavity_cooperativity, 10, 0);
  assert_close(pa->cavity_in_coupling, 0.4, 0);
  assert_true(pb->has_cavity && isnan(pb->cavity_cooperativity));
  assert_close(pb->cavity_reflectivity, 0.3, 0);
  assert_close(pb->cavity_fidelity, 0.95, 0);
  assert_true(module(a, "b")->params.photon.g2 == 0); /* presets: ideal single photons */
  assert_false(module(a, "c")->params.photon.has_cavity);
  tsr_arch_free(a);
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    photon: {g2: 1.5}\n", 4, 18,
         "photon.g2 = 1.5 is outside [0, 1]");
  refuse("modules:\n  - name: a\n    preset: diamond-siv\n"
         "    photon: {cavity: {cooperativity: 3, in_coupling: 0.5, fidelity: 0.9}}\n",
         4, 59, "give cooperativity (and in_coupling) or reflectivity and fidelity, not both");
  refuse(
      "modules:\n  - name: a\n    preset: diamond-siv\n    photon: {cavity: {cooperativity: 3}}\n",
      4, 22, "missing required field 'in_coupling'");
  refuse("modules:\n  - name: a\n    preset: diamond-siv\n"
         "    photon: {cavity: {cooperativity: -1, in_coupling: 0.5}}\n",
         4, 38, "cavity.cooperativity");
  refuse("modules:\n  - name: a\n    preset: diamond-siv\n"
         "    photon: {cavity: {reflectivity: 2}}\n",
         4, 37, "photon.cavity.reflectivity = 2 is outside [0, 1]");
  refuse("modules:\n  - name: a\n    preset: diamond-siv\n    photon: {cavity: {contrast: 9}}\n", 4,
         23, "unknown key 'contrast'");
}

static void refuses_impossible_physics(void **state) {
  (void)state;
  /* photons must meet at one wavelength for two-photon interference */
  refuse("modules:\n  - {name: a, preset: ion-forte}\n  - {name: b, preset: atom-rb}\n"
         "links:\n  - {between: [a, b], length: 1 km}\n",
         5, 15, "different wavelengths (369.5 nm from 'a', 780 nm from 'b')");
  refuse("modules:\n  - name: a\n    preset: sc-willow\n    qubits: 200\n", 4, 13,
         "grid of 7 x 15 has 105 sites, fewer than its 200 qubits");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    modality: neutral-atom\n", 4, 15,
         "preset 'ion-forte' is a trapped-ion module");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    gate_2q: {fidelity: 0.9, error: 0.1}\n",
         4, 30, "give fidelity or error, not both");
  refuse("modules:\n  - name: a\n    preset: ion-forte\n    connectivity: {rows: 3}\n", 4, 20,
         "rows and cols apply to grid and heavy-hex");
  refuse(
      "modules:\n  - name: a\n    modality: trapped-ion\n    qubits: 1\n    native_gates: [rz]\n"
      "    gate_1q: {fidelity: 1}\n    readout: {fidelity: 1}\n    coherence: {t1: 1 s, t2: 1 s}\n"
      "    communication: {qubits: 1}\n  - {name: b, preset: ion-forte}\n"
      "links:\n  - {between: [a, b], length: 1 m}\n",
      12, 16, "module 'a' has no photon interface");
}

static void missing_files_are_io_errors(void **state) {
  (void)state;
  tsr_arch *a = NULL;
  tsr_error err;
  assert_int_equal(tsr_arch_load_file("/nonexistent/machine.yaml", &a, &err), TSR_ERR_IO);
  assert_null(a);
}

/* Mangled copies of the examples (flipped bytes, cut short, spliced) must
 * load or be refused cleanly: the sanitizer build turns any memory error
 * into a failure here. */
static void mangled_files_never_crash(void **state) {
  (void)state;
  char dir[1024];
  tsr_test_source_path(dir, sizeof dir, "examples/machines");
  char **files = NULL;
  size_t n = tsr_test_list_files(dir, ".yaml", &files);
  tsr_rng rng;
  tsr_rng_seed(&rng, 2024, 0);
  static const char alphabet[] = "\n :-[]{},&*<>'\"#!|%0123456789.ekmnsu\t\\";
  for (size_t f = 0; f < n; f++) {
    char *text = NULL;
    size_t len = 0;
    tsr_error err;
    assert_ok(tsr_read_file(files[f], &text, &len, &err), &err);
    char *copy = malloc(len + 1);
    for (int round = 0; round < 400; round++) {
      memcpy(copy, text, len + 1);
      size_t cut = len;
      int edits = 1 + (int)tsr_rng_below(&rng, 4);
      for (int e = 0; e < edits; e++) {
        size_t at = tsr_rng_below(&rng, len);
        switch (tsr_rng_below(&rng, 3)) {
        case 0:
          copy[at] = alphabet[tsr_rng_below(&rng, sizeof alphabet - 1)];
          break;
        case 1:
          cut = at;
          break;
        default:
          copy[at] = (char)tsr_rng_below(&rng, 256);
          break;
        }
      }
      tsr_arch *a = NULL;
      tsr_status st = tsr_arch_load_string(copy, cut, "m.yaml", &a, &err);
      if (st == TSR_OK) {
        assert_ok(tsr_arch_validate(a, &err), &err);
        tsr_arch_free(a);
      } else {
        assert_null(a);
        assert_true(err.line >= 1 && err.col >= 1);
        assert_true(strlen(err.message) > 0);
      }
    }
    free(copy);
    free(text);
  }
  tsr_test_free_list(files, n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_example_loads),
      cmocka_unit_test(default_machine_is_built_in),
      cmocka_unit_test(default_yaml_equals_example_file),
      cmocka_unit_test(oxford_example_matches_the_paper),
      cmocka_unit_test(documented_examples_load),
      cmocka_unit_test(pytket_dqc_networks_load),
      cmocka_unit_test(units_and_overrides),
      cmocka_unit_test(modules_without_presets),
      cmocka_unit_test(connectivity_keys),
      cmocka_unit_test(link_keys),
      cmocka_unit_test(quoted_and_folded_strings),
      cmocka_unit_test(anchors_merges_and_comments),
      cmocka_unit_test(refuses_yaml_syntax_errors),
      cmocka_unit_test(refuses_unknown_keys_with_a_suggestion),
      cmocka_unit_test(refuses_wrong_types),
      cmocka_unit_test(refuses_missing_required_fields),
      cmocka_unit_test(refuses_out_of_range_numbers),
      cmocka_unit_test(refuses_t2_above_twice_t1),
      cmocka_unit_test(refuses_links_to_undefined_modules),
      cmocka_unit_test(refuses_too_many_communication_qubits),
      cmocka_unit_test(refuses_duplicate_module_names),
      cmocka_unit_test(photon_g2_and_cavity),
      cmocka_unit_test(refuses_impossible_physics),
      cmocka_unit_test(missing_files_are_io_errors),
      cmocka_unit_test(mangled_files_never_crash),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
