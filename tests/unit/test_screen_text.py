"""Reading order of OCR lines (``layout_text``) on lines with known boxes."""

from assistant.contracts.screen import TextLine
from assistant.screen_text import CUT_MARKER, layout_text


def line(text, left, top, width=None, height=16):
    width = width if width is not None else 9 * len(text)
    return TextLine(text, (left, top, left + width, top + height))


def test_rows_go_top_to_bottom_and_pieces_left_to_right():
    lines = [line("world", 75, 40), line("third row", 20, 120), line("hello", 20, 41), line("second", 20, 80)]
    assert layout_text(lines, 800, 600) == "hello world\nsecond\nthird row"


def test_a_little_baseline_jitter_stays_on_one_row():
    lines = [line("File", 10, 100), line("Edit", 60, 103), line("View", 110, 98), line("Help", 160, 101)]
    assert layout_text(lines, 800, 600) == "File Edit View Help"


def test_far_apart_pieces_of_a_row_stay_distinguishable():
    buttons = [line("Don't Save", 300, 500), line("Cancel", 500, 500), line("Save", 620, 500)]
    assert layout_text(buttons, 800, 600) == "Don't Save | Cancel | Save"


def test_two_columns_are_not_interleaved():
    left = [line(f"left paragraph line {i}", 20, 100 + 20 * i, width=300) for i in range(5)]
    right = [line(f"right column line {i}", 500, 102 + 20 * i, width=260) for i in range(5)]
    text = layout_text(right + left, 800, 600)
    blocks = text.split("\n\n")
    assert blocks[0].splitlines() == [f"left paragraph line {i}" for i in range(5)]
    assert blocks[1].splitlines() == [f"right column line {i}" for i in range(5)]


def test_a_label_beside_a_text_is_a_row_not_a_column():
    lines = [line("Name:", 20, 100), line("Ada Lovelace", 400, 100), line("Born:", 20, 130),
             line("1815", 400, 130)]
    assert layout_text(lines, 800, 600) == "Name: | Ada Lovelace\nBorn: | 1815"


def test_long_text_is_cut_with_a_marker_and_empty_input_gives_nothing():
    lines = [line(f"row {i} " + "x" * 50, 10, 20 * i) for i in range(100)]
    text = layout_text(lines, 800, 2000, max_chars=500)
    assert len(text) <= 500 + len(CUT_MARKER) + 1 and text.endswith(CUT_MARKER)
    assert text.startswith("row 0 ")
    assert layout_text([], 800, 600) == "" and layout_text([line("  ", 0, 0)], 800, 600) == ""


def test_a_terminals_tightly_spaced_lines_whose_boxes_overlap_stay_apart():
    # RapidOCR's boxes of a pytest failure in a 13 pt terminal on Xvfb: padded, so each overlaps its neighbours.
    boxes = [("$ python3 -m pytest tests/test_stats.py", (165, 126, 573, 155)),
             ("tests/test_stats.py F", (165, 143, 392, 175)), ("def average(values):", (205, 165, 420, 195)),
             ("return sum(values) / len(values)", (243, 182, 583, 218)), ("E", (167, 194, 182, 229)),
             ("ZeroDivisionError: division by zero", (242, 195, 618, 237)),
             ("stats.py:4: ZeroDivisionError", (166, 227, 469, 253)), ("1 failed in 0.12s", (168, 248, 348, 271))]
    lines = [TextLine(text, box) for text, box in boxes]
    assert layout_text(lines, 1920, 1080).splitlines() == [
        "$ python3 -m pytest tests/test_stats.py", "tests/test_stats.py F", "def average(values):",
        "return sum(values) / len(values)", "E | ZeroDivisionError: division by zero",
        "stats.py:4: ZeroDivisionError", "1 failed in 0.12s"]
    # and the real dialog's buttons, about a box height apart, stay distinguishable
    buttons = [TextLine("Don't Save", (944, 597, 1047, 623)), TextLine("Cancel", (1081, 594, 1149, 626)),
               TextLine("Save", (1182, 598, 1236, 626))]
    assert layout_text(buttons, 1920, 1080) == "Don't Save | Cancel | Save"


def test_two_columns_in_a_window_away_from_the_screens_left_edge_are_not_interleaved():
    # A full-screen capture: the window's left margin (420 px) is wider than its gutter (180 px).
    left = [line(f"left paragraph line {i}", 420, 100 + 20 * i, width=300) for i in range(5)]
    right = [line(f"right column line {i}", 900, 102 + 20 * i, width=260) for i in range(5)]
    blocks = layout_text(right + left, 1920, 1080).split("\n\n")
    assert blocks[0].splitlines() == [f"left paragraph line {i}" for i in range(5)]
    assert blocks[1].splitlines() == [f"right column line {i}" for i in range(5)]
