"""A reply's Markdown as the conversation shows it: prose as Qt rich text, code blocks highlighted by Pygments.

``segments(source, palette)`` parses with markdown-it (CommonMark and tables, raw HTML off: a model's ``<script>``
shows as text) and splits the reply at its top-level code blocks; ``MarkdownView`` shows the segments, a selectable
label per prose segment and a ``CodeBlock`` (language, a Copy button, the highlighted code) per code block, and
renders again when the theme changes. Qt's rich text is a subset of HTML and CSS, so the HTML made here keeps to
what it draws: paragraphs, lists, tables with cell borders, ``<pre>`` and ``<code>`` with inline styles.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QTextDocument
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QTextEdit, QVBoxLayout, QWidget

from ui import theme

RENDER_MS = 50  # while a reply streams in, render at most this often (a token arrives every few ms)
COPIED_MS = 1500  # how long a Copy button says "Copied"


def _style_rules(p: theme.Palette) -> str:
    return f"""
#codeBlock {{ background: {p.code}; border: 1px solid {p.divider}; border-radius: 6px; }}
#codeBlock QLabel {{ color: {p.muted}; font-size: {theme.font_size(theme.SMALL_PT)}; }}
#codeBlock QTextEdit {{ background: {p.code}; color: {p.text}; border: 2px solid transparent; border-radius: 4px;
    padding: 0px; }}
#codeBlock QTextEdit:focus {{ border-color: {p.accent}; }}
"""


theme.add_rules(_style_rules)


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a reply: ``prose`` (``text`` is Qt rich-text HTML) or ``code`` (``text`` is the code itself)."""

    kind: str
    text: str
    language: str = ""


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    # Qt's rich text has no style sheet for these: their look goes inline, in the palette given in ``env``.
    md.add_render_rule("code_inline", _code_inline)
    md.add_render_rule("fence", _nested_code)
    md.add_render_rule("code_block", _nested_code)
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("image", _image)
    return md


def _code_inline(self, tokens, idx, options, env) -> str:
    p: theme.Palette = env["palette"]
    return f'<code style="background-color: {p.code}; color: {p.text};">{html.escape(tokens[idx].content)}</code>'


def _nested_code(self, tokens, idx, options, env) -> str:
    """A code block inside a list or a quote stays in its prose, highlighted (top-level ones become CodeBlocks)."""
    token = tokens[idx]
    code = _strip_fence_newline(token.content)
    return highlighted_html(code, _info_language(token.info), env["palette"]) + "\n"


def _table_open(self, tokens, idx, options, env) -> str:
    p: theme.Palette = env["palette"]
    return (f'<table border="1" cellspacing="0" cellpadding="4" style="border-collapse: collapse; '
            f'border-color: {p.border};">\n')


def _image(self, tokens, idx, options, env) -> str:
    """An image as a link to it: Qt would load a local path the reply names, and a reply must not show files."""
    token = tokens[idx]
    src = token.attrGet("src") or ""
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{html.escape(src)}">{html.escape(alt)}</a>'


_MD = _parser()


def _info_language(info: str) -> str:
    return info.strip().split(maxsplit=1)[0] if info.strip() else ""


def _strip_fence_newline(content: str) -> str:
    # The line break before the closing fence ends the last line; it is not part of the code.
    return content[:-1] if content.endswith("\n") else content


def segments(source: str, palette: theme.Palette) -> list[Segment]:
    """``source`` (Markdown) split into prose and top-level code blocks, in order. An unclosed fence (a reply still
    streaming) is a code block to the end, as CommonMark says."""
    env = {"palette": palette}
    tokens = _MD.parse(source, env)
    out: list[Segment] = []
    start = 0
    for i, token in enumerate(tokens):
        if token.level == 0 and token.type in ("fence", "code_block"):
            if i > start:
                out.append(Segment("prose", _MD.renderer.render(tokens[start:i], _MD.options, env).strip()))
            out.append(Segment("code", _strip_fence_newline(token.content), _info_language(token.info)))
            start = i + 1
    if start < len(tokens):
        out.append(Segment("prose", _MD.renderer.render(tokens[start:], _MD.options, env).strip()))
    return out


def _lexer(language: str):
    options = {"stripnl": False, "ensurenl": False}  # the code exactly as written: no lines added or dropped
    try:
        return get_lexer_by_name(language, **options) if language else TextLexer(**options)
    except ClassNotFound:
        return TextLexer(**options)


def language_name(language: str) -> str:
    """The name shown over a code block: the lexer's ("Python" for ``py``), else what the fence said."""
    lexer = _lexer(language)
    return language if isinstance(lexer, TextLexer) else lexer.name


def highlighted_html(code: str, language: str, palette: theme.Palette) -> str:
    """``code`` as a ``<pre>`` coloured by the palette's Pygments style, every colour inline (Qt's rich text reads
    no external CSS)."""
    formatter = HtmlFormatter(style=palette.pygments_style, noclasses=True, nowrap=True)
    spans = highlight(code, _lexer(language), formatter) if code else ""
    return (f'<pre style="margin: 0; background-color: {palette.code}; color: {palette.text};">{spans}</pre>')


def text_width(text: str, font: QFont, rich: bool) -> int:
    """The width ``text`` takes on one line per paragraph (a bubble is no wider than that)."""
    doc = QTextDocument()
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    if rich:
        doc.setHtml(text)
    else:
        doc.setPlainText(text)
    return math.ceil(doc.idealWidth()) + 4  # a few pixels so that the last word does not wrap


class CopyButton(QPushButton):
    """"Copy": puts ``text()`` of its source on the clipboard, and says "Copied" for a moment."""

    def __init__(self, source, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self.setText(self.tr("Copy"))
        self.setAccessibleName(accessible_name)
        self.setToolTip(accessible_name)
        self.setAutoDefault(False)
        self._reset = QTimer(self, singleShot=True, interval=COPIED_MS)
        self._reset.timeout.connect(lambda: self.setText(self.tr("Copy")))
        self.clicked.connect(self._copy)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._source())
        self.setText(self.tr("Copied"))
        self._reset.start()


class CodeBlock(QFrame):
    """A code block: a header with the language and a Copy button, the highlighted code below (selectable,
    monospace, scrolling sideways rather than wrapping)."""

    def __init__(self, code: str = "", language: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeBlock")
        self.code = ""
        self.language = ""
        self.html = ""
        self.language_label = QLabel()
        self.copy_button = CopyButton(lambda: self.code, self.tr("Copy the code"))
        self.view = QTextEdit()
        self.view.setReadOnly(True)
        self.view.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
        self.view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setTabChangesFocus(True)  # Tab moves on to the next control instead of being swallowed
        self.view.document().setDocumentMargin(theme.SPACE // 2)
        self.view.document().documentLayout().documentSizeChanged.connect(lambda _size: self._fit())
        header = QHBoxLayout()
        header.setContentsMargins(theme.SPACE, theme.SPACE // 2, theme.SPACE // 2, 0)
        header.addWidget(self.language_label, 1)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, theme.SPACE // 2)
        layout.setSpacing(theme.SPACE // 2)
        layout.addLayout(header)
        layout.addWidget(self.view)
        self.set_code(code, language)

    def text(self) -> str:
        """The code, exactly (what Copy puts on the clipboard)."""
        return self.code

    def set_code(self, code: str, language: str, palette: theme.Palette | None = None) -> None:
        palette = palette or theme.current()
        markup = highlighted_html(code, language, palette)
        if (code, language, markup) == (self.code, self.language, self.html):
            return  # unchanged while another part of the reply streams in: keep the user's selection
        self.code, self.language, self.html = code, language, markup
        name = language_name(language) or self.tr("Code")
        self.language_label.setText(name)
        self.view.setAccessibleName(self.tr("Code: {language}").format(language=name))
        self.view.setHtml(markup)
        self._fit()

    def natural_width(self) -> int:
        """The width that shows the longest line without scrolling."""
        doc = self.view.document()
        return math.ceil(doc.idealWidth()) + 2 * self.view.frameWidth() + 8

    def _fit(self) -> None:
        """As tall as the code (and its scroll bar when the lines are wider than the block): the conversation
        scrolls, not each block."""
        doc = self.view.document()
        height = math.ceil(doc.size().height()) + 2 * self.view.frameWidth()
        if doc.idealWidth() > self.view.viewport().width():
            height += self.view.horizontalScrollBar().sizeHint().height()
        if self.view.height() != height:
            self.view.setFixedHeight(height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()


class MarkdownView(QWidget):
    """A reply rendered from Markdown: a selectable label per prose segment, a ``CodeBlock`` per code block.

    ``set_markdown`` while streaming renders on a short timer (every delta would re-parse the whole reply);
    ``now=True`` renders at once. ``rendered`` is emitted after each render."""

    rendered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = ""
        self.parts: list[QWidget] = []  # QLabel (prose) and CodeBlock, in order
        self._natural: int | None = None  # natural_width(), measured once per render
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(theme.SPACE)
        self._timer = QTimer(self, singleShot=True, interval=RENDER_MS)
        self._timer.timeout.connect(self.render)
        theme.notifier().changed.connect(self._theme_changed)

    def text(self) -> str:
        """The Markdown source shown."""
        return self.source

    def set_markdown(self, source: str, now: bool = False) -> None:
        self.source = source
        if now:
            self.render()
        elif not self._timer.isActive():  # coalesce: one render for all the deltas of the next RENDER_MS
            self._timer.start()

    def code_blocks(self) -> list[CodeBlock]:
        return [part for part in self.parts if isinstance(part, CodeBlock)]

    def prose_labels(self) -> list[QLabel]:
        return [part for part in self.parts if isinstance(part, QLabel)]

    def render(self) -> None:
        """Show ``source`` now, reusing the widgets of segments that are still there (their selection stays)."""
        self._timer.stop()
        palette = theme.current()
        wanted = segments(self.source, palette)
        for i, segment in enumerate(wanted):
            part = self.parts[i] if i < len(self.parts) else None
            kind = CodeBlock if segment.kind == "code" else QLabel
            if not isinstance(part, kind):
                if part is not None:
                    self._drop(i)
                part = CodeBlock() if segment.kind == "code" else self._prose_label()
                self.parts.insert(i, part)
                self._layout.insertWidget(i, part)
            if isinstance(part, CodeBlock):
                part.set_code(segment.text, segment.language, palette)
            elif part.text() != segment.text:
                part.setText(segment.text)
        while len(self.parts) > len(wanted):
            self._drop(len(self.parts) - 1)
        self._natural = None
        self.rendered.emit()

    def natural_width(self) -> int:
        """The width the reply takes without wrapping its prose or scrolling its code."""
        if self._natural is None:
            widths = [text_width(p.text(), p.font(), rich=True) for p in self.prose_labels()]
            widths += [block.natural_width() for block in self.code_blocks()]
            self._natural = max(widths, default=0)
        return self._natural

    def _prose_label(self) -> QLabel:
        label = QLabel()
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        label.setOpenExternalLinks(False)  # a reply must not open URLs behind the user's back
        label.linkHovered.connect(label.setToolTip)  # where a link goes, before anyone decides to follow it
        return label

    def _drop(self, index: int) -> None:
        part = self.parts.pop(index)
        self._layout.removeWidget(part)
        part.hide()
        part.deleteLater()

    def _theme_changed(self, _palette) -> None:
        if self.source:
            self.render()
