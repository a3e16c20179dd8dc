"""An audio file played into the assistant as if it were a microphone."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import numpy as np

from assistant.contracts.types import SAMPLE_RATE, AudioChunk
from audio.files import read_audio


class FileSource:
    """Delivers a file in blocks, in real time by default, then keeps delivering silence for
    ``tail_silence_s`` (a microphone does not stop when the user does). Every block fed is recorded in
    ``fed`` so a timeline of the session can be drawn afterwards."""

    hears_speaker = False  # no room between the speaker and a file: nothing the assistant says comes back in

    def __init__(self, audio: Path | str | np.ndarray, *, realtime: bool = True, block_ms: float = 32.0,
                 tail_silence_s: float = 1.5, max_seconds: float | None = None) -> None:
        """Cheap: a file is read by ``open()`` (or ``start()``)."""
        self._audio, self._max_seconds = audio, max_seconds
        self.samples: np.ndarray | None = audio.astype(np.float32) if isinstance(audio, np.ndarray) else None
        self.name = "samples" if isinstance(audio, np.ndarray) else str(audio)
        self.realtime = realtime
        self.block = int(SAMPLE_RATE * block_ms / 1000)
        self.tail = np.zeros(int(SAMPLE_RATE * tail_silence_s), dtype=np.float32)
        self.fed: list[AudioChunk] = []
        self._q: queue.Queue[AudioChunk] = queue.Queue()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self) -> FileSource:
        """Read the file (idempotent); raises InputError when it is missing or not audio."""
        if self.samples is None:
            self.samples = read_audio(self._audio, SAMPLE_RATE, max_seconds=self._max_seconds)
        return self

    def start(self) -> None:
        self.open()
        if self._thread is None:
            self._thread = threading.Thread(target=self._feed, name="file-source", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def exhausted(self) -> bool:
        return self._finished.is_set() and self._q.empty()

    def read(self, timeout: float) -> AudioChunk | None:
        try:
            return self._q.get(timeout=timeout)
        except queue.Empty:
            return None

    def _feed(self) -> None:
        audio = np.concatenate([self.samples, self.tail])
        t0 = time.monotonic()
        for start in range(0, len(audio), self.block):
            if self._stop.is_set():
                break
            t_start = t0 + start / SAMPLE_RATE
            block = audio[start: start + self.block]
            if self.realtime:  # a microphone hands over a block once its last sample was captured
                delay = t_start + len(block) / SAMPLE_RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            chunk = AudioChunk(block, SAMPLE_RATE, t_start)  # the file's own clock, also when not paced
            self.fed.append(chunk)
            self._q.put(chunk)
        self._finished.set()
