"""The memory's parts without a model: what counts as a secret, which requests the matcher takes, how a fact is said
back, the database's facts, words index and vectors (vectors made by hand here; the real embeddings are tested in
tests/integration/test_memory.py)."""

import sqlite3

import numpy as np
import pytest

from assistant.bus import EventBus
from assistant.contracts.events import ErrorOccurred
from assistant.history import HistoryStore
from assistant.memory.sensitive import secret_in
from assistant.memory.service import Memory
from assistant.memory.store import MemoryFailure, MemoryStore, fts_query
from assistant.tools.intents import IntentMatcher
from assistant.tools.memory import MemoryTools, second_person
from testkit.helpers import EventLog


@pytest.mark.parametrize("text", [
    "my password is hunter two", "the PIN for my bank card is 4321", "my card number is 4111 1111 1111 1111",
    "my card number is four one one one one one one one one one one one one one one one",
    "my api key is sk-proj-abcdefghijklmnop1234", "the door code is 4455", "my social security number is 123-45-6789",
    "the token is ghp_abcdefghijklmnopqrstuvwxyz0123456789", "the combination to the safe is 12 34 56",
])
def test_secrets_are_recognised(text):
    assert secret_in(text)


@pytest.mark.parametrize("text", [
    "the wifi password is on the fridge", "my sister's birthday is March 3rd", "my car is on level B3",
    "I take my pill at 8 am", "my zip code is 90210", "my phone number is 555 123 4567", "I prefer metric units",
])
def test_ordinary_facts_are_not_secrets(text):
    assert secret_in(text) == ""


@pytest.mark.parametrize(("said", "tool", "arguments"), [
    ("Remember that my car is on level B3.", "memory.remember", {"fact": "my car is on level B3"}),
    ("Please remember my sister's birthday is March 3rd", "memory.remember",
     {"fact": "my sister's birthday is March 3rd"}),
    ("I prefer metric units", "memory.remember", {"fact": "I prefer metric units"}),
    ("Call me Sam", "memory.remember", {"fact": "I'd like to be called Sam"}),
    ("What do you know about me?", "memory.told", {}),
    ("forget where my car is", "memory.forget", {"about": "where my car is"}),
    ("Forget everything.", "memory.wipe", {}),
    ("erase your memory", "memory.wipe", {}),
    ("What did we say about the printer last week?", "memory.recall", {"topic": "the printer", "when": "last week"}),
    ("Remind me what we said about the trip to Rome", "memory.recall", {"topic": "the trip to rome"}),
])
def test_the_matcher_takes_plain_memory_requests(said, tool, arguments):
    call = IntentMatcher(MemoryTools(memory=None).matchers()).match(said)  # type: ignore[arg-type]
    assert call is not None and call.tool == tool
    assert {k: v for k, v in call.arguments.items() if k != "said"} == arguments


@pytest.mark.parametrize("said", ["remember to buy milk", "forget it", "where did I park?", "my computer is slow",
                                  "what is the capital of France?", "remind me to call mom at 5"])
def test_the_matcher_leaves_other_requests_alone(said):
    assert IntentMatcher(MemoryTools(memory=None).matchers()).match(said) is None  # type: ignore[arg-type]


def test_facts_are_said_back_in_the_second_person():
    assert second_person("I prefer metric units") == "you prefer metric units"
    assert second_person("My sister's birthday is March 3rd") == "your sister's birthday is March 3rd"
    assert second_person("I'm allergic to penicillin") == "you're allergic to penicillin"
    assert second_person("my pill is at 8 am") == "your pill is at 8 am"


def test_topic_words_make_the_full_text_query():
    assert fts_query("What did we say about the printer's toner?") == '"printer" OR "toner"'
    assert fts_query("what is it?") == ""


@pytest.fixture
def store(tmp_path):
    history = HistoryStore(tmp_path / "history.sqlite3")
    yield MemoryStore(history)
    history.close()


def _unit(*values):
    v = np.array(values, np.float32)
    return v / np.linalg.norm(v)


def test_facts_are_kept_once_refused_when_secret_and_found_by_words(store):
    fact, new = store.add("remember? no: my car is on level B3.", said="remember that my car is on level B3")
    assert new and fact.text == "Remember? no: my car is on level B3"
    again, new = store.add("Remember? No: my car is on level B3")
    assert not new and again.id == fact.id and store.count() == 1
    with pytest.raises(MemoryFailure) as refused:
        store.add("my password is hunter2")
    assert refused.value.code == "fact-secret" and store.count() == 1
    with pytest.raises(MemoryFailure) as empty:
        store.add("  . ")
    assert empty.value.code == "fact-empty"
    found = store.find_facts("which level is the car on")
    assert [s.item.id for s in found] == [fact.id] and found[0].words_matched and found[0].similarity is None


def test_vectors_rank_by_meaning_and_go_with_their_fact(store):
    assert store.prepare_vectors("test-model", 3)
    car, _ = store.add("my car is on level B3")
    tea, _ = store.add("I like green tea")
    store.put_vectors("facts", [car.id, tea.id], np.stack([_unit(1, 0, 0), _unit(0, 1, 0)]))
    assert store.without_vectors("facts") == []
    found = store.find_facts("where did I park", _unit(0.9, 0.1, 0), k=2)
    assert [s.item.id for s in found] == [car.id, tea.id] and found[0].similarity > 0.9
    store.delete([car.id])
    assert store.vector_count("facts") == 1
    assert [s.item.id for s in store.find_facts("car", _unit(1, 0, 0), k=3)] == [tea.id]
    # Another model's vectors are dropped and made again
    assert store.prepare_vectors("other-model", 4) and store.vector_count("facts") == 0
    assert [row_id for row_id, _ in store.without_vectors("facts")] == [tea.id]


def test_deleting_a_conversation_deletes_its_vectors_and_words(store):
    history = store.history
    store.prepare_vectors("test-model", 3)
    kept, gone = history.new_conversation(), history.new_conversation()
    history.add_turn(kept, question="how do I descale the kettle", answer="Vinegar and water.", outcome="completed",
                     source="voice")
    history.add_turn(gone, question="why is my printer offline", answer="Check its cable.", outcome="completed",
                     source="voice")
    rows = store.without_vectors("turns")
    store.put_vectors("turns", [r for r, _ in rows], np.stack([_unit(1, 0, 0)] * len(rows)))
    assert store.vector_count("turns") == 2 and store.recall("printer")
    assert history.delete(gone)
    assert store.vector_count("turns") == 1 and store.recall("printer") == []
    assert [s.item.question for s in store.recall("kettle")] == ["how do I descale the kettle"]


def test_screen_turns_are_never_recalled(store):
    history = store.history
    conversation = history.new_conversation()
    history.add_turn(conversation, question="what does this error say", answer="Your invoice 7731 is overdue.",
                     outcome="completed", source="text", timings_ms={"capture": 12.0, "llm_first_token": 300.0})
    assert store.recall("invoice overdue") == []


def test_a_history_from_before_memory_is_indexed_for_recall(tmp_path):
    from assistant.history import _MIGRATIONS

    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    for version in (0, 1):
        for statement in _MIGRATIONS[version]:
            conn.execute(statement)
    conn.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES ('old', 1, 1)")
    conn.execute("INSERT INTO turns (conversation_id, turn_id, created_at, source, question, answer, outcome) "
                 "VALUES (1, 1, 1, 'text', 'how tall is the Eiffel tower', 'About 330 metres.', 'completed')")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    history = HistoryStore(path)
    try:
        assert [s.item.answer for s in MemoryStore(history).recall("eiffel")] == ["About 330 metres."]
    finally:
        history.close()


def test_a_memory_without_a_database_says_why_once_and_keeps_nothing():
    bus, events = EventBus(), EventLog()
    bus.subscribe(events)
    memory = Memory(bus, None, None, problem="the history database at /x cannot be used (file is not a database).")
    memory.start()
    try:
        assert memory.notes_for("where did I park?") == ""
        with pytest.raises(MemoryFailure) as failed:
            memory.remember("my car is on level B3")
        assert failed.value.code == "memory-unavailable"
        assert events.until(lambda items: any(isinstance(e, ErrorOccurred) for e in items), 5)
    finally:
        memory.stop()
    assert [e.code for e in events.of(ErrorOccurred)] == ["memory-unavailable"]


def test_memory_off_refuses_to_keep_and_adds_no_notes(store):
    store.add("my car is on level B3")
    memory = Memory(EventBus(), store, None, enabled=False)
    with pytest.raises(MemoryFailure) as refused:
        memory.remember("I prefer tea")
    assert refused.value.code == "memory-off" and "Settings" in refused.value.message
    assert memory.notes_for("which level is my car on") == ""
    assert [f.text for f in memory.facts()] == ["My car is on level B3"]  # what is there can still be seen
