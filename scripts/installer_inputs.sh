#!/usr/bin/env bash
# Prints one digest of everything that goes into the installer: the locks, the packaging, the build files, the
# app's data and the system packages it is built with. `make test-package` records it in
# .ci/installer-inputs.sha256 when the installer test passes; .ci/run runs that test whenever the inputs differ
# from the record, whichever commit changed them.
set -euo pipefail
cd "$(dirname "$0")/.."
INPUTS=(requirements packaging pyproject.toml Makefile ui/data scripts/install_system_deps.sh scripts/installer_inputs.sh)
git ls-files -co --exclude-standard -- "${INPUTS[@]}" | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
