"""Screen capture for questions about the screen: the screen under the pointer, every screen, the active
window, or a region. Headless (no Qt): mss on X11, Windows and macOS; the desktop portal on Wayland.

Coordinates are device pixels of the virtual desktop (the union of all monitors), so a HiDPI screen is
captured at its full resolution; ``ScreenImage.scale`` says how many device pixels make a logical one where
the platform tells.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import AssistantError
from assistant.screen import ScreenImage

TARGETS = ("screen", "all", "window", "region")


class CaptureError(AssistantError):
    """The screen cannot be captured (no display, a refused portal, a failed grab)."""

    exit_code = 4


@dataclass(frozen=True)
class Monitor:
    left: int
    top: int
    width: int
    height: int
    primary: bool = False
    name: str = ""

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x < self.left + self.width and self.top <= y < self.top + self.height


@dataclass(frozen=True)
class WindowInfo:
    left: int
    top: int
    width: int
    height: int
    title: str = ""
    handle: int | None = None


def _wayland() -> bool:
    return bool(os.environ.get("WAYLAND_DISPLAY")) and (
        os.environ.get("XDG_SESSION_TYPE") == "wayland" or not os.environ.get("DISPLAY"))


def _check_display() -> None:
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise CaptureError("screen-no-display", "there is no display to capture (DISPLAY and WAYLAND_DISPLAY are "
                           "unset): ask about an image file instead (assistant ask --image FILE).")


def _mss():
    try:
        import mss
    except ImportError as exc:
        raise CaptureError("screen-capture-unavailable", "capturing the screen needs the 'mss' package "
                           "(pip install mss).") from exc
    try:
        return mss.mss()  # one per call: an mss instance must not be shared between threads
    except Exception as exc:
        raise CaptureError("screen-capture-failed", f"cannot open the display to capture it: {exc}") from exc


def monitors() -> list[Monitor]:
    """Every monitor, in device pixels of the virtual desktop."""
    _check_display()
    with _mss() as grabber:
        found = grabber.monitors[1:]
    result = [Monitor(m["left"], m["top"], m["width"], m["height"], primary=(m["left"], m["top"]) == (0, 0),
                      name=str(m.get("name", i))) for i, m in enumerate(found)]
    if result and not any(m.primary for m in result):
        result[0] = Monitor(**{**result[0].__dict__, "primary": True})
    return result


def pointer_position() -> tuple[int, int] | None:
    """Where the mouse pointer is, in device pixels; None when the platform does not say."""
    try:
        if sys.platform == "win32":
            import ctypes
            from ctypes import wintypes

            point = wintypes.POINT()
            ctypes.windll.user32.GetCursorPos(ctypes.byref(point))  # type: ignore[attr-defined]
            return point.x, point.y
        if sys.platform == "darwin":
            from Quartz import CGEventCreate, CGEventGetLocation  # type: ignore[import-not-found]

            location = CGEventGetLocation(CGEventCreate(None))
            return int(location.x), int(location.y)
        from Xlib import display as xdisplay

        d = xdisplay.Display()
        try:
            reply = d.screen().root.query_pointer()
            return reply.root_x, reply.root_y
        finally:
            d.close()
    except Exception:  # no pointer to ask about: the primary screen is captured
        return None


def _x11_active_window() -> WindowInfo | None:
    from Xlib import X, Xatom
    from Xlib import display as xdisplay

    d = xdisplay.Display()
    try:
        root = d.screen().root
        window = None
        active = root.get_full_property(d.intern_atom("_NET_ACTIVE_WINDOW"), X.AnyPropertyType)
        if active is not None and active.value and active.value[0]:
            window = d.create_resource_object("window", active.value[0])
        else:  # no window manager says which is active: the window with the keyboard focus, up to its top level
            focus = d.get_input_focus().focus
            if isinstance(focus, int) or focus in (X.NONE, X.PointerRoot):
                return None
            window = focus
            while True:
                tree = window.query_tree()
                if tree.parent == root or tree.parent == 0:
                    break
                window = tree.parent
        if window.id == root.id:
            return None
        attrs = window.get_attributes()
        if attrs.map_state != X.IsViewable:
            return None
        geometry = window.get_geometry()
        origin = window.translate_coords(root, 0, 0)  # the window's origin seen from the root, negated
        left, top = -origin.x, -origin.y
        width, height = geometry.width, geometry.height
        extents = window.get_full_property(d.intern_atom("_NET_FRAME_EXTENTS"), X.AnyPropertyType)
        if extents is not None and len(extents.value) == 4:  # include the title bar and borders the WM draws
            fl, fr, ft, fb = (int(v) for v in extents.value)
            left, top, width, height = left - fl, top - ft, width + fl + fr, height + ft + fb
        title = ""
        name = window.get_full_property(d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING"))
        if name is not None and name.value:
            title = name.value.decode("utf-8", "replace") if isinstance(name.value, bytes) else str(name.value)
        else:
            legacy = window.get_full_property(Xatom.WM_NAME, X.AnyPropertyType)
            if legacy is not None and legacy.value:
                value = legacy.value
                title = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        return WindowInfo(left, top, width, height, title, window.id)
    finally:
        d.close()


def _windows_active_window() -> WindowInfo | None:
    import ctypes
    from ctypes import wintypes

    user32 = ctypes.windll.user32  # type: ignore[attr-defined]
    with contextlib.suppress(Exception):  # per-monitor v2 (Windows 10+): rectangles in device pixels
        user32.SetProcessDpiAwarenessContext(ctypes.c_void_p(-4))
    handle = user32.GetForegroundWindow()
    if not handle:
        return None
    rect = wintypes.RECT()
    try:  # the visible frame, without the invisible resize borders GetWindowRect includes
        ctypes.windll.dwmapi.DwmGetWindowAttribute(handle, 9, ctypes.byref(rect), ctypes.sizeof(rect))  # type: ignore[attr-defined]
    except Exception:
        user32.GetWindowRect(handle, ctypes.byref(rect))
    length = user32.GetWindowTextLengthW(handle)
    buffer = ctypes.create_unicode_buffer(length + 1)
    user32.GetWindowTextW(handle, buffer, length + 1)
    return WindowInfo(rect.left, rect.top, rect.right - rect.left, rect.bottom - rect.top, buffer.value, handle)


def _macos_active_window() -> WindowInfo | None:
    try:
        from AppKit import NSWorkspace  # type: ignore[import-not-found]
        from Quartz import (  # type: ignore[import-not-found]
            CGWindowListCopyWindowInfo,
            kCGNullWindowID,
            kCGWindowListOptionOnScreenOnly,
        )
    except ImportError:
        return None
    pid = NSWorkspace.sharedWorkspace().frontmostApplication().processIdentifier()
    for info in CGWindowListCopyWindowInfo(kCGWindowListOptionOnScreenOnly, kCGNullWindowID) or []:
        if info.get("kCGWindowOwnerPID") == pid and info.get("kCGWindowLayer") == 0:
            bounds = info["kCGWindowBounds"]
            return WindowInfo(int(bounds["X"]), int(bounds["Y"]), int(bounds["Width"]), int(bounds["Height"]),
                              str(info.get("kCGWindowName") or info.get("kCGWindowOwnerName") or ""),
                              int(info.get("kCGWindowNumber", 0)))
    return None


def active_window() -> WindowInfo | None:
    """The window the user is working in (with its frame), or None when there is none or it cannot be told."""
    try:
        if sys.platform == "win32":
            return _windows_active_window()
        if sys.platform == "darwin":
            return _macos_active_window()
        if _wayland() or not os.environ.get("DISPLAY"):
            return None  # Wayland does not tell applications which window is active
        return _x11_active_window()
    except Exception:
        return None


def _grab(box: dict) -> np.ndarray:
    with _mss() as grabber:
        try:
            shot = grabber.grab(box)
        except Exception as exc:
            raise CaptureError("screen-capture-failed", f"capturing the screen failed: {exc}") from exc
        # mss gives BGRA rows; the core's images are RGB.
        pixels = np.frombuffer(shot.bgra, np.uint8).reshape(shot.height, shot.width, 4)
        return np.ascontiguousarray(pixels[:, :, 2::-1])


def _scale() -> float:
    """Device pixels per logical pixel where the platform tells (X11: the Xft.dpi resource)."""
    try:
        if sys.platform.startswith("linux") and os.environ.get("DISPLAY"):
            from Xlib import display as xdisplay

            d = xdisplay.Display()
            try:
                resources = d.screen().root.get_full_property(23, 31)  # RESOURCE_MANAGER, STRING
            finally:
                d.close()
            if resources is not None:
                text = resources.value.decode("latin-1") if isinstance(resources.value, bytes) else ""
                for line in text.splitlines():
                    if line.startswith("Xft.dpi:"):
                        return round(float(line.split(":", 1)[1]) / 96.0, 2)
    except Exception:
        pass
    return 1.0


def capture(target: str = "screen", *, region: tuple[int, int, int, int] | None = None,
            window: WindowInfo | None = None, pointer: tuple[int, int] | None = None) -> ScreenImage:
    """Capture ``target``: "screen" (the monitor under the pointer), "all" (every monitor in one image),
    "window" (``window`` or the active one) or "region" (``region`` = left, top, width, height)."""
    if target not in TARGETS:
        raise ValueError(f"unknown capture target {target!r}; use one of {', '.join(TARGETS)}")
    _check_display()
    t0 = time.monotonic()
    if _wayland():
        image = _portal_screenshot()
        if target == "region" and region is not None:
            image = image.crop(*region)
        elif target == "window":  # the portal does not say which window is active: the whole screen it is
            image = ScreenImage(image.pixels, source="screen (the active window is unknown on Wayland)")
        return ScreenImage(image.pixels, source=image.source, scale=image.scale,
                           capture_ms=(time.monotonic() - t0) * 1000)
    with _mss() as grabber:
        everything = grabber.monitors[0]
        screens = grabber.monitors[1:]
    source = target
    if target == "all":
        box, source = everything, "all screens"
    elif target == "screen":
        at = pointer or pointer_position()
        chosen = next((m for m in screens if at is not None and m["left"] <= at[0] < m["left"] + m["width"]
                       and m["top"] <= at[1] < m["top"] + m["height"]), screens[0] if screens else everything)
        box = chosen
    else:
        if target == "window":
            window = window or active_window()
            if window is None:
                raise CaptureError("screen-no-active-window", "there is no active window to capture: click the "
                                   "window first, or ask about the whole screen.")
            left, top, width, height = window.left, window.top, window.width, window.height
            source = f"window: {window.title}" if window.title else "window"
        else:
            if region is None:
                raise ValueError("a region capture needs region=(left, top, width, height)")
            left, top, width, height = region
        # clip to the virtual desktop: a window partly off screen is captured as far as it shows
        x0, y0 = max(left, everything["left"]), max(top, everything["top"])
        x1 = min(left + width, everything["left"] + everything["width"])
        y1 = min(top + height, everything["top"] + everything["height"])
        if x1 - x0 < 1 or y1 - y0 < 1:
            raise CaptureError("screen-region-offscreen", "the window or region to capture is off the screen.")
        box = {"left": x0, "top": y0, "width": x1 - x0, "height": y1 - y0}
    pixels = _grab({k: box[k] for k in ("left", "top", "width", "height")})
    return ScreenImage(pixels, source=source, scale=_scale(), capture_ms=(time.monotonic() - t0) * 1000)


# --- Wayland: the desktop portal ----------------------------------------------------------------------------

_UNAVAILABLE = ("cannot capture the screen on this Wayland session: the desktop portal (xdg-desktop-portal) is not "
                "running or refused ({why}). Install xdg-desktop-portal and your desktop's backend "
                "(xdg-desktop-portal-gnome, -kde or -wlr), or log in with an X11 session.")


def _portal_screenshot(timeout_s: float = 60.0) -> ScreenImage:
    """org.freedesktop.portal.Screenshot: the desktop takes the screenshot (it may ask the user first)."""
    try:
        from jeepney import DBusAddress, MatchRule, new_method_call
        from jeepney.io.blocking import open_dbus_connection
    except ImportError as exc:
        raise CaptureError("screen-capture-unavailable", _UNAVAILABLE.format(why="the jeepney package is "
                           "missing")) from exc
    try:
        connection = open_dbus_connection(bus="SESSION")
    except Exception as exc:
        raise CaptureError("screen-capture-unavailable", _UNAVAILABLE.format(why=f"no session bus: {exc}")) from exc
    with connection:
        token = "assistant_" + uuid.uuid4().hex[:12]
        sender = connection.unique_name.lstrip(":").replace(".", "_")
        request_path = f"/org/freedesktop/portal/desktop/request/{sender}/{token}"
        # Subscribe to the answer before asking, so a fast portal cannot answer before we listen.
        rule = MatchRule(type="signal", interface="org.freedesktop.portal.Request", member="Response",
                         path=request_path)
        portal = DBusAddress("/org/freedesktop/portal/desktop", bus_name="org.freedesktop.portal.Desktop",
                             interface="org.freedesktop.portal.Screenshot")
        bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus")
        try:
            connection.send_and_get_reply(new_method_call(bus, "AddMatch", "s", (rule.serialise(),)), timeout=5)
            with connection.filter(rule) as responses:
                reply = connection.send_and_get_reply(new_method_call(
                    portal, "Screenshot", "sa{sv}", ("", {"handle_token": ("s", token),
                                                          "interactive": ("b", False)})), timeout=10)
                if reply.header.message_type.name == "error":
                    raise CaptureError("screen-capture-unavailable", _UNAVAILABLE.format(why=str(reply.body)))
                message = connection.recv_until_filtered(responses, timeout=timeout_s)
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
    uri = results["uri"][1]
    from urllib.parse import unquote, urlparse

    image = ScreenImage.from_file(Path(unquote(urlparse(uri).path)))
    return ScreenImage(image.pixels, source="screen")
