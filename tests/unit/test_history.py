"""The conversation history store and recorder, on real SQLite files."""

import sqlite3
import threading

import pytest

from assistant.bus import EventBus
from assistant.contracts.errors import AssistantError
from assistant.contracts.events import (
    ErrorOccurred,
    ReplyDelta,
    ReplyFinished,
    ReplyStarted,
    SentenceReady,
    SpeechEnded,
    SpeechStarted,
    TranscriptFinal,
    TurnEnded,
    TurnInterrupted,
)
from assistant.contracts.types import ChatMessage, Role
from assistant.history import (
    SCHEMA_VERSION,
    HistoryError,
    HistoryRecorder,
    HistoryStore,
    default_history_path,
    history_messages,
    restore_conversation,
)
from assistant.pipeline.conversation import CUT_OFF, Conversation


@pytest.fixture
def store(tmp_path):
    s = HistoryStore(tmp_path / "history.sqlite3")
    yield s
    s.close()


def add(store, conversation_id, question, answer="an answer", outcome="completed", source="text", **kw):
    return store.add_turn(conversation_id, question=question, answer=answer, outcome=outcome, source=source, **kw)


# --- store -----------------------------------------------------------------------------------------


def test_default_path_is_in_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    assert default_history_path() == tmp_path / "data" / "history.sqlite3"


def test_opening_creates_the_folder_and_sets_wal_and_schema_version(tmp_path):
    path = tmp_path / "nested" / "dir" / "history.sqlite3"
    HistoryStore(path).close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


def test_store_pragmas_on_its_connection(store):
    conn = store._conn
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_turns_round_trip_in_order(store):
    cid = store.new_conversation()
    timings = {"stt": 120.5, "llm_first_token": 300.0}
    first = add(store, cid, "what is the capital of france", "**Paris**.", source="voice", backend="qwen",
                timings_ms=timings, turn_id=7)
    second = add(store, cid, "and of spain", "Madrid", outcome="interrupted")
    third = add(store, cid, "and of italy", "", outcome="error", error="the model failed")
    turns = store.turns(cid)
    assert [t.id for t in turns] == [first, second, third]
    t = turns[0]
    assert (t.conversation_id, t.turn_id, t.source, t.question, t.answer, t.outcome, t.backend, t.timings_ms) == \
        (cid, 7, "voice", "what is the capital of france", "**Paris**.", "completed", "qwen", timings)
    assert t.created_at.tzinfo is not None
    assert (turns[1].outcome, turns[2].outcome, turns[2].error) == ("interrupted", "error", "the model failed")


def test_title_defaults_to_the_first_question_truncated(store):
    cid = store.new_conversation()
    long_question = "please explain in detail how the water cycle works on earth and why it matters so much to us"
    add(store, cid, long_question)
    add(store, cid, "a second question")
    [summary] = store.conversations()
    assert summary.title.endswith("…") and len(summary.title) <= 61
    assert long_question.startswith(summary.title[:-1])
    assert summary.turn_count == 2
    named = store.new_conversation("My title")
    add(store, named, "anything")
    assert store.conversation(named).title == "My title"


def test_conversations_are_listed_newest_first(store):
    a, b, c = store.new_conversation("a"), store.new_conversation("b"), store.new_conversation("c")
    add(store, a, "bump a")  # a is now the most recently updated
    summaries = store.conversations()
    assert [s.id for s in summaries] == [a, c, b]
    assert summaries[0].updated_at >= summaries[0].created_at
    assert [s.id for s in store.conversations(limit=2)] == [a, c]


def test_add_turn_validates_and_rejects_unknown_conversations(store):
    cid = store.new_conversation()
    with pytest.raises(ValueError):
        add(store, cid, "q", outcome="finished")
    with pytest.raises(ValueError):
        add(store, cid, "q", source="telepathy")
    with pytest.raises(KeyError):
        add(store, cid + 100, "q")
    assert store.turns(cid) == []


def test_search_is_case_insensitive_over_questions_answers_and_titles(store):
    q = store.new_conversation()
    add(store, q, "What is the CAPITAL of France?", "Paris.")
    a = store.new_conversation()
    add(store, a, "tell me a fact", "Über den Wolken: the capital of Peru is Lima.")
    t = store.new_conversation("Holiday planning")
    add(store, t, "where to go", "somewhere warm")
    assert {s.id for s in store.search("capital")} == {q, a}
    assert [s.id for s in store.search("holiday")] == [t]
    assert [s.id for s in store.search("über")] == [a]  # non-ASCII folds too
    assert store.search("nothing like this") == []


def test_search_treats_like_wildcards_literally(store):
    pct = store.new_conversation()
    add(store, pct, "what is 50% of 10", "5")
    under = store.new_conversation()
    add(store, under, "what does snake_case mean", "words_joined_by_underscores")
    plain = store.new_conversation()
    add(store, plain, "what is 50 of 10 and snakeXcase", "nothing special \\ here")
    assert [s.id for s in store.search("50%")] == [pct]
    assert [s.id for s in store.search("%")] == [pct]
    assert [s.id for s in store.search("e_c")] == [under]
    assert [s.id for s in store.search("_")] == [under]
    assert [s.id for s in store.search("\\")] == [plain]


def test_delete_cascades_to_turns(store):
    keep, gone = store.new_conversation(), store.new_conversation()
    add(store, keep, "kept")
    add(store, gone, "one")
    add(store, gone, "two")
    assert store.delete(gone) is True
    assert store.delete(gone) is False
    assert store.turns(gone) == []
    assert [s.id for s in store.conversations()] == [keep]
    count = store._conn.execute("SELECT COUNT(*) FROM turns WHERE conversation_id = ?", (gone,)).fetchone()[0]
    assert count == 0


def test_markdown_export(store, tmp_path):
    cid = store.new_conversation("Capitals")
    answer = "Here:\n\n```python\nprint('Paris')\n```\n\n- one\n- two"
    add(store, cid, "show me code", answer)
    add(store, cid, "and spain", "Mad", outcome="interrupted")
    add(store, cid, "and italy", "", outcome="error", error="the model failed")
    md = store.export_markdown(cid)
    assert md.startswith("# Capitals\n")
    assert store.conversation(cid).created_at.astimezone().strftime("%Y-%m-%d") in md
    assert "**You:** show me code" in md
    assert answer in md  # verbatim, fences and lists intact
    assert "**Assistant:** Mad\n\n*(interrupted)*" in md
    assert "*(error: the model failed)*" in md
    assert md.index("show me code") < md.index("and spain") < md.index("and italy")
    out = store.export_markdown_file(cid, tmp_path / "out.md")
    assert out.read_text(encoding="utf-8") == md
    with pytest.raises(KeyError):
        store.export_markdown(cid + 1)


def test_store_is_usable_from_several_threads(store):
    cid = store.new_conversation()
    errors = []

    def work(n):
        try:
            for i in range(20):
                add(store, cid, f"thread {n} question {i}")
                store.conversations()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(store.turns(cid)) == 80


def test_reopening_keeps_data(tmp_path):
    path = tmp_path / "h.sqlite3"
    s = HistoryStore(path)
    cid = s.new_conversation()
    add(s, cid, "remember me")
    s.close()
    s = HistoryStore(path)
    try:
        assert [t.question for t in s.turns(cid)] == ["remember me"]
    finally:
        s.close()


def test_a_corrupt_file_raises_a_coded_error_and_is_left_untouched(tmp_path):
    path = tmp_path / "history.sqlite3"
    garbage = b"this is not a database at all \x00\xff" * 200
    path.write_bytes(garbage)
    with pytest.raises(HistoryError) as info:
        HistoryStore(path)
    error = info.value
    assert isinstance(error, AssistantError)
    assert error.code == "history-unavailable"
    assert str(path) in error.message and "without history" in error.message
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite3"]  # no -wal/-shm, no new file


def test_an_unopenable_path_raises_a_coded_error(tmp_path):
    path = tmp_path / "a-folder"
    path.mkdir()
    with pytest.raises(HistoryError) as info:
        HistoryStore(path)
    assert info.value.code == "history-unavailable"


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(HistoryError, match="newer version"):
        HistoryStore(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    conn.close()


def test_a_closed_store_raises_the_coded_error(tmp_path):
    s = HistoryStore(tmp_path / "h.sqlite3")
    s.close()
    with pytest.raises(HistoryError):
        s.conversations()


# --- recorder --------------------------------------------------------------------------------------


def text_turn(bus, turn_id, question="capital of France?", pieces=("The capital", " is Paris.")):
    bus.publish(ReplyStarted(turn_id=turn_id, backend="scripted-llm", prompt=question))
    for piece in pieces:
        bus.publish(ReplyDelta(turn_id=turn_id, text=piece))
    bus.publish(SentenceReady(turn_id=turn_id, index=0, text="".join(pieces)))
    bus.publish(ReplyFinished(turn_id=turn_id, text="".join(pieces).strip(), backend="cloud"))
    bus.publish(TurnEnded(turn_id=turn_id, outcome="completed", timings_ms={"llm_first_token": 12.0}))


def voice_turn(bus, turn_id, transcript="what time is it"):
    bus.publish(SpeechStarted(t_speech_start=1.0))
    bus.publish(SpeechEnded(turn_id=turn_id, t_speech_end=2.0, duration=1.0))
    bus.publish(TranscriptFinal(turn_id=turn_id, text=transcript, seconds=0.2))
    bus.publish(ReplyStarted(turn_id=turn_id, backend="scripted-llm", prompt=transcript))
    bus.publish(ReplyDelta(turn_id=turn_id, text="It is noon."))
    bus.publish(ReplyFinished(turn_id=turn_id, text="It is noon.", backend="scripted-llm"))
    bus.publish(TurnEnded(turn_id=turn_id, outcome="completed", timings_ms={"stt": 200.0, "voice_to_voice": 900.0}))


@pytest.fixture
def bus():
    return EventBus()


def test_recorder_stores_a_text_turn(store, bus):
    recorder = HistoryRecorder(store, bus)
    text_turn(bus, 1)
    cid = recorder.current_conversation
    [turn] = store.turns(cid)
    assert (turn.turn_id, turn.source, turn.question, turn.answer, turn.outcome, turn.backend) == \
        (1, "text", "capital of France?", "The capital is Paris.", "completed", "cloud")
    assert turn.timings_ms == {"llm_first_token": 12.0}
    assert store.conversation(cid).title == "capital of France?"


def test_recorder_stores_a_voice_turn_in_the_same_conversation(store, bus):
    recorder = HistoryRecorder(store, bus)
    text_turn(bus, 1)
    voice_turn(bus, 2)
    [summary] = store.conversations()
    turns = store.turns(summary.id)
    assert [t.source for t in turns] == ["text", "voice"]
    assert (turns[1].question, turns[1].answer, turns[1].timings_ms["stt"]) == ("what time is it", "It is noon.", 200)
    assert recorder.current_conversation == summary.id


def test_recorder_stores_an_interrupted_turn_with_the_partial_answer(store, bus):
    recorder = HistoryRecorder(store, bus)
    bus.publish(ReplyStarted(turn_id=3, backend="scripted-llm", prompt="tell me a long story"))
    bus.publish(ReplyDelta(turn_id=3, text="Once upon"))
    bus.publish(ReplyDelta(turn_id=3, text=" a time"))
    bus.publish(TurnInterrupted(turn_id=3))
    bus.publish(TurnEnded(turn_id=3, outcome="interrupted"))
    bus.publish(ReplyDelta(turn_id=3, text=" late piece"))  # the LLM thread notices the cancel a bit later
    [turn] = store.turns(recorder.current_conversation)
    assert (turn.outcome, turn.answer, turn.backend) == ("interrupted", "Once upon a time", "scripted-llm")
    assert recorder._pending == {}


def test_recorder_stores_an_error_turn_with_its_message(store, bus):
    recorder = HistoryRecorder(store, bus)
    bus.publish(ReplyStarted(turn_id=4, backend="scripted-llm", prompt="hello"))
    bus.publish(ReplyDelta(turn_id=4, text="Hi"))
    bus.publish(ErrorOccurred(code="llm-failed", message="first failure", turn_id=4))
    bus.publish(ErrorOccurred(code="llm-failed", message="scripted failure", turn_id=4))
    bus.publish(ErrorOccurred(code="other", message="not this turn", turn_id=None))
    bus.publish(TurnEnded(turn_id=4, outcome="error"))
    [turn] = store.turns(recorder.current_conversation)
    assert (turn.outcome, turn.answer, turn.error) == ("error", "Hi", "scripted failure")


def test_recorder_skips_a_no_speech_turn(store, bus):
    recorder = HistoryRecorder(store, bus)
    bus.publish(SpeechEnded(turn_id=5, t_speech_end=2.0, duration=0.5))
    bus.publish(ErrorOccurred(code="no-speech", message="No speech heard.", turn_id=5))
    bus.publish(TurnEnded(turn_id=5, outcome="no-speech"))
    assert recorder.current_conversation is None
    assert store.conversations() == []


def test_a_disabled_recorder_stores_nothing(store, bus):
    enabled = False
    recorder = HistoryRecorder(store, bus, enabled=lambda: enabled)
    text_turn(bus, 1)
    voice_turn(bus, 2)
    assert store.conversations() == []
    enabled = True  # the setting is read at the end of each turn
    text_turn(bus, 3)
    assert [t.turn_id for t in store.turns(recorder.current_conversation)] == [3]


def test_new_and_continued_conversations(store, bus):
    recorder = HistoryRecorder(store, bus)
    text_turn(bus, 1)
    first = recorder.current_conversation
    recorder.start_new_conversation()
    text_turn(bus, 2)
    second = recorder.current_conversation
    assert second != first
    recorder.continue_conversation(first)
    text_turn(bus, 3)
    assert [t.turn_id for t in store.turns(first)] == [1, 3]
    assert [t.turn_id for t in store.turns(second)] == [2]


def test_recorder_opens_a_new_conversation_if_the_current_one_was_deleted(store, bus):
    recorder = HistoryRecorder(store, bus)
    text_turn(bus, 1)
    store.delete(recorder.current_conversation)
    text_turn(bus, 2)
    [summary] = store.conversations()
    assert [t.turn_id for t in store.turns(summary.id)] == [2]


def test_recorder_failures_never_reach_the_bus(tmp_path, bus, caplog):
    s = HistoryStore(tmp_path / "h.sqlite3")
    recorder = HistoryRecorder(s, bus)
    s.close()
    seen = []
    bus.subscribe(seen.append)
    text_turn(bus, 1)  # must not raise
    assert seen[-1].kind == "TurnEnded"  # later subscribers still get every event
    assert any("history: could not record" in r.getMessage() for r in caplog.records)
    recorder.close()


def test_unsubscribed_recorder_stores_nothing(store, bus):
    recorder = HistoryRecorder(store, bus)
    recorder.unsubscribe()
    text_turn(bus, 1)
    assert store.conversations() == []


# --- resuming --------------------------------------------------------------------------------------


def test_history_messages_and_restore(store):
    cid = store.new_conversation()
    add(store, cid, "q1", "a1")
    add(store, cid, "q2", "partial", outcome="interrupted")
    add(store, cid, "q3", "", outcome="error", error="boom")
    add(store, cid, "q4", "half", outcome="error", error="boom")
    messages = history_messages(store, cid)
    assert messages == [ChatMessage(Role.USER, "q1"), ChatMessage(Role.ASSISTANT, "a1"),
                        ChatMessage(Role.USER, "q2"), ChatMessage(Role.ASSISTANT, "partial" + CUT_OFF)]
    conversation = Conversation("system", 4096, 256)
    conversation.add_exchange("old", "stale")
    assert restore_conversation(conversation, store, cid) == 2
    assert conversation.history == messages
