"""Test set-up: real models from the offline pack, loaded once per session; nothing from a hub."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import pytest

from assistant.config import NOT_SETTINGS
from testkit.helpers import REPO
from testkit.parallel import REALTIME_FILES, RealtimeFirstScheduling, lower_priority, worker_slot

pytest_plugins = ["testkit.pulse"]  # the `pulse` fixture: a private PulseAudio with a virtual mic and speaker

# Before anything imports huggingface_hub: the tests never touch the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The converted language model is cached in the repo so repeated runs load it in seconds.
os.environ.setdefault("ASSISTANT_CACHE_DIR", str(REPO / ".cache" / "models"))
# Never read or write the developer's own settings.
os.environ["ASSISTANT_CONFIG_DIR"] = tempfile.mkdtemp(prefix="assistant-test-config-")
os.environ["ASSISTANT_DATA_DIR"] = tempfile.mkdtemp(prefix="assistant-test-data-")
# Every setting override (ASSISTANT_<SECTION>_<KEY>, any section), so a developer's own never changes a test.
for name in [k for k in os.environ if k.startswith("ASSISTANT_") and k not in NOT_SETTINGS]:
    del os.environ[name]
# The bundled small model answers alone, whether or not this machine has the 1.5B pack (llm.big_model "auto"
# would route to it): the same models as CI. Routing has tests of its own.
os.environ["ASSISTANT_LLM_BIG_MODEL"] = ""

# Test tiers: `slow` marks every test that loads a real model or opens a device (PulseAudio, an X server), by
# where it lives or by the fixtures it uses; `make test-fast` runs the rest, `make test` everything.
SLOW_FOLDERS = {"models", "integration", "e2e", "package"}
SLOW_FILES = {"ui/test_app.py", "ui/test_listening_ui.py",  # the whole desktop app on the real models
              "ui/test_settings_dialog.py::test_closing_the_dialog_during_a_download_does_not_crash"}  # joins the GGUF
SLOW_FIXTURES = {"stt", "vad", "tts", "llm", "ct2_llm", "pulse", "xdisplay"}
TESTS = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads its options
def pytest_configure(config):
    """In parallel runs (`make test`), every worker but the first runs at a lower priority: testkit/parallel.py.
    A worker that crashes (killed for memory, say) ends the run with its name and the test it was running: a
    replacement worker was once left without work by our scheduling, and the run then waited for ever."""
    lower_priority()
    if getattr(config.option, "maxworkerrestart", None) is None:
        config.option.maxworkerrestart = "0"


def pytest_runtest_setup(item):
    """... and the first one too, once its real-time tests are over."""
    lower_priority(item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Each test runs in its worker's slot; the tests that measure recorded sound have the machine to themselves
    (testkit/parallel.py)."""
    with worker_slot(item.nodeid, REPO / "build"):
        yield


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` with the real-time tests kept on the first worker (testkit/parallel.py)."""
    if config.getoption("dist") == "loadgroup":
        return RealtimeFirstScheduling(config, log)
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        where = Path(str(item.path)).relative_to(TESTS)
        test = f"{where.as_posix()}::{item.name}"
        if (where.parts[0] in SLOW_FOLDERS or where.as_posix() in SLOW_FILES or test in SLOW_FILES
                or SLOW_FIXTURES.intersection(item.fixturenames)):
            item.add_marker(pytest.mark.slow)
        if "pulse" in item.fixturenames and f"tests/{where.as_posix()}" not in REALTIME_FILES:
            raise pytest.UsageError(f"{test} uses the PulseAudio room: list its file in testkit/parallel.py's "
                                    "REALTIME_FILES, so that it runs on the worker kept for real-time tests")


@pytest.fixture(autouse=True)
def _fast_tests_load_no_model(request, monkeypatch):
    """A test outside the slow tier that reaches for a real model fails, naming itself: mark it slow."""
    if request.node.get_closest_marker("slow"):
        yield
        return
    from models import resolver

    reached = []
    before = set(threading.enumerate()) - {threading.main_thread()}

    def refuse(*args, **kwargs):
        thread = threading.current_thread()
        # A thread older than this test is an earlier test's leftover: say so rather than blame this one.
        reached.append(f"{args} from thread {thread.name!r}, left by an earlier test" if thread in before else args)
        raise AssertionError(f"{request.node.nodeid} loads a real model: mark it slow (pytest.mark.slow)")

    for name in ("resolve_stt", "resolve_vad", "resolve_tts", "resolve_llm", "resolve_vision", "resolve_wake",
                 "join_bundled_gguf"):
        monkeypatch.setattr(resolver, name, refuse)
    yield
    # also when a model thread swallowed the error above
    assert not reached, f"{request.node.nodeid} loads a real model {reached[0]}: mark it slow (pytest.mark.slow)"


# The threads the core and the app start for a model or an assistant. One left running after its tests goes on
# loading a model inside the next ones (a stage's stop() gives a load in progress 5 s, then lets it end alone).
PIPELINE_THREADS = ("listener", "listening", "build-assistant")
THREAD_LEFTOVER_WAIT_S = 300  # a model loading on a machine kept busy


def _pipeline_thread(thread: threading.Thread) -> bool:
    return thread.name.endswith("-stage") or thread.name in PIPELINE_THREADS or thread.name.startswith("settings-")


@pytest.fixture(scope="module", autouse=True)
def _no_pipeline_thread_outlives_its_module(request):
    """The threads a test file started end with it (after its module fixtures, which may build an app in the
    background): waited for here, and the file's last test fails if one never ends."""
    before = set(threading.enumerate())
    failed_before = request.session.testsfailed
    yield
    left = [t for t in threading.enumerate() if t not in before and _pipeline_thread(t)]
    if request.session.testsfailed > failed_before:
        # A test of this file failed halfway, before it stopped what it started: that failure is the one to
        # read, and waiting out threads it left idle would only add minutes and a second report.
        return
    deadline = time.monotonic() + THREAD_LEFTOVER_WAIT_S
    for thread in left:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t for t in left if t.is_alive()]
    frames = sys._current_frames()
    where = "".join(f"\n--- {t.name}\n" + "".join(traceback.format_stack(frames[t.ident])) for t in stuck
                    if t.ident in frames)
    assert not stuck, (f"{request.node.nodeid} left threads running {THREAD_LEFTOVER_WAIT_S} s after it: "
                       f"{[t.name for t in stuck]}{where}")


@pytest.fixture(scope="session")
def config():
    from assistant.config import Config

    return Config()


@pytest.fixture(scope="session")
def stt(config):
    from assistant import bootstrap

    model = bootstrap.create_stt(config)
    model.load()
    return model


@pytest.fixture(scope="session")
def vad(config):
    from assistant import bootstrap

    model = bootstrap.create_vad(config)
    model.load()
    return model


@pytest.fixture(scope="session")
def tts(config):
    from assistant import bootstrap

    model = bootstrap.create_tts(config)
    model.load()
    return model


@pytest.fixture(scope="session")
def llm(config):
    """The product's local model: the bundled one, on the CPU runtime the settings choose for it (transformers)."""
    from assistant.bootstrap import local_llm

    model = local_llm(config)
    model.load()
    return model


@pytest.fixture(scope="session")
def ct2_llm(config):
    """The bundled model on CTranslate2 (llm.runtime = ctranslate2; the runtime of the bigger GGUFs)."""
    from assistant.bootstrap import local_llm

    model = local_llm(config.replace("llm", runtime="ctranslate2"))
    model.load()
    return model


@pytest.fixture
def artifacts() -> Path:
    path = REPO / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
