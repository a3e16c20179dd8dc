"""The core's messages for people: plain English strings that keep their template for a translated interface."""

import copy
import pickle

from assistant.contracts.messages import Message


def test_a_message_is_its_english_text_and_keeps_its_template_and_values():
    message = Message("joining the offline model {name}", name="whisper base (multilingual)")
    assert message == "joining the offline model whisper base (multilingual)" and isinstance(message, str)
    assert (message.template, message.values) == ("joining the offline model {name}",
                                                  {"name": "whisper base (multilingual)"})
    assert f"{message}!" == "joining the offline model whisper base (multilingual)!"  # used as any string
    plain = Message("quantizing the language model to int8 for the CPU")
    assert plain == plain.template and plain.values == {}


def test_copies_and_pickles_keep_the_template():
    message = Message("loading voice {name}", name="joe")
    for again in (copy.copy(message), copy.deepcopy(message), pickle.loads(pickle.dumps(message))):
        assert again == message and (again.template, again.values) == (message.template, message.values)
