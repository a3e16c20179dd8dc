"""End-of-turn detection: VAD frames in, utterances out.

Pure logic (no threads): the listen stage feeds it chunks of any size; it re-blocks them into VAD
frames, keeps a pre-roll so the first syllable survives, ignores bursts shorter than the minimum
speech length, and finds where each turn ends. At a short pause (``speculative_stt_ms`` after the sound
stops) the speech so far is offered for an early transcript (``SpeechPaused``), whose words are judged
(``judged``: do they sound unfinished, "what is the capital of..."), and the end-of-turn model (``turn``) is
asked whether the user has finished, from the sound. With the model, the turn ends as soon as both say it
is finished, else after ``unfinished_silence_ms`` of silence unless speech resumes. Without it, a turn ends
after ``end_silence_ms`` of silence, or ``unfinished_silence_ms`` when its words sound unfinished. Either
way a turn is cut at ``max_utterance_s``.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass

import numpy as np

from assistant.config import VadConfig
from assistant.contracts.ports import EndOfTurnModel, VoiceActivityDetector
from assistant.contracts.types import SAMPLE_RATE, AudioChunk

_HYSTERESIS = 0.15  # once speaking, a frame still counts as speech down to threshold - this
_TAIL_S = 0.15  # audio kept after the end of speech
_END_DB = -30.0  # the acoustic end of speech: the last 10 ms window within 30 dB of the loudest one
_GAP_DB = -35.0  # a pause inside speech: 10 ms windows all more than 35 dB under the loudest one


def _loud_windows(audio: np.ndarray, rate: int, db: float) -> tuple[int, np.ndarray]:
    """(window length, indices of the 10 ms windows of ``audio`` within ``db`` of the loudest one)."""
    win = rate // 100
    n = len(audio) // win
    if n == 0:
        return win, np.zeros(0, dtype=np.int64)
    rms = np.sqrt((audio[: n * win].reshape(n, win) ** 2).mean(axis=1))
    return win, np.flatnonzero(rms >= rms.max() * 10 ** (db / 20))


def acoustic_end(audio: np.ndarray, rate: int = SAMPLE_RATE) -> int | None:
    """The sample index where speech really stops: the end of the last 10 ms window within 30 dB of the
    loudest one. Silero's decision lags the sound by about 100 ms; the user hears their own speech end
    when the sound does, so latency is measured from there."""
    win, loud = _loud_windows(audio, rate, _END_DB)
    return int((loud[-1] + 1) * win) if len(loud) else None


def close_pauses(audio: np.ndarray, rate: int = SAMPLE_RATE, *, min_gap_s: float = 0.2,
                 keep_s: float = 0.1) -> np.ndarray | None:
    """``audio`` with every pause inside the speech (``min_gap_s`` or longer, between two sounds) shortened to
    ``keep_s`` (its first and last halves kept), or None when there is none. Whisper can stop at an in-sentence
    pause and drop the words after it ("what is the capital of ... France?" read "what is the capital of?");
    heard with the pauses closed, it reads the sentence whole."""
    win, loud = _loud_windows(audio, rate, _GAP_DB)
    half = round(keep_s * rate / 2)
    gaps = np.flatnonzero((np.diff(loud) - 1) * win >= min_gap_s * rate)  # loud[i] .. loud[i + 1]: a pause
    if len(gaps) == 0:
        return None
    pieces, start = [], 0
    for i in gaps:
        pieces.append(audio[start: (loud[i] + 1) * win + half])
        start = loud[i + 1] * win - half
    return np.concatenate([*pieces, audio[start:]])


@dataclass(frozen=True, slots=True)
class SpeechStart:
    """Speech began at ``t_speech_start``."""

    t_speech_start: float


@dataclass(frozen=True, slots=True, eq=False)
class SpeechSegment:
    """One stretch of speech, cut at the end of the turn (or at a pause, as a candidate)."""

    samples: np.ndarray
    t_speech_start: float
    t_speech_end: float  # the acoustic end of the user's speech
    t_detected: float
    forced: bool = False  # cut at max_utterance_s rather than at a pause
    t_first: float = 0.0  # monotonic time of the first sample kept (the pre-roll's)
    # When the silence alone reached end_silence_ms (or the turn ended, if that was sooner): where a turn ends
    # for a pipeline without an end-of-turn model. Earlier than t_detected when the model judged it unfinished.
    t_silence_met: float = float("nan")
    turn_probability: float | None = None  # the end-of-turn model's verdict on the pause that ended it


    @property
    def key(self) -> tuple[float, int]:
        """Identifies the cut: a speculative transcript of the same key is the same audio."""
        return (round(self.t_speech_start, 6), len(self.samples))


@dataclass(frozen=True, slots=True, eq=False)
class SpeechPaused:
    """The user has been silent for ``speculative_stt_ms``: this is the turn if they stay silent."""

    candidate: SpeechSegment


@dataclass(frozen=True, slots=True)
class SpeechResumed:
    """The user spoke again in the pause whose candidate is ``key``: that candidate will not be the turn."""

    key: tuple


@dataclass(frozen=True, slots=True)
class SpeechTooShort:
    """A burst shorter than ``min_speech_ms``: not speech."""

    duration: float


SegmenterEvent = SpeechStart | SpeechPaused | SpeechResumed | SpeechSegment | SpeechTooShort


class Segmenter:
    """Finds the turns in a stream of audio: VAD frames in, speech events out (pure logic, one thread)."""

    def __init__(self, vad: VoiceActivityDetector, config: VadConfig, clock=time.monotonic, *,
                 turn: EndOfTurnModel | None = None, await_verdicts: bool = False) -> None:
        self.vad = vad
        self.config = config
        self.turn = turn  # asked at each pause whether the user has finished; None: the silence rule
        self.clock = clock
        self.frame = vad.frame_samples
        self.frame_s = self.frame / SAMPLE_RATE
        pre_frames = round(config.pre_roll_ms / 1000 / self.frame_s)
        self._pre_roll: collections.deque[np.ndarray] = collections.deque(maxlen=max(1, pre_frames))
        # Frames in a row that must sound like speech before speech starts (the listener raises it while the echo
        # canceller settles, when a lone frame may be the assistant's own voice); they are kept, and the speech
        # starts at the first of them.
        self.onset_frames = 1
        self._onset: list[np.ndarray] = []  # speech-like frames in a row, short of onset_frames
        self._pending = np.zeros(0, dtype=np.float32)
        self._pending_t = 0.0
        self._speech: list[np.ndarray] | None = None
        self._t_start = 0.0
        self._t_buffer = 0.0
        self._t_last_speech = 0.0
        self._samples = 0  # samples in the speech buffer
        self._samples_at_last_speech = 0
        self._silence_s = 0.0
        self._paused = False
        self._pause_end: int | None = None  # the acoustic end of the speech before the pause in progress (samples)
        self._pause_key: tuple | None = None  # the candidate of the pause in progress
        self._judged = False  # the end-of-turn model has been asked about the pause in progress
        self._finished = False  # and said that the user has finished
        self._hold_s = 0.0  # end silence for this pause, when its words sound unfinished
        self._verdict_pending = False  # this pause's words are being transcribed: finished or not is unknown
        self._t_silence_met: float | None = None
        # When on, a pause whose speech so far is being transcribed (SpeechPaused) ends the turn only once
        # ``judged`` says its words sound finished (or at the longest silence). It costs the answer nothing: the
        # turn's transcript is that very transcription. Without it, a recognizer slower than the end silence
        # cuts "what is the capital of ... France?" before the verdict can hold the turn.
        self.await_verdicts = await_verdicts
        self.last_probability = 0.0
        self.turn_probability: float | None = None  # the model's verdict on the last pause it was asked about

    @property
    def in_speech(self) -> bool:
        return self._speech is not None

    @property
    def pause_key(self) -> tuple | None:
        """The candidate of the pause in progress (a ``SpeechPaused`` was given for it), or None."""
        return self._pause_key if self._paused else None

    def judged(self, key: tuple, unfinished: bool) -> list[SpeechSegment | SpeechTooShort]:
        """The words of candidate ``key`` are in. When they sound unfinished and the user is still silent in that
        pause, the turn waits for ``unfinished_silence_ms`` of silence; when they sound finished and the model said
        so too, the turn ends now (returned). A verdict on an older pause changes nothing."""
        if key != self._pause_key or self._speech is None:
            return []
        self._verdict_pending = False
        if unfinished:
            self._hold_s = self.config.unfinished_silence_ms / 1000
            return []
        return [self._end(self.clock())] if self._finished else []

    def reset(self) -> None:
        self.vad.reset()
        self._pre_roll.clear()
        self._onset.clear()
        self._pending = np.zeros(0, dtype=np.float32)
        self._speech = None
        self._paused, self._pause_end = False, None
        self._clear_pause()

    def push(self, chunk: AudioChunk) -> list[SegmenterEvent]:
        """Feed 16 kHz audio; returns what happened, in order."""
        if chunk.rate != SAMPLE_RATE:
            raise ValueError(f"the segmenter takes {SAMPLE_RATE} Hz audio, got {chunk.rate}")
        if len(self._pending) == 0:
            self._pending_t = chunk.t_start
        self._pending = np.concatenate([self._pending, chunk.samples.astype(np.float32, copy=False)])
        out: list[SegmenterEvent] = []
        while len(self._pending) >= self.frame:
            frame, self._pending = self._pending[: self.frame], self._pending[self.frame:]
            t_frame = self._pending_t
            self._pending_t += self.frame_s
            out.extend(self._on_frame(frame, t_frame))
        return out

    def finish(self) -> list[SpeechSegment | SpeechTooShort]:
        """The stream ended (a file ran out): a turn in progress ends here."""
        if self._speech is None:
            return []
        return [self._end(self.clock())]

    def _on_frame(self, frame: np.ndarray, t_frame: float) -> list:
        p = self.last_probability = self.vad.speech_probability(frame)
        cfg = self.config
        if self._speech is None:
            if p < cfg.threshold:
                self._pre_roll.extend([*self._onset, frame])
                self._onset.clear()
                return []
            if len(self._onset) + 1 < self.onset_frames:
                self._onset.append(frame)
                return []
            self._t_start = t_frame - len(self._onset) * self.frame_s
            self._speech = [*self._pre_roll, *self._onset, frame]
            self._t_buffer = self._t_start - len(self._pre_roll) * self.frame_s  # time of the first sample kept
            self._pre_roll.clear()
            self._onset.clear()
            self._t_last_speech = t_frame + self.frame_s
            self._samples = sum(len(f) for f in self._speech)
            self._samples_at_last_speech = self._samples
            self._silence_s = 0.0
            return [SpeechStart(self._t_start)]
        self._speech.append(frame)
        self._samples += len(frame)
        out: list = []
        if p >= cfg.threshold - _HYSTERESIS:
            if self._paused and self._pause_key is not None:
                out.append(SpeechResumed(self._pause_key))
            self._silence_s = 0.0
            self._paused = False
            self._pause_end = None
            self._clear_pause()
            self._t_last_speech = t_frame + self.frame_s
            self._samples_at_last_speech = self._samples
        else:
            self._silence_s += self.frame_s
            if self._t_silence_met is None and self._silence_s >= cfg.end_silence_ms / 1000:
                self._t_silence_met = self.clock()
        if self.turn is not None and self._speech_duration() * 1000 >= cfg.min_speech_ms:
            # With the model, silence alone ends a turn only at the longest wait: the early end is the verdicts'
            end_s = max(cfg.end_silence_ms, cfg.unfinished_silence_ms) / 1000
        else:
            end_s = max(cfg.end_silence_ms / 1000, self._hold_s)
            if self._verdict_pending:
                end_s = max(end_s, cfg.unfinished_silence_ms / 1000)
        if self._silence_s >= end_s:
            return [self._end(self.clock())]
        if t_frame + self.frame_s - self._t_start >= cfg.max_utterance_s:
            return [*out, self._end(self.clock(), forced=True)]
        if self._silence_s > 0 and not self._paused and self._pause_due():
            return self._pause()
        return out

    def _pause(self) -> list:
        """The pause is long enough to cut the turn here: offer the cut for an early transcript, and ask the model
        whether it is the end (the turn ends at once) or the user will go on (it waits longer)."""
        self._paused = True
        candidate = self._cut(self._speech, float("nan"))  # type: ignore[arg-type]
        out: list = []
        if self.config.speculative_stt_ms:
            self._pause_key, self._verdict_pending = candidate.key, self.await_verdicts
            out.append(SpeechPaused(candidate))
        if self.turn is not None:
            self._judged = True
            p = self.turn_probability = self.turn.probability(candidate.samples)
            self._finished = p >= self.config.turn_threshold
            if self._finished and not self._verdict_pending:
                return [*out, self._end(self.clock())]
        return out

    def _clear_pause(self) -> None:
        self._pause_key, self._judged, self._finished, self._hold_s = None, False, False, 0.0
        self._verdict_pending, self._t_silence_met = False, None

    def _pause_due(self) -> bool:
        """Whether the pause in progress has gone on long enough to cut the turn there: counted from where the
        sound stopped, not from Silero's decision, which lags it by about 100 ms, and never before the cut holds
        its whole tail (so that it is the very cut the turn will end with)."""
        cfg = self.config
        if not (cfg.speculative_stt_ms or self.turn) or self._speech_duration() * 1000 < cfg.min_speech_ms:
            return False
        quiet_s = (self._samples - self._sound_end(self._speech)) / SAMPLE_RATE  # type: ignore[arg-type]
        return quiet_s >= max(cfg.speculative_stt_ms / 1000, _TAIL_S)

    def _sound_end(self, speech: list[np.ndarray]) -> int:
        """Where the sound of ``speech`` stops (samples): computed once per pause, as it does not change."""
        if self._pause_end is None:
            audio = np.concatenate(speech)[: self._samples_at_last_speech]
            self._pause_end = acoustic_end(audio) or self._samples_at_last_speech
        return self._pause_end

    def _speech_duration(self) -> float:
        return self._t_last_speech - self._t_start

    def _cut(self, speech: list[np.ndarray], t_detected: float, forced: bool = False,
             t_silence_met: float = float("nan"), turn_probability: float | None = None) -> SpeechSegment:
        audio = np.concatenate(speech)
        end = self._sound_end(speech)
        t_end = self._t_buffer + end / SAMPLE_RATE
        return SpeechSegment(audio[: end + int(_TAIL_S * SAMPLE_RATE)], self._t_start, t_end, t_detected, forced,
                             self._t_buffer, t_silence_met, turn_probability)

    def _end(self, t_detected: float, forced: bool = False) -> SpeechSegment | SpeechTooShort:
        assert self._speech is not None
        speech, self._speech = self._speech, None
        self._paused = False
        met, judged = self._t_silence_met, self._judged
        self._clear_pause()
        try:
            if self._speech_duration() * 1000 < self.config.min_speech_ms:
                return SpeechTooShort(self._speech_duration())
            return self._cut(speech, t_detected, forced, t_detected if met is None else met,
                             self.turn_probability if judged else None)
        finally:
            self._pause_end = None
