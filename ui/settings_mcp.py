"""The settings dialog's MCP server editor (Settings > Tools): the servers of mcp.json listed, added (a command to
start, or an address to reach) and removed; the file is written when the dialog is saved.

Entries it does not understand (another client's keys, a disabled server, a malformed one) are kept as they are;
a file that is not valid JSON is shown with its problem and left alone (saving would lose what the user wrote).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.contracts.errors import ConfigError
from assistant.tools.mcp_servers import load_mcp_servers, parse_server, save_mcp_servers
from ui.i18n import error_text
from ui.theme import set_role


class McpServersEditor(QGroupBox):
    """Lists, adds and removes the MCP servers of ``path`` (mcp.json); ``save()`` writes them when changed."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("MCP servers"))
        self.path = path
        self.entries: dict[str, Any] = {}
        self.changed = False
        self.editable = True

        self.server_list = QListWidget()
        self.server_list.setObjectName("mcp_server_list")
        self.server_list.setMaximumHeight(120)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("name, e.g. files"))
        self.target_edit = QLineEdit()
        self.target_edit.setPlaceholderText(self.tr("a command (npx -y @modelcontextprotocol/server-filesystem "
                                                    "~/Documents) or an address (http://127.0.0.1:8000/mcp)"))
        self.target_edit.returnPressed.connect(self.add_server)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.clicked.connect(self.add_server)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self.remove_selected)
        self.server_list.currentItemChanged.connect(
            lambda item, _: self.remove_button.setEnabled(item is not None and self.editable))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        add_row = QHBoxLayout()
        add_row.addWidget(self.name_edit, 1)
        add_row.addWidget(self.target_edit, 3)
        add_row.addWidget(self.add_button)
        list_row = QHBoxLayout()
        list_row.addWidget(self.server_list, 1)
        list_row.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(list_row)
        layout.addLayout(add_row)
        layout.addWidget(self.status)
        self.load()

    def load(self) -> None:
        """Read the file again (changes not saved are dropped)."""
        self.changed = False
        try:
            self.entries = dict(load_mcp_servers(self.path).entries)
            self.editable = True
            self._say(self.tr("Kept in {path}. Servers start with the assistant; their tools run only once allowed "
                              "above (mcp:<name>) under the local-only policy.").format(path=self.path))
        except ConfigError as exc:
            self.entries, self.editable = {}, False
            self._say(error_text(exc.code, exc.message, self.tr("Fix or remove the file to edit the servers here.")),
                      error=True)
        for widget in (self.name_edit, self.target_edit, self.add_button):
            widget.setEnabled(self.editable)
        self._refresh()

    def add_server(self) -> None:
        """Add the server typed in the two boxes (an http(s):// address, or a command line to start)."""
        name, target = self.name_edit.text().strip(), self.target_edit.text().strip()
        if not name or not target:
            self._say(self.tr("Give the server a name, and the command that starts it or its address."), error=True)
            return
        if name in self.entries:
            self._say(self.tr("There is a server named {name} already: remove it first, or choose another "
                              "name.").format(name=repr(name)), error=True)
            return
        if "://" in target.split()[0]:  # an address (one that is not http(s) is refused below, with the reason)
            entry: dict[str, Any] = {"url": target}
        else:
            try:
                words = shlex.split(target, posix=os.name != "nt")
            except ValueError as exc:
                self._say(self.tr("The command cannot be read: {reason}.").format(reason=exc), error=True)
                return
            entry = {"command": words[0], "args": words[1:]} if words else {}
        try:
            parse_server(name, entry, where="the new server")
        except ConfigError as exc:
            self._say(error_text(exc.code, exc.message), error=True)
            return
        self.entries[name] = entry
        self.changed = True
        self.name_edit.clear()
        self.target_edit.clear()
        self._say(self.tr("{name} is added; Save to keep it.").format(name=name))
        self._refresh(select=name)

    def remove_selected(self) -> None:
        item = self.server_list.currentItem()
        if item is None or not self.editable:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        if name is None:  # the "no servers" line
            return
        self.entries.pop(name, None)
        self.changed = True
        self._say(self.tr("{name} is removed; Save to keep it so.").format(name=name))
        self._refresh()

    def save(self) -> bool:
        """Write the servers when they changed; True when the file was written. Raises OSError."""
        if not self.changed or not self.editable:
            return False
        save_mcp_servers(self.entries, self.path)
        self.changed = False
        return True

    def _refresh(self, select: str | None = None) -> None:
        self.server_list.clear()
        for name, entry in self.entries.items():
            try:
                spec = parse_server(name, entry, where=str(self.path))
                text = f"{name}: {spec.describe()}" if spec is not None else self.tr("{name}: disabled").format(
                    name=name)
            except ConfigError as exc:
                text = self.tr("{name}: cannot be used ({reason})").format(
                    name=name, reason=exc.message.split(f"{name!r} ", 1)[-1])
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.server_list.addItem(item)
            if name == select:
                self.server_list.setCurrentItem(item)
        if not self.entries:
            placeholder = QListWidgetItem(self.tr("No MCP servers yet."))
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.server_list.addItem(placeholder)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        set_role(self.status, "error" if error else "")
