"""Desktop figures on a real X server (Xvfb): launch to window, hotkey to launcher, idle CPU.

    .venv/bin/python scripts/bench_desktop.py [--runs 3] [--json]

Each run starts the app afresh (its own settings and history, the shared model cache), measures from
the process start to the main window being mapped (asked of the X server, not the app), waits for
the models, sends the global hotkey five times with xdotool and times the launcher becoming visible,
then measures the app's CPU use over 10 s of idling. Medians over the runs are printed."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from testkit.helpers import wait_until  # noqa: E402
from testkit.xdisplay import LoggedProcess, virtual_display  # noqa: E402

MAIN, LAUNCHER = "^Voice Assistant$", "^Voice Assistant launcher$"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(display) -> dict:
    home = Path(tempfile.mkdtemp(prefix="bench-desktop-"))
    env = {**display.env, "ASSISTANT_CONFIG_DIR": str(home / "config"), "ASSISTANT_DATA_DIR": str(home / "data"),
           "PYTHONUNBUFFERED": "1", "ASSISTANT_UI_FIRST_RUN_DONE": "true"}  # a returning user: no first-run setup
    app = LoggedProcess([sys.executable, "-m", "ui.entry", "-v", "app"], env)
    try:
        if not display.wait_window(MAIN, app.pid, timeout=60):
            raise RuntimeError("no window:\n" + app.output())
        launch_ms = (time.monotonic() - app.t_start) * 1000
        if not app.wait_line("models ready on", 300):
            raise RuntimeError("models never ready:\n" + app.output())
        models_s = time.monotonic() - app.t_start
        if not app.wait_line("global hotkeys:", 10):
            raise RuntimeError("no hotkeys:\n" + app.output())
        hotkey = []
        for _ in range(5):
            t0 = time.monotonic()
            display.xdotool("key", "ctrl+alt+space", check=True)
            if not display.wait_window(LAUNCHER, app.pid, timeout=10):
                raise RuntimeError("launcher never shown:\n" + app.output())
            hotkey.append((time.monotonic() - t0) * 1000)
            display.xdotool("key", "ctrl+alt+space", check=True)
            wait_until(lambda: not display.visible_windows(LAUNCHER, app.pid), 10)
        c0, t0 = cpu_seconds(app.pid), time.monotonic()
        wait_until(lambda: False, 10.0, interval=0.5)  # ten seconds of idling
        idle = (cpu_seconds(app.pid) - c0) / (time.monotonic() - t0) * 100
        return {"launch_to_window_ms": round(launch_ms), "models_ready_s": round(models_s, 1),
                "hotkey_to_launcher_ms": round(statistics.median(hotkey)), "idle_cpu_percent": round(idle, 2)}
    finally:
        subprocess.run([sys.executable, "-m", "ui.entry", "toggle", "quit"], env=env, capture_output=True, timeout=60)
        if not wait_until(lambda: app.proc.poll() is not None, 20):
            app.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("ASSISTANT_CACHE_DIR", str(REPO / ".cache" / "models"))

    def fail(message):
        raise SystemExit(message)

    with virtual_display(fail=fail) as display:
        runs = [one_run(display) for _ in range(args.runs)]
    summary = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    if args.json:
        print(json.dumps({"runs": runs, "median": summary}, indent=2))
    else:
        for key, value in summary.items():
            print(f"{key:24s} median {value:>8}   runs {[r[key] for r in runs]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
