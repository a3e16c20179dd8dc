"""The conversation: the user's turns and the assistant's replies, streamed in as they are generated.

Each turn is a pair of bubbles, the user's on the right and the assistant's on the left, no wider than their text
or 80 % of the view; the reply is rendered Markdown (``ui.markdown_view``), tool calls and screen captures are chips
between them, and under the reply a footer holds its time, a Copy button and the "timing" toggle of the turn's
latency waterfall. Colours come from the theme (``ui.theme``): the rules below, and the palette when it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QLocale, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.markdown_view import CopyButton, MarkdownView, text_width
from ui.widgets import WaterfallChart

BUBBLE_SHARE = 0.8  # a bubble is at most this share of the conversation's width
ACCESSIBLE_CHARS = 200  # a bubble's accessible name quotes this much; its description has the rest


def _style_rules(p: theme.Palette) -> str:
    return f"""
#userBubble {{ background: {p.user_bubble}; border-radius: {theme.RADIUS}px; }}
#userBubble QLabel {{ color: {p.on_user_bubble}; }}
#assistantBubble {{ background: {p.assistant_bubble}; border: 1px solid {p.divider};
    border-radius: {theme.RADIUS}px; }}
#assistantBubble QLabel {{ color: {p.on_assistant_bubble}; }}
QLabel#chip {{ background: {p.chip}; color: {p.on_chip}; border-radius: 8px; padding: 2px 8px;
    font-size: {theme.font_size(theme.SMALL_PT)}; }}
QLabel#chip[failed="true"] {{ background: {p.chip_failed}; color: {p.on_chip_failed}; }}
QPushButton#timingToggle:checked {{ background: {p.user_bubble}; color: {p.on_user_bubble}; }}
"""


theme.add_rules(_style_rules)


def _clock(at: datetime) -> str:
    """A message's time as the conversation shows it: local, hours and minutes ("14:05")."""
    return at.astimezone().strftime("%H:%M")


def _full_time(at: datetime) -> str:
    return QLocale().toString(at.astimezone(), QLocale.FormatType.LongFormat)


def _quote(text: str) -> str:
    return text if len(text) <= ACCESSIBLE_CHARS else text[:ACCESSIBLE_CHARS] + "…"


class Bubble(QFrame):
    """A rounded frame as wide as its content needs (``content_width()``), at most ``limit`` pixels."""

    def __init__(self, name: str, content_width: Callable[[], int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._content_width = content_width
        self.limit = 0  # set by the turn from its width; 0: not laid out yet
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(theme.MARGIN, theme.SPACE, theme.MARGIN, theme.SPACE)
        self.body.setSpacing(theme.SPACE)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def set_limit(self, limit: int) -> None:
        if limit != self.limit:
            self.limit = limit
            self.setMaximumWidth(limit)
            self.updateGeometry()

    def sizeHint(self) -> QSize:
        margins = self.body.contentsMargins()
        width = self._content_width() + margins.left() + margins.right() + 2 * self.frameWidth()
        if self.limit:
            width = min(width, self.limit)
        width = max(width, self.minimumSizeHint().width())
        return QSize(width, self.heightForWidth(width) if self.hasHeightForWidth() else super().sizeHint().height())


class TurnWidget(QFrame):
    """One exchange: the question, chips for tool calls and captures, the reply (rendered Markdown), a status line
    and, once the turn ends, its latency waterfall (behind the "timing" toggle)."""

    changed = Signal()  # the turn grew: the view follows it

    def __init__(self, turn_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.turn_id = turn_id
        self.question = ""
        self.reply = ""
        self.question_at: datetime | None = None
        self.reply_at: datetime | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, theme.SPACE // 2, 0, theme.SPACE // 2)
        layout.setSpacing(theme.SPACE // 2)

        self.question_label = QLabel("…")
        self.question_label.setWordWrap(True)
        self.question_label.setTextFormat(Qt.TextFormat.PlainText)
        self.question_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._question_width = 0  # measured when the question changes, not at every layout pass
        self.user_bubble = Bubble("userBubble", lambda: self._question_width)
        self.user_bubble.body.addWidget(self.question_label)
        self.question_time = QLabel()
        theme.set_role(self.question_time, "hint")
        self.question_time.hide()
        layout.addLayout(self._row(self.user_bubble, right=True))
        layout.addWidget(self.question_time, 0, Qt.AlignmentFlag.AlignRight)

        self.tools_row = QVBoxLayout()  # a chip per tool call and capture, and a question waiting for the user's yes
        self.tools_row.setSpacing(theme.SPACE // 2)
        layout.addLayout(self.tools_row)

        self.reply_view = MarkdownView()
        self.reply_view.rendered.connect(self._reply_rendered)
        self.reply_label = self.reply_view  # the name the rest of the app knew it by; ``text()`` is the Markdown
        self.assistant_bubble = Bubble("assistantBubble", self.reply_view.natural_width)
        self.assistant_bubble.body.addWidget(self.reply_view)
        self.assistant_bubble.hide()
        layout.addLayout(self._row(self.assistant_bubble, right=False))

        self.footer = QWidget()
        footer = QHBoxLayout(self.footer)
        footer.setContentsMargins(theme.SPACE // 2, 0, 0, 0)
        footer.setSpacing(theme.SPACE)
        self.reply_time = QLabel()
        theme.set_role(self.reply_time, "hint")
        self.copy_button = CopyButton(lambda: self.reply, self.tr("Copy the reply"))
        theme.set_role(self.copy_button, "link")
        self.timing_button = QPushButton(self.tr("timing"))
        self.timing_button.setObjectName("timingToggle")
        self.timing_button.setCheckable(True)
        self.timing_button.setAccessibleName(self.tr("Show timing"))
        self.timing_button.setToolTip(self.tr("Show where this turn's time went"))
        self.timing_button.setAutoDefault(False)
        theme.set_role(self.timing_button, "link")
        self.timing_button.toggled.connect(self._show_timing)
        self.timing_button.hide()
        footer.addWidget(self.reply_time)
        footer.addWidget(self.copy_button)
        footer.addWidget(self.timing_button)
        footer.addStretch(1)
        self.footer.hide()
        layout.addWidget(self.footer)

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        theme.set_role(self.status_label, "hint")
        self.status_label.hide()
        layout.addWidget(self.status_label)
        self.waterfall: WaterfallChart | None = None
        self.tool_chips: dict[int, QLabel] = {}
        self.capture_chips: list[QLabel] = []
        self.confirmation: QWidget | None = None

    @staticmethod
    def _row(bubble: QWidget, right: bool) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        if right:
            row.addStretch(1)
        row.addWidget(bubble)
        if not right:
            row.addStretch(1)
        return row

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        limit = int(self.width() * BUBBLE_SHARE)
        self.user_bubble.set_limit(limit)
        self.assistant_bubble.set_limit(limit)

    def _chip(self, text: str, accessible_name: str) -> QLabel:
        chip = QLabel(text)
        chip.setObjectName("chip")
        chip.setAccessibleName(accessible_name)
        chip.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.tools_row.addWidget(chip, 0, Qt.AlignmentFlag.AlignLeft)
        self.changed.emit()
        return chip

    def add_tool_call(self, call_id: int, tool: str, arguments: dict) -> None:
        """A chip for a tool call ("⚙ units.convert 10 miles → kilometres"), filled in when it finishes."""
        shown = ", ".join(f"{v}" for v in arguments.values() if v not in ("", None))
        self.tool_chips[call_id] = self._chip(f"⚙ {tool}" + (f" · {shown}" if shown else ""),
                                              self.tr("Tool call: {tool}").format(tool=tool))

    def finish_tool_call(self, call_id: int, ok: bool, say: str) -> None:
        chip = self.tool_chips.get(call_id)
        if chip is None:
            return
        chip.setText(("✓ " if ok else "✗ ") + chip.text().removeprefix("⚙ "))
        chip.setToolTip(say)
        if not ok:
            chip.setProperty("failed", True)
            chip.style().unpolish(chip)
            chip.style().polish(chip)

    def add_capture(self, text: str) -> QLabel:
        """A chip for a screen capture the question is about ("📷 Captured screen (64×48)")."""
        chip = self._chip(text, self.tr("Screen capture: {what}").format(what=text))
        self.capture_chips.append(chip)
        return chip

    def ask_confirmation(self, prompt: str, answer: Callable[[bool], None]) -> None:
        """The question before a tool that changes something, with Yes and No (or say "yes")."""
        self.close_confirmation()
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        label = QLabel(prompt)
        label.setWordWrap(True)
        yes, no = QPushButton(self.tr("Yes")), QPushButton(self.tr("No"))
        yes.setAccessibleName(self.tr("Yes: {question}").format(question=prompt))
        no.setAccessibleName(self.tr("No: {question}").format(question=prompt))
        for button, allow in ((yes, True), (no, False)):
            button.clicked.connect(lambda _=False, allow=allow: (self.close_confirmation(), answer(allow)))
            button.setAutoDefault(False)
        row.addWidget(label, 1)
        row.addWidget(yes)
        row.addWidget(no)
        self.confirmation = box
        self.tools_row.addWidget(box)
        self.changed.emit()

    def close_confirmation(self) -> None:
        if self.confirmation is not None:
            self.confirmation.hide()
            self.confirmation.deleteLater()
            self.confirmation = None

    def set_question(self, text: str, at: datetime | None = None) -> None:
        """The user's words; the time is ``at`` (a past turn's) or when they first show."""
        self.question = text
        self.question_label.setText(text)
        self._question_width = text_width(text, self.question_label.font(), rich=False)
        if at is not None or self.question_at is None:
            self.question_at = at or datetime.now().astimezone()
            self.question_time.setText(_clock(self.question_at))
            self.question_time.setToolTip(_full_time(self.question_at))
            self.question_time.show()
        self.user_bubble.setAccessibleName(self.tr("You said: {text}").format(text=_quote(text)))
        self.user_bubble.setAccessibleDescription(text)
        self.user_bubble.updateGeometry()

    def append_reply(self, text: str) -> None:
        """A streamed piece of the reply (rendered a moment later, with the pieces after it)."""
        self._set_reply(self.reply + text, now=False)

    def set_reply(self, text: str, at: datetime | None = None) -> None:
        """The whole reply, rendered at once; the time is ``at`` (a past turn's) or when it first showed."""
        if at is not None:
            self.reply_at = at
        self._set_reply(text, now=True)

    def _set_reply(self, text: str, now: bool) -> None:
        self.reply = text
        if text and self.reply_at is None:
            self.reply_at = datetime.now().astimezone()
        self.reply_view.set_markdown(text, now=now)
        self.assistant_bubble.setAccessibleName(self.tr("Assistant: {text}").format(text=_quote(text)))
        self.assistant_bubble.setAccessibleDescription(text)

    def _reply_rendered(self) -> None:
        shown = bool(self.reply)
        self.assistant_bubble.setVisible(shown)
        self.copy_button.setVisible(shown)
        if self.reply_at is not None:
            self.reply_time.setText(_clock(self.reply_at))
            self.reply_time.setToolTip(_full_time(self.reply_at))
        self.reply_time.setVisible(shown and self.reply_at is not None)
        self.footer.setVisible(shown or self.waterfall is not None)
        self.assistant_bubble.updateGeometry()
        self.changed.emit()

    def set_status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        theme.set_role(self.status_label, "error" if error else "hint")
        self.status_label.setVisible(bool(text))

    def set_timings(self, timings_ms: dict) -> None:
        """The turn's latency waterfall, behind the footer's "timing" toggle (hidden until asked for)."""
        if self.waterfall is not None or not timings_ms:
            return
        chart = WaterfallChart(timings_ms, self)
        if not chart.steps:
            chart.deleteLater()
            return
        self.waterfall = chart
        chart.setVisible(self.timing_button.isChecked())
        self.layout().addWidget(chart)
        self.timing_button.show()
        self.footer.show()

    def _show_timing(self, shown: bool) -> None:
        self.timing_button.setAccessibleName(self.tr("Hide timing") if shown else self.tr("Show timing"))
        if self.waterfall is not None:
            self.waterfall.setVisible(shown)
            self.changed.emit()


class ConversationView(QScrollArea):
    """A scrolling column of turns; keeps the newest in view while the user has not scrolled away."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # bubbles wrap to the width
        self._content = QWidget()
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(theme.MARGIN, theme.MARGIN, theme.MARGIN, theme.MARGIN)
        self._layout.setSpacing(theme.SPACE)
        self._layout.addStretch(1)
        self.setWidget(self._content)
        self.turns: dict[int, TurnWidget] = {}
        self._past = -1  # keys for turns loaded from history (negative, never a live turn id)
        self.placeholder = QLabel(self.tr("Ask anything: type below, click the microphone, or press the hotkey."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        theme.set_role(self.placeholder, "status")
        self._layout.insertWidget(0, self.placeholder)

    def turn(self, turn_id: int) -> TurnWidget:
        widget = self.turns.get(turn_id)
        if widget is None:
            self.placeholder.hide()
            widget = self.turns[turn_id] = TurnWidget(turn_id)
            widget.changed.connect(self.follow)
            self._layout.insertWidget(self._layout.count() - 1, widget)
            self.follow()
        return widget

    def has_turn(self, turn_id: int) -> bool:
        return turn_id in self.turns

    def add_past_turn(self, question: str, reply: str, status: str = "", at: datetime | None = None) -> TurnWidget:
        """A turn from the history; ``at`` is when it was asked (both bubbles show that time)."""
        widget = self.turn(self._past)
        self._past -= 1
        widget.set_question(question, at)
        widget.set_reply(reply, at)
        widget.set_status(status)
        return widget

    def clear(self) -> None:
        for widget in self.turns.values():
            widget.deleteLater()
        self.turns.clear()
        self.placeholder.show()

    def follow(self) -> None:
        """Scroll to the newest text once the layout has settled, unless the user scrolled up to read."""
        bar = self.verticalScrollBar()
        if bar.maximum() - bar.value() < 80:
            QTimer.singleShot(0, lambda: bar.setValue(bar.maximum()))
