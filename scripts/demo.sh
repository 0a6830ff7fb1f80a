#!/usr/bin/env bash
# The first-run demo: what `make demo` shows on a freshly built tree.
set -euo pipefail
tessera=${1:-build/bin/tessera}
cd "$(dirname "$0")/.."
# The main job's pictures and JSON land beside the build.
report=${DEMO_REPORT:-$(dirname "$(dirname "$tessera")")/demo-report}
help=$("$tessera" --help)
has() { grep -q "^  $1 " <<<"$help"; }

echo "== tessera info examples/circuits/qft8.qasm"
"$tessera" info examples/circuits/qft8.qasm
if has sim; then
  echo
  echo "== tessera sim examples/circuits/ghz16.qasm --shots 1000 --seed 1"
  "$tessera" sim examples/circuits/ghz16.qasm --shots 1000 --seed 1
  echo
  echo "== tessera sim examples/circuits/teleport.qasm --shots 1000 --seed 1"
  "$tessera" sim examples/circuits/teleport.qasm --shots 1000 --seed 1
fi
if has arch; then
  echo
  echo "== tessera arch (the built-in default machine)"
  "$tessera" arch
fi
echo
echo "== tessera convert examples/circuits/teleport.qasm --qasm3"
"$tessera" convert examples/circuits/teleport.qasm --qasm3
if has run; then
  # The main job: compile a 24-qubit GHZ circuit onto the default machine with
  # at most 8 data qubits per module (so that it spreads over three modules and
  # needs EPR pairs through the SiV hub), run 1000 shots, and rerun 1000 shots
  # with each noise source off to measure what it costs; report.
  echo
  echo "== tessera run examples/circuits/ghz24.qasm --spread 8 --shots 1000 --seed 1 --ablation 1000 --report $report"
  "$tessera" run examples/circuits/ghz24.qasm --spread 8 --shots 1000 --seed 1 --ablation 1000 \
    --report "$report"
fi
