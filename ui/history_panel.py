"""Past conversations: list, search, open, delete, export to Markdown."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.history import HistoryError, HistoryStore
from ui.i18n import error_text
from ui.theme import set_role

log = logging.getLogger(__name__)


class HistoryPanel(QWidget):
    """Reads the store on the GUI thread (SQLite answers these in well under a millisecond)."""

    conversation_opened = Signal(int)
    conversation_deleted = Signal(int)

    def __init__(self, store: HistoryStore | None, unavailable_reason: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search conversations"))
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.status = QLabel(unavailable_reason)
        self.status.setWordWrap(True)
        set_role(self.status, "hint")
        self.delete_button = QPushButton(self.tr("Delete"))
        self.export_button = QPushButton(self.tr("Export…"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.setMinimumWidth(220)
        self.search.textChanged.connect(self.refresh)
        self.list.itemActivated.connect(self._open)
        self.list.itemClicked.connect(self._open)
        self.delete_button.clicked.connect(self._delete)
        self.export_button.clicked.connect(self._export)
        for w in (self.search, self.list, self.delete_button, self.export_button):
            w.setEnabled(store is not None)
        self.refresh()

    def selected_id(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def refresh(self) -> None:
        if self.store is None:
            return
        query = self.search.text().strip()
        try:
            rows = self.store.search(query) if query else self.store.conversations()
        except HistoryError as exc:
            self.status.setText(error_text(exc.code, exc.message))
            return
        current = self.selected_id()
        self.list.clear()
        for row in rows:
            #: a strftime format: the date and time a conversation was last continued
            when = row.updated_at.astimezone().strftime(self.tr("%d %b %H:%M"))
            turns = (self.tr("{n} turn") if row.turn_count == 1 else self.tr("{n} turns")).format(n=row.turn_count)
            item = QListWidgetItem(f"{row.title or self.tr('Untitled')}\n{when} · {turns}")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setToolTip(row.title)
            self.list.addItem(item)
            if row.id == current:
                self.list.setCurrentItem(item)
        self.status.setText("" if rows else (self.tr("No match.") if query else self.tr("No conversations yet.")))

    def _open(self, item: QListWidgetItem) -> None:
        self.conversation_opened.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def delete_conversation(self, conversation_id: int) -> None:
        assert self.store is not None
        try:
            self.store.delete(conversation_id)
        except HistoryError as exc:
            self.status.setText(error_text(exc.code, exc.message))
            return
        self.conversation_deleted.emit(conversation_id)
        self.refresh()

    def export_conversation(self, conversation_id: int, path: Path) -> Path | None:
        assert self.store is not None
        try:
            written = self.store.export_markdown_file(conversation_id, path)
        except (HistoryError, OSError) as exc:
            reason = error_text(exc.code, exc.message) if isinstance(exc, HistoryError) else str(exc)
            self.status.setText(self.tr("Export failed: {reason}").format(reason=reason))
            return None
        self.status.setText(self.tr("Exported to {path}").format(path=written))
        return written

    def _delete(self) -> None:
        if (cid := self.selected_id()) is None:
            return
        answer = QMessageBox.question(self, self.tr("Delete conversation"),
                                      self.tr("Delete this conversation for good?"))
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_conversation(cid)

    def _export(self) -> None:
        if (cid := self.selected_id()) is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export conversation"),
                                              str(Path.home() / "conversation.md"), self.tr("Markdown (*.md)"))
        if path:
            self.export_conversation(cid, Path(path))
