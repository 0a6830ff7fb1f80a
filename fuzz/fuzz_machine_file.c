/* libFuzzer target for the machine-file loader (YAML and pytket-dqc JSON):
 * any input must load or be refused with a located message, never crash,
 * leak or hang; a machine that loads must pass validation and print. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tessera/arch.h"

static void check(const uint8_t *data, size_t size, const char *name) {
  tsr_arch *arch = NULL;
  tsr_error err;
  tsr_error_clear(&err);
  tsr_status st = tsr_arch_load_string((const char *)data, size, name, &arch, &err);
  if (st != TSR_OK) {
    /* Refusals of input carry a location and a message. */
    if (arch || !err.message[0]) __builtin_trap();
    if (st == TSR_ERR_INPUT && (err.line < 1 || err.col < 1)) __builtin_trap();
    return;
  }
  if (tsr_arch_validate(arch, &err) != TSR_OK) __builtin_trap();
  FILE *sink = fopen("/dev/null", "w");
  if (sink) {
    tsr_json *j = tsr_json_new(sink, 0);
    if (j) {
      tsr_arch_write_json(arch, j, &err);
      tsr_json_free(j);
    }
    tsr_arch_write_dot(arch, sink, &err);
    fclose(sink);
  }
  tsr_arch_free(arch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  check(data, size, "fuzz.yaml");
  check(data, size, "fuzz.json"); /* JSON mode, pytket-dqc networks */
  return 0;
}
