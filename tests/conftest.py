"""Shared fixtures: the packaged rules and the project's shared data beside the checkout."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from classwide._rules import default_rules

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLASSWIDE_SHARED", ROOT.parent / "shared"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_path(*parts: str) -> Path:
    """A file of ../shared; a missing one is an error, never a silent skip."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: set CLASSWIDE_SHARED to the shared/ folder")
    return path


def read_csv(*parts: str) -> list[dict[str, str]]:
    with open(shared_path(*parts), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def rules():
    return default_rules()
