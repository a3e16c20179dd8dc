"""Wayland: the desktop portal (org.freedesktop.portal.Screenshot) takes the screenshot for us."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from pathlib import Path

from assistant.contracts.errors import CaptureError
from assistant.contracts.screen import ScreenImage
from assistant.contracts.turns import CancelToken

_UNAVAILABLE = ("cannot capture the screen on this Wayland session: the desktop portal (xdg-desktop-portal) is not "
                "running or refused ({why}). Install xdg-desktop-portal and your desktop's backend "
                "(xdg-desktop-portal-gnome, -kde or -wlr), or log in with an X11 session.")
_REQUEST = "org.freedesktop.portal.Request"


# How often a wait for the portal looks at the cancel token: an interrupt is felt within this long.
CANCEL_POLL_S = 0.1


def portal_screenshot(timeout_s: float = 60.0, cancel: CancelToken | None = None) -> ScreenImage:
    """org.freedesktop.portal.Screenshot on the session bus: the desktop takes the screenshot (it may ask the
    user first, hence the long timeout) and answers with a Response signal on a request object. A cancelled
    ``cancel`` ends the wait with CaptureError "screen-capture-cancelled" (the portal's dialog stays the
    desktop's: we only stop waiting for it)."""
    try:
        from jeepney import DBusAddress, MatchRule, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.low_level import HeaderFields
    except ImportError as exc:
        raise CaptureError("screen-capture-unavailable", _UNAVAILABLE.format(why="the jeepney package is "
                           "missing")) from exc
    try:
        connection = open_dbus_connection(bus="SESSION")
    except Exception as exc:
        raise CaptureError("screen-capture-unavailable", _UNAVAILABLE.format(why=f"no session bus: {exc}")) from exc
    bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus")

    def listen(path: str) -> None:
        rule = MatchRule(type="signal", interface=_REQUEST, member="Response", path=path)
        connection.send_and_get_reply(new_method_call(bus, "AddMatch", "s", (rule.serialise(),)), timeout=5)

    with connection:
        token = "assistant_" + uuid.uuid4().hex[:12]
        sender = connection.unique_name.lstrip(":").replace(".", "_")
        request_path = f"/org/freedesktop/portal/desktop/request/{sender}/{token}"
        portal = DBusAddress("/org/freedesktop/portal/desktop", bus_name="org.freedesktop.portal.Desktop",
                             interface="org.freedesktop.portal.Screenshot")
        try:
            # Listen on the request's path before asking, so a fast portal cannot answer before we listen.
            listen(request_path)
            with connection.filter(MatchRule(type="signal", interface=_REQUEST, member="Response")) as responses:
                reply = connection.send_and_get_reply(new_method_call(
                    portal, "Screenshot", "sa{sv}", ("", {"handle_token": ("s", token),
                                                          "interactive": ("b", False)})), timeout=10)
                if reply.header.message_type.name == "error":
                    raise CaptureError("screen-capture-unavailable", _UNAVAILABLE.format(why=str(reply.body)))
                paths = {request_path, reply.body[0]}
                if reply.body[0] != request_path:  # a portal older than handle_token: its own request path
                    listen(reply.body[0])
                deadline = time.monotonic() + timeout_s
                while True:
                    if cancel is not None and cancel.cancelled:
                        raise CaptureError("screen-capture-cancelled", "the screenshot was cancelled: the question "
                                           "was interrupted.")
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("the portal did not answer")
                    try:  # in short slices, so an interrupt does not wait for the user or the timeout
                        message = connection.recv_until_filtered(responses, timeout=min(left, CANCEL_POLL_S))
                    except TimeoutError:
                        continue
                    if message.header.fields.get(HeaderFields.path) in paths:
                        break
        except CaptureError:
            raise
        except TimeoutError as exc:
            raise CaptureError("screen-capture-unavailable", _UNAVAILABLE.format(why="no answer")) from exc
        except Exception as exc:
            raise CaptureError("screen-capture-unavailable", _UNAVAILABLE.format(why=str(exc))) from exc
    code, results = message.body
    if code == 1:
        raise CaptureError("screen-capture-cancelled", "the screenshot was cancelled.")
    if code != 0 or "uri" not in results:
        raise CaptureError("screen-capture-unavailable", _UNAVAILABLE.format(why=f"response {code}"))
    from urllib.parse import unquote, urlparse

    # The file is the portal's (often in the user's Pictures folder): read it, never delete it.
    image = ScreenImage.from_file(Path(unquote(urlparse(results["uri"][1]).path)))
    return replace(image, source="screen")
