"""Draws ui/data/icon.png (the app icon: window, installers, .desktop entry) with the tray icon's code."""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPixmap

from ui.widgets import mic_icon

SIZE = 256

if __name__ == "__main__":
    app = QGuiApplication([])
    pix = QPixmap(SIZE, SIZE)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#1f2a44"))
    p.drawRoundedRect(QRectF(8, 8, SIZE - 16, SIZE - 16), 48, 48)
    p.drawPixmap(48, 48, mic_icon(True, 160).pixmap(160, 160))
    p.end()
    out = Path(__file__).resolve().parent.parent / "ui" / "data" / "icon.png"
    pix.save(str(out))
    print(out)
