"""Screen capture on a real X server (Xvfb): every target, channel order, two monitors, and the Wayland
desktop portal on a private session bus; and the messages when there is nothing to capture."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from assistant import capture
from tests.helpers import REPO, wait_until
from tests.xdisplay import xdisplay  # noqa: F401  (the fixture)

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
        assert [(m.left, m.width) for m in screens] == [(0, 960), (960, 960)]
        assert capture.capture("screen", pointer=(1500, 500)).width == 960
        left = capture.capture("screen", pointer=(300, 300))
        assert is_red(left.pixels).sum() == 400 * 300  # the red window is on the left monitor
        on_display.xdotool("mousemove", "1700", "900")
        assert wait_until(lambda: capture.pointer_position() == (1700, 900), 5)
        assert is_red(capture.capture("screen").pixels).sum() == 0  # the pointer's monitor: the right one
        assert capture.capture("all").width == 1920
    finally:
        subprocess.run(["xrandr", "--delmonitor", "left"], env=env)
        subprocess.run(["xrandr", "--delmonitor", "right"], env=env)


def test_without_any_display_the_message_says_what_to_do(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(capture.CaptureError) as info:
        capture.capture("screen")
    assert info.value.code == "screen-no-display" and "--image" in info.value.message


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
    assert "xdg-desktop-portal" in info.value.message and "X11 session" in info.value.message


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
    portal = subprocess.Popen([sys.executable, "-m", "tests.fake_portal", str(shot), str(code)], cwd=REPO,
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
        region = capture.capture("region", region=(80, 0, 40, 90))
        assert region.width == 40 and is_red(region.pixels).all()
        assert "unknown on Wayland" in capture.capture("window").source
    finally:
        portal.kill()
        portal.wait(10)
