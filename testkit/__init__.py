"""Test and benchmark support shared by tests/ and scripts/: a private PulseAudio room, an Xvfb display, audio
simulation, fakes, test screens, a fake desktop portal, tiny models and an OpenAI-compatible test server. Not part
of the app: kept out of its wheel and its frozen build."""
