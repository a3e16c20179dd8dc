"""The documentation's screenshots are made by scripts/screenshots.py from the real widgets: it runs, draws every
window in each theme, and each picture is in its theme's colours."""

import subprocess
import sys
from pathlib import Path

from PIL import Image

from ui import theme

REPO = Path(__file__).resolve().parents[2]
WINDOWS = ("main-window", "launcher", "voice-mode", "voice-launcher", "settings", "first-run")


def test_the_screenshot_script_draws_every_window_in_both_themes(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "screenshots.py"), "--only", "themes", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for palette in (theme.LIGHT, theme.DARK):
        for name in WINDOWS:
            image = Image.open(tmp_path / f"{name}-{palette.name}.png").convert("RGB")
            assert image.width > 300 and image.height > 100, name
            colors = image.getcolors(maxcolors=1 << 20)
            background = "#{:02x}{:02x}{:02x}".format(*max(colors)[1])  # the colour most of the picture is
            assert background in (palette.window, palette.surface), (name, palette.name, background)
