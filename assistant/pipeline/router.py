"""Routing between the local and the cloud model: local first is a policy in code.

- ``local``: the cloud model does not exist in the process (bootstrap never builds it), so nothing can
  be sent out.
- ``auto``: the local model answers; the cloud answers when the local one is missing, fails, runs out of
  memory or is too slow to start.
- ``cloud``: the cloud answers; the local model when the cloud fails.

A stream that breaks half-way goes on with the other backend, which continues the reply where it
stopped instead of starting over. ``last_backend`` says who produced (the end of) each answer.

Tiered (``llm.routing = "by-difficulty"``, with a bigger model to send hard questions to): each question is
classified in microseconds (assistant.pipeline.difficulty); an easy one goes to the small local model, a hard one
to the bigger model (``llm.big_model``, local; else the cloud model when the policy allows it). A reply of the small
model that begins by declining is dropped before a word of it is spoken and the bigger model answers instead.
``last_route`` says which tier answered and why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from assistant.contracts.errors import AssistantError
from assistant.contracts.ports import LanguageModel, ProgressCallback
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from assistant.pipeline.difficulty import Route, declines, route

log = logging.getLogger(__name__)


class RoutedLLM:
    """A language model that answers with the local or the cloud backend, as the routing policy says."""

    def __init__(self, policy: str, local: LanguageModel | None, cloud: LanguageModel | None,
                 big: LanguageModel | None = None, routing: str = "off") -> None:
        """``big``: a bigger local model for hard questions; ``routing``: "by-difficulty" sends them to it (or,
        without one, to the cloud model when the policy is "auto"), "off" does not."""
        if policy == "local" and cloud is not None:
            raise ValueError("a cloud model must not exist under the local-only policy")
        self.policy = policy
        self.local, self.cloud, self.big = local, cloud, big
        self.backends: list[LanguageModel] = _ordered(policy, local, cloud)
        if big is not None:
            self.backends.append(big)  # loaded with the others; the last resort when it is not routed to
        # The model hard questions go to: the local big one, else the cloud's under "auto" ("cloud" asks it first
        # anyway); none when there is nothing bigger than the small model, or routing is off.
        self.harder = None if routing != "by-difficulty" or local is None else \
            big if big is not None else cloud if policy == "auto" else None
        self.name = self.backends[0].name if self.backends else "none"
        self.last_backend = self.name
        self.last_route: Route | None = None  # the tier that answered the last question, and why
        self.fallbacks: list[tuple[str, str]] = []  # (backend, error code) of the last turn
        self._load_errors: dict[str, AssistantError] = {}

    @property
    def supports_images(self) -> bool:
        return any(b.supports_images for b in self.backends)

    @property
    def device(self) -> str:
        return str(self.backends[0].device) if self.backends else "cpu"

    def load(self, progress: ProgressCallback | None = None) -> None:
        """Load every backend; one failing is fine while another can answer."""
        for backend in self.backends:
            try:
                backend.load(progress)
            except AssistantError as exc:
                log.warning("%s is unavailable: %s", backend.name, exc.message)
                self._load_errors[backend.name] = exc
        if len(self._load_errors) == len(self.backends):
            raise next(iter(self._load_errors.values()))

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        for backend in self.backends:
            if backend.name not in self._load_errors:
                return backend.count_tokens(messages)
        return sum(len(m.content) for m in messages) // 4

    @property
    def quantized(self) -> bool:
        return bool(self.backends) and self.backends[0].quantized

    @property
    def static_cache(self) -> bool:
        return bool(self.backends) and self.backends[0].static_cache

    @property
    def parameters(self) -> int | None:
        return self.backends[0].parameters if self.backends else None

    def answering(self, messages: Sequence[ChatMessage]) -> LanguageModel | None:
        """The backend that will be asked first to answer ``messages`` (None: none can)."""
        chosen = self._route(messages)
        return next((b for b in self._order(chosen.tier if chosen else None) if b.name not in self._load_errors),
                    None)

    @property
    def runtime(self) -> str:
        """The first backend's runtime ("ctranslate2", "transformers", ...)."""
        return getattr(self.backends[0], "runtime", "") if self.backends else ""

    @property
    def runs_locally(self) -> bool:
        """Whether the backend that answers first runs on this machine (and, tiered, a hard question's too: a reply
        written ahead of its turn must not send words to the cloud that may never become a question)."""
        if self.harder is not None and not self.harder.runs_locally:
            return False
        for backend in self.backends:
            if backend.name not in self._load_errors:
                return backend.runs_locally
        return False

    def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Prefill the prompt on the backend that will answer first, when it can (a local model)."""
        chosen = self._route(messages)
        for backend in self._order(chosen.tier if chosen else None):
            if backend.name not in self._load_errors:
                backend.prefill(messages)
                return

    def _route(self, messages: Sequence[ChatMessage]) -> Route | None:
        if self.harder is None or self.harder.name in self._load_errors:
            return None
        # A reply begun for the model (a tool call it is to complete), or a tool's result to answer from, is routed
        # by the question it answers: the model that chose the call writes the answer.
        for message in reversed(messages):
            if message.role == Role.USER:
                return route(message.content, self.count_tokens(messages))
            if message.role not in (Role.ASSISTANT, Role.TOOL):
                return None
        return None

    def _order(self, tier: str | None) -> list[LanguageModel]:
        """The backends to try, in order, for a question of ``tier``."""
        if tier == "big" and self.harder is not None:
            return [self.harder, *(b for b in self.backends if b is not self.harder)]
        if tier is not None and self.big is not None:
            return [b for b in self.backends if b is not self.big] + [self.big]
        return list(self.backends)

    @property
    def supports_tools(self) -> bool:
        """Whether the backend that answers first can be offered tools."""
        for backend in self.backends:
            if backend.name not in self._load_errors:
                return bool(getattr(backend, "supports_tools", False))
        return False

    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken,
               tools: Sequence[dict] | None = None) -> Iterator[str]:
        """``tools``: offered to each backend that can take them (the others answer without)."""
        self.fallbacks = []
        chosen = self._route(messages)
        self.last_route = chosen
        if chosen is not None and chosen.tier == "small":
            # The small model's reply is held while its first words could still be a refusal; one that declines
            # is dropped, unheard, and the bigger model answers.
            held, small = "", self._stream(messages, cancel, self._order("small"), tools)
            for piece in small:
                held += piece
                verdict = declines(held)
                if verdict is None:
                    continue
                if verdict:
                    small.close()
                    if cancel.cancelled:
                        return
                    self.last_route = Route("big", "declined")
                    yield from self._stream(messages, cancel, self._order("big"), tools)
                    return
                yield held
                yield from small
                return
            if held:
                yield held
            return
        yield from self._stream(messages, cancel, self._order(chosen.tier if chosen else None), tools)

    def _stream(self, messages: Sequence[ChatMessage], cancel: CancelToken, order: list[LanguageModel],
                tools: Sequence[dict] | None = None) -> Iterator[str]:
        produced = ""
        error: AssistantError | None = None
        for backend in order:
            if backend.name in self._load_errors:
                self.fallbacks.append((backend.name, self._load_errors[backend.name].code))
                error = self._load_errors[backend.name]
                continue
            # After a break, the next backend continues the reply: the partial answer is its own last message.
            prompt = list(messages) if not produced else [*messages, ChatMessage(Role.ASSISTANT, produced)]
            if backend is self.cloud:  # what came from the screen stays here (screen turns route themselves)
                prompt = [m for m in prompt if not m.private]
            continuing = bool(produced)
            try:
                offered = tools if getattr(backend, "supports_tools", False) else None
                pieces = backend.stream(prompt, cancel=cancel, tools=offered) if offered else \
                    backend.stream(prompt, cancel=cancel)
                for piece in pieces:
                    if continuing and produced[-1:].isalnum() and piece[:1].isalnum():
                        piece = " " + piece  # the other model starts a new word where the first one broke off
                    continuing = False
                    produced += piece
                    self.last_backend = backend.name
                    yield piece
                return
            except AssistantError as exc:
                if cancel.cancelled:
                    return
                log.warning("%s failed (%s); trying the next backend", backend.name, exc.code)
                self.fallbacks.append((backend.name, exc.code))
                error = exc
        if error is not None:
            raise error


def _ordered(policy: str, local, cloud) -> list:
    order = [local, cloud] if policy in ("local", "auto") else [cloud, local]
    return [b for b in order if b is not None]


class _RoutedSpeech:
    """Shared by the speech routers: the backends in policy order; loading succeeds while one loads."""

    def __init__(self, policy: str, local, cloud) -> None:
        self.backends = _ordered(policy, local, cloud)
        self.name = self.backends[0].name
        self.device = self.backends[0].device
        self.last_backend = self.name

    def load(self, progress: ProgressCallback | None = None) -> None:
        errors = []
        for backend in self.backends:
            try:
                backend.load(progress)
            except AssistantError as exc:
                errors.append(exc)
        if len(errors) == len(self.backends):
            raise errors[0]


class RoutedSTT(_RoutedSpeech):
    """Speech to text by the same policy: the first backend that answers."""

    @property
    def compute_type(self) -> str:
        return self.backends[0].compute_type

    @property
    def beam_size(self) -> int:
        return self.backends[0].beam_size

    def transcribe(self, audio, *, language: str | None = None, prompt: str = ""):
        error: AssistantError | None = None
        for backend in self.backends:
            try:
                transcript = backend.transcribe(audio, language=language, prompt=prompt)
                self.last_backend = backend.name
                return transcript
            except AssistantError as exc:
                log.warning("%s could not transcribe (%s); trying the next backend", backend.name, exc.code)
                error = exc
        assert error is not None
        raise error


class RoutedTTS(_RoutedSpeech):
    """Text to speech by the same policy; a backend that fails before any audio hands over to the next."""

    def __init__(self, policy: str, local, cloud) -> None:
        super().__init__(policy, local, cloud)
        self.sample_rate = self.backends[0].sample_rate

    def synthesize(self, text: str, *, cancel: CancelToken):
        error: AssistantError | None = None
        for backend in self.backends:
            started = False
            try:
                for block in backend.synthesize(text, cancel=cancel):
                    started = True
                    self.sample_rate = backend.sample_rate
                    self.last_backend = backend.name
                    yield block
                return
            except AssistantError as exc:
                if started:
                    raise
                log.warning("%s could not speak (%s); trying the next backend", backend.name, exc.code)
                error = exc
        if error is not None:
            raise error
