"""The cloud API key: from the OS keyring, or the ASSISTANT_CLOUD_API_KEY environment variable.

Never from the settings file, and never into a log line."""

from __future__ import annotations

import contextlib
import logging
import os

from assistant.config import APP_NAME

log = logging.getLogger(__name__)

ENV_KEY = "ASSISTANT_CLOUD_API_KEY"
KEYRING_USER = "cloud-api-key"


def cloud_api_key() -> str | None:
    if key := os.environ.get(ENV_KEY):
        return key
    try:
        import keyring

        return keyring.get_password(APP_NAME, KEYRING_USER)
    except Exception as exc:  # no keyring backend on this machine (headless Linux, CI)
        log.info("no OS keyring available (%s); set %s instead", type(exc).__name__, ENV_KEY)
        return None


def store_cloud_api_key(key: str) -> None:
    """Save the key in the OS keyring (raises if no keyring backend is available)."""
    import keyring

    keyring.set_password(APP_NAME, KEYRING_USER, key)


def has_stored_cloud_api_key() -> bool:
    """Whether the OS keyring holds a key (False when there is no keyring). The key itself is not returned."""
    try:
        import keyring

        return keyring.get_password(APP_NAME, KEYRING_USER) is not None
    except Exception as exc:
        log.info("cannot read the OS keyring (%s)", type(exc).__name__)
        return False


def delete_cloud_api_key() -> None:
    """Remove the key from the OS keyring; a missing key is not an error (raises if no keyring is available)."""
    import keyring
    from keyring.errors import PasswordDeleteError

    with contextlib.suppress(PasswordDeleteError):  # nothing was stored
        keyring.delete_password(APP_NAME, KEYRING_USER)


def keyring_problem() -> str | None:
    """Why the OS keyring cannot hold the key on this machine, or None when it can."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as exc:
        return f"the keyring cannot be loaded ({type(exc).__name__}: {exc})"
    if isinstance(backend, fail.Keyring):
        return "no keyring backend is available on this machine (no Secret Service, KWallet or macOS Keychain)"
    return None
