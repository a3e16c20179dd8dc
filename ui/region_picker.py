"""The region picker: the screen frozen behind a dimmed overlay; drag a rectangle to ask about that part.

The overlay covers every screen (the virtual desktop) and shows a capture of all of them, so what the user
selects is exactly what was on screen, and the selection maps to the capture's device pixels (HiDPI).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from assistant.screen import ScreenImage

MIN_DRAG = 8  # logical pixels: a click or a twitch is not a selection


class RegionPicker(QWidget):
    picked = Signal(object)  # the cropped ScreenImage
    cancelled = Signal()

    def __init__(self, image: ScreenImage, geometry: QRect | None = None) -> None:
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
                         | Qt.WindowType.Tool)
        self.setWindowTitle("Select a region to ask about")
        self.image = image
        if geometry is None:  # the union of every screen, in logical pixels
            geometry = QRect()
            for screen in QGuiApplication.screens():
                geometry = geometry.united(screen.geometry())
        self.setGeometry(geometry)
        data = image.pixels.tobytes()
        self._pixmap = QPixmap.fromImage(QImage(data, image.width, image.height, 3 * image.width,
                                                QImage.Format.Format_RGB888).copy())
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._start: QPoint | None = None
        self._end: QPoint | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def selection(self) -> QRect:
        if self._start is None or self._end is None:
            return QRect()
        return QRect(self._start, self._end).normalized()

    def to_image_rect(self, rect: QRect) -> tuple[int, int, int, int]:
        """A rectangle in this widget's logical pixels as (left, top, width, height) in the capture's pixels."""
        sx, sy = self.image.width / max(1, self.width()), self.image.height / max(1, self.height())
        left, top = round(rect.left() * sx), round(rect.top() * sy)
        return left, top, round((rect.right() + 1) * sx) - left, round((rect.bottom() + 1) * sy) - top

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawPixmap(self.rect(), self._pixmap)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 110))
        rect = self.selection()
        if rect.isValid():
            left, top, width, height = self.to_image_rect(rect)
            painter.drawPixmap(rect, self._pixmap, QRect(left, top, width, height))  # undimmed inside
            painter.setPen(QPen(QColor("#2f80ed"), 2))
            painter.drawRect(rect)
            painter.setPen(QColor("white"))
            painter.drawText(rect.bottomLeft() + QPoint(4, 16), f"{width} × {height}")
        else:
            painter.setPen(QColor("white"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Drag over the part of the screen to ask about · Esc to cancel")

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._cancel()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._confirm()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self._cancel()
            return
        self._start = self._end = event.position().toPoint()
        self.update()

    def mouseMoveEvent(self, event) -> None:
        if self._start is not None:
            self._end = event.position().toPoint()
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._start is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self._end = event.position().toPoint()
        self._confirm()

    def _confirm(self) -> None:
        rect = self.selection()
        if rect.width() < MIN_DRAG or rect.height() < MIN_DRAG:
            self._start = self._end = None  # too small to mean anything: keep picking
            self.update()
            return
        self.hide()
        self.picked.emit(self.image.crop(*self.to_image_rect(rect)))
        self.deleteLater()

    def _cancel(self) -> None:
        self.hide()
        self.cancelled.emit()
        self.deleteLater()
