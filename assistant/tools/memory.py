"""The memory as tools: remember a fact, say what is remembered, forget one fact or everything, recall what was
said in past conversations. The intent matcher answers the plain requests ("remember that my car is on level B3",
"what do you know about me?", "forget where my car is", "forget everything", "what did we say about the printer
last week?") without the model; the model may call the same tools.

Forgetting everything asks first. A secret (a password, a card number, a key) is refused, never kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.contracts.tools import Tool, ToolCall, ToolContext, ToolResult
from assistant.memory.service import SIMILAR, Memory
from assistant.memory.store import Fact, RecalledTurn
from assistant.tools.intents import Heard

_LEAD = r"^(?:hey |ok |okay |so |and )?(?:(?:can|could|would|will) you )?(?:please )?"
_REMEMBER = re.compile(_LEAD + r"(?:remember|memori[sz]e|make a note|note|keep in mind|don't forget|do not forget|"
                       r"never forget|save)(?: that| this| the fact that|:|,)?\s+(?!to\b|when\b|what\b|where\b|who\b|"
                       r"how\b|if\b|me\b|anything\b|everything\b)(?P<fact>.+?)[.!]?$", re.I)
# What people tell about themselves without "remember that": a narrow set, each plainly a lasting fact.
_DISCLOSED = re.compile(r"^(?:(?:my name is|call me|i am called|i'm called) [\w .'-]{1,40}|"
                        r"my (?:[\w']+ ){0,2}birthday is .{3,40}|i(?:'m| am) allergic to .{2,60}|"
                        r"i(?:'m| am) (?:a )?(?:vegetarian|vegan|pescatarian|diabetic|lactose intolerant)|"
                        r"i prefer .{2,60}|i live in .{2,60})[.!]?$", re.I)
_LIST = re.compile(_LEAD + r"(?:tell me )?(?:what (?:do|else do) you (?:know|remember) about me|what have i told you"
                   r"(?: about me(?:self)?)?|what do you remember|what facts do you (?:know|have|remember)"
                   r"(?: about me)?|(?:list|show|tell me|read)(?: me)?(?: all)? (?:my|your|the) (?:memories|memory|"
                   r"facts|saved facts)|"
                   r"what(?:'s| is) in your memory|what do you have (?:saved|stored|remembered)(?: about me)?)$")
_FORGET_ALL = re.compile(_LEAD + r"(?:(?:forget|erase|delete|clear|wipe|remove) (?:everything|all)(?: (?:you know|"
                         r"you know about me|about me|i(?:'ve| have)? told you|you remember|of it|my (?:data|memories|"
                         r"facts)|your memory|your memories|memories|facts))?|(?:clear|erase|wipe|delete|reset) (?:all "
                         r"(?:of )?)?(?:your|my|the) memor(?:y|ies))$")
_FORGET = re.compile(_LEAD + r"forget (?:about |that |the fact that |what i said about |what i told you about )?"
                     r"(?!it$|that$|this$|about it$|everything|all\b)(?P<about>.+?)[.!]?$", re.I)
_WHEN = (r"(?P<when> (?:last week|yesterday|today|this week|last month|this month|earlier|before|"
         r"the other day))?$")
_RECALL = [
    re.compile(_LEAD + r"(?:what|when) did (?:we|i|you) (?:say|said|talk|discuss|chat|speak|tell you|tell me|ask|"
               r"ask you|mention|decide)(?: about| regarding| of| on)? (?P<topic>.+?)" + _WHEN),
    re.compile(_LEAD + r"(?:did|have) (?:we|i) (?:ever )?(?:talk|talked|spoke|speak|discuss|discussed|chat|chatted|"
               r"mention|mentioned|ask|asked)(?: you)?(?: about)? (?P<topic>.+?)" + _WHEN),
    re.compile(_LEAD + r"(?:remind me|tell me) what (?:we|i|you) (?:said|talked about|discussed|decided|told you)"
               r"(?: about| regarding| on)? (?P<topic>.+?)" + _WHEN),
    re.compile(_LEAD + r"do you remember (?:what (?:we|i) (?:said|talked|discussed)(?: about)? |when (?:we|i) "
               r"(?:talked|asked|spoke) about |our (?:talk|conversation|chat) about )(?P<topic>.+?)" + _WHEN),
]

# First person in a fact as told, second person as said back: "my car" -> "your car".
_FLIP = {"i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "i'm": "you're",
         "i've": "you've", "i'll": "you'll", "i'd": "you'd", "am": "are", "we": "you", "our": "your", "us": "you",
         "ours": "yours", "was": "was"}


def second_person(fact: str) -> str:
    """A fact told in the first person as the assistant says it back ("I prefer tea" -> "you prefer tea")."""
    words = fact.split(" ")
    out = []
    for i, word in enumerate(words):
        core = word.rstrip(".,;:!?")
        tail = word[len(core):]
        low = core.lower()
        if low == "am" and (i == 0 or words[i - 1].lower() not in ("i", "and")):
            out.append(word)  # "8 am" stays
            continue
        flipped = _FLIP.get(low)
        out.append((flipped + tail) if flipped else word)
    text = " ".join(out)
    return text[:1].lower() + text[1:] if text[:4] in ("You ", "Your") else text


def _since(when: str, now: datetime) -> datetime | None:
    when = when.strip()
    if when in ("today",):
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = {"yesterday": 2, "this week": 7, "last week": 14, "the other day": 7, "this month": 31,
            "last month": 62}.get(when)
    return now - timedelta(days=days) if days else None


def _when(moment: datetime, now: datetime) -> str:
    local, today = moment.astimezone(), now.astimezone()
    days = (today.date() - local.date()).days
    if days == 0:
        return "Earlier today"
    if days == 1:
        return "Yesterday"
    if days < 7:
        return f"On {local:%A}"
    return f"On {local:%B} {local.day}"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


class MemoryTools:
    """The memory family; ``now`` gives the current aware time (tests may fix it)."""

    def __init__(self, memory: Memory, now: Callable[[], datetime] | None = None) -> None:
        self.memory = memory
        self.now = now or (lambda: datetime.now(UTC))

    # --- the tools ---------------------------------------------------------------------------------

    def remember(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        fact, new = self.memory.remember(str(arguments.get("fact", "")), said=str(arguments.get("said", "")),
                                         origin="conversation")
        told = second_person(fact.text)
        said = f"Okay, I'll remember that {told}." if new else f"I already knew that {told}."
        return ToolResult(said, {"fact": fact.text, "id": fact.id, "new": new})

    def list_facts(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        facts = self.memory.facts()
        if not facts:
            return ToolResult("You haven't told me anything to remember yet. Say \"remember that\" and the fact.",
                              {"facts": []})
        spoken = [second_person(f.text) for f in facts[:5]]
        more = len(facts) - len(spoken)
        said = f"You've told me {len(facts)} thing{'s' if len(facts) != 1 else ''}: " + "; ".join(spoken)
        said += f"; and {more} more, all on the Memory page." if more else "."
        return ToolResult(said, {"facts": [f.text for f in facts]})

    def forget(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        about = str(arguments.get("about", "")).strip()
        found = [s for s in self.memory.find(about, k=3) if s.words_matched or (s.similarity or 0) >= SIMILAR]
        if not about or not found:
            return ToolResult(f"I don't have anything about {about or 'that'} to forget.", {"forgotten": []})
        fact: Fact = found[0].item
        self.memory.forget([fact])
        return ToolResult(f"Okay, I've forgotten that {second_person(fact.text)}.", {"forgotten": [fact.text]})

    def forget_everything(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        counts = self.memory.forget_everything()
        facts, talks = counts["facts"], counts["conversations"]
        return ToolResult(f"Done: I've forgotten everything, {facts} fact{'s' if facts != 1 else ''} and {talks} past "
                          f"conversation{'s' if talks != 1 else ''}.", counts)

    def _ask_forget_everything(self, arguments: Mapping[str, Any]) -> str:
        return "Forget everything you've told me and every past conversation? This cannot be undone."

    def recall(self, arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
        topic = str(arguments.get("topic", "")).strip()
        when = str(arguments.get("when", "") or "").strip()
        now = self.now()
        since = _since(when, now)
        turns = self.memory.recall(topic, k=3, since=since)
        turns = [s for s in turns if s.words_matched or (s.similarity or 0) >= SIMILAR]
        facts = [s for s in self.memory.find(topic, k=1) if s.words_matched or (s.similarity or 0) >= SIMILAR]
        if not turns and not facts:
            return ToolResult(f"I don't remember us talking about {topic}{' ' + when if when else ''}.",
                              {"turns": []})
        parts = []
        if facts:
            parts.append(f"You told me that {second_person(facts[0].item.text)}.")
        if turns:
            turn: RecalledTurn = turns[0].item
            parts.append(f"{_when(turn.created_at, now)} you asked: \"{_short(turn.question, 120)}\" "
                         f"and I said: \"{_short(turn.answer)}\"")
        return ToolResult(" ".join(parts), {"turns": [{"id": s.item.id, "question": s.item.question,
                                                       "answer": s.item.answer,
                                                       "at": s.item.created_at.isoformat(timespec="seconds")}
                                                      for s in turns]})

    def tools(self) -> list[Tool]:
        # Names and keywords are single, uncommon words: the toolbox offers a tool to the model when a question's
        # words meet them ("forget_all" offered "all" to every question with "all" in it).
        text = {"type": "string"}
        return [
            Tool("memory.remember", "Remember a fact the user tells about themselves, in their words.",
                 {"type": "object", "properties": {"fact": {**text, "description": "the fact, e.g. 'my car is on "
                                                            "level B3'"},
                                                   "said": {**text, "description": "the user's request, as said"}},
                  "required": ["fact"], "additionalProperties": False}, self.remember,
                 family="memory", keywords=("memorize", "memorise")),
            Tool("memory.told", "Say what the user has told you to remember about them.",
                 {"type": "object", "properties": {}, "additionalProperties": False}, self.list_facts,
                 family="memory", keywords=("memories", "remember")),
            Tool("memory.forget", "Forget one remembered fact, found by what it is about.",
                 {"type": "object", "properties": {"about": {**text, "description": "what the fact is about"}},
                  "required": ["about"], "additionalProperties": False}, self.forget,
                 family="memory", keywords=("forget",)),
            Tool("memory.wipe", "Forget everything: every remembered fact and every past conversation.",
                 {"type": "object", "properties": {}, "additionalProperties": False}, self.forget_everything,
                 changes=True, family="memory", keywords=("forget", "erase"), ask=self._ask_forget_everything),
            Tool("memory.recall", "Find what was said in past conversations about a topic.",
                 {"type": "object", "properties": {"topic": text, "when": {
                     **text, "description": "optional: today, yesterday, this week, last week, last month"}},
                  "required": ["topic"], "additionalProperties": False}, self.recall,
                 family="memory", keywords=("remember", "talked", "discussed", "conversation")),
        ]

    # --- the matchers ------------------------------------------------------------------------------

    def matchers(self) -> list[Callable[[Heard], ToolCall | None]]:
        return [self._match]

    def _match(self, heard: Heard) -> ToolCall | None:
        norm = heard.norm
        said = heard.text.strip()
        if _FORGET_ALL.match(norm):
            return ToolCall("memory.wipe", {})
        if _LIST.match(norm):
            return ToolCall("memory.told", {})
        for pattern in _RECALL:
            found = pattern.match(norm)
            if found:
                return ToolCall("memory.recall", {"topic": found.group("topic"),
                                                  **({"when": found.group("when").strip()}
                                                     if found.group("when") else {})})
        if "?" in said:
            return None
        found = _REMEMBER.match(said)  # the words as said: "level B3", not the matchers' lower case
        if found:
            return ToolCall("memory.remember", {"fact": found.group("fact"), "said": said})
        if _DISCLOSED.match(said):
            fact = re.sub(r"^(?:call me|i am called|i'm called)\b", "I'd like to be called", said, flags=re.I)
            return ToolCall("memory.remember", {"fact": fact, "said": said})
        found = _FORGET.match(norm)
        if found:
            return ToolCall("memory.forget", {"about": found.group("about")})
        return None
