"""The STT stage with the real recognizer (tiny.en): what it makes of questions said with a pause inside."""

import time

import pytest

from assistant.bus import EventBus
from assistant.config import Config
from assistant.contracts.events import TranscriptFinal
from assistant.contracts.types import Utterance
from assistant.pipeline.segmenter import acoustic_end
from assistant.pipeline.stt import SttStage
from assistant.pipeline.turns import TurnTracker
from assistant.pipeline.wake import WakePhrase
from testkit import listen_audio as la
from testkit.helpers import normalize
from testkit.stages import run_stage


def _utterance(tracker: TurnTracker, samples, prompt: str) -> Utterance:
    """The turn as the segmenter cuts it: up to the sound's end and 150 ms after."""
    samples = samples[: acoustic_end(samples) + 2400]
    t = time.monotonic()
    turn = tracker.begin(t).turn_id
    return Utterance(turn, samples, t, t + len(samples) / la.RATE, t + len(samples) / la.RATE,
                     prompt=prompt, wake="awake" if prompt else "")


@pytest.mark.parametrize("wake", [True, False], ids=["after-the-phrase", "plain"])
def test_words_after_a_pause_inside_the_question_are_not_dropped(stt, wake):
    # tiny.en given the wake phrase as its prompt reads these (Piper, 0.5-0.7 s pauses) "Hey Assistant, what is the
    # capital of?": it stops at the pause. The question sounds cut short, so it is heard again, pauses shortened.
    phrase = WakePhrase(Config().listen.wake_phrase)
    bus = EventBus()
    tracker = TurnTracker(bus)
    utterances = [_utterance(tracker, la.pad(la.question_with_pause("What is the capital of", "France?", pause,
                                                                    voice, wake=wake)), phrase.prompt if wake else "")
                  for voice in la.voices() if voice.engine == "piper" for pause in (0.3, 0.5, 0.7)]
    run = run_stage(lambda bus, out: SttStage(bus, stt, tracker, out, wake=phrase,
                                              on_wake=lambda utterance, match: utterance.turn_id),
                    utterances, bus=bus, timeout=120)
    heard = [e.text for e in run.of(TranscriptFinal)]
    assert len(heard) == len(utterances), heard
    assert all("capital of france" in normalize(text) for text in heard), heard
    assert [request.text for request in run.outputs] == heard
