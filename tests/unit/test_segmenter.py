import numpy as np
import pytest

from assistant.config import VadConfig
from assistant.contracts.types import AudioChunk
from assistant.pipeline.segmenter import (
    Segmenter,
    SpeechPaused,
    SpeechResumed,
    SpeechSegment,
    SpeechStart,
    SpeechTooShort,
    close_pauses,
)
from testkit.fakes import EnergyVAD, speech_like


def feed(segmenter, audio, block=480, t0=100.0):
    """Feed in odd-sized blocks (10 ms at 48 kHz-ish sizes) to exercise re-blocking."""
    out = []
    for i in range(0, len(audio), block):
        out += segmenter.push(AudioChunk(audio[i: i + block], 16000, t0 + i / 16000))
    return out


RATE = 16000


def silence(seconds):
    return np.zeros(int(seconds * 16000), np.float32)


def test_a_turn_ends_after_the_configured_silence_with_pre_roll_kept():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, pre_roll_ms=300, min_speech_ms=200))
    audio = np.concatenate([silence(1.0), speech_like(1.0), silence(1.0)])
    events = feed(seg, audio)
    assert [type(e) for e in events] == [SpeechStart, SpeechPaused, SpeechSegment]
    start, _paused, segment = events
    assert abs(start.t_speech_start - 101.0) < 0.04
    assert abs(segment.t_speech_end - 102.0) < 0.04
    # pre-roll (~300 ms) + speech (1 s) + a short tail, but not the trailing silence
    assert 1.25 <= len(segment.samples) / 16000 <= 1.5


def test_short_pauses_inside_speech_do_not_end_the_turn():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=500))
    audio = np.concatenate([speech_like(0.8), silence(0.3), speech_like(0.8), silence(1.0)])
    segments = [e for e in feed(seg, audio) if isinstance(e, SpeechSegment)]
    assert len(segments) == 1
    assert abs((segments[0].t_speech_end - segments[0].t_speech_start) - 1.9) < 0.05


def test_a_click_shorter_than_the_minimum_is_not_a_turn():
    seg = Segmenter(EnergyVAD(), VadConfig(min_speech_ms=250))
    events = feed(seg, np.concatenate([silence(0.5), speech_like(0.1), silence(1.0)]))
    assert [type(e) for e in events] == [SpeechStart, SpeechTooShort]


def test_a_raised_onset_lets_no_lone_frame_start_speech_and_speech_starts_at_its_first_frame():
    seg = Segmenter(EnergyVAD(), VadConfig(pre_roll_ms=300, min_speech_ms=200))
    seg.onset_frames = 3
    lone = [silence(0.512), speech_like(0.064), silence(0.512)]  # two whole frames: short of three
    events = feed(seg, np.concatenate([*lone, speech_like(1.0), silence(1.0)]), block=512)
    assert [type(e) for e in events] == [SpeechStart, SpeechPaused, SpeechSegment]
    start, _paused, segment = events
    assert start.t_speech_start == segment.t_speech_start == pytest.approx(101.088)  # its first frame, not its third
    assert abs(segment.t_speech_end - 102.088) < 0.04
    # the pre-roll (300 ms, ending with the lone burst's tail of silence) and all of the speech are kept
    assert 1.25 <= len(segment.samples) / 16000 <= 1.5
    seg.onset_frames = 1
    assert [type(e) for e in feed(seg, np.concatenate(lone), block=512)] == [SpeechStart, SpeechTooShort]


def test_a_monologue_is_cut_at_the_maximum_length():
    seg = Segmenter(EnergyVAD(), VadConfig(max_utterance_s=2.0))
    segments = [e for e in feed(seg, speech_like(5.0)) if isinstance(e, SpeechSegment)]
    assert len(segments) == 2 and all(s.forced for s in segments)


def test_the_end_of_a_file_ends_a_turn_in_progress():
    seg = Segmenter(EnergyVAD(), VadConfig())
    feed(seg, speech_like(1.0))
    assert seg.in_speech
    (segment,) = seg.finish()
    assert isinstance(segment, SpeechSegment)
    assert seg.finish() == []


def test_a_pause_offers_the_turn_early_and_the_final_cut_is_the_same_audio():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150))
    events = feed(seg, np.concatenate([silence(0.5), speech_like(1.0), silence(1.0)]))
    paused, final = (e for e in events if isinstance(e, SpeechPaused | SpeechSegment))
    assert isinstance(paused, SpeechPaused) and isinstance(final, SpeechSegment)
    assert paused.candidate.key == final.key
    assert np.array_equal(paused.candidate.samples, final.samples)


class LaggingVAD(EnergyVAD):
    """Like Silero: still hears speech for a few frames (here 96 ms) after the sound stops."""

    def __init__(self, lag_frames=3):
        self.lag, self.left = lag_frames, 0

    def speech_probability(self, frame):
        if super().speech_probability(frame):
            self.left = self.lag
            return 1.0
        self.left = max(0, self.left - 1)
        return 1.0 if self.left else 0.0


def test_the_pause_is_offered_once_the_sound_has_stopped_that_long_not_the_vads_late_decision():
    seg = Segmenter(LaggingVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150))
    audio = np.concatenate([silence(0.5), speech_like(1.0), silence(1.0)])  # the sound stops at 1.5 s
    offered_at, events = None, []
    for i in range(0, len(audio), 512):
        new = seg.push(AudioChunk(audio[i: i + 512], 16000, 100.0 + i / 16000))
        if offered_at is None and any(isinstance(e, SpeechPaused) for e in new):
            offered_at = (i + 512) / 16000
        events += new
    assert 0.15 <= offered_at - 1.5 < 0.15 + 0.04  # counted from Silero's decision: 0.25 s and more
    paused, final = (e for e in events if isinstance(e, SpeechPaused | SpeechSegment))
    assert paused.candidate.key == final.key and np.array_equal(paused.candidate.samples, final.samples)


def test_speech_after_a_pause_makes_a_new_candidate():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=500, speculative_stt_ms=150))
    events = feed(seg, np.concatenate([speech_like(0.8), silence(0.3), speech_like(0.8), silence(1.0)]))
    pauses = [e for e in events if isinstance(e, SpeechPaused)]
    (final,) = [e for e in events if isinstance(e, SpeechSegment)]
    assert len(pauses) == 2
    assert pauses[0].candidate.key != final.key and pauses[1].candidate.key == final.key


def test_speech_after_a_pause_says_that_the_pause_is_over():
    """Its candidate will not be the turn: what was begun for it (a reply written ahead) can stop."""
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=500, speculative_stt_ms=150))
    events = feed(seg, np.concatenate([speech_like(0.8), silence(0.3), speech_like(0.8), silence(1.0)]))
    kinds = [type(e) for e in events]
    assert kinds == [SpeechStart, SpeechPaused, SpeechResumed, SpeechPaused, SpeechSegment]
    first_pause, resumed = events[1], events[2]
    assert resumed.key == first_pause.candidate.key
    assert seg.pause_key is None


def test_a_pause_in_progress_is_known_until_a_reset():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=500, speculative_stt_ms=150))
    (paused,) = [e for e in feed(seg, np.concatenate([speech_like(0.8), silence(0.3)])) if isinstance(e, SpeechPaused)]
    assert seg.pause_key == paused.candidate.key
    seg.reset()
    assert seg.pause_key is None
    # a new speech after the reset starts clean: no word of a pause that is gone
    assert not any(isinstance(e, SpeechResumed) for e in feed(seg, speech_like(0.8), t0=200.0))


def test_speculation_can_be_switched_off():
    seg = Segmenter(EnergyVAD(), VadConfig(speculative_stt_ms=0))
    assert not any(isinstance(e, SpeechPaused) for e in feed(seg, np.concatenate([speech_like(1.0), silence(1.0)])))


def test_an_unfinished_pause_waits_longer_and_speech_after_it_continues_the_turn():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150, unfinished_silence_ms=1200))
    out = feed(seg, np.concatenate([speech_like(0.8), silence(0.2)]))
    (paused,) = [e for e in out if isinstance(e, SpeechPaused)]
    seg.judged(paused.candidate.key, True)  # "what is the capital of": the transcript sounds unfinished
    assert not any(isinstance(e, SpeechSegment) for e in feed(seg, silence(0.7), t0=100.0))  # 0.9 s: still waiting
    out = feed(seg, np.concatenate([speech_like(0.5), silence(0.6)]), t0=101.7)
    (segment,) = [e for e in out if isinstance(e, SpeechSegment)]
    assert segment.t_speech_end - segment.t_speech_start > 2.0  # one turn: both halves of the sentence


def test_a_hold_for_an_older_pause_changes_nothing():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150))
    out = feed(seg, np.concatenate([speech_like(0.8), silence(0.2), speech_like(0.5), silence(0.2)]))
    first, _second = [e for e in out if isinstance(e, SpeechPaused)]
    seg.judged(first.candidate.key, True)  # arrived late: the user spoke again since
    assert any(isinstance(e, SpeechSegment) for e in feed(seg, silence(0.4)))


def test_awaiting_verdicts_a_pause_ends_the_turn_only_once_its_words_are_judged_finished():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150, unfinished_silence_ms=1200),
                    await_verdicts=True)
    out = feed(seg, np.concatenate([speech_like(0.8), silence(0.2)]))
    (paused,) = [e for e in out if isinstance(e, SpeechPaused)]
    # the end silence has run, but the recognizer is still at work on the speech so far: no end yet
    assert not any(isinstance(e, SpeechSegment) for e in feed(seg, silence(0.5), t0=100.0))
    seg.judged(paused.candidate.key, False)  # "what is the capital of France?": finished
    (segment,) = [e for e in feed(seg, silence(0.064), t0=100.5) if isinstance(e, SpeechSegment)]
    assert segment.key == paused.candidate.key  # the transcript of the pause is the turn's


def test_awaiting_a_verdict_that_never_comes_ends_the_turn_at_the_longest_silence():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150, unfinished_silence_ms=1200),
                    await_verdicts=True)
    feed(seg, np.concatenate([speech_like(0.8), silence(0.2)]))
    assert not any(isinstance(e, SpeechSegment) for e in feed(seg, silence(0.9), t0=100.0))  # 1.1 s of silence
    assert any(isinstance(e, SpeechSegment) for e in feed(seg, silence(0.2), t0=100.9))


def test_with_the_model_a_pause_ends_the_turn_once_the_words_sound_finished_too():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150, unfinished_silence_ms=1200),
                    turn=ScriptedTurn(0.9), await_verdicts=True)
    (paused,) = [e for e in feed(seg, np.concatenate([speech_like(0.8), silence(0.2)])) if isinstance(e, SpeechPaused)]
    assert not any(isinstance(e, SpeechSegment) for e in feed(seg, silence(0.3), t0=100.0))  # words still awaited
    (segment,) = seg.judged(paused.candidate.key, False)  # the words are in, and finished: the turn ends now
    assert segment.key == paused.candidate.key and segment.turn_probability == 0.9


def test_with_the_model_words_that_sound_unfinished_hold_the_turn():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150, unfinished_silence_ms=1200),
                    turn=ScriptedTurn(0.9), await_verdicts=True)
    (paused,) = [e for e in feed(seg, np.concatenate([speech_like(0.8), silence(0.2)])) if isinstance(e, SpeechPaused)]
    assert seg.judged(paused.candidate.key, True) == []  # "what is the capital of": the sound said finished
    assert not any(isinstance(e, SpeechSegment) for e in feed(seg, silence(0.8), t0=100.0))
    assert any(isinstance(e, SpeechSegment) for e in feed(seg, silence(0.3), t0=100.8))


class ScriptedTurn:
    """An end-of-turn model (orchestration test only; the real one is tested in tests/models/test_turn_model.py):
    answers each pause with the next of ``verdicts`` and keeps what it was asked about."""

    name, device = "scripted-turn", "cpu"

    def __init__(self, *verdicts):
        self.verdicts, self.asked = list(verdicts), []

    def load(self, progress=None):
        pass

    def probability(self, samples):
        self.asked.append(len(samples))
        return self.verdicts.pop(0)


def test_a_pause_the_model_judges_finished_ends_the_turn_there_with_the_same_cut():
    turn = ScriptedTurn(0.9)
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150), turn=turn)
    events = feed(seg, np.concatenate([speech_like(0.8), silence(0.2)]))  # 200 ms: half the end silence
    paused, segment = (e for e in events if isinstance(e, SpeechPaused | SpeechSegment))
    assert segment.key == paused.candidate.key and segment.turn_probability == 0.9
    assert turn.asked == [len(segment.samples)]  # asked about the very cut the turn ends with


def test_a_pause_judged_unfinished_waits_longer_and_speech_after_it_continues_the_turn():
    turn = ScriptedTurn(0.1, 0.8)
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150, unfinished_silence_ms=1200),
                    turn=turn)
    out = feed(seg, np.concatenate([speech_like(0.8), silence(0.9)]))  # "what is the capital of": 0.9 s silent
    assert not any(isinstance(e, SpeechSegment) for e in out) and len(turn.asked) == 1
    out = feed(seg, np.concatenate([speech_like(0.5), silence(0.3)]), t0=101.7)
    (segment,) = [e for e in out if isinstance(e, SpeechSegment)]
    assert segment.t_speech_end - segment.t_speech_start > 2.0  # one turn: both halves of the sentence
    assert any(isinstance(e, SpeechResumed) for e in out) and segment.turn_probability == 0.8


def test_a_pause_judged_unfinished_ends_the_turn_after_the_longest_silence():
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150, unfinished_silence_ms=1200),
                    turn=ScriptedTurn(0.1))
    assert not any(isinstance(e, SpeechSegment) for e in feed(seg, np.concatenate([speech_like(0.8),
                                                                                  silence(1.1)])))
    (segment,) = [e for e in feed(seg, silence(0.2), t0=101.9) if isinstance(e, SpeechSegment)]
    assert segment.turn_probability == 0.1


def test_the_model_is_asked_even_with_speculation_off_and_never_about_a_click():
    turn = ScriptedTurn(0.9)
    seg = Segmenter(EnergyVAD(), VadConfig(speculative_stt_ms=0, min_speech_ms=250), turn=turn)
    events = feed(seg, np.concatenate([speech_like(0.8), silence(0.3)]))
    assert [type(e) for e in events] == [SpeechStart, SpeechSegment] and len(turn.asked) == 1
    events = feed(seg, np.concatenate([silence(0.5), speech_like(0.1), silence(0.5)]), t0=200.0)
    assert [type(e) for e in events] == [SpeechStart, SpeechTooShort] and len(turn.asked) == 1


def test_the_segment_says_when_the_silence_alone_was_long_enough():
    # The bench's sequential baseline ends its turn there: it has no end-of-turn model.
    now = [0.0]
    seg = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400, speculative_stt_ms=150, unfinished_silence_ms=1200),
                    clock=lambda: now[0], turn=ScriptedTurn(0.1))
    feed(seg, np.concatenate([speech_like(0.8), silence(0.2)]))  # judged unfinished at the pause
    now[0] = 1.0
    feed(seg, silence(0.5), t0=100.0)  # the end silence is reached here; the turn goes on waiting
    now[0] = 2.0
    (segment,) = [e for e in feed(seg, silence(0.6), t0=100.5) if isinstance(e, SpeechSegment)]
    assert (segment.t_silence_met, segment.t_detected) == (1.0, 2.0)

    plain = Segmenter(EnergyVAD(), VadConfig(end_silence_ms=400), clock=lambda: now[0])
    (segment,) = [e for e in feed(plain, np.concatenate([speech_like(0.8), silence(0.6)]))
                  if isinstance(e, SpeechSegment)]
    assert segment.t_silence_met == segment.t_detected == 2.0 and segment.turn_probability is None


def _tone(seconds: float) -> np.ndarray:
    return (0.3 * np.sin(np.arange(int(seconds * RATE)) * 2 * np.pi * 220 / RATE)).astype(np.float32)


def test_pauses_inside_speech_are_shortened_and_the_silence_around_it_kept():
    rate, tone, quiet = RATE, _tone, silence
    audio = np.concatenate([quiet(0.2), tone(0.5), quiet(0.4), tone(0.3), quiet(0.15), tone(0.2), quiet(0.3)])
    closed = close_pauses(audio)
    assert closed is not None and len(closed) == len(audio) - int(0.3 * rate)  # 0.4 s -> 0.1 s; 0.15 s kept
    assert np.array_equal(closed[: int(0.75 * rate)], audio[: int(0.75 * rate)])  # up to 50 ms into the pause
    assert np.array_equal(closed[-int(0.7 * rate):], audio[-int(0.7 * rate):])  # from 50 ms before the speech
    assert close_pauses(np.concatenate([tone(0.5), quiet(0.15), tone(0.5), quiet(1.0)])) is None
    assert close_pauses(np.zeros(0, np.float32)) is None
