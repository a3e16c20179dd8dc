"""The wake phrase matcher, the follow-up window and the always-listening orchestration, with scripted parts.
The real models run the same paths in tests/integration/test_always_listening.py."""

import queue
import threading
import time

import numpy as np
import pytest

from assistant.bus import EventBus
from assistant.config import Config, ListenConfig
from assistant.contracts.errors import ConfigError, ModelError
from assistant.contracts.events import (
    AwaitingQuestion,
    BargedIn,
    ErrorOccurred,
    SpeakingStarted,
    SpeechIgnored,
    TranscriptFinal,
    TurnEnded,
    WakeDetected,
)
from assistant.contracts.types import SAMPLE_RATE, Segment, Transcript, Utterance
from assistant.facade import Assistant
from assistant.pipeline.listening import Listen, ListeningController, Spotted
from assistant.pipeline.turns import TurnTracker
from assistant.pipeline.wake import WakeMatch, WakePhrase, WakeWindow
from audio.sinks import RecordingSink
from testkit.fakes import EnergyVAD, ScriptedLLM, ToneTTS, speech_like
from testkit.helpers import EventLog, wait_until
from tests.unit.test_listener import LiveSource


@pytest.mark.parametrize("heard, question", [
    ("Hey Assistant!", ""),
    ("Hey, assistant, what is the capital of France?", "what is the capital of France?"),
    ("hey assistance what time is it", "what time is it"),
    ("Okay, hey assistant. What time is it?", "What time is it?"),
    ("Hay assistant, play some music.", "play some music."),
])
def test_the_phrase_is_found_loosely_and_the_question_after_it_kept(heard, question):
    match = WakePhrase("hey assistant").match(heard)
    assert match is not None and match.question == question and match.score >= 0.8


@pytest.mark.parametrize("heard", [
    "the assistant said hello", "My assistant will call you back.", "Hey, did you see the game?", "assistant",
    "Hey, this is...", "", "I told him, hey assistant, later.",
])
def test_speech_without_the_phrase_at_its_start_is_not_a_wake(heard):
    assert WakePhrase("hey assistant").match(heard) is None


def test_sensitivity_moves_the_threshold():
    assert WakePhrase("hey assistant", 0.0).match("hay assistants") is None
    assert WakePhrase("hey assistant", 1.0).match("hay assistants") is not None
    assert WakePhrase("computer").match("Computer, lights on.").question == "lights on."
    assert WakePhrase("hey assistant").prompt == "Hey Assistant"


@pytest.mark.parametrize("phrase", ["", "   ", "1 2 3", "one two three four five six"])
def test_a_bad_wake_phrase_is_refused_with_the_reason(phrase):
    with pytest.raises(ConfigError, match=r"listen\.wake_phrase"):
        Config().replace("listen", wake_phrase=phrase)


def test_the_window_opens_extends_and_closes():
    now = [100.0]
    window = WakeWindow(clock=lambda: now[0])
    assert not window.is_open()
    window.open(5)
    window.open(2)  # never shortened by a shorter opening
    now[0] = 104.9
    assert window.is_open()
    now[0] = 105.1
    assert not window.is_open()
    window.open(1)
    window.close()
    assert not window.is_open()


class SequenceSTT:
    """Hears the given transcripts, one per utterance; remembers the prompts it was given."""

    name = "sequence-stt"
    device, compute_type, beam_size = "cpu", "n/a", 0

    def __init__(self, *texts):
        self.texts, self.prompts, self.seconds = list(texts), [], []

    def load(self, progress=None):
        pass

    def transcribe(self, audio, *, language=None, prompt=""):
        self.prompts.append(prompt)
        self.seconds.append(len(audio) / SAMPLE_RATE)
        return Transcript(self.texts.pop(0) if self.texts else "", "en", (), len(audio) / SAMPLE_RATE)


def _wake_assistant(stt, llm_delay=0.02, **listen):
    config = Config().replace("listen", **listen).replace("vad", speculative_stt_ms=0)
    sink = RecordingSink(realtime=True)
    llm = ScriptedLLM(pieces=["It", " is", " Paris."] + [" more"] * 40, delay=llm_delay)
    assistant = Assistant(config, stt=stt, llm=llm, tts=ToneTTS(seconds_per_word=0.1), vad=EnergyVAD(), sink=sink)
    log = EventLog()
    assistant.bus.subscribe(log)
    source = LiveSource()
    source.hears_speaker = False  # like a file: no room between the speaker and this source
    source.t = time.monotonic()  # the wake window runs on the monotonic clock, as a real source's stamps do
    assistant.listen(source, wake=True)
    return assistant, source, log, llm


def _listening_assistant(stt, pieces, spotter=None, speculative_stt_ms=0, **listen):
    """An assistant listening for the phrase on a LiveSource, text replies only; returns it, the source, the log."""
    config = Config().replace("listen", **listen).replace("vad", speculative_stt_ms=speculative_stt_ms)
    assistant = Assistant(config, stt=stt, llm=ScriptedLLM(pieces=pieces), vad=EnergyVAD(), spotter=spotter)
    log = EventLog()
    assistant.bus.subscribe(log)
    source = LiveSource()
    source.hears_speaker = False
    source.t = time.monotonic()
    assistant.listen(source, wake=True)
    return assistant, source, log


def _say(source, seconds=0.6, pause=0.8):
    source.feed(speech_like(seconds))
    source.feed(np.zeros(int(pause * SAMPLE_RATE), np.float32))


def test_only_speech_that_starts_with_the_phrase_is_answered():
    stt = SequenceSTT("The weather was nice.", "Hey assistant, what is the capital of France?")
    assistant, source, log, llm = _wake_assistant(stt, follow_up_s=0.0)
    _say(source)
    log.wait_for(SpeechIgnored, 5)
    assert not log.of(TurnEnded) and llm.calls == 0 and not log.of(ErrorOccurred)
    _say(source)
    assert log.wait_for(WakeDetected, 5).heard == "Hey assistant"
    assert log.wait_for(TranscriptFinal, 5).text == "what is the capital of France?"
    assert stt.prompts == ["Hey Assistant", "Hey Assistant"]  # the phrase is the recognizer's hint
    assistant.shutdown()


class PromptedSTT:
    """Hears ``prompted`` (with ``logprob``) when given the phrase as its prompt, ``plain`` without it."""

    name = "prompted-stt"
    device, compute_type, beam_size = "cpu", "n/a", 0

    def __init__(self, prompted: str, logprob: float, plain: str) -> None:
        self.prompted, self.logprob, self.plain, self.prompts = prompted, logprob, plain, []

    def load(self, progress=None):
        pass

    def transcribe(self, audio, *, language=None, prompt=""):
        self.prompts.append(prompt)
        seconds = len(audio) / SAMPLE_RATE
        if not prompt:
            return Transcript(self.plain, "en", (Segment(self.plain, 0.0, seconds, -0.3),), seconds)
        return Transcript(self.prompted, "en", (Segment(self.prompted, 0.0, seconds, self.logprob),), seconds)


@pytest.mark.parametrize("logprob, plain, woken", [
    (-0.9, "Hey, it's tack tied in the barn.", False),  # only the prompt heard the phrase: not a wake
    (-0.9, "Hey assistant, hi in the barn.", True),  # unsure, but heard without the prompt too
    (-0.3, "Hey, it's tack tied in the barn.", True),  # sure of it: no second hearing
])
def test_a_phrase_heard_unsurely_must_be_heard_again_without_the_prompt(logprob, plain, woken):
    stt = PromptedSTT("Hey Assistant, hi in the barn.", logprob, plain)
    assistant, source, log, llm = _wake_assistant(stt, follow_up_s=0.0)
    _say(source)
    assert log.until(lambda items: any(isinstance(e, (SpeechIgnored, WakeDetected)) for e in items), 5)
    assert stt.prompts == (["Hey Assistant", ""] if logprob < -0.7 else ["Hey Assistant"])
    if woken:
        assert log.wait_for(TranscriptFinal, 5).text == "hi in the barn."
    else:
        assert log.of(SpeechIgnored)[0].reason == "no-wake-phrase"
        assert not log.of(WakeDetected) and not log.of(TranscriptFinal) and llm.calls == 0
    assistant.shutdown()


def test_a_question_that_stops_short_with_the_prompt_is_heard_again_without_it():
    stt = PromptedSTT("Hey Assistant, what is the capital of?", -0.3, "Hey assistant, what is the capital of France?")
    assistant, source, log, _llm = _wake_assistant(stt, follow_up_s=0.0)
    _say(source)
    assert log.wait_for(TranscriptFinal, 5).text == "what is the capital of France?"
    assert stt.prompts == ["Hey Assistant", ""]
    assistant.shutdown()


class PrefixSTT:
    """Hears the phrase in the first ``phrase_s`` of speech; the whole, like tiny.en given the phrase as its
    prompt, without the phrase (the prompt reads as said already)."""

    name = "prefix-stt"
    device, compute_type, beam_size = "cpu", "n/a", 0

    def __init__(self, phrase_s: float) -> None:
        self.phrase_s, self.calls = phrase_s, []

    def load(self, progress=None):
        pass

    def transcribe(self, audio, *, language=None, prompt=""):
        seconds = len(audio) / SAMPLE_RATE
        text = "Hey Assistant." if seconds < self.phrase_s else "What is the capital of France?"
        self.calls.append((round(seconds, 2), text))
        return Transcript(text, "en", (Segment(text, 0.0, seconds, -0.2),), seconds)


def test_the_phrase_heard_at_a_pause_in_the_same_breath_wakes_it_though_the_whole_leaves_it_out():
    stt = PrefixSTT(phrase_s=1.2)
    # the speculative transcript at a breath is what this test is about: on, as by default
    assistant, source, log = _listening_assistant(stt, ["Paris."], speculative_stt_ms=Config().vad.speculative_stt_ms,
                                                  follow_up_s=0.0)
    _say(source, 0.6, pause=0.25)  # "Hey assistant," and a breath: longer than the speculative wait, not the end
    # The breath's transcript is made before the rest arrives (fed at once, a newer candidate would make it stale)
    assert wait_until(lambda: stt.calls, 5)
    _say(source, 1.2, pause=1.3)  # past the longest end silence: fed at once, ahead of any verdict
    assert log.wait_for(WakeDetected, 5).heard == "Hey Assistant"
    assert log.wait_for(TranscriptFinal, 5).text == "What is the capital of France?"
    assert any(text == "Hey Assistant." for _, text in stt.calls), stt.calls  # heard at the breath
    assert not log.of(SpeechIgnored)
    assistant.shutdown()


def test_the_phrase_alone_opens_a_window_for_the_question_heard_after_the_phrase():
    # The question is heard with the phrase in front of it, as if said in one breath: not a second wake.
    stt = SequenceSTT("Hey Assistant.", "Hey Assistant, what time is it?")
    assistant, source, log, _llm = _wake_assistant(stt, follow_up_s=0.0)
    _say(source, seconds=0.6)
    awaiting = log.wait_for(AwaitingQuestion, 5)
    assert awaiting.reason == "wake" and awaiting.seconds == Assistant.WAKE_WAIT_S
    assert not log.of(TurnEnded)
    _say(source, seconds=1.0)
    assert log.wait_for(TranscriptFinal, 5).text == "what time is it?"
    assert len(log.of(WakeDetected)) == 1
    phrase_s, question_s = stt.seconds
    assert question_s > phrase_s + 1.0  # the phrase (0.6 s and its tail), a short gap, then the question (1 s)
    assistant.shutdown()


def test_a_question_after_the_phrase_alone_is_heard_on_its_own_when_the_phrase_is_not_heard_again():
    stt = SequenceSTT("Hey Assistant.", "Hey, that's it. What time is it?", "What time is it?")
    assistant, source, log, _llm = _wake_assistant(stt, follow_up_s=0.0)
    _say(source, seconds=0.6)
    log.wait_for(AwaitingQuestion, 5)
    _say(source, seconds=1.0)
    assert log.wait_for(TranscriptFinal, 5).text == "What time is it?"
    assert stt.seconds[2] < 1.5  # the question's own audio
    assistant.shutdown()


def test_noise_in_the_window_is_dropped_quietly_and_a_follow_up_needs_no_phrase():
    stt = SequenceSTT("Hey assistant, what is the capital of France?", "", "And of Spain?")
    assistant, source, log, _llm = _wake_assistant(stt, follow_up_s=30.0, barge_in=False)
    _say(source)
    first = log.wait_for(TurnEnded, 20)
    assert first.outcome == "completed"
    assert log.wait_for(AwaitingQuestion, 5).reason == "follow-up"
    _say(source)  # a door: sound without words
    assert log.until(lambda items: any(isinstance(e, SpeechIgnored) and e.reason == "no-words" for e in items), 5)
    assert not log.of(ErrorOccurred)  # no "no speech heard" banner for a noise in the room
    _say(source)
    assert log.until(lambda items: [e.text for e in items if isinstance(e, TranscriptFinal)][-1:] == ["And of Spain?"],
                     10)
    assistant.shutdown()


def test_speaking_over_a_reply_stops_it_and_becomes_the_next_question():
    stt = SequenceSTT("Hey assistant, tell me a long story.", "Stop, what time is it?")
    assistant, source, log, _llm = _wake_assistant(stt, follow_up_s=0.0)
    _say(source)
    log.wait_for(SpeakingStarted, 10)
    _say(source)  # no phrase needed: the assistant is answering
    barged = log.wait_for(BargedIn, 5)
    assert barged.turn_id == log.of(TurnEnded)[0].turn_id and log.of(TurnEnded)[0].outcome == "interrupted"
    assert log.until(lambda items: [e.text for e in items if isinstance(e, TranscriptFinal)][-1:]
                     == ["Stop, what time is it?"], 10)
    assistant.shutdown()


def test_without_barge_in_speech_over_a_reply_needs_the_phrase():
    stt = SequenceSTT("Hey assistant, tell me a long story.", "blah blah")
    assistant, source, log, _llm = _wake_assistant(stt, follow_up_s=0.0, barge_in=False)
    _say(source)
    log.wait_for(SpeakingStarted, 10)
    _say(source)
    log.wait_for(SpeechIgnored, 10)
    assert not log.of(BargedIn)
    assistant.shutdown()


def test_speech_soon_after_an_unanswered_question_continues_it():
    # the first half sounds unfinished, so it is heard again without the prompt: still unfinished
    stt = SequenceSTT("Hey assistant, what is the capital of", "Hey assistant, what is the capital of",
                      "Hey assistant, what is the capital of France?")
    assistant, source, log, _llm = _wake_assistant(stt, llm_delay=2.0, follow_up_s=0.0)
    _say(source, seconds=1.0, pause=0.6)  # ends the turn; the answer is still being thought about
    log.wait_for(TranscriptFinal, 5)
    _say(source, seconds=0.5, pause=0.8)
    log.wait_for(BargedIn, 5)
    assert log.until(lambda items: len([e for e in items if isinstance(e, TranscriptFinal)]) == 2, 5)
    assert log.of(TranscriptFinal)[-1].text == "what is the capital of France?"
    assert stt.prompts[1] == "" and stt.seconds[2] > stt.seconds[0] + 0.5  # both halves heard again together
    assistant.shutdown()


def test_nothing_heard_is_written_to_disk_unless_debug_recordings_are_on(tmp_path, monkeypatch):
    from assistant.bootstrap import debug_recorder

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path))
    assert debug_recorder(Config()) is None
    keep = debug_recorder(Config().replace("listen", debug_recordings=True))
    stt = SequenceSTT("Hello there.", "Hey assistant.")
    config = Config().replace("vad", speculative_stt_ms=0)
    assistant = Assistant(config, stt=stt, llm=ScriptedLLM(), vad=EnergyVAD(), keep_recording=keep)
    log = EventLog()
    assistant.bus.subscribe(log)
    source = LiveSource()
    source.t = time.monotonic()
    assistant.listen(source, wake=True)
    _say(source)
    _say(source)
    log.wait_for(AwaitingQuestion, 5)
    saved = sorted((tmp_path / "recordings").glob("*.wav"))
    assert len(saved) == 2 and all(p.stat().st_size > 10_000 for p in saved)
    assistant.shutdown()


# --- a wake-word model (listen.wake_model) -------------------------------------------------------------------


class BurstSpotter:
    """Hears the phrase in the loud bursts numbered in ``bursts`` (0: the first burst of speech fed), a third of a
    second into each; nothing elsewhere."""

    name = "burst-spotter"
    device = "cpu"

    def __init__(self, *bursts: int, fail: bool = False) -> None:
        self.bursts, self.fail = set(bursts), fail
        self.burst, self.loud_blocks, self.resets = -1, 0, 0

    def load(self, progress=None):
        if self.fail:
            raise ModelError("wake-model-incomplete", "the openWakeWord model x.onnx needs its feature models")

    def score(self, samples):
        loud = float(np.sqrt(np.mean(samples * samples))) > 0.01
        if loud and self.loud_blocks == 0:
            self.burst += 1
        self.loud_blocks = self.loud_blocks + 1 if loud else 0
        return 0.97 if self.burst in self.bursts and self.loud_blocks * len(samples) >= SAMPLE_RATE // 3 else 0.02

    def reset(self):
        self.resets += 1


def _spotting_assistant(stt, spotter, **listen):
    return _listening_assistant(stt, ["It is noon."], spotter=spotter, **{"follow_up_s": 0.0, **listen})


def test_with_a_wake_word_model_only_speech_it_spots_the_phrase_in_is_transcribed():
    stt = SequenceSTT("Hey assistant, what time is it?")
    assistant, source, log = _spotting_assistant(stt, BurstSpotter(1))
    _say(source, 1.0)  # plain speech: the model hears no phrase, and nothing is transcribed
    assert log.wait_for(SpeechIgnored, 5).reason == "no-wake-phrase"
    assert stt.prompts == [] and not log.of(WakeDetected)
    _say(source, 1.5)  # the phrase and the question in one breath
    wake = log.wait_for(WakeDetected, 5)
    assert wake.heard == "hey assistant" and wake.score == 0.97
    assert log.wait_for(TranscriptFinal, 5).text == "what time is it?"  # the phrase taken off the question
    assert log.wait_for(TurnEnded, 5).outcome == "completed"
    assert len(log.of(WakeDetected)) == 1 and stt.prompts == ["Hey Assistant"]
    assistant.shutdown()


def test_the_phrase_spotted_alone_opens_the_window_for_the_question():
    stt = SequenceSTT("Hey assistant.", "Hey Assistant, what time is it?")
    assistant, source, log = _spotting_assistant(stt, BurstSpotter(0))
    _say(source, 0.6)
    assert log.wait_for(AwaitingQuestion, 5).reason == "wake"
    assert log.until(lambda items: sum(isinstance(e, TurnEnded) for e in items) == 1, 5)  # the phrase, no question
    assert log.of(TurnEnded)[0].outcome == "no-speech" and not log.of(ErrorOccurred)
    _say(source, 1.0)  # no phrase in this one: the window is open
    assert log.wait_for(TranscriptFinal, 5).text == "what time is it?"
    assert len(log.of(WakeDetected)) == 1
    assistant.shutdown()


def test_a_wake_word_model_that_cannot_load_is_reported_and_the_built_in_detector_listens():
    stt = SequenceSTT("Hey assistant, what time is it?")
    assistant, source, log = _spotting_assistant(stt, BurstSpotter(0, fail=True))
    error = log.wait_for(ErrorOccurred, 5)
    assert error.code == "wake-model-incomplete" and "built-in detector" in error.message
    _say(source, 1.5)
    assert log.wait_for(WakeDetected, 5).heard == "Hey assistant"  # as speech to text wrote it
    assert log.wait_for(TranscriptFinal, 5).text == "what time is it?"
    assistant.shutdown()


def test_the_phrase_is_spotted_once_per_utterance_however_long_the_model_scores_it():
    stt = SequenceSTT("Hey assistant, tell me about the moon and the stars and the sea.")
    spotter = BurstSpotter(0)
    spotter.score = lambda samples: 0.97 if float(np.sqrt(np.mean(samples * samples))) > 0.01 else 0.02
    assistant, source, log = _spotting_assistant(stt, spotter)
    _say(source, 4.0)  # scored high all along, far longer than the hold after a wake
    assert log.wait_for(TranscriptFinal, 5).text == "tell me about the moon and the stars and the sea."
    assert len(log.of(WakeDetected)) == 1
    assistant.shutdown()


def test_the_listening_state_changes_on_the_controller_s_thread_only():
    bus, stt = EventBus(), queue.Queue()
    tracker = TurnTracker(bus)
    threads = []
    bus.subscribe(lambda e: threads.append((type(e).__name__, threading.current_thread().name)))
    controller = ListeningController(bus, tracker, stt, ListenConfig(), WakePhrase("hey assistant"),
                                     begin_turn=lambda origin: tracker.begin(origin).turn_id,
                                     interrupt=tracker.cancel_all)
    controller.start()
    try:
        controller.put(Listen(wake=True, spotting=lambda: False))
        controller.put(Spotted(0.9, time.monotonic(), in_speech=False))
        phrase = Utterance(0, speech_like(0.5), 1.0, 1.5, 1.6, wake="candidate")
        assert controller.wake_heard(phrase, WakeMatch("hey assistant", 1.0, "")) is None  # the phrase alone
        question = Utterance(0, speech_like(1.0), 2.0, 3.0, 3.1, wake="candidate")
        turn = controller.wake_heard(question, WakeMatch("hey assistant", 1.0, "what time is it"))
        assert turn == tracker.current and tracker.is_open(turn)
    finally:
        controller.stop()
    assert [name for name, _ in threads] == ["WakeDetected", "AwaitingQuestion", "WakeDetected", "AwaitingQuestion",
                                             "WakeDetected", "SpeechEnded"]
    assert {thread for _, thread in threads} == {"listening"}


def test_a_phrase_in_another_language_or_script_is_matched_and_prompted_as_it_is_written():
    traditional = WakePhrase("小愛同學")  # set in traditional characters, heard written in simplified
    assert traditional.match("小爱同学，现在几点？") == WakeMatch("小爱同学", 1.0, "现在几点？")
    assert WakePhrase("小爱同学", chinese_script="traditional").match("小愛同學，現在幾點？") is not None
    chinese = WakePhrase("你好助手")
    assert chinese.prompt == "你好助手"  # Chinese writes no spaces, and neither does the prompt
    assert chinese.match("你好助手，法国的首都是哪里？") == WakeMatch("你好助手", 1.0, "法国的首都是哪里？")
    assert chinese.match("你好，法国的首都是哪里？") is None
    assert WakePhrase("hey 小助手").prompt == "Hey 小助手"
    german = WakePhrase("hallo müller")
    assert german.prompt == "Hallo Müller"
    assert german.match("Hallo Müller, wie spät ist es?") == WakeMatch("Hallo Müller", 1.0, "wie spät ist es?")
