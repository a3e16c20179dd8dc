"""The one place the turn is wired: listener -> listening controller -> STT -> LLM -> TTS -> sink, each given its
downstream's inbox (a queue) or port, never another stage."""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.bus import EventBus
from assistant.config import Config, VadConfig
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
from assistant.pipeline.acting import ToolTurns
from assistant.pipeline.conversation import Conversation
from assistant.pipeline.listener import Listener
from assistant.pipeline.listening import Listen, ListeningController, Spotted
from assistant.pipeline.llm import LlmStage
from assistant.pipeline.segmenter import Segmenter, SpeechPaused
from assistant.pipeline.stage import Stage
from assistant.pipeline.stt import SttStage
from assistant.pipeline.tts import TtsStage
from assistant.pipeline.turns import TurnTracker
from assistant.pipeline.wake import WakePhrase
from assistant.screen_answer import ScreenAnswerer


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The turn's owner of state (``tracker``), the conversation, and the stages (None where not configured)."""

    bus: EventBus
    tracker: TurnTracker
    conversation: Conversation
    stt: SttStage | None
    llm: LlmStage | None
    tts: TtsStage | None
    listening: ListeningController | None  # what heard speech becomes (with speech to text only)

    @property
    def stages(self) -> list[Stage]:
        return [s for s in (self.stt, self.llm, self.tts) if s is not None]

    def listener(self, source: AudioSource, vad: VoiceActivityDetector, vad_config: VadConfig, *,
                 turn: EndOfTurnModel | None, wake: bool, gate: Callable[[], bool] | None,
                 echo: EchoCanceller | None, spotter: WakeWordSpotter | None, spot_threshold: float,
                 on_turn_model_failed: Callable[[], None] | None = None) -> Listener:
        """A listener on ``source`` (not started) whose speech goes to the listening controller, which is told the
        mode first (``wake``: always listening); a speech pause's end drops the reply written ahead for it.
        ``turn``: the end-of-turn model, used while ``vad_config.turn_model`` names one."""
        controller, stt = self.listening, self.stt
        assert controller is not None and stt is not None, "listening needs speech to text"
        # Only in real time: a file read faster than that would run through the longest silence before any
        # verdict arrives, and join the sentences that follow one another in it.
        segmenter = Segmenter(vad, vad_config, turn=turn if vad_config.turn_model.strip() else None,
                              await_verdicts=stt.on_judged is not None and source.realtime)
        listener = Listener(self.bus, segmenter, source, controller.put, lambda c: controller.put(SpeechPaused(c)),
                            gate=gate, echo=echo, on_speech_start=controller.put if wake else None,
                            spotter=spotter, spot_threshold=spot_threshold,
                            on_spotted=lambda score, t, in_speech: controller.put(Spotted(score, t, in_speech)),
                            on_pause_over=self.llm.drop_draft if self.llm else None,
                            on_turn_model_failed=on_turn_model_failed)
        # Before the listener's first message: the controller takes the speech that follows in this mode
        controller.put(Listen(wake, spotting=lambda: listener.spotter is not None))
        return listener


def build_pipeline(config: Config, bus: EventBus, *, stt: SpeechToText | None, llm: LanguageModel | None,
                   tts: TextToSpeech | None, sink: AudioSink | None, screen: ScreenAnswerer | None,
                   voices: Callable[[str], TextToSpeech | None] | None = None,
                   capture: Callable[..., ScreenImage] | None = None,
                   screen_for: Callable[[str], tuple[ScreenImage | None, str]] | None,
                   on_judged: Callable[[tuple, bool], None] | None, wake: WakePhrase,
                   begin_turn: Callable[[float], int], interrupt: Callable[[], Any],
                   keep_recording: Callable[[np.ndarray], None] | None,
                   after_load: Callable[[], None], acting: ToolTurns | None = None) -> Pipeline:
    """(listener ->) listening controller -> STT -> LLM -> TTS -> ``sink``; a stage without its model is left out
    (no voice: typed questions only). ``begin_turn`` and ``interrupt`` are the facade's (they reach the sink and
    the conversation too)."""
    tracker = TurnTracker(bus)
    conversation = Conversation(config.llm.system_prompt, config.llm.context_tokens, config.llm.max_new_tokens)
    tts_stage = TtsStage(bus, tts, tracker, sink, after_load, voices) if tts and sink else None
    llm_stage = (LlmStage(bus, llm, tracker, conversation, tts_stage.inbox if tts_stage else None, screen, capture,
                          after_load, acting) if llm else None)
    if stt is None:
        return Pipeline(bus, tracker, conversation, None, llm_stage, tts_stage, None)
    transcripts: queue.Queue = queue.Queue()  # the STT stage's inbox, made first: the controller feeds it
    listening = ListeningController(bus, tracker, transcripts, config.listen, wake, begin_turn=begin_turn,
                                    interrupt=interrupt, keep_recording=keep_recording)
    language = None if config.stt.language == "auto" else config.stt.language
    stt_stage = SttStage(bus, stt, tracker, llm_stage.inbox if llm_stage else None, language,
                         chinese_script=config.stt.chinese_script,
                         screen_for=screen_for if screen is not None else None,
                         on_judged=on_judged if config.vad.unfinished_silence_ms else None, wake=wake,
                         on_wake=listening.wake_heard, after_load=after_load, inbox=transcripts)
    return Pipeline(bus, tracker, conversation, stt_stage, llm_stage, tts_stage, listening)
