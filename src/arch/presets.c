/* Arch presets: one module class per entry, every number with its source.
 *
 * The numbers come from ../shared/physics/README.md (§3 components, §4
 * modalities), which collects them with marks: [V] read in the primary source
 * or the vendor's own page, [S] secondary (review, news, third-party data),
 * [U] a typical value not confirmed in a source, a placeholder a user should
 * override in the machine file. Each preset carries one citation string per
 * parameter group (tsr_param_group) naming the source of each of its numbers.
 * Error rates quoted in a source become fidelities here as 1 - error.
 *
 * Also here: the default fibre attenuation per wavelength (physics/README
 * §3), the photon-collection formula for a lens of given NA, and the link
 * defaults (detectors, visibility). */
#include <math.h>
#include <string.h>

#include "arch_internal.h"

/* ---------------------------------------------------------------- helpers */

double tsr_collection_from_na(double na) {
  if (!(na >= 0.0 && na <= 1.0)) return NAN;
  /* Dipole pattern (3/8pi)(1 - sin^2(theta) cos^2(phi)) integrated over a cone
   * of half-angle asin(na) around an axis perpendicular to the dipole. */
  double c = sqrt(1.0 - na * na);
  return 0.5 - 3.0 * c / 8.0 - c * c * c / 8.0;
}

#define US 1e-6
#define NS 1e-9
#define MS 1e-3
#define NM 1e-9

/* Photon-collection lens used where a preset has no published collection
 * figure: NA 0.6, giving 0.136 of the photons (physics/README §3 table). */
#define NA_PLACEHOLDER            0.6
#define NA_PLACEHOLDER_COLLECTION 0.136 /* tsr_collection_from_na(0.6); a test checks it */
#define NA_SOURCE                                                                                  \
  "NA 0.6 lens [U] -> collection 0.136 (dipole formula, physics/README §3 [derived])"

/* Multi-photon emission: every preset has g2(0) = 0 (ideal single photons).
 * Trapped ions are close to that: 138Ba+ under pulsed excitation gives
 * g2(0) = 8.1e-5 (Crocker et al., arXiv:1812.01749 (2019)) [V]. */
#define G2_ION_SOURCE                                                                              \
  "g2(0) 0: ions are near 0, 8.1e-5 measured for 138Ba+ (Crocker et al., arXiv:1812.01749) [V]"
#define G2_SOURCE "g2(0) 0, ideal single photons [U]"

/* Per-attempt time for ion photon generation: Stephenson et al., PRL 124,
 * 110501 (2020) report an effective attempt rate of ~0.83 MHz (physics/README
 * §1 L1), i.e. ~1.2 us per attempt. */
#define ION_EMISSION_TIME (1.2 * US)

/* ---------------------------------------------------------------- presets */

static const tsr_preset presets[] = {
    /* ------------------------------------------------------ trapped ions */
    {
        .name = "ion-forte",
        .summary = "trapped ion, IonQ Forte-class (171Yb+), 36 qubits, all-to-all",
        .params =
            {
                .modality = TSR_MODALITY_TRAPPED_ION,
                .qubits = 36,
                .n_native_gates = 4,
                .native_gates = {"gpi", "gpi2", "ms", "zz"},
                .gate_1q = {0.9998, 130 * US},
                .gate_2q = {0.9941, 970 * US},
                .readout = {0.9962, 150 * US},
                .reset = {0.999, 20 * US},
                .coherence = {100.0, 1.0},
                .connectivity = {TSR_TOPOLOGY_ALL_TO_ALL, 0, 0, 0.0},
                .communication_qubits = 2,
                .communication_coherence = {100.0, 1.0},
                .photon = {.wavelength_m = 369.5 * NM,
                           .emission_probability = 1.0,
                           .emission_time_s = ION_EMISSION_TIME,
                           .collection_efficiency = NA_PLACEHOLDER_COLLECTION,
                           .numerical_aperture = NA_PLACEHOLDER},
            },
        .sources =
            {
                [TSR_PARAM_QUBITS] = "36 qubits: IonQ Forte (physics/README §4) [V]",
                [TSR_PARAM_NATIVE_GATES] =
                    "GPi, GPi2, MS or ZZ: IonQ native gate set (physics/README §4) [V]",
                [TSR_PARAM_GATE_1Q] = "F 0.9998, 130 us: Amazon Braket Forte device properties "
                                      "(physics/README §4) [S]",
                [TSR_PARAM_GATE_2Q] = "F 0.9941, 970 us: Amazon Braket Forte device properties "
                                      "(physics/README §4) [S]",
                [TSR_PARAM_READOUT] = "F 0.9962, 150 us: Amazon Braket Forte device properties "
                                      "(physics/README §4) [S]",
                [TSR_PARAM_RESET] = "F 0.999, 20 us (optical pumping): placeholder [U]",
                [TSR_PARAM_COHERENCE] = "T1 100 s, T2 1 s: Amazon Braket Forte device properties "
                                        "(physics/README §4) [S]",
                [TSR_PARAM_CONNECTIVITY] = "all-to-all: IonQ Forte (physics/README §4) [S]",
                [TSR_PARAM_COMMUNICATION] = "2 communication qubits: placeholder [U]; their "
                                            "coherence as the data qubits [S]",
                [TSR_PARAM_PHOTON] =
                    "369.5 nm (171Yb+ S1/2-P1/2; physics/README §3) [V]; emission probability 1 "
                    "[U]; "
                    "1.2 us per attempt from the 0.83 MHz effective attempt rate of Stephenson et "
                    "al., "
                    "PRL 124, 110501 (2020) (physics/README §1 L1) [S]; " NA_SOURCE
                    "; " G2_ION_SOURCE,
            },
    },
    {
        .name = "ion-aria",
        .summary = "trapped ion, IonQ Aria-class (171Yb+), 25 qubits, all-to-all",
        .params =
            {
                .modality = TSR_MODALITY_TRAPPED_ION,
                .qubits = 25,
                .n_native_gates = 3,
                .native_gates = {"gpi", "gpi2", "ms"},
                .gate_1q = {0.9995, 135 * US},
                .gate_2q = {0.996, 600 * US},
                .readout = {0.9961, 150 * US},
                .reset = {0.999, 20 * US},
                .coherence = {10.0, 1.0},
                .connectivity = {TSR_TOPOLOGY_ALL_TO_ALL, 0, 0, 0.0},
                .communication_qubits = 2,
                .communication_coherence = {10.0, 1.0},
                .photon = {.wavelength_m = 369.5 * NM,
                           .emission_probability = 1.0,
                           .emission_time_s = ION_EMISSION_TIME,
                           .collection_efficiency = NA_PLACEHOLDER_COLLECTION,
                           .numerical_aperture = NA_PLACEHOLDER},
            },
        .sources =
            {
                [TSR_PARAM_QUBITS] =
                    "25 qubits: Azure Quantum IonQ Aria docs (physics/README §4) [V]",
                [TSR_PARAM_NATIVE_GATES] =
                    "GPi, GPi2, MS: IonQ native gate set (physics/README §4) [V]",
                [TSR_PARAM_GATE_1Q] =
                    "F 0.9995, 135 us: Azure Quantum IonQ Aria docs (physics/README §4) [V]",
                [TSR_PARAM_GATE_2Q] =
                    "F 0.996, 600 us: Azure Quantum IonQ Aria docs (physics/README §4) [V]",
                [TSR_PARAM_READOUT] = "F 0.9961: Azure Quantum IonQ Aria docs (physics/README §4) "
                                      "[V]; 150 us as Forte [U]",
                [TSR_PARAM_RESET] = "F 0.999, 20 us (optical pumping): placeholder [U]",
                [TSR_PARAM_COHERENCE] =
                    "T1 10 s (lower end of 10-100 s), T2 1 s: Azure Quantum IonQ "
                    "Aria docs (physics/README §4) [V]",
                [TSR_PARAM_CONNECTIVITY] = "all-to-all: Azure Quantum IonQ Aria docs "
                                           "(physics/README §4) [V]",
                [TSR_PARAM_COMMUNICATION] = "2 communication qubits: placeholder [U]; their "
                                            "coherence as the data qubits [V]",
                [TSR_PARAM_PHOTON] =
                    "369.5 nm (171Yb+ S1/2-P1/2; physics/README §3) [V]; emission probability 1 "
                    "[U]; "
                    "1.2 us per attempt from Stephenson et al., PRL 124, 110501 (2020) "
                    "(physics/README §1 L1) [S]; " NA_SOURCE "; " G2_ION_SOURCE,
            },
    },
    {
        .name = "ion-ba-nextgen",
        .summary = "trapped ion, next generation (Ba+, electronic qubit control), ~100 qubits, "
                   "99.99 % two-qubit gates",
        .params =
            {
                .modality = TSR_MODALITY_TRAPPED_ION,
                .qubits = 100,
                .n_native_gates = 3,
                .native_gates = {"gpi", "gpi2", "ms"},
                .gate_1q = {0.9999916, 20 * US},
                .gate_2q = {0.999916, 300 * US},
                .readout = {0.9995, 200 * US},
                .reset = {0.999, 20 * US},
                .coherence = {100.0, 1.0},
                .connectivity = {TSR_TOPOLOGY_ALL_TO_ALL, 0, 0, 0.0},
                .communication_qubits = 2,
                .communication_coherence = {100.0, 1.0},
                .photon = {.wavelength_m = 493.0 * NM,
                           .emission_probability = 1.0,
                           .emission_time_s = ION_EMISSION_TIME,
                           .collection_efficiency = NA_PLACEHOLDER_COLLECTION,
                           .numerical_aperture = NA_PLACEHOLDER},
            },
        .sources =
            {
                [TSR_PARAM_QUBITS] =
                    "~100 qubits: next-generation Ba+ system (physics/README §4) [S]",
                [TSR_PARAM_NATIVE_GATES] = "GPi, GPi2, MS: IonQ native gate set assumed "
                                           "(physics/README §4) [U]",
                [TSR_PARAM_GATE_1Q] =
                    "F 0.9999916 (physics/README §4) [V]/[S]; 20 us placeholder [U]",
                [TSR_PARAM_GATE_2Q] =
                    "F 0.999916 (error 8.4e-5, arXiv:2510.17286; physics/README §4) "
                    "[V]; 300 us placeholder [U]",
                [TSR_PARAM_READOUT] =
                    "F 0.9995, 200 us: placeholder [U] (physics/README §4 has none)",
                [TSR_PARAM_RESET] = "F 0.999, 20 us (optical pumping): placeholder [U]",
                [TSR_PARAM_COHERENCE] =
                    "T1 100 s, T2 1 s: placeholder [U] (physics/README §4 has none)",
                [TSR_PARAM_CONNECTIVITY] = "all-to-all (physics/README §4) [S]",
                [TSR_PARAM_COMMUNICATION] = "2 communication qubits: placeholder [U]",
                [TSR_PARAM_PHOTON] =
                    "493 nm (Ba+ P1/2-S1/2, converted to telecom in two stages by IonQ 2025; "
                    "physics/README §3) [S]; emission probability 1 [U]; 1.2 us per attempt from "
                    "Stephenson et al., PRL 124, 110501 (2020) (physics/README §1 L1) "
                    "[S]; " NA_SOURCE "; " G2_ION_SOURCE,
            },
    },
    {
        .name = "ion-helios",
        .summary = "trapped ion, Quantinuum Helios-class (137Ba+), 98 qubits, all-to-all by "
                   "transport",
        .params =
            {
                .modality = TSR_MODALITY_TRAPPED_ION,
                .qubits = 98,
                .n_native_gates = 3,
                .native_gates = {"rz", "r", "zz"},
                .gate_1q = {1.0 - 2.5e-5, 10 * US},
                .gate_2q = {1.0 - 7.9e-4, 100 * US},
                .readout = {1.0 - 4.8e-4, 100 * US},
                .reset = {0.999, 20 * US},
                .coherence = {100.0, 1.0},
                .connectivity = {TSR_TOPOLOGY_ALL_TO_ALL, 0, 0, 0.0},
                .communication_qubits = 2,
                .communication_coherence = {100.0, 1.0},
                .photon = {.wavelength_m = 493.0 * NM,
                           .emission_probability = 1.0,
                           .emission_time_s = ION_EMISSION_TIME,
                           .collection_efficiency = NA_PLACEHOLDER_COLLECTION,
                           .numerical_aperture = NA_PLACEHOLDER},
            },
        .sources =
            {
                [TSR_PARAM_QUBITS] = "98 qubits: Quantinuum Helios, arXiv:2511.05465 "
                                     "(physics/README §4) [V]",
                [TSR_PARAM_NATIVE_GATES] =
                    "Rz, R(theta, phi), ZZ: Quantinuum native gate set (physics/README §4) [V]",
                [TSR_PARAM_GATE_1Q] = "error 2.5e-5: arXiv:2511.05465 (physics/README §4) [V]; "
                                      "10 us placeholder [U]",
                [TSR_PARAM_GATE_2Q] = "error 7.9e-4: arXiv:2511.05465 (physics/README §4) [V]; "
                                      "100 us incl. transport, placeholder [U]",
                [TSR_PARAM_READOUT] = "error 4.8e-4: arXiv:2511.05465 (physics/README §4) [V]; "
                                      "100 us placeholder [U]",
                [TSR_PARAM_RESET] = "F 0.999, 20 us (optical pumping): placeholder [U]",
                [TSR_PARAM_COHERENCE] =
                    "T1 100 s, T2 1 s: placeholder [U] (physics/README §4 has none)",
                [TSR_PARAM_CONNECTIVITY] =
                    "all-to-all by ion transport: arXiv:2511.05465 (physics/README §4) [V]",
                [TSR_PARAM_COMMUNICATION] = "2 communication qubits: placeholder [U]",
                [TSR_PARAM_PHOTON] =
                    "493 nm (137Ba+ P1/2-S1/2; physics/README §3) [S]; emission probability 1 [U]; "
                    "1.2 us per attempt from Stephenson et al., PRL 124, 110501 (2020) "
                    "(physics/README §1 L1) [S]; " NA_SOURCE "; " G2_ION_SOURCE,
            },
    },
    /* ----------------------------------------------------- neutral atoms */
    {
        .name = "atom-rb",
        .summary = "neutral atom, Rb Rydberg array: CZ, global rotations, reconfigurable by atom "
                   "moves",
        .params =
            {
                .modality = TSR_MODALITY_NEUTRAL_ATOM,
                .qubits = 256,
                .n_native_gates = 3,
                .native_gates = {"rz", "gr", "cz"},
                .gate_1q = {0.9998, 1 * US},
                .gate_2q = {0.995, 0.25 * US},
                .readout = {0.999, 1 * MS},
                .reset = {0.999, 100 * US},
                .coherence = {4.0, 1.5},
                .connectivity = {TSR_TOPOLOGY_RECONFIGURABLE, 0, 0, 200 * US},
                .communication_qubits = 4,
                .communication_coherence = {4.0, 1.5},
                .photon = {.wavelength_m = 780.0 * NM,
                           .emission_probability = 1.0,
                           .emission_time_s = 1 * US,
                           .collection_efficiency = 0.0941,
                           .numerical_aperture = 0.5},
            },
        .sources =
            {
                [TSR_PARAM_QUBITS] = "256 qubits: within the 100s-1000s of physics/README §4 "
                                     "(6,100 atoms trapped) [U]",
                [TSR_PARAM_NATIVE_GATES] = "Rz, global R(theta, phi), CZ (physics/README §4) [V]",
                [TSR_PARAM_GATE_1Q] = "F 0.9998 (physics/README §4) [V]/[S]; 1 us placeholder [U]",
                [TSR_PARAM_GATE_2Q] = "CZ F 0.995: Evered et al., Nature 622, 268 (2023) "
                                      "(physics/README §4) [V]; 0.25 us (0.25-0.5 us) [U]",
                [TSR_PARAM_READOUT] = "F 0.999, 1 ms (physics/README §4: >0.999 / ms) [U]",
                [TSR_PARAM_RESET] = "F 0.999, 100 us (optical pumping): placeholder [U]",
                [TSR_PARAM_COHERENCE] = "T1 4 s, T2 1.5 s (lower end of 1.5-12.6 s) "
                                        "(physics/README §4) [V]/[S]",
                [TSR_PARAM_CONNECTIVITY] = "reconfigurable by atom moves, 200 us per move (of "
                                           "100-500 us; physics/README §4) [U]",
                [TSR_PARAM_COMMUNICATION] = "4 communication qubits: placeholder [U]",
                [TSR_PARAM_PHOTON] =
                    "780 nm (87Rb D2; van Leent et al., Nature 607, 69 (2022), physics/README §1 "
                    "L3) "
                    "[V]; emission probability 1, 1 us per attempt [U]; NA 0.5 lens [U] -> "
                    "collection 0.094 (dipole formula, physics/README §3 [derived]); " G2_SOURCE,
            },
    },
    /* --------------------------------------------------- superconducting */
    {
        .name = "sc-heron",
        .summary = "superconducting, IBM Heron r3-class, 156 qubits, heavy-hex, optical link by "
                   "transducer",
        .params =
            {
                .modality = TSR_MODALITY_SUPERCONDUCTING,
                .qubits = 156,
                .n_native_gates = 4,
                .native_gates = {"rz", "sx", "x", "cz"},
                .gate_1q = {1.0 - 2e-4, 32 * NS},
                .gate_2q = {1.0 - 1.5e-3, 68 * NS},
                .readout = {1.0 - 5e-3, 2.2 * US},
                .reset = {0.99, 1 * US},
                .coherence = {290 * US, 320 * US},
                .connectivity = {TSR_TOPOLOGY_HEAVY_HEX, 8, 16, 0.0},
                .communication_qubits = 1,
                .communication_coherence = {290 * US, 320 * US},
                .photon = {.wavelength_m = 1550.0 * NM,
                           .emission_probability = 1.0,
                           .emission_time_s = 1 * US,
                           .collection_efficiency = 1.0,
                           .has_transducer = 1,
                           .transducer_efficiency = 1e-2,
                           .transducer_noise_photons = 1.0},
            },
        .sources =
            {
                [TSR_PARAM_QUBITS] = "156 qubits: IBM Heron r3 (physics/README §4) [V]",
                [TSR_PARAM_NATIVE_GATES] = "Rz, SX, X, CZ: IBM Heron (physics/README §4) [V]",
                [TSR_PARAM_GATE_1Q] =
                    "error 2e-4 (upper end of 1.4e-4-2e-4), 32 ns: IBM calibration "
                    "snapshots (physics/README §4) [V]",
                [TSR_PARAM_GATE_2Q] = "CZ error 1.5e-3 (upper end of 1.3e-3-1.5e-3), 68 ns: IBM "
                                      "calibration snapshots (physics/README §4) [V]",
                [TSR_PARAM_READOUT] = "error 0.5 %, 2.2 us: IBM calibration snapshots "
                                      "(physics/README §4) [V]",
                [TSR_PARAM_RESET] = "F 0.99, 1 us (active reset): placeholder [U]",
                [TSR_PARAM_COHERENCE] = "T1 290 us, T2 320 us: IBM calibration snapshots "
                                        "(physics/README §4) [V]",
                [TSR_PARAM_CONNECTIVITY] =
                    "heavy-hex, degree <= 3 (physics/README §4) [V]; 156-qubit layout as 8 rows of "
                    "16 "
                    "joined by 4 bridge qubits per gap (IBM Heron r2/r3 family) [S]",
                [TSR_PARAM_COMMUNICATION] = "1 communication qubit (one transducer port): "
                                            "placeholder [U]",
                [TSR_PARAM_PHOTON] =
                    "transducer efficiency 1e-2 with ~1 added noise photon: arXiv:2407.08879, "
                    "2507.09873 (physics/README §3, pessimistic end) [V]; optical output 1550 nm, "
                    "1 us per attempt, emission probability 1, fibre coupling counted in the "
                    "transducer efficiency [U]; " G2_SOURCE,
            },
    },
    {
        .name = "sc-willow",
        .summary = "superconducting, Google Willow-class, 105 qubits, square grid, optical link by "
                   "transducer",
        .params =
            {
                .modality = TSR_MODALITY_SUPERCONDUCTING,
                .qubits = 105,
                .n_native_gates = 3,
                .native_gates = {"rz", "sx", "cz"},
                .gate_1q = {1.0 - 3.5e-4, 25 * NS},
                .gate_2q = {1.0 - 3.3e-3, 50 * NS},
                .readout = {1.0 - 7.7e-3, 300 * NS},
                .reset = {0.99, 1 * US},
                .coherence = {68 * US, 100 * US},
                .connectivity = {TSR_TOPOLOGY_GRID, 7, 15, 0.0},
                .communication_qubits = 1,
                .communication_coherence = {68 * US, 100 * US},
                .photon = {.wavelength_m = 1550.0 * NM,
                           .emission_probability = 1.0,
                           .emission_time_s = 1 * US,
                           .collection_efficiency = 1.0,
                           .has_transducer = 1,
                           .transducer_efficiency = 1e-2,
                           .transducer_noise_photons = 1.0},
            },
        .sources =
            {
                [TSR_PARAM_QUBITS] = "105 qubits: Google Willow (physics/README §4) [S]",
                [TSR_PARAM_NATIVE_GATES] = "Rz, sqrt(X), CZ: Google (physics/README §4) [S]",
                [TSR_PARAM_GATE_1Q] = "error 3.5e-4, ~25 ns (physics/README §4) [U]/[S]",
                [TSR_PARAM_GATE_2Q] = "CZ error 3.3e-3, 50 ns (of 40-60 ns) (physics/README §4) "
                                      "[U]/[S]",
                [TSR_PARAM_READOUT] = "error 0.77 %, 300 ns (of 200-400 ns) (physics/README §4) "
                                      "[U]/[S]",
                [TSR_PARAM_RESET] = "F 0.99, 1 us (active reset): placeholder [U]",
                [TSR_PARAM_COHERENCE] = "T1 68 us, T2 100 us: the ~68-100 us of physics/README §4 "
                                        "[U]/[S]",
                [TSR_PARAM_CONNECTIVITY] =
                    "square grid (physics/README §4) [S]; laid out as 7 x 15 sites, the real chip "
                    "being a diamond-shaped patch of the lattice [U]",
                [TSR_PARAM_COMMUNICATION] = "1 communication qubit (one transducer port): "
                                            "placeholder [U]",
                [TSR_PARAM_PHOTON] =
                    "transducer efficiency 1e-2 with ~1 added noise photon: arXiv:2407.08879, "
                    "2507.09873 (physics/README §3, pessimistic end) [V]; optical output 1550 nm, "
                    "1 us per attempt, emission probability 1, fibre coupling counted in the "
                    "transducer efficiency [U]; " G2_SOURCE,
            },
    },
    /* ------------------------------------------------ diamond colour centres */
    {
        .name = "diamond-siv",
        .summary = "diamond SiV memory node: electron spin (communication) + 29Si nuclear memory",
        .params =
            {
                .modality = TSR_MODALITY_COLOUR_CENTRE,
                .qubits = 2,
                .n_native_gates = 3,
                .native_gates = {"r", "rz", "cx"},
                .gate_1q = {0.99, 50 * NS},
                .gate_2q = {0.98, 1 * US},
                .readout = {0.89, 10 * US},
                .reset = {0.99, 10 * US},
                .coherence = {10.0, 1.0},
                .connectivity = {TSR_TOPOLOGY_STAR, 0, 0, 0.0},
                .communication_qubits = 1,
                .communication_coherence = {1.0, 13 * MS},
                .photon = {.wavelength_m = 737.0 * NM,
                           .emission_probability = 1.0,
                           .emission_time_s = 1 * US,
                           .collection_efficiency = 0.3},
            },
        .sources =
            {
                [TSR_PARAM_QUBITS] =
                    "electron + one 29Si nuclear memory: Knaut et al., Nature 629, "
                    "573 (2024) (physics/README §3) [V]",
                [TSR_PARAM_NATIVE_GATES] = "electron rotations R, Rz; electron-nuclear CX "
                                           "(physics/README §4: electron-nuclear gates) [U]",
                [TSR_PARAM_GATE_1Q] = "F 0.99, 50 ns: placeholder [U]",
                [TSR_PARAM_GATE_2Q] = "electron-nuclear gate F 0.98, 1 us: placeholder [U]",
                [TSR_PARAM_READOUT] = "F 0.89 single shot: Sukachev et al., PRL 119, 223602 (2017) "
                                      "(physics/README §4) [V]; 10 us [U]",
                [TSR_PARAM_RESET] = "F 0.99, 10 us: placeholder [U]",
                [TSR_PARAM_COHERENCE] =
                    "nuclear memory T2 ~1 s, second-long entanglement storage: "
                    "Knaut et al., Nature 629, 573 (2024) (physics/README §3) [V]; "
                    "T1 10 s [U]",
                [TSR_PARAM_CONNECTIVITY] = "star: electron to nuclei (physics/README §4) [V]",
                [TSR_PARAM_COMMUNICATION] = "1 communication qubit, the electron spin: T2 13 ms "
                                            "with dynamical decoupling at "
                                            "100 mK, T1 > 1 s: Sukachev et al., PRL 119, 223602 "
                                            "(2017) (physics/README §3) [V]",
                [TSR_PARAM_PHOTON] =
                    "737 nm SiV zero-phonon line (physics/README §3) [V]; emission "
                    "(reflection) probability 1, 1 us per attempt, 0.3 cavity-to-fibre "
                    "efficiency: placeholders [U]; " G2_SOURCE,
            },
    },
    {
        .name = "diamond-nv",
        .summary = "diamond NV node: electron spin (communication) + nine 13C nuclear memories",
        .params =
            {
                .modality = TSR_MODALITY_COLOUR_CENTRE,
                .qubits = 10,
                .n_native_gates = 3,
                .native_gates = {"r", "rz", "cx"},
                .gate_1q = {0.999, 100 * NS},
                .gate_2q = {0.98, 500 * US},
                .readout = {0.95, 10 * US},
                .reset = {0.99, 10 * US},
                .coherence = {3600.0, 60.0},
                .connectivity = {TSR_TOPOLOGY_STAR, 0, 0, 0.0},
                .communication_qubits = 1,
                .communication_coherence = {3600.0, 1.58},
                .photon = {.wavelength_m = 637.0 * NM,
                           .emission_probability = 0.03,
                           .emission_time_s = 5 * US,
                           .collection_efficiency = 0.1},
            },
        .sources =
            {
                [TSR_PARAM_QUBITS] =
                    "electron + nine 13C: Bradley et al., PRX 9, 031045 (2019), "
                    "\"A ten-qubit solid-state spin register with quantum memory up "
                    "to one minute\" (physics/README §3) [V]",
                [TSR_PARAM_NATIVE_GATES] = "electron rotations R, Rz; electron-nuclear CX "
                                           "(physics/README §4: electron-nuclear gates) [U]",
                [TSR_PARAM_GATE_1Q] = "F 0.999, 100 ns: placeholder [U]",
                [TSR_PARAM_GATE_2Q] = "electron-nuclear gate F 0.98, 500 us: placeholder [U]",
                [TSR_PARAM_READOUT] = "F 0.95, 10 us: placeholder [U]",
                [TSR_PARAM_RESET] = "F 0.99, 10 us: placeholder [U]",
                [TSR_PARAM_COHERENCE] =
                    "13C memory up to a minute (T2 60 s): Bradley et al., PRX 9, "
                    "031045 (2019) (physics/README §3) [V]; T1 1 h [U]",
                [TSR_PARAM_CONNECTIVITY] = "star: electron to nuclei (physics/README §4) [V]",
                [TSR_PARAM_COMMUNICATION] =
                    "1 communication qubit, the electron spin: T2 1.58 s, T1 ~1 h: Abobeih et al., "
                    "Nat. Commun. 9, 2552 (2018) (physics/README §3) [V]",
                [TSR_PARAM_PHOTON] =
                    "637 nm NV zero-phonon line (physics/README §3) [V]; 3 % of emission into the "
                    "zero-phonon line, 5 us per attempt, 0.1 collection (solid-immersion lens): "
                    "placeholders [U]; single-click links as Humphreys et al., Nature 558, 268 "
                    "(2018) "
                    "(physics/README §1 L4); " G2_SOURCE,
            },
    },
};

#define N_PRESETS (sizeof presets / sizeof presets[0])

size_t tsr_preset_count(void) {
  return N_PRESETS;
}

const tsr_preset *tsr_preset_at(size_t i) {
  return i < N_PRESETS ? &presets[i] : NULL;
}

const tsr_preset *tsr_preset_find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < N_PRESETS; i++) {
    if (strcmp(presets[i].name, name) == 0) return &presets[i];
  }
  return NULL;
}

/* ------------------------------------------------------- fibre attenuation */

typedef struct attenuation_row {
  double wavelength_m;
  double db_per_km;
  const char *source;
} attenuation_row;

/* physics/README §3, ordered by wavelength; where the README gives a range we
 * take its middle. */
static const attenuation_row attenuation_table[] = {
    {369.5 * NM, 130.0,
     "369.5 nm: >= 50 dB/km (physics/README §3) [U]; taken as the 422 nm vendor maximum, 130 "
     "dB/km, since loss rises towards the UV"},
    {422.0 * NM, 130.0,
     "422 nm: <= 130 dB/km, vendor maximum at 430 nm for pure-silica fibre (physics/README §3) "
     "[V]"},
    {493.0 * NM, 22.5, "493 nm: 15-30 dB/km (physics/README §3) [U]"},
    {637.0 * NM, 8.0, "637 nm: 6-10 dB/km (physics/README §3) [U]"},
    {737.0 * NM, 4.0, "737 nm: 3-5 dB/km (physics/README §3) [U]"},
    {780.0 * NM, 3.5, "780 nm: 3-4 dB/km (physics/README §3) [U]"},
    {854.0 * NM, 2.5, "854 nm: 2-3 dB/km (physics/README §3) [U]"},
    {1092.0 * NM, 0.8,
     "1092 nm: 0.6-1 dB/km, Sr+ photons over 2.8 km of deployed fibre, Zalewski et al. 2025 "
     "(physics/README §3) [S]"},
    {1310.0 * NM, 0.35, "1310 nm: ~0.35 dB/km (physics/README §3) [U]"},
    {1550.0 * NM, 0.2, "1550 nm: 0.2 dB/km, standard telecom fibre (physics/README §3) [U]"},
};
#define N_ATTENUATION (sizeof attenuation_table / sizeof attenuation_table[0])

double tsr_fibre_attenuation_default(double wavelength_m, const char **source) {
  static const char *interpolated =
      "interpolated (log-linear in wavelength) between the rows of physics/README §3 [derived]";
  const attenuation_row *t = attenuation_table;
  if (!(wavelength_m > 0) || !isfinite(wavelength_m)) {
    if (source) *source = "no wavelength";
    return NAN;
  }
  for (size_t i = 0; i < N_ATTENUATION; i++) {
    if (fabs(wavelength_m - t[i].wavelength_m) <= 0.02 * t[i].wavelength_m) {
      if (source) *source = t[i].source;
      return t[i].db_per_km;
    }
  }
  if (wavelength_m <= t[0].wavelength_m) {
    if (source) *source = t[0].source;
    return t[0].db_per_km;
  }
  if (wavelength_m >= t[N_ATTENUATION - 1].wavelength_m) {
    if (source) *source = t[N_ATTENUATION - 1].source;
    return t[N_ATTENUATION - 1].db_per_km;
  }
  size_t k = 1;
  while (t[k].wavelength_m < wavelength_m) k++;
  double x0 = log(t[k - 1].wavelength_m), x1 = log(t[k].wavelength_m);
  double y0 = log(t[k - 1].db_per_km), y1 = log(t[k].db_per_km);
  double x = log(wavelength_m);
  if (source) *source = interpolated;
  return exp(y0 + (y1 - y0) * (x - x0) / (x1 - x0));
}

/* ------------------------------------------------------------ link defaults */

void tsr_arch_detector_default(double wavelength_m, tsr_detector *d, const char **source) {
  if (wavelength_m >= 1000 * NM) {
    /* Superconducting nanowire detectors for telecom photons. */
    d->efficiency = 0.9;
    d->dark_count_rate_hz = 1.0;
    if (source) {
      *source = "SNSPD: > 90 % with ~1 count/s dark, Marsili et al. 2013 (physics/README §3) [V]; "
                "10 ns window [U]";
    }
  } else {
    d->efficiency = 0.6;
    d->dark_count_rate_hz = 25.0;
    if (source) {
      *source = "visible PMT/SPAD: 30-80 %, 10-100 counts/s (physics/README §3) [U]; "
                "10 ns window [U]";
    }
  }
  d->window_s = 10 * NS;
}

const char *tsr_arch_visibility_source(void) {
  return "0.88: heralded F = 0.94 = (1 + V)/2 of Stephenson et al., PRL 124, 110501 (2020) "
         "(physics/README §1 L1, §2) [derived]";
}
