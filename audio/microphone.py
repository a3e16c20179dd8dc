"""The live microphone: a PortAudio input stream at the device's own rate, delivered as 16 kHz mono chunks."""

from __future__ import annotations

import logging
import math
import queue
import threading
import time

import numpy as np
import soxr

from assistant.contracts.errors import AudioDeviceError
from assistant.contracts.types import SAMPLE_RATE, AudioChunk
from audio.devices import find_device
from audio.speaker import close_stream_aside, import_sounddevice

log = logging.getLogger(__name__)

_LOST_HINT = "reconnect it; listening resumes when it is back"


class _Capture:
    """One opened stream and what its callback produces. A new one per ``start()``, so a callback still
    running on a stream being closed can never put stale audio into the next stream's queue."""

    def __init__(self, owner: MicrophoneSource, rate: int, max_blocks: int) -> None:
        self.owner = owner
        self.rate = rate
        self.q: queue.Queue[tuple[np.ndarray, float]] = queue.Queue(maxsize=max_blocks)
        self.t_started = time.monotonic()
        self.last_callback = 0.0
        self.first_block = threading.Event()
        self.finished = threading.Event()  # PortAudio stopped the stream on its own
        self.closed = False  # we closed it (stop), as opposed to losing it
        self.bad_status_run = 0  # consecutive callbacks flagged with an input error
        self.stream = None
        self.resampler = (soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
                          if rate != SAMPLE_RATE else None)

    def callback(self, indata, frames, time_info, status) -> None:
        # PortAudio's real-time thread: copy, measure, enqueue. Nothing here may block or take long.
        now = time.monotonic()
        mono = indata[:, 0].copy()
        self.last_callback = now
        if not self.first_block.is_set():
            self.first_block.set()
        self.owner.level = float(np.sqrt(np.mean(mono * mono))) if frames else 0.0
        if status.input_overflow or status.input_underflow:
            self.bad_status_run += 1
        else:
            self.bad_status_run = 0
        try:
            # The block's last sample arrived about now. PortAudio's reported input latency is not subtracted:
            # through PulseAudio it overstates the real delay (timestamps came out earlier than the sound).
            self.q.put_nowait((mono, now - frames / self.rate))
        except queue.Full:  # the reader fell behind by seconds: lose this block rather than block PortAudio
            self.owner.dropped_blocks += 1


class MicrophoneSource:
    """A microphone as an ``AudioSource``: 16 kHz mono float32 chunks, each stamped with the monotonic time
    of its first sample.

    ``device``: None or "" for the system default, a name (exact, or a case-insensitive prefix), or an index.
    The stream runs at the device's native rate and is resampled here by a streaming resampler, so block
    edges have no clicks. ``level`` is the RMS of the latest block (for a level meter polled at ~30 Hz);
    ``dropped_blocks`` counts blocks lost because the reader fell behind.

    A device that goes away mid-stream (unplugged, its sound server gone, a stall of ``stall_timeout_s``)
    makes ``read()`` raise ``AudioDeviceError("input-device-lost")``; ``start()`` may then be called again,
    and succeeds once the device is back. ``stop()`` closes the stream; it is idempotent and ``start()``
    works again after it."""

    exhausted = False  # a microphone never runs out
    realtime = True  # it delivers the sound as it is spoken
    hears_speaker = True  # in the room: the assistant's own voice comes back in

    def __init__(self, device: str | int | None = None, *, block_ms: float = 32.0, stall_timeout_s: float = 2.0,
                 first_block_timeout_s: float = 5.0, max_queued_s: float = 5.0) -> None:
        if not 1.0 <= block_ms <= 1000.0:
            raise ValueError(f"block_ms must be between 1 and 1000 (got {block_ms!r})")
        self.device = device
        self.block_ms = block_ms
        self.stall_timeout_s = stall_timeout_s
        # The first callback can come 0.2-2 s after opening; a device that sends nothing for longer is not working.
        self.first_block_timeout_s = first_block_timeout_s
        self.max_queued_s = max_queued_s
        self.name = "microphone" if device in (None, "") else f"microphone {device}"
        self.rate = 0  # the device's rate once started
        self.level = 0.0
        self.dropped_blocks = 0
        self._lock = threading.Lock()  # start/stop may come from different threads (listener, GUI)
        self._capture: _Capture | None = None
        self._lost: AudioDeviceError | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the device and start capturing. Raises AudioDeviceError (PortAudio missing, no such device,
        cannot open). Does nothing while already running."""
        with self._lock:
            if self._capture is not None:
                return
            sd = import_sounddevice()
            info = find_device(sd, self.device, "input")
            rate = int(info["default_samplerate"])
            blocksize = max(1, round(rate * self.block_ms / 1000))
            capture = _Capture(self, rate, max(2, math.ceil(self.max_queued_s * 1000 / self.block_ms)))
            stream = self._open(sd, info, capture, rate, blocksize)
            capture.stream = stream
            self._capture, self._lost = capture, None
            self.rate, self.level = rate, 0.0
            self.name = f"microphone ({info['name']})"
            log.info("microphone %r open at %d Hz, %d-frame blocks", info["name"], rate, blocksize)

    def _open(self, sd, info: dict, capture: _Capture, rate: int, blocksize: int):
        error: Exception | None = None
        # Mono first; a few devices only open with two channels (the callback keeps the first).
        for channels in (1, 2):
            if channels > info["max_input_channels"]:
                break
            stream = None
            try:
                stream = sd.InputStream(device=info["index"], samplerate=rate, channels=channels, dtype="float32",
                                        blocksize=blocksize, callback=capture.callback,
                                        finished_callback=capture.finished.set)
                capture.t_started = time.monotonic()
                stream.start()
                return stream
            except (sd.PortAudioError, ValueError) as exc:
                error = exc
                if stream is not None:
                    stream.close(ignore_errors=True)
        raise AudioDeviceError("input-device-failed", f"cannot open the microphone {info['name']!r}: {error}. "
                               "Check that it is connected, not used exclusively by another program, and that "
                               "the system allows this app to use the microphone.")

    def stop(self) -> None:
        """Close the stream; idempotent. Chunks not yet read are dropped."""
        with self._lock:  # held while closing, so a concurrent read() never queries a freed stream
            capture, self._capture = self._capture, None
            if capture is not None:
                capture.closed = True
                self._close(capture)
        self.level = 0.0

    @staticmethod
    def _close(capture: _Capture) -> None:
        """Close the stream without hanging on a sound server that went away."""
        if capture.stream is not None:
            close_stream_aside(capture.stream, "microphone")

    def wait_receiving(self, timeout: float) -> bool:
        """True once the device has delivered its first block since ``start()`` (it can take 0.2-2 s)."""
        capture = self._capture
        return capture is not None and capture.first_block.wait(timeout)

    # --- reading -----------------------------------------------------------------------------------

    def read(self, timeout: float) -> AudioChunk | None:
        """The next 16 kHz chunk, or None when none came within ``timeout``. Raises
        ``AudioDeviceError("input-device-lost")`` once the device has gone away (after the audio captured
        before that was read), until ``start()`` reopens it."""
        capture = self._capture
        if capture is None:
            if self._lost is not None:
                raise self._lost
            time.sleep(max(0.0, timeout))  # not started (or stopped): nothing will come
            return None
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            # Wait in short slices so a lost device is noticed within a fraction of a second of the watchdog.
            try:
                block, t_block = capture.q.get(timeout=min(0.25, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                if capture.closed:
                    return None
                self._check(capture)
                if time.monotonic() >= deadline:
                    return None
                continue
            chunk = self._convert(capture, block, t_block)
            if chunk is not None:
                return chunk
            if time.monotonic() >= deadline:  # the resampler kept the whole (tiny) block for now
                return None

    def _convert(self, capture: _Capture, block: np.ndarray, t_block: float) -> AudioChunk | None:
        if capture.resampler is None:
            return AudioChunk(block, SAMPLE_RATE, t_block)
        out = capture.resampler.resample_chunk(block)
        if len(out) == 0:
            return None
        # The resampler holds back delay() output samples; what comes out ends that much before the block did.
        t_end = t_block + len(block) / capture.rate - capture.resampler.delay() / SAMPLE_RATE
        return AudioChunk(np.ascontiguousarray(out, dtype=np.float32), SAMPLE_RATE, t_end - len(out) / SAMPLE_RATE)

    def _check(self, capture: _Capture) -> None:
        """Raise input-device-lost when the stream died, stalled, or keeps reporting input errors."""
        with self._lock:
            if capture.closed:  # stopped meanwhile: not a loss
                return
            now = time.monotonic()
            reason = None
            if capture.finished.is_set() or not capture.stream.active:
                reason = "its audio stream stopped (unplugged, or the sound server went away)"
            elif capture.first_block.is_set():
                if now - capture.last_callback > self.stall_timeout_s:
                    reason = f"no audio came from it for {now - capture.last_callback:.1f} s"
            elif now - capture.t_started > self.first_block_timeout_s:
                reason = f"no audio came from it within {self.first_block_timeout_s:.0f} s of opening it"
            if reason is None and capture.bad_status_run * self.block_ms / 1000 > self.stall_timeout_s:
                reason = f"it reported input errors for {capture.bad_status_run} blocks in a row"
            if reason is None:
                return
            if self._capture is capture:
                self._capture = None
            capture.closed = True
            self._close(capture)
            capture.resampler = None  # a stream stuck closing keeps its capture alive; not its resampler
            self.level = 0.0
            lost = AudioDeviceError("input-device-lost", f"the microphone went away: {reason}; {_LOST_HINT}.")
            self._lost = lost
        log.warning("%s", lost.message)
        raise lost


def measure_input_level(device: str | int | None = None, seconds: float = 1.0) -> float:
    """Record ``seconds`` from ``device`` and return its peak level in dBFS (-120.0 for digital silence).

    Raises AudioDeviceError when the microphone is missing, cannot be opened, or delivers nothing."""
    mic = MicrophoneSource(device)
    mic.start()
    try:
        wanted = int(seconds * 16000)
        got, peak = 0, 0.0
        while got < wanted:
            chunk = mic.read(0.5)  # no audio at all, a stall or a lost device raise AudioDeviceError here
            if chunk is None:
                continue
            got += len(chunk.samples)
            if len(chunk.samples):
                peak = max(peak, float(np.max(np.abs(chunk.samples))))
    finally:
        mic.stop()
    return 20 * math.log10(peak) if peak > 1e-6 else -120.0
