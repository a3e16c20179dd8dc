"""Streaming sentence splitter: LLM text deltas in, speakable pieces out.

The first piece of a reply is cut at the first clause boundary (a comma after a few words), or before a word
that opens a phrase ("... | that", "... | with") when the first sentence runs on, so speech can start while
the model is still writing; later pieces are whole sentences, cut the same way only when they run long.
Markdown is stripped and code blocks are not read aloud.
"""

from __future__ import annotations

import re

from assistant.pipeline.languages import CJK_CHARS

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "approx", "no", "fig",
    "inc", "ltd", "co", "u.s", "u.k", "a.m", "p.m", "ca", "cf", "mt",
}
# Chinese and Japanese put no space after their stops (。！？) and commas (，、；：): they end a piece as they are.
_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*(?=\s)|[。！？]+[”’」』）)]*|\n+")
_CLAUSE_END = re.compile(r"[,;:—–](?=\s)|[，、；：]")
# The same ends as the very last thing streamed, before the next token shows what follows. Safe to cut only after a
# real word: "numbers." is an end, "3." may be 3.14 and "J." an initial; "1," may be 1,000 and "https:" a link.
_SENTENCE_END_NOW = re.compile(r"(?:(?<=[^\W\d_]{2})\.|[!?。！？])$")
_CLAUSE_END_NOW = re.compile(r"(?<=[^\W\d_])[,;]$")
_WORD = re.compile(r"\w+")
# Words to count: a Chinese or Japanese character (those scripts write no spaces), or a run of other letters.
_COUNTED = re.compile(f"[{CJK_CHARS}]|[^\\W{CJK_CHARS}]+")
# A whole word after a space: what follows it is known, so "in" is not the start of "inside".
_NEXT_WORD = re.compile(r"\s+([^\W\d_]+)(?=[^\w'’])")
# Words that open a phrase, where a speaker may pause in a long sentence: subordinating conjunctions, relative
# pronouns, prepositions. Not "and" or "or" ("turnips and carrots"), not "of" or "to" ("a type of", "want to"),
# not a verb ("the capital of France | is Paris" breaks too short a sentence). A first sentence is cut before one.
_PHRASE_START = {
    "but", "because", "although", "though", "while", "when", "where", "whereas", "which", "who", "whom", "whose",
    "that", "if", "unless", "until", "since", "after", "before", "in", "on", "at", "with", "without", "from", "by",
    "for", "into", "onto", "during", "through", "across", "over", "under", "between", "among", "about",
}


def speakable(text: str) -> str:
    """Remove markdown a voice should not read: emphasis, headings, bullets, links, inline code ticks."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [label](url) -> label
    text = re.sub(r"^\s*(#{1,6}\s+|[-*+•]\s+|\d+[.)]\s+|>\s*)", "", text, flags=re.MULTILINE)
    text = re.sub(r"[*_`~]{1,3}", "", text)
    return re.sub(r"\s+", " ", text).strip()


class SentenceSplitter:
    """Cuts a streamed reply into speakable pieces as its text comes in."""

    def __init__(self, *, first_clause_min_words: int = 3, first_phrase_min_words: int = 4,
                 long_piece_words: int = 10, max_chars: int = 240) -> None:
        """The first piece ends at a clause once it has ``first_clause_min_words`` words, or before a word that
        opens a phrase once it has ``first_phrase_min_words``; a later piece does either once it has
        ``long_piece_words``, else it is a whole sentence. 0 turns a cut off."""
        self.first_clause_min_words = first_clause_min_words
        self.first_phrase_min_words = first_phrase_min_words
        self.long_piece_words = long_piece_words
        self.max_chars = max_chars
        self._buffer = ""
        self._in_code = False
        self.pieces_out = 0

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        return self._drain(final=False)

    def flush(self) -> list[str]:
        """The reply is complete: whatever is left is the last piece."""
        out = self._drain(final=True)
        rest = "" if self._in_code else speakable(self._buffer)
        self._buffer = ""
        if _WORD.search(rest):
            out.append(rest)
            self.pieces_out += 1
        return out

    def _drain(self, final: bool) -> list[str]:
        out: list[str] = []
        while True:
            if self._in_code:
                end = self._buffer.find("```")
                if end < 0:
                    self._buffer = self._buffer[-2:]  # a closing fence may be arriving split
                    return out
                self._buffer = self._buffer[end + 3:]
                self._in_code = False
                continue
            fence = self._buffer.find("```")
            region = self._buffer if fence < 0 else self._buffer[:fence]
            if fence < 0 and not final:
                region = region.rstrip("`")  # "``" may be the start of a fence
            cut = self._find_cut(region)
            if cut is not None:
                self._emit(out, self._buffer[:cut])
                self._buffer = self._buffer[cut:]
                continue
            if fence >= 0:
                self._emit(out, region)
                self._buffer = self._buffer[fence + 3:]
                self._in_code = True
                continue
            return out

    def _emit(self, out: list[str], text: str) -> None:
        piece = speakable(text)
        if _WORD.search(piece):
            out.append(piece)
            self.pieces_out += 1

    def _find_cut(self, region: str) -> int | None:
        cuts = []
        for m in [*_SENTENCE_END.finditer(region), *_SENTENCE_END_NOW.finditer(region)]:
            ends = m.group().startswith("\n") or not self._is_abbreviation(region, m.start())
            if ends and _WORD.search(region[: m.end()]):
                cuts.append(m.end())
                break
        # The first piece may end at a clause, or before a word that opens a phrase: speech starts sooner (each
        # token of a long first sentence costs ~35 ms of silence on a small CPU, and a pause before "that" or
        # "with" costs the prosody little). A later piece may too once it is long: it must be written and spoken
        # before the pieces ahead of it have been heard, or the voice stops mid-reply.
        first = self.pieces_out == 0
        clause_min = self.first_clause_min_words if first else self.long_piece_words
        phrase_min = self.first_phrase_min_words if first else self.long_piece_words
        if clause_min:
            for m in [*_CLAUSE_END.finditer(region), *_CLAUSE_END_NOW.finditer(region)]:
                if len(_COUNTED.findall(region[: m.start()])) >= clause_min:
                    cuts.append(m.end())
                    break
        if phrase_min:
            for m in _NEXT_WORD.finditer(region):
                if m.group(1).lower() in _PHRASE_START and len(_COUNTED.findall(region[: m.start()])) >= phrase_min:
                    cuts.append(m.start())
                    break
        if cuts:
            return min(cuts)
        if len(region) > self.max_chars:
            space = region.rfind(" ", 0, self.max_chars)
            return space if space > 0 else self.max_chars
        return None

    @staticmethod
    def _is_abbreviation(region: str, dot: int) -> bool:
        if region[dot] != ".":
            return False
        word = re.search(r"([\w.]+)$", region[:dot])
        if not word:
            return False
        token = word.group(1).lower()
        # a known abbreviation, or an initial such as the "J." in "J. R. R. Tolkien"
        return token in _ABBREVIATIONS or (len(token) == 1 and region[dot - 1].isupper())


# Words a spoken sentence does not end on: a pause after them is the speaker thinking, not the end of the turn.
_CONTINUING = {
    "a", "an", "the", "and", "or", "but", "so", "because", "if", "then", "than", "that", "which", "who", "whose",
    "of", "to", "in", "on", "at", "for", "with", "from", "by", "about", "into", "like", "as", "is", "are", "was",
    "were", "my", "your", "his", "her", "its", "our", "their", "this", "these", "those", "what's", "how", "um",
    "uh", "er", "erm", "hmm", "and,", "between", "some", "any", "very", "more", "most",
}


def sounds_unfinished(text: str) -> bool:
    """Whether a transcript heard at a pause sounds cut mid-sentence ("what is the capital of...", "and, um,"):
    it ends on a comma, a dash or an ellipsis (full-width ones too: "法国的首都，"), or on a word a sentence does not
    end with."""
    text = text.strip()
    if not text:
        return False
    if text.endswith((",", "-", "–", "—", "...", "…", ":", "，", "、", "：", "；")):
        return True
    words = _WORD.findall(text.lower().replace("’", "'").replace("'", "_"))
    return bool(words) and words[-1].replace("_", "'") in _CONTINUING
