"""A chat model served by a program on this machine: Ollama, LM Studio, llama.cpp's server, vLLM.

Such a server is local: it may answer under the "local" policy, and its turns are labelled ``local-server:<model>``.
The setting is the server's address and the model's name, ``http://127.0.0.1:11434#qwen2.5:7b`` (``llm.model`` or
``llm.big_model``); an address that is not this machine's (loopback) is refused here, since a remote endpoint is a
cloud model and needs the user's consent (``cloud.policy``).

Ollama is spoken to in its own API (/api/chat): only there can the context length be set (its default silently
cuts long conversations) and the model be kept loaded between questions (``keep_alive``; else the first question
after five idle minutes waits for a reload). Every other server is spoken to through its OpenAI-compatible API.
``find_servers()`` lists the servers running on their default ports and their models, for the settings.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from assistant.contracts.errors import CloudError, ConfigError, ModelError
from assistant.contracts.messages import Message
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from models.llm_openai import OpenAICompatibleLLM

log = logging.getLogger(__name__)

KEEP_ALIVE = "30m"  # how long Ollama keeps the model loaded after each question
DEFAULT_PORTS = (("Ollama", 11434), ("LM Studio", 1234), ("llama.cpp server", 8080), ("vLLM", 8000))
_SERVER_CODES = {"cloud-unreachable": "server-unreachable", "cloud-model-not-found": "server-model-not-found",
                 "cloud-timeout": "server-timeout", "cloud-stream-broken": "server-stream-broken",
                 "cloud-bad-request": "server-error", "cloud-server-error": "server-error"}
_PROBE_S = 0.5  # a server on a default port answers its listing in milliseconds; nothing there refuses at once


def is_server_setting(setting: str) -> bool:
    return setting.startswith(("http://", "https://"))


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine. No name is looked up: a name other than localhost may point anywhere."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServerSetting:
    url: str  # the server's root, e.g. http://127.0.0.1:11434
    path: str  # the OpenAI-compatible API's path given in the setting ("" when none: /v1 is used)
    model: str

    @property
    def openai_base(self) -> str:
        return self.url + (self.path or "/v1")


def parse(setting: str, key: str = "llm.model") -> ServerSetting:
    """``<url>#<model>`` on a loopback address; anything else is a ConfigError that says what to write."""
    url, _, model = setting.partition("#")
    parts = urlsplit(url)
    if not parts.hostname or not model.strip():
        raise ConfigError("config-invalid", f"{key} '{setting}' names a server but not its model: write "
                          "http://127.0.0.1:11434#qwen2.5:7b (the server's address, #, the model's name).")
    if not is_loopback(parts.hostname):
        raise ConfigError("config-invalid", f"{key} '{setting}' is not on this machine ({parts.hostname}): a "
                          "remote endpoint is a cloud model. Set it as cloud.base_url and cloud.model, with "
                          "cloud.policy auto or cloud.")
    root = f"{parts.scheme}://{parts.netloc}"
    return ServerSetting(root, parts.path.rstrip("/"), model.strip())


# Straight to the server: a proxy set for the web must not stand between this machine and itself.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class HttpStatusError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status


def _open(url: str, timeout: float, body: dict | None = None):
    """The response to GET ``url`` (POST ``body`` as JSON); HttpStatusError for a 4xx or 5xx."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        return _DIRECT.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise HttpStatusError(exc.code, exc.read().decode(errors="replace")) from exc


def _get_json(url: str, timeout: float, body: dict | None = None):
    with _open(url, timeout, body) as response:
        return json.loads(response.read())


def is_ollama(root: str, timeout: float = _PROBE_S) -> bool:
    try:
        return "version" in _get_json(f"{root}/api/version", timeout)
    except Exception:
        return False


@dataclass(frozen=True)
class FoundServer:
    kind: str  # "Ollama", "LM Studio", ...
    url: str
    models: tuple[str, ...]

    def settings(self) -> list[str]:
        """The llm.model value for each of its models."""
        return [f"{self.url}#{m}" for m in self.models]


def find_servers(host: str = "127.0.0.1", ports=None, timeout: float = _PROBE_S) -> list[FoundServer]:
    """The chat servers running on this machine's default ports (or ``ports``: (kind, port) pairs), with their
    models."""
    found = []
    for kind, port in ports or DEFAULT_PORTS:
        root = f"http://{host}:{port}"
        try:
            if kind == "Ollama":
                models = [m["name"] for m in _get_json(f"{root}/api/tags", timeout).get("models", [])]
            else:
                models = [m["id"] for m in _get_json(f"{root}/v1/models", timeout).get("data", [])]
        except Exception:  # nothing there, or not this kind of server
            continue
        found.append(FoundServer(kind, root, tuple(models)))
    return found


def create(setting: str, *, max_new_tokens: int, temperature: float, context_tokens: int, timeout_s: float = 30.0,
           first_token_timeout_s: float = 60.0, key: str = "llm.model"):
    """The backend for a local server setting: Ollama's own API when the server is Ollama (asked at load)."""
    return LocalServerLLM(parse(setting, key), max_new_tokens=max_new_tokens, temperature=temperature,
                          context_tokens=context_tokens, timeout_s=timeout_s,
                          first_token_timeout_s=first_token_timeout_s)


class LocalServerLLM:
    """A chat model behind a server on this machine: Ollama's API, or any OpenAI-compatible one."""

    supports_images = False
    runs_locally = True  # a reply written ahead costs only this machine's time
    quantized = False
    static_cache = False
    parameters = None  # unknown
    runtime = "server"
    device = "local server"

    def __init__(self, server: ServerSetting, *, max_new_tokens: int = 160, temperature: float = 0.0,
                 context_tokens: int = 2048, timeout_s: float = 30.0, first_token_timeout_s: float = 60.0) -> None:
        self.server = server
        self.name = f"local-server:{server.model}"
        self.last_backend = self.name
        self.max_new_tokens, self.temperature, self.context_tokens = max_new_tokens, temperature, context_tokens
        self.timeout_s, self.first_token_timeout_s = timeout_s, first_token_timeout_s
        self.ollama: bool | None = None  # known once loaded
        self._openai: OpenAICompatibleLLM | None = None

    def load(self, progress: ProgressCallback | None = None) -> None:
        if self.ollama is not None:
            return
        if progress:
            progress(Message("connecting to the local server at {url}", url=self.server.url), None)
        self.ollama = is_ollama(self.server.url, timeout=min(5.0, self.timeout_s))
        if self.ollama:
            self._ollama_check_and_warm()
        else:
            self._openai = OpenAICompatibleLLM(base_url=self.server.openai_base, model=self.server.model,
                                               api_key=None, timeout_s=self.timeout_s,
                                               first_token_timeout_s=self.first_token_timeout_s, max_retries=1,
                                               max_tokens=self.max_new_tokens, temperature=self.temperature)
            self._openai.load()
            self._openai_check()

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return sum(len(m.content) for m in messages) // 4 + 4 * len(messages)  # the server's tokenizer is unknown

    def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Nothing to do: a server keeps no prompt for a request not yet made."""

    # --- checks, with the fix in each message ------------------------------------------------------------------

    def _unreachable(self, exc: Exception) -> ModelError:
        return ModelError("server-unreachable", f"the local server at {self.server.url} does not answer ({exc}). "
                          "Start it (for Ollama: ollama serve; LM Studio: its local server tab), or change llm.model.")

    def _missing_model(self, available: list[str]) -> ModelError:
        listed = ", ".join(available[:8]) or "none"
        pull = f" (ollama pull {self.server.model})" if self.ollama else ""
        return ModelError("server-model-not-found", f"the local server at {self.server.url} has no model "
                          f"'{self.server.model}'{pull}; it has: {listed}. Fix the name after # in llm.model.")

    def _openai_check(self) -> None:
        try:
            listing = _get_json(f"{self.server.openai_base}/models", min(5.0, self.timeout_s))
        except Exception as exc:
            if isinstance(exc, HttpStatusError) and exc.status == 404:
                return  # a server without the listing: the first question will tell
            if isinstance(exc, (HttpStatusError, ValueError)):
                raise ModelError("server-bad-response", f"{self.server.openai_base}/models did not answer as an "
                                 f"OpenAI-compatible server does ({exc}). Check the address in llm.model: LM Studio, "
                                 "llama.cpp and vLLM serve it under /v1.") from exc
            raise self._unreachable(exc) from exc
        models = [m.get("id", "") for m in listing.get("data", [])] if isinstance(listing, dict) else []
        if models and self.server.model not in models:
            raise self._missing_model(models)

    def _ollama_check_and_warm(self) -> None:
        try:
            models = [m["name"] for m in _get_json(f"{self.server.url}/api/tags", min(5.0, self.timeout_s))
                      .get("models", [])]
        except Exception as exc:
            raise self._unreachable(exc) from exc
        if self.server.model not in models and f"{self.server.model}:latest" not in models:
            raise self._missing_model(models)
        try:  # load it now and keep it loaded: a request with no prompt only loads the model
            _get_json(f"{self.server.url}/api/generate", max(self.timeout_s, 120.0),
                      {"model": self.server.model, "keep_alive": KEEP_ALIVE})
        except Exception as exc:
            log.warning("Ollama did not preload %s: %s", self.server.model, exc)

    # --- answers ---------------------------------------------------------------------------------------------

    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken) -> Iterator[str]:
        self.load()
        produced = 0
        limit = self.max_new_tokens * 12  # characters: a server that streams on past its token limit is broken
        source = self._ollama_stream(messages, cancel) if self.ollama else self._openai_stream(messages, cancel)
        try:
            for piece in source:
                produced += len(piece)
                if produced > limit:
                    raise ModelError("server-runaway", f"the local server at {self.server.url} kept streaming past "
                                     f"{self.max_new_tokens} tokens for one answer; it was stopped. Check the "
                                     "server's settings or choose another model.")
                yield piece
        finally:
            close = getattr(source, "close", None)
            if close:
                close()

    def _openai_stream(self, messages: Sequence[ChatMessage], cancel: CancelToken) -> Iterator[str]:
        """The OpenAI-compatible client's stream, its errors told as this server's (not a cloud endpoint's)."""
        try:
            yield from self._openai.stream(messages, cancel=cancel)  # type: ignore[union-attr]
        except CloudError as exc:
            code = _SERVER_CODES.get(exc.code, "server-error")
            raise ModelError(code, exc.message.replace("the cloud endpoint", "the local server").replace(
                "cloud.model and cloud.base_url", "the model after # in llm.model and the address before it")
                + ("" if code != "server-unreachable" else " Start the server, or change llm.model.")) from exc

    def _ollama_stream(self, messages: Sequence[ChatMessage], cancel: CancelToken) -> Iterator[str]:
        payload = [m.as_dict() for m in messages]
        if messages and messages[-1].role == Role.ASSISTANT:  # continue a reply another backend began
            payload.append({"role": "user", "content": "Continue your answer exactly where it stops, without "
                            "repeating any of it."})
        body = {"model": self.server.model, "messages": payload, "stream": True, "keep_alive": KEEP_ALIVE,
                # The context is set, not left to Ollama's default (2048 or 4096 tokens), which drops the start
                # of a longer conversation without a word.
                "options": {"num_ctx": self.context_tokens + self.max_new_tokens,
                            "num_predict": self.max_new_tokens, "temperature": self.temperature}}
        url = f"{self.server.url}/api/chat"
        try:
            # The timeout holds for every read: no line within it, and the server is taken to have stalled.
            with _open(url, self.first_token_timeout_s, body) as response:
                done = False
                for line in response:
                    if cancel.cancelled:
                        return
                    if not line.strip():
                        continue
                    try:
                        chunk = json.loads(line)
                    except ValueError as exc:
                        raise ModelError("server-bad-response", f"{url} answered something other than Ollama's "
                                         f"stream ({line[:80]!r}). Is another program on that port? Check llm.model."
                                         ) from exc
                    if chunk.get("error"):
                        raise ModelError("server-error", f"the local server at {self.server.url} failed: "
                                         f"{chunk['error']}")
                    text = (chunk.get("message") or {}).get("content", "")
                    if text:
                        yield text
                    if chunk.get("done"):
                        done = True
                        break
                if not done:
                    raise ModelError("server-stream-broken", f"the answer from {url} broke off mid-way.")
        except ModelError:
            raise
        except HttpStatusError as exc:
            if exc.status == 404:
                raise self._missing_model([]) from exc
            raise ModelError("server-error", f"the local server at {self.server.url} answered {exc}") from exc
        except TimeoutError as exc:
            raise ModelError("server-timeout", f"the local server at {self.server.url} did not answer within "
                             f"{self.first_token_timeout_s:.0f} s; it may still be loading the model.") from exc
        except OSError as exc:  # refused, reset: the server is gone
            raise self._unreachable(exc) from exc


def describe(setting: str) -> dict:
    """The inventory row's facts for a server setting (asked of the server, without loading anything)."""
    server = parse(setting)
    kind = "Ollama" if is_ollama(server.url) else "OpenAI-compatible server"
    return {"detail": f"{kind} at {server.url}, model {server.model}", "place": server.url}
