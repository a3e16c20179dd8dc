"""The TTS stage: speaks each sentence of a reply as it comes, and ends the turn once its audio has been heard."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from assistant.bus import EventBus
from assistant.contracts.errors import AssistantError
from assistant.contracts.events import SpeakingFinished, SpeakingStarted
from assistant.contracts.ports import AudioSink, TextToSpeech
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import Sentence
from assistant.pipeline.stage import TurnStage
from assistant.pipeline.turns import TurnTracker
from assistant.timings import TurnTimings


@dataclass(frozen=True, slots=True)
class EndOfReply:
    """The LLM stage has sent the last sentence of ``turn_id``'s reply."""

    turn_id: int


class TtsStage(TurnStage):
    """Owns the voice: synthesizes each ``Sentence`` and hands its audio to the sink (the speaker)."""

    role = "tts"

    def __init__(self, bus: EventBus, tts: TextToSpeech, tracker: TurnTracker, sink: AudioSink,
                 after_load: Callable[[], None] | None = None,
                 voices: Callable[[str], TextToSpeech | None] | None = None) -> None:
        """``voices(language)``: the voice for a piece in that language (None: ``tts`` speaks it), made on first
        use and loaded on this stage's thread."""
        super().__init__(bus, tts, tracker, "tts-stage", after_load)
        self.tts, self.sink = tts, sink
        self.voices = voices
        self._by_language: dict[str, TextToSpeech] = {}
        self._speaking: set[int] = set()
        # turn -> (when each piece of its reply starts to be heard, the piece): what an interruption cut short
        self._heard: OrderedDict[int, list[tuple[float, str]]] = OrderedDict()
        self._heard_lock = threading.Lock()

    def on_error(self, item: Sentence | EndOfReply, error: AssistantError) -> None:
        """The turn fails (the speaker went away, the voice failed): it is not being spoken any more."""
        self._speaking.discard(item.turn_id)
        super().on_error(item, error)

    def heard(self, turn_id: int, at: float) -> str:
        """The pieces of ``turn_id``'s reply whose sound had begun by ``at`` (monotonic): what the user heard."""
        with self._heard_lock:
            pieces = self._heard.pop(turn_id, [])
        return " ".join(text for start, text in pieces if start <= at)

    def handle(self, item: Sentence | EndOfReply) -> None:
        turn_id = item.turn_id
        if not self.tracker.is_open(turn_id):
            return  # stale: the turn was interrupted or failed
        if isinstance(item, EndOfReply):
            self._finish(turn_id)
            return
        timings = self.tracker.timings(turn_id)
        token = self.tracker.token(turn_id)
        if item.index == 0:
            # The reply's first sound is the latency the user feels: its text generation waits at its next token
            # until that sound is out, so speech has the cores (a small model writes faster than speech anyway).
            token.hold()
        try:
            self._speak(item, token, timings)
        finally:
            token.release()

    def _speak(self, item: Sentence, token: CancelToken, timings: TurnTimings) -> None:
        turn_id = item.turn_id
        first = True
        voice = self._voice(item.language)
        for block in voice.synthesize(item.text, cancel=token):
            if token.cancelled or not self.tracker.is_open(turn_id):
                return
            timings.mark("first_audio")
            heard_at = self.sink.play(block, voice.sample_rate)
            token.release()
            if token.cancelled:  # interrupted between the check above and play(): take it back
                self.sink.flush()
                return
            if first:
                first = False
                self._note_heard(turn_id, heard_at, item.text)
            timings.mark("voice_to_voice", heard_at)
            if turn_id not in self._speaking:
                self._speaking.add(turn_id)
                self.bus.publish(SpeakingStarted(turn_id=turn_id))

    def _voice(self, language: str) -> TextToSpeech:
        """The voice for ``language``: the default one, or that language's (loaded here, the first time)."""
        if not language or self.voices is None:
            return self.tts
        voice = self._by_language.get(language)
        if voice is None:
            voice = self._by_language[language] = self.voices(language) or self.tts
        if voice is not self.tts:
            self.load_model(self.role, voice)
        return voice

    def _note_heard(self, turn_id: int, heard_at: float, text: str) -> None:
        with self._heard_lock:
            self._heard.setdefault(turn_id, []).append((heard_at, text))
            while len(self._heard) > 8:  # turns that ended without being asked about
                self._heard.popitem(last=False)

    def _finish(self, turn_id: int) -> None:
        # The turn ends when its audio has been heard, unless it is interrupted first.
        while self.tracker.is_open(turn_id) and not self.sink.wait_drained(0.05):
            pass
        with self._heard_lock:
            self._heard.pop(turn_id, None)
        if turn_id in self._speaking:
            self._speaking.discard(turn_id)
            self.bus.publish(SpeakingFinished(turn_id=turn_id))
        self.tracker.end(turn_id, "completed")

