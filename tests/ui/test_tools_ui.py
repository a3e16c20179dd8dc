"""Tools in the window: a chip per tool call, the Yes/No of a call waiting for the user, and Qt's clipboard as the
desktop tools' clipboard (reached from the LLM stage's thread, as in the app)."""

from __future__ import annotations

import threading

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from assistant.contracts.events import ToolCalled, ToolConfirmationRequested, ToolFinished
from ui.desktop_actions import QtDesktopActions
from ui.main_window import MainWindow


class NoApps:
    def find_app(self, name):
        return None

    def launch_app(self, name):
        raise AssertionError("not called")


def test_tool_calls_show_as_chips_and_a_waiting_call_gets_yes_and_no(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.accept_question(7, "what's 15% of 80")
    window.apply_event(ToolCalled(turn_id=7, call_id=1, tool="maths.calculate", arguments={"expression": "15/100*80"},
                                  source="intent"))
    turn = window.conversation.turn(7)
    chip = turn.tool_chips[1]
    assert chip.text() == "⚙ maths.calculate · 15/100*80" and chip.accessibleName() == "Tool call: maths.calculate"
    window.apply_event(ToolFinished(turn_id=7, call_id=1, tool="maths.calculate", ok=True, say="It is 12."))
    assert chip.text().startswith("✓ maths.calculate") and chip.toolTip() == "It is 12."
    window.accept_question(8, "open my downloads folder")
    window.apply_event(ToolConfirmationRequested(turn_id=8, tool="desktop.open_folder",
                                                 arguments={"folder": "downloads"},
                                                 prompt="Open your Downloads folder?"))
    box = window.conversation.turn(8).confirmation
    assert box is not None
    answers = []
    window.tool_answered.connect(answers.append)
    buttons = {b.text(): b for b in box.findChildren(QPushButton)}
    assert set(buttons) == {"Yes", "No"}
    buttons["Yes"].click()
    assert answers == [True] and window.conversation.turn(8).confirmation is None


def test_the_clipboard_is_read_and_set_through_qt_from_another_thread(qtbot):
    actions = QtDesktopActions(NoApps())
    QGuiApplication.clipboard().setText("copied words")
    seen = {}

    def tool_thread():
        seen["read"] = actions.clipboard_text()
        actions.set_clipboard_text("from the assistant")

    worker = threading.Thread(target=tool_thread)
    worker.start()
    qtbot.waitUntil(lambda: not worker.is_alive(), timeout=5000)  # the GUI thread serves the calls meanwhile
    assert seen["read"] == "copied words"
    assert QGuiApplication.clipboard().text() == "from the assistant"
