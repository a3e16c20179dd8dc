"""ui/data/icon.png -> build/icon.ico for the Windows installer (needs Pillow)."""

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
out = ROOT / "build" / "icon.ico"
out.parent.mkdir(parents=True, exist_ok=True)
Image.open(ROOT / "ui" / "data" / "icon.png").save(out, sizes=[(16, 16), (32, 32), (48, 48), (64, 64), (256, 256)])
print(out)
