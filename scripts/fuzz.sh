#!/usr/bin/env bash
# Runs every libFuzzer target in a build folder for a while each.
#   scripts/fuzz.sh BUILD/fuzz SECONDS
# Each target starts from a copy of fuzz/corpus/<target>/ (so the checked-in
# seeds are never rewritten), uses fuzz/<target>.dict when present, and
# writes any crashing input to BUILD/fuzz/artifacts/<target>/. Exits non-zero
# when a target finds a crash, a leak or a timeout.
set -u
dir=${1:?usage: fuzz.sh FUZZ_BUILD_DIR SECONDS}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
targets=("$dir"/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets in $dir" >&2
  exit 1
fi
status=0
for target in "${targets[@]}"; do
  [ -f "$target" ] && [ -x "$target" ] || continue
  name=$(basename "$target")
  work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-$name.XXXXXX")
  if [ -d "$root/fuzz/corpus/$name" ]; then
    cp -R "$root/fuzz/corpus/$name/." "$work/"
  fi
  dict=()
  if [ -f "$root/fuzz/$name.dict" ]; then dict=(-dict="$root/fuzz/$name.dict"); fi
  artifacts="$dir/artifacts/$name"
  mkdir -p "$artifacts"
  echo "== $name for ${seconds}s (corpus copy in $work)"
  if ! ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
    "$target" "$work" ${dict[@]+"${dict[@]}"} -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 2>"$work.log"; then
    tail -n 60 "$work.log" >&2
    echo "fuzz.sh: $name failed; crashing input in $artifacts/" >&2
    status=1
  else
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)" "$work.log" || true
  fi
  rm -rf "$work" "$work.log"
done
exit $status
