"""The conversation history in the app: the store, the recorder that fills it, and the panel that lists it.

Opening a past conversation shows it and continues it (the assistant gets its turns back as context); a new
conversation starts empty. The history is optional: when its database cannot be opened the app works without
it and the panel says why."""

from __future__ import annotations

from PySide6.QtCore import QObject

from assistant.bus import EventBus
from assistant.history import HistoryError, HistoryRecorder, HistoryStore, restore_conversation
from ui.history_panel import HistoryPanel
from ui.i18n import error_text


class ConversationHistory(QObject):
    """Keeps the store, the recorder and the panel in step with the conversation on screen and in the core."""

    def __init__(self, app, bus: EventBus, store: HistoryStore | None) -> None:
        super().__init__(app)
        self.app = app
        problem = ""
        if store is None:
            try:
                store = HistoryStore()
            except HistoryError as exc:
                problem = error_text(exc.code, exc.message)
        self.store = store
        # Subscribed before the app's bridge: the bus delivers in order, so a turn is in the history store before
        # the GUI hears that it ended (and the panel, refreshed then, lists it).
        self.recorder = (HistoryRecorder(store, bus, enabled=lambda: app.config.privacy.save_history)
                         if store is not None else None)
        self.panel = HistoryPanel(store, problem)

    def connect_panel(self) -> None:
        self.panel.conversation_opened.connect(self.open_conversation)
        self.panel.conversation_deleted.connect(self._on_deleted)

    def new_conversation(self) -> None:
        if self.app.assistant is not None:
            self.app.assistant.conversation.clear()
        if self.recorder is not None:
            self.recorder.start_new_conversation()
        self.panel.refresh()

    def open_conversation(self, conversation_id: int) -> None:
        if self.store is None:
            return
        try:
            turns = self.store.turns(conversation_id)
        except HistoryError as exc:
            self.app.window.show_error(exc.message, exc.code)
            return
        view = self.app.window.conversation
        view.clear()
        for turn in turns:
            status = {"interrupted": self.tr("Stopped"), "error": turn.error or self.tr("Failed")}.get(turn.outcome, "")
            view.add_past_turn(turn.question, turn.answer, status, turn.created_at)
        if self.recorder is not None:
            self.recorder.continue_conversation(conversation_id)
        if self.app.assistant is not None:
            restore_conversation(self.app.assistant.conversation, self.store, conversation_id)

    def assistant_changed(self, assistant) -> None:
        """A new assistant continues the conversation on screen."""
        if self.recorder is not None and self.recorder.current_conversation is not None:
            restore_conversation(assistant.conversation, self.store, self.recorder.current_conversation)

    def turn_ended(self) -> None:
        self.panel.refresh()

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
        if self.store is not None:
            self.store.close()

    def _on_deleted(self, conversation_id: int) -> None:
        if self.recorder is not None and self.recorder.current_conversation == conversation_id:
            self.app.window.conversation.clear()
            self.new_conversation()
