"""The interface's language: Qt's translators for the chosen language, and the core's errors shown in it.

English is the source language. ``ui/data/i18n/assistant_<language>.ts`` holds a translation (edited with Qt
Linguist or by hand) and the ``.qm`` beside it is what the app loads; ``scripts/update_translations.py`` picks up
new strings and compiles them. The language is the ``ui.language`` setting: "auto" follows the system locale,
which is English wherever no translation fits it (the C/POSIX locale included).

The core (``assistant``) writes its messages in English and knows nothing of Qt; the UI shows a core error under
its code's summary from the catalog, translated (``error_text``), and keeps the English detail below it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from assistant.contracts.errors import CATALOG, ui_message

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).resolve().parent / "data" / "i18n"
APP_CATALOG = "assistant"  # assistant_<language>.qm
# The context of the error catalog's summaries in the .ts (scripts/update_translations.py marks them from CATALOG).
CATALOG_CONTEXT = "ErrorCatalog"
# The context of the core's messages for people (assistant.contracts.messages.Message), found in its source.
MESSAGES_CONTEXT = "CoreMessages"


def system_locale() -> QLocale:
    """The desktop's locale (a function of its own so tests can stand in another)."""
    return QLocale.system()


def ui_locale(language: str) -> QLocale:
    """The locale of the ``ui.language`` setting: "auto" is the system's, else the language named."""
    return system_locale() if language == "auto" else QLocale(language)


def install_translators(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Install the app's translation for ``language`` and Qt's own (standard dialogs' buttons) where there is one;
    returns those installed (none for English). Call before any widget is made: texts are translated when set."""
    locale = ui_locale(language)
    installed = []
    qt_translations = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name, folder in ((APP_CATALOG, str(I18N_DIR)), ("qtbase", qt_translations)):
        translator = QTranslator(app)
        # Tries the locale's UI languages in turn (zh_CN, zh, ...): nothing is loaded for English or C.
        if translator.load(locale, name, "_", folder) and app.installTranslator(translator):
            installed.append(translator)
    if installed:  # dates and numbers in the interface's language, as its words are
        QLocale.setDefault(locale)
    log.info("interface language: %s (%s)", locale.name(), ", ".join(t.filePath() for t in installed) or "English")
    return installed


def remove_translators(app: QCoreApplication, translators: list[QTranslator]) -> None:
    for translator in translators:
        app.removeTranslator(translator)
    QLocale.setDefault(system_locale())


def error_summary(code: str) -> str | None:
    """The catalog's one-line summary of ``code`` in the interface's language; None where there is no translation
    of it (English, or a code the catalog does not know): the message alone says it then."""
    entry = CATALOG.get(code)
    if entry is None:
        return None
    summary = QCoreApplication.translate(CATALOG_CONTEXT, entry.summary)
    return None if summary == entry.summary else summary


def said(text: str) -> str:
    """A message of the core in the interface's language: a ``Message``'s template translated, its values filled
    in; other text (and a template without a translation) as it came."""
    template = getattr(text, "template", None)
    if template is None:
        return text
    translated = QCoreApplication.translate(MESSAGES_CONTEXT, template)
    try:
        return translated.format(**text.values)
    except (KeyError, IndexError, ValueError):  # a translation that names another value: the English is right
        log.warning("translation of %r does not fit its values", template)
        return str(text)


def error_text(code: str, message: str, note: str = "") -> str:
    """A core error as the UI shows it: ``message`` (the core's, in English) without the advice only the command
    line can follow, then ``note`` (the UI's own words about it, translated). In a translated interface the code's
    summary comes first in that language, the English message below it so no detail is lost. An error the UI words
    itself has no message: its note alone is shown."""
    detail = ui_message(code, message) if message else ""
    if not detail:
        return note
    summary = error_summary(code)
    if summary is None:
        return f"{detail.rstrip('.')}. {note}" if note else detail
    return "\n".join(part for part in (summary, note, detail) if part)
