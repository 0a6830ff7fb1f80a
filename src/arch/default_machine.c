/* The built-in default machine, as the text of examples/machines/default.yaml
 * (the one source of truth for its content; tests/arch/test_machine_file.c
 * checks that this string and the file are byte for byte the same). After
 * editing the file, regenerate the string literal below with
 *
 *   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' \
 *     examples/machines/default.yaml
 *
 * and run clang-format on this file (CI checks the format).
 */
#include <string.h>

#include "tessera/arch.h"

static const char default_yaml[] =
    "# Tessera's built-in default machine: what `tessera run` and `tessera arch` use\n"
    "# when no machine file is given. The library embeds this text\n"
    "# (src/arch/default_machine.c) and a test checks that the two are identical.\n"
    "#\n"
    "# HARQ-style heterogeneous machine (DARPA HARQ: trapped ions, neutral atoms and\n"
    "# superconducting qubits joined by photonic interconnects through diamond quantum\n"
    "# memories, over commercial telecom fibre): two trapped-ion modules, a neutral-atom\n"
    "# array and a superconducting module, each linked to a diamond SiV memory hub, every\n"
    "# photon converted to 1550 nm. Numbers not written here come from the presets\n"
    "# (`tessera arch --presets --sources`). Marks as in physics/README.md: [V] primary\n"
    "# source, [S] secondary, [U] placeholder to override.\n"
    "name: harq-default\n"
    "description: >-\n"
    "  HARQ-style machine: two Ba+ ion traps, a Rb atom array and a heavy-hex\n"
    "  superconducting module linked through a diamond SiV memory hub over 5-12 km\n"
    "  of telecom fibre at 1550 nm\n"
    "\n"
    "modules:\n"
    "  - name: ion-a\n"
    "    preset: ion-ba-nextgen        # Ba+, two-qubit error 8.4e-5 (arXiv:2510.17286) [V]\n"
    "  - name: ion-b\n"
    "    preset: ion-ba-nextgen\n"
    "    qubits: 64                    # a smaller trap of the same kind [U]\n"
    "  - name: atoms\n"
    "    preset: atom-rb               # Rb Rydberg array, CZ F 0.995 (Evered et al. 2023) [V]\n"
    "  - name: sc\n"
    "    preset: sc-heron              # 156-qubit heavy-hex, transducer efficiency 1e-2 [V]\n"
    "\n"
    "nodes:\n"
    "  - name: hub\n"
    "    preset: diamond-siv           # SiV electron + 29Si memory (Knaut et al., Nature 2024) "
    "[V]\n"
    "    qubits: 8                     # four SiV centres, each an electron and a nuclear memory "
    "[U]\n"
    "    connectivity: all-to-all      # swaps between any two memories of the hub [U]\n"
    "    communication:\n"
    "      qubits: 4                   # the four electron spins [U]\n"
    "      # A heralded pair waits in the 29Si nuclear memory, not the electron\n"
    "      # (T2 13 ms): second-long entanglement storage (Knaut et al., Nature 629,\n"
    "      # 573 (2024)) [V]; T1 of the nuclear spin [U].\n"
    "      t1: 10 s\n"
    "      t2: 1 s\n"
    "\n"
    "# Every module sends its photon to the hub, where the detectors sit; both photons\n"
    "# of a pair must reach the Bell-state measurement at the same wavelength.\n"
    "links:\n"
    "  - between: [ion-a, hub]\n"
    "    length: 5 km\n"
    "    station: hub\n"
    "    protocol: two-photon\n"
    "    conversion:\n"
    "      ion-a:                      # Ba+ 493 nm to telecom in two stages (IonQ 2025) [S]\n"
    "        - {to: 850 nm, efficiency: 0.5, noise_photons: 1e-4}     # per-stage numbers [U]\n"
    "        - {to: 1550 nm, efficiency: 0.5, noise_photons: 1e-4}\n"
    "      hub: &siv-to-telecom        # SiV 737 nm, low-noise conversion (Knaut et al. 2024) "
    "[V];\n"
    "        - {to: 1550 nm, efficiency: 0.3, noise_photons: 1e-5}    # efficiency and noise [U]\n"
    "  - between: [ion-b, hub]\n"
    "    length: 7 km\n"
    "    station: hub\n"
    "    conversion:\n"
    "      ion-b:\n"
    "        - {to: 850 nm, efficiency: 0.5, noise_photons: 1e-4}\n"
    "        - {to: 1550 nm, efficiency: 0.5, noise_photons: 1e-4}\n"
    "      hub: *siv-to-telecom\n"
    "  - between: [atoms, hub]\n"
    "    length: 10 km\n"
    "    station: hub\n"
    "    conversion:\n"
    "      atoms:                      # Rb 780 nm to telecom, 57 % device efficiency [V]\n"
    "        - {to: 1550 nm, efficiency: 0.57, noise_photons: 1e-4}   # noise [U]\n"
    "      hub: *siv-to-telecom\n"
    "  - between: [sc, hub]\n"
    "    length: 12 km                 # the transducer already emits at 1550 nm\n"
    "    station: hub\n"
    "    conversion:\n"
    "      hub: *siv-to-telecom\n";

const char *tsr_arch_default_yaml(void) {
  return default_yaml;
}

tsr_status tsr_arch_default(tsr_arch **out, tsr_error *err) {
  tsr_status st =
      tsr_arch_load_string(default_yaml, sizeof default_yaml - 1, "<default>", out, err);
  if (st != TSR_OK) tsr_error_prefix(err, "built-in default machine");
  return st;
}
