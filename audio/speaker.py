"""The speaker: a PortAudio output stream that pulls queued reply audio and can be flushed at once."""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import TYPE_CHECKING

import numpy as np

from assistant.contracts.errors import AudioDeviceError
from audio.resample import resample

if TYPE_CHECKING:
    from audio.echo import PlaybackReference

log = logging.getLogger(__name__)


def import_sounddevice():
    """sounddevice, or an actionable error when PortAudio is missing."""
    try:
        import sounddevice as sd
    except OSError as exc:  # the Python package is there but the PortAudio library is not
        raise AudioDeviceError("audio-backend-missing", "PortAudio is not installed, so no microphone or "
                               "speaker can be used (Debian/Ubuntu: sudo apt-get install libportaudio2).") from exc
    return sd


class SpeakerSink:
    """Plays float32 mono blocks on an output device at the device's own rate (resampled here).

    The stream stops itself after ``IDLE_STOP_S`` of silence and is restarted by the next ``play()`` (a few
    milliseconds): a running low-latency stream costs about 9% of a core doing nothing.

    ``reference``: every block handed to PortAudio (zero padding included, so the timeline stays continuous
    while the stream runs) is recorded there with the time it is heard, for the echo suppressor."""

    IDLE_STOP_S = 2.0

    def __init__(self, device: str | int | None = None, *, reference: PlaybackReference | None = None) -> None:
        """Cheap: PortAudio is opened by ``open()`` (or the first ``play()``)."""
        self.device = device
        self.rate = 0  # the device's own rate, once open
        self._lock = threading.Lock()
        self._blocks: collections.deque[np.ndarray] = collections.deque()
        self._queued = 0
        self._until = 0.0  # when the last sample handed to PortAudio will have been heard
        self._idle_frames = 0
        self._idle_stopped = False  # the callback ended the stream; the next play() starts it again
        self._sd = None
        self._stream = None
        self.reference = reference  # public: bootstrap.echo_canceller finds it here
        self.latency = 0.0  # set before the stream starts: the callback reads it

    def open(self) -> SpeakerSink:
        """Open and start the output stream (idempotent); raises AudioDeviceError when the speaker is missing or
        cannot be opened."""
        if self._stream is not None:
            return self
        device = self.device
        sd = import_sounddevice()
        try:
            info = sd.query_devices(device, "output")
        except (ValueError, sd.PortAudioError) as exc:
            raise AudioDeviceError("no-output-device", f"no usable speaker{f' {device!r}' if device else ''}: "
                                   f"{exc}. Connect one, or write the reply to a file with --out.") from exc
        self.rate = int(info["default_samplerate"])
        self._sd = sd
        try:
            stream = sd.OutputStream(samplerate=self.rate, channels=1, dtype="float32", device=device,
                                     callback=self._callback, latency="low")
            self.latency = float(stream.latency)
            stream.start()
        except sd.PortAudioError as exc:
            raise AudioDeviceError("output-device-failed", f"cannot open the speaker {info['name']!r}: {exc}")\
                from exc
        self._stream = stream
        return self

    def _callback(self, outdata, frames, time_info, status) -> None:  # PortAudio's thread: copy only
        out = outdata[:, 0]
        filled = 0
        with self._lock:
            while filled < frames and self._blocks:
                block = self._blocks[0]
                n = min(len(block), frames - filled)
                out[filled: filled + n] = block[:n]
                filled += n
                if n == len(block):
                    self._blocks.popleft()
                else:
                    self._blocks[0] = block[n:]
            self._queued -= filled
            if filled:  # these samples reach the ear one output latency from now
                self._until = time.monotonic() + self.latency + filled / self.rate
                self._idle_frames = 0
            else:
                self._idle_frames += frames
                if self._idle_frames >= self.IDLE_STOP_S * self.rate:
                    self._idle_stopped = True  # decided under the lock: play() sees it or we saw its block
        out[filled:] = 0.0
        if self.reference is not None:  # a copy and an append: nothing here may block
            self.reference.add(out.copy(), self.rate, time.monotonic() + self.latency)
        if self._idle_stopped:
            raise self._sd.CallbackStop

    def play(self, samples: np.ndarray, sample_rate: int) -> float:
        self.open()
        block = resample(samples, sample_rate, self.rate)
        with self._lock:
            ahead = self._queued / self.rate
            self._blocks.append(block)
            self._queued += len(block)
            restart, self._idle_stopped, self._idle_frames = self._idle_stopped, False, 0
        if restart:
            try:
                self._stream.stop()  # a stream ended by its callback must be stopped before it starts again
                self._stream.start()
            except self._sd.PortAudioError as exc:
                self.flush()
                raise AudioDeviceError("output-device-failed", f"the speaker stopped working: {exc}") from exc
        return time.monotonic() + ahead + self.latency

    def flush(self) -> None:
        with self._lock:
            self._blocks.clear()
            self._queued = 0

    @property
    def playing_until(self) -> float:
        """The monotonic time at which everything queued so far will have been heard; in the past when idle.
        The core ignores the microphone until then (half duplex), so the assistant does not hear itself."""
        with self._lock:
            if self._queued > 0:
                return time.monotonic() + self._queued / self.rate + self.latency
            return self._until

    def wait_drained(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._queued > 0:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        self.flush()
        if self._stream is not None:
            self._stream.close()
