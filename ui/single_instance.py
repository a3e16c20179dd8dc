"""One running app per user: a second start, or ``assistant toggle``, asks the running one over a local socket.

Wayland does not let applications grab global keys, so users there bind ``assistant toggle`` in their
desktop's shortcut settings; it reaches the running app through this socket in a few milliseconds."""

from __future__ import annotations

import getpass
import hashlib
import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from assistant.config import APP_NAME, config_path

log = logging.getLogger(__name__)

COMMANDS = ("show", "toggle", "listen", "settings", "quit")


def server_name() -> str:
    """Per user and per settings file, so tests (and users with two profiles) do not collide."""
    digest = hashlib.sha1(str(config_path()).encode()).hexdigest()[:10]
    return f"{APP_NAME}-{getpass.getuser()}-{digest}"


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
        self._server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        """Become the running instance; False if another one already is."""
        name = server_name()
        if self._server.listen(name):
            return True
        # A crashed app leaves its socket file behind: if nobody answers on it, take it over.
        probe = QLocalSocket()
        probe.connectToServer(name)
        if probe.waitForConnected(300):
            probe.disconnectFromServer()
            return False
        QLocalServer.removeServer(name)
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

    def close(self) -> None:
        self._server.close()
