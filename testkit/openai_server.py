"""A small OpenAI-compatible HTTP server on loopback for the cloud tests.

It speaks the real wire protocol (JSON, server-sent events for streaming, OpenAI-shaped errors), so the
official ``openai`` client talks to it exactly as to a real endpoint. Each request takes the next
behaviour from ``script`` (then "ok"): "ok", "401", "429", "500", "slow" (first token after
``slow_s``), "break" (the connection dies after a few tokens), "forever" (streams and never ends),
"html" (a web page answers instead of the API).

With ``ollama=True`` it also speaks Ollama's own API as Ollama does (/api/version, /api/tags, /api/generate,
and /api/chat streaming one JSON object per line), for the failure cases of a local server; the tests of a real
one run llama.cpp's server.
"""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

REPLY = "The capital of France is Paris. It is known for the Eiffel Tower and fine food."


class OpenAIServer:
    """The server: chat completions and speech on loopback, each request behaving as ``script`` says."""

    def __init__(self, reply: str = REPLY, ollama: bool = False, models: tuple[str, ...] = ("test-model",)) -> None:
        self.reply = reply
        self.ollama, self.models = ollama, models
        self.script: list[str] = []
        self.requests: list[dict] = []
        self.slow_s = 3.0
        self.transcript = "what is the capital of france"
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append({"path": self.path, "auth": "", "body": b""})
                if self.path == "/v1/models":
                    return self._json({"object": "list", "data": [{"id": m, "object": "model"} for m in
                                                                  server.models]})
                if server.ollama and self.path == "/api/version":
                    return self._json({"version": "0.9.0"})
                if server.ollama and self.path == "/api/tags":
                    return self._json({"models": [{"name": m} for m in server.models]})
                return self._error(404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                server.requests.append({"path": self.path, "auth": self.headers.get("Authorization", ""),
                                        "body": body})
                behaviour = server.script.pop(0) if server.script else "ok"
                if behaviour in ("401", "429", "500"):
                    return self._error(int(behaviour))
                if behaviour == "html":
                    return self._page()
                if server.ollama and self.path == "/api/generate":
                    return self._json({"model": json.loads(body)["model"], "response": "", "done": True})
                if server.ollama and self.path == "/api/chat":
                    return self._ollama_chat(json.loads(body), behaviour)
                if self.path.endswith("/chat/completions"):
                    return self._chat(json.loads(body), behaviour)
                if self.path.endswith("/audio/transcriptions"):
                    return self._json({"text": server.transcript})
                if self.path.endswith("/audio/speech"):
                    return self._speech(json.loads(body))
                return self._error(404)

            def _error(self, status):
                messages = {401: "Incorrect API key provided.", 429: "Rate limit reached.", 500: "Server error.",
                            404: "Not found."}
                data = json.dumps({"error": {"message": messages[status], "type": "test", "code": status}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

            def _page(self):
                data = b"<html><body>It works!</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _ollama_chat(self, request, behaviour):
                server.last_chat = request
                if request["model"] not in server.models:
                    data = json.dumps({"error": f"model '{request['model']}' not found"}).encode()
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Connection", "close")
                self.end_headers()
                words = server.reply.split(" ")
                i = 0
                try:
                    while i < len(words) or behaviour == "forever":
                        word = words[i % len(words)]
                        line = {"model": request["model"], "message": {"role": "assistant",
                                                                        "content": (" " if i else "") + word},
                                "done": False}
                        self.wfile.write((json.dumps(line) + "\n").encode())
                        self.wfile.flush()
                        i += 1
                        time.sleep(0.005)
                    self.wfile.write((json.dumps({"model": request["model"], "message": {"role": "assistant",
                                      "content": ""}, "done": True}) + "\n").encode())
                    self.wfile.flush()
                except OSError:
                    pass  # the client stopped reading

            def _json(self, obj):
                data = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _speech(self, request):
                import soundfile as sf

                words = len(request.get("input", "").split())
                t = np.arange(int(24000 * 0.2 * max(1, words))) / 24000
                buf = io.BytesIO()
                sf.write(buf, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 24000, format="WAV",
                         subtype="PCM_16")
                data = buf.getvalue()
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _chat(self, request, behaviour):
                server.last_chat = request
                if not request.get("stream"):
                    return self._json({"id": "x", "object": "chat.completion", "created": 0, "model": request["model"],
                                       "choices": [{"index": 0, "finish_reason": "stop",
                                                    "message": {"role": "assistant", "content": server.reply}}]})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                if behaviour == "slow":
                    time.sleep(server.slow_s)
                words = server.reply.split(" ")
                if behaviour == "forever":
                    words = words * 10_000  # a server that never says the answer is complete
                for i, word in enumerate(words):
                    if behaviour == "break" and i == 4:
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(2)  # the server dies mid-answer
                        return
                    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": request["model"],
                             "choices": [{"index": 0, "delta": {"content": (" " if i else "") + word},
                                          "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.01)
                end = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": request["model"],
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(end)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that hung up (the tests cut connections on purpose)

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def chat_requests(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if r["path"].endswith("/chat/completions")]
