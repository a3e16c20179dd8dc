"""Screen capture for questions about the screen: the screen under the pointer, every screen, the active
window, or a region. Headless (no Qt): mss on X11, Windows and macOS; the desktop portal on Wayland.

Coordinates are those of the platform's virtual desktop (the union of all monitors): device pixels on X11 and
Windows (the process is made per-monitor DPI aware), points on macOS. The pixels are always device pixels, so a
HiDPI screen is captured at its full resolution; ``ScreenImage.scale`` says how many device pixels make a
logical one where the platform tells (X11: Xft.dpi / 96; Windows: the monitor's DPI / 96; macOS: measured).

Each call opens its own mss instance and X connection: they are cheap (a "screen" capture at 1920x1080 takes
about 20 ms under Xvfb) and are not safe to share between threads.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import replace

import numpy as np

from assistant.contracts.errors import CaptureError
from assistant.contracts.screen import CAPTURE_TARGETS, Monitor, ScreenImage, WindowInfo
from assistant.contracts.turns import CancelToken
from desktop.portal import portal_screenshot

__all__ = ["TARGETS", "CaptureError", "DesktopCapture", "Monitor", "WindowInfo", "active_window", "capture",
           "monitors", "pointer_position"]

TARGETS = CAPTURE_TARGETS


def _wayland() -> bool:
    """A Wayland session: X11 capture is not possible or would be wrong. XWayland's DISPLAY usually exists in
    a Wayland session, but grabbing through it shows native Wayland windows black, so the portal is preferred."""
    return bool(os.environ.get("WAYLAND_DISPLAY")) and (
        os.environ.get("XDG_SESSION_TYPE") == "wayland" or not os.environ.get("DISPLAY"))


def _check_display() -> None:
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise CaptureError("screen-no-display", "there is no display to capture (DISPLAY and WAYLAND_DISPLAY are "
                           "unset): ask about an image file instead (assistant ask --image FILE).")


def _windows_dpi_aware() -> None:
    """Per-monitor DPI awareness (Windows 10+), so rectangles and the pointer are in device pixels, not in
    pixels scaled to the primary monitor's DPI. Fails harmlessly when the process already chose (mss does)."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.windll.user32.SetProcessDpiAwarenessContext(ctypes.c_void_p(-4))  # type: ignore[attr-defined]


def _mss():
    try:
        import mss
    except ImportError as exc:
        raise CaptureError("screen-capture-unavailable", "capturing the screen needs the 'mss' package "
                           "(pip install mss).") from exc
    if sys.platform == "darwin":
        # mss asks macOS for the nominal (logical) resolution by default; without that flag a Retina screen
        # comes back at its full resolution, which OCR needs for small text.
        import mss.darwin

        if hasattr(mss.darwin, "IMAGE_OPTIONS"):
            mss.darwin.IMAGE_OPTIONS = 1 | 2  # kCGWindowImageBoundsIgnoreFraming | kCGWindowImageShouldBeOpaque
    elif sys.platform == "win32":
        _windows_dpi_aware()
    try:
        # One instance per call: older mss instances must not be shared between threads. mss.MSS is 10.2's
        # name (mss.mss still works there, with a deprecation warning).
        return (getattr(mss, "MSS", None) or mss.mss)()
    except Exception as exc:
        raise CaptureError("screen-capture-failed", f"cannot open the display to capture it: {exc}") from exc


def _monitors(found: list[dict]) -> list[Monitor]:
    """mss's monitors (its list without the first, all-monitors entry) as ``Monitor``s: the primary is the one
    the platform marks, else the one holding the desktop's origin (0, 0), else the first."""
    result = [Monitor(m["left"], m["top"], m["width"], m["height"], False,
                      str(m.get("name") or m.get("output") or i + 1)) for i, m in enumerate(found)]
    primary = next((i for i, m in enumerate(found) if m.get("is_primary")), None)
    if primary is None:
        primary = next((i for i, m in enumerate(result) if m.contains(0, 0)), 0)
    if result:
        result[primary] = replace(result[primary], primary=True)
    return result


def monitors() -> list[Monitor]:
    """Every monitor, in the virtual desktop's coordinates."""
    _check_display()
    if _wayland():
        return []  # Wayland does not tell applications where the monitors are
    with _mss() as grabber:
        return _monitors(grabber.monitors[1:])


def _x11_state(want_pointer: bool) -> tuple[tuple[int, int] | None, float]:
    """The pointer position (when asked) and the Xft.dpi scale, over one X connection (opening one costs ~5 ms)."""
    pointer, scale = None, 1.0
    with contextlib.suppress(Exception):  # no pointer or resources to read: the primary screen, scale 1
        from Xlib import Xatom
        from Xlib import display as xdisplay

        d = xdisplay.Display()
        try:
            root = d.screen().root
            if want_pointer:
                reply = root.query_pointer()
                pointer = (reply.root_x, reply.root_y)
            resources = root.get_full_property(Xatom.RESOURCE_MANAGER, Xatom.STRING)
        finally:
            d.close()
        text = resources.value if resources is not None else b""
        text = text.decode("latin-1") if isinstance(text, bytes) else str(text)
        for line in text.splitlines():
            if line.startswith("Xft.dpi:"):
                scale = round(float(line.split(":", 1)[1]) / 96.0, 2) or 1.0
    return pointer, scale


def pointer_position() -> tuple[int, int] | None:
    """Where the mouse pointer is, in the virtual desktop's coordinates; None when the platform does not say."""
    try:
        if sys.platform == "win32":
            import ctypes
            from ctypes import wintypes

            _windows_dpi_aware()
            point = wintypes.POINT()
            if not ctypes.windll.user32.GetCursorPos(ctypes.byref(point)):  # type: ignore[attr-defined]
                return None
            return point.x, point.y
        if sys.platform == "darwin":
            from Quartz import CGEventCreate, CGEventGetLocation  # type: ignore[import-not-found]

            location = CGEventGetLocation(CGEventCreate(None))
            return int(location.x), int(location.y)
        if _wayland() or not os.environ.get("DISPLAY"):
            return None
        return _x11_state(want_pointer=True)[0]
    except Exception:
        return None


def _x11_active_window() -> WindowInfo | None:
    from Xlib import X, Xatom
    from Xlib import display as xdisplay

    d = xdisplay.Display()
    try:
        root = d.screen().root
        active = root.get_full_property(d.intern_atom("_NET_ACTIVE_WINDOW"), X.AnyPropertyType)
        if active is not None:  # an EWMH window manager says which window is active (0: none is)
            if not active.value or not active.value[0]:
                return None
            window = d.create_resource_object("window", active.value[0])
        else:
            # No window manager (a bare X server): the window with the keyboard focus, walked up to its top-level
            # window (the child of the root), since the focus may sit on a sub-window.
            focus = d.get_input_focus().focus
            if isinstance(focus, int) or focus.id == root.id:  # None or PointerRoot, or the root itself
                return None
            window = focus
            while True:
                parent = window.query_tree().parent
                if isinstance(parent, int) or parent.id in (root.id, 0):
                    break
                window = parent
        if window.get_attributes().map_state != X.IsViewable:
            return None
        geometry = window.get_geometry()
        origin = window.translate_coords(root, 0, 0)  # the root's origin seen from the window: negated position
        left, top, width, height = -origin.x, -origin.y, geometry.width, geometry.height
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

    _windows_dpi_aware()  # before measuring: else the rectangle is in the primary monitor's scaled pixels
    user32 = ctypes.windll.user32  # type: ignore[attr-defined]
    user32.GetForegroundWindow.restype = wintypes.HWND  # a handle is pointer-sized: the default int truncates
    handle = user32.GetForegroundWindow()
    if not handle:
        return None
    rect = wintypes.RECT()
    hwnd = wintypes.HWND(handle)
    found = False
    with contextlib.suppress(Exception):  # the visible frame, without the invisible resize borders
        found = ctypes.windll.dwmapi.DwmGetWindowAttribute(  # type: ignore[attr-defined]
            hwnd, 9, ctypes.byref(rect), ctypes.sizeof(rect)) == 0  # DWMWA_EXTENDED_FRAME_BOUNDS; S_OK
    if not found and not user32.GetWindowRect(hwnd, ctypes.byref(rect)):
        return None
    length = user32.GetWindowTextLengthW(hwnd)
    buffer = ctypes.create_unicode_buffer(length + 1)
    user32.GetWindowTextW(hwnd, buffer, length + 1)
    return WindowInfo(rect.left, rect.top, rect.right - rect.left, rect.bottom - rect.top, buffer.value, handle)


def _macos_active_window() -> WindowInfo | None:
    try:
        from AppKit import NSWorkspace  # type: ignore[import-not-found]
        from Quartz import (  # type: ignore[import-not-found]
            CGWindowListCopyWindowInfo,
            kCGNullWindowID,
            kCGWindowListExcludeDesktopElements,
            kCGWindowListOptionOnScreenOnly,
        )
    except ImportError:  # pyobjc is not installed: the active window is unknown
        return None
    app = NSWorkspace.sharedWorkspace().frontmostApplication()
    if app is None:
        return None
    pid = app.processIdentifier()
    # The list is front to back, so the first normal (layer 0) window of the frontmost app is its front window.
    options = kCGWindowListOptionOnScreenOnly | kCGWindowListExcludeDesktopElements
    for info in CGWindowListCopyWindowInfo(options, kCGNullWindowID) or []:
        if info.get("kCGWindowOwnerPID") == pid and info.get("kCGWindowLayer") == 0:
            bounds = info["kCGWindowBounds"]
            return WindowInfo(int(bounds["X"]), int(bounds["Y"]), int(bounds["Width"]), int(bounds["Height"]),
                              str(info.get("kCGWindowName") or info.get("kCGWindowOwnerName") or ""),
                              int(info.get("kCGWindowNumber", 0)))
    return None


def active_window() -> WindowInfo | None:
    """The window the user is working in (with its frame), or None when there is none or it cannot be told
    (Wayland never tells; a bare X server with nothing focused)."""
    try:
        if sys.platform == "win32":
            return _windows_active_window()
        if sys.platform == "darwin":
            return _macos_active_window()
        if _wayland() or not os.environ.get("DISPLAY"):
            return None
        return _x11_active_window()
    except Exception:  # an X error (the window went away meanwhile), a missing library: unknown
        return None


def _rgb(shot) -> np.ndarray:
    """mss's BGRA rows as contiguous RGB. Three channel copies: ~6x faster than copying a reversed view."""
    bgra = np.frombuffer(shot.raw, np.uint8).reshape(shot.height, shot.width, 4)
    rgb = np.empty((shot.height, shot.width, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = bgra[..., 2], bgra[..., 1], bgra[..., 0]
    return rgb


def _platform_scale(box: dict, width: int) -> float | None:
    """Windows: the DPI of the monitor under the box's centre / 96; macOS: device pixels per point, as captured."""
    if sys.platform == "darwin":
        return round(width / box["width"], 2) if box["width"] else None
    if sys.platform != "win32":
        return None
    with contextlib.suppress(Exception):
        import ctypes
        from ctypes import wintypes

        user32 = ctypes.windll.user32  # type: ignore[attr-defined]
        user32.MonitorFromPoint.restype = ctypes.c_void_p
        centre = wintypes.POINT(box["left"] + box["width"] // 2, box["top"] + box["height"] // 2)
        monitor = user32.MonitorFromPoint(centre, 2)  # MONITOR_DEFAULTTONEAREST
        dpi_x, dpi_y = wintypes.UINT(), wintypes.UINT()
        if ctypes.windll.shcore.GetDpiForMonitor(  # type: ignore[attr-defined]
                ctypes.c_void_p(monitor), 0, ctypes.byref(dpi_x), ctypes.byref(dpi_y)) == 0:  # MDT_EFFECTIVE_DPI
            return round(dpi_x.value / 96.0, 2)
    return None


def capture(target: str = "screen", *, region: tuple[int, int, int, int] | None = None,
            window: WindowInfo | None = None, pointer: tuple[int, int] | None = None,
            cancel: CancelToken | None = None) -> ScreenImage:
    """Capture ``target``:

    - "screen": the monitor under ``pointer`` (else under the mouse pointer, else the primary one);
    - "all": every monitor in one image (the virtual desktop's bounding box);
    - "window": ``window``, else the active window, with its frame and clipped to the desktop; raises
      CaptureError "screen-no-active-window" when there is none (a capture of something else would answer a
      different question than the one asked);
    - "region": ``region`` = (left, top, width, height) in the virtual desktop's coordinates, clipped to it.

    On Wayland the desktop portal takes a screenshot of the whole desktop (it may ask the user first): a region
    is cropped from it; the portal does not say which window is active, so "window" gives the whole screenshot
    and its ``source`` says so. The portal may wait for the user: ``cancel`` (the turn's token) stops the wait.

    Raises CaptureError: "screen-no-display", "screen-capture-failed", "screen-region-offscreen",
    "screen-no-active-window", and on Wayland "screen-capture-unavailable" or "screen-capture-cancelled" (also
    when ``cancel`` was cancelled while the portal was asked);
    ValueError for an unknown target or a region target without a region.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown capture target {target!r}; use one of {', '.join(TARGETS)}")
    if target == "region" and region is None:
        raise ValueError("a region capture needs region=(left, top, width, height)")
    _check_display()
    t0 = time.monotonic()
    if _wayland():
        image = portal_screenshot(cancel=cancel)
        if target == "region":
            image = image.crop(*region)
        elif target == "window":
            image = replace(image, source="screen (the active window is unknown on Wayland)")
        return replace(image, captured_at=time.monotonic(), capture_ms=(time.monotonic() - t0) * 1000)
    if target == "window":
        window = window or active_window()
        if window is None:
            raise CaptureError("screen-no-active-window", "there is no active window to capture: click the "
                               "window first, or ask about the whole screen.")
    x11 = sys.platform.startswith("linux")
    x11_scale = None
    with _mss() as grabber:
        everything = grabber.monitors[0]
        screens = grabber.monitors[1:]
        source = target
        if target == "all":
            box, source = everything, "all screens"
        elif target == "screen":
            found = _monitors(screens)
            if len(found) > 1 and pointer is None:  # with one monitor, where the pointer is does not matter
                if x11:
                    pointer, x11_scale = _x11_state(want_pointer=True)
                else:
                    pointer = pointer_position()
            under = [i for i, m in enumerate(found) if pointer is not None and m.contains(*pointer)]
            primary = [i for i, m in enumerate(found) if m.primary]
            box = screens[(under or primary)[0]] if found else everything
        else:
            if target == "window":
                left, top, width, height = window.left, window.top, window.width, window.height
                source = f"window: {window.title}" if window.title else "window"
            else:
                left, top, width, height = region
            # Clip to the virtual desktop: a window partly off screen is captured as far as it shows.
            x0, y0 = max(left, everything["left"]), max(top, everything["top"])
            x1 = min(left + width, everything["left"] + everything["width"])
            y1 = min(top + height, everything["top"] + everything["height"])
            if x1 - x0 < 1 or y1 - y0 < 1:
                raise CaptureError("screen-region-offscreen", f"the {target} to capture is off the screen.")
            box = {"left": x0, "top": y0, "width": x1 - x0, "height": y1 - y0}
        box = {k: int(box[k]) for k in ("left", "top", "width", "height")}
        try:
            shot = grabber.grab(box)
        except Exception as exc:
            raise CaptureError("screen-capture-failed", f"capturing the screen failed: {exc}") from exc
    pixels = _rgb(shot)
    scale = _platform_scale(box, shot.width)
    if scale is None:
        if x11 and x11_scale is None:  # X11: the Xft.dpi the desktop set (read with the pointer when it was)
            x11_scale = _x11_state(want_pointer=False)[1]
        scale = x11_scale or 1.0
    return ScreenImage(pixels, source=source, scale=scale, capture_ms=(time.monotonic() - t0) * 1000)


class DesktopCapture:
    """The ScreenCapture port on this machine's desktop: mss, Xlib, Win32, Quartz, or the Wayland portal."""

    def capture(self, target: str = "screen", *, region: tuple[int, int, int, int] | None = None,
                window: WindowInfo | None = None, pointer: tuple[int, int] | None = None,
                cancel: CancelToken | None = None) -> ScreenImage:
        return capture(target, region=region, window=window, pointer=pointer, cancel=cancel)

    def active_window(self) -> WindowInfo | None:
        return active_window()
