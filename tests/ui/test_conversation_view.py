"""The conversation's bubbles on real widgets (offscreen): Markdown rendered, code highlighted and copyable, raw
HTML shown as text, streaming coalesced, the bubbles' sides, the timing toggle, capture chips and theme switches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pygments.styles import get_style_by_name
from pygments.token import Keyword
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QPushButton

from ui import theme
from ui.conversation_view import ConversationView
from ui.markdown_view import CodeBlock, MarkdownView

CODE = 'def greet(name):\n    return f"<b>{name}</b>"'
REPLY = f"""Here is **bold** text and `inline()` code:

- first
- second

| tool | use |
|------|-----|
| ruff | lint |

```python
{CODE}
```

That's all."""


@pytest.fixture
def themed(qapp):
    """The app in the light theme, as the app starts it; the app's look is put back afterwards."""
    sheet, palette = qapp.styleSheet(), qapp.palette()
    theme.apply(qapp, "light")
    yield qapp
    theme.apply(qapp, "light")
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


@pytest.fixture
def view(qtbot, themed):
    widget = ConversationView()
    qtbot.addWidget(widget)
    widget.resize(700, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def keyword_color(style: str) -> str:
    return "#" + get_style_by_name(style).style_for_token(Keyword)["color"].lower()


def fragment_colors(block: CodeBlock) -> set[str]:
    """The foreground colours the code view's document really draws its text in."""
    colors = set()
    text_block = block.view.document().begin()
    while text_block.isValid():
        it = text_block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.hasProperty(fmt.Property.ForegroundBrush):
                colors.add(fmt.foreground().color().name())
            it += 1
        text_block = text_block.next()
    return colors


def test_markdown_renders_lists_bold_tables_and_inline_code(view):
    turn = view.turn(1)
    turn.set_question("What tools?")
    turn.set_reply(REPLY)
    prose = [label.text() for label in turn.reply_view.prose_labels()]
    assert len(prose) == 2 and "That's all." in prose[1]
    html = prose[0]
    assert "<strong>bold</strong>" in html
    assert "<li>first</li>" in html and "<li>second</li>" in html
    assert "<table" in html and "<td>ruff</td>" in html
    assert f'<code style="background-color: {theme.LIGHT.code};' in html and "inline()" in html
    assert turn.reply_label.text() == REPLY  # the reply as written, for whoever reads it back


def test_a_fenced_block_is_a_highlighted_code_block_with_exactly_the_code(view):
    turn = view.turn(1)
    turn.set_reply(REPLY)
    [block] = turn.reply_view.code_blocks()
    assert block.text() == CODE and block.view.toPlainText() == CODE
    assert block.language_label.text() == "Python"
    light = keyword_color(theme.LIGHT.pygments_style)
    assert light in block.html.lower() and light in fragment_colors(block)
    assert "&lt;b&gt;" in block.html  # the code's own markup is code, not formatting


def test_copy_buttons_put_exactly_the_code_and_the_whole_reply_on_the_clipboard(view, qtbot):
    turn = view.turn(1)
    turn.set_reply(REPLY)
    clipboard = QGuiApplication.clipboard()
    [block] = turn.reply_view.code_blocks()
    assert block.copy_button.accessibleName() == "Copy the code"
    clipboard.setText("something else")
    block.copy_button.click()
    assert clipboard.text() == CODE
    assert turn.copy_button.accessibleName() == "Copy the reply"
    turn.copy_button.click()
    assert clipboard.text() == REPLY
    assert turn.copy_button.text() == "Copied"
    qtbot.waitUntil(lambda: turn.copy_button.text() == "Copy")


def test_raw_html_in_a_reply_shows_as_text_and_links_do_not_open(view):
    turn = view.turn(1)
    turn.set_reply('<script>alert("x")</script> and <b>not bold</b> [site](https://example.org) ![pic](/etc/x.png)')
    [label] = turn.reply_view.prose_labels()
    html = label.text()
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "<img" not in html  # an image is a link to it: nothing is loaded from the path the reply names
    assert not label.openExternalLinks()


def test_streamed_deltas_with_an_unclosed_fence_end_in_the_right_segments(view, qtbot):
    turn = view.turn(1)
    turn.set_question("show me")
    pieces = ["Sure:\n\n", "```py", "thon\nx = ", "1\n", "print(x)"]
    for piece in pieces:
        turn.append_reply(piece)
    assert turn.reply == "".join(pieces)
    # Coalesced: one render after the deltas, with the fence still open (a code block to the end).
    qtbot.waitUntil(lambda: len(turn.reply_view.code_blocks()) == 1)
    [block] = turn.reply_view.code_blocks()
    assert block.text() == "x = 1\nprint(x)" and block.language == "python"
    assert [type(p).__name__ for p in turn.reply_view.parts] == ["QLabel", "CodeBlock"]
    final = "Sure:\n\n```python\nx = 1\nprint(x)\n```\n\nDone."
    turn.set_reply(final)  # at once, no waiting
    assert [type(p).__name__ for p in turn.reply_view.parts] == ["QLabel", "CodeBlock", "QLabel"]
    assert turn.reply_view.code_blocks()[0] is block and block.text() == "x = 1\nprint(x)"
    assert "Done." in turn.reply_view.prose_labels()[1].text()


def test_the_users_bubble_is_on_the_right_and_the_assistants_on_the_left(view, qtbot):
    turn = view.turn(1)
    turn.set_question("Hi there")
    turn.set_reply("Hello!")
    qtbot.waitUntil(lambda: turn.assistant_bubble.isVisible() and turn.user_bubble.width() < turn.width() * 0.8)
    user = turn.user_bubble.geometry()
    assistant = turn.assistant_bubble.geometry()
    assert user.left() > assistant.right()  # short messages stay compact, on opposite sides
    assert turn.width() - user.right() < 4 and assistant.left() < 4
    assert turn.user_bubble.accessibleName() == "You said: Hi there"
    assert turn.assistant_bubble.accessibleName() == "Assistant: Hello!"


def test_a_long_reply_is_at_most_four_fifths_of_the_view(view, qtbot):
    turn = view.turn(1)
    turn.set_reply("word " * 400)
    qtbot.waitUntil(lambda: turn.assistant_bubble.isVisible() and turn.assistant_bubble.limit > 0)
    qtbot.waitUntil(lambda: turn.assistant_bubble.width() > turn.width() * 0.7)
    assert turn.assistant_bubble.width() <= int(turn.width() * 0.8)


def test_messages_show_their_time_and_past_turns_the_stored_one(view, qtbot):
    turn = view.turn(1)
    before = datetime.now().astimezone().strftime("%H:%M")
    turn.set_question("now?")
    after = datetime.now().astimezone().strftime("%H:%M")
    assert turn.question_time.text() in {before, after}  # taken when the message first showed
    asked = datetime(2024, 3, 5, 13, 7, tzinfo=UTC)
    past = view.add_past_turn("then?", "Then.", "", asked)
    local = asked.astimezone().strftime("%H:%M")
    assert past.question_time.text() == local and past.reply_time.text() == local
    assert past.question_time.property("role") == "hint"
    qtbot.waitUntil(past.reply_time.isVisible)


def test_the_timing_toggle_shows_and_hides_the_waterfall(view, qtbot):
    turn = view.turn(1)
    turn.set_reply("Done.")
    assert turn.timing_button.isHidden()  # no timings yet: nothing to show
    turn.set_timings({"llm_first_token": 300.0, "first_audio": 900.0})
    assert turn.waterfall is not None and turn.waterfall.isHidden()  # hidden by default
    qtbot.waitUntil(turn.timing_button.isVisible)
    assert turn.timing_button.accessibleName() == "Show timing"
    turn.timing_button.click()
    qtbot.waitUntil(turn.waterfall.isVisible)
    assert turn.timing_button.accessibleName() == "Hide timing"
    turn.timing_button.click()
    assert turn.waterfall.isHidden()


def test_tool_calls_and_captures_are_chips_in_the_turn(view, qtbot):
    turn = view.turn(1)
    turn.add_tool_call(1, "maths.calculate", {"expression": "2+2"})
    turn.finish_tool_call(1, False, "It failed.")
    chip = turn.add_capture("📷 Captured screen (64×48)")
    qtbot.waitUntil(chip.isVisible)
    assert turn.capture_chips == [chip]
    assert chip.objectName() == "chip" and chip.accessibleName() == "Screen capture: 📷 Captured screen (64×48)"
    failed = turn.tool_chips[1]
    assert failed.text().startswith("✗ maths.calculate") and failed.property("failed") is True
    assert turn.status_label.isHidden()  # a capture is no longer a status line


def test_every_button_has_a_name_and_takes_the_keyboard(view):
    turn = view.turn(1)
    turn.set_reply(REPLY)
    turn.set_timings({"llm_first_token": 300.0})
    buttons = turn.findChildren(QPushButton)
    assert len(buttons) == 3  # the code's Copy, the reply's Copy, timing
    for button in buttons:
        assert button.accessibleName() and button.focusPolicy().value & Qt.FocusPolicy.TabFocus.value


def sample(widget) -> QColor:
    """The colour the widget paints just inside its top edge, in the middle (its background, not its text)."""
    image = widget.grab().toImage()
    return image.pixelColor(image.width() // 2, 4)


def test_switching_theme_recolours_bubbles_and_rehighlights_code(view, themed, qtbot):
    turn = view.turn(1)
    turn.set_question("Hi")
    turn.set_reply(REPLY)
    qtbot.waitUntil(lambda: turn.assistant_bubble.isVisible())
    assert sample(turn.assistant_bubble).name() == theme.LIGHT.assistant_bubble
    assert sample(turn.user_bubble).name() == theme.LIGHT.user_bubble
    [block] = turn.reply_view.code_blocks()

    theme.apply(themed, "dark")
    assert sample(turn.assistant_bubble).name() == theme.DARK.assistant_bubble
    assert sample(turn.user_bubble).name() == theme.DARK.user_bubble
    assert turn.reply_view.code_blocks() == [block]  # the same block, its code highlighted again
    dark, light = keyword_color(theme.DARK.pygments_style), keyword_color(theme.LIGHT.pygments_style)
    assert dark in block.html.lower() and light not in block.html.lower()
    assert dark in fragment_colors(block)
    assert theme.DARK.code in turn.reply_view.prose_labels()[0].text()  # inline code too


def test_a_markdown_view_alone_renders_on_demand(qtbot, themed):
    view = MarkdownView()
    qtbot.addWidget(view)
    view.set_markdown("*hi*", now=True)
    assert view.prose_labels()[0].text() == "<p><em>hi</em></p>"
    view.set_markdown("")
    qtbot.waitUntil(lambda: view.parts == [])
