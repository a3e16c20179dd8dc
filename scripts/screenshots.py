"""The screenshots in docs/screenshots/: the main window (a conversation with Markdown, code and a tool call), the
launcher, voice mode, the settings and the first-run setup, each in the light and the dark theme; the main window
at 200 % scale; and the window, launcher, settings (their Voice page too) and setup in Simplified Chinese.

    python scripts/screenshots.py [--out FOLDER]

Rendered offscreen (no display needed) from the real widgets, fed the events and states the app would give them;
the Chinese characters need a CJK font (Debian: fonts-noto-cjk, which scripts/install_system_deps.sh installs).
``tests/ui/test_screenshots.py`` runs it and checks what it draws. The real app's window on a real X server is
shot by the desktop tests into test-artifacts/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from assistant.config import Config  # noqa: E402
from assistant.contracts.events import (  # noqa: E402
    ReplyDelta,
    ReplyFinished,
    ToolCalled,
    ToolFinished,
    TranscriptFinal,
    TurnEnded,
)
from ui import theme  # noqa: E402
from ui.first_run import FirstRunDialog  # noqa: E402
from ui.history_panel import HistoryPanel  # noqa: E402
from ui.i18n import install_translators  # noqa: E402
from ui.indicators import AppState, Indicators  # noqa: E402
from ui.launcher import LauncherWindow  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.memory_panel import MemoryPanel  # noqa: E402
from ui.settings_dialog import SettingsDialog  # noqa: E402
from ui.timers_panel import TimersPanel  # noqa: E402
from ui.tray import TrayIcon  # noqa: E402

OUT = REPO / "docs" / "screenshots"
QUESTION = "How do I reverse a list in Python?"
REPLY = ("Use slicing to get a reversed copy, or `reverse()` to reverse it in place:\n\n"
         "```python\nnumbers = [1, 2, 3]\nprint(numbers[::-1])  # [3, 2, 1]\nnumbers.reverse()\n```\n\n"
         "Slicing leaves the original list **unchanged**.")
# The Chinese window shows a conversation in Chinese (a question the bundled model answers; no tool call: the
# intent matcher reads English)
QUESTION_ZH = "用 Python 怎么反转一个列表？"
REPLY_ZH = ("用切片得到反转后的副本，或用 `reverse()` 原地反转：\n\n"
            "```python\nnumbers = [1, 2, 3]\nprint(numbers[::-1])  # [3, 2, 1]\nnumbers.reverse()\n```\n\n"
            "切片**不会改变**原来的列表。")
TIMINGS = {"end_of_speech_detected": 310.0, "stt": 402.0, "llm_first_token": 611.0, "first_audio": 742.0}


def state(**changes) -> AppState:
    base = dict(muted=False, listen_mode=None, always_listening=False, mic_live=False, mic_lost=False,
                has_assistant=True, chat_ready=True, awake=False, open_turn=None, speaking=False,
                wake_phrase="hey assistant", barge_in=True)
    return AppState(**(base | changes))


def settle(app: QApplication, seconds: float = 0.3) -> None:
    """Let layouts, coalesced redraws and animations reach a steady frame."""
    QTest.qWait(round(seconds * 1000))


def checked(app: QApplication, dialog: SettingsDialog) -> None:
    """Wait until the settings' model and device checks have filled the page in."""
    while dialog.is_busy():
        QTest.qWait(20)  # handles the workers' answers meanwhile
    settle(app)


def save(widget: QWidget, path: Path) -> Path:
    widget.grab().save(str(path))
    print(f"wrote {path}")
    return path


def converse(window: MainWindow, launcher: LauncherWindow, chinese: bool = False) -> None:
    """One spoken turn with a tool call before it (in Chinese: a question answered by the model) and its timing
    shown, then a question about code, as the core's events would draw them."""
    if chinese:
        question, reply = QUESTION_ZH, REPLY_ZH
        first = [TranscriptFinal(turn_id=1, text="法国的首都是哪里？", seconds=0.4),
                 ReplyFinished(turn_id=1, text="法国的首都是**巴黎**。", backend="local")]
    else:
        question, reply = QUESTION, REPLY
        first = [TranscriptFinal(turn_id=1, text="What time is it?", seconds=0.09),
                 ToolCalled(turn_id=1, call_id=1, tool="clock.now", arguments={}, source="intent"),
                 ToolFinished(turn_id=1, call_id=1, tool="clock.now", ok=True, say="It is 14:05."),
                 ReplyFinished(turn_id=1, text="It's **14:05**.", backend="tool")]
    events = [*first, TurnEnded(turn_id=1, outcome="completed", timings_ms=TIMINGS),
              TranscriptFinal(turn_id=2, text=question, seconds=0.1), ReplyDelta(turn_id=2, text=reply),
              ReplyFinished(turn_id=2, text=reply, backend="local"),
              TurnEnded(turn_id=2, outcome="completed", timings_ms=TIMINGS)]
    window.conversation.turn(1)
    window.conversation.turn(2)
    for event in events:
        window.apply_event(event)
    window.conversation.turn(1).timing_button.setChecked(True)
    launcher.accept_question(2, question)
    for event in events[-4:]:
        launcher.apply_event(event)


def shoot(app: QApplication, out: Path, name: str, *, suffix: str, voice: bool = True, first_run: bool = True) -> list:
    """The windows in the current theme and language, as ``<what>-<suffix>.png``."""
    written = []
    window = MainWindow(HistoryPanel(None), timers_panel=TimersPanel(), memory_panel=MemoryPanel())
    window.resize(820, 680)
    launcher = LauncherWindow()
    indicators = Indicators(window, launcher, TrayIcon())
    indicators.show(state())
    window.set_model_status(app.translate("Indicators", "Ready · models on {device}").format(device="cpu"))
    converse(window, launcher, chinese=suffix == "zh_CN")
    window.show()
    launcher.show()
    settle(app)
    written.append(save(window, out / f"main-window-{suffix}.png"))
    written.append(save(launcher, out / f"launcher-{suffix}.png"))
    if voice:
        indicators.show(state(listen_mode="one-shot", mic_live=True))
        for widget in (window, launcher):
            widget.voice.set_level_source(lambda: 0.08)  # a voice at about -22 dBFS
        settle(app, 0.6)
        written.append(save(window, out / f"voice-mode-{suffix}.png"))
        written.append(save(launcher, out / f"voice-launcher-{suffix}.png"))
    dialog = SettingsDialog(Config(), path=Path(tempfile.mkdtemp()) / "config.toml")
    dialog.resize(760, 600)
    dialog.show_page("models")
    dialog.show()
    checked(app, dialog)
    written.append(save(dialog, out / f"settings-{suffix}.png"))
    if suffix == "zh_CN":  # the Voice page for a user who speaks Chinese
        voice_page = SettingsDialog(Config().replace("stt", language="zh"),
                                    path=Path(tempfile.mkdtemp()) / "config.toml")
        voice_page.resize(760, 600)
        voice_page.show_page("voice")
        voice_page.show()
        checked(app, voice_page)
        written.append(save(voice_page, out / f"settings-voice-{suffix}.png"))
        voice_page.close()
    if first_run:
        # Closing the setup is Skip, which saves: into a folder of its own, never over a real file.
        setup = FirstRunDialog(Config(), path=Path(tempfile.mkdtemp()) / "config.toml", audio=None)
        setup.show_page("listening")
        setup.show()
        settle(app)
        written.append(save(setup, out / f"first-run-{suffix}.png"))
        setup.hide()
    for widget in (window, launcher, dialog):
        widget.close()
        widget.deleteLater()
    settle(app, 0.1)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--only", choices=("themes", "scaled", "zh_CN"), help="one set (each runs in its own process)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only is None:  # each set in a process of its own: the scale and the language are fixed per process
        for only in ("themes", "scaled", "zh_CN"):
            env = {**os.environ, **({"QT_SCALE_FACTOR": "2"} if only == "scaled" else {})}
            subprocess.run([sys.executable, __file__, "--out", str(args.out), "--only", only], env=env, check=True)
        return 0
    app = QApplication([sys.argv[0]])
    if args.only == "zh_CN":
        install_translators(app, "zh_CN")
        theme.apply(app, "light")
        shoot(app, args.out, "zh_CN", suffix="zh_CN", voice=False)
    elif args.only == "scaled":
        theme.apply(app, "light")
        window = MainWindow(HistoryPanel(None), timers_panel=TimersPanel(), memory_panel=MemoryPanel())
        window.resize(820, 680)
        Indicators(window, LauncherWindow(), TrayIcon()).show(state())
        converse(window, LauncherWindow())
        window.show()
        settle(app)
        save(window, args.out / "main-window-200-percent.png")
    else:
        for name in ("light", "dark"):
            theme.apply(app, name)
            shoot(app, args.out, name, suffix=name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
