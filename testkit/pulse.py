"""A private PulseAudio server for tests that use real audio devices on a machine with no sound card.

The ``pulse`` fixture (session scope) starts a user-mode PulseAudio with its runtime and state folders in a
temporary folder, a 16 kHz mono null sink ``va_sink`` (the virtual speaker) and a virtual source ``va_mic``
that records the sink's monitor (the virtual microphone), both the defaults. What is played to the speaker
can then be heard by the microphone. PortAudio (sounddevice) sees the server as its ``pulse`` and ``default``
ALSA devices.

Enable it for a test module with ``pytest_plugins = ["testkit.pulse"]`` in ``tests/conftest.py``.
The fixture fails (it does not skip) when PulseAudio is not installed: CI installs it
(``scripts/install_system_deps.sh``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from testkit.helpers import wait_until

log = logging.getLogger(__name__)

SINK = "va_sink"  # the virtual speaker
MIC = "va_mic"  # the virtual microphone: hears what is played to SINK
RATE = 16_000  # the sink's rate: what the tests play and record (see HEADLESS_TESTING.md on rates)

_SCRIPT = f"""\
load-module module-native-protocol-unix
load-module module-null-sink sink_name={SINK} rate={RATE} channels=1
load-module module-virtual-source source_name={MIC} master={SINK}.monitor
set-default-sink {SINK}
set-default-source {MIC}
"""


def refresh_portaudio() -> None:
    """Make an already imported sounddevice enumerate the devices again: PortAudio lists them once, when
    it is initialized, and the pulse devices exist only while the server runs. Closes every open stream."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        from audio.speaker import streams_closed

        # Terminating PortAudio under a stream of the killed server that is still closing on its helper thread
        # (now and then stuck for good inside libpulse) aborts the process. Then the device list stays as it is:
        # it was made while a server ran on the same socket, and a stream opened later connects afresh.
        if not streams_closed(5.0):
            log.warning("a stream of the previous sound server is still closing: PortAudio not re-initialized")
            return
        sd._terminate()
        sd._initialize()


class PulseAudio:
    """One private PulseAudio daemon, owned by this process (killed on ``stop()``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        run = root / "run"
        self.env = {
            "XDG_RUNTIME_DIR": str(run),
            "PULSE_RUNTIME_PATH": str(run / "pulse"),
            "PULSE_STATE_PATH": str(root / "pa_state"),
            "PULSE_SERVER": f"unix:{run / 'pulse' / 'native'}",
            # No autospawn: a client must never start a second server behind the test's back (the
            # device-loss tests kill this one on purpose).
            "PULSE_CLIENTCONFIG": str(root / "client.conf"),
        }
        self.log_path = root / "pulseaudio.log"
        self.process: subprocess.Popen | None = None
        self._saved_env: dict[str, str | None] = {}

    # --- the daemon --------------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        """Start the daemon with the virtual speaker and microphone; returns once clients can connect."""
        binary = shutil.which("pulseaudio")
        if binary is None or shutil.which("pactl") is None:
            pytest.fail("PulseAudio is not installed, so the live audio tests cannot run. Install it with "
                        "`sudo apt-get install pulseaudio pulseaudio-utils libasound2-plugins libportaudio2` "
                        "(or `make system-deps`).", pytrace=False)
        run = Path(self.env["PULSE_RUNTIME_PATH"])
        run.mkdir(mode=0o700, parents=True, exist_ok=True)
        Path(self.env["XDG_RUNTIME_DIR"]).chmod(0o700)
        Path(self.env["PULSE_STATE_PATH"]).mkdir(mode=0o700, parents=True, exist_ok=True)
        Path(self.env["PULSE_CLIENTCONFIG"]).write_text("autospawn = no\n")
        script = self.root / "test.pa"
        script.write_text(_SCRIPT)
        self._export()
        # -n -F: only our modules, none of the machine's (no real cards, no suspend-on-idle): the same
        # server on a developer's desktop and in CI. Not daemonized, so this process owns its pid.
        self.process = subprocess.Popen(
            [binary, "-n", "-F", str(script), "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
             "--use-pid-file=no", f"--log-target=file:{self.log_path}"],
            env={**os.environ, **self.env}, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        def up_or_gone() -> bool:
            if self.process.poll() is not None:
                return True
            done = subprocess.run(["pactl", "list", "short", "sources"], env=self._client_env(),
                                  capture_output=True, text=True)
            return done.returncode == 0 and MIC in done.stdout

        came_up = wait_until(up_or_gone, timeout, interval=0.05)
        if self.process.poll() is not None:
            pytest.fail(f"PulseAudio exited at start (code {self.process.returncode}): {self._log_tail()}",
                        pytrace=False)
        if not came_up:
            self.stop()
            pytest.fail(f"PulseAudio did not come up within {timeout:.0f} s: {self._log_tail()}", pytrace=False)
        refresh_portaudio()
        log.info("PulseAudio %d up: %s", self.process.pid, self.env["PULSE_SERVER"])

    def kill(self) -> None:
        """Kill the daemon as a crash or an unplugged device would end it: streams die at once."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        """A fresh daemon (after ``kill()``), with the same virtual devices, sockets and environment."""
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _export(self) -> None:
        # PortAudio's ALSA pulse plugin reads these when a stream opens, in this process.
        for key, value in self.env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _client_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def _log_tail(self) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-8:])
        except OSError:
            return "(no log)"

    # --- control -----------------------------------------------------------------------------------

    def pactl(self, *args: str) -> str:
        done = subprocess.run(["pactl", *args], env=self._client_env(), capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def suspend_mic(self, suspended: bool = True) -> None:
        """Suspend the virtual microphone: its clients stop receiving audio (a stalled device)."""
        self.pactl("suspend-source", MIC, "1" if suspended else "0")

    @contextlib.contextmanager
    def separate_speaker(self, name: str = "va_out"):
        """A second null sink made the default for the duration: the app's speaker (the default output)
        plays there, while the test plays into ``va_sink``, which the microphone hears. Yields the monitor
        source to record the speaker from. So the assistant never hears its own voice."""
        module = self.pactl("load-module", "module-null-sink", f"sink_name={name}", f"rate={RATE}",
                            "channels=1").strip()
        self.pactl("set-default-sink", name)
        try:
            yield f"{name}.monitor"
        finally:
            self.pactl("set-default-sink", SINK)
            self.pactl("unload-module", module)

    # --- sound in and out --------------------------------------------------------------------------

    def play_into_mic(self, samples: np.ndarray, rate: int, *, sink: str = SINK) -> None:
        """Play float32 mono ``samples`` into ``sink`` (which the virtual microphone hears); returns once
        they have been played. Start the microphone, and wait for its first block, before calling this:
        the first callback comes 0.2-2 s after a stream opens, and what is played before is lost."""
        data = np.ascontiguousarray(samples, dtype="<f4").tobytes()
        done = subprocess.run(["pacat", "--playback", f"--device={sink}", "--raw", "--format=float32le",
                               f"--rate={rate}", "--channels=1", "--latency-msec=20"],
                              input=data, env=self._client_env(), capture_output=True,
                              timeout=30 + len(samples) / rate)
        if done.returncode != 0:
            raise RuntimeError(f"pacat failed: {done.stderr.decode(errors='replace').strip()}")

    def record(self, source: str = f"{SINK}.monitor") -> Recorder:
        """A started recorder of ``source`` (by default what is played to the virtual speaker)."""
        recorder = Recorder(source, self._client_env())
        recorder.start()
        return recorder

    def record_from_speaker(self, seconds: float, source: str = f"{SINK}.monitor") -> np.ndarray:
        """``seconds`` of what the speaker plays, 16 kHz mono float32."""
        recorder = self.record(source)
        try:
            recorder.wait_samples(int(seconds * RATE), timeout=seconds + 10)
        finally:
            recorder.stop()
        return recorder.audio()[: int(seconds * RATE)]


class Recorder:
    """Records a PulseAudio source with ``parec`` (16 kHz mono float32) on a reader thread."""

    def __init__(self, source: str, env: dict[str, str]) -> None:
        self.source, self.env = source, env
        self._data = bytearray()
        self._cond = threading.Condition()
        self._process: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start recording; returns once the first audio arrived, so nothing played after this is missed."""
        self._process = subprocess.Popen(
            ["parec", f"--device={self.source}", "--raw", "--format=float32le", f"--rate={RATE}", "--channels=1",
             "--latency-msec=20"], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._thread = threading.Thread(target=self._read, name="parec-reader", daemon=True)
        self._thread.start()
        if not self.wait_samples(1, timeout):
            self.stop()
            raise RuntimeError(f"parec delivered nothing from {self.source} within {timeout:.0f} s")

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while True:
            data = self._process.stdout.read1(65536)
            if not data:
                break
            with self._cond:
                self._data.extend(data)
                self._cond.notify_all()

    def wait_samples(self, count: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self._data) // 4 >= count, timeout)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(5)
        if self._thread is not None:
            self._thread.join(5)

    def audio(self) -> np.ndarray:
        with self._cond:
            n = len(self._data) // 4 * 4
            return np.frombuffer(bytes(self._data[:n]), dtype="<f4").astype(np.float32)


@pytest.fixture(scope="session")
def pulse():
    """The session's private PulseAudio server (see the module docstring)."""
    root = Path(tempfile.mkdtemp(prefix="assistant-pulse-"))
    server = PulseAudio(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        refresh_portaudio()
        shutil.rmtree(root, ignore_errors=True)
