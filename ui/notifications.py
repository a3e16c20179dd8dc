"""Telling the user what happened while they were not looking: a problem, a microphone that went away or came back.

``Notices`` owns when the app speaks up on the desktop. Only while the user is away from the app's windows (the
app runs in the tray, the main window is hidden or minimized, and the launcher is not up): otherwise the window's
banner and listening indicator, or the launcher, already show it where the user looks. Then it sends a desktop
notification (``assistant.bootstrap.notifier()``, off the GUI thread: a D-Bus call may take a moment), the tray
icon's message where the desktop has no notification service, and nothing more where there is no tray either: the
window's banner (errors) and its listening indicator (the microphone) hold it for when the window is opened.

Which errors: those that break something the user relies on and stay broken until they act, or that they would
otherwise miss (a model that failed, a device, the settings, the cloud, the history or memory, a tool server). Not
(``worth_a_notice``):

- the catalog's ``input`` errors: about the one question just asked (no speech heard, too long, an empty text);
  the turn itself shows them, and "no speech" is the microphone hearing a noise, not a problem;
- its ``app`` codes: states the user chose or that pass by themselves (muted, still loading, shutting down), which
  the tray icon shows;
- its ``tool`` codes: the command-line tools', never the desktop app's;
- what the user did themselves (``USERS_OWN_DOING``): a screenshot prompt they cancelled, a tool call their
  interruption stopped, memory they switched off.

One notice per kind (an error's code; the microphone lost; back) per ``REPEAT_S`` on a monotonic clock: a device
that comes and goes, or a server that fails every turn, does not fill the desktop with the same message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

from assistant.contracts.errors import CATALOG, Category, category_of, ui_message
from assistant.contracts.events import ErrorOccurred
from ui.i18n import error_summary

log = logging.getLogger(__name__)

REPEAT_S = 60.0  # the same notice again only after this long
QUIET_CATEGORIES = frozenset({Category.INPUT, Category.APP, Category.TOOL})
USERS_OWN_DOING = frozenset({"screen-capture-cancelled", "mcp-call-cancelled", "memory-off"})
MIC_LOST = "input-device-lost"  # the listener's code for it; ui.listening says when it is back
MIC_BACK = "input-device-back"  # the de-duplication key of "back" (no error code: nothing failed)
# The freedesktop notification hints (desktop.notifications' names, which the front-end does not import).
ERROR_CATEGORY, DEVICE_REMOVED, DEVICE_ADDED = "x-assistant.error", "device.removed", "device.added"
LOW, NORMAL = 0, 1  # urgency


def worth_a_notice(code: str) -> bool:
    """Whether an error with ``code`` deserves a desktop notification while the user is away (see the module's
    docstring for the rule). A code the catalog does not know (a newer component's) does: better said than lost."""
    return code not in USERS_OWN_DOING and category_of(code) not in QUIET_CATEGORIES


def error_title(code: str) -> str:
    """An error's one-line summary in the interface's language (the catalog's), for a notification's title."""
    entry = CATALOG.get(code)
    if entry is None:
        return QCoreApplication.translate("Notices", "The voice assistant has a problem")
    return error_summary(code) or entry.summary


def error_body(code: str, message: str, note: str = "") -> str:
    """What to do about it: the core's message (without the command line's advice), then the UI's own note."""
    detail = ui_message(code, message).strip() if message else ""
    if detail and note:
        return f"{detail.rstrip('.')}. {note}"
    return detail or note


class Notices(QObject):
    """When and how the app tells the desktop (see the module's docstring).

    ``notify(title, body, *, category, urgency, icon) -> bool``: the desktop's notifications (None: none at all);
    ``window``, ``launcher``, ``tray``: the app's, to know whether the user is away and for the tray's message;
    ``clock``: monotonic seconds (the tests' own). ``sent`` lists the (title, body) of every notice given out."""

    _refused = Signal(str, str)  # the desktop did not take it: the tray's message, on the GUI thread

    def __init__(self, notify: Callable[..., bool] | None, window, launcher, tray, parent: QObject | None = None,
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.notify, self.window, self.launcher, self.tray, self.clock = notify, window, launcher, tray, clock
        self.sent: list[tuple[str, str]] = []
        self._last: dict[str, float] = {}  # a notice's kind -> when it was last given
        self._threads: list[threading.Thread] = []
        self._refused.connect(self._tray_message, Qt.ConnectionType.QueuedConnection)

    def away(self) -> bool:
        """The user cannot see the app's windows: it runs in the tray, its window is hidden or minimized and the
        launcher is not up (one fading out counts as gone)."""
        window = self.window
        return (self.tray.icon.isVisible() and (not window.isVisible() or window.isMinimized())
                and not self.launcher.isVisible())

    # --- what happened ----------------------------------------------------------------------------------------

    def on_event(self, event) -> None:
        """The core's events: its errors (the microphone's loss is ``ui.listening``'s to say, as ``mic_lost``)."""
        if isinstance(event, ErrorOccurred) and not (event.code == MIC_LOST and event.turn_id is None):
            self.error(event.code, event.message)

    def error(self, code: str, message: str, note: str = "") -> bool:
        """A problem shown in the window (``message``: the core's; ``note``: the UI's words); also a notification
        when the user is away and it is worth one. True when one was given out."""
        if not worth_a_notice(code):
            return False
        return self._give(code, error_title(code), error_body(code, message, note), ERROR_CATEGORY, NORMAL,
                          "dialog-error")

    def mic_lost(self, message: str) -> bool:
        """The microphone went away; the listener reopens it when it is back."""
        return self._give(MIC_LOST, self.tr("Microphone lost: reconnecting…"), error_body(MIC_LOST, message),
                          DEVICE_REMOVED, NORMAL, "dialog-warning")

    def mic_back(self) -> bool:
        """The lost microphone is back and listened to again."""
        return self._give(MIC_BACK, self.tr("Microphone is back"), self.tr("Listening again."), DEVICE_ADDED, LOW,
                          "audio-input-microphone")

    def wait(self, timeout: float = 10.0) -> None:
        """Wait for the notifications on their way (the app's shutdown and the tests)."""
        for thread in list(self._threads):
            thread.join(timeout)

    # --- giving it out ----------------------------------------------------------------------------------------

    def _give(self, kind: str, title: str, body: str, category: str, urgency: int, icon: str) -> bool:
        if not self.away():
            return False  # the window or the launcher shows it where the user looks
        now = self.clock()
        last = self._last.get(kind)
        if last is not None and now - last < REPEAT_S:
            log.debug("notice %s given %.0f s ago: not again", kind, now - last)
            return False
        self._last[kind] = now
        self.sent.append((title, body))
        if self.notify is None:
            self._tray_message(title, body)
            return True
        hints = {"category": category, "urgency": urgency, "icon": icon}
        thread = threading.Thread(target=self._send, args=(title, body, hints), name="notify", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return True

    def _send(self, title: str, body: str, hints: dict) -> None:  # on its own thread
        try:
            taken = self.notify(title, body, **hints)
        except Exception:  # an adapter's bug must not lose the notice
            log.exception("the desktop notification failed")
            taken = False
        if not taken:
            self._refused.emit(title, body)

    def _tray_message(self, title: str, body: str) -> None:
        if not self.tray.show_message(title, body):
            log.info("no notification service and no tray: %s: %s (the window shows it)", title, body)
