# Shared by the command-line tests (sourced after `set -euo pipefail`): a
# failure reporter, a scratch folder removed on exit, and checks of the
# one-line errors bad input and bad usage must give.
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

expect_bad() { # expected-exit pattern command...: that exit, one line matching pattern
  local code=$1 pattern=$2; shift 2
  set +e
  msg=$("$@" 2>&1 >/dev/null); rc=$?
  set -e
  [[ $rc == "$code" ]] || fail "$*: exit $rc, expected $code ($msg)"
  [[ $(wc -l <<<"$msg") == 1 ]] || fail "$*: not one line: $msg"
  grep -Eq "$pattern" <<<"$msg" || fail "$*: message '$msg' lacks '$pattern'"
}

expect_usage() { # pattern command...: exit 2, the message then the --help hint
  local pattern=$1; shift
  set +e
  msg=$("$@" 2>&1 >/dev/null); rc=$?
  set -e
  [[ $rc == 2 ]] || fail "$*: exit $rc, expected 2 ($msg)"
  grep -Eq "$pattern" <<<"$(head -1 <<<"$msg")" || fail "$*: message '$msg' lacks '$pattern'"
}
