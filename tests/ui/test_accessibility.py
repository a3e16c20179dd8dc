"""Keyboard and screen-reader access: Tab alone reaches every control of the main window, the launcher and each
settings page; every control has a name a screen reader reads (Qt's accessibility interface, as Orca and NVDA get
it); the focused control is drawn differently from the same control unfocused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

from assistant.config import Config
from ui.first_run import PAGES as SETUP_PAGES
from ui.first_run import FirstRunDialog
from ui.history_panel import HistoryPanel
from ui.launcher import LauncherWindow
from ui.main_window import MainWindow
from ui.memory_panel import MemoryPanel
from ui.settings_dialog import SettingsDialog
from ui.timers_panel import TimersPanel

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractSlider, QAbstractItemView, QTabBar,
            QPlainTextEdit, QTextEdit)


def controls(root: QWidget) -> list[QWidget]:
    """The controls a user can use in ``root`` now: shown, enabled, and not a part of another control (a combo
    box's line edit, a spin box's editor)."""
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or not widget.isVisibleTo(root) or not widget.isEnabled():
            continue
        if widget.focusProxy() is not None or isinstance(widget.parent(), (QComboBox, QAbstractSpinBox)):
            continue
        if isinstance(widget.parent(), QTabBar) or isinstance(widget, QScrollBar):
            continue  # the tab bar's arrows and scroll bars: the keys of the view they belong to move them
        found.append(widget)
    return found


def tab_walk(window: QWidget, qtbot, limit: int = 400) -> list[QWidget]:
    """The widgets Tab visits from the first, once round."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.focusNextChild()
    first = QApplication.focusWidget()
    assert first is not None
    seen = [first]
    for _ in range(limit):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is first:
            return seen
        seen.append(widget)
    pytest.fail(f"Tab never came back to {first!r}: a focus trap at {seen[-5:]!r}")


def unreached(window: QWidget, qtbot) -> list[str]:
    """The controls Tab does not reach. Radio buttons of one group are one stop (the chosen one), as on every
    desktop: the arrow keys move between them (``test_arrow_keys_choose_among_the_setups_radio_buttons``)."""
    reached = set(tab_walk(window, qtbot))
    groups = {w.parent() for w in reached if isinstance(w, QRadioButton) and w.autoExclusive()}
    return [describe(w) for w in controls(window) if w not in reached
            and not (isinstance(w, QRadioButton) and w.autoExclusive() and w.parent() in groups)]


def describe(widget: QWidget) -> str:
    return f"{type(widget).__name__} {widget.objectName()!r} {accessible_name(widget)!r}"


def accessible_name(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


@pytest.fixture
def window(qtbot):
    window = MainWindow(HistoryPanel(None), timers_panel=TimersPanel(), memory_panel=MemoryPanel())
    qtbot.addWidget(window)
    window.set_chat_ready(True)
    turn = window.conversation.turn(1)
    turn.set_question("What is the capital of France?")
    turn.set_reply("The capital of France is **Paris**.\n\n```python\nprint('Paris')\n```")
    turn.set_timings({"llm_first_token": 300.0, "first_audio": 420.0})
    window.history_button.setChecked(True)
    window.memory_button.setChecked(True)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def settings(qtbot, tmp_path):
    dialog = SettingsDialog(Config(), path=tmp_path / "config.toml")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=60_000)
    return dialog


def test_tab_reaches_every_control_of_the_main_window(window, qtbot):
    assert unreached(window, qtbot) == []


def test_tab_reaches_every_control_of_the_launcher(qtbot):
    launcher = LauncherWindow()
    qtbot.addWidget(launcher)
    launcher.popup()
    qtbot.waitExposed(launcher)
    assert unreached(launcher, qtbot) == []


def test_tab_reaches_every_control_on_every_settings_page(settings, qtbot):
    missed = {}
    for index in range(settings.tabs.count()):
        settings.tabs.setCurrentIndex(index)
        if left := unreached(settings, qtbot):
            missed[settings.tabs.tabText(index)] = left
    assert missed == {}


@pytest.fixture
def setup(qtbot, tmp_path):
    dialog = FirstRunDialog(Config(), path=tmp_path / "config.toml", audio=None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    yield dialog
    dialog.hide()  # closing it is Skip, which saves


def test_tab_reaches_every_control_on_every_page_of_the_first_run_setup(setup, qtbot):
    missed = {}
    for page in SETUP_PAGES:
        setup.show_page(page)
        if left := unreached(setup, qtbot):
            missed[page] = left
    assert missed == {}


def test_arrow_keys_choose_among_the_setups_radio_buttons(setup, qtbot):
    setup.show_page("privacy")
    setup.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is setup)
    radios = [w for w in controls(setup) if isinstance(w, QRadioButton)]
    chosen = next(w for w in radios if w.isChecked())
    chosen.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(chosen, Qt.Key.Key_Down)
    other = QApplication.focusWidget()
    assert isinstance(other, QRadioButton) and other is not chosen and other in radios
    QTest.keyClick(other, Qt.Key.Key_Space)
    assert other.isChecked() and not chosen.isChecked()


def test_ctrl_tab_turns_the_settings_pages(settings, qtbot):
    settings.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is settings)
    settings.tabs.setCurrentIndex(0)
    settings.tabs.currentWidget().focusNextChild()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert settings.tabs.currentIndex() == 1


def test_every_control_has_a_name_a_screen_reader_reads(window, settings, setup, qtbot):
    launcher = LauncherWindow()
    qtbot.addWidget(launcher)
    launcher.popup()
    nameless = [describe(w) for w in controls(window) + controls(launcher) if not accessible_name(w)]
    for index in range(settings.tabs.count()):
        settings.tabs.setCurrentIndex(index)
        nameless += [f"{settings.tabs.tabText(index)}: {describe(w)}" for w in controls(settings)
                     if not accessible_name(w)]
    for page in SETUP_PAGES:
        setup.show_page(page)
        nameless += [f"setup {page}: {describe(w)}" for w in controls(setup) if not accessible_name(w)]
    assert nameless == [], "\n".join(nameless)


@pytest.mark.parametrize("kind", ["button", "line edit", "tool button", "check box", "combo box"])
def test_the_focused_control_is_drawn_with_a_visible_focus_ring(settings, window, qtbot, kind):
    pick = {
        "button": lambda: window.settings_button,
        "line edit": lambda: window.input,
        "tool button": lambda: window.mic_button,
        "check box": lambda: settings.findChild(QWidget, "start_hidden") or settings.start_hidden,
        "combo box": lambda: settings.language_combo,
    }
    widget = pick[kind]()
    top = widget.window()
    if top is settings:
        settings.show_page("interface" if kind == "combo box" else "hotkeys")
    top.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is top)
    top.setFocus()  # nothing of interest focused
    QApplication.processEvents()
    plain = widget.grab().toImage()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus)
    focused = widget.grab().toImage()
    assert focused != plain


@pytest.mark.parametrize("scale", ["1.5", "2"])
def test_the_window_lays_out_the_same_at_high_dpi_and_its_icons_are_sharp(scale, tmp_path):
    import subprocess
    import sys

    probe = tmp_path / "probe.py"
    probe.write_text(HIDPI_PROBE)
    base = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    outputs = {}
    for factor in ("1", scale):
        done = subprocess.run([sys.executable, str(probe)], env={**base, "QT_SCALE_FACTOR": factor},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs[factor] = dict(line.split("\t", 1) for line in done.stdout.splitlines() if "\t" in line)
    low, high = outputs["1"], outputs[scale]
    assert float(high["dpr"]) == float(scale)
    assert high["geometries"] == low["geometries"]  # every widget where it was, as large, in logical pixels
    width, height = map(int, high["image"].split("x"))
    logical_w, logical_h = map(int, low["image"].split("x"))
    assert (width, height) == (round(logical_w * float(scale)), round(logical_h * float(scale)))
    assert high["mic icon"] == f"{round(26 * float(scale))}"  # drawn for the screen's pixels, not blown up


HIDPI_PROBE = '''
from PySide6.QtWidgets import QApplication, QWidget
from ui import theme
from ui.main_window import MainWindow
app = QApplication([])
theme.apply(app, "light")
window = MainWindow()
window.resize(760, 640)
window.show()
app.processEvents()
image = window.grab()
print("dpr\\t" + str(image.devicePixelRatio()))
print("image\\t%dx%d" % (image.width(), image.height()))
print("geometries\\t" + ";".join(f"{type(w).__name__}:{w.geometry().getRect()}" for w in window.findChildren(QWidget)
                                 if w.isVisible()))
icon = window.mic_button.icon().pixmap(window.mic_button.iconSize(), image.devicePixelRatio())
print("mic icon\\t" + str(icon.width()))
'''
