#!/usr/bin/env bash
# Installs the Debian packages Tessera builds and tests with. Idempotent: when every
# package is already installed it does nothing (no network, no root needed).
set -euo pipefail

packages=(
  build-essential cmake pkg-config    # toolchain
  clang libclang-rt-14-dev            # libFuzzer + sanitizer runtimes for the fuzz targets
  clang-format                        # style check
  libcmocka-dev                       # unit-test framework
  libfyaml-dev                        # YAML machine and noise files
  libmetis-dev                        # graph partitioning (compiler)
  liblapacke-dev liblapack-dev        # eigen-decompositions (native synthesis, channels)
  libomp-14-dev                       # OpenMP runtime for clang builds (gcc uses libgomp)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
