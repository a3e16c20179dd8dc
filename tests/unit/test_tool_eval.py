"""assistant eval --requests: the request set, how a call is judged, and a run over the whole set (the matcher; a
scripted model for the rest: the real model's figures are the note's, not a test's)."""

from __future__ import annotations

import json

from assistant.config import Config
from assistant.tool_eval import Request, evaluate, is_right, load_requests, summary
from testkit.fakes import ScriptedLLM

KNOWN = {"clock.time", "clock.date", "timers.start", "timers.cancel", "timers.list", "timers.extend", "alarms.set",
         "reminders.add", "maths.calculate", "units.convert", "desktop.open_folder", "desktop.open_file",
         "desktop.open_link", "desktop.open_app", "clipboard.read", "clipboard.write", "words.spell"}


def test_the_set_has_sixty_everyday_requests_or_more_each_for_a_tool_that_exists():
    requests = load_requests()
    assert len(requests) >= 60 and len({r.id for r in requests}) == len(requests)
    assert {r.tool for r in requests} - {None} <= KNOWN
    assert sum(r.tool is None for r in requests) >= 5  # questions that want no tool, so calling one is wrong


def test_a_call_is_right_with_its_tool_its_arguments_and_its_result():
    timer = Request("t", "set a timer for ten minutes", "timers.start", {"seconds": 600, "label": "^pasta$"})
    assert is_right(timer, "timers.start", {"seconds": 600.0, "label": "Pasta"}, "")
    assert not is_right(timer, "timers.start", {"seconds": 60, "label": "pasta"}, "")
    assert not is_right(timer, "timers.start", {"seconds": 600}, "")  # a label was expected
    assert not is_right(timer, "alarms.set", {"seconds": 600, "label": "pasta"}, "")
    sums = Request("m", "15% of 80", "maths.calculate", result=r"\b12\b")
    assert is_right(sums, "maths.calculate", {}, "It is 12.") and not is_right(sums, "maths.calculate", {}, "120")
    alone = Request("n", "why is the sky blue", None)
    assert is_right(alone, None, {}, "Rayleigh scattering.") and not is_right(alone, "clock.time", {}, "")


def test_a_run_over_the_set_judges_every_request(tmp_path):
    requests = load_requests()
    outcomes = evaluate(ScriptedLLM(pieces=("I am not sure.",), delay=0.0), requests, Config())
    assert [o.request for o in outcomes] == requests
    data = summary(outcomes)
    assert data["requests"] == len(requests)
    assert data["matcher_answered"] + data["model_tool_requests"] + data["no_tool_questions"] == len(requests)
    # the scripted model calls nothing: the questions that want no tool are all left alone, the others are wrong
    assert data["no_tool_left_alone"] == data["no_tool_questions"] and data["model_tool_right"] == 0
    assert all(o.by == "intent" for o in outcomes if o.tool is not None)
    json.dumps(data)
