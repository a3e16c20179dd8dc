"""The desktop side of screen questions: the region picker, captures that keep the app's windows out of the
picture, the capture indicator, and the attachment the next question is about (Qt offscreen)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget

from assistant import capture
from assistant.config import Config
from assistant.errors import AssistantError
from assistant.history import HistoryStore
from assistant.screen import ScreenImage
from ui.app import DesktopApp
from ui.region_picker import RegionPicker
from ui.screen_grab import ScreenGrabber


def blocks(width=800, height=600) -> ScreenImage:
    """Four quadrants: red, green / blue, white."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[: height // 2, : width // 2] = (255, 0, 0)
    pixels[: height // 2, width // 2:] = (0, 255, 0)
    pixels[height // 2:, : width // 2] = (0, 0, 255)
    pixels[height // 2:, width // 2:] = (255, 255, 255)
    return ScreenImage(pixels, source="all screens")


def drag(qtbot, widget, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(widget, end)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


def test_a_drag_on_a_hidpi_overlay_crops_the_capture_in_device_pixels(qtbot):
    picker = RegionPicker(blocks(), QRect(0, 0, 400, 300))  # a 2x screen: 400x300 logical, 800x600 device
    qtbot.addWidget(picker)
    picker.show()
    qtbot.waitExposed(picker)
    with qtbot.waitSignal(picker.picked, timeout=5000) as signal:
        drag(qtbot, picker, QPoint(210, 160), QPoint(309, 259))  # inside the white quadrant
    region = signal.args[0]
    assert (region.width, region.height) == (200, 200)
    assert region.source == "region"
    assert (region.pixels == 255).all()


def test_a_twitch_is_not_a_selection_and_escape_cancels(qtbot):
    picker = RegionPicker(blocks(), QRect(0, 0, 800, 600))
    qtbot.addWidget(picker)
    picker.show()
    qtbot.waitExposed(picker)
    picked = []
    picker.picked.connect(picked.append)
    drag(qtbot, picker, QPoint(100, 100), QPoint(103, 102))
    assert picked == [] and picker.isVisible()
    with qtbot.waitSignal(picker.cancelled, timeout=5000):
        qtbot.keyClick(picker, Qt.Key.Key_Escape)
    assert picked == []


@pytest.fixture
def windows(qtbot):
    shown = []
    for title in ("main", "launcher"):
        window = QWidget()
        window.setWindowTitle(title)
        qtbot.addWidget(window)
        window.show()
        shown.append(window)
    return shown


def test_the_core_captures_from_its_thread_with_our_windows_out_of_the_way(qtbot, windows, monkeypatch):
    grabber = ScreenGrabber(windows)
    seen = {}

    def fake_capture(target, **kwargs):
        seen["target"], seen["visible"] = target, [w.isVisible() for w in windows]
        seen["thread"] = threading.current_thread() is threading.main_thread()
        return blocks(64, 48)

    monkeypatch.setattr(capture, "capture", fake_capture)
    indicator = []
    grabber.capturing.connect(indicator.append)
    result = {}
    worker = threading.Thread(target=lambda: result.update(image=grabber.capture_for_core("screen")))
    worker.start()
    qtbot.waitUntil(lambda: "image" in result, timeout=5000)
    worker.join(5)
    assert result["image"].width == 64
    assert seen == {"target": "screen", "visible": [False, False], "thread": True}  # taken on the GUI thread
    assert all(w.isVisible() for w in windows)  # back as they were
    assert indicator == [True, False]


def test_a_failed_capture_reaches_the_core_with_its_code(qtbot, windows, monkeypatch):
    grabber = ScreenGrabber(windows)

    def failing(target, **kwargs):
        raise AssistantError("screen-capture-unavailable", "the desktop portal is not running")

    monkeypatch.setattr(capture, "capture", failing)
    outcome = {}

    def call():
        try:
            grabber.capture_for_core("screen")
        except AssistantError as exc:
            outcome["code"] = exc.code

    worker = threading.Thread(target=call)
    worker.start()
    qtbot.waitUntil(lambda: "code" in outcome, timeout=5000)
    worker.join(5)
    assert outcome["code"] == "screen-capture-unavailable"
    assert all(w.isVisible() for w in windows)


@pytest.fixture
def desktop(tmp_path, qapp):
    app = DesktopApp(Config(), history=HistoryStore(tmp_path / "history.sqlite3"))  # not started: no models
    yield app
    app.launcher.hide()
    app.window.quitting = True
    app.window.close()
    app.tray.hide()


def test_the_screen_hotkey_attaches_a_capture_and_shows_it_in_the_launcher(qtbot, desktop, monkeypatch):
    tooltips = []

    def fake_capture(target, **kwargs):
        tooltips.append(desktop.tray.icon.toolTip())
        return ScreenImage(blocks(1920, 1080).pixels, source="screen")

    monkeypatch.setattr(capture, "capture", fake_capture)
    monkeypatch.setattr(capture, "active_window", lambda: None)
    desktop.ask_about_screen("screen", listen=False)
    qtbot.waitUntil(lambda: desktop.attachment is not None, timeout=5000)
    assert tooltips == ["Voice Assistant: capturing the screen"]  # the indicator was up during the capture
    assert "capturing" not in desktop.tray.icon.toolTip()
    launcher = desktop.launcher
    assert launcher.isVisible() and launcher.chip.isVisible()
    assert "screen (1920×1080)" in launcher.chip_text.text()
    assert launcher.chip_thumb.pixmap().width() == 96

    launcher.chip_drop.click()
    assert desktop.attachment is None and not launcher.chip.isVisible()


def test_a_capture_failure_is_shown_where_the_user_looks(qtbot, desktop, monkeypatch):
    def failing(target, **kwargs):
        raise AssistantError("screen-no-display", "there is no display to capture")

    monkeypatch.setattr(capture, "capture", failing)
    monkeypatch.setattr(capture, "active_window", lambda: None)
    desktop.ask_about_screen("screen", listen=False)
    qtbot.waitUntil(lambda: desktop.launcher.isVisible(), timeout=5000)
    assert "no display to capture" in desktop.launcher.question.text()
    assert desktop.attachment is None
