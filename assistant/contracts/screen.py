"""Screen images and the text read from them: the value types of screen understanding.

A ``ScreenImage`` holds RGB pixels in device pixels (HiDPI captures keep their full resolution) and says
where they came from. ``TextLine`` is one line of text found on it, with its box in those pixels.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from assistant.contracts.errors import InputError


@dataclass(frozen=True, slots=True, eq=False)
class ScreenImage:
    """An RGB image of (part of) the screen, or an image file the user gave."""

    pixels: np.ndarray  # (height, width, 3) uint8 RGB
    source: str = "screen"  # "screen", "all screens", "window: <title>", "region", "file: <name>"
    scale: float = 1.0  # device pixels per logical pixel where the capture knows it (HiDPI)
    captured_at: float = field(default_factory=time.monotonic)
    capture_ms: float = 0.0  # how long taking it took

    def __post_init__(self) -> None:
        if self.pixels.ndim != 3 or self.pixels.shape[2] != 3 or self.pixels.dtype != np.uint8:
            raise ValueError(f"ScreenImage needs (h, w, 3) uint8 RGB pixels, got {self.pixels.shape} "
                             f"{self.pixels.dtype}")

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def downscaled(self, max_side: int) -> ScreenImage:
        """A copy whose longer side is at most ``max_side`` (area-averaged, so text stays legible)."""
        longest = max(self.width, self.height)
        if longest <= max_side:
            return self
        from PIL import Image

        ratio = max_side / longest
        size = (max(1, round(self.width * ratio)), max(1, round(self.height * ratio)))
        small = Image.fromarray(self.pixels).resize(size, Image.Resampling.LANCZOS)
        return replace(self, pixels=np.asarray(small, dtype=np.uint8))

    def crop(self, left: int, top: int, width: int, height: int) -> ScreenImage:
        """The part inside the rectangle (in this image's pixels), clipped to the image."""
        x0, y0 = max(0, left), max(0, top)
        x1, y1 = min(self.width, left + width), min(self.height, top + height)
        if x1 <= x0 or y1 <= y0:
            raise InputError("screen-region-empty", "the selected region is empty: drag a rectangle over the part "
                             "of the screen to ask about.")
        return replace(self, pixels=np.ascontiguousarray(self.pixels[y0:y1, x0:x1]), source="region")

    def encode(self, fmt: str = "PNG") -> bytes:
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(self.pixels).save(buffer, format=fmt)
        return buffer.getvalue()

    def to_pil(self):
        from PIL import Image

        return Image.fromarray(self.pixels)

    @classmethod
    def from_file(cls, path: str | Path) -> ScreenImage:
        """Read a PNG, JPEG, BMP, WebP...; raises InputError naming the file when it cannot."""
        path = Path(path)
        if not path.is_file():
            raise InputError("image-not-found", f"no image at {path}: check the path.")
        try:
            from PIL import Image, UnidentifiedImageError

            with Image.open(path) as img:
                pixels = np.asarray(img.convert("RGB"), dtype=np.uint8)
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise InputError("image-unreadable", f"{path} is not an image I can read ({exc}); use a PNG or "
                             "JPEG file.") from None
        if pixels.size == 0:
            raise InputError("image-unreadable", f"{path} is an empty image.")
        return cls(pixels=pixels, source=f"file: {path.name}")


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of text on an image, with its box (left, top, right, bottom) in the image's pixels."""

    text: str
    box: tuple[float, float, float, float]
    score: float = 1.0


CAPTURE_TARGETS = ("screen", "all", "window", "region")  # what a ScreenCapture can take


@dataclass(frozen=True)
class Monitor:
    """One monitor, in the virtual desktop's coordinates (the union of all monitors)."""

    left: int
    top: int
    width: int
    height: int
    primary: bool = False
    name: str = ""

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x < self.left + self.width and self.top <= y < self.top + self.height


@dataclass(frozen=True)
class WindowInfo:
    """A top-level window with its frame, in the virtual desktop's coordinates."""

    left: int
    top: int
    width: int
    height: int
    title: str = ""
    handle: int | None = None  # X11 window id, Windows HWND, macOS window number
