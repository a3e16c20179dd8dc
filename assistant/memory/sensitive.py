"""Secrets a user may say that the memory must never keep: passwords and PINs, card numbers, API keys and tokens,
bank and social-security numbers. Found by pattern (and the Luhn check for cards), on the words as said and with
spoken numbers made digits ("four five three two ..." -> "4532...").
"""

from __future__ import annotations

import re

# "my password is ...", "the PIN for the door: ...": a secret's name, then its value (not where it is kept:
# "the wifi password is on the fridge" names no secret).
_NAMED = re.compile(
    r"\b(?:pass ?words?|pass ?phrases?|pass ?codes?|pins?(?: (?:code|number))?|security (?:code|answer|question)|"
    r"cvv|cvc|card verification|secret(?: key)?|api ?keys?|access (?:key|token)|private key|tokens?|"
    r"social security(?: number)?|ssn|login|credentials?|recovery (?:code|phrase)|seed phrase|mnemonic|"
    r"(?:door|gate|garage|alarm|lock|safe|entry|access|building|unlock|key ?pad|combination) ?codes?|combination)"
    r"(?:\s+(?:for|of|to|on)\s+(?:the |my |our )?[\w' -]{1,30}?)?\s*(?:is|are|was|=|:)\s+(?!(?:on|in|under|at|"
    r"inside|behind|written|kept|stored|saved|taped|stuck|somewhere|the same|in the)\b)\S",
    re.I)
_KEYS = re.compile(
    r"\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abpr]-[A-Za-z0-9-]{10,}"
    r"|AIza[0-9A-Za-z_-]{30,}|glpat-[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+)")
# A long token mixing letters and digits (a key read out or pasted), not a word or a number.
_TOKEN = re.compile(r"\b(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{24,}\b")
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
_DIGIT_RUN = re.compile(r"(?:\d[ -]?){13,19}")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_number(text: str) -> bool:
    for run in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", run.group())
        for size in range(min(19, len(digits)), 12, -1):  # the run may hold more digits than the card
            if any(_luhn(digits[i:i + size]) and digits[i] in "23456" for i in range(len(digits) - size + 1)):
                return True
    return False


def secret_in(text: str) -> str:
    """What kind of secret ``text`` holds ("a password", "a card number", ...), or "" when none is found."""
    if not text.strip():
        return ""
    spoken = _spoken_digits(text)
    for candidate in {text, spoken}:
        if _NAMED.search(candidate):
            return "a password or other secret"
        if _KEYS.search(candidate) or _TOKEN.search(candidate):
            return "an access key or token"
        if _card_number(candidate):
            return "a card number"
        if _SSN.search(candidate):
            return "a social security number"
        if _IBAN.search(candidate.upper()) and re.search(r"\b(?:iban|account|bank)\b", candidate, re.I):
            return "a bank account number"
    return ""


_DIGIT_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                "seven": "7", "eight": "8", "nine": "9"}


def _spoken_digits(text: str) -> str:
    """Digits read out one by one ("four five three two") written as digits, so a card number said aloud is
    seen as one."""
    words = re.split(r"(\s+|[,.-])", text)
    out = [_DIGIT_WORDS.get(w.lower(), w) for w in words]
    joined = "".join(out)
    return re.sub(r"(?<=\d)[ ,-]+(?=\d)", "", joined) if re.search(r"\d[ ,-]+\d", joined) else joined
