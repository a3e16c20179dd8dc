"""Benchmark: the echo canceller (audio/echo_webrtc.py, WebRTC's AEC3) on recordings through a PulseAudio room.

Two recordings are made once, through a private PulseAudio room (testkit/pulse.py): the app's SpeakerSink, with a
PlaybackReference, plays a spoken reply (the assistant's Piper voice) into the null sink whose monitor the
microphone hears. "far": the reply alone. "room-dt": the reply with a user (an espeak voice) played into the room
over it. Every speaker block handed to the reference and every microphone chunk are logged with the wall time they
came, and the canceller is then replayed on them offline exactly as the listener would have run it.

Conditions: the room as recorded, and the far-end recording turned into laptop-like rooms (an extra delay of
0/40/120 ms, an echo gain of -6/-12/-20 dB, a coloured reverberant tail, -65 dBFS noise); each of those also with
the user's clip added digitally at a known place (double talk with an exact clean reference).

Per condition: ERLE over the reply (overall and after its first second), how long the output was
withheld (None), Silero VAD speech frames in the output of the far-end-only stream (false barge-in risk), the
user's voice in double talk (gain, SNR against the clean clip, word error rate of the bundled STT), the delay from
the user's onset (VAD on the clean clip) to the first speech frame in the output, and CPU per second of audio
(thread time) with nothing playing and while playing.

    .venv/bin/python scripts/bench_echo.py [--json FILE] [--recordings FILE.pkl]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from assistant.contracts.types import AudioChunk  # noqa: E402
from audio.echo import PlaybackReference  # noqa: E402
from audio.echo_webrtc import WebRtcEchoCanceller  # noqa: E402
from testkit import listen_audio as la  # noqa: E402
from testkit.helpers import align, echo_path, wer  # noqa: E402

R = 16000
REPLY = ("Paris is the capital of France. It lies on the river Seine in the north of the country, and it has been "
         "the centre of French government and culture for more than a thousand years.")
USER = "Hey assistant, stop, what is the weather like tomorrow?"
USER_VOICE = la.Voice("espeak", "en-us", 170)
USER_AT_S = 4.0  # into the reply
CANCELLERS = {"webrtc": WebRtcEchoCanceller}  # a second one here is compared on the same recordings


def log(message: str) -> None:
    sys.stderr.write(f"[bench-echo] {message}\n")
    sys.stderr.flush()


class TapReference(PlaybackReference):
    """A PlaybackReference that also logs every block the speaker hands it, with the wall time it came."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[np.ndarray, int, float, float]] = []

    def add(self, samples, rate, t_heard) -> None:
        self.log.append((np.array(samples, dtype=np.float32), int(rate), float(t_heard), time.monotonic()))
        super().add(samples, rate, t_heard)


# --- recording ---------------------------------------------------------------------------------------------


def record(pulse, reply: np.ndarray, user: np.ndarray | None) -> dict:
    """Play ``reply`` through the app's speaker (and ``user`` into the room USER_AT_S into it) while the app's
    microphone records; returns the logs."""
    from audio.microphone import MicrophoneSource
    from audio.speaker import SpeakerSink

    ref = TapReference()
    sink = SpeakerSink(reference=ref).open()
    mic = MicrophoneSource()
    chunks: list[tuple[float, np.ndarray, float]] = []
    times: dict[str, float] = {}
    mic.start()
    try:
        if not mic.wait_receiving(10):
            raise SystemExit("the microphone delivered nothing within 10 s")
        for _ in range(30):  # ~1 s of the room with nothing playing first (the idle CPU figure)
            chunk = mic.read(0.5)
            if chunk is not None:
                chunks.append((chunk.t_start, chunk.samples.copy(), time.monotonic()))
        t_reply = sink.play(reply, R)
        player = None
        end = t_reply + len(reply) / R + 1.5
        while True:
            chunk = mic.read(0.5)
            if chunk is None:
                continue
            chunks.append((chunk.t_start, chunk.samples.copy(), time.monotonic()))
            if user is not None and player is None and chunk.t_start > t_reply + USER_AT_S:
                def play_user() -> None:
                    times["user_start"] = time.monotonic()
                    pulse.play_into_mic(user, R)
                player = threading.Thread(target=play_user, daemon=True)
                player.start()
            if chunk.t_start > max(end, sink.playing_until + 1.5):
                break
        if player is not None:
            player.join(30)
    finally:
        mic.stop()
        sink.close()
    return {"chunks": chunks, "ref": ref.log, "t_reply": t_reply, "dropped": mic.dropped_blocks,
            "speaker_rate": sink.rate, "stalls": ref.stalls}


# --- replay ------------------------------------------------------------------------------------------------


def replay(rec: dict, mic: np.ndarray, make, *, skip_until: float | None = None) -> dict:
    """Run a fresh canceller over the recording's chunks (contents taken from ``mic``, the recording's microphone
    stream, possibly transformed), feeding the reference blocks as they came in wall time. Returns the output
    stream (zeros where None), a mask of the None samples, and thread CPU time split idle / not idle."""
    ref = PlaybackReference()
    canceller = make(ref)
    out = np.zeros_like(mic)
    held = np.zeros(len(mic), dtype=bool)
    blocks = rec["ref"]
    nb = pos = 0
    cpu = {"idle": 0.0, "idle_s": 0.0, "active": 0.0, "active_s": 0.0}
    for t_start, samples, arrival in rec["chunks"]:
        n = len(samples)
        while nb < len(blocks) and blocks[nb][3] <= arrival:
            b, rate, t_heard, _ = blocks[nb]
            ref.add(b, rate, t_heard)
            nb += 1
        chunk = AudioChunk(mic[pos: pos + n], R, t_start)
        t = time.thread_time()
        got = canceller.process(chunk)
        dt = time.thread_time() - t
        kind = "idle" if got is chunk else "active"
        cpu[kind] += dt
        cpu[kind + "_s"] += n / R
        if got is None:
            held[pos: pos + n] = True
        else:
            out[pos: pos + n] = got.samples
        pos += n
    return {"out": out, "held": held, "cpu": cpu}


# --- measuring ---------------------------------------------------------------------------------------------


class Meter:
    def __init__(self) -> None:
        from assistant import bootstrap
        from assistant.config import Config, VadConfig

        self.vad = bootstrap.create_vad(Config())
        self.stt = bootstrap.local_stt(Config())
        self.vad.load()
        self.stt.load()
        self.threshold = VadConfig().threshold

    def vad_frames(self, audio: np.ndarray) -> np.ndarray:
        self.vad.reset()
        p = np.array([self.vad.speech_probability(audio[i: i + 512]) for i in range(0, len(audio) - 511, 512)])
        self.vad.reset()
        return p

    def transcribe(self, audio: np.ndarray) -> str:
        return self.stt.transcribe(audio.astype(np.float32), language="en").text


def erle_db(mic: np.ndarray, out: np.ndarray, held: np.ndarray, a: int, b: int) -> float | None:
    keep = ~held[a:b]
    e_out = float(np.sum(out[a:b][keep] ** 2))
    e_mic = float(np.sum(mic[a:b][keep] ** 2))
    if e_mic <= 0:
        return None
    return round(10 * np.log10(e_mic / max(e_out, 1e-12)), 1)


def measure(meter: Meter, mic: np.ndarray, run: dict, span: tuple[int, int], user: dict | None) -> dict:
    """``span``: the reply in the microphone stream (samples); ``user``: the clean user signal on the stream's
    time line, its span and its onset (or None for far end only)."""
    out, held = run["out"], run["held"]
    a, b = span
    cpu = run["cpu"]
    row = {"held_s": round(float(held[a:b].sum()) / R, 2),
           "cpu_ms_per_s_idle": round(1000 * cpu["idle"] / cpu["idle_s"], 3) if cpu["idle_s"] else None,
           "cpu_ms_per_s_playing": round(1000 * cpu["active"] / cpu["active_s"], 2) if cpu["active_s"] else None}
    p = meter.vad_frames(out)
    thr = meter.threshold
    if user is None:
        row["erle_db"] = erle_db(mic, out, held, a, b)
        row["erle_after_1s_db"] = erle_db(mic, out, held, a + R, b)
        row["vad_false_frames"] = int(np.sum(p >= thr))
        row["vad_false_frames_after_1s"] = int(np.sum(p[(a + R) // 512:] >= thr))
        row["vad_max_prob"] = round(float(p.max()), 2)
        return row
    clean, (u0, u1), onset = user["clean"], user["span"], user["onset"]
    row["vad_false_frames_before_user"] = int(np.sum(p[: max(0, (u0 - 1600) // 512)] >= thr))
    hits = np.flatnonzero(p[max(0, onset - 3200) // 512:] >= thr)
    row["onset_delay_ms"] = (round(1000 * ((max(0, onset - 3200) // 512 + hits[0]) * 512 - onset) / R)
                             if len(hits) else None)
    seg = clean[u0:u1]
    lags = range(0, 640, 4)
    lag = max(lags, key=lambda k: float(np.dot(out[u0 + k: u1 + k], seg)))
    o = out[u0 + lag: u1 + lag]
    g = float(np.dot(o, seg) / max(np.dot(seg, seg), 1e-12))
    row["user_lag_ms"] = round(1000 * lag / R, 1)
    row["user_gain_db"] = round(20 * np.log10(max(g, 1e-6)), 1)
    row["user_snr_db"] = round(float(10 * np.log10(np.sum((g * seg) ** 2) / max(np.sum((o - g * seg) ** 2), 1e-12))), 1)
    text = meter.transcribe(out[max(0, u0 - 4800): u1 + 8000])
    row["transcript"] = text
    row["wer"] = round(wer([USER], [text]), 3)
    return row


# --- main --------------------------------------------------------------------------------------------------


def make_recordings(reply: np.ndarray, user: np.ndarray) -> dict:
    from testkit.pulse import PulseAudio, refresh_portaudio

    root = Path(tempfile.mkdtemp(prefix="bench-echo-pulse-"))
    pulse = PulseAudio(root)
    pulse.start()
    try:
        far = record(pulse, reply, None)
        log(f"far-end recording: {len(far['chunks'])} chunks, speaker {far['speaker_rate']} Hz, "
            f"dropped {far['dropped']}, stalls {far['stalls']}")
        dt = record(pulse, reply, user * 0.7)
        log(f"double-talk recording: {len(dt['chunks'])} chunks, dropped {dt['dropped']}, stalls {dt['stalls']}")
    finally:
        pulse.stop()
        refresh_portaudio()
        shutil.rmtree(root, ignore_errors=True)
    return {"far": far, "room-dt": dt}


def _stream(rec: dict) -> np.ndarray:
    return np.concatenate([s for _, s, _ in rec["chunks"]]).astype(np.float32)


def _reply_span(rec: dict, reply: np.ndarray, mic: np.ndarray) -> tuple[int, int, float]:
    lag, _gain, corr = align(reply, mic)
    return lag, min(len(mic), lag + len(reply)), corr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="write every measurement to FILE")
    parser.add_argument("--recordings", metavar="FILE.pkl",
                        help="reuse the recordings in FILE if it exists, else make them and keep them there")
    parser.add_argument("--delays", default="0,40,120", help="extra echo delays in ms")
    parser.add_argument("--gains", default="-6,-12,-20", help="echo gains in dB")
    args = parser.parse_args()
    cancellers = list(CANCELLERS)

    reply = la.say(REPLY, la.PIPER)
    user = la.say(USER, USER_VOICE)
    user = user * (np.sqrt(np.mean(reply ** 2) / np.mean(user ** 2)) * 10 ** (-6 / 20))  # 6 dB under the reply
    if args.recordings and Path(args.recordings).exists():
        with open(args.recordings, "rb") as fh:
            recs = pickle.load(fh)  # our own file
    else:
        recs = make_recordings(reply, user)
        if args.recordings:
            with open(args.recordings, "wb") as fh:
                pickle.dump(recs, fh)
    meter = Meter()
    rng = np.random.default_rng(7)

    far_mic = _stream(recs["far"])
    r0, r1, corr = _reply_span(recs["far"], reply, far_mic)
    room_delay_ms = round(1000 * ((recs["far"]["chunks"][0][0] + r0 / R) - recs["far"]["t_reply"]), 1)
    log(f"the reply is in the far-end recording at {r0 / R:.2f} s (correlation {corr:.3f}); its echo comes "
        f"{room_delay_ms} ms after the reference's stamps")
    results: dict = {"room_delay_ms": room_delay_ms, "conditions": []}
    u0 = r0 + int(USER_AT_S * R)
    onset_clip = int(la.speech_spans(user)[0] * R)

    def user_info(clean: np.ndarray, start: int) -> dict:
        p = meter.vad_frames(clean)
        hits = np.flatnonzero(p >= meter.threshold)
        onset = int(hits[0] * 512) if len(hits) else start + onset_clip
        return {"clean": clean, "span": (start, min(len(clean), start + len(user))), "onset": onset}

    conditions = [("room", None, None)] + [(f"+{d}ms {g}dB", float(d), float(g))
                                            for d in args.delays.split(",") for g in args.gains.split(",")]
    for name, delay_ms, gain_db in conditions:
        if delay_ms is None:
            mic_far = far_mic
        else:
            mic_far = np.convolve(far_mic, echo_path(delay_ms / 1000, gain_db))[: len(far_mic)]
            mic_far = (mic_far + rng.standard_normal(len(mic_far)) * 10 ** (-65 / 20)).astype(np.float32)
        clean = np.zeros_like(mic_far)
        n = min(len(user), len(clean) - u0)
        clean[u0: u0 + n] = user[:n]
        mic_dt = (mic_far + clean).astype(np.float32)
        dt_user = user_info(clean, u0)
        for cname in cancellers:
            make = CANCELLERS[cname]
            row = {"condition": name, "canceller": cname, "delay_ms": delay_ms, "gain_db": gain_db}
            run = replay(recs["far"], mic_far, make)
            row["far"] = measure(meter, mic_far, run, (r0, r1), None)
            run = replay(recs["far"], mic_dt, make)
            row["dt"] = measure(meter, mic_dt, run, (r0, r1), dt_user)
            if delay_ms is None:  # the double talk as it really happened in the room
                rec = recs["room-dt"]
                mic = _stream(rec)
                lag, g, c = align(user, mic)
                clean_r = np.zeros_like(mic)
                k = min(len(user), len(mic) - lag)
                clean_r[lag: lag + k] = g * user[:k]
                d0, d1, _ = _reply_span(rec, reply, mic)
                run = replay(rec, mic, make)
                row["room_dt"] = measure(meter, mic, run, (d0, d1), user_info(clean_r, lag))
                row["room_dt"]["user_alignment"] = round(c, 3)
            results["conditions"].append(row)
            log(f"{name} {cname}: {json.dumps({k: v for k, v in row.items() if k in ('far', 'dt')}, default=float)}")
    # baselines: the microphone itself (no canceller), for the double-talk figures
    base = []
    for name, _delay, _gain in conditions[:1]:
        clean = np.zeros_like(far_mic)
        n = min(len(user), len(clean) - u0)
        clean[u0: u0 + n] = user[:n]
        mic_dt = far_mic + clean
        raw = {"out": mic_dt, "held": np.zeros(len(mic_dt), bool), "cpu": {"idle": 0, "idle_s": 0, "active": 0,
                                                                           "active_s": 0}}
        base.append({"condition": name, "far": measure(meter, far_mic, {**raw, "out": far_mic}, (r0, r1), None),
                     "dt": measure(meter, mic_dt, raw, (r0, r1), user_info(clean, u0)),
                     "clean_user_transcript": meter.transcribe(user)})
    results["no_canceller"] = base
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=float))
    return 0


def print_table(results: dict) -> None:
    def f(v, unit="", digits=1):
        return "-" if v is None else f"{v:.{digits}f}{unit}" if isinstance(v, float) else f"{v}{unit}"

    print(f"echo delay in the room (after the reference's stamps): {results['room_delay_ms']} ms")
    head = (f"{'condition':<16}{'aec':<7}{'ERLE':>6}{'ERLE>1s':>8}{'held':>6}{'VADfalse':>9}{'>1s':>5}"
            f"{'|DT gain':>9}{'SNR':>6}{'WER':>6}{'onset':>7}{'falseDT':>8}{'|cpu idle':>10}{'play':>7}")
    print(head)
    print("-" * len(head))
    for r in results["conditions"]:
        a, d = r["far"], r["dt"]
        print(f"{r['condition']:<16}{r['canceller']:<7}{f(a['erle_db']):>6}{f(a['erle_after_1s_db']):>8}"
              f"{a['held_s']:>6}{a['vad_false_frames']:>9}{a['vad_false_frames_after_1s']:>5}"
              f"{f(d['user_gain_db']):>9}{f(d['user_snr_db']):>6}{f(d['wer'], digits=2):>6}{f(d['onset_delay_ms']):>7}"
              f"{d['vad_false_frames_before_user']:>8}{f(a['cpu_ms_per_s_idle']):>10}{f(a['cpu_ms_per_s_playing']):>7}")
        if "room_dt" in r:
            x = r["room_dt"]
            print(f"{'  room dbl-talk':<16}{r['canceller']:<7}{'':>6}{'':>8}{x['held_s']:>6}{'':>9}{'':>5}"
                  f"{f(x['user_gain_db']):>9}{f(x['user_snr_db']):>6}{f(x['wer'], digits=2):>6}"
                  f"{f(x['onset_delay_ms']):>7}"
                  f"{x['vad_false_frames_before_user']:>8}")
    for b in results["no_canceller"]:
        d = b["dt"]
        print(f"no canceller ({b['condition']}): VAD frames on the echo alone {b['far']['vad_false_frames']}; double "
              f"talk WER {d['wer']}, onset {f(d['onset_delay_ms'])} ms; clean user clip heard as "
              f"{b['clean_user_transcript']!r}")
    print("ERLE dB over the reply (far end alone; held = seconds withheld as None, not counted); VADfalse = Silero "
          "speech frames (32 ms) in the far-end-only output; DT = user added 4 s into the reply: gain and SNR of the "
          "user's voice in the output, WER of the STT on it, onset = ms from the user's first speech frame to the "
          "output's; cpu = ms of thread time per second of audio, idle (nothing played) and while playing")


if __name__ == "__main__":
    raise SystemExit(main())
