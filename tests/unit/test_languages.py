"""Which language a reply is written and spoken in."""

import pytest

from assistant.contracts.types import ChatMessage, Role
from assistant.pipeline.conversation import Conversation
from assistant.pipeline.languages import in_script, language_name, reply_instruction, speech_language


def count(messages: list[ChatMessage]) -> int:
    return sum(len(m.content.split()) for m in messages)


def test_a_question_heard_in_another_language_asks_for_the_reply_in_it_after_the_history():
    conversation = Conversation("You are a voice assistant.", 2000, 100)
    conversation.add_exchange("Hi", "Hello!")
    english = conversation.messages_for("What is the capital of France?", count, "en")
    assert [m.role for m in english] == [Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER]
    chinese = conversation.messages_for("法国的首都是哪里？", count, "zh")
    # the system prompt and history stay as they were (their cached state serves), the line comes just before
    assert chinese[:3] == english[:3]
    assert chinese[3] == ChatMessage(Role.SYSTEM, reply_instruction("zh")) and "Chinese (中文)" in chinese[3].content
    assert chinese[4] == ChatMessage(Role.USER, "法国的首都是哪里？")
    assert conversation.messages_for("Hallo", count, "de")[3].content.startswith("The user speaks German (Deutsch).")


def test_english_or_an_unknown_language_adds_nothing_and_an_unlisted_one_is_named_by_its_code():
    assert reply_instruction("") == reply_instruction("en") == ""
    assert "Reply in sw" in reply_instruction("sw").replace("Always reply", "Reply") and language_name("sw") == "sw"


@pytest.mark.parametrize(("text", "heard", "language"), [
    ("巴黎。", "", "zh"),  # typed in Chinese: the Chinese voice, though nothing was heard
    ("巴黎。", "zh", "zh"),
    ("Paris.", "zh", ""),  # heard in Chinese, answered in English anyway: the default voice reads it better
    ("東京です。", "", "ja"), ("東京。", "ja", "ja"),  # Han alone in a Japanese reply is still Japanese
    ("서울입니다.", "", "ko"), ("Москва.", "", "ru"),
    ("Berlin ist die Hauptstadt.", "de", "de"),  # a Latin-script language: as heard
    ("Paris.", "", ""), ("Paris.", "en", ""),
])
def test_the_voice_follows_the_language_heard_or_the_script_of_the_reply(text, heard, language):
    assert speech_language(text, heard) == language


def test_chinese_is_written_in_one_script_and_nothing_else_is_touched():
    assert in_script("一二線城市雖然也處於調整中", "zh") == "一二线城市虽然也处于调整中"
    assert in_script("广州市房地产中介协会分析", "zh", "traditional") == "廣州市房地產中介協會分析"
    assert in_script("广州市房地产", "zh") == "广州市房地产"  # already simplified
    assert in_script("東京は日本の首都です", "ja") == "東京は日本の首都です"  # Japanese kanji stay as they are
    assert in_script("What is 1+1?", "zh") == "What is 1+1?"
    # Whisper's spaces where the speaker paused go; those around a word in Latin letters stay
    assert in_script("广州市 佛地产 中间协会分析", "zh") == "广州市佛地产中间协会分析"
    assert in_script("我用 Python 写代码 。 好的", "zh") == "我用 Python 写代码。好的"
