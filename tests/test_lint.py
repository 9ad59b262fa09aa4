"""The code style of STYLE.md, checked: ruff's lint rules, its formatter, and mypy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    found = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert found, "ruff is a test dependency"
    return [found]


def test_ruff_lint_passes():
    result = subprocess.run(
        [*_ruff(), "check", "src", "tests", "bench", "tools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_ruff_format_is_applied():
    result = subprocess.run(
        [*_ruff(), "format", "--check", "src", "tests", "bench", "tools"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_mypy_finds_no_type_error():
    found = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert found, "mypy is a test dependency"
    result = subprocess.run([found], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
