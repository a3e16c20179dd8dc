"""Headless core of the local-first voice assistant (no Qt here: see ``ui/``)."""

__version__ = "0.1.0"
