"""Small custom widgets: the input level meter, the state badge, the listening indicator, the per-turn latency
waterfall, icons."""

from __future__ import annotations

import math

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ui import theme

# The state badge and the listening indicator take their colours from the theme's style rules (below); the
# microphone icon reads the theme when it is drawn.
# The states' names on the badge (translated where shown).
STATE_NAMES = {
    "loading": QT_TRANSLATE_NOOP("StateBadge", "Loading"),
    "idle": QT_TRANSLATE_NOOP("StateBadge", "Idle"),
    "listening": QT_TRANSLATE_NOOP("StateBadge", "Listening"),
    "thinking": QT_TRANSLATE_NOOP("StateBadge", "Thinking"),
    "speaking": QT_TRANSLATE_NOOP("StateBadge", "Speaking"),
    "muted": QT_TRANSLATE_NOOP("StateBadge", "Muted"),
    "error": QT_TRANSLATE_NOOP("StateBadge", "Error"),
}

# What the microphone is doing, for the listening indicator (window, launcher) and the tray icon:
#   off        closed
#   listening  open for one question (click, hold, launcher)
#   starting   always listening is on, the microphone not yet delivering (opening, reconnecting, models loading)
#   waiting    always listening: only speech that starts with the wake phrase is answered
#   awake      always listening: the next question is taken without the phrase (after it, or a reply)
#   muted      muted by the user: nothing is heard
LISTEN_MODES = ("off", "listening", "starting", "waiting", "awake", "muted")


def _indicator_rules(p: theme.Palette) -> str:
    rules = [f'QLabel#stateBadge {{ color: {theme.ON_STATE}; border-radius: 9px; padding: 2px 10px; font-weight: 600;'
             f' background: {theme.STATE_COLORS["idle"]}; }}']
    rules += [f'QLabel#stateBadge[state="{state}"] {{ background: {color}; }}'
              for state, color in theme.STATE_COLORS.items()]
    rules.append("QLabel#listen_indicator { border: 1px solid; border-radius: 9px; padding: 1px 8px; }")
    rules += [f'QLabel#listen_indicator[mode="{mode}"] {{ color: {color}; border-color: {color};'
              f' font-weight: {600 if mode in ("waiting", "awake", "listening", "muted") else 400}; }}'
              for mode, color in theme.LISTEN_COLORS[p.name].items()]
    return "\n" + "\n".join(rules) + "\n"


theme.add_rules(_indicator_rules)


def listen_texts(mode: str, phrase: str, detail: str = "") -> tuple[str, str]:
    """(short label, longer explanation) of a listening mode; ``phrase`` is the configured wake phrase and
    ``detail`` says why the microphone is not delivering yet (``starting``)."""
    if mode == "listening":
        return (QCoreApplication.translate("ListenTexts", "Listening"),
                QCoreApplication.translate("ListenTexts", "Listening for your question"))
    if mode == "starting":
        detail = detail or QCoreApplication.translate("ListenTexts", "Opening the microphone…")
        return detail, QCoreApplication.translate("ListenTexts", "Always listening: {detail}").format(
            detail=f"{detail[:1].lower()}{detail[1:]}")
    if mode == "waiting":
        return (QCoreApplication.translate("ListenTexts", "Say “{phrase}”").format(phrase=phrase),
                QCoreApplication.translate("ListenTexts", "Always listening: say “{phrase}” and your question").format(
                    phrase=phrase))
    if mode == "awake":
        return (QCoreApplication.translate("ListenTexts", "Ask now…"),
                QCoreApplication.translate("ListenTexts", "Listening: ask your question (no need to say “{phrase}”)"
                                           ).format(phrase=phrase))
    if mode == "muted":
        return (QCoreApplication.translate("ListenTexts", "Muted"),
                QCoreApplication.translate("ListenTexts", "Microphone muted"))
    return (QCoreApplication.translate("ListenTexts", "Mic off"),
            QCoreApplication.translate("ListenTexts", "Microphone off"))


class LevelMeter(QWidget):
    """A horizontal bar of the microphone level in dBFS (-60..0), polled by a timer, not signalled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level_db = -90.0
        self.setMinimumSize(80, 10)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(self.tr("Microphone level"))

    def set_rms(self, rms: float) -> None:
        db = 20 * math.log10(rms) if rms > 1e-6 else -90.0
        # Fall slowly, rise at once: a meter that flickers with every block is hard to read.
        self.level_db = db if db > self.level_db else max(db, self.level_db - 3.0)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(160, 10)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        colors = theme.current()
        p.setPen(QPen(QColor(colors.border)))
        p.setBrush(QColor(colors.raised))
        p.drawRoundedRect(rect, 4, 4)
        fraction = min(1.0, max(0.0, (self.level_db + 60.0) / 60.0))
        if fraction > 0:
            fill = QRectF(rect.x(), rect.y(), rect.width() * fraction, rect.height())
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(colors.level if self.level_db < -6 else colors.level_loud))
            p.drawRoundedRect(fill, 4, 4)


class StateBadge(QLabel):
    """"Listening", "Thinking", ... as a coloured pill."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = ""
        self.setObjectName("stateBadge")
        self.set_state("loading")

    def set_state(self, state: str, text: str | None = None) -> None:
        text = text or (QCoreApplication.translate("StateBadge", STATE_NAMES[state]) if state in STATE_NAMES
                        else state.capitalize())
        if (state, text) == (self.state, self.text()):
            return  # called for every event; a style sheet change re-polishes the widget
        self.state = state
        self.setText(text)
        self.setAccessibleName(QCoreApplication.translate("StateBadge", "State: {state}").format(state=text))
        _restyle(self, "state", state)


class ListenIndicator(QLabel):
    """What the microphone is doing (see ``LISTEN_MODES``): a dot in the mode's colour and a few words."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = ""
        self.setObjectName("listen_indicator")
        self.set_mode("off", *listen_texts("off", ""))

    def set_mode(self, mode: str, text: str, tooltip: str = "") -> None:
        if (mode, text, tooltip) == (self.mode, self.text(), self.toolTip()):
            return  # called for every event; a style sheet change re-polishes the widget
        self.mode = mode
        self.setText(text)
        self.setToolTip(tooltip or text)
        self.setAccessibleName(tooltip or text)
        _restyle(self, "mode", mode)


def _restyle(widget: QWidget, name: str, value: str) -> None:
    """Set the property the style rules select on, and restyle the widget at once."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


# (start mark, end mark, label, palette colour) for each bar of the waterfall; marks are ms after the turn's origin.
# The colours are the palette's (``ui.theme``), by name: each reads on the window in both themes.
VOICE_STEPS = (
    (None, "end_of_speech_detected", QT_TRANSLATE_NOOP("WaterfallChart", "end of speech"), "muted"),
    ("end_of_speech_detected", "stt", QT_TRANSLATE_NOOP("WaterfallChart", "transcript"), "level"),
    ("stt", "llm_first_token", QT_TRANSLATE_NOOP("WaterfallChart", "first token"), "level_loud"),
    ("llm_first_token", "first_audio", QT_TRANSLATE_NOOP("WaterfallChart", "first audio"), "speaking"),
)
TEXT_STEPS = (
    (None, "llm_first_token", QT_TRANSLATE_NOOP("WaterfallChart", "first token"), "level_loud"),
    ("llm_first_token", "first_audio", QT_TRANSLATE_NOOP("WaterfallChart", "first audio"), "speaking"),
)


def waterfall_steps(timings_ms: dict) -> list[tuple[str, float, float, str]]:
    """(label, start ms, end ms, palette colour name) for each step the turn reached, in order."""
    steps = VOICE_STEPS if "end_of_speech_detected" in timings_ms else TEXT_STEPS
    out = []
    for start_mark, end_mark, label, color in steps:
        end = timings_ms.get(end_mark)
        if end is None:
            continue
        start = 0.0 if start_mark is None else timings_ms.get(start_mark, 0.0)
        out.append((QCoreApplication.translate("WaterfallChart", label), float(start), float(max(end, start)), color))
    return out


class WaterfallChart(QWidget):
    """Where one turn's time went: a bar per step from the end of speech (or the question) to first audio."""

    ROW = 14

    def __init__(self, timings_ms: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps = waterfall_steps(timings_ms)
        self.total = max((end for _, _, end, _ in self.steps), default=0.0)
        self.setFixedHeight(self.ROW * len(self.steps) + 4)
        self.setMinimumWidth(260)
        self.setToolTip("\n".join(self.tr("{step}: {ms:.0f} ms").format(step=label, ms=end)
                                  for label, _, end, _ in self.steps))

    def paintEvent(self, _event) -> None:
        if not self.steps:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        p.setFont(font)
        label_w, value_w = 78, 58
        bar_w = max(20.0, self.width() - label_w - value_w - 8)
        scale = bar_w / self.total if self.total > 0 else 0.0
        palette = theme.current()  # read at each paint: the chart follows a theme switch
        text = QColor(palette.muted)
        for i, (label, start, end, color) in enumerate(self.steps):
            y = 2 + i * self.ROW
            p.setPen(text)
            p.drawText(QRectF(0, y, label_w - 4, self.ROW), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       label)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(getattr(palette, color)))
            p.drawRoundedRect(QRectF(label_w + start * scale, y + 3, max(2.0, (end - start) * scale), self.ROW - 6),
                              2, 2)
            p.setPen(text)
            p.drawText(QRectF(label_w + bar_w + 6, y, value_w, self.ROW),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       self.tr("{ms:.0f} ms").format(ms=end))


def mic_icon(live: bool, size: int = 64, muted: bool = False) -> QIcon:
    """A microphone drawn in code (no image files to ship): green when live, grey when closed, red and struck
    through when muted."""
    return listen_icon("muted" if muted else "listening" if live else "off", size)


def listen_icon(mode: str, size: int = 64) -> QIcon:
    """The microphone in a listening mode's colour: grey closed, green taking a question, indigo with "sound
    waves" waiting for the wake phrase, a grey outline while it opens, red and struck through when muted."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = QColor(theme.listen_color(mode))
    muted = mode == "muted"
    s = size / 64.0
    body = QRectF(22 * s, 6 * s, 20 * s, 34 * s)
    if mode == "starting":
        p.setPen(QPen(color, 3 * s))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(body.adjusted(1.5 * s, 1.5 * s, -1.5 * s, -1.5 * s), 8.5 * s, 8.5 * s)
    else:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawRoundedRect(body, 10 * s, 10 * s)
    pen = QPen(color, 4 * s)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    arc = QPainterPath()
    arc.arcMoveTo(QRectF(14 * s, 14 * s, 36 * s, 34 * s), 180)
    arc.arcTo(QRectF(14 * s, 14 * s, 36 * s, 34 * s), 180, 180)
    p.drawPath(arc)
    p.drawLine(32 * s, 48 * s, 32 * s, 58 * s)
    p.drawLine(22 * s, 58 * s, 42 * s, 58 * s)
    if mode == "waiting":  # ears open: two small waves either side of the top
        wave = QPen(color, 3 * s)
        wave.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(wave)
        p.drawArc(QRectF(4 * s, 6 * s, 14 * s, 22 * s), 120 * 16, 120 * 16)
        p.drawArc(QRectF(46 * s, 6 * s, 14 * s, 22 * s), -60 * 16, 120 * 16)
    if muted:
        p.setPen(QPen(QColor(theme.STATE_COLORS["muted"]), 5 * s))
        p.drawLine(10 * s, 10 * s, 54 * s, 54 * s)
    p.end()
    return QIcon(pix)


def capture_icon(size: int = 64) -> QIcon:
    """A red camera: the screen is being captured right now."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0
    red = QColor(theme.STATE_COLORS["error"])
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(red)
    p.drawRoundedRect(QRectF(6 * s, 18 * s, 52 * s, 36 * s), 6 * s, 6 * s)
    p.drawRect(QRectF(22 * s, 10 * s, 20 * s, 10 * s))
    p.setBrush(QColor(theme.ON_STATE))
    p.drawEllipse(QRectF(20 * s, 24 * s, 24 * s, 24 * s))
    p.setBrush(red)
    p.drawEllipse(QRectF(26 * s, 30 * s, 12 * s, 12 * s))
    p.end()
    return QIcon(pix)
