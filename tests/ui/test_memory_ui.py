"""The Memory page on a real memory (a real SQLite file and the bundled embedding model), and the Memory tab of the
settings dialog."""

from __future__ import annotations

import json
import os
import stat

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from assistant import bootstrap
from assistant.bus import EventBus
from assistant.config import Config
from assistant.contracts.events import MemoryChanged
from assistant.history import HistoryStore
from tests.ui.conftest import shown_as_error
from ui.main_window import MainWindow
from ui.memory_panel import FORGET_EVERYTHING, MemoryPanel

WAIT_MS = 20_000
FACTS = ("My car is on level B3", "My sister's name is Anna", "I am allergic to peanuts",
         "My favourite colour is green", "The wifi router is in the hallway cupboard")


@pytest.fixture
def history(tmp_path):
    store = HistoryStore(tmp_path / "history.sqlite3")
    yield store
    store.close()


@pytest.fixture
def memory(history):
    """A real memory on the history's database, its thread running as in the app."""
    made = bootstrap.create_memory(Config(), EventBus(), history)
    made.start()
    yield made
    made.stop()


@pytest.fixture
def panel(qtbot, memory):
    widget = MemoryPanel()
    qtbot.addWidget(widget)
    widget.set_memory(memory)
    return widget


def texts(panel: MemoryPanel) -> list[str]:
    """The facts the list shows, in its order (each item's first line; the second is the date)."""
    return [panel.list.item(i).text().split("\n")[0] for i in range(panel.list.count())]


def select(panel: MemoryPanel, *wanted: str) -> None:
    panel.list.clearSelection()
    for i in range(panel.list.count()):
        item = panel.list.item(i)
        if item.text().split("\n")[0] in wanted:
            item.setSelected(True)
            panel.list.setCurrentItem(item)


def answer_input(monkeypatch, text: str) -> list[tuple]:
    """QInputDialog.getText answers ``text`` (OK); returns the calls it got."""
    calls: list[tuple] = []

    def get_text(*args, **kwargs):
        calls.append(args)
        return text, True

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    return calls


def test_while_there_is_no_assistant_the_page_says_memory_is_loading(qtbot, memory):
    memory.remember("My car is on level B3", origin="typed")
    panel = MemoryPanel()
    qtbot.addWidget(panel)
    assert panel.status.text() == "Memory is loading…"
    buttons = (panel.add_button, panel.edit_button, panel.delete_button, panel.export_button, panel.forget_all_button)
    assert not any(b.isEnabled() for b in buttons) and not panel.search.isEnabled()
    panel.set_memory(memory)
    assert texts(panel) == ["My car is on level B3"] and panel.add_button.isEnabled()
    panel.set_memory(None)  # the assistant is rebuilt
    assert panel.list.count() == 0 and not panel.add_button.isEnabled()


def test_the_page_lists_the_facts_newest_first_and_says_how_many(qtbot, panel, memory):
    for text in FACTS[:3]:
        memory.remember(text, origin="conversation", said=f"remember that {text.lower()}")
    panel.refresh()
    assert texts(panel) == list(reversed(FACTS[:3]))
    assert panel.status.text() == "3 things remembered."
    first = panel.list.item(0)
    fact = memory.facts()[0]
    assert int(first.data(Qt.ItemDataRole.UserRole)) == fact.id
    assert fact.created_at.astimezone().strftime("%d %b %Y") in first.text()  # the date, on its second line
    assert "told in a conversation" in first.toolTip() and "remember that i am allergic to peanuts" in first.toolTip()
    controls = (panel.search, panel.list, panel.status, panel.add_button, panel.edit_button, panel.delete_button,
                panel.export_button, panel.forget_all_button)
    assert all(c.accessibleName() for c in controls)
    assert len({c.accessibleName() for c in controls}) == len(controls)


def test_add_keeps_what_is_typed(qtbot, panel, memory, monkeypatch):
    calls = answer_input(monkeypatch, "my sister's name is Anna")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert calls and calls[0][1] == "Add to memory"
    assert [(f.text, f.origin) for f in memory.facts()] == [("My sister's name is Anna", "typed")]
    assert texts(panel) == ["My sister's name is Anna"]
    assert panel.status.text() == "Remembered: My sister's name is Anna"
    assert not shown_as_error(panel.status)


def test_a_secret_is_refused_with_the_reason_and_nothing_is_kept(qtbot, panel, memory, monkeypatch):
    answer_input(monkeypatch, "my password is hunter2")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert memory.facts() == [] and panel.list.count() == 0
    assert "password manager" in panel.status.text() and panel.status.text()[0].isupper()
    assert shown_as_error(panel.status)  # the error style


def test_edit_changes_the_words_and_the_new_words_are_found_by_meaning(qtbot, panel, memory, monkeypatch):
    fact, _ = memory.remember("My car is on level B3", origin="typed")
    memory.remember("I am allergic to peanuts", origin="typed")
    assert memory.index_now()
    panel.refresh()
    select(panel, "My car is on level B3")
    assert panel.edit_button.isEnabled()
    calls = answer_input(monkeypatch, "My car is on level C2, by the lifts")
    qtbot.mouseClick(panel.edit_button, Qt.MouseButton.LeftButton)
    assert calls[0][-1] == "My car is on level B3"  # the dialog starts with the fact's words
    assert memory.store.get(fact.id).text == "My car is on level C2, by the lifts"
    assert "My car is on level C2, by the lifts" in texts(panel)
    assert memory.index_now() and memory.store.vector_count("facts") == 2  # its vector was made again
    assert memory.find("where did I leave the car", k=1)[0].item.id == fact.id

    answer_input(monkeypatch, "the code is 4111 1111 1111 1111")  # a card number: refused, the fact unchanged
    select(panel, "My car is on level C2, by the lifts")
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)  # Enter edits, too
    assert memory.store.get(fact.id).text == "My car is on level C2, by the lifts"
    assert "card number" in panel.status.text() and shown_as_error(panel.status)


def test_delete_forgets_the_selected_facts_and_their_vectors(qtbot, panel, memory):
    for text in FACTS[:3]:
        memory.remember(text, origin="typed")
    assert memory.index_now() and memory.store.vector_count("facts") == 3
    panel.refresh()
    select(panel, FACTS[0])
    qtbot.keyClick(panel.list, Qt.Key.Key_Delete)
    assert [f.text for f in memory.facts()] == [FACTS[2], FACTS[1]]
    assert texts(panel) == [FACTS[2], FACTS[1]] and panel.status.text() == "Forgot 1 fact."
    select(panel, FACTS[1], FACTS[2])  # several at once
    assert not panel.edit_button.isEnabled() and panel.delete_button.isEnabled()
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert memory.facts() == [] and panel.list.count() == 0
    assert memory.index_now() and memory.store.vector_count("facts") == 0


def test_search_finds_a_fact_by_its_meaning(qtbot, panel, memory):
    for text in FACTS:
        memory.remember(text, origin="typed")
    assert memory.index_now() and not memory.embedding_problem
    panel.search.setText("where did I park")
    assert texts(panel)[0] == "My car is on level B3"
    assert panel.status.text().endswith("found, the best first.")
    panel.search.setText("peanuts")
    assert texts(panel)[0] == "I am allergic to peanuts"
    panel.search.clear()
    assert sorted(texts(panel)) == sorted(FACTS)


def test_export_writes_every_fact_to_a_file_only_the_user_may_read(qtbot, panel, memory, monkeypatch, tmp_path):
    for text in FACTS[:2]:
        memory.remember(text, origin="typed")
    target = tmp_path / "exported" / "memory.json"
    target.parent.mkdir()
    asked: list[tuple] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: asked.append(args) or (str(target), "JSON (*.json)"))
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    assert asked[0][2].endswith("memory.json")  # the name offered
    assert sorted(f["text"] for f in json.loads(target.read_text(encoding="utf-8"))["facts"]) == sorted(FACTS[:2])
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert panel.status.text() == f"Exported to {target}"


def test_forget_everything_asks_then_deletes_every_fact_and_conversation(qtbot, panel, memory, history, monkeypatch):
    for text in FACTS[:2]:
        memory.remember(text, origin="typed")
    conversation = history.new_conversation()
    history.add_turn(conversation, question="What is the capital of France?", answer="Paris.", outcome="completed",
                     source="text", backend="local", error="", timings_ms={}, turn_id=1, tools=[])
    questions: list[tuple] = []

    def ask(answer):
        def question(*args, **kwargs):
            questions.append(args)
            return answer
        return question

    monkeypatch.setattr(QMessageBox, "question", ask(QMessageBox.StandardButton.No))
    qtbot.mouseClick(panel.forget_all_button, Qt.MouseButton.LeftButton)
    assert questions[0][2] == FORGET_EVERYTHING
    assert len(memory.facts()) == 2 and len(history.conversations()) == 1  # No keeps everything

    monkeypatch.setattr(QMessageBox, "question", ask(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(panel.forgot_everything, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(panel.forget_all_button, Qt.MouseButton.LeftButton)
    assert signal.args[0] == {"facts": 2, "conversations": 1}
    assert memory.facts() == [] and history.conversations() == []
    assert panel.list.count() == 0 and panel.status.text() == "Forgot 2 facts and 1 past conversation."


def test_with_memory_off_the_page_says_so_and_nothing_new_is_kept(qtbot, panel, memory, monkeypatch):
    memory.remember("My car is on level B3", origin="typed")
    memory.set_enabled(False)
    panel.refresh()
    assert "Memory is off: nothing new is kept (Settings → Memory)" in panel.status.text()
    assert texts(panel) == ["My car is on level B3"]  # what is kept is still shown, and may be deleted
    answer_input(monkeypatch, "my sister's name is Anna")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert [f.text for f in memory.facts()] == ["My car is on level B3"]
    assert panel.status.text().startswith("Memory is off, so I keep nothing")
    assert shown_as_error(panel.status)


def test_a_fact_told_elsewhere_appears_when_its_event_arrives(qtbot, panel, memory):
    events: list = []
    memory.bus.subscribe(events.append)
    memory.remember("My dog is called Rex", said="remember that my dog is called Rex", origin="conversation")
    assert panel.list.count() == 0  # not read again until the event comes (through the app's bridge)
    changed = [e for e in events if isinstance(e, MemoryChanged)]
    assert changed and changed[0].what == "remembered"
    panel.on_event(changed[0])
    assert texts(panel) == ["My dog is called Rex"] and panel.status.text() == "1 thing remembered."


def test_the_window_shows_the_page_beside_the_conversation(qtbot, panel):
    window = MainWindow(memory_panel=panel)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.splitter.indexOf(panel) > window.splitter.indexOf(window.conversation)
    assert window.memory_button.isVisible() and panel.isHidden()
    qtbot.mouseClick(window.memory_button, Qt.MouseButton.LeftButton)
    assert panel.isVisible() and window.memory_button.isChecked()
    qtbot.mouseClick(window.memory_button, Qt.MouseButton.LeftButton)
    assert panel.isHidden()
    bare = MainWindow()
    qtbot.addWidget(bare)
    assert bare.memory_button.isHidden()  # no page, no button
