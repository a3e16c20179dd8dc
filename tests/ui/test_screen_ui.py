"""The desktop side of screen questions: the region picker, captures that keep the app's windows out of the
picture, the capture indicator, the attachment the next question is about, and the screen settings (Qt
offscreen). The capture function itself is replaced here; real captures on an X server: tests/integration/
test_capture.py and tests/e2e/test_desktop_app.py."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt creates the QApplication

import threading

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget

from assistant import secrets
from assistant.bootstrap import adapters
from assistant.config import Config, load_config
from assistant.contracts.errors import AssistantError
from assistant.contracts.events import ScreenCaptured
from assistant.contracts.screen import ScreenImage, TextLine, WindowInfo
from assistant.facade import Assistant
from assistant.history import HistoryStore
from assistant.screen_answer import ScreenAnswerer
from testkit.fakes import FakeCapture, ScriptedLLM
from ui.app import DesktopApp
from ui.region_picker import RegionPicker
from ui.screen_grab import ScreenGrabber

WAIT_MS = 10_000
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def blocks(width=800, height=600, source="all screens") -> ScreenImage:
    """Four quadrants: red, green / blue, white."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[: height // 2, : width // 2] = RED
    pixels[: height // 2, width // 2:] = GREEN
    pixels[height // 2:, : width // 2] = BLUE
    pixels[height // 2:, width // 2:] = WHITE
    return ScreenImage(pixels, source=source)


def colour(image: ScreenImage, x: int, y: int) -> tuple[int, int, int]:
    return tuple(int(v) for v in image.pixels[y, x])


# --- the region picker -----------------------------------------------------------------------------------------


@pytest.fixture
def picker_of(qtbot):
    """Opens a picker (it closes and deletes itself when done; whatever is left is closed after the test)."""
    opened: list[RegionPicker] = []

    def make(image: ScreenImage, geometry: QRect) -> RegionPicker:
        picker = RegionPicker(image, geometry)
        opened.append(picker)
        picker.show()
        qtbot.waitExposed(picker)
        return picker

    yield make
    for picker in opened:
        if shiboken6.isValid(picker):
            picker.close()


def drag(qtbot, widget, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(widget, QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2))
    qtbot.mouseMove(widget, end)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


def test_a_drag_on_a_hidpi_overlay_crops_the_capture_in_device_pixels(qtbot, picker_of):
    # A 200 % screen: the overlay is 400x300 logical pixels, the capture 800x600 device pixels.
    picker = picker_of(blocks(), QRect(0, 0, 400, 300))
    assert picker.scale() == (2.0, 2.0)
    with qtbot.waitSignal(picker.picked, timeout=WAIT_MS) as signal:
        drag(qtbot, picker, QPoint(150, 100), QPoint(250, 200))  # across the middle: a bit of each quadrant
    region = signal.args[0]
    assert (region.width, region.height, region.source) == (200, 200, "region")
    # logical (150..250, 100..200) is device (300..500, 200..400): the quadrants meet at its centre
    assert colour(region, 0, 0) == RED and colour(region, 99, 99) == RED
    assert colour(region, 100, 0) == GREEN and colour(region, 199, 99) == GREEN
    assert colour(region, 0, 100) == BLUE and colour(region, 99, 199) == BLUE
    assert colour(region, 100, 100) == WHITE and colour(region, 199, 199) == WHITE
    qtbot.waitUntil(lambda: not shiboken6.isValid(picker), timeout=WAIT_MS)  # gone, and the frozen screen with it


def test_each_axis_has_its_own_scale_and_an_upward_drag_counts_too(qtbot, picker_of):
    picker = picker_of(blocks(), QRect(0, 0, 400, 200))  # 2x across, 3x down
    with qtbot.waitSignal(picker.picked, timeout=WAIT_MS) as signal:
        drag(qtbot, picker, QPoint(390, 190), QPoint(210, 110))  # right to left, bottom to top: the white quadrant
    region = signal.args[0]
    assert (region.width, region.height) == (360, 240)
    assert (region.pixels == 255).all()


def test_a_twitch_is_not_a_selection_and_escape_cancels(qtbot, picker_of):
    picker = picker_of(blocks(), QRect(0, 0, 800, 600))
    picked = []
    picker.picked.connect(picked.append)
    drag(qtbot, picker, QPoint(100, 100), QPoint(103, 103))  # 3 px
    qtbot.keyClick(picker, Qt.Key.Key_Return)  # nothing selected: Enter picks nothing either
    assert picked == [] and picker.isVisible()
    with qtbot.waitSignal(picker.cancelled, timeout=WAIT_MS):
        qtbot.keyClick(picker, Qt.Key.Key_Escape)
    assert picked == []


def test_a_right_click_cancels(qtbot, picker_of):
    picker = picker_of(blocks(), QRect(0, 0, 800, 600))
    with qtbot.waitSignal(picker.cancelled, timeout=WAIT_MS):
        qtbot.mouseClick(picker, Qt.MouseButton.RightButton, pos=QPoint(10, 10))


# --- captures with our windows out of the way -----------------------------------------------------------------


@pytest.fixture
def screen():
    """The capture adapter the grabber and the app are given (each test says what it shows)."""
    return FakeCapture()


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


def run_on_worker(qtbot, call) -> dict:
    """Runs ``call`` on a thread of its own, like the core's LLM stage, while the GUI thread keeps going."""
    outcome: dict = {}

    def body() -> None:
        try:
            outcome["value"] = call()
        except AssistantError as exc:
            outcome["error"] = exc
        outcome["thread"] = threading.current_thread()

    worker = threading.Thread(target=body, name="llm-like")
    worker.start()
    qtbot.waitUntil(lambda: "thread" in outcome, timeout=WAIT_MS)
    worker.join(WAIT_MS / 1000)
    return outcome


def test_the_core_captures_from_its_thread_with_our_windows_out_of_the_way(qtbot, windows, screen):
    grabber = ScreenGrabber(windows, screen)
    seen = {}

    def fake_capture(target, **kwargs):
        seen["target"], seen["visible"] = target, [w.isVisible() for w in windows]
        seen["gui thread"] = threading.current_thread() is threading.main_thread()
        return blocks(64, 48, source="screen")

    screen.shoot = fake_capture
    indicator = []
    grabber.capturing.connect(indicator.append)
    outcome = run_on_worker(qtbot, lambda: grabber.capture_for_core("screen"))
    assert outcome["value"].width == 64 and outcome["value"].source == "screen"
    # Hidden during the capture, which ran off the GUI thread (a slow portal must not freeze the window).
    assert seen == {"target": "screen", "visible": [False, False], "gui thread": False}
    assert all(w.isVisible() for w in windows)  # back as they were
    assert indicator == [True, False] and not grabber.busy


def test_a_failed_capture_reaches_the_core_with_its_code(qtbot, windows, screen):
    grabber = ScreenGrabber(windows, screen)

    def failing(target, **kwargs):
        raise AssistantError("screen-capture-unavailable", "the desktop portal is not running")

    screen.shoot = failing
    outcome = run_on_worker(qtbot, lambda: grabber.capture_for_core("screen"))
    assert outcome["error"].code == "screen-capture-unavailable" and "value" not in outcome
    assert all(w.isVisible() for w in windows)


def test_overlapping_captures_all_miss_our_windows_and_bring_them_back_once(qtbot, windows, screen):
    grabber = ScreenGrabber(windows, screen)
    release = threading.Event()
    visible = []

    def slow_capture(target, **kwargs):
        visible.append([w.isVisible() for w in windows])
        release.wait(WAIT_MS / 1000)
        return blocks(32, 24, source=target)

    screen.shoot = slow_capture
    results = []
    grabber.grab("screen", lambda image, error: results.append(image.source))
    grabber.grab("all", lambda image, error: results.append(image.source))
    qtbot.waitUntil(lambda: len(visible) == 2, timeout=WAIT_MS)
    release.set()
    qtbot.waitUntil(lambda: len(results) == 2, timeout=WAIT_MS)
    assert visible == [[False, False], [False, False]]
    assert sorted(results) == ["all", "screen"] and all(w.isVisible() for w in windows)


def test_this_window_is_the_users_not_ours(qtbot, windows, screen):
    grabber = ScreenGrabber(windows, screen)
    users = WindowInfo(10, 20, 300, 200, "Editor", handle=4242)
    ours = WindowInfo(0, 0, 560, 120, "launcher", handle=int(windows[1].winId()))
    screen.window = users
    calls = []
    screen.shoot = lambda target, **kw: calls.append((target, kw["window"])) or blocks(8, 8)

    grabber.remember_active_window()  # the launcher is about to open over the editor
    screen.window = ours  # ... and now it has the focus
    grabber.remember_active_window()  # a second hotkey press: our own window is never remembered
    done = []
    grabber.grab("window", lambda image, error: done.append(error))
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    assert calls == [("window", users)]

    grabber.remembered_window, screen.window = None, None  # nothing known: the screen it is
    grabber.grab("window", lambda image, error: done.append(error))
    qtbot.waitUntil(lambda: len(done) == 2, timeout=WAIT_MS)
    assert calls[1] == ("screen", None) and done == [None, None]


# --- the app: hotkey, launcher chip, questions about the attachment --------------------------------------------


@pytest.fixture
def desktop(tmp_path, qapp, screen):
    app = DesktopApp(Config(), history=HistoryStore(tmp_path / "history.sqlite3"),  # not started: no models
                     adapters=dataclasses.replace(adapters(), capture=screen))
    yield app
    if app.assistant is not None:
        app.assistant.shutdown()
    app.bridge.close()
    app.launcher.hide()
    app.window.quitting = True
    app.window.close()
    app.tray.hide()


def test_the_screen_hotkey_attaches_a_capture_and_shows_it_in_the_launcher(qtbot, desktop, screen):
    tooltips = []

    def fake_capture(target, **kwargs):
        tooltips.append(desktop.tray.icon.toolTip())
        return ScreenImage(blocks(1920, 1080).pixels, source=target)

    screen.shoot = fake_capture
    desktop.ask_about_screen("screen", listen=False)  # what the screen hotkey does
    qtbot.waitUntil(lambda: desktop.attachment is not None, timeout=WAIT_MS)
    assert tooltips == ["Voice Assistant: capturing the screen"]  # the indicator was up during the capture
    qtbot.waitUntil(lambda: "capturing" not in desktop.tray.icon.toolTip(), timeout=WAIT_MS)  # and went after
    launcher = desktop.launcher
    assert launcher.isVisible() and launcher.chip.isVisible()
    assert launcher.chip_text.text() == "Screen attached: screen, 1920×1080"
    assert launcher.chip_thumb.pixmap().width() == 96
    assert not desktop.window.chip.isHidden()  # the main window's input area shows it too

    launcher.chip_drop.click()
    assert desktop.attachment is None and not launcher.chip.isVisible() and desktop.window.chip.isHidden()
    assert launcher.chip_thumb.pixmap().isNull()  # nothing of the capture is kept


def test_a_capture_failure_is_shown_where_the_user_looks(qtbot, desktop, screen):
    def failing(target, **kwargs):
        raise AssistantError("screen-no-display", "there is no display to capture")

    screen.shoot = failing
    desktop.ask_about_screen("screen", listen=False)
    qtbot.waitUntil(lambda: desktop.launcher.isVisible(), timeout=WAIT_MS)
    assert "no display to capture" in desktop.launcher.question.text()
    assert desktop.window.banner_code == "screen-no-display" and "Traceback" not in desktop.window.banner_text.text()
    assert desktop.attachment is None


class SeeingLLM(ScriptedLLM):
    """A scripted model that sees images and remembers what it was sent."""

    name = "seeing-llm"
    supports_images = True

    def __init__(self) -> None:
        super().__init__(pieces=("A red square.",), delay=0.0)
        self.seen: list = []

    def stream(self, messages, *, cancel):
        self.seen.append(list(messages))
        yield from super().stream(messages, cancel=cancel)


class NoOCR:
    name, device = "no-ocr", "cpu"

    def load(self, progress=None):
        pass

    def read(self, image):
        return [TextLine("nothing", (0, 0, 1, 1))]


@pytest.fixture
def ready_desktop(desktop, qtbot):
    """The app with an assistant on scripted models, handed over the way a finished build is."""
    llm = SeeingLLM()
    assistant = Assistant(Config(), bus=desktop.bus, llm=llm, screen=ScreenAnswerer([llm], NoOCR()))
    assistant.start()
    desktop.builder.built.emit((desktop.builder.generation, assistant), None, [])
    qtbot.waitUntil(lambda: desktop.chat_ready, timeout=WAIT_MS)
    desktop.llm = llm
    return desktop


def captured_events(desktop) -> list[ScreenCaptured]:
    events: list[ScreenCaptured] = []
    desktop.bridge.event.connect(lambda e: events.append(e) if isinstance(e, ScreenCaptured) else None)
    return events


def test_a_question_asked_with_the_chip_is_about_that_capture(qtbot, ready_desktop, screen):
    desktop = ready_desktop
    shot = blocks(64, 48, source="screen")
    screen.shoot = lambda target, **kwargs: shot
    events = captured_events(desktop)
    desktop.ask_about_screen("screen", listen=False)
    qtbot.waitUntil(lambda: desktop.launcher.chip.isVisible(), timeout=WAIT_MS)
    assert desktop.assistant.attachment is shot

    desktop.launcher.input.setText("What colour is the top left?")
    qtbot.keyClick(desktop.launcher.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desktop.open_turn is None and bool(desktop.llm.seen), timeout=WAIT_MS)
    sent = desktop.llm.seen[0][-1]
    assert "What colour is the top left?" in sent.content
    assert len(sent.images) == 1 and np.array_equal(sent.images[0].pixels, shot.pixels)
    assert [(e.source, e.width, e.height) for e in events] == [("screen", 64, 48)]
    # The question took the capture: no chip, nothing left attached for the next question.
    assert desktop.attachment is None and desktop.assistant.attachment is None
    assert not desktop.launcher.chip.isVisible() and desktop.window.chip.isHidden()
    assert desktop.launcher.hint.text() == "📷 Captured screen (64×48)"
    turn = desktop.window.conversation.turn(events[0].turn_id)
    assert [chip.text() for chip in turn.capture_chips] == ["📷 Captured screen (64×48)"]
    assert turn.status_label.text() == ""  # a chip in the turn, not its status line


def test_a_spoken_screen_question_captures_through_the_app_with_its_windows_hidden(qtbot, ready_desktop,
                                                                                   screen):
    desktop = ready_desktop
    desktop.window.show()
    desktop.launcher.popup()
    visible = []

    def fake_capture(target, **kwargs):
        visible.append((desktop.window.isVisible(), desktop.launcher.isVisible()))
        return blocks(40, 30, source=target)

    screen.shoot = fake_capture
    events = captured_events(desktop)
    # What a transcript like "what's on my screen?" makes the core do: capture on its LLM thread.
    turn = desktop.assistant.ask("What's on my screen?", speak=False, screen="screen")
    qtbot.waitUntil(lambda: bool(events and desktop.llm.seen), timeout=WAIT_MS)
    assert visible == [(False, False)]
    assert desktop.window.isVisible() and desktop.launcher.isVisible()  # back after the shot
    assert events[0].turn_id == turn and events[0].source == "screen"
    assert desktop.llm.seen[-1][-1].images[0].width == 40


def test_a_failed_core_capture_is_reported_in_the_banner(qtbot, ready_desktop, screen):
    desktop = ready_desktop

    def failing(target, **kwargs):
        raise AssistantError("screen-capture-unavailable", "install xdg-desktop-portal to capture on Wayland")

    screen.shoot = failing
    desktop.assistant.ask("What's on my screen?", speak=False, screen="screen")
    qtbot.waitUntil(lambda: desktop.window.banner_code == "screen-capture-unavailable", timeout=WAIT_MS)
    assert "xdg-desktop-portal" in desktop.window.banner_text.text()


def test_a_picked_region_is_attached_and_shown(qtbot, ready_desktop, screen):
    desktop = ready_desktop
    screen.shoot = lambda target, **kwargs: blocks(source="all screens")
    desktop.launcher.popup()
    desktop.launcher.region_button.click()
    qtbot.waitUntil(lambda: desktop.picker is not None and desktop.picker.isVisible(), timeout=WAIT_MS)
    picker = desktop.picker
    qtbot.waitExposed(picker)
    assert not desktop.launcher.isVisible()  # out of the way while picking
    picker.setGeometry(QRect(0, 0, 800, 600))  # the offscreen platform's screen may differ from the capture
    drag(qtbot, picker, QPoint(500, 400), QPoint(600, 450))
    qtbot.waitUntil(lambda: desktop.attachment is not None, timeout=WAIT_MS)
    assert desktop.picker is None and desktop.launcher.isVisible()
    assert desktop.launcher.chip_text.text() == "Screen attached: region, 100×50"
    assert (desktop.assistant.attachment.pixels == 255).all()


# --- settings -----------------------------------------------------------------------------------------------


@pytest.fixture
def settings(qtbot, tmp_path, monkeypatch):
    """The settings dialog on a file in tmp_path, with a file keyring there (never the developer's)."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    from ui.settings_dialog import SettingsDialog

    previous = keyring.get_keyring()
    ring = PlaintextKeyring()
    ring.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(ring)
    monkeypatch.delenv(secrets.ENV_KEY, raising=False)
    path = tmp_path / "settings" / "config.toml"
    dialog = SettingsDialog(Config(), path=path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=WAIT_MS)
    yield dialog, path
    if shiboken6.isValid(dialog):
        qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=WAIT_MS)
    keyring.set_keyring(previous)


def test_screen_to_cloud_warns_and_is_saved(qtbot, settings):
    dialog, path = settings
    dialog.show_page("cloud")
    dialog.policy_combo.setCurrentIndex(dialog.policy_combo.findData("auto"))
    dialog.base_url_edit.setText("http://localhost:11434/v1")
    dialog.cloud_model_edit.setText("llava")
    assert not dialog.screen_to_cloud_warning.isVisible()
    dialog.screen_to_cloud.setChecked(True)
    assert dialog.screen_to_cloud_warning.isVisible()
    assert "Screen images are sent to the cloud model" in dialog.screen_to_cloud_warning.text()
    dialog.show_page("screen")
    dialog.screen_target_combo.setCurrentIndex(dialog.screen_target_combo.findData("all"))
    dialog.voice_trigger.setChecked(False)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = signal.args[0]
    assert saved.cloud.screen_to_cloud and saved.screen.target == "all" and not saved.screen.voice_trigger
    assert load_config(path, env={}) == saved
    assert "screen_to_cloud = true" in path.read_text(encoding="utf-8")


def test_a_screen_hotkey_without_a_modifier_is_refused_with_the_reason(qtbot, settings):
    dialog, path = settings
    dialog.screen_key_edit.setText("s")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "ui.screen_hotkey" in dialog.error_label.text() and "modifier" in dialog.error_label.text()
    assert not path.exists() and dialog.focusWidget() is dialog.screen_key_edit


def test_changing_the_screen_settings_rebuilds_the_assistant_and_keeps_the_attachment(qtbot, ready_desktop,
                                                                                       monkeypatch):
    desktop = ready_desktop
    image = blocks(32, 24, source="region")
    desktop.attach(image)
    rebuilt = []
    monkeypatch.setattr(desktop, "_build_assistant", lambda: rebuilt.append(True))
    desktop.apply_settings(desktop.config.replace("screen", target="window"))
    assert rebuilt == [True]  # a new assistant is on its way ...
    llm = SeeingLLM()
    assistant = Assistant(desktop.config, bus=desktop.bus, llm=llm, screen=ScreenAnswerer([llm], NoOCR()))
    desktop.builder.built.emit((desktop.builder.generation, assistant), None, [])
    qtbot.waitUntil(lambda: desktop.assistant is assistant, timeout=WAIT_MS)
    assert assistant.attachment is image  # ... and the next question is still about the attachment
