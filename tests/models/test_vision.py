"""The local vision-language model path with a tiny randomly initialised VLM saved to disk in the test:
load, preprocess the image, generate, stream, cancel; and its failures."""


import numpy as np
import pytest

from assistant.contracts.errors import ModelError
from assistant.contracts.screen import ScreenImage
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from models.vision_transformers import TransformersVLM
from testkit.tiny_vlm import make_tiny_vlm


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_vlm(tmp_path_factory.mktemp("tiny-vlm"))


@pytest.fixture(scope="module")
def vlm(tiny):
    model = TransformersVLM(tiny, name="tiny", max_new_tokens=8, max_image_side=320)
    model.load()
    return model


def screen(colour, width=640, height=400):
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, :] = colour
    return ScreenImage(pixels, source="screen")


def question(*images, text="What is on the screen?"):
    return [ChatMessage(Role.SYSTEM, "Answer briefly."), ChatMessage(Role.USER, text, images=tuple(images))]


def test_an_image_question_streams_an_answer_within_the_token_limit(vlm):
    pieces = list(vlm.stream(question(screen((255, 0, 0))), cancel=CancelToken(1)))
    assert pieces and all(isinstance(p, str) for p in pieces)
    answer = "".join(pieces)
    assert 1 <= len(vlm._processor.tokenizer(answer, add_special_tokens=False)["input_ids"]) <= 8
    assert vlm.device == "cpu"


def test_the_image_reaches_the_model(vlm):
    red, blue = vlm._inputs(question(screen((255, 0, 0)))), vlm._inputs(question(screen((0, 0, 255))))
    assert tuple(red["pixel_values"].shape) == (1, 3, 56, 56)
    image_token = vlm._processor.tokenizer.convert_tokens_to_ids("<image>")
    assert int((red["input_ids"] == image_token).sum()) == 16  # one per 14-pixel patch of the 56x56 image
    assert not np.allclose(red["pixel_values"].numpy(), blue["pixel_values"].numpy())
    assert vlm.count_tokens(question(screen((255, 0, 0)))) > vlm.count_tokens(question())


def test_a_large_screen_is_downscaled_before_the_processor(vlm):
    conversation = vlm._conversation(question(screen((9, 9, 9), 3840, 2160)))
    image = conversation[-1]["content"][0]["image"]
    assert max(image.size) == 320 and image.size == (320, 180)


def test_cancelling_stops_the_answer_within_a_token(tiny):
    model = TransformersVLM(tiny, name="tiny", max_new_tokens=400)
    token = CancelToken(1)
    pieces = []
    for piece in model.stream(question(screen((0, 255, 0))), cancel=token):
        pieces.append(piece)
        token.cancel()
    assert 1 <= len(pieces) <= 2  # of up to 400


def test_a_text_only_question_works_too(vlm):
    assert "".join(vlm.stream(question(), cancel=CancelToken(1)))


def test_a_broken_model_folder_says_which_folder_and_setting(tmp_path):
    (tmp_path / "config.json").write_text("{ not json")
    with pytest.raises(ModelError) as info:
        TransformersVLM(tmp_path, name="broken").load()
    assert info.value.code == "model-corrupt"
    assert str(tmp_path) in info.value.message and "screen.vision_model" in info.value.message


def test_a_text_only_model_is_refused_as_not_a_vlm(tmp_path):
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from testkit.tiny_vlm import make_tiny_vlm

    donor = make_tiny_vlm(tmp_path / "donor")
    folder = tmp_path / "text-only"
    Qwen2ForCausalLM(Qwen2Config(vocab_size=120, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=1)).save_pretrained(folder)
    AutoTokenizer.from_pretrained(donor).save_pretrained(folder)
    with pytest.raises(ModelError) as info:
        TransformersVLM(folder, name="text-only").load()
    assert info.value.code == "vision-not-vlm" and "screen.vision_model" in info.value.message
