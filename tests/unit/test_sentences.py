import pytest

from assistant.pipeline.sentences import SentenceSplitter, sounds_unfinished, speakable


def split_streaming(text: str, step: int = 1) -> list[str]:
    splitter = SentenceSplitter()
    out: list[str] = []
    for i in range(0, len(text), step):
        out += splitter.feed(text[i: i + step])
    return out + splitter.flush()


def test_first_piece_ends_at_the_first_clause_then_whole_sentences():
    pieces = split_streaming("The capital of France, as you may know, is Paris. It is lovely, and big.")
    assert pieces == ["The capital of France,", "as you may know, is Paris.", "It is lovely, and big."]


def test_a_short_opener_is_not_cut_alone():
    assert split_streaming("Sure, here you go: Paris.")[0] == "Sure, here you go:"


def test_the_first_piece_leaves_before_the_sentence_is_finished():
    splitter = SentenceSplitter()
    assert splitter.feed("Well, the capital of France, ") == ["Well, the capital of France,"]


def test_a_long_first_sentence_is_cut_before_a_word_that_opens_a_phrase():
    assert split_streaming("The earliest book printed with movable types was the Gutenberg Bible. It is old.") == [
        "The earliest book printed", "with movable types was the Gutenberg Bible.", "It is old."]
    assert split_streaming("Down is a sound that can be heard in the quiet of the night. Then it fades on.") == [
        "Down is a sound", "that can be heard in the quiet of the night.", "Then it fades on."]


@pytest.mark.parametrize("sentence", [
    "The capital of France is Paris.",  # a verb does not open a phrase
    "What specific task or problem would you like to solve?",  # nor "or", "to"
    "Put the cards with the rest.",  # three words before "with": too short to cut
])
def test_a_first_sentence_without_a_phrase_word_after_four_words_stays_whole(sentence):
    assert split_streaming(sentence) == [sentence]


def test_a_phrase_word_is_cut_before_only_once_it_is_whole():
    splitter = SentenceSplitter()
    assert splitter.feed("Down is a sound th") == [] and splitter.feed("at") == []  # may be "thatch"
    assert splitter.feed(" can") == ["Down is a sound"]
    inside = SentenceSplitter()
    assert inside.feed("I put them all in") == [] and inside.feed("side the box.") == ["I put them all inside the box."]


def test_a_long_later_sentence_is_cut_at_a_clause_or_before_a_phrase_word_and_a_short_one_is_not():
    text = ("He hoped there would be stew for dinner, turnips and carrots and bruised potatoes and fat mutton "
            "pieces to be ladled out in thick, peppered sauce. It was good, and hot.")
    assert split_streaming(text) == [
        "He hoped there would be stew",
        "for dinner, turnips and carrots and bruised potatoes and fat mutton pieces to be ladled out",
        "in thick, peppered sauce.", "It was good, and hot."]


def test_the_phrase_cut_can_be_turned_off():
    splitter = SentenceSplitter(first_phrase_min_words=0, long_piece_words=0)
    assert splitter.feed("Down is a sound that can be heard") == []
    assert splitter.feed(", and seen. It was a long sound from the north of the town, a sound like rain") == [
        "Down is a sound that can be heard,", "and seen."]


def test_a_sentence_end_leaves_as_soon_as_it_is_streamed():
    # Without waiting for the next token to show a space: that token costs ~50 ms on a small CPU.
    splitter = SentenceSplitter()
    assert splitter.feed("Seven is a number") == []
    assert splitter.feed(".") == ["Seven is a number."]
    assert splitter.feed(" Is it") == [] and splitter.feed("?") == ["Is it?"]
    first = SentenceSplitter()
    assert first.feed("The capital of France") == [] and first.feed(",") == ["The capital of France,"]


@pytest.mark.parametrize("start, rest", [
    ("It cost 3.", "50 dollars today."), ("We met Dr.", " Smith there."), ("I read J.", " R. R. Tolkien."),
    ("In the U.S.", " it is late."), ("There were 1,", "000 people there."), ("Go to https:", "//example.org now."),
])
def test_an_end_that_may_go_on_waits_for_the_next_token(start, rest):
    splitter = SentenceSplitter()
    assert splitter.feed(start) == []
    assert splitter.feed(rest) + splitter.flush() == [start + rest]


def test_abbreviations_initials_and_decimals_do_not_end_sentences():
    pieces = split_streaming("Hi there. Dr. Smith met J. R. R. Tolkien in the U.S. once. It cost 3.50 dollars.")
    assert pieces == ["Hi there.", "Dr. Smith met J. R. R. Tolkien in the U.S. once.", "It cost 3.50 dollars."]


def test_code_blocks_are_not_read_aloud_and_markdown_is_stripped():
    text = "Here is the code:\n```python\nprint('hi')\n```\nThat prints **hi**.\n- first\n- second"
    for step in (1, 3, 7, len(text)):
        assert split_streaming(text, step) == ["Here is the code:", "That prints hi.", "first", "second"]


def test_long_text_without_punctuation_is_cut_at_a_space():
    words = " ".join(["word"] * 100)
    pieces = split_streaming(words)
    assert len(pieces) > 1 and all(len(p) <= 240 for p in pieces)
    assert " ".join(pieces).split() == words.split()


def test_nothing_speakable_gives_nothing():
    assert split_streaming("```\ncode only\n```") == []
    assert split_streaming("  ...  ") == []


def test_speakable_keeps_link_labels():
    assert speakable("See [the docs](https://example.com) and `pip install x`.") == "See the docs and pip install x."


@pytest.mark.parametrize("text, unfinished", [
    ("What is the capital of", True), ("What is the capital of.", True), ("Tell me about,", True),
    ("I want to know...", True), ("and um", True), ("What is the capital of France?", False), ("Okay.", False),
    ("It's", False), ("", False), ("Thank you", False), ("法国的首都，", True), ("法国的首都是哪里？", False),
])
def test_a_transcript_cut_mid_sentence_sounds_unfinished(text, unfinished):
    assert sounds_unfinished(text) is unfinished


def test_chinese_is_cut_at_its_own_stops_and_commas_without_spaces():
    reply = "北京是中国的首都，也是一座历史悠久的城市。它有很多名胜古迹！你想去看看吗？"
    assert split_streaming(reply) == [
        "北京是中国的首都，", "也是一座历史悠久的城市。", "它有很多名胜古迹！", "你想去看看吗？"]
    # the first clause counts characters, as it counts words in English: too short a clause is not cut
    assert split_streaming("是的，北京是中国的首都。") == ["是的，北京是中国的首都。"]
