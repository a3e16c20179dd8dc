"""Tools in a turn, through the real facade and LLM stage: the intent matcher's answers, the model's calls (scripted
model here; the real model's calls: tests/models/test_tool_calls.py), confirmation, and that no screen text or tool
result makes a tool run by itself."""

from __future__ import annotations

import json
import re
from datetime import datetime

import numpy as np
import pytest

from assistant.bus import EventBus
from assistant.config import Config
from assistant.contracts.events import (
    ReplyFinished,
    ToolCalled,
    ToolConfirmationRequested,
    ToolFinished,
)
from assistant.contracts.screen import ScreenImage
from assistant.contracts.tools import Tool, ToolResult
from assistant.contracts.types import Role
from assistant.facade import Assistant
from assistant.pipeline.acting import ToolTurns
from assistant.screen_answer import ScreenAnswerer
from assistant.tools.clock import Clock
from assistant.tools.desktop import Desktop
from assistant.tools.intents import IntentMatcher
from assistant.tools.maths import Maths
from assistant.tools.toolbox import Toolbox
from assistant.tools.units import Units
from testkit.fakes import ScriptedLLM
from testkit.helpers import EventLog


class ToolModel(ScriptedLLM):
    """A scripted model that can be offered tools: one script per call of stream(), and what it was given."""

    supports_tools = True

    def __init__(self, *scripts):
        super().__init__(pieces=(), delay=0.0)
        self.scripts = [list(s) for s in scripts]
        self.seen: list[tuple[list, object]] = []

    def stream(self, messages, *, cancel, tools=None):
        self.seen.append((list(messages), tools))
        self.pieces = self.scripts.pop(0) if self.scripts else ["I have nothing more to say."]
        yield from super().stream(messages, cancel=cancel)


class RecordingDesktop:
    """The desktop port, recording what it was asked to do (nothing is opened)."""

    def __init__(self):
        self.opened: list[str] = []
        self.clipboard = "the copied words"

    def open_url(self, url):
        self.opened.append(url)

    def open_path(self, path):
        self.opened.append(path)

    def find_app(self, name):
        return "Calculator" if name == "calculator" else None

    def launch_app(self, name):
        self.opened.append(name)
        return "Calculator"

    def clipboard_text(self):
        return self.clipboard

    def set_clipboard_text(self, text):
        self.clipboard = text


def weather(arguments, context):
    return ToolResult(f"Sunny and 21 degrees in {arguments['city']}.", {"city": arguments["city"]})


WEATHER = Tool("weather.lookup", "The current weather in a city.",
               {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                "additionalProperties": False}, weather, family="weather", keywords=("weather", "rain", "sunny"))


def make(llm, desktop=None, allowed=(), screen=None):
    bus = EventBus()
    log = EventLog()
    bus.subscribe(log)
    toolbox = Toolbox(bus, allowed=allowed)
    matcher = IntentMatcher()
    desktop = desktop or RecordingDesktop()
    for family in (Clock(), Units(), Maths(), Desktop(desktop)):
        for tool in family.tools():
            toolbox.add(tool)
        matcher.add(*family.matchers())
    toolbox.add(WEATHER)
    assistant = Assistant(Config(), bus=bus, llm=llm, tools=ToolTurns(bus, toolbox, matcher), screen=screen)
    assistant.wait_ready(30)
    return assistant, log, desktop


def turn(assistant, log, text):
    turn_id = assistant.ask(text, speak=False)
    assert assistant.wait_turn(turn_id, 20) is not None
    reply = [e for e in log.of(ReplyFinished) if e.turn_id == turn_id]
    return turn_id, reply[-1]


@pytest.fixture
def assistant_parts():
    made = []

    def build(*args, **kwargs):
        parts = make(*args, **kwargs)
        made.append(parts[0])
        return parts

    yield build
    for assistant in made:
        assistant.shutdown()


def test_the_time_is_told_by_the_clock_not_the_model(assistant_parts):
    llm = ToolModel()
    assistant, log, _ = assistant_parts(llm)
    before = datetime.now().astimezone()
    turn_id, reply = turn(assistant, log, "What time is it?")
    after = datetime.now().astimezone()
    said = re.fullmatch(r"It's (\d+):(\d\d) (AM|PM)\.", reply.text)
    assert said, reply.text
    hour = int(said[1]) % 12 + (12 if said[3] == "PM" else 0)
    assert (hour, int(said[2])) in {(before.hour, before.minute), (after.hour, after.minute)}
    assert reply.backend == "tools" and llm.calls == 0  # the model never saw it
    called = [e for e in log.of(ToolCalled) if e.turn_id == turn_id]
    assert [(e.tool, e.source) for e in called] == [("clock.time", "intent")]
    finished = [e for e in log.of(ToolFinished) if e.turn_id == turn_id]
    assert finished[0].ok and finished[0].call_id == called[0].call_id


def test_sums_and_units_are_exact(assistant_parts):
    assistant, log, _ = assistant_parts(ToolModel())
    assert turn(assistant, log, "What's 15% of 80?")[1].text == "15 percent of 80 is 12."
    assert turn(assistant, log, "How many kilometres is ten miles?")[1].text == "10 miles is 16.09 kilometers."
    assert "don't know the unit 'blorps'" in turn(assistant, log, "Convert 3 blorps to meters")[1].text


def test_a_question_asking_how_to_do_something_is_offered_no_tools(assistant_parts):
    llm = ToolModel(["Press Ctrl+C to copy and Ctrl+V to paste."], ["Here is what you copied."])
    assistant, log, _ = assistant_parts(llm)
    assert turn(assistant, log, "How do I copy and paste on Windows?")[1].text.startswith("Press Ctrl+C")
    assert llm.seen[0][1] is None  # no tool list: it is told how, and nothing is read or done
    turn(assistant, log, "What did I copy to the clipboard?")
    assert "clipboard_read" in [t["function"]["name"] for t in llm.seen[1][1]]  # asked for: offered


def test_the_model_calls_an_offered_tool_and_answers_from_its_result(assistant_parts):
    call = json.dumps({"name": "weather_lookup", "arguments": {"city": "Paris"}})
    llm = ToolModel([call], ["It's sunny in Paris, ", "21 degrees."])
    assistant, log, _ = assistant_parts(llm)
    _, reply = turn(assistant, log, "Is it sunny in Paris today?")
    assert reply.text == "It's sunny in Paris, 21 degrees."
    (_, offered), (second, again) = llm.seen
    names = [t["function"]["name"] for t in offered]
    assert "weather_lookup" in names and len(names) <= 4  # a short list: the tools that fit
    assert again == offered  # the same template; nothing in the answer is run
    assert second[-1].role == Role.TOOL and second[-1].content == "Sunny and 21 degrees in Paris."
    assert "<tool_call>" in second[-2].content and second[-2].role == Role.ASSISTANT
    assert [(e.tool, e.source, e.arguments) for e in log.of(ToolCalled)] == \
        [("weather.lookup", "model", {"city": "Paris"})]


def test_a_sum_told_in_words_is_worked_out_by_the_calculator_whose_call_the_model_completes(assistant_parts):
    llm = ToolModel(['3 - 1 + 5"}}\n</tool_call>'], ["You have ", "seven apples."])
    assistant, log, _ = assistant_parts(llm)
    question = "If I have three apples and eat one and then buy five more, how many do I have?"
    assert turn(assistant, log, question)[1].text == "You have seven apples."
    (first, offered), (second, _) = llm.seen
    assert "maths_calculate" in [t["function"]["name"] for t in offered]  # no operation named, offered all the same
    assert first[-2].role == Role.USER and first[-1].role == Role.ASSISTANT  # the reply begun as the call
    assert first[-1].content.startswith("<tool_call>") and first[-1].content.endswith('"expression": "')
    assert second[-1].role == Role.TOOL and second[-1].content == "3 minus 1 plus 5 is 7."
    assert [(e.tool, e.arguments) for e in log.of(ToolCalled)] == [("maths.calculate", {"expression": "3 - 1 + 5"})]


def test_a_begun_calculation_the_model_spoils_is_asked_for_again_without_the_opening(assistant_parts):
    llm = ToolModel(["three minus one"], ['{"name": "maths_calculate", "arguments": {"expression": "20*0.9*0.9"}}'],
                    ["It comes to 16.20 dollars."])
    assistant, log, _ = assistant_parts(llm)
    question = "A shirt costs twenty dollars, then ten percent off and another ten percent off. What's the price?"
    assert turn(assistant, log, question)[1].text == "It comes to 16.20 dollars."
    retry = llm.seen[1][0]
    assert retry[-1].role == Role.TOOL and "not valid JSON" in retry[-1].content
    assert retry[-2].content.startswith("<tool_call>") and retry[-2].content.endswith("three minus one")
    assert [e.arguments for e in log.of(ToolCalled)] == [{"expression": "20*0.9*0.9"}]


def test_a_question_with_one_number_or_none_is_not_begun_as_a_calculation(assistant_parts):
    llm = ToolModel(["It's twelve o'clock."], ["The capital is Paris."])
    assistant, log, _ = assistant_parts(llm)
    turn(assistant, log, "How many minutes are in an hour, roughly?")
    turn(assistant, log, "What is the capital of France?")
    assert all(messages[-1].role == Role.USER for messages, _ in llm.seen)


def test_a_model_too_small_to_write_the_expression_answers_a_sum_told_in_words_itself(assistant_parts):
    llm = ToolModel(["You have seven apples."])
    llm.parameters = 494_000_000  # the bundled 0.5B
    assistant, log, _ = assistant_parts(llm)
    question = "If I have three apples and eat one and then buy five more, how many do I have?"
    assert turn(assistant, log, question)[1].text == "You have seven apples."
    assert llm.seen[0][0][-1].role == Role.USER and not log.of(ToolCalled)


def test_routed_the_bigger_model_writes_the_expression_and_the_answer(assistant_parts):
    from assistant.pipeline.router import RoutedLLM

    small, big = ToolModel(["Nine."]), ToolModel(['240 / 15"}}'], ["It takes 16 days."])
    small.name, small.parameters, big.name, big.parameters = "local:small", 494_000_000, "local:big", 1_700_000_000
    router = RoutedLLM("local", small, None, big, "by-difficulty")
    assistant, log, _ = assistant_parts(router)
    question = "If I read fifteen pages a day, how many days will it take to finish a two hundred forty page book?"
    assert turn(assistant, log, question)[1].text == "It takes 16 days."
    assert not small.seen and [m[-1].role for m, _ in big.seen] == [Role.ASSISTANT, Role.TOOL]
    assert [e.arguments for e in log.of(ToolCalled)] == [{"expression": "240 / 15"}]


def test_schema_words_a_small_model_copies_into_its_arguments_are_left_out():
    from assistant.tools.model_calls import may_be_call, parse_calls

    typed = Tool("notes.add", "Add a note.", {"type": "object", "properties": {"type": {"type": "string"}}},
                 weather, family="notes")
    parsed = parse_calls('{"name": "weather_lookup", "arguments": {"city": "Oslo", "required": ["city"], '
                         '"additionalProperties": false, "type": "object"}}', [WEATHER])
    assert [c.arguments for c in parsed.calls] == [{"city": "Oslo"}]
    parsed = parse_calls('{"name": "notes_add", "arguments": {"type": "todo"}}', [typed])
    assert [c.arguments for c in parsed.calls] == [{"type": "todo"}]  # an argument of that name is the tool's own
    parsed = parse_calls('<tool_call>{"name": "weather_lookup", "arguments": {"city": "Oslo"}}}', [WEATHER])
    assert [c.arguments for c in parsed.calls] == [{"city": "Oslo"}]  # a closing brace too many after the call
    assert parse_calls('}{"name": "weather_lookup", "arguments": {}}', [WEATHER]).error  # but not before it
    bold = '**{"name": "weather_lookup", "arguments": {"city": "Oslo"}}**'
    assert may_be_call("**") is None and may_be_call(bold) is True and may_be_call("**Oslo** is cold.") is False
    assert [c.arguments for c in parse_calls(bold, [WEATHER]).calls] == [{"city": "Oslo"}]
    assert parse_calls('{"name": "weather_lookup", "arguments": {"town": "Oslo"}}', [WEATHER]).calls[0].arguments \
        == {"town": "Oslo"}  # anything else stays, for the schema check to refuse


def test_a_keyword_meets_other_forms_of_its_word_not_longer_words_that_begin_alike():
    from assistant.tools.toolbox import _same_word

    for word, key in (("raining", "rain"), ("timer", "timers"), ("percentage", "percent"), ("spelled", "spell"),
                      ("calculating", "calculate"), ("converted", "convert"), ("kilometer", "kilometers")):
        assert _same_word(word, key) and _same_word(key, word), (word, key)
    for word, key in (("down", "downloads"), ("star", "start"), ("time", "timer"), ("remind", "reminders"),
                      ("app", "apps")):
        assert not _same_word(word, key), (word, key)
    toolbox = Toolbox(EventBus(), sources=[*Desktop(RecordingDesktop()).tools(), *Clock().tools()])
    assert toolbox.for_question("down.") == []
    assert toolbox.for_question("Open my downloads folder")[0].name == "desktop.open_folder"


def test_a_question_no_tool_fits_is_answered_without_a_tool_list(assistant_parts):
    llm = ToolModel(["Paris ", "is the capital."])
    assistant, log, _ = assistant_parts(llm)
    assert turn(assistant, log, "What is the capital of France?")[1].text == "Paris is the capital."
    assert llm.seen[0][1] is None and not log.of(ToolCalled)


def test_a_malformed_call_is_asked_for_once_more_then_answered_without_tools(assistant_parts):
    llm = ToolModel(['{"name": "weather_lookup", "arguments": {"city": '], ['{"name": "nowhere", "arguments": {}}'],
                    ["I can't check the weather right now."])
    assistant, log, _ = assistant_parts(llm)
    assert turn(assistant, log, "What's the weather in Oslo?")[1].text == "I can't check the weather right now."
    assert [tools is not None for _, tools in llm.seen] == [True, True, False]
    retry = llm.seen[1][0]
    assert retry[-1].role == Role.TOOL and "not valid JSON" in retry[-1].content
    assert not log.of(ToolCalled)


def test_a_call_with_arguments_outside_the_schema_is_asked_for_again_with_what_was_wrong(assistant_parts):
    llm = ToolModel([json.dumps({"name": "weather_lookup", "arguments": {"town": "Oslo"}})],
                    [json.dumps({"name": "weather_lookup", "arguments": {"city": "Oslo"}})], ["Sunny in Oslo."])
    assistant, log, _ = assistant_parts(llm)
    assert turn(assistant, log, "What's the weather in Oslo?")[1].text == "Sunny in Oslo."
    retry = llm.seen[1][0][-1]
    assert retry.role == Role.TOOL and "'city' is a required property" in retry.content
    assert [(e.tool, e.arguments) for e in log.of(ToolCalled)] == [("weather.lookup", {"city": "Oslo"})]


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home of the test's own, with a Downloads folder (platformdirs finds it by HOME and XDG_CONFIG_HOME)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    (tmp_path / "Downloads").mkdir()
    return tmp_path


def test_opening_asks_first_and_a_spoken_yes_or_no_decides(assistant_parts, home):
    assistant, log, desktop = assistant_parts(ToolModel())
    turn_id, reply = turn(assistant, log, "Open my downloads folder")
    assert reply.text == "Open your Downloads folder? Say yes to go ahead." and desktop.opened == []
    asked = log.of(ToolConfirmationRequested)
    assert [(e.turn_id, e.tool) for e in asked] == [(turn_id, "desktop.open_folder")]
    assert turn(assistant, log, "No.")[1].text == "Okay, I won't." and desktop.opened == []
    turn(assistant, log, "Open my downloads folder")
    assert turn(assistant, log, "Yes please.")[1].text == "Opened your Downloads folder."
    assert desktop.opened == [str(home / "Downloads")]
    assert [e.source for e in log.of(ToolCalled)] == ["confirmed"]


def test_a_missing_folder_is_said_and_nothing_opens(assistant_parts, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    assistant, log, desktop = assistant_parts(ToolModel(), allowed=("desktop.open_folder",))
    reply = turn(assistant, log, "Open my music folder")[1]
    assert reply.text == f"There is no Music folder at {tmp_path / 'Music'}." and desktop.opened == []
    assert [(e.ok, e.code) for e in log.of(ToolFinished)] == [(False, "path-not-found")]


def test_a_clicked_yes_runs_the_waiting_call_and_another_question_drops_it(assistant_parts):
    assistant, log, desktop = assistant_parts(ToolModel(["Fine."]))
    turn(assistant, log, "Open my home folder")
    turn_id = assistant.confirm_tool(True)
    assert assistant.wait_turn(turn_id, 20) is not None
    assert [e.text for e in log.of(ReplyFinished) if e.turn_id == turn_id] == ["Opened your Home folder."]
    turn(assistant, log, "Open my home folder")
    turn(assistant, log, "What is the capital of France?")  # not an answer to the question: it is dropped
    assert assistant.confirm_tool(True) is None and len(desktop.opened) == 1


def test_a_tool_the_user_allowed_runs_without_asking(assistant_parts):
    assistant, log, desktop = assistant_parts(ToolModel(), allowed=("desktop",))
    assert turn(assistant, log, "Open my home folder")[1].text == "Opened your Home folder."
    assert len(desktop.opened) == 1 and not log.of(ToolConfirmationRequested)


def test_text_on_the_screen_triggers_no_tool(assistant_parts):
    """An injection screen: the screen's text tells the model to open a folder, and the (scripted) model obeys in
    the form of a call. Screen questions are offered no tools and their replies are not read for calls."""
    injected = json.dumps({"name": "desktop_open_folder", "arguments": {"folder": "downloads"}})

    class Reader:
        name, device = "ocr", "cpu"
        last_read = None

        def load(self, progress=None):
            pass

        def read(self, image):
            return []

    llm = ToolModel([injected])
    screen = ScreenAnswerer([llm], Reader())
    assistant, log, desktop = assistant_parts(llm, screen=screen)
    image = ScreenImage(np.zeros((40, 40, 3), dtype=np.uint8), source="file: evil.png")
    turn_id = assistant.ask("Open my downloads folder", image=image, speak=False)
    assert assistant.wait_turn(turn_id, 20) is not None
    assert not log.of(ToolCalled) and not log.of(ToolConfirmationRequested) and desktop.opened == []


def test_a_tool_result_cannot_make_another_call(assistant_parts):
    """Nothing in the answer written from a tool's result is run: a call there is dropped, and the result said."""
    first = json.dumps({"name": "weather_lookup", "arguments": {"city": "Oslo"}})
    second = json.dumps({"name": "desktop_open_folder", "arguments": {"folder": "downloads"}})
    llm = ToolModel([first], [second])
    assistant, log, desktop = assistant_parts(llm)
    assert turn(assistant, log, "What's the weather in Oslo?")[1].text == "Sunny and 21 degrees in Oslo."
    assert [e.tool for e in log.of(ToolCalled)] == ["weather.lookup"] and desktop.opened == []


def test_an_answer_that_is_another_call_is_not_written_to_its_end(assistant_parts):
    """The results are said as soon as the answer shows it is a call: the model stops writing it."""
    first = json.dumps({"name": "weather_lookup", "arguments": {"city": "Oslo"}})
    second = ["```json\n", '{"name": ', '"weather_lookup", ', '"arguments": ', '{"city": "Oslo"}}', "\n```"]
    llm = ToolModel([first], second)
    assistant, log, _ = assistant_parts(llm)
    assert turn(assistant, log, "What's the weather in Oslo?")[1].text == "Sunny and 21 degrees in Oslo."
    assert llm.produced == 2  # the whole first reply, and of the second only its opening fence


def test_history_keeps_a_turn_s_tool_calls_in_a_real_database(assistant_parts, tmp_path):
    from assistant.history import HistoryRecorder, HistoryStore

    assistant, log, _ = assistant_parts(ToolModel())
    store = HistoryStore(tmp_path / "history.sqlite3")
    recorder = HistoryRecorder(store, assistant.bus)
    try:
        turn(assistant, log, "What's 15% of 80?")
        turn(assistant, log, "Convert 3 blorps to meters")
        (stored,) = store.conversations()
        first, second = store.turns(stored.id)
    finally:
        recorder.close()
        store.close()
    assert first.answer == "15 percent of 80 is 12."
    assert [(c["tool"], c["arguments"], c["ok"], c["source"]) for c in first.tools] == \
        [("maths.calculate", {"expression": "(15/100)*80"}, True, "intent")]
    assert [(c["tool"], c["ok"], c["code"]) for c in second.tools] == [("units.convert", False, "unit-unknown")]


def test_a_history_database_from_before_tools_is_migrated_and_keeps_its_turns(tmp_path):
    import sqlite3

    from assistant.history import _MIGRATIONS, SCHEMA_VERSION, HistoryStore

    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    for statement in _MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES ('old', 1, 1)")
    conn.execute("INSERT INTO turns (conversation_id, turn_id, created_at, source, question, answer, outcome) "
                 "VALUES (1, 1, 1, 'text', 'hi', 'hello', 'completed')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = HistoryStore(path)
    try:
        (old,) = store.turns(1)
        assert (old.question, old.answer, old.tools) == ("hi", "hello", [])
    finally:
        store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_new_tool_settings_apply_without_a_rebuild(assistant_parts):
    from assistant.config import ToolsConfig

    llm = ToolModel(["A guess."])
    assistant, log, desktop = assistant_parts(llm)
    assistant.set_tools_config(ToolsConfig(allowed="desktop, clipboard"))
    assert turn(assistant, log, "Open my home folder")[1].text == "Opened your Home folder."
    assert len(desktop.opened) == 1 and not log.of(ToolConfirmationRequested)
    assistant.set_tools_config(ToolsConfig(intents=False, model_calls=False))
    assert turn(assistant, log, "What time is it?")[1].text == "A guess."  # the model alone now
    assert llm.seen[-1][1] is None and assistant.config.tools.intents is False
