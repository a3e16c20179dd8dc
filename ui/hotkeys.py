"""Global hotkeys with pynput: a toggle combination, a hold-to-talk combination, an ask-about-the-screen
combination and a mute combination.

pynput works on X11, Windows and macOS (there it needs the Accessibility permission). Wayland does not
let applications see global keys; there ``problem`` explains how to bind ``assistant toggle`` instead."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QCoreApplication, QObject, Signal

log = logging.getLogger(__name__)


def _bind_help() -> str:
    return QCoreApplication.translate(
        "GlobalHotkeys", "Bind the command `assistant toggle` to a key in your desktop's keyboard settings (GNOME: "
        "Settings → Keyboard → Custom Shortcuts; KDE: System Settings → Shortcuts → Custom Shortcuts).")


def hotkey_problem() -> str | None:
    """Why global hotkeys cannot work in this session (in the interface's language), or None when they can."""
    if sys.platform.startswith("linux"):
        if os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland":
            return QCoreApplication.translate("GlobalHotkeys", "Global hotkeys cannot be grabbed on Wayland. {help}"
                                              ).format(help=_bind_help())
        if not os.environ.get("DISPLAY"):
            return QCoreApplication.translate("GlobalHotkeys", "No X display, so no global hotkeys. {help}").format(
                help=_bind_help())
    return None


class GlobalHotkeys(QObject):
    """Emits ``toggled`` when the toggle combination is pressed, ``talk_pressed`` / ``talk_released`` around
    a hold of the push-to-talk combination, ``screen_pressed`` for the screen combination and ``mute_pressed``
    for the mute combination (empty: off). Signals are emitted on pynput's thread and arrive queued on the GUI
    thread."""

    toggled = Signal()
    talk_pressed = Signal()
    talk_released = Signal()
    screen_pressed = Signal()
    mute_pressed = Signal()

    def __init__(self, toggle: str, push_to_talk: str = "", parent: QObject | None = None, screen: str = "",
                 mute: str = "") -> None:
        super().__init__(parent)
        self.toggle_spec, self.talk_spec, self.screen_spec, self.mute_spec = toggle, push_to_talk, screen, mute
        self._listener = None
        self.problem: str | None = None

    def start(self) -> bool:
        """Start listening for the combinations; False (and ``problem`` set) when it cannot."""
        self.problem = hotkey_problem()
        if self.problem:
            return False
        try:
            from pynput import keyboard
        except Exception as exc:  # ImportError, or Xlib failing to reach the display
            self.problem = self.tr("Global hotkeys are unavailable ({reason}). {help}").format(
                reason=exc, help=_bind_help())
            return False
        toggle_keys = set(keyboard.HotKey.parse(self.toggle_spec))
        talk_keys = set(keyboard.HotKey.parse(self.talk_spec)) if self.talk_spec else set()
        screen_keys = set(keyboard.HotKey.parse(self.screen_spec)) if self.screen_spec else set()
        mute_keys = set(keyboard.HotKey.parse(self.mute_spec)) if self.mute_spec else set()
        pressed: set = set()
        state = {"toggle": False, "talk": False, "screen": False, "mute": False}

        def on_press(key) -> None:
            key = listener.canonical(key)
            pressed.add(key)
            if toggle_keys <= pressed and not state["toggle"]:
                state["toggle"] = True
                self.toggled.emit()
            if talk_keys and talk_keys <= pressed and not state["talk"]:
                state["talk"] = True
                self.talk_pressed.emit()
            if screen_keys and screen_keys <= pressed and not state["screen"]:
                state["screen"] = True
                self.screen_pressed.emit()
            if mute_keys and mute_keys <= pressed and not state["mute"]:
                state["mute"] = True  # once per press: holding the keys down does not toggle back and forth
                self.mute_pressed.emit()

        def on_release(key) -> None:
            key = listener.canonical(key)
            pressed.discard(key)
            if state["toggle"] and key in toggle_keys:
                state["toggle"] = False
            if state["screen"] and key in screen_keys:
                state["screen"] = False
            if state["mute"] and key in mute_keys:
                state["mute"] = False
            if state["talk"] and key in talk_keys:
                state["talk"] = False
                self.talk_released.emit()

        try:
            listener = keyboard.Listener(on_press=on_press, on_release=on_release)
            listener.daemon = True
            listener.start()
            listener.wait()
        except Exception as exc:
            self.problem = self.tr("Global hotkeys could not start ({reason}). {help}").format(
                reason=exc, help=_bind_help())
            return False
        self._listener = listener
        log.info("global hotkeys: toggle %s, push-to-talk %s, screen %s, mute %s", self.toggle_spec,
                 self.talk_spec or "off", self.screen_spec or "off", self.mute_spec or "off")
        return True

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
