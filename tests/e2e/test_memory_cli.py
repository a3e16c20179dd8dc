"""The memory from the command line, across processes, on the real models and a real database: a fact told in
one process is in the next one's prompt and found by a paraphrase; listed, exported, forgotten."""

import json
import os
import stat

from tests.e2e.test_cli import assert_clean_failure, run


def test_a_fact_told_in_one_process_is_recalled_in_the_next(tmp_path):
    env = {"ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    told = run("ask", "--json", "Remember that my car is on level B3.", env=env)
    assert told.returncode == 0, told.stderr
    result = json.loads(told.stdout)
    assert result["answer"] == "Okay, I'll remember that your car is on level B3." and result["backend"] == "tools"
    for fact in ("my sister's birthday is March 3rd", "I prefer metric units", "my dentist is Dr. Alvarez"):
        assert run("memory", "add", fact, env=env).returncode == 0

    asked = run("ask", "--json", "Which level is my car on?", env=env)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["memory"] == ["My car is on level B3"]  # the fact went into the prompt
    assert "B3" in answer["answer"], answer["answer"]

    found = run("memory", "search", "--json", "where did I leave the car?", env=env)
    assert found.returncode == 0, found.stderr
    facts = json.loads(found.stdout)["facts"]
    assert facts[0]["text"] == "My car is on level B3" and json.loads(found.stdout)["by_meaning"]

    exported = tmp_path / "memory.json"
    assert run("memory", "export", str(exported), env=env).returncode == 0
    assert stat.S_IMODE(os.stat(exported).st_mode) == 0o600
    kept = {f["text"]: f["id"] for f in json.loads(exported.read_text())["facts"]}
    assert set(kept) == {"My car is on level B3", "My sister's birthday is March 3rd", "I prefer metric units",
                         "My dentist is Dr. Alvarez"}

    assert run("memory", "forget", str(kept["My car is on level B3"]), env=env).returncode == 0
    listed = json.loads(run("memory", "list", "--json", env=env).stdout)
    assert "My car is on level B3" not in [f["text"] for f in listed["facts"]] and len(listed["facts"]) == 3
    again = json.loads(run("ask", "--json", "Which level is my car on?", env=env).stdout)
    assert again["memory"] == []


def test_secrets_and_unconfirmed_deletions_are_refused(tmp_path):
    env = {"ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    assert_clean_failure(run("memory", "add", "my card number is 4111 1111 1111 1111", env=env), "fact-secret", 4)
    assert run("memory", "add", "I prefer metric units", env=env).returncode == 0
    assert_clean_failure(run("memory", "forget", "--all", env=env), "confirmation-needed", 4)
    assert_clean_failure(run("memory", "forget", "99", env=env), "fact-not-found", 4)
    done = run("memory", "forget", "--all", "--yes", env=env)
    assert done.returncode == 0 and "forgot 1 facts" in done.stdout
    assert json.loads(run("memory", "list", "--json", env=env).stdout)["facts"] == []


def test_memory_off_keeps_nothing(tmp_path):
    env = {"ASSISTANT_DATA_DIR": str(tmp_path / "data"), "ASSISTANT_MEMORY_ENABLED": "false"}
    told = run("ask", "--json", "Remember that my car is on level B3.", env=env)
    assert told.returncode == 0, told.stderr
    assert "memory is off" in json.loads(told.stdout)["answer"].lower()
    assert_clean_failure(run("memory", "add", "I prefer tea", env=env), "memory-off", 4)
    assert json.loads(run("memory", "list", "--json", env=env).stdout)["facts"] == []
