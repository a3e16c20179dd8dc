"""The installer as a user meets it: `make package OFFLINE_PACK=1`, the tar.gz unpacked and installed into a
fresh home with install.sh, then the installed app's --self-test, its window on a real X server, and
uninstall.sh. Slow (the PyInstaller build takes minutes): `make test-package` runs it; CI runs it when the
packaging, the dependencies or the Makefile change (see .ci/run)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from testkit.helpers import REPO, wait_until
from testkit.xdisplay import LoggedProcess, xdisplay  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.timeout(1800), pytest.mark.package]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(home, env): the offline build installed into a fresh home; built here unless BUILT_PACKAGE names one."""
    tarball = os.environ.get("BUILT_PACKAGE")
    if not tarball:
        done = subprocess.run(["make", "package", "OFFLINE_PACK=1"], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        tarball = next(line.split(" (")[0] for line in done.stdout.splitlines() if line.endswith(")")
                       and "-offline.tar.gz" in line)
    root = tmp_path_factory.mktemp("installer")
    with tarfile.open(tarball) as archive:
        archive.extractall(root / "unpacked", filter="tar")
    home = root / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "XDG_", "PYTHON", "VIRTUAL_ENV",
                                                                      "HF_", "TRANSFORMERS_", "QT_"))}
    env.update(HOME=str(home), PATH="/usr/bin:/bin", LANG="C.UTF-8")
    done = subprocess.run(["bash", str(root / "unpacked" / "install.sh")], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return home, env


def test_the_installed_app_passes_its_self_test(installed):
    home, env = installed
    done = subprocess.run([str(home / ".local/bin/assistant"), "--self-test"], env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert done.stdout.count("PASS") == 4  # hearing, answering, speaking, reading the screen
    print(done.stdout)


def test_the_installed_app_has_its_end_of_turn_model(installed):
    """Smart Turn is taken out of the pipecat-ai wheel at install, not installed as a package: the build must carry
    the file, where the frozen app's resolver finds it."""
    home, env = installed
    done = subprocess.run([str(home / ".local/bin/assistant"), "models", "--json"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    (turn,) = [row for row in json.loads(done.stdout)["models"] if row["role"] == "turn"]
    assert turn["status"] == "offline-pack" and turn["place"].endswith("share/smart-turn/smart-turn-v3.2-cpu.onnx")


def test_the_installed_app_remembers_and_recalls_by_meaning(installed):
    """The frozen app's memory: its SQLite (sqlean) loads sqlite-vec, the bundled embedding model finds a fact by a
    paraphrase, and the database is the user's alone."""
    home, env = installed
    app = str(home / ".local/bin/assistant")
    for fact in ("my car is on level B3", "I prefer metric units", "my dentist is Dr. Alvarez"):
        added = subprocess.run([app, "memory", "add", fact], env=env, capture_output=True, text=True, timeout=300)
        assert added.returncode == 0, added.stdout + added.stderr[-3000:]
    found = subprocess.run([app, "memory", "search", "--json", "where did I leave the car?"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert found.returncode == 0, found.stdout + found.stderr[-3000:]
    result = json.loads(found.stdout)
    assert result["by_meaning"] and result["facts"][0]["text"] == "My car is on level B3"
    database = next(home.rglob("history.sqlite3"))
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_the_installed_app_opens_its_window(installed, xdisplay, artifacts):  # noqa: F811
    home, env = installed
    app_env = {**env, "DISPLAY": xdisplay.name}
    app = LoggedProcess([str(home / ".local/bin/assistant"), "-v", "app"], app_env)
    try:
        window = xdisplay.wait_window("^Voice Assistant$", app.pid, timeout=120)
        assert window, app.output()
        print(f"frozen app: launch to window {(time.monotonic() - app.t_start) * 1000:.0f} ms")
        assert app.wait_line("models ready on", 600), app.output()
        xdisplay.screenshot(artifacts / "installed-app.png", window)
        # pynput's backends are chosen at run time: the frozen app must still have them.
        assert app.wait_line("global hotkeys: toggle", 10), app.output()
        xdisplay.xdotool("key", "ctrl+alt+space", check=True)
        assert xdisplay.wait_window("^Voice Assistant launcher$", app.pid, timeout=10), app.output()
        quit_cmd = subprocess.run([str(home / ".local/bin/assistant"), "toggle", "quit"], env=app_env,
                                  capture_output=True, text=True, timeout=60)
        assert quit_cmd.returncode == 0, quit_cmd.stderr
        assert wait_until(lambda: app.proc.poll() is not None, 30)
    finally:
        app.stop()


def test_the_menu_entry_points_at_the_installed_app(installed):
    home, _ = installed
    entry = (home / ".local/share/applications/local-voice-assistant.desktop").read_text()
    exec_line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    program = exec_line.split('"')[1]
    assert os.access(program, os.X_OK) and "Icon=" in entry
    assert Path(next(line for line in entry.splitlines() if line.startswith("Icon="))[5:]).is_file()


def test_uninstall_removes_the_app_and_keeps_the_users_data(installed):
    home, env = installed
    app_dir = home / ".local/share/local-voice-assistant/app"
    history = home / ".local/share/local-voice-assistant/history.sqlite3"
    done = subprocess.run(["bash", str(app_dir / "uninstall.sh")], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert not app_dir.exists() and not (home / ".local/bin/assistant").exists()
    assert not (home / ".local/share/applications/local-voice-assistant.desktop").exists()
    assert history.exists()  # the conversations the window test made are the user's: kept
