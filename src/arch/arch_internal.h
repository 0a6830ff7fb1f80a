/* Arch internals shared by the layer's files: link defaults, the checks a
 * machine must pass (reported with the machine-file key that failed, so the
 * loader can point at the offending node), and did-you-mean suggestions. */
#ifndef TSR_ARCH_INTERNAL_H
#define TSR_ARCH_INTERNAL_H

#include "tessera/arch.h"

/* Default two-photon interference visibility of a link and its citation. */
#define TSR_ARCH_DEFAULT_VISIBILITY 0.88
const char *tsr_arch_visibility_source(void);

/* Default detectors at the station for photons of this wavelength: SNSPDs
 * for telecom (>= 1000 nm), visible-range detectors below. */
void tsr_arch_detector_default(double wavelength_m, tsr_detector *d, const char **source);

/* A rule a machine broke: which module or link, and which machine-file key
 * ("gate_2q.fidelity", "coherence.t2", "communication.qubits", "between",
 * "conversion", ...; "" for the entry as a whole). */
typedef struct tsr_arch_problem {
  int64_t module; /* index, or -1 */
  int64_t link;   /* index, or -1 */
  const char *field;
  char message[TSR_ERROR_MESSAGE_MAX - 64];
} tsr_arch_problem;

/* Checks one module; returns 1 and fills p when a rule is broken, else 0. */
int tsr_arch_check_module(const tsr_arch *arch, size_t index, tsr_arch_problem *p);
/* Checks one link (its ends must already be in arch); 1 and p on a problem. */
int tsr_arch_check_link(const tsr_arch *arch, size_t index, tsr_arch_problem *p);

/* Resolves a link's derived fields (fibre wavelengths, attenuation, detector
 * defaults, attempt period) as tsr_arch_add_link documents. */
void tsr_arch_resolve_link(const tsr_arch *arch, tsr_link *link);

/* The candidate closest to word by edit distance, when close enough to be a
 * likely typo (distance <= max(1, len/3)); NULL otherwise. */
const char *tsr_arch_suggest(const char *word, const char *const *candidates, size_t n);

/* Formats a length, time, rate or wavelength for people ("5 km", "970 us",
 * "1550 nm"); returns buf. */
const char *tsr_arch_format_length(double m, char *buf, size_t size);
const char *tsr_arch_format_time(double s, char *buf, size_t size);

#endif
