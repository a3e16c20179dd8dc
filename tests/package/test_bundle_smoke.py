"""The frozen build's cheap smoke check, run by `make test` on every change: the app's self-test runs unfrozen
with a fresh model cache, every file it opens is traced (Python's audit hooks), and each file it opened inside an
installed package must be one the build collects (packaging/bundle.py, or PyInstaller's own hooks). A package
file that the build would leave out fails here, in about a minute and a half, rather than in the installed app
(`make test-package` builds and installs the real thing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from testkit.helpers import REPO

sys.path.insert(0, str(REPO / "packaging"))
import bundle

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Read by scanning every installed distribution (importlib.metadata.entry_points): one that the build leaves out
# is simply not found, which is what the frozen app should see.
SCANNED = ("entry_points.txt",)
CODE = (".py", ".pyc", ".so", ".pyd", ".dylib", ".pth")


def _site_dirs() -> list[Path]:
    paths = sysconfig.get_paths()
    return sorted({Path(paths["purelib"]).resolve(), Path(paths["platlib"]).resolve()})


def package_files_opened(opened: list[str]) -> set[str]:
    """The data files (relative to site-packages) among ``opened`` that a frozen build must carry."""
    found = set()
    for name in opened:
        path = Path(name)
        if not path.is_absolute() or not path.is_file():
            continue
        path = path.resolve()
        for site in _site_dirs():
            if site not in path.parents:
                continue
            rel = path.relative_to(site)
            if (rel.suffix in CODE or rel.name in SCANNED or "__pycache__" in rel.parts
                    or rel.parts[0] in bundle.OFFLINE_PACK or rel.parts[0].startswith("__editable__")):
                continue
            found.add(rel.as_posix())
    return found


def _expand(pairs: list[tuple[str, str]]) -> set[str]:
    """PyInstaller's (source, destination folder) pairs as the bundle's relative file paths."""
    files = set()
    for source, dest in pairs:
        src = Path(source)
        if src.is_dir():
            files |= {(Path(dest) / f.relative_to(src)).as_posix() for f in src.rglob("*") if f.is_file()}
        else:
            files.add((Path(dest) / src.name).as_posix())
    return files


def _hook_dirs() -> list[Path]:
    import PyInstaller

    dirs = [Path(PyInstaller.__file__).parent / "hooks"]
    for point in entry_points(group="pyinstaller40"):
        if point.name == "hook-dirs":
            dirs += [Path(d) for d in point.load()()]
    return dirs


def hook_collected(top_level: str) -> set[str]:
    """What PyInstaller's own hooks for ``top_level`` (and its submodules) collect at module level."""
    files: set[str] = set()
    for folder in _hook_dirs():
        for hook in [*folder.glob(f"hook-{top_level}.py"), *folder.glob(f"hook-{top_level}.*.py")]:
            scope: dict = {"__file__": str(hook), "__name__": f"hook_{top_level}"}
            try:
                exec(compile(hook.read_text(), str(hook), "exec"), scope)
            except Exception:  # a hook written for Analysis' context: what it collects is not known here
                continue
            files |= _expand(list(scope.get("datas", [])))
    return files


def _top_level(rel: str) -> str:
    first = rel.split("/")[0]
    if first.endswith(".dist-info"):  # the distribution's import name, near enough for finding its hooks
        return first.split("-")[0].lower()
    return first


def uncollected(files: set[str]) -> list[str]:
    """The files a frozen build would not carry: not in packaging/bundle.py, not in PyInstaller's hooks."""
    collected = _expand(bundle.datas(REPO))
    missing = sorted(f for f in files if f not in collected or f.startswith(bundle.TRIMMED))
    by_hooks: dict[str, set[str]] = {}
    left = []
    for rel in missing:
        top = _top_level(rel)
        if top not in by_hooks:
            by_hooks[top] = hook_collected(top)
        if rel not in by_hooks[top] or rel.startswith(bundle.TRIMMED):
            left.append(rel)
    return left


def test_every_package_file_the_app_opens_is_in_the_frozen_build(tmp_path):
    trace = tmp_path / "opened.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    # A fresh model cache: the first start's conversion of the bundled model is what the installed app runs too.
    env.update(ASSISTANT_CACHE_DIR=str(tmp_path / "cache"), ASSISTANT_CONFIG_DIR=str(tmp_path / "config"),
               ASSISTANT_DATA_DIR=str(tmp_path / "data"), TRACE_OPENS_OUT=str(trace), HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, str(REPO / "tests" / "package" / "trace_opens.py"), "--self-test"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=800)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert done.stdout.count("PASS") == 4, done.stdout
    opened = package_files_opened(json.loads(trace.read_text()))
    assert "rapidocr/models/PP-OCRv6_det_small.onnx" in opened, sorted(opened)  # the trace sees data files
    left = uncollected(opened)
    assert not left, ("the app opens these package files at run time, and the frozen build would not carry "
                      "them: add their package to DATA_PACKAGES or METADATA in packaging/bundle.py\n  "
                      + "\n  ".join(left))


def test_the_check_names_a_file_the_build_leaves_out(monkeypatch):
    """The check itself: a package that reads a data file of its own, left out of the bundle, is named."""
    opened = ["kernels/_internals/python_depends.json", "rapidocr/config.yaml"]
    assert uncollected(set(opened)) == []
    monkeypatch.setattr(bundle, "DATA_PACKAGES", tuple(p for p in bundle.DATA_PACKAGES if p != "kernels"))
    assert uncollected(set(opened)) == ["kernels/_internals/python_depends.json"]
    assert uncollected({"torch/bin/protoc"}) == ["torch/bin/protoc"]  # what the build trims away
    assert uncollected({"torch/bin/torch_shm_manager"}) == []  # and what it keeps
