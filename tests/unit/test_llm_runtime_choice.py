"""Which runtime runs the local chat model: CTranslate2 for a GGUF on the CPU (the small bundled one excepted),
transformers otherwise."""

import pytest

from assistant.config import Config
from assistant.contracts.errors import ConfigError
from models.registry import choose_llm_runtime

PACK, BIG_PACK, GGUF, HUB_GGUF = "bundled", "bundled-1.5b", "/models/x.gguf", "Qwen/Qwen2.5-0.5B-Instruct-GGUF:q4.gguf"
HUB = "Qwen/Qwen2.5-0.5B-Instruct"


@pytest.mark.parametrize(("model", "device", "quantize", "expected"), [
    (PACK, "auto", "auto", "transformers"),  # its replies are heard sooner there (assistant bench)
    (PACK, "cpu", "int8", "transformers"),
    (BIG_PACK, "auto", "auto", "ctranslate2"),
    (GGUF, "auto", "auto", "ctranslate2"),
    (HUB_GGUF, "auto", "auto", "ctranslate2"),
    (HUB, "auto", "auto", "transformers"),  # any Hugging Face model: transformers loads it as it is
    (PACK, "cpu", "none", "transformers"),  # float weights asked for: only transformers keeps them
    (PACK, "cuda", "auto", "transformers"),
])
def test_auto_picks_the_runtime(model, device, quantize, expected):
    assert choose_llm_runtime("auto", model, device, quantize) == expected


def test_a_runtime_asked_for_is_used():
    assert choose_llm_runtime("transformers", PACK, "auto", "auto") == "transformers"
    assert choose_llm_runtime("ctranslate2", HUB, "cpu", "auto") == "ctranslate2"


@pytest.mark.parametrize(("device", "quantize"), [("cuda", "auto"), ("mps", "auto"), ("cpu", "none")])
def test_ctranslate2_where_it_cannot_run_says_what_to_change(device, quantize):
    with pytest.raises(ConfigError) as err:
        choose_llm_runtime("ctranslate2", PACK, device, quantize)
    assert err.value.code == "config-invalid" and "llm.runtime" in err.value.message


def test_the_runtime_setting_is_checked():
    assert Config().llm.runtime == "auto"
    with pytest.raises(ConfigError) as err:
        Config().replace("llm", runtime="llama")
    assert "llm.runtime" in err.value.message and "ctranslate2" in err.value.message
