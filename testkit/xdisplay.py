"""A real X server for desktop tests: Xvfb, a tray host, and window-system queries from outside the app."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from testkit.helpers import wait_until


def _need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:  # CI installs these (scripts/install_system_deps.sh): a missing one is a set-up error
        pytest.fail(f"{tool} is missing: install the Debian package {package} (make test does)")
    return path


class XDisplay:
    """A private Xvfb display: its name, an environment that points at it, and xdotool on it."""

    def __init__(self, number: int) -> None:
        self.name = f":{number}"
        self.env = {**os.environ, "DISPLAY": self.name}
        self.env.pop("WAYLAND_DISPLAY", None)
        self.env.pop("QT_QPA_PLATFORM", None)  # the app must use the real X server, not offscreen
        self.tray: subprocess.Popen | None = None  # the tray host, when trayer is installed
        self.tray_log = Path(tempfile.gettempdir()) / f"trayer-{number}.log"

    def start_tray(self) -> None:
        """Start the tray host (trayer) and wait until it owns the tray selection, or start it again if it has
        gone; its messages are kept in ``tray_log`` for a failing test to show."""
        if self.tray is not None and self.tray.poll() is None:
            return
        if self.tray is not None:
            print(f"tray host had exited ({self.tray.returncode}): starting it again")
        if not shutil.which("trayer"):
            return
        for _ in range(3):
            with self.tray_log.open("w") as log:
                self.tray = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype",
                                              "request"], env=self.env, stdout=log, stderr=log)
            if wait_until(lambda: self.tray.poll() is not None or self.tray_owned(), 10, interval=0.05) \
                    and self.tray.poll() is None:
                return
            self.tray.kill()
            self.tray.wait(10)
        pytest.fail(f"the tray host did not start: {self.tray_log.read_text()}")

    def tray_owned(self) -> bool:
        """Whether a tray host owns the system-tray selection of screen 0 (the freedesktop tray protocol)."""
        from Xlib import X
        from Xlib.display import Display

        try:
            display = Display(self.name)
        except Exception:  # the server is not answering yet
            return False
        try:
            return display.get_selection_owner(display.intern_atom("_NET_SYSTEM_TRAY_S0")) != X.NONE
        finally:
            display.close()

    def xdotool(self, *args: str, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=10,
                              check=check)

    def visible_windows(self, name: str, pid: int | None = None) -> list[str]:
        """Window ids the X server reports as mapped (viewable) whose title matches ``name`` (a regex), leaving
        out tray icons (small windows that carry the application's name)."""
        args = ["search", "--all", "--onlyvisible"]  # --all: every condition must hold (the default is any)
        if pid is not None:
            args += ["--pid", str(pid)]
        result = self.xdotool(*args, "--name", name)
        windows = []
        for window in result.stdout.split():
            try:
                _, _, width, height = self.geometry(window)
            except subprocess.CalledProcessError:  # gone meanwhile
                continue
            if width > 100 and height > 40:
                windows.append(window)
        return windows

    def tray_icons(self, pid: int) -> list[str]:
        """The app's small windows that a tray host has embedded (reparented away from the root window)."""
        result = self.xdotool("search", "--all", "--pid", str(pid), "--name", "")
        icons = []
        for window in result.stdout.split():
            info = subprocess.run(["xwininfo", "-children", "-id", window], env=self.env, capture_output=True,
                                  text=True, timeout=10).stdout
            root = next((line.split()[3] for line in info.splitlines() if "Root window id:" in line), None)
            parent = next((line.split()[3] for line in info.splitlines() if "Parent window id:" in line), None)
            try:
                _, _, width, height = self.geometry(window)
            except subprocess.CalledProcessError:
                continue
            if width <= 64 and height <= 64 and parent not in (None, root, "0x0"):
                icons.append(window)
        return icons

    def wait_window(self, name: str, pid: int | None = None, timeout: float = 30.0) -> str | None:
        found: list[str] = []

        def check() -> bool:
            found[:] = self.visible_windows(name, pid)
            return bool(found)

        return found[0] if wait_until(check, timeout, interval=0.005) else None

    def geometry(self, window: str) -> tuple[int, int, int, int]:
        out = self.xdotool("getwindowgeometry", "--shell", window, check=True).stdout
        values = dict(line.split("=", 1) for line in out.split())
        return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])

    def screenshot(self, path: Path, window: str | None = None) -> Path:
        """A PNG of the whole screen, or of one window's rectangle."""
        import mss
        import mss.tools

        with mss.mss(display=self.name) as grab:
            if window is None:
                region = grab.monitors[1]
            else:
                x, y, w, h = self.geometry(window)
                region = {"left": x, "top": y, "width": w, "height": h}
            image = grab.grab(region)
            mss.tools.to_png(image.rgb, image.size, output=str(path))
        return path


@contextlib.contextmanager
def virtual_display(fail=pytest.fail):
    """Xvfb at 1920x1080 with a tray host (trayer); yields an XDisplay."""
    xvfb = _need("Xvfb", "xvfb")
    _need("xdotool", "xdotool")
    _need("xdpyinfo", "x11-utils")
    # -displayfd: Xvfb takes the first free display number itself (atomically, by its lock file) and writes it
    # to the pipe, so parallel test workers and a developer's own X servers never race for one.
    # -noreset: by default Xvfb resets when its last client leaves (the readiness probe below), and a client
    # connecting during that reset (the tray host) finds no display
    read_end, write_end = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write_end), "-screen", "0", "1920x1080x24", "-nolisten", "tcp",
                               "-noreset"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,))
    os.close(write_end)
    with os.fdopen(read_end) as announced:
        number = announced.readline().strip()  # written once the server listens; "" if it died first
    if not number.isdigit():
        server.kill()
        fail(f"Xvfb did not start (exit status {server.wait(10)})")
    display = XDisplay(int(number))
    ready = wait_until(lambda: subprocess.run(["xdpyinfo"], env=display.env, capture_output=True).returncode == 0,
                       20, interval=0.1)
    if not ready:
        server.kill()
        fail("Xvfb did not start")
    display.start_tray()
    try:
        yield display
    finally:
        for proc in (display.tray, server):
            if proc is not None:
                proc.terminate()
                proc.wait(10)


@pytest.fixture(scope="session")
def xdisplay():
    """A real X server for the session (see ``virtual_display``)."""
    with virtual_display() as display:
        yield display


class LoggedProcess:
    """A subprocess whose stderr lines are collected as they come, so a test can wait for a log line."""

    def __init__(self, args: list[str], env: dict) -> None:
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _pump(self) -> None:
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_line(self, text: str, timeout: float) -> str | None:
        with self._cond:
            ok = self._cond.wait_for(lambda: any(text in line for line in self.lines), timeout)
            return next((line for line in self.lines if text in line), None) if ok else None

    def output(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
