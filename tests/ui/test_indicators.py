"""The mapping from the app's state to the indicators, without widgets."""

import dataclasses

import pytest

from ui.indicators import AppState, listening_indicator, overall_state

IDLE = AppState(muted=False, listen_mode=None, always_listening=False, mic_live=False, mic_lost=False,
                has_assistant=True, chat_ready=True, awake=False, open_turn=None, speaking=False,
                wake_phrase="hey assistant", barge_in=True)


@pytest.mark.parametrize(("changes", "mode", "detail"), [
    ({}, "off", ""),
    ({"mic_live": True, "listen_mode": "one-shot"}, "listening", ""),
    ({"muted": True, "always_listening": True}, "muted", ""),
    ({"always_listening": True}, "starting", "Opening the microphone…"),
    ({"always_listening": True, "has_assistant": False}, "starting", "Waiting for speech recognition…"),
    ({"listen_mode": "wake", "mic_lost": True}, "starting", "Microphone lost: reconnecting…"),
    ({"listen_mode": "wake", "mic_live": True}, "waiting", ""),
    ({"listen_mode": "wake", "mic_live": True, "awake": True}, "awake", ""),
    ({"listen_mode": "wake", "mic_live": True, "awake": True, "open_turn": 3}, "waiting", ""),
])
def test_listening_indicator(changes, mode, detail):
    assert listening_indicator(dataclasses.replace(IDLE, **changes)) == (mode, detail)


@pytest.mark.parametrize(("changes", "state"), [
    ({}, "idle"),
    ({"chat_ready": False}, "loading"),
    ({"has_assistant": False}, "loading"),
    ({"open_turn": 1, "speaking": True}, "speaking"),
    ({"open_turn": 1}, "thinking"),
    ({"mic_live": True, "listen_mode": "one-shot"}, "listening"),
    ({"mic_live": True, "listen_mode": "wake"}, "idle"),  # waiting for the phrase: nothing said is answered yet
    ({"muted": True}, "muted"),
])
def test_overall_state(changes, state):
    s = dataclasses.replace(IDLE, **changes)
    assert overall_state(s, listening_indicator(s)[0]) == state
