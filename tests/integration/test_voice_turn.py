"""The headless assistant on the real offline models: a spoken question in, a spoken answer out."""

import time

import numpy as np
import pytest

from assistant.config import Config
from assistant.contracts.events import ReplyDelta, SpeakingStarted, SpeechEnded, TurnEnded
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from assistant.facade import Assistant
from audio.file_source import FileSource
from audio.sinks import RecordingSink
from testkit.helpers import SAMPLE_QUESTION, EventLog, noise


class CountingLLM:
    """The real model, with its calls counted."""

    runs_locally = False
    quantized = False
    static_cache = False

    def __init__(self, inner):
        self.inner, self.calls, self.prefills = inner, 0, 0
        self.started: list[float] = []  # when each stream() began
        self.name, self.supports_images = inner.name, False

    @property
    def device(self):
        return self.inner.device

    def load(self, progress=None):
        self.inner.load(progress)

    def count_tokens(self, messages):
        return self.inner.count_tokens(messages)

    @property
    def last_backend(self):
        return self.name

    def prefill(self, messages):
        self.prefills += 1
        self.inner.prefill(messages)

    def stream(self, messages, *, cancel, **tools):
        self.calls += 1
        self.started.append(time.monotonic())
        yield from self.inner.stream(messages, cancel=cancel, **tools)


class LocalCountingLLM(CountingLLM):
    """As the local model is in the app: it may write a reply ahead of its turn."""

    runs_locally = True


@pytest.fixture
def make_assistant(stt, vad, llm, tts):
    made = []

    def make(sink=None, local=False, model=None):
        counting = (LocalCountingLLM if local else CountingLLM)(model or llm)
        assistant = Assistant(Config(), stt=stt, llm=counting, tts=tts, vad=vad, sink=sink or RecordingSink())
        events = EventLog()
        assistant.bus.subscribe(events)
        assert assistant.wait_ready(120) == []
        made.append(assistant)
        return assistant, events, counting

    yield make
    for assistant in made:
        assistant.shutdown()


def test_a_spoken_question_gets_a_spoken_answer_with_ordered_events(make_assistant):
    sink = RecordingSink()
    assistant, events, _ = make_assistant(sink)
    assistant.listen(FileSource(SAMPLE_QUESTION, realtime=True)).done.wait(60)
    ended = events.wait_for(TurnEnded)
    assert ended.outcome == "completed"
    kinds = [e.kind for e in events.items if e.kind not in ("ModelLoading", "ModelReady", "ModelProgress")]
    # speaking may start before or after the reply is complete; everything else has one order
    for chain in (["ListeningStarted", "SpeechStarted", "SpeechEnded", "TranscriptFinal", "ReplyStarted", "ReplyDelta",
                   "SentenceReady", "SpeakingStarted", "SpeakingFinished", "TurnEnded"],
                  ["ReplyDelta", "ReplyFinished", "SpeakingFinished"]):
        firsts = [kinds.index(k) for k in chain]
        assert firsts == sorted(firsts), kinds
    assert kinds[-1] == "TurnEnded" or kinds.index("TurnEnded") > kinds.index("SpeakingFinished")
    transcript = next(e for e in events.items if e.kind == "TranscriptFinal").text.lower()
    assert "capital" in transcript and "france" in transcript
    assert "paris" in next(e for e in events.items if e.kind == "ReplyFinished").text.lower()
    audio, rate = sink.audio()
    assert len(audio) / rate > 0.5
    t = ended.timings_ms
    marks = ["end_of_speech_detected", "stt", "llm_first_token", "first_sentence", "first_audio", "voice_to_voice"]
    assert all(m in t for m in marks) and [t[m] for m in marks] == sorted(t[m] for m in marks)
    assert t["end_of_speech_detected"] >= Config().vad.end_silence_ms - 40  # decided after the silence, not before


def test_interrupt_mid_reply_stops_generation_and_audio(make_assistant):
    sink = RecordingSink(realtime=True)  # plays on a virtual speaker in real time
    assistant, events, _ = make_assistant(sink)
    turn = assistant.ask("Tell me a long story about a brave knight, a dragon and a lost city.")
    events.wait_for(SpeakingStarted)
    assert events.until(lambda items: sum(isinstance(e, ReplyDelta) for e in items) >= 12, 30)  # well under way
    t_interrupt = time.monotonic()
    assistant.interrupt()
    ended = assistant.wait_turn(turn, 5)
    assert ended.outcome == "interrupted"  # how soon is measured by the bench (barge-in, app side)
    deltas = len(events.of(ReplyDelta))
    more = events.until(lambda items: sum(isinstance(e, ReplyDelta) for e in items) > deltas + 1, 0.8)
    assert not more  # the model stopped writing
    assert all(start <= t_interrupt + 0.01 for start, _, _ in sink.blocks)  # nothing played after the stop
    heard = sum(len(s) / r for _, s, r in sink.blocks)
    assert heard < t_interrupt - sink.blocks[0][0] + 0.05  # only what played before the stop was heard
    assert len(events.of(TurnEnded)) == 1


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_silence_and_noise_never_reach_the_language_model(make_assistant, kind):
    assistant, events, counting = make_assistant()
    audio = np.zeros(3 * 16000, np.float32) if kind == "silence" else noise(3.0, amp=0.05)
    assistant.listen(FileSource(audio, realtime=False)).done.wait(30)
    for speech in events.of(SpeechEnded):  # any burst the VAD took for speech must end as no-speech
        assert assistant.wait_turn(speech.turn_id, 30).outcome == "no-speech"
    assert counting.calls == 0 and counting.prefills == 0


def test_the_reply_is_begun_during_the_silence_and_is_the_one_the_question_gets(make_assistant, llm):
    """The words transcribed while the end-of-turn silence runs go on to the local model, which starts the reply
    then; the turn, ending with those words, goes on from it: one generation, the same reply as asked anew."""
    assistant, events, counting = make_assistant(local=True)
    assistant.listen(FileSource(SAMPLE_QUESTION, realtime=True)).done.wait(60)
    assert events.wait_for(TurnEnded).outcome == "completed"
    assert assistant.stt_stage.speculative_hits == 1 and assistant.llm_stage.drafts_taken == 1
    assert counting.calls == 1 and counting.prefills == 0
    assert counting.started[0] < events.of(SpeechEnded)[0].t  # begun before the silence ended the turn
    transcript = next(e for e in events.items if e.kind == "TranscriptFinal").text
    reply = next(e for e in events.items if e.kind == "ReplyFinished").text
    assert "paris" in reply.lower()
    assert reply == "".join(e.text for e in events.of(ReplyDelta))
    system = assistant.conversation.messages_for(transcript, llm.count_tokens)[0]
    asked_anew = [system, ChatMessage(Role.USER, transcript)]
    assert reply == "".join(llm.stream(asked_anew, cancel=CancelToken(1)))


def test_the_transcript_made_during_the_silence_is_the_one_used(make_assistant, llm):
    """Speculative STT: the speech so far is transcribed while the end-of-turn silence runs, and reused; its words
    go on to the language model, which runs the prompt then, and the turn starts from its first token (a model
    that does not write ahead: the cloud's, or the app's with that off; prefilling is the transformers runtime's)."""
    assistant, events, counting = make_assistant(model=llm)
    hits = llm.prefill_hits
    assistant.listen(FileSource(SAMPLE_QUESTION, realtime=True)).done.wait(60)
    assert events.wait_for(TurnEnded).outcome == "completed"
    assert assistant.stt_stage.speculative_hits == 1
    transcript = next(e for e in events.items if e.kind == "TranscriptFinal").text
    assert "capital" in transcript.lower()
    assert counting.prefills == 1 and llm.prefill_hits == hits + 1
    reply = next(e for e in events.items if e.kind == "ReplyFinished").text
    system = assistant.conversation.messages_for(transcript, llm.count_tokens)[0]
    asked_anew = [system, ChatMessage(Role.USER, transcript)]  # the same prompt, without a prefill
    assert reply == "".join(llm.stream(asked_anew, cancel=CancelToken(1)))
