#!/usr/bin/env bash
# `tessera link`: the table of every link, one link in detail, JSON keys,
# sweeps as a table, JSON and an SVG chart, the published experiments'
# machines, and bad input with exit status 2.
set -euo pipefail
tessera=$1 src=$2 shared=${3:-}
source "$src/tests/cli/lib/common.sh"

help=$("$tessera" --help); grep -q '^  link ' <<<"$help" || fail "--help lists link"
help=$("$tessera" link --help); grep -q -- '--sweep' <<<"$help" || fail "link --help"

# the default machine: every link in a table
out=$("$tessera" link)
for want in 'ion-a--hub' 'sc--hub' 'p/attempt' 'rate' 'fidelity'; do
  grep -q -- "$want" <<<"$out" || fail "table lacks '$want': $out"
done
# one link by name (either order) and by index, in detail
out=$("$tessera" link hub--ion-a --density-matrix)
grep -q 'heralded state' <<<"$out" || fail "detail: $out"
grep -q 'density matrix' <<<"$out" || fail "density matrix: $out"
"$tessera" link 0 >/dev/null || fail "link by index"

# JSON keys per link
"$tessera" link --json >"$tmp/l.json"
python3 - "$tmp/l.json" <<'PY' || fail "json keys"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["machine"] == "harq-default"
assert len(d["links"]) == 4
for l in d["links"]:
    for k in ("name", "success_probability", "attempt_period_s", "rate_hz", "fidelity",
              "mean_latency_s", "latency_s", "state", "between", "protocol", "length_m"):
        assert k in l, k
    assert 0 < l["success_probability"] <= 1
    assert l["attempt_period_s"] > 0 and l["rate_hz"] > 0
    assert 0.25 <= l["fidelity"] <= 1
    assert abs(l["rate_hz"] - l["success_probability"] / l["attempt_period_s"]) < 1e-9 * l["rate_hz"]
    assert l["latency_s"]["p50"] <= l["latency_s"]["p90"] <= l["latency_s"]["p99"]
PY
"$tessera" link --json ion-b--hub --density-matrix | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d["links"]) == 1 and d["links"][0]["name"] == "ion-b--hub"
m = d["links"][0]["density_matrix"]["real"]
assert abs(sum(m[i][i] for i in range(4)) - 1) < 1e-9' || fail "one link json"

# the published experiments L1-L5 as machine files
for f in oxford-2020 innsbruck-2023 lmu-2022 delft-2018 oxford-2025; do
  "$tessera" link --json "$src/examples/machines/$f.yaml" >"$tmp/$f.json" || fail "link $f"
  "$tessera" arch "$src/examples/machines/$f.yaml" >/dev/null || fail "arch $f"
done
python3 - "$tmp" <<'PY' || fail "experiments"
import json, sys, os
def link(name):
    return json.load(open(os.path.join(sys.argv[1], name + ".json")))["links"][0]
def near(x, want, factor=1.5):
    return want / factor <= x <= want * factor
assert near(link("oxford-2020")["rate_hz"], 182) and abs(link("oxford-2020")["fidelity"] - 0.94) < 0.03
assert near(link("innsbruck-2023")["success_probability"], 4e-5)
assert abs(link("innsbruck-2023")["fidelity"] - 0.882) < 0.03
assert near(link("lmu-2022")["rate_hz"], 0.01) and abs(link("lmu-2022")["fidelity"] - 0.622) < 0.03
assert near(link("delft-2018")["rate_hz"], 39)
assert abs(link("oxford-2025")["fidelity"] - 0.969) < 0.03
PY

# a sweep: table, JSON, SVG
out=$("$tessera" link "$src/examples/machines/lmu-2022.yaml" --sweep length=1km:100km:12 \
      --plot "$tmp/sweep.svg")
grep -q 'length (km)' <<<"$out" || fail "sweep table: $out"
[[ $(grep -c ' Hz ' <<<"$out") -eq 12 ]] || fail "12 sweep rows: $out"
python3 - "$tmp/sweep.svg" <<'PY' || fail "svg"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg"
lines = root.findall(ns + "polyline")
assert len(lines) == 2
for l in lines:
    assert len(l.get("points").split()) == 12
texts = " ".join(t.text or "" for t in root.iter(ns + "text"))
for want in ("fibre length", "rate", "fidelity", "lmu-2022"):
    assert want in texts, want
PY
"$tessera" link ion-a--hub --sweep dark_count_rate=1Hz:1MHz:7 --log --json >"$tmp/s.json"
python3 - "$tmp/s.json" <<'PY' || fail "sweep json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["param"] == "dark_count_rate" and d["link"] == "ion-a--hub"
pts = d["points"]
assert len(pts) == 7 and abs(pts[0]["value"] - 1) < 1e-9 and abs(pts[-1]["value"] - 1e6) < 1e-3
for k in ("value", "success_probability", "attempt_period_s", "rate_hz", "fidelity"):
    assert k in pts[0], k
f = [p["fidelity"] for p in pts]
assert all(a >= b - 1e-12 for a, b in zip(f, f[1:])), f   # more dark counts, lower fidelity
PY

# a pytket-dqc network: ideal links, no fibre, the nominal 1 us period
if [[ -n "$shared" && -f "$shared/compile/pytket-dqc/networks/random_3s_18q_0.json" ]]; then
  "$tessera" link --json "$shared/compile/pytket-dqc/networks/random_3s_18q_0.json" \
    | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d["links"]) == 3
assert all(l["success_probability"] == 1 and l["fidelity"] == 1 and l["rate_hz"] == 1e6
           for l in d["links"])' || fail "pytket-dqc network"
fi

# bad input: exit status 2 with one message
expect2() {
  local rc=0
  "$tessera" link "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [[ $rc -eq 2 ]] || fail "exit $rc, wanted 2, for: link $* ($(cat "$tmp/err"))"
  grep -q 'tessera' "$tmp/err" || fail "no message for: link $*"
}
expect2 nope--hub
expect2 17
expect2 --sweep length=1km:100km:5                  # several links, none named
expect2 0 --sweep foo=1:2:3
expect2 0 --sweep length=1km:100km
expect2 0 --sweep length=1kg:100km:5
expect2 0 --sweep visibility=0.5:1.5:3
expect2 0 --sweep bright_state_weight=0.1:0.2:3      # a two-photon link
expect2 0 --plot "$tmp/x.svg"
expect2 --bogus
expect2 "$tmp/missing.yaml"
printf 'modules: [{name: a, modality: ideal, qubits: -1}]\n' >"$tmp/bad.yaml"
expect2 "$tmp/bad.yaml"
grep -q 'bad.yaml:1:' "$tmp/err" || fail "file:line:col for a bad machine: $(cat "$tmp/err")"
echo "link CLI: ok"
