"""Value types that travel on the stage queues. Frozen; arrays opt out of equality."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from assistant.contracts.screen import ScreenImage

SAMPLE_RATE = 16_000  # the core's audio rate: VAD and STT take 16 kHz mono float32


@dataclass(frozen=True, slots=True, eq=False)
class AudioChunk:
    """A block of mono float32 samples and when its first sample was captured."""

    samples: np.ndarray
    rate: int
    t_start: float  # time.monotonic() of the first sample

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


@dataclass(frozen=True, slots=True, eq=False)
class Utterance:
    """One stretch of user speech cut out by the segmenter (16 kHz mono)."""

    turn_id: int
    samples: np.ndarray
    t_speech_start: float  # monotonic time of the first speech sample
    t_speech_end: float  # monotonic time the user stopped speaking
    t_detected: float  # monotonic time the end of turn was decided
    key: tuple = ()  # matches a speculative transcription of the same audio
    prompt: str = ""  # a hint for speech to text (the wake phrase)
    # Always-listening mode: "candidate" = not a turn yet, one only if it starts with the wake phrase (turn_id 0);
    # "awake" = a turn (follow-up window, barge-in) that may still start with the phrase. "" = not in that mode.
    wake: str = ""
    # Samples before the speech itself: the wake phrase, said alone just before this question, heard again with
    # it. tiny.en misreads a short question on its own ("the capital of Middle East") that it reads right after
    # the phrase: the same words are understood whether or not the user paused after the phrase.
    lead: int = 0
    t_first: float = 0.0  # monotonic time of the first sample (of the speech's own samples, after any lead)


@dataclass(frozen=True, slots=True, eq=False)
class SpeculativeUtterance:
    """Speech so far, sent to STT during the end-of-turn silence; its transcript is reused if the turn
    indeed ends there."""

    key: tuple
    samples: np.ndarray
    prompt: str = ""
    lead: int = 0  # as Utterance.lead


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of a transcript with its times in the audio."""

    text: str
    start: float
    end: float
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0


@dataclass(frozen=True, slots=True)
class Transcript:
    """What speech to text heard: the text, its segments and language."""

    text: str
    language: str = "en"  # "": the recognizer cannot tell
    segments: tuple[Segment, ...] = ()
    duration: float = 0.0  # seconds of audio
    dropped: tuple[str, ...] = ()  # segments rejected as likely hallucinations


class Role(StrEnum):
    """Who speaks in a chat message."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"  # a tool's result, answering the assistant's call before it


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a conversation, optionally with an image."""

    role: Role
    content: str
    images: tuple[ScreenImage, ...] = ()  # shown to a model that sees images (a VLM, or the cloud if allowed)
    private: bool = False  # comes from the screen: never sent to the cloud unless screen.to_cloud allows it

    def as_dict(self) -> dict[str, str]:
        """The text-only form every chat template takes (images are added by the backends that see them)."""
        return {"role": self.role.value, "content": self.content}


@dataclass(frozen=True, slots=True)
class Sentence:
    """A piece of the reply ready to be spoken."""

    turn_id: int
    text: str
    index: int  # 0 for the first piece of the reply
    language: str = ""  # the language to speak it in (a Whisper code); "": the default voice


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """A user message for the LLM stage: typed text or a transcript."""

    turn_id: int
    text: str
    speak: bool = True
    t_submitted: float = 0.0
    extra: dict = field(default_factory=dict)
    image: ScreenImage | None = None  # a question about this image
    screen: str = ""  # a question about the screen: capture this target first (screen | window | all)
    by_voice: bool = False  # a spoken question: its reply is heard, not read
    language: str = ""  # the language it was heard in (a Whisper code: "en", "zh"); "": typed, or not known
