#!/usr/bin/env bash
# macOS: the .app bundle and a drag-to-Applications disk image. Run on a Mac after installing the project
# (make install), with Xcode's command-line tools:
#   bash packaging/macos/build_dmg.sh          -> dist/VoiceAssistant-<version>-macos-<arch>.dmg
# The spec's BUNDLE step makes "dist/Voice Assistant.app" with the microphone usage text macOS requires.
# Global hotkeys need the app allowed under System Settings -> Privacy & Security -> Accessibility.
# PyInstaller comes from the lock (make install).
# Not built in this project's CI (no Mac there): written against the PyInstaller and hdiutil manuals.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
cd "$ROOT"
"$PYTHON" -m PyInstaller packaging/assistant.spec --noconfirm --distpath dist --workpath build/pyinstaller
APP="dist/Voice Assistant.app"
[ -d "$APP" ] || { echo "build_dmg: $APP was not built" >&2; exit 1; }
if [ "${OFFLINE_PACK:-0}" = 1 ]; then
  "$PYTHON" packaging/add_offline_pack.py "$APP/Contents/Frameworks"
fi
# Ad-hoc signature so Gatekeeper lets the user open it (right-click -> Open); a Developer ID identity in
# CODESIGN_IDENTITY signs it for distribution (then notarize with `xcrun notarytool`).
codesign --force --deep --sign "${CODESIGN_IDENTITY:--}" "$APP"
VERSION="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("local-voice-assistant"))')"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
OUT="dist/VoiceAssistant-$VERSION-macos-$(uname -m).dmg"
hdiutil create -volname "Voice Assistant" -srcfolder "$STAGE" -ov -format UDZO "$OUT"
echo "$OUT"
