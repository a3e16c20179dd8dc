"""What the speaker played, for the echo canceller (``audio.echo_webrtc``) to take out of the microphone.

``PlaybackReference`` records what the speaker played on the ``time.monotonic()`` clock, resampled to 16 kHz
as it arrives; the canceller reads it for the microphone's own stamps.
"""

from __future__ import annotations

import collections
import math
import threading

import numpy as np
import soxr

from assistant.contracts.types import SAMPLE_RATE

RATE = SAMPLE_RATE  # the reference is kept at the core's rate


class PlaybackReference:
    """A thread-safe record of what the speaker played, on the monotonic clock.

    ``add`` is called from the PortAudio output callback: it only appends to a lock-free deque. The listener
    thread's reads (``segment``, ``active_until``) first fold the pending blocks into a 16 kHz ring of the
    last ``keep_s`` seconds through one streaming resampler, so block edges carry no resampling artifacts.
    Its ``quality`` is soxr's quick cubic interpolation by default: the canceller needs the reference before the
    microphone hears it, and soxr's filters hold back 8-33 ms (HQ at 44.1 kHz: 33 ms) where a low-latency
    speaker is 10 ms ahead. The canceller's adaptive filter learns the cubic's treble roll-off like any other
    coloration; what it folds down from above 8 kHz is not in the echo (the microphone band-limits it) and stays
    unlearnt.
    A block that does not follow on from the previous one in time (the stream stopped and restarted) starts a
    new stretch; the gap between them reads as silence. Callback times jitter, so within ``jitter_s`` blocks
    count as following on, by their sample count, unless the median lateness of the last 32 steps by more
    than 4 ms (an underrun: the speaker really paused): then the stretch moves by that much (see ``_step``)."""

    def __init__(self, keep_s: float = 4.0, *, jitter_s: float = 0.05, silence_level: float = 1e-4,
                 quality: str = "QQ", max_pending: int = 4096) -> None:
        if keep_s <= 0:
            raise ValueError(f"keep_s must be positive (got {keep_s!r})")
        self.rate = RATE
        self.keep_s = keep_s
        self.stalls = 0  # times the timeline moved for a speaker stall (an underrun): diagnostics
        self._quality = quality
        self._tol = jitter_s * RATE  # a block further off than this from where it was due starts a new stretch
        self._settle = 0.004 * RATE  # a step in the blocks' median lateness beyond this moves the stretch
        self._late: collections.deque[float] = collections.deque(maxlen=32)  # the last blocks' lateness
        self._baseline = 0.0  # the median lateness followed slowly (the clocks' drift)
        self._blocks = 0
        self._silence = silence_level
        # deque.append/popleft are atomic: the real-time callback never waits on the listener.
        self._pending: collections.deque[tuple[np.ndarray, int, float]] = collections.deque(maxlen=max_pending)
        self._lock = threading.Lock()  # the reader side: ring, resampler, timeline
        self._cap = math.ceil(keep_s * RATE)
        self._ring = np.zeros(self._cap, dtype=np.float32)
        self._end: int | None = None  # grid index (round(t * RATE)) just after the newest ring sample
        self._in_next = 0.0  # grid position where the next input block is expected to start
        self._in_rate = 0
        self._stream: soxr.ResampleStream | None = None
        self._active_until = 0.0

    def add(self, samples: np.ndarray, rate: int, t_heard: float) -> None:
        """Record a block the speaker plays; ``t_heard``: when its first sample reaches the ear. The array is
        kept, not copied: pass one nobody writes to afterwards (the speaker passes a copy)."""
        self._pending.append((samples, rate, t_heard))

    @property
    def active_until(self) -> float:
        """The monotonic time the last non-silent sample played is heard; 0.0 if nothing was played."""
        with self._lock:
            self._drain()
            return self._active_until

    @property
    def end_time(self) -> float:
        """The monotonic time just after the newest sample recorded; 0.0 if none."""
        with self._lock:
            self._drain()
            return 0.0 if self._end is None else self._end / RATE

    def segment(self, t_start: float, n: int) -> np.ndarray:
        """``n`` samples at 16 kHz of what was heard from ``t_start`` on; zeros where nothing was played
        (or it is older than ``keep_s``, or not played yet)."""
        return self.read(round(t_start * RATE), n)[0]

    def read(self, index: int, n: int) -> tuple[np.ndarray, int]:
        """``segment`` on the sample grid (index = round(t * 16000)), and the grid index just after the newest
        sample known so far, so a caller can tell "silence" from "not played yet"."""
        out = np.zeros(n, dtype=np.float32)
        with self._lock:
            self._drain()
            end = self._end
            if end is None:
                return out, index
            lo, hi = max(index, end - self._cap), min(index + n, end)
            if hi > lo:
                a, b = lo % self._cap, (hi - 1) % self._cap + 1
                if a < b:
                    out[lo - index: hi - index] = self._ring[a:b]
                else:  # wraps around the ring's end
                    k = self._cap - a
                    out[lo - index: lo - index + k] = self._ring[a:]
                    out[lo - index + k: hi - index] = self._ring[:b]
        return out, end

    # --- the reader side: fold pending blocks into the ring ------------------------------------------------

    def _drain(self) -> None:
        """Fold the pending blocks in. Blocks that follow on from one another go through the resampler in one
        call (the speaker's blocks can be 2 ms each, and each call has a fixed cost)."""
        run: list[np.ndarray] = []
        while True:
            try:
                samples, rate, t_heard = self._pending.popleft()
            except IndexError:
                break
            x = np.asarray(samples, dtype=np.float32).reshape(-1)
            if len(x) == 0:
                continue
            start = t_heard * RATE
            late = start - self._in_next
            if self._end is None or rate != self._in_rate or abs(late) > self._tol:
                run = self._flush(run)
                self._restart(int(rate), round(start))
            else:
                self._late.append(late)
                self._blocks += 1
                if self._blocks % 8 == 0 and len(self._late) == self._late.maxlen:
                    shift = self._step()
                    if shift:
                        self.stalls += 1
                        run = self._flush(run)
                        self._restart(int(rate), round(self._in_next + shift), keep_baseline=True)
            run.append(x)
            self._in_next += len(x) * RATE / rate
        self._flush(run)

    def _step(self) -> float:
        """How far the timeline must move (in samples), from how late the last blocks were stamped.

        Callback times jitter by a few ms, and drift slowly from the sample count (the sound card's clock is
        not the monotonic clock, while the microphone's samples follow the same sound card): neither is a
        change in what is heard when. An underrun is: the speaker paused, and all that follows is heard that
        much later. So the timeline keeps to the sample count, the median lateness is followed slowly, and a
        step of the median away from it by more than 4 ms moves the timeline at once."""
        median = float(np.median(self._late))
        if abs(median - self._baseline) > self._settle:
            return median - self._baseline
        self._baseline += 0.05 * (median - self._baseline)
        return 0.0

    def _flush(self, run: list[np.ndarray]) -> list[np.ndarray]:
        """Resample and store ``run``, the blocks since the last flush; returns a new empty run."""
        if not run:
            return run
        x = np.concatenate(run) if len(run) > 1 else run[0]
        start = self._in_next - len(x) * RATE / self._in_rate  # where the run began on the grid
        self._write(x if self._stream is None else self._stream.resample_chunk(x))
        loud = np.abs(x[::-1]) > self._silence
        last = int(np.argmax(loud))  # from the end: the last sound in the run
        if loud[last]:
            self._active_until = max(self._active_until, (start + (len(x) - last) * RATE / self._in_rate) / RATE)
        return []

    def _restart(self, rate: int, index: int, *, keep_baseline: bool = False) -> None:
        """A new stretch at ``index``: the old resampler's tail goes in first, then silence up to it."""
        if self._stream is not None:
            self._write(self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
        if self._end is None or abs(index - self._end) >= self._cap:
            self._ring[:] = 0.0
            self._end = index
        elif index > self._end:
            self._write(np.zeros(index - self._end, dtype=np.float32))
        else:  # overlaps what is there: the newest timestamps win
            self._end = index
        self._in_rate, self._in_next = rate, float(index)
        self._stream = (soxr.ResampleStream(rate, RATE, 1, dtype="float32", quality=self._quality)
                        if rate != RATE else None)
        self._late.clear()
        if not keep_baseline:
            self._baseline = 0.0

    def _write(self, x: np.ndarray) -> None:
        n = len(x)
        if n == 0:
            return
        assert self._end is not None
        if n >= self._cap:
            x, self._end = x[-self._cap:], self._end + n - self._cap
            n = self._cap
        a = self._end % self._cap
        k = min(n, self._cap - a)
        self._ring[a: a + k] = x[:k]
        self._ring[: n - k] = x[k:]
        self._end += n
