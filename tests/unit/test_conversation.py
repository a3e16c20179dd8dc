import pytest

from assistant.conversation import Conversation
from assistant.errors import InputError
from assistant.types import Role


def words(messages):
    return sum(len(m.content.split()) for m in messages)


def test_history_is_kept_and_oldest_exchanges_dropped_first():
    conv = Conversation("system prompt here", context_tokens=300, reply_tokens=280)  # budget: 20 words
    conv.add_exchange("one two three", "four five six")
    conv.add_exchange("seven eight", "nine ten")
    messages = conv.messages_for("what now", words)
    assert [m.role for m in messages] == [Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT, Role.USER]
    conv.add_exchange("a b c d e", "f g h i j")
    messages = conv.messages_for("what now", words)
    assert "one two three" not in [m.content for m in messages]
    assert messages[-1].content == "what now" and words(messages) <= conv.budget


def test_a_question_too_long_for_the_context_is_refused():
    conv = Conversation("sys", context_tokens=300, reply_tokens=290)
    with pytest.raises(InputError) as err:
        conv.messages_for("word " * 500, words)
    assert err.value.code == "question-too-long"


def test_an_interrupted_reply_is_remembered_as_cut_off():
    conv = Conversation("sys", 2048, 100)
    conv.add_exchange("tell me a story", "Once upon a time", interrupted=True)
    assert conv.history[-1].content.endswith("[interrupted by the user]")
    conv.add_exchange("hello", "   ")  # nothing was said: nothing to remember
    assert len(conv.history) == 2
