#!/usr/bin/env bash
# `tessera net`: pairs between two nodes of the default machine and of a
# chain, JSON keys, determinism by seed, purification, cutoffs, and bad input
# with exit status 2.
set -euo pipefail
tessera=$1 src=$2
source "$src/tests/cli/lib/common.sh"

help=$("$tessera" --help); grep -q '^  net ' <<<"$help" || fail "--help lists net"
help=$("$tessera" net --help); grep -q -- '--between' <<<"$help" || fail "net --help"

out=$("$tessera" net --between ion-a ion-b --pairs 50)
for want in 'delivered 50 pairs' 'fidelity' 'memory' 'events' 'ion-a -- hub -- ion-b'; do
  grep -q -- "$want" <<<"$out" || fail "report lacks '$want': $out"
done

# JSON keys, and the same seed gives the same run
"$tessera" net --between ion-a ion-b --pairs 100 --seed 7 --json >"$tmp/a.json"
"$tessera" net --between ion-a ion-b --pairs 100 --seed 7 --json --deliveries "$tmp/d.csv" \
  >"$tmp/b.json"
"$tessera" net --between ion-a ion-b --pairs 100 --seed 8 --json >"$tmp/c.json"
python3 - "$tmp" <<'PY' || fail "json"
import json, sys, os, csv
t = sys.argv[1]
a, b, c = (json.load(open(os.path.join(t, n))) for n in ("a.json", "b.json", "c.json"))
for k in ("pairs", "rate_hz", "mean_fidelity", "events", "wall_s", "fidelity", "memory",
          "path", "sim_time_s", "events_per_s"):
    assert k in a, k
assert a["pairs"] == 100 and a["path"] == ["ion-a", "hub", "ion-b"], a["path"]
assert a["rate_hz"] > 0 and 0.25 <= a["mean_fidelity"] <= 1
f = a["fidelity"]
assert f["min"] <= f["p05"] <= f["median"] <= f["p95"] <= f["max"]
assert sum(f["histogram"]["counts"]) == 100
assert len(f["histogram"]["edges"]) == len(f["histogram"]["counts"]) + 1
assert all(n["peak"] <= n["slots"] for n in a["memory"]["nodes"])
for k in ("pairs", "rate_hz", "mean_fidelity", "events", "sim_time_s", "fidelity"):
    assert a[k] == b[k], k
assert a["sim_time_s"] != c["sim_time_s"]
rows = list(csv.DictReader(open(os.path.join(t, "d.csv"))))
assert len(rows) == 100 and abs(float(rows[0]["fidelity"]) - 0) > 0
PY

# a duration, purification and a cutoff; a repeater chain
"$tessera" net "$src/examples/machines/metro-3node.yaml" --between campus airport \
  --duration 20s --purify 0.97 --cutoff 200ms --json >"$tmp/p.json"
python3 - "$tmp/p.json" <<'PY' || fail "duration/purify"
import json, sys
d = json.load(open(sys.argv[1]))
assert abs(d["sim_time_s"] - 20) < 1e-9
assert d["config"]["target_fidelity"] == 0.97 and d["config"]["cutoff_s"] == 0.2
assert d["pairs"] > 0 and d["purifications"] > 0
assert d["fidelity"]["min"] >= 0.97 - 1e-9 or d["below_target"] > 0
PY
"$tessera" net --chain 9 --memories 4 --per-memory --duration 1s --json >"$tmp/ch.json"
python3 - "$tmp/ch.json" <<'PY' || fail "chain"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["hops"] == 8 and d["path"][0] == "n0" and d["path"][-1] == "n8"
assert d["pairs"] > 0 and d["swaps"] >= 7 * d["pairs"]
assert all(n["slots"] == (4 if i in (0, 8) else 8) for i, n in enumerate(d["memory"]["nodes"]))
PY
"$tessera" net "$src/examples/machines/metro-3node.yaml" --between campus airport --pairs 20 \
  --route hops --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["hops"] == 1 and d["pairs"] == 20' || fail "metro by hops"

# bad input: exit status 2
expect2() {
  local rc=0
  "$tessera" net "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [[ $rc -eq 2 ]] || fail "exit $rc, wanted 2, for: net $* ($(cat "$tmp/err"))"
  grep -q 'tessera' "$tmp/err" || fail "no message for: net $*"
}
expect2 --pairs 5
expect2 --between ion-a
expect2 --between ion-a nowhere
expect2 --between ion-a ion-a
expect2 --between ion-a ion-b --pairs 0
expect2 --between ion-a ion-b --pairs many
expect2 --between ion-a ion-b --duration 5kg
expect2 --between ion-a ion-b --purify 1.5
expect2 --between ion-a ion-b --cutoff 0
expect2 --between ion-a ion-b --route cheapest
expect2 --between ion-a ion-b --scheme magic
expect2 --chain 1
expect2 --chain 3 --preset nope
expect2 "$tmp/missing.yaml" --between a b
expect2 --bogus
echo "net CLI: ok"
