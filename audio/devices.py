"""Audio devices as the user's machine has them: listing, choosing one by name, and quick checks."""

from __future__ import annotations

import logging
import threading
import time
from typing import Literal

import numpy as np

from assistant.contracts.errors import AssistantError, AudioDeviceError
from audio.speaker import import_sounddevice

log = logging.getLogger(__name__)

Kind = Literal["input", "output"]
_WORD = {"input": "microphone", "output": "speaker"}

TEST_TONE_S = 0.3
TEST_TONE_HZ = 440.0


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


def _channels_key(kind: Kind) -> str:
    return "max_input_channels" if kind == "input" else "max_output_channels"


def _default_index(sd, kind: Kind) -> int:
    try:
        index = sd.default.device[0 if kind == "input" else 1]
    except Exception:  # PortAudio without any device of that kind
        return -1
    return -1 if index is None else int(index)


def _candidates(sd, kind: Kind) -> list[dict]:
    """The devices of ``kind``, restricted to the default host API when it has any: on Windows every device
    appears once per host API (MME, DirectSound, WASAPI...), and the default one is what PortAudio opens
    best; on Linux and macOS there is a single host API anyway."""
    key = _channels_key(kind)
    try:
        devices = [d for d in sd.query_devices() if d[key] > 0]
    except sd.PortAudioError as exc:  # the sound system is gone (shutting down, or its server died)
        raise AudioDeviceError("audio-unavailable", f"the sound system cannot list its devices ({exc}); check "
                               "that it is running, or restart the app.") from exc
    try:
        hostapi = int(sd.default.hostapi)
    except Exception:
        hostapi = -1
    preferred = [d for d in devices if d["hostapi"] == hostapi]
    return preferred or devices


def device_names(sd, kind: Kind) -> list[str]:
    return [d["name"] for d in _candidates(sd, kind)]


def _available(sd, kind: Kind) -> str:
    names = device_names(sd, kind)
    return ", ".join(repr(n) for n in names) if names else "none"


def find_device(sd, device: str | int | None, kind: Kind) -> dict:
    """The PortAudio device info (with ``index``) for ``device``: None or "" for the system default, an int or
    a digit string for an index, otherwise a name matched exactly or as a case-insensitive prefix.

    Raises AudioDeviceError naming the available devices when nothing matches."""
    word = _WORD[kind]
    key = _channels_key(kind)
    if isinstance(device, str):
        device = device.strip()
    if device is None or device == "":
        index = _default_index(sd, kind)
        if index < 0:
            raise AudioDeviceError(f"no-{kind}-device", f"no {word} found (available {kind}s: "
                                   f"{_available(sd, kind)}). Connect one, or choose one in the settings.")
        return _info(sd, index, kind)
    if isinstance(device, int) or device.isdigit():
        index = int(device)
        try:
            info = _info(sd, index, kind)
        except AudioDeviceError:
            info = None
        if info is None or info[key] <= 0:
            raise AudioDeviceError(f"{kind}-device-not-found", f"there is no {word} number {index} (available "
                                   f"{kind}s: {_available(sd, kind)}).")
        return info
    candidates = _candidates(sd, kind)
    exact = [d for d in candidates if d["name"] == device]
    prefix = [d for d in candidates if d["name"].lower().startswith(device.lower())]
    found = exact or prefix
    if not found:
        raise AudioDeviceError(f"{kind}-device-not-found", f"no {word} named {device!r} (available {kind}s: "
                               f"{_available(sd, kind)}). Is it plugged in? Choose one of these in the settings.")
    if len(found) > 1:
        log.info("%s %r matches %d devices; using %r", word, device, len(found), found[0]["name"])
    return dict(found[0])


def _info(sd, index: int, kind: Kind) -> dict:
    try:
        info = dict(sd.query_devices(index))
    except (ValueError, sd.PortAudioError) as exc:
        raise AudioDeviceError(f"{kind}-device-not-found", f"no {_WORD[kind]} number {index}: {exc}") from exc
    info["index"] = index
    return info


def list_devices() -> dict:
    """{"inputs": [...], "outputs": [...]}, each {"name", "index", "default"}; empty lists, not an error, when
    PortAudio is missing or cannot list its devices (the UI then shows that no device is available)."""
    try:
        sd = import_sounddevice()
        result = {}
        for kind in ("input", "output"):
            default = _default_index(sd, kind)
            result[f"{kind}s"] = [{"name": d["name"], "index": int(d["index"]), "default": int(d["index"]) == default}
                                  for d in _candidates(sd, kind)]
        return result
    except AssistantError as exc:
        log.info("no audio devices: %s", exc.message)
    except Exception as exc:  # PortAudio failing to enumerate must not break the settings page
        log.warning("cannot list audio devices: %s", exc)
    return {"inputs": [], "outputs": []}


def tone_samples(rate: int, seconds: float = TEST_TONE_S, freq: float = TEST_TONE_HZ) -> np.ndarray:
    """A sine at half scale with 10 ms fades, so the speaker does not click."""
    n = int(rate * seconds)
    tone = (0.5 * np.sin(2 * np.pi * freq * np.arange(n) / rate)).astype(np.float32)
    fade = min(n // 2, int(rate * 0.01))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        tone[:fade] *= ramp
        tone[-fade:] *= ramp[::-1]
    return tone


def play_test_tone(device: str | int | None = None, *, timeout: float = 5.0) -> None:
    """Play a 0.3 s 440 Hz tone on ``device`` at its own rate; returns once it has been played.

    Raises AudioDeviceError when the device is missing, cannot be opened, or does not play within ``timeout``."""
    sd = import_sounddevice()
    info = find_device(sd, device, "output")
    rate = int(info["default_samplerate"])
    tone = tone_samples(rate)
    pos = 0
    heard_at = 0.0  # when the tone's last sample leaves the speaker (monotonic)
    done = threading.Event()

    def callback(outdata, frames, time_info, status) -> None:  # PortAudio's thread
        nonlocal pos, heard_at
        n = min(frames, len(tone) - pos)
        outdata[:n, 0] = tone[pos: pos + n]
        outdata[n:, 0] = 0.0
        pos += n
        if pos >= len(tone):
            heard_at = time.monotonic() + n / rate + latency
            raise sd.CallbackStop  # PortAudio plays out what is buffered, then calls finished_callback

    try:
        stream = sd.OutputStream(device=info["index"], samplerate=rate, channels=1, dtype="float32",
                                 callback=callback, finished_callback=done.set)
    except (sd.PortAudioError, ValueError) as exc:
        raise AudioDeviceError("output-device-failed", f"cannot open the speaker {info['name']!r}: {exc}. "
                               "Check that it is connected and not used exclusively by another program.") from exc
    latency = float(stream.latency)
    try:
        stream.start()
        if not done.wait(TEST_TONE_S + timeout):
            raise AudioDeviceError("output-device-failed", f"the speaker {info['name']!r} did not play the test "
                                   f"tone within {timeout:.0f} s: it may be disconnected or stalled.")
        # PortAudio may call finished_callback while its buffer still plays (seen through PulseAudio):
        # return only once the last sample has been heard.
        time.sleep(min(1.0, max(0.0, heard_at - time.monotonic())))
    except sd.PortAudioError as exc:
        raise AudioDeviceError("output-device-failed", f"cannot play on the speaker {info['name']!r}: {exc}") \
            from exc
    finally:
        stream.close(ignore_errors=True)
