#!/usr/bin/env bash
# Wraps the PyInstaller folder (dist/local-voice-assistant) into dist/local-voice-assistant-VERSION-linux-ARCH.tar.gz
# with install.sh, uninstall.sh and the menu entry. OFFLINE_PACK=1 adds the offline model pack (its packages are
# plain data; the frozen app imports them from _internal/), so the installed app answers with no network at all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
APP="$ROOT/dist/local-voice-assistant"
[ -x "$APP/assistant" ] || { echo "make_tarball: build first (make package)" >&2; exit 1; }
VERSION="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("local-voice-assistant"))')"
ARCH="$(uname -m)"
SUFFIX=""
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -a "$APP" "$STAGE/local-voice-assistant"
cp "$ROOT/ui/data/icon.png" "$STAGE/local-voice-assistant/icon.png"
if [ "${OFFLINE_PACK:-0}" = 1 ]; then
  SUFFIX="-offline"
  "$PYTHON" - "$STAGE/local-voice-assistant/_internal" "$ROOT/packaging" <<'PY'
import importlib.util, shutil, sys
from pathlib import Path
target = Path(sys.argv[1])
sys.path.insert(0, sys.argv[2])
from bundle import OFFLINE_PACK
for name in OFFLINE_PACK:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        sys.exit(f"make_tarball: {name} is not installed (pip install -e '.[offline]')")
    src = Path(spec.origin).parent
    shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    print(f"  + {name} ({sum(f.stat().st_size for f in (target / name).rglob('*') if f.is_file()) / 1e6:.0f} MB)")
PY
fi
cp "$ROOT/packaging/linux/install.sh" "$ROOT/packaging/linux/uninstall.sh" \
   "$ROOT/packaging/linux/local-voice-assistant.desktop.in" "$STAGE/"
chmod +x "$STAGE/install.sh" "$STAGE/uninstall.sh"
OUT="$ROOT/dist/local-voice-assistant-$VERSION-linux-$ARCH$SUFFIX.tar.gz"
tar -C "$STAGE" -czf "$OUT" .
echo "$OUT ($(du -h "$OUT" | cut -f1); unpacked $(du -sh "$STAGE" | cut -f1))"
