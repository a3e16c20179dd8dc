"""Settings: frozen dataclasses validated on construction, loaded from TOML, overridable by env.

The file lives in the platform config folder (``assistant config path``). Every value can be
overridden by ``ASSISTANT_<SECTION>_<KEY>`` (for example ``ASSISTANT_LLM_MAX_NEW_TOKENS=64``).
API keys never live here: they come from the OS keyring or an environment variable.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from assistant.contracts.errors import ConfigError
from assistant.private_files import private_dir, private_file, write_private_text

APP_NAME = "local-voice-assistant"

# Short on purpose: every token of it is processed before the first word of each reply (~3 ms a token
# on a 2-core CPU).
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful voice assistant running privately on the user's computer. Your replies are spoken "
    "aloud: answer in one to three short, plain sentences. If you don't know something, say so."
)


# The desktop app's interface languages: "auto" (the system's) and each that ui/data/i18n has, English first.
UI_LANGUAGES = ("auto", "en", "zh_CN")


def _check(cond: bool, key: str, message: str, value: Any) -> None:
    if not cond:
        raise ConfigError("config-invalid", f"{key} {message} (got {value!r})")


def _choice(key: str, value: str, choices: tuple[str, ...]) -> None:
    _check(value in choices, key, "must be one of " + ", ".join(choices), value)


@dataclass(frozen=True)
class SttConfig:
    """Speech-to-text settings (the [stt] section)."""

    model: str = "bundled"  # "bundled" (offline pack), a local folder, or a faster-whisper size / hub id
    device: str = "auto"  # auto | cpu | cuda
    compute_type: str = "auto"  # auto | int8 | int8_float16 | float16 | float32
    language: str = "en"  # a language code, or "auto"
    chinese_script: str = "simplified"  # how Chinese that is heard is written: simplified | traditional
    beam_size: int = 5
    threads: int = 0  # 0: chosen from the machine's cores

    def __post_init__(self) -> None:
        _check(bool(self.model.strip()), "stt.model", "must not be empty", self.model)
        _choice("stt.device", self.device, ("auto", "cpu", "cuda"))
        _choice("stt.compute_type", self.compute_type, ("auto", "int8", "int8_float16", "float16", "float32"))
        _check(self.language == "auto" or 2 <= len(self.language) <= 3, "stt.language",
               'must be a language code such as "en", or "auto"', self.language)
        _choice("stt.chinese_script", self.chinese_script, ("simplified", "traditional"))
        _check(1 <= self.beam_size <= 10, "stt.beam_size", "must be between 1 and 10", self.beam_size)
        _check(0 <= self.threads <= 256, "stt.threads", "must be between 0 and 256", self.threads)


@dataclass(frozen=True)
class VadConfig:
    """Voice activity and end-of-turn settings (the [vad] section)."""

    model: str = "bundled"  # "bundled" (Silero VAD from the silero-vad package) or a path to an .onnx
    threshold: float = 0.5  # speech probability that starts speech
    end_silence_ms: int = 400  # silence that ends the turn
    pre_roll_ms: int = 300  # audio kept before speech starts, so the first syllable is not lost
    min_speech_ms: int = 250  # shorter bursts (a cough, a click) are not a turn
    max_utterance_s: float = 30.0  # a turn is cut here and answered
    # Once the sound has stopped this long, transcribe while the end-of-turn silence runs (0: off). Counted from the
    # acoustic end of speech, and never under 150 ms (the cut's tail), so that the early cut is the final one.
    speculative_stt_ms: int = 150
    # The end-of-turn model (Smart Turn v3.2): "bundled", a path to its .onnx, a Hugging Face file
    # (owner/repo:file.onnx), or "" (off: a turn ends after end_silence_ms of silence). Asked at that same pause
    # whether the user has finished; when so the turn ends there, when not it waits for unfinished_silence_ms.
    turn_model: str = "bundled"
    turn_threshold: float = 0.5  # the model's probability of a finished turn that ends it
    # The silence that ends a turn the model judged unfinished ("what is the capital of..."), unless speech resumes
    # (0: end_silence_ms, as for any other).
    unfinished_silence_ms: int = 1200

    def __post_init__(self) -> None:
        _check(0.05 <= self.threshold <= 0.95, "vad.threshold", "must be between 0.05 and 0.95", self.threshold)
        _check(100 <= self.end_silence_ms <= 5000, "vad.end_silence_ms", "must be between 100 and 5000",
               self.end_silence_ms)
        _check(0 <= self.pre_roll_ms <= 2000, "vad.pre_roll_ms", "must be between 0 and 2000", self.pre_roll_ms)
        _check(0 <= self.min_speech_ms <= 5000, "vad.min_speech_ms", "must be between 0 and 5000",
               self.min_speech_ms)
        _check(1 <= self.max_utterance_s <= 300, "vad.max_utterance_s", "must be between 1 and 300",
               self.max_utterance_s)
        _check(0 <= self.speculative_stt_ms <= 5000, "vad.speculative_stt_ms", "must be between 0 (off) and 5000",
               self.speculative_stt_ms)
        _check(self.unfinished_silence_ms == 0 or self.end_silence_ms <= self.unfinished_silence_ms <= 5000,
               "vad.unfinished_silence_ms", f"must be 0 (off) or between vad.end_silence_ms ({self.end_silence_ms}) "
               "and 5000", self.unfinished_silence_ms)
        _check(0.05 <= self.turn_threshold <= 0.95, "vad.turn_threshold", "must be between 0.05 and 0.95",
               self.turn_threshold)


@dataclass(frozen=True)
class LlmConfig:
    """Language-model settings (the [llm] section)."""

    model: str = "bundled"  # "bundled", "bundled-1.5b", a local folder or .gguf file, or a Hugging Face chat model id
    runtime: str = "auto"  # auto (CTranslate2: a GGUF on the CPU but the bundled 0.5B) | ctranslate2 | transformers
    big_model: str = "auto"  # the model for questions: auto (the 1.5B pack when installed), "" (none), a setting
    routing: str = "by-difficulty"  # by-difficulty (hard questions to big_model, else the cloud under "auto") | off
    device: str = "auto"  # auto | cpu | cuda | mps
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16
    quantize: str = "auto"  # auto (int8 on CPU) | int8 | none
    max_new_tokens: int = 160
    temperature: float = 0.0  # 0: greedy, repeatable answers
    repetition_penalty: float = 1.1  # 1.0: off; keeps a small model out of loops
    context_tokens: int = 2048  # budget for system prompt + history + question
    threads: int = 0  # 0: chosen from the machine's cores
    first_token_timeout_s: float = 60.0
    system_prompt: str = DEFAULT_SYSTEM_PROMPT

    def __post_init__(self) -> None:
        _check(bool(self.model.strip()), "llm.model", "must not be empty", self.model)
        _choice("llm.runtime", self.runtime, ("auto", "ctranslate2", "transformers"))
        _choice("llm.routing", self.routing, ("by-difficulty", "off"))
        _check(self.big_model == self.big_model.strip(), "llm.big_model", "must not start or end with spaces",
               self.big_model)
        _choice("llm.device", self.device, ("auto", "cpu", "cuda", "mps"))
        _choice("llm.dtype", self.dtype, ("auto", "float32", "bfloat16", "float16"))
        _choice("llm.quantize", self.quantize, ("auto", "int8", "none"))
        _check(1 <= self.max_new_tokens <= 4096, "llm.max_new_tokens", "must be between 1 and 4096",
               self.max_new_tokens)
        _check(0.0 <= self.temperature <= 2.0, "llm.temperature", "must be between 0 and 2", self.temperature)
        _check(1.0 <= self.repetition_penalty <= 2.0, "llm.repetition_penalty", "must be between 1.0 (off) and 2.0",
               self.repetition_penalty)
        _check(256 <= self.context_tokens <= 131072, "llm.context_tokens", "must be between 256 and 131072",
               self.context_tokens)
        _check(0 <= self.threads <= 256, "llm.threads", "must be between 0 and 256", self.threads)
        _check(self.max_new_tokens <= self.context_tokens // 2, "llm.max_new_tokens",
               f"must be at most half of llm.context_tokens ({self.context_tokens})", self.max_new_tokens)
        _check(1 <= self.first_token_timeout_s <= 600, "llm.first_token_timeout_s",
               "must be between 1 and 600", self.first_token_timeout_s)


@dataclass(frozen=True)
class TtsConfig:
    """Speech-output settings (the [tts] section)."""

    backend: str = "piper"  # piper | espeak
    voice: str = "bundled"  # "bundled" (en_US-joe-medium) or a path to a Piper .onnx voice
    speaking_rate: float = 1.0  # 1.0 normal, 1.2 faster, 0.8 slower
    espeak_voice: str = "en-us"
    # A voice per language for replies in other languages than the voice above speaks: "de=de_DE-thorsten-medium
    # zh=zh_CN-huayan-medium" (Piper voices: a name from the hub, fetched when downloads are allowed, or a path).
    # A language without one is spoken by espeak-ng's voice for it.
    voices: str = ""

    def language_voices(self) -> dict[str, str]:
        """``voices`` as {language: voice}."""
        return dict(pair.partition("=")[::2] for pair in self.voices.split())

    def __post_init__(self) -> None:
        _choice("tts.backend", self.backend, ("piper", "espeak"))
        for pair in self.voices.split():
            language, _, voice = pair.partition("=")
            _check(2 <= len(language) <= 3 and language.isalpha() and bool(voice), "tts.voices",
                   'must be "language=voice" pairs separated by spaces, such as "de=de_DE-thorsten-medium"',
                   self.voices)
        _check(bool(self.voice.strip()), "tts.voice", "must not be empty", self.voice)
        _check(0.5 <= self.speaking_rate <= 2.0, "tts.speaking_rate", "must be between 0.5 and 2.0",
               self.speaking_rate)


@dataclass(frozen=True)
class ModelsConfig:
    """Where models come from: downloads allowed, the cache folder (the [models] section)."""

    allow_downloads: bool = False  # fetch hub models (with progress) when they are not on disk
    cache_dir: str = ""  # "" = the platform cache folder

    def __post_init__(self) -> None:
        if self.cache_dir:
            _check(not Path(self.cache_dir).expanduser().is_file(), "models.cache_dir",
                   "must be a folder, not a file", self.cache_dir)


@dataclass(frozen=True)
class CloudConfig:
    """The optional cloud model: any OpenAI-compatible endpoint. Off unless ``policy`` says otherwise.

    The API key is not a setting: it comes from the OS keyring or ASSISTANT_CLOUD_API_KEY."""

    policy: str = "local"  # local (never any connection) | auto (local first) | cloud (cloud first)
    base_url: str = ""  # e.g. https://api.openai.com/v1 or http://localhost:11434/v1
    model: str = ""  # e.g. gpt-4o-mini
    timeout_s: float = 30.0
    first_token_timeout_s: float = 15.0  # the cloud's first token; past this the local model answers
    local_first_token_timeout_s: float = 10.0  # in "auto", past this the cloud answers instead
    max_retries: int = 2  # on 429 and 5xx, with backoff
    speech: bool = False  # also transcribe and speak through the endpoint's audio API, by the same policy
    stt_model: str = "whisper-1"
    tts_model: str = "tts-1"
    tts_voice: str = "alloy"
    screen_to_cloud: bool = False  # screen images may be sent to the cloud model

    def __post_init__(self) -> None:
        _choice("cloud.policy", self.policy, ("local", "auto", "cloud"))
        if self.policy != "local":
            _check(self.base_url.startswith(("http://", "https://")), "cloud.base_url",
                   f"must be an http(s) URL when cloud.policy is \"{self.policy}\"", self.base_url)
            _check(bool(self.model.strip()), "cloud.model", f"must be set when cloud.policy is \"{self.policy}\"",
                   self.model)
        _check(1 <= self.timeout_s <= 600, "cloud.timeout_s", "must be between 1 and 600", self.timeout_s)
        _check(0.5 <= self.first_token_timeout_s <= 600, "cloud.first_token_timeout_s",
               "must be between 0.5 and 600", self.first_token_timeout_s)
        _check(0.5 <= self.local_first_token_timeout_s <= 600, "cloud.local_first_token_timeout_s",
               "must be between 0.5 and 600", self.local_first_token_timeout_s)
        _check(0 <= self.max_retries <= 10, "cloud.max_retries", "must be between 0 and 10", self.max_retries)


@dataclass(frozen=True)
class AudioConfig:
    """Microphone, speaker and duplex settings (the [audio] section)."""

    input_device: str = ""  # "" = the system's default microphone; else a device name (or its start) or index
    output_device: str = ""  # "" = the system's default speaker
    half_duplex: bool = True  # ignore the microphone while the assistant speaks (no echo without a headset)
    max_voice_input_s: float = 120.0  # longest file `assistant voice` accepts
    max_transcribe_s: float = 3600.0  # longest file `assistant transcribe` accepts

    def __post_init__(self) -> None:
        _check(1 <= self.max_voice_input_s <= 3600, "audio.max_voice_input_s", "must be between 1 and 3600",
               self.max_voice_input_s)
        _check(1 <= self.max_transcribe_s <= 86400, "audio.max_transcribe_s", "must be between 1 and 86400",
               self.max_transcribe_s)


@dataclass(frozen=True)
class ListenConfig:
    """Always-listening mode: the wake phrase, the follow-up window, barge-in and the echo of our own voice."""

    wake_phrase: str = "hey assistant"  # said before a question; matched loosely on what speech to text heard
    sensitivity: float = 0.5  # 0..1: higher accepts looser matches of the phrase (more wakes, more false wakes)
    follow_up_s: float = 6.0  # after a reply, this long to ask again without the phrase (0: always say it)
    barge_in: bool = True  # speaking over a reply stops it and becomes the next question
    headphones: bool = False  # the microphone cannot hear the speaker: full duplex, no echo suppression
    debug_recordings: bool = False  # keep every heard utterance as a WAV in the data folder (off: nothing on disk)
    # An openWakeWord model that spots the phrase in the audio itself (a .onnx path, or owner/repo:file.onnx on the
    # hub); "": the built-in detector, which finds the phrase in what speech to text hears. Set wake_phrase to the
    # model's phrase, so that it is taken off the question.
    wake_model: str = ""
    # Always listening from the start (only speech that starts with the wake phrase is answered); the tray menu
    # switches it for the session.
    always_listening: bool = False

    def __post_init__(self) -> None:
        words = self.wake_phrase.split()
        _check(1 <= len(words) <= 5 and all(any(c.isalpha() for c in w) for w in words), "listen.wake_phrase",
               'must be one to five words, such as "hey assistant"', self.wake_phrase)
        _check(0.0 <= self.sensitivity <= 1.0, "listen.sensitivity", "must be between 0 and 1", self.sensitivity)
        _check(0.0 <= self.follow_up_s <= 120.0, "listen.follow_up_s", "must be between 0 (off) and 120",
               self.follow_up_s)


# pynput's hotkey syntax: "<ctrl>+<alt>+<space>", "<cmd>+<shift>+a".
HOTKEY_NAMES = {"ctrl", "alt", "shift", "cmd", "alt_gr", "space", "enter", "tab", "esc", "backspace", "delete",
                "insert", "home", "end", "page_up", "page_down", "up", "down", "left", "right", "pause",
                "caps_lock", "menu", "print_screen", "scroll_lock", *(f"f{i}" for i in range(1, 21))}
HOTKEY_MODIFIERS = {"ctrl", "alt", "shift", "cmd", "alt_gr"}


def check_hotkey(key: str, value: str) -> None:
    """Refuse a hotkey pynput cannot parse, or one that is a bare key (it would swallow normal typing)."""
    parts = value.split("+")
    names = [p[1:-1] if p.startswith("<") and p.endswith(">") else p for p in parts]
    for part, name in zip(parts, names, strict=True):
        ok = (part.startswith("<") and name in HOTKEY_NAMES) or (len(part) == 1 and part.isprintable()
                                                                  and part != " ")
        _check(ok, key, 'must look like "<ctrl>+<alt>+<space>" (modifiers and keys in <>, letters bare); '
               f"{part!r} is not a key", value)
    _check(len(set(names)) == len(names), key, "names a key twice", value)
    _check(any(n in HOTKEY_MODIFIERS for n in names) and any(n not in HOTKEY_MODIFIERS for n in names), key,
           "needs at least one modifier (<ctrl>, <alt>, <shift>, <cmd>) and one other key", value)


@dataclass(frozen=True)
class UiConfig:
    """Desktop-app settings: hotkeys, launcher, tray (the [ui] section)."""

    toggle_hotkey: str = "<ctrl>+<alt>+<space>"  # shows or hides the launcher
    push_to_talk_hotkey: str = "<ctrl>+<alt>+v"  # hold to talk; "" = off
    launcher_listens: bool = True  # the launcher starts listening at once (else it waits for typing)
    start_hidden: bool = False  # start in the tray, without the main window
    screen_hotkey: str = "<ctrl>+<alt>+s"  # capture the screen and ask about it; "" = off
    mute_hotkey: str = "<ctrl>+<alt>+m"  # mute or unmute the microphone; "" = off
    language: str = "auto"  # the interface's language: auto (the system's) | en | zh_CN; applied at the next start
    theme: str = "auto"  # the look: auto (follows the desktop's light or dark scheme) | light | dark
    first_run_done: bool = False  # the first-run setup was finished or skipped (Settings → Interface runs it again)

    def __post_init__(self) -> None:
        _choice("ui.language", self.language, UI_LANGUAGES)
        _choice("ui.theme", self.theme, ("auto", "light", "dark"))
        check_hotkey("ui.toggle_hotkey", self.toggle_hotkey)
        if self.push_to_talk_hotkey:
            check_hotkey("ui.push_to_talk_hotkey", self.push_to_talk_hotkey)
            _check(self.push_to_talk_hotkey != self.toggle_hotkey, "ui.push_to_talk_hotkey",
                   "must differ from ui.toggle_hotkey", self.push_to_talk_hotkey)
        if self.screen_hotkey:
            check_hotkey("ui.screen_hotkey", self.screen_hotkey)
            _check(self.screen_hotkey not in (self.toggle_hotkey, self.push_to_talk_hotkey), "ui.screen_hotkey",
                   "must differ from the other hotkeys", self.screen_hotkey)
        if self.mute_hotkey:
            check_hotkey("ui.mute_hotkey", self.mute_hotkey)
            _check(self.mute_hotkey not in (self.toggle_hotkey, self.push_to_talk_hotkey, self.screen_hotkey),
                   "ui.mute_hotkey", "must differ from the other hotkeys", self.mute_hotkey)


@dataclass(frozen=True)
class ScreenConfig:
    """Questions about the screen: which model reads it, and what may trigger a capture."""

    vision_model: str = ""  # "" = read the screen with OCR for the local LLM; else a VLM folder or Hugging Face id
    ocr: bool = True  # read the screen's text with RapidOCR for models that do not see images
    target: str = "screen"  # what a screen question captures: screen (under the pointer) | window | all
    voice_trigger: bool = True  # "what's on my screen?", "explain this error" capture the screen by themselves
    max_image_side: int = 1344  # images for a VLM or the cloud are downscaled to this many pixels at most
    max_text_chars: int = 4000  # the screen text given to a text-only model (its context is small)

    def __post_init__(self) -> None:
        _choice("screen.target", self.target, ("screen", "window", "all"))
        _check(224 <= self.max_image_side <= 4096, "screen.max_image_side", "must be between 224 and 4096",
               self.max_image_side)
        _check(200 <= self.max_text_chars <= 100_000, "screen.max_text_chars", "must be between 200 and 100000",
               self.max_text_chars)


@dataclass(frozen=True)
class PrivacyConfig:
    """What is kept on disk (the [privacy] section)."""

    save_history: bool = True  # keep conversations in the local history database


@dataclass(frozen=True)
class ToolsConfig:
    """What the assistant may do (the [tools] section)."""

    enabled: bool = True  # answer requests with tools (the clock, timers, units...); off: the model only
    intents: bool = True  # match common requests locally, without the model (off: the model calls every tool)
    model_calls: bool = True  # offer the model the tools that fit a question, and run the calls it makes
    # Tools (or families: "desktop", "mcp:<server>"; "*" for all) that run without asking first, and that may reach
    # the network under the local policy. Comma-separated.
    allowed: str = ""
    mcp: bool = True  # start the MCP servers listed in mcp.json beside the settings file

    @property
    def allowed_set(self) -> set[str]:
        return {name.strip() for name in self.allowed.split(",") if name.strip()}


@dataclass(frozen=True)
class MemoryConfig:
    """What the assistant remembers across sessions (the [memory] section): facts the user tells it, and recall of
    past conversations by meaning. Off: nothing is stored, embedded or put into a prompt."""

    enabled: bool = True
    embedding_model: str = "bundled"  # "bundled" (all-MiniLM-L6-v2, offline pack), a local folder, or a hub id
    facts_in_prompt: int = 3  # at most this many facts that fit a question go into its prompt (0: none)

    def __post_init__(self) -> None:
        _check(bool(self.embedding_model.strip()), "memory.embedding_model", "must not be empty",
               self.embedding_model)
        _check(0 <= self.facts_in_prompt <= 10, "memory.facts_in_prompt", "must be between 0 and 10",
               self.facts_in_prompt)


@dataclass(frozen=True)
class Config:
    """All settings, immutable; ``replace`` makes a changed copy."""

    stt: SttConfig = field(default_factory=SttConfig)
    vad: VadConfig = field(default_factory=VadConfig)
    llm: LlmConfig = field(default_factory=LlmConfig)
    tts: TtsConfig = field(default_factory=TtsConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    cloud: CloudConfig = field(default_factory=CloudConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    screen: ScreenConfig = field(default_factory=ScreenConfig)
    listen: ListenConfig = field(default_factory=ListenConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    tools: ToolsConfig = field(default_factory=ToolsConfig)
    memory: MemoryConfig = field(default_factory=MemoryConfig)

    @property
    def cache_dir(self) -> Path:
        if self.models.cache_dir:
            return Path(self.models.cache_dir).expanduser()
        env = os.environ.get("ASSISTANT_CACHE_DIR")
        return Path(env) if env else Path(platformdirs.user_cache_dir(APP_NAME)) / "models"

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def replace(self, section: str, **changes: Any) -> Config:
        return dataclasses.replace(self, **{section: dataclasses.replace(getattr(self, section), **changes)})


# Environment variables of the app that are not settings overrides.
NOT_SETTINGS = {"ASSISTANT_CLOUD_API_KEY", "ASSISTANT_CONFIG", "ASSISTANT_CONFIG_DIR", "ASSISTANT_CACHE_DIR",
                "ASSISTANT_DATA_DIR", "ASSISTANT_EVAL_DIR"}

SECTIONS: dict[str, type] = {f.name: f.default_factory for f in fields(Config)}  # type: ignore[misc]


def config_path() -> Path:
    """Where the settings file lives (``ASSISTANT_CONFIG`` or ``ASSISTANT_CONFIG_DIR`` override it)."""
    if explicit := os.environ.get("ASSISTANT_CONFIG"):
        return Path(explicit)
    folder = os.environ.get("ASSISTANT_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME)
    return Path(folder) / "config.toml"


def data_dir() -> Path:
    return Path(os.environ.get("ASSISTANT_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def app_folders() -> list[Path]:
    """The folders the app owns (settings, data, cache), which only the user may read.

    A settings file named by ``ASSISTANT_CONFIG`` or a cache named by ``ASSISTANT_CACHE_DIR`` may sit in a folder
    the user shares or chose for other reasons: those folders are not the app's to lock down."""
    folders = [data_dir()]
    if not os.environ.get("ASSISTANT_CONFIG"):
        folders.append(config_path().parent)
    if not os.environ.get("ASSISTANT_CACHE_DIR"):
        folders.append(Path(platformdirs.user_cache_dir(APP_NAME)))
    return folders


def secure_app_folders() -> None:
    """Create the app's folders 0700 and tighten them and the settings file when an older version left them
    readable by other accounts (the settings name models and devices; the data folder holds conversations)."""
    for folder in app_folders():
        private_dir(folder)
    private_file(config_path())


def _coerce(key: str, expected: type, value: Any, from_env: bool) -> Any:
    if from_env and isinstance(value, str) and expected is not str:
        text = value.strip()
        if expected is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ConfigError("config-invalid", f"{key} must be true or false (got {value!r})")
        try:
            return expected(text)
        except ValueError:
            raise ConfigError("config-invalid", f"{key} must be {expected.__name__} (got {value!r})") from None
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError("config-invalid", f"{key} must be {expected.__name__} (got {value!r})")
    return value


def _field_types(section_cls: type) -> dict[str, type]:
    return {f.name: {"str": str, "int": int, "float": float, "bool": bool}[f.type] for f in fields(section_cls)}


def _unknown(kind: str, name: str, known: list[str], where: str) -> ConfigError:
    hint = difflib.get_close_matches(name, known, n=1)
    suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; known: {', '.join(sorted(known))}"
    return ConfigError("config-unknown-key", f"unknown {kind} '{name}' in {where}{suggestion}")


def build_config(data: dict[str, Any], env: dict[str, str] | None = None, where: str = "settings") -> Config:
    """Validate a parsed TOML document plus ``ASSISTANT_*`` overrides into a Config."""
    merged: dict[str, dict[str, tuple[Any, bool]]] = {}
    for section, values in data.items():
        if section not in SECTIONS:
            raise _unknown("section", section, list(SECTIONS), where)
        if not isinstance(values, dict):
            raise ConfigError("config-invalid", f"[{section}] in {where} must be a table of settings")
        known = _field_types(SECTIONS[section])
        for key, value in values.items():
            if key not in known:
                raise _unknown("setting", f"{section}.{key}", [f"{section}.{k}" for k in known], where)
            merged.setdefault(section, {})[key] = (value, False)

    for name, value in (env or {}).items():
        if not name.startswith("ASSISTANT_") or name in NOT_SETTINGS:
            continue
        rest = name[len("ASSISTANT_"):].lower()
        section, _, key = rest.partition("_")
        if section not in SECTIONS:
            continue  # ASSISTANT_CONFIG, ASSISTANT_CACHE_DIR and friends are not settings
        known = _field_types(SECTIONS[section])
        if key not in known:
            raise _unknown("setting", f"{section}.{key}", [f"{section}.{k}" for k in known],
                           f"environment variable {name}")
        merged.setdefault(section, {})[key] = (value, True)

    sections = {}
    for section, cls in SECTIONS.items():
        types = _field_types(cls)
        kwargs = {
            key: _coerce(f"{section}.{key}", types[key], value, from_env)
            for key, (value, from_env) in merged.get(section, {}).items()
        }
        try:
            sections[section] = cls(**kwargs)
        except ConfigError as exc:
            raise ConfigError(exc.code, f"{exc.message} in {where}") from None
    return Config(**sections)


def load_config(path: Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Load the settings file (a missing file means defaults) and apply env overrides."""
    path = path or config_path()
    env = dict(os.environ) if env is None else env
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("config-syntax", f"{path} is not valid TOML: {exc}. Fix the line or delete "
                              "the file to go back to the defaults.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("config-unreadable", f"cannot read {path}: {exc}") from None
    return build_config(data, env, where=str(path))


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write the settings atomically (a crash mid-write never leaves a half file)."""
    path = path or config_path()
    private_dir(path.parent, tighten=path.parent in app_folders())
    tmp = path.with_suffix(".toml.tmp")
    write_private_text(tmp, config.to_toml())  # 0600 before the first byte: the rename keeps the mode
    os.replace(tmp, path)
    return path
