import pytest

from assistant.contracts.errors import InputError
from assistant.contracts.types import Role
from assistant.pipeline.conversation import CUT_OFF, Conversation


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
    assert conv.history[-1].content == "Once upon a time" + CUT_OFF
    conv.add_exchange("hello", "   ")  # nothing was said: nothing to remember
    assert len(conv.history) == 2


def test_a_spoken_reply_cut_short_is_remembered_as_far_as_it_was_heard():
    conv = Conversation("sys", 2048, 100)
    # the reply was written in full, then the user spoke over it after its first sentence
    conv.add_exchange("tell me a story", "Once upon a time. There was a dragon.", turn_id=1, spoken=True)
    conv.cut_short(1, "Once upon a time.")
    assert [m.content for m in conv.history] == ["tell me a story", "Once upon a time." + CUT_OFF]
    # interrupted while still being written: the cut comes first, the partial reply after it
    conv.cut_short(2, "Paris is")
    conv.add_exchange("capital of France?", "Paris is the capital", interrupted=True, turn_id=2, spoken=True)
    assert conv.history[-1].content == "Paris is" + CUT_OFF
    # nothing heard yet: nothing of that exchange is remembered
    conv.add_exchange("and of Italy?", "Rome.", turn_id=3, spoken=True)
    conv.cut_short(3, "")
    assert len(conv.history) == 4


def test_a_typed_reply_is_kept_as_far_as_it_was_written_whatever_was_heard():
    conv = Conversation("sys", 2048, 100)
    conv.add_exchange("capital of France?", "The capital of France is Paris.", turn_id=1, spoken=False)
    conv.cut_short(1, "The capital")  # it was read on the screen, not only heard
    assert conv.history[-1].content == "The capital of France is Paris."
    conv.cut_short(2, "Rome")
    conv.add_exchange("and of Italy?", "Rome is", interrupted=True, turn_id=2)
    assert conv.history[-1].content == "Rome is" + CUT_OFF
