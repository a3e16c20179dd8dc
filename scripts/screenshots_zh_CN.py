"""Screenshots of the interface in Simplified Chinese: docs/screenshots/main-window-zh_CN.png, settings-zh_CN.png
and settings-voice-zh_CN.png.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots_zh_CN.py

Rendered offscreen (no display needed); the characters need a CJK font (Debian: fonts-noto-cjk, which
scripts/install_system_deps.sh installs). The window is shown as it is once the models are ready, with no
conversation yet; the settings dialog on its Models page, and on its Voice page for a user who speaks Chinese.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtWidgets import QApplication  # noqa: E402

from assistant.config import Config  # noqa: E402
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


def main() -> int:
    app = QApplication([sys.argv[0]])
    install_translators(app, "zh_CN")
    window = MainWindow(HistoryPanel(None), timers_panel=TimersPanel(), memory_panel=MemoryPanel())
    window.resize(815, 640)
    indicators = Indicators(window, LauncherWindow(), TrayIcon())
    indicators.show(AppState(muted=False, listen_mode=None, always_listening=False, mic_live=False, mic_lost=False,
                             has_assistant=True, chat_ready=True, awake=False, open_turn=None, speaking=False,
                             wake_phrase="hey assistant", barge_in=True))
    window.set_model_status(app.translate("Indicators", "Ready · models on {device}").format(device="cpu"))
    window.show()
    app.processEvents()
    window.grab().save(str(OUT / "main-window-zh_CN.png"))

    dialog = SettingsDialog(Config(), path=Path(os.devnull))
    dialog.resize(720, 560)
    dialog.show_page("models")
    dialog.show()
    while dialog.is_busy():  # the model and device checks fill the page in
        time.sleep(0.05)
        app.processEvents()
    app.processEvents()
    dialog.grab().save(str(OUT / "settings-zh_CN.png"))
    voice = SettingsDialog(Config().replace("stt", language="zh"), path=Path(os.devnull))
    voice.resize(720, 560)
    voice.show_page("voice")
    voice.show()
    while voice.is_busy():
        time.sleep(0.05)
        app.processEvents()
    app.processEvents()
    voice.grab().save(str(OUT / "settings-voice-zh_CN.png"))
    print(f"wrote {OUT / 'main-window-zh_CN.png'}, {OUT / 'settings-zh_CN.png'} and "
          f"{OUT / 'settings-voice-zh_CN.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
