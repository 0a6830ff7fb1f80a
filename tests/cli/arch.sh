#!/usr/bin/env bash
# `tessera arch`: the default machine, example machines, presets, --json,
# --dot, and one-line file:line:col errors with exit status 2.
set -euo pipefail
tessera=$1 src=$2 shared=${3:-}
source "$src/tests/cli/lib/common.sh"

# (outputs are captured before grep -q: with pipefail, a grep that stops
# reading early would fail the pipeline through SIGPIPE)
help=$("$tessera" --help); grep -q '^  arch ' <<<"$help" || fail "--help lists arch"
help=$("$tessera" arch --help); grep -q -- '--dot' <<<"$help" || fail "arch --help"

# the built-in default machine
out=$("$tessera" arch)
for want in 'machine harq-default' 'ion-a' 'ion-b' 'atoms' 'sc-heron' 'hub' 'diamond-siv' \
            'modules (4)' 'links (4)' 'two-photon'; do
  grep -q -- "$want" <<<"$out" || fail "default table lacks '$want': $out"
done
"$tessera" arch --print-default | cmp -s - "$src/examples/machines/default.yaml" \
  || fail "--print-default differs from examples/machines/default.yaml"

# every example machine prints as a table, as JSON and as Graphviz
for f in "$src"/examples/machines/*.yaml; do
  "$tessera" arch "$f" >"$tmp/t.txt" || fail "table of $f"
  grep -q '^modules' "$tmp/t.txt" || fail "modules section in $f"
  "$tessera" arch --json "$f" >"$tmp/a.json" || fail "json of $f"
  python3 -c 'import json,sys; json.load(sys.stdin)' <"$tmp/a.json" || fail "json parses: $f"
  "$tessera" arch --dot "$f" >"$tmp/g.dot" || fail "dot of $f"
  grep -q '^graph ' "$tmp/g.dot" || fail "dot header of $f"
done

"$tessera" arch --json >"$tmp/default.json"
python3 - "$tmp/default.json" <<'PY' || fail "json keys"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["name"] == "harq-default", d["name"]
mods = {m["name"]: m for m in d["modules"]}
for m in d["modules"]:
    for key in ("name", "modality", "qubits", "role", "gate_1q", "gate_2q", "readout",
                "coherence", "communication", "connectivity", "photon", "sources"):
        assert key in m, (m["name"], key)
assert mods["ion-a"]["modality"] == "trapped-ion" and mods["ion-a"]["qubits"] == 100
assert mods["atoms"]["modality"] == "neutral-atom"
assert mods["sc"]["modality"] == "superconducting"
assert mods["sc"]["connectivity"]["edges"] == 176
assert mods["hub"]["role"] == "memory" and mods["hub"]["modality"] == "colour-centre"
assert len(d["links"]) == 4
for l in d["links"]:
    assert len(l["between"]) == 2 and "hub" in l["between"], l["between"]
    assert 5000 <= l["length_m"] <= 12000
    assert all(abs(e["fibre_wavelength_m"] - 1550e-9) < 1e-12 for e in l["ends"])
    assert l["attempt_period_s"] > 0
PY

dot=$("$tessera" arch --dot)
grep -q '"ion-a" -- "hub"' <<<"$dot" || fail "dot edge: $dot"
grep -q 'shape=ellipse' <<<"$dot" || fail "dot memory node"

# presets, sources, stdin, -o
presets=$("$tessera" arch --presets)
for p in ion-forte ion-aria ion-ba-nextgen ion-helios atom-rb sc-heron sc-willow diamond-siv \
         diamond-nv; do
  grep -q "$p" <<<"$presets" || fail "--presets lacks $p"
done
"$tessera" arch --presets --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["modules"]) == 9'
sources=$("$tessera" arch --sources)
grep -q 'arXiv:2510.17286' <<<"$sources" || fail "--sources cites"
grep -q 'machine file' <<<"$sources" || fail "--sources marks overrides"
json=$("$tessera" arch --json - <"$src/examples/machines/monolithic.yaml")
grep -q '"helios"' <<<"$json" || fail "stdin"
"$tessera" arch --dot -o "$tmp/m.dot" "$src/examples/machines/metro-3node.yaml"
grep -q '"campus" -- "downtown"' "$tmp/m.dot" || fail "-o file"

# a pytket-dqc network
if [[ -n "$shared" && -f "$shared/compile/pytket-dqc/networks/random_3s_18q_0.json" ]]; then
  "$tessera" arch --json "$shared/compile/pytket-dqc/networks/random_3s_18q_0.json" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["modules"]) == 3 and len(d["links"]) == 3'
fi

# bad input: one line file:line:col on stderr, exit 2
check_bad() { # file, expected location, message part
  expect_bad 2 '.' "$tessera" arch "$1"
  grep -qF -- "$2" <<<"$msg" || fail "location $2: $msg"
  grep -qF -- "$3" <<<"$msg" || fail "message '$3': $msg"
}
printf 'modules:\n  - name: a\n    preset: ion-forte\n    gate_2q: {fidelty: 0.99}\n' >"$tmp/key.yaml"
check_bad "$tmp/key.yaml" "key.yaml:4:15:" "did you mean 'fidelity'?"
printf 'modules:\n  - name: a\n    qubits: [1, 2\n' >"$tmp/syntax.yaml"
check_bad "$tmp/syntax.yaml" "syntax.yaml:4:1:" "YAML syntax error"
printf 'modules:\n  - {name: a, preset: ion-forte}\nlinks:\n  - {between: [a, b], length: 1 km}\n' >"$tmp/undef.yaml"
check_bad "$tmp/undef.yaml" "undef.yaml:4:19:" "undefined module 'b'"
printf 'modules:\n  - name: a\n    preset: ion-forte\n    coherence: {t1: 1 s, t2: 3 s}\n' >"$tmp/t2.yaml"
check_bad "$tmp/t2.yaml" "t2.yaml:4:30:" "exceeds 2*T1"
check_bad "$tmp/missing.yaml" "missing.yaml" "missing.yaml"

set +e
"$tessera" arch --json --dot >/dev/null 2>&1; [[ $? == 2 ]] || fail "--json --dot exits 2"
"$tessera" arch --frobnicate >/dev/null 2>&1; [[ $? == 2 ]] || fail "bad option exits 2"
"$tessera" arch a.yaml b.yaml >/dev/null 2>&1; [[ $? == 2 ]] || fail "two files exit 2"
set -e
echo "arch.sh: all checks passed"
