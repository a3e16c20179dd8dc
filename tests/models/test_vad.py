import numpy as np

from assistant.config import VadConfig
from assistant.contracts.types import AudioChunk
from assistant.pipeline.segmenter import Segmenter, SpeechSegment
from audio.files import read_audio
from testkit.helpers import eval_clips, noise, tone, wer


def test_real_speech_is_speech_and_noise_is_not(vad):
    speech = read_audio(eval_clips()[6][0])  # a 9.7 s LJ Speech sentence
    assert vad.speech_fraction(speech) > 0.6
    assert vad.speech_fraction(np.zeros(32000, np.float32)) == 0.0
    assert vad.speech_fraction(noise(2.0, amp=0.1)) < 0.05
    assert vad.speech_fraction(tone(2.0, 440.0)) < 0.05


def test_segmenting_real_speech_loses_no_words(vad, stt):
    """Each shared clip, padded with silence and cut into turns by Silero VAD + the segmenter, gives the
    same words as transcribing the whole clip: the pre-roll keeps first syllables, the tail keeps last ones."""
    refs, hyps = [], []
    for path, _ in eval_clips():
        clip = read_audio(path)
        audio = np.concatenate([np.zeros(8000, np.float32), clip, np.zeros(16000, np.float32)])
        seg = Segmenter(vad, VadConfig())
        vad.reset()
        out = []
        for i in range(0, len(audio), 512):
            out += seg.push(AudioChunk(audio[i: i + 512], 16000, i / 16000))
        out += seg.finish()
        segments = [e for e in out if isinstance(e, SpeechSegment)]
        assert segments, path.name
        refs.append(stt.transcribe(clip).text)
        hyps.append(" ".join(stt.transcribe(s.samples).text for s in segments))
    print("segmented vs whole-clip WER", wer(refs, hyps))
    assert wer(refs, hyps) <= 0.05
