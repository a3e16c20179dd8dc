"""The text of a screen in reading order, for a language model that cannot see the image.

OCR gives lines with boxes in no useful order. ``layout_text`` puts them back the way a person reads:
columns (when a clear vertical gutter separates them) left to right, rows top to bottom within a column,
pieces left to right within a row. Pieces on one row far apart (a button bar, a label and its value) are
joined with " | " so they stay distinguishable; close ones with a space.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from assistant.contracts.screen import TextLine

CUT_MARKER = "[… more text cut …]"


def _rows(lines: Sequence[TextLine]) -> list[list[TextLine]]:
    """Lines grouped into rows: a line joins the row whose centre is nearest its own, when that is within a
    quarter of the smaller of their heights. OCR boxes are padded, so on a screen with tight line spacing (a
    terminal) the boxes of stacked lines overlap: comparing centres, not spans, and never widening a row as it
    grows, keeps those lines apart while a few pixels of baseline jitter stay on one row."""
    rows: list[list[TextLine]] = []
    centres: list[float] = []  # each row's centre: the mean of its pieces' centres
    heights: list[float] = []  # each row's smallest piece height
    for line in sorted(lines, key=lambda item: (item.box[1] + item.box[3]) / 2):
        centre = (line.box[1] + line.box[3]) / 2
        height = max(1.0, line.box[3] - line.box[1])
        best: tuple[float, int] | None = None
        for i, row_centre in enumerate(centres):
            distance = abs(row_centre - centre)
            if distance <= 0.25 * min(height, heights[i]) and (best is None or distance < best[0]):
                best = (distance, i)
        if best is None:
            rows.append([line])
            centres.append(centre)
            heights.append(height)
        else:
            i = best[1]
            rows[i].append(line)
            centres[i] += (centre - centres[i]) / len(rows[i])
            heights[i] = min(heights[i], height)
    order = sorted(range(len(rows)), key=lambda i: centres[i])
    return [sorted(rows[i], key=lambda item: item.box[0]) for i in order]


def _row_text(row: list[TextLine]) -> str:
    parts = [row[0].text.strip()]
    for before, item in itertools.pairwise(row):
        # OCR already joins the words of a line into one box: two boxes on a row are apart by more than a word
        # gap. Past the height of the smaller one (a button bar, a label and its value) they are kept apart.
        height = max(1.0, min(item.box[3] - item.box[1], before.box[3] - before.box[1]))
        gap = item.box[0] - before.box[2]
        parts.append((" | " if gap > height else " ") + item.text.strip())
    return "".join(parts)


def _columns(lines: Sequence[TextLine], width: int) -> list[list[TextLine]]:
    """Split at a vertical gutter no line crosses, when both sides hold a good share of the text."""
    if len(lines) < 6 or width <= 0:
        return [list(lines)]
    covered = [0] * (width + 1)
    for line in lines:
        for x in range(max(0, int(line.box[0])), min(width, int(line.box[2])) + 1):
            covered[x] += 1
    best: tuple[int, int] | None = None  # (length of the gap, its centre)
    start = None
    lefts = [line.box[0] for line in lines]
    # From the leftmost text on: the margin left of it is no gutter, and on a full-screen capture (a window
    # away from the screen's edge) it is wider than a real gutter and would hide it.
    for x in range(max(0, int(min(lefts))), width + 1):
        if covered[x] == 0 and start is None:
            start = x
        elif covered[x] != 0 and start is not None:
            if best is None or x - start > best[0]:
                best = (x - start, (start + x) // 2)
            start = None
    if best is None or best[0] < 24 or best[1] <= min(lefts):
        return [list(lines)]
    left = [line for line in lines if line.box[2] <= best[1]]
    right = [line for line in lines if line.box[0] >= best[1]]
    if min(len(left), len(right)) < 3:  # a lone label beside a text is a row, not a column
        return [list(lines)]
    return [*_columns(left, width), *_columns(right, width)]


def layout_text(lines: Sequence[TextLine], width: int, height: int, *, max_chars: int = 6000) -> str:
    """The lines as text in reading order, one screen row per line, columns one after the other.

    Format: each row on its own line; pieces of one row far apart are separated by " | "; columns are
    separated by an empty line. Past ``max_chars`` the text ends with the line ``[… more text cut …]``."""
    lines = [line for line in lines if line.text.strip()]
    if not lines:
        return ""
    blocks = ["\n".join(_row_text(row) for row in _rows(column)) for column in _columns(lines, width)]
    text = "\n\n".join(blocks)
    if len(text) > max_chars:
        text = text[:max_chars].rsplit("\n", 1)[0] + "\n" + CUT_MARKER
    return text
