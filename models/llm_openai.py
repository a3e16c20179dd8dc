"""A chat model behind any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, LM Studio, llama.cpp server).

Streaming, timeouts, retries with backoff on 429 and 5xx (the openai client's own), and every failure
turned into a ``CloudError`` with a stable code and a message that says what to do. The API key comes
from the caller (the OS keyring or an environment variable), never from the settings file, and is never
logged.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator, Sequence

from assistant.contracts.errors import CloudError, ConfigError
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role

log = logging.getLogger(__name__)


def map_cloud_error(exc: Exception, base_url: str, model: str) -> CloudError:
    """One place that turns the openai client's exceptions into codes and actionable messages."""
    import openai

    where = f"the cloud endpoint {base_url}"
    if isinstance(exc, openai.AuthenticationError):
        return CloudError("cloud-auth", f"{where} refused the API key (401). Set a valid key in the settings "
                          "(stored in the OS keyring) or in ASSISTANT_CLOUD_API_KEY.")
    if isinstance(exc, openai.PermissionDeniedError):
        return CloudError("cloud-forbidden", f"{where} says this key may not use model '{model}' (403).")
    if isinstance(exc, openai.NotFoundError):
        return CloudError("cloud-model-not-found", f"{where} has no model '{model}' (404): check cloud.model "
                          "and cloud.base_url (it usually ends in /v1).")
    if isinstance(exc, openai.RateLimitError):
        return CloudError("cloud-rate-limited", f"{where} is rate-limiting or out of quota (429) after retries; "
                          "wait a minute or check the account's quota.")
    if isinstance(exc, openai.APITimeoutError):
        return CloudError("cloud-timeout", f"{where} did not answer in time; it may be overloaded or unreachable.")
    if isinstance(exc, openai.APIConnectionError):
        return CloudError("cloud-unreachable", f"cannot reach {where}: check the network and cloud.base_url.")
    if isinstance(exc, openai.InternalServerError):
        return CloudError("cloud-server-error", f"{where} failed ({getattr(exc, 'status_code', '5xx')}) after "
                          "retries; try again later.")
    if isinstance(exc, openai.BadRequestError):
        return CloudError("cloud-bad-request", f"{where} rejected the request (400): {exc.message}")
    if isinstance(exc, openai.APIStatusError):
        return CloudError("cloud-error", f"{where} answered HTTP {exc.status_code}: {exc.message}")
    return CloudError("cloud-error", f"the cloud model failed: {type(exc).__name__}: {exc}")


def make_client(base_url: str, api_key: str | None, timeout_s: float, first_token_timeout_s: float,
                max_retries: int):
    """An ``openai.OpenAI`` client: the first byte must come within ``first_token_timeout_s``."""
    try:
        import openai
    except ImportError as exc:
        raise ConfigError("cloud-missing-dependency", "the cloud model needs the 'openai' package "
                          "(pip install openai).") from exc
    timeout = openai.Timeout(timeout_s, read=first_token_timeout_s, connect=min(10.0, timeout_s))
    return openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout,
                         max_retries=max_retries)


def _message_payload(message: ChatMessage) -> dict:
    """A chat message in the API's form; images go inline as PNG data URLs (the OpenAI image-input format)."""
    if not message.images:
        return message.as_dict()
    parts: list[dict] = [{"type": "text", "text": message.content}]
    for image in message.images:
        data = base64.b64encode(image.encode("PNG")).decode("ascii")
        parts.append({"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}})
    return {"role": message.role.value, "content": parts}


class OpenAICompatibleLLM:
    """Streams replies from ``/chat/completions`` with ``stream=True``."""

    supports_images = True
    device = "cloud"
    runs_locally = False  # a reply written ahead would be sent out, and paid for, before it is asked for
    quantized = False
    static_cache = False
    parameters = None  # unknown

    def __init__(self, *, base_url: str, model: str, api_key: str | None, timeout_s: float = 30.0,
                 first_token_timeout_s: float = 15.0, max_retries: int = 2, max_tokens: int = 400,
                 temperature: float = 0.3) -> None:
        self.base_url, self.model = base_url.rstrip("/"), model
        self.name = f"cloud:{model}"
        self.last_backend = self.name
        self._api_key = api_key
        self.timeout_s, self.first_token_timeout_s = timeout_s, first_token_timeout_s
        self.max_retries, self.max_tokens, self.temperature = max_retries, max_tokens, temperature
        self._client = None

    def __repr__(self) -> str:  # never show the key
        return f"OpenAICompatibleLLM(base_url={self.base_url!r}, model={self.model!r})"

    def load(self, progress: ProgressCallback | None = None) -> None:
        if self._client is None:
            self._client = make_client(self.base_url, self._api_key, self.timeout_s, self.first_token_timeout_s,
                                       self.max_retries)

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return sum(len(m.content) for m in messages) // 4 + 4 * len(messages)  # the server's tokenizer is unknown

    def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Nothing to do: the server keeps no prompt for a request not yet made."""

    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken) -> Iterator[str]:
        self.load()
        import openai

        payload = [_message_payload(m) for m in messages]
        if messages and messages[-1].role == Role.ASSISTANT:  # continue a reply another backend began
            payload.append({"role": "user", "content": "Continue your answer exactly where it stops, without "
                            "repeating any of it."})
        try:
            response = self._client.chat.completions.create(  # type: ignore[union-attr]
                model=self.model, messages=payload, stream=True,
                max_tokens=self.max_tokens, temperature=self.temperature,
            )
            finished = False
            with response:
                for chunk in response:
                    if cancel.cancelled:
                        return
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
                    if chunk.choices and chunk.choices[0].finish_reason:
                        finished = True
            if not finished:  # the connection closed before the server said the answer was complete
                raise CloudError("cloud-stream-broken", f"the answer from {self.base_url} broke off mid-way.")
        except CloudError:
            raise
        except openai.OpenAIError as exc:
            raise map_cloud_error(exc, self.base_url, self.model) from exc
        except Exception as exc:  # a broken stream surfaces from httpx as a plain exception
            raise CloudError("cloud-stream-broken", f"the answer from {self.base_url} broke off: {exc}") from exc
