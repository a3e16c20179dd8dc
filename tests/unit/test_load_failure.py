"""A model that fails to load because a library is broken names the library, not the model (models/load_failure)."""

from __future__ import annotations

import importlib
import sys

import pytest

from models.load_failure import broken_library, load_error


@pytest.fixture
def broken_package(tmp_path, monkeypatch):
    """A real package on sys.path whose import fails the way kernels 0.19.1 did in the frozen app."""
    package = tmp_path / "brokenlib_for_test"
    (package / "_internals").mkdir(parents=True)
    (package / "__init__.py").write_text("from brokenlib_for_test._internals import deps\n")
    (package / "_internals" / "__init__.py").write_text("")
    (package / "_internals" / "deps.py").write_text(
        "from pathlib import Path\n"
        "try:\n"
        "    Path(__file__).with_name('python_depends.json').read_text()\n"
        "except FileNotFoundError:\n"
        "    raise FileNotFoundError('Cannot load dependency data, is `brokenlib_for_test` correctly installed?')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "brokenlib_for_test"
    for name in [n for n in sys.modules if n.startswith("brokenlib_for_test")]:
        del sys.modules[name]


def _load_model_with(library: str) -> None:
    """A loader that imports a library lazily, as transformers does with kernels while reading a GGUF."""
    importlib.import_module(library)


def test_a_library_failing_at_import_is_named_and_the_model_is_not_blamed(broken_package):
    with pytest.raises(FileNotFoundError) as info:
        _load_model_with(broken_package)
    error = load_error(info.value, "the GGUF model /models/x.gguf", "Reinstall the offline pack.")
    assert error.code == "library-broken"
    assert "the installed library brokenlib_for_test is broken" in error.message
    assert "Cannot load dependency data" in error.message and "Reinstall the offline pack" not in error.message


def test_a_missing_library_is_named_with_its_version():
    with pytest.raises(ImportError) as info:
        import kernels._no_such_module  # noqa: F401  (kernels is installed; this module is not)
    assert broken_library(info.value).startswith("kernels 0.")


def test_a_library_error_wrapped_by_the_loader_is_still_found(broken_package):
    try:
        try:
            _load_model_with(broken_package)
        except FileNotFoundError as inner:
            raise OSError("Unable to load weights") from inner
    except OSError as exc:
        assert load_error(exc, "the model", "").code == "library-broken"


def test_a_library_that_breaks_at_import_is_named_by_the_loader(broken_package):
    """A library that raises something other than ImportError while importing (torch without its
    torch_shm_manager raised RuntimeError) is named too."""
    from models.load_failure import library_error

    with pytest.raises(FileNotFoundError) as info:
        _load_model_with(broken_package)
    error = library_error(info.value, "the language model")
    assert error.code == "library-broken" and "brokenlib_for_test" in error.message
