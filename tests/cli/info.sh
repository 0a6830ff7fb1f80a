#!/usr/bin/env bash
# `tessera info`, `--help`, `--version` and error handling of the command.
set -euo pipefail
tessera=$1 src=$2
source "$src/tests/cli/lib/common.sh"

# Capture before grepping: grep -q closing the pipe early would SIGPIPE the writer.
version=$("$tessera" --version)
grep -q '^tessera [0-9]' <<<"$version" || fail "--version"
help=$("$tessera" --help)
grep -q 'info' <<<"$help" || fail "--help lists info"
for cmd in $(awk '/^Commands:/{on=1;next} /^$/{on=0} on{print $1}' <<<"$help"); do
  "$tessera" "$cmd" --help >/dev/null || fail "$cmd --help"
done
set +e
"$tessera" frobnicate >/dev/null 2>&1; [[ $? == 2 ]] || fail "unknown command exits 2"
"$tessera" info >/dev/null 2>&1; [[ $? == 2 ]] || fail "info without FILE exits 2"
set -e

out=$("$tessera" info "$src/examples/circuits/ghz16.qasm")
grep -q 'qubits *16' <<<"$out" || fail "table qubits: $out"
grep -q 'two-qubit gates *15' <<<"$out" || fail "table two-qubit gates: $out"

"$tessera" info --json "$src/examples/circuits/ghz16.qasm" >"$tmp/a.json"
python3 - "$tmp/a.json" <<'PY' || fail "json keys"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["qubits"] == 16 and d["clbits"] == 16, d
assert d["gates"] == 16 and d["two_qubit_gates"] == 15, d
assert d["depth"] == 17 and d["two_qubit_depth"] == 15, d
assert d["counts"] == {"h": 1, "cx": 15, "measure": 16}, d["counts"]
PY

# stdin
out=$("$tessera" info --json - <"$src/examples/circuits/bell.qasm")
grep -q '"qubits": 2' <<<"$out" || fail "stdin"

# bad input: one line file:line:col and exit 2
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nfoo q[0];\n' >"$tmp/bad.qasm"
expect_bad 2 'bad\.qasm:4:1:' "$tessera" info "$tmp/bad.qasm"
expect_bad 2 'missing\.qasm' "$tessera" info "$tmp/missing.qasm"
echo "info.sh: all checks passed"
