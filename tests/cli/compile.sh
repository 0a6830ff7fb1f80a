#!/usr/bin/env bash
# `tessera compile`: the figures as JSON (keys, GHZ closed form on a pytket-dqc
# network), -o writes an OpenQASM 3 program that reads back (here through the
# circuit reader and simulator; exactly, with tsr_program_read_qasm, in
# tests/program/test_program_qasm.c), every cost model on the default machine,
# and bad input (exit 2, one line).
# Args: TESSERA_BINARY SOURCE_DIR SHARED_DIR.
set -euo pipefail
tessera=$1 src=$2 shared=${3:-}
source "$src/tests/cli/lib/common.sh"

"$tessera" compile --help | grep -q 'Usage: tessera compile' || fail "--help"
"$tessera" --help | grep -q '^  compile ' || fail "compile is not listed in tessera --help"

# GHZ over three all-to-all servers of 4 qubits: k - 1 = 2 EPR pairs.
cat >"$tmp/net.json" <<'JSON'
{"servers": [{"id": 0, "qubits": 4, "link_qubits": 2},
             {"id": 1, "qubits": 4, "link_qubits": 2},
             {"id": 2, "qubits": 4, "link_qubits": 2}],
 "links": [[0, 1], [0, 2], [1, 2]]}
JSON
python3 - "$tmp/ghz.qasm" <<'PY'
import sys
n = 12
lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', f'qreg q[{n}];', f'creg c[{n}];', 'h q[0];']
lines += [f'cx q[{i}],q[{i+1}];' for i in range(n - 1)]
lines += ['measure q -> c;']
open(sys.argv[1], 'w').write('\n'.join(lines) + '\n')
PY
"$tessera" compile --arch "$tmp/net.json" --json "$tmp/ghz.qasm" >"$tmp/ghz.json" || fail "ghz compile"
python3 - "$tmp/ghz.json" <<'PY' || fail "ghz json"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ["ebits", "remote_gates", "teleports", "swaps", "makespan_s", "estimated_success",
          "placement", "modules", "links"]:
    assert k in d, k
assert d["ebits"] == 2, d["ebits"]
assert d["teleports"] == 0 and d["swaps"] == 0
assert len(d["placement"]) == 12
mods = {m["name"] for m in d["modules"]}
for p in d["placement"]:
    assert p["module"] in mods and p["qubit"] >= 0, p
assert d["makespan_s"] > 0 and 0 <= d["estimated_success"] <= 1
PY

# -o: an OpenQASM 3 program with module registers, EPR statements,
# annotations and messages; --ops lists the operations.
"$tessera" compile --arch "$tmp/net.json" -o "$tmp/ghz-prog.qasm" "$tmp/ghz.qasm" >"$tmp/out.txt" \
  || fail "compile -o"
grep -q 'EPR pairs 2' "$tmp/out.txt" || fail "text summary"
"$tessera" compile --arch "$tmp/net.json" --timeline "$tmp/ghz.qasm" >"$tmp/timeline.txt" \
  || fail "--timeline"
grep -Eq '^ +[0-9.e-]+ +[0-9.e-]+ +epr +epr server' "$tmp/timeline.txt" || fail "--timeline epr"
head -1 "$tmp/ghz-prog.qasm" | grep -q '^OPENQASM 3.0;' || fail "program header"
grep -q '^qubit\[6\] server0;' "$tmp/ghz-prog.qasm" || fail "module register"
grep -q '^gate epr a, b' "$tmp/ghz-prog.qasm" || fail "epr definition"
[ "$(grep -c '^reset .*; epr ' "$tmp/ghz-prog.qasm")" = 2 ] || fail "two epr statements"
grep -q '^#pragma tessera message' "$tmp/ghz-prog.qasm" || fail "messages"
grep -q '^@tessera.op cat-entangle' "$tmp/ghz-prog.qasm" || fail "annotations"
grep -Eq '^@tessera.op local .* source [0-9]+$' "$tmp/ghz-prog.qasm" || fail "source annotations"
"$tessera" compile --arch "$tmp/net.json" -o - "$tmp/ghz.qasm" | cmp - "$tmp/ghz-prog.qasm" \
  || fail "-o - differs from -o FILE"
# The program reads back as an OpenQASM 3 circuit (annotations skipped, epr
# a defined gate, corrections as if statements); simulated, its source bits
# show GHZ outcomes only (every communication qubit is used once here, so
# `epr` from |00> is exact).
"$tessera" info "$tmp/ghz-prog.qasm" >/dev/null || fail "program does not read back"
cat >"$tmp/small.json" <<'JSON'
{"servers": [{"id": 0, "qubits": 2, "link_qubits": 1}, {"id": 1, "qubits": 2, "link_qubits": 1},
             {"id": 2, "qubits": 2, "link_qubits": 1}], "links": [[0, 1], [1, 2], [0, 2]]}
JSON
python3 - "$tmp/ghz6.qasm" <<'PY'
import sys
lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', 'qreg q[6];', 'creg c[6];', 'h q[0];']
lines += [f'cx q[{i}],q[{i+1}];' for i in range(5)] + ['measure q -> c;']
open(sys.argv[1], 'w').write('\n'.join(lines) + '\n')
PY
"$tessera" compile --arch "$tmp/small.json" -o "$tmp/ghz6-prog.qasm" "$tmp/ghz6.qasm" >/dev/null
"$tessera" sim --shots 100 --seed 1 --json "$tmp/ghz6-prog.qasm" >"$tmp/ghz-sim.json" \
  || fail "program does not simulate"
python3 - "$tmp/ghz-sim.json" <<'PY' || fail "simulated program is not a GHZ state"
import json, sys
d = json.load(open(sys.argv[1]))
seen = {b[-6:] for b in d["counts"]}
assert seen <= {"0" * 6, "1" * 6} and len(seen) == 2, seen
PY
"$tessera" compile --arch "$tmp/net.json" --json --ops "$tmp/ghz.qasm" >"$tmp/ops.json"
python3 - "$tmp/ops.json" <<'PY' || fail "--ops"
import json, sys
d = json.load(open(sys.argv[1]))
roles = {op["role"] for op in d["operations"]}
assert {"epr", "message", "cat-entangle", "cat-disentangle", "local"} <= roles, roles
# source_op: the source operation (h, 11 cx, 12 measure: 24) each implements;
# every local one has it, every EPR pair serves a cx (operations 1..11).
for op in d["operations"]:
    s = op.get("source_op", -1)
    assert -1 <= s < 24, op
    if op["role"] == "local":
        assert s >= 0, op
    if op["role"] == "epr":
        assert 1 <= s <= 11, op
PY

# Every cost model on the default machine, and the shared pytket-dqc networks.
for c in ebits latency fidelity; do
  "$tessera" compile --cost $c --json "$src/examples/circuits/qft8.qasm" >"$tmp/qft-$c.json" \
    || fail "cost $c"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['machine']=='harq-default'" \
    "$tmp/qft-$c.json" || fail "cost $c json"
done
net="$shared/compile/pytket-dqc/networks/random_3s_18q_0.json"
if [ -f "$net" ]; then
  "$tessera" compile --arch "$net" --json "$src/examples/circuits/ghz16.qasm" >"$tmp/r.json" \
    || fail "pytket network"
fi

# Bad input: exit 2 with one file:line:col line.
printf 'OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n' >"$tmp/bad.qasm"
expect_bad 2 'bad\.qasm:3:' "$tessera" compile "$tmp/bad.qasm"
expect_bad 2 'missing\.yaml' "$tessera" compile --arch "$tmp/missing.yaml" "$tmp/ghz.qasm"
expect_usage "unknown cost model 'speed'" "$tessera" compile --cost speed "$tmp/ghz.qasm"
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[20];\nh q[19];\n' >"$tmp/big.qasm"
expect_bad 2 'room for 12' "$tessera" compile --arch "$tmp/net.json" "$tmp/big.qasm"
echo "compile CLI OK"
