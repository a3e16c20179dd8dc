"""How hard a question is, told in microseconds from its words: which model of a tiered pair should answer it.

Measured with ``assistant eval`` on the bundled pair (Qwen2.5-Coder 0.5B and 1.5B, 135 everyday questions): the
small model is wrong far more often than the bigger one in every kind of question, plain lookups included (facts:
18 of 31 right against 30 of 31). So the small model keeps only what needs no knowledge: greetings, thanks, small
talk, a joke, where answering at once matters more than the words. Every question that asks for information goes
to the bigger model, named by its kind (arithmetic, conversions, reasoning, code, how-to, meanings, long prompts,
or else knowledge). The rules are about kinds of utterance, never about particular questions.

``declines(text)`` tells a reply that begins by declining ("I'm sorry, I don't know"): the router then asks the
bigger model instead, before anything of the small one's reply is spoken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LONG_QUESTION_WORDS = 30  # a question this long carries details that must all be kept
LONG_PROMPT_TOKENS = 1024  # a conversation this long needs the bigger model's attention span

_NUMBER = (r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
           r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
           r"thousand|million|half|quarter|twice|double|triple|dozen)\b")
_RULES: tuple[tuple[str, str], ...] = (
    ("code", r"\b(python|javascript|typescript|java|c\+\+|c#|rust|golang|sql|regex|regular expression|bash|shell "
             r"script|html|css|json|yaml|git|function|variable|compile|code|coding|program(ming)?|script|api|"
             r"array|list comprehension|dictionary|loop|class|method|syntax|exception|stack trace)\b"),
    ("arithmetic", r"\b(plus|minus|times|multipl\w*|divid\w*|percent|percentage|sum|total|average|split|"
                   r"square root|squared|cubed|power of|tip|discount|off|interest|each|per|how (many|much|far|"
                   r"long|old))\b|[+*/=%^×÷]"),
    ("units", r"\b(convert|conversion|in (miles|kilomet\w+|meters?|metres?|feet|foot|inch\w*|centimet\w+|pounds?|"
              r"kilo\w*|grams?|ounces?|ounzes|liters?|litres?|gallons?|cups?|quarts?|pints?|celsius|fahrenheit|"
              r"kelvin|hours?|minutes?|seconds?|days?|weeks?|mph|km/h))\b"),
    ("reasoning", r"\b(if|then|so|who is the \w+est|which (one|way)|what (day|time)|when (does|will|is)|before|after|"
                  r"later|earlier|older|younger|taller|shorter|faster|slower|more than|less than|left|right|"
                  r"next|puzzle|riddle|logic)\b"),
    ("meaning", r"\b(mean|meaning|means|define|definition|idiom|phrase|expression|spell|spelling|synonym|"
                r"antonym|opposite|translate|translation|how do you say|in (french|spanish|german|italian|"
                r"portuguese|chinese|japanese|korean|russian|arabic|hindi|dutch))\b"),
    ("how-to", r"\b(how (do|can|should|would) (i|you|we)|how to|steps?|instructions?|set up|install|fix|"
               r"repair|troubleshoot|what should i|should i|is it safe|can i|recipe|cook|bake)\b"),
    ("explanation", r"\b(why|explain|describe|difference between|compare|pros and cons|summari[sz]e|"
                    r"analy[sz]e|write|draft|plan|advice|recommend)\b"),
)
_COMPILED = tuple((reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in _RULES)
# Talk that needs no knowledge: the small model answers it at once.
_CHAT = re.compile(r"^\W*(hi|hello|hey|hiya|good (morning|afternoon|evening|night)|thanks?|thank you|cheers|bye|"
                   r"goodbye|see you|ok(ay)?|cool|great|nice|awesome|never ?mind|sorry|yes|no|yeah|nope|sure|"
                   r"how are you|how's it going|what's up|who are you|what('s| is) your name|"
                   r"(tell|say) (me )?(a |another )?(joke|something (funny|nice))|i('m| am) (back|home|tired|bored|"
                   r"happy|sad))\b", re.IGNORECASE)
# An utterance that asks for information: a question word, a question mark, an auxiliary verb first, or a request.
_ASKS = re.compile(r"\?\s*$|\b(what|what's|whats|who|who's|whom|whose|where|when|which|why|how)\b|"
                   r"^\W*(is|are|was|were|do|does|did|can|could|will|would|should|shall|has|have|had|may|must)\b|"
                   r"^\W*(tell me|name|list|give me|find|show me|describe|explain|define|calculate|convert|"
                   r"translate|spell|recommend|suggest)\b", re.IGNORECASE)
_NUMBER_RE = re.compile(_NUMBER, re.IGNORECASE)
_NUMERIC_REASONS = {"arithmetic", "units", "reasoning"}  # these need a number in the question to count

# How replies that decline begin (lower case). A reply is held while its start could still become one of these.
_DECLINES = ("i'm sorry", "i am sorry", "sorry, ", "i don't know", "i do not know", "i'm not sure", "i am not sure",
             "i can't", "i cannot", "i'm unable", "i am unable", "i'm not able", "i am not able", "as an ai",
             "unfortunately, i", "i don't have", "i do not have")


@dataclass(frozen=True, slots=True)
class Route:
    """Which tier answers, and why (shown per turn)."""

    tier: str  # "small" | "big"
    reason: str  # "chat", "knowledge", "arithmetic", "code", "long question", "declined", ...

    def __str__(self) -> str:
        return f"{self.tier}: {self.reason}"


def route(question: str, prompt_tokens: int = 0) -> Route:
    """The tier for ``question`` (the user's words), given the whole prompt's length in tokens."""
    words = question.split()
    if prompt_tokens > LONG_PROMPT_TOKENS:
        return Route("big", "long conversation")
    if len(words) > LONG_QUESTION_WORDS:
        return Route("big", "long question")
    has_number = _NUMBER_RE.search(question) is not None
    for reason, pattern in _COMPILED:
        if reason in _NUMERIC_REASONS and not has_number:
            continue
        if pattern.search(question):
            return Route("big", reason)
    if _CHAT.search(question) or not _ASKS.search(question):
        return Route("small", "chat")
    return Route("big", "knowledge")


def word_problem(question: str) -> bool:
    """Whether ``question`` is a sum told in words ("three apples, eat one, buy five more: how many?"): two numbers
    or more and an arithmetic or reasoning cue. Small models get these wrong in their heads far more often than
    they write the right expression for them (program-aided answering), so the calculator works them out."""
    return len(_NUMBER_RE.findall(question)) >= 2 and route(question).reason in ("arithmetic", "reasoning")


def declines(start: str) -> bool | None:
    """Whether a reply beginning with ``start`` declines: True, False, or None while it cannot yet be told."""
    text = " ".join(start.split()).lower().replace("’", "'")
    if not text:
        return None
    if any(text.startswith(d) for d in _DECLINES):
        return True
    if any(d.startswith(text) for d in _DECLINES):
        return None
    return False
