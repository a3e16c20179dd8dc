"""`assistant eval`: the question set, how a reply is scored, and the figures (a scripted model here; the real
one: tests/e2e/test_cli.py)."""

import json
import re

import pytest

from assistant.answer_eval import CATEGORIES, Question, evaluate, format_table, load_questions
from assistant.config import Config
from assistant.contracts.errors import InputError
from testkit.fakes import ScriptedLLM


def test_a_reply_is_right_when_an_accepted_pattern_matches_and_no_rejected_one_does():
    q = Question("facts-x", "facts", "How many legs does a spider have?", (r"\beight\b", r"\b8\b"),
                 (r"\bspiders? (have|has) (4|four)\b",))
    assert q.is_right("A spider has EIGHT legs.") and q.is_right("8 legs.")
    assert not q.is_right("A spider has four legs.")
    assert not q.is_right("Spiders have four legs, not eight.")  # the wrong claim is refused even beside the right
    assert not q.is_right("")


def test_the_bundled_set_is_whole_and_every_pattern_compiles():
    questions = load_questions()
    assert len(questions) >= 100 and len({q.id for q in questions}) == len(questions)
    assert {q.category for q in questions} == set(CATEGORIES)
    for q in questions:
        assert q.question.strip() and q.accept and q.source, q.id
        assert not q.is_right(q.question), q.id  # repeating the question back is never an answer
        for pattern in (*q.accept, *q.reject):
            re.compile(pattern)


@pytest.mark.parametrize(("line", "fragment"), [
    ("{not json", "line 2"),
    ('{"id": "a-1", "category": "facts", "question": "Q?"}', "accept"),
    ('{"id": "a-1", "category": "facts", "question": "Q?", "accept": ["(unclosed"]}', "line 2"),
])
def test_a_broken_question_file_names_its_line(tmp_path, line, fragment):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a-0", "category": "facts", "question": "Q?", "accept": ["a"]}\n' + line + "\n")
    with pytest.raises(InputError) as err:
        load_questions(path)
    assert err.value.code == "eval-questions-invalid" and fragment in err.value.message


def test_missing_files_and_unknown_categories_are_named(tmp_path):
    with pytest.raises(InputError) as err:
        load_questions(tmp_path / "none.jsonl")
    assert err.value.code == "eval-questions-missing" and "--questions" in err.value.message
    with pytest.raises(InputError) as err:
        load_questions(None, ["poetry"])
    assert err.value.code == "eval-category-unknown" and "arithmetic" in err.value.message


def test_the_figures_count_every_answer_per_category():
    questions = [Question("facts-1", "facts", "Capital of France?", ("paris",)),
                 Question("facts-2", "facts", "Capital of Spain?", ("madrid",)),
                 Question("code-1", "code", "Reverse a list?", (r"\[::-1\]",))]
    llm = ScriptedLLM(pieces=["The capital", " is Paris."], delay=0.001)
    result = evaluate(Config(), questions, build_llm=lambda config: llm)
    assert (result["right"], result["of"], result["accuracy"]) == (1, 3, round(1 / 3, 4))
    assert result["by_category"] == {"facts": {"right": 1, "of": 2}, "code": {"right": 0, "of": 1}}
    assert [a["right"] for a in result["answers"]] == [True, False, False] and llm.calls == 3
    assert all(a["reply"] == "The capital is Paris." and a["first_token_ms"] > 0 for a in result["answers"])
    assert all(a["first_token_ms"] <= a["reply_ms"] for a in result["answers"])
    assert result["first_token_ms"]["median"] <= result["first_token_ms"]["p90"]
    json.dumps(result)  # --json prints it as it is
    table = format_table([result])
    assert "1/3" in table and "33.3%" in table and "facts" in table and "code" in table


def test_with_tools_a_request_the_matcher_takes_is_answered_by_its_tool_and_the_rest_by_the_model():
    questions = [Question("arithmetic-1", "arithmetic", "What's 144 divided by 8?", (r"\b18\b",)),
                 Question("units-1", "units", "How many liters are in a US gallon?", (r"3\.7[5-9]",)),
                 Question("facts-1", "facts", "Capital of France?", ("paris",))]
    llm = ScriptedLLM(pieces=["The capital", " is Paris."], delay=0.001)
    result = evaluate(Config(), questions, build_llm=lambda config: llm, tools=True)
    assert [(a["by"], a["right"]) for a in result["answers"]] == [("tool", True), ("tool", True), ("model", True)]
    assert llm.calls == 1 and result["answers"][0]["backend"] == "tool"  # the model was asked once: the fact
    assert result["answered_by"] == {"tool": {"right": 2, "of": 2}, "model": {"right": 1, "of": 1}}
    assert result["tools"] and "answered by (right/of): tool 2/2, model 1/1" in format_table([result])
    plain = evaluate(Config(), questions[:1], build_llm=lambda config: llm)  # without: the model alone
    assert plain["answered_by"] == {"model": {"right": 0, "of": 1}} and not plain["tools"]
