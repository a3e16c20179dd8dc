"""The Qt binding keeps Python's reference counts straight: PySide6 6.12.0 on Python 3.11 dropped a reference to None
on every Qt call that returns nothing, and the app aborted ("deallocating None") once a window had painted for a
few minutes (pyproject.toml excludes that release)."""

import sys

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QLabel

CALLS = 500  # fewer than None's references at start-up: a leaking binding shows here without aborting the tests


def test_qt_calls_that_return_nothing_leave_none_counted(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    point = QPointF()
    calls = {"QLabel.setText": lambda: label.setText("a"), "QWidget.update": label.update,
             "QPainter.drawRect": lambda: painter.drawRect(QRectF(0, 0, 1, 1)),
             "QPainter.setPen": lambda: painter.setPen(QColor(0, 0, 0)), "QPointF.setX": lambda: point.setX(1.0)}
    dropped = {}
    try:
        for name, call in calls.items():
            before = sys.getrefcount(None)
            for _ in range(CALLS):
                call()
            dropped[name] = before - sys.getrefcount(None)
    finally:
        painter.end()
    assert {name: n for name, n in dropped.items() if n >= CALLS // 2} == {}
