#!/usr/bin/env bash
# `tessera run`: JSON with the keys the issue names, noiseless runs at
# Hellinger fidelity 1, a spread circuit using EPR pairs, the same report at
# 1 and 2 threads, --report files (timeline.json parses as a Chrome trace),
# and bad input (exit 2, one line). Args: TESSERA_BINARY SOURCE_DIR SHARED_DIR.
set -euo pipefail
tessera=$1 src=$2
source "$src/tests/cli/lib/common.sh"

"$tessera" run --help | grep -q 'Usage: tessera run' || fail "--help"
"$tessera" --help | grep -q '^  run ' || fail "run is not listed in tessera --help"

cat >"$tmp/ghz6.qasm" <<'QASM'
OPENQASM 2.0;
include "qelib1.inc";
qreg q[6];
creg c[6];
h q[0];
cx q[0], q[1];
cx q[1], q[2];
cx q[2], q[3];
cx q[3], q[4];
cx q[4], q[5];
measure q -> c;
QASM

# A machine of two ideal modules joined by an ideal link: no noise at all.
cat >"$tmp/ideal.yaml" <<'YAML'
name: ideal-pair
modules:
  - name: left
    modality: ideal
    qubits: 5
    communication:
      qubits: 1
  - name: right
    modality: ideal
    qubits: 5
    communication:
      qubits: 1
links:
  - between: [left, right]
    length: 1 km
    protocol: ideal
YAML

# Spread over both modules (4 data qubits each): EPR pairs, Hellinger 1.
"$tessera" run "$tmp/ghz6.qasm" --arch "$tmp/ideal.yaml" --shots 300 --seed 2 --json \
  >"$tmp/ideal.json"
python3 - "$tmp/ideal.json" <<'PY' || fail "noiseless spread run"
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("hellinger_fidelity", "ebits", "makespan_s", "shots", "error_budget", "modules",
          "monolithic", "makespan", "state_fidelity", "counts"):
    assert k in d, k
assert d["shots"] == 300
assert d["ebits"] >= 1, d["ebits"]
assert d["hellinger_fidelity"] > 0.99, d["hellinger_fidelity"]
assert set(d["counts"]) <= {"000000", "111111"}, d["counts"]
assert sum(d["counts"].values()) == 300
assert len(d["modules"]) == 2 and all("busy_s" in m and "idle_s" in m and "network_wait_s" in m
                                      for m in d["modules"])
assert isinstance(d["error_budget"], list) and d["error_budget"]
assert all("source" in e and "estimate" in e for e in d["error_budget"])
# neither module alone has room for 6 qubits
assert all(not m["ran"] for m in d["monolithic"]), d["monolithic"]
assert d["makespan"]["mean"] == d["makespan_s"]
PY

# The default machine: a noisy run, text output, the same JSON at 1 and 2 threads.
"$tessera" run "$tmp/ghz6.qasm" --shots 50 --seed 4 --no-monolithic | grep -q 'Hellinger fidelity' \
  || fail "text output"
for t in 1 2; do
  "$tessera" run "$tmp/ghz6.qasm" --spread 3 --shots 64 --seed 4 --threads $t --json \
    --no-monolithic | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in ("wall_s", "shots_per_s"):
    d.pop(k)
print(json.dumps(d, sort_keys=True))' >"$tmp/t$t"
done
cmp -s "$tmp/t1" "$tmp/t2" || fail "the thread count changed the report"
python3 - "$tmp/t1" <<'PY' || fail "default machine run"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["machine"] == "harq-default"
assert d["ebits"] >= 1
assert 0 <= d["hellinger_fidelity"] <= 1
assert d["makespan"]["max"] >= d["makespan"]["min"] > 0
assert d["links"] and d["links"][0]["hops"] == 2, d["links"]
PY

# --report: the four files; timeline.json is a Chrome trace.
"$tessera" run "$tmp/ghz6.qasm" --arch "$tmp/ideal.yaml" --shots 20 --report "$tmp/rep" \
  >"$tmp/out.txt"
for f in report.json timeline.svg timeline.json error_budget.svg; do
  [[ -s "$tmp/rep/$f" ]] || fail "--report did not write $f"
done
python3 - "$tmp/rep" <<'PY' || fail "report files"
import json, sys
d = sys.argv[1]
t = json.load(open(d + "/timeline.json"))
ev = [e for e in t["traceEvents"] if e["ph"] == "X"]
assert ev and all({"name", "ts", "dur", "pid", "tid"} <= set(e) for e in ev)
assert any(e["name"] == "epr" for e in ev)
names = {e["args"]["name"] for e in t["traceEvents"] if e["ph"] == "M"}
assert {"left", "right"} <= names, names
r = json.load(open(d + "/report.json"))
assert r["shots"] == 20 and "error_budget" in r
assert open(d + "/timeline.svg").read().lstrip().startswith("<svg")
assert "<svg" in open(d + "/error_budget.svg").read()
PY

printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncx q[0], q[0;\n' >"$tmp/bad.qasm"
expect_bad 2 'bad\.qasm:4:[0-9]+:' "$tessera" run "$tmp/bad.qasm"
printf 'name: x\nmodules:\n  - name: a\n    preset: no-such-preset\n' >"$tmp/bad.yaml"
expect_bad 2 'bad\.yaml:[0-9]+:[0-9]+:' "$tessera" run --arch "$tmp/bad.yaml" "$tmp/ghz6.qasm"
expect_bad 2 'no-such\.qasm' "$tessera" run "$tmp/no-such.qasm"
expect_usage 'expected one CIRCUIT' "$tessera" run
expect_usage 'shots' "$tessera" run --shots 0 "$tmp/ghz6.qasm"
expect_usage 'unknown backend' "$tessera" run --backend gpu "$tmp/ghz6.qasm"
expect_usage 'noise' "$tessera" run --noise loud "$tmp/ghz6.qasm"
# too wide for the two 4-qubit modules
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[12];\nh q[0];\n' >"$tmp/wide.qasm"
expect_bad 2 '.' "$tessera" run --arch "$tmp/ideal.yaml" "$tmp/wide.qasm"
echo "run: ok"
