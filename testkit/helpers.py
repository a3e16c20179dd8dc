"""Shared test helpers: the eval clips, WER scoring, synthetic audio."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
EVAL_DIR = Path(os.environ.get("ASSISTANT_EVAL_DIR") or REPO / "eval" / "speech")
EVAL_ZH_DIR = REPO / "eval" / "speech-zh"  # real Mandarin (AISHELL-1)
SAMPLE_QUESTION = REPO / "assistant" / "data" / "sample_question.wav"

_DIGITS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
           "seven": "7", "eight": "8", "nine": "9"}


def eval_clips(folder: Path = EVAL_DIR) -> list[tuple[Path, str]]:
    """(clip, reference transcript) of a folder of clips with a manifest.tsv (eval/speech's layout)."""
    with (folder / "manifest.tsv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    return [(folder / r[0], r[2]) for r in rows if r]


def cer(references: list[str], hypotheses: list[str]) -> float:
    """Character error rate over the letters and digits alone (no punctuation or spaces), Chinese in simplified
    characters: how Chinese recognition is scored (Whisper writes either script)."""
    import unicodedata

    import jiwer

    from assistant.pipeline.languages import in_script

    def chars(text: str) -> str:
        text = in_script(text, "zh")
        return "".join(c for c in text if unicodedata.category(c)[0] in "LN")

    return jiwer.cer([chars(r) for r in references], [chars(h) or "-" for h in hypotheses])


def normalize(text: str) -> str:
    """Whisper's English normalizer, then number words and digits alike: 'five five', '5 5' and '55'
    all become '55' (the normalizer alone merges some runs of number words but not others)."""
    from whisper_normalizer.english import EnglishTextNormalizer

    words = EnglishTextNormalizer()(text).split()
    words = [_DIGITS.get(w, w) for w in words]
    return re.sub(r"(?<=\d) (?=\d)", "", " ".join(words))


def wer(references: list[str], hypotheses: list[str]) -> float:
    import jiwer

    return jiwer.wer([normalize(r) for r in references], [normalize(h) or "<empty>" for h in hypotheses])


def tone(seconds: float, freq: float = 440.0, rate: int = 16000, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def echo_path(delay_s: float, gain_db: float, rate: int = 16000) -> np.ndarray:
    """A laptop-like echo path (an impulse response at ``rate``): the direct sound ``delay_s`` late at ``gain_db``,
    a little treble roll-off (the small speaker's and microphone's colour), and an exponentially decaying tail
    (RT60 0.2 s) 10 dB under it. Seeded: the same path every time."""
    rng = np.random.default_rng(0)
    d0, n = int(delay_s * rate), int(0.3 * rate)
    tail = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / rate / 0.2)
    tail[: int(0.003 * rate)] = 0.0
    g = 10 ** (gain_db / 20)
    h = np.zeros(d0 + n)
    h[d0: d0 + 3] = g * np.array([0.6, 0.3, 0.1])
    h[d0:] += tail * (g * 10 ** (-10 / 20) / np.sqrt(np.sum(tail ** 2)))
    return h


def align(reference: np.ndarray, recorded: np.ndarray) -> tuple[int, float, float]:
    """Where ``reference`` lies in ``recorded`` by FFT cross-correlation: (lag in samples, gain, normalized
    correlation there)."""
    n = len(reference) + len(recorded)
    nfft = 1 << (n - 1).bit_length()
    xc = np.fft.irfft(np.fft.rfft(recorded, nfft) * np.conj(np.fft.rfft(reference, nfft)), nfft)
    lag = int(np.argmax(xc[: len(recorded)]))
    segment = recorded[lag: lag + len(reference)]
    ref = reference[: len(segment)]
    gain = float(np.dot(segment, ref) / (np.dot(ref, ref) + 1e-12))
    corr = float(np.dot(ref, segment) / (np.linalg.norm(ref) * np.linalg.norm(segment) + 1e-12))
    return lag, gain, corr


def noise(seconds: float, rate: int = 16000, amp: float = 0.05, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).normal(0, amp, int(seconds * rate))).astype(np.float32)


class EventLog:
    """Collects bus events and lets a test wait on a condition over them (no sleeping)."""

    def __init__(self) -> None:
        import threading

        self.items: list = []
        self._cond = threading.Condition()

    def __call__(self, event) -> None:
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def of(self, cls) -> list:
        with self._cond:
            return [e for e in self.items if isinstance(e, cls)]

    def kinds(self) -> list[str]:
        with self._cond:
            return [e.kind for e in self.items]

    def until(self, predicate, timeout: float) -> bool:
        """True once predicate(events) holds; False if it still does not after ``timeout`` seconds."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.items), timeout)

    def wait_for(self, cls, timeout: float = 60.0):
        assert self.until(lambda items: any(isinstance(e, cls) for e in items), timeout), \
            f"no {cls.__name__}; saw {self.kinds()}"
        return self.of(cls)[0]


def wait_until(predicate, timeout: float, interval: float = 0.01) -> bool:
    """Poll a condition that no event announces (a queue drained, a process gone); True once it holds."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (now)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def delivered(desktop, qtbot, events, timeout_ms: int = 20_000) -> None:
    """Publish ``events`` on the desktop app's bus from a thread of the core's kind, and wait until the GUI thread
    has handled them all (``desktop``: a ``ui.app.DesktopApp``; ``qtbot``: pytest-qt's)."""
    import threading

    seen: list = []
    collect = lambda e: seen.append(e) if any(e is x for x in events) else None  # noqa: E731
    desktop.bridge.event.connect(collect)  # after the app's own slot: it has run when this one runs
    worker = threading.Thread(target=lambda: [desktop.bus.publish(e) for e in events], name="core-like")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(seen) == len(events), timeout=timeout_ms)
    desktop.bridge.event.disconnect(collect)
