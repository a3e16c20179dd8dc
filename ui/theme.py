"""The app's look in one place: a light and a dark palette, the style sheet made from them, and which one is in use.

Widgets name what a piece of text or a frame *is* (``set_role(label, "hint")``, an object name such as
``banner``) and never a colour; the style sheet built here from the palette gives each its colour, so switching
theme restyles every window at once. Widgets that paint themselves read ``current()`` when they paint and listen to
``notifier().changed`` for what they cache (icons).

The theme is the ``ui.theme`` setting: "auto" follows the desktop's colour scheme (Qt's ``styleHints``, live as
the desktop switches), "light" or "dark" fix it. Every pair of text and background colour here meets WCAG AA
(4.5:1 for text, 3:1 for the focus ring and the controls' edges): ``tests/ui/test_theme.py`` checks them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

log = logging.getLogger(__name__)

THEMES = ("auto", "light", "dark")

# Spacing and type, on purpose: an 4-px grid, the desktop's own font at its own size, three sizes above/below it.
SPACE = 8  # between related controls
MARGIN = 12  # around a window's content and a bubble's text
RADIUS = 12  # bubbles and cards
SMALL_PT = 0.85  # hints, timestamps, chips: times the base font size
LARGE_PT = 1.25  # the launcher's question box


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours of one theme, by what they are for (``#rrggbb``)."""

    name: str
    window: str  # the window's background
    surface: str  # cards, panels, the launcher, text boxes
    raised: str  # buttons, chips on the surface
    text: str  # body text on window and surface
    muted: str  # hints, timestamps, status lines
    border: str  # the edges of controls (3:1 against what is around them)
    divider: str  # the quiet edges of cards, bubbles and code blocks (decoration: the fill sets them apart too)
    accent: str  # the focus ring, the default button, links, the selection
    on_accent: str  # text on the accent colour
    user_bubble: str
    on_user_bubble: str
    assistant_bubble: str
    on_assistant_bubble: str
    code: str  # the background of code blocks and inline code
    chip: str  # tool calls and captures in the conversation
    on_chip: str
    chip_failed: str
    on_chip_failed: str
    error: str  # error text on window and surface
    error_banner: str  # the banner's background
    on_error_banner: str
    warning_banner: str
    on_warning_banner: str
    info: str  # the timers panel, the attachment
    on_info: str
    level: str  # the microphone level and the voice visual while listening
    level_loud: str  # clipping
    speaking: str  # the voice visual while the assistant speaks
    pygments_style: str  # the code highlighting's style (readable on ``code``)


LIGHT = Palette(
    name="light", window="#f6f7f9", surface="#ffffff", raised="#eceef2", text="#1d2127", muted="#5b636e",
    border="#7f8792", divider="#d3d8de", accent="#1f5fbf", on_accent="#ffffff",
    user_bubble="#dbe8fd", on_user_bubble="#10213d",
    assistant_bubble="#ffffff", on_assistant_bubble="#1d2127", code="#f1f3f6", chip="#e3f1e6", on_chip="#1f5130",
    chip_failed="#fbe4e4", on_chip_failed="#8a1f1f", error="#b3261e", error_banner="#fdeceb",
    on_error_banner="#7d1a12", warning_banner="#fff3cd", on_warning_banner="#5c4400", info="#e7f0fb",
    on_info="#1f3550", level="#2e9d5b", level_loud="#d04a2c", speaking="#2f6fd6", pygments_style="xcode",
)
DARK = Palette(
    name="dark", window="#17191d", surface="#202328", raised="#2c3036", text="#e7e9ec", muted="#a3abb5",
    border="#6f7782", divider="#3b4048", accent="#7fb0ff", on_accent="#0d1626",
    user_bubble="#23406e", on_user_bubble="#eef3fc",
    assistant_bubble="#262a30", on_assistant_bubble="#e7e9ec", code="#15171a", chip="#1e3a28", on_chip="#bfe6cb",
    chip_failed="#4a1f1f", on_chip_failed="#ffc9c4", error="#ff8a80", error_banner="#45201d",
    on_error_banner="#ffd7d3", warning_banner="#3f3415", on_warning_banner="#ffe49a", info="#1f2e42",
    on_info="#d6e5f7", level="#4cc27c", level_loud="#ff7a5c", speaking="#6aa2ff", pygments_style="one-dark",
)
PALETTES = {"light": LIGHT, "dark": DARK}

# The state badge: white text on a colour that reads in both themes.
STATE_COLORS = {"loading": "#5f6670", "idle": "#5f6670", "listening": "#1e7b45", "thinking": "#9a5a00",
                "speaking": "#2559b8", "muted": "#b3261e", "error": "#b3261e"}
ON_STATE = "#ffffff"
# Text drawn over a dimmed screenshot (the region picker): white with a black shadow reads on any picture.
OVER_PICTURE = "#ffffff"
PICTURE_SHADOW = "#000000"
# The listening indicator's and the microphone icon's colour per mode, as text and edge on the window's background.
LISTEN_COLORS = {
    "light": {"off": "#5b636e", "listening": "#1e7b45", "starting": "#5b636e", "waiting": "#4a43b8",
              "awake": "#1e7b45", "muted": "#b3261e"},
    "dark": {"off": "#a3abb5", "listening": "#5fd08e", "starting": "#a3abb5", "waiting": "#a9a4ff",
             "awake": "#5fd08e", "muted": "#ff8a80"},
}

_current = LIGHT
_choice = "auto"
_extra_rules: list = []  # (Palette) -> str: the style rules of a part of the window that keeps its own


def add_rules(rules) -> None:
    """Add a part's own style rules, ``rules(palette) -> str``, to the app's style sheet (a module calls it once at
    import, so its widgets' look stays beside them and still follows the theme)."""
    if rules not in _extra_rules:
        _extra_rules.append(rules)


class ThemeNotifier(QObject):
    """``changed(palette)`` after the theme switched (by the setting or the desktop)."""

    changed = Signal(object)


_notifier: ThemeNotifier | None = None


def notifier() -> ThemeNotifier:
    global _notifier
    if _notifier is None:
        _notifier = ThemeNotifier()
    return _notifier


def current() -> Palette:
    """The palette in use."""
    return _current


def listen_color(mode: str) -> str:
    """A listening mode's colour in the current theme."""
    colors = LISTEN_COLORS[_current.name]
    return colors.get(mode, colors["off"])


def system_is_dark() -> bool:
    """Whether the desktop asks for a dark scheme (False where it does not say: offscreen, older desktops)."""
    hints = QGuiApplication.styleHints()
    return hints is not None and hints.colorScheme() == Qt.ColorScheme.Dark


def resolve(choice: str) -> Palette:
    """The palette of a ``ui.theme`` setting."""
    if choice == "auto":
        return DARK if system_is_dark() else LIGHT
    return PALETTES[choice]


def apply(app: QApplication, choice: str = "auto") -> Palette:
    """Use the theme of the ``ui.theme`` setting for the whole app (and follow the desktop when it is "auto")."""
    global _current, _choice
    if choice not in THEMES:
        log.warning("unknown theme %r: following the system", choice)
        choice = "auto"
    _choice = choice
    if not getattr(app, "_themed", False):  # once per app
        app._themed = True
        app.setStyle("Fusion")  # the one style that draws every control from the palette, on every platform
        hints = QGuiApplication.styleHints()
        if hints is not None:
            hints.colorSchemeChanged.connect(lambda _scheme: _follow(app))
    palette = resolve(choice)
    changed = palette is not _current or not app.styleSheet()
    _current = palette
    app.setPalette(qt_palette(palette))
    app.setStyleSheet(style_sheet(palette))
    if changed:
        log.info("theme: %s%s", palette.name, " (following the desktop)" if choice == "auto" else "")
        notifier().changed.emit(palette)
    return palette


def _follow(app: QApplication) -> None:
    if _choice == "auto":
        apply(app, "auto")


def qt_palette(p: Palette) -> QPalette:
    """Qt's palette for the standard widgets (menus, dialogs, scroll bars) in the theme's colours."""
    pal = QPalette()
    r = QPalette.ColorRole
    roles = {
        r.Window: p.window, r.WindowText: p.text, r.Base: p.surface, r.AlternateBase: p.raised, r.Text: p.text,
        r.Button: p.raised, r.ButtonText: p.text, r.Highlight: p.accent, r.HighlightedText: p.on_accent,
        r.ToolTipBase: p.surface, r.ToolTipText: p.text, r.PlaceholderText: p.muted, r.Link: p.accent,
        r.LinkVisited: p.accent, r.Mid: p.border, r.Dark: p.border, r.Light: p.surface, r.Midlight: p.raised,
        r.Shadow: "#000000", r.BrightText: p.error,
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    for role in (r.WindowText, r.Text, r.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(p.muted))
    return pal


def style_sheet(p: Palette) -> str:
    """The app's style sheet in palette ``p``: roles (``QLabel[role="hint"]``), named frames, and a focus ring on
    every control that takes the keyboard."""
    return _base_rules(p) + "".join(rules(p) for rules in _extra_rules)


def font_size(scale: float) -> str:
    """A font size relative to the desktop's (Qt style sheets take no "em")."""
    base = QApplication.font().pointSizeF()
    return f"{(base if base > 0 else 10.0) * scale:.1f}pt"


def _base_rules(p: Palette) -> str:
    small, large = font_size(SMALL_PT), font_size(LARGE_PT)
    return f"""
QMainWindow, QDialog {{ background: {p.window}; }}
QToolTip {{ background: {p.surface}; color: {p.text}; border: 1px solid {p.border}; padding: 4px; }}
QLabel[role="hint"] {{ color: {p.muted}; font-size: {small}; }}
QLabel[role="status"] {{ color: {p.muted}; }}
QLabel[role="error"] {{ color: {p.error}; }}
QLabel[role="title"] {{ font-weight: 600; }}
QLabel[role="heading"] {{ font-weight: 600; font-size: {large}; }}
QPushButton, QToolButton {{ background: {p.raised}; color: {p.text}; border: 1px solid {p.border};
    border-radius: 6px; padding: 4px 10px; }}
QToolButton {{ padding: 3px; }}
QPushButton:hover, QToolButton:hover {{ background: {p.surface}; }}
QPushButton:checked, QToolButton:checked {{ background: {p.user_bubble}; color: {p.on_user_bubble}; }}
QPushButton:disabled, QToolButton:disabled {{ color: {p.muted}; }}
QPushButton:default {{ background: {p.accent}; color: {p.on_accent}; border-color: {p.accent}; }}
QPushButton[role="link"], QToolButton[role="link"] {{ background: transparent; border: 1px solid transparent;
    color: {p.accent}; padding: 2px 6px; }}
QToolButton[role="flat"] {{ background: transparent; border: 1px solid transparent; }}
QLineEdit, QPlainTextEdit, QTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {{ background: {p.surface};
    color: {p.text}; border: 1px solid {p.border}; border-radius: 6px; padding: 4px 6px;
    selection-background-color: {p.accent}; selection-color: {p.on_accent}; }}
QPushButton:focus, QToolButton:focus, QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QSpinBox:focus,
QDoubleSpinBox:focus, QComboBox:focus, QListView:focus, QListWidget:focus, QTreeView:focus, QTableView:focus,
QTabBar::tab:focus, QSlider:focus {{ border: 2px solid {p.accent}; }}
QCheckBox:focus, QRadioButton:focus {{ color: {p.accent}; text-decoration: underline; }}
QTabWidget::pane {{ border: 1px solid {p.border}; border-radius: 6px; background: {p.surface}; }}
QTabBar::tab {{ background: {p.raised}; color: {p.text}; border: 1px solid {p.border}; padding: 5px 10px;
    border-top-left-radius: 6px; border-top-right-radius: 6px; }}
QTabBar::tab:selected {{ background: {p.surface}; font-weight: 600; }}
QListWidget, QListView, QTreeView, QTableView {{ background: {p.surface}; color: {p.text};
    border: 1px solid {p.border}; border-radius: 6px; }}
QScrollArea {{ background: transparent; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QProgressBar {{ background: {p.raised}; color: {p.text}; border: 1px solid {p.border}; border-radius: 4px;
    text-align: center; }}
QProgressBar::chunk {{ background: {p.accent}; border-radius: 3px; }}
#banner {{ background: {p.error_banner}; border-radius: 6px; }}
#banner QLabel {{ color: {p.on_error_banner}; padding: 4px; }}
QLabel[role="warning"] {{ background: {p.warning_banner}; color: {p.on_warning_banner};
    border: 1px solid {p.border}; border-radius: 6px; padding: 8px; }}
#launcher {{ background: {p.surface}; border: 1px solid {p.border}; border-radius: 14px; }}
#launcher QLineEdit {{ border: none; font-size: {large}; padding: 4px; }}
#launcher QLineEdit:focus {{ border: none; }}
#attachment, #timersPanel {{ background: {p.info}; border-radius: 8px; }}
#attachment QLabel, #timersPanel QLabel {{ color: {p.on_info}; }}
"""


def set_role(widget: QWidget, role: str) -> None:
    """Give ``widget`` a role of the style sheet ("hint", "error", "status", "title", "heading", "warning", "link",
    "flat"; "" for none) and restyle it at once."""
    if widget.property("role") == role:
        return
    widget.setProperty("role", role)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    c = QColor(color)
    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two colours (1..21; AA asks 4.5 for text, 3 for large text and controls)."""
    a, b = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_pairs(p: Palette) -> list[tuple[str, str, str]]:
    """(what, text colour, background) for every text the theme draws: the contrast check's list."""
    pairs = [("text on window", p.text, p.window), ("text on surface", p.text, p.surface),
             ("text on buttons", p.text, p.raised), ("hint on window", p.muted, p.window),
             ("hint on surface", p.muted, p.surface), ("on accent", p.on_accent, p.accent),
             ("user bubble", p.on_user_bubble, p.user_bubble),
             ("assistant bubble", p.on_assistant_bubble, p.assistant_bubble),
             ("code", p.text, p.code), ("chip", p.on_chip, p.chip), ("failed chip", p.on_chip_failed, p.chip_failed),
             ("error on window", p.error, p.window), ("error on surface", p.error, p.surface),
             ("error banner", p.on_error_banner, p.error_banner),
             ("warning", p.on_warning_banner, p.warning_banner), ("info", p.on_info, p.info),
             ("link on surface", p.accent, p.surface), ("hint in a bubble", p.muted, p.assistant_bubble)]
    pairs += [(f"state {state}", ON_STATE, color) for state, color in STATE_COLORS.items()]
    pairs += [(f"listening {mode}", color, p.window) for mode, color in LISTEN_COLORS[p.name].items()]
    return pairs


def control_pairs(p: Palette) -> list[tuple[str, str, str]]:
    """(what, colour, background) for the controls' non-text parts: WCAG 1.4.11 asks 3:1."""
    return [("focus ring on window", p.accent, p.window), ("focus ring on surface", p.accent, p.surface),
            ("control edge on window", p.border, p.window), ("control edge on surface", p.border, p.surface),
            ("level on surface", p.level, p.surface), ("voice on surface", p.speaking, p.surface),
            ("level on window", p.level, p.window), ("voice on window", p.speaking, p.window)]  # the window's orb

