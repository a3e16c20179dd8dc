"""Widget tests run on Qt's offscreen platform: no display needed."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    """A real keyring backend writing into tmp_path (never the developer's keyring; the settings dialog asks it for
    the cloud key)."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    from assistant import secrets

    previous = keyring.get_keyring()
    ring = PlaintextKeyring()
    ring.file_path = str(tmp_path / "keyring.cfg")
    keyring.set_keyring(ring)
    monkeypatch.delenv(secrets.ENV_KEY, raising=False)
    yield ring
    keyring.set_keyring(previous)
