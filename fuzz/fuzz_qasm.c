/* libFuzzer target for the OpenQASM reader: any bytes in, a circuit or an
 * error out, never a crash, a leak or a hang. Limits are lowered so that a
 * few kilobytes of input cannot ask for millions of operations. */
#include <stddef.h>
#include <stdint.h>

#include "tessera/circuit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tsr_qasm_read_options opts = {.max_ops = 1u << 16, .max_qubits = 1u << 12};
  tsr_circuit *c = NULL;
  tsr_error err;
  /* No file name: includes of real files stay out of reach. */
  if (tsr_qasm_read_string_ex((const char *)data, size, NULL, &opts, &c, &err) == TSR_OK) {
    tsr_circuit_free(c);
  }
  opts.strict_operands = 1;
  if (tsr_qasm_read_string_ex((const char *)data, size, NULL, &opts, &c, &err) == TSR_OK) {
    tsr_circuit_free(c);
  }
  return 0;
}
