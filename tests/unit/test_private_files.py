"""The app's folders and files are readable by the user alone, on real files and a real SQLite database."""

import os
import stat

import pytest

from assistant.config import Config, load_config, save_config, secure_app_folders
from assistant.history import HistoryStore


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def app_dirs(tmp_path, monkeypatch):
    """The app's own folders (not ones the user named), under tmp_path."""
    dirs = {name: tmp_path / name for name in ("config", "data", "cache")}
    monkeypatch.delenv("ASSISTANT_CONFIG", raising=False)
    monkeypatch.delenv("ASSISTANT_CACHE_DIR", raising=False)
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(dirs["config"]))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(dirs["data"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs["cache"]))
    monkeypatch.setattr("platformdirs.user_cache_dir", lambda name: str(dirs["cache"] / name))
    old = os.umask(0o022)  # the usual umask: without the fix, folders come out 0755 and files 0644
    yield dirs
    os.umask(old)


def test_history_database_and_its_wal_files_are_private(app_dirs):
    store = HistoryStore()  # the default path, in the data folder, which does not exist yet
    conversation = store.new_conversation()
    store.add_turn(conversation, question="my bank password?", answer="no", outcome="completed", source="text")
    db = store.path
    assert mode(db.parent) == 0o700
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        assert path.exists(), path
        assert mode(path) == 0o600, path
    store.close()


def test_a_history_left_readable_by_others_is_tightened_on_open(app_dirs):
    HistoryStore().close()
    db = app_dirs["data"] / "history.sqlite3"
    app_dirs["data"].chmod(0o755)
    db.chmod(0o644)
    store = HistoryStore()
    wal = db.with_name(db.name + "-wal")
    wal.chmod(0o644)  # as an older version left it
    store.close()
    store = HistoryStore()
    assert (mode(app_dirs["data"]), mode(db)) == (0o700, 0o600)
    assert not wal.exists() or mode(wal) == 0o600
    store.close()


def test_a_history_file_the_user_named_keeps_its_folder_mode(app_dirs, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    HistoryStore(shared / "h.sqlite3").close()
    assert mode(shared) == 0o755  # not the app's folder
    assert mode(shared / "h.sqlite3") == 0o600  # but the conversations still are private


def test_settings_file_and_folder_are_private(app_dirs):
    path = save_config(Config().replace("llm", max_new_tokens=99))
    assert path.parent == app_dirs["config"]
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)
    assert load_config(path, env={}).llm.max_new_tokens == 99
    path.chmod(0o644)
    save_config(Config(), path)  # a rewrite does not inherit the looser mode
    assert mode(path) == 0o600


def test_start_creates_private_folders_and_tightens_loose_ones(app_dirs):
    app_dirs["config"].mkdir(mode=0o755)
    app_dirs["config"].chmod(0o755)
    settings = app_dirs["config"] / "config.toml"
    settings.write_text("")
    settings.chmod(0o644)
    secure_app_folders()
    assert mode(app_dirs["config"]) == 0o700
    assert mode(settings) == 0o600
    assert mode(app_dirs["data"]) == 0o700
    assert mode(app_dirs["cache"] / "local-voice-assistant") == 0o700


def test_folders_the_user_named_are_not_changed(app_dirs, tmp_path, monkeypatch):
    mine = tmp_path / "my-models"
    mine.mkdir()
    mine.chmod(0o755)
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(mine))
    secure_app_folders()
    assert mode(mine) == 0o755
