"""Screen capture on a real X server (Xvfb): every target, channel order, two monitors, and the Wayland
desktop portal on a private session bus; and the messages when there is nothing to capture."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from assistant.contracts.turns import CancelToken
from desktop import capture
from testkit.helpers import REPO, wait_until
from testkit.xdisplay import xdisplay  # noqa: F401  (the fixture)

RED = (255, 0, 0)


@pytest.fixture
def on_display(xdisplay, monkeypatch):  # noqa: F811
    monkeypatch.setenv("DISPLAY", xdisplay.name)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    return xdisplay


@pytest.fixture
def red_window(on_display):
    """A 400x300 pure red window at (200, 150)."""
    code = textwrap.dedent("""
        from PySide6.QtCore import QEvent, QObject, QTimer
        from PySide6.QtWidgets import QApplication, QWidget

        app = QApplication([])
        w = QWidget()
        w.setWindowTitle("Red test window")
        w.setStyleSheet("background: rgb(255, 0, 0);")
        w.setGeometry(200, 150, 400, 300)

        class FirstPaint(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint:
                    QTimer.singleShot(0, lambda: print("ready", flush=True))
                return False

        watcher = FirstPaint()
        w.installEventFilter(watcher)
        w.show()
        w.activateWindow()
        app.exec()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], env={**on_display.env, "QT_QPA_PLATFORM": "xcb"},
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout.readline().strip() == "ready"
    on_display.xdotool("search", "--sync", "--name", "Red test window", "windowfocus", "--sync")
    yield proc
    proc.kill()
    proc.wait(10)


def is_red(pixels: np.ndarray) -> np.ndarray:
    return (pixels[..., 0] == 255) & (pixels[..., 1] == 0) & (pixels[..., 2] == 0)


def test_the_screen_is_captured_whole_in_rgb(red_window):
    image = capture.capture("screen")
    assert (image.width, image.height, image.source) == (1920, 1080, "screen")
    red = is_red(image.pixels)
    assert red[150:450, 200:600].all()  # a BGR mix-up would make this blue
    assert red.sum() == 400 * 300
    assert image.capture_ms > 0


def test_a_region_is_exactly_what_was_asked(red_window):
    image = capture.capture("region", region=(250, 200, 100, 50))
    assert (image.width, image.height, image.source) == (100, 50, "region")
    assert is_red(image.pixels).all()


def test_the_active_window_is_found_and_captured(red_window):
    window = capture.active_window()
    assert window is not None and window.title == "Red test window"
    assert (window.left, window.top, window.width, window.height) == (200, 150, 400, 300)
    image = capture.capture("window")
    assert image.source == "window: Red test window" and (image.width, image.height) == (400, 300)
    assert is_red(image.pixels).all()


@contextlib.contextmanager
def window_manager_says(display_name: str, active: int, extents: tuple[int, int, int, int] | None = None):
    """Sets what an EWMH window manager would (the active window on the root, the frame around the window),
    for as long as the block runs: Xvfb has no window manager."""
    from Xlib import Xatom, display

    d = display.Display(display_name)
    root = d.screen().root
    net_active, net_frame = d.intern_atom("_NET_ACTIVE_WINDOW"), d.intern_atom("_NET_FRAME_EXTENTS")
    window = d.create_resource_object("window", active) if active else None
    root.change_property(net_active, Xatom.WINDOW, 32, [active])
    if window is not None and extents is not None:
        window.change_property(net_frame, Xatom.CARDINAL, 32, list(extents))
    d.sync()
    try:
        yield
    finally:
        root.delete_property(net_active)
        if window is not None:
            window.delete_property(net_frame)
        d.sync()
        d.close()


def test_the_window_managers_active_window_with_its_frame(red_window, on_display):
    window_id = int(on_display.xdotool("search", "--name", "Red test window", check=True).stdout.split()[0])
    with window_manager_says(on_display.name, window_id, extents=(5, 5, 25, 5)):  # left, right, top, bottom
        window = capture.active_window()
        assert window is not None and (window.title, window.handle) == ("Red test window", window_id)
        assert (window.left, window.top, window.width, window.height) == (195, 125, 410, 330)
        image = capture.capture("window")
        assert (image.width, image.height) == (410, 330)
        red = is_red(image.pixels)
        assert red[25:325, 5:405].all() and red.sum() == 400 * 300  # the "frame" is what lies around it
    with window_manager_says(on_display.name, 0):  # the window manager says no window is active
        assert capture.active_window() is None


def test_a_window_partly_off_screen_is_clipped_and_an_off_screen_one_refused(red_window):
    image = capture.capture("window", window=capture.WindowInfo(1800, 1000, 400, 300, "half out"))
    assert (image.width, image.height, image.source) == (120, 80, "window: half out")
    with pytest.raises(capture.CaptureError) as info:
        capture.capture("region", region=(3000, 0, 10, 10))
    assert info.value.code == "screen-region-offscreen"
    with pytest.raises(ValueError):
        capture.capture("desktop")


def test_hidpi_scale_comes_from_the_desktops_xft_dpi(on_display):
    from Xlib import Xatom, display

    d = display.Display(on_display.name)
    root = d.screen().root
    root.change_property(Xatom.RESOURCE_MANAGER, Xatom.STRING, 8, b"Xcursor.size:\t48\nXft.dpi:\t192\n")
    d.sync()
    try:
        image = capture.capture("screen")
        assert (image.width, image.height, image.scale) == (1920, 1080, 2.0)  # device pixels, at full size
    finally:
        root.delete_property(Xatom.RESOURCE_MANAGER)
        d.sync()
        d.close()
    assert capture.capture("region", region=(0, 0, 10, 10)).scale == 1.0


def test_an_empty_display_has_no_active_window_and_says_so(on_display):
    assert capture.active_window() is None
    with pytest.raises(capture.CaptureError) as info:
        capture.capture("window")
    assert info.value.code == "screen-no-active-window"


def test_two_monitors_the_one_under_the_pointer_or_all(red_window, on_display):
    env = on_display.env
    subprocess.run(["xrandr", "--setmonitor", "left", "960/254x1080/286+0+0", "screen"], env=env, check=True)
    subprocess.run(["xrandr", "--setmonitor", "right", "960/254x1080/286+960+0", "none"], env=env, check=True)
    try:
        screens = capture.monitors()
        assert [(m.left, m.width, m.primary) for m in screens] == [(0, 960, True), (960, 960, False)]
        assert capture.capture("screen", pointer=(1500, 500)).width == 960
        left = capture.capture("screen", pointer=(300, 300))
        assert is_red(left.pixels).sum() == 400 * 300  # the red window is on the left monitor
        on_display.xdotool("mousemove", "1700", "900")
        assert wait_until(lambda: capture.pointer_position() == (1700, 900), 5)
        assert is_red(capture.capture("screen").pixels).sum() == 0  # the pointer's monitor: the right one
        everything = capture.capture("all")
        assert (everything.width, everything.height, everything.source) == (1920, 1080, "all screens")
        assert is_red(everything.pixels).sum() == 400 * 300
    finally:
        subprocess.run(["xrandr", "--delmonitor", "left"], env=env)
        subprocess.run(["xrandr", "--delmonitor", "right"], env=env)


def test_without_any_display_the_message_says_what_to_do(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(capture.CaptureError) as info:
        capture.capture("screen")
    assert info.value.code == "screen-no-display" and "--image" in info.value.message


def test_a_display_that_cannot_be_opened_is_a_capture_failure(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":4242")  # nothing listens there
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(capture.CaptureError) as info:
        capture.capture("screen")
    assert info.value.code == "screen-capture-failed"
    assert capture.active_window() is None


def wayland(monkeypatch, bus: str) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus)


def test_on_wayland_without_a_portal_the_message_says_what_to_install(monkeypatch, tmp_path):
    wayland(monkeypatch, f"unix:path={tmp_path}/no-bus")
    with pytest.raises(capture.CaptureError) as info:
        capture.capture("screen")
    assert info.value.code == "screen-capture-unavailable"
    assert "no answer" not in info.value.message  # said at once, not after waiting out the portal's timeout
    assert "xdg-desktop-portal" in info.value.message and "X11 session" in info.value.message
    assert capture.active_window() is None and capture.monitors() == []


def test_on_wayland_a_session_bus_without_the_portal_is_said_at_once(monkeypatch, session_bus):
    wayland(monkeypatch, session_bus)
    with pytest.raises(capture.CaptureError) as info:
        capture.capture("window")
    assert "no answer" not in info.value.message  # said at once, not after waiting out the portal's timeout
    assert info.value.code == "screen-capture-unavailable" and "xdg-desktop-portal" in info.value.message


@pytest.fixture
def session_bus(tmp_path):
    daemon = shutil.which("dbus-daemon")
    if daemon is None:  # make test installs it (scripts/install_system_deps.sh)
        pytest.fail("dbus-daemon is missing: install the Debian package dbus")
    proc = subprocess.Popen([daemon, "--session", "--nofork", "--print-address"], stdout=subprocess.PIPE, text=True)
    address = proc.stdout.readline().strip()
    yield address
    proc.kill()
    proc.wait(10)


@pytest.mark.parametrize("code", [0, 1], ids=["taken", "cancelled"])
def test_on_wayland_the_desktop_portal_takes_the_screenshot(monkeypatch, tmp_path, session_bus, code):
    from PIL import Image

    shot = tmp_path / "portal.png"
    pixels = np.zeros((90, 160, 3), np.uint8)
    pixels[:, 80:] = RED
    Image.fromarray(pixels).save(shot)
    portal = subprocess.Popen([sys.executable, "-m", "testkit.fake_portal", str(shot), str(code)], cwd=REPO,
                              env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": session_bus}, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert portal.stdout.readline().strip() == "ready"
        wayland(monkeypatch, session_bus)
        if code == 1:
            with pytest.raises(capture.CaptureError) as info:
                capture.capture("screen")
            assert info.value.code == "screen-capture-cancelled"
            return
        image = capture.capture("screen")
        assert (image.width, image.height) == (160, 90)
        assert is_red(image.pixels[:, 80:]).all() and not is_red(image.pixels[:, :80]).any()
        monkeypatch.setenv("DISPLAY", ":4242")  # XWayland's display: a Wayland session still asks the portal
        region = capture.capture("region", region=(80, 0, 40, 90))
        assert region.width == 40 and is_red(region.pixels).all()
        assert "unknown on Wayland" in capture.capture("window").source
    finally:
        portal.kill()
        portal.wait(10)


def test_on_wayland_an_interrupt_ends_the_wait_for_the_portal(monkeypatch, tmp_path, session_bus):
    portal = subprocess.Popen([sys.executable, "-m", "testkit.fake_portal", str(tmp_path / "never.png"), "wait"],
                              cwd=REPO, env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": session_bus},
                              stdout=subprocess.PIPE, text=True)
    try:
        assert portal.stdout.readline().strip() == "ready"
        wayland(monkeypatch, session_bus)
        token = CancelToken(1)
        timer = threading.Timer(0.5, token.cancel)  # the user interrupts while the portal's dialog is open
        timer.start()
        t0 = time.monotonic()
        with pytest.raises(capture.CaptureError) as info:
            capture.DesktopCapture().capture("screen", cancel=token)
        assert info.value.code == "screen-capture-cancelled"
        assert time.monotonic() - t0 > 0.4  # it waited for the portal until the interrupt...
        assert info.value.message.endswith("was interrupted.")  # ...which ended it (not the 60 s timeout)
        timer.join()
    finally:
        portal.kill()
        portal.wait(10)
