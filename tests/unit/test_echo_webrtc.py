"""The WebRTC AEC3 echo canceller (audio/echo_webrtc.py) in simulated rooms built from real speech, run through the
real AEC3: the assistant's voice (an LJ Speech clip) played through a 48 kHz speaker into a room (delayed,
attenuated, coloured by a reverberant tail), another speaker's clip (LibriSpeech) as the user, the real Silero
VAD listening to what comes out. No devices and no clock: the reference is fed as the speaker's callback would
(10 ms blocks, stamped with jitter), the microphone as chunks stamped on the same monotonic time line."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pytest
import soxr

from assistant.config import VadConfig
from assistant.contracts.types import AudioChunk
from audio.echo import PlaybackReference
from audio.echo_webrtc import WebRtcEchoCanceller
from audio.files import read_audio
from testkit.helpers import EVAL_DIR, echo_path

R = 16000
T0 = 1000.0  # the monotonic time the first reply sample is heard
FAR = EVAL_DIR / "ljspeech_LJ001-0001.wav"  # 9.7 s, the assistant's voice
NEAR = EVAL_DIR / "librispeech_1089-134691-0001.wav"  # 5.4 s, the user
CONVERGED_S = 1.5
SPEAKER_RATE = 48000
THRESHOLD = VadConfig().threshold
ODD_SIZES = (511, 512, 513, 160, 1000, 37, 700)


@functools.cache
def _clip(path) -> np.ndarray:
    return read_audio(path)


@dataclass
class Run:
    out: np.ndarray  # what the canceller returned
    echo: np.ndarray
    near: np.ndarray
    mic: np.ndarray
    states: list[str]  # per chunk, after processing it
    settling: list[bool]  # per chunk, after processing it
    passed: list[bool]  # per chunk: process returned the very chunk it was given
    far_s: float

    def erle_db(self, t0: float, t1: float) -> float:
        """Echo energy over [t0, t1) against what is left in the output (far end alone: no user there)."""
        s = slice(int(t0 * R), int(t1 * R))
        return float(10 * np.log10(np.sum(self.echo[s] ** 2) / max(np.sum(self.out[s] ** 2), 1e-12)))


@functools.cache
def simulate(delay_s: float = 0.03, gain_db: float = -6.0, *, near_at: float | None = None,
             sizes: tuple[int, ...] = (512,), noise_db: float = -60.0) -> Run:
    rng = np.random.default_rng(1)
    far16 = _clip(FAR)
    far48 = soxr.resample(far16, R, SPEAKER_RATE).astype(np.float32)  # what the speaker plays
    heard = soxr.resample(far48, SPEAKER_RATE, R).astype(np.float32)
    played = np.concatenate([heard, np.zeros(int(1.5 * R), np.float32)])  # and on to idle
    echo = np.convolve(played, echo_path(delay_s, gain_db))[: len(played)].astype(np.float32)
    total = len(echo)
    near = np.zeros(total, np.float32)
    if near_at is not None:  # the user, as loud as the echo, while the reply goes on
        user = _clip(NEAR)[: total - int(near_at * R)]
        gain = np.sqrt(np.mean(echo[: len(heard)] ** 2) / np.mean(_clip(NEAR) ** 2))
        near[int(near_at * R): int(near_at * R) + len(user)] = user * gain
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
    aec = WebRtcEchoCanceller(ref)
    outs, states, passed, settling = [], [], [], []
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
        chunk = AudioChunk(x, R, T0 + i / R + rng.uniform(-0.002, 0.002))
        out = aec.process(chunk)
        assert out is not None  # AEC3 never falls back to half duplex
        assert len(out.samples) == len(x) and out.t_start == chunk.t_start and out.rate == R
        states.append(aec.state)
        settling.append(aec.settling)
        passed.append(out is chunk)
        outs.append(out.samples)
        i += n
    return Run(np.concatenate(outs), echo, near, mic, states, settling, passed, len(heard) / R)


def probabilities(vad, audio: np.ndarray) -> np.ndarray:
    vad.reset()
    n = len(audio) // 512
    p = np.array([vad.speech_probability(audio[i * 512: (i + 1) * 512]) for i in range(n)])
    vad.reset()
    return p


def first_speech(p: np.ndarray, after_s: float) -> float | None:
    hits = np.flatnonzero(p[int(after_s * R / 512):] >= THRESHOLD)
    return None if len(hits) == 0 else (int(after_s * R / 512) + hits[0]) * 512 / R


# --- cancellation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("delay_s", "gain_db"), [(0.03, -6.0), (0.07, -12.0), (0.15, -20.0)])
def test_the_echo_is_removed_after_convergence(delay_s, gain_db):
    run = simulate(delay_s, gain_db)
    erle = run.erle_db(CONVERGED_S, run.far_s)
    print(f"delay {1000 * delay_s:.0f} ms, gain {gain_db:.0f} dB: ERLE {run.erle_db(0, 1):.1f} dB over the first "
          f"second, {erle:.1f} dB after {CONVERGED_S} s")
    # Measured 33.6 / 28.1 / 20.7 dB (the -60 dBFS noise floor bounds the quietest echo): 20 dB is what keeps
    # the VAD silent below, 5 dB under the weakest measured, so only -20 dB rooms are close to it.
    assert erle >= (20.0 if gain_db > -15 else 15.0)


def test_any_chunk_size_gives_the_same_cancellation():
    steady = simulate(0.03, -6.0)
    odd = simulate(0.03, -6.0, sizes=ODD_SIZES)
    assert len(odd.out) == len(steady.out)
    erle = odd.erle_db(CONVERGED_S, odd.far_s)
    print(f"chunks of {ODD_SIZES}: ERLE {erle:.1f} dB (512-sample chunks: "
          f"{steady.erle_db(CONVERGED_S, steady.far_s):.1f} dB)")
    assert erle >= 20.0


# --- what the VAD hears ------------------------------------------------------------------------------


@pytest.mark.parametrize(("delay_s", "gain_db"), [(0.03, -6.0), (0.15, -20.0)])
def test_the_vad_does_not_hear_the_assistant(vad, delay_s, gain_db):
    run = simulate(delay_s, gain_db)
    raw = probabilities(vad, run.mic)
    p = probabilities(vad, run.out)
    print(f"delay {1000 * delay_s:.0f} ms, gain {gain_db:.0f} dB: the raw microphone has {np.sum(raw >= THRESHOLD)} "
          f"speech frames, the output {np.sum(p >= THRESHOLD)} (highest probability {p.max():.2f})")
    assert np.sum(raw >= THRESHOLD) > 150  # the echo alone is plainly speech
    assert np.sum(p[int(CONVERGED_S * R / 512):] >= THRESHOLD) == 0


def test_the_user_talking_over_the_assistant_is_kept(vad):
    """The user starts at 4 s, as loud as the echo, while the reply goes on: the VAD finds the user's speech
    in the output close to where it finds it in the user's clip alone, and most of the user's voice is there."""
    near_at = 4.0
    run = simulate(0.03, -6.0, near_at=near_at)
    clean = first_speech(probabilities(vad, run.near), near_at)
    p = probabilities(vad, run.out)
    heard = first_speech(p, CONVERGED_S)
    assert clean is not None and heard is not None
    # the user's share of the output while both talk: project the output on the user's clip, at the lag where
    # they match best (the output is a frame late, and AEC3's high-pass filter shifts the phase)
    s = slice(int(near_at * R), int(run.far_s * R))
    user = run.near[s]
    lag = max(range(0, 400), key=lambda k: float(np.dot(run.out[s.start + k: s.stop + k], user)))
    out = run.out[s.start + lag: s.stop + lag]
    gain = float(np.dot(out, user) / np.dot(user, user))
    snr = 10 * np.log10(np.sum((gain * user) ** 2) / np.sum((out - gain * user) ** 2))
    print(f"lag {lag}; user speech found {1000 * (heard - clean):+.0f} ms from the clean clip; "
          f"{np.mean(p[int(near_at * R / 512): int(run.far_s * R / 512)] >= THRESHOLD):.0%} of the double-talk "
          f"frames are speech; the user's voice at {20 * np.log10(max(gain, 1e-6)):+.1f} dB, {snr:.1f} dB above "
          f"what else is left")
    assert clean - 0.001 <= heard <= clean + 0.15
    # Measured: found +64 ms, the voice at -3.9 dB and 1.9 dB above the rest. AEC3's suppressor takes some of the
    # user while both talk; it is deterministic here (seeded, no clock), so the floors below guard against a
    # regression, not against noise.
    assert gain > 10 ** (-6 / 20)
    assert snr >= 0.0


# --- states ------------------------------------------------------------------------------------------


def test_nothing_played_passes_the_chunks_through_untouched():
    ref = PlaybackReference()
    aec = WebRtcEchoCanceller(ref)
    noise = np.random.default_rng(0).normal(0, 0.01, 512 * 100).astype(np.float32)
    for i in range(100):
        chunk = AudioChunk(noise[i * 512: (i + 1) * 512], R, 50.0 + i * 0.032)
        assert aec.process(chunk) is chunk
        assert aec.state == "idle"
    ref.add(np.full(4800, 0.1, np.float32), 48000, 59.0)  # a reply long finished
    assert aec.process(AudioChunk(noise[:512], R, 60.0)) is not None
    assert aec.state == "idle"


def test_idle_follows_the_reply_and_a_new_reply_cancels_again():
    run = simulate(0.03, -6.0, sizes=ODD_SIZES)
    first = run.states.index("cancelling")
    assert first == 0 and not run.passed[0]
    assert run.states[-1] == "idle" and run.passed[-1]  # from 0.8 s after the reply's end


def test_a_fresh_canceller_says_it_is_settling_for_its_first_moments_only():
    run = simulate(0.03, -6.0)
    t = np.arange(len(run.settling)) * 512 / R  # the chunks' places after the reply's first sample
    settle_s = WebRtcEchoCanceller(PlaybackReference()).settle_s
    assert run.settling[0] and all(run.settling[i] == (t[i] < settle_s) for i in range(len(t)))
    assert not any(s for s, state in zip(run.settling, run.states, strict=True) if state == "idle")


def test_reset_and_rate_checks():
    aec = WebRtcEchoCanceller(PlaybackReference())
    aec.reset()
    assert aec.state == "idle" and not aec.settling
    with pytest.raises(ValueError):
        aec.process(AudioChunk(np.zeros(480, np.float32), 48000, 1.0))
    with pytest.raises(ValueError):
        WebRtcEchoCanceller(PlaybackReference(), rate=48000)


def test_the_apps_speaker_gets_aec3_and_a_recording_no_canceller():
    from assistant import bootstrap
    from audio.sinks import RecordingSink

    class Speaker(RecordingSink):  # a sink that keeps what it played, as the app's speaker does
        reference = PlaybackReference()

    assert isinstance(bootstrap.echo_canceller(Speaker()), WebRtcEchoCanceller)
    assert bootstrap.echo_canceller(RecordingSink()) is None  # plays into no room
