"""What the voice visual costs: the real main window, a level that varies like speech, and this process's CPU time
per second of each state, shown, minimised and hidden.

    .venv/bin/python scripts/bench_ui.py [--seconds 10] [--runs 3] [--xvfb]

Offscreen by default: Qt paints the window into memory as it would on a desktop, with nothing to show it on.
``--xvfb`` runs it on a private X server (testkit/xdisplay.py) so that each frame also goes to a display. For
comparison, the level meter the window had before (a bar polled at 30 Hz, whether or not the window was up) is
measured too while ``ui.widgets.LevelMeter`` exists. Prints the median of the runs, in % of one core; no asserts."""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# (what, overall state, listening mode, how the window is): see ui.indicators for the states and modes.
SCENARIOS = [
    ("idle, shown", "idle", "off", "shown"),
    ("waiting for the phrase, quiet room, shown", "idle", "waiting", "shown"),
    ("listening, shown", "listening", "listening", "shown"),
    ("thinking, shown", "thinking", "off", "shown"),
    ("speaking, shown", "speaking", "off", "shown"),
    ("listening, minimised", "listening", "listening", "minimised"),
    ("listening, hidden to the tray", "listening", "listening", "hidden"),
]
OLD_METER = [("old level meter (30 Hz), shown", "shown"), ("old level meter (30 Hz), hidden", "hidden")]


def speech_like(t: float) -> float:
    """An RMS level that moves as speech does: syllables (~4 Hz) under phrases (~0.4 Hz), -50..-15 dBFS."""
    envelope = 0.5 + 0.5 * math.sin(2 * math.pi * 0.4 * t)
    syllables = 0.5 + 0.5 * math.sin(2 * math.pi * 4.1 * t)
    return 10 ** ((-50 + 35 * envelope * syllables) / 20)


def quiet_room(_t: float) -> float:
    return 10 ** (-65 / 20)  # below the visual's floor: a room where nobody speaks


def cpu_percent(app, seconds: float) -> float:
    """This process's CPU time per wall second (% of one core) while Qt's event loop runs for ``seconds``."""
    from PySide6.QtCore import QEventLoop, QTimer

    app.processEvents()
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    wall, cpu = time.monotonic(), time.process_time()
    loop.exec()
    return 100 * (time.process_time() - cpu) / (time.monotonic() - wall)


def place(window, how: str) -> None:
    if how == "shown":
        window.showNormal()
    elif how == "minimised":
        window.showNormal()
        window.showMinimized()
    else:
        window.hide()


def measure(seconds: float, runs: int) -> dict[str, list[float]]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui import theme, widgets
    from ui.main_window import MainWindow
    from ui.widgets import listen_texts

    app = QApplication.instance() or QApplication([])
    theme.apply(app, "light")
    window = MainWindow()
    window.resize(760, 640)
    t0 = time.monotonic()
    meter_class = getattr(widgets, "LevelMeter", None)
    meter = poll = None
    if meter_class is not None:
        meter = meter_class()
        window.centralWidget().layout().addWidget(meter)
        poll = QTimer(interval=33)  # as ui/listening.py polled the microphone for it, while it was open
        poll.timeout.connect(lambda: meter.set_rms(speech_like(time.monotonic() - t0)))
    results: dict[str, list[float]] = {}
    for _ in range(runs):
        if meter is not None:
            meter.hide()
        for name, state, mode, how in SCENARIOS:
            shape = quiet_room if mode == "waiting" else speech_like
            window.voice.set_level_source(lambda shape=shape: shape(time.monotonic() - t0))
            window.voice.set_state(state, mode, *listen_texts(mode, "hey assistant"))
            place(window, how)
            cpu_percent(app, 0.5)  # settle: the state change, the first frames
            results.setdefault(name, []).append(cpu_percent(app, seconds))
        if meter is None:
            continue
        window.voice.set_state("idle", "off")
        meter.show()
        poll.start()
        for name, how in OLD_METER:
            place(window, how)
            cpu_percent(app, 0.5)
            results.setdefault(name, []).append(cpu_percent(app, seconds))
        poll.stop()
    window.quitting = True
    window.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured per state and run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs over all the states (default 3)")
    parser.add_argument("--xvfb", action="store_true", help="on a private X server instead of offscreen")
    args = parser.parse_args()
    if args.xvfb:
        from testkit.xdisplay import virtual_display

        def fail(message: str):
            raise SystemExit(message)

        with virtual_display(fail=fail) as display:
            child = [sys.executable, __file__, "--seconds", str(args.seconds), "--runs", str(args.runs)]
            return subprocess.run(child, env={**display.env, "QT_QPA_PLATFORM": "xcb"}).returncode
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    platform = os.environ["QT_QPA_PLATFORM"]
    print(f"voice visual CPU, % of one core (median of {args.runs} runs × {args.seconds:g} s, {platform}, "
          f"{os.cpu_count()} CPUs)")
    results = measure(args.seconds, args.runs)
    width = max(len(name) for name in results)
    print(f"{'state':<{width}}  median     runs")
    for name, values in results.items():
        runs = " ".join(f"{v:5.2f}" for v in values)
        print(f"{name:<{width}}  {statistics.median(values):6.2f}  {runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
