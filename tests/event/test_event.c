/* Event engine: time conversion, ordering, stable ties, cancellation,
 * determinism, errors as values, growth to a million pending events. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "event/event_internal.h"
#include "tessera/event.h"
#include "tsr_test.h"

/* A trace of fired events: (time, tag) pairs. */
typedef struct trace {
  tsr_time *time;
  uint64_t *tag;
  size_t n, cap;
} trace;

static void trace_init(trace *t, size_t cap) {
  t->time = malloc(cap * sizeof *t->time);
  t->tag = malloc(cap * sizeof *t->tag);
  assert_non_null(t->time);
  assert_non_null(t->tag);
  t->n = 0;
  t->cap = cap;
}

static void trace_free(trace *t) {
  free(t->time);
  free(t->tag);
}

static tsr_status record(tsr_engine *e, void *user, tsr_event_data data) {
  trace *t = user;
  if (t->n == t->cap) return tsr_error_set(tsr_engine_error(e), TSR_ERR_INTERNAL, "trace full");
  t->time[t->n] = tsr_engine_now(e);
  t->tag[t->n] = data.u64[0];
  t->n++;
  return TSR_OK;
}

static tsr_engine *new_engine(uint64_t seed) {
  tsr_engine *e = NULL;
  tsr_error err;
  assert_ok(tsr_engine_new(&e, seed, 0, &err), &err);
  assert_non_null(e);
  return e;
}

static void time_conversions(void **state) {
  (void)state;
  tsr_error err;
  tsr_time t = -1;
  assert_ok(tsr_time_from_seconds(1e-12, &t, &err), &err);
  assert_true(t == 1);
  assert_ok(tsr_time_from_seconds(4.897e-6, &t, &err), &err);
  assert_true(t == 4897000);
  assert_ok(tsr_time_from_seconds(1.0, &t, &err), &err);
  assert_true(t == TSR_TIME_S);
  assert_ok(tsr_time_from_seconds(9.2e6, &t, &err), &err); /* 106 days fits */
  assert_true(t == (tsr_time)9200000 * TSR_TIME_S);
  assert_int_equal(tsr_time_from_seconds(9.3e6, &t, &err), TSR_ERR_LIMIT);
  assert_non_null(strstr(err.message, "106 days"));
  assert_int_equal(tsr_time_from_seconds(-1e-9, &t, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_time_from_seconds(NAN, &t, &err), TSR_ERR_VALUE);
  assert_int_equal(tsr_time_from_seconds(INFINITY, &t, &err), TSR_ERR_VALUE);
  assert_close(tsr_time_to_seconds(3 * TSR_TIME_US), 3e-6, 1e-18);
  assert_close(tsr_time_to_seconds(TSR_TIME_MAX) / 86400.0, 106.75, 0.01);
}

static void fires_in_time_order(void **state) {
  (void)state;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  const size_t n = 20000;
  trace_init(&t, n);
  tsr_rng r;
  tsr_rng_seed(&r, 99, 0);
  for (size_t i = 0; i < n; i++) {
    tsr_time at = (tsr_time)tsr_rng_below(&r, 1000000);
    assert_ok(tsr_engine_schedule(e, at, record, &t, tsr_event_u64(i, 0), NULL, &err), &err);
  }
  assert_int_equal(tsr_engine_pending(e), n);
  assert_ok(tsr_engine_run(e, &err), &err);
  assert_int_equal(t.n, n);
  for (size_t i = 1; i < n; i++) assert_true(t.time[i - 1] <= t.time[i]);
  assert_true(tsr_engine_now(e) == t.time[n - 1]);
  assert_int_equal(tsr_engine_pending(e), 0);
  assert_true(tsr_engine_fired(e) == n);
  assert_true(tsr_engine_next_time(e) == TSR_TIME_NEVER);
  trace_free(&t);
  tsr_engine_free(e);
}

static void equal_times_fire_in_insertion_order(void **state) {
  (void)state;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  const size_t n = 5000;
  trace_init(&t, n);
  tsr_rng r;
  tsr_rng_seed(&r, 5, 0);
  /* Only 7 distinct times, so most events tie. */
  for (size_t i = 0; i < n; i++) {
    tsr_time at = (tsr_time)tsr_rng_below(&r, 7) * TSR_TIME_NS;
    assert_ok(tsr_engine_schedule(e, at, record, &t, tsr_event_u64(i, 0), NULL, &err), &err);
  }
  assert_ok(tsr_engine_run(e, &err), &err);
  assert_int_equal(t.n, n);
  for (size_t i = 1; i < n; i++) {
    assert_true(t.time[i - 1] <= t.time[i]);
    if (t.time[i - 1] == t.time[i]) assert_true(t.tag[i - 1] < t.tag[i]);
  }
  trace_free(&t);
  tsr_engine_free(e);
}

/* An event at `now` scheduled from a callback fires after the events already
 * queued for `now`. */
static tsr_status schedule_now(tsr_engine *e, void *user, tsr_event_data data) {
  record(e, user, data);
  if (data.u64[0] == 0)
    return tsr_engine_schedule_in(e, 0, record, user, tsr_event_u64(99, 0), NULL,
                                  tsr_engine_error(e));
  return TSR_OK;
}

static void event_at_now_goes_after_queued_ties(void **state) {
  (void)state;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  trace_init(&t, 16);
  for (uint64_t i = 0; i < 3; i++)
    assert_ok(tsr_engine_schedule(e, 10, schedule_now, &t, tsr_event_u64(i, 0), NULL, &err), &err);
  assert_ok(tsr_engine_run(e, &err), &err);
  assert_int_equal(t.n, 4);
  assert_true(t.tag[0] == 0 && t.tag[1] == 1 && t.tag[2] == 2 && t.tag[3] == 99);
  assert_true(t.time[3] == 10);
  trace_free(&t);
  tsr_engine_free(e);
}

/* Times spread over the whole 63-bit range exercise every level of the
 * radix queue; equal times among them must still keep their order. */
static void wide_time_spread(void **state) {
  (void)state;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  const size_t n = 4000;
  trace_init(&t, n);
  tsr_rng r;
  tsr_rng_seed(&r, 8, 0);
  tsr_time pool[40];
  for (int i = 0; i < 40; i++) pool[i] = (tsr_time)(tsr_rng_u64(&r) >> (1 + i % 63));
  pool[0] = 0;
  pool[1] = TSR_TIME_MAX;
  for (size_t i = 0; i < n; i++) {
    tsr_time at = pool[tsr_rng_below(&r, 40)];
    assert_ok(tsr_engine_schedule(e, at, record, &t, tsr_event_u64(i, 0), NULL, &err), &err);
  }
  assert_ok(tsr_engine_run(e, &err), &err);
  assert_int_equal(t.n, n);
  for (size_t i = 1; i < n; i++) {
    assert_true(t.time[i - 1] <= t.time[i]);
    if (t.time[i - 1] == t.time[i]) assert_true(t.tag[i - 1] < t.tag[i]);
  }
  assert_true(tsr_engine_now(e) == TSR_TIME_MAX);
  trace_free(&t);
  tsr_engine_free(e);
}

/* Random schedules, cancellations and partial runs against a plain reference
 * (a list fired in (time, insertion) order by linear search). */
typedef struct ref_event {
  tsr_time time;
  uint64_t tag;
  tsr_event_id id;
  int live;
} ref_event;

static void matches_reference_model(void **state) {
  (void)state;
  const size_t cap = 20000;
  ref_event *ref = calloc(cap, sizeof *ref);
  assert_non_null(ref);
  size_t nref = 0;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  trace_init(&t, cap);
  tsr_rng r;
  tsr_rng_seed(&r, 12345, 0);
  size_t checked = 0;
  for (int round = 0; round < 400; round++) {
    tsr_time now = tsr_engine_now(e);
    int adds = (int)tsr_rng_below(&r, 60);
    for (int i = 0; i < adds && nref < cap; i++) {
      tsr_time delay;
      switch (tsr_rng_below(&r, 4)) {
      case 0:
        delay = 0;
        break;
      case 1:
        delay = (tsr_time)tsr_rng_below(&r, 16);
        break;
      case 2:
        delay = (tsr_time)tsr_rng_below(&r, 1000000);
        break;
      default:
        delay = (tsr_time)(tsr_rng_u64(&r) >> (20 + tsr_rng_below(&r, 24)));
        break;
      }
      ref_event *x = &ref[nref];
      x->time = now + delay;
      x->tag = nref;
      x->live = 1;
      assert_ok(tsr_engine_schedule(e, x->time, record, &t, tsr_event_u64(nref, 0), &x->id, &err),
                &err);
      nref++;
    }
    /* cancel a few pending ones (and try some fired ones) */
    int cancels = (int)tsr_rng_below(&r, 20);
    for (int i = 0; i < cancels && nref; i++) {
      ref_event *x = &ref[tsr_rng_below(&r, nref)];
      assert_int_equal(tsr_engine_cancel(e, x->id), x->live);
      x->live = 0;
    }
    /* the reference's next event */
    ref_event *best = NULL;
    size_t live = 0;
    for (size_t i = 0; i < nref; i++)
      if (ref[i].live) {
        live++;
        if (!best || ref[i].time < best->time) best = &ref[i];
      }
    assert_int_equal(tsr_engine_pending(e), live);
    assert_true(tsr_engine_next_time(e) == (best ? best->time : TSR_TIME_NEVER));
    /* run to a horizon, or sometimes until the queue is empty */
    int drain = tsr_rng_below(&r, 8) == 0;
    tsr_time until = drain ? TSR_TIME_MAX : now + (tsr_time)tsr_rng_below(&r, 2000000);
    size_t before = t.n;
    if (drain) {
      assert_ok(tsr_engine_run(e, &err), &err);
      assert_true(tsr_engine_now(e) == (t.n > before ? t.time[t.n - 1] : now));
    } else {
      assert_ok(tsr_engine_run_until(e, until, &err), &err);
      assert_true(tsr_engine_now(e) == until);
    }
    for (size_t k = before; k < t.n; k++) {
      ref_event *want = NULL;
      for (size_t i = 0; i < nref; i++)
        if (ref[i].live && ref[i].time <= until && (!want || ref[i].time < want->time))
          want = &ref[i];
      assert_non_null(want);
      assert_true(t.tag[k] == want->tag);
      assert_true(t.time[k] == want->time);
      want->live = 0;
      checked++;
    }
    for (size_t i = 0; i < nref; i++) assert_false(ref[i].live && ref[i].time <= until);
  }
  assert_true(checked > 5000);
  free(ref);
  trace_free(&t);
  tsr_engine_free(e);
}

static void cancellation_by_handle(void **state) {
  (void)state;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  const size_t n = 3000;
  trace_init(&t, n);
  tsr_event_id *ids = calloc(n, sizeof *ids);
  assert_non_null(ids);
  tsr_rng r;
  tsr_rng_seed(&r, 3, 0);
  for (size_t i = 0; i < n; i++) {
    tsr_time at = 1 + (tsr_time)tsr_rng_below(&r, 100000);
    assert_ok(tsr_engine_schedule(e, at, record, &t, tsr_event_u64(i, 0), &ids[i], &err), &err);
    assert_true(ids[i] != TSR_EVENT_NONE);
    assert_true(tsr_engine_is_pending(e, ids[i]));
  }
  /* Cancel two thirds: enough to trigger a compaction of the queue. */
  size_t cancelled = 0;
  for (size_t i = 0; i < n; i++)
    if (i % 3 != 0) {
      assert_int_equal(tsr_engine_cancel(e, ids[i]), 1);
      assert_int_equal(tsr_engine_cancel(e, ids[i]), 0); /* second time: no-op */
      assert_false(tsr_engine_is_pending(e, ids[i]));
      cancelled++;
    }
  assert_int_equal(tsr_engine_pending(e), n - cancelled);
  assert_true(tsr_engine_test_queue_size(e) < n); /* compacted */
  assert_int_equal(tsr_engine_cancel(e, TSR_EVENT_NONE), 0);
  assert_int_equal(tsr_engine_cancel(e, (tsr_event_id)0xdeadbeef00001234ull), 0);
  assert_ok(tsr_engine_run(e, &err), &err);
  assert_int_equal(t.n, n - cancelled);
  for (size_t i = 0; i < t.n; i++) assert_true(t.tag[i] % 3 == 0);
  for (size_t i = 1; i < t.n; i++) assert_true(t.time[i - 1] <= t.time[i]);
  /* Fired events' handles are stale; a reused slot gets a new handle. */
  assert_int_equal(tsr_engine_cancel(e, ids[0]), 0);
  tsr_event_id fresh;
  assert_ok(tsr_engine_schedule_in(e, 5, record, &t, tsr_event_u64(7777, 0), &fresh, &err), &err);
  for (size_t i = 0; i < n; i++) {
    assert_true(ids[i] != fresh);
    assert_int_equal(tsr_engine_cancel(e, ids[i]), 0);
  }
  assert_true(tsr_engine_is_pending(e, fresh));
  assert_true(tsr_engine_next_time(e) == tsr_engine_now(e) + 5);
  /* Cancelling the front event: next_time skips it. */
  assert_int_equal(tsr_engine_cancel(e, fresh), 1);
  assert_true(tsr_engine_next_time(e) == TSR_TIME_NEVER);
  assert_int_equal(tsr_engine_pending(e), 0);
  free(ids);
  trace_free(&t);
  tsr_engine_free(e);
}

/* A callback that cancels a later event. */
typedef struct canceller {
  tsr_event_id victim;
  int cancelled;
  trace *t;
} canceller;

static tsr_status cancel_victim(tsr_engine *e, void *user, tsr_event_data data) {
  (void)data;
  canceller *c = user;
  c->cancelled = tsr_engine_cancel(e, c->victim);
  return TSR_OK;
}

static void cancel_from_callback(void **state) {
  (void)state;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  trace_init(&t, 4);
  canceller c = {0, 0, &t};
  assert_ok(tsr_engine_schedule(e, 20, record, &t, tsr_event_u64(1, 0), &c.victim, &err), &err);
  assert_ok(tsr_engine_schedule(e, 10, cancel_victim, &c, tsr_event_u64(0, 0), NULL, &err), &err);
  assert_ok(tsr_engine_run(e, &err), &err);
  assert_int_equal(c.cancelled, 1);
  assert_int_equal(t.n, 0);
  assert_true(tsr_engine_now(e) == 10);
  trace_free(&t);
  tsr_engine_free(e);
}

/* A little stochastic world: walkers that hop at random delays, sometimes
 * spawn a new walker, sometimes cancel a pending timeout. Its trace hash must
 * depend only on the seed. */
typedef struct world {
  uint64_t hash;
  uint64_t spawned;
  tsr_event_id timeout;
} world;

static tsr_status on_timeout(tsr_engine *e, void *user, tsr_event_data data) {
  world *w = user;
  w->hash = (w->hash ^ (uint64_t)tsr_engine_now(e) ^ data.u64[0]) * 0x100000001b3ull;
  return TSR_OK;
}

static tsr_status walker(tsr_engine *e, void *user, tsr_event_data data) {
  world *w = user;
  tsr_rng *r = tsr_engine_rng(e);
  w->hash = (w->hash ^ (uint64_t)tsr_engine_now(e) ^ (data.u64[0] << 20)) * 0x100000001b3ull;
  uint64_t hops = data.u64[1];
  if (hops == 0) return TSR_OK;
  tsr_time delay = (tsr_time)tsr_rng_below(r, 50) * TSR_TIME_NS; /* ties are common */
  tsr_status st = tsr_engine_schedule_in(e, delay, walker, w, tsr_event_u64(data.u64[0], hops - 1),
                                         NULL, tsr_engine_error(e));
  if (st) return st;
  double u = tsr_rng_uniform(r);
  if (u < 0.05 && w->spawned < 2000) {
    w->spawned++;
    st = tsr_engine_schedule_in(e, 1, walker, w, tsr_event_u64(1000 + w->spawned, 20), NULL,
                                tsr_engine_error(e));
  } else if (u < 0.3) {
    tsr_engine_cancel(e, w->timeout);
    st = tsr_engine_schedule_in(e, (tsr_time)tsr_rng_below(r, 400) * TSR_TIME_NS, on_timeout, w,
                                tsr_event_u64(hops, 0), &w->timeout, tsr_engine_error(e));
  }
  return st;
}

static uint64_t run_world(uint64_t seed, uint64_t *fired) {
  tsr_engine *e = new_engine(seed);
  tsr_error err;
  world w = {0xcbf29ce484222325ull, 0, TSR_EVENT_NONE};
  for (uint64_t i = 0; i < 50; i++)
    assert_ok(tsr_engine_schedule(e, 0, walker, &w, tsr_event_u64(i, 100), NULL, &err), &err);
  assert_ok(tsr_engine_run(e, &err), &err);
  *fired = tsr_engine_fired(e);
  tsr_engine_free(e);
  return w.hash;
}

static void same_seed_same_run(void **state) {
  (void)state;
  uint64_t f1, f2, f3;
  uint64_t h1 = run_world(2024, &f1);
  uint64_t h2 = run_world(2024, &f2);
  uint64_t h3 = run_world(2025, &f3);
  assert_true(h1 == h2);
  assert_true(f1 == f2);
  assert_true(f1 > 5000);
  assert_true(h1 != h3);
}

static void run_until_stop_and_step(void **state) {
  (void)state;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  trace_init(&t, 16);
  for (uint64_t i = 1; i <= 5; i++)
    assert_ok(
        tsr_engine_schedule(e, (tsr_time)i * 100, record, &t, tsr_event_u64(i, 0), NULL, &err),
        &err);
  assert_ok(tsr_engine_run_until(e, 250, &err), &err);
  assert_int_equal(t.n, 2);
  assert_true(tsr_engine_now(e) == 250); /* the clock advances to the horizon */
  assert_int_equal(tsr_engine_pending(e), 3);
  assert_true(tsr_engine_next_time(e) == 300);
  assert_ok(tsr_engine_run_until(e, 300, &err), &err); /* inclusive */
  assert_int_equal(t.n, 3);
  assert_int_equal(tsr_engine_run_until(e, 200, &err), TSR_ERR_VALUE);
  int fired = 0;
  assert_ok(tsr_engine_step(e, &fired, &err), &err);
  assert_int_equal(fired, 1);
  assert_true(tsr_engine_now(e) == 400);
  assert_ok(tsr_engine_step(e, &fired, &err), &err);
  assert_ok(tsr_engine_step(e, &fired, &err), &err);
  assert_int_equal(fired, 0);
  assert_int_equal(t.n, 5);
  /* Scheduling in the past is an error value. */
  assert_int_equal(tsr_engine_schedule(e, 10, record, &t, tsr_event_u64(0, 0), NULL, &err),
                   TSR_ERR_VALUE);
  assert_int_equal(tsr_engine_schedule(e, 1000, NULL, &t, tsr_event_u64(0, 0), NULL, &err),
                   TSR_ERR_VALUE);
  assert_int_equal(tsr_engine_schedule_in(e, -1, record, &t, tsr_event_u64(0, 0), NULL, &err),
                   TSR_ERR_VALUE);
  assert_int_equal(
      tsr_engine_schedule_in(e, TSR_TIME_MAX, record, &t, tsr_event_u64(0, 0), NULL, &err),
      TSR_ERR_LIMIT);
  trace_free(&t);
  tsr_engine_free(e);
}

static tsr_status stopper(tsr_engine *e, void *user, tsr_event_data data) {
  record(e, user, data);
  if (data.u64[0] == 2) tsr_engine_stop(e);
  return TSR_OK;
}

static tsr_status failer(tsr_engine *e, void *user, tsr_event_data data) {
  (void)user;
  (void)data;
  return tsr_error_set(tsr_engine_error(e), TSR_ERR_VALUE, "qubit %d is busy", 3);
}

static tsr_status silent_failer(tsr_engine *e, void *user, tsr_event_data data) {
  (void)e;
  (void)user;
  (void)data;
  return TSR_ERR_INTERNAL;
}

static tsr_status nested_run(tsr_engine *e, void *user, tsr_event_data data) {
  (void)data;
  tsr_status *out = user;
  *out = tsr_engine_run(e, NULL);
  return TSR_OK;
}

static void stop_and_callback_errors(void **state) {
  (void)state;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  trace_init(&t, 16);
  for (uint64_t i = 1; i <= 4; i++)
    assert_ok(tsr_engine_schedule(e, (tsr_time)i, stopper, &t, tsr_event_u64(i, 0), NULL, &err),
              &err);
  assert_ok(tsr_engine_run_until(e, 100, &err), &err);
  assert_int_equal(t.n, 2); /* stopped after the second */
  assert_true(tsr_engine_now(e) == 2);
  assert_ok(tsr_engine_run(e, &err), &err); /* resumes */
  assert_int_equal(t.n, 4);

  assert_ok(tsr_engine_schedule_in(e, 5, failer, NULL, tsr_event_u64(0, 0), NULL, &err), &err);
  assert_ok(tsr_engine_schedule_in(e, 6, record, &t, tsr_event_u64(9, 0), NULL, &err), &err);
  assert_int_equal(tsr_engine_run(e, &err), TSR_ERR_VALUE);
  assert_string_equal(err.message, "qubit 3 is busy");
  assert_int_equal(tsr_engine_pending(e), 1); /* the later event is still there */

  assert_ok(tsr_engine_schedule_in(e, 0, silent_failer, NULL, tsr_event_u64(0, 0), NULL, &err),
            &err);
  assert_int_equal(tsr_engine_run(e, &err), TSR_ERR_INTERNAL);
  assert_non_null(strstr(err.message, "event callback"));

  tsr_status nested = TSR_OK;
  assert_ok(tsr_engine_schedule_in(e, 0, nested_run, &nested, tsr_event_u64(0, 0), NULL, &err),
            &err);
  assert_ok(tsr_engine_run(e, &err), &err);
  assert_int_equal(nested, TSR_ERR_VALUE);
  assert_int_equal(t.n, 5);
  trace_free(&t);
  tsr_engine_free(e);
}

static void queue_limit_is_an_error_value(void **state) {
  (void)state;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  trace_init(&t, 16);
  tsr_engine_set_max_events(e, 10);
  for (uint64_t i = 0; i < 10; i++)
    assert_ok(tsr_engine_schedule(e, 10 - (tsr_time)i, record, &t, tsr_event_u64(i, 0), NULL, &err),
              &err);
  tsr_event_id id = 123;
  assert_int_equal(tsr_engine_schedule(e, 5, record, &t, tsr_event_u64(10, 0), &id, &err),
                   TSR_ERR_LIMIT);
  assert_true(id == TSR_EVENT_NONE);
  assert_non_null(strstr(err.message, "full"));
  assert_int_equal(tsr_engine_pending(e), 10); /* unchanged */
  assert_int_equal(tsr_engine_reserve(e, 11, &err), TSR_ERR_LIMIT);
  assert_ok(tsr_engine_run(e, &err), &err);
  assert_int_equal(t.n, 10);
  for (size_t i = 0; i < 10; i++) assert_true(t.tag[i] == 9 - i);
  trace_free(&t);
  tsr_engine_free(e);
}

static void grows_to_a_million_pending(void **state) {
  (void)state;
  tsr_engine *e = new_engine(1);
  tsr_error err;
  trace t;
  const size_t n = 1000000;
  trace_init(&t, n);
  tsr_rng r;
  tsr_rng_seed(&r, 17, 0);
  for (size_t i = 0; i < n; i++) {
    tsr_time at = (tsr_time)tsr_rng_below(&r, (uint64_t)TSR_TIME_S);
    assert_ok(tsr_engine_schedule(e, at, record, &t, tsr_event_u64(i, 0), NULL, &err), &err);
  }
  assert_int_equal(tsr_engine_pending(e), n);
  assert_ok(tsr_engine_run(e, &err), &err);
  assert_int_equal(t.n, n);
  for (size_t i = 1; i < n; i++) {
    assert_true(t.time[i - 1] <= t.time[i]);
    if (t.time[i - 1] == t.time[i]) assert_true(t.tag[i - 1] < t.tag[i]);
  }
  trace_free(&t);
  tsr_engine_free(e);
  tsr_engine_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(time_conversions),
      cmocka_unit_test(fires_in_time_order),
      cmocka_unit_test(equal_times_fire_in_insertion_order),
      cmocka_unit_test(event_at_now_goes_after_queued_ties),
      cmocka_unit_test(wide_time_spread),
      cmocka_unit_test(matches_reference_model),
      cmocka_unit_test(cancellation_by_handle),
      cmocka_unit_test(cancel_from_callback),
      cmocka_unit_test(same_seed_same_run),
      cmocka_unit_test(run_until_stop_and_step),
      cmocka_unit_test(stop_and_callback_errors),
      cmocka_unit_test(queue_limit_is_an_error_value),
      cmocka_unit_test(grows_to_a_million_pending),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
