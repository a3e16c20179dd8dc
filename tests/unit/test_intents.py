"""The intent matchers of the clock, sums, units, spelling and the desktop: what they are sure of, what they leave to
the model, and that a failing matcher only passes the request on."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.contracts.tools import ToolCall, ToolError
from assistant.tools.clock import Clock, zone_for
from assistant.tools.desktop import Desktop
from assistant.tools.intents import IntentMatcher, normalize
from assistant.tools.maths import Maths, calculate
from assistant.tools.units import Units
from assistant.tools.words import Words, spell


class Apps:
    def find_app(self, name):
        return "Firefox" if name == "firefox" else None


@pytest.fixture(scope="module")
def matcher():
    units = Units()
    units.warm()
    return IntentMatcher([*Clock().matchers(), *units.matchers(), *Maths().matchers(), *Words().matchers(),
                         *Desktop(Apps()).matchers()])


@pytest.mark.parametrize(("said", "norm"), [
    ("Set a timer for ten minutes.", "set a timer for 10 minutes"),
    ("What's fifteen percent of eighty?", "what's 15 percent of 80"),
    ("one second", "1 second"),  # not "1 2": "second" is not an ordinal here
    ("What is 3.5 times two?", "what is 3.5 times 2"),
    ("Add 1,000 and 20", "add 1000 and 20"),
    ("What's a hundred degrees Fahrenheit in Celsius?", "what's 100 degrees fahrenheit in celsius"),
    ("a thousand and twenty meters", "1020 meters"),
])
def test_numbers_said_as_words_become_digits(said, norm):
    assert normalize(said) == norm


@pytest.mark.parametrize(("said", "call"), [
    ("What time is it?", ToolCall("clock.time", {})),
    ("What's the time in New York right now?", ToolCall("clock.time", {"place": "new york"})),
    ("Tell me the time here.", ToolCall("clock.time", {})),
    ("What day is it?", ToolCall("clock.date", {})),
    ("What's 15% of 80?", ToolCall("maths.calculate", {"expression": "(15/100)*80"})),
    ("How much is seven times eight?", ToolCall("maths.calculate", {"expression": "7 * 8"})),
    ("What is 2 to the power of 10?", ToolCall("maths.calculate", {"expression": "2 ** 10"})),
    ("How many kilometres is ten miles?", ToolCall("units.convert", {"value": 10.0, "from_unit": "miles",
                                                                      "to_unit": "kilometres"})),
    ("How many ounces in a pound?", ToolCall("units.convert", {"value": 1.0, "from_unit": "pound",
                                                               "to_unit": "ounces"})),
    ("Open my downloads folder", ToolCall("desktop.open_folder", {"folder": "downloads"})),
    ("Go to example.org", ToolCall("desktop.open_link", {"url": "example.org"})),
    ("Open Firefox", ToolCall("desktop.open_app", {"name": "firefox"})),
    ("What's on my clipboard?", ToolCall("clipboard.read", {})),
    ("Copy Hello World to the clipboard", ToolCall("clipboard.write", {"text": "Hello World"})),
    ("How do you spell necessary?", ToolCall("words.spell", {"word": "necessary"})),
    ("Spell rhythm.", ToolCall("words.spell", {"word": "rhythm"})),
    ("How is 'Worcestershire' spelled?", ToolCall("words.spell", {"word": "Worcestershire"})),
    ("Could you spell the word receive for me, please?", ToolCall("words.spell", {"word": "receive"})),
    ("What's the correct spelling of Mississippi River?", ToolCall("words.spell", {"word": "Mississippi River"})),
])
def test_common_requests_are_matched(matcher, said, call):
    assert matcher.match(said) == call


@pytest.mark.parametrize("said", [
    "What time does the bakery close?",  # not the clock's: the model answers
    "What is the capital of France?",
    "What is 5 apples in the basket?",
    "What's three quarters as a percentage?",  # "quarters" is a unit of mass to pint, "a percentage" none
    "Open the pod bay doors",  # no such app installed
    "Why is 7 a prime number?",
    "Tell me a story about a clock.",
    "How is the weather in Paris?",  # "how is ..." spells only with "spelled"
    "Spell check my whole document for me now please",  # a sentence, not a word
    "How do you spell 42?",
])
def test_what_the_matchers_are_not_sure_of_goes_to_the_model(matcher, said):
    assert matcher.match(said) is None


def test_an_explicit_conversion_with_one_unknown_unit_is_still_the_tool_s_to_refuse(matcher):
    assert matcher.match("Convert 3 blorps to meters") == ToolCall(
        "units.convert", {"value": 3.0, "from_unit": "blorps", "to_unit": "meters"})


def test_a_failing_matcher_passes_the_request_on():
    def broken(heard):
        raise RuntimeError("a bug")

    clock = Clock()
    assert IntentMatcher([broken, *clock.matchers()]).match("What time is it?") == ToolCall("clock.time", {})
    assert IntentMatcher([broken]).match("What time is it?") is None


def test_the_clock_tells_the_time_in_a_place_from_its_zone():
    fixed = datetime(2026, 12, 7, 23, 30, tzinfo=ZoneInfo("Europe/London"))
    clock = Clock(now=lambda: fixed)
    assert clock.time({"place": "tokyo"}).say == "It's 8:30 AM in Tokyo, tomorrow there (Tuesday)."
    assert clock.time({}).say == "It's 11:30 PM."
    assert clock.date({"days_from_today": 1}).say == "Tomorrow is Tuesday, December 8, 2026."
    assert str(zone_for("the UK")) == "Europe/London" and str(zone_for("Sao Paulo")) == "America/Sao_Paulo"
    with pytest.raises(ToolError) as caught:
        zone_for("Atlantis")
    assert caught.value.code == "place-unknown" and "Atlantis" in caught.value.message


def test_sums_are_exact_and_bad_ones_are_said():
    assert calculate({"expression": "0.1 + 0.2"}).say == "0.1 plus 0.2 is 0.3."
    assert calculate({"expression": "(15/100)*80"}).say == "15 percent of 80 is 12."
    for bad in ("7 / 0", "__import__('os')", "9 ** 9 ** 9"):  # no answer, no names, no endless powers
        with pytest.raises(ToolError) as caught:
            calculate({"expression": bad})
        assert caught.value.code == "maths-invalid"


def test_units_convert_and_refuse_what_cannot_be_converted():
    units = Units()
    assert units.convert({"value": 100, "from_unit": "fahrenheit", "to_unit": "celsius"}).say == \
        "100 degrees Fahrenheit is 37.78 degrees Celsius."
    assert units.convert({"value": 1, "from_unit": "mile", "to_unit": "feet"}).say == "1 mile is 5,280 feet."
    # A country's measure: the US one is pint's own, the UK one the imperial
    assert units.convert({"value": 1, "from_unit": "US gallon", "to_unit": "liters"}).say == "1 gallon is 3.79 liters."
    assert units.convert({"value": 1, "from_unit": "UK pint", "to_unit": "millilitres"}).say.startswith("1 imperial")
    for source, target, code in (("blorps", "meters", "unit-unknown"), ("kilograms", "meters", "unit-mismatch")):
        with pytest.raises(ToolError) as caught:
            units.convert({"value": 3, "from_unit": source, "to_unit": target})
        assert caught.value.code == code


def test_a_word_is_spelled_letter_by_letter_as_written():
    assert spell({"word": "necessary"}).say == "Necessary is spelled N, E, C, E, S, S, A, R, Y."
    assert spell({"word": "it's"}).say == "It's is spelled I, T, apostrophe, S."
    assert spell({"word": "New York"}).say == "New York is spelled New: N, E, W; York: Y, O, R, K."
    assert spell({"word": "Zoë"}).say == "Zoë is spelled Z, O, Ë."
    with pytest.raises(ToolError) as err:
        spell({"word": "r2d2"})
    assert err.value.code == "tool-arguments-invalid"
