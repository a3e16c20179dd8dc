# Two commands on a fresh machine: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip
OFFLINE_PACK ?= 0
# Every Python package comes from a lock with hashes (requirements/, written by `make lock`), one per platform.
LOCK   ?= requirements/$(if $(filter Darwin,$(shell uname -s)),macos-arm64,linux-x86_64).txt
# The lock's CPU build of torch (torch==X+cpu) is published on PyTorch's own index, not on PyPI.
TORCH_LINKS ?= https://download.pytorch.org/whl/cpu/torch/

.PHONY: run test test-fast test-package lock lint bench bench-desktop bench-screen bench-listen package install system-deps demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly the locked set, hash-checked (--no-deps: nothing outside the lock comes in), then the app itself.
# pip finds the CPU torch in its configured places first and only then asks PyTorch's index for it.
$(STAMP): $(LOCK) requirements/smart-turn.txt pyproject.toml | $(BIN)/python
	$(PIP) install -q pip==26.3
	$(PIP) install -q --require-hashes --no-deps -r $(LOCK) 2>/dev/null || \
		$(PIP) install -q --require-hashes --no-deps -r $(LOCK) --find-links $(TORCH_LINKS)
	$(PIP) install -q --no-deps --no-build-isolation -e .
	$(PIP) check
	$(BIN)/python scripts/install_turn_model.py
	touch $@

# Adds to the locks what pyproject.toml gained, keeping the other pins; UPGRADE=1 re-resolves everything at
# the newest versions within its ranges (then run `make test`).
lock: $(STAMP)
	UV=$(BIN)/uv TORCH_LINKS=$(TORCH_LINKS) UPGRADE=$(UPGRADE) bash scripts/lock.sh

system-deps:
	bash scripts/install_system_deps.sh

install: system-deps $(STAMP)

# The desktop app on the bundled offline models. With no display it says so and runs one headless
# spoken turn on the bundled sample question instead.
run: install
	$(BIN)/assistant app

# Three pytest-xdist workers: the real-time tests on the first at full priority, the rest beside them at a lower
# priority (testkit/parallel.py); about 8.5 min on 2 cores instead of 15 in one process (TEST_WORKERS=1).
TEST_WORKERS ?= 3
XDIST = $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup)

test: install lint
	$(BIN)/python -m pytest $(XDIST) --durations=25

# The inner loop: every test that loads no real model and opens no device (tests/conftest.py marks the rest slow).
test-fast: install lint
	$(BIN)/python -m pytest $(XDIST) -m "not slow and not package"

# Builds the installer (OFFLINE_PACK=1), installs it into a scratch home, runs its self-test and its window.
# On success it records what the installer was built from (.ci/run runs this again when that changes).
test-package: install
	$(BIN)/python -m pytest -m package -s
	bash scripts/installer_inputs.sh > .ci/installer-inputs.sha256

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

bench: install
	$(BIN)/assistant bench

# Launch to window, hotkey to launcher and idle CPU of the desktop app, on Xvfb.
bench-desktop: install
	$(BIN)/python scripts/bench_desktop.py

bench-screen: install
	$(BIN)/python scripts/bench_screen.py

# Always-listening mode: wake detection, false wakes per hour, end of turn, barge-in through a PulseAudio room.
# SOAK=30 adds a 30-minute soak run (memory and CPU); JSON=FILE writes every measurement.
bench-listen: install
	$(BIN)/python scripts/bench_listen.py $(if $(SOAK),--soak-minutes $(SOAK)) $(if $(JSON),--json $(JSON))

# The one-folder app (dist/local-voice-assistant) and the Linux tar.gz; OFFLINE_PACK=1 adds the offline models.
package: install
	LANG=C.UTF-8 $(BIN)/pyinstaller packaging/assistant.spec --noconfirm --log-level WARN \
		--distpath dist --workpath build/pyinstaller
	OFFLINE_PACK=$(OFFLINE_PACK) bash packaging/linux/make_tarball.sh

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache *.egg-info build dist
