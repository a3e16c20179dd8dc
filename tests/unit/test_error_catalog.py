"""Every error code the source raises, publishes or matches is in the catalog (assistant.contracts.errors)."""

import ast
import re
from pathlib import Path

import pytest

from assistant.contracts.errors import CATALOG, Category, category_of, ui_message

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("assistant", "audio", "models", "ui", "desktop", "testkit")
# Calls whose code argument is at this position (ui helpers that show or clear a message by its code).
CODE_ARGUMENT = {"show_error": 1, "_report": 1, "report": 1, "clear_error": 0}
# Error classes whose constructor takes no code (it is fixed inside, where the scan sees it).
FIXED_CODE = {"NoSpeechError"}


def _sources() -> list[tuple[Path, ast.Module]]:
    files = [f for package in PACKAGES if (REPO / package).is_dir() for f in sorted((REPO / package).rglob("*.py"))]
    return [(f, ast.parse(f.read_text(encoding="utf-8"), str(f))) for f in files]


SOURCES = _sources()


def _error_classes() -> set[str]:
    """AssistantError and every class in the source that derives from it."""
    bases: dict[str, set[str]] = {}
    for _, tree in SOURCES:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
    found = {"AssistantError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_code(node: ast.expr) -> bool:
    """``x.code``, ``code``, ``window.banner_code``: not ``proc.returncode``."""
    name = _name(node)
    return name == "code" or name.endswith("_code")


def _code_nodes():
    """(file, line, node) for every expression that is an error code."""
    classes = _error_classes() - FIXED_CODE
    for path, tree in SOURCES:
        error_class_inits = {id(n) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and c.name in FIXED_CODE
                             for n in ast.walk(c)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _name(node.func)
                keyword = next((k.value for k in node.keywords if k.arg == "code"), None)
                if keyword is not None and (name in classes or name == "ErrorOccurred"):
                    yield path, node.lineno, keyword
                elif name in classes and node.args:
                    yield path, node.lineno, node.args[0]
                elif name == "__init__" and id(node) in error_class_inits and node.args:
                    yield path, node.lineno, node.args[0]  # super().__init__("no-speech", message)
                elif name in CODE_ARGUMENT and len(node.args) > CODE_ARGUMENT[name]:
                    yield path, node.lineno, node.args[CODE_ARGUMENT[name]]
            elif isinstance(node, ast.Compare) and _is_code(node.left):
                for right in node.comparators:  # x.code == "a" / x.code in ("a", "b")
                    yield from ((path, node.lineno, e) for e in getattr(right, "elts", [right]))


def _pattern(node: ast.JoinedStr) -> re.Pattern:
    parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9-]+" for v in node.values]
    return re.compile("".join(parts))


def test_every_code_in_the_source_is_in_the_catalog():
    unknown, seen = [], 0
    for path, line, node in _code_nodes():
        where = f"{path.relative_to(REPO)}:{line}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            seen += 1
            if node.value not in CATALOG:
                unknown.append(f"{where}: {node.value!r}")
        elif isinstance(node, ast.JoinedStr):
            seen += 1
            pattern = _pattern(node)
            if not any(pattern.fullmatch(code) for code in CATALOG):
                unknown.append(f"{where}: {pattern.pattern!r} matches no code")
    assert seen > 100  # the scan found the raise sites (it would pass vacuously otherwise)
    assert not unknown, "codes missing from assistant.contracts.errors.CATALOG:\n" + "\n".join(unknown)


def test_the_ui_matches_codes_or_categories_never_prefixes():
    offenders = [f"{path.relative_to(REPO)}:{node.lineno}" for path, tree in SOURCES for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and _name(node.func) in ("startswith", "endswith")
                 and _is_code(node.func.value)]  # type: ignore[attr-defined]
    assert not offenders, f"use category_of(code) instead of the code's prefix: {offenders}"


def test_cli_hints_are_what_the_raisers_write():
    """A reworded message would let its command-line advice through to the UI."""
    text = "\n".join(path.read_text(encoding="utf-8") for path, _ in SOURCES)
    for entry in CATALOG.values():
        if entry.cli_hint:
            assert entry.cli_hint.lstrip(".:") in text, entry.code


def test_catalog_entries_are_complete_and_documented():
    docs = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
    for code, entry in CATALOG.items():
        assert entry.code == code and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code)
        assert isinstance(entry.category, Category) and entry.summary.endswith(".")
        assert f"`{code}`" in docs, f"{code} is not in docs/errors.md"


def test_categories_and_ui_messages():
    assert category_of("screen-capture-failed") is Category.SCREEN
    assert category_of("input-device-lost") is Category.AUDIO_DEVICE
    assert category_of("not-a-code") is None
    message = ("there is no display to capture (DISPLAY and WAYLAND_DISPLAY are unset): ask about an image file "
               "instead (assistant ask --image FILE).")
    assert ui_message("screen-no-display", message) == ("there is no display to capture (DISPLAY and "
                                                        "WAYLAND_DISPLAY are unset).")
    speaker = "no usable speaker: device busy. Connect one, or write the reply to a file with --out."
    assert ui_message("no-output-device", speaker) == "no usable speaker: device busy."
    assert ui_message("model-missing", "keep me as I am.") == "keep me as I am."


@pytest.mark.parametrize("code", ["no-speech", "history-unavailable", "stt-failed", "no-input-device"])
def test_codes_made_at_run_time_are_known(code):
    assert code in CATALOG
