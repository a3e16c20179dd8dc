"""The ``Assistant`` facade: the one object front-ends talk to.

Commands (``ask``, ``listen``, ``interrupt``) enqueue and return at once; what happens is published
on ``bus`` as events. Built by ``assistant.bootstrap``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from assistant.bus import EventBus
from assistant.config import Config, ListenConfig, MemoryConfig, ToolsConfig
from assistant.contracts.errors import AssistantError, ConfigError, InputError
from assistant.contracts.events import (
    TimerFired,
    TurnEnded,
    TurnInterrupted,
)
from assistant.contracts.ports import (
    AudioSink,
    AudioSource,
    EchoCanceller,
    EndOfTurnModel,
    LanguageModel,
    SpeechToText,
    TextToSpeech,
    VoiceActivityDetector,
    WakeWordSpotter,
)
from assistant.contracts.screen import ScreenImage
from assistant.contracts.tools import DesktopActions
from assistant.contracts.types import TurnRequest
from assistant.heap import release_freed_memory, release_freed_memory_soon
from assistant.memory.service import Memory
from assistant.pipeline.acting import ToolTurns
from assistant.pipeline.listener import Listener
from assistant.pipeline.listening import ListeningController, Retune, StopListening
from assistant.pipeline.llm import Confirm, Say, UseCapture
from assistant.pipeline.stage import Stage
from assistant.pipeline.stt import UseWakePhrase
from assistant.pipeline.wake import WakePhrase
from assistant.pipeline.wiring import build_pipeline
from assistant.screen import SCREEN_TARGETS, screen_target_for
from assistant.screen_answer import ScreenAnswerer

log = logging.getLogger(__name__)


class Service(Protocol):
    """Something that runs beside the stages (the timers' scheduler, the MCP servers)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Assistant:
    """The core as front-ends see it: commands that return at once, and everything else as events on ``bus``."""

    def __init__(self, config: Config, *, bus: EventBus | None = None, stt: SpeechToText | None = None,
                 llm: LanguageModel | None = None, tts: TextToSpeech | None = None,
                 vad: VoiceActivityDetector | None = None, sink: AudioSink | None = None,
                 turn: EndOfTurnModel | None = None,
                 screen: ScreenAnswerer | None = None, echo: EchoCanceller | None = None,
                 keep_recording: Callable[[np.ndarray], None] | None = None,
                 spotter: WakeWordSpotter | None = None, tools: ToolTurns | None = None,
                 services: Sequence[Service] = (), memory: Memory | None = None,
                 voices: Callable[[str], TextToSpeech | None] | None = None) -> None:
        """``voices(language)``: the voice for a reply in another language than ``tts`` speaks (None: ``tts``);
        ``turn``: the end-of-turn model that listening asks at each pause (None: turns end on silence alone);
        ``tools``: what the assistant can do besides talk (None: nothing); ``services``: what runs beside the
        stages from ``start()`` to ``shutdown()`` (the timers' scheduler, the MCP servers); ``memory``: what it
        remembers across sessions (assistant.memory.service.Memory; None: nothing)."""
        self.config = config
        self.bus = bus or EventBus()
        self.tools = tools
        self.memory = memory
        self.services = list(services) + ([memory] if memory is not None else [])
        self._announcements: list[str] = []  # waiting for the turn in progress to end
        self._announce_lock = threading.Lock()
        self.vad, self.sink, self.turn = vad, sink, turn
        self._attachment = _Slot()  # asked about by the next question, typed or spoken
        self._listener: Listener | None = None
        self._retired: list[Listener] = []  # listeners told to stop that may still be closing their source
        self._started = False
        self._closed = False  # shut down: nothing new starts (a late event must not reopen the microphone)
        # Always-listening mode: the phrase, and what the speaker's echo is cleaned by. The state of that mode is
        # the listening controller's (pipeline.listening), on its own thread.
        self.wake = WakePhrase(config.listen.wake_phrase, config.listen.sensitivity, config.stt.chinese_script)
        self.echo = echo
        self.keep_recording = keep_recording  # debug recordings: each heard utterance (off unless switched on)
        self.spotter = spotter  # a wake-word model (listen.wake_model) that hears the phrase in the audio itself
        self._wake_mode = False  # the GUI thread's own answer to wake_listening
        self._released_after_load = False
        self._load_lock = threading.Lock()
        self.pipeline = build_pipeline(config, self.bus, stt=stt, llm=llm, tts=tts, voices=voices, sink=sink,
                                       screen=screen,
                                       screen_for=self._screen_for,
                                       on_judged=self._on_judged, wake=self.wake, begin_turn=self._begin_turn,
                                       interrupt=self.interrupt, keep_recording=keep_recording,
                                       after_load=self._after_stage_load, acting=tools)
        self.tracker, self.conversation = self.pipeline.tracker, self.pipeline.conversation
        if memory is not None:
            self.conversation.notes = memory.notes_for
        self.stt_stage, self.llm_stage, self.tts_stage = self.pipeline.stt, self.pipeline.llm, self.pipeline.tts
        self.listening_controller = self.pipeline.listening
        self.bus.subscribe(self._release_when_idle)
        self.bus.subscribe(self._on_timer_or_turn)

    @property
    def stages(self) -> list[Stage]:
        return self.pipeline.stages

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the stage threads; each loads its model in the background, publishing progress."""
        if not self._started:
            self._started = True
            if self.listening_controller is not None:
                self.listening_controller.start()
            for stage in self.stages:
                stage.start()
            for service in self.services:
                service.start()

    def _after_stage_load(self) -> None:
        """On the stage that loads last: what loading freed (a converted LLM: gigabytes) leaves the process, in one
        full collection (it holds the GIL for about 200 ms: once, not once per model)."""
        with self._load_lock:
            if self._released_after_load or not all(stage.ready.is_set() for stage in self.stages):
                return
            self._released_after_load = True
        release_freed_memory(collect=True)

    def wait_ready(self, timeout: float | None = None) -> list[AssistantError]:
        """Block until every model has loaded (or failed); returns the load errors."""
        self.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        for stage in self.stages:
            stage.ready.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if self.memory is not None and self.memory.available:  # its embeddings: facts found by meaning at once
            self.memory.wait_ready(60.0 if deadline is None else max(0.0, deadline - time.monotonic()))
        return [s.load_error for s in self.stages if s.load_error is not None]

    def shutdown(self) -> None:
        """Stop listening and every stage; the assistant takes no new work after it."""
        self._closed = True
        if self.tracker.open_turns():
            self.interrupt()
        for listener in [*self._retired, self._listener]:
            if listener is not None:
                listener.stop()
        for stage in self.stages:
            stage.stop()
        if self.listening_controller is not None:
            self.listening_controller.stop()
        for service in self.services:
            service.stop()

    # --- commands ----------------------------------------------------------------------------------

    def ask(self, text: str, *, speak: bool = True, image: ScreenImage | None = None, screen: str = "") -> int:
        """Answer a typed question; returns its turn id at once. With ``image`` the question is about that
        image; with ``screen`` ("screen", "window" or "all") the screen is captured first and asked about."""
        if not text or not text.strip():
            raise InputError("empty-question", "the question is empty: type or say something to ask.")
        if self.llm_stage is None:
            raise ConfigError("llm-unavailable", "no language model is configured.")
        if screen and screen not in SCREEN_TARGETS:
            raise InputError("screen-target-invalid", f"cannot capture {screen!r}: use one of "
                             + ", ".join(SCREEN_TARGETS))
        self.start()
        if image is None and not screen:
            image = self._attachment.take()
        t = time.monotonic()
        turn_id = self._begin_turn(origin=t)
        self.llm_stage.put(TurnRequest(turn_id, text.strip(), speak=speak, t_submitted=t, image=image,
                                       screen=screen))
        return turn_id

    def announce(self, text: str, *, speak: bool = True) -> int | None:
        """Say ``text`` without being asked (a timer went off): at once when no turn is in progress, else when the
        turn in progress ends. Returns the turn id when it is said now."""
        if self.llm_stage is None or self._closed or not text.strip():
            return None
        with self._announce_lock:
            if self.tracker.open_turns():
                self._announcements.append(text)
                return None
        self.start()
        turn_id = self.tracker.begin(time.monotonic()).turn_id
        self.llm_stage.put(Say(turn_id, text.strip(), speak=speak))
        return turn_id

    def confirm_tool(self, allow: bool, *, speak: bool = True) -> int | None:
        """The user's click on the tool call waiting for a yes: run it (``allow``) or drop it; the outcome is said
        as a turn of its own (returned). None when nothing waits."""
        if self.llm_stage is None or self.tools is None or self.tools.toolbox.pending is None:
            return None
        turn_id = self._begin_turn(origin=time.monotonic())
        self.llm_stage.put(Confirm(turn_id, allow, speak=speak))
        return turn_id

    def set_tools_config(self, tools: ToolsConfig) -> None:
        """Take new [tools] settings that need no rebuild: what runs without asking, the matcher, the model's
        calls (switching tools or MCP on or off builds the assistant again)."""
        self.config = dataclasses.replace(self.config, tools=tools)
        if self.tools is not None:
            self.tools.toolbox.allowed = tools.allowed_set
            self.tools.intents, self.tools.model_calls = tools.intents, tools.model_calls

    def set_memory_config(self, memory: MemoryConfig) -> None:
        """Take new [memory] settings that need no rebuild: the privacy switch and how many facts go into a prompt
        (a new embedding model builds the assistant again)."""
        self.config = dataclasses.replace(self.config, memory=memory)
        if self.memory is not None:
            self.memory.set_enabled(memory.enabled)
            self.memory.facts_in_prompt = memory.facts_in_prompt

    @property
    def timers(self):
        """The timers, alarms and reminders (assistant.tools.timers.TimerService; None without tools)."""
        return self.tools.timers if self.tools is not None else None

    @property
    def desktop_actions(self) -> DesktopActions | None:
        """What the desktop tools open and read the clipboard with (None without tools)."""
        desktop = self.tools.desktop if self.tools is not None else None
        return desktop.actions if desktop is not None else None

    def set_desktop_actions(self, actions: DesktopActions) -> None:
        """Replace how the desktop tools open things and reach the clipboard (the Qt app: through Qt)."""
        if self.tools is not None and self.tools.desktop is not None:
            self.tools.desktop.actions = actions

    def attach(self, image: ScreenImage | None) -> None:
        """Make the next question (typed or spoken) about ``image`` (None: take the attachment back)."""
        self._attachment.put(image)

    @property
    def attachment(self) -> ScreenImage | None:
        return self._attachment.value

    def set_screen_capture(self, capture: Callable[..., ScreenImage]) -> None:
        """Set how the screen is captured (bootstrap: the desktop's adapter; a front-end hides its own windows
        around it). ``capture(target, cancel=token)`` runs on the LLM stage's thread."""
        if self.llm_stage is not None:
            self.llm_stage.put(UseCapture(capture))

    def listen(self, source: AudioSource, *, wake: bool = False) -> Listener:
        """Start listening on ``source`` (a microphone, or a file fed in real time).

        With ``audio.half_duplex`` the source is ignored while a reply is being spoken (and briefly after,
        while the room's echo dies away), so the assistant does not answer itself.

        ``wake``: always-listening mode. Speech is answered only when it starts with ``listen.wake_phrase``, or
        comes within ``listen.follow_up_s`` after a reply. With ``listen.barge_in``, speaking over a reply stops
        it at once and becomes the next question; the assistant's own voice is taken out of the microphone
        against what the speaker played (``echo``), and where it cannot be told apart the microphone is
        ignored while the reply plays (half duplex). With ``listen.headphones`` nothing is suppressed."""
        if self._closed:
            raise AssistantError("assistant-closed", "The assistant has been shut down; it listens no more.")
        if self.vad is None or self.stt_stage is None or self.listening_controller is None:
            raise ConfigError("voice-unavailable", "listening needs a voice activity detector and speech to text.")
        self.start()
        if self._listener is not None:
            self._listener.stop()
        hears_speaker = self.sink is not None and source.hears_speaker
        cfg = self.config.listen
        echo = gate = None
        if wake and cfg.barge_in and hears_speaker and not cfg.headphones:
            echo = self.echo
        if hears_speaker and echo is None and not (wake and cfg.headphones) and self.config.audio.half_duplex:
            gate = self._mic_open
        self._wake_mode = wake
        listener = self.pipeline.listener(source, self.vad, self.config.vad, turn=self.turn, wake=wake, gate=gate,
                                          echo=echo,
                                          spotter=self.spotter if wake else None,
                                          spot_threshold=0.8 - 0.6 * cfg.sensitivity,
                                          on_turn_model_failed=self._forget_turn_model)
        self._listener = listener
        listener.start()
        return listener

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.ended.is_set() and not self._listener.stopping

    def set_listen_config(self, listen: ListenConfig,
                          keep_recording: Callable[[np.ndarray], None] | None = None,
                          spotter: WakeWordSpotter | None = None) -> None:
        """Take new always-listening settings (phrase, sensitivity, follow-up, switches, wake-word model) without
        reloading any other model; a running listener picks them up when it is started again."""
        self.config = dataclasses.replace(self.config, listen=listen)
        self.wake = WakePhrase(listen.wake_phrase, listen.sensitivity, self.config.stt.chinese_script)
        self.keep_recording = keep_recording
        self.spotter = spotter
        if self.stt_stage is not None:
            self.stt_stage.put(UseWakePhrase(self.wake))
        if self.listening_controller is not None:
            self.listening_controller.put(Retune(listen, self.wake, keep_recording))

    @property
    def wake_listening(self) -> bool:
        """Listening in always-listening mode (for the wake phrase)."""
        return self.listening and self._wake_mode

    def stop_listening(self, *, answer: bool = False) -> None:
        """Stop listening; with ``answer`` what was said so far becomes a turn (push-to-talk released). Returns at
        once (it is called on the GUI thread): the listener closes its source on its own thread, which can take
        seconds, and publishes ``ListeningStopped`` when it has."""
        listener, self._listener = self._listener, None
        self._wake_mode = False
        if self.listening_controller is not None:
            self.listening_controller.put(StopListening())
        if listener is None:
            return
        self._retired = [old for old in self._retired if not old.done.is_set()]
        self._retired.append(listener)  # shutdown waits for it
        if answer:
            listener.finish()
        else:
            listener.request_stop()

    def interrupt(self) -> int | None:
        """Stop the current turn now: generation, synthesis and queued audio. Returns its id. Of a spoken reply
        the conversation keeps what the user heard."""
        open_turns = self.tracker.cancel_all()
        if self.sink is not None:
            self.sink.flush()
        now = time.monotonic()
        for turn_id in open_turns:
            self.conversation.cut_short(turn_id, self.tts_stage.heard(turn_id, now) if self.tts_stage else "")
        for turn_id in open_turns:
            self.bus.publish(TurnInterrupted(turn_id=turn_id))
            self.tracker.end(turn_id, "interrupted")
        return open_turns[-1] if open_turns else None

    def wait_turn(self, turn_id: int, timeout: float | None = None) -> TurnEnded | None:
        return self.tracker.wait_ended(turn_id, timeout)

    # --- internals ---------------------------------------------------------------------------------

    ECHO_TAIL_S = 0.3  # a room's reverberation after the last sample played
    WAKE_WAIT_S = ListeningController.WAKE_WAIT_S  # after the phrase alone, how long the question may take to come

    def _release_when_idle(self, event) -> None:
        if isinstance(event, TurnEnded) and not self.tracker.open_turns():
            # the turn's caches and activations are garbage now
            release_freed_memory_soon(not_before=self.sink.playing_until if self.sink is not None else 0.0)

    def _on_timer_or_turn(self, event) -> None:
        """A timer that went off is announced; an announcement that waited for a turn goes out when it ends."""
        if isinstance(event, TimerFired) and event.announcement:
            self.announce(event.announcement)
        elif isinstance(event, TurnEnded) and self._announcements and not self.tracker.open_turns():
            with self._announce_lock:
                waiting, self._announcements = self._announcements, []
            if waiting:
                self.announce(" ".join(waiting))

    def _mic_open(self) -> bool:
        speaking = self.listening_controller.speaking_turn if self.listening_controller is not None else None
        if speaking is not None and self.tracker.is_open(speaking):
            return False
        playing_until = self.sink.playing_until if self.sink is not None else 0.0
        return time.monotonic() > playing_until + self.ECHO_TAIL_S

    def _begin_turn(self, origin: float) -> int:
        if self.tracker.open_turns():
            self.interrupt()  # a new question supersedes the answer in progress
        elif self.sink is not None:
            self.sink.flush()  # and the end of an earlier answer still being spoken
        return self.tracker.begin(origin).turn_id

    def _screen_for(self, transcript: str) -> tuple[ScreenImage | None, str]:
        """Runs on the STT thread: the attached image, else the capture a question like "what's on my screen?"
        asks for (when screen.voice_trigger is on)."""
        image = self._attachment.take()
        if image is not None:
            return image, ""
        if self.config.screen.voice_trigger:
            return None, screen_target_for(transcript, self.config.screen.target)
        return None, ""

    def _forget_turn_model(self) -> None:
        """The end-of-turn model could not load (said once, by the listener): the next listeners go without it."""
        self.turn = None

    def _on_judged(self, key: tuple, unfinished: bool) -> None:
        """The STT stage's verdict on the words so far (on its thread): to the segmenter, on the listener's."""
        listener = self._listener
        if listener is not None:
            listener.judged(key, unfinished)


class _Slot:
    """One value that several threads put and take (the attachment: the GUI attaches, a typed or spoken question
    takes it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value: ScreenImage | None = None

    def put(self, value: ScreenImage | None) -> None:
        with self._lock:
            self.value = value

    def take(self) -> ScreenImage | None:
        with self._lock:
            value, self.value = self.value, None
            return value
