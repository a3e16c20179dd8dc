"""The desktop app against the real headless core (real models), on Qt's offscreen platform."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from assistant.config import Config
from assistant.contracts.events import ErrorOccurred, ReplyDelta, ReplyFinished, TurnEnded
from assistant.history import HistoryStore
from ui.app import DesktopApp
from ui.single_instance import InstanceServer

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def desktop(tmp_path_factory, qapp):
    store = HistoryStore(tmp_path_factory.mktemp("history") / "history.sqlite3")
    app = DesktopApp(Config().replace("ui", first_run_done=True), history=store)  # a returning user: no setup
    app.start(hotkeys=False)
    yield app
    app.shutdown()
    app.window.quitting = True
    app.window.close()


def test_window_appears_before_the_models_are_ready(desktop):
    assert desktop.window.isVisible()
    assert desktop.window.state.state in ("loading", "idle")


def test_typed_question_streams_its_answer_into_the_view(desktop, qtbot):
    qtbot.waitUntil(lambda: desktop.chat_ready, timeout=180_000)
    seen: list[str] = []  # the reply bubble's text each time a delta arrived, on the GUI thread
    finished: list[ReplyFinished] = []
    ended: list[TurnEnded] = []

    def on_event(event):
        if isinstance(event, ReplyDelta) and desktop.window.conversation.has_turn(event.turn_id):
            seen.append(desktop.window.conversation.turn(event.turn_id).reply)
        elif isinstance(event, ReplyFinished):
            finished.append(event)
        elif isinstance(event, TurnEnded):
            ended.append(event)

    desktop.bridge.event.connect(on_event)
    desktop.window.input.setText("Name three primary colors as a list.")
    qtbot.keyClick(desktop.window.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(ended), timeout=120_000)
    desktop.bridge.event.disconnect(on_event)

    turn = desktop.window.conversation.turns[ended[0].turn_id]
    assert turn.question == "Name three primary colors as a list."
    assert desktop.window.input.text() == ""  # accepted, so the box was cleared
    assert ended[0].outcome == "completed"
    assert finished and turn.reply == finished[0].text and turn.reply.strip()
    # Streamed: the bubble grew piece by piece before the reply was complete.
    assert len(seen) >= 3 and seen[0] != finished[0].text
    assert all(finished[0].text.startswith(s) for s in seen)
    assert turn.waterfall is not None and turn.waterfall.steps[0][0] == "first token"
    assert desktop.state == "idle"

    # Committed to the history when the turn ended, and listed in the panel.
    stored = desktop.history.turns(desktop.recorder.current_conversation)
    assert [t.question for t in stored] == ["Name three primary colors as a list."]
    assert stored[0].answer == finished[0].text
    assert desktop.history_panel.list.count() == 1


def test_past_conversation_opens_and_becomes_the_context(desktop, qtbot):
    conversation_id = desktop.recorder.current_conversation
    desktop.window.new_button.click()
    assert not desktop.window.conversation.turns
    assert desktop.assistant.conversation.history == []

    item = desktop.history_panel.list.item(0)
    desktop.history_panel.list.itemClicked.emit(item)
    turns = list(desktop.window.conversation.turns.values())
    assert [t.question for t in turns] == ["Name three primary colors as a list."]
    assert desktop.recorder.current_conversation == conversation_id
    history = desktop.assistant.conversation.history
    assert [m.content for m in history][:1] == ["Name three primary colors as a list."]


def test_event_published_on_a_worker_thread_reaches_the_window(desktop, qtbot):
    gui_thread = threading.get_ident()
    publisher: list[int] = []

    def publish():
        publisher.append(threading.get_ident())
        desktop.bus.publish(ErrorOccurred(code="test-code", message="published from a worker thread"))

    desktop.window.clear_error()
    threading.Thread(target=publish).start()
    qtbot.waitUntil(lambda: desktop.window.banner.isVisible(), timeout=5000)
    assert desktop.window.banner_text.text() == "published from a worker thread"
    assert desktop.window.banner_code == "test-code"
    assert publisher and publisher[0] != gui_thread
    desktop.window.clear_error()


def test_stop_button_interrupts_the_answer(desktop, qtbot):
    qtbot.waitUntil(lambda: desktop.chat_ready, timeout=180_000)
    ended: list[TurnEnded] = []
    desktop.bridge.event.connect(lambda e: ended.append(e) if isinstance(e, TurnEnded) else None)
    turn_id = desktop.ask("Write a long story about a lighthouse keeper and the sea.")
    assert turn_id is not None
    qtbot.waitUntil(lambda: desktop.window.conversation.turn(turn_id).reply != "", timeout=60_000)
    assert desktop.window.stop_button.isEnabled()
    qtbot.mouseClick(desktop.window.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(e.turn_id == turn_id for e in ended), timeout=10_000)
    outcome = next(e.outcome for e in ended if e.turn_id == turn_id)
    assert outcome == "interrupted"
    assert desktop.window.conversation.turn(turn_id).status_label.text() == "Stopped"
    assert desktop.history.turns(desktop.recorder.current_conversation)[-1].outcome == "interrupted"


def test_launcher_toggles_and_escape_hides_it(desktop, qtbot):
    desktop.config = desktop.config.replace("ui", launcher_listens=False)
    desktop.toggle_launcher()
    assert desktop.launcher.isVisible()
    screen = desktop.launcher.screen().availableGeometry()
    assert abs(desktop.launcher.geometry().center().x() - screen.center().x()) <= 2
    qtbot.waitUntil(lambda: QApplication.activeWindow() is desktop.launcher, timeout=5000)
    qtbot.keyClick(desktop.launcher.input, Qt.Key.Key_Escape)
    assert not desktop.launcher.isVisible()
    desktop.toggle_launcher()
    desktop.toggle_launcher()
    assert not desktop.launcher.isVisible()


def test_microphone_button_click_toggles_and_hold_talks(desktop, qtbot):
    button = desktop.window.mic_button
    with qtbot.waitSignal(button.toggled_listening, timeout=2000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(button.hold_started, timeout=2000):
        qtbot.mousePress(button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(button.hold_released, timeout=2000):
        qtbot.mouseRelease(button, Qt.MouseButton.LeftButton)


def test_muted_microphone_refuses_to_listen_with_a_reason(desktop):
    desktop.set_muted(True)
    try:
        assert desktop.start_listening() is False
        assert "muted" in desktop.window.banner_text.text()
        assert desktop.tray.icon.toolTip().endswith("muted")
    finally:
        desktop.set_muted(False)
        desktop.window.clear_error()


def test_second_start_and_toggle_reach_the_running_instance(qtbot, tmp_path):
    env = {**os.environ, "ASSISTANT_CONFIG_DIR": str(tmp_path)}
    os.environ["ASSISTANT_CONFIG_DIR"], saved = str(tmp_path), os.environ["ASSISTANT_CONFIG_DIR"]
    try:
        server = InstanceServer()
        assert server.listen()
        assert not InstanceServer().listen()  # a second app would not become the instance
        received: list[str] = []
        server.command.connect(received.append)
        # `assistant toggle` from another process, as a Wayland shortcut would run it.
        proc = subprocess.Popen([sys.executable, "-m", "ui.entry", "toggle"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        qtbot.waitUntil(lambda: proc.poll() is not None and received == ["toggle"], timeout=30_000)
        assert proc.returncode == 0
        proc = subprocess.Popen([sys.executable, "-m", "ui.entry", "toggle", "settings"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        qtbot.waitUntil(lambda: proc.poll() is not None and received == ["toggle", "settings"], timeout=30_000)
        assert proc.returncode == 0
        server.close()
        done = subprocess.run([sys.executable, "-m", "ui.entry", "toggle"], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 1 and "not running" in done.stderr
    finally:
        os.environ["ASSISTANT_CONFIG_DIR"] = saved


def test_history_panel_searches_exports_and_deletes(desktop, qtbot, tmp_path):
    panel = desktop.history_panel
    conversation_id = desktop.recorder.current_conversation
    panel.search.setText("primary colors")
    assert panel.list.count() == 1
    panel.search.setText("no such words anywhere")
    assert panel.list.count() == 0 and panel.status.text() == "No match."
    panel.search.clear()

    written = panel.export_conversation(conversation_id, tmp_path / "chat.md")
    text = written.read_text()
    assert "Name three primary colors as a list." in text and "**Assistant:**" in text

    panel.delete_conversation(conversation_id)
    assert desktop.history.conversation(conversation_id) is None
    assert panel.list.count() == 0
    assert not desktop.window.conversation.turns  # the open conversation was the one deleted


def test_turning_history_off_in_the_settings_keeps_nothing(desktop, qtbot):
    qtbot.waitUntil(lambda: desktop.chat_ready, timeout=180_000)
    before = len(desktop.history.conversations())
    assistant = desktop.assistant
    desktop.apply_settings(desktop.config.replace("privacy", save_history=False))
    assert desktop.assistant is assistant  # a privacy switch does not reload the models
    turn_id = desktop.ask("Say hello.")
    assert desktop.assistant.wait_turn(turn_id, 120) is not None
    qtbot.waitUntil(lambda: desktop.open_turn is None, timeout=10_000)
    assert len(desktop.history.conversations()) == before
    desktop.apply_settings(desktop.config.replace("privacy", save_history=True))


def test_core_errors_reach_the_window_without_command_line_advice(desktop, qtbot):
    message = ("there is no display to capture (DISPLAY and WAYLAND_DISPLAY are unset): ask about an image file "
               "instead (assistant ask --image FILE).")
    desktop.bus.publish(ErrorOccurred(code="screen-no-display", message=message))
    qtbot.waitUntil(lambda: desktop.window.banner_code == "screen-no-display", timeout=10_000)
    shown = desktop.window.banner_text.text()
    assert shown == "there is no display to capture (DISPLAY and WAYLAND_DISPLAY are unset)."
    assert "assistant ask" not in shown
    desktop.window.clear_error()


def test_the_memory_page_shows_the_assistants_memory_on_the_apps_history(desktop, qtbot):
    qtbot.waitUntil(lambda: desktop.assistant is not None, timeout=180_000)
    memory, panel = desktop.assistant.memory, desktop.memory_panel
    assert panel.memory is memory and memory.store.history is desktop.history  # one database, the app's
    memory.remember("My car is on level B3", origin="typed")  # as a voice request would: told on the bus
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=10_000)
    assert panel.status.text() == "1 thing remembered."

    assistant = desktop.assistant
    desktop.apply_settings(desktop.config.replace("memory", enabled=False, facts_in_prompt=1))
    assert desktop.assistant is assistant  # the privacy switch does not reload the models
    assert not memory.enabled and memory.facts_in_prompt == 1
    assert "Memory is off" in panel.status.text()
    desktop.apply_settings(desktop.config.replace("memory", enabled=True, facts_in_prompt=3))
    assert memory.enabled and memory.facts_in_prompt == 3 and "Memory is off" not in panel.status.text()


def test_forgetting_everything_empties_the_history_and_the_conversation_on_screen(desktop, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    qtbot.waitUntil(lambda: desktop.assistant is not None, timeout=180_000)
    conversation_id = desktop.history.new_conversation()
    desktop.history.add_turn(conversation_id, question="What is the capital of France?", answer="Paris.",
                             outcome="completed", source="text")
    desktop.history_panel.refresh()
    desktop.open_conversation(conversation_id)
    assert desktop.window.conversation.turns and desktop.assistant.conversation.history
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(desktop.memory_panel.forget_all_button, Qt.MouseButton.LeftButton)
    assert desktop.history.conversations() == [] and desktop.assistant.memory.facts() == []
    assert desktop.history_panel.list.count() == 0 and desktop.memory_panel.list.count() == 0
    assert not desktop.window.conversation.turns and desktop.assistant.conversation.history == []
    assert desktop.recorder.current_conversation is None  # the next turn starts a new conversation


def test_another_embedding_model_rebuilds_the_assistant(desktop, qtbot, tmp_path):
    qtbot.waitUntil(lambda: desktop.chat_ready, timeout=180_000)
    previous = desktop.assistant
    desktop.apply_settings(desktop.config.replace("memory", embedding_model=str(tmp_path / "my-embeddings")))
    assert desktop.assistant is None and desktop.memory_panel.status.text() == "Memory is loading…"
    qtbot.waitUntil(lambda: desktop.assistant is not None, timeout=180_000)
    assert desktop.assistant is not previous
    assert desktop.assistant.memory.embedder.setting == str(tmp_path / "my-embeddings")
    assert desktop.memory_panel.memory is desktop.assistant.memory
    assert desktop.assistant.memory.store.history is desktop.history
