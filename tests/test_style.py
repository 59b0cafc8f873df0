"""The code stays ruff-clean: a lint failure is a test failure, not a CI afterthought."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
    folders = [f for f in ("retrieval", "bot", "tests", "bench") if (ROOT / f).is_dir()]
    result = subprocess.run(
        [ruff, "check", "--no-cache", *folders],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
