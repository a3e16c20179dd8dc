"""The Qt desktop front-end (the only place PySide6 is imported)."""
