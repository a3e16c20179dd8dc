#!/usr/bin/env bash
# Removes the Voice Assistant installed by install.sh. Your settings, history and downloaded models stay,
# unless you pass --purge.
set -euo pipefail
PURGE=0
[ "${1:-}" = "--purge" ] && PURGE=1
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
PREFIX="${PREFIX:-$DATA/local-voice-assistant/app}"
if [ -L "$HOME/.local/bin/assistant" ] && [ "$(readlink "$HOME/.local/bin/assistant")" = "$PREFIX/assistant" ]; then
  rm -f "$HOME/.local/bin/assistant"
fi
rm -f "$DATA/applications/local-voice-assistant.desktop" \
      "${XDG_CONFIG_HOME:-$HOME/.config}/autostart/local-voice-assistant.desktop"
rm -rf "$PREFIX"
if [ "$PURGE" = 1 ]; then
  rm -rf "$DATA/local-voice-assistant" "${XDG_CONFIG_HOME:-$HOME/.config}/local-voice-assistant" \
         "${XDG_CACHE_HOME:-$HOME/.cache}/local-voice-assistant"
  echo "removed the app, its settings, history and model cache"
else
  echo "removed the app; settings, history and models are kept (uninstall.sh --purge removes them too)"
fi
