"""The streaming turn, one stage per module: listener (VAD, end of turn) -> listening controller (what heard speech
becomes) -> STT -> LLM (+ write-ahead) -> TTS -> speaker, joined by queues in ``wiring``. ``turns`` owns which turns
are open; every message carries a turn id and a stage drops work whose turn has ended. Every turn ends with exactly
one ``TurnEnded``."""
