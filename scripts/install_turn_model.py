"""Puts the end-of-turn model (Smart Turn v3.2) where the app finds it: ``<environment>/share/smart-turn/``.

The model ships inside the pipecat-ai wheel on PyPI, whose own requirements clash with ours; so the wheel is
downloaded alone (``requirements/smart-turn.txt``, hash-pinned) and only the model and its licence are taken out,
checked against the model's digest. Does nothing when the model is there already. Run by ``make install``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.resolver import TURN_MODEL_FILE, TURN_MODEL_SHA256, turn_model_dir

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements" / "smart-turn.txt"
MEMBERS = {f"pipecat/audio/turn/smart_turn/data/{TURN_MODEL_FILE}": TURN_MODEL_FILE,
           "pipecat_ai-1.14.0.dist-info/licenses/LICENSE": "LICENSE"}


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def main() -> int:
    target = turn_model_dir()
    model = target / TURN_MODEL_FILE
    if model.is_file() and sha256(model) == TURN_MODEL_SHA256:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes",
                        "-r", str(REQUIREMENTS), "-d", tmp], check=True)
        (wheel,) = Path(tmp).glob("pipecat_ai-*.whl")
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            for member, name in MEMBERS.items():
                part = target / f".{name}.part"
                part.write_bytes(archive.read(member))
                os.replace(part, target / name)  # never a half-written model under its real name
    if sha256(model) != TURN_MODEL_SHA256:
        model.unlink()
        print(f"{TURN_MODEL_FILE} in the pipecat-ai wheel is not the expected file (sha256 {TURN_MODEL_SHA256})",
              file=sys.stderr)
        return 1
    print(f"end-of-turn model installed: {model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
