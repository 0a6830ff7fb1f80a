/* A streaming JSON writer: enough for every report Tessera prints, with
 * correct escaping and doubles that read back bit for bit. Hand-written
 * because it is ~150 lines and a tree-building library would add a copy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/core.h"

#define JSON_MAX_DEPTH 64

struct tsr_json {
  FILE *out;
  int indent;
  int depth;
  int count[JSON_MAX_DEPTH]; /* values written at each level */
  int after_key;
};

tsr_json *tsr_json_new(FILE *stream, int indent) {
  tsr_json *j = calloc(1, sizeof *j);
  if (!j) return NULL;
  j->out = stream;
  j->indent = indent;
  return j;
}

void tsr_json_free(tsr_json *j) {
  if (!j) return;
  fputc('\n', j->out);
  free(j);
}

static void newline(tsr_json *j) {
  if (j->indent <= 0) return;
  fputc('\n', j->out);
  for (int i = 0; i < j->depth * j->indent; i++) fputc(' ', j->out);
}

/* Separator and indentation before a value (not after a key). */
static void before_value(tsr_json *j) {
  if (j->after_key) {
    j->after_key = 0;
    return;
  }
  if (j->depth > 0) {
    if (j->count[j->depth]++ > 0) fputc(',', j->out);
    newline(j);
  }
}

static void open_container(tsr_json *j, char c) {
  before_value(j);
  fputc(c, j->out);
  if (j->depth < JSON_MAX_DEPTH - 1) j->depth++;
  j->count[j->depth] = 0;
}

static void close_container(tsr_json *j, char c) {
  int had = j->count[j->depth];
  if (j->depth > 0) j->depth--;
  if (had) newline(j);
  fputc(c, j->out);
}

void tsr_json_object_begin(tsr_json *j) {
  open_container(j, '{');
}
void tsr_json_object_end(tsr_json *j) {
  close_container(j, '}');
}
void tsr_json_array_begin(tsr_json *j) {
  open_container(j, '[');
}
void tsr_json_array_end(tsr_json *j) {
  close_container(j, ']');
}

static void write_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      fputs("\\\"", out);
      break;
    case '\\':
      fputs("\\\\", out);
      break;
    case '\n':
      fputs("\\n", out);
      break;
    case '\r':
      fputs("\\r", out);
      break;
    case '\t':
      fputs("\\t", out);
      break;
    case '\b':
      fputs("\\b", out);
      break;
    case '\f':
      fputs("\\f", out);
      break;
    default:
      if (*p < 0x20)
        fprintf(out, "\\u%04x", *p);
      else
        fputc(*p, out);
    }
  }
  fputc('"', out);
}

void tsr_json_key(tsr_json *j, const char *key) {
  before_value(j);
  write_string(j->out, key);
  fputs(j->indent > 0 ? ": " : ":", j->out);
  j->after_key = 1;
}

void tsr_json_string(tsr_json *j, const char *s) {
  before_value(j);
  if (s)
    write_string(j->out, s);
  else
    fputs("null", j->out);
}

void tsr_json_int(tsr_json *j, int64_t v) {
  before_value(j);
  fprintf(j->out, "%lld", (long long)v);
}

void tsr_json_uint(tsr_json *j, uint64_t v) {
  before_value(j);
  fprintf(j->out, "%llu", (unsigned long long)v);
}

void tsr_json_double(tsr_json *j, double v) {
  before_value(j);
  if (!isfinite(v)) {
    fputs("null", j->out);
    return;
  }
  /* Shortest of %.15g / %.17g that reads back exactly. */
  char buf[40];
  snprintf(buf, sizeof buf, "%.15g", v);
  if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
  fputs(buf, j->out);
}

void tsr_json_bool(tsr_json *j, int v) {
  before_value(j);
  fputs(v ? "true" : "false", j->out);
}

void tsr_json_null(tsr_json *j) {
  before_value(j);
  fputs("null", j->out);
}

void tsr_json_kv_string(tsr_json *j, const char *key, const char *s) {
  tsr_json_key(j, key);
  tsr_json_string(j, s);
}

void tsr_json_kv_int(tsr_json *j, const char *key, int64_t v) {
  tsr_json_key(j, key);
  tsr_json_int(j, v);
}

void tsr_json_kv_double(tsr_json *j, const char *key, double v) {
  tsr_json_key(j, key);
  tsr_json_double(j, v);
}

void tsr_json_kv_bool(tsr_json *j, const char *key, int v) {
  tsr_json_key(j, key);
  tsr_json_bool(j, v);
}
