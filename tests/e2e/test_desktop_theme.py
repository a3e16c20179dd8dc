"""The real app on a real X server follows the desktop's light or dark scheme, as a GTK desktop sets it (Qt's gtk3
platform theme reads GTK's own setting), and ``ui.theme`` overrides it. Screenshots of the window in each land in
test-artifacts/."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from testkit.helpers import wait_until
from testkit.xdisplay import LoggedProcess, xdisplay  # noqa: F401  (the fixture)
from ui import theme

pytestmark = pytest.mark.timeout(300)

MAIN_TITLE = "^Voice Assistant$"


def start_app(display, home: Path, gtk_theme: str, setting: str) -> LoggedProcess:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(f'[ui]\ntheme = "{setting}"\n')
    env = {**display.env, "ASSISTANT_CONFIG_DIR": str(home / "config"), "ASSISTANT_DATA_DIR": str(home / "data"),
           "PYTHONUNBUFFERED": "1", "QT_QPA_PLATFORMTHEME": "gtk3", "GTK_THEME": gtk_theme}
    return LoggedProcess([sys.executable, "-m", "ui.entry", "-v", "app", "--no-hotkeys"], env)


def window_background(xdisplay, window: str, path: Path) -> str:  # noqa: F811
    """The colour of the window's own background, from a screenshot of it (a pixel of the margin, right of
    the middle of the left edge, where no widget is drawn)."""
    from PIL import Image

    xdisplay.screenshot(path, window)
    image = Image.open(path).convert("RGB")
    r, g, b = image.getpixel((3, image.height // 2))
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.mark.parametrize(("gtk_theme", "setting", "expected"), [
    ("Adwaita", "auto", theme.LIGHT), ("Adwaita:dark", "auto", theme.DARK), ("Adwaita:dark", "light", theme.LIGHT),
], ids=["light-desktop", "dark-desktop", "light-setting-on-a-dark-desktop"])
def test_the_window_is_drawn_in_the_theme_the_desktop_or_the_setting_asks_for(
        xdisplay, tmp_path, artifacts, gtk_theme, setting, expected):  # noqa: F811
    app = start_app(xdisplay, tmp_path, gtk_theme, setting)
    try:
        window = xdisplay.wait_window(MAIN_TITLE, app.pid, timeout=60)
        assert window, app.output()
        assert app.wait_line(f"theme: {expected.name}", 30), app.output()
        shot = artifacts / f"main-window-x11-{gtk_theme.replace(':', '-').lower()}-{setting}.png"
        # The first frame may be mapped before it is painted: wait for the theme's colour.
        assert wait_until(lambda: window_background(xdisplay, window, shot) == expected.window, 20, interval=0.3), \
            (window_background(xdisplay, window, shot), expected.window, app.output())
    finally:
        app.stop()
