/* Helpers of `tessera link` and `tessera net`: quantities with units,
 * loading a machine, naming links, human-readable numbers and the SVG line
 * chart of a link sweep. */
#ifndef TESSERA_TOOLS_NETCLI_H
#define TESSERA_TOOLS_NETCLI_H

#include <stddef.h>
#include <stdio.h>

#include "tessera/arch.h"
#include "tessera/core.h"

/* What a number measures, for the units it may carry. */
typedef enum netcli_kind {
  NETCLI_PLAIN = 0,   /* no unit */
  NETCLI_FRACTION,    /* [0, 1], or a percentage "95 %" */
  NETCLI_LENGTH,      /* m, km, cm, mm, um, nm (bare: metres) */
  NETCLI_TIME,        /* s, ms, us, ns, ps, min, h (bare: seconds) */
  NETCLI_RATE,        /* Hz, kHz, MHz, GHz, /s (bare: hertz) */
  NETCLI_ATTENUATION, /* dB/km (bare), dB/m */
  NETCLI_COUNT        /* a whole number */
} netcli_kind;

/* Parses "12.5 km", "12.5km", "3e-4", "95%": a finite number and an optional
 * unit of the given kind; *out in SI (attenuation in dB/km). Returns 0, or -1
 * for anything else (unknown unit, trailing text, NaN). */
int netcli_parse_quantity(const char *text, netcli_kind kind, double *out);
/* The SI unit name of a kind ("m", "s", "Hz", "dB/km", ""). */
const char *netcli_unit(netcli_kind kind);

/* Loads a machine file, "-" for standard input, or the built-in default
 * machine when path is NULL. */
tsr_status netcli_load_machine(const char *path, tsr_arch **out, tsr_error *err);
/* 1 when an argument looks like a machine file rather than a name: "-", an
 * existing file, or a name ending in .yaml, .yml or .json. */
int netcli_looks_like_file(const char *arg);

/* Index of the link a user named: a 0-based index, or "A--B" / "A-B" / "A,B"
 * in either order. -1 when there is none (err says why, with a hint). */
long netcli_find_link(const tsr_arch *arch, const char *spec, tsr_error *err);
/* Index of a module by name; -1 with a did-you-mean message in err. */
long netcli_find_module(const tsr_arch *arch, const char *name, tsr_error *err);

/* "12.3 ms", "4.56 us", "inf", ... */
const char *netcli_fmt_time(double s, char *buf, size_t size);
/* "182 Hz", "1.2 kHz", "3.4e-05 Hz" */
const char *netcli_fmt_rate(double hz, char *buf, size_t size);
const char *netcli_fmt_length(double m, char *buf, size_t size);

/* Writes a line chart as plain SVG: rate (left axis, logarithmic when it
 * spans more than two decades) and fidelity (right axis) against x, with
 * axes, ticks, grid, labels, a title and a legend. Points whose value is not
 * finite (or a rate <= 0 on a log axis) are left out of their line. */
void netcli_write_sweep_svg(FILE *out, const char *title, const char *x_label, const double *x,
                            const double *rate, const double *fidelity, size_t n);

#endif
