"""What the desktop does for the assistant's tools: open links, files, folders and apps, and the clipboard.

Links, files and folders open with the user's default handler (``xdg-open`` on Linux, ``open`` on macOS,
``os.startfile`` on Windows). Apps are found among the installed desktop entries (freedesktop ``.desktop`` files in
the XDG data folders) by their name, generic name or keywords, and started detached. The clipboard goes through the
desktop's own command-line tools (``wl-paste``/``wl-copy``, ``xclip``, ``xsel``, ``pbpaste``/``pbcopy``); the Qt
front-end uses Qt's clipboard instead.
"""

from __future__ import annotations

import configparser
import difflib
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.contracts.tools import ToolError


@dataclass(frozen=True, slots=True)
class DesktopEntry:
    """An installed application: its names and its command line (field codes removed)."""

    name: str
    names: tuple[str, ...]  # lower-case: name, generic name, keywords, file stem
    command: tuple[str, ...]
    path: Path


def _data_dirs() -> list[Path]:
    home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    rest = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    return [home, *(Path(p) for p in rest.split(":") if p)]


def desktop_entries() -> list[DesktopEntry]:
    """The applications installed for this user (the first entry of a name wins, as the desktop does)."""
    found: dict[str, DesktopEntry] = {}
    for folder in _data_dirs():
        apps = folder / "applications"
        if not apps.is_dir():
            continue
        for file in sorted(apps.rglob("*.desktop")):
            entry_id = str(file.relative_to(apps)).replace("/", "-")
            if entry_id in found:
                continue
            parser = configparser.RawConfigParser(interpolation=None, strict=False)
            try:
                parser.read(file, encoding="utf-8")
                section = parser["Desktop Entry"]
            except (configparser.Error, KeyError, UnicodeDecodeError, OSError):
                continue
            if section.get("Type", "Application") != "Application" or section.get("NoDisplay") == "true" \
                    or section.get("Hidden") == "true" or not section.get("Exec"):
                continue
            try:
                command = tuple(a for a in shlex.split(section["Exec"]) if not (len(a) == 2 and a[0] == "%"))
            except ValueError:
                continue
            name = section.get("Name", file.stem)
            words = [name, section.get("GenericName", ""), file.stem.rsplit(".", 1)[-1],
                     *section.get("Keywords", "").split(";")]
            found[entry_id] = DesktopEntry(name, tuple(w.strip().lower() for w in words if w.strip()), command, file)
    return list(found.values())


class DesktopActions:
    """The ``DesktopActions`` port on this operating system."""

    def open_url(self, url: str) -> None:
        self._open(url)

    def open_path(self, path: str) -> None:
        if not Path(path).exists():
            raise ToolError("path-not-found", f"{path} does not exist.")
        self._open(path)

    def _open(self, target: str) -> None:
        if sys.platform == "win32":
            try:
                os.startfile(target)  # type: ignore[attr-defined]
            except OSError as exc:
                raise ToolError("open-failed", f"could not open {target}: {exc}.") from None
            return
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        if shutil.which(opener) is None:
            raise ToolError("open-failed", f"cannot open {target}: '{opener}' is not installed (on Debian or "
                            "Ubuntu: sudo apt install xdg-utils).")
        _detached([opener, target])

    def find_app(self, name: str) -> str | None:
        entry = self._find(name)
        return entry.name if entry is not None else None

    def _find(self, name: str) -> DesktopEntry | None:
        wanted = name.strip().lower()
        if not wanted:
            return None
        entries = desktop_entries()
        for entry in entries:  # an exact name first
            if wanted in entry.names:
                return entry
        best, score = None, 0.0
        for entry in entries:
            for candidate in entry.names:
                ratio = difflib.SequenceMatcher(None, wanted, candidate).ratio()
                if ratio > score:
                    best, score = entry, ratio
        return best if score >= 0.85 else None

    def launch_app(self, name: str) -> str:
        if sys.platform == "darwin":
            _detached(["open", "-a", name])
            return name
        entry = self._find(name)
        if entry is None:
            raise ToolError("app-not-found", f"I can't find an app called {name!r} on this computer.")
        if shutil.which(entry.command[0]) is None and not Path(entry.command[0]).exists():
            raise ToolError("open-failed", f"{entry.name} is listed ({entry.path}) but its program "
                            f"{entry.command[0]!r} is not installed.")
        _detached(list(entry.command))
        return entry.name

    def clipboard_text(self) -> str:
        command = _first(("wl-paste", "--no-newline"), ("xclip", "-selection", "clipboard", "-o"),
                         ("xsel", "--clipboard", "--output"), ("pbpaste",))
        try:
            done = subprocess.run(command, capture_output=True, timeout=5, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolError("clipboard-unavailable", f"the clipboard could not be read: {exc}.") from None
        return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""

    def set_clipboard_text(self, text: str) -> None:
        command = _first(("wl-copy",), ("xclip", "-selection", "clipboard"), ("xsel", "--clipboard", "--input"),
                         ("pbcopy",))
        try:
            subprocess.run(command, input=text.encode(), timeout=5, check=True, capture_output=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ToolError("clipboard-unavailable", f"the clipboard could not be set: {exc}.") from None


def _first(*commands: tuple[str, ...]) -> tuple[str, ...]:
    for command in commands:
        if shutil.which(command[0]):
            return command
    raise ToolError("clipboard-unavailable", "there is no clipboard here: use the desktop app, or install "
                    "wl-clipboard or xclip.")


def _detached(command: list[str]) -> None:
    """Start a program that outlives the assistant, its output discarded."""
    try:
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except OSError as exc:
        raise ToolError("open-failed", f"could not start {command[0]}: {exc}.") from None
