"""OCR with RapidOCR: PP-OCR detection and recognition models that ship inside the ``rapidocr`` wheel
(onnxruntime; nothing to download)."""

from __future__ import annotations

import logging
import threading

import numpy as np

from assistant.contracts.errors import ConfigError, ModelError
from assistant.contracts.messages import Message
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.screen import ScreenImage, TextLine
from models.devices import cpu_cores

log = logging.getLogger(__name__)


class RapidOcrReader:
    """Reads the lines of text on an image, each with its box in the image's pixels."""

    name = "rapidocr"
    device = "cpu"

    def __init__(self, *, max_side: int = 2560, min_score: float = 0.5, threads: int = 0) -> None:
        self.max_side, self.min_score = max_side, min_score
        self.threads = threads or cpu_cores()
        self._engine = None
        self._lock = threading.Lock()

    def load(self, progress: ProgressCallback | None = None) -> None:
        with self._lock:
            if self._engine is not None:
                return
            try:
                from rapidocr import RapidOCR
            except ImportError as exc:
                raise ConfigError("ocr-missing-dependency", "reading the screen needs the 'rapidocr' package "
                                  "(pip install rapidocr).") from exc
            if progress:
                progress(Message("loading the text recognizer (RapidOCR)"), None)
            params = {
                "Global.log_level": "error",  # it logs every model file it opens at INFO
                "Global.use_cls": False,  # screens hold upright text: the orientation classifier only costs time
                "Global.max_side_len": self.max_side,
                # Dilating the detection map joins a terminal's tightly spaced lines into one box that reads as
                # noise (two lines of a pytest failure on Xvfb were lost); screen text is crisp without it.
                "Det.use_dilation": False,
                "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
            }
            try:
                engine = RapidOCR(params=params)
                engine(np.full((64, 256, 3), 255, np.uint8))  # warm up: the models load on the first call
            except Exception as exc:
                raise ModelError("ocr-load-failed", f"the text recognizer (RapidOCR) failed to load: {exc}. "
                                 "Reinstall it (pip install --force-reinstall rapidocr).") from exc
            for name in ("RapidOCR", "rapidocr"):  # its logger is set up on construction
                logging.getLogger(name).setLevel(logging.ERROR)
            self._engine = engine

    def read(self, image: ScreenImage) -> list[TextLine]:
        self.load()
        # RapidOCR takes arrays in OpenCV's BGR order; ours are RGB.
        bgr = np.ascontiguousarray(image.pixels[:, :, ::-1])
        try:
            result = self._engine(bgr)  # type: ignore[misc]
        except Exception as exc:
            raise ModelError("ocr-failed", f"reading the text on the image failed: {exc}") from exc
        if result is None or getattr(result, "boxes", None) is None or result.txts is None:
            return []
        lines = []
        for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
            if score < self.min_score or not text.strip():
                continue
            xs, ys = [float(p[0]) for p in quad], [float(p[1]) for p in quad]
            box = (max(0.0, min(xs)), max(0.0, min(ys)), min(float(image.width), max(xs)),
                   min(float(image.height), max(ys)))
            lines.append(TextLine(text.strip(), box, float(score)))
        return lines
