"""The launcher fades in and out (Qt offscreen): the states it ends in, however the user toggles it.

The offscreen platform cannot make a window translucent, so the launcher does not fade there by default (the first
test); the others switch the fade on, as on X11, Windows and macOS, to run the fade itself (Qt keeps the window's
opacity, and warns that the platform ignores it). A very long fade holds the launcher mid-fade for as long as a
test needs, with no timing involved: only conditions are waited on."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ui.launcher import FADE_MS, LauncherWindow

WAIT_MS = 5000
LONG_FADE_MS = 600_000  # mid-fade for the whole test


@pytest.fixture
def launcher(qtbot):
    made = LauncherWindow()
    qtbot.addWidget(made)
    made.hidden_count = 0
    made.hidden_while_shown = 0  # ``hidden`` emitted while the window was still on screen: never

    def count():
        made.hidden_count += 1
        made.hidden_while_shown += not made.isHidden()

    made.hidden.connect(count)
    return made


def opaque_and_shown(launcher) -> bool:
    return launcher.isVisible() and not launcher.isHidden() and launcher.windowOpacity() == 1.0


def gone(launcher) -> bool:
    """Really hidden, and opaque again for the next plain show()."""
    return launcher.isHidden() and not launcher.isVisible() and launcher.windowOpacity() == 1.0


def test_where_windows_cannot_be_translucent_it_appears_and_goes_at_once(launcher):
    assert launcher.fade_ms == 0  # offscreen, like Wayland
    launcher.popup()
    assert opaque_and_shown(launcher)
    launcher.hide()
    assert gone(launcher) and launcher.hidden_count == 1


def test_popup_fades_in_to_opaque_and_hide_fades_out_then_hides_once(launcher, qtbot):
    launcher.fade_ms = FADE_MS
    launcher.popup()
    assert launcher.isVisible() and launcher.windowOpacity() < 1.0  # from transparent, on its way in
    qtbot.waitUntil(lambda: launcher.windowOpacity() == 1.0, timeout=WAIT_MS)
    assert opaque_and_shown(launcher)

    launcher.hide()
    # Closed for the app at once (the toggle hotkey opens it again), still on screen while it fades.
    assert not launcher.isVisible() and not launcher.isHidden() and launcher.hidden_count == 0
    qtbot.waitUntil(lambda: launcher.isHidden(), timeout=WAIT_MS)
    assert gone(launcher) and launcher.hidden_count == 1
    launcher.hide()  # hidden already: nothing more
    assert launcher.hidden_count == 1


def test_escape_during_the_fade_in_fades_it_out(launcher, qtbot):
    launcher.fade_ms = LONG_FADE_MS
    launcher.popup()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is launcher, timeout=WAIT_MS)
    assert launcher.windowOpacity() < 1.0  # still fading in
    launcher.fade_ms = FADE_MS
    qtbot.keyClick(launcher.input, Qt.Key.Key_Escape)
    assert not launcher.isVisible()
    qtbot.waitUntil(lambda: launcher.isHidden(), timeout=WAIT_MS)
    assert gone(launcher) and launcher.hidden_count == 1


def test_popup_during_the_fade_out_brings_it_back_without_hiding_it(launcher, qtbot):
    launcher.fade_ms = FADE_MS
    launcher.popup()
    qtbot.waitUntil(lambda: launcher.windowOpacity() == 1.0, timeout=WAIT_MS)
    launcher.fade_ms = LONG_FADE_MS
    launcher.hide()
    assert not launcher.isVisible()
    launcher.fade_ms = FADE_MS
    launcher.popup()
    assert launcher.isVisible()
    qtbot.waitUntil(lambda: launcher.windowOpacity() == 1.0, timeout=WAIT_MS)
    assert opaque_and_shown(launcher) and launcher.hidden_count == 0  # it never went


@pytest.mark.parametrize("steps", [
    "popup hide", "popup hide hide", "popup hide popup", "popup popup hide", "popup hide popup hide popup",
    "hide popup hide", "popup hide popup hide hide popup hide",
])
def test_rapid_toggles_end_shown_and_opaque_or_hidden(launcher, qtbot, steps):
    """However far a fade had got (a hide before the fade-in's first frame hides at once: nothing to fade), it ends
    shown and opaque or hidden, ``hidden`` said once for each time it really went."""
    launcher.fade_ms = FADE_MS
    for step in steps.split():
        getattr(launcher, step)()
        QApplication.processEvents()
    if steps.endswith("popup"):
        qtbot.waitUntil(lambda: launcher.windowOpacity() == 1.0, timeout=WAIT_MS)
        assert opaque_and_shown(launcher)
    else:
        qtbot.waitUntil(lambda: launcher.isHidden(), timeout=WAIT_MS)
        assert gone(launcher) and launcher.hidden_count >= 1
    went = steps.count("hide") - (steps.startswith("hide"))  # at most once per hide of a shown launcher
    assert launcher.hidden_count <= went and launcher.hidden_while_shown == 0


def test_a_screen_capture_hides_and_shows_it_at_once(launcher, qtbot):
    """The grabber hides our windows for a shot: the launcher must be gone, not fading, when it is taken."""
    launcher.fade_ms = LONG_FADE_MS
    launcher.popup()
    launcher.set_instant(True)  # the capture starts mid-fade-in: opaque at once
    assert opaque_and_shown(launcher)
    launcher.hide()
    assert gone(launcher) and launcher.hidden_count == 1
    launcher.show()  # the grabber's, after the shot
    assert opaque_and_shown(launcher)
    launcher.set_instant(False)

    launcher.hide()  # fading out when a capture starts: gone at once
    assert not launcher.isVisible() and not launcher.isHidden()
    launcher.set_instant(True)
    assert gone(launcher) and launcher.hidden_count == 2


def test_the_toggle_hotkey_reopens_a_launcher_that_is_fading_out(qtbot, tmp_path):
    from assistant.config import Config
    from assistant.history import HistoryStore
    from ui.app import DesktopApp

    desktop = DesktopApp(Config().replace("ui", launcher_listens=False),
                         history=HistoryStore(tmp_path / "history.sqlite3"))
    launcher, went = desktop.launcher, []
    launcher.hidden.connect(lambda: went.append(True))
    launcher.fade_ms = FADE_MS
    try:
        desktop.toggle_launcher()
        assert launcher.isVisible()
        qtbot.waitUntil(lambda: launcher.windowOpacity() == 1.0, timeout=WAIT_MS)
        launcher.fade_ms = LONG_FADE_MS
        desktop.toggle_launcher()  # fading out: closed for the toggle...
        assert not launcher.isVisible() and not launcher.isHidden()
        launcher.fade_ms = FADE_MS
        desktop.toggle_launcher()  # ...so the next press opens it again (from where the fade had got)
        qtbot.waitUntil(lambda: launcher.windowOpacity() == 1.0, timeout=WAIT_MS)
        assert opaque_and_shown(launcher) and went == []
        desktop.toggle_launcher()
        qtbot.waitUntil(lambda: launcher.isHidden(), timeout=WAIT_MS)
        assert gone(launcher) and went == [True]
    finally:
        desktop.shutdown()
        desktop.window.quitting = True
        desktop.window.close()
