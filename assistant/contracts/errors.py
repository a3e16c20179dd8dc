"""Errors with stable codes, and the catalog of every code.

Adapters convert library exceptions into these at their boundary; stages contain them and publish
``ErrorOccurred``; the CLI prints ``error [code]: message`` and exits with the category's exit code.

``CATALOG`` lists every code the assistant raises or publishes, with its category and what it means
(docs/errors.md is the readable version). A unit test scans the source and fails on a code that is not in it,
so front-ends can match codes and categories instead of guessing from a code's prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AssistantError(Exception):
    """An error the user can act on: a stable ``code`` and a message that says what to do."""

    exit_code = 1

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(AssistantError):
    """A setting is invalid, unknown, or names something that is not installed."""

    exit_code = 3


class InputError(AssistantError):
    """The user's input (an audio file, a text) cannot be used."""

    exit_code = 4


class CaptureError(AssistantError):
    """The screen cannot be captured: no display, a refused or missing desktop portal, a failed grab."""

    exit_code = 4


class ModelError(AssistantError):
    """A model is missing, corrupt, or failed while running."""

    exit_code = 5


class NoSpeechError(InputError):
    """The audio held no speech: nothing is sent to the language model."""

    exit_code = 6

    def __init__(self, message: str = "No speech heard.") -> None:
        super().__init__("no-speech", message)


class AudioDeviceError(AssistantError):
    """A microphone or speaker is missing, busy or went away."""

    exit_code = 7


class CloudError(AssistantError):
    """The optional cloud model failed (network, key, quota)."""

    exit_code = 8


# --- the catalog --------------------------------------------------------------------------------------------


class Category(StrEnum):
    """What kind of problem a code is: front-ends group, colour or place messages by it."""

    CONFIG = "config"  # a setting, a missing package, the settings file
    INPUT = "input"  # what the user gave: an audio file, a text, an image
    AUDIO_DEVICE = "audio-device"  # a microphone or speaker
    SCREEN = "screen"  # capturing or reading the screen
    MODEL = "model"  # a local model: missing, corrupt, failing
    CLOUD = "cloud"  # the optional cloud endpoint
    HISTORY = "history"  # the conversation history store
    MEMORY = "memory"  # what the assistant remembers: facts, recall
    APP = "app"  # a state of the desktop app the user should know about (muted, still loading)
    TOOL = "tool"  # the command-line tools around the assistant (bench, output files)
    ACTION = "action"  # a tool the assistant runs: a timer, an app, an MCP server


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One stable error code: its category, what it means, and the advice in its message that only the CLI can use.

    ``cli_hint``: the part of the message (as the raiser writes it) that tells the user to run a command or pass a
    flag; front-ends that cannot act on it show the message without it (``ui_message``)."""

    code: str
    category: Category
    summary: str
    cli_hint: str = ""


_C = Category
_ENTRIES = (
    # settings and packages
    ErrorCode("config-invalid", _C.CONFIG, "A setting has a value outside its allowed range or choices."),
    ErrorCode("config-syntax", _C.CONFIG, "The settings file is not valid TOML."),
    ErrorCode("config-unknown-key", _C.CONFIG, "The settings file or the environment names a setting that does "
              "not exist."),
    ErrorCode("config-unreadable", _C.CONFIG, "The settings file cannot be read."),
    ErrorCode("library-broken", _C.CONFIG, "An installed library fails to import or run: reinstall it."),
    *(ErrorCode(f"{role}-missing-dependency", _C.CONFIG, f"The {what} backend needs a package that is not installed.")
      for role, what in (("stt", "speech recognition"), ("llm", "language model"), ("tts", "voice"),
                         ("vad", "voice activity detection"), ("vision", "vision model"), ("ocr", "text recognizer"),
                         ("cloud", "cloud"), ("wake", "wake-word"), ("echo", "echo canceller"))),
    ErrorCode("audio-backend-missing", _C.CONFIG, "The audio library (sounddevice / PortAudio) is not installed."),
    ErrorCode("bench-plot-missing-dependency", _C.TOOL, "assistant bench --plot needs matplotlib."),
    # what the user gave
    ErrorCode("audio-empty", _C.INPUT, "The audio holds no samples."),
    ErrorCode("audio-file-empty", _C.INPUT, "The audio file holds no samples."),
    ErrorCode("audio-file-invalid", _C.INPUT, "The audio file cannot be decoded."),
    ErrorCode("audio-file-missing", _C.INPUT, "The audio file does not exist."),
    ErrorCode("audio-too-long", _C.INPUT, "The audio is longer than one question may be."),
    ErrorCode("empty-question", _C.INPUT, "The question is empty."),
    ErrorCode("empty-text", _C.INPUT, "There is no text to speak."),
    ErrorCode("nothing-to-say", _C.INPUT, "The reply has nothing that can be spoken."),
    ErrorCode("question-too-long", _C.INPUT, "The question is longer than the model can take."),
    ErrorCode("image-not-found", _C.INPUT, "The image file does not exist."),
    ErrorCode("image-unreadable", _C.INPUT, "The image file cannot be decoded."),
    ErrorCode("no-speech", _C.INPUT, "The audio held no speech: nothing was sent to the language model."),
    # microphones and speakers
    ErrorCode("audio-unavailable", _C.AUDIO_DEVICE, "The audio system (PortAudio) cannot be used."),
    ErrorCode("device-unavailable", _C.AUDIO_DEVICE, "An audio device cannot be opened."),
    ErrorCode("no-input-device", _C.AUDIO_DEVICE, "No microphone was found."),
    ErrorCode("no-output-device", _C.AUDIO_DEVICE, "No usable speaker was found.",
              cli_hint=". Connect one, or write the reply to a file with --out"),
    ErrorCode("input-device-not-found", _C.AUDIO_DEVICE, "No microphone has the configured name or number."),
    ErrorCode("output-device-not-found", _C.AUDIO_DEVICE, "No speaker has the configured name or number."),
    ErrorCode("input-device-failed", _C.AUDIO_DEVICE, "The microphone failed while recording."),
    ErrorCode("input-device-lost", _C.AUDIO_DEVICE, "The microphone went away; listening resumes when it is back."),
    ErrorCode("output-device-lost", _C.AUDIO_DEVICE, "The speaker went away mid-reply; the next reply plays when "
              "it is back."),
    ErrorCode("output-device-failed", _C.AUDIO_DEVICE, "The speaker failed while playing."),
    ErrorCode("listen-failed", _C.AUDIO_DEVICE, "Listening stopped because of an unexpected failure."),
    # the screen
    ErrorCode("screen-capture-cancelled", _C.SCREEN, "The user cancelled the desktop's screenshot prompt."),
    ErrorCode("screen-capture-failed", _C.SCREEN, "Taking the screenshot failed."),
    ErrorCode("screen-capture-unavailable", _C.SCREEN, "No way to capture the screen works in this session."),
    ErrorCode("screen-no-active-window", _C.SCREEN, "There is no active window to capture."),
    ErrorCode("screen-no-display", _C.SCREEN, "There is no display to capture.",
              cli_hint=": ask about an image file instead (assistant ask --image FILE)"),
    ErrorCode("screen-no-model", _C.SCREEN, "No model can read a screen image (no vision model, no text "
              "recognizer)."),
    ErrorCode("screen-no-reader", _C.SCREEN, "Nothing is set up to read the screen."),
    ErrorCode("screen-region-empty", _C.SCREEN, "The selected region has no area."),
    ErrorCode("screen-region-offscreen", _C.SCREEN, "The selected region lies outside every screen."),
    ErrorCode("screen-target-invalid", _C.SCREEN, "The capture target is not screen, window, all or a region."),
    ErrorCode("screen-unavailable", _C.SCREEN, "Screen questions are not available here."),
    # local models
    ErrorCode("model-missing", _C.MODEL, "A model file or folder is not there."),
    ErrorCode("model-corrupt", _C.MODEL, "A model file is incomplete or damaged."),
    ErrorCode("model-download-failed", _C.MODEL, "Downloading a model failed."),
    ErrorCode("model-load-failed", _C.MODEL, "A model failed to load."),
    ErrorCode("stt-failed", _C.MODEL, "Speech recognition failed on this audio."),
    ErrorCode("llm-failed", _C.MODEL, "The language model failed while answering."),
    ErrorCode("llm-not-chat", _C.MODEL, "The language model has no chat template."),
    ErrorCode("llm-out-of-memory", _C.MODEL, "The language model ran out of memory."),
    ErrorCode("llm-timeout", _C.MODEL, "The language model took too long to answer."),
    ErrorCode("llm-unavailable", _C.MODEL, "No language model can be used."),
    ErrorCode("server-unreachable", _C.MODEL, "A local model server (Ollama, LM Studio, llama.cpp, vLLM) does not "
              "answer."),
    ErrorCode("server-model-not-found", _C.MODEL, "The local model server has no model of that name."),
    ErrorCode("server-bad-response", _C.MODEL, "What answered at the local server's address is not a chat server."),
    ErrorCode("server-error", _C.MODEL, "The local model server failed while answering."),
    ErrorCode("server-timeout", _C.MODEL, "The local model server took too long to answer."),
    ErrorCode("server-stream-broken", _C.MODEL, "The local model server's answer broke off mid-way."),
    ErrorCode("server-runaway", _C.MODEL, "The local model server kept streaming past the answer's length limit."),
    ErrorCode("tts-failed", _C.MODEL, "The voice failed to speak."),
    ErrorCode("voice-unavailable", _C.MODEL, "No voice can be used: replies are shown as text only."),
    ErrorCode("vision-failed", _C.MODEL, "The vision model failed on this image."),
    ErrorCode("vision-not-vlm", _C.MODEL, "The configured vision model does not take images."),
    ErrorCode("ocr-failed", _C.MODEL, "Reading the screen's text failed."),
    ErrorCode("ocr-load-failed", _C.MODEL, "The text recognizer failed to load."),
    ErrorCode("wake-model-incomplete", _C.MODEL, "The wake-word model lacks the files it needs beside it."),
    # the cloud
    ErrorCode("cloud-auth", _C.CLOUD, "The cloud endpoint refused the API key."),
    ErrorCode("cloud-bad-audio", _C.CLOUD, "The cloud endpoint could not use the audio."),
    ErrorCode("cloud-bad-request", _C.CLOUD, "The cloud endpoint refused the request."),
    ErrorCode("cloud-error", _C.CLOUD, "The cloud endpoint failed."),
    ErrorCode("cloud-forbidden", _C.CLOUD, "The API key may not use this model or endpoint."),
    ErrorCode("cloud-model-not-found", _C.CLOUD, "The cloud endpoint has no such model."),
    ErrorCode("cloud-rate-limited", _C.CLOUD, "The cloud endpoint's rate limit or quota was reached."),
    ErrorCode("cloud-server-error", _C.CLOUD, "The cloud endpoint had an internal error."),
    ErrorCode("cloud-stream-broken", _C.CLOUD, "The cloud reply stopped in the middle."),
    ErrorCode("cloud-timeout", _C.CLOUD, "The cloud endpoint did not answer in time."),
    ErrorCode("cloud-unreachable", _C.CLOUD, "The cloud endpoint cannot be reached."),
    # history
    ErrorCode("history-unavailable", _C.HISTORY, "The history database cannot be used; the assistant works "
              "without it."),
    # tools (assistant.tools): the toolbox, the clock, sums and units, the desktop
    ErrorCode("tool-unknown", _C.ACTION, "A tool call names a tool that does not exist (a model's mistake)."),
    ErrorCode("tool-not-allowed", _C.ACTION, "A tool that reaches the network was called under the local-only "
              "policy without the user allowing it."),
    ErrorCode("tool-arguments-invalid", _C.ACTION, "A tool call's arguments do not fit the tool's schema."),
    ErrorCode("tool-failed", _C.ACTION, "A tool failed unexpectedly while running."),
    ErrorCode("place-unknown", _C.ACTION, "No time zone is known for the place asked about."),
    ErrorCode("maths-invalid", _C.ACTION, "An arithmetic request has no answer (division by zero, not a number)."),
    ErrorCode("unit-unknown", _C.ACTION, "A unit to convert from or to is not known."),
    ErrorCode("unit-mismatch", _C.ACTION, "The two units measure different things (a weight into a length)."),
    ErrorCode("path-not-found", _C.ACTION, "A file or folder to open does not exist."),
    ErrorCode("link-invalid", _C.ACTION, "A link to open is not a web link."),
    ErrorCode("app-not-found", _C.ACTION, "No installed application has the name asked for."),
    ErrorCode("open-failed", _C.ACTION, "A link, file, folder or app could not be opened (no opener installed, "
              "or it failed)."),
    ErrorCode("clipboard-unavailable", _C.ACTION, "There is no clipboard to read or set here (no desktop session, "
              "or no clipboard tool installed)."),
    # timers, alarms and reminders (assistant.tools.timers)
    ErrorCode("timers-unavailable", _C.ACTION, "The timers file cannot be used (damaged, locked by another program, "
              "or from a newer version); it is left as it is and the assistant works without timers."),
    ErrorCode("timer-time-unclear", _C.ACTION, "The time of an alarm or reminder could not be understood."),
    ErrorCode("timer-time-passed", _C.ACTION, "The time of an alarm or reminder has already passed."),
    ErrorCode("timer-duration-invalid", _C.ACTION, "A timer's duration, or how far ahead an alarm is, is out of "
              "range."),
    ErrorCode("timer-not-found", _C.ACTION, "There is no such pending timer, alarm or reminder."),
    ErrorCode("timer-ambiguous", _C.ACTION, "Several timers, alarms or reminders fit: the user is asked which."),
    # the desktop app
    ErrorCode("assistant-closed", _C.APP, "The assistant was shut down (the app is quitting or rebuilding it)."),
    ErrorCode("mic-muted", _C.APP, "The microphone is muted from the tray."),
    ErrorCode("voice-not-ready", _C.APP, "Speech recognition is still loading or not available."),
    # command-line tools
    ErrorCode("bench-clips-missing", _C.TOOL, "assistant bench found no clips to run."),
    ErrorCode("bench-compare-invalid", _C.TOOL, "assistant bench --compare has a malformed setting."),
    ErrorCode("eval-questions-missing", _C.TOOL, "assistant eval found no question set, or no questions in it."),
    ErrorCode("eval-questions-invalid", _C.TOOL, "A line of the question set is not a valid question."),
    ErrorCode("eval-category-unknown", _C.TOOL, "assistant eval --category names a category the set does not have."),
    ErrorCode("output-folder-missing", _C.TOOL, "The folder for an output file does not exist."),
    ErrorCode("output-unwritable", _C.TOOL, "An output file cannot be written."),
    # MCP servers (the tools of servers listed in mcp.json)
    ErrorCode("mcp-config-invalid", _C.CONFIG, "mcp.json, or one server in it, cannot be used; the other servers "
              "still start."),
    ErrorCode("mcp-server-failed", _C.ACTION, "An MCP server did not start (no such command, it exited, or it did "
              "not answer in time); its tools are left out."),
    ErrorCode("mcp-server-died", _C.ACTION, "An MCP server stopped during a call; its tools are left out until the "
              "assistant restarts."),
    ErrorCode("mcp-tool-failed", _C.ACTION, "An MCP server's tool reported an error or refused the call."),
    ErrorCode("mcp-call-timeout", _C.ACTION, "An MCP server did not answer a call in time."),
    ErrorCode("mcp-call-cancelled", _C.ACTION, "An MCP tool call was stopped because the turn was interrupted."),
    # the memory
    ErrorCode("memory-unavailable", _C.MEMORY, "The memory's database cannot be used (damaged, locked, newer); the "
              "assistant answers without memory and leaves the file as it is."),
    ErrorCode("memory-off", _C.MEMORY, "Memory is switched off (memory.enabled): nothing is kept or recalled."),
    ErrorCode("fact-secret", _C.MEMORY, "A fact holds a secret (a password, card number, key): it is not kept."),
    ErrorCode("fact-empty", _C.MEMORY, "There was nothing to remember in the request."),
    ErrorCode("confirmation-needed", _C.TOOL, "A command that deletes a lot was not confirmed (add --yes)."),
    ErrorCode("fact-not-found", _C.MEMORY, "No remembered fact has that id (it may have been deleted)."),
    ErrorCode("embedding-model-missing", _C.MODEL, "The memory's embedding model or library is missing: facts and "
              "past conversations are found by their words only."),
)

CATALOG: dict[str, ErrorCode] = {entry.code: entry for entry in _ENTRIES}


def category_of(code: str) -> Category | None:
    """The category of ``code``; None for a code the catalog does not know (a newer component's)."""
    entry = CATALOG.get(code)
    return entry.category if entry is not None else None


def ui_message(code: str, message: str) -> str:
    """``message`` without the advice only the command line can follow (the code's ``cli_hint``)."""
    entry = CATALOG.get(code)
    if entry is None or not entry.cli_hint or entry.cli_hint not in message:
        return message
    text = message.replace(entry.cli_hint, "", 1).rstrip(" .:")
    return f"{text}." if text else entry.summary
