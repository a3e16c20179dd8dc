"""Errors with stable codes.

Adapters convert library exceptions into these at their boundary; stages contain them and publish
``ErrorOccurred``; the CLI prints ``error [code]: message`` and exits with the category's exit code.
"""

from __future__ import annotations


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
