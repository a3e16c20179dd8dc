"""What happened in the turns of one command, collected from the bus (for the CLI and the benchmark)."""

from __future__ import annotations

import sys
import threading

from assistant.contracts.errors import AssistantError, NoSpeechError
from assistant.contracts.events import (
    ErrorOccurred,
    Event,
    ReplyDelta,
    ReplyFinished,
    ScreenCaptured,
    SpeechEnded,
    ToolCalled,
    ToolConfirmationRequested,
    ToolFinished,
    TranscriptFinal,
    TurnEnded,
)


class TurnLog:
    """Collects what happened in the turns of one command, from the bus."""

    def __init__(self, echo_reply: bool = False) -> None:
        self.echo_reply = echo_reply
        self.lock = threading.Lock()
        self.transcripts: dict[int, str] = {}
        self.replies: dict[int, str] = {}
        self.backends: dict[int, str] = {}
        self.ended: dict[int, TurnEnded] = {}
        self.errors: list[ErrorOccurred] = []
        self.speech_turns: list[int] = []
        self.captures: dict[int, ScreenCaptured] = {}
        self.tools: dict[int, list[dict]] = {}  # turn id -> its tool calls (and questions before one)

    def __call__(self, event: Event) -> None:
        with self.lock:
            if isinstance(event, SpeechEnded):
                self.speech_turns.append(event.turn_id)
            elif isinstance(event, TranscriptFinal):
                self.transcripts[event.turn_id] = event.text
            elif isinstance(event, ScreenCaptured):
                self.captures[event.turn_id] = event
            elif isinstance(event, ReplyDelta) and self.echo_reply:
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, ReplyFinished):
                self.replies[event.turn_id] = event.text
                self.backends[event.turn_id] = event.backend
            elif isinstance(event, ErrorOccurred):
                self.errors.append(event)
            elif isinstance(event, ToolCalled):
                self.tools.setdefault(event.turn_id, []).append(
                    {"call_id": event.call_id, "tool": event.tool, "arguments": event.arguments,
                     "source": event.source})
            elif isinstance(event, ToolFinished):
                for call in self.tools.get(event.turn_id, []):
                    if call.get("call_id") == event.call_id:
                        call.update(ok=event.ok, say=event.say, code=event.code)
            elif isinstance(event, ToolConfirmationRequested):
                self.tools.setdefault(event.turn_id, []).append(
                    {"tool": event.tool, "arguments": event.arguments, "asked": event.prompt})
            elif isinstance(event, TurnEnded):
                self.ended[event.turn_id] = event

    def raise_for(self, turn_id: int | None = None) -> None:
        for err in self.errors:
            if turn_id is None or err.turn_id in (None, turn_id):
                if err.code == "no-speech":
                    raise NoSpeechError(err.message)
                raise AssistantError(err.code, err.message)
