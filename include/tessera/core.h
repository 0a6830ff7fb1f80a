/* Tessera core: errors as values, seeded splittable random numbers, logging,
 * a progress bar and a streaming JSON writer. Knows of nothing else. */
#ifndef TESSERA_CORE_H
#define TESSERA_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TSR_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ errors */

/* Every fallible function returns a status (TSR_OK == 0) and fills the
 * tsr_error its caller passes (which may be NULL when the caller does not
 * care about the message). */
typedef enum tsr_status {
  TSR_OK = 0,
  TSR_ERR_INPUT,       /* malformed input file or text (has file:line:col) */
  TSR_ERR_VALUE,       /* argument or parameter out of its domain */
  TSR_ERR_IO,          /* file could not be opened, read or written */
  TSR_ERR_NOMEM,       /* allocation failed */
  TSR_ERR_LIMIT,       /* request exceeds a resource limit (memory, size) */
  TSR_ERR_UNSUPPORTED, /* valid request this build or backend cannot do */
  TSR_ERR_INTERNAL     /* a bug: an invariant did not hold */
} tsr_status;

#define TSR_ERROR_MESSAGE_MAX 512
#define TSR_ERROR_FILE_MAX    256

typedef struct tsr_error {
  tsr_status status;
  char message[TSR_ERROR_MESSAGE_MAX];
  char file[TSR_ERROR_FILE_MAX]; /* empty when the error has no location */
  int line;                      /* 1-based; 0 when no location */
  int col;                       /* 1-based; 0 when unknown */
} tsr_error;

/* Resets err to TSR_OK with empty message and location. err may be NULL. */
void tsr_error_clear(tsr_error *err);

/* Records status and a printf-style message in err (if non-NULL); returns
 * status so callers can write `return tsr_error_set(err, ...)`. */
tsr_status tsr_error_set(tsr_error *err, tsr_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
tsr_status tsr_error_vset(tsr_error *err, tsr_status status, const char *fmt, va_list ap);

/* As tsr_error_set, with an input location (file may be NULL). */
tsr_status tsr_error_set_at(tsr_error *err, tsr_status status, const char *file, int line, int col,
                            const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Prefixes the existing message with "context: " (keeps status and location). */
void tsr_error_prefix(tsr_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes "file:line:col: message" (or just "message" without a location)
 * into buf; returns buf. */
const char *tsr_error_format(const tsr_error *err, char *buf, size_t size);

/* Short stable name of a status ("input error", "out of memory", ...). */
const char *tsr_status_name(tsr_status status);

/* ------------------------------------------------------------- allocation */

/* malloc/calloc/realloc that set err on failure and return NULL. Overflow of
 * count*size is detected. */
void *tsr_malloc(size_t size, tsr_error *err);
void *tsr_calloc(size_t count, size_t size, tsr_error *err);
void *tsr_realloc(void *ptr, size_t count, size_t size, tsr_error *err);
/* 64-byte aligned allocation (free with tsr_aligned_free). */
void *tsr_aligned_alloc(size_t size, tsr_error *err);
void tsr_aligned_free(void *ptr);
/* strdup that sets err on failure. */
char *tsr_strdup(const char *s, tsr_error *err);

/* Physical memory of this machine in bytes (0 if unknown) and the part
 * currently available. Used to refuse states that cannot fit. */
uint64_t tsr_memory_total_bytes(void);
uint64_t tsr_memory_available_bytes(void);

/* ----------------------------------------------------------------- random */

/* xoshiro256** seeded through splitmix64. A generator is identified by a
 * (seed, stream) pair: streams are independent, so a parallel loop gives
 * item i the stream i and results do not depend on the thread count. */
typedef struct tsr_rng {
  uint64_t s[4];
} tsr_rng;

void tsr_rng_seed(tsr_rng *rng, uint64_t seed, uint64_t stream);
/* Derives an independent child generator from rng (advances rng). */
tsr_rng tsr_rng_split(tsr_rng *rng);
uint64_t tsr_rng_u64(tsr_rng *rng);
/* Uniform double in [0, 1) with 53 random bits. */
double tsr_rng_uniform(tsr_rng *rng);
/* Uniform integer in [0, n); n > 0. Unbiased (rejection). */
uint64_t tsr_rng_below(tsr_rng *rng, uint64_t n);
/* Standard normal deviate. */
double tsr_rng_normal(tsr_rng *rng);
/* Exponential deviate with the given mean. */
double tsr_rng_exponential(tsr_rng *rng, double mean);
/* Number of Bernoulli(p) trials up to and including the first success
 * (>= 1); p in (0, 1]. Returns UINT64_MAX when p is too small to resolve. */
uint64_t tsr_rng_geometric(tsr_rng *rng, double p);

/* ------------------------------------------------------------- statistics */

/* Sorts v ascending (no NaNs). */
void tsr_sort_doubles(double *v, size_t n);
/* The q-quantile of ascending v, linear between order statistics (q = 0:
 * the minimum, 1: the maximum); NaN when n == 0 or q is outside [0, 1]. */
double tsr_quantile_sorted(const double *v, size_t n, double q);

/* ---------------------------------------------------------------- logging */

typedef enum tsr_log_level {
  TSR_LOG_ERROR = 0,
  TSR_LOG_WARN,
  TSR_LOG_INFO,
  TSR_LOG_DEBUG
} tsr_log_level;

/* The library never prints on its own: log messages go to the sink that the
 * program installed (none by default). */
typedef void (*tsr_log_sink)(tsr_log_level level, const char *message, void *user);
void tsr_log_set_sink(tsr_log_sink sink, void *user);
void tsr_log_set_level(tsr_log_level level);
tsr_log_level tsr_log_get_level(void);
void tsr_log(tsr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A ready-made sink writing "tessera: level: message" lines to stderr. */
void tsr_log_stderr_sink(tsr_log_level level, const char *message, void *user);

/* --------------------------------------------------------------- progress */

/* A one-line progress bar drawn on a stream, only when that stream is a
 * terminal (otherwise every call is a no-op). Safe to call from one thread. */
typedef struct tsr_progress tsr_progress;
tsr_progress *tsr_progress_new(FILE *stream, const char *label, uint64_t total);
void tsr_progress_update(tsr_progress *p, uint64_t done);
void tsr_progress_free(tsr_progress *p); /* finishes the line */

/* ------------------------------------------------------------------- JSON */

/* A streaming JSON writer with proper string escaping, round-trippable
 * doubles (%.17g; NaN and infinities written as null) and optional
 * indentation. Keys are written with tsr_json_key before each value. */
typedef struct tsr_json tsr_json;
tsr_json *tsr_json_new(FILE *stream, int indent);
void tsr_json_free(tsr_json *j); /* writes a final newline */
void tsr_json_object_begin(tsr_json *j);
void tsr_json_object_end(tsr_json *j);
void tsr_json_array_begin(tsr_json *j);
void tsr_json_array_end(tsr_json *j);
void tsr_json_key(tsr_json *j, const char *key);
void tsr_json_string(tsr_json *j, const char *s);
void tsr_json_int(tsr_json *j, int64_t v);
void tsr_json_uint(tsr_json *j, uint64_t v);
void tsr_json_double(tsr_json *j, double v);
void tsr_json_bool(tsr_json *j, int v);
void tsr_json_null(tsr_json *j);
/* key + value shorthands */
void tsr_json_kv_string(tsr_json *j, const char *key, const char *s);
void tsr_json_kv_int(tsr_json *j, const char *key, int64_t v);
void tsr_json_kv_double(tsr_json *j, const char *key, double v);
void tsr_json_kv_bool(tsr_json *j, const char *key, int v);

/* ---------------------------------------------------------------- files */

/* Reads a whole file (path "-" is NOT special here: the program handles
 * stdin) into a NUL-terminated buffer; *len gets its length. */
tsr_status tsr_read_file(const char *path, char **out, size_t *len, tsr_error *err);
/* Reads a whole stream into a NUL-terminated buffer. */
tsr_status tsr_read_stream(FILE *stream, char **out, size_t *len, tsr_error *err);

/* Writes a duration in seconds with the unit that suits it ("970 us",
 * "1.5 s", "2 h"), `digits` significant digits; "0" for zero, "inf" and "-"
 * for infinite and NaN. Returns buf. */
const char *tsr_format_seconds(double s, int digits, char *buf, size_t size);

/* Writes s with the five XML special characters escaped (for SVG text). */
void tsr_write_xml_escaped(FILE *out, const char *s);

/* Wall-clock seconds from a monotonic clock (for benchmarks and reports). */
double tsr_wall_seconds(void);

#ifdef __cplusplus
}
#endif
#endif
