"""The settings dialog's fields, declared once: page, config key, widget kind, label, hints and limits.

``ui.settings_dialog`` builds each page's widgets, loads them from a ``Config``, reads them back for validation
(``build_config``, the same rules as the settings file) and saves them, all by walking ``FIELDS``. A setting
added here appears in the dialog and round-trips through the file; nothing else has to list it.

The texts are in English; the dialog shows them translated (context "SettingsFields"), and
``scripts/update_translations.py`` takes them from here into the translation files (``shown_texts``).
"""

from __future__ import annotations

from dataclasses import dataclass

PAGES = ("models", "audio", "voice", "listening", "hotkeys", "interface", "screen", "cloud", "tools", "memory")
KINDS = ("model", "text", "check", "choice", "number", "device", "hotkey")


@dataclass(frozen=True, slots=True)
class Field:
    """One setting the dialog edits.

    ``key``: "section.name" in ``Config``. ``kind``: the widget: "model" (a path or hub id with Browse… and
    a status line), "text", "check", "choice" (``choices``: (label, value) pairs), "number" (a spin box:
    ``minimum``..``maximum`` is its range; ``decimals=0`` saves an integer), "device" (an editable device
    list with Test), "hotkey" (with Record…). ``attrs``: the dialog attributes that hold the widgets the
    kind makes (the editor first). ``group``: where on its page the row goes, for pages with more than one
    block. ``browse``: what Browse… opens: "folder", a file filter, or "file+folder:<filter>" for a model
    that may be either; ``presets``: settings offered in its menu before the file choosers (the offline packs)."""

    key: str
    page: str
    kind: str
    label: str
    attrs: tuple[str, ...] = ()
    group: str = ""
    placeholder: str = ""
    tooltip: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    minimum: float = 0.0
    maximum: float = 0.0
    step: float = 1.0
    decimals: int = 2
    suffix: str = ""
    special: str = ""  # shown instead of the minimum ("off")
    browse: str = ""
    presets: tuple[tuple[str, str], ...] = ()  # (label, value) offered first in the Browse… menu

    def __post_init__(self) -> None:
        if self.page not in PAGES or self.kind not in KINDS or self.key.count(".") != 1:
            raise ValueError(f"bad settings field {self.key!r} ({self.page}, {self.kind})")

    @property
    def section(self) -> str:
        return self.key.split(".")[0]

    @property
    def name(self) -> str:
        return self.key.split(".")[1]

    @property
    def file_filter(self) -> str:
        """The file chooser's filter of ``browse`` ("GGUF model (*.gguf)"); "" for a folder or nothing to browse."""
        return self.browse.removeprefix("file+folder:") if self.browse not in ("", "folder") else ""


# Texts shown as they are in every language: setting values given as examples, and the languages' own names.
VERBATIM = frozenset({"en-us", "https://api.openai.com/v1", "gpt-4o-mini", "bundled", " ×", "English", "简体中文",
                      "de=de_DE-thorsten-medium zh=zh_CN-huayan-medium"})


def shown_texts(spec: Field) -> list[str]:
    """What the user reads of a field (its label, hints, choices, presets, file filter), less the VERBATIM texts:
    each is a message of the translation files."""
    texts = [spec.label, spec.placeholder, spec.tooltip, spec.suffix, spec.special, spec.file_filter,
             *(label for label, _ in spec.choices), *(label for label, _ in spec.presets)]
    return [text for text in texts if text and text not in VERBATIM]


_MODEL_PLACEHOLDER = '"bundled", a local path, or a Hugging Face id'
_OFF = "empty: off"

FIELDS: tuple[Field, ...] = (
    # Models: one row per model, with Browse… and what the setting resolves to.
    Field("stt.model", "models", "model", "Speech recognition", placeholder=_MODEL_PLACEHOLDER, browse="folder"),
    Field("llm.model", "models", "model", "Language model", placeholder=_MODEL_PLACEHOLDER,
          browse="file+folder:GGUF model (*.gguf)",
          presets=(("Offline: Qwen2.5-Coder 0.5B (fastest)", "bundled"),
                   ("Offline: Qwen2.5-Coder 1.5B (right more often, slower; its own pack)", "bundled-1.5b"))),
    Field("llm.big_model", "models", "model", "Bigger model for hard questions",
          placeholder="auto, empty (none), \"bundled-1.5b\", a local path, a server, or a Hugging Face id",
          tooltip="Arithmetic, conversions, reasoning, code, how-to and long conversations go to this model; the "
          "language model above answers the rest, sooner", browse="file+folder:GGUF model (*.gguf)",
          presets=(("Automatic: the offline 1.5B model when its pack is installed", "auto"),
                   ("Offline: Qwen2.5-Coder 1.5B (its own pack)", "bundled-1.5b"), ("None", ""))),
    Field("llm.routing", "models", "choice", "Hard questions", ("routing_combo",),
          choices=(("To the bigger model (or the cloud model, under \"auto\")", "by-difficulty"),
                   ("Answered by the language model above like the others", "off"))),
    Field("llm.runtime", "models", "choice", "Language model runtime", ("llm_runtime_combo",),
          choices=(("Automatic: CTranslate2 for a bigger GGUF on the CPU, else transformers", "auto"),
                   ("CTranslate2 (int8, CPU)", "ctranslate2"), ("transformers (GPU, any model)", "transformers"))),
    Field("tts.voice", "models", "model", "Voice (Piper)", placeholder=_MODEL_PLACEHOLDER,
          browse="ONNX model (*.onnx)"),
    Field("vad.model", "models", "model", "Voice activity detection", placeholder=_MODEL_PLACEHOLDER,
          browse="ONNX model (*.onnx)"),
    Field("vad.turn_model", "models", "model", "End of turn",
          placeholder='"bundled" (Smart Turn), a local .onnx, owner/repo:file.onnx, or empty: silence alone',
          tooltip="A model that hears from your voice whether you have finished, so a finished question is answered "
          "sooner and a pause mid-sentence waits for the rest", browse="ONNX model (*.onnx)"),
    Field("models.allow_downloads", "models", "check",
          "Allow downloads from the Hugging Face hub when a model is not on disk", ("allow_downloads",)),
    # Audio
    Field("audio.input_device", "audio", "device", "Microphone", ("input_combo", "input_test_button", "input_status")),
    Field("audio.output_device", "audio", "device", "Speaker",
          ("output_combo", "output_test_button", "output_status")),
    Field("audio.half_duplex", "audio", "check", "Half duplex: ignore the microphone while the assistant speaks "
          "(no echo without a headset)", ("half_duplex",)),
    # Voice (the Piper voice, tts.voice, is on the Models page; the Voice page shows a mirror of it)
    Field("tts.backend", "voice", "choice", "Speech engine", ("backend_combo",),
          choices=(("Piper (natural voice)", "piper"), ("eSpeak (robotic, very light)", "espeak"))),
    Field("tts.espeak_voice", "voice", "text", "eSpeak voice", ("espeak_voice_edit",), placeholder="en-us"),
    Field("tts.speaking_rate", "voice", "number", "Speaking rate", ("rate_spin",), minimum=0.5, maximum=2.0,
          step=0.05, suffix=" ×"),
    Field("stt.language", "voice", "text", "Language you speak", ("language_edit",),
          placeholder="en; a code such as zh, de, fr; or auto",
          tooltip="Another language than English (or auto: detected each time) is heard by the multilingual "
                  "recognizer and answered in the language heard"),
    Field("stt.chinese_script", "voice", "choice", "Chinese written in", ("chinese_script_combo",),
          choices=(("Simplified characters (简体)", "simplified"), ("Traditional characters (繁體)", "traditional")),
          tooltip="How Chinese that is heard is written: the recognizer writes either, so it is made one"),
    Field("tts.voices", "voice", "text", "Voices for other languages", ("language_voices_edit",),
          placeholder="de=de_DE-thorsten-medium zh=zh_CN-huayan-medium",
          tooltip="A Piper voice per language: a voice name (fetched when downloads are allowed) or a path. A "
                  "language without one is spoken by eSpeak's voice for it; English by the voice above"),
    # Listening
    Field("listen.wake_phrase", "listening", "text", "Wake phrase", ("wake_phrase_edit",),
          placeholder="one to five words, such as: hey assistant"),
    Field("listen.sensitivity", "listening", "number", "Sensitivity", ("sensitivity_spin",), maximum=1.0,
          step=0.05, tooltip="Higher accepts looser matches of the phrase: it wakes more easily, and more often by "
          "mistake"),
    Field("listen.follow_up_s", "listening", "number", "Follow-up window", ("follow_up_spin",), maximum=120.0,
          decimals=1, suffix=" s", special="off: always say the phrase",
          tooltip="After a reply, how long a next question is taken without the phrase"),
    Field("listen.wake_model", "listening", "text", "Wake-word model", ("wake_model_edit",),
          placeholder="empty: the built-in detector (speech to text hears the phrase)",
          tooltip="An openWakeWord model (.onnx, with melspectrogram.onnx and embedding_model.onnx beside it) or "
          "owner/repo:file.onnx on the Hugging Face hub: it hears the phrase in the audio itself, at almost no "
          "cost. Set the wake phrase to the model's phrase.", browse="openWakeWord model (*.onnx)"),
    Field("listen.always_listening", "listening", "check", "Always listening from the start: answer speech that starts "
          "with the wake phrase (the tray menu switches it any time)", ("always_listening",)),
    Field("ui.mute_hotkey", "listening", "hotkey", "Mute / unmute hotkey", ("mute_key_edit", "mute_record_button"),
          placeholder=_OFF),
    Field("listen.barge_in", "listening", "check",
          "Barge-in: talking over a reply stops it, and what you say is the next question", ("barge_in",)),
    Field("listen.headphones", "listening", "check",
          "I use headphones: the microphone cannot hear the speaker (no echo suppression)", ("headphones",)),
    Field("listen.debug_recordings", "listening", "check", "Keep debug recordings of everything the microphone hears",
          ("debug_recordings",)),
    # Hotkeys
    Field("ui.toggle_hotkey", "hotkeys", "hotkey", "Show / hide the launcher", ("toggle_edit", "toggle_record_button")),
    Field("ui.push_to_talk_hotkey", "hotkeys", "hotkey", "Push to talk (hold)", ("ptt_edit", "ptt_record_button"),
          placeholder=_OFF),
    Field("ui.screen_hotkey", "hotkeys", "hotkey", "Ask about the screen", ("screen_key_edit", "screen_record_button"),
          placeholder=_OFF),
    Field("ui.launcher_listens", "hotkeys", "check",
          "The launcher starts listening at once (otherwise it waits for typing)", ("launcher_listens",)),
    Field("ui.start_hidden", "hotkeys", "check", "Start hidden in the system tray", ("start_hidden",)),
    # Interface (the languages' own names are not translated: each reads its own)
    Field("ui.language", "interface", "choice", "Language", ("language_combo",),
          choices=(("The system's language", "auto"), ("English", "en"), ("简体中文", "zh_CN"))),
    Field("ui.theme", "interface", "choice", "Theme", ("theme_combo",),
          choices=(("Follow the system (light or dark)", "auto"), ("Light", "light"), ("Dark", "dark"))),
    # Screen
    Field("screen.target", "screen", "choice", "A screen question captures", ("screen_target_combo",),
          choices=(("The screen under the pointer", "screen"), ("The active window", "window"),
                   ("All screens", "all"))),
    Field("screen.vision_model", "screen", "text", "Vision model", ("vision_model_edit",),
          placeholder="empty: OCR + the language model; or e.g. HuggingFaceTB/SmolVLM-256M-Instruct or a folder"),
    Field("screen.voice_trigger", "screen", "check",
          'Questions like "what\'s on my screen?" capture the screen by themselves', ("voice_trigger",)),
    Field("screen.ocr", "screen", "check", "Read the screen's text for the language model (RapidOCR, on this computer)",
          ("screen_ocr",)),
    # Cloud and privacy
    Field("cloud.policy", "cloud", "choice", "Policy", ("policy_combo",), group="policy",
          choices=(("Local only (nothing leaves this computer)", "local"),
                   ("Auto (local first, the cloud when it is slow or missing)", "auto"),
                   ("Cloud first (the local model as fallback)", "cloud"))),
    Field("cloud.base_url", "cloud", "text", "Base URL", ("base_url_edit",), group="endpoint",
          placeholder="https://api.openai.com/v1"),
    Field("cloud.model", "cloud", "text", "Model", ("cloud_model_edit",), group="endpoint", placeholder="gpt-4o-mini"),
    Field("cloud.timeout_s", "cloud", "number", "Timeout", ("timeout_spin",), group="endpoint", minimum=1,
          maximum=600, decimals=1, suffix=" s"),
    Field("cloud.speech", "cloud", "check", "Also transcribe and speak through the endpoint's audio API",
          ("cloud_speech",), group="endpoint"),
    Field("cloud.screen_to_cloud", "cloud", "check", "Allow screen images to be sent to the cloud model (screen "
          "questions then send a picture of your screen to this endpoint)", ("screen_to_cloud",), group="endpoint"),
    Field("privacy.save_history", "cloud", "check", "Keep conversations in the history on this computer",
          ("save_history",), group="privacy"),
    # Tools (the MCP server list beside them is mcp.json, edited by ui.settings_mcp)
    Field("tools.enabled", "tools", "check", "Answer requests with tools (the clock, timers, units, apps, MCP "
          "servers)", ("tools_enabled",)),
    Field("tools.intents", "tools", "check", "Answer common requests on this computer without the language model",
          ("tools_intents",)),
    Field("tools.model_calls", "tools", "check", "Let the language model call the tools that fit a question",
          ("tools_model_calls",)),
    Field("tools.allowed", "tools", "text", "Allowed without asking", ("tools_allowed_edit",),
          placeholder="comma-separated: timers, desktop, mcp:files (* for all)",
          tooltip="Tools, families or MCP servers (mcp:<name>) that run without asking first, and that may reach "
          "the network under the local-only policy"),
    Field("tools.mcp", "tools", "check", "Start these MCP servers with the assistant", ("mcp_enabled",), group="mcp"),
    # Memory (the facts themselves are on the window's Memory page, ui.memory_panel)
    Field("memory.enabled", "memory", "check", "Remember what I tell it, and recall past conversations (off: nothing "
          "is stored or embedded)", ("memory_enabled",)),
    Field("memory.facts_in_prompt", "memory", "number", "Facts put into a question's prompt, at most",
          ("facts_in_prompt_spin",), maximum=10, decimals=0, special="none",
          tooltip="Only facts that fit the question go in; fewer keeps prompts short and answers quick"),
    Field("memory.embedding_model", "memory", "text", "Embedding model", ("embedding_model_edit",),
          placeholder="bundled", tooltip="bundled (all-MiniLM-L6-v2, offline), a local sentence-transformers "
          "folder, or a Hugging Face id"),
)


def fields_on(page: str, group: str | None = None, kind: str | None = None) -> list[Field]:
    """The fields of a page (and of one block of it, and of one kind), in the order they are shown."""
    return [f for f in FIELDS if f.page == page and group in (None, f.group) and kind in (None, f.kind)]
