"""What the assistant remembers, in the window: the facts the user told it, listed and searched, added, edited,
deleted and exported, and everything forgotten at once (every fact and every past conversation)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.contracts.errors import AssistantError
from assistant.contracts.events import MemoryChanged
from assistant.memory.store import Fact
from assistant.private_files import write_private_text
from ui.i18n import error_text
from ui.theme import set_role

log = logging.getLogger(__name__)

SEARCH_LIMIT = 50
# Translated where shown.
FORGET_EVERYTHING = QT_TRANSLATE_NOOP("MemoryPanel", "Forget every fact and every past conversation? This cannot be "
                                                     "undone.")
ORIGINS = {"conversation": QT_TRANSLATE_NOOP("MemoryPanel", "told in a conversation"),
           "typed": QT_TRANSLATE_NOOP("MemoryPanel", "added on this page or the command line")}


def _tr(text: str) -> str:
    return QCoreApplication.translate("MemoryPanel", text)


def _facts(count: int) -> str:
    if count == 1:
        return QCoreApplication.translate("MemoryPanel", "1 fact")
    return QCoreApplication.translate("MemoryPanel", "{n} facts").format(n=count)


def _sentence(text: str) -> str:
    """The core's messages start in lower case; a status line starts with a capital."""
    return text[:1].upper() + text[1:]


class MemoryPanel(QWidget):
    """The facts of the assistant's memory (``set_memory``; None while there is no assistant).

    Reads and writes on the GUI thread: SQLite answers these in well under a millisecond, and a search makes one
    embedding of its words (about 10 ms) once the memory's thread has loaded the model (until then, and without
    it, search goes by words). The memory publishes ``MemoryChanged`` when a fact is told or forgotten by voice,
    too; ``on_event`` redraws the list then."""

    forgot_everything = Signal(object)  # {"facts": n, "conversations": m}: the history was emptied as well

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.memory = None
        self.unavailable = ""  # why there is no memory, when it is not that the assistant is loading
        self.shown: dict[int, Fact] = {}  # the listed facts by id
        self._note: tuple[str, bool] | None = None  # the last action's outcome (text, is an error)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search what it remembers"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Search memory"))
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setWordWrap(True)
        self.list.setAccessibleName(self.tr("Remembered facts"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setAccessibleName(self.tr("Memory status"))
        self.add_button = QPushButton(self.tr("Add…"))
        self.add_button.setToolTip(self.tr("Tell it something to remember"))
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.edit_button.setToolTip(self.tr("Change the selected fact's words (Enter)"))
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.setToolTip(self.tr("Forget the selected facts (Delete)"))
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save every fact to a JSON file"))
        self.forget_all_button = QPushButton(self.tr("Forget everything…"))
        self.forget_all_button.setToolTip(self.tr("Delete every fact and every past conversation"))
        for button, name in ((self.add_button, self.tr("Add a fact")),
                             (self.edit_button, self.tr("Edit the selected fact")),
                             (self.delete_button, self.tr("Delete the selected facts")),
                             (self.export_button, self.tr("Export the facts")),
                             (self.forget_all_button, self.tr("Forget every fact and every past conversation"))):
            button.setAccessibleName(name)
        edits = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.delete_button):
            edits.addWidget(button)
        whole = QHBoxLayout()
        whole.addWidget(self.export_button)
        whole.addWidget(self.forget_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addLayout(edits)
        layout.addLayout(whole)
        layout.addWidget(self.status)
        self.setMinimumWidth(220)

        self.search.textChanged.connect(self.refresh)
        self.list.itemSelectionChanged.connect(self._enable_buttons)
        self.list.itemDoubleClicked.connect(lambda _item: self._edit())
        self.list.installEventFilter(self)  # Delete, F2 and Enter on the list (in the search box they edit text)
        self.add_button.clicked.connect(self._add)
        self.edit_button.clicked.connect(self._edit)
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button.clicked.connect(self._export)
        self.forget_all_button.clicked.connect(self._forget_everything)
        self.refresh()

    # --- from the app ------------------------------------------------------------------------------

    def set_memory(self, memory, unavailable: str = "") -> None:
        """The assistant's memory (``assistant.memory``), or None while there is no assistant: ``unavailable``
        says why ("" while it is loading)."""
        self.memory, self.unavailable = memory, unavailable
        self.refresh()

    def on_event(self, event) -> None:
        if isinstance(event, MemoryChanged):
            self._reload()  # the last action's outcome stays: the event is most often its echo

    def refresh(self) -> None:
        """Read the facts again (every one, or those the search finds) and say what the memory's state is."""
        self._note = None
        self._reload()

    @property
    def usable(self) -> bool:
        """There is a memory with a database: its facts can be read, and kept while it is on."""
        return self.memory is not None and self.memory.store is not None

    # --- what the user does ------------------------------------------------------------------------

    def selected_facts(self) -> list[Fact]:
        ids = [int(item.data(Qt.ItemDataRole.UserRole)) for item in self.list.selectedItems()]
        return [self.shown[i] for i in ids if i in self.shown]

    def add_fact(self, text: str) -> Fact | None:
        """Keep ``text`` as a fact; a refusal (a secret, memory off) is shown in the status line."""
        if not self.usable:
            return None
        try:
            fact, new = self.memory.remember(text, origin="typed")
        except AssistantError as exc:
            self._say(exc)
            return None
        self._reload(select=[fact.id])
        said = self.tr("Remembered: {fact}") if new else self.tr("Already remembered: {fact}")
        self._say(said.format(fact=fact.text))
        return fact

    def edit_fact(self, fact_id: int, text: str) -> Fact | None:
        """Change a fact's words; a refusal (a secret, an empty fact) is shown in the status line."""
        if not self.usable:
            return None
        try:
            fact = self.memory.update(fact_id, text)  # its new vector is made on the memory's thread
        except AssistantError as exc:
            self._say(exc)
            return None
        self._reload(select=[fact.id])
        self._say(self.tr("Changed to: {fact}").format(fact=fact.text))
        return fact

    def delete_selected(self) -> int:
        """Forget the selected facts; returns how many were forgotten."""
        facts = self.selected_facts()
        if not facts or not self.usable:
            return 0
        try:
            count = self.memory.forget(facts)
        except AssistantError as exc:
            self._say(exc)
            return 0
        self._reload()
        self._say(self.tr("Forgot {facts}.").format(facts=_facts(count)))
        return count

    def export_to(self, path: Path) -> Path | None:
        """Write every fact to ``path`` as JSON, readable by the user alone."""
        if not self.usable:
            return None
        try:
            write_private_text(path, self.memory.store.export_json())
        except AssistantError as exc:
            self._say(exc)
            return None
        except OSError as exc:
            self._say(self.tr("Export failed: {reason}").format(reason=exc.strerror or exc), error=True)
            return None
        self._say(self.tr("Exported to {path}").format(path=path))
        return path

    def forget_everything(self) -> dict[str, int] | None:
        """Delete every fact and every past conversation (asked first, by the button)."""
        if not self.usable:
            return None
        try:
            counts = self.memory.forget_everything()
        except AssistantError as exc:
            self._say(exc)
            return None
        self._reload()
        n = counts["conversations"]
        conversations = self.tr("1 past conversation") if n == 1 else self.tr("{n} past conversations").format(n=n)
        self._say(self.tr("Forgot {facts} and {conversations}.").format(facts=_facts(counts["facts"]),
                                                                         conversations=conversations))
        self.forgot_everything.emit(counts)
        return counts

    def _add(self) -> None:
        text, ok = QInputDialog.getText(self, self.tr("Add to memory"), self.tr("What should the assistant remember?"))
        if ok and text.strip():
            self.add_fact(text)

    def _edit(self) -> None:
        facts = self.selected_facts()
        if len(facts) != 1 or not self.usable:
            return
        text, ok = QInputDialog.getText(self, self.tr("Edit fact"), self.tr("What it remembers:"),
                                        QLineEdit.EchoMode.Normal, facts[0].text)
        if ok and text.strip() != facts[0].text:
            self.edit_fact(facts[0].id, text)

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export memory"), str(Path.home() / "memory.json"),
                                              self.tr("JSON (*.json)"))
        if path:
            self.export_to(Path(path))

    def _forget_everything(self) -> None:
        answer = QMessageBox.question(self, self.tr("Forget everything"), _tr(FORGET_EVERYTHING),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.forget_everything()

    # --- drawing -----------------------------------------------------------------------------------

    def _reload(self, select: list[int] | None = None) -> None:
        query = self.search.text().strip()
        facts: list[Fact] = []
        problem = None
        if self.usable:
            try:
                facts = ([s.item for s in self.memory.find(query, k=SEARCH_LIMIT)] if query
                         else self.memory.facts())
            except AssistantError as exc:  # the database fails: said in the status line
                problem = exc
        keep = set(select) if select is not None else {f.id for f in self.selected_facts()}
        self.list.clear()
        self.shown = {f.id: f for f in facts}
        for fact in facts:
            #: a strftime format: the day a fact was last told
            day = fact.updated_at.astimezone().strftime(self.tr("%d %b %Y"))
            item = QListWidgetItem(f"{fact.text}\n{day}")
            item.setData(Qt.ItemDataRole.UserRole, fact.id)
            item.setToolTip(self._details(fact))
            self.list.addItem(item)
            if fact.id in keep:
                item.setSelected(True)
                self.list.setCurrentItem(item, QItemSelectionModel.SelectionFlag.NoUpdate)
        for widget in (self.search, self.list, self.add_button, self.export_button, self.forget_all_button):
            widget.setEnabled(self.usable)
        self._enable_buttons()
        if problem is not None:
            self._say(problem)
        elif self._note is not None:
            self._show(*self._note)
        else:
            self._show(self._state(len(facts), query), self.memory is not None and self.memory.store is None)

    def _state(self, shown: int, query: str) -> str:
        memory = self.memory
        if memory is None:
            return self.unavailable or self.tr("Memory is loading…")
        if memory.store is None:
            return _sentence(error_text("memory-unavailable", memory.problem)
                             or self.tr("The memory database cannot be used."))
        if query:
            found = self.tr("{facts} found, the best first.").format(facts=_facts(shown))
            lines = [found if shown else self.tr("No match.")]
        else:
            remembered = self.tr("1 thing remembered.") if shown == 1 else self.tr("{n} things remembered.")
            lines = [remembered.format(n=shown) if shown else
                     self.tr("Nothing remembered yet: say “remember that …”, or Add…")]
        if not memory.enabled:
            lines.append(self.tr("Memory is off: nothing new is kept (Settings → Memory)."))
        if memory.embedding_problem:
            lines.append(self.tr("Search finds facts by their words only: {reason}").format(
                reason=memory.embedding_problem))
        return "\n".join(lines)

    @staticmethod
    def _details(fact: Fact) -> str:
        #: a strftime format: when a fact was told
        moment = QCoreApplication.translate("MemoryPanel", "%d %b %Y %H:%M")
        told = fact.created_at.astimezone().strftime(moment)
        origin = _tr(ORIGINS[fact.origin]) if fact.origin in ORIGINS else fact.origin
        lines = [fact.text, QCoreApplication.translate("MemoryPanel", "Kept {when}, {origin}").format(
            when=told, origin=origin)]
        if fact.updated_at != fact.created_at:
            lines.append(QCoreApplication.translate("MemoryPanel", "Changed or told again {when}").format(
                when=fact.updated_at.astimezone().strftime(moment)))
        if fact.said:
            lines.append(QCoreApplication.translate("MemoryPanel", "From: “{said}”").format(said=fact.said))
        return "\n".join(lines)

    def _enable_buttons(self) -> None:
        count = len(self.list.selectedItems()) if self.usable else 0
        self.edit_button.setEnabled(count == 1)
        self.delete_button.setEnabled(count > 0)

    def _say(self, what: AssistantError | str, *, error: bool = False) -> None:
        """The outcome of the user's last action, shown until the next one (or the next search)."""
        if isinstance(what, AssistantError):
            what, error = _sentence(error_text(what.code, what.message)), True
            log.info("memory page: %s", what)
        self._note = (what, error)
        self._show(what, error)

    def _show(self, text: str, error: bool) -> None:
        self.status.setText(text)
        set_role(self.status, "error" if error else "hint")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        plain = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if watched is self.list and event.type() == QEvent.Type.KeyPress and event.modifiers() in plain:
            if event.key() == Qt.Key.Key_Delete:
                self.delete_selected()
                return True
            if event.key() in (Qt.Key.Key_F2, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._edit()
                return True
        return super().eventFilter(watched, event)

    def showEvent(self, event) -> None:
        # Facts may have come from elsewhere meanwhile (`assistant memory add` in a terminal publishes no event).
        self._reload()
        super().showEvent(event)
