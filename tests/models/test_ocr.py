"""The real OCR model (RapidOCR, its PP-OCR models from the wheel) on rendered screens with known text."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from assistant.contracts.screen import ScreenImage
from assistant.screen_text import layout_text
from models.ocr_rapidocr import RapidOcrReader

FONTS = "/usr/share/fonts/truetype/dejavu/"
TRACEBACK = ["Traceback (most recent call last):", '  File "app.py", line 3, in <module>',
             "ZeroDivisionError: division by zero"]


@pytest.fixture(scope="module")
def reader():
    ocr = RapidOcrReader()
    ocr.load()
    return ocr


def render(size, items, background="white", colour="black"):
    """items: (text, (x, y), font file, size)."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    for text, at, font, points in items:
        draw.text(at, text, fill=colour, font=ImageFont.truetype(FONTS + font, points))
    return ScreenImage(np.asarray(image, dtype=np.uint8))


def test_a_traceback_on_a_full_hd_screen_is_read_with_its_boxes(reader):
    items = [(text, (300, 400 + 22 * i), "DejaVuSansMono.ttf", 14) for i, text in enumerate(TRACEBACK)]
    lines = reader.read(render((1920, 1080), items))
    texts = [line.text for line in lines]
    assert "ZeroDivisionError: division by zero" in texts
    assert any("most recent call last" in t for t in texts)
    for line in lines:  # every box lies where the text was drawn
        left, top, right, bottom = line.box
        assert left >= 290 and right <= 700 and top >= 390 and bottom <= 480, line
    error = next(line for line in lines if line.text.startswith("ZeroDivisionError"))
    assert abs(error.box[1] - 444) < 10


def test_dialog_buttons_come_out_as_one_row_in_reading_order(reader):
    items = [("Save changes to the document before closing?", (40, 40), "DejaVuSans.ttf", 16)]
    items += [(label, (x, 140), "DejaVuSans.ttf", 14) for label, x in (("Don't Save", 200), ("Cancel", 380),
                                                                        ("Save", 520))]
    image = render((640, 200), items)
    text = layout_text(reader.read(image), image.width, image.height)
    rows = text.splitlines()
    assert rows[0] == "Save changes to the document before closing?"
    assert [piece.strip() for piece in rows[1].split("|")] == ["Don't Save", "Cancel", "Save"]


def test_a_paragraph_is_read_almost_word_for_word(reader):
    paragraph = ["The quarterly planning meeting has moved to Thursday at 3 pm in room 4B.",
                 "Priya will present the budget draft, and Marco will bring the hiring plan.",
                 "Please read the attached forecast before the meeting."]
    items = [(text, (30, 30 + 28 * i), "DejaVuSans.ttf", 16) for i, text in enumerate(paragraph)]
    words = " ".join(paragraph).lower().split()
    read = " ".join(line.text for line in reader.read(render((900, 140), items))).lower().split()
    recall = sum(1 for w in words if w in read) / len(words)
    assert recall >= 0.9, (recall, read)  # a dropped space or a stray comma may cost a word or two, no more


def test_coloured_text_on_a_coloured_background_is_read(reader):
    image = render((700, 120), [("Build failed: 3 errors", (30, 40), "DejaVuSans.ttf", 22)],
                   background=(20, 40, 110), colour=(250, 210, 60))
    assert any("Build failed" in line.text for line in reader.read(image))


def test_a_blank_screen_has_no_text(reader):
    assert reader.read(ScreenImage(np.full((600, 800, 3), 255, np.uint8))) == []
    assert reader.read(ScreenImage(np.zeros((600, 800, 3), np.uint8))) == []
