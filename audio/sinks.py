"""Sinks that collect the spoken reply instead of (or beside) playing it."""

from __future__ import annotations

import threading
import time

import numpy as np

from assistant.contracts.types import AudioChunk
from audio.resample import resample


class RecordingSink:
    """Keeps every block with the moment it would start playing on a speaker that was idle.

    Blocks play back to back: a block arriving while the previous one still plays waits its turn, a
    block arriving later leaves a gap (the listener would hear one). ``realtime=True`` also makes
    ``wait_drained`` wait until the last block would have finished playing."""

    reference = None  # plays into no room: nothing for an echo canceller to take out

    def __init__(self, *, realtime: bool = False) -> None:
        self.realtime = realtime
        self._lock = threading.Lock()
        self.blocks: list[tuple[float, np.ndarray, int]] = []  # (start time, samples, rate)
        self._end = 0.0

    def play(self, samples: np.ndarray, sample_rate: int) -> float:
        with self._lock:
            start = max(time.monotonic(), self._end)
            self._end = start + len(samples) / sample_rate
            self.blocks.append((start, np.asarray(samples, dtype=np.float32), sample_rate))
            return start

    def flush(self) -> None:
        """Keep what was already heard; drop the rest."""
        now = time.monotonic()
        with self._lock:
            kept = []
            for start, samples, rate in self.blocks:
                if start >= now:
                    continue
                heard = int((now - start) * rate)
                kept.append((start, samples[:heard], rate))
            self.blocks = kept
            self._end = min(self._end, now)

    @property
    def playing_until(self) -> float:
        """When everything played so far would have been heard on a real speaker (monotonic)."""
        with self._lock:
            return self._end

    def wait_drained(self, timeout: float | None = None) -> bool:
        if not self.realtime:
            return True
        remaining = self._end - time.monotonic()
        if remaining <= 0:
            return True
        if timeout is not None and timeout < remaining:
            time.sleep(timeout)
            return False
        time.sleep(remaining)
        return True

    def audio(self, rate: int | None = None) -> tuple[np.ndarray, int]:
        """The reply as one signal (blocks back to back), at ``rate`` or the blocks' own rate."""
        if not self.blocks:
            return np.zeros(0, np.float32), rate or 22050
        out_rate = rate or self.blocks[0][2]
        return np.concatenate([resample(s, r, out_rate) for _, s, r in self.blocks]), out_rate

    def timeline(self, fed: list[AudioChunk], rate: int) -> np.ndarray:
        """Two channels on one clock: what was fed in (left) and what was played back (right)."""
        if not fed:
            return np.zeros((0, 2), np.float32)
        origin = fed[0].t_start
        end = max([c.t_start + c.duration for c in fed] +
                  [start + len(s) / r for start, s, r in self.blocks])
        out = np.zeros((int((end - origin) * rate) + 1, 2), np.float32)
        for chunk in fed:
            self._place(out[:, 0], resample(chunk.samples, chunk.rate, rate), chunk.t_start - origin, rate)
        for start, samples, block_rate in self.blocks:
            self._place(out[:, 1], resample(samples, block_rate, rate), start - origin, rate)
        return out

    @staticmethod
    def _place(channel: np.ndarray, samples: np.ndarray, offset_s: float, rate: int) -> None:
        i = round(offset_s * rate)
        n = min(len(samples), len(channel) - i)
        if n > 0:
            channel[i: i + n] = samples[:n]


class TeeSink:
    """Plays to several sinks at once (a speaker and a recording)."""

    def __init__(self, *sinks) -> None:
        self.sinks = sinks
        # What a speaker among them played, for the echo canceller (a recording plays into no room).
        self.reference = next((s.reference for s in sinks if s.reference is not None), None)

    def play(self, samples: np.ndarray, sample_rate: int) -> float:
        return min(s.play(samples, sample_rate) for s in self.sinks)

    def flush(self) -> None:
        for s in self.sinks:
            s.flush()

    def wait_drained(self, timeout: float | None = None) -> bool:
        return all(s.wait_drained(timeout) for s in self.sinks)

    @property
    def playing_until(self) -> float:
        return max(s.playing_until for s in self.sinks)

    @property
    def level(self) -> float:
        """The loudest of the sinks' ``level`` now (a sink without one, a recording, counts as silent)."""
        return max((float(getattr(s, "level", 0.0)) for s in self.sinks), default=0.0)
