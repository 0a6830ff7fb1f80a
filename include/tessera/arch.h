/* Tessera arch: the machine model. Modalities with cited preset numbers,
 * modules (a preset plus overrides), memory/repeater nodes, photonic links,
 * intra-module connectivity, and machine files (YAML, documented key by key
 * in docs/machine-file.md). Knows of core only.
 *
 * Units, everywhere in this header: seconds, metres, hertz; fidelities,
 * probabilities and efficiencies are numbers in [0, 1]; fibre attenuation is
 * in dB per kilometre (the one exception, named _db_per_km). Coherence times
 * may be INFINITY ("does not decay"). */
#ifndef TESSERA_ARCH_H
#define TESSERA_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tessera/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest module, preset or machine name, including the terminating NUL. */
#define TSR_ARCH_NAME_MAX 64
/* Most native gates one module may list, and the longest gate name (incl. NUL). */
#define TSR_ARCH_MAX_NATIVE_GATES 16
#define TSR_ARCH_GATE_NAME_MAX    16
/* Most frequency-conversion stages on one end of a link. */
#define TSR_ARCH_MAX_CONVERSION_STAGES 4
/* Largest qubit count a module may declare. */
#define TSR_ARCH_MAX_QUBITS 1000000

/* Speed of light in vacuum (m/s) and the group index of standard telecom fibre
 * (SMF-28 near 1550 nm), giving the ~4.9 us/km delay of physics/README §1. */
#define TSR_SPEED_OF_LIGHT    299792458.0
#define TSR_FIBRE_GROUP_INDEX 1.468

/* ------------------------------------------------------------ modalities */

typedef enum tsr_modality {
  TSR_MODALITY_IDEAL = 0,       /* abstract, noiseless (compiler studies) */
  TSR_MODALITY_TRAPPED_ION,     /* "trapped-ion" */
  TSR_MODALITY_NEUTRAL_ATOM,    /* "neutral-atom" */
  TSR_MODALITY_SUPERCONDUCTING, /* "superconducting" */
  TSR_MODALITY_COLOUR_CENTRE,   /* "colour-centre" (diamond NV, SiV) */
  TSR_MODALITY_COUNT
} tsr_modality;

/* Stable name used in machine files and JSON ("trapped-ion", ...); "?" if out
 * of range. */
const char *tsr_modality_name(tsr_modality m);
/* Modality for a name as tsr_modality_name spells it; returns 0 and sets *out,
 * or -1 when the name is unknown. */
int tsr_modality_lookup(const char *name, tsr_modality *out);

/* ---------------------------------------------------------- connectivity */

/* Which qubit pairs of a module can run a two-qubit gate directly. */
typedef enum tsr_topology {
  TSR_TOPOLOGY_ALL_TO_ALL = 0, /* every pair */
  TSR_TOPOLOGY_LINE,           /* i -- i+1 */
  TSR_TOPOLOGY_RING,           /* line plus (n-1) -- 0 */
  TSR_TOPOLOGY_GRID,           /* rows x cols square lattice, row-major; the first n sites */
  TSR_TOPOLOGY_HEAVY_HEX,      /* IBM heavy-hex lattice: `rows` rows of `cols` qubits
                                  joined by bridge qubits every 4 columns (degree <= 3) */
  TSR_TOPOLOGY_STAR,           /* qubit 0 to every other (colour-centre electron + nuclei) */
  TSR_TOPOLOGY_RECONFIGURABLE, /* every pair, after moving atoms (costs move_time_s) */
  TSR_TOPOLOGY_COUNT
} tsr_topology;

/* Stable name ("all-to-all", "line", "ring", "grid", "heavy-hex", "star",
 * "reconfigurable"); "?" if out of range. */
const char *tsr_topology_name(tsr_topology t);
/* Topology for a name; returns 0 and sets *out, or -1 when unknown. */
int tsr_topology_lookup(const char *name, tsr_topology *out);

typedef struct tsr_connectivity {
  tsr_topology kind;
  int rows;           /* grid, heavy-hex: number of rows (0 elsewhere) */
  int cols;           /* grid: sites per row; heavy-hex: qubits per row */
  double move_time_s; /* reconfigurable: time to bring two atoms together */
} tsr_connectivity;

/* Number of qubit sites a grid or heavy-hex lattice of these dimensions has
 * (rows*cols for a grid; rows*cols plus bridge qubits for heavy-hex); 0 for
 * the other topologies, which take any qubit count. */
uint64_t tsr_connectivity_sites(const tsr_connectivity *c);

/* One undirected coupling between qubits a < b of a module. */
typedef struct tsr_edge {
  uint32_t a, b;
} tsr_edge;

/* The coupling graph of a module with `qubits` qubits: a malloc'd array of
 * edges, sorted by (a, b), each with a < b, written to *edges (free() it) and
 * its length to *count. Grid and heavy-hex keep the sites below `qubits` (the
 * first `qubits` in row-major order); `qubits` above the lattice's sites is a
 * TSR_ERR_VALUE. All-to-all and reconfigurable graphs of more than 8192
 * qubits are refused with TSR_ERR_LIMIT (use the topology directly). */
tsr_status tsr_connectivity_edges(const tsr_connectivity *c, uint32_t qubits, tsr_edge **edges,
                                  size_t *count, tsr_error *err);

/* Number of edges tsr_connectivity_edges would give, without building them
 * (0 when the lattice cannot hold the qubits). */
uint64_t tsr_connectivity_edge_count(const tsr_connectivity *c, uint32_t qubits);

/* ------------------------------------------------------------- modules */

/* A quantum operation's quality and length. */
typedef struct tsr_op_params {
  double fidelity;   /* average fidelity (gates) or assignment fidelity (readout), [0, 1] */
  double duration_s; /* >= 0 */
} tsr_op_params;

typedef struct tsr_coherence {
  double t1_s; /* energy relaxation, > 0, INFINITY allowed */
  double t2_s; /* dephasing (echo), > 0, <= 2 * t1_s */
} tsr_coherence;

/* How a module's qubit talks to light. Optical emitters (ions, atoms, colour
 * centres) emit a photon at wavelength_m; a superconducting module sends a
 * microwave photon through a microwave-to-optical transducer whose optical
 * output is at wavelength_m. */
typedef struct tsr_photon_interface {
  double wavelength_m;             /* photon leaving the module, before any link conversion */
  double emission_probability;     /* a photon is emitted per attempt (into the useful mode) */
  double emission_time_s;          /* state preparation + excitation + emission, per attempt */
  double collection_efficiency;    /* fraction of emitted photons reaching the fibre */
  double numerical_aperture;       /* of the collection lens, 0 when not given; when given
                                      (and collection_efficiency was not), the collection
                                      efficiency follows from tsr_collection_from_na */
  int has_transducer;              /* superconducting: a microwave-optical transducer */
  double transducer_efficiency;    /* microwave photon in -> optical photon out */
  double transducer_noise_photons; /* added noise photons per attempt */
  double g2;                       /* second-order autocorrelation g2(0) of the emitted photons,
                                      [0, 1]: an emission holds two photons with probability
                                      ~g2/2 (docs/link-physics.md §7); 0: ideal single photons */
  /* A cavity around the memory, for reflection links (docs/link-physics.md §7):
   * either the cooperativity and in-coupling, from which the link model
   * derives the reflectivity and spin-photon fidelity
   * (tsr_cavity_reflection_from_cooperativity), or those two directly. */
  int has_cavity;
  double cavity_cooperativity; /* C = g^2 / (2 kappa gamma), >= 0; NaN: not given (direct) */
  double cavity_in_coupling;   /* kappa_in / kappa, [0, 1] (with the cooperativity) */
  double cavity_reflectivity;  /* direct: reflection probability into the heralding mode */
  double cavity_fidelity;      /* direct: spin-photon fidelity of a reflection */
} tsr_photon_interface;

/* Every number describing one module. A preset fills all of it; a machine
 * file overrides any part. */
typedef struct tsr_module_params {
  tsr_modality modality;
  uint32_t qubits;
  /* Native gates by OpenQASM/Tessera name ("gpi", "gpi2", "ms", "zz", "rz",
   * "r", "gr", "sx", "x", "cz", "ecr", ...); the compiler maps them to its own
   * gate kinds. */
  uint32_t n_native_gates;
  char native_gates[TSR_ARCH_MAX_NATIVE_GATES][TSR_ARCH_GATE_NAME_MAX];
  tsr_op_params gate_1q;
  tsr_op_params gate_2q;
  tsr_op_params readout;
  tsr_op_params reset;
  tsr_coherence coherence; /* of the data (memory) qubits */
  tsr_connectivity connectivity;
  /* How many qubits can hold link entanglement at once (<= qubits), and
   * their coherence (the electron spin of a colour centre, for example). */
  uint32_t communication_qubits;
  tsr_coherence communication_coherence;
  tsr_photon_interface photon;
} tsr_module_params;

/* Groups of module parameters; each preset cites a source per group, and a
 * module remembers which groups its machine file overrode. */
typedef enum tsr_param_group {
  TSR_PARAM_QUBITS = 0,
  TSR_PARAM_NATIVE_GATES,
  TSR_PARAM_GATE_1Q,
  TSR_PARAM_GATE_2Q,
  TSR_PARAM_READOUT,
  TSR_PARAM_RESET,
  TSR_PARAM_COHERENCE,
  TSR_PARAM_CONNECTIVITY,
  TSR_PARAM_COMMUNICATION,
  TSR_PARAM_PHOTON,
  TSR_PARAM_GROUP_COUNT
} tsr_param_group;

/* Machine-file key of a parameter group ("qubits", "native_gates", "gate_1q",
 * ..., "photon"); "?" if out of range. */
const char *tsr_param_group_name(tsr_param_group g);

/* Fraction of a dipole's photons collected by a lens of numerical aperture
 * na (in vacuum) on the axis perpendicular to the dipole:
 * 1/2 - 3c/8 - c^3/8 with c = sqrt(1 - na^2). NA 0.4 -> 0.060, 0.6 -> 0.136,
 * 0.9 -> 0.326 (physics/README §3). na outside [0, 1] gives NaN. */
double tsr_collection_from_na(double na);

/* --------------------------------------------------------------- presets */

typedef struct tsr_preset {
  const char *name;    /* "ion-forte", "atom-rb", ... */
  const char *summary; /* one line: what machine class this is */
  tsr_module_params params;
  /* Citation for every number of a group: paper, year, table, and the mark of
   * physics/README: [V] primary source, [S] secondary, [U] placeholder. */
  const char *sources[TSR_PARAM_GROUP_COUNT];
} tsr_preset;

/* The built-in presets (docs/machine-file.md lists them): ion-forte,
 * ion-aria, ion-ba-nextgen, ion-helios, atom-rb, sc-heron, sc-willow,
 * diamond-siv, diamond-nv. */
size_t tsr_preset_count(void);
/* Preset i (0 <= i < tsr_preset_count()), NULL when out of range. */
const tsr_preset *tsr_preset_at(size_t i);
/* Preset by name, NULL when there is none. */
const tsr_preset *tsr_preset_find(const char *name);

/* Parameters of an ideal module of `qubits` qubits: fidelities 1, durations
 * 0, infinite coherence, all-to-all, every qubit a communication qubit, an
 * ideal photon interface at 1550 nm. */
void tsr_module_params_ideal(tsr_module_params *p, uint32_t qubits);

/* -------------------------------------------------------- links, defaults */

/* Default fibre attenuation in dB/km at a wavelength, from the table of
 * physics/README §3: a tabulated wavelength within 2 % gives its row (the
 * middle of a quoted range); between rows the value is interpolated
 * log-linearly; beyond the table the end row holds. *source (if non-NULL)
 * gets the citation. NaN for a wavelength that is not positive. */
double tsr_fibre_attenuation_default(double wavelength_m, const char **source);

/* One-way light delay in fibre of this length (length * group index / c). */
double tsr_fibre_delay(double length_m);

typedef enum tsr_link_protocol {
  TSR_PROTOCOL_TWO_PHOTON = 0, /* "two-photon": Barrett-Kok-like, linear-optics BSM */
  TSR_PROTOCOL_SINGLE_CLICK,   /* "single-click": bright-state weight alpha */
  TSR_PROTOCOL_REFLECTION,     /* "reflection": photon reflected off a cavity memory */
  TSR_PROTOCOL_IDEAL,          /* "ideal": perfect pairs, for compiler studies */
  TSR_PROTOCOL_COUNT
} tsr_link_protocol;

/* Stable name as in the comments above; "?" if out of range. */
const char *tsr_link_protocol_name(tsr_link_protocol p);
/* Protocol for a name; returns 0 and sets *out, or -1 when unknown. */
int tsr_link_protocol_lookup(const char *name, tsr_link_protocol *out);

typedef struct tsr_conversion_stage {
  double target_wavelength_m; /* wavelength after this stage */
  double efficiency;          /* photon in -> photon out, [0, 1] */
  double noise_photons;       /* added noise photons per attempt (detection window), >= 0 */
} tsr_conversion_stage;

/* One end of a link: the module, its photon's path to the station. */
typedef struct tsr_link_end {
  uint32_t module; /* index into tsr_arch.modules */
  uint32_t n_conversion;
  tsr_conversion_stage conversion[TSR_ARCH_MAX_CONVERSION_STAGES];
  double arm_length_m;          /* fibre from this end to the station */
  double fibre_wavelength_m;    /* photon in this arm: after the last conversion stage */
  double attenuation_db_per_km; /* of this arm at fibre_wavelength_m */
} tsr_link_end;

typedef struct tsr_detector {
  double efficiency;         /* [0, 1] */
  double dark_count_rate_hz; /* >= 0 */
  double window_s;           /* detection window per attempt, >= 0 */
} tsr_detector;

/* Where the Bell-state measurement (or reflection) station sits. */
typedef enum tsr_station {
  TSR_STATION_MIDDLE = 0, /* half-way along the fibre */
  TSR_STATION_END_A,      /* at ends[0] */
  TSR_STATION_END_B,      /* at ends[1] */
  TSR_STATION_DISTANCE    /* at a given distance from ends[0] */
} tsr_station;

typedef struct tsr_link {
  tsr_link_end ends[2];
  double length_m; /* total fibre: ends[0].arm_length_m + ends[1].arm_length_m */
  tsr_station station;
  tsr_link_protocol protocol;
  double bright_state_weight; /* single-click alpha in (0, 1); 0 for other protocols */
  double attempt_period_s;    /* > 0 once the arch is built */
  int attempt_period_derived; /* 1 when attempt_period_s came from tsr_link_derived_period */
  uint32_t multiplexing;      /* parallel attempts (modes) per period, >= 1 */
  double visibility;          /* two-photon interference (HOM) visibility, [0, 1] */
  tsr_detector detector;
  int line, col; /* where the machine file defined the link (0 if built in code) */
} tsr_link;

/* ------------------------------------------------------------------ arch */

typedef enum tsr_module_role {
  TSR_ROLE_COMPUTE = 0, /* runs circuit qubits */
  TSR_ROLE_MEMORY       /* memory / repeater node: holds and swaps link entanglement only */
} tsr_module_role;

typedef struct tsr_module {
  char name[TSR_ARCH_NAME_MAX];
  tsr_module_role role;
  char preset[TSR_ARCH_NAME_MAX]; /* preset it started from, "" if none */
  tsr_module_params params;
  uint32_t overridden; /* bit (1u << g) set when the machine file set group g */
  int line, col;       /* where the machine file defined it (0 if built in code) */
} tsr_module;

/* A machine: modules (compute modules and memory/repeater nodes, in the order
 * they were added or appear in the file: `modules:` then `nodes:`) and the
 * photonic links between them. Owns everything it points to. */
typedef struct tsr_arch {
  char name[TSR_ARCH_NAME_MAX];
  char *description;               /* owned, may be NULL */
  char source[TSR_ERROR_FILE_MAX]; /* file it was read from, "<default>", or "" */
  tsr_module *modules;
  size_t n_modules;
  tsr_link *links;
  size_t n_links;
  size_t capacity_modules, capacity_links; /* private */
} tsr_arch;

/* An empty machine named `name` (may be NULL). Free with tsr_arch_free. */
tsr_status tsr_arch_new(const char *name, tsr_arch **out, tsr_error *err);
void tsr_arch_free(tsr_arch *arch);

/* Adds a module (params copied); its index goes to *index (may be NULL). A
 * duplicate name is a TSR_ERR_VALUE. The module is not validated here. */
tsr_status tsr_arch_add_module(tsr_arch *arch, const char *name, tsr_module_role role,
                               const tsr_module_params *params, uint32_t *index, tsr_error *err);

/* Fills a link between modules a and b with length_m of fibre and the
 * defaults of docs/machine-file.md: station in the middle, two-photon
 * protocol, one mode, visibility 0.88, no conversion; the fields that
 * tsr_arch_add_link derives (fibre wavelengths, attenuation, detectors,
 * attempt period) are set to NaN, meaning "derive". */
void tsr_link_init(tsr_link *link, uint32_t a, uint32_t b, double length_m);

/* Adds a link (copied); module indices must exist and differ. Fields that
 * are NaN are derived: an end's fibre_wavelength_m is its last conversion
 * target or else its module's photon wavelength; attenuation_db_per_km comes
 * from tsr_fibre_attenuation_default at that wavelength; each detector field
 * from the detector defaults at ends[0]'s fibre wavelength (SNSPD at telecom
 * wavelengths, visible-range detectors below 1000 nm); attempt_period_s from
 * tsr_link_derived_period (attempt_period_derived is then set). length_m is
 * always recomputed as the sum of the two arms. */
tsr_status tsr_arch_add_link(tsr_arch *arch, const tsr_link *link, uint32_t *index, tsr_error *err);

/* Index of the module with this name, or -1. */
int64_t tsr_arch_find_module(const tsr_arch *arch, const char *name);
/* Number of modules with the compute role. */
size_t tsr_arch_compute_count(const tsr_arch *arch);

/* Attempt period of a link from physics: the slower end's emission time plus
 * the longer arm's photon flight to the station and herald flight back
 * (2 * tau, tau = arm / v, v = c / TSR_FIBRE_GROUP_INDEX); for the reflection
 * protocol, whose photon visits both ends, 2 tau_A + 2 tau_B + max(tau_A,
 * tau_B) of flight (docs/link-physics.md §8). A link with neither (ideal
 * modules, no fibre) gets a nominal 1 us. */
double tsr_link_derived_period(const tsr_arch *arch, const tsr_link *link);

/* Checks what a machine must satisfy: numbers in range (fidelities and
 * probabilities in [0, 1]; lengths, times, rates >= 0; T1, T2 > 0;
 * T2 <= 2*T1), communication qubits <= qubits, lattice sizes that fit the
 * qubit count, unique names, links between distinct existing modules whose
 * ends have communication qubits and photons at matching wavelengths at the
 * station. The loader runs it too, so loaded machines always pass. */
tsr_status tsr_arch_validate(const tsr_arch *arch, tsr_error *err);

/* ------------------------------------------------------------ machine files */

/* Reads a machine file: YAML as in docs/machine-file.md, or a pytket-dqc
 * network (JSON with "servers" and "links": ideal modules named server<id>
 * with link_qubits communication qubits, joined by ideal links; link_qubits
 * null or absent, "not limited", gives T + 1 of them, T the network's total
 * circuit qubits: never a limit, see docs/machine-file.md). Errors are
 * TSR_ERR_INPUT with file:line:col of the offending node (TSR_ERR_IO when the
 * file cannot be read). Free the result with tsr_arch_free. */
tsr_status tsr_arch_load_file(const char *path, tsr_arch **out, tsr_error *err);
/* As tsr_arch_load_file from text of len bytes (need not be NUL-terminated);
 * filename names it in errors (may be NULL: "<string>"). */
tsr_status tsr_arch_load_string(const char *text, size_t len, const char *filename, tsr_arch **out,
                                tsr_error *err);

/* The built-in default machine (HARQ-style: two trapped-ion modules, a
 * neutral-atom array and a superconducting module joined through a diamond
 * SiV memory hub with telecom conversion), loaded from the YAML that
 * tsr_arch_default_yaml returns and examples/machines/default.yaml holds. */
tsr_status tsr_arch_default(tsr_arch **out, tsr_error *err);
/* The text of the default machine file (static, NUL-terminated). */
const char *tsr_arch_default_yaml(void);

/* ----------------------------------------------------------------- output */

/* Writes the machine as one JSON value (an object: name, description,
 * source, modules [{name, role, modality, preset, qubits, native_gates,
 * gate_1q, gate_2q, readout, reset {fidelity, duration_s}, coherence {t1_s,
 * t2_s}, connectivity {kind, rows, cols, move_time_s, edges}, communication
 * {qubits, t1_s, t2_s}, photon {...}, overridden [...], sources {...}}],
 * links [{between [a, b], length_m, station, protocol, ...}]). Infinite
 * times are written as null. */
tsr_status tsr_arch_write_json(const tsr_arch *arch, tsr_json *j, tsr_error *err);
/* Writes extra keys into link `link`'s JSON object (the link layer's rate and
 * fidelity, which the arch layer cannot compute). */
typedef void (*tsr_arch_link_json_fn)(const tsr_arch *arch, size_t link, tsr_json *j, void *user);
/* As tsr_arch_write_json; each link's object ends with what `extra` writes
 * (rate_hz and fidelity are written as null when extra is NULL). */
tsr_status tsr_arch_write_json_ex(const tsr_arch *arch, tsr_json *j, tsr_arch_link_json_fn extra,
                                  void *user, tsr_error *err);

/* Writes the module/link topology as a Graphviz graph. */
tsr_status tsr_arch_write_dot(const tsr_arch *arch, FILE *out, tsr_error *err);

/* Source of a module's parameter group: the preset's citation, or "machine
 * file" when the file overrode it (or "user" for a module with no preset). */
const char *tsr_module_source(const tsr_module *m, tsr_param_group g);

#ifdef __cplusplus
}
#endif
#endif
