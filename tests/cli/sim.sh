#!/usr/bin/env bash
# `tessera sim`: Bell counts on every backend, JSON that parses, state-vector
# amplitudes, feed-forward, noise files, seeds and thread counts, and bad
# input (exit 2, one line). Args: TESSERA_BINARY SOURCE_DIR SHARED_DIR.
set -euo pipefail
tessera=$1 src=$2 shared=${3:-}
source "$src/tests/cli/lib/common.sh"

"$tessera" sim --help | grep -q 'Usage: tessera sim' || fail "--help"
"$tessera" --help | grep -q '^  sim ' || fail "sim is not listed in tessera --help"

cat >"$tmp/bell.qasm" <<'QASM'
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q -> c;
QASM

# Bell counts: only 00 and 11, about half each, on every backend.
for b in sv dm stab auto; do
  "$tessera" sim --backend $b --shots 2000 --seed 3 --json "$tmp/bell.qasm" >"$tmp/bell-$b.json"
  python3 - "$tmp/bell-$b.json" "$b" <<'PY' || fail "bell counts on $b"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["qubits"] == 2 and d["shots"] == 2000, d
c = d["counts"]
assert set(c) == {"00", "11"}, c
assert sum(c.values()) == 2000
assert abs(c["11"] / 2000 - 0.5) < 0.05, c
if sys.argv[2] == "auto":
    assert d["backend"] == "stab", d["backend"]
PY
done
# Text output lists the outcomes.
"$tessera" sim --shots 100 "$tmp/bell.qasm" | grep -Eq '^  00 +[0-9]+' || fail "text output"

# Amplitudes: Qiskit's order (qubit 0 least significant); an X on qubit 0
# alone gives amplitude 1 at index 1.
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\nx q[0];\nh q[2];\n' >"$tmp/x0.qasm"
"$tessera" sim --backend sv --statevector --json "$tmp/x0.qasm" >"$tmp/x0.json"
python3 - "$tmp/x0.json" <<'PY' || fail "amplitudes"
import json, math, sys
d = json.load(open(sys.argv[1]))
a = d["amplitudes"]
assert len(a) == 8
h = 1 / math.sqrt(2)
for i, (re, im) in enumerate(a):
    want = h if i in (1, 5) else 0.0
    assert abs(re - want) < 1e-12 and abs(im) < 1e-12, (i, re, im)
# no measurement: every qubit measured at the end, qubit 0 rightmost
assert d["measured_all"] is True
assert set(d["counts"]) == {"001", "101"}, d["counts"]
PY
# The same from the tableau (a Clifford circuit), up to a global phase.
"$tessera" sim --backend stab --statevector --json "$tmp/x0.qasm" | python3 -c '
import json, sys
a = json.load(sys.stdin)["amplitudes"]
assert abs(abs(complex(*a[1])) - 2 ** -0.5) < 1e-12 and abs(abs(complex(*a[5])) - 2 ** -0.5) < 1e-12
' || fail "stabilizer amplitudes"

# Feed-forward: teleportation from standard input, always ending in |0>.
cat >"$tmp/tele.qasm" <<'QASM'
OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg a[1];
creg b[1];
creg out[1];
ry(0.7) q[0];
h q[1];
cx q[1],q[2];
cx q[0],q[1];
h q[0];
measure q[0] -> a[0];
measure q[1] -> b[0];
if(b==1) x q[2];
if(a==1) z q[2];
ry(-0.7) q[2];
measure q[2] -> out[0];
QASM
"$tessera" sim --shots 300 --json - <"$tmp/tele.qasm" | python3 -c '
import json, sys
c = json.load(sys.stdin)["counts"]
assert all(k[0] == "0" for k in c), c
assert sum(c.values()) == 300
' || fail "teleportation"

# Same seed, same counts at 1 and 2 threads; noise from a YAML file.
cat >"$tmp/noise.yaml" <<'YAML'
gates:
  - gates: all
    depolarizing: 0.05
  - gates: cx
    amplitude_damping: 0.02
readout:
  - {qubits: all, p01: 0.01, p10: 0.03}
YAML
"$tessera" sim --noise "$tmp/noise.yaml" --backend sv --seed 9 --threads 1 --json "$tmp/bell.qasm" \
  | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["counts"], sort_keys=True))' >"$tmp/t1"
"$tessera" sim --noise "$tmp/noise.yaml" --backend sv --seed 9 --threads 2 --json "$tmp/bell.qasm" \
  | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["counts"], sort_keys=True))' >"$tmp/t2"
cmp -s "$tmp/t1" "$tmp/t2" || fail "thread count changed the counts: $(cat "$tmp/t1") vs $(cat "$tmp/t2")"
grep -q '"01"' "$tmp/t1" || fail "noise produced no 01 outcome: $(cat "$tmp/t1")"

# Bad input: exit 2 with one line.
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncx q[0], q[0;\n' >"$tmp/bad.qasm"
expect_bad 2 'bad\.qasm:4:[0-9]+:' "$tessera" sim "$tmp/bad.qasm"
printf 'gates:\n  - gates: h\n    depolarizing: 7\n' >"$tmp/bad.yaml"
expect_bad 2 'bad\.yaml:3:[0-9]+:.*depolarizing' "$tessera" sim --noise "$tmp/bad.yaml" "$tmp/bell.qasm"
expect_usage 'unknown backend' "$tessera" sim --backend gpu "$tmp/bell.qasm"
expect_usage 'shots' "$tessera" sim --shots 0 "$tmp/bell.qasm"
expect_usage 'expected one FILE' "$tessera" sim
expect_bad 2 'not a Clifford' "$tessera" sim --backend stab "$tmp/tele.qasm"
# Too many qubits: refused before allocation, naming qubits and bytes.
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[44];\nh q[0];\nt q[0];\n' >"$tmp/big.qasm"
expect_bad 2 'state vector of 44 qubits needs .*bytes.* available' "$tessera" sim "$tmp/big.qasm"
expect_bad 2 'density matrix of 44 qubits' "$tessera" sim --backend dm "$tmp/big.qasm"
# ... while a Clifford circuit that wide runs on the tableau.
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[300];\ncreg c[300];\nh q[0];\ncx q[0],q[299];\nmeasure q -> c;\n' >"$tmp/wide.qasm"
"$tessera" sim --json --shots 50 "$tmp/wide.qasm" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["backend"] == "stab"
assert all(len(k) == 300 and k[0] == k[-1] and set(k[1:-1]) == {"0"} for k in d["counts"]), d["counts"]
' || fail "wide Clifford circuit"
echo "sim: ok"
