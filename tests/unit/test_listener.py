"""The listener's half-duplex gate, microphone recovery and push-to-talk finish, with scripted parts."""

import queue
import threading

import numpy as np
import pytest

from assistant.bus import EventBus
from assistant.config import Config, VadConfig
from assistant.contracts.errors import AssistantError, AudioDeviceError
from assistant.contracts.events import ErrorOccurred, ListeningStarted, ListeningStopped, SpeakingStarted, SpeechStarted
from assistant.contracts.types import SAMPLE_RATE, AudioChunk
from assistant.facade import Assistant
from assistant.pipeline.listener import Listener
from assistant.pipeline.segmenter import Segmenter
from audio.sinks import RecordingSink
from testkit.fakes import EnergyVAD, ScriptedLLM, ScriptedSTT, ToneTTS, speech_like
from testkit.helpers import EventLog, wait_until

BLOCK = 512


class LiveSource:
    """A source the test feeds block by block, and can make fail like an unplugged microphone."""

    name = "live"
    exhausted = False
    realtime = True
    hears_speaker = True

    def __init__(self) -> None:
        self.blocks: queue.Queue = queue.Queue()
        self.fail_reads = threading.Event()
        self.refuse_start = 0  # how many start() calls fail before one succeeds
        self.starts = 0
        self.t = 0.0

    def start(self) -> None:
        self.starts += 1
        if self.starts > 1 and self.refuse_start > 0:
            self.refuse_start -= 1
            raise AudioDeviceError("no-input-device", "still unplugged")
        self.fail_reads.clear()

    def stop(self) -> None:
        pass

    def read(self, timeout: float):
        if self.fail_reads.is_set():
            raise AudioDeviceError("input-device-lost", "the microphone went away")
        try:
            return self.blocks.get(timeout=timeout)
        except queue.Empty:
            return None

    def feed(self, samples: np.ndarray) -> int:
        """Queue ``samples`` in blocks; returns how many blocks."""
        for i in range(0, len(samples), BLOCK):
            block = samples[i:i + BLOCK].astype(np.float32)
            self.blocks.put(AudioChunk(block, SAMPLE_RATE, self.t))
            self.t += len(block) / SAMPLE_RATE
        return -(-len(samples) // BLOCK)


def make_listener(source, gate=None):
    bus, log, utterances = EventBus(), EventLog(), []
    bus.subscribe(log)
    listener = Listener(bus, Segmenter(EnergyVAD(), VadConfig(), clock=lambda: source.t), source,
                        utterances.append, gate=gate, retry_s=0.05)
    return listener, log, utterances


def test_closed_gate_drops_the_audio_and_an_open_one_passes_it():
    source, is_open, asked = LiveSource(), threading.Event(), []

    def gate():
        asked.append(is_open.is_set())
        return asked[-1]

    listener, log, utterances = make_listener(source, gate=gate)
    listener.start()
    fed = source.feed(speech_like(1.0)) + source.feed(np.zeros(SAMPLE_RATE, dtype=np.float32))
    assert wait_until(lambda: len(asked) == fed, 5)
    assert not log.of(SpeechStarted) and not utterances  # the assistant's own voice is not heard
    is_open.set()
    source.feed(speech_like(1.0))
    source.feed(np.zeros(SAMPLE_RATE, dtype=np.float32))
    assert wait_until(lambda: len(utterances) == 1, 5)
    listener.stop()


class SettlingEcho:
    """An echo canceller that passes the audio through and says it is settling before ``until`` (s)."""

    def __init__(self, until: float) -> None:
        self.until, self.settling = until, False

    def process(self, chunk: AudioChunk) -> AudioChunk:
        self.settling = chunk.t_start < self.until
        return chunk


def test_while_the_echo_canceller_settles_a_lone_frame_of_sound_starts_no_speech():
    source, starts = LiveSource(), []
    listener = Listener(EventBus(), Segmenter(EnergyVAD(), VadConfig(), clock=lambda: source.t), source,
                        lambda segment: None, echo=SettlingEcho(until=1.0), on_speech_start=starts.append)
    listener.start()
    frame_s = BLOCK / SAMPLE_RATE
    burst = np.concatenate([speech_like(frame_s), np.zeros(BLOCK * 9, np.float32)])  # one frame of sound
    source.feed(np.concatenate([burst, burst]))  # at 0 and 0.32 s, while settling: no speech
    source.feed(np.concatenate([speech_like(16 * frame_s), np.zeros(31 * BLOCK, np.float32)]))  # at 0.64 s
    source.feed(np.concatenate([burst, np.zeros(SAMPLE_RATE, np.float32)]))  # at 2.144 s, settled: speech
    assert wait_until(lambda: len(starts) == 2 and source.blocks.empty(), 5), starts
    # speech that goes on starts at its first frame, also while settling
    assert [s.t_speech_start for s in starts] == pytest.approx([0.64, 2.144])
    listener.stop()


def test_a_lost_microphone_is_reported_and_reopened_when_it_returns():
    source = LiveSource()
    source.refuse_start = 2
    listener, log, utterances = make_listener(source)
    listener.start()
    source.feed(np.zeros(BLOCK, dtype=np.float32))
    log.wait_for(ListeningStarted, 5)
    source.fail_reads.set()
    error = log.wait_for(ErrorOccurred, 5)
    assert error.code == "input-device-lost"
    assert wait_until(lambda: source.starts == 4, 5)  # the first open, two refused retries, the one that worked
    source.feed(speech_like(1.0))
    assert log.until(lambda items: sum(isinstance(e, ListeningStarted) for e in items) == 2, 5)
    assert len(log.of(ErrorOccurred)) == 1  # said once, not at every retry
    source.feed(np.zeros(SAMPLE_RATE, dtype=np.float32))
    assert wait_until(lambda: len(utterances) == 1, 5)  # and it listens again
    listener.stop()
    assert log.of(ListeningStopped)


def test_listening_is_off_when_a_listener_that_cannot_open_its_device_says_it_stopped():
    class Unplugged(LiveSource):
        def start(self) -> None:
            raise AudioDeviceError("no-input-device", "no such microphone")

    assistant = Assistant(Config(), stt=ScriptedSTT(), llm=ScriptedLLM(), vad=EnergyVAD())
    seen = []  # what a subscriber (the GUI) finds when it hears ListeningStopped, however late the listener runs
    assistant.bus.subscribe(lambda e: seen.append(assistant.listening) if isinstance(e, ListeningStopped) else None)
    try:
        listener = assistant.listen(Unplugged(), wake=True)
        assert listener.done.wait(5)
        assert seen == [False] and listener.error is not None
    finally:
        assistant.shutdown()


def test_an_assistant_shut_down_opens_no_microphone_again():
    # A front-end's late reaction (always listening resuming on a ListeningStopped queued before the quit) must
    # not leave a listener reading the microphone of an assistant whose stages are gone.
    assistant = Assistant(Config(), stt=ScriptedSTT(), llm=ScriptedLLM(), vad=EnergyVAD())
    first = assistant.listen(LiveSource(), wake=True)
    assistant.shutdown()
    assert first.done.is_set()
    with pytest.raises(AssistantError) as refused:
        assistant.listen(LiveSource(), wake=True)
    assert refused.value.code == "assistant-closed" and not assistant.listening


def test_stop_listening_returns_at_once_and_the_listener_closes_its_source_on_its_own_thread():
    class SlowToClose(LiveSource):
        def stop(self) -> None:
            closing.wait(5)  # a device whose stream takes seconds to close
            closed.set()

    closing, closed = threading.Event(), threading.Event()
    assistant = Assistant(Config(), stt=ScriptedSTT(), llm=ScriptedLLM(), vad=EnergyVAD())
    log = EventLog()
    assistant.bus.subscribe(log)
    source = SlowToClose()
    listener = assistant.listen(source, wake=True)
    source.feed(np.zeros(BLOCK, dtype=np.float32))
    log.wait_for(ListeningStarted, 5)
    assistant.stop_listening()
    assert not closed.is_set() and not assistant.listening  # returned while the source was still closing
    assert not log.of(ListeningStopped)  # still closing
    closing.set()
    log.wait_for(ListeningStopped, 5)
    assert listener.done.wait(5)
    assistant.shutdown()


def test_finish_turns_what_was_said_so_far_into_an_utterance():
    source = LiveSource()
    listener, log, utterances = make_listener(source)
    listener.start()
    source.feed(speech_like(1.0))  # still speaking: no end-of-turn silence yet
    assert log.until(lambda items: bool(log.of(SpeechStarted)), 5)
    listener.finish()
    assert listener.done.wait(5)
    assert len(utterances) == 1 and len(utterances[0].samples) >= 0.9 * SAMPLE_RATE


def test_half_duplex_keeps_the_microphone_closed_while_a_reply_plays():
    sink = RecordingSink(realtime=True)
    config = Config()
    assistant = Assistant(config, stt=ScriptedSTT(), llm=ScriptedLLM(), tts=ToneTTS(), vad=EnergyVAD(), sink=sink)
    log = EventLog()
    assistant.bus.subscribe(log)
    assert assistant._mic_open()
    turn = assistant.ask("hello")
    log.wait_for(SpeakingStarted)
    assert not assistant._mic_open()
    assistant.wait_turn(turn, 10)
    assert wait_until(assistant._mic_open, 10)  # open again once the audio and its echo are over
    assistant.shutdown()
