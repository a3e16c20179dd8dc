"""Telling a broken library from a broken model file when a model fails to load.

A library that cannot import (a missing module, a data file of its own that is not there) fails inside the
model loader just as a damaged weights file does; the user's remedy differs (reinstall the app, not the model),
so the adapters ask this module before blaming the model.
"""

from __future__ import annotations

import sys
import sysconfig
from importlib import metadata
from pathlib import Path

from assistant.contracts.errors import ModelError

FIRST_PARTY = {"assistant", "audio", "models", "ui"}


def _import_roots() -> list[Path]:
    """Where importable packages live, deepest first: site-packages, the frozen app's folder, sys.path."""
    roots = {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    if frozen := getattr(sys, "_MEIPASS", None):
        roots.add(Path(frozen))
    roots |= {Path(entry) for entry in sys.path if entry}
    resolved = set()
    for root in roots:
        try:
            if root.is_dir():
                resolved.add(root.resolve())
        except OSError:
            continue
    return sorted(resolved, key=lambda root: len(root.parts), reverse=True)


def _package_of(filename: str) -> str | None:
    """The third-party top-level package that ``filename`` belongs to, if any."""
    if getattr(sys, "frozen", False) and not Path(filename).is_absolute():
        # the frozen app names its archived modules by their path inside it: "torch/__init__.py"
        package = Path(filename).parts[0].removesuffix(".py") if Path(filename).parts else ""
        return None if not package or package in FIRST_PARTY or package.startswith("<") else package
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return None
    for root in _import_roots():
        if root in path.parents:
            package = path.relative_to(root).parts[0].removesuffix(".py")
            return None if package in FIRST_PARTY else package
    return None


def _describe(package: str) -> str:
    """'kernels 0.19.1', or the bare name when its distribution is not known."""
    for dist in metadata.packages_distributions().get(package, []):
        try:
            return f"{dist} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    return package


def broken_library(exc: BaseException) -> str | None:
    """The library (with its version) that failed to import while loading, if that is what ``exc`` is.

    Either an ImportError, or any error raised while a third-party module's top-level code ran (a data file of
    its own missing, say): that module's package is broken, whatever the exception says."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ImportError) and error.name and error.name.split(".")[0] not in FIRST_PARTY:
            return _describe(error.name.split(".")[0])
        tb, importing = error.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code.co_name == "<module>":
                importing = _package_of(tb.tb_frame.f_code.co_filename) or importing
            tb = tb.tb_next
        if importing:
            return _describe(importing)
        error = error.__cause__ or error.__context__
    return None


def library_error(exc: BaseException, what: str) -> ModelError:
    """The error for ``what`` when a library it needs is installed but fails (at import, or reading its files)."""
    library = broken_library(exc) or "a library it needs"
    return ModelError("library-broken", f"cannot load {what}: the installed library {library} is broken ({exc}). "
                      "The model is fine: reinstall the application to repair the library.")


def load_error(exc: BaseException, what: str, model_advice: str) -> ModelError:
    """The error for ``what`` failing to load: a broken library named as such, otherwise the model blamed."""
    if broken_library(exc):
        return library_error(exc, what)
    return ModelError("model-corrupt", f"cannot load {what}: {exc}. {model_advice}")
