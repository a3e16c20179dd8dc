"""One running app per user: a second start, or ``assistant toggle``, asks the running one over a local socket.

Wayland does not let applications grab global keys, so users there bind ``assistant toggle`` in their
desktop's shortcut settings; it reaches the running app through this socket in a few milliseconds.

Only the same user may connect: a command can open the microphone (``assistant toggle listen``), so the socket
lives in the user's runtime folder (``XDG_RUNTIME_DIR``, 0700) where there is one, and is created with
``UserAccessOption`` (mode 0700 on Unix, an owner-only ACL on Windows) wherever it is."""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from assistant.config import APP_NAME, config_path

log = logging.getLogger(__name__)

COMMANDS = ("show", "toggle", "listen", "settings", "quit")


# A Unix socket's path must fit sockaddr_un.sun_path (108 bytes on Linux, 104 on macOS, with the final NUL).
_MAX_SOCKET_PATH = 100


def server_name() -> str:
    """Per user and per settings file, so tests (and users with two profiles) do not collide.

    On Unix a full path in the user's runtime folder when there is one (Qt uses the shared temp folder for a bare
    name); a bare name elsewhere (a named pipe on Windows)."""
    digest = hashlib.sha1(str(config_path()).encode()).hexdigest()[:10]
    name = f"{APP_NAME}-{getpass.getuser()}-{digest}"
    runtime = os.environ.get("XDG_RUNTIME_DIR") if os.name == "posix" else None
    if runtime and Path(runtime).is_dir():
        path = str(Path(runtime) / name)
        if len(path.encode()) <= _MAX_SOCKET_PATH:
            return path
    return name


def send_command(command: str, timeout_ms: int = 1000) -> bool:
    """Send ``command`` to the running app; False when none is running."""
    socket = QLocalSocket()
    socket.connectToServer(server_name())
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write((command + "\n").encode())
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    ok = socket.waitForReadyRead(timeout_ms) and bytes(socket.readAll().data()).strip() == b"ok"
    socket.disconnectFromServer()
    return ok


class InstanceServer(QObject):
    """Listens for commands from later starts; emits ``command`` on the GUI thread."""

    command = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        # Owner only: another account on this computer must not reach the microphone through this socket.
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        """Become the running instance; False if another one already is."""
        name = server_name()
        # Ask first: with an access option Qt binds a temporary path and renames it over ``name``, so listening
        # would silently take the socket from a running app instead of failing.
        probe = QLocalSocket()
        probe.connectToServer(name)
        if probe.waitForConnected(300):
            probe.disconnectFromServer()
            return False
        QLocalServer.removeServer(name)  # a crashed app's socket file, which nobody answers on
        return self._server.listen(name)

    def _on_connection(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_ready(s))
            socket.disconnected.connect(socket.deleteLater)

    def _on_ready(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            line = bytes(socket.readLine().data()).decode(errors="replace").strip()
            if line in COMMANDS:
                socket.write(b"ok\n")
                self.command.emit(line)
            else:
                log.warning("unknown command on the instance socket: %r", line[:40])
                socket.write(b"unknown\n")
        socket.flush()

    def socket_path(self) -> str:
        """Where the socket is (a file on Unix), once listening."""
        return self._server.fullServerName()

    def close(self) -> None:
        self._server.close()
