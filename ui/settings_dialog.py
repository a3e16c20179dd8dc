"""The settings dialog: models, audio devices, voice, always listening, hotkeys, screen, cloud and privacy, tools,
memory.

It edits a copy of the given ``Config``; Save validates with the same rules as the settings file
(``build_config``), writes the file, and stores the cloud API key in the OS keyring (never in the file).
Slow work (listing devices, testing them, preparing models, the keyring) runs on worker threads.
The settings it edits are declared once, in ``ui.settings_fields.FIELDS``; the pages place them.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from assistant import bootstrap, secrets
from assistant.config import Config, build_config, config_path, data_dir, save_config
from assistant.contracts.errors import AssistantError, ConfigError
from assistant.pipeline.languages import native_name
from assistant.tools.mcp_servers import mcp_config_path
from ui import settings_fields
from ui.i18n import error_text
from ui.settings_fields import PAGES, Field, fields_on
from ui.settings_mcp import McpServersEditor
from ui.theme import set_role

log = logging.getLogger(__name__)

SYSTEM_DEFAULT = QT_TRANSLATE_NOOP("SettingsDialog", "System default")  # translated where shown
WHERE = "the settings dialog"

HOTKEY_HELP = QT_TRANSLATE_NOOP(
    "SettingsDialog", "Bind the command <b>assistant toggle</b> in your desktop's keyboard-shortcut settings instead "
    "(GNOME: Settings → Keyboard → Custom Shortcuts; KDE: System Settings → Shortcuts → Custom).")


RECORD_PROMPT = QT_TRANSLATE_NOOP("SettingsDialog", "Press the key combination now (Escape cancels)…")


def _tr(text: str) -> str:
    """A text marked with QT_TRANSLATE_NOOP above, translated."""
    return QCoreApplication.translate("SettingsDialog", text)


def _field_text(text: str) -> str:
    """A text of ``ui.settings_fields`` in the interface's language (those it leaves VERBATIM are not in the
    translation, and stay as they are)."""
    return QCoreApplication.translate("SettingsFields", text) if text else text


# --- Qt key sequence -> pynput hotkey ---------------------------------------------------------------

_K = Qt.Key
_SPECIAL_KEYS = {
    _K.Key_Space: "space", _K.Key_Return: "enter", _K.Key_Enter: "enter", _K.Key_Tab: "tab", _K.Key_Backtab: "tab",
    _K.Key_Escape: "esc", _K.Key_Backspace: "backspace", _K.Key_Delete: "delete", _K.Key_Insert: "insert",
    _K.Key_Home: "home", _K.Key_End: "end", _K.Key_PageUp: "page_up", _K.Key_PageDown: "page_down",
    _K.Key_Up: "up", _K.Key_Down: "down", _K.Key_Left: "left", _K.Key_Right: "right", _K.Key_Pause: "pause",
    _K.Key_CapsLock: "caps_lock", _K.Key_Menu: "menu", _K.Key_Print: "print_screen",
    _K.Key_ScrollLock: "scroll_lock",
    **{getattr(_K, f"Key_F{i}"): f"f{i}" for i in range(1, 21)},
}
_FIRST_SPECIAL_KEY = 0x01000000  # Qt codes below this are Unicode characters


def qt_sequence_to_pynput(sequence: QKeySequence) -> str:
    """The first chord of ``sequence`` in pynput's hotkey syntax ("<ctrl>+<alt>+<space>"); "" when empty.

    Raises ValueError for a key pynput has no name for (media keys and the like)."""
    if sequence.isEmpty():
        return ""
    combo = sequence[0]
    mods = combo.keyboardModifiers()
    mod = Qt.KeyboardModifier
    # On macOS Qt reports Command as ControlModifier and Control as MetaModifier.
    ctrl, cmd = (mod.MetaModifier, mod.ControlModifier) if sys.platform == "darwin" else (
        mod.ControlModifier, mod.MetaModifier)
    parts = [f"<{name}>" for flag, name in ((ctrl, "ctrl"), (mod.AltModifier, "alt"),
                                            (mod.GroupSwitchModifier, "alt_gr"), (mod.ShiftModifier, "shift"),
                                            (cmd, "cmd")) if mods & flag]
    key = combo.key()
    if key in _SPECIAL_KEYS:
        parts.append(f"<{_SPECIAL_KEYS[key]}>")
    elif 0x20 < key.value < _FIRST_SPECIAL_KEY and chr(key.value).isprintable():
        parts.append(chr(key.value).lower())  # Qt reports letters upper-case; pynput matches the typed char
    else:
        name = QKeySequence(key.value).toString() or hex(key.value)
        raise ValueError(QCoreApplication.translate("SettingsDialog", "the key {name} cannot be used in a global "
                                                    "hotkey").format(name=repr(name)))
    return "+".join(parts)


class HotkeyRecorder(QWidget):
    """Records a hotkey for any of several line edits: ``record(edit)`` shows it and takes the keyboard; the
    combination pressed lands in the edit in pynput's syntax (Escape cancels). ``status`` (placed by the owner)
    says why a key cannot be used. The settings dialog and the first-run setup share it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._target: QLineEdit | None = None
        self.edit = QKeySequenceEdit()
        self.edit.setMaximumSequenceLength(1)
        self.edit.setAccessibleName(_tr(RECORD_PROMPT))
        self.edit.editingFinished.connect(self._recorded)
        self.hint = QLabel(_tr(RECORD_PROMPT))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.hint)
        row.addWidget(self.edit, 1)
        self.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)

    def record(self, target: QLineEdit) -> None:
        """Take the next key combination for ``target``."""
        self._target = target
        self.edit.clear()
        self.status.clear()
        self.show()
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _recorded(self) -> None:
        target, self._target = self._target, None
        self.hide()
        sequence = self.edit.keySequence()
        if target is None or sequence.isEmpty() or sequence == QKeySequence(Qt.Key.Key_Escape):
            return  # Escape cancels the recording
        try:
            target.setText(qt_sequence_to_pynput(sequence))
            set_role(self.status, "")
            self.status.clear()
        except ValueError as exc:
            set_role(self.status, "error")
            self.status.setText(str(exc))
        target.setFocus(Qt.FocusReason.OtherFocusReason)


def hotkey_problem_html(problem: str) -> str:
    """Why global hotkeys do not work here, and what to do instead (desktop shortcuts), as rich text."""
    return QCoreApplication.translate("SettingsDialog", "<b>Global hotkeys do not work here:</b> {problem}<br><br>"
                                      "{help}").format(problem=_html(problem), help=_tr(HOTKEY_HELP))


def write_settings(config: Config, path: Path) -> str:
    """Save ``config`` to the settings file at ``path`` (private to the user): "" when it is written, else why not,
    in the interface's language."""
    try:
        save_config(config, path)
    except OSError as exc:
        return QCoreApplication.translate("SettingsDialog", "The settings could not be written to {path}: {reason}"
                                          ).format(path=path, reason=exc)
    return ""


# --- worker threads ---------------------------------------------------------------------------------


class _Relay(QObject):
    """Carries worker results to the GUI thread (queued signals).

    One per application, parented to it, so it outlives every dialog: a worker that finishes after its
    dialog was closed and deleted still emits into a live object, and Qt drops the call because the
    dialog's connections went with it."""

    progress = Signal(int, object)  # job id, payload
    finished = Signal(int, object, object)  # job id, result, exception or None


_relay: _Relay | None = None
_job_ids = itertools.count(1)


def _shared_relay() -> _Relay:
    global _relay
    if _relay is None or not shiboken6.isValid(_relay):
        _relay = _Relay(QCoreApplication.instance())
    return _relay


def _emit(signal, *args) -> None:
    with contextlib.suppress(RuntimeError):  # the application is gone (shutdown): nobody listens any more
        signal.emit(*args)


def _message(exc: BaseException) -> str:
    if isinstance(exc, AssistantError):
        return error_text(exc.code, exc.message)  # without the advice only the command line can follow
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# --- the dialog -------------------------------------------------------------------------------------


class SettingsDialog(QDialog):
    """Edits the settings. ``saved`` carries the new Config after it was written to ``path``.

    ``path``: the settings file (None: ``config_path()`` when saving). ``hotkey_problem``: why global
    hotkeys cannot be grabbed (e.g. Wayland), shown on the Hotkeys page with the desktop-shortcut fix."""

    saved = Signal(object)
    mcp_saved = Signal(object)  # the path of mcp.json, after Save wrote a changed server list to it
    first_run_requested = Signal()  # "Run the first-time setup again…" (the dialog closes: the setup edits the file)

    def __init__(self, config: Config, parent: QWidget | None = None, *, path: Path | None = None,
                 hotkey_problem: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self._base = config
        self._path = path
        self._hotkey_problem = hotkey_problem
        # Jobs started and not yet answered on the GUI thread: job id -> (on_done, on_progress).
        self._jobs: dict[int, tuple[Callable[[Any, BaseException | None], None], Callable[[Any], None] | None]] = {}
        self._fields: dict[str, QWidget] = {}
        self.browse_buttons: dict[str, QPushButton] = {}  # setting key -> its Browse… button
        self._key_edited = False
        self._remove_key = False
        self._keyring_problem: str | None = None
        self._key_known = False
        self._key_stored = False

        relay = _shared_relay()
        relay.progress.connect(self._job_progress)
        relay.finished.connect(self._job_finished)

        self._hotkey_recorder()
        self.tabs = QTabWidget()
        self.tabs.addTab(self._models_page(), self.tr("Models"))
        self.tabs.addTab(self._audio_page(), self.tr("Audio"))
        self.tabs.addTab(self._voice_page(), self.tr("Voice"))
        self.tabs.addTab(self._listening_page(), self.tr("Listening"))
        self.tabs.addTab(self._hotkeys_page(), self.tr("Hotkeys"))
        self.tabs.addTab(self._interface_page(), self.tr("Interface"))
        self.tabs.addTab(self._screen_page(), self.tr("Screen"))
        self.tabs.addTab(self._cloud_page(), self.tr("Cloud && privacy"))
        self.tabs.addTab(self._tools_page(), self.tr("Tools"))
        self.tabs.addTab(self._memory_page(), self.tr("Memory"))
        unplaced = {f.key for f in settings_fields.FIELDS} - set(self._fields)
        if unplaced:  # a page must place every field of its own, or the setting could not be edited
            raise RuntimeError(f"settings fields no page shows: {sorted(unplaced)}")
        if hotkey_problem:
            self.tabs.setTabIcon(PAGES.index("hotkeys"), self.style().standardIcon(
                QStyle.StandardPixmap.SP_MessageBoxWarning))

        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        set_role(self.error_label, "error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)  # Enter saves (else the first Browse… button would take it)
        self.save_button.setDefault(True)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.recorder_row)  # below the pages: it serves the hotkey rows of every page
        layout.addWidget(self.hotkey_status)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.resize(640, 520)

        self._set_values(config)
        self._run(lambda report: _list_devices(), self._devices_listed)
        self._run(lambda report: self._keyring_state(), self._key_state_known)
        self._run(lambda report: bootstrap.model_inventory(config), self._inventory_checked)
        self._run(lambda report: bootstrap.local_servers(), self._servers_found)

    # --- public API ---------------------------------------------------------------------------------

    def config(self) -> Config:
        """The Config the widgets describe (settings the dialog does not show are kept); raises ConfigError."""
        data = self._base.to_dict()
        for key, value in self._values().items():
            section, name = key.split(".")
            data[section][name] = value
        return build_config(data, env={}, where=WHERE)

    def field(self, key: str) -> QWidget:
        """The widget that edits a setting, by its "section.key" name."""
        return self._fields[key]

    def show_page(self, name: str) -> None:
        """Switch to a page: one of models, audio, voice, listening, hotkeys, interface, screen, cloud, tools,
        memory."""
        self.tabs.setCurrentIndex(PAGES.index(name))

    def is_busy(self) -> bool:
        """Whether a worker (device listing or test, model preparation, keyring) has not answered yet."""
        return bool(self._jobs)

    # --- pages ----------------------------------------------------------------------------------------
    # Each page places its fields (made by _build from ui.settings_fields.FIELDS) and the page's own
    # widgets around them: status lines, hints, buttons that are not settings.

    def _models_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout()
        self.role_status: dict[str, QLabel] = {}
        for i, spec in enumerate(fields_on("models", kind="model")):
            status = QLabel(self.tr("checking…"))
            status.setWordWrap(True)
            status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label = QLabel(_field_text(spec.label))
            grid.addWidget(label, 2 * i, 0)
            grid.addLayout(self._build(spec), 2 * i, 1, 1, 2)
            label.setBuddy(self._fields[spec.key])  # what a screen reader names the path box by
            grid.addWidget(status, 2 * i + 1, 1, 1, 2)
            # the inventory reports by role: stt, llm, llm-big, tts, vad, turn
            role = {"llm.big_model": "llm-big", "vad.turn_model": "turn"}.get(spec.key, spec.section)
            self.role_status[role] = status

        self.download_button = QPushButton(self.tr("Download / prepare"))
        self.download_button.setToolTip(self.tr("Join, convert or download the models these settings name, now"))
        self.download_button.clicked.connect(self._prepare_models)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        self.download_status = QLabel()
        self.download_status.setWordWrap(True)
        self.download_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(self.download_button)
        row.addWidget(self.progress_bar, 1)

        layout = QVBoxLayout(page)
        layout.addLayout(grid)
        layout.addLayout(self._form([f for f in _not_checks(fields_on("models")) if f.kind != "model"]))
        self._add_checks(layout, fields_on("models", kind="check"))
        layout.addLayout(row)
        layout.addWidget(self.download_status)
        layout.addStretch(1)
        return page

    def _audio_page(self) -> QWidget:
        page = QWidget()
        self.audio_reason = QLabel(self.tr("Listing audio devices…"))
        self.audio_reason.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addLayout(self._form(_not_checks(fields_on("audio"))))
        layout.addWidget(self.audio_reason)
        self._add_checks(layout, fields_on("audio", kind="check"))
        layout.addStretch(1)
        return page

    def _voice_page(self) -> QWidget:
        page = QWidget()
        form = self._form(fields_on("voice"))
        QVBoxLayout(page).addLayout(form)
        # The Piper voice (tts.voice) is a Models-page field; this mirror keeps both showing one value.
        self.voice_edit = QLineEdit()
        self.voice_edit.setPlaceholderText(self.tr('"bundled" or a path to a Piper .onnx voice'))
        models_voice = self._fields["tts.voice"]
        assert isinstance(models_voice, QLineEdit)
        self.voice_edit.textChanged.connect(lambda t: models_voice.text() != t and models_voice.setText(t))
        models_voice.textChanged.connect(lambda t: self.voice_edit.text() != t and self.voice_edit.setText(t))
        form.insertRow(1, self.tr("Piper voice"), self.voice_edit)
        # Which voice speaks which language, as the fields above now say
        self.voices_note = _hint("")
        page.layout().addWidget(self.voices_note)
        page.layout().addStretch(1)
        self.voice_edit.textChanged.connect(self._show_voices)
        for key in ("tts.voices", "tts.espeak_voice"):
            self._fields[key].textChanged.connect(self._show_voices)
        self._fields["tts.backend"].currentIndexChanged.connect(self._show_voices)
        return page

    def _show_voices(self) -> None:
        try:
            tts = Config().replace("tts", backend=self._fields["tts.backend"].currentData(),
                                   voice=self.voice_edit.text().strip() or "bundled",
                                   espeak_voice=self._fields["tts.espeak_voice"].text().strip() or "en-us",
                                   voices=self._fields["tts.voices"].text())
        except ConfigError:  # a pair being typed: said when the settings are saved
            self.voices_note.setText("")
            return
        rows = bootstrap.language_voice_list(tts)
        self.voices_note.setText(self.tr("Who speaks which language: {voices}").format(
            voices=" · ".join(f"{native_name(code)}: {voice}" for code, voice in rows)))

    def _listening_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(_hint(self.tr("Always listening (switched on from the tray menu) answers only speech that "
                                       "starts with the wake phrase, or comes within the follow-up window after a "
                                       "reply.")))
        layout.addLayout(self._form(_not_checks(fields_on("listening"))))
        self._add_checks(layout, fields_on("listening", kind="check"))
        folder = data_dir() / "recordings"
        self.debug_recordings_note = _hint(self.tr(
            "Debug recordings are saved to disk: every utterance heard while listening, wake phrase or not, is "
            "written as a WAV file to {folder}. Leave this off unless you are chasing a recognition problem, and "
            "delete the folder afterwards.").format(folder=folder))
        self.debug_recordings.toggled.connect(
            lambda on: set_role(self.debug_recordings_note, "error" if on else ""))
        layout.addWidget(self.debug_recordings_note)
        layout.addStretch(1)
        return page

    def _hotkeys_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.hotkey_problem_label = QLabel()
        self.hotkey_problem_label.setObjectName("hotkey_problem")
        self.hotkey_problem_label.setWordWrap(True)
        self.hotkey_problem_label.setTextFormat(Qt.TextFormat.RichText)
        self.hotkey_problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.hotkey_problem_label, "warning")
        if self._hotkey_problem:
            self.hotkey_problem_label.setText(hotkey_problem_html(self._hotkey_problem))
        else:
            self.hotkey_problem_label.hide()
        layout.addWidget(self.hotkey_problem_label)
        layout.addLayout(self._form(_not_checks(fields_on("hotkeys"))))
        layout.addWidget(_hint(self.tr("The mute hotkey is on the Listening page.")))
        layout.addWidget(_hint(self.tr('Syntax: modifiers and named keys in angle brackets, letters bare, joined by '
                                       '"+", e.g. <ctrl>+<alt>+<space> or <cmd>+<shift>+a.')))
        self._add_checks(layout, fields_on("hotkeys", kind="check"))
        layout.addStretch(1)
        return page

    def _hotkey_recorder(self) -> None:
        """One recorder serves every hotkey row; it converts what the user presses into pynput syntax."""
        self.recorder_row = HotkeyRecorder(self)
        self.recorder, self.recorder_hint = self.recorder_row.edit, self.recorder_row.hint
        self.hotkey_status = self.recorder_row.status

    def _interface_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(self._form(fields_on("interface")))
        layout.addWidget(_hint(self.tr("The language changes the next time the assistant starts.")))
        self.first_run_button = QPushButton(self.tr("Run the first-time setup again…"))
        self.first_run_button.clicked.connect(self._rerun_first_run)
        layout.addWidget(self.first_run_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        return page

    def _rerun_first_run(self) -> None:
        """Close and hand over to the setup, unless that would drop changes made here (it starts from the file)."""
        try:
            unsaved = self.config() != self._base
        except ConfigError:
            unsaved = True
        if unsaved or self._key_edited or self._remove_key or self.mcp_editor.changed:
            self._show_error(self.tr("Save or cancel your changes first: the setup starts from the saved settings."))
            return
        self.first_run_requested.emit()
        self.reject()

    def _screen_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(self._form(_not_checks(fields_on("screen"))))
        self._add_checks(layout, fields_on("screen", kind="check"))
        layout.addWidget(_hint(self.tr("Captures stay in memory for the question they were taken for; they are "
                                       "never written to disk. They go to the cloud model only if you allow it under "
                                       "Cloud.")))
        layout.addStretch(1)
        return page

    def _cloud_page(self) -> QWidget:
        page = QWidget()
        top = self._form(fields_on("cloud", group="policy"))
        self.policy_combo.currentIndexChanged.connect(self._update_cloud_enabled)

        self.cloud_box = QGroupBox(self.tr("Cloud model (any OpenAI-compatible endpoint)"))
        form = self._form(fields_on("cloud", group="endpoint"))
        self.cloud_box.setLayout(form)
        self.screen_to_cloud_warning = _hint(self.tr("⚠ Screen images are sent to the cloud model: whatever your "
                                                     "screen shows when you ask (messages, documents, passwords) "
                                                     "leaves this computer."))
        set_role(self.screen_to_cloud_warning, "error")
        self.screen_to_cloud_warning.hide()
        self.screen_to_cloud.toggled.connect(self.screen_to_cloud_warning.setVisible)
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(self.tr("checking the keyring…"))
        self.key_edit.textEdited.connect(self._key_typed)
        self.remove_key_button = QPushButton(self.tr("Remove key"))
        self.remove_key_button.setEnabled(False)
        self.remove_key_button.clicked.connect(self._remove_key_clicked)
        self.key_edit.setAccessibleName(self.tr("API key"))
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.remove_key_button)
        self.key_status = QLabel()
        self.key_status.setWordWrap(True)
        form.addRow("", self.screen_to_cloud_warning)
        form.addRow(self.tr("API key"), key_row)
        form.addRow("", self.key_status)

        privacy = QGroupBox(self.tr("Privacy"))
        self._add_checks(QVBoxLayout(privacy), fields_on("cloud", group="privacy"))

        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.cloud_box)
        layout.addWidget(privacy)
        layout.addStretch(1)
        return page

    def _tools_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self._add_checks(layout, fields_on("tools", group="", kind="check"))
        layout.addLayout(self._form(_not_checks(fields_on("tools", group=""))))
        self.mcp_editor = McpServersEditor(mcp_config_path(self._path))
        mcp_checks = QVBoxLayout()
        self._add_checks(mcp_checks, fields_on("tools", group="mcp"))
        editor_layout = self.mcp_editor.layout()
        assert isinstance(editor_layout, QVBoxLayout)
        editor_layout.insertLayout(0, mcp_checks)
        layout.addWidget(self.mcp_editor)
        layout.addStretch(1)
        return page

    def _memory_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self._add_checks(layout, fields_on("memory", kind="check"))
        layout.addLayout(self._form(_not_checks(fields_on("memory"))))
        layout.addWidget(_hint(self.tr("What it remembers is kept on this computer, in the history's database. "
                                       "See, search, edit and delete the facts with the Memory button of the window; "
                                       "tell it \"remember that …\" or \"forget that …\" by voice. Passwords and "
                                       "card numbers are never kept.")))
        layout.addStretch(1)
        return page

    # --- fields: built, loaded and read from the table ------------------------------------------------

    def _build(self, spec: Field) -> QWidget | QHBoxLayout:
        """Make one field's widgets; returns what goes in its row (the editor, or the editor with its buttons)."""
        extras: list[QWidget] = []
        row: QWidget | QHBoxLayout
        if spec.kind == "check":
            editor: QWidget = QCheckBox(_field_text(spec.label))
            row = editor
        elif spec.kind == "choice":
            editor = combo = QComboBox()
            for label, value in spec.choices:
                combo.addItem(_field_text(label), value)
            row = editor
        elif spec.kind == "number":
            editor = spin = QDoubleSpinBox()
            spin.setRange(spec.minimum, spec.maximum)
            spin.setSingleStep(spec.step)
            spin.setDecimals(spec.decimals)
            spin.setSuffix(_field_text(spec.suffix))
            spin.setSpecialValueText(_field_text(spec.special))
            row = editor
        elif spec.kind == "device":
            editor = combo = QComboBox()
            combo.setEditable(True)  # a device may also be named by the start of its name, or its index
            combo.addItem(_tr(SYSTEM_DEFAULT))
            combo.setEnabled(False)  # until the listing is back
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            test = QPushButton(self.tr("Test"))
            test.clicked.connect(self._test_input if spec.key == "audio.input_device" else self._test_output)
            status = QLabel()
            status.setWordWrap(True)
            extras = [test, status]
            row = _hbox(editor, test)
        else:  # text, model, hotkey: a line edit, with a button when there is something to pick or record
            editor = edit = QLineEdit()
            edit.setPlaceholderText(_field_text(spec.placeholder))
            row = editor
            if spec.kind == "hotkey":
                record = QPushButton(self.tr("Record…"))
                record.clicked.connect(lambda: self._start_recording(edit))
                extras = [record]
                row = _hbox(editor, record)
            elif spec.browse:
                self.browse_buttons[spec.key] = self._browse_button(edit, spec.browse, spec.presets)
                row = _hbox(editor, self.browse_buttons[spec.key])
        if spec.tooltip:
            editor.setToolTip(_field_text(spec.tooltip))
        self._fields[spec.key] = editor
        for name, widget in zip(spec.attrs, (editor, *extras), strict=False):
            setattr(self, name, widget)
        return row

    def _browse_button(self, edit: QLineEdit, what: str, presets: tuple[tuple[str, str], ...] = ()) -> QPushButton:
        browse = QPushButton(self.tr("Browse…"))
        if what.startswith("file+folder:"):  # a model that is one file (.gguf) or a folder (transformers)
            filter_ = what.split(":", 1)[1]
            menu = QMenu(browse)
            for label, value in presets:
                menu.addAction(_field_text(label), lambda v=value: self._choose_preset(edit, v))
            if presets:
                menu.addSeparator()
            menu.addAction(self.tr("Model file ({extension})…").format(
                extension=filter_.split("(")[1].rstrip(")").lstrip("*")), lambda: self._browse_file(edit, filter_))
            menu.addAction(self.tr("Model folder…"), lambda: self._browse_folder(edit))
            browse.setMenu(menu)
        elif what == "folder":
            browse.clicked.connect(lambda _=False: self._browse_folder(edit))
        else:
            browse.clicked.connect(lambda _=False: self._browse_file(edit, what))
        return browse

    def _form(self, specs: list[Field]) -> QFormLayout:
        """A form with a labelled row per field (a check box fills its row); a device's status line below it."""
        form = QFormLayout()
        for spec in specs:
            row = self._build(spec)
            form.addRow("" if spec.kind == "check" else _field_text(spec.label), row)
            editor = self._fields[spec.key]
            if editor is not row and not editor.accessibleName():  # a row of several widgets: no label buddy
                editor.setAccessibleName(_field_text(spec.label))
            if spec.kind == "device":
                form.addRow("", getattr(self, spec.attrs[2]))
        return form

    def _add_checks(self, layout: QVBoxLayout, specs: list[Field]) -> None:
        for spec in specs:
            layout.addWidget(self._build(spec))

    def _set_values(self, c: Config) -> None:
        for spec in settings_fields.FIELDS:
            widget, value = self._fields[spec.key], getattr(getattr(c, spec.section), spec.name)
            if spec.kind == "check":
                widget.setChecked(value)
            elif spec.kind == "choice":
                _set_data(widget, value)
            elif spec.kind == "number":
                widget.setValue(value)
            elif spec.kind == "device":
                _set_device(widget, value)
            else:
                widget.setText(value)
        self._update_cloud_enabled()

    def _values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for spec in settings_fields.FIELDS:
            widget = self._fields[spec.key]
            if spec.kind == "check":
                values[spec.key] = widget.isChecked()
            elif spec.kind == "choice":
                values[spec.key] = widget.currentData()
            elif spec.kind == "number":
                # Spin boxes hold binary floats; round to what they display so 1.1 stays 1.1 in the file.
                number = round(widget.value(), widget.decimals())
                values[spec.key] = int(number) if spec.decimals == 0 else number  # an integer setting
            elif spec.kind == "device":
                values[spec.key] = _device_value(widget)
            else:
                values[spec.key] = widget.text().strip()
        return values

    def _update_cloud_enabled(self) -> None:
        self.cloud_box.setEnabled(self.policy_combo.currentData() != "local")
        usable = self._key_known and self._keyring_problem is None
        self.key_edit.setEnabled(usable)
        self.remove_key_button.setEnabled(usable and self._key_stored and not self._remove_key)

    # --- errors -------------------------------------------------------------------------------------------

    def _show_error(self, message: str, *, focus: bool = False, code: str = "") -> None:
        """``message``: the dialog's own words, or with ``code`` the core's (shown as ``ui.i18n.error_text``
        does); ``focus``: go to the field a ConfigError's message starts with."""
        self.error_label.setText(error_text(code, message) if code else message)
        self.error_label.setVisible(bool(message))
        match = re.match(r"([a-z]+\.[a-z_]+)\b", message)
        widget = self._fields.get(match.group(1)) if match and focus else None
        if widget is not None:
            for i in range(self.tabs.count()):
                if self.tabs.widget(i).isAncestorOf(widget):
                    self.tabs.setCurrentIndex(i)
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- saving -------------------------------------------------------------------------------------------

    def _save(self) -> None:
        self._show_error("")
        try:
            config = self.config()
        except ConfigError as exc:
            self._show_error(exc.message, focus=True, code=exc.code)
            return
        path = self._path or config_path()
        if problem := write_settings(config, path):
            self._show_error(problem)
            return
        log.info("settings saved to %s", path)
        try:
            if self.mcp_editor.save():
                self.mcp_saved.emit(self.mcp_editor.path)
        except OSError as exc:
            self._show_error(self.tr("The settings were saved, but the MCP servers could not be written to {path}: "
                                     "{reason}").format(path=self.mcp_editor.path, reason=exc))
            return
        key = self.key_edit.text().strip() if self._key_edited else ""
        if key:
            action, doing = (lambda: secrets.store_cloud_api_key(key)), self.tr("Storing the API key in the keyring…")
        elif self._remove_key:
            action, doing = secrets.delete_cloud_api_key, self.tr("Removing the API key from the keyring…")
        else:
            self._saved(config)
            return
        # The keyring may wait on an unlock prompt, so it is not touched on the GUI thread.
        self.save_button.setEnabled(False)
        self.key_status.setText(doing)
        self._run(lambda report: action(), lambda _, error: self._key_saved(config, bool(key), error))

    def _key_saved(self, config: Config, stored: bool, error: BaseException | None) -> None:
        self.save_button.setEnabled(True)
        if error is not None:
            message = (self.tr("The settings were saved, but the API key was not stored: the OS keyring is unavailable "
                               "({reason}). Set {variable} in the environment instead.") if stored else
                       self.tr("The settings were saved, but the API key was not removed: the OS keyring is "
                               "unavailable ({reason}). Set {variable} in the environment instead."))
            self._show_error(message.format(reason=_message(error), variable=secrets.ENV_KEY))
            self.saved.emit(config)
            return
        self.key_edit.clear()
        self._key_edited = self._remove_key = False
        self._key_stored = stored
        self._saved(config)

    def _saved(self, config: Config) -> None:
        self._base = config
        self.saved.emit(config)
        self.accept()

    # --- cloud key ------------------------------------------------------------------------------------------

    @staticmethod
    def _keyring_state() -> tuple[str | None, bool]:
        problem = secrets.keyring_problem()
        return problem, problem is None and secrets.has_stored_cloud_api_key()

    def _key_state_known(self, result: Any, error: BaseException | None) -> None:
        problem, stored = result if error is None else (_message(error), False)
        self._keyring_problem, self._key_stored, self._key_known = problem, stored, True
        if problem:
            self.key_edit.setPlaceholderText(self.tr("the OS keyring is unavailable"))
            self.key_status.setText(self.tr("The OS keyring is unavailable ({reason}). Set {variable} in the "
                                            "environment instead.").format(reason=problem, variable=secrets.ENV_KEY))
            set_role(self.key_status, "error")
        else:
            self.key_edit.setPlaceholderText(self.tr("a key is stored in the keyring (type to replace it)") if stored
                                             else self.tr("no key stored (paste one here)"))
            if os.environ.get(secrets.ENV_KEY):
                self.key_status.setText(self.tr("{variable} is set in the environment and is used before the "
                                                "keyring.").format(variable=secrets.ENV_KEY))
        self._update_cloud_enabled()

    def _key_typed(self, _text: str) -> None:
        self._key_edited = True
        if self._remove_key:
            self._remove_key = False
            self.key_status.clear()
            self._update_cloud_enabled()

    def _remove_key_clicked(self) -> None:
        self.key_edit.clear()
        self._key_edited = False
        self._remove_key = True
        self.key_status.setText(self.tr("The stored key will be removed when you save."))
        self._update_cloud_enabled()

    # --- models ---------------------------------------------------------------------------------------------

    def _browse_file(self, edit: QLineEdit, filter_: str) -> None:
        filters = f"{_field_text(filter_)};;{self.tr('All files (*)')}"
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a model file"), _start_dir(edit.text()), filters)
        if path:
            edit.setText(path)

    def _browse_folder(self, edit: QLineEdit) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Choose a model folder"), _start_dir(edit.text()))
        if path:
            edit.setText(path)

    def _prepare_models(self) -> None:
        self._show_error("")
        try:
            candidate = self.config()
        except ConfigError as exc:
            self._show_error(exc.message, focus=True, code=exc.code)
            return

        def work(report: Callable[[Any], None]) -> list[dict]:
            report(("rows", bootstrap.model_inventory(candidate)))
            return bootstrap.model_inventory(candidate, prepare=True,
                                             progress=lambda message, fraction: report(("progress", message, fraction)))

        self.download_button.setEnabled(False)
        self.progress_bar.setRange(0, 0)  # busy until a step reports a fraction
        set_role(self.download_status, "")
        self.download_status.setText(self.tr("Preparing the models…"))
        self._run(work, self._models_prepared, self._prepare_progress)

    def _prepare_progress(self, payload: tuple) -> None:
        if payload[0] == "rows":
            self._show_rows(payload[1])
            return
        _, message, fraction = payload
        if fraction is None:
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, 100)
            self.progress_bar.setValue(round(fraction * 100))
        self.download_status.setText(f"{message}…" if fraction is None else f"{message}: {fraction:.0%}")

    def _models_prepared(self, rows: Any, error: BaseException | None) -> None:
        self.download_button.setEnabled(True)
        self.progress_bar.setRange(0, 100)
        if error is not None:
            self.progress_bar.setValue(0)
            set_role(self.download_status, "error")
            self.download_status.setText(self.tr("Preparing the models failed: {reason}").format(
                reason=_message(error)))
            return
        self._show_rows(rows)
        self.progress_bar.setValue(100)
        missing = [r["role"] for r in rows if r["status"] == "missing"]
        if missing:
            set_role(self.download_status, "error")
            self.download_status.setText(self.tr("Not available: {models} (see the fix under each model).").format(
                models=", ".join(missing)))
        else:
            set_role(self.download_status, "")
            self.download_status.setText(self.tr("All models are ready."))

    def _servers_found(self, servers: Any, error: BaseException | None) -> None:
        """The models of the chat servers running here (Ollama, LM Studio, ...), offered in the models' menus."""
        for key in ("llm.model", "llm.big_model"):
            button = self.browse_buttons.get(key)
            if button is None or button.menu() is None:
                continue
            menu, edit = button.menu(), self.field(key)
            first = menu.actions()[0] if menu.actions() else None
            entries = servers or []
            if not entries:
                note = QAction(self.tr("No Ollama or LM Studio server is running here"), menu)
                note.setEnabled(False)
                menu.insertAction(first, note)
            for label, setting in entries:
                action = QAction(self.tr("Running here: {server}").format(server=label), menu)
                action.triggered.connect(lambda _=False, v=setting, e=edit: self._choose_preset(e, v))
                menu.insertAction(first, action)
            menu.insertSeparator(first)

    def _choose_preset(self, edit: QLineEdit, value: str) -> None:
        """Put a preset in its field and say at once what it resolves to (an offline pack may be missing)."""
        edit.setText(value)
        try:
            candidate = self.config()
        except ConfigError:
            return  # another field is invalid: saving says which
        for label in self.role_status.values():
            label.setText(self.tr("checking…"))
        self._run(lambda report: bootstrap.model_inventory(candidate), self._inventory_checked)

    def _inventory_checked(self, rows: Any, error: BaseException | None) -> None:
        if error is not None:
            for label in self.role_status.values():
                label.setText(self.tr("cannot check: {reason}").format(reason=_message(error)))
            return
        self._show_rows(rows)

    def _show_rows(self, rows: list[dict]) -> None:
        if "llm-big" in self.role_status and not any(r["role"] == "llm-big" for r in rows):
            set_role(self.role_status["llm-big"], "")
            self.role_status["llm-big"].setText(self.tr("none: the language model above answers every question"))
        for row in rows:
            label = self.role_status.get(row["role"])
            if label is None:
                continue
            if row["status"] == "missing":
                set_role(label, "error")
                label.setText(row.get("fix") or row.get("detail") or self.tr("missing"))
                continue
            set_role(label, "")
            status = _tr(_STATUS[row["status"]]) if row["status"] in _STATUS else row["status"]
            text = self.tr("{status}: {detail}").format(status=status, detail=row.get("detail", ""))
            if row.get("size_mb"):
                text += self.tr(" ({size:.0f} MB)").format(size=row["size_mb"])
            if row.get("note"):
                text += f" — {row['note']}"
            label.setText(text)

    # --- audio devices ------------------------------------------------------------------------------------

    def _devices_listed(self, listing: Any, error: BaseException | None) -> None:
        if error is not None:
            listing = {"inputs": [], "outputs": [], "problem": _message(error)}
        missing = []
        for combo, kind in ((self.input_combo, "inputs"), (self.output_combo, "outputs")):
            names = [d["name"] for d in listing.get(kind, [])]
            current = combo.currentText()
            for name in names:
                if combo.findText(name, Qt.MatchFlag.MatchExactly) < 0:
                    combo.addItem(name)
            combo.setEditText(current)  # adding items must not replace what the setting says
            combo.setEnabled(bool(names))
            if not names:
                missing.append(kind)
        if missing:
            found = {("inputs",): self.tr("No microphone found: {problem}"),
                     ("outputs",): self.tr("No speaker found: {problem}")}.get(
                tuple(missing), self.tr("No microphone or speaker found: {problem}"))
            set_role(self.audio_reason, "error")
            self.audio_reason.setText(found.format(problem=listing.get("problem") or self.tr("none listed")))
        else:
            set_role(self.audio_reason, "")
            self.audio_reason.setText("")

    def _test_output(self) -> None:
        device = _device_value(self.output_combo)
        self.output_test_button.setEnabled(False)
        _status(self.output_status, self.tr("Playing a test tone…"))
        self._run(lambda report: bootstrap.adapters().audio.test_output(device),
                  lambda _, error: self._output_tested(device, error))

    def _output_tested(self, device: str, error: BaseException | None) -> None:
        self.output_test_button.setEnabled(True)
        if error is not None:
            _status(self.output_status, self.tr("The test failed: {reason}").format(reason=_message(error)), error=True)
        elif device:
            _status(self.output_status, self.tr("Played a test tone on {device}.").format(device=device))
        else:
            _status(self.output_status, self.tr("Played a test tone on the system default speaker."))

    def _test_input(self) -> None:
        device = _device_value(self.input_combo)
        self.input_test_button.setEnabled(False)
        _status(self.input_status, self.tr("Recording for 1 s — say something…"))
        self._run(lambda report: bootstrap.adapters().audio.test_input(device, 1.0), self._input_tested)

    def _input_tested(self, peak: Any, error: BaseException | None) -> None:
        self.input_test_button.setEnabled(True)
        if error is not None:
            _status(self.input_status, self.tr("The test failed: {reason}").format(reason=_message(error)), error=True)
        elif peak is None or math.isinf(peak) or peak < -60:
            _status(self.input_status, self.tr("Peak level: silence. Is the microphone muted or the wrong one?"),
                    error=True)
        elif peak < -30:
            _status(self.input_status, self.tr("Peak level: {peak:.1f} dBFS (quiet: move closer or raise the input "
                                               "volume).").format(peak=peak))
        else:
            _status(self.input_status, self.tr("Peak level: {peak:.1f} dBFS.").format(peak=peak))

    # --- hotkeys ------------------------------------------------------------------------------------------------

    def _start_recording(self, target: QLineEdit) -> None:
        self.recorder_row.record(target)

    # --- worker threads ---------------------------------------------------------------------------------------

    def _run(self, fn: Callable[[Callable[[Any], None]], Any], on_done: Callable[[Any, BaseException | None], None],
             on_progress: Callable[[Any], None] | None = None) -> None:
        """Run ``fn(report)`` on a daemon thread; ``on_progress``/``on_done`` are called on the GUI thread.

        Daemon: a model download that outlives the dialog (or the app) must not keep the process alive."""
        job = next(_job_ids)
        self._jobs[job] = (on_done, on_progress)
        relay = _shared_relay()

        def work() -> None:
            result, error = None, None
            try:
                result = fn(lambda payload: _emit(relay.progress, job, payload))
            except Exception as exc:
                log.info("settings job %d failed: %s", job, _message(exc))
                error = exc
            _emit(relay.finished, job, result, error)

        threading.Thread(target=work, name=f"settings-dialog-{job}", daemon=True).start()

    def _job_progress(self, job: int, payload: Any) -> None:
        handlers = self._jobs.get(job)
        if handlers and handlers[1]:
            handlers[1](payload)

    def _job_finished(self, job: int, result: Any, error: Any) -> None:
        handlers = self._jobs.pop(job, None)
        if handlers:
            handlers[0](result, error)


# --- small helpers ------------------------------------------------------------------------------------------


def _list_devices() -> dict:
    """The device listing, plus why it is empty when it is (the listing itself does not say)."""
    listing = dict(bootstrap.adapters().audio.devices())
    if not listing.get("inputs") or not listing.get("outputs"):
        report = bootstrap.adapters().audio.report()
        if report.get("error"):
            listing["problem"] = report["error"]
        else:
            listing["problem"] = QCoreApplication.translate(  # on a worker thread: translate is thread-safe
                "SettingsDialog", "PortAudio lists no such device. Connect one, or check that this user may use the "
                "sound devices.")
    return listing

# What a model setting resolves to (bootstrap.model_inventory's statuses), translated where shown.
_STATUS = {"offline-pack": QT_TRANSLATE_NOOP("SettingsDialog", "bundled (offline pack)"),
           "local-server": QT_TRANSLATE_NOOP("SettingsDialog", "local server"),
           "local": QT_TRANSLATE_NOOP("SettingsDialog", "local file"),
           "hub-cache": QT_TRANSLATE_NOOP("SettingsDialog", "downloaded"),
           "download": QT_TRANSLATE_NOOP("SettingsDialog", "downloaded on first use")}


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # "<ctrl>" is not a tag
    label.setWordWrap(True)
    return label


def _status(label: QLabel, text: str, *, error: bool = False) -> None:
    set_role(label, "error" if error else "")
    label.setText(text)


def _not_checks(specs: list[Field]) -> list[Field]:
    return [spec for spec in specs if spec.kind != "check"]


def _hbox(editor: QWidget, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(editor, 1)
    row.addWidget(button)
    return row


def _set_data(combo: QComboBox, value: str) -> None:
    combo.setCurrentIndex(max(0, combo.findData(value)))


def _set_device(combo: QComboBox, value: str) -> None:
    if value:
        combo.setEditText(value)
    else:
        combo.setCurrentIndex(0)
        combo.setEditText(_tr(SYSTEM_DEFAULT))


def _device_value(combo: QComboBox) -> str:
    text = combo.currentText().strip()
    return "" if text in (SYSTEM_DEFAULT, _tr(SYSTEM_DEFAULT)) else text


def _start_dir(current: str) -> str:
    path = Path(current).expanduser()
    if current and path.exists():
        return str(path if path.is_dir() else path.parent)
    return str(Path.home())
