"""A private D-Bus session bus, and a real notification server on it (dunst, on an Xvfb display).

``session_bus()`` runs ``dbus-daemon`` with a configuration of its own: no service files, so nothing is started
on demand (a call to a service nobody serves fails at once, as on a desktop without it). ``Dunst`` runs the dunst
notification daemon on that bus and reads back what it showed with ``dunstctl history``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from testkit.helpers import wait_until

_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
NOTIFICATIONS = "org.freedesktop.Notifications"


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:  # make test installs it (scripts/install_system_deps.sh): a missing one is a set-up error
        pytest.fail(f"{tool} is missing: install the Debian package {package} (make test does)")
    return path


@contextlib.contextmanager
def session_bus():
    """A private session bus; yields its address (for DBUS_SESSION_BUS_ADDRESS)."""
    daemon = need("dbus-daemon", "dbus")
    with tempfile.TemporaryDirectory(prefix="test-bus-") as folder:
        config = Path(folder) / "session.conf"
        config.write_text(_CONFIG.format(folder=folder))
        proc = subprocess.Popen([daemon, f"--config-file={config}", "--nofork", "--print-address"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            address = proc.stdout.readline().strip()
            if not address:
                pytest.fail(f"dbus-daemon did not start (exit status {proc.wait(10)})")
            yield address
        finally:
            proc.kill()
            proc.wait(10)
            proc.stdout.close()


def name_has_owner(address: str, name: str) -> bool:
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(address) as connection:
        return bool(connection.send_and_get_reply(message_bus.NameHasOwner(name), timeout=5).body[0])


class Dunst:
    """The dunst notification daemon on ``address``, drawing on the X display ``display``."""

    def __init__(self, address: str, display: str, log: Path) -> None:
        need("dunst", "dunst")
        self.dunstctl = need("dunstctl", "dunst")
        self.env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "DISPLAY": display}
        self.env.pop("WAYLAND_DISPLAY", None)
        self.address, self.log = address, log
        with log.open("w") as out:
            self.proc = subprocess.Popen(["dunst"], env=self.env, stdout=out, stderr=subprocess.STDOUT)
        if not wait_until(lambda: self.proc.poll() is not None or name_has_owner(address, NOTIFICATIONS), 20,
                          interval=0.05) or self.proc.poll() is not None:
            self.stop()
            pytest.fail(f"dunst did not take {NOTIFICATIONS} on the bus: {log.read_text()}")

    def shown(self) -> list[dict]:
        """Every notification dunst showed (closing the ones on screen first, which moves them to its history):
        dicts with summary, body, appname, category, ..."""
        subprocess.run([self.dunstctl, "close-all"], env=self.env, check=True, timeout=10)
        out = subprocess.run([self.dunstctl, "history"], env=self.env, check=True, timeout=10, capture_output=True,
                             text=True).stdout
        return [{key: value["data"] for key, value in item.items()} for item in json.loads(out)["data"][0]]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
