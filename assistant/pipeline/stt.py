"""The STT stage: transcribes each utterance (and, during the end-of-turn silence, the speech so far), finds the
wake phrase in always-listening mode, and hands the question on to the LLM stage."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from assistant.bus import EventBus
from assistant.contracts.errors import NoSpeechError
from assistant.contracts.events import SpeechIgnored, TranscriptFinal
from assistant.contracts.ports import SpeechToText
from assistant.contracts.screen import ScreenImage
from assistant.contracts.types import SpeculativeUtterance, Transcript, TurnRequest, Utterance
from assistant.pipeline.languages import as_written
from assistant.pipeline.segmenter import close_pauses
from assistant.pipeline.sentences import sounds_unfinished
from assistant.pipeline.stage import Setting, TurnStage
from assistant.pipeline.turns import TurnTracker
from assistant.pipeline.wake import WakeMatch, WakePhrase
from assistant.pipeline.write_ahead import Prefill

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UseWakePhrase(Setting):
    """Listen for this phrase from now on (new always-listening settings)."""

    wake: WakePhrase


class SttStage(TurnStage):
    """Owns speech to text: ``Utterance``s in, ``TurnRequest``s (and ``Prefill``s) out to ``questions`` (the LLM
    stage's inbox; None: the turn ends with its transcript).

    ``screen_for(transcript)``: (image to ask about, screen target to capture): an attached image, or "my screen".
    ``on_judged(key, unfinished)``: the verdict on the speech so far, for the end of turn. ``wake``: the phrase to
    look for in always-listening mode; ``on_wake(utterance, match)``: the turn that answers the question after the
    phrase, None when it was said alone."""

    role = "stt"

    def __init__(self, bus: EventBus, stt: SpeechToText, tracker: TurnTracker, questions: queue.Queue | None,
                 language: str | None = None, *, chinese_script: str = "simplified",
                 screen_for: Callable[[str], tuple[ScreenImage | None, str]] | None = None,
                 on_judged: Callable[[tuple, bool], None] | None = None, wake: WakePhrase | None = None,
                 on_wake: Callable[[Utterance, WakeMatch], int | None] | None = None,
                 after_load: Callable[[], None] | None = None, inbox: queue.Queue | None = None) -> None:
        super().__init__(bus, stt, tracker, "stt-stage", after_load, inbox)
        self.stt, self.questions, self.language = stt, questions, language
        self.chinese_script = chinese_script
        self._speculative: tuple | None = None  # (key, transcript) of the last speculative run
        # (speech start, match): the phrase heard at a pause earlier in the speech in progress. The whole, heard
        # again with the phrase as the prompt, can leave the phrase out (the prompt reads as said already).
        self._phrase_at_pause: tuple[float, WakeMatch] | None = None
        self.speculative_hits = 0
        self.prefill_llm = True  # hand the speculative transcript to the LLM to prefill (off: for A/B runs)
        self.screen_for, self.on_judged, self.wake, self.on_wake = screen_for, on_judged, wake, on_wake

    def handle(self, utterance: Utterance | SpeculativeUtterance | UseWakePhrase) -> None:
        if isinstance(utterance, UseWakePhrase):
            self.wake = utterance.wake
            return
        if isinstance(utterance, SpeculativeUtterance):
            self._speculative = None
            if not self.inbox.empty():
                if self.on_judged is not None:
                    self.on_judged(utterance.key, False)  # no verdict: the end of turn must not wait for one
                return  # a newer candidate or the final utterance is waiting: this one is already stale
            transcript = self._transcribe(utterance.samples, prompt=utterance.prompt)
            self._speculative = (utterance.key, utterance.prompt, utterance.lead, transcript)
            if utterance.prompt and self.wake is not None and utterance.key:
                match = self.wake.match(transcript.text)
                if match is not None and not self.wake.needs_confirming(transcript):
                    self._phrase_at_pause = (utterance.key[0], match)
            unfinished = sounds_unfinished(transcript.text)
            if self.on_judged is not None:  # mid-sentence ("...capital of"): the user gets longer to go on
                self.on_judged(utterance.key, unfinished)
            # Not in always-listening mode (a prompt, the wake phrase, is set there): the question is the words
            # after the phrase, which only the final turn picks out.
            if self.prefill_llm and self.questions is not None and not utterance.prompt and transcript.text \
                    and not unfinished:
                self.questions.put(Prefill(transcript.text, utterance.key, transcript.language))
            return
        turn_id = utterance.turn_id
        if utterance.wake != "candidate" and not self.tracker.is_open(turn_id):
            return
        t0 = time.monotonic()
        spec = self._speculative
        if spec is not None and utterance.key and spec[:3] == (utterance.key, utterance.prompt, utterance.lead):
            transcript = spec[3]  # transcribed during the silence: the same audio
            self.speculative_hits += 1
        else:
            transcript = self._transcribe(utterance.samples, prompt=utterance.prompt)
        self._speculative = None
        text = transcript.text
        if utterance.wake:
            turn_id, text = self._after_wake_check(utterance, transcript)
            if turn_id is None:
                return
        else:
            text = self._heard_in_full(utterance, text)
        self.tracker.timings(turn_id).mark("stt")
        if not text:
            raise NoSpeechError("No speech heard: the audio held sound but no words I could recognise.")
        self.bus.publish(TranscriptFinal(turn_id=turn_id, text=text, seconds=time.monotonic() - t0))
        if self.questions is None:
            self.tracker.end(turn_id, "completed")
            return
        image, screen = self.screen_for(text) if self.screen_for is not None else (None, "")
        self.questions.put(TurnRequest(turn_id, text, speak=True, t_submitted=utterance.t_speech_end,
                                       image=image, screen=screen, by_voice=True, language=transcript.language))

    def _transcribe(self, samples, prompt: str = "") -> Transcript:
        """What the recognizer heard, as written (``as_written``: Chinese in the user's script, the language read off
        the words where the recognizer did not say it)."""
        transcript = self.stt.transcribe(samples, language=self.language, prompt=prompt)
        text, language = as_written(transcript.text, transcript.language, self.chinese_script)
        if (text, language) == (transcript.text, transcript.language):
            return transcript
        return replace(transcript, text=text, language=language)

    def _heard_in_full(self, utterance: Utterance, question: str) -> str:
        """``question``, or the question heard again when it stops short ("what is the capital of?"): tiny.en can
        drop the words after an in-sentence pause, with the wake phrase as its prompt more often. Heard again with
        the pauses inside the speech shortened (same prompt), it keeps them; in always-listening mode it is heard
        without the prompt next. The first reading that does not stop short wins; none: ``question`` as heard."""
        if not question or not sounds_unfinished(question):
            return question
        tries = []
        closed = close_pauses(utterance.samples)
        if closed is not None:
            tries.append((closed, utterance.prompt))
        if utterance.prompt:
            tries.append((utterance.samples, ""))
        for samples, prompt in tries:
            text = self._transcribe(samples, prompt=prompt).text
            if utterance.wake and self.wake is not None:
                match = self.wake.match(text)
                # With the prompt the phrase is often left out (read as said already): then all of it is the question
                text = match.question if match is not None else (text if prompt else "")
            if text and not sounds_unfinished(text):
                log.info("question heard in full as %r (first read %r)", text, question)
                return text
        return question

    def _after_wake_check(self, utterance: Utterance, transcript: Transcript) -> tuple[int | None, str]:
        """Always-listening mode: (the turn to answer, the question), or (None, "") when there is nothing to
        answer. Speech without the phrase, and sound without words, are dropped quietly: no error, no turn."""
        duration = len(utterance.samples) / 16000
        candidate = utterance.wake == "candidate"
        text = transcript.text
        match = self.wake.match(text) if text and self.wake is not None else None
        at_pause, self._phrase_at_pause = self._phrase_at_pause, None
        if utterance.lead:  # the phrase said alone before this question, heard again with it: not a new wake
            if match is not None and match.question:
                return utterance.turn_id, self._heard_in_full(utterance, match.question)
            # the phrase was not heard again
            text = self._transcribe(utterance.samples[utterance.lead:], prompt=utterance.prompt).text
            match = None
        if match is None and candidate and text and at_pause is not None and utterance.key \
                and at_pause[0] == utterance.key[0]:
            heard = at_pause[1]
            match = WakeMatch(heard=heard.heard, score=heard.score, question=text)  # the phrase, then all of this
        elif match is not None and candidate and utterance.prompt and self.wake.needs_confirming(transcript):
            plain = self._transcribe(utterance.samples).text
            if self.wake.match(plain) is None:  # only the prompt's suggestion heard it: not the phrase
                log.info("wake phrase in %r not confirmed without the prompt (%r)", text, plain)
                match = None
        if match is not None:
            match = WakeMatch(match.heard, match.score, self._heard_in_full(utterance, match.question))
        if not text or (candidate and match is None):
            if not candidate:
                self.tracker.end(utterance.turn_id, "no-speech")
            self.bus.publish(SpeechIgnored(reason="no-words" if not text else "no-wake-phrase", duration=duration))
            return None, ""
        if match is None:  # a follow-up question or a barge-in, without the phrase
            return utterance.turn_id, self._heard_in_full(utterance, text)
        assert self.on_wake is not None
        turn_id = self.on_wake(utterance, match)  # the turn of the question, or None: the phrase alone
        if turn_id is None and not candidate:
            self.tracker.end(utterance.turn_id, "no-speech")  # the phrase again, alone: waiting for the question
        return turn_id, match.question

