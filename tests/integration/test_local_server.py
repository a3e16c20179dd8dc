"""Model servers on this machine (Ollama, LM Studio, llama.cpp's server, vLLM) are local: a real llama.cpp server
serving the bundled model answers under the "local" policy; our own server plays Ollama and the failure cases."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.contracts.errors import ConfigError, ModelError
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from assistant.pipeline.router import RoutedLLM
from models import llm_server
from models.resolver import join_bundled_gguf
from testkit.fakes import ScriptedLLM
from testkit.helpers import free_port, wait_until
from testkit.openai_server import REPLY, OpenAIServer

from .test_cloud import AUDIT  # the socket audit of the privacy tests

QUESTION = [ChatMessage(Role.SYSTEM, "Answer in one short sentence."),
            ChatMessage(Role.USER, "What is the capital of France?")]


@pytest.fixture(scope="module")
def llama_server(config):
    """llama.cpp's own OpenAI-compatible server (llama-cpp-python's), a process of its own on loopback, serving
    the bundled GGUF as it is."""
    port = free_port()
    log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"llama-server-{port}.log"), "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(join_bundled_gguf(
        config.cache_dir)), "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "1",
        "--model_alias", "qwen-0.5b"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        # Ready when it lists its model on its port; the limit only keeps a broken start from hanging the run.
        listed = lambda: bool(llm_server.find_servers(ports=(("llama.cpp server", port),)))  # noqa: E731
        wait_until(lambda: proc.poll() is not None or listed(), 600, interval=0.2)
        assert proc.poll() is None and listed(), Path(log.name).read_text()[-2000:]
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def answer(llm, messages=QUESTION):
    return "".join(llm.stream(messages, cancel=CancelToken(1)))


def test_a_real_llama_cpp_server_is_found_and_answers_as_a_local_model(llama_server):
    [found] = llm_server.find_servers(ports=(("llama.cpp server", int(llama_server.rsplit(":", 1)[1])),))
    assert found.kind == "llama.cpp server" and found.models == ("qwen-0.5b",)
    llm = llm_server.create(found.settings()[0], max_new_tokens=40, temperature=0.0, context_tokens=2048)
    llm.load()
    assert llm.ollama is False and llm.name == "local-server:qwen-0.5b" and llm.runs_locally
    assert "paris" in answer(llm).lower()


def test_the_local_policy_talks_to_the_local_server_and_nothing_else(tmp_path, llama_server):
    """The whole CLI under cloud.policy = local with llm.model on the server: every socket goes to loopback."""
    out = tmp_path / "sockets.json"
    env = {**os.environ, "AUDIT_OUT": str(out), "ASSISTANT_LLM_MODEL": f"{llama_server}/v1#qwen-0.5b"}
    proc = subprocess.run([sys.executable, "-c", AUDIT, "-q", "ask", "What is the capital of France?", "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["backend"] == "local-server:qwen-0.5b" and "paris" in result["answer"].lower()
    port = llama_server.rsplit(":", 1)[1]
    connects = [s for s in json.loads(out.read_text()) if s[0] == "socket.connect"]
    assert connects and all(f"'127.0.0.1', {port}" in s[1] for s in connects), connects


def test_an_address_off_this_machine_is_a_cloud_endpoint_and_is_refused_here():
    for setting in ("http://192.168.1.20:11434#llama3", "https://api.example.com/v1#gpt", "http://myhost:1234#m"):
        with pytest.raises(ConfigError) as err:
            llm_server.parse(setting)
        assert "cloud.base_url" in err.value.message and "cloud.policy" in err.value.message
    with pytest.raises(ConfigError) as err:
        llm_server.parse("http://127.0.0.1:11434")
    assert "#" in err.value.message  # the model's name is missing: the form is shown
    assert llm_server.parse("http://[::1]:8080/v1#m").openai_base == "http://[::1]:8080/v1"
    assert llm_server.parse("http://localhost:11434#qwen2.5:7b").model == "qwen2.5:7b"


@pytest.fixture
def ollama():
    with OpenAIServer(ollama=True, models=("qwen2.5:7b",)) as srv:
        yield srv


def ollama_llm(srv, model="qwen2.5:7b", **kw):
    return llm_server.create(f"http://127.0.0.1:{srv.port}#{model}", max_new_tokens=kw.pop("max_new_tokens", 60),
                             temperature=0.0, context_tokens=4096, first_token_timeout_s=5.0)


def test_ollama_is_spoken_to_in_its_own_api_with_the_context_set_and_the_model_kept_loaded(ollama):
    llm = ollama_llm(ollama)
    llm.load()
    assert llm.ollama is True
    preload = json.loads(next(r["body"] for r in ollama.requests if r["path"] == "/api/generate"))
    assert preload == {"model": "qwen2.5:7b", "keep_alive": llm_server.KEEP_ALIVE}  # loaded now, kept loaded
    assert answer(llm) == REPLY
    chat = ollama.last_chat
    assert chat["keep_alive"] == llm_server.KEEP_ALIVE and chat["stream"] is True
    assert chat["options"]["num_ctx"] == 4096 + 60  # not Ollama's default, which cuts long conversations


def test_an_ollama_model_that_is_not_pulled_says_which_ones_there_are(ollama):
    with pytest.raises(ModelError) as err:
        ollama_llm(ollama, model="llama3").load()
    assert err.value.code == "server-model-not-found"
    assert "ollama pull llama3" in err.value.message and "qwen2.5:7b" in err.value.message


def test_a_server_that_is_down_is_named_with_its_address_and_the_fix():
    port = free_port()
    with pytest.raises(ModelError) as err:
        llm_server.create(f"http://127.0.0.1:{port}#m", max_new_tokens=20, temperature=0.0,
                          context_tokens=2048).load()
    assert err.value.code == "server-unreachable" and f"127.0.0.1:{port}" in err.value.message
    assert "ollama serve" in err.value.message


def test_a_model_the_openai_compatible_server_does_not_have_is_named():
    with OpenAIServer(models=("other-model",)) as srv, pytest.raises(ModelError) as err:
        llm_server.create(f"http://127.0.0.1:{srv.port}/v1#test-model", max_new_tokens=20, temperature=0.0,
                          context_tokens=2048).load()
    assert err.value.code == "server-model-not-found" and "other-model" in err.value.message


def test_a_web_page_where_the_api_should_be_is_told_apart(ollama):
    llm = ollama_llm(ollama)
    llm.load()
    ollama.script = ["html"]
    with pytest.raises(ModelError) as err:
        answer(llm)
    assert err.value.code == "server-bad-response" and f"127.0.0.1:{ollama.port}/api/chat" in err.value.message


@pytest.mark.parametrize("speaks_ollama", [True, False], ids=["ollama", "openai"])
def test_a_server_that_never_ends_its_answer_is_stopped(speaks_ollama):
    with OpenAIServer(ollama=speaks_ollama, models=("m",)) as srv:
        llm = llm_server.create(f"http://127.0.0.1:{srv.port}#m", max_new_tokens=20, temperature=0.0,
                                context_tokens=2048)
        llm.load()
        srv.script = ["forever"]
        with pytest.raises(ModelError) as err:
            answer(llm)
    assert err.value.code == "server-runaway" and f"127.0.0.1:{srv.port}" in err.value.message


def test_a_server_that_fails_midway_hands_the_turn_to_the_other_model(ollama):
    big = ollama_llm(ollama)
    small = ScriptedLLM(pieces=["Fifty", "-one."], delay=0.001)
    router = RoutedLLM("local", small, None, big, "by-difficulty")
    router.load()
    ollama.script = ["500"]
    assert answer(router, [ChatMessage(Role.USER, "What is 17 times 3?")]) == "Fifty-one."
    assert router.fallbacks == [(big.name, "server-error")]
