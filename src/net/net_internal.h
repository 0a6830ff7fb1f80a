/* Shared inside the net layer: the prepared network and the helpers the
 * protocol, the routing and the report use. */
#ifndef TESSERA_NET_INTERNAL_H
#define TESSERA_NET_INTERNAL_H

#include "tessera/net.h"

/* One neighbour of a module in the link graph. */
typedef struct net_adj {
  uint32_t node;
  uint32_t link;
} net_adj;

struct tsr_net {
  const tsr_arch *arch;
  size_t n_links;
  tsr_link_performance *perf; /* per link */
  size_t *adj_start;          /* n_modules + 1 offsets into adj (CSR) */
  net_adj *adj;               /* 2 n_links entries, sorted by (module, neighbour) */
};

/* The local-operation noise of a module in the model of tsr_local_noise:
 * gate_error = 4/3 (1 - F_2q) (the depolarizing probability whose average
 * gate fidelity is F_2q on two qubits), meas_error = 1 - F_readout (at most
 * 1/2), both clamped to their ranges. */
tsr_local_noise tsr__net_module_noise(const tsr_module_params *p);

/* The Bell-state-measurement (or purification round) duration of a module:
 * its two-qubit gate plus readout. */
double tsr__net_module_op_time(const tsr_module_params *p);

/* Storage of a Bell-diagonal pair, qubit A in memory ma for ta seconds and B
 * in mb for tb (NULL: no decay): tsr_bell_decohere in closed form. Amplitude
 * damping (gamma = 1 - exp(-t/T1)) moves population from |1> to |0> of each
 * qubit and every coherence of a qubit decays by exp(-t/T2); projected back
 * onto the Bell basis this gives, with a = (Phi+ + Phi-)/2,
 * b = (Psi+ + Psi-)/2, c = (Phi+ - Phi-)/2, d = (Psi+ - Psi-)/2 and the
 * populations P00 .. P11 after damping,
 *   Phi+- = (P00 + P11)/2 +- c eA eB,   Psi+- = (P01 + P10)/2 +- d eA eB.
 * The result is renormalised (rounding). tests/net checks it against
 * tsr_bell_decohere. */
tsr_bell tsr__net_bell_store(const tsr_bell *in, const tsr_coherence *ma, double ta,
                             const tsr_coherence *mb, double tb);

/* Divides the coefficients by their sum (keeps long chains of operations
 * from drifting away from a probability vector by rounding). */
void tsr__net_bell_normalise(tsr_bell *b);

#endif
