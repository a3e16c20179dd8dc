"""The offline pack's Qwen2.5-Coder-0.5B-Instruct on the CPU: on CTranslate2 (the product's CPU runtime) and on
transformers (the GPU path's, run here on the CPU)."""

import os
import threading
from collections import Counter
from pathlib import Path

import pytest

from assistant.config import DEFAULT_SYSTEM_PROMPT
from assistant.contracts.errors import ModelError
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from assistant.pipeline.conversation import Conversation
from models.llm_transformers import convert_gguf, converted_dir_for
from models.resolver import BUNDLED_LLM_GGUF, join_bundled_gguf
from testkit.helpers import REPO, wait_until


@pytest.fixture(params=["ctranslate2", "transformers"])
def each_llm(request, llm, ct2_llm):
    """The behaviour every runtime owes the pipeline, checked on each."""
    model = ct2_llm if request.param == "ctranslate2" else llm
    assert model.runtime == request.param
    return model


def ask(llm, question, history=None, system="You are a helpful assistant. Answer briefly."):
    conv = Conversation(system, 2048, 160)
    for q, a in history or []:
        conv.add_exchange(q, a)
    return "".join(llm.stream(conv.messages_for(question, llm.count_tokens), cancel=CancelToken(1)))


def test_answers_a_simple_question(each_llm):
    llm = each_llm
    assert "paris" in ask(llm, "What is the capital of France?").lower()


def test_uses_the_conversation_so_far(each_llm):
    llm = each_llm
    history = [("My name is Ada and I live in Lisbon.", "Nice to meet you, Ada!")]
    assert "ada" in ask(llm, "What is my name?", history).lower()


def test_a_long_reply_does_not_fall_into_a_loop(each_llm):
    llm = each_llm
    # Greedy decoding without the repetition penalty told this story as "a tale of the dragon, a tale of the
    # dragon, ..." until max_new_tokens, and the voice would have read all of it.
    words = ask(llm, "Tell me a long story about a dragon.", system=DEFAULT_SYSTEM_PROMPT).lower().split()
    grams = Counter(tuple(words[i:i + 4]) for i in range(len(words) - 3))
    assert len(words) > 15 and max(grams.values()) <= 2, grams.most_common(3)


def test_streams_in_pieces(each_llm):
    llm = each_llm
    pieces = list(llm.stream([ChatMessage(Role.USER, "Count from one to ten in words.")], cancel=CancelToken(1)))
    assert len(pieces) > 3


def test_cancel_stops_generation_within_a_token(each_llm):
    llm = each_llm
    token = CancelToken(1)
    pieces = []
    for piece in llm.stream([ChatMessage(Role.USER, "Write a long story about a dragon.")], cancel=token):
        pieces.append(piece)
        if len(pieces) == 3:
            token.cancel()
    assert len(pieces) == 3  # the iterator ended at once: generation saw the stop


def test_a_held_turn_waits_between_tokens_and_then_gives_the_same_reply(each_llm):
    llm = each_llm
    """While the first spoken piece is synthesized the turn's token is held: generation waits at its next token."""
    messages = [ChatMessage(Role.USER, "Count from one to ten in words.")]
    expected = "".join(llm.stream(messages, cancel=CancelToken(1)))
    token = CancelToken(2)
    token.hold()
    pieces = llm.stream(messages, cancel=token)
    got = [next(pieces)]
    produced = threading.Thread(target=lambda: got.extend(pieces))
    produced.start()
    # More than ten tokens' time on this CPU: at most the token decoded before the hold was seen comes meanwhile.
    assert not wait_until(lambda: len(got) > 2, 0.6)
    token.release()
    produced.join(60)
    assert "".join(got) == expected and len(got) > 3


def test_runs_int8_on_the_cpu(each_llm):
    llm = each_llm
    assert llm.device == "cpu" and llm.quantized


def test_the_converted_model_is_cached_and_reused(config):
    gguf = join_bundled_gguf(config.cache_dir)
    assert gguf.name == BUNDLED_LLM_GGUF and gguf.read_bytes()[:4] == b"GGUF"
    folder = converted_dir_for(gguf, config.cache_dir)
    weights = folder / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert convert_gguf(gguf, config.cache_dir) == folder
    assert weights.stat().st_mtime_ns == before  # not converted again


def test_a_corrupt_gguf_is_reported_with_a_fix(tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 1000)
    with pytest.raises(ModelError) as err:
        convert_gguf(bad, tmp_path / "cache")
    assert err.value.code == "model-corrupt" and "llm.model" in err.value.message
    assert not any((tmp_path / "cache").rglob("*.safetensors"))  # nothing half-written left behind


def test_the_system_prompt_cache_changes_nothing_in_float(config):
    """On GPUs (float weights) the system prompt's KV cache is computed once and reused by every turn:
    greedy answers must be token for token the same as without it. (With int8 on the CPU it stays off.)"""
    from assistant.bootstrap import local_llm

    llm = local_llm(config.replace("llm", quantize="none", max_new_tokens=12))
    llm.load()
    conv = Conversation(config.llm.system_prompt, 2048, 12)
    messages = conv.messages_for("What is the capital of France?", llm.count_tokens)
    llm.reuse_prefix_cache = False
    plain = "".join(llm.stream(messages, cancel=CancelToken(1)))
    llm.reuse_prefix_cache = True
    cached = [("".join(llm.stream(messages, cancel=CancelToken(1)))) for _ in range(2)]
    assert llm._prefix is not None  # the cache was built and used
    assert cached == [plain, plain]


def test_each_token_is_handed_on_as_soon_as_it_is_decoded(llm):
    # transformers' TextIteratorStreamer holds a "." back until the next word begins; the sentence splitter, and
    # so the first audio, would wait a token longer for every sentence end.
    import torch

    from models.hf_generate import token_streamer

    tokenizer = llm._tokenizer
    streamer = token_streamer(tokenizer, timeout=1)
    streamer.put(torch.tensor([[1, 2, 3]]))  # the prompt: skipped
    text, seen = "", []
    for token in tokenizer("Seven is a number. Café au lait!")["input_ids"]:
        streamer.put(torch.tensor([token]))
        while not streamer.text_queue.empty():
            text += streamer.text_queue.get()
        seen.append(text)
    streamer.end()
    assert "Seven is a number." in seen  # handed on before the next word was generated
    assert not any(t.endswith("\ufffd") for t in seen)
    assert seen[-1] == "Seven is a number. Café au lait!"
    assert "".join(streamer) == ""  # the end: nothing was held back


def test_decoding_with_the_reused_static_cache_gives_the_same_replies(llm):
    # On CUDA every turn decodes with one static cache (compiled into a CUDA graph there); the cache logic
    # itself runs here on the CPU: emptied between turns, the same greedy replies as the dynamic cache.
    from models.llm_transformers import TransformersLLM

    static = TransformersLLM(llm.model_dir, name="static", max_new_tokens=40, context_tokens=256,
                             repetition_penalty=llm.repetition_penalty, static_cache=True)
    static.load()
    assert static.static_cache
    for question in ("What is the capital of France?", "Name three colours."):
        reply = ask(static, question)
        assert reply and ask(llm, question).startswith(reply)
    too_long = "word " * 300  # longer than its cache: a dynamic cache instead, not a failure
    assert ask(static, too_long + "How many words was that?")


def test_a_prefilled_prompt_starts_from_its_first_token_with_the_same_reply(llm):
    """The voice path prefills the question's prompt during the end-of-turn silence. The turn then starts from
    the first reply token, and the reply is token for token the one the model gives without it (in int8 too:
    the prompt is computed in one piece, as generate() computes it)."""
    conv = Conversation(DEFAULT_SYSTEM_PROMPT, 2048, 160)
    for question in ("What is the capital of France?", "Tell me a joke.", "How many legs does a spider have?"):
        messages = conv.messages_for(question, llm.count_tokens)
        plain = "".join(llm.stream(messages, cancel=CancelToken(1)))
        hits = llm.prefill_hits
        llm.prefill(messages)
        assert "".join(llm.stream(messages, cancel=CancelToken(1))) == plain
        assert llm.prefill_hits == hits + 1
    llm.prefill(conv.messages_for("What is the capital of Spain?", llm.count_tokens))
    hits = llm.prefill_hits
    other = conv.messages_for("What is the capital of Italy?", llm.count_tokens)
    assert "rome" in "".join(llm.stream(other, cancel=CancelToken(1))).lower()  # not the prefilled question
    assert llm.prefill_hits == hits and llm._prefilled is None  # used once at most, then dropped


def test_a_broken_library_is_named_and_the_model_is_not_blamed(config, tmp_path):
    """The packaged app's failure (kernels without its data file): the error names kernels, not the GGUF."""
    import shutil
    import subprocess
    import sys

    import kernels

    shutil.copytree(Path(kernels.__file__).parent, tmp_path / "shadow" / "kernels")
    (tmp_path / "shadow" / "kernels" / "_internals" / "python_depends.json").unlink()
    gguf = join_bundled_gguf(config.cache_dir)
    script = ("import sys\nfrom pathlib import Path\nfrom models.llm_transformers import convert_gguf\n"
              "from assistant.contracts.errors import ModelError\n"
              "try:\n    convert_gguf(Path(sys.argv[1]), Path(sys.argv[2]))\n"
              "except ModelError as exc:\n    print(exc.code, exc.message)")
    done = subprocess.run([sys.executable, "-c", script, str(gguf), str(tmp_path / "cache")], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": f"{tmp_path / 'shadow'}{os.pathsep}{REPO}"},
                          capture_output=True, text=True, timeout=300)
    assert done.stdout.startswith("library-broken "), done.stdout + done.stderr[-2000:]
    assert "the installed library kernels 0." in done.stdout and "Cannot load dependency data" in done.stdout
    assert "Reinstall the offline pack" not in done.stdout


def test_the_cpu_runtime_keeps_its_int8_conversion_and_reuses_it(config, ct2_llm):
    llm = ct2_llm
    from models.llm_ctranslate2 import convert, converted_dir_for

    gguf = join_bundled_gguf(config.cache_dir)
    folder = converted_dir_for(gguf, config.cache_dir)
    assert llm.model_dir == folder and (folder / ".complete").is_file()
    weights = folder / "model.bin"
    before = weights.stat().st_mtime_ns
    assert convert(gguf, config.cache_dir) == folder
    assert weights.stat().st_mtime_ns == before  # not converted again


def test_a_crashed_conversion_is_done_again_not_loaded(tmp_path, ct2_llm):
    """A folder without its completion mark is what a crash mid-conversion leaves: it is rebuilt, not loaded. (A
    two-layer model of the bundled one's shape and vocabulary, converted for real in seconds.)"""
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from models.llm_ctranslate2 import CTranslate2LLM, convert, converted_dir_for

    tokenizer = AutoTokenizer.from_pretrained(ct2_llm.model_dir / "tokenizer", local_files_only=True)
    source = tmp_path / "tiny-qwen"
    shape = Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2)
    Qwen2ForCausalLM(shape).save_pretrained(source)
    tokenizer.save_pretrained(source)
    half = converted_dir_for(source, tmp_path / "cache")
    half.mkdir(parents=True)
    (half / "model.bin").write_bytes(b"half")
    assert convert(source, tmp_path / "cache") == half
    assert (half / ".complete").is_file() and (half / "model.bin").stat().st_size > 1_000_000
    tiny = CTranslate2LLM(half, max_new_tokens=3)
    tiny.load()
    assert isinstance("".join(tiny.stream([ChatMessage(Role.USER, "Hi")], cancel=CancelToken(1))), str)


def test_the_cpu_runtime_names_a_corrupt_gguf_and_leaves_nothing_half_made(tmp_path):
    from models.llm_ctranslate2 import convert

    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 1000)
    with pytest.raises(ModelError) as err:
        convert(bad, tmp_path / "cache")
    assert err.value.code == "model-corrupt" and "llm.model" in err.value.message
    assert not any((tmp_path / "cache").rglob("model.bin"))


def test_the_cpu_runtime_s_system_prompt_cache_changes_no_reply(ct2_llm):
    llm = ct2_llm
    """The system prompt's state is computed once and reused by every turn: the replies are token for token
    those computed without it."""
    conv = Conversation(DEFAULT_SYSTEM_PROMPT, 2048, 160)
    for question in ("What is the capital of France?", "How many legs does a spider have?"):
        messages = conv.messages_for(question, llm.count_tokens)
        llm.reuse_system_prompt = False
        try:
            plain = "".join(llm.stream(messages, cancel=CancelToken(1)))
        finally:
            llm.reuse_system_prompt = True
        assert [("".join(llm.stream(messages, cancel=CancelToken(1)))) for _ in range(2)] == [plain, plain]


def test_the_cpu_runtime_keeps_the_state_of_a_system_block_with_tools_and_it_changes_no_reply(ct2_llm):
    """The tools offered are written into the system block: its state is kept per tool list (a sum told in words and
    the answer from its result share one), and the replies are those computed without it."""
    from assistant.tools.maths import Maths
    from assistant.tools.model_calls import schemas

    llm = ct2_llm
    tools = schemas(Maths().tools())
    conv = Conversation(DEFAULT_SYSTEM_PROMPT, 2048, 40)
    messages = conv.messages_for("What is twelve times four?", llm.count_tokens)
    llm.reuse_system_prompt = False
    try:
        plain = "".join(llm.stream(messages, cancel=CancelToken(1), tools=tools))
    finally:
        llm.reuse_system_prompt = True
    assert [("".join(llm.stream(messages, cancel=CancelToken(1), tools=tools))) for _ in range(2)] == [plain, plain]
    ids = llm._prompt(messages, tools)
    block = llm._system_prefix(messages, ids, tools)
    assert block > llm._system_prefix(messages, llm._prompt(messages))  # the tool list is in the state kept
    assert "maths_calculate" in llm._tokenizer.decode(ids[:block])


def test_the_cpu_runtime_continues_a_reply_another_backend_broke_off(ct2_llm):
    llm = ct2_llm
    """A final assistant message is a reply to continue, not a new one: the cloud's stream broke off midway."""
    messages = [ChatMessage(Role.SYSTEM, DEFAULT_SYSTEM_PROMPT), ChatMessage(Role.USER, "What is the capital of "
                "France?"), ChatMessage(Role.ASSISTANT, "The capital of France is")]
    rest = "".join(llm.stream(messages, cancel=CancelToken(1)))
    assert "paris" in rest.lower() and not rest.lower().lstrip().startswith("the capital")
