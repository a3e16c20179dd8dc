#!/usr/bin/env bash
# Debian/Ubuntu packages the app and its tests use; installs only what is missing.
#   libportaudio2  microphone and speaker (sounddevice)
#   espeak-ng      the fallback voice
#   sox            test fixtures (noise, padding, measurements)
#   libxcb-* libxkbcommon-x11-0 libegl1   what Qt's X11 platform plugin loads
#   xvfb x11-utils xdotool trayer         a real X server, window queries and a tray host for the desktop tests
#   pulseaudio pulseaudio-utils libasound2-plugins   a virtual microphone and speaker for the live-audio tests
#   x11-xserver-utils dbus   two virtual monitors (xrandr) and a private session bus (the screen-capture portal test)
#   dunst                    a real desktop notification server (the timer notification test, on Xvfb)
#   xdg-utils                xdg-open, which opens folders and links for the desktop tools (and their tests)
#   fonts-noto-cjk           Chinese characters for the interface in zh_CN (and its screenshots)
#   libgtk-3-0               a GTK desktop's light or dark setting, which Qt's gtk3 platform theme reads (the theme test)
set -euo pipefail
PACKAGES=(libportaudio2 espeak-ng sox
          libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3
          xvfb x11-utils xdotool trayer
          pulseaudio pulseaudio-utils libasound2-plugins
          x11-xserver-utils dbus dunst xdg-utils fonts-noto-cjk libgtk-3-0)

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_system_deps: no apt-get here; install PortAudio and espeak-ng with your package manager" >&2
  exit 0
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install_system_deps: please install as root: apt-get install ${missing[*]}" >&2; exit 1
  fi
fi
echo "installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
