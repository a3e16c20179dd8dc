#!/usr/bin/env bash
# Writes the lock files (requirements/*.txt): every Python package the app, its tests and its build use,
# pinned with hashes, one file per platform. `make run`, `make test` and `make package` install from them;
# pyproject.toml keeps its ranges for people who install the package into an environment of their own.
#
#   make lock                                      # add what pyproject.toml gained; keep every other pin
#   make lock UPGRADE=1                            # re-resolve everything at today's newest versions
#   make lock TORCH_LINKS=/path/to/wheels          # where the CPU build of torch is found (see below)
#
# On Linux the lock takes the CPU build of torch (torch==X+cpu): 754 MB installed, not the CUDA build's several GB,
# and PyTorch publishes it on its own index, not on PyPI. TORCH_LINKS points uv at it.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${UV:=uv}"
: "${TORCH_LINKS:=https://download.pytorch.org/whl/cpu/torch/}"
TORCH_PIN="torch==2.13.0"          # the torch the app is built and tested with (keep in step with the Makefile)

# at a fixed relative path: uv names it in the locks' annotations, which must not change from run to run
constraints=build/lock-constraints.txt
mkdir -p build
echo "$TORCH_PIN" > "$constraints"

compile() {  # platform-tag output-file [extra uv options]
  local platform=$1 out=$2
  shift 2
  # uv keeps the pins of the output file it is given (its preferences) unless told to upgrade
  rm -f "$out.tmp"
  if [ "${UPGRADE:-0}" = 1 ]; then set -- "$@" --upgrade; elif [ -f "$out" ]; then cp "$out" "$out.tmp"; fi
  "$UV" pip compile pyproject.toml --extra offline --extra wakeword --extra dev \
    --python-version 3.11 --python-platform "$platform" --generate-hashes --constraint "$constraints" \
    --custom-compile-command "make lock" --no-header --quiet "$@" -o "$out.tmp"
  {
    echo "# Locked with hashes by 'make lock' (scripts/lock.sh) for $platform, Python 3.11. Do not edit by hand."
    cat "$out.tmp"
  } > "$out"
  rm -f "$out.tmp"
  echo "wrote $out ($(grep -c '^[A-Za-z0-9].*==' "$out") packages)"
}

# glibc 2.34 or newer: Debian 12, Ubuntu 22.04 and later (Qt 6.10+ publishes no older Linux wheels).
compile x86_64-manylinux_2_34 requirements/linux-x86_64.txt --find-links "$TORCH_LINKS"
compile x86_64-pc-windows-msvc requirements/windows-x86_64.txt
MACOSX_DEPLOYMENT_TARGET=14.0 compile aarch64-apple-darwin requirements/macos-arm64.txt
