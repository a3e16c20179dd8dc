"""The cloud path against a real OpenAI-compatible HTTP server on loopback, with the real local model
as the other side of every fallback."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from assistant.bus import EventBus
from assistant.config import Config, build_config
from assistant.contracts.errors import CloudError, ConfigError
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import Utterance
from assistant.pipeline.conversation import Conversation
from assistant.pipeline.router import RoutedLLM
from audio.files import read_audio
from models.llm_openai import OpenAICompatibleLLM
from testkit.helpers import SAMPLE_QUESTION
from testkit.openai_server import REPLY, OpenAIServer


@pytest.fixture
def server():
    with OpenAIServer() as srv:
        yield srv


def cloud_llm(server, **kw):
    return OpenAICompatibleLLM(base_url=server.base_url, model="test-model", api_key="sk-test-secret",
                               first_token_timeout_s=kw.pop("first_token_timeout_s", 2.0), **kw)


def messages(llm, question="What is the capital of France?"):
    return Conversation(Config().llm.system_prompt, 2048, 160).messages_for(question, llm.count_tokens)


def answer(router, question="What is the capital of France?"):
    return "".join(router.stream(messages(router, question), cancel=CancelToken(1)))


def test_cloud_policy_streams_from_the_endpoint(server, llm):
    router = RoutedLLM("cloud", llm, cloud_llm(server))
    pieces = list(router.stream(messages(router), cancel=CancelToken(1)))
    assert "".join(pieces) == REPLY and len(pieces) > 5
    assert router.last_backend == "cloud:test-model" and router.fallbacks == []
    sent = server.chat_requests()[0]
    assert sent["stream"] is True and sent["messages"][-1]["content"] == "What is the capital of France?"
    assert server.requests[0]["auth"] == "Bearer sk-test-secret"


def test_a_stream_that_breaks_midway_is_completed_locally_without_repeating(server, llm):
    server.script = ["break"]
    router = RoutedLLM("cloud", llm, cloud_llm(server))
    text = answer(router)
    assert text.startswith("The capital of France")  # what the cloud said before it died
    rest = text[len("The capital of France"):]
    assert "paris" in rest.lower() and "The capital of France" not in rest  # the local model went on
    assert router.last_backend.startswith("local:") and router.fallbacks == [("cloud:test-model",
                                                                              "cloud-stream-broken")]


def test_a_wrong_key_is_a_clear_error(server):
    server.script = ["401"]
    with pytest.raises(CloudError) as err:
        answer(RoutedLLM("cloud", None, cloud_llm(server)))
    assert err.value.code == "cloud-auth" and "401" in err.value.message and "key" in err.value.message
    assert "sk-test-secret" not in err.value.message


def test_a_wrong_key_falls_back_to_the_local_model(server, llm):
    server.script = ["401"]
    router = RoutedLLM("cloud", llm, cloud_llm(server))
    assert "paris" in answer(router).lower()
    assert router.fallbacks == [("cloud:test-model", "cloud-auth")] and router.last_backend.startswith("local:")


def test_rate_limited_then_served(server):
    server.script = ["429"]
    router = RoutedLLM("cloud", None, cloud_llm(server))
    assert answer(router) == REPLY
    assert len(server.chat_requests()) == 2  # retried after the 429


def test_a_server_error_that_persists_gives_up_after_the_retries(server):
    server.script = ["500"] * 5
    with pytest.raises(CloudError) as err:
        answer(RoutedLLM("cloud", None, cloud_llm(server, max_retries=2)))
    assert err.value.code == "cloud-server-error" and len(server.chat_requests()) == 3


def test_a_slow_first_token_times_out_and_the_local_model_answers(server, llm):
    server.script = ["slow"]
    server.slow_s = 3.0
    router = RoutedLLM("cloud", llm, cloud_llm(server, first_token_timeout_s=1.0, max_retries=0))
    assert "paris" in answer(router).lower()
    assert router.fallbacks == [("cloud:test-model", "cloud-timeout")]


def test_auto_policy_answers_locally_and_never_calls_the_cloud_when_local_works(server, llm):
    router = RoutedLLM("auto", llm, cloud_llm(server))
    assert "paris" in answer(router).lower() and server.requests == []


def test_auto_policy_uses_the_cloud_when_there_is_no_local_model(server):
    router = RoutedLLM("auto", None, cloud_llm(server))
    assert answer(router) == REPLY and router.last_backend == "cloud:test-model"


def test_the_unreachable_endpoint_is_named():
    dead = OpenAICompatibleLLM(base_url="http://127.0.0.1:9/v1", model="m", api_key=None, max_retries=0)
    with pytest.raises(CloudError) as err:
        answer(RoutedLLM("cloud", None, dead))
    assert err.value.code == "cloud-unreachable" and "127.0.0.1:9" in err.value.message


def test_cloud_settings_are_checked():
    with pytest.raises(ConfigError, match=r"cloud\.base_url must be an http"):
        build_config({"cloud": {"policy": "auto", "model": "gpt-4o-mini"}})
    with pytest.raises(ConfigError, match=r"cloud\.policy must be one of local, auto, cloud"):
        build_config({"cloud": {"policy": "sometimes"}})
    with pytest.raises(ValueError):
        RoutedLLM("local", None, object())  # the local policy cannot even hold a cloud model


# --- privacy: every socket the process opens, audited -------------------------------------------------

AUDIT = textwrap.dedent("""
    import json, os, sys
    opened = []
    def hook(event, args):
        if event in ("socket.connect", "socket.sendto", "socket.getaddrinfo"):
            opened.append([event, repr(args[1] if event != "socket.getaddrinfo" else args[:2])])
    sys.addaudithook(hook)
    from assistant.cli import main
    code = main(sys.argv[1:])
    with open(os.environ["AUDIT_OUT"], "w") as f:
        json.dump(opened, f)
    sys.exit(code)
""")


def audited(tmp_path, *args, env=None):
    out = tmp_path / "sockets.json"
    full_env = {**os.environ, "AUDIT_OUT": str(out), **(env or {})}
    proc = subprocess.run([sys.executable, "-c", AUDIT, "-q", *args], capture_output=True, text=True, env=full_env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text()), proc


@pytest.mark.parametrize("command", [["ask", "What is the capital of France?", "--json"],
                                     ["voice", "--in", str(SAMPLE_QUESTION), "--json"]], ids=["ask", "voice"])
def test_local_policy_opens_no_socket_at_all(tmp_path, server, command):
    # A cloud endpoint is configured and reachable, and still nothing may connect anywhere.
    env = {"ASSISTANT_CLOUD_BASE_URL": server.base_url, "ASSISTANT_CLOUD_MODEL": "test-model",
           "ASSISTANT_CLOUD_API_KEY": "sk-test"}
    sockets, proc = audited(tmp_path, *command, env=env)
    assert sockets == [], sockets
    assert server.requests == []
    assert json.loads(proc.stdout)["backend"].startswith("local:")


def test_cloud_policy_connects_to_the_endpoint_only(tmp_path, server):
    env = {"ASSISTANT_CLOUD_POLICY": "cloud", "ASSISTANT_CLOUD_BASE_URL": server.base_url,
           "ASSISTANT_CLOUD_MODEL": "test-model", "ASSISTANT_CLOUD_API_KEY": "sk-test"}
    sockets, proc = audited(tmp_path, "ask", "What is the capital of France?", "--json", env=env)
    result = json.loads(proc.stdout)
    assert result["answer"] == REPLY and result["backend"] == "cloud:test-model"
    connects = [s for s in sockets if s[0] == "socket.connect"]
    assert connects and all(f"'127.0.0.1', {server.port}" in s[1] for s in connects), sockets
    assert "sk-test" not in proc.stderr


# --- optional cloud speech ------------------------------------------------------------------------------


def test_cloud_speech_listens_answers_and_speaks_through_the_endpoint(tmp_path, server):
    env = {"ASSISTANT_CLOUD_POLICY": "cloud", "ASSISTANT_CLOUD_SPEECH": "true",
           "ASSISTANT_CLOUD_BASE_URL": server.base_url, "ASSISTANT_CLOUD_MODEL": "test-model",
           "ASSISTANT_CLOUD_API_KEY": "sk-test"}
    out = tmp_path / "reply.wav"
    proc = subprocess.run([sys.executable, "-m", "assistant", "-q", "voice", "--in", str(SAMPLE_QUESTION), "--out",
                           str(out), "--json"], capture_output=True, text=True, env={**os.environ, **env}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["transcript"] == server.transcript and result["reply"] == REPLY
    paths = [r["path"] for r in server.requests]
    assert "/v1/audio/transcriptions" in paths and "/v1/chat/completions" in paths and "/v1/audio/speech" in paths
    import soundfile as sf

    assert sf.info(out).samplerate == 24000 and sf.info(out).duration > 1.0


def test_cloud_speech_failures_fall_back_to_the_local_models(server, stt, tts):
    from assistant.pipeline.router import RoutedSTT, RoutedTTS
    from models.speech_openai import OpenAICompatibleSTT, OpenAICompatibleTTS

    server.script = ["401", "401"]
    common = {"base_url": server.base_url, "api_key": "bad", "max_retries": 0}
    routed_stt = RoutedSTT("cloud", stt, OpenAICompatibleSTT(model="whisper-1", **common))
    assert "capital" in routed_stt.transcribe(read_audio(SAMPLE_QUESTION)).text.lower()
    assert routed_stt.last_backend == stt.name
    routed_tts = RoutedTTS("cloud", tts, OpenAICompatibleTTS(model="tts-1", **common))
    audio = list(routed_tts.synthesize("Hello there.", cancel=CancelToken(1)))
    assert audio and routed_tts.sample_rate == tts.sample_rate


def test_a_cloud_transcript_says_no_language_and_the_stage_reads_it_off_the_words(server):
    from assistant.pipeline.stt import SttStage
    from assistant.pipeline.turns import TurnTracker
    from models.speech_openai import OpenAICompatibleSTT
    from testkit.stages import run_stage

    server.transcript = "廣州市的房地產怎麼樣"  # the endpoint answers in traditional characters
    stt = OpenAICompatibleSTT(model="whisper-1", base_url=server.base_url, api_key="sk-test", max_retries=0)
    assert stt.transcribe(read_audio(SAMPLE_QUESTION)).language == ""  # its plain response names none
    bus = EventBus()
    tracker = TurnTracker(bus)
    turn = tracker.begin(time.monotonic()).turn_id
    run = run_stage(lambda bus, out: SttStage(bus, stt, tracker, out),
                    [Utterance(turn, read_audio(SAMPLE_QUESTION), 0.0, 1.0, 1.1)], bus=bus)
    [request] = run.outputs
    assert (request.text, request.language) == ("广州市的房地产怎么样", "zh")  # answered, and written, as Chinese
