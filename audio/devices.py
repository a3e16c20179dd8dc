"""Audio devices as the user's machine has them."""

from __future__ import annotations

from assistant.errors import AssistantError
from audio.speaker import import_sounddevice


def audio_report() -> dict:
    """PortAudio's presence, its host APIs, and the default input and output devices."""
    try:
        sd = import_sounddevice()
    except AssistantError as exc:
        return {"portaudio": False, "error": exc.message, "inputs": [], "outputs": []}
    try:
        devices = sd.query_devices()
    except Exception as exc:
        return {"portaudio": True, "error": f"cannot list devices: {exc}", "inputs": [], "outputs": []}
    inputs = [d["name"] for d in devices if d["max_input_channels"] > 0]
    outputs = [d["name"] for d in devices if d["max_output_channels"] > 0]
    return {"portaudio": True, "version": sd.get_portaudio_version()[1], "inputs": inputs, "outputs": outputs,
            "error": ""}
