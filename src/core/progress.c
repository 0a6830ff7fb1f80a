/* A one-line progress bar, drawn only when its stream is a terminal and at
 * most ten times a second, so that piped output stays clean. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/core.h"

struct tsr_progress {
  FILE *stream;
  char label[64];
  uint64_t total;
  double last_draw;
  double start;
  int drawn;
};

tsr_progress *tsr_progress_new(FILE *stream, const char *label, uint64_t total) {
  if (!stream || !isatty(fileno(stream))) return NULL;
  tsr_progress *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->stream = stream;
  snprintf(p->label, sizeof p->label, "%s", label ? label : "");
  p->total = total;
  p->start = tsr_wall_seconds();
  p->last_draw = -1.0;
  return p;
}

static void draw(tsr_progress *p, uint64_t done) {
  enum { width = 30 };
  double frac = p->total ? (double)done / (double)p->total : 1.0;
  if (frac > 1.0) frac = 1.0;
  int filled = (int)(frac * width + 0.5);
  char bar[width + 1];
  memset(bar, '#', (size_t)filled);
  memset(bar + filled, '.', (size_t)(width - filled));
  bar[width] = '\0';
  fprintf(p->stream, "\r%s [%s] %3d%% (%llu/%llu) %.1fs", p->label, bar, (int)(frac * 100.0),
          (unsigned long long)done, (unsigned long long)p->total, tsr_wall_seconds() - p->start);
  fflush(p->stream);
  p->drawn = 1;
}

void tsr_progress_update(tsr_progress *p, uint64_t done) {
  if (!p) return;
  double now = tsr_wall_seconds();
  if (p->last_draw >= 0.0 && now - p->last_draw < 0.1 && done < p->total) return;
  p->last_draw = now;
  draw(p, done);
}

void tsr_progress_free(tsr_progress *p) {
  if (!p) return;
  if (p->drawn) {
    draw(p, p->total);
    fputc('\n', p->stream);
  }
  free(p);
}
