"""The voice visual: an orb that swells with the microphone while listening and with the reply while the assistant
speaks, and the state in words beside it (read by screen readers too).

The orb is painted (no image files) in the palette's colours: ``level`` listening, ``speaking`` speaking, a
spinning arc in ``accent`` while thinking, a struck-through ring when muted, a small calm disc otherwise. Its frame
timer runs only while the visual is on screen and something moves (listening, waiting for the wake phrase,
thinking, speaking): a hidden, minimised or idle visual costs nothing. Each frame it reads the level from the
source it was given (``set_level_source``): polling one float is cheaper than a signal per audio block."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QElapsedTimer, QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from ui import theme
from ui.widgets import listen_texts

FRAME_MS = 33  # ~30 frames a second: smooth to the eye at a small cost (scripts/bench_ui.py)
QUIET_FRAME_MS = 100  # waiting for the wake phrase in a quiet room (all day, maybe): a look 10 times a second
LOOKS = ("idle", "waiting", "listening", "thinking", "speaking", "muted")
ANIMATED = frozenset({"waiting", "listening", "thinking", "speaking"})
MOVING = frozenset({"listening", "thinking", "speaking"})  # move on their own: repainted every frame
QUIET_DB, LOUD_DB = -55.0, -12.0  # a quiet room .. loud speech: the orb's smallest .. largest
ATTACK_S, RELEASE_S = 0.03, 0.30  # the level rises at once and falls slowly: a flicker per syllable is tiring
BREATH_S, SPIN_S = 2.4, 1.2  # one breath while listening or speaking; one turn of the thinking arc


def loudness(rms: float) -> float:
    """An RMS level (0..1 full scale) on the orb's scale 0..1: decibels from a quiet room to loud speech."""
    if rms <= 1e-6:
        return 0.0
    return min(1.0, max(0.0, (20 * math.log10(rms) - QUIET_DB) / (LOUD_DB - QUIET_DB)))


def smoothed(level: float, target: float, dt: float) -> float:
    """``level`` moved towards ``target`` over ``dt`` s: up quickly (``ATTACK_S``), down slowly (``RELEASE_S``)."""
    tau = ATTACK_S if target > level else RELEASE_S
    return level + (target - level) * (1 - math.exp(-dt / tau))


def look_of(state: str, mode: str) -> str:
    """The orb's look (``LOOKS``) for the app's overall state and listening mode (see ``ui.indicators``)."""
    if state in ("speaking", "thinking", "listening", "muted"):
        return state
    if mode == "waiting":
        return "waiting"  # always listening for the wake phrase: the orb shows the microphone hears, softly
    return "idle"


class VoiceOrb(QWidget):
    """The painted part: a disc whose size follows ``level`` (0..1, already smoothed) inside a soft halo."""

    def __init__(self, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.look = "idle"
        self.level = 0.0
        self.phase = 0.0  # seconds of animation: the breathing and the thinking arc
        self.setFixedSize(size, size)
        theme.notifier().changed.connect(self.update)  # an idle orb is not repainted otherwise

    def sizeHint(self) -> QSize:
        return self.size()

    def paintEvent(self, _event) -> None:
        palette = theme.current()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        centre = QRectF(self.rect()).center()
        radius = min(self.width(), self.height()) / 2 - 1
        look = self.look
        if look in ("listening", "waiting", "speaking"):
            color = QColor(palette.speaking if look == "speaking" else palette.level)
            breath = 0.03 * math.sin(2 * math.pi * self.phase / BREATH_S) if look in MOVING else 0.0
            core = radius * ((0.28 if look == "waiting" else 0.4) + 0.32 * self.level + breath)
            halo = min(radius, core * (1.15 + 0.4 * self.level))
            if look == "waiting":
                color.setAlphaF(0.6)  # the phrase is not said yet: present, not insistent
            glow = QColor(color)
            glow.setAlphaF(color.alphaF() * 0.3)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(glow)
            p.drawEllipse(centre, halo, halo)
            p.setBrush(color)
            p.drawEllipse(centre, core, core)
        elif look == "thinking":
            ring = radius * 0.55
            track = QColor(palette.muted)
            track.setAlphaF(0.35)
            p.setPen(QPen(track, 3))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(centre, ring, ring)
            arc = QPen(QColor(palette.accent), 3)
            arc.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(arc)
            start = -360.0 * (self.phase % SPIN_S) / SPIN_S  # clockwise
            p.drawArc(QRectF(centre.x() - ring, centre.y() - ring, 2 * ring, 2 * ring), round(start * 16), 100 * 16)
        elif look == "muted":
            color = QColor(theme.listen_color("muted"))
            ring = radius * 0.45
            p.setPen(QPen(color, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(centre, ring, ring)
            d = ring * math.sqrt(0.5)
            p.drawLine(QPointF(centre.x() - d, centre.y() - d), QPointF(centre.x() + d, centre.y() + d))
        else:  # idle, loading, unavailable: calm and small
            color = QColor(palette.muted)
            color.setAlphaF(0.45)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            r = radius * 0.3
            p.drawEllipse(centre, r, r)
        p.end()


class VoiceVisual(QWidget):
    """The orb and the state in words, side by side. ``set_state`` from the indicators, ``set_level_source`` from the
    listening modes; the frame ``timer`` runs only while shown and something moves."""

    def __init__(self, parent: QWidget | None = None, *, size: int = 56) -> None:
        super().__init__(parent)
        self.setObjectName("voiceVisual")
        self.orb = VoiceOrb(size)
        self.words = QLabel()
        self.words.setObjectName("voiceWords")
        theme.set_role(self.words, "status")
        # The orb in the middle, the words to its right: the orb stays put as the words change (their width is
        # left out of the layout's sums).
        self.words.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(theme.SPACE)
        row.addStretch(1)
        row.addWidget(self.orb)
        row.addWidget(self.words, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.timer = QTimer(self, interval=FRAME_MS)
        self.timer.timeout.connect(self._frame)
        self._clock = QElapsedTimer()
        self.level_source: Callable[[], float] | None = None
        self._on_screen = False  # between a show and a hide event (minimising sends one too; isVisible() stays True)
        self._painted_level = 0.0
        self.state = self.mode = ""
        self.set_state("idle")

    @property
    def look(self) -> str:
        return self.orb.look

    def set_level_source(self, source: Callable[[], float] | None) -> None:
        """``source()``: the RMS level (0..1) to show now; read on each frame while the orb moves, on the GUI
        thread (the microphone's while listening, the reply's while speaking)."""
        self.level_source = source

    def set_state(self, state: str, mode: str = "off", label: str = "", description: str = "") -> None:
        """Show the app's overall state (``ui.indicators.overall_state``) and listening mode (``LISTEN_MODES``).
        ``label``, ``description``: the listening indicator's words for the mode (``ui.widgets.listen_texts``)."""
        words, about = self._words(state, mode, label, description)
        look = look_of(state, mode)
        if (state, mode, words, about, look) == (self.state, self.mode, self.words.text(),
                                                 self.accessibleDescription(), self.orb.look):
            return  # called on every event
        self.state, self.mode = state, mode
        self.words.setText(words)
        self.setAccessibleName(words)
        self.setAccessibleDescription(about)
        self.setToolTip(about)
        if look != self.orb.look:
            self.orb.look = look
            self.orb.update()
            self.timer.setInterval(FRAME_MS)  # at full speed until a quiet room is seen again
        self._run()

    def _words(self, state: str, mode: str, label: str, description: str) -> tuple[str, str]:
        if state == "speaking":
            return self.tr("Speaking"), self.tr("The assistant is answering aloud")
        if state == "thinking":
            return self.tr("Thinking…"), self.tr("The assistant is working on the answer")
        if state == "loading":
            return self.tr("Loading…"), self.tr("The models are loading")
        if state in ("listening", "muted") or mode in ("waiting", "starting"):
            if not label:
                label, description = listen_texts(state if state in ("listening", "muted") else mode, "")
            return label, description or label
        if state == "error":
            return self.tr("Unavailable"), description or self.tr("The assistant is not available")
        return self.tr("Ready"), self.tr("Click the microphone to talk, or type a question")

    def _run(self) -> None:
        """Start or stop the frames: only on screen, and only for a look that moves."""
        run = self._on_screen and self.orb.look in ANIMATED
        if run and not self.timer.isActive():
            self._clock.start()
            self.timer.start()
        elif not run and self.timer.isActive():
            self.timer.stop()
            self.timer.setInterval(FRAME_MS)
            self.orb.level = self._painted_level = 0.0  # it grows from nothing when it starts again
            self.orb.update()

    def _frame(self) -> None:
        dt = min(0.1, self._clock.restart() / 1000)  # after a stall, one step, not a jump
        target = loudness(float(self.level_source())) if self.level_source is not None else 0.0
        orb = self.orb
        orb.level = smoothed(orb.level, target, dt)
        orb.phase += dt
        # A quiet room while waiting for the phrase: nothing changes, nothing is painted, and it is looked at less
        # often (a voice shows within a tenth of a second).
        if orb.look in MOVING or abs(orb.level - self._painted_level) > 0.002:
            self._painted_level = orb.level
            orb.update()
        interval = QUIET_FRAME_MS if orb.look == "waiting" and target == 0 and orb.level < 0.002 else FRAME_MS
        if self.timer.interval() != interval:
            self.timer.setInterval(interval)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._on_screen = True
        self._run()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._on_screen = False
        self._run()
