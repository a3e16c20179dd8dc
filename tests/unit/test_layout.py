"""What lives where: the benchmarks share testkit/ with the tests, not the tests themselves; the app never imports
testkit (the import-linter contracts in pyproject.toml check the app's own layers)."""

import re

import pytest

from testkit.helpers import REPO

APP_PACKAGES = ("assistant", "audio", "desktop", "models", "ui")


@pytest.mark.parametrize("folder, forbidden", [("scripts", "tests"), *((p, "testkit") for p in APP_PACKAGES)])
def test_imports_stay_on_their_side(folder, forbidden):
    pattern = re.compile(rf"^\s*(from|import)\s+{forbidden}\b", re.M)
    offenders = [str(path.relative_to(REPO)) for path in sorted((REPO / folder).rglob("*.py"))
                 if pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
