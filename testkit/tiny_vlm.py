"""A tiny randomly initialised vision-language model, built and saved offline in seconds.

A real LLaVA architecture (CLIP vision tower + projector + Qwen2 text model) with a character-level tokenizer
and a chat template, saved with ``save_pretrained`` so it is loaded through exactly the ``from_pretrained`` path
real VLMs take. Its answers are noise; what it proves is that the code serving VLMs runs end to end.
"""

from __future__ import annotations

from pathlib import Path

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<image>\n{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def make_tiny_vlm(folder: Path, image_side: int = 56) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
        PreTrainedTokenizerFast,
        Qwen2Config,
    )

    torch.manual_seed(0)
    vocab = {token: i for i, token in enumerate(SPECIALS + [chr(c) for c in range(32, 127)] + ["\n"])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="?"))
    core.pre_tokenizer = pre_tokenizers.Split("", "isolated")  # one token per character
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                        additional_special_tokens=SPECIALS[1:])
    tokenizer.chat_template = CHAT_TEMPLATE
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": image_side},
                                           crop_size={"height": image_side, "width": image_side}),
        tokenizer=tokenizer, chat_template=CHAT_TEMPLATE, patch_size=14, vision_feature_select_strategy="default",
        image_token="<image>", num_additional_image_tokens=1)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIALS}
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                       image_size=image_side, patch_size=14, projection_dim=32),
        text_config=Qwen2Config(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                                eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"]),
        image_token_index=ids["<image>"], vision_feature_select_strategy="default", vision_feature_layer=-1)
    model = LlavaForConditionalGeneration(config)
    # No end-of-answer token, ever: a random model would stop at random, and the tests count tokens.
    model.generation_config.eos_token_id = None
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder
