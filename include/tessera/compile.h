/* Tessera compile: the passes that turn a circuit into a distributed program.
 *
 *   decompose   every catalogue gate into single-qubit gates and CX (or CZ)
 *   simplify    cancel inverses, merge rotations and 1q runs, drop identities
 *   synthesis   any 1q unitary in at most 3 native rotations; any 2q unitary
 *               by KAK with at most 3 native entanglers (exact to ~1e-12)
 *   partition   packets (runs of diagonal gates that share one EPR pair), the
 *               packet hypergraph, module graphs (capacities, links, Steiner
 *               costs), METIS initial placement + refinement; ebit counts
 *   generators  the seeded benchmark circuit classes used by the pytket-dqc
 *               experiments (cz_fraction, cp_fraction, pauli, random_crz) and
 *               QFT, GHZ, quantum volume
 *
 * Conventions: matrices are row-major double complex arrays; for two-qubit
 * matrices operand 0 is the least significant bit of the basis index (as
 * tsr_gate_matrix). Synthesised sequences list gates in time order (the first
 * gate acts first). Angles are radians. Every function returns a status and
 * fills err; nothing here prints, exits or reads the environment.
 *
 *   program     tsr_compile_program: the whole pipeline from a circuit and a
 *               machine (arch.h) to a timed distributed program (program.h):
 *               decompose, simplify, partition, distribute (cat-entangler /
 *               disentangler and teleportation with explicit EPR pairs,
 *               messages and feed-forward), route inside modules, native
 *               synthesis per module, list scheduling
 *
 * Knows of core, circuit, arch, link and the program type. The partitioner
 * takes its own small module-graph description (below);
 * tsr_module_graph_from_arch derives one from a machine. */
#ifndef TESSERA_COMPILE_H
#define TESSERA_COMPILE_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/arch.h"
#include "tessera/circuit.h"
#include "tessera/core.h"
#include "tessera/program.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================== decompose, simplify */

/* Rewrites every unitary gate of `in` into single-qubit catalogue gates and
 * the two-qubit gate `basis` (TSR_GATE_CX or TSR_GATE_CZ), exactly up to a
 * global phase: controlled gates by the A·X·B·X·C construction (2 entanglers),
 * rzz/rxx/ryy/rzx/ms by conjugated CX–Rz–CX, swap/dcx by 3/2 CX,
 * multi-controlled gates by the standard recursive construction (Barenco et
 * al. 1995, Lemma 7.5; ccx with 6 CX), rccx/rc3x by their qelib1
 * definitions, any other two-qubit gate by KAK (at most 3 entanglers), gr by
 * one r per operand. Single-qubit gates are kept as they are; id and u0 are
 * dropped. Measurements, resets, barriers and classical conditions are kept
 * (a conditioned gate's pieces carry its condition). Opaque gates are a
 * TSR_ERR_UNSUPPORTED. *out is a new circuit with the same registers. */
tsr_status tsr_decompose(const tsr_circuit *in, tsr_gate basis, tsr_circuit **out, tsr_error *err);

/* What tsr_simplify did (all counts are operations of the input). */
typedef struct tsr_simplify_stats {
  uint64_t cancelled; /* removed as adjacent inverse pairs */
  uint64_t merged;    /* absorbed into a neighbouring rotation or 1q run */
  uint64_t dropped;   /* identities and zero rotations */
} tsr_simplify_stats;

/* Peephole simplification preserving the unitary up to a global phase,
 * repeated until nothing changes:
 *  - drops identities (id, u0, rotations by 0 mod the gate's period, any 1q
 *    run whose product is the identity up to phase);
 *  - cancels a gate against an adjacent inverse on the same operands (cx,
 *    cz, swap, ... and parametrised gates with opposite angles), also when
 *    only gates that commute with both (diagonal gates on a shared control,
 *    gates on other qubits) lie between;
 *  - merges consecutive rotations about the same axis (rz/p/u1/s/t/z..., rx,
 *    ry, cp/cu1, crz, rzz, rxx, ryy);
 *  - replaces a run of two or more 1q gates on one qubit by one gate (rz when
 *    the product is diagonal, rx when it is an X rotation, h/x/... when it is
 *    that gate up to phase, otherwise u3).
 * Operations with a classical condition, measurements, resets and barriers
 * are never moved or merged (they end runs on their qubits). stats may be
 * NULL. *out is a new circuit with the same registers. */
tsr_status tsr_simplify(const tsr_circuit *in, tsr_circuit **out, tsr_simplify_stats *stats,
                        tsr_error *err);

/* ================================================================= synthesis */

/* Single-qubit target gate sets. */
typedef enum tsr_basis_1q {
  TSR_BASIS_1Q_U3 = 0, /* one u3(theta, phi, lambda) */
  TSR_BASIS_1Q_ZYZ,    /* rz ry rz (at most 3) */
  TSR_BASIS_1Q_ZSX,    /* IBM {rz, sx, x}: rz sx rz sx rz at most, 1 sx for
                          theta = pi/2, x for theta = pi */
  TSR_BASIS_1Q_ZR,     /* neutral atoms {rz, r}: r(theta, phi) then rz (at most 2) */
  TSR_BASIS_1Q_GPI,    /* IonQ {gpi, gpi2}: gpi2 gpi gpi2 (at most 3, no virtual
                          rz needed); a pure Z rotation is two gpi */
  TSR_BASIS_1Q_COUNT
} tsr_basis_1q;

/* Two-qubit entanglers. The fixed ones are locally equivalent to CX (a
 * general two-qubit unitary needs at most 3); the parametrised ones take any
 * angle (at most 3, one per nonzero KAK coordinate). */
typedef enum tsr_entangler {
  TSR_ENT_CX = 0, /* cx */
  TSR_ENT_CZ,     /* cz */
  TSR_ENT_MS,     /* ms(0, 0, pi/2): exp(-i pi/4 XX), IonQ's fully entangling MS */
  TSR_ENT_ZZ,     /* IonQ zz(theta), any theta */
  TSR_ENT_RZZ,    /* rzz(theta), any theta */
  TSR_ENT_COUNT
} tsr_entangler;

/* Most gates one synthesised sequence can hold (3 entanglers and 4 layers of
 * at most 3 rotations on 2 qubits, with room to spare). */
#define TSR_SYNTH_MAX 40

/* One gate of a synthesised sequence, on local operands (0 and 1). */
typedef struct tsr_synth_gate {
  tsr_gate kind;
  uint32_t nqubits;
  uint32_t qubits[2];
  uint32_t nparams;
  double params[3];
} tsr_synth_gate;

/* A gate sequence in time order whose product times exp(i global_phase) is
 * the synthesised unitary. */
typedef struct tsr_synth_seq {
  size_t n;
  tsr_synth_gate gates[TSR_SYNTH_MAX];
  double global_phase;
} tsr_synth_seq;

/* ZYZ Euler angles: u = exp(i *phase) rz(phi) ry(theta) rz(lambda), with
 * theta in [0, pi]. angles = {theta, phi, lambda}; phase may be NULL. u must
 * be unitary (not checked beyond its determinant being nonzero). */
void tsr_euler_zyz(const double complex u[4], double angles[3], double *phase);

/* Synthesises a single-qubit unitary in the basis (gates on operand 0).
 * Gates that are the identity are left out (an identity gives n = 0). */
tsr_status tsr_synth_1q(const double complex u[4], tsr_basis_1q basis, tsr_synth_seq *out,
                        tsr_error *err);

/* KAK (Cartan) decomposition of a two-qubit unitary:
 *   u = exp(i global_phase) (after[1] ⊗ after[0]) N(a, b, c) (before[1] ⊗ before[0])
 * with N(a, b, c) = exp(i (a XX + b YY + c ZZ)), |a|, |b|, |c| <= pi/4, and
 * before/after in SU(2) (index = operand). Computed in the magic basis by
 * diagonalising a random real combination of the real and imaginary parts of
 * u_B^T u_B (LAPACKE dsyev). */
typedef struct tsr_kak {
  double a, b, c;
  double complex before[2][4];
  double complex after[2][4];
  double global_phase;
} tsr_kak;

tsr_status tsr_kak_decompose(const double complex u[16], tsr_kak *out, tsr_error *err);

/* Number of CX-class entanglers a two-qubit unitary needs (0..3), from its
 * KAK coordinates with tolerance 1e-9. */
int tsr_kak_cx_count(const tsr_kak *k);

/* Synthesises a two-qubit unitary with the fewest entanglers of the given
 * kind the KAK coordinates allow (at most 3) and single-qubit gates in
 * basis_1q. The product of the sequence is verified against u (error > 1e-9
 * is a TSR_ERR_INTERNAL). */
tsr_status tsr_synth_2q(const double complex u[16], tsr_entangler ent, tsr_basis_1q basis_1q,
                        tsr_synth_seq *out, tsr_error *err);

/* Native synthesis of a whole circuit: gates on three or more qubits are
 * first decomposed (tsr_decompose); consecutive gates acting only on the
 * same pair of qubits are collected into one 4x4 block and synthesised with
 * tsr_synth_2q (a block holding just one gate that already is the entangler
 * is kept); runs of single-qubit gates are multiplied out and synthesised
 * with tsr_synth_1q. Exact up to a global phase. */
tsr_status tsr_synthesize(const tsr_circuit *in, tsr_basis_1q basis_1q, tsr_entangler ent,
                          tsr_circuit **out, tsr_error *err);

/* ============================================================ module graphs */

/* The network the partitioner places qubits on: modules with a capacity
 * (data qubits that may hold circuit qubits, i.e. qubits minus communication
 * qubits) and weighted links. An EPR pair between linked modules i and j
 * costs link_cost[i*n+j] (> 0); between modules that are not linked it is
 * routed over a path (each hop consumes one pair), and a packet that reaches
 * several modules uses a Steiner tree. */
typedef struct tsr_module_graph {
  uint32_t nmodules;
  uint32_t *capacity;    /* [nmodules] */
  uint32_t *link_qubits; /* [nmodules] communication qubits, 0 = not limited */
  double *link_cost;     /* [nmodules * nmodules], symmetric; 0 = no link */
} tsr_module_graph;

/* Most modules a graph may have. */
#define TSR_MODULE_GRAPH_MAX 64

/* A graph of n modules (1..TSR_MODULE_GRAPH_MAX) with the given capacity
 * each and no links. Free with tsr_module_graph_free. */
tsr_status tsr_module_graph_new(uint32_t nmodules, uint32_t capacity, tsr_module_graph **out,
                                tsr_error *err);
void tsr_module_graph_free(tsr_module_graph *g);
/* n modules of the given capacity, every pair linked with cost 1. */
tsr_status tsr_module_graph_complete(uint32_t nmodules, uint32_t capacity, tsr_module_graph **out,
                                     tsr_error *err);
/* Links modules a != b with cost > 0 (replaces an existing link). */
tsr_status tsr_module_graph_link(tsr_module_graph *g, uint32_t a, uint32_t b, double cost,
                                 tsr_error *err);
/* Sum of the capacities. */
uint64_t tsr_module_graph_capacity(const tsr_module_graph *g);
/* 1 when every module can reach every other over links. */
int tsr_module_graph_connected(const tsr_module_graph *g);

/* Reads a pytket-dqc network, JSON
 *   {"servers": [{"id": 0, "qubits": 4, "link_qubits": 5}, ...],
 *    "links": [[0, 1], ...]}
 * (ids 0..n-1 in any order; "link_qubits" may be null or absent = not
 * limited, link_qubits 0 here; tsr_arch_load_file gives such a server T + 1
 * communication qubits, T the network's circuit qubits, which never limit
 * either). Links get cost 1. Errors are TSR_ERR_INPUT with file:line:col. */
tsr_status tsr_module_graph_read_json(const char *path, tsr_module_graph **out, tsr_error *err);
/* As above from len bytes of text; filename names it in errors (may be NULL). */
tsr_status tsr_module_graph_parse_json(const char *text, size_t len, const char *filename,
                                       tsr_module_graph **out, tsr_error *err);

/* ========================================================= packet hypergraph */

/* The hypergraph of distributable packets (Andres-Martinez & Heunen, PRA 100,
 * 032308 (2019), generalised to X-type packets). Every two-qubit gate is a
 * gate vertex. A packet is a maximal run of two-qubit gates on one qubit that
 * all commute with the same Pauli P on that qubit (P = Z: cz, cp, crz, rzz,
 * the control of cx...; P = X: the target of cx, rxx, ...), uninterrupted by
 * single-qubit gates other than those that map P to ±P (diagonal or
 * anti-diagonal in P's eigenbasis). One EPR pair per extra module shares the
 * qubit with every gate of a packet (cat-entangler / disentangler). An
 * operand on which a gate commutes with no Pauli gets a packet of its own
 * that cannot be distributed (the gate must run in that qubit's module).
 * Measurements and resets end packets; barriers do not. */
/* An embedding candidate of the packet hypergraph (see sandwiches below). */
typedef struct tsr_sandwich {
  uint32_t qubit;
  uint32_t before, after;          /* packets of the qubit, same axis */
  size_t open_op, close_op;        /* the single-qubit gates leaving and re-entering the axis */
  size_t inner_first, inner_count; /* into sandwich_inner */
} tsr_sandwich;

typedef struct tsr_packet_graph {
  uint32_t nqubits;
  size_t ngates;              /* two-qubit gate vertices */
  size_t *gate_op;            /* [ngates] index of the operation in the circuit */
  uint32_t (*gate_qubit)[2];  /* [ngates] operands */
  uint32_t (*gate_packet)[2]; /* [ngates] packet of each operand */
  size_t npackets;
  uint32_t *packet_qubit; /* [npackets] */
  char *packet_axis;      /* [npackets] 'Z', 'X', 'Y', or 0 = not distributable */
  size_t *packet_start;   /* [npackets + 1] CSR into packet_gates */
  size_t *packet_gates;   /* gate vertices of each packet, in circuit order */
  /* Embedding candidates (Wu et al., Quantum 7, 1196 (2023), generalised):
   * packets `before` and `after` of one qubit, axis P, separated by a
   * sandwich of single-qubit gates that turn P into another Pauli P' (h for
   * Z: P' = X) and back, with two-qubit gates in between that map P' on the
   * qubit to +-P' times I or Z on the partner (cz in the h frame). A copy of
   * the qubit made for `before` stays valid across the sandwich if every
   * inner gate runs where the qubit is and each inner gate with a Z on the
   * partner is mirrored on the copy by a CX (CZ for an X copy) from the
   * partner's copy in the copy's module; `before` and `after` then share
   * their EPR pairs. Sandwiches may overlap: the packet made inside one can
   * be the `before` of the next (h P1 h P2 h P3 h P4: P1..P3 and P2..P4),
   * and the two are alternatives. */
  size_t nsandwiches;
  tsr_sandwich *sandwiches;
  size_t *sandwich_inner;      /* gate vertices between open_op and close_op on the qubit */
  uint8_t *sandwich_inner_fix; /* 1: the gate puts Z on the partner (a correction is due) */
} tsr_packet_graph;

/* Builds the packet hypergraph. Accepts single-qubit gates, two-qubit gates
 * that commute with a Pauli on at least one operand, measurements, resets and
 * barriers; anything else (swap, gates on 3+ qubits, opaque gates) is a
 * TSR_ERR_UNSUPPORTED: run tsr_decompose first. */
tsr_status tsr_packet_graph_build(const tsr_circuit *c, tsr_packet_graph **out, tsr_error *err);
/* The same with packets no longer than max_span two-qubit gates of the
 * circuit from their first (0: no limit): a copy that would live longer is
 * counted as made again, which models modules with few communication qubits
 * (a long-lived copy holds one of them). */
tsr_status tsr_packet_graph_build_span(const tsr_circuit *c, size_t max_span,
                                       tsr_packet_graph **out, tsr_error *err);
void tsr_packet_graph_free(tsr_packet_graph *h);

/* ================================================================ partition */

typedef struct tsr_partition_options {
  uint64_t seed;     /* METIS and refinement seed (same seed, same result) */
  uint32_t restarts; /* independent METIS starts (each followed by refinement;
                        twice as many perturbation kicks follow); 0 = automatic
                        (4 to 64, fewer for larger circuits) */
  int refine;        /* 0: METIS placement only; nonzero (default): refine */
  int teleport;      /* nonzero (default): time-sliced re-placement, a qubit
                        teleported to another module for a run of its packets
                        (2 EPR pairs per hop there and back, 1 when it stays
                        to the end) where that saves pairs */
  int embed;         /* nonzero (default): embed sandwiches (see
                        tsr_packet_graph) where that saves pairs */
} tsr_partition_options;

void tsr_partition_options_default(tsr_partition_options *o);

/* An embedded sandwich of a partition (see tsr_partition). */
typedef struct tsr_embed {
  uint32_t sandwich; /* index into the packet graph's sandwiches */
  uint64_t keep;     /* modules whose copies stay */
} tsr_embed;

/* A placement of the circuit's qubits on modules and what it costs with
 * cat-entanglement: every packet is shared, over a Steiner tree of the module
 * graph, with each module where one of its gates runs. */
typedef struct tsr_partition {
  uint32_t nqubits;
  uint32_t nmodules;
  uint32_t *module_of; /* [nqubits] module of each qubit (where it starts) */
  size_t ngates;
  uint32_t *gate_module; /* [ngates] module where each gate vertex runs */
  size_t npackets;
  uint32_t *packet_module; /* [npackets] module holding the packet's qubit while
                              the packet runs (module_of unless teleported) */
  uint64_t ebits;          /* EPR pairs consumed: Steiner-tree edges summed over
                              packets, plus teleport hops */
  uint64_t teleport_ebits; /* of which teleports */
  uint64_t static_ebits;   /* EPR pairs of the same placement before any
                              teleport (cat-entanglement only) */
  double cost;             /* the same, weighted by link cost */
  uint64_t cut_gates;      /* gate vertices whose two qubits are placed in
                              different modules */
  uint64_t remote_packets; /* packets that reach at least one other module */
  /* Embedded sandwiches: the copies of the qubit in the modules of keep
   * (direct neighbours of its module) made for the `before` packet stay
   * through the sandwich and serve the `after` packet; every inner gate
   * runs in the qubit's module; for each inner gate with a correction the
   * partner's packet reaches every module of keep. ebits and cost count
   * this. */
  size_t nembeds;
  tsr_embed *embeds;
  uint64_t embed_saved_ebits; /* pairs the embeddings save */
} tsr_partition;

/* Places the qubits of the hypergraph's circuit on the modules, respecting
 * capacities, minimising the EPR cost:
 *  - initial placements from METIS (k-way and recursive, seeded, target
 *    weights proportional to capacity) on the qubit interaction graph;
 *  - refinement by qubit moves and swaps with gains computed incrementally on
 *    the packet hypergraph, alternating with the gate assignment: a minimum
 *    weighted vertex cover by max-flow (exact on all-to-all networks when
 *    every gate runs at one of its qubits' modules), then single-gate moves,
 *    cluster moves (all gates of a packet leave one module) and simulated
 *    annealing, which find detached gates (run in a third module where both
 *    packets are shared; never in a module of capacity 0);
 *  - an iterated local search (random swaps from the best placement), and on
 *    two modules a final descent over swaps evaluated exactly;
 *  - with opts->teleport, time-sliced re-placement: a qubit teleports to
 *    another module for a run of its packets where that saves pairs.
 * Deterministic for a seed. opts may be NULL (defaults). The module graph
 * must be connected and have room for every qubit. Communication-qubit
 * limits (link_qubits) and a teleported qubit's room in its destination are
 * not modelled here (tsr_compile_program's distribution pass enforces them).
 * Release with tsr_partition_release. */
tsr_status tsr_partition_run(const tsr_packet_graph *h, const tsr_module_graph *g,
                             const tsr_partition_options *opts, tsr_partition *out, tsr_error *err);

/* Cost of a given placement (module_of[nqubits]) with the gate assignment
 * optimised as in tsr_partition_run (no teleports). Capacities are not
 * checked. */
tsr_status tsr_partition_evaluate(const tsr_packet_graph *h, const tsr_module_graph *g,
                                  const uint32_t *module_of, tsr_partition *out, tsr_error *err);

void tsr_partition_release(tsr_partition *p);

/* Convenience: decompose what the packet hypergraph cannot take as it is
 * (gates on 3+ qubits, swap-like gates) into CZ and 1q gates, simplify,
 * build the packet hypergraph and partition. */
tsr_status tsr_partition_circuit(const tsr_circuit *c, const tsr_module_graph *g,
                                 const tsr_partition_options *opts, tsr_partition *out,
                                 tsr_error *err);

/* ============================================================ the pipeline */

/* What the module-graph costs (and so the partitioner and the choice between
 * cat-entanglement and teleportation) minimise. */
typedef enum tsr_compile_cost {
  TSR_COST_EBITS = 0, /* end-to-end EPR pairs: 1 per direct link; a path through
                         memory/repeater nodes costs its hops + one per swap */
  TSR_COST_LATENCY,   /* expected time to deliver an end-to-end pair (link-layer
                         rate of every hop, swaps, classical signalling) */
  TSR_COST_FIDELITY   /* -log of the end-to-end pair fidelity (link-layer heralded
                         fidelity of every hop, swap gate quality) */
} tsr_compile_cost;

/* "ebits", "latency", "fidelity"; "?" if out of range. */
const char *tsr_compile_cost_name(tsr_compile_cost c);
/* Parses a name as tsr_compile_cost_name spells it (TSR_ERR_VALUE otherwise). */
tsr_status tsr_compile_cost_parse(const char *name, tsr_compile_cost *out, tsr_error *err);

typedef struct tsr_compile_options {
  tsr_compile_cost cost;      /* default TSR_COST_EBITS */
  uint64_t seed;              /* partitioner seed (same seed, same program); default 1 */
  int allow_teleport;         /* nonzero (default): a qubit may teleport to another module
                                 for a run of its packets where the cost model prefers it */
  int embed;                  /* nonzero (default): a copy stays across a sandwich (h ... h
                                 with cz inside) where that saves pairs (Wu et al. 2023) */
  int route;                  /* nonzero (default): SABRE-style swap insertion on limited
                                 connectivity, atom moves on reconfigurable arrays; 0: every
                                 module is treated as all-to-all */
  int native;                 /* nonzero (default): gates synthesised into each module's
                                 native gate set; 0: the decomposed gates ({1q, cx/cz, ...}) */
  uint32_t restarts;          /* partitioner restarts, 0 = automatic */
  uint32_t max_communication; /* 0 (default): each module's own communication qubits;
                                 k > 0: use at most k per module (studies, tests) */
  double lookahead_weight;    /* SABRE extended-set weight (default 0.5) */
} tsr_compile_options;

void tsr_compile_options_default(tsr_compile_options *opt);

/* Compiles circuit c for machine arch into a timed distributed program
 * (docs/compiler.md has the details and the file formats).
 *
 *  1. decompose + simplify: gates on 3+ qubits and swap-like gates into CZ
 *     and 1q gates (gates commuting with a Pauli on an operand are kept),
 *     then tsr_simplify;
 *  2. partition on the module graph of the compute modules
 *     (tsr_module_graph_from_arch). Candidates: the partitioner on the whole
 *     machine and on the fewest largest modules that hold the circuit (or,
 *     when one module does, each module that does), each with teleports
 *     (opt->allow_teleport) and cat-only; blocks are moved to the modules
 *     whose gates suit them best when that changes no link cost. Passes 3-6
 *     run for every candidate and the cost model picks the program: fewest
 *     EPR pairs (then highest estimated success), shortest makespan, or
 *     highest estimated success;
 *  3. distribute: every gate runs in one module; an operand living elsewhere
 *     is shared there by a cat-entangler (one EPR pair; the copy serves every
 *     gate that commutes with the same Pauli, across single-qubit gates that
 *     map that Pauli to +-itself, which are mirrored on the copies, and
 *     across embedded sandwiches the partition chose, see tsr_partition)
 *     and released by a cat-disentangler; qubits teleport (one EPR pair per hop)
 *     where the partition moves them and the destination has room. Every
 *     protocol measurement goes to a scratch classical bit (register
 *     "tsr_scratch", after the source's registers), a message carries it to
 *     the module that applies the conditioned X/Z correction. A module never
 *     uses more communication qubits than it has (or opt->max_communication):
 *     when none is free, the share needed again furthest in the future is
 *     released first (re-created when needed);
 *  4. routing: SABRE-style swaps (role routing, metrics.swaps) on lattices
 *     (tsr_connectivity_edges; communication qubits stay in place); on
 *     reconfigurable arrays an atom move before a two-qubit gate whose atoms
 *     are not together (written as `id` on the moving atom, role routing,
 *     duration move_time_s; metrics.moves);
 *  5. native synthesis per module from arch native_gates (ions: gpi, gpi2 +
 *     ms or zz; atoms: rz + r (a local r stands for gr) + cz;
 *     superconducting: rz, sx, x + cz; colour centres: rz + r + cx; a module
 *     without native gates keeps the decomposed gates);
 *  6. list scheduling in program order: an operation starts when its qubits
 *     are free, the bits it reads have arrived at its module, its module
 *     allows (trapped ions: one two-qubit gate at a time) and, for EPR, its
 *     program link is free (one pair at a time per link). Durations: the
 *     module's gate_1q / gate_2q / readout / reset durations (virtual Z
 *     rotations take 0); EPR = the link's expected latency; message = fibre
 *     delay along the path. Metrics: ebits (EPR operations), remote_gates
 *     (two-qubit gates that used a copy), teleports (hops), swaps, moves,
 *     makespan_s, estimated_success = product of operation fidelities (EPR:
 *     link fidelity) x exp(-idle/T2) per used qubit. Then tsr_program_finish.
 *
 * Program modules are the compute modules of arch (same names and order);
 * program links join pairs of compute modules that arch connects directly or
 * through memory nodes only ("A-B"), with the expected latency and fidelity
 * of an end-to-end pair over the cheapest such path (tsr_module_graph_from_arch).
 * EPR operations prepare |Phi+> on two communication qubits (qubits[0] on
 * the link's module_a). source_op is the index in c of the operation each
 * program operation implements (docs/compiler.md, "Source operations"):
 * every piece of a decomposed gate carries the gate, a merged run of
 * single-qubit gates the last gate of the run; every protocol operation
 * (EPR pair, cat-entangler, teleport, message, correction) carries the gate
 * that needed it, a cat-disentangler the operation that ended the share;
 * routing swaps and atom moves carry the gate they make possible. It is -1
 * only for shares ended after the last operation. opt may be NULL
 * (defaults). The result is new
 * (free with tsr_program_free). Errors: TSR_ERR_VALUE when the circuit does
 * not fit the compute modules' capacity or the machine cannot join the
 * modules it needs (or has too few communication qubits); TSR_ERR_UNSUPPORTED
 * for opaque gates. */
tsr_status tsr_compile_program(const tsr_circuit *c, const tsr_arch *arch,
                               const tsr_compile_options *opt, tsr_program **out, tsr_error *err);

/* The module graph tsr_compile_program partitions on: one module per compute
 * module of arch (in arch order; *compute_index, when non-NULL, gets a
 * malloc'd array mapping graph module -> arch module index), capacity =
 * qubits - communication qubits, link_qubits = communication qubits used
 * (opt->max_communication caps them), and a link between two compute modules
 * that arch joins directly or through memory/repeater nodes only (the
 * cheapest path under the cost model, by Dijkstra over the arch links and
 * nodes), weighted by the cost of an end-to-end pair over it, normalised so
 * that the cheapest link costs 1:
 *   ebits     2 hops - 1 (a direct link 1; through one hub 3: two pairs and
 *             a swap);
 *   latency   expected time of the pair: the expected maximum of the hops'
 *             mean link-layer latencies (tsr_link_evaluate; exponential
 *             approximation, hops generate in parallel), plus every swap's
 *             2q gate and readout time, plus the fibre delay of the path
 *             (corrections travel to the ends);
 *   fidelity  -log of the end-to-end Werner parameter: the hops' heralded
 *             fidelities and the swap nodes' 2q gate fidelities as Werner
 *             parameters multiplied (memory decay while waiting not counted).
 * opt may be NULL (ebits). */
tsr_status tsr_module_graph_from_arch(const tsr_arch *arch, const tsr_compile_options *opt,
                                      tsr_module_graph **out, uint32_t **compute_index,
                                      tsr_error *err);

/* =============================================================== generators */

/* Benchmark circuits, deterministic for a seed (one register "q").
 *  cz_fraction(n, p): n layers; in each layer every qubit gets h with
 *    probability 1 - p, the others are paired by a random matching (an odd
 *    one out is left alone) and every pair gets a cz (Sundaram et al. 2021).
 *  cp_fraction(n, p): as cz_fraction with u3(random angles) for h and
 *    cp(random angle) for cz (Burt et al., DISQCO).
 *  pauli(n, m): m random Pauli gadgets exp(-i t P/2) (P a random Pauli string
 *    on at least two qubits), each as basis changes (h, or rx(pi/2)), a CX
 *    ladder, rz(t) and the mirror; m = 0 takes ~1.1 n^2 / (2 * mean weight)
 *    gadgets so that the circuit has about 1.1 n^2 two-qubit gates.
 *  random_crz(n): layers of h and rz on random qubits and cp(random angle)
 *    between random pairs, about 3 n (n - 1) / 2 cp gates.
 *  qft(n): the quantum Fourier transform without the final swaps (h and
 *    cp(pi / 2^k)).
 *  ghz(n): h then a cx chain.
 *  qv(n): n layers of random pairings with Haar-random SU(4) blocks,
 *    synthesised into CX and u3 (depth n quantum volume). */
tsr_status tsr_gen_cz_fraction(uint32_t n, double p, uint64_t seed, tsr_circuit **out,
                               tsr_error *err);
tsr_status tsr_gen_cp_fraction(uint32_t n, double p, uint64_t seed, tsr_circuit **out,
                               tsr_error *err);
tsr_status tsr_gen_pauli(uint32_t n, uint32_t gadgets, uint64_t seed, tsr_circuit **out,
                         tsr_error *err);
tsr_status tsr_gen_random_crz(uint32_t n, uint64_t seed, tsr_circuit **out, tsr_error *err);
tsr_status tsr_gen_qft(uint32_t n, tsr_circuit **out, tsr_error *err);
tsr_status tsr_gen_ghz(uint32_t n, tsr_circuit **out, tsr_error *err);
tsr_status tsr_gen_qv(uint32_t n, uint64_t seed, tsr_circuit **out, tsr_error *err);

/* A Haar-random unitary of dimension dim (2 or 4; out holds dim*dim entries)
 * from rng (QR of a complex Gaussian matrix with the phase fix of Mezzadri). */
tsr_status tsr_random_unitary(tsr_rng *rng, unsigned dim, double complex *out, tsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
