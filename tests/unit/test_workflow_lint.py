"""The hosted-CI workflows (.github/workflows) are valid against GitHub's workflow schema and pass zizmor's checks."""

import subprocess
import sys
from pathlib import Path

from testkit.helpers import REPO

BIN = Path(sys.executable).parent  # check-jsonschema and zizmor are dev dependencies, installed beside Python
WORKFLOWS = sorted(str(path) for path in (REPO / ".github" / "workflows").glob("*.yml"))


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)


def _schema_check(*files: str) -> subprocess.CompletedProcess:
    return _run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files)


def test_every_workflow_matches_the_workflow_schema(tmp_path):
    assert WORKFLOWS
    done = _schema_check(*WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"  # the check can fail: a misspelt key
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    assert _schema_check(str(broken)).returncode != 0


def test_every_workflow_passes_zizmor():
    done = _run(str(BIN / "zizmor"), "--offline", "--no-progress", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
