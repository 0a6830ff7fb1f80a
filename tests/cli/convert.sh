#!/usr/bin/env bash
# `tessera convert`: both directions, standard input and output, version
# choice, and error handling. Args: TESSERA_BINARY SOURCE_DIR SHARED_DIR.
set -euo pipefail
tessera=$1 src=$2 shared=${3:-}
source "$src/tests/cli/lib/common.sh"

"$tessera" convert --help | grep -q 'Usage: tessera convert' || fail "--help"

# OpenQASM 2.0 -> 3 -> 2.0 gives the writer's 2.0 text back.
bell=$src/examples/circuits/bell.qasm
"$tessera" convert --qasm3 "$bell" -o "$tmp/bell3.qasm"
head -1 "$tmp/bell3.qasm" | grep -qx 'OPENQASM 3.0;' || fail "v3 header: $(head -1 "$tmp/bell3.qasm")"
grep -qx 'c\[1\] = measure q\[1\];' "$tmp/bell3.qasm" || fail "v3 measure: $(cat "$tmp/bell3.qasm")"
"$tessera" convert --qasm2 "$tmp/bell3.qasm" -o "$tmp/bell2.qasm"
"$tessera" convert "$bell" >"$tmp/bell2-direct.qasm" # default: 2.0, standard output
cmp -s "$tmp/bell2.qasm" "$tmp/bell2-direct.qasm" || fail "2 -> 3 -> 2 differs from 2 -> 2"
expected='OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q[0] -> c[0];
measure q[1] -> c[1];'
[[ $(cat "$tmp/bell2.qasm") == "$expected" ]] || fail "bell text: $(cat "$tmp/bell2.qasm")"

# Standard input, and '-o -' for standard output.
"$tessera" convert --qasm3 - -o - <"$bell" | cmp -s - "$tmp/bell3.qasm" || fail "stdin/stdout"

# A circuit conditioned on single bits needs OpenQASM 3: chosen by default,
# refused (exit 1, one line) when 2.0 is forced.
tele=$src/examples/circuits/teleport.qasm
"$tessera" convert "$tele" | head -1 | grep -qx 'OPENQASM 3.0;' || fail "auto picks 3"
"$tessera" convert "$tele" | grep -qx 'if (m\[1\] == 1) { x q\[2\]; }' || fail "bit condition"
echo "keep me" >"$tmp/keep.qasm"
expect_bad 1 'single classical bit' "$tessera" convert --qasm2 "$tele" -o "$tmp/keep.qasm"
[[ $(cat "$tmp/keep.qasm") == "keep me" ]] || fail "failed conversion touched the output file"

# Converting in place is safe: the input is read completely first.
cp "$bell" "$tmp/inplace.qasm"
"$tessera" convert --qasm3 "$tmp/inplace.qasm" -o "$tmp/inplace.qasm"
cmp -s "$tmp/inplace.qasm" "$tmp/bell3.qasm" || fail "in-place conversion"

# Bad input: exit 2, one line with file:line:col.
printf 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncx q[0], q[0;\n' >"$tmp/bad.qasm"
expect_bad 2 'bad\.qasm:4:[0-9]+:' "$tessera" convert "$tmp/bad.qasm"
printf 'OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n' >"$tmp/bad-stdin.qasm"
expect_bad 2 '<stdin>:3:1:' sh -c '"$1" convert - <"$2"' sh "$tessera" "$tmp/bad-stdin.qasm"

# Usage errors exit 2.
for args in "" "--qasm2 --qasm3 $bell" "--frobnicate $bell" "$bell $bell" "$tmp/missing.qasm"; do
  set +e
  # shellcheck disable=SC2086
  "$tessera" convert $args >/dev/null 2>&1; rc=$?
  set -e
  [[ $rc == 2 ]] || fail "'convert $args' exit $rc"
done

# A QASMBench circuit with user gates and wide conditions, both directions:
# converting 2.0 -> 3 -> 2.0 gives the same text as 2.0 -> 2.0.
if [[ -n $shared && -d $shared/qasmbench ]]; then
  for f in "$shared/qasmbench/small/ipea_n2.qasm" "$shared/qasmbench/large/cc_n32.qasm" \
    "$shared/qasmbench/small/adder_n10.qasm"; do
    [[ -f $f ]] || continue
    "$tessera" convert "$f" -o "$tmp/a2.qasm"
    "$tessera" convert --qasm3 "$f" -o "$tmp/a3.qasm"
    "$tessera" convert --qasm2 "$tmp/a3.qasm" -o "$tmp/b2.qasm"
    cmp -s "$tmp/a2.qasm" "$tmp/b2.qasm" || fail "$f: 2 -> 3 -> 2 differs"
  done
fi
echo "convert.sh: all checks passed"
