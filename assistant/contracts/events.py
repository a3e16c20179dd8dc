"""The closed, past-tense vocabulary of events published on the bus.

Every event is a frozen dataclass stamped with ``t`` (time.monotonic()). Subscribers (the Qt bridge,
logs, metrics, the history store, the CLI's --json output) must not block.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field


def _now() -> float:
    return time.monotonic()


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Something that happened in the core, stamped with its monotonic time ``t``."""

    t: float = field(default_factory=_now)

    @property
    def kind(self) -> str:
        return type(self).__name__

    def as_dict(self) -> dict:
        data = asdict(self)
        data["event"] = self.kind
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelLoading(Event):
    """A model (``role``: stt, llm, tts...) started loading."""

    role: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelProgress(Event):
    """A model's loading progress: a message and the fraction done, when known."""

    role: str
    message: str
    fraction: float | None = None  # None when the total is unknown


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelReady(Event):
    """A model is loaded and warm, after ``seconds``, on ``device``."""

    role: str
    name: str
    seconds: float
    device: str = "cpu"


@dataclass(frozen=True, slots=True, kw_only=True)
class ListeningStarted(Event):
    """The microphone (or a file played as one) is being listened to."""

    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ListeningStopped(Event):
    """Listening ended and its source is closed."""

    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechStarted(Event):
    """The VAD heard speech begin."""

    t_speech_start: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechEnded(Event):
    """The end of turn: the user's speech for ``turn_id`` ended at ``t_speech_end``."""

    turn_id: int
    t_speech_end: float
    duration: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechDiscarded(Event):
    """A burst of sound too short to be a turn (a cough, a click)."""

    duration: float


@dataclass(frozen=True, slots=True, kw_only=True)
class WakeDetected(Event):
    """The wake phrase was heard (always-listening mode); ``heard`` is how speech to text wrote it (the configured
    phrase, when a wake-word model spotted it in the audio)."""

    heard: str
    score: float  # 0..1, its likeness to the configured phrase (or the wake-word model's score)
    t_speech_start: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AwaitingQuestion(Event):
    """A question is taken without the wake phrase for ``seconds`` (after the phrase alone, or after a reply)."""

    seconds: float
    reason: str  # "wake" | "follow-up"


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechIgnored(Event):
    """Sound that was not a question for the assistant: speech without the wake phrase, or no words at all.
    What was said is not kept or published."""

    reason: str  # "no-wake-phrase" | "no-words"
    duration: float


@dataclass(frozen=True, slots=True, kw_only=True)
class BargedIn(Event):
    """The user spoke over the answer to ``turn_id``: its generation and playback were stopped."""

    turn_id: int
    t_speech_start: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptFinal(Event):
    """What the user said in ``turn_id``, as transcribed."""

    turn_id: int
    text: str
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenCaptureStarted(Event):
    """The screen is being captured now (front-ends show a capture indicator)."""

    turn_id: int
    target: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenCaptured(Event):
    """The screen (or an image) the turn asks about was captured."""

    turn_id: int
    source: str  # "screen", "window: <title>", "region", "file: <name>"
    width: int
    height: int
    capture_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenRead(Event):
    """Text was read from the screen image for a model that does not see images."""

    turn_id: int
    lines: int
    chars: int
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyStarted(Event):
    """The model began the reply to ``turn_id`` on ``backend``."""

    turn_id: int
    backend: str
    prompt: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyDelta(Event):
    """More text of the reply, as it is written."""

    turn_id: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyFinished(Event):
    """The whole reply text (``cancelled`` when it was cut short)."""

    turn_id: int
    text: str
    backend: str
    cancelled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SentenceReady(Event):
    """A speakable piece of the reply went to the voice."""

    turn_id: int
    index: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeakingStarted(Event):
    """The reply's first sound went to the speaker."""

    turn_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeakingFinished(Event):
    """The reply's last sound was handed to the speaker."""

    turn_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnInterrupted(Event):
    """The turn was stopped (Stop, a new question, barge-in)."""

    turn_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorOccurred(Event):
    """An error with a catalog ``code`` and a message the user can act on."""

    code: str
    message: str
    turn_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnEnded(Event):
    """The last event of every turn, whatever happened in it."""

    turn_id: int
    outcome: str  # "completed" | "interrupted" | "error" | "no-speech"
    timings_ms: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCalled(Event):
    """A tool was called for the turn: by the intent matcher ("intent"), the model ("model"), or after the user
    confirmed it ("confirmed")."""

    turn_id: int
    call_id: int  # unique in the process; its ToolFinished carries the same
    tool: str
    arguments: dict
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolFinished(Event):
    """A tool call ended: ``ok`` with what it said, or not with an error code and message."""

    turn_id: int
    call_id: int
    tool: str
    ok: bool
    say: str = ""
    data: dict = field(default_factory=dict)
    code: str = ""  # the error's code when not ok
    seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolConfirmationRequested(Event):
    """A tool that changes something waits for the user's yes (spoken, or ``Assistant.confirm_tool``)."""

    turn_id: int
    tool: str
    arguments: dict
    prompt: str  # what was asked ("Open the Downloads folder?")


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired(Event):
    """A timer, alarm or reminder came due (``missed``: while the app was not running)."""

    timer_id: int
    kind: str  # timer | alarm | reminder
    label: str
    due: float  # wall-clock time (time.time()) it was due
    missed: bool = False
    announcement: str = ""  # what is said and shown


@dataclass(frozen=True, slots=True, kw_only=True)
class TimersChanged(Event):
    """The list of pending timers, alarms and reminders changed (set, cancelled, fired)."""

    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryChanged(Event):
    """A fact was remembered, edited or forgotten (``what``: "remembered" | "edited" | "forgotten"; ``text``: the
    fact, or "everything")."""

    what: str
    text: str
