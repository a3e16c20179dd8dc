"""The theme: every text and control colour readable (WCAG AA) in both palettes, the code highlighting too, colours
kept in the theme module, and a switch (by the setting or the desktop) restyling what is already on screen."""

import re
from pathlib import Path

import pytest
from pygments.styles import get_style_by_name
from pygments.token import Text
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel

from ui import theme

UI_DIR = Path(theme.__file__).parent
PALETTES = [theme.LIGHT, theme.DARK]


@pytest.mark.parametrize("palette", PALETTES, ids=lambda p: p.name)
def test_every_text_colour_meets_wcag_aa_on_its_background(palette):
    low = [(what, round(theme.contrast_ratio(fg, bg), 2)) for what, fg, bg in theme.text_pairs(palette)
           if theme.contrast_ratio(fg, bg) < 4.5]
    assert low == []


@pytest.mark.parametrize("palette", PALETTES, ids=lambda p: p.name)
def test_focus_ring_edges_and_meters_stand_out_at_three_to_one(palette):
    low = [(what, round(theme.contrast_ratio(fg, bg), 2)) for what, fg, bg in theme.control_pairs(palette)
           if theme.contrast_ratio(fg, bg) < 3.0]
    assert low == []


@pytest.mark.parametrize("palette", PALETTES, ids=lambda p: p.name)
def test_highlighted_code_is_readable_on_the_code_background(palette):
    style = get_style_by_name(palette.pygments_style)
    low = [(str(token), color) for token, s in style if (color := s["color"]) and token not in Text.Whitespace
           and theme.contrast_ratio(f"#{color}", palette.code) < 4.5]
    assert low == []


def test_the_contrast_formula_matches_wcag_reference_values():
    assert theme.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert theme.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss


def test_no_widget_module_writes_a_colour_of_its_own():
    literal = re.compile(r"#[0-9a-fA-F]{6}\b|QColor\(\"[a-z]+\"\)")
    offenders = [f"{path.name}:{n}" for path in sorted(UI_DIR.glob("*.py")) if path.name != "theme.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1) if literal.search(line)]
    assert offenders == []


def test_switching_the_theme_restyles_the_widgets_on_screen(qapp, qtbot):
    label = QLabel("a hint")
    theme.set_role(label, "hint")
    qtbot.addWidget(label)
    label.show()
    switched = []
    theme.notifier().changed.connect(switched.append)
    assert label.palette().color(QPalette.ColorRole.WindowText).name() == theme.LIGHT.muted
    theme.apply(qapp, "dark")
    assert switched == [theme.DARK]
    assert label.palette().color(QPalette.ColorRole.WindowText).name() == theme.DARK.muted
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == theme.DARK.window
    image = label.grab().toImage()
    assert image.pixelColor(1, 1).name() == theme.DARK.window  # the background is drawn dark, not just set


def test_auto_follows_the_desktop_when_its_scheme_changes(qapp, monkeypatch):
    theme.apply(qapp, "auto")
    assert theme.current() is theme.LIGHT
    monkeypatch.setattr(theme, "system_is_dark", lambda: True)
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # what Qt sends when the desktop switches
    assert theme.current() is theme.DARK
    theme.apply(qapp, "light")  # a fixed choice no longer follows
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.current() is theme.LIGHT


def test_an_unknown_theme_falls_back_to_the_system(qapp):
    assert theme.apply(qapp, "purple") is theme.LIGHT  # offscreen: the desktop does not ask for dark
