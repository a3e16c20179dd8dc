"""Giving freed heap memory back to the operating system.

glibc keeps what Python, torch and the model runtimes free in its heap arenas for reuse, so the process's
resident size stays at its peak: loading the language model (converted through float32 copies) left about
1.6 GB of freed memory resident, and each turn's activations and caches add more. ``malloc_trim`` hands the
free pages back. Elsewhere (macOS, Windows, musl) there is no such call and these functions do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys
import threading
import time

log = logging.getLogger(__name__)

_lock = threading.Lock()
_running = False  # a release thread is at work
_again = False  # asked for again while it was
_not_before = 0.0  # monotonic time before which no release runs


def _load_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_trim = _load_trim()


def release_freed_memory(collect: bool = False) -> bool:
    """Return the heap's free pages to the OS now (tens of ms for a few GB); False where it cannot be done.
    ``collect``: first free what only reference cycles keep (a loader's temporaries can be; it holds the GIL
    for a while, so only where nothing waits on it, after a load)."""
    if collect:
        gc.collect()
    if _trim is None:
        return False
    t0 = time.monotonic()
    _trim(0)
    log.debug("freed heap memory returned to the OS in %.0f ms", (time.monotonic() - t0) * 1000)
    return True


def release_freed_memory_soon(not_before: float = 0.0) -> None:
    """``release_freed_memory`` on a background thread, so the caller (a stage thread, at the end of a turn)
    does not wait for it, and not before the monotonic time ``not_before`` (the end of the reply's playback:
    the trim holds the heap's locks, and an audio callback must not wait on them). Requests made while one
    waits or runs are folded into one more run."""
    global _running, _again, _not_before
    if _trim is None:
        return
    with _lock:
        _not_before = max(_not_before, not_before)
        if _running:
            _again = True
            return
        _running = True
    threading.Thread(target=_release_until_done, name="memory-release", daemon=True).start()


def _release_until_done() -> None:
    global _running, _again
    while True:
        with _lock:
            wait = _not_before - time.monotonic()
        if wait > 0:
            time.sleep(wait)
            continue
        release_freed_memory()
        with _lock:
            if not _again:
                _running = False
                return
            _again = False
