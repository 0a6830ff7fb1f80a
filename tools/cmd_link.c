/* `tessera link [MACHINE] [LINK] [--json] [--sweep PARAM=START:STOP:STEPS]
 * [--plot OUT.svg]`: the link model of every link of a machine (probability
 * per attempt, attempt period, rate, latency, heralded state and fidelity),
 * or one link in detail, or a sweep of one parameter as a table, JSON and an
 * SVG chart. */
#include <complex.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "netcli.h"
#include "tessera/link.h"
#include "tessera/net.h"

static void usage(FILE *out) {
  fprintf(out,
          "Usage: tessera link [MACHINE] [LINK] [--json] [--density-matrix] [-o FILE]\n"
          "       tessera link [MACHINE] [LINK] --sweep PARAM=START:STOP:STEPS [--log]\n"
          "                    [--plot OUT.svg] [--json]\n\n"
          "Evaluates the photonic links of a machine (docs/link-physics.md): per link the\n"
          "success probability per attempt, the attempt period (emission + photon flight to\n"
          "the station + herald back), the rate, the latency distribution (geometric number of\n"
          "attempts: mean, median, 90th and 99th percentiles) and the heralded Bell-diagonal\n"
          "state and fidelity after the memories' wait for the herald. MACHINE is a machine\n"
          "file (docs/machine-file.md; '-' reads standard input); without it, the built-in\n"
          "default machine. LINK is a link's index (0-based, as listed) or its two ends as\n"
          "A--B; with a LINK the output gives every term of the model.\n\n"
          "Options:\n"
          "  -j, --json             JSON: {machine, links: [{index, name, between, protocol,\n"
          "                         length_m, success_probability, attempt_period_s, rate_hz,\n"
          "                         fidelity, mean_latency_s, latency_s {p50, p90, p99},\n"
          "                         state, detail}]}; with --sweep {machine, link, param,\n"
          "                         unit, points: [{value, success_probability,\n"
          "                         attempt_period_s, rate_hz, fidelity, mean_latency_s}]}\n"
          "      --density-matrix   also give the heralded pair's 4x4 density matrix\n"
          "  -s, --sweep P=A:B:N    evaluate the link at N values of parameter P from A to B\n"
          "                         (units allowed: length=1km:100km:25); P is one of\n"
          "                         length (total fibre; a given attempt period grows to the\n"
          "                         light time when needed), attenuation, visibility,\n"
          "                         detector_efficiency, dark_count_rate, window,\n"
          "                         multiplexing, attempt_period, bright_state_weight,\n"
          "                         collection, emission_probability, conversion (every\n"
          "                         stage's efficiency), noise_photons, t1, t2 (both\n"
          "                         memories), phase_noise (rad), duty_cycle\n"
          "      --log              space the sweep's values logarithmically\n"
          "  -p, --plot OUT.svg     with --sweep: write an SVG chart of rate and fidelity\n"
          "  -o, --output FILE      write the table or JSON to FILE\n"
          "  -h, --help             show this help\n\n"
          "Examples:\n"
          "  tessera link examples/machines/oxford-2020.yaml\n"
          "  tessera link ion-a--hub --json\n"
          "  tessera link examples/machines/lmu-2022.yaml --sweep length=1km:100km:34 "
          "--plot l3.svg\n\n"
          "Exit status: 0 success, 2 bad machine, link or option.\n");
}

/* ---------------------------------------------------------------- sweeps */

typedef struct sweep_param {
  const char *name;
  netcli_kind kind;
  const char *label; /* axis label */
} sweep_param;

static const sweep_param params[] = {
    {"length", NETCLI_LENGTH, "fibre length"},
    {"attenuation", NETCLI_ATTENUATION, "fibre attenuation (dB/km)"},
    {"visibility", NETCLI_FRACTION, "HOM visibility"},
    {"detector_efficiency", NETCLI_FRACTION, "detector efficiency"},
    {"dark_count_rate", NETCLI_RATE, "dark count rate (Hz)"},
    {"window", NETCLI_TIME, "detection window"},
    {"multiplexing", NETCLI_COUNT, "modes per attempt"},
    {"attempt_period", NETCLI_TIME, "attempt period"},
    {"bright_state_weight", NETCLI_FRACTION, "bright-state weight alpha"},
    {"collection", NETCLI_FRACTION, "collection efficiency"},
    {"emission_probability", NETCLI_FRACTION, "emission probability"},
    {"conversion", NETCLI_FRACTION, "conversion efficiency per stage"},
    {"noise_photons", NETCLI_PLAIN, "noise photons per stage and attempt"},
    {"t1", NETCLI_TIME, "memory T1"},
    {"t2", NETCLI_TIME, "memory T2"},
    {"phase_noise", NETCLI_PLAIN, "optical phase noise (rad)"},
    {"duty_cycle", NETCLI_FRACTION, "duty cycle"},
};
enum { N_PARAMS = sizeof params / sizeof params[0] };

typedef struct sweep {
  const sweep_param *param;
  double start, stop;
  unsigned long steps;
} sweep;

static int parse_sweep(const char *spec, sweep *sw, tsr_error *err) {
  const char *eq = strchr(spec, '=');
  if (!eq) {
    tsr_error_set(err, TSR_ERR_VALUE, "--sweep '%s': expected PARAM=START:STOP:STEPS", spec);
    return -1;
  }
  size_t nlen = (size_t)(eq - spec);
  sw->param = NULL;
  for (size_t i = 0; i < N_PARAMS; i++)
    if (strlen(params[i].name) == nlen && strncmp(params[i].name, spec, nlen) == 0)
      sw->param = &params[i];
  if (!sw->param) {
    char list[512] = "";
    for (size_t i = 0; i < N_PARAMS; i++) {
      strncat(list, params[i].name, sizeof list - strlen(list) - 1);
      if (i + 1 < N_PARAMS) strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    tsr_error_set(err, TSR_ERR_VALUE, "--sweep: unknown parameter '%.*s' (one of %s)", (int)nlen,
                  spec, list);
    return -1;
  }
  char buf[256];
  snprintf(buf, sizeof buf, "%s", eq + 1);
  char *c1 = strchr(buf, ':');
  char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c1 || !c2 || strchr(c2 + 1, ':')) {
    tsr_error_set(err, TSR_ERR_VALUE, "--sweep '%s': expected PARAM=START:STOP:STEPS", spec);
    return -1;
  }
  *c1 = *c2 = '\0';
  double steps;
  if (netcli_parse_quantity(buf, sw->param->kind, &sw->start) ||
      netcli_parse_quantity(c1 + 1, sw->param->kind, &sw->stop)) {
    tsr_error_set(err, TSR_ERR_VALUE, "--sweep '%s': START and STOP must be numbers%s%s", spec,
                  *netcli_unit(sw->param->kind) ? " with units of " : "",
                  netcli_unit(sw->param->kind));
    return -1;
  }
  if (netcli_parse_quantity(c2 + 1, NETCLI_COUNT, &steps) || steps < 2 || steps > 100000) {
    tsr_error_set(err, TSR_ERR_VALUE, "--sweep '%s': STEPS must be a whole number in [2, 100000]",
                  spec);
    return -1;
  }
  sw->steps = (unsigned long)steps;
  return 0;
}

/* Sets one parameter of lp; `base` is the link as the machine gives it. */
static tsr_status apply_param(const sweep_param *p, double v, const tsr_link_physics *base,
                              tsr_link_physics *lp, tsr_error *err) {
  *lp = *base;
  const char *n = p->name;
  if (strcmp(n, "length") == 0) {
    if (!(v >= 0)) return tsr_error_set(err, TSR_ERR_VALUE, "length %g m must be >= 0", v);
    double l0 = base->node[0].fibre_length_m + base->node[1].fibre_length_m;
    for (int i = 0; i < 2; i++)
      lp->node[i].fibre_length_m = l0 > 0 ? base->node[i].fibre_length_m * v / l0 : v / 2;
    if (base->attempt_period_s > 0) { /* a given period cannot beat the light */
      double tau = fmax(tsr_link_fibre_delay(lp->node[0].fibre_length_m, lp->group_index),
                        tsr_link_fibre_delay(lp->node[1].fibre_length_m, lp->group_index));
      double prep = fmax(lp->node[0].prep_time_s, lp->node[1].prep_time_s);
      double light = lp->protocol == TSR_PROTOCOL_REFLECTION
                         ? prep +
                               2 * (tsr_link_fibre_delay(lp->node[0].fibre_length_m, 0) +
                                    tsr_link_fibre_delay(lp->node[1].fibre_length_m, 0)) +
                               tau
                         : prep + 2 * tau;
      lp->attempt_period_s = fmax(base->attempt_period_s, light);
    }
  } else if (strcmp(n, "attenuation") == 0) {
    for (int i = 0; i < 2; i++) lp->node[i].attenuation_db_per_km = v;
  } else if (strcmp(n, "visibility") == 0) {
    lp->hom_visibility = v;
  } else if (strcmp(n, "detector_efficiency") == 0) {
    for (int i = 0; i < 2; i++) lp->node[i].eta_det = v;
  } else if (strcmp(n, "dark_count_rate") == 0) {
    lp->dark_count_rate_hz = v;
  } else if (strcmp(n, "window") == 0) {
    lp->detection_window_s = v;
  } else if (strcmp(n, "multiplexing") == 0) {
    if (!(v >= 1 && v <= 1e9))
      return tsr_error_set(err, TSR_ERR_VALUE, "multiplexing %g must be in [1, 10^9]", v);
    lp->multiplexing = (uint32_t)v;
  } else if (strcmp(n, "attempt_period") == 0) {
    if (!(v > 0)) return tsr_error_set(err, TSR_ERR_VALUE, "attempt period %g s must be > 0", v);
    lp->attempt_period_s = v;
  } else if (strcmp(n, "bright_state_weight") == 0) {
    if (lp->protocol != TSR_PROTOCOL_SINGLE_CLICK)
      return tsr_error_set(err, TSR_ERR_VALUE,
                           "bright_state_weight applies to single-click links only");
    for (int i = 0; i < 2; i++) lp->node[i].bright_alpha = v;
  } else if (strcmp(n, "collection") == 0) {
    for (int i = 0; i < 2; i++) lp->node[i].eta_collect = v;
  } else if (strcmp(n, "emission_probability") == 0) {
    for (int i = 0; i < 2; i++) lp->node[i].p_emit = v;
  } else if (strcmp(n, "conversion") == 0 || strcmp(n, "noise_photons") == 0) {
    int conv = n[0] == 'c', any = 0;
    for (int i = 0; i < 2; i++)
      for (uint32_t k = 0; k < lp->node[i].n_conversion && k < TSR_LINK_MAX_CONVERSIONS; k++) {
        if (conv)
          lp->node[i].eta_conversion[k] = v;
        else
          lp->node[i].conversion_noise[k] = v;
        any = 1;
      }
    if (!any) return tsr_error_set(err, TSR_ERR_VALUE, "%s: the link has no conversion stage", n);
  } else if (strcmp(n, "t1") == 0 || strcmp(n, "t2") == 0) {
    for (int i = 0; i < 2; i++) {
      if (n[1] == '1')
        lp->node[i].memory.t1_s = v;
      else
        lp->node[i].memory.t2_s = v;
    }
  } else if (strcmp(n, "phase_noise") == 0) {
    lp->phase_noise_rad = v;
  } else if (strcmp(n, "duty_cycle") == 0) {
    lp->duty_cycle = v;
  }
  return TSR_OK;
}

/* ---------------------------------------------------------------- output */

static void json_state(tsr_json *j, const char *key, const tsr_bell *b) {
  tsr_json_key(j, key);
  tsr_json_object_begin(j);
  tsr_json_kv_double(j, "phi_plus", b->p[TSR_BELL_PHI_PLUS]);
  tsr_json_kv_double(j, "psi_plus", b->p[TSR_BELL_PSI_PLUS]);
  tsr_json_kv_double(j, "psi_minus", b->p[TSR_BELL_PSI_MINUS]);
  tsr_json_kv_double(j, "phi_minus", b->p[TSR_BELL_PHI_MINUS]);
  tsr_json_object_end(j);
}

static void json_density_matrix(tsr_json *j, const tsr_bell *b) {
  tsr_pair_dm rho;
  tsr_bell_to_dm(b, &rho);
  tsr_json_key(j, "density_matrix");
  tsr_json_object_begin(j);
  for (int part = 0; part < 2; part++) {
    tsr_json_key(j, part == 0 ? "real" : "imag");
    tsr_json_array_begin(j);
    for (int r = 0; r < 4; r++) {
      tsr_json_array_begin(j);
      for (int c = 0; c < 4; c++)
        tsr_json_double(j, part == 0 ? creal(rho.m[r][c]) : cimag(rho.m[r][c]));
      tsr_json_array_end(j);
    }
    tsr_json_array_end(j);
  }
  tsr_json_object_end(j);
}

static void json_link(tsr_json *j, const tsr_arch *a, size_t i, const tsr_link_performance *p,
                      int dm) {
  const tsr_link *l = &a->links[i];
  char name[2 * TSR_ARCH_NAME_MAX + 4];
  tsr_json_object_begin(j);
  tsr_json_kv_int(j, "index", (int64_t)i);
  tsr_json_kv_string(j, "name", tsr_net_link_name(a, i, name, sizeof name));
  tsr_json_key(j, "between");
  tsr_json_array_begin(j);
  tsr_json_string(j, a->modules[l->ends[0].module].name);
  tsr_json_string(j, a->modules[l->ends[1].module].name);
  tsr_json_array_end(j);
  tsr_json_kv_string(j, "protocol", tsr_link_protocol_name(l->protocol));
  tsr_json_kv_double(j, "length_m", l->length_m);
  tsr_json_kv_double(j, "success_probability", p->p_attempt);
  tsr_json_kv_double(j, "attempt_period_s", p->attempt_period_s);
  tsr_json_kv_double(j, "rate_hz", p->rate_hz);
  tsr_json_kv_double(j, "fidelity", p->fidelity);
  tsr_json_kv_double(j, "mean_latency_s", p->mean_latency_s);
  tsr_json_key(j, "latency_s");
  tsr_json_object_begin(j);
  tsr_json_kv_double(j, "mean", p->mean_latency_s);
  tsr_json_kv_double(j, "p50", tsr_link_latency_quantile(p, 0.5));
  tsr_json_kv_double(j, "p90", tsr_link_latency_quantile(p, 0.9));
  tsr_json_kv_double(j, "p99", tsr_link_latency_quantile(p, 0.99));
  tsr_json_object_end(j);
  json_state(j, "state", &p->state);
  if (dm) json_density_matrix(j, &p->state);
  tsr_json_key(j, "detail");
  tsr_link_performance_write_json(p, j);
  tsr_json_object_end(j);
}

static void print_table(FILE *out, const tsr_arch *a, const tsr_link_performance *perf) {
  fprintf(out, "machine %s (%s): %zu link%s\n", a->name[0] ? a->name : "(unnamed)", a->source,
          a->n_links, a->n_links == 1 ? "" : "s");
  if (a->n_links == 0) return;
  fprintf(out, "  %-3s %-28s %-12s %-9s %-10s %-9s %-10s %-10s %-10s %s\n", "#", "link", "protocol",
          "length", "p/attempt", "period", "rate", "latency", "p90", "fidelity");
  for (size_t i = 0; i < a->n_links; i++) {
    const tsr_link_performance *p = &perf[i];
    char name[2 * TSR_ARCH_NAME_MAX + 4], len[32], per[32], rate[32], lat[32], p90[32];
    fprintf(out, "  %-3zu %-28s %-12s %-9s %-10.3g %-9s %-10s %-10s %-10s %.4f\n", i,
            tsr_net_link_name(a, i, name, sizeof name),
            tsr_link_protocol_name(a->links[i].protocol),
            netcli_fmt_length(a->links[i].length_m, len, sizeof len), p->p_attempt,
            netcli_fmt_time(p->attempt_period_s, per, sizeof per),
            netcli_fmt_rate(p->rate_hz, rate, sizeof rate),
            netcli_fmt_time(p->mean_latency_s, lat, sizeof lat),
            netcli_fmt_time(tsr_link_latency_quantile(p, 0.9), p90, sizeof p90), p->fidelity);
  }
}

static void print_detail(FILE *out, const tsr_arch *a, size_t i, const tsr_link_performance *p,
                         int dm) {
  const tsr_link *l = &a->links[i];
  char name[2 * TSR_ARCH_NAME_MAX + 4], b1[32], b2[32], b3[32];
  fprintf(out, "link %zu: %s (%s, %s of fibre) in machine %s\n", i,
          tsr_net_link_name(a, i, name, sizeof name), tsr_link_protocol_name(l->protocol),
          netcli_fmt_length(l->length_m, b1, sizeof b1), a->name);
  for (int e = 0; e < 2; e++)
    fprintf(out,
            "  end %-12s efficiency %.4g (fibre transmission %.4g over %s, delay %s, holds its "
            "half %s before the herald)\n",
            a->modules[l->ends[e].module].name, p->eta[e], p->transmission[e],
            netcli_fmt_length(l->ends[e].arm_length_m, b1, sizeof b1),
            netcli_fmt_time(p->delay_s[e], b2, sizeof b2),
            netcli_fmt_time(p->herald_wait_s[e], b3, sizeof b3));
  fprintf(out, "  false click per detector and attempt  %.3g\n", p->p_false_click);
  fprintf(out, "  herald per mode: true %.4g, false %.3g; per attempt (%u mode%s) %.4g\n",
          p->p_true, p->p_false, (unsigned)l->multiplexing, l->multiplexing == 1 ? "" : "s",
          p->p_attempt);
  fprintf(out, "  attempt period %s (%s attempts), duty cycle %.3g\n",
          netcli_fmt_time(p->attempt_period_s, b1, sizeof b1),
          netcli_fmt_rate(p->attempt_rate_hz, b2, sizeof b2), p->duty_cycle);
  fprintf(out, "  rate %s\n", netcli_fmt_rate(p->rate_hz, b1, sizeof b1));
  fprintf(out, "  latency mean %s", netcli_fmt_time(p->mean_latency_s, b1, sizeof b1));
  fprintf(out, ", median %s", netcli_fmt_time(tsr_link_latency_quantile(p, 0.5), b1, sizeof b1));
  fprintf(out, ", p90 %s", netcli_fmt_time(tsr_link_latency_quantile(p, 0.9), b1, sizeof b1));
  fprintf(out, ", p99 %s\n", netcli_fmt_time(tsr_link_latency_quantile(p, 0.99), b1, sizeof b1));
  fprintf(out, "  heralded state  Phi+ %.5f  Psi+ %.5f  Psi- %.5f  Phi- %.5f\n", p->state.p[0],
          p->state.p[1], p->state.p[2], p->state.p[3]);
  fprintf(out, "  fidelity %.5f\n", p->fidelity);
  if (dm) {
    tsr_pair_dm rho;
    tsr_bell_to_dm(&p->state, &rho);
    fprintf(out, "  density matrix (basis 00, 01, 10, 11; real, the state is Bell-diagonal)\n");
    for (int r = 0; r < 4; r++)
      fprintf(out, "    % .5f % .5f % .5f % .5f\n", creal(rho.m[r][0]), creal(rho.m[r][1]),
              creal(rho.m[r][2]), creal(rho.m[r][3]));
  }
}

static int run_sweep(FILE *out, const tsr_arch *a, size_t li, const sweep *sw, int logspace,
                     int json, const char *plot, tsr_error *err) {
  tsr_link_physics base;
  if (tsr_link_physics_from_arch(a, li, &base, err) != TSR_OK) return tsr_cli_fail(err);
  size_t n = sw->steps;
  if (logspace && !(sw->start > 0 && sw->stop > 0)) {
    tsr_error_set(err, TSR_ERR_VALUE, "--log needs START and STOP above 0");
    return tsr_cli_fail(err);
  }
  double *x = calloc(n, sizeof *x), *rate = calloc(n, sizeof *rate), *fid = calloc(n, sizeof *fid),
         *xp = calloc(n, sizeof *xp);
  tsr_link_performance *perf = calloc(n, sizeof *perf);
  if (!x || !rate || !fid || !xp || !perf) {
    free(x), free(rate), free(fid), free(xp), free(perf);
    tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
    return tsr_cli_fail(err);
  }
  int rc = TSR_EXIT_OK;
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / (double)(n - 1);
    x[i] = logspace ? sw->start * pow(sw->stop / sw->start, t)
                    : sw->start + (sw->stop - sw->start) * t;
    if (sw->param->kind == NETCLI_COUNT) x[i] = round(x[i]);
    tsr_link_physics lp;
    tsr_status st = apply_param(sw->param, x[i], &base, &lp, err);
    if (st == TSR_OK) st = tsr_link_evaluate(&lp, &perf[i], err);
    if (st) {
      tsr_error_prefix(err, "--sweep %s = %g", sw->param->name, x[i]);
      rc = tsr_cli_fail(err);
      goto done;
    }
    rate[i] = perf[i].rate_hz;
    fid[i] = perf[i].fidelity;
  }
  /* Display units: km for lengths, ms/us for times. */
  double scale = 1.0;
  const char *unit = netcli_unit(sw->param->kind);
  double top = fmax(fabs(sw->start), fabs(sw->stop));
  if (sw->param->kind == NETCLI_LENGTH && top >= 1000) {
    scale = 1e-3;
    unit = "km";
  } else if (sw->param->kind == NETCLI_TIME && top < 1e-3) {
    scale = 1e6;
    unit = "us";
  } else if (sw->param->kind == NETCLI_TIME && top < 1) {
    scale = 1e3;
    unit = "ms";
  }
  for (size_t i = 0; i < n; i++) xp[i] = x[i] * scale;
  char name[2 * TSR_ARCH_NAME_MAX + 4];
  tsr_net_link_name(a, li, name, sizeof name);
  if (json) {
    tsr_json *j = tsr_json_new(out, 2);
    if (!j) {
      tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
      rc = tsr_cli_fail(err);
      goto done;
    }
    tsr_json_object_begin(j);
    tsr_json_kv_string(j, "machine", a->name);
    tsr_json_kv_string(j, "link", name);
    tsr_json_kv_string(j, "param", sw->param->name);
    tsr_json_kv_string(j, "unit", netcli_unit(sw->param->kind));
    tsr_json_key(j, "points");
    tsr_json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
      tsr_json_object_begin(j);
      tsr_json_kv_double(j, "value", x[i]);
      tsr_json_kv_double(j, "success_probability", perf[i].p_attempt);
      tsr_json_kv_double(j, "attempt_period_s", perf[i].attempt_period_s);
      tsr_json_kv_double(j, "rate_hz", perf[i].rate_hz);
      tsr_json_kv_double(j, "fidelity", perf[i].fidelity);
      tsr_json_kv_double(j, "mean_latency_s", perf[i].mean_latency_s);
      tsr_json_object_end(j);
    }
    tsr_json_array_end(j);
    tsr_json_object_end(j);
    tsr_json_free(j);
  } else {
    fprintf(out, "link %s of machine %s: sweep of %s\n", name, a->name, sw->param->name);
    char head[64];
    snprintf(head, sizeof head, "%s%s%s%s", sw->param->name, *unit ? " (" : "", unit,
             *unit ? ")" : "");
    fprintf(out, "  %-22s %-11s %-10s %-11s %-10s %s\n", head, "p/attempt", "period", "rate",
            "latency", "fidelity");
    for (size_t i = 0; i < n; i++) {
      char per[32], r[32], lat[32];
      fprintf(out, "  %-22.6g %-11.4g %-10s %-11s %-10s %.5f\n", xp[i], perf[i].p_attempt,
              netcli_fmt_time(perf[i].attempt_period_s, per, sizeof per),
              netcli_fmt_rate(perf[i].rate_hz, r, sizeof r),
              netcli_fmt_time(perf[i].mean_latency_s, lat, sizeof lat), perf[i].fidelity);
    }
  }
  if (plot) {
    FILE *f = fopen(plot, "w");
    if (!f) {
      tsr_error_set(err, TSR_ERR_IO, "%s: cannot write the plot", plot);
      rc = tsr_cli_fail(err);
      goto done;
    }
    char title[256], xl[128];
    snprintf(title, sizeof title, "%s (%s): rate and fidelity", name, a->name);
    snprintf(xl, sizeof xl, "%s%s%s%s", sw->param->label,
             *unit && !strchr(sw->param->label, '(') ? " (" : "",
             *unit && !strchr(sw->param->label, '(') ? unit : "",
             *unit && !strchr(sw->param->label, '(') ? ")" : "");
    netcli_write_sweep_svg(f, title, xl, xp, rate, fid, n);
    if (fclose(f) != 0) {
      tsr_error_set(err, TSR_ERR_IO, "%s: write failed", plot);
      rc = tsr_cli_fail(err);
    }
  }
done:
  free(x), free(rate), free(fid), free(xp), free(perf);
  return rc;
}

int tsr_cmd_link(int argc, char **argv) {
  enum { OPT_DM = 1000, OPT_LOG };
  static const struct option options[] = {{"json", no_argument, NULL, 'j'},
                                          {"sweep", required_argument, NULL, 's'},
                                          {"plot", required_argument, NULL, 'p'},
                                          {"log", no_argument, NULL, OPT_LOG},
                                          {"density-matrix", no_argument, NULL, OPT_DM},
                                          {"output", required_argument, NULL, 'o'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  int json = 0, dm = 0, logspace = 0, opt;
  const char *sweep_spec = NULL, *plot = NULL, *output = NULL;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "js:p:o:h", options, NULL)) != -1) {
    switch (opt) {
    case 'j':
      json = 1;
      break;
    case 's':
      sweep_spec = optarg;
      break;
    case 'p':
      plot = optarg;
      break;
    case 'o':
      output = optarg;
      break;
    case OPT_DM:
      dm = 1;
      break;
    case OPT_LOG:
      logspace = 1;
      break;
    case 'h':
      usage(stdout);
      return TSR_EXIT_OK;
    default:
      return tsr_cli_usage_error("link", "invalid option");
    }
  }
  int npos = argc - optind;
  if (npos > 2) return tsr_cli_usage_error("link", "expected at most MACHINE and LINK");
  const char *path = NULL, *link_spec = NULL;
  if (npos == 2) {
    path = argv[optind];
    link_spec = argv[optind + 1];
  } else if (npos == 1) {
    if (netcli_looks_like_file(argv[optind]))
      path = argv[optind];
    else
      link_spec = argv[optind];
  }
  if (plot && !sweep_spec) return tsr_cli_usage_error("link", "--plot needs --sweep");
  if (logspace && !sweep_spec) return tsr_cli_usage_error("link", "--log needs --sweep");
  tsr_error err;
  tsr_error_clear(&err);
  sweep sw;
  if (sweep_spec && parse_sweep(sweep_spec, &sw, &err)) return tsr_cli_fail(&err);
  tsr_arch *a = NULL;
  if (netcli_load_machine(path, &a, &err) != TSR_OK) return tsr_cli_fail(&err);
  long li = -1;
  if (link_spec && (li = netcli_find_link(a, link_spec, &err)) < 0) {
    tsr_arch_free(a);
    return tsr_cli_fail(&err);
  }
  if (sweep_spec && li < 0) {
    if (a->n_links == 1) {
      li = 0;
    } else {
      tsr_error_set(&err, TSR_ERR_VALUE,
                    "--sweep: machine '%s' has %zu links; name the LINK to sweep (its index or "
                    "A--B)",
                    a->name, a->n_links);
      tsr_arch_free(a);
      return tsr_cli_fail(&err);
    }
  }
  tsr_net *net = NULL;
  if (tsr_net_new(a, &net, &err) != TSR_OK) {
    tsr_arch_free(a);
    return tsr_cli_fail(&err);
  }
  FILE *out = tsr_cli_open_output(output, &err);
  if (!out) {
    tsr_net_free(net);
    tsr_arch_free(a);
    return tsr_cli_fail(&err);
  }
  int rc = TSR_EXIT_OK;
  const tsr_link_performance *perf = a->n_links ? tsr_net_link_performance(net, 0) : NULL;
  if (sweep_spec) {
    rc = run_sweep(out, a, (size_t)li, &sw, logspace, json, plot, &err);
  } else if (json) {
    tsr_json *j = tsr_json_new(out, 2);
    if (!j) {
      tsr_error_set(&err, TSR_ERR_NOMEM, "out of memory");
      rc = tsr_cli_fail(&err);
    } else {
      tsr_json_object_begin(j);
      tsr_json_kv_string(j, "machine", a->name);
      tsr_json_kv_string(j, "source", a->source);
      tsr_json_key(j, "links");
      tsr_json_array_begin(j);
      for (size_t i = 0; i < a->n_links; i++)
        if (li < 0 || (size_t)li == i) json_link(j, a, i, &perf[i], dm);
      tsr_json_array_end(j);
      tsr_json_object_end(j);
      tsr_json_free(j);
    }
  } else if (li >= 0) {
    print_detail(out, a, (size_t)li, &perf[li], dm);
  } else {
    print_table(out, a, perf);
  }
  if (fflush(out) != 0 && rc == TSR_EXIT_OK) {
    tsr_error_set(&err, TSR_ERR_IO, "%s: write failed", output ? output : "standard output");
    rc = tsr_cli_fail(&err);
  }
  tsr_cli_close_output(out);
  tsr_net_free(net);
  tsr_arch_free(a);
  return rc;
}
