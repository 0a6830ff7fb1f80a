#!/usr/bin/env bash
# The first-run demo: what `make demo` shows on a freshly built tree.
set -euo pipefail
tessera=${1:-build/bin/tessera}
cd "$(dirname "$0")/.."
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
