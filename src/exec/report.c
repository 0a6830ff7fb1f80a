/* Reports of a run: JSON, shot 0's timeline as an SVG picture and as a
 * Chrome trace (Perfetto), and the error budget as an SVG bar chart. The
 * pictures are plain SVG text. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"

/* ------------------------------------------------------------------ JSON */

static void kv_or_null(tsr_json *j, const char *key, int has, double v) {
  tsr_json_key(j, key);
  if (has && isfinite(v))
    tsr_json_double(j, v);
  else
    tsr_json_null(j);
}

static void write_stat(tsr_json *j, const char *key, const tsr_exec_stat *s) {
  tsr_json_key(j, key);
  tsr_json_object_begin(j);
  tsr_json_kv_double(j, "mean", s->mean);
  tsr_json_kv_double(j, "std", s->std);
  tsr_json_kv_double(j, "min", s->min);
  tsr_json_kv_double(j, "p05", s->p05);
  tsr_json_kv_double(j, "median", s->median);
  tsr_json_kv_double(j, "p95", s->p95);
  tsr_json_kv_double(j, "max", s->max);
  tsr_json_object_end(j);
}

static void write_noise(tsr_json *j, uint32_t noise) {
  tsr_json_key(j, "noise");
  tsr_json_array_begin(j);
  for (int m = 0; m < TSR_MODALITY_COUNT; m++) {
    if (!(noise & TSR_EXEC_NOISE_GATE(m))) continue;
    char name[64];
    snprintf(name, sizeof name, "gates:%s", tsr_modality_name((tsr_modality)m));
    tsr_json_string(j, name);
  }
  if (noise & TSR_EXEC_NOISE_IDLE) tsr_json_string(j, "idle");
  if (noise & TSR_EXEC_NOISE_NETWORK) tsr_json_string(j, "network_wait");
  if (noise & TSR_EXEC_NOISE_LINKS) tsr_json_string(j, "links");
  if (noise & TSR_EXEC_NOISE_READOUT) tsr_json_string(j, "readout");
  tsr_json_array_end(j);
}

/* Writes "key": [ {...}, ... ]: one object per item of an array of n items
 * of the given size, its fields written by `fields`. */
static void write_object_array(tsr_json *j, const char *key, const void *items, size_t n,
                               size_t size, void (*fields)(tsr_json *, const void *)) {
  tsr_json_key(j, key);
  tsr_json_array_begin(j);
  for (size_t i = 0; i < n && items; i++) {
    tsr_json_object_begin(j);
    fields(j, (const char *)items + i * size);
    tsr_json_object_end(j);
  }
  tsr_json_array_end(j);
}

static void module_fields(tsr_json *j, const void *item) {
  const tsr_exec_module_stats *ms = item;
  tsr_json_kv_string(j, "name", ms->name);
  tsr_json_kv_string(j, "modality", tsr_modality_name(ms->modality));
  tsr_json_kv_int(j, "qubits_used", ms->qubits_used);
  tsr_json_kv_int(j, "operations", (int64_t)ms->operations);
  tsr_json_kv_double(j, "busy_s", ms->busy_s);
  tsr_json_kv_double(j, "idle_s", ms->idle_s);
  tsr_json_kv_double(j, "network_wait_s", ms->network_wait_s);
}

static void link_fields(tsr_json *j, const void *item) {
  const tsr_exec_link_stats *ls = item;
  tsr_json_kv_string(j, "name", ls->name);
  tsr_json_kv_string(j, "path", ls->path);
  tsr_json_kv_int(j, "hops", ls->hops);
  tsr_json_kv_bool(j, "overridden", ls->overridden);
  tsr_json_kv_int(j, "pairs", (int64_t)ls->pairs);
  tsr_json_kv_double(j, "mean_latency_s", ls->mean_latency_s);
  tsr_json_kv_double(j, "mean_fidelity", ls->mean_fidelity);
  tsr_json_kv_double(j, "busy_s", ls->busy_s);
  tsr_json_kv_double(j, "elementary_per_shot", ls->elementary_per_shot);
  tsr_json_kv_double(j, "discarded_per_shot", ls->discarded_per_shot);
  tsr_json_kv_double(j, "attempts_per_shot", ls->attempts_per_shot);
  tsr_json_kv_double(j, "expected_latency_s", ls->expected_latency_s);
  tsr_json_kv_double(j, "expected_fidelity", ls->expected_fidelity);
}

static void budget_fields(tsr_json *j, const void *item) {
  const tsr_exec_budget_entry *e = item;
  tsr_json_kv_string(j, "source", e->source);
  tsr_json_kv_double(j, "estimate", e->estimate);
  tsr_json_kv_double(j, "events", e->events);
  tsr_json_kv_double(j, "ablation_hellinger", e->ablation_hellinger);
  tsr_json_kv_double(j, "ablation_gain", e->ablation_gain);
}

static void comparison_fields(tsr_json *j, const void *item) {
  const tsr_exec_comparison *e = item;
  const tsr_exec_result *cr = e->result;
  tsr_json_kv_string(j, "module", e->module);
  tsr_json_kv_string(j, "modality", tsr_modality_name(e->modality));
  tsr_json_kv_string(j, "machine", e->machine);
  tsr_json_kv_bool(j, "ran", cr != NULL);
  tsr_json_kv_string(j, "note", e->note);
  kv_or_null(j, "hellinger_fidelity", cr && cr->has_hellinger, cr ? cr->hellinger_fidelity : NAN);
  kv_or_null(j, "state_fidelity", cr && cr->has_state_fidelity, cr ? cr->state_fidelity : NAN);
  kv_or_null(j, "estimated_success", cr != NULL, cr ? cr->estimated_success : NAN);
  kv_or_null(j, "makespan_s", cr != NULL, cr ? cr->makespan.mean : NAN);
  if (cr) {
    tsr_json_kv_string(j, "backend", tsr_backend_name(cr->backend));
    tsr_json_kv_int(j, "sim_qubits", cr->sim_qubits);
  }
}

void tsr_exec_result_write_json(const tsr_exec_result *r, const tsr_exec_comparison *cmp,
                                size_t ncmp, tsr_json *j) {
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "machine", r->machine);
  tsr_json_kv_string(j, "backend", tsr_backend_name(r->backend));
  tsr_json_kv_bool(j, "relaxation_twirled", r->relaxation_twirled);
  tsr_json_kv_int(j, "shots", (int64_t)r->shots);
  tsr_json_key(j, "seed");
  tsr_json_uint(j, r->seed);
  write_noise(j, r->noise);
  tsr_json_kv_int(j, "program_qubits", r->program_qubits);
  tsr_json_kv_int(j, "sim_qubits", r->sim_qubits);
  tsr_json_kv_int(j, "bits", r->nbits);
  tsr_json_kv_bool(j, "measured_all", r->measured_all);
  kv_or_null(j, "hellinger_fidelity", r->has_hellinger, r->hellinger_fidelity);
  tsr_json_kv_string(j, "hellinger_note", r->hellinger_note);
  kv_or_null(j, "state_fidelity", r->has_state_fidelity, r->state_fidelity);
  tsr_json_kv_string(j, "state_note", r->state_note);
  tsr_json_kv_double(j, "estimated_success", r->estimated_success);
  tsr_json_kv_int(j, "ebits", (int64_t)r->ebits);
  tsr_json_key(j, "epr");
  tsr_json_object_begin(j);
  tsr_json_kv_int(j, "used", (int64_t)r->ebits);
  tsr_json_kv_double(j, "elementary", r->elementary_pairs);
  tsr_json_kv_double(j, "discarded", r->discarded_pairs);
  tsr_json_kv_int(j, "messages", (int64_t)r->messages);
  tsr_json_object_end(j);
  tsr_json_kv_double(j, "makespan_s", r->makespan.mean);
  write_stat(j, "makespan", &r->makespan);
  tsr_json_kv_double(j, "scheduled_makespan_s", r->scheduled_makespan_s);
  write_object_array(j, "modules", r->modules, r->nmodules, sizeof *r->modules, module_fields);
  write_object_array(j, "links", r->links, r->nlinks, sizeof *r->links, link_fields);
  write_object_array(j, "error_budget", r->budget, r->nbudget, sizeof *r->budget, budget_fields);
  tsr_json_key(j, "counts");
  tsr_counts_write_json(j, r->counts, r->ncounts);
  write_object_array(j, "monolithic", cmp, ncmp, sizeof *cmp, comparison_fields);
  tsr_json_kv_double(j, "wall_s", r->wall_s);
  tsr_json_kv_double(j, "shots_per_s", r->wall_s > 0 ? (double)r->shots / r->wall_s : NAN);
  tsr_json_object_end(j);
}

/* ------------------------------------------------------------- pictures */

static const char *const KIND_COLOUR[TSR_EXEC_EV_COUNT] = {"#4e79a7", "#f28e2b", "#59a14f",
                                                           "#e15759", "#bab0ac"};
static const char *const KIND_NAME[TSR_EXEC_EV_COUNT] = {"gate", "measure/reset", "EPR pair",
                                                         "message", "waiting for network"};

/* Writes a time with a unit that suits it. */
static void fmt_time(char *buf, size_t size, double s) {
  tsr_format_seconds(s, 3, buf, size);
}

static double nice_step(double span) {
  if (!(span > 0)) return 1;
  double raw = span / 6, p = pow(10, floor(log10(raw)));
  double f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static tsr_status io_check(FILE *out, tsr_error *err) {
  if (ferror(out)) return tsr_error_set(err, TSR_ERR_IO, "writing the report failed");
  return TSR_OK;
}

/* Opens an SVG picture of the given size on a white background. */
static void svg_begin(FILE *out, double width, double height) {
  fprintf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
          width, height, width, height);
  fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
}

tsr_status tsr_exec_write_timeline_svg(const tsr_exec_result *r, FILE *out, tsr_error *err) {
  const double left = 170, right = 30, top = 64, lane_h = 30, width = 1200;
  double T = 0;
  /* Rows: every module, and the links that carried something. */
  size_t *row = calloc(r->nlanes + 1, sizeof *row), nrows = 0;
  if (!row) return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  for (size_t l = 0; l < r->nlanes; l++) row[l] = l < r->nmodule_lanes ? 1 : 0;
  for (size_t i = 0; i < r->ntimeline; i++) {
    double e = r->timeline[i].start_s + r->timeline[i].duration_s;
    if (e > T) T = e;
    if (r->timeline[i].lane < r->nlanes) row[r->timeline[i].lane] = 1;
  }
  for (size_t l = 0; l < r->nlanes; l++) row[l] = row[l] ? nrows++ : SIZE_MAX;
  if (!(T > 0)) T = 1e-9;
  double plot_w = width - left - right, height = top + lane_h * (double)nrows + 50;
  svg_begin(out, width, height);
  char tbuf[32];
  fmt_time(tbuf, sizeof tbuf, T);
  fprintf(out, "<text x=\"%.0f\" y=\"20\" font-size=\"15\" font-weight=\"bold\">", left);
  tsr_write_xml_escaped(out, r->machine);
  fprintf(out, ": timeline of shot 0 (makespan %s)</text>\n", tbuf);
  /* legend */
  double lx = left;
  for (int k = 0; k < TSR_EXEC_EV_COUNT; k++) {
    fprintf(out,
            "<rect x=\"%.1f\" y=\"32\" width=\"12\" height=\"12\" fill=\"%s\"%s/>"
            "<text x=\"%.1f\" y=\"43\">%s</text>\n",
            lx, KIND_COLOUR[k], k == TSR_EXEC_EV_WAIT ? " fill-opacity=\"0.6\"" : "", lx + 16,
            KIND_NAME[k]);
    lx += 30 + 7.0 * (double)strlen(KIND_NAME[k]);
  }
  /* lanes */
  for (size_t l = 0; l < r->nlanes; l++) {
    if (row[l] == SIZE_MAX) continue;
    double y = top + lane_h * (double)row[l];
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
            left, y, plot_w, lane_h, row[l] % 2 ? "#ffffff" : "#f4f4f4", left - 8,
            y + lane_h / 2 + 4);
    tsr_write_xml_escaped(out, r->lanes[l]);
    fprintf(out, "%s</text>\n", l < r->nmodule_lanes ? "" : " (link)");
  }
  /* time axis */
  double step = nice_step(T), ybase = top + lane_h * (double)nrows;
  for (double t = 0; t <= T * 1.0000001; t += step) {
    double x = left + t / T * plot_w;
    fmt_time(tbuf, sizeof tbuf, t);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#cccccc\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
            x, top, x, ybase + 4, x, ybase + 18, tbuf);
  }
  /* events: waits first, underneath */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < r->ntimeline; i++) {
      const tsr_exec_event *ev = &r->timeline[i];
      if ((ev->kind == TSR_EXEC_EV_WAIT) != (pass == 0) || ev->lane >= r->nlanes) continue;
      double x = left + ev->start_s / T * plot_w, w = ev->duration_s / T * plot_w;
      if (w < 0.6) w = 0.6;
      double pad = ev->kind == TSR_EXEC_EV_WAIT ? 3 : 6;
      double y = top + lane_h * (double)row[ev->lane] + pad, h = lane_h - 2 * pad;
      char a[32], b[32];
      fmt_time(a, sizeof a, ev->start_s);
      fmt_time(b, sizeof b, ev->duration_s);
      fprintf(out,
              "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"%s>"
              "<title>",
              x, y, w, h, KIND_COLOUR[ev->kind],
              ev->kind == TSR_EXEC_EV_WAIT ? " fill-opacity=\"0.6\"" : "");
      tsr_write_xml_escaped(out, ev->name);
      fprintf(out, " at %s for %s</title></rect>\n", a, b);
    }
  }
  fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\">time</text>\n",
          left + plot_w / 2, ybase + 36);
  fprintf(out, "</svg>\n");
  free(row);
  return io_check(out, err);
}

/* A trace metadata event naming a process (tid < 0) or a thread. */
static void trace_name(tsr_json *j, const char *what, int64_t pid, int64_t tid, const char *name) {
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "name", what);
  tsr_json_kv_string(j, "ph", "M");
  tsr_json_kv_int(j, "pid", pid);
  if (tid >= 0) tsr_json_kv_int(j, "tid", tid);
  tsr_json_key(j, "args");
  tsr_json_object_begin(j);
  tsr_json_kv_string(j, "name", name);
  tsr_json_object_end(j);
  tsr_json_object_end(j);
}

tsr_status tsr_exec_write_trace_json(const tsr_exec_result *r, FILE *out, tsr_error *err) {
  tsr_json *j = tsr_json_new(out, 0);
  if (!j) return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  tsr_json_object_begin(j);
  tsr_json_key(j, "traceEvents");
  tsr_json_array_begin(j);
  static const char *const procs[2] = {"modules", "links"};
  for (int p = 0; p < 2; p++) trace_name(j, "process_name", p + 1, -1, procs[p]);
  for (size_t l = 0; l < r->nlanes; l++)
    trace_name(j, "thread_name", l < r->nmodule_lanes ? 1 : 2, (int64_t)l, r->lanes[l]);
  static const char *const cats[TSR_EXEC_EV_COUNT] = {"gate", "measure", "epr", "message", "wait"};
  for (size_t i = 0; i < r->ntimeline; i++) {
    const tsr_exec_event *ev = &r->timeline[i];
    tsr_json_object_begin(j);
    tsr_json_kv_string(j, "name", ev->name);
    tsr_json_kv_string(j, "cat", cats[ev->kind]);
    tsr_json_kv_string(j, "ph", "X");
    tsr_json_kv_double(j, "ts", ev->start_s * 1e6);
    tsr_json_kv_double(j, "dur", ev->duration_s * 1e6);
    tsr_json_kv_int(j, "pid", ev->lane < r->nmodule_lanes ? 1 : 2);
    tsr_json_kv_int(j, "tid", ev->lane);
    tsr_json_key(j, "args");
    tsr_json_object_begin(j);
    tsr_json_kv_int(j, "op", ev->op);
    tsr_json_object_end(j);
    tsr_json_object_end(j);
  }
  tsr_json_array_end(j);
  tsr_json_kv_string(j, "displayTimeUnit", "ns");
  tsr_json_object_end(j);
  tsr_json_free(j);
  return io_check(out, err);
}

tsr_status tsr_exec_write_budget_svg(const tsr_exec_result *r, FILE *out, tsr_error *err) {
  const double left = 190, right = 170, top = 60, bar_h = 26, width = 900;
  int ablation = 0;
  double vmax = 0;
  for (size_t b = 0; b < r->nbudget; b++) {
    if (r->budget[b].estimate > vmax) vmax = r->budget[b].estimate;
    if (isfinite(r->budget[b].ablation_gain)) {
      ablation = 1;
      if (r->budget[b].ablation_gain > vmax) vmax = r->budget[b].ablation_gain;
    }
  }
  if (!(vmax > 0)) vmax = 1e-6;
  double row_h = bar_h * (ablation ? 2 : 1) + 10;
  double plot_w = width - left - right, height = top + row_h * (double)r->nbudget + 40;
  svg_begin(out, width, height);
  fprintf(out, "<text x=\"20\" y=\"22\" font-size=\"15\" font-weight=\"bold\">");
  tsr_write_xml_escaped(out, r->machine);
  fprintf(out,
          ": error budget (%llu shots)</text>\n<text x=\"20\" y=\"42\" fill=\"#555555\">"
          "estimated infidelity per source: mean over shots of 1 - prod(1 - e)%s</text>\n",
          (unsigned long long)r->shots,
          ablation ? "; Hellinger gain with the source switched off" : "");
  for (size_t b = 0; b < r->nbudget; b++) {
    const tsr_exec_budget_entry *e = &r->budget[b];
    double y = top + row_h * (double)b;
    fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", left - 10, y + bar_h / 2 + 4);
    tsr_write_xml_escaped(out, e->source);
    fprintf(out, "</text>\n");
    double w = e->estimate / vmax * plot_w;
    fprintf(out,
            "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"#4e79a7\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">%.3g</text>\n",
            left, y + 3, w > 0.5 ? w : 0.5, bar_h - 6, left + w + 6, y + bar_h / 2 + 4,
            e->estimate);
    if (ablation) {
      double g = isfinite(e->ablation_gain) ? e->ablation_gain : 0;
      double gw = g > 0 ? g / vmax * plot_w : 0;
      fprintf(out,
              "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"#f28e2b\"/>"
              "<text x=\"%.1f\" y=\"%.1f\" fill=\"#a05a10\">gain %.3g</text>\n",
              left, y + bar_h + 1, gw > 0.5 ? gw : 0.5, bar_h - 8, left + gw + 6,
              y + bar_h + bar_h / 2 + 2, g);
    }
  }
  fprintf(out, "</svg>\n");
  return io_check(out, err);
}
