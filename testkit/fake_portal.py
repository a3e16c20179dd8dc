"""A stand-in for xdg-desktop-portal's Screenshot interface on a private session bus, for the Wayland test.

``python -m testkit.fake_portal PNG [CODE]`` owns org.freedesktop.portal.Desktop and answers every Screenshot
call the way the real portal does: the request's object path at once, then a Response signal on it with
``CODE`` (0 = success, 1 = cancelled by the user) and the file's URI; with ``CODE`` "wait" it never answers, like
a portal whose dialog the user has not answered yet. Prints "ready" once it owns the name.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    from jeepney import DBusAddress, MessageType, new_method_return, new_signal
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.low_level import HeaderFields

    png, response = Path(argv[0]).resolve(), argv[1] if len(argv) > 1 else "0"
    with open_dbus_connection(bus="SESSION") as connection:
        connection.send_and_get_reply(message_bus.RequestName("org.freedesktop.portal.Desktop"))
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        while True:
            message = connection.receive()
            header = message.header
            if header.message_type != MessageType.method_call or header.fields.get(HeaderFields.member) != "Screenshot":
                continue
            _parent, options = message.body
            sender = header.fields[HeaderFields.sender].lstrip(":").replace(".", "_")  # the caller's unique name
            path = f"/org/freedesktop/portal/desktop/request/{sender}/{options['handle_token'][1]}"
            connection.send(new_method_return(message, "o", (path,)))
            if response == "wait":
                continue
            results = {"uri": ("s", png.as_uri())} if response == "0" else {}
            request = DBusAddress(path, interface="org.freedesktop.portal.Request")
            connection.send(new_signal(request, "Response", "ua{sv}", (int(response), results)))


if __name__ == "__main__":
    main(sys.argv[1:])
