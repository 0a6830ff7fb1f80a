/* Event engine throughput: no-op events per second with a steady queue of
 * pending events (each fired event schedules one new event at a random
 * later time, so the queue size stays fixed), against the same-run baseline
 * of a plain loop calling the same kind of callback directly through a
 * function pointer.
 *
 *   bench_event [events] [pending...]     default: 20000000 events, queues
 *                                         of 10, 1000, 100000 and 1000000
 *
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other
 * work on a shared machine does not count; wall-clock figures agree on an
 * idle machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tessera/core.h"
#include "tessera/event.h"

#define DELAYS 4096 /* a precomputed table of delays: no RNG in the timed loop */

typedef struct bench_state {
  uint64_t remaining;
  uint64_t counter;
  tsr_time delays[DELAYS];
} bench_state;

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static tsr_status reschedule(tsr_engine *e, void *user, tsr_event_data data) {
  bench_state *b = user;
  b->counter++;
  if (b->remaining == 0) return TSR_OK;
  b->remaining--;
  return tsr_engine_schedule_in(e, b->delays[b->counter & (DELAYS - 1)], reschedule, b, data, NULL,
                                tsr_engine_error(e));
}

/* The baseline callback: the same signature, a no-op but for the counter. */
static tsr_status noop(tsr_engine *e, void *user, tsr_event_data data) {
  (void)e;
  (void)data;
  ((bench_state *)user)->counter++;
  return TSR_OK;
}

static double run_engine(bench_state *b, uint64_t events, size_t pending, double *out_rate) {
  tsr_error err;
  tsr_engine *e = NULL;
  if (tsr_engine_new(&e, 1, 0, &err) || tsr_engine_reserve(e, pending + 1, &err)) {
    fprintf(stderr, "bench_event: %s\n", err.message);
    exit(1);
  }
  tsr_rng r;
  tsr_rng_seed(&r, 42, 0);
  for (size_t i = 0; i < pending; i++) {
    tsr_time at = (tsr_time)tsr_rng_below(&r, 1000000);
    if (tsr_engine_schedule(e, at, reschedule, b, tsr_event_u64(i, 0), NULL, &err)) {
      fprintf(stderr, "bench_event: %s\n", err.message);
      exit(1);
    }
  }
  b->remaining = events;
  b->counter = 0;
  double t0 = cpu_seconds();
  /* Fire `events` events with the queue held at `pending`, then drain. */
  tsr_status st = tsr_engine_run(e, &err);
  double dt = cpu_seconds() - t0;
  if (st) {
    fprintf(stderr, "bench_event: %s\n", err.message);
    exit(1);
  }
  uint64_t fired = tsr_engine_fired(e);
  tsr_engine_free(e);
  *out_rate = (double)fired / dt;
  return dt;
}

static double run_baseline(bench_state *b, uint64_t events) {
  tsr_event_fn volatile fn = noop; /* a real indirect call, as the engine makes */
  b->counter = 0;
  double t0 = cpu_seconds();
  for (uint64_t i = 0; i < events; i++) fn(NULL, b, tsr_event_u64(i, 0));
  double dt = cpu_seconds() - t0;
  if (b->counter != events) exit(1);
  return (double)events / dt;
}

int main(int argc, char **argv) {
  uint64_t events = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000ull;
  size_t default_sizes[] = {10, 1000, 100000, 1000000};
  size_t nsizes = argc > 2 ? (size_t)(argc - 2) : sizeof default_sizes / sizeof *default_sizes;
  bench_state *b = malloc(sizeof *b);
  if (!b) return 1;
  tsr_rng r;
  tsr_rng_seed(&r, 7, 0);
  for (int i = 0; i < DELAYS; i++) b->delays[i] = 1 + (tsr_time)tsr_rng_below(&r, 1000000);

  double base = run_baseline(b, events);
  printf("bench_event: %llu events per queue size (CPU time); baseline, a direct indirect call "
         "of the callback: %.1f M/s\n",
         (unsigned long long)events, base / 1e6);
  printf("%12s %14s %12s %16s\n", "pending", "events/s", "ns/event", "baseline/engine");
  for (size_t k = 0; k < nsizes; k++) {
    size_t pending = argc > 2 ? (size_t)strtoull(argv[2 + k], NULL, 10) : default_sizes[k];
    double rate;
    run_engine(b, events, pending, &rate);
    base = run_baseline(b, events); /* re-measured beside each run */
    printf("%12zu %12.1f M %12.1f %15.1fx\n", pending, rate / 1e6, 1e9 / rate, base / rate);
  }
  free(b);
  return 0;
}
