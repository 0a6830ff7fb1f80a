/* `tessera arch [MACHINE] [--json] [--dot] [--sources] [--presets]`: loads a
 * machine file (or the built-in default machine) and shows its modules and
 * links as a table, JSON or a Graphviz graph. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "netcli.h"
#include "tessera/arch.h"
#include "tessera/link.h"

static void usage(FILE *out) {
  fprintf(out, "Usage: tessera arch [MACHINE] [--json | --dot] [--sources] [-o FILE]\n"
               "       tessera arch --presets [--json] [--sources]\n"
               "       tessera arch --print-default\n\n"
               "Loads a machine file (YAML, docs/machine-file.md; or a pytket-dqc network JSON)\n"
               "and prints its modules (modality, qubits, gate fidelities and times, T1/T2,\n"
               "communication qubits, connectivity) and photonic links (length, station,\n"
               "wavelengths, conversion efficiency per end including any transducer, attempt\n"
               "period; rate and fidelity come from the link model). Without MACHINE it shows the\n"
               "built-in default machine (HARQ-style: two ion traps, a neutral-atom array and a\n"
               "superconducting module linked through a diamond memory hub). MACHINE '-' reads\n"
               "standard input.\n\n"
               "Options:\n"
               "  -j, --json           print the machine as JSON (keys: name, description,\n"
               "                       source, modules [{name, role, modality, preset, qubits,\n"
               "                       native_gates, gate_1q, gate_2q, readout, reset,\n"
               "                       coherence, connectivity, communication, photon,\n"
               "                       overridden, sources}], links [{between, length_m,\n"
               "                       station, protocol, attempt_period_s, multiplexing,\n"
               "                       visibility, detectors, ends, rate_hz, fidelity}])\n"
               "  -d, --dot            print the topology as a Graphviz graph\n"
               "                       (tessera arch --dot | dot -Tsvg > machine.svg)\n"
               "  -s, --sources        also print the citation of every preset number\n"
               "  -p, --presets        list the built-in presets instead of a machine\n"
               "      --print-default  print the default machine file (a starting point)\n"
               "  -o, --output FILE    write to FILE instead of standard output\n"
               "  -h, --help           show this help\n\n"
               "Exit status: 0 success, 2 bad machine file (file:line:col: message).\n");
}

/* ----------------------------------------------------------------- format */

static const char *fmt_time(double s, char *buf, size_t size) {
  if (isinf(s))
    snprintf(buf, size, "inf");
  else if (s >= 3600.0)
    snprintf(buf, size, "%.3gh", s / 3600.0);
  else if (s >= 1.0 || s == 0.0)
    snprintf(buf, size, "%.4gs", s);
  else if (s >= 1e-3)
    snprintf(buf, size, "%.3gms", s * 1e3);
  else if (s >= 1e-6)
    snprintf(buf, size, "%.3gus", s * 1e6);
  else
    snprintf(buf, size, "%.3gns", s * 1e9);
  return buf;
}

static const char *fmt_length(double m, char *buf, size_t size) {
  if (m >= 1000.0)
    snprintf(buf, size, "%.4g km", m / 1000.0);
  else
    snprintf(buf, size, "%.4g m", m);
  return buf;
}

static const char *fmt_op(const tsr_op_params *op, char *buf, size_t size) {
  char t[32];
  snprintf(buf, size, "%.7g/%s", op->fidelity, fmt_time(op->duration_s, t, sizeof t));
  return buf;
}

static const char *fmt_connectivity(const tsr_connectivity *c, char *buf, size_t size) {
  char t[32];
  switch (c->kind) {
  case TSR_TOPOLOGY_GRID:
  case TSR_TOPOLOGY_HEAVY_HEX:
    snprintf(buf, size, "%s %dx%d", tsr_topology_name(c->kind), c->rows, c->cols);
    break;
  case TSR_TOPOLOGY_RECONFIGURABLE:
    snprintf(buf, size, "reconfig. (move %s)", fmt_time(c->move_time_s, t, sizeof t));
    break;
  default:
    snprintf(buf, size, "%s", tsr_topology_name(c->kind));
  }
  return buf;
}

/* Photon conversion on one end: the module's transducer (superconducting)
 * and the link's conversion stages. */
static double conversion_efficiency(const tsr_arch *a, const tsr_link_end *e) {
  const tsr_photon_interface *ph = &a->modules[e->module].params.photon;
  double eta = ph->has_transducer ? ph->transducer_efficiency : 1.0;
  for (uint32_t k = 0; k < e->n_conversion; k++) eta *= e->conversion[k].efficiency;
  return eta;
}

static const char *fmt_photon_path(const tsr_arch *a, const tsr_link_end *e, char *buf,
                                   size_t size) {
  double w0 = a->modules[e->module].params.photon.wavelength_m * 1e9;
  double w1 = e->fibre_wavelength_m * 1e9;
  if (e->n_conversion == 0)
    snprintf(buf, size, "%.5g nm", w0);
  else
    snprintf(buf, size, "%.5g->%.5g nm", w0, w1);
  return buf;
}

static const char *fmt_station(const tsr_arch *a, const tsr_link *l, char *buf, size_t size) {
  char len[32];
  switch (l->station) {
  case TSR_STATION_MIDDLE:
    return "middle";
  case TSR_STATION_END_A:
    return a->modules[l->ends[0].module].name;
  case TSR_STATION_END_B:
    return a->modules[l->ends[1].module].name;
  default:
    snprintf(buf, size, "%s from %s", fmt_length(l->ends[0].arm_length_m, len, sizeof len),
             a->modules[l->ends[0].module].name);
    return buf;
  }
}

/* ------------------------------------------------------------------ table */

static void print_module_header(FILE *out) {
  fprintf(out, "  %-14s %-15s %-15s %6s %4s  %-17s %-17s %-17s %-15s %s\n", "name", "modality",
          "preset", "qubits", "comm", "1q F/time", "2q F/time", "readout F/time", "T1/T2",
          "connectivity");
}

static void print_module_row(FILE *out, const tsr_module *m) {
  const tsr_module_params *p = &m->params;
  char g1[48], g2[48], ro[48], t1[24], t2[24], coh[56], conn[64];
  snprintf(coh, sizeof coh, "%s/%s", fmt_time(p->coherence.t1_s, t1, sizeof t1),
           fmt_time(p->coherence.t2_s, t2, sizeof t2));
  fprintf(out, "  %-14s %-15s %-15s %6u %4u  %-17s %-17s %-17s %-15s %s\n", m->name,
          tsr_modality_name(p->modality), m->preset[0] ? m->preset : "-", (unsigned)p->qubits,
          (unsigned)p->communication_qubits, fmt_op(&p->gate_1q, g1, sizeof g1),
          p->qubits > 1 ? fmt_op(&p->gate_2q, g2, sizeof g2) : "-",
          fmt_op(&p->readout, ro, sizeof ro), coh,
          fmt_connectivity(&p->connectivity, conn, sizeof conn));
}

static void print_table(FILE *out, const tsr_arch *a) {
  fprintf(out, "machine %s (%s)\n", a->name[0] ? a->name : "(unnamed)", a->source);
  if (a->description) fprintf(out, "  %s\n", a->description);
  size_t n_compute = tsr_arch_compute_count(a);
  fprintf(out, "\nmodules (%zu)\n", n_compute);
  print_module_header(out);
  for (size_t i = 0; i < a->n_modules; i++) {
    if (a->modules[i].role == TSR_ROLE_COMPUTE) print_module_row(out, &a->modules[i]);
  }
  if (n_compute < a->n_modules) {
    fprintf(out, "\nmemory / repeater nodes (%zu)\n", a->n_modules - n_compute);
    print_module_header(out);
    for (size_t i = 0; i < a->n_modules; i++) {
      if (a->modules[i].role != TSR_ROLE_COMPUTE) print_module_row(out, &a->modules[i]);
    }
  }
  /* Communication-qubit coherence where it differs (colour-centre electrons). */
  for (size_t i = 0; i < a->n_modules; i++) {
    const tsr_module_params *p = &a->modules[i].params;
    if (memcmp(&p->coherence, &p->communication_coherence, sizeof p->coherence) != 0) {
      char t1[24], t2[24];
      fprintf(out, "  (%s: communication qubits T1/T2 %s/%s)\n", a->modules[i].name,
              fmt_time(p->communication_coherence.t1_s, t1, sizeof t1),
              fmt_time(p->communication_coherence.t2_s, t2, sizeof t2));
    }
  }
  fprintf(out, "\nlinks (%zu)\n", a->n_links);
  if (a->n_links == 0) return;
  fprintf(out, "  %-26s %-9s %-18s %-12s %-29s %-13s %-10s %-9s %s\n", "between", "length",
          "station", "protocol", "photons (-> in fibre)", "conversion", "attempt", "rate",
          "fidelity");
  for (size_t i = 0; i < a->n_links; i++) {
    const tsr_link *l = &a->links[i];
    char between[2 * TSR_ARCH_NAME_MAX + 8], len[32], st[128], pa[48], pb[48], ph[100], conv[48],
        per[24];
    snprintf(between, sizeof between, "%s -- %s", a->modules[l->ends[0].module].name,
             a->modules[l->ends[1].module].name);
    snprintf(ph, sizeof ph, "%s | %s", fmt_photon_path(a, &l->ends[0], pa, sizeof pa),
             fmt_photon_path(a, &l->ends[1], pb, sizeof pb));
    double ca = conversion_efficiency(a, &l->ends[0]), cb = conversion_efficiency(a, &l->ends[1]);
    if (ca != 1.0 || cb != 1.0) {
      snprintf(conv, sizeof conv, "%.3g | %.3g", ca, cb);
    } else {
      snprintf(conv, sizeof conv, "none");
    }
    /* Rate and fidelity come from the link layer's model. */
    char rate[32] = "-", fid[32] = "-";
    tsr_link_physics lp;
    tsr_link_performance perf;
    if (tsr_link_physics_from_arch(a, i, &lp, NULL) == TSR_OK &&
        tsr_link_evaluate(&lp, &perf, NULL) == TSR_OK) {
      snprintf(rate, sizeof rate, "%.3g/s", perf.rate_hz);
      snprintf(fid, sizeof fid, "%.4f", perf.fidelity);
    }
    fprintf(out, "  %-26s %-9s %-18s %-12s %-29s %-13s %-10s %-9s %s\n", between,
            fmt_length(l->length_m, len, sizeof len), fmt_station(a, l, st, sizeof st),
            tsr_link_protocol_name(l->protocol), ph, conv,
            fmt_time(l->attempt_period_s, per, sizeof per), rate, fid);
  }
}

static void print_sources(FILE *out, const tsr_arch *a) {
  fprintf(out, "\nsources\n");
  for (size_t i = 0; i < a->n_modules; i++) {
    const tsr_module *m = &a->modules[i];
    fprintf(out, "  %s%s%s%s\n", m->name, m->preset[0] ? " (preset " : "", m->preset,
            m->preset[0] ? ")" : "");
    for (int g = 0; g < TSR_PARAM_GROUP_COUNT; g++) {
      fprintf(out, "    %-14s %s\n", tsr_param_group_name((tsr_param_group)g),
              tsr_module_source(m, (tsr_param_group)g));
    }
  }
}

static int show_presets(FILE *out, int json, int sources) {
  tsr_error err;
  tsr_error_clear(&err);
  tsr_arch *a = NULL;
  if (tsr_arch_new("presets", &a, &err) != TSR_OK) return tsr_cli_fail(&err);
  snprintf(a->source, sizeof a->source, "built-in presets");
  for (size_t i = 0; i < tsr_preset_count(); i++) {
    const tsr_preset *p = tsr_preset_at(i);
    uint32_t index;
    if (tsr_arch_add_module(a, p->name, TSR_ROLE_COMPUTE, &p->params, &index, &err) != TSR_OK) {
      tsr_arch_free(a);
      return tsr_cli_fail(&err);
    }
    snprintf(a->modules[index].preset, sizeof a->modules[index].preset, "%s", p->name);
  }
  if (json) {
    tsr_json *j = tsr_json_new(out, 2);
    tsr_status st = j ? tsr_arch_write_json(a, j, &err) : TSR_ERR_NOMEM;
    tsr_json_free(j);
    if (st != TSR_OK) {
      tsr_arch_free(a);
      return tsr_cli_fail(&err);
    }
  } else {
    fprintf(out, "presets (%zu)\n", tsr_preset_count());
    print_module_header(out);
    for (size_t i = 0; i < a->n_modules; i++) print_module_row(out, &a->modules[i]);
    fprintf(out, "\n");
    for (size_t i = 0; i < tsr_preset_count(); i++) {
      fprintf(out, "  %-15s %s\n", tsr_preset_at(i)->name, tsr_preset_at(i)->summary);
    }
    if (sources) print_sources(out, a);
  }
  tsr_arch_free(a);
  return TSR_EXIT_OK;
}

/* Each link's rate and fidelity from the link model, for the machine's JSON
 * (null where the model cannot evaluate the link). */
static void write_link_figures(const tsr_arch *arch, size_t link, tsr_json *j, void *user) {
  (void)user;
  tsr_link_physics lp;
  tsr_link_performance perf;
  int ok = tsr_link_physics_from_arch(arch, link, &lp, NULL) == TSR_OK &&
           tsr_link_evaluate(&lp, &perf, NULL) == TSR_OK && isfinite(perf.rate_hz) &&
           isfinite(perf.fidelity);
  tsr_json_key(j, "rate_hz");
  if (ok)
    tsr_json_double(j, perf.rate_hz);
  else
    tsr_json_null(j);
  tsr_json_key(j, "fidelity");
  if (ok)
    tsr_json_double(j, perf.fidelity);
  else
    tsr_json_null(j);
}

static tsr_status write_json_with_rates(FILE *out, const tsr_arch *arch, tsr_error *err) {
  tsr_json *j = tsr_json_new(out, 2);
  if (!j) return tsr_error_set(err, TSR_ERR_NOMEM, "out of memory");
  tsr_status st = tsr_arch_write_json_ex(arch, j, write_link_figures, NULL, err);
  tsr_json_free(j);
  return st;
}

int tsr_cmd_arch(int argc, char **argv) {
  enum { OPT_PRINT_DEFAULT = 1000 };
  static const struct option options[] = {{"json", no_argument, NULL, 'j'},
                                          {"dot", no_argument, NULL, 'd'},
                                          {"sources", no_argument, NULL, 's'},
                                          {"presets", no_argument, NULL, 'p'},
                                          {"print-default", no_argument, NULL, OPT_PRINT_DEFAULT},
                                          {"output", required_argument, NULL, 'o'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  int json = 0, dot = 0, sources = 0, presets = 0, print_default = 0, opt;
  const char *output = NULL;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "jdspo:h", options, NULL)) != -1) {
    switch (opt) {
    case 'j':
      json = 1;
      break;
    case 'd':
      dot = 1;
      break;
    case 's':
      sources = 1;
      break;
    case 'p':
      presets = 1;
      break;
    case 'o':
      output = optarg;
      break;
    case OPT_PRINT_DEFAULT:
      print_default = 1;
      break;
    case 'h':
      usage(stdout);
      return TSR_EXIT_OK;
    default:
      return tsr_cli_usage_error("arch", "invalid option");
    }
  }
  if (json && dot) return tsr_cli_usage_error("arch", "--json and --dot are exclusive");
  if (optind < argc - 1) return tsr_cli_usage_error("arch", "expected at most one MACHINE file");
  const char *path = optind < argc ? argv[optind] : NULL;
  if ((presets || print_default) && path) {
    return tsr_cli_usage_error("arch", "--presets and --print-default take no MACHINE");
  }
  tsr_error err;
  tsr_error_clear(&err);
  tsr_arch *arch = NULL;
  if (!presets && !print_default && netcli_load_machine(path, &arch, &err) != TSR_OK)
    return tsr_cli_fail(&err);
  FILE *out = tsr_cli_open_output(output, &err);
  if (!out) {
    tsr_arch_free(arch);
    return tsr_cli_fail(&err);
  }
  int rc = TSR_EXIT_OK;
  if (print_default) {
    fputs(tsr_arch_default_yaml(), out);
  } else if (presets) {
    rc = show_presets(out, json, sources);
  } else if (json) {
    if (write_json_with_rates(out, arch, &err) != TSR_OK) rc = tsr_cli_fail(&err);
  } else if (dot) {
    if (tsr_arch_write_dot(arch, out, &err) != TSR_OK) rc = tsr_cli_fail(&err);
  } else {
    print_table(out, arch);
    if (sources) print_sources(out, arch);
  }
  if (fflush(out) != 0 && rc == TSR_EXIT_OK) {
    tsr_error_set(&err, TSR_ERR_IO, "%s: write failed", output ? output : "standard output");
    rc = tsr_cli_fail(&err);
  }
  tsr_cli_close_output(out);
  tsr_arch_free(arch);
  return rc;
}
