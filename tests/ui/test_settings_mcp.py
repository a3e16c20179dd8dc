"""Settings > Tools: the MCP server editor lists, adds and removes the servers of mcp.json (beside the settings file),
and Save writes it, private and keeping what the editor does not show."""

from __future__ import annotations

import json
import os
import stat

import pytest
import shiboken6
from PySide6.QtCore import Qt

from assistant.config import Config, load_config
from ui.settings_dialog import PAGES, SettingsDialog

WAIT_MS = 20_000


pytestmark = pytest.mark.usefixtures("file_keyring")  # a real keyring in tmp_path (tests/ui/conftest.py)


@pytest.fixture
def settings_path(tmp_path):
    folder = tmp_path / "settings"
    folder.mkdir()
    return folder / "config.toml"


@pytest.fixture
def open_dialog(qtbot, settings_path):
    opened: list[SettingsDialog] = []

    def make(config: Config | None = None) -> SettingsDialog:
        dialog = SettingsDialog(config or Config(), path=settings_path)
        qtbot.addWidget(dialog)
        opened.append(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=WAIT_MS)
        dialog.show_page("tools")
        return dialog

    yield make
    for dialog in opened:  # no worker may outlive its test's keyring
        if shiboken6.isValid(dialog):
            qtbot.waitUntil(lambda d=dialog: not d.is_busy(), timeout=WAIT_MS)


def _rows(dialog) -> list[str]:
    listing = dialog.mcp_editor.server_list
    return [listing.item(i).text() for i in range(listing.count())]


def _save(qtbot, dialog):
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    return signal.args[0]


def test_servers_are_added_and_removed_and_saved_beside_the_settings(qtbot, open_dialog, settings_path):
    mcp_json = settings_path.parent / "mcp.json"
    mcp_json.write_text(json.dumps({"mcpServers": {
        "old": {"command": "uvx", "args": ["old-server"], "env": {"TOKEN": "secret"}, "alwaysAllow": ["x"]},
        "broken": {"args": ["x"]},
        "off": {"command": "x", "disabled": True},
    }, "globalShortcut": "kept"}), encoding="utf-8")
    dialog = open_dialog()
    editor = dialog.mcp_editor
    assert dialog.tabs.currentIndex() == PAGES.index("tools") and dialog.tabs.widget(PAGES.index("tools")) \
        .isAncestorOf(editor)
    rows = _rows(dialog)
    assert rows[0] == "old: uvx old-server" and "secret" not in " ".join(rows)
    assert rows[1].startswith("broken: cannot be used (needs a \"command\"") and rows[2] == "off: disabled"

    editor.name_edit.setText("files")
    editor.target_edit.setText("npx -y @modelcontextprotocol/server-filesystem '/home/me/My Documents'")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    editor.name_edit.setText("notes")
    editor.target_edit.setText("http://127.0.0.1:8000/mcp")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    editor.name_edit.setText("notes")  # a name that is taken
    editor.target_edit.setText("other-command")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert "already" in editor.status.text()
    editor.name_edit.setText("web")  # neither a command nor an http(s) address
    editor.target_edit.setText("ftp://example.org/mcp")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert "not an http" in editor.status.text() and "ftp" not in " ".join(_rows(dialog))

    editor.server_list.setCurrentRow(_rows(dialog).index("broken: cannot be used (needs a \"command\" to start "
                                                         "(or a \"url\" to reach))"))
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    assert [r.split(":")[0] for r in _rows(dialog)] == ["old", "off", "files", "notes"]
    assert not json.loads(mcp_json.read_text(encoding="utf-8"))["mcpServers"].get("files")  # not before Save

    with qtbot.waitSignal(dialog.mcp_saved, timeout=WAIT_MS) as written:
        _save(qtbot, dialog)
    assert written.args[0] == mcp_json
    document = json.loads(mcp_json.read_text(encoding="utf-8"))
    assert document["globalShortcut"] == "kept"
    assert document["mcpServers"] == {
        "old": {"command": "uvx", "args": ["old-server"], "env": {"TOKEN": "secret"}, "alwaysAllow": ["x"]},
        "off": {"command": "x", "disabled": True},
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem",
                                             "/home/me/My Documents"]},
        "notes": {"url": "http://127.0.0.1:8000/mcp"},
    }
    if os.name == "posix":
        assert stat.S_IMODE(mcp_json.stat().st_mode) == 0o600


def test_the_tools_settings_round_trip(qtbot, open_dialog, settings_path):
    dialog = open_dialog()
    dialog.tools_allowed_edit.setText("timers, mcp:files")
    dialog.mcp_enabled.setChecked(False)
    config = _save(qtbot, dialog)
    assert config.tools.allowed_set == {"timers", "mcp:files"} and not config.tools.mcp
    assert load_config(settings_path, env={}).tools == config.tools
    assert not (settings_path.parent / "mcp.json").exists()  # nothing changed there: nothing written


def test_an_mcp_json_that_is_not_json_is_shown_and_left_alone(qtbot, open_dialog, settings_path):
    mcp_json = settings_path.parent / "mcp.json"
    mcp_json.write_text('{"mcpServers": {', encoding="utf-8")
    dialog = open_dialog()
    editor = dialog.mcp_editor
    assert "not valid JSON" in editor.status.text() and str(mcp_json) in editor.status.text()
    assert not editor.add_button.isEnabled()
    _save(qtbot, dialog)
    assert mcp_json.read_text(encoding="utf-8") == '{"mcpServers": {'
