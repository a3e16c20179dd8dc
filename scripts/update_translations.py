"""Update the interface's translations: new strings into each ``ui/data/i18n/assistant_<language>.ts``, then the
``.qm`` the app loads compiled from it.

    python scripts/update_translations.py          # after changing strings in ui/*.py
    (translate what is marked unfinished: Qt Linguist, or any editor; the test suite fails until it is done)
    python scripts/update_translations.py          # again, to compile the .qm

pyside6-lupdate reads the ``tr()``, ``QCoreApplication.translate()`` and ``QT_TRANSLATE_NOOP()`` calls of
``ui/*.py``. Three sets of texts live elsewhere, and are marked here for it in a generated file: the settings
dialog's fields (``ui.settings_fields.shown_texts``), the summaries of the core's error catalog
(``assistant.contracts.errors.CATALOG``, shown over the core's English messages) and the templates of the core's
``Message``s (a model's loading progress), found as literals in its source (``core_messages``). Messages no longer
in the source are dropped; locations are left out so the .ts changes only where a text does.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.contracts.errors import CATALOG  # noqa: E402
from ui.i18n import CATALOG_CONTEXT, I18N_DIR, MESSAGES_CONTEXT  # noqa: E402
from ui.settings_fields import FIELDS, shown_texts  # noqa: E402


def tool(name: str) -> str:
    """A Qt tool of the PySide6 install this Python runs (beside it in a virtualenv), else from the PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: install PySide6 (pip install PySide6) in this Python's environment")
    return found


def core_messages() -> list[str]:
    """The templates of every ``Message("...")`` written in the core and the model adapters."""
    found = []
    for folder in ("assistant", "models", "audio"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Message" and node.args \
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    found.append(node.args[0].value)
    return list(dict.fromkeys(found))


def marks() -> str:
    """Python source marking the texts that are data, for lupdate."""
    lines = ["from PySide6.QtCore import QT_TRANSLATE_NOOP", ""]
    texts = [("SettingsFields", text) for spec in FIELDS for text in shown_texts(spec)]
    texts += [(CATALOG_CONTEXT, entry.summary) for entry in CATALOG.values()]
    texts += [(MESSAGES_CONTEXT, template) for template in core_messages()]
    for context, text in dict.fromkeys(texts):  # once each, in order
        lines.append(f"QT_TRANSLATE_NOOP({json.dumps(context)}, {json.dumps(text, ensure_ascii=False)})")
    return "\n".join(lines) + "\n"


def main() -> int:
    sources = sorted(str(p) for p in (REPO / "ui").glob("*.py"))
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data_texts.py"
        data.write_text(marks(), encoding="utf-8")
        for ts in sorted(I18N_DIR.glob("assistant_*.ts")):
            subprocess.run([tool("pyside6-lupdate"), *sources, str(data), "-no-obsolete", "-locations", "none",
                            "-ts", str(ts)], check=True)
            subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
