"""The ``Assistant`` facade: the one object front-ends talk to.

Commands (``ask``, ``listen``, ``interrupt``) enqueue and return at once; what happens is published
on ``bus`` as events. Built by ``assistant.bootstrap``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from assistant.bus import EventBus
from assistant.config import Config, ListenConfig
from assistant.contracts.errors import AssistantError, ConfigError, InputError
from assistant.contracts.events import (
    AwaitingQuestion,
    BargedIn,
    SpeakingStarted,
    SpeechEnded,
    SpeechIgnored,
    TurnEnded,
    TurnInterrupted,
    WakeDetected,
)
from assistant.contracts.ports import (
    AudioSink,
    AudioSource,
    EchoCanceller,
    LanguageModel,
    SpeechToText,
    TextToSpeech,
    VoiceActivityDetector,
    WakeWordSpotter,
)
from assistant.contracts.screen import ScreenImage
from assistant.contracts.turns import TurnCounter
from assistant.contracts.types import SAMPLE_RATE, SpeculativeUtterance, TurnRequest, Utterance
from assistant.conversation import Conversation
from assistant.memory import release_freed_memory, release_freed_memory_soon
from assistant.orchestrator import Listener, LlmStage, SttStage, TtsStage, TurnTracker
from assistant.screen import SCREEN_TARGETS, screen_target_for
from assistant.screen_answer import ScreenAnswerer
from assistant.segmenter import Segmenter, SpeechSegment, SpeechStart
from assistant.stage import Stage
from assistant.wake import WakeMatch, WakePhrase, WakeWindow

log = logging.getLogger(__name__)


class Assistant:
    def __init__(self, config: Config, *, bus: EventBus | None = None, stt: SpeechToText | None = None,
                 llm: LanguageModel | None = None, tts: TextToSpeech | None = None,
                 vad: VoiceActivityDetector | None = None, sink: AudioSink | None = None,
                 screen: ScreenAnswerer | None = None, echo: EchoCanceller | None = None,
                 keep_recording: Callable[[np.ndarray], None] | None = None,
                 spotter: WakeWordSpotter | None = None) -> None:
        self.config = config
        self.bus = bus or EventBus()
        self.turns = TurnCounter()
        self.tracker = TurnTracker(self.bus)
        self.conversation = Conversation(config.llm.system_prompt, config.llm.context_tokens,
                                         config.llm.max_new_tokens)
        self.vad, self.sink = vad, sink
        self.tts_stage = TtsStage(self.bus, tts, self.tracker, self.turns, sink) if tts and sink else None
        self.llm_stage = (LlmStage(self.bus, llm, self.tracker, self.turns, self.conversation, self.tts_stage,
                                   screen) if llm else None)
        language = None if config.stt.language == "auto" else config.stt.language
        self.stt_stage = SttStage(self.bus, stt, self.tracker, self.llm_stage, language) if stt else None
        self._attachment: ScreenImage | None = None  # asked about by the next question, typed or spoken
        if self.stt_stage is not None and screen is not None:
            self.stt_stage.screen_for = self._screen_for
        self._listener: Listener | None = None
        self._started = False
        self._speaking_turn: int | None = None  # the turn whose reply is being spoken
        # Always-listening mode: the phrase, when it is not needed, and what the speaker's echo is cleaned by.
        self.wake = WakePhrase(config.listen.wake_phrase, config.listen.sensitivity)
        self.wake_window = WakeWindow()
        self.echo = echo
        self.keep_recording = keep_recording  # debug recordings: each heard utterance (off unless switched on)
        self.spotter = spotter  # a wake-word model (listen.wake_model) that hears the phrase in the audio itself
        self._wake_mode = False
        self._speech_awake = False  # the speech in progress started while a phrase was not needed
        self._spotted_in_speech = False  # the wake-word model heard the phrase in the speech in progress
        self._last_voice: tuple[int, Utterance] | None = None  # the latest spoken question and its turn
        self._carry: Utterance | None = None  # a question cut short by a pause: the next speech continues it
        self._phrase_alone: Utterance | None = None  # the phrase said alone: the question is heard after it
        if self.stt_stage is not None:
            self.stt_stage.wake, self.stt_stage.on_wake = self.wake, self._on_wake
            if config.vad.unfinished_silence_ms:
                self.stt_stage.on_judged = self._on_judged
        self.bus.subscribe(self._track_speaking)
        self._released_after_load = False
        self._load_lock = threading.Lock()
        for stage in self.stages:
            stage.after_load = self._after_stage_load

    @property
    def stages(self) -> list[Stage]:
        return [s for s in (self.stt_stage, self.llm_stage, self.tts_stage) if s is not None]

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the stage threads; each loads its model in the background, publishing progress."""
        if not self._started:
            self._started = True
            for stage in self.stages:
                stage.start()

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
        return [s.load_error for s in self.stages if s.load_error is not None]

    def shutdown(self) -> None:
        if self.tracker.open_turns():
            self.interrupt()
        if self._listener is not None:
            self._listener.stop()
        for stage in self.stages:
            stage.stop()

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
            image, self._attachment = self._attachment, None
        t = time.monotonic()
        turn_id = self._begin_turn(origin=t)
        self.llm_stage.put(TurnRequest(turn_id, text.strip(), speak=speak, t_submitted=t, image=image,
                                       screen=screen))
        return turn_id

    def attach(self, image: ScreenImage | None) -> None:
        """Make the next question (typed or spoken) about ``image`` (None: take the attachment back)."""
        self._attachment = image

    @property
    def attachment(self) -> ScreenImage | None:
        return self._attachment

    def set_screen_capture(self, capture: Callable[..., ScreenImage]) -> None:
        """Set how the screen is captured (bootstrap: the desktop's adapter; a front-end hides its own windows
        around it). ``capture(target, cancel=token)`` runs on the LLM stage's thread."""
        if self.llm_stage is not None:
            self.llm_stage.capture = capture

    def listen(self, source: AudioSource, *, wake: bool = False) -> Listener:
        """Start listening on ``source`` (a microphone, or a file fed in real time).

        With ``audio.half_duplex`` the source is ignored while a reply is being spoken (and briefly after,
        while the room's echo dies away), so the assistant does not answer itself.

        ``wake``: always-listening mode. Speech is answered only when it starts with ``listen.wake_phrase``, or
        comes within ``listen.follow_up_s`` after a reply. With ``listen.barge_in``, speaking over a reply stops
        it at once and becomes the next question; the assistant's own voice is taken out of the microphone
        against what the speaker played (``echo``), and where it cannot be told apart the microphone is
        ignored while the reply plays (half duplex). With ``listen.headphones`` nothing is suppressed."""
        if self.vad is None or self.stt_stage is None:
            raise ConfigError("voice-unavailable", "listening needs a voice activity detector and speech to text.")
        self.start()
        if self._listener is not None:
            self._listener.stop()
        hears_speaker = self.sink is not None and getattr(source, "hears_speaker", True)
        cfg = self.config.listen
        echo = gate = None
        if wake and cfg.barge_in and hears_speaker and not cfg.headphones:
            echo = self.echo
        if hears_speaker and echo is None and not (wake and cfg.headphones) and self.config.audio.half_duplex:
            gate = self._mic_open
        self._wake_mode = wake
        self._speech_awake = self._spotted_in_speech = False
        self._phrase_alone = None
        self.wake_window.close()
        segmenter = Segmenter(self.vad, self.config.vad)
        # Only in real time: a file read faster than that would run through the longest silence before any
        # verdict arrives, and join the sentences that follow one another in it.
        segmenter.await_verdicts = (self.stt_stage is not None and self.stt_stage.on_judged is not None
                                    and getattr(source, "realtime", True))
        self._listener = Listener(self.bus, segmenter, source, self._on_utterance,
                                  self._on_pause, gate=gate, echo=echo,
                                  on_speech_start=self._on_speech_start if wake else None,
                                  spotter=self.spotter if wake else None,
                                  spot_threshold=0.8 - 0.6 * cfg.sensitivity, on_spotted=self._on_spotted,
                                  on_pause_over=self.llm_stage.drop_draft if self.llm_stage else None)
        self._listener.start()
        return self._listener

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.done.is_set() and not self._listener.stopping

    def set_listen_config(self, listen: ListenConfig,
                          keep_recording: Callable[[np.ndarray], None] | None = None,
                          spotter: WakeWordSpotter | None = None) -> None:
        """Take new always-listening settings (phrase, sensitivity, follow-up, switches, wake-word model) without
        reloading any other model; a running listener picks them up when it is started again."""
        self.config = dataclasses.replace(self.config, listen=listen)
        self.wake = WakePhrase(listen.wake_phrase, listen.sensitivity)
        self.keep_recording = keep_recording
        self.spotter = spotter
        if self.stt_stage is not None:
            self.stt_stage.wake = self.wake

    @property
    def wake_listening(self) -> bool:
        """Listening in always-listening mode (for the wake phrase)."""
        return self.listening and self._wake_mode

    def stop_listening(self, *, answer: bool = False) -> None:
        """Stop listening; with ``answer`` what was said so far becomes a turn (push-to-talk released)."""
        listener, self._listener = self._listener, None
        self._wake_mode = False
        if listener is None:
            return
        if answer:
            listener.finish()
            listener.done.wait(2.0)
        listener.stop()

    def interrupt(self) -> int | None:
        """Stop the current turn now: generation, synthesis and queued audio. Returns its id. Of a spoken reply
        the conversation keeps what the user heard."""
        open_turns = self.tracker.open_turns()
        self.turns.interrupt()
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
    WAKE_WAIT_S = 8.0  # after the phrase alone, how long the question may take to come
    CONTINUATION_S = 1.5  # speech this soon after a question still unanswered continues it

    def _track_speaking(self, event) -> None:
        if isinstance(event, SpeakingStarted):
            self._speaking_turn = event.turn_id
        elif isinstance(event, TurnEnded):
            if event.turn_id == self._speaking_turn:
                self._speaking_turn = None
            idle = not self.tracker.open_turns()
            if idle:  # the turn's caches and activations are garbage now
                release_freed_memory_soon(not_before=getattr(self.sink, "playing_until", 0.0))
            seconds = self.config.listen.follow_up_s
            if self._wake_mode and event.outcome == "completed" and seconds > 0 and idle:
                self.wake_window.open(seconds)
                self.bus.publish(AwaitingQuestion(seconds=seconds, reason="follow-up"))

    def _on_speech_start(self, start: SpeechStart) -> None:
        """Always-listening mode, on the listener thread, the moment speech starts: whether it needs the phrase,
        and barge-in: a reply in progress (thinking or speaking) stops now, and this speech is the next turn."""
        busy = self.tracker.open_turns() if self.config.listen.barge_in else []
        self._speech_awake = bool(busy) or self.wake_window.is_open(start.t_speech_start)
        if busy:
            turn_id = busy[-1]
            last = self._last_voice
            # Speech again soon after a question whose answer has not started: the user paused mid-sentence.
            # The two halves are one question (heard again together), not a new question replacing the first.
            if (last is not None and last[0] == turn_id and self._speaking_turn != turn_id
                    and start.t_speech_start - last[1].t_speech_end < self.CONTINUATION_S):
                self._carry = last[1]
            self.interrupt()
            self.bus.publish(BargedIn(turn_id=turn_id, t_speech_start=start.t_speech_start))

    def _on_spotted(self, score: float, t: float, in_speech: bool) -> None:
        """The wake-word model heard the phrase (on the listener thread): the speech in progress, or the next one
        within the window, is the question."""
        self._spotted_in_speech = in_speech
        seconds = max(self.config.listen.follow_up_s, self.WAKE_WAIT_S)
        self.wake_window.open(seconds)
        self.bus.publish(WakeDetected(heard=self.config.listen.wake_phrase, score=round(score, 3), t_speech_start=t))
        self.bus.publish(AwaitingQuestion(seconds=seconds, reason="wake"))

    def _spotting(self) -> bool:
        """A wake-word model is listening: speech it did not hear the phrase in needs no transcribing."""
        return self._listener is not None and self._listener.spotter is not None

    def _on_wake(self, utterance: Utterance, match: WakeMatch) -> int | None:
        """The STT stage heard the phrase (on its thread): the turn that answers the question after it, or
        None when the phrase came alone and the question is awaited."""
        spotted = utterance.wake == "spotted"  # the wake-word model said so already, as the phrase was said
        if not spotted:
            self.bus.publish(WakeDetected(heard=match.heard, score=match.score,
                                          t_speech_start=utterance.t_speech_start))
        if not match.question:
            seconds = max(self.config.listen.follow_up_s, self.WAKE_WAIT_S)
            self._phrase_alone = utterance
            self.wake_window.open(seconds)
            if not spotted:
                self.bus.publish(AwaitingQuestion(seconds=seconds, reason="wake"))
            return None
        if utterance.wake in ("awake", "spotted"):
            return utterance.turn_id
        turn_id = self._begin_turn(origin=utterance.t_speech_end)
        self._last_voice = (turn_id, utterance)
        self.tracker.timings(turn_id).mark("end_of_speech_detected", utterance.t_detected)
        self.bus.publish(SpeechEnded(turn_id=turn_id, t_speech_end=utterance.t_speech_end,
                                     duration=utterance.t_speech_end - utterance.t_speech_start))
        return turn_id

    def _mic_open(self) -> bool:
        if self._speaking_turn is not None and self.tracker.is_open(self._speaking_turn):
            return False
        playing_until = getattr(self.sink, "playing_until", 0.0)
        return time.monotonic() > playing_until + self.ECHO_TAIL_S

    def _begin_turn(self, origin: float) -> int:
        if self.tracker.open_turns():
            self.interrupt()  # a new question supersedes the answer in progress
        elif self.sink is not None:
            self.sink.flush()  # and the end of an earlier answer still being spoken
        token = self.turns.begin()
        self.tracker.open(token.turn_id, origin)
        return token.turn_id

    def _on_utterance(self, segment: SpeechSegment) -> None:
        assert self.stt_stage is not None
        if self.keep_recording is not None:
            self.keep_recording(segment.samples)
        prompt, wake, lead = "", "", 0
        samples, t_start, key = segment.samples, segment.t_speech_start, segment.key
        if self._wake_mode:
            prompt = self.wake.prompt
            wake = "awake" if self._speech_awake or self.wake_window.is_open(segment.t_speech_start) else "candidate"
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
                self.stt_stage.put(Utterance(0, samples, t_start, segment.t_speech_end, segment.t_detected, key,
                                             prompt, wake, t_first=segment.t_first))
                return
        turn_id = self._begin_turn(origin=segment.t_speech_end)
        self.tracker.timings(turn_id).mark("end_of_speech_detected", segment.t_detected)
        if segment.t_silence_met == segment.t_silence_met:  # not NaN
            self.tracker.timings(turn_id).mark("end_silence", segment.t_silence_met)
        self.bus.publish(SpeechEnded(turn_id=turn_id, t_speech_end=segment.t_speech_end,
                                     duration=segment.t_speech_end - t_start))
        utterance = Utterance(turn_id, samples, t_start, segment.t_speech_end, segment.t_detected, key, prompt, wake,
                              lead, segment.t_first)
        self._last_voice = (turn_id, utterance)
        self.stt_stage.put(utterance)

    def _screen_for(self, transcript: str) -> tuple[ScreenImage | None, str]:
        """Runs on the STT thread: the attached image, else the capture a question like "what's on my screen?"
        asks for (when screen.voice_trigger is on)."""
        image, self._attachment = self._attachment, None
        if image is not None:
            return image, ""
        if self.config.screen.voice_trigger:
            return None, screen_target_for(transcript, self.config.screen.target)
        return None, ""

    def _on_judged(self, key: tuple, unfinished: bool) -> None:
        listener = self._listener
        if listener is not None:
            listener.segmenter.judged(key, unfinished)

    def _on_pause(self, candidate: SpeechSegment) -> None:
        # Transcribe the speech so far while the end-of-turn silence runs: if the user stays silent,
        # the transcript is ready (or nearly) when the turn ends.
        assert self.stt_stage is not None
        if (self._wake_mode and self._spotting() and not (self._speech_awake or self._spotted_in_speech)
                and not self.wake_window.is_open(candidate.t_speech_start)):
            return  # speech without the phrase, as the wake-word model hears it: never transcribed
        samples, lead = (self._after_phrase(candidate.samples, candidate.t_first) if self._wake_mode
                         else (candidate.samples, 0))
        self.stt_stage.put(SpeculativeUtterance(candidate.key, samples, self.wake.prompt if self._wake_mode else "",
                                                lead))

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
