"""The region picker: the screen frozen behind a dimmed overlay; drag a rectangle to ask about that part.

The overlay covers every screen (the virtual desktop) and shows a capture of all of them, so what the user
selects is exactly what was on screen. The selection is made in the overlay's logical pixels and mapped to
the capture's device pixels: on a HiDPI screen one logical pixel is ``scale`` device pixels, computed per axis
from the capture's size and the overlay's (the capture and the overlay both span the whole virtual desktop).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from assistant.contracts.errors import AssistantError
from assistant.contracts.screen import ScreenImage
from ui import theme

MIN_DRAG = 8  # logical pixels: a click or a twitch is not a selection


def virtual_desktop() -> QRect:
    """The union of every screen's geometry, in logical pixels."""
    geometry = QRect()
    for screen in QGuiApplication.screens():
        geometry = geometry.united(screen.geometry())
    return geometry


class RegionPicker(QWidget):
    """Emits ``picked(ScreenImage)`` with the selected part of ``image`` (in its device pixels), or ``cancelled``
    (Esc, right click). A drag confirms on release; Enter confirms the selection shown."""

    picked = Signal(object)  # the cropped ScreenImage
    cancelled = Signal()

    def __init__(self, image: ScreenImage, geometry: QRect | None = None) -> None:
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
                         | Qt.WindowType.Tool)
        self.setWindowTitle(self.tr("Select a region to ask about"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.image: ScreenImage | None = image
        self.setGeometry(geometry if geometry is not None else virtual_desktop())
        qimage = QImage(image.pixels.tobytes(), image.width, image.height, 3 * image.width,
                        QImage.Format.Format_RGB888)
        self._pixmap = QPixmap.fromImage(qimage)  # a deep copy: the bytes above may go
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._start: QPoint | None = None
        self._end: QPoint | None = None
        self._done = False

    # --- geometry ---------------------------------------------------------------------------------------

    def selection(self) -> QRect:
        """The dragged rectangle in logical pixels, from the press point to the pointer (not inclusive)."""
        if self._start is None or self._end is None:
            return QRect()
        left, top = min(self._start.x(), self._end.x()), min(self._start.y(), self._end.y())
        return QRect(left, top, abs(self._end.x() - self._start.x()), abs(self._end.y() - self._start.y()))

    def scale(self) -> tuple[float, float]:
        """Device pixels per logical pixel, per axis (2.0 on a 200 % screen)."""
        width, height = (self.image.width, self.image.height) if self.image is not None else (1, 1)
        return width / max(1, self.width()), height / max(1, self.height())

    def to_image_rect(self, rect: QRect) -> tuple[int, int, int, int]:
        """A rectangle in this widget's logical pixels as (left, top, width, height) in the capture's pixels."""
        sx, sy = self.scale()
        left, top = round(rect.x() * sx), round(rect.y() * sy)
        right, bottom = round((rect.x() + rect.width()) * sx), round((rect.y() + rect.height()) * sy)
        return left, top, right - left, bottom - top

    # --- drawing ----------------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawPixmap(self.rect(), self._pixmap)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 110))
        rect = self.selection()
        if rect.width() > 0 and rect.height() > 0:
            left, top, width, height = self.to_image_rect(rect)
            painter.drawPixmap(rect, self._pixmap, QRect(left, top, width, height))  # undimmed inside
            painter.setPen(QPen(QColor(theme.current().accent), 2))
            painter.drawRect(rect)
            label = f"{width} × {height}"
            at = rect.bottomLeft() + QPoint(4, 18)
            if at.y() > self.height() - 4:  # no room under the selection: write it inside
                at = rect.topLeft() + QPoint(4, 16)
            painter.setPen(QColor(theme.PICTURE_SHADOW))
            painter.drawText(at + QPoint(1, 1), label)
            painter.setPen(QColor(theme.OVER_PICTURE))
            painter.drawText(at, label)
        else:
            painter.setPen(QColor(theme.OVER_PICTURE))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             self.tr("Drag over the part of the screen to ask about · Esc or right click to cancel"))

    # --- input ------------------------------------------------------------------------------------------

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
        elif event.button() == Qt.MouseButton.LeftButton:
            self._start = self._end = event.position().toPoint()
            self.update()

    def mouseMoveEvent(self, event) -> None:
        if self._start is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._end = event.position().toPoint()
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._start is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self._end = event.position().toPoint()
        self._confirm()

    def _confirm(self) -> None:
        rect = self.selection()
        if self._done or self.image is None or rect.width() < MIN_DRAG or rect.height() < MIN_DRAG:
            self._start = self._end = None  # too small to mean anything: keep picking
            self.update()
            return
        try:
            region = self.image.crop(*self.to_image_rect(rect))
        except AssistantError:  # outside the capture (cannot happen with a matching overlay): keep picking
            self._start = self._end = None
            self.update()
            return
        self._finish()
        self.picked.emit(region)

    def _cancel(self) -> None:
        if not self._done:
            self._finish()
            self.cancelled.emit()

    def _finish(self) -> None:
        """Close and let go of the frozen screen at once: it lives in memory only as long as it is needed."""
        self._done = True
        self.image = None
        self._pixmap = QPixmap()
        self.close()  # WA_DeleteOnClose
