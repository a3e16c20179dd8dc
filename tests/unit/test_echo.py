"""The echo suppressor in simulated rooms built from real speech: the assistant's voice (an LJ Speech clip)
played through a 48 kHz speaker into a room, a different speaker's clip (LibriSpeech) as the user, and the
real Silero VAD listening to what comes out. No devices: the reference is fed as the speaker's callback
would (10 ms blocks, stamped with jitter), the microphone as 32 ms chunks (also stamped with jitter)."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
import pytest
import soxr

from assistant.config import VadConfig
from assistant.contracts.types import AudioChunk
from audio.echo import EchoSuppressor, PlaybackReference
from audio.files import read_audio
from testkit.helpers import EVAL_DIR

R = 16000
T0 = 1000.0  # the monotonic time the first reply sample is heard
FAR = EVAL_DIR / "ljspeech_LJ001-0001.wav"  # 9.7 s, the assistant's voice
NEAR = EVAL_DIR / "librispeech_1089-134691-0001.wav"  # 5.4 s, the user
CONVERGED_S = 1.5
SPEAKER_RATE = 48000
THRESHOLD = VadConfig().threshold


@functools.cache
def _clip(path) -> np.ndarray:
    return read_audio(path)


def _room(kind: str) -> np.ndarray:
    """The echo path at 16 kHz: a 37 ms delay with gain 0.8, or a reverberant room (direct sound at 25 ms,
    an exponentially decaying random tail with RT60 0.25 s holding as much energy as the direct sound)."""
    if kind == "delay":
        h = np.zeros(int(0.037 * R) + 1)
        h[-1] = 0.8
        return h
    rng = np.random.default_rng(0)
    d0, n = int(0.025 * R), int(0.4 * R)
    t = np.arange(n) / R
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / 0.25)
    tail[: int(0.002 * R)] = 0.0
    h = np.zeros(d0 + n)
    h[d0] = 0.5
    h[d0:] += tail * (0.5 / np.sqrt(np.sum(tail ** 2)))
    return h


@dataclass
class Run:
    out: np.ndarray  # what the suppressor returned, zeros where it returned None
    echo: np.ndarray
    near: np.ndarray
    noise: np.ndarray
    mic: np.ndarray
    states: list[str]  # per chunk, after processing it
    nones: list[bool]  # per chunk: process returned None
    passed: list[bool]  # per chunk: process returned the very chunk it was given
    cpu: np.ndarray  # per chunk: thread CPU seconds in process()
    far_s: float
    suppressor: EchoSuppressor

    def converged_at(self) -> float:
        return self.states.index("cancelling") * 512 / R

    def erle_db(self, t0: float, t1: float) -> float:
        """The true ERLE of the output over [t0, t1): echo energy over that of what is left of it."""
        s = slice(int(t0 * R), int(t1 * R))
        residual = self.out[s] - self.near[s] - self.noise[s]
        return float(10 * np.log10(np.sum(self.echo[s] ** 2) / np.sum(residual ** 2)))


@functools.cache
def simulate(room: str = "delay", *, noise_db: float | None = None, ts_offset: float = 0.0,
             near_at: float | None = None, ser_db: float = 0.0, suppress: bool = True,
             sizes: tuple[int, ...] = (512,)) -> Run:
    rng = np.random.default_rng(1)
    far16 = _clip(FAR)
    far48 = soxr.resample(far16, R, SPEAKER_RATE).astype(np.float32)  # what the speaker plays
    heard = soxr.resample(far48, SPEAKER_RATE, R).astype(np.float32)
    played = np.concatenate([heard, np.zeros(int(1.2 * R), np.float32)])  # and on to idle
    echo = np.convolve(played, _room(room))[: len(played)].astype(np.float32)
    total = len(echo)
    near = np.zeros(total, np.float32)
    if near_at is not None:  # the user, as loud as the echo (ser_db = 0) over the whole reply
        user = _clip(NEAR)[: total - int(near_at * R)]
        gain = np.sqrt(np.mean(echo[: len(heard)] ** 2) / np.mean(_clip(NEAR) ** 2)) * 10 ** (ser_db / 20)
        near[int(near_at * R): int(near_at * R) + len(user)] = user * gain
    noise = np.zeros(total, np.float32)
    if noise_db is not None:
        noise = (rng.standard_normal(total) * 10 ** (noise_db / 20)).astype(np.float32)
    mic = echo + near + noise

    ref = PlaybackReference()
    block = SPEAKER_RATE // 100
    blocks = []
    for i in range(0, len(far48) + SPEAKER_RATE, block):  # the speaker runs on with zeros after the reply
        b = np.zeros(block, np.float32)
        piece = far48[i: i + block]
        b[: len(piece)] = piece
        blocks.append((b, T0 + i / SPEAKER_RATE + rng.uniform(-0.001, 0.001)))
    sup = EchoSuppressor(ref, suppress_residual=suppress)
    outs, states, nones, passed, cpu = [], [], [], [], []
    i = j = nb = 0
    while i < total:
        n = sizes[j % len(sizes)]
        j += 1
        x = mic[i: i + n].copy()
        # the speaker's blocks reach the reference ~50 ms before the microphone's chunk is read
        while nb < len(blocks) and blocks[nb][1] < T0 + (i + n) / R + 0.05:
            b, t_heard = blocks[nb]
            ref.add(b, SPEAKER_RATE, t_heard)
            nb += 1
        chunk = AudioChunk(x, R, T0 + i / R + ts_offset + rng.uniform(-0.002, 0.002))
        t = time.thread_time()
        out = sup.process(chunk)
        cpu.append(time.thread_time() - t)
        states.append(sup.state)
        nones.append(out is None)
        passed.append(out is chunk)
        if out is not None:
            assert len(out.samples) == len(x) and out.t_start == chunk.t_start and out.rate == R
        outs.append(np.zeros(len(x), np.float32) if out is None else out.samples)
        i += n
    return Run(np.concatenate(outs), echo, near, noise, mic, states, nones, passed, np.array(cpu),
               len(heard) / R, sup)


def probabilities(vad, audio: np.ndarray) -> np.ndarray:
    vad.reset()
    n = len(audio) // 512
    p = np.array([vad.speech_probability(audio[i * 512: (i + 1) * 512]) for i in range(n)])
    vad.reset()
    return p


def first_speech(p: np.ndarray, after_s: float) -> float | None:
    hits = np.flatnonzero(p[int(after_s * R / 512):] >= THRESHOLD)
    return None if len(hits) == 0 else (int(after_s * R / 512) + hits[0]) * 512 / R


# --- the linear canceller ----------------------------------------------------------------------------


def test_a_pure_delay_is_found_and_cancelled():
    run = simulate("delay", suppress=False)
    assert run.converged_at() <= CONVERGED_S, run.converged_at()
    assert abs(run.suppressor.delay_s - 0.037) < 0.002, run.suppressor.delay_s
    erle = run.erle_db(CONVERGED_S, run.far_s)
    print(f"pure delay: converged at {run.converged_at():.2f} s, ERLE {erle:.1f} dB after {CONVERGED_S} s, "
          f"{run.erle_db(4.0, run.far_s):.1f} dB after 4 s, reported {run.suppressor.erle_db:.1f} dB")
    assert erle >= 25.0  # measured 28 dB
    assert run.erle_db(4.0, run.far_s) >= 30.0  # measured 37 dB
    assert run.suppressor.erle_db >= 20.0


def test_a_reverberant_room_with_noise_is_cancelled():
    """RT60 0.25 s with as much reverberant as direct energy, -50 dBFS noise: the 128 ms filter leaves the
    tail beyond it (-31 dB) and what a normalized LMS learns of a diffuse tail from 8 s of one voice."""
    run = simulate("reverb", noise_db=-50.0, suppress=False)
    assert run.converged_at() <= CONVERGED_S, run.converged_at()
    assert abs(run.suppressor.delay_s - 0.025) < 0.002, run.suppressor.delay_s
    erle = run.erle_db(CONVERGED_S, run.far_s)
    print(f"reverb + noise: converged at {run.converged_at():.2f} s, ERLE {erle:.1f} dB after {CONVERGED_S} s, "
          f"{run.erle_db(6.0, run.far_s):.1f} dB after 6 s, reported {run.suppressor.erle_db:.1f} dB")
    assert erle >= 12.0  # measured 14.5-16.5 dB
    assert run.erle_db(6.0, run.far_s) >= 14.0  # measured 17 dB


@pytest.mark.parametrize("offset", [0.04, -0.04])
def test_timestamps_off_by_40_ms_are_absorbed_by_the_delay_search(offset):
    run = simulate("delay", ts_offset=offset, suppress=False)
    assert run.converged_at() <= CONVERGED_S
    assert abs(run.suppressor.delay_s - (0.037 + offset)) < 0.002, run.suppressor.delay_s
    assert run.erle_db(CONVERGED_S, run.far_s) >= 25.0


def test_odd_chunk_sizes_give_the_same_cancellation():
    run = simulate("reverb", noise_db=-50.0, suppress=False, sizes=(511, 512, 513, 160, 1000, 37, 700))
    assert run.converged_at() <= CONVERGED_S
    assert run.erle_db(CONVERGED_S, run.far_s) >= 12.0


# --- what the VAD hears ------------------------------------------------------------------------------


@pytest.mark.parametrize(("room", "noise_db", "offset"), [("delay", None, 0.0), ("reverb", -50.0, 0.0),
                                                          ("delay", None, 0.04), ("reverb", -50.0, -0.04)])
def test_the_vad_never_hears_the_assistant_after_convergence(vad, room, noise_db, offset):
    run = simulate(room, noise_db=noise_db, ts_offset=offset)
    raw = probabilities(vad, run.mic)[int(CONVERGED_S * R / 512):]
    p = probabilities(vad, run.out)[int(CONVERGED_S * R / 512):]
    print(f"{room} {offset:+.2f}: the raw microphone has {np.sum(raw >= THRESHOLD)} speech frames, "
          f"the output {np.sum(p >= THRESHOLD)} (highest probability {p.max():.2f})")
    assert np.sum(raw >= THRESHOLD) > 150  # the echo alone is plainly speech
    assert np.sum(p >= THRESHOLD) == 0, np.flatnonzero(p >= THRESHOLD) * 0.032 + CONVERGED_S


@pytest.mark.parametrize(("room", "noise_db"), [("delay", None), ("reverb", -50.0)])
def test_the_user_talking_over_the_assistant_is_heard_as_soon_as_alone(vad, room, noise_db):
    """The user starts at 4 s, as loud as the echo, while the reply goes on: the VAD on the output finds the
    user's speech within ~100 ms of where it finds it in the user's clip alone (in the same room noise),
    and never before the user speaks."""
    near_at = 4.0
    run = simulate(room, noise_db=noise_db, near_at=near_at)
    clean = first_speech(probabilities(vad, run.near + run.noise), near_at)
    p = probabilities(vad, run.out)
    heard = first_speech(p, CONVERGED_S)
    assert clean is not None and heard is not None
    print(f"{room}: user speech found at {heard:.3f} s, {1000 * (heard - clean):+.0f} ms from the clean clip; "
          f"{np.mean(p[int(near_at * R / 512):] >= THRESHOLD):.0%} of the user's frames are speech")
    assert clean - 0.001 <= heard <= clean + 0.1
    assert run.nones.count(True) == run.states.index("cancelling")  # no half-duplex fallback during it


# --- states and cost ---------------------------------------------------------------------------------


def test_idle_input_comes_back_untouched():
    ref = PlaybackReference()
    sup = EchoSuppressor(ref)
    noise = np.random.default_rng(0).normal(0, 0.01, 512 * 200).astype(np.float32)
    cpu = []
    for i in range(200):
        chunk = AudioChunk(noise[i * 512: (i + 1) * 512], R, 50.0 + i * 0.032)
        t = time.thread_time()
        out = sup.process(chunk)
        cpu.append(time.thread_time() - t)
        assert out is chunk
        assert sup.state == "idle"
    print(f"idle: {1e6 * np.median(cpu):.0f} us per chunk")
    # a reply long finished is idle again
    ref.add(np.full(4800, 0.1, np.float32), 48000, 59.0)
    assert sup.process(AudioChunk(noise[:512], R, 60.0)) is not None
    assert sup.state == "idle"


def test_none_comes_only_while_converging_and_idle_follows_the_reply():
    run = simulate("reverb", noise_db=-50.0)
    assert all(none == (state == "converging") for none, state in zip(run.nones, run.states, strict=True))
    assert run.states[0] == "converging" and "cancelling" in run.states
    assert run.states[-1] == "idle" and run.passed[-1]  # from 0.8 s after the reply's end
    assert not any(run.passed[: run.states.index("cancelling")])


def test_cancelling_costs_well_under_a_millisecond_per_chunk():
    run = simulate("reverb", noise_db=-50.0)
    cancelling = run.cpu[[s == "cancelling" for s in run.states]]
    print(f"CPU per 32 ms chunk while cancelling: median {1e6 * np.median(cancelling):.0f} us, "
          f"mean {1e6 * np.mean(cancelling):.0f} us, p95 {1e6 * np.percentile(cancelling, 95):.0f} us")
    assert np.median(cancelling) < 1e-3  # measured 0.15-0.3 ms (the latter on a loaded machine)


def test_a_second_reply_starts_from_what_was_learnt():
    ref = PlaybackReference()
    sup = EchoSuppressor(ref)
    far = _clip(FAR)[: 4 * R]
    h = _room("reverb")
    rng = np.random.default_rng(2)

    def reply(t0: float) -> float:
        played = np.concatenate([far, np.zeros(2 * R, np.float32)])
        mic = np.convolve(played, h)[: len(played)].astype(np.float32)
        mic += rng.normal(0, 10 ** (-50 / 20), len(mic)).astype(np.float32)
        first = None
        for i in range(0, len(played), 512):
            ref.add(played[i: i + 512].copy(), R, t0 + i / R)
            sup.process(AudioChunk(mic[i: i + 512].copy(), R, t0 + i / R))
            if first is None and sup.state == "cancelling":
                first = i / R
        assert sup.state == "idle"
        return first

    cold, warm = reply(100.0), reply(110.0)
    print(f"cancelling after {cold:.2f} s (first reply), {warm:.2f} s (second)")
    assert warm < 0.5 < cold


# --- the reference ------------------------------------------------------------------------------------


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
