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


def close_stream_aside(stream, what: str, wait: float = 1.0) -> None:
    """Close a PortAudio stream on a helper thread. Closing one whose sound server was killed sometimes never
    returns (seen about once in five runs here, inside PortAudio's ALSA/PulseAudio path); the caller must not hang
    with it, and a new stream opens fine meanwhile. ``what``: "microphone" or "speaker", for the log."""

    def close() -> None:
        try:
            stream.close(ignore_errors=True)
        except Exception as exc:  # a stream whose server died can fail to close; it is gone either way
            log.debug("closing the %s stream failed: %s", what, exc)

    closer = threading.Thread(target=close, name=f"{what}-close", daemon=True)
    with _closers_lock:
        _closers[:] = [t for t in _closers if t.is_alive()] + [closer]
    closer.start()
    closer.join(wait)
    if closer.is_alive():
        log.warning("the %s stream did not close within %.1f s; leaving it to close in the background", what, wait)


_closers: list[threading.Thread] = []  # streams being closed aside
_closers_lock = threading.Lock()


def streams_closed(timeout: float) -> bool:
    """Wait up to ``timeout`` s for the streams being closed aside; False when one is still closing. PortAudio
    must not be re-initialized before (terminating it under a closing stream aborts the process)."""
    deadline = time.monotonic() + timeout
    with _closers_lock:
        closing = list(_closers)
    for closer in closing:
        closer.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in closing)


class SpeakerSink:
    """Plays float32 mono blocks on an output device at the device's own rate (resampled here).

    The stream stops itself after ``IDLE_STOP_S`` of silence and is restarted by the next ``play()`` (a few
    milliseconds): a running low-latency stream costs about 9% of a core doing nothing.

    ``reference``: every block handed to PortAudio (zero padding included, so the timeline stays continuous
    while the stream runs) is recorded there with the time it is heard, for the echo canceller.

    ``level``: how loud the audio being played is right now (the voice visual follows it while the assistant speaks).

    A device that goes away while audio is queued (unplugged, its sound server gone, no callback for
    ``stall_timeout_s``) makes ``play()`` and ``wait_drained()`` raise ``AudioDeviceError("output-device-lost")``
    and drops the queued audio; the next ``play()`` opens the device again, as the microphone is reopened."""

    IDLE_STOP_S = 2.0
    LEVEL_HOLD_S = 0.25  # a level older than this is from a stream that stopped calling back: nothing plays
    FIRST_CALLBACK_S = 5.0  # as for the microphone: a device silent for longer after starting is not working

    def __init__(self, device: str | int | None = None, *, reference: PlaybackReference | None = None,
                 stall_timeout_s: float = 2.0) -> None:
        """Cheap: PortAudio is opened by ``open()`` (or the first ``play()``)."""
        self.device, self.stall_timeout_s = device, stall_timeout_s
        self.rate = 0  # the device's own rate, once open
        self._name = str(device or "default")
        self._lost = False  # the stream went away: the next play() opens a new one
        self._last_callback = time.monotonic()  # or when the stream was (re)started, before its first callback
        self._called_back = False  # since the stream was (re)started
        self._finished = threading.Event()  # PortAudio ended the stream (by itself, or our idle stop)
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
        # (RMS of the last block handed to PortAudio, when): one tuple, replaced whole by PortAudio's thread and read
        # whole by the GUI's, so neither takes the lock for it.
        self._level = (0.0, 0.0)

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
        self.rate, self._name, self._sd = int(info["default_samplerate"]), info["name"], sd
        self._stream = self._open()
        return self

    def _open(self):
        sd = self._sd
        self._finished.clear()
        self._last_callback, self._called_back = time.monotonic(), False
        try:
            stream = sd.OutputStream(samplerate=self.rate, channels=1, dtype="float32", device=self.device,
                                     callback=self._callback, latency="low", finished_callback=self._finished.set)
            self.latency = float(stream.latency)
            stream.start()
        except sd.PortAudioError as exc:
            raise AudioDeviceError("output-device-failed", f"cannot open the speaker {self._name!r}: {exc}")\
                from exc
        return stream

    def _callback(self, outdata, frames, time_info, status) -> None:  # PortAudio's thread: copy only
        now = time.monotonic()
        self._last_callback, self._called_back = now, True
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
        # One dot product over a few hundred samples (microseconds): the loudness the voice visual shows.
        self._level = (float(np.sqrt(np.dot(out, out) / frames)) if filled else 0.0, now)
        if self.reference is not None:  # a copy and an append: nothing here may block
            self.reference.add(out.copy(), self.rate, time.monotonic() + self.latency)
        if self._idle_stopped:
            raise self._sd.CallbackStop

    def play(self, samples: np.ndarray, sample_rate: int) -> float:
        if self._stream is None:
            self.open()
        elif self._lost:
            self._reopen()
        else:
            self._check()
        block = resample(samples, sample_rate, self.rate)
        with self._lock:
            ahead = self._queued / self.rate
            self._blocks.append(block)
            self._queued += len(block)
            restart, self._idle_stopped, self._idle_frames = self._idle_stopped, False, 0
        if restart:
            try:
                self._stream.stop()  # a stream ended by its callback must be stopped before it starts again
                self._finished.clear()
                self._last_callback, self._called_back = time.monotonic(), False
                self._stream.start()
            except self._sd.PortAudioError as exc:
                self.flush()
                raise AudioDeviceError("output-device-failed", f"the speaker stopped working: {exc}") from exc
        return time.monotonic() + ahead + self.latency

    def flush(self) -> None:
        with self._lock:
            self._blocks.clear()
            self._queued = 0
        self._level = (0.0, 0.0)  # interrupted: the visual falls quiet now, not at the next callback

    @property
    def level(self) -> float:
        """The RMS (0..1) of the audio being played now, 0.0 when nothing plays; cheap and safe from any thread."""
        rms, at = self._level
        return rms if time.monotonic() - at < self.LEVEL_HOLD_S else 0.0

    @property
    def playing_until(self) -> float:
        """The monotonic time at which everything queued so far will have been heard; in the past when idle.
        The core ignores the microphone until then (half duplex), so the assistant does not hear itself."""
        with self._lock:
            if self._queued > 0:
                return time.monotonic() + self._queued / self.rate + self.latency
            return self._until

    def wait_drained(self, timeout: float | None = None) -> bool:
        """Wait until the queued audio has been handed to the device; raises output-device-lost when the device
        went away meanwhile."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._queued > 0:
            self._check()
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def _check(self) -> None:
        """Raise output-device-lost when audio is waiting and the stream died or stalled."""
        with self._lock:
            if self._queued == 0 or self._idle_stopped:
                return  # nothing to play, or the stream stopped itself while idle: not a loss
            stalled_s = time.monotonic() - self._last_callback
            # A stream's first callback can take a moment after it starts; a running one calls back every few ms
            limit = self.stall_timeout_s if self._called_back else max(self.stall_timeout_s, self.FIRST_CALLBACK_S)
            if self._finished.is_set() or not self._stream.active:
                reason = "its audio stream stopped (unplugged, or the sound server went away)"
            elif stalled_s > limit:
                reason = f"it took no audio for {stalled_s:.1f} s"
            else:
                return
            self._lost = True
            self._blocks.clear()
            self._queued = 0
        log.warning("the speaker %r went away: %s", self._name, reason)
        raise AudioDeviceError("output-device-lost", f"the speaker went away: {reason}; reconnect it: the next "
                               "reply plays when it is back.")

    def _reopen(self) -> None:
        """Open the device again after it was lost (on the next play): a new stream, the old one closed aside."""
        close_stream_aside(self._stream, "speaker")
        self._stream = self._open()  # raises output-device-failed while the device is still gone
        self._lost = False
        log.info("speaker %r reopened", self._name)

    def close(self) -> None:
        self.flush()
        if self._stream is None:
            return
        if self._lost:
            close_stream_aside(self._stream, "speaker")
        else:
            self._stream.close()
