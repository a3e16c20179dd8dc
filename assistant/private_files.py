"""Folders and files only the user may read: settings, conversation history, caches.

Conversations and settings are personal; on a shared computer the default modes (0755 folders, 0644 files)
let every other account read them. Folders the app owns are created 0700 and files 0600, and ones left
looser by an older version are tightened. On Windows the user's profile folders are private already and
``chmod`` cannot express this, so these helpers do nothing there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
_POSIX = os.name == "posix"


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Create ``path`` (and missing parents) readable by the user alone; ``tighten`` an existing looser one.

    ``tighten=False`` is for folders the user named (a shared model cache): created private, never changed."""
    path = Path(path)
    existed = path.is_dir()
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)  # parents get the umask's mode; they are not ours
    if _POSIX and (tighten or not existed):
        _chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Tighten an existing file to 0600 (a missing one, or a folder in its place, is left as it is)."""
    if _POSIX and path.is_file():
        _chmod(path, FILE_MODE)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists, then tighten it: no moment where others may read."""
    if _POSIX:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    private_file(path)


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to a new file created 0600 (replacing ``path``'s contents), for an atomic rename after."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _chmod(path: Path, mode: int) -> None:
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & ~mode:  # only ever remove rights: a stricter mode the user chose stays
            path.chmod(current & mode)
            log.info("tightened %s from %o to %o", path, current, current & mode)
    except OSError as exc:  # a file owned by another account: keep going, the user is told in the log
        log.warning("cannot make %s private: %s", path, exc)
