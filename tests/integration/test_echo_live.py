"""Barge-in on real (virtual) devices: the speaker plays a reply into the room the microphone hears
(testkit/pulse.py), the echo canceller (WebRTC's AEC3) takes it out again with the speaker's own record of what
it played, and the real Silero VAD listens to what is left: silence while the assistant speaks alone, the user as
soon as they talk over it."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from assistant.config import VadConfig
from assistant.contracts.types import SAMPLE_RATE
from audio.echo import PlaybackReference
from audio.echo_webrtc import WebRtcEchoCanceller
from audio.files import read_audio
from audio.microphone import MicrophoneSource
from audio.speaker import SpeakerSink
from testkit.helpers import EVAL_DIR, align, wait_until

REPLY = EVAL_DIR / "ljspeech_LJ001-0001.wav"  # 9.7 s, the assistant's voice
USER = EVAL_DIR / "librispeech_1089-134691-0001.wav"  # 5.4 s, another speaker
USER_AFTER_S = 4.5  # the user starts talking this long into the reply
THRESHOLD = VadConfig().threshold


def _vad_frames(vad, chunks: list[tuple[float, np.ndarray]]) -> list[tuple[float, float]]:
    """(time, speech probability) of each 512-sample frame of the 16 kHz ``chunks`` (time, samples), which
    follow one another."""
    vad.reset()
    audio = np.concatenate([samples for _, samples in chunks])
    t0 = chunks[0][0]
    frames = [(t0 + i / SAMPLE_RATE, vad.speech_probability(audio[i: i + 512]))
              for i in range(0, len(audio) - 511, 512)]
    vad.reset()
    return frames


@pytest.mark.timeout(120)
def test_the_assistant_does_not_hear_itself_but_hears_the_user_talk_over_it(pulse, vad):
    reply = read_audio(REPLY, SAMPLE_RATE)
    user = read_audio(USER, SAMPLE_RATE) * 0.7  # a little quieter than the assistant in the room
    ref = PlaybackReference()
    sink = SpeakerSink(reference=ref).open()  # the default output: va_sink, which the microphone hears
    mic = MicrophoneSource()
    canceller = WebRtcEchoCanceller(ref)
    player_done = threading.Event()
    times: dict[str, float] = {}

    def play_user() -> None:
        times["user_start"] = time.monotonic()
        try:
            pulse.play_into_mic(user, SAMPLE_RATE)
        finally:
            times["user_done"] = time.monotonic()
            player_done.set()

    player = threading.Thread(target=play_user, name="play-user", daemon=True)
    raw, cleaned, states = [], [], []
    mic.start()
    try:
        assert mic.wait_receiving(10), "the microphone delivered nothing within 10 s"
        t_reply = sink.play(reply, SAMPLE_RATE)  # when its first sample is heard
        deadline = time.monotonic() + len(reply) / SAMPLE_RATE + 30
        while True:
            assert time.monotonic() < deadline, "the reply never ended"
            chunk = mic.read(0.5)
            if chunk is None:
                continue
            raw.append((chunk.t_start, chunk.samples))
            out = canceller.process(chunk)
            states.append((chunk.t_start, canceller.state))
            # the caller ignores the microphone while the canceller cannot tell (None): silence for the VAD
            cleaned.append((chunk.t_start, np.zeros_like(chunk.samples) if out is None else out.samples))
            if not player.is_alive() and "user_start" not in times and chunk.t_start > t_reply + USER_AFTER_S:
                player.start()
            if player_done.is_set() and chunk.t_start > max(sink.playing_until, times["user_done"]) + 1.0:
                break
        assert wait_until(player_done.is_set, 10)
    finally:
        mic.stop()
        sink.close()
    assert sink.rate > 0 and mic.dropped_blocks == 0

    t_converged = next((t for t, s in states if s == "cancelling"), None)
    assert t_converged is not None, "the canceller never converged"
    assert t_converged < t_reply + 3.0, t_converged - t_reply
    assert states[-1][1] == "idle"

    # Where the user's voice is in the room: the clip's own first speech frame, placed by correlation.
    recorded = np.concatenate([s for _, s in raw])
    lag, _gain, _corr = align(user, recorded)
    t_user_in_room = raw[0][0] + lag / SAMPLE_RATE
    clean = _vad_frames(vad, [(t_user_in_room, user)])
    t_user_speech = next(t for t, p in clean if p >= THRESHOLD)

    heard = _vad_frames(vad, cleaned)
    mic_frames = _vad_frames(vad, raw)
    echo_only = [p for t, p in heard if t_converged <= t < t_user_in_room]
    raw_echo = [p for t, p in mic_frames if t_converged <= t < t_user_in_room]
    t_barge_in = next((t for t, p in heard if t >= t_converged and p >= THRESHOLD), None)
    found = "never found" if t_barge_in is None else f"found {1000 * (t_barge_in - t_user_speech):+.0f} ms after"
    print(f"speaker at {sink.rate} Hz ({ref.stalls} stalls followed); "
          f"converged {t_converged - t_reply:.2f} s into the reply; ERLE {canceller.erle_db:.1f} dB; echo "
          f"alone: {sum(p >= THRESHOLD for p in raw_echo)}/{len(raw_echo)} speech frames in the microphone, "
          f"{sum(p >= THRESHOLD for p in echo_only)} after the canceller (highest probability "
          f"{max(echo_only):.2f}); the user's speech starts {t_user_speech - t_reply:.2f} s into the reply, {found}")
    assert sum(p >= THRESHOLD for p in raw_echo) > 0.5 * len(raw_echo)  # the microphone does hear the reply
    assert not any(p >= THRESHOLD for p in echo_only), "the VAD took the assistant's voice for the user's"
    assert t_barge_in is not None, "the user talking over the reply was never heard"
    # Typically within 50 ms. A speaker underrun (a loaded machine) moves the echo, and while the user talks
    # the filter takes longer to prove itself again at the new place: then it can take a second or two.
    assert t_user_speech - 0.05 <= t_barge_in <= t_user_speech + len(user) / SAMPLE_RATE / 2


@pytest.mark.timeout(60)
def test_the_apps_speaker_comes_with_an_echo_canceller_that_follows_what_it_plays(pulse):
    """The composition root's speaker keeps its playback reference, so always listening on the microphone gets
    barge-in (without it the app falls back to half duplex)."""
    from assistant import bootstrap

    sink = bootstrap.adapters().audio.speaker()
    try:
        canceller = bootstrap.echo_canceller(sink)
        assert isinstance(canceller, WebRtcEchoCanceller)
        assert canceller.reference is sink.reference
        assert sink.reference.active_until == 0.0
        tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE).astype(np.float32)
        energy = float(np.sum(tone ** 2))
        reference = sink.reference
        index = round(time.monotonic() * reference.rate)  # nothing of it can be heard before it is played
        heard = [0.0]
        sink.play(tone, SAMPLE_RATE)

        def all_of_it_recorded() -> bool:
            # What the reference holds, read as it comes in: the whole tone at its level (resampled there and
            # back) once it has played. When is the callback's business: a loaded machine's speaker stalls (seen:
            # 1.8 s) and even splits the tone, and the reference follows when the samples really played.
            nonlocal index
            _, end = reference.read(index, 0)
            samples, _ = reference.read(index, max(0, end - index))
            heard[0] += float(np.sum(samples ** 2))
            index = max(index, end)
            return time.monotonic() > reference.active_until > 0 and abs(heard[0] / energy - 1.0) < 0.1

        assert wait_until(all_of_it_recorded, 20, interval=0.05), heard[0] / energy
    finally:
        sink.close()
    assert bootstrap.echo_canceller(bootstrap.adapters().audio.recorder()) is None  # a recording plays into no room
