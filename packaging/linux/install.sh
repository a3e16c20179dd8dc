#!/usr/bin/env bash
# Installs the Voice Assistant for the current user: no root needed.
#   ./install.sh [--autostart] [--prefix DIR]
# The app goes to ~/.local/share/local-voice-assistant/app (or DIR), the `assistant` command to ~/.local/bin,
# a menu entry to ~/.local/share/applications, and with --autostart a login entry to ~/.config/autostart.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX="${XDG_DATA_HOME:-$HOME/.local/share}/local-voice-assistant/app"
AUTOSTART=0
while [ $# -gt 0 ]; do
  case "$1" in
    --autostart) AUTOSTART=1 ;;
    --prefix) PREFIX="$2"; shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
BIN_DIR="$HOME/.local/bin"
APPS_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
AUTOSTART_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/autostart"

if [ ! -x "$HERE/local-voice-assistant/assistant" ]; then
  echo "install.sh: run it from the unpacked archive (local-voice-assistant/assistant is missing)" >&2
  exit 1
fi
# PortAudio and the X11 libraries come with the app; a few system libraries Qt needs may not be there.
if command -v ldconfig >/dev/null 2>&1 && ! ldconfig -p | grep -q libxcb-cursor.so.0; then
  echo "note: libxcb-cursor0 is not installed; if the window does not open: sudo apt-get install libxcb-cursor0"
fi

echo "installing to $PREFIX"
rm -rf "$PREFIX.new"
mkdir -p "$(dirname "$PREFIX")"
cp -a "$HERE/local-voice-assistant" "$PREFIX.new"
rm -rf "$PREFIX"
mv "$PREFIX.new" "$PREFIX"  # replace an older version in one step
cp "$HERE/uninstall.sh" "$PREFIX/uninstall.sh"

mkdir -p "$BIN_DIR" "$APPS_DIR"
ln -sf "$PREFIX/assistant" "$BIN_DIR/assistant"
sed "s|@APP_DIR@|$PREFIX|g" "$HERE/local-voice-assistant.desktop.in" > "$APPS_DIR/local-voice-assistant.desktop"
chmod 644 "$APPS_DIR/local-voice-assistant.desktop"
if [ "$AUTOSTART" = 1 ]; then
  mkdir -p "$AUTOSTART_DIR"
  sed "s|@APP_DIR@|$PREFIX|g; s|^Exec=.*|Exec=\"$PREFIX/assistant\" app --hidden|" \
    "$HERE/local-voice-assistant.desktop.in" > "$AUTOSTART_DIR/local-voice-assistant.desktop"
  echo "starts at login (in the tray): $AUTOSTART_DIR/local-voice-assistant.desktop"
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$APPS_DIR" >/dev/null 2>&1 || true

echo "installed. Start it from the applications menu or with: $BIN_DIR/assistant"
echo "check it with: $BIN_DIR/assistant --self-test"
case ":$PATH:" in *":$BIN_DIR:"*) ;; *) echo "note: $BIN_DIR is not on your PATH" ;; esac
