"""Benchmark: always-listening mode on the real offline models.

Parts (each runnable alone with --only):
  detection    wake-phrase detection rate over every voice and speed (testkit/listen_audio.py), each phrase followed
               by a question in one breath, after a 0.8 s pause, and alone; and a few in noise (10 dB SNR)
  false-wakes  false wakes per hour over the eval clips, the hard negatives (both engines), the same in noise,
               and noise alone (music, typing, door slam, pink/white noise, silence)
  eot          end of turn: end_of_speech_detected over the eval clips (median/p95), and the cut rate on
               questions with an in-sentence pause of 300/500/700 ms
  barge-in     through a private PulseAudio room where the microphone hears the speaker: a long answer, the user
               speaks over it; latency from the user's speech onset to the assistant's voice gone from the room,
               and turns started by the assistant's own voice
  soak         --soak-minutes N of mixed audio played into the live room in real time, RSS and CPU% every 10 s

    .venv/bin/python scripts/bench_listen.py [--only PART] [--json FILE] [--soak-minutes N] [--barge-trials N]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ASSISTANT_CACHE_DIR", str(REPO / ".cache" / "models"))  # the converted LLM, as the tests
os.environ.setdefault("ASSISTANT_DATA_DIR", tempfile.mkdtemp(prefix="bench-listen-data-"))

import numpy as np  # noqa: E402

from testkit import listen_audio as la  # noqa: E402
from testkit.helpers import EventLog, align, normalize, wer  # noqa: E402

TURN_MODEL = "bundled"  # --turn-model: vad.turn_model ("": turns end on silence and words alone)
PARTS = ("detection", "false-wakes", "eot", "barge-in", "soak")
MODEL_EVENTS = ("ModelLoading", "ModelReady", "ModelProgress")
QUESTIONS = ("What is the capital of France?", "What is two plus two?", "What is the capital of Germany?",
             "How many legs does a spider have?", "What is the capital of Italy?",
             "What is the largest planet in our solar system?")


def _pct(values, q: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def _fmt(value, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}"


class Bench:
    """The models, loaded once; a fresh Assistant (own conversation, wake window, turn ids) per trial."""

    def __init__(self) -> None:
        from assistant import bootstrap
        from assistant.config import Config

        base = Config().replace("vad", turn_model=TURN_MODEL)
        t0 = time.monotonic()
        self.stt = bootstrap.local_stt(base)
        self.vad = bootstrap.create_vad(base)
        self.llm = bootstrap.local_llm(base)
        self.tts = bootstrap.local_tts(base)
        self.turn = bootstrap.turn_model(base)  # the end-of-turn model, as the app has it (None: vad.turn_model "")
        for model in (self.stt, self.vad, self.llm, self.tts, self.turn):
            if model is not None:
                model.load()
        self.load_s = time.monotonic() - t0
        log(f"models loaded in {self.load_s:.0f} s")

    def assistant(self, *, sink=None, speak: bool = True, echo=None, short_replies: bool = False, **listen):
        from assistant.config import Config
        from assistant.facade import Assistant

        config = Config().replace("listen", **listen).replace("vad", turn_model=TURN_MODEL)
        if short_replies:  # these parts are about listening: keep the model's answer (and its CPU use) short
            config = config.replace("llm", max_new_tokens=12)
        assistant = Assistant(config, stt=self.stt, vad=self.vad, llm=self.llm, turn=self.turn,
                              tts=self.tts if speak and sink is not None else None, sink=sink, echo=echo)
        events = EventLog()
        assistant.bus.subscribe(events)
        errors = assistant.wait_ready(300)
        if errors:
            raise SystemExit(f"models failed to load: {errors[0].message}")
        return assistant, events


def log(message: str) -> None:
    sys.stderr.write(f"[bench-listen] {message}\n")
    sys.stderr.flush()


def _of(events: EventLog, kind: str) -> list:
    return [e for e in events.items if e.kind == kind]


def _resolved(items) -> bool:
    """Every burst of speech the VAD found has been dealt with."""
    started = sum(e.kind == "SpeechStarted" for e in items)
    done = sum(e.kind in ("SpeechIgnored", "SpeechDiscarded", "SpeechEnded") or
               (e.kind == "AwaitingQuestion" and e.reason == "wake") for e in items)
    return done >= started


def _feed_and_settle(assistant, events: EventLog, samples: np.ndarray, *, realtime: bool, wake: bool = True,
                     lead_s: float = 0.3, timeout: float = 120.0):
    """Play a stream in and wait until everything it started is over. Returns (source, t_offset0): the file
    clock's time of the stream's first sample."""
    from assistant import bootstrap

    source = bootstrap.adapters().audio.file_source(la.pad(samples, lead_s), realtime=realtime)
    listener = assistant.listen(source, wake=wake)
    listener.done.wait(timeout + len(samples) / la.RATE)
    events.until(_resolved, timeout)
    for ended in _of(events, "SpeechEnded"):
        assistant.wait_turn(ended.turn_id, timeout)
    t0 = source.fed[0].t_start + lead_s if source.fed else 0.0
    return source, t0


# --- (a) detection -----------------------------------------------------------------------------------------


def part_detection(bench: Bench) -> dict:
    cases = []
    for i, voice in enumerate(la.voices()):
        question = QUESTIONS[i % len(QUESTIONS)]
        for label, samples in la.wake_and_question(question, [voice]):
            cases.append((label, samples, question))
        cases.append((f"{voice.label}/alone", la.say(la.WAKE_PHRASE, voice), ""))
    noisy = []
    for voice in (la.PIPER, la.ESPEAK):
        question = "What is the capital of France?"
        [(label, samples)] = la.wake_and_question(question, [voice], forms=("breath",))
        for kind, noise in (("pink", la.pink_noise(8.0)), ("music", la.music(8.0)), ("typing", la.typing(8.0))):
            noisy.append((f"{label}+{kind}@10dB", la.mix(la.pad(samples, 0.5, 0.5), noise, 10.0), question))
    rows = []
    for label, samples, question in cases + noisy:
        assistant, events = bench.assistant(short_replies=True, follow_up_s=0.0)
        try:
            _feed_and_settle(assistant, events, samples, realtime=True)
        finally:
            assistant.shutdown()
        wakes = _of(events, "WakeDetected")
        transcripts = _of(events, "TranscriptFinal")
        if question:
            ok = bool(wakes) and len(transcripts) == 1
            heard_right = ok and wer([question], [transcripts[0].text]) <= 0.25
            leaked = ok and "assistant" in normalize(transcripts[0].text)
        else:
            ok = bool(wakes) and any(e.reason == "wake" for e in _of(events, "AwaitingQuestion"))
            heard_right, leaked = ok, False
        rows.append({"case": label, "detected": ok, "question_heard": heard_right, "phrase_in_question": leaked,
                     "wakes": len(wakes), "turns": len(transcripts),
                     "heard": [w.heard for w in wakes], "transcripts": [t.text for t in transcripts],
                     "ignored": [e.reason for e in _of(events, "SpeechIgnored")],
                     "in_noise": "@10dB" in label})
        log(f"detection {label}: {'ok' if ok else 'MISSED'} {rows[-1]['transcripts'] or rows[-1]['ignored']}")

    def rate(selected):
        return (sum(r["detected"] for r in selected), len(selected))

    clean = [r for r in rows if not r["in_noise"]]
    by_form = {form: rate([r for r in clean if r["case"].endswith("/" + form)])
               for form in ("breath", "pause", "alone")}
    asked = [r for r in clean if not r["case"].endswith("/alone")]
    return {"rows": rows, "by_form": by_form, "clean": rate(clean),
            "in_noise": rate([r for r in rows if r["in_noise"]]),
            "question_heard": (sum(r["question_heard"] for r in asked), len(asked))}


# --- (b) false wakes ---------------------------------------------------------------------------------------


def _false_wake_groups() -> list[tuple[str, list[tuple[str, np.ndarray]]]]:
    negatives = la.hard_negatives()
    beds = [("pink", la.pink_noise(10.0, seed=11)), ("music", la.music(10.0, seed=12)),
            ("typing", la.typing(10.0, seed=13))]
    in_noise = [(f"{label}+{beds[i % 3][0]}@10dB", la.mix(s, beds[i % 3][1], 10.0))
                for i, (label, s) in enumerate(x for x in negatives if "piper" in x[0])]
    noise = [(label, s) for label, s in la.noises(10.0)]
    noise += [("music-2", la.music(10.0, seed=21, bpm=90)), ("typing-2", la.typing(10.0, seed=22)),
              ("door-slam-2", la.door_slam(10.0, seed=23, at_s=2.0))]
    return [("eval clips", la.eval_speech()), ("hard negatives", [x for x in negatives if x[0].startswith("hard/")]),
            ("ordinary sentences", [x for x in negatives if x[0].startswith("ordinary/")]),
            ("negatives in noise", in_noise), ("noise", noise)]


def part_false_wakes(bench: Bench) -> dict:
    gap = 1.0
    groups = []
    for name, clips in _false_wake_groups():
        stream = la.concat([s for _, s in clips], gap)
        assistant, events = bench.assistant(speak=False, short_replies=True, follow_up_s=0.0)
        t_start = time.monotonic()
        try:
            _, t0 = _feed_and_settle(assistant, events, stream, realtime=False, timeout=600)
        finally:
            assistant.shutdown()
        ends = np.cumsum([len(s) / la.RATE + gap for _, s in clips])

        def clip_at(t: float, clips=clips, ends=ends, t0=t0) -> str:
            return clips[min(int(np.searchsorted(ends, t - t0)), len(clips) - 1)][0]

        wakes = [{"clip": clip_at(w.t_speech_start), "heard": w.heard, "score": w.score}
                 for w in _of(events, "WakeDetected")]
        ignored = [e.reason for e in _of(events, "SpeechIgnored")]
        groups.append({"group": name, "clips": len(clips), "seconds": round(len(stream) / la.RATE, 1),
                       "false_wakes": wakes, "turns": len(_of(events, "TranscriptFinal")),
                       "transcripts": [e.text for e in _of(events, "TranscriptFinal")],
                       "speech_bursts": len(_of(events, "SpeechStarted")),
                       "ignored_no_wake_phrase": ignored.count("no-wake-phrase"),
                       "ignored_no_words": ignored.count("no-words"), "wall_s": round(time.monotonic() - t_start)})
        log(f"false wakes, {name}: {len(wakes)} in {groups[-1]['seconds']} s {wakes}")
    seconds = sum(g["seconds"] for g in groups)
    wakes = sum(len(g["false_wakes"]) for g in groups)
    turns = sum(g["turns"] for g in groups)
    return {"groups": groups, "seconds": seconds, "false_wakes": wakes, "turns": turns,
            "per_hour": wakes / (seconds / 3600), "turns_per_hour": turns / (seconds / 3600)}


# --- (c) end of turn ---------------------------------------------------------------------------------------


def part_eot(bench: Bench) -> dict:
    # The eval clips, each a turn in push-to-talk-free listening (wake=False: the same segmenter decides).
    clips = []
    assistant, events = bench.assistant(speak=False, short_replies=True, follow_up_s=0.0)
    try:
        for label, samples in la.eval_speech():
            with events._cond:  # a fresh log per clip (the previous one is over)
                events.items.clear()
            _, t0 = _feed_and_settle(assistant, events, samples, realtime=True, wake=False)
            ended = [e for e in _of(events, "TurnEnded") if "end_of_speech_detected" in e.timings_ms]
            speech_ends = _of(events, "SpeechEnded")
            if not ended or not speech_ends:
                clips.append({"clip": label, "turns": 0})
                continue
            last_end, last = speech_ends[-1], next(e for e in ended if e.turn_id == speech_ends[-1].turn_id)
            detected_ms = last.timings_ms["end_of_speech_detected"]
            t_detected = last_end.t_speech_end + detected_ms / 1000
            after_last_ms = (t_detected - (t0 + la.speech_spans(samples, 0.01)[1])) * 1000
            clips.append({"clip": label, "turns": len(speech_ends), "end_of_speech_detected_ms": detected_ms,
                          "after_last_loud_sample_ms": round(after_last_ms)})
    finally:
        assistant.shutdown()
    marks = [c["end_of_speech_detected_ms"] for c in clips if c["turns"]]
    truth = [c["after_last_loud_sample_ms"] for c in clips if c["turns"]]
    log(f"eot over the eval clips: median {_pct(marks, 50)} ms, p95 {_pct(marks, 95)} ms")

    # Questions with a pause inside, after the phrase in the same breath, in wake mode.
    paused = []
    for pause in (0.3, 0.5, 0.7):
        for voice in (la.PIPER, la.ESPEAK):
            for first, rest in la.PAUSED_QUESTIONS:
                stream = la.question_with_pause(first, rest, pause, voice)
                assistant, events = bench.assistant(speak=False, short_replies=True, follow_up_s=0.0)
                try:
                    _feed_and_settle(assistant, events, stream, realtime=True)
                finally:
                    assistant.shutdown()
                transcripts = [e.text for e in _of(events, "TranscriptFinal")]
                last_word = normalize(rest).split()[-1]
                # whole: one question holding both halves; cut: a question was taken without the second half
                # (answered as it stood, the rest heard separately, ignored or lost); missed: no wake at all
                whole = len(transcripts) == 1 and last_word in normalize(transcripts[0])
                outcome = "whole" if whole else "cut" if transcripts else "missed"
                paused.append({"pause_ms": int(pause * 1000), "voice": voice.label, "question": f"{first} {rest}",
                               "outcome": outcome, "transcripts": transcripts,
                               "speech_ends": len(_of(events, "SpeechEnded")),
                               "wakes": len(_of(events, "WakeDetected")),
                               "ignored": [e.reason for e in _of(events, "SpeechIgnored")],
                               "barged_in": len(_of(events, "BargedIn"))})
                log(f"eot pause {pause * 1000:.0f} ms {voice.label}: {outcome} {transcripts} {paused[-1]['ignored']}")
    cut_rate = {}
    for pause in (300, 500, 700):
        rows = [p for p in paused if p["pause_ms"] == pause]
        cut_rate[pause] = {k: sum(p["outcome"] == k for p in rows) for k in ("whole", "cut", "missed")}
        cut_rate[pause]["n"] = len(rows)
    return {"clips": clips, "median_ms": _pct(marks, 50), "p95_ms": _pct(marks, 95),
            "median_after_last_sample_ms": _pct(truth, 50), "p95_after_last_sample_ms": _pct(truth, 95),
            "clips_split": sum(1 for c in clips if c["turns"] > 1),
            "clips_without_turn": sum(1 for c in clips if not c["turns"]),
            "paused": paused, "cut_rate": cut_rate}


# --- the PulseAudio room -----------------------------------------------------------------------------------


class Room:
    """A private PulseAudio (testkit/pulse.py): the app's speaker plays into va_sink, whose monitor the app's
    microphone va_mic hears, so the reply's own echo is in the microphone; the user plays into va_sink too."""

    def __init__(self) -> None:
        from testkit.pulse import PulseAudio

        self.root = Path(tempfile.mkdtemp(prefix="bench-listen-pulse-"))
        self.pulse = PulseAudio(self.root)

    def __enter__(self) -> Room:
        self.pulse.start()
        return self

    def __exit__(self, *exc) -> None:
        import shutil

        from testkit.pulse import refresh_portaudio

        self.pulse.stop()
        refresh_portaudio()
        shutil.rmtree(self.root, ignore_errors=True)

    def start_app(self, bench: Bench, **listen):
        from assistant import bootstrap

        sink = bootstrap.adapters().audio.speaker()  # as the app: keeps what it played, for the echo canceller
        echo = bootstrap.echo_canceller(sink)
        if echo is None:
            raise SystemExit("the speaker keeps no playback reference: the app would run half duplex")
        assistant, events = bench.assistant(sink=sink, echo=echo, **listen)
        mic = bootstrap.adapters().audio.microphone()
        assistant.listen(mic, wake=True)  # the listener's thread opens the microphone: wait until sound flows
        if not events.until(lambda items: any(e.kind == "ListeningStarted" for e in items), 30) \
                or not mic.wait_receiving(10):
            raise SystemExit("the microphone delivered nothing within 10 s")
        return assistant, events, sink, mic

    def play(self, samples: np.ndarray) -> float:
        """Play into the room (blocks until played); returns the monotonic time playing began."""
        t = time.monotonic()
        self.pulse.play_into_mic(samples, la.RATE)
        return t


def _frame_rms(x: np.ndarray, frame: int = 160) -> np.ndarray:
    n = len(x) // frame
    return np.sqrt((x[: n * frame].reshape(n, frame) ** 2).mean(axis=1)) if n else np.zeros(0)


# --- (d) barge-in ------------------------------------------------------------------------------------------


def part_barge_in(bench: Bench, trials: int) -> dict:
    story = la.concat([la.say(la.WAKE_PHRASE), la.say("Tell me a long story about a dragon.")], 0.8)
    users = [la.Voice("espeak", "en-us", 175), la.PIPER, la.Voice("espeak", "en-gb", 160),
             la.Voice("piper", "joe", 1.25)]
    results, control = [], {}
    with Room() as room:
        assistant, events, sink, mic = room.start_app(bench)
        recorder = room.pulse.record()
        t_rec0 = time.monotonic()  # the recording's first sample, to within its ~20 ms latency
        try:
            # Control: a long answer played to its end, and the follow-up window after it, with nobody talking.
            mark = len(events.items)
            room.play(la.pad(story, 0.3))
            assert events.until(lambda items: any(e.kind == "TurnEnded" for e in items[mark:]), 180), "no answer"
            follow = assistant.config.listen.follow_up_s
            time.sleep(follow + 1.5)
            after = events.items[mark:]
            control = {"transcripts": [e.text for e in after if e.kind == "TranscriptFinal"],
                       "barged_in": sum(e.kind == "BargedIn" for e in after),
                       "speech_bursts_while_speaking": sum(e.kind == "SpeechStarted" for e in after) - 2,
                       "wakes": sum(e.kind == "WakeDetected" for e in after)}
            log(f"barge-in control (reply played to its end): {control}")

            for trial in range(trials):
                voice = users[trial % len(users)]
                question = QUESTIONS[trial % 3]
                user = la.say(f"Hey assistant, {question[0].lower()}{question[1:]}", voice)
                mark = len(events.items)
                room.play(la.pad(story, 0.3))
                if not events.until(lambda items, m=mark: any(e.kind == "SpeakingStarted" for e in items[m:]), 120):
                    results.append({"trial": trial, "error": "the story was not answered"})
                    continue
                time.sleep(1.0 + (0.7 * trial) % 2.0)  # into the story, at a different point each trial
                rec_mark = len(recorder.audio())
                t_user = room.play(user)
                got = events.until(lambda items, m=mark: sum(e.kind == "TurnEnded" for e in items[m:]) >= 2, 120)
                time.sleep(0.5)
                # wait for the second reply to have played, then for the follow-up window to close
                if got:
                    until = sink.playing_until
                    time.sleep(max(0.0, until - time.monotonic()) + assistant.config.listen.follow_up_s + 1.0)
                after = events.items[mark:]
                rec = recorder.audio()[rec_mark:]
                results.append(_barge_trial(trial, voice, question, user, rec, rec_mark, t_rec0, t_user, after,
                                            sink.latency))
                log(f"barge-in trial {trial} ({voice.label}): {json.dumps(results[-1], default=str)[:400]}")
        finally:
            recorder.stop()
            assistant.shutdown()
            mic.stop()
            sink.close()
    ok = [r for r in results if r.get("room_latency_ms") is not None]
    room_ms = [r["room_latency_ms"] for r in ok]
    app_ms = [r["app_latency_ms"] for r in results if r.get("app_latency_ms") is not None]
    # the control's one question is the user's; anything more was started by the assistant's own voice
    self_turns = sum(r.get("self_turns", 0) for r in results) + max(0, len(control.get("transcripts", [])) - 1)
    return {"trials": results, "control": control, "room_median_ms": _pct(room_ms, 50),
            "room_max_ms": max(room_ms) if room_ms else None, "app_median_ms": _pct(app_ms, 50),
            "app_max_ms": max(app_ms) if app_ms else None, "self_turns": self_turns,
            "barged": sum(1 for r in results if r.get("barged_in")),
            "answered": sum(1 for r in results if r.get("answered")),
            "n": len(results)}


def _barge_trial(trial, voice, question, user, rec, rec_mark, t_rec0, t_user, after, output_latency) -> dict:
    kinds = [e.kind for e in after]
    barged = [e for e in after if e.kind == "BargedIn"]
    transcripts = [e for e in after if e.kind == "TranscriptFinal"]
    ended = [e for e in after if e.kind == "TurnEnded"]
    answered = any(wer([question], [t.text]) <= 0.25 for t in transcripts)
    row = {"trial": trial, "user_voice": voice.label, "barged_in": bool(barged), "answered": answered,
           "outcomes": [e.outcome for e in ended], "transcripts": [t.text for t in transcripts],
           "self_turns": max(0, len(transcripts) - 2), "self_barge_ins": max(0, len(barged) - 1),
           "events": [k for k in kinds if k not in MODEL_EVENTS and k != "ReplyDelta"][:40]}
    # The room: subtract the user's clip, aligned in the recording, and see when the assistant's voice is gone.
    window = rec[: int((len(user) / la.RATE + 8) * la.RATE)]
    lag, gain, corr = align(user, window)
    row["alignment"] = {"correlation": round(corr, 3), "gain": round(gain, 3)}
    residual = window.copy()
    n = min(len(user), len(residual) - lag)
    residual[lag: lag + n] -= gain * user[:n]
    onset = lag + int(la.speech_spans(user)[0] * la.RATE)
    speaking2 = [e for e in after if e.kind == "SpeakingStarted"][1:]
    # the second answer's audio starts here (on the recording's clock, to ~20 ms)
    end_idx = int((speaking2[0].t - t_rec0) * la.RATE) - rec_mark if speaking2 else len(residual)
    end_idx = max(onset, min(end_idx, len(residual)))
    frame = 160
    rms = _frame_rms(residual[:end_idx], frame)
    floor = 0.003  # about -50 dBFS: the reply was at -10..-20 dBFS
    before = rms[max(0, onset // frame - 20): onset // frame]
    row["reply_playing_at_onset"] = bool(len(before) and before.max() > 10 * floor)
    loud_after = np.flatnonzero(rms[onset // frame:] > floor)
    if barged and corr > 0.9 and row["reply_playing_at_onset"]:
        gone = (onset // frame + (loud_after[-1] + 1 if len(loud_after) else 0)) * frame
        row["room_latency_ms"] = round((gone - onset) / la.RATE * 1000)
    if barged:
        t_onset_mono = t_rec0 + (rec_mark + onset) / la.RATE
        row["app_detect_ms"] = round((barged[0].t - barged[0].t_speech_start) * 1000)
        row["app_latency_ms"] = round((barged[0].t - barged[0].t_speech_start + output_latency) * 1000)
        row["vad_onset_vs_room_onset_ms"] = round((barged[0].t_speech_start - t_onset_mono) * 1000)
        row["t_play_to_onset_ms"] = round((t_onset_mono - t_user) * 1000)
    return row


# --- (e) soak ----------------------------------------------------------------------------------------------


class Sampler(threading.Thread):
    """RSS and CPU% of this process every ``every_s``; each sample tagged with the driver's phase."""

    def __init__(self, phase, every_s: float = 10.0) -> None:
        super().__init__(name="soak-sampler", daemon=True)
        self.phase, self.every_s = phase, every_s
        self.samples: list[dict] = []
        self._halt = threading.Event()  # not _stop: threading.Thread has a _stop of its own
        try:
            import psutil

            self._proc = psutil.Process()
            self._proc.cpu_percent(None)
        except ImportError:
            self._proc = None
            self._last = self._proc_times()

    @staticmethod
    def _proc_times() -> tuple[float, float, int]:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        rss = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        return time.monotonic(), (int(fields[11]) + int(fields[12])) / ticks, rss

    def run(self) -> None:
        while not self._halt.wait(self.every_s):
            phase_at_start = self.phase.history_since(time.monotonic() - self.every_s)
            if self._proc is not None:
                cpu, rss = self._proc.cpu_percent(None), self._proc.memory_info().rss
            else:
                now = self._proc_times()
                cpu = 100 * (now[1] - self._last[1]) / (now[0] - self._last[0])
                rss, self._last = now[2], now
            self.samples.append({"t": time.monotonic(), "rss_mb": rss / 2 ** 20, "cpu": cpu,
                                 "idle": phase_at_start == {"silence"}})

    def stop(self) -> None:
        self._halt.set()


class Phase:
    """What the soak driver is doing now, and since when (for tagging the samples)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._log: list[tuple[float, str]] = []

    def set(self, name: str) -> None:
        with self._lock:
            self._log.append((time.monotonic(), name))

    def history_since(self, t: float) -> set[str]:
        with self._lock:
            names = {n for ts, n in self._log if ts >= t}
            before = [n for ts, n in self._log if ts < t]
            if before:
                names.add(before[-1])
            return names


def _rss_slope(samples: list[dict]) -> float | None:
    """MB per hour over the second half of the samples (after the warm-up)."""
    if len(samples) < 6:
        return None
    half = samples[len(samples) // 2:]
    t = np.array([s["t"] for s in half]) / 3600
    return float(np.polyfit(t - t[0], [s["rss_mb"] for s in half], 1)[0])


def part_soak(bench: Bench, minutes: float) -> dict:
    rng = np.random.default_rng(7)
    plain = la.plain_speech()
    noises = [n for n in la.noises(10.0) if n[0] != "silence"]
    asks = [(q, la.wake_and_question(q, [v], forms=("breath", "pause"))) for q, v in
            zip(QUESTIONS, la.voices()[::2], strict=False)]
    phase = Phase()
    counts = {"wake_questions": 0, "plain_clips": 0, "noise_clips": 0, "silence_s": 0.0}
    with Room() as room:
        assistant, events, sink, mic = room.start_app(bench)
        sampler = Sampler(phase)
        t_end = time.monotonic() + minutes * 60
        sampler.start()
        step = 0
        try:
            while time.monotonic() < t_end:
                kind = ("ask", "plain", "noise", "silence")[step % 4]
                step += 1
                if kind == "ask":
                    _, forms = asks[int(rng.integers(len(asks)))]
                    _, samples = forms[int(rng.integers(len(forms)))]
                    phase.set("ask")
                    mark = len(events.items)
                    room.play(la.pad(samples, 0.3, 0.3))
                    counts["wake_questions"] += 1
                    events.until(lambda items, m=mark: any(e.kind == "TurnEnded" for e in items[m:]), 90)
                    time.sleep(max(0.0, sink.playing_until - time.monotonic()) + assistant.config.listen.follow_up_s)
                elif kind == "plain":
                    phase.set("plain")
                    for _ in range(3):
                        _, samples = plain[int(rng.integers(len(plain)))]
                        room.play(la.pad(samples, 0.5, 0.5))
                        counts["plain_clips"] += 1
                elif kind == "noise":
                    phase.set("noise")
                    _, samples = noises[int(rng.integers(len(noises)))]
                    room.play(samples)
                    counts["noise_clips"] += 1
                else:
                    phase.set("silence")
                    seconds = min(60.0, max(0.0, t_end - time.monotonic()))
                    time.sleep(seconds)
                    counts["silence_s"] += seconds
        finally:
            sampler.stop()
            sampler.join(15)
            assistant.shutdown()
            mic.stop()
            sink.close()
    samples = sampler.samples
    rss = [s["rss_mb"] for s in samples]
    cpu = [s["cpu"] for s in samples]
    idle = [s["cpu"] for s in samples if s["idle"]]
    slope = _rss_slope(samples)
    # At rest (samples taken in silence): a turn's own peak is not growth
    resting = [s for s in samples if s["idle"]]
    rest_rss = [s["rss_mb"] for s in resting]
    return {"minutes": minutes, "samples": samples, "counts": counts,
            "rss_start_mb": rss[0] if rss else None, "rss_end_mb": rss[-1] if rss else None,
            "rss_max_mb": max(rss) if rss else None, "rss_slope_mb_per_h": slope,
            "rss_rest_first_mb": rest_rss[0] if rest_rss else None,
            "rss_rest_last_mb": rest_rss[-1] if rest_rss else None,
            "rss_rest_slope_mb_per_h": _rss_slope(resting),
            "cpu_median": _pct(cpu, 50), "cpu_idle_median": _pct(idle, 50), "cpu_idle_max": max(idle) if idle else None,
            "wakes": len(_of(events, "WakeDetected")), "turns": len(_of(events, "TranscriptFinal")),
            "barge_ins": len(_of(events, "BargedIn")), "barge_in_context": _barge_in_context(events),
            "errors": [e.code for e in _of(events, "ErrorOccurred")]}


def _barge_in_context(events: EventLog) -> list[dict]:
    """What was going on around each barge-in of the soak (whose only talker asks and then waits): whether the reply
    was playing, and what was heard next, to tell the user's own speech from the assistant's echo."""
    items = [e for e in events.items if e.kind not in MODEL_EVENTS and e.kind != "ReplyDelta"]
    out = []
    for i, e in enumerate(items):
        if e.kind != "BargedIn":
            continue
        before, after = items[max(0, i - 12): i], items[i + 1: i + 10]
        spoke = [b for b in items[:i] if b.kind == "SpeakingStarted" and getattr(b, "turn_id", None) == e.turn_id]
        out.append({"turn_id": e.turn_id, "before": [b.kind for b in before], "after": [a.kind for a in after],
                    "speaking": bool(spoke),
                    # how far into the reply's sound the speech that barged in began
                    "into_reply_ms": round((e.t_speech_start - spoke[0].t) * 1000) if spoke else None,
                    "heard_next": [a.text if a.kind == "TranscriptFinal" else f"too short ({a.duration:.2f} s)"
                                   for a in after if a.kind in ("TranscriptFinal", "SpeechDiscarded")]})
    return out


# --- report ------------------------------------------------------------------------------------------------


def print_report(results: dict) -> None:
    out = []
    add = out.append
    if "detection" in results:
        d = results["detection"]
        add("(a) wake-phrase detection (11 voices: Piper joe x3 rates, espeak-ng x4 voices x2 speeds)")
        for form, (k, n) in d["by_form"].items():
            add(f"    {form:<28} {k}/{n}  {100 * k / max(1, n):.0f}%")
        k, n = d["clean"]
        add(f"    {'all, clean':<28} {k}/{n}  {100 * k / max(1, n):.0f}%")
        k, n = d["in_noise"]
        add(f"    {'in noise (10 dB SNR)':<28} {k}/{n}")
        k, n = d["question_heard"]
        add(f"    {'question transcribed (WER<=.25)':<28} {k}/{n}")
        missed = [r["case"] for r in d["rows"] if not r["detected"]]
        if missed:
            add(f"    missed: {', '.join(missed)}")
    if "false-wakes" in results:
        f = results["false-wakes"]
        add(f"(b) false wakes: {f['false_wakes']} in {f['seconds'] / 60:.1f} min of audio = {f['per_hour']:.1f}/h "
            f"(turns started: {f['turns']} = {f['turns_per_hour']:.1f}/h)")
        for g in f["groups"]:
            add(f"    {g['group']:<20} {g['clips']:>3} clips {g['seconds']:>6.1f} s  wakes {len(g['false_wakes'])}  "
                f"turns {g['turns']}  bursts {g['speech_bursts']}  ignored: no-phrase {g['ignored_no_wake_phrase']}, "
                f"no-words {g['ignored_no_words']}")
            for w in g["false_wakes"]:
                add(f"        FALSE WAKE {w['clip']}: heard {w['heard']!r} (score {w['score']})")
    if "eot" in results:
        e = results["eot"]
        add(f"(c) end of turn over the eval clips: end_of_speech_detected median {_fmt(e['median_ms'], ' ms')}, "
            f"p95 {_fmt(e['p95_ms'], ' ms')}; after the last loud sample median "
            f"{_fmt(e['median_after_last_sample_ms'], ' ms')}, p95 {_fmt(e['p95_after_last_sample_ms'], ' ms')}; "
            f"clips split into >1 turn: {e['clips_split']}/{len(e['clips'])}")
        for pause, c in e["cut_rate"].items():
            woke = c["whole"] + c["cut"]
            add(f"    in-sentence pause {pause} ms: cut {c['cut']}/{woke} (of those that woke), whole {c['whole']}, "
                f"wake missed {c['missed']}, of {c['n']}")
    if "barge-in" in results:
        b = results["barge-in"]
        add(f"(d) barge-in through the PulseAudio room ({b['n']} trials): barged in {b['barged']}/{b['n']}, "
            f"second question answered {b['answered']}/{b['n']}")
        add(f"    user onset -> assistant's voice gone from the room: median {_fmt(b['room_median_ms'], ' ms')}, "
            f"max {_fmt(b['room_max_ms'], ' ms')}")
        add(f"    app side (BargedIn - VAD onset + output latency): median {_fmt(b['app_median_ms'], ' ms')}, "
            f"max {_fmt(b['app_max_ms'], ' ms')}")
        add(f"    turns started by its own voice: {b['self_turns']}; control (reply played out): {b['control']}")
    if "soak" in results:
        s = results["soak"]
        add(f"(e) soak {s['minutes']} min: RSS start {_fmt(s['rss_start_mb'], ' MB')}, "
            f"end {_fmt(s['rss_end_mb'], ' MB')}, max {_fmt(s['rss_max_mb'], ' MB')}, "
            f"slope {_fmt(s['rss_slope_mb_per_h'], ' MB/h', 1)}; at rest {_fmt(s['rss_rest_first_mb'], ' MB')} -> "
            f"{_fmt(s['rss_rest_last_mb'], ' MB')}, slope {_fmt(s['rss_rest_slope_mb_per_h'], ' MB/h', 1)}; CPU median "
            f"{_fmt(s['cpu_median'], '%', 1)}, idle median {_fmt(s['cpu_idle_median'], '%', 1)} "
            f"(max {_fmt(s['cpu_idle_max'], '%', 1)}); wakes {s['wakes']}, turns {s['turns']}, "
            f"barge-ins {s['barge_ins']}; played {s['counts']}")
        for b in s["barge_in_context"]:
            when = f"while it spoke, {b['into_reply_ms']} ms into it" if b["speaking"] else "before it spoke"
            add(f"    barge-in on turn {b['turn_id']} ({when}): "
                f"before {b['before'][-6:]}, after {b['after'][:6]}, heard next {b['heard_next']}")
    print("\n".join(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part (repeatable)")
    parser.add_argument("--json", metavar="FILE", help="also write every measurement to FILE")
    parser.add_argument("--soak-minutes", type=float, default=0.0, help="length of the soak run (0: skip it)")
    parser.add_argument("--barge-trials", type=int, default=4)
    parser.add_argument("--turn-model", default="bundled", metavar="SETTING",
                        help='vad.turn_model: the end-of-turn model (default: the app\'s, "bundled"; "": none)')
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    global TURN_MODEL
    TURN_MODEL = args.turn_model
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    parts = args.only or [p for p in PARTS if p != "soak" or args.soak_minutes > 0]
    if "soak" in parts and args.soak_minutes <= 0:
        parser.error("--only soak needs --soak-minutes N")
    bench = Bench()
    results: dict = {"models_load_s": round(bench.load_s, 1)}
    for part in parts:
        t0 = time.monotonic()
        log(f"--- {part}")
        if part == "detection":
            results[part] = part_detection(bench)
        elif part == "false-wakes":
            results[part] = part_false_wakes(bench)
        elif part == "eot":
            results[part] = part_eot(bench)
        elif part == "barge-in":
            results[part] = part_barge_in(bench, args.barge_trials)
        else:
            results[part] = part_soak(bench, args.soak_minutes)
        results[part]["wall_s"] = round(time.monotonic() - t0)
        if args.json:  # after every part: a later part that fails leaves the earlier figures
            Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print_report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
