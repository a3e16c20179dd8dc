"""What heard speech becomes: a turn, the question after the wake phrase, or nothing.

The ``ListeningController`` owns the listening state machine (always-listening mode, the wake window, the phrase
said alone, a question cut short by a pause, barge-in) on its own thread. The listener, the STT stage and the bus
send it messages; no other thread reads or writes that state, except ``speaking_turn``, which it alone writes.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.bus import EventBus
from assistant.config import ListenConfig
from assistant.contracts.events import (
    AwaitingQuestion,
    BargedIn,
    SpeakingStarted,
    SpeechEnded,
    SpeechIgnored,
    TurnEnded,
    WakeDetected,
)
from assistant.contracts.types import SAMPLE_RATE, SpeculativeUtterance, Utterance
from assistant.pipeline.segmenter import SpeechPaused, SpeechSegment, SpeechStart
from assistant.pipeline.turns import TurnTracker
from assistant.pipeline.wake import WakeMatch, WakePhrase, WakeWindow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Listen:
    """Listening starts: ``wake`` for always-listening mode; ``spotting()`` says whether a wake-word model listens."""

    wake: bool
    spotting: Callable[[], bool]


@dataclass(frozen=True, slots=True)
class StopListening:
    """Listening stops (what the listener still hands over is taken as in one-shot mode)."""


@dataclass(frozen=True, slots=True)
class Spotted:
    """The wake-word model heard the phrase at ``t``, in the speech in progress or not."""

    score: float
    t: float
    in_speech: bool


@dataclass(frozen=True, slots=True)
class WakeHeard:
    """The STT stage heard the phrase in ``utterance``; ``reply`` gets the turn of the question after it (None: the
    phrase came alone)."""

    utterance: Utterance
    match: WakeMatch
    reply: queue.Queue


@dataclass(frozen=True, slots=True)
class Retune:
    """New always-listening settings."""

    listen: ListenConfig
    wake: WakePhrase
    keep_recording: Callable[[np.ndarray], None] | None


_STOP = object()


class ListeningController:
    """The always-listening state machine, on one thread: speech events from the listener, the STT stage's wake
    verdicts and the turns' speaking events come in as messages; turns begin, utterances go to ``stt`` (the STT
    stage's inbox) and events are published from here.

    ``begin_turn(origin)`` starts a turn (superseding the one in progress) and returns its id; ``interrupt()`` stops
    the turn in progress."""

    WAKE_WAIT_S = 8.0  # after the phrase alone, how long the question may take to come
    CONTINUATION_S = 1.5  # speech this soon after a question still unanswered continues it

    def __init__(self, bus: EventBus, tracker: TurnTracker, stt: queue.Queue, listen: ListenConfig, wake: WakePhrase,
                 *, begin_turn: Callable[[float], int], interrupt: Callable[[], Any],
                 keep_recording: Callable[[np.ndarray], None] | None = None) -> None:
        self.bus, self.tracker, self.stt = bus, tracker, stt
        self.begin_turn, self.interrupt = begin_turn, interrupt
        self.inbox: queue.Queue[Any] = queue.Queue()
        # Everything below is this thread's alone.
        self._listen, self._wake, self._keep_recording = listen, wake, keep_recording
        self._wake_mode = False
        self._spotting: Callable[[], bool] = lambda: False
        self._window = WakeWindow()
        self._speech_awake = False  # the speech in progress started while a phrase was not needed
        self._spotted_in_speech = False  # the wake-word model heard the phrase in the speech in progress
        self._last_voice: tuple[int, Utterance] | None = None  # the latest spoken question and its turn
        self._carry: Utterance | None = None  # a question cut short by a pause: the next speech continues it
        self._phrase_alone: Utterance | None = None  # the phrase said alone: the question is heard after it
        self.speaking_turn: int | None = None  # the turn whose reply is being spoken (read by the half-duplex gate)
        self._thread = threading.Thread(target=self._run, name="listening", daemon=True)
        bus.subscribe(self._on_event)

    # --- any thread ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread.is_alive():
            self.inbox.put(_STOP)
            self._thread.join(timeout)

    def put(self, message: Any) -> None:
        self.inbox.put(message)

    def wake_heard(self, utterance: Utterance, match: WakeMatch) -> int | None:
        """The STT stage heard the phrase (on its thread): the turn that answers the question after it, or None
        when the phrase came alone and the question is awaited. Waits for this thread's answer."""
        reply: queue.Queue = queue.Queue(maxsize=1)
        self.inbox.put(WakeHeard(utterance, match, reply))
        return reply.get()

    def _on_event(self, event: Any) -> None:
        if isinstance(event, SpeakingStarted | TurnEnded):
            self.inbox.put(event)

    # --- this thread -------------------------------------------------------------------------------------

    def _run(self) -> None:
        while (message := self.inbox.get()) is not _STOP:
            try:
                self._handle(message)
            except Exception:  # one bad message must not end listening for good
                log.exception("the listening controller failed on %r", type(message).__name__)
                if isinstance(message, WakeHeard):
                    message.reply.put(None)

    def _handle(self, message: Any) -> None:
        if isinstance(message, SpeechStart):
            self._on_speech_start(message)
        elif isinstance(message, SpeechPaused):
            self._on_pause(message.candidate)
        elif isinstance(message, SpeechSegment):
            self._on_utterance(message)
        elif isinstance(message, WakeHeard):
            message.reply.put(self._on_wake(message.utterance, message.match))
        elif isinstance(message, Spotted):
            self._on_spotted(message)
        elif isinstance(message, SpeakingStarted):
            self.speaking_turn = message.turn_id
        elif isinstance(message, TurnEnded):
            self._on_turn_ended(message)
        elif isinstance(message, Listen):
            self._wake_mode, self._spotting = message.wake, message.spotting
            self._speech_awake = self._spotted_in_speech = False
            self._phrase_alone = None
            self._window.close()
        elif isinstance(message, StopListening):
            self._wake_mode = False
        elif isinstance(message, Retune):
            self._listen, self._wake, self._keep_recording = message.listen, message.wake, message.keep_recording

    def _on_turn_ended(self, event: TurnEnded) -> None:
        if event.turn_id == self.speaking_turn:
            self.speaking_turn = None
        seconds = self._listen.follow_up_s
        if (self._wake_mode and event.outcome == "completed" and seconds > 0
                and not self.tracker.open_turns()):
            self._window.open(seconds)
            self.bus.publish(AwaitingQuestion(seconds=seconds, reason="follow-up"))

    def _on_speech_start(self, start: SpeechStart) -> None:
        """Always-listening mode, the moment speech starts: whether it needs the phrase, and barge-in: a reply in
        progress (thinking or speaking) stops now, and this speech is the next turn."""
        busy = self.tracker.open_turns() if self._listen.barge_in else []
        self._speech_awake = bool(busy) or self._window.is_open(start.t_speech_start)
        if busy:
            turn_id = busy[-1]
            last = self._last_voice
            # Speech again soon after a question whose answer has not started: the user paused mid-sentence.
            # The two halves are one question (heard again together), not a new question replacing the first.
            if (last is not None and last[0] == turn_id and self.speaking_turn != turn_id
                    and start.t_speech_start - last[1].t_speech_end < self.CONTINUATION_S):
                self._carry = last[1]
            self.interrupt()
            self.bus.publish(BargedIn(turn_id=turn_id, t_speech_start=start.t_speech_start))

    def _on_spotted(self, spotted: Spotted) -> None:
        """The wake-word model heard the phrase: the speech in progress, or the next one within the window, is
        the question."""
        self._spotted_in_speech = spotted.in_speech
        seconds = max(self._listen.follow_up_s, self.WAKE_WAIT_S)
        self._window.open(seconds)
        self.bus.publish(WakeDetected(heard=self._listen.wake_phrase, score=round(spotted.score, 3),
                                      t_speech_start=spotted.t))
        self.bus.publish(AwaitingQuestion(seconds=seconds, reason="wake"))

    def _on_wake(self, utterance: Utterance, match: WakeMatch) -> int | None:
        spotted = utterance.wake == "spotted"  # the wake-word model said so already, as the phrase was said
        if not spotted:
            self.bus.publish(WakeDetected(heard=match.heard, score=match.score,
                                          t_speech_start=utterance.t_speech_start))
        if not match.question:
            seconds = max(self._listen.follow_up_s, self.WAKE_WAIT_S)
            self._phrase_alone = utterance
            self._window.open(seconds)
            if not spotted:
                self.bus.publish(AwaitingQuestion(seconds=seconds, reason="wake"))
            return None
        if utterance.wake in ("awake", "spotted"):
            return utterance.turn_id
        turn_id = self.begin_turn(utterance.t_speech_end)
        self._last_voice = (turn_id, utterance)
        self.tracker.timings(turn_id).mark("end_of_speech_detected", utterance.t_detected)
        self.bus.publish(SpeechEnded(turn_id=turn_id, t_speech_end=utterance.t_speech_end,
                                     duration=utterance.t_speech_end - utterance.t_speech_start))
        return turn_id

    def _on_utterance(self, segment: SpeechSegment) -> None:
        if self._keep_recording is not None:
            self._keep_recording(segment.samples)
        prompt, wake, lead = "", "", 0
        samples, t_start, key = segment.samples, segment.t_speech_start, segment.key
        if self._wake_mode:
            prompt = self._wake.prompt
            wake = "awake" if self._speech_awake or self._window.is_open(segment.t_speech_start) else "candidate"
            if self._spotted_in_speech:
                wake = "spotted"
            self._speech_awake = self._spotted_in_speech = False
            carry, self._carry = self._carry, None
            if carry is not None and wake == "awake":  # the first half of this sentence, cut by a long pause
                gap = np.zeros(int(0.2 * SAMPLE_RATE), np.float32)
                samples, t_start, key = np.concatenate([carry.samples, gap, samples]), carry.t_speech_start, ()
                lead = carry.lead
            elif wake == "awake":
                samples, lead = self._after_phrase(samples, segment.t_first)
            self._phrase_alone = None
            if wake == "candidate" and self._spotting():  # the model heard no phrase in it: nothing to transcribe
                self.bus.publish(SpeechIgnored(reason="no-wake-phrase", duration=segment.t_speech_end - t_start))
                return
            if wake == "candidate":  # not a turn unless it starts with the phrase: nothing is interrupted
                self.stt.put(Utterance(0, samples, t_start, segment.t_speech_end, segment.t_detected, key, prompt,
                                       wake, t_first=segment.t_first))
                return
        turn_id = self.begin_turn(segment.t_speech_end)
        self.tracker.timings(turn_id).mark("end_of_speech_detected", segment.t_detected)
        if segment.t_silence_met == segment.t_silence_met:  # not NaN
            self.tracker.timings(turn_id).mark("end_silence", segment.t_silence_met)
        self.bus.publish(SpeechEnded(turn_id=turn_id, t_speech_end=segment.t_speech_end,
                                     duration=segment.t_speech_end - t_start))
        utterance = Utterance(turn_id, samples, t_start, segment.t_speech_end, segment.t_detected, key, prompt, wake,
                              lead, segment.t_first)
        self._last_voice = (turn_id, utterance)
        self.stt.put(utterance)

    def _on_pause(self, candidate: SpeechSegment) -> None:
        # Transcribe the speech so far while the end-of-turn silence runs: if the user stays silent,
        # the transcript is ready (or nearly) when the turn ends.
        if (self._wake_mode and self._spotting() and not (self._speech_awake or self._spotted_in_speech)
                and not self._window.is_open(candidate.t_speech_start)):
            return  # speech without the phrase, as the wake-word model hears it: never transcribed
        samples, lead = (self._after_phrase(candidate.samples, candidate.t_first) if self._wake_mode
                         else (candidate.samples, 0))
        self.stt.put(SpeculativeUtterance(candidate.key, samples, self._wake.prompt if self._wake_mode else "", lead))

    def _after_phrase(self, samples: np.ndarray, t_first: float) -> tuple[np.ndarray, int]:
        """(samples, lead): the question (its first sample at ``t_first``) with the phrase said alone just before it
        in front (``lead`` samples: the phrase and the silence between them, up to 1 s of it), so that the
        recognizer hears what it would have heard had the pause not split them; unchanged without such a phrase."""
        phrase = self._phrase_alone
        if phrase is None:
            return samples, 0
        gap = t_first - (phrase.t_first + len(phrase.samples) / SAMPLE_RATE)
        if not 0.0 <= gap <= self.WAKE_WAIT_S:
            return samples, 0
        lead = np.concatenate([phrase.samples, np.zeros(int(min(gap, 1.0) * SAMPLE_RATE), np.float32)])
        return np.concatenate([lead, samples]), len(lead)
