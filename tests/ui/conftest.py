"""Widget tests run on Qt's offscreen platform: no display needed."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def shown_as_error(label) -> bool:
    """Whether a label is drawn in the theme's error colour (its style role, as the style sheet paints it)."""
    from PySide6.QtGui import QPalette

    from ui import theme

    return label.palette().color(QPalette.ColorRole.WindowText).name() == theme.current().error


@pytest.fixture(autouse=True)
def light_theme(qapp):
    """Every widget test starts in the app's light theme (a test that switches to dark leaves it behind)."""
    from ui import theme

    theme.apply(qapp, "light")
    yield


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
