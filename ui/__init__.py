"""The Qt desktop front-end (the only place PySide6 is imported)."""

import sys


def _keep_none_alive() -> None:
    """PySide6 6.12 on Python 3.11 drops a reference to None on every call of a Qt method that returns nothing
    (``setText``, ``update``, each QPainter call): None's count runs down as the app runs, and Python aborts when it
    reaches zero ("deallocating None"; the voice visual, painting 30 times a second, got there in minutes). Python
    3.12 made None immortal, with a count no leak can exhaust: on 3.11 None is given such a count here (a count too
    high is harmless: None is never freed). Without importing Qt: the headless commands start here too."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython" or hasattr(sys, "gettotalrefcount"):
        return  # immortal None, another runtime, or a debug build (another object layout): nothing to do
    import ctypes

    count = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt, the first field of every object
    if count.value < 1 << 40:  # once
        count.value += 1 << 48  # at 10,000 leaks a second: centuries


_keep_none_alive()
