"""Copies the offline model pack's packages (plain data) into a frozen app's folder, from where it imports them:
`python packaging/add_offline_pack.py dist/local-voice-assistant/_internal` (Linux, Windows) or
`.../Voice Assistant.app/Contents/Frameworks` (macOS)."""

import importlib.util
import shutil
import sys
from pathlib import Path

from bundle import OFFLINE_PACK


def main(target: Path) -> None:
    for name in OFFLINE_PACK:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            sys.exit(f"add_offline_pack: {name} is not installed (make install)")
        shutil.copytree(Path(spec.origin).parent, target / name, ignore=shutil.ignore_patterns("__pycache__"),
                        dirs_exist_ok=True)
        size = sum(f.stat().st_size for f in (target / name).rglob("*") if f.is_file())
        print(f"  + {name} ({size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
