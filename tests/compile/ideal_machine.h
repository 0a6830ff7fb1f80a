/* Test helper: machines of ideal modules and links for the compiler tests. */
#ifndef TSR_TEST_IDEAL_MACHINE_H
#define TSR_TEST_IDEAL_MACHINE_H

#include <stdio.h>

#include "tessera/arch.h"
#include "tsr_test.h"

enum { IDEAL_STAR, IDEAL_COMPLETE, IDEAL_LINE };

/* k ideal compute modules m0, m1, ... of `capacity` data qubits and `comm`
 * communication qubits; IDEAL_STAR: each linked to a memory hub "hub",
 * IDEAL_COMPLETE: every pair linked directly, IDEAL_LINE: m_i -- m_i+1.
 * Every link ideal, of `modes` multiplexing modes. */
static inline tsr_arch *ideal_machine(uint32_t k, uint32_t capacity, uint32_t comm, int shape,
                                      uint32_t modes) {
  tsr_error err;
  tsr_arch *a = NULL;
  assert_ok(tsr_arch_new("ideal-test", &a, &err), &err);
  for (uint32_t i = 0; i < k; i++) {
    tsr_module_params p;
    tsr_module_params_ideal(&p, capacity + comm);
    p.communication_qubits = comm;
    char name[16];
    snprintf(name, sizeof name, "m%u", i);
    assert_ok(tsr_arch_add_module(a, name, TSR_ROLE_COMPUTE, &p, NULL, &err), &err);
  }
  if (shape == IDEAL_STAR) {
    tsr_module_params p;
    tsr_module_params_ideal(&p, 2 * k);
    p.communication_qubits = 2 * k;
    assert_ok(tsr_arch_add_module(a, "hub", TSR_ROLE_MEMORY, &p, NULL, &err), &err);
  }
  for (uint32_t i = 0; i < k; i++) {
    for (uint32_t j = i + 1; j <= k; j++) {
      int want = shape == IDEAL_STAR ? j == k : j < k && (shape == IDEAL_COMPLETE || j == i + 1);
      if (!want) continue;
      tsr_link l;
      tsr_link_init(&l, i, j, 0.0);
      l.protocol = TSR_PROTOCOL_IDEAL;
      l.multiplexing = modes;
      assert_ok(tsr_arch_add_link(a, &l, NULL, &err), &err);
    }
  }
  assert_ok(tsr_arch_validate(a, &err), &err);
  return a;
}

#endif
