"""The cloud API key: from the OS keyring, or the ASSISTANT_CLOUD_API_KEY environment variable.

Never from the settings file, and never into a log line."""

from __future__ import annotations

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
