"""Tiered routing: easy questions to the small model, hard ones to the bigger one, a refusal handed over unheard
(scripted models; the real ones: `assistant eval --big-model`, tests/e2e/test_cli.py)."""

import pytest

from assistant.contracts.errors import ModelError
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from assistant.pipeline.difficulty import declines, route
from assistant.pipeline.router import RoutedLLM
from testkit.fakes import ScriptedLLM


class Named(ScriptedLLM):
    def __init__(self, name, pieces, runs_locally=True, **kwargs):
        super().__init__(pieces=pieces, delay=0.001, **kwargs)
        self.name, self.runs_locally = name, runs_locally


def ask(router, question):
    return "".join(router.stream([ChatMessage(Role.SYSTEM, "Be brief."), ChatMessage(Role.USER, question)],
                                 cancel=CancelToken(1)))


@pytest.mark.parametrize(("question", "tier", "reason"), [
    ("Hello there!", "small", "chat"),
    ("Thanks, that's great.", "small", "chat"),
    ("Tell me a joke.", "small", "chat"),
    ("How are you today?", "small", "chat"),
    ("I'm back.", "small", "chat"),
    ("What's the capital of Italy?", "big", "knowledge"),
    ("Who wrote Romeo and Juliet", "big", "knowledge"),
    ("Tell me about the Eiffel Tower.", "big", "knowledge"),
    ("What is seventeen times three?", "big", "arithmetic"),
    ("How many kilometers is 5 miles?", "big", "arithmetic"),
    ("What's 20 degrees Celsius in Fahrenheit?", "big", "units"),
    ("If it's Monday, what day is it in 10 days?", "big", "reasoning"),
    ("In Python, how do I reverse a list?", "big", "code"),
    ("How do I change a flat tire?", "big", "how-to"),
    ("What does break the ice mean?", "big", "meaning"),
    ("How do you say thank you in French?", "big", "meaning"),
    ("Why is the sky blue?", "big", "explanation"),
])
def test_questions_are_told_apart_by_their_kind(question, tier, reason):
    chosen = route(question)
    assert (chosen.tier, chosen.reason) == (tier, reason)


def test_length_alone_makes_a_question_hard():
    assert route("word " * 40).reason == "long question"
    assert route("Hello!", prompt_tokens=5000).reason == "long conversation"


def test_numbers_without_a_calculation_are_knowledge_not_arithmetic():
    assert route("Who won the world cup in 1998?").reason == "knowledge"
    assert route("How old is the universe?").reason == "knowledge"  # no number: a lookup, not a calculation


@pytest.mark.parametrize(("start", "verdict"), [
    ("", None), ("I", None), ("I'm", None), ("I'm sorry", True), ("I’m sorry, but", True),
    ("I don't know that.", True), ("As an AI", True), ("The capital", False), ("I think it is", False),
    ("Paris.", False),
])
def test_a_refusal_is_told_from_its_first_words(start, verdict):
    assert declines(start) is verdict


def test_easy_questions_go_to_the_small_model_and_hard_ones_to_the_big_one():
    small, big = Named("local:small", ["Rome."]), Named("local:big", ["Fifty-one."])
    router = RoutedLLM("local", small, None, big, "by-difficulty")
    assert ask(router, "Hello!") == "Rome." and router.last_backend == "local:small"
    assert str(router.last_route) == "small: chat"
    assert ask(router, "What is seventeen times three?") == "Fifty-one." and router.last_backend == "local:big"
    assert str(router.last_route) == "big: arithmetic"
    assert (small.calls, big.calls) == (1, 1)


def test_a_reply_begun_for_the_model_is_routed_by_the_question_it_answers():
    small, big = Named("local:small", ['2 + 2"}}']), Named("local:big", ['3 - 1 + 5"}}'])
    router = RoutedLLM("local", small, None, big, "by-difficulty")
    question = "If I have three apples and eat one and then buy five more, how many do I have?"
    begun = [ChatMessage(Role.SYSTEM, "Be brief."), ChatMessage(Role.USER, question),
             ChatMessage(Role.ASSISTANT, '<tool_call>{"name": "maths_calculate", "arguments": {"expression": "')]
    assert "".join(router.stream(begun, cancel=CancelToken(1))) == '3 - 1 + 5"}}'
    assert str(router.last_route) == "big: arithmetic" and router.last_backend == "local:big"


def test_a_refusal_of_the_small_model_is_never_heard_and_the_big_one_answers():
    small = Named("local:small", ["I'm", " sorry,", " I don't", " know."])
    big = Named("local:big", ["It is", " Canberra."])
    router = RoutedLLM("local", small, None, big, "by-difficulty")
    pieces = list(router.stream([ChatMessage(Role.USER, "Good morning!")], cancel=CancelToken(1)))
    assert "".join(pieces) == "It is Canberra." and str(router.last_route) == "big: declined"
    assert small.produced < len(small.pieces)  # stopped as soon as the refusal was plain


def test_a_reply_that_only_starts_like_a_refusal_is_given_whole():
    small = Named("local:small", ["I", " think", " it's", " Rome."])
    router = RoutedLLM("local", small, None, Named("local:big", ["x"]), "by-difficulty")
    assert ask(router, "Hi there") == "I think it's Rome." and router.last_backend == "local:small"


def test_a_big_model_that_fails_leaves_the_small_one_to_answer():
    small, big = Named("local:small", ["Fifty", "-one."]), Named("local:big", ["x"], fail_after=0)
    router = RoutedLLM("local", small, None, big, "by-difficulty")
    assert ask(router, "What is 17 times 3?") == "Fifty-one." and router.fallbacks == [("local:big", "llm-failed")]


def test_without_a_big_model_the_auto_policy_sends_hard_questions_to_the_cloud_and_writes_nothing_ahead():
    small, cloud = Named("local:small", ["Rome."]), Named("cloud:m", ["Fifty-one."], runs_locally=False)
    router = RoutedLLM("auto", small, cloud, None, "by-difficulty")
    assert ask(router, "What is 17 times 3?") == "Fifty-one." and router.last_backend == "cloud:m"
    assert ask(router, "Thank you!") == "Rome."
    assert not router.runs_locally  # a draft of words heard so far must not go to the cloud


def test_routing_off_or_nothing_bigger_leaves_the_policy_as_it_was():
    small, big = Named("local:small", ["Rome."]), Named("local:big", ["x"])
    off = RoutedLLM("local", small, None, big, "off")
    assert ask(off, "What is 17 times 3?") == "Rome." and off.last_route is None and off.runs_locally
    alone = RoutedLLM("local", small, None, None, "by-difficulty")
    assert ask(alone, "What is 17 times 3?") == "Rome." and alone.last_route is None


def test_the_turn_shows_the_tier_that_answered(tmp_path):
    from assistant.config import Config
    from assistant.contracts.events import ReplyFinished
    from assistant.facade import Assistant
    from audio.sinks import RecordingSink
    from testkit.fakes import EnergyVAD, ScriptedSTT, ToneTTS
    from testkit.helpers import EventLog

    router = RoutedLLM("local", Named("local:small", ["Rome."]), None, Named("local:big", ["51."]), "by-difficulty")
    assistant = Assistant(Config(), stt=ScriptedSTT(), llm=router, tts=ToneTTS(), vad=EnergyVAD(),
                          sink=RecordingSink())
    events = EventLog()
    assistant.bus.subscribe(events)
    try:
        assert assistant.wait_ready(5) == []
        assert assistant.wait_turn(assistant.ask("What is 17 times 3?", speak=False), 10).outcome == "completed"
        assert events.of(ReplyFinished)[-1].backend == "local:big (big: arithmetic)"
    finally:
        assistant.shutdown()


def test_a_missing_big_model_is_named_and_the_small_one_answers(monkeypatch, caplog):
    from assistant import bootstrap
    from assistant.config import Config

    def build(config, model=""):
        if model:
            raise ModelError("model-missing", "llm model 'bundled-1.5b' was not found")
        return Named("local:small", ["Rome."])

    monkeypatch.setattr(bootstrap, "local_llm", build)
    router = bootstrap.create_llm(Config().replace("llm", big_model="bundled-1.5b"))
    assert router.big is None and router.harder is None and "bundled-1.5b" in caplog.text


def test_auto_routes_to_the_bigger_offline_model_only_where_its_pack_is_installed(monkeypatch):
    from assistant.bootstrap import big_model_of
    from assistant.config import Config
    from models import registry, resolver

    monkeypatch.setattr(resolver, "pack_installed", lambda setting: True)
    assert registry.big_llm_setting("auto") == "bundled-1.5b" and big_model_of(Config()) == "bundled-1.5b"
    assert big_model_of(Config().replace("llm", routing="off")) == ""
    monkeypatch.setattr(resolver, "pack_installed", lambda setting: False)
    assert registry.big_llm_setting("auto") == "" and big_model_of(Config()) == ""
    assert big_model_of(Config().replace("llm", big_model="http://127.0.0.1:11434#qwen2.5:7b")) == \
        "http://127.0.0.1:11434#qwen2.5:7b"
