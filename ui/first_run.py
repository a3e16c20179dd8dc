"""The first-run setup: a short guide at the app's first start (microphone, speaker, the launcher hotkey, always
listening, privacy), skippable at every step and run again from Settings → Interface.

Finish writes the choices the way the settings dialog saves them (``assistant.config.save_config``: the file stays
private) with ``ui.first_run_done`` set; Skip (Escape, or closing the window) sets that alone and changes nothing
else. No sound work runs on the GUI thread: the microphone is open only while its page is shown, drained by a
reader thread that keeps its level for the meter and, during the test, the loudest moment (``MicMonitor``); the
speaker test plays the timers' chime on a worker.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from assistant import bootstrap
from assistant.config import Config, build_config, config_path
from assistant.contracts.errors import AssistantError, AudioDeviceError, ConfigError
from assistant.contracts.types import SAMPLE_RATE
from ui import theme
from ui.i18n import error_text
from ui.settings_dialog import (
    SYSTEM_DEFAULT,
    HotkeyRecorder,
    _device_value,
    _emit,
    _job_ids,
    _list_devices,
    _set_device,
    _shared_relay,
    hotkey_problem_html,
    write_settings,
)
from ui.timers_panel import chime
from ui.widgets import LevelMeter

log = logging.getLogger(__name__)

PAGES = ("microphone", "speaker", "hotkey", "listening", "privacy")
WHERE = "the first-time setup"

TEST_SECONDS = 3.0  # the microphone test's recording
HEARD_DB = -40.0  # the loudest 32 ms block of the test at least this loud (RMS, dBFS): speech was heard
FAINT_DB = -55.0  # between the two: something, faintly (a far or quiet microphone); below: nothing
OPEN_TIMEOUT_S = 10.0  # a microphone that has not opened by then is not going to
STALL_S = 8.0  # beyond the test's length: the microphone itself reports a stall after 5 s without sound
PLAY_TIMEOUT_S = 5.0
CHIME_RATE = 24000

# What to do about a device error, where the core's message (what happened) does not say it for a window.
ADVICE = {
    "input-device-lost": QT_TRANSLATE_NOOP("FirstRunDialog", "Reconnect it, then test again."),
    "no-output-device": QT_TRANSLATE_NOOP("FirstRunDialog", "Connect speakers or headphones, or choose another "
                                          "speaker, then test again."),
    "output-device-failed": QT_TRANSLATE_NOOP("FirstRunDialog", "Another program may be using it: close that "
                                              "program, or choose another speaker, then test again."),
    "output-device-lost": QT_TRANSLATE_NOOP("FirstRunDialog", "Reconnect it, then test again."),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("FirstRunDialog", text)


def _db(rms: float) -> float:
    return 20 * math.log10(rms) if rms > 1e-6 else -120.0


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples * samples))) if len(samples) else 0.0


def device_problem(exc: BaseException) -> str:
    """What went wrong with a device, and what to do about it, as the setup shows it."""
    if isinstance(exc, AssistantError):
        advice = ADVICE.get(exc.code, "")
        text = error_text(exc.code, exc.message, _tr(advice) if advice else "")
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:1].upper() + text[1:]  # the core's messages start in lower case


# --- sound, off the GUI thread --------------------------------------------------------------------------------


class _Take:
    """The microphone test's recording: how much was heard, and the loudest block."""

    def __init__(self, samples: int) -> None:
        self.wanted, self.got, self.loudest = samples, 0, 0.0
        self.done = threading.Event()

    def add(self, samples: np.ndarray) -> None:
        self.loudest = max(self.loudest, _rms(samples))
        self.got += len(samples)
        if self.got >= self.wanted:
            self.done.set()


class MicMonitor:
    """A microphone open for the setup: a reader thread opens ``device`` ("" the default), drains it and keeps
    ``level`` (the RMS of the latest chunk, for a meter polled by a timer) until ``stop()``. ``error`` says why it
    could not open or stopped by itself (``ended`` is set then)."""

    def __init__(self, audio, device: str) -> None:
        self.device = device
        self.level = 0.0
        self.error: AssistantError | None = None
        self.opened = threading.Event()  # open, or it failed to open
        self.ended = threading.Event()
        self._audio = audio
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._take: _Take | None = None
        self._thread = threading.Thread(target=self._read, name="settings-first-run-mic", daemon=True)
        self._thread.start()

    @property
    def testing(self) -> bool:
        """Whether a test is recording now."""
        return self._take is not None

    def stop(self) -> None:
        """Close the microphone (on the reader thread, within a read's tenth of a second); returns at once."""
        self._stop.set()

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _read(self) -> None:
        mic = None
        try:
            mic = self._audio.microphone(self.device)
            mic.start()
            self.opened.set()
            while not self._stop.is_set():
                chunk = mic.read(0.1)  # raises input-device-lost when the microphone goes away or stalls
                if chunk is None:
                    continue
                self.level = _rms(chunk.samples)
                with self._lock:
                    if self._take is not None:
                        self._take.add(chunk.samples)
        except AssistantError as exc:
            self.error = exc
            log.info("first-run microphone %r: %s", self.device, exc.message)
        except Exception as exc:  # PortAudio's own errors, where the adapter did not word them
            self.error = AudioDeviceError("input-device-failed", f"the microphone failed: {exc}")
            log.warning("first-run microphone %r: %s", self.device, exc)
        finally:
            if mic is not None:
                mic.stop()
            self.level = 0.0
            self.opened.set()
            self.ended.set()
            with self._lock:
                if self._take is not None:
                    self._take.done.set()

    def listen(self, seconds: float) -> float | None:
        """(On a worker.) The loudest block of the next ``seconds`` heard, in dBFS (-120 for digital silence);
        None when the monitor was stopped meanwhile. Raises the microphone's AssistantError."""
        if not self.opened.wait(OPEN_TIMEOUT_S):
            raise AudioDeviceError("input-device-failed", f"the microphone did not open within {OPEN_TIMEOUT_S:.0f} "
                                   "s: it may be stalled or used by another program.")
        take = _Take(int(seconds * SAMPLE_RATE))
        with self._lock:
            running = not self.ended.is_set()
            if running:
                self._take = take  # the reader fills it, and sets it done when it ends
        if running:
            try:
                take.done.wait(seconds + STALL_S)
            finally:
                with self._lock:
                    self._take = None
        if self.error is not None:
            raise self.error
        if self._stop.is_set():
            return None
        if take.got < take.wanted:
            raise AudioDeviceError("input-device-failed", "the microphone delivered no sound for the test: it may "
                                   "be stalled or used by another program.")
        return _db(take.loudest)


def play_chime(audio, device: str) -> None:
    """(On a worker.) Play the timers' chime on ``device`` ("" the default) and return once it has been heard;
    raises AudioDeviceError with the reason when it cannot."""
    sink = audio.speaker(device or None)
    try:
        sink.play(chime(CHIME_RATE), CHIME_RATE)
        if not sink.wait_drained(PLAY_TIMEOUT_S):
            raise AudioDeviceError("output-device-failed", f"the speaker took no sound for {PLAY_TIMEOUT_S:.0f} s: it "
                                   "may be disconnected or used by another program.")
        # What is still in the device (its latency, under 10 ms) is the chime's closing 30 ms of silence.
    finally:
        close = getattr(sink, "close", None)
        if close is not None:
            close()


# --- the dialog -----------------------------------------------------------------------------------------------


class FirstRunDialog(QDialog):
    """The first-run setup, one page per choice (``PAGES``). ``saved(config)`` after Finish or Skip wrote the
    settings file (``path``; None: ``config_path()``); ``cloud_setup_requested`` after a Finish that asked for the
    cloud while no endpoint is set (Settings → Cloud & privacy is where it and its key are entered). Not modal:
    the app works on behind it. ``audio``: the AudioIO port (default: this machine's); ``hotkey_problem``: why
    global hotkeys cannot be grabbed here, shown on the hotkey page with the desktop-shortcut fix."""

    saved = Signal(object)
    cloud_setup_requested = Signal()

    def __init__(self, config: Config, parent: QWidget | None = None, *, path: Path | None = None, audio=None,
                 hotkey_problem: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRun")
        self.setWindowTitle(self.tr("First-time setup"))
        self._base, self._path = config, path
        self._audio = audio if audio is not None else bootstrap.adapters().audio
        self._hotkey_problem = hotkey_problem
        self._jobs: dict[int, Callable[[Any, BaseException | None], None]] = {}
        self._finished = False  # Finish or Skip saved: closing now is just closing
        self._skip_failed = False  # Skip could not write the file once: the next Skip closes without it
        self._reported: MicMonitor | None = None  # the monitor whose failure the page shows
        self.monitor: MicMonitor | None = None
        _shared_relay().finished.connect(self._job_finished)

        self._first: list[QWidget] = []  # each page's first control, focused when the page is shown
        self.stack = QStackedWidget()
        for page in (self._microphone_page(), self._speaker_page(), self._hotkey_page(), self._listening_page(),
                     self._privacy_page()):
            self.stack.addWidget(page)

        self.step_label = QLabel()
        theme.set_role(self.step_label, "hint")
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        theme.set_role(self.error_label, "error")
        self.error_label.hide()

        self.skip_button = QPushButton(self.tr("S&kip setup"))
        self.skip_button.setToolTip(self.tr("Keep the current settings; run the setup again any time from "
                                            "Settings → Interface"))
        self.back_button = QPushButton(self.tr("&Back"))
        self.next_button = QPushButton(self.tr("&Next"))
        self.finish_button = QPushButton(self.tr("&Finish"))
        for button in (self.skip_button, self.back_button, self.next_button, self.finish_button):
            button.setAutoDefault(False)
        self.skip_button.clicked.connect(self.reject)
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next_page)
        self.finish_button.clicked.connect(self.finish)
        buttons = QHBoxLayout()
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        buttons.addWidget(self.step_label)
        buttons.addSpacing(theme.SPACE)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.finish_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.MARGIN * 2, theme.MARGIN * 2, theme.MARGIN * 2, theme.MARGIN)
        layout.setSpacing(theme.SPACE)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self.resize(560, 420)

        self.level_timer = QTimer(self, interval=33)  # ~30 Hz, only while the microphone page is shown
        self.level_timer.timeout.connect(self._show_level)
        self.stack.currentChanged.connect(self._page_changed)
        self._set_values(config)
        self._page_changed(0)
        self._run(_list_devices, self._devices_listed)

    # --- public API -------------------------------------------------------------------------------------------

    def config(self) -> Config:
        """The settings with the choices made here (and the setup marked done); raises ConfigError."""
        data = self._base.to_dict()
        data["audio"]["input_device"] = _device_value(self.input_combo)
        data["audio"]["output_device"] = _device_value(self.output_combo)
        data["ui"]["toggle_hotkey"] = self.hotkey_edit.text().strip()
        data["ui"]["first_run_done"] = True
        data["listen"]["always_listening"] = self.always_radio.isChecked()
        data["cloud"]["policy"] = self._policy()
        return build_config(data, env={}, where=WHERE)

    def current_page(self) -> str:
        return PAGES[self.stack.currentIndex()]

    def show_page(self, name: str) -> None:
        """Go to a page: one of microphone, speaker, hotkey, listening, privacy."""
        self.stack.setCurrentIndex(PAGES.index(name))

    def is_busy(self) -> bool:
        """Whether a worker (the device listing, a test) has not answered yet."""
        return bool(self._jobs)

    def next_page(self) -> None:
        if self.current_page() == "hotkey" and not self._check(focus=True):
            return
        self.stack.setCurrentIndex(min(self.stack.currentIndex() + 1, self.stack.count() - 1))

    def back(self) -> None:
        self.stack.setCurrentIndex(max(self.stack.currentIndex() - 1, 0))

    def finish(self) -> None:
        """Write the choices and close."""
        if not self._check(focus=True):
            return
        config = self.config()
        if not self._write(config):
            return
        self._finished = True
        wants_cloud = self.cloud_radio.isChecked() and config.cloud.policy == "local"
        self.accept()
        self.saved.emit(config)
        if wants_cloud:
            self.cloud_setup_requested.emit()

    def reject(self) -> None:
        """Skip (the button, Escape, closing the window): the setup is marked done, nothing else changes."""
        if self._finished or self._base.ui.first_run_done or self._skip_failed:
            self._finished = True
            super().reject()
            return
        config = self._base.replace("ui", first_run_done=True)
        if not self._write(config):
            self._skip_failed = True  # said why; a second Skip closes all the same (the setup shows next time)
            return
        self._finished = True
        super().reject()
        self.saved.emit(config)

    # --- pages ----------------------------------------------------------------------------------------------

    def _page(self, title: str, intro: str) -> tuple[QWidget, QVBoxLayout]:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(theme.SPACE)
        heading = QLabel(title)
        heading.setWordWrap(True)
        theme.set_role(heading, "heading")
        layout.addWidget(heading)
        text = _label(intro)
        layout.addWidget(text)
        layout.addSpacing(theme.SPACE)
        return page, layout

    def _device_row(self, form: QFormLayout, label: str, name: str) -> QComboBox:
        combo = QComboBox()
        combo.setEditable(True)  # a device may also be named by the start of its name, or its index
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItem(QCoreApplication.translate("SettingsDialog", SYSTEM_DEFAULT))
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        combo.setAccessibleName(name)
        caption = QLabel(label)
        caption.setBuddy(combo)
        form.addRow(caption, combo)
        return combo

    def _microphone_page(self) -> QWidget:
        page, layout = self._page(self.tr("Your microphone"), self.tr(
            "Welcome! A few quick choices and the assistant is ready; skip any of them, and change them later in "
            "Settings. First, the microphone it listens to: choose it, then say something to check it hears you."))
        form = QFormLayout()
        self.input_combo = self._device_row(form, self.tr("&Microphone:"), self.tr("Microphone"))
        self.input_combo.activated.connect(lambda _: self._update_monitor())
        self.input_combo.lineEdit().editingFinished.connect(self._update_monitor)
        self.level_meter = LevelMeter()
        self.level_meter.setAccessibleName(self.tr("Microphone level"))
        form.addRow(self.tr("Level:"), self.level_meter)
        layout.addLayout(form)
        self.mic_test_button = QPushButton(self.tr("&Say something"))
        self.mic_test_button.setToolTip(self.tr("Records {seconds:.0f} seconds and says whether you were "
                                                "heard").format(seconds=TEST_SECONDS))
        self.mic_test_button.setAccessibleName(self.tr("Test the microphone: say something"))
        self.mic_test_button.clicked.connect(self._test_microphone)
        layout.addWidget(self.mic_test_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.mic_status = _label("")
        self.mic_status.setAccessibleName(self.tr("Microphone test result"))
        layout.addWidget(self.mic_status)
        layout.addStretch(1)
        self._first.append(self.input_combo)
        return page

    def _speaker_page(self) -> QWidget:
        page, layout = self._page(self.tr("Your speaker"), self.tr(
            "Where the assistant's voice plays. Choose it, then play a short chime to check you hear it."))
        form = QFormLayout()
        self.output_combo = self._device_row(form, self.tr("S&peaker:"), self.tr("Speaker"))
        layout.addLayout(form)
        self.speaker_test_button = QPushButton(self.tr("Play a &test sound"))
        self.speaker_test_button.setAccessibleName(self.tr("Test the speaker: play a chime"))
        self.speaker_test_button.clicked.connect(self._test_speaker)
        layout.addWidget(self.speaker_test_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.speaker_status = _label("")
        self.speaker_status.setAccessibleName(self.tr("Speaker test result"))
        layout.addWidget(self.speaker_status)
        layout.addStretch(1)
        self._first.append(self.output_combo)
        return page

    def _hotkey_page(self) -> QWidget:
        page, layout = self._page(self.tr("The launcher hotkey"), self.tr(
            "Press it anywhere to open the launcher: a small box to type or say a question in, over whatever you "
            "are doing. Press it again, or Escape, to put it away."))
        self.hotkey_problem_label = _label("")
        self.hotkey_problem_label.setTextFormat(Qt.TextFormat.RichText)
        theme.set_role(self.hotkey_problem_label, "warning")
        if self._hotkey_problem:
            self.hotkey_problem_label.setText(hotkey_problem_html(self._hotkey_problem))
        else:
            self.hotkey_problem_label.hide()
        layout.addWidget(self.hotkey_problem_label)
        self.hotkey_edit = QLineEdit()
        self.hotkey_edit.setAccessibleName(self.tr("Launcher hotkey"))
        self.record_button = QPushButton(self.tr("&Record…"))
        self.record_button.setAccessibleName(self.tr("Record the launcher hotkey"))
        row = QHBoxLayout()
        row.addWidget(self.hotkey_edit, 1)
        row.addWidget(self.record_button)
        caption = QLabel(self.tr("&Hotkey:"))
        caption.setBuddy(self.hotkey_edit)
        form = QFormLayout()
        form.addRow(caption, row)
        layout.addLayout(form)
        self.recorder = HotkeyRecorder(page)
        self.record_button.clicked.connect(lambda: self.recorder.record(self.hotkey_edit))
        layout.addWidget(self.recorder)
        layout.addWidget(self.recorder.status)
        theme.set_role(self.recorder.status, "error")
        layout.addWidget(_label(self.tr("Push to talk, the screen and the mute hotkeys are in Settings → Hotkeys."),
                                role="hint"))
        layout.addStretch(1)
        self._first.append(self.hotkey_edit)
        return page

    def _listening_page(self) -> QWidget:
        phrase = self._base.listen.wake_phrase
        page, layout = self._page(self.tr("Always listening"), self.tr(
            "The assistant can listen all the time for its wake phrase, or only when you ask it to."))
        self.on_demand_radio = QRadioButton(self.tr("&Only when I ask: the launcher hotkey, the microphone button, "
                                                    "or push to talk"))
        self.always_radio = QRadioButton(self.tr("&Always listening for “{phrase}”").format(phrase=phrase))
        self.listening_group = QButtonGroup(page)
        for radio in (self.on_demand_radio, self.always_radio):
            self.listening_group.addButton(radio)
            layout.addWidget(radio)
        layout.addWidget(_label(self.tr(
            "Always listening answers only what starts with “{phrase}” (or comes just after a reply); the phrase is "
            "in Settings → Listening. Switch it on or off any time from the tray menu.").format(phrase=phrase),
            role="hint"))
        layout.addStretch(1)
        self._first.append(self.on_demand_radio)
        return page

    def _privacy_page(self) -> QWidget:
        page, layout = self._page(self.tr("Privacy"), self.tr(
            "The assistant runs on this computer: what you say, what you type and its answers stay here, unless "
            "you allow a cloud model."))
        self.local_radio = QRadioButton(self.tr("&Local only (nothing leaves this computer)"))
        self.cloud_radio = QRadioButton(self.tr("Allow a &cloud model as a fallback, when the local one is slow or "
                                                "missing"))
        self.privacy_group = QButtonGroup(page)
        for radio in (self.local_radio, self.cloud_radio):
            self.privacy_group.addButton(radio)
            layout.addWidget(radio)
        self.cloud_note = _label("", role="hint")
        layout.addWidget(self.cloud_note)
        self.cloud_radio.toggled.connect(self._show_cloud_note)
        layout.addStretch(1)
        self._first.append(self.local_radio)
        return page

    def _show_cloud_note(self) -> None:
        cloud = self._base.cloud
        if not self.cloud_radio.isChecked():
            self.cloud_note.setText(self.tr("You can allow a cloud model later in Settings → Cloud & privacy."))
        elif _cloud_ready(self._base):
            self.cloud_note.setText(self.tr("The cloud model {model} at {url} is used then; its endpoint and API key "
                                            "are in Settings → Cloud & privacy.").format(model=cloud.model,
                                                                                          url=cloud.base_url))
        else:
            self.cloud_note.setText(self.tr("After Finish, Settings opens on Cloud & privacy: enter the cloud "
                                            "endpoint and its API key there. Until then, nothing leaves this "
                                            "computer."))

    # --- values -----------------------------------------------------------------------------------------------

    def _set_values(self, config: Config) -> None:
        _set_device(self.input_combo, config.audio.input_device)
        _set_device(self.output_combo, config.audio.output_device)
        self.hotkey_edit.setText(config.ui.toggle_hotkey)
        (self.always_radio if config.listen.always_listening else self.on_demand_radio).setChecked(True)
        (self.local_radio if config.cloud.policy == "local" else self.cloud_radio).setChecked(True)
        self._show_cloud_note()

    def _policy(self) -> str:
        """The cloud policy to write: local, or the cloud as a fallback once an endpoint is set (an endpoint's
        "cloud first" stays so); an endpoint still to set keeps it local (Settings switches it there)."""
        if self.local_radio.isChecked():
            return "local"
        if self._base.cloud.policy != "local":
            return self._base.cloud.policy
        return "auto" if _cloud_ready(self._base) else "local"

    def _check(self, *, focus: bool) -> bool:
        """Whether the choices make valid settings; shows why not (and goes to the hotkey page: the one choice
        that can be invalid)."""
        try:
            self.config()
        except ConfigError as exc:
            self._show_error(error_text(exc.code, exc.message))
            if focus:
                self.show_page("hotkey")
                self.hotkey_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return False
        self._show_error("")
        return True

    def _write(self, config: Config) -> bool:
        path = self._path or config_path()
        if problem := write_settings(config, path):
            self._show_error(problem)
            return False
        log.info("first-run setup saved to %s", path)
        return True

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    # --- pages shown and left -------------------------------------------------------------------------------

    def _page_changed(self, index: int) -> None:
        last = index == self.stack.count() - 1
        self.step_label.setText(self.tr("Step {step} of {steps}").format(step=index + 1, steps=self.stack.count()))
        self.back_button.setEnabled(index > 0)
        self.next_button.setVisible(not last)
        self.finish_button.setVisible(last)
        (self.finish_button if last else self.next_button).setDefault(True)
        (self.next_button if last else self.finish_button).setDefault(False)
        self._update_monitor()
        self._first[index].setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._update_monitor()

    def hideEvent(self, event) -> None:
        self._stop_monitor()
        super().hideEvent(event)

    def done(self, result: int) -> None:
        self._stop_monitor()
        super().done(result)

    # --- the microphone ---------------------------------------------------------------------------------------

    def _update_monitor(self) -> None:
        """The microphone is open exactly while its page is on screen, on the device chosen."""
        wanted = self.isVisible() and not self._finished and self.current_page() == "microphone"
        device = _device_value(self.input_combo)
        if not wanted:
            self._stop_monitor()
        elif self.monitor is None or self.monitor.device != device:
            self._start_monitor(device)

    def _start_monitor(self, device: str) -> None:
        self._stop_monitor()
        self.monitor = MicMonitor(self._audio, device)
        self._say(self.mic_status, "")
        self.level_timer.start()

    def _stop_monitor(self) -> None:
        if self.monitor is not None:
            self.monitor.stop()
            self.monitor = None
        self.level_timer.stop()
        self.level_meter.set_rms(0.0)

    def _show_level(self) -> None:
        monitor = self.monitor
        if monitor is None:
            return
        self.level_meter.set_rms(monitor.level)
        if monitor.ended.is_set() and monitor.error is not None and self._reported is not monitor:
            self._reported = monitor  # said once; the test button opens it again
            if not self.mic_test_button.isEnabled():
                return  # the test in progress says it
            self._say(self.mic_status, device_problem(monitor.error), error=True)

    def _test_microphone(self) -> None:
        device = _device_value(self.input_combo)
        if self.monitor is None or self.monitor.ended.is_set() or self.monitor.device != device:
            self._start_monitor(device)  # not open yet, or it failed: try again (plugged in meanwhile?)
        monitor = self.monitor
        self.mic_test_button.setEnabled(False)
        self._say(self.mic_status, self.tr("Listening for {seconds:.0f} seconds: say something…").format(
            seconds=TEST_SECONDS))
        self._run(lambda: monitor.listen(TEST_SECONDS), self._microphone_tested)

    def _microphone_tested(self, loudest: Any, error: BaseException | None) -> None:
        self.mic_test_button.setEnabled(True)
        if error is not None:
            self._say(self.mic_status, device_problem(error), error=True)
        elif loudest is None:
            self._say(self.mic_status, "")  # the page was left during the test
        elif loudest >= HEARD_DB:
            self._say(self.mic_status, self.tr("Speech was heard: the microphone works."))
        elif loudest >= FAINT_DB:
            self._say(self.mic_status, self.tr("Something was heard, but faintly: speak closer to the microphone, "
                                               "or raise its input volume in the system's sound settings."),
                      error=True)
        else:
            self._say(self.mic_status, self.tr("Nothing was heard: check the microphone is not muted (a switch on "
                                               "it, a key on the keyboard, or the system's sound settings) and that "
                                               "it is the one you speak into."), error=True)

    # --- the speaker ------------------------------------------------------------------------------------------

    def _test_speaker(self) -> None:
        device = _device_value(self.output_combo)
        self.speaker_test_button.setEnabled(False)
        self._say(self.speaker_status, self.tr("Playing a chime…"))
        self._run(lambda: play_chime(self._audio, device), lambda _, error: self._speaker_tested(device, error))

    def _speaker_tested(self, device: str, error: BaseException | None) -> None:
        self.speaker_test_button.setEnabled(True)
        if error is not None:
            self._say(self.speaker_status, device_problem(error), error=True)
            return
        where = device or QCoreApplication.translate("SettingsDialog", SYSTEM_DEFAULT)
        self._say(self.speaker_status, self.tr("A chime was played on {device}. Heard nothing? Check the volume, and "
                                               "that this is the speaker you listen to.").format(device=where))

    # --- devices ----------------------------------------------------------------------------------------------

    def _devices_listed(self, listing: Any, error: BaseException | None) -> None:
        if error is not None:
            listing = {"inputs": [], "outputs": [], "problem": device_problem(error)}
        for combo, kind, status, text in (
                (self.input_combo, "inputs", self.mic_status, self.tr("No microphone is listed: {problem}")),
                (self.output_combo, "outputs", self.speaker_status, self.tr("No speaker is listed: {problem}"))):
            names = [d["name"] for d in listing.get(kind, [])]
            current = combo.currentText()
            for name in names:
                if combo.findText(name, Qt.MatchFlag.MatchExactly) < 0:
                    combo.addItem(name)
            combo.setEditText(current)  # adding items must not replace the choice
            if not names and not status.text():
                self._say(status, text.format(problem=listing.get("problem") or self.tr("none found")), error=True)

    # --- helpers ----------------------------------------------------------------------------------------------

    @staticmethod
    def _say(label: QLabel, text: str, *, error: bool = False) -> None:
        theme.set_role(label, "error" if error else "status")
        label.setText(text)

    def _run(self, fn: Callable[[], Any], on_done: Callable[[Any, BaseException | None], None]) -> None:
        """``fn()`` on a daemon thread; ``on_done(result, error)`` on the GUI thread (through the settings'
        relay, which outlives this dialog)."""
        job = next(_job_ids)
        self._jobs[job] = on_done
        relay = _shared_relay()

        def work() -> None:
            result, error = None, None
            try:
                result = fn()
            except Exception as exc:
                error = exc
            _emit(relay.finished, job, result, error)

        threading.Thread(target=work, name=f"settings-first-run-{job}", daemon=True).start()

    def _job_finished(self, job: int, result: Any, error: Any) -> None:
        handler = self._jobs.pop(job, None)
        if handler is not None:
            handler(result, error)


def _cloud_ready(config: Config) -> bool:
    """Whether a cloud endpoint is set (the policy may then allow it)."""
    return config.cloud.base_url.startswith(("http://", "https://")) and bool(config.cloud.model.strip())


def _label(text: str, *, role: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if role:
        theme.set_role(label, role)
    return label
