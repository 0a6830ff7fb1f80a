/* The link model's parameters from the machine model: tsr_link_physics
 * filled from an arch link, its two modules and its station. */
#include <math.h>

#include "tessera/link.h"

tsr_status tsr_link_physics_from_arch(const tsr_arch *arch, size_t link_index, tsr_link_physics *lp,
                                      tsr_error *err) {
  if (link_index >= arch->n_links)
    return tsr_error_set(err, TSR_ERR_VALUE, "link %zu does not exist (the machine has %zu)",
                         link_index, arch->n_links);
  const tsr_link *link = &arch->links[link_index];
  tsr_link_physics_default(lp);
  lp->protocol = link->protocol;
  for (int i = 0; i < 2; i++) {
    const tsr_link_end *end = &link->ends[i];
    if (end->module >= arch->n_modules)
      return tsr_error_set(err, TSR_ERR_VALUE, "link %zu end %d names module %u, which is absent",
                           link_index, i, (unsigned)end->module);
    const tsr_module_params *mp = &arch->modules[end->module].params;
    const tsr_photon_interface *ph = &mp->photon;
    tsr_link_node *n = &lp->node[i];
    n->p_emit = ph->emission_probability;
    n->eta_collect = ph->collection_efficiency;
    if (!(n->eta_collect >= 0) && ph->numerical_aperture > 0)
      n->eta_collect = tsr_collection_from_na(ph->numerical_aperture);
    n->prep_time_s = ph->emission_time_s;
    n->g2 = ph->g2;
    if (ph->has_cavity) {
      if (isnan(ph->cavity_cooperativity)) {
        n->reflectivity = ph->cavity_reflectivity;
        n->reflect_fidelity = ph->cavity_fidelity;
      } else {
        tsr_cavity_reflection cr;
        tsr_status st = tsr_cavity_reflection_from_cooperativity(ph->cavity_cooperativity,
                                                                 ph->cavity_in_coupling, &cr, err);
        if (st) return st;
        n->reflectivity = cr.reflectivity;
        n->reflect_fidelity = cr.fidelity;
      }
    }
    n->n_conversion = 0;
    if (ph->has_transducer) {
      n->eta_conversion[0] = ph->transducer_efficiency;
      n->conversion_noise[0] = ph->transducer_noise_photons;
      n->n_conversion = 1;
    }
    if (end->n_conversion > TSR_ARCH_MAX_CONVERSION_STAGES)
      return tsr_error_set(err, TSR_ERR_VALUE, "link %zu end %d has %u conversion stages",
                           link_index, i, (unsigned)end->n_conversion);
    for (uint32_t k = 0; k < end->n_conversion; k++) {
      n->eta_conversion[n->n_conversion] = end->conversion[k].efficiency;
      n->conversion_noise[n->n_conversion] = end->conversion[k].noise_photons;
      n->n_conversion++;
    }
    n->eta_det = link->detector.efficiency;
    n->fibre_length_m = end->arm_length_m;
    n->attenuation_db_per_km = end->attenuation_db_per_km;
    n->memory = mp->communication_coherence;
    if (link->bright_state_weight > 0) n->bright_alpha = link->bright_state_weight;
  }
  lp->group_index = TSR_FIBRE_GROUP_INDEX;
  lp->hom_visibility = link->visibility;
  lp->dark_count_rate_hz = link->detector.dark_count_rate_hz;
  lp->detection_window_s = link->detector.window_s;
  /* A period arch derived is derived again here, where the protocol is known
   * (the reflection protocol's photon visits both ends). */
  lp->attempt_period_s =
      !link->attempt_period_derived && link->attempt_period_s > 0 ? link->attempt_period_s : 0.0;
  /* Nothing to derive a period from (ideal modules without emission time or
   * fibre, e.g. pytket-dqc networks): keep arch's nominal period (1 us). */
  if (lp->attempt_period_s == 0 && !(lp->node[0].prep_time_s > 0) &&
      !(lp->node[1].prep_time_s > 0) && !(lp->node[0].fibre_length_m > 0) &&
      !(lp->node[1].fibre_length_m > 0))
    lp->attempt_period_s = link->attempt_period_s > 0 ? link->attempt_period_s : 1e-6;
  lp->multiplexing = link->multiplexing ? link->multiplexing : 1;
  return TSR_OK;
}
