"""The listener: reads an audio source on its own thread and finds the turns in it with the segmenter."""

from __future__ import annotations

import logging
import queue
import threading

from assistant.bus import EventBus
from assistant.contracts.errors import AssistantError, AudioDeviceError
from assistant.contracts.events import (
    ErrorOccurred,
    ListeningStarted,
    ListeningStopped,
    SpeechDiscarded,
    SpeechStarted,
)
from assistant.contracts.ports import AudioSource, EchoCanceller, WakeWordSpotter
from assistant.pipeline.segmenter import (
    Segmenter,
    SpeechPaused,
    SpeechResumed,
    SpeechSegment,
    SpeechStart,
    SpeechTooShort,
)

log = logging.getLogger(__name__)


class Listener:
    """Reads an audio source on its own thread, finds turns with the segmenter and hands them on.

    ``echo`` (optional, an ``EchoCanceller``) takes the assistant's own voice out of every block first; a block
    it cannot clean yet is dropped like a gated one. ``spotter`` (optional, a ``WakeWordSpotter``) scores every
    block for the wake phrase; ``on_spotted(score, t, in_speech)`` hears of each phrase once it reaches
    ``spot_threshold``. A spotter that fails to load is reported, and listening goes on without it. ``gate``
    (optional) is asked for every block: while it returns False the block is dropped and the segmenter reset (half
    duplex: the assistant must not hear itself). A live device that fails (``AudioDeviceError``) is reported and
    reopened every ``retry_s`` until it works again or listening stops.
    """

    def __init__(self, bus: EventBus, segmenter: Segmenter, source: AudioSource, on_utterance,
                 on_pause=None, gate=None, retry_s: float = 1.0, echo: EchoCanceller | None = None,
                 on_speech_start=None, spotter: WakeWordSpotter | None = None, spot_threshold: float = 0.5,
                 on_spotted=None, on_pause_over=None, on_turn_model_failed=None) -> None:
        self.bus, self.segmenter, self.source = bus, segmenter, source
        self.on_utterance = on_utterance  # (SpeechSegment) -> None, called on the listener thread
        self.on_pause = on_pause  # (SpeechSegment) -> None: the candidate turn, while the silence runs
        self.on_pause_over = on_pause_over  # (key) -> None: that candidate will not be the turn (speech resumed)
        self.on_speech_start = on_speech_start  # (SpeechStart) -> None: barge-in is decided here, at once
        self.on_turn_model_failed = on_turn_model_failed  # () -> None: the end-of-turn model could not load
        self.echo = echo
        # Frames in a row that start speech while the echo canceller settles (the first moments of a reply): as
        # many as the shortest turn (vad.min_speech_ms, 250 ms). In 30-minute soaks the reply's first words came
        # through a fresh AEC3 in bursts of 30-190 ms and barged in on the reply itself; later one frame is
        # enough, so the user's barge-in during a reply is as quick as before.
        self._settling_onset = max(1, round(segmenter.config.min_speech_ms / 1000 / segmenter.frame_s))
        self.gate = gate
        self.spotter, self.spot_threshold, self.on_spotted = spotter, spot_threshold, on_spotted
        self._spot_quiet_until = 0.0
        self._spotted_speech = False  # the phrase was spotted in the speech in progress: one wake per utterance
        self.retry_s = retry_s
        self._stop = threading.Event()
        self._finish = threading.Event()
        self._verdicts: queue.Queue[tuple[tuple, bool]] = queue.Queue()  # for the segmenter, from the STT stage
        self.ended = threading.Event()  # listening is over (set before ListeningStopped says so)
        self.done = threading.Event()  # and everything about it has been published
        self.error: AssistantError | None = None
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop, and wait up to ``timeout`` for the source to be closed."""
        self._stop.set()
        self._thread.join(timeout)

    def judged(self, key: tuple, unfinished: bool) -> None:
        """The STT stage's verdict on the words of candidate ``key`` (any thread): the segmenter takes it on this
        listener's thread, before its next block."""
        self._verdicts.put((key, unfinished))

    def _take_verdicts(self) -> None:
        while True:
            try:
                key, unfinished = self._verdicts.get_nowait()
            except queue.Empty:
                return
            self._handle(self.segmenter.judged(key, unfinished))

    def request_stop(self) -> None:
        """Stop without waiting: the listener thread closes the source and publishes ``ListeningStopped``."""
        self._stop.set()

    def finish(self) -> None:
        """End listening now, answering what was said so far (push-to-talk released)."""
        self._finish.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _run(self) -> None:
        self._announced = False
        try:
            self.segmenter.vad.load()
            self._load_turn_model()
            self._load_spotter()
            self.source.start()
            gated = False
            while not self._stop.is_set():
                if self._finish.is_set():  # take in what was captured up to the release, then answer it
                    while (chunk := self.source.read(0.0)) is not None:
                        self._take_verdicts()
                        self._handle(self.segmenter.push(chunk))
                    self._handle(self.segmenter.finish())
                    break
                try:
                    chunk = self.source.read(0.1)
                except AudioDeviceError as exc:
                    self._recover(exc)
                    continue
                if chunk is not None:
                    if not self._announced:  # "listening" once sound flows: a device can take seconds to start
                        self._announced = True
                        self.bus.publish(ListeningStarted(source=self.source.name))
                    if self.echo is not None:
                        chunk = self.echo.process(chunk)
                        self.segmenter.onset_frames = self._settling_onset if self.echo.settling else 1
                    if chunk is None or (self.gate is not None and not self.gate()):
                        if not gated:
                            gated = True
                            self._reset_segmenter()
                        continue
                    gated = False
                    self._take_verdicts()
                    results = self.segmenter.push(chunk)
                    if self.spotter is not None:  # after the VAD has seen the block: is it in speech?
                        self._spot(chunk)
                    self._handle(results)
                elif self.source.exhausted:
                    self._handle(self.segmenter.finish())
                    break
        except AssistantError as exc:
            self.error = exc
            self.bus.publish(ErrorOccurred(code=exc.code, message=exc.message))
        except Exception as exc:
            log.exception("listening failed")
            self.error = AssistantError("listen-failed", f"listening failed: {exc}")
            self.bus.publish(ErrorOccurred(code=self.error.code, message=self.error.message))
        finally:
            self.source.stop()
            self._end_pause()  # a pause in progress will not be a turn now
            # Over before it is said to be: whoever hears ListeningStopped (the GUI, on its own thread, however
            # late the listener thread is scheduled) must find listening off, not still on.
            self.ended.set()
            self.bus.publish(ListeningStopped(source=self.source.name))
            self.done.set()

    SPOT_HOLD_S = 1.5  # one phrase, one wake: the model's score stays high for a few blocks after it

    def _load_turn_model(self) -> None:
        """A missing or broken end-of-turn model is said once; listening goes on with the silence rule."""
        if self.segmenter.turn is None:
            return
        try:
            self.segmenter.turn.load()
        except AssistantError as exc:
            self.segmenter.turn = None
            self.bus.publish(ErrorOccurred(code=exc.code, message=f"{exc.message} Meanwhile a turn ends after "
                                           f"{self.segmenter.config.end_silence_ms} ms of silence."))
            if self.on_turn_model_failed is not None:
                self.on_turn_model_failed()

    def _load_spotter(self) -> None:
        if self.spotter is None:
            return
        try:
            self.spotter.load()
        except AssistantError as exc:
            self.spotter = None
            self.bus.publish(ErrorOccurred(code=exc.code, message=f"{exc.message} Meanwhile the built-in detector "
                                           "listens for the phrase."))

    def _spot(self, chunk) -> None:
        assert self.spotter is not None
        score = self.spotter.score(chunk.samples)
        in_speech = self.segmenter.in_speech
        if not in_speech:
            self._spotted_speech = False
        if score >= self.spot_threshold and chunk.t_start >= self._spot_quiet_until and not self._spotted_speech:
            # One wake per phrase: not again for a moment, nor again in the same utterance (the question after
            # the phrase may hold words that sound like it)
            self._spot_quiet_until = chunk.t_start + self.SPOT_HOLD_S
            self._spotted_speech = in_speech
            self.spotter.reset()
            if self.on_spotted is not None:
                self.on_spotted(score, chunk.t_start, in_speech)

    def _recover(self, exc: AudioDeviceError) -> None:
        """The device went away: say so once, then reopen it quietly until it is back."""
        self.bus.publish(ErrorOccurred(code=exc.code, message=exc.message))
        if self._announced:
            self.bus.publish(ListeningStopped(source=self.source.name))
        self._announced = False  # announced again when its sound flows
        self._reset_segmenter()
        while not self._stop.wait(self.retry_s):
            try:
                self.source.stop()
                self.source.start()
            except AudioDeviceError as again:
                log.debug("microphone still unavailable: %s", again.message)
                continue
            log.info("microphone %s reopened", self.source.name)
            return

    def _end_pause(self) -> None:
        key = self.segmenter.pause_key
        if key is not None and self.on_pause_over is not None:
            self.on_pause_over(key)

    def _reset_segmenter(self) -> None:
        self._end_pause()
        self.segmenter.reset()

    def _handle(self, results) -> None:
        for result in results:
            if isinstance(result, SpeechStart):
                self.bus.publish(SpeechStarted(t_speech_start=result.t_speech_start))
                if self.on_speech_start is not None:
                    self.on_speech_start(result)
            elif isinstance(result, SpeechTooShort):
                self.bus.publish(SpeechDiscarded(duration=result.duration))
            elif isinstance(result, SpeechPaused):
                if self.on_pause is not None:
                    self.on_pause(result.candidate)
            elif isinstance(result, SpeechResumed):
                if self.on_pause_over is not None:
                    self.on_pause_over(result.key)
            elif isinstance(result, SpeechSegment):
                if result.turn_probability is not None:
                    log.debug("end of turn after %.0f ms (the model: %.2f finished)",
                              (result.t_detected - result.t_speech_end) * 1000, result.turn_probability)
                self.on_utterance(result)

