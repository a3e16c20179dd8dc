"""The speaker's record of what it played (audio/echo.py), which the echo canceller reads: resampled to 16 kHz as it
comes, on the monotonic clock, silence marked as nothing playing."""

from __future__ import annotations

import numpy as np
import soxr

from audio.echo import PlaybackReference


def test_the_reference_is_resampled_continuously_on_the_monotonic_clock():
    ref = PlaybackReference(keep_s=2.0)
    t = np.arange(int(1.5 * 48000)) / 48000
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for i in range(0, len(x), 480):  # 10 ms blocks; after the first, stamped a little off as callbacks are
        jitter = 0.0 if i == 0 else (0.0007 if i % 960 else -0.0007)
        ref.add(x[i: i + 480].copy(), 48000, 10.0 + i / 48000 + jitter)
    want = soxr.resample(x, 48000, 16000)
    got = ref.segment(10.2, 16000)
    assert np.max(np.abs(got - want[3200: 3200 + 16000])) < 1e-3  # no edge artifacts between blocks
    assert abs(ref.active_until - 11.5) < 1e-3
    # before the first sample and after the last: silence; a gap between stretches: silence
    assert not np.any(ref.segment(9.5, 8000)) and not np.any(ref.segment(11.6, 1000))
    ref.add(np.full(1600, 0.25, np.float32), 16000, 12.0)  # 16 kHz goes in as it is
    gap = ref.segment(11.6, 16000)
    assert np.allclose(gap[:6400], 0.0, atol=1e-3) and np.allclose(gap[6400:8000], 0.25)
    assert abs(ref.end_time - 12.1) < 1e-3
    # only the last keep_s seconds are kept
    assert not np.any(ref.segment(10.0, 1600))


def test_the_reference_marks_silence_as_not_active():
    ref = PlaybackReference()
    assert ref.active_until == 0.0 and ref.end_time == 0.0
    ref.add(np.zeros(480, np.float32), 48000, 5.0)
    assert ref.active_until == 0.0  # padding only
    block = np.zeros(480, np.float32)
    block[:240] = 0.2
    ref.add(block, 48000, 5.01)
    assert abs(ref.active_until - (5.01 + 240 / 48000)) < 1e-6
