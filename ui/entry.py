"""The `assistant` command: the desktop app by default, every headless command of ``assistant.cli`` beside it."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

log = logging.getLogger(__name__)

_T0 = time.monotonic()  # as early as this module is imported: the launch-to-window figure starts here


def display_problem() -> str | None:
    """Why no window can be shown here, or None."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "No display found (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    return None


def run_app(args) -> int:
    from assistant import cli
    from assistant.config import Config, data_dir, secure_app_folders
    from assistant.contracts.errors import ConfigError

    if problem := display_problem():
        sys.stderr.write(f"{problem}: the desktop app needs one. Running one headless spoken turn instead "
                         "(`assistant demo`); start the app from a desktop session.\n")
        return cli.main(["demo", "--out-dir", str(data_dir() / "demo")])
    if args.config:  # the settings dialog saves where the app loaded from
        os.environ["ASSISTANT_CONFIG"] = os.path.abspath(args.config)
    config_error = None
    try:
        config = cli.setup(args)
    except ConfigError as exc:
        config, config_error = Config(), exc
    try:
        secure_app_folders()  # before the history store opens: conversations are nobody else's to read
    except OSError as exc:
        log.warning("cannot create the app's folders: %s", exc)

    os.environ.setdefault("LANG", "C.UTF-8")
    from importlib import resources

    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from ui.app import DesktopApp
    from ui.i18n import install_translators
    from ui.single_instance import InstanceServer, send_command

    qt_app = QApplication.instance() or QApplication([sys.argv[0]])
    qt_app.setApplicationName("Voice Assistant")
    qt_app.setDesktopFileName("local-voice-assistant")  # matches the .desktop entry the installer writes
    qt_app.setWindowIcon(QIcon(str(resources.files("ui") / "data" / "icon.png")))
    qt_app.setQuitOnLastWindowClosed(False)  # the tray keeps the app alive
    install_translators(qt_app, config.ui.language)  # before any widget: a text is translated when it is set
    server = InstanceServer()
    if not server.listen():
        shown = send_command("show")
        sys.stdout.write("The assistant is already running; " + ("its window was brought up.\n" if shown else
                         "it did not answer (it may be starting).\n"))
        return 0

    app = DesktopApp(config, config_error=config_error)
    server.command.connect(app.handle_command)
    app.start(show_window=not args.hidden, hotkeys=not args.no_hotkeys)
    if app.window.isVisible():
        log.info("window shown %.0f ms after launch", (time.monotonic() - _T0) * 1000)
    # Qt's event loop keeps Python's signal handlers from running; a slow timer lets them in.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    wake = QTimer(interval=500)
    wake.timeout.connect(lambda: None)
    wake.start()
    try:
        return qt_app.exec()
    finally:
        app.shutdown()
        server.close()


def run_toggle(args) -> int:
    from ui.single_instance import send_command

    if send_command(args.action):
        return 0
    sys.stderr.write("The assistant is not running: start it with `assistant` (or from the applications menu), "
                     "then this command shows and hides its launcher.\n")
    return 1


def main(argv: list[str] | None = None) -> int:
    from assistant import cli

    return cli.main(argv, front_end={"app": run_app, "toggle": run_toggle})


if __name__ == "__main__":
    sys.exit(main())
