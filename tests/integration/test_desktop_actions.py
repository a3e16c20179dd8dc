"""The desktop adapter for real: folders and links open with the user's default handler through xdg-open (xdg-utils,
reading a private mimeapps.list), and apps are found among desktop entries and started. The handlers are small
scripts that write down what they were given."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from assistant.bus import EventBus
from assistant.contracts.tools import ToolCall, ToolError
from assistant.contracts.turns import CancelToken
from assistant.pipeline.acting import ToolTurns
from assistant.tools.desktop import Desktop
from assistant.tools.intents import IntentMatcher
from assistant.tools.toolbox import Toolbox
from desktop.actions import DesktopActions, desktop_entries
from testkit.helpers import wait_until


def _wait_for_file(path: Path, timeout: float = 20.0) -> str:
    """What a handler script (another process, started by xdg-open) wrote down."""
    assert wait_until(lambda: path.exists() and path.read_text().strip(), timeout), f"{path} was never written"
    return path.read_text().strip()


@pytest.fixture
def session(tmp_path, monkeypatch):
    """A desktop of the test's own: XDG folders under tmp_path, a handler for folders and for web links, and an app."""
    data, config = tmp_path / "data", tmp_path / "config"
    apps = data / "applications"
    apps.mkdir(parents=True)
    config.mkdir()
    handler = tmp_path / "handler.sh"
    handler.write_text(f'#!/bin/sh\necho "$1" > {tmp_path}/opened\n')
    app = tmp_path / "app.sh"
    app.write_text(f"#!/bin/sh\necho started > {tmp_path}/started\n")
    for script in (handler, app):
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    (apps / "test-handler.desktop").write_text(
        f"[Desktop Entry]\nType=Application\nName=Test Handler\nExec={handler} %u\nNoDisplay=true\n"
        "MimeType=inode/directory;x-scheme-handler/https;text/plain;\n")
    (apps / "org.example.Marker.desktop").write_text(
        f"[Desktop Entry]\nType=Application\nName=Marker Pad\nGenericName=Note Taker\nKeywords=notes;jot;\n"
        f"Exec={app} %F\n")
    (config / "mimeapps.list").write_text("[Default Applications]\ninode/directory=test-handler.desktop\n"
                                          "x-scheme-handler/https=test-handler.desktop\n"
                                          "text/plain=test-handler.desktop\n")
    home = tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    for name, value in (("XDG_DATA_HOME", data), ("XDG_CONFIG_HOME", config), ("XDG_DATA_DIRS", data),
                        ("HOME", home), ("DISPLAY", os.environ.get("DISPLAY") or ":99")):
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    return tmp_path


def test_a_folder_opens_with_the_default_handler(session):
    DesktopActions().open_path(str(session / "home" / "Downloads"))
    assert _wait_for_file(session / "opened") == str(session / "home" / "Downloads")


def test_a_file_opens_with_its_default_application_and_a_missing_one_is_said(session):
    notes = session / "home" / "notes.txt"
    notes.write_text("milk, eggs")
    desktop = Desktop(DesktopActions())
    assert desktop.open_file({"path": str(notes)}).say == "Opened notes.txt."
    assert _wait_for_file(session / "opened") == str(notes)
    with pytest.raises(ToolError) as caught:
        desktop.open_file({"path": str(session / "home" / "gone.txt")})
    assert caught.value.code == "path-not-found"


def test_a_web_link_opens_with_the_default_browser(session):
    DesktopActions().open_url("https://example.org/page")
    assert _wait_for_file(session / "opened") == "https://example.org/page"


def test_an_app_is_found_by_its_names_and_started(session):
    actions = DesktopActions()
    names = {e.name for e in desktop_entries()}
    assert "Marker Pad" in names and "Test Handler" not in names  # NoDisplay entries are not apps to open
    assert actions.find_app("marker pad") == "Marker Pad"
    assert actions.find_app("note taker") == "Marker Pad"  # its generic name
    assert actions.find_app("markr pad") == "Marker Pad"  # a near miss of speech recognition
    assert actions.find_app("spreadsheet") is None
    assert actions.launch_app("Marker Pad") == "Marker Pad"
    assert _wait_for_file(session / "started") == "started"


def test_an_app_that_is_not_installed_is_a_clear_error(session):
    with pytest.raises(ToolError) as caught:
        DesktopActions().launch_app("Photoshop")
    assert caught.value.code == "app-not-found" and "Photoshop" in caught.value.message


def test_a_spoken_open_request_asks_then_opens_the_real_folder(session):
    bus = EventBus()
    desktop = Desktop(DesktopActions())
    toolbox, matcher = Toolbox(bus, sources=desktop.tools()), IntentMatcher(desktop.matchers())
    acting = ToolTurns(bus, toolbox, matcher)
    cancel = CancelToken(1)
    assert acting.answer_by_intent("Open my downloads folder.", turn_id=1, cancel=cancel) == \
        "Open your Downloads folder? Say yes to go ahead."
    assert not (session / "opened").exists()
    assert acting.answer_by_intent("Yes.", turn_id=2, cancel=cancel) == "Opened your Downloads folder."
    assert _wait_for_file(session / "opened") == str(session / "home" / "Downloads")
    assert acting.answer_by_intent("Open Marker Pad", turn_id=3, cancel=cancel) == "Open Marker Pad? Say yes to go " \
                                                                                      "ahead."
    assert acting.perform(ToolCall("desktop.open_app", {"name": "marker pad"}, "confirmed"), turn_id=4,
                          cancel=cancel) == "Opening Marker Pad."
    assert _wait_for_file(session / "started") == "started"
