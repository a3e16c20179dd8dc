"""The streaming turn: listener (VAD) -> STT -> LLM + sentence splitter -> TTS -> speaker.

Each stage runs on its own thread and owns its model. Messages carry a turn id; a stage drops work
whose turn has ended (interrupted, superseded or failed). Every turn ends with exactly one
``TurnEnded``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.bus import EventBus
from assistant.contracts.errors import AssistantError, AudioDeviceError, ConfigError, NoSpeechError
from assistant.contracts.events import (
    ErrorOccurred,
    ListeningStarted,
    ListeningStopped,
    ModelLoading,
    ModelProgress,
    ModelReady,
    ReplyDelta,
    ReplyFinished,
    ReplyStarted,
    ScreenCaptured,
    ScreenCaptureStarted,
    ScreenRead,
    SentenceReady,
    SpeakingFinished,
    SpeakingStarted,
    SpeechDiscarded,
    SpeechIgnored,
    SpeechStarted,
    TranscriptFinal,
    TurnEnded,
)
from assistant.contracts.ports import (
    AudioSink,
    AudioSource,
    EchoCanceller,
    LanguageModel,
    Loadable,
    SpeechToText,
    TextToSpeech,
    WakeWordSpotter,
)
from assistant.contracts.screen import ScreenImage
from assistant.contracts.turns import CancelToken, TurnCounter
from assistant.contracts.types import (
    ChatMessage,
    Role,
    Sentence,
    SpeculativeUtterance,
    Transcript,
    TurnRequest,
    Utterance,
)
from assistant.conversation import Conversation
from assistant.screen_answer import ScreenAnswerer
from assistant.segmenter import Segmenter, SpeechPaused, SpeechResumed, SpeechSegment, SpeechStart, SpeechTooShort
from assistant.sentences import SentenceSplitter, sounds_unfinished
from assistant.stage import Stage
from assistant.timings import TurnTimings
from assistant.wake import WakeMatch, WakePhrase

log = logging.getLogger(__name__)


class TurnTracker:
    """Open turns and their timings; ends each turn exactly once."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._lock = threading.Condition()
        self._open: dict[int, TurnTimings] = {}
        self._ended: dict[int, TurnEnded] = {}

    def open(self, turn_id: int, origin: float) -> TurnTimings:
        with self._lock:
            timings = self._open[turn_id] = TurnTimings(origin)
            return timings

    def is_open(self, turn_id: int) -> bool:
        return turn_id in self._open

    def open_turns(self) -> list[int]:
        with self._lock:
            return list(self._open)

    def timings(self, turn_id: int) -> TurnTimings:
        return self._open.get(turn_id) or TurnTimings()  # a dummy for a turn that already ended

    def end(self, turn_id: int, outcome: str) -> None:
        with self._lock:
            timings = self._open.pop(turn_id, None)
            if timings is None:
                return
            event = TurnEnded(turn_id=turn_id, outcome=outcome, timings_ms=timings.as_ms())
            self._ended[turn_id] = event
            if len(self._ended) > 100:
                self._ended.pop(next(iter(self._ended)))
        self.bus.publish(event)
        with self._lock:
            self._lock.notify_all()

    def fail(self, turn_id: int, error: AssistantError) -> None:
        if self.is_open(turn_id):
            self.bus.publish(ErrorOccurred(code=error.code, message=error.message, turn_id=turn_id))
            self.end(turn_id, "no-speech" if isinstance(error, NoSpeechError) else "error")

    def wait_ended(self, turn_id: int, timeout: float | None = None) -> TurnEnded | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while turn_id not in self._ended:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._lock.wait(remaining)
            return self._ended[turn_id]


@dataclass(frozen=True, slots=True)
class EndOfReply:
    turn_id: int


@dataclass(frozen=True, slots=True)
class Prefill:
    """The words heard before the end-of-turn silence ran out: the next question, if the user stays silent.
    ``key`` is their candidate's (``SpeechSegment.key``)."""
    text: str
    key: tuple = ()


@dataclass(frozen=True, slots=True)
class _Settle:
    done: threading.Event


class _Draft:
    """A reply written ahead of its turn, during the user's end-of-turn silence: its stream, suspended between
    the LLM stage's visits, and the text it has produced so far."""

    def __init__(self, key: tuple, messages: list[ChatMessage], token: CancelToken, stream: Iterator[str]) -> None:
        self.key, self.messages, self.token, self.stream = key, messages, token, stream
        self.deltas: list[str] = []
        self.ended = False  # the model finished the reply
        self.failed = False

    def adopt(self, token: CancelToken) -> Iterator[str]:
        """The reply, as the turn of ``token``'s: what was written, then the rest as the model writes it."""
        self.token.follow(token)
        yield from self.deltas
        if not self.ended:
            yield from self.stream

    def discard(self) -> None:
        self.token.cancel()
        self.stream.close()  # the generation stops within a token and its thread is joined


class TurnStage(Stage):
    """A stage whose errors fail the turn they belong to."""

    def __init__(self, bus: EventBus, model, tracker: TurnTracker, name: str | None = None) -> None:
        super().__init__(bus, model, name)
        self.tracker = tracker

    def on_error(self, item, error: AssistantError) -> None:
        turn_id = getattr(item, "turn_id", None)
        if turn_id is not None and self.tracker.is_open(turn_id):
            self.tracker.fail(turn_id, error)
        else:
            super().on_error(item, error)


class TtsStage(TurnStage):
    role = "tts"

    def __init__(self, bus: EventBus, tts: TextToSpeech, tracker: TurnTracker, turns: TurnCounter,
                 sink: AudioSink) -> None:
        super().__init__(bus, tts, tracker, "tts-stage")
        self.tts, self.turns, self.sink = tts, turns, sink
        self._speaking: set[int] = set()
        # turn -> (when each piece of its reply starts to be heard, the piece): what an interruption cut short
        self._heard: OrderedDict[int, list[tuple[float, str]]] = OrderedDict()
        self._heard_lock = threading.Lock()

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
        token = self.turns.token(turn_id)
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
        for block in self.tts.synthesize(item.text, cancel=token):
            if token.cancelled or not self.tracker.is_open(turn_id):
                return
            timings.mark("first_audio")
            heard_at = self.sink.play(block, self.tts.sample_rate)
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


class LlmStage(TurnStage):
    role = "llm"

    def __init__(self, bus: EventBus, llm: LanguageModel, tracker: TurnTracker, turns: TurnCounter,
                 conversation: Conversation, tts_stage: TtsStage | None, screen: ScreenAnswerer | None = None,
                 capture: Callable[..., ScreenImage] | None = None) -> None:
        super().__init__(bus, llm, tracker, "llm-stage")
        self.llm, self.turns, self.conversation, self.tts_stage = llm, turns, conversation, tts_stage
        self.screen = screen  # answers questions about the screen or an image
        if screen is not None:
            screen.loader = self.load_model
        self.capture = capture  # (target, cancel=token) -> ScreenImage; set by bootstrap, or by a front-end
        self._loaded: set[int] = set()
        # Write the reply ahead, during the end-of-turn silence (a local model; off: prefill the prompt only)
        self.write_ahead = True
        self._draft: _Draft | None = None
        self._abandoned: tuple | None = None  # the candidate whose pause ended in speech (its draft is not wanted)
        self.drafts_taken = 0  # turns whose reply was begun during the end-of-turn silence

    def _load(self) -> None:
        super()._load()
        if self.load_error is None:  # the models loaded at start-up are not loaded again for screen questions
            self._loaded |= {id(m) for m in (self.llm, getattr(self.llm, "local", None),
                                             getattr(self.llm, "cloud", None)) if m is not None}

    def load_model(self, role: str, model: Loadable) -> None:
        """Load a model on first use (OCR, a VLM) on this thread, publishing the same events as start-up."""
        if id(model) in self._loaded:
            return
        name = getattr(model, "name", role)
        self.bus.publish(ModelLoading(role=role, name=name))
        t0 = time.monotonic()
        try:
            model.load(lambda message, fraction: self.bus.publish(ModelProgress(role=role, message=message,
                                                                                fraction=fraction)))
        except AssistantError as exc:  # said once, here; the screen answerer may still fall back to another model
            self.bus.publish(ErrorOccurred(code=exc.code, message=exc.message))
            raise
        self._loaded.add(id(model))
        self.bus.publish(ModelReady(role=role, name=name, seconds=time.monotonic() - t0,
                                    device=str(getattr(model, "device", "cpu"))))

    def _screen_prompt(self, request: TurnRequest, timings: TurnTimings):
        """(model, messages, what to remember of the question) for a question about the screen or an image."""
        if self.screen is None:
            raise ConfigError("screen-unavailable", "questions about the screen are not set up in this front-end.")
        image = request.image
        if image is None:
            if self.capture is None:
                raise ConfigError("screen-unavailable", "this front-end cannot capture the screen.")
            self.bus.publish(ScreenCaptureStarted(turn_id=request.turn_id, target=request.screen))
            image = self.capture(request.screen, cancel=self.turns.token(request.turn_id))  # an interrupt ends the wait
        timings.mark("capture")
        self.bus.publish(ScreenCaptured(turn_id=request.turn_id, source=image.source, width=image.width,
                                        height=image.height, capture_ms=round(image.capture_ms, 1)))
        messages = self.conversation.messages_for(request.text, self.llm.count_tokens)
        messages[-1] = ChatMessage(Role.USER, request.text, images=(image,))
        return self.screen, messages, f"{request.text} (asked about {image.source})"

    def stop(self, timeout: float = 5.0) -> None:
        draft = self._draft
        if draft is not None:
            draft.token.cancel()  # a draft parked at its next token must not keep the generation thread alive
        super().stop(timeout)

    def drop_draft(self, key: tuple) -> None:
        """The user spoke again in the pause of candidate ``key``: its reply is not wanted (any thread)."""
        self._abandoned = key
        draft = self._draft
        if draft is not None and draft.key == key:
            draft.token.cancel()

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until any reply written ahead is gone and the model is free (any thread but this stage's)."""
        done = threading.Event()
        self.put(_Settle(done))
        return done.wait(timeout)

    def _writes_ahead(self) -> bool:
        # Not on a cloud model: a reply the user may never ask for would be sent out and paid for.
        return self.write_ahead and bool(getattr(self.llm, "runs_locally", False))

    def _write_ahead(self, request: Prefill) -> None:
        """Start the reply to the words heard so far while the end-of-turn silence runs: if the turn ends with
        them, it goes on from there (``_take_draft``). It stops at its first spoken piece, or when anything else
        comes in: the stage serves its inbox, and the model writes on meanwhile."""
        self._discard_draft()
        if not self.inbox.empty() or request.key == self._abandoned:
            return  # a turn is already waiting, or the user spoke again
        messages = self.conversation.messages_for(request.text, self.llm.count_tokens)
        token = CancelToken(0)
        draft = self._draft = _Draft(request.key, messages, token, self.llm.stream(messages, cancel=token))
        if request.key == self._abandoned:  # spoke again while the draft was being set up
            token.cancel()
        splitter = SentenceSplitter()
        try:
            for delta in draft.stream:
                draft.deltas.append(delta)
                if splitter.feed(delta):
                    token.hold()  # the first piece is written: the rest waits to know that the turn ends here
                    return
                if token.cancelled or not self.inbox.empty():
                    return
            draft.ended = not token.cancelled
        except AssistantError as exc:  # the turn, if it comes, writes its reply itself and meets the error there
            log.warning("writing the reply ahead of the turn failed: %s", exc.message)
            draft.failed = True

    def _take_draft(self, messages: list[ChatMessage], token: CancelToken) -> Iterator[str] | None:
        """The reply written ahead for exactly ``messages``, continued as the turn of ``token``; else None (and
        any draft is discarded)."""
        draft, self._draft = self._draft, None
        if draft is None:
            return None
        if draft.failed or draft.token.cancelled or draft.messages != messages:
            draft.discard()
            return None
        self.drafts_taken += 1
        return draft.adopt(token)

    def _discard_draft(self) -> None:
        draft, self._draft = self._draft, None
        if draft is not None:
            draft.discard()

    def _prefill(self, text: str) -> None:
        """Run the question's prompt through the model while the end-of-turn silence runs, so that the turn, if
        it ends with these words, starts from its first token (a local model only; the reply is the same)."""
        self._discard_draft()
        prefill = getattr(self.llm, "prefill", None)
        if prefill is None or not self.inbox.empty():
            return  # a turn is already waiting: it prefills its own prompt
        try:
            prefill(self.conversation.messages_for(text, self.llm.count_tokens))
        except Exception as exc:  # only time is lost: the turn prefills its prompt itself
            log.warning("prefilling the prompt ahead of the turn failed: %s", exc)

    def handle(self, request: TurnRequest | Prefill | _Settle) -> None:
        if isinstance(request, _Settle):
            self._discard_draft()
            request.done.set()
            return
        if isinstance(request, Prefill):
            if self._writes_ahead():
                self._write_ahead(request)
            else:
                self._prefill(request.text)
            return
        turn_id = request.turn_id
        if not self.tracker.is_open(turn_id):
            return  # stale; a reply being written ahead is for newer words, and stays
        timings = self.tracker.timings(turn_id)
        token = self.turns.token(turn_id)
        speak = request.speak and self.tts_stage is not None
        about_screen = request.image is not None or bool(request.screen)
        draft = None
        if about_screen:
            self._discard_draft()
            model, messages, remembered = self._screen_prompt(request, timings)
        else:
            model, remembered = self.llm, request.text
            messages = self.conversation.messages_for(request.text, self.llm.count_tokens)
            draft = self._take_draft(messages, token)
        self.bus.publish(ReplyStarted(turn_id=turn_id, backend=model.name, prompt=request.text))
        splitter = SentenceSplitter()
        parts: list[str] = []
        sent: list[str] = []

        def send(pieces: list[str]) -> None:
            for piece in pieces:
                timings.mark("first_sentence")
                self.bus.publish(SentenceReady(turn_id=turn_id, index=len(sent), text=piece))
                if speak:
                    self.tts_stage.put(Sentence(turn_id, piece, len(sent)))  # type: ignore[union-attr]
                sent.append(piece)

        read_reported = False
        for delta in draft if draft is not None else model.stream(messages, cancel=token):
            if about_screen and not read_reported:
                read_reported = True
                self._report_read(turn_id, timings)
            timings.mark("llm_first_token")
            parts.append(delta)
            self.bus.publish(ReplyDelta(turn_id=turn_id, text=delta))
            send(splitter.feed(delta))
        cancelled = token.cancelled
        if not cancelled:
            send(splitter.flush())
        reply = "".join(parts).strip()
        self.conversation.add_exchange(remembered, reply, interrupted=cancelled, private=about_screen,
                                       turn_id=turn_id, spoken=speak and request.by_voice)
        if not self.tracker.is_open(turn_id):
            return
        timings.mark("reply_done")
        backend = getattr(model, "last_backend", model.name)  # the router says who finished the answer
        self.bus.publish(ReplyFinished(turn_id=turn_id, text=reply, backend=backend, cancelled=cancelled))
        if speak:
            self.tts_stage.put(EndOfReply(turn_id))  # type: ignore[union-attr]
        else:
            self.tracker.end(turn_id, "completed")

    def _report_read(self, turn_id: int, timings: TurnTimings) -> None:
        read = self.screen.last_read if self.screen is not None else None
        if read is not None:
            lines, chars, seconds, finished_at = read
            timings.mark("screen_read", finished_at)
            self.bus.publish(ScreenRead(turn_id=turn_id, lines=lines, chars=chars, seconds=round(seconds, 3)))
            self.screen.last_read = None  # type: ignore[union-attr]


class SttStage(TurnStage):
    role = "stt"

    def __init__(self, bus: EventBus, stt: SpeechToText, tracker: TurnTracker, llm_stage: LlmStage | None,
                 language: str | None = None) -> None:
        super().__init__(bus, stt, tracker, "stt-stage")
        self.stt, self.llm_stage, self.language = stt, llm_stage, language
        self._speculative: tuple | None = None  # (key, transcript) of the last speculative run
        # (speech start, match): the phrase heard at a pause earlier in the speech in progress. The whole, heard
        # again with the phrase as the prompt, can leave the phrase out (the prompt reads as said already).
        self._phrase_at_pause: tuple[float, WakeMatch] | None = None
        self.speculative_hits = 0
        self.prefill_llm = True  # hand the speculative transcript to the LLM to prefill (off: for A/B runs)
        # (transcript) -> (image to ask about, screen target to capture): an attached image, or "my screen"
        self.screen_for: Callable[[str], tuple[ScreenImage | None, str]] | None = None
        # (candidate key, its words sound unfinished): the verdict on the speech so far, for the end of turn
        self.on_judged: Callable[[tuple, bool], None] | None = None
        self.wake: WakePhrase | None = None  # always-listening mode: the phrase to look for
        # (utterance, match) -> the turn that answers the question after the phrase; None when it was said alone
        self.on_wake: Callable[[Utterance, WakeMatch], int | None] | None = None

    def handle(self, utterance: Utterance | SpeculativeUtterance) -> None:
        if isinstance(utterance, SpeculativeUtterance):
            self._speculative = None
            if not self.inbox.empty():
                if self.on_judged is not None:
                    self.on_judged(utterance.key, False)  # no verdict: the end of turn must not wait for one
                return  # a newer candidate or the final utterance is waiting: this one is already stale
            transcript = self.stt.transcribe(utterance.samples, language=self.language, prompt=utterance.prompt)
            self._speculative = (utterance.key, utterance.prompt, utterance.lead, transcript)
            if utterance.prompt and self.wake is not None and utterance.key:
                match = self.wake.match(transcript.text)
                if match is not None and not self.wake.needs_confirming(transcript):
                    self._phrase_at_pause = (utterance.key[0], match)
            unfinished = sounds_unfinished(transcript.text)
            if self.on_judged is not None:  # mid-sentence ("...capital of"): the user gets longer to go on
                self.on_judged(utterance.key, unfinished)
            # Not in always-listening mode (a prompt, the wake phrase, is set there): the question is the words
            # after the phrase, which only the final turn picks out.
            if self.prefill_llm and self.llm_stage is not None and not utterance.prompt and transcript.text \
                    and not unfinished:
                self.llm_stage.put(Prefill(transcript.text, utterance.key))
            return
        turn_id = utterance.turn_id
        if utterance.wake != "candidate" and not self.tracker.is_open(turn_id):
            return
        t0 = time.monotonic()
        spec = self._speculative
        if spec is not None and utterance.key and spec[:3] == (utterance.key, utterance.prompt, utterance.lead):
            transcript = spec[3]  # transcribed during the silence: the same audio
            self.speculative_hits += 1
        else:
            transcript = self.stt.transcribe(utterance.samples, language=self.language, prompt=utterance.prompt)
        self._speculative = None
        text = transcript.text
        if utterance.wake:
            turn_id, text = self._after_wake_check(utterance, transcript)
            if turn_id is None:
                return
        self.tracker.timings(turn_id).mark("stt")
        if not text:
            raise NoSpeechError("No speech heard: the audio held sound but no words I could recognise.")
        self.bus.publish(TranscriptFinal(turn_id=turn_id, text=text, seconds=time.monotonic() - t0))
        if self.llm_stage is None:
            self.tracker.end(turn_id, "completed")
            return
        image, screen = self.screen_for(text) if self.screen_for is not None else (None, "")
        self.llm_stage.put(TurnRequest(turn_id, text, speak=True, t_submitted=utterance.t_speech_end,
                                       image=image, screen=screen, by_voice=True))

    def _heard_in_full(self, utterance: Utterance, match: WakeMatch) -> WakeMatch:
        """``match``, or its question heard again without the prompt when it stops short: tiny.en given the phrase
        as its prompt can drop the words after an in-sentence pause ("what is the capital of, France?" read "what
        is the capital of?"); without the prompt it keeps them."""
        if not (match.question and utterance.prompt and sounds_unfinished(match.question)):
            return match
        again = self.wake.match(self.stt.transcribe(utterance.samples, language=self.language).text)
        if again is not None and again.question and not sounds_unfinished(again.question):
            return WakeMatch(heard=match.heard, score=match.score, question=again.question)
        return match

    def _after_wake_check(self, utterance: Utterance, transcript: Transcript) -> tuple[int | None, str]:
        """Always-listening mode: (the turn to answer, the question), or (None, "") when there is nothing to
        answer. Speech without the phrase, and sound without words, are dropped quietly: no error, no turn."""
        duration = len(utterance.samples) / 16000
        candidate = utterance.wake == "candidate"
        text = transcript.text
        match = self.wake.match(text) if text and self.wake is not None else None
        at_pause, self._phrase_at_pause = self._phrase_at_pause, None
        if utterance.lead:  # the phrase said alone before this question, heard again with it: not a new wake
            if match is not None and match.question:
                return utterance.turn_id, self._heard_in_full(utterance, match).question
            text = self.stt.transcribe(utterance.samples[utterance.lead:], language=self.language,
                                       prompt=utterance.prompt).text  # the phrase was not heard again
            match = None
        if match is None and candidate and text and at_pause is not None and utterance.key \
                and at_pause[0] == utterance.key[0]:
            heard = at_pause[1]
            match = WakeMatch(heard=heard.heard, score=heard.score, question=text)  # the phrase, then all of this
        elif match is not None and candidate and utterance.prompt and self.wake.needs_confirming(transcript):
            plain = self.stt.transcribe(utterance.samples, language=self.language).text
            if self.wake.match(plain) is None:  # only the prompt's suggestion heard it: not the phrase
                log.info("wake phrase in %r not confirmed without the prompt (%r)", text, plain)
                match = None
        if match is not None:
            match = self._heard_in_full(utterance, match)
        if not text or (candidate and match is None):
            if not candidate:
                self.tracker.end(utterance.turn_id, "no-speech")
            self.bus.publish(SpeechIgnored(reason="no-words" if not text else "no-wake-phrase", duration=duration))
            return None, ""
        if match is None:
            return utterance.turn_id, text  # a follow-up question or a barge-in, without the phrase
        assert self.on_wake is not None
        turn_id = self.on_wake(utterance, match)  # the turn of the question, or None: the phrase alone
        if turn_id is None and not candidate:
            self.tracker.end(utterance.turn_id, "no-speech")  # the phrase again, alone: waiting for the question
        return turn_id, match.question


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
                 on_spotted=None, on_pause_over=None) -> None:
        self.bus, self.segmenter, self.source = bus, segmenter, source
        self.on_utterance = on_utterance  # (SpeechSegment) -> None, called on the listener thread
        self.on_pause = on_pause  # (SpeechSegment) -> None: the candidate turn, while the silence runs
        self.on_pause_over = on_pause_over  # (key) -> None: that candidate will not be the turn (speech resumed)
        self.on_speech_start = on_speech_start  # (SpeechStart) -> None: barge-in is decided here, at once
        self.echo = echo
        self.gate = gate
        self.spotter, self.spot_threshold, self.on_spotted = spotter, spot_threshold, on_spotted
        self._spot_quiet_until = 0.0
        self._spotted_speech = False  # the phrase was spotted in the speech in progress: one wake per utterance
        self.retry_s = retry_s
        self._stop = threading.Event()
        self._finish = threading.Event()
        self.done = threading.Event()
        self.error: AssistantError | None = None
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

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
            self._load_spotter()
            self.source.start()
            gated = False
            while not self._stop.is_set():
                if self._finish.is_set():  # take in what was captured up to the release, then answer it
                    while (chunk := self.source.read(0.0)) is not None:
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
                    if chunk is None or (self.gate is not None and not self.gate()):
                        if not gated:
                            gated = True
                            self._reset_segmenter()
                        continue
                    gated = False
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
            self.bus.publish(ListeningStopped(source=self.source.name))
            self.done.set()

    SPOT_HOLD_S = 1.5  # one phrase, one wake: the model's score stays high for a few blocks after it

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
                self.on_utterance(result)
