/* The network layer: routing by each cost, sampled link attempts against the
 * analytic model, swap and purification results against the link layer's
 * closed forms, decoherence, cutoffs, memory limits, determinism, a
 * 1000-node chain, and refusals of bad requests. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_internal.h"
#include "tessera/net.h"
#include "tsr_test.h"

/* ---------------------------------------------------------------- helpers */

static tsr_arch *chain(uint32_t nodes, double length_m, uint32_t memories) {
  tsr_error err;
  tsr_net_chain_spec spec;
  tsr_net_chain_spec_default(&spec);
  spec.nodes = nodes;
  spec.link_length_m = length_m;
  spec.memories_per_link = memories;
  tsr_arch *a = NULL;
  assert_ok(tsr_net_chain_machine(&spec, &a, &err), &err);
  return a;
}

static void perfect_memories(tsr_arch *a) {
  for (size_t i = 0; i < a->n_modules; i++) {
    a->modules[i].params.communication_coherence.t1_s = INFINITY;
    a->modules[i].params.communication_coherence.t2_s = INFINITY;
  }
}

static tsr_net *net_of(const tsr_arch *a) {
  tsr_error err;
  tsr_net *net = NULL;
  assert_ok(tsr_net_new(a, &net, &err), &err);
  return net;
}

static void run(const tsr_net *net, uint32_t src, uint32_t dst, uint64_t pairs, double duration,
                const tsr_net_config *cfg, tsr_net_result *r) {
  tsr_error err;
  tsr_net_request req = {src, dst, pairs, duration};
  assert_ok(tsr_net_run(net, &req, cfg, r, &err), &err);
}

/* ---------------------------------------------------------------- bell store */

static void bell_store_matches_density_matrix(void **state) {
  (void)state;
  tsr_error err;
  tsr_rng rng;
  tsr_rng_seed(&rng, 7, 0);
  for (int trial = 0; trial < 200; trial++) {
    double p[4], sum = 0;
    for (int k = 0; k < 4; k++) sum += p[k] = tsr_rng_uniform(&rng);
    tsr_bell in = tsr_bell_make(p[0] / sum, p[1] / sum, p[2] / sum, p[3] / sum);
    tsr_coherence ma = {0.5 + tsr_rng_uniform(&rng), 0}, mb = {0.5 + 3 * tsr_rng_uniform(&rng), 0};
    ma.t2_s = 2 * ma.t1_s * tsr_rng_uniform(&rng) + 1e-3;
    mb.t2_s = 2 * mb.t1_s * tsr_rng_uniform(&rng) + 1e-3;
    if (trial % 5 == 0) ma.t1_s = INFINITY;
    double ta = 2 * tsr_rng_uniform(&rng), tb = 2 * tsr_rng_uniform(&rng);
    tsr_bell want, got = tsr__net_bell_store(&in, &ma, ta, trial % 7 ? &mb : NULL, tb);
    assert_ok(tsr_bell_decohere(&in, &ma, ta, trial % 7 ? &mb : NULL, tb, &want, &err), &err);
    for (int k = 0; k < 4; k++) assert_close(got.p[k], want.p[k], 1e-12);
  }
}

/* ---------------------------------------------------------------- routing */

/* A -- D direct over 60 km; A -- B -- D over 10 + 10 km; A -- C -- D over
 * 5 + 30 km. */
static tsr_arch *diamond(void) {
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_new("diamond", &a, &err), &err);
  const tsr_preset *siv = tsr_preset_find("diamond-siv");
  assert_non_null(siv);
  const char *names[] = {"A", "B", "C", "D", "E"};
  for (int i = 0; i < 5; i++) {
    tsr_module_params p = siv->params;
    p.communication_qubits = 2;
    assert_ok(tsr_arch_add_module(a, names[i], TSR_ROLE_COMPUTE, &p, NULL, &err), &err);
  }
  const struct {
    uint32_t a, b;
    double km;
  } links[] = {{0, 3, 60}, {0, 1, 10}, {1, 3, 10}, {0, 2, 5}, {2, 3, 30}};
  for (size_t i = 0; i < 5; i++) {
    tsr_link l;
    tsr_link_init(&l, links[i].a, links[i].b, links[i].km * 1e3);
    for (int e = 0; e < 2; e++) {
      l.ends[e].n_conversion = 1;
      l.ends[e].conversion[0].target_wavelength_m = 1550e-9;
      l.ends[e].conversion[0].efficiency = 0.5;
    }
    assert_ok(tsr_arch_add_link(a, &l, NULL, &err), &err);
  }
  assert_ok(tsr_arch_validate(a, &err), &err); /* E stays unlinked */
  return a;
}

static double path_cost(const tsr_net *net, const uint32_t *links, size_t n, tsr_net_route_cost c) {
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    const tsr_link_performance *p = tsr_net_link_performance(net, links[i]);
    switch (c) {
    case TSR_NET_ROUTE_HOPS:
      sum += 1;
      break;
    case TSR_NET_ROUTE_PROBABILITY:
      sum += -log(p->p_attempt);
      break;
    case TSR_NET_ROUTE_FIDELITY:
      sum += -log(tsr_werner_param(p->fidelity));
      break;
    default:
      sum += p->mean_latency_s;
    }
  }
  return sum;
}

static void routing_by_each_cost(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = diamond();
  tsr_net *net = net_of(a);
  const uint32_t direct[] = {0}, via_b[] = {1, 2}, via_c[] = {3, 4};
  for (int c = 0; c < TSR_NET_ROUTE_COUNT; c++) {
    tsr_net_path p;
    assert_ok(tsr_net_route(net, 0, 3, (tsr_net_route_cost)c, &p, &err), &err);
    double costs[3] = {path_cost(net, direct, 1, c), path_cost(net, via_b, 2, c),
                       path_cost(net, via_c, 2, c)};
    double best = fmin(costs[0], fmin(costs[1], costs[2]));
    assert_close(p.cost, best, 1e-9 * best);
    assert_int_equal(p.nodes[0], 0);
    assert_int_equal(p.nodes[p.n_hops], 3);
    for (size_t h = 0; h < p.n_hops; h++) {
      const tsr_link *l = &a->links[p.links[h]];
      assert_true((l->ends[0].module == p.nodes[h] && l->ends[1].module == p.nodes[h + 1]) ||
                  (l->ends[1].module == p.nodes[h] && l->ends[0].module == p.nodes[h + 1]));
    }
    print_message("route by %-11s: %zu hops, cost %.4g (direct %.4g, via B %.4g, via C %.4g)\n",
                  tsr_net_route_cost_name((tsr_net_route_cost)c), p.n_hops, p.cost, costs[0],
                  costs[1], costs[2]);
    tsr_net_path_free(&p);
  }
  /* Hops take the direct link; latency the two short links. */
  tsr_net_path p;
  assert_ok(tsr_net_route(net, 0, 3, TSR_NET_ROUTE_HOPS, &p, &err), &err);
  assert_int_equal(p.n_hops, 1);
  tsr_net_path_free(&p);
  assert_ok(tsr_net_route(net, 0, 3, TSR_NET_ROUTE_LATENCY, &p, &err), &err);
  assert_int_equal(p.n_hops, 2);
  assert_int_equal(p.nodes[1], 1);
  tsr_net_path_free(&p);
  /* Refusals: to itself, to an unlinked node, out of range. */
  assert_int_equal(tsr_net_route(net, 0, 0, TSR_NET_ROUTE_HOPS, &p, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_net_route(net, 0, 4, TSR_NET_ROUTE_HOPS, &p, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "no route"));
  assert_int_equal(tsr_net_route(net, 0, 9, TSR_NET_ROUTE_HOPS, &p, &err), TSR_ERR_VALUE);
  tsr_net_free(net);
  tsr_arch_free(a);
}

/* ---------------------------------------------------------------- sampled */

static void check_sample(const tsr_net_link_sample *s, const char *what) {
  const tsr_link_performance *a = &s->analytic;
  double n = (double)s->pairs;
  double p = a->p_attempt, period = a->attempt_period_s / a->duty_cycle;
  /* Latency K T with K geometric: mean T/p, standard deviation T sqrt(1-p)/p. */
  double sd_lat = period * sqrt(1 - p) / p;
  double se_mean = sd_lat / sqrt(n);
  print_message("%s: %llu pairs, rate %.5g (analytic %.5g), latency %.5g +- %.2g s (analytic "
                "%.5g), p50 %.4g (%.4g), p90 %.4g (%.4g), F %.5f (%.5f), false %.4g (%.4g)\n",
                what, (unsigned long long)s->pairs, s->rate_hz, a->rate_hz, s->mean_latency_s,
                se_mean, a->mean_latency_s, s->latency_p50_s, tsr_link_latency_quantile(a, 0.5),
                s->latency_p90_s, tsr_link_latency_quantile(a, 0.9), s->mean_fidelity, a->fidelity,
                (double)s->false_heralds / n, a->p_false / a->p_mode);
  assert_true(fabs(s->mean_latency_s - a->mean_latency_s) < 4 * se_mean);
  /* The rate is the inverse mean latency (delta method). */
  assert_true(fabs(s->rate_hz - a->rate_hz) < 4 * a->rate_hz * se_mean / a->mean_latency_s);
  assert_close(s->std_latency_s / sd_lat, 1.0, 0.05);
  /* Quantiles: within a few percent (the sample quantile's error is about
   * sqrt(q(1-q)/n)/density). */
  assert_close(s->latency_p50_s / tsr_link_latency_quantile(a, 0.5), 1.0, 0.04);
  assert_close(s->latency_p90_s / tsr_link_latency_quantile(a, 0.9), 1.0, 0.04);
  /* Heralds: success probability per attempt and the share of false ones. */
  double se_p = sqrt(p * (1 - p) / (double)s->attempts);
  assert_true(fabs(s->p_success - p) < 5 * se_p + 1e-12);
  double w = a->p_false / a->p_mode;
  double se_w = sqrt(w * (1 - w) / n);
  assert_true(fabs((double)s->false_heralds / n - w) < 4 * se_w + 1e-12);
  double se_f = s->std_fidelity / sqrt(n);
  assert_true(fabs(s->mean_fidelity - a->fidelity) < 4 * se_f + 1e-12);
}

static void sampled_link_agrees_with_analytic(void **state) {
  (void)state;
  tsr_error err;
  tsr_link_physics lp;
  tsr_link_physics_default(&lp);
  for (int i = 0; i < 2; i++) {
    lp.node[i].eta_collect = 0.2;
    lp.node[i].fibre_length_m = 10e3;
    lp.node[i].eta_det = 0.8;
    lp.node[i].memory = (tsr_coherence){1.0, 0.05};
  }
  lp.hom_visibility = 0.9;
  lp.dark_count_rate_hz = 2e4; /* many dark counts: a visible share of false heralds */
  lp.detection_window_s = 100e-9;
  lp.duty_cycle = 0.8;
  tsr_net_link_sample s;
  assert_ok(tsr_net_sample_link(&lp, 40000, 11, 0, &s, &err), &err);
  assert_true(s.false_heralds > 100);
  assert_int_equal(s.events, s.pairs);
  check_sample(&s, "geometric");
  /* One event per attempt: the same distribution, many more events. */
  assert_ok(tsr_net_sample_link(&lp, 4000, 12, 1, &s, &err), &err);
  assert_int_equal(s.events, s.attempts);
  check_sample(&s, "per attempt");
  /* Single-click and multiplexed links too. */
  lp.protocol = TSR_PROTOCOL_SINGLE_CLICK;
  lp.multiplexing = 3;
  lp.phase_noise_rad = 0.3;
  assert_ok(tsr_net_sample_link(&lp, 20000, 13, 0, &s, &err), &err);
  check_sample(&s, "single-click x3");
  /* Refusals. */
  assert_int_equal(tsr_net_sample_link(&lp, 0, 1, 0, &s, &err), TSR_ERR_VALUE);
  lp.node[0].p_emit = 0;
  lp.node[1].p_emit = 0;
  lp.dark_count_rate_hz = 0;
  assert_int_equal(tsr_net_sample_link(&lp, 10, 1, 0, &s, &err), TSR_ERR_VALUE);
}

/* The network's delivered rate on one link is the link's rate. */
static void network_rate_on_one_link(void **state) {
  (void)state;
  tsr_arch *a = chain(2, 10e3, 1);
  tsr_net *net = net_of(a);
  const tsr_link_performance *perf = tsr_net_link_performance(net, 0);
  tsr_net_config cfg;
  tsr_net_config_default(&cfg);
  for (int per_attempt = 0; per_attempt < 2; per_attempt++) {
    cfg.per_attempt = per_attempt;
    uint64_t n = per_attempt ? 3000 : 30000;
    tsr_net_result r;
    run(net, 0, 1, n, 0, &cfg, &r);
    assert_int_equal(r.pairs, n);
    assert_int_equal(r.elementary_pairs, n);
    /* Inter-herald times are geometric: relative error sqrt(1-p)/sqrt(n). */
    double rel = sqrt(1 - perf->p_attempt) / sqrt((double)n);
    print_message("one link (%s): rate %.5g, analytic %.5g (4 sigma %.2g %%), F %.6f / %.6f, "
                  "%llu events\n",
                  per_attempt ? "per attempt" : "geometric", r.rate_hz, perf->rate_hz, 400 * rel,
                  r.mean_fidelity, perf->fidelity, (unsigned long long)r.events);
    assert_true(fabs(r.rate_hz / perf->rate_hz - 1) < 4 * rel);
    /* Consumed at the herald: no storage beyond the herald wait. */
    assert_close(r.mean_fidelity, perf->fidelity, 1e-12);
    assert_close(r.min_fidelity, perf->fidelity, 1e-12);
    if (per_attempt) assert_true(r.events > 50 * n);
    tsr_net_result_free(&r);
  }
  /* A duration instead of a number of pairs. */
  cfg.per_attempt = 0;
  tsr_net_result r;
  run(net, 0, 1, 0, 20.0, &cfg, &r);
  assert_close(r.sim_time_s, 20.0, 1e-12);
  double want = perf->rate_hz * 20.0;
  assert_true(fabs((double)r.pairs - want) < 5 * sqrt(want));
  tsr_net_result_free(&r);
  /* Four memories attempting in parallel give four times the rate. */
  cfg.memories_per_link = 4;
  cfg.generation = TSR_NET_GEN_PER_MEMORY;
  run(net, 0, 1, 20000, 0, &cfg, &r);
  assert_true(fabs(r.rate_hz / (4 * perf->rate_hz) - 1) < 4 / sqrt(20000.0));
  assert_int_equal(r.usage[0].slots, 4);
  assert_true(r.usage[0].peak <= 4);
  tsr_net_result_free(&r);
  tsr_net_free(net);
  tsr_arch_free(a);
}

/* ---------------------------------------------------------------- swaps */

static void swap_fidelity_is_the_closed_form(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = chain(3, 10e3, 2);
  perfect_memories(a);
  tsr_net *net = net_of(a);
  const tsr_link_performance *p0 = tsr_net_link_performance(net, 0),
                             *p1 = tsr_net_link_performance(net, 1);
  tsr_net_config cfg;
  tsr_net_config_default(&cfg);
  for (int noisy = 0; noisy < 2; noisy++) {
    cfg.perfect_operations = !noisy;
    tsr_local_noise noise = tsr__net_module_noise(&a->modules[1].params);
    tsr_bell want;
    assert_ok(tsr_bell_swap(&p0->state, &p1->state, noisy ? &noise : NULL, &want, &err), &err);
    tsr_net_result r;
    run(net, 0, 2, 500, 0, &cfg, &r);
    assert_int_equal(r.pairs, 500);
    for (size_t i = 0; i < r.n_deliveries; i++)
      for (int k = 0; k < 4; k++) assert_close(r.deliveries[i].state.p[k], want.p[k], 1e-12);
    assert_true(r.swaps >= 500);
    /* The end-to-end rate is below the single link's. */
    assert_true(r.rate_hz < p0->rate_hz);
    print_message("swap (%s): F %.6f = closed form %.6f; rate %.4g /s (link %.4g /s)\n",
                  noisy ? "noisy BSM" : "perfect", r.mean_fidelity, want.p[0], r.rate_hz,
                  p0->rate_hz);
    tsr_net_result_free(&r);
  }
  tsr_net_free(net);
  tsr_arch_free(a);
}

/* ---------------------------------------------------------------- decoherence */

static void fidelity_degrades_with_storage(void **state) {
  (void)state;
  tsr_net_config cfg;
  tsr_net_config_default(&cfg);
  cfg.perfect_operations = 1;
  double last = 2;
  const double lengths[] = {1e3, 10e3, 40e3};
  for (int i = 0; i < 3; i++) {
    tsr_arch *a = chain(3, lengths[i], 1);
    tsr_net *net = net_of(a);
    tsr_net_result r;
    run(net, 0, 2, 300, 0, &cfg, &r);
    print_message("3-node chain, %g km links: F %.4f, age %.3g s\n", lengths[i] / 1e3,
                  r.mean_fidelity, r.mean_age_s);
    assert_true(r.mean_fidelity < last);
    assert_true(r.min_fidelity >= 0.25 - 1e-9);
    last = r.mean_fidelity;
    tsr_net_result_free(&r);
    tsr_net_free(net);
    tsr_arch_free(a);
  }
  /* A terrible memory: pairs still come. Amplitude damping drives both
   * halves to |00>, whose fidelity is 1/2 (docs/link-physics.md §5). */
  tsr_arch *a = chain(4, 20e3, 1);
  for (size_t i = 0; i < a->n_modules; i++)
    a->modules[i].params.communication_coherence = (tsr_coherence){1e-6, 1e-6};
  tsr_net *net = net_of(a);
  tsr_net_result r;
  run(net, 0, 3, 50, 0, &cfg, &r);
  assert_int_equal(r.pairs, 50);
  assert_close(r.mean_fidelity, 0.5, 1e-3);
  tsr_net_result_free(&r);
  tsr_net_free(net);
  tsr_arch_free(a);
  /* A link that cannot herald within representable time: the run stalls, it
   * does not fail. */
  a = chain(3, 3000e3, 1);
  net = net_of(a);
  run(net, 0, 2, 5, 0, &cfg, &r);
  assert_int_equal(r.pairs, 0);
  assert_true(r.stalled);
  tsr_net_result_free(&r);
  tsr_net_free(net);
  tsr_arch_free(a);
}

static void cutoff_bounds_the_age(void **state) {
  (void)state;
  tsr_arch *a = chain(5, 10e3, 1);
  tsr_net *net = net_of(a);
  tsr_net_config cfg;
  tsr_net_config_default(&cfg);
  tsr_net_result free_run, cut;
  run(net, 0, 4, 200, 0, &cfg, &free_run);
  cfg.cutoff_s = 10e-3;
  run(net, 0, 4, 200, 0, &cfg, &cut);
  assert_int_equal(cut.pairs, 200);
  assert_true(cut.discarded > 0);
  double max_age = 0;
  for (size_t i = 0; i < cut.n_deliveries; i++) {
    assert_true(cut.deliveries[i].age_s <= cfg.cutoff_s + 1e-12);
    max_age = fmax(max_age, cut.deliveries[i].age_s);
  }
  print_message("cutoff 10 ms: F %.4f (none: %.4f), rate %.4g (%.4g), %llu discarded, max age "
                "%.3g ms\n",
                cut.mean_fidelity, free_run.mean_fidelity, cut.rate_hz, free_run.rate_hz,
                (unsigned long long)cut.discarded, 1e3 * max_age);
  assert_true(cut.mean_fidelity > free_run.mean_fidelity);
  assert_true(cut.rate_hz < free_run.rate_hz);
  tsr_net_result_free(&free_run);
  tsr_net_result_free(&cut);
  tsr_net_free(net);
  tsr_arch_free(a);
}

/* ---------------------------------------------------------------- purification */

static void purification_reaches_the_target(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = chain(2, 2e3, 4);
  perfect_memories(a);
  a->links[0].visibility = 0.6; /* heralded F = 0.8 */
  tsr_net *net = net_of(a);
  const tsr_link_performance *perf = tsr_net_link_performance(net, 0);
  tsr_net_config cfg;
  tsr_net_config_default(&cfg);
  cfg.perfect_operations = 1;
  /* One recurrence round: every pair is exactly DEJMPS(s, s). */
  tsr_bell one;
  double p1;
  assert_ok(tsr_purify(TSR_PURIFY_DEJMPS, &perf->state, &perf->state, NULL, &one, &p1, &err), &err);
  cfg.purify_partner = TSR_PURIFY_RECURRENCE;
  cfg.target_fidelity = one.p[0] - 1e-9;
  tsr_net_result r;
  run(net, 0, 1, 400, 0, &cfg, &r);
  assert_int_equal(r.pairs, 400);
  assert_int_equal(r.below_target, 0);
  for (size_t i = 0; i < r.n_deliveries; i++) {
    assert_close(r.deliveries[i].fidelity, one.p[0], 1e-12);
    assert_int_equal(r.deliveries[i].purify_rounds, 1);
  }
  /* Elementary pairs per delivered pair: 2 / p_success on average. */
  double per_pair = (double)r.elementary_pairs / (double)r.pairs;
  print_message("recurrence x1: F %.5f -> %.5f, p %.4f, %.3f elementary pairs per pair (2/p = "
                "%.3f), %llu failures\n",
                perf->fidelity, r.mean_fidelity, p1, per_pair, 2 / p1,
                (unsigned long long)r.purification_failures);
  assert_true(fabs(per_pair - 2 / p1) < 0.1 * 2 / p1);
  assert_true(r.purification_failures > 0);
  tsr_net_result_free(&r);
  /* Pumping to a higher target. */
  cfg.purify_partner = TSR_PURIFY_PUMP;
  cfg.target_fidelity = 0.9;
  run(net, 0, 1, 300, 0, &cfg, &r);
  print_message("pumping to 0.9: F %.4f (min %.4f), %llu below target, %.2f elementary/pair\n",
                r.mean_fidelity, r.min_fidelity, (unsigned long long)r.below_target,
                (double)r.elementary_pairs / (double)r.pairs);
  assert_int_equal(r.pairs, 300);
  assert_true(r.mean_fidelity >= 0.9);
  assert_true(r.below_target < r.pairs / 10);
  tsr_net_result_free(&r);
  /* An unreachable target never hangs: pairs come out below it. */
  cfg.target_fidelity = 0.9999;
  cfg.perfect_operations = 0;
  run(net, 0, 1, 50, 0, &cfg, &r);
  assert_int_equal(r.pairs, 50);
  assert_true(r.below_target > 0);
  tsr_net_result_free(&r);
  tsr_net_free(net);
  tsr_arch_free(a);
  /* One memory at each end: nothing to purify with, every pair goes out. */
  a = chain(2, 2e3, 1);
  net = net_of(a);
  cfg.purify_partner = TSR_PURIFY_RECURRENCE;
  cfg.target_fidelity = 0.99;
  run(net, 0, 1, 20, 0, &cfg, &r);
  assert_int_equal(r.pairs, 20);
  assert_int_equal(r.below_target, 20);
  assert_int_equal(r.purifications, 0);
  tsr_net_result_free(&r);
  tsr_net_free(net);
  tsr_arch_free(a);
}

/* ---------------------------------------------------------------- chains */

static void determinism_and_memory_limits(void **state) {
  (void)state;
  tsr_arch *a = chain(6, 10e3, 3);
  tsr_net *net = net_of(a);
  tsr_net_config cfg;
  tsr_net_config_default(&cfg);
  cfg.generation = TSR_NET_GEN_PER_MEMORY;
  cfg.cutoff_s = 50e-3;
  tsr_net_result r1, r2, r3;
  run(net, 0, 5, 300, 0, &cfg, &r1);
  run(net, 0, 5, 300, 0, &cfg, &r2);
  cfg.seed = 2;
  run(net, 0, 5, 300, 0, &cfg, &r3);
  assert_int_equal(r1.events, r2.events);
  assert_int_equal(r1.n_deliveries, r2.n_deliveries);
  for (size_t i = 0; i < r1.n_deliveries; i++) {
    assert_true(r1.deliveries[i].time_s == r2.deliveries[i].time_s);
    assert_true(r1.deliveries[i].fidelity == r2.deliveries[i].fidelity);
    assert_int_equal(r1.deliveries[i].elementary, r2.deliveries[i].elementary);
  }
  assert_true(r1.events != r3.events || r1.deliveries[0].time_s != r3.deliveries[0].time_s);
  for (size_t i = 0; i < r1.n_usage; i++) {
    uint32_t want = (i == 0 || i + 1 == r1.n_usage) ? 3 : 6;
    assert_int_equal(r1.usage[i].slots, want);
    assert_true(r1.usage[i].peak <= r1.usage[i].slots);
    assert_true(r1.usage[i].mean <= r1.usage[i].slots);
    assert_true(r1.usage[i].mean > 0);
  }
  /* max_events stops the run early. */
  cfg.max_events = 100;
  tsr_net_result r4;
  run(net, 0, 5, 300, 0, &cfg, &r4);
  assert_true(r4.truncated);
  assert_true(r4.events <= 101);
  tsr_net_result_free(&r1);
  tsr_net_result_free(&r2);
  tsr_net_result_free(&r3);
  tsr_net_result_free(&r4);
  tsr_net_free(net);
  tsr_arch_free(a);
}

static void thousand_node_chain(void **state) {
  (void)state;
  double t0 = tsr_wall_seconds();
  tsr_arch *a = chain(1000, 10e3, 1);
  tsr_net *net = net_of(a);
  tsr_net_config cfg;
  tsr_net_config_default(&cfg);
  tsr_net_result r;
  run(net, 0, 999, 3, 0, &cfg, &r);
  double wall = tsr_wall_seconds() - t0;
  print_message("1000-node chain: %llu pairs, F %.5f, %llu events, %.3g s wall (%.3g s "
                "simulated)\n",
                (unsigned long long)r.pairs, r.mean_fidelity, (unsigned long long)r.events, wall,
                r.sim_time_s);
  assert_int_equal(r.pairs, 3);
  assert_int_equal(r.path.n_hops, 999);
  for (size_t i = 0; i < r.n_deliveries; i++) {
    assert_int_equal(r.deliveries[i].elementary, 999);
    assert_true(r.deliveries[i].fidelity >= 0.25 - 1e-9 && r.deliveries[i].fidelity <= 1);
  }
  assert_true(wall < 60);
  tsr_net_result_free(&r);
  tsr_net_free(net);
  tsr_arch_free(a);
}

static void json_report(void **state) {
  (void)state;
  tsr_arch *a = chain(3, 5e3, 2);
  tsr_net *net = net_of(a);
  tsr_net_config cfg;
  tsr_net_config_default(&cfg);
  tsr_net_result r;
  run(net, 0, 2, 50, 0, &cfg, &r);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  tsr_json *j = tsr_json_new(f, 0);
  tsr_net_result_write_json(net, &cfg, &r, j);
  tsr_json_free(j);
  fclose(f);
  const char *keys[] = {"\"pairs\"",  "\"rate_hz\"",   "\"mean_fidelity\"", "\"events\"",
                        "\"wall_s\"", "\"histogram\"", "\"memory\"",        "\"path\""};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) assert_non_null(strstr(text, keys[i]));
  double q = tsr_net_result_fidelity_quantile(&r, 0.5);
  assert_true(q >= r.min_fidelity && q <= r.max_fidelity);
  free(text);
  tsr_net_result_free(&r);
  tsr_net_free(net);
  tsr_arch_free(a);
}

/* ---------------------------------------------------------------- refusals */

static void bad_requests_are_refused(void **state) {
  (void)state;
  tsr_error err;
  tsr_arch *a = chain(3, 5e3, 1);
  tsr_net *net = net_of(a);
  tsr_net_config cfg;
  tsr_net_config_default(&cfg);
  tsr_net_result r;
  tsr_net_request req = {0, 2, 0, 0};
  assert_int_equal(tsr_net_run(net, &req, &cfg, &r, &err), TSR_ERR_VALUE);
  req.pairs = 1;
  req.dst = 0;
  assert_int_equal(tsr_net_run(net, &req, &cfg, &r, &err), TSR_ERR_VALUE);
  req.dst = 77;
  assert_int_equal(tsr_net_run(net, &req, &cfg, &r, &err), TSR_ERR_VALUE);
  req.dst = 2;
  req.duration_s = -1;
  assert_int_equal(tsr_net_run(net, &req, &cfg, &r, &err), TSR_ERR_VALUE);
  req.duration_s = 0;
  cfg.cutoff_s = 0;
  assert_int_equal(tsr_net_run(net, &req, &cfg, &r, &err), TSR_ERR_VALUE);
  cfg.cutoff_s = INFINITY;
  cfg.target_fidelity = 1.5;
  assert_int_equal(tsr_net_run(net, &req, &cfg, &r, &err), TSR_ERR_VALUE);
  cfg.target_fidelity = 0;
  cfg.max_purify_rounds = 1000;
  assert_int_equal(tsr_net_run(net, &req, &cfg, &r, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_net_run(NULL, &req, &cfg, &r, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_net_new(NULL, NULL, &err), TSR_ERR_VALUE);
  /* A path that visits a node twice. */
  cfg.max_purify_rounds = 8;
  tsr_net_path loop = {2, (uint32_t[]){0, 1, 0}, (uint32_t[]){0, 0}, 0};
  assert_int_equal(tsr_net_run_path(net, &loop, &req, &cfg, &r, &err), TSR_ERR_VALUE);
  assert_non_null(strstr(err.message, "twice"));
  /* A bad link performance is refused. */
  tsr_link_performance bad = *tsr_net_link_performance(net, 0);
  bad.p_attempt = 2;
  assert_int_equal(tsr_net_set_link_performance(net, 0, &bad, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_net_set_link_performance(net, 9, &bad, &err), TSR_ERR_VALUE);
  /* Chains. */
  tsr_net_chain_spec spec;
  tsr_net_chain_spec_default(&spec);
  tsr_arch *c = NULL;
  spec.nodes = 1;
  assert_int_equal(tsr_net_chain_machine(&spec, &c, &err), TSR_ERR_VALUE);
  spec.nodes = 3;
  spec.preset = "no-such-preset";
  assert_int_equal(tsr_net_chain_machine(&spec, &c, &err), TSR_ERR_VALUE);
  assert_null(c);
  tsr_net_free(net);
  tsr_arch_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bell_store_matches_density_matrix),
      cmocka_unit_test(routing_by_each_cost),
      cmocka_unit_test(sampled_link_agrees_with_analytic),
      cmocka_unit_test(network_rate_on_one_link),
      cmocka_unit_test(swap_fidelity_is_the_closed_form),
      cmocka_unit_test(fidelity_degrades_with_storage),
      cmocka_unit_test(cutoff_bounds_the_age),
      cmocka_unit_test(purification_reaches_the_target),
      cmocka_unit_test(determinism_and_memory_limits),
      cmocka_unit_test(thousand_node_chain),
      cmocka_unit_test(json_report),
      cmocka_unit_test(bad_requests_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
