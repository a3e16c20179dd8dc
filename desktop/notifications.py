"""Desktop notifications: a timer that rings, a problem while the window is in the tray, a microphone that came back
show up where the desktop shows its notifications.

On Linux (and the BSDs) through the freedesktop notification service on the session bus
(``org.freedesktop.Notifications.Notify``, the one GNOME, KDE, dunst, mako and xfce4-notifyd all serve), with
jeepney. Elsewhere, and where there is no session bus or no notification service, ``notify`` returns False
without raising: the Qt front-end then shows the message on its tray icon instead.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

APP_NAME = "Voice assistant"
ICON = "alarm-clock"  # a freedesktop icon name every icon theme has (else the server shows its default)
# The freedesktop hints' categories: ours are "x-" names, the devices' the specification's own.
TIMER = "x-assistant.timer"
ERROR = "x-assistant.error"
DEVICE_REMOVED = "device.removed"
DEVICE_ADDED = "device.added"
LOW, NORMAL, CRITICAL = 0, 1, 2  # the urgency levels
SOUND = "alarm-clock-elapsed"  # the freedesktop sound theme's name for a timer that ran out
CALL_TIMEOUT_S = 3.0
_SERVICE = "org.freedesktop.Notifications"


def notify(title: str, body: str, *, category: str = TIMER, urgency: int = NORMAL, icon: str = ICON,
           sound: bool = False, timeout_ms: int = -1) -> bool:
    """Show a notification; True when the desktop's notification service took it, False when there is none (no
    session bus, no service, another platform). Never raises. ``category``, ``urgency`` (``LOW``, ``NORMAL``,
    ``CRITICAL``) and ``icon`` (a freedesktop icon name) are hints the server may style it by; the defaults are a
    timer's. ``sound``: ask the server to play the desktop's "alarm-clock-elapsed" sound (servers without sounds
    ignore it); ``timeout_ms``: -1 = the server's default."""
    if sys.platform in ("win32", "darwin"):
        return False  # no freedesktop bus: the front-end falls back to its tray icon
    try:
        from jeepney import DBusAddress, MessageType, new_method_call
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:
        log.info("no notifications: the jeepney package is missing")
        return False
    try:
        connection = open_dbus_connection(bus="SESSION")
    except Exception as exc:  # no DBUS_SESSION_BUS_ADDRESS, a dead socket, a refused login: no notifications
        log.info("no notifications: no session bus (%s)", exc)
        return False
    hints: dict = {"urgency": ("y", int(urgency)), "category": ("s", category),
                   "desktop-entry": ("s", "local-voice-assistant")}
    if sound:
        hints["sound-name"] = ("s", SOUND)
    address = DBusAddress("/org/freedesktop/Notifications", bus_name=_SERVICE, interface=_SERVICE)
    message = new_method_call(address, "Notify", "susssasa{sv}i",
                              (APP_NAME, 0, icon, title, body, [], hints, int(timeout_ms)))
    try:
        with connection:
            reply = connection.send_and_get_reply(message, timeout=CALL_TIMEOUT_S)
    except Exception as exc:  # a server that does not answer in time, a bus that went away
        log.info("no notifications: %s", exc)
        return False
    if reply.header.message_type != MessageType.method_return:
        log.info("no notifications: %s", reply.body[0] if reply.body else reply.header.message_type)
        return False
    return True
