"""The interface in Simplified Chinese: no English left in the windows, the translation complete and compiled,
the core's errors shown under a translated summary, and the language following ui.language and the system."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt creates the QApplication

import importlib.util
import re
import xml.etree.ElementTree as ET

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QLocale, QObject, QTranslator
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTabWidget,
    QWidget,
)

from assistant.config import Config
from assistant.contracts.errors import CATALOG
from assistant.contracts.events import ModelProgress
from assistant.contracts.messages import Message
from testkit.helpers import REPO
from ui import i18n
from ui.first_run import FirstRunDialog
from ui.history_panel import HistoryPanel
from ui.indicators import Indicators
from ui.launcher import LauncherWindow
from ui.main_window import MainWindow
from ui.memory_panel import MemoryPanel
from ui.settings_dialog import SettingsDialog
from ui.settings_fields import FIELDS, VERBATIM, shown_texts
from ui.timers_panel import TimersPanel
from ui.tray import TrayIcon

_spec = importlib.util.spec_from_file_location("update_translations", REPO / "scripts" / "update_translations.py")
update_translations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update_translations)

TS = i18n.I18N_DIR / "assistant_zh_CN.ts"
QM = TS.with_suffix(".qm")
WAIT_MS = 20_000

# Texts that are the same in Chinese: the settings' example values and the languages' own names (VERBATIM, from
# the fields' table). Nothing else in English may be left: a new text without a translation fails the walk.
# What the user and the model wrote, shown as it is (the test's own turn): not interface texts.
CONTENT = {"Show me a loop", "<p>Here:</p>", "Python", "⚙ clock.now"}
ALLOWED = set(VERBATIM) | CONTENT


def _messages() -> list[tuple[str, str, ET.Element]]:
    """(context, source, translation element) of every message of the .ts."""
    root = ET.parse(TS).getroot()
    return [(context.findtext("name"), message.findtext("source"), message.find("translation"))
            for context in root.iter("context") for message in context.iter("message")]


@pytest.fixture
def chinese(qapp):
    """The app's translators for zh_CN installed as the app installs them at start; removed afterwards."""
    installed = i18n.install_translators(qapp, "zh_CN")
    yield installed
    i18n.remove_translators(qapp, installed)


# --- walking the windows ----------------------------------------------------------------------------------


def _texts_of(obj: QObject) -> list[tuple[str, str]]:
    """(what, text) for each text ``obj`` shows the user."""
    out = []
    if isinstance(obj, QWidget):
        out += [("tooltip", obj.toolTip()), ("accessible name", obj.accessibleName())]
        if obj.isWindow():
            out.append(("window title", obj.windowTitle()))
    if isinstance(obj, QLabel):
        out.append(("label", obj.text()))
    if isinstance(obj, QAbstractButton):
        out.append(("button", obj.text()))
    if isinstance(obj, QAction):
        out += [("action", obj.text()), ("action tooltip", obj.toolTip())]
    if isinstance(obj, QLineEdit):
        out.append(("placeholder", obj.placeholderText()))
    if isinstance(obj, QComboBox):
        out += [("combo item", obj.itemText(i)) for i in range(obj.count())]
    if isinstance(obj, QGroupBox):
        out.append(("group title", obj.title()))
    if isinstance(obj, QTabWidget):
        out += [("tab", obj.tabText(i)) for i in range(obj.count())]
    if isinstance(obj, QListWidget):
        out += [("list item", obj.item(i).text()) for i in range(obj.count())]
    if isinstance(obj, QDoubleSpinBox):
        out += [("suffix", obj.suffix()), ("special value", obj.specialValueText())]
    if isinstance(obj, TrayIcon):
        out.append(("tray tooltip", obj.icon.toolTip()))
    return out


def _walk(roots: dict[str, QObject]) -> list[tuple[str, str, str]]:
    """(where, what, text) for every text of every root and its children, in a stable order. An action's automatic
    tooltip repeats its text, and a line edit inside a combo box or spin box shows their values: not texts."""
    out = []
    for name, root in roots.items():
        for index, obj in enumerate([root, *root.findChildren(QObject)]):
            if isinstance(obj, QLineEdit) and isinstance(obj.parent(), QComboBox | QAbstractSpinBox):
                continue
            where = f"{name}[{index}] {type(obj).__name__} {obj.objectName()}".rstrip()
            out += [(where, what, text) for what, text in _texts_of(obj)
                    if text and not (what == "action tooltip" and text == obj.text().replace("&", ""))]
    return out


def _untranslated(english: list[tuple[str, str, str]], chinese: list[tuple[str, str, str]]) -> list[str]:
    """The texts that read the same in Chinese as in English (the same windows walked in each), less ALLOWED."""
    assert [(where, what) for where, what, _ in english] == [(where, what) for where, what, _ in chinese]
    return [f"{where} {what}: {text!r}" for (where, what, text), (_, _, before) in zip(chinese, english, strict=True)
            if text == before and re.search("[A-Za-z]", text) and text not in ALLOWED]


def _interface(tmp_path) -> tuple[dict[str, QObject], SettingsDialog]:
    """The main window (with its history, timers and memory panels, and a turn: its bubbles, a code block, a tool
    chip, its footer), the launcher, the tray icon and its menu, the settings dialog (on the Hotkeys page's warning
    too) and the first-run setup, as the app makes them."""
    window = MainWindow(HistoryPanel(None), timers_panel=TimersPanel(), memory_panel=MemoryPanel())
    turn = window.conversation.turn(1)
    turn.set_question("Show me a loop")
    turn.set_reply("Here:\n\n```python\nfor i in range(3):\n    print(i)\n```")
    turn.add_tool_call(1, "clock.now", {})
    turn.set_timings({"llm_first_token": 300.0, "first_audio": 420.0})
    tray = TrayIcon()
    tray.set_wake_phrase("hey assistant")
    dialog = SettingsDialog(Config(), path=tmp_path / "config.toml", hotkey_problem="Wayland grabs no keys")
    roots = {"main window": window, "launcher": LauncherWindow(), "tray": tray, "tray menu": tray.menu,
             "settings": dialog, "first run": FirstRunDialog(Config(), path=tmp_path / "config.toml",
                                                             hotkey_problem="Wayland grabs no keys")}
    return roots, dialog


def _close(qtbot, roots: dict[str, QObject], dialog: SettingsDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=WAIT_MS)  # no worker outlives the test's keyring
    for root in roots.values():
        if shiboken6.isValid(root):
            root.deleteLater()


@pytest.mark.usefixtures("file_keyring")
def test_every_text_of_the_windows_is_translated(qapp, qtbot, tmp_path):
    # The same windows in English and in Chinese, walked before any worker answers, so both hold the same texts:
    # a text that reads the same in both was not translated.
    english_roots, english_dialog = _interface(tmp_path)
    english = _walk(english_roots)
    installed = i18n.install_translators(qapp, "zh_CN")
    try:
        chinese_roots, chinese_dialog = _interface(tmp_path)
        translated = _walk(chinese_roots)
    finally:
        i18n.remove_translators(qapp, installed)
    _close(qtbot, english_roots, english_dialog)
    _close(qtbot, chinese_roots, chinese_dialog)

    assert len(english) > 200  # every window was walked, its tabs and menus included
    left = _untranslated(english, translated)
    assert not left, "untranslated:\n" + "\n".join(left)
    shown = {re.sub(r"\(&\w\)|&", "", text) for _, _, text in translated}  # without the mnemonics
    assert {"设置", "语音助手", "云端与隐私", "保存", "取消"} <= shown  # Qt's own buttons too (qtbase)


def test_the_walk_finds_a_text_left_untranslated(qapp, qtbot):
    def window() -> MainWindow:
        made = MainWindow()
        qtbot.addWidget(made)
        QLabel("Brand new feature", made)  # not through tr()
        QLabel(QCoreApplication.translate("MainWindow", "Send"), made)
        return made

    english = _walk({"main window": window()})
    installed = i18n.install_translators(qapp, "zh_CN")
    try:
        chinese = _walk({"main window": window()})
    finally:
        i18n.remove_translators(qapp, installed)
    left = _untranslated(english, chinese)
    assert len(left) == 1 and left[0].endswith("label: 'Brand new feature'")


# --- the translation file ---------------------------------------------------------------------------------


def test_the_translation_is_complete_and_keeps_the_placeholders():
    messages = _messages()
    assert len(messages) > 500
    unfinished = [source for _, source, translation in messages
                  if translation.get("type") in ("unfinished", "vanished", "obsolete") or not translation.text]
    assert not unfinished, f"not translated in {TS.name}: {unfinished}"
    fields = re.compile(r"\{[^}]*\}|</?b>|<br>")
    changed = [source for _, source, translation in messages
               if sorted(fields.findall(source)) != sorted(fields.findall(translation.text))]
    assert not changed, f"translations that lost or renamed a {{placeholder}} or a tag: {changed}"


def test_the_compiled_translation_is_up_to_date(qapp):
    translator = QTranslator()
    assert translator.load(str(QM))
    stale = [(context, source) for context, source, translation in _messages()
             if translator.translate(context, source) != translation.text]
    assert not stale, f"{QM.name} is older than {TS.name}: run scripts/update_translations.py ({stale[:5]})"


def test_the_settings_fields_the_error_catalog_and_the_core_s_messages_are_in_the_translation():
    present = {(context, source) for context, source, _ in _messages()}
    fields = {("SettingsFields", text) for spec in FIELDS for text in shown_texts(spec)}
    summaries = {(i18n.CATALOG_CONTEXT, entry.summary) for entry in CATALOG.values()}
    messages = {(i18n.MESSAGES_CONTEXT, template) for template in update_translations.core_messages()}
    assert ("CoreMessages", "loading {name} on {device} ({dtype})") in messages  # the source scan finds them
    missing = sorted((fields | summaries | messages) - present)
    assert not missing, f"run scripts/update_translations.py and translate: {missing}"


def test_a_model_s_loading_progress_is_shown_in_the_interface_s_language(chinese, qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    indicators = Indicators(window, None, None)
    progress = Message("loading {name} on {device} ({dtype})", name="faster-whisper-base", device="cpu", dtype="int8")
    assert progress == "loading faster-whisper-base on cpu (int8)"  # the core, the log and the CLI read English
    indicators.model_event(ModelProgress(role="stt", message=progress), None)
    assert window.model_status.text() == "正在 cpu 上加载 faster-whisper-base（int8）"
    indicators.model_event(ModelProgress(role="llm", message="a progress line without a template"), None)
    assert window.model_status.text() == "a progress line without a template"


# --- the core's errors -------------------------------------------------------------------------------------


def test_a_core_error_shows_a_translated_summary_above_its_english_detail(chinese, qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_error("the screen capture failed: no X display. Run assistant ask --image FILE instead",
                      "screen-capture-failed")
    summary, detail = window.banner_text.text().split("\n")
    assert summary == "截图失败。"
    assert detail.startswith("the screen capture failed: no X display")  # nothing of the core's message is lost
    window.show_error("", "mic-muted", QCoreApplication.translate("ListeningModes", "The microphone is muted: "
                                                                  "unmute it from the tray menu."))
    assert window.banner_text.text() == "麦克风已静音：请从托盘菜单取消静音。"  # the UI's own words: no summary


def test_in_english_a_core_error_reads_as_the_core_wrote_it(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show_error("no speaker found. Connect one, or write the reply to a file with --out", "no-output-device",
                      "Replies are shown as text only.")
    assert window.banner_text.text() == "no speaker found. Replies are shown as text only."
    assert i18n.error_summary("no-output-device") is None


# --- choosing the language -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("system", "expected"), [("zh_CN", "设置"), ("C", "Settings"), ("en_US", "Settings"),
                                                  ("de_DE", "Settings")])
def test_auto_follows_the_system_locale(qapp, monkeypatch, system, expected):
    monkeypatch.setattr(i18n, "system_locale", lambda: QLocale(system))
    installed = i18n.install_translators(qapp, "auto")
    try:
        assert QCoreApplication.translate("SettingsDialog", "Settings") == expected
    finally:
        i18n.remove_translators(qapp, installed)


@pytest.mark.parametrize(("language", "expected"), [("zh_CN", "设置"), ("en", "Settings")])
def test_the_setting_overrides_the_system_locale(qapp, monkeypatch, language, expected):
    monkeypatch.setattr(i18n, "system_locale", lambda: QLocale("zh_CN" if language == "en" else "C"))
    installed = i18n.install_translators(qapp, language)
    try:
        assert QCoreApplication.translate("SettingsDialog", "Settings") == expected
    finally:
        i18n.remove_translators(qapp, installed)
    assert QCoreApplication.translate("SettingsDialog", "Settings") == "Settings"  # removed again


@pytest.mark.usefixtures("file_keyring")
def test_the_settings_dialog_edits_the_language(qtbot, tmp_path):
    dialog = SettingsDialog(Config().replace("ui", language="zh_CN"), path=tmp_path / "config.toml")
    qtbot.addWidget(dialog)
    assert dialog.language_combo.currentData() == "zh_CN"
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("auto"))
    assert dialog.config().ui.language == "auto"
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=WAIT_MS)
