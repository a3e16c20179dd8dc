"""Test set-up: real models from the offline pack, loaded once per session; nothing from a hub."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from testkit.helpers import REPO

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
for name in [k for k in os.environ if k.startswith(("ASSISTANT_STT_", "ASSISTANT_LLM_", "ASSISTANT_TTS_",
                                                     "ASSISTANT_VAD_", "ASSISTANT_MODELS_", "ASSISTANT_AUDIO_",
                                                     "ASSISTANT_UI_", "ASSISTANT_PRIVACY_",
                                                     "ASSISTANT_SCREEN_", "ASSISTANT_CLOUD_"))]:
    del os.environ[name]


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
    from assistant.bootstrap import local_llm

    model = local_llm(config)
    model.load()
    return model


@pytest.fixture
def artifacts() -> Path:
    path = REPO / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
