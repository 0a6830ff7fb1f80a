/* Sampled mode of one link on the event engine: each herald's timing and
 * kind are drawn, and the sample statistics are compared with the analytic
 * model of tsr_link_evaluate (tests/net/test_net.c holds them to their
 * statistical errors).
 *
 * Per attempt (per_attempt = 1): an event every period T/duty, succeeding
 * with probability p_attempt. Geometric (per_attempt = 0): the number of
 * attempts K to the next success is drawn at once (tsr_rng_geometric) and
 * the herald is one event at K T/duty. Either way the latency of a pair is
 * K T/duty with K geometric, mean T/(p duty), and the rate is its inverse.
 *
 * A herald comes from the intended photons with probability
 * p_true / (p_true + p_false) and from a false click (dark count, noise
 * photon) otherwise; each kind has its own state after storage. The true
 * heralds' state is that of the same link without dark counts and noise
 * photons; the false heralds' state follows from the analytic mixture,
 * which is linear in the two: mixed = w s_true + (1 - w) s_false. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_internal.h"

typedef struct lsim {
  double p, w_true;
  tsr_time period;
  int per_attempt;
  tsr_bell s_true, s_false;
  uint64_t goal, pairs, attempts, false_heralds;
  tsr_time start;
  double *lat;
  double sum_f, sum_f2, sum_l, sum_l2;
  tsr_rng *rng;
  tsr_error *err;
} lsim;

static tsr_status next_herald(tsr_engine *e, lsim *s);

static tsr_status ev_attempt(tsr_engine *e, void *user, tsr_event_data d) {
  (void)d;
  lsim *s = user;
  if (s->per_attempt) {
    s->attempts++;
    if (!(tsr_rng_uniform(s->rng) < s->p))
      return tsr_engine_schedule_in(e, s->period, ev_attempt, s, d, NULL, s->err);
  }
  tsr_time t = tsr_engine_now(e);
  double lat = tsr_time_to_seconds(t - s->start);
  int genuine = tsr_rng_uniform(s->rng) < s->w_true;
  double f = genuine ? s->s_true.p[0] : s->s_false.p[0];
  if (!genuine) s->false_heralds++;
  s->lat[s->pairs++] = lat;
  s->sum_l += lat;
  s->sum_l2 += lat * lat;
  s->sum_f += f;
  s->sum_f2 += f * f;
  if (s->pairs >= s->goal) {
    tsr_engine_stop(e);
    return TSR_OK;
  }
  s->start = t;
  return next_herald(e, s);
}

static tsr_status next_herald(tsr_engine *e, lsim *s) {
  tsr_time delay = s->period;
  if (!s->per_attempt) {
    uint64_t k = tsr_rng_geometric(s->rng, s->p);
    if (k == UINT64_MAX || (double)k * (double)s->period >= (double)TSR_TIME_MAX / 2)
      return tsr_error_set(s->err, TSR_ERR_LIMIT,
                           "sampled link: the next herald lies beyond representable time");
    s->attempts += k;
    delay = (tsr_time)k * s->period;
  }
  if (delay > TSR_TIME_MAX - tsr_engine_now(e))
    return tsr_error_set(s->err, TSR_ERR_LIMIT, "sampled link: past the end of time (106 days)");
  return tsr_engine_schedule_in(e, delay, ev_attempt, s, tsr_event_u64(0, 0), NULL, s->err);
}

tsr_status tsr_net_sample_link(const tsr_link_physics *lp, uint64_t pairs, uint64_t seed,
                               int per_attempt, tsr_net_link_sample *out, tsr_error *err) {
  if (!out) return tsr_error_set(err, TSR_ERR_VALUE, "sampled link: no result to fill");
  memset(out, 0, sizeof *out);
  if (!lp) return tsr_error_set(err, TSR_ERR_VALUE, "sampled link: no link physics");
  if (pairs < 1 || pairs > 100000000)
    return tsr_error_set(err, TSR_ERR_VALUE, "sampled link: pairs must be in [1, 10^8], got %llu",
                         (unsigned long long)pairs);
  tsr_status st = tsr_link_evaluate(lp, &out->analytic, err);
  if (st) return st;
  const tsr_link_performance *perf = &out->analytic;
  if (!(perf->p_attempt > 0))
    return tsr_error_set(err, TSR_ERR_VALUE, "sampled link: the link can never herald (p = 0)");
  /* The true heralds' state: the same link without false clicks. */
  tsr_link_physics clean = *lp;
  clean.dark_count_rate_hz = 0;
  for (int i = 0; i < 2; i++)
    for (uint32_t k = 0; k < clean.node[i].n_conversion && k < TSR_LINK_MAX_CONVERSIONS; k++)
      clean.node[i].conversion_noise[k] = 0;
  tsr_link_performance pt;
  if ((st = tsr_link_evaluate(&clean, &pt, err))) return st;
  lsim s;
  memset(&s, 0, sizeof s);
  s.p = perf->p_attempt;
  double total = perf->p_true + perf->p_false;
  s.w_true = total > 0 ? perf->p_true / total : 1.0;
  s.s_true = pt.state;
  s.s_false = pt.state;
  if (s.w_true < 1) {
    double sum = 0;
    for (int k = 0; k < 4; k++) {
      double v = (perf->state.p[k] - s.w_true * pt.state.p[k]) / (1 - s.w_true);
      s.s_false.p[k] = v > 0 ? v : 0;
      sum += s.s_false.p[k];
    }
    for (int k = 0; k < 4; k++) s.s_false.p[k] = sum > 0 ? s.s_false.p[k] / sum : 0.25;
  }
  if ((st = tsr_time_from_seconds(perf->attempt_period_s / perf->duty_cycle, &s.period, err)))
    return st;
  if (s.period < 1) s.period = 1;
  s.per_attempt = per_attempt;
  s.goal = pairs;
  s.err = err;
  s.lat = tsr_malloc(pairs * sizeof *s.lat, err);
  if (!s.lat) return TSR_ERR_NOMEM;
  tsr_engine *e = NULL;
  if ((st = tsr_engine_new(&e, seed, 0, err))) {
    free(s.lat);
    return st;
  }
  s.rng = tsr_engine_rng(e);
  st = next_herald(e, &s);
  if (st == TSR_OK) st = tsr_engine_run(e, err);
  if (st == TSR_OK && s.pairs < pairs)
    st = tsr_error_set(err, TSR_ERR_INTERNAL, "sampled link: stopped after %llu of %llu pairs",
                       (unsigned long long)s.pairs, (unsigned long long)pairs);
  if (st == TSR_OK) {
    double n = (double)s.pairs;
    out->pairs = s.pairs;
    out->attempts = s.attempts;
    out->false_heralds = s.false_heralds;
    out->sim_time_s = tsr_time_to_seconds(tsr_engine_now(e));
    out->rate_hz = out->sim_time_s > 0 ? n / out->sim_time_s : INFINITY;
    out->mean_latency_s = s.sum_l / n;
    double vl = s.sum_l2 / n - out->mean_latency_s * out->mean_latency_s;
    out->std_latency_s = vl > 0 ? sqrt(vl) : 0;
    out->mean_fidelity = s.sum_f / n;
    double vf = s.sum_f2 / n - out->mean_fidelity * out->mean_fidelity;
    out->std_fidelity = vf > 0 ? sqrt(vf) : 0;
    out->p_success = s.attempts ? n / (double)s.attempts : 0;
    out->events = tsr_engine_fired(e);
    tsr_sort_doubles(s.lat, s.pairs);
    out->latency_p50_s = tsr_quantile_sorted(s.lat, s.pairs, 0.5);
    out->latency_p90_s = tsr_quantile_sorted(s.lat, s.pairs, 0.9);
  }
  tsr_engine_free(e);
  free(s.lat);
  return st;
}
