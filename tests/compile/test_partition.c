/* Compile: module graphs and the pytket-dqc network reader, the packet
 * hypergraph, and the partitioner against closed forms (GHZ on k modules:
 * k - 1 ebits; QFT on two modules: at most n/2 - 1; separable circuits: 0),
 * capacities, Steiner routing and reproducibility. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsr_test.h"

#include "tessera/compile.h"

static tsr_circuit *new_circuit(uint32_t n) {
  tsr_error err;
  tsr_circuit *c = tsr_circuit_new(&err);
  assert_non_null(c);
  assert_ok(tsr_circuit_add_qreg(c, "q", n, NULL, &err), &err);
  return c;
}

static void add(tsr_circuit *c, tsr_gate k, uint32_t a, int b, double p0) {
  tsr_error err;
  uint32_t q[2] = {a, (uint32_t)b};
  assert_ok(tsr_circuit_append_gate(c, k, q, b < 0 ? 1 : 2, &p0, tsr_gate_get(k)->nparams, &err),
            &err);
}

static void module_graphs_and_json(void **state) {
  (void)state;
  tsr_error err;
  tsr_module_graph *g = NULL;
  assert_ok(tsr_module_graph_complete(4, 8, &g, &err), &err);
  assert_int_equal(tsr_module_graph_capacity(g), 32);
  assert_true(tsr_module_graph_connected(g));
  tsr_module_graph_free(g);
  assert_ok(tsr_module_graph_new(3, 2, &g, &err), &err);
  assert_false(tsr_module_graph_connected(g));
  assert_ok(tsr_module_graph_link(g, 0, 1, 1.0, &err), &err);
  assert_ok(tsr_module_graph_link(g, 1, 2, 2.5, &err), &err);
  assert_true(tsr_module_graph_connected(g));
  assert_int_equal(tsr_module_graph_link(g, 1, 1, 1.0, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_module_graph_link(g, 0, 3, 1.0, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_module_graph_link(g, 0, 2, -1.0, &err), TSR_ERR_VALUE);
  tsr_module_graph_free(g);
  assert_int_equal(tsr_module_graph_new(0, 1, &g, &err), TSR_ERR_VALUE);

  const char *ok = "{\"servers\": [{\"id\": 1, \"qubits\": 4, \"link_qubits\": 5},\n"
                   " {\"id\": 0, \"qubits\": 3, \"link_qubits\": null},\n"
                   " {\"id\": 2, \"qubits\": 2}],\n \"links\": [[0, 1], [1, 2]]}";
  assert_ok(tsr_module_graph_parse_json(ok, strlen(ok), "net.json", &g, &err), &err);
  assert_int_equal(g->nmodules, 3);
  assert_int_equal(g->capacity[0], 3);
  assert_int_equal(g->capacity[1], 4);
  assert_int_equal(g->link_qubits[1], 5);
  assert_int_equal(g->link_qubits[0], 0);
  assert_true(g->link_cost[0 * 3 + 1] == 1.0 && g->link_cost[2 * 3 + 1] == 1.0);
  assert_true(g->link_cost[0 * 3 + 2] == 0.0);
  tsr_module_graph_free(g);

  struct {
    const char *text;
    int line;
  } bad[] = {
      {"{\"servers\": [{\"id\": 0, \"qubits\": 4}], \"links\": [[0, 0]]}", 1},
      {"{\"servers\": [{\"id\": 0, \"qubits\": 4},\n {\"id\": 0, \"qubits\": 1}]}", 2},
      {"{\"servers\": [{\"id\": 0, \"qubits\": -4}]}", 1},
      {"{\"links\": []}", 1},
      {"{\"servers\": [{\"id\": 0, \"qubits\": 4}],\n\n \"links\": [[0, 7]]}", 3},
      {"{\"servers\": [{\"id\": 0, \"qubits\": 4}, \n", 0},
      {"[1, 2]", 1},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    g = NULL;
    tsr_status st =
        tsr_module_graph_parse_json(bad[i].text, strlen(bad[i].text), "bad.json", &g, &err);
    assert_int_equal(st, TSR_ERR_INPUT);
    assert_null(g);
    assert_string_equal(err.file, "bad.json");
    if (bad[i].line) assert_int_equal(err.line, bad[i].line);
    assert_true(strlen(err.message) > 0);
  }
  assert_int_equal(tsr_module_graph_read_json("/nonexistent/net.json", &g, &err), TSR_ERR_IO);

  char path[1024];
  TSR_REQUIRE_SHARED(path, "compile/pytket-dqc/networks/small_world_5s_30q_0.json");
  assert_ok(tsr_module_graph_read_json(path, &g, &err), &err);
  assert_int_equal(g->nmodules, 5);
  assert_int_equal(tsr_module_graph_capacity(g), 30);
  assert_true(tsr_module_graph_connected(g));
  tsr_module_graph_free(g);
}

static void packet_hypergraph(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = new_circuit(3);
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_CZ, 0, 1, 0);    /* q0 packet A */
  add(c, TSR_GATE_RZ, 0, -1, 0.3); /* diagonal: A continues */
  add(c, TSR_GATE_CP, 2, 0, 0.5);  /* A */
  add(c, TSR_GATE_X, 0, -1, 0);    /* anti-diagonal: A continues */
  add(c, TSR_GATE_CZ, 0, 2, 0);    /* A */
  add(c, TSR_GATE_H, 0, -1, 0);    /* ends A */
  add(c, TSR_GATE_CZ, 0, 1, 0);    /* q0 packet B */
  add(c, TSR_GATE_CX, 1, 2, 0);    /* q1 Z packet continues; q2 X packet */
  add(c, TSR_GATE_CX, 0, 2, 0);    /* q0 B; q2 X packet continues */
  tsr_packet_graph *h = NULL;
  assert_ok(tsr_packet_graph_build(c, &h, &err), &err);
  assert_int_equal(h->ngates, 6);
  /* q0: A (3 gates), B (2); q1: one Z packet (3 gates); q2: Z packet (cp, cz),
     X packet (2 cx) */
  assert_int_equal(h->npackets, 5);
  size_t sizes[3][2] = {{0}};
  for (size_t p = 0; p < h->npackets; p++) {
    uint32_t q = h->packet_qubit[p];
    size_t sz = h->packet_start[p + 1] - h->packet_start[p];
    if (q == 0) {
      assert_int_equal(h->packet_axis[p], 'Z');
      sizes[0][sz == 3 ? 0 : 1] = sz;
    } else if (q == 1) {
      assert_int_equal(sz, 3);
      assert_int_equal(h->packet_axis[p], 'Z');
    } else {
      assert_int_equal(sz, 2);
      assert_true(h->packet_axis[p] == 'Z' || h->packet_axis[p] == 'X');
    }
  }
  assert_int_equal(sizes[0][0], 3);
  assert_int_equal(sizes[0][1], 2);
  assert_int_equal(h->gate_op[0], 1);
  tsr_packet_graph_free(h);
  /* a swap has no distributable operand: decompose first */
  add(c, TSR_GATE_SWAP, 0, 1, 0);
  assert_int_equal(tsr_packet_graph_build(c, &h, &err), TSR_ERR_UNSUPPORTED);
  assert_null(h);
  tsr_circuit_free(c);
}

static uint64_t ebits_for(const tsr_circuit *c, const tsr_module_graph *g, uint64_t seed,
                          uint32_t *placement) {
  tsr_error err;
  tsr_partition_options o;
  tsr_partition_options_default(&o);
  o.seed = seed;
  tsr_partition p;
  assert_ok(tsr_partition_circuit(c, g, &o, &p, &err), &err);
  /* capacities hold */
  uint32_t load[TSR_MODULE_GRAPH_MAX] = {0};
  for (uint32_t q = 0; q < p.nqubits; q++) {
    assert_true(p.module_of[q] < g->nmodules);
    load[p.module_of[q]]++;
  }
  for (uint32_t m = 0; m < g->nmodules; m++) assert_true(load[m] <= g->capacity[m]);
  if (placement) memcpy(placement, p.module_of, p.nqubits * sizeof *placement);
  uint64_t e = p.ebits;
  tsr_partition_release(&p);
  return e;
}

/* Sandwiches: h ... cz ... h between two Z packets of a qubit is one; a
 * rotation that is not a Pauli map in the middle, or a gate that puts X on
 * the partner, is none. Spans cut packets. */
static void sandwiches_and_spans(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *c = new_circuit(4);
  add(c, TSR_GATE_CZ, 0, 1, 0);
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_CZ, 0, 2, 0);
  add(c, TSR_GATE_X, 0, -1, 0);
  add(c, TSR_GATE_CX, 3, 0, 0); /* X-type on qubit 0: in the h frame, nothing on the partner */
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_CZ, 0, 3, 0);
  tsr_packet_graph *h = NULL;
  assert_ok(tsr_packet_graph_build(c, &h, &err), &err);
  assert_int_equal(h->nsandwiches, 1);
  const struct tsr_sandwich *sw = &h->sandwiches[0];
  assert_int_equal(sw->qubit, 0);
  assert_int_equal(sw->open_op, 1);
  assert_int_equal(sw->close_op, 5);
  assert_int_equal(h->packet_qubit[sw->before], 0);
  assert_int_equal(h->packet_qubit[sw->after], 0);
  assert_int_equal(h->packet_axis[sw->before], 'Z');
  assert_int_equal(h->packet_axis[sw->after], 'Z');
  assert_int_equal(sw->inner_count, 2);
  assert_int_equal(h->sandwich_inner[sw->inner_first], 1);
  assert_int_equal(h->sandwich_inner_fix[sw->inner_first], 1); /* cz: Z on qubit 2 */
  assert_int_equal(h->sandwich_inner[sw->inner_first + 1], 2);
  assert_int_equal(h->sandwich_inner_fix[sw->inner_first + 1], 0); /* cx 3 -> 0 */
  tsr_packet_graph_free(h);
  tsr_circuit_free(c);

  c = new_circuit(3);
  add(c, TSR_GATE_CZ, 0, 1, 0);
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_RZ, 0, -1, 0.3);
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_CZ, 0, 2, 0);
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_CX, 0, 1, 0); /* X on the partner in the h frame */
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_CZ, 0, 2, 0);
  assert_ok(tsr_packet_graph_build(c, &h, &err), &err);
  assert_int_equal(h->nsandwiches, 0);
  tsr_packet_graph_free(h);
  tsr_circuit_free(c);

  c = new_circuit(2);
  for (int i = 0; i < 10; i++) add(c, TSR_GATE_CZ, 0, 1, 0);
  assert_ok(tsr_packet_graph_build_span(c, 0, &h, &err), &err);
  assert_int_equal(h->npackets, 2);
  tsr_packet_graph_free(h);
  assert_ok(tsr_packet_graph_build_span(c, 3, &h, &err), &err);
  assert_int_equal(h->npackets, 8); /* 4 per qubit: gates 0-2, 3-5, 6-8, 9 */
  for (size_t e = 0; e < h->npackets; e++) {
    size_t first = h->packet_gates[h->packet_start[e]];
    size_t last = h->packet_gates[h->packet_start[e + 1] - 1];
    assert_true(last - first < 3);
  }
  tsr_packet_graph_free(h);
  tsr_circuit_free(c);
}

static void ghz_costs_k_minus_1(void **state) {
  (void)state;
  tsr_error err;
  for (uint32_t k = 2; k <= 6; k++) {
    for (uint32_t m = 3; m <= 5; m += 2) {
      tsr_module_graph *g;
      assert_ok(tsr_module_graph_complete(k, m, &g, &err), &err);
      tsr_circuit *c;
      assert_ok(tsr_gen_ghz(k * m, &c, &err), &err);
      assert_int_equal(ebits_for(c, g, 1, NULL), k - 1);
      tsr_circuit_free(c);
      /* star-shaped GHZ: one control for everything */
      c = new_circuit(k * m);
      add(c, TSR_GATE_H, 0, -1, 0);
      for (uint32_t q = 1; q < k * m; q++) add(c, TSR_GATE_CX, 0, (int)q, 0);
      assert_int_equal(ebits_for(c, g, 2, NULL), k - 1);
      tsr_circuit_free(c);
      tsr_module_graph_free(g);
    }
  }
  /* on a line of modules the chain still needs k - 1 */
  tsr_module_graph *g;
  assert_ok(tsr_module_graph_new(4, 3, &g, &err), &err);
  for (uint32_t a = 0; a + 1 < 4; a++) assert_ok(tsr_module_graph_link(g, a, a + 1, 1, &err), &err);
  tsr_circuit *c;
  assert_ok(tsr_gen_ghz(12, &c, &err), &err);
  assert_int_equal(ebits_for(c, g, 3, NULL), 3);
  tsr_circuit_free(c);
  tsr_module_graph_free(g);
}

static void qft_on_two_modules(void **state) {
  (void)state;
  tsr_error err;
  for (uint32_t n = 6; n <= 20; n += 2) {
    tsr_module_graph *g;
    assert_ok(tsr_module_graph_complete(2, n / 2 + 1, &g, &err), &err);
    tsr_circuit *c;
    assert_ok(tsr_gen_qft(n, &c, &err), &err);
    uint64_t e = ebits_for(c, g, 5, NULL);
    if (e > n / 2 - 1)
      fail_msg("QFT-%u on 2 modules: %llu ebits > %u", n, (unsigned long long)e, n / 2 - 1);
    tsr_circuit_free(c);
    tsr_module_graph_free(g);
  }
}

static void separable_circuits_cost_nothing(void **state) {
  (void)state;
  tsr_error err;
  tsr_rng rng;
  tsr_rng_seed(&rng, 12, 0);
  for (uint32_t k = 2; k <= 5; k++) {
    uint32_t m = 4, n = k * m;
    tsr_circuit *c = new_circuit(n);
    /* block b holds the qubits q with q % k == b: interleaved on purpose */
    for (int i = 0; i < 300; i++) {
      uint32_t b = (uint32_t)tsr_rng_below(&rng, k);
      uint32_t x = (uint32_t)tsr_rng_below(&rng, m), y = (uint32_t)tsr_rng_below(&rng, m - 1);
      if (y >= x) y++;
      uint32_t qa = x * k + b, qb = y * k + b;
      switch (tsr_rng_below(&rng, 4)) {
      case 0:
        add(c, TSR_GATE_H, qa, -1, 0);
        break;
      case 1:
        add(c, TSR_GATE_CX, qa, (int)qb, 0);
        break;
      case 2:
        add(c, TSR_GATE_CP, qa, (int)qb, 0.4);
        break;
      default:
        add(c, TSR_GATE_SWAP, qa, (int)qb, 0);
        break;
      }
    }
    tsr_module_graph *g;
    assert_ok(tsr_module_graph_complete(k, m, &g, &err), &err);
    uint32_t place[64];
    assert_int_equal(ebits_for(c, g, 7, place), 0);
    for (uint32_t q = 0; q < n; q++) assert_int_equal(place[q], place[q % k]);
    tsr_module_graph_free(g);
    tsr_circuit_free(c);
  }
}

static void capacities_seeds_and_steiner(void **state) {
  (void)state;
  tsr_error err;
  /* heterogeneous capacities with spare room; same seed, same answer */
  tsr_module_graph *g;
  assert_ok(tsr_module_graph_new(4, 0, &g, &err), &err);
  uint32_t caps[4] = {7, 3, 5, 10};
  for (uint32_t m = 0; m < 4; m++) g->capacity[m] = caps[m];
  assert_ok(tsr_module_graph_link(g, 0, 1, 1, &err), &err);
  assert_ok(tsr_module_graph_link(g, 1, 2, 1, &err), &err);
  assert_ok(tsr_module_graph_link(g, 2, 3, 1, &err), &err);
  assert_ok(tsr_module_graph_link(g, 3, 0, 1, &err), &err);
  tsr_circuit *c;
  assert_ok(tsr_gen_cz_fraction(22, 0.5, 4, &c, &err), &err);
  uint32_t p1[22], p2[22];
  uint64_t e1 = ebits_for(c, g, 11, p1), e2 = ebits_for(c, g, 11, p2);
  assert_int_equal(e1, e2);
  assert_memory_equal(p1, p2, sizeof p1);
  /* the optimised placement is no worse than METIS alone */
  tsr_partition_options o;
  tsr_partition_options_default(&o);
  o.seed = 11;
  o.refine = 0;
  tsr_partition p;
  assert_ok(tsr_partition_circuit(c, g, &o, &p, &err), &err);
  assert_true(e1 <= p.ebits);
  tsr_partition_release(&p);
  tsr_circuit_free(c);
  tsr_module_graph_free(g);
  /* too many qubits */
  assert_ok(tsr_module_graph_complete(2, 2, &g, &err), &err);
  assert_ok(tsr_gen_ghz(5, &c, &err), &err);
  assert_int_equal(tsr_partition_circuit(c, g, NULL, &p, &err), TSR_ERR_VALUE);
  tsr_circuit_free(c);
  tsr_module_graph_free(g);

  /* Steiner routing through a repeater node of capacity 0: 0 - 1 - 2 */
  assert_ok(tsr_module_graph_new(3, 1, &g, &err), &err);
  g->capacity[1] = 0;
  assert_ok(tsr_module_graph_link(g, 0, 1, 1, &err), &err);
  assert_ok(tsr_module_graph_link(g, 1, 2, 1, &err), &err);
  c = new_circuit(2);
  add(c, TSR_GATE_CZ, 0, 1, 0);
  add(c, TSR_GATE_H, 0, -1, 0);
  add(c, TSR_GATE_CZ, 0, 1, 0);
  /* two packets of q0 (the h splits them) but one of q1: q1 travels, 2 hops */
  assert_int_equal(ebits_for(c, g, 1, NULL), 2);
  tsr_circuit_free(c);
  tsr_module_graph_free(g);

  /* a packet reaching three modules of a star: the tree, not the sum of paths */
  assert_ok(tsr_module_graph_new(4, 1, &g, &err), &err);
  g->capacity[0] = 0; /* hub */
  for (uint32_t m = 1; m < 4; m++) assert_ok(tsr_module_graph_link(g, 0, m, 1, &err), &err);
  c = new_circuit(3);
  add(c, TSR_GATE_CZ, 0, 1, 0);
  add(c, TSR_GATE_CZ, 0, 2, 0);
  uint32_t place[3] = {1, 2, 3};
  tsr_packet_graph *h;
  assert_ok(tsr_packet_graph_build(c, &h, &err), &err);
  assert_ok(tsr_partition_evaluate(h, g, place, &p, &err), &err);
  assert_int_equal(p.ebits, 3); /* q0's packet over hub to modules 2 and 3 */
  assert_int_equal(p.cut_gates, 2);
  assert_int_equal(p.remote_packets, 1);
  tsr_partition_release(&p);
  tsr_packet_graph_free(h);
  tsr_circuit_free(c);
  tsr_module_graph_free(g);
}

static void generators_are_seeded(void **state) {
  (void)state;
  tsr_error err;
  tsr_circuit *a, *b;
  assert_ok(tsr_gen_cz_fraction(16, 0.5, 9, &a, &err), &err);
  assert_ok(tsr_gen_cz_fraction(16, 0.5, 9, &b, &err), &err);
  assert_true(tsr_circuit_equal(a, b, 0));
  tsr_circuit_free(b);
  assert_ok(tsr_gen_cz_fraction(16, 0.5, 10, &b, &err), &err);
  assert_false(tsr_circuit_equal(a, b, 0));
  tsr_circuit_free(a);
  tsr_circuit_free(b);
  tsr_circuit *cs[4];
  assert_ok(tsr_gen_cp_fraction(12, 0.7, 1, &cs[0], &err), &err);
  assert_ok(tsr_gen_pauli(12, 0, 1, &cs[1], &err), &err);
  assert_ok(tsr_gen_random_crz(12, 1, &cs[2], &err), &err);
  assert_ok(tsr_gen_qv(6, 1, &cs[3], &err), &err);
  tsr_circuit_stats s;
  assert_ok(tsr_circuit_compute_stats(cs[1], &s, &err), &err);
  assert_true(s.two_qubit_gates > 100 && s.two_qubit_gates < 250); /* ~1.1 n^2 = 158 */
  assert_ok(tsr_circuit_compute_stats(cs[2], &s, &err), &err);
  assert_int_equal(s.two_qubit_gates, 3 * 66);
  assert_ok(tsr_circuit_compute_stats(cs[3], &s, &err), &err);
  assert_true(s.two_qubit_gates <= 6 * 3 * 3);
  for (int i = 0; i < 4; i++) {
    tsr_module_graph *g;
    assert_ok(tsr_module_graph_complete(3, cs[i]->nqubits / 3 + 1, &g, &err), &err);
    tsr_partition p;
    assert_ok(tsr_partition_circuit(cs[i], g, NULL, &p, &err), &err);
    assert_true(p.ebits > 0);
    tsr_partition_release(&p);
    tsr_module_graph_free(g);
    tsr_circuit_free(cs[i]);
  }
  assert_int_equal(tsr_gen_cz_fraction(4, 1.5, 1, &a, &err), TSR_ERR_VALUE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(module_graphs_and_json),
      cmocka_unit_test(packet_hypergraph),
      cmocka_unit_test(sandwiches_and_spans),
      cmocka_unit_test(ghz_costs_k_minus_1),
      cmocka_unit_test(qft_on_two_modules),
      cmocka_unit_test(separable_circuits_cost_nothing),
      cmocka_unit_test(capacities_seeds_and_steiner),
      cmocka_unit_test(generators_are_seeded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
