"""The languages the assistant hears and answers in: names for Whisper's language codes, and what tells the model
to answer in the user's language."""

from __future__ import annotations

import functools
import logging
import re

log = logging.getLogger(__name__)

# Han (Chinese characters, Japanese kanji), as a regular expression's character class
HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Kana, Han and Hangul: scripts written without spaces between words, where a character stands for a word.
CJK_CHARS = f"\u3040-\u30ff{HAN_CHARS}\uac00-\ud7af"

# Whisper's codes for the languages people ask for most (it knows 99): English name, and the name in the language.
LANGUAGES = {
    "en": ("English", "English"), "zh": ("Chinese", "中文"), "de": ("German", "Deutsch"),
    "fr": ("French", "Français"), "es": ("Spanish", "Español"), "it": ("Italian", "Italiano"),
    "pt": ("Portuguese", "Português"), "nl": ("Dutch", "Nederlands"), "ru": ("Russian", "Русский"),
    "ja": ("Japanese", "日本語"), "ko": ("Korean", "한국어"), "ar": ("Arabic", "العربية"),
    "hi": ("Hindi", "हिन्दी"), "tr": ("Turkish", "Türkçe"), "pl": ("Polish", "Polski"),
    "sv": ("Swedish", "Svenska"), "uk": ("Ukrainian", "Українська"), "vi": ("Vietnamese", "Tiếng Việt"),
}


# How Chinese is written: the user's choice (stt.chinese_script), and OpenCC's conversion to it.
CHINESE_SCRIPTS = {"simplified": "t2s", "traditional": "s2t"}
_HAN = re.compile(f"[{HAN_CHARS}]")
# Spaces with a Chinese character or a full-width mark (。，、？！：；) on both sides
_CHINESE_OR_MARK = f"\u3000-\u303f{HAN_CHARS}\uff01-\uff1f"
_SPACE_IN_CHINESE = re.compile(f"(?<=[{_CHINESE_OR_MARK}])\\s+(?=[{_CHINESE_OR_MARK}])")


@functools.cache
def _converter(script: str):
    import opencc  # loaded with the first Chinese heard

    return opencc.OpenCC(CHINESE_SCRIPTS[script])


def in_script(text: str, language: str, script: str = "simplified") -> str:
    """Chinese ``text`` as Chinese is written: in ``script`` (simplified or traditional characters), and without the
    spaces Whisper puts between characters where the speaker paused ("广州市 房地产"); other text as it is.

    Whisper writes Mandarin in either script, at random between utterances and even within one ("廣州市佛地产"), so
    what is heard is written one way: the one the user reads, and the one a wake phrase or a memory was written in.
    """
    if language != "zh" or not _HAN.search(text):
        return text
    text = _SPACE_IN_CHINESE.sub("", text)
    try:
        return _converter(script).convert(text)
    except ImportError:  # a broken install: the words as heard beat no words
        log.warning("opencc is not installed: Chinese is written as heard (pip install opencc)")
        return text


def as_written(text: str, language: str, script: str = "simplified") -> tuple[str, str]:
    """(text, language) of what a recognizer heard: the language read off the script of the words where the
    recognizer did not say it ("": a cloud endpoint asked for none), and Chinese written in ``script``."""
    language = language or speech_language(text) or "en"
    return in_script(text, language, script), language


def native_name(language: str) -> str:
    """"中文" for "zh": the language's own name, readable whatever the interface's language."""
    return LANGUAGES.get(language, (language, language))[1]


def language_name(language: str) -> str:
    """"Chinese" for "zh"; the code itself for a language not in the table."""
    return LANGUAGES.get(language, (language, language))[0]


def reply_instruction(language: str) -> str:
    """The system line that makes the model answer in the language the user spoke ("" for English or unknown):
    the system prompt is English, and a small model answers a Chinese question in English without it."""
    if not language or language == "en":
        return ""
    name, native = LANGUAGES.get(language, (language, language))
    label = name if native == name else f"{name} ({native})"
    return f"The user speaks {label}. Always reply in {label}, in plain sentences made to be spoken."


_SCRIPTS = (  # (first, last code point, language): scripts that name their language
    (0x3040, 0x30FF, "ja"),  # kana before Han: Japanese writes both
    (0xAC00, 0xD7AF, "ko"),
    (0x4E00, 0x9FFF, "zh"),
    (0x3400, 0x4DBF, "zh"),
    (0x0400, 0x04FF, "ru"),
)
_SCRIPT_LANGUAGES = frozenset(language for *_, language in _SCRIPTS)


def speech_language(text: str, heard: str = "") -> str:
    """The language to speak ``text`` in: the one the question was heard in, else the one its script names
    (a typed Chinese question gets a Chinese reply, which an English voice cannot read); "" for the default."""
    script = next((code for first, last, code in _SCRIPTS if any(first <= ord(ch) <= last for ch in text)), "")
    if heard and heard != "en":
        # A question heard in Chinese answered in English anyway: the piece has none of the script, and an
        # English voice reads it better. (Han alone in a Japanese reply is still Japanese.)
        return "" if heard in _SCRIPT_LANGUAGES and not script else heard
    return script
