"""The text of a screen in reading order, for a language model that cannot see the image.

OCR gives lines with boxes in no useful order. ``layout_text`` puts them back the way a person reads:
columns (when a clear vertical gutter separates them) left to right, rows top to bottom within a column,
pieces left to right within a row. Pieces on one row far apart (a button bar, a label and its value) are
joined with " | " so they stay distinguishable; close ones with a space.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from assistant.screen import TextLine

CUT_MARKER = "[… more text cut …]"


def _rows(lines: Sequence[TextLine]) -> list[list[TextLine]]:
    """Lines grouped into rows: a line joins a row when its vertical centre lies within the row's span."""
    rows: list[list[TextLine]] = []
    spans: list[tuple[float, float]] = []
    for line in sorted(lines, key=lambda item: (item.box[1] + item.box[3]) / 2):
        top, bottom = line.box[1], line.box[3]
        centre = (top + bottom) / 2
        for i, (row_top, row_bottom) in enumerate(spans):
            height = row_bottom - row_top
            # tolerant of a few pixels of baseline jitter, strict enough that stacked lines stay apart
            if row_top - 0.15 * height <= centre <= row_bottom + 0.15 * height and abs(
                    (row_top + row_bottom) / 2 - centre) < 0.6 * max(height, bottom - top):
                rows[i].append(line)
                spans[i] = (min(row_top, top), max(row_bottom, bottom))
                break
        else:
            rows.append([line])
            spans.append((top, bottom))
    order = sorted(range(len(rows)), key=lambda i: spans[i][0])
    return [sorted(rows[i], key=lambda item: item.box[0]) for i in order]


def _row_text(row: list[TextLine]) -> str:
    parts = [row[0].text.strip()]
    for before, item in itertools.pairwise(row):
        height = max(1.0, item.box[3] - item.box[1])
        gap = item.box[0] - before.box[2]
        parts.append((" | " if gap > 2.5 * height else " ") + item.text.strip())
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
    for x in range(width + 1):
        if covered[x] == 0 and start is None:
            start = x
        elif covered[x] != 0 and start is not None:
            if best is None or x - start > best[0]:
                best = (x - start, (start + x) // 2)
            start = None
    lefts = [line.box[0] for line in lines]
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
