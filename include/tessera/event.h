/* Tessera event layer: a deterministic discrete-event engine. Exact integer
 * time in picoseconds, a priority queue of timed callbacks with a stable
 * order for equal times, lazy cancellation by handle, and a seeded random
 * generator owned by the engine and handed to every callback through it.
 * Knows of core only.
 *
 * Processes. A process is a callback whose user pointer holds its state (a
 * small state machine) and which schedules its own next step, e.g. "wait
 * 10 us, then measure": the callback does its work, then calls
 * tsr_engine_schedule_in(engine, delay, itself, state, ...). Nothing else is
 * needed: every process, protocol and clock in Tessera's network and executor
 * is built from events scheduling further events.
 *
 * Determinism. Events fire in (time, insertion order) order: two events at
 * the same picosecond fire in the order they were scheduled. Given the same
 * seed and the same sequence of calls, a run fires the same events in the same
 * order with the same random numbers, on every machine.
 *
 * Errors. Nothing here prints, exits or aborts. A queue that cannot grow gives
 * TSR_ERR_NOMEM (or TSR_ERR_LIMIT past the engine's configured maximum); a
 * callback that returns a status other than TSR_OK stops the run, and the run
 * returns that status. */
#ifndef TESSERA_EVENT_H
#define TESSERA_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------- time */

/* Simulated time in integer picoseconds since the start of the run (0).
 * Resolution 1 ps; range [0, INT64_MAX] ps = 9.22e6 s, about 106.75 days.
 * Integer time keeps runs exact and reproducible (no rounding drift when
 * adding many short delays); fibre delays (~4.9 us/km) and gate times (tens
 * of ns and up) are exact multiples of 1 ps or rounded to the nearest. */
typedef int64_t tsr_time;

#define TSR_TIME_PS    ((tsr_time)1)
#define TSR_TIME_NS    ((tsr_time)1000)
#define TSR_TIME_US    ((tsr_time)1000000)
#define TSR_TIME_MS    ((tsr_time)1000000000)
#define TSR_TIME_S     ((tsr_time)1000000000000)
#define TSR_TIME_MAX   ((tsr_time)INT64_MAX) /* the end of representable time */
#define TSR_TIME_NEVER TSR_TIME_MAX

/* Converts seconds to the nearest picosecond. TSR_ERR_VALUE for a negative,
 * NaN or infinite value and TSR_ERR_LIMIT past TSR_TIME_MAX. */
tsr_status tsr_time_from_seconds(double seconds, tsr_time *out, tsr_error *err);
/* Seconds as a double (exact below 2^53 ps, about 2.5 hours; 1 ps relative
 * rounding beyond). */
double tsr_time_to_seconds(tsr_time t);

/* ----------------------------------------------------------------- events */

/* Handle of a scheduled event, for cancellation. Handles are never reused
 * while the engine lives long enough to matter (a slot's handle changes each
 * time the slot is reused; 2^32 reuses per slot). 0 is never a valid handle. */
typedef uint64_t tsr_event_id;
#define TSR_EVENT_NONE ((tsr_event_id)0)

/* A small payload copied into the event (16 bytes), so that most events need
 * no allocation of their own: two integers, two doubles or two pointers. */
typedef union tsr_event_data {
  uint64_t u64[2];
  int64_t i64[2];
  double f64[2];
  void *ptr[2];
} tsr_event_data;

typedef struct tsr_engine tsr_engine;

/* An event's action. It runs at the event's time (tsr_engine_now), may
 * schedule and cancel events, draw from tsr_engine_rng, and call
 * tsr_engine_stop. Returning anything but TSR_OK stops the run with that
 * status; the callback should describe the failure in the tsr_error that
 * tsr_engine_error returns (the run copies it to its caller). */
typedef tsr_status (*tsr_event_fn)(tsr_engine *engine, void *user, tsr_event_data data);

/* ----------------------------------------------------------------- engine */

/* Creates an engine at time 0 whose generator is tsr_rng_seed(seed, stream).
 * *out is NULL on failure. Free with tsr_engine_free (NULL is fine). */
tsr_status tsr_engine_new(tsr_engine **out, uint64_t seed, uint64_t stream, tsr_error *err);
void tsr_engine_free(tsr_engine *engine);

/* Caps the number of events held in the queue (pending plus cancelled ones
 * not yet discarded); scheduling past it gives TSR_ERR_LIMIT. Default and
 * maximum: 2^32 - 2. */
void tsr_engine_set_max_events(tsr_engine *engine, size_t max_events);
/* Pre-allocates room for n queued events (optional; the queue grows by
 * doubling). */
tsr_status tsr_engine_reserve(tsr_engine *engine, size_t n, tsr_error *err);

/* Schedules fn(engine, user, data) at absolute time `at` (>= now; an event at
 * exactly `now` fires after the events already queued for `now`). id may be
 * NULL. TSR_ERR_VALUE for a time in the past or fn NULL; TSR_ERR_NOMEM or
 * TSR_ERR_LIMIT when the queue cannot grow (the engine is left unchanged). */
tsr_status tsr_engine_schedule(tsr_engine *engine, tsr_time at, tsr_event_fn fn, void *user,
                               tsr_event_data data, tsr_event_id *id, tsr_error *err);
/* As tsr_engine_schedule at now + delay (delay >= 0; TSR_ERR_LIMIT when the
 * sum passes TSR_TIME_MAX). */
tsr_status tsr_engine_schedule_in(tsr_engine *engine, tsr_time delay, tsr_event_fn fn, void *user,
                                  tsr_event_data data, tsr_event_id *id, tsr_error *err);

/* Cancels a pending event: returns 1 if it was pending and will now never
 * fire, 0 if it already fired, was already cancelled, or the handle is
 * unknown or stale (all harmless). Cancellation is lazy: the entry stays in
 * the queue until it reaches the front or the queue is compacted (when more
 * than half of it is cancelled), so it costs O(1). */
int tsr_engine_cancel(tsr_engine *engine, tsr_event_id id);
/* 1 if the event is scheduled and not yet fired or cancelled. */
int tsr_engine_is_pending(const tsr_engine *engine, tsr_event_id id);

/* Fires, in order, every event with time <= until, then advances the clock to
 * `until` (so "run for 1 ms" is run(now + 1 ms)). Returns early, with the
 * clock at the last fired event, when a callback calls tsr_engine_stop (status
 * TSR_OK) or fails (its status). TSR_ERR_VALUE if until < now or when called
 * from inside a callback. */
tsr_status tsr_engine_run_until(tsr_engine *engine, tsr_time until, tsr_error *err);
/* Fires events until none is pending (or stop / failure); the clock stays at
 * the last fired event's time. */
tsr_status tsr_engine_run(tsr_engine *engine, tsr_error *err);
/* Fires the single next event, if any; *fired (may be NULL) gets 1 if one
 * fired, 0 if the queue was empty. */
tsr_status tsr_engine_step(tsr_engine *engine, int *fired, tsr_error *err);
/* Asks the current run to return after the running callback. A later run
 * call continues from there. */
void tsr_engine_stop(tsr_engine *engine);

/* The current simulated time (the running event's time inside a callback). */
tsr_time tsr_engine_now(const tsr_engine *engine);
/* Time of the next pending event, or TSR_TIME_NEVER when none is pending. */
tsr_time tsr_engine_next_time(tsr_engine *engine);
/* Number of pending (scheduled, not fired, not cancelled) events. */
size_t tsr_engine_pending(const tsr_engine *engine);
/* Number of events fired since the engine was created. */
uint64_t tsr_engine_fired(const tsr_engine *engine);
/* The engine's generator: the one source of randomness for callbacks. */
tsr_rng *tsr_engine_rng(tsr_engine *engine);
/* An error record owned by the engine, for callbacks to describe a failure
 * (and to pass to the schedule functions they call). Cleared at each run. */
tsr_error *tsr_engine_error(tsr_engine *engine);

/* Shorthands for building payloads. */
static inline tsr_event_data tsr_event_u64(uint64_t a, uint64_t b) {
  tsr_event_data d;
  d.u64[0] = a;
  d.u64[1] = b;
  return d;
}
static inline tsr_event_data tsr_event_ptr(void *a, void *b) {
  tsr_event_data d;
  d.ptr[0] = a;
  d.ptr[1] = b;
  return d;
}
static inline tsr_event_data tsr_event_f64(double a, double b) {
  tsr_event_data d;
  d.f64[0] = a;
  d.f64[1] = b;
  return d;
}

#ifdef __cplusplus
}
#endif
#endif
