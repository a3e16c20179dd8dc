"""The composition root: the only core module that reaches into ``audio/``, ``models/`` and ``desktop/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.bus import EventBus
from assistant.config import Config
from assistant.contracts.ports import AudioIO, AudioSink, ScreenCapture
from assistant.facade import Assistant
from models import registry


@dataclass(frozen=True)
class Adapters:
    """The adapters a front-end drives itself (the assistant gets its own from ``build_assistant``): the CLI and
    the UI reach audio/ and desktop/ only through this, and tests hand them fakes the same way."""

    audio: AudioIO  # speakers, microphones, recordings, audio files, the sound devices
    capture: ScreenCapture  # the screen


def adapters() -> Adapters:
    """This machine's adapters. Cheap: nothing is opened until used."""
    from audio.kit import AudioKit
    from desktop.capture import DesktopCapture

    return Adapters(audio=AudioKit(), capture=DesktopCapture())


def notifier():
    """The desktop's notifications for the front-end: ``notify(title, body, *, category=..., urgency=..., icon=...,
    sound=False) -> bool`` (``desktop.notifications.notify``; False where the desktop has no notification service:
    the front-end shows its tray message instead)."""
    from desktop.notifications import notify

    return notify


def build_assistant(config: Config, *, listen: bool = True, speak: bool = True, sink: AudioSink | None = None,
                    bus: EventBus | None = None, capture: ScreenCapture | None = None, history=None) -> Assistant:
    """An Assistant wired to the configured backends. Nothing heavy happens here: models load when
    ``start()`` runs the stages. Missing models or packages raise ``ConfigError`` now, with the fix.
    ``capture``: how the core captures the screen (default: the desktop's; a front-end may replace it). The
    sink comes from ``adapters().audio``. ``history``: the front-end's open history store, which the memory shares
    (None: the memory opens the default one)."""
    stt = create_stt(config) if listen else None
    vad = create_vad(config) if listen else None
    llm = create_llm(config)
    tts = create_tts(config) if speak and sink is not None else None
    bus = bus or EventBus()
    memory = create_memory(config, bus, history)
    tools, services = create_tools(config, bus, memory=memory)
    assistant = Assistant(config, bus=bus, stt=stt, llm=llm, tts=tts, vad=vad, sink=sink,
                          voices=language_voices(config) if tts is not None else None,
                          turn=turn_model(config) if listen else None,
                          screen=create_screen_answerer(config, llm),
                          echo=echo_canceller(sink),
                          keep_recording=debug_recorder(config) if listen else None,
                          spotter=wake_spotter(config) if listen else None, tools=tools, services=services,
                          memory=memory)
    assistant.set_screen_capture((capture or adapters().capture).capture)
    return assistant


def create_memory(config: Config, bus: EventBus, history=None, *, embedder=None):
    """The memory (assistant.memory.service.Memory) on ``history`` (a HistoryStore; None: the default database).
    A database that cannot be opened gives a memory without a store, which says why once and keeps nothing;
    ``embedder``: one already loaded (the eval shares it), else the configured model, loaded on the memory's
    thread."""
    from assistant.history import HistoryError, HistoryStore
    from assistant.memory.service import Memory
    from assistant.memory.store import MemoryStore, unavailable_message

    problem = ""
    store = None
    try:
        store = MemoryStore(history if history is not None else HistoryStore())
    except HistoryError as exc:
        problem = unavailable_message(exc.message)
    return Memory(bus, store, embedder or create_embedder(config), enabled=config.memory.enabled,
                  facts_in_prompt=config.memory.facts_in_prompt, problem=problem)


def create_embedder(config: Config):
    """The memory's sentence-embedding model (``memory.embedding_model``); loaded later, by its user."""
    from models.embeddings import Embedder

    return Embedder(config.memory.embedding_model, allow_downloads=config.models.allow_downloads,
                    device="cpu" if config.llm.device == "cpu" else "auto")


def create_tools(config: Config, bus: EventBus, *, timers_path: Path | None = None, memory=None):
    """(ToolTurns, services) for the configured tools: the families, the timers' store and scheduler, the memory's
    tools (given ``memory``), and the MCP servers of mcp.json; (None, []) with tools off."""
    if not config.tools.enabled:
        return None, []
    from assistant.config import data_dir
    from assistant.pipeline.acting import ToolTurns
    from assistant.tools.clock import Clock
    from assistant.tools.desktop import Desktop
    from assistant.tools.intents import IntentMatcher
    from assistant.tools.maths import Maths
    from assistant.tools.timers import TimerService
    from assistant.tools.toolbox import Toolbox
    from assistant.tools.units import Units
    from assistant.tools.words import Words
    from desktop.actions import DesktopActions

    toolbox = Toolbox(bus, policy=config.cloud.policy, allowed=config.tools.allowed_set)
    matcher = IntentMatcher()
    timers = TimerService(bus, timers_path or data_dir() / "timers.sqlite3")
    units = Units()
    services: list = [timers]
    desktop = Desktop(DesktopActions())
    families: list = [timers, Clock(), units, Maths(), Words(), desktop]
    if memory is not None:  # first: "remind me what we said about..." is a recall, not a reminder
        from assistant.tools.memory import MemoryTools

        families.insert(0, MemoryTools(memory))
    # The order is the matchers': the timers' "time left" before the clock's "time".
    for family in families:
        for tool in family.tools():
            toolbox.add(tool)
        matcher.add(*family.matchers())
    if config.tools.mcp:
        from assistant.tools.mcp_servers import McpServers

        servers = McpServers.from_file(bus)  # a bad mcp.json is said at start; the other tools work
        toolbox.add(servers)
        services.append(_StartedInBackground(servers))
    acting = ToolTurns(bus, toolbox, matcher, intents=config.tools.intents, model_calls=config.tools.model_calls,
                       warm=[units.warm], desktop=desktop, timers=timers)
    return acting, services


@dataclass(frozen=True)
class _StartedInBackground:
    """The MCP servers as a service of the assistant: started without waiting (a server may take seconds, and its
    tools join the list when it is up), closed at shutdown."""

    servers: Any

    def start(self) -> None:
        self.servers.start(wait=False)

    def stop(self) -> None:
        self.servers.close()


def wake_spotter(config: Config):
    """The openWakeWord model of ``listen.wake_model``, or None when it is empty (the built-in detector listens for
    the phrase in what speech to text hears). Resolved, and downloaded when allowed, on load."""
    setting = config.listen.wake_model.strip()
    if not setting:
        return None
    from audio.wake_openwakeword import FEATURE_MODELS, OpenWakeWordSpotter
    from models import resolver

    allow_downloads = config.models.allow_downloads

    def prepare(progress):
        model = resolver.resolve_wake(setting, allow_downloads)
        return model.path or resolver.download(model, progress, companions=FEATURE_MODELS)

    return OpenWakeWordSpotter(prepare=prepare)


def echo_canceller(sink):
    """Takes what ``sink`` plays out of the microphone (always-listening barge-in) with WebRTC's AEC3; None for a
    sink that plays into no room (a recording), or keeps no reference of what it played."""
    reference = sink.reference if sink is not None else None
    if reference is None:
        return None
    registry.need("pywebrtc_audio", "echo", "pywebrtc-audio")
    from audio.echo_webrtc import WebRtcEchoCanceller

    return WebRtcEchoCanceller(reference)


def debug_recorder(config: Config):
    """With ``listen.debug_recordings`` on, a function that keeps each heard utterance as a WAV in the data
    folder's ``recordings/``; None otherwise (nothing heard is ever written to disk)."""
    if not config.listen.debug_recordings:
        return None
    import logging
    import time

    from assistant.config import data_dir
    from audio.files import write_wav

    folder = data_dir() / "recordings"
    log = logging.getLogger(__name__)
    log.warning("debug recordings are on: every heard utterance is saved in %s", folder)

    def keep(samples) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() // 1_000_000 % 1000:03d}"
            write_wav(folder / f"utterance-{stamp}.wav", samples, 16000)
        except OSError as exc:  # a full or read-only disk must not stop listening
            log.warning("could not save a debug recording in %s: %s", folder, exc)

    return keep


def create_screen_answerer(config: Config, llm):
    """Who answers questions about the screen: a local VLM if set, the local LLM reading the screen's text by
    OCR, and the cloud only when ``cloud.screen_to_cloud`` allows screen images to leave the machine."""
    import logging

    from assistant.contracts.errors import ConfigError
    from assistant.screen_answer import ScreenAnswerer, plan_backends

    screen = config.screen
    vlm = create_vision(config) if screen.vision_model else None
    ocr = None
    if screen.ocr:
        try:
            ocr = create_ocr(config)
        except ConfigError as exc:  # the text path is gone; a VLM or the cloud may still answer
            logging.getLogger(__name__).warning("%s", exc.message)
    backends = plan_backends(config.cloud.policy, config.cloud.screen_to_cloud, vlm=vlm, local=llm.local,
                             cloud=llm.cloud)
    if ocr is None:  # a model that cannot see images has nothing to read without OCR
        backends = [b for b in backends if b.supports_images]
    return ScreenAnswerer(backends, ocr, max_image_side=screen.max_image_side, max_text_chars=screen.max_text_chars,
                          token_budget=config.llm.context_tokens - config.llm.max_new_tokens)


def create_vision(config: Config):
    """The local vision-language model of ``screen.vision_model`` (loaded on first use)."""
    llm = config.llm
    return registry.create_vision(config.screen.vision_model, allow_downloads=config.models.allow_downloads,
                                  device=llm.device, dtype=llm.dtype, max_new_tokens=llm.max_new_tokens,
                                  temperature=llm.temperature, repetition_penalty=llm.repetition_penalty,
                                  threads=llm.threads, first_token_timeout_s=llm.first_token_timeout_s,
                                  max_image_side=config.screen.max_image_side)


def create_ocr(config: Config):
    """The screen's text reader (OCR)."""
    return registry.create_ocr()


def local_llm(config: Config, model: str = ""):
    """The in-process language model of ``llm.model`` (or ``model``), without routing."""
    llm = config.llm
    return registry.create_llm(model or llm.model, allow_downloads=config.models.allow_downloads,
                               cache_dir=config.cache_dir, device=llm.device, dtype=llm.dtype, quantize=llm.quantize,
                               max_new_tokens=llm.max_new_tokens, temperature=llm.temperature,
                               repetition_penalty=llm.repetition_penalty, threads=llm.threads,
                               first_token_timeout_s=llm.first_token_timeout_s, context_tokens=llm.context_tokens,
                               runtime=llm.runtime)


def _cloud_llm(config: Config, api_key: str | None):
    cloud = config.cloud
    return registry.create_cloud_llm(base_url=cloud.base_url, model=cloud.model, api_key=api_key,
                                     timeout_s=cloud.timeout_s, first_token_timeout_s=cloud.first_token_timeout_s,
                                     max_retries=cloud.max_retries, max_tokens=max(config.llm.max_new_tokens, 400))


def create_llm(config: Config):
    """The language model the routing policy allows. This is the one place that decides whether a cloud
    client exists at all: under the "local" policy none is built, so nothing can leave the machine."""
    from assistant.contracts.errors import AssistantError
    from assistant.pipeline.router import RoutedLLM
    from assistant.secrets import cloud_api_key

    policy = config.cloud.policy
    big, routing = _big_llm(config), config.llm.routing
    if policy == "local":
        return RoutedLLM("local", local_llm(config), None, big, routing)
    local_config = config.replace("llm", first_token_timeout_s=min(config.llm.first_token_timeout_s,
                                                                   config.cloud.local_first_token_timeout_s))
    try:
        local = local_llm(local_config)
    except AssistantError as exc:  # no local model here: the cloud answers alone
        import logging

        logging.getLogger(__name__).warning("local model unavailable (%s): the cloud answers", exc.message)
        local = None
    return RoutedLLM(policy, local, _cloud_llm(config, cloud_api_key()), big, routing)


def big_model_of(config: Config) -> str:
    """The model setting questions are routed to ("" when none: no bigger model, or routing off)."""
    return registry.big_llm_setting(config.llm.big_model) if config.llm.routing != "off" else ""


def _big_llm(config: Config):
    """The bigger local model for hard questions (``llm.big_model``), or None. One that cannot be built (its pack
    is not installed, say) leaves the small model to answer everything: said in the log and in `assistant models`."""
    from assistant.contracts.errors import AssistantError

    setting = big_model_of(config)
    if not setting:
        return None
    try:
        return local_llm(config, setting)
    except AssistantError as exc:
        import logging

        logging.getLogger(__name__).warning("the bigger model is unavailable (%s): the small one answers every "
                                            "question", exc.message)
        return None


def _cloud_speech(config: Config):
    """Cloud (stt, tts), or (None, None) when the policy or cloud.speech keeps speech local."""
    if config.cloud.policy == "local" or not config.cloud.speech:
        return None, None
    from assistant.secrets import cloud_api_key

    cloud = config.cloud
    return registry.create_cloud_speech(base_url=cloud.base_url, api_key=cloud_api_key(), timeout_s=cloud.timeout_s,
                                        max_retries=cloud.max_retries, stt_model=cloud.stt_model,
                                        tts_model=cloud.tts_model, tts_voice=cloud.tts_voice,
                                        speaking_rate=config.tts.speaking_rate)


def _local_or_none(factory, config: Config, policy: str):
    from assistant.contracts.errors import AssistantError

    try:
        return factory(config)
    except AssistantError:
        if policy == "local":
            raise
        return None  # the cloud speaks or listens instead


def local_stt(config: Config):
    """faster-whisper with ``stt.model``, without routing."""
    stt = config.stt
    return registry.create_stt(stt.model, allow_downloads=config.models.allow_downloads, device=stt.device,
                               compute_type=stt.compute_type, language=stt.language, beam_size=stt.beam_size,
                               threads=stt.threads, cache_dir=config.cache_dir)


def create_stt(config: Config):
    cloud_stt, _ = _cloud_speech(config)
    if cloud_stt is None:
        return local_stt(config)
    from assistant.pipeline.router import RoutedSTT

    return RoutedSTT(config.cloud.policy, _local_or_none(local_stt, config, "cloud"), cloud_stt)


def create_vad(config: Config):
    """Silero VAD with ``vad.model``."""
    registry.need("onnxruntime", "vad", "onnxruntime")
    from audio.vad_silero import SileroVAD
    from models import resolver

    return SileroVAD(resolver.resolve_vad(config.vad.model).path)  # type: ignore[arg-type]


def turn_model(config: Config):
    """The end-of-turn model of ``vad.turn_model`` (Smart Turn), or None when it is empty (turns end on silence
    alone). Resolved, and downloaded when allowed, on load: a missing model is said then, and listening goes on
    with the silence rule."""
    setting = config.vad.turn_model.strip()
    if not setting:
        return None
    from audio.turn_smart_turn import SmartTurn
    from models import resolver

    allow_downloads = config.models.allow_downloads

    def prepare(progress):
        model = resolver.resolve_turn(setting, allow_downloads)
        return model.path or resolver.download(model, progress)

    return SmartTurn(prepare=prepare)


def local_tts(config: Config):
    """Piper (or espeak-ng) with ``tts.voice``, without routing."""
    tts = config.tts
    return registry.create_tts(backend=tts.backend, voice=tts.voice, espeak_voice=tts.espeak_voice,
                               speaking_rate=tts.speaking_rate, allow_downloads=config.models.allow_downloads)


def language_voices(config: Config):
    """voices(language): the voice for a reply in a language other than English (``tts.voices``, else espeak-ng's
    voice for it; None: the default voice), or None when the cloud's voice speaks (it speaks them all)."""
    tts = config.tts
    if config.cloud.policy != "local" and config.cloud.speech:
        return None
    chosen = tts.language_voices()

    def voice_for(language: str):
        if language == "en":
            return None
        return registry.create_language_voice(language, voice=chosen.get(language, ""),
                                              speaking_rate=tts.speaking_rate,
                                              allow_downloads=config.models.allow_downloads)

    return voice_for


def language_voice_list(config: Config, languages: tuple[str, ...] = ("zh", "de", "fr", "es", "ja")) \
        -> list[tuple[str, str]]:
    """(language code, what speaks it) for the settings: English by the configured voice, the others (``languages``
    and those ``tts.voices`` names) as ``language_voices`` chooses, without loading anything."""
    tts = config.tts
    default = f"eSpeak {tts.espeak_voice}" if tts.backend == "espeak" else f"Piper {tts.voice}"
    chosen = tts.language_voices()
    rows = [("en", default)]
    for language in dict.fromkeys([*chosen, *languages]):
        if language != "en":
            plan = registry.language_voice_plan(language, chosen.get(language, ""))
            rows.append((language, f"{'Piper' if plan[0] == 'piper' else 'eSpeak'} {plan[1]}" if plan else default))
    return rows


def create_tts(config: Config):
    _, cloud_tts = _cloud_speech(config)
    if cloud_tts is None:
        return local_tts(config)
    from assistant.pipeline.router import RoutedTTS

    return RoutedTTS(config.cloud.policy, _local_or_none(local_tts, config, "cloud"), cloud_tts)


def local_servers() -> list[tuple[str, str]]:
    """(label, llm.model setting) for every model of the chat servers running on this machine's default ports
    (Ollama, LM Studio, llama.cpp's server, vLLM)."""
    from models.llm_server import find_servers

    return [(f"{found.kind}: {model}", setting) for found in find_servers()
            for model, setting in zip(found.models, found.settings(), strict=True)]


def model_inventory(config: Config, prepare: bool = False, progress=None) -> list[dict]:
    """What every model setting resolves to (``prepare``: download and convert what needs it)."""
    from assistant.contracts.errors import ConfigError
    from models.inventory import describe_all

    stt = config.stt
    multilingual = stt.model == "bundled" and stt.language != "en"  # what "bundled" is for another language
    settings = {"stt": "bundled-multilingual" if multilingual else stt.model, "vad": config.vad.model,
                "llm": config.llm.model, "tts": config.tts.voice}
    if config.vad.turn_model.strip():
        settings["turn"] = config.vad.turn_model.strip()
    if big_model_of(config):
        settings["llm-big"] = big_model_of(config)
    if config.screen.vision_model:
        settings["vision"] = config.screen.vision_model
    if config.memory.enabled:
        settings["embedding"] = config.memory.embedding_model
    llm = config.llm
    runtimes = {}
    for role in ("llm", "llm-big"):
        if role in settings:
            try:
                runtimes[role] = registry.choose_llm_runtime(llm.runtime, settings[role], llm.device, llm.quantize)
            except ConfigError:
                runtimes[role] = "transformers"  # the model's own row says what is wrong when it is built
    return describe_all(settings, allow_downloads=config.models.allow_downloads, cache_dir=config.cache_dir,
                        ocr=config.screen.ocr, prepare=prepare, progress=progress, llm_runtimes=runtimes)
