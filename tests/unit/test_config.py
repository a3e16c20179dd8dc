import pytest

from assistant.config import Config, build_config, config_path, load_config, save_config
from assistant.contracts.errors import ConfigError


def test_defaults_are_valid_and_offline():
    config = Config()
    assert config.models.allow_downloads is False
    assert config.vad.end_silence_ms <= 500
    assert config.stt.model == config.llm.model == config.tts.voice == "bundled"


def test_round_trip_through_the_file(tmp_path):
    path = tmp_path / "config.toml"
    original = Config().replace("llm", max_new_tokens=99).replace("tts", speaking_rate=1.25)
    save_config(original, path)
    assert load_config(path, env={}) == original


def test_missing_file_means_defaults(tmp_path):
    assert load_config(tmp_path / "absent.toml", env={}) == Config()


def test_environment_overrides_the_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[llm]\nmax_new_tokens = 50\n")
    config = load_config(path, env={"ASSISTANT_LLM_MAX_NEW_TOKENS": "64", "ASSISTANT_MODELS_ALLOW_DOWNLOADS": "yes"})
    assert config.llm.max_new_tokens == 64
    assert config.models.allow_downloads is True


def test_unknown_key_names_the_likely_one(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[stt]\nbeem_size = 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert err.value.code == "config-unknown-key"
    assert "stt.beem_size" in err.value.message and "stt.beam_size" in err.value.message
    assert str(path) in err.value.message


def test_unknown_section():
    with pytest.raises(ConfigError, match=r"unknown section 'sst'.*'stt'"):
        build_config({"sst": {"model": "x"}})


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"stt": {"beam_size": 0}}, "stt.beam_size must be between 1 and 10 (got 0)"),
        ({"stt": {"chinese_script": "pinyin"}}, "stt.chinese_script must be one of simplified, traditional"),
        ({"vad": {"end_silence_ms": 20}}, "vad.end_silence_ms must be between 100 and 5000"),
        ({"llm": {"device": "tpu"}}, "llm.device must be one of auto, cpu, cuda, mps"),
        ({"llm": {"max_new_tokens": "many"}}, "llm.max_new_tokens must be int"),
        ({"llm": {"repetition_penalty": 0.8}}, "llm.repetition_penalty must be between 1.0 (off) and 2.0"),
        ({"tts": {"backend": "festival"}}, "tts.backend must be one of piper, espeak"),
        ({"tts": {"speaking_rate": 5}}, "tts.speaking_rate must be between 0.5 and 2.0"),
        ({"tts": {"voices": "german=de_DE-thorsten-medium"}}, 'tts.voices must be "language=voice" pairs'),
        ({"tts": {"voices": "de="}}, 'tts.voices must be "language=voice" pairs'),
        ({"models": {"allow_downloads": "maybe"}}, "models.allow_downloads must be bool"),
        ({"ui": {"language": "fr"}}, "ui.language must be one of auto, en, zh_CN (got 'fr')"),
    ],
)
def test_invalid_values_are_refused_with_the_reason(data, fragment):
    with pytest.raises(ConfigError) as err:
        build_config(data)
    assert err.value.code == "config-invalid"
    assert fragment in err.value.message


def test_a_voice_per_language_is_read_as_pairs():
    config = build_config({"tts": {"voices": "de=de_DE-thorsten-medium  zh=/voices/zh.onnx"}})
    assert config.tts.language_voices() == {"de": "de_DE-thorsten-medium", "zh": "/voices/zh.onnx"}
    assert build_config({}).tts.language_voices() == {}


def test_interface_language_follows_the_system_by_default_and_round_trips(tmp_path):
    assert Config().ui.language == "auto"
    path = tmp_path / "config.toml"
    save_config(Config().replace("ui", language="zh_CN"), path)
    assert load_config(path, env={}).ui.language == "zh_CN"
    assert load_config(path, env={"ASSISTANT_UI_LANGUAGE": "en"}).ui.language == "en"


def test_bad_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match=r"llm\.temperature must be float"):
        build_config({}, env={"ASSISTANT_LLM_TEMPERATURE": "hot"})
    with pytest.raises(ConfigError, match="ASSISTANT_LLM_TEMPRATURE"):
        build_config({}, env={"ASSISTANT_LLM_TEMPRATURE": "0.2"})


def test_broken_toml_says_where(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[llm\nmax_new_tokens = 5\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert err.value.code == "config-syntax" and str(path) in err.value.message


def test_config_path_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("ASSISTANT_CONFIG", raising=False)
    assert config_path() == tmp_path / "config.toml"
