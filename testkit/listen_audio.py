"""Test streams for always-listening mode: wake phrases, plain speech, hard negatives, noise; and a scripted mic.

Everything is 16 kHz mono float32. Synthesized speech (the bundled Piper voice at several speaking rates, and
espeak-ng in several voices and speeds) is cached under ``.cache/listen_fixtures/`` (git-ignored), so only the
first run pays for the synthesis; Piper's output varies a little from run to run, the cache pins it. The noise
generators take a seed and are deterministic.

Used by ``tests/integration/test_always_listening.py`` and ``scripts/bench_listen.py``.
"""

from __future__ import annotations

import collections
import hashlib
import os
import queue
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from testkit.helpers import REPO, eval_clips

RATE = 16_000
CACHE = Path(os.environ.get("ASSISTANT_LISTEN_FIXTURES") or REPO / ".cache" / "listen_fixtures")
_VERSION = "v1"  # bump to invalidate the cache when the synthesis below changes

WAKE_PHRASE = "Hey assistant."

PIPER_RATES = (0.8, 1.0, 1.25)
ESPEAK_VOICES = ("en-us", "en-gb", "en-us+f3", "en-us+m7")
ESPEAK_SPEEDS = (140, 175)

# Sentences that contain the wake phrase's words (or sound like them) without saying it.
HARD_NEGATIVES = (
    "My assistant will call you back tomorrow.",
    "Hey, did you see the game last night?",
    "The system is a bit distant today.",
    "She works as a teaching assistant at the local school.",
    "Hey there, how have you been lately?",
    "The assistant manager is on vacation this week.",
    "Hey, can you pass me the salt please?",
    "That trip is only a distant memory now.",
    "The heating system needs a new filter.",
    "I asked for some assistance with the luggage.",
    "Hey Sam, my assistant says hello.",
    "The insistent caller kept asking for the system administrator.",
    "Hay is stacked high in the barn.",
    "A consistent effort is the key to this system.",
)
# Ordinary sentences.
ORDINARY = (
    "The weather is nice today.",
    "Please close the window before you leave.",
    "I will be home around six o'clock.",
    "We bought apples, bread and milk at the market.",
    "The train to Boston leaves at noon.",
    "Turn left at the next corner.",
    "He plays the guitar every evening.",
    "Our meeting was moved to Thursday afternoon.",
    "Could you send me the report by Friday?",
    "The children are playing in the garden.",
)
NEGATIVE_SENTENCES = HARD_NEGATIVES + ORDINARY


# --- voices ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker: the Piper voice at a speaking rate, or an espeak-ng voice at words per minute."""

    engine: str  # "piper" | "espeak"
    name: str  # Piper: "joe"; espeak-ng: its voice ("en-us+f3")
    speed: float  # Piper: speaking rate (1.0 normal); espeak-ng: words per minute

    @property
    def label(self) -> str:
        return f"piper-joe@{self.speed:g}" if self.engine == "piper" else f"espeak-{self.name}@{self.speed:g}"


def voices() -> list[Voice]:
    """The wake-phrase voices: Piper joe at 0.8/1.0/1.25, espeak-ng en-us/en-gb/en-us+f3/en-us+m7 at 140/175 wpm."""
    return ([Voice("piper", "joe", r) for r in PIPER_RATES]
            + [Voice("espeak", v, s) for v in ESPEAK_VOICES for s in ESPEAK_SPEEDS])


PIPER = Voice("piper", "joe", 1.0)
ESPEAK = Voice("espeak", "en-us", 175)

_piper_models: dict[float, object] = {}
_piper_lock = threading.Lock()


def _piper_samples(text: str, rate: float) -> np.ndarray:
    from assistant.bootstrap import local_tts as create_tts
    from assistant.config import Config
    from assistant.contracts.turns import CancelToken
    from audio.resample import resample

    with _piper_lock:
        tts = _piper_models.get(rate)
        if tts is None:
            tts = create_tts(Config().replace("tts", speaking_rate=rate))
            tts.load()
            _piper_models[rate] = tts
        blocks = list(tts.synthesize(text, cancel=CancelToken(0)))
    audio = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    return resample(audio, tts.sample_rate, RATE)


def _espeak_samples(text: str, voice: str, wpm: float) -> np.ndarray:
    import soundfile as sf

    from audio.resample import resample

    with tempfile.TemporaryDirectory(prefix="espeak-") as tmp:
        out = Path(tmp) / "out.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(int(wpm)), "-w", str(out), text], check=True,
                       capture_output=True, timeout=60)
        audio, rate = sf.read(out, dtype="float32", always_2d=False)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    return resample(audio, rate, RATE)


def _trim(audio: np.ndarray, threshold: float = 0.01, keep_s: float = 0.02) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if len(loud) == 0:
        return audio[:0]
    keep = int(keep_s * RATE)
    return audio[max(0, loud[0] - keep): loud[-1] + 1 + keep]


def say(text: str, voice: Voice = PIPER) -> np.ndarray:
    """``text`` spoken by ``voice``: trimmed of silence, peak 0.5, cached on disk."""
    key = hashlib.sha1(f"{_VERSION}|{voice.engine}|{voice.name}|{voice.speed}|{text}".encode()).hexdigest()[:20]
    path = CACHE / f"{voice.engine}-{key}.npy"
    if path.exists():
        return np.load(path)
    if voice.engine == "piper":
        audio = _piper_samples(text, voice.speed)
    else:
        audio = _espeak_samples(text, voice.name, voice.speed)
    audio = _trim(audio.astype(np.float32))
    audio = (audio * (0.5 / max(1e-6, float(np.abs(audio).max())))).astype(np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(tmp, audio)
    os.replace(tmp, path)  # atomic: a test and a bench running at once never read half a file
    return audio


# --- streams -----------------------------------------------------------------------------------------------


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), np.float32)


def concat(parts, gap_s: float = 0.0) -> np.ndarray:
    """The parts one after another with ``gap_s`` of digital silence between them."""
    out: list[np.ndarray] = []
    for i, part in enumerate(parts):
        if i and gap_s > 0:
            out.append(silence(gap_s))
        out.append(np.asarray(part, np.float32))
    return np.concatenate(out) if out else silence(0)


def pad(samples: np.ndarray, before_s: float = 0.3, after_s: float = 0.0) -> np.ndarray:
    return concat([silence(before_s), samples, silence(after_s)])


def _active_rms(samples: np.ndarray, frame: int = 320) -> float:
    """RMS over the frames within 40 dB of the loudest one (the speech, not its pauses)."""
    n = len(samples) // frame
    if n == 0:
        return float(np.sqrt(np.mean(samples ** 2))) if len(samples) else 0.0
    energy = np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1)
    active = energy[energy > energy.max() * 1e-4]
    return float(np.sqrt(active.mean()))


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``speech`` with ``noise`` (looped or cut to its length) at ``snr_db`` (speech's active RMS over noise's)."""
    if len(noise) < len(speech):
        noise = np.tile(noise, int(np.ceil(len(speech) / max(1, len(noise)))))
    noise = noise[: len(speech)]
    noise_rms = float(np.sqrt(np.mean(noise ** 2))) or 1e-9
    gain = _active_rms(speech) / noise_rms / (10 ** (snr_db / 20))
    return np.clip(speech + gain * noise, -1.0, 1.0).astype(np.float32)


def speech_spans(samples: np.ndarray, threshold: float = 0.02) -> tuple[float, float]:
    """(first, last) loud sample of ``samples`` in seconds: where the speech in a stream begins and ends."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if len(loud) == 0:
        return 0.0, 0.0
    return loud[0] / RATE, (loud[-1] + 1) / RATE


# --- wake phrases and questions ----------------------------------------------------------------------------


def wake_phrases(voice_list: list[Voice] | None = None) -> list[tuple[str, np.ndarray]]:
    """"Hey assistant" alone in every voice: [(label, samples)]."""
    return [(v.label, say(WAKE_PHRASE, v)) for v in (voice_list or voices())]


def _lower_first(question: str) -> str:
    return question[:1].lower() + question[1:]


def wake_and_question(question: str, voice_list: list[Voice] | None = None,
                      forms: tuple[str, ...] = ("breath", "pause"), pause_s: float = 0.8,
                      ) -> list[tuple[str, np.ndarray]]:
    """The phrase then ``question`` in every voice: "breath" is one utterance ("Hey assistant, what is...?"),
    "pause" is the phrase alone, ``pause_s`` of silence, then the question. [(label, samples)]."""
    out = []
    for v in voice_list or voices():
        if "breath" in forms:
            out.append((f"{v.label}/breath", say(f"Hey assistant, {_lower_first(question)}", v)))
        if "pause" in forms:
            out.append((f"{v.label}/pause", concat([say(WAKE_PHRASE, v), say(question, v)], pause_s)))
    return out


def question_with_pause(first: str, rest: str, pause_s: float, voice: Voice = PIPER, *,
                        wake: bool = True) -> np.ndarray:
    """A question said in two pieces with an in-sentence pause of ``pause_s`` ("What is the capital of" ...
    "France?"), after the wake phrase in the same breath when ``wake``."""
    head = f"Hey assistant, {_lower_first(first)}" if wake else first
    return concat([say(head, voice), say(rest, voice)], pause_s)


PAUSED_QUESTIONS = (
    ("What is the capital of", "France?"),
    ("How many legs", "does a spider have?"),
    ("What is the largest planet", "in our solar system?"),
    ("Can you tell me", "the capital of Japan?"),
    ("What color is the sky", "on a clear day?"),
)


# --- plain speech ------------------------------------------------------------------------------------------


def eval_speech() -> list[tuple[str, np.ndarray]]:
    """The 24 recorded clips of eval/speech/ (none says the wake phrase)."""
    from audio.files import read_audio

    return [(f"eval/{path.stem}", read_audio(path, RATE)) for path, _ in eval_clips()]


_NEGATIVE_ESPEAK = (Voice("espeak", "en-us", 165), Voice("espeak", "en-gb", 160), Voice("espeak", "en-us+f3", 170),
                    Voice("espeak", "en-us+m7", 150))


def hard_negatives() -> list[tuple[str, np.ndarray]]:
    """Every negative sentence in the Piper voice and in one of the espeak-ng voices (taken in turn)."""
    out = []
    for i, text in enumerate(NEGATIVE_SENTENCES):
        kind = "hard" if text in HARD_NEGATIVES else "ordinary"
        espeak = _NEGATIVE_ESPEAK[i % len(_NEGATIVE_ESPEAK)]
        out.append((f"{kind}/{PIPER.label}/{i:02d}", say(text, PIPER)))
        out.append((f"{kind}/{espeak.label}/{i:02d}", say(text, espeak)))
    return out


def plain_speech() -> list[tuple[str, np.ndarray]]:
    """Speech that must never wake the assistant: the eval clips and the synthesized negatives."""
    return eval_speech() + hard_negatives()


# --- noise -------------------------------------------------------------------------------------------------


def _n(seconds: float) -> int:
    return round(seconds * RATE)


def white_noise(seconds: float = 5.0, rms: float = 0.03, seed: int = 1) -> np.ndarray:
    """White noise at ``rms`` (0.03 is about -30 dBFS: a fan, a quiet room's hiss)."""
    return (np.random.default_rng(seed).standard_normal(_n(seconds)) * rms).astype(np.float32)


def pink_noise(seconds: float = 5.0, rms: float = 0.03, seed: int = 2) -> np.ndarray:
    """1/f noise at ``rms`` (rain, traffic, an air conditioner)."""
    n = _n(seconds)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    pink = np.fft.irfft(spectrum / np.sqrt(f), n)
    return (pink / (np.sqrt(np.mean(pink ** 2)) + 1e-12) * rms).astype(np.float32)


def _tone(freq: float, n: int, harmonics=(1.0, 0.5, 0.25, 0.12)) -> np.ndarray:
    t = np.arange(n) / RATE
    return sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics)).astype(np.float32)


def _env(n: int, attack_s: float, decay_s: float) -> np.ndarray:
    t = np.arange(n) / RATE
    return (np.minimum(1.0, t / max(attack_s, 1e-4)) * np.exp(-t / decay_s)).astype(np.float32)


def music(seconds: float = 8.0, rms: float = 0.08, seed: int = 3, bpm: float = 112.0) -> np.ndarray:
    """Synthesized pop: a C-Am-F-G chord progression with harmonics, a pentatonic melody in eighth notes, and a
    drum beat (kick on 1 and 3, snare on 2 and 4, hi-hat eighths)."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    beat = 60.0 / bpm
    beat_n = int(beat * RATE)
    out = np.zeros(n + 4 * beat_n, np.float32)
    midi = lambda m: 440.0 * 2 ** ((m - 69) / 12)  # noqa: E731
    chords = [(48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50)]  # C, Am, F, G (an octave under middle C)
    scale = [60, 62, 64, 67, 69, 72, 74, 76]
    bar_n = 4 * beat_n
    for b, start in enumerate(range(0, n, bar_n)):
        for note in chords[b % len(chords)]:
            seg = _tone(midi(note), bar_n) * _env(bar_n, 0.02, 1.6) * 0.18
            out[start: start + bar_n] += seg
    eighth = beat_n // 2
    for start in range(0, n, eighth):
        if rng.random() < 0.8:
            note = scale[int(rng.integers(len(scale)))]
            seg = _tone(midi(note), eighth, (1.0, 0.35, 0.15)) * _env(eighth, 0.005, 0.12) * 0.22
            out[start: start + eighth] += seg
        hat = rng.standard_normal(eighth).astype(np.float32)
        hat = np.diff(hat, prepend=0.0).astype(np.float32) * _env(eighth, 0.0005, 0.012) * 0.08
        out[start: start + eighth] += hat
    for k, start in enumerate(range(0, n, beat_n)):
        t = np.arange(beat_n) / RATE
        if k % 2 == 0:  # kick: a falling sine
            freq = 50 + 70 * np.exp(-t / 0.03)
            out[start: start + beat_n] += (np.sin(2 * np.pi * np.cumsum(freq) / RATE)
                                           * _env(beat_n, 0.001, 0.12) * 0.6).astype(np.float32)
        else:  # snare: noise and a 190 Hz body
            body = np.sin(2 * np.pi * 190 * t) * _env(beat_n, 0.001, 0.05) * 0.25
            rattle = rng.standard_normal(beat_n) * _env(beat_n, 0.001, 0.08) * 0.25
            out[start: start + beat_n] += (body + rattle).astype(np.float32)
    out = out[:n]
    return (out / (np.sqrt(np.mean(out ** 2)) + 1e-12) * rms).astype(np.float32)


def typing(seconds: float = 6.0, seed: int = 4) -> np.ndarray:
    """Keyboard clicks: bursts of keystrokes at random intervals (80-250 ms), word gaps, a louder space bar."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    out = np.zeros(n + RATE, np.float32)  # room for the last keystroke; cut to n at the end
    t = 0.2
    while t < seconds:
        for _ in range(int(rng.integers(2, 9))):  # one word
            if t >= seconds:
                break
            click_n = int(rng.integers(60, 140))
            click = rng.standard_normal(click_n).astype(np.float32)
            click = np.diff(click, prepend=0.0).astype(np.float32)  # bright, like plastic
            ring = np.sin(2 * np.pi * rng.uniform(1800, 3500) * np.arange(click_n) / RATE).astype(np.float32)
            level = rng.uniform(0.15, 0.35)
            i = int(t * RATE)
            out[i: i + click_n] += (click * 0.6 + ring) * _env(click_n, 0.0002, 0.002) * level
            t += rng.uniform(0.08, 0.25)
        i = int(t * RATE)  # the space bar: a lower, longer thump
        thump_n = 400
        thump = rng.standard_normal(thump_n).astype(np.float32) * _env(thump_n, 0.0005, 0.004) * 0.4
        out[i: i + thump_n] += thump
        t += rng.uniform(0.3, 0.9)
    return np.clip(out[:n], -1, 1).astype(np.float32)


def door_slam(seconds: float = 4.0, seed: int = 5, at_s: float = 0.6) -> np.ndarray:
    """A door slam at ``at_s``: a broadband impact, the door's low resonances dying away, and the latch rattling."""
    rng = np.random.default_rng(seed)
    n = _n(seconds)
    out = np.zeros(n, np.float32)
    m = _n(1.2)
    t = np.arange(m) / RATE
    impact = rng.standard_normal(m) * np.exp(-t / 0.008) * 0.9
    body = sum(a * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.28)) * np.exp(-t / d)
               for f, a, d in ((72, 0.5, 0.25), (115, 0.35, 0.18), (190, 0.2, 0.12), (420, 0.1, 0.06)))
    rattle = rng.standard_normal(m) * (0.5 + 0.5 * np.sign(np.sin(2 * np.pi * 28 * t))) * np.exp(-t / 0.12) * 0.15
    slam = (impact + body + rattle).astype(np.float32)
    i = _n(at_s)
    k = min(m, n - i)
    out[i: i + k] = slam[:k]
    return np.clip(out, -1, 1).astype(np.float32)


def noises(seconds: float = 5.0) -> list[tuple[str, np.ndarray]]:
    """One clip of each kind of noise: [(label, samples)]."""
    return [("music", music(seconds)), ("typing", typing(seconds)), ("door-slam", door_slam(seconds)),
            ("pink-noise", pink_noise(seconds)), ("white-noise", white_noise(seconds)),
            ("silence", silence(seconds))]


# --- a microphone you script -------------------------------------------------------------------------------


class Utterance:
    """A clip queued on a ``ScriptedMic``: ``t_start`` / ``t_end`` (monotonic, on the mic's clock) once played."""

    def __init__(self, samples: np.ndarray) -> None:
        self.samples = np.asarray(samples, np.float32)
        self.t_start: float | None = None
        self.t_end: float | None = None
        self.started = threading.Event()
        self.finished = threading.Event()

    def speech_start(self) -> float:
        """When its first loud sample was captured (monotonic)."""
        assert self.t_start is not None
        return self.t_start + speech_spans(self.samples)[0]

    def speech_end(self) -> float:
        assert self.t_start is not None
        return self.t_start + speech_spans(self.samples)[1]


class ScriptedMic:
    """An ``AudioSource`` that delivers real-time blocks of silence (or a looped ``bed`` of noise), and the clips
    you ``say()`` as soon as they are queued: a user who speaks on cue (after an event), which a fixed file
    cannot do. Like a microphone, it never hears the speaker."""

    name = "scripted microphone"
    hears_speaker = False  # no room: what the assistant says never comes back in
    realtime = True  # it delivers its blocks as they would be spoken

    def __init__(self, *, block_ms: float = 32.0, bed: np.ndarray | None = None) -> None:
        self.block = int(RATE * block_ms / 1000)
        self.bed = bed
        self._pending: collections.deque[Utterance] = collections.deque()
        self._lock = threading.Lock()
        self._q: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.fed_seconds = 0.0

    @property
    def exhausted(self) -> bool:
        return False

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._feed, name="scripted-mic", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def read(self, timeout: float):
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty:
            return None

    def say(self, samples: np.ndarray) -> Utterance:
        """Queue ``samples`` to be "spoken" next (after anything still queued); returns at once."""
        utterance = Utterance(samples)
        with self._lock:
            self._pending.append(utterance)
        return utterance

    def _feed(self) -> None:
        from assistant.contracts.types import AudioChunk

        t0 = time.monotonic()
        fed = 0
        current: Utterance | None = None
        pos = 0
        while not self._stop.is_set():
            t_block = t0 + fed / RATE
            block = np.zeros(self.block, np.float32)
            if self.bed is not None and len(self.bed):
                idx = (fed + np.arange(self.block)) % len(self.bed)
                block += self.bed[idx]
            filled = 0
            while filled < self.block:
                if current is None:
                    with self._lock:
                        current = self._pending.popleft() if self._pending else None
                    if current is None:
                        break
                    pos = 0
                    current.t_start = t_block + filled / RATE
                    current.started.set()
                take = min(self.block - filled, len(current.samples) - pos)
                block[filled: filled + take] += current.samples[pos: pos + take]
                filled += take
                pos += take
                if pos >= len(current.samples):
                    current.t_end = t_block + filled / RATE
                    current.finished.set()
                    current = None
            delay = t_block + self.block / RATE - time.monotonic()
            if delay > 0 and self._stop.wait(delay):  # a microphone hands over a block once it was captured
                break
            self._q.put(AudioChunk(block, RATE, t_block))
            fed += self.block
            self.fed_seconds = fed / RATE
