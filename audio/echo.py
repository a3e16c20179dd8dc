"""Acoustic echo suppression for barge-in: takes the assistant's own voice out of the microphone signal.

``PlaybackReference`` records what the speaker played on the ``time.monotonic()`` clock, resampled to 16 kHz
as it arrives. ``EchoSuppressor`` runs on the listener thread and, while something was played recently:

1. finds the bulk delay between the reference and the microphone by GCC-PHAT over the last second
   (the nominal timestamps of both sides are only good to tens of ms), re-checked periodically;
2. cancels the echo with a partitioned frequency-domain NLMS filter (overlap-save, 16 ms blocks, 128 ms tail)
   whose adaptation freezes while the user talks (the residual is not explained by the echo estimate);
3. gates what the filter leaves: a block whose residual is still explained by the echo estimate is
   attenuated to near silence, so the VAD never hears residual echo; one where the user talks passes.

While it cannot tell the user from the echo yet (no delay, not converged, the echo path changed) ``process``
returns None and the caller ignores the microphone for that chunk (half-duplex fallback).
"""

from __future__ import annotations

import collections
import logging
import math
import threading

import numpy as np
import soxr
from numpy.lib.stride_tricks import as_strided

from assistant.contracts.types import SAMPLE_RATE, AudioChunk

log = logging.getLogger(__name__)

RATE = SAMPLE_RATE  # the reference is kept at the core's rate


class PlaybackReference:
    """A thread-safe record of what the speaker played, on the monotonic clock.

    ``add`` is called from the PortAudio output callback: it only appends to a lock-free deque. The listener
    thread's reads (``segment``, ``active_until``) first fold the pending blocks into a 16 kHz ring of the
    last ``keep_s`` seconds through one streaming resampler, so block edges carry no resampling artifacts.
    Its ``quality`` is soxr's quick cubic interpolation by default: the canceller needs the reference before the
    microphone hears it, and soxr's filters hold back 8-33 ms (HQ at 44.1 kHz: 33 ms) where a low-latency
    speaker is 10 ms ahead. The adaptive filter learns the cubic's treble roll-off like any other coloration;
    what it folds down from above 8 kHz is not in the echo (the microphone band-limits it) and stays unlearnt.
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


class _MinimumTracker:
    """The minimum of a power over roughly the last ``span`` samples (the noise floor under speech, which
    pauses often enough), in four sub-windows so it follows a rising floor within ``span``."""

    def __init__(self, span: int) -> None:
        self._sub = max(1, span // 4)
        self._mins: collections.deque[float] = collections.deque(maxlen=4)
        self._cur = math.inf
        self._count = 0

    def add(self, power: float, n: int) -> None:
        self._cur = min(self._cur, power)
        self._count += n
        if self._count >= self._sub:
            self._mins.append(self._cur)
            self._cur, self._count = math.inf, 0

    @property
    def value(self) -> float:
        v = min(self._cur, min(self._mins, default=math.inf))
        return 0.0 if v == math.inf else v


class EchoSuppressor:
    """Removes the assistant's own voice (played through ``reference``) from 16 kHz microphone chunks.

    ``process(chunk)`` returns the chunk cleaned (same ``t_start``, same length), the chunk itself untouched
    when nothing was played for ``max_delay_s`` + 0.3 s (near-zero cost), or None while it cannot tell the
    user from the echo (``state == "converging"``). ``erle_db`` is the smoothed echo return loss enhancement
    of the linear filter over blocks without near-end speech. ``suppress_residual=False`` returns the linear
    canceller's output without the residual gate (diagnostics, tests).

    The echo is searched ``min_delay_s``..``max_delay_s`` after the reference's timestamps; the filter models
    ``tail_s`` of the room from just before the direct sound. One stream at a time, on one thread."""

    _PRE_S = 0.010  # the filter starts this much before the estimated direct path: room for delay jitter
    _IDLE_AFTER_S = 0.3  # beyond max_delay: the room's tail has died away
    _EST_WINDOW_S = 1.0  # microphone history correlated with the reference
    _EST_MIN_S = 0.4  # a first estimate needs this much of it
    _EST_EVERY_CONVERGING_S = 0.25
    _EST_EVERY_S = 2.0  # while cancelling: the delay drifts slowly, and the filter follows small drifts
    _ALIGN_EVERY_S = 0.5  # the fine realignment by the echo estimate, while cancelling
    _ALIGN_URGENT_S = 0.1  # when a block looked misaligned
    _EST_PEAK = 6.0  # GCC-PHAT peak over the RMS of the correlation in the search range
    _EST_CORRELATION = 0.2  # and the normalized correlation of the aligned signals at least this
    _TIMELINE_TOL_S = 0.04  # a chunk stamped further off its predecessor's end starts a new timeline
    _MU = 0.5  # NLMS step (that of the equivalent time-domain NLMS)
    _REG = 1e-2  # per-bin normalization floor, relative to the mean reference power
    _CONSTRAIN_EVERY = 2  # updates between projections of the filter onto B-tap partitions
    _CONVERGED_ERLE_DB = 10.0
    _CONFIRM_S = 0.25  # of blocks with echo measured before the filter is trusted
    _DT_COHERENCE = 0.6  # mic/echo-estimate coherence below which an unexplained residual is the user
    _USER_RATIO = 1.0  # a residual above this share of the echo estimate's energy is the user's
    _DT_HOLD_S = 0.1  # adaptation stays frozen this long after near-end speech was last detected
    _UNDO_BLOCKS = 2  # updates taken back when the user is detected (the onset blocks the detector missed)
    _DT_MAX_S = 3.0  # near-end speech this long while playing more likely means the echo path changed
    _FLOOR_MS = 10 ** (-70 / 10)  # mean-square below which a block counts as silent (-70 dBFS)
    _GAIN_FLOOR = 10 ** (-50 / 20)  # what the residual gate leaves of a residual echo
    _HANG_S = 0.15  # the gate stays open this long after the user's residual was last seen

    def __init__(self, reference: PlaybackReference, *, rate: int = SAMPLE_RATE, max_delay_s: float = 0.5,
                 min_delay_s: float = -0.1, tail_s: float = 0.128, block: int = 512,
                 suppress_residual: bool = True) -> None:
        if rate != RATE:
            raise ValueError(f"the echo suppressor runs at {RATE} Hz (got {rate})")
        if not -1.0 <= min_delay_s < max_delay_s <= 2.0:
            raise ValueError(f"need -1 <= min_delay_s < max_delay_s <= 2 (got {min_delay_s!r}, {max_delay_s!r})")
        if block < 32 or block & (block - 1):
            raise ValueError(f"block must be a power of two >= 32 (got {block!r})")
        self.reference = reference
        self.rate = rate
        self.max_delay_s = max_delay_s
        self.min_delay_s = min_delay_s
        self.suppress_residual = suppress_residual
        B = self._B = block
        self._P = max(1, round(tail_s * rate / block))
        self._K = B + 1
        self._idle_after = max_delay_s + self._IDLE_AFTER_S
        self._pre = round(self._PRE_S * rate)
        self._align_len = round(0.25 * rate)
        self._align_fft = 1 << (self._align_len + self._pre).bit_length()
        self._lo = 4 * math.floor(min_delay_s * rate / 4)  # multiples of 4: the estimator decimates by four
        self._hi = 4 * math.ceil(max_delay_s * rate / 4)
        self._hold_blocks = max(1, round(self._DT_HOLD_S * rate / B))
        self._confirm_blocks = max(4, math.ceil(self._CONFIRM_S * rate / B))
        self._a_slow = math.exp(-B / (0.25 * rate))  # ~0.25 s smoothing of the ERLE statistics
        self._a_fast = math.exp(-B / (0.1 * rate))
        self._env_decay = 10 ** (-4.0 / 10 * B / (0.016 * rate))  # echo envelope release: 4 dB per 16 ms
        freqs = np.arange(self._K) * rate / (2 * B)
        band = np.flatnonzero((freqs >= 300) & (freqs <= 3500))
        self._groups = max(1, len(band) // 8)
        self._band = slice(int(band[0]), int(band[0]) + self._groups * (len(band) // self._groups))
        self._steps = np.arange(1, B + 1, dtype=np.float32)  # for the gate's gain ramps
        self._comfort = np.random.default_rng(0).standard_normal(rate).astype(np.float32)  # 1 s, looped
        self._comfort_at = 0
        self._W = np.zeros((self._P, self._K), dtype=np.complex64)  # row p: lags p*B..(p+1)*B-1
        self._unconstrained = 0
        self._delay: int | None = None  # bulk delay in samples: mic[n] ~ ref[n - delay]
        self._hist = np.zeros(round(self._EST_WINDOW_S * rate), dtype=np.float32)
        self._yhist = np.zeros_like(self._hist)  # the echo estimates subtracted from it
        self._noise_floor = _MinimumTracker(round(1.5 * rate))
        self._noise = 0.0
        self._leak = 1.0  # residual / echo estimate energy when the user is silent (1 / linear ERLE)
        self._state = "idle"
        self._trust = False
        self.erle_db = 0.0
        self.coherence = 0.0  # of the microphone and the echo estimate (diagnostics)
        self._begin_stream()
        self._reset_statistics()

    # --- public ------------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """"idle" (nothing played recently: pass-through), "converging" (cannot tell yet: None) or
        "cancelling"."""
        return self._state

    @property
    def delay_s(self) -> float | None:
        """The bulk delay found between the reference's timestamps and the microphone's (None until found)."""
        return None if self._delay is None else self._delay / self.rate

    def reset(self) -> None:
        """Forget the room (filter, delay): the next playback converges from scratch."""
        self._W[:] = 0
        self._delay = None
        self._leak = 1.0
        self._state = "idle"
        self._begin_stream()

    def process(self, chunk: AudioChunk) -> AudioChunk | None:
        """The chunk without the assistant's voice, the chunk untouched when idle, or None (see the class)."""
        if chunk.rate != self.rate:
            raise ValueError(f"the echo suppressor takes {self.rate} Hz chunks, got {chunk.rate}")
        x = chunk.samples
        n = len(x)
        if chunk.t_start > self.reference.active_until + self._idle_after:
            if self._state != "idle":
                log.debug("echo suppressor idle (ERLE %.1f dB)", self.erle_db)
                self._state = "idle"
            if n:  # one dot product: the room's noise is known when a reply starts
                self._noise_floor.add(float(np.dot(x, x)) / n, n)
            return chunk
        if n:
            self._noise_floor.add(float(np.dot(x, x)) / n, 0)
        index = round(chunk.t_start * self.rate)
        if self._state == "idle":
            self._begin_stream()
            self._enter_converging(trust=self._delay is not None)
            self._m_next = index
        elif abs(index - self._m_next) > self._TIMELINE_TOL_S * self.rate:
            # Blocks were lost or the microphone restarted: the alignment is not known any more.
            log.debug("echo suppressor: microphone timeline jumped by %d samples", index - self._m_next)
            self._begin_stream()
            if self._state == "cancelling":
                self._enter_converging(trust=True)
            self._m_next = index
        m0 = self._m_next  # the chunk's place on a continuous timeline, free of the callbacks' jitter
        self._m_next = m0 + n
        if n == 0:
            return None if self._state == "converging" else chunk
        d = np.asarray(x, dtype=np.float32)
        self._remember(d)
        self._maybe_estimate(m0 + n)
        if self._delay is None and self._new_delay is None:
            return None
        out = self._run(d, m0)
        self._maybe_realign(m0 + n)
        if self._state == "converging":
            return None
        return AudioChunk(out, chunk.rate, chunk.t_start)

    # --- stream state ------------------------------------------------------------------------------

    def _begin_stream(self) -> None:
        """Forget the per-stream state (timeline, blocks, history); keep what was learnt about the room."""
        B, P, K = self._B, self._P, self._K
        self._m_next = 0
        self._blk: int | None = None  # the block in progress (index on the microphone grid), prepared
        self._X = np.zeros((P, K), dtype=np.complex64)  # reference spectra for the block; row p: lag block p
        self._Xpow = np.zeros((P, K), dtype=np.float32)
        self._Xe = np.zeros(P, dtype=np.float64)  # energy of the newest B samples of each window
        self._y = np.zeros(B, dtype=np.float32)
        self._d = np.zeros(B, dtype=np.float32)
        self._e = np.zeros(B, dtype=np.float32)
        self._y_prev = np.zeros(B, dtype=np.float32)
        self._e_prev = np.zeros(B, dtype=np.float32)
        self._d_prev = np.zeros(B, dtype=np.float32)
        self._y_valid = B
        self._y_ref_end = 0
        self._exact = True  # every sample of the block had its reference when its echo was estimated
        self._stack = np.zeros((3, 2 * B), dtype=np.float32)  # [0, e], [0, d], next reference window
        self._hold = 0  # blocks the adaptation stays frozen after the user was last detected
        self._undo: collections.deque[np.ndarray] = collections.deque(maxlen=self._UNDO_BLOCKS)
        self._hist[:] = 0.0
        self._yhist[:] = 0.0
        self._hist_n = 0
        self._last_align = 0
        self._suspect = False  # a block looked misaligned: realign soon
        self._last_est: int | None = None
        self._new_delay: int | None = None
        self._candidate: int | None = None
        self._gain = 1.0
        self._hang = 0
        self._env = 0.0

    def _enter_converging(self, *, trust: bool) -> None:
        """Half duplex until the filter proves itself; ``trust``: it is believed good already, so the
        double-talk detector keeps the user's voice out of its adaptation meanwhile."""
        self._state = "converging"
        self._trust = trust
        self._reset_statistics()

    def _reset_statistics(self) -> None:
        self._conf_blocks = 0
        self._sd = self._se = self._sy = 0.0
        self._fd = self._fe = 0.0
        self._dt_blocks = 0

    # --- delay estimation (GCC-PHAT on the last second) ---------------------------------------------

    def _remember(self, d: np.ndarray) -> None:
        n = min(len(d), len(self._hist))
        self._hist[:-n] = self._hist[n:]
        self._hist[-n:] = d[-n:]
        self._yhist[:-n] = self._yhist[n:]
        self._yhist[-n:] = 0.0  # _run writes the chunk's echo estimate here
        self._hist_n = min(len(self._hist), self._hist_n + len(d))

    def _maybe_realign(self, m_end: int) -> None:
        """Keep the filter on the echo to the sample. The timeline of the reference follows an underrun only
        to a millisecond or so, and a filter a few samples off cancels little: correlate the microphone with
        the echo estimate over the last 0.25 s and, if the estimate leads or lags, move the filter by that."""
        if self._state == "idle" or not self._trust or self._new_delay is not None or self._delay is None:
            return  # a filter that is not believed good yet says nothing about where the echo is
        every = self._ALIGN_URGENT_S if self._suspect else self._ALIGN_EVERY_S
        L = self._align_len
        if m_end - self._last_align < every * self.rate or self._hist_n < L:
            return
        self._last_align, self._suspect = m_end, False
        d, y = self._hist[-L:], self._yhist[-L:]
        if float(np.dot(y, y)) < self._FLOOR_MS * 100 * L:
            return
        M, nfft = self._pre // 2, self._align_fft  # +-5 ms: larger moves are the delay estimator's
        cross = np.fft.rfft(d, nfft) * np.conj(np.fft.rfft(y, nfft))
        mag = np.abs(cross)
        # whitened (PHAT, softened), so voiced speech's pitch harmonics do not make peaks of their own
        c = np.fft.irfft(cross / (mag + 1e-3 * mag.max() + 1e-20) ** 0.8, nfft)
        lags = np.concatenate([c[nfft - M:], c[: M + 1]])  # c[k] = sum d[n] y[n - k], k = -M..M
        j = int(np.argmax(lags))
        lag, best, now = j - M, float(lags[j]), float(c[0])
        if lag == 0 or best < 1.5 * max(now, 0.0) or best < self._EST_PEAK * float(np.sqrt(np.mean(c * c))):
            return
        log.debug("echo suppressor: the echo moved by %+d samples; realigning", lag)
        self._new_delay = self._delay + lag  # the echo comes lag samples later than the filter has it
        self._last_align = m_end + L  # the next look only once the window holds none of the old alignment

    def _maybe_estimate(self, m_end: int) -> None:
        every = self._EST_EVERY_CONVERGING_S if self._state == "converging" else self._EST_EVERY_S
        if self._last_est is not None and m_end - self._last_est < every * self.rate:
            return
        if self._hist_n < self._EST_MIN_S * self.rate:
            return
        self._last_est = m_end
        found = self._estimate(m_end)
        if found is None:
            return
        current = self._new_delay if self._new_delay is not None else self._delay
        if current is None:
            log.debug("echo delay %.1f ms", found / self.rate * 1000)
            self._new_delay, self._candidate = found, None
        elif abs(found - current) <= 16:  # within a millisecond: the filter follows such drift by itself
            self._candidate = None
        elif not self._trust or (self._candidate is not None and abs(found - self._candidate) <= 16):
            log.debug("echo delay %.1f -> %.1f ms", current / self.rate * 1000, found / self.rate * 1000)
            self._new_delay, self._candidate = found, None
        else:  # one estimate (it can be thrown off by the user talking) is not enough to move a good filter
            self._candidate = found

    def _estimate(self, m_end: int) -> int | None:
        """The bulk delay (samples) by GCC-PHAT at 4 kHz, or None when the peak is not clear."""
        L = self._hist_n - self._hist_n % 4
        mic = self._hist[len(self._hist) - L:]
        ref, _ = self.reference.read(m_end - L - self._hi, L + self._hi - self._lo)
        if not self._mostly_playing(ref):
            return None
        # At 4 kHz (a crude low-pass and decimation: the peak needs no more), a quarter of the work.
        mic4 = mic.reshape(-1, 4).sum(axis=1)
        ref4 = ref.reshape(-1, 4).sum(axis=1)
        nfft = 1 << (len(ref4) - 1).bit_length()
        cross = np.conj(np.fft.rfft(mic4, nfft)) * np.fft.rfft(ref4, nfft)
        mag = np.abs(cross)
        # PHAT whitening, softened (^0.8) and floored so bins with no reference energy add no noise
        weight = 1.0 / (mag + 1e-3 * mag.max() + 1e-20) ** 0.8
        band = np.arange(len(cross)) * (self.rate / 4) / nfft
        weight[(band < 100) | (band > 1900)] = 0.0
        c = np.fft.irfft(cross * weight, nfft)[: (self._hi - self._lo) // 4 + 1]
        j = int(np.argmax(c))
        if c[j] < self._EST_PEAK * (float(np.sqrt(np.mean(c * c))) + 1e-20):
            return None
        coarse = self._hi - 4 * j  # mic4[k] ~ ref4[k + (hi - delay) / 4]
        # to the sample at the full rate, around the coarse peak
        fine = [(float(np.dot(mic, ref[self._hi - lag: self._hi - lag + L])), lag)
                for lag in range(max(self._lo, coarse - 3), min(self._hi, coarse + 3) + 1)]
        best, delay = max(fine)
        aligned = ref[self._hi - delay: self._hi - delay + L]
        rho = best / (float(np.linalg.norm(mic) * np.linalg.norm(aligned)) + 1e-20)
        return delay if rho >= self._EST_CORRELATION else None

    def _mostly_playing(self, ref: np.ndarray) -> bool:
        """At least 40% of the window's 32 ms pieces hold sound: a peak found on a little sound at one edge
        is not trustworthy."""
        n = len(ref) // 512
        pieces = ref[: n * 512].reshape(n, 512)
        power = np.einsum("ij,ij->i", pieces, pieces) / 512
        return n > 0 and np.count_nonzero(power > self._FLOOR_MS * 10) >= 0.4 * n

    # --- the canceller ------------------------------------------------------------------------------

    def _run(self, d: np.ndarray, m0: int) -> np.ndarray:
        """Cancel and gate ``d`` (the microphone from grid index ``m0``) block by block."""
        B = self._B
        out = np.empty_like(d)
        ys = self._yhist[len(self._yhist) - len(d):] if len(d) <= len(self._yhist) else None
        pos, n = 0, len(d)
        while pos < n:
            k, off = divmod(m0 + pos, B)
            if k != self._blk:
                self._start_block(k)
                self._exact = off == 0  # joined mid-block: the first samples' error is not known
            r = min(n - pos, B - off)
            if off + r > self._y_valid:
                self._refresh_newest(k)
                # Still not played: these samples get an estimate that takes it as silence, so this block's
                # error says nothing about the filter.
                self._exact = self._exact and off + r <= self._y_valid
            seg = d[pos: pos + r]
            if ys is not None:
                ys[pos: pos + r] = self._y[off: off + r]
            e = seg - self._y[off: off + r]
            self._d[off: off + r] = seg
            self._e[off: off + r] = e
            out[pos: pos + r] = self._gate(e, off, r) if self.suppress_residual else e
            if off + r == B:
                self._finish_block()
            pos += r
        return out

    def _filter_delay(self) -> int:
        assert self._delay is not None
        return self._delay - self._pre

    def _start_block(self, k: int) -> None:
        """All P reference windows for block ``k`` afresh (first block, a jump, a new delay):
        ref[(k - p) * B - B - df : (k - p) * B + B - df] for p = 0..P-1."""
        B, P = self._B, self._P
        if self._new_delay is not None:
            self._apply_delay(self._new_delay)
        self._blk = k
        df = self._filter_delay()
        ref, end = self.reference.read(k * B - P * B - df, (P + 1) * B)
        win = as_strided(ref, shape=(P, 2 * B), strides=(B * ref.strides[0], ref.strides[0]))[::-1]
        self._X[:] = np.fft.rfft(win, axis=1)
        self._Xpow[:] = self._X.real ** 2 + self._X.imag ** 2
        self._Xe[:] = np.einsum("ij,ij->i", win[:, B:], win[:, B:])
        self._note_valid(k, end)
        self._estimate_echo()

    def _note_valid(self, k: int, ref_end: int) -> None:
        """How much of block ``k``'s echo estimate is exact: sample j needs the reference up to k*B + j - df."""
        self._y_ref_end = ref_end
        self._y_valid = int(min(self._B, max(0, ref_end + self._filter_delay() - k * self._B)))

    def _refresh_newest(self, k: int) -> None:
        """The reference for the rest of the block had not been played when the block began; it may be now."""
        B = self._B
        ref, end = self.reference.read(k * B - B - self._filter_delay(), 2 * B)
        if end > self._y_ref_end:
            X0 = np.fft.rfft(ref)
            self._X[0] = X0
            self._Xpow[0] = X0.real ** 2 + X0.imag ** 2
            self._Xe[0] = float(np.dot(ref[B:], ref[B:]))
            self._note_valid(k, end)
            self._estimate_echo()

    def _estimate_echo(self) -> None:
        self._y = np.fft.irfft((self._W * self._X).sum(axis=0), 2 * self._B)[self._B:]

    def _apply_delay(self, delay: int) -> None:
        """Move the bulk delay. The filter keeps its taps, so what it learnt of the room moves with the echo:
        a new delay means the echo moved (the speaker stalled, a new reply's timeline is anchored a little
        differently), not that the room changed."""
        old, self._delay, self._new_delay = self._delay, delay, None
        self._blk = None
        if old is None:
            self._W[:] = 0
        elif abs(delay - old) > 0.02 * self.rate and self._state == "cancelling":
            self._enter_converging(trust=True)

    def _finish_block(self) -> None:
        """The block just completed: double-talk decision, adaptation, statistics, state; then the next
        block's reference spectra and echo estimate. One batched FFT takes the error, the microphone and the
        next reference window: a numpy FFT call costs more than the transform itself."""
        B, k = self._B, self._blk
        assert k is not None
        stack, y = self._stack, self._y
        stack[0, B:] = self._e
        stack[1, B:] = self._d
        df = self._filter_delay() if self._new_delay is None else None
        ref_end = 0
        if df is not None:
            stack[2], ref_end = self.reference.read(k * B - df, 2 * B)  # block k+1's newest window
        ee, ed, en = (np.einsum("ij,ij->i", stack[:, B:], stack[:, B:]) / B).tolist()
        # The room's noise: the floor of the microphone and of the residual (the microphone's alone rises to
        # the echo's quietest moments during a long reply).
        self._noise_floor.add(ee, B)
        self._noise = self._noise_floor.value
        ey = float(np.dot(y, y)) / B
        F = np.fft.rfft(stack, axis=1)
        playing = float(self._Xe.sum()) > self._FLOOR_MS * B * self._P
        audible = ed > 4 * self._noise + self._FLOOR_MS  # echo (or the user) above the room's noise
        near = False
        if self._trust and playing:
            # The user talks when the residual is not explained by the echo estimate: above it outright, or
            # well above the usual residual while the microphone stops following the estimate.
            noise = 2 * self._noise
            near = ee > ey + noise or (ee > max(0.1, 4 * self._leak) * ey + noise
                                       and self._coherence(F) < self._DT_COHERENCE)
            # Speech comes in syllables, and a block the detector misses would teach the filter the user's
            # voice: stay frozen a little after the last detection.
            if near:
                if self._hold == 0 and self._undo:
                    # The onset was missed for a block or two before it was detected: NLMS learns a lot of the
                    # user's voice from one such block, so take back the updates made since just before it.
                    self._W[:] = self._undo[0]
                self._undo.clear()
                self._hold = self._hold_blocks
            elif self._hold:
                self._hold -= 1
                near = True
        exact, self._exact = self._exact, True
        if playing and audible and not near and exact:  # below the room's noise the filter would learn the noise
            if self._trust:
                self._undo.append(self._W.copy())
            self._adapt(F[0])
        if playing and audible and exact:
            self._measure(ed, ee, ey, near)
            if ee > ed and ey > 0.1 * ed:  # the estimate adds echo: it no longer lines up with it
                self._suspect = True
        self._update_state()
        self._y_prev, self._e_prev, self._e = y, self._e, self._e_prev
        self._d_prev, self._d = self._d, self._d_prev
        if df is None or self._new_delay is not None:  # a new delay: the next block starts afresh
            self._blk = None
            return
        # Block k+1: shift the spectra line by one block and put the newest window in front.
        self._X[1:] = self._X[:-1]
        self._Xpow[1:] = self._Xpow[:-1]
        self._Xe[1:] = self._Xe[:-1]
        self._X[0] = X0 = F[2]
        self._Xpow[0] = X0.real ** 2 + X0.imag ** 2
        self._Xe[0] = en * B
        self._blk = k + 1
        self._note_valid(k + 1, ref_end)
        self._estimate_echo()

    def _coherence(self, F: np.ndarray) -> float:
        """Magnitude-squared coherence of the microphone and the echo estimate over 300-3500 Hz in this block,
        averaged over groups of 8 bins (a single-bin, single-block coherence is always 1): near 1 for echo,
        even with a filter still learning; lower where the user's voice is mixed in."""
        E, D = F[0, self._band], F[1, self._band]
        Y = D - E  # the echo estimate's spectrum, free
        spectra = np.stack([D, Y, D])
        spectra *= np.stack([D, Y, Y]).conj()
        c = spectra.reshape(3, self._groups, -1).sum(axis=2)
        msc = (c[2].real ** 2 + c[2].imag ** 2) / (c[0].real * c[1].real + 1e-20)
        self.coherence = float(msc.sum()) / len(msc)
        return self.coherence

    def _measure(self, ed: float, ee: float, ey: float, near: bool) -> None:
        """ERLE and leak statistics over blocks with echo and without the user."""
        self._fd = self._a_fast * self._fd + (1 - self._a_fast) * ed
        self._fe = self._a_fast * self._fe + (1 - self._a_fast) * ee
        self._dt_blocks = self._dt_blocks + 1 if near else 0
        if near:
            return
        a = self._a_slow
        self._sd = a * self._sd + (1 - a) * ed
        self._se = a * self._se + (1 - a) * ee
        self._sy = a * self._sy + (1 - a) * ey
        self._conf_blocks += 1
        self.erle_db = 10 * math.log10((self._sd + 1e-20) / (self._se + 1e-20))
        if self._state == "cancelling" or self._conf_blocks >= self._confirm_blocks:
            self._leak = min(1.0, (self._se + 1e-20) / (self._sy + 1e-20))

    def _adapt(self, E: np.ndarray) -> None:
        B, P = self._B, self._P
        # Proportionate steps (as in Speex's MDF): partitions that hold more of the room learn faster, so a
        # sparse echo path (the direct sound, early reflections) converges several times sooner.
        Wv = self._W.view(np.float32)
        w = np.sqrt(np.einsum("ij,ij->i", Wv, Wv))
        w += 0.1 * float(w.max()) + 1e-12
        g = w * (P / float(w.sum()))
        S = g @ self._Xpow  # the step-weighted input power per bin
        S += self._REG * float(S.sum()) / self._K + P * 2 * B * 1e-6  # regularized: weak bins learn slowly
        # 2/S: |X|^2 of a 2B window holds twice the energy of the B samples the gradient sums over; with it
        # _MU is the step of the equivalent time-domain NLMS.
        G = self._X.conj()
        G *= (self._MU * 2.0 / S) * E
        G *= g[:, None]
        self._W += G
        # The constraint (each partition stays a B-tap filter: linear, not circular convolution), applied to
        # the filter every few updates rather than to every gradient: two FFT calls saved on most blocks.
        self._unconstrained += 1
        if self._unconstrained >= self._CONSTRAIN_EVERY:
            self._unconstrained = 0
            h = np.fft.irfft(self._W, 2 * B, axis=1)
            h[:, B:] = 0.0
            self._W[:] = np.fft.rfft(h, axis=1)

    def _update_state(self) -> None:
        if self._state == "cancelling":
            if self._fe > 1.5 * self._fd + 1e-12:
                # The filter adds echo instead of removing it: most likely the echo moved (the speaker
                # stalled, a device changed). Half duplex until the delay is found again and confirmed.
                log.debug("echo suppressor: the echo path changed; reconverging")
                self._enter_converging(trust=True)
                self._last_est = None
                self._suspect = True
            elif self._dt_blocks * self._B > self._DT_MAX_S * self.rate:
                log.debug("echo suppressor: near-end speech for %.1f s; assuming the echo path changed",
                          self._DT_MAX_S)
                self._enter_converging(trust=False)
        elif self._conf_blocks >= self._confirm_blocks and self.erle_db >= self._CONVERGED_ERLE_DB:
            log.debug("echo suppressor converged (ERLE %.1f dB, delay %.1f ms)", self.erle_db,
                      (self._delay or 0) / self.rate * 1000)
            self._state = "cancelling"
            self._trust = True
            self._dt_blocks = 0
        elif self._trust and self._dt_blocks * self._B > self._DT_MAX_S * self.rate:
            self._trust = False  # the old filter keeps failing: adapt on everything until it converges

    # --- the residual gate --------------------------------------------------------------------------

    def _gate(self, e: np.ndarray, off: int, r: int) -> np.ndarray:
        """Attenuate residual echo to the room's noise floor; pass the user. Decided on the last B samples."""
        B = self._B
        end = off + r
        ep, yp, dp, ec, yc, dc = (self._e_prev[end:], self._y_prev[end:], self._d_prev[end:], self._e[:end],
                                  self._y[:end], self._d[:end])
        ee = (float(np.dot(ep, ep)) + float(np.dot(ec, ec))) / B
        ey = (float(np.dot(yp, yp)) + float(np.dot(yc, yc))) / B
        ed = (float(np.dot(dp, dp)) + float(np.dot(dc, dc))) / B
        # The echo estimate's envelope, released about as fast as a room's reverberation dies away: the
        # filter models only the first tail_s of it.
        self._env = max(ey, self._env * self._env_decay ** (r / B))
        # Residual echo stays well below the echo estimate (by the filter's ERLE); the user's voice is not
        # explained by it. Nothing here tells a residual as loud as the echo estimate from an echo the filter
        # has not learnt (the coherence of either with the reference did not separate them on real speech),
        # so only a residual comparable to the estimate or above it counts as the user. A residual above the
        # microphone itself is an estimate that no longer matches the echo (its delay moved): not the user.
        threshold = max(self._USER_RATIO, 8 * self._leak) * self._env
        quiet = threshold <= self._noise  # no echo above the room's noise to hide
        user = not quiet and threshold + 2 * self._noise < ee < ed
        if user:
            self._hang = round(self._HANG_S * self.rate)  # the ends of the user's syllables
        else:
            self._hang = max(0, self._hang - r)
        target = 1.0 if (quiet or user or self._hang > 0) else self._GAIN_FLOOR
        gain, self._gain = self._gain, target
        if target == gain == 1.0:
            return e
        out = e * gain if target == gain else e * (gain + self._steps[:r] * ((target - gain) / r))  # no click
        # Comfort noise at the room's level (at least -70 dBFS) where the gate closes: the VAD then hears a
        # quiet room, as it would without an echo; after digital silence its onsets came up to 200 ms later.
        level = math.sqrt(max(self._noise, self._FLOOR_MS)) * (1.0 - min(gain, target))
        if self._comfort_at + r > len(self._comfort):
            self._comfort_at = 0
        out += self._comfort[self._comfort_at: self._comfort_at + r] * np.float32(level)
        self._comfort_at += r
        return out
