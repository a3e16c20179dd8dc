"""The single-instance socket: only the user who started the app can send it commands (which open the mic)."""

import os
import shutil
import stat
import tempfile

import pytest
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from ui.single_instance import InstanceServer, server_name


@pytest.fixture
def runtime_dir(monkeypatch):
    # Short, under /tmp: a socket path must fit in sun_path (tmp_path can be too long).
    folder = tempfile.mkdtemp(prefix="rt-")
    os.chmod(folder, 0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", folder)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _check_owner_only(server: InstanceServer) -> None:
    assert server._server.socketOptions() == QLocalServer.SocketOption.UserAccessOption
    info = os.stat(server.socket_path())
    assert stat.S_ISSOCK(info.st_mode)
    assert info.st_uid == os.getuid()
    assert stat.S_IMODE(info.st_mode) & 0o077 == 0, oct(info.st_mode)  # no one else may connect


def test_socket_is_in_the_runtime_folder_and_owner_only(qtbot, runtime_dir):
    assert os.path.dirname(server_name()) == runtime_dir
    server = InstanceServer()
    try:
        assert server.listen()
        assert server.socket_path() == server_name()
        _check_owner_only(server)
        received: list[str] = []
        server.command.connect(received.append)
        # The same user still gets through (a client socket here: send_command would block the loop that serves it).
        client = QLocalSocket()
        client.connectToServer(server_name())
        assert client.waitForConnected(1000)
        client.write(b"show\n")
        qtbot.waitUntil(lambda: received == ["show"], timeout=10_000)
        client.abort()
        qtbot.wait(50)  # the server side sees the hang-up and deletes its socket before the server goes
    finally:
        server.close()


def test_without_a_runtime_folder_the_socket_is_still_owner_only(qtbot, monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    assert os.sep not in server_name()  # a bare name: Qt puts it in the temp folder
    server = InstanceServer()
    try:
        assert server.listen()
        _check_owner_only(server)
    finally:
        server.close()


def test_a_stale_socket_is_taken_over_with_the_same_protection(qtbot, runtime_dir):
    first = InstanceServer()
    assert first.listen()
    assert not InstanceServer().listen()  # a second app would not become the instance
    first.close()
    with open(server_name(), "w"):  # a crashed app's leftover (here a plain file that nobody answers on)
        pass
    again = InstanceServer()
    try:
        assert again.listen()
        _check_owner_only(again)
    finally:
        again.close()
