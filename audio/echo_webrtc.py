"""Acoustic echo cancellation for barge-in with WebRTC's AEC3 (``pywebrtc-audio``): takes the assistant's own voice
out of the microphone signal.

``WebRtcEchoCanceller`` implements the ``EchoCanceller`` port and reads the speaker's
``audio.echo.PlaybackReference``. AEC3 works on 10 ms frames of microphone ("near") and speaker ("far") audio,
finds the remaining delay between them itself (up to about 0.5 s), cancels the echo with its adaptive filter and
then suppresses what is left per frequency band, holding the user's voice through double talk. Chosen over a
hand-written NLMS filter of our own after comparing both on the same room recordings and in barge-in runs: as much
echo removed, the user heard from the first word of a reply (no half-duplex stretch while converging), no
self-interruption.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from assistant.contracts.types import SAMPLE_RATE, AudioChunk
from audio.echo import PlaybackReference

log = logging.getLogger(__name__)

FRAME = SAMPLE_RATE // 100  # AEC3's 10 ms frame


class WebRtcEchoCanceller:
    """Removes the assistant's own voice (played through ``reference``) from 16 kHz microphone chunks with AEC3.

    ``process(chunk)`` returns a chunk of the same length and ``t_start``: the chunk itself, untouched, while
    nothing was played for ``idle_after_s`` (near-zero cost: one look at the reference), otherwise AEC3's output.
    It never returns None: AEC3's suppressor is conservative while its filter converges, so there is no
    half-duplex stretch. While cancelling, the output lags its stamp by one frame (10 ms) whenever the chunks are
    not whole frames (the microphone's 32 ms blocks are not): AEC3 takes whole frames, the remainder waits for
    the next chunk. Going idle drops that frame of silence, to pass chunks through exactly again.

    The reference is read for the microphone's own stamps, plus ``lead_s``. AEC3's delay estimator only finds
    echoes that come at least a few ms after the reference it was given (measured: none at 0 ms or earlier, all
    from +5 ms to +450 ms). The microphone's stamps leave out its input latency, so in a real room the echo comes
    tens of ms after its reference; a ``lead_s`` > 0 reads the reference that much ahead (where the speaker has
    already recorded it: its output latency) for stamps that come out late.

    Each playback after an idle stretch starts with a fresh AEC3 (``fresh_per_reply``, 0.3 ms): the speaker opens
    a new stream per reply, whose first blocks can come tens to hundreds of ms off their stamps, and an AEC3 that
    kept the last reply's delay let that reply's first words through (bench_listen barge-in: the assistant
    barged in on itself at the start of 7 of 8 replies), while a fresh one finds the delay within the first
    100-200 ms.

    ``settling`` is True for the first ``settle_s`` of a fresh AEC3's cancelling: in 30-minute soaks a fresh one
    let bursts of 30-190 ms of the reply's first words through, enough for the VAD to call them speech.

    ``erle_db`` (diagnostics) is the smoothed microphone-to-output energy ratio while cancelling; it counts the
    user's voice too, so it is an echo return loss enhancement only while the user is silent.
    One stream at a time, on one thread (AEC3 is not thread-safe)."""

    _TIMELINE_TOL_S = 0.04  # a chunk stamped further off its predecessor's end starts a new timeline

    def __init__(self, reference: PlaybackReference, *, rate: int = SAMPLE_RATE, lead_s: float = 0.0,
                 idle_after_s: float = 0.8, stream_delay_ms: int = 0,
                 fresh_per_reply: bool = True, settle_s: float = 0.6) -> None:
        if rate != SAMPLE_RATE:
            raise ValueError(f"the echo canceller runs at {SAMPLE_RATE} Hz (got {rate})")
        if not 0.0 <= lead_s <= 0.2:
            raise ValueError(f"lead_s must be within 0..0.2 s (got {lead_s!r})")
        from pywebrtc_audio import EchoCanceller

        self.reference = reference
        self.rate = rate
        self.lead = round(lead_s * rate)
        self.idle_after_s = idle_after_s  # the room's tail, and AEC3's delay range, have passed by then
        self.fresh_per_reply = fresh_per_reply
        self.settle_s = settle_s
        self._t_fresh: float | None = None  # stamp of the first chunk a fresh AEC3 cancelled
        self._t_last = 0.0  # stamp of the last chunk processed
        self._make = lambda: EchoCanceller(sample_rate=rate, num_channels=1, stream_delay_ms=stream_delay_ms)
        self._aec = self._make()
        self._state = "idle"
        self.erle_db = 0.0
        self._e_in = self._e_out = 0.0
        self._begin_stream(0)

    @property
    def state(self) -> str:
        """"idle" (nothing played recently: pass-through) or "cancelling"."""
        return self._state

    @property
    def settling(self) -> bool:
        """Cancelling with an AEC3 that started less than ``settle_s`` ago (see the class)."""
        return (self._state == "cancelling" and self._t_fresh is not None
                and self._t_last - self._t_fresh < self.settle_s)

    def reset(self) -> None:
        """Forget the room: the next playback converges from scratch."""
        self._aec = self._make()
        self._t_fresh = None
        self._state = "idle"
        self._begin_stream(0)

    def process(self, chunk: AudioChunk) -> AudioChunk | None:
        """The chunk without the assistant's voice, or the chunk untouched when idle (see the class)."""
        if chunk.rate != self.rate:
            raise ValueError(f"the echo canceller takes {self.rate} Hz chunks, got {chunk.rate}")
        if chunk.t_start > self.reference.active_until + self.idle_after_s:
            if self._state != "idle":
                log.debug("webrtc echo canceller idle (ERLE %.1f dB)", self.erle_db)
                self._state = "idle"
            return chunk
        x = np.asarray(chunk.samples, dtype=np.float32).reshape(-1)
        n = len(x)
        index = round(chunk.t_start * self.rate)
        self._t_last = chunk.t_start
        if self._state == "idle":
            self._state = "cancelling"
            if self.fresh_per_reply or self._t_fresh is None:
                self._aec = self._make()
                self._t_fresh = chunk.t_start
            self._begin_stream(index)
        elif abs(index - self._m_next) > self._TIMELINE_TOL_S * self.rate:
            # Blocks were lost or the microphone restarted: start the frames over at the new place (AEC3 keeps
            # what it learnt about the room, and finds a changed delay itself).
            log.debug("webrtc echo canceller: microphone timeline jumped by %d samples", index - self._m_next)
            self._begin_stream(index)
        self._m_next += n  # the chunk's place on a continuous timeline, free of the callbacks' jitter
        if n == 0:
            return chunk
        pending = np.concatenate((self._in, x)) if len(self._in) else x
        k = len(pending) // FRAME
        if k:
            near = pending[: k * FRAME]
            far = self.reference.read(self._f_next + self.lead, k * FRAME)[0]
            # One call per frame: AEC3's API is frame by frame. ~10 us of Python per frame.
            out = np.empty(k * FRAME, dtype=np.float32)
            for i in range(0, k * FRAME, FRAME):
                out[i: i + FRAME] = self._aec.process(near[i: i + FRAME], far[i: i + FRAME])
            self._f_next += k * FRAME
            self._measure(near, out)
            self._out = np.concatenate((self._out, out)) if len(self._out) else out
        self._in = pending[k * FRAME:].copy()
        if len(self._out) < n:  # a remainder is waiting: from now on the output lags by one frame
            self._out = np.concatenate((np.zeros(FRAME, dtype=np.float32), self._out))
        y, self._out = self._out[:n], self._out[n:]
        return AudioChunk(y, chunk.rate, chunk.t_start)

    def _begin_stream(self, index: int) -> None:
        self._m_next = index
        self._f_next = index  # grid index of the next frame's first sample
        self._in = np.zeros(0, dtype=np.float32)  # samples short of a whole frame
        self._out = np.zeros(0, dtype=np.float32)  # processed samples not returned yet

    def _measure(self, near: np.ndarray, out: np.ndarray) -> None:
        a = math.exp(-len(near) / (0.25 * self.rate))  # ~0.25 s smoothing
        self._e_in = a * self._e_in + float(np.dot(near, near))
        self._e_out = a * self._e_out + float(np.dot(out, out))
        if self._e_in > 1e-9:
            self.erle_db = 10 * math.log10(self._e_in / max(self._e_out, 1e-12))
