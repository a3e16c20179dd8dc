"""The conversation: the user's turns and the assistant's replies, streamed in as they are generated."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from ui.theme import set_role
from ui.widgets import WaterfallChart

USER_STYLE = "QLabel { background: #e8f0fe; border-radius: 10px; padding: 8px 10px; }"
ASSISTANT_STYLE = "QLabel { background: #f4f5f7; border-radius: 10px; padding: 8px 10px; }"
TOOL_STYLE = "QLabel { background: #eef6ee; border: 1px solid #cfe3cf; border-radius: 8px; padding: 2px 8px; " \
             "color: #2f5d34; font-size: 11px; }"
TOOL_FAILED_STYLE = "QLabel { background: #fbeeee; border: 1px solid #eccaca; border-radius: 8px; padding: 2px 8px; " \
                    "color: #8a2c2c; font-size: 11px; }"


def _bubble(style: str, markdown: bool) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.MarkdownText if markdown else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.LinksAccessibleByMouse)
    label.setOpenExternalLinks(False)  # a reply must not open URLs behind the user's back
    label.setStyleSheet(style)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return label


class TurnWidget(QFrame):
    """One exchange: the question, the reply (Markdown: code blocks and lists render), a status line and,
    once the turn ends, its latency waterfall."""

    def __init__(self, turn_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.turn_id = turn_id
        self.question = ""
        self.reply = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(4)
        self.question_label = _bubble(USER_STYLE, markdown=False)
        self.question_label.setText("…")
        self.reply_label = _bubble(ASSISTANT_STYLE, markdown=True)
        self.reply_label.hide()
        self.status_label = QLabel()
        set_role(self.status_label, "hint")
        self.status_label.hide()
        self.tools_row = QVBoxLayout()  # a chip per tool call, and a question waiting for the user's yes
        self.tools_row.setSpacing(2)
        layout.addWidget(self.question_label)
        layout.addLayout(self.tools_row)
        layout.addWidget(self.reply_label)
        layout.addWidget(self.status_label)
        self.waterfall: WaterfallChart | None = None
        self.tool_chips: dict[int, QLabel] = {}
        self.confirmation: QWidget | None = None

    def add_tool_call(self, call_id: int, tool: str, arguments: dict) -> None:
        """A chip for a tool call ("⚙ units.convert 10 miles → kilometres"), filled in when it finishes."""
        shown = ", ".join(f"{v}" for v in arguments.values() if v not in ("", None))
        chip = QLabel(f"⚙ {tool}" + (f" · {shown}" if shown else ""))
        chip.setStyleSheet(TOOL_STYLE)
        chip.setAccessibleName(self.tr("Tool call: {tool}").format(tool=tool))
        chip.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.tool_chips[call_id] = chip
        self.tools_row.addWidget(chip)

    def finish_tool_call(self, call_id: int, ok: bool, say: str) -> None:
        chip = self.tool_chips.get(call_id)
        if chip is None:
            return
        chip.setText(("✓ " if ok else "✗ ") + chip.text().removeprefix("⚙ "))
        chip.setToolTip(say)
        if not ok:
            chip.setStyleSheet(TOOL_FAILED_STYLE)

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

    def close_confirmation(self) -> None:
        if self.confirmation is not None:
            self.confirmation.hide()
            self.confirmation.deleteLater()
            self.confirmation = None

    def set_question(self, text: str) -> None:
        self.question = text
        self.question_label.setText(text)

    def append_reply(self, text: str) -> None:
        self.set_reply(self.reply + text)

    def set_reply(self, text: str) -> None:
        self.reply = text
        self.reply_label.setText(text)
        self.reply_label.setVisible(bool(text))

    def set_status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"QLabel {{ color: {'#b23b3b' if error else '#8a8f98'}; font-size: 11px; }}")
        self.status_label.setVisible(bool(text))

    def set_timings(self, timings_ms: dict) -> None:
        if self.waterfall is not None or not timings_ms:
            return
        chart = WaterfallChart(timings_ms, self)
        if chart.steps:
            self.waterfall = chart
            self.layout().addWidget(chart)
        else:
            chart.deleteLater()


class ConversationView(QScrollArea):
    """A scrolling column of turns; keeps the newest in view while the user has not scrolled away."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._content = QWidget()
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(12, 12, 12, 12)
        self._layout.addStretch(1)
        self.setWidget(self._content)
        self.turns: dict[int, TurnWidget] = {}
        self._past = -1  # keys for turns loaded from history (negative, never a live turn id)
        self.placeholder = QLabel(self.tr("Ask anything: type below, click the microphone, or press the hotkey."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("QLabel { color: #8a8f98; }")
        self._layout.insertWidget(0, self.placeholder)

    def turn(self, turn_id: int) -> TurnWidget:
        widget = self.turns.get(turn_id)
        if widget is None:
            self.placeholder.hide()
            widget = self.turns[turn_id] = TurnWidget(turn_id)
            self._layout.insertWidget(self._layout.count() - 1, widget)
            self.follow()
        return widget

    def has_turn(self, turn_id: int) -> bool:
        return turn_id in self.turns

    def add_past_turn(self, question: str, reply: str, status: str = "") -> TurnWidget:
        widget = self.turn(self._past)
        self._past -= 1
        widget.set_question(question)
        widget.set_reply(reply)
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
