"""The LLM stage: writes the reply to each turn's question, hands its speakable pieces to the voice, and
answers questions about the screen."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from assistant.bus import EventBus
from assistant.contracts.errors import ConfigError
from assistant.contracts.events import (
    ReplyDelta,
    ReplyFinished,
    ReplyStarted,
    ScreenCaptured,
    ScreenCaptureStarted,
    ScreenRead,
    SentenceReady,
)
from assistant.contracts.ports import LanguageModel
from assistant.contracts.screen import ScreenImage
from assistant.contracts.types import ChatMessage, Role, Sentence, TurnRequest
from assistant.pipeline.acting import ToolTurns
from assistant.pipeline.conversation import Conversation
from assistant.pipeline.languages import speech_language
from assistant.pipeline.router import RoutedLLM
from assistant.pipeline.sentences import SentenceSplitter
from assistant.pipeline.stage import Setting, TurnStage
from assistant.pipeline.tts import EndOfReply
from assistant.pipeline.turns import TurnTracker
from assistant.pipeline.write_ahead import Prefill, Settle, WriteAhead
from assistant.screen_answer import ScreenAnswerer
from assistant.timings import TurnTimings


@dataclass(frozen=True, slots=True)
class UseCapture(Setting):
    """Capture the screen with ``capture(target, cancel=token)`` from now on (a front-end hides its own windows
    around it)."""

    capture: Callable[..., ScreenImage]


@dataclass(frozen=True, slots=True)
class Say:
    """Say ``text`` as the reply of turn ``turn_id`` without the model (an announcement: a timer went off)."""

    turn_id: int
    text: str
    speak: bool = True
    backend: str = "announcement"


@dataclass(frozen=True, slots=True)
class Confirm:
    """The user clicked yes (``allow``) or no on the tool call waiting for it; the answer is turn ``turn_id``'s."""

    turn_id: int
    allow: bool
    speak: bool = True


class LlmStage(TurnStage):
    """Owns the language model: a ``TurnRequest`` in, ``Sentence``s and an ``EndOfReply`` out to ``speech`` (the
    TTS stage's inbox; None: the reply is not spoken)."""

    role = "llm"

    def __init__(self, bus: EventBus, llm: LanguageModel, tracker: TurnTracker, conversation: Conversation,
                 speech: queue.Queue | None, screen: ScreenAnswerer | None = None,
                 capture: Callable[..., ScreenImage] | None = None,
                 after_load: Callable[[], None] | None = None, acting: ToolTurns | None = None) -> None:
        super().__init__(bus, llm, tracker, "llm-stage", after_load)
        self.acting = acting  # tools: requests answered by them, and the model's calls (None: no tools)
        self.llm, self.conversation, self.speech = llm, conversation, speech
        self.screen = screen  # answers questions about the screen or an image
        if screen is not None:
            screen.loader = self.load_model
        self.capture = capture  # (target, cancel=token) -> ScreenImage; set by bootstrap, or by a front-end
        self.ahead = WriteAhead(llm, conversation, busy=lambda: not self.inbox.empty())

    @property
    def write_ahead(self) -> bool:
        """Write the reply ahead, during the end-of-turn silence (a local model; off: prefill the prompt only)."""
        return self.ahead.enabled

    @write_ahead.setter
    def write_ahead(self, on: bool) -> None:
        self.ahead.enabled = on

    @property
    def drafts_taken(self) -> int:
        """Turns whose reply was begun during the end-of-turn silence."""
        return self.ahead.drafts_taken

    def _load(self) -> None:
        if self.acting is not None:  # beside the model's load, not before it (pint's registry: 0.3 s)
            threading.Thread(target=self.acting.warm, name="tools-warm", daemon=True).start()
        super()._load()
        if self.load_error is None:  # the models loaded at start-up are not loaded again for screen questions
            # A router (the core's own class, not an adapter) loaded its backends with it
            parts = (self.llm.local, self.llm.cloud) if isinstance(self.llm, RoutedLLM) else ()
            self._loaded |= {id(m) for m in (self.llm, *parts) if m is not None}

    def _screen_prompt(self, request: TurnRequest, timings: TurnTimings):
        """(model, messages, what to remember of the question) for a question about the screen or an image."""
        if self.screen is None:
            raise ConfigError("screen-unavailable", "questions about the screen are not set up in this front-end.")
        image = request.image
        if image is None:
            if self.capture is None:
                raise ConfigError("screen-unavailable", "this front-end cannot capture the screen.")
            self.bus.publish(ScreenCaptureStarted(turn_id=request.turn_id, target=request.screen))
            image = self.capture(request.screen, cancel=self.tracker.token(request.turn_id))  # an interrupt ends it
        timings.mark("capture")
        self.bus.publish(ScreenCaptured(turn_id=request.turn_id, source=image.source, width=image.width,
                                        height=image.height, capture_ms=round(image.capture_ms, 1)))
        messages = self.conversation.messages_for(request.text, self.llm.count_tokens, _language(request))
        messages[-1] = ChatMessage(Role.USER, request.text, images=(image,))
        return self.screen, messages, f"{request.text} (asked about {image.source})"

    def stop(self, timeout: float = 5.0) -> None:
        self.ahead.cancel()
        super().stop(timeout)

    def drop_draft(self, key: tuple) -> None:
        """The user spoke again in the pause of candidate ``key``: its reply is not wanted (any thread)."""
        self.ahead.drop(key)

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until any reply written ahead is gone and the model is free (any thread but this stage's)."""
        done = threading.Event()
        self.put(Settle(done))
        return done.wait(timeout)

    def handle(self, request: TurnRequest | Prefill | Settle | UseCapture | Say | Confirm) -> None:
        if isinstance(request, (Say, Confirm)):
            self._say_or_confirm(request)
            return
        if isinstance(request, UseCapture):
            self.capture = request.capture
            return
        if isinstance(request, Settle):
            self.ahead.discard()
            request.done.set()
            return
        if isinstance(request, Prefill):
            if self.acting is not None and self.acting.takes(request.text, self.llm):
                self.ahead.discard()  # a tool answers these words: a plain reply written ahead would be thrown away
                return
            self.ahead.begin(request)
            return
        turn_id = request.turn_id
        if not self.tracker.is_open(turn_id):
            return  # stale; a reply being written ahead is for newer words, and stays
        timings = self.tracker.timings(turn_id)
        token = self.tracker.token(turn_id)
        about_screen = request.image is not None or bool(request.screen)
        draft = None
        offered: list = []
        if about_screen:
            self.ahead.discard()
            model, messages, remembered = self._screen_prompt(request, timings)
        else:
            if self.acting is not None:  # only the user's own words: never a screen's text
                said = self.acting.answer_by_intent(request.text, turn_id=turn_id, cancel=token)
                if said is not None:
                    self.ahead.discard()
                    self._reply(request, [said], backend="tools", remembered=request.text)
                    return
            model, remembered = self.llm, request.text
            messages = self.conversation.messages_for(request.text, self.llm.count_tokens, _language(request))
            offered = self.acting.offered(request.text, model) if self.acting is not None else []
            if offered:
                self.ahead.discard()  # written without the tools: not this turn's reply
            else:
                draft = self.ahead.take(messages, token)
        if draft is not None:
            deltas = draft
        elif offered:
            deltas = self.acting.stream(model, messages, offered, turn_id=turn_id, cancel=token)  # type: ignore[union-attr]
        else:
            deltas = model.stream(messages, cancel=token)
        self._reply(request, deltas, backend=model.name, remembered=remembered, about_screen=about_screen,
                    finished_by=lambda: _finished_by(model))

    def _say_or_confirm(self, request: Say | Confirm) -> None:
        turn_id = request.turn_id
        if not self.tracker.is_open(turn_id):
            return
        if isinstance(request, Say):  # said unasked: nothing of it goes into the conversation
            self._reply(TurnRequest(turn_id, "", speak=request.speak), [request.text], backend=request.backend,
                        remembered="")
            return
        said = self.acting.confirmed(request.allow, turn_id=turn_id, cancel=self.tracker.token(turn_id)) \
            if self.acting is not None else None
        answer = "yes" if request.allow else "no"
        self._reply(TurnRequest(turn_id, answer, speak=request.speak), [said or "There is nothing waiting for a yes."],
                    backend="tools", remembered=answer)

    def _reply(self, request: TurnRequest, deltas: Iterable[str], *, backend: str, remembered: str,
               about_screen: bool = False, finished_by: Callable[[], str] | None = None) -> None:
        """Stream ``deltas`` as the turn's reply (from the model, or a tool's words): its events, its speakable
        pieces to the voice, the exchange remembered as ``remembered`` (nothing when empty)."""
        turn_id = request.turn_id
        timings = self.tracker.timings(turn_id)
        token = self.tracker.token(turn_id)
        speak = request.speak and self.speech is not None
        self.bus.publish(ReplyStarted(turn_id=turn_id, backend=backend, prompt=request.text))
        splitter = SentenceSplitter()
        parts: list[str] = []
        sent: list[str] = []

        def send(pieces: list[str]) -> None:
            for piece in pieces:
                timings.mark("first_sentence")
                self.bus.publish(SentenceReady(turn_id=turn_id, index=len(sent), text=piece))
                if speak:
                    self.speech.put(Sentence(turn_id, piece, len(sent),  # type: ignore[union-attr]
                                             speech_language(piece, _language(request))))
                sent.append(piece)

        read_reported = False
        for delta in deltas:
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
        if remembered:
            self.conversation.add_exchange(remembered, reply, interrupted=cancelled, private=about_screen,
                                           turn_id=turn_id, spoken=speak and request.by_voice)
        if not self.tracker.is_open(turn_id):
            return
        timings.mark("reply_done")
        self.bus.publish(ReplyFinished(turn_id=turn_id, text=reply, backend=finished_by() if finished_by else backend,
                                       cancelled=cancelled))
        if speak:
            self.speech.put(EndOfReply(turn_id))  # type: ignore[union-attr]
        else:
            self.tracker.end(turn_id, "completed")

    def _report_read(self, turn_id: int, timings: TurnTimings) -> None:
        read = self.screen.last_read if self.screen is not None else None
        if read is not None:
            lines, chars, seconds, finished_at = read
            timings.mark("screen_read", finished_at)
            self.bus.publish(ScreenRead(turn_id=turn_id, lines=lines, chars=chars, seconds=round(seconds, 3)))
            self.screen.last_read = None  # type: ignore[union-attr]


def _finished_by(model) -> str:
    """Who finished the answer: the router says which backend, and (tiered) which tier and why ("big: arithmetic")."""
    chosen = getattr(model, "last_route", None)
    return f"{model.last_backend} ({chosen})" if chosen is not None else model.last_backend


def _language(request: TurnRequest) -> str:
    """The language of the question: as heard, or for typed words the one their script names ("" unknown)."""
    return request.language or speech_language(request.text)
