/* `tessera net [MACHINE] --between A B [--pairs N | --duration T]
 * [--purify F] [--seed S] [--json]`: simulates the network protocol
 * (generation, swap-asap, purification, cutoffs) on the event engine along
 * the cheapest route and reports the delivered rate, the fidelity
 * distribution, memory use and the simulator's speed. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "netcli.h"
#include "tessera/net.h"

static void usage(FILE *out) {
  fprintf(out,
          "Usage: tessera net [MACHINE] --between A B [--pairs N | --duration T] [--purify F]\n"
          "                   [--seed S] [--json] [options]\n"
          "       tessera net --chain N [--link-length L] [--memories M] [options]\n\n"
          "Simulates entanglement distribution between modules or nodes A and B of a machine\n"
          "(docs/network.md): the cheapest route by expected latency, heralded generation on\n"
          "every link (the geometric number of attempts sampled at once), memories that\n"
          "decohere with their T1/T2 while they wait, swap-asap at intermediate nodes with\n"
          "their gate and readout errors, correction messages over fibre, optional\n"
          "purification to a target fidelity and cutoffs. It reports the delivered rate, the\n"
          "fidelity distribution, memory use and events per second. MACHINE is a machine\n"
          "file ('-' reads standard input); without it, the built-in default machine.\n\n"
          "Options:\n"
          "  -b, --between A B      the two ends (module or node names)\n"
          "  -n, --pairs N          stop after N delivered pairs (default 100 when no\n"
          "                         --duration is given)\n"
          "  -t, --duration T       stop after T of simulated time (units: s, ms, min, h)\n"
          "  -f, --purify F         purify end-to-end pairs up to fidelity F\n"
          "      --scheme S         pumping (default) or recurrence\n"
          "      --protocol P       dejmps (default) or bbpssw\n"
          "      --rounds N         at most N successful purification rounds (default 8)\n"
          "  -c, --cutoff T         discard pairs older than T\n"
          "  -m, --memories M       memory slots per link side (default: each node's\n"
          "                         communication qubits, split between its path links)\n"
          "  -r, --route COST       latency (default), hops, probability or fidelity\n"
          "      --per-memory       every free memory pair attempts on its own (default: one\n"
          "                         photonic interface per link)\n"
          "      --per-attempt      one event per attempt instead of sampling the number of\n"
          "                         attempts (slow; for validation)\n"
          "      --perfect-ops      swaps and purification without gate and readout errors\n"
          "  -s, --seed S           random seed (default 1): the same seed, the same run\n"
          "      --max-events N     stop after N events\n"
          "      --chain N          instead of MACHINE: a repeater chain of N nodes n0..n{N-1}\n"
          "      --link-length L    chain link length (default 10 km)\n"
          "      --preset NAME      chain node preset (default diamond-siv)\n"
          "      --deliveries FILE  write every delivered pair as CSV (time_s, age_s,\n"
          "                         fidelity, phi_plus, psi_plus, psi_minus, phi_minus,\n"
          "                         purify_rounds, elementary_pairs)\n"
          "  -j, --json             JSON: {machine, between, path, links, hops, config, pairs,\n"
          "                         sim_time_s, rate_hz, mean_fidelity, fidelity {mean, std,\n"
          "                         min, p05, median, p95, max, histogram}, mean_age_s,\n"
          "                         elementary_pairs, attempts, swaps, discarded,\n"
          "                         purifications, purification_failures, below_target,\n"
          "                         memory {nodes, peak, mean_utilisation}, stalled, events,\n"
          "                         wall_s, events_per_s, sim_s_per_wall_s}\n"
          "  -o, --output FILE      write the report to FILE\n"
          "  -h, --help             show this help\n\n"
          "Examples:\n"
          "  tessera net --between ion-a ion-b --pairs 1000\n"
          "  tessera net --between ion-a ion-b --duration 60s --purify 0.9 --json\n"
          "  tessera net --chain 9 --memories 10 --per-memory --duration 10s\n\n"
          "Exit status: 0 success, 1 the simulation failed, 2 bad machine, name or option.\n");
}

static int parse_quantity_opt(const char *opt, const char *text, netcli_kind kind, double lo,
                              double *out) {
  if (netcli_parse_quantity(text, kind, out) || !(*out >= lo)) {
    tsr_cli_usage_error("net", "%s '%s': expected a number%s%s >= %g", opt, text,
                        *netcli_unit(kind) ? " in " : "", netcli_unit(kind), lo);
    return -1;
  }
  return 0;
}

static int write_deliveries(const char *path, const tsr_net_result *r, tsr_error *err) {
  FILE *f = tsr_cli_open_output(path, err);
  if (!f) return -1;
  fprintf(f, "time_s,age_s,fidelity,phi_plus,psi_plus,psi_minus,phi_minus,purify_rounds,"
             "elementary_pairs\n");
  for (size_t i = 0; i < r->n_deliveries; i++) {
    const tsr_net_delivery *d = &r->deliveries[i];
    fprintf(f, "%.12g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%u,%llu\n", d->time_s, d->age_s, d->fidelity,
            d->state.p[0], d->state.p[1], d->state.p[2], d->state.p[3], (unsigned)d->purify_rounds,
            (unsigned long long)d->elementary);
  }
  int bad = ferror(f);
  if (f != stdout) bad |= fclose(f) != 0;
  if (bad) {
    tsr_error_set(err, TSR_ERR_IO, "%s: write failed", path);
    return -1;
  }
  return 0;
}

static void print_report(FILE *out, const tsr_net *net, const tsr_net_config *cfg,
                         const tsr_net_result *r) {
  const tsr_arch *a = tsr_net_arch(net);
  const tsr_net_path *p = &r->path;
  char b1[32];
  fprintf(out, "machine %s: %s -> %s over %zu link%s (route by %s)\n  path ", a->name,
          a->modules[p->nodes[0]].name, a->modules[p->nodes[p->n_hops]].name, p->n_hops,
          p->n_hops == 1 ? "" : "s", tsr_net_route_cost_name(cfg->route));
  for (size_t i = 0; i <= p->n_hops && i < 12; i++)
    fprintf(out, "%s%s", i ? " -- " : "", a->modules[p->nodes[i]].name);
  if (p->n_hops >= 12) fprintf(out, " -- ... -- %s", a->modules[p->nodes[p->n_hops]].name);
  fprintf(out, "\n\ndelivered %llu pair%s in %s of simulated time: %.4g pairs/s\n",
          (unsigned long long)r->pairs, r->pairs == 1 ? "" : "s",
          netcli_fmt_time(r->sim_time_s, b1, sizeof b1), r->rate_hz);
  if (r->pairs > 0) {
    fprintf(out,
            "fidelity  mean %.4f  std %.4f  min %.4f  p05 %.4f  median %.4f  p95 %.4f  max "
            "%.4f\n",
            r->mean_fidelity, r->std_fidelity, r->min_fidelity,
            tsr_net_result_fidelity_quantile(r, 0.05), tsr_net_result_fidelity_quantile(r, 0.5),
            tsr_net_result_fidelity_quantile(r, 0.95), r->max_fidelity);
    /* A small text histogram over 10 bins between min and max. */
    double lo = r->min_fidelity, hi = r->max_fidelity;
    if (hi > lo && r->n_deliveries > 1) {
      size_t counts[10] = {0}, top = 0;
      for (size_t i = 0; i < r->n_deliveries; i++) {
        int b = (int)((r->deliveries[i].fidelity - lo) / (hi - lo) * 10);
        if (b > 9) b = 9;
        if (b < 0) b = 0;
        counts[b]++;
      }
      for (int b = 0; b < 10; b++)
        if (counts[b] > top) top = counts[b];
      for (int b = 0; b < 10; b++) {
        int bar = top ? (int)(40.0 * (double)counts[b] / (double)top + 0.5) : 0;
        fprintf(out, "  %.4f-%.4f %7zu ", lo + (hi - lo) * b / 10, lo + (hi - lo) * (b + 1) / 10,
                counts[b]);
        for (int k = 0; k < bar; k++) fputc('#', out);
        fputc('\n', out);
      }
    }
    fprintf(out, "mean age at delivery %s\n", netcli_fmt_time(r->mean_age_s, b1, sizeof b1));
  }
  if (cfg->target_fidelity > 0)
    fprintf(out,
            "purification to %.4f: %llu rounds, %llu failed; %llu pair%s delivered below "
            "target\n",
            cfg->target_fidelity, (unsigned long long)r->purifications,
            (unsigned long long)r->purification_failures, (unsigned long long)r->below_target,
            r->below_target == 1 ? "" : "s");
  fprintf(out, "elementary pairs %llu (%llu attempts), swaps %llu, discarded by cutoff %llu\n",
          (unsigned long long)r->elementary_pairs, (unsigned long long)r->attempts,
          (unsigned long long)r->swaps, (unsigned long long)r->discarded);
  fprintf(out, "\nmemory      %-16s %6s %6s %8s\n", "node", "slots", "peak", "mean");
  for (size_t i = 0; i < r->n_usage && i < 12; i++)
    fprintf(out, "            %-16s %6u %6u %8.3f\n", a->modules[r->usage[i].module].name,
            (unsigned)r->usage[i].slots, (unsigned)r->usage[i].peak, r->usage[i].mean);
  if (r->n_usage > 12) fprintf(out, "            ... (%zu nodes)\n", r->n_usage);
  fprintf(out, "\nevents %llu in %.3g s of wall time: %.3g events/s, %.3g simulated s per wall s\n",
          (unsigned long long)r->events, r->wall_s,
          r->wall_s > 0 ? (double)r->events / r->wall_s : 0.0,
          r->wall_s > 0 ? r->sim_time_s / r->wall_s : 0.0);
  if (r->stalled)
    fprintf(out, "note: the run stalled (no event left before the goal: a link cannot herald, or "
                 "every memory waits)\n");
  if (r->truncated) fprintf(out, "note: stopped at --max-events\n");
}

int tsr_cmd_net(int argc, char **argv) {
  enum {
    OPT_SCHEME = 1000,
    OPT_PROTOCOL,
    OPT_ROUNDS,
    OPT_PER_MEMORY,
    OPT_PER_ATTEMPT,
    OPT_PERFECT,
    OPT_MAX_EVENTS,
    OPT_CHAIN,
    OPT_LINK_LENGTH,
    OPT_PRESET,
    OPT_DELIVERIES
  };
  static const struct option options[] = {{"pairs", required_argument, NULL, 'n'},
                                          {"duration", required_argument, NULL, 't'},
                                          {"purify", required_argument, NULL, 'f'},
                                          {"scheme", required_argument, NULL, OPT_SCHEME},
                                          {"protocol", required_argument, NULL, OPT_PROTOCOL},
                                          {"rounds", required_argument, NULL, OPT_ROUNDS},
                                          {"cutoff", required_argument, NULL, 'c'},
                                          {"memories", required_argument, NULL, 'm'},
                                          {"route", required_argument, NULL, 'r'},
                                          {"per-memory", no_argument, NULL, OPT_PER_MEMORY},
                                          {"per-attempt", no_argument, NULL, OPT_PER_ATTEMPT},
                                          {"perfect-ops", no_argument, NULL, OPT_PERFECT},
                                          {"seed", required_argument, NULL, 's'},
                                          {"max-events", required_argument, NULL, OPT_MAX_EVENTS},
                                          {"chain", required_argument, NULL, OPT_CHAIN},
                                          {"link-length", required_argument, NULL, OPT_LINK_LENGTH},
                                          {"preset", required_argument, NULL, OPT_PRESET},
                                          {"deliveries", required_argument, NULL, OPT_DELIVERIES},
                                          {"json", no_argument, NULL, 'j'},
                                          {"output", required_argument, NULL, 'o'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  /* --between takes two values: take them out before getopt sees them. */
  const char *end_a = NULL, *end_b = NULL;
  char **args = malloc((size_t)(argc + 1) * sizeof *args);
  if (!args) {
    fprintf(stderr, "tessera: out of memory\n");
    return TSR_EXIT_FAILURE;
  }
  int nargs = 0;
  for (int i = 0; i < argc; i++) {
    if (i > 0 && (strcmp(argv[i], "--between") == 0 || strcmp(argv[i], "-b") == 0)) {
      if (i + 2 >= argc) {
        free(args);
        return tsr_cli_usage_error("net", "--between needs two names: --between A B");
      }
      end_a = argv[i + 1];
      end_b = argv[i + 2];
      i += 2;
      continue;
    }
    args[nargs++] = argv[i];
  }
  args[nargs] = NULL;
  tsr_net_config cfg;
  tsr_net_config_default(&cfg);
  unsigned long long pairs = 0, u;
  double duration = 0, v, link_length = 10e3;
  int json = 0, opt, pairs_set = 0;
  unsigned long chain = 0;
  const char *output = NULL, *deliveries = NULL, *preset = NULL;
  int rc = TSR_EXIT_INPUT;
  tsr_error err;
  tsr_error_clear(&err);
  tsr_arch *a = NULL;
  tsr_net *net = NULL;
  tsr_net_result res;
  memset(&res, 0, sizeof res);
  FILE *out = NULL;
  tsr_status st;
  const char *path = NULL;
  tsr_net_request req = {0, 0, 0, 0};
  optind = 1;
  while ((opt = getopt_long(nargs, args, "n:t:f:c:m:r:s:jo:h", options, NULL)) != -1) {
    switch (opt) {
    case 'n':
      if (tsr_cli_parse_u64(optarg, &pairs) || pairs == 0) {
        tsr_cli_usage_error("net", "--pairs '%s': expected a whole number >= 1", optarg);
        goto out;
      }
      pairs_set = 1;
      break;
    case 't':
      if (parse_quantity_opt("--duration", optarg, NETCLI_TIME, 0, &duration)) goto out;
      if (!(duration > 0)) {
        tsr_cli_usage_error("net", "--duration must be above 0");
        goto out;
      }
      break;
    case 'f':
      if (parse_quantity_opt("--purify", optarg, NETCLI_FRACTION, 0, &v)) goto out;
      if (v > 1) {
        tsr_cli_usage_error("net", "--purify %s: a fidelity is at most 1", optarg);
        goto out;
      }
      cfg.target_fidelity = v;
      break;
    case OPT_SCHEME:
      if (strcmp(optarg, "pumping") == 0 || strcmp(optarg, "pump") == 0)
        cfg.purify_partner = TSR_PURIFY_PUMP;
      else if (strcmp(optarg, "recurrence") == 0)
        cfg.purify_partner = TSR_PURIFY_RECURRENCE;
      else {
        tsr_cli_usage_error("net", "--scheme '%s': pumping or recurrence", optarg);
        goto out;
      }
      break;
    case OPT_PROTOCOL:
      if (strcmp(optarg, "dejmps") == 0)
        cfg.purify_protocol = TSR_PURIFY_DEJMPS;
      else if (strcmp(optarg, "bbpssw") == 0)
        cfg.purify_protocol = TSR_PURIFY_BBPSSW;
      else {
        tsr_cli_usage_error("net", "--protocol '%s': dejmps or bbpssw", optarg);
        goto out;
      }
      break;
    case OPT_ROUNDS:
      if (tsr_cli_parse_u64(optarg, &u) || u > 64) {
        tsr_cli_usage_error("net", "--rounds '%s': a whole number in [0, 64]", optarg);
        goto out;
      }
      cfg.max_purify_rounds = (uint32_t)u;
      break;
    case 'c':
      if (parse_quantity_opt("--cutoff", optarg, NETCLI_TIME, 0, &v)) goto out;
      if (!(v > 0)) {
        tsr_cli_usage_error("net", "--cutoff must be above 0");
        goto out;
      }
      cfg.cutoff_s = v;
      break;
    case 'm':
      if (tsr_cli_parse_u64(optarg, &u) || u < 1 || u > 1000000) {
        tsr_cli_usage_error("net", "--memories '%s': a whole number in [1, 10^6]", optarg);
        goto out;
      }
      cfg.memories_per_link = (uint32_t)u;
      break;
    case 'r':
      if (tsr_net_route_cost_lookup(optarg, &cfg.route)) {
        tsr_cli_usage_error("net", "--route '%s': latency, hops, probability or fidelity", optarg);
        goto out;
      }
      break;
    case OPT_PER_MEMORY:
      cfg.generation = TSR_NET_GEN_PER_MEMORY;
      break;
    case OPT_PER_ATTEMPT:
      cfg.per_attempt = 1;
      break;
    case OPT_PERFECT:
      cfg.perfect_operations = 1;
      break;
    case 's':
      if (tsr_cli_parse_u64(optarg, &u)) {
        tsr_cli_usage_error("net", "--seed '%s': expected a whole number", optarg);
        goto out;
      }
      cfg.seed = u;
      break;
    case OPT_MAX_EVENTS:
      if (tsr_cli_parse_u64(optarg, &u) || u == 0) {
        tsr_cli_usage_error("net", "--max-events '%s': a whole number >= 1", optarg);
        goto out;
      }
      cfg.max_events = u;
      break;
    case OPT_CHAIN:
      if (tsr_cli_parse_u64(optarg, &u) || u < 2 || u > 1000000) {
        tsr_cli_usage_error("net", "--chain '%s': a whole number of nodes in [2, 10^6]", optarg);
        goto out;
      }
      chain = (unsigned long)u;
      break;
    case OPT_LINK_LENGTH:
      if (parse_quantity_opt("--link-length", optarg, NETCLI_LENGTH, 0, &link_length)) goto out;
      break;
    case OPT_PRESET:
      preset = optarg;
      break;
    case OPT_DELIVERIES:
      deliveries = optarg;
      break;
    case 'j':
      json = 1;
      break;
    case 'o':
      output = optarg;
      break;
    case 'h':
      usage(stdout);
      rc = TSR_EXIT_OK;
      goto out;
    default:
      tsr_cli_usage_error("net", "invalid option");
      goto out;
    }
  }
  if (optind < nargs - 1) {
    tsr_cli_usage_error("net", "expected at most one MACHINE file");
    goto out;
  }
  path = optind < nargs ? args[optind] : NULL;
  if (chain && path) {
    tsr_cli_usage_error("net", "--chain builds its own machine: give no MACHINE");
    goto out;
  }
  if (!chain && (preset || link_length != 10e3)) {
    tsr_cli_usage_error("net", "--link-length and --preset go with --chain");
    goto out;
  }
  if (!chain && !end_a) {
    tsr_cli_usage_error("net", "name the two ends: --between A B");
    goto out;
  }
  if (!pairs_set && !(duration > 0)) pairs = 100;

  if (chain) {
    tsr_net_chain_spec spec;
    tsr_net_chain_spec_default(&spec);
    spec.nodes = (uint32_t)chain;
    spec.link_length_m = link_length;
    if (preset) spec.preset = preset;
    if (cfg.memories_per_link) spec.memories_per_link = cfg.memories_per_link;
    st = tsr_net_chain_machine(&spec, &a, &err);
  } else {
    st = netcli_load_machine(path, &a, &err);
  }
  if (st != TSR_OK) {
    rc = tsr_cli_fail(&err);
    goto done;
  }
  req.pairs = pairs;
  req.duration_s = duration;
  if (end_a) {
    long ia = netcli_find_module(a, end_a, &err),
         ib = ia >= 0 ? netcli_find_module(a, end_b, &err) : -1;
    if (ia < 0 || ib < 0) {
      rc = tsr_cli_fail(&err);
      goto done;
    }
    req.src = (uint32_t)ia;
    req.dst = (uint32_t)ib;
  } else {
    req.src = 0;
    req.dst = (uint32_t)(a->n_modules - 1);
  }
  if ((st = tsr_net_new(a, &net, &err)) != TSR_OK ||
      (st = tsr_net_run(net, &req, &cfg, &res, &err)) != TSR_OK) {
    rc = tsr_cli_fail(&err);
    goto done;
  }
  if (deliveries && write_deliveries(deliveries, &res, &err)) {
    rc = tsr_cli_fail(&err);
    goto done;
  }
  out = tsr_cli_open_output(output, &err);
  if (!out) {
    rc = tsr_cli_fail(&err);
    goto done;
  }
  rc = TSR_EXIT_OK;
  if (json) {
    tsr_json *j = tsr_json_new(out, 2);
    if (!j) {
      tsr_error_set(&err, TSR_ERR_NOMEM, "out of memory");
      rc = tsr_cli_fail(&err);
    } else {
      tsr_net_result_write_json(net, &cfg, &res, j);
      tsr_json_free(j);
    }
  } else {
    print_report(out, net, &cfg, &res);
  }
  if (res.stalled && json)
    fprintf(stderr, "tessera net: note: the run stalled before its goal (see \"stalled\")\n");
  if (fflush(out) != 0 && rc == TSR_EXIT_OK) {
    tsr_error_set(&err, TSR_ERR_IO, "%s: write failed", output ? output : "standard output");
    rc = tsr_cli_fail(&err);
  }
  tsr_cli_close_output(out);
done:
  tsr_net_result_free(&res);
  tsr_net_free(net);
  tsr_arch_free(a);
out:
  free(args);
  return rc;
}
