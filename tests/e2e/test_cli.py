"""The command line as a user runs it: real models, real files, real processes."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from testkit.helpers import EVAL_DIR, SAMPLE_QUESTION, eval_clips, normalize


def run(*args, env=None, timeout=300):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "assistant", "-q", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def assert_clean_failure(proc, code, exit_code):
    assert proc.returncode == exit_code, (proc.returncode, proc.stderr)
    assert f"error [{code}]:" in proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


def test_say_then_transcribe_gives_the_words_back(tmp_path):
    text = "Please remind me to water the plants tomorrow morning."
    out = tmp_path / "said.wav"
    proc = run("say", text, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    back = run("transcribe", str(out), "--json")
    assert back.returncode == 0, back.stderr
    assert normalize(json.loads(back.stdout)["text"]) == normalize(text)


def test_transcribe_json_gives_one_object_per_file():
    files = [str(p) for p, _ in eval_clips()[:3]]
    proc = run("transcribe", *files, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["file"] for r in rows] == files
    assert all(r["text"] and r["seconds"] > 0 for r in rows)


def test_voice_turn_with_timeline(tmp_path):
    out, timeline = tmp_path / "reply.wav", tmp_path / "turn.wav"
    proc = run("voice", "--in", str(SAMPLE_QUESTION), "--out", str(out), "--timeline", str(timeline), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert "capital" in result["transcript"].lower() and "paris" in result["reply"].lower()
    assert result["backend"].startswith("local:")
    marks = ["end_of_speech_detected", "stt", "llm_first_token", "first_sentence", "first_audio", "voice_to_voice"]
    timings = result["timings_ms"]
    assert list(timings) == marks and [timings[m] for m in marks] == sorted(timings.values())

    reply, rate = sf.read(out)
    assert len(reply) / rate > 0.5
    both, rate = sf.read(timeline)
    assert both.ndim == 2 and both.shape[1] == 2
    # Measure the gap on the timeline itself: the end of the question (channel 1: the last 10 ms window
    # within 30 dB of its loudest) to the first reply sound (channel 2). It must agree with voice_to_voice.
    win = int(rate * 0.01)
    n = len(both) // win
    rms = np.sqrt((both[: n * win, 0].reshape(n, win) ** 2).mean(axis=1))
    question_end = (np.flatnonzero(rms >= rms.max() * 10 ** (-30 / 20))[-1] + 1) * win / rate
    reply_start = np.flatnonzero(np.abs(both[:, 1]) > 0.005)[0] / rate
    gap_ms = (reply_start - question_end) * 1000
    assert abs(gap_ms - timings["voice_to_voice"]) < 60, (gap_ms, timings["voice_to_voice"])


def test_ask_json():
    proc = run("ask", "What is the capital of Italy? Answer in one sentence.", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert "rome" in result["answer"].lower() and result["backend"].startswith("local:")
    assert 0 < result["timings_ms"]["llm_first_token"] <= result["timings_ms"]["reply_done"]


def test_models_lists_every_role_from_the_offline_pack():
    proc = run("models", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["role"]: r for r in json.loads(proc.stdout)["models"]}
    assert set(rows) == {"stt", "vad", "turn", "llm", "tts", "embedding", "ocr"}
    ocr = rows.pop("ocr")  # the screen's text reader ships its models in its own wheel
    assert ocr["status"] == "installed" and ocr["size_mb"] > 1
    assert all(r["status"] == "offline-pack" and r["size_mb"] > 1 for r in rows.values())


def test_doctor_reports_hardware_audio_and_models():
    proc = run("doctor", "--json")
    report = json.loads(proc.stdout)
    assert set(report["sections"]) == {"system", "audio", "models", "cloud"}
    assert "nothing leaves" in report["sections"]["cloud"]["policy"][1]
    assert all(ok for ok, _ in report["sections"]["models"].values())
    assert proc.returncode == (1 if report["problems"] else 0)


def test_config_path_and_show(tmp_path):
    env = {"ASSISTANT_CONFIG_DIR": str(tmp_path)}
    assert run("config", "path", env=env).stdout.strip() == str(tmp_path / "config.toml")
    (tmp_path / "config.toml").write_text("[llm]\nmax_new_tokens = 77\n")
    assert "max_new_tokens = 77" in run("config", "show", env=env).stdout


# --- bad input: a clear message and a non-zero exit code, never a traceback ----------------------------


@pytest.fixture
def files(tmp_path):
    silence = tmp_path / "silence.wav"
    sf.write(silence, np.zeros(32000, np.float32), 16000)
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio at all\n" * 20)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    header_only = tmp_path / "header_only.wav"
    sf.write(header_only, np.zeros(0, np.float32), 16000)
    long = tmp_path / "long.wav"
    sf.write(long, np.zeros(16000 * 5, np.float32), 16000)
    return {"silence": silence, "text": text, "empty": empty, "header_only": header_only, "long": long,
            "missing": tmp_path / "nope.wav"}


@pytest.mark.parametrize(
    ("name", "code", "exit_code"),
    [("missing", "audio-file-missing", 4), ("text", "audio-file-invalid", 4), ("empty", "audio-file-empty", 4),
     ("header_only", "audio-empty", 4), ("silence", "no-speech", 6)],
)
def test_transcribe_bad_files(files, name, code, exit_code):
    assert_clean_failure(run("transcribe", str(files[name])), code, exit_code)


@pytest.mark.parametrize(("name", "code"), [("missing", "audio-file-missing"), ("text", "audio-file-invalid"),
                                            ("empty", "audio-file-empty")])
def test_voice_bad_files_fail_before_any_model_loads(files, name, code):
    assert_clean_failure(run("voice", "--in", str(files[name]), timeout=30), code, 4)


def test_voice_on_silence_says_no_speech_heard(files):
    proc = run("voice", "--in", str(files["silence"]), "--json")
    assert_clean_failure(proc, "no-speech", 6)
    assert "No speech heard" in proc.stderr and proc.stdout == ""


def test_too_long_input_names_the_limit_and_the_setting(files):
    proc = run("voice", "--in", str(files["long"]), env={"ASSISTANT_AUDIO_MAX_VOICE_INPUT_S": "2"}, timeout=30)
    assert_clean_failure(proc, "audio-too-long", 4)
    assert "audio.max_voice_input_s" in proc.stderr


def test_a_good_file_and_a_bad_file_together(files):
    proc = run("transcribe", str(EVAL_DIR / "pocketsphinx_goforward.wav"), str(files["text"]), "--json")
    assert proc.returncode == 1
    good, bad = (json.loads(line) for line in proc.stdout.splitlines())
    assert "forward" in good["text"].lower() and bad["error"]["code"] == "audio-file-invalid"


def test_invalid_config_values(tmp_path):
    assert_clean_failure(run("transcribe", str(SAMPLE_QUESTION), env={"ASSISTANT_VAD_THRESHOLD": "2"}),
                         "config-invalid", 3)
    (tmp_path / "config.toml").write_text("[tts]\nspeeking_rate = 1.2\n")
    proc = run("say", "hi", "--out", str(tmp_path / "x.wav"), env={"ASSISTANT_CONFIG_DIR": str(tmp_path)})
    assert_clean_failure(proc, "config-unknown-key", 3)
    assert "tts.speaking_rate" in proc.stderr


def test_missing_and_corrupt_models(tmp_path):
    proc = run("transcribe", str(SAMPLE_QUESTION), env={"ASSISTANT_STT_MODEL": str(tmp_path / "whisper")})
    assert_clean_failure(proc, "model-missing", 3)
    corrupt = tmp_path / "corrupt-whisper"
    corrupt.mkdir()
    (corrupt / "model.bin").write_bytes(os.urandom(4096))
    (corrupt / "config.json").write_text("{}")
    proc = run("transcribe", str(SAMPLE_QUESTION), env={"ASSISTANT_STT_MODEL": str(corrupt)})
    assert_clean_failure(proc, "model-corrupt", 5)
    assert "stt.model" in proc.stderr


def test_output_to_a_missing_folder(tmp_path):
    assert_clean_failure(run("say", "hello", "--out", str(tmp_path / "no" / "such" / "x.wav")),
                         "output-folder-missing", 4)


def test_empty_question_and_empty_text():
    assert_clean_failure(run("say", "   ", "--out", "/tmp/x.wav"), "empty-text", 4)


def test_bench_prints_stage_figures_a_baseline_and_a_plot(tmp_path):
    plot = tmp_path / "waterfall.png"
    proc = run("bench", "--clips", str(EVAL_DIR), "--limit", "1", "--runs", "2", "--plot", str(plot), "--json",
               timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["completed"] == 2 and result["hardware"]["cpu_cores"] >= 1
    assert result["models"]["llm"] == {"name": "local:qwen2.5-coder-0.5b-instruct", "runtime": "transformers",
                                       "device": "cpu", "int8": True, "static_cache": False}
    assert result["models"]["stt"]["compute_type"] == "int8"
    streaming, sequential = result["stages_ms"], result["sequential_ms"]
    assert streaming["voice_to_voice"]["n"] == 1 and streaming["voice_to_voice"]["cold"] is not None
    assert sequential["voice_to_voice"]["median"] >= sequential["stt"]["median"]
    # the baseline's turn ends when the silence alone is long enough, never later than the streaming path's
    assert all(0 < s["end_silence"] <= s["end_of_speech_detected"] for s in result["samples"])
    assert sequential["end_of_speech_detected"]["median"] <= streaming["end_of_speech_detected"]["median"]
    assert result["ratio_to_sequential"] > 0
    # the silence inside the warm reply is measured (one turn, so nothing between two replies counts)
    assert result["reply_gap_ms"]["n"] == 1 and 0 <= result["reply_gap_ms"]["median"] < 5000
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_compares_a_vad_setting_clip_by_clip_in_one_process():
    proc = run("bench", "--clips", str(EVAL_DIR), "--limit", "1", "--runs", "2", "--no-baseline", "--json",
               "--compare", "vad.speculative_stt_ms=0", timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    compare = result["compare"]
    assert compare["setting"] == "vad.speculative_stt_ms=0" and compare["pairs"] == 1
    assert set(compare["paired_median_diff_ms"]) >= {"end_of_speech_detected", "stt", "voice_to_voice"}
    (warm,) = [s for s in compare["samples"] if not s["cold"]]
    (base,) = [s for s in result["samples"] if not s["cold"]]
    # the setting took effect: with no transcript made during the silence, the speech is transcribed after the
    # end of turn (tiny.en's encoder alone takes ~27 ms on 3 s of audio here), where the usual settings reuse the
    # transcript made during the silence
    assert warm["stt"] - warm["end_of_speech_detected"] > 25
    assert base["stt"] - base["end_of_speech_detected"] < 15


def test_self_test_runs_a_spoken_turn_on_the_bundled_models():
    proc = run("--self-test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASS") == 4 and "self-test passed" in proc.stdout


def test_self_test_fails_with_the_reason_when_a_model_is_missing(tmp_path):
    proc = run("--self-test", env={"ASSISTANT_STT_MODEL": str(tmp_path / "no-such-model")})
    assert_clean_failure(proc, "model-missing", 3)


def test_the_app_without_a_display_says_so_and_runs_the_demo_turn(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["ASSISTANT_DATA_DIR"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "ui.entry", "-q"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "No display found" in proc.stderr
    assert "capital" in proc.stdout.lower() and "paris" in proc.stdout.lower()
    assert (tmp_path / "demo" / "demo_reply.wav").is_file()


def _piper_16k(text: str) -> np.ndarray:
    from assistant import bootstrap
    from assistant.config import Config
    from assistant.contracts.turns import CancelToken
    from audio.resample import resample

    tts = bootstrap.local_tts(Config())
    tts.load()
    return resample(np.concatenate(list(tts.synthesize(text, cancel=CancelToken(0)))), tts.sample_rate, 16000)


def test_listen_answers_only_what_follows_the_wake_phrase_one_json_line_per_event(tmp_path):
    plain, _ = sf.read(EVAL_DIR / "librispeech_1089-134691-0001.wav", dtype="float32")  # no phrase in it
    gap = np.zeros(24000, np.float32)
    stream = np.concatenate([gap, plain, gap, _piper_16k("Hey assistant, what is the capital of France?"),
                             np.zeros(16000 * 5, np.float32)])
    wav, out = tmp_path / "room.wav", tmp_path / "replies.wav"
    sf.write(wav, stream, 16000)
    proc = run("listen", "--in", str(wav), "--json", "--out", str(out), env={"ASSISTANT_LISTEN_FOLLOW_UP_S": "0"})
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "listening" and "stopped" in kinds  # the answer may end after the file does
    ignored = [e["reason"] for e in events if e["event"] == "ignored"]
    assert ignored and set(ignored) == {"no-wake-phrase"}  # the plain speech (one or more stretches of it)
    (wake,) = [e for e in events if e["event"] == "wake"]
    (transcript,) = [e for e in events if e["event"] == "transcript"]
    (reply,) = [e for e in events if e["event"] == "reply"]
    (ended,) = [e for e in events if e["event"] == "turn_end"]
    assert wake["heard"].lower().startswith("hey") and wake["t"] > events[kinds.index("ignored")]["t"]
    assert normalize(transcript["text"]) == "what is the capital of france"  # the phrase is not part of it
    assert "paris" in reply["text"].lower() and ended["outcome"] == "completed"
    assert kinds.index("wake") < kinds.index("transcript") < kinds.index("reply") < kinds.index("turn_end")
    assert ended["timings_ms"]["end_of_speech_detected"] < ended["timings_ms"]["voice_to_voice"]
    reply_audio, rate = sf.read(out)
    assert len(reply_audio) / rate > 0.5


def test_listen_on_a_missing_file_or_a_bad_setting_fails_cleanly(tmp_path, files):
    assert_clean_failure(run("listen", "--in", str(tmp_path / "nope.wav")), "audio-file-missing", 4)
    assert_clean_failure(run("listen", "--in", str(files["silence"]), env={"ASSISTANT_LISTEN_WAKE_PHRASE": "1 2"}),
                         "config-invalid", 3)


def test_eval_scores_the_real_model_on_the_question_set(tmp_path):
    """`assistant eval` on the bundled model: every answer is scored by the set's own patterns, with its latency."""
    from assistant.answer_eval import load_questions

    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"id": "facts-1", "category": "facts", "question": "What is the capital of France?", "accept": ["paris"],
         "source": "test"},
        {"id": "facts-2", "category": "facts", "question": "What is the capital of France?", "accept": ["madrid"],
         "source": "test: a pattern no right answer matches"},
        {"id": "arithmetic-1", "category": "arithmetic", "question": "What is two plus two?",
         "accept": [r"\b4\b", "four"], "source": "computed"}]) + "\n")
    proc = run("eval", "--questions", str(questions), "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    [result] = out["results"]
    assert out["questions"] == 3 and result["runtime"] == "auto" and result["of"] == 3
    by_id = {q.id: q for q in load_questions(questions)}
    for answer in result["answers"]:
        assert answer["right"] == by_id[answer["id"]].is_right(answer["reply"])
        assert 0 < answer["first_token_ms"] <= answer["reply_ms"] and answer["backend"].startswith("local:")
    right = {a["id"]: a["right"] for a in result["answers"]}
    assert right["facts-1"] and not right["facts-2"] and result["right"] == sum(right.values())
    table = run("eval", "--questions", str(questions), "--category", "arithmetic", timeout=600)
    assert table.returncode == 0 and "/1" in table.stdout and "arithmetic" in table.stdout, table.stderr
    assert_clean_failure(run("eval", "--questions", str(tmp_path / "none.jsonl")), "eval-questions-missing", 4)


def test_eval_requests_scores_the_matcher_and_the_real_model_on_a_request_set(tmp_path):
    """`assistant eval --requests`: each request through the matcher, then the bundled model with the tools that
    fit; a request is right with the expected tool (or none)."""
    requests = tmp_path / "r.jsonl"
    requests.write_text("\n".join(json.dumps(r) for r in [
        {"id": "time", "request": "What time is it?", "tool": "clock.time", "args": {}},
        {"id": "sky", "request": "Why is the sky blue?", "tool": None},
        {"id": "blorps", "request": "Convert 3 blorps to meters", "tool": "units.convert",
         "result": "don't know the unit"}]) + "\n")
    proc = run("eval", "--requests", "--questions", str(requests), "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    [result] = out["results"]
    by_id = {o["id"]: o for o in result["outcomes"]}
    assert by_id["time"]["by"] == "intent" and by_id["time"]["right"] and by_id["time"]["reply"].startswith("It's ")
    assert by_id["sky"]["tool"] is None and by_id["sky"]["right"] and by_id["sky"]["reply"].strip()
    assert by_id["blorps"]["right"] and by_id["blorps"]["tool"] == "units.convert"
    assert result["requests"] == 3 and result["right"] == 3 and result["matcher_answered"] == 2
    alone = run("eval", "--requests", "--questions", str(requests), "--model", "none")
    # the matcher alone: the sky question is still right (no tool called), and no model time is reported
    assert alone.returncode == 0 and alone.stdout.startswith("matcher only: 3/3 right"), alone.stderr
    assert "the model answered" not in alone.stdout
