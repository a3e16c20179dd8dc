"""The streaming turn's orchestration logic, with scripted stages (the real models: tests/integration)."""

import time

import numpy as np
import pytest

from assistant.bus import EventBus
from assistant.config import Config
from assistant.contracts.errors import InputError
from assistant.contracts.events import (
    ModelReady,
    ReplyDelta,
    ReplyFinished,
    ReplyStarted,
    SentenceReady,
    SpeakingFinished,
    SpeakingStarted,
    SpeechEnded,
    SpeechStarted,
    TranscriptFinal,
    TurnEnded,
    TurnInterrupted,
)
from assistant.contracts.types import Sentence, TurnRequest, Utterance
from assistant.facade import Assistant
from assistant.pipeline.conversation import CUT_OFF, Conversation
from assistant.pipeline.llm import LlmStage
from assistant.pipeline.stt import SttStage
from assistant.pipeline.tts import EndOfReply, TtsStage
from assistant.pipeline.turns import TurnTracker
from assistant.pipeline.write_ahead import Prefill
from audio.file_source import FileSource
from audio.sinks import RecordingSink
from testkit.fakes import EnergyVAD, ScriptedLLM, ScriptedSTT, ToneTTS, speech_like
from testkit.helpers import EventLog, wait_until
from testkit.stages import run_stage


class Recorder(EventLog):
    def kinds(self, turn_id=None):
        return [e.kind for e in self.of(object) if turn_id is None or getattr(e, "turn_id", turn_id) == turn_id]

    def wait_for(self, predicate, timeout=10.0):
        assert self.until(lambda items: any(predicate(e) for e in items), timeout), f"timed out; saw {self.kinds()}"

    @property
    def events(self):
        return self.of(object)


def make(llm=None, stt=None, tts=None, sink=None):
    assistant = Assistant(Config(), stt=stt or ScriptedSTT(), llm=llm or ScriptedLLM(), tts=tts or ToneTTS(),
                          vad=EnergyVAD(), sink=sink or RecordingSink())
    recorder = Recorder()
    assistant.bus.subscribe(recorder)
    assert assistant.wait_ready(5) == []
    return assistant, recorder


def test_a_voice_turn_publishes_its_events_in_order():
    assistant, rec = make()
    audio = np.concatenate([np.zeros(8000, np.float32), speech_like(1.0)])
    listener = assistant.listen(FileSource(audio, realtime=False, tail_silence_s=1.0))
    listener.done.wait(10)
    rec.wait_for(lambda e: isinstance(e, TurnEnded))
    kinds = [k for k in rec.kinds() if k not in ("ModelLoading", "ModelReady", "ListeningStarted", "ListeningStopped")]
    # Two causal chains: what is heard, and what is written. Between them nothing is ordered: a model that writes
    # faster than speech finishes its reply before the first sound is out, and that is as right as the other way.
    heard = [SpeechStarted, SpeechEnded, TranscriptFinal, ReplyStarted, ReplyDelta, SentenceReady, SpeakingStarted,
             SpeakingFinished, TurnEnded]
    written = [ReplyStarted, ReplyDelta, ReplyFinished, SpeakingFinished, TurnEnded]
    for chain in (heard, written):
        positions = [kinds.index(cls.__name__) for cls in chain]
        assert positions == sorted(positions), kinds
    assert kinds.index("ReplyFinished") > max(i for i, k in enumerate(kinds) if k == "ReplyDelta"), kinds
    ended = [e for e in rec.events if isinstance(e, TurnEnded)]
    assert len(ended) == 1 and ended[0].outcome == "completed"
    timings = ended[0].timings_ms
    marks = ["end_of_speech_detected", "stt", "llm_first_token", "first_sentence", "first_audio", "voice_to_voice"]
    assert [timings[m] for m in marks] == sorted(timings[m] for m in marks)
    assistant.shutdown()


def test_the_first_sentence_reaches_tts_before_the_reply_is_complete():
    llm = ScriptedLLM(delay=0.1)
    tts = ToneTTS()
    assistant, rec = make(llm=llm, tts=tts)
    turn = assistant.ask("capital of France?")
    rec.wait_for(lambda e: isinstance(e, SpeakingStarted))
    assert llm.produced < len(llm.pieces)  # speaking started while the model was still writing
    assert tts.spoken[0] == "The capital of France,"
    assert assistant.wait_turn(turn, 10).outcome == "completed"
    assistant.shutdown()


class HoldHonouringLLM(ScriptedLLM):
    """Waits while its turn is held before each next piece, as the transformers backend does between tokens;
    counts the holds that were never released (waited out to their timeout)."""

    forgotten_holds = 0

    def stream(self, messages, *, cancel):
        for piece in super().stream(messages, cancel=cancel):
            yield piece
            if not cancel.wait_released(5):
                self.forgotten_holds += 1


class HoldRecordingTTS(ToneTTS):
    """Notes, for each piece, whether the turn was held, and how many pieces the model had written when its
    synthesis began and when its sound came out; on the first piece it gives the model up to 0.3 s to write two
    more, as it would were it not held."""

    def __init__(self, llm):
        super().__init__()
        self.llm = llm
        self.seen: list[tuple[bool, int, int]] = []

    def synthesize(self, text, *, cancel):
        held, before = cancel.held, self.llm.produced
        if not self.seen:
            wait_until(lambda: self.llm.produced > before + 1, 0.3)
        self.seen.append((held, before, self.llm.produced))
        yield from super().synthesize(text, cancel=cancel)


def test_the_first_spoken_piece_holds_the_generation_until_its_sound_is_out():
    llm = HoldHonouringLLM(delay=0.02)
    tts = HoldRecordingTTS(llm)
    assistant, _ = make(llm=llm, tts=tts)
    turn = assistant.ask("capital of France?")
    assert assistant.wait_turn(turn, 30).outcome == "completed"
    assert llm.forgotten_holds == 0  # every hold was released, none waited out
    assert tts.spoken == ["The capital of France,", "as you know, is Paris.", "Bye."]
    assert [held for held, _, _ in tts.seen] == [True, False, False]
    _, before, after = tts.seen[0]
    assert before == 2 and after - before <= 1  # at most the piece in progress was written meanwhile
    assistant.shutdown()


def test_interrupt_stops_generation_and_audio_at_once():
    llm = ScriptedLLM(pieces=[f" word{i}." for i in range(200)], delay=0.02)
    sink = RecordingSink(realtime=True)
    assistant, rec = make(llm=llm, sink=sink)
    turn = assistant.ask("talk for a long time")
    rec.wait_for(lambda e: isinstance(e, SpeakingStarted))
    assert assistant.interrupt() == turn
    ended = assistant.wait_turn(turn, 5)
    assert ended.outcome == "interrupted"  # how soon is the bench's business (barge-in, app side)
    produced = llm.produced
    assert not rec.until(lambda items: llm.produced > produced + 1, 0.3)  # generation stopped
    assert sink.wait_drained(0)  # nothing left queued for the speaker
    assert "TurnInterrupted" in rec.kinds(turn)
    assert sum(isinstance(e, TurnEnded) for e in rec.events) == 1
    assistant.shutdown()


def test_a_spoken_answer_cut_short_is_remembered_as_far_as_it_was_heard():
    # Written in a moment, spoken at 0.3 s a word: when the user speaks up, only the first clause has been heard.
    sink = RecordingSink(realtime=True)
    assistant, rec = make(tts=ToneTTS(seconds_per_word=0.3), sink=sink)
    audio = np.concatenate([np.zeros(8000, np.float32), speech_like(1.0)])
    assistant.listen(FileSource(audio, realtime=False, tail_silence_s=1.0))
    rec.wait_for(lambda e: isinstance(e, ReplyFinished))
    rec.wait_for(lambda e: isinstance(e, SpeakingStarted))
    [finished] = rec.of(ReplyFinished)
    assert finished.text == "The capital of France, as you know, is Paris. Bye."
    assert assistant.interrupt() == finished.turn_id
    assert [m.content for m in assistant.conversation.history] == [
        "what is the capital of france", "The capital of France," + CUT_OFF]
    assistant.shutdown()


def test_a_typed_answer_cut_short_is_remembered_as_far_as_it_was_written():
    assistant, rec = make(tts=ToneTTS(seconds_per_word=0.3), sink=RecordingSink(realtime=True))
    turn = assistant.ask("capital of France?")
    rec.wait_for(lambda e: isinstance(e, ReplyFinished))
    assert assistant.interrupt() == turn
    assert assistant.conversation.history[-1].content == "The capital of France, as you know, is Paris. Bye."
    assistant.shutdown()


def test_a_new_question_supersedes_the_answer_in_progress():
    llm = ScriptedLLM(pieces=[f" word{i}." for i in range(100)], delay=0.02)
    assistant, rec = make(llm=llm)
    first = assistant.ask("first")
    llm.started.wait(2)
    second = assistant.ask("second")
    assert assistant.wait_turn(first, 5).outcome == "interrupted"
    assert any(isinstance(e, TurnInterrupted) and e.turn_id == first for e in rec.events)
    assistant.interrupt()
    assert assistant.wait_turn(second, 5) is not None
    assistant.shutdown()


def test_a_failing_model_ends_the_turn_with_its_error_code():
    assistant, rec = make(llm=ScriptedLLM(fail_after=2))
    turn = assistant.ask("hello")
    ended = assistant.wait_turn(turn, 5)
    assert ended.outcome == "error"
    errors = [e for e in rec.events if e.kind == "ErrorOccurred"]
    assert errors and errors[0].code == "llm-failed" and errors[0].turn_id == turn
    # the stage survived: the next question is answered
    llm_ok = assistant.ask("again")
    assert assistant.wait_turn(llm_ok, 5).outcome == "error"  # same scripted failure, but a clean turn end
    assistant.shutdown()


def test_no_words_means_no_language_model_call():
    llm = ScriptedLLM()
    assistant, rec = make(llm=llm, stt=ScriptedSTT(text=""))
    listener = assistant.listen(FileSource(speech_like(1.0), realtime=False, tail_silence_s=1.0))
    listener.done.wait(10)
    rec.wait_for(lambda e: isinstance(e, TurnEnded))
    ended = next(e for e in rec.events if isinstance(e, TurnEnded))
    assert ended.outcome == "no-speech" and llm.calls == 0
    assistant.shutdown()


def test_an_empty_question_is_refused():
    assistant, _ = make()
    with pytest.raises(InputError) as err:
        assistant.ask("   ")
    assert err.value.code == "empty-question"
    assistant.shutdown()


class PrefillingLLM(ScriptedLLM):
    """Records each prompt it is asked to prefill, and when."""

    def __init__(self):
        super().__init__()
        self.prefilled: list[tuple[str, int]] = []  # (the question, stream calls made before it)

    def prefill(self, messages):
        self.prefilled.append((messages[-1].content, self.calls))


@pytest.mark.parametrize(("words", "prefilled"), [("what is the capital of france", True),
                                                   ("what is the capital of", False)])
def test_the_words_heard_during_the_silence_are_prefilled_before_the_turn(words, prefilled):
    """The speculative transcript goes on to the language model, ahead of the turn; words that sound unfinished
    do not (the user will likely go on)."""
    llm = PrefillingLLM()
    assistant, rec = make(llm=llm, stt=ScriptedSTT(text=words))
    listener = assistant.listen(FileSource(speech_like(1.0), realtime=True, tail_silence_s=2.0))
    listener.done.wait(10)
    rec.wait_for(lambda e: isinstance(e, TurnEnded))
    assert assistant.stt_stage.speculative_hits == 1
    assert llm.prefilled == ([(words, 0)] if prefilled else [])
    assert llm.calls == 1
    assistant.shutdown()


class DraftingLLM(HoldHonouringLLM):
    """A local model, which may write a reply ahead of its turn: notes each call's question, token and time."""

    runs_locally = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.asked: list[tuple[str, object, float]] = []

    def stream(self, messages, *, cancel):
        self.asked.append((messages[-1].content, cancel, time.monotonic()))
        yield from super().stream(messages, cancel=cancel)


FIRST_PIECE = 2  # "The capital", " of France,": the scripted reply's first spoken piece


def drafted(words="what is the capital of france", sink=None, **script):
    """An assistant whose local model has written a reply to ``words`` ahead, as far as its first piece."""
    llm = DraftingLLM(**script)
    assistant, rec = make(llm=llm, sink=sink)
    assistant.llm_stage.put(Prefill(words, (1.0, 16000)))
    assert wait_until(lambda: llm.produced == FIRST_PIECE, 3)
    return llm, assistant, rec


def test_the_reply_is_begun_during_the_end_of_turn_silence_and_goes_on_as_the_turn():
    llm = DraftingLLM(delay=0.02)
    assistant, rec = make(llm=llm, stt=ScriptedSTT(text="what is the capital of france"))
    assistant.listen(FileSource(speech_like(1.0), realtime=True, tail_silence_s=2.0)).done.wait(10)
    rec.wait_for(lambda e: isinstance(e, TurnEnded))
    speech_ended = rec.of(SpeechEnded)[0]
    assert llm.calls == 1 and assistant.llm_stage.drafts_taken == 1
    assert llm.asked[0][2] < speech_ended.t  # begun before the silence had ended the turn
    assert rec.of(ReplyFinished)[0].text == "".join(llm.pieces)
    assert [e.text for e in rec.of(ReplyDelta)] == llm.pieces  # what was written ahead is published, in order
    assert rec.of(TurnEnded)[0].outcome == "completed"
    assistant.shutdown()


def test_a_reply_written_ahead_waits_at_its_first_piece_and_stops_when_the_user_speaks_again():
    llm, assistant, _ = drafted(delay=0.01)
    stage = assistant.llm_stage
    token = llm.asked[0][1]
    assert token.held
    assert not wait_until(lambda: llm.produced > FIRST_PIECE, 0.3)  # the rest waits to know the turn ends here
    stage.drop_draft((1.0, 15000))  # another pause's: changes nothing
    assert not token.cancelled
    stage.drop_draft((1.0, 16000))
    assert token.cancelled
    turn = assistant.ask("what is the capital of france")  # the same words, but no longer from that draft
    assert assistant.wait_turn(turn, 5).outcome == "completed"
    assert llm.calls == 2 and stage.drafts_taken == 0 and llm.produced == FIRST_PIECE + len(llm.pieces)
    assistant.shutdown()


def test_a_reply_written_ahead_for_other_words_is_thrown_away():
    llm, assistant, rec = drafted("what is the capital of", delay=0.01)
    turn = assistant.ask("what is the capital of spain")
    assert assistant.wait_turn(turn, 5).outcome == "completed"
    assert llm.asked[0][1].cancelled and [q for q, _, _ in llm.asked] == ["what is the capital of",
                                                                          "what is the capital of spain"]
    assert assistant.llm_stage.drafts_taken == 0
    assert rec.of(ReplyFinished)[0].text == "".join(llm.pieces)
    assistant.shutdown()


def test_a_turn_that_took_a_draft_is_interrupted_like_any_other():
    llm, assistant, rec = drafted(sink=RecordingSink(realtime=True), delay=0.02,
                                  pieces=["The capital", " of France,"] + [f" word{i}." for i in range(200)])
    turn = assistant.ask("what is the capital of france")
    rec.wait_for(lambda e: isinstance(e, SpeakingStarted))
    assistant.interrupt()
    assert assistant.wait_turn(turn, 5).outcome == "interrupted"
    assert llm.asked[0][1].cancelled and llm.calls == 1 and assistant.llm_stage.drafts_taken == 1
    produced = llm.produced
    assert not wait_until(lambda: llm.produced > produced + 1, 0.3)  # the model stopped writing
    assert llm.produced < len(llm.pieces)
    assistant.shutdown()


def test_a_cloud_model_writes_nothing_ahead_of_the_turn():
    llm = PrefillingLLM()  # no runs_locally: a reply the user may never ask for is not sent out
    assistant, _ = make(llm=llm)
    assistant.llm_stage.put(Prefill("what is the capital of france", (1.0, 16000)))
    assert wait_until(lambda: llm.prefilled, 2)
    assert llm.calls == 0
    assistant.shutdown()


def test_settling_the_stage_ends_a_reply_written_ahead_for_words_that_never_became_a_turn():
    """The bench's sequential baseline uses the model from its own thread: nothing may still be writing."""
    llm, assistant, _ = drafted(delay=0.01)
    assert assistant.llm_stage.settle(5)
    assert llm.asked[0][1].cancelled and assistant.llm_stage.drafts_taken == 0
    assistant.shutdown()


# --- one stage alone (tests/stages.run_stage) ---------------------------------------------------------------


def test_the_llm_stage_alone_sends_each_speakable_piece_then_the_end_of_the_reply():
    bus = EventBus()
    tracker = TurnTracker(bus)
    turn = tracker.begin(time.monotonic()).turn_id
    run = run_stage(lambda bus, out: LlmStage(bus, ScriptedLLM(delay=0.0), tracker, Conversation("", 1000, 100), out),
                    [TurnRequest(turn, "capital of France?")], bus=bus)
    assert run.outputs == [Sentence(turn, "The capital of France,", 0), Sentence(turn, "as you know, is Paris.", 1),
                           Sentence(turn, "Bye.", 2), EndOfReply(turn)]
    assert [e.text for e in run.of(SentenceReady)] == [s.text for s in run.outputs[:-1]]
    assert run.of(ReplyFinished)[0].backend == "scripted-llm" and tracker.is_open(turn)  # the voice ends it


def test_the_llm_stage_alone_drops_the_request_of_a_turn_that_has_ended():
    bus = EventBus()
    tracker = TurnTracker(bus)
    turn = tracker.begin(time.monotonic()).turn_id
    tracker.end(turn, "interrupted")
    run = run_stage(lambda bus, out: LlmStage(bus, ScriptedLLM(delay=0.0), tracker, Conversation("", 1000, 100), out),
                    [TurnRequest(turn, "capital of France?")], bus=bus)
    assert run.outputs == [] and not run.of(ReplyStarted)


def test_the_stt_stage_alone_hands_the_transcript_on_as_the_turn_s_question():
    bus = EventBus()
    tracker = TurnTracker(bus)
    turn = tracker.begin(time.monotonic()).turn_id
    utterance = Utterance(turn, speech_like(1.0), 0.0, 1.0, 1.1)
    run = run_stage(lambda bus, out: SttStage(bus, ScriptedSTT("what is the capital of france"), tracker, out),
                    [utterance], bus=bus)
    [request] = run.outputs
    assert (request.turn_id, request.text, request.by_voice) == (turn, "what is the capital of france", True)
    assert [e.text for e in run.of(TranscriptFinal)] == ["what is the capital of france"]


@pytest.mark.parametrize(("script", "written"), [("simplified", "广州市的房地产怎么样"),
                                                 ("traditional", "廣州市的房地產怎麼樣")])
def test_chinese_heard_in_mixed_scripts_is_written_in_the_user_s_script(script, written):
    bus = EventBus()
    tracker = TurnTracker(bus)
    turn = tracker.begin(time.monotonic()).turn_id
    heard = ScriptedSTT("廣州市的房地产怎麼樣", language="zh")  # Whisper mixes the two, even within a sentence
    run = run_stage(lambda bus, out: SttStage(bus, heard, tracker, out, chinese_script=script),
                    [Utterance(turn, speech_like(1.0), 0.0, 1.0, 1.1)], bus=bus)
    [request] = run.outputs
    assert (request.text, request.language) == (written, "zh")
    assert [e.text for e in run.of(TranscriptFinal)] == [written]


def test_a_recognizer_that_does_not_say_the_language_leaves_it_to_the_script_of_the_words():
    bus = EventBus()
    tracker = TurnTracker(bus)
    turns = [tracker.begin(time.monotonic()).turn_id for _ in range(2)]
    heard = iter([ScriptedSTT("法國的首都是哪裡？", language=""), ScriptedSTT("What is the capital?", language="")])
    stt = ScriptedSTT()
    stt.transcribe = lambda audio, **_: next(heard).transcribe(audio)  # a cloud endpoint asked for no language
    run = run_stage(lambda bus, out: SttStage(bus, stt, tracker, out),
                    [Utterance(turn, speech_like(1.0), 0.0, 1.0, 1.1) for turn in turns], bus=bus)
    assert [(r.text, r.language) for r in run.outputs] == [("法国的首都是哪里？", "zh"), ("What is the capital?", "en")]


def test_each_piece_is_spoken_by_the_voice_of_its_language_loaded_once_on_first_use():
    bus = EventBus()
    tracker = TurnTracker(bus)
    turn = tracker.begin(time.monotonic()).turn_id
    default, chinese = ToneTTS(), ToneTTS()
    chinese.name, chinese.sample_rate = "chinese-tone", 22050
    asked: list[str] = []

    def voices(language):
        asked.append(language)
        return chinese if language == "zh" else None  # no voice of its own: the default speaks it

    sink = RecordingSink()
    run = run_stage(lambda bus, _out: TtsStage(bus, default, tracker, sink, voices=voices),
                    [Sentence(turn, "Paris.", 0), Sentence(turn, "巴黎 是 首都。", 1, "zh"),
                     Sentence(turn, "Paris ist es.", 2, "de"), Sentence(turn, "是的。", 3, "zh"), EndOfReply(turn)],
                    bus=bus)
    assert default.spoken == ["Paris.", "Paris ist es."] and chinese.spoken == ["巴黎 是 首都。", "是的。"]
    assert asked == ["zh", "de"]  # each language looked up once
    assert [rate for _, _, rate in sink.blocks] == [16000, 22050, 22050, 22050, 16000, 16000, 16000, 22050]
    assert [e.name for e in run.of(ModelReady)] == ["tone-tts", "chinese-tone"]  # the stage's, then its own, once
    assert run.of(TurnEnded)[0].outcome == "completed"


def test_the_tts_stage_alone_speaks_each_piece_and_ends_the_turn_once_it_was_heard():
    bus = EventBus()
    tracker = TurnTracker(bus)
    turn = tracker.begin(time.monotonic()).turn_id
    sink, tts = RecordingSink(), ToneTTS()
    run = run_stage(lambda bus, _out: TtsStage(bus, tts, tracker, sink),
                    [Sentence(turn, "Paris.", 0), Sentence(turn, "Bye now.", 1), EndOfReply(turn)], bus=bus)
    assert tts.spoken == ["Paris.", "Bye now."] and len(sink.blocks) == 3
    assert [type(e) for e in run.events if isinstance(e, (SpeakingStarted, SpeakingFinished, TurnEnded))] == [
        SpeakingStarted, SpeakingFinished, TurnEnded]
    assert run.of(TurnEnded)[0].outcome == "completed"
