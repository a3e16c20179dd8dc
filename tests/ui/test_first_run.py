"""The first-run setup against a real settings file, the real microphone and speaker of a private PulseAudio room
(testkit.pulse: what is played into its null sink is what its microphone hears), and the real desktop app."""

from __future__ import annotations

import os
import stat
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt creates the QApplication

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

from assistant.cli import sample_clip
from assistant.config import Config, load_config, save_config
from assistant.contracts.errors import ConfigError
from assistant.history import HistoryStore
from ui.first_run import HEARD_DB, PAGES, FirstRunDialog
from ui.settings_dialog import SettingsDialog
from ui.settings_fields import PAGES as SETTINGS_PAGES

WAIT_MS = 20_000
TEST_MS = 30_000  # a microphone test: three seconds of sound, and a device that may take a while to open
RATE = 16_000


@pytest.fixture
def settings_path(tmp_path):
    return tmp_path / "settings" / "config.toml"


@pytest.fixture
def open_setup(qtbot, settings_path):
    """Opens the setup on the settings file in tmp_path; its workers and microphone are waited for afterwards."""
    opened: list[FirstRunDialog] = []

    def make(config: Config | None = None, **kwargs) -> FirstRunDialog:
        dialog = FirstRunDialog(config or Config(), path=settings_path, **kwargs)
        qtbot.addWidget(dialog)
        opened.append(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=WAIT_MS)  # the device listing
        return dialog

    yield make
    for dialog in opened:
        if shiboken6.isValid(dialog):
            monitor = dialog.monitor
            dialog.hide()  # the microphone closes with the page
            qtbot.waitUntil(lambda d=dialog: not d.is_busy(), timeout=TEST_MS)
            if monitor is not None:
                assert monitor.join(10), "the setup's microphone stayed open"


def _type(qtbot, widget, text: str) -> None:
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- the pages and the file --------------------------------------------------------------------------------------


def test_the_keyboard_walks_through_the_pages_and_finish_writes_the_choices(qtbot, open_setup, settings_path):
    setup = open_setup()
    assert setup.current_page() == "microphone" and not setup.isModal()
    assert setup.focusWidget() is setup.input_combo  # each page starts on its first control
    assert not setup.back_button.isEnabled() and setup.step_label.text() == "Step 1 of 5"

    _type(qtbot, setup.input_combo.lineEdit(), "USB microphone")
    qtbot.keyClick(setup.input_combo.lineEdit(), Qt.Key.Key_Return)  # Return is Next
    assert setup.current_page() == "speaker" and setup.focusWidget() is setup.output_combo
    _type(qtbot, setup.output_combo.lineEdit(), "Headphones")
    qtbot.keyClick(setup, Qt.Key.Key_Return)

    assert setup.current_page() == "hotkey"
    qtbot.keyClick(setup.hotkey_edit, Qt.Key.Key_Tab)
    assert setup.focusWidget() is setup.record_button
    qtbot.keyClick(setup.record_button, Qt.Key.Key_Space)  # Record…: the settings' own recorder takes the keys
    assert setup.recorder.isVisible() and setup.focusWidget() is setup.recorder.edit
    mods = Qt.KeyboardModifier
    qtbot.keyClick(setup.recorder.edit, Qt.Key.Key_K, mods.ControlModifier | mods.AltModifier)
    qtbot.waitUntil(lambda: setup.hotkey_edit.text() == "<ctrl>+<alt>+k", timeout=WAIT_MS)
    assert not setup.recorder.isVisible()
    qtbot.keyClick(setup, Qt.Key.Key_Return)

    assert setup.current_page() == "listening" and setup.focusWidget() is setup.on_demand_radio
    assert setup.on_demand_radio.isChecked() and "“hey assistant”" in setup.always_radio.text()
    qtbot.keyClick(setup.on_demand_radio, Qt.Key.Key_Down)  # arrows move between the choices
    assert setup.always_radio.isChecked()
    qtbot.keyClick(setup, Qt.Key.Key_Return)

    assert setup.current_page() == "privacy" and setup.local_radio.isChecked()
    assert setup.finish_button.isVisible() and setup.finish_button.isDefault() and not setup.next_button.isVisible()
    with qtbot.waitSignal(setup.saved, timeout=WAIT_MS) as saved:
        qtbot.keyClick(setup, Qt.Key.Key_Return)  # Finish
    expected = (Config().replace("audio", input_device="USB microphone", output_device="Headphones")
                .replace("ui", toggle_hotkey="<ctrl>+<alt>+k", first_run_done=True)
                .replace("listen", always_listening=True))
    assert saved.args[0] == expected
    assert load_config(settings_path, env={}) == expected
    assert _mode(settings_path) == 0o600
    assert not setup.isVisible() and setup.monitor is None


def test_back_keeps_the_choices_and_skip_changes_nothing_but_the_mark(qtbot, open_setup, settings_path):
    mine = (Config().replace("llm", max_new_tokens=64).replace("listen", wake_phrase="okay computer", sensitivity=0.7)
            .replace("audio", output_device="Headphones")
            .replace("cloud", policy="auto", base_url="http://127.0.0.1:9/v1", model="m"))
    save_config(mine, settings_path)
    setup = open_setup(load_config(settings_path, env={}))
    assert setup.cloud_radio.isChecked() and "“okay computer”" in setup.always_radio.text()
    setup.show_page("speaker")
    assert setup.output_combo.currentText() == "Headphones"
    _type(qtbot, setup.output_combo.lineEdit(), "Another speaker")
    setup.show_page("listening")
    setup.always_radio.setChecked(True)
    qtbot.mouseClick(setup.back_button, Qt.MouseButton.LeftButton)
    assert setup.current_page() == "hotkey"
    qtbot.mouseClick(setup.back_button, Qt.MouseButton.LeftButton)
    assert setup.output_combo.currentText() == "Another speaker"  # kept while going back and forth

    with qtbot.waitSignal(setup.saved, timeout=WAIT_MS) as saved:
        qtbot.keyClick(setup, Qt.Key.Key_Escape)  # Skip
    assert saved.args[0] == mine.replace("ui", first_run_done=True)
    assert load_config(settings_path, env={}) == mine.replace("ui", first_run_done=True)
    assert _mode(settings_path) == 0o600
    assert not setup.isVisible()

    again = open_setup(load_config(settings_path, env={}))  # run again from the settings, and skipped again
    written = settings_path.stat().st_mtime_ns
    with qtbot.assertNotEmitted(again.saved):
        qtbot.mouseClick(again.skip_button, Qt.MouseButton.LeftButton)
    assert not again.isVisible() and settings_path.stat().st_mtime_ns == written


def test_a_hotkey_the_settings_refuse_keeps_the_setup_on_its_page(qtbot, open_setup, settings_path):
    setup = open_setup()
    setup.show_page("hotkey")
    _type(qtbot, setup.hotkey_edit, "k")
    qtbot.mouseClick(setup.next_button, Qt.MouseButton.LeftButton)
    assert setup.current_page() == "hotkey"
    assert "ui.toggle_hotkey" in setup.error_label.text() and setup.error_label.isVisible()
    setup.show_page("privacy")
    qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    assert setup.current_page() == "hotkey" and setup.focusWidget() is setup.hotkey_edit  # back where it is fixed
    assert setup.isVisible() and not settings_path.exists()
    _type(qtbot, setup.hotkey_edit, "<ctrl>+<shift>+<space>")
    qtbot.mouseClick(setup.next_button, Qt.MouseButton.LeftButton)
    assert setup.current_page() == "listening" and not setup.error_label.isVisible()


def test_a_hotkey_problem_is_shown_with_the_desktop_shortcut_fix(open_setup):
    setup = open_setup(hotkey_problem="Wayland does not let apps grab keys")
    setup.show_page("hotkey")
    text = setup.hotkey_problem_label.text()
    assert setup.hotkey_problem_label.isVisible() and "Wayland" in text and "assistant toggle" in text
    assert setup.hotkey_problem_label.property("role") == "warning"


def test_the_cloud_choice_says_where_its_endpoint_is_set(qtbot, open_setup, settings_path):
    setup = open_setup()
    setup.show_page("privacy")
    assert "Local only (nothing leaves this computer)" in setup.local_radio.text() and setup.local_radio.isChecked()
    setup.cloud_radio.setChecked(True)
    assert "Settings opens on Cloud & privacy" in setup.cloud_note.text()
    with qtbot.waitSignal(setup.cloud_setup_requested, timeout=WAIT_MS):
        qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    # No endpoint yet: the policy cannot allow the cloud; Settings (where the endpoint goes) switches it there.
    assert load_config(settings_path, env={}).cloud.policy == "local"

    endpoint = Config().replace("cloud", base_url="http://127.0.0.1:9/v1", model="m")
    setup = open_setup(endpoint)
    setup.show_page("privacy")
    setup.cloud_radio.setChecked(True)
    assert "http://127.0.0.1:9/v1" in setup.cloud_note.text()
    with qtbot.assertNotEmitted(setup.cloud_setup_requested):
        qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    assert load_config(settings_path, env={}).cloud.policy == "auto"


def test_every_control_has_a_name_for_screen_readers(open_setup):
    setup = open_setup()
    for name in PAGES:
        setup.show_page(name)
        page = setup.stack.currentWidget()
        controls = page.findChildren(QAbstractButton) + page.findChildren(QComboBox) + page.findChildren(QLineEdit)
        for widget in controls:
            if widget.isVisibleTo(setup) and not isinstance(widget.parent(), QComboBox):  # not a combo's own edit
                named = widget.accessibleName() or (isinstance(widget, QAbstractButton) and widget.text())
                assert named, f"{type(widget).__name__} on the {name} page has no accessible name"
                assert widget.focusPolicy() != Qt.FocusPolicy.NoFocus, f"{named} never takes the keyboard"


# --- the microphone and the speaker, on the real (virtual) devices --------------------------------------------------


def _microphone_open(setup) -> bool:
    return setup.monitor is not None and setup.monitor.opened.is_set()


def test_the_microphone_test_hears_speech_and_says_when_nothing_was_heard(qtbot, open_setup, pulse):
    clip = load_clip()
    setup = open_setup()
    qtbot.waitUntil(lambda: _microphone_open(setup), timeout=WAIT_MS)
    assert setup.monitor.error is None, setup.mic_status.text()

    qtbot.mouseClick(setup.mic_test_button, Qt.MouseButton.LeftButton)  # silence: nothing plays into the room
    assert "say something" in setup.mic_status.text() and not setup.mic_test_button.isEnabled()
    qtbot.waitUntil(setup.mic_test_button.isEnabled, timeout=TEST_MS)
    assert setup.mic_status.text().startswith("Nothing was heard: check the microphone is not muted")
    assert setup.mic_status.property("role") == "error"

    qtbot.mouseClick(setup.mic_test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: setup.monitor.testing, timeout=WAIT_MS)  # recording: now say it
    player = threading.Thread(target=pulse.play_into_mic, args=(clip, RATE))
    player.start()
    try:
        qtbot.waitUntil(lambda: setup.level_meter.level_db > HEARD_DB, timeout=TEST_MS)  # the live level moves
        qtbot.waitUntil(setup.mic_test_button.isEnabled, timeout=TEST_MS)
    finally:
        player.join(30)
    assert setup.mic_status.text() == "Speech was heard: the microphone works."
    assert setup.mic_status.property("role") == "status"

    monitor = setup.monitor
    setup.show_page("speaker")  # the microphone is open only while its page is shown
    assert setup.monitor is None and monitor.join(10)
    setup.show_page("microphone")
    qtbot.waitUntil(lambda: _microphone_open(setup), timeout=WAIT_MS)


def load_clip() -> np.ndarray:
    from assistant import bootstrap

    return bootstrap.adapters().audio.read(sample_clip())


def test_a_missing_microphone_gets_a_clear_message(qtbot, open_setup, pulse):
    setup = open_setup()
    _type(qtbot, setup.input_combo.lineEdit(), "no such microphone")
    qtbot.keyClick(setup.input_combo.lineEdit(), Qt.Key.Key_Tab)  # the choice is made: the meter follows it
    qtbot.waitUntil(lambda: "no such microphone" in setup.mic_status.text(), timeout=WAIT_MS)
    assert setup.mic_status.text().startswith("No microphone named 'no such microphone'")
    assert "plugged in" in setup.mic_status.text() and setup.mic_status.property("role") == "error"

    qtbot.mouseClick(setup.mic_test_button, Qt.MouseButton.LeftButton)  # the test says it too, at once
    qtbot.waitUntil(setup.mic_test_button.isEnabled, timeout=WAIT_MS)
    assert setup.mic_status.text().startswith("No microphone named 'no such microphone'")


def test_the_speaker_test_plays_the_chime_into_the_room(qtbot, open_setup, pulse):
    setup = open_setup()
    setup.show_page("speaker")
    heard = pulse.record()  # what the speaker (the room's null sink) plays
    try:
        qtbot.mouseClick(setup.speaker_test_button, Qt.MouseButton.LeftButton)
        assert setup.speaker_status.text() == "Playing a chime…"
        qtbot.waitUntil(setup.speaker_test_button.isEnabled, timeout=WAIT_MS)
    finally:
        heard.stop()
    assert setup.speaker_status.text().startswith("A chime was played on System default")
    audio = heard.audio()
    assert np.max(np.abs(audio)) > 0.2, "nothing came out of the speaker"
    spectrum = np.abs(np.fft.rfft(audio))
    loudest_hz = np.argmax(spectrum) * RATE / len(audio)
    assert min(abs(loudest_hz - 880.0), abs(loudest_hz - 1318.5)) < 15, loudest_hz  # the chime's two notes


def test_a_missing_speaker_gets_a_clear_message(qtbot, open_setup, pulse):
    setup = open_setup()
    setup.show_page("speaker")
    _type(qtbot, setup.output_combo.lineEdit(), "no such speaker")
    qtbot.mouseClick(setup.speaker_test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(setup.speaker_test_button.isEnabled, timeout=WAIT_MS)
    text = setup.speaker_status.text()
    assert text.startswith("No usable speaker 'no such speaker'") and "--out" not in text
    assert "Connect speakers or headphones, or choose another speaker" in text
    assert setup.speaker_status.property("role") == "error"


# --- in the app ----------------------------------------------------------------------------------------------------


@pytest.fixture
def make_app(qapp, tmp_path, monkeypatch, settings_path):
    """Desktop apps on the settings file in tmp_path. Their assistant is not built: the models have tests of their
    own, and the setup needs none."""
    from ui.app import DesktopApp

    monkeypatch.setenv("ASSISTANT_CONFIG", str(settings_path))
    apps = []

    def make(config: Config, **kwargs) -> DesktopApp:
        app = DesktopApp(config, history=HistoryStore(tmp_path / f"history-{len(apps)}.sqlite3"), **kwargs)
        app.builder.build = lambda config: None
        apps.append(app)
        return app

    yield make
    for app in apps:
        dialog = app.first_run_dialog
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.hide()
        app.shutdown()
        app.window.quitting = True
        app.window.close()


def test_the_app_opens_the_setup_on_first_run_and_not_after(qtbot, make_app, settings_path):
    app = make_app(Config())
    app.start(hotkeys=False)
    setup = app.first_run_dialog
    assert setup is not None and setup.isVisible() and not setup.isModal()
    assert app.window.isVisible() and app.window.isEnabled()  # the app works on behind it
    qtbot.waitUntil(lambda: not setup.is_busy(), timeout=WAIT_MS)
    setup.show_page("listening")
    setup.always_radio.setChecked(True)
    setup.show_page("privacy")
    qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    # Applied as a settings save is: always listening is on (it starts once speech recognition is there).
    assert app.config == load_config(settings_path, env={}) and app.config.ui.first_run_done
    assert app.always_listening and app.tray.always_action.isChecked()

    again = make_app(load_config(settings_path, env={}))
    again.start(hotkeys=False)
    assert again.first_run_dialog is None
    assert again.always_listening  # the setting is kept from one start to the next


def test_no_setup_when_the_window_is_not_shown_or_the_settings_file_is_broken(make_app):
    hidden = make_app(Config())
    hidden.start(show_window=False, hotkeys=False)
    assert hidden.first_run_dialog is None
    broken = make_app(Config(), config_error=ConfigError("config-syntax", "config.toml is not valid TOML"))
    broken.start(hotkeys=False)
    assert broken.first_run_dialog is None  # its Skip would write the defaults over the user's file


@pytest.mark.usefixtures("file_keyring")
def test_the_settings_button_runs_the_setup_again(qtbot, make_app, settings_path):
    app = make_app(Config().replace("ui", first_run_done=True))
    settings = app.open_settings()
    qtbot.waitUntil(lambda: not settings.is_busy(), timeout=WAIT_MS)
    settings.show_page("interface")
    assert settings.first_run_button.isVisible()

    settings.theme_combo.setCurrentIndex(settings.theme_combo.findData("dark"))  # not saved yet
    qtbot.mouseClick(settings.first_run_button, Qt.MouseButton.LeftButton)
    assert "Save or cancel your changes first" in settings.error_label.text()
    assert settings.isVisible() and app.first_run_dialog is None

    settings.theme_combo.setCurrentIndex(settings.theme_combo.findData("auto"))
    qtbot.mouseClick(settings.first_run_button, Qt.MouseButton.LeftButton)
    assert not settings.isVisible()
    setup = app.first_run_dialog
    assert setup is not None and setup.isVisible()
    qtbot.waitUntil(lambda: not setup.is_busy(), timeout=WAIT_MS)
    assert app.open_first_run() is setup  # asked again while it is open: the same one comes up


@pytest.mark.usefixtures("file_keyring")
def test_asking_for_the_cloud_opens_the_settings_where_it_is_set_up(qtbot, make_app, settings_path):
    app = make_app(Config())
    setup = app.open_first_run()
    qtbot.waitUntil(lambda: not setup.is_busy(), timeout=WAIT_MS)
    setup.show_page("privacy")
    setup.cloud_radio.setChecked(True)
    qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    opened = [d for d in app.window.findChildren(SettingsDialog) if d.isVisible()]
    assert len(opened) == 1
    settings = opened[0]
    try:
        assert settings.tabs.currentIndex() == SETTINGS_PAGES.index("cloud")
        assert settings.policy_combo.currentData() == "auto" and settings.cloud_box.isEnabled()
    finally:
        qtbot.waitUntil(lambda: not settings.is_busy(), timeout=WAIT_MS)
        settings.reject()


def test_a_settings_file_that_cannot_be_written_is_said_and_a_second_skip_closes(qtbot, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the settings folder should be")
    setup = FirstRunDialog(Config(), path=blocked / "config.toml")
    qtbot.addWidget(setup)
    setup.show()
    qtbot.waitUntil(lambda: not setup.is_busy(), timeout=WAIT_MS)
    with qtbot.assertNotEmitted(setup.saved):
        qtbot.keyClick(setup, Qt.Key.Key_Escape)
        assert setup.isVisible() and "could not be written" in setup.error_label.text()
        setup.show_page("privacy")
        qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)  # Finish says it too, and stays
        assert setup.isVisible() and "could not be written" in setup.error_label.text()
        qtbot.keyClick(setup, Qt.Key.Key_Escape)  # the user has read it: closing is closing (it shows next time)
    assert not setup.isVisible()
